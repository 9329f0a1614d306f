// Packet buffers.
//
// A PacketBuf is one contiguous frame from a FramePool, with headroom so that each layer pushes its header on
// transmit and pulls it on receive without copying. Ownership is in the type: a function taking PacketBuf&&
// owns the frame and must hand it on or let it go (its destructor returns it to the pool); one taking Bytes
// borrows. A PacketBuf always returns to the pool it came from, so frames can travel between stacks (a Link)
// as long as the pool outlives them.
#pragma once
#include "core/bytes.hpp"
#include "core/pool.hpp"
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico {

class PacketBuf;

class FramePoolBase {
  public:
    const PoolStats& stats() const { return stats_; }
    std::size_t frame_size() const { return frame_size_; }

  protected:
    FramePoolBase(std::uint8_t* storage, std::uint16_t* next_free, std::size_t count, std::size_t frame_size)
        : storage_(storage), next_free_(next_free), count_(count), frame_size_(frame_size) {
        stats_.capacity = static_cast<std::uint32_t>(count);
        for (std::size_t i = 0; i < count; ++i)
            next_free_[i] = static_cast<std::uint16_t>(i + 1);
    }

  private:
    friend class PacketBuf;
    std::optional<std::uint16_t> take() {
        if (first_free_ >= count_) {
            ++stats_.exhausted;
            return std::nullopt;
        }
        auto index = static_cast<std::uint16_t>(first_free_);
        first_free_ = next_free_[index];
        stats_.on_alloc();
        return index;
    }
    void give_back(std::uint16_t index) {
        next_free_[index] = static_cast<std::uint16_t>(first_free_);
        first_free_ = index;
        --stats_.in_use;
    }
    std::uint8_t* frame(std::uint16_t index) { return storage_ + std::size_t{index} * frame_size_; }

    std::uint8_t* storage_;
    std::uint16_t* next_free_;
    std::size_t count_;
    std::size_t frame_size_;
    std::size_t first_free_ = 0;
    PoolStats stats_{};

  public:
    // A new empty frame with `headroom` bytes in front (data size 0), or nullopt when the pool is empty.
    std::optional<PacketBuf> allocate(std::size_t headroom);
    // A new frame holding a copy of `bytes` after `headroom`, or nullopt (pool empty or bytes too large).
    std::optional<PacketBuf> allocate_copy(Bytes bytes, std::size_t headroom);
};

// The storage comes first among the bases so it is initialised before FramePoolBase threads its free list.
template <std::size_t Count, std::size_t FrameSize> struct FramePoolStorage {
    alignas(8) std::array<std::uint8_t, Count * FrameSize> frames{};
    std::array<std::uint16_t, Count> next_free{};
};

template <std::size_t Count, std::size_t FrameSize>
class FramePool : private FramePoolStorage<Count, FrameSize>, public FramePoolBase {
    static_assert(Count > 0 && Count < 0xffff && FrameSize < 0xffff, "frame pool size out of range");
    using Storage = FramePoolStorage<Count, FrameSize>;

  public:
    FramePool()
        : Storage(), FramePoolBase(Storage::frames.data(), Storage::next_free.data(), Count, FrameSize) {}
    FramePool(const FramePool&) = delete;
    FramePool& operator=(const FramePool&) = delete;
};

class PacketBuf {
  public:
    PacketBuf(PacketBuf&& other) noexcept
        : pool_(other.pool_), index_(other.index_), begin_(other.begin_), end_(other.end_) {
        other.pool_ = nullptr;
        other.begin_ = other.end_ = 0; // a moved-from buffer is empty, not a view into a frame it gave away
    }
    PacketBuf& operator=(PacketBuf&& other) noexcept {
        if (this != &other) {
            reset();
            pool_ = other.pool_;
            index_ = other.index_;
            begin_ = other.begin_;
            end_ = other.end_;
            other.pool_ = nullptr;
            other.begin_ = other.end_ = 0;
        }
        return *this;
    }
    PacketBuf(const PacketBuf&) = delete;
    PacketBuf& operator=(const PacketBuf&) = delete;
    ~PacketBuf() { reset(); }

    bool valid() const { return pool_ != nullptr; }
    std::size_t size() const { return end_ - begin_; }
    std::size_t headroom() const { return begin_; }
    std::size_t tailroom() const { return pool_ ? pool_->frame_size() - end_ : 0; }
    std::uint8_t* data() { return base() + begin_; }
    const std::uint8_t* data() const { return base() + begin_; }
    MutBytes bytes() { return {data(), size()}; }
    Bytes bytes() const { return {data(), size()}; }

    // Prepend n bytes (transmit: a layer adds its header). Returns nullptr if the headroom is too small.
    std::uint8_t* push(std::size_t n) {
        if (n > begin_) return nullptr;
        begin_ = static_cast<std::uint16_t>(begin_ - n);
        return data();
    }
    // Remove n bytes from the front (receive: a layer consumes its header). False if fewer than n bytes.
    bool pull(std::size_t n) {
        if (n > size()) return false;
        begin_ = static_cast<std::uint16_t>(begin_ + n);
        return true;
    }
    // Append n bytes at the end; returns where they go, or nullptr if the frame is too small.
    std::uint8_t* append(std::size_t n) {
        if (n > tailroom()) return nullptr;
        std::uint8_t* at = base() + end_;
        end_ = static_cast<std::uint16_t>(end_ + n);
        return at;
    }
    bool append(Bytes bytes) {
        std::uint8_t* at = append(bytes.size());
        if (at == nullptr) return false;
        copy_bytes(at, bytes.data(), bytes.size());
        return true;
    }
    // Keep only the first len bytes (e.g. strip Ethernet padding after the IP total length).
    void trim(std::size_t len) {
        if (len < size()) end_ = static_cast<std::uint16_t>(begin_ + len);
    }
    // Move the start back by n bytes that are already in the frame (undo a pull, e.g. to quote a header).
    bool unpull(std::size_t n) { return push(n) != nullptr; }
    // Offset of the current start within the frame, to find an earlier header again.
    std::size_t offset() const { return begin_; }
    // Bytes of the frame at an absolute offset (bounded by the current end).
    Bytes at_offset(std::size_t offset, std::size_t len) const {
        if (offset > end_ || len > end_ - offset) return {};
        return {base() + offset, len};
    }

  private:
    friend class FramePoolBase;
    PacketBuf(FramePoolBase* pool, std::uint16_t index, std::uint16_t headroom)
        : pool_(pool), index_(index), begin_(headroom), end_(headroom) {}
    std::uint8_t* base() const { return pool_ ? pool_->frame(index_) : nullptr; }
    void reset() {
        if (pool_ != nullptr) pool_->give_back(index_);
        pool_ = nullptr;
    }

    FramePoolBase* pool_ = nullptr;
    std::uint16_t index_ = 0;
    std::uint16_t begin_ = 0;
    std::uint16_t end_ = 0;
};

inline std::optional<PacketBuf> FramePoolBase::allocate(std::size_t headroom) {
    if (headroom > frame_size_) return std::nullopt;
    auto index = take();
    if (!index) return std::nullopt;
    return PacketBuf(this, *index, static_cast<std::uint16_t>(headroom));
}

inline std::optional<PacketBuf> FramePoolBase::allocate_copy(Bytes bytes, std::size_t headroom) {
    if (headroom + bytes.size() > frame_size_) return std::nullopt;
    auto buf = allocate(headroom);
    if (!buf) return std::nullopt;
    buf->append(bytes);
    return buf;
}

} // namespace pico
