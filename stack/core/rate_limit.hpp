// A token bucket for rate-limited answers (ICMP errors, RFC 1812 4.3.2.8 / RFC 4443 2.4 (f)): Burst tokens,
// one back per IntervalMs of the stack's clock, counted in whole intervals.
#pragma once
#include "core/types.hpp"
#include <cstdint>

namespace pico {

template <std::uint32_t Burst, TimeMs IntervalMs> struct TokenBucket {
    std::uint32_t tokens = Burst;
    TimeMs last_refill = 0;

    // Adds the tokens of the whole intervals elapsed since the last refill (never above Burst).
    void refill(TimeMs t) {
        if (t < last_refill) {
            last_refill = t; // clock stepped back: restart the interval
            return;
        }
        const TimeMs intervals = (t - last_refill) / IntervalMs;
        if (intervals == 0) return;
        if (intervals >= Burst - tokens) {
            tokens = Burst;
            last_refill = t;
        } else {
            tokens += static_cast<std::uint32_t>(intervals);
            last_refill += intervals * IntervalMs;
        }
    }
    bool empty() const { return tokens == 0; }
    void take() {
        if (tokens > 0) --tokens;
    }
};

} // namespace pico
