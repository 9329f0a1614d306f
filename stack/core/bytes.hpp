// Big-endian loads and stores. Wire fields are read and written only through these, never by casting a packed
// struct onto a buffer (alignment and aliasing are not guaranteed on a frame).
#pragma once
#include "core/canary.hpp" // fuzz canaries: empty unless PICO_FUZZ_CANARIES (canary fuzz builds only)
#include <cstddef>
#include <cstdint>
#include <span>

namespace pico {

using Bytes = std::span<const std::uint8_t>;
using MutBytes = std::span<std::uint8_t>;

inline std::uint16_t load_be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

// memcpy/memset without pulling in <cstring> semantics questions on freestanding targets.
inline void copy_bytes(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) {
    if (n == 0) return; // an empty span may carry a null pointer, which memmove must not see
    __builtin_memmove(dst, src, n);
}
inline void fill_bytes(std::uint8_t* dst, std::uint8_t value, std::size_t n) {
    if (n == 0) return;
    __builtin_memset(dst, value, n);
}
inline bool equal_bytes(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
    return n == 0 || __builtin_memcmp(a, b, n) == 0;
}

} // namespace pico
