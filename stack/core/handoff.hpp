// What a module may ask of the Stack, and the upward hand-offs, declared here and defined by the assembly
// (stack/assembly/stack.cpp), the one file that knows every module.
//
// Dependencies point down: a module never includes the assembly or a module above it. Received packets go
// up through deliver_*(), which the assembly routes to the enabled module with `if constexpr`.
#pragma once
#include "core/buffer.hpp"
#include "core/timer.hpp"
#include "core/types.hpp"
#include <cstdint>

namespace pico {

class Stack;
class Platform;
class Device;

// Where a received packet came from, filled in layer by layer on its way up.
struct RxMeta {
    IfIndex ifindex = no_interface;
    // Link layer (Ethernet)
    MacAddr src_mac{};
    bool link_broadcast = false;
    bool link_multicast = false;
    // Network layer (IPv4), set by ipv4::input before it hands the payload up
    Ipv4Addr src{};
    Ipv4Addr dst{};
    std::uint8_t ttl = 0;
    std::uint8_t tos = 0;
    bool ip_broadcast = false; // limited or directed broadcast
    bool ip_multicast = false;
    bool non_first_fragment = false;
    // Network layer (IPv6), set by ipv6::input: `ipv6` tells which family filled the addresses; the hop
    // limit goes in `ttl`, the traffic class in `tos`. ip_multicast is set for IPv6 multicast too.
    bool ipv6 = false;
    Ipv6Addr src6{};
    Ipv6Addr dst6{};
    // Where the IP header starts in the frame and how long it is, so ICMP can quote it
    // (PacketBuf::at_offset).
    std::uint16_t l3_offset = 0;
    std::uint16_t l3_header_len = 0;
};

// Services of the stack, for modules.
Platform& platform(Stack& stack);
TimeMs now(Stack& stack);
FramePoolBase& frames(Stack& stack);
TimerQueueBase& timers(Stack& stack);
// The device attached at ifindex, or nullptr.
Device* device(Stack& stack, IfIndex ifindex);
// Hands a finished frame to the device (capture tap, counters). False if there is no such device or it
// refused.
bool transmit(Stack& stack, IfIndex ifindex, PacketBuf&& frame);

// Upward hand-offs.
// A frame's payload by EtherType (after ethernet::input has pulled the Ethernet header).
void deliver_l3(Stack& stack, std::uint16_t ethertype, PacketBuf&& packet, const RxMeta& meta);
// An IPv4 datagram's payload by protocol number (after ipv4::input has pulled the IP header).
void deliver_ipv4_payload(Stack& stack, std::uint8_t protocol, PacketBuf&& payload, const RxMeta& meta);
// Is `address` one of ours on `ifindex` (ARP asks the network layer without including it)?
bool is_local_ipv4(Stack& stack, IfIndex ifindex, Ipv4Addr address);
// An IPv6 packet's upper-layer payload by Next Header value (after ipv6::input walked the extension headers).
void deliver_ipv6_payload(Stack& stack, std::uint8_t next_header, PacketBuf&& payload, const RxMeta& meta);
// Is there a module for this upper-layer Next Header (ICMPv6, UDP, TCP as built)? ipv6::input answers the
// others with Parameter Problem code 1 (RFC 8200 4, RFC 4443 3.4) pointing at the field that named it.
bool ipv6_payload_known(std::uint8_t next_header);
// Is `address` one of our IPv6 unicast addresses on `ifindex` (tentative ones excluded)?
bool is_local_ipv6(Stack& stack, IfIndex ifindex, const Ipv6Addr& address);
// Reports an ICMPv6 error about a packet we sent to the transport that sent it (RFC 4443 2.4 (c)).
// parameter: the ICMPv6 header's second word (the MTU of Packet Too Big, the pointer of Parameter Problem).
void deliver_icmp6_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ipv6_packet,
                         std::uint32_t parameter = 0);
// Reports an ICMP error about a datagram we sent to the transport that sent it (RFC 1122 3.2.2.1).
// rest_of_header: the ICMP header's second word (the next-hop MTU of "fragmentation needed", RFC 1191).
void deliver_icmp4_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ip_datagram,
                         std::uint32_t rest_of_header = 0);

} // namespace pico
