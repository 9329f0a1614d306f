// Neighbor Discovery for IPv6 over Ethernet (RFC 4861).
//
// Input: every message is validated as sections 6.1 / 7.1 / 8.1 ask (hop limit 255, code 0, length, options
// of non-zero length, per-type address rules) before it may change anything; then NS (7.2.3), NA (7.2.5), RA
// (6.3.4) and Redirect (8.3) update the neighbor cache, the default router list, the prefix list and the
// destination cache. A Router Solicitation is never answered by a host (6.2.6).
//
// Output: send_ipv6() resolves a next hop with the NUD state machine of 7.3.3 / Appendix C; tick() drives
// its timers (INCOMPLETE retransmissions, REACHABLE -> STALE, DELAY -> PROBE, PROBE retransmissions), the
// router and prefix lifetimes and the Router Solicitations of 6.3.7. ND messages go out through
// icmp6::send with hop limit 255.
#include "net/nd.hpp"
#include "core/bytes.hpp"
#include "link/device.hpp"
#include "link/ethernet.hpp"
#include "net/icmp6.hpp"
#include "net/ipv6.hpp"
#include "net/slaac.hpp"
#include "port/platform.hpp"
#include "wire/icmp6.hpp"
#include "wire/ipv6.hpp"
#include "wire/nd.hpp"

namespace pico::nd {

namespace {

namespace w = wire::nd;

// Where the source address sits in an IPv6 header (RFC 8200 3).
constexpr std::size_t ipv6_source_offset = 8;
constexpr std::size_t ipv6_header_len = 40;

bool valid_device(Stack& stack, IfIndex ifindex) {
    return ifindex < config::max_devices && device(stack, ifindex) != nullptr;
}

Link& link_of(State& s, IfIndex ifindex) {
    return s.links[ifindex < config::max_devices ? ifindex : 0];
}

// RFC 4861 6.3.2: ReachableTime is a uniformly distributed random value between MIN_RANDOM_FACTOR (0.5) and
// MAX_RANDOM_FACTOR (1.5) times BaseReachableTime.
void choose_reachable(Stack& stack, Link& link) {
    const std::uint32_t base = link.base_reachable_ms;
    link.reachable_ms = base / 2 + platform(stack).random_u32() % (base + 1);
    link.reachable_chosen = true;
}

std::uint32_t reachable_of(Stack& stack, IfIndex ifindex) {
    Link& link = link_of(state(stack), ifindex);
    if (!link.reachable_chosen) choose_reachable(stack, link);
    return link.reachable_ms;
}

Neighbor* find(State& s, IfIndex ifindex, const Ipv6Addr& ip) {
    for (Neighbor& n : s.neighbors)
        if (n.state != NeighborState::Free && n.ifindex == ifindex && n.ip == ip) return &n;
    return nullptr;
}

bool is_default_router(const State& s, const Neighbor& n) {
    for (const Router& r : s.routers)
        if (r.ifindex == n.ifindex && r.address == n.ip) return true;
    return false;
}

// Eviction order (nd.hpp): lower is evicted first. Only routers of the Default Router List are spared
// (a flood of RAs with Router Lifetime 0 marks its senders IsRouter but cannot protect them).
int eviction_rank(const State& s, const Neighbor& n) {
    int rank = 0;
    switch (n.state) {
    case NeighborState::Stale:
        rank = 0;
        break;
    case NeighborState::Probe:
        rank = 1;
        break;
    case NeighborState::Delay:
        rank = 2;
        break;
    case NeighborState::Reachable:
        rank = 3;
        break;
    default:
        return -1; // Free / Incomplete: not candidates
    }
    return is_default_router(s, n) ? rank + 10 : rank;
}

// A free entry, or the least useful one reused (nd.hpp). nullptr when every entry is INCOMPLETE.
Neighbor* allocate(State& s) {
    Neighbor* victim = nullptr;
    int victim_rank = 0;
    for (Neighbor& n : s.neighbors) {
        if (n.state == NeighborState::Free) return &n;
        const int rank = eviction_rank(s, n);
        if (rank < 0) continue;
        if (victim == nullptr || rank < victim_rank || (rank == victim_rank && n.updated < victim->updated)) {
            victim = &n;
            victim_rank = rank;
        }
    }
    if (victim != nullptr) {
        *victim = Neighbor{};
        ++s.evictions;
    }
    return victim;
}

void set_state(Neighbor& n, NeighborState st, TimeMs t, TimeMs deadline = 0) {
    n.state = st;
    n.updated = t;
    n.deadline = deadline;
}

// One of our usable addresses on a device for the source of an NS or RS: `hint` when it is ours, else the
// link-local address, else any Preferred/Deprecated address. nullopt when the device has none.
std::optional<Ipv6Addr> source_for(Stack& stack, IfIndex ifindex, const Ipv6Addr* hint) {
    if (hint != nullptr && ipv6::is_local(stack, ifindex, *hint)) return *hint;
    if (auto ll = ipv6::link_local(stack, ifindex)) return ll;
    if (ifindex >= config::max_devices) return std::nullopt;
    for (const ipv6::Address& a : ipv6::state(stack).addresses[ifindex])
        if (a.state == ipv6::AddrState::Preferred || a.state == ipv6::AddrState::Deprecated) return a.address;
    return std::nullopt;
}

// Builds an ND message from a repr and sends it with hop limit 255 (RFC 4861 6.1, 7.1, 8.1 ask receivers to
// check it, so every ND message we send carries it). Counted in tx when IPv6 took it.
template <class Repr>
bool send_message(Stack& stack, IfIndex ifindex, const Ipv6Addr& source, const Ipv6Addr& destination,
                  const Repr& repr) {
    State& s = state(stack);
    auto frame = frames(stack).allocate(config::frame_headroom);
    if (!frame) {
        s.counters.count_drop(Drop::PoolExhausted);
        return false;
    }
    std::uint8_t* body = frame->append(repr.buffer_len());
    if (body == nullptr || !repr.emit({body, repr.buffer_len()})) {
        s.counters.count_drop(Drop::PoolExhausted);
        return false;
    }
    // From :: (a DAD probe, RFC 4862 5.4.2; an RS before any address, RFC 4861 6.3.7): sent as is, even
    // when the device has other addresses.
    if (!icmp6::send(stack, source, destination, ifindex, nd_hop_limit, std::move(*frame),
                     source.is_unspecified()))
        return false;
    ++s.counters.tx;
    return true;
}

std::optional<MacAddr> our_mac(Stack& stack, IfIndex ifindex) {
    const Device* dev = device(stack, ifindex);
    if (dev == nullptr) return std::nullopt;
    return dev->mac();
}

// NS for address resolution (multicast to the solicited-node group) or NUD (unicast to the neighbour).
void solicit(Stack& stack, Neighbor& n, bool multicast) {
    const Ipv6Addr* hint = nullptr;
    Ipv6Addr pending_source{};
    const PacketBuf* newest = n.pending.newest();
    if (newest != nullptr && newest->size() >= ipv6_header_len) {
        // RFC 4861 7.2.2: the source of the packet prompting the solicitation, when it is ours.
        pending_source = Ipv6Addr::load(newest->data() + ipv6_source_offset);
        hint = &pending_source;
    }
    auto source = source_for(stack, n.ifindex, hint);
    if (!source) {
        state(stack).counters.count_drop(Drop::NoRoute); // no address to solicit from
        return;
    }
    send_solicitation(stack, n.ifindex, *source, multicast ? n.ip.solicited_node() : n.ip, n.ip);
}

// Sends a packet to a resolved neighbour; sending to a STALE entry starts the DELAY timer (7.3.3).
bool transmit_to(Stack& stack, Neighbor& n, PacketBuf&& packet) {
    if (n.state == NeighborState::Stale)
        set_state(n, NeighborState::Delay, now(stack), now(stack) + delay_first_probe_time_ms);
    return ethernet::send(stack, n.ifindex, n.mac, ethernet::type_ipv6, std::move(packet));
}

// 7.2.5: the queued packets leave, oldest first (the fragments of a packet in order).
void release_pending(Stack& stack, Neighbor& n) {
    State& s = state(stack);
    for (std::size_t i = n.pending.size(); i > 0; --i) {
        auto packet = n.pending.pop();
        if (!packet) break;
        --s.queued;
        transmit_to(stack, n, std::move(*packet));
    }
}

// Frees an entry; each packet still queued on it is dropped and counted with `why`.
void free_neighbor(State& s, Neighbor& n, Drop why) {
    for (std::size_t i = n.pending.size(); i > 0; --i)
        s.counters.count_drop(why);
    s.queued = static_cast<std::uint16_t>(s.queued - n.pending.clear());
    n = Neighbor{};
}

// 7.2.2: queues a packet for an INCOMPLETE entry; when its queue (or all the queues together) is full the
// oldest packet is dropped (QueueFull) so that the newest is kept.
void enqueue(State& s, Neighbor& n, PacketBuf&& packet) {
    if (n.pending.full()) {
        n.pending.pop();
        --s.queued;
        s.counters.count_drop(Drop::QueueFull);
    } else if (s.queued >= queue_limit) {
        Neighbor* longest = nullptr;
        for (Neighbor& m : s.neighbors)
            if (m.pending.size() > 0 && (longest == nullptr || m.pending.size() > longest->pending.size()))
                longest = &m;
        if (longest != nullptr) {
            longest->pending.pop();
            --s.queued;
            s.counters.count_drop(Drop::QueueFull);
        }
    }
    if (n.pending.push(std::move(packet))) ++s.queued;
}

void fail_resolution(Stack& stack, Neighbor& n) {
    State& s = state(stack);
    PacketQueue<config::nd_queue_per_entry> failed;
    for (std::size_t i = n.pending.size(); i > 0; --i) {
        auto packet = n.pending.pop();
        if (!packet) break;
        --s.queued;
        failed.push(std::move(*packet));
    }
    n = Neighbor{};
    for (std::size_t i = failed.size(); i > 0; --i) {
        auto packet = failed.pop();
        if (!packet) break;
        s.counters.count_drop(Drop::Unresolved);
        deliver_icmp6_error(stack, icmp6::type_dest_unreachable, icmp6::code_address_unreachable,
                            packet->bytes());
    }
}

void remove_redirects_via(State& s, IfIndex ifindex, const Ipv6Addr& router) {
    for (Redirect& r : s.redirects)
        if (r.ifindex == ifindex && r.target == router && r.target != r.destination) r = Redirect{};
}

// RFC 4861 6.3.5 / 7.2.5: a router leaves the Default Router List; destinations redirected to it
// determine their next hop again.
void remove_router(State& s, IfIndex ifindex, const Ipv6Addr& address) {
    for (Router& r : s.routers)
        if (r.ifindex == ifindex && r.address == address) r = Router{};
    remove_redirects_via(s, ifindex, address);
}

// A link-layer address learnt from an NS, RA or Redirect (7.2.3, 6.3.4, 8.3, Appendix C): a new entry is
// STALE; an INCOMPLETE one records the address, becomes STALE and sends its queued packet; a different
// address replaces the cached one and makes the entry STALE; the same address changes nothing.
Neighbor* learn(Stack& stack, IfIndex ifindex, const Ipv6Addr& ip, const MacAddr& mac) {
    State& s = state(stack);
    const TimeMs t = now(stack);
    Neighbor* n = find(s, ifindex, ip);
    if (n == nullptr) {
        n = allocate(s);
        if (n == nullptr) {
            s.counters.count_drop(Drop::PoolExhausted); // every entry is resolving: the mapping is not kept
            return nullptr;
        }
        n->ifindex = ifindex;
        n->ip = ip;
        n->mac = mac;
        set_state(*n, NeighborState::Stale, t);
        return n;
    }
    if (n->state == NeighborState::Incomplete) {
        n->mac = mac;
        n->probes = 0;
        set_state(*n, NeighborState::Stale, t);
        release_pending(stack, *n);
        return n;
    }
    if (n->mac != mac) {
        n->mac = mac;
        n->probes = 0;
        set_state(*n, NeighborState::Stale, t);
    }
    return n;
}

bool has_address(const ipv6::Address* a) {
    return a != nullptr && a->state != ipv6::AddrState::Free;
}

void dad_conflict(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    if constexpr (config::slaac) {
        slaac::on_dad_conflict(stack, ifindex, address);
    } else {
        state(stack).counters.count_drop(Drop::Conflict);
    }
}

// RFC 4861 7.1.1 validation, then 7.2.3 / 7.2.4 (and RFC 4862 5.4.3 for a tentative target).
void neighbor_solicitation(Stack& stack, const w::View& ns, const RxMeta& meta) {
    State& s = state(stack);
    const Ipv6Addr target = ns.target();
    if (target.is_multicast()) {
        s.counters.count_drop(Drop::BadAddress); // 7.1.1: Target Address is not a multicast address
        return;
    }
    const bool from_dad = meta.src6.is_unspecified();
    const auto source_lla = ns.source_lla();
    if (from_dad) {
        // 7.1.1: from the unspecified address, the destination is a solicited-node multicast address and
        // there is no Source Link-Layer Address option.
        if (meta.dst6 != meta.dst6.solicited_node()) {
            s.counters.count_drop(Drop::BadAddress);
            return;
        }
        if (ns.has_option(w::opt_source_lla)) {
            s.counters.count_drop(Drop::BadOption);
            return;
        }
    }
    ipv6::Address* ours = ipv6::find_address(stack, meta.ifindex, target);
    if (!has_address(ours)) {
        s.counters.count_drop(Drop::NotForUs); // 7.2.3: the target is not one of our addresses
        return;
    }
    if (ours->state == ipv6::AddrState::Tentative) {
        // RFC 4862 5.4.3: a DAD probe for our tentative address means somebody else wants it too; an NS
        // from a unicast source is not answered while the address is tentative.
        if (from_dad) {
            dad_conflict(stack, meta.ifindex, target);
        } else {
            s.counters.count_drop(Drop::NotForUs);
        }
        return;
    }
    if (!from_dad && source_lla) learn(stack, meta.ifindex, meta.src6, *source_lla);
    auto mac = our_mac(stack, meta.ifindex);
    if (!mac) {
        s.counters.count_drop(Drop::NoDevice);
        return;
    }
    // 7.2.4: answer from the target, to the solicitor (all-nodes for a DAD probe, then S = 0), with our
    // link-layer address in a Target Link-Layer Address option and Override set (not an anycast address);
    // a host never sets R.
    w::NaRepr na{false, !from_dad, true, target, *mac};
    send_message(stack, meta.ifindex, target, from_dad ? Ipv6Addr::all_nodes() : meta.src6, na);
}

// RFC 4861 7.1.2 validation, then 7.2.5 (and RFC 4862 5.4.4 for a tentative target).
void neighbor_advertisement(Stack& stack, const w::View& na, const RxMeta& meta) {
    State& s = state(stack);
    const Ipv6Addr target = na.target();
    if (target.is_multicast()) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    if (meta.dst6.is_multicast() && na.solicited_flag()) {
        s.counters.count_drop(Drop::BadFlags); // 7.1.2: S must be 0 when the destination is multicast
        return;
    }
    ipv6::Address* ours = ipv6::find_address(stack, meta.ifindex, target);
    if (has_address(ours)) {
        if (ours->state == ipv6::AddrState::Tentative) {
            dad_conflict(stack, meta.ifindex, target); // RFC 4862 5.4.4
        } else {
            s.counters.count_drop(Drop::Conflict); // somebody else claims a valid address of ours
        }
        return;
    }
    Neighbor* n = find(s, meta.ifindex, target);
    if (n == nullptr) {
        s.counters.count_drop(Drop::NotForUs); // 7.2.5: no entry, nothing to update, none created
        return;
    }
    const TimeMs t = now(stack);
    const auto tlla = na.target_lla();
    if (n->state == NeighborState::Incomplete) {
        if (!tlla) {
            s.counters.count_drop(Drop::BadOption); // 7.2.5: no Target Link-Layer Address: discard
            return;
        }
        n->mac = *tlla;
        n->probes = 0;
        if (na.solicited_flag()) {
            set_state(*n, NeighborState::Reachable, t, t + reachable_of(stack, n->ifindex));
        } else {
            set_state(*n, NeighborState::Stale, t);
        }
        n->is_router = na.router_flag();
        release_pending(stack, *n);
        return;
    }
    const bool differs = tlla && *tlla != n->mac;
    if (!na.override_flag() && differs) {
        // 7.2.5 (a): a REACHABLE entry becomes STALE, nothing else changes; (b) otherwise ignored.
        if (n->state == NeighborState::Reachable) set_state(*n, NeighborState::Stale, t);
        return;
    }
    if (differs) n->mac = *tlla;
    if (na.solicited_flag()) {
        n->probes = 0;
        set_state(*n, NeighborState::Reachable, t, t + reachable_of(stack, n->ifindex));
    } else if (differs) {
        set_state(*n, NeighborState::Stale, t);
    }
    // 7.2.5: IsRouter follows the R flag; a router that became a host leaves the Default Router List.
    if (n->is_router && !na.router_flag()) remove_router(s, n->ifindex, n->ip);
    n->is_router = na.router_flag();
}

Router* find_router(State& s, IfIndex ifindex, const Ipv6Addr& address) {
    for (Router& r : s.routers)
        if (r.ifindex == ifindex && r.address == address) return &r;
    return nullptr;
}

Prefix* find_prefix(State& s, IfIndex ifindex, const Ipv6Addr& prefix, std::uint8_t len) {
    for (Prefix& p : s.prefixes)
        if (p.ifindex == ifindex && p.prefix_len == len && p.prefix.same_prefix(prefix, len)) return &p;
    return nullptr;
}

// RFC 4861 6.3.4 for one Prefix Information option.
void prefix_information(Stack& stack, IfIndex ifindex, const w::PrefixInfo& info) {
    State& s = state(stack);
    // 6.3.4: the link-local prefix is ignored for on-link determination (SLAAC ignores it too, RFC 4862
    // 5.5.3 (b), and counts it).
    if (info.on_link && !info.prefix.is_link_local() && info.prefix_len <= 128) {
        const TimeMs t = now(stack);
        Prefix* p = find_prefix(s, ifindex, info.prefix, info.prefix_len);
        if (info.valid_lifetime == 0) {
            if (p != nullptr) *p = Prefix{}; // times out at once
        } else {
            if (p == nullptr) {
                // A new on-link prefix takes a free entry; the per-device share keeps one device's RAs
                // from filling the list of another.
                std::size_t on_device = 0;
                for (Prefix& q : s.prefixes) {
                    if (q.ifindex == ifindex) ++on_device;
                    if (p == nullptr && q.ifindex == no_interface) p = &q;
                }
                if (on_device >= config::nd_prefixes) p = nullptr;
                if (p == nullptr) s.counters.count_drop(Drop::PoolExhausted);
            }
            if (p != nullptr) {
                p->ifindex = ifindex;
                p->prefix = info.prefix;
                p->prefix_len = info.prefix_len;
                p->infinite = info.valid_lifetime == 0xffffffffu;
                p->expires = t + TimeMs{info.valid_lifetime} * 1000;
            }
        }
    }
    if constexpr (config::slaac) {
        if (info.autonomous)
            slaac::on_prefix(stack, ifindex, info.prefix, info.prefix_len, info.valid_lifetime,
                             info.preferred_lifetime);
    }
}

// RFC 4861 6.1.2 validation (source link-local; hop limit, code, length and options checked by the caller),
// then 6.3.4.
void router_advertisement(Stack& stack, const w::View& ra, const RxMeta& meta) {
    State& s = state(stack);
    if (!meta.src6.is_link_local()) {
        s.counters.count_drop(Drop::BadAddress); // 6.1.2: the IP Source Address is link-local
        return;
    }
    const IfIndex ifindex = meta.ifindex;
    const TimeMs t = now(stack);
    Link& link = link_of(s, ifindex);
    // Source Link-Layer Address: record it (STALE when new or changed) and mark the sender a router.
    if (auto lla = ra.source_lla()) {
        if (Neighbor* n = learn(stack, ifindex, meta.src6, *lla)) n->is_router = true;
    } else if (Neighbor* n = find(s, ifindex, meta.src6)) {
        n->is_router = true;
    }
    if (ra.cur_hop_limit() != 0) ipv6::state(stack).hop_limit = ra.cur_hop_limit();
    // Default router list.
    Router* router = find_router(s, ifindex, meta.src6);
    if (ra.router_lifetime() == 0) {
        if (router != nullptr) remove_router(s, ifindex, meta.src6);
    } else {
        link.rs_left = 0; // 6.3.7: a valid RA with a non-zero Router Lifetime ends the solicitations
        if (router == nullptr) {
            for (Router& r : s.routers) {
                if (r.ifindex == no_interface) {
                    router = &r;
                    break;
                }
            }
            if (router == nullptr)
                s.counters.count_drop(Drop::PoolExhausted); // list full: known routers stay
        }
        if (router != nullptr) {
            router->ifindex = ifindex;
            router->address = meta.src6;
            router->expires = t + TimeMs{ra.router_lifetime()} * 1000;
        }
    }
    if (ra.reachable_time() != 0) {
        std::uint32_t base = ra.reachable_time();
        if (base > max_reachable_time_ms) base = max_reachable_time_ms;
        if (base != link.base_reachable_ms || !link.reachable_chosen) {
            link.base_reachable_ms = base;
            choose_reachable(stack, link);
        }
    }
    if (ra.retrans_timer() != 0) link.retrans_ms = ra.retrans_timer();
    if (auto mtu = w::find_mtu(ra.options())) {
        // 6.3.4: believed when at least the IPv6 minimum and not above the link's own MTU.
        const Device* dev = device(stack, ifindex);
        if (dev != nullptr && *mtu >= ipv6::min_mtu && *mtu <= dev->mtu() && ifindex < config::max_devices)
            ipv6::state(stack).link_mtu[ifindex] = static_cast<std::uint16_t>(*mtu);
    }
    w::OptionIter it(ra.options());
    while (auto option = it.next()) {
        if (option->type != w::opt_prefix_info) continue;
        if (auto info = w::PrefixInfo::parse(*option)) prefix_information(stack, ifindex, *info);
    }
}

// RFC 4861 8.1 validation, then 8.3.
void redirect(Stack& stack, const w::View& rd, const RxMeta& meta) {
    State& s = state(stack);
    const IfIndex ifindex = meta.ifindex;
    const Ipv6Addr target = rd.target();
    const Ipv6Addr destination = rd.destination();
    if (!meta.src6.is_link_local() || destination.is_multicast() ||
        (!target.is_link_local() && target != destination)) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    // 8.1: the source is the first-hop router we use for the destination now.
    std::optional<Ipv6Addr> first_hop;
    if (auto hop = next_hop(stack, destination, ifindex)) {
        if (hop->ifindex == ifindex) first_hop = hop->next_hop;
    } else if (auto route = ipv6::route(stack, destination, ifindex)) {
        if (route->ifindex == ifindex) first_hop = route->next_hop;
    }
    if (!first_hop || *first_hop != meta.src6) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    const TimeMs t = now(stack);
    Redirect* slot = nullptr;
    for (Redirect& r : s.redirects) {
        if (r.ifindex == ifindex && r.destination == destination) {
            slot = &r;
            break;
        }
    }
    if (slot == nullptr) {
        for (Redirect& r : s.redirects) {
            if (r.ifindex == no_interface) {
                slot = &r;
                break;
            }
            if (slot == nullptr || r.learnt < slot->learnt) slot = &r;
        }
    }
    if (slot != nullptr) *slot = Redirect{ifindex, destination, target, t};
    Neighbor* n = nullptr;
    if (auto lla = rd.target_lla()) {
        n = learn(stack, ifindex, target, *lla);
    } else {
        n = find(s, ifindex, target);
    }
    // 8.3: a target other than the destination is a router; target == destination is an on-link host.
    if (n != nullptr && target != destination) n->is_router = true;
}

// RFC 4861 6.3.6.
std::optional<NextHop> default_router(State& s, IfIndex ifindex) {
    const Router* stale = nullptr;
    for (const Router& r : s.routers) {
        if (r.ifindex == no_interface || (ifindex != no_interface && r.ifindex != ifindex)) continue;
        const Neighbor* n = find(s, r.ifindex, r.address);
        if (n == nullptr || n->state == NeighborState::Incomplete) continue;
        if (n->state == NeighborState::Reachable) return NextHop{r.ifindex, r.address};
        if (stale == nullptr) stale = &r;
    }
    if (stale != nullptr) return NextHop{stale->ifindex, stale->address};
    // None known reachable: round robin, so that the next request returns another router.
    const std::size_t count = s.routers.size();
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t at = (s.next_router + i) % count;
        const Router& r = s.routers[at];
        if (r.ifindex == no_interface || (ifindex != no_interface && r.ifindex != ifindex)) continue;
        s.next_router = static_cast<std::uint8_t>((at + 1) % count);
        return NextHop{r.ifindex, r.address};
    }
    return std::nullopt;
}

} // namespace

void input(Stack& stack, PacketBuf&& message, const RxMeta& meta) {
    State& s = state(stack);
    ++s.counters.rx;
    Drop why = Drop::Truncated;
    auto view = w::View::parse(message.bytes(), &why);
    if (!view) {
        s.counters.count_drop(why);
        return;
    }
    if (!valid_device(stack, meta.ifindex)) {
        s.counters.count_drop(Drop::NoDevice);
        return;
    }
    // RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1: the IP Hop Limit is 255 (the message cannot have been
    // forwarded by a router: it comes from the link) and the ICMP Code is 0.
    if (meta.ttl != nd_hop_limit) {
        s.counters.count_drop(Drop::BadHopLimit);
        return;
    }
    if (view->code() != 0) {
        s.counters.count_drop(Drop::BadOperation);
        return;
    }
    switch (view->type()) {
    case w::type_neighbor_solicitation:
        return neighbor_solicitation(stack, *view, meta);
    case w::type_neighbor_advertisement:
        return neighbor_advertisement(stack, *view, meta);
    case w::type_router_advertisement:
        return router_advertisement(stack, *view, meta);
    case w::type_redirect:
        return redirect(stack, *view, meta);
    default:
        // 6.2.6: a host silently discards Router Solicitations.
        s.counters.count_drop(Drop::BadOperation);
        return;
    }
}

bool send_ipv6(Stack& stack, IfIndex ifindex, const Ipv6Addr& next_hop, PacketBuf&& packet) {
    State& s = state(stack);
    if (!valid_device(stack, ifindex)) {
        s.counters.count_drop(Drop::NoDevice);
        return false;
    }
    // RFC 2464 7: multicast maps to 33:33 and the low 32 bits, without asking.
    if (next_hop.is_multicast())
        return ethernet::send(stack, ifindex, next_hop.multicast_mac(), ethernet::type_ipv6,
                              std::move(packet));
    if (next_hop.is_unspecified()) {
        s.counters.count_drop(Drop::BadAddress);
        return false;
    }
    const TimeMs t = now(stack);
    Neighbor* n = find(s, ifindex, next_hop);
    if (n != nullptr && n->state == NeighborState::Reachable && t >= n->deadline)
        set_state(*n, NeighborState::Stale, t); // ReachableTime passed (tick may not have run yet)
    if (n != nullptr && n->state != NeighborState::Incomplete)
        return transmit_to(stack, *n, std::move(packet));
    if (n != nullptr) {
        enqueue(s, *n, std::move(packet)); // 7.2.2: a small queue per neighbour
        return true;
    }
    n = allocate(s);
    if (n == nullptr) {
        s.counters.count_drop(Drop::PoolExhausted); // every entry is resolving for somebody
        return false;
    }
    n->ifindex = ifindex;
    n->ip = next_hop;
    n->probes = 1;
    set_state(*n, NeighborState::Incomplete, t, t + retrans_time(stack, ifindex));
    enqueue(s, *n, std::move(packet));
    solicit(stack, *n, true);
    return true;
}

std::optional<NextHop> next_hop(Stack& stack, const Ipv6Addr& destination, IfIndex ifindex) {
    State& s = state(stack);
    // Link-local and multicast destinations are on the link the caller names.
    if (destination.is_link_local() || destination.is_multicast()) {
        if (ifindex == no_interface) return std::nullopt;
        return NextHop{ifindex, destination};
    }
    // 5.2: the destination cache first (Redirects).
    for (const Redirect& r : s.redirects)
        if (r.ifindex != no_interface && r.destination == destination &&
            (ifindex == no_interface || r.ifindex == ifindex))
            return NextHop{r.ifindex, r.target};
    // A neighbour we hold an entry for is on-link (it solicited us, or we resolved it as on-link before).
    for (const Neighbor& n : s.neighbors)
        if (n.state != NeighborState::Free && n.ip == destination &&
            (ifindex == no_interface || n.ifindex == ifindex))
            return NextHop{n.ifindex, destination};
    // The prefix list: the longest on-link prefix.
    const Prefix* best = nullptr;
    for (const Prefix& p : s.prefixes) {
        if (p.ifindex == no_interface || (ifindex != no_interface && p.ifindex != ifindex)) continue;
        if (!p.prefix.same_prefix(destination, p.prefix_len)) continue;
        if (best == nullptr || p.prefix_len > best->prefix_len) best = &p;
    }
    if (best != nullptr) return NextHop{best->ifindex, destination};
    return default_router(s, ifindex);
}

void negative_advice(Stack& stack, IfIndex ifindex, const Ipv6Addr& neighbor) {
    State& s = state(stack);
    Neighbor* n = find(s, ifindex, neighbor);
    if (n == nullptr || n->state == NeighborState::Incomplete || n->state == NeighborState::Probe) return;
    const TimeMs t = now(stack);
    n->probes = 1;
    set_state(*n, NeighborState::Probe, t, t + retrans_time(stack, ifindex));
    solicit(stack, *n, false);
}

void confirm_reachable(Stack& stack, IfIndex ifindex, const Ipv6Addr& neighbor) {
    State& s = state(stack);
    Neighbor* n = find(s, ifindex, neighbor);
    if (n == nullptr || n->state == NeighborState::Incomplete) return;
    const TimeMs t = now(stack);
    n->probes = 0;
    set_state(*n, NeighborState::Reachable, t, t + reachable_of(stack, ifindex));
}

std::optional<MacAddr> lookup(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    const Neighbor* n = find(state(stack), ifindex, address);
    if (n == nullptr || n->state == NeighborState::Incomplete) return std::nullopt;
    return n->mac;
}

const Neighbor* find_neighbor(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    return find(state(stack), ifindex, address);
}

void flush(Stack& stack, IfIndex ifindex) {
    State& s = state(stack);
    for (Neighbor& n : s.neighbors) {
        if (n.state == NeighborState::Free || n.ifindex != ifindex) continue;
        free_neighbor(s, n, Drop::Unresolved);
    }
    for (Router& r : s.routers)
        if (r.ifindex == ifindex) r = Router{};
    for (Prefix& p : s.prefixes)
        if (p.ifindex == ifindex) p = Prefix{};
    for (Redirect& r : s.redirects)
        if (r.ifindex == ifindex) r = Redirect{};
    if (ifindex < config::max_devices) s.links[ifindex] = Link{};
}

void tick(Stack& stack, TimeMs t) {
    State& s = state(stack);
    for (Neighbor& n : s.neighbors) {
        if (n.state == NeighborState::Free || t < n.deadline) continue;
        switch (n.state) {
        case NeighborState::Incomplete:
            if (n.probes < max_multicast_solicit) {
                ++n.probes;
                n.deadline = t + retrans_time(stack, n.ifindex);
                solicit(stack, n, true);
                break;
            }
            // 7.2.2: resolution failed; each queued packet's sender learns it (Destination Unreachable,
            // Address Unreachable, reported to the transport that sent it). The entry is freed first, so a
            // transport that sends again while told starts a fresh resolution.
            fail_resolution(stack, n);
            break;
        case NeighborState::Reachable:
            set_state(n, NeighborState::Stale, t);
            break;
        case NeighborState::Delay:
            n.probes = 1;
            set_state(n, NeighborState::Probe, t, t + retrans_time(stack, n.ifindex));
            solicit(stack, n, false);
            break;
        case NeighborState::Probe:
            if (n.probes < max_unicast_solicit) {
                ++n.probes;
                n.deadline = t + retrans_time(stack, n.ifindex);
                solicit(stack, n, false);
                break;
            }
            n = Neighbor{}; // 7.3.3: no answer to MAX_UNICAST_SOLICIT probes: the entry is deleted
            break;
        default:
            break; // STALE has no timer
        }
    }
    for (Router& r : s.routers)
        if (r.ifindex != no_interface && t >= r.expires) remove_router(s, r.ifindex, r.address);
    for (Prefix& p : s.prefixes)
        if (p.ifindex != no_interface && !p.infinite && t >= p.expires) p = Prefix{};
    for (std::size_t i = 0; i < s.links.size(); ++i) {
        Link& link = s.links[i];
        if (link.rs_left == 0 || t < link.rs_due) continue;
        const auto ifindex = static_cast<IfIndex>(i);
        if (!valid_device(stack, ifindex)) {
            link.rs_left = 0;
            continue;
        }
        --link.rs_left;
        link.rs_due = t + rtr_solicitation_interval_ms;
        // 6.3.7: from an address of ours with our link-layer address, or from :: without it.
        auto source = source_for(stack, ifindex, nullptr);
        w::RsRepr rs;
        if (source) rs.source_lla = our_mac(stack, ifindex);
        if (send_message(stack, ifindex, source.value_or(Ipv6Addr{}), Ipv6Addr::all_routers(), rs))
            ++s.rs_sent;
    }
}

void start_router_solicitation(Stack& stack, IfIndex ifindex) {
    if (!valid_device(stack, ifindex)) return;
    Link& link = link_of(state(stack), ifindex);
    link.rs_left = max_rtr_solicitations;
    link.rs_due = now(stack) + platform(stack).random_u32() % (max_rtr_solicitation_delay_ms + 1);
}

bool send_solicitation(Stack& stack, IfIndex ifindex, const Ipv6Addr& source, const Ipv6Addr& destination,
                       const Ipv6Addr& target) {
    w::NsRepr ns{target, std::nullopt};
    // 7.2.2 / RFC 4862 5.4.2: the Source Link-Layer Address option goes with a specified source only.
    if (!source.is_unspecified()) ns.source_lla = our_mac(stack, ifindex);
    return send_message(stack, ifindex, source, destination, ns);
}

std::uint32_t retrans_time(Stack& stack, IfIndex ifindex) {
    return link_of(state(stack), ifindex).retrans_ms;
}

std::uint32_t reachable_time(Stack& stack, IfIndex ifindex) {
    return reachable_of(stack, ifindex);
}

} // namespace pico::nd
