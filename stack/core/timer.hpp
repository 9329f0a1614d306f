// Timers: a fixed table of one-shot deadlines, fired from Stack::poll(now).
//
// Bounded: the table has config::timer_count slots (scheduling into a full table fails and is counted), and
// a poll fires only timers that were due when it started, so a callback that re-arms itself for "now" runs on
// the next poll, never in a loop. Cancellable: a TimerId carries a generation, so cancelling a timer that has
// already fired (and whose slot was reused) does nothing.
#pragma once
#include "core/types.hpp"
#include <array>
#include <cstddef>
#include <cstdint>

namespace pico {

class Stack;
using TimerFn = void (*)(Stack& stack, void* context, std::uint32_t argument);

struct TimerId {
    std::uint16_t slot = 0xffff;
    std::uint16_t generation = 0;
    bool valid() const { return slot != 0xffff; }
};

class TimerQueueBase {
  public:
    struct Slot {
        TimeMs deadline = 0;
        TimerFn fn = nullptr;
        void* context = nullptr;
        std::uint32_t argument = 0;
        std::uint32_t armed_in_round = 0;
        std::uint16_t generation = 0;
        bool active = false;
    };

    // Schedules fn(stack, context, argument) at `deadline`; an invalid id if the table is full.
    TimerId schedule(TimeMs deadline, TimerFn fn, void* context, std::uint32_t argument = 0);
    // Cancels a pending timer; harmless for fired, cancelled or invalid ids. Returns true if it was pending.
    bool cancel(TimerId& id);
    bool pending(TimerId id) const;
    // Fires every timer due at `now` that was armed before this call, earliest first; returns how many fired.
    std::size_t fire_due(Stack& stack, TimeMs now);
    // Earliest pending deadline, or TimeMs max when none.
    TimeMs next_deadline() const;
    std::size_t active_count() const;
    std::uint32_t exhausted() const { return exhausted_; }

  protected:
    TimerQueueBase(Slot* slots, std::size_t count) : slots_(slots), count_(count) {}

  private:
    Slot* slots_;
    std::size_t count_;
    std::uint32_t round_ = 1;
    std::uint32_t exhausted_ = 0;
    // No pending deadline is earlier than this (lowered by schedule, recomputed by a fire_due that scans; a
    // cancel leaves it early, which costs one scan): a poll before it returns without scanning the table.
    TimeMs earliest_ = ~TimeMs{0};
};

template <std::size_t N> struct TimerSlots { std::array<TimerQueueBase::Slot, N> slots{}; };

// The slots come first among the bases so they exist before TimerQueueBase points at them.
template <std::size_t N> class TimerQueue : private TimerSlots<N>, public TimerQueueBase {
  public:
    TimerQueue() : TimerSlots<N>(), TimerQueueBase(TimerSlots<N>::slots.data(), N) {}
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;
};

} // namespace pico
