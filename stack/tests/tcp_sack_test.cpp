// RFC 6675 SACK scoreboard: merging RFC 2018 blocks into bounded ranges, advancing with the cumulative ACK,
// IsLost thresholds, NextSeg rule 1 and SetPipe.
#include "core/config.hpp"
#if PICO_WITH_TCP
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

TEST(TcpSack, ClearForgetsRanges) {
    SackScoreboard sb;
    add(sb, {r(300, 400)}, 100);
    sb.clear();
    EXPECT_EQ(sb.range_count(), 0u);
    EXPECT_EQ(sb.sacked_bytes(), 0u);
    EXPECT_FALSE(sb.is_sacked(SeqNum(300)));
}

#endif // PICO_WITH_TCP
