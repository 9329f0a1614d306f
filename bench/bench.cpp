// picotcp_bench: the workloads of bench/run (issue 8), two peers joined by the in-memory Link
// (stack/link/link_sim.hpp, MTU 1500, no impairment, no delay) on virtual time, in one process.
//
//   picotcp_bench <workload> --a ours|lwip --b ours|lwip [--mib N] [--count N] [--size N]
//
//   tcp_bulk   A sends N MiB to B over TCP (A connects, writes, closes; B reads and discards). Timed from the
//              first write to the last byte read.
//   udp_echo   A sends a datagram of --size bytes to B's echo port and waits for it to come back; --count
//   times. icmp_echo  A pings B (ICMP echo, 64 bytes: 56 of payload); --count times. A must be ours.
//   conn_rate  A connects to B, writes one byte; B reads it and writes one byte back; A reads it and closes
//              (so TIME-WAIT stays with the client, which picks the ports); B reads the end of stream and
//              closes; --count connections one after the other (a connection counts when A has closed).
//   sizes      (no peers) sizeof the control blocks of bench/ram_sizes.hpp and the configuration they follow.
//   ram_idle   (both ours) A opens --count connections to B one after the other, B accepts and keeps each;
//              then 2 s of virtual time pass with every connection established and idle. Prints each side's
//              pool high-water marks (frames, timers, TCBs in use, send/receive ring fill) and what is in use
//              once idle.
//   ram_stream (both ours) tcp_bulk of --mib MiB (B reads at once, so the window stays fully open), with the
//              same high-water marks.
//
// Each side is our Stack or lwIP 2.1.3 (Debian's liblwip-dev, a shared object; one lwIP per process, so at
// most one side is lwIP). All the work of a side (its stack's input, timers and output, and its application:
// copies in and out) runs inside bench_side_a or bench_side_b, so callgrind's inclusive counts of those two
// functions attribute instructions per side (bench/run reads them with callgrind_annotate --inclusive=yes).
// The virtual clock advances 1 ms only when a step moved no frame (so timers run, but a busy transfer is not
// slowed by virtual time).
//
// Prints one JSON line: {"workload", "a", "b", "units", "elapsed_ns", "virtual_ms", "frames"}; exit status 1
// when the workload did not complete within its virtual time limit.
extern "C" {
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_frag.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h" // tcp_tmr, driven from the virtual clock
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
}

#include "assembly/stack.hpp"
#include "link/link_sim.hpp"
#include "net/icmp4.hpp"
#include "net/ipv4.hpp"
#include "port/virtual_platform.hpp"
#include "ram_sizes.hpp"
#include "socket/socket.hpp"
#include "transport/tcp/tcp.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#include <x86intrin.h>

using namespace pico;

namespace {

constexpr std::uint16_t tcp_port = 5001;
constexpr std::uint16_t echo_port = 7;
constexpr std::uint16_t echo_id = 0x4242;
constexpr std::size_t icmp_payload = 56; // 64 bytes of ICMP message

const char* const ip_a = "198.18.0.1";
const char* const ip_b = "198.18.0.2";

enum class Workload { TcpBulk, UdpEcho, IcmpEcho, ConnRate, Sizes, RamIdle, RamStream };

struct Options {
    Workload workload = Workload::TcpBulk;
    std::string name;
    bool a_lwip = false;
    bool b_lwip = false;
    std::uint64_t mib = 256;
    std::uint64_t count = 10000;
    std::size_t size = 64;
};

// One side of the Link and its application. The driver only sets requests (cheap); the side's step() does
// every piece of work, so it is counted for that side.
class Peer {
  public:
    virtual ~Peer() = default;
    virtual void step() = 0;

    // Roles; the fields below are the driver's view.
    virtual void tcp_send(const char* to, std::uint64_t bytes) = 0; // connect, write `bytes`, close
    virtual void tcp_receive() = 0;                                 // listen, read and discard
    virtual void udp_echo_server() = 0;
    virtual void udp_client(const char* to, std::size_t size) = 0; // then `requests` asks for datagrams
    virtual void conn_server() = 0;
    virtual void conn_client(const char* to) = 0; // then `requests` asks for connections
    virtual void icmp_client(const char* to) = 0; // then `requests` asks for pings

    std::uint64_t requests = 0;  // udp/icmp/conn clients: operations asked for so far
    std::uint64_t completed = 0; // round trips / connections completed (clients); bytes read (receiver)
    bool started = false;        // tcp sender: connected and writing
    bool finished = false;       // tcp receiver: end of stream read
    std::chrono::steady_clock::time_point first_write{};
};

// All the work of side A / side B: separate, never inlined, with C names, for callgrind.
extern "C" __attribute__((noinline)) void bench_side_a(Peer* peer) {
    peer->step();
}
extern "C" __attribute__((noinline)) void bench_side_b(Peer* peer) {
    peer->step();
}

std::vector<std::uint8_t> payload_block(std::size_t n) {
    std::vector<std::uint8_t> block(n);
    for (std::size_t i = 0; i < n; ++i)
        block[i] = static_cast<std::uint8_t>(i * 7 + 1);
    return block;
}

// ram_idle / ram_stream: high-water marks of what has no PoolStats of its own (the frame pools keep theirs):
// timers armed, TCBs in use (listeners included), bytes in the send rings (queued or in flight) and in the
// receive rings (received, not yet read), per side. Sampled after every step of the World and after each of
// our stacks' poll, before its application reads (else the receive rings would always look empty). Only the
// ram_* workloads set a probe: the timed ones pay one null test per step.
struct RamProbe {
    struct Marks {
        std::size_t timers = 0;
        std::size_t tcbs = 0;
        std::size_t send_ring = 0;
        std::size_t recv_ring = 0;
    };
    std::array<Stack*, 2> stacks{};
    std::array<Marks, 2> marks{};

    static Marks now(Stack& stack) {
        Marks m;
        m.timers = stack.timer_queue().active_count();
        for (const tcp::Tcb& t : tcp::state(stack).tcbs) {
            if (!t.in_use) continue;
            ++m.tcbs;
            m.send_ring = std::max<std::size_t>(m.send_ring, t.send.len);
            m.recv_ring = std::max<std::size_t>(m.recv_ring, t.recv.readable);
        }
        return m;
    }
    void sample() {
        for (std::size_t i = 0; i < 2; ++i) {
            Marks m = now(*stacks[i]);
            marks[i].timers = std::max(marks[i].timers, m.timers);
            marks[i].tcbs = std::max(marks[i].tcbs, m.tcbs);
            marks[i].send_ring = std::max(marks[i].send_ring, m.send_ring);
            marks[i].recv_ring = std::max(marks[i].recv_ring, m.recv_ring);
        }
    }
    // One side as JSON: high-water marks and what is in use now.
    std::string side(std::size_t i) const {
        Stack& stack = *stacks[i];
        const PoolStats& f = stack.frame_stats();
        Marks cur = now(stack);
        char text[768];
        std::snprintf(
            text, sizeof text,
            "{\"frames\": {\"capacity\": %u, \"high_water\": %u, \"in_use\": %u, \"exhausted\": %u}, "
            "\"timers\": {\"capacity\": %zu, \"high_water\": %zu, \"in_use\": %zu, \"exhausted\": %u}, "
            "\"tcbs\": {\"capacity\": %zu, \"high_water\": %zu, \"in_use\": %zu}, "
            "\"send_ring\": {\"capacity\": %zu, \"high_water\": %zu}, "
            "\"recv_ring\": {\"capacity\": %zu, \"high_water\": %zu}}",
            f.capacity, f.high_water, f.in_use, f.exhausted, config::timer_count, marks[i].timers, cur.timers,
            stack.timer_queue().exhausted(), config::tcp_sockets, marks[i].tcbs, cur.tcbs,
            config::tcp_send_buffer, marks[i].send_ring, config::tcp_recv_buffer, marks[i].recv_ring);
        return text;
    }
};

// ------------------------------------------------------------------------------------------------- ours

class OursPeer final : public Peer {
  public:
    OursPeer(VirtualClock& clock, LinkEnd& end, const char* address, std::uint64_t seed)
        : platform_(clock, seed), stack_(std::make_unique<Stack>(platform_)) {
        ifindex_ = stack_->attach(end);
        if (!ipv4::add_address(*stack_, ifindex_, *parse_ipv4(address), 24)) std::abort();
    }

    void tcp_send(const char* to, std::uint64_t bytes) override {
        role_ = Role::TcpSender;
        to_send_ = bytes;
        sock_ = socket::open_tcp(*stack_, nullptr, nullptr);
        if (sock_ < 0 || socket::tcp_connect(*stack_, sock_, *parse_ipv4(to), tcp_port) != SocketError::Ok)
            std::abort();
    }
    void tcp_receive() override {
        role_ = Role::TcpReceiver;
        listen();
    }
    void udp_echo_server() override {
        role_ = Role::UdpServer;
        sock_ = socket::open_udp(*stack_, nullptr, nullptr);
        if (sock_ < 0 || socket::bind(*stack_, sock_, IpAddr{Ipv4Addr{}}, echo_port) != SocketError::Ok)
            std::abort();
    }
    void udp_client(const char* to, std::size_t size) override {
        role_ = Role::UdpClient;
        peer_ = *parse_ipv4(to);
        size_ = size;
        sock_ = socket::open_udp(*stack_, nullptr, nullptr);
        if (sock_ < 0) std::abort();
    }
    void conn_server() override {
        role_ = Role::ConnServer;
        listen();
    }
    void conn_client(const char* to) override {
        role_ = Role::ConnClient;
        peer_ = *parse_ipv4(to);
    }
    void icmp_client(const char* to) override {
        role_ = Role::IcmpClient;
        peer_ = *parse_ipv4(to);
        icmp4::set_echo_reply_handler(*stack_, on_echo_reply, this);
    }
    // ram_idle: B accepts and keeps every connection; A opens `requests` connections one after the other
    // (the next once the last is established). completed: connections accepted (B) / established (A).
    void idle_server() {
        role_ = Role::IdleServer;
        listen();
    }
    void idle_client(const char* to) {
        role_ = Role::IdleClient;
        peer_ = *parse_ipv4(to);
    }
    Stack& stack() { return *stack_; }
    void set_probe(RamProbe* probe) { probe_ = probe; }

    void step() override {
        stack_->poll();
        if (probe_ != nullptr)
            probe_->sample(); // ram_* only: what the poll left before the application reads
        switch (role_) {
        case Role::TcpSender:
            pump_sender();
            break;
        case Role::TcpReceiver:
            pump_receiver();
            break;
        case Role::UdpServer:
            pump_udp_server();
            break;
        case Role::UdpClient:
            pump_udp_client();
            break;
        case Role::ConnServer:
            pump_conn_server();
            break;
        case Role::ConnClient:
            pump_conn_client();
            break;
        case Role::IcmpClient:
            pump_icmp_client();
            break;
        case Role::IdleServer:
            while (socket::accept(*stack_, listener_, nullptr, nullptr) >= 0)
                ++completed;
            break;
        case Role::IdleClient:
            pump_idle_client();
            break;
        case Role::None:
            break;
        }
    }

  private:
    enum class Role {
        None,
        TcpSender,
        TcpReceiver,
        UdpServer,
        UdpClient,
        ConnServer,
        ConnClient,
        IcmpClient,
        IdleServer,
        IdleClient
    };

    void listen() {
        listener_ = socket::open_tcp(*stack_, nullptr, nullptr);
        if (listener_ < 0 ||
            socket::tcp_bind(*stack_, listener_, IpAddr{Ipv4Addr{}}, tcp_port) != SocketError::Ok ||
            socket::listen(*stack_, listener_, 8) != SocketError::Ok)
            std::abort();
    }

    void pump_sender() {
        if (to_send_ == 0) return;
        socket::TcpState state{};
        socket::connection_state(*stack_, sock_, state);
        if (state != socket::TcpState::Established) return;
        if (!started) {
            started = true;
            first_write = std::chrono::steady_clock::now();
        }
        while (to_send_ > 0) {
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(block_.size(), to_send_));
            std::size_t written = 0;
            if (socket::write(*stack_, sock_, Bytes{block_.data(), n}, written) != SocketError::Ok ||
                written == 0)
                break;
            to_send_ -= written;
        }
        if (to_send_ == 0) socket::tcp_close(*stack_, sock_);
    }

    void pump_receiver() {
        if (sock_ < 0) sock_ = socket::accept(*stack_, listener_, nullptr, nullptr);
        while (sock_ >= 0 && !finished) {
            std::size_t n = 0;
            bool eof = false;
            if (socket::read(*stack_, sock_, MutBytes{buffer_.data(), buffer_.size()}, n, eof) !=
                SocketError::Ok)
                break;
            completed += n;
            if (eof) {
                finished = true;
                socket::tcp_close(*stack_, sock_);
            }
        }
    }

    void pump_udp_server() {
        for (;;) {
            udp::RecvInfo info;
            if (socket::recv_from(*stack_, sock_, MutBytes{buffer_.data(), buffer_.size()}, info) !=
                SocketError::Ok)
                break;
            socket::send_to(*stack_, sock_, Bytes{buffer_.data(), info.copied}, info.source,
                            info.source_port);
        }
    }

    void pump_udp_client() {
        for (;;) {
            udp::RecvInfo info;
            if (socket::recv_from(*stack_, sock_, MutBytes{buffer_.data(), buffer_.size()}, info) !=
                SocketError::Ok)
                break;
            if (info.copied == size_) ++completed;
        }
        if (requests > sent_ && completed == sent_) {
            if (socket::send_to(*stack_, sock_, Bytes{block_.data(), size_}, IpAddr{peer_}, echo_port) ==
                SocketError::Ok)
                ++sent_;
        }
    }

    static void on_echo_reply(void* context, const icmp4::EchoReply& reply) {
        auto* self = static_cast<OursPeer*>(context);
        if (reply.id == echo_id && reply.sequence == static_cast<std::uint16_t>(self->sent_))
            ++self->completed;
    }
    void pump_icmp_client() {
        if (requests > sent_ && completed == sent_) {
            if (icmp4::send_echo_request(*stack_, peer_, echo_id, static_cast<std::uint16_t>(sent_ + 1),
                                         Bytes{block_.data(), icmp_payload}))
                ++sent_;
        }
    }

    // Server: accept, read the byte, write one back; close at the end of stream.
    void pump_conn_server() {
        if (sock_ < 0) sock_ = socket::accept(*stack_, listener_, nullptr, nullptr);
        if (sock_ < 0) return;
        for (;;) {
            std::size_t n = 0;
            bool eof = false;
            if (socket::read(*stack_, sock_, MutBytes{buffer_.data(), buffer_.size()}, n, eof) !=
                SocketError::Ok)
                return;
            if (n > 0) {
                std::size_t written = 0;
                socket::write(*stack_, sock_, Bytes{block_.data(), 1}, written);
            }
            if (eof) break;
            if (n == 0) return;
        }
        socket::tcp_close(*stack_, sock_);
        sock_ = -1;
    }

    // Client: connect, write one byte, read one byte, close.
    void pump_conn_client() {
        if (sock_ < 0) {
            if (requests <= sent_) return;
            sock_ = socket::open_tcp(*stack_, nullptr, nullptr);
            if (sock_ < 0) return; // every TCB busy: try again on the next step
            if (socket::tcp_connect(*stack_, sock_, IpAddr{peer_}, tcp_port) != SocketError::Ok) std::abort();
            ++sent_;
            wrote_ = false;
            got_ = 0;
            return;
        }
        if (!wrote_) {
            socket::TcpState state{};
            socket::connection_state(*stack_, sock_, state);
            if (state != socket::TcpState::Established) return;
            std::size_t written = 0;
            socket::write(*stack_, sock_, Bytes{block_.data(), 1}, written);
            wrote_ = written == 1;
        }
        std::size_t n = 0;
        bool eof = false;
        if (socket::read(*stack_, sock_, MutBytes{buffer_.data(), buffer_.size()}, n, eof) != SocketError::Ok)
            return;
        got_ += n;
        if (got_ == 0 && !eof) return;
        socket::tcp_close(*stack_, sock_);
        sock_ = -1;
        if (got_ == 1) ++completed;
    }

    void pump_idle_client() {
        if (sock_ >= 0) {
            socket::TcpState state{};
            socket::connection_state(*stack_, sock_, state);
            if (state != socket::TcpState::Established) return;
            ++completed;
            sock_ = -1; // kept open: the handle is simply not needed any more
        }
        if (requests <= sent_) return;
        sock_ = socket::open_tcp(*stack_, nullptr, nullptr);
        if (sock_ < 0 || socket::tcp_connect(*stack_, sock_, IpAddr{peer_}, tcp_port) != SocketError::Ok)
            std::abort();
        ++sent_;
    }

    VirtualPlatform platform_;
    std::unique_ptr<Stack> stack_;
    RamProbe* probe_ = nullptr;
    IfIndex ifindex_ = no_interface;
    Role role_ = Role::None;
    SocketHandle sock_ = -1;
    SocketHandle listener_ = -1;
    Ipv4Addr peer_{};
    std::size_t size_ = 0;
    std::uint64_t to_send_ = 0;
    std::uint64_t sent_ = 0;
    bool wrote_ = false;
    std::size_t got_ = 0;
    std::vector<std::uint8_t> block_ = payload_block(16384);
    std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(16384);
};

// ------------------------------------------------------------------------------------------------- lwIP

// lwIP's raw API from this thread, without tcpip_init (as conformance/lwip does); its timers on virtual time.
class LwipPeer final : public Peer {
  public:
    LwipPeer(VirtualClock& clock, LinkEnd& end, const char* address) : clock_(clock), end_(end) {
        lwip_init();
        ip4_addr_t addr{}, mask{}, gw{};
        ip4addr_aton(address, &addr);
        ip4addr_aton("255.255.255.0", &mask);
        if (netif_add(&nif_, &addr, &mask, &gw, this, netif_init_fn, ethernet_input) == nullptr) std::abort();
        netif_set_default(&nif_);
        netif_set_up(&nif_);
        netif_set_link_up(&nif_);
    }

    void tcp_send(const char* to, std::uint64_t bytes) override {
        to_send_ = bytes;
        pcb_ = tcp_new_ip_type(IPADDR_TYPE_V4);
        if (pcb_ == nullptr) std::abort();
        ip_addr_t dst = addr(to);
        tcp_arg(pcb_, this);
        tcp_sent(pcb_, on_sent);
        if (tcp_connect(pcb_, &dst, tcp_port, on_connected) != ERR_OK) std::abort();
    }
    void tcp_receive() override { listen(on_accept_bulk); }
    void udp_echo_server() override {
        udp_ = udp_new_ip_type(IPADDR_TYPE_V4);
        if (udp_ == nullptr || udp_bind(udp_, IP_ANY_TYPE, echo_port) != ERR_OK) std::abort();
        udp_recv(udp_, on_udp_echo, this);
    }
    void udp_client(const char* to, std::size_t size) override {
        udp_client_ = true;
        peer_ = addr(to);
        size_ = size;
        udp_ = udp_new_ip_type(IPADDR_TYPE_V4);
        if (udp_ == nullptr) std::abort();
        udp_recv(udp_, on_udp_reply, this);
    }
    void conn_server() override { listen(on_accept_conn); }
    void conn_client(const char* to) override {
        conn_client_ = true;
        peer_ = addr(to);
    }
    void icmp_client(const char*) override { std::abort(); } // lwIP's raw API has no ping: A must be ours

    void step() override {
        while (auto frame = end_.receive()) {
            struct pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(frame->size()), PBUF_RAM);
            if (p == nullptr) continue;
            pbuf_take(p, frame->data(), static_cast<u16_t>(frame->size()));
            if (nif_.input(p, &nif_) != ERR_OK) pbuf_free(p);
        }
        TimeMs now = clock_.now();
        while (now >= next_tcp_) {
            tcp_tmr();
            next_tcp_ += TCP_TMR_INTERVAL;
        }
        while (now >= next_slow_) {
            etharp_tmr();
            ip_reass_tmr();
            next_slow_ += 1000;
        }
        if (pcb_ != nullptr && to_send_ > 0 && connected_) pump();
        if (udp_client_ && requests > sent_ && completed == sent_) {
            struct pbuf* p = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(size_), PBUF_RAM);
            if (p != nullptr) {
                pbuf_take(p, block_.data(), static_cast<u16_t>(size_));
                if (udp_sendto(udp_, p, &peer_, echo_port) == ERR_OK) ++sent_;
                pbuf_free(p);
            }
        }
        if (conn_client_ && client_pcb_ == nullptr && requests > sent_) {
            client_pcb_ = tcp_new_ip_type(IPADDR_TYPE_V4);
            if (client_pcb_ == nullptr) std::abort();
            got_ = 0;
            tcp_arg(client_pcb_, this);
            tcp_recv(client_pcb_, on_recv_conn_client);
            tcp_err(client_pcb_, on_error_client);
            if (tcp_connect(client_pcb_, &peer_, tcp_port, on_connected_conn) != ERR_OK) std::abort();
            ++sent_;
        }
    }

  private:
    static ip_addr_t addr(const char* text) {
        ip_addr_t a{};
        ipaddr_aton(text, &a);
        return a;
    }

    static err_t netif_init_fn(struct netif* nif) {
        auto* self = static_cast<LwipPeer*>(nif->state);
        nif->hwaddr_len = 6;
        for (int i = 0; i < 6; ++i)
            nif->hwaddr[i] = self->end_.mac().octets[static_cast<std::size_t>(i)];
        nif->mtu = 1500;
        nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
        nif->name[0] = 'b';
        nif->name[1] = 'n';
        nif->output = etharp_output;
        nif->linkoutput = linkoutput;
        return ERR_OK;
    }

    // A frame lwIP sends: copied into a frame of a pool of ours and handed to the Link (which copies it).
    static err_t linkoutput(struct netif* nif, struct pbuf* p) {
        auto* self = static_cast<LwipPeer*>(nif->state);
        auto frame = self->tx_pool_->allocate(0);
        if (!frame || p->tot_len > frame->tailroom()) return ERR_MEM;
        std::uint8_t* at = frame->append(p->tot_len);
        pbuf_copy_partial(p, at, p->tot_len, 0);
        self->end_.transmit(std::move(*frame));
        return ERR_OK;
    }

    void listen(tcp_accept_fn fn) {
        struct tcp_pcb* p = tcp_new_ip_type(IPADDR_TYPE_V4);
        if (p == nullptr || tcp_bind(p, IP_ANY_TYPE, tcp_port) != ERR_OK) std::abort();
        listener_ = tcp_listen_with_backlog(p, 8);
        if (listener_ == nullptr) std::abort();
        tcp_arg(listener_, this);
        tcp_accept(listener_, fn);
    }

    // ---- bulk sender ----
    static err_t on_connected(void* arg, struct tcp_pcb*, err_t) {
        auto* self = static_cast<LwipPeer*>(arg);
        self->connected_ = true;
        self->started = true;
        self->first_write = std::chrono::steady_clock::now();
        self->pump();
        return ERR_OK;
    }
    static err_t on_sent(void* arg, struct tcp_pcb*, u16_t) {
        static_cast<LwipPeer*>(arg)->pump();
        return ERR_OK;
    }
    void pump() {
        if (pcb_ == nullptr || to_send_ == 0) return;
        while (to_send_ > 0 && tcp_sndbuf(pcb_) > 0) {
            std::size_t n = std::min<std::uint64_t>({to_send_, block_.size(), tcp_sndbuf(pcb_)});
            if (tcp_write(pcb_, block_.data(), static_cast<u16_t>(n), TCP_WRITE_FLAG_COPY) != ERR_OK) break;
            to_send_ -= n;
        }
        if (to_send_ == 0) {
            tcp_close(pcb_);
            pcb_ = nullptr;
            return;
        }
        tcp_output(pcb_);
    }

    // ---- bulk receiver: copies out what arrives (as our receiver's read does) ----
    static err_t on_accept_bulk(void* arg, struct tcp_pcb* pcb, err_t err) {
        if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
        tcp_arg(pcb, arg);
        tcp_recv(pcb, on_recv_bulk);
        return ERR_OK;
    }
    static err_t on_recv_bulk(void* arg, struct tcp_pcb* pcb, struct pbuf* p, err_t) {
        auto* self = static_cast<LwipPeer*>(arg);
        if (p == nullptr) {
            self->finished = true;
            tcp_close(pcb);
            return ERR_OK;
        }
        for (u16_t offset = 0; offset < p->tot_len;) {
            u16_t n = pbuf_copy_partial(
                p, self->buffer_.data(),
                static_cast<u16_t>(std::min<std::size_t>(self->buffer_.size(), p->tot_len - offset)), offset);
            if (n == 0) break;
            offset = static_cast<u16_t>(offset + n);
        }
        self->completed += p->tot_len;
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }

    // ---- UDP ----
    static void on_udp_echo(void* arg, struct udp_pcb* pcb, struct pbuf* p, const ip_addr_t* from,
                            u16_t port) {
        auto* self = static_cast<LwipPeer*>(arg);
        // As our server: copy the datagram out, then send the copy back.
        u16_t n = pbuf_copy_partial(p, self->buffer_.data(), p->tot_len, 0);
        pbuf_free(p);
        struct pbuf* out = pbuf_alloc(PBUF_TRANSPORT, n, PBUF_RAM);
        if (out == nullptr) return;
        pbuf_take(out, self->buffer_.data(), n);
        udp_sendto(pcb, out, from, port);
        pbuf_free(out);
    }
    static void on_udp_reply(void* arg, struct udp_pcb*, struct pbuf* p, const ip_addr_t*, u16_t) {
        auto* self = static_cast<LwipPeer*>(arg);
        u16_t n = pbuf_copy_partial(p, self->buffer_.data(), p->tot_len, 0);
        if (n == self->size_) ++self->completed;
        pbuf_free(p);
    }

    // ---- connections ----
    static err_t on_accept_conn(void* arg, struct tcp_pcb* pcb, err_t err) {
        if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
        tcp_arg(pcb, arg);
        tcp_recv(pcb, on_recv_conn_server);
        return ERR_OK;
    }
    static err_t on_recv_conn_server(void* arg, struct tcp_pcb* pcb, struct pbuf* p, err_t) {
        auto* self = static_cast<LwipPeer*>(arg);
        if (p == nullptr) {
            tcp_close(pcb);
            return ERR_OK;
        }
        pbuf_copy_partial(p, self->buffer_.data(), p->tot_len, 0);
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        tcp_write(pcb, self->block_.data(), 1, TCP_WRITE_FLAG_COPY);
        return ERR_OK;
    }
    static err_t on_connected_conn(void* arg, struct tcp_pcb* pcb, err_t) {
        auto* self = static_cast<LwipPeer*>(arg);
        tcp_write(pcb, self->block_.data(), 1, TCP_WRITE_FLAG_COPY);
        tcp_output(pcb);
        return ERR_OK;
    }
    static err_t on_recv_conn_client(void* arg, struct tcp_pcb* pcb, struct pbuf* p, err_t) {
        auto* self = static_cast<LwipPeer*>(arg);
        if (p != nullptr) {
            self->got_ += pbuf_copy_partial(p, self->buffer_.data(), p->tot_len, 0);
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        tcp_recv(pcb, nullptr); // lwIP's default: later data and the FIN are taken and freed
        tcp_err(pcb, nullptr);
        tcp_close(pcb);
        self->client_pcb_ = nullptr;
        if (self->got_ == 1) ++self->completed;
        return ERR_OK;
    }
    static void on_error_client(void* arg, err_t) {
        static_cast<LwipPeer*>(arg)->client_pcb_ = nullptr; // freed by lwIP; the driver sees no progress
    }

    VirtualClock& clock_;
    LinkEnd& end_;
    struct netif nif_ {};
    std::unique_ptr<FramePool<16, config::frame_size>> tx_pool_ =
        std::make_unique<FramePool<16, config::frame_size>>();
    TimeMs next_tcp_ = 0, next_slow_ = 0;
    struct tcp_pcb* pcb_ = nullptr;
    struct tcp_pcb* listener_ = nullptr;
    struct tcp_pcb* client_pcb_ = nullptr;
    struct udp_pcb* udp_ = nullptr;
    bool connected_ = false;
    bool udp_client_ = false;
    bool conn_client_ = false;
    ip_addr_t peer_{};
    std::size_t size_ = 0;
    std::uint64_t to_send_ = 0;
    std::uint64_t sent_ = 0;
    std::size_t got_ = 0;
    std::vector<std::uint8_t> block_ = payload_block(16384);
    std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(16384);
};

// ------------------------------------------------------------------------------------------------ driver

// PICO_BENCH_TRACE=1: one line per TCP frame side A sends or receives (diagnosing waits on timers).
class TcpTrace final : public FrameTap {
  public:
    void on_frame(TimeMs now, Bytes frame, bool outgoing) override {
        if (frame.size() < 14 + 20 + 20 || frame[12] != 0x08 || frame[13] != 0x00 || frame[14 + 9] != 6)
            return;
        std::size_t ihl = static_cast<std::size_t>(frame[14] & 0x0f) * 4;
        std::size_t tcp = 14 + ihl;
        if (frame.size() < tcp + 20) return;
        std::size_t total = (static_cast<std::size_t>(frame[16]) << 8) | frame[17];
        std::size_t doff = static_cast<std::size_t>(frame[tcp + 12] >> 4) * 4;
        std::uint8_t flags = frame[tcp + 13];
        std::fprintf(stderr, "%8llu %s %5u>%5u %c%c%c%c%c len %zu\n", static_cast<unsigned long long>(now),
                     outgoing ? "A->" : "<-A", (frame[tcp] << 8) | frame[tcp + 1],
                     (frame[tcp + 2] << 8) | frame[tcp + 3], flags & 0x02 ? 'S' : '.',
                     flags & 0x10 ? 'A' : '.', flags & 0x08 ? 'P' : '.', flags & 0x01 ? 'F' : '.',
                     flags & 0x04 ? 'R' : '.', total - ihl - doff);
    }
};

struct World {
    explicit World(const Options& options) {
        link = std::make_unique<Link>(link_platform, 1);
        if (std::getenv("PICO_BENCH_TRACE") != nullptr) link->a().set_tap(&trace);
        a = make(options.a_lwip, link->a(), ip_a, 101);
        b = make(options.b_lwip, link->b(), ip_b, 202);
        // Let the address announcements pass, so the workload starts on a quiet link.
        for (int i = 0; i < 100; ++i)
            step();
    }

    std::array<std::uint64_t, 2> side_ticks{};
    std::uint64_t mark_ticks = 0;
    std::chrono::steady_clock::time_point mark_time{};

    std::unique_ptr<Peer> make(bool lwip, LinkEnd& end, const char* address, std::uint64_t seed) {
        if (lwip) return std::make_unique<LwipPeer>(clock, end, address);
        return std::make_unique<OursPeer>(clock, end, address, seed);
    }

    // Time stamps around each side's work (the time-stamp counter: a few nanoseconds per read), so that each
    // side's own throughput is known even though one process always runs two stacks (bench/run: "per side").
    void mark() {
        side_ticks = {0, 0};
        mark_ticks = __rdtsc();
        mark_time = std::chrono::steady_clock::now();
    }
    // Nanoseconds each side spent in its step since mark(), the counter calibrated against steady_clock.
    std::array<double, 2> side_ns() const {
        const auto ns =
            std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - mark_time).count();
        const double ticks = static_cast<double>(__rdtsc() - mark_ticks);
        const double per_tick = ticks > 0 ? ns / ticks : 0;
        return {static_cast<double>(side_ticks[0]) * per_tick, static_cast<double>(side_ticks[1]) * per_tick};
    }

    void step() {
        LinkStats before = link->stats();
        const std::uint64_t t0 = __rdtsc();
        bench_side_a(a.get());
        const std::uint64_t t1 = __rdtsc();
        bench_side_b(b.get());
        const std::uint64_t t2 = __rdtsc();
        side_ticks[0] += t1 - t0;
        side_ticks[1] += t2 - t1;
        LinkStats after = link->stats();
        frames += after.transmitted - before.transmitted;
        if (after.transmitted == before.transmitted && after.delivered == before.delivered) clock.advance(1);
        if (probe != nullptr) probe->sample();
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
    VirtualPlatform link_platform{clock, 303};
    TcpTrace trace;
    std::unique_ptr<Link> link; // before the peers: frames they hold go back to its pool
    std::unique_ptr<Peer> a;
    std::unique_ptr<Peer> b;
    std::uint64_t frames = 0;
    RamProbe* probe = nullptr;
};

bool parse(int argc, char** argv, Options& options) {
    if (argc < 2) return false;
    options.name = argv[1];
    if (options.name == "tcp_bulk")
        options.workload = Workload::TcpBulk;
    else if (options.name == "udp_echo")
        options.workload = Workload::UdpEcho;
    else if (options.name == "icmp_echo")
        options.workload = Workload::IcmpEcho;
    else if (options.name == "conn_rate")
        options.workload = Workload::ConnRate;
    else if (options.name == "sizes")
        options.workload = Workload::Sizes;
    else if (options.name == "ram_idle")
        options.workload = Workload::RamIdle;
    else if (options.name == "ram_stream")
        options.workload = Workload::RamStream;
    else
        return false;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string key = argv[i];
        std::string value = argv[i + 1];
        if (key == "--a" || key == "--b") {
            if (value != "ours" && value != "lwip") return false;
            (key == "--a" ? options.a_lwip : options.b_lwip) = value == "lwip";
        } else if (key == "--mib") {
            options.mib = std::strtoull(value.c_str(), nullptr, 10);
        } else if (key == "--count") {
            options.count = std::strtoull(value.c_str(), nullptr, 10);
        } else if (key == "--size") {
            options.size = std::strtoull(value.c_str(), nullptr, 10);
        } else {
            return false;
        }
    }
    if (options.a_lwip && options.b_lwip) return false; // one lwIP per process
    if (options.workload == Workload::IcmpEcho && options.a_lwip) return false;
    const bool ram = options.workload == Workload::RamIdle || options.workload == Workload::RamStream;
    if (ram && (options.a_lwip || options.b_lwip)) return false; // our pools only
    if (options.size == 0 || options.size > 1472) return false;
    return true;
}

} // namespace

int main(int argc, char** argv) {
    Options options;
    if (!parse(argc, argv, options)) {
        std::fprintf(stderr, "usage: picotcp_bench tcp_bulk|udp_echo|icmp_echo|conn_rate|ram_idle|ram_stream "
                             "--a ours|lwip --b ours|lwip [--mib N] [--count N] [--size BYTES]\n"
                             "       picotcp_bench sizes\n  (at most one side lwip; icmp_echo: --a ours; "
                             "ram_*: both ours)\n");
        return 2;
    }
    if (options.workload == Workload::Sizes) {
        std::string config, sizes;
#define PICO_BENCH_VALUE(name, value)                                                                        \
    config += std::string(config.empty() ? "" : ", ") + "\"" + name + "\": " + std::to_string(value);
        PICO_BENCH_CONFIG(PICO_BENCH_VALUE)
#undef PICO_BENCH_VALUE
#define PICO_BENCH_SIZE(name, ...)                                                                           \
    sizes +=                                                                                                 \
        std::string(sizes.empty() ? "" : ", ") + "\"" + name + "\": " + std::to_string(sizeof(__VA_ARGS__));
        PICO_BENCH_SIZES(PICO_BENCH_SIZE)
#undef PICO_BENCH_SIZE
        std::printf("{\"workload\": \"sizes\", \"ok\": true, \"config\": {%s}, \"sizes\": {%s}}\n",
                    config.c_str(), sizes.c_str());
        return 0;
    }
    World world(options);
    RamProbe probe;
    if (options.workload == Workload::RamIdle || options.workload == Workload::RamStream) {
        probe.stacks = {&static_cast<OursPeer&>(*world.a).stack(), &static_cast<OursPeer&>(*world.b).stack()};
        world.probe = &probe;
        static_cast<OursPeer&>(*world.a).set_probe(&probe);
        static_cast<OursPeer&>(*world.b).set_probe(&probe);
    }
    Peer& a = *world.a;
    Peer& b = *world.b;
    std::uint64_t units = 0;
    bool ok = false;
    std::chrono::steady_clock::time_point start{};
    const TimeMs virtual_start = world.clock.now();
    const std::uint64_t frames_start = world.frames;
    switch (options.workload) {
    case Workload::Sizes:
        break;
    case Workload::RamIdle: {
        units = options.count;
        auto& client = static_cast<OursPeer&>(a);
        auto& server = static_cast<OursPeer&>(b);
        server.idle_server();
        client.idle_client(ip_b);
        start = std::chrono::steady_clock::now();
        a.requests = units;
        ok = world.run([&] { return a.completed == units && b.completed == units; }, 600'000);
        // Idle, every connection established: delayed ACKs and the like run out.
        const TimeMs until = world.clock.now() + 2000;
        ok = ok && world.run([&] { return world.clock.now() >= until; }, 3000);
        break;
    }
    case Workload::RamStream:
    case Workload::TcpBulk: {
        units = options.mib * 1024 * 1024;
        b.tcp_receive();
        a.tcp_send(ip_b, units);
        world.mark();
        ok = world.run([&] { return b.finished || b.completed >= units; }, 3'600'000);
        start = a.first_write;
        ok = ok && b.completed == units;
        break;
    }
    case Workload::UdpEcho:
    case Workload::IcmpEcho: {
        units = options.count;
        if (options.workload == Workload::UdpEcho) {
            b.udp_echo_server();
            a.udp_client(ip_b, options.size);
        } else {
            a.icmp_client(ip_b);
        }
        // One round trip first (ARP resolution), untimed.
        a.requests = 1;
        if (!world.run([&] { return a.completed == 1; }, 10'000)) break;
        start = std::chrono::steady_clock::now();
        world.mark();
        a.requests = 1 + units;
        ok = world.run([&] { return a.completed == 1 + units; }, 3'600'000);
        break;
    }
    case Workload::ConnRate: {
        units = options.count;
        b.conn_server();
        a.conn_client(ip_b);
        a.requests = 1;
        if (!world.run([&] { return a.completed == 1; }, 10'000)) break;
        start = std::chrono::steady_clock::now();
        world.mark();
        a.requests = 1 + units;
        ok = world.run([&] { return a.completed == 1 + units; }, 36'000'000);
        break;
    }
    }
    const auto end = std::chrono::steady_clock::now();
    const std::array<double, 2> side_ns = world.side_ns();
    const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
    std::string ram;
    if (world.probe != nullptr) {
        const PoolStats& link = world.link->pool_stats();
        ram = ", \"ram\": {\"a\": " + probe.side(0) + ", \"b\": " + probe.side(1) +
              ", \"link_frames\": {\"capacity\": " + std::to_string(link.capacity) +
              ", \"high_water\": " + std::to_string(link.high_water) + "}}";
    }
    std::printf(
        "{\"workload\": \"%s\", \"a\": \"%s\", \"b\": \"%s\", \"ok\": %s, \"units\": %llu, "
        "\"elapsed_ns\": %lld, \"side_ns\": [%.0f, %.0f], \"virtual_ms\": %llu, \"frames\": %llu%s}\n",
        options.name.c_str(), options.a_lwip ? "lwip" : "ours", options.b_lwip ? "lwip" : "ours",
        ok ? "true" : "false", static_cast<unsigned long long>(units), static_cast<long long>(elapsed),
        side_ns[0], side_ns[1], static_cast<unsigned long long>(world.clock.now() - virtual_start),
        static_cast<unsigned long long>(world.frames - frames_start), ram.c_str());
    std::fflush(stdout);
    // lwIP's globals and our objects: leave without tearing either down (the process ends here).
    std::_Exit(ok ? 0 : 1);
}
