// TCP (RFC 9293) module: the input hook, the socket operations and the module state.
//
// Split by concern (ARCHITECTURE section 7): seqnum (wrap-around arithmetic), wire/tcp.hpp (segment view and
// options), tcb.hpp (the connection block), fsm (segment arrival, RFC 9293 3.10.7), rx (reassembly, receive
// window, SACK blocks), tx (segmentation, Nagle, persist, retransmission), timers (RTO per RFC 6298, delayed
// ACK, keep-alive, TIME-WAIT), congestion (RFC 5681 + NewReno RFC 6582 behind an interface), sack_scoreboard
// (RFC 6675), isn (RFC 6528), net (the one file that knows IPv4), icmp (RFC 5927), tcp.cpp (the user calls
// of RFC 9293 3.10.1-3.10.6 and the TCB pool).
//
// Addresses are a tcp::Address (net.hpp) so that IPv6 plugs in without a second TCP.
//
// ---- Socket semantics (what the application sees) ----
// Handles: open() and accept() give one; it stays valid until close() or abort() (also after the connection
// failed: read/write then return the error that ended it). A socket is opened (connect or listen) once.
//
// Events, delivered to the callback after the stack's processing of a segment, a timer or a socket call
// (never from the middle of it), in this order when several are due together: Connected, Readable, Writable,
// PeerClosed, Warning, Error, Closed. Callbacks may call any socket operation, close() and abort() included.
//   Connected   an active open completed (accept()ed sockets are connected already: they get none).
//   Readable    new data was buffered, the peer's FIN arrived, or the urgent pointer advanced; also raised
//               on a listener when a connection is ready for accept(). Read until WouldBlock (or eof).
//   Writable    a write found the send buffer full (WouldBlock or partial) and there is room again.
//   PeerClosed  the peer's FIN arrived, after all data before it (read() gives eof once the data is read).
//   Error       ConnectionRefused (RST or ICMP port/protocol unreachable answering our SYN), ConnectionReset
//               (RST on a connection), TimedOut (retransmissions, zero-window probes or keep-alives
//               unanswered), Unreachable (a timeout after an ICMP soft error). The connection is CLOSED; the
//               handle stays the application's until close().
//   Warning     a delivery problem that has not ended the connection: retransmissions of one segment (or
//               SYN) reached R1 = 3 (RFC 9293 3.8.3 SHLD-9), error TimedOut (or the ICMP soft error seen
//               meanwhile); the connection keeps trying until R2. The Warnings option (default 1) turns
//               these reports off (SHLD-20). At most one per segment.
//   Closed      after close(): the connection is over (CLOSED, or TIME-WAIT reached, which the stack
//               finishes alone). Exactly one Closed per close(), possibly before close() returns; the
//               callback's context must live until then (or call set_callback(nullptr) before close()).
//               abort() raises nothing.
// close(): the handle is gone for the application at once. Linger -1 (default): graceful, FIN after the
// queued data, the TCB finishes in the background (an orphaned FIN-WAIT-2 ends after 2 MSL); Linger 0, or
// data received and never read (RFC 2525 2.17): RST at once; Linger > 0: graceful, but aborted with a RST if
// not finished within that many ms. Data arriving after close() is answered with a RST (RFC 1122 4.2.2.13).
// Pool: TIME-WAIT TCBs nobody holds are reused early when the pool is full (counted in time_wait_recycled).
// SYN floods: a listener holds at most config::tcp_half_open connections in SYN-RECEIVED; a new SYN beyond
// that evicts the oldest of them silently (counted in syn_evictions). The price, under loss: a client whose
// third ACK was lost believes itself ESTABLISHED while its half-open twin here was evicted; its first data
// segment then draws a RST and it sees ConnectionReset (RFC 9293 3.10.7.1), as with any listener that
// forgot a connection.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "transport/socket_types.hpp"
#include "transport/tcp/tcb.hpp"
#include <array>
#include <cstdint>

namespace pico::tcp {

struct State {
    ModuleCounters counters;
    std::array<Tcb, config::tcp_sockets> tcbs{};
    std::array<std::uint8_t, 16> isn_secret{}; // RFC 6528 secret key, from the platform at first use
    bool isn_secret_ready = false;
    // RFC 5961 section 7: challenge ACKs limited per second across all connections.
    TimeMs challenge_window_start = 0;
    std::uint32_t challenge_acks_in_window = 0;
    std::uint32_t syn_evictions = 0;      // half-open connections evicted by newer SYNs (flood protection)
    std::uint32_t time_wait_recycled = 0; // TIME-WAIT TCBs reused early because the pool was full
    std::uint32_t order_counter = 0;      // creation/queueing order of connections (FIFO accept, eviction)
    bool delivering = false;     // events are being delivered (a callback's socket call must not recurse)
    bool events_pending = false; // some TCB has events raised and not delivered yet (or waits to be freed)
};

State& state(Stack& stack);

// Input hook: a TCP segment (IP header already pulled; meta carries the addresses).
void input(Stack& stack, PacketBuf&& segment, const RxMeta& meta);
// An ICMP error about a segment we sent (quoted IP header + >= 8 bytes of TCP header), RFC 5927 / RFC 1122.
// rest_of_header: the ICMP header's second word (the next-hop MTU of "fragmentation needed", RFC 1191).
void icmp_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ip_datagram,
                std::uint32_t rest_of_header = 0);
// An ICMPv6 error about a segment we sent (quoted IPv6 header + >= 8 bytes of TCP header), RFC 4443 / 8201.
// parameter: the ICMPv6 header's second word (the MTU of Packet Too Big).
void icmp6_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ipv6_packet,
                 std::uint32_t parameter = 0);
// Timers of every connection (RTO, delayed ACK, persist, keep-alive, TIME-WAIT); called from Stack::poll.
void tick(Stack& stack, TimeMs now);

// ---- socket operations (the socket facade in stack/socket calls these) ----
SocketHandle open(Stack& stack, SocketCallback callback, void* context);
// Addresses of either family (an Ipv4Addr converts to IpAddr). Binding to 0.0.0.0 serves IPv4 only; to "::"
// (or listen() without bind) both families; to a specific address that address only.
SocketError bind(Stack& stack, SocketHandle socket, const IpAddr& address, std::uint16_t port);
SocketError listen(Stack& stack, SocketHandle socket, std::uint8_t backlog);
// Takes a connection that completed its handshake on a listening socket. Returns its handle, or a negative
// SocketError (WouldBlock when none is ready). The new socket reports to callback/context.
SocketHandle accept(Stack& stack, SocketHandle listener, SocketCallback callback, void* context);
SocketError connect(Stack& stack, SocketHandle socket, const IpAddr& address, std::uint16_t port);
// Copies as much of data as the send buffer takes; `written` says how much (WouldBlock when none).
SocketError write(Stack& stack, SocketHandle socket, Bytes data, std::size_t& written);
// Copies received bytes in order; `read` says how many. At end of stream (peer's FIN, all read) returns Ok
// with read == 0 and `eof` true; WouldBlock when nothing is buffered yet.
SocketError read(Stack& stack, SocketHandle socket, MutBytes out, std::size_t& read, bool& eof);
// Urgent data (RFC 9293 3.8.5 / RFC 6093): write with the urgent pointer set after the last byte.
SocketError write_urgent(Stack& stack, SocketHandle socket, Bytes data, std::size_t& written);
// Urgent data received (RFC 9293 3.8.5, MUST-32): `pending` while the urgent pointer is beyond what was
// read, `urgent_bytes` how many of the readable bytes remain up to the end of the urgent data. (Urgent data
// stays inline in the byte stream: nothing is lost; Readable is raised when the pointer advances, MUST-31.)
SocketError urgent_state(Stack& stack, SocketHandle socket, bool& pending, std::size_t& urgent_bytes);
SocketError shutdown_write(Stack& stack, SocketHandle socket); // send FIN after the queued data
// No more reads: buffered and later data is discarded (and acknowledged, so the peer is not stalled).
SocketError shutdown_read(Stack& stack, SocketHandle socket);
SocketError close(Stack& stack, SocketHandle socket); // graceful (or per the Linger option)
SocketError abort(Stack& stack, SocketHandle socket); // RST, free at once
SocketError set_option(Stack& stack, SocketHandle socket, SocketOption option, int value);
SocketError get_option(Stack& stack, SocketHandle socket, SocketOption option, int& value);
SocketError local_endpoint(Stack& stack, SocketHandle socket, IpAddr& address, std::uint16_t& port);
SocketError remote_endpoint(Stack& stack, SocketHandle socket, IpAddr& address, std::uint16_t& port);
SocketError connection_state(Stack& stack, SocketHandle socket, TcpState& state);
// Replaces the callback and context of a socket the application holds (nullptr: no more events). Call it
// before close() to give up the Closed event when the context will not outlive the handle.
SocketError set_callback(Stack& stack, SocketHandle socket, SocketCallback callback, void* context);
// (R2 is set with the RetransmitTimeoutMs / ConnectTimeoutMs options; UrgentPending tells the urgent bytes
// still to read.)
// The last soft error recorded (RFC 1122 4.2.3.9: an ICMP error that does not abort the connection), Ok if
// none: the application may look (MUST-47); it is reported as an Error event only if the connection then
// times out (as Unreachable instead of TimedOut).
SocketError soft_error(Stack& stack, SocketHandle socket, SocketError& error);

// A snapshot of a connection's sequence, window, timer and congestion variables (what Linux gives as
// TCP_INFO), for diagnostics and for conformance scenarios that judge congestion control and RTO directly.
struct ConnectionInfo {
    TcpState state = TcpState::Closed;
    std::uint32_t iss = 0, snd_una = 0, snd_nxt = 0, snd_max = 0, snd_wnd = 0;
    std::uint32_t irs = 0, rcv_nxt = 0, rcv_wnd = 0;
    std::uint32_t cwnd = 0, ssthresh = 0, flight_size = 0;
    std::uint8_t duplicate_acks = 0;
    bool in_recovery = false;   // NewReno fast recovery (RFC 6582)
    bool sack_recovery = false; // RFC 6675 loss recovery
    std::uint32_t srtt_ms = 0;  // 0 until the first RTT sample
    std::uint32_t rttvar_ms = 0;
    std::uint32_t rto_ms = 0;
    std::uint32_t retransmissions = 0;
    std::uint16_t send_mss = 0; // the effective send MSS
    std::uint16_t peer_mss = 0;
    std::uint8_t snd_wscale = 0, rcv_wscale = 0;
    bool ws_ok = false, ts_ok = false, sack_ok = false;
};
SocketError connection_info(Stack& stack, SocketHandle socket, ConnectionInfo& info);
const char* state_name(TcpState state);

} // namespace pico::tcp
