// Sequence number arithmetic modulo 2^32 (RFC 9293 3.4): comparisons across the 2^32 wrap and at the 2^31
// boundary, distances, seq_in_range.
#include "transport/tcp/seqnum.hpp"
#include <gtest/gtest.h>
#include <limits>

using pico::tcp::seq_in_range;
using pico::tcp::seq_max;
using pico::tcp::seq_min;
using pico::tcp::SeqNum;

TEST(TcpSeqNum, OrdinaryComparisons) {
    SeqNum a(100), b(200);
    EXPECT_TRUE(a < b);
    EXPECT_TRUE(a <= b);
    EXPECT_FALSE(a > b);
    EXPECT_FALSE(a >= b);
    EXPECT_TRUE(b > a);
    EXPECT_TRUE(a <= a);
    EXPECT_TRUE(a >= a);
    EXPECT_FALSE(a < a);
    EXPECT_TRUE(a == SeqNum(100));
    EXPECT_EQ(b - a, 100);
    EXPECT_EQ(a - b, -100);
}

TEST(TcpSeqNum, WrapAroundAtTwoToThe32) {
    SeqNum before(0xfffffff0u), after(0x10u);
    EXPECT_TRUE(before < after);
    EXPECT_TRUE(after > before);
    EXPECT_EQ(after - before, 0x20);
    EXPECT_EQ(before - after, -0x20);
    EXPECT_EQ((before + 0x20).raw(), 0x10u);
    EXPECT_EQ((after - 0x20u).raw(), 0xfffffff0u);
    SeqNum max(0xffffffffu), zero(0);
    EXPECT_TRUE(max < zero);
    EXPECT_EQ(zero - max, 1);
    EXPECT_EQ((max + 1).raw(), 0u);
    SeqNum s(0xfffffffeu);
    s += 3;
    EXPECT_EQ(s.raw(), 1u);
}

TEST(TcpSeqNum, TwoToThe31Boundary) {
    SeqNum zero(0);
    // Just under half the space ahead: still "greater".
    SeqNum ahead(0x7fffffffu);
    EXPECT_TRUE(ahead > zero);
    EXPECT_TRUE(zero < ahead);
    EXPECT_EQ(ahead - zero, 0x7fffffff);
    // One more: the distance wraps to negative and the order flips.
    SeqNum half(0x80000000u);
    EXPECT_TRUE(half < zero);
    EXPECT_EQ(half - zero, std::numeric_limits<std::int32_t>::min());
    SeqNum past(0x80000001u);
    EXPECT_TRUE(past < zero);
    EXPECT_TRUE(zero > past);
    // The same boundary starting near the top.
    SeqNum top(0xfffffff0u);
    EXPECT_TRUE(top + 0x7fffffffu > top);
    EXPECT_TRUE(top + 0x80000001u < top);
}

TEST(TcpSeqNum, MinMax) {
    SeqNum a(0xfffffff0u), b(5);
    EXPECT_EQ(seq_max(a, b), b);
    EXPECT_EQ(seq_min(a, b), a);
    EXPECT_EQ(seq_max(b, a), b);
    EXPECT_EQ(seq_min(b, a), a);
    EXPECT_EQ(seq_max(a, a), a);
}

TEST(TcpSeqNum, InRangeHalfOpen) {
    SeqNum a(1000), b(2000);
    EXPECT_TRUE(seq_in_range(a, SeqNum(1000), b));
    EXPECT_TRUE(seq_in_range(a, SeqNum(1999), b));
    EXPECT_FALSE(seq_in_range(a, SeqNum(2000), b));
    EXPECT_FALSE(seq_in_range(a, SeqNum(999), b));
    // Empty range.
    EXPECT_FALSE(seq_in_range(a, a, a));
}

TEST(TcpSeqNum, InRangeAcrossWrap) {
    SeqNum a(0xffffff00u), b(0x100u);
    EXPECT_TRUE(seq_in_range(a, SeqNum(0xffffff00u), b));
    EXPECT_TRUE(seq_in_range(a, SeqNum(0xffffffffu), b));
    EXPECT_TRUE(seq_in_range(a, SeqNum(0), b));
    EXPECT_TRUE(seq_in_range(a, SeqNum(0xffu), b));
    EXPECT_FALSE(seq_in_range(a, SeqNum(0x100u), b));
    EXPECT_FALSE(seq_in_range(a, SeqNum(0xfffffeffu), b));
    EXPECT_FALSE(seq_in_range(a, SeqNum(0x80000000u), b));
}

TEST(TcpSeqNum, ConstexprUsable) {
    static_assert(SeqNum(1) < SeqNum(2));
    static_assert(SeqNum(0xffffffffu) < SeqNum(0));
    static_assert(seq_in_range(SeqNum(0xfffffff0u), SeqNum(1), SeqNum(16)));
    static_assert((SeqNum(0xffffffffu) + 2).raw() == 1);
    SUCCEED();
}
