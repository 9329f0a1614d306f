// ICMPv6 (RFC 4443): echo server and client, checksum over exactly the delivered bytes, received errors and
// Packet Too Big, and the section 2.4 rules for errors we send (suppression, size, rate limit). Output is
// observed on a loopback (RawIp) device.
#include "assembly/stack.hpp"
#include "ipv6_support.hpp"
#include "link/loopback.hpp"
#include "net/icmp6.hpp"
#include "net/ipv6.hpp"
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
const Ipv6Addr us_ll = addr6("fe80::2");

struct EchoLog {
    std::vector<icmp6::EchoReply> replies;
    static void on_reply(void* context, const icmp6::EchoReply& reply) {
        static_cast<EchoLog*>(context)->replies.push_back(reply);
    }
};

class Icmp6Test : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    LoopbackDevice lo{1500};
    IfIndex ifx = no_interface;
    std::uint32_t tx_before = 0;

    void SetUp() override {
        ifx = stack->attach(lo);
        ASSERT_NE(ifx, no_interface);
        ASSERT_TRUE(ipv6::add_address(*stack, ifx, us, 64));
        ASSERT_TRUE(ipv6::add_address(*stack, ifx, us_ll, 64));
        while (lo.receive()) { // MLD reports for the new solicited-node groups
        }
        tx_before = stats().tx;
    }
    ModuleCounters& stats() { return icmp6::state(*stack).counters; }
    void inject(const Packet& bytes) { ASSERT_TRUE(stack->inject(ifx, Bytes{bytes.data(), bytes.size()})); }
    std::optional<Packet> sent() {
        for (;;) {
            auto frame = lo.receive();
            if (!frame) return std::nullopt;
            Packet p(frame->data(), frame->data() + frame->size());
            if (!is_background(p)) return p;
        }
    }
    // Checks the IPv6 header and the ICMPv6 checksum of something we sent; returns the ICMPv6 message.
    Packet icmp_of(const Packet& p, const Ipv6Addr& src, const Ipv6Addr& dst) {
        EXPECT_GE(p.size(), 48u);
        EXPECT_EQ(p[0] >> 4, 6);
        EXPECT_EQ(get16(p, 4), p.size() - 40);
        EXPECT_EQ(p[6], 58);
        EXPECT_EQ(get_addr6(p, 8), src);
        EXPECT_EQ(get_addr6(p, 24), dst);
        Packet m(p.begin() + 40, p.end());
        EXPECT_EQ(reference_checksum6(src, dst, 58, m), 0);
        return m;
    }
    // A received packet as ipv6::input leaves it for send_error (meta filled, headers pulled).
    struct Received {
        PacketBuf buf;
        RxMeta meta;
    };
    Received received(const Packet& p) {
        auto buf = stack->frame_pool().allocate_copy(Bytes{p.data(), p.size()}, config::frame_headroom);
        EXPECT_TRUE(buf.has_value());
        RxMeta meta;
        meta.ifindex = ifx;
        meta.ipv6 = true;
        meta.src6 = get_addr6(p, 8);
        meta.dst6 = get_addr6(p, 24);
        meta.ip_multicast = meta.dst6.is_multicast();
        meta.l3_offset = static_cast<std::uint16_t>(buf->offset());
        meta.l3_header_len = 40;
        buf->pull(40);
        return {std::move(*buf), meta};
    }
    void unreachable(const Received& r, std::uint8_t type = icmp6::type_dest_unreachable,
                     bool allow = false) {
        icmp6::send_error(*stack, type, icmp6::code_port_unreachable, r.buf, r.meta, 0, allow);
    }
};

TEST_F(Icmp6Test, EchoReplyMirrorsRequest) {
    auto data = pattern(56, 3);
    inject(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 128, 0, 0xbeef0007, data)));
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    auto m = icmp_of(*out, us, peer);
    EXPECT_EQ(m[0], 129);
    EXPECT_EQ(m[1], 0);
    EXPECT_EQ(get32(m, 4), 0xbeef0007u);
    EXPECT_EQ(Packet(m.begin() + 8, m.end()), data);
    EXPECT_EQ((*out)[7], 64);
    EXPECT_EQ(stats().rx, 1u);
    EXPECT_EQ(stats().tx, tx_before + 1);
}

TEST_F(Icmp6Test, EchoToMulticastAnsweredFromUnicast) {
    auto dst = Ipv6Addr::all_nodes();
    inject(ipv6_packet(peer, dst, 58, icmp6_message(peer, dst, 128, 0, 0x00010002, pattern(4))));
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    auto m = icmp_of(*out, us, peer);
    EXPECT_EQ(m[0], 129);
}

TEST_F(Icmp6Test, EchoShorterThanEightOctetsDropped) {
    // CVE-2020-17443 shape: type, code, checksum and nothing else.
    Packet m{128, 0, 0, 0};
    put16(m, 2, reference_checksum6(peer, us, 58, m));
    inject(ipv6_packet(peer, us, 58, m));
    EXPECT_EQ(stats().drops(Drop::Truncated), 1u);
    EXPECT_FALSE(sent().has_value());
    Packet three{128, 0, 0};
    inject(ipv6_packet(peer, us, 58, three));
    EXPECT_EQ(stats().drops(Drop::Truncated), 2u);
}

TEST_F(Icmp6Test, ChecksumCoversExactlyThePayloadLength) {
    auto good = ipv6_packet(peer, us, 58, icmp6_message(peer, us, 128, 0, 1, pattern(8)));
    auto bad = good;
    bad[50] ^= 0xff;
    inject(bad);
    EXPECT_EQ(stats().drops(Drop::BadChecksum), 1u);
    // CVE-2020-17441 shape: Payload Length larger than the frame never makes the checksum read past it.
    auto longer = good;
    put16(longer, 4, static_cast<std::uint16_t>(get16(good, 4) + 200));
    inject(longer);
    EXPECT_EQ(ipv6::state(*stack).counters.drops(Drop::BadLength), 1u);
    // Trailing octets after the Payload Length are not summed.
    auto trailing = good;
    trailing.insert(trailing.end(), {1, 2, 3});
    inject(trailing);
    EXPECT_TRUE(sent().has_value());
}

TEST_F(Icmp6Test, EchoClient) {
    EchoLog log;
    icmp6::set_echo_reply_handler(*stack, &EchoLog::on_reply, &log);
    auto data = pattern(10);
    ASSERT_TRUE(icmp6::send_echo_request(*stack, peer, 7, 9, Bytes{data.data(), data.size()}));
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    auto m = icmp_of(*out, us, peer);
    EXPECT_EQ(m[0], 128);
    EXPECT_EQ(get32(m, 4), 0x00070009u);
    inject(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 129, 0, 0x00070009, data)));
    ASSERT_EQ(log.replies.size(), 1u);
    EXPECT_EQ(log.replies[0].from, peer);
    EXPECT_EQ(log.replies[0].id, 7);
    EXPECT_EQ(log.replies[0].sequence, 9);
    EXPECT_EQ(log.replies[0].payload_len, 10);
}

TEST_F(Icmp6Test, UnknownInformationalDropped) {
    inject(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 200, 0, 0, {})));
    EXPECT_EQ(stats().drops(Drop::BadOperation), 1u);
    EXPECT_FALSE(sent().has_value());
}

TEST_F(Icmp6Test, PacketTooBigUpdatesPathMtu) {
    // The quoted packet: one we sent (source us) to a remote destination.
    auto quoted = ipv6_packet(us, peer, 17, pattern(1400));
    quoted.resize(1232);
    inject(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 2, 0, 1300, quoted)));
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, peer), 1300u);
    // Below 1280: discarded (RFC 8201 4).
    inject(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 2, 0, 600, quoted)));
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, peer), 1300u);
    EXPECT_EQ(stats().drops(Drop::BadLength), 1u);
    inject(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 2, 0, 1280, quoted)));
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, peer), 1280u);
    // About a packet that is not ours: not believed.
    auto foreign = ipv6_packet(addr6("2001:db8::9"), addr6("2001:db8::8"), 17, pattern(40));
    inject(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 2, 0, 1280, foreign)));
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, addr6("2001:db8::8")), 1500u);
    EXPECT_EQ(stats().drops(Drop::NotForUs), 1u);
    // A quote shorter than an IPv6 header is dropped.
    inject(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 1, 4, 0, pattern(20))));
    EXPECT_EQ(stats().drops(Drop::Truncated), 1u);
}

TEST_F(Icmp6Test, ErrorQuotesAndComesFromTheDestination) {
    auto offending = ipv6_packet(peer, us, 17, pattern(100));
    unreachable(received(offending));
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    auto m = icmp_of(*out, us, peer);
    EXPECT_EQ(m[0], 1);
    EXPECT_EQ(m[1], 4);
    EXPECT_EQ(get32(m, 4), 0u);
    EXPECT_EQ(Packet(m.begin() + 8, m.end()), offending);
}

TEST_F(Icmp6Test, ErrorNeverExceeds1280Octets) {
    auto offending = ipv6_packet(peer, us, 17, pattern(1400));
    unreachable(received(offending));
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->size(), 1280u);
    auto m = icmp_of(*out, us, peer);
    EXPECT_EQ(Packet(m.begin() + 8, m.end()), Packet(offending.begin(), offending.begin() + 1232));
}

TEST_F(Icmp6Test, ErrorSuppressionRules) {
    // (e.1) about an ICMPv6 error message.
    unreachable(received(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 1, 0, 0, pattern(48)))));
    // (e.2) about a Redirect.
    unreachable(received(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 137, 0, 0, pattern(32)))));
    // (e.3) about a packet to a multicast address.
    unreachable(received(ipv6_packet(peer, Ipv6Addr::all_nodes(), 17, pattern(16))));
    // (e.6) about a packet from the unspecified or a multicast address.
    unreachable(received(ipv6_packet(Ipv6Addr{}, us, 17, pattern(16))));
    unreachable(received(ipv6_packet(addr6("ff02::1"), us, 17, pattern(16))));
    EXPECT_FALSE(sent().has_value());
    EXPECT_EQ(stats().drops(Drop::ErrorAboutError), 5u);
    // An error about an ICMPv6 informational message is fine.
    unreachable(received(ipv6_packet(peer, us, 58, icmp6_message(peer, us, 128, 0, 0, {}))));
    EXPECT_TRUE(sent().has_value());
}

TEST_F(Icmp6Test, MulticastExceptionsPacketTooBigAndOptionProblem) {
    auto to_group = received(ipv6_packet(peer, Ipv6Addr::all_nodes(), 17, pattern(16)));
    icmp6::send_error(*stack, icmp6::type_packet_too_big, 0, to_group.buf, to_group.meta, 1280);
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    auto m = icmp_of(*out, us, peer); // from a unicast address of ours
    EXPECT_EQ(m[0], 2);
    EXPECT_EQ(get32(m, 4), 1280u);
    icmp6::send_error(*stack, icmp6::type_parameter_problem, icmp6::code_unrecognized_option, to_group.buf,
                      to_group.meta, 42, true);
    EXPECT_TRUE(sent().has_value());
    icmp6::send_error(*stack, icmp6::type_parameter_problem, icmp6::code_erroneous_header, to_group.buf,
                      to_group.meta, 4, false);
    EXPECT_FALSE(sent().has_value());
}

TEST_F(Icmp6Test, RateLimitTokenBucket) {
    auto r = received(ipv6_packet(peer, us, 17, pattern(16)));
    for (std::uint32_t i = 0; i < icmp6::error_burst; ++i) {
        unreachable(r);
        ASSERT_TRUE(sent().has_value()) << i;
    }
    unreachable(r);
    EXPECT_FALSE(sent().has_value());
    EXPECT_EQ(stats().drops(Drop::RateLimited), 1u);
    clock.advance(icmp6::error_interval_ms);
    unreachable(r);
    EXPECT_TRUE(sent().has_value());
    unreachable(r);
    EXPECT_FALSE(sent().has_value());
    EXPECT_EQ(stats().drops(Drop::RateLimited), 2u);
}

TEST(Icmp6Checksum, KnownVector) {
    // Echo request fe80::1 -> fe80::2, id 1 seq 1, no data: checked against the byte-wise reference.
    Ipv6Addr a = addr6("fe80::1"), b = addr6("fe80::2");
    Packet m{128, 0, 0, 0, 0, 1, 0, 1};
    std::uint16_t c = icmp6::checksum(a, b, Bytes{m.data(), m.size()});
    EXPECT_EQ(c, reference_checksum6(a, b, 58, m));
    put16(m, 2, c);
    EXPECT_EQ(icmp6::checksum(a, b, Bytes{m.data(), m.size()}), 0);
}

} // namespace
