// IPv4 reassembly (net/ipv4_reassembly.hpp): an ICMP echo request cut into fragments is reassembled and
// answered exactly like an unfragmented one; duplicates are tolerated; overlaps with different octets,
// totals over 65,535 and datagrams too large for a frame are dropped with their reasons; the timeout sends
// Time Exceeded code 1 only when fragment 0 was received; slot exhaustion evicts the oldest; every pool frame
// comes back.
#include "assembly/stack.hpp"
#include "link/wire_device.hpp"
#include "net/icmp4.hpp"
#include "net/ipv4.hpp"
#include "net/ipv4_reassembly.hpp"
#include "port/virtual_platform.hpp"
#include "test_support.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <vector>

using namespace pico;
using namespace pico::test;

namespace {

const Ipv4Addr us = ip(198, 18, 0, 2);
const Ipv4Addr peer = ip(198, 18, 0, 1);
const MacAddr our_mac = *parse_mac("02:00:00:00:00:01");
const MacAddr peer_mac = *parse_mac("02:00:00:00:00:99");

using Vec = std::vector<std::uint8_t>;

Vec ethernet_frame(const Vec& payload, std::uint16_t type = 0x0800, MacAddr dst = our_mac) {
    Vec f;
    f.reserve(14 + payload.size());
    f.resize(14);
    dst.store(f.data());
    peer_mac.store(f.data() + 6);
    put16(f, 12, type);
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

// An ICMP echo request (the IP payload) with `n` data octets.
Vec echo_request(std::size_t n, std::uint16_t id = 0x4242) {
    Vec m(8 + n, 0);
    m[0] = 8;
    put16(m, 4, id);
    put16(m, 6, 1);
    for (std::size_t i = 0; i < n; ++i)
        m[8 + i] = static_cast<std::uint8_t>(i * 7 + 3);
    put16(m, 2, reference_checksum(m.data(), m.size()));
    return m;
}

// One fragment: IP header (protocol ICMP) with the given offset (octets, a multiple of 8) and MF, and
// `data`.
Vec fragment(const Vec& data, std::size_t offset, bool more, std::uint16_t id = 0x1234, Ipv4Addr src = peer,
             std::uint8_t protocol = 1) {
    Vec b(20 + data.size(), 0);
    b[0] = 0x45;
    put16(b, 2, static_cast<std::uint16_t>(b.size()));
    put16(b, 4, id);
    put16(b, 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
    b[8] = 64;
    b[9] = protocol;
    put_ip(b, 12, src);
    put_ip(b, 16, us);
    std::copy(data.begin(), data.end(), b.begin() + 20);
    put16(b, 10, reference_checksum(b.data(), 20));
    return b;
}

Vec slice(const Vec& v, std::size_t from, std::size_t len) {
    return Vec(v.begin() + static_cast<std::ptrdiff_t>(from),
               v.begin() + static_cast<std::ptrdiff_t>(from + len));
}

class Reassembly : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    WireDevice eth{our_mac, 1500};
    IfIndex ifx = no_interface;
    std::uint32_t frames_before = 0;

    void SetUp() override {
        ifx = stack->attach(eth);
        ASSERT_NE(ifx, no_interface);
        ASSERT_TRUE(ipv4::add_address(*stack, ifx, us, 24));
        // Let the gratuitous ARP announcements (RFC 5227) go first.
        for (int i = 0; i < 10; ++i) {
            clock.advance(1000);
            stack->poll();
        }
        learn_peer();
        eth.clear();
        frames_before = stack->frame_stats().in_use;
        ipv4::state(*stack).counters = ModuleCounters{};
    }
    // The peer asks for us by ARP, so we know its MAC (for 60 s) and answer without resolving.
    void learn_peer() {
        Vec a{0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
        a.resize(28, 0);
        peer_mac.store(a.data() + 8);
        put_ip(a, 14, peer);
        put_ip(a, 24, us);
        auto frame = ethernet_frame(a, 0x0806, MacAddr::broadcast());
        ASSERT_TRUE(stack->inject(ifx, Bytes{frame.data(), frame.size()}));
        while (eth.collect()) { // our ARP reply
        }
    }
    void TearDown() override {
        // Whatever happened, no frame stays with the reassembly once nothing is in progress.
        if (ipv4_reassembly::in_progress(*stack) == 0) {
            EXPECT_EQ(stack->frame_stats().in_use, frames_before);
        }
    }
    void inject(const Vec& ip_bytes) {
        auto frame = ethernet_frame(ip_bytes);
        ASSERT_TRUE(stack->inject(ifx, Bytes{frame.data(), frame.size()}));
    }
    ModuleCounters& ip() { return ipv4::state(*stack).counters; }
    ipv4_reassembly::State& rs() { return ipv4_reassembly::state(*stack); }
    // The next frame sent, as the IP datagram it carries (Ethernet header removed).
    std::optional<Vec> sent_ip() {
        auto out = eth.collect();
        if (!out) return std::nullopt;
        Vec f(out->data(), out->data() + out->size());
        if (f.size() < 14 || get16(f, 12) != 0x0800) return std::nullopt;
        return Vec(f.begin() + 14, f.end());
    }
    // An echo reply answering `request` (the ICMP message) came out, and nothing else.
    void expect_echo_reply(const Vec& request) {
        auto reply = sent_ip();
        ASSERT_TRUE(reply.has_value());
        ASSERT_EQ(reply->size(), 20 + request.size());
        EXPECT_EQ(get16(*reply, 2), 20 + request.size());
        EXPECT_EQ(get16(*reply, 6) & 0x3fff, 0); // not a fragment
        EXPECT_EQ(get_ip(*reply, 16), peer);
        EXPECT_EQ((*reply)[20], 0); // echo reply
        // Data octets identical (RFC 792), so the whole datagram arrived in order.
        EXPECT_TRUE(std::equal(request.begin() + 4, request.end(), reply->begin() + 24));
        EXPECT_EQ(eth.pending_tx(), 0u);
    }
};

TEST_F(Reassembly, InOrderFragmentsAreDeliveredAsOneDatagram) {
    Vec icmp = echo_request(1000); // 1,008 octets: 400 + 400 + 208
    inject(fragment(slice(icmp, 0, 400), 0, true));
    inject(fragment(slice(icmp, 400, 400), 400, true));
    EXPECT_EQ(eth.pending_tx(), 0u); // nothing is delivered before the last piece
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 1u);
    inject(fragment(slice(icmp, 800, 208), 800, false));
    expect_echo_reply(icmp);
    EXPECT_EQ(rs().reassembled, 1u);
    EXPECT_EQ(ip().total_drops(), 0u);
    EXPECT_EQ(ip().rx, 3u);
    EXPECT_EQ(icmp4::state(*stack).counters.rx, 1u); // one datagram went up, not three
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 0u);
}

TEST_F(Reassembly, OutOfOrderFragmentsAreDelivered) {
    Vec icmp = echo_request(1000);
    inject(fragment(slice(icmp, 800, 208), 800, false)); // last first
    inject(fragment(slice(icmp, 0, 400), 0, true));
    EXPECT_EQ(eth.pending_tx(), 0u);
    inject(fragment(slice(icmp, 400, 400), 400, true));
    expect_echo_reply(icmp);
    EXPECT_EQ(ip().total_drops(), 0u);
}

TEST_F(Reassembly, DuplicatesAndIdenticalOverlapsAreTolerated) {
    Vec icmp = echo_request(1000);
    inject(fragment(slice(icmp, 0, 400), 0, true));
    inject(fragment(slice(icmp, 0, 400), 0, true));     // exact duplicate
    inject(fragment(slice(icmp, 200, 400), 200, true)); // overlaps both sides, same octets
    EXPECT_EQ(eth.pending_tx(), 0u);
    inject(fragment(slice(icmp, 400, 608), 400, false));
    expect_echo_reply(icmp);
    EXPECT_EQ(rs().duplicates, 1u); // only the exact duplicate brought nothing new
    EXPECT_EQ(ip().total_drops(), 0u);
    // A late duplicate after completion starts a new datagram (it will time out silently: no fragment 0).
    inject(fragment(slice(icmp, 400, 400), 400, true));
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 1u);
}

TEST_F(Reassembly, OverlapWithDifferentOctetsDiscardsTheDatagram) {
    Vec icmp = echo_request(1000);
    inject(fragment(slice(icmp, 0, 400), 0, true));
    Vec forged = slice(icmp, 200, 400);
    forged[250] ^= 0xff; // octet 450: not held yet, but octets 200..399 are and stay the same...
    forged[10] ^= 0x01;  // ...except octet 210, which differs from what fragment 0 brought
    inject(fragment(forged, 200, true));
    EXPECT_EQ(ip().drops(Drop::FragmentOverlap), 1u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 0u);
    EXPECT_EQ(stack->frame_stats().in_use, frames_before);
    // The rest of the datagram alone cannot complete it: nothing is delivered.
    inject(fragment(slice(icmp, 400, 608), 400, false));
    EXPECT_EQ(eth.pending_tx(), 0u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 1u);
}

TEST_F(Reassembly, DisagreeingLastFragmentsDiscardTheDatagram) {
    Vec icmp = echo_request(1000);
    inject(fragment(slice(icmp, 800, 208), 800, false));
    inject(fragment(slice(icmp, 800, 200), 800, false)); // another end
    EXPECT_EQ(ip().drops(Drop::FragmentOverlap), 1u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 0u);
    // Data past a known end.
    inject(fragment(slice(icmp, 400, 200), 400, false)); // the end at 600 ...
    inject(fragment(slice(icmp, 600, 200), 600, true));  // ... then octets 600..799
    EXPECT_EQ(ip().drops(Drop::FragmentOverlap), 2u);
    EXPECT_EQ(eth.pending_tx(), 0u);
}

TEST_F(Reassembly, TotalBeyond65535IsDropped) {
    Vec icmp = echo_request(1000);
    inject(fragment(slice(icmp, 0, 400), 0, true));
    // 20 octets of header + offset 65,512 + 24 octets = 65,556 (the ping-of-death shape).
    inject(fragment(Vec(24, 0xab), 65512, false));
    EXPECT_EQ(ip().drops(Drop::FragmentOverflow), 1u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 0u); // the datagram is gone too
    // Exactly 65,535 is not an overflow (but does not fit a reassembly buffer here).
    inject(fragment(Vec(11, 0xab), 65504, false));
    EXPECT_EQ(ip().drops(Drop::FragmentOverflow), 1u);
    EXPECT_EQ(ip().drops(Drop::ReassemblyTooBig), 1u);
    EXPECT_EQ(eth.pending_tx(), 0u);
    EXPECT_EQ(ip().total_drops(), 2u);
}

TEST_F(Reassembly, LargerThanAFrameIsDropped) {
    inject(fragment(Vec(400, 1), 0, true));
    std::size_t offset = (ipv4_reassembly::max_payload / 8) * 8;
    inject(fragment(Vec(16, 1), offset, false));
    EXPECT_EQ(ip().drops(Drop::ReassemblyTooBig), 1u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 0u);
}

TEST_F(Reassembly, BadFragmentLengthsAreDropped) {
    inject(fragment(Vec(12, 1), 0, true)); // MF with a length that is not a multiple of 8
    EXPECT_EQ(ip().drops(Drop::BadLength), 1u);
    inject(fragment(Vec{}, 8, false)); // no data
    EXPECT_EQ(ip().drops(Drop::BadLength), 2u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 0u);
}

TEST_F(Reassembly, TimeoutWithFragmentZeroSendsTimeExceededCode1) {
    Vec icmp = echo_request(1000);
    Vec first = fragment(slice(icmp, 0, 400), 0, true);
    inject(first);
    stack->poll();
    clock.advance(config::ipv4_reassembly_timeout_ms - 1);
    stack->poll();
    EXPECT_EQ(eth.pending_tx(), 0u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 1u);
    learn_peer(); // the ARP entry (60 s) would expire with the datagram: the error goes out unresolved
    clock.advance(1);
    stack->poll();
    auto error = sent_ip();
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ((*error)[9], 1); // ICMP
    EXPECT_EQ(get_ip(*error, 16), peer);
    EXPECT_EQ(get_ip(*error, 12), us);
    EXPECT_EQ((*error)[20], 11); // Time Exceeded
    EXPECT_EQ((*error)[21], 1);  // fragment reassembly time exceeded
    // Quotes fragment 0's header and (at least) 8 octets of its data.
    ASSERT_GE(error->size(), 28u + 28u);
    EXPECT_TRUE(std::equal(first.begin(), first.begin() + 28, error->begin() + 28));
    EXPECT_EQ(reference_checksum(error->data() + 20, error->size() - 20), 0);
    EXPECT_EQ(ip().drops(Drop::ReassemblyTimeout), 1u);
    EXPECT_EQ(rs().time_exceeded_sent, 1u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 0u);
    EXPECT_EQ(stack->frame_stats().in_use, frames_before);
}

TEST_F(Reassembly, TimeoutWithoutFragmentZeroIsSilent) {
    Vec icmp = echo_request(1000);
    inject(fragment(slice(icmp, 400, 400), 400, true));
    inject(fragment(slice(icmp, 800, 208), 800, false));
    clock.advance(config::ipv4_reassembly_timeout_ms);
    stack->poll();
    EXPECT_EQ(eth.pending_tx(), 0u);
    EXPECT_EQ(ip().drops(Drop::ReassemblyTimeout), 1u);
    EXPECT_EQ(rs().time_exceeded_sent, 0u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 0u);
}

TEST_F(Reassembly, SlotExhaustionEvictsTheOldest) {
    Vec icmp = echo_request(1000);
    for (std::size_t i = 0; i < config::ipv4_reassembly_slots; ++i) {
        inject(fragment(slice(icmp, 0, 400), 0, true, static_cast<std::uint16_t>(0x100 + i)));
        clock.advance(10);
    }
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), config::ipv4_reassembly_slots);
    EXPECT_EQ(stack->frame_stats().in_use, frames_before + config::ipv4_reassembly_slots);
    // One more datagram: the oldest (id 0x100) makes room.
    inject(fragment(slice(icmp, 0, 400), 0, true, 0x200));
    EXPECT_EQ(ip().drops(Drop::ReassemblyEvicted), 1u);
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), config::ipv4_reassembly_slots);
    EXPECT_EQ(stack->frame_stats().in_use, frames_before + config::ipv4_reassembly_slots);
    // id 0x101 is still held and completes; id 0x100 does not (its remainder starts anew).
    inject(fragment(slice(icmp, 400, 608), 400, false, 0x101));
    expect_echo_reply(icmp);
    inject(fragment(slice(icmp, 400, 608), 400, false, 0x100));
    EXPECT_EQ(eth.pending_tx(), 0u);
    // All time out; only the ones holding fragment 0 answer with Time Exceeded (rate limit permitting).
    clock.advance(config::ipv4_reassembly_timeout_ms - 1);
    stack->poll();
    learn_peer(); // the ARP entry would expire with the datagrams
    clock.advance(1);
    stack->poll();
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 0u);
    EXPECT_EQ(ip().drops(Drop::ReassemblyTimeout), config::ipv4_reassembly_slots);
    EXPECT_EQ(rs().time_exceeded_sent, config::ipv4_reassembly_slots - 1);
    EXPECT_EQ(stack->frame_stats().in_use, frames_before + eth.pending_tx()); // only errors waiting to go
    while (eth.collect()) {
    }
    EXPECT_EQ(stack->frame_stats().in_use, frames_before);
}

TEST_F(Reassembly, DifferentKeysAreSeparateDatagrams) {
    Vec icmp = echo_request(1000);
    // Same id, other protocol: not the same datagram (RFC 791: source, destination, protocol, id).
    inject(fragment(slice(icmp, 0, 400), 0, true, 0x1234, peer, 1));
    inject(fragment(slice(icmp, 400, 608), 400, false, 0x1234, peer, 253));
    EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 2u);
    EXPECT_EQ(eth.pending_tx(), 0u);
    inject(fragment(slice(icmp, 400, 608), 400, false, 0x1234, peer, 1));
    expect_echo_reply(icmp);
}

TEST_F(Reassembly, LargestDatagramForAFrameIsDelivered) {
    // 1,500-octet MTU datagram reassembled from 3 fragments: data 1,480 octets.
    Vec icmp = echo_request(1472);
    inject(fragment(slice(icmp, 1000, 480), 1000, false));
    inject(fragment(slice(icmp, 0, 504), 0, true));
    inject(fragment(slice(icmp, 504, 496), 504, true));
    expect_echo_reply(icmp);
}

} // namespace
