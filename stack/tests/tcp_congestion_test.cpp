// NewReno congestion control (RFC 5681, RFC 6582, RFC 3042): initial window, slow start, congestion
// avoidance, fast retransmit/recovery with partial and full ACKs, limited transmit, timeouts, idle restart.
#include "core/config.hpp"
#if PICO_WITH_TCP
#include "transport/tcp/congestion.hpp"
#include "transport/tcp/internal.hpp"
#include <gtest/gtest.h>

using pico::tcp::DupAckAction;
using pico::tcp::NewReno;
using pico::tcp::SeqNum;

namespace {

NewReno started(std::uint32_t mss) {
    NewReno cc;
    cc.init(mss);
    return cc;
}

// A sender after three duplicate ACKs: mss 1000, snd_una 1000, snd_max 11000, 10000 bytes in flight.
NewReno in_recovery() {
    NewReno cc = started(1000);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(1000), SeqNum(11000), 10000), DupAckAction::LimitedTransmit);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(1000), SeqNum(11000), 10000), DupAckAction::LimitedTransmit);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(1000), SeqNum(11000), 10000), DupAckAction::FastRetransmit);
    return cc;
}

} // namespace

// RFC 5681 3.1 eqn. 3.
TEST(TcpCongestion, InitialWindowPerMss) {
    EXPECT_EQ(started(536).cwnd(), 4u * 536);
    EXPECT_EQ(started(1000).cwnd(), 4000u);
    EXPECT_EQ(started(1095).cwnd(), 4380u);
    EXPECT_EQ(started(1096).cwnd(), 3288u);
    EXPECT_EQ(started(1460).cwnd(), 4380u);
    EXPECT_EQ(started(2190).cwnd(), 6570u);
    EXPECT_EQ(started(2191).cwnd(), 4382u);
    EXPECT_EQ(started(8960).cwnd(), 17920u);
    NewReno cc = started(1460);
    EXPECT_EQ(cc.ssthresh(), 0xffffffffu);
    EXPECT_FALSE(cc.in_recovery());
    EXPECT_EQ(cc.duplicate_acks(), 0);
}

// RFC 5681 3.1 eqn. 2: cwnd += min(N, SMSS) per ACK.
TEST(TcpCongestion, SlowStartGrowth) {
    NewReno cc = started(1000);
    EXPECT_FALSE(cc.on_ack(1000, SeqNum(2000), SeqNum(5000), 4000));
    EXPECT_EQ(cc.cwnd(), 5000u);
    EXPECT_FALSE(cc.on_ack(3000, SeqNum(5000), SeqNum(9000), 7000)); // a stretch ACK counts one SMSS
    EXPECT_EQ(cc.cwnd(), 6000u);
    EXPECT_FALSE(cc.on_ack(200, SeqNum(5200), SeqNum(9000), 4000)); // a small ACK counts its bytes
    EXPECT_EQ(cc.cwnd(), 6200u);
    // A window's worth of full-sized ACKs doubles cwnd (one RTT).
    NewReno d = started(1000);
    for (int i = 0; i < 4; ++i)
        d.on_ack(1000, SeqNum(1000 * (i + 2)), SeqNum(20000), 4000);
    EXPECT_EQ(d.cwnd(), 8000u);
}

// RFC 5681 3.1: congestion avoidance once cwnd >= ssthresh, about one SMSS per RTT (byte counting).
TEST(TcpCongestion, CongestionAvoidanceOneMssPerWindow) {
    NewReno cc = started(1000);
    cc.on_timeout(20000, SeqNum(21000)); // ssthresh 10000, cwnd 1000
    EXPECT_EQ(cc.ssthresh(), 10000u);
    EXPECT_EQ(cc.cwnd(), 1000u);
    std::uint32_t ack = 21000;
    for (int i = 0; i < 9; ++i) {
        ack += 1000;
        cc.on_ack(1000, SeqNum(ack), SeqNum(ack + 10000), 10000);
    }
    EXPECT_EQ(cc.cwnd(), 10000u); // slow start reached ssthresh
    // One cwnd (10 segments) of ACKs: +1 SMSS, and only at the tenth.
    for (int i = 0; i < 9; ++i) {
        ack += 1000;
        cc.on_ack(1000, SeqNum(ack), SeqNum(ack + 10000), 10000);
        EXPECT_EQ(cc.cwnd(), 10000u) << i;
    }
    ack += 1000;
    cc.on_ack(1000, SeqNum(ack), SeqNum(ack + 10000), 10000);
    EXPECT_EQ(cc.cwnd(), 11000u);
    // The next increase needs 11000 bytes: delayed ACKs (2000 each) get there after 6 ACKs (12000), and
    // the 1000 excess carries over.
    for (int i = 0; i < 5; ++i) {
        ack += 2000;
        cc.on_ack(2000, SeqNum(ack), SeqNum(ack + 10000), 11000);
        EXPECT_EQ(cc.cwnd(), 11000u) << i;
    }
    ack += 2000;
    cc.on_ack(2000, SeqNum(ack), SeqNum(ack + 10000), 11000);
    EXPECT_EQ(cc.cwnd(), 12000u);
    for (int i = 0; i < 5; ++i) {
        ack += 2000;
        cc.on_ack(2000, SeqNum(ack), SeqNum(ack + 10000), 12000);
    }
    EXPECT_EQ(cc.cwnd(), 12000u); // 1000 carried + 10000 < 12000
    ack += 2000;
    cc.on_ack(2000, SeqNum(ack), SeqNum(ack + 10000), 12000);
    EXPECT_EQ(cc.cwnd(), 13000u);
}

// RFC 3042: the first two duplicate ACKs allow limited transmit, cwnd unchanged.
TEST(TcpCongestion, LimitedTransmitForFirstTwoDuplicates) {
    NewReno cc = started(1000);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(1000), SeqNum(5000), 4000), DupAckAction::LimitedTransmit);
    EXPECT_EQ(cc.duplicate_acks(), 1);
    EXPECT_EQ(cc.cwnd(), 4000u);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(1000), SeqNum(6000), 5000), DupAckAction::LimitedTransmit);
    EXPECT_EQ(cc.duplicate_acks(), 2);
    EXPECT_EQ(cc.cwnd(), 4000u);
    EXPECT_EQ(cc.ssthresh(), 0xffffffffu);
    EXPECT_FALSE(cc.in_recovery());
    // A new ACK resets the count: two more duplicates are again limited transmit.
    cc.on_ack(1000, SeqNum(2000), SeqNum(6000), 5000);
    EXPECT_EQ(cc.duplicate_acks(), 0);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(2000), SeqNum(6000), 4000), DupAckAction::LimitedTransmit);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(2000), SeqNum(6000), 4000), DupAckAction::LimitedTransmit);
}

// RFC 5681 3.2 steps 2-3, RFC 6582 3.2 step 2.
TEST(TcpCongestion, ThirdDuplicateAckFastRetransmit) {
    NewReno cc = in_recovery();
    EXPECT_TRUE(cc.in_recovery());
    EXPECT_EQ(cc.ssthresh(), 5000u);        // max(10000 / 2, 2 * 1000)
    EXPECT_EQ(cc.cwnd(), 8000u);            // ssthresh + 3 * SMSS
    EXPECT_EQ(cc.recover(), SeqNum(11000)); // snd_max
    EXPECT_EQ(cc.duplicate_acks(), 3);
    // Small flight: ssthresh floors at 2 * SMSS.
    NewReno small = started(1000);
    small.on_duplicate_ack(SeqNum(1), SeqNum(3001), 3000);
    small.on_duplicate_ack(SeqNum(1), SeqNum(3001), 3000);
    EXPECT_EQ(small.on_duplicate_ack(SeqNum(1), SeqNum(3001), 3000), DupAckAction::FastRetransmit);
    EXPECT_EQ(small.ssthresh(), 2000u);
    EXPECT_EQ(small.cwnd(), 5000u);
}

// RFC 5681 3.2 step 4: further duplicates inflate cwnd by SMSS each.
TEST(TcpCongestion, DuplicatesInRecoveryInflate) {
    NewReno cc = in_recovery();
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(1000), SeqNum(11000), 10000), DupAckAction::None);
    EXPECT_EQ(cc.cwnd(), 9000u);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(1000), SeqNum(12000), 11000), DupAckAction::None);
    EXPECT_EQ(cc.cwnd(), 10000u);
    EXPECT_EQ(cc.ssthresh(), 5000u);
    EXPECT_EQ(cc.recover(), SeqNum(11000)); // unchanged by later sends
}

// RFC 6582 3.2 step 3, partial acknowledgment.
TEST(TcpCongestion, PartialAckRetransmitsAndDeflates) {
    NewReno cc = in_recovery();
    cc.on_duplicate_ack(SeqNum(1000), SeqNum(11000), 10000); // cwnd 9000
    // 2000 bytes acked (>= SMSS): cwnd = 9000 - 2000 + 1000.
    EXPECT_TRUE(cc.on_ack(2000, SeqNum(3000), SeqNum(11000), 10000));
    EXPECT_EQ(cc.cwnd(), 8000u);
    EXPECT_TRUE(cc.in_recovery());
    EXPECT_EQ(cc.duplicate_acks(), 0);
    // 500 bytes acked (< SMSS): no add-back.
    EXPECT_TRUE(cc.on_ack(500, SeqNum(3500), SeqNum(11000), 8000));
    EXPECT_EQ(cc.cwnd(), 7500u);
    // Duplicates after a partial ACK still inflate and never re-enter fast retransmit.
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(3500), SeqNum(11000), 7500), DupAckAction::None);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(3500), SeqNum(11000), 7500), DupAckAction::None);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(3500), SeqNum(11000), 7500), DupAckAction::None);
    EXPECT_EQ(cc.cwnd(), 10500u);
    EXPECT_EQ(cc.ssthresh(), 5000u);
    // An ACK one byte short of recover is still partial.
    EXPECT_TRUE(cc.on_ack(7499, SeqNum(10999), SeqNum(11000), 7500));
    EXPECT_TRUE(cc.in_recovery());
    // Deflation never leaves less than one segment.
    EXPECT_GE(cc.cwnd(), 1000u);
}

// RFC 6582 3.2 step 3, full acknowledgment: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
TEST(TcpCongestion, FullAckExitsRecovery) {
    NewReno cc = in_recovery();
    cc.on_duplicate_ack(SeqNum(1000), SeqNum(13000), 12000); // new data sent during recovery: snd_max 13000
    // ACK of everything up to recover (11000), 2000 bytes still out: cwnd = min(5000, 2000 + 1000).
    EXPECT_FALSE(cc.on_ack(10000, SeqNum(11000), SeqNum(13000), 12000));
    EXPECT_FALSE(cc.in_recovery());
    EXPECT_EQ(cc.cwnd(), 3000u);
    EXPECT_EQ(cc.ssthresh(), 5000u);
    // Now back in slow start (cwnd < ssthresh).
    cc.on_ack(1000, SeqNum(12000), SeqNum(13000), 2000);
    EXPECT_EQ(cc.cwnd(), 4000u);

    // Lots still in flight: cwnd = ssthresh.
    NewReno big = in_recovery();
    EXPECT_FALSE(big.on_ack(10000, SeqNum(11000), SeqNum(30000), 29000));
    EXPECT_EQ(big.cwnd(), 5000u);
    // Nothing left in flight: cwnd = SMSS + SMSS.
    NewReno none = in_recovery();
    EXPECT_FALSE(none.on_ack(10000, SeqNum(11000), SeqNum(11000), 10000));
    EXPECT_EQ(none.cwnd(), 2000u);
}

// RFC 6582 3.2 step 2: a third duplicate ACK that does not cover more than recover does not start a new
// fast retransmit (after a timeout: no second reduction for the same loss episode).
TEST(TcpCongestion, NoFastRetransmitBelowRecoverAfterTimeout) {
    NewReno cc = started(1000);
    cc.on_timeout(8000, SeqNum(9000));
    EXPECT_EQ(cc.recover(), SeqNum(9000));
    EXPECT_EQ(cc.ssthresh(), 4000u);
    cc.on_ack(1000, SeqNum(2000), SeqNum(9000), 8000); // cwnd 2000
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(2000), SeqNum(9000), 7000), DupAckAction::LimitedTransmit);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(2000), SeqNum(9000), 7000), DupAckAction::LimitedTransmit);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(2000), SeqNum(9000), 7000), DupAckAction::None);
    EXPECT_FALSE(cc.in_recovery());
    EXPECT_EQ(cc.ssthresh(), 4000u);
    EXPECT_EQ(cc.cwnd(), 2000u);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(2000), SeqNum(9000), 7000), DupAckAction::None);
    // An ACK of exactly recover does not cover more than recover.
    cc.on_ack(7000, SeqNum(9000), SeqNum(12000), 10000);
    cc.on_duplicate_ack(SeqNum(9000), SeqNum(12000), 3000);
    cc.on_duplicate_ack(SeqNum(9000), SeqNum(12000), 3000);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(9000), SeqNum(12000), 3000), DupAckAction::None);
    // Past recover: fast retransmit again.
    cc.on_ack(1000, SeqNum(10000), SeqNum(12000), 3000);
    cc.on_duplicate_ack(SeqNum(10000), SeqNum(16000), 6000);
    cc.on_duplicate_ack(SeqNum(10000), SeqNum(16000), 6000);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(10000), SeqNum(16000), 6000), DupAckAction::FastRetransmit);
    EXPECT_EQ(cc.ssthresh(), 3000u);
    EXPECT_EQ(cc.recover(), SeqNum(16000));
}

// After a full ACK (not a timeout), duplicates of exactly ACK == recover report the loss of a segment sent
// during recovery: a new fast retransmit.
TEST(TcpCongestion, SecondRecoveryAfterFullAck) {
    NewReno cc = in_recovery();
    cc.on_ack(10000, SeqNum(11000), SeqNum(15000), 14000); // full ACK, cwnd min(5000, 4000+1000)
    EXPECT_EQ(cc.cwnd(), 5000u);
    cc.on_duplicate_ack(SeqNum(11000), SeqNum(15000), 4000);
    cc.on_duplicate_ack(SeqNum(11000), SeqNum(15000), 4000);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(11000), SeqNum(15000), 4000), DupAckAction::FastRetransmit);
    EXPECT_EQ(cc.ssthresh(), 2000u);
    EXPECT_EQ(cc.cwnd(), 5000u);
    EXPECT_EQ(cc.recover(), SeqNum(15000));
}

TEST(TcpCongestion, RecoverComparisonAcrossSequenceWrap) {
    NewReno cc = started(1000);
    cc.on_duplicate_ack(SeqNum(0xfffffc00u), SeqNum(0x00001000u), 5120);
    cc.on_duplicate_ack(SeqNum(0xfffffc00u), SeqNum(0x00001000u), 5120);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(0xfffffc00u), SeqNum(0x00001000u), 5120),
              DupAckAction::FastRetransmit);
    EXPECT_TRUE(cc.on_ack(1024, SeqNum(0), SeqNum(0x1000u), 5120));        // partial across the wrap
    EXPECT_FALSE(cc.on_ack(4096, SeqNum(0x1000u), SeqNum(0x1000u), 4096)); // full
    EXPECT_FALSE(cc.in_recovery());
}

// RFC 5681 3.1: timeout -> ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS; RFC 6582: exit recovery.
TEST(TcpCongestion, TimeoutCollapsesToOneSegment) {
    NewReno cc = in_recovery();
    cc.on_timeout(9000, SeqNum(12000));
    EXPECT_EQ(cc.cwnd(), 1000u);
    EXPECT_EQ(cc.ssthresh(), 4500u);
    EXPECT_FALSE(cc.in_recovery());
    EXPECT_EQ(cc.duplicate_acks(), 0);
    EXPECT_EQ(cc.recover(), SeqNum(12000));
    // A second timeout of the same retransmission keeps ssthresh (RFC 5681 3.1).
    cc.on_timeout(1000, SeqNum(12000));
    EXPECT_EQ(cc.ssthresh(), 4500u);
    EXPECT_EQ(cc.cwnd(), 1000u);
    // An ACK of the retransmission does not end the timeout's recovery: the go-back-N segments that follow
    // were sent again by way of the timer too, and their timeout keeps ssthresh as well.
    cc.on_ack(1000, SeqNum(2000), SeqNum(12000), 10000);
    EXPECT_EQ(cc.cwnd(), 2000u);
    cc.on_timeout(10000, SeqNum(12000));
    EXPECT_EQ(cc.ssthresh(), 4500u);
    EXPECT_EQ(cc.cwnd(), 1000u);
    // Once everything outstanding at the timeout is acknowledged, a later timeout halves again.
    cc.on_ack(10000, SeqNum(12000), SeqNum(12000), 10000);
    cc.on_ack(1000, SeqNum(13000), SeqNum(20000), 8000);
    cc.on_timeout(7000, SeqNum(20000));
    EXPECT_EQ(cc.ssthresh(), 3500u);
    EXPECT_EQ(cc.cwnd(), 1000u);
}

// RFC 5681 3 / 3.1: a timeout during fast recovery sets ssthresh from eqn. 4 but never above the value the
// recovery chose (the inflated window let FlightSize grow meanwhile).
TEST(TcpCongestion, TimeoutInRecoveryNeverRaisesSsthresh) {
    NewReno cc = in_recovery();                              // ssthresh 5000, cwnd 8000
    cc.on_duplicate_ack(SeqNum(1000), SeqNum(11000), 10000); // 9000
    cc.on_duplicate_ack(SeqNum(1000), SeqNum(12000), 11000); // 10000: 12000 - 1000 in flight after a send
    cc.on_timeout(13000, SeqNum(14000));                     // eqn. 4 would give 6500
    EXPECT_EQ(cc.ssthresh(), 5000u);
    EXPECT_EQ(cc.cwnd(), 1000u);
    EXPECT_FALSE(cc.in_recovery());
    // Outside recovery eqn. 4 applies as it is (here lower than before).
    NewReno out = in_recovery();
    out.on_ack(10000, SeqNum(11000), SeqNum(11000), 10000); // full ACK
    out.on_ack(1000, SeqNum(12000), SeqNum(20000), 9000);
    out.on_timeout(8000, SeqNum(20000));
    EXPECT_EQ(out.ssthresh(), 4000u);
}

// RFC 5681 3.1: after a retransmitted SYN or SYN-ACK the initial window is one segment.
TEST(TcpCongestion, InitialWindowAfterHandshakeLoss) {
    NewReno cc;
    cc.init(1460, true);
    EXPECT_EQ(cc.cwnd(), 1460u);
    EXPECT_EQ(cc.ssthresh(), 0xffffffffu);
    cc.on_ack(1460, SeqNum(1461), SeqNum(1461), 1460); // slow start from there
    EXPECT_EQ(cc.cwnd(), 2920u);
    cc.init(1460, false);
    EXPECT_EQ(cc.cwnd(), 4380u);
}

// RFC 5681 3.2 step 2: the data limited transmit sent is not part of the FlightSize that sets ssthresh.
TEST(TcpCongestion, SsthreshLeavesOutLimitedTransmit) {
    // 8000 bytes in flight at the first duplicate; two limited-transmit segments follow.
    NewReno cc = started(1000);
    for (int i = 0; i < 4; ++i)
        cc.on_ack(1000, SeqNum(1000 * (i + 2)), SeqNum(20000), 4000); // cwnd 8000
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(5000), SeqNum(13000), 8000), DupAckAction::LimitedTransmit);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(5000), SeqNum(14000), 9000), DupAckAction::LimitedTransmit);
    EXPECT_EQ(cc.on_duplicate_ack(SeqNum(5000), SeqNum(15000), 10000), DupAckAction::FastRetransmit);
    EXPECT_EQ(cc.ssthresh(), 4000u); // 8000 / 2, not 10000 / 2
    EXPECT_EQ(cc.cwnd(), 7000u);
    EXPECT_EQ(cc.recover(), SeqNum(15000)); // recover does include them
    // An application-limited sender (3000 in flight, cwnd 8000): still only what preceded the first
    // duplicate.
    NewReno small = started(1000);
    for (int i = 0; i < 4; ++i)
        small.on_ack(1000, SeqNum(1000 * (i + 2)), SeqNum(20000), 4000);
    small.on_duplicate_ack(SeqNum(5000), SeqNum(12000), 7000);
    small.on_duplicate_ack(SeqNum(5000), SeqNum(13000), 8000);
    EXPECT_EQ(small.on_duplicate_ack(SeqNum(5000), SeqNum(14000), 9000), DupAckAction::FastRetransmit);
    EXPECT_EQ(small.ssthresh(), 3500u); // 7000 / 2
    // A caller that already left the limited-transmit data out gets the same answer (never counted twice).
    NewReno capped = started(1000);
    for (int i = 0; i < 4; ++i)
        capped.on_ack(1000, SeqNum(1000 * (i + 2)), SeqNum(20000), 4000);
    capped.on_duplicate_ack(SeqNum(5000), SeqNum(13000), 8000);
    capped.on_duplicate_ack(SeqNum(5000), SeqNum(14000), 8000);
    EXPECT_EQ(capped.on_duplicate_ack(SeqNum(5000), SeqNum(15000), 8000), DupAckAction::FastRetransmit);
    EXPECT_EQ(capped.ssthresh(), 4000u);
}

// RFC 6298 2.3 and 4: with a steady RTT the variance decays to zero and the RTO to SRTT + G.
TEST(TcpRto, VarianceDecaysToClockGranularity) {
    pico::tcp::Tcb t;
    for (int i = 0; i < 40; ++i)
        pico::tcp::detail::rtt_sample(t, 1500);
    EXPECT_EQ(t.srtt_x8 / 8, 1500u);
    EXPECT_EQ(t.rttvar_x4, 0u);
    EXPECT_EQ(t.rto_ms, 1500u + pico::tcp::detail::clock_granularity_ms); // RTO = SRTT + max(G, 0)
    // One sample away from the mean brings the variance back: RTO = SRTT + 4 RTTVAR.
    pico::tcp::detail::rtt_sample(t, 1900); // RTTVAR = 1/4 * 400 = 100, SRTT = 1550
    EXPECT_EQ(t.srtt_x8 / 8, 1550u);
    EXPECT_EQ(t.rttvar_x4, 400u);
    EXPECT_EQ(t.rto_ms, 1950u);
}

// RFC 5681 4.1.
TEST(TcpCongestion, IdleRestart) {
    NewReno cc = started(1000);
    for (int i = 0; i < 10; ++i)
        cc.on_ack(1000, SeqNum(1000 * (i + 2)), SeqNum(50000), 10000);
    EXPECT_EQ(cc.cwnd(), 14000u);
    cc.on_idle_restart();
    EXPECT_EQ(cc.cwnd(), 4000u);
    // A window already below IW is not raised.
    NewReno low = started(1000);
    low.on_timeout(8000, SeqNum(9000));
    low.on_idle_restart();
    EXPECT_EQ(low.cwnd(), 1000u);
}

TEST(TcpCongestion, SetMssKeepsAtLeastOneSegment) {
    NewReno cc = started(1000);
    cc.on_timeout(8000, SeqNum(9000)); // cwnd 1000
    cc.set_mss(1460);
    EXPECT_EQ(cc.cwnd(), 1460u);
    cc.set_mss(536);
    EXPECT_EQ(cc.cwnd(), 1460u);
    cc.on_idle_restart(); // IW for 536 is 2144
    EXPECT_EQ(cc.cwnd(), 1460u);
}

TEST(TcpCongestion, CwndDoesNotWrap) {
    NewReno cc = started(65535);
    for (int i = 0; i < 40000; ++i)
        cc.on_ack(65535, SeqNum(0), SeqNum(0), 0);
    EXPECT_EQ(cc.cwnd(), 1u << 30);
}

#endif // PICO_WITH_TCP
