// ICMPv4 (RFC 792, RFC 1122 3.2.2): echo reply with identical data; destination unreachable (port, protocol)
// quoting the offending header and at least 8 bytes of its data; never an error about an ICMP error, a
// broadcast or multicast, or a non-first fragment (RFC 1122 3.2.2); errors rate-limited by a token bucket.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "core/rate_limit.hpp"
#include <cstdint>

namespace pico::icmp4 {

inline constexpr std::uint8_t type_echo_reply = 0;
inline constexpr std::uint8_t type_dest_unreachable = 3;
inline constexpr std::uint8_t type_source_quench = 4;
inline constexpr std::uint8_t type_redirect = 5;
inline constexpr std::uint8_t type_echo_request = 8;
inline constexpr std::uint8_t type_time_exceeded = 11;
inline constexpr std::uint8_t type_parameter_problem = 12;
inline constexpr std::uint8_t type_timestamp = 13;
inline constexpr std::uint8_t type_timestamp_reply = 14;

inline constexpr std::uint8_t code_net_unreachable = 0;
inline constexpr std::uint8_t code_host_unreachable = 1;
inline constexpr std::uint8_t code_protocol_unreachable = 2;
inline constexpr std::uint8_t code_port_unreachable = 3;
inline constexpr std::uint8_t code_fragmentation_needed = 4;

// Error rate limit: a token bucket of `error_burst` tokens refilled at one per `error_interval_ms`.
inline constexpr std::uint32_t error_burst = 10;
inline constexpr TimeMs error_interval_ms = 100;

// An echo reply received for a request we sent (ping client).
struct EchoReply {
    Ipv4Addr from{};
    std::uint16_t id = 0;
    std::uint16_t sequence = 0;
    std::uint16_t payload_len = 0;
    TimeMs received_at = 0;
};
using EchoReplyFn = void (*)(void* context, const EchoReply& reply);

struct State {
    ModuleCounters counters;
    TokenBucket<error_burst, error_interval_ms> limiter; // error rate limit
    EchoReplyFn on_echo_reply = nullptr;
    void* echo_context = nullptr;
};

State& state(Stack& stack);

// Input hook: an ICMP message (IP header already pulled; meta describes it).
void input(Stack& stack, PacketBuf&& message, const RxMeta& meta);

// Sends an error about a received datagram. `offending` is the received frame (any pull position) and
// meta.l3_offset/l3_header_len locate its IP header. Applies the RFC 1122 3.2.2 rules and the rate limit;
// a suppressed error is counted (ErrorAboutError or RateLimited) in this module.
void send_error(Stack& stack, std::uint8_t type, std::uint8_t code, const PacketBuf& offending,
                const RxMeta& meta, std::uint32_t rest_of_header = 0);

// Ping client: sends an echo request. False if dropped.
bool send_echo_request(Stack& stack, Ipv4Addr destination, std::uint16_t id, std::uint16_t sequence,
                       Bytes payload);
void set_echo_reply_handler(Stack& stack, EchoReplyFn fn, void* context);

} // namespace pico::icmp4
