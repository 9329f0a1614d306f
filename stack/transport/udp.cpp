// UDP (RFC 768, RFC 1122 4.1) and the UDP socket table.
//
// Input checks, in order, each with its drop reason:
//   1. at least the 8-byte header                                   -> Truncated
//   2. Length field >= 8 and <= the IP payload (RFC 768; bytes after Length are padding and are trimmed)
//                                                                   -> BadLength
//   3. checksum: zero means "not computed" and is accepted on IPv4 (RFC 768, RFC 1122 4.1.3.4); otherwise it
//      must verify over the IPv4 pseudo-header                      -> BadChecksum
//   4. a socket for the destination port (a connected socket only takes datagrams from its remote):
//      - unicast: the socket bound to the destination address, else the one bound to 0.0.0.0;
//      - broadcast: every socket bound to 0.0.0.0, to the broadcast address, or to one of our addresses on
//        the interface it arrived on; multicast: every socket bound to 0.0.0.0 or the group that joined the
//        group on the arrival interface with a filter admitting the source (RFC 3376 3.1-3.2, RFC 3810 3-4;
//        the all-hosts / all-nodes groups need no join). Each gets its own copy (RFC 1122 4.1.3.5 leaves the
//        choice to the host).
//      No socket: ICMP port unreachable for unicast (RFC 1122 4.1.3.1), nothing for broadcast/multicast (RFC
//      1122 3.2.2)                                                  -> NoSocket
//      Sockets on the port, but none joined the group here or admits the source  -> MulticastFiltered
//   5. the socket's receive queue has room                          -> QueueFull (and Socket::rx_dropped)
//
// Sockets and events:
//   - open() takes a socket from the table of config::udp_sockets. When the table is full it returns
//     -SocketError::Exhausted (a negative handle, as every failure).
//   - Readable is raised once per datagram queued. Writable is never raised: UDP sends never block (a send
//     either leaves at once or fails with an error code), so a UDP socket is always writable. (It cannot be
//     raised "right after open" either: the caller has no handle yet while open runs.)
//   - Error(Unreachable) is raised when an ICMP error quotes a datagram the socket sent (RFC 1122 4.1.3.3).
//   - Callbacks run inside the stack (input, icmp_error) and may call any socket operation, close included.
//
// Binding: an (address, port) pair is bound at most once (AddressInUse) unless every socket binding it set
// SocketOption::ReuseAddress first (several multicast receivers on one port); 0.0.0.0:P and 198.18.0.1:P may
// coexist, and unicast prefers the more specific. The address must be 0.0.0.0 or one of ours
// (AddressNotAvailable). Port 0 asks for an ephemeral port (RFC 6335 section 6) drawn from the platform's
// random source, never one any socket has bound.
#include "transport/udp.hpp"
#include "link/device.hpp"
#include "net/icmp4.hpp"
#include "net/icmp6.hpp"
#include "net/igmp.hpp"
#include "net/ipv4.hpp"
#include "net/ipv6.hpp"
#include "net/mld.hpp"
#include "port/platform.hpp"
#include "wire/udp.hpp"

namespace pico::udp {

namespace {

// Random draws for an ephemeral port before falling back to a linear probe from the last draw.
constexpr int ephemeral_random_attempts = 8;
constexpr std::size_t ephemeral_range = std::size_t{ephemeral_last} - ephemeral_first + 1;
constexpr std::size_t socket_count = config::udp_sockets;
constexpr std::size_t ipv4_header_len = 20;

NetAddr source_of(const RxMeta& meta) {
    return meta.ipv6 ? NetAddr::from(IpAddr{meta.src6}) : NetAddr::from(meta.src);
}
NetAddr destination_of(const RxMeta& meta) {
    return meta.ipv6 ? NetAddr::from(IpAddr{meta.dst6}) : NetAddr::from(meta.dst);
}

SocketHandle failure(SocketError error) {
    return static_cast<SocketHandle>(-static_cast<int>(error));
}

Socket* find(Stack& stack, SocketHandle handle) {
    if (handle < 0 || static_cast<std::size_t>(handle) >= socket_count) return nullptr;
    Socket& socket = state(stack).sockets[static_cast<std::size_t>(handle)];
    return socket.open ? &socket : nullptr;
}

void reset(Socket& socket) {
    socket.rx.clear(); // the queued frames go back to their pool
    socket.open = false;
    socket.bound = false;
    socket.connected = false;
    socket.broadcast = false;
    socket.reuse = false;
    socket.local = NetAddr{};
    socket.local_port = 0;
    socket.remote = NetAddr{};
    socket.remote_port = 0;
    socket.ttl = 0;
    socket.tos = 0;
    socket.callback = nullptr;
    socket.context = nullptr;
    socket.rx_dropped = 0;
    for (Membership& m : socket.memberships) // close() left the groups first
        m = Membership{};
}

void raise(Socket& socket, SocketHandle handle, SocketEvent event, SocketError error) {
    if (socket.callback != nullptr) socket.callback(socket.context, handle, event, error);
}

// ReuseAddress on both sockets lets them share the pair (several multicast receivers on one port).
bool binding_conflicts(Stack& stack, const Socket& socket, const NetAddr& address, std::uint16_t port) {
    for (const Socket& other : state(stack).sockets)
        if (other.open && other.bound && other.local_port == port && other.local == address &&
            !(other.reuse && socket.reuse))
            return true;
    return false;
}

bool port_in_use(Stack& stack, std::uint16_t port) {
    for (const Socket& other : state(stack).sockets)
        if (other.open && other.bound && other.local_port == port) return true;
    return false;
}

std::optional<std::uint16_t> pick_ephemeral_port(Stack& stack) {
    std::size_t offset = 0;
    for (int attempt = 0; attempt < ephemeral_random_attempts; ++attempt) {
        offset = platform(stack).random_u32() % ephemeral_range;
        auto port = static_cast<std::uint16_t>(ephemeral_first + offset);
        if (!port_in_use(stack, port)) return port;
    }
    // Unlucky draws: at most socket_count ports are taken, so socket_count + 1 consecutive ports hold a free
    // one.
    for (std::size_t step = 1; step <= socket_count + 1; ++step) {
        auto port = static_cast<std::uint16_t>(ephemeral_first + (offset + step) % ephemeral_range);
        if (!port_in_use(stack, port)) return port;
    }
    return std::nullopt;
}

bool is_ours(Stack& stack, const NetAddr& address) {
    if (address.is_v6()) {
        if constexpr (config::ipv6) return ipv6::is_local_any(stack, address.v6());
        return false;
    }
    if constexpr (config::ipv4) return ipv4::is_local_any(stack, address.v4);
    return false;
}

SocketError bind_socket(Stack& stack, Socket& socket, const NetAddr& address, std::uint16_t port) {
    if (!address.is_unspecified() && !is_ours(stack, address)) return SocketError::AddressNotAvailable;
    if (port == 0) {
        auto ephemeral = pick_ephemeral_port(stack);
        if (!ephemeral) return SocketError::AddressInUse;
        port = *ephemeral;
    } else if (binding_conflicts(stack, socket, address, port)) {
        return SocketError::AddressInUse;
    }
    socket.local = address;
    socket.local_port = port;
    socket.bound = true;
    return SocketError::Ok;
}

// Does the socket take a datagram to dst_port from src:src_port? (Its local address is checked by the
// callers, which differ for unicast and broadcast.)
bool port_and_peer_match(const Socket& socket, std::uint16_t dst_port, const NetAddr& src,
                         std::uint16_t src_port) {
    if (!socket.open || !socket.bound || socket.local_port != dst_port) return false;
    return !socket.connected || (socket.remote == src && socket.remote_port == src_port);
}

// The socket for a unicast datagram: bound to the destination address, else to 0.0.0.0; -1 if none.
// A wildcard-bound socket serves its family: 0.0.0.0 IPv4 only, "::" both.
bool wildcard_takes(const NetAddr& local, const NetAddr& dst) {
    return local.is_unspecified() && (local.is_v6() || !dst.is_v6());
}

SocketHandle unicast_socket(Stack& stack, std::uint16_t dst_port, const NetAddr& dst, const NetAddr& src,
                            std::uint16_t src_port) {
    State& s = state(stack);
    SocketHandle wildcard = -1;
    for (std::size_t i = 0; i < socket_count; ++i) {
        const Socket& socket = s.sockets[i];
        if (!port_and_peer_match(socket, dst_port, src, src_port)) continue;
        if (socket.local == dst) return static_cast<SocketHandle>(i);
        if (wildcard_takes(socket.local, dst) && wildcard < 0) wildcard = static_cast<SocketHandle>(i);
    }
    return wildcard;
}

bool takes_group_datagram(Stack& stack, const Socket& socket, std::uint16_t dst_port, std::uint16_t src_port,
                          const RxMeta& meta) {
    const NetAddr src = source_of(meta);
    const NetAddr dst = destination_of(meta);
    if (!port_and_peer_match(socket, dst_port, src, src_port)) return false;
    if (wildcard_takes(socket.local, dst) || socket.local == dst) return true;
    if constexpr (config::ipv4)
        return !meta.ipv6 && !socket.local.is_v6() && meta.ip_broadcast &&
               ipv4::is_local(stack, meta.ifindex, socket.local.v4);
    (void)stack;
    return false;
}

// ---- Multicast memberships (RFC 3376 3, RFC 3810 3)

static_assert(config::udp_multicast_sources <= 255, "a socket's source count is a byte");

// The groups every host is a member of, which a socket receives without joining (RFC 1112 4, RFC 4291 2.7.1).
bool permanent_group(const IpAddr& group) {
    return group.v6 ? group.v6addr == Ipv6Addr::all_nodes()
                    : group.v4addr == Ipv4Addr::from_octets(224, 0, 0, 1);
}

bool membership_has(const Membership& m, const IpAddr& source) {
    for (std::size_t k = 0; k < m.source_count && k < m.sources.size(); ++k)
        if (m.sources[k] == source) return true;
    return false;
}

bool membership_of(const Membership& m, IfIndex ifindex, const IpAddr& group) {
    return m.used && m.ifindex == ifindex && m.group == group;
}

Membership* find_membership(Socket& socket, IfIndex ifindex, const IpAddr& group) {
    for (Membership& m : socket.memberships)
        if (membership_of(m, ifindex, group)) return &m;
    return nullptr;
}

// RFC 3376 3.2 / RFC 3810 4.2: a socket takes a datagram to a group only if it joined the group on the
// arrival interface and its filter admits the source.
bool admits(const Socket& socket, IfIndex ifindex, const IpAddr& group, const IpAddr& source) {
    for (const Membership& m : socket.memberships)
        if (membership_of(m, ifindex, group))
            return (m.mode == FilterMode::Exclude) != membership_has(m, source);
    return permanent_group(group);
}

// The sockets' memberships of a group on a device merged (RFC 3376 3.2 / RFC 3810 4.2): any EXCLUDE gives
// EXCLUDE(the intersection of the EXCLUDE lists minus every INCLUDE source), else INCLUDE(the union).
struct Merged {
    bool exclude = false;
    std::size_t count = 0;
    std::array<IpAddr, config::multicast_sources> sources{};
};

// Does any open socket's membership of (ifindex, group) keep `source` out of the merged EXCLUDE list?
bool kept_out_of_exclude(const State& s, IfIndex ifindex, const IpAddr& group, const IpAddr& source) {
    for (const Socket& socket : s.sockets) {
        if (!socket.open) continue;
        for (const Membership& m : socket.memberships) {
            if (!membership_of(m, ifindex, group)) continue;
            if ((m.mode == FilterMode::Exclude) != membership_has(m, source)) return true;
        }
    }
    return false;
}

// False when an INCLUDE union does not fit config::multicast_sources.
bool merge_memberships(const State& s, IfIndex ifindex, const IpAddr& group, Merged& out) {
    const Membership* first_exclude = nullptr;
    for (const Socket& socket : s.sockets) {
        if (!socket.open) continue;
        for (const Membership& m : socket.memberships)
            if (first_exclude == nullptr && membership_of(m, ifindex, group) && m.mode == FilterMode::Exclude)
                first_exclude = &m;
    }
    if (first_exclude != nullptr) {
        out.exclude = true;
        for (std::size_t k = 0; k < first_exclude->source_count && k < first_exclude->sources.size(); ++k) {
            const IpAddr& source = first_exclude->sources[k];
            if (kept_out_of_exclude(s, ifindex, group, source)) continue;
            if (out.count >= out.sources.size()) return false; // cannot happen: bounded by one socket's list
            out.sources[out.count++] = source;
        }
        return true;
    }
    for (const Socket& socket : s.sockets) {
        if (!socket.open) continue;
        for (const Membership& m : socket.memberships) {
            if (!membership_of(m, ifindex, group)) continue;
            for (std::size_t k = 0; k < m.source_count && k < m.sources.size(); ++k) {
                const IpAddr& source = m.sources[k];
                bool known = false;
                for (std::size_t j = 0; j < out.count; ++j)
                    known = known || out.sources[j] == source;
                if (known) continue;
                if (out.count >= out.sources.size()) return false;
                out.sources[out.count++] = source;
            }
        }
    }
    return true;
}

// Hands the merged filter of (ifindex, group) to IGMP or MLD. With `fallback` an INCLUDE union that does
// not fit becomes EXCLUDE({}) (the device receives the whole group; each socket's filter still applies):
// used when a socket closes, which must not fail.
SocketError push_filter(Stack& stack, IfIndex ifindex, const IpAddr& group, bool fallback) {
    Merged merged;
    if (!merge_memberships(state(stack), ifindex, group, merged)) {
        if (!fallback) return SocketError::Exhausted;
        merged = Merged{};
        merged.exclude = true;
    }
    bool ok = false;
    if (group.v6) {
        if constexpr (config::mld) {
            std::array<Ipv6Addr, config::multicast_sources> list{};
            for (std::size_t k = 0; k < merged.count; ++k)
                list[k] = merged.sources[k].v6addr;
            ok = mld::set_socket_filter(stack, ifindex, group.v6addr, merged.exclude,
                                        std::span<const Ipv6Addr>{list.data(), merged.count});
        }
    } else {
        if constexpr (config::igmp) {
            std::array<Ipv4Addr, config::multicast_sources> list{};
            for (std::size_t k = 0; k < merged.count; ++k)
                list[k] = merged.sources[k].v4addr;
            ok = igmp::set_socket_filter(stack, ifindex, group.v4addr, merged.exclude,
                                         std::span<const Ipv4Addr>{list.data(), merged.count});
        }
    }
    return ok ? SocketError::Ok : SocketError::Exhausted;
}

// Leaves every group a socket joined (close).
void leave_all(Stack& stack, Socket& socket) {
    for (Membership& m : socket.memberships) {
        if (!m.used) continue;
        const IfIndex ifindex = m.ifindex;
        const IpAddr group = m.group;
        m = Membership{};
        (void)push_filter(stack, ifindex, group, true);
    }
}

// A broadcast or multicast datagram for this socket: the port and address match and, for multicast, the
// socket's membership admits it (RFC 3376 3.2 / RFC 3810 4.2).
bool wants_group_datagram(Stack& stack, const Socket& socket, std::uint16_t dst_port, std::uint16_t src_port,
                          const RxMeta& meta) {
    if (!takes_group_datagram(stack, socket, dst_port, src_port, meta)) return false;
    return !meta.ip_multicast ||
           admits(socket, meta.ifindex, destination_of(meta).ip(), source_of(meta).ip());
}

// Queues a datagram (UDP header still in front) on one socket and raises Readable.
void deliver(Stack& stack, SocketHandle handle, PacketBuf&& datagram, std::uint16_t src_port,
             const RxMeta& meta) {
    State& s = state(stack);
    Socket& socket = s.sockets[static_cast<std::size_t>(handle)];
    if (socket.rx.full()) {
        ++socket.rx_dropped;
        s.counters.count_drop(Drop::QueueFull);
        return;
    }
    datagram.pull(wire::udp::header_len);
    socket.rx.push(
        Datagram{std::move(datagram), source_of(meta), src_port, destination_of(meta), meta.ifindex});
    raise(socket, handle, SocketEvent::Readable, SocketError::Ok);
}

// The interface owning a local address, for limited broadcasts from a socket bound to that address.
IfIndex interface_of(Stack& stack, Ipv4Addr address) {
    for (std::size_t i = 0; i < config::max_devices; ++i)
        if (ipv4::is_local(stack, static_cast<IfIndex>(i), address)) return static_cast<IfIndex>(i);
    return no_interface;
}

// Our first address on an interface (the source of a limited broadcast from an unbound socket).
Ipv4Addr first_address(Stack& stack, IfIndex ifindex) {
    if (ifindex >= config::max_devices) return Ipv4Addr{};
    for (const ipv4::Address& a : ipv4::state(stack).addresses[ifindex])
        if (a.used) return a.address;
    return Ipv4Addr{};
}

// The first interface with an IPv4 address, for a limited broadcast from an unbound socket without a route.
IfIndex first_configured_interface(Stack& stack) {
    for (std::size_t i = 0; i < config::max_devices; ++i)
        if (device(stack, static_cast<IfIndex>(i)) != nullptr &&
            !first_address(stack, static_cast<IfIndex>(i)).is_unspecified())
            return static_cast<IfIndex>(i);
    return no_interface;
}

} // namespace

void input(Stack& stack, PacketBuf&& datagram, const RxMeta& meta) {
    State& s = state(stack);
    ++s.counters.rx;
    switch (wire::udp::View::check(datagram.bytes())) {
    case wire::udp::Malformed::Truncated:
        s.counters.count_drop(Drop::Truncated);
        return;
    case wire::udp::Malformed::BadLength:
        s.counters.count_drop(Drop::BadLength);
        return;
    case wire::udp::Malformed::None:
        break;
    }
    auto view = wire::udp::View::parse(datagram.bytes());
    if (!view) { // cannot happen after check(); kept so the view is never used unchecked
        s.counters.count_drop(Drop::BadLength);
        return;
    }
    const std::uint16_t src_port = view->source_port();
    const std::uint16_t dst_port = view->destination_port();
    const bool checksum_ok = meta.ipv6 ? view->verify_checksum_ipv6(meta.src6, meta.dst6)
                                       : view->verify_checksum_ipv4(meta.src.value, meta.dst.value);
    if (!config::skip_checksum_verify && !checksum_ok) {
        s.counters.count_drop(Drop::BadChecksum);
        return;
    }
    datagram.trim(view->length()); // bytes after the UDP length are link or IP padding

    if (!meta.ip_broadcast && !meta.ip_multicast) {
        SocketHandle handle =
            unicast_socket(stack, dst_port, destination_of(meta), source_of(meta), src_port);
        if (handle >= 0) {
            deliver(stack, handle, std::move(datagram), src_port, meta);
            return;
        }
        s.counters.count_drop(Drop::NoSocket);
        // RFC 1122 4.1.3.1: port unreachable, quoting the IP header and 8 bytes (icmp4 applies the rate limit
        // and the RFC 1122 3.2.2 suppression rules); RFC 4443 3.1 code 4 for IPv6 (icmp6 applies 2.4).
        if (meta.ipv6) {
            if constexpr (config::icmp6) {
                icmp6::send_error(stack, icmp6::type_dest_unreachable, icmp6::code_port_unreachable, datagram,
                                  meta);
            }
            return;
        }
        if constexpr (config::icmp4) {
            icmp4::send_error(stack, icmp4::type_dest_unreachable, icmp4::code_port_unreachable, datagram,
                              meta);
        }
        return;
    }

    // Broadcast or multicast: every matching socket. Collect them first, since a callback may open or close
    // sockets while we deliver.
    std::array<SocketHandle, socket_count> targets{};
    std::size_t target_count = 0;
    bool filtered = false; // a socket bound to the port did not join the group here, or blocks the source
    for (std::size_t i = 0; i < socket_count; ++i) {
        if (wants_group_datagram(stack, s.sockets[i], dst_port, src_port, meta))
            targets[target_count++] = static_cast<SocketHandle>(i);
        else if (takes_group_datagram(stack, s.sockets[i], dst_port, src_port, meta))
            filtered = true;
    }
    if (target_count == 0) {
        // Never an ICMP error about a broadcast or multicast (RFC 1122 3.2.2).
        s.counters.count_drop(filtered ? Drop::MulticastFiltered : Drop::NoSocket);
        return;
    }
    for (std::size_t t = 0; t < target_count; ++t) {
        SocketHandle handle = targets[t];
        if (!wants_group_datagram(stack, s.sockets[static_cast<std::size_t>(handle)], dst_port, src_port,
                                  meta)) {
            s.counters.count_drop(Drop::NoSocket); // closed by an earlier socket's callback
            continue;
        }
        if (t + 1 == target_count) { // the last one takes the received frame itself
            deliver(stack, handle, std::move(datagram), src_port, meta);
            break;
        }
        auto copy = frames(stack).allocate_copy(datagram.bytes(), 0);
        if (!copy) {
            s.counters.count_drop(Drop::PoolExhausted);
            continue;
        }
        deliver(stack, handle, std::move(*copy), src_port, meta);
    }
}

void icmp_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ip_datagram) {
    (void)code;
    State& s = state(stack);
    // RFC 6633: source quench is deprecated and silently ignored; other errors go to the application.
    if (type == icmp4::type_source_quench) return;
    if (quoted_ip_datagram.size() < 20) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    std::size_t ihl = std::size_t{quoted_ip_datagram[0] & 0x0fu} * 4;
    if (ihl < 20 || quoted_ip_datagram.size() < ihl + wire::udp::header_len) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    const std::uint8_t* ip = quoted_ip_datagram.data();
    Ipv4Addr our_address = Ipv4Addr::load(ip + 12);
    Ipv4Addr their_address = Ipv4Addr::load(ip + 16);
    std::uint16_t our_port = load_be16(ip + ihl + wire::udp::field::source_port);
    std::uint16_t their_port = load_be16(ip + ihl + wire::udp::field::destination_port);
    // The socket that sent it: the datagram went from our_address:our_port to their_address:their_port.
    SocketHandle handle =
        unicast_socket(stack, our_port, NetAddr::from(our_address), NetAddr::from(their_address), their_port);
    if (handle >= 0) {
        raise(s.sockets[static_cast<std::size_t>(handle)], handle, SocketEvent::Error,
              SocketError::Unreachable);
        return;
    }
    s.counters.count_drop(Drop::NoSocket);
}

void icmp6_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ipv6_packet) {
    (void)type;
    (void)code;
    State& s = state(stack);
    // We send UDP without extension headers: the quote is the 40-byte IPv6 header and the UDP header.
    constexpr std::size_t header = 40;
    constexpr std::uint8_t next_header_udp = 17;
    if (quoted_ipv6_packet.size() < header + wire::udp::header_len ||
        quoted_ipv6_packet[6] != next_header_udp) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    const std::uint8_t* ip = quoted_ipv6_packet.data();
    const NetAddr ours = NetAddr::from(IpAddr{Ipv6Addr::load(ip + 8)});
    const NetAddr theirs = NetAddr::from(IpAddr{Ipv6Addr::load(ip + 24)});
    std::uint16_t our_port = load_be16(ip + header + wire::udp::field::source_port);
    std::uint16_t their_port = load_be16(ip + header + wire::udp::field::destination_port);
    SocketHandle handle = unicast_socket(stack, our_port, ours, theirs, their_port);
    if (handle >= 0) {
        raise(s.sockets[static_cast<std::size_t>(handle)], handle, SocketEvent::Error,
              SocketError::Unreachable);
        return;
    }
    s.counters.count_drop(Drop::NoSocket);
}

SocketHandle open(Stack& stack, SocketCallback callback, void* context) {
    State& s = state(stack);
    for (std::size_t i = 0; i < socket_count; ++i) {
        Socket& socket = s.sockets[i];
        if (socket.open) continue;
        reset(socket);
        socket.open = true;
        socket.callback = callback;
        socket.context = context;
        return static_cast<SocketHandle>(i);
    }
    return failure(SocketError::Exhausted);
}

SocketError bind(Stack& stack, SocketHandle handle, const IpAddr& address, std::uint16_t port) {
    Socket* socket = find(stack, handle);
    if (socket == nullptr || socket->bound) return SocketError::Invalid;
    if (address.v6 && !config::ipv6) return SocketError::AddressNotAvailable;
    return bind_socket(stack, *socket, NetAddr::from(address), port);
}

namespace {
// The wildcard of an address's family, for binding an unbound socket on its first connect/send_to.
NetAddr wildcard_for(const IpAddr& address) {
    return address.v6 ? NetAddr::any_v6() : NetAddr::any();
}
// May a socket bound to `local` talk to `remote`? A specific address fixes the family; so does 0.0.0.0.
bool family_fits(const NetAddr& local, const IpAddr& remote) {
    if (local.is_unspecified()) return local.is_v6() || !remote.v6;
    return local.is_v6() == remote.v6;
}
} // namespace

SocketError connect(Stack& stack, SocketHandle handle, const IpAddr& address, std::uint16_t port) {
    Socket* socket = find(stack, handle);
    if (socket == nullptr || port == 0 || address.is_unspecified()) return SocketError::Invalid;
    if (address.v6 && !config::ipv6) return SocketError::Invalid;
    if (!socket->bound) {
        SocketError error = bind_socket(stack, *socket, wildcard_for(address), 0);
        if (error != SocketError::Ok) return error;
    }
    if (!family_fits(socket->local, address)) return SocketError::Invalid;
    socket->remote = NetAddr::from(address);
    socket->remote_port = port;
    socket->connected = true;
    return SocketError::Ok;
}

namespace {

// A frame from the pool holding the UDP header and data, checksum not yet filled; nullopt when the pool is
// empty (counted).
std::optional<PacketBuf> build_datagram(Stack& stack, const Socket& socket, Bytes data, std::uint16_t port) {
    const std::size_t udp_len = wire::udp::header_len + data.size();
    auto frame = frames(stack).allocate(config::frame_headroom);
    if (!frame) {
        state(stack).counters.count_drop(Drop::PoolExhausted);
        return std::nullopt;
    }
    std::uint8_t* at = frame->append(udp_len); // fits: the callers checked it against the frame size
    wire::udp::Repr repr{socket.local_port, port, static_cast<std::uint16_t>(data.size())};
    repr.emit(MutBytes{at, udp_len});
    copy_bytes(at + wire::udp::header_len, data.data(), data.size());
    return frame;
}

// A datagram must fit one pool frame behind the headroom the layers below push their headers into; larger
// than the path MTU is the IP layer's business (fragmentation, or TooBig where it is not built).
bool fits_frame(Stack& stack, std::size_t udp_len) {
    return config::frame_headroom + udp_len <= frames(stack).frame_size();
}

SocketError send_to_v6(Stack& stack, Socket& socket, Bytes data, const Ipv6Addr& address,
                       std::uint16_t port) {
    State& s = state(stack);
    if constexpr (config::ipv6) {
        auto route = ipv6::route(stack, address);
        if (!route) {
            s.counters.count_drop(Drop::NoRoute);
            return SocketError::NoRoute;
        }
        const Ipv6Addr source = socket.local.is_unspecified() ? route->source : socket.local.v6();
        const std::size_t udp_len = wire::udp::header_len + data.size();
        if (!fits_frame(stack, udp_len)) {
            s.counters.count_drop(Drop::TooBig);
            return SocketError::TooBig;
        }
        if (!socket.bound) {
            SocketError error = bind_socket(stack, socket, NetAddr::any_v6(), 0);
            if (error != SocketError::Ok) return error;
        }
        auto frame = build_datagram(stack, socket, data, port);
        if (!frame) return SocketError::WouldBlock; // no buffer now
        wire::udp::fill_checksum_ipv6(frame->bytes(), source, address);
        ipv6::SendParams params;
        params.source = source;
        params.destination = address;
        params.next_header = ipv6::nh_udp;
        // RFC 3493 5.2: multicast hop limit 1 unless the application asked for more.
        params.hop_limit =
            socket.ttl != 0 ? socket.ttl : (address.is_multicast() ? std::uint8_t{1} : std::uint8_t{0});
        params.traffic_class = socket.tos;
        params.ifindex = route->ifindex;
        if (!ipv6::send(stack, params, std::move(*frame))) return SocketError::NoRoute; // counted by ipv6
        ++s.counters.tx;
        return SocketError::Ok;
    }
    (void)socket;
    (void)data;
    (void)address;
    (void)port;
    s.counters.count_drop(Drop::NoRoute);
    return SocketError::NoRoute;
}

} // namespace

SocketError send_to(Stack& stack, SocketHandle handle, Bytes data, const IpAddr& destination,
                    std::uint16_t port) {
    State& s = state(stack);
    Socket* socket = find(stack, handle);
    if (socket == nullptr || port == 0 || destination.is_unspecified()) return SocketError::Invalid;
    if (data.size() > wire::udp::max_payload_len) return SocketError::TooBig;
    if (socket->bound && !family_fits(socket->local, destination)) return SocketError::Invalid;
    if (destination.v6) return send_to_v6(stack, *socket, data, destination.v6addr, port);
    const Ipv4Addr address = destination.v4addr;

    // Where it goes: the route; for the limited broadcast, the interface of the bound address, else the
    // route's (a default route), else the first interface with an address.
    auto route = ipv4::route(stack, address);
    IfIndex ifindex = route ? route->ifindex : no_interface;
    if (address.is_limited_broadcast()) {
        if (!socket->local.is_unspecified()) ifindex = interface_of(stack, socket->local.v4);
        if (ifindex == no_interface) ifindex = first_configured_interface(stack);
    }
    if (ifindex == no_interface) {
        s.counters.count_drop(Drop::NoRoute);
        return SocketError::NoRoute;
    }
    const bool broadcast = address.is_limited_broadcast() || ipv4::is_broadcast(stack, ifindex, address);
    if (broadcast && !socket->broadcast) return SocketError::Invalid; // like SO_BROADCAST
    Ipv4Addr source = socket->local.v4;
    if (source.is_unspecified())
        source = route && !address.is_limited_broadcast() ? route->source : first_address(stack, ifindex);

    // Without IPv4 fragmentation built, the IP header (20 bytes, we send no options) and the datagram must
    // fit the device MTU; always a pool frame.
    const std::size_t udp_len = wire::udp::header_len + data.size();
    Device* dev = device(stack, ifindex);
    const bool over_mtu = dev != nullptr && ipv4_header_len + udp_len > dev->mtu();
    if ((over_mtu && !config::ipv4_fragmentation) || !fits_frame(stack, udp_len)) {
        s.counters.count_drop(Drop::TooBig);
        return SocketError::TooBig;
    }

    if (!socket->bound) {
        SocketError error = bind_socket(stack, *socket, NetAddr::any(), 0);
        if (error != SocketError::Ok) return error;
    }

    auto frame = build_datagram(stack, *socket, data, port);
    if (!frame) return SocketError::WouldBlock; // no buffer now
    wire::udp::fill_checksum_ipv4(frame->bytes(), source.value, address.value);

    ipv4::SendParams params;
    params.source = source;
    params.destination = address;
    params.protocol = ipv4::proto_udp;
    // RFC 1112 6.1: multicast defaults to TTL 1 unless the application asked for more.
    params.ttl =
        socket->ttl != 0 ? socket->ttl : (address.is_multicast() ? std::uint8_t{1} : std::uint8_t{0});
    params.tos = socket->tos;
    params.ifindex = address.is_limited_broadcast() ? ifindex : no_interface;
    if (!ipv4::send(stack, params, std::move(*frame))) return SocketError::NoRoute; // counted by ipv4
    ++s.counters.tx;
    return SocketError::Ok;
}

SocketError send(Stack& stack, SocketHandle handle, Bytes data) {
    Socket* socket = find(stack, handle);
    if (socket == nullptr) return SocketError::Invalid;
    if (!socket->connected) return SocketError::NotConnected;
    return send_to(stack, handle, data, socket->remote.ip(), socket->remote_port);
}

SocketError recv_from(Stack& stack, SocketHandle handle, MutBytes out, RecvInfo& info) {
    Socket* socket = find(stack, handle);
    if (socket == nullptr) return SocketError::Invalid;
    auto datagram = socket->rx.pop();
    if (!datagram) return SocketError::WouldBlock;
    const std::size_t len = datagram->payload.size();
    const std::size_t copied = len < out.size() ? len : out.size();
    copy_bytes(out.data(), datagram->payload.data(), copied);
    info.copied = copied;
    info.datagram_len = len;
    info.source = datagram->source.ip();
    info.source_port = datagram->source_port;
    info.destination = datagram->destination.ip();
    return SocketError::Ok;
}

SocketError close(Stack& stack, SocketHandle handle) {
    Socket* socket = find(stack, handle);
    if (socket == nullptr) return SocketError::Invalid;
    leave_all(stack, *socket);
    reset(*socket);
    return SocketError::Ok;
}

SocketError set_option(Stack& stack, SocketHandle handle, SocketOption option, int value) {
    Socket* socket = find(stack, handle);
    if (socket == nullptr) return SocketError::Invalid;
    switch (option) {
    case SocketOption::Ttl:
        if (value < 1 || value > 255) return SocketError::Invalid;
        socket->ttl = static_cast<std::uint8_t>(value);
        return SocketError::Ok;
    case SocketOption::Tos:
        if (value < 0 || value > 255) return SocketError::Invalid;
        socket->tos = static_cast<std::uint8_t>(value);
        return SocketError::Ok;
    case SocketOption::Broadcast:
        socket->broadcast = value != 0;
        return SocketError::Ok;
    case SocketOption::ReuseAddress:
        socket->reuse = value != 0;
        return SocketError::Ok;
    case SocketOption::RxQueue:
        break; // read-only
    default:
        break; // TCP options do not apply to UDP
    }
    return SocketError::Invalid;
}

SocketError get_option(Stack& stack, SocketHandle handle, SocketOption option, int& value) {
    Socket* socket = find(stack, handle);
    if (socket == nullptr) return SocketError::Invalid;
    switch (option) {
    case SocketOption::Ttl:
        value = socket->ttl != 0 ? socket->ttl : ipv4::state(stack).ttl;
        return SocketError::Ok;
    case SocketOption::Tos:
        value = socket->tos;
        return SocketError::Ok;
    case SocketOption::Broadcast:
        value = socket->broadcast ? 1 : 0;
        return SocketError::Ok;
    case SocketOption::ReuseAddress:
        value = socket->reuse ? 1 : 0;
        return SocketError::Ok;
    case SocketOption::RxQueue:
        value = static_cast<int>(socket->rx.size());
        return SocketError::Ok;
    default:
        break; // TCP options do not apply to UDP
    }
    return SocketError::Invalid;
}

SocketError local_endpoint(Stack& stack, SocketHandle handle, IpAddr& address, std::uint16_t& port) {
    Socket* socket = find(stack, handle);
    if (socket == nullptr) return SocketError::Invalid;
    if (!socket->bound) return SocketError::NotBound;
    address = socket->local.ip();
    port = socket->local_port;
    return SocketError::Ok;
}

namespace {

// The checks common to the multicast calls; the socket, or nullptr with `error` set.
Socket* multicast_socket(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group,
                         SocketError& error) {
    Socket* socket = find(stack, handle);
    error = SocketError::Invalid;
    if (socket == nullptr || !group.is_multicast() || device(stack, ifindex) == nullptr) return nullptr;
    if (!(group.v6 ? config::mld : config::igmp)) return nullptr;
    error = SocketError::Ok;
    return socket;
}

bool valid_source(const IpAddr& group, const IpAddr& source) {
    return source.v6 == group.v6 && !source.is_unspecified() && !source.is_multicast();
}

// Sets the socket's membership of (ifindex, group) to mode(sources) and the device's merged filter with it;
// on failure nothing changed.
SocketError apply_membership(Stack& stack, Socket& socket, IfIndex ifindex, const IpAddr& group,
                             FilterMode mode, std::span<const IpAddr> sources) {
    const bool leaving = mode == FilterMode::Include && sources.empty();
    Membership* slot = find_membership(socket, ifindex, group);
    if (slot == nullptr && leaving) return SocketError::Ok;
    if (slot == nullptr) {
        for (Membership& m : socket.memberships) {
            if (!m.used) {
                slot = &m;
                break;
            }
        }
        if (slot == nullptr) return SocketError::Exhausted;
    }
    Membership next{};
    if (!leaving) {
        next.used = true;
        next.mode = mode;
        next.ifindex = ifindex;
        next.group = group;
        for (const IpAddr& source : sources) {
            if (membership_has(next, source)) continue;
            if (next.source_count >= next.sources.size()) return SocketError::Exhausted;
            next.sources[next.source_count++] = source;
        }
    }
    const Membership previous = *slot;
    *slot = next;
    SocketError error = push_filter(stack, ifindex, group, false);
    if (error != SocketError::Ok) *slot = previous; // IGMP / MLD changed nothing either
    return error;
}

// The socket's current sources for a group, for the one-source calls to edit.
struct SourceList {
    std::size_t count = 0;
    std::array<IpAddr, config::udp_multicast_sources> items{};
    bool has(const IpAddr& a) const {
        for (std::size_t k = 0; k < count; ++k)
            if (items[k] == a) return true;
        return false;
    }
    void remove(const IpAddr& a) {
        for (std::size_t k = 0; k < count; ++k) {
            if (items[k] == a) {
                items[k] = items[count - 1];
                --count;
                return;
            }
        }
    }
    std::span<const IpAddr> span() const { return std::span<const IpAddr>{items.data(), count}; }
};

SourceList sources_of(const Membership* m) {
    SourceList list;
    if (m == nullptr) return list;
    for (std::size_t k = 0; k < m->source_count && k < list.items.size(); ++k)
        list.items[list.count++] = m->sources[k];
    return list;
}

// join_source_group / block_source (add) and leave_source_group / unblock_source (remove).
SocketError edit_source(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group,
                        const IpAddr& source, FilterMode mode, bool add) {
    SocketError error = SocketError::Ok;
    Socket* socket = multicast_socket(stack, handle, ifindex, group, error);
    if (socket == nullptr) return error;
    if (!valid_source(group, source)) return SocketError::Invalid;
    Membership* m = find_membership(*socket, ifindex, group);
    // INCLUDE-mode sources may start a membership; EXCLUDE-mode ones need the any-source join first.
    if (m == nullptr && (mode == FilterMode::Exclude || !add)) return SocketError::AddressNotAvailable;
    if (m != nullptr && m->mode != mode) return SocketError::Invalid;
    SourceList list = sources_of(m);
    if (add) {
        if (list.has(source)) return SocketError::AddressInUse;
        if (list.count >= list.items.size()) return SocketError::Exhausted;
        list.items[list.count++] = source;
    } else {
        if (!list.has(source)) return SocketError::AddressNotAvailable;
        list.remove(source);
    }
    return apply_membership(stack, *socket, ifindex, group, mode, list.span());
}

} // namespace

SocketError set_filter(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group,
                       FilterMode mode, std::span<const IpAddr> sources) {
    SocketError error = SocketError::Ok;
    Socket* socket = multicast_socket(stack, handle, ifindex, group, error);
    if (socket == nullptr) return error;
    for (const IpAddr& source : sources)
        if (!valid_source(group, source)) return SocketError::Invalid;
    return apply_membership(stack, *socket, ifindex, group, mode, sources);
}

SocketError get_filter(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group,
                       FilterMode& mode, std::span<IpAddr> out, std::size_t& count) {
    Socket* socket = find(stack, handle);
    if (socket == nullptr) return SocketError::Invalid;
    const Membership* m = find_membership(*socket, ifindex, group);
    if (m == nullptr) return SocketError::AddressNotAvailable;
    mode = m->mode;
    count = m->source_count;
    for (std::size_t k = 0; k < m->source_count && k < out.size() && k < m->sources.size(); ++k)
        out[k] = m->sources[k];
    return SocketError::Ok;
}

SocketError join_group(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group) {
    SocketError error = SocketError::Ok;
    Socket* socket = multicast_socket(stack, handle, ifindex, group, error);
    if (socket == nullptr) return error;
    if (find_membership(*socket, ifindex, group) != nullptr) return SocketError::AddressInUse;
    return apply_membership(stack, *socket, ifindex, group, FilterMode::Exclude, {});
}

SocketError leave_group(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group) {
    SocketError error = SocketError::Ok;
    Socket* socket = multicast_socket(stack, handle, ifindex, group, error);
    if (socket == nullptr) return error;
    if (find_membership(*socket, ifindex, group) == nullptr) return SocketError::AddressNotAvailable;
    return apply_membership(stack, *socket, ifindex, group, FilterMode::Include, {});
}

SocketError join_source_group(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group,
                              const IpAddr& source) {
    return edit_source(stack, handle, ifindex, group, source, FilterMode::Include, true);
}

SocketError leave_source_group(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group,
                               const IpAddr& source) {
    return edit_source(stack, handle, ifindex, group, source, FilterMode::Include, false);
}

SocketError block_source(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group,
                         const IpAddr& source) {
    return edit_source(stack, handle, ifindex, group, source, FilterMode::Exclude, true);
}

SocketError unblock_source(Stack& stack, SocketHandle handle, IfIndex ifindex, const IpAddr& group,
                           const IpAddr& source) {
    return edit_source(stack, handle, ifindex, group, source, FilterMode::Exclude, false);
}

} // namespace pico::udp
