// The send side of a connection (see tx.hpp).
#include "transport/tcp/tx.hpp"
#include "transport/tcp/rx.hpp"
#include <algorithm>

namespace pico::tcp::detail {

namespace flag = wire::tcp::flag;

namespace {

constexpr std::uint32_t ring_size = static_cast<std::uint32_t>(config::tcp_send_buffer);

// a - b when a is after b, else 0.
std::uint32_t after(SeqNum a, SeqNum b) {
    return a > b ? static_cast<std::uint32_t>(a - b) : 0;
}

bool sends_data(TcpState s) {
    return s == TcpState::Established || s == TcpState::CloseWait || s == TcpState::FinWait1 ||
           s == TcpState::Closing || s == TcpState::LastAck;
}

void ring_read(const Tcb& tcb, std::uint32_t offset, std::uint8_t* out, std::uint32_t n) {
    const std::uint32_t at = (tcb.send.head + offset) % ring_size;
    const std::uint32_t first = std::min(n, ring_size - at);
    copy_bytes(out, tcb.send.bytes.data() + at, first);
    if (first < n) copy_bytes(out + first, tcb.send.bytes.data(), n - first);
}

// Bookkeeping after a segment occupying sequence space left: SND.MAX, Karn's rule and RTT timing (RFC 6298
// section 3), the retransmission timer (RFC 6298 5.1).
void after_send(Stack& stack, Tcb& tcb, SeqNum seq, std::uint32_t len, std::uint8_t flags) {
    const std::uint32_t seq_len = len + ((flags & flag::syn) ? 1u : 0u) + ((flags & flag::fin) ? 1u : 0u);
    if (seq_len == 0) return;
    const SeqNum end = seq + seq_len;
    if (seq < tcb.snd_max) {
        ++tcb.retransmissions;
        tcb.rtt_timing = false; // Karn: no sample from a retransmitted segment
    } else if (!tcb.rtt_timing && !tcb.ts_ok) {
        tcb.rtt_timing = true;
        tcb.rtt_seq = seq;
        tcb.rtt_start = now(stack);
    }
    if (end > tcb.snd_max) tcb.snd_max = end;
    if (tcb.rto_deadline == 0 && !tcb.probing) arm_rto(stack, tcb);
    if (len > 0) tcb.last_send_time = now(stack);
}

struct Plan {
    bool valid = false;
    SeqNum seq{};
    std::uint32_t len = 0;
    std::uint8_t flags = 0;
    bool at_snd_nxt = false; // new data (or go-back-N) from SND.NXT: SND.NXT moves
    bool rescue = false;     // RFC 6675 NextSeg rule (4): RescueRxt moves, HighRxt does not
};

// The next segment from SND.NXT: RFC 9293 3.7.4 (Nagle) and 3.8.6.2.1 (sender SWS avoidance), within the
// peer's window and (unless ignore_cwnd) the congestion window plus limited transmit (RFC 3042).
Plan plan_from_snd_nxt(const Tcb& tcb, bool force, bool ignore_cwnd, bool& held) {
    const SeqNum end = data_end(tcb);
    const std::uint32_t avail = after(end, tcb.snd_nxt);
    const bool fin_pending = tcb.fin_queued && tcb.snd_nxt <= end;
    if (avail == 0 && !fin_pending) return {};
    const std::uint32_t usable_wnd = after(tcb.snd_una + tcb.snd_wnd, tcb.snd_nxt);
    std::uint32_t flight = after(tcb.snd_nxt, tcb.snd_una);
    // Go-back-N after a timeout (SND.NXT below SND.MAX, RFC 6298 5.4) steps over what the receiver SACKed
    // since (RFC 6675 5.1, output()): those octets have left the network and are not in flight.
    if (tcb.sack_ok && tcb.snd_nxt < tcb.snd_max)
        flight -= tcb.scoreboard.sacked_between(tcb.snd_una, tcb.snd_nxt);
    std::uint32_t usable = usable_wnd;
    if (!ignore_cwnd) {
        const std::uint32_t cwnd = tcb.cc.cwnd() + tcb.limited_transmit;
        usable = std::min(usable, cwnd > flight ? cwnd - flight : 0u);
    }
    const std::uint32_t limit = payload_limit(tcb);
    const std::uint32_t len = std::min({avail, usable, limit});
    const bool all = len == avail;
    Plan p;
    p.seq = tcb.snd_nxt;
    p.len = len;
    p.flags = flag::ack;
    if (len > 0 && all) p.flags |= flag::psh;
    if (fin_pending && all) p.flags |= flag::fin; // a FIN needs no window: it carries no data
    if (len == 0 && (p.flags & flag::fin) == 0) {
        held = avail > 0;
        return {};
    }
    const bool retransmission = tcb.snd_nxt < tcb.snd_max;
    if (len > 0 && !retransmission && len < limit && !force) {
        // Nagle: a short segment only when nothing is in flight (or NoDelay, or urgent data waits).
        const bool urgent = tcb.snd_urgent && tcb.snd_up > tcb.snd_nxt;
        const bool nagle_ok = flight == 0 || tcb.nodelay || urgent;
        // Sender SWS: all the queued data, or at least half the largest window the peer offered.
        const bool sws_ok = all || len >= tcb.max_snd_wnd / 2;
        if (!nagle_ok || !sws_ok) {
            held = true;
            return {};
        }
    }
    p.valid = true;
    p.at_snd_nxt = true;
    return p;
}

// A retransmission from `from` up to the next SACKed range (at most one segment).
Plan plan_retransmission(const Tcb& tcb, SeqNum from) {
    SeqNum stop = tcb.snd_max;
    if (auto sacked = tcb.scoreboard.next_sacked_after(from)) stop = seq_min(stop, *sacked);
    const SeqNum end = data_end(tcb);
    const std::uint32_t len = std::min(after(seq_min(stop, end), from), payload_limit(tcb));
    Plan p;
    p.seq = from;
    p.len = len;
    p.flags = flag::ack;
    if (fin_sent(tcb) && from + len == fin_seq(tcb) && stop > fin_seq(tcb)) p.flags |= flag::fin;
    p.valid = len > 0 || (p.flags & flag::fin) != 0;
    return p;
}

enum class RecoveryStep : std::uint8_t { Send, Stop };

// RFC 6675 section 5 step (C): while cwnd - pipe >= 1 SMSS, NextSeg() (section 4) chooses the segment:
//   (1) a lost (IsLost), un-SACKed segment at or above HighRxt, below the highest SACKed byte;
//   (2) else new data, if there is any and the receive window allows;
//   (3) else an un-SACKed segment at or above HighRxt below the highest SACKed byte (not yet deemed lost);
//   (4) else, once per recovery (HighACK > RescueRxt), a rescue retransmission of one segment that includes
//       the highest outstanding un-SACKed sequence number;
//   (5) else nothing.
// cwnd is the value set on entering recovery (step 4.2: ssthresh = cwnd = FlightSize / 2); pipe is
// recomputed from the scoreboard for each segment (SetPipe), which counts what (C.2)-(C.4) add.
RecoveryStep plan_recovery(const Tcb& tcb, Plan& plan, bool& held) {
    const std::uint32_t mss = smss(tcb);
    const std::uint32_t cwnd = std::max(tcb.cc.cwnd(), mss);
    const std::uint32_t pipe = tcb.scoreboard.pipe(tcb.snd_una, tcb.snd_max, tcb.high_rxt, mss);
    if (pipe >= cwnd || cwnd - pipe < mss) return RecoveryStep::Stop;
    if (auto lost = tcb.scoreboard.next_lost(tcb.snd_una, tcb.snd_max, tcb.high_rxt, mss)) { // (1)
        plan = plan_retransmission(tcb, *lost);
        if (plan.valid) return RecoveryStep::Send;
    }
    plan = plan_from_snd_nxt(tcb, false, true, held); // (2)
    if (plan.valid) return RecoveryStep::Send;
    if (auto s3 = tcb.scoreboard.next_unsacked(tcb.snd_una, tcb.snd_max, tcb.high_rxt)) { // (3)
        plan = plan_retransmission(tcb, *s3);
        if (plan.valid) return RecoveryStep::Send;
    }
    if (tcb.snd_una > tcb.scoreboard.rescue_rxt()) { // (4) HighACK > RescueRxt
        if (auto from = tcb.scoreboard.rescue_start(tcb.snd_una, tcb.snd_max, payload_limit(tcb))) {
            plan = plan_retransmission(tcb, *from);
            plan.rescue = true;
            if (plan.valid) return RecoveryStep::Send;
        }
    }
    return RecoveryStep::Stop; // (5)
}

void update_persist(Stack& stack, Tcb& tcb, bool held) {
    if (tcb.probing) return; // the persist timer owns the connection until the window opens
    const bool waiting = after(data_end(tcb), tcb.snd_nxt) > 0;
    if (held && waiting && tcb.snd_max == tcb.snd_una) {
        if (tcb.persist_deadline == 0) {
            const bool zero = after(tcb.snd_una + tcb.snd_wnd, tcb.snd_nxt) == 0;
            tcb.persist_deadline = now(stack) + persist_interval(tcb, zero);
        }
    } else if (!held) {
        tcb.persist_deadline = 0;
        tcb.persist_backoff = 0;
    }
}

} // namespace

TimeMs persist_interval(const Tcb& tcb, bool zero_window) {
    if (!zero_window) return sws_override_ms;
    const std::uint64_t t = std::uint64_t{std::max(tcb.rto_ms, min_rto_ms)}
                            << std::min<std::uint8_t>(tcb.persist_backoff, 8);
    return std::min<std::uint64_t>(t, max_rto_ms);
}

// ---- the send ring ----

std::uint32_t send_capacity(const Tcb& tcb) {
    return std::min<std::uint32_t>(tcb.send_buffer, ring_size);
}

std::uint32_t send_space(const Tcb& tcb) {
    const std::uint32_t cap = send_capacity(tcb);
    return cap > tcb.send.len ? cap - tcb.send.len : 0;
}

std::size_t queue_data(Tcb& tcb, Bytes data) {
    const std::uint32_t n = std::min<std::uint32_t>(static_cast<std::uint32_t>(data.size()), send_space(tcb));
    if (n == 0) return 0;
    const std::uint32_t at = (tcb.send.head + tcb.send.len) % ring_size;
    const std::uint32_t first = std::min(n, ring_size - at);
    copy_bytes(tcb.send.bytes.data() + at, data.data(), first);
    if (first < n) copy_bytes(tcb.send.bytes.data(), data.data() + first, n - first);
    tcb.send.dirty = std::max(tcb.send.dirty, first < n ? ring_size : at + first);
    tcb.send.len += n;
    return n;
}

SeqNum data_end(const Tcb& tcb) {
    return tcb.send.first_seq + tcb.send.len;
}
SeqNum fin_seq(const Tcb& tcb) {
    return data_end(tcb);
}
bool fin_sent(const Tcb& tcb) {
    return tcb.fin_queued && tcb.snd_max > fin_seq(tcb);
}
bool fin_acked(const Tcb& tcb) {
    return tcb.fin_queued && tcb.snd_una > fin_seq(tcb);
}

void acknowledge_data(Tcb& tcb, SeqNum ack) {
    if (ack <= tcb.send.first_seq) return;
    const std::uint32_t n =
        std::min<std::uint32_t>(static_cast<std::uint32_t>(ack - tcb.send.first_seq), tcb.send.len);
    tcb.send.head = (tcb.send.head + n) % ring_size;
    tcb.send.len -= n;
    tcb.send.first_seq += n;
}

// ---- segment sizes (RFC 9293 3.7.1, RFC 6691) ----

std::uint16_t our_mss(const Tcb& tcb) {
    std::uint16_t mss = tcb.path_mss;
    if (tcb.max_segment != 0 && tcb.max_segment < mss) mss = tcb.max_segment;
    return mss;
}

std::uint32_t send_mss(const Tcb& tcb) {
    std::uint32_t mss = std::min(tcb.peer_mss, tcb.path_mss);
    if (tcb.max_segment != 0) mss = std::min<std::uint32_t>(mss, tcb.max_segment);
    return mss;
}

std::uint32_t smss(const Tcb& tcb) {
    const std::uint32_t mss = send_mss(tcb);
    const std::uint32_t options = tcb.ts_ok ? timestamp_option_len : 0;
    return mss > options ? mss - options : 1;
}

std::uint32_t payload_limit(const Tcb& tcb) {
    wire::tcp::Repr r;
    r.options.has_timestamp = tcb.ts_ok;
    if (tcb.sack_ok) fill_sack_blocks(tcb, r.options);
    const std::uint32_t options = static_cast<std::uint32_t>(r.options_len());
    const std::uint32_t mss = send_mss(tcb);
    return mss > options ? mss - options : 1;
}

// ---- sending ----

SendResult transmit(Stack& stack, Tcb& tcb, SeqNum seq, std::uint32_t& len, std::uint8_t flags) {
    State& s = state(stack);
    const bool syn = (flags & flag::syn) != 0;
    const bool rst = (flags & flag::rst) != 0;
    wire::tcp::Repr r;
    r.source_port = tcb.local_port;
    r.destination_port = tcb.remote_port;
    r.seq = seq.raw();
    if (flags & flag::ack) r.ack = tcb.rcv_nxt.raw();
    if (!rst) {
        if (!syn) refresh_window(tcb);
        r.window = window_field(tcb, syn);
    }
    if (syn) {
        // RFC 9293 3.7.1 (MSS), RFC 7323 1.3 (WS and TS offered in a SYN, answered in a SYN-ACK only if
        // offered), RFC 2018 2 (SACK-permitted likewise).
        const bool offer = tcb.state == TcpState::SynSent;
        r.options.has_mss = true;
        r.options.mss = tcb.announced_mss;
        if (offer || tcb.ws_ok) {
            r.options.has_window_scale = true;
            r.options.window_scale = tcb.rcv_wscale;
        }
        r.options.sack_permitted = offer || tcb.sack_ok;
        if (offer || tcb.ts_ok) {
            r.options.has_timestamp = true;
            r.options.ts_val = ts_now(stack, tcb);
            r.options.ts_ecr = (flags & flag::ack) ? tcb.ts_recent : 0;
        }
    } else {
        // RFC 7323 3.2: once negotiated, TSopt goes in every segment, a RST included ("SHOULD be sent in an
        // <RST> segment"); TSecr echoes TS.Recent when the ACK bit is set, else it is zero.
        if (tcb.ts_ok) {
            r.options.has_timestamp = true;
            r.options.ts_val = ts_now(stack, tcb);
            r.options.ts_ecr = (flags & flag::ack) ? tcb.ts_recent : 0;
        }
    }
    if (!syn && !rst) {
        if (tcb.sack_ok && (flags & flag::ack)) fill_sack_blocks(tcb, r.options);
        // RFC 9293 3.8.5 / RFC 6093: the urgent pointer is the offset of the byte after the urgent data.
        if (tcb.snd_urgent && tcb.snd_up > seq) {
            flags |= flag::urg;
            r.urgent_pointer = static_cast<std::uint16_t>(std::min<std::uint32_t>(tcb.snd_up - seq, 0xffff));
        }
    }
    const std::uint32_t options = static_cast<std::uint32_t>(r.options_len());
    const std::uint32_t mss = send_mss(tcb);
    const std::uint32_t limit = syn ? 0 : (mss > options ? mss - options : 1);
    if (len > limit) {
        len = limit;
        flags = static_cast<std::uint8_t>(flags & ~flag::fin);
    }
    r.flags = flags;

    const std::size_t header_len = r.header_len();
    const std::size_t total = header_len + len;
    auto frame = frames(stack).allocate(config::frame_headroom);
    if (!frame) {
        s.counters.count_drop(Drop::PoolExhausted);
        return SendResult::NoBuffer;
    }
    std::uint8_t* p = frame->append(total);
    if (p == nullptr) {
        s.counters.count_drop(Drop::TooBig);
        return SendResult::Failed;
    }
    r.emit(MutBytes{p, header_len});
    if (len > 0) ring_read(tcb, static_cast<std::uint32_t>(seq - tcb.send.first_seq), p + header_len, len);
    wire::tcp::fill_checksum(
        MutBytes{p, total}, net::pseudo_header_sum(tcb.local, tcb.remote, static_cast<std::uint16_t>(total)));
    if (!net::send(stack, tcb.local, tcb.remote, net::SendOptions{tcb.ttl, tcb.tos}, std::move(*frame)))
        return SendResult::Failed;
    ++s.counters.tx;
    if (flags & flag::ack) {
        tcb.last_ack_sent = tcb.rcv_nxt;
        tcb.delack_deadline = 0;
        tcb.ack_now = false;
    }
    return SendResult::Sent;
}

SendResult send_syn(Stack& stack, Tcb& tcb) {
    const std::uint8_t flags =
        tcb.state == TcpState::SynReceived ? std::uint8_t{flag::syn | flag::ack} : std::uint8_t{flag::syn};
    std::uint32_t len = 0;
    SendResult result = transmit(stack, tcb, tcb.iss, len, flags);
    if (result == SendResult::Sent)
        after_send(stack, tcb, tcb.iss, 0, flags);
    else if (result == SendResult::NoBuffer)
        tcb.output_retry = true;
    return result;
}

SendResult send_ack(Stack& stack, Tcb& tcb) {
    // SND.NXT in the RFC's sense is the next new byte: while retransmissions have pulled snd_nxt back
    // (go-back-N after a timeout), a bare ACK carries SND.MAX, else the peer, which has seen up to there,
    // would find it below RCV.NXT, unacceptable, and drop its acknowledgment (as BSD's tcp_output does).
    std::uint32_t len = 0;
    SendResult result = transmit(stack, tcb, tcb.snd_max, len, flag::ack);
    if (result == SendResult::NoBuffer) tcb.output_retry = true;
    return result;
}

void challenge_ack(Stack& stack, Tcb& tcb) {
    State& s = state(stack);
    const TimeMs t = now(stack);
    if (t < s.challenge_window_start || t - s.challenge_window_start >= challenge_ack_window_ms) {
        s.challenge_window_start = t;
        s.challenge_acks_in_window = 0;
    }
    if (s.challenge_acks_in_window >= challenge_ack_limit) {
        s.counters.count_drop(Drop::RateLimited);
        return;
    }
    ++s.challenge_acks_in_window;
    tcb.ack_now = true; // sent when the segment's processing ends (one ACK however many reasons)
    s.counters.count_drop(Drop::ChallengeAck);
}

void send_rst(Stack& stack, Tcb& tcb) {
    std::uint32_t len = 0;
    transmit(stack, tcb, tcb.snd_max, len, flag::rst);
}

void send_reset(Stack& stack, const Segment& answered, SeqNum seq, SeqNum ack, bool with_ack) {
    State& s = state(stack);
    wire::tcp::Repr r;
    r.source_port = answered.dst_port;
    r.destination_port = answered.src_port;
    r.seq = seq.raw();
    r.ack = with_ack ? ack.raw() : 0;
    r.flags = with_ack ? std::uint8_t{flag::rst | flag::ack} : std::uint8_t{flag::rst};
    const std::size_t len = r.header_len();
    auto frame = frames(stack).allocate(config::frame_headroom);
    if (!frame) {
        s.counters.count_drop(Drop::PoolExhausted);
        return;
    }
    std::uint8_t* p = frame->append(len);
    if (p == nullptr) return;
    r.emit(MutBytes{p, len});
    wire::tcp::fill_checksum(MutBytes{p, len}, net::pseudo_header_sum(answered.dst, answered.src,
                                                                      static_cast<std::uint16_t>(len)));
    if (net::send(stack, answered.dst, answered.src, net::SendOptions{}, std::move(*frame))) ++s.counters.tx;
}

void reset_for_segment(Stack& stack, const Segment& seg) {
    if (seg.has(flag::rst)) return; // never a RST in answer to a RST
    if (seg.has(flag::ack))
        send_reset(stack, seg, seg.ack, SeqNum{}, false); // <SEQ=SEG.ACK><CTL=RST>
    else
        send_reset(stack, seg, SeqNum{0}, seg.seq + seg.len(),
                   true); // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
}

SendResult retransmit_first(Stack& stack, Tcb& tcb) {
    if (!sends_data(tcb.state) || tcb.snd_una == tcb.snd_max) return SendResult::Failed;
    Plan p = plan_retransmission(tcb, tcb.snd_una);
    if (!p.valid) return SendResult::Failed;
    std::uint32_t len = p.len;
    SendResult result = transmit(stack, tcb, p.seq, len, p.flags);
    if (result == SendResult::Sent) {
        after_send(stack, tcb, p.seq, len, p.flags);
        const SeqNum end = p.seq + len + ((p.flags & flag::fin) ? 1u : 0u);
        tcb.high_rxt = seq_max(tcb.high_rxt, end);
    } else if (result == SendResult::NoBuffer) {
        tcb.output_retry = true;
    }
    return result;
}

SendResult send_window_probe(Stack& stack, Tcb& tcb) {
    if (data_end(tcb) <= tcb.snd_una) return SendResult::Failed;
    std::uint32_t len = 1;
    SendResult result = transmit(stack, tcb, tcb.snd_una, len, flag::ack);
    if (result == SendResult::Sent) {
        after_send(stack, tcb, tcb.snd_una, len, flag::ack);
        if (tcb.snd_nxt < tcb.snd_una + 1) tcb.snd_nxt = tcb.snd_una + 1;
    } else if (result == SendResult::NoBuffer) {
        tcb.output_retry = true;
    }
    return result;
}

SendResult send_keepalive(Stack& stack, Tcb& tcb) {
    std::uint32_t len = 0;
    return transmit(stack, tcb, tcb.snd_una - 1, len, flag::ack);
}

void output(Stack& stack, Tcb& tcb, bool force) {
    if (tcb.state == TcpState::Closed || tcb.state == TcpState::Listen || tcb.state == TcpState::SynSent)
        return;
    if (!sends_data(tcb.state)) {
        if (tcb.ack_now) send_ack(stack, tcb);
        return;
    }
    // RFC 5681 4.1: after an idle period longer than the RTO, restart from the restart window.
    if (tcb.snd_max == tcb.snd_una && tcb.last_send_time != 0 && after(data_end(tcb), tcb.snd_nxt) > 0 &&
        now(stack) - tcb.last_send_time > tcb.rto_ms)
        tcb.cc.on_idle_restart();

    bool sent = false;
    bool held = false;
    for (std::size_t n = 0; n < max_segments_per_output; ++n) {
        Plan p;
        if (tcb.sack_recovery) {
            if (plan_recovery(tcb, p, held) == RecoveryStep::Stop) break;
        } else {
            // Go-back-N after a timeout (RFC 6298 5.4) uses the SACK information that arrived since (the
            // scoreboard was emptied at the timeout, RFC 2018 section 8): what the receiver SACKed is not
            // sent again (RFC 6675 5.1).
            if (tcb.sack_ok && tcb.snd_nxt < tcb.snd_max)
                tcb.snd_nxt = seq_min(tcb.scoreboard.first_unsacked(tcb.snd_nxt), tcb.snd_max);
            p = plan_from_snd_nxt(tcb, force, false, held);
            if (!p.valid) break;
        }
        std::uint32_t len = p.len;
        const SendResult result = transmit(stack, tcb, p.seq, len, p.flags);
        if (result == SendResult::NoBuffer) {
            tcb.output_retry = true;
            break;
        }
        if (result == SendResult::Failed) break;
        const std::uint8_t sent_flags = static_cast<std::uint8_t>(
            (len < p.len) ? (p.flags & ~flag::fin) : p.flags); // transmit drops FIN if it clamped
        const SeqNum end = p.seq + len + ((sent_flags & flag::fin) ? 1u : 0u);
        after_send(stack, tcb, p.seq, len, sent_flags);
        if (p.at_snd_nxt)
            tcb.snd_nxt = seq_max(tcb.snd_nxt, end);
        else if (p.rescue)
            tcb.scoreboard.set_rescue_rxt(tcb.cc.recover()); // RescueRxt = RecoveryPoint; HighRxt stays
        else
            tcb.high_rxt = seq_max(tcb.high_rxt, end); // (C.2)
        sent = true;
        force = false;
    }
    if (!sent && tcb.ack_now) send_ack(stack, tcb);
    update_persist(stack, tcb, held);
}

} // namespace pico::tcp::detail
