// A token bucket for rate-limited answers (ICMP errors, RFC 1812 4.3.2.8 / RFC 4443 2.4 (f)): Burst tokens,
// one back per IntervalMs of the stack's clock, counted in whole intervals.
#pragma once
#include "core/types.hpp"
#include <cstdint>

namespace pico {

template <std::uint32_t Burst, TimeMs IntervalMs> struct TokenBucket {
    // A refill divides only times shorter than a full refill: 32-bit arithmetic (a 64-bit division would pull
    // in the C runtime's 64-bit divide on a 32-bit core).
    static_assert(IntervalMs > 0 && TimeMs{Burst} * IntervalMs <= 0xffffffffu,
                  "a full refill must fit 32 bits");

    std::uint32_t tokens = Burst;
    TimeMs last_refill = 0;

    // Adds the tokens of the whole intervals elapsed since the last refill (never above Burst).
    void refill(TimeMs t) {
        if (t < last_refill) {
            last_refill = t; // clock stepped back: restart the interval
            return;
        }
        const TimeMs elapsed = t - last_refill;
        if (elapsed < IntervalMs) return; // not one whole interval yet
        if (elapsed >= TimeMs{Burst - tokens} * IntervalMs) {
            tokens = Burst; // the intervals elapsed fill the bucket
            last_refill = t;
            return;
        }
        // elapsed < (Burst - tokens) x IntervalMs: fits 32 bits (static_assert above).
        const std::uint32_t intervals =
            static_cast<std::uint32_t>(elapsed) / static_cast<std::uint32_t>(IntervalMs);
        tokens += intervals;
        last_refill += TimeMs{intervals} * IntervalMs;
    }
    bool empty() const { return tokens == 0; }
    void take() {
        if (tokens > 0) --tokens;
    }
};

} // namespace pico
