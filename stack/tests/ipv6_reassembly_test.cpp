// IPv6 reassembly (RFC 8200 4.5, RFC 5722 overlaps, RFC 6946 atomic fragments, RFC 7112 header chain):
// fragments of an echo request are injected on a loopback (RawIp) device; the echo reply proves the
// reassembled packet, errors and counters prove the refusals.
#include "assembly/stack.hpp"
#include "ipv6_support.hpp"
#include "link/loopback.hpp"
#include "net/icmp6.hpp"
#include "net/ipv6.hpp"
#include "net/ipv6_reassembly.hpp"
#include "port/virtual_platform.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <vector>

using namespace pico;
using namespace pico::test;
using namespace pico::test6;

namespace {

const Ipv6Addr us = addr6("2001:db8::2");
const Ipv6Addr peer = addr6("2001:db8::1");

class Ipv6ReassemblyTest : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    LoopbackDevice lo{1500};
    IfIndex ifx = no_interface;
    Packet data = pattern(400, 5);
    Packet message; // the whole echo request (ICMPv6)

    void SetUp() override {
        ifx = stack->attach(lo);
        ASSERT_NE(ifx, no_interface);
        ASSERT_TRUE(ipv6::add_address(*stack, ifx, us, 64));
        message = icmp6_message(peer, us, 128, 0, 0x00420001, data);
        while (lo.receive()) { // MLD reports for the new solicited-node groups
        }
    }
    ModuleCounters& ip_stats() { return ipv6::state(*stack).counters; }
    ipv6_reassembly::State& rs() { return ipv6_reassembly::state(*stack); }
    void inject(const Packet& bytes) { ASSERT_TRUE(stack->inject(ifx, Bytes{bytes.data(), bytes.size()})); }
    std::optional<Packet> sent() {
        for (;;) {
            auto frame = lo.receive();
            if (!frame) return std::nullopt;
            Packet p(frame->data(), frame->data() + frame->size());
            if (!is_background(p)) return p;
        }
    }
    // A fragment of `message` covering [from, to).
    Packet fragment(std::size_t from, std::size_t to, bool more, std::uint32_t id = 0x1234,
                    const Packet* source = nullptr) {
        const Packet& m = source != nullptr ? *source : message;
        Packet part(m.begin() + static_cast<std::ptrdiff_t>(from),
                    m.begin() + static_cast<std::ptrdiff_t>(to));
        return ipv6_packet(peer, us, 44,
                           concat(fragment_header(58, static_cast<std::uint16_t>(from), more, id), part));
    }
    void expect_echo_reply() {
        auto out = sent();
        ASSERT_TRUE(out.has_value());
        ASSERT_EQ(out->size(), 40 + message.size());
        EXPECT_EQ((*out)[6], 58);
        EXPECT_EQ((*out)[40], 129);
        EXPECT_EQ(Packet(out->begin() + 48, out->end()), data);
    }
};

TEST_F(Ipv6ReassemblyTest, InOrderAndReversed) {
    inject(fragment(0, 200, true));
    EXPECT_EQ(ipv6_reassembly::in_progress(*stack), 1u);
    EXPECT_FALSE(sent().has_value());
    inject(fragment(200, message.size(), false));
    expect_echo_reply();
    EXPECT_EQ(rs().reassembled, 1u);
    EXPECT_EQ(ipv6_reassembly::in_progress(*stack), 0u);
    inject(fragment(200, message.size(), false, 7));
    inject(fragment(96, 200, true, 7));
    inject(fragment(0, 96, true, 7));
    expect_echo_reply();
    EXPECT_EQ(rs().reassembled, 2u);
}

TEST_F(Ipv6ReassemblyTest, AtomicFragmentProcessedAlone) {
    inject(fragment(0, 200, true)); // unrelated packet in reassembly with the same id
    inject(fragment(0, message.size(), false));
    expect_echo_reply();
    EXPECT_EQ(rs().atomic, 1u);
    EXPECT_EQ(ipv6_reassembly::in_progress(*stack), 1u); // untouched
}

TEST_F(Ipv6ReassemblyTest, OverlapDiscardsThePacket) {
    inject(fragment(0, 200, true));
    inject(fragment(192, 304, true)); // overlaps 8 octets
    EXPECT_EQ(ip_stats().drops(Drop::FragmentOverlap), 1u);
    EXPECT_EQ(ipv6_reassembly::in_progress(*stack), 0u);
    inject(fragment(200, message.size(), false));
    EXPECT_FALSE(sent().has_value()); // no reassembly from what is left; no ICMP either
    // Overlap in the other direction, and an identical range re-cut differently.
    inject(fragment(104, 200, true, 9));
    inject(fragment(0, 112, true, 9));
    EXPECT_EQ(ip_stats().drops(Drop::FragmentOverlap), 2u);
    inject(fragment(0, 200, true, 10));
    inject(fragment(0, 96, true, 10));
    EXPECT_EQ(ip_stats().drops(Drop::FragmentOverlap), 3u);
    EXPECT_FALSE(sent().has_value());
}

TEST_F(Ipv6ReassemblyTest, ExactDuplicateDroppedAlone) {
    inject(fragment(0, 200, true));
    inject(fragment(0, 200, true));
    EXPECT_EQ(rs().duplicates, 1u);
    inject(fragment(200, message.size(), false));
    expect_echo_reply();
}

TEST_F(Ipv6ReassemblyTest, LengthNotMultipleOfEightWithMoreFragments) {
    inject(fragment(0, 201, true));
    EXPECT_EQ(ip_stats().drops(Drop::BadLength), 1u);
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ((*out)[40], 4);
    EXPECT_EQ((*out)[41], 0);
    EXPECT_EQ(get32(*out, 44), 4u); // the Payload Length field
}

TEST_F(Ipv6ReassemblyTest, BeyondMaximumPayloadLength) {
    auto f = ipv6_packet(peer, us, 44, concat(fragment_header(58, 65528, false, 3), pattern(16)));
    inject(f);
    EXPECT_EQ(ip_stats().drops(Drop::FragmentOverflow), 1u);
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ((*out)[40], 4);
    EXPECT_EQ((*out)[41], 0);
    EXPECT_EQ(get32(*out, 44), 42u); // the Fragment Offset field
}

TEST_F(Ipv6ReassemblyTest, TimeoutSendsTimeExceededOnlyWithTheFirstFragment) {
    auto first = fragment(0, 200, true);
    inject(first);
    inject(fragment(200, 304, true, 5)); // another packet, first fragment never arrives
    clock.advance(config::ipv6_reassembly_timeout_ms);
    stack->poll();
    EXPECT_EQ(ip_stats().drops(Drop::ReassemblyTimeout), 2u);
    EXPECT_EQ(ipv6_reassembly::in_progress(*stack), 0u);
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ((*out)[40], 3);
    EXPECT_EQ((*out)[41], 1);
    EXPECT_EQ(Packet(out->begin() + 48, out->end()), first); // the first fragment, quoted whole
    EXPECT_FALSE(sent().has_value());
}

TEST_F(Ipv6ReassemblyTest, PoolStaysBoundedUnderAFlood) {
    std::size_t frames_before = stack->frame_pool().stats().in_use;
    for (std::uint32_t id = 0; id < 50; ++id)
        inject(fragment(0, 200, true, 100 + id));
    EXPECT_EQ(ipv6_reassembly::in_progress(*stack), config::ipv6_reassembly_slots);
    EXPECT_EQ(ip_stats().drops(Drop::ReassemblyEvicted), 50 - config::ipv6_reassembly_slots);
    EXPECT_EQ(stack->frame_pool().stats().in_use, frames_before + config::ipv6_reassembly_slots);
    // The newest packet can still complete.
    inject(fragment(200, message.size(), false, 149));
    expect_echo_reply();
    clock.advance(config::ipv6_reassembly_timeout_ms);
    stack->poll();
    while (sent()) {
    }
    EXPECT_EQ(ipv6_reassembly::in_progress(*stack), 0u);
    EXPECT_EQ(stack->frame_pool().stats().in_use, frames_before);
}

TEST_F(Ipv6ReassemblyTest, FirstFragmentWithoutTheWholeHeaderChain) {
    // RFC 7112: the first fragment ends inside a destination options header.
    auto dest = options_header(58, pattern(30));
    Packet fragmentable = concat(dest, message);
    Packet part(fragmentable.begin(), fragmentable.begin() + 16);
    inject(ipv6_packet(peer, us, 44, concat(fragment_header(60, 0, true, 77), part)));
    EXPECT_EQ(ip_stats().drops(Drop::BadExtensionHeader), 1u);
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ((*out)[40], 4);
    EXPECT_EQ((*out)[41], 3);
    EXPECT_EQ(get32(*out, 44), 0u);
}

TEST_F(Ipv6ReassemblyTest, UnfragmentablePartKeptAndFragmentHeaderRemoved) {
    // Destination options before the Fragment header are part of the unfragmentable part.
    auto dest = options_header(44, {});
    auto make = [&](std::size_t from, std::size_t to, bool more) {
        Packet part(message.begin() + static_cast<std::ptrdiff_t>(from),
                    message.begin() + static_cast<std::ptrdiff_t>(to));
        return ipv6_packet(
            peer, us, 60,
            concat(dest, concat(fragment_header(58, static_cast<std::uint16_t>(from), more, 3), part)));
    };
    inject(make(200, message.size(), false));
    inject(make(0, 200, true));
    expect_echo_reply();
}

} // namespace
