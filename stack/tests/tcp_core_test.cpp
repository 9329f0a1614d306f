// TCP core (RFC 9293 and the RFCs it leans on), segment by segment: the stack under test talks to a peer
// played by the test over a RawIp device, on virtual time. Every expectation is exact: flags, sequence and
// acknowledgment numbers, option bytes, timer instants, counters with their drop reasons, events.
#include "tcp_harness.hpp"
#include "transport/tcp/rx.hpp"
#include "transport/tcp/tx.hpp"

#include <cstdio>

using namespace pico;
using namespace pico::tcptest;
using tcp::TcpState;

namespace {

// ---------------------------------------------------------------------------------------------------------
// Sizes

TEST(TcpTcb, SizeIsPrinted) {
    std::printf("[ tcp ] sizeof(Tcb) = %zu bytes (send ring %zu + receive ring %zu + control %zu); "
                "sizeof(tcp::State) = %zu\n",
                sizeof(tcp::Tcb), config::tcp_send_buffer, config::tcp_recv_buffer,
                sizeof(tcp::Tcb) - config::tcp_send_buffer - config::tcp_recv_buffer, sizeof(tcp::State));
    EXPECT_LT(sizeof(tcp::Tcb) - config::tcp_send_buffer - config::tcp_recv_buffer, 1024u);
}

// ---------------------------------------------------------------------------------------------------------
// Three-way handshake, options (RFC 9293 3.5, 3.7.1; RFC 7323; RFC 2018)

TEST_F(RawTcp, ActiveOpenOffersEveryOptionAndNegotiatesWhatThePeerAnswers) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_GE(h, 0);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    auto syn = next();
    ASSERT_TRUE(syn);
    EXPECT_EQ(syn->flags, F::syn);
    EXPECT_EQ(syn->src, us);
    EXPECT_EQ(syn->dst, peer);
    EXPECT_EQ(syn->dport, 80);
    EXPECT_GE(syn->sport, 49152); // ephemeral (RFC 6335)
    EXPECT_EQ(syn->ack, 0u);
    EXPECT_EQ(syn->window, 16384); // the whole receive buffer, unscaled in a SYN
    EXPECT_TRUE(syn->checksum_ok);
    EXPECT_TRUE(syn->dont_fragment); // RFC 1191 path MTU discovery
    // MSS 1460 (MTU 1500 - 40), SACK-permitted + timestamps, window scale 0 (16 KiB needs no shift).
    ASSERT_EQ(syn->header_len, 40u);
    const ByteVec expected_prefix = {2, 4, 0x05, 0xb4, 4, 2, 8, 10};
    EXPECT_EQ(ByteVec(syn->option_bytes.begin(), syn->option_bytes.begin() + 8), expected_prefix);
    EXPECT_EQ(ByteVec(syn->option_bytes.end() - 4, syn->option_bytes.end()), (ByteVec{1, 3, 3, 0}));
    EXPECT_TRUE(syn->options.has_timestamp);
    EXPECT_EQ(syn->options.ts_ecr, 0u);
    EXPECT_EQ(tcb(h).state, TcpState::SynSent);

    wire::tcp::Options o;
    o.has_mss = true;
    o.mss = 1000;
    o.has_window_scale = true;
    o.window_scale = 7;
    o.sack_permitted = true;
    o.has_timestamp = true;
    o.ts_val = 500;
    o.ts_ecr = syn->options.ts_val;
    In sa;
    sa.sport = 80;
    sa.dport = syn->sport;
    sa.seq = 9000;
    sa.ack = syn->seq + 1;
    sa.flags = F::syn | F::ack;
    sa.window = 1000;
    sa.options = o;
    inject(sa);

    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->flags, F::ack);
    EXPECT_EQ(ack->seq, syn->seq + 1);
    EXPECT_EQ(ack->ack, 9001u);
    EXPECT_EQ(ack->window, 16384);
    ASSERT_EQ(ack->header_len, 32u); // NOP NOP TS
    EXPECT_EQ(ack->option_bytes[0], 1);
    EXPECT_EQ(ack->option_bytes[1], 1);
    EXPECT_EQ(ack->options.ts_ecr, 500u);
    EXPECT_FALSE(next());

    const tcp::Tcb& t = tcb(h);
    EXPECT_EQ(t.state, TcpState::Established);
    EXPECT_TRUE(t.ws_ok);
    EXPECT_EQ(t.snd_wscale, 7);
    EXPECT_EQ(t.rcv_wscale, 0);
    EXPECT_TRUE(t.ts_ok);
    EXPECT_TRUE(t.sack_ok);
    EXPECT_EQ(t.peer_mss, 1000);
    EXPECT_EQ(tcp::detail::smss(t), 988u); // RFC 6691: minus the 12 bytes of timestamps
    EXPECT_EQ(t.snd_wnd, 1000u);           // the SYN-ACK's window is never scaled (RFC 7323 2.2)
    ASSERT_EQ(log.events.size(), 1u);
    EXPECT_EQ(log.events[0].event, SocketEvent::Connected);
    EXPECT_EQ(log.events[0].socket, h);
}

TEST_F(RawTcp, SynAckWithoutOptionsMeansMss536AndNoExtensions) {
    Conn c = active_open();
    const tcp::Tcb& t = tcb(c.handle);
    EXPECT_EQ(t.state, TcpState::Established);
    EXPECT_EQ(t.peer_mss, 536);
    EXPECT_FALSE(t.ws_ok);
    EXPECT_EQ(t.snd_wscale, 0);
    EXPECT_EQ(t.rcv_wscale, 0);
    EXPECT_FALSE(t.ts_ok);
    EXPECT_FALSE(t.sack_ok);
    EXPECT_EQ(tcp::detail::smss(t), 536u);
    // Data goes in segments of 536 and carries no options.
    ByteVec data(1200, 0x5a);
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    EXPECT_EQ(written, 1200u);
    auto s1 = next();
    ASSERT_TRUE(s1);
    EXPECT_EQ(s1->header_len, 20u);
    EXPECT_EQ(s1->data.size(), 536u);
    EXPECT_EQ(s1->seq, c.iss + 1);
}

TEST_F(RawTcp, PassiveOpenAnswersOnlyOfferedOptions) {
    SocketHandle listener = listen_on(80, 4);
    wire::tcp::Options o;
    o.has_mss = true;
    o.mss = 1200;
    o.has_window_scale = true;
    o.window_scale = 3;
    o.sack_permitted = true;
    o.has_timestamp = true;
    o.ts_val = 100;
    In syn;
    syn.seq = 5000;
    syn.flags = F::syn;
    syn.window = 2000;
    syn.options = o;
    inject(syn);
    auto sa = next();
    ASSERT_TRUE(sa);
    EXPECT_EQ(sa->flags, F::syn | F::ack);
    EXPECT_EQ(sa->ack, 5001u);
    EXPECT_EQ(sa->sport, 80);
    EXPECT_EQ(sa->dport, 40000);
    EXPECT_EQ(sa->window, 16384);
    ASSERT_EQ(sa->header_len, 40u);
    EXPECT_EQ(sa->options.mss, 1460);
    EXPECT_TRUE(sa->options.sack_permitted);
    EXPECT_TRUE(sa->options.has_window_scale);
    EXPECT_EQ(sa->options.window_scale, 0);
    EXPECT_TRUE(sa->options.has_timestamp);
    EXPECT_EQ(sa->options.ts_ecr, 100u);
    // Not accepted yet: accept() would block; the listener has no event.
    EXPECT_EQ(tcp::accept(*stack, listener, &EventLog::callback, &log),
              -static_cast<SocketHandle>(SocketError::WouldBlock));
    EXPECT_TRUE(log.events.empty());

    In ack;
    ack.seq = 5001;
    ack.ack = sa->seq + 1;
    ack.flags = F::ack;
    ack.window = 100; // scaled by 8
    ack.options = ts(101, sa->options.ts_val);
    inject(ack);
    EXPECT_FALSE(next());
    ASSERT_EQ(log.events.size(), 1u);
    EXPECT_EQ(log.events[0].socket, listener);
    EXPECT_EQ(log.events[0].event, SocketEvent::Readable);
    SocketHandle h = tcp::accept(*stack, listener, &EventLog::callback, &log);
    ASSERT_GE(h, 0);
    const tcp::Tcb& t = tcb(h);
    EXPECT_EQ(t.state, TcpState::Established);
    EXPECT_EQ(t.snd_wnd, 800u);
    EXPECT_EQ(t.snd_wscale, 3);
    EXPECT_EQ(t.peer_mss, 1200);
    EXPECT_EQ(tcp::detail::smss(t), 1188u);
    IpAddr addr;
    std::uint16_t port = 0;
    ASSERT_EQ(tcp::remote_endpoint(*stack, h, addr, port), SocketError::Ok);
    EXPECT_EQ(addr, peer);
    EXPECT_EQ(port, 40000);
    ASSERT_EQ(tcp::local_endpoint(*stack, h, addr, port), SocketError::Ok);
    EXPECT_EQ(addr, us);
    EXPECT_EQ(port, 80);
    EXPECT_EQ(log.events.size(), 1u); // no Connected for an accepted socket
}

TEST_F(RawTcp, PassiveOpenWithoutOptionsAnswersMssOnly) {
    listen_on(80, 4);
    In syn;
    syn.seq = 77;
    syn.flags = F::syn;
    inject(syn);
    auto sa = next();
    ASSERT_TRUE(sa);
    EXPECT_EQ(sa->header_len, 24u);
    EXPECT_EQ(sa->option_bytes, (ByteVec{2, 4, 0x05, 0xb4}));
}

TEST_F(RawTcp, MaxSegmentOptionBoundsTheAnnouncedMss) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::set_option(*stack, h, SocketOption::MaxSegment, 1000), SocketError::Ok);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    auto syn = next();
    ASSERT_TRUE(syn);
    EXPECT_EQ(syn->options.mss, 1000);
}

TEST_F(RawTcp, SynWithDataIsQueuedAndAcknowledged) {
    SocketHandle listener = listen_on(80, 4);
    In syn;
    syn.seq = 100;
    syn.flags = F::syn;
    syn.data = text("hello");
    inject(syn);
    auto sa = next();
    ASSERT_TRUE(sa);
    EXPECT_EQ(sa->ack, 106u);
    In ack;
    ack.seq = 106;
    ack.ack = sa->seq + 1;
    ack.flags = F::ack;
    inject(ack);
    SocketHandle h = tcp::accept(*stack, listener, &EventLog::callback, &log);
    ASSERT_GE(h, 0);
    EXPECT_TRUE(log.has(SocketEvent::Readable));
    std::array<std::uint8_t, 16> buf{};
    std::size_t n = 0;
    bool eof = false;
    ASSERT_EQ(tcp::read(*stack, h, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_EQ(ByteVec(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), text("hello"));
}

// ---------------------------------------------------------------------------------------------------------
// Simultaneous open (RFC 9293 3.5 figure 8)

TEST_F(RawTcp, SimultaneousOpen) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::bind(*stack, h, Ipv4Addr{}, 5555), SocketError::Ok);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 6666), SocketError::Ok);
    auto syn = next();
    ASSERT_TRUE(syn);
    // The peer's own SYN crosses ours.
    In psyn = syn_from(6666, 5555, 300);
    inject(psyn);
    auto sa = next();
    ASSERT_TRUE(sa);
    EXPECT_EQ(sa->flags, F::syn | F::ack);
    EXPECT_EQ(sa->seq, syn->seq); // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
    EXPECT_EQ(sa->ack, 301u);
    EXPECT_EQ(tcb(h).state, TcpState::SynReceived);
    EXPECT_TRUE(log.events.empty());
    // The peer's SYN,ACK: ESTABLISHED, and an ACK (figure 8 line 7).
    In psa = psyn;
    psa.flags = F::syn | F::ack;
    psa.ack = syn->seq + 1;
    inject(psa);
    EXPECT_EQ(tcb(h).state, TcpState::Established);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->flags, F::ack);
    EXPECT_EQ(ack->seq, syn->seq + 1);
    EXPECT_EQ(ack->ack, 301u);
    ASSERT_EQ(log.events.size(), 1u);
    EXPECT_EQ(log.events[0].event, SocketEvent::Connected);
    EXPECT_EQ(drops(Drop::ChallengeAck), 0u);
}

// ---------------------------------------------------------------------------------------------------------
// RFC 9293 3.10.7.1: CLOSED, and RSTs

TEST_F(RawTcp, SynToClosedPortIsAnsweredWithRstAck) {
    In syn;
    syn.dport = 81;
    syn.seq = 1000;
    syn.flags = F::syn;
    inject(syn);
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst | F::ack); // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    EXPECT_EQ(rst->seq, 0u);
    EXPECT_EQ(rst->ack, 1001u);
    EXPECT_EQ(rst->sport, 81);
    EXPECT_EQ(rst->dport, 40000);
    EXPECT_EQ(rst->window, 0);
    EXPECT_TRUE(rst->checksum_ok);
    EXPECT_EQ(drops(Drop::NoSocket), 1u);
    EXPECT_FALSE(next());
}

TEST_F(RawTcp, RstAckCountsSynFinAndData) {
    In seg;
    seg.dport = 81;
    seg.seq = 10;
    seg.flags = F::fin;
    seg.data = text("abc");
    inject(seg);
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst | F::ack);
    EXPECT_EQ(rst->ack, 14u); // 3 bytes + FIN
}

TEST_F(RawTcp, AckToClosedPortIsAnsweredWithRstAtSegAck) {
    In seg;
    seg.dport = 81;
    seg.seq = 5;
    seg.ack = 77777;
    seg.flags = F::ack;
    seg.data = text("x");
    inject(seg);
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst); // <SEQ=SEG.ACK><CTL=RST>
    EXPECT_EQ(rst->seq, 77777u);
    EXPECT_EQ(rst->ack, 0u);
}

TEST_F(RawTcp, NoRstInAnswerToRst) {
    In seg;
    seg.dport = 81;
    seg.seq = 5;
    seg.flags = F::rst;
    inject(seg);
    seg.flags = F::rst | F::ack;
    seg.ack = 99;
    inject(seg);
    EXPECT_FALSE(next());
    EXPECT_EQ(drops(Drop::NoSocket), 2u);
}

TEST_F(RawTcp, ListenerAnswersAckWithRstAndIgnoresRst) {
    SocketHandle listener = listen_on(80, 4);
    In seg;
    seg.seq = 5;
    seg.ack = 4242;
    seg.flags = F::ack;
    inject(seg);
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst);
    EXPECT_EQ(rst->seq, 4242u);
    EXPECT_EQ(drops(Drop::BadAck), 1u);
    seg.flags = F::rst;
    inject(seg);
    EXPECT_FALSE(next());
    EXPECT_EQ(drops(Drop::InvalidState), 1u);
    seg.flags = F::syn | F::fin;
    inject(seg);
    EXPECT_FALSE(next());
    EXPECT_EQ(drops(Drop::BadFlags), 1u);
    EXPECT_EQ(tcb(listener).state, TcpState::Listen);
}

TEST_F(RawTcp, SynSentRejectsBadAckWithRstAndTakesRstOnlyWithGoodAck) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    auto syn = next();
    ASSERT_TRUE(syn);
    In seg;
    seg.sport = 80;
    seg.dport = syn->sport;
    seg.seq = 1;
    seg.ack = syn->seq + 5; // acknowledges something never sent
    seg.flags = F::syn | F::ack;
    inject(seg);
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst);
    EXPECT_EQ(rst->seq, syn->seq + 5);
    EXPECT_EQ(tcb(h).state, TcpState::SynSent);
    // RST without ACK: dropped (RFC 9293 3.10.7.3 second / RFC 5961 3).
    seg.flags = F::rst;
    seg.ack = 0;
    inject(seg);
    EXPECT_EQ(tcb(h).state, TcpState::SynSent);
    EXPECT_FALSE(next());
    // RST acknowledging our SYN: refused.
    seg.flags = F::rst | F::ack;
    seg.ack = syn->seq + 1;
    inject(seg);
    EXPECT_EQ(tcb(h).state, TcpState::Closed);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::ConnectionRefused));
    EXPECT_FALSE(next());
}

// ---------------------------------------------------------------------------------------------------------
// RFC 5961: challenge ACKs, ACK validation

TEST_F(RawTcp, InWindowRstThatIsNotExactGetsChallengeAck) {
    Conn c = active_open();
    In rst = from_peer(c, F::rst);
    rst.seq = c.snd + 100;
    inject(rst);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->flags, F::ack);
    EXPECT_EQ(ack->seq, c.rcv);
    EXPECT_EQ(ack->ack, c.snd);
    EXPECT_EQ(drops(Drop::ChallengeAck), 1u);
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
    // Out of the window: silently dropped.
    rst.seq = c.snd + 100000;
    inject(rst);
    EXPECT_FALSE(next());
    EXPECT_EQ(drops(Drop::OutOfWindow), 1u);
    // Exactly RCV.NXT: reset.
    rst.seq = c.snd;
    inject(rst);
    EXPECT_FALSE(next());
    EXPECT_EQ(tcb(c.handle).state, TcpState::Closed);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::ConnectionReset));
    std::array<std::uint8_t, 4> buf{};
    std::size_t n = 0;
    bool eof = false;
    EXPECT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data(), buf.size()}, n, eof),
              SocketError::ConnectionReset);
    std::size_t written = 0;
    EXPECT_EQ(tcp::write(*stack, c.handle, Bytes{buf.data(), 1}, written), SocketError::ConnectionReset);
}

TEST_F(RawTcp, SynInEstablishedGetsChallengeAck) {
    Conn c = active_open();
    In syn = from_peer(c, F::syn);
    syn.seq = c.snd + 10;
    inject(syn);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->flags, F::ack);
    EXPECT_EQ(ack->ack, c.snd);
    // Out of the window, too (RFC 5961 4.2: "irrespective of the sequence number").
    syn.seq = c.snd - 100000;
    inject(syn);
    ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd);
    EXPECT_EQ(drops(Drop::ChallengeAck), 2u);
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
}

TEST_F(RawTcp, ChallengeAcksAreRateLimitedPerStack) {
    Conn c = active_open();
    In rst = from_peer(c, F::rst);
    rst.seq = c.snd + 1;
    for (int i = 0; i < 13; ++i)
        inject(rst);
    int acks = 0;
    while (next())
        ++acks;
    EXPECT_EQ(acks, 10);
    EXPECT_EQ(drops(Drop::ChallengeAck), 10u);
    EXPECT_EQ(drops(Drop::RateLimited), 3u);
    advance(1000); // a new second
    inject(rst);
    EXPECT_TRUE(next());
    EXPECT_EQ(drops(Drop::ChallengeAck), 11u);
}

TEST_F(RawTcp, AckOfUnsentDataIsAnsweredAndDropped) {
    Conn c = active_open();
    In seg = from_peer(c, F::ack, text("data"));
    seg.ack = c.rcv + 10;
    inject(seg);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd); // the data was not taken
    EXPECT_EQ(drops(Drop::BadAck), 1u);
    EXPECT_EQ(tcb(c.handle).recv.readable, 0u);
}

TEST_F(RawTcp, TooOldAckGetsChallengeAck) {
    Conn c = active_open({}, 1000); // MAX.SND.WND = 1000
    In seg = from_peer(c, F::ack, text("data"));
    seg.ack = c.rcv - 1001;
    inject(seg);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd);
    EXPECT_EQ(drops(Drop::ChallengeAck), 1u);
    EXPECT_EQ(tcb(c.handle).recv.readable, 0u);
    // Old but within MAX.SND.WND: the ACK is ignored, the data taken.
    seg.ack = c.rcv - 1000;
    inject(seg);
    EXPECT_EQ(tcb(c.handle).recv.readable, 4u);
}

// ---------------------------------------------------------------------------------------------------------
// RFC 9293 3.10.7.4 first: acceptability and trimming

TEST_F(RawTcp, UnacceptableSegmentsAreAckedAndCounted) {
    Conn c = active_open();
    In seg = from_peer(c, F::ack, text("late"));
    seg.seq = c.snd + 20000; // beyond the 16384-byte window
    inject(seg);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd);
    seg.seq = c.snd - 10; // entirely old
    inject(seg);
    ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd);
    EXPECT_EQ(drops(Drop::OutOfWindow), 2u);
    EXPECT_EQ(tcb(c.handle).recv.readable, 0u);
}

TEST_F(RawTcp, PartlyOldSegmentIsTrimmed) {
    Conn c = active_open();
    inject(from_peer(c, F::ack, text("abc")));
    c.snd += 3;
    In seg = from_peer(c, F::ack | F::psh, text("bcdef"));
    seg.seq = c.snd - 2;
    inject(seg);
    std::array<std::uint8_t, 16> buf{};
    std::size_t n = 0;
    bool eof = false;
    ASSERT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_EQ(ByteVec(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), text("abcdef"));
}

TEST_F(RawTcp, SegmentBeyondWindowIsTrimmedAndLosesItsFin) {
    Conn c;
    {
        SocketHandle s = tcp::open(*stack, &EventLog::callback, &log);
        ASSERT_EQ(tcp::set_option(*stack, s, SocketOption::RecvBuffer, 10), SocketError::Ok);
        ASSERT_EQ(tcp::connect(*stack, s, peer, 80), SocketError::Ok);
        auto syn = next();
        ASSERT_TRUE(syn);
        EXPECT_EQ(syn->window, 10);
        In sa;
        sa.sport = 80;
        sa.dport = syn->sport;
        sa.seq = 100;
        sa.ack = syn->seq + 1;
        sa.flags = F::syn | F::ack;
        inject(sa);
        next();
        c.handle = s;
        c.local_port = syn->sport;
        c.snd = 101;
        c.rcv = syn->seq + 1;
    }
    inject(from_peer(c, F::ack | F::fin, text("0123456789ABCDEF")));
    EXPECT_EQ(tcb(c.handle).recv.readable, 10u);
    EXPECT_FALSE(tcb(c.handle).fin_received);
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
}

TEST_F(RawTcp, ZeroWindowStillTakesAckAndAnswersProbes) {
    Conn c = active_open_with(SocketOption::RecvBuffer, 100, 100);
    SocketHandle s = c.handle;
    inject(from_peer(c, F::ack, ByteVec(100, 'x')));
    c.snd += 100;
    advance(200);
    auto ack = next(); // delayed ACK, window 0
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd);
    EXPECT_EQ(ack->window, 0);
    // A one-byte probe: not taken, answered with an ACK showing the zero window.
    inject(from_peer(c, F::ack, text("p")));
    ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd);
    EXPECT_EQ(ack->window, 0);
    EXPECT_EQ(drops(Drop::OutOfWindow), 1u);
    // Reading opens the window: a window update goes out at once.
    std::array<std::uint8_t, 100> buf{};
    std::size_t n = 0;
    bool eof = false;
    ASSERT_EQ(tcp::read(*stack, s, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_EQ(n, 100u);
    auto update = next();
    ASSERT_TRUE(update);
    EXPECT_EQ(update->ack, c.snd);
    EXPECT_EQ(update->window, 100);
}

// ---------------------------------------------------------------------------------------------------------
// Closing (RFC 9293 3.6): both sides, simultaneous, TIME-WAIT

TEST_F(RawTcp, ActiveCloseGoesThroughFinWaitToTimeWaitForTwoMsl) {
    Conn c = active_open();
    ASSERT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    auto fin = next();
    ASSERT_TRUE(fin);
    EXPECT_EQ(fin->flags, F::fin | F::ack);
    EXPECT_EQ(fin->seq, c.rcv);
    EXPECT_EQ(tcb(c.handle).state, TcpState::FinWait1);
    std::size_t none = 0;
    EXPECT_EQ(tcp::write(*stack, c.handle, Bytes{}, none), SocketError::Invalid); // the handle is gone
    In ack = from_peer(c, F::ack);
    ack.ack = c.rcv + 1;
    inject(ack);
    EXPECT_EQ(tcb(c.handle).state, TcpState::FinWait2);
    inject(from_peer(c, F::ack | F::fin));
    auto last = next();
    ASSERT_TRUE(last);
    EXPECT_EQ(last->flags, F::ack);
    EXPECT_EQ(last->ack, c.snd + 1);
    EXPECT_EQ(tcb(c.handle).state, TcpState::TimeWait);
    ASSERT_EQ(log.count(SocketEvent::Closed), 1);
    // A retransmitted FIN restarts the 2 MSL wait (and is ACKed again).
    advance(30000);
    In again = from_peer(c, F::ack | F::fin);
    again.ack = c.rcv + 1;
    inject(again);
    auto reack = next();
    ASSERT_TRUE(reack);
    EXPECT_EQ(reack->ack, c.snd + 1);
    advance(2 * config::tcp_msl_ms - 1);
    EXPECT_TRUE(tcb(c.handle).in_use);
    EXPECT_EQ(tcb(c.handle).state, TcpState::TimeWait);
    advance(1);
    EXPECT_FALSE(tcb(c.handle).in_use);
    EXPECT_EQ(log.count(SocketEvent::Closed), 1);
}

TEST_F(RawTcp, PassiveCloseGoesThroughCloseWaitAndLastAck) {
    Conn c = passive_open();
    inject(from_peer(c, F::ack | F::fin, text("bye")));
    EXPECT_EQ(tcb(c.handle).state, TcpState::CloseWait);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd + 4); // at once: a FIN is ACKed without delay
    EXPECT_TRUE(log.has(SocketEvent::Readable));
    EXPECT_TRUE(log.has(SocketEvent::PeerClosed));
    std::array<std::uint8_t, 8> buf{};
    std::size_t n = 0;
    bool eof = false;
    ASSERT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_EQ(n, 3u);
    EXPECT_FALSE(eof);
    ASSERT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_EQ(n, 0u);
    EXPECT_TRUE(eof);
    // The application may still send in CLOSE-WAIT.
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{buf.data(), 2}, written), SocketError::Ok);
    ASSERT_TRUE(next());
    ASSERT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    auto fin = next();
    ASSERT_TRUE(fin);
    EXPECT_EQ(fin->flags, F::fin | F::ack);
    EXPECT_EQ(fin->seq, c.rcv + 2);
    EXPECT_EQ(tcb(c.handle).state, TcpState::LastAck);
    c.snd += 4;
    In last = from_peer(c, F::ack);
    last.ack = c.rcv + 3;
    inject(last);
    EXPECT_FALSE(tcb(c.handle).in_use); // CLOSED, TCB deleted
    EXPECT_EQ(log.count(SocketEvent::Closed), 1);
}

TEST_F(RawTcp, SimultaneousCloseEndsInTimeWait) {
    Conn c = active_open();
    ASSERT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    auto fin = next();
    ASSERT_TRUE(fin);
    // The peer's FIN crosses ours (it does not acknowledge our FIN).
    inject(from_peer(c, F::ack | F::fin));
    EXPECT_EQ(tcb(c.handle).state, TcpState::Closing);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd + 1);
    In fin_ack = from_peer(c, F::ack);
    fin_ack.seq = c.snd + 1;
    fin_ack.ack = c.rcv + 1;
    inject(fin_ack);
    EXPECT_EQ(tcb(c.handle).state, TcpState::TimeWait);
    advance(2 * config::tcp_msl_ms);
    EXPECT_FALSE(tcb(c.handle).in_use);
}

TEST_F(RawTcp, FinAfterOutOfOrderDataWaitsForTheHole) {
    Conn c = active_open();
    In late = from_peer(c, F::ack | F::fin, text("world"));
    late.seq = c.snd + 6;
    inject(late);
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
    EXPECT_FALSE(log.has(SocketEvent::PeerClosed));
    ASSERT_TRUE(next()); // duplicate ACK
    inject(from_peer(c, F::ack, text("hello ")));
    EXPECT_EQ(tcb(c.handle).state, TcpState::CloseWait);
    EXPECT_TRUE(log.has(SocketEvent::PeerClosed));
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd + 12);
    std::array<std::uint8_t, 16> buf{};
    std::size_t n = 0;
    bool eof = false;
    ASSERT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_EQ(ByteVec(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), text("hello world"));
}

TEST_F(RawTcp, DataAfterCloseIsAnsweredWithRst) {
    Conn c = active_open();
    ASSERT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    ASSERT_TRUE(next()); // FIN
    inject(from_peer(c, F::ack, text("more")));
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst);
    EXPECT_EQ(rst->seq, c.rcv + 1);
    EXPECT_EQ(drops(Drop::InvalidState), 1u);
    EXPECT_FALSE(tcb(c.handle).in_use);
}

TEST_F(RawTcp, CloseWithUnreadDataResets) {
    Conn c = active_open();
    inject(from_peer(c, F::ack, text("unread")));
    ASSERT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst);
    EXPECT_FALSE(tcb(c.handle).in_use);
    EXPECT_EQ(log.count(SocketEvent::Closed), 1);
}

TEST_F(RawTcp, LingerZeroAborts) {
    Conn c = active_open();
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::Linger, 0), SocketError::Ok);
    ASSERT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst);
    EXPECT_EQ(rst->seq, c.rcv);
    EXPECT_FALSE(tcb(c.handle).in_use);
}

TEST_F(RawTcp, AbortSendsRstAndFreesAtOnce) {
    Conn c = active_open();
    ASSERT_EQ(tcp::abort(*stack, c.handle), SocketError::Ok);
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst);
    EXPECT_FALSE(tcb(c.handle).in_use);
    EXPECT_EQ(log.count(SocketEvent::Closed), 0);
    EXPECT_EQ(tcp::abort(*stack, c.handle), SocketError::Invalid);
}

TEST_F(RawTcp, ShutdownWriteThenPeerFinReachesTimeWait) {
    Conn c = active_open();
    ASSERT_EQ(tcp::shutdown_write(*stack, c.handle), SocketError::Ok);
    auto fin = next();
    ASSERT_TRUE(fin);
    EXPECT_TRUE(fin->has(F::fin));
    In fin_ack = from_peer(c, F::ack | F::fin, text("tail"));
    fin_ack.ack = c.rcv + 1;
    inject(fin_ack);
    EXPECT_EQ(tcb(c.handle).state, TcpState::TimeWait);
    EXPECT_EQ(log.count(SocketEvent::Closed), 0); // not closed by the application: it can still read
    std::array<std::uint8_t, 8> buf{};
    std::size_t n = 0;
    bool eof = false;
    ASSERT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_EQ(n, 4u);
    advance(2 * config::tcp_msl_ms);
    EXPECT_EQ(tcb(c.handle).state, TcpState::Closed);
    ASSERT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_TRUE(eof);
    EXPECT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    EXPECT_FALSE(tcb(c.handle).in_use);
}

TEST_F(RawTcp, WritesBeforeEstablishedAreSentAfterTheHandshake) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    auto syn = next();
    ASSERT_TRUE(syn);
    std::size_t written = 0;
    ByteVec data = text("early");
    ASSERT_EQ(tcp::write(*stack, h, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    EXPECT_EQ(written, 5u);
    EXPECT_FALSE(next());
    In sa;
    sa.sport = 80;
    sa.dport = syn->sport;
    sa.seq = 1;
    sa.ack = syn->seq + 1;
    sa.flags = F::syn | F::ack;
    inject(sa);
    auto d = next();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->data, data); // the data carries the ACK of the SYN
    EXPECT_EQ(d->ack, 2u);
    EXPECT_FALSE(next());
}

// ---------------------------------------------------------------------------------------------------------
// Urgent data (RFC 9293 3.8.5, RFC 6093)

TEST_F(RawTcp, UrgentPointerPointsAfterTheUrgentData) {
    Conn c = active_open();
    std::size_t written = 0;
    ByteVec normal = text("abc");
    ByteVec urgent = text("XY");
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{normal.data(), normal.size()}, written), SocketError::Ok);
    ASSERT_TRUE(next());
    ASSERT_EQ(tcp::write_urgent(*stack, c.handle, Bytes{urgent.data(), urgent.size()}, written),
              SocketError::Ok);
    auto u = next(); // urgent data is not held by Nagle
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->has(F::urg));
    EXPECT_EQ(u->seq, c.rcv + 3);
    EXPECT_EQ(u->urgent, 2); // SEG.SEQ + 2 = the byte after 'Y'
    EXPECT_EQ(u->data, urgent);
}

TEST_F(RawTcp, ReceivedUrgentDataStaysInlineAndIsReported) {
    Conn c = active_open();
    In seg = from_peer(c, F::ack | F::urg, text("!!hello"));
    seg.urgent = 2;
    inject(seg);
    EXPECT_TRUE(log.has(SocketEvent::Readable));
    bool pending = false;
    std::size_t urgent_bytes = 0;
    ASSERT_EQ(tcp::urgent_state(*stack, c.handle, pending, urgent_bytes), SocketError::Ok);
    EXPECT_TRUE(pending);
    EXPECT_EQ(urgent_bytes, 2u);
    int value = 0;
    ASSERT_EQ(tcp::get_option(*stack, c.handle, SocketOption::UrgentPending, value), SocketError::Ok);
    EXPECT_EQ(value, 2);
    std::array<std::uint8_t, 16> buf{};
    std::size_t n = 0;
    bool eof = false;
    ASSERT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data(), 1}, n, eof), SocketError::Ok);
    ASSERT_EQ(tcp::urgent_state(*stack, c.handle, pending, urgent_bytes), SocketError::Ok);
    EXPECT_TRUE(pending);
    EXPECT_EQ(urgent_bytes, 1u);
    ASSERT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data() + 1, buf.size() - 1}, n, eof), SocketError::Ok);
    EXPECT_EQ(n, 6u);
    EXPECT_EQ(ByteVec(buf.begin(), buf.begin() + 7), text("!!hello")); // nothing lost, in order
    ASSERT_EQ(tcp::urgent_state(*stack, c.handle, pending, urgent_bytes), SocketError::Ok);
    EXPECT_FALSE(pending);
}

// ---------------------------------------------------------------------------------------------------------
// Events and re-entrancy

struct Reentrant {
    Stack* stack = nullptr;
    EventLog log;
    bool close_on_readable = false;
    bool abort_on_connected = false;
    bool open_on_closed = false;
    SocketHandle reopened = -1;
    static void callback(void* context, SocketHandle h, SocketEvent e, SocketError err) {
        auto* r = static_cast<Reentrant*>(context);
        r->log.events.push_back({h, e, err});
        if (e == SocketEvent::Readable && r->close_on_readable) {
            EXPECT_EQ(tcp::close(*r->stack, h), SocketError::Ok);
        }
        if (e == SocketEvent::Connected && r->abort_on_connected) {
            EXPECT_EQ(tcp::abort(*r->stack, h), SocketError::Ok);
        }
        if (e == SocketEvent::Closed && r->open_on_closed) r->reopened = tcp::open(*r->stack, &callback, r);
    }
};

TEST_F(RawTcp, CloseFromTheReadableCallbackIsSafe) {
    Reentrant r;
    r.stack = stack.get();
    r.close_on_readable = true;
    r.open_on_closed = true;
    Conn c = active_open();
    ASSERT_EQ(tcp::set_callback(*stack, c.handle, &Reentrant::callback, &r), SocketError::Ok);
    inject(from_peer(c, F::ack | F::fin, text("data")));
    // Readable -> close() with unread data -> RST; then PeerClosed is not delivered (closed), Closed is,
    // once; the callback opens a new socket from Closed (the old slot is freed only after the event).
    ASSERT_EQ(r.log.events.size(), 2u);
    EXPECT_EQ(r.log.events[0].event, SocketEvent::Readable);
    EXPECT_EQ(r.log.events[1].event, SocketEvent::Closed);
    ASSERT_GE(r.reopened, 0);
    EXPECT_NE(r.reopened, c.handle);
    EXPECT_FALSE(tcb(c.handle).in_use);
    EXPECT_EQ(tcb(r.reopened).state, TcpState::Closed);
    bool rst = false;
    while (auto o = next())
        rst = rst || o->has(F::rst);
    EXPECT_TRUE(rst);
    EXPECT_EQ(tcp::close(*stack, r.reopened), SocketError::Ok);
}

TEST_F(RawTcp, AbortFromTheConnectedCallbackIsSafe) {
    Reentrant r;
    r.stack = stack.get();
    r.abort_on_connected = true;
    SocketHandle h = tcp::open(*stack, &Reentrant::callback, &r);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    auto syn = next();
    ASSERT_TRUE(syn);
    In sa;
    sa.sport = 80;
    sa.dport = syn->sport;
    sa.seq = 1;
    sa.ack = syn->seq + 1;
    sa.flags = F::syn | F::ack;
    sa.data = text("x");
    inject(sa);
    ASSERT_EQ(r.log.events.size(), 1u); // Readable was pending too, but the socket is gone
    EXPECT_EQ(r.log.events[0].event, SocketEvent::Connected);
    EXPECT_FALSE(tcb(h).in_use);
}

TEST_F(RawTcp, WritableAfterTheSendBufferWasFull) {
    Conn c = active_open();
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::SendBuffer, 1000), SocketError::Ok);
    ByteVec data(1500, 'q');
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    EXPECT_EQ(written, 1000u);
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written),
              SocketError::WouldBlock);
    int space = -1;
    ASSERT_EQ(tcp::get_option(*stack, c.handle, SocketOption::SendSpace, space), SocketError::Ok);
    EXPECT_EQ(space, 0);
    EXPECT_FALSE(log.has(SocketEvent::Writable));
    In ack = from_peer(c, F::ack);
    ack.ack = c.rcv + 536;
    inject(ack);
    EXPECT_EQ(log.count(SocketEvent::Writable), 1);
    ASSERT_EQ(tcp::get_option(*stack, c.handle, SocketOption::SendSpace, space), SocketError::Ok);
    EXPECT_EQ(space, 536);
    ASSERT_EQ(tcp::get_option(*stack, c.handle, SocketOption::TxQueue, space), SocketError::Ok);
    EXPECT_EQ(space, 464);
}

// ---------------------------------------------------------------------------------------------------------
// ICMP errors (RFC 1122 4.2.3.9, RFC 5927, RFC 1191)

ByteVec icmp_error(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const ByteVec& quoted_datagram,
                   Ipv4Addr to) {
    ByteVec m(8, 0);
    m[0] = type;
    m[1] = code;
    store_be32(m.data() + 4, rest);
    const std::size_t quote = std::min<std::size_t>(quoted_datagram.size(), 28);
    m.insert(m.end(), quoted_datagram.begin(), quoted_datagram.begin() + static_cast<std::ptrdiff_t>(quote));
    const std::uint16_t c = ref_checksum(m);
    m[2] = static_cast<std::uint8_t>(c >> 8);
    m[3] = static_cast<std::uint8_t>(c);
    return ip_datagram(Ipv4Addr::from_octets(198, 18, 0, 254), to, 1, m);
}

TEST_F(RawTcp, PortUnreachableInSynSentRefusesTheConnection) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    ASSERT_TRUE(next());
    inject_raw_ip(icmp_error(3, 3, 0, last_raw, us));
    EXPECT_EQ(tcb(h).state, TcpState::Closed);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::ConnectionRefused));
}

TEST_F(RawTcp, HostUnreachableIsSoftAndReportedWhenTheSynTimesOut) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    ASSERT_TRUE(next());
    inject_raw_ip(icmp_error(3, 1, 0, last_raw, us));
    EXPECT_EQ(tcb(h).state, TcpState::SynSent);
    EXPECT_TRUE(log.events.empty());
    advance(183000);
    EXPECT_EQ(tcb(h).state, TcpState::Closed);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::Unreachable));
}

TEST_F(RawTcp, SoftErrorsDoNotAbortEstablishedConnections) {
    Conn c = active_open();
    std::size_t written = 0;
    ByteVec data(100, 'e');
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    ASSERT_TRUE(next());
    for (std::uint8_t code : {0, 1, 5, 6, 7, 11, 12, 13})
        inject_raw_ip(icmp_error(3, code, 0, last_raw, us));
    inject_raw_ip(icmp_error(11, 0, 0, last_raw, us));
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
    EXPECT_EQ(tcb(c.handle).soft_error, SocketError::Unreachable);
    SocketError soft = SocketError::Ok;
    ASSERT_EQ(tcp::soft_error(*stack, c.handle, soft), SocketError::Ok);
    EXPECT_EQ(soft, SocketError::Unreachable);
    EXPECT_EQ(log.events.size(), 1u); // Connected only
    // Source quench: ignored (RFC 6633).
    inject_raw_ip(icmp_error(4, 0, 0, last_raw, us));
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
}

TEST_F(RawTcp, PortUnreachableAbortsAnEstablishedConnection) {
    Conn c = active_open();
    std::size_t written = 0;
    ByteVec data(100, 'e');
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    ASSERT_TRUE(next());
    inject_raw_ip(icmp_error(3, 3, 0, last_raw, us)); // hard error (RFC 9293 SHLD-26)
    EXPECT_EQ(tcb(c.handle).state, TcpState::Closed);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::Unreachable));
    advance(3000);
    EXPECT_FALSE(next()); // nothing retransmitted
}

TEST_F(RawTcp, IcmpQuotingASequenceNumberNotInFlightIsIgnored) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    ASSERT_TRUE(next());
    ByteVec forged = last_raw;
    forged[20 + 4] ^= 0x40; // another sequence number
    inject_raw_ip(icmp_error(3, 3, 0, forged, us));
    EXPECT_EQ(tcb(h).state, TcpState::SynSent);
    EXPECT_EQ(drops(Drop::OutOfWindow), 1u);
    ByteVec other_port = last_raw;
    other_port[20 + 1] ^= 0x01;
    inject_raw_ip(icmp_error(3, 3, 0, other_port, us));
    EXPECT_EQ(drops(Drop::NoSocket), 1u);
    EXPECT_EQ(tcb(h).state, TcpState::SynSent);
}

TEST_F(RawTcp, FragmentationNeededLowersTheMss) {
    Conn c = active_open(wire::tcp::Options{.has_mss = true, .mss = 1460});
    ByteVec data(3000, 'm');
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    auto big = next();
    ASSERT_TRUE(big);
    EXPECT_EQ(big->data.size(), 1460u);
    drain();
    inject_raw_ip(icmp_error(3, 4, 1000, last_raw, us)); // next-hop MTU 1000
    EXPECT_EQ(tcb(c.handle).path_mss, 960);
    auto again = next();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->seq, c.rcv);
    EXPECT_EQ(again->data.size(), 960u);
    // An MTU below 68 is not believed (RFC 1191 3: 68 is the least every path carries).
    inject_raw_ip(icmp_error(3, 4, 60, last_raw, us));
    EXPECT_EQ(tcb(c.handle).path_mss, 960);
}

// ---------------------------------------------------------------------------------------------------------
// Listening: backlog, half-open limit, SYN flood

TEST_F(RawTcp, SynFloodNeverExhaustsThePoolAndALegitimateClientGetsThrough) {
    SocketHandle listener = listen_on(80, 4);
    auto in_use = [&] {
        std::size_t n = 0;
        for (const auto& t : tcp_state().tcbs)
            n += t.in_use ? 1 : 0;
        return n;
    };
    In syn;
    syn.flags = F::syn;
    for (std::uint16_t i = 0; i < 200; ++i) {
        syn.sport = static_cast<std::uint16_t>(1000 + i);
        syn.seq = 1000u * i;
        inject(syn);
        EXPECT_LE(in_use(), 1 + config::tcp_half_open);
    }
    drain();
    EXPECT_EQ(tcp_state().syn_evictions, 200u - config::tcp_half_open);
    EXPECT_EQ(drops(Drop::PoolExhausted), 0u);
    // Other sockets can still be opened.
    SocketHandle other = tcp::open(*stack, &EventLog::callback, &log);
    EXPECT_GE(other, 0);
    tcp::close(*stack, other);
    // A legitimate client, while the flood goes on (fewer than tcp_half_open flood SYNs between its SYN
    // and its ACK).
    In legit;
    legit.sport = 5000;
    legit.seq = 42;
    legit.flags = F::syn;
    inject(legit);
    auto sa = next();
    ASSERT_TRUE(sa);
    EXPECT_EQ(sa->dport, 5000);
    for (std::uint16_t i = 0; i < config::tcp_half_open - 1; ++i) {
        syn.sport = static_cast<std::uint16_t>(3000 + i);
        inject(syn);
    }
    legit.seq = 43;
    legit.ack = sa->seq + 1;
    legit.flags = F::ack;
    inject(legit);
    SocketHandle h = tcp::accept(*stack, listener, &EventLog::callback, &log);
    ASSERT_GE(h, 0);
    EXPECT_EQ(tcb(h).state, TcpState::Established);
    EXPECT_EQ(tcb(h).remote_port, 5000);
}

TEST_F(RawTcp, EvictionMakesRoomWhenThePoolIsFull) {
    listen_on(80, 4);
    // Fill the pool with other sockets, all but two slots.
    std::vector<SocketHandle> others;
    while (others.size() + 3 < config::tcp_sockets)
        others.push_back(tcp::open(*stack, &EventLog::callback, &log));
    In syn;
    syn.flags = F::syn;
    syn.sport = 1;
    inject(syn); // takes a slot
    syn.sport = 2;
    inject(syn); // takes the last slot
    EXPECT_EQ(tcp::open(*stack, &EventLog::callback, &log),
              -static_cast<SocketHandle>(SocketError::Exhausted));
    syn.sport = 3;
    inject(syn); // the pool is full: the oldest half-open connection (port 1) makes room
    EXPECT_EQ(tcp_state().syn_evictions, 1u);
    EXPECT_EQ(drops(Drop::PoolExhausted), 0u);
    std::vector<std::uint16_t> ports;
    for (const auto& t : tcp_state().tcbs)
        if (t.in_use && t.state == TcpState::SynReceived) ports.push_back(t.remote_port);
    EXPECT_EQ(ports.size(), 2u);
    EXPECT_EQ(std::count(ports.begin(), ports.end(), 1), 0);
    // With no half-open connection of its own to evict, a listener drops the SYN (PoolExhausted).
    SocketHandle l2 = others.back();
    ASSERT_EQ(tcp::bind(*stack, l2, Ipv4Addr{}, 81), SocketError::Ok);
    ASSERT_EQ(tcp::listen(*stack, l2, 4), SocketError::Ok);
    syn.dport = 81;
    inject(syn);
    EXPECT_EQ(drops(Drop::PoolExhausted), 1u);
}

TEST_F(RawTcp, AcceptQueueIsBoundedByTheBacklog) {
    SocketHandle listener = listen_on(80, 1);
    auto handshake = [&](std::uint16_t port) {
        In syn;
        syn.sport = port;
        syn.seq = 10;
        syn.flags = F::syn;
        inject(syn);
        auto sa = next();
        if (!sa) return std::optional<Out>{};
        In ack = syn;
        ack.seq = 11;
        ack.ack = sa->seq + 1;
        ack.flags = F::ack;
        inject(ack);
        return sa;
    };
    ASSERT_TRUE(handshake(1));
    EXPECT_FALSE(handshake(2)); // queue full: the SYN is dropped
    EXPECT_EQ(drops(Drop::QueueFull), 1u);
    SocketHandle first = tcp::accept(*stack, listener, &EventLog::callback, &log);
    ASSERT_GE(first, 0);
    EXPECT_EQ(tcb(first).remote_port, 1);
    EXPECT_TRUE(handshake(2));
    EXPECT_GE(tcp::accept(*stack, listener, &EventLog::callback, &log), 0);
}

TEST_F(RawTcp, ClosingAListenerResetsItsQueuedConnections) {
    SocketHandle listener = listen_on(80, 4);
    In syn;
    syn.seq = 10;
    syn.flags = F::syn;
    inject(syn);
    auto sa = next();
    ASSERT_TRUE(sa);
    In ack = syn;
    ack.seq = 11;
    ack.ack = sa->seq + 1;
    ack.flags = F::ack;
    inject(ack);
    syn.sport = 40001;
    inject(syn); // half-open
    drain();
    ASSERT_EQ(tcp::close(*stack, listener), SocketError::Ok);
    auto rst = next();
    ASSERT_TRUE(rst);
    EXPECT_EQ(rst->flags, F::rst);
    EXPECT_EQ(rst->dport, 40000);
    EXPECT_FALSE(next());
    for (const auto& t : tcp_state().tcbs)
        EXPECT_FALSE(t.in_use);
}

TEST_F(RawTcp, EphemeralPortsAreDistinctAndBindConflictsAreRefused) {
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < 8; ++i) {
        SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
        ASSERT_EQ(tcp::bind(*stack, h, Ipv4Addr{}, 0), SocketError::Ok);
        IpAddr a;
        std::uint16_t p = 0;
        ASSERT_EQ(tcp::local_endpoint(*stack, h, a, p), SocketError::Ok);
        EXPECT_GE(p, 49152);
        EXPECT_EQ(std::count(ports.begin(), ports.end(), p), 0);
        ports.push_back(p);
    }
    SocketHandle x = tcp::open(*stack, &EventLog::callback, &log);
    EXPECT_EQ(tcp::bind(*stack, x, Ipv4Addr{}, ports[0]), SocketError::AddressInUse);
    EXPECT_EQ(tcp::bind(*stack, x, Ipv4Addr::from_octets(198, 18, 9, 9), 7),
              SocketError::AddressNotAvailable);
    EXPECT_EQ(tcp::bind(*stack, x, us, 7), SocketError::Ok);
}

// ---------------------------------------------------------------------------------------------------------
// Timestamps and PAWS (RFC 7323), window scaling, options that fail to parse

TEST_F(RawTcp, PawsRejectsOldTimestampsWithAnAck) {
    Conn c = active_open(ts(1000, 0));
    ASSERT_TRUE(tcb(c.handle).ts_ok);
    In seg = from_peer(c, F::ack, text("new"));
    seg.options = ts(1005, 0);
    inject(seg);
    c.snd += 3;
    EXPECT_EQ(tcb(c.handle).ts_recent, 1005u);
    seg = from_peer(c, F::ack, text("old"));
    seg.options = ts(900, 0);
    inject(seg);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd);
    EXPECT_EQ(ack->options.ts_ecr, 1005u);
    EXPECT_EQ(drops(Drop::PawsRejected), 1u);
    EXPECT_EQ(tcb(c.handle).recv.readable, 3u);
    // Without a timestamp at all: dropped (RFC 7323 3.2), but a RST needs none.
    seg.options = {};
    inject(seg);
    EXPECT_EQ(drops(Drop::MissingTimestamp), 1u);
    EXPECT_EQ(tcb(c.handle).recv.readable, 3u);
    In rst = from_peer(c, F::rst);
    inject(rst);
    EXPECT_EQ(tcb(c.handle).state, TcpState::Closed);
}

TEST_F(RawTcp, WindowScaleAppliesAfterTheHandshake) {
    wire::tcp::Options o;
    o.has_window_scale = true;
    o.window_scale = 20; // clamped to 14 (RFC 7323 2.3)
    Conn c = active_open(o, 100);
    EXPECT_EQ(tcb(c.handle).snd_wscale, 14);
    EXPECT_EQ(tcb(c.handle).snd_wnd, 100u);
    In ack = from_peer(c, F::ack);
    ack.window = 2;
    inject(ack);
    EXPECT_EQ(tcb(c.handle).snd_wnd, 2u << 14);
}

TEST_F(RawTcp, MalformedInputIsDroppedWithItsReason) {
    Conn c = active_open();
    In seg = from_peer(c, F::ack, text("zz"));
    seg.corrupt_checksum = true;
    inject(seg);
    EXPECT_EQ(drops(Drop::BadChecksum), 1u);
    // An option list with an MSS of length 3.
    ByteVec bytes = tcp_bytes(from_peer(c, F::ack));
    bytes.insert(bytes.begin() + 20, {2, 3, 5, 0});
    bytes[12] = 0x60;
    bytes[16] = bytes[17] = 0;
    {
        ByteVec pseudo(12, 0);
        store_be32(pseudo.data(), peer.value);
        store_be32(pseudo.data() + 4, us.value);
        pseudo[9] = 6;
        pseudo[11] = static_cast<std::uint8_t>(bytes.size());
        ByteVec all = pseudo;
        all.insert(all.end(), bytes.begin(), bytes.end());
        std::uint16_t sum = ref_checksum(all);
        bytes[16] = static_cast<std::uint8_t>(sum >> 8);
        bytes[17] = static_cast<std::uint8_t>(sum);
    }
    inject_raw_ip(ip_datagram(peer, us, 6, bytes));
    EXPECT_EQ(drops(Drop::BadOption), 1u);
    // Too short, and a data offset beyond the segment.
    inject_raw_ip(ip_datagram(peer, us, 6, ByteVec(10, 0)));
    EXPECT_EQ(drops(Drop::Truncated), 1u);
    ByteVec bad = tcp_bytes(from_peer(c, F::ack));
    bad[12] = 0xf0;
    inject_raw_ip(ip_datagram(peer, us, 6, bad));
    EXPECT_EQ(drops(Drop::BadHeaderLength), 1u);
    // To a (directed) broadcast address (RFC 1122 4.2.3.10).
    In bcast = from_peer(c, F::syn);
    bcast.dst = Ipv4Addr::from_octets(198, 18, 0, 255);
    inject(bcast);
    EXPECT_EQ(drops(Drop::BadAddress), 1u);
    EXPECT_FALSE(next());
    EXPECT_EQ(tcb(c.handle).recv.readable, 0u);
    EXPECT_EQ(counters().rx, 6u); // the SYN-ACK and the five above
}

// ---------------------------------------------------------------------------------------------------------
// MUST-21 (R2 set by the application), MUST-42 (listen while connecting from the port), MUST-59 (queued
// segments all processed before the ACK)

TEST_F(RawTcp, GiveUpTimeSetByTheApplication) {
    Conn c = active_open();
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::RetransmitTimeoutMs, 10000), SocketError::Ok);
    std::size_t written = 0;
    ByteVec data = text("r2");
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    ASSERT_TRUE(next());
    const TimeMs t0 = now();
    for (TimeMs due : {1000u, 3000u, 7000u}) {
        TimeMs at = 0;
        ASSERT_TRUE(wait_segment(10000, &at));
        EXPECT_EQ(at - t0, due);
    }
    advance(7999);
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
    advance(1); // t0 + 15 s: 15 s since the segment was first sent >= 10 s
    EXPECT_EQ(tcb(c.handle).state, TcpState::Closed);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::TimedOut));
}

TEST_F(RawTcp, ConnectTimeoutSetByTheApplication) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::set_option(*stack, h, SocketOption::ConnectTimeoutMs, 5000), SocketError::Ok);
    int value = 0;
    ASSERT_EQ(tcp::get_option(*stack, h, SocketOption::ConnectTimeoutMs, value), SocketError::Ok);
    EXPECT_EQ(value, 5000);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    ASSERT_TRUE(next());
    const TimeMs t0 = now();
    for (TimeMs due : {1000u, 3000u}) {
        TimeMs at = 0;
        ASSERT_TRUE(wait_segment(5000, &at));
        EXPECT_EQ(at - t0, due);
    }
    advance(3999);
    EXPECT_EQ(tcb(h).state, TcpState::SynSent);
    advance(1); // the expiry at 7 s finds R2 (5 s) passed
    EXPECT_EQ(tcb(h).state, TcpState::Closed);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::TimedOut));
    EXPECT_FALSE(next());
}

TEST_F(RawTcp, GiveUpNeverKeepsRetransmitting) {
    Conn c = active_open();
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::RetransmitTimeoutMs, -1), SocketError::Ok);
    std::size_t written = 0;
    ByteVec data = text("forever");
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    for (TimeMs i = 0; i < 60; ++i) {
        clock.advance(60000);
        stack->poll();
    }
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
    EXPECT_GE(tcb(c.handle).retransmissions, 50u);
}

TEST_F(RawTcp, ListenOnAPortWhileAConnectionFromItIsOpening) {
    SocketHandle active = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::bind(*stack, active, Ipv4Addr{}, 5555), SocketError::Ok);
    ASSERT_EQ(tcp::connect(*stack, active, peer, 80), SocketError::Ok);
    listen_on(5555, 2);
    SocketHandle third = tcp::open(*stack, &EventLog::callback, &log);
    EXPECT_EQ(tcp::bind(*stack, third, Ipv4Addr{}, 5555), SocketError::AddressInUse); // a listener has it
    // Both work: a SYN from elsewhere reaches the listener.
    drain();
    In syn = syn_from(999, 5555, 1);
    inject(syn);
    auto sa = next();
    ASSERT_TRUE(sa);
    EXPECT_EQ(sa->flags, F::syn | F::ack);
    EXPECT_EQ(tcb(active).state, TcpState::SynSent);
}

TEST_F(RawTcp, FillingAHoleAcknowledgesEveryQueuedSegmentAtOnce) {
    Conn c = active_open();
    // Three segments queued out of order (each answered by a duplicate ACK, RFC 5681 4.2)...
    for (std::uint32_t k : {3u, 2u, 1u}) {
        In seg = from_peer(c, F::ack, ByteVec(100, static_cast<std::uint8_t>('a' + k)));
        seg.seq = c.snd + 100 * k;
        inject(seg);
        auto dup = next();
        ASSERT_TRUE(dup);
        EXPECT_EQ(dup->ack, c.snd);
    }
    // ...then the one filling the hole: all are processed before the single ACK (MUST-58, MUST-59).
    inject(from_peer(c, F::ack, ByteVec(100, 'a')));
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd + 400);
    EXPECT_FALSE(next());
    EXPECT_EQ(tcb(c.handle).recv.readable, 400u);
    EXPECT_TRUE(log.has(SocketEvent::Readable));
}

} // namespace
