#include "core/checksum.hpp"

namespace pico {

namespace {
std::uint32_t fold(std::uint64_t sum) {
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return static_cast<std::uint32_t>(sum);
}
} // namespace

std::uint16_t checksum_partial(Bytes data, std::uint32_t initial) {
    // The sum is computed over big-endian 16-bit words. Loading 32-bit big-endian words and adding them to a
    // 64-bit accumulator gives the same folded result (a carry out of the low half lands in the high half and
    // is folded back), four bytes per step, and cannot overflow for any frame this stack handles.
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    std::uint64_t sum = initial;
    while (n >= 16) {
        sum += load_be32(p);
        sum += load_be32(p + 4);
        sum += load_be32(p + 8);
        sum += load_be32(p + 12);
        p += 16;
        n -= 16;
    }
    while (n >= 4) {
        sum += load_be32(p);
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        sum += load_be16(p);
        p += 2;
        n -= 2;
    }
    if (n == 1) sum += std::uint32_t{p[0]} << 8; // odd byte padded with zero (RFC 1071 section 4.1)
    return static_cast<std::uint16_t>(fold(sum));
}

std::uint32_t pseudo_header_sum_ipv4(std::uint32_t src, std::uint32_t dst, std::uint8_t protocol,
                                     std::uint16_t length) {
    std::uint64_t sum = (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu);
    sum += protocol;
    sum += length;
    return fold(sum);
}

std::uint32_t pseudo_header_sum_ipv6(const std::uint8_t* src16, const std::uint8_t* dst16,
                                     std::uint8_t next_header, std::uint32_t length) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < 16; i += 2)
        sum += load_be16(src16 + i) + load_be16(dst16 + i);
    sum += (length >> 16) + (length & 0xffffu);
    sum += next_header;
    return fold(sum);
}

std::uint16_t checksum_update16(std::uint16_t checksum_field, std::uint16_t old_value,
                                std::uint16_t new_value) {
    std::uint32_t sum = static_cast<std::uint16_t>(~checksum_field);
    sum += static_cast<std::uint16_t>(~old_value);
    sum += new_value;
    return static_cast<std::uint16_t>(~fold(sum));
}

std::uint16_t checksum_update32(std::uint16_t checksum_field, std::uint32_t old_value,
                                std::uint32_t new_value) {
    std::uint16_t c = checksum_update16(checksum_field, static_cast<std::uint16_t>(old_value >> 16),
                                        static_cast<std::uint16_t>(new_value >> 16));
    return checksum_update16(c, static_cast<std::uint16_t>(old_value), static_cast<std::uint16_t>(new_value));
}

} // namespace pico
