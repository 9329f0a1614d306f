#include "core/timer.hpp"

namespace pico {

TimerId TimerQueueBase::schedule(TimeMs deadline, TimerFn fn, void* context, std::uint32_t argument) {
    for (std::size_t i = 0; i < count_; ++i) {
        Slot& slot = slots_[i];
        if (slot.active) continue;
        slot.deadline = deadline;
        slot.fn = fn;
        slot.context = context;
        slot.argument = argument;
        slot.armed_in_round = round_;
        slot.generation = static_cast<std::uint16_t>(slot.generation + 1);
        slot.active = true;
        if (deadline < earliest_) earliest_ = deadline;
        return TimerId{static_cast<std::uint16_t>(i), slot.generation};
    }
    ++exhausted_;
    return TimerId{};
}

bool TimerQueueBase::cancel(TimerId& id) {
    bool was_pending = pending(id);
    if (was_pending) slots_[id.slot].active = false;
    id = TimerId{};
    return was_pending;
}

bool TimerQueueBase::pending(TimerId id) const {
    return id.valid() && id.slot < count_ && slots_[id.slot].active &&
           slots_[id.slot].generation == id.generation;
}

std::size_t TimerQueueBase::fire_due(Stack& stack, TimeMs now) {
    std::uint32_t this_round = round_++;
    if (now < earliest_) return 0; // nothing can be due
    std::size_t fired = 0;
    // At most count_ timers can be due; each iteration fires one or stops.
    for (std::size_t n = 0; n < count_; ++n) {
        std::size_t earliest = count_;
        for (std::size_t i = 0; i < count_; ++i) {
            const Slot& slot = slots_[i];
            if (!slot.active || slot.deadline > now || slot.armed_in_round > this_round) continue;
            if (earliest == count_ || slot.deadline < slots_[earliest].deadline) earliest = i;
        }
        if (earliest == count_) break;
        Slot& slot = slots_[earliest];
        slot.active = false;
        slot.fn(stack, slot.context, slot.argument);
        ++fired;
    }
    earliest_ = next_deadline(); // the callbacks' own schedule calls lowered it too; this is exact
    return fired;
}

TimeMs TimerQueueBase::next_deadline() const {
    TimeMs next = ~TimeMs{0};
    for (std::size_t i = 0; i < count_; ++i)
        if (slots_[i].active && slots_[i].deadline < next) next = slots_[i].deadline;
    return next;
}

std::size_t TimerQueueBase::active_count() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < count_; ++i)
        n += slots_[i].active ? 1 : 0;
    return n;
}

} // namespace pico
