// IPv4 host (RFC 791, RFC 1122 3.2.1): input checks in order, each with its drop reason; several addresses
// per device; a routing table with longest-prefix match and a default gateway; limited and directed
// broadcast.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "core/module.hpp"
#include "net/ipv4_reassembly.hpp"
#include <array>
#include <cstdint>
#include <optional>

namespace pico::ipv4 {

inline constexpr std::uint8_t proto_icmp = 1;
inline constexpr std::uint8_t proto_igmp = 2;
inline constexpr std::uint8_t proto_tcp = 6;
inline constexpr std::uint8_t proto_udp = 17;
inline constexpr std::uint8_t default_ttl = 64;

struct Address {
    Ipv4Addr address{};
    std::uint8_t prefix_len = 0;
    bool used = false;
};

struct Route {
    Ipv4Addr prefix{};
    std::uint8_t prefix_len = 0;
    Ipv4Addr gateway{}; // 0.0.0.0: on-link
    IfIndex ifindex = no_interface;
    bool used = false;
};

// Path MTU (RFC 1191): what a "fragmentation needed" (ICMP Destination Unreachable code 4) taught us about
// one destination. Removed pmtu_aging_ms after it was learnt, so the path is probed at the first-hop MTU
// again (RFC 1191 6.3).
struct PmtuEntry {
    Ipv4Addr destination{};
    std::uint16_t mtu = 0;
    TimeMs learnt_at = 0;
    bool used = false;
};
// RFC 791 / RFC 1191 3: every IPv4 path carries 68 octets; an estimate is never below it.
inline constexpr std::uint16_t min_path_mtu = 68;
// RFC 1191 6.3: an estimate older than this is discarded (the RFC's recommended 10 minutes; at least 5).
inline constexpr TimeMs pmtu_aging_ms = TimeMs{10} * 60 * 1000;

struct State {
    ModuleCounters counters;
    // Per device, packed: the used entries come first, in the order they were added (remove_address closes
    // the gap), so a scan stops at the first unused entry.
    std::array<std::array<Address, config::ipv4_addrs_per_device>, config::max_devices> addresses{};
    std::array<Route, config::ipv4_routes> routes{}; // packed like the address tables
    std::uint16_t next_id = 0;                       // Identification field of datagrams we originate
    std::uint8_t ttl = default_ttl;
    std::uint32_t negative_advice = 0; // times a transport reported a dead path (RFC 1122 3.3.1.4)
    std::array<PmtuEntry, config::ipv4_pmtu_entries> pmtu{};
    std::uint32_t pmtu_decreases = 0; // estimates lowered by update_path_mtu
    std::uint32_t pmtu_ignored = 0;   // reports not believed (below 68, not a decrease, no route)
    std::uint32_t fragmented = 0;     // datagrams sent in fragments (PICO_IPV4_FRAGMENTATION)
    std::uint32_t fragments_sent = 0; // fragments handed to the link
    // Datagrams in reassembly (PICO_IPV4_REASSEMBLY; an empty member when it is not built).
    [[no_unique_address]] ModuleSlot<config::ipv4_reassembly, ipv4_reassembly::State> reassembly;
};

State& state(Stack& stack);

// Input hook: an IPv4 datagram (link header already pulled; may carry link padding after total length).
void input(Stack& stack, PacketBuf&& datagram, const RxMeta& meta);

// Configuration. add_address also announces the address by gratuitous ARP when ARP is built in.
bool add_address(Stack& stack, IfIndex ifindex, Ipv4Addr address, std::uint8_t prefix_len);
bool remove_address(Stack& stack, IfIndex ifindex, Ipv4Addr address);
// A route to prefix/len via gateway (0.0.0.0 for on-link). ifindex no_interface: the device whose connected
// prefix holds the gateway. False if the table is full or the gateway is not reachable on any device.
bool add_route(Stack& stack, Ipv4Addr prefix, std::uint8_t prefix_len, Ipv4Addr gateway,
               IfIndex ifindex = no_interface);
bool remove_route(Stack& stack, Ipv4Addr prefix, std::uint8_t prefix_len);

struct RouteResult {
    IfIndex ifindex = no_interface;
    Ipv4Addr next_hop{};
    Ipv4Addr source{}; // our address on that device, preferring one in the destination's prefix
};
// Longest-prefix match over connected prefixes and the routing table.
std::optional<RouteResult> route(Stack& stack, Ipv4Addr destination);
// Negative advice (RFC 1122 3.3.1.4, RFC 9293 3.8.3 R1): a transport's retransmissions to `destination`
// go unanswered. The next hop's link-layer address is forgotten (ARP resolves it afresh with the next
// datagram), so a dead or replaced neighbour or gateway is noticed. Counted in State::negative_advice.
void negative_advice(Stack& stack, Ipv4Addr destination);

bool is_local(Stack& stack, IfIndex ifindex, Ipv4Addr address); // one of our unicast addresses on ifindex
bool is_local_any(Stack& stack, Ipv4Addr address);              // ... on any device
bool is_broadcast(Stack& stack, IfIndex ifindex,
                  Ipv4Addr address); // limited or directed broadcast on ifindex

// Path MTU (RFC 1191). path_mtu: the largest datagram to `destination` on device `ifindex` (no_interface: the
// route's device) that needs no fragmentation as far as we know: the device MTU, lowered by what an ICMP
// "fragmentation needed" taught us in the last pmtu_aging_ms; 0 when there is no such device or route.
std::uint16_t path_mtu(Stack& stack, IfIndex ifindex, Ipv4Addr destination);
// A router reported `mtu` as the next-hop MTU towards `destination`. Believed only when it is at least 68
// (RFC 1191 3) and lower than the current estimate (a report never raises it: RFC 1191 3, stale or forged
// messages); the estimate never exceeds the first-hop MTU. The table holds config::ipv4_pmtu_entries
// destinations: a new one takes an aged or else the oldest entry. False when the report was not believed.
bool update_path_mtu(Stack& stack, Ipv4Addr destination, std::uint16_t mtu);
// RFC 1191 7: the next-hop MTU field is 0 (a router older than RFC 1191): the estimate is the largest plateau
// below the Total Length of the datagram the error quotes (68 at least).
std::uint16_t plateau_below(std::uint16_t total_length);

struct SendParams {
    Ipv4Addr source{}; // 0.0.0.0: chosen by the route
    Ipv4Addr destination{};
    std::uint8_t protocol = 0;
    std::uint8_t ttl = 0; // 0: the stack's default
    std::uint8_t tos = 0;
    IfIndex ifindex = no_interface; // required for limited broadcast; otherwise chosen by the route
    bool dont_fragment = false;
    bool router_alert = false; // RFC 2113 Router Alert option (IGMP)
};
// Prepends the IPv4 header to payload and sends it (route, ARP, device). False if dropped (counted with its
// reason: NoRoute, TooBig, PoolExhausted, ...).
// Size (RFC 791 3.2, RFC 1122 3.3.3, RFC 1191): a datagram larger than the path MTU (path_mtu()) without
// dont_fragment is sent in fragments when PICO_IPV4_FRAGMENTATION is built (net/ipv4_fragment.hpp: all of
// them or none, each from the frame pool); with dont_fragment it is sent whole if it fits the device MTU (the
// path MTU is an estimate: a router on the way answers with "fragmentation needed" if it is still too big),
// and refused with TooBig if not. Without PICO_IPV4_FRAGMENTATION anything larger than the device MTU is
// refused with TooBig.
bool send(Stack& stack, const SendParams& params, PacketBuf&& payload);
// The last step of send (and of each fragment): a complete datagram to next_hop on ifindex, through ARP on
// Ethernet. Counts tx; false if dropped (counted).
bool output(Stack& stack, IfIndex ifindex, Ipv4Addr next_hop, PacketBuf&& datagram);

} // namespace pico::ipv4
