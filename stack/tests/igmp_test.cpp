// IGMP host: wire formats (Max Resp Code decoding, reports byte by byte), state-change reports with their
// retransmissions, answers to general / group / group-and-source queries, IGMPv1/v2 compatibility modes and
// their expiry, input validation with counted drops, and the bounded group table.
#include "assembly/stack.hpp"
#include "link/ethernet.hpp"
#include "link/wire_device.hpp"
#include "net/igmp.hpp"
#include "net/ipv4.hpp"
#include "port/virtual_platform.hpp"
#include "test_support.hpp"
#include "wire/ethernet.hpp"
#include "wire/igmp.hpp"
#include <algorithm>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <vector>

using namespace pico;
using namespace pico::test;

namespace {

const Ipv4Addr us = ip(198, 18, 0, 2);
const Ipv4Addr querier = ip(198, 18, 0, 1);
const Ipv4Addr group_a = ip(239, 1, 2, 3);
const Ipv4Addr group_b = ip(239, 1, 2, 4);
const Ipv4Addr all_systems = ip(224, 0, 0, 1);
const MacAddr our_mac = *parse_mac("02:00:00:00:00:02");
const MacAddr peer_mac = *parse_mac("02:00:00:00:00:01");

std::vector<std::uint8_t> igmp_query(Ipv4Addr group, std::uint8_t max_resp, bool v3 = true,
                                     const std::vector<Ipv4Addr>& sources = {}, std::uint8_t qrv = 2,
                                     std::uint8_t qqic = 125) {
    std::vector<std::uint8_t> m(v3 ? 12 + 4 * sources.size() : 8, 0);
    m[0] = 0x11;
    m[1] = max_resp;
    put_ip(m, 4, group);
    if (v3) {
        m[8] = qrv;
        m[9] = qqic;
        put16(m, 10, static_cast<std::uint16_t>(sources.size()));
        for (std::size_t i = 0; i < sources.size(); ++i)
            put_ip(m, 12 + 4 * i, sources[i]);
    }
    put16(m, 2, reference_checksum(m.data(), m.size()));
    return m;
}

// Ethernet + IPv4 (TTL 1, Router Alert) around an IGMP message.
std::vector<std::uint8_t> frame(Ipv4Addr dst, const std::vector<std::uint8_t>& igmp, Ipv4Addr src = querier) {
    std::vector<std::uint8_t> b(24, 0);
    b[0] = 0x46;
    b[1] = 0xc0;
    put16(b, 2, static_cast<std::uint16_t>(24 + igmp.size()));
    b[8] = 1;
    b[9] = 2;
    put_ip(b, 12, src);
    put_ip(b, 16, dst);
    b[20] = 0x94;
    b[21] = 4;
    put16(b, 10, reference_checksum(b.data(), 24));
    b.insert(b.end(), igmp.begin(), igmp.end());
    std::vector<std::uint8_t> f(14, 0);
    f.reserve(14 + b.size()); // also keeps gcc 12 -O2 from a false -Warray-bounds in insert()
    MacAddr dst_mac = dst.is_multicast() ? wire::ethernet::ipv4_multicast_mac(dst) : our_mac;
    dst_mac.store(f.data());
    peer_mac.store(f.data() + 6);
    put16(f, 12, 0x0800);
    f.insert(f.end(), b.begin(), b.end());
    return f;
}

// A report the stack sent, dissected.
struct Sent {
    TimeMs at = 0;
    MacAddr dst_mac{};
    Ipv4Addr src{}, dst{};
    std::uint8_t ttl = 0, tos = 0;
    bool router_alert = false;
    std::vector<std::uint8_t> igmp;
    std::uint8_t type() const { return igmp.at(0); }
    Ipv4Addr group() const { return get_ip(igmp, 4); } // v1/v2 messages
    std::size_t records() const { return get16(igmp, 6); }
    // v3 record k (records without aux data): type, group, sources
    std::size_t record_at(std::size_t k) const {
        std::size_t at = 8;
        for (std::size_t i = 0; i < k; ++i)
            at += 8 + 4 * get16(igmp, at + 2);
        return at;
    }
    std::uint8_t record_type(std::size_t k) const { return igmp.at(record_at(k)); }
    Ipv4Addr record_group(std::size_t k) const { return get_ip(igmp, record_at(k) + 4); }
    std::size_t record_sources(std::size_t k) const { return get16(igmp, record_at(k) + 2); }
    Ipv4Addr record_source(std::size_t k, std::size_t s) const {
        return get_ip(igmp, record_at(k) + 8 + 4 * s);
    }
};

class IgmpTest : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform{clock, 7};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    WireDevice eth{our_mac, 1500};
    IfIndex ifx = stack->attach(eth);

    void SetUp() override {
        clock.advance(1000);
        ASSERT_TRUE(ipv4::add_address(*stack, ifx, us, 24));
        advance(5000);
        drain();
    }
    void drain() {
        while (eth.collect()) {
        }
    }
    void advance(TimeMs ms) {
        for (TimeMs t = 0; t < ms; t += 10) {
            clock.advance(10);
            stack->poll();
        }
    }
    void inject(const std::vector<std::uint8_t>& f) { stack->inject(ifx, Bytes{f.data(), f.size()}); }
    // IGMP messages sent (ARP and others skipped), with the time they were collected.
    std::vector<Sent> collect() {
        std::vector<Sent> out;
        while (auto f = eth.collect()) {
            std::vector<std::uint8_t> b(f->data(), f->data() + f->size());
            if (b.size() < 34 || get16(b, 12) != 0x0800 || b[23] != 2) continue;
            b.resize(std::min<std::size_t>(b.size(), 14u + get16(b, 16))); // Ethernet padding
            Sent s;
            s.at = clock.now();
            s.dst_mac = MacAddr::from(b.data());
            std::size_t ihl = (b[14] & 0xf) * 4u;
            s.tos = b[15];
            s.ttl = b[22];
            s.src = get_ip(b, 26);
            s.dst = get_ip(b, 30);
            s.router_alert = ihl == 24 && b[34] == 0x94 && b[35] == 4;
            EXPECT_EQ(reference_checksum(b.data() + 14, ihl), 0);
            s.igmp.assign(b.begin() + 14 + static_cast<std::ptrdiff_t>(ihl), b.end());
            EXPECT_EQ(reference_checksum(s.igmp.data(), s.igmp.size()), 0) << "IGMP checksum";
            out.push_back(s);
        }
        return out;
    }
    // Runs `ms` of virtual time, collecting what is sent at each 10 ms step.
    std::vector<Sent> run(TimeMs ms) {
        std::vector<Sent> out;
        for (TimeMs t = 0; t < ms; t += 10) {
            clock.advance(10);
            stack->poll();
            for (auto& s : collect())
                out.push_back(s);
        }
        return out;
    }
    std::uint32_t drops(Drop reason) { return igmp::state(*stack).counters.drops(reason); }
};

void expect_v3_report(const Sent& s) {
    EXPECT_EQ(s.type(), wire::igmp::type_v3_report);
    EXPECT_EQ(s.dst, ip(224, 0, 0, 22));
    EXPECT_EQ(s.dst_mac, *parse_mac("01:00:5e:00:00:16"));
    EXPECT_EQ(s.src, us);
    EXPECT_EQ(s.ttl, 1);
    EXPECT_EQ(s.tos, 0xc0);
    EXPECT_TRUE(s.router_alert);
}

TEST(IgmpWire, MaxRespCodeDecoding) {
    EXPECT_EQ(wire::igmp::decode_code(0), 0u);
    EXPECT_EQ(wire::igmp::decode_code(100), 100u);
    EXPECT_EQ(wire::igmp::decode_code(127), 127u);
    EXPECT_EQ(wire::igmp::decode_code(0x80), 0x10u << 3);                // exp 0, mant 0: 128
    EXPECT_EQ(wire::igmp::decode_code(0x8f), 0x1fu << 3);                // 248
    EXPECT_EQ(wire::igmp::decode_code(0xff), 0x1fu << 10);               // 31744
    EXPECT_EQ(wire::igmp::decode_code(0xa5), (0x5u | 0x10u) << (2 + 3)); // 672
}

TEST(IgmpWire, V3ReportBytes) {
    std::array<Ipv4Addr, 2> sources{ip(198, 18, 0, 9), ip(198, 18, 0, 10)};
    std::array<wire::igmp::GroupRecord, 2> records{
        wire::igmp::GroupRecord{4, group_a, {}},
        wire::igmp::GroupRecord{1, group_b, std::span<const Ipv4Addr>{sources}}};
    wire::igmp::V3ReportRepr r{records};
    ASSERT_EQ(r.buffer_len(), 8u + 8u + 16u);
    std::vector<std::uint8_t> out(r.buffer_len());
    ASSERT_TRUE(r.emit(MutBytes{out.data(), out.size()}));
    std::vector<std::uint8_t> expect{0x22, 0, 0, 0, 0,   0, 0, 2, 4,   0,  0, 0, 239, 1,  2, 3,
                                     1,    0, 0, 2, 239, 1, 2, 4, 198, 18, 0, 9, 198, 18, 0, 10};
    put16(expect, 2, reference_checksum(expect.data(), expect.size()));
    EXPECT_EQ(out, expect);
}

TEST(IgmpWire, QueryParse) {
    auto v1 = igmp_query(ip(0, 0, 0, 0), 0, false);
    auto v2 = igmp_query(group_a, 100, false);
    auto v3 = igmp_query(group_a, 100, true, {ip(198, 18, 0, 9)});
    EXPECT_EQ(wire::igmp::View::parse(Bytes{v1.data(), v1.size()})->query_version(),
              wire::igmp::QueryVersion::V1);
    EXPECT_EQ(wire::igmp::View::parse(Bytes{v2.data(), v2.size()})->query_version(),
              wire::igmp::QueryVersion::V2);
    auto view = wire::igmp::View::parse(Bytes{v3.data(), v3.size()});
    ASSERT_TRUE(view);
    EXPECT_EQ(view->query_version(), wire::igmp::QueryVersion::V3);
    EXPECT_EQ(view->source_count(), 1);
    EXPECT_EQ(view->source(0), ip(198, 18, 0, 9));
    Drop why = Drop::Count;
    EXPECT_FALSE(wire::igmp::View::parse(Bytes{v3.data(), v3.size() - 1}, &why)); // a source cut short
    EXPECT_EQ(why, Drop::BadLength);
    EXPECT_FALSE(wire::igmp::View::parse(Bytes{v1.data(), 7}, &why));
    EXPECT_EQ(why, Drop::Truncated);
}

TEST_F(IgmpTest, JoinSendsChangeToExcludeThenOneRetransmissionWithinOneSecond) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    EXPECT_TRUE(igmp::is_member(*stack, ifx, group_a));
    EXPECT_TRUE(ethernet::is_member(*stack, ifx, wire::ethernet::ipv4_multicast_mac(group_a)));
    auto first = collect();
    ASSERT_EQ(first.size(), 1u);
    expect_v3_report(first[0]);
    ASSERT_EQ(first[0].records(), 1u);
    EXPECT_EQ(first[0].record_type(0), 4); // CHANGE_TO_EXCLUDE_MODE
    EXPECT_EQ(first[0].record_group(0), group_a);
    EXPECT_EQ(first[0].record_sources(0), 0u);
    EXPECT_EQ(first[0].igmp.size(), 16u);
    TimeMs joined = clock.now();
    auto later = run(1000);
    ASSERT_EQ(later.size(), 1u); // Robustness Variable 2: one more
    EXPECT_EQ(later[0].igmp, first[0].igmp);
    EXPECT_GT(later[0].at, joined);
    EXPECT_LE(later[0].at, joined + 1000);
    EXPECT_TRUE(run(10'000).empty());
}

TEST_F(IgmpTest, LeaveSendsChangeToIncludeAndFreesTheEntry) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    run(2000);
    ASSERT_TRUE(igmp::leave(*stack, ifx, group_a));
    EXPECT_FALSE(igmp::is_member(*stack, ifx, group_a));
    EXPECT_FALSE(ethernet::is_member(*stack, ifx, wire::ethernet::ipv4_multicast_mac(group_a)));
    auto sent = run(1000);
    ASSERT_EQ(sent.size(), 2u);
    for (const auto& s : sent) {
        expect_v3_report(s);
        EXPECT_EQ(s.record_type(0), 3); // CHANGE_TO_INCLUDE_MODE, no sources
        EXPECT_EQ(s.record_group(0), group_a);
        EXPECT_EQ(s.record_sources(0), 0u);
    }
    EXPECT_FALSE(igmp::leave(*stack, ifx, group_a));
    std::array<Ipv4Addr, 8> out{};
    EXPECT_EQ(igmp::groups(*stack, ifx, out), 0u);
}

TEST_F(IgmpTest, JoinsAreReferenceCounted) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    EXPECT_EQ(run(2000).size(), 2u); // one report and its retransmission
    ASSERT_TRUE(igmp::leave(*stack, ifx, group_a));
    EXPECT_TRUE(igmp::is_member(*stack, ifx, group_a));
    EXPECT_TRUE(run(2000).empty());
    ASSERT_TRUE(igmp::leave(*stack, ifx, group_a));
    EXPECT_EQ(run(2000).size(), 2u);
}

TEST_F(IgmpTest, AllSystemsIsNeverReportedAndNonGroupsRefused) {
    EXPECT_TRUE(igmp::join(*stack, ifx, all_systems));
    EXPECT_FALSE(igmp::join(*stack, ifx, ip(198, 18, 0, 7)));
    EXPECT_FALSE(igmp::join(*stack, 3, group_a));
    EXPECT_TRUE(run(2000).empty());
    inject(frame(all_systems, igmp_query(ip(0, 0, 0, 0), 10)));
    EXPECT_TRUE(run(2000).empty()); // no group but all-systems: nothing to report
}

TEST_F(IgmpTest, TableIsBounded) {
    for (std::size_t i = 0; i < config::igmp_groups; ++i)
        ASSERT_TRUE(igmp::join(*stack, ifx, ip(239, 2, 0, static_cast<std::uint8_t>(i + 1))));
    EXPECT_FALSE(igmp::join(*stack, ifx, ip(239, 3, 0, 1)));
    EXPECT_EQ(drops(Drop::PoolExhausted), 1u);
    std::array<Ipv4Addr, config::igmp_groups> out{};
    EXPECT_EQ(igmp::groups(*stack, ifx, out), config::igmp_groups);
}

TEST_F(IgmpTest, GeneralQueryAnsweredWithOneReportOfAllGroupsWithinMaxResp) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    ASSERT_TRUE(igmp::join(*stack, ifx, group_b));
    run(2000);
    TimeMs t0 = clock.now();
    inject(frame(all_systems, igmp_query(ip(0, 0, 0, 0), 20))); // 2 s
    auto sent = run(5000);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_LE(sent[0].at, t0 + 2000);
    expect_v3_report(sent[0]);
    ASSERT_EQ(sent[0].records(), 2u);
    EXPECT_EQ(sent[0].record_type(0), 2); // MODE_IS_EXCLUDE
    EXPECT_EQ(sent[0].record_type(1), 2);
    EXPECT_EQ(sent[0].record_group(0), group_a);
    EXPECT_EQ(sent[0].record_group(1), group_b);
}

TEST_F(IgmpTest, GroupSpecificAndGroupAndSourceQueries) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    ASSERT_TRUE(igmp::join(*stack, ifx, group_b));
    run(2000);
    inject(frame(group_a, igmp_query(group_a, 10)));
    auto sent = run(2000);
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].records(), 1u);
    EXPECT_EQ(sent[0].record_type(0), 2);
    EXPECT_EQ(sent[0].record_group(0), group_a);

    inject(frame(group_b, igmp_query(group_b, 10, true, {ip(198, 18, 0, 9), ip(198, 18, 0, 10)})));
    sent = run(2000);
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].records(), 1u);
    EXPECT_EQ(sent[0].record_type(0), 1); // MODE_IS_INCLUDE of the queried sources
    EXPECT_EQ(sent[0].record_group(0), group_b);
    ASSERT_EQ(sent[0].record_sources(0), 2u);
    EXPECT_EQ(sent[0].record_source(0, 0), ip(198, 18, 0, 9));
    EXPECT_EQ(sent[0].record_source(0, 1), ip(198, 18, 0, 10));

    // A query about a group we are not in: nothing.
    inject(frame(us, igmp_query(ip(239, 9, 9, 9), 10))); // unicast to us: accepted, not a member
    EXPECT_TRUE(run(2000).empty());
}

TEST_F(IgmpTest, QrvIsAdoptedForRetransmissions) {
    inject(frame(all_systems, igmp_query(ip(0, 0, 0, 0), 10, true, {}, 4)));
    EXPECT_TRUE(run(2000).empty()); // no group: the answer to the General Query is empty, not sent
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    EXPECT_EQ(run(5000).size(), 4u); // the report and Robustness Variable - 1 = 3 more
}

TEST_F(IgmpTest, V2QuerierSwitchesToV2AndBack) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    run(2000);
    TimeMs t0 = clock.now();
    inject(frame(all_systems, igmp_query(ip(0, 0, 0, 0), 50, false))); // IGMPv2, 5 s
    EXPECT_EQ(igmp::version(*stack, ifx), 2);
    auto sent = run(6000);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_LE(sent[0].at, t0 + 5000);
    EXPECT_EQ(sent[0].type(), wire::igmp::type_v2_report);
    EXPECT_EQ(sent[0].dst, group_a);
    EXPECT_EQ(sent[0].group(), group_a);
    EXPECT_EQ(sent[0].ttl, 1);
    EXPECT_TRUE(sent[0].router_alert);
    EXPECT_EQ(sent[0].igmp.size(), 8u);

    ASSERT_TRUE(igmp::leave(*stack, ifx, group_a));
    sent = collect();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].type(), wire::igmp::type_v2_leave);
    EXPECT_EQ(sent[0].dst, ip(224, 0, 0, 2));
    EXPECT_EQ(sent[0].group(), group_a);

    // Older Version Querier Present Timeout: 2 x 125 s + 5 s after the query.
    advance(t0 + 255'000 - clock.now() - 20);
    EXPECT_EQ(igmp::version(*stack, ifx), 2);
    advance(40);
    EXPECT_EQ(igmp::version(*stack, ifx), 3);
    ASSERT_TRUE(igmp::join(*stack, ifx, group_b));
    sent = collect();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].type(), wire::igmp::type_v3_report);
}

TEST_F(IgmpTest, V1QuerierSendsV1ReportsAndNoLeave) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    run(2000);
    TimeMs t0 = clock.now();
    inject(frame(all_systems, igmp_query(ip(0, 0, 0, 0), 0, false)));
    EXPECT_EQ(igmp::version(*stack, ifx), 1);
    auto sent = run(11'000);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_LE(sent[0].at, t0 + 10'000);
    EXPECT_EQ(sent[0].type(), wire::igmp::type_v1_report);
    EXPECT_EQ(sent[0].dst, group_a);
    EXPECT_FALSE(sent[0].router_alert);
    ASSERT_TRUE(igmp::leave(*stack, ifx, group_a));
    EXPECT_TRUE(run(2000).empty());
    // A v2 query meanwhile does not lift v1 mode.
    inject(frame(all_systems, igmp_query(ip(0, 0, 0, 0), 50, false)));
    EXPECT_EQ(igmp::version(*stack, ifx), 1);
}

TEST_F(IgmpTest, OtherHostsV2ReportSuppressesOurs) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    run(2000);
    inject(frame(all_systems, igmp_query(ip(0, 0, 0, 0), 100, false))); // v2, 10 s
    std::vector<std::uint8_t> report{0x16, 0, 0, 0, 0, 0, 0, 0};
    put_ip(report, 4, group_a);
    put16(report, 2, reference_checksum(report.data(), report.size()));
    inject(frame(group_a, report, ip(198, 18, 0, 77)));
    EXPECT_TRUE(run(11'000).empty());
}

TEST_F(IgmpTest, ModeChangeCancelsPendingRetransmissions) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    ASSERT_EQ(collect().size(), 1u);
    inject(frame(all_systems, igmp_query(group_a, 0, false), querier)); // v1 group query (unusual)
    inject(frame(all_systems, igmp_query(ip(0, 0, 0, 0), 0, false)));
    auto sent = run(11'000);
    for (const auto& s : sent)
        EXPECT_EQ(s.type(), wire::igmp::type_v1_report); // the v3 retransmission was cancelled
}

TEST_F(IgmpTest, MalformedQueriesDroppedAndCounted) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    run(2000);
    auto bad = igmp_query(ip(0, 0, 0, 0), 10);
    bad[2] ^= 0xff;
    inject(frame(all_systems, bad));
    EXPECT_EQ(drops(Drop::BadChecksum), 1u);
    auto odd = igmp_query(ip(0, 0, 0, 0), 10);
    odd.resize(10); // 10 octets: no version
    put16(odd, 2, 0);
    put16(odd, 2, reference_checksum(odd.data(), odd.size()));
    inject(frame(all_systems, odd));
    EXPECT_EQ(drops(Drop::BadLength), 1u);
    inject(frame(group_a, igmp_query(ip(0, 0, 0, 0), 10))); // general query to a group address
    EXPECT_EQ(drops(Drop::BadAddress), 1u);
    inject(frame(group_a, igmp_query(group_b, 10))); // group query to another group
    EXPECT_EQ(drops(Drop::BadAddress), 2u);
    std::vector<std::uint8_t> shortm{0x11, 0, 0, 0, 0, 0};
    inject(frame(all_systems, shortm));
    EXPECT_EQ(drops(Drop::Truncated), 1u);
    EXPECT_TRUE(run(3000).empty());
    EXPECT_EQ(igmp::version(*stack, ifx), 3);
    // A unicast query to our address is accepted (RFC 3376 4.1.12).
    inject(frame(us, igmp_query(ip(0, 0, 0, 0), 10)));
    EXPECT_EQ(run(1100).size(), 1u);
}

TEST_F(IgmpTest, SecondChangeBeforeRetransmissionsRestartsWithNewRecord) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    ASSERT_TRUE(igmp::leave(*stack, ifx, group_a));
    auto now = collect();
    ASSERT_EQ(now.size(), 2u);
    EXPECT_EQ(now[0].record_type(0), 4);
    EXPECT_EQ(now[1].record_type(0), 3);
    auto later = run(5000);
    ASSERT_EQ(later.size(), 1u); // one retransmission, of the TO_IN record
    EXPECT_EQ(later[0].record_type(0), 3);
}

TEST_F(IgmpTest, PendingGeneralAnswerCoversGroupQuery) {
    ASSERT_TRUE(igmp::join(*stack, ifx, group_a));
    run(2000);
    inject(frame(all_systems, igmp_query(ip(0, 0, 0, 0), 1))); // answer within 100 ms
    inject(frame(group_a, igmp_query(group_a, 100)));          // within 10 s: covered (RFC 3376 5.2 rule 1)
    auto sent = run(12'000);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].record_type(0), 2);
}

TEST_F(IgmpTest, UnknownTypeIgnoredAndCounted) {
    std::vector<std::uint8_t> m{0x30, 0, 0, 0, 0, 0, 0, 0};
    put16(m, 2, reference_checksum(m.data(), m.size()));
    inject(frame(all_systems, m));
    EXPECT_EQ(drops(Drop::BadOperation), 1u);
    EXPECT_TRUE(run(2000).empty());
}

} // namespace
