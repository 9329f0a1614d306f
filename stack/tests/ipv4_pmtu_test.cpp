// Path MTU discovery at the IP layer (RFC 1191, ipv4::path_mtu / update_path_mtu): the cache learns from ICMP
// "fragmentation needed" (code 4) with the next-hop MTU, estimates by the plateau table when the field is 0,
// never believes values below 68, never raises an estimate nor exceeds the first-hop MTU, forgets after 10
// minutes, and holds config::ipv4_pmtu_entries destinations.
#include "assembly/stack.hpp"
#include "link/wire_device.hpp"
#include "net/icmp4.hpp"
#include "net/ipv4.hpp"
#include "port/virtual_platform.hpp"
#include "test_support.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <vector>

using namespace pico;
using namespace pico::test;

namespace {

const Ipv4Addr us = ip(198, 18, 0, 2);
const Ipv4Addr gateway = ip(198, 18, 0, 1);
const Ipv4Addr far = ip(198, 19, 5, 5);
const MacAddr our_mac = *parse_mac("02:00:00:00:00:02");
const MacAddr gw_mac = *parse_mac("02:00:00:00:00:01");

using Vec = std::vector<std::uint8_t>;

class Pmtu : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    WireDevice eth{our_mac, 1500};
    IfIndex ifx = no_interface;

    void SetUp() override {
        ifx = stack->attach(eth);
        ASSERT_TRUE(ipv4::add_address(*stack, ifx, us, 24));
        ASSERT_TRUE(ipv4::add_route(*stack, ip(0, 0, 0, 0), 0, gateway));
    }
    ipv4::State& s() { return ipv4::state(*stack); }
    std::uint16_t pmtu(Ipv4Addr d = far) { return ipv4::path_mtu(*stack, no_interface, d); }

    // An ICMP Destination Unreachable code 4 from the gateway quoting a datagram we sent to `to` with Total
    // Length `quoted_total` (header + 8 octets quoted), next-hop MTU `mtu` in the low 16 bits.
    void frag_needed(std::uint16_t mtu, std::uint16_t quoted_total = 1500, Ipv4Addr to = far,
                     Ipv4Addr from = us) {
        Vec quote(28, 0);
        quote[0] = 0x45;
        put16(quote, 2, quoted_total);
        put16(quote, 6, 0x4000); // DF
        quote[8] = 63;
        quote[9] = 6;
        put_ip(quote, 12, from);
        put_ip(quote, 16, to);
        put16(quote, 10, reference_checksum(quote.data(), 20));
        put16(quote, 20, 40000);
        put16(quote, 22, 80);
        Vec icmp(8, 0);
        icmp[0] = 3;
        icmp[1] = 4;
        put16(icmp, 6, mtu);
        icmp.insert(icmp.end(), quote.begin(), quote.end());
        put16(icmp, 2, reference_checksum(icmp.data(), icmp.size()));
        Vec ipd(20, 0);
        ipd[0] = 0x45;
        put16(ipd, 2, static_cast<std::uint16_t>(20 + icmp.size()));
        ipd[8] = 64;
        ipd[9] = 1;
        put_ip(ipd, 12, gateway);
        put_ip(ipd, 16, us);
        put16(ipd, 10, reference_checksum(ipd.data(), 20));
        ipd.insert(ipd.end(), icmp.begin(), icmp.end());
        Vec f(14, 0);
        our_mac.store(f.data());
        gw_mac.store(f.data() + 6);
        put16(f, 12, 0x0800);
        f.insert(f.end(), ipd.begin(), ipd.end());
        ASSERT_TRUE(stack->inject(ifx, Bytes{f.data(), f.size()}));
    }
};

TEST(PmtuPlateau, Rfc1191Table) {
    EXPECT_EQ(ipv4::plateau_below(65535), 32000);
    EXPECT_EQ(ipv4::plateau_below(32001), 32000);
    EXPECT_EQ(ipv4::plateau_below(32000), 17914);
    EXPECT_EQ(ipv4::plateau_below(8166), 4352);
    EXPECT_EQ(ipv4::plateau_below(2003), 2002);
    EXPECT_EQ(ipv4::plateau_below(1500), 1492);
    EXPECT_EQ(ipv4::plateau_below(1492), 1006);
    EXPECT_EQ(ipv4::plateau_below(1006), 508);
    EXPECT_EQ(ipv4::plateau_below(576), 508);
    EXPECT_EQ(ipv4::plateau_below(508), 296);
    EXPECT_EQ(ipv4::plateau_below(296), 68);
    EXPECT_EQ(ipv4::plateau_below(69), 68);
    EXPECT_EQ(ipv4::plateau_below(68), 68); // never below the 68-octet floor
    EXPECT_EQ(ipv4::plateau_below(0), 68);
}

TEST_F(Pmtu, FirstHopMtuUntilARouterSaysOtherwise) {
    EXPECT_EQ(pmtu(), 1500);
    EXPECT_EQ(ipv4::path_mtu(*stack, ifx, far), 1500);
    EXPECT_EQ(ipv4::path_mtu(*stack, no_interface, ip(198, 18, 0, 9)), 1500);
    frag_needed(1000);
    EXPECT_EQ(pmtu(), 1000);
    EXPECT_EQ(pmtu(ip(198, 19, 5, 6)), 1500); // per destination
    EXPECT_EQ(s().pmtu_decreases, 1u);
    EXPECT_EQ(icmp4::state(*stack).counters.rx, 1u);
}

TEST_F(Pmtu, ZeroMtuFieldUsesThePlateauBelowTheQuotedLength) {
    frag_needed(0, 1500);
    EXPECT_EQ(pmtu(), 1492);
    frag_needed(0, 1492); // the next datagram, 1,492 octets, is still too big: next plateau
    EXPECT_EQ(pmtu(), 1006);
}

TEST_F(Pmtu, ValuesBelow68AreNotBelieved) {
    frag_needed(67);
    EXPECT_EQ(pmtu(), 1500);
    frag_needed(40);
    EXPECT_EQ(pmtu(), 1500);
    EXPECT_EQ(s().pmtu_ignored, 2u);
    frag_needed(68); // the floor itself is believable (RFC 791: every path carries 68)
    EXPECT_EQ(pmtu(), 68);
}

TEST_F(Pmtu, NeverRaisedByAReportNorAboveTheFirstHop) {
    frag_needed(1000);
    frag_needed(1200); // a stale or forged report of a larger MTU
    EXPECT_EQ(pmtu(), 1000);
    frag_needed(9000);
    EXPECT_EQ(pmtu(), 1000);
    EXPECT_FALSE(ipv4::update_path_mtu(*stack, ip(198, 19, 1, 1), 1500)); // not below the first hop
    EXPECT_FALSE(ipv4::update_path_mtu(*stack, ip(198, 19, 1, 1), 4000));
    EXPECT_EQ(pmtu(ip(198, 19, 1, 1)), 1500);
    frag_needed(800);
    EXPECT_EQ(pmtu(), 800);
    EXPECT_EQ(s().pmtu_decreases, 2u);
}

TEST_F(Pmtu, ReportAboutADatagramNotOursIsIgnored) {
    frag_needed(1000, 1500, far, ip(198, 18, 0, 77)); // quoted source is not one of our addresses
    EXPECT_EQ(pmtu(), 1500);
    EXPECT_EQ(s().pmtu_decreases, 0u);
}

TEST_F(Pmtu, MulticastAndBroadcastHaveNoPath) {
    EXPECT_FALSE(ipv4::update_path_mtu(*stack, ip(224, 0, 0, 9), 576));
    EXPECT_FALSE(ipv4::update_path_mtu(*stack, ip(198, 18, 0, 255), 576));
    EXPECT_FALSE(ipv4::update_path_mtu(*stack, ip(255, 255, 255, 255), 576));
}

TEST_F(Pmtu, AgesOutAfterTenMinutes) {
    frag_needed(1000);
    clock.advance(ipv4::pmtu_aging_ms - 1);
    EXPECT_EQ(pmtu(), 1000);
    clock.advance(1);
    EXPECT_EQ(pmtu(), 1500); // RFC 1191 6.3: probe with the first-hop MTU again
    for (const auto& e : s().pmtu)
        EXPECT_FALSE(e.used);
    // A new decrease restarts the timer from its own time.
    frag_needed(1000);
    clock.advance(5 * 60 * 1000);
    frag_needed(900);
    clock.advance(ipv4::pmtu_aging_ms - 1);
    EXPECT_EQ(pmtu(), 900);
    clock.advance(1);
    EXPECT_EQ(pmtu(), 1500);
}

TEST_F(Pmtu, BoundedTableReplacesTheOldest) {
    const std::size_t n = config::ipv4_pmtu_entries;
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(ipv4::update_path_mtu(*stack, ip(198, 19, 9, static_cast<std::uint8_t>(i + 1)), 1000));
        clock.advance(10);
    }
    for (std::size_t i = 0; i < n; ++i)
        EXPECT_EQ(pmtu(ip(198, 19, 9, static_cast<std::uint8_t>(i + 1))), 1000);
    ASSERT_TRUE(ipv4::update_path_mtu(*stack, ip(198, 19, 9, 200), 900));
    EXPECT_EQ(pmtu(ip(198, 19, 9, 200)), 900);
    EXPECT_EQ(pmtu(ip(198, 19, 9, 1)), 1500); // the oldest made room
    for (std::size_t i = 1; i < n; ++i)
        EXPECT_EQ(pmtu(ip(198, 19, 9, static_cast<std::uint8_t>(i + 1))), 1000);
}

TEST_F(Pmtu, NoRouteNoPath) {
    ASSERT_TRUE(ipv4::remove_route(*stack, ip(0, 0, 0, 0), 0));
    EXPECT_EQ(pmtu(), 0);
    EXPECT_FALSE(ipv4::update_path_mtu(*stack, far, 1000));
}

} // namespace
