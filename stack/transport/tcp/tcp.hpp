// TCP (RFC 9293) module: the input hook, the socket operations and the module state.
//
// Split by concern (ARCHITECTURE section 7): seqnum (wrap-around arithmetic), wire/tcp.hpp (segment view and
// options), tcb.hpp (the connection block), fsm (segment arrival, RFC 9293 3.10.7), rx (reassembly, receive
// window, SACK blocks), tx (segmentation, Nagle, persist, retransmission), timers (RTO per RFC 6298, delayed
// ACK, keep-alive, TIME-WAIT), congestion (RFC 5681 + NewReno RFC 6582 behind an interface), sack_scoreboard
// (RFC 6675), isn (RFC 6528).
//
// Addresses are carried as IpEndpoint so that IPv6 plugs in without a second TCP.
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
    std::uint32_t syn_evictions = 0; // half-open connections evicted by newer SYNs (flood protection)
};

State& state(Stack& stack);

// Input hook: a TCP segment (IP header already pulled; meta carries the addresses).
void input(Stack& stack, PacketBuf&& segment, const RxMeta& meta);
// An ICMP error about a segment we sent (quoted IP header + >= 8 bytes of TCP header), RFC 5927 / RFC 1122.
void icmp_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ip_datagram);
// Timers of every connection (RTO, delayed ACK, persist, keep-alive, TIME-WAIT); called from Stack::poll.
void tick(Stack& stack, TimeMs now);

// ---- socket operations (the socket facade in stack/socket calls these) ----
SocketHandle open(Stack& stack, SocketCallback callback, void* context);
SocketError bind(Stack& stack, SocketHandle socket, Ipv4Addr address, std::uint16_t port);
SocketError listen(Stack& stack, SocketHandle socket, std::uint8_t backlog);
// Takes a connection that completed its handshake on a listening socket. Returns its handle, or a negative
// SocketError (WouldBlock when none is ready). The new socket reports to callback/context.
SocketHandle accept(Stack& stack, SocketHandle listener, SocketCallback callback, void* context);
SocketError connect(Stack& stack, SocketHandle socket, Ipv4Addr address, std::uint16_t port);
// Copies as much of data as the send buffer takes; `written` says how much (WouldBlock when none).
SocketError write(Stack& stack, SocketHandle socket, Bytes data, std::size_t& written);
// Copies received bytes in order; `read` says how many. At end of stream (peer's FIN, all read) returns Ok
// with read == 0 and `eof` true; WouldBlock when nothing is buffered yet.
SocketError read(Stack& stack, SocketHandle socket, MutBytes out, std::size_t& read, bool& eof);
// Urgent data (RFC 9293 3.8.5 / RFC 6093): write with the urgent pointer set after the last byte.
SocketError write_urgent(Stack& stack, SocketHandle socket, Bytes data, std::size_t& written);
SocketError shutdown_write(Stack& stack, SocketHandle socket); // send FIN after the queued data
// No more reads: buffered and later data is discarded (and acknowledged, so the peer is not stalled).
SocketError shutdown_read(Stack& stack, SocketHandle socket);
SocketError close(Stack& stack, SocketHandle socket); // graceful (or per the Linger option)
SocketError abort(Stack& stack, SocketHandle socket); // RST, free at once
SocketError set_option(Stack& stack, SocketHandle socket, SocketOption option, int value);
SocketError get_option(Stack& stack, SocketHandle socket, SocketOption option, int& value);
SocketError local_endpoint(Stack& stack, SocketHandle socket, Ipv4Addr& address, std::uint16_t& port);
SocketError remote_endpoint(Stack& stack, SocketHandle socket, Ipv4Addr& address, std::uint16_t& port);
SocketError connection_state(Stack& stack, SocketHandle socket, TcpState& state);
const char* state_name(TcpState state);

} // namespace pico::tcp
