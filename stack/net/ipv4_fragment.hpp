// IPv4 fragmentation on send (RFC 791 3.2 and 2.3, RFC 1122 3.3.3), option PICO_IPV4_FRAGMENTATION.
//
// ipv4::send calls fragment() for a datagram larger than the path MTU whose sender did not set Don't
// Fragment. Each fragment is a pool frame of its own: a copy of the header (same Identification, TTL, TOS,
// protocol, addresses), the options whose copy flag is set (RFC 791 3.1; the only option we send, Router
// Alert, has it: every fragment carries it), More Fragments on all but the last, and the offset in 8-octet
// units. The data of every fragment but the last is the largest multiple of 8 octets that fits the MTU after
// the header.
//
// All or nothing: the fragments needed are counted first and if the frame pool has fewer free frames nothing
// is sent (PoolExhausted); a frame that cannot be allocated after all (the pool shrank under us) drops the
// rest of the datagram (PoolExhausted), frees everything taken, and never leaves a frame behind.
//
// Size: the datagram is built by the transport in one pool frame, so the largest datagram that can be
// fragmented carries max_payload octets after its IP header (config::frame_size - config::frame_headroom:
// 1,536 octets with the default 1,600-octet frames, i.e. a UDP datagram of 1,528 data octets). Transports
// refuse anything larger with TooBig; so does ipv4::send (never beyond 65,535 octets in total either).
//
// Link-layer resolution: ARP keeps one datagram per unresolved neighbour (RFC 1122 2.3.2.2 "at least one"),
// so when the next hop is not yet resolved only the last fragment survives and the datagram is lost to the
// receiver's reassembly timeout; the application's retransmission finds the neighbour resolved.
#pragma once
#include "core/bytes.hpp"
#include "core/config.hpp"
#include "core/handoff.hpp"
#include "wire/ipv4.hpp"
#include <cstddef>
#include <cstdint>

namespace pico::ipv4_fragment {

// Octets after the IP header a datagram we fragment may carry (one pool frame after the headroom).
inline constexpr std::size_t max_payload = config::frame_size - config::frame_headroom;

// Fragments `payload` (the transport's data after the IP header: header.payload_len is ignored) to `mtu`
// and hands each fragment to ipv4::output. `options` are the header options of the original datagram (a
// multiple of 4 octets); those with the copy flag go into every fragment, the others into the first only.
// False, counted in the ipv4 counters, if nothing or not everything was sent: TooBig (the MTU leaves no room
// for 8 data octets after the header, or the payload exceeds max_payload), PoolExhausted.
bool fragment(Stack& stack, IfIndex ifindex, Ipv4Addr next_hop, const wire::ipv4::Repr& header, Bytes options,
              Bytes payload, std::size_t mtu);

// The options of a fragment after the first: those of `options` with the copy flag (bit 7 of the type),
// No Operation and End of Option List dropped, written to `out` and padded to a multiple of 4 with End of
// Option List. Returns the length written (at most options.size()).
std::size_t copied_options(Bytes options, MutBytes out);

} // namespace pico::ipv4_fragment
