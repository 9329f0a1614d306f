// UDP (RFC 768, RFC 1122 4.1): checksum verified and generated (a zero checksum is accepted on IPv4: the
// sender did not compute one), length checked against the IP payload, port unreachable when no socket is
// bound, broadcast delivered to every matching socket; the UDP socket table.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "core/ring.hpp"
#include "transport/socket_types.hpp"
#include <array>
#include <cstdint>
#include <optional>

namespace pico::udp {

// Ephemeral port range (RFC 6335 section 6): chosen from the platform's random source.
inline constexpr std::uint16_t ephemeral_first = 49152;
inline constexpr std::uint16_t ephemeral_last = 65535;

struct Datagram {
    PacketBuf payload;
    NetAddr source{};
    std::uint16_t source_port = 0;
    NetAddr destination{};
    IfIndex ifindex = no_interface;
};

struct Socket {
    bool open = false;
    bool bound = false;
    bool connected = false;
    bool broadcast = false;
    NetAddr local{}; // 0.0.0.0: any IPv4 address; "::": any address of either family
    std::uint16_t local_port = 0;
    NetAddr remote{};
    std::uint16_t remote_port = 0;
    std::uint8_t ttl = 0; // 0: default
    std::uint8_t tos = 0;
    SocketCallback callback = nullptr;
    void* context = nullptr;
    Ring<Datagram, config::udp_rx_queue> rx;
    std::uint32_t rx_dropped = 0; // datagrams dropped because rx was full
};

struct State {
    ModuleCounters counters;
    std::array<Socket, config::udp_sockets> sockets{};
};

State& state(Stack& stack);

// Input hook: a UDP datagram (IP header already pulled; meta carries the addresses).
void input(Stack& stack, PacketBuf&& datagram, const RxMeta& meta);
// An ICMP error about a datagram we sent (quoted IP header + at least 8 bytes): raises Error on the socket.
void icmp_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ip_datagram);
// The same for an ICMPv6 error (quoted IPv6 header + at least 8 bytes).
void icmp6_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ipv6_packet);

// Socket operations (the socket facade in stack/socket calls these). Addresses of either family (an Ipv4Addr
// converts to IpAddr): bound to 0.0.0.0 a socket serves IPv4 only, to "::" both families, to an address that
// address only; an unbound socket is bound by connect/send_to to the wildcard of the destination's family.
SocketHandle open(Stack& stack, SocketCallback callback, void* context);
SocketError bind(Stack& stack, SocketHandle socket, const IpAddr& address, std::uint16_t port);
SocketError connect(Stack& stack, SocketHandle socket, const IpAddr& address, std::uint16_t port);
SocketError send_to(Stack& stack, SocketHandle socket, Bytes data, const IpAddr& address, std::uint16_t port);
SocketError send(Stack& stack, SocketHandle socket, Bytes data); // connected sockets

struct RecvInfo {
    std::size_t copied = 0;       // bytes written to the caller's buffer
    std::size_t datagram_len = 0; // the datagram's whole length (larger than copied: truncated)
    IpAddr source{};
    std::uint16_t source_port = 0;
    IpAddr destination{};
};
SocketError recv_from(Stack& stack, SocketHandle socket, MutBytes out, RecvInfo& info);
SocketError close(Stack& stack, SocketHandle socket);
SocketError set_option(Stack& stack, SocketHandle socket, SocketOption option, int value);
SocketError get_option(Stack& stack, SocketHandle socket, SocketOption option, int& value);
SocketError local_endpoint(Stack& stack, SocketHandle socket, IpAddr& address, std::uint16_t& port);

} // namespace pico::udp
