// IPv4 fragmentation on send (net/ipv4_fragment.hpp): exact fragment boundaries (8-octet multiples, MF,
// offsets, one Identification), reassembly by a second stack byte-identical, Router Alert in every fragment,
// DF refused with TooBig, all-or-nothing on pool exhaustion with every frame returned, the largest datagram
// one pool frame can hold, fragmentation to a learnt path MTU.
#include "assembly/stack.hpp"
#include "link/wire_device.hpp"
#include "net/ipv4.hpp"
#include "net/ipv4_fragment.hpp"
#include "net/ipv4_reassembly.hpp"
#include "port/virtual_platform.hpp"
#include "test_support.hpp"
#include "transport/udp.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <vector>

using namespace pico;
using namespace pico::test;

namespace {

const Ipv4Addr a_ip = ip(198, 18, 0, 2);
const Ipv4Addr b_ip = ip(198, 18, 0, 1);
const MacAddr a_mac = *parse_mac("02:00:00:00:00:02");
const MacAddr b_mac = *parse_mac("02:00:00:00:00:01");

using Vec = std::vector<std::uint8_t>;

Vec pattern(std::size_t n, unsigned seed = 3) {
    Vec v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<std::uint8_t>(i * 7 + seed + (i >> 8));
    return v;
}

// Two stacks on one wire: A (the sender, MTU under test) and B (the receiver, MTU 1500), frames carried by
// hand so every fragment can be inspected on the way.
class Fragmentation : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform_a{clock, 1};
    VirtualPlatform platform_b{clock, 2};
    std::unique_ptr<Stack> a = std::make_unique<Stack>(platform_a);
    std::unique_ptr<Stack> b = std::make_unique<Stack>(platform_b);
    WireDevice a_eth{a_mac, 576};
    WireDevice b_eth{b_mac, 1500};
    IfIndex a_if = no_interface;
    IfIndex b_if = no_interface;
    std::uint32_t a_frames_before = 0;
    std::vector<Vec> wire; // A's frames (Ethernet) since the last carry()

    void SetUp() override {
        a_if = a->attach(a_eth);
        b_if = b->attach(b_eth);
        ASSERT_TRUE(ipv4::add_address(*a, a_if, a_ip, 24));
        ASSERT_TRUE(ipv4::add_address(*b, b_if, b_ip, 24));
        for (int i = 0; i < 10; ++i) { // announcements (RFC 5227) out of the way
            clock.advance(1000);
            a->poll();
            b->poll();
        }
        while (a_eth.collect()) {
        }
        while (b_eth.collect()) {
        }
        // B asks for A by ARP: A learns B's MAC (and answers), so A's datagrams leave without resolution.
        ASSERT_TRUE(learn_b());
        a_frames_before = a->frame_stats().in_use;
        ipv4::state(*a).counters = ModuleCounters{};
    }
    bool learn_b() {
        Vec arp{0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
        arp.resize(28, 0);
        b_mac.store(arp.data() + 8);
        put_ip(arp, 14, b_ip);
        put_ip(arp, 24, a_ip);
        Vec f(14, 0);
        MacAddr::broadcast().store(f.data());
        b_mac.store(f.data() + 6);
        put16(f, 12, 0x0806);
        f.insert(f.end(), arp.begin(), arp.end());
        bool ok = a->inject(a_if, Bytes{f.data(), f.size()});
        while (a_eth.collect()) {
        }
        return ok;
    }
    // A's output, drained; each frame is also kept in `wire`.
    std::vector<Vec> drain_a() {
        std::vector<Vec> out;
        while (auto frame = a_eth.collect())
            out.emplace_back(frame->data(), frame->data() + frame->size());
        wire = out;
        return out;
    }
    void carry_to_b(const std::vector<Vec>& frames) {
        for (const Vec& f : frames)
            ASSERT_TRUE(b->inject(b_if, Bytes{f.data(), f.size()}));
    }
    static Vec ip_of(const Vec& frame) { return Vec(frame.begin() + 14, frame.end()); }
    ModuleCounters& a_ip_counters() { return ipv4::state(*a).counters; }
    std::uint32_t drops(Drop d) { return a_ip_counters().drop[static_cast<std::size_t>(d)]; }
};

// Checks one fragment's header: length, IHL, flags, offset, id, checksum.
void expect_fragment(const Vec& f, std::size_t header_len, std::size_t data_len, std::size_t offset,
                     bool more, std::uint16_t id) {
    ASSERT_EQ(f.size(), header_len + data_len);
    EXPECT_EQ(f[0], 0x40 | (header_len / 4));
    EXPECT_EQ(get16(f, 2), header_len + data_len);
    EXPECT_EQ(get16(f, 4), id);
    EXPECT_EQ(get16(f, 6), (more ? 0x2000 : 0) | (offset / 8)); // DF clear, reserved bit clear
    EXPECT_EQ(reference_checksum(f.data(), header_len), 0);
    EXPECT_EQ(get_ip(f, 12), a_ip);
    EXPECT_EQ(get_ip(f, 16), b_ip);
}

TEST_F(Fragmentation, UdpDatagramIsCutAtEightOctetBoundariesAndReassembledIdentically) {
    SocketHandle rx = udp::open(*b, nullptr, nullptr);
    ASSERT_GE(rx, 0);
    ASSERT_EQ(udp::bind(*b, rx, IpAddr{}, 9), SocketError::Ok);
    SocketHandle tx = udp::open(*a, nullptr, nullptr);
    ASSERT_GE(tx, 0);
    const Vec data = pattern(1400);
    ASSERT_EQ(udp::send_to(*a, tx, Bytes{data.data(), data.size()}, b_ip, 9), SocketError::Ok);
    auto frames = drain_a();
    // 8 + 1,400 = 1,408 octets of UDP over MTU 576: 556 octets of room after the 20-octet header, 552 of
    // them a multiple of 8: 552 + 552 + 304.
    ASSERT_EQ(frames.size(), 3u);
    const std::uint16_t id = get16(ip_of(frames[0]), 4);
    expect_fragment(ip_of(frames[0]), 20, 552, 0, true, id);
    expect_fragment(ip_of(frames[1]), 20, 552, 552, true, id);
    expect_fragment(ip_of(frames[2]), 20, 304, 1104, false, id);
    for (const Vec& f : frames) {
        EXPECT_EQ(ip_of(f)[9], 17);
        EXPECT_LE(ip_of(f).size(), 576u);
    }
    EXPECT_EQ(a_ip_counters().tx, 3u);
    EXPECT_EQ(ipv4::state(*a).fragmented, 1u);
    EXPECT_EQ(ipv4::state(*a).fragments_sent, 3u);
    EXPECT_EQ(a->frame_stats().in_use, a_frames_before); // the original frame went back to the pool

    // Out of order into B: one datagram, byte for byte.
    carry_to_b({frames[2], frames[0], frames[1]});
    EXPECT_EQ(ipv4_reassembly::state(*b).reassembled, 1u);
    Vec got(2000);
    udp::RecvInfo info;
    ASSERT_EQ(udp::recv_from(*b, rx, MutBytes{got.data(), got.size()}, info), SocketError::Ok);
    got.resize(info.copied);
    EXPECT_EQ(got, data);
    EXPECT_EQ(info.source.v4addr, a_ip);
}

TEST_F(Fragmentation, EveryFragmentCarriesTheRouterAlertOption) {
    const Vec payload = pattern(1200, 11);
    auto buf = frames(*a).allocate_copy(Bytes{payload.data(), payload.size()}, config::frame_headroom);
    ASSERT_TRUE(buf.has_value());
    ipv4::SendParams p;
    p.destination = b_ip;
    p.protocol = 253; // experimental (RFC 3692): B reassembles it and then finds no protocol for it
    p.router_alert = true;
    ASSERT_TRUE(ipv4::send(*a, p, std::move(*buf)));
    auto frames_out = drain_a();
    // 24-octet headers: (576 - 24) / 8 * 8 = 552 data octets: 552 + 552 + 96.
    ASSERT_EQ(frames_out.size(), 3u);
    const std::uint16_t id = get16(ip_of(frames_out[0]), 4);
    const std::size_t sizes[] = {552, 552, 96};
    std::size_t offset = 0;
    Vec joined;
    for (std::size_t i = 0; i < 3; ++i) {
        Vec f = ip_of(frames_out[i]);
        expect_fragment(f, 24, sizes[i], offset, i < 2, id);
        EXPECT_EQ(f[20], 0x94); // Router Alert, copy flag set (RFC 2113)
        EXPECT_EQ(f[21], 4);
        EXPECT_EQ(get16(f, 22), 0);
        joined.insert(joined.end(), f.begin() + 24, f.end());
        offset += sizes[i];
    }
    EXPECT_EQ(joined, payload);
    carry_to_b(frames_out);
    EXPECT_EQ(ipv4_reassembly::state(*b).reassembled, 1u);
    EXPECT_EQ(ipv4::state(*b).counters.drop[static_cast<std::size_t>(Drop::UnknownProtocol)], 1u);
}

TEST_F(Fragmentation, DontFragmentTooBigIsRefused) {
    const Vec payload = pattern(600);
    auto buf = frames(*a).allocate_copy(Bytes{payload.data(), payload.size()}, config::frame_headroom);
    ASSERT_TRUE(buf.has_value());
    ipv4::SendParams p;
    p.destination = b_ip;
    p.protocol = 253;
    p.dont_fragment = true;
    EXPECT_FALSE(ipv4::send(*a, p, std::move(*buf)));
    buf.reset(); // a refused payload stays with the caller
    EXPECT_EQ(drops(Drop::TooBig), 1u);
    EXPECT_TRUE(drain_a().empty());
    EXPECT_EQ(a->frame_stats().in_use, a_frames_before);
    // 556 octets with DF fit the 576-octet MTU exactly and leave whole, DF set.
    const Vec fits = pattern(556);
    buf = frames(*a).allocate_copy(Bytes{fits.data(), fits.size()}, config::frame_headroom);
    ASSERT_TRUE(ipv4::send(*a, p, std::move(*buf)));
    auto out = drain_a();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(ip_of(out[0]).size(), 576u);
    EXPECT_EQ(get16(ip_of(out[0]), 6), 0x4000);
}

TEST_F(Fragmentation, PoolExhaustionSendsNothingAndReturnsEveryFrame) {
    SocketHandle tx = udp::open(*a, nullptr, nullptr);
    ASSERT_GE(tx, 0);
    const Vec data = pattern(1400);
    // Hold frames until only 3 are free: the UDP datagram takes one, its three fragments need three more.
    std::vector<PacketBuf> held;
    while (a->frame_stats().capacity - a->frame_stats().in_use > 3) {
        auto f = frames(*a).allocate(0);
        ASSERT_TRUE(f.has_value());
        held.push_back(std::move(*f));
    }
    const std::uint32_t baseline = a->frame_stats().in_use;
    EXPECT_NE(udp::send_to(*a, tx, Bytes{data.data(), data.size()}, b_ip, 9), SocketError::Ok);
    EXPECT_EQ(drops(Drop::PoolExhausted), 1u);
    EXPECT_TRUE(drain_a().empty()); // not a single fragment: all or nothing
    EXPECT_EQ(a->frame_stats().in_use, baseline);
    EXPECT_EQ(ipv4::state(*a).fragments_sent, 0u);
    // One frame more and it goes.
    held.pop_back();
    EXPECT_EQ(udp::send_to(*a, tx, Bytes{data.data(), data.size()}, b_ip, 9), SocketError::Ok);
    EXPECT_EQ(drain_a().size(), 3u);
    held.clear();
    EXPECT_EQ(a->frame_stats().in_use, a_frames_before);
}

TEST_F(Fragmentation, LargestUdpDatagramIsOnePoolFrame) {
    SocketHandle tx = udp::open(*a, nullptr, nullptr);
    ASSERT_GE(tx, 0);
    const std::size_t largest = ipv4_fragment::max_payload - 8; // 1,528 with 1,600-octet frames
    const Vec data = pattern(largest + 1);
    ASSERT_EQ(udp::send_to(*a, tx, Bytes{data.data(), largest}, b_ip, 9), SocketError::Ok);
    auto out = drain_a();
    const std::size_t udp_len = largest + 8;
    ASSERT_EQ(out.size(), (udp_len + 551) / 552);
    std::size_t total = 0;
    for (const Vec& f : out)
        total += ip_of(f).size() - 20;
    EXPECT_EQ(total, udp_len);
    EXPECT_EQ(udp::send_to(*a, tx, Bytes{data.data(), largest + 1}, b_ip, 9), SocketError::TooBig);
    EXPECT_TRUE(drain_a().empty());
    EXPECT_EQ(a->frame_stats().in_use, a_frames_before);
}

TEST_F(Fragmentation, FragmentsToTheLearntPathMtu) {
    // A route to a remote network via B: a router reported a next-hop MTU of 300 towards 198.18.7.7.
    ASSERT_TRUE(ipv4::add_route(*a, ip(198, 18, 7, 0), 24, b_ip));
    const Ipv4Addr far = ip(198, 18, 7, 7);
    ASSERT_TRUE(ipv4::update_path_mtu(*a, far, 300));
    EXPECT_EQ(ipv4::path_mtu(*a, no_interface, far), 300);
    EXPECT_EQ(ipv4::path_mtu(*a, no_interface, b_ip), 576); // another destination: the device MTU
    SocketHandle tx = udp::open(*a, nullptr, nullptr);
    const Vec data = pattern(500);
    ASSERT_EQ(udp::send_to(*a, tx, Bytes{data.data(), data.size()}, far, 9), SocketError::Ok);
    auto out = drain_a();
    // 508 octets of UDP, 280 per fragment: 280 + 228.
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(ip_of(out[0]).size(), 300u);
    EXPECT_EQ(get16(ip_of(out[0]), 6), 0x2000);
    EXPECT_EQ(ip_of(out[1]).size(), 248u);
    EXPECT_EQ(get16(ip_of(out[1]), 6), 280 / 8);
    // With DF (as TCP sends) the learnt estimate does not apply: the datagram leaves whole if the device
    // takes it, and a router still finding it too big answers with "fragmentation needed".
    auto buf = frames(*a).allocate_copy(Bytes{data.data(), data.size()}, config::frame_headroom);
    ipv4::SendParams p;
    p.destination = far;
    p.protocol = 253;
    p.dont_fragment = true;
    ASSERT_TRUE(ipv4::send(*a, p, std::move(*buf)));
    out = drain_a();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(ip_of(out[0]).size(), 520u);
}

TEST(FragmentOptions, OnlyOptionsWithTheCopyFlagAreCopied) {
    // Router Alert (copied), Record Route (not copied, 7 octets), NOP, a copied unknown option (0x99, 4).
    const Vec options{0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 1, 0x99, 4, 0xab, 0xcd};
    Vec out(options.size(), 0xee);
    std::size_t n = ipv4_fragment::copied_options(Bytes{options.data(), options.size()},
                                                  MutBytes{out.data(), out.size()});
    ASSERT_EQ(n, 8u);
    EXPECT_EQ(Vec(out.begin(), out.begin() + 8), (Vec{0x94, 4, 0, 0, 0x99, 4, 0xab, 0xcd}));
    // A malformed list stops the walk; the result is padded with End of Option List.
    const Vec broken{0x94, 4, 0, 0, 0x83, 1, 0, 0};
    n = ipv4_fragment::copied_options(Bytes{broken.data(), broken.size()}, MutBytes{out.data(), out.size()});
    EXPECT_EQ(n, 4u);
    const Vec odd{0x83, 3, 9, 0};
    n = ipv4_fragment::copied_options(Bytes{odd.data(), odd.size()}, MutBytes{out.data(), out.size()});
    ASSERT_EQ(n, 4u);
    EXPECT_EQ(Vec(out.begin(), out.begin() + 4), (Vec{0x83, 3, 9, 0}));
}

} // namespace
