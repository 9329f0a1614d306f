// MLDv2 listener (RFC 3810) with MLDv1 compatibility (RFC 3810 8, RFC 2710): input checks, message formats
// and the send path around the shared state machine (net/multicast_common.hpp).
//
// Choices: a query must come from a link-local source, with hop limit 1 and a Hop-by-Hop Router Alert (RFC
// 3810 6.2: otherwise dropped: BadAddress, BadHopLimit, NoRouterAlert); a General Query to a multicast
// address other than ff02::1, or an address-specific one to a multicast address other than its address or
// ff02::1, is dropped (BadAddress; RFC 3810 5.1.15); one to our unicast address is accepted. The ICMPv6
// checksum is verified by icmp6 before the message gets here.
#include "net/mld.hpp"
#include "core/bytes.hpp"
#include "link/device.hpp"
#include "link/ethernet.hpp"
#include "net/icmp6.hpp"
#include "net/ipv6.hpp"
#include "wire/ipv6.hpp"
#include "wire/mld.hpp"

namespace pico::mld {

namespace {

struct Traits {
    using Addr = Ipv6Addr;
    using Record = wire::mld::AddressRecord;
    static constexpr std::size_t groups = config::mld_groups;
    static constexpr std::size_t sources = query_sources;
    // RFC 3810 9.11: 1 s; RFC 2710 7.10: 10 s for MLDv1.
    static constexpr TimeMs unsolicited_current_ms = 1'000;
    static constexpr TimeMs unsolicited_older_ms = 10'000;
    // Records per report: with the 8-octet report header, the 40-octet IPv6 header and the 8-octet Hop-by-Hop
    // header within the 1280-octet minimum MTU (RFC 8200 5).
    static constexpr std::size_t report_budget = 1200;

    static Interface* interface(Stack& stack, IfIndex ifindex) {
        if (ifindex >= config::max_devices || device(stack, ifindex) == nullptr) return nullptr;
        return &state(stack).interfaces[ifindex];
    }
    static ModuleCounters& counters(Stack& stack) { return state(stack).counters; }
    // RFC 3810 6 / RFC 2710 5: ff02::1 is never reported, nor are scopes 0 (reserved) and 1 (interface).
    static bool reportable(const Ipv6Addr& group) {
        return !(group == Ipv6Addr::all_nodes()) && group.multicast_scope() > 1;
    }

    static bool permanent(const Ipv6Addr& group) { return group == Ipv6Addr::all_nodes(); }
    static bool link_join(Stack& stack, IfIndex ifindex, const Ipv6Addr& group) {
        return multicast::link_join_mac(stack, ifindex, group.multicast_mac());
    }
    static void link_leave(Stack& stack, IfIndex ifindex, const Ipv6Addr& group) {
        multicast::link_leave_mac(stack, ifindex, group.multicast_mac());
    }

    // RFC 3810 5 / 5.2.13, RFC 2710 3: link-local source (:: before one exists), hop limit 1, Router Alert.
    static void send(Stack& stack, IfIndex ifindex, const Ipv6Addr& destination, PacketBuf&& message) {
        Ipv6Addr source{};
        if (auto ll = ipv6::link_local(stack, ifindex)) source = *ll;
        if (icmp6::send(stack, source, destination, ifindex, 1, std::move(message), source.is_unspecified(),
                        true))
            ++state(stack).counters.tx; // else counted below
    }
    template <class Repr> static std::optional<PacketBuf> build(Stack& stack, const Repr& repr) {
        return multicast::build_message(stack, counters(stack), repr);
    }
    // RFC 3810 5.2.14: MLDv2 reports go to ff02::16.
    static void send_report(Stack& stack, IfIndex ifindex, std::span<const Record> records) {
        auto buf = build(stack, wire::mld::V2ReportRepr{records});
        if (buf) send(stack, ifindex, Ipv6Addr::all_mldv2_routers(), std::move(*buf));
    }
    // RFC 2710 3, 4: MLDv1 reports go to the address itself.
    static void send_older_report(Stack& stack, IfIndex ifindex, multicast::Mode, const Ipv6Addr& group) {
        auto buf = build(stack, wire::mld::V1Repr{wire::mld::type_v1_report, 0, group});
        if (buf) send(stack, ifindex, group, std::move(*buf));
    }
    // RFC 2710 4: Done goes to ff02::2.
    static void send_older_leave(Stack& stack, IfIndex ifindex, multicast::Mode, const Ipv6Addr& group) {
        auto buf = build(stack, wire::mld::V1Repr{wire::mld::type_v1_done, 0, group});
        if (buf) send(stack, ifindex, Ipv6Addr::all_routers(), std::move(*buf));
    }
};

using Engine = multicast::Engine<Traits>;

// Did the packet carry a Hop-by-Hop Router Alert (RFC 2711) with value 0 (MLD)? Read from the IPv6 header
// the frame still holds at meta.l3_offset (ipv6::input validated the chain; every read is bounded by the
// frame).
bool has_router_alert(const PacketBuf& message, const RxMeta& meta) {
    Bytes fixed = message.at_offset(meta.l3_offset, wire::ipv6::header_len);
    if (fixed.size() != wire::ipv6::header_len || fixed[6] != wire::ipv6::nh_hop_by_hop) return false;
    std::size_t hbh_at = std::size_t{meta.l3_offset} + wire::ipv6::header_len;
    Bytes first = message.at_offset(hbh_at, 2);
    if (first.size() != 2) return false;
    std::size_t len = (std::size_t{first[1]} + 1) * 8;
    Bytes hbh = message.at_offset(hbh_at, len);
    if (hbh.size() != len) return false;
    auto result = wire::ipv6::walk_options(hbh.subspan(2), true);
    return result.router_alert && result.router_alert_value == wire::ipv6::router_alert_mld;
}

void receive_query(Stack& stack, const wire::mld::View& view, const RxMeta& meta) {
    State& s = state(stack);
    multicast::Query<Ipv6Addr> q;
    switch (view.query_version()) {
    case wire::mld::QueryVersion::V1:
        q.version = multicast::Mode::Older;
        q.max_resp_ms = view.max_resp_code(); // RFC 2710 3.4: milliseconds
        break;
    case wire::mld::QueryVersion::V2:
        q.version = multicast::Mode::Current;
        q.max_resp_ms = wire::mld::decode_max_resp(view.max_resp_code());
        q.qrv = view.qrv();
        q.qqi_ms = TimeMs{wire::mld::decode_qqic(view.qqic())} * 1000;
        break;
    case wire::mld::QueryVersion::Invalid:
        // RFC 3810 8.1: a query of 25 to 27 octets matches no version and MUST be silently ignored.
        s.counters.count_drop(Drop::BadLength);
        return;
    }
    q.group = view.address();
    q.general = q.group.is_unspecified();
    if (!q.general && !q.group.is_multicast()) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    // RFC 3810 5.1.15: General Queries to ff02::1, address-specific ones to the address; one to an address
    // of ours is accepted.
    if (meta.ip_multicast && !(meta.dst6 == Ipv6Addr::all_nodes()) &&
        (q.general || !(meta.dst6 == q.group))) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    Engine::receive_query(stack, meta.ifindex, q, view);
}

} // namespace

void input(Stack& stack, PacketBuf&& message, const RxMeta& meta) {
    State& s = state(stack);
    ++s.counters.rx;
    Drop why = Drop::Truncated;
    auto view = wire::mld::View::parse(message.bytes(), &why);
    if (!view) {
        s.counters.count_drop(why);
        return;
    }
    if (Traits::interface(stack, meta.ifindex) == nullptr) {
        s.counters.count_drop(Drop::NoDevice);
        return;
    }
    // RFC 3810 6.2 (queries) and 7.4 / RFC 2710 5 (reports heard in MLDv1 mode): a valid link-local source,
    // hop limit 1, and the Router Alert option, else the message is dropped.
    if (!meta.src6.is_link_local()) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    if (meta.ttl != 1) {
        s.counters.count_drop(Drop::BadHopLimit);
        return;
    }
    if (!has_router_alert(message, meta)) {
        s.counters.count_drop(Drop::NoRouterAlert);
        return;
    }
    switch (view->type()) {
    case wire::mld::type_query:
        receive_query(stack, *view, meta);
        return;
    case wire::mld::type_v1_report:
        // Another listener's MLDv1 report suppresses our pending answer in MLDv1 mode (RFC 2710 4).
        Engine::on_older_report(stack, meta.ifindex, view->address());
        return;
    case wire::mld::type_v1_done:
    case wire::mld::type_v2_report:
        s.counters.count_drop(Drop::NotForUs); // for routers
        return;
    default:
        s.counters.count_drop(Drop::BadOperation);
        return;
    }
}

bool join(Stack& stack, IfIndex ifindex, const Ipv6Addr& group) {
    return Engine::api_join(stack, ifindex, group); // ff02::1: always listened to (RFC 4291 2.7.1)
}

bool leave(Stack& stack, IfIndex ifindex, const Ipv6Addr& group) {
    return Engine::api_leave(stack, ifindex, group);
}

bool set_socket_filter(Stack& stack, IfIndex ifindex, const Ipv6Addr& group, bool exclude,
                       std::span<const Ipv6Addr> sources) {
    return Engine::api_set_socket_filter(stack, ifindex, group, exclude, sources);
}

const multicast::Filter<Ipv6Addr, config::multicast_sources>* filter(Stack& stack, IfIndex ifindex,
                                                                     const Ipv6Addr& group) {
    return Engine::filter(stack, ifindex, group);
}

bool is_member(Stack& stack, IfIndex ifindex, const Ipv6Addr& group) {
    return Engine::is_member(stack, ifindex, group);
}

void tick(Stack& stack, TimeMs now) {
    Engine::tick(stack, now);
}

std::uint8_t version(Stack& stack, IfIndex ifindex) {
    Interface* i = Traits::interface(stack, ifindex);
    if (i == nullptr) return 0;
    return i->mode == multicast::Mode::Current ? 2 : 1;
}

std::size_t groups(Stack& stack, IfIndex ifindex, std::span<Ipv6Addr> out) {
    return Engine::groups(stack, ifindex, out);
}

} // namespace pico::mld
