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

struct State {
    std::uint32_t reassembled = 0; // packets completed and delivered
    std::uint32_t atomic = 0;      // atomic fragments (offset 0, M 0) delivered at once (RFC 6946)
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
