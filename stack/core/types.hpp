// Address types and small value types shared by every layer. Addresses and ports are in host types: an
// Ipv4Addr holds the address as a host-order integer, a port is a host-order uint16_t.
#pragma once
#include "core/bytes.hpp"
#include <array>
#include <cstdint>
#include <optional>

namespace pico {

struct MacAddr {
    std::array<std::uint8_t, 6> octets{};

    static constexpr MacAddr broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    static MacAddr from(const std::uint8_t* p) {
        MacAddr m;
        copy_bytes(m.octets.data(), p, 6);
        return m;
    }
    void store(std::uint8_t* p) const { copy_bytes(p, octets.data(), 6); }
    constexpr bool is_broadcast() const {
        for (auto o : octets)
            if (o != 0xff) return false;
        return true;
    }
    constexpr bool is_multicast() const { return (octets[0] & 1) != 0; }
    constexpr bool is_zero() const {
        for (auto o : octets)
            if (o != 0) return false;
        return true;
    }
    friend constexpr bool operator==(const MacAddr&, const MacAddr&) = default;
};

struct Ipv4Addr {
    std::uint32_t value = 0; // host order: 198.18.0.1 is 0xC6120001

    static constexpr Ipv4Addr any() { return {0}; }
    static constexpr Ipv4Addr limited_broadcast() { return {0xffffffffu}; }
    static constexpr Ipv4Addr from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
        return {(std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d};
    }
    static Ipv4Addr load(const std::uint8_t* p) { return {load_be32(p)}; }
    void store(std::uint8_t* p) const { store_be32(p, value); }

    constexpr bool is_unspecified() const { return value == 0; }
    constexpr bool is_limited_broadcast() const { return value == 0xffffffffu; }
    constexpr bool is_multicast() const { return (value >> 28) == 0xe; }
    constexpr bool is_loopback() const { return (value >> 24) == 127; }
    // Class E (240/4) is reserved; 255.255.255.255 is inside it but handled as broadcast first.
    constexpr bool is_reserved() const { return (value >> 28) == 0xf && value != 0xffffffffu; }
    friend constexpr bool operator==(const Ipv4Addr&, const Ipv4Addr&) = default;
};

constexpr std::uint32_t prefix_mask(std::uint8_t prefix_len) {
    return prefix_len == 0 ? 0u : (prefix_len >= 32 ? 0xffffffffu : ~((1u << (32 - prefix_len)) - 1u));
}

// Parsing of dotted-quad text, for bindings and examples (no allocation).
std::optional<Ipv4Addr> parse_ipv4(const char* text);
std::optional<MacAddr> parse_mac(const char* text);
// Writes "a.b.c.d" with a terminating NUL into out (at least 16 bytes).
void format_ipv4(Ipv4Addr addr, char* out);

// Index of a device attached to a stack.
using IfIndex = std::uint8_t;
inline constexpr IfIndex no_interface = 0xff;

// Milliseconds since an arbitrary epoch, from the platform clock.
using TimeMs = std::uint64_t;

} // namespace pico
