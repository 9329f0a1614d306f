// Congestion control behind a compile-time interface: an algorithm is a type satisfying CongestionAlgorithm;
// the TCB holds one (config selects which). NewReno (RFC 5681, RFC 6582) with limited transmit (RFC 3042) is
// the one provided; CUBIC (RFC 9438) would be a second type with the same members.
//
// The algorithm sees numbers only (bytes and sequence numbers), never segments: the sender (tx) asks it how
// much it may send (cwnd) and tells it what happened (new ACK, duplicate ACK, timeout). Pure logic,
// unit-tested on its own.
#pragma once
#include "transport/tcp/seqnum.hpp"
#include <concepts>
#include <cstdint>

namespace pico::tcp {

// What the sender must do after a duplicate ACK.
enum class DupAckAction : std::uint8_t {
    None,            // nothing (beyond what cwnd allows)
    LimitedTransmit, // RFC 3042: send one new segment if the receive window allows, cwnd unchanged
    FastRetransmit,  // RFC 5681 3.2 / RFC 6582 3.2 step 2: retransmit the first unacknowledged segment now
};

template <class T>
concept CongestionAlgorithm = requires(T cc, const T ccc, std::uint32_t n, SeqNum s, bool b) {
    { cc.init(n) } -> std::same_as<void>; // n: sender MSS; sets the initial window (RFC 5681 3.1 / RFC 3390)
    // The same after a handshake in which the SYN or SYN-ACK was retransmitted (b): RFC 5681 3.1, the
    // initial window is then one segment.
    { cc.init(n, b) } -> std::same_as<void>;
    { ccc.cwnd() } -> std::same_as<std::uint32_t>;
    { ccc.ssthresh() } -> std::same_as<std::uint32_t>;
    { ccc.in_recovery() } -> std::same_as<bool>;
    // New data acknowledged: bytes newly acked, the ACK's value, snd_max at the time, and the flight size
    // before the ACK. Handles slow start / congestion avoidance, and full/partial ACKs in recovery (RFC
    // 6582). Returns true when the sender must retransmit the next unacknowledged segment now (partial ACK).
    { cc.on_ack(n, s, s, n) } -> std::same_as<bool>;
    // A duplicate ACK (RFC 5681 section 2 definition, checked by the caller): the count so far is kept
    // inside. Arguments: snd_una, snd_max, flight size.
    { cc.on_duplicate_ack(s, s, n) } -> std::same_as<DupAckAction>;
    // Retransmission timeout (RFC 5681 eqn. 4, cwnd = 1 MSS), with the flight size and snd_max (RFC 6582
    // section 3.2 step 4: recover = the highest sequence number transmitted).
    { cc.on_timeout(n, s) } -> std::same_as<void>;
    // Idle for longer than an RTO (RFC 5681 4.1): restart window.
    { cc.on_idle_restart() } -> std::same_as<void>;
    { cc.set_mss(n) } -> std::same_as<void>;               // the effective MSS changed (PMTU, options)
    { cc.exit_recovery_on_sack(b) } -> std::same_as<void>; // reserved for SACK-based recovery bookkeeping
};

// RFC 5681 + RFC 6582 (NewReno) + RFC 3042 (limited transmit).
class NewReno {
  public:
    static constexpr std::uint8_t dup_ack_threshold = 3; // RFC 5681 3.2: the third duplicate ACK

    // handshake_loss: the SYN or the SYN-ACK had to be sent again (RFC 5681 3.1: IW = 1 SMSS).
    void init(std::uint32_t mss, bool handshake_loss = false);
    std::uint32_t cwnd() const { return cwnd_; }
    std::uint32_t ssthresh() const { return ssthresh_; }
    bool in_recovery() const { return in_recovery_; }
    std::uint8_t duplicate_acks() const { return dupacks_; }
    // RFC 6582 "recover", stored as snd_max at the time (one past the highest sequence number transmitted).
    SeqNum recover() const { return recover_; }
    bool on_ack(std::uint32_t bytes_acked, SeqNum ack, SeqNum snd_max, std::uint32_t flight_size);
    DupAckAction on_duplicate_ack(SeqNum snd_una, SeqNum snd_max, std::uint32_t flight_size);
    void on_timeout(std::uint32_t flight_size, SeqNum snd_max);
    void on_idle_restart();
    void set_mss(std::uint32_t mss);
    void exit_recovery_on_sack(bool) {}

    // RFC 6675 (SACK-based loss recovery), driven by the sender's SACK logic (fsm.cpp), which decides what
    // a duplicate ACK is (RFC 6675 section 2) and when recovery starts; NewReno's on_duplicate_ack is not
    // used on a SACK connection. DupAcks is the same counter (duplicate_acks(), reset by on_ack and
    // on_timeout).
    std::uint8_t count_duplicate_ack(); // RFC 6675 5: DupAcks += 1, returns the new count
    // RFC 6675 5.1: after a timeout, no new recovery until HighACK >= RecoveryPoint (snd_una >= recover()).
    bool may_enter_sack_recovery(SeqNum snd_una) const;
    // RFC 6675 5 step (4.1) RecoveryPoint = HighData (recover() = snd_max), (4.2) ssthresh = cwnd =
    // max(FlightSize / 2, 2 * SMSS) (RFC 5681 eqn. 4; the caller leaves limited-transmit data out of
    // FlightSize). In this recovery cwnd stays put (pipe does the accounting, RFC 6675 step C) and on_ack
    // never asks for a retransmission; the full ACK (snd_una >= recover()) ends it as in NewReno.
    void enter_sack_recovery(std::uint32_t flight_size, SeqNum snd_max);

  private:
    std::uint32_t mss_ = 536;
    std::uint32_t cwnd_ = 0;
    std::uint32_t ssthresh_ = 0xffffffffu; // RFC 5681 3.1: arbitrarily high initially
    std::uint32_t bytes_acked_in_ca_ = 0;  // RFC 3465-style byte counting in congestion avoidance
    std::uint8_t dupacks_ = 0;
    bool in_recovery_ = false;
    bool sack_recovery_ = false; // the recovery is RFC 6675's (entered by enter_sack_recovery)
    // RFC 6582 3.2 step 2 compares the ACK with recover; until a recovery or a timeout sets it, recover is
    // the ISS, which every duplicate ACK covers: modelled as "no recover" (which also avoids a stale recover
    // wrapping around after 2^31 bytes: it is forgotten once an ACK passes it, and at the full ACK that
    // ends a fast recovery; only a timeout's recover holds back fast retransmit, RFC 6582 section 4).
    bool has_recover_ = false;
    // RFC 5681 section 3.1: ssthresh is held constant when the segment that timed out had already been
    // retransmitted by way of the retransmission timer: set by on_timeout, cleared once the cumulative ACK
    // covers everything that was outstanding at the timeout (recover_), i.e. when the timeout's recovery
    // (the timed-out segment and the go-back-N retransmissions that follow it) is over.
    bool timed_out_ = false;
    SeqNum recover_{};
    // RFC 5681 3.2 step 2: ssthresh at the third duplicate ACK leaves out the data limited transmit (RFC
    // 3042) sent: snd_max when the first duplicate ACK of the run arrived (before its limited-transmit
    // segment left).
    SeqNum dupack_snd_max_{};

    std::uint32_t initial_window() const;
};

static_assert(CongestionAlgorithm<NewReno>);

} // namespace pico::tcp
