#include "core/checksum.hpp"

namespace pico {

namespace {
std::uint32_t fold(std::uint64_t sum) {
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return static_cast<std::uint32_t>(sum);
}

// Ones'-complement addition of a 64-bit word: the carry out of bit 63 wraps around to bit 0 (compilers turn
// this into an add and an add-with-carry).
inline std::uint64_t add_wrap(std::uint64_t sum, std::uint64_t word) {
    sum += word;
    return sum + (sum < word ? 1u : 0u);
}

// A machine word of memory at p, in the machine's byte order, from any alignment (the compiler emits a plain
// load where the target allows unaligned ones).
template <class Word> inline Word load_native(const std::uint8_t* p) {
    Word w;
    __builtin_memcpy(&w, p, sizeof w);
    return w;
}
} // namespace

std::uint16_t checksum_partial(Bytes data, std::uint32_t initial) {
    // RFC 1071 2(B): the ones'-complement sum does not depend on byte order, so the data is summed in the
    // machine's own word order and size (no byte swap per word) and only the folded 16-bit result is swapped
    // back to network order on a little-endian machine before the big-endian `initial` is added. The tail
    // (fewer bytes than a word) is summed as a word padded with zero bytes, which is RFC 1071 4.1's padding
    // of an odd byte.
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    std::uint64_t sum = 0;
    if constexpr (sizeof(void*) >= 8) {
        while (n >= 32) {
#if defined(__x86_64__)
            // One add-with-carry chain per 32 bytes (what the compiler does not find from the portable form
            // below: it recomputes each carry with a compare). x86-64 allows unaligned memory operands.
            asm("addq 0(%[p]), %[sum]\n\t"
                "adcq 8(%[p]), %[sum]\n\t"
                "adcq 16(%[p]), %[sum]\n\t"
                "adcq 24(%[p]), %[sum]\n\t"
                "adcq $0, %[sum]"
                : [sum] "+r"(sum)
                : [p] "r"(p), "m"(*reinterpret_cast<const std::uint8_t(*)[32]>(p))
                : "cc");
#else
            sum = add_wrap(sum, load_native<std::uint64_t>(p));
            sum = add_wrap(sum, load_native<std::uint64_t>(p + 8));
            sum = add_wrap(sum, load_native<std::uint64_t>(p + 16));
            sum = add_wrap(sum, load_native<std::uint64_t>(p + 24));
#endif
            p += 32;
            n -= 32;
        }
        while (n >= 8) {
            sum = add_wrap(sum, load_native<std::uint64_t>(p));
            p += 8;
            n -= 8;
        }
        sum = (sum & 0xffffffffu) + (sum >> 32); // at most 33 bits: room for the 32-bit additions below
    } else {
        // 32-bit machines: 32-bit words into the 64-bit accumulator (an add and an add-with-carry each); no
        // frame is long enough to overflow it.
        while (n >= 16) {
            sum += load_native<std::uint32_t>(p);
            sum += load_native<std::uint32_t>(p + 4);
            sum += load_native<std::uint32_t>(p + 8);
            sum += load_native<std::uint32_t>(p + 12);
            p += 16;
            n -= 16;
        }
    }
    while (n >= 4) {
        sum += load_native<std::uint32_t>(p);
        p += 4;
        n -= 4;
    }
    if (n > 0) {
        std::uint8_t tail[4] = {};
        for (std::size_t i = 0; i < n; ++i)
            tail[i] = p[i];
        sum += load_native<std::uint32_t>(tail);
    }
    std::uint32_t folded = fold(sum);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    folded = ((folded & 0xffu) << 8) | (folded >> 8);
#endif
    return static_cast<std::uint16_t>(fold(std::uint64_t{folded} + initial));
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
