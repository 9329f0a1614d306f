// TCP's view of the network layer: the only file pair in tcp/ that knows IPv4 and IPv6 (one TCP for both
// families). Addresses in the TCB are a tcp::Address; route lookup, the MSS a path allows, the pseudo-header
// sum, sending a segment, address classification of received segments and the parsing of the IP header an
// ICMP error quotes all live here, with one branch per family.
#pragma once
#include "core/buffer.hpp"
#include "core/handoff.hpp"
#include "core/types.hpp"
#include "transport/socket_types.hpp"
#include <array>
#include <cstdint>
#include <optional>

namespace pico::tcp {

// An IP address as TCP sees it: either family when IPv6 is built, IPv4 alone otherwise (NetAddr).
using Address = NetAddr;

// Address bytes in network order (for the RFC 6528 ISN function, which hashes them).
struct AddressBytes {
    std::array<std::uint8_t, 16> bytes{};
    std::size_t len = 0;
    Bytes view() const { return Bytes{bytes.data(), len}; }
};

namespace net {

// Fixed header bytes below TCP that the MSS excludes (RFC 9293 3.7.1: MSS = MTU - 20 (IPv4) - 20 (TCP);
// RFC 8200 8.3: MTU - 40 (IPv6) - 20).
inline constexpr std::uint16_t ip_header_len = 20;
inline constexpr std::uint16_t ipv6_header_len = 40;
inline constexpr std::uint16_t tcp_header_len = 20;
// RFC 1191 / RFC 791: the smallest MTU every IPv4 path carries; a "fragmentation needed" MTU at or below
// it is not believed.
inline constexpr std::uint16_t min_path_mtu = 68;

AddressBytes bytes_of(const Address& address);

// The outgoing route to `remote`: our source address on it and the largest segment (header + data) a
// datagram on it carries (device MTU minus the IP header, bounded by the frame pool).
struct Path {
    Address source{};
    std::uint16_t mss = 536; // path MTU - 40 (RFC 9293 3.7.1, RFC 1191), further bounded by the frame size
    std::uint16_t announce_mss = 536; // from the interface's MTU: what our SYN announces (RFC 1191 3.1)
};
std::optional<Path> route(Stack& stack, const Address& remote);
// RFC 9293 3.8.3 R1 / RFC 1122 3.3.1.4: retransmissions to `remote` reached R1; the IP layer re-checks
// the path (its next hop is resolved afresh).
void negative_advice(Stack& stack, const Address& remote);
// The MSS for an MTU (a path MTU learnt from ICMP, RFC 1191 / RFC 8201) on a path of the given family.
std::uint16_t mss_for_mtu(std::uint32_t mtu, bool ipv6 = false);
// The smallest MTU a path of that family carries: an ICMP report of a smaller one is not believed (IPv4: 68,
// RFC 791 / RFC 1191; IPv6: 1280, RFC 8200 5 / RFC 8201 4).
std::uint16_t min_mtu(bool ipv6);
// The MSS assumed when the peer's SYN carries none (RFC 9293 3.7.1: 536 for IPv4; RFC 8200 8.3: 1220 for
// IPv6).
std::uint16_t default_peer_mss(const Address& remote);

// Is `address` one of our unicast addresses (bind) / usable as a connection's remote?
bool is_local(Stack& stack, const Address& address);
bool is_unicast_remote(Stack& stack, const Address& address);

// Addresses of a received segment, and whether it was sent to a broadcast or multicast address (RFC 1122
// 4.2.3.10: such segments are dropped) or from an address a connection cannot have.
Address source_of(const RxMeta& meta);
Address destination_of(const RxMeta& meta);
bool to_group_address(const RxMeta& meta);
bool bad_source(Stack& stack, const RxMeta& meta);

// Sum of the pseudo-header (RFC 9293 3.1) for a segment of `length` bytes between the two addresses.
std::uint32_t pseudo_header_sum(const Address& source, const Address& destination, std::uint16_t length);

// The TTL datagrams get when a socket sets none (the IP layer's default).
std::uint8_t default_ttl(Stack& stack);

struct SendOptions {
    std::uint8_t ttl = 0; // 0: the stack's default
    std::uint8_t tos = 0;
};
// Hands a finished segment (checksum filled) to the network layer, Don't Fragment set (RFC 1191 path MTU
// discovery). False when it was dropped below (counted there).
bool send(Stack& stack, const Address& source, const Address& destination, const SendOptions& options,
          PacketBuf&& segment);

// What an ICMP error quotes of a segment we sent: the addresses from the quoted IP header, and the bytes
// of the TCP header after it (at least 8). nullopt when the quote is not an IP datagram of ours carrying TCP.
struct QuotedSegment {
    Address local{};  // the quoted datagram's source: us
    Address remote{}; // its destination: the peer
    Bytes tcp{};      // the quoted TCP header (at least its first 8 bytes)
};
std::optional<QuotedSegment> parse_quoted(Bytes quoted_ip_datagram);

} // namespace net
} // namespace pico::tcp
