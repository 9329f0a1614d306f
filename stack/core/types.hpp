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

// An IPv6 address (RFC 4291), 16 octets in network order.
struct Ipv6Addr {
    std::array<std::uint8_t, 16> octets{};

    static constexpr Ipv6Addr any() { return {}; }
    static constexpr Ipv6Addr loopback() { return {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}; }
    // ff02::1 all nodes, ff02::2 all routers, ff02::16 all MLDv2-capable routers (link scope).
    static constexpr Ipv6Addr all_nodes() { return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}; }
    static constexpr Ipv6Addr all_routers() {
        return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
    }
    static constexpr Ipv6Addr all_mldv2_routers() {
        return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16}};
    }
    static Ipv6Addr load(const std::uint8_t* p) {
        Ipv6Addr a;
        copy_bytes(a.octets.data(), p, 16);
        return a;
    }
    void store(std::uint8_t* p) const { copy_bytes(p, octets.data(), 16); }

    constexpr bool is_unspecified() const {
        for (auto o : octets)
            if (o != 0) return false;
        return true;
    }
    constexpr bool is_loopback() const { return *this == loopback(); }
    constexpr bool is_multicast() const { return octets[0] == 0xff; }
    // Scope of a multicast address (RFC 4291 2.7): 1 interface-local, 2 link-local, 5 site, 0xe global.
    constexpr std::uint8_t multicast_scope() const { return octets[1] & 0x0f; }
    constexpr bool is_link_local() const { return octets[0] == 0xfe && (octets[1] & 0xc0) == 0x80; }
    // ::ffff:a.b.c.d (RFC 4291 2.5.5.2): never on the wire as an IPv6 source or destination.
    constexpr bool is_v4_mapped() const {
        for (int i = 0; i < 10; ++i)
            if (octets[static_cast<std::size_t>(i)] != 0) return false;
        return octets[10] == 0xff && octets[11] == 0xff;
    }
    // ff02::1:ffXX:XXXX, the solicited-node group of this address (RFC 4291 2.7.1).
    constexpr Ipv6Addr solicited_node() const {
        return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, octets[13], octets[14], octets[15]}};
    }
    // 33:33 followed by the low 32 bits (RFC 2464 section 7): the Ethernet group of a multicast address.
    constexpr MacAddr multicast_mac() const {
        return {{0x33, 0x33, octets[12], octets[13], octets[14], octets[15]}};
    }
    // Do the first prefix_len bits equal those of `other`?
    constexpr bool same_prefix(const Ipv6Addr& other, std::uint8_t prefix_len) const {
        std::size_t full = prefix_len / 8;
        if (full > 16) full = 16;
        for (std::size_t i = 0; i < full; ++i)
            if (octets[i] != other.octets[i]) return false;
        std::size_t bits = prefix_len % 8;
        if (bits == 0 || full >= 16) return true;
        auto mask = static_cast<std::uint8_t>(0xff00u >> bits);
        return (octets[full] & mask) == (other.octets[full] & mask);
    }
    friend constexpr bool operator==(const Ipv6Addr&, const Ipv6Addr&) = default;
};

// An address of either family, for the socket API and the transports (one TCP and one UDP for both).
struct IpAddr {
    bool v6 = false;
    Ipv4Addr v4addr{};
    Ipv6Addr v6addr{};

    constexpr IpAddr() = default;
    constexpr IpAddr(Ipv4Addr a) : v4addr(a) {} // NOLINT(google-explicit-constructor): v4 converts freely
    constexpr IpAddr(const Ipv6Addr& a) : v6(true), v6addr(a) {} // NOLINT(google-explicit-constructor)
    constexpr bool is_unspecified() const { return v6 ? v6addr.is_unspecified() : v4addr.is_unspecified(); }
    constexpr bool is_multicast() const { return v6 ? v6addr.is_multicast() : v4addr.is_multicast(); }
    friend constexpr bool operator==(const IpAddr& a, const IpAddr& b) {
        return a.v6 == b.v6 && (a.v6 ? a.v6addr == b.v6addr : a.v4addr == b.v4addr);
    }
};

constexpr std::uint32_t prefix_mask(std::uint8_t prefix_len) {
    return prefix_len == 0 ? 0u : (prefix_len >= 32 ? 0xffffffffu : ~((1u << (32 - prefix_len)) - 1u));
}

// Parsing of dotted-quad text, for bindings and examples (no allocation).
std::optional<Ipv4Addr> parse_ipv4(const char* text);
std::optional<MacAddr> parse_mac(const char* text);
// Writes "a.b.c.d" with a terminating NUL into out (at least 16 bytes).
void format_ipv4(Ipv4Addr addr, char* out);
// RFC 4291 2.2 text (with "::" and a trailing dotted quad), and RFC 5952 canonical output (lower case, the
// longest run of two or more zero groups as "::", the first such run on a tie) into out (at least 46 bytes).
std::optional<Ipv6Addr> parse_ipv6(const char* text);
void format_ipv6(const Ipv6Addr& addr, char* out);

// Index of a device attached to a stack.
using IfIndex = std::uint8_t;
inline constexpr IfIndex no_interface = 0xff;

// Milliseconds since an arbitrary epoch, from the platform clock.
using TimeMs = std::uint64_t;

} // namespace pico
