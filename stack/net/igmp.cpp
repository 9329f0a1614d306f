// IGMPv3 host (RFC 3376) with IGMPv1/v2 compatibility: input checks, message formats and the send path
// around the shared state machine (net/multicast_common.hpp).
#include "net/igmp.hpp"
#include "core/bytes.hpp"
#include "link/device.hpp"
#include "link/ethernet.hpp"
#include "net/ipv4.hpp"
#include "wire/ethernet.hpp"
#include "wire/igmp.hpp"

namespace pico::igmp {

namespace {

constexpr Ipv4Addr all_systems = Ipv4Addr::from_octets(224, 0, 0, 1);     // RFC 1112 4
constexpr Ipv4Addr all_routers = Ipv4Addr::from_octets(224, 0, 0, 2);     // RFC 2236 9: Leave
constexpr Ipv4Addr all_v3_routers = Ipv4Addr::from_octets(224, 0, 0, 22); // RFC 3376 4.2.14
// RFC 3376 4: Internetwork Control precedence on IGMPv3 messages.
constexpr std::uint8_t tos_internetwork_control = 0xc0;
// RFC 3376 7.2.1 / RFC 2236 4: an IGMPv1 query's Max Resp Code 0 means 100 (10 s).
constexpr TimeMs v1_max_resp_ms = 10'000;

struct Traits {
    using Addr = Ipv4Addr;
    using Record = wire::igmp::GroupRecord;
    static constexpr std::size_t groups = config::igmp_groups;
    static constexpr std::size_t sources = query_sources;
    // RFC 3376 8.11: 1 s; RFC 2236 8.10: 10 s for IGMPv1/v2.
    static constexpr TimeMs unsolicited_current_ms = 1'000;
    static constexpr TimeMs unsolicited_older_ms = 10'000;
    // Records per report: with the 8-octet report header and a 24-octet IP header (Router Alert) within a
    // 1500-octet Ethernet MTU.
    static constexpr std::size_t report_budget = 1400;

    static Interface* interface(Stack& stack, IfIndex ifindex) {
        if (ifindex >= config::max_devices || device(stack, ifindex) == nullptr) return nullptr;
        return &state(stack).interfaces[ifindex];
    }
    static ModuleCounters& counters(Stack& stack) { return state(stack).counters; }
    // RFC 3376 5 / RFC 2236 6: the all-systems group is never reported.
    static bool reportable(const Ipv4Addr& group) { return !(group == all_systems); }

    static bool permanent(const Ipv4Addr& group) { return group == all_systems; }
    static bool link_join(Stack& stack, IfIndex ifindex, const Ipv4Addr& group) {
        return multicast::link_join_mac(stack, ifindex, wire::ethernet::ipv4_multicast_mac(group));
    }
    static void link_leave(Stack& stack, IfIndex ifindex, const Ipv4Addr& group) {
        multicast::link_leave_mac(stack, ifindex, wire::ethernet::ipv4_multicast_mac(group));
    }

    // RFC 3376 4 / RFC 2236 2: TTL 1 and the Router Alert option (RFC 2113); IGMPv3 with precedence
    // Internetwork Control. IGMPv1 (RFC 1112) has no Router Alert.
    static void send(Stack& stack, IfIndex ifindex, Ipv4Addr destination, bool router_alert, std::uint8_t tos,
                     PacketBuf&& message) {
        ipv4::SendParams params;
        params.destination = destination;
        params.protocol = ipv4::proto_igmp;
        params.ttl = 1;
        params.tos = tos;
        params.ifindex = ifindex;
        params.router_alert = router_alert;
        if (ipv4::send(stack, params, std::move(message))) ++state(stack).counters.tx; // else counted by ipv4
    }

    static void send_report(Stack& stack, IfIndex ifindex, std::span<const Record> records) {
        auto buf = multicast::build_message(stack, counters(stack), wire::igmp::V3ReportRepr{records});
        if (buf) send(stack, ifindex, all_v3_routers, true, tos_internetwork_control, std::move(*buf));
    }
    static void send_message(Stack& stack, IfIndex ifindex, std::uint8_t type, Ipv4Addr group,
                             Ipv4Addr destination, bool router_alert) {
        auto buf = multicast::build_message(stack, counters(stack), wire::igmp::MessageRepr{type, 0, group});
        if (buf) send(stack, ifindex, destination, router_alert, 0, std::move(*buf));
    }
    // RFC 2236 3 / RFC 1112 appendix I: reports go to the group itself.
    static void send_older_report(Stack& stack, IfIndex ifindex, multicast::Mode mode,
                                  const Ipv4Addr& group) {
        if (mode == multicast::Mode::Oldest)
            send_message(stack, ifindex, wire::igmp::type_v1_report, group, group, false);
        else
            send_message(stack, ifindex, wire::igmp::type_v2_report, group, group, true);
    }
    // RFC 2236 3 and 9: the Leave goes to all-routers. IGMPv1 has no leave (RFC 3376 7.2.1).
    static void send_older_leave(Stack& stack, IfIndex ifindex, multicast::Mode mode, const Ipv4Addr& group) {
        if (mode == multicast::Mode::Older)
            send_message(stack, ifindex, wire::igmp::type_v2_leave, group, all_routers, true);
    }
};

using Engine = multicast::Engine<Traits>;

void receive_query(Stack& stack, const wire::igmp::View& view, const RxMeta& meta) {
    State& s = state(stack);
    multicast::Query<Ipv4Addr> q;
    switch (view.query_version()) {
    case wire::igmp::QueryVersion::V1:
        q.version = multicast::Mode::Oldest;
        q.max_resp_ms = v1_max_resp_ms;
        break;
    case wire::igmp::QueryVersion::V2:
        // RFC 3376 7.2.1: an IGMPv2 Max Resp Time is linear, in tenths of a second.
        q.version = multicast::Mode::Older;
        q.max_resp_ms = TimeMs{view.max_resp_code()} * 100;
        break;
    case wire::igmp::QueryVersion::V3:
        q.version = multicast::Mode::Current;
        q.max_resp_ms = TimeMs{wire::igmp::decode_code(view.max_resp_code())} * 100;
        q.qrv = view.qrv();
        q.qqi_ms = TimeMs{wire::igmp::decode_code(view.qqic())} * 1000;
        break;
    case wire::igmp::QueryVersion::Invalid:
        // RFC 3376 7.1: a query of 9 to 11 octets matches no version and MUST be silently ignored.
        s.counters.count_drop(Drop::BadLength);
        return;
    }
    q.group = view.group();
    q.general = q.group.is_unspecified();
    if (!q.general && !q.group.is_multicast()) {
        s.counters.count_drop(Drop::BadAddress); // a group-specific query about a non-group
        return;
    }
    // RFC 3376 4.1.12: General Queries go to 224.0.0.1, group-specific ones to the group; one addressed to
    // our unicast address is accepted too. 9.1: a General Query to another multicast address is ignored.
    if (meta.ip_multicast && !(meta.dst == all_systems) && (q.general || !(meta.dst == q.group))) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    if (meta.ip_broadcast) {
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
    auto view = wire::igmp::View::parse(message.bytes(), &why);
    if (!view) {
        s.counters.count_drop(why);
        return;
    }
    // RFC 3376 4 / RFC 2236 2: a message whose checksum does not verify is ignored.
    if constexpr (!config::skip_checksum_verify) {
        if (!view->checksum_valid()) {
            s.counters.count_drop(Drop::BadChecksum);
            return;
        }
    }
    if (Traits::interface(stack, meta.ifindex) == nullptr) {
        s.counters.count_drop(Drop::NoDevice);
        return;
    }
    switch (view->type()) {
    case wire::igmp::type_query:
        receive_query(stack, *view, meta);
        return;
    case wire::igmp::type_v1_report:
    case wire::igmp::type_v2_report:
        // Another host's report: suppresses our pending answer in IGMPv1/v2 mode (RFC 2236 3).
        Engine::on_older_report(stack, meta.ifindex, view->group());
        return;
    case wire::igmp::type_v2_leave:
    case wire::igmp::type_v3_report:
        s.counters.count_drop(Drop::NotForUs); // for routers
        return;
    default:
        // RFC 3376 4 / RFC 2236 2: unrecognized message types are silently ignored.
        s.counters.count_drop(Drop::BadOperation);
        return;
    }
}

bool join(Stack& stack, IfIndex ifindex, Ipv4Addr group) {
    return Engine::api_join(stack, ifindex, group); // 224.0.0.1: always a member (RFC 1112 4), never reported
}

bool leave(Stack& stack, IfIndex ifindex, Ipv4Addr group) {
    return Engine::api_leave(stack, ifindex, group);
}

bool set_socket_filter(Stack& stack, IfIndex ifindex, Ipv4Addr group, bool exclude,
                       std::span<const Ipv4Addr> sources) {
    return Engine::api_set_socket_filter(stack, ifindex, group, exclude, sources);
}

const multicast::Filter<Ipv4Addr, config::multicast_sources>* filter(Stack& stack, IfIndex ifindex,
                                                                     Ipv4Addr group) {
    return Engine::filter(stack, ifindex, group);
}

bool is_member(Stack& stack, IfIndex ifindex, Ipv4Addr group) {
    return Engine::is_member(stack, ifindex, group);
}

void tick(Stack& stack, TimeMs now) {
    Engine::tick(stack, now);
}

std::uint8_t version(Stack& stack, IfIndex ifindex) {
    Interface* i = Traits::interface(stack, ifindex);
    if (i == nullptr) return 0;
    switch (i->mode) {
    case multicast::Mode::Oldest:
        return 1;
    case multicast::Mode::Older:
        return 2;
    case multicast::Mode::Current:
        break;
    }
    return 3;
}

std::size_t groups(Stack& stack, IfIndex ifindex, std::span<Ipv4Addr> out) {
    return Engine::groups(stack, ifindex, out);
}

} // namespace pico::igmp
