// TCP sequence numbers: a strong type whose comparisons are modulo 2^32 (RFC 9293 3.4), so that no code can
// compare two sequence numbers with a plain `<` by accident.
#pragma once
#include <cstdint>

namespace pico::tcp {

class SeqNum {
  public:
    constexpr SeqNum() = default;
    constexpr explicit SeqNum(std::uint32_t value) : value_(value) {}
    constexpr std::uint32_t raw() const { return value_; }

    constexpr SeqNum operator+(std::uint32_t n) const { return SeqNum(value_ + n); }
    constexpr SeqNum operator-(std::uint32_t n) const { return SeqNum(value_ - n); }
    constexpr SeqNum& operator+=(std::uint32_t n) {
        value_ += n;
        return *this;
    }
    // Distance from `other` to this, as a signed number (meaningful while |distance| < 2^31).
    constexpr std::int32_t operator-(SeqNum other) const {
        return static_cast<std::int32_t>(value_ - other.value_);
    }

    friend constexpr bool operator==(SeqNum a, SeqNum b) { return a.value_ == b.value_; }
    friend constexpr bool operator<(SeqNum a, SeqNum b) { return (a - b) < 0; }
    friend constexpr bool operator<=(SeqNum a, SeqNum b) { return (a - b) <= 0; }
    friend constexpr bool operator>(SeqNum a, SeqNum b) { return (a - b) > 0; }
    friend constexpr bool operator>=(SeqNum a, SeqNum b) { return (a - b) >= 0; }

  private:
    std::uint32_t value_ = 0;
};

constexpr SeqNum seq_max(SeqNum a, SeqNum b) {
    return a > b ? a : b;
}
constexpr SeqNum seq_min(SeqNum a, SeqNum b) {
    return a < b ? a : b;
}
// a <= x < b, modulo 2^32 (an empty range when a == b).
constexpr bool seq_in_range(SeqNum a, SeqNum x, SeqNum b) {
    return a <= x && x < b;
}

} // namespace pico::tcp
