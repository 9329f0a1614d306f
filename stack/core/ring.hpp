// A bounded FIFO of move-only values (frames in device queues). Pushing into a full ring fails; the caller
// counts the drop.
#pragma once
#include <array>
#include <cstddef>
#include <optional>
#include <utility>

namespace pico {

template <class T, std::size_t N> class Ring {
    static_assert(N > 0, "ring capacity must be positive");

  public:
    bool push(T&& value) {
        if (count_ == N) return false;
        slots_[(head_ + count_) % N].emplace(std::move(value));
        ++count_;
        return true;
    }
    std::optional<T> pop() {
        if (count_ == 0) return std::nullopt;
        std::optional<T> value(std::move(*slots_[head_]));
        slots_[head_].reset();
        head_ = (head_ + 1) % N;
        --count_;
        return value;
    }
    T* front() { return count_ == 0 ? nullptr : &*slots_[head_]; }
    // i-th element from the front (0 = front), for in-place iteration.
    T* at(std::size_t i) { return i < count_ ? &*slots_[(head_ + i) % N] : nullptr; }
    void clear() {
        while (count_ > 0)
            pop();
    }
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == N; }
    static constexpr std::size_t capacity() { return N; }

  private:
    std::array<std::optional<T>, N> slots_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

} // namespace pico
