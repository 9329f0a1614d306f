// IPv6 host (RFC 8200, RFC 4291 addressing, RFC 8201 path MTU): header checks, the extension-header chain
// walked with a bound, options by the two high bits of their type, routing header type 0 refused (RFC 5095),
// fragments to reassembly (net/ipv6_reassembly.hpp), addresses per device with the states SLAAC needs (RFC
// 4862), a routing table, and output with fragmentation when the path MTU needs it.
//
// Neighbours: on Ethernet, output resolves the next hop through Neighbor Discovery (net/nd.hpp); multicast
// destinations map to 33:33:xx:xx:xx:xx (RFC 2464 7). On-link prefixes and default routers come from ND's
// prefix and router lists when ND is built, and from the static table below.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "core/module.hpp"
#include "net/ipv6_reassembly.hpp"
#include <array>
#include <cstdint>
#include <optional>

namespace pico::ipv6 {

// Next Header values (IANA).
inline constexpr std::uint8_t nh_hop_by_hop = 0;
inline constexpr std::uint8_t nh_tcp = 6;
inline constexpr std::uint8_t nh_udp = 17;
inline constexpr std::uint8_t nh_routing = 43;
inline constexpr std::uint8_t nh_fragment = 44;
inline constexpr std::uint8_t nh_esp = 50;
inline constexpr std::uint8_t nh_auth = 51;
inline constexpr std::uint8_t nh_icmp6 = 58;
inline constexpr std::uint8_t nh_none = 59;
inline constexpr std::uint8_t nh_dest_options = 60;

inline constexpr std::uint16_t header_len = 40;
inline constexpr std::uint8_t default_hop_limit = 64;
// RFC 8200 5: every link carries 1280 octets; a smaller path MTU is never believed (RFC 8201 4).
inline constexpr std::uint16_t min_mtu = 1280;

enum class AddrState : std::uint8_t {
    Free,
    Tentative,  // DAD in progress (RFC 4862 5.4): not used as a source, not accepted as a destination
    Preferred,  // usable
    Deprecated, // valid, not for new communications (RFC 4862 5.5.4)
};

// An address on a device. Lifetimes are absolute times (ms); 0 means infinite.
struct Address {
    Ipv6Addr address{};
    std::uint8_t prefix_len = 0;
    AddrState state = AddrState::Free;
    bool autoconf = false; // made by SLAAC (removed when its valid lifetime ends)
    TimeMs preferred_until = 0;
    TimeMs valid_until = 0;
};

struct Route {
    Ipv6Addr prefix{};
    std::uint8_t prefix_len = 0;
    Ipv6Addr gateway{}; // :: on-link
    IfIndex ifindex = no_interface;
    bool used = false;
};

// Path MTU learnt from Packet Too Big (RFC 8201), per destination; aged out after pmtu_lifetime_ms.
inline constexpr TimeMs pmtu_lifetime_ms = TimeMs{10} * 60'000;
struct PmtuEntry {
    Ipv6Addr destination{};
    std::uint32_t mtu = 0; // 0: slot free
    TimeMs learnt = 0;
};

struct State {
    ModuleCounters counters;
    std::array<std::array<Address, config::ipv6_addrs_per_device>, config::max_devices> addresses{};
    std::array<Route, config::ipv6_routes> routes{};
    std::array<PmtuEntry, config::ipv6_pmtu_entries> pmtu{};
    std::array<std::uint16_t, config::max_devices> link_mtu{}; // from RA MTU options; 0: the device's
    std::uint32_t next_fragment_id = 0;         // Identification of fragments we originate (randomised start)
    bool fragment_id_seeded = false;            // next_fragment_id drawn from the platform's random source
    std::uint8_t hop_limit = default_hop_limit; // Cur Hop Limit (RFC 4861 6.3.4 may change it)
    [[no_unique_address]] ModuleSlot<config::ipv6_reassembly, ipv6_reassembly::State> reassembly;
};

State& state(Stack& stack);

// Input hook: an IPv6 packet (link header already pulled; may carry link padding after the payload).
void input(Stack& stack, PacketBuf&& packet, const RxMeta& meta);

// Addresses. add_address with state Tentative starts DAD when SLAAC is built (otherwise the address is
// Preferred at once). Joins the solicited-node group on the link. False if the table is full or the device
// does not exist.
bool add_address(Stack& stack, IfIndex ifindex, const Ipv6Addr& address, std::uint8_t prefix_len,
                 AddrState initial = AddrState::Preferred, TimeMs preferred_until = 0, TimeMs valid_until = 0,
                 bool autoconf = false);
bool remove_address(Stack& stack, IfIndex ifindex, const Ipv6Addr& address);
Address* find_address(Stack& stack, IfIndex ifindex, const Ipv6Addr& address);
// The link-local address of a device (Preferred or Deprecated), if it has one.
std::optional<Ipv6Addr> link_local(Stack& stack, IfIndex ifindex);

bool add_route(Stack& stack, const Ipv6Addr& prefix, std::uint8_t prefix_len, const Ipv6Addr& gateway,
               IfIndex ifindex);
bool remove_route(Stack& stack, const Ipv6Addr& prefix, std::uint8_t prefix_len);

struct RouteResult {
    IfIndex ifindex = no_interface;
    Ipv6Addr next_hop{};
    Ipv6Addr source{};           // chosen per RFC 6724 (simplified: scope match, preferred over deprecated)
    std::uint32_t mtu = min_mtu; // path MTU towards the destination
};
// ifindex: required for link-local and multicast destinations; otherwise chosen by the route.
std::optional<RouteResult> route(Stack& stack, const Ipv6Addr& destination, IfIndex ifindex = no_interface);
// Negative advice (RFC 4861 7.3.1 via RFC 1122 3.3.1.4): the neighbour towards `destination` is probed.
void negative_advice(Stack& stack, const Ipv6Addr& destination);

bool is_local(Stack& stack, IfIndex ifindex, const Ipv6Addr& address); // Preferred or Deprecated
bool is_local_any(Stack& stack, const Ipv6Addr& address);
// Is `group` a multicast group we listen to on ifindex (all-nodes, solicited-node of an address, MLD joins)?
bool is_member(Stack& stack, IfIndex ifindex, const Ipv6Addr& group);

// Path MTU (RFC 8201): the MTU to use towards `destination` over `ifindex`, and the update from a Packet Too
// Big (values below 1280 are raised to 1280, never below; never above the link MTU).
std::uint32_t path_mtu(Stack& stack, IfIndex ifindex, const Ipv6Addr& destination);
void update_path_mtu(Stack& stack, const Ipv6Addr& destination, std::uint32_t mtu);

struct SendParams {
    Ipv6Addr source{}; // ::: chosen by the route, unless allow_unspecified_source (then :: is sent as is)
    Ipv6Addr destination{};
    std::uint8_t next_header = 0;
    std::uint8_t hop_limit = 0; // 0: the stack's default (multicast: 1 unless set)
    std::uint8_t traffic_class = 0;
    IfIndex ifindex = no_interface;
    bool allow_unspecified_source = false; // source :: is kept: DAD NS, RS/MLD reports before an address
    bool router_alert = false;             // hop-by-hop Router Alert option (RFC 2711), for MLD
    bool dont_fragment = false;            // TCP sizes its segments by the MSS: never fragment them
};
// Prepends the IPv6 header (and extension headers) to payload and sends it; fragments it when larger than
// the path MTU (RFC 8200 4.5). False if dropped (counted: NoRoute, TooBig, PoolExhausted, Unresolved, ...).
bool send(Stack& stack, const SendParams& params, PacketBuf&& payload);

// Called by Stack::poll: ages addresses (RFC 4862 lifetimes) and path MTU entries.
void tick(Stack& stack, TimeMs now);

} // namespace pico::ipv6
