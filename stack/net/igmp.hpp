// IGMPv3 host (RFC 3376) with IGMPv1/v2 compatibility (RFC 3376 7, RFC 2236, RFC 1112): per-device group
// membership with state-change reports, answers to queries after random delays, older-version querier
// timers. 224.0.0.1 is never reported (RFC 3376 5).
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include <cstdint>

namespace pico::igmp {

struct State {
    ModuleCounters counters;
};

State& state(Stack& stack);

// Input hook: an IGMP message (IP header pulled).
void input(Stack& stack, PacketBuf&& message, const RxMeta& meta);
bool join(Stack& stack, IfIndex ifindex, Ipv4Addr group);
bool leave(Stack& stack, IfIndex ifindex, Ipv4Addr group);
bool is_member(Stack& stack, IfIndex ifindex, Ipv4Addr group);
void tick(Stack& stack, TimeMs now);

} // namespace pico::igmp
