// UDP (RFC 768, RFC 1122 4.1): checksum verified and generated (a zero checksum is accepted on IPv4: the
// sender did not compute one), length checked against the IP payload, port unreachable when no socket is
// bound, broadcast delivered to every matching socket, multicast to the sockets that joined the group with a
// filter admitting the source (IGMPv3 / MLDv2 source filters); the UDP socket table.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "core/ring.hpp"
#include "transport/socket_types.hpp"
#include <array>
#include <cstdint>
#include <optional>
#include <span>

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

// Source filter mode of a socket's group membership (RFC 3376 3, RFC 3810 3).
enum class FilterMode : std::uint8_t { Include, Exclude };

// Multicast group memberships a socket can hold: none when neither IGMP nor MLD is built (the minimal build
// pays nothing).
inline constexpr std::size_t multicast_memberships =
    (config::igmp || config::mld) ? config::udp_multicast_memberships : 0;

// One socket's reception request for a group on an interface: IPMulticastListen(socket, interface, group,
// mode, sources) of RFC 3376 3 / RFC 3810 3. INCLUDE({}) is no membership (the slot is free).
struct Membership {
    bool used = false;
    FilterMode mode = FilterMode::Include;
    IfIndex ifindex = no_interface;
    std::uint8_t source_count = 0;
    IpAddr group{};
    std::array<IpAddr, config::udp_multicast_sources> sources{};
};

struct Socket {
    bool open = false;
    bool bound = false;
    bool connected = false;
    bool broadcast = false;
    bool reuse = false; // SocketOption::ReuseAddress
    NetAddr local{};    // 0.0.0.0: any IPv4 address; "::": any address of either family
    std::uint16_t local_port = 0;
    NetAddr remote{};
    std::uint16_t remote_port = 0;
    std::uint8_t ttl = 0; // 0: default
    std::uint8_t tos = 0;
    SocketCallback callback = nullptr;
    void* context = nullptr;
    Ring<Datagram, config::udp_rx_queue> rx;
    std::uint32_t rx_dropped = 0; // datagrams dropped because rx was full
    std::array<Membership, multicast_memberships> memberships{};
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

// Multicast reception (RFC 3376 3 / RFC 3810 3 service interface, RFC 3678 socket API shape), for IPv4 groups
// (IGMP) and IPv6 groups (MLD) alike, on the interface `ifindex`. A socket receives a datagram sent to a
// group only if it joined the group on the interface the datagram arrived on and its filter admits the
// datagram's source (the all-hosts / all-nodes groups need no join: a socket without a membership for them
// takes them from any source). The socket's memberships of a device are merged with the other sockets'
// into the interface state (RFC 3376 3.2 / RFC 3810 4.2), whose changes IGMP / MLD report. close() leaves
// every group.
//
// set_filter: the socket's whole filter for a group: INCLUDE(sources) or EXCLUDE(sources); INCLUDE with no
// sources leaves the group. Errors: Invalid (bad handle, group not multicast or of a family not built, a
// source of another family or multicast, no such interface), Exhausted (config::udp_multicast_memberships
// groups already joined, more than config::udp_multicast_sources sources, or the device's merged filter or
// group table has no room: nothing changed).
SocketError set_filter(Stack& stack, SocketHandle socket, IfIndex ifindex, const IpAddr& group,
                       FilterMode mode, std::span<const IpAddr> sources);
// The socket's filter for a group: Ok with the mode and up to out.size() sources (count: all of them);
// AddressNotAvailable when the socket has no membership of the group on that interface.
SocketError get_filter(Stack& stack, SocketHandle socket, IfIndex ifindex, const IpAddr& group,
                       FilterMode& mode, std::span<IpAddr> out, std::size_t& count);
// RFC 3678 4.1.1 any-source: join (EXCLUDE({}); AddressInUse if already a member) and leave
// (AddressNotAvailable if not a member).
SocketError join_group(Stack& stack, SocketHandle socket, IfIndex ifindex, const IpAddr& group);
SocketError leave_group(Stack& stack, SocketHandle socket, IfIndex ifindex, const IpAddr& group);
// RFC 3678 4.1.3 source-specific (INCLUDE mode): add / remove one source (Invalid if the membership is in
// EXCLUDE mode; AddressInUse if the source is already included, AddressNotAvailable if it is not). The
// last source removed leaves the group.
SocketError join_source_group(Stack& stack, SocketHandle socket, IfIndex ifindex, const IpAddr& group,
                              const IpAddr& source);
SocketError leave_source_group(Stack& stack, SocketHandle socket, IfIndex ifindex, const IpAddr& group,
                               const IpAddr& source);
// RFC 3678 4.1.2 any-source with blocked sources (EXCLUDE mode, after join_group): block / unblock one
// source (AddressNotAvailable if not joined, Invalid in INCLUDE mode, AddressInUse / AddressNotAvailable for
// a source already blocked / not blocked).
SocketError block_source(Stack& stack, SocketHandle socket, IfIndex ifindex, const IpAddr& group,
                         const IpAddr& source);
SocketError unblock_source(Stack& stack, SocketHandle socket, IfIndex ifindex, const IpAddr& group,
                           const IpAddr& source);

} // namespace pico::udp
