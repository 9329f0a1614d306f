// ICMPv6 (RFC 4443): echo, errors (destination unreachable, packet too big, time exceeded, parameter problem)
// with the section 2.4 rules and a token-bucket rate limit; hands Neighbor Discovery (RFC 4861) and MLD (RFC
// 3810) messages to their modules.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "core/rate_limit.hpp"
#include <cstdint>

namespace pico::icmp6 {

inline constexpr std::uint8_t type_dest_unreachable = 1;
inline constexpr std::uint8_t type_packet_too_big = 2;
inline constexpr std::uint8_t type_time_exceeded = 3;
inline constexpr std::uint8_t type_parameter_problem = 4;
inline constexpr std::uint8_t type_echo_request = 128;
inline constexpr std::uint8_t type_echo_reply = 129;
inline constexpr std::uint8_t type_mld_query = 130;
inline constexpr std::uint8_t type_mld_report = 131;
inline constexpr std::uint8_t type_mld_done = 132;
inline constexpr std::uint8_t type_router_solicitation = 133;
inline constexpr std::uint8_t type_router_advertisement = 134;
inline constexpr std::uint8_t type_neighbor_solicitation = 135;
inline constexpr std::uint8_t type_neighbor_advertisement = 136;
inline constexpr std::uint8_t type_redirect = 137;
inline constexpr std::uint8_t type_mldv2_report = 143;

// Destination Unreachable codes
inline constexpr std::uint8_t code_no_route = 0;
inline constexpr std::uint8_t code_admin_prohibited = 1;
inline constexpr std::uint8_t code_beyond_scope = 2;
inline constexpr std::uint8_t code_address_unreachable = 3;
inline constexpr std::uint8_t code_port_unreachable = 4;
// Time Exceeded codes
inline constexpr std::uint8_t code_hop_limit_exceeded = 0;
inline constexpr std::uint8_t code_reassembly_time_exceeded = 1;
// Parameter Problem codes
inline constexpr std::uint8_t code_erroneous_header = 0;
inline constexpr std::uint8_t code_unrecognized_next_header = 1;
inline constexpr std::uint8_t code_unrecognized_option = 2;

struct EchoReply {
    Ipv6Addr from{};
    std::uint16_t id = 0;
    std::uint16_t sequence = 0;
    std::uint16_t payload_len = 0;
    TimeMs received_at = 0;
};
using EchoReplyFn = void (*)(void* context, const EchoReply& reply);

// Error rate limit (RFC 4443 2.4 (f)): a token bucket of error_burst tokens, one back per error_interval_ms.
inline constexpr std::uint32_t error_burst = 10;
inline constexpr TimeMs error_interval_ms = 100;

struct State {
    ModuleCounters counters;
    TokenBucket<error_burst, error_interval_ms> limiter; // error rate limit
    EchoReplyFn on_echo_reply = nullptr;
    void* echo_context = nullptr;
};

State& state(Stack& stack);

// Input hook: an ICMPv6 message (IPv6 header and extension headers pulled; meta describes the packet).
void input(Stack& stack, PacketBuf&& message, const RxMeta& meta);

// Sends an error about a received packet. `offending` is the received frame (any pull position) and
// meta.l3_offset locates its IPv6 header. Applies RFC 4443 2.4 (e) (never about an error, a multicast
// destination (except Packet Too Big and Parameter Problem code 2 with allow_multicast), a link multicast or
// an unspecified/multicast source) and the rate limit (f); suppressed errors are counted in this module.
void send_error(Stack& stack, std::uint8_t type, std::uint8_t code, const PacketBuf& offending,
                const RxMeta& meta, std::uint32_t parameter = 0, bool allow_multicast = false);

// The ICMPv6 checksum over the pseudo-header (RFC 8200 8.1) and `message`; 0 when the message verifies.
std::uint16_t checksum(const Ipv6Addr& source, const Ipv6Addr& destination, Bytes message);
// Fills the checksum of a message built in place (checksum field at bytes 2-3) and sends it over IPv6.
bool send(Stack& stack, const Ipv6Addr& source, const Ipv6Addr& destination, IfIndex ifindex,
          std::uint8_t hop_limit, PacketBuf&& message, bool allow_unspecified_source = false,
          bool router_alert = false);

bool send_echo_request(Stack& stack, const Ipv6Addr& destination, std::uint16_t id, std::uint16_t sequence,
                       Bytes payload, IfIndex ifindex = no_interface);
void set_echo_reply_handler(Stack& stack, EchoReplyFn fn, void* context);

} // namespace pico::icmp6
