// IPv4: every input check with its counted reason and no output, acceptance rules, addresses, routing
// (longest prefix), output (header fields, TTL, TooBig) on a loopback device, and Ethernet output through
// ARP.
#include "assembly/stack.hpp"
#include "link/ethernet.hpp"
#include "link/loopback.hpp"
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

// An IPv4 datagram as bytes, every field settable (including wrong ones).
struct Datagram {
    std::uint8_t version = 4;
    std::optional<std::uint8_t> ihl; // default: 5 + options/4
    std::uint8_t tos = 0;
    std::optional<std::uint16_t> total_length; // default: the real length
    std::uint16_t id = 0x1111;
    std::uint16_t flags_fragment = 0;
    std::uint8_t ttl = 64;
    std::uint8_t protocol = 253; // no module takes it: its delivery shows as UnknownProtocol
    Ipv4Addr src = peer;
    Ipv4Addr dst = us;
    std::vector<std::uint8_t> options; // a multiple of 4 bytes
    std::vector<std::uint8_t> payload = std::vector<std::uint8_t>(8, 0x5a);
    bool corrupt_checksum = false;

    std::vector<std::uint8_t> build() const {
        std::size_t header = 20 + options.size();
        std::vector<std::uint8_t> b(header + payload.size(), 0);
        std::uint8_t ihl_value = ihl ? *ihl : static_cast<std::uint8_t>(header / 4);
        b[0] = static_cast<std::uint8_t>(version << 4 | (ihl_value & 0xf));
        b[1] = tos;
        put16(b, 2, total_length ? *total_length : static_cast<std::uint16_t>(b.size()));
        put16(b, 4, id);
        put16(b, 6, flags_fragment);
        b[8] = ttl;
        b[9] = protocol;
        put_ip(b, 12, src);
        put_ip(b, 16, dst);
        std::copy(options.begin(), options.end(), b.begin() + 20);
        std::copy(payload.begin(), payload.end(), b.begin() + static_cast<std::ptrdiff_t>(header));
        std::uint16_t c = reference_checksum(b.data(), header);
        if (corrupt_checksum) c ^= 0x0101;
        put16(b, 10, c);
        return b;
    }
};

std::vector<std::uint8_t> ethernet_frame(const std::vector<std::uint8_t>& payload, MacAddr dst = our_mac,
                                         std::uint16_t type = 0x0800) {
    std::vector<std::uint8_t> f;
    f.reserve(14 + payload.size()); // also keeps gcc 12 -O2 from a false -Warray-bounds in insert()
    f.resize(14);
    dst.store(f.data());
    peer_mac.store(f.data() + 6);
    put16(f, 12, type);
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

std::vector<std::uint8_t> to_vector(const PacketBuf& b) {
    return {b.data(), b.data() + b.size()};
}

// An ARP request from the peer for one of our addresses (RFC 826).
std::vector<std::uint8_t> arp_request_for(Ipv4Addr target) {
    std::vector<std::uint8_t> a{0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
    a.resize(28, 0);
    peer_mac.store(a.data() + 8);
    put_ip(a, 14, peer);
    put_ip(a, 24, target);
    return ethernet_frame(a, MacAddr::broadcast(), 0x0806);
}

class StackTest : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);

    ModuleCounters& ip_stats() { return ipv4::state(*stack).counters; }
    ModuleCounters& icmp_stats() { return icmp4::state(*stack).counters; }
    PacketBuf payload(std::size_t n, std::size_t headroom = config::frame_headroom) {
        auto b = stack->frame_pool().allocate(headroom);
        EXPECT_TRUE(b.has_value());
        std::uint8_t* p = b->append(n);
        EXPECT_NE(p, nullptr);
        for (std::size_t i = 0; i < n; ++i)
            p[i] = static_cast<std::uint8_t>(i);
        return std::move(*b);
    }
};

// ---- input checks, over an Ethernet WireDevice ----

class Ipv4Input : public StackTest {
  protected:
    WireDevice eth{our_mac, 1500};
    IfIndex ifx = no_interface;

    void SetUp() override {
        ifx = stack->attach(eth);
        ASSERT_NE(ifx, no_interface);
        ASSERT_TRUE(ipv4::add_address(*stack, ifx, us, 24));
        eth.clear(); // a gratuitous ARP announcement, when ARP is built
    }
    void inject(const std::vector<std::uint8_t>& ip_bytes, MacAddr dst = our_mac) {
        auto frame = ethernet_frame(ip_bytes, dst);
        ASSERT_TRUE(stack->inject(ifx, Bytes{frame.data(), frame.size()}));
    }
    // The datagram was dropped by ipv4 for `reason` alone, nothing went up and nothing came out.
    void expect_dropped(Drop reason) {
        EXPECT_EQ(ip_stats().rx, 1u);
        EXPECT_EQ(ip_stats().drops(reason), 1u) << drop_name(reason);
        EXPECT_EQ(ip_stats().total_drops(), 1u) << "only " << drop_name(reason);
        EXPECT_EQ(icmp_stats().rx, 0u);
        EXPECT_EQ(icmp_stats().total_drops(), 0u);
        EXPECT_EQ(eth.pending_tx(), 0u);
        EXPECT_EQ(ip_stats().tx, 0u);
    }
    // A fragment is never delivered alone: held for reassembly (ipv4_reassembly_test.cpp) when it is built,
    // else dropped as Fragment.
    void expect_fragment_held_or_dropped() {
        if constexpr (config::ipv4_reassembly) {
            EXPECT_EQ(ip_stats().rx, 1u);
            EXPECT_EQ(ip_stats().total_drops(), 0u);
            EXPECT_EQ(ipv4_reassembly::in_progress(*stack), 1u);
            EXPECT_EQ(icmp_stats().rx, 0u);
            EXPECT_EQ(eth.pending_tx(), 0u);
        } else {
            expect_dropped(Drop::Fragment);
        }
    }
    // The datagram reached deliver_ipv4_payload (protocol 253 has no module).
    void expect_delivered() {
        EXPECT_EQ(ip_stats().drops(Drop::UnknownProtocol), 1u);
        EXPECT_EQ(ip_stats().total_drops(), 1u); // nothing else
        EXPECT_EQ(ip_stats().rx, 1u);
    }
};

TEST_F(Ipv4Input, AllHostsGroupJoinedWithTheFirstAddress) {
    // RFC 1112 section 4: a host belongs to 224.0.0.1 on every interface with an address, so the frame to its
    // MAC 01:00:5e:00:00:01 passes Ethernet and reaches IPv4.
    Datagram d;
    d.dst = ip(224, 0, 0, 1);
    inject(d.build(), *parse_mac("01:00:5e:00:00:01"));
    expect_delivered();
    EXPECT_EQ(ethernet::state(*stack).counters.total_drops(), 0u);
    // The membership goes with the last address.
    ASSERT_TRUE(ipv4::remove_address(*stack, ifx, us));
    EXPECT_FALSE(ethernet::is_member(*stack, ifx, *parse_mac("01:00:5e:00:00:01")));
}

TEST_F(Ipv4Input, Truncated) {
    auto d = Datagram{}.build();
    d.resize(19);
    inject(d);
    expect_dropped(Drop::Truncated);
}

TEST_F(Ipv4Input, BadVersion) {
    Datagram d;
    d.version = 5;
    inject(d.build());
    expect_dropped(Drop::BadVersion);
}

TEST_F(Ipv4Input, BadHeaderLengthBelowFive) {
    Datagram d;
    d.ihl = 4;
    inject(d.build());
    expect_dropped(Drop::BadHeaderLength);
}

TEST_F(Ipv4Input, BadHeaderLengthBeyondBytes) {
    Datagram d;
    d.ihl = 15; // 60 bytes of header in a 28-byte datagram
    inject(d.build());
    expect_dropped(Drop::BadHeaderLength);
}

TEST_F(Ipv4Input, BadLengthBelowHeader) {
    Datagram d;
    d.total_length = 19;
    inject(d.build());
    expect_dropped(Drop::BadLength);
}

TEST_F(Ipv4Input, BadLengthBeyondBytes) {
    Datagram d;
    d.total_length = 29; // one more than the 28 bytes there are
    inject(d.build());
    expect_dropped(Drop::BadLength);
}

TEST_F(Ipv4Input, BadChecksum) {
    Datagram d;
    d.corrupt_checksum = true;
    inject(d.build());
    expect_dropped(Drop::BadChecksum);
}

TEST_F(Ipv4Input, LimitedBroadcastSource) {
    Datagram d;
    d.src = Ipv4Addr::limited_broadcast();
    inject(d.build());
    expect_dropped(Drop::BadAddress);
}

TEST_F(Ipv4Input, DirectedBroadcastSourceOfOurPrefix) {
    Datagram d;
    d.src = ip(198, 18, 0, 255);
    inject(d.build());
    expect_dropped(Drop::BadAddress);
}

TEST_F(Ipv4Input, MulticastSource) {
    Datagram d;
    d.src = ip(224, 0, 0, 5);
    inject(d.build());
    expect_dropped(Drop::BadAddress);
}

TEST_F(Ipv4Input, ClassESource) {
    Datagram d;
    d.src = ip(240, 0, 0, 1);
    inject(d.build());
    expect_dropped(Drop::BadAddress);
}

TEST_F(Ipv4Input, LoopbackSourceFromTheWire) {
    Datagram d;
    d.src = ip(127, 0, 0, 1);
    inject(d.build());
    expect_dropped(Drop::BadAddress);
}

TEST_F(Ipv4Input, NotOurUnicastAddress) {
    Datagram d;
    d.dst = ip(198, 18, 0, 3);
    inject(d.build());
    expect_dropped(Drop::NotForUs);
}

TEST_F(Ipv4Input, MulticastGroupWeDoNotBelongTo) {
    Datagram d;
    d.dst = ip(224, 0, 0, 2);
    inject(d.build(), MacAddr::broadcast());
    expect_dropped(Drop::NotForUs);
}

TEST_F(Ipv4Input, DirectedBroadcastOfAnotherPrefix) {
    Datagram d;
    d.dst = ip(198, 18, 1, 255);
    inject(d.build(), MacAddr::broadcast());
    expect_dropped(Drop::NotForUs);
}

TEST_F(Ipv4Input, AcceptsTtlZero) {
    Datagram d;
    d.ttl = 0; // RFC 1122 3.2.1.7: a host MUST NOT discard a datagram for TTL < 2, and 0 < 2
    inject(d.build());
    expect_delivered();
}

TEST_F(Ipv4Input, FirstFragment) {
    Datagram d;
    d.flags_fragment = 0x2000; // MF, offset 0
    inject(d.build());
    expect_fragment_held_or_dropped();
}

TEST_F(Ipv4Input, LaterFragment) {
    Datagram d;
    d.flags_fragment = 0x0003; // offset 24, last
    inject(d.build());
    expect_fragment_held_or_dropped();
}

TEST_F(Ipv4Input, OptionLengthZero) {
    Datagram d;
    d.options = {0x07, 0x00, 0x00, 0x00};
    inject(d.build());
    expect_dropped(Drop::BadOption);
}

TEST_F(Ipv4Input, OptionPastHeader) {
    Datagram d;
    d.options = {0x01, 0x83, 0x07, 0x04}; // NOP, then a 7-byte option in 3 bytes
    inject(d.build());
    expect_dropped(Drop::BadOption);
}

TEST_F(Ipv4Input, OptionWithoutLengthByte) {
    Datagram d;
    d.options = {0x01, 0x01, 0x01, 0x44};
    inject(d.build());
    expect_dropped(Drop::BadOption);
}

// The checks run in the documented order: each datagram below fails two checks and is counted for the
// earlier one.
TEST_F(Ipv4Input, ChecksOrder) {
    struct Case {
        Datagram d;
        Drop expected;
    };
    std::vector<Case> cases;
    {
        Datagram d; // version and IHL
        d.version = 6;
        d.ihl = 2;
        cases.push_back({d, Drop::BadVersion});
    }
    {
        Datagram d; // IHL and total length
        d.ihl = 3;
        d.total_length = 2;
        cases.push_back({d, Drop::BadHeaderLength});
    }
    {
        Datagram d; // total length and checksum
        d.total_length = 200;
        d.corrupt_checksum = true;
        cases.push_back({d, Drop::BadLength});
    }
    {
        Datagram d; // checksum and source
        d.corrupt_checksum = true;
        d.src = ip(224, 0, 0, 9);
        cases.push_back({d, Drop::BadChecksum});
    }
    {
        Datagram d; // source and destination
        d.src = Ipv4Addr::limited_broadcast();
        d.dst = ip(198, 18, 0, 77);
        cases.push_back({d, Drop::BadAddress});
    }
    {
        Datagram d; // destination and TTL
        d.dst = ip(198, 18, 0, 77);
        d.ttl = 0;
        cases.push_back({d, Drop::NotForUs});
    }
    if constexpr (!config::ipv4_reassembly) { // with reassembly a fragment is held, not dropped
        {
            Datagram d; // TTL 0 is no reason to drop; the fragment check still applies
            d.ttl = 0;
            d.flags_fragment = 0x2000;
            cases.push_back({d, Drop::Fragment});
        }
        {
            Datagram d; // fragment and options
            d.flags_fragment = 0x2001;
            d.options = {0x07, 0x00, 0x00, 0x00};
            cases.push_back({d, Drop::Fragment});
        }
    }
    for (const Case& c : cases) {
        auto before = ip_stats().drops(c.expected);
        auto total = ip_stats().total_drops();
        inject(c.d.build());
        EXPECT_EQ(ip_stats().drops(c.expected), before + 1) << drop_name(c.expected);
        EXPECT_EQ(ip_stats().total_drops(), total + 1) << drop_name(c.expected);
    }
    EXPECT_EQ(eth.pending_tx(), 0u);
}

TEST_F(Ipv4Input, AcceptsOurUnicast) {
    inject(Datagram{}.build());
    expect_delivered();
    EXPECT_EQ(ip_stats().rx, 1u);
}

TEST_F(Ipv4Input, AcceptsTtlOne) {
    Datagram d;
    d.ttl = 1; // RFC 1122 3.2.1.7: MUST NOT discard for TTL < 2
    inject(d.build());
    expect_delivered();
}

TEST_F(Ipv4Input, IgnoresUnknownAndWellFormedOptions) {
    Datagram d;
    d.options = {0x88, 0x04, 0x12, 0x34, 0x99, 0x02, 0x01, 0x00}; // Stream ID, unknown type 0x99, NOP, EOL
    inject(d.build());
    expect_delivered();
}

TEST_F(Ipv4Input, AcceptsLimitedBroadcast) {
    Datagram d;
    d.dst = Ipv4Addr::limited_broadcast();
    inject(d.build(), MacAddr::broadcast());
    expect_delivered();
    // No protocol unreachable about a broadcast (RFC 1122 3.2.2).
    EXPECT_EQ(icmp_stats().drops(Drop::ErrorAboutError), 1u);
    EXPECT_EQ(eth.pending_tx(), 0u);
}

TEST_F(Ipv4Input, AcceptsDirectedBroadcastOfOurPrefix) {
    Datagram d;
    d.dst = ip(198, 18, 0, 255);
    inject(d.build(), MacAddr::broadcast());
    expect_delivered();
    EXPECT_EQ(icmp_stats().drops(Drop::ErrorAboutError), 1u);
    EXPECT_EQ(eth.pending_tx(), 0u);
}

TEST_F(Ipv4Input, DropsUnicastSentAsLinkBroadcast) {
    // RFC 1122 3.3.6: SHOULD silently discard a unicast datagram received via a link-layer broadcast.
    inject(Datagram{}.build(), MacAddr::broadcast());
    expect_dropped(Drop::LinkBroadcastUnicast);
}

TEST_F(Ipv4Input, WeakHostAcceptsOurAddressOfAnotherDevice) {
    WireDevice eth2{*parse_mac("02:00:00:00:00:02"), 1500};
    IfIndex second = stack->attach(eth2);
    ASSERT_TRUE(ipv4::add_address(*stack, second, ip(198, 18, 1, 2), 24));
    eth2.clear();
    Datagram d;
    d.dst = ip(198, 18, 1, 2);
    inject(d.build()); // arrives on the first device
    expect_delivered();
}

TEST_F(Ipv4Input, DirectedBroadcastOfAnotherDevicesPrefixIsNotForUs) {
    WireDevice eth2{*parse_mac("02:00:00:00:00:02"), 1500};
    IfIndex second = stack->attach(eth2);
    ASSERT_TRUE(ipv4::add_address(*stack, second, ip(198, 18, 1, 2), 24));
    Datagram d;
    d.dst = ip(198, 18, 1, 255);
    inject(d.build(), MacAddr::broadcast());
    expect_dropped(Drop::NotForUs);
}

// ---- delivery and output on a loopback (RawIp) device: no ARP involved ----

class Ipv4Loopback : public StackTest {
  protected:
    LoopbackDevice lo{1500};
    IfIndex ifx = no_interface;

    void SetUp() override {
        ifx = stack->attach(lo);
        ASSERT_NE(ifx, no_interface);
        ASSERT_TRUE(ipv4::add_address(*stack, ifx, us, 24));
    }
    void inject(const std::vector<std::uint8_t>& bytes) {
        ASSERT_TRUE(stack->inject(ifx, Bytes{bytes.data(), bytes.size()}));
    }
    std::optional<std::vector<std::uint8_t>> sent() {
        auto frame = lo.receive();
        if (!frame) return std::nullopt;
        return to_vector(*frame);
    }
    ipv4::SendParams params_to(Ipv4Addr destination) {
        ipv4::SendParams p;
        p.destination = destination;
        p.protocol = 253;
        return p;
    }
};

TEST_F(Ipv4Loopback, SendBuildsHeaderWithDefaultTtl) {
    ASSERT_TRUE(ipv4::send(*stack, params_to(peer), payload(30)));
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    auto& b = *out;
    ASSERT_EQ(b.size(), 50u);
    EXPECT_EQ(b[0], 0x45);
    EXPECT_EQ(b[1], 0x00);
    EXPECT_EQ(b[2] << 8 | b[3], 50);
    EXPECT_EQ(b[4] << 8 | b[5], 0); // first id from state.next_id
    EXPECT_EQ(b[6], 0x00);          // no DF
    EXPECT_EQ(b[7], 0x00);
    EXPECT_EQ(b[8], 64); // RFC 1122 3.2.1.7 default TTL
    EXPECT_EQ(b[9], 253);
    EXPECT_EQ(reference_checksum(b.data(), 20), 0);
    EXPECT_EQ(Ipv4Addr::load(b.data() + 12), us);
    EXPECT_EQ(Ipv4Addr::load(b.data() + 16), peer);
    for (std::size_t i = 0; i < 30; ++i)
        EXPECT_EQ(b[20 + i], i);
    EXPECT_EQ(ip_stats().tx, 1u);
    EXPECT_EQ(ipv4::state(*stack).next_id, 1);
}

TEST_F(Ipv4Loopback, SendHonoursTtlTosDfAndIncrementsId) {
    auto p = params_to(peer);
    p.ttl = 7;
    p.tos = 0xb8;
    p.dont_fragment = true;
    ipv4::state(*stack).next_id = 0xfffe;
    ASSERT_TRUE(ipv4::send(*stack, p, payload(4)));
    ASSERT_TRUE(ipv4::send(*stack, p, payload(4)));
    ASSERT_TRUE(ipv4::send(*stack, p, payload(4)));
    std::vector<std::uint16_t> ids;
    for (int i = 0; i < 3; ++i) {
        auto b = *sent();
        EXPECT_EQ(b[1], 0xb8);
        EXPECT_EQ(b[6], 0x40); // DF
        EXPECT_EQ(b[8], 7);
        EXPECT_EQ(reference_checksum(b.data(), 20), 0);
        ids.push_back(static_cast<std::uint16_t>(b[4] << 8 | b[5]));
    }
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{0xfffe, 0xffff, 0x0000}));
    EXPECT_EQ(ip_stats().tx, 3u);
}

TEST_F(Ipv4Loopback, StateTtlAndNeverZero) {
    ipv4::state(*stack).ttl = 32;
    ASSERT_TRUE(ipv4::send(*stack, params_to(peer), payload(1)));
    EXPECT_EQ((*sent())[8], 32);
    ipv4::state(*stack).ttl = 0; // RFC 1122 3.2.1.7: never send TTL 0
    ASSERT_TRUE(ipv4::send(*stack, params_to(peer), payload(1)));
    EXPECT_EQ((*sent())[8], 64);
}

TEST_F(Ipv4Loopback, TooBig) {
    LoopbackDevice small{100};
    IfIndex s = stack->attach(small);
    ASSERT_TRUE(ipv4::add_address(*stack, s, ip(198, 18, 5, 2), 24));
    ASSERT_TRUE(ipv4::send(*stack, params_to(ip(198, 18, 5, 9)), payload(80))); // exactly 100
    auto frame = small.receive();
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(frame->size(), 100u);
    // One octet more: with Don't Fragment (or without PICO_IPV4_FRAGMENTATION) it is refused; without DF it
    // leaves in two fragments (ipv4_fragment_test.cpp checks them).
    ipv4::SendParams df = params_to(ip(198, 18, 5, 9));
    df.dont_fragment = true;
    EXPECT_FALSE(ipv4::send(*stack, df, payload(81)));
    EXPECT_EQ(ip_stats().drops(Drop::TooBig), 1u);
    EXPECT_FALSE(small.receive().has_value());
    EXPECT_EQ(ip_stats().tx, 1u);
    EXPECT_EQ(ipv4::send(*stack, params_to(ip(198, 18, 5, 9)), payload(81)), config::ipv4_fragmentation);
    EXPECT_EQ(ip_stats().drops(Drop::TooBig), config::ipv4_fragmentation ? 1u : 2u);
    if constexpr (config::ipv4_fragmentation) {
        ASSERT_TRUE(small.receive().has_value()); // 20 + 80 octets (MF)
        ASSERT_TRUE(small.receive().has_value()); // 20 + 1 octet
    }
    EXPECT_FALSE(small.receive().has_value());
}

TEST_F(Ipv4Loopback, NoRoute) {
    EXPECT_FALSE(ipv4::send(*stack, params_to(ip(198, 19, 7, 7)), payload(8)));
    EXPECT_EQ(ip_stats().drops(Drop::NoRoute), 1u);
    EXPECT_FALSE(sent().has_value());
    EXPECT_EQ(ip_stats().tx, 0u);
}

TEST_F(Ipv4Loopback, RefusesUnspecifiedDestinationAndForeignSource) {
    EXPECT_FALSE(ipv4::send(*stack, params_to(Ipv4Addr::any()), payload(8)));
    auto p = params_to(peer);
    p.source = ip(198, 18, 0, 50); // not ours
    EXPECT_FALSE(ipv4::send(*stack, p, payload(8)));
    EXPECT_EQ(ip_stats().drops(Drop::BadAddress), 2u);
    EXPECT_FALSE(sent().has_value());
    p.source = us;
    EXPECT_TRUE(ipv4::send(*stack, p, payload(8)));
    EXPECT_TRUE(sent().has_value());
}

TEST_F(Ipv4Loopback, CopiesPayloadWithoutHeadroom) {
    ASSERT_TRUE(ipv4::send(*stack, params_to(peer), payload(12, 0)));
    auto b = *sent();
    ASSERT_EQ(b.size(), 32u);
    EXPECT_EQ(b[20 + 11], 11);
    EXPECT_EQ(stack->frame_stats().in_use, 0u); // the original went back to the pool
}

TEST_F(Ipv4Loopback, LimitedBroadcastNeedsADevice) {
    auto p = params_to(Ipv4Addr::limited_broadcast());
    ASSERT_TRUE(ipv4::send(*stack, p, payload(8))); // the first device with an address
    auto b = *sent();
    EXPECT_EQ(Ipv4Addr::load(b.data() + 16), Ipv4Addr::limited_broadcast());
    EXPECT_EQ(Ipv4Addr::load(b.data() + 12), us);
    p.ifindex = ifx;
    ASSERT_TRUE(ipv4::send(*stack, p, payload(8)));
    EXPECT_TRUE(sent().has_value());
    p.ifindex = 3; // nothing attached there
    EXPECT_FALSE(ipv4::send(*stack, p, payload(8)));
    EXPECT_EQ(ip_stats().drops(Drop::NoRoute), 1u);
}

TEST_F(Ipv4Loopback, TrimsLinkPaddingBeforeDelivery) {
    // A protocol unreachable quotes the datagram up to its Total Length, not the padding after it.
    auto d = Datagram{}.build();
    auto padded = d;
    padded.resize(d.size() + 18, 0xee);
    inject(padded);
    EXPECT_EQ(ip_stats().drops(Drop::UnknownProtocol), 1u);
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    ASSERT_EQ(out->size(), 20u + 8 + d.size());
    EXPECT_TRUE(std::equal(d.begin(), d.end(), out->begin() + 28));
}

TEST_F(Ipv4Loopback, AcceptsAllHostsMulticast) {
    Datagram d;
    d.dst = ip(224, 0, 0, 1);
    inject(d.build());
    EXPECT_EQ(ip_stats().drops(Drop::UnknownProtocol), 1u);
    EXPECT_EQ(icmp_stats().drops(Drop::ErrorAboutError), 1u); // no error about a multicast
    EXPECT_FALSE(sent().has_value());
}

TEST_F(Ipv4Loopback, LoopbackSourceAcceptedOnRawIpDevice) {
    Datagram d;
    d.src = ip(127, 0, 0, 1);
    inject(d.build());
    EXPECT_EQ(ip_stats().drops(Drop::UnknownProtocol), 1u);
    EXPECT_EQ(ip_stats().drops(Drop::BadAddress), 0u);
}

// ---- addresses and routing ----

class Ipv4Routing : public StackTest {
  protected:
    WireDevice eth0{our_mac, 1500};
    WireDevice eth1{*parse_mac("02:00:00:00:00:02"), 1500};
    IfIndex if0 = no_interface;
    IfIndex if1 = no_interface;

    void SetUp() override {
        if0 = stack->attach(eth0);
        if1 = stack->attach(eth1);
        ASSERT_TRUE(ipv4::add_address(*stack, if0, us, 24));
        ASSERT_TRUE(ipv4::add_address(*stack, if1, ip(198, 18, 1, 2), 24));
    }
    void expect_route(Ipv4Addr destination, IfIndex ifindex, Ipv4Addr next_hop, Ipv4Addr source) {
        auto r = ipv4::route(*stack, destination);
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->ifindex, ifindex);
        EXPECT_EQ(r->next_hop, next_hop);
        EXPECT_EQ(r->source, source);
    }
};

TEST_F(Ipv4Routing, ConnectedPrefixes) {
    expect_route(ip(198, 18, 0, 9), if0, ip(198, 18, 0, 9), us);
    expect_route(ip(198, 18, 1, 9), if1, ip(198, 18, 1, 9), ip(198, 18, 1, 2));
    EXPECT_FALSE(ipv4::route(*stack, ip(198, 18, 9, 9)).has_value()); // no default route yet
}

TEST_F(Ipv4Routing, LongestPrefixWithOverlappingRoutesAndDefault) {
    ASSERT_TRUE(ipv4::add_route(*stack, Ipv4Addr::any(), 0, peer));
    ASSERT_TRUE(ipv4::add_route(*stack, ip(198, 19, 0, 0), 16, ip(198, 18, 1, 1)));
    ASSERT_TRUE(ipv4::add_route(*stack, ip(198, 19, 128, 0), 17, ip(198, 18, 0, 254)));
    expect_route(ip(198, 19, 200, 1), if0, ip(198, 18, 0, 254), us);              // /17
    expect_route(ip(198, 19, 5, 1), if1, ip(198, 18, 1, 1), ip(198, 18, 1, 2));   // /16
    expect_route(ip(198, 18, 9, 9), if0, peer, us);                               // default
    expect_route(ip(198, 18, 1, 77), if1, ip(198, 18, 1, 77), ip(198, 18, 1, 2)); // connected /24
    // A table route more specific than a connected prefix wins.
    ASSERT_TRUE(ipv4::add_route(*stack, ip(198, 18, 0, 128), 25, ip(198, 18, 1, 1)));
    expect_route(ip(198, 18, 0, 200), if1, ip(198, 18, 1, 1), ip(198, 18, 1, 2));
    expect_route(ip(198, 18, 0, 100), if0, ip(198, 18, 0, 100), us);
    // Removing the /17 falls back to the /16; removing the default leaves nothing for the rest.
    ASSERT_TRUE(ipv4::remove_route(*stack, ip(198, 19, 128, 0), 17));
    expect_route(ip(198, 19, 200, 1), if1, ip(198, 18, 1, 1), ip(198, 18, 1, 2));
    ASSERT_TRUE(ipv4::remove_route(*stack, Ipv4Addr::any(), 0));
    EXPECT_FALSE(ipv4::route(*stack, ip(198, 18, 9, 9)).has_value());
    EXPECT_FALSE(ipv4::remove_route(*stack, Ipv4Addr::any(), 0));
}

TEST_F(Ipv4Routing, AddRouteChecksGateway) {
    // RFC 1122 3.3.1.1: the gateway must be on a connected prefix.
    EXPECT_FALSE(ipv4::add_route(*stack, Ipv4Addr::any(), 0, ip(198, 18, 7, 1)));
    EXPECT_FALSE(ipv4::add_route(*stack, ip(198, 19, 0, 0), 16, Ipv4Addr::any())); // on-link needs a device
    EXPECT_FALSE(ipv4::add_route(*stack, ip(198, 19, 0, 0), 33, peer));
    EXPECT_FALSE(ipv4::add_route(*stack, ip(198, 19, 0, 0), 16, peer, 3)); // no such device
    // With a device: an on-link route (next hop is the destination itself).
    ASSERT_TRUE(ipv4::add_route(*stack, ip(198, 19, 0, 0), 16, Ipv4Addr::any(), if1));
    expect_route(ip(198, 19, 3, 4), if1, ip(198, 19, 3, 4), ip(198, 18, 1, 2));
    // The prefix is normalised; the same prefix replaces the route.
    ASSERT_TRUE(ipv4::add_route(*stack, ip(198, 19, 3, 3), 16, peer));
    expect_route(ip(198, 19, 3, 4), if0, peer, us);
    std::size_t used = 0;
    for (const auto& r : ipv4::state(*stack).routes)
        used += r.used ? 1 : 0;
    EXPECT_EQ(used, 1u);
}

TEST_F(Ipv4Routing, RouteTableFull) {
    for (std::size_t i = 0; i < config::ipv4_routes; ++i)
        ASSERT_TRUE(ipv4::add_route(*stack, ip(198, 19, static_cast<std::uint8_t>(i), 0), 24, peer));
    EXPECT_FALSE(ipv4::add_route(*stack, ip(198, 19, 200, 0), 24, peer));
}

TEST_F(Ipv4Routing, GatewayRouteFollowsItsConnectedPrefix) {
    ASSERT_TRUE(ipv4::add_route(*stack, Ipv4Addr::any(), 0, ip(198, 18, 1, 1)));
    expect_route(ip(198, 18, 50, 1), if1, ip(198, 18, 1, 1), ip(198, 18, 1, 2));
    // The address holding the gateway's prefix goes: the route is unusable, not wrong.
    ASSERT_TRUE(ipv4::remove_address(*stack, if1, ip(198, 18, 1, 2)));
    EXPECT_FALSE(ipv4::route(*stack, ip(198, 18, 50, 1)).has_value());
}

TEST_F(Ipv4Routing, SourcePrefersAddressInDestinationPrefix) {
    ASSERT_TRUE(ipv4::add_address(*stack, if0, ip(198, 18, 2, 2), 24));
    expect_route(ip(198, 18, 2, 7), if0, ip(198, 18, 2, 7), ip(198, 18, 2, 2));
    expect_route(ip(198, 18, 0, 7), if0, ip(198, 18, 0, 7), us);
    ASSERT_TRUE(ipv4::add_route(*stack, ip(198, 19, 0, 0), 16, ip(198, 18, 2, 1)));
    expect_route(ip(198, 19, 0, 1), if0, ip(198, 18, 2, 1), ip(198, 18, 2, 2));
}

TEST_F(Ipv4Routing, Broadcasts) {
    // Directed broadcast of a connected prefix: to the link broadcast (next hop 255.255.255.255).
    expect_route(ip(198, 18, 1, 255), if1, Ipv4Addr::limited_broadcast(), ip(198, 18, 1, 2));
    // Limited broadcast: the first device with an address.
    expect_route(Ipv4Addr::limited_broadcast(), if0, Ipv4Addr::limited_broadcast(), us);
    ASSERT_TRUE(ipv4::remove_address(*stack, if0, us));
    expect_route(Ipv4Addr::limited_broadcast(), if1, Ipv4Addr::limited_broadcast(), ip(198, 18, 1, 2));
}

TEST_F(Ipv4Routing, AddressTable) {
    EXPECT_FALSE(ipv4::add_address(*stack, if0, Ipv4Addr::any(), 24));
    EXPECT_FALSE(ipv4::add_address(*stack, if0, Ipv4Addr::limited_broadcast(), 24));
    EXPECT_FALSE(ipv4::add_address(*stack, if0, ip(224, 0, 0, 1), 24));
    EXPECT_FALSE(ipv4::add_address(*stack, if0, ip(240, 0, 0, 1), 24));
    EXPECT_FALSE(ipv4::add_address(*stack, if0, ip(198, 18, 3, 2), 33));
    EXPECT_FALSE(ipv4::add_address(*stack, 3, ip(198, 18, 3, 2), 24)); // no device
    // Re-adding updates the prefix rather than taking a second slot.
    ASSERT_TRUE(ipv4::add_address(*stack, if0, us, 16));
    EXPECT_EQ(ipv4::state(*stack).addresses[if0][0].prefix_len, 16);
    for (std::size_t i = 1; i < config::ipv4_addrs_per_device; ++i)
        ASSERT_TRUE(ipv4::add_address(*stack, if0, ip(198, 18, 10, static_cast<std::uint8_t>(i)), 24));
    EXPECT_FALSE(ipv4::add_address(*stack, if0, ip(198, 18, 11, 1), 24)); // full
    EXPECT_TRUE(ipv4::remove_address(*stack, if0, ip(198, 18, 10, 1)));
    EXPECT_FALSE(ipv4::remove_address(*stack, if0, ip(198, 18, 10, 1)));
    EXPECT_TRUE(ipv4::add_address(*stack, if0, ip(198, 18, 11, 1), 24));
}

TEST_F(Ipv4Routing, LocalAndBroadcastQueries) {
    EXPECT_TRUE(ipv4::is_local(*stack, if0, us));
    EXPECT_FALSE(ipv4::is_local(*stack, if1, us));
    EXPECT_TRUE(ipv4::is_local_any(*stack, us));
    EXPECT_TRUE(ipv4::is_local_any(*stack, ip(198, 18, 1, 2)));
    EXPECT_FALSE(ipv4::is_local_any(*stack, ip(198, 18, 1, 3)));
    EXPECT_FALSE(ipv4::is_local(*stack, no_interface, us));
    EXPECT_TRUE(is_local_ipv4(*stack, if0, us)); // the hand-off ARP uses

    EXPECT_TRUE(ipv4::is_broadcast(*stack, if0, Ipv4Addr::limited_broadcast()));
    EXPECT_TRUE(ipv4::is_broadcast(*stack, if0, ip(198, 18, 0, 255)));
    EXPECT_FALSE(ipv4::is_broadcast(*stack, if1, ip(198, 18, 0, 255)));
    EXPECT_FALSE(ipv4::is_broadcast(*stack, if0, ip(198, 18, 0, 254)));
    // RFC 3021: a /31 has no broadcast; a /32's only address is a host.
    ASSERT_TRUE(ipv4::add_address(*stack, if1, ip(198, 18, 4, 0), 31));
    ASSERT_TRUE(ipv4::add_address(*stack, if1, ip(198, 18, 5, 5), 32));
    EXPECT_FALSE(ipv4::is_broadcast(*stack, if1, ip(198, 18, 4, 1)));
    EXPECT_FALSE(ipv4::is_broadcast(*stack, if1, ip(198, 18, 5, 5)));
    EXPECT_TRUE(ipv4::is_broadcast(*stack, if1, ip(198, 18, 1, 255)));
}

// ---- Ethernet output: goes through ARP ----

class Ipv4Ethernet : public Ipv4Input {
  protected:
    // Teaches ARP the peer's MAC with a request for our address (RFC 826: the target creates an entry for
    // the sender). False when ARP does not answer (not built yet).
    bool learn_peer() {
        auto request = arp_request_for(us);
        EXPECT_TRUE(stack->inject(ifx, Bytes{request.data(), request.size()}));
        auto reply = eth.collect();
        eth.clear();
        return reply.has_value() && reply->size() >= 14 && reply->data()[12] == 0x08 &&
               reply->data()[13] == 0x06;
    }
};

TEST_F(Ipv4Ethernet, UnicastGoesToTheResolvedMac) {
    if (!learn_peer()) GTEST_SKIP() << "ARP does not answer yet (stub)";
    ipv4::SendParams p;
    p.destination = peer;
    p.protocol = 253;
    ASSERT_TRUE(ipv4::send(*stack, p, payload(8)));
    auto frame = eth.collect();
    ASSERT_TRUE(frame.has_value());
    const std::uint8_t* f = frame->data();
    EXPECT_EQ(MacAddr::from(f), peer_mac);
    EXPECT_EQ(MacAddr::from(f + 6), our_mac);
    EXPECT_EQ(load_be16(f + 12), 0x0800);
    EXPECT_EQ(f[14], 0x45);
    EXPECT_EQ(reference_checksum(f + 14, 20), 0);
    EXPECT_EQ(Ipv4Addr::load(f + 14 + 16), peer);
}

TEST_F(Ipv4Ethernet, BroadcastsGoToTheBroadcastMac) {
    if (!learn_peer()) GTEST_SKIP() << "ARP does not answer yet (stub)";
    for (Ipv4Addr destination : {Ipv4Addr::limited_broadcast(), ip(198, 18, 0, 255)}) {
        ipv4::SendParams p;
        p.destination = destination;
        p.protocol = 253;
        p.ifindex = ifx;
        ASSERT_TRUE(ipv4::send(*stack, p, payload(8)));
        auto frame = eth.collect();
        ASSERT_TRUE(frame.has_value());
        EXPECT_TRUE(MacAddr::from(frame->data()).is_broadcast());
        EXPECT_EQ(Ipv4Addr::load(frame->data() + 14 + 16), destination);
        EXPECT_EQ(Ipv4Addr::load(frame->data() + 14 + 12), us);
    }
}

} // namespace
