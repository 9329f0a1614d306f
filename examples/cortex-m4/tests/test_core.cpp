// Core services on the target: timers (order, cancel, generations, re-arming, a full table, and a deadline
// met by the SysTick clock through Stack::poll), pools (ObjectPool and FramePool exhaustion, return,
// PoolStats), packet buffers (headroom push/pull, append, trim, moves), the ring, and the Cortex-M port
// itself (SysTick time, the PRIMASK critical section, the seeded random source). Mirrors
// stack/tests/core_test.cpp.
#include "board.hpp"
#include "core/buffer.hpp"
#include "core/pool.hpp"
#include "core/ring.hpp"
#include "core/timer.hpp"
#include "runner.hpp"
#include <cstdint>
#include <utility>

using namespace pico;

namespace {

// What fired, in order (a fixed log: no vector on the target).
struct FireLog {
    std::uint32_t fired[16] = {};
    std::size_t count = 0;
    TimeMs last_time = 0;
};
void log_fire(Stack& stack, void* context, std::uint32_t argument) {
    auto* log = static_cast<FireLog*>(context);
    if (log->count < 16) log->fired[log->count++] = argument;
    log->last_time = stack.now();
}

TimerQueue<4> queue4; // static: reset in each test by a fresh object below
void reset_timers() {
    queue4.~TimerQueue<4>();
    ::new (static_cast<void*>(&queue4)) TimerQueue<4>();
}

struct Rearm {
    TimerQueueBase* queue;
    int fired = 0;
};
void rearm_now(Stack&, void* context, std::uint32_t deadline) {
    auto* r = static_cast<Rearm*>(context);
    ++r->fired;
    r->queue->schedule(deadline, rearm_now, r, deadline); // due at once: waits for the next call
}

} // namespace

TEST(TimerFiresDueTimersEarliestFirst) {
    Stack& stack = m4test::fresh_stack(0);
    reset_timers();
    FireLog log;
    queue4.schedule(30, log_fire, &log, 3);
    queue4.schedule(10, log_fire, &log, 1);
    queue4.schedule(20, log_fire, &log, 2);
    queue4.schedule(40, log_fire, &log, 4);
    CHECK_EQ(queue4.next_deadline(), 10u);
    CHECK_EQ(queue4.fire_due(stack, 9), 0u);
    CHECK_EQ(queue4.fire_due(stack, 30), 3u);
    REQUIRE_EQ(log.count, 3u);
    CHECK_EQ(log.fired[0], 1u);
    CHECK_EQ(log.fired[1], 2u);
    CHECK_EQ(log.fired[2], 3u);
    CHECK_EQ(queue4.active_count(), 1u);
    CHECK_EQ(queue4.next_deadline(), 40u);
    CHECK_EQ(queue4.fire_due(stack, 100), 1u);
    CHECK_EQ(log.fired[3], 4u);
    CHECK_EQ(queue4.next_deadline(), ~TimeMs{0});
}

TEST(TimerCancelAndGenerations) {
    Stack& stack = m4test::fresh_stack(0);
    reset_timers();
    FireLog log;
    TimerId keep = queue4.schedule(10, log_fire, &log, 1);
    TimerId drop = queue4.schedule(10, log_fire, &log, 2);
    CHECK(queue4.pending(drop));
    CHECK(queue4.cancel(drop));
    CHECK(!drop.valid()); // cancel clears the caller's id
    CHECK(!queue4.cancel(drop));
    CHECK_EQ(queue4.fire_due(stack, 10), 1u);
    CHECK_EQ(log.count, 1u);
    CHECK_EQ(log.fired[0], 1u);
    CHECK(!queue4.pending(keep));
    // A stale id (its slot reused by a newer timer) cancels nothing.
    TimerId first = queue4.schedule(15, log_fire, &log, 3);
    TimerId stale = first;
    CHECK_EQ(queue4.fire_due(stack, 15), 1u);
    TimerId second = queue4.schedule(17, log_fire, &log, 4);
    CHECK_EQ(second.slot, stale.slot);
    CHECK(second.generation != stale.generation);
    CHECK(!queue4.cancel(stale));
    CHECK(queue4.pending(second));
    CHECK_EQ(queue4.fire_due(stack, 17), 1u);
    CHECK_EQ(log.count, 3u);
}

TEST(TimerRearmInsideCallbackWaitsForTheNextRound) {
    Stack& stack = m4test::fresh_stack(0);
    reset_timers();
    Rearm r{&queue4};
    queue4.schedule(10, rearm_now, &r, 10);
    CHECK_EQ(queue4.fire_due(stack, 10), 1u);
    CHECK_EQ(r.fired, 1);
    CHECK_EQ(queue4.active_count(), 1u);
    CHECK_EQ(queue4.fire_due(stack, 10), 1u);
    CHECK_EQ(r.fired, 2);
}

TEST(TimerFullTableIsCountedNotGrown) {
    Stack& stack = m4test::fresh_stack(0);
    reset_timers();
    FireLog log;
    for (std::uint32_t i = 0; i < 4; ++i)
        CHECK(queue4.schedule(100 + i, log_fire, &log, i).valid());
    TimerId refused = queue4.schedule(1, log_fire, &log, 99);
    CHECK(!refused.valid());
    CHECK_EQ(queue4.exhausted(), 1u);
    CHECK_EQ(queue4.fire_due(stack, 1000), 4u);
    CHECK(queue4.schedule(1, log_fire, &log, 5).valid());
}

TEST(TimerFiresAtItsDeadlineOnTheSysTickClock) {
    // The stack's own timer queue, driven by Stack::poll and the platform clock (SysTick at 1 kHz).
    Stack& stack = m4test::fresh_stack(0);
    FireLog log;
    const TimeMs start = m4test::platform().now_ms();
    const TimeMs deadline = start + 25;
    REQUIRE(stack.timer_queue().schedule(deadline, log_fire, &log, 7).valid());
    TimeMs now = start;
    for (std::uint32_t spins = 0; log.count == 0 && spins < 50'000'000u; ++spins) {
        now = m4test::platform().now_ms();
        stack.poll();
        if (log.count == 0 && now >= deadline + 5) break; // overdue by 5 ms: a failure, not a hang
    }
    REQUIRE_EQ(log.count, 1u);
    CHECK_EQ(log.fired[0], 7u);
    CHECK(log.last_time >= deadline); // never early
    // and promptly (QEMU's SysTick follows the host clock: a descheduled QEMU sees the time jump, hence the
    // slack; polled in a tight loop, the timer fires within a tick or two).
    CHECK(log.last_time <= deadline + 20);
}

namespace {
struct Item {
    explicit Item(int v) : value(v) {}
    int value;
};
ObjectPool<Item, 3> pool;
} // namespace

TEST(ObjectPoolExhaustionHighWaterAndRelease) {
    Item* a = pool.acquire(1);
    Item* b = pool.acquire(2);
    Item* c = pool.acquire(3);
    REQUIRE(a != nullptr && b != nullptr && c != nullptr);
    CHECK_EQ(b->value, 2);
    CHECK(pool.acquire(4) == nullptr);
    CHECK_EQ(pool.stats().exhausted, 1u);
    CHECK_EQ(pool.stats().in_use, 3u);
    CHECK_EQ(pool.stats().high_water, 3u);
    CHECK_EQ(pool.index_of(b), 1u);
    pool.release(b);
    CHECK_EQ(pool.stats().in_use, 2u);
    CHECK_EQ(pool.stats().high_water, 3u);
    CHECK(pool.at(1) == nullptr);
    pool.release(b); // double release: ignored
    CHECK_EQ(pool.stats().in_use, 2u);
    Item* again = pool.acquire(5);
    CHECK(again == b); // the slot just freed
    pool.release(a);
    pool.release(again);
    pool.release(c);
    CHECK_EQ(pool.stats().in_use, 0u);
}

namespace {
FramePool<3, 128> frame_pool3;
FramePool<2, 64> frame_pool2;
} // namespace

TEST(FramePoolExhaustionAndReturn) {
    {
        auto f1 = frame_pool3.allocate(16);
        auto f2 = frame_pool3.allocate(16);
        auto f3 = frame_pool3.allocate(16);
        REQUIRE(f1 && f2 && f3);
        CHECK(!frame_pool3.allocate(16));
        CHECK_EQ(frame_pool3.stats().exhausted, 1u);
        CHECK_EQ(frame_pool3.stats().in_use, 3u);
        CHECK_EQ(frame_pool3.stats().high_water, 3u);
        f3.reset(); // the frame goes back
        CHECK_EQ(frame_pool3.stats().in_use, 2u);
        CHECK(frame_pool3.allocate(0));
        CHECK_EQ(frame_pool3.stats().in_use, 2u); // the temporary went back at once
        CHECK(!frame_pool3.allocate(129));        // headroom larger than a frame
        std::uint8_t payload[120] = {};
        CHECK(!frame_pool3.allocate_copy(Bytes{payload, sizeof payload}, 16)); // does not fit
    }
    CHECK_EQ(frame_pool3.stats().in_use, 0u);
    CHECK_EQ(frame_pool3.stats().high_water, 3u);
    CHECK_EQ(frame_pool3.frame_size(), 128u);
}

TEST(PacketBufHeadroomPushPullAppendTrim) {
    auto buf = frame_pool2.allocate(8);
    REQUIRE(buf.has_value());
    CHECK_EQ(buf->size(), 0u);
    CHECK_EQ(buf->headroom(), 8u);
    CHECK_EQ(buf->tailroom(), 56u);
    std::uint8_t* body = buf->append(4);
    REQUIRE(body != nullptr);
    for (int i = 0; i < 4; ++i)
        body[i] = static_cast<std::uint8_t>(0xb0 + i);
    CHECK(buf->append(53) == nullptr); // tailroom is 52
    const std::uint8_t more[] = {0xc0, 0xc1};
    CHECK(buf->append(Bytes{more, 2}));
    CHECK_EQ(buf->size(), 6u);
    CHECK(buf->push(9) == nullptr); // beyond the headroom: nothing changes
    CHECK_EQ(buf->size(), 6u);
    std::uint8_t* header = buf->push(8);
    CHECK(header != nullptr && header == buf->data());
    CHECK_EQ(buf->headroom(), 0u);
    CHECK_EQ(buf->size(), 14u);
    CHECK(!buf->pull(15));
    CHECK(buf->pull(8));
    CHECK_EQ(buf->offset(), 8u);
    CHECK_EQ(buf->data()[0], 0xb0);
    CHECK(buf->unpull(8));
    CHECK(buf->pull(8));
    buf->trim(10); // longer than the data: no change
    CHECK_EQ(buf->size(), 6u);
    buf->trim(3);
    CHECK_EQ(buf->size(), 3u);
    CHECK_EQ(buf->bytes()[2], 0xb2);
    CHECK_EQ(buf->at_offset(8, 3).size(), 3u);
    CHECK(buf->at_offset(0, 12).empty());
    CHECK(buf->at_offset(5, ~std::size_t{0}).empty()); // no overflow in the bound check
}

TEST(PacketBufMovesKeepOneFrame) {
    {
        const std::uint8_t three[] = {1, 2, 3};
        auto a = frame_pool2.allocate_copy(Bytes{three, 3}, 4);
        REQUIRE(a.has_value());
        PacketBuf moved(std::move(*a));
        CHECK(!a->valid());
        CHECK_EQ(a->size(), 0u);
        CHECK_EQ(moved.size(), 3u);
        CHECK_EQ(frame_pool2.stats().in_use, 1u);
        auto b = frame_pool2.allocate(0);
        REQUIRE(b.has_value());
        CHECK_EQ(frame_pool2.stats().in_use, 2u);
        *b = std::move(moved); // b's own frame goes back
        CHECK_EQ(frame_pool2.stats().in_use, 1u);
        CHECK_EQ(b->data()[2], 3);
    }
    CHECK_EQ(frame_pool2.stats().in_use, 0u);
}

TEST(RingOrderWrapAndFrames) {
    Ring<int, 3> ring;
    CHECK(ring.empty());
    CHECK(ring.push(1) && ring.push(2) && ring.push(3));
    CHECK(ring.full());
    CHECK(!ring.push(4));
    CHECK_EQ(*ring.pop(), 1);
    CHECK(ring.push(4)); // wraps
    CHECK_EQ(*ring.pop(), 2);
    CHECK_EQ(*ring.pop(), 3);
    CHECK_EQ(*ring.pop(), 4);
    CHECK(!ring.pop());
    {
        Ring<PacketBuf, 2> frames;
        CHECK(frames.push(std::move(*frame_pool2.allocate(0))));
        CHECK(frames.push(std::move(*frame_pool2.allocate(0))));
        CHECK_EQ(frame_pool2.stats().in_use, 2u);
        frames.clear();
        CHECK_EQ(frame_pool2.stats().in_use, 0u);
    }
}

// ---- the port ----

TEST(PortSysTickAdvancesTheClock) {
    CortexMPlatform& platform = m4test::platform();
    const TimeMs before = platform.now_ms();
    CHECK(m4test::wait_ms(10));
    const TimeMs after = platform.now_ms();
    CHECK(after - before >= 10);
    CHECK(after - before <= 30); // slack for a descheduled QEMU (its SysTick follows the host clock)
}

TEST(PortCriticalSectionHoldsTheTickBack) {
    CortexMPlatform& platform = m4test::platform();
    std::uint32_t primask = 0;
    TimeMs inside_start = 0;
    TimeMs inside_end = 0;
    {
        CortexMCriticalSection outer;
        {
            CortexMCriticalSection inner; // nests
        }
        asm volatile("mrs %0, primask" : "=r"(primask));
        inside_start = platform.now_ms();
        // ~5 ms of busy work at 25 MHz: the SysTick interrupt stays pending while PRIMASK is set.
        for (std::uint32_t i = 0; i < 100'000u; ++i)
            asm volatile("" ::: "memory");
        inside_end = platform.now_ms();
    }
    CHECK_EQ(primask, 1u); // still masked after the inner section ended
    CHECK_EQ(inside_end, inside_start);
    asm volatile("mrs %0, primask" : "=r"(primask));
    CHECK_EQ(primask, 0u); // restored
    CHECK(m4test::wait_ms(1));
}

TEST(PortRandomIsSeededAndVaries) {
    CortexMPlatform a;
    CortexMPlatform b;
    a.seed(42);
    b.seed(42);
    std::uint8_t x[13];
    std::uint8_t y[13];
    a.random_bytes(MutBytes{x, sizeof x});
    b.random_bytes(MutBytes{y, sizeof y});
    CHECK(equal_bytes(x, y, sizeof x)); // same seed, same bytes
    a.random_bytes(MutBytes{x, sizeof x});
    CHECK(!equal_bytes(x, y, sizeof x)); // the sequence moves on
    b.seed(43);
    b.random_bytes(MutBytes{y, sizeof y});
    a.seed(42);
    a.random_bytes(MutBytes{x, sizeof x});
    CHECK(!equal_bytes(x, y, sizeof x)); // another seed, other bytes
    CHECK(a.random_u32() != a.random_u32());
}
