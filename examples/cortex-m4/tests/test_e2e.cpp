// End to end on the target: two Stacks in static storage joined by an in-memory Ethernet link (a pair of
// devices whose transmit queues are each other's receive queues), on the SysTick clock.
//   - an ARP request injected into a stack is answered with the right reply;
//   - UDP: a datagram from A to B (ARP resolution on the way) and back;
//   - TCP: B listens, A connects, 24 KiB (three times the 8 KiB rings) go A -> B and are echoed back,
//   compared
//     byte for byte; both close, and every frame is back in its pool.
#include "board.hpp"
#include "core/ring.hpp"
#include "link/device.hpp"
#include "net/ipv4.hpp"
#include "runner.hpp"
#include "semihosting.hpp"
#include "socket/socket.hpp"
#include "wire/arp.hpp"
#include "wire/ethernet.hpp"
#include <cstdint>
#include <utility>

using namespace pico;

namespace {

// One end of the link: transmit() hands the frame to the peer's queue, receive() drains its own.
class PairDevice final : public Device {
  public:
    explicit PairDevice(MacAddr mac) : mac_(mac) {}
    void connect(PairDevice& peer) { peer_ = &peer; }
    bool transmit(PacketBuf&& frame) override {
        ++transmitted_;
        if (peer_ == nullptr) {
            PacketBuf dropped(std::move(frame));
            return true;
        }
        return peer_->queue_.push(std::move(frame));
    }
    std::optional<PacketBuf> receive() override { return queue_.pop(); }
    std::uint16_t mtu() const override { return 1500; }
    MacAddr mac() const override { return mac_; }
    // Frames waiting for this end (a test looks at them before the stack does).
    Ring<PacketBuf, 16>& queue() { return queue_; }
    void reset() {
        queue_.clear();
        peer_ = nullptr;
        transmitted_ = 0;
    }
    std::uint32_t transmitted() const { return transmitted_; }

  private:
    MacAddr mac_;
    PairDevice* peer_ = nullptr;
    Ring<PacketBuf, 16> queue_;
    std::uint32_t transmitted_ = 0;
};

const MacAddr mac_a{{0x02, 0, 0, 0, 0, 0x0a}};
const MacAddr mac_b{{0x02, 0, 0, 0, 0, 0x0b}};
const Ipv4Addr ip_a = Ipv4Addr::from_octets(198, 18, 0, 1);
const Ipv4Addr ip_b = Ipv4Addr::from_octets(198, 18, 0, 2);

PairDevice device_a(mac_a);
PairDevice device_b(mac_b);

struct Pair {
    Stack* a;
    Stack* b;
    IfIndex if_a;
    IfIndex if_b;
};

// Fresh stacks A (198.18.0.1) and B (198.18.0.2) on a fresh link. Queued frames belong to the old stacks'
// pools: they are dropped before those stacks go.
Pair make_pair() {
    device_a.reset();
    device_b.reset();
    Pair p{&m4test::fresh_stack(0), &m4test::fresh_stack(1), no_interface, no_interface};
    device_a.connect(device_b);
    device_b.connect(device_a);
    p.if_a = p.a->attach(device_a);
    p.if_b = p.b->attach(device_b);
    ipv4::add_address(*p.a, p.if_a, ip_a, 24);
    ipv4::add_address(*p.b, p.if_b, ip_b, 24);
    return p;
}

void release_link() {
    device_a.reset();
    device_b.reset();
}

// Polls both stacks until done() or `limit_ms` of platform time have passed; returns done().
template <class Done> bool pump(Pair& p, Done&& done, TimeMs limit_ms = 3000) {
    const TimeMs start = m4test::platform().now_ms();
    while (!done()) {
        p.a->poll();
        p.b->poll();
        if (m4test::platform().now_ms() - start > limit_ms) return done();
    }
    return true;
}

std::uint8_t pattern_byte(std::size_t i) {
    return static_cast<std::uint8_t>((i * 131u + (i >> 8)) ^ 0x5a);
}

// ARP request for 198.18.0.2 from 02:00:00:00:00:0a at 198.18.0.1, padded to the Ethernet minimum.
const std::uint8_t arp_request[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,
    198,  18,   0,    1,    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198,  18,   0,    2,
};

} // namespace

TEST(EndToEndArpRequestInjectedAndAnswered) {
    Pair p = make_pair();
    device_a.queue().clear(); // gratuitous ARP announcements, if any
    REQUIRE(p.b->inject(p.if_b, Bytes{arp_request, sizeof arp_request}));
    p.b->poll();
    REQUIRE_EQ(device_a.queue().size(), 1u);
    PacketBuf* reply = device_a.queue().front();
    auto eth = wire::ethernet::View::parse(reply->bytes());
    REQUIRE(eth.has_value());
    CHECK(eth->destination() == mac_a);
    CHECK(eth->source() == mac_b);
    CHECK_EQ(eth->ethertype(), 0x0806);
    auto arp = wire::arp::View::parse(eth->payload());
    REQUIRE(arp.has_value());
    auto repr = wire::arp::Repr::parse(*arp);
    REQUIRE(repr.has_value());
    CHECK(*repr == (wire::arp::Repr{wire::arp::Operation::Reply, mac_b, ip_b, mac_a, ip_a}));
    release_link();
}

TEST(EndToEndUdpBothWays) {
    Pair p = make_pair();
    SocketHandle sa = socket::open_udp(*p.a, nullptr, nullptr);
    SocketHandle sb = socket::open_udp(*p.b, nullptr, nullptr);
    REQUIRE(sa >= 0 && sb >= 0);
    REQUIRE(socket::bind(*p.b, sb, IpAddr{ip_b}, 7) == SocketError::Ok);
    const std::uint8_t hello[] = {'h', 'e', 'l', 'l', 'o', ' ', 'm', '4'};
    CHECK(socket::send_to(*p.a, sa, Bytes{hello, sizeof hello}, IpAddr{ip_b}, 7) == SocketError::Ok);
    std::uint8_t buffer[64];
    udp::RecvInfo info;
    bool got = pump(p, [&] {
        return socket::recv_from(*p.b, sb, MutBytes{buffer, sizeof buffer}, info) == SocketError::Ok;
    });
    REQUIRE(got);
    CHECK_EQ(info.copied, sizeof hello);
    CHECK(equal_bytes(buffer, hello, sizeof hello));
    CHECK(info.source == IpAddr{ip_a});
    // And back to the sender's (ephemeral) port.
    CHECK(socket::send_to(*p.b, sb, Bytes{buffer, info.copied}, info.source, info.source_port) ==
          SocketError::Ok);
    udp::RecvInfo back;
    std::uint8_t echo[64];
    got = pump(p, [&] {
        return socket::recv_from(*p.a, sa, MutBytes{echo, sizeof echo}, back) == SocketError::Ok;
    });
    REQUIRE(got);
    CHECK_EQ(back.copied, sizeof hello);
    CHECK(equal_bytes(echo, hello, sizeof hello));
    CHECK_EQ(back.source_port, 7);
    socket::close(*p.a, sa);
    socket::close(*p.b, sb);
    release_link();
}

TEST(EndToEndTcpEchoOfThreeRingsWorth) {
    constexpr std::size_t total = 24 * 1024;
    Pair p = make_pair();
    SocketHandle listener = socket::open_tcp(*p.b, nullptr, nullptr);
    REQUIRE(listener >= 0);
    REQUIRE(socket::tcp_bind(*p.b, listener, IpAddr{ip_b}, 7) == SocketError::Ok);
    REQUIRE(socket::listen(*p.b, listener, 2) == SocketError::Ok);
    SocketHandle client = socket::open_tcp(*p.a, nullptr, nullptr);
    REQUIRE(client >= 0);
    REQUIRE(socket::tcp_connect(*p.a, client, IpAddr{ip_b}, 7) == SocketError::Ok);
    SocketHandle server = -1;
    REQUIRE(pump(p, [&] {
        server = socket::accept(*p.b, listener, nullptr, nullptr);
        return server >= 0;
    }));

    // A writes the pattern, B echoes what it reads, A reads the echo and compares.
    std::size_t sent = 0;
    std::size_t echoed_out = 0; // by B
    std::size_t received = 0;   // back at A
    std::uint32_t mismatches = 0;
    std::uint8_t chunk[512];
    std::uint8_t relay[1024];
    std::size_t relay_len = 0;
    const TimeMs start = m4test::platform().now_ms();
    const bool done = pump(
        p,
        [&] {
            if (sent < total) {
                const std::size_t n = total - sent < sizeof chunk ? total - sent : sizeof chunk;
                for (std::size_t i = 0; i < n; ++i)
                    chunk[i] = pattern_byte(sent + i);
                std::size_t written = 0;
                socket::write(*p.a, client, Bytes{chunk, n}, written);
                sent += written;
            }
            if (relay_len == 0) {
                bool eof = false;
                socket::read(*p.b, server, MutBytes{relay, sizeof relay}, relay_len, eof);
            }
            if (relay_len > 0) {
                std::size_t written = 0;
                socket::write(*p.b, server, Bytes{relay, relay_len}, written);
                copy_bytes(relay, relay + written, relay_len - written);
                relay_len -= written;
                echoed_out += written;
            }
            std::size_t got = 0;
            bool eof = false;
            if (socket::read(*p.a, client, MutBytes{chunk, sizeof chunk}, got, eof) == SocketError::Ok) {
                for (std::size_t i = 0; i < got; ++i)
                    if (chunk[i] != pattern_byte(received + i)) ++mismatches;
                received += got;
            }
            return received >= total;
        },
        10000);
    const TimeMs elapsed = m4test::platform().now_ms() - start;
    CHECK(done);
    CHECK_EQ(sent, total);
    CHECK_EQ(echoed_out, total);
    CHECK_EQ(received, total);
    CHECK_EQ(mismatches, 0u);
    pico_m4::Line line;
    (line << "  tcp echo: " << static_cast<std::uint32_t>(total) << " B each way in " << elapsed << " ms")
        .print();

    // Graceful close from both ends; every frame returns to its pool.
    CHECK(socket::tcp_close(*p.a, client) == SocketError::Ok);
    bool peer_closed = pump(p, [&] {
        std::size_t got = 0;
        bool eof = false;
        socket::read(*p.b, server, MutBytes{relay, sizeof relay}, got, eof);
        return eof;
    });
    CHECK(peer_closed);
    CHECK(socket::tcp_close(*p.b, server) == SocketError::Ok);
    socket::tcp_close(*p.b, listener);
    pump(
        p, [] { return false; }, 50); // the last FIN and ACK cross
    CHECK_EQ(p.a->frame_stats().in_use, 0u);
    CHECK_EQ(p.b->frame_stats().in_use, 0u);
    CHECK(p.a->frame_stats().exhausted == 0 && p.b->frame_stats().exhausted == 0);
    release_link();
}
