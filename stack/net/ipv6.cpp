// IPv6 host (RFC 8200, RFC 4291 addressing, RFC 8201 path MTU): input checks and the extension-header chain,
// addresses, routing with source selection, output with fragmentation.
#include "net/ipv6.hpp"
#include "core/bytes.hpp"
#include "link/device.hpp"
#include "link/ethernet.hpp"
#include "net/icmp6.hpp"
#include "net/ipv6_reassembly.hpp"
#include "net/mld.hpp"
#include "net/nd.hpp"
#include "net/slaac.hpp"
#include "port/platform.hpp"
#include "wire/ipv6.hpp"

namespace pico::ipv6 {

namespace {

// RFC 8200 4.1 lists at most six extension headers in a sensible packet (hop-by-hop, destination options,
// routing, fragment, AH/ESP, destination options); a chain longer than this is refused (CVE-2020-17444
// shape: chains that loop or never end cost O(bound), never more).
constexpr std::size_t max_extension_headers = 8;
constexpr std::size_t ethernet_header_len = 14;
// Hop-by-hop header carrying Router Alert (RFC 2711): Next Header, Hdr Ext Len 0, the 4-octet option, PadN 2.
constexpr std::size_t router_alert_header_len = 8;

bool valid_device(Stack& stack, IfIndex ifindex) {
    return ifindex < config::max_devices && device(stack, ifindex) != nullptr;
}

bool usable(const Address& a) {
    return a.state == AddrState::Preferred || a.state == AddrState::Deprecated;
}

bool is_ethernet(Stack& stack, IfIndex ifindex) {
    Device* dev = device(stack, ifindex);
    return dev != nullptr && dev->link_type() == LinkType::Ethernet;
}

// RFC 6724 3.1 scope of a unicast or multicast address.
std::uint8_t scope_of(const Ipv6Addr& a) {
    if (a.is_multicast()) return a.multicast_scope();
    if (a.is_loopback()) return 1;
    if (a.is_link_local()) return 2;
    return 14;
}

std::size_t common_prefix_len(const Ipv6Addr& a, const Ipv6Addr& b) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < 16; ++i) {
        std::uint8_t x = a.octets[i] ^ b.octets[i];
        if (x == 0) {
            n += 8;
            continue;
        }
        for (std::uint8_t bit = 0x80; bit != 0 && (x & bit) == 0; bit = static_cast<std::uint8_t>(bit >> 1))
            ++n;
        break;
    }
    return n;
}

// RFC 6724 5, simplified: is `a` a better source than `b` for `destination`? Rules 1 (same address),
// 2 (appropriate scope), 3 (avoid deprecated), 8 (longest matching prefix).
bool better_source(const Address& a, const Address& b, const Ipv6Addr& destination) {
    if (a.address == destination) return true;
    if (b.address == destination) return false;
    std::uint8_t sa = scope_of(a.address);
    std::uint8_t sb = scope_of(b.address);
    std::uint8_t sd = scope_of(destination);
    if (sa != sb) {
        if (sa < sb) return sa >= sd;
        return sb < sd;
    }
    if (a.state != b.state) return a.state == AddrState::Preferred;
    return common_prefix_len(a.address, destination) > common_prefix_len(b.address, destination);
}

Ipv6Addr select_source(Stack& stack, IfIndex ifindex, const Ipv6Addr& destination) {
    if (ifindex >= config::max_devices) return {};
    const Address* best = nullptr;
    for (const Address& a : state(stack).addresses[ifindex]) {
        if (!usable(a)) continue;
        if (best == nullptr || better_source(a, *best, destination)) best = &a;
    }
    return best != nullptr ? best->address : Ipv6Addr{};
}

// The only device attached, when a link-local or multicast destination comes without an interface.
IfIndex only_device(Stack& stack) {
    IfIndex found = no_interface;
    for (std::size_t i = 0; i < config::max_devices; ++i) {
        if (!valid_device(stack, static_cast<IfIndex>(i))) continue;
        if (found != no_interface) return no_interface;
        found = static_cast<IfIndex>(i);
    }
    return found;
}

// Longest connected prefix of our addresses (any state but Free) holding `destination`.
void connected_match(Stack& stack, const Ipv6Addr& destination, IfIndex only, IfIndex& best_ifindex,
                     int& best_len) {
    for (std::size_t i = 0; i < config::max_devices; ++i) {
        auto ifindex = static_cast<IfIndex>(i);
        if (!valid_device(stack, ifindex) || (only != no_interface && ifindex != only)) continue;
        for (const Address& a : state(stack).addresses[i]) {
            if (a.state == AddrState::Free || a.prefix_len == 128 ||
                static_cast<int>(a.prefix_len) <= best_len)
                continue;
            if (!a.address.same_prefix(destination, a.prefix_len)) continue;
            best_len = a.prefix_len;
            best_ifindex = ifindex;
        }
    }
}

RouteResult make_result(Stack& stack, IfIndex ifindex, const Ipv6Addr& next_hop,
                        const Ipv6Addr& destination) {
    RouteResult r;
    r.ifindex = ifindex;
    r.next_hop = next_hop;
    r.source = select_source(stack, ifindex, destination);
    r.mtu = path_mtu(stack, ifindex, destination);
    return r;
}

void join_link_groups(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    if constexpr (config::ethernet) {
        if (is_ethernet(stack, ifindex)) {
            ethernet::join_group(stack, ifindex, Ipv6Addr::all_nodes().multicast_mac());
            ethernet::join_group(stack, ifindex, address.solicited_node().multicast_mac());
        }
    }
    if constexpr (config::mld) mld::join(stack, ifindex, address.solicited_node());
}

void leave_link_groups(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    if constexpr (config::ethernet) {
        if (is_ethernet(stack, ifindex)) {
            ethernet::leave_group(stack, ifindex, Ipv6Addr::all_nodes().multicast_mac());
            ethernet::leave_group(stack, ifindex, address.solicited_node().multicast_mac());
        }
    }
    if constexpr (config::mld) mld::leave(stack, ifindex, address.solicited_node());
}

// Hands a finished packet (starting at its IPv6 header) to the link: RawIp devices take it as it is;
// Ethernet maps multicast to 33:33:xx (RFC 2464 7) and resolves unicast next hops through ND.
bool output(Stack& stack, IfIndex ifindex, const Ipv6Addr& next_hop, PacketBuf&& packet) {
    State& s = state(stack);
    if (!is_ethernet(stack, ifindex)) {
        ++s.counters.tx;
        return transmit(stack, ifindex, std::move(packet));
    }
    if constexpr (config::ethernet) {
        if (next_hop.is_multicast()) {
            ++s.counters.tx;
            return ethernet::send(stack, ifindex, next_hop.multicast_mac(), ethernet::type_ipv6,
                                  std::move(packet));
        }
    }
    if constexpr (config::nd) {
        ++s.counters.tx;
        return nd::send_ipv6(stack, ifindex, next_hop, std::move(packet));
    } else {
        (void)next_hop;
        (void)packet;
        s.counters.count_drop(Drop::Unresolved);
        return false;
    }
}

std::uint32_t fragment_identification(Stack& stack) {
    State& s = state(stack);
    if (!s.fragment_id_seeded) {
        s.next_fragment_id = platform(stack).random_u32();
        s.fragment_id_seeded = true;
    }
    return s.next_fragment_id++;
}

// RFC 8200 4.5: splits a packet (IPv6 header + unfragmentable part of `unfragmentable_len` octets, whose last
// Next Header field is at `nh_field`, then the fragmentable part) into fragments of at most `mtu` octets.
bool send_fragments(Stack& stack, IfIndex ifindex, const Ipv6Addr& next_hop, const PacketBuf& whole,
                    std::size_t unfragmentable_len, std::size_t nh_field, std::uint32_t mtu) {
    State& s = state(stack);
    Bytes all = whole.bytes();
    Bytes unfragmentable = all.first(unfragmentable_len);
    Bytes fragmentable = all.subspan(unfragmentable_len);
    std::size_t per_fragment = (mtu - unfragmentable_len - wire::ipv6::fragment_header_len) & ~std::size_t{7};
    if (per_fragment == 0) {
        s.counters.count_drop(Drop::TooBig);
        return false;
    }
    std::uint8_t first_nh = all[nh_field];
    std::uint32_t id = fragment_identification(stack);
    bool all_sent = true;
    for (std::size_t offset = 0; offset < fragmentable.size(); offset += per_fragment) {
        std::size_t len =
            fragmentable.size() - offset < per_fragment ? fragmentable.size() - offset : per_fragment;
        bool more = offset + len < fragmentable.size();
        auto frame = frames(stack).allocate(config::frame_headroom);
        std::size_t total = unfragmentable_len + wire::ipv6::fragment_header_len + len;
        if (!frame || frame->append(total) == nullptr) {
            s.counters.count_drop(Drop::PoolExhausted);
            return false;
        }
        std::uint8_t* p = frame->data();
        copy_bytes(p, unfragmentable.data(), unfragmentable_len);
        p[nh_field] = wire::ipv6::nh_fragment;
        store_be16(p + wire::ipv6::field::payload_length,
                   static_cast<std::uint16_t>(total - wire::ipv6::header_len));
        wire::ipv6::FragmentRepr fragment{first_nh, static_cast<std::uint16_t>(offset), more, id};
        fragment.emit(MutBytes{p + unfragmentable_len, wire::ipv6::fragment_header_len});
        copy_bytes(p + unfragmentable_len + wire::ipv6::fragment_header_len, fragmentable.data() + offset,
                   len);
        if (!output(stack, ifindex, next_hop, std::move(*frame))) all_sent = false;
    }
    return all_sent;
}

// Sends an ICMPv6 Parameter Problem about `packet` (which starts at its IPv6 header) when ICMPv6 is built.
void parameter_problem(Stack& stack, std::uint8_t code, const PacketBuf& packet, const RxMeta& meta,
                       std::size_t pointer, bool allow_multicast = false) {
    if constexpr (config::icmp6) {
        icmp6::send_error(stack, icmp6::type_parameter_problem, code, packet, meta,
                          static_cast<std::uint32_t>(pointer), allow_multicast);
    } else {
        (void)stack;
        (void)code;
        (void)packet;
        (void)meta;
        (void)pointer;
        (void)allow_multicast;
    }
}

// Does an upper-layer module take this Next Header? Anything else is answered with Parameter Problem code 1
// (RFC 8200 4, RFC 4443 3.4).
bool upper_layer_known(std::uint8_t next_header) {
    if (next_header == nh_icmp6) return config::icmp6;
    if (next_header == nh_udp) return config::udp;
    if (next_header == nh_tcp) return config::tcp;
    return false;
}

// The options of a hop-by-hop or destination options header (RFC 8200 4.2). False if the packet was
// discarded (counted, Parameter Problem sent as the action bits say). `header_at` is the header's offset in
// `packet`.
bool process_options(Stack& stack, const PacketBuf& packet, const RxMeta& meta,
                     const wire::ipv6::ExtHeader& ext, std::size_t header_at) {
    State& s = state(stack);
#if PICO_FUZZ_CANARIES
    // CVE-2020-17442 (picoTCP pico_ipv6_process_hopbyhop): the hop-by-hop walk kept the octets left in 8
    // bits, len = (Hdr Ext Len + 1) * 8 - 2, then len -= option length without checking it: an option longer
    // than what is left made len wrap, and the walk went on past the header and the packet.
    if (ext.type() == nh_hop_by_hop && canary::armed("ipv6-hbh-length-wrap")) {
        Bytes rest = packet.bytes().subspan(header_at + 2); // the options, then whatever follows them
        auto left = static_cast<std::uint8_t>(ext.length() - 2);
        for (std::size_t at = 0; left != 0;) { // each step advances at least one octet: bounded by the packet
            if (at >= rest.size()) canary::crash("ipv6-hbh-length-wrap"); // the option type octet
            if (rest[at] == 0) {
                ++at;
                --left;
                continue;
            }
            if (at + 1 >= rest.size()) canary::crash("ipv6-hbh-length-wrap"); // the option length octet
            const std::size_t option_len = std::size_t{rest[at + 1]} + 2;
            at += option_len;
            left = static_cast<std::uint8_t>(left - option_len);
        }
    }
#endif
    auto result = wire::ipv6::walk_options(ext.options(), ext.type() == nh_hop_by_hop);
    std::size_t pointer = header_at + 2 + result.offset;
    using Action = wire::ipv6::OptionsResult::Action;
    switch (result.action) {
    case Action::Accept:
        return true;
    case Action::Malformed:
        // An option whose length runs past its header: the header is erroneous (RFC 8200 4.2; the length
        // is never trusted beyond the header: CVE-2020-17442, CVE-2020-17445). Parameter Problem code 0
        // pointing at the option's length field.
        s.counters.count_drop(Drop::BadOption);
        parameter_problem(stack, icmp6::code_erroneous_header, packet, meta, pointer + 1);
        return false;
    case Action::Discard:
        s.counters.count_drop(Drop::UnknownOption);
        return false;
    case Action::DiscardReport:
        s.counters.count_drop(Drop::UnknownOption);
        parameter_problem(stack, icmp6::code_unrecognized_option, packet, meta, pointer, true);
        return false;
    case Action::DiscardReportUnicast:
        s.counters.count_drop(Drop::UnknownOption);
        if (!meta.ip_multicast)
            parameter_problem(stack, icmp6::code_unrecognized_option, packet, meta, pointer);
        return false;
    }
    return false;
}

} // namespace

// Input checks in order (RFC 8200 3 and 4); each drop counted with its reason.
void input(Stack& stack, PacketBuf&& packet, const RxMeta& meta_in) {
    State& s = state(stack);
    ++s.counters.rx;

    // View::parse: fewer than 40 octets -> Truncated; version != 6 -> BadVersion; Payload Length beyond the
    // frame -> BadLength. What follows the payload is link padding (Ethernet pads short frames).
    Drop why = Drop::Truncated;
    auto view = wire::ipv6::View::parse(packet.bytes(), &why);
    if (!view) {
        s.counters.count_drop(why);
        return;
    }
    packet.trim(view->bytes().size());

    Ipv6Addr source = view->source();
    Ipv6Addr destination = view->destination();
    // RFC 4291 2.7: a multicast address is never a source; RFC 4291 2.5.3: the loopback address never
    // arrives from a link (except a RawIp loopback device); RFC 4291 2.5.5.2 v4-mapped addresses are not on
    // the wire.
    Device* dev = device(stack, meta_in.ifindex);
    bool raw_ip = dev != nullptr && dev->link_type() == LinkType::RawIp;
    if (source.is_multicast() || source.is_v4_mapped() || destination.is_v4_mapped() ||
        destination.is_unspecified() || (!raw_ip && (source.is_loopback() || destination.is_loopback()))) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    // Destination: one of our addresses (weak host model, as for IPv4), or a group we listen to on the
    // receiving device. Tentative addresses are not ours yet (RFC 4862 5.4: ND handles the NS for them,
    // which arrive at the solicited-node group).
    bool multicast = destination.is_multicast();
    if (multicast) {
        if (!is_member(stack, meta_in.ifindex, destination)) {
            s.counters.count_drop(Drop::NotForUs);
            return;
        }
    } else if (!is_local_any(stack, destination) && !(raw_ip && destination.is_loopback())) {
        s.counters.count_drop(Drop::NotForUs);
        return;
    } else if (meta_in.link_broadcast || meta_in.link_multicast) {
        // A unicast destination in a link-layer broadcast or multicast frame (RFC 1122 3.3.6's rule, which
        // IPv6 hosts follow too): a correct sender never does this.
        s.counters.count_drop(Drop::LinkBroadcastUnicast);
        return;
    }
    // The hop limit is not checked for packets delivered to us (RFC 8200 3: it matters to forwarding nodes).

    RxMeta meta = meta_in;
    meta.ipv6 = true;
    meta.src6 = source;
    meta.dst6 = destination;
    meta.ttl = view->hop_limit();
    meta.tos = view->traffic_class();
    meta.ip_multicast = multicast;
    meta.ip_broadcast = false;
    meta.non_first_fragment = false;
    meta.l3_offset = static_cast<std::uint16_t>(packet.offset());
    meta.l3_header_len = static_cast<std::uint16_t>(wire::ipv6::header_len);

    // The extension-header chain (RFC 8200 4.1), walked with a bound. `at` is the offset of the current
    // header in the packet, `nh_field` the offset of the Next Header field that named it.
    std::uint8_t nh = view->next_header();
    std::size_t at = wire::ipv6::header_len;
    std::size_t nh_field = wire::ipv6::field::next_header;
    bool reassembled = false;
    for (std::size_t count = 0;; ++count) {
        if (!wire::ipv6::is_extension_header(nh) || nh == nh_auth) break; // upper layer (AH: not supported)
        if (count == max_extension_headers) {
            s.counters.count_drop(Drop::BadExtensionHeader);
            return;
        }
        // RFC 8200 4.1: hop-by-hop options only immediately after the IPv6 header; elsewhere it is an
        // unrecognised Next Header value (Parameter Problem code 1 at the field that named it).
        if (nh == nh_hop_by_hop && at != wire::ipv6::header_len) {
            s.counters.count_drop(Drop::BadExtensionHeader);
            parameter_problem(stack, icmp6::code_unrecognized_next_header, packet, meta, nh_field);
            return;
        }
        auto ext = wire::ipv6::ExtHeader::parse(nh, packet.bytes().subspan(at));
        if (!ext) {
            // The header runs past the payload: nothing after it can be trusted.
            s.counters.count_drop(Drop::Truncated);
            return;
        }
        switch (nh) {
        case nh_hop_by_hop:
        case nh_dest_options:
            if (!process_options(stack, packet, meta, *ext, at)) return;
            break;
        case nh_routing:
            // RFC 8200 4.4: Segments Left 0 -> ignore the header and go on. Otherwise we are not the final
            // destination of any routing type we know (a host forwards nothing; RFC 5095 deprecates type 0):
            // Parameter Problem code 0 pointing at the Routing Type field.
            if (ext->segments_left() != 0) {
                s.counters.count_drop(Drop::BadExtensionHeader);
                parameter_problem(stack, icmp6::code_erroneous_header, packet, meta, at + 2);
                return;
            }
            break;
        case nh_fragment:
            if constexpr (config::ipv6_reassembly) {
                if (reassembled) { // a fragment inside a reassembled packet
                    s.counters.count_drop(Drop::BadExtensionHeader);
                    return;
                }
                auto whole = ipv6_reassembly::input(stack, std::move(packet), at, meta);
                if (!whole) return;
                packet = std::move(*whole);
                reassembled = true;
                // The Fragment header is gone; the field that named it now names what followed it.
                nh = packet.bytes()[nh_field];
                --count;
                continue;
            } else {
                s.counters.count_drop(Drop::Fragment);
                return;
            }
        default:
            break;
        }
        nh = ext->next_header();
        nh_field = at;
        at += ext->length();
    }

    if (nh == nh_none) {
        // RFC 8200 4.7: nothing follows; anything after the header is ignored.
        s.counters.count_drop(Drop::NoNextHeader);
        return;
    }
    if (!upper_layer_known(nh)) {
        s.counters.count_drop(Drop::UnknownProtocol);
        parameter_problem(stack, icmp6::code_unrecognized_next_header, packet, meta, nh_field);
        return;
    }
    meta.l3_offset = static_cast<std::uint16_t>(packet.offset());
    meta.l3_header_len = static_cast<std::uint16_t>(at);
    packet.pull(at);
    deliver_ipv6_payload(stack, nh, std::move(packet), meta);
}

bool add_address(Stack& stack, IfIndex ifindex, const Ipv6Addr& address, std::uint8_t prefix_len,
                 AddrState initial, TimeMs preferred_until, TimeMs valid_until, bool autoconf) {
    // A unicast address (RFC 4291 2.5): not ::, ::1, multicast or v4-mapped.
    if (!valid_device(stack, ifindex) || prefix_len > 128 || initial == AddrState::Free ||
        address.is_unspecified() || address.is_loopback() || address.is_multicast() || address.is_v4_mapped())
        return false;
    auto& table = state(stack).addresses[ifindex];
    Address* slot = nullptr;
    for (Address& a : table) {
        if (a.state != AddrState::Free && a.address == address) {
            // Already there: new prefix and lifetimes, same state (DAD is not restarted).
            a.prefix_len = prefix_len;
            a.preferred_until = preferred_until;
            a.valid_until = valid_until;
            a.autoconf = autoconf;
            return true;
        }
        if (a.state == AddrState::Free && slot == nullptr) slot = &a;
    }
    if (slot == nullptr) return false;
    // Without SLAAC there is no DAD: the address is usable at once.
    AddrState first_state = initial;
    if (initial == AddrState::Tentative && !config::slaac) first_state = AddrState::Preferred;
    *slot = Address{address, prefix_len, first_state, autoconf, preferred_until, valid_until};
    // RFC 4291 2.8: a node listens to all-nodes and to the solicited-node group of each of its addresses
    // (tentative ones too: RFC 4862 5.4.2).
    join_link_groups(stack, ifindex, address);
    if constexpr (config::slaac) {
        if (first_state == AddrState::Tentative) slaac::start_dad(stack, ifindex, address);
    }
    return true;
}

bool remove_address(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    if (ifindex >= config::max_devices) return false;
    for (Address& a : state(stack).addresses[ifindex]) {
        if (a.state != AddrState::Free && a.address == address) {
            a = Address{};
            leave_link_groups(stack, ifindex, address);
            return true;
        }
    }
    return false;
}

Address* find_address(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    if (ifindex >= config::max_devices) return nullptr;
    for (Address& a : state(stack).addresses[ifindex])
        if (a.state != AddrState::Free && a.address == address) return &a;
    return nullptr;
}

std::optional<Ipv6Addr> link_local(Stack& stack, IfIndex ifindex) {
    if (ifindex >= config::max_devices) return std::nullopt;
    for (const Address& a : state(stack).addresses[ifindex])
        if (usable(a) && a.address.is_link_local()) return a.address;
    return std::nullopt;
}

bool add_route(Stack& stack, const Ipv6Addr& prefix, std::uint8_t prefix_len, const Ipv6Addr& gateway,
               IfIndex ifindex) {
    if (prefix_len > 128 || gateway.is_multicast()) return false;
    if (ifindex != no_interface && !valid_device(stack, ifindex)) return false;
    if (ifindex == no_interface && gateway.is_link_local())
        return false; // a link-local gateway needs a device
    Ipv6Addr masked{};
    for (std::size_t i = 0; i < 16; ++i) {
        std::size_t bits = prefix_len > i * 8 ? prefix_len - i * 8 : 0;
        auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : (0xff00u >> bits) & 0xffu);
        masked.octets[i] = static_cast<std::uint8_t>(prefix.octets[i] & mask);
    }
    Route* slot = nullptr;
    for (Route& r : state(stack).routes) {
        if (r.used && r.prefix == masked && r.prefix_len == prefix_len) {
            slot = &r;
            break;
        }
        if (!r.used && slot == nullptr) slot = &r;
    }
    if (slot == nullptr) return false;
    *slot = Route{masked, prefix_len, gateway, ifindex, true};
    return true;
}

bool remove_route(Stack& stack, const Ipv6Addr& prefix, std::uint8_t prefix_len) {
    if (prefix_len > 128) return false;
    for (Route& r : state(stack).routes) {
        if (r.used && r.prefix_len == prefix_len && r.prefix.same_prefix(prefix, prefix_len)) {
            r = Route{};
            return true;
        }
    }
    return false;
}

// Next-hop determination (RFC 4861 5.2), in this order: link-local and multicast destinations are on the
// link given (or the only device); a connected prefix of our addresses is on-link; a static route more
// specific than a default; what ND learnt (destination cache, prefix list, default routers); a static
// default route.
std::optional<RouteResult> route(Stack& stack, const Ipv6Addr& destination, IfIndex ifindex) {
    State& s = state(stack);
    if (ifindex != no_interface && !valid_device(stack, ifindex)) return std::nullopt;
    if (destination.is_unspecified()) return std::nullopt;
    if (destination.is_multicast() || destination.is_link_local()) {
        IfIndex out = ifindex != no_interface ? ifindex : only_device(stack);
        if (out == no_interface) return std::nullopt;
        return make_result(stack, out, destination, destination);
    }
    IfIndex connected = no_interface;
    int connected_len = -1;
    connected_match(stack, destination, ifindex, connected, connected_len);
    if (connected != no_interface) return make_result(stack, connected, destination, destination);

    const Route* best = nullptr;
    IfIndex best_ifindex = no_interface;
    for (const Route& r : s.routes) {
        if (!r.used || (best != nullptr && r.prefix_len <= best->prefix_len)) continue;
        if (!r.prefix.same_prefix(destination, r.prefix_len)) continue;
        IfIndex out = r.ifindex;
        if (out == no_interface) {
            int len = -1;
            connected_match(stack, r.gateway, no_interface, out, len);
        }
        if (!valid_device(stack, out) || (ifindex != no_interface && out != ifindex)) continue;
        best = &r;
        best_ifindex = out;
    }
    auto from_route = [&]() {
        Ipv6Addr next_hop = best->gateway.is_unspecified() ? destination : best->gateway;
        return make_result(stack, best_ifindex, next_hop, destination);
    };
    if (best != nullptr && best->prefix_len > 0) return from_route();
    if constexpr (config::nd) {
        auto hop = nd::next_hop(stack, destination, ifindex);
        if (hop && valid_device(stack, hop->ifindex))
            return make_result(stack, hop->ifindex, hop->next_hop, destination);
    }
    if (best != nullptr) return from_route();
    return std::nullopt;
}

void negative_advice(Stack& stack, const Ipv6Addr& destination) {
    auto hop = route(stack, destination);
    if (!hop) return;
    if constexpr (config::nd) {
        if (is_ethernet(stack, hop->ifindex)) nd::negative_advice(stack, hop->ifindex, hop->next_hop);
    }
}

bool is_local(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    if (ifindex >= config::max_devices) return false;
    for (const Address& a : state(stack).addresses[ifindex])
        if (usable(a) && a.address == address) return true;
    return false;
}

bool is_local_any(Stack& stack, const Ipv6Addr& address) {
    for (std::size_t i = 0; i < config::max_devices; ++i)
        if (is_local(stack, static_cast<IfIndex>(i), address)) return true;
    return false;
}

bool is_member(Stack& stack, IfIndex ifindex, const Ipv6Addr& group) {
    if (ifindex >= config::max_devices || !group.is_multicast()) return false;
    bool any_address = false;
    for (const Address& a : state(stack).addresses[ifindex]) {
        if (a.state == AddrState::Free) continue;
        any_address = true;
        if (a.address.solicited_node() == group) return true;
    }
    if (any_address && group == Ipv6Addr::all_nodes()) return true;
    if constexpr (config::mld) return mld::is_member(stack, ifindex, group);
    return false;
}

std::uint32_t path_mtu(Stack& stack, IfIndex ifindex, const Ipv6Addr& destination) {
    State& s = state(stack);
    std::uint32_t link = min_mtu;
    if (ifindex < config::max_devices) {
        Device* dev = device(stack, ifindex);
        if (dev != nullptr) link = dev->mtu();
        if (s.link_mtu[ifindex] != 0 && s.link_mtu[ifindex] < link) link = s.link_mtu[ifindex];
    }
    if (link < min_mtu) link = min_mtu; // RFC 8200 5: a link that cannot carry 1280 octets is not IPv6's
    TimeMs t = now(stack);
    for (const PmtuEntry& e : s.pmtu) {
        if (e.mtu == 0 || e.destination != destination) continue;
        if (t - e.learnt >= pmtu_lifetime_ms) continue; // aged (tick frees it)
        return e.mtu < link ? e.mtu : link;
    }
    return link;
}

void update_path_mtu(Stack& stack, const Ipv6Addr& destination, std::uint32_t mtu) {
    State& s = state(stack);
    // RFC 8201 4: never below the IPv6 minimum link MTU; RFC 8201 4: never increased by a Packet Too Big.
    if (mtu < min_mtu) mtu = min_mtu;
    TimeMs t = now(stack);
    PmtuEntry* slot = nullptr;
    for (PmtuEntry& e : s.pmtu) {
        if (e.mtu != 0 && e.destination == destination && t - e.learnt < pmtu_lifetime_ms) {
            if (mtu >= e.mtu) return;
            e.mtu = mtu;
            e.learnt = t;
            return;
        }
    }
    for (PmtuEntry& e : s.pmtu) {
        if (e.mtu == 0 || t - e.learnt >= pmtu_lifetime_ms || e.destination == destination) {
            slot = &e;
            break;
        }
        if (slot == nullptr || e.learnt < slot->learnt) slot = &e; // oldest, replaced when all are in use
    }
    if (slot == nullptr) return;
    *slot = PmtuEntry{destination, mtu, t};
}

bool send(Stack& stack, const SendParams& params, PacketBuf&& payload) {
    State& s = state(stack);
    const Ipv6Addr& destination = params.destination;
    if (destination.is_unspecified() || destination.is_v4_mapped()) {
        s.counters.count_drop(Drop::BadAddress);
        return false;
    }
    auto hop = route(stack, destination, params.ifindex);
    if (!hop) {
        s.counters.count_drop(Drop::NoRoute);
        return false;
    }
    // Source: the caller's (one of ours: RFC 4862 5.4 excludes tentative ones), or :: as is when the caller
    // allows it (DAD probes, RFC 4862 5.4.2, even with other addresses up; RS and MLD reports before an
    // address exists), else the route's choice.
    const bool keep_unspecified = params.allow_unspecified_source && params.source.is_unspecified();
    const Ipv6Addr source = params.source.is_unspecified() && !keep_unspecified ? hop->source : params.source;
    if (!params.source.is_unspecified() && !is_local_any(stack, params.source)) {
        s.counters.count_drop(Drop::BadAddress);
        return false;
    }
    if (source.is_unspecified() && !keep_unspecified) {
        s.counters.count_drop(Drop::BadAddress);
        return false;
    }

    bool ethernet = is_ethernet(stack, hop->ifindex);
    std::size_t header_len = wire::ipv6::header_len + (params.router_alert ? router_alert_header_len : 0);
    std::size_t total = header_len + payload.size();
    if (total - wire::ipv6::header_len > wire::ipv6::max_payload_len) {
        s.counters.count_drop(Drop::TooBig);
        return false;
    }
    std::size_t needed = header_len + (ethernet ? ethernet_header_len : 0);
    if (payload.headroom() < needed) {
        auto fresh = frames(stack).allocate_copy(payload.bytes(), config::frame_headroom);
        if (!fresh) {
            s.counters.count_drop(Drop::PoolExhausted);
            return false;
        }
        payload = std::move(*fresh);
    }
    std::uint8_t next_header = params.next_header;
    if (params.router_alert) {
        // RFC 2711: hop-by-hop options with Router Alert (value 0: MLD, RFC 3810 5) and PadN to 8 octets.
        std::uint8_t* h = payload.push(router_alert_header_len);
        if (h == nullptr) {
            s.counters.count_drop(Drop::PoolExhausted);
            return false;
        }
        h[0] = next_header;
        h[1] = 0;
        h[2] = wire::ipv6::option_router_alert;
        h[3] = 2;
        store_be16(h + 4, wire::ipv6::router_alert_mld);
        h[6] = wire::ipv6::option_padn;
        h[7] = 0;
        next_header = nh_hop_by_hop;
    }
    wire::ipv6::Repr header;
    header.source = source;
    header.destination = destination;
    header.next_header = next_header;
    // RFC 4291 / RFC 3810: link-scope multicast defaults to hop limit 1; unicast uses Cur Hop Limit.
    header.hop_limit = params.hop_limit != 0        ? params.hop_limit
                       : destination.is_multicast() ? std::uint8_t{1}
                                                    : (s.hop_limit != 0 ? s.hop_limit : default_hop_limit);
    header.traffic_class = params.traffic_class;
    header.payload_len = static_cast<std::uint16_t>(payload.size());
    std::uint8_t* h = payload.push(wire::ipv6::header_len);
    if (h == nullptr || !header.emit(MutBytes{h, wire::ipv6::header_len})) {
        s.counters.count_drop(Drop::PoolExhausted);
        return false;
    }
    if (total <= hop->mtu) return output(stack, hop->ifindex, hop->next_hop, std::move(payload));
    // RFC 8200 4.5 / 5: larger than the path MTU. Fragment at the source unless the caller sizes its own
    // packets (TCP by the MSS).
    if (params.dont_fragment) {
        s.counters.count_drop(Drop::TooBig);
        return false;
    }
    std::size_t nh_field = params.router_alert ? wire::ipv6::header_len : wire::ipv6::field::next_header;
    return send_fragments(stack, hop->ifindex, hop->next_hop, payload, header_len, nh_field, hop->mtu);
}

void tick(Stack& stack, TimeMs t) {
    State& s = state(stack);
    for (PmtuEntry& e : s.pmtu)
        if (e.mtu != 0 && t - e.learnt >= pmtu_lifetime_ms) e = PmtuEntry{};
    // RFC 4862 5.5.4: an address whose preferred lifetime ends becomes deprecated; whose valid lifetime
    // ends, is removed.
    for (std::size_t i = 0; i < config::max_devices; ++i) {
        for (Address& a : s.addresses[i]) {
            if (a.state == AddrState::Free) continue;
            if (a.valid_until != 0 && t >= a.valid_until) {
                remove_address(stack, static_cast<IfIndex>(i), Ipv6Addr{a.address});
                continue;
            }
            if (a.state == AddrState::Preferred && a.preferred_until != 0 && t >= a.preferred_until)
                a.state = AddrState::Deprecated;
        }
    }
}

} // namespace pico::ipv6
