// Neighbor Discovery for IPv6 over Ethernet (RFC 4861): the neighbor cache with the full NUD state machine
// (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE), NS/NA, RS/RA (default routers, prefixes with on-link flags,
// MTU, Reachable Time, Retrans Timer, Cur Hop Limit), Redirects, hop limit 255 and option checks, bounded
// caches. IPv6 output reaches the link through send_ipv6().
//
// Bounds (each table is a fixed array; a flood of NS/NA/RA/Redirect cannot grow anything past it):
// - neighbor cache (config::nd_neighbors, all devices): a new entry takes a free slot, else evicts the least
//   useful one: entries of neighbours that are not in the Default Router List before those that are, then
//   STALE before PROBE before DELAY before REACHABLE, then the least recently updated. INCOMPLETE entries are
//   never evicted (each holds packets somebody is waiting for and lives at most MAX_MULTICAST_SOLICIT *
//   RetransTimer); when every entry is INCOMPLETE the new one is refused (PoolExhausted). Evictions are
//   counted in State::evictions.
// - packets waiting for resolution (7.2.2 "a small queue"): config::nd_queue_per_entry per INCOMPLETE entry
//   (the fragments of one packet survive resolution); when it is full the oldest is dropped (QueueFull). All
//   the queues together hold at most queue_limit pool frames (the oldest packet of the longest queue makes
//   room, QueueFull), so unresolved neighbours cannot drain the frame pool.
// - default router list (config::nd_routers): a router not in a full list is ignored (PoolExhausted): the
//   routers already known are never pushed out by newcomers.
// - prefix list (config::nd_prefixes per device) and destination cache (config::nd_redirects): the same
//   for prefixes; a Redirect into a full destination cache replaces the oldest redirect.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "link/packet_queue.hpp"
#include <array>
#include <cstdint>
#include <optional>

namespace pico::nd {

// RFC 4861 10: protocol constants (milliseconds).
inline constexpr std::uint8_t max_multicast_solicit = 3;
inline constexpr std::uint8_t max_unicast_solicit = 3;
inline constexpr std::uint32_t retrans_timer_ms = 1'000;
inline constexpr std::uint32_t reachable_time_ms = 30'000; // BaseReachableTime default
inline constexpr TimeMs delay_first_probe_time_ms = 5'000;
inline constexpr TimeMs max_rtr_solicitation_delay_ms = 1'000;
inline constexpr TimeMs rtr_solicitation_interval_ms = 4'000;
inline constexpr std::uint8_t max_rtr_solicitations = 3;
// RFC 4861 6.3.4: a Reachable Time above one hour is not believed (MAX_REACHABLE_TIME).
inline constexpr std::uint32_t max_reachable_time_ms = 3'600'000;
inline constexpr std::uint8_t nd_hop_limit = 255;
// Packets all the neighbour queues hold together (pool frames).
inline constexpr std::size_t queue_limit = resolution_queue_limit(config::nd_queue_frames);

enum class NeighborState : std::uint8_t { Free, Incomplete, Reachable, Stale, Delay, Probe };

struct Neighbor {
    NeighborState state = NeighborState::Free;
    IfIndex ifindex = no_interface;
    bool is_router = false;
    Ipv6Addr ip{};
    MacAddr mac{};
    TimeMs deadline = 0; // when the current state's timer fires
    std::uint8_t probes = 0;
    TimeMs updated = 0; // last change of state or address: the eviction order
    // Packets queued while INCOMPLETE, oldest first.
    PacketQueue<config::nd_queue_per_entry> pending;
};

// Default router list entry (RFC 4861 5.1, 6.3.4). ifindex no_interface: free.
struct Router {
    IfIndex ifindex = no_interface;
    Ipv6Addr address{};
    TimeMs expires = 0;
};

// Prefix list entry (on-link prefixes, RFC 4861 6.3.4). ifindex no_interface: free.
struct Prefix {
    IfIndex ifindex = no_interface;
    Ipv6Addr prefix{};
    std::uint8_t prefix_len = 0;
    bool infinite = false; // valid lifetime 0xffffffff
    TimeMs expires = 0;
};

// Destination cache entry learnt from a Redirect (RFC 4861 8.3). ifindex no_interface: free.
struct Redirect {
    IfIndex ifindex = no_interface;
    Ipv6Addr destination{};
    Ipv6Addr target{}; // == destination: the destination is on-link
    TimeMs learnt = 0;
};

// Per-device parameters (RFC 4861 6.3.2 host variables) and Router Solicitation state (6.3.7).
struct Link {
    std::uint32_t base_reachable_ms = reachable_time_ms;
    std::uint32_t reachable_ms = reachable_time_ms; // randomised: 0.5 .. 1.5 x base
    std::uint32_t retrans_ms = retrans_timer_ms;
    bool reachable_chosen = false;
    std::uint8_t rs_left = 0; // solicitations still to send
    TimeMs rs_due = 0;
};

struct State {
    ModuleCounters counters;
    std::array<Neighbor, config::nd_neighbors> neighbors{};
    std::array<Router, config::nd_routers> routers{};
    std::array<Prefix, config::nd_prefixes * config::max_devices> prefixes{};
    std::array<Redirect, config::nd_redirects> redirects{};
    std::array<Link, config::max_devices> links{};
    std::uint8_t next_router = 0; // round robin when no router is known reachable (6.3.6)
    std::uint32_t evictions = 0;  // neighbor cache entries reused for another neighbour
    std::uint32_t rs_sent = 0;    // Router Solicitations sent
    std::uint16_t queued = 0;     // packets in all the neighbours' queues (<= queue_limit)
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
const Neighbor* find_neighbor(Stack& stack, IfIndex ifindex, const Ipv6Addr& address);
void flush(Stack& stack, IfIndex ifindex);
// Timers: retransmissions, NUD, router and prefix lifetimes, RS; called from Stack::poll.
void tick(Stack& stack, TimeMs now);

// Router Solicitations (RFC 4861 6.3.7): up to MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL apart, the
// first after a random delay of 0 .. MAX_RTR_SOLICITATION_DELAY; stops at the first RA with a non-zero
// Router Lifetime. SLAAC calls it once the link-local address is up.
void start_router_solicitation(Stack& stack, IfIndex ifindex);
// A Neighbor Solicitation for `target` from `source` (:: for Duplicate Address Detection: no Source
// Link-Layer Address option then, RFC 4861 7.2.2 / RFC 4862 5.4.2) to `destination`.
bool send_solicitation(Stack& stack, IfIndex ifindex, const Ipv6Addr& source, const Ipv6Addr& destination,
                       const Ipv6Addr& target);
// RetransTimer of a device (RFC 4861 6.3.2; an RA may change it): DAD waits this long.
std::uint32_t retrans_time(Stack& stack, IfIndex ifindex);
// ReachableTime of a device (randomised per 6.3.2).
std::uint32_t reachable_time(Stack& stack, IfIndex ifindex);

} // namespace pico::nd
