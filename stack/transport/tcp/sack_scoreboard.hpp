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
    // The left edge of the first SACKed range above seq (nullopt when none): where a retransmission of the
    // hole at seq must stop.
    std::optional<SeqNum> next_sacked_after(SeqNum seq) const;
    // RFC 6675 IsLost(seq): DupThresh discontiguous SACKed segments, or more than (DupThresh-1)*SMSS bytes
    // SACKed, above seq.
    bool is_lost(SeqNum seq, std::uint32_t smss) const;
    // RFC 6675 NextSeg(), rule (1) only (retransmission of a lost, un-SACKed, not yet retransmitted range
    // starting at or after `high_rxt`): the start of the next segment to retransmit, or nullopt.
    // high_rxt is one past the highest byte retransmitted in this recovery (snd_una when none yet); the
    // segment returned is the smallest un-SACKed S2 >= max(high_rxt, snd_una), below the highest SACKed
    // byte and below snd_max, with IsLost(S2) (rules 1.a-1.c). The caller sends at most SMSS bytes from S2,
    // stopping at the next SACKed range (see next_sacked_after).
    std::optional<SeqNum> next_lost(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt,
                                    std::uint32_t smss) const;
    // RFC 6675 SetPipe(), in bytes: every un-SACKed byte in [snd_una, snd_max) counts once if it is not
    // lost (IsLost false) and once more if it was retransmitted (below high_rxt, one past the highest byte
    // retransmitted, as in next_lost).
    std::uint32_t pipe(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt, std::uint32_t smss) const;
    // The first sequence number at or after `from` that no range covers.
    SeqNum first_unsacked(SeqNum from) const;
    // RFC 6675 NextSeg() rule (3): the smallest un-SACKed S3 >= max(high_rxt, snd_una) below the highest
    // SACKed byte and below snd_max (rules 1.a and 1.b without 1.c), or nullopt.
    std::optional<SeqNum> next_unsacked(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt) const;
    // RFC 6675 NextSeg() rule (4): where a rescue retransmission of at most `len` sequence numbers starts
    // so that it includes the highest outstanding un-SACKed sequence number (the last one below snd_max
    // that no range covers), staying within that sequence number's hole; nullopt when everything in
    // [snd_una, snd_max) is SACKed.
    std::optional<SeqNum> rescue_start(SeqNum snd_una, SeqNum snd_max, std::uint32_t len) const;
    // RFC 6675 RescueRxt, kept as one past the sequence number the RFC names (like high_rxt): a rescue
    // retransmission (rule 4) is allowed while HighACK > RescueRxt, i.e. snd_una > rescue_rxt(). Set on
    // entering recovery (step 4.3, so it is never undefined within a recovery) and by the rescue itself (to
    // RecoveryPoint).
    SeqNum rescue_rxt() const { return rescue_rxt_; }
    void set_rescue_rxt(SeqNum one_past) { rescue_rxt_ = one_past; }
    std::uint32_t sacked_bytes() const;
    // SACKed bytes in [from, to).
    std::uint32_t sacked_between(SeqNum from, SeqNum to) const;
    std::size_t range_count() const { return count_; }
    const SeqRange& range(std::size_t i) const { return ranges_[i]; }
    // Right edge of the highest range (when none: the last snd_una given to add_blocks/advance).
    SeqNum highest_sacked() const;

  private:
    std::array<SeqRange, max_ranges> ranges_{}; // sorted, disjoint, non-adjacent
    std::size_t count_ = 0;
    SeqNum snd_una_{}; // the last cumulative ACK seen (add_blocks, advance)
    SeqNum rescue_rxt_{};
};

} // namespace pico::tcp
