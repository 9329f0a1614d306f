// TCP between two stacks joined by an in-memory Link (link_sim.hpp), on virtual time: data both ways (clean
// and impaired), closing from either side and from both at once, simultaneous open, a receiver that keeps
// its window shut, a peer that vanishes.
#include "net/icmp4.hpp"
#include "tcp_harness.hpp"

#include <cstdio>

using namespace pico;
using namespace pico::tcptest;
using tcp::TcpState;

namespace {

ByteVec pattern(std::size_t n, std::uint32_t seed) {
    ByteVec v(n);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& b : v) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b = static_cast<std::uint8_t>(x);
    }
    return v;
}

// Moves bytes between the application buffers and one socket, as an application would.
struct Endpoint {
    Endpoint() = default;
    Endpoint(Stack* s, SocketHandle h, ByteVec data = {}) : stack(s), handle(h), to_send(std::move(data)) {}
    Stack* stack = nullptr;
    SocketHandle handle = -1;
    ByteVec to_send;
    std::size_t sent = 0;
    ByteVec received;
    bool eof = false;
    bool shut = false;

    void pump() {
        if (sent < to_send.size()) {
            std::size_t n = 0;
            SocketError e =
                tcp::write(*stack, handle, Bytes{to_send.data() + sent, to_send.size() - sent}, n);
            if (e == SocketError::Ok)
                sent += n;
            else
                EXPECT_EQ(e, SocketError::WouldBlock);
        }
        if (sent == to_send.size() && !shut) {
            EXPECT_EQ(tcp::shutdown_write(*stack, handle), SocketError::Ok);
            shut = true;
        }
        std::array<std::uint8_t, 4096> buf{};
        for (int i = 0; i < 64 && !eof; ++i) {
            std::size_t n = 0;
            bool end = false;
            SocketError e = tcp::read(*stack, handle, MutBytes{buf.data(), buf.size()}, n, end);
            if (e == SocketError::WouldBlock) break;
            ASSERT_EQ(e, SocketError::Ok);
            received.insert(received.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
            if (end) eof = true;
        }
    }
};

class TcpFlow : public TwoStacks {
  protected:
    // Both ends send `bytes` and shut down; returns the virtual ms it took.
    TimeMs exchange(std::size_t bytes, TimeMs limit) {
        auto pair_1 = connect_pair();
        auto client = pair_1.first;
        auto server = pair_1.second;
        Endpoint ea{a.get(), client, pattern(bytes, 1)};
        Endpoint eb{b.get(), server, pattern(bytes, 2)};
        const TimeMs start = clock.now();
        run_until(
            [&] {
                ea.pump();
                eb.pump();
                return ea.eof && eb.eof && ea.sent == bytes && eb.sent == bytes;
            },
            limit);
        EXPECT_TRUE(ea.eof && eb.eof);
        EXPECT_EQ(ea.received.size(), bytes);
        EXPECT_EQ(eb.received.size(), bytes);
        EXPECT_TRUE(ea.received == eb.to_send);
        EXPECT_TRUE(eb.received == ea.to_send);
        client_ = client;
        server_ = server;
        return clock.now() - start;
    }
    SocketHandle client_ = -1;
    SocketHandle server_ = -1;
};

TEST_F(TcpFlow, DataBothWaysClean) {
    const TimeMs took = exchange(300000, 60000);
    std::printf("[ tcp ] 300 kB each way, clean link: %llu ms virtual\n",
                static_cast<unsigned long long>(took));
    EXPECT_EQ(tcp::state(*a).counters.drops(Drop::OutOfWindow), 0u);
    EXPECT_EQ(tcp::state(*b).counters.drops(Drop::OutOfWindow), 0u);
    EXPECT_EQ(tcp::state(*a).tcbs[static_cast<std::size_t>(client_)].retransmissions, 0u);
}

TEST_F(TcpFlow, DataBothWaysWithLossReorderingAndDuplication) {
    link->set_impairments(Impairments{.loss = 0.05, .duplicate = 0.02, .reorder = 0.05, .delay_ms = 2});
    const TimeMs took = exchange(200000, 30 * 60 * 1000);
    std::printf("[ tcp ] 200 kB each way, 5%% loss, 2%% duplication, 5%% reordering: %llu ms virtual\n",
                static_cast<unsigned long long>(took));
    EXPECT_GT(tcp::state(*a).tcbs[static_cast<std::size_t>(client_)].retransmissions, 0u);
}

TEST_F(TcpFlow, DataBothWaysWithCorruption) {
    link->set_impairments(Impairments{.corrupt = 0.05, .delay_ms = 1});
    exchange(100000, 30 * 60 * 1000);
    EXPECT_GT(tcp::state(*a).counters.drops(Drop::BadChecksum) +
                  tcp::state(*b).counters.drops(Drop::BadChecksum),
              0u);
}

TEST_F(TcpFlow, ClientClosesFirstAndHoldsTimeWait) {
    auto pair_2 = connect_pair();
    auto client = pair_2.first;
    auto server = pair_2.second;
    ASSERT_EQ(tcp::close(*a, client), SocketError::Ok);
    ASSERT_TRUE(run_until([&] { return log_b.has(SocketEvent::PeerClosed); }, 1000));
    EXPECT_EQ(state_of(*b, server), TcpState::CloseWait);
    ASSERT_TRUE(run_until([&] { return state_of(*a, client) == TcpState::FinWait2; }, 1000));
    ASSERT_EQ(tcp::close(*b, server), SocketError::Ok);
    ASSERT_TRUE(run_until([&] { return state_of(*a, client) == TcpState::TimeWait; }, 1000));
    step(10);
    EXPECT_FALSE(tcp::state(*b).tcbs[static_cast<std::size_t>(server)].in_use); // LAST-ACK -> CLOSED
    EXPECT_EQ(log_a.count(SocketEvent::Closed), 1);
    EXPECT_EQ(log_b.count(SocketEvent::Closed), 1);
    step(2 * config::tcp_msl_ms);
    EXPECT_FALSE(tcp::state(*a).tcbs[static_cast<std::size_t>(client)].in_use);
    EXPECT_EQ(tcbs_in_use(*a), 0u);
    EXPECT_EQ(tcbs_in_use(*b), 1u); // the listener
}

TEST_F(TcpFlow, ServerClosesFirstAndHoldsTimeWait) {
    auto pair_3 = connect_pair();
    auto client = pair_3.first;
    auto server = pair_3.second;
    ASSERT_EQ(tcp::close(*b, server), SocketError::Ok);
    ASSERT_TRUE(run_until([&] { return log_a.has(SocketEvent::PeerClosed); }, 1000));
    EXPECT_EQ(state_of(*a, client), TcpState::CloseWait);
    ASSERT_EQ(tcp::close(*a, client), SocketError::Ok);
    step(50);
    EXPECT_EQ(state_of(*b, server), TcpState::TimeWait);
    EXPECT_FALSE(tcp::state(*a).tcbs[static_cast<std::size_t>(client)].in_use);
    step(2 * config::tcp_msl_ms);
    EXPECT_FALSE(tcp::state(*b).tcbs[static_cast<std::size_t>(server)].in_use);
}

TEST_F(TcpFlow, SimultaneousCloseLeavesBothInTimeWait) {
    link->set_impairments(Impairments{.delay_ms = 5});
    auto pair_4 = connect_pair();
    auto client = pair_4.first;
    auto server = pair_4.second;
    ASSERT_EQ(tcp::close(*a, client), SocketError::Ok);
    ASSERT_EQ(tcp::close(*b, server), SocketError::Ok);
    step(3);
    EXPECT_EQ(state_of(*a, client), TcpState::FinWait1);
    EXPECT_EQ(state_of(*b, server), TcpState::FinWait1);
    step(4); // the FINs have crossed
    EXPECT_EQ(state_of(*a, client), TcpState::Closing);
    EXPECT_EQ(state_of(*b, server), TcpState::Closing);
    step(10);
    EXPECT_EQ(state_of(*a, client), TcpState::TimeWait);
    EXPECT_EQ(state_of(*b, server), TcpState::TimeWait);
    step(2 * config::tcp_msl_ms);
    EXPECT_FALSE(tcp::state(*a).tcbs[static_cast<std::size_t>(client)].in_use);
    EXPECT_FALSE(tcp::state(*b).tcbs[static_cast<std::size_t>(server)].in_use);
}

TEST_F(TcpFlow, SimultaneousOpenBetweenTwoStacks) {
    link->set_impairments(Impairments{.delay_ms = 5});
    // Resolve the neighbours first (a ping), so both SYNs leave at the same instant.
    const std::uint8_t ping = 0;
    ASSERT_TRUE(icmp4::send_echo_request(*a, addr_b, 1, 1, Bytes{&ping, 1}));
    step(30);
    SocketHandle ha = tcp::open(*a, &EventLog::callback, &log_a);
    SocketHandle hb = tcp::open(*b, &EventLog::callback, &log_b);
    ASSERT_EQ(tcp::bind(*a, ha, Ipv4Addr{}, 5000), SocketError::Ok);
    ASSERT_EQ(tcp::bind(*b, hb, Ipv4Addr{}, 6000), SocketError::Ok);
    ASSERT_EQ(tcp::connect(*a, ha, addr_b, 6000), SocketError::Ok);
    ASSERT_EQ(tcp::connect(*b, hb, addr_a, 5000), SocketError::Ok);
    step(6);
    EXPECT_EQ(state_of(*a, ha), TcpState::SynReceived);
    EXPECT_EQ(state_of(*b, hb), TcpState::SynReceived);
    step(6);
    EXPECT_EQ(state_of(*a, ha), TcpState::Established);
    EXPECT_EQ(state_of(*b, hb), TcpState::Established);
    EXPECT_EQ(log_a.count(SocketEvent::Connected), 1);
    EXPECT_EQ(log_b.count(SocketEvent::Connected), 1);
    // And data flows.
    std::size_t n = 0;
    ByteVec hello = text("hello");
    ASSERT_EQ(tcp::write(*a, ha, Bytes{hello.data(), hello.size()}, n), SocketError::Ok);
    step(10);
    std::array<std::uint8_t, 8> buf{};
    bool eof = false;
    ASSERT_EQ(tcp::read(*b, hb, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_EQ(n, 5u);
}

TEST_F(TcpFlow, AReceiverThatNeverReadsKeepsTheSenderWaitingWithoutError) {
    auto pair_5 = connect_pair();
    auto client = pair_5.first;
    auto server = pair_5.second;
    ByteVec data = pattern(100000, 3);
    std::size_t sent = 0;
    // 30 virtual minutes: the receive buffer fills, the window stays shut, the sender probes.
    for (TimeMs t = 0; t < 30 * 60 * 1000; t += 100) {
        std::size_t n = 0;
        if (sent < data.size() &&
            tcp::write(*a, client, Bytes{data.data() + sent, data.size() - sent}, n) == SocketError::Ok)
            sent += n;
        step(100);
    }
    EXPECT_EQ(state_of(*a, client), TcpState::Established);
    EXPECT_FALSE(log_a.has(SocketEvent::Error, SocketError::TimedOut));
    EXPECT_EQ(tcp::state(*b).tcbs[static_cast<std::size_t>(server)].recv.readable, config::tcp_recv_buffer);
    // Now the receiver reads everything.
    Endpoint eb{b.get(), server};
    eb.shut = true;
    run_until(
        [&] {
            std::size_t n = 0;
            if (sent < data.size() &&
                tcp::write(*a, client, Bytes{data.data() + sent, data.size() - sent}, n) == SocketError::Ok)
                sent += n;
            eb.pump();
            return eb.received.size() == data.size();
        },
        10 * 60 * 1000);
    EXPECT_TRUE(eb.received == data);
}

TEST_F(TcpFlow, APeerThatVanishesTimesOut) {
    auto pair_6 = connect_pair();
    auto client = pair_6.first;
    auto server = pair_6.second;
    (void)server;
    link->set_impairments(Impairments{.loss = 1.0});
    ByteVec data = text("anyone there?");
    std::size_t n = 0;
    ASSERT_EQ(tcp::write(*a, client, Bytes{data.data(), data.size()}, n), SocketError::Ok);
    const TimeMs start = clock.now();
    ASSERT_TRUE(
        run_until([&] { return log_a.has(SocketEvent::Error, SocketError::TimedOut); }, 20 * 60 * 1000));
    const TimeMs took = clock.now() - start;
    EXPECT_GE(took, 100000u); // R2 at least 100 s (RFC 9293 3.8.3)
    EXPECT_EQ(state_of(*a, client), TcpState::Closed);
}

TEST_F(TcpFlow, KeepAliveFindsAVanishedPeer) {
    auto pair_7 = connect_pair();
    auto client = pair_7.first;
    auto server = pair_7.second;
    (void)server;
    ASSERT_EQ(tcp::set_option(*a, client, SocketOption::KeepIdle, 60000), SocketError::Ok);
    ASSERT_EQ(tcp::set_option(*a, client, SocketOption::KeepInterval, 10000), SocketError::Ok);
    ASSERT_EQ(tcp::set_option(*a, client, SocketOption::KeepCount, 5), SocketError::Ok);
    ASSERT_EQ(tcp::set_option(*a, client, SocketOption::KeepAlive, 1), SocketError::Ok);
    step(5 * 60 * 1000); // an idle but healthy peer answers the probes
    EXPECT_EQ(state_of(*a, client), TcpState::Established);
    link->set_impairments(Impairments{.loss = 1.0});
    ASSERT_TRUE(
        run_until([&] { return log_a.has(SocketEvent::Error, SocketError::TimedOut); }, 3 * 60 * 1000));
}

TEST_F(TcpFlow, NothingIsLeftBehindAfterManyConnections) {
    for (int i = 0; i < 20; ++i) {
        Endpoint ea, eb;
        SocketHandle listener = listener_b;
        if (listener < 0) {
            listener = tcp::open(*b, nullptr, nullptr);
            ASSERT_EQ(tcp::bind(*b, listener, Ipv4Addr{}, 80), SocketError::Ok);
            ASSERT_EQ(tcp::listen(*b, listener, 4), SocketError::Ok);
            listener_b = listener;
        }
        SocketHandle client = tcp::open(*a, nullptr, nullptr);
        ASSERT_GE(client, 0);
        ASSERT_EQ(tcp::connect(*a, client, addr_b, 80), SocketError::Ok);
        SocketHandle server = -1;
        ASSERT_TRUE(run_until(
            [&] {
                if (server < 0) server = tcp::accept(*b, listener, nullptr, nullptr);
                return server >= 0;
            },
            2000))
            << "connection " << i << " client state " << tcp::state_name(state_of(*a, client)) << " drops b "
            << tcp::state(*b).counters.total_drops() << " a " << tcp::state(*a).counters.total_drops();
        ea = Endpoint{a.get(), client, pattern(1000, static_cast<std::uint32_t>(i))};
        eb = Endpoint{b.get(), server, pattern(500, static_cast<std::uint32_t>(i + 100))};
        ASSERT_TRUE(run_until(
            [&] {
                ea.pump();
                eb.pump();
                return ea.eof && eb.eof;
            },
            10000));
        EXPECT_EQ(tcp::close(*a, client), SocketError::Ok);
        EXPECT_EQ(tcp::close(*b, server), SocketError::Ok);
    }
    EXPECT_EQ(tcp::close(*b, listener_b), SocketError::Ok);
    step(2 * config::tcp_msl_ms + 1000);
    EXPECT_EQ(tcbs_in_use(*a), 0u);
    EXPECT_EQ(tcbs_in_use(*b), 0u);
    EXPECT_EQ(a->frame_stats().in_use, 0u);
    EXPECT_EQ(b->frame_stats().in_use, 0u);
}

} // namespace
