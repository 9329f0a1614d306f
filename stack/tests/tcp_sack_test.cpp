// RFC 6675 SACK scoreboard: merging RFC 2018 blocks into bounded ranges, advancing with the cumulative ACK,
// IsLost thresholds, NextSeg rule 1 and SetPipe.
#include "core/config.hpp"
#if PICO_WITH_TCP
#include "tcp_harness.hpp"
#include "transport/tcp/sack_scoreboard.hpp"
#include <gtest/gtest.h>
#include <utility>
#include <vector>

using pico::tcp::SackScoreboard;
using pico::tcp::SeqNum;
using pico::tcp::SeqRange;

namespace {

constexpr std::uint32_t mss = 100;

SeqRange r(std::uint32_t left, std::uint32_t right) {
    return SeqRange{SeqNum(left), SeqNum(right)};
}

std::uint32_t add(SackScoreboard& sb, std::vector<SeqRange> blocks, std::uint32_t snd_una) {
    return sb.add_blocks(blocks.data(), blocks.size(), SeqNum(snd_una));
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges(const SackScoreboard& sb) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    for (std::size_t i = 0; i < sb.range_count(); ++i)
        out.emplace_back(sb.range(i).left.raw(), sb.range(i).right.raw());
    return out;
}

using Ranges = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

} // namespace

TEST(TcpSack, EmptyScoreboard) {
    SackScoreboard sb;
    EXPECT_EQ(sb.range_count(), 0u);
    EXPECT_EQ(sb.sacked_bytes(), 0u);
    EXPECT_FALSE(sb.is_sacked(SeqNum(0)));
    EXPECT_FALSE(sb.is_lost(SeqNum(0), mss));
    EXPECT_EQ(sb.next_lost(SeqNum(0), SeqNum(1000), SeqNum(0), mss), std::nullopt);
    EXPECT_EQ(sb.pipe(SeqNum(0), SeqNum(1000), SeqNum(0), mss), 1000u);
    sb.advance(SeqNum(50));
    EXPECT_EQ(sb.highest_sacked(), SeqNum(50));
}

TEST(TcpSack, AddsAndSortsDisjointBlocks) {
    SackScoreboard sb;
    EXPECT_EQ(add(sb, {r(500, 600), r(300, 400)}, 100), 200u);
    EXPECT_EQ(ranges(sb), (Ranges{{300, 400}, {500, 600}}));
    EXPECT_EQ(add(sb, {r(700, 800)}, 100), 100u);
    EXPECT_EQ(ranges(sb), (Ranges{{300, 400}, {500, 600}, {700, 800}}));
    EXPECT_EQ(sb.sacked_bytes(), 300u);
    EXPECT_EQ(sb.highest_sacked(), SeqNum(800));
    EXPECT_TRUE(sb.is_sacked(SeqNum(300)));
    EXPECT_TRUE(sb.is_sacked(SeqNum(399)));
    EXPECT_FALSE(sb.is_sacked(SeqNum(400)));
    EXPECT_FALSE(sb.is_sacked(SeqNum(299)));
    EXPECT_EQ(sb.next_sacked_after(SeqNum(100)), SeqNum(300));
    EXPECT_EQ(sb.next_sacked_after(SeqNum(400)), SeqNum(500));
    EXPECT_EQ(sb.next_sacked_after(SeqNum(700)), std::nullopt);
}

TEST(TcpSack, MergesOverlappingAndAdjacent) {
    SackScoreboard sb;
    add(sb, {r(300, 400), r(500, 600), r(700, 800)}, 100);
    // Adjacent on the right of the first: merged, 50 new bytes.
    EXPECT_EQ(add(sb, {r(400, 450)}, 100), 50u);
    EXPECT_EQ(ranges(sb), (Ranges{{300, 450}, {500, 600}, {700, 800}}));
    // Spanning two ranges and the hole between: only the hole bytes are new.
    EXPECT_EQ(add(sb, {r(550, 750)}, 100), 100u);
    EXPECT_EQ(ranges(sb), (Ranges{{300, 450}, {500, 800}}));
    // A duplicate block: nothing new.
    EXPECT_EQ(add(sb, {r(500, 800)}, 100), 0u);
    // Covering everything, beyond both ends.
    EXPECT_EQ(add(sb, {r(200, 900)}, 100), 700u - 450u);
    EXPECT_EQ(ranges(sb), (Ranges{{200, 900}}));
    // Adjacent on the left.
    EXPECT_EQ(add(sb, {r(150, 200)}, 100), 50u);
    EXPECT_EQ(ranges(sb), (Ranges{{150, 900}}));
    EXPECT_EQ(sb.sacked_bytes(), 750u);
}

TEST(TcpSack, IgnoresEmptyAndBelowSndUna) {
    SackScoreboard sb;
    EXPECT_EQ(add(sb, {r(300, 300), r(400, 350)}, 100), 0u);
    EXPECT_EQ(sb.range_count(), 0u);
    // A D-SACK (RFC 2883) below snd_una adds nothing; one straddling it is clipped.
    EXPECT_EQ(add(sb, {r(50, 90)}, 100), 0u);
    EXPECT_EQ(add(sb, {r(50, 150)}, 100), 50u);
    EXPECT_EQ(ranges(sb), (Ranges{{100, 150}}));
}

TEST(TcpSack, AdvanceForgetsBelowCumulativeAck) {
    SackScoreboard sb;
    add(sb, {r(300, 400), r(500, 600), r(700, 800)}, 100);
    sb.advance(SeqNum(400));
    EXPECT_EQ(ranges(sb), (Ranges{{500, 600}, {700, 800}}));
    sb.advance(SeqNum(550)); // inside a range: trimmed
    EXPECT_EQ(ranges(sb), (Ranges{{550, 600}, {700, 800}}));
    EXPECT_EQ(sb.sacked_bytes(), 150u);
    sb.advance(SeqNum(800));
    EXPECT_EQ(sb.range_count(), 0u);
    EXPECT_EQ(sb.highest_sacked(), SeqNum(800));
    // add_blocks advances too.
    add(sb, {r(900, 1000)}, 800);
    add(sb, {r(1100, 1200)}, 1000);
    EXPECT_EQ(ranges(sb), (Ranges{{1100, 1200}}));
}

TEST(TcpSack, BoundedKeepsLowestRanges) {
    SackScoreboard sb;
    for (std::uint32_t i = 0; i < SackScoreboard::max_ranges; ++i)
        add(sb, {r(200 + 200 * i, 300 + 200 * i)}, 100);
    ASSERT_EQ(sb.range_count(), SackScoreboard::max_ranges);
    // Above the highest: dropped.
    EXPECT_EQ(add(sb, {r(5000, 5100)}, 100), 0u);
    EXPECT_EQ(sb.range_count(), SackScoreboard::max_ranges);
    EXPECT_EQ(sb.highest_sacked(), SeqNum(1700));
    // Below the lowest: kept, the highest is forgotten.
    EXPECT_EQ(add(sb, {r(110, 120)}, 100), 10u);
    EXPECT_EQ(sb.range_count(), SackScoreboard::max_ranges);
    EXPECT_EQ(sb.range(0).left, SeqNum(110));
    EXPECT_EQ(sb.highest_sacked(), SeqNum(1500));
    // Merging into an existing range still works when full.
    EXPECT_EQ(add(sb, {r(150, 200)}, 100), 50u);
    EXPECT_EQ(sb.range_count(), SackScoreboard::max_ranges);
    EXPECT_EQ(sb.range(1).left, SeqNum(150));
    // A block bridging all ranges collapses them into one.
    add(sb, {r(110, 1500)}, 100);
    EXPECT_EQ(ranges(sb), (Ranges{{110, 1500}}));
}

TEST(TcpSack, WorksAcrossSequenceWrap) {
    SackScoreboard sb;
    const std::uint32_t una = 0xffffff00u;
    EXPECT_EQ(add(sb, {r(0x10, 0x80), r(0xffffff80u, 0xfffffff0u)}, una), 0x70u + 0x70u);
    EXPECT_EQ(ranges(sb), (Ranges{{0xffffff80u, 0xfffffff0u}, {0x10, 0x80}}));
    EXPECT_EQ(add(sb, {r(0xfffffff0u, 0x10)}, una), 0x20u);
    EXPECT_EQ(ranges(sb), (Ranges{{0xffffff80u, 0x80}}));
    EXPECT_EQ(sb.highest_sacked(), SeqNum(0x80));
}

// RFC 6675 IsLost: DupThresh (3) discontiguous SACKed ranges above, or more than 2 * SMSS SACKed bytes above.
TEST(TcpSack, IsLostThresholds) {
    SackScoreboard sb;
    // 2 segments SACKed above 100: not lost (200 bytes is not more than 2 * SMSS).
    add(sb, {r(200, 400)}, 100);
    EXPECT_FALSE(sb.is_lost(SeqNum(100), mss));
    // One more byte: more than 2 * SMSS.
    add(sb, {r(400, 401)}, 100);
    EXPECT_TRUE(sb.is_lost(SeqNum(100), mss));
    EXPECT_FALSE(sb.is_lost(SeqNum(201), mss)); // only 199 bytes above 201

    SackScoreboard d;
    // Three discontiguous small ranges: lost by the count rule even with few bytes.
    add(d, {r(200, 210), r(300, 310)}, 100);
    EXPECT_FALSE(d.is_lost(SeqNum(100), mss));
    add(d, {r(400, 410)}, 100);
    EXPECT_TRUE(d.is_lost(SeqNum(100), mss));
    EXPECT_TRUE(d.is_lost(SeqNum(199), mss));
    EXPECT_FALSE(d.is_lost(SeqNum(210), mss)); // two ranges above
    // "Above seq" means greater than seq: a range whose only byte is seq does not count.
    SackScoreboard e;
    add(e, {r(300, 301), r(400, 401), r(500, 501)}, 100);
    EXPECT_TRUE(e.is_lost(SeqNum(299), mss));
    EXPECT_FALSE(e.is_lost(SeqNum(300), mss));
}

// RFC 6675 NextSeg rule (1).
TEST(TcpSack, NextLostFirstHoleThenAfterHighRxt) {
    SackScoreboard sb;
    // Holes: [100,200) [300,400) [500,600); SACKed: [200,300) [400,500) [600,700); snd_max 900.
    add(sb, {r(200, 300), r(400, 500), r(600, 700)}, 100);
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(900), SeqNum(100), mss), SeqNum(100));
    // First hole retransmitted up to 150: continue inside it.
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(900), SeqNum(150), mss), SeqNum(150));
    // First hole done: the second has 200 bytes and 2 ranges above -> not lost.
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(900), SeqNum(200), mss), std::nullopt);
    // More SACKed data above makes it lost.
    add(sb, {r(750, 800)}, 100);
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(900), SeqNum(200), mss), SeqNum(300));
    // high_rxt inside a SACKed range: the next hole.
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(900), SeqNum(250), mss), SeqNum(300));
    // Nothing beyond the highest SACKed byte is a candidate (rule 1.b).
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(900), SeqNum(800), mss), std::nullopt);
    // high_rxt below snd_una is ignored.
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(900), SeqNum(50), mss), SeqNum(100));
}

TEST(TcpSack, NextLostNeedsIsLost) {
    SackScoreboard sb;
    add(sb, {r(200, 300)}, 100); // one segment above the hole: not lost yet
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(500), SeqNum(100), mss), std::nullopt);
    add(sb, {r(300, 400)}, 100); // 200 bytes: still not more than 2 * SMSS
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(500), SeqNum(100), mss), std::nullopt);
    add(sb, {r(400, 401)}, 100); // 201 bytes
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(500), SeqNum(100), mss), SeqNum(100));
    // A hole at or above snd_max is not a candidate.
    EXPECT_EQ(sb.next_lost(SeqNum(100), SeqNum(100), SeqNum(100), mss), std::nullopt);
}

// RFC 6675 SetPipe.
TEST(TcpSack, PipeCountsNotLostAndRetransmitted) {
    SackScoreboard sb;
    // snd_una 100, snd_max 1000. SACKed [300,400) [500,600) [700,800).
    add(sb, {r(300, 400), r(500, 600), r(700, 800)}, 100);
    // Holes: [100,300) lost (3 ranges above); [400,500) 2 ranges, 200 bytes above -> not lost;
    // [600,700) not lost; tail [800,1000) not lost. No retransmissions.
    EXPECT_EQ(sb.pipe(SeqNum(100), SeqNum(1000), SeqNum(100), mss), 100u + 100u + 200u);
    // 150 bytes of the lost hole retransmitted: they count again.
    EXPECT_EQ(sb.pipe(SeqNum(100), SeqNum(1000), SeqNum(250), mss), 400u + 150u);
    // Retransmitted up to 450 (the whole first hole and half of the second): 200 + 50 more.
    EXPECT_EQ(sb.pipe(SeqNum(100), SeqNum(1000), SeqNum(450), mss), 400u + 200u + 50u);
    // Without SACK information everything outstanding is in the pipe.
    SackScoreboard none;
    EXPECT_EQ(none.pipe(SeqNum(100), SeqNum(1000), SeqNum(100), mss), 900u);
    EXPECT_EQ(none.pipe(SeqNum(100), SeqNum(1000), SeqNum(300), mss), 1100u);
}

TEST(TcpSack, PipeIgnoresRangesBeyondSndMax) {
    SackScoreboard sb;
    add(sb, {r(300, 400)}, 100);
    EXPECT_EQ(sb.pipe(SeqNum(100), SeqNum(250), SeqNum(100), mss), 150u);
}

// RFC 6675 NextSeg rule (3): un-SACKed, at or above HighRxt, below the highest SACKed byte; IsLost not
// needed.
TEST(TcpSack, NextUnsackedIgnoresIsLost) {
    SackScoreboard sb;
    add(sb, {r(200, 300), r(400, 500)}, 100); // holes [100,200) [300,400), tail [500,900)
    EXPECT_FALSE(sb.is_lost(SeqNum(100), mss));
    EXPECT_EQ(sb.next_unsacked(SeqNum(100), SeqNum(900), SeqNum(100)), SeqNum(100));
    EXPECT_EQ(sb.next_unsacked(SeqNum(100), SeqNum(900), SeqNum(150)), SeqNum(150));
    // HighRxt inside a SACKed range: the next hole.
    EXPECT_EQ(sb.next_unsacked(SeqNum(100), SeqNum(900), SeqNum(200)), SeqNum(300));
    EXPECT_EQ(sb.next_unsacked(SeqNum(100), SeqNum(900), SeqNum(250)), SeqNum(300));
    // Above the highest SACKed byte nothing qualifies (1.b): the tail is new-data territory.
    EXPECT_EQ(sb.next_unsacked(SeqNum(100), SeqNum(900), SeqNum(400)), std::nullopt);
    EXPECT_EQ(sb.next_unsacked(SeqNum(100), SeqNum(900), SeqNum(500)), std::nullopt);
    // HighRxt below SND.UNA counts from SND.UNA.
    EXPECT_EQ(sb.next_unsacked(SeqNum(100), SeqNum(900), SeqNum(50)), SeqNum(100));
    SackScoreboard none;
    EXPECT_EQ(none.next_unsacked(SeqNum(100), SeqNum(900), SeqNum(100)), std::nullopt);
    // first_unsacked (also the go-back-N skip after a timeout) steps over ranges only.
    EXPECT_EQ(sb.first_unsacked(SeqNum(150)), SeqNum(150));
    EXPECT_EQ(sb.first_unsacked(SeqNum(200)), SeqNum(300));
    EXPECT_EQ(sb.first_unsacked(SeqNum(450)), SeqNum(500));
    EXPECT_EQ(sb.first_unsacked(SeqNum(800)), SeqNum(800));
}

// RFC 6675 NextSeg rule (4): the rescue segment includes the highest outstanding un-SACKed octet.
TEST(TcpSack, RescueStartCoversHighestUnsacked) {
    SackScoreboard sb;
    add(sb, {r(200, 300)}, 100); // tail [300, 900) un-SACKed: its last octet is 899
    EXPECT_EQ(sb.rescue_start(SeqNum(100), SeqNum(900), 100), SeqNum(800));
    EXPECT_EQ(sb.rescue_start(SeqNum(100), SeqNum(900), 1000), SeqNum(300)); // not into the SACKed range
    // The highest range reaches SND.MAX: the highest un-SACKed octet is the one below it.
    add(sb, {r(700, 900)}, 100);
    EXPECT_EQ(sb.rescue_start(SeqNum(100), SeqNum(900), 100), SeqNum(600));
    EXPECT_EQ(sb.rescue_start(SeqNum(100), SeqNum(900), 1000), SeqNum(300));
    // Only SND.UNA's hole is left.
    SackScoreboard one;
    add(one, {r(200, 900)}, 100);
    EXPECT_EQ(one.rescue_start(SeqNum(100), SeqNum(900), 50), SeqNum(150));
    EXPECT_EQ(one.rescue_start(SeqNum(100), SeqNum(900), 500), SeqNum(100));
    // Nothing un-SACKed, nothing outstanding, or no room: none.
    SackScoreboard none;
    EXPECT_EQ(none.rescue_start(SeqNum(100), SeqNum(100), 100), std::nullopt);
    EXPECT_EQ(none.rescue_start(SeqNum(100), SeqNum(900), 0), std::nullopt);
    EXPECT_EQ(none.rescue_start(SeqNum(100), SeqNum(900), 100), SeqNum(800));
}

TEST(TcpSack, RescueRxtIsKept) {
    SackScoreboard sb;
    sb.set_rescue_rxt(SeqNum(1234));
    EXPECT_EQ(sb.rescue_rxt(), SeqNum(1234));
    add(sb, {r(1300, 1400)}, 1000);
    sb.advance(SeqNum(1350));
    EXPECT_EQ(sb.rescue_rxt(), SeqNum(1234));
}

TEST(TcpSack, SackedBetween) {
    SackScoreboard sb;
    add(sb, {r(200, 300), r(400, 500)}, 100);
    EXPECT_EQ(sb.sacked_between(SeqNum(100), SeqNum(1000)), 200u);
    EXPECT_EQ(sb.sacked_between(SeqNum(100), SeqNum(250)), 50u);
    EXPECT_EQ(sb.sacked_between(SeqNum(250), SeqNum(450)), 100u);
    EXPECT_EQ(sb.sacked_between(SeqNum(300), SeqNum(400)), 0u);
    EXPECT_EQ(sb.sacked_between(SeqNum(100), SeqNum(100)), 0u);
}

// add_blocks reports the octets newly SACKed: what makes an ACK a duplicate ACK (RFC 6675 section 2).
TEST(TcpSack, NewlySackedOctetsDefineDuplicateAcks) {
    SackScoreboard sb;
    EXPECT_EQ(add(sb, {r(200, 300)}, 100), 100u); // new information
    EXPECT_EQ(add(sb, {r(200, 300)}, 100), 0u);   // the same block again: not a duplicate ACK
    EXPECT_EQ(add(sb, {r(200, 350)}, 100), 50u);  // the block grew
    EXPECT_EQ(add(sb, {r(200, 350)}, 150), 0u);   // a cumulative ACK with a known block: nothing new
}

TEST(TcpSack, ClearForgetsRanges) {
    SackScoreboard sb;
    add(sb, {r(300, 400)}, 100);
    sb.clear();
    EXPECT_EQ(sb.range_count(), 0u);
    EXPECT_EQ(sb.sacked_bytes(), 0u);
    EXPECT_FALSE(sb.is_sacked(SeqNum(300)));
}

// The congestion-control side of RFC 6675 (NewReno's SACK recovery bookkeeping).
TEST(TcpSackCongestion, RecoveryHalvesOnceAndHoldsCwnd) {
    pico::tcp::NewReno cc;
    cc.init(1000); // IW 4000 (RFC 5681 3.1, SMSS <= 1095)
    EXPECT_EQ(cc.count_duplicate_ack(), 1);
    EXPECT_EQ(cc.count_duplicate_ack(), 2);
    EXPECT_TRUE(cc.may_enter_sack_recovery(SeqNum(100)));
    cc.enter_sack_recovery(9000, SeqNum(10000)); // (4.1), (4.2): ssthresh = cwnd = FlightSize / 2
    EXPECT_TRUE(cc.in_recovery());
    EXPECT_EQ(cc.ssthresh(), 4500u);
    EXPECT_EQ(cc.cwnd(), 4500u);
    EXPECT_EQ(cc.recover(), SeqNum(10000));
    // A partial ACK: DupAcks reset, no retransmission asked for, cwnd unchanged (pipe governs, step C).
    EXPECT_FALSE(cc.on_ack(2000, SeqNum(3000), SeqNum(10000), 9000));
    EXPECT_EQ(cc.duplicate_acks(), 0);
    EXPECT_EQ(cc.cwnd(), 4500u);
    EXPECT_TRUE(cc.in_recovery());
    // A duplicate ACK does not inflate cwnd either (the SACK logic never calls on_duplicate_ack; counting
    // alone changes nothing).
    cc.count_duplicate_ack();
    EXPECT_EQ(cc.cwnd(), 4500u);
    // The cumulative ACK of RecoveryPoint ends the recovery (step A); a new one may start at once.
    EXPECT_FALSE(cc.on_ack(7000, SeqNum(10000), SeqNum(12000), 9000));
    EXPECT_FALSE(cc.in_recovery());
    EXPECT_LE(cc.cwnd(), cc.ssthresh());
    EXPECT_TRUE(cc.may_enter_sack_recovery(SeqNum(10000)));
    // The floor of RFC 5681 eqn. 4: 2 * SMSS.
    cc.enter_sack_recovery(1500, SeqNum(11500));
    EXPECT_EQ(cc.ssthresh(), 2000u);
    EXPECT_EQ(cc.cwnd(), 2000u);
}

// RFC 6675 5.1: a timeout ends the recovery and sets RecoveryPoint = HighData; no new recovery before HighACK
// reaches it.
TEST(TcpSackCongestion, TimeoutHoldsOffRecoveryUntilRecoveryPoint) {
    pico::tcp::NewReno cc;
    cc.init(1000);
    cc.enter_sack_recovery(8000, SeqNum(10000));
    cc.on_timeout(8000, SeqNum(12000));
    EXPECT_FALSE(cc.in_recovery());
    EXPECT_EQ(cc.cwnd(), 1000u);
    EXPECT_EQ(cc.recover(), SeqNum(12000));
    EXPECT_FALSE(cc.may_enter_sack_recovery(SeqNum(5000)));
    EXPECT_FALSE(cc.may_enter_sack_recovery(SeqNum(11999)));
    EXPECT_TRUE(cc.may_enter_sack_recovery(SeqNum(12000))); // HighACK = RecoveryPoint
    cc.on_ack(1000, SeqNum(6000), SeqNum(12000), 7000);
    EXPECT_FALSE(cc.may_enter_sack_recovery(SeqNum(6000)));
}

// ---------------------------------------------------------------------------------------------------------
// The sender's RFC 6675 section 5 logic on a connection (RawTcp: the test is the peer).

namespace {

using namespace pico;
using namespace pico::tcptest;

class RawTcpSack : public RawTcp {
  protected:
    static constexpr std::uint32_t seg_len = 536; // the peer sends no MSS option: 536 (RFC 9293 3.7.1)

    Conn open_sack() {
        wire::tcp::Options o;
        o.sack_permitted = true;
        Conn c = active_open(o);
        EXPECT_TRUE(tcb(c.handle).sack_ok);
        return c;
    }
    // Writes `segments` full segments and returns the seqs of what the initial window let out.
    std::vector<std::uint32_t> write_and_collect(const Conn& c, std::size_t segments) {
        ByteVec data(seg_len * segments, 'd');
        std::size_t written = 0;
        EXPECT_EQ(tcp::write(*stack, c.handle, Bytes{data.data(), data.size()}, written), SocketError::Ok);
        EXPECT_EQ(written, data.size());
        return data_seqs();
    }
    std::vector<std::uint32_t> data_seqs() {
        std::vector<std::uint32_t> seqs;
        while (auto o = next())
            if (!o->data.empty()) seqs.push_back(o->seq);
        return seqs;
    }
    // The peer's segment: ACK = ack, one SACK block [left, right), optional data (in order).
    void send(Conn& c, std::uint32_t ack, std::uint32_t left, std::uint32_t right, const ByteVec& data = {}) {
        In in = from_peer(c, F::ack, data);
        in.ack = ack;
        if (left != right) {
            in.options.sack_count = 1;
            in.options.sack[0] = {left, right};
        }
        inject(in);
        c.snd += static_cast<std::uint32_t>(data.size());
    }
};

} // namespace

// The defect the e2e loss tests showed: in a bidirectional transfer every ACK rides on data, and a data
// segment was never a duplicate ACK (RFC 5681's definition), so every loss waited for the RTO. With SACK, RFC
// 6675 section 2 counts any ACK that SACKs new data.
TEST_F(RawTcpSack, DataSegmentsSackingNewDataAreDuplicateAcks) {
    Conn c = open_sack();
    const std::uint32_t una = c.rcv;
    ASSERT_EQ(write_and_collect(c, 10).size(), 4u); // IW = 4 * 536 (RFC 5681 3.1)
    // Segment 0 lost: the peer's data segments SACK 1, 1..2, 1..3.
    send(c, una, una + seg_len, una + 2 * seg_len, ByteVec(100, 'p'));
    EXPECT_EQ(data_seqs(), (std::vector<std::uint32_t>{una + 4 * seg_len})); // limited transmit
    EXPECT_EQ(tcb(c.handle).cc.duplicate_acks(), 1);
    send(c, una, una + seg_len, una + 3 * seg_len, ByteVec(100, 'p'));
    EXPECT_EQ(data_seqs(), (std::vector<std::uint32_t>{una + 5 * seg_len}));
    EXPECT_FALSE(tcb(c.handle).sack_recovery);
    send(c, una, una + seg_len, una + 4 * seg_len, ByteVec(100, 'p'));
    EXPECT_EQ(data_seqs(), (std::vector<std::uint32_t>{una})); // fast retransmit
    EXPECT_TRUE(tcb(c.handle).sack_recovery);
    EXPECT_TRUE(tcb(c.handle).cc.in_recovery());
    // ssthresh = cwnd = FlightSize / 2, the two limited-transmit segments left out of FlightSize.
    EXPECT_EQ(tcb(c.handle).cc.ssthresh(), 2 * seg_len);
    EXPECT_EQ(tcb(c.handle).cc.cwnd(), 2 * seg_len);
    EXPECT_EQ(tcb(c.handle).scoreboard.rescue_rxt(), SeqNum(una + seg_len)); // (4.3)
    EXPECT_EQ(tcb(c.handle).high_rxt, SeqNum(una + seg_len));
    EXPECT_EQ(tcb(c.handle).rcv_nxt, SeqNum(c.snd)); // the peer's data was taken
}

// RFC 6675 5: a cumulative ACK resets DupAcks, and when it also SACKs new data it counts as the first
// duplicate ACK of the next run (section 2: "even if it ... moves the cumulative acknowledgment point").
TEST_F(RawTcpSack, CumulativeAckSackingNewDataCountsOnce) {
    Conn c = open_sack();
    const std::uint32_t una = c.rcv;
    ASSERT_EQ(write_and_collect(c, 10).size(), 4u);
    send(c, una, una + seg_len, una + 2 * seg_len);
    send(c, una, una + seg_len, una + 3 * seg_len);
    EXPECT_EQ(tcb(c.handle).cc.duplicate_acks(), 2);
    data_seqs();
    // Segment 0 arrives: ACK 3 segments, and segment 4 is SACKed (3 lost).
    send(c, una + 3 * seg_len, una + 4 * seg_len, una + 5 * seg_len);
    EXPECT_EQ(tcb(c.handle).cc.duplicate_acks(), 1);
    EXPECT_FALSE(tcb(c.handle).sack_recovery);
    // Nothing is retransmitted (one duplicate ACK, one segment SACKed above the hole).
    for (std::uint32_t seq : data_seqs())
        EXPECT_GE(seq, una + 6 * seg_len);
}

// RFC 6675 5.1: after a timeout no recovery starts before the cumulative ACK reaches RecoveryPoint.
TEST_F(RawTcpSack, NoRecoveryAfterTimeoutBeforeRecoveryPoint) {
    Conn c = open_sack();
    const std::uint32_t una = c.rcv;
    ASSERT_EQ(write_and_collect(c, 4).size(), 4u);
    ASSERT_TRUE(wait_segment(1100)); // the RTO: the first segment again
    EXPECT_FALSE(tcb(c.handle).cc.may_enter_sack_recovery(tcb(c.handle).snd_una));
    const std::uint32_t ssthresh = tcb(c.handle).cc.ssthresh();
    send(c, una, una + seg_len, una + 4 * seg_len); // DupAcks 1 and IsLost: but RecoveryPoint not reached
    EXPECT_FALSE(tcb(c.handle).sack_recovery);
    EXPECT_EQ(tcb(c.handle).cc.ssthresh(), ssthresh);
    EXPECT_TRUE(data_seqs().empty());
    send(c, una + 4 * seg_len, 0, 0);
    EXPECT_TRUE(tcb(c.handle).cc.may_enter_sack_recovery(tcb(c.handle).snd_una));
}

#endif // PICO_WITH_TCP
