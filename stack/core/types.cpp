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

std::optional<Ipv6Addr> parse_ipv6(const char* text) {
    if (text == nullptr) return std::nullopt;
    std::array<std::uint16_t, 8> groups{};
    int count = 0; // groups written
    int gap = -1;  // index in groups where "::" stands
    const char* p = text;
    if (p[0] == ':') {
        if (p[1] != ':') return std::nullopt;
        gap = 0;
        p += 2;
    }
    while (*p != '\0') {
        if (count >= 8) return std::nullopt;
        // A dotted quad ends the address and fills two groups.
        const char* q = p;
        while (*q != '\0' && *q != ':' && *q != '.')
            ++q;
        if (*q == '.') {
            if (count > 6) return std::nullopt;
            auto v4 = parse_ipv4(p);
            if (!v4) return std::nullopt;
            groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(v4->value >> 16);
            groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(v4->value);
            p += __builtin_strlen(p);
            break;
        }
        std::uint32_t value = 0;
        int digits = 0;
        while (hex_value(*p) >= 0) {
            value = value * 16 + static_cast<std::uint32_t>(hex_value(*p));
            ++p;
            if (++digits > 4) return std::nullopt;
        }
        if (digits == 0) return std::nullopt;
        groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(value);
        if (*p == '\0') break;
        if (*p != ':') return std::nullopt;
        ++p;
        if (*p == ':') {
            if (gap >= 0) return std::nullopt; // a second "::"
            gap = count;
            ++p;
        } else if (*p == '\0') {
            return std::nullopt; // trailing single ':'
        }
    }
    if (gap < 0 && count != 8) return std::nullopt;
    if (gap >= 0 && count > 7) return std::nullopt; // "::" stands for at least one group
    Ipv6Addr out;
    int tail = gap < 0 ? 0 : count - gap;
    for (int i = 0; i < count; ++i) {
        const auto at = static_cast<std::size_t>((gap >= 0 && i >= gap) ? 8 - tail + (i - gap) : i);
        const std::uint16_t group = groups[static_cast<std::size_t>(i)];
        out.octets[2 * at] = static_cast<std::uint8_t>(group >> 8);
        out.octets[2 * at + 1] = static_cast<std::uint8_t>(group);
    }
    return out;
}

void format_ipv6(const Ipv6Addr& addr, char* out) {
    std::array<std::uint16_t, 8> groups{};
    for (std::size_t i = 0; i < 8; ++i)
        groups[i] = load_be16(&addr.octets[2 * i]);
    int best = -1;
    int best_len = 1; // RFC 5952 4.2.2: a single zero group is not shortened
    for (int i = 0; i < 8;) {
        if (groups[static_cast<std::size_t>(i)] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && groups[static_cast<std::size_t>(j)] == 0)
            ++j;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    constexpr char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            *out++ = ':';
            if (i == 0) *out++ = ':';
            i += best_len - 1;
            continue;
        }
        std::uint16_t g = groups[static_cast<std::size_t>(i)];
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned nibble = (g >> shift) & 0xfu;
            if (nibble != 0 || started || shift == 0) {
                *out++ = digits[nibble];
                started = true;
            }
        }
        if (i < 7) *out++ = ':';
    }
    *out = '\0';
}

} // namespace pico
