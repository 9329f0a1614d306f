// The TCP connection block (TCB, RFC 9293 3.3.1): one per socket, in a fixed pool in the module state.
//
// Memory (requirement: no heap, everything bounded): the send buffer is a byte ring holding every byte from
// the oldest unacknowledged one on, so the retransmission queue is the ring itself (data stays until it is
// acknowledged); the receive buffer is a byte ring into which out-of-order data is written directly at its
// offset, with a bounded list of the ranges held above RCV.NXT (which also gives the SACK blocks, RFC 2018).
// Returning a TCB to the pool (reset_tcb) clears every field and both rings: nothing is left behind.
#pragma once
#include "core/buffer.hpp"
#include "core/config.hpp"
#include "core/types.hpp"
#include "transport/socket_types.hpp"
#include "transport/tcp/congestion.hpp"
#include "transport/tcp/net.hpp"
#include "transport/tcp/sack_scoreboard.hpp"
#include "transport/tcp/seqnum.hpp"
#include <array>
#include <cstdint>

namespace pico::tcp {

// RFC 9293 section 3.3.2: the eleven states.
enum class TcpState : std::uint8_t {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
};

// Send buffer: bytes[head] holds sequence number `first_seq`; `len` bytes follow (acknowledged bytes are
// removed at once, so the first `snd_nxt - first_seq` of them are in flight and the rest not sent yet).
struct SendRing {
    std::array<std::uint8_t, config::tcp_send_buffer> bytes{};
    std::uint32_t head = 0;
    std::uint32_t len = 0;
    SeqNum first_seq{};
    std::uint32_t dirty = 0; // bytes[0, dirty) may hold an application's data: what reset_tcb clears
};

// Receive buffer: bytes[head] is the next byte the application reads; `readable` in-order bytes follow (they
// end at RCV.NXT); out-of-order bytes sit further on at their offset from RCV.NXT.
struct RecvRing {
    std::array<std::uint8_t, config::tcp_recv_buffer> bytes{};
    std::uint32_t head = 0;
    std::uint32_t readable = 0;
    std::uint32_t dirty = 0; // bytes[0, dirty) may hold received data: what reset_tcb clears
};

// Ranges of out-of-order data held above RCV.NXT, disjoint, the most recently changed first (RFC 2018 4: the
// first SACK block reports the segment that triggered the ACK, then the most recently reported ones).
struct ReceivedRanges {
    static constexpr std::size_t capacity = 6;
    std::array<SeqRange, capacity> ranges{};
    std::uint8_t count = 0;
};

// Pending application events, delivered after the stack's processing (never in the middle of it).
namespace event_bit {
inline constexpr std::uint8_t connected = 1;
inline constexpr std::uint8_t readable = 2;
inline constexpr std::uint8_t writable = 4;
inline constexpr std::uint8_t peer_closed = 8;
inline constexpr std::uint8_t error = 16;
inline constexpr std::uint8_t closed = 32;
inline constexpr std::uint8_t warning = 64;
} // namespace event_bit

// Everything of a TCB except its two rings (reset by assigning a fresh TcbFields).
struct TcbFields {
    // ---- slot, ownership, events ----
    bool in_use = false;
    bool app_owned = false;  // the application holds the handle (not after close(), not while in a queue)
    bool app_closed = false; // close() was called: the TCB finishes in the background
    bool free_after_events = false;
    bool closed_reported = false; // the Closed event of a closed socket was raised
    bool opened = false;          // connect() or listen() was called (a socket is opened once)
    TcpState state = TcpState::Closed;
    SocketCallback callback = nullptr;
    void* context = nullptr;
    std::uint8_t pending_events = 0;
    SocketError pending_error = SocketError::Ok;
    SocketError error = SocketError::Ok;      // why the connection ended (read/write report it)
    SocketError soft_error = SocketError::Ok; // RFC 1122 4.2.3.9: reported only if the connection times out
    SocketError pending_warning = SocketError::Ok; // the error of a pending Warning event
    bool warnings = true;                          // the Warnings option
    bool want_writable = false;                    // a write found the buffer full: raise Writable on space

    // ---- endpoints ----
    bool bound = false;
    Address local{};
    Address remote{};
    std::uint16_t local_port = 0;
    std::uint16_t remote_port = 0;

    // ---- listener relations ----
    std::int16_t parent = -1; // the listening socket a passive connection came from
    std::uint16_t parent_generation = 0;
    bool passive = false; // opened by a SYN to a listener (RFC 9293 3.10.7.4 "passive OPEN")
    bool in_accept_queue = false;
    std::uint8_t backlog = 0; // listener: accept queue capacity
    std::uint32_t order = 0;  // creation / queueing order (FIFO accept, oldest half-open evicted first)

    // ---- send sequence variables (RFC 9293 3.3.1) ----
    SeqNum iss{};
    SeqNum snd_una{};
    SeqNum snd_nxt{};
    SeqNum snd_max{}; // highest sequence number sent + 1 (snd_nxt is pulled back for retransmissions)
    SeqNum snd_wl1{};
    SeqNum snd_wl2{};
    SeqNum snd_up{};
    std::uint32_t snd_wnd = 0;
    std::uint32_t max_snd_wnd = 0; // RFC 5961 5.2 MAX.SND.WND; RFC 9293 3.8.6.2.1 Max(SND.WND)
    bool snd_urgent = false;       // snd_up is meaningful (urgent data was written)
    bool fin_queued = false;       // the application shut down sending: FIN follows the queued data

    // ---- receive sequence variables ----
    SeqNum irs{};
    SeqNum rcv_nxt{};
    SeqNum rcv_adv{};       // right edge of the window we advertised (RCV.NXT + RCV.WND when it was sent)
    SeqNum last_ack_sent{}; // RFC 7323 Last.ACK.sent
    SeqNum rcv_up{};
    bool rcv_urgent = false;       // urgent data is pending (rcv_up beyond the next byte to read)
    bool fin_received = false;     // the peer's FIN was processed (RCV.NXT is past it)
    bool peer_fin_pending = false; // a FIN arrived out of order at peer_fin_seq
    bool read_shut = false;        // no more reads: later data is acknowledged and discarded
    SeqNum peer_fin_seq{};
    ReceivedRanges out_of_order{};
    std::uint32_t rcv_mss = 536; // largest segment received (delayed-ACK "full-sized")

    // ---- options (RFC 9293 3.7.1, RFC 7323, RFC 2018) ----
    std::uint16_t peer_mss = 536; // RFC 9293 3.7.1 / RFC 6691: 536 when the SYN carries none
    std::uint16_t path_mss = 536; // MTU - 40 of the route, lowered by ICMP "fragmentation needed"
    std::uint16_t announced_mss = 536;
    bool ws_ok = false;
    std::uint8_t snd_wscale = 0;
    std::uint8_t rcv_wscale = 0;
    bool ts_ok = false;
    std::uint32_t ts_recent = 0;
    TimeMs ts_recent_time = 0;
    std::uint32_t ts_offset = 0; // random per connection (RFC 7323 5.4)
    bool sack_ok = false;

    // ---- socket options ----
    bool nodelay = false;
    bool keepalive = false;
    std::uint8_t keep_count = 9;
    std::uint32_t keep_idle_ms = 7200000;
    std::uint32_t keep_interval_ms = 75000;
    std::int32_t linger_ms = -1;
    std::uint32_t send_buffer = config::tcp_send_buffer;
    std::uint32_t recv_buffer = config::tcp_recv_buffer;
    std::uint16_t max_segment = 0; // 0: no bound set
    std::uint8_t ttl = 0;
    std::uint8_t tos = 0;

    // ---- retransmission (RFC 6298) ----
    std::uint32_t srtt_x8 = 0;
    std::uint32_t rttvar_x4 = 0;
    std::uint32_t rto_ms = 1000;
    bool has_rtt = false;
    bool rtt_timing = false; // a segment is being timed (without timestamps)
    std::uint8_t retries = 0;
    bool syn_retransmitted = false;
    SeqNum rtt_seq{};
    TimeMs rtt_start = 0;
    TimeMs first_sent_at = 0;          // when the segment being retransmitted was first sent (R2 by time)
    std::int32_t give_up_ms = 0;       // R2 for data set by the application (0: the default count; -1: never)
    std::int32_t syn_give_up_ms = 0;   // R2 for a SYN, likewise
    std::uint32_t retransmissions = 0; // total, for statistics and tests

    // ---- congestion control (RFC 5681, RFC 6582, RFC 3042, RFC 6675) ----
    NewReno cc{};
    SackScoreboard scoreboard{};
    SeqNum high_rxt{};                  // RFC 6675 HighRxt
    bool sack_recovery = false;         // RFC 6675 loss recovery in progress
    std::uint32_t limited_transmit = 0; // RFC 3042: bytes allowed beyond cwnd
    TimeMs last_send_time = 0;

    // ---- timers (0: not armed) ----
    TimeMs rto_deadline = 0;
    TimeMs delack_deadline = 0;
    TimeMs persist_deadline = 0;
    TimeMs keepalive_deadline = 0;
    TimeMs state_deadline = 0;  // TIME-WAIT 2MSL, orphaned FIN-WAIT-2
    TimeMs linger_deadline = 0; // Linger > 0: a graceful close still unfinished then is aborted
    TimeMs last_rx_time = 0;
    std::uint8_t persist_backoff = 0;
    std::uint8_t persist_probes = 0; // unanswered zero-window probes
    bool probing = false;            // the persist timer owns the in-flight byte (no RTO)
    std::uint8_t keep_probes = 0;

    // ---- output state ----
    bool ack_now = false;      // send an ACK at the end of processing (or as soon as a frame is free)
    bool output_retry = false; // the frame pool was empty: try again from tick
};

struct Tcb : TcbFields {
    std::uint16_t generation = 0; // survives reset: tells a reused slot from the old connection
    SendRing send{};
    RecvRing recv{};
};

} // namespace pico::tcp
