// MLDv2 listener (RFC 3810) with MLDv1 compatibility mode (RFC 3810 8, RFC 2710): per-device group
// membership with state-change reports (robustness retransmissions), answers to general, group and
// group-and-source queries after random delays, the Older Version Querier Present timer.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include <cstdint>

namespace pico::mld {

struct State {
    ModuleCounters counters;
};

State& state(Stack& stack);

// Input hook for queries and reports (called by icmp6).
void input(Stack& stack, PacketBuf&& message, const RxMeta& meta);
// Joins or leaves an IPv6 multicast group on a device (reference counted; the link-layer group too).
bool join(Stack& stack, IfIndex ifindex, const Ipv6Addr& group);
bool leave(Stack& stack, IfIndex ifindex, const Ipv6Addr& group);
bool is_member(Stack& stack, IfIndex ifindex, const Ipv6Addr& group);
void tick(Stack& stack, TimeMs now);

} // namespace pico::mld
