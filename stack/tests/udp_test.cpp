// UDP (RFC 768, RFC 1122 4.1.3): input checks and their drop reasons, delivery to sockets, port unreachable,
// broadcast, queue limits, ephemeral ports, output bytes, socket operations; and the wire view/repr.
#include "assembly/stack.hpp"
#include "link/loopback.hpp"
#include "port/virtual_platform.hpp"
#include "socket/socket.hpp"
#include "wire/udp.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

using namespace pico;

namespace {

using ByteVec = std::vector<std::uint8_t>;

const Ipv4Addr ours = *parse_ipv4("198.18.0.1");
const Ipv4Addr peer = *parse_ipv4("198.18.0.2");
const Ipv4Addr directed_broadcast = *parse_ipv4("198.18.0.255");

// Reference ones'-complement sum, one byte at a time (independent of core/checksum.cpp).
std::uint32_t reference_sum(const ByteVec& data, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i < data.size(); ++i)
        sum += (i % 2 == 0) ? (std::uint32_t{data[i]} << 8) : data[i];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

std::uint32_t reference_pseudo(Ipv4Addr src, Ipv4Addr dst, std::size_t udp_len) {
    ByteVec p{static_cast<std::uint8_t>(src.value >> 24),
              static_cast<std::uint8_t>(src.value >> 16),
              static_cast<std::uint8_t>(src.value >> 8),
              static_cast<std::uint8_t>(src.value),
              static_cast<std::uint8_t>(dst.value >> 24),
              static_cast<std::uint8_t>(dst.value >> 16),
              static_cast<std::uint8_t>(dst.value >> 8),
              static_cast<std::uint8_t>(dst.value),
              0,
              17,
              static_cast<std::uint8_t>(udp_len >> 8),
              static_cast<std::uint8_t>(udp_len)};
    return reference_sum(p);
}

enum class Sum { Correct, Zero, Wrong };

// A UDP datagram src:sport -> dst:dport; `length_field` overrides the Length field when non-zero.
ByteVec udp_datagram(Ipv4Addr src, std::uint16_t sport, Ipv4Addr dst, std::uint16_t dport,
                     const ByteVec& payload, Sum sum = Sum::Correct, std::uint16_t length_field = 0) {
    const std::size_t len = 8 + payload.size();
    ByteVec d{static_cast<std::uint8_t>(sport >> 8),
              static_cast<std::uint8_t>(sport),
              static_cast<std::uint8_t>(dport >> 8),
              static_cast<std::uint8_t>(dport),
              static_cast<std::uint8_t>(len >> 8),
              static_cast<std::uint8_t>(len),
              0,
              0};
    d.insert(d.end(), payload.begin(), payload.end());
    if (sum != Sum::Zero) {
        std::uint16_t c = static_cast<std::uint16_t>(~reference_sum(d, reference_pseudo(src, dst, len)));
        if (c == 0) c = 0xffff;
        if (sum == Sum::Wrong) c = static_cast<std::uint16_t>(c ^ 0x0101);
        d[6] = static_cast<std::uint8_t>(c >> 8);
        d[7] = static_cast<std::uint8_t>(c);
    }
    if (length_field != 0) {
        d[4] = static_cast<std::uint8_t>(length_field >> 8);
        d[5] = static_cast<std::uint8_t>(length_field);
    }
    return d;
}

// An IPv4 datagram (20-byte header, valid checksum) carrying payload.
ByteVec ip_datagram(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol, const ByteVec& payload) {
    const std::size_t total = 20 + payload.size();
    ByteVec h{0x45,
              0x00,
              static_cast<std::uint8_t>(total >> 8),
              static_cast<std::uint8_t>(total),
              0x12,
              0x34,
              0x00,
              0x00,
              64,
              protocol,
              0,
              0,
              static_cast<std::uint8_t>(src.value >> 24),
              static_cast<std::uint8_t>(src.value >> 16),
              static_cast<std::uint8_t>(src.value >> 8),
              static_cast<std::uint8_t>(src.value),
              static_cast<std::uint8_t>(dst.value >> 24),
              static_cast<std::uint8_t>(dst.value >> 16),
              static_cast<std::uint8_t>(dst.value >> 8),
              static_cast<std::uint8_t>(dst.value)};
    std::uint16_t c = static_cast<std::uint16_t>(~reference_sum(h));
    h[10] = static_cast<std::uint8_t>(c >> 8);
    h[11] = static_cast<std::uint8_t>(c);
    h.insert(h.end(), payload.begin(), payload.end());
    return h;
}

ByteVec text(const std::string& s) {
    return ByteVec(s.begin(), s.end());
}

struct Event {
    SocketHandle socket;
    SocketEvent event;
    SocketError error;
};
struct EventLog {
    std::vector<Event> events;
    int count(SocketEvent e) const {
        int n = 0;
        for (const auto& ev : events)
            n += ev.event == e ? 1 : 0;
        return n;
    }
};
void record_event(void* context, SocketHandle socket, SocketEvent event, SocketError error) {
    static_cast<EventLog*>(context)->events.push_back({socket, event, error});
}

struct UdpTest : ::testing::Test {
    VirtualClock clock;
    VirtualPlatform platform{clock, 5};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    LoopbackDevice lo;
    IfIndex ifx = no_interface;
    EventLog log;

    void SetUp() override {
        ifx = stack->attach(lo);
        ASSERT_NE(ifx, no_interface);
        ASSERT_TRUE(ipv4::add_address(*stack, ifx, ours, 24));
    }

    const ModuleCounters& counters() { return udp::state(*stack).counters; }

    // Hands a UDP datagram to udp::input as ipv4::input would (IP header pulled, meta filled).
    void input_direct(const ByteVec& udp_bytes, Ipv4Addr src, Ipv4Addr dst, bool broadcast = false,
                      std::size_t ip_payload_extra = 0) {
        ByteVec payload = udp_bytes;
        payload.resize(payload.size() + ip_payload_extra, 0xee); // bytes inside the IP payload past Length
        ByteVec packet = ip_datagram(src, dst, 17, payload);
        auto frame = stack->frame_pool().allocate_copy(packet, config::frame_headroom);
        ASSERT_TRUE(frame);
        RxMeta meta;
        meta.ifindex = ifx;
        meta.src = src;
        meta.dst = dst;
        meta.ttl = 64;
        meta.ip_broadcast = broadcast;
        meta.l3_offset = static_cast<std::uint16_t>(frame->offset());
        meta.l3_header_len = 20;
        frame->pull(20);
        udp::input(*stack, std::move(*frame), meta);
    }

    // A datagram through the whole receive path (loopback device, ipv4::input).
    void inject(const ByteVec& ip_bytes) { ASSERT_TRUE(stack->inject(ifx, ip_bytes)); }

    SocketHandle open_bound(Ipv4Addr address, std::uint16_t port) {
        SocketHandle h = socket::open_udp(*stack, record_event, &log);
        EXPECT_GE(h, 0);
        EXPECT_EQ(socket::bind(*stack, h, address, port), SocketError::Ok);
        return h;
    }

    // Every frame the stack sent on the loopback since the last call.
    std::vector<ByteVec> sent() {
        std::vector<ByteVec> out;
        for (int i = 0; i < 64; ++i) {
            auto f = lo.receive();
            if (!f) break;
            out.emplace_back(f->bytes().begin(), f->bytes().end());
        }
        return out;
    }
};

} // namespace

// ---- wire ----

TEST(UdpWire, ParseChecksLengthsAndTrimsPadding) {
    ByteVec d = udp_datagram(peer, 1234, ours, 53, text("abc"));
    d.push_back(0); // padding after Length
    auto view = wire::udp::View::parse(d);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->source_port(), 1234);
    EXPECT_EQ(view->destination_port(), 53);
    EXPECT_EQ(view->length(), 11);
    EXPECT_EQ(view->bytes().size(), 11u);
    EXPECT_EQ(ByteVec(view->payload().begin(), view->payload().end()), text("abc"));
    EXPECT_TRUE(view->verify_checksum_ipv4(peer.value, ours.value));
    EXPECT_FALSE(view->verify_checksum_ipv4(peer.value, directed_broadcast.value));

    EXPECT_EQ(wire::udp::View::check(ByteVec(7, 0)), wire::udp::Malformed::Truncated);
    EXPECT_EQ(wire::udp::View::check(udp_datagram(peer, 1, ours, 2, {}, Sum::Correct, 7)),
              wire::udp::Malformed::BadLength);
    EXPECT_EQ(wire::udp::View::check(udp_datagram(peer, 1, ours, 2, {}, Sum::Correct, 9)),
              wire::udp::Malformed::BadLength);
    EXPECT_FALSE(wire::udp::View::parse(ByteVec(7, 0)));
}

TEST(UdpWire, ReprEmitRoundTrip) {
    ByteVec original = udp_datagram(peer, 40000, ours, 7, text("hello"));
    auto view = wire::udp::View::parse(original);
    ASSERT_TRUE(view);
    wire::udp::Repr repr = wire::udp::Repr::parse(*view);
    EXPECT_EQ(repr.source_port, 40000);
    EXPECT_EQ(repr.destination_port, 7);
    EXPECT_EQ(repr.payload_len, 5);
    ByteVec out(8 + 5, 0xaa);
    ASSERT_TRUE(repr.emit(out));
    EXPECT_EQ(out[6], 0); // checksum written as zero by emit
    EXPECT_EQ(out[7], 0);
    EXPECT_EQ(out[8], 0xaa); // nothing past buffer_len()
    std::copy(original.begin() + 8, original.end(), out.begin() + 8);
    ASSERT_TRUE(wire::udp::fill_checksum_ipv4(out, peer.value, ours.value));
    EXPECT_EQ(out, original);
    ByteVec small(7);
    EXPECT_FALSE(repr.emit(small));
}

// ---- input ----

TEST_F(UdpTest, DeliversToBoundSocketWithSource) {
    SocketHandle h = open_bound(Ipv4Addr{}, 5000);
    const auto pool_before = stack->frame_stats().in_use;
    input_direct(udp_datagram(peer, 1234, ours, 5000, text("hello")), peer, ours);
    ASSERT_EQ(log.events.size(), 1u);
    EXPECT_EQ(log.events[0].socket, h);
    EXPECT_EQ(log.events[0].event, SocketEvent::Readable);
    EXPECT_EQ(counters().rx, 1u);
    EXPECT_EQ(counters().total_drops(), 0u);

    std::uint8_t buffer[64];
    udp::RecvInfo info;
    ASSERT_EQ(socket::recv_from(*stack, h, buffer, info), SocketError::Ok);
    EXPECT_EQ(ByteVec(buffer, buffer + info.copied), text("hello"));
    EXPECT_EQ(info.copied, 5u);
    EXPECT_EQ(info.datagram_len, 5u);
    EXPECT_EQ(info.source, peer);
    EXPECT_EQ(info.source_port, 1234);
    EXPECT_EQ(info.destination, ours);
    EXPECT_EQ(socket::recv_from(*stack, h, buffer, info), SocketError::WouldBlock);
    EXPECT_EQ(stack->frame_stats().in_use, pool_before); // the datagram's frame went back
}

TEST_F(UdpTest, FullReceivePathThroughIpv4) {
    SocketHandle h = open_bound(ours, 5001);
    inject(ip_datagram(peer, ours, 17, udp_datagram(peer, 999, ours, 5001, text("via ip"))));
    EXPECT_EQ(log.count(SocketEvent::Readable), 1);
    std::uint8_t buffer[64];
    udp::RecvInfo info;
    ASSERT_EQ(socket::recv_from(*stack, h, buffer, info), SocketError::Ok);
    EXPECT_EQ(ByteVec(buffer, buffer + info.copied), text("via ip"));
    EXPECT_EQ(info.source_port, 999);
}

TEST_F(UdpTest, RecvFromReportsTruncation) {
    SocketHandle h = open_bound(Ipv4Addr{}, 5000);
    input_direct(udp_datagram(peer, 1234, ours, 5000, text("0123456789")), peer, ours);
    std::uint8_t buffer[4];
    udp::RecvInfo info;
    ASSERT_EQ(socket::recv_from(*stack, h, buffer, info), SocketError::Ok);
    EXPECT_EQ(info.copied, 4u);
    EXPECT_EQ(info.datagram_len, 10u);
    EXPECT_EQ(ByteVec(buffer, buffer + 4), text("0123"));
    // The rest of a truncated datagram is gone (datagram semantics).
    EXPECT_EQ(socket::recv_from(*stack, h, buffer, info), SocketError::WouldBlock);
}

TEST_F(UdpTest, ZeroChecksumAccepted) {
    SocketHandle h = open_bound(Ipv4Addr{}, 5000);
    input_direct(udp_datagram(peer, 1234, ours, 5000, text("no sum"), Sum::Zero), peer, ours);
    EXPECT_EQ(log.count(SocketEvent::Readable), 1);
    EXPECT_EQ(counters().total_drops(), 0u);
    int queued = 0;
    ASSERT_EQ(socket::get_option(*stack, h, SocketOption::RxQueue, queued), SocketError::Ok);
    EXPECT_EQ(queued, 1);
}

TEST_F(UdpTest, BadChecksumDroppedAndCounted) {
    if (config::skip_checksum_verify) GTEST_SKIP() << "checksum verification is off in this build";
    SocketHandle h = open_bound(Ipv4Addr{}, 5000);
    input_direct(udp_datagram(peer, 1234, ours, 5000, text("bad"), Sum::Wrong), peer, ours);
    EXPECT_EQ(counters().rx, 1u);
    EXPECT_EQ(counters().drops(Drop::BadChecksum), 1u);
    EXPECT_TRUE(log.events.empty());
    std::uint8_t buffer[8];
    udp::RecvInfo info;
    EXPECT_EQ(socket::recv_from(*stack, h, buffer, info), SocketError::WouldBlock);
}

TEST_F(UdpTest, BadChecksumToClosedPortGetsNoIcmp) {
    if (config::skip_checksum_verify) GTEST_SKIP() << "checksum verification is off in this build";
    inject(ip_datagram(peer, ours, 17, udp_datagram(peer, 1234, ours, 9, text("x"), Sum::Wrong)));
    EXPECT_EQ(counters().drops(Drop::BadChecksum), 1u);
    EXPECT_EQ(counters().drops(Drop::NoSocket), 0u);
    EXPECT_TRUE(sent().empty());
}

TEST_F(UdpTest, LengthBeyondIpPayloadIsBadLength) {
    open_bound(Ipv4Addr{}, 5000);
    input_direct(udp_datagram(peer, 1234, ours, 5000, text("abcd"), Sum::Correct, 8 + 5), peer, ours);
    EXPECT_EQ(counters().drops(Drop::BadLength), 1u);
    EXPECT_TRUE(log.events.empty());
}

TEST_F(UdpTest, LengthBelowHeaderIsBadLength) {
    open_bound(Ipv4Addr{}, 5000);
    input_direct(udp_datagram(peer, 1234, ours, 5000, text("abcd"), Sum::Correct, 7), peer, ours);
    EXPECT_EQ(counters().drops(Drop::BadLength), 1u);
    EXPECT_TRUE(log.events.empty());
}

TEST_F(UdpTest, ShorterThanHeaderIsTruncated) {
    ByteVec d = udp_datagram(peer, 1234, ours, 5000, {});
    d.resize(7);
    input_direct(d, peer, ours);
    EXPECT_EQ(counters().rx, 1u);
    EXPECT_EQ(counters().drops(Drop::Truncated), 1u);
}

TEST_F(UdpTest, BytesAfterLengthAreTrimmed) {
    SocketHandle h = open_bound(Ipv4Addr{}, 5000);
    // The IP payload carries 6 bytes past the UDP Length; the checksum covers Length bytes only.
    input_direct(udp_datagram(peer, 1234, ours, 5000, text("trim")), peer, ours, false, 6);
    EXPECT_EQ(counters().total_drops(), 0u);
    std::uint8_t buffer[64];
    udp::RecvInfo info;
    ASSERT_EQ(socket::recv_from(*stack, h, buffer, info), SocketError::Ok);
    EXPECT_EQ(info.datagram_len, 4u);
    EXPECT_EQ(ByteVec(buffer, buffer + info.copied), text("trim"));
}

TEST_F(UdpTest, PortUnreachableForClosedPort) {
    const ByteVec udp = udp_datagram(peer, 1234, ours, 9, text("anyone?"));
    const ByteVec offending = ip_datagram(peer, ours, 17, udp);
    inject(offending);
    EXPECT_EQ(counters().drops(Drop::NoSocket), 1u);
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    const ByteVec& icmp_ip = out[0];
    ASSERT_GE(icmp_ip.size(), 20u + 8u + 28u);
    EXPECT_EQ(icmp_ip[9], 1); // ICMP
    EXPECT_EQ(Ipv4Addr::load(&icmp_ip[12]), ours);
    EXPECT_EQ(Ipv4Addr::load(&icmp_ip[16]), peer);
    const std::size_t ihl = std::size_t{icmp_ip[0] & 0x0fu} * 4;
    const std::uint8_t* icmp = icmp_ip.data() + ihl;
    EXPECT_EQ(icmp[0], 3); // destination unreachable
    EXPECT_EQ(icmp[1], 3); // port unreachable
    // The quote: the offending IP header and at least the first 8 bytes of its data (RFC 1122 3.2.2).
    const ByteVec quote(icmp + 8, icmp_ip.data() + icmp_ip.size());
    ASSERT_GE(quote.size(), 28u);
    EXPECT_EQ(ByteVec(quote.begin(), quote.begin() + 28), ByteVec(offending.begin(), offending.begin() + 28));
    EXPECT_EQ(reference_sum(ByteVec(icmp, icmp_ip.data() + icmp_ip.size())), 0xffffu); // ICMP checksum
}

TEST_F(UdpTest, NoIcmpForBroadcastToClosedPort) {
    inject(ip_datagram(peer, directed_broadcast, 17,
                       udp_datagram(peer, 1234, directed_broadcast, 9, text("?"))));
    inject(ip_datagram(peer, Ipv4Addr::limited_broadcast(), 17,
                       udp_datagram(peer, 1234, Ipv4Addr::limited_broadcast(), 9, text("?"))));
    EXPECT_EQ(counters().rx, 2u);
    EXPECT_EQ(counters().drops(Drop::NoSocket), 2u);
    EXPECT_TRUE(sent().empty());
}

TEST_F(UdpTest, BroadcastReachesEveryMatchingSocketWithItsOwnCopy) {
    SocketHandle any = open_bound(Ipv4Addr{}, 6000);
    SocketHandle specific = open_bound(ours, 6000);
    SocketHandle other_port = open_bound(Ipv4Addr{}, 6001);
    inject(ip_datagram(peer, directed_broadcast, 17,
                       udp_datagram(peer, 1, directed_broadcast, 6000, text("all"))));
    ASSERT_EQ(log.count(SocketEvent::Readable), 2);
    for (SocketHandle h : {any, specific}) {
        std::uint8_t buffer[16];
        udp::RecvInfo info;
        ASSERT_EQ(socket::recv_from(*stack, h, buffer, info), SocketError::Ok);
        EXPECT_EQ(ByteVec(buffer, buffer + info.copied), text("all"));
        EXPECT_EQ(info.destination, directed_broadcast);
    }
    std::uint8_t buffer[16];
    udp::RecvInfo info;
    EXPECT_EQ(socket::recv_from(*stack, other_port, buffer, info), SocketError::WouldBlock);
    EXPECT_EQ(counters().total_drops(), 0u);
    EXPECT_EQ(stack->frame_stats().in_use, 0u); // both copies went back
}

TEST_F(UdpTest, UnicastPrefersTheMoreSpecificBinding) {
    SocketHandle any = open_bound(Ipv4Addr{}, 6000);
    SocketHandle specific = open_bound(ours, 6000);
    input_direct(udp_datagram(peer, 1, ours, 6000, text("one")), peer, ours);
    ASSERT_EQ(log.events.size(), 1u);
    EXPECT_EQ(log.events[0].socket, specific);
    (void)any;
}

TEST_F(UdpTest, QueueFullDropsAndCounts) {
    SocketHandle h = open_bound(Ipv4Addr{}, 5000);
    for (std::size_t i = 0; i < config::udp_rx_queue + 1; ++i)
        input_direct(udp_datagram(peer, 1234, ours, 5000, ByteVec(1, static_cast<std::uint8_t>(i))), peer,
                     ours);
    EXPECT_EQ(log.count(SocketEvent::Readable), static_cast<int>(config::udp_rx_queue));
    EXPECT_EQ(counters().drops(Drop::QueueFull), 1u);
    EXPECT_EQ(udp::state(*stack).sockets[static_cast<std::size_t>(h)].rx_dropped, 1u);
    int queued = 0;
    ASSERT_EQ(socket::get_option(*stack, h, SocketOption::RxQueue, queued), SocketError::Ok);
    EXPECT_EQ(queued, static_cast<int>(config::udp_rx_queue));
    // The first ones are kept, in order.
    std::uint8_t b[4];
    udp::RecvInfo info;
    ASSERT_EQ(socket::recv_from(*stack, h, b, info), SocketError::Ok);
    EXPECT_EQ(b[0], 0);
}

TEST_F(UdpTest, ConnectedSocketOnlyTakesItsRemote) {
    SocketHandle h = socket::open_udp(*stack, record_event, &log);
    ASSERT_EQ(socket::bind(*stack, h, Ipv4Addr{}, 5000), SocketError::Ok);
    ASSERT_EQ(socket::connect(*stack, h, peer, 53), SocketError::Ok);
    input_direct(udp_datagram(peer, 54, ours, 5000, text("wrong port")), peer, ours);
    EXPECT_EQ(counters().drops(Drop::NoSocket), 1u);
    input_direct(udp_datagram(peer, 53, ours, 5000, text("right")), peer, ours);
    EXPECT_EQ(log.count(SocketEvent::Readable), 1);
}

TEST_F(UdpTest, CloseReturnsQueuedFrames) {
    const auto before = stack->frame_stats().in_use;
    SocketHandle h = open_bound(Ipv4Addr{}, 5000);
    for (int i = 0; i < 3; ++i)
        input_direct(udp_datagram(peer, 1234, ours, 5000, text("q")), peer, ours);
    EXPECT_EQ(stack->frame_stats().in_use, before + 3);
    ASSERT_EQ(socket::close(*stack, h), SocketError::Ok);
    EXPECT_EQ(stack->frame_stats().in_use, before);
    EXPECT_EQ(socket::close(*stack, h), SocketError::Invalid);
    std::uint8_t b[4];
    udp::RecvInfo info;
    EXPECT_EQ(socket::recv_from(*stack, h, b, info), SocketError::Invalid);
    // The port is free again.
    SocketHandle again = socket::open_udp(*stack, nullptr, nullptr);
    EXPECT_EQ(socket::bind(*stack, again, Ipv4Addr{}, 5000), SocketError::Ok);
}

// ---- sockets ----

TEST_F(UdpTest, OpenExhaustsThePool) {
    std::vector<SocketHandle> handles;
    for (std::size_t i = 0; i < config::udp_sockets; ++i) {
        SocketHandle h = socket::open_udp(*stack, nullptr, nullptr);
        ASSERT_GE(h, 0);
        handles.push_back(h);
    }
    EXPECT_EQ(socket::open_udp(*stack, nullptr, nullptr), -static_cast<int>(SocketError::Exhausted));
    ASSERT_EQ(socket::close(*stack, handles[3]), SocketError::Ok);
    EXPECT_EQ(socket::open_udp(*stack, nullptr, nullptr), handles[3]);
}

TEST_F(UdpTest, BindErrors) {
    SocketHandle a = socket::open_udp(*stack, nullptr, nullptr);
    SocketHandle b = socket::open_udp(*stack, nullptr, nullptr);
    SocketHandle c = socket::open_udp(*stack, nullptr, nullptr);
    ASSERT_EQ(socket::bind(*stack, a, ours, 7000), SocketError::Ok);
    EXPECT_EQ(socket::bind(*stack, a, ours, 7001), SocketError::Invalid); // already bound
    EXPECT_EQ(socket::bind(*stack, b, ours, 7000), SocketError::AddressInUse);
    EXPECT_EQ(socket::bind(*stack, b, *parse_ipv4("198.18.0.77"), 7000), SocketError::AddressNotAvailable);
    EXPECT_EQ(socket::bind(*stack, b, Ipv4Addr{}, 7000), SocketError::Ok); // wildcard beside a specific
    EXPECT_EQ(socket::bind(*stack, c, Ipv4Addr{}, 7000), SocketError::AddressInUse);
    EXPECT_EQ(socket::bind(*stack, 99, Ipv4Addr{}, 1), SocketError::Invalid);
    EXPECT_EQ(socket::bind(*stack, -1, Ipv4Addr{}, 1), SocketError::Invalid);
    IpAddr address;
    std::uint16_t port = 0;
    EXPECT_EQ(socket::local_endpoint(*stack, c, address, port), SocketError::NotBound);
    ASSERT_EQ(socket::local_endpoint(*stack, a, address, port), SocketError::Ok);
    EXPECT_EQ(address, ours);
    EXPECT_EQ(port, 7000);
}

namespace {
std::vector<std::uint16_t> ephemeral_ports(std::uint64_t seed, int count) {
    VirtualClock clock;
    VirtualPlatform platform(clock, seed);
    auto stack = std::make_unique<Stack>(platform);
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < count; ++i) {
        SocketHandle h = socket::open_udp(*stack, nullptr, nullptr);
        EXPECT_EQ(socket::bind(*stack, h, Ipv4Addr{}, 0), SocketError::Ok);
        IpAddr address;
        std::uint16_t port = 0;
        EXPECT_EQ(socket::local_endpoint(*stack, h, address, port), SocketError::Ok);
        ports.push_back(port);
    }
    return ports;
}
} // namespace

TEST(UdpEphemeral, InRangeDistinctAndDeterministicForASeed) {
    auto first = ephemeral_ports(77, static_cast<int>(config::udp_sockets));
    for (auto p : first) {
        EXPECT_GE(p, udp::ephemeral_first);
        EXPECT_LE(p, udp::ephemeral_last);
    }
    for (std::size_t i = 0; i < first.size(); ++i)
        for (std::size_t j = i + 1; j < first.size(); ++j)
            EXPECT_NE(first[i], first[j]);
    EXPECT_EQ(first, ephemeral_ports(77, static_cast<int>(config::udp_sockets)));
    EXPECT_NE(first, ephemeral_ports(78, static_cast<int>(config::udp_sockets)));
}

TEST_F(UdpTest, ConnectBindsEphemerallyAndSendNeedsConnect) {
    SocketHandle h = socket::open_udp(*stack, nullptr, nullptr);
    EXPECT_EQ(socket::send(*stack, h, text("x")), SocketError::NotConnected);
    EXPECT_EQ(socket::connect(*stack, h, peer, 0), SocketError::Invalid);
    ASSERT_EQ(socket::connect(*stack, h, peer, 53), SocketError::Ok);
    IpAddr address;
    std::uint16_t port = 0;
    ASSERT_EQ(socket::local_endpoint(*stack, h, address, port), SocketError::Ok);
    EXPECT_GE(port, udp::ephemeral_first);
    ASSERT_EQ(socket::send(*stack, h, text("query")), SocketError::Ok);
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(Ipv4Addr::load(&out[0][16]), peer);
    EXPECT_EQ(load_be16(&out[0][20]), port);
    EXPECT_EQ(load_be16(&out[0][22]), 53);
}

// ---- output ----

TEST_F(UdpTest, SendToEmitsExactDatagram) {
    SocketHandle h = open_bound(ours, 4000);
    ASSERT_EQ(socket::set_option(*stack, h, SocketOption::Ttl, 33), SocketError::Ok);
    ASSERT_EQ(socket::set_option(*stack, h, SocketOption::Tos, 0x10), SocketError::Ok);
    const ByteVec payload = text("datagram payload");
    ASSERT_EQ(socket::send_to(*stack, h, payload, peer, 5000), SocketError::Ok);
    EXPECT_EQ(counters().tx, 1u);
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    const ByteVec& ip = out[0];
    ASSERT_EQ(ip.size(), 20u + 8u + payload.size());
    EXPECT_EQ(ip[1], 0x10); // TOS
    EXPECT_EQ(ip[8], 33);   // TTL
    EXPECT_EQ(ip[9], 17);
    EXPECT_EQ(Ipv4Addr::load(&ip[12]), ours);
    EXPECT_EQ(Ipv4Addr::load(&ip[16]), peer);
    const ByteVec udp(ip.begin() + 20, ip.end());
    EXPECT_EQ(load_be16(&udp[0]), 4000);
    EXPECT_EQ(load_be16(&udp[2]), 5000);
    EXPECT_EQ(load_be16(&udp[4]), 8 + payload.size());
    EXPECT_NE(load_be16(&udp[6]), 0);
    // Recomputed independently: the sum over pseudo-header and datagram is all ones.
    EXPECT_EQ(reference_sum(udp, reference_pseudo(ours, peer, udp.size())), 0xffffu);
    EXPECT_EQ(ByteVec(udp.begin() + 8, udp.end()), payload);
    EXPECT_EQ(udp, udp_datagram(ours, 4000, peer, 5000, payload));
}

TEST_F(UdpTest, UnboundSendToBindsEphemeralAndUsesRouteSource) {
    SocketHandle h = socket::open_udp(*stack, nullptr, nullptr);
    ASSERT_EQ(socket::send_to(*stack, h, text("hi"), peer, 7), SocketError::Ok);
    IpAddr address;
    std::uint16_t port = 0;
    ASSERT_EQ(socket::local_endpoint(*stack, h, address, port), SocketError::Ok);
    EXPECT_EQ(address, Ipv4Addr{});
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(Ipv4Addr::load(&out[0][12]), ours);
    EXPECT_EQ(load_be16(&out[0][20]), port);
    const ByteVec udp(out[0].begin() + 20, out[0].end());
    EXPECT_EQ(reference_sum(udp, reference_pseudo(ours, peer, udp.size())), 0xffffu);
}

TEST_F(UdpTest, ComputedZeroChecksumIsSentAsAllOnes) {
    SocketHandle h = open_bound(ours, 4000);
    // Choose the last two payload bytes so that the checksum computes to zero.
    ByteVec payload = text("zz--");
    payload[2] = payload[3] = 0;
    ByteVec probe = udp_datagram(ours, 4000, peer, 5000, payload, Sum::Zero);
    std::uint32_t partial = reference_sum(probe, reference_pseudo(ours, peer, probe.size()));
    std::uint16_t word = static_cast<std::uint16_t>(0xffff - partial);
    payload[2] = static_cast<std::uint8_t>(word >> 8);
    payload[3] = static_cast<std::uint8_t>(word);
    probe = udp_datagram(ours, 4000, peer, 5000, payload, Sum::Zero);
    ASSERT_EQ(reference_sum(probe, reference_pseudo(ours, peer, probe.size())), 0xffffu); // sums to -0

    ASSERT_EQ(socket::send_to(*stack, h, payload, peer, 5000), SocketError::Ok);
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(load_be16(&out[0][20 + 6]), 0xffff);
}

TEST_F(UdpTest, BroadcastSendNeedsTheBroadcastOption) {
    SocketHandle h = socket::open_udp(*stack, nullptr, nullptr);
    EXPECT_EQ(socket::send_to(*stack, h, text("b"), Ipv4Addr::limited_broadcast(), 9), SocketError::Invalid);
    EXPECT_EQ(socket::send_to(*stack, h, text("b"), directed_broadcast, 9), SocketError::Invalid);
    EXPECT_TRUE(sent().empty());
    ASSERT_EQ(socket::set_option(*stack, h, SocketOption::Broadcast, 1), SocketError::Ok);
    int value = 0;
    ASSERT_EQ(socket::get_option(*stack, h, SocketOption::Broadcast, value), SocketError::Ok);
    EXPECT_EQ(value, 1);
    EXPECT_EQ(socket::send_to(*stack, h, text("b"), Ipv4Addr::limited_broadcast(), 9), SocketError::Ok);
    EXPECT_EQ(socket::send_to(*stack, h, text("b"), directed_broadcast, 9), SocketError::Ok);
    auto out = sent();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(Ipv4Addr::load(&out[0][16]), Ipv4Addr::limited_broadcast());
    EXPECT_EQ(Ipv4Addr::load(&out[0][12]), ours);
    const ByteVec udp(out[0].begin() + 20, out[0].end());
    EXPECT_EQ(reference_sum(udp, reference_pseudo(ours, Ipv4Addr::limited_broadcast(), udp.size())), 0xffffu);
    EXPECT_EQ(Ipv4Addr::load(&out[1][16]), directed_broadcast);
}

TEST_F(UdpTest, SendErrors) {
    SocketHandle h = socket::open_udp(*stack, nullptr, nullptr);
    // Over the MTU: TooBig, or two fragments with PICO_IPV4_FRAGMENTATION (then the limit is one pool frame,
    // 1,528 data octets by default).
    ByteVec big(1500 - 20 - 8 + 1, 0x55);
    EXPECT_EQ(socket::send_to(*stack, h, big, peer, 9),
              config::ipv4_fragmentation ? SocketError::Ok : SocketError::TooBig);
    if constexpr (config::ipv4_fragmentation) {
        EXPECT_EQ(sent().size(), 2u);
        ByteVec frame_limit(config::frame_size - config::frame_headroom - 8 + 1, 0x55);
        EXPECT_EQ(socket::send_to(*stack, h, frame_limit, peer, 9), SocketError::TooBig);
    }
    big.pop_back();
    EXPECT_EQ(socket::send_to(*stack, h, big, peer, 9), SocketError::Ok); // exactly the MTU
    EXPECT_EQ(socket::send_to(*stack, h, text("x"), *parse_ipv4("198.19.5.5"), 9), SocketError::NoRoute);
    EXPECT_EQ(socket::send_to(*stack, h, text("x"), peer, 0), SocketError::Invalid);
    EXPECT_EQ(socket::send_to(*stack, h, text("x"), Ipv4Addr{}, 9), SocketError::Invalid);
    EXPECT_EQ(socket::send_to(*stack, 42, text("x"), peer, 9), SocketError::Invalid);
    EXPECT_EQ(sent().size(), 1u);
}

TEST_F(UdpTest, Options) {
    SocketHandle h = socket::open_udp(*stack, nullptr, nullptr);
    int value = 0;
    ASSERT_EQ(socket::get_option(*stack, h, SocketOption::Ttl, value), SocketError::Ok);
    EXPECT_EQ(value, ipv4::default_ttl);
    EXPECT_EQ(socket::set_option(*stack, h, SocketOption::Ttl, 0), SocketError::Invalid);
    EXPECT_EQ(socket::set_option(*stack, h, SocketOption::Ttl, 256), SocketError::Invalid);
    EXPECT_EQ(socket::set_option(*stack, h, SocketOption::Ttl, 255), SocketError::Ok);
    ASSERT_EQ(socket::get_option(*stack, h, SocketOption::Ttl, value), SocketError::Ok);
    EXPECT_EQ(value, 255);
    EXPECT_EQ(socket::set_option(*stack, h, SocketOption::Tos, -1), SocketError::Invalid);
    EXPECT_EQ(socket::set_option(*stack, h, SocketOption::RxQueue, 3), SocketError::Invalid);
    EXPECT_EQ(socket::get_option(*stack, 77, SocketOption::Ttl, value), SocketError::Invalid);
}

// ---- ICMP errors about our datagrams ----

TEST_F(UdpTest, IcmpErrorRaisesUnreachableOnTheSender) {
    SocketHandle h = open_bound(Ipv4Addr{}, 4000);
    const ByteVec ours_sent = ip_datagram(ours, peer, 17, udp_datagram(ours, 4000, peer, 5000, text("x")));
    udp::icmp_error(*stack, 3, 3, ByteVec(ours_sent.begin(), ours_sent.begin() + 28));
    ASSERT_EQ(log.events.size(), 1u);
    EXPECT_EQ(log.events[0].socket, h);
    EXPECT_EQ(log.events[0].event, SocketEvent::Error);
    EXPECT_EQ(log.events[0].error, SocketError::Unreachable);

    // Another port: nobody to tell.
    const ByteVec other = ip_datagram(ours, peer, 17, udp_datagram(ours, 4001, peer, 5000, text("x")));
    udp::icmp_error(*stack, 3, 3, ByteVec(other.begin(), other.begin() + 28));
    EXPECT_EQ(log.events.size(), 1u);
    // Too short a quote.
    udp::icmp_error(*stack, 3, 3, ByteVec(ours_sent.begin(), ours_sent.begin() + 27));
    EXPECT_EQ(log.events.size(), 1u);
    EXPECT_EQ(counters().drops(Drop::Truncated), 1u);
}

TEST_F(UdpTest, IcmpPortUnreachableThroughTheStack) {
    SocketHandle h = open_bound(Ipv4Addr{}, 4000);
    const ByteVec ours_sent = ip_datagram(ours, peer, 17, udp_datagram(ours, 4000, peer, 5000, text("x")));
    ByteVec icmp{3, 3, 0, 0, 0, 0, 0, 0};
    icmp.insert(icmp.end(), ours_sent.begin(), ours_sent.begin() + 28);
    std::uint16_t c = static_cast<std::uint16_t>(~reference_sum(icmp));
    icmp[2] = static_cast<std::uint8_t>(c >> 8);
    icmp[3] = static_cast<std::uint8_t>(c);
    inject(ip_datagram(peer, ours, 1, icmp));
    ASSERT_EQ(log.count(SocketEvent::Error), 1);
    EXPECT_EQ(log.events.back().socket, h);
    EXPECT_EQ(log.events.back().error, SocketError::Unreachable);
}

TEST_F(UdpTest, CallbackMayCloseDuringBroadcastDelivery) {
    struct Closer {
        Stack* stack;
        std::vector<SocketHandle> handles;
        int readable = 0;
    } closer{stack.get(), {}, 0};
    auto on_event = [](void* context, SocketHandle, SocketEvent event, SocketError) {
        auto* c = static_cast<Closer*>(context);
        if (event != SocketEvent::Readable) return;
        ++c->readable;
        for (SocketHandle h : c->handles)
            socket::close(*c->stack, h); // closes every socket, the later ones before their copy
    };
    for (Ipv4Addr address : {Ipv4Addr{}, ours}) {
        SocketHandle h = socket::open_udp(*stack, on_event, &closer);
        ASSERT_EQ(socket::bind(*stack, h, address, 6000), SocketError::Ok);
        closer.handles.push_back(h);
    }
    inject(ip_datagram(peer, directed_broadcast, 17,
                       udp_datagram(peer, 1, directed_broadcast, 6000, text("x"))));
    EXPECT_EQ(closer.readable, 1);
    EXPECT_EQ(counters().drops(Drop::NoSocket), 1u);
    EXPECT_EQ(stack->frame_stats().in_use, 0u);
}
