// lwIP as a second, independent implementation, in the same process: our stack and lwIP 2.1.3 (Debian's
// liblwip-dev, unix port: state in globals, so one lwIP per process; ctest runs every test in its own
// process) joined by the impairment Link (stack/link/link_sim.hpp) on virtual time.
//
//  - TCP both ways (our client against lwIP's server and the reverse), 16 MiB checked by SHA-256, under 0 %
//    and 5 % loss, over IPv4 and IPv6;
//  - UDP datagrams echoed by lwIP; ICMP and ICMPv6 echo answered by lwIP.
//
// lwIP is driven from this one thread through its raw API without tcpip_init (no tcpip thread, so its
// core-locking check passes); its timers are called from the virtual clock (tcp_tmr every 250 ms, ARP, ND and
// reassembly every second, MLD and IGMP every 100 ms), so lwIP's TCP timers run on virtual time as ours do.
extern "C" {
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/igmp.h"
#include "lwip/init.h"
#include "lwip/ip4_frag.h"
#include "lwip/ip6_frag.h"
#include "lwip/mld6.h"
#include "lwip/nd6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h" // tcp_tmr: lwIP's TCP timer, driven here from the virtual clock
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
}

#include "assembly/stack.hpp"
#include "link/link_sim.hpp"
#include "net/icmp4.hpp"
#include "net/icmp6.hpp"
#include "net/ipv4.hpp"
#include "net/ipv6.hpp"
#include "port/virtual_platform.hpp"
#include "sha256.hpp"
#include "socket/socket.hpp"
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace pico;
using pico::test::hex;
using pico::test::Sha256;

namespace {

constexpr std::uint64_t transfer_bytes = 16ull * 1024 * 1024;
constexpr std::uint16_t lwip_port = 5001;
constexpr std::uint16_t our_port = 5002;
const char* const our_ip4 = "198.18.0.10";
const char* const lwip_ip4 = "198.18.0.11";
const char* const our_ip6 = "2001:db8::a";
const char* const lwip_ip6 = "2001:db8::b";

// The bytes a sender writes: byte i of the stream is a function of i alone, so either side can produce any
// part of it.
void pattern(std::uint64_t offset, std::uint8_t* out, std::size_t len) {
    for (std::size_t i = 0; i < len; ++i) {
        std::uint64_t x = (offset + i) * 0x9e3779b97f4a7c15ull;
        out[i] = static_cast<std::uint8_t>((x ^ (x >> 29)) >> 21);
    }
}

// ---- lwIP on one end of the Link ----

struct LwipEnd {
    explicit LwipEnd(LinkEnd& end) : end_(end) {}

    static err_t netif_init_fn(struct netif* nif) {
        auto* self = static_cast<LwipEnd*>(nif->state);
        nif->hwaddr_len = 6;
        for (int i = 0; i < 6; ++i)
            nif->hwaddr[i] = self->end_.mac().octets[static_cast<std::size_t>(i)];
        nif->mtu = 1500;
        nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP |
                     NETIF_FLAG_MLD6;
        nif->name[0] = 'p';
        nif->name[1] = 'c';
        nif->output = etharp_output;
        nif->output_ip6 = ethip6_output;
        nif->linkoutput = linkoutput;
        return ERR_OK;
    }

    // A frame lwIP sends: copied into a frame of our pool and handed to the Link (which copies it again).
    static err_t linkoutput(struct netif* nif, struct pbuf* p) {
        auto* self = static_cast<LwipEnd*>(nif->state);
        auto frame = self->tx_pool_->allocate(0);
        if (!frame || p->tot_len > frame->tailroom()) return ERR_MEM;
        std::uint8_t* at = frame->append(p->tot_len);
        pbuf_copy_partial(p, at, p->tot_len, 0);
        self->end_.transmit(std::move(*frame));
        return ERR_OK;
    }

    void start() {
        static bool initialised = false; // lwIP's own state is global: initialise it once per process
        if (!initialised) lwip_init();
        initialised = true;
        ip4_addr_t addr{}, mask{}, gw{};
        ip4addr_aton(lwip_ip4, &addr);
        ip4addr_aton("255.255.255.0", &mask);
        ASSERT_NE(netif_add(&nif_, &addr, &mask, &gw, this, netif_init_fn, ethernet_input), nullptr);
        netif_set_default(&nif_);
        netif_set_up(&nif_);
        netif_set_link_up(&nif_);
        netif_create_ip6_linklocal_address(&nif_, 1);
        netif_ip6_addr_set_state(&nif_, 0, IP6_ADDR_PREFERRED);
        ip6_addr_t global{};
        ip6addr_aton(lwip_ip6, &global);
        s8_t index = -1;
        ASSERT_EQ(netif_add_ip6_address(&nif_, &global, &index), ERR_OK);
        netif_ip6_addr_set_state(&nif_, index, IP6_ADDR_PREFERRED);
    }
    void stop() { netif_remove(&nif_); }

    // Frames for lwIP, and its timers on virtual time.
    void poll(TimeMs now) {
        while (auto frame = end_.receive()) {
            // PBUF_RAM: one contiguous buffer. (PBUF_POOL chains overflow in this build of lwIP: with
            // MEMP_MEM_MALLOC its pool elements are smaller than the chain arithmetic assumes; seen under
            // ASan.)
            struct pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(frame->size()), PBUF_RAM);
            if (p == nullptr) continue;
            pbuf_take(p, frame->data(), static_cast<u16_t>(frame->size()));
            if (nif_.input(p, &nif_) != ERR_OK) pbuf_free(p);
        }
        while (now >= next_tcp_) {
            tcp_tmr();
            next_tcp_ += TCP_TMR_INTERVAL;
        }
        while (now >= next_fast_) {
            mld6_tmr();
            igmp_tmr();
            next_fast_ += 100;
        }
        while (now >= next_slow_) {
            etharp_tmr();
            nd6_tmr();
            ip_reass_tmr();
            ip6_reass_tmr();
            next_slow_ += 1000;
        }
    }

    LinkEnd& end_;
    struct netif nif_ {};
    std::unique_ptr<FramePool<16, config::frame_size>> tx_pool_ =
        std::make_unique<FramePool<16, config::frame_size>>();
    TimeMs next_tcp_ = 0, next_fast_ = 0, next_slow_ = 0;
};

// ---- lwIP's TCP applications: a receiving server and a sending client ----

struct LwipTcpApp {
    Sha256 sha;
    std::uint64_t bytes = 0;
    std::uint64_t to_send = 0; // client: bytes still to write
    bool fin = false;          // server: the peer's FIN arrived; client: our close was issued
    bool connected = false;
    err_t error = ERR_OK;
    bool failed = false;
    struct tcp_pcb* pcb = nullptr;
    struct tcp_pcb* listener = nullptr;

    static void on_error(void* arg, err_t err) {
        auto* app = static_cast<LwipTcpApp*>(arg);
        app->failed = true;
        app->error = err;
        app->pcb = nullptr; // lwIP has freed it
    }
    static err_t on_recv(void* arg, struct tcp_pcb* pcb, struct pbuf* p, err_t) {
        auto* app = static_cast<LwipTcpApp*>(arg);
        if (p == nullptr) {
            app->fin = true;
            tcp_close(pcb);
            app->pcb = nullptr;
            return ERR_OK;
        }
        for (struct pbuf* q = p; q != nullptr; q = q->next)
            app->sha.update(static_cast<const std::uint8_t*>(q->payload), q->len);
        app->bytes += p->tot_len;
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }
    static err_t on_accept(void* arg, struct tcp_pcb* pcb, err_t err) {
        auto* app = static_cast<LwipTcpApp*>(arg);
        if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
        app->pcb = pcb;
        app->connected = true;
        tcp_arg(pcb, app);
        tcp_recv(pcb, on_recv);
        tcp_err(pcb, on_error);
        return ERR_OK;
    }
    static err_t on_sent(void* arg, struct tcp_pcb*, u16_t) {
        static_cast<LwipTcpApp*>(arg)->pump();
        return ERR_OK;
    }
    static err_t on_connected(void* arg, struct tcp_pcb*, err_t) {
        auto* app = static_cast<LwipTcpApp*>(arg);
        app->connected = true;
        app->pump();
        return ERR_OK;
    }

    // Client: writes what the send buffer takes, then closes (FIN after the data).
    void pump() {
        if (pcb == nullptr || !connected || fin) return;
        std::uint8_t block[4096];
        while (to_send > 0 && tcp_sndbuf(pcb) > 0) {
            std::size_t n = std::min<std::uint64_t>({to_send, sizeof block, tcp_sndbuf(pcb)});
            pattern(bytes, block, n);
            if (tcp_write(pcb, block, static_cast<u16_t>(n), TCP_WRITE_FLAG_COPY) != ERR_OK) break;
            sha.update(block, n);
            bytes += n;
            to_send -= n;
        }
        if (to_send == 0) {
            fin = true;
            tcp_close(pcb);
            pcb = nullptr;
            return;
        }
        tcp_output(pcb);
    }

    void listen(u8_t type) {
        struct tcp_pcb* p = tcp_new_ip_type(type);
        ASSERT_NE(p, nullptr);
        ASSERT_EQ(tcp_bind(p, IP_ANY_TYPE, lwip_port), ERR_OK);
        listener = tcp_listen_with_backlog(p, 4);
        ASSERT_NE(listener, nullptr);
        tcp_arg(listener, this);
        tcp_accept(listener, on_accept);
    }
    void connect(u8_t type, const ip_addr_t& to) {
        pcb = tcp_new_ip_type(type);
        ASSERT_NE(pcb, nullptr);
        tcp_arg(pcb, this);
        tcp_err(pcb, on_error);
        tcp_recv(pcb, on_recv);
        tcp_sent(pcb, on_sent);
        ASSERT_EQ(tcp_connect(pcb, &to, our_port, on_connected), ERR_OK);
    }
    void shutdown() {
        if (pcb != nullptr) tcp_abort(pcb);
        pcb = nullptr;
        if (listener != nullptr) tcp_close(listener);
        listener = nullptr;
    }
};

// ---- the world: one virtual clock, our stack on end a, lwIP on end b ----

struct World {
    explicit World(double loss, std::uint64_t seed) {
        link = std::make_unique<Link>(platform, seed, Impairments{.loss = loss, .delay_ms = 1});
        ours = std::make_unique<Stack>(platform);
        ifindex = ours->attach(link->a());
        ipv4::add_address(*ours, ifindex, *parse_ipv4(our_ip4), 24);
        ipv6::add_address(*ours, ifindex, *parse_ipv6(our_ip6), 64);
        lwip = std::make_unique<LwipEnd>(link->b());
        lwip->start();
    }
    ~World() { lwip->stop(); }

    void step() {
        clock.advance(1);
        ours->poll();
        lwip->poll(clock.now());
    }
    // Steps until done() or `limit_ms` of virtual time; false on the limit.
    template <class Done> bool run(Done done, TimeMs limit_ms) {
        TimeMs end = clock.now() + limit_ms;
        while (!done()) {
            if (clock.now() >= end) return false;
            step();
        }
        return true;
    }

    VirtualClock clock;
    VirtualPlatform platform{clock, 11};
    std::unique_ptr<Link> link; // before the stack: frames the stack holds go back to the Link's pool
    std::unique_ptr<Stack> ours;
    IfIndex ifindex = no_interface;
    std::unique_ptr<LwipEnd> lwip;
};

ip_addr_t lwip_addr(const char* text) {
    ip_addr_t a{};
    ipaddr_aton(text, &a);
    return a;
}

struct TcpCase {
    bool our_client; // our stack connects to lwIP's server (else lwIP connects to ours)
    int family;
    double loss;
};

std::string case_name(const testing::TestParamInfo<TcpCase>& info) {
    return std::string(info.param.our_client ? "OursToLwip" : "LwipToOurs") + "_IPv" +
           std::to_string(info.param.family) + "_Loss" +
           std::to_string(static_cast<int>(info.param.loss * 100));
}

class LwipTcp : public testing::TestWithParam<TcpCase> {};

TEST_P(LwipTcp, SixteenMiBArriveIntact) {
    const TcpCase c = GetParam();
    World world(c.loss, 1000 + static_cast<std::uint64_t>(c.family) * 10 + (c.our_client ? 1 : 0));
    Stack& ours = *world.ours;
    LwipTcpApp app;
    const u8_t type = c.family == 4 ? IPADDR_TYPE_V4 : IPADDR_TYPE_V6;
    const IpAddr lwip_ip = c.family == 4 ? IpAddr{*parse_ipv4(lwip_ip4)} : IpAddr{*parse_ipv6(lwip_ip6)};
    Sha256 our_sha;
    std::uint64_t our_bytes = 0;
    const TimeMs limit = c.loss > 0 ? 3'600'000 : 600'000;
    auto started = std::chrono::steady_clock::now();
    const TimeMs virtual_start = world.clock.now();

    if (c.our_client) {
        app.listen(type);
        SocketHandle sock = socket::open_tcp(ours, nullptr, nullptr);
        ASSERT_GE(sock, 0);
        ASSERT_EQ(socket::tcp_connect(ours, sock, lwip_ip, lwip_port), SocketError::Ok);
        std::vector<std::uint8_t> block(16384);
        bool closed = false;
        bool ok = world.run(
            [&] {
                socket::TcpState state{};
                socket::connection_state(ours, sock, state);
                if (!closed && state == socket::TcpState::Established) {
                    for (;;) {
                        std::size_t n = static_cast<std::size_t>(
                            std::min<std::uint64_t>(block.size(), transfer_bytes - our_bytes));
                        if (n == 0) break;
                        pattern(our_bytes, block.data(), n);
                        std::size_t written = 0;
                        if (socket::write(ours, sock, Bytes{block.data(), n}, written) != SocketError::Ok ||
                            written == 0)
                            break;
                        our_sha.update(block.data(), written);
                        our_bytes += written;
                    }
                    if (our_bytes == transfer_bytes) {
                        socket::tcp_close(ours, sock);
                        closed = true;
                    }
                }
                return app.fin || app.failed;
            },
            limit);
        ASSERT_TRUE(ok) << "lwIP received " << app.bytes << " of " << transfer_bytes << " bytes by the limit";
        ASSERT_FALSE(app.failed) << "lwIP error " << static_cast<int>(app.error);
        EXPECT_EQ(app.bytes, transfer_bytes);
        EXPECT_EQ(hex(app.sha.finish()), hex(our_sha.finish()));
    } else {
        SocketHandle listener = socket::open_tcp(ours, nullptr, nullptr);
        ASSERT_EQ(socket::tcp_bind(ours, listener, IpAddr{Ipv6Addr{}}, our_port), SocketError::Ok);
        ASSERT_EQ(socket::listen(ours, listener, 4), SocketError::Ok);
        app.to_send = transfer_bytes;
        ip_addr_t to = lwip_addr(c.family == 4 ? our_ip4 : our_ip6);
        app.connect(type, to);
        SocketHandle conn = -1;
        bool eof = false;
        std::vector<std::uint8_t> buf(16384);
        bool ok = world.run(
            [&] {
                if (conn < 0) conn = socket::accept(ours, listener, nullptr, nullptr);
                while (conn >= 0 && !eof) {
                    std::size_t n = 0;
                    bool end = false;
                    auto err = socket::read(ours, conn, MutBytes{buf.data(), buf.size()}, n, end);
                    if (err != SocketError::Ok) break;
                    our_sha.update(buf.data(), n);
                    our_bytes += n;
                    if (end) eof = true;
                    if (n == 0) break;
                }
                return eof || app.failed;
            },
            limit);
        ASSERT_TRUE(ok) << "we received " << our_bytes << " of " << transfer_bytes << " bytes by the limit";
        ASSERT_FALSE(app.failed) << "lwIP error " << static_cast<int>(app.error);
        socket::tcp_close(ours, conn);
        socket::tcp_close(ours, listener);
        EXPECT_EQ(our_bytes, transfer_bytes);
        EXPECT_EQ(hex(our_sha.finish()), hex(app.sha.finish()));
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto stats = world.link->stats();
    std::printf("[ lwip ] %s: 16 MiB in %.2f s wall, %.1f s virtual; link lost %u of %u frames\n",
                case_name({c, 0}).c_str(), wall,
                static_cast<double>(world.clock.now() - virtual_start) / 1000.0, stats.lost,
                stats.transmitted);
    // Let both sides finish their closes (FIN exchange, TIME-WAIT on whichever closed first).
    world.run([] { return false; }, 5000);
    app.shutdown();
}

INSTANTIATE_TEST_SUITE_P(BothWays, LwipTcp,
                         testing::Values(TcpCase{true, 4, 0.0}, TcpCase{false, 4, 0.0}, TcpCase{true, 6, 0.0},
                                         TcpCase{false, 6, 0.0}, TcpCase{true, 4, 0.05},
                                         TcpCase{false, 4, 0.05}, TcpCase{true, 6, 0.05},
                                         TcpCase{false, 6, 0.05}),
                         case_name);

// ---- UDP and ICMP ----

struct UdpEcho {
    struct udp_pcb* pcb = nullptr;
    int echoed = 0;
    static void on_recv(void* arg, struct udp_pcb* pcb, struct pbuf* p, const ip_addr_t* addr, u16_t port) {
        static_cast<UdpEcho*>(arg)->echoed++;
        udp_sendto(pcb, p, addr, port);
        pbuf_free(p);
    }
};

class LwipFamily : public testing::TestWithParam<int> {};

TEST_P(LwipFamily, UdpDatagramsEchoedByLwip) {
    World world(0.0, 77);
    Stack& ours = *world.ours;
    UdpEcho echo;
    echo.pcb = udp_new_ip_type(IPADDR_TYPE_ANY);
    ASSERT_NE(echo.pcb, nullptr);
    ASSERT_EQ(udp_bind(echo.pcb, IP_ANY_TYPE, 7), ERR_OK);
    udp_recv(echo.pcb, UdpEcho::on_recv, &echo);
    const IpAddr to = GetParam() == 4 ? IpAddr{*parse_ipv4(lwip_ip4)} : IpAddr{*parse_ipv6(lwip_ip6)};
    SocketHandle sock = socket::open_udp(ours, nullptr, nullptr);
    ASSERT_GE(sock, 0);
    std::vector<std::vector<std::uint8_t>> sent, got;
    std::uint8_t buf[2048];
    auto receive = [&] {
        for (;;) {
            udp::RecvInfo info;
            if (socket::recv_from(ours, sock, MutBytes{buf, sizeof buf}, info) != SocketError::Ok) break;
            EXPECT_TRUE(info.source == to);
            EXPECT_EQ(info.source_port, 7);
            got.emplace_back(buf, buf + info.copied);
        }
        return got.size() == 10;
    };
    for (std::size_t i = 0; i < 10; ++i) {
        std::vector<std::uint8_t> d(1 + i * 137);
        pattern(i * 1000, d.data(), d.size());
        ASSERT_EQ(socket::send_to(ours, sock, Bytes{d.data(), d.size()}, to, 7), SocketError::Ok);
        sent.push_back(d);
        world.run(receive, 5);
    }
    world.run(receive, 2000);
    EXPECT_EQ(echo.echoed, 10);
    ASSERT_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i)
        EXPECT_TRUE(got[i] == sent[i])
            << "datagram " << i << ": " << got[i].size() << " bytes back, " << sent[i].size() << " sent";
    socket::close(ours, sock);
    udp_remove(echo.pcb);
}

struct EchoLog {
    std::vector<std::uint16_t> sequences;
    static void on4(void* ctx, const icmp4::EchoReply& r) {
        if (r.id == 0x4242) static_cast<EchoLog*>(ctx)->sequences.push_back(r.sequence);
    }
    static void on6(void* ctx, const icmp6::EchoReply& r) {
        if (r.id == 0x4242) static_cast<EchoLog*>(ctx)->sequences.push_back(r.sequence);
    }
};

TEST_P(LwipFamily, EchoRequestsAnsweredByLwip) {
    World world(0.0, 78);
    Stack& ours = *world.ours;
    EchoLog log;
    std::uint8_t payload[56];
    pattern(0, payload, sizeof payload);
    if (GetParam() == 4)
        icmp4::set_echo_reply_handler(ours, EchoLog::on4, &log);
    else
        icmp6::set_echo_reply_handler(ours, EchoLog::on6, &log);
    for (std::uint16_t seq = 1; seq <= 5; ++seq) {
        bool queued =
            GetParam() == 4
                ? icmp4::send_echo_request(ours, *parse_ipv4(lwip_ip4), 0x4242, seq, Bytes{payload})
                : icmp6::send_echo_request(ours, *parse_ipv6(lwip_ip6), 0x4242, seq, Bytes{payload});
        EXPECT_TRUE(queued);
        world.run([&] { return log.sequences.size() == seq; }, 1000);
    }
    EXPECT_EQ(log.sequences, (std::vector<std::uint16_t>{1, 2, 3, 4, 5}));
}

INSTANTIATE_TEST_SUITE_P(BothFamilies, LwipFamily, testing::Values(4, 6),
                         [](const testing::TestParamInfo<int>& info) {
                             return "IPv" + std::to_string(info.param);
                         });

} // namespace
