// Types shared by the transports and the socket facade.
#pragma once
#include "core/config.hpp"
#include "core/types.hpp"
#include <cstdint>

namespace pico {

namespace detail {
template <bool WithV6> struct NetAddrV6 {
    constexpr bool flag() const { return false; }
    constexpr Ipv6Addr addr() const { return {}; }
    constexpr void set_any() {}
    constexpr void set(const Ipv6Addr&) {}
};
template <> struct NetAddrV6<true> {
    Ipv6Addr v6{};
    bool is_v6 = false;
    constexpr bool flag() const { return is_v6; }
    constexpr Ipv6Addr addr() const { return v6; }
    constexpr void set_any() { is_v6 = true; }
    constexpr void set(const Ipv6Addr& a) {
        v6 = a;
        is_v6 = true;
    }
};
} // namespace detail

// How the transports store an address (socket tables, TCBs): either family when IPv6 is built, IPv4 alone
// otherwise, so an IPv4-only build pays nothing for IPv6 (the API type is IpAddr either way).
struct NetAddr {
    Ipv4Addr v4{};
    [[no_unique_address]] detail::NetAddrV6<config::ipv6> six{};

    static constexpr NetAddr any() { return {}; }
    static constexpr NetAddr any_v6() {
        NetAddr a;
        a.six.set_any();
        return a;
    }
    static constexpr NetAddr from(Ipv4Addr a) {
        NetAddr n;
        n.v4 = a;
        return n;
    }
    // An IPv6 address in a build without IPv6 becomes the unspecified IPv4 address (callers check first).
    static constexpr NetAddr from(const IpAddr& a) {
        NetAddr n;
        if (!a.v6)
            n.v4 = a.v4addr;
        else
            n.six.set(a.v6addr);
        return n;
    }
    constexpr bool is_v6() const { return six.flag(); }
    constexpr Ipv6Addr v6() const { return six.addr(); }
    constexpr IpAddr ip() const {
        if (is_v6()) return IpAddr{v6()};
        return IpAddr{v4};
    }
    constexpr bool is_unspecified() const { return is_v6() ? v6().is_unspecified() : v4.is_unspecified(); }
    friend constexpr bool operator==(const NetAddr& a, const NetAddr& b) {
        if (a.is_v6() != b.is_v6()) return false;
        return a.is_v6() ? a.v6() == b.v6() : a.v4 == b.v4;
    }
};

using SocketHandle = std::int16_t; // negative: no socket

enum class SocketError : std::int8_t {
    Ok = 0,
    Invalid,             // bad handle or argument
    Exhausted,           // no free socket in the pool
    AddressInUse,        // port already bound
    AddressNotAvailable, // not one of our addresses
    NotBound,
    NotConnected,
    NoRoute,
    TooBig,     // datagram larger than the path allows
    WouldBlock, // nothing to read / no buffer now
    QueueFull,
    Unreachable, // an ICMP error reported the peer unreachable
    Closed,
    // TCP
    ConnectionRefused, // RST in answer to our SYN
    ConnectionReset,   // RST on an established connection
    TimedOut,          // retransmission or keep-alive gave up
    NotListening,      // accept on a socket that is not listening
    AlreadyConnected,  // connect/listen on a socket already in use
    InProgress,        // not possible in the current state (e.g. write before Connected)
};

const char* socket_error_name(SocketError error);

// Events delivered to a socket's callback. Readable is raised once per arriving datagram (UDP) or when new
// data is buffered (TCP). Writable is raised when sending becomes possible again after it could not; UDP
// sends never block, so UDP sockets never raise it.
enum class SocketEvent : std::uint8_t {
    Readable = 1,
    Writable = 2,
    Connected = 4,
    PeerClosed = 8,
    Closed = 16,
    Error = 32,
    // TCP: a delivery problem that has not ended the connection (RFC 9293 3.8.3: retransmissions of one
    // segment reached R1; the error says TimedOut, or the ICMP soft error seen meanwhile). The connection
    // keeps trying until R2. The Warnings option (default 1) turns these reports off (SHLD-20).
    Warning = 64,
};

using SocketCallback = void (*)(void* context, SocketHandle socket, SocketEvent event, SocketError error);

enum class SocketOption : std::uint8_t {
    Ttl,       // unicast TTL, 1..255
    Tos,       // IPv4 type of service byte
    Broadcast, // 0/1: may send to broadcast addresses (SO_BROADCAST)
    RxQueue,   // read-only: datagrams waiting (UDP) / bytes readable (TCP)
    // TCP
    NoDelay,      // 0/1: disable Nagle's algorithm
    KeepAlive,    // 0/1: send keep-alive probes (off by default, RFC 9293 3.8.4)
    KeepIdle,     // ms of idleness before the first probe (default 7,200,000)
    KeepInterval, // ms between probes (default 75,000)
    KeepCount,    // unanswered probes before the connection is dropped (default 9)
    Linger,       // -1: close() is graceful in the background; 0: close() aborts with RST; >0: ms to linger
    TxQueue,      // read-only: bytes in the send buffer not yet acknowledged
    SendSpace,    // read-only: bytes that write() would accept now
    SendBuffer,   // bytes of send buffer used (1..config::tcp_send_buffer)
    RecvBuffer, // bytes of receive buffer used, hence the largest window offered (1..config::tcp_recv_buffer)
    MaxSegment, // upper bound on the MSS we announce and use (RFC 9293 3.7.1), before the peer's own
    // R2 of RFC 9293 3.8.3 (MUST-21/22) in ms since the unacknowledged segment was first sent: 0 the
    // default (12 retransmissions for data, 7 for a SYN: at least 3 minutes), -1 never give up.
    RetransmitTimeoutMs, // for data and FIN
    ConnectTimeoutMs,    // for the SYN of connect() (and a SYN-ACK)
    UrgentPending,       // read-only: urgent bytes received and not read yet, 0 when none (MUST-33)
    Warnings,            // 0/1 (default 1): raise Warning events (RFC 9293 3.8.3 SHLD-9, SHLD-20)
    // UDP: 0/1 (SO_REUSEADDR): sockets that all set it before bind may bind the same address and port
    // (several multicast receivers on one port); unicast goes to the first of them, broadcast and multicast
    // to each.
    ReuseAddress,
};

} // namespace pico
