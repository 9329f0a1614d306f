// The send side of a connection: the send ring (which is also the retransmission queue), segment sizes
// (RFC 9293 3.7.1, RFC 6691), building and sending segments with their options, and the output engine:
// Nagle (RFC 9293 3.7.4), sender SWS avoidance (3.8.6.2.1), congestion window (RFC 5681) with limited
// transmit (RFC 3042), SACK-based loss recovery (RFC 6675), zero-window probes (3.8.6.1), RSTs and ACKs.
#pragma once
#include "transport/tcp/internal.hpp"
#include <cstdint>

namespace pico::tcp::detail {

// ---- the send ring ----
std::uint32_t send_capacity(const Tcb& tcb);
std::uint32_t send_space(const Tcb& tcb); // bytes write() would take now
std::size_t queue_data(Tcb& tcb, Bytes data);
SeqNum data_end(const Tcb& tcb); // one past the last byte written
// The sequence number our FIN occupies (valid once fin_queued) and whether it was sent / acknowledged.
SeqNum fin_seq(const Tcb& tcb);
bool fin_sent(const Tcb& tcb);
bool fin_acked(const Tcb& tcb);
// Drops the bytes an ACK covers from the ring.
void acknowledge_data(Tcb& tcb, SeqNum ack);

// ---- segment sizes ----
std::uint16_t our_mss(const Tcb& tcb);       // announced in our SYN: path MSS, bounded by MaxSegment
std::uint32_t send_mss(const Tcb& tcb);      // min(peer MSS, path MSS, MaxSegment)
std::uint32_t smss(const Tcb& tcb);          // a full-sized segment's data (send MSS minus fixed options)
std::uint32_t payload_limit(const Tcb& tcb); // data in the next segment (send MSS minus all its options)

// The persist timer's interval: the RTO, doubled per unanswered probe, at most 60 s (RFC 9293 3.8.6.1);
// with an open but small window, the SWS override timeout (3.8.6.2.1).
TimeMs persist_interval(const Tcb& tcb, bool zero_window);

// ---- sending ----
enum class SendResult : std::uint8_t { Sent, NoBuffer, Failed };
// One segment of the connection: `len` bytes of the send ring from `seq` (clamped to what fits; FIN is
// dropped from the flags if the data was clamped), options as the state calls for.
SendResult transmit(Stack& stack, Tcb& tcb, SeqNum seq, std::uint32_t& len, std::uint8_t flags);
// SYN (SYN-SENT) or SYN,ACK (SYN-RECEIVED), with the options of RFC 9293 3.7.1, RFC 7323 and RFC 2018.
SendResult send_syn(Stack& stack, Tcb& tcb);
SendResult send_ack(Stack& stack, Tcb& tcb); // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (SND.NXT: snd_max)
// RFC 5961 section 7: a challenge ACK, limited per second across the stack. Counts the segment that caused
// it as ChallengeAck (sent) or RateLimited (suppressed).
void challenge_ack(Stack& stack, Tcb& tcb);
void send_rst(Stack& stack, Tcb& tcb); // <SEQ=SND.NXT><CTL=RST> (ABORT, RFC 9293 3.10.5)
// A reset in answer to a segment (RFC 9293 3.10.7.1 forms): <SEQ=seq><CTL=RST> or with ACK.
void send_reset(Stack& stack, const Segment& answered, SeqNum seq, SeqNum ack, bool with_ack);
// RFC 9293 3.10.7.1: the reset for a segment that has no connection (never in answer to a RST).
void reset_for_segment(Stack& stack, const Segment& seg);

// The first unacknowledged segment again (fast retransmit, RFC 5681 3.2; partial ACK, RFC 6582).
SendResult retransmit_first(Stack& stack, Tcb& tcb);
// A zero-window probe: one byte at SND.UNA (RFC 9293 3.8.6.1).
SendResult send_window_probe(Stack& stack, Tcb& tcb);
// A keep-alive probe: <SEQ=SND.UNA-1><ACK=RCV.NXT> without data (RFC 9293 3.8.4).
SendResult send_keepalive(Stack& stack, Tcb& tcb);

// Sends what the windows, Nagle and SWS avoidance allow, then an ACK if one is due and nothing carried it;
// arms the RTO and the persist timer. `force`: the SWS override timer expired (send even a small segment).
void output(Stack& stack, Tcb& tcb, bool force = false);

} // namespace pico::tcp::detail
