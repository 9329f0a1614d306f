// IPv4 reassembly on receive (RFC 791 3.2, RFC 815, RFC 1122 3.2.1.4), option PICO_IPV4_REASSEMBLY.
//
// Fragments are matched on (source, destination, protocol, identification) and copied into one pool frame per
// datagram in reassembly; a bitmap of 8-octet blocks records what has arrived (the equivalent of RFC 815's
// hole list, with a fixed size). Bounds, each a counted drop in the ipv4 counters:
//   - config::ipv4_reassembly_slots datagrams at once; a fragment of a new datagram when all slots are busy
//     evicts the oldest datagram (ReassemblyEvicted), so a flood of incomplete datagrams cannot lock the
//     slots for the whole timeout;
//   - a reassembled datagram must fit one pool frame (max_payload octets of data after a header of up to 60):
//     a fragment reaching beyond that is dropped and its datagram discarded (ReassemblyTooBig);
//   - a fragment whose header plus offset plus length exceeds 65,535 octets (the largest Total Length) is
//     dropped and its datagram discarded (FragmentOverflow; picoTCP's heap overflow shape);
//   - a fragment with More Fragments set whose length is not a multiple of 8, or without data (BadLength).
// Overlaps: a fragment whose octets repeat ones already received with identical values (a duplicate or a
// retransmission re-cut at other boundaries) is accepted and changes nothing (State::duplicates counts the
// fragments that brought nothing new). An overlap with different values, or two last fragments (or data past
// the last fragment's end) that disagree on the datagram's length, discards the whole datagram and the
// fragment (FragmentOverlap), the conservative choice of RFC 5722 and Linux: no later fragment can make it
// whole, and no choice between the two versions of the octets is made.
// Timeout: config::ipv4_reassembly_timeout_ms after the datagram's first fragment, the datagram is discarded
// (ReassemblyTimeout); if its fragment 0 was received, an ICMP Time Exceeded, code 1 (fragment reassembly
// time exceeded) is sent (RFC 792, RFC 1122 3.2.1.4 / 3.2.2.4), quoting fragment 0's header and data, when
// ICMPv4 is built (it applies its own error rules and rate limit). The reassembled datagram gets a header
// rewritten as unfragmented (fragment 0's header, Total Length of the whole, MF and offset zero, new
// checksum) and the RxMeta of fragment 0, and is delivered exactly like an unfragmented datagram.
#pragma once
#include "core/config.hpp"
#include "core/handoff.hpp"
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::ipv4_reassembly {

inline constexpr std::size_t max_header_len = 60;
inline constexpr std::uint8_t code_reassembly_time_exceeded = 1; // ICMP Time Exceeded code (RFC 792)
// Octets of data (after the IP header) a reassembled datagram may carry: one pool frame less room for the
// largest header, never more than 65,535 less the smallest header.
inline constexpr std::size_t max_payload =
    config::frame_size - max_header_len < 65535 - 20 ? config::frame_size - max_header_len : 65535 - 20;
inline constexpr std::size_t block_count = (max_payload + 7) / 8;

struct Slot {
    std::optional<PacketBuf> buffer; // data at offset 0 of bytes(); fragment 0's header just before it
    RxMeta meta{};                   // of fragment 0 (of the first fragment until fragment 0 arrives)
    TimerId timer{};
    TimeMs started = 0;
    Ipv4Addr source{};
    Ipv4Addr destination{};
    std::uint16_t identification = 0;
    std::uint8_t protocol = 0;
    std::uint8_t header_len = 0; // of fragment 0; 0 until it arrives
    std::uint32_t data_end = 0;  // highest end (in data octets) of any fragment received
    std::uint32_t total = 0;     // data octets of the whole datagram, once the last fragment arrived
    bool have_last = false;
    bool used = false;
    std::array<std::uint8_t, (block_count + 7) / 8> received{}; // bit per 8-octet block
};

struct State {
    std::array<Slot, config::ipv4_reassembly_slots> slots{};
    std::uint32_t reassembled = 0;        // datagrams completed and delivered
    std::uint32_t duplicates = 0;         // fragments that brought no new octets (all identical to ones held)
    std::uint32_t time_exceeded_sent = 0; // Time Exceeded (code 1) handed to ICMP on a timeout
};

State& state(Stack& stack);

// A fragment (MF set or offset non-zero) that passed ipv4::input's checks, trimmed to its Total Length and
// starting at its IP header; `meta` is its link-layer meta. Returns the complete datagram (starting at its
// rewritten IP header) when this fragment completed it, with `meta` replaced by fragment 0's; otherwise
// nullopt: the fragment was kept, or dropped and counted.
std::optional<PacketBuf> input(Stack& stack, PacketBuf&& fragment, RxMeta& meta);

// Datagrams currently in reassembly.
std::size_t in_progress(Stack& stack);

} // namespace pico::ipv4_reassembly
