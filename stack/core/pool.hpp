// Fixed-capacity pools. All memory the stack uses is in these, sized by the configuration; running out is a
// counted event (PoolStats::exhausted), never an allocation from elsewhere.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace pico {

struct PoolStats {
    std::uint32_t capacity = 0;
    std::uint32_t in_use = 0;
    std::uint32_t high_water = 0;
    std::uint32_t exhausted = 0; // allocations refused because the pool was empty

    void on_alloc() {
        ++in_use;
        if (in_use > high_water) high_water = in_use;
    }
};

// A pool of N objects of type T with a free list of indices. acquire() constructs in place; release()
// destroys.
template <class T, std::size_t N> class ObjectPool {
    static_assert(N > 0 && N < 0xffff, "pool capacity out of range");

  public:
    ObjectPool() {
        stats_.capacity = N;
        for (std::size_t i = 0; i < N; ++i)
            next_free_[i] = static_cast<std::uint16_t>(i + 1);
        first_free_ = 0;
    }
    ~ObjectPool() {
        for (std::size_t i = 0; i < N; ++i)
            if (used_[i]) get(i)->~T();
    }
    ObjectPool(const ObjectPool&) = delete;
    ObjectPool& operator=(const ObjectPool&) = delete;

    template <class... Args> T* acquire(Args&&... args) {
        if (first_free_ >= N) {
            ++stats_.exhausted;
            return nullptr;
        }
        std::size_t index = first_free_;
        first_free_ = next_free_[index];
        used_[index] = true;
        stats_.on_alloc();
        return ::new (static_cast<void*>(&storage_[index])) T(std::forward<Args>(args)...);
    }
    void release(T* object) {
        std::size_t index = index_of(object);
        if (index >= N || !used_[index]) return;
        object->~T();
        used_[index] = false;
        next_free_[index] = static_cast<std::uint16_t>(first_free_);
        first_free_ = index;
        --stats_.in_use;
    }
    std::size_t index_of(const T* object) const {
        auto base = reinterpret_cast<const Slot*>(storage_.data());
        auto slot = reinterpret_cast<const Slot*>(object);
        if (slot < base || slot >= base + N) return N;
        return static_cast<std::size_t>(slot - base);
    }
    T* at(std::size_t index) { return index < N && used_[index] ? get(index) : nullptr; }
    const PoolStats& stats() const { return stats_; }
    static constexpr std::size_t capacity() { return N; }

  private:
    struct alignas(T) Slot {
        std::byte bytes[sizeof(T)];
    };
    T* get(std::size_t index) { return std::launder(reinterpret_cast<T*>(&storage_[index])); }

    std::array<Slot, N> storage_{};
    std::array<std::uint16_t, N> next_free_{};
    std::array<bool, N> used_{};
    std::size_t first_free_ = 0;
    PoolStats stats_{};
};

} // namespace pico
