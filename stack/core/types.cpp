#include "core/types.hpp"

namespace pico {

std::optional<Ipv4Addr> parse_ipv4(const char* text) {
    if (text == nullptr) return std::nullopt;
    std::uint32_t value = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (*text != '.') return std::nullopt;
            ++text;
        }
        std::uint32_t octet = 0;
        int digits = 0;
        while (*text >= '0' && *text <= '9') {
            octet = octet * 10 + static_cast<std::uint32_t>(*text - '0');
            ++text;
            if (++digits > 3 || octet > 255) return std::nullopt;
        }
        if (digits == 0) return std::nullopt;
        value = (value << 8) | octet;
    }
    if (*text != '\0') return std::nullopt;
    return Ipv4Addr{value};
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<MacAddr> parse_mac(const char* text) {
    if (text == nullptr) return std::nullopt;
    MacAddr mac;
    for (int i = 0; i < 6; ++i) {
        if (i > 0) {
            if (*text != ':' && *text != '-') return std::nullopt;
            ++text;
        }
        int hi = hex_value(text[0]);
        if (hi < 0) return std::nullopt;
        int lo = hex_value(text[1]);
        if (lo < 0) return std::nullopt;
        mac.octets[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hi * 16 + lo);
        text += 2;
    }
    if (*text != '\0') return std::nullopt;
    return mac;
}

void format_ipv4(Ipv4Addr addr, char* out) {
    for (int part = 3; part >= 0; --part) {
        unsigned octet = (addr.value >> (part * 8)) & 0xffu;
        if (octet >= 100) *out++ = static_cast<char>('0' + octet / 100);
        if (octet >= 10) *out++ = static_cast<char>('0' + (octet / 10) % 10);
        *out++ = static_cast<char>('0' + octet % 10);
        if (part > 0) *out++ = '.';
    }
    *out = '\0';
}

} // namespace pico
