#include "link/link_sim.hpp"

namespace pico {

std::size_t Link::in_flight() const {
    std::size_t n = 0;
    for (const InFlight& slot : in_flight_)
        n += slot.frame ? 1 : 0;
    return n;
}

bool Link::send(std::uint8_t from_side, Bytes frame) {
    if (frame.size() > pool_.frame_size()) {
        ++stats_.oversize;
        return false;
    }
    ++stats_.transmitted;
    const TimeMs now = time_source_.now_ms();
    const std::uint8_t to_side = from_side == 0 ? 1 : 0;
    // Draws in a fixed order (loss, duplicate, then per copy reorder, corrupt, bit), whatever the
    // probabilities, so a seed gives the same sequence of decisions for the same traffic.
    const bool lost = random_.unit() < impairments_.loss;
    const bool duplicated = random_.unit() < impairments_.duplicate;
    if (lost) {
        ++stats_.lost;
        return true; // the wire took it; the far end never sees it
    }
    if (duplicated) ++stats_.duplicated;
    const int copies = duplicated ? 2 : 1;
    for (int copy = 0; copy < copies; ++copy)
        enqueue_copy(to_side, frame, now);
    return true;
}

void Link::enqueue_copy(std::uint8_t to_side, Bytes frame, TimeMs now) {
    const bool reordered = random_.unit() < impairments_.reorder;
    const bool corrupted = random_.unit() < impairments_.corrupt;
    const std::uint64_t bit_draw = random_.next();

    InFlight* slot = nullptr;
    for (InFlight& candidate : in_flight_) {
        if (!candidate.frame) {
            slot = &candidate;
            break;
        }
    }
    if (slot == nullptr) {
        ++stats_.overflow;
        return;
    }
    auto copy = pool_.allocate_copy(frame, 0);
    if (!copy) {
        ++stats_.overflow;
        return;
    }
    if (corrupted && copy->size() > 0) {
        const std::uint64_t bit = bit_draw % (std::uint64_t{copy->size()} * 8);
        copy->data()[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        ++stats_.corrupted;
    }
    TimeMs due = now + impairments_.delay_ms;
    if (reordered) {
        due += impairments_.reorder_extra_delay_ms;
        ++stats_.reordered;
    }
    slot->frame.emplace(std::move(*copy));
    slot->due = due;
    slot->sequence = next_sequence_++;
    slot->to_side = to_side;
    ++queued_[to_side & 1];
    const auto index = static_cast<std::size_t>(slot - in_flight_.data());
    if (index >= used_end_) used_end_ = index + 1;
}

std::optional<PacketBuf> Link::take(std::uint8_t side) {
    if (queued_[side & 1] == 0) return std::nullopt;
    const TimeMs now = time_source_.now_ms();
    InFlight* next = nullptr;
    for (std::size_t i = 0; i < used_end_; ++i) {
        InFlight& slot = in_flight_[i];
        if (!slot.frame || slot.to_side != side || slot.due > now) continue;
        if (next == nullptr || slot.due < next->due ||
            (slot.due == next->due && slot.sequence < next->sequence))
            next = &slot;
    }
    if (next == nullptr) return std::nullopt;
    std::optional<PacketBuf> frame(std::move(*next->frame));
    next->frame.reset();
    --queued_[side & 1];
    while (used_end_ > 0 && !in_flight_[used_end_ - 1].frame)
        --used_end_;
    ++stats_.delivered;
    return frame;
}

} // namespace pico
