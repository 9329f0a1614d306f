// Helpers for the IPv6 / ICMPv6 / reassembly unit tests: packet builders written byte by byte, independent of
// the code under test (wire/ipv6.hpp, wire/icmp6.hpp).
#pragma once
#include "core/types.hpp"
#include "test_support.hpp"
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pico::test6 {

using Packet = std::vector<std::uint8_t>;

inline Ipv6Addr addr6(const char* text) {
    return *parse_ipv6(text);
}

inline Ipv6Addr get_addr6(const Packet& b, std::size_t at) {
    return Ipv6Addr::load(b.data() + at);
}

inline void put_addr6(Packet& b, std::size_t at, const Ipv6Addr& a) {
    for (std::size_t i = 0; i < 16; ++i)
        b[at + i] = a.octets[i];
}

inline std::uint32_t get32(const Packet& b, std::size_t at) {
    return static_cast<std::uint32_t>(b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3]);
}

inline void put32(Packet& b, std::size_t at, std::uint32_t v) {
    test::put16(b, at, static_cast<std::uint16_t>(v >> 16));
    test::put16(b, at + 2, static_cast<std::uint16_t>(v));
}

// RFC 8200 8.1 checksum of an upper-layer message, byte by byte.
inline std::uint16_t reference_checksum6(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint8_t nh,
                                         const Packet& message) {
    Packet all(40, 0);
    put_addr6(all, 0, src);
    put_addr6(all, 16, dst);
    put32(all, 32, static_cast<std::uint32_t>(message.size()));
    all[39] = nh;
    all.insert(all.end(), message.begin(), message.end());
    return test::reference_checksum(all.data(), all.size());
}

// An IPv6 packet: 40-byte header, `next_header`, then `payload` (extension headers and upper layer).
inline Packet ipv6_packet(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint8_t next_header,
                          const Packet& payload, std::uint8_t hop_limit = 64,
                          std::uint8_t traffic_class = 0) {
    Packet b(40, 0);
    b[0] = static_cast<std::uint8_t>(0x60 | (traffic_class >> 4));
    b[1] = static_cast<std::uint8_t>(traffic_class << 4);
    test::put16(b, 4, static_cast<std::uint16_t>(payload.size()));
    b[6] = next_header;
    b[7] = hop_limit;
    put_addr6(b, 8, src);
    put_addr6(b, 24, dst);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

// An ICMPv6 message with its checksum for src -> dst.
inline Packet icmp6_message(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint8_t type, std::uint8_t code,
                            std::uint32_t word, const Packet& data) {
    Packet m(8, 0);
    m[0] = type;
    m[1] = code;
    put32(m, 4, word);
    m.insert(m.end(), data.begin(), data.end());
    test::put16(m, 2, reference_checksum6(src, dst, 58, m));
    return m;
}

// An options header (hop-by-hop or destination options) with `next_header` and the option bytes, padded
// with PadN/Pad1 to a multiple of 8.
inline Packet options_header(std::uint8_t next_header, Packet options) {
    std::size_t len = 2 + options.size();
    std::size_t pad = (8 - len % 8) % 8;
    if (pad == 1)
        options.push_back(0);
    else if (pad >= 2) {
        options.push_back(1);
        options.push_back(static_cast<std::uint8_t>(pad - 2));
        for (std::size_t i = 0; i < pad - 2; ++i)
            options.push_back(0);
    }
    Packet h{next_header, static_cast<std::uint8_t>((2 + options.size()) / 8 - 1)};
    h.reserve(2 + options.size()); // also keeps gcc 12 -O2 from a false -Warray-bounds in insert()
    h.insert(h.end(), options.begin(), options.end());
    return h;
}

inline Packet fragment_header(std::uint8_t next_header, std::uint16_t offset, bool more, std::uint32_t id) {
    Packet h(8, 0);
    h[0] = next_header;
    test::put16(h, 2, static_cast<std::uint16_t>((offset & 0xfff8) | (more ? 1 : 0)));
    put32(h, 4, id);
    return h;
}

// MLD reports (RFC 3810) and router/neighbor solicitations the stack sends on its own (the MLD and ND modules
// announce the solicited-node groups of new addresses): tests of other behaviour skip them.
inline bool is_background(const Packet& p) {
    if (p.size() < 48 || (p[0] >> 4) != 6) return false;
    std::size_t at = 40;
    std::uint8_t nh = p[6];
    if (nh == 0) {
        nh = p[40];
        at = 40 + (std::size_t{p[41]} + 1) * 8;
    }
    if (nh != 58 || p.size() <= at) return false;
    std::uint8_t type = p[at];
    return type == 131 || type == 132 || type == 143 || type == 133 || type == 135;
}

inline Packet concat(Packet a, const Packet& b) {
    a.reserve(a.size() + b.size());
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

inline Packet pattern(std::size_t n, std::uint8_t seed = 0) {
    Packet v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<std::uint8_t>(seed + i * 7);
    return v;
}

} // namespace pico::test6
