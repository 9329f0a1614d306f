// IGMPv3 host (RFC 3376) with IGMPv1/v2 compatibility (RFC 3376 7, RFC 2236, RFC 1112): per-device group
// membership with state-change reports, answers to queries after random delays, older-version querier
// timers. 224.0.0.1 is never reported (RFC 3376 5). The state machine is shared with MLD
// (net/multicast_common.hpp); this module holds the IPv4 message formats and the send path.
//
// Choices (RFC 3376 leaves them open): queries without Router Alert are accepted (4: routers check it on
// reports; hosts accept for compatibility); a General Query sent to a multicast address other than 224.0.0.1,
// and a group-specific query sent to a multicast address other than its group or 224.0.0.1, are dropped
// (9.1, 4.1.12; BadAddress); queries to one of our unicast addresses are accepted (4.1.12 MUST). Reports
// need a source address on the device (ipv4::send refuses 0.0.0.0 for multicast; 4.2.13 allows it).
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "net/multicast_common.hpp"
#include <array>
#include <cstdint>
#include <span>

namespace pico::igmp {

// Queried sources recorded per group for a group-and-source-specific answer; a query naming more is
// answered for the whole group (IS_EX({})), which states the full filter.
inline constexpr std::size_t query_sources = 8;

using Interface = multicast::Interface<Ipv4Addr, config::igmp_groups, query_sources>;

struct State {
    ModuleCounters counters;
    std::array<Interface, config::max_devices> interfaces{};
};

State& state(Stack& stack);

// Input hook: an IGMP message (IP header pulled).
void input(Stack& stack, PacketBuf&& message, const RxMeta& meta);
// Joins a group on a device for any source (reference counted: each join needs a leave; the link-layer
// group follows). False: not a multicast address, no such device, or the device's table
// (config::igmp_groups) or link-layer group table is full (counted PoolExhausted). 224.0.0.1 is always
// joined: true, nothing sent.
bool join(Stack& stack, IfIndex ifindex, Ipv4Addr group);
// Drops one join; the last one sends the leave report. False if the group was not joined.
bool leave(Stack& stack, IfIndex ifindex, Ipv4Addr group);
bool is_member(Stack& stack, IfIndex ifindex, Ipv4Addr group);
// IPMulticastListen (RFC 3376 3 / RFC 3810 3) for the sockets of a device: the socket layer's filters for a
// group, already merged over its sockets (RFC 3376 3.2 / RFC 3810 4.2), exclude=false with no sources for
// none. Merged here with the device-level joins into the interface state, whose changes are reported
// (multicast_common.hpp). False: not a multicast address, no such device, more than
// config::multicast_sources sources, or no room in the group or link-layer table (nothing changed).
bool set_socket_filter(Stack& stack, IfIndex ifindex, Ipv4Addr group, bool exclude,
                       std::span<const Ipv4Addr> sources);
// The interface state of a group: nullptr when it has no reception state (INCLUDE({})).
const multicast::Filter<Ipv4Addr, config::multicast_sources>* filter(Stack& stack, IfIndex ifindex,
                                                                     Ipv4Addr group);
void tick(Stack& stack, TimeMs now);

// The compatibility mode in force on a device: 3, 2 or 1 (RFC 3376 7.2.1); 0 for no such device.
std::uint8_t version(Stack& stack, IfIndex ifindex);
// The joined groups of a device (at most out.size(); 224.0.0.1 is not listed).
std::size_t groups(Stack& stack, IfIndex ifindex, std::span<Ipv4Addr> out);

} // namespace pico::igmp
