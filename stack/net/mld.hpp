// MLDv2 listener (RFC 3810) with MLDv1 compatibility mode (RFC 3810 8, RFC 2710): per-device group
// membership with state-change reports (robustness retransmissions), answers to general, group and
// group-and-source queries after random delays, the Older Version Querier Present timer.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "net/multicast_common.hpp"
#include <array>
#include <cstdint>
#include <span>

namespace pico::mld {

// Queried sources recorded per group for a multicast-address-and-source-specific answer; a query naming
// more is answered for the whole address (IS_EX({})), which states the full filter.
inline constexpr std::size_t query_sources = 4;

using Interface = multicast::Interface<Ipv6Addr, config::mld_groups, query_sources>;

struct State {
    ModuleCounters counters;
    std::array<Interface, config::max_devices> interfaces{};
};

State& state(Stack& stack);

// Input hook for queries and reports (called by icmp6).
void input(Stack& stack, PacketBuf&& message, const RxMeta& meta);
// Joins or leaves an IPv6 multicast group on a device (reference counted; the link-layer group too).
bool join(Stack& stack, IfIndex ifindex, const Ipv6Addr& group);
bool leave(Stack& stack, IfIndex ifindex, const Ipv6Addr& group);
bool is_member(Stack& stack, IfIndex ifindex, const Ipv6Addr& group);
// IPMulticastListen (RFC 3376 3 / RFC 3810 3) for the sockets of a device: the socket layer's filters for a
// group, already merged over its sockets (RFC 3376 3.2 / RFC 3810 4.2), exclude=false with no sources for
// none. Merged here with the device-level joins into the interface state, whose changes are reported
// (multicast_common.hpp). False: not a multicast address, no such device, more than
// config::multicast_sources sources, or no room in the group or link-layer table (nothing changed).
bool set_socket_filter(Stack& stack, IfIndex ifindex, const Ipv6Addr& group, bool exclude,
                       std::span<const Ipv6Addr> sources);
// The interface state of a group: nullptr when it has no reception state (INCLUDE({})).
const multicast::Filter<Ipv6Addr, config::multicast_sources>* filter(Stack& stack, IfIndex ifindex,
                                                                     const Ipv6Addr& group);
void tick(Stack& stack, TimeMs now);

// The compatibility mode in force on a device: 2 (MLDv2) or 1 (MLDv1, RFC 3810 8.2.1); 0 for no such device.
std::uint8_t version(Stack& stack, IfIndex ifindex);
// The joined addresses of a device (at most out.size(); ff02::1 is not listed).
std::size_t groups(Stack& stack, IfIndex ifindex, std::span<Ipv6Addr> out);

} // namespace pico::mld
