// MLD listener: wire formats (Maximum Response Code decoding, reports byte by byte), state-change reports
// with retransmissions, answers to general / address / address-and-source queries, MLDv1 compatibility and
// its expiry, and the RFC 3810 6.2 validation of queries (link-local source, hop limit 1, Router Alert).
#include "assembly/stack.hpp"
#include "link/ethernet.hpp"
#include "link/wire_device.hpp"
#include "net/ipv6.hpp"
#include "net/mld.hpp"
#include "port/virtual_platform.hpp"
#include "test_support.hpp"
#include "wire/mld.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <vector>

using namespace pico;
using namespace pico::test;

namespace {

Ipv6Addr v6(const char* text) {
    return *parse_ipv6(text);
}

const MacAddr our_mac = *parse_mac("02:00:00:00:00:02");
const MacAddr peer_mac = *parse_mac("02:00:00:00:00:01");
const Ipv6Addr our_ll = v6("fe80::2");
const Ipv6Addr router_ll = v6("fe80::1");
const Ipv6Addr group_a = v6("ff0e::1:3");
const Ipv6Addr group_b = v6("ff05::1:4");
const Ipv6Addr source_1 = v6("2001:db8::9");
const Ipv6Addr source_2 = v6("2001:db8::10");

void put_v6(std::vector<std::uint8_t>& b, std::size_t at, const Ipv6Addr& a) {
    for (std::size_t i = 0; i < 16; ++i)
        b[at + i] = a.octets[i];
}
Ipv6Addr get_v6(const std::vector<std::uint8_t>& b, std::size_t at) {
    return Ipv6Addr::load(b.data() + at);
}

std::uint16_t icmp6_checksum(const Ipv6Addr& src, const Ipv6Addr& dst, const std::vector<std::uint8_t>& m) {
    std::vector<std::uint8_t> p(40, 0);
    put_v6(p, 0, src);
    put_v6(p, 16, dst);
    put16(p, 34, static_cast<std::uint16_t>(m.size()));
    p[39] = 58;
    p.insert(p.end(), m.begin(), m.end());
    return reference_checksum(p.data(), p.size());
}

std::vector<std::uint8_t> query(const Ipv6Addr& address, std::uint16_t max_resp, bool v2 = true,
                                const std::vector<Ipv6Addr>& sources = {}, std::uint8_t qrv = 2,
                                std::uint8_t qqic = 125) {
    std::vector<std::uint8_t> m(v2 ? 28 + 16 * sources.size() : 24, 0);
    m[0] = 130;
    put16(m, 4, max_resp);
    put_v6(m, 8, address);
    if (v2) {
        m[24] = qrv;
        m[25] = qqic;
        put16(m, 26, static_cast<std::uint16_t>(sources.size()));
        for (std::size_t i = 0; i < sources.size(); ++i)
            put_v6(m, 28 + 16 * i, sources[i]);
    }
    return m;
}

struct Frame {
    Ipv6Addr src = router_ll;
    Ipv6Addr dst = Ipv6Addr::all_nodes();
    std::uint8_t hop_limit = 1;
    bool router_alert = true;
    bool bad_checksum = false;
    std::vector<std::uint8_t> build(std::vector<std::uint8_t> m) const {
        put16(m, 2, 0);
        std::uint16_t c = icmp6_checksum(src, dst, m);
        put16(m, 2, bad_checksum ? static_cast<std::uint16_t>(c ^ 0x1111) : c);
        std::vector<std::uint8_t> f(14 + 40, 0);
        MacAddr dst_mac = dst.is_multicast() ? dst.multicast_mac() : our_mac;
        dst_mac.store(f.data());
        peer_mac.store(f.data() + 6);
        put16(f, 12, 0x86dd);
        f[14] = 0x60;
        std::size_t payload = m.size() + (router_alert ? 8 : 0);
        put16(f, 18, static_cast<std::uint16_t>(payload));
        f[20] = router_alert ? 0 : 58;
        f[21] = hop_limit;
        put_v6(f, 22, src);
        put_v6(f, 38, dst);
        if (router_alert) {
            std::vector<std::uint8_t> hbh{58, 0, 5, 2, 0, 0, 1, 0}; // Router Alert (MLD), PadN
            f.insert(f.end(), hbh.begin(), hbh.end());
        }
        f.insert(f.end(), m.begin(), m.end());
        return f;
    }
};

struct Sent {
    TimeMs at = 0;
    MacAddr dst_mac{};
    Ipv6Addr src{}, dst{};
    std::uint8_t hop_limit = 0;
    bool router_alert = false;
    std::vector<std::uint8_t> mld;
    std::uint8_t type() const { return mld.at(0); }
    std::size_t records() const { return get16(mld, 6); }
    std::size_t record_at(std::size_t k) const {
        std::size_t at = 8;
        for (std::size_t i = 0; i < k; ++i)
            at += 20 + 16 * get16(mld, at + 2);
        return at;
    }
    std::uint8_t record_type(std::size_t k) const { return mld.at(record_at(k)); }
    Ipv6Addr record_address(std::size_t k) const { return get_v6(mld, record_at(k) + 4); }
    std::size_t record_sources(std::size_t k) const { return get16(mld, record_at(k) + 2); }
    Ipv6Addr record_source(std::size_t k, std::size_t s) const {
        return get_v6(mld, record_at(k) + 20 + 16 * s);
    }
};

class MldTest : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform{clock, 7};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    WireDevice eth{our_mac, 1500};
    IfIndex ifx = stack->attach(eth);

    void SetUp() override {
        clock.advance(1000);
        ASSERT_TRUE(ipv6::add_address(*stack, ifx, our_ll, 64, ipv6::AddrState::Preferred));
        run(5000);
    }
    void inject(const std::vector<std::uint8_t>& f) { stack->inject(ifx, Bytes{f.data(), f.size()}); }
    std::vector<Sent> collect() {
        std::vector<Sent> out;
        while (auto f = eth.collect()) {
            std::vector<std::uint8_t> b(f->data(), f->data() + f->size());
            if (b.size() < 62 || get16(b, 12) != 0x86dd) continue;
            Sent s;
            s.at = clock.now();
            s.dst_mac = MacAddr::from(b.data());
            s.hop_limit = b[21];
            s.src = get_v6(b, 22);
            s.dst = get_v6(b, 38);
            std::size_t at = 54;
            if (b[20] == 0) {
                s.router_alert = b[56] == 5 && b[57] == 2 && b[58] == 0 && b[59] == 0;
                if (b[54] != 58) continue;
                at += (b[55] + 1u) * 8;
            } else if (b[20] != 58) {
                continue;
            }
            s.mld.assign(b.begin() + static_cast<std::ptrdiff_t>(at), b.end());
            if (s.mld.empty() || (s.type() != 143 && s.type() != 131 && s.type() != 132)) continue;
            EXPECT_EQ(icmp6_checksum(s.src, s.dst, s.mld), 0) << "ICMPv6 checksum";
            out.push_back(s);
        }
        return out;
    }
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
    std::uint32_t drops(Drop reason) { return mld::state(*stack).counters.drops(reason); }
};

void expect_v2_report(const Sent& s) {
    EXPECT_EQ(s.type(), 143);
    EXPECT_EQ(s.dst, Ipv6Addr::all_mldv2_routers());
    EXPECT_EQ(s.dst_mac, *parse_mac("33:33:00:00:00:16"));
    EXPECT_EQ(s.src, our_ll);
    EXPECT_EQ(s.hop_limit, 1);
    EXPECT_TRUE(s.router_alert);
}

TEST(MldWire, MaxRespCodeDecoding) {
    EXPECT_EQ(wire::mld::decode_max_resp(0), 0u);
    EXPECT_EQ(wire::mld::decode_max_resp(10000), 10000u);
    EXPECT_EQ(wire::mld::decode_max_resp(32767), 32767u);
    EXPECT_EQ(wire::mld::decode_max_resp(0x8000), 0x1000u << 3);
    EXPECT_EQ(wire::mld::decode_max_resp(0xffff), 0x1fffu << 10);
    EXPECT_EQ(wire::mld::decode_qqic(125), 125u);
    EXPECT_EQ(wire::mld::decode_qqic(0x8f), 0x1fu << 3);
}

TEST(MldWire, ReportBytes) {
    std::array<Ipv6Addr, 1> sources{source_1};
    std::array<wire::mld::AddressRecord, 2> records{wire::mld::AddressRecord{4, group_a, {}},
                                                    wire::mld::AddressRecord{1, group_b, sources}};
    wire::mld::V2ReportRepr r{records};
    ASSERT_EQ(r.buffer_len(), 8u + 20u + 36u);
    std::vector<std::uint8_t> out(r.buffer_len(), 0xee);
    ASSERT_TRUE(r.emit(MutBytes{out.data(), out.size()}));
    std::vector<std::uint8_t> expect(out.size(), 0);
    expect[0] = 143;
    expect[7] = 2;
    expect[8] = 4;
    put_v6(expect, 12, group_a);
    expect[28] = 1;
    expect[31] = 1;
    put_v6(expect, 32, group_b);
    put_v6(expect, 48, source_1);
    EXPECT_EQ(out, expect);
}

TEST_F(MldTest, JoinSendsChangeToExcludeAndOneRetransmission) {
    ASSERT_TRUE(mld::join(*stack, ifx, group_a));
    EXPECT_TRUE(ipv6::is_member(*stack, ifx, group_a));
    EXPECT_TRUE(ethernet::is_member(*stack, ifx, group_a.multicast_mac()));
    auto first = collect();
    ASSERT_EQ(first.size(), 1u);
    expect_v2_report(first[0]);
    ASSERT_EQ(first[0].records(), 1u);
    EXPECT_EQ(first[0].record_type(0), 4);
    EXPECT_EQ(first[0].record_address(0), group_a);
    EXPECT_EQ(first[0].record_sources(0), 0u);
    TimeMs t0 = clock.now();
    auto later = run(5000);
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].mld, first[0].mld);
    EXPECT_GT(later[0].at, t0);
    EXPECT_LE(later[0].at, t0 + 1000);
}

TEST_F(MldTest, LeaveSendsChangeToInclude) {
    ASSERT_TRUE(mld::join(*stack, ifx, group_a));
    run(2000);
    ASSERT_TRUE(mld::leave(*stack, ifx, group_a));
    EXPECT_FALSE(mld::is_member(*stack, ifx, group_a));
    auto sent = run(2000);
    ASSERT_EQ(sent.size(), 2u);
    for (const auto& s : sent) {
        expect_v2_report(s);
        EXPECT_EQ(s.record_type(0), 3);
        EXPECT_EQ(s.record_address(0), group_a);
    }
}

TEST_F(MldTest, AllNodesAndSmallScopesNeverReported) {
    EXPECT_TRUE(mld::join(*stack, ifx, Ipv6Addr::all_nodes()));
    EXPECT_TRUE(mld::join(*stack, ifx, v6("ff01::5"))); // interface-local
    EXPECT_FALSE(mld::join(*stack, ifx, v6("2001:db8::1")));
    EXPECT_TRUE(run(3000).empty());
    inject(Frame{}.build(query(Ipv6Addr::any(), 1000)));
    auto sent = run(2000);
    ASSERT_EQ(sent.size(), 1u); // only the solicited-node address ipv6 joined through MLD
    ASSERT_EQ(sent[0].records(), 1u);
    EXPECT_EQ(sent[0].record_address(0), our_ll.solicited_node());
}

TEST_F(MldTest, TableIsBounded) {
    // One slot holds the solicited-node address of fe80::2 (ipv6::add_address joins it through MLD).
    for (std::size_t i = 0; i + 1 < config::mld_groups; ++i) {
        Ipv6Addr g = v6("ff0e::100");
        g.octets[15] = static_cast<std::uint8_t>(i);
        ASSERT_TRUE(mld::join(*stack, ifx, g));
    }
    EXPECT_FALSE(mld::join(*stack, ifx, v6("ff0e::200")));
    EXPECT_EQ(drops(Drop::PoolExhausted), 1u);
}

TEST_F(MldTest, GeneralQueryAnsweredWithAllAddresses) {
    ASSERT_TRUE(mld::join(*stack, ifx, group_a));
    ASSERT_TRUE(mld::join(*stack, ifx, group_b));
    run(2000);
    TimeMs t0 = clock.now();
    inject(Frame{}.build(query(Ipv6Addr::any(), 2000)));
    auto sent = run(5000);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_LE(sent[0].at, t0 + 2000);
    expect_v2_report(sent[0]);
    ASSERT_EQ(sent[0].records(), 3u);
    for (std::size_t k = 0; k < 3; ++k) {
        EXPECT_EQ(sent[0].record_type(k), 2);
        EXPECT_EQ(sent[0].record_sources(k), 0u);
    }
    EXPECT_EQ(sent[0].record_address(0), our_ll.solicited_node());
    EXPECT_EQ(sent[0].record_address(1), group_a);
    EXPECT_EQ(sent[0].record_address(2), group_b);
}

TEST_F(MldTest, AddressAndSourceQueries) {
    ASSERT_TRUE(mld::join(*stack, ifx, group_a));
    run(2000);
    Frame to_group;
    to_group.dst = group_a;
    inject(to_group.build(query(group_a, 1000)));
    auto sent = run(2000);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].record_type(0), 2);
    EXPECT_EQ(sent[0].record_address(0), group_a);
    inject(to_group.build(query(group_a, 1000, true, {source_1, source_2})));
    sent = run(2000);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].record_type(0), 1);
    ASSERT_EQ(sent[0].record_sources(0), 2u);
    EXPECT_EQ(sent[0].record_source(0, 0), source_1);
    EXPECT_EQ(sent[0].record_source(0, 1), source_2);
}

TEST_F(MldTest, V1QuerierSwitchesToV1AndBack) {
    ASSERT_TRUE(mld::join(*stack, ifx, group_a));
    run(2000);
    TimeMs t0 = clock.now();
    inject(Frame{}.build(query(Ipv6Addr::any(), 3000, false)));
    EXPECT_EQ(mld::version(*stack, ifx), 1);
    auto sent = run(4000);
    ASSERT_EQ(sent.size(), 2u); // group_a and the solicited-node address
    std::erase_if(sent, [](const Sent& s) { return get_v6(s.mld, 8) != group_a; });
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_LE(sent[0].at, t0 + 3000);
    EXPECT_EQ(sent[0].type(), 131);
    EXPECT_EQ(sent[0].dst, group_a);
    EXPECT_EQ(get_v6(sent[0].mld, 8), group_a);
    EXPECT_EQ(sent[0].mld.size(), 24u);
    EXPECT_EQ(sent[0].hop_limit, 1);
    EXPECT_TRUE(sent[0].router_alert);
    ASSERT_TRUE(mld::leave(*stack, ifx, group_a));
    sent = collect();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].type(), 132);
    EXPECT_EQ(sent[0].dst, Ipv6Addr::all_routers());
    // 2 x 125 s + 3 s after the query.
    for (TimeMs t = clock.now(); t < t0 + 253'000 - 20; t += 10) {
        clock.advance(10);
        stack->poll();
    }
    EXPECT_EQ(mld::version(*stack, ifx), 1);
    run(40);
    EXPECT_EQ(mld::version(*stack, ifx), 2);
}

TEST_F(MldTest, InvalidQueriesDroppedAndCounted) {
    ASSERT_TRUE(mld::join(*stack, ifx, group_a));
    run(2000);
    Frame global_source;
    global_source.src = v6("2001:db8::1");
    inject(global_source.build(query(Ipv6Addr::any(), 1000)));
    EXPECT_EQ(drops(Drop::BadAddress), 1u);
    Frame hop;
    hop.hop_limit = 2;
    inject(hop.build(query(Ipv6Addr::any(), 1000)));
    EXPECT_EQ(drops(Drop::BadHopLimit), 1u);
    Frame no_ra;
    no_ra.router_alert = false;
    inject(no_ra.build(query(Ipv6Addr::any(), 1000)));
    EXPECT_EQ(drops(Drop::NoRouterAlert), 1u);
    auto odd = query(Ipv6Addr::any(), 1000);
    odd.resize(26);
    inject(Frame{}.build(odd));
    EXPECT_EQ(drops(Drop::BadLength), 1u);
    Frame to_group;
    to_group.dst = group_a;
    inject(to_group.build(query(Ipv6Addr::any(), 1000))); // General Query to a group address
    EXPECT_EQ(drops(Drop::BadAddress), 2u);
    EXPECT_TRUE(run(3000).empty());
    EXPECT_EQ(mld::version(*stack, ifx), 2);
}

} // namespace
