// Helpers shared by the unit tests: byte-level reference implementations that do not use the code under test.
#pragma once
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pico::test {

inline Ipv4Addr ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return Ipv4Addr::from_octets(a, b, c, d);
}

// RFC 1071 computed byte by byte, independent of core/checksum.
inline std::uint16_t reference_checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2)
        sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    if (n % 2 == 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

inline void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}
inline void put_ip(std::vector<std::uint8_t>& b, std::size_t at, Ipv4Addr a) {
    put16(b, at, static_cast<std::uint16_t>(a.value >> 16));
    put16(b, at + 2, static_cast<std::uint16_t>(a.value));
}
inline std::uint16_t get16(const std::vector<std::uint8_t>& b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
inline Ipv4Addr get_ip(const std::vector<std::uint8_t>& b, std::size_t at) {
    return Ipv4Addr::load(b.data() + at);
}

} // namespace pico::test
