// RFC 6675 scoreboard over RFC 2018 SACK blocks, kept as at most max_ranges sorted, disjoint, non-adjacent
// ranges above snd_una. Every operation is a bounded walk over those ranges.
//
// The RFC's scoreboard is per segment; here it is per byte range. IsLost is constant over the bytes of a hole
// (the SACKed data above every byte of a hole is the same), so SetPipe and NextSeg are evaluated per hole.
#include "transport/tcp/sack_scoreboard.hpp"

namespace pico::tcp {

namespace {

// Bytes from a to b (a <= b, less than 2^31 apart).
std::uint32_t span(SeqNum a, SeqNum b) {
    return b.raw() - a.raw();
}

// Bytes of [left, right) inside [l, r).
std::uint32_t overlap(const SeqRange& range, SeqNum l, SeqNum r) {
    const SeqNum from = seq_max(range.left, l);
    const SeqNum to = seq_min(range.right, r);
    return from < to ? span(from, to) : 0;
}

} // namespace

void SackScoreboard::clear() {
    count_ = 0;
}

std::uint32_t SackScoreboard::add_blocks(const SeqRange* blocks, std::size_t count, SeqNum snd_una) {
    advance(snd_una);
    std::uint32_t newly = 0;
    for (std::size_t b = 0; b < count; ++b) {
        // RFC 2018 section 4: a block's left edge below snd_una (a D-SACK, RFC 2883, or a stale block) adds
        // nothing below the cumulative ACK.
        const SeqNum l = seq_max(blocks[b].left, snd_una_);
        const SeqNum r = blocks[b].right;
        if (!(l < r)) continue;

        // The ranges this block overlaps or touches form one run [i, j) (ranges are sorted and disjoint).
        std::size_t i = 0;
        while (i < count_ && ranges_[i].right < l)
            ++i;
        std::size_t j = i;
        std::uint32_t covered = 0;
        while (j < count_ && ranges_[j].left <= r) {
            covered += overlap(ranges_[j], l, r);
            ++j;
        }

        if (j > i) {
            // Merge the run and the block into ranges_[i], then close the gap left by the others.
            ranges_[i] = SeqRange{seq_min(l, ranges_[i].left), seq_max(r, ranges_[j - 1].right)};
            const std::size_t removed = j - i - 1;
            for (std::size_t k = j; k < count_; ++k)
                ranges_[k - removed] = ranges_[k];
            count_ -= removed;
        } else {
            // A new range at position i. When full, the highest range is forgotten (or the block itself when
            // it would be the highest): lower ranges matter most, and forgetting SACK information only makes
            // loss detection more conservative.
            if (count_ == max_ranges) {
                if (i == count_) continue;
                --count_;
            }
            for (std::size_t k = count_; k > i; --k)
                ranges_[k] = ranges_[k - 1];
            ranges_[i] = SeqRange{l, r};
            ++count_;
        }
        newly += span(l, r) - covered;
    }
    return newly;
}

void SackScoreboard::advance(SeqNum snd_una) {
    snd_una_ = snd_una;
    std::size_t drop = 0;
    while (drop < count_ && ranges_[drop].right <= snd_una)
        ++drop;
    if (drop > 0) {
        for (std::size_t k = drop; k < count_; ++k)
            ranges_[k - drop] = ranges_[k];
        count_ -= drop;
    }
    if (count_ > 0 && ranges_[0].left < snd_una) ranges_[0].left = snd_una;
}

bool SackScoreboard::is_sacked(SeqNum seq) const {
    for (std::size_t i = 0; i < count_; ++i)
        if (seq_in_range(ranges_[i].left, seq, ranges_[i].right)) return true;
    return false;
}

std::optional<SeqNum> SackScoreboard::next_sacked_after(SeqNum seq) const {
    for (std::size_t i = 0; i < count_; ++i)
        if (ranges_[i].left > seq) return ranges_[i].left;
    return std::nullopt;
}

// RFC 6675 section 4, IsLost(SeqNum): true when DupThresh discontiguous SACKed sequences have arrived above
// SeqNum, or more than (DupThresh - 1) * SMSS bytes with sequence numbers greater than SeqNum were SACKed.
// A discontiguous sequence is one range (ranges are kept disjoint and non-adjacent).
bool SackScoreboard::is_lost(SeqNum seq, std::uint32_t smss) const {
    const SeqNum above = seq + 1;
    std::uint32_t ranges = 0;
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i < count_; ++i) {
        const SeqNum from = seq_max(ranges_[i].left, above);
        if (from < ranges_[i].right) {
            ++ranges;
            bytes += span(from, ranges_[i].right);
        }
    }
    return ranges >= dup_thresh || bytes > std::uint64_t{dup_thresh - 1} * smss;
}

// RFC 6675 section 4, NextSeg() rule (1): the smallest un-SACKed S2 with (1.a) S2 not yet retransmitted
// (S2 >= high_rxt, one past the highest byte retransmitted), (1.b) S2 below the highest SACKed byte and
// (1.c) IsLost(S2). The candidates are the holes below the ranges; IsLost only becomes false going up, so the
// first hole with a candidate decides.
std::optional<SeqNum> SackScoreboard::next_lost(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt,
                                                std::uint32_t smss) const {
    const SeqNum start = seq_max(high_rxt, snd_una);
    SeqNum hole_left = snd_una;
    for (std::size_t i = 0; i < count_; ++i) {
        const SeqNum hole_right = ranges_[i].left;
        const SeqNum candidate = seq_max(hole_left, start);
        hole_left = ranges_[i].right;
        if (!(candidate < hole_right)) continue; // empty hole, or already retransmitted
        if (!(candidate < snd_max)) return std::nullopt;
        if (is_lost(candidate, smss)) return candidate;
        return std::nullopt;
    }
    return std::nullopt; // (1.b): nothing SACKed above any candidate
}

// RFC 6675 section 4, SetPipe(): for each un-SACKed octet between snd_una and snd_max, (a) pipe += 1 if it is
// not lost, (b) pipe += 1 if it was retransmitted (here: below high_rxt). Evaluated per hole; the hole above
// the highest range has nothing SACKed above it, so it is never lost.
std::uint32_t SackScoreboard::pipe(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt,
                                   std::uint32_t smss) const {
    std::uint64_t total = 0;
    SeqNum hole_left = snd_una;
    for (std::size_t i = 0; i <= count_; ++i) {
        const bool last = i == count_;
        const SeqNum hole_right = last ? snd_max : seq_min(ranges_[i].left, snd_max);
        const SeqNum left = hole_left;
        if (!last) hole_left = ranges_[i].right;
        if (!(left < hole_right)) continue;
        if (last || !is_lost(left, smss)) total += span(left, hole_right); // (a)
        const SeqNum retransmitted_end = seq_min(high_rxt, hole_right);
        if (left < retransmitted_end) total += span(left, retransmitted_end); // (b)
    }
    return total > 0xffffffffu ? 0xffffffffu : static_cast<std::uint32_t>(total);
}

// The ranges are sorted: stepping over every range that covers the candidate gives the first un-SACKed one.
SeqNum SackScoreboard::first_unsacked(SeqNum from) const {
    for (std::size_t i = 0; i < count_; ++i)
        if (ranges_[i].left <= from && from < ranges_[i].right) from = ranges_[i].right;
    return from;
}

// RFC 6675 section 4, NextSeg() rule (3): S3 meets (1.a) S3 >= high_rxt and (1.b) S3 below the highest SACKed
// byte, not necessarily (1.c).
std::optional<SeqNum> SackScoreboard::next_unsacked(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt) const {
    const SeqNum candidate = first_unsacked(seq_max(high_rxt, snd_una));
    if (candidate < highest_sacked() && candidate < snd_max) return candidate;
    return std::nullopt;
}

// RFC 6675 section 4, NextSeg() rule (4): one segment "that MUST include the highest outstanding unSACKed
// sequence number". That number is snd_max - 1 unless the highest range reaches snd_max; then it is the
// byte before that range (ranges are disjoint and non-adjacent, so the byte before it is un-SACKed).
std::optional<SeqNum> SackScoreboard::rescue_start(SeqNum snd_una, SeqNum snd_max, std::uint32_t len) const {
    SeqNum end = snd_max;       // one past the highest un-SACKed sequence number
    std::size_t below = count_; // ranges_[0, below) lie below `end`
    if (count_ > 0 && ranges_[count_ - 1].right >= snd_max) {
        end = ranges_[count_ - 1].left;
        below = count_ - 1;
    }
    if (!(snd_una < end) || len == 0) return std::nullopt;
    const SeqNum hole_left = below > 0 ? seq_max(ranges_[below - 1].right, snd_una) : snd_una;
    return span(hole_left, end) <= len ? hole_left : end - len;
}

std::uint32_t SackScoreboard::sacked_bytes() const {
    std::uint32_t total = 0;
    for (std::size_t i = 0; i < count_; ++i)
        total += span(ranges_[i].left, ranges_[i].right);
    return total;
}

std::uint32_t SackScoreboard::sacked_between(SeqNum from, SeqNum to) const {
    std::uint32_t total = 0;
    for (std::size_t i = 0; i < count_; ++i)
        total += overlap(ranges_[i], from, to);
    return total;
}

SeqNum SackScoreboard::highest_sacked() const {
    return count_ > 0 ? ranges_[count_ - 1].right : snd_una_;
}

} // namespace pico::tcp
