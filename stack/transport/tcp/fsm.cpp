// SEGMENT ARRIVES (RFC 9293 section 3.10.7): the input hook and one handler per state and per step, each
// citing its section, so the code reads next to the RFC.
//
//   input()                        checks every segment: group address (RFC 1122 4.2.3.10), header, checksum,
//                                  options; finds the connection (exact 4-tuple first, then a listener)
//   segment_closed()               3.10.7.1  CLOSED: RST per the two forms, never in answer to a RST
//   segment_listen()               3.10.7.2  LISTEN: RST ignored, ACK -> RST, SYN -> SYN-RECEIVED
//   segment_syn_sent()             3.10.7.3  SYN-SENT: ACK check, RST check, SYN (active / simultaneous open)
//   segment_synchronized()         3.10.7.4  every other state, in eight steps:
//     check_sequence()               first   PAWS (RFC 7323 5.3), acceptability table, trimming
//     check_rst()                    second  RFC 5961 3.2: exact RCV.NXT resets, else challenge ACK
//                                    third   security/compartment: not applicable (no IP security option)
//     check_syn()                    fourth  RFC 5961 4.2: challenge ACK
//     check_ack()                    fifth   per state (table ack_step[]), RFC 5961 5.2 ACK validation
//     check_urg()                    sixth   urgent pointer (RFC 6093)
//     process_text()                 seventh in-order and out-of-order data, delayed / immediate ACK
//     check_fin()                    eighth  FIN, per state
// Timeouts (3.10.8) are in timers.cpp; the user calls (3.10.1-3.10.6) in tcp.cpp.
#include "port/platform.hpp"
#include "transport/tcp/internal.hpp"
#include "transport/tcp/isn.hpp"
#include "transport/tcp/rx.hpp"
#include "transport/tcp/tx.hpp"
#include <algorithm>

namespace pico::tcp {

using namespace detail;
namespace flag = wire::tcp::flag;

namespace {

// Outcome of a step: go on with the next one, or the segment is finished with (used or dropped).
enum class Step : std::uint8_t { Continue, Done };

void count(Stack& stack, Drop reason) {
    state(stack).counters.count_drop(reason);
}

bool receives_text(TcpState s) {
    return s == TcpState::Established || s == TcpState::FinWait1 || s == TcpState::FinWait2;
}

// SND.WND from a segment's window field: shifted by the peer's scale, except the window of a SYN or
// SYN,ACK, which is never scaled (RFC 7323 2.2).
std::uint32_t segment_window(const Tcb& t, const Segment& seg) {
    if (seg.has(flag::syn) || seg.syn_window) return seg.window;
    return std::uint32_t{seg.window} << t.snd_wscale;
}

// ---- 3.10.7.1 CLOSED ----

// RFC 9293 3.10.7.1: no TCB (or a CLOSED one): all data is discarded; a RST is answered by nothing, anything
// else by <SEQ=SEG.ACK><CTL=RST> (ACK on) or <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (ACK off).
void segment_closed(Stack& stack, const Segment& seg) {
    count(stack, Drop::NoSocket);
    reset_for_segment(stack, seg);
}

// ---- 3.10.7.2 LISTEN ----

std::size_t accept_queue_length(Stack& stack, const Tcb& listener) {
    const SocketHandle h = handle_of(stack, listener);
    std::size_t n = 0;
    for (const Tcb& t : state(stack).tcbs)
        if (t.in_use && t.parent == h && t.in_accept_queue) ++n;
    return n;
}

// A TCB for a new half-open connection of `listener`. Flood protection (requirement 7): at most
// config::tcp_half_open per listener and, when the pool is empty, the oldest half-open connection of this
// listener makes room, so a SYN flood can neither exhaust the pool nor lock out legitimate clients.
Tcb* new_half_open(Stack& stack, Tcb& listener) {
    State& s = state(stack);
    const SocketHandle h = handle_of(stack, listener);
    Tcb* oldest = nullptr;
    std::size_t half_open = 0;
    for (Tcb& t : s.tcbs) {
        if (!t.in_use || t.parent != h || t.state != TcpState::SynReceived || t.in_accept_queue) continue;
        ++half_open;
        if (oldest == nullptr || t.order < oldest->order) oldest = &t;
    }
    if (half_open >= config::tcp_half_open && oldest != nullptr) {
        reset_tcb(*oldest);
        ++s.syn_evictions;
        oldest = nullptr;
    }
    Tcb* child = allocate_tcb(stack);
    if (child == nullptr && oldest != nullptr) {
        reset_tcb(*oldest);
        ++s.syn_evictions;
        child = allocate_tcb(stack);
    }
    return child;
}

void inherit_options(const Tcb& from, Tcb& to) {
    to.nodelay = from.nodelay;
    to.keepalive = from.keepalive;
    to.keep_idle_ms = from.keep_idle_ms;
    to.keep_interval_ms = from.keep_interval_ms;
    to.keep_count = from.keep_count;
    to.linger_ms = from.linger_ms;
    to.send_buffer = from.send_buffer;
    to.recv_buffer = from.recv_buffer;
    to.max_segment = from.max_segment;
    to.ttl = from.ttl;
    to.tos = from.tos;
    to.give_up_ms = from.give_up_ms;
    to.syn_give_up_ms = from.syn_give_up_ms;
}

void segment_listen(Stack& stack, Tcb& listener, const Segment& seg) {
    // RFC 9293 3.10.7.2 first: check for a RST. "An incoming RST should be ignored."
    if (seg.has(flag::rst)) return count(stack, Drop::InvalidState);
    // second: check for an ACK: "<SEQ=SEG.ACK><CTL=RST>".
    if (seg.has(flag::ack)) {
        count(stack, Drop::BadAck);
        return send_reset(stack, seg, seg.ack, SeqNum{}, false);
    }
    // fourth: "Any other control or text-bearing segment (not containing SYN) must have an ACK and thus
    // would have been discarded by the ACK processing": drop.
    if (!seg.has(flag::syn)) return count(stack, Drop::BadFlags);
    if (seg.has(flag::fin)) return count(stack, Drop::BadFlags); // SYN+FIN: never a legitimate open
    // third: check for a SYN (security/compartment checks do not apply: no IP security option).
    if (accept_queue_length(stack, listener) >= listener.backlog) return count(stack, Drop::QueueFull);
    auto path = net::route(stack, seg.src);
    if (!path) return count(stack, Drop::NoRoute);
    Tcb* child = new_half_open(stack, listener);
    if (child == nullptr) return count(stack, Drop::PoolExhausted);

    Tcb& t = *child;
    t.passive = true;
    t.parent = handle_of(stack, listener);
    t.parent_generation = listener.generation;
    t.order = next_order(stack);
    inherit_options(listener, t);
    t.bound = true;
    t.local = seg.dst;
    t.local_port = seg.dst_port;
    t.remote = seg.src;
    t.remote_port = seg.src_port;
    t.path_mss = path->announce_mss; // what our SYN-ACK announces (RFC 1191 3.1: the interface's MTU)
    set_state(t, TcpState::SynReceived);
    take_syn_options(stack, t, seg, false);
    t.path_mss = path->mss; // what we send: the path MTU
    choose_iss(stack, t);
    init_receive(t, seg.seq); // RCV.NXT = SEG.SEQ + 1, IRS = SEG.SEQ
    // The window of a SYN is never scaled (RFC 7323 2.2).
    t.snd_wnd = seg.window;
    t.max_snd_wnd = t.snd_wnd;
    t.snd_wl1 = seg.seq;
    t.snd_wl2 = t.iss;
    // "...any other control or text should be queued for processing later": data on the SYN is kept.
    if (!seg.payload.empty()) accept_text(t, seg.seq + 1, seg.payload);
    note_segment_received(stack, t);
    // "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>"
    send_syn(stack, t);
}

// ---- connection establishment helpers ----

// Both directions synchronized (from SYN-SENT or SYN-RECEIVED): start the congestion window (RFC 5681 3.1),
// apply RFC 6298 5.7, tell the application.
void become_established(Stack& stack, Tcb& t) {
    set_state(t, TcpState::Established);
    // RFC 5681 3.1: IW is one segment when the SYN or the SYN-ACK had to be sent again.
    t.cc.init(smss(t), t.syn_retransmitted || (t.passive && t.retransmissions != 0));
    if (t.syn_retransmitted) t.rto_ms = std::max(t.rto_ms, syn_rto_after_loss_ms); // RFC 6298 5.7
    t.retries = 0;
    if (t.snd_una == t.snd_max) t.rto_deadline = 0;
    arm_keepalive(stack, t);
    if (t.passive) {
        // A completed passive connection waits in the listener's accept queue.
        t.in_accept_queue = true;
        t.order = next_order(stack);
        if (Tcb* listener = parent_of(stack, t)) raise(stack, *listener, event_bit::readable);
    } else {
        raise(stack, t, event_bit::connected);
    }
    if (t.fin_queued) set_state(t, TcpState::FinWait1); // a close/shutdown asked for while opening
}

// RTT of the handshake: from the timestamp echo (RFC 7323 4.1) or the timed SYN (Karn's rule applied).
void sample_from_ack(Stack& stack, Tcb& t, const Segment& seg) {
    if (t.ts_ok && seg.options.has_timestamp && seg.options.ts_ecr != 0) {
        const std::uint32_t r = ts_now(stack, t) - seg.options.ts_ecr;
        if (r < 0x80000000u) rtt_sample(t, r);
        t.rtt_timing = false;
    } else if (t.rtt_timing && seg.ack > t.rtt_seq) {
        rtt_sample(t, static_cast<std::uint32_t>(now(stack) - t.rtt_start));
        t.rtt_timing = false;
    }
}

// Drops the parts of a segment outside the receive window (RFC 9293 3.10.7.4 first: "only the new parts
// are processed"; segments beyond the window are trimmed, losing a FIN beyond it).
void trim_to_window(const Tcb& t, Segment& seg, std::uint32_t wnd) {
    if (seg.seq < t.rcv_nxt && !seg.has(flag::syn)) { // a SYN is dropped whole by the fourth step
        const std::uint32_t excess = static_cast<std::uint32_t>(t.rcv_nxt - seg.seq);
        const std::size_t skip = std::min<std::size_t>(excess, seg.payload.size());
        seg.payload = seg.payload.subspan(skip);
        seg.seq += static_cast<std::uint32_t>(skip);
    }
    const SeqNum right = t.rcv_nxt + wnd;
    if (seg.seq + static_cast<std::uint32_t>(seg.payload.size()) > right) {
        const std::uint32_t keep = right > seg.seq ? static_cast<std::uint32_t>(right - seg.seq) : 0;
        seg.payload = seg.payload.first(std::min<std::size_t>(keep, seg.payload.size()));
        seg.flags = static_cast<std::uint8_t>(seg.flags & ~(flag::fin | flag::psh));
    }
}

// ---- 3.10.7.4 sixth, seventh, eighth ----

void process_fin(Stack& stack, Tcb& t) {
    // RFC 9293 3.10.7.4 eighth: advance RCV.NXT over the FIN, acknowledge it, tell the user.
    t.rcv_nxt += 1;
    t.fin_received = true;
    t.peer_fin_pending = false;
    t.ack_now = true;
    raise(stack, t, event_bit::readable);
    raise(stack, t, event_bit::peer_closed);
    switch (t.state) {
    case TcpState::SynReceived:
    case TcpState::Established:
        set_state(t, TcpState::CloseWait);
        break;
    case TcpState::FinWait1: // our FIN was not acknowledged by the fifth step (else we would be in
                             // FIN-WAIT-2)
        if (fin_acked(t))
            enter_time_wait(stack, t);
        else
            set_state(t, TcpState::Closing);
        break;
    case TcpState::FinWait2:
        enter_time_wait(stack, t);
        break;
    case TcpState::TimeWait:
        enter_time_wait(stack, t); // restart the 2 MSL timeout
        break;
    default: // CLOSE-WAIT, CLOSING, LAST-ACK: remain
        break;
    }
}

// sixth: check the URG bit (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2; ignored elsewhere).
void check_urg(Stack& stack, Tcb& t, const Segment& seg, SeqNum urgent_end) {
    if (!seg.has(flag::urg) || !receives_text(t.state)) return;
    if (note_urgent(t, urgent_end)) raise(stack, t, event_bit::readable);
}

// seventh: process the segment text. Returns Done when the connection was aborted.
Step process_text(Stack& stack, Tcb& t, const Segment& seg) {
    if (seg.payload.empty()) return Step::Continue;
    if (!receives_text(t.state)) {
        // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: a FIN came already; "ignore the segment text".
        count(stack, Drop::InvalidState);
        return Step::Continue;
    }
    if (t.app_closed) {
        // RFC 1122 4.2.2.13 / RFC 9293 3.10.4: new data after CLOSE cannot be delivered: RST, data lost.
        count(stack, Drop::InvalidState);
        send_rst(stack, t);
        enter_closed(stack, t, SocketError::Ok);
        return Step::Done;
    }
    switch (accept_text(t, seg.seq, seg.payload)) {
    case TextResult::InOrder:
        raise(stack, t, event_bit::readable);
        [[fallthrough]];
    case TextResult::Discarded:
        // RFC 9293 3.8.6.3 / RFC 5681 4.2: ACK at least every second full-sized segment, else within
        // delayed_ack_ms (< 0.5 s, MUST-40).
        if (static_cast<std::uint32_t>(t.rcv_nxt - t.last_ack_sent) >= 2 * t.rcv_mss)
            t.ack_now = true;
        else if (t.delack_deadline == 0)
            t.delack_deadline = now(stack) + delayed_ack_ms;
        break;
    case TextResult::FilledHole:
        // RFC 5681 4.2: ACK at once when a segment fills a hole. Every segment queued behind the hole was
        // taken in by accept_text before this one ACK (RFC 9293 MUST-58, MUST-59: queued segments are all
        // processed before an ACK is sent, and their ACKs aggregated).
        raise(stack, t, event_bit::readable);
        t.ack_now = true;
        break;
    case TextResult::OutOfOrder: // RFC 5681 4.2: an out-of-order segment is ACKed at once (a dup ACK)
        t.ack_now = true;
        break;
    case TextResult::NoRoom:
        count(stack, Drop::QueueFull);
        t.ack_now = true;
        break;
    }
    return Step::Continue;
}

// eighth: check the FIN bit (also a FIN that arrived out of order, once the data before it is in).
void check_fin(Stack& stack, Tcb& t, const Segment& seg) {
    if (seg.has(flag::fin)) {
        const SeqNum at = seg.seq + static_cast<std::uint32_t>(seg.payload.size());
        if (at == t.rcv_nxt) return process_fin(stack, t);
        if (at > t.rcv_nxt && receives_text(t.state)) {
            t.peer_fin_pending = true;
            t.peer_fin_seq = at;
            t.ack_now = true;
        }
        return;
    }
    if (t.peer_fin_pending && t.rcv_nxt == t.peer_fin_seq) process_fin(stack, t);
}

void process_tail(Stack& stack, Tcb& t, const Segment& seg, SeqNum urgent_end) {
    check_urg(stack, t, seg, urgent_end);
    if (process_text(stack, t, seg) == Step::Done) return;
    check_fin(stack, t, seg);
}

// ---- 3.10.7.3 SYN-SENT ----

void segment_syn_sent(Stack& stack, Tcb& t, Segment& seg, SeqNum urgent_end) {
    // first: check the ACK bit. "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit
    // is set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>".
    bool ack_acceptable = false;
    if (seg.has(flag::ack)) {
        if (seg.ack <= t.iss || seg.ack > t.snd_max) {
            count(stack, Drop::BadAck);
            if (!seg.has(flag::rst)) send_reset(stack, seg, seg.ack, SeqNum{}, false);
            return;
        }
        ack_acceptable = t.snd_una < seg.ack;
    }
    // second: check the RST bit. Only with an acceptable ACK (RFC 5961 3: "the RST is acceptable if the ACK
    // field acknowledges the SYN"): "connection reset" (refused), enter CLOSED. Without an ACK: drop.
    if (seg.has(flag::rst)) {
        if (ack_acceptable) return enter_closed(stack, t, SocketError::ConnectionRefused);
        return count(stack, Drop::BadFlags);
    }
    // third: security/compartment: not applicable.
    // fifth: "If neither of the SYN or RST bits is set, then drop the segment and return."
    if (!seg.has(flag::syn)) return count(stack, Drop::BadFlags);
    // fourth: check the SYN bit.
    take_syn_options(stack, t, seg, true);
    init_receive(t, seg.seq);
    if (seg.has(flag::ack)) t.snd_una = seg.ack;
    note_segment_received(stack, t);
    if (t.snd_una > t.iss) {
        // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to ESTABLISHED, form an
        // ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
        sample_from_ack(stack, t, seg);
        t.snd_wnd = seg.window; // not scaled in a SYN (RFC 7323 2.2)
        t.max_snd_wnd = std::max(t.max_snd_wnd, t.snd_wnd);
        t.snd_wl1 = seg.seq;
        t.snd_wl2 = seg.ack;
        become_established(stack, t);
        t.ack_now = true;
        // "If there are other controls or text in the segment, then continue processing at the sixth step
        // below where the URG bit is checked."
        seg.seq += 1;
        seg.flags = static_cast<std::uint8_t>(seg.flags & ~flag::syn);
        trim_to_window(t, seg, rcv_wnd(t));
        return process_tail(stack, t, seg, urgent_end);
    }
    // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send
    // it." (simultaneous open, figure 8). Text is queued for after ESTABLISHED.
    set_state(t, TcpState::SynReceived);
    t.snd_wnd = seg.window;
    t.max_snd_wnd = std::max(t.max_snd_wnd, t.snd_wnd);
    t.snd_wl1 = seg.seq;
    t.snd_wl2 = t.iss;
    if (!seg.payload.empty()) accept_text(t, seg.seq + 1, seg.payload);
    send_syn(stack, t);
}

// ---- 3.10.7.4 first to fifth ----

// first: check the sequence number.
Step check_sequence(Stack& stack, Tcb& t, Segment& seg) {
    const bool rst = seg.has(flag::rst);
    // RFC 7323 3.2: once timestamps are in use, a non-RST segment without one is dropped.
    if (t.ts_ok && !rst && !seg.options.has_timestamp) {
        count(stack, Drop::MissingTimestamp);
        return Step::Done;
    }
    // RFC 7323 5.3 R1 (PAWS): a timestamp older than TS.Recent marks an old duplicate: drop it and ACK,
    // unless TS.Recent is more than 24 days old (RFC 7323 5.5: then it is no longer valid).
    if (t.ts_ok && !rst && seg.options.has_timestamp &&
        static_cast<std::int32_t>(seg.options.ts_val - t.ts_recent) < 0) {
        if (now(stack) - t.ts_recent_time <= paws_idle_ms) {
            count(stack, Drop::PawsRejected);
            t.ack_now = true;
            return Step::Done;
        }
        t.ts_recent = seg.options.ts_val;
        t.ts_recent_time = now(stack);
    }
    // R2: the acceptability test (RFC 9293 3.10.7.4 table):
    //   SEG.LEN  RCV.WND  test
    //     0        0      SEG.SEQ = RCV.NXT
    //     0       >0      RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
    //    >0        0      not acceptable
    //    >0       >0      RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND  or
    //                     RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
    const std::uint32_t wnd = rcv_wnd(t);
    const std::uint32_t len = seg.len();
    const SeqNum right = t.rcv_nxt + wnd;
    bool acceptable = false;
    if (len == 0)
        acceptable = wnd == 0 ? seg.seq == t.rcv_nxt : seq_in_range(t.rcv_nxt, seg.seq, right);
    else
        acceptable = wnd != 0 && (seq_in_range(t.rcv_nxt, seg.seq, right) ||
                                  seq_in_range(t.rcv_nxt, seg.seq + (len - 1), right));
    if (!acceptable) {
        if (wnd == 0 && seg.seq == t.rcv_nxt && !seg.has(flag::syn)) {
            // "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be made
            // to accept valid ACKs, URGs, and RSTs": the text (a zero-window probe) is dropped and ACKed
            // (3.8.6.1 MUST-ACK probes), the rest processed.
            count(stack, Drop::OutOfWindow);
            seg.payload = {};
            seg.flags = static_cast<std::uint8_t>(seg.flags & ~flag::fin);
            t.ack_now = true;
        } else {
            // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply (unless
            // the RST bit is set, if so drop the segment and return)". A SYN gets the (rate-limited)
            // challenge ACK of RFC 5961 4.2 whatever its sequence number.
            if (rst) {
                count(stack, Drop::OutOfWindow); // RFC 5961 3.2: out-of-window RST silently dropped
                return Step::Done;
            }
            if (seg.has(flag::syn)) {
                challenge_ack(stack, t);
                return Step::Done;
            }
            if (t.state == TcpState::TimeWait && seg.has(flag::fin)) enter_time_wait(stack, t); // FIN again
            count(stack, Drop::OutOfWindow);
            t.ack_now = true;
            return Step::Done;
        }
    }
    // R3: TS.Recent follows the segment that covers Last.ACK.sent (RFC 7323 4.3).
    if (t.ts_ok && seg.options.has_timestamp &&
        static_cast<std::int32_t>(seg.options.ts_val - t.ts_recent) >= 0 && seg.seq <= t.last_ack_sent) {
        t.ts_recent = seg.options.ts_val;
        t.ts_recent_time = now(stack);
    }
    trim_to_window(t, seg, wnd);
    note_segment_received(stack, t);
    return Step::Continue;
}

// second: check the RST bit (RFC 5961 3.2 replaces RFC 793's "in the window" rule).
Step check_rst(Stack& stack, Tcb& t, const Segment& seg) {
    if (!seg.has(flag::rst)) return Step::Continue;
    if (seg.seq != t.rcv_nxt) {
        challenge_ack(stack, t); // in the window but not exactly RCV.NXT
        return Step::Done;
    }
    switch (t.state) {
    case TcpState::SynReceived:
        // "If this connection was initiated with a passive OPEN, then return this connection to the LISTEN
        // state and return" (the listener stays; the half-open TCB goes). Active: "connection refused".
        if (t.passive)
            reset_tcb(t);
        else
            enter_closed(stack, t, SocketError::ConnectionRefused);
        break;
    case TcpState::Established:
    case TcpState::FinWait1:
    case TcpState::FinWait2:
    case TcpState::CloseWait:
        // "Any outstanding RECEIVEs and SEND should receive 'reset' responses. All segment queues should be
        // flushed. Users should also receive an unsolicited general 'connection reset' signal."
        enter_closed(stack, t, SocketError::ConnectionReset);
        break;
    default: // CLOSING, LAST-ACK, TIME-WAIT: "enter the CLOSED state, delete the TCB, and return"
        enter_closed(stack, t, SocketError::Ok);
        break;
    }
    return Step::Done;
}

// fourth: check the SYN bit (RFC 5961 4.2: challenge ACK in synchronized states).
Step check_syn(Stack& stack, Tcb& t, const Segment& seg) {
    if (!seg.has(flag::syn)) return Step::Continue;
    if (t.state == TcpState::SynReceived && t.passive) {
        // "If the connection was initiated with a passive OPEN, then return this connection to the LISTEN
        // state and return."
        count(stack, Drop::InvalidState);
        reset_tcb(t);
        return Step::Done;
    }
    challenge_ack(stack, t);
    return Step::Done;
}

// New data acknowledged (SND.UNA < SEG.ACK =< SND.NXT).
void new_ack(Stack& stack, Tcb& t, const Segment& seg) {
    const std::uint32_t acked = static_cast<std::uint32_t>(seg.ack - t.snd_una);
    const std::uint32_t flight = static_cast<std::uint32_t>(t.snd_max - t.snd_una);
    sample_from_ack(stack, t, seg);
    acknowledge_data(t, seg.ack);
    t.snd_una = seg.ack;
    if (t.snd_nxt < t.snd_una) t.snd_nxt = t.snd_una;
    if (t.snd_urgent && t.snd_una >= t.snd_up) t.snd_urgent = false;
    t.retries = 0;
    t.scoreboard.advance(t.snd_una);
    const bool partial = t.cc.on_ack(acked, seg.ack, t.snd_max, flight);
    t.limited_transmit = 0;
    if (t.sack_recovery && !t.cc.in_recovery()) t.sack_recovery = false;
    // RFC 6298 5.2 / 5.3: stop the timer when all is acknowledged, else restart it.
    if (t.snd_una == t.snd_max)
        t.rto_deadline = 0;
    else
        arm_rto(stack, t);
    // RFC 6582 3.2 step 5: a partial ACK retransmits the first unacknowledged segment (without SACK; with
    // SACK, RFC 6675 NextSeg chooses what to send).
    if (partial && !t.sack_recovery && t.cc.in_recovery()) retransmit_first(stack, t);
    if (t.want_writable && send_space(t) > 0 && !t.fin_queued) {
        t.want_writable = false;
        raise(stack, t, event_bit::writable);
    }
}

// RFC 2018 / RFC 6675 Update(): SACK blocks of an ACK into the scoreboard (only blocks within (SND.UNA,
// SND.MAX] and above SEG.ACK). Returns how many octets were newly SACKed.
std::uint32_t take_sack_blocks(Tcb& t, const Segment& seg) {
    if (!t.sack_ok || seg.options.sack_count == 0) return 0;
    std::array<SeqRange, wire::tcp::option::max_sack_blocks> blocks{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < seg.options.sack_count && i < blocks.size(); ++i) {
        const SeqNum left{seg.options.sack[i].left};
        const SeqNum right{seg.options.sack[i].right};
        if (left < right && left >= seg.ack && left >= t.snd_una && right <= t.snd_max)
            blocks[n++] = {left, right};
    }
    return n > 0 ? t.scoreboard.add_blocks(blocks.data(), n, t.snd_una) : 0;
}

// RFC 6675 5 step (4): fast retransmit and loss recovery.
void enter_sack_recovery(Stack& stack, Tcb& t) {
    // (4.1) RecoveryPoint = HighData; (4.2) ssthresh = cwnd = FlightSize / 2, where RFC 5681 3.2 leaves
    // the limited-transmit data out of FlightSize: that is what was sent beyond cwnd, so FlightSize here
    // is min(SND.MAX - SND.UNA, cwnd) ("no more than" eqn. 4 allows the smaller value in any other case).
    const std::uint32_t flight = static_cast<std::uint32_t>(t.snd_max - t.snd_una);
    t.cc.enter_sack_recovery(std::min(flight, t.cc.cwnd()), t.snd_max);
    t.sack_recovery = true;
    t.limited_transmit = 0;
    // (4.3) retransmit the segment at HighACK + 1; HighRxt and RescueRxt = its highest sequence number
    // (both kept one past it).
    t.high_rxt = t.snd_una;
    retransmit_first(stack, t);
    t.scoreboard.set_rescue_rxt(t.high_rxt);
    // (4.4) SetPipe and (4.5) step (C): output() after this segment's processing (tx.cpp plan_recovery).
}

// RFC 6675 section 5, for a connection using SACK: an ACK whose SACK blocks report octets neither
// cumulatively acknowledged nor SACKed before is a duplicate ACK (section 2), "even if it carries new data,
// changes the advertised window, or moves the cumulative acknowledgment point" (unlike RFC 5681's
// definition). Outside loss recovery it counts (DupAcks += 1; a cumulative ACK reset DupAcks first, in
// NewReno::on_ack) and recovery starts when DupAcks >= DupThresh or IsLost(HighACK + 1); otherwise step
// (3), limited transmit governed by pipe. An ACK without new SACK information releases nothing (RFC 3042
// section 2 / RFC 5681 3.2: no new segment for a duplicate ACK without new SACK information).
void sack_duplicate_ack(Stack& stack, Tcb& t, std::uint32_t newly_sacked) {
    if (newly_sacked == 0 || t.sack_recovery || t.probing || t.snd_una == t.snd_max) return;
    const std::uint8_t dupacks = t.cc.count_duplicate_ack();
    // RFC 6675 5.1: after a timeout no recovery starts before HighACK reaches RecoveryPoint.
    if (!t.cc.may_enter_sack_recovery(t.snd_una)) return;
    const std::uint32_t mss = smss(t);
    if (dupacks >= SackScoreboard::dup_thresh || t.scoreboard.is_lost(t.snd_una, mss)) { // (1) (2)
        enter_sack_recovery(stack, t);
        return;
    }
    // (3) Limited transmit (RFC 3042 as RFC 6675 governs it): (3.1) HighRxt = HighACK, (3.2) SetPipe,
    // (3.3) new data while cwnd - pipe >= 1 SMSS and the receive window allows. output() sends new data
    // while SND.NXT - SND.UNA < cwnd + limited_transmit, so the allowance is FlightSize - pipe (the
    // octets SACKed or deemed lost). cwnd itself is not changed (RFC 3042 section 2). Not while go-back-N
    // retransmissions are under way after a timeout (SND.NXT below SND.MAX).
    if (t.snd_nxt != t.snd_max) return;
    t.high_rxt = t.snd_una;
    const std::uint32_t flight = static_cast<std::uint32_t>(t.snd_max - t.snd_una);
    const std::uint32_t pipe = t.scoreboard.pipe(t.snd_una, t.snd_max, t.high_rxt, mss);
    t.limited_transmit = flight > pipe ? flight - pipe : 0;
}

// The ACK processing common to the synchronized states (RFC 9293 3.10.7.4 fifth, ESTABLISHED STATE).
Step ack_established(Stack& stack, Tcb& t, const Segment& seg) {
    // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop the segment".
    if (seg.ack > t.snd_max) {
        count(stack, Drop::BadAck);
        t.ack_now = true;
        return Step::Done;
    }
    // RFC 5961 5.2: an ACK older than SND.UNA - MAX.SND.WND is answered by a challenge ACK and dropped.
    if (seg.ack < t.snd_una - t.max_snd_wnd) {
        challenge_ack(stack, t);
        return Step::Done;
    }
    const std::uint32_t old_wnd = t.snd_wnd;
    const std::uint32_t newly_sacked = take_sack_blocks(t, seg); // RFC 6675 5: Update() for every ACK
    const bool advanced = seg.ack > t.snd_una;
    if (advanced) new_ack(stack, t, seg);
    // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If (SND.WL1 < SEG.SEQ or
    // (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <-
    // SEG.ACK."
    if (seg.ack >= t.snd_una && (t.snd_wl1 < seg.seq || (t.snd_wl1 == seg.seq && t.snd_wl2 <= seg.ack))) {
        t.snd_wnd = segment_window(t, seg);
        t.snd_wl1 = seg.seq;
        t.snd_wl2 = seg.ack;
        t.max_snd_wnd = std::max(t.max_snd_wnd, t.snd_wnd);
    }
    // The peer answers: the persist timer's probing ends when the window opens (the probe byte, if it was
    // dropped, goes again as ordinary data).
    t.persist_probes = 0;
    if (t.probing && t.snd_wnd > 0) {
        t.probing = false;
        t.persist_deadline = 0;
        t.persist_backoff = 0;
        t.snd_nxt = t.snd_una;
    }
    // With SACK, RFC 6675 section 2 says what a duplicate ACK is and section 5 what follows (above).
    if (t.sack_ok) {
        sack_duplicate_ack(stack, t, newly_sacked);
        return Step::Continue;
    }
    // RFC 5681 section 2 duplicate ACK: outstanding data, no data, no SYN/FIN, SEG.ACK = SND.UNA, the same
    // (non-zero) window. (A zero window is the persist timer's business, not loss.)
    if (!advanced && seg.ack == t.snd_una && seg.payload.empty() && !seg.has(flag::syn) &&
        !seg.has(flag::fin) && t.snd_max > t.snd_una && t.snd_wnd == old_wnd && t.snd_wnd > 0 && !t.probing) {
        const std::uint32_t flight = static_cast<std::uint32_t>(t.snd_max - t.snd_una);
        switch (t.cc.on_duplicate_ack(t.snd_una, t.snd_max, flight)) {
        case DupAckAction::None:
            break;
        case DupAckAction::LimitedTransmit: // RFC 3042: one new segment per duplicate ACK, at most two
            t.limited_transmit = std::min(t.limited_transmit + smss(t), 2 * smss(t));
            break;
        case DupAckAction::FastRetransmit: // RFC 5681 3.2 / RFC 6582
            t.limited_transmit = 0;
            retransmit_first(stack, t);
            break;
        }
    }
    return Step::Continue;
}

Step ack_syn_received(Stack& stack, Tcb& t, const Segment& seg) {
    // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and continue processing with the
    // variables below set to: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. If the segment
    // acknowledgment is not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST> and send it."
    if (!(t.snd_una < seg.ack && seg.ack <= t.snd_max)) {
        count(stack, Drop::BadAck);
        send_reset(stack, seg, seg.ack, SeqNum{}, false);
        return Step::Done;
    }
    if (t.passive) {
        Tcb* listener = parent_of(stack, t);
        if (listener == nullptr) { // the listener went away meanwhile
            count(stack, Drop::NoSocket);
            send_reset(stack, seg, seg.ack, SeqNum{}, false);
            reset_tcb(t);
            return Step::Done;
        }
        if (accept_queue_length(stack, *listener) >= listener->backlog) {
            count(stack, Drop::QueueFull); // stay half-open: the peer's retransmission completes it later
            return Step::Done;
        }
    }
    sample_from_ack(stack, t, seg);
    t.snd_una = t.iss + 1; // the SYN is acknowledged
    t.snd_wnd = segment_window(t, seg);
    t.snd_wl1 = seg.seq;
    t.snd_wl2 = seg.ack;
    t.max_snd_wnd = std::max(t.max_snd_wnd, t.snd_wnd);
    become_established(stack, t);
    return ack_established(stack, t, seg);
}

Step ack_fin_wait_1(Stack& stack, Tcb& t, const Segment& seg) {
    // "In addition to the processing for the ESTABLISHED state, if the FIN segment is now acknowledged,
    // then enter FIN-WAIT-2 and continue processing in that state."
    if (ack_established(stack, t, seg) == Step::Done) return Step::Done;
    if (fin_acked(t)) {
        set_state(t, TcpState::FinWait2);
        t.rto_deadline = 0;
        if (t.app_closed && t.state_deadline == 0) t.state_deadline = now(stack) + fin_wait2_timeout_ms;
    }
    return Step::Continue;
}

Step ack_closing(Stack& stack, Tcb& t, const Segment& seg) {
    // "...if the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise, ignore the segment."
    // (The later steps ignore what else it carries and count text as dropped: a FIN came already.)
    if (ack_established(stack, t, seg) == Step::Done) return Step::Done;
    if (fin_acked(t)) enter_time_wait(stack, t);
    return Step::Continue;
}

Step ack_last_ack(Stack& stack, Tcb& t, const Segment& seg) {
    // "The only thing that can arrive in this state is an acknowledgment of our FIN. If our FIN is now
    // acknowledged, delete the TCB, enter the CLOSED state, and return."
    if (ack_established(stack, t, seg) == Step::Done) return Step::Done;
    if (fin_acked(t)) {
        enter_closed(stack, t, SocketError::Ok);
        return Step::Done;
    }
    return Step::Continue;
}

Step ack_time_wait(Stack& stack, Tcb& t, const Segment& seg) {
    // "The only thing that can arrive in this state is a retransmission of the remote FIN": the eighth
    // step acknowledges it and restarts the 2 MSL timeout. An ACK of something never sent, or too old, is
    // answered as in every synchronized state (RFC 9293 "SEG.ACK > SND.NXT"; RFC 5961 5.2).
    if (seg.ack > t.snd_max) {
        count(stack, Drop::BadAck);
        t.ack_now = true;
        return Step::Done;
    }
    if (seg.ack < t.snd_una - t.max_snd_wnd) {
        challenge_ack(stack, t);
        return Step::Done;
    }
    return Step::Continue;
}

using AckStep = Step (*)(Stack&, Tcb&, const Segment&);

// fifth: check the ACK field, per state (indexed by TcpState; the first three states never get here).
constexpr AckStep ack_step[] = {
    nullptr,          // CLOSED       (3.10.7.1)
    nullptr,          // LISTEN       (3.10.7.2)
    nullptr,          // SYN-SENT     (3.10.7.3)
    ack_syn_received, // SYN-RECEIVED
    ack_established,  // ESTABLISHED
    ack_fin_wait_1,   // FIN-WAIT-1
    ack_established,  // FIN-WAIT-2   "in addition ... if the retransmission queue is empty, the user's CLOSE
                      //               can be acknowledged" (nothing to do: close() returned already)
    ack_established,  // CLOSE-WAIT   "Do the same processing as for the ESTABLISHED state."
    ack_closing,      // CLOSING
    ack_last_ack,     // LAST-ACK
    ack_time_wait,    // TIME-WAIT
};
static_assert(sizeof(ack_step) / sizeof(ack_step[0]) == static_cast<std::size_t>(TcpState::TimeWait) + 1);

Step check_ack(Stack& stack, Tcb& t, const Segment& seg) {
    // "if the ACK bit is off, drop the segment and return"
    if (!seg.has(flag::ack)) {
        count(stack, Drop::BadFlags);
        return Step::Done;
    }
    AckStep step = ack_step[static_cast<std::size_t>(t.state)];
    return step != nullptr ? step(stack, t, seg) : Step::Done;
}

// RFC 9293 3.6.1 (MAY-2) / RFC 6191: a SYN may reopen a connection in TIME-WAIT if it is clearly new
// (a larger timestamp, else a sequence number beyond RCV.NXT). Only for a TCB nobody holds any more.
bool time_wait_reopens(const Tcb& t, const Segment& seg) {
    if (t.state != TcpState::TimeWait || t.app_owned || !seg.has(flag::syn) || seg.has(flag::ack) ||
        seg.has(flag::rst))
        return false;
    if (t.ts_ok && seg.options.has_timestamp)
        return static_cast<std::int32_t>(seg.options.ts_val - t.ts_recent) > 0;
    return seg.seq > t.rcv_nxt;
}

// ---- 3.10.7.4 every synchronized state (and SYN-RECEIVED) ----

void segment_synchronized(Stack& stack, Tcb& t, Segment& seg, SeqNum urgent_end) {
    // SYN-RECEIVED: a retransmission of the SYN that opened the connection means our SYN,ACK was lost:
    // send it again (rather than the bare ACK the first step would give).
    if (t.state == TcpState::SynReceived && seg.has(flag::syn) && !seg.has(flag::ack) &&
        !seg.has(flag::rst) && seg.seq == t.irs) {
        send_syn(stack, t);
        return;
    }
    // Simultaneous open (RFC 9293 figure 8, line 6): the peer's SYN,ACK answers our SYN while we are in
    // SYN-RECEIVED. Its SYN repeats the one we hold (SEG.SEQ + 1 = RCV.NXT): taken off as a duplicate, the
    // ACK completes the handshake (as in BSD's trimming; Linux makes the same exception to RFC 5961 4.2).
    if (t.state == TcpState::SynReceived && !t.passive && seg.has(flag::syn) && seg.has(flag::ack) &&
        !seg.has(flag::rst) && seg.seq + 1 == t.rcv_nxt && seg.ack == t.snd_max) {
        seg.seq += 1;
        seg.flags = static_cast<std::uint8_t>(seg.flags & ~flag::syn);
        seg.syn_window = true; // still the window of a SYN,ACK: not scaled (RFC 7323 2.2)
        t.ack_now = true;      // figure 8 line 7: <SEQ=101><ACK=301><CTL=ACK>
    }
    if (check_sequence(stack, t, seg) == Step::Done) return; // first
    if (check_rst(stack, t, seg) == Step::Done) return;      // second
    // third: check security and compartment: not applicable (no IP security option is used, MUST-... n/a)
    if (check_syn(stack, t, seg) == Step::Done) return; // fourth
    if (check_ack(stack, t, seg) == Step::Done) return; // fifth
    process_tail(stack, t, seg, urgent_end);            // sixth, seventh, eighth
}

Tcb* find_listener(Stack& stack, const Address& local, std::uint16_t port) {
    Tcb* wildcard = nullptr;
    for (Tcb& t : state(stack).tcbs) {
        if (!t.in_use || t.state != TcpState::Listen || t.local_port != port) continue;
        if (t.local == local) return &t;
        // 0.0.0.0 serves IPv4 only, "::" both families.
        if (t.local.is_unspecified() && (t.local.is_v6() || !local.is_v6()) && wildcard == nullptr)
            wildcard = &t;
    }
    return wildcard;
}

} // namespace

// ---- state changes used across the module ----

namespace detail {

void set_state(Tcb& tcb, TcpState s) {
    tcb.state = s;
}

void enter_time_wait(Stack& stack, Tcb& t) {
    set_state(t, TcpState::TimeWait);
    t.rto_deadline = 0;
    t.persist_deadline = 0;
    t.keepalive_deadline = 0;
    t.delack_deadline = 0;
    t.linger_deadline = 0;
    t.probing = false;
    t.state_deadline = now(stack) + time_wait_ms;
    if (t.app_closed && !t.closed_reported) {
        t.closed_reported = true;
        raise(stack, t, event_bit::closed);
    }
}

void enter_closed(Stack& stack, Tcb& t, SocketError error) {
    (void)stack;
    set_state(t, TcpState::Closed);
    stop_timers(t);
    t.scoreboard.clear();
    t.sack_recovery = false;
    t.probing = false;
    t.in_accept_queue = false;
    if (t.app_owned) {
        if (error != SocketError::Ok) {
            // "All segment queues should be flushed" (reset, timeout): nothing more to read or send.
            t.error = error;
            discard_readable(t);
            t.send.len = 0;
            raise(stack, t, event_bit::error, error);
        }
        return;
    }
    if (t.app_closed && !t.closed_reported) {
        t.closed_reported = true;
        raise(stack, t, event_bit::closed);
        t.free_after_events = true;
        return;
    }
    reset_tcb(t); // nobody holds it (half-open, queued for accept, or closed and reported)
}

void take_syn_options(Stack& stack, Tcb& t, const Segment& seg, bool we_offered) {
    const wire::tcp::Options& o = seg.options;
    // RFC 9293 3.7.1 / RFC 6691: 536 when the SYN carries no MSS option.
    t.peer_mss = o.has_mss ? std::max(o.mss, min_peer_mss) : net::default_peer_mss(t.remote);
    // RFC 7323 1.3 / 2.2: window scaling only when both SYNs carry the option; a shift over 14 is taken
    // as 14.
    t.ws_ok = o.has_window_scale;
    if (t.ws_ok) {
        t.snd_wscale = std::min(o.window_scale, max_window_shift);
        if (!we_offered) t.rcv_wscale = window_shift_for(recv_capacity(t));
    } else {
        t.snd_wscale = 0;
        t.rcv_wscale = 0;
    }
    // RFC 7323 3.2: timestamps when both SYNs carry them; TS.Recent from the SYN.
    t.ts_ok = o.has_timestamp;
    if (t.ts_ok) {
        t.ts_recent = o.ts_val;
        t.ts_recent_time = now(stack);
    }
    t.sack_ok = o.sack_permitted; // RFC 2018 2
    if (!we_offered) t.announced_mss = our_mss(t);
    t.rcv_mss = std::min<std::uint32_t>(t.announced_mss, net::default_peer_mss(t.remote));
}

void choose_iss(Stack& stack, Tcb& t) {
    State& s = state(stack);
    if (!s.isn_secret_ready) {
        platform(stack).random_bytes(MutBytes{s.isn_secret.data(), s.isn_secret.size()});
        s.isn_secret_ready = true;
    }
    const AddressBytes local = net::bytes_of(t.local);
    const AddressBytes remote = net::bytes_of(t.remote);
    t.iss = generate_isn(s.isn_secret, local.view(), t.local_port, remote.view(), t.remote_port, now(stack));
    t.snd_una = t.iss;
    t.snd_nxt = t.iss + 1;
    t.snd_max = t.iss; // the SYN is "sent" by after_send
    t.send.first_seq = t.iss + 1;
    t.send.head = 0;
    t.send.len = 0;
    t.high_rxt = t.iss;
    t.ts_offset = platform(stack).random_u32(); // RFC 7323 5.4: a random offset per connection
}

} // namespace detail

// ---- the input hook ----

void input(Stack& stack, PacketBuf&& packet, const RxMeta& meta) {
    State& s = state(stack);
    ++s.counters.rx;
    // RFC 1122 4.2.3.10: a segment to a broadcast or multicast address (or from an address no connection
    // can have) is silently discarded.
    if (net::to_group_address(meta) || net::bad_source(stack, meta)) return count(stack, Drop::BadAddress);
    Drop why = Drop::Truncated;
    auto view = wire::tcp::View::parse(packet.bytes(), &why);
    if (!view) return count(stack, why);
    Segment seg;
    seg.src = net::source_of(meta);
    seg.dst = net::destination_of(meta);
    if constexpr (!config::skip_checksum_verify) {
        const auto sum =
            net::pseudo_header_sum(seg.src, seg.dst, static_cast<std::uint16_t>(view->bytes().size()));
        if (!view->checksum_valid(sum)) return count(stack, Drop::BadChecksum);
    }
    if (!wire::tcp::parse_options(view->options(), seg.options)) return count(stack, Drop::BadOption);
    seg.src_port = view->source_port();
    seg.dst_port = view->destination_port();
    seg.seq = SeqNum{view->seq()};
    seg.ack = SeqNum{view->ack()};
    seg.flags = view->flags();
    seg.window = view->window();
    seg.urgent = view->urgent_pointer();
    seg.payload = view->payload();
    // RFC 6093: the urgent pointer is the offset of the byte after the urgent data (absolute, so trimming
    // does not move it).
    const SeqNum urgent_end = seg.seq + seg.urgent;

    Tcb* t = find_connection(stack, seg.dst, seg.dst_port, seg.src, seg.src_port);
    if (t != nullptr && time_wait_reopens(*t, seg)) {
        reset_tcb(*t); // RFC 6191: the TIME-WAIT connection gives way to the new one
        t = nullptr;
    }
    if (t == nullptr) t = find_listener(stack, seg.dst, seg.dst_port);
    if (t == nullptr) {
        segment_closed(stack, seg);
    } else {
        const std::uint16_t generation = t->generation;
        switch (t->state) {
        case TcpState::Closed:
            segment_closed(stack, seg);
            break;
        case TcpState::Listen:
            segment_listen(stack, *t, seg);
            break;
        case TcpState::SynSent:
            segment_syn_sent(stack, *t, seg, urgent_end);
            break;
        default:
            segment_synchronized(stack, *t, seg, urgent_end);
            break;
        }
        // What the segment calls for (an ACK, data the ACK let go, a window update) is sent once, after
        // the whole segment was processed.
        if (t->in_use && t->generation == generation && t->state != TcpState::Listen) output(stack, *t);
    }
    deliver_events(stack);
}

const char* state_name(TcpState s) {
    switch (s) {
    case TcpState::Closed:
        return "CLOSED";
    case TcpState::Listen:
        return "LISTEN";
    case TcpState::SynSent:
        return "SYN-SENT";
    case TcpState::SynReceived:
        return "SYN-RECEIVED";
    case TcpState::Established:
        return "ESTABLISHED";
    case TcpState::FinWait1:
        return "FIN-WAIT-1";
    case TcpState::FinWait2:
        return "FIN-WAIT-2";
    case TcpState::CloseWait:
        return "CLOSE-WAIT";
    case TcpState::Closing:
        return "CLOSING";
    case TcpState::LastAck:
        return "LAST-ACK";
    case TcpState::TimeWait:
        return "TIME-WAIT";
    }
    return "?";
}

} // namespace pico::tcp
