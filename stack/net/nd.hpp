// Neighbor Discovery for IPv6 over Ethernet (RFC 4861): the neighbor cache with the full NUD state machine
// (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE), NS/NA, RS/RA (default routers, prefixes with on-link flags,
// MTU, Reachable Time, Retrans Timer, Cur Hop Limit), Redirects, hop limit 255 and option checks, bounded
// caches. IPv6 output reaches the link through send_ipv6().
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include <array>
#include <cstdint>
#include <optional>

namespace pico::nd {

enum class NeighborState : std::uint8_t { Free, Incomplete, Reachable, Stale, Delay, Probe };

struct Neighbor {
    NeighborState state = NeighborState::Free;
    IfIndex ifindex = no_interface;
    bool is_router = false;
    Ipv6Addr ip{};
    MacAddr mac{};
    TimeMs deadline = 0; // when the current state's timer fires
    std::uint8_t probes = 0;
    std::optional<PacketBuf> pending; // one queued packet while INCOMPLETE (the most recent)
};

struct State {
    ModuleCounters counters;
    std::array<Neighbor, config::nd_neighbors> neighbors{};
};

State& state(Stack& stack);

// Input hook for NS, NA, RS, RA and Redirect (called by icmp6 with the ICMPv6 message; meta is the packet's).
void input(Stack& stack, PacketBuf&& message, const RxMeta& meta);
// Sends an IPv6 packet to next_hop on ifindex over Ethernet, resolving its link-layer address first (queues
// the packet while INCOMPLETE). Multicast next hops map to 33:33:xx:xx:xx:xx. False if dropped (counted).
bool send_ipv6(Stack& stack, IfIndex ifindex, const Ipv6Addr& next_hop, PacketBuf&& packet);

struct NextHop {
    IfIndex ifindex = no_interface;
    Ipv6Addr next_hop{};
};
// Next-hop determination (RFC 4861 5.2) from what ND learnt: the destination cache (Redirects), the prefix
// list (on-link) and the default router list. nullopt: ND knows no way (ipv6::route then tries its table).
std::optional<NextHop> next_hop(Stack& stack, const Ipv6Addr& destination, IfIndex ifindex);
// Neighbour unreachability hint from a transport (negative advice): probe the neighbour again.
void negative_advice(Stack& stack, IfIndex ifindex, const Ipv6Addr& neighbor);
// Forward progress from a transport (RFC 4861 7.3.1): the neighbour is REACHABLE.
void confirm_reachable(Stack& stack, IfIndex ifindex, const Ipv6Addr& neighbor);
std::optional<MacAddr> lookup(Stack& stack, IfIndex ifindex, const Ipv6Addr& address);
void flush(Stack& stack, IfIndex ifindex);
// Timers: retransmissions, NUD, router and prefix lifetimes, RS; called from Stack::poll.
void tick(Stack& stack, TimeMs now);

} // namespace pico::nd
