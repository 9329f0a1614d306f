// Source filters (RFC 3376 3, 5; RFC 3810 3, 6 share the engine): per-socket UDP memberships merged into the
// interface state (3.2), the state-change records (5.1: TO_EX/TO_IN on a filter mode change, ALLOW/BLOCK on
// a source list change, merged while retransmissions are pending), current-state answers with sources
// (5.2), compatibility mode ignoring source lists (7.2.1), per-socket delivery filtering and close.
// IPv4 / IGMPv3 on an Ethernet wire device; the MLD side is the same engine (conformance/rfc3810_mld).
#include "assembly/stack.hpp"
#include "link/wire_device.hpp"
#include "net/igmp.hpp"
#include "net/ipv4.hpp"
#include "port/virtual_platform.hpp"
#include "test_support.hpp"
#include "transport/udp.hpp"
#include "wire/ethernet.hpp"
#include <algorithm>
#include <gtest/gtest.h>
#include <memory>
#include <vector>

using namespace pico;
using namespace pico::test;

namespace {

const Ipv4Addr us = ip(198, 18, 0, 2);
const Ipv4Addr querier = ip(198, 18, 0, 1);
const Ipv4Addr s1 = ip(198, 18, 0, 11);
const Ipv4Addr s2 = ip(198, 18, 0, 12);
const Ipv4Addr s3 = ip(198, 18, 0, 13);
const Ipv4Addr group = ip(232, 1, 2, 3);
const MacAddr our_mac = *parse_mac("02:00:00:00:00:02");
const MacAddr peer_mac = *parse_mac("02:00:00:00:00:01");
constexpr std::uint16_t port = 5000;

struct Record {
    std::uint8_t type = 0;
    Ipv4Addr group{};
    std::vector<Ipv4Addr> sources;
};
bool operator==(const Record& a, const Record& b) {
    auto x = a.sources;
    auto y = b.sources;
    auto less = [](Ipv4Addr p, Ipv4Addr q) { return p.value < q.value; };
    std::sort(x.begin(), x.end(), less);
    std::sort(y.begin(), y.end(), less);
    return a.type == b.type && a.group == b.group && x == y;
}
std::ostream& operator<<(std::ostream& os, const Record& r) {
    os << "type " << int(r.type) << " sources";
    for (Ipv4Addr s : r.sources)
        os << ' ' << (s.value & 0xff);
    return os;
}

std::vector<std::uint8_t> ether_ipv4(Ipv4Addr src, Ipv4Addr dst, std::uint8_t proto,
                                     const std::vector<std::uint8_t>& payload, bool router_alert) {
    std::size_t ihl = router_alert ? 24 : 20;
    std::vector<std::uint8_t> b(ihl, 0);
    b[0] = static_cast<std::uint8_t>(0x40 | (ihl / 4));
    put16(b, 2, static_cast<std::uint16_t>(ihl + payload.size()));
    b[8] = 1;
    b[9] = proto;
    put_ip(b, 12, src);
    put_ip(b, 16, dst);
    if (router_alert) {
        b[20] = 0x94;
        b[21] = 4;
    }
    put16(b, 10, reference_checksum(b.data(), ihl));
    b.insert(b.end(), payload.begin(), payload.end());
    std::vector<std::uint8_t> f(14, 0);
    f.reserve(14 + b.size());
    wire::ethernet::ipv4_multicast_mac(dst).store(f.data());
    peer_mac.store(f.data() + 6);
    put16(f, 12, 0x0800);
    f.insert(f.end(), b.begin(), b.end());
    return f;
}

std::vector<std::uint8_t> v3_query(Ipv4Addr g, const std::vector<Ipv4Addr>& sources) {
    std::vector<std::uint8_t> m(12 + 4 * sources.size(), 0);
    m[0] = 0x11;
    m[1] = 10; // 1 s
    put_ip(m, 4, g);
    m[8] = 2;
    m[9] = 125;
    put16(m, 10, static_cast<std::uint16_t>(sources.size()));
    for (std::size_t i = 0; i < sources.size(); ++i)
        put_ip(m, 12 + 4 * i, sources[i]);
    put16(m, 2, reference_checksum(m.data(), m.size()));
    return ether_ipv4(querier, g.is_unspecified() ? ip(224, 0, 0, 1) : g, 2, m, true);
}

std::vector<std::uint8_t> v2_query() {
    std::vector<std::uint8_t> m(8, 0);
    m[0] = 0x11;
    m[1] = 10;
    put16(m, 2, reference_checksum(m.data(), m.size()));
    return ether_ipv4(querier, ip(224, 0, 0, 1), 2, m, true);
}

std::vector<std::uint8_t> udp_to_group(Ipv4Addr src, std::uint8_t marker) {
    std::vector<std::uint8_t> u(9, 0);
    put16(u, 0, 4000);
    put16(u, 2, port);
    put16(u, 4, 9);
    u[8] = marker; // checksum 0: not computed (RFC 768)
    return ether_ipv4(src, group, 17, u, false);
}

class MulticastFilterTest : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform{clock, 3};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    WireDevice eth{our_mac, 1500};
    IfIndex ifx = stack->attach(eth);

    void SetUp() override {
        clock.advance(1000);
        ASSERT_TRUE(ipv4::add_address(*stack, ifx, us, 24));
        run(5000);
    }
    SocketHandle socket() {
        SocketHandle h = udp::open(*stack, nullptr, nullptr);
        EXPECT_GE(h, 0);
        EXPECT_EQ(udp::set_option(*stack, h, SocketOption::ReuseAddress, 1), SocketError::Ok);
        EXPECT_EQ(udp::bind(*stack, h, IpAddr{Ipv4Addr{}}, port), SocketError::Ok);
        return h;
    }
    void inject(const std::vector<std::uint8_t>& f) { stack->inject(ifx, Bytes{f.data(), f.size()}); }
    // The IGMPv3 reports sent (each a list of records); other frames skipped.
    std::vector<std::vector<Record>> reports() {
        std::vector<std::vector<Record>> out;
        while (auto f = eth.collect()) {
            std::vector<std::uint8_t> b(f->data(), f->data() + f->size());
            if (b.size() < 34 || get16(b, 12) != 0x0800 || b[23] != 2) continue;
            std::size_t at = 14 + (b[14] & 0xfu) * 4u;
            if (b.at(at) != 0x22) continue;
            std::size_t n = get16(b, at + 6);
            at += 8;
            std::vector<Record> records;
            for (std::size_t k = 0; k < n; ++k) {
                Record r;
                r.type = b.at(at);
                std::size_t count = get16(b, at + 2);
                r.group = get_ip(b, at + 4);
                for (std::size_t s = 0; s < count; ++s)
                    r.sources.push_back(get_ip(b, at + 8 + 4 * s));
                records.push_back(r);
                at += 8 + 4 * count;
            }
            out.push_back(records);
        }
        return out;
    }
    // Runs `ms` of virtual time; the reports sent meanwhile.
    std::vector<std::vector<Record>> run(TimeMs ms) {
        std::vector<std::vector<Record>> out;
        for (TimeMs t = 0; t < ms; t += 10) {
            clock.advance(10);
            stack->poll();
            for (auto& r : reports())
                out.push_back(r);
        }
        return out;
    }
    std::vector<Record> one_report() {
        auto r = reports();
        EXPECT_EQ(r.size(), 1u);
        return r.empty() ? std::vector<Record>{} : r[0];
    }
    std::size_t queued(SocketHandle h) {
        int value = -1;
        EXPECT_EQ(udp::get_option(*stack, h, SocketOption::RxQueue, value), SocketError::Ok);
        return static_cast<std::size_t>(value);
    }
    std::uint8_t received(SocketHandle h) {
        std::array<std::uint8_t, 16> buf{};
        udp::RecvInfo info;
        if (udp::recv_from(*stack, h, MutBytes{buf.data(), buf.size()}, info) != SocketError::Ok) return 0;
        return buf[0];
    }
};

constexpr std::uint8_t is_in = 1, is_ex = 2, to_in = 3, to_ex = 4, allow = 5, block = 6;

TEST_F(MulticastFilterTest, MergeIncludeAndExcludeAndDeliverBySource) {
    SocketHandle a = socket();
    SocketHandle b = socket();
    // INCLUDE({}) -> INCLUDE({S1}): a source list change, ALLOW({S1}) (RFC 3376 5.1).
    ASSERT_EQ(udp::join_source_group(*stack, a, ifx, group, s1), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{allow, group, {s1}}}));
    const auto* f = igmp::filter(*stack, ifx, group);
    ASSERT_NE(f, nullptr);
    EXPECT_FALSE(f->exclude);
    // b: EXCLUDE({S1}); merged EXCLUDE({S1} - {S1}) = EXCLUDE({}): a filter mode change, TO_EX({}).
    std::array<IpAddr, 1> list{IpAddr{s1}};
    ASSERT_EQ(udp::set_filter(*stack, b, ifx, group, udp::FilterMode::Exclude, list), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{to_ex, group, {}}}));
    f = igmp::filter(*stack, ifx, group);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->exclude);
    EXPECT_EQ(f->sources.count, 0u);

    inject(udp_to_group(s1, 1));
    inject(udp_to_group(s2, 2));
    EXPECT_EQ(queued(a), 1u);
    EXPECT_EQ(queued(b), 1u);
    EXPECT_EQ(received(a), 1);
    EXPECT_EQ(received(b), 2);

    // The retransmission of TO_EX within the Unsolicited Report Interval (1 s), then nothing.
    auto later = run(3000);
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0], (std::vector<Record>{{to_ex, group, {}}}));

    // b closes: back to INCLUDE({S1}), TO_IN({S1}); S2's datagrams are now filtered.
    ASSERT_EQ(udp::close(*stack, b), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{to_in, group, {s1}}}));
    std::uint32_t before = udp::state(*stack).counters.drops(Drop::MulticastFiltered);
    inject(udp_to_group(s2, 3));
    EXPECT_EQ(udp::state(*stack).counters.drops(Drop::MulticastFiltered), before + 1);
    EXPECT_EQ(queued(a), 0u);
    run(3000);
    // a closes: INCLUDE({S1}) -> INCLUDE({}): BLOCK({S1}); the group is gone.
    ASSERT_EQ(udp::close(*stack, a), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{block, group, {s1}}}));
    EXPECT_EQ(igmp::filter(*stack, ifx, group), nullptr);
    EXPECT_FALSE(igmp::is_member(*stack, ifx, group));
}

TEST_F(MulticastFilterTest, ExcludeIntersectionMinusInclude) {
    SocketHandle a = socket();
    SocketHandle b = socket();
    SocketHandle c = socket();
    std::array<IpAddr, 3> ab{IpAddr{s1}, IpAddr{s2}, IpAddr{s3}};
    std::array<IpAddr, 2> bb{IpAddr{s2}, IpAddr{s3}};
    ASSERT_EQ(udp::set_filter(*stack, a, ifx, group, udp::FilterMode::Exclude, ab), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{to_ex, group, {s1, s2, s3}}}));
    run(3000);
    // EXCLUDE({S1,S2,S3}) and EXCLUDE({S2,S3}): the intersection {S2,S3}: ALLOW({S1}).
    ASSERT_EQ(udp::set_filter(*stack, b, ifx, group, udp::FilterMode::Exclude, bb), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{allow, group, {s1}}}));
    run(3000);
    // c INCLUDE({S3}): EXCLUDE({S2,S3} - {S3}) = EXCLUDE({S2}): ALLOW({S3}).
    ASSERT_EQ(udp::join_source_group(*stack, c, ifx, group, s3), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{allow, group, {s3}}}));
    const auto* f = igmp::filter(*stack, ifx, group);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->exclude);
    ASSERT_EQ(f->sources.count, 1u);
    EXPECT_EQ(f->sources.items[0], s2);
    run(3000);
    // General query: IS_EX({S2}).
    inject(v3_query(Ipv4Addr{}, {}));
    auto answers = run(1100);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0], (std::vector<Record>{{is_ex, group, {s2}}}));
    // Group-and-source query for {S1, S2}: IS_IN(B - X) = IS_IN({S1}).
    inject(v3_query(group, {s1, s2}));
    answers = run(1100);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0], (std::vector<Record>{{is_in, group, {s1}}}));
    // For {S2} alone: B - X is empty, no answer.
    inject(v3_query(group, {s2}));
    EXPECT_TRUE(run(1100).empty());
}

TEST_F(MulticastFilterTest, IncludeAnswersAndPendingChangesMerge) {
    SocketHandle a = socket();
    ASSERT_EQ(udp::join_source_group(*stack, a, ifx, group, s1), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{allow, group, {s1}}}));
    // Before the retransmission: S2 added, S1 removed: the pending ALLOW({S1}) and the new changes merge
    // into ALLOW({S2}) BLOCK({S1}), each sent and retransmitted once more.
    ASSERT_EQ(udp::join_source_group(*stack, a, ifx, group, s2), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{allow, group, {s1, s2}}}));
    ASSERT_EQ(udp::leave_source_group(*stack, a, ifx, group, s1), SocketError::Ok);
    EXPECT_EQ(one_report(), (std::vector<Record>{{allow, group, {s2}}, {block, group, {s1}}}));
    auto later = run(3000);
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0], (std::vector<Record>{{allow, group, {s2}}, {block, group, {s1}}}));
    // INCLUDE({S2}): group-specific query IS_IN({S2}); group-and-source {S1, S2}: IS_IN(A*B) = {S2}.
    inject(v3_query(group, {}));
    auto answers = run(1100);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0], (std::vector<Record>{{is_in, group, {s2}}}));
    inject(v3_query(group, {s1, s2}));
    answers = run(1100);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0], (std::vector<Record>{{is_in, group, {s2}}}));
    inject(v3_query(group, {s1}));
    EXPECT_TRUE(run(1100).empty());
}

TEST_F(MulticastFilterTest, DeviceJoinWinsOverSocketFilters) {
    SocketHandle a = socket();
    ASSERT_EQ(udp::join_source_group(*stack, a, ifx, group, s1), SocketError::Ok);
    run(3000);
    ASSERT_TRUE(igmp::join(*stack, ifx, group));
    EXPECT_EQ(one_report(), (std::vector<Record>{{to_ex, group, {}}}));
    run(3000);
    ASSERT_TRUE(igmp::leave(*stack, ifx, group));
    EXPECT_EQ(one_report(), (std::vector<Record>{{to_in, group, {s1}}}));
}

TEST_F(MulticastFilterTest, OlderVersionIgnoresSourceLists) {
    SocketHandle a = socket();
    inject(v2_query());
    run(100);
    ASSERT_EQ(igmp::version(*stack, ifx), 2);
    reports();
    ASSERT_EQ(udp::join_source_group(*stack, a, ifx, group, s1), SocketError::Ok);
    // A v2 report (type 0x16) to the group: collected below as a non-v3 frame.
    int v2_reports = 0;
    while (auto f = eth.collect()) {
        std::vector<std::uint8_t> b(f->data(), f->data() + f->size());
        if (b.size() > 38 && b[23] == 2 && b[38] == 0x16) ++v2_reports;
    }
    EXPECT_EQ(v2_reports, 1);
    // A source change sends nothing in IGMPv2 mode (RFC 3376 7.2.1).
    ASSERT_EQ(udp::join_source_group(*stack, a, ifx, group, s2), SocketError::Ok);
    int sent = 0;
    while (eth.collect())
        ++sent;
    EXPECT_EQ(sent, 0);
}

TEST_F(MulticastFilterTest, SocketApiErrorsAndBounds) {
    SocketHandle a = socket();
    EXPECT_EQ(udp::join_group(*stack, a, ifx, IpAddr{s1}), SocketError::Invalid); // not a group
    EXPECT_EQ(udp::join_group(*stack, a, 7, group), SocketError::Invalid);        // no such device
    EXPECT_EQ(udp::leave_group(*stack, a, ifx, group), SocketError::AddressNotAvailable);
    EXPECT_EQ(udp::block_source(*stack, a, ifx, group, s1), SocketError::AddressNotAvailable);
    ASSERT_EQ(udp::join_group(*stack, a, ifx, group), SocketError::Ok);
    EXPECT_EQ(udp::join_group(*stack, a, ifx, group), SocketError::AddressInUse);
    EXPECT_EQ(udp::join_source_group(*stack, a, ifx, group, s1), SocketError::Invalid); // EXCLUDE mode
    EXPECT_EQ(udp::block_source(*stack, a, ifx, group, s1), SocketError::Ok);
    EXPECT_EQ(udp::block_source(*stack, a, ifx, group, s1), SocketError::AddressInUse);
    EXPECT_EQ(udp::block_source(*stack, a, ifx, group, IpAddr{group}), SocketError::Invalid);
    udp::FilterMode mode = udp::FilterMode::Include;
    std::array<IpAddr, config::udp_multicast_sources> out{};
    std::size_t count = 0;
    ASSERT_EQ(udp::get_filter(*stack, a, ifx, group, mode, out, count), SocketError::Ok);
    EXPECT_EQ(mode, udp::FilterMode::Exclude);
    ASSERT_EQ(count, 1u);
    EXPECT_EQ(out[0], IpAddr{s1});
    EXPECT_EQ(udp::unblock_source(*stack, a, ifx, group, s2), SocketError::AddressNotAvailable);
    EXPECT_EQ(udp::unblock_source(*stack, a, ifx, group, s1), SocketError::Ok);
    // More sources than a socket holds.
    std::vector<IpAddr> many;
    for (std::size_t k = 0; k <= config::udp_multicast_sources; ++k)
        many.push_back(IpAddr{ip(198, 18, 1, static_cast<std::uint8_t>(k + 1))});
    EXPECT_EQ(udp::set_filter(*stack, a, ifx, group, udp::FilterMode::Include, many), SocketError::Exhausted);
    // More groups than a socket holds.
    ASSERT_EQ(udp::leave_group(*stack, a, ifx, group), SocketError::Ok);
    for (std::size_t k = 0; k < config::udp_multicast_memberships; ++k)
        EXPECT_EQ(udp::join_group(*stack, a, ifx, IpAddr{ip(239, 9, 9, static_cast<std::uint8_t>(k + 1))}),
                  SocketError::Ok);
    EXPECT_EQ(udp::join_group(*stack, a, ifx, IpAddr{ip(239, 9, 9, 200)}), SocketError::Exhausted);
    ASSERT_EQ(udp::close(*stack, a), SocketError::Ok);
    std::array<Ipv4Addr, 8> joined{};
    EXPECT_EQ(igmp::groups(*stack, ifx, joined), 0u);
}

TEST_F(MulticastFilterTest, ReuseAddressNeededByEverySocketOnThePair) {
    SocketHandle a = udp::open(*stack, nullptr, nullptr);
    SocketHandle b = udp::open(*stack, nullptr, nullptr);
    ASSERT_EQ(udp::set_option(*stack, a, SocketOption::ReuseAddress, 1), SocketError::Ok);
    ASSERT_EQ(udp::bind(*stack, a, IpAddr{Ipv4Addr{}}, port), SocketError::Ok);
    EXPECT_EQ(udp::bind(*stack, b, IpAddr{Ipv4Addr{}}, port), SocketError::AddressInUse);
    ASSERT_EQ(udp::set_option(*stack, b, SocketOption::ReuseAddress, 1), SocketError::Ok);
    EXPECT_EQ(udp::bind(*stack, b, IpAddr{Ipv4Addr{}}, port), SocketError::Ok);
}

TEST_F(MulticastFilterTest, UnjoinedSocketGetsNoGroupTraffic) {
    SocketHandle a = socket();
    SocketHandle b = socket();
    ASSERT_EQ(udp::join_group(*stack, a, ifx, group), SocketError::Ok);
    inject(udp_to_group(s1, 7));
    EXPECT_EQ(queued(a), 1u);
    EXPECT_EQ(queued(b), 0u); // bound to the port, never joined (RFC 3376 3.2)
}

} // namespace
