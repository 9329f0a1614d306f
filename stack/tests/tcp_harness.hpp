// Test harnesses for the TCP core tests (tcp_core_test.cpp, tcp_flow_test.cpp):
//  - RawTcp: one Stack on a RawIp device whose "wire" is the test: segments are built byte by byte and
//    injected, and every segment the stack sends is parsed back for exact assertions (deterministic virtual
//    time, 1 ms steps).
//  - TwoStacks: two Stacks joined by an in-memory Link (link_sim.hpp), for flows.
#pragma once
#include "assembly/stack.hpp"
#include "core/checksum.hpp"
#include "link/link_sim.hpp"
#include "net/ipv4.hpp"
#include "port/virtual_platform.hpp"
#include "transport/tcp/internal.hpp"
#include "transport/tcp/tcp.hpp"
#include "wire/tcp.hpp"
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pico::tcptest {

using ByteVec = std::vector<std::uint8_t>;
namespace F = wire::tcp::flag;

inline ByteVec text(const std::string& s) {
    return ByteVec(s.begin(), s.end());
}

// A RawIp device: what the stack transmits is kept for the test.
class IpWire final : public Device {
  public:
    bool transmit(PacketBuf&& frame) override {
        if (refuse) return false;
        sent.emplace_back(frame.data(), frame.data() + frame.size());
        return true;
    }
    std::optional<PacketBuf> receive() override {
        if (queued.empty() || pool == nullptr) return std::nullopt;
        auto frame = pool->allocate_copy(Bytes{queued.front().data(), queued.front().size()}, 64);
        queued.pop_front();
        return frame;
    }
    std::uint16_t mtu() const override { return mtu_value; }
    LinkType link_type() const override { return LinkType::RawIp; }

    std::deque<ByteVec> sent;
    std::deque<ByteVec> queued; // picked up by the next Stack::poll, as one batch
    FramePoolBase* pool = nullptr;
    std::uint16_t mtu_value = 1500;
    bool refuse = false;
};

// A segment for the stack under test.
struct In {
    Ipv4Addr src = Ipv4Addr::from_octets(198, 18, 0, 2);
    Ipv4Addr dst = Ipv4Addr::from_octets(198, 18, 0, 1);
    std::uint16_t sport = 40000;
    std::uint16_t dport = 80;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 65535;
    std::uint16_t urgent = 0;
    wire::tcp::Options options{};
    ByteVec data{};
    bool corrupt_checksum = false;
};

// A bare SYN from the peer (sport) to us (dport) with sequence number seq.
inline In syn_from(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq) {
    In in;
    in.sport = sport;
    in.dport = dport;
    in.seq = seq;
    in.flags = wire::tcp::flag::syn;
    return in;
}

// A segment the stack sent.
struct Out {
    Ipv4Addr src{};
    Ipv4Addr dst{};
    std::uint8_t ttl = 0;
    std::uint8_t tos = 0;
    bool dont_fragment = false;
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;
    std::uint16_t urgent = 0;
    std::size_t header_len = 0;
    ByteVec option_bytes{};
    wire::tcp::Options options{};
    ByteVec data{};
    bool checksum_ok = false;
    bool has(std::uint8_t f) const { return (flags & f) != 0; }
};

inline std::uint16_t ref_checksum(const ByteVec& b, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i + 1 < b.size(); i += 2)
        sum += static_cast<std::uint32_t>(b[i] << 8 | b[i + 1]);
    if (b.size() % 2 == 1) sum += static_cast<std::uint32_t>(b.back() << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

inline ByteVec ip_datagram(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol, const ByteVec& payload) {
    const std::size_t total = 20 + payload.size();
    ByteVec h(20, 0);
    h[0] = 0x45;
    h[2] = static_cast<std::uint8_t>(total >> 8);
    h[3] = static_cast<std::uint8_t>(total);
    h[8] = 64;
    h[9] = protocol;
    store_be32(h.data() + 12, src.value);
    store_be32(h.data() + 16, dst.value);
    const std::uint16_t c = ref_checksum(h);
    h[10] = static_cast<std::uint8_t>(c >> 8);
    h[11] = static_cast<std::uint8_t>(c);
    h.insert(h.end(), payload.begin(), payload.end());
    return h;
}

// The TCP segment bytes of `in` (header via the wire Repr, checksum computed here byte by byte).
inline ByteVec tcp_bytes(const In& in) {
    wire::tcp::Repr r;
    r.source_port = in.sport;
    r.destination_port = in.dport;
    r.seq = in.seq;
    r.ack = in.ack;
    r.flags = in.flags;
    r.window = in.window;
    r.urgent_pointer = in.urgent;
    r.options = in.options;
    ByteVec seg(r.header_len());
    r.emit(MutBytes{seg.data(), seg.size()});
    seg.insert(seg.end(), in.data.begin(), in.data.end());
    ByteVec pseudo(12, 0);
    store_be32(pseudo.data(), in.src.value);
    store_be32(pseudo.data() + 4, in.dst.value);
    pseudo[9] = 6;
    pseudo[10] = static_cast<std::uint8_t>(seg.size() >> 8);
    pseudo[11] = static_cast<std::uint8_t>(seg.size());
    ByteVec all = pseudo;
    all.insert(all.end(), seg.begin(), seg.end());
    std::uint16_t c = ref_checksum(all);
    if (in.corrupt_checksum) c = static_cast<std::uint16_t>(c ^ 0x0100);
    seg[16] = static_cast<std::uint8_t>(c >> 8);
    seg[17] = static_cast<std::uint8_t>(c);
    return seg;
}

inline std::optional<Out> parse_out(const ByteVec& d) {
    if (d.size() < 40 || (d[0] >> 4) != 4 || d[9] != 6) return std::nullopt;
    const std::size_t ihl = std::size_t{d[0] & 0x0fu} * 4;
    Out o;
    o.src = Ipv4Addr::load(d.data() + 12);
    o.dst = Ipv4Addr::load(d.data() + 16);
    o.ttl = d[8];
    o.tos = d[1];
    o.dont_fragment = (d[6] & 0x40) != 0;
    ByteVec seg(d.begin() + static_cast<std::ptrdiff_t>(ihl), d.end());
    auto view = wire::tcp::View::parse(Bytes{seg.data(), seg.size()});
    if (!view) return std::nullopt;
    o.sport = view->source_port();
    o.dport = view->destination_port();
    o.seq = view->seq();
    o.ack = view->ack();
    o.flags = view->flags();
    o.window = view->window();
    o.urgent = view->urgent_pointer();
    o.header_len = view->header_len();
    o.option_bytes.assign(view->options().begin(), view->options().end());
    EXPECT_TRUE(wire::tcp::parse_options(view->options(), o.options));
    o.data.assign(view->payload().begin(), view->payload().end());
    ByteVec pseudo(12, 0);
    store_be32(pseudo.data(), o.src.value);
    store_be32(pseudo.data() + 4, o.dst.value);
    pseudo[9] = 6;
    pseudo[10] = static_cast<std::uint8_t>(seg.size() >> 8);
    pseudo[11] = static_cast<std::uint8_t>(seg.size());
    ByteVec all = pseudo;
    all.insert(all.end(), seg.begin(), seg.end());
    o.checksum_ok = ref_checksum(all) == 0;
    return o;
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
            if (ev.event == e) ++n;
        return n;
    }
    bool has(SocketEvent e, SocketError err = SocketError::Ok) const {
        for (const auto& ev : events)
            if (ev.event == e && (e != SocketEvent::Error || ev.error == err)) return true;
        return false;
    }
    static void callback(void* context, SocketHandle socket, SocketEvent event, SocketError error) {
        static_cast<EventLog*>(context)->events.push_back({socket, event, error});
    }
};

// One stack (198.18.0.1/24) on a RawIp device; the test plays the peer 198.18.0.2.
class RawTcp : public ::testing::Test {
  protected:
    const Ipv4Addr us = Ipv4Addr::from_octets(198, 18, 0, 1);
    const Ipv4Addr peer = Ipv4Addr::from_octets(198, 18, 0, 2);

    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    IpWire wire;
    std::unique_ptr<Stack> stack;
    IfIndex ifx = no_interface;
    EventLog log;
    ByteVec last_raw; // the IP datagram of the segment next() returned last

    void SetUp() override {
        clock.set(1000000); // t = 1000 s: timestamps and deadlines are never 0
        stack = std::make_unique<Stack>(platform);
        ifx = stack->attach(wire);
        wire.pool = &stack->frame_pool();
        ASSERT_TRUE(ipv4::add_address(*stack, ifx, us, 24));
    }

    tcp::State& tcp_state() { return tcp::state(*stack); }
    ModuleCounters& counters() { return tcp::state(*stack).counters; }
    std::uint32_t drops(Drop reason) { return counters().drops(reason); }
    tcp::Tcb& tcb(SocketHandle h) { return tcp::state(*stack).tcbs[static_cast<std::size_t>(h)]; }
    TimeMs now() const { return clock.now(); }

    void inject(const In& in) {
        ByteVec d = ip_datagram(in.src, in.dst, 6, tcp_bytes(in));
        ASSERT_TRUE(stack->inject(ifx, Bytes{d.data(), d.size()}));
    }
    // Queued for the next poll: segments queued together are received as one batch.
    void queue(const In& in) { wire.queued.push_back(ip_datagram(in.src, in.dst, 6, tcp_bytes(in))); }
    void inject_raw_ip(const ByteVec& datagram) {
        ASSERT_TRUE(stack->inject(ifx, Bytes{datagram.data(), datagram.size()}));
    }

    // The next TCP segment the stack sent (non-TCP datagrams are skipped), if any.
    std::optional<Out> next() {
        while (!wire.sent.empty()) {
            ByteVec d = std::move(wire.sent.front());
            wire.sent.pop_front();
            if (auto o = parse_out(d)) {
                last_raw = std::move(d);
                return o;
            }
        }
        return std::nullopt;
    }
    std::size_t pending() const { return wire.sent.size(); }
    void drain() { wire.sent.clear(); }

    // Advances the clock 1 ms at a time, polling, for `ms` milliseconds.
    void advance(TimeMs ms) {
        for (TimeMs i = 0; i < ms; ++i) {
            clock.advance(1);
            stack->poll();
        }
    }
    // Advances until the stack sends a TCP segment (at most `limit` ms); the segment and when it left.
    std::optional<Out> wait_segment(TimeMs limit, TimeMs* at = nullptr) {
        for (TimeMs i = 0; i <= limit; ++i) {
            if (auto o = next()) {
                if (at != nullptr) *at = clock.now();
                return o;
            }
            clock.advance(1);
            stack->poll();
        }
        return std::nullopt;
    }

    wire::tcp::Options ts(std::uint32_t val, std::uint32_t ecr) {
        wire::tcp::Options o;
        o.has_timestamp = true;
        o.ts_val = val;
        o.ts_ecr = ecr;
        return o;
    }

    // ---- connection set-up helpers ----
    struct Conn {
        SocketHandle handle = -1;
        std::uint32_t iss = 0; // ours
        std::uint32_t peer_iss = 0;
        std::uint16_t local_port = 0;
        std::uint16_t peer_port = 80;
        std::uint32_t snd = 0; // next sequence number the peer sends
        std::uint32_t rcv = 0; // next sequence number the peer expects from us
    };

    In from_peer(const Conn& c, std::uint8_t flags, ByteVec data = {}) {
        In in;
        in.sport = c.peer_port;
        in.dport = c.local_port;
        in.seq = c.snd;
        in.ack = c.rcv;
        in.flags = flags;
        in.data = std::move(data);
        return in;
    }

    // Active open to peer:80 answered with a SYN-ACK carrying `options` (default: none).
    Conn active_open(wire::tcp::Options synack_options = {}, std::uint16_t window = 65535) {
        return active_open_socket(tcp::open(*stack, &EventLog::callback, &log), synack_options, window);
    }

    // Active open with one socket option set before connect(); the peer's ISS is `peer_iss`.
    Conn active_open_with(SocketOption option, int value, std::uint32_t peer_iss = 7000000) {
        SocketHandle handle = tcp::open(*stack, &EventLog::callback, &log);
        EXPECT_EQ(tcp::set_option(*stack, handle, option, value), SocketError::Ok);
        return active_open_socket(handle, {}, 65535, peer_iss);
    }

    // A listening socket on `port` (any address) with `backlog`.
    SocketHandle listen_on(std::uint16_t port = 80, std::uint8_t backlog = 4) {
        SocketHandle listener = tcp::open(*stack, &EventLog::callback, &log);
        EXPECT_EQ(tcp::bind(*stack, listener, Ipv4Addr{}, port), SocketError::Ok);
        EXPECT_EQ(tcp::listen(*stack, listener, backlog), SocketError::Ok);
        return listener;
    }

    // connect() of an open socket to peer:80, answered by a SYN-ACK from `peer_iss`, and its ACK taken.
    Conn active_open_socket(SocketHandle handle, wire::tcp::Options synack_options = {},
                            std::uint16_t window = 65535, std::uint32_t peer_iss = 7000000) {
        Conn c;
        c.handle = handle;
        EXPECT_GE(c.handle, 0);
        EXPECT_EQ(tcp::connect(*stack, c.handle, peer, 80), SocketError::Ok);
        auto syn = next();
        EXPECT_TRUE(syn.has_value());
        if (!syn) return c;
        c.iss = syn->seq;
        c.local_port = syn->sport;
        c.peer_iss = peer_iss;
        In sa;
        sa.sport = 80;
        sa.dport = c.local_port;
        sa.seq = c.peer_iss;
        sa.ack = c.iss + 1;
        sa.flags = F::syn | F::ack;
        sa.window = window;
        sa.options = synack_options;
        inject(sa);
        c.snd = c.peer_iss + 1;
        c.rcv = c.iss + 1;
        auto ack = next();
        EXPECT_TRUE(ack.has_value());
        return c;
    }

    // Passive open on port 80 from peer:40000 whose SYN carries `options`; accepted.
    Conn passive_open(wire::tcp::Options syn_options = {}, std::uint16_t window = 65535) {
        Conn c;
        SocketHandle listener = tcp::open(*stack, &EventLog::callback, &log);
        EXPECT_EQ(tcp::bind(*stack, listener, Ipv4Addr{}, 80), SocketError::Ok);
        EXPECT_EQ(tcp::listen(*stack, listener, 4), SocketError::Ok);
        c.peer_iss = 5000000;
        In syn;
        syn.sport = 40000;
        syn.dport = 80;
        syn.seq = c.peer_iss;
        syn.flags = F::syn;
        syn.window = window;
        syn.options = syn_options;
        inject(syn);
        auto sa = next();
        EXPECT_TRUE(sa.has_value());
        if (!sa) return c;
        c.iss = sa->seq;
        c.local_port = 80;
        c.peer_port = 40000;
        c.snd = c.peer_iss + 1;
        c.rcv = c.iss + 1;
        In ack = from_peer(c, F::ack);
        ack.window = window;
        if (syn_options.has_timestamp) ack.options = ts(syn_options.ts_val + 1, sa->options.ts_val);
        inject(ack);
        c.handle = tcp::accept(*stack, listener, &EventLog::callback, &log);
        EXPECT_GE(c.handle, 0);
        return c;
    }
};

// Two stacks joined by a Link: a = 198.18.0.1, b = 198.18.0.2.
class TwoStacks : public ::testing::Test {
  protected:
    const Ipv4Addr addr_a = Ipv4Addr::from_octets(198, 18, 0, 1);
    const Ipv4Addr addr_b = Ipv4Addr::from_octets(198, 18, 0, 2);
    VirtualClock clock;
    VirtualPlatform platform_a{clock, 11};
    VirtualPlatform platform_b{clock, 22};
    std::unique_ptr<Link> link;
    std::unique_ptr<Stack> a;
    std::unique_ptr<Stack> b;
    EventLog log_a;
    EventLog log_b;

    void SetUp() override {
        clock.set(1000000);
        link = std::make_unique<Link>(platform_a, 7, Impairments{});
        a = std::make_unique<Stack>(platform_a);
        b = std::make_unique<Stack>(platform_b);
        IfIndex ia = a->attach(link->a());
        IfIndex ib = b->attach(link->b());
        ASSERT_TRUE(ipv4::add_address(*a, ia, addr_a, 24));
        ASSERT_TRUE(ipv4::add_address(*b, ib, addr_b, 24));
    }
    void TearDown() override {
        b.reset();
        a.reset();
        link.reset();
    }

    void step(TimeMs ms = 1) {
        for (TimeMs i = 0; i < ms; ++i) {
            clock.advance(1);
            a->poll();
            b->poll();
        }
    }
    // Steps until pred() holds or `limit` ms passed; returns pred().
    template <class Pred> bool run_until(Pred pred, TimeMs limit) {
        for (TimeMs i = 0; i < limit; ++i) {
            if (pred()) return true;
            step();
        }
        return pred();
    }

    tcp::TcpState state_of(Stack& s, SocketHandle h) {
        return tcp::state(s).tcbs[static_cast<std::size_t>(h)].state;
    }
    std::size_t tcbs_in_use(Stack& s) {
        std::size_t n = 0;
        for (const auto& t : tcp::state(s).tcbs)
            n += t.in_use ? 1 : 0;
        return n;
    }

    // b listens on `port`; a connects; returns {client on a, server on b}.
    std::pair<SocketHandle, SocketHandle> connect_pair(std::uint16_t port = 80) {
        SocketHandle listener = tcp::open(*b, &EventLog::callback, &log_b);
        EXPECT_EQ(tcp::bind(*b, listener, Ipv4Addr{}, port), SocketError::Ok);
        EXPECT_EQ(tcp::listen(*b, listener, 8), SocketError::Ok);
        SocketHandle client = tcp::open(*a, &EventLog::callback, &log_a);
        EXPECT_EQ(tcp::connect(*a, client, addr_b, port), SocketError::Ok);
        SocketHandle server = -1;
        run_until(
            [&] {
                if (server < 0) server = tcp::accept(*b, listener, &EventLog::callback, &log_b);
                return server >= 0 && log_a.has(SocketEvent::Connected);
            },
            5000);
        EXPECT_GE(server, 0);
        listener_b = listener;
        return {client, server};
    }
    SocketHandle listener_b = -1;
};

} // namespace pico::tcptest
