// ICMP errors about segments we sent (RFC 1122 4.2.3.9, RFC 5927, RFC 1191, RFC 6633).
//
//   - The quote must name a connection and carry a sequence number in SND.UNA..SND.MAX (RFC 5927 4.1:
//     blind ICMP attacks); otherwise the error is ignored and counted (NoSocket / OutOfWindow).
//   - Source quench: ignored (RFC 6633).
//   - Destination unreachable, protocol (2) or port (3) unreachable: a hard error, which aborts the
//     connection (RFC 9293 3.9.2.2 SHLD-26, RFC 1122 4.2.3.9): in SYN-SENT with ConnectionRefused, in the
//     other states with Unreachable. (The sequence number check above is what keeps blind attackers from
//     using it, RFC 5927 4.1.)
//   - Fragmentation needed (4): path MTU discovery (RFC 1191): the MSS falls to the next-hop MTU - 40 when
//     that MTU is believable (> 68) and smaller than the path's; the first unacknowledged segment is sent
//     again at the new size.
//   - Every other destination unreachable code (net, host, source route failed, ...), time exceeded and
//     parameter problem: a soft error, reported only if the connection then times out (the error then is
//     Unreachable instead of TimedOut).
#include "transport/tcp/internal.hpp"
#include "transport/tcp/tx.hpp"
#include <algorithm>

namespace pico::tcp {

using namespace detail;

namespace {

constexpr std::uint8_t type_dest_unreachable = 3;
constexpr std::uint8_t type_source_quench = 4;
constexpr std::uint8_t type_time_exceeded = 11;
constexpr std::uint8_t type_parameter_problem = 12;
constexpr std::uint8_t code_protocol_unreachable = 2;
constexpr std::uint8_t code_port_unreachable = 3;
constexpr std::uint8_t code_fragmentation_needed = 4;

void path_mtu_decreased(Stack& stack, Tcb& t, std::uint32_t next_hop_mtu) {
    State& s = state(stack);
    const bool v6 = t.remote.is_v6();
    if (v6) {
        // RFC 8201 4: a Packet Too Big below 1280 is not believed below 1280 (IPv6's minimum link MTU).
        if (next_hop_mtu < net::min_mtu(true)) next_hop_mtu = net::min_mtu(true);
    } else if (next_hop_mtu < net::min_path_mtu) { // RFC 1191 / 791: 68 is the least every path carries
        s.counters.count_drop(Drop::BadLength);
        return;
    }
    const std::uint16_t mss = net::mss_for_mtu(next_hop_mtu, v6);
    if (mss >= t.path_mss) return; // not a decrease
    t.path_mss = mss;
    if (t.state == TcpState::SynSent || t.state == TcpState::SynReceived) return;
    t.cc.set_mss(smss(t));
    // What is in flight was too big: send the first segment again at the new size (RFC 1191 6.5).
    t.snd_nxt = t.snd_una;
    output(stack, t);
}

} // namespace

void icmp_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ip_datagram,
                std::uint32_t rest_of_header) {
    State& s = state(stack);
    if (type == type_source_quench) return; // RFC 6633: silently ignored
    auto quoted = net::parse_quoted(quoted_ip_datagram);
    if (!quoted) return s.counters.count_drop(Drop::Truncated);
    auto header = wire::tcp::Quoted::parse(quoted->tcp);
    if (!header) return s.counters.count_drop(Drop::Truncated);
    Tcb* t =
        find_connection(stack, quoted->local, header->source_port, quoted->remote, header->destination_port);
    if (t == nullptr || t->state == TcpState::TimeWait) return s.counters.count_drop(Drop::NoSocket);
    // RFC 5927 4.1: only an error about data in flight (SND.UNA =< SEG.SEQ < SND.MAX) is believed.
    const SeqNum seq{header->seq};
    if (!(t->snd_una <= seq && seq < t->snd_max)) return s.counters.count_drop(Drop::OutOfWindow);

    if (type == type_dest_unreachable) {
        if (code == code_fragmentation_needed) return path_mtu_decreased(stack, *t, rest_of_header & 0xffff);
        if (code == code_protocol_unreachable || code == code_port_unreachable) {
            enter_closed(stack, *t,
                         t->state == TcpState::SynSent ? SocketError::ConnectionRefused
                                                       : SocketError::Unreachable);
            return deliver_events(stack);
        }
        t->soft_error = SocketError::Unreachable;
        return;
    }
    if (type == type_time_exceeded || type == type_parameter_problem) {
        t->soft_error = SocketError::Unreachable;
        return;
    }
    s.counters.count_drop(Drop::BadOperation);
}

// ICMPv6 errors (RFC 4443) take the same paths as their ICMPv4 counterparts (RFC 5927, RFC 1122 4.2.3.9):
// Packet Too Big is "fragmentation needed" (RFC 8201), port unreachable is a hard error like ICMPv4's port
// unreachable, every other error is soft.
void icmp6_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ipv6_packet,
                 std::uint32_t parameter) {
    constexpr std::uint8_t type6_dest_unreachable = 1;
    constexpr std::uint8_t type6_packet_too_big = 2;
    constexpr std::uint8_t type6_time_exceeded = 3;
    constexpr std::uint8_t type6_parameter_problem = 4;
    constexpr std::uint8_t code6_port_unreachable = 4;
    switch (type) {
    case type6_packet_too_big: {
        // The MTU is 32 bits wide; anything above 65,535 is no constraint for a 16-bit MSS path.
        const std::uint32_t mtu = parameter > 0xffff ? 0xffff : parameter;
        return icmp_error(stack, type_dest_unreachable, code_fragmentation_needed, quoted_ipv6_packet, mtu);
    }
    case type6_dest_unreachable:
        return icmp_error(stack, type_dest_unreachable,
                          code == code6_port_unreachable ? code_port_unreachable : std::uint8_t{1},
                          quoted_ipv6_packet);
    case type6_time_exceeded:
        return icmp_error(stack, type_time_exceeded, code, quoted_ipv6_packet);
    case type6_parameter_problem:
        return icmp_error(stack, type_parameter_problem, 0, quoted_ipv6_packet);
    default:
        // RFC 4443 2.4 (a): an error of unknown type (0-127) is still passed to the connection: a soft error
        // (reported if the connection then times out), never an abort.
        if (type < 128) return icmp_error(stack, type_parameter_problem, 0, quoted_ipv6_packet);
        state(stack).counters.count_drop(Drop::BadOperation);
    }
}

} // namespace pico::tcp
