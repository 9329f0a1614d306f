// Core: timers, pools, packet buffers, rings, address text, and the independence of two stacks.
#include "assembly/stack.hpp"
#include "core/buffer.hpp"
#include "core/pool.hpp"
#include "core/rate_limit.hpp"
#include "core/ring.hpp"
#include "core/timer.hpp"
#include "core/types.hpp"
#include "link/wire_device.hpp"
#include "port/virtual_platform.hpp"
#include "socket/socket.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

using namespace pico;

namespace {

struct StackFixture : ::testing::Test {
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
};

// ---- timers ----

struct FireLog {
    std::vector<std::uint32_t> fired;
};
void log_fire(Stack&, void* context, std::uint32_t argument) {
    static_cast<FireLog*>(context)->fired.push_back(argument);
}

struct TimerFixture : StackFixture {
    TimerQueue<4> timers;
    FireLog log;
};

} // namespace

TEST_F(TimerFixture, FiresDueTimersEarliestFirst) {
    timers.schedule(30, log_fire, &log, 3);
    timers.schedule(10, log_fire, &log, 1);
    timers.schedule(20, log_fire, &log, 2);
    timers.schedule(40, log_fire, &log, 4);
    EXPECT_EQ(timers.next_deadline(), 10u);
    EXPECT_EQ(timers.fire_due(*stack, 9), 0u);
    EXPECT_EQ(timers.fire_due(*stack, 30), 3u);
    EXPECT_EQ(log.fired, (std::vector<std::uint32_t>{1, 2, 3}));
    EXPECT_EQ(timers.active_count(), 1u);
    EXPECT_EQ(timers.next_deadline(), 40u);
    EXPECT_EQ(timers.fire_due(*stack, 100), 1u);
    EXPECT_EQ(log.fired.back(), 4u);
    EXPECT_EQ(timers.next_deadline(), ~TimeMs{0});
}

TEST_F(TimerFixture, CancelStopsAPendingTimer) {
    TimerId keep = timers.schedule(10, log_fire, &log, 1);
    TimerId drop = timers.schedule(10, log_fire, &log, 2);
    EXPECT_TRUE(timers.pending(drop));
    EXPECT_TRUE(timers.cancel(drop));
    EXPECT_FALSE(drop.valid()); // cancel clears the caller's id
    EXPECT_FALSE(timers.cancel(drop));
    EXPECT_EQ(timers.fire_due(*stack, 10), 1u);
    EXPECT_EQ(log.fired, (std::vector<std::uint32_t>{1}));
    EXPECT_FALSE(timers.pending(keep));
}

TEST_F(TimerFixture, CancelAfterFireIsHarmlessEvenWhenTheSlotIsReused) {
    TimerId first = timers.schedule(5, log_fire, &log, 1);
    TimerId stale = first;
    EXPECT_EQ(timers.fire_due(*stack, 5), 1u);
    EXPECT_FALSE(timers.pending(first));
    EXPECT_FALSE(timers.cancel(first));
    // The freed slot is reused by a new timer; the stale id (older generation) must not cancel it.
    TimerId second = timers.schedule(7, log_fire, &log, 2);
    EXPECT_EQ(second.slot, stale.slot);
    EXPECT_NE(second.generation, stale.generation);
    EXPECT_FALSE(timers.cancel(stale));
    EXPECT_TRUE(timers.pending(second));
    EXPECT_EQ(timers.fire_due(*stack, 7), 1u);
    EXPECT_EQ(log.fired, (std::vector<std::uint32_t>{1, 2}));
    TimerId invalid;
    EXPECT_FALSE(timers.cancel(invalid));
}

namespace {
struct Rearm {
    TimerQueueBase* timers;
    int fired = 0;
};
void rearm_now(Stack&, void* context, std::uint32_t deadline) {
    auto* r = static_cast<Rearm*>(context);
    ++r->fired;
    r->timers->schedule(deadline, rearm_now, r, deadline); // due at once: must wait for the next poll
}
} // namespace

TEST_F(TimerFixture, RearmInsideCallbackFiresOnTheNextPollOnly) {
    Rearm r{&timers};
    timers.schedule(10, rearm_now, &r, 10);
    EXPECT_EQ(timers.fire_due(*stack, 10), 1u);
    EXPECT_EQ(r.fired, 1);
    EXPECT_EQ(timers.active_count(), 1u);
    EXPECT_EQ(timers.fire_due(*stack, 10), 1u);
    EXPECT_EQ(r.fired, 2);
}

TEST_F(TimerFixture, FullTableGivesInvalidIdAndCountsExhaustion) {
    for (std::uint32_t i = 0; i < 4; ++i)
        EXPECT_TRUE(timers.schedule(100 + i, log_fire, &log, i).valid());
    TimerId refused = timers.schedule(1, log_fire, &log, 99);
    EXPECT_FALSE(refused.valid());
    EXPECT_EQ(timers.exhausted(), 1u);
    EXPECT_FALSE(timers.pending(refused));
    EXPECT_EQ(timers.fire_due(*stack, 1000), 4u);
    EXPECT_TRUE(timers.schedule(1, log_fire, &log, 5).valid()); // room again
}

TEST_F(StackFixture, StackPollFiresTimersAtVirtualTime) {
    FireLog log;
    stack->timer_queue().schedule(50, log_fire, &log, 7);
    clock.advance(49);
    stack->poll();
    EXPECT_TRUE(log.fired.empty());
    clock.advance(1);
    stack->poll();
    EXPECT_EQ(log.fired, (std::vector<std::uint32_t>{7}));
}

// ---- pools ----

namespace {
struct Counted {
    Counted(int* live, int value) : live(live), value(value) { ++*live; }
    ~Counted() { --*live; }
    int* live;
    int value;
};
} // namespace

TEST(ObjectPool, ExhaustionHighWaterAndRelease) {
    int live = 0;
    {
        ObjectPool<Counted, 3> pool;
        EXPECT_EQ(pool.stats().capacity, 3u);
        Counted* a = pool.acquire(&live, 1);
        Counted* b = pool.acquire(&live, 2);
        Counted* c = pool.acquire(&live, 3);
        ASSERT_TRUE(a && b && c);
        EXPECT_EQ(b->value, 2);
        EXPECT_EQ(live, 3);
        EXPECT_EQ(pool.acquire(&live, 4), nullptr);
        EXPECT_EQ(pool.stats().exhausted, 1u);
        EXPECT_EQ(pool.stats().in_use, 3u);
        EXPECT_EQ(pool.stats().high_water, 3u);
        EXPECT_EQ(pool.index_of(b), 1u);
        EXPECT_EQ(pool.at(1), b);

        pool.release(b);
        EXPECT_EQ(live, 2);
        EXPECT_EQ(pool.stats().in_use, 2u);
        EXPECT_EQ(pool.stats().high_water, 3u);
        EXPECT_EQ(pool.at(1), nullptr);
        pool.release(b); // double release is ignored
        EXPECT_EQ(pool.stats().in_use, 2u);
        // Not from this pool: ignored, and never touched (raw storage: a destructor call would show in
        // `live`, and gcc -O2 cannot see that release() leaves a real object alone).
        alignas(Counted) unsigned char outside[sizeof(Counted)] = {};
        pool.release(reinterpret_cast<Counted*>(outside));
        EXPECT_EQ(live, 2);
        EXPECT_EQ(pool.stats().in_use, 2u);

        Counted* again = pool.acquire(&live, 5);
        EXPECT_EQ(again, b); // the slot just freed
        EXPECT_EQ(again->value, 5);
    }
    EXPECT_EQ(live, 0); // the pool destroyed the objects still in it
}

TEST(FramePool, ExhaustionHighWaterAndRelease) {
    auto pool = std::make_unique<FramePool<3, 128>>();
    EXPECT_EQ(pool->frame_size(), 128u);
    std::vector<PacketBuf> held;
    for (int i = 0; i < 3; ++i) {
        auto f = pool->allocate(16);
        ASSERT_TRUE(f);
        held.push_back(std::move(*f));
    }
    EXPECT_FALSE(pool->allocate(16));
    EXPECT_EQ(pool->stats().exhausted, 1u);
    EXPECT_EQ(pool->stats().in_use, 3u);
    EXPECT_EQ(pool->stats().high_water, 3u);
    held.pop_back();
    EXPECT_EQ(pool->stats().in_use, 2u);
    EXPECT_TRUE(pool->allocate(0));
    EXPECT_EQ(pool->stats().in_use, 2u); // the temporary went back at once
    EXPECT_EQ(pool->stats().high_water, 3u);
    EXPECT_FALSE(pool->allocate(129));                                     // headroom larger than a frame
    EXPECT_FALSE(pool->allocate_copy(std::vector<std::uint8_t>(120), 16)); // does not fit
    held.clear();
    EXPECT_EQ(pool->stats().in_use, 0u);
}

// ---- PacketBuf ----

TEST(PacketBuf, PushPullAppendTrimBounds) {
    auto pool = std::make_unique<FramePool<2, 64>>();
    auto buf = pool->allocate(8);
    ASSERT_TRUE(buf);
    EXPECT_TRUE(buf->valid());
    EXPECT_EQ(buf->size(), 0u);
    EXPECT_EQ(buf->headroom(), 8u);
    EXPECT_EQ(buf->tailroom(), 56u);

    std::uint8_t* body = buf->append(4);
    ASSERT_NE(body, nullptr);
    for (int i = 0; i < 4; ++i)
        body[i] = static_cast<std::uint8_t>(0xb0 + i);
    EXPECT_EQ(buf->append(53), nullptr); // tailroom is 52
    EXPECT_TRUE(buf->append(std::vector<std::uint8_t>{0xc0, 0xc1}));
    EXPECT_EQ(buf->size(), 6u);

    EXPECT_EQ(buf->push(9), nullptr); // beyond headroom: nothing changes
    EXPECT_EQ(buf->size(), 6u);
    std::uint8_t* header = buf->push(8);
    ASSERT_NE(header, nullptr);
    EXPECT_EQ(header, buf->data());
    EXPECT_EQ(buf->headroom(), 0u);
    EXPECT_EQ(buf->size(), 14u);

    EXPECT_FALSE(buf->pull(15)); // beyond size: nothing changes
    EXPECT_EQ(buf->size(), 14u);
    EXPECT_TRUE(buf->pull(8));
    EXPECT_EQ(buf->offset(), 8u);
    EXPECT_EQ(buf->data()[0], 0xb0);
    EXPECT_TRUE(buf->unpull(8));
    EXPECT_EQ(buf->offset(), 0u);
    EXPECT_TRUE(buf->pull(8));

    buf->trim(10); // longer than the data: no change
    EXPECT_EQ(buf->size(), 6u);
    buf->trim(3);
    EXPECT_EQ(buf->size(), 3u);
    EXPECT_EQ(buf->bytes().back(), 0xb2);

    // at_offset: absolute offsets, bounded by the current end (8 + 3 = 11).
    EXPECT_EQ(buf->at_offset(8, 3).size(), 3u);
    EXPECT_EQ(buf->at_offset(8, 3)[0], 0xb0);
    EXPECT_EQ(buf->at_offset(0, 11).size(), 11u);
    EXPECT_TRUE(buf->at_offset(0, 12).empty());
    EXPECT_TRUE(buf->at_offset(12, 0).empty());
    EXPECT_TRUE(buf->at_offset(11, 1).empty());
    EXPECT_TRUE(buf->at_offset(5, ~std::size_t{0}).empty()); // no overflow in the bound check
}

TEST(PacketBuf, FramesReturnToThePoolOnDestructionAndMove) {
    auto pool = std::make_unique<FramePool<2, 64>>();
    {
        auto a = pool->allocate_copy(std::vector<std::uint8_t>{1, 2, 3}, 4);
        ASSERT_TRUE(a);
        EXPECT_EQ(pool->stats().in_use, 1u);
        PacketBuf moved(std::move(*a));
        EXPECT_FALSE(a->valid());
        EXPECT_EQ(a->size(), 0u);
        EXPECT_EQ(a->tailroom(), 0u);
        EXPECT_TRUE(moved.valid());
        EXPECT_EQ(moved.size(), 3u);
        EXPECT_EQ(moved.data()[2], 3);
        EXPECT_EQ(pool->stats().in_use, 1u); // moving does not take another frame

        auto b = pool->allocate(0);
        ASSERT_TRUE(b);
        EXPECT_EQ(pool->stats().in_use, 2u);
        *b = std::move(moved); // b's own frame goes back, it takes moved's
        EXPECT_EQ(pool->stats().in_use, 1u);
        EXPECT_EQ(b->size(), 3u);
        EXPECT_FALSE(moved.valid());
        PacketBuf& same = *b;
        *b = std::move(same); // self-move keeps the frame
        EXPECT_TRUE(b->valid());
        EXPECT_EQ(pool->stats().in_use, 1u);
    }
    EXPECT_EQ(pool->stats().in_use, 0u);
    EXPECT_EQ(pool->stats().high_water, 2u);
}

// ---- Ring ----

TEST(Ring, FullEmptyOrderAndWrap) {
    Ring<int, 3> ring;
    EXPECT_TRUE(ring.empty());
    EXPECT_FALSE(ring.pop());
    EXPECT_EQ(ring.front(), nullptr);
    EXPECT_TRUE(ring.push(1));
    EXPECT_TRUE(ring.push(2));
    EXPECT_TRUE(ring.push(3));
    EXPECT_TRUE(ring.full());
    EXPECT_FALSE(ring.push(4));
    EXPECT_EQ(ring.size(), 3u);
    EXPECT_EQ(*ring.front(), 1);
    EXPECT_EQ(*ring.at(2), 3);
    EXPECT_EQ(ring.at(3), nullptr);
    EXPECT_EQ(*ring.pop(), 1);
    EXPECT_TRUE(ring.push(4)); // wraps around
    EXPECT_EQ(*ring.pop(), 2);
    EXPECT_EQ(*ring.pop(), 3);
    EXPECT_EQ(*ring.pop(), 4);
    EXPECT_TRUE(ring.empty());
    ring.push(5);
    ring.clear();
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ((Ring<int, 3>::capacity()), 3u);
}

TEST(Ring, HoldsMoveOnlyFramesAndReleasesThemOnClear) {
    auto pool = std::make_unique<FramePool<4, 64>>();
    Ring<PacketBuf, 2> ring;
    for (int i = 0; i < 2; ++i)
        EXPECT_TRUE(ring.push(std::move(*pool->allocate(0))));
    auto extra = pool->allocate(0);
    EXPECT_FALSE(ring.push(std::move(*extra)));
    EXPECT_EQ(pool->stats().in_use, 3u);
    ring.clear();
    EXPECT_EQ(pool->stats().in_use, 1u);
}

// ---- address text ----

TEST(AddressText, ParseIpv4) {
    EXPECT_EQ(parse_ipv4("198.18.0.1")->value, 0xC6120001u);
    EXPECT_EQ(parse_ipv4("0.0.0.0")->value, 0u);
    EXPECT_EQ(parse_ipv4("255.255.255.255")->value, 0xffffffffu);
    EXPECT_EQ(parse_ipv4("198.018.000.001")->value, 0xC6120001u); // leading zeros are decimal, not octal
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "1..2.3", "1.2.3.",
                            "a.b.c.d", "1.2.3.0004", "1.2.3.-4", "1,2,3,4"})
        EXPECT_FALSE(parse_ipv4(bad)) << bad;
    EXPECT_FALSE(parse_ipv4(nullptr));
}

TEST(AddressText, ParseMac) {
    auto mac = parse_mac("02:00:5e:AB:cd:ff");
    ASSERT_TRUE(mac);
    EXPECT_EQ(mac->octets, (std::array<std::uint8_t, 6>{0x02, 0x00, 0x5e, 0xab, 0xcd, 0xff}));
    EXPECT_EQ(*parse_mac("02-00-00-00-00-01"), *parse_mac("02:00:00:00:00:01"));
    EXPECT_TRUE(parse_mac("ff:ff:ff:ff:ff:ff")->is_broadcast());
    for (const char* bad : {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "02:00:00:00:00:0g",
                            "2:00:00:00:00:01", "02:00:00:00:00:01 ", "0200.0000.0001", "02::00:00:00:01"})
        EXPECT_FALSE(parse_mac(bad)) << bad;
    EXPECT_FALSE(parse_mac(nullptr));
}

TEST(AddressText, FormatIpv4) {
    char out[16];
    format_ipv4(*parse_ipv4("198.18.0.1"), out);
    EXPECT_STREQ(out, "198.18.0.1");
    format_ipv4(Ipv4Addr{0}, out);
    EXPECT_STREQ(out, "0.0.0.0");
    format_ipv4(Ipv4Addr::limited_broadcast(), out);
    EXPECT_STREQ(out, "255.255.255.255");
    format_ipv4(Ipv4Addr::from_octets(10, 100, 9, 99), out);
    EXPECT_STREQ(out, "10.100.9.99");
    // Round trip.
    for (const char* text : {"198.19.255.254", "1.0.10.100", "224.0.0.1"}) {
        format_ipv4(*parse_ipv4(text), out);
        EXPECT_STREQ(out, text);
    }
}

// ---- many stacks per process ----

TEST(TwoStacksInOneProcess, StateIsIndependent) {
    VirtualClock clock_a, clock_b;
    VirtualPlatform platform_a(clock_a, 1), platform_b(clock_b, 1);
    auto a = std::make_unique<Stack>(platform_a);
    auto b = std::make_unique<Stack>(platform_b);
    WireDevice eth_a(*parse_mac("02:00:00:00:00:01"), 1500), eth_b(*parse_mac("02:00:00:00:00:02"), 1500);
    IfIndex ifa = a->attach(eth_a);
    IfIndex ifb = b->attach(eth_b);
    EXPECT_EQ(ifa, 0);
    EXPECT_EQ(ifb, 0);

    // Addresses, sockets, frames and timers of one stack are invisible to the other.
    ASSERT_TRUE(ipv4::add_address(*a, ifa, *parse_ipv4("198.18.0.1"), 24));
    EXPECT_TRUE(ipv4::is_local_any(*a, *parse_ipv4("198.18.0.1")));
    EXPECT_FALSE(ipv4::is_local_any(*b, *parse_ipv4("198.18.0.1")));

    SocketHandle sa = socket::open_udp(*a, nullptr, nullptr);
    SocketHandle sb = socket::open_udp(*b, nullptr, nullptr);
    EXPECT_EQ(sa, sb); // each stack has its own table
    EXPECT_EQ(socket::bind(*a, sa, Ipv4Addr{}, 5000), SocketError::Ok);
    EXPECT_EQ(socket::bind(*b, sb, Ipv4Addr{}, 5000), SocketError::Ok);

    auto held = a->frame_pool().allocate(0);
    ASSERT_TRUE(held);
    EXPECT_EQ(b->frame_stats().in_use, 0u);

    FireLog log_a;
    a->timer_queue().schedule(10, log_fire, &log_a, 1);
    clock_b.advance(100);
    b->poll();
    EXPECT_TRUE(log_a.fired.empty());
    EXPECT_EQ(b->timer_queue().active_count(), 0u);
    clock_a.advance(10);
    a->poll();
    EXPECT_EQ(log_a.fired.size(), 1u);

    ASSERT_TRUE(a->inject(ifa, std::vector<std::uint8_t>(60, 0)));
    EXPECT_EQ(a->device_counters().rx, 1u);
    EXPECT_EQ(b->device_counters().rx, 0u);
}

TEST(TokenBucket, RefillsWholeIntervalsUpToTheBurst) {
    TokenBucket<10, 100> bucket;
    for (int i = 0; i < 10; ++i)
        bucket.take();
    ASSERT_TRUE(bucket.empty());
    bucket.refill(99); // not one whole interval
    EXPECT_EQ(bucket.tokens, 0u);
    EXPECT_EQ(bucket.last_refill, 0u);
    bucket.refill(250); // two intervals; the half one is kept for later
    EXPECT_EQ(bucket.tokens, 2u);
    EXPECT_EQ(bucket.last_refill, 200u);
    bucket.refill(299); // 99 ms since the last refill
    EXPECT_EQ(bucket.tokens, 2u);
    bucket.refill(300 + 700); // eight intervals: exactly full
    EXPECT_EQ(bucket.tokens, 10u);
    EXPECT_EQ(bucket.last_refill, 1000u);
    bucket.take();
    bucket.refill(TimeMs{1} << 40); // a very long time (a 64-bit clock): full, no overflow
    EXPECT_EQ(bucket.tokens, 10u);
    EXPECT_EQ(bucket.last_refill, TimeMs{1} << 40);
    bucket.refill(5); // the clock stepped back: restart the interval there
    EXPECT_EQ(bucket.last_refill, 5u);
    EXPECT_EQ(bucket.tokens, 10u);
}
