// IPv4 host (RFC 791, RFC 1122 3.2.1 and 3.3): input checks, addresses, routing, output.
#include "net/ipv4.hpp"
#include "core/bytes.hpp"
#include "link/arp.hpp"
#include "link/device.hpp"
#include "link/ethernet.hpp"
#include "net/igmp.hpp"
#include "net/ipv4_fragment.hpp"
#include "net/ipv4_reassembly.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4.hpp"
#include <array>

namespace pico::ipv4 {

namespace {

// 224.0.0.1, the all-hosts group every IP multicast host belongs to (RFC 1112 section 4).
constexpr Ipv4Addr all_hosts_group = Ipv4Addr::from_octets(224, 0, 0, 1);
// RFC 3021: /31 and /32 prefixes have no directed broadcast (the "broadcast" would be a host address).
constexpr std::uint8_t max_broadcast_prefix_len = 30;

bool contains(Ipv4Addr prefix, std::uint8_t prefix_len, Ipv4Addr address) {
    std::uint32_t mask = prefix_mask(prefix_len);
    return (prefix.value & mask) == (address.value & mask);
}

bool is_directed_broadcast_of(const Address& a, Ipv4Addr address) {
    if (!a.used || a.prefix_len > max_broadcast_prefix_len) return false;
    return address.value == (a.address.value | ~prefix_mask(a.prefix_len));
}

bool valid_device(Stack& stack, IfIndex ifindex) {
    return ifindex < config::max_devices && device(stack, ifindex) != nullptr;
}

// Our first address on a device, preferring one whose prefix holds `near` (the destination or gateway).
Ipv4Addr source_on(Stack& stack, IfIndex ifindex, Ipv4Addr near) {
    if (ifindex >= config::max_devices) return {};
    Ipv4Addr first{};
    bool have_first = false;
    for (const Address& a : state(stack).addresses[ifindex]) {
        if (!a.used) break; // packed: no address follows
        if (contains(a.address, a.prefix_len, near)) return a.address;
        if (!have_first) {
            first = a.address;
            have_first = true;
        }
    }
    return first;
}

bool has_address(Stack& stack, IfIndex ifindex) {
    if (ifindex >= config::max_devices) return false;
    return state(stack).addresses[ifindex][0].used; // packed: the first entry is used if any is
}

// The device for traffic that no prefix selects (limited broadcast, multicast): the caller's choice, else
// the first device with an address.
std::optional<IfIndex> default_device(Stack& stack, IfIndex wanted) {
    if (wanted != no_interface)
        return valid_device(stack, wanted) ? std::optional<IfIndex>(wanted) : std::nullopt;
    for (std::size_t i = 0; i < config::max_devices; ++i) {
        auto ifindex = static_cast<IfIndex>(i);
        if (valid_device(stack, ifindex) && has_address(stack, ifindex)) return ifindex;
    }
    return std::nullopt;
}

// The device whose connected prefix holds `address` (longest prefix), or no_interface.
IfIndex connected_device(Stack& stack, Ipv4Addr address) {
    IfIndex best = no_interface;
    int best_len = -1;
    for (std::size_t i = 0; i < config::max_devices; ++i) {
        auto ifindex = static_cast<IfIndex>(i);
        if (!valid_device(stack, ifindex)) continue;
        for (const Address& a : state(stack).addresses[i]) {
            if (a.used && a.prefix_len > best_len && contains(a.address, a.prefix_len, address)) {
                best = ifindex;
                best_len = a.prefix_len;
            }
        }
    }
    return best;
}

// Longest-prefix match over the connected prefixes and the routing table; `only` restricts the result to one
// device (no_interface: any). A connected prefix wins over a table route of the same length.
std::optional<RouteResult> lookup(Stack& stack, Ipv4Addr destination, IfIndex only) {
    State& s = state(stack);
    if (destination.is_limited_broadcast() || destination.is_multicast()) {
        auto ifindex = default_device(stack, only);
        if (!ifindex) return std::nullopt;
        Ipv4Addr next_hop = destination.is_multicast() ? destination : Ipv4Addr::limited_broadcast();
        return RouteResult{*ifindex, next_hop, source_on(stack, *ifindex, destination)};
    }
    std::optional<RouteResult> best;
    int best_len = -1;
    for (std::size_t i = 0; i < config::max_devices; ++i) {
        auto ifindex = static_cast<IfIndex>(i);
        if (!s.addresses[i][0].used || (only != no_interface && ifindex != only) ||
            !valid_device(stack, ifindex))
            continue;
        for (const Address& a : s.addresses[i]) {
            if (!a.used) break; // packed: no address follows
            if (a.prefix_len <= best_len || !contains(a.address, a.prefix_len, destination)) continue;
            best_len = a.prefix_len;
            best = RouteResult{ifindex, destination, a.address};
        }
    }
    for (const Route& r : s.routes) {
        if (!r.used) break; // packed: no route follows
        if (r.prefix_len <= best_len || !contains(r.prefix, r.prefix_len, destination)) continue;
        // A gateway route without a device uses the device whose connected prefix holds the gateway now (an
        // address removed since add_route makes the route unusable, not wrong).
        IfIndex ifindex = r.ifindex != no_interface ? r.ifindex : connected_device(stack, r.gateway);
        if (!valid_device(stack, ifindex) || (only != no_interface && ifindex != only)) continue;
        Ipv4Addr next_hop = r.gateway.is_unspecified() ? destination : r.gateway;
        best_len = r.prefix_len;
        best = RouteResult{ifindex, next_hop, source_on(stack, ifindex, next_hop)};
    }
    // Directed broadcast of a connected prefix (RFC 919, RFC 1122 3.3.6): sent as a link broadcast.
    if (best && is_broadcast(stack, best->ifindex, destination))
        best->next_hop = Ipv4Addr::limited_broadcast();
    return best;
}

// Is `address` a valid source address on the wire (RFC 1122 3.2.1.3)? Not a broadcast (limited, or the
// directed broadcast of one of our prefixes on any device), not multicast, not class E. Loopback sources are
// refused on every device but a RawIp one (3.2.1.3 (g): 127/8 "MUST NOT appear outside a host").
bool source_acceptable(Stack& stack, IfIndex ifindex, Ipv4Addr source) {
    if (source.is_limited_broadcast() || source.is_multicast() || source.is_reserved()) return false;
    for (std::size_t i = 0; i < config::max_devices; ++i) {
        for (const Address& a : state(stack).addresses[i]) {
            if (!a.used) break; // packed: no address follows
            if (is_directed_broadcast_of(a, source)) return false;
        }
    }
    if (source.is_loopback()) {
        Device* dev = device(stack, ifindex);
        if (dev == nullptr || dev->link_type() != LinkType::RawIp) return false;
    }
    return true;
}

} // namespace

// Input checks in order, in the style of IncludeOS IP4::drop_invalid_in; each drop is silent (no ICMP) and
// counted with its reason.
void input(Stack& stack, PacketBuf&& datagram, const RxMeta& meta_in) {
    State& s = state(stack);
    ++s.counters.rx;

    // View::parse performs, in this order (RFC 791 3.1; RFC 1812 5.2.2 spells out the same header validation
    // for routers; RFC 1122 3.2.1.1 for the version):
    //   fewer than 20 bytes -> Truncated; version != 4 (RFC 1122 3.2.1.1: MUST silently discard) ->
    //   BadVersion; IHL < 5 or IHL*4 beyond the bytes -> BadHeaderLength; Total Length < IHL*4 or beyond the
    //   bytes -> BadLength.
    Drop why = Drop::Truncated;
    auto view = wire::ipv4::View::parse(datagram.bytes(), &why);
    if (!view) {
        s.counters.count_drop(why);
        return;
    }
    // Ethernet pads short frames: what follows Total Length is not part of the datagram (RFC 894).
    datagram.trim(view->total_length());

    // RFC 1122 3.2.1.2: a host MUST verify the header checksum and silently discard a datagram with a bad
    // one.
    if constexpr (!config::skip_checksum_verify) {
        if (!view->checksum_valid()) {
            s.counters.count_drop(Drop::BadChecksum);
            return;
        }
    }

    // RFC 1122 3.2.1.3: a host MUST silently discard a datagram whose source address is invalid: a broadcast
    // (limited or directed) or multicast source (3.2.1.3 (c)-(e), RFC 1112 section 4), class E, loopback from
    // outside the host (g).
    Ipv4Addr source = view->source();
    if (!source_acceptable(stack, meta_in.ifindex, source)) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }

    // RFC 1122 3.2.1.3 and 3.3.6: accept a datagram addressed to one of our addresses, the limited
    // broadcast, the directed broadcast of a prefix on the receiving device, or a multicast group we belong
    // to. Weak host model (RFC 1122 3.3.4.2 allows either): an address of ours on *any* device is accepted
    // whichever device the datagram came in on, as Linux does; the strong model would use is_local(ifindex).
    // Multicast: only the all-hosts group 224.0.0.1 for now (membership of other groups comes with IGMP).
    Ipv4Addr destination = view->destination();
    bool ip_broadcast = false;
    bool ip_multicast = false;
    if (destination.is_limited_broadcast() || is_broadcast(stack, meta_in.ifindex, destination)) {
        ip_broadcast = true;
    } else if (destination.is_multicast()) {
        bool member = destination == all_hosts_group;
        if constexpr (config::igmp) member = member || igmp::is_member(stack, meta_in.ifindex, destination);
        if (!member) {
            s.counters.count_drop(Drop::NotForUs);
            return;
        }
        ip_multicast = true;
    } else if (!is_local_any(stack, destination)) {
        s.counters.count_drop(Drop::NotForUs);
        return;
    } else if (meta_in.link_broadcast || meta_in.link_multicast) {
        // RFC 1122 3.3.6: a host SHOULD silently discard a datagram received via a link-layer broadcast that
        // does not carry an IP broadcast or multicast destination (a correct sender never does this; acting
        // on it turns one host's mistake into every host's reply).
        s.counters.count_drop(Drop::LinkBroadcastUnicast);
        return;
    }

    // RFC 1122 3.2.1.7: a host MUST NOT discard a datagram just because it was received with TTL less than 2,
    // so TTL 0 and 1 are both delivered (TTL expiry is the forwarding gateway's business, RFC 1812 4.2.2.9).

    // RFC 791 3.2, RFC 1122 3.2.1.4: fragments are reassembled before delivery (net/ipv4_reassembly.hpp);
    // the complete datagram continues from here with fragment 0's header and meta. Without reassembly built,
    // every fragment (More Fragments set or a non-zero offset) is dropped and counted.
    RxMeta meta = meta_in;
    if (view->is_fragment()) {
        if constexpr (config::ipv4_reassembly) {
            auto whole = ipv4_reassembly::input(stack, std::move(datagram), meta);
            if (!whole) return;
            datagram = std::move(*whole);
            view = wire::ipv4::View::parse(datagram.bytes(), &why);
            if (!view) {
                s.counters.count_drop(why);
                return;
            }
        } else {
            s.counters.count_drop(Drop::Fragment);
            return;
        }
    }

    // RFC 1122 3.2.1.8: options the host does not understand are silently ignored, but a malformed list (an
    // option without a length byte, a length < 2, or one running past the header) cannot be walked and the
    // datagram is discarded (RFC 791 3.1 option format; RFC 1122 3.2.2.5 would allow a Parameter Problem).
    if (!view->options_well_formed()) {
        s.counters.count_drop(Drop::BadOption);
        return;
    }

    meta.src = source;
    meta.dst = destination;
    meta.ttl = view->ttl();
    meta.tos = view->tos();
    meta.ip_broadcast = ip_broadcast;
    meta.ip_multicast = ip_multicast;
    meta.non_first_fragment = false; // a fragment gets this far only reassembled
    meta.l3_offset = static_cast<std::uint16_t>(datagram.offset());
    meta.l3_header_len = static_cast<std::uint16_t>(view->header_len());
    std::uint8_t protocol = view->protocol();
    datagram.pull(view->header_len());
    deliver_ipv4_payload(stack, protocol, std::move(datagram), meta);
}

bool add_address(Stack& stack, IfIndex ifindex, Ipv4Addr address, std::uint8_t prefix_len) {
    // A unicast host address only (RFC 1122 3.2.1.3): not 0.0.0.0, broadcast, multicast or class E.
    if (!valid_device(stack, ifindex) || prefix_len > 32 || address.is_unspecified() ||
        address.is_limited_broadcast() || address.is_multicast() || address.is_reserved())
        return false;
    auto& table = state(stack).addresses[ifindex];
    Address* slot = nullptr;
    for (Address& a : table) {
        if (a.used && a.address == address) {
            slot = &a; // already there: update the prefix
            break;
        }
        if (!a.used && slot == nullptr) slot = &a;
    }
    if (slot == nullptr) return false;
    bool added = !slot->used;
    *slot = Address{address, prefix_len, true};
    // RFC 1112 section 4 (level 1 and 2 hosts): the all-hosts group 224.0.0.1 is joined on every interface
    // with an address; the link-layer membership is reference-counted per address.
    if constexpr (config::ethernet) {
        if (added && device(stack, ifindex)->link_type() == LinkType::Ethernet)
            ethernet::join_group(stack, ifindex, wire::ethernet::ipv4_multicast_mac(all_hosts_group));
    }
    if constexpr (config::arp) {
        if (device(stack, ifindex)->link_type() == LinkType::Ethernet) arp::announce(stack, ifindex, address);
    }
    return true;
}

bool remove_address(Stack& stack, IfIndex ifindex, Ipv4Addr address) {
    if (ifindex >= config::max_devices) return false;
    auto& table = state(stack).addresses[ifindex];
    for (std::size_t index = 0; index < table.size(); ++index) {
        if (table[index].used && table[index].address == address) {
            // The table stays packed (used entries first, in the order they were added), so that lookups stop
            // at the first unused entry.
            for (std::size_t next = index + 1; next < table.size(); ++next)
                table[next - 1] = table[next];
            table.back() = Address{};
            if constexpr (config::ethernet) {
                Device* dev = device(stack, ifindex);
                if (dev != nullptr && dev->link_type() == LinkType::Ethernet)
                    ethernet::leave_group(stack, ifindex,
                                          wire::ethernet::ipv4_multicast_mac(all_hosts_group));
            }
            if constexpr (config::arp) {
                Device* dev = device(stack, ifindex);
                if (dev != nullptr && dev->link_type() == LinkType::Ethernet) arp::flush(stack, ifindex);
            }
            return true;
        }
    }
    return false;
}

bool add_route(Stack& stack, Ipv4Addr prefix, std::uint8_t prefix_len, Ipv4Addr gateway, IfIndex ifindex) {
    if (prefix_len > 32) return false;
    if (ifindex != no_interface) {
        if (!valid_device(stack, ifindex)) return false;
    } else {
        // The gateway must be on a connected prefix (RFC 1122 3.3.1.1: a gateway is a neighbour).
        if (gateway.is_unspecified() || connected_device(stack, gateway) == no_interface) return false;
    }
    if (gateway.is_multicast() || gateway.is_limited_broadcast() || gateway.is_reserved()) return false;
    prefix.value &= prefix_mask(prefix_len);
    Route* slot = nullptr;
    for (Route& r : state(stack).routes) {
        if (r.used && r.prefix == prefix && r.prefix_len == prefix_len) {
            slot = &r; // same prefix: replace
            break;
        }
        if (!r.used && slot == nullptr) slot = &r;
    }
    if (slot == nullptr) return false;
    *slot = Route{prefix, prefix_len, gateway, ifindex, true};
    return true;
}

bool remove_route(Stack& stack, Ipv4Addr prefix, std::uint8_t prefix_len) {
    if (prefix_len > 32) return false;
    prefix.value &= prefix_mask(prefix_len);
    auto& routes = state(stack).routes;
    for (std::size_t index = 0; index < routes.size(); ++index) {
        if (routes[index].used && routes[index].prefix == prefix && routes[index].prefix_len == prefix_len) {
            // Packed, as the address tables: lookups stop at the first unused entry.
            for (std::size_t next = index + 1; next < routes.size(); ++next)
                routes[next - 1] = routes[next];
            routes.back() = Route{};
            return true;
        }
    }
    return false;
}

std::optional<RouteResult> route(Stack& stack, Ipv4Addr destination) {
    return lookup(stack, destination, no_interface);
}

void negative_advice(Stack& stack, Ipv4Addr destination) {
    ++state(stack).negative_advice;
    auto hop = lookup(stack, destination, no_interface);
    if (!hop) return;
    if constexpr (config::arp) {
        const Device* dev = device(stack, hop->ifindex);
        if (dev != nullptr && dev->link_type() == LinkType::Ethernet)
            arp::invalidate(stack, hop->ifindex, hop->next_hop);
    }
}

bool is_local(Stack& stack, IfIndex ifindex, Ipv4Addr address) {
    if (ifindex >= config::max_devices) return false;
    for (const Address& a : state(stack).addresses[ifindex]) {
        if (!a.used) break; // packed: no address follows
        if (a.address == address) return true;
    }
    return false;
}

bool is_local_any(Stack& stack, Ipv4Addr address) {
    for (std::size_t i = 0; i < config::max_devices; ++i)
        if (is_local(stack, static_cast<IfIndex>(i), address)) return true;
    return false;
}

bool is_broadcast(Stack& stack, IfIndex ifindex, Ipv4Addr address) {
    if (address.is_limited_broadcast()) return true;
    if (ifindex >= config::max_devices) return false;
    for (const Address& a : state(stack).addresses[ifindex]) {
        if (!a.used) break; // packed: no address follows
        if (is_directed_broadcast_of(a, address)) return true;
    }
    return false;
}

bool send(Stack& stack, const SendParams& params, PacketBuf&& payload) {
    State& s = state(stack);
    Ipv4Addr destination = params.destination;
    // 0.0.0.0 and class E are never destinations (RFC 1122 3.2.1.3 (a); RFC 5735).
    if (destination.is_unspecified() || destination.is_reserved()) {
        s.counters.count_drop(Drop::BadAddress);
        return false;
    }
    auto hop = lookup(stack, destination, params.ifindex);
    if (!hop) {
        s.counters.count_drop(Drop::NoRoute);
        return false;
    }
    // Source: the caller's, which must be one of ours (RFC 1122 3.3.4.2), or the route's. 0.0.0.0 is only
    // allowed for a limited broadcast from a device without an address yet, as a DHCP client sends
    // (RFC 1122 3.2.1.3 (a): "only as part of an initialization procedure").
    Ipv4Addr source = params.source.is_unspecified() ? hop->source : params.source;
    if (!params.source.is_unspecified() && !is_local_any(stack, params.source)) {
        s.counters.count_drop(Drop::BadAddress);
        return false;
    }
    if (source.is_unspecified() && !destination.is_limited_broadcast()) {
        s.counters.count_drop(Drop::BadAddress);
        return false;
    }
    Device* dev = device(stack, hop->ifindex);
    if (dev == nullptr) {
        s.counters.count_drop(Drop::NoDevice);
        return false;
    }
    bool ethernet = dev->link_type() == LinkType::Ethernet;
    // RFC 2113 Router Alert (IGMPv3, RFC 3376 4): a 4-octet option after the fixed header. Its type has the
    // copy flag set: every fragment carries it (RFC 791 3.1).
    const std::array<std::uint8_t, 4> router_alert{0x94, 4, 0, 0}; // copied, class 0, number 20; value 0
    const std::size_t header_len = wire::ipv4::Repr::buffer_len() + (params.router_alert ? 4 : 0);
    // Size (RFC 791 3.2, RFC 1122 3.3.3, RFC 1191): without DF the limit is the path MTU, and a larger
    // datagram is fragmented when PICO_IPV4_FRAGMENTATION is built; with DF it is the device MTU (the path
    // MTU is only an estimate: a router that still finds it too big says so with "fragmentation needed").
    const std::size_t total = header_len + payload.size();
    const std::size_t mtu = params.dont_fragment ? dev->mtu() : path_mtu(stack, hop->ifindex, destination);
    const bool fragment = total > mtu && !params.dont_fragment && config::ipv4_fragmentation;
    if (total > wire::ipv4::max_total_len || (total > mtu && !fragment)) {
        s.counters.count_drop(Drop::TooBig);
        return false;
    }
    wire::ipv4::Repr header;
    header.source = source;
    header.destination = destination;
    header.protocol = params.protocol;
    // RFC 1122 3.2.1.7: never TTL 0; a zero in the parameters or the state means the default.
    header.ttl = params.ttl != 0 ? params.ttl : (s.ttl != 0 ? s.ttl : default_ttl);
    header.tos = params.tos;
    header.identification = s.next_id++; // one value for all the fragments of a datagram (RFC 791 3.2)
    header.dont_fragment = params.dont_fragment;
    if constexpr (config::ipv4_fragmentation) {
        if (fragment) {
            Bytes options = params.router_alert ? Bytes{router_alert} : Bytes{};
            return ipv4_fragment::fragment(stack, hop->ifindex, hop->next_hop, header, options,
                                           payload.bytes(), mtu);
        }
    }
    // The payload normally comes from the pool with config::frame_headroom in front; one without room for
    // our header and the link header (a received frame reused for a reply) is copied into a fresh frame.
    std::size_t needed = header_len + (ethernet ? 14 : 0);
    if (payload.headroom() < needed) {
        auto fresh = frames(stack).allocate_copy(payload.bytes(), config::frame_headroom);
        if (!fresh) {
            s.counters.count_drop(Drop::PoolExhausted);
            return false;
        }
        payload = std::move(*fresh);
    }

    header.payload_len = static_cast<std::uint16_t>(payload.size());
    if (params.router_alert) {
        std::uint8_t* option = payload.push(router_alert.size());
        if (option == nullptr) {
            s.counters.count_drop(Drop::PoolExhausted);
            return false;
        }
        copy_bytes(option, router_alert.data(), router_alert.size()); // value 0: every router examines it
        header.payload_len = static_cast<std::uint16_t>(payload.size());
    }
    std::uint8_t* h = payload.push(wire::ipv4::Repr::buffer_len());
    if (h == nullptr || !header.emit(MutBytes{h, wire::ipv4::Repr::buffer_len()})) {
        s.counters.count_drop(Drop::PoolExhausted);
        return false;
    }
    if (params.router_alert) {
        // The Repr emitted a 20-octet header over 24 + data octets: make the option part of the header.
        h[wire::ipv4::field::version_ihl] = 0x46;
        store_be16(h + wire::ipv4::field::total_length, static_cast<std::uint16_t>(payload.size()));
        store_be16(h + wire::ipv4::field::checksum, 0);
        store_be16(h + wire::ipv4::field::checksum, checksum(Bytes{h, header_len}));
    }

    return output(stack, hop->ifindex, hop->next_hop, std::move(payload));
}

bool output(Stack& stack, IfIndex ifindex, Ipv4Addr next_hop, PacketBuf&& datagram) {
    State& s = state(stack);
    Device* dev = device(stack, ifindex);
    if (dev == nullptr) {
        s.counters.count_drop(Drop::NoDevice);
        return false;
    }
    if (dev->link_type() != LinkType::Ethernet) {
        ++s.counters.tx;
        return transmit(stack, ifindex, std::move(datagram));
    }
    if constexpr (config::arp) {
        // Broadcasts carry next hop 255.255.255.255: ARP sends them to the broadcast MAC.
        ++s.counters.tx;
        return arp::send_ipv4(stack, ifindex, next_hop, std::move(datagram));
    } else {
        s.counters.count_drop(Drop::Unresolved); // Ethernet without ARP cannot reach anyone
        return false;
    }
}

// ---- Path MTU (RFC 1191) -------------------------------------------------------------------------------

namespace {

// The entry for destination, removing it when it is older than pmtu_aging_ms (RFC 1191 6.3).
PmtuEntry* find_pmtu(Stack& stack, Ipv4Addr destination) {
    const TimeMs t = now(stack);
    for (PmtuEntry& e : state(stack).pmtu) {
        if (!e.used || e.destination != destination) continue;
        if (t - e.learnt_at >= pmtu_aging_ms) { // (a clock stepped back wraps to old too)
            e = PmtuEntry{};                    // aged out: the path is probed at the first-hop MTU again
            return nullptr;
        }
        return &e;
    }
    return nullptr;
}

std::uint16_t device_mtu(Stack& stack, IfIndex ifindex) {
    const Device* dev = valid_device(stack, ifindex) ? device(stack, ifindex) : nullptr;
    return dev != nullptr ? dev->mtu() : std::uint16_t{0};
}

} // namespace

std::uint16_t path_mtu(Stack& stack, IfIndex ifindex, Ipv4Addr destination) {
    if (ifindex == no_interface) {
        auto hop = lookup(stack, destination, no_interface);
        if (!hop) return 0;
        ifindex = hop->ifindex;
    }
    const std::uint16_t first_hop = device_mtu(stack, ifindex);
    const PmtuEntry* e = find_pmtu(stack, destination);
    return e != nullptr && e->mtu < first_hop ? e->mtu : first_hop;
}

bool update_path_mtu(Stack& stack, Ipv4Addr destination, std::uint16_t mtu) {
    State& s = state(stack);
    auto hop = lookup(stack, destination, no_interface);
    // RFC 1191 3: never below 68 octets; a report cannot raise the estimate (a stale or forged message), nor
    // take it over the first-hop MTU. Broadcast and multicast destinations have no single path.
    if (mtu < min_path_mtu || !hop || destination.is_multicast() ||
        is_broadcast(stack, hop->ifindex, destination) || mtu >= path_mtu(stack, hop->ifindex, destination)) {
        ++s.pmtu_ignored;
        return false;
    }
    PmtuEntry* slot = find_pmtu(stack, destination);
    if (slot == nullptr) {
        // A free entry, else the oldest (an aged one is the oldest of all).
        slot = &s.pmtu[0];
        for (PmtuEntry& e : s.pmtu) {
            if (!e.used) {
                slot = &e;
                break;
            }
            if (e.learnt_at < slot->learnt_at) slot = &e;
        }
    }
    // RFC 1191 6.3: the 10-minute timer starts with each decrease.
    *slot = PmtuEntry{destination, mtu, now(stack), true};
    ++s.pmtu_decreases;
    return true;
}

std::uint16_t plateau_below(std::uint16_t total_length) {
    // RFC 1191 7, table 7-1: the plateaus of the MTUs in use (the "68" plateau is the floor).
    constexpr std::array<std::uint16_t, 10> plateaus{32000, 17914, 8166, 4352, 2002,
                                                     1492,  1006,  508,  296,  68};
    for (std::uint16_t p : plateaus)
        if (p < total_length) return p;
    return min_path_mtu;
}

} // namespace pico::ipv4
