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

void NewReno::init(std::uint32_t mss, bool handshake_loss) {
    mss_ = std::clamp<std::uint32_t>(mss, 1, 0xffff);
    // RFC 5681 3.1: "If the SYN or SYN/ACK is lost, the initial window used by a sender after a correctly
    // transmitted SYN MUST be one segment consisting of at most SMSS bytes." Neither the SYN-ACK nor the ACK
    // of the SYN-ACK changes cwnd afterwards (the caller initialises it once the handshake is complete).
    cwnd_ = handshake_loss ? mss_ : initial_window();
    ssthresh_ = 0xffffffffu; // RFC 5681 3.1: "arbitrarily high" initially
    bytes_acked_in_ca_ = 0;
    dupacks_ = 0;
    in_recovery_ = false;
    sack_recovery_ = false;
    has_recover_ = false; // RFC 6582 3.2 step 1: recover starts at the ISS
    timed_out_ = false;
    recover_ = SeqNum{};
    dupack_snd_max_ = SeqNum{};
}

bool NewReno::on_ack(std::uint32_t bytes_acked, SeqNum ack, SeqNum snd_max, std::uint32_t flight_size) {
    (void)snd_max;
    // RFC 5681 section 2: a new cumulative ACK ends a run of duplicate ACKs.
    dupacks_ = 0;
    // RFC 5681 3.1: once everything outstanding at the timeout is acknowledged, the timeout's recovery is
    // over and a later timeout halves ssthresh again. Before that, every segment the timer can expire for
    // was already sent again by way of the timer (the timed-out segment itself, or the go-back-N
    // retransmissions slow start sends after it), so ssthresh is held.
    if (timed_out_ && ack >= recover_) timed_out_ = false;

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
            sack_recovery_ = false;
            has_recover_ = false;
            bytes_acked_in_ca_ = 0;
            return false;
        }
        // RFC 6675 section 5 (B): an ACK below RecoveryPoint only updates the scoreboard and pipe; cwnd
        // stays at the value set on entering recovery, and NextSeg chooses what is sent.
        if (sack_recovery_) return false;
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

    if (dupacks_ == 1) dupack_snd_max_ = snd_max; // before this duplicate's limited-transmit segment

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
    // RFC 5681 3.2 step 2: ssthresh = max(FlightSize / 2, 2 * SMSS) (eqn. 4), where "additional data sent in
    // limited transmit MUST NOT be included in this calculation": FlightSize as it was when the first
    // duplicate ACK of this run arrived, before its limited-transmit segment left (and never more than the
    // caller's FlightSize). Step 3: retransmit the lost segment and set cwnd = ssthresh + 3 * SMSS (the
    // three segments that left the network).
    const std::uint32_t before_limited =
        dupack_snd_max_ > snd_una ? static_cast<std::uint32_t>(dupack_snd_max_ - snd_una) : 0;
    ssthresh_ = halved_flight(std::min(flight_size, before_limited), mss_);
    cwnd_ = add_capped(ssthresh_, 3 * mss_);
    in_recovery_ = true;
    bytes_acked_in_ca_ = 0;
    return DupAckAction::FastRetransmit;
}

void NewReno::on_timeout(std::uint32_t flight_size, SeqNum snd_max) {
    // RFC 5681 3.1: on a retransmission timeout ssthresh is set to no more than max(FlightSize / 2, 2 * SMSS)
    // (eqn. 4), except that it is held constant when the segment had already been resent by way of the
    // timer (see timed_out_); cwnd = the loss window, 1 SMSS. A timeout during fast recovery never raises
    // the ssthresh the recovery set (FlightSize grew with the inflated window; the timeout is a further
    // congestion signal, not a reason to be more aggressive, RFC 5681 3).
    if (!timed_out_) {
        const std::uint32_t halved = halved_flight(flight_size, mss_);
        ssthresh_ = in_recovery_ ? std::min(ssthresh_, halved) : halved;
    }
    timed_out_ = true;
    cwnd_ = mss_;
    bytes_acked_in_ca_ = 0;
    // RFC 6582 3.2 step 4 (retransmit timeouts): record the highest sequence number transmitted in recover
    // and exit fast recovery if applicable. RFC 5681 section 2: the duplicate-ACK count restarts.
    recover_ = snd_max;
    has_recover_ = true;
    in_recovery_ = false;
    sack_recovery_ = false;
    dupacks_ = 0;
}

std::uint8_t NewReno::count_duplicate_ack() {
    if (dupacks_ < 0xff) ++dupacks_;
    return dupacks_;
}

bool NewReno::may_enter_sack_recovery(SeqNum snd_una) const {
    // RFC 6675 5.1: "a new recovery phase ... MUST NOT be initiated until HighACK is greater than or equal
    // to the new value of RecoveryPoint" (HighACK = snd_una - 1, RecoveryPoint = recover_ - 1). A fast
    // recovery's recover is forgotten at its full ACK, so only a timeout's holds a new recovery back.
    return !has_recover_ || snd_una >= recover_;
}

void NewReno::enter_sack_recovery(std::uint32_t flight_size, SeqNum snd_max) {
    recover_ = snd_max; // (4.1) RecoveryPoint = HighData (kept as one past it, like recover)
    has_recover_ = true;
    ssthresh_ = halved_flight(flight_size, mss_); // (4.2) ssthresh = cwnd = FlightSize / 2 (RFC 5681 eqn. 4)
    cwnd_ = ssthresh_;
    in_recovery_ = true;
    sack_recovery_ = true;
    bytes_acked_in_ca_ = 0;
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
