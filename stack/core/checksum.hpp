// Internet checksum (RFC 1071) and its incremental update (RFC 1624).
#pragma once
#include "core/bytes.hpp"
#include <cstdint>

namespace pico {

// Ones'-complement sum of data (not complemented), folded to 16 bits, continuing from `initial`.
// Sums machine words in the machine's byte order (64-bit words with end-around carry on a 64-bit machine,
// 32-bit words on a 32-bit one) and swaps the folded result once: the ones'-complement sum does not depend on
// byte order (RFC 1071 section 2(B)).
std::uint16_t checksum_partial(Bytes data, std::uint32_t initial = 0);

// The checksum field value: the complement of the folded sum.
inline std::uint16_t checksum(Bytes data, std::uint32_t initial = 0) {
    return static_cast<std::uint16_t>(~checksum_partial(data, initial));
}

// Sum of an IPv4 pseudo-header (RFC 768, RFC 9293 3.1), to pass as `initial`.
std::uint32_t pseudo_header_sum_ipv4(std::uint32_t src, std::uint32_t dst, std::uint8_t protocol,
                                     std::uint16_t length);

// Sum of an IPv6 pseudo-header (RFC 8200 8.1): source, destination, upper-layer length (32 bits), next
// header.
std::uint32_t pseudo_header_sum_ipv6(const std::uint8_t* src16, const std::uint8_t* dst16,
                                     std::uint8_t next_header, std::uint32_t length);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit field changing from old_value to new_value.
std::uint16_t checksum_update16(std::uint16_t checksum_field, std::uint16_t old_value,
                                std::uint16_t new_value);
// The same for a 32-bit field (an address), as two 16-bit halves.
std::uint16_t checksum_update32(std::uint16_t checksum_field, std::uint32_t old_value,
                                std::uint32_t new_value);

} // namespace pico
