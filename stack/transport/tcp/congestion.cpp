// NewReno congestion control: RFC 5681 (slow start, congestion avoidance, fast retransmit/fast recovery),
// RFC 6582 (NewReno modification of fast recovery), RFC 3042 (limited transmit). Every rule cites its
// section.
#include "transport/tcp/congestion.hpp"
#include <algorithm>

namespace pico::tcp {

namespace {

// cwnd is kept below this so that additions never wrap (a scaled window is at most 2^30, RFC 7323 2.3).
constexpr std::uint32_t max_cwnd = 1u << 30;

std::uint32_t add_capped(std::uint32_t a, std::uint32_t b) {
    return (b >= max_cwnd || a >= max_cwnd - b) ? max_cwnd : a + b;
}

// RFC 5681 eqn. 4: ssthresh = max(FlightSize / 2, 2 * SMSS).
std::uint32_t halved_flight(std::uint32_t flight_size, std::uint32_t mss) {
    return std::max(flight_size / 2, 2 * mss);
}

} // namespace

// RFC 5681 section 3.1, eqn. 3 (the RFC 3390 initial window):
//   SMSS > 2190:         IW = 2 * SMSS
//   1095 < SMSS <= 2190: IW = 3 * SMSS
//   SMSS <= 1095:        IW = 4 * SMSS
std::uint32_t NewReno::initial_window() const {
    if (mss_ > 2190) return 2 * mss_;
    if (mss_ > 1095) return 3 * mss_;
    return 4 * mss_;
}

void NewReno::init(std::uint32_t mss) {
    mss_ = std::clamp<std::uint32_t>(mss, 1, 0xffff);
    cwnd_ = initial_window();
    ssthresh_ = 0xffffffffu; // RFC 5681 3.1: "arbitrarily high" initially
    bytes_acked_in_ca_ = 0;
    dupacks_ = 0;
    in_recovery_ = false;
    has_recover_ = false; // RFC 6582 3.2 step 1: recover starts at the ISS
    timed_out_ = false;
    recover_ = SeqNum{};
}

bool NewReno::on_ack(std::uint32_t bytes_acked, SeqNum ack, SeqNum snd_max, std::uint32_t flight_size) {
    (void)snd_max;
    // RFC 5681 section 2: a new cumulative ACK ends a run of duplicate ACKs.
    dupacks_ = 0;
    // RFC 5681 3.1: the timed-out segment has been acknowledged; a later timeout halves ssthresh again.
    timed_out_ = false;

    if (in_recovery_) {
        if (ack >= recover_) {
            // RFC 6582 3.2 step 3, full acknowledgment (all data up to and including the highest sequence
            // number transmitted when loss was detected; recover_ holds one past it): deflate the window,
            // option (1):
            //   cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)
            // with FlightSize the data still outstanding after this ACK. Exit fast recovery.
            const std::uint32_t outstanding = flight_size > bytes_acked ? flight_size - bytes_acked : 0;
            cwnd_ = std::min(ssthresh_, std::max(outstanding, mss_) + mss_);
            // The recover check of step 2 exists for duplicate ACKs caused by go-back-N retransmissions
            // after a timeout (RFC 6582 section 4); after a fast recovery, every segment at or above the
            // full ACK was sent after the loss was detected, so its loss starts a new recovery even when the
            // duplicates carry exactly ACK == recover (RFC 6675 section 5 likewise allows a new recovery once
            // the cumulative ACK reaches RecoveryPoint). So recover is forgotten here.
            in_recovery_ = false;
            has_recover_ = false;
            bytes_acked_in_ca_ = 0;
            return false;
        }
        // RFC 6582 3.2 step 3, partial acknowledgment: retransmit the first unacknowledged segment, deflate
        // cwnd by the amount of new data acknowledged, add back SMSS if at least SMSS was acknowledged, stay
        // in fast recovery. (cwnd is kept at no less than SMSS, so the retransmission always fits.)
        cwnd_ = cwnd_ > bytes_acked ? cwnd_ - bytes_acked : 0;
        if (bytes_acked >= mss_) cwnd_ = add_capped(cwnd_, mss_);
        cwnd_ = std::max(cwnd_, mss_);
        return true;
    }

    // After a timeout recover = snd_max (RFC 6582 3.2 step 4); once the cumulative ACK passes it, every
    // later duplicate ACK covers more than recover, so it need not be kept (and cannot go stale by wrapping).
    if (has_recover_ && ack > recover_) has_recover_ = false;

    if (cwnd_ < ssthresh_) {
        // RFC 5681 3.1 eqn. 2, slow start: cwnd += min(N, SMSS), N the bytes newly acknowledged.
        cwnd_ = add_capped(cwnd_, std::min(bytes_acked, mss_));
        bytes_acked_in_ca_ = 0;
    } else {
        // RFC 5681 3.1, congestion avoidance with appropriate byte counting (RFC 3465 2.1): cwnd grows by
        // SMSS once the bytes acknowledged since the last increase reach cwnd, i.e. about one SMSS per RTT.
        bytes_acked_in_ca_ = add_capped(bytes_acked_in_ca_, bytes_acked);
        if (bytes_acked_in_ca_ >= cwnd_) {
            bytes_acked_in_ca_ -= cwnd_;
            cwnd_ = add_capped(cwnd_, mss_);
        }
    }
    return false;
}

DupAckAction NewReno::on_duplicate_ack(SeqNum snd_una, SeqNum snd_max, std::uint32_t flight_size) {
    if (dupacks_ < 0xff) ++dupacks_;

    if (in_recovery_) {
        // RFC 5681 3.2 step 4 (unchanged by RFC 6582): each further duplicate ACK inflates cwnd by SMSS,
        // since a segment has left the network; the sender sends new data if cwnd and rwnd allow.
        cwnd_ = add_capped(cwnd_, mss_);
        return DupAckAction::None;
    }
    if (dupacks_ < dup_ack_threshold) {
        // RFC 3042 section 2: the first and second duplicate ACKs each allow one new segment (if the receive
        // window allows and FlightSize <= cwnd + 2 * SMSS; the sender checks), with cwnd unchanged.
        return DupAckAction::LimitedTransmit;
    }
    if (dupacks_ > dup_ack_threshold) return DupAckAction::None; // fast retransmit was declined on the third

    // Third duplicate ACK. RFC 6582 3.2 step 2: only if the Cumulative Acknowledgment field covers more than
    // recover; otherwise do not enter fast retransmit and do not reset ssthresh. recover_ is kept as snd_max
    // (one past the highest sequence number transmitted), so the ACK field A covers more than recover when
    // A - 1 > snd_max - 1, i.e. A > recover_ (as FreeBSD compares th_ack with snd_recover).
    if (has_recover_ && !(snd_una > recover_)) return DupAckAction::None;
    recover_ = snd_max; // RFC 6582 3.2 step 2: recover = the highest sequence number transmitted so far
    has_recover_ = true;
    // RFC 5681 3.2 step 2: ssthresh = max(FlightSize / 2, 2 * SMSS) (eqn. 4); step 3: retransmit the lost
    // segment and set cwnd = ssthresh + 3 * SMSS (the three segments that left the network).
    ssthresh_ = halved_flight(flight_size, mss_);
    cwnd_ = add_capped(ssthresh_, 3 * mss_);
    in_recovery_ = true;
    bytes_acked_in_ca_ = 0;
    return DupAckAction::FastRetransmit;
}

void NewReno::on_timeout(std::uint32_t flight_size, SeqNum snd_max) {
    // RFC 5681 3.1: on a retransmission timeout ssthresh = max(FlightSize / 2, 2 * SMSS) (eqn. 4), except
    // that it is held constant when the segment had already been retransmitted by the timer (a repeated
    // timeout without an ACK of new data in between); cwnd = the loss window, 1 SMSS.
    if (!timed_out_) ssthresh_ = halved_flight(flight_size, mss_);
    timed_out_ = true;
    cwnd_ = mss_;
    bytes_acked_in_ca_ = 0;
    // RFC 6582 3.2 step 4 (retransmit timeouts): record the highest sequence number transmitted in recover
    // and exit fast recovery if applicable. RFC 5681 section 2: the duplicate-ACK count restarts.
    recover_ = snd_max;
    has_recover_ = true;
    in_recovery_ = false;
    dupacks_ = 0;
}

void NewReno::on_idle_restart() {
    // RFC 5681 4.1: after an idle period longer than an RTO, cwnd = min(RW, cwnd) with RW = min(IW, cwnd).
    cwnd_ = std::min(cwnd_, initial_window());
    bytes_acked_in_ca_ = 0;
}

void NewReno::set_mss(std::uint32_t mss) {
    // The window stays in bytes; it never drops below one segment so a full-sized segment can always be sent.
    mss_ = std::clamp<std::uint32_t>(mss, 1, 0xffff);
    cwnd_ = std::max(cwnd_, mss_);
}

} // namespace pico::tcp
