// The SACK scoreboard of a sender (RFC 6675): which ranges above snd_una the receiver reported (RFC 2018
// blocks), from which the sender decides what is lost (IsLost), what to retransmit next (NextSeg) and how
// much is in flight (pipe). Bounded: at most max_ranges disjoint ranges are kept (the oldest/lowest are kept
// when full; information lost that way only makes recovery more conservative).
#pragma once
#include "transport/tcp/seqnum.hpp"
#include <array>
#include <cstdint>
#include <optional>

namespace pico::tcp {

struct SeqRange {
    SeqNum left{};  // first sequence number in the range
    SeqNum right{}; // one past the last
};

class SackScoreboard {
  public:
    static constexpr std::size_t max_ranges = 8;
    static constexpr std::uint32_t dup_thresh = 3; // RFC 6675 DupThresh

    void clear();
    // Records SACK blocks from one ACK (already validated by the caller to lie within (snd_una, snd_max]),
    // merging overlapping/adjacent ranges. Returns how many bytes were newly SACKed.
    std::uint32_t add_blocks(const SeqRange* blocks, std::size_t count, SeqNum snd_una);
    // Forgets everything below the new cumulative ACK.
    void advance(SeqNum snd_una);
    bool is_sacked(SeqNum seq) const;
    // RFC 6675 IsLost(seq): DupThresh discontiguous SACKed segments, or more than (DupThresh-1)*SMSS bytes
    // SACKed, above seq.
    bool is_lost(SeqNum seq, std::uint32_t smss) const;
    // RFC 6675 NextSeg(), rule (1) only (retransmission of a lost, un-SACKed, not yet retransmitted range
    // starting at or after `high_rxt`): the start of the next segment to retransmit, or nullopt.
    std::optional<SeqNum> next_lost(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt,
                                    std::uint32_t smss) const;
    // RFC 6675 SetPipe(): bytes believed in flight between snd_una and snd_max, given HighRxt.
    std::uint32_t pipe(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt, std::uint32_t smss) const;
    std::uint32_t sacked_bytes() const;
    std::size_t range_count() const { return count_; }
    const SeqRange& range(std::size_t i) const { return ranges_[i]; }
    SeqNum highest_sacked() const; // right edge of the highest range (snd_una when none)

  private:
    std::array<SeqRange, max_ranges> ranges_{}; // sorted, disjoint, non-adjacent
    std::size_t count_ = 0;
};

} // namespace pico::tcp
