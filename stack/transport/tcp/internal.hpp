// Internals shared by the TCP files (not part of the module's API): the constants of the protocol machine,
// the parsed form of an arriving segment, the TCB pool and event helpers (tcp.cpp), state changes (fsm.cpp)
// and the retransmission clock (timers.cpp).
#pragma once
#include "transport/tcp/tcp.hpp"
#include "wire/tcp.hpp"
#include <cstdint>

namespace pico::tcp::detail {

// ---- constants (each with where it comes from) ----
inline constexpr std::uint32_t initial_rto_ms = 1000; // RFC 6298 2.1
inline constexpr std::uint32_t min_rto_ms = 1000;     // RFC 6298 2.4 (SHOULD be rounded up to 1 s)
inline constexpr std::uint32_t max_rto_ms = 60000;    // RFC 6298 2.5 (a maximum of at least 60 s may be set)
inline constexpr std::uint32_t syn_rto_after_loss_ms = 3000; // RFC 6298 5.7
// RFC 9293 3.8.3 (MUST-20/MUST-23): R2 at least 100 s for data and 3 minutes for a SYN. With RTOs of
// 1, 2, 4, ..., 60 s: 12 retransmissions give up after 483 s, 7 SYN retransmissions after 183 s.
inline constexpr std::uint8_t max_retries = 12;
// RFC 9293 3.8.3 R1 (RFC 1122 4.2.3.5: "at least 3 retransmissions"): when the same segment (a SYN
// included, MUST-22) has been retransmitted this many times, the IP layer gets negative advice.
inline constexpr std::uint8_t r1_retries = 3;
inline constexpr std::uint8_t max_syn_retries = 7;
inline constexpr std::uint8_t max_persist_probes = 12;   // unanswered zero-window probes before giving up
inline constexpr TimeMs sws_override_ms = 200;           // RFC 9293 3.8.6.2.1: 0.1 to 1 s
inline constexpr std::uint32_t delayed_ack_ms = 200;     // RFC 9293 3.8.6.3 (MUST-40: less than 0.5 s)
inline constexpr std::uint32_t clock_granularity_ms = 1; // RFC 6298 G
// RFC 5961 section 7: challenge ACKs per second, across all connections of a stack.
inline constexpr std::uint32_t challenge_ack_limit = 10;
inline constexpr TimeMs challenge_ack_window_ms = 1000;
// RFC 7323 5.5: TS.Recent is invalid after 24 days of idleness.
inline constexpr TimeMs paws_idle_ms = 24ull * 24 * 3600 * 1000;
inline constexpr std::uint8_t max_window_shift = 14; // RFC 7323 2.3
// A peer MSS below this is raised to it: a tiny MSS would make every segment mostly header (the same
// defence Linux has with tcp_min_snd_mss).
inline constexpr std::uint16_t min_peer_mss = 64;
inline constexpr std::uint16_t timestamp_option_len = 12; // TS option with its two NOPs (RFC 7323 App. A)
// Orphaned FIN-WAIT-2 (the application closed, the peer never sends its FIN): freed after this long.
inline constexpr TimeMs fin_wait2_timeout_ms = 2 * config::tcp_msl_ms;
inline constexpr TimeMs time_wait_ms = 2 * config::tcp_msl_ms; // RFC 9293 3.6.1 (2 MSL)
inline constexpr std::size_t max_segments_per_output = 64;     // bound on one output pass
inline constexpr std::uint8_t max_backlog =
    static_cast<std::uint8_t>(config::tcp_sockets < 255 ? config::tcp_sockets : 255);

// ---- an arriving segment, parsed once ----
struct Segment {
    Address src{};
    Address dst{};
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    SeqNum seq{};
    SeqNum ack{};
    std::uint8_t flags = 0;
    std::uint16_t window = 0; // the field as received (scaled by the caller where RFC 7323 says so)
    bool syn_window = false;  // the window came on a SYN whose SYN bit was taken off: never scaled
    std::uint16_t urgent = 0;
    Bytes payload{};
    wire::tcp::Options options{};

    bool has(std::uint8_t f) const { return (flags & f) != 0; }
    // SEG.LEN (RFC 9293 3.4): data plus SYN and FIN.
    std::uint32_t len() const {
        return static_cast<std::uint32_t>(payload.size()) + (has(wire::tcp::flag::syn) ? 1u : 0u) +
               (has(wire::tcp::flag::fin) ? 1u : 0u);
    }
};

// ---- the TCB pool and events (tcp.cpp) ----
SocketHandle handle_of(Stack& stack, const Tcb& tcb);
Tcb* tcb_at(Stack& stack, SocketHandle handle); // any slot in use
// A free slot, initialised (in_use, generation bumped), or nullptr when the pool is exhausted.
Tcb* allocate_tcb(Stack& stack);
void reset_tcb(Tcb& tcb); // back to the pool, nothing left behind
void raise(Stack& stack, Tcb& tcb, std::uint8_t event, SocketError error = SocketError::Ok);
// Delivers pending events to the callbacks (re-entrancy safe: callbacks may call any socket operation).
void deliver_events(Stack& stack);
// The listening socket a passive connection belongs to (nullptr when it is gone).
Tcb* parent_of(Stack& stack, const Tcb& child);
std::uint32_t next_order(Stack& stack);
// The connection with this 4-tuple (any state but CLOSED and LISTEN), or nullptr.
Tcb* find_connection(Stack& stack, const Address& local, std::uint16_t local_port, const Address& remote,
                     std::uint16_t remote_port);

// ---- state changes (fsm.cpp) ----
void set_state(Tcb& tcb, TcpState state);
// The connection is over (RFC 9293 "enter CLOSED, delete the TCB"): timers stop; the application (if it
// still holds the handle) sees `error` (Ok: none); a TCB nobody holds is freed.
void enter_closed(Stack& stack, Tcb& tcb, SocketError error);
void enter_time_wait(Stack& stack, Tcb& tcb);
// Options of a received SYN (RFC 9293 3.7.1, RFC 7323 1.3, RFC 2018 2) recorded in the TCB.
void take_syn_options(Stack& stack, Tcb& tcb, const Segment& seg, bool syn_ack);
// Initialises the send side for a new connection: ISS (RFC 6528), timestamps offset.
void choose_iss(Stack& stack, Tcb& tcb);

// ---- clocks and timers (timers.cpp) ----
std::uint32_t ts_now(Stack& stack, const Tcb& tcb); // TSval clock: 1 ms ticks (RFC 7323 5.4)
void rtt_sample(Tcb& tcb, std::uint32_t rtt_ms);    // RFC 6298 2.2 / 2.3
void arm_rto(Stack& stack, Tcb& tcb);               // RFC 6298 5.1 (restart with the current RTO)
void stop_timers(Tcb& tcb);
void arm_keepalive(Stack& stack, Tcb& tcb); // from the last segment received
void note_segment_received(Stack& stack, Tcb& tcb);

} // namespace pico::tcp::detail
