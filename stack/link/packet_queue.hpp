// A small FIFO of packets waiting for address resolution (ARP, RFC 1122 2.3.2.2; ND, RFC 4861 7.2.2): a
// fixed ring of N pool frames, oldest first. The owner bounds the frames all its queues hold together (see
// queue_limit in arp.hpp / nd.hpp), so unresolved neighbours cannot drain the frame pool.
#pragma once
#include "core/buffer.hpp"
#include "core/config.hpp"
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace pico {

template <std::size_t N> class PacketQueue {
    static_assert(N > 0 && N < 256, "a packet queue holds 1 to 255 packets");

  public:
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == N; }
    static constexpr std::size_t capacity() { return N; }

    // Appends a packet; false (the packet is left with the caller) when full.
    bool push(PacketBuf&& packet) {
        if (full()) return false;
        slots_[(head_ + count_) % N].emplace(std::move(packet));
        ++count_;
        return true;
    }
    // Removes and returns the oldest packet.
    std::optional<PacketBuf> pop() {
        if (empty()) return std::nullopt;
        std::optional<PacketBuf> packet = std::move(slots_[head_]);
        slots_[head_].reset();
        head_ = static_cast<std::uint8_t>((head_ + 1) % N);
        --count_;
        return packet;
    }
    // The newest packet (nullptr when empty).
    const PacketBuf* newest() const {
        if (empty()) return nullptr;
        const auto& slot = slots_[(head_ + count_ - 1) % N];
        return slot ? &*slot : nullptr;
    }
    // Drops every packet (their frames return to the pool); returns how many there were.
    std::size_t clear() {
        const std::size_t dropped = count_;
        for (auto& slot : slots_)
            slot.reset();
        head_ = 0;
        count_ = 0;
        return dropped;
    }

  private:
    std::array<std::optional<PacketBuf>, N> slots_{};
    std::uint8_t head_ = 0;
    std::uint8_t count_ = 0;
};

// The frames a module's queues may hold together: its configured share, but never more than a quarter of
// the frame pool (at least one), so resolution in progress leaves frames for everything else.
constexpr std::size_t resolution_queue_limit(std::size_t configured) {
    const std::size_t quarter = config::frame_count / 4;
    return std::max<std::size_t>(1, std::min(configured, quarter));
}

} // namespace pico
