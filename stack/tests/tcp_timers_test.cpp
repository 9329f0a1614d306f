// TCP timers and flow control (RFC 6298 retransmission and give-up, RFC 9293 3.8.3; delayed ACK 3.8.6.3;
// Nagle 3.7.4; SWS avoidance 3.8.6.2; zero-window probing 3.8.6.1; keep-alive 3.8.4; RFC 5681/3042/6582/6675
// loss recovery), segment by segment against a peer played by the test (tcp_harness.hpp), on virtual time.
#include "tcp_harness.hpp"
#include "transport/tcp/rx.hpp"
#include "transport/tcp/tx.hpp"

using namespace pico;
using namespace pico::tcptest;
using tcp::TcpState;

namespace {

// ---------------------------------------------------------------------------------------------------------
// Retransmission (RFC 6298) and give-up (RFC 9293 3.8.3)

TEST_F(RawTcp, RttEstimatorFollowsRfc6298) {
    tcp::Tcb t;
    tcp::detail::rtt_sample(t, 2000);
    EXPECT_EQ(t.srtt_x8 / 8, 2000u);
    EXPECT_EQ(t.rttvar_x4 / 4, 1000u);
    EXPECT_EQ(t.rto_ms, 6000u); // SRTT + 4 RTTVAR
    tcp::detail::rtt_sample(t, 1000);
    EXPECT_EQ(t.srtt_x8 / 8, 1875u);   // 7/8 * 2000 + 1/8 * 1000
    EXPECT_EQ(t.rttvar_x4 / 4, 1000u); // 3/4 * 1000 + 1/4 * |2000 - 1000|
    EXPECT_EQ(t.rto_ms, 5875u);
    tcp::Tcb fast;
    tcp::detail::rtt_sample(fast, 10);
    EXPECT_EQ(fast.rto_ms, 1000u); // rounded up to 1 s (2.4)
    tcp::Tcb slow;
    tcp::detail::rtt_sample(slow, 50000);
    EXPECT_EQ(slow.rto_ms, 60000u); // at most 60 s (2.5)
}

TEST_F(RawTcp, DataIsRetransmittedWithExponentialBackoffThenTimesOut) {
    Conn c = active_open();
    std::size_t written = 0;
    ByteVec data = text("hello");
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    auto first = next();
    ASSERT_TRUE(first);
    const TimeMs t0 = now();
    const TimeMs expected[] = {1000,   3000,   7000,   15000,  31000,  63000,
                               123000, 183000, 243000, 303000, 363000, 423000};
    for (TimeMs due : expected) {
        TimeMs at = 0;
        auto again = wait_segment(70000, &at);
        ASSERT_TRUE(again) << "retransmission due at +" << due;
        EXPECT_EQ(at - t0, due);
        EXPECT_EQ(again->seq, first->seq);
        EXPECT_EQ(again->data, data);
        EXPECT_FALSE(log.has(SocketEvent::Error, SocketError::TimedOut));
    }
    EXPECT_EQ(tcb(c.handle).retransmissions, 12u);
    // The 13th expiry (60 s after the 12th retransmission) gives up: no RST, an error, CLOSED.
    advance(59999);
    EXPECT_FALSE(log.has(SocketEvent::Error, SocketError::TimedOut));
    advance(1);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::TimedOut));
    EXPECT_EQ(tcb(c.handle).state, TcpState::Closed);
    EXPECT_FALSE(next());
    EXPECT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::TimedOut);
    EXPECT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    EXPECT_FALSE(tcb(c.handle).in_use);
}

TEST_F(RawTcp, SynIsRetriedForThreeMinutesThenTimesOut) {
    SocketHandle h = tcp::open(*stack, &EventLog::callback, &log);
    ASSERT_EQ(tcp::connect(*stack, h, peer, 80), SocketError::Ok);
    auto syn = next();
    ASSERT_TRUE(syn);
    const TimeMs t0 = now();
    const TimeMs expected[] = {1000, 3000, 7000, 15000, 31000, 63000, 123000};
    for (TimeMs due : expected) {
        TimeMs at = 0;
        auto again = wait_segment(70000, &at);
        ASSERT_TRUE(again);
        EXPECT_EQ(at - t0, due);
        EXPECT_EQ(again->flags, F::syn);
        EXPECT_EQ(again->seq, syn->seq);
    }
    advance(59999);
    // R1 (3 retransmissions, at +7 s) warned the application once (SHLD-9); nothing else yet.
    ASSERT_EQ(log.events.size(), 1u);
    EXPECT_EQ(log.events[0].event, SocketEvent::Warning);
    EXPECT_EQ(log.events[0].error, SocketError::TimedOut);
    advance(1); // 183 s >= 3 minutes (MUST-23)
    ASSERT_EQ(log.events.size(), 2u);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::TimedOut));
    EXPECT_EQ(tcb(h).state, TcpState::Closed);
}

TEST_F(RawTcp, BareAcksCarrySndMaxWhileRetransmitting) {
    Conn c = active_open();
    ByteVec data(536 * 3, 'g');
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    int sent = 0;
    while (next())
        ++sent;
    ASSERT_EQ(sent, 3);
    auto rtx = wait_segment(1000); // the timeout: go back to SND.UNA, one segment (cwnd 1 SMSS)
    ASSERT_TRUE(rtx);
    EXPECT_EQ(rtx->seq, c.rcv);
    EXPECT_FALSE(next());
    // Data from the peer now: the ACK must not carry the pulled-back snd_nxt, or the peer (which holds
    // everything up to SND.MAX) would drop it as old.
    inject(from_peer(c, F::ack | F::psh, text("x")));
    advance(200);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_TRUE(ack->data.empty());
    EXPECT_EQ(ack->seq, c.rcv + 536 * 3);
}

TEST_F(RawTcp, AckRestartsTheTimerAndResetsTheRetries) {
    Conn c = active_open();
    std::size_t written = 0;
    ByteVec data(100, 'a');
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    ASSERT_TRUE(next());
    TimeMs at = 0;
    ASSERT_TRUE(wait_segment(2000, &at)); // first retransmission, RTO now 2 s
    advance(500);
    In ack = from_peer(c, F::ack);
    ack.ack = c.rcv + 100;
    inject(ack);
    EXPECT_EQ(tcb(c.handle).rto_deadline, 0u); // all acknowledged: timer stopped (RFC 6298 5.2)
    EXPECT_EQ(tcb(c.handle).retries, 0);
    // Karn: the ACK covered a retransmitted segment, so no RTT sample was taken; the backed-off RTO stays.
    EXPECT_EQ(tcb(c.handle).rto_ms, 2000u);
}

TEST_F(RawTcp, ThreeDuplicateAcksTriggerFastRetransmitAfterLimitedTransmit) {
    Conn c = active_open();
    ByteVec data(536 * 8, 'd');
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    std::vector<Out> sent;
    while (auto o = next())
        sent.push_back(*o);
    ASSERT_GE(sent.size(), 2u);
    const std::size_t initial = sent.size(); // the initial window (RFC 5681 3.1)
    EXPECT_EQ(initial * 536, tcb(c.handle).cc.cwnd());
    // The first segment is lost: every later one brings a duplicate ACK.
    In dup = from_peer(c, F::ack);
    inject(dup); // 1st: limited transmit (RFC 3042) sends one new segment
    auto lt1 = next();
    ASSERT_TRUE(lt1);
    EXPECT_EQ(lt1->seq, c.rcv + static_cast<std::uint32_t>(initial * 536));
    inject(dup); // 2nd: one more
    auto lt2 = next();
    ASSERT_TRUE(lt2);
    EXPECT_EQ(lt2->seq, lt1->seq + 536);
    inject(dup); // 3rd: fast retransmit of the first segment
    auto fr = next();
    ASSERT_TRUE(fr);
    EXPECT_EQ(fr->seq, c.rcv);
    EXPECT_EQ(fr->data.size(), 536u);
    EXPECT_TRUE(tcb(c.handle).cc.in_recovery());
    EXPECT_EQ(tcb(c.handle).retransmissions, 1u);
}

TEST_F(RawTcp, SackBlocksReportOutOfOrderDataMostRecentFirst) {
    wire::tcp::Options o;
    o.sack_permitted = true;
    Conn c = active_open(o);
    ASSERT_TRUE(tcb(c.handle).sack_ok);
    In seg = from_peer(c, F::ack, ByteVec(100, 'b'));
    seg.seq = c.snd + 100;
    inject(seg); // [100, 200) out of order: ACKed at once
    auto a1 = next();
    ASSERT_TRUE(a1);
    EXPECT_EQ(a1->ack, c.snd);
    ASSERT_EQ(a1->options.sack_count, 1);
    EXPECT_EQ(a1->options.sack[0].left, c.snd + 100);
    EXPECT_EQ(a1->options.sack[0].right, c.snd + 200);
    seg.seq = c.snd + 300;
    inject(seg); // [300, 400)
    auto a2 = next();
    ASSERT_TRUE(a2);
    ASSERT_EQ(a2->options.sack_count, 2);
    EXPECT_EQ(a2->options.sack[0].left, c.snd + 300);
    EXPECT_EQ(a2->options.sack[1].left, c.snd + 100);
    seg.seq = c.snd;
    inject(seg); // fills [0, 100): ACK at once up to 200, one block left
    auto a3 = next();
    ASSERT_TRUE(a3);
    EXPECT_EQ(a3->ack, c.snd + 200);
    ASSERT_EQ(a3->options.sack_count, 1);
    EXPECT_EQ(a3->options.sack[0].left, c.snd + 300);
    EXPECT_EQ(tcb(c.handle).recv.readable, 200u);
    seg.seq = c.snd + 200;
    inject(seg);
    auto a4 = next();
    ASSERT_TRUE(a4);
    EXPECT_EQ(a4->ack, c.snd + 400);
    EXPECT_EQ(a4->options.sack_count, 0);
    EXPECT_EQ(tcb(c.handle).recv.readable, 400u);
    std::vector<std::uint8_t> buf(400);
    std::size_t n = 0;
    bool eof = false;
    ASSERT_EQ(tcp::read(*stack, c.handle, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_EQ(n, 400u);
}

TEST_F(RawTcp, SackedDataIsNotRetransmittedInRecovery) {
    wire::tcp::Options o;
    o.sack_permitted = true;
    Conn c = active_open(o);
    ByteVec data(536 * 4, 'd');
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    while (next()) {
    }
    // Segment 1 lost; 2, 3, 4 arrive: three duplicate ACKs with growing SACK blocks.
    for (std::uint32_t k = 2; k <= 4; ++k) {
        In dup = from_peer(c, F::ack);
        dup.options.sack_count = 1;
        dup.options.sack[0] = {c.rcv + 536, c.rcv + 536 * k};
        inject(dup);
    }
    std::vector<Out> sent;
    while (auto out = next())
        sent.push_back(*out);
    ASSERT_EQ(sent.size(), 1u); // only the hole goes again
    EXPECT_EQ(sent[0].seq, c.rcv);
    EXPECT_EQ(sent[0].data.size(), 536u);
    EXPECT_TRUE(tcb(c.handle).sack_recovery);
    In full = from_peer(c, F::ack);
    full.ack = c.rcv + 536 * 4;
    inject(full);
    EXPECT_FALSE(tcb(c.handle).sack_recovery);
    EXPECT_FALSE(tcb(c.handle).cc.in_recovery());
}

// ---------------------------------------------------------------------------------------------------------
// Delayed ACK (RFC 9293 3.8.6.3), Nagle (3.7.4), SWS avoidance (3.8.6.2), zero window (3.8.6.1)

TEST_F(RawTcp, DelayedAckWaits200msOrTwoFullSegments) {
    Conn c = active_open();
    inject(from_peer(c, F::ack, ByteVec(100, 'x')));
    c.snd += 100;
    EXPECT_FALSE(next());
    TimeMs at = 0;
    const TimeMs t0 = now();
    auto ack = wait_segment(1000, &at);
    ASSERT_TRUE(ack);
    EXPECT_EQ(at - t0, 200u);
    EXPECT_EQ(ack->ack, c.snd);
    // Two full-sized segments: the second is ACKed at once.
    inject(from_peer(c, F::ack, ByteVec(536, 'y')));
    c.snd += 536;
    EXPECT_FALSE(next());
    inject(from_peer(c, F::ack, ByteVec(536, 'z')));
    c.snd += 536;
    ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd);
    // Out-of-order data is ACKed at once (a duplicate ACK).
    In ooo = from_peer(c, F::ack, ByteVec(10, 'o'));
    ooo.seq = c.snd + 50;
    inject(ooo);
    ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, c.snd);
}

TEST_F(RawTcp, NagleHoldsSmallSegmentsWhileDataIsInFlight) {
    Conn c = active_open();
    std::size_t written = 0;
    const std::uint8_t byte = 'n';
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{&byte, 1}, written), SocketError::Ok);
    auto first = next();
    ASSERT_TRUE(first); // nothing in flight: sent
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{&byte, 1}, written), SocketError::Ok);
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{&byte, 1}, written), SocketError::Ok);
    EXPECT_FALSE(next()); // held: one small segment is unacknowledged
    In ack = from_peer(c, F::ack);
    ack.ack = c.rcv + 1;
    inject(ack);
    auto second = next();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->seq, c.rcv + 1);
    EXPECT_EQ(second->data.size(), 2u); // coalesced
}

TEST_F(RawTcp, NoDelaySendsSmallSegmentsAtOnce) {
    Conn c = active_open();
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::NoDelay, 1), SocketError::Ok);
    int value = 0;
    ASSERT_EQ(tcp::get_option(*stack, c.handle, SocketOption::NoDelay, value), SocketError::Ok);
    EXPECT_EQ(value, 1);
    std::size_t written = 0;
    const std::uint8_t byte = 'n';
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{&byte, 1}, written), SocketError::Ok);
    int segments = 0;
    while (auto o = next()) {
        EXPECT_EQ(o->data.size(), 1u);
        ++segments;
    }
    EXPECT_EQ(segments, 3);
}

TEST_F(RawTcp, ZeroWindowIsProbedWithBackoffForAsLongAsThePeerAnswers) {
    Conn c = active_open({}, 100);
    ByteVec data(300, 'w');
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    auto s1 = next();
    ASSERT_TRUE(s1);
    EXPECT_EQ(s1->data.size(), 100u); // the window
    EXPECT_FALSE(next());
    In ack = from_peer(c, F::ack);
    ack.ack = c.rcv + 100;
    ack.window = 0;
    inject(ack);
    c.rcv += 100;
    EXPECT_FALSE(next());
    // Probes: one byte at SND.UNA, the interval doubling from the RTO (1 s) up to 60 s. The peer answers
    // each with its zero window: 20 probes (more than the retransmission limit) and the connection lives.
    TimeMs last = now();
    TimeMs interval = 1000;
    for (int i = 0; i < 20; ++i) {
        TimeMs at = 0;
        auto probe = wait_segment(70000, &at);
        ASSERT_TRUE(probe) << "probe " << i;
        EXPECT_EQ(at - last, interval) << "probe " << i;
        EXPECT_EQ(probe->seq, c.rcv);
        EXPECT_EQ(probe->data.size(), 1u);
        last = at;
        interval = std::min<TimeMs>(interval * 2, 60000);
        inject(ack);
    }
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
    EXPECT_TRUE(log.events.size() == 1u); // Connected only
    // The window opens: the rest flows at once.
    ack.window = 1000;
    inject(ack);
    auto rest = next();
    ASSERT_TRUE(rest);
    EXPECT_EQ(rest->seq, c.rcv);
    EXPECT_EQ(rest->data.size(), 200u);
}

TEST_F(RawTcp, UnansweredZeroWindowProbesTimeOut) {
    Conn c = active_open({}, 100);
    ByteVec data(300, 'w');
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    ASSERT_TRUE(next());
    In ack = from_peer(c, F::ack);
    ack.ack = c.rcv + 100;
    ack.window = 0;
    inject(ack);
    int probes = 0;
    for (int i = 0; i < 40 && !log.has(SocketEvent::Error, SocketError::TimedOut); ++i) {
        if (wait_segment(70000)) ++probes;
    }
    EXPECT_EQ(probes, 12);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::TimedOut));
}

TEST_F(RawTcp, ReceiverDoesNotOpenTheWindowBySmallSteps) {
    Conn c = active_open_with(SocketOption::RecvBuffer, 1000, 100);
    SocketHandle s = c.handle;
    inject(from_peer(c, F::ack, ByteVec(1000, 'f')));
    c.snd += 1000;
    advance(200);
    auto ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->window, 0);
    // Reading 100 bytes would open 100 < min(1000/2, MSS): no update, and segments still show 0.
    std::array<std::uint8_t, 100> buf{};
    std::size_t n = 0;
    bool eof = false;
    ASSERT_EQ(tcp::read(*stack, s, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    EXPECT_FALSE(next());
    inject(from_peer(c, F::ack, text("p")));
    ack = next();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->window, 0);
    // 500 read in all: the right edge moves by 500 (>= 1000/2) at once.
    for (int i = 0; i < 4; ++i)
        ASSERT_EQ(tcp::read(*stack, s, MutBytes{buf.data(), buf.size()}, n, eof), SocketError::Ok);
    auto update = next();
    ASSERT_TRUE(update);
    EXPECT_EQ(update->window, 500);
}

// ---------------------------------------------------------------------------------------------------------
// Keep-alive (RFC 9293 3.8.4)

TEST_F(RawTcp, KeepAliveDetectsADeadPeer) {
    Conn c = active_open();
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::KeepIdle, 10000), SocketError::Ok);
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::KeepInterval, 1000), SocketError::Ok);
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::KeepCount, 3), SocketError::Ok);
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::KeepAlive, 1), SocketError::Ok);
    const TimeMs t0 = now();
    const TimeMs expected[] = {10000, 11000, 12000};
    for (TimeMs due : expected) {
        TimeMs at = 0;
        auto probe = wait_segment(20000, &at);
        ASSERT_TRUE(probe);
        EXPECT_EQ(at - t0, due);
        EXPECT_EQ(probe->flags, F::ack);
        EXPECT_EQ(probe->seq, c.rcv - 1); // SEG.SEQ = SND.NXT - 1: the peer must answer
        EXPECT_EQ(probe->ack, c.snd);
        EXPECT_TRUE(probe->data.empty());
    }
    advance(999);
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
    advance(1);
    EXPECT_EQ(tcb(c.handle).state, TcpState::Closed);
    EXPECT_TRUE(log.has(SocketEvent::Error, SocketError::TimedOut));
}

TEST_F(RawTcp, KeepAliveIsOffByDefaultAndAnAnswerKeepsTheConnection) {
    Conn c = active_open();
    advance(8000);
    EXPECT_FALSE(next()); // off by default
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::KeepIdle, 1000), SocketError::Ok);
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::KeepCount, 1), SocketError::Ok);
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::KeepAlive, 1), SocketError::Ok);
    for (int i = 0; i < 5; ++i) {
        auto probe = wait_segment(2000);
        ASSERT_TRUE(probe);
        inject(from_peer(c, F::ack)); // the answer
    }
    EXPECT_EQ(tcb(c.handle).state, TcpState::Established);
}

// ---------------------------------------------------------------------------------------------------------
// Frame pool exhaustion: data is never lost, sending resumes from the timers

TEST_F(RawTcp, SendingResumesWhenFramesAreFreeAgain) {
    Conn c = active_open();
    std::vector<PacketBuf> hoard;
    while (auto f = stack->frame_pool().allocate(0))
        hoard.push_back(std::move(*f));
    ByteVec data = text("kept");
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    EXPECT_EQ(written, 4u);
    EXPECT_FALSE(next());
    EXPECT_GE(drops(Drop::PoolExhausted), 1u);
    hoard.clear();
    advance(1);
    auto d = next();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->data, data);
}

// ---------------------------------------------------------------------------------------------------------
// More timers: SWS override, Linger, orphaned FIN-WAIT-2, TIME-WAIT reopened by a new SYN

TEST_F(RawTcp, SwsOverrideTimerSendsAHeldSmallSegment) {
    Conn c = active_open({}, 1000); // Max(SND.WND) = 1000
    In ack = from_peer(c, F::ack);
    ack.window = 100;
    inject(ack); // the window shrinks to 100 with nothing in flight
    ByteVec data(500, 's');
    std::size_t written = 0;
    ASSERT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
    EXPECT_FALSE(next()); // 100 < MSS, < 1000/2, and not all the data: held (RFC 9293 3.8.6.2.1)
    TimeMs at = 0;
    const TimeMs t0 = now();
    auto seg = wait_segment(1000, &at);
    ASSERT_TRUE(seg);
    EXPECT_EQ(at - t0, 200u); // the override timeout
    EXPECT_EQ(seg->data.size(), 100u);
}

TEST_F(RawTcp, LingerAbortsAGracefulCloseThatTakesTooLong) {
    Conn c = active_open();
    ASSERT_EQ(tcp::set_option(*stack, c.handle, SocketOption::Linger, 5000), SocketError::Ok);
    ASSERT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    auto fin = next();
    ASSERT_TRUE(fin);
    EXPECT_TRUE(fin->has(F::fin));
    advance(4999);
    EXPECT_TRUE(tcb(c.handle).in_use);
    drain();
    advance(1);
    bool rst = false;
    while (auto o = next())
        rst = rst || o->has(F::rst);
    EXPECT_TRUE(rst);
    EXPECT_FALSE(tcb(c.handle).in_use);
    EXPECT_EQ(log.count(SocketEvent::Closed), 1);
}

TEST_F(RawTcp, OrphanedFinWait2IsFreedAfterATimeout) {
    Conn c = active_open();
    ASSERT_EQ(tcp::close(*stack, c.handle), SocketError::Ok);
    ASSERT_TRUE(next());
    In ack = from_peer(c, F::ack);
    ack.ack = c.rcv + 1;
    inject(ack);
    EXPECT_EQ(tcb(c.handle).state, TcpState::FinWait2);
    advance(tcp::detail::fin_wait2_timeout_ms - 1);
    EXPECT_TRUE(tcb(c.handle).in_use);
    advance(1);
    EXPECT_FALSE(tcb(c.handle).in_use);
    EXPECT_EQ(log.count(SocketEvent::Closed), 1);
}

TEST_F(RawTcp, ANewSynReopensAConnectionInTimeWait) {
    Conn c = passive_open();
    ASSERT_EQ(tcp::close(*stack, c.handle), SocketError::Ok); // active close from the server
    ASSERT_TRUE(next());
    In fin = from_peer(c, F::ack | F::fin);
    fin.ack = c.rcv + 1;
    inject(fin);
    ASSERT_EQ(tcb(c.handle).state, TcpState::TimeWait);
    drain();
    // The same client port again, with a higher sequence number (RFC 9293 3.6.1, RFC 6191).
    In syn;
    syn.sport = 40000;
    syn.seq = c.snd + 100000;
    syn.flags = F::syn;
    inject(syn);
    auto sa = next();
    ASSERT_TRUE(sa);
    EXPECT_EQ(sa->flags, F::syn | F::ack);
    EXPECT_EQ(sa->ack, c.snd + 100001);
}

} // namespace
