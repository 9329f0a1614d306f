// IPv6 reassembly on receive (RFC 8200 4.5, RFC 5722 overlaps, RFC 6946 atomic fragments), option
// PICO_IPV6_REASSEMBLY. Bounded slots and bytes like ipv4_reassembly; 60 s timeout with ICMPv6 Time Exceeded
// code 1 when the first fragment arrived.
#pragma once
#include "core/config.hpp"
#include "core/handoff.hpp"
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::ipv6_reassembly {

// Bounds (each a counted drop in the ipv6 counters): config::ipv6_reassembly_slots packets at once, each in
// one pool frame (a fragment of a new packet when all are busy evicts the oldest: ReassemblyEvicted); the
// unfragmentable part of the first fragment at most max_unfragmentable octets and the fragmentable part at
// most max_payload (ReassemblyTooBig); a reassembled Payload Length over 65,535 (Parameter Problem code 0 at
// the Fragment Offset field, FragmentOverflow); a non-last fragment whose length is not a multiple of 8
// (Parameter Problem code 0 at the Payload Length field, BadLength).
// Overlaps (RFC 5722; RFC 8200 4.5): any overlap discards the whole packet silently (FragmentOverlap). An
// exact duplicate of a fragment already held (same offset and length, same octets) is dropped alone
// (State::duplicates), as RFC 8200 4.5 allows.
// The first fragment must carry the whole header chain up to the upper-layer header (RFC 7112 5): if not,
// it is dropped (BadExtensionHeader) with Parameter Problem code 3.
inline constexpr std::size_t max_unfragmentable = 96;
inline constexpr std::size_t max_payload = config::frame_size - max_unfragmentable - 8;
inline constexpr std::size_t block_count = (max_payload + 7) / 8;

struct Slot {
    std::optional<PacketBuf> buffer; // fragmentable data at offset 0 of bytes(); first fragment's
                                     // unfragmentable part and Fragment header just before it
    RxMeta meta{};                   // of the first fragment (of any fragment until it arrives)
    TimerId timer{};
    TimeMs started = 0;
    Ipv6Addr source{};
    Ipv6Addr destination{};
    std::uint32_t identification = 0;
    std::uint16_t unfragmentable_len =
        0;                       // of the first fragment, Fragment header excluded; 0 until it arrives
    std::uint16_t nh_field = 0;  // offset of the Next Header field that named the Fragment header
    std::uint16_t first_len = 0; // data octets of the first fragment
    std::uint32_t data_end = 0;
    std::uint32_t total = 0;
    bool have_first = false;
    bool have_last = false;
    bool used = false;
    std::array<std::uint8_t, (block_count + 7) / 8> received{};
    std::array<std::uint8_t, (block_count + 7) / 8> starts{}; // first block of each fragment held
};

struct State {
    std::array<Slot, config::ipv6_reassembly_slots> slots{};
    std::uint32_t reassembled = 0;        // packets completed and delivered
    std::uint32_t atomic = 0;             // atomic fragments (offset 0, M 0) delivered at once (RFC 6946)
    std::uint32_t duplicates = 0;         // exact duplicate fragments dropped alone
    std::uint32_t time_exceeded_sent = 0; // Time Exceeded code 1 handed to ICMPv6 on a timeout
};

State& state(Stack& stack);

// A fragment: `packet` starts at the IPv6 header, trimmed to the payload length; fragment_offset is the
// offset of the Fragment header in `packet` (its unfragmentable part is everything before). Returns the
// reassembled packet (IPv6 header, unfragmentable part with the Fragment header removed and the Next Header
// chain fixed, fragmentable part), meta replaced by the first fragment's; otherwise nullopt (kept or dropped
// and counted in the ipv6 counters).
std::optional<PacketBuf> input(Stack& stack, PacketBuf&& packet, std::size_t fragment_offset, RxMeta& meta);

std::size_t in_progress(Stack& stack);

} // namespace pico::ipv6_reassembly
