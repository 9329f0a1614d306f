// TCP timers (RFC 9293 3.10.8 timeouts), all kept as deadlines in the TCB and run from tick(), which
// Stack::poll calls: retransmission (RFC 6298: RTO estimation, Karn, exponential backoff, give-up),
// delayed ACK (RFC 9293 3.8.6.3), persist / zero-window probes (3.8.6.1) and the SWS override timer
// (3.8.6.2.1), keep-alive (3.8.4), TIME-WAIT (2 MSL), the orphaned FIN-WAIT-2 timeout and Linger.
// A TCB needs no slot of the stack's timer table, so the number of connections does not depend on it.
#include "transport/tcp/internal.hpp"
#include "transport/tcp/rx.hpp"
#include "transport/tcp/tx.hpp"
#include <algorithm>

namespace pico::tcp {

using namespace detail;

namespace detail {

std::uint32_t ts_now(Stack& stack, const Tcb& tcb) {
    return static_cast<std::uint32_t>(now(stack)) + tcb.ts_offset;
}

// RFC 6298 2.2 (first measurement) and 2.3 (later ones), with alpha = 1/8, beta = 1/4, K = 4, G = 1 ms;
// srtt is kept times 8 and rttvar times 4 so the arithmetic is exact in integers.
void rtt_sample(Tcb& t, std::uint32_t r) {
    r = std::min<std::uint32_t>(r, 2 * max_rto_ms);
    if (!t.has_rtt) {
        t.srtt_x8 = r * 8;   // SRTT <- R
        t.rttvar_x4 = r * 2; // RTTVAR <- R/2
        t.has_rtt = true;
    } else {
        const std::uint32_t srtt = t.srtt_x8 / 8;
        const std::uint32_t delta = srtt > r ? srtt - r : r - srtt;
        // RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|. 3/4 RTTVAR is rounded down: with a steady RTT the variance
        // then decays to zero (rounded up, 4 * RTTVAR would stick at 3 ms), so RTO reaches SRTT + G (rule 4).
        t.rttvar_x4 = (t.rttvar_x4 * 3) / 4 + delta;
        t.srtt_x8 = t.srtt_x8 - t.srtt_x8 / 8 + r; // SRTT <- 7/8 SRTT + 1/8 R'
    }
    // RTO <- SRTT + max(G, K*RTTVAR), rounded up to 1 s (2.4), at most 60 s (2.5).
    const std::uint32_t rto = t.srtt_x8 / 8 + std::max(clock_granularity_ms, t.rttvar_x4);
    t.rto_ms = std::clamp(rto, min_rto_ms, max_rto_ms);
}

void arm_rto(Stack& stack, Tcb& t) {
    t.rto_deadline = now(stack) + t.rto_ms;
}

void stop_timers(Tcb& t) {
    t.rto_deadline = 0;
    t.delack_deadline = 0;
    t.persist_deadline = 0;
    t.keepalive_deadline = 0;
    t.state_deadline = 0;
    t.linger_deadline = 0;
    t.probing = false;
    t.output_retry = false;
}

void arm_keepalive(Stack& stack, Tcb& t) {
    t.keep_probes = 0;
    if (!t.keepalive) {
        t.keepalive_deadline = 0;
        return;
    }
    const TimeMs from = t.last_rx_time != 0 ? t.last_rx_time : now(stack);
    t.keepalive_deadline = from + t.keep_idle_ms;
}

void note_segment_received(Stack& stack, Tcb& t) {
    t.last_rx_time = now(stack);
    t.keep_probes = 0;
    if (t.keepalive && t.keepalive_deadline != 0) t.keepalive_deadline = t.last_rx_time + t.keep_idle_ms;
}

} // namespace detail

namespace {

bool synchronized(TcpState s) {
    return s != TcpState::Closed && s != TcpState::Listen && s != TcpState::SynSent;
}

bool sends_data(TcpState s) {
    return s == TcpState::Established || s == TcpState::CloseWait || s == TcpState::FinWait1 ||
           s == TcpState::Closing || s == TcpState::LastAck;
}

SocketError give_up_error(const Tcb& t) {
    // RFC 1122 4.2.3.9: a soft error seen meanwhile explains the failure better than "timed out".
    return t.soft_error != SocketError::Ok ? t.soft_error : SocketError::TimedOut;
}

// RFC 9293 3.8.3 R2: another retransmission, or give up? By count (the default), or by the time the
// application set (MUST-21, MUST-22), measured from when the segment was first sent (one RTO before its
// first retransmission).
bool retransmit_again(Stack& stack, Tcb& t, std::uint8_t limit, std::int32_t give_up_ms) {
    if (t.retries == 0) t.first_sent_at = now(stack) - std::min<TimeMs>(t.rto_ms, now(stack));
    if (t.retries < 0xff) ++t.retries;
    if (t.retries == r1_retries) {
        net::negative_advice(stack, t.remote); // R1 (MUST-20, MUST-22)
        // SHLD-9: the application hears of the delivery problem (unless it turned Warnings off, SHLD-20).
        if (t.warnings && t.app_owned) raise(stack, t, event_bit::warning, give_up_error(t));
    }
    if (give_up_ms == 0) return t.retries <= limit;
    if (give_up_ms < 0) return true;
    return now(stack) - t.first_sent_at < static_cast<TimeMs>(give_up_ms);
}

// RFC 6298 5.4-5.7 and RFC 9293 3.8.3 (R2): the retransmission timer expired.
void on_rto(Stack& stack, Tcb& t) {
    if (t.state == TcpState::SynSent || t.state == TcpState::SynReceived) {
        if (!retransmit_again(stack, t, max_syn_retries, t.syn_give_up_ms)) {
            if (t.passive) return reset_tcb(t); // a half-open connection gives up silently
            return enter_closed(stack, t, give_up_error(t));
        }
        t.syn_retransmitted = true;
        t.rtt_timing = false;
        t.rto_ms = std::min(t.rto_ms * 2, max_rto_ms); // 5.5: back off the timer
        send_syn(stack, t);
        if (t.rto_deadline == 0) arm_rto(stack, t);
        return;
    }
    if (!sends_data(t.state) || t.snd_una == t.snd_max) return;
    if (t.snd_wnd == 0 && data_end(t) > t.snd_una) {
        // The peer closed its window: what is outstanding went beyond it. Probe instead (3.8.6.1), which
        // keeps the connection as long as the peer answers.
        t.probing = true;
        t.snd_nxt = t.snd_una;
        t.persist_deadline = now(stack) + persist_interval(t, true);
        return;
    }
    if (!retransmit_again(stack, t, max_retries, t.give_up_ms))
        return enter_closed(stack, t, give_up_error(t));
    const std::uint32_t flight = static_cast<std::uint32_t>(t.snd_max - t.snd_una);
    t.cc.on_timeout(flight, t.snd_max); // RFC 5681 3.1 eqn (4): ssthresh; cwnd = 1 SMSS
    t.scoreboard.clear();               // RFC 2018 8: SACKed data may be reneged; start afresh
    t.sack_recovery = false;
    t.limited_transmit = 0;
    t.high_rxt = t.snd_una;
    t.rto_ms = std::min(t.rto_ms * 2, max_rto_ms); // 5.5
    t.rtt_timing = false;
    t.snd_nxt = t.snd_una; // 5.4: retransmit the earliest unacknowledged segment (and go back from there)
    output(stack, t);
    if (t.rto_deadline == 0) arm_rto(stack, t); // 5.6
}

// RFC 9293 3.8.6.1: the persist timer; or the SWS override timer when the window is open but small.
void on_persist(Stack& stack, Tcb& t) {
    if (!sends_data(t.state)) return;
    const bool window_open = t.snd_una + t.snd_wnd > t.snd_nxt;
    if (!t.probing && window_open) return output(stack, t, true);
    if (data_end(t) <= t.snd_una) return;
    if (++t.persist_probes > max_persist_probes) return enter_closed(stack, t, give_up_error(t));
    t.probing = true;
    t.rto_deadline = 0;
    send_window_probe(stack, t);
    if (t.persist_backoff < 8) ++t.persist_backoff;
    t.persist_deadline = now(stack) + persist_interval(t, true);
}

// RFC 9293 3.8.4 / RFC 1122 4.2.3.6: keep-alive probes after an idle period; a dead peer times out.
void on_keepalive(Stack& stack, Tcb& t) {
    if (!t.keepalive || !(t.state == TcpState::Established || t.state == TcpState::CloseWait ||
                          t.state == TcpState::FinWait2))
        return;
    if (t.snd_max != t.snd_una || data_end(t) != t.snd_nxt) {
        t.keepalive_deadline = now(stack) + t.keep_idle_ms; // data is moving: the RTO watches the peer
        return;
    }
    if (t.keep_probes >= t.keep_count) return enter_closed(stack, t, SocketError::TimedOut);
    send_keepalive(stack, t);
    ++t.keep_probes;
    t.keepalive_deadline = now(stack) + t.keep_interval_ms;
}

void run_timers(Stack& stack, Tcb& t, TimeMs at) {
    const std::uint16_t generation = t.generation;
    auto alive = [&] { return t.in_use && t.generation == generation && t.state != TcpState::Closed; };
    if (t.output_retry) {
        t.output_retry = false;
        if (t.state == TcpState::SynSent || t.state == TcpState::SynReceived)
            send_syn(stack, t);
        else
            output(stack, t);
    }
    if (t.delack_deadline != 0 && at >= t.delack_deadline) {
        t.delack_deadline = 0;
        t.ack_now = true;
        output(stack, t);
    }
    if (t.rto_deadline != 0 && at >= t.rto_deadline) {
        t.rto_deadline = 0;
        on_rto(stack, t);
        if (!alive()) return;
    }
    if (t.persist_deadline != 0 && at >= t.persist_deadline) {
        t.persist_deadline = 0;
        on_persist(stack, t);
        if (!alive()) return;
    }
    if (t.keepalive_deadline != 0 && at >= t.keepalive_deadline) {
        t.keepalive_deadline = 0;
        on_keepalive(stack, t);
        if (!alive()) return;
    }
    if (t.linger_deadline != 0 && at >= t.linger_deadline) {
        // Linger > 0: the graceful close did not finish in time: abort.
        t.linger_deadline = 0;
        if (synchronized(t.state) && t.state != TcpState::TimeWait) send_rst(stack, t);
        return enter_closed(stack, t, SocketError::Ok);
    }
    if (t.state_deadline != 0 && at >= t.state_deadline) {
        // TIME-WAIT's 2 MSL (RFC 9293 3.10.8 time-wait timeout), or an orphaned FIN-WAIT-2.
        t.state_deadline = 0;
        if (t.state == TcpState::TimeWait || t.state == TcpState::FinWait2)
            enter_closed(stack, t, SocketError::Ok);
    }
}

} // namespace

void tick(Stack& stack, TimeMs at) {
    for (Tcb& t : state(stack).tcbs) {
        if (!t.in_use || t.state == TcpState::Closed || t.state == TcpState::Listen) continue;
        run_timers(stack, t, at);
    }
    deliver_events(stack);
}

} // namespace pico::tcp
