// Internet checksum (RFC 1071) and its incremental update (RFC 1624) on the target: known vectors, odd
// lengths, every start alignment (the word loop must not fault or mis-sum on unaligned data: Cortex-M4 allows
// unaligned word loads, an M0 would not), carries, pseudo-headers. Mirrors stack/tests/checksum_test.cpp.
#include "core/bytes.hpp"
#include "core/checksum.hpp"
#include "runner.hpp"
#include <cstddef>
#include <cstdint>

namespace {

using pico::Bytes;

// RFC 1071's definition one byte at a time: big-endian 16-bit words, the odd byte padded with zero, carries
// folded at the end.
std::uint16_t reference_partial(const std::uint8_t* data, std::size_t n, std::uint32_t initial = 0) {
    std::uint64_t sum = initial;
    for (std::size_t i = 0; i < n; ++i)
        sum += (i % 2 == 0) ? (std::uint64_t{data[i]} << 8) : data[i];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

// Deterministic test bytes (xorshift32).
void fill_seeded(std::uint8_t* out, std::size_t n, std::uint32_t seed) {
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = static_cast<std::uint8_t>(x >> 11);
    }
}

std::uint8_t big[2048]; // .bss, not the 16 KiB main stack

} // namespace

TEST(ChecksumRfc1071Example) {
    // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 before the complement.
    const std::uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK_EQ(pico::checksum_partial(Bytes{data, sizeof data}), 0xddf2);
    CHECK_EQ(pico::checksum(Bytes{data, sizeof data}), static_cast<std::uint16_t>(~0xddf2));
}

TEST(ChecksumOddLengths) {
    for (std::size_t n : {1u, 3u, 7u, 1501u}) {
        fill_seeded(big, n, static_cast<std::uint32_t>(n));
        CHECK_EQ(pico::checksum_partial(Bytes{big, n}), reference_partial(big, n));
    }
    // The odd byte is the high byte of a word padded with zero (RFC 1071 4.1).
    const std::uint8_t one[] = {0xab};
    CHECK_EQ(pico::checksum_partial(Bytes{one, 1}), 0xab00);
    const std::uint8_t three[] = {0x12, 0x34, 0x56};
    CHECK_EQ(pico::checksum_partial(Bytes{three, 3}), 0x1234 + 0x5600);
}

TEST(ChecksumEveryLengthAndStartAlignment) {
    fill_seeded(big, 80, 99);
    std::uint32_t mismatches = 0;
    for (std::size_t start = 0; start < 8; ++start)
        for (std::size_t n = 0; n <= 64; ++n)
            if (pico::checksum_partial(Bytes{big + start, n}) != reference_partial(big + start, n))
                ++mismatches;
    CHECK_EQ(mismatches, 0u);
}

TEST(ChecksumZeroLengthAndInitialSum) {
    CHECK_EQ(pico::checksum_partial(Bytes{}), 0);
    CHECK_EQ(pico::checksum(Bytes{}), 0xffff);
    CHECK_EQ(pico::checksum_partial(Bytes{}, 0x1234), 0x1234);
}

TEST(ChecksumAllOnesAndCarries) {
    for (std::size_t n : {2u, 6u, 16u, 1500u, 2048u}) {
        for (std::size_t i = 0; i < n; ++i)
            big[i] = 0xff;
        CHECK_EQ(pico::checksum_partial(Bytes{big, n}), 0xffff);
        CHECK_EQ(pico::checksum(Bytes{big, n}), 0x0000);
    }
    // 0x8000 + 0x8000 = 0x1_0000: the end-around carry gives 0x0001.
    const std::uint8_t halves[] = {0x80, 0x00, 0x80, 0x00};
    CHECK_EQ(pico::checksum_partial(Bytes{halves, 4}), 0x0001);
    CHECK_EQ(pico::checksum_partial(Bytes{halves, 4}, 0xffffffffu),
             reference_partial(halves, 4, 0xffffffffu));
    for (std::size_t i = 0; i < 2000; i += 2) {
        big[i] = 0xff;
        big[i + 1] = 0xfe;
    }
    CHECK_EQ(pico::checksum_partial(Bytes{big, 2000}), reference_partial(big, 2000));
}

TEST(ChecksumVerifiesToZeroWithTheFieldFilledIn) {
    std::uint8_t data[40];
    fill_seeded(data, sizeof data, 5);
    data[10] = data[11] = 0;
    const std::uint16_t c = pico::checksum(Bytes{data, sizeof data});
    pico::store_be16(data + 10, c);
    CHECK_EQ(pico::checksum(Bytes{data, sizeof data}), 0);
}

TEST(ChecksumIncrementalUpdateEqualsRecomputation) {
    // RFC 1624 eqn. 3, for 16-bit and 32-bit fields of seeded 20-byte headers (edge values included).
    std::uint32_t mismatches = 0;
    for (std::uint32_t round = 0; round < 300; ++round) {
        std::uint8_t header[20];
        fill_seeded(header, sizeof header, round + 1000);
        header[10] = header[11] = 0;
        std::uint16_t field = pico::checksum(Bytes{header, 20});
        const std::size_t at16 = (round % 5) * 2; // 0..8: never the checksum itself
        const std::uint16_t old16 = pico::load_be16(header + at16);
        const std::uint16_t new16 = round % 50 == 0   ? 0xffff
                                    : round % 50 == 1 ? 0
                                                      : static_cast<std::uint16_t>(round * 7919);
        pico::store_be16(header + at16, new16);
        field = pico::checksum_update16(field, old16, new16);
        if (field != pico::checksum(Bytes{header, 20})) ++mismatches; // the field itself is still zero
        const std::size_t at32 = (round & 1) ? 12 : 16;
        const std::uint32_t old32 = pico::load_be32(header + at32);
        const std::uint32_t new32 = round * 2654435761u;
        pico::store_be32(header + at32, new32);
        field = pico::checksum_update32(field, old32, new32);
        if (field != pico::checksum(Bytes{header, 20})) ++mismatches;
    }
    CHECK_EQ(mismatches, 0u);
}

TEST(ChecksumPseudoHeaderIpv4) {
    // 198.18.0.1 -> 198.18.0.2, UDP, length 12: the same as summing the 12 pseudo-header bytes.
    const std::uint8_t pseudo[] = {0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x00, 17, 0x00, 12};
    CHECK_EQ(pico::checksum_partial(Bytes{}, pico::pseudo_header_sum_ipv4(0xC6120001u, 0xC6120002u, 17, 12)),
             reference_partial(pseudo, sizeof pseudo));
    // A UDP datagram 198.18.0.1:1234 -> 198.18.0.2:53 "abc" with its checksum filled in sums to all ones.
    std::uint8_t udp[] = {0x04, 0xd2, 0x00, 0x35, 0x00, 0x0b, 0x00, 0x00, 'a', 'b', 'c'};
    const std::uint32_t sum = pico::pseudo_header_sum_ipv4(0xC6120001u, 0xC6120002u, 17, 11);
    pico::store_be16(udp + 6, pico::checksum(Bytes{udp, sizeof udp}, sum));
    CHECK_EQ(pico::checksum_partial(Bytes{udp, sizeof udp}, sum), 0xffff);
}
