// SLAAC (RFC 4862) with RFC 7217 identifiers: identifier generation, DAD through the stack's timers, DAD
// failure and regeneration, prefixes and lifetimes.
#include "assembly/stack.hpp"
#include "link/wire_device.hpp"
#include "net/ipv6.hpp"
#include "net/nd.hpp"
#include "net/slaac.hpp"
#include "port/virtual_platform.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <vector>

namespace pico {
namespace {

Ipv6Addr a6(const char* text) {
    return *parse_ipv6(text);
}

class SlaacTest : public ::testing::Test {
  protected:
    void advance(TimeMs ms) {
        for (TimeMs i = 0; i < ms; i += 10) {
            clock.advance(10);
            stack->poll();
        }
    }
    ipv6::Address* address(const Ipv6Addr& a) { return ipv6::find_address(*stack, ifx, a); }
    Ipv6Addr link_local(std::uint8_t counter) {
        return slaac::stable_address(*stack, ifx, a6("fe80::"), counter);
    }
    std::size_t dad_probes() {
        std::size_t n = 0;
        while (auto frame = eth.collect()) {
            Bytes b = frame->bytes();
            // Ethernet + IPv6 from :: + ICMPv6 type 135
            if (b.size() >= 62 && b[12] == 0x86 && b[13] == 0xdd && b[20] == 58 && b[54] == 135 &&
                Ipv6Addr::load(b.data() + 22).is_unspecified())
                ++n;
        }
        return n;
    }

    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    WireDevice eth{*parse_mac("02:00:00:00:00:02"), 1500};
    IfIndex ifx = stack->attach(eth);
};

TEST_F(SlaacTest, StableIdentifierDependsOnPrefixCounterAndKey) {
    const Ipv6Addr a = slaac::stable_address(*stack, ifx, a6("2001:db8:1::"), 0);
    EXPECT_EQ(a, slaac::stable_address(*stack, ifx, a6("2001:db8:1::"), 0));
    EXPECT_TRUE(a.same_prefix(a6("2001:db8:1::"), 64));
    EXPECT_NE(a, slaac::stable_address(*stack, ifx, a6("2001:db8:1::"), 1));
    const Ipv6Addr b = slaac::stable_address(*stack, ifx, a6("2001:db8:2::"), 0);
    EXPECT_FALSE(std::equal(a.octets.begin() + 8, a.octets.end(), b.octets.begin() + 8));
    // Another stack (another secret key) derives another identifier for the same inputs.
    VirtualClock clock2;
    VirtualPlatform platform2{clock2, 2};
    auto other = std::make_unique<Stack>(platform2);
    WireDevice eth2{*parse_mac("02:00:00:00:00:02"), 1500};
    IfIndex ifx2 = other->attach(eth2);
    EXPECT_NE(a, slaac::stable_address(*other, ifx2, a6("2001:db8:1::"), 0));
}

TEST(SlaacIid, ReservedIdentifiers) {
    EXPECT_TRUE(slaac::reserved_iid(a6("2001:db8::")));
    EXPECT_TRUE(slaac::reserved_iid(a6("2001:db8::fdff:ffff:ffff:ff80")));
    EXPECT_TRUE(slaac::reserved_iid(a6("2001:db8::fdff:ffff:ffff:ffff")));
    EXPECT_FALSE(slaac::reserved_iid(a6("2001:db8::fdff:ffff:ffff:ff7f")));
    EXPECT_TRUE(slaac::reserved_iid(a6("2001:db8::200:5eff:fe00:5212")));
    EXPECT_TRUE(slaac::reserved_iid(a6("2001:db8::200:5eff:fe00:5213"))); // Proxy Mobile IPv6 (RFC 6543)
    EXPECT_TRUE(slaac::reserved_iid(a6("2001:db8::200:5eff:fe00:5214")));
    EXPECT_TRUE(slaac::reserved_iid(a6("2001:db8::200:5eff:fe00:ffff")));
    EXPECT_FALSE(slaac::reserved_iid(a6("2001:db8::200:5eff:fe01:0")));
    EXPECT_FALSE(slaac::reserved_iid(a6("2001:db8::200:5eff:fdff:ffff")));
    EXPECT_FALSE(slaac::reserved_iid(a6("2001:db8::1")));
}

TEST_F(SlaacTest, LinkLocalGoesThroughDad) {
    ASSERT_TRUE(slaac::start(*stack, ifx));
    EXPECT_FALSE(slaac::start(*stack, ifx)); // a link-local (even tentative) exists already
    const Ipv6Addr ll = link_local(0);
    ASSERT_NE(address(ll), nullptr);
    EXPECT_EQ(address(ll)->state, ipv6::AddrState::Tentative);
    advance(nd::max_rtr_solicitation_delay_ms + 10);
    EXPECT_EQ(dad_probes(), 1u);
    EXPECT_EQ(address(ll)->state, ipv6::AddrState::Tentative);
    advance(nd::retrans_timer_ms);
    EXPECT_EQ(address(ll)->state, ipv6::AddrState::Preferred);
    EXPECT_EQ(slaac::state(*stack).addresses_configured, 1u);
    EXPECT_EQ(ipv6::link_local(*stack, ifx), ll);
}

TEST_F(SlaacTest, ConflictRetriesWithNextCounterThenGivesUp) {
    ASSERT_TRUE(slaac::start(*stack, ifx));
    for (std::uint8_t counter = 0; counter <= slaac::idgen_retries; ++counter) {
        const Ipv6Addr ll = link_local(counter);
        ASSERT_NE(address(ll), nullptr) << int(counter);
        EXPECT_EQ(address(ll)->state, ipv6::AddrState::Tentative);
        slaac::on_dad_conflict(*stack, ifx, ll);
        EXPECT_EQ(address(ll), nullptr);
        EXPECT_EQ(slaac::state(*stack).dad_failures, counter + 1u);
    }
    EXPECT_FALSE(ipv6::link_local(*stack, ifx));
    EXPECT_EQ(address(link_local(slaac::idgen_retries + 1)), nullptr);
    advance(3000);
    EXPECT_EQ(dad_probes(), 0u);
}

// An identifier function (RFC 7217 5 F()) that answers a reserved identifier for the first `reserved`
// DAD_Counter values and then 0x1234567890abcdef + DAD_Counter; it records the counters asked for.
struct ScriptedIdentifiers {
    std::uint8_t reserved = 0;
    std::uint64_t reserved_iid = 0;
    std::vector<std::uint8_t> counters;
    static std::uint64_t call(void* context, Bytes input, const std::array<std::uint8_t, 16>&) {
        auto* self = static_cast<ScriptedIdentifiers*>(context);
        const std::uint8_t counter = input[15];
        self->counters.push_back(counter);
        return counter < self->reserved ? self->reserved_iid : 0x1234567890abcdefULL + counter;
    }
};

Ipv6Addr with_iid(const char* prefix, std::uint64_t iid) {
    Ipv6Addr a = a6(prefix);
    for (int i = 0; i < 8; ++i)
        a.octets[8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(iid >> (56 - 8 * i));
    return a;
}

TEST_F(SlaacTest, ReservedIdentifierMovesTheCounterOn) {
    for (std::uint64_t reserved : {0x0ULL, 0xfdffffffffffff80ULL, 0xfdffffffffffffffULL,
                                   0x02005efffe000000ULL, 0x02005efffe005213ULL, 0x02005efffe00ffffULL}) {
        auto fresh = std::make_unique<Stack>(platform);
        WireDevice dev{*parse_mac("02:00:00:00:00:03"), 1500};
        const IfIndex i = fresh->attach(dev);
        ScriptedIdentifiers ids{2, reserved, {}};
        slaac::set_identifier_function(*fresh, ScriptedIdentifiers::call, &ids);
        ASSERT_TRUE(slaac::start(*fresh, i));
        EXPECT_EQ(ids.counters, (std::vector<std::uint8_t>{0, 1, 2})) << std::hex << reserved;
        EXPECT_EQ(slaac::state(*fresh).reserved_skipped, 2u);
        const Ipv6Addr used = with_iid("fe80::", 0x1234567890abcdefULL + 2);
        ASSERT_NE(ipv6::find_address(*fresh, i, used), nullptr);
        EXPECT_EQ(ipv6::find_address(*fresh, i, with_iid("fe80::", reserved)), nullptr);
        // A DAD failure continues from DAD_Counter 3, and the skips are not retries (RFC 7217 6).
        slaac::on_dad_conflict(*fresh, i, used);
        EXPECT_EQ(ids.counters.back(), 3);
        EXPECT_NE(ipv6::find_address(*fresh, i, with_iid("fe80::", 0x1234567890abcdefULL + 3)), nullptr);
    }
}

TEST_F(SlaacTest, EveryIdentifierReservedGivesTheAddressUp) {
    ScriptedIdentifiers ids{255, 0, {}};
    slaac::set_identifier_function(*stack, ScriptedIdentifiers::call, &ids);
    EXPECT_FALSE(slaac::start(*stack, ifx));
    EXPECT_EQ(ids.counters.size(), slaac::max_reserved_skips);
    EXPECT_EQ(slaac::state(*stack).counters.drops(Drop::BadAddress), 1u);
    EXPECT_FALSE(ipv6::link_local(*stack, ifx));
    slaac::set_identifier_function(*stack, nullptr, nullptr); // SipHash again
    EXPECT_TRUE(slaac::start(*stack, ifx));
}

TEST_F(SlaacTest, SecretKeyDeterminesTheIdentifier) {
    const std::array<std::uint8_t, 16> key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    slaac::set_secret_key(*stack, key);
    const Ipv6Addr a = slaac::stable_address(*stack, ifx, a6("2001:db8:1::"), 0);
    VirtualClock clock2;
    VirtualPlatform platform2{clock2, 7};
    auto other = std::make_unique<Stack>(platform2);
    WireDevice eth2{*parse_mac("02:00:00:00:00:02"), 1500};
    const IfIndex ifx2 = other->attach(eth2);
    ASSERT_EQ(ifx2, ifx);
    EXPECT_NE(slaac::stable_address(*other, ifx2, a6("2001:db8:1::"), 0), a); // its own random key
    slaac::set_secret_key(*other, key);
    EXPECT_EQ(slaac::stable_address(*other, ifx2, a6("2001:db8:1::"), 0), a); // the same key: the same IID
}

TEST_F(SlaacTest, DadProbeComesFromUnspecifiedWhileAnotherAddressIsUp) {
    ASSERT_TRUE(ipv6::add_address(*stack, ifx, a6("fe80::2"), 64));
    eth.clear();
    ASSERT_TRUE(ipv6::add_address(*stack, ifx, a6("2001:db8::7"), 64, ipv6::AddrState::Tentative));
    advance(nd::max_rtr_solicitation_delay_ms + 10);
    EXPECT_EQ(dad_probes(), 1u); // from :: (RFC 4862 5.4.2), not from fe80::2
    advance(nd::retrans_timer_ms);
    EXPECT_EQ(address(a6("2001:db8::7"))->state, ipv6::AddrState::Preferred);
}

TEST_F(SlaacTest, ConflictOnPreferredAddressIsIgnored) {
    ASSERT_TRUE(slaac::start(*stack, ifx));
    advance(2100);
    const Ipv6Addr ll = link_local(0);
    slaac::on_dad_conflict(*stack, ifx, ll);
    ASSERT_NE(address(ll), nullptr);
    EXPECT_EQ(slaac::state(*stack).dad_failures, 0u);
}

TEST_F(SlaacTest, PrefixRulesOf553) {
    slaac::on_prefix(*stack, ifx, a6("fe80::"), 64, 600, 600);
    slaac::on_prefix(*stack, ifx, a6("2001:db8:1::"), 64, 100, 200);
    slaac::on_prefix(*stack, ifx, a6("2001:db8:1::"), 48, 600, 600);
    slaac::on_prefix(*stack, ifx, a6("2001:db8:1::"), 64, 0, 0);
    for (const auto& a : ipv6::state(*stack).addresses[ifx])
        EXPECT_EQ(a.state, ipv6::AddrState::Free);
    EXPECT_EQ(slaac::state(*stack).counters.drops(Drop::BadAddress), 1u);
    EXPECT_EQ(slaac::state(*stack).counters.drops(Drop::BadOption), 1u);
    EXPECT_EQ(slaac::state(*stack).counters.drops(Drop::BadLength), 1u);
    slaac::on_prefix(*stack, ifx, a6("2001:db8:1::"), 64, 600, 300);
    const Ipv6Addr a = slaac::stable_address(*stack, ifx, a6("2001:db8:1::"), 0);
    ASSERT_NE(address(a), nullptr);
    EXPECT_TRUE(address(a)->autoconf);
    EXPECT_EQ(address(a)->valid_until, 600'000u);
    EXPECT_EQ(address(a)->preferred_until, 300'000u);
}

TEST_F(SlaacTest, TwoHourRule) {
    const Ipv6Addr p = a6("2001:db8:1::");
    slaac::on_prefix(*stack, ifx, p, 64, 3 * 3600, 3600);
    const Ipv6Addr a = slaac::stable_address(*stack, ifx, p, 0);
    ASSERT_NE(address(a), nullptr);
    // Remaining 3 h > 2 h, advertised 60 s: set to two hours.
    slaac::on_prefix(*stack, ifx, p, 64, 60, 30);
    EXPECT_EQ(address(a)->valid_until, slaac::two_hours_ms);
    EXPECT_EQ(address(a)->preferred_until, 30'000u);
    // Remaining <= 2 h, advertised 60 s: ignored.
    slaac::on_prefix(*stack, ifx, p, 64, 60, 30);
    EXPECT_EQ(address(a)->valid_until, slaac::two_hours_ms);
    // Advertised above two hours: taken. Infinite: taken as infinite (0).
    slaac::on_prefix(*stack, ifx, p, 64, 3 * 3600, 30);
    EXPECT_EQ(address(a)->valid_until, 3u * 3600 * 1000);
    slaac::on_prefix(*stack, ifx, p, 64, slaac::infinite_lifetime, slaac::infinite_lifetime);
    EXPECT_EQ(address(a)->valid_until, 0u);
    EXPECT_EQ(address(a)->preferred_until, 0u);
    // Remaining infinite, advertised 1 h: two hours.
    slaac::on_prefix(*stack, ifx, p, 64, 3600, 60);
    EXPECT_EQ(address(a)->valid_until, slaac::two_hours_ms);
}

TEST_F(SlaacTest, LifetimesDeprecateThenRemove) {
    slaac::on_prefix(*stack, ifx, a6("2001:db8:1::"), 64, 20, 10);
    const Ipv6Addr a = slaac::stable_address(*stack, ifx, a6("2001:db8:1::"), 0);
    advance(2100);
    ASSERT_NE(address(a), nullptr);
    EXPECT_EQ(address(a)->state, ipv6::AddrState::Preferred);
    advance(10'000 - 2100);
    EXPECT_EQ(address(a)->state, ipv6::AddrState::Deprecated);
    advance(10'000);
    EXPECT_EQ(address(a), nullptr);
}

} // namespace
} // namespace pico
