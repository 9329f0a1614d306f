#include "core/checksum.hpp"
#include "port/virtual_platform.hpp"
#include <gtest/gtest.h>
#include <vector>

using namespace pico;

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (before complement).
    std::vector<std::uint8_t> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(checksum_partial(data), 0xddf2);
    EXPECT_EQ(checksum(data), static_cast<std::uint16_t>(~0xddf2));
}

namespace {

// Reference: RFC 1071's definition, one byte at a time over big-endian 16-bit words, the odd byte padded with
// zero, carries folded at the end.
std::uint16_t reference_partial(const std::vector<std::uint8_t>& data, std::uint32_t initial = 0) {
    std::uint64_t sum = initial;
    for (std::size_t i = 0; i < data.size(); ++i)
        sum += (i % 2 == 0) ? (std::uint64_t{data[i]} << 8) : data[i];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

std::vector<std::uint8_t> seeded_bytes(std::size_t n, std::uint64_t seed) {
    pico::SeededRandom random(seed);
    std::vector<std::uint8_t> data(n);
    random.fill(data);
    return data;
}

} // namespace

TEST(Checksum, OddLengthsMatchReference) {
    for (std::size_t n : {1u, 3u, 7u, 1501u}) {
        auto data = seeded_bytes(n, n);
        EXPECT_EQ(checksum_partial(data), reference_partial(data)) << n;
        EXPECT_EQ(checksum(data), static_cast<std::uint16_t>(~reference_partial(data))) << n;
    }
    // The odd byte counts as the high byte of a word padded with zero (RFC 1071 section 4.1).
    std::vector<std::uint8_t> one{0xab};
    EXPECT_EQ(checksum_partial(one), 0xab00);
    std::vector<std::uint8_t> three{0x12, 0x34, 0x56};
    EXPECT_EQ(checksum_partial(three), 0x1234 + 0x5600);
}

TEST(Checksum, EveryLengthUpTo64AndEveryAlignmentMatchesReference) {
    auto buffer = seeded_bytes(80, 99);
    for (std::size_t start = 0; start < 8; ++start) {
        for (std::size_t n = 0; n <= 64; ++n) {
            std::vector<std::uint8_t> slice(buffer.begin() + static_cast<std::ptrdiff_t>(start),
                                            buffer.begin() + static_cast<std::ptrdiff_t>(start + n));
            ASSERT_EQ(checksum_partial(Bytes{buffer.data() + start, n}), reference_partial(slice))
                << "start " << start << " len " << n;
        }
    }
}

TEST(Checksum, ZeroLength) {
    EXPECT_EQ(checksum_partial(Bytes{}), 0);
    EXPECT_EQ(checksum(Bytes{}), 0xffff);
    EXPECT_EQ(checksum_partial(Bytes{}, 0x1234), 0x1234); // the initial sum passes through
}

TEST(Checksum, AllOnesAndCarries) {
    // 0xffff words: every addition carries; the ones'-complement sum of -0 values stays 0xffff.
    for (std::size_t n : {2u, 4u, 6u, 16u, 1500u, 65534u}) {
        std::vector<std::uint8_t> ones(n, 0xff);
        EXPECT_EQ(checksum_partial(ones), 0xffff) << n;
        EXPECT_EQ(checksum(ones), 0x0000) << n;
    }
    // 0x8000 + 0x8000 = 0x1_0000 -> end-around carry gives 0x0001.
    std::vector<std::uint8_t> halves{0x80, 0x00, 0x80, 0x00};
    EXPECT_EQ(checksum_partial(halves), 0x0001);
    // Many carries: 0xfffe repeated, compared to the reference.
    std::vector<std::uint8_t> many(3000);
    for (std::size_t i = 0; i < many.size(); i += 2) {
        many[i] = 0xff;
        many[i + 1] = 0xfe;
    }
    EXPECT_EQ(checksum_partial(many), reference_partial(many));
    // A large initial sum with carries of its own.
    EXPECT_EQ(checksum_partial(halves, 0xffffffffu), reference_partial(halves, 0xffffffffu));
}

TEST(Checksum, VerifiesToZeroWithTheFieldFilledIn) {
    auto data = seeded_bytes(40, 5);
    data[10] = data[11] = 0;
    std::uint16_t c = checksum(data);
    data[10] = static_cast<std::uint8_t>(c >> 8);
    data[11] = static_cast<std::uint8_t>(c);
    EXPECT_EQ(checksum(data), 0);
}

TEST(Checksum, IncrementalUpdateEqualsRecomputation) {
    // RFC 1624: changing a 16-bit or 32-bit field and updating the checksum gives what a full
    // recomputation gives. Seeded random headers and field changes.
    pico::SeededRandom random(2024);
    for (int round = 0; round < 2000; ++round) {
        std::vector<std::uint8_t> header(20);
        random.fill(header);
        header[10] = header[11] = 0;
        std::uint16_t field = checksum(header);

        // A 16-bit field at an even offset other than the checksum.
        std::size_t at16 = 2 * (random.next() % 10);
        if (at16 == 10) at16 = 8;
        std::uint16_t old16 = load_be16(&header[at16]);
        std::uint16_t new16 = static_cast<std::uint16_t>(random.next());
        if (round % 50 == 0) new16 = 0xffff; // edge values
        if (round % 50 == 1) new16 = 0x0000;
        store_be16(&header[at16], new16);
        field = checksum_update16(field, old16, new16);
        std::vector<std::uint8_t> zeroed = header;
        zeroed[10] = zeroed[11] = 0;
        ASSERT_EQ(field, checksum(zeroed)) << "round " << round;

        // A 32-bit field (an address at offset 12 or 16).
        std::size_t at32 = (random.next() & 1) ? 12 : 16;
        std::uint32_t old32 = load_be32(&header[at32]);
        std::uint32_t new32 = static_cast<std::uint32_t>(random.next());
        store_be32(&header[at32], new32);
        field = checksum_update32(field, old32, new32);
        zeroed = header;
        zeroed[10] = zeroed[11] = 0;
        ASSERT_EQ(field, checksum(zeroed)) << "round " << round;
    }
}

TEST(Checksum, PseudoHeaderSum) {
    // 198.18.0.1 -> 198.18.0.2, UDP, length 12: words c612 0001 c612 0002 0011 000c.
    std::uint32_t expected = 0xc612 + 0x0001 + 0xc612 + 0x0002 + 0x0011 + 0x000c;
    while (expected >> 16)
        expected = (expected & 0xffff) + (expected >> 16);
    EXPECT_EQ(pseudo_header_sum_ipv4(0xC6120001u, 0xC6120002u, 17, 12), expected);
    // The same as summing the 12 pseudo-header bytes.
    std::vector<std::uint8_t> pseudo{0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x00, 17, 0x00, 12};
    EXPECT_EQ(checksum_partial(Bytes{}, pseudo_header_sum_ipv4(0xC6120001u, 0xC6120002u, 17, 12)),
              reference_partial(pseudo));
    // Extreme addresses fold their carries.
    std::vector<std::uint8_t> extreme{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff};
    EXPECT_EQ(checksum_partial(Bytes{}, pseudo_header_sum_ipv4(0xffffffffu, 0xffffffffu, 0xff, 0xffff)),
              reference_partial(extreme));
}

TEST(Checksum, PseudoHeaderPlusUdpDatagramVerifies) {
    // A UDP datagram 198.18.0.1:1234 -> 198.18.0.2:53 with payload "abc": fill the checksum, then the sum
    // over pseudo-header and datagram is all ones.
    std::vector<std::uint8_t> udp{0x04, 0xd2, 0x00, 0x35, 0x00, 0x0b, 0x00, 0x00, 'a', 'b', 'c'};
    std::uint32_t pseudo = pseudo_header_sum_ipv4(0xC6120001u, 0xC6120002u, 17, 11);
    std::uint16_t c = checksum(udp, pseudo);
    udp[6] = static_cast<std::uint8_t>(c >> 8);
    udp[7] = static_cast<std::uint8_t>(c);
    EXPECT_EQ(checksum_partial(udp, pseudo), 0xffff);
    std::vector<std::uint8_t> pseudo_bytes{0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
                                           0x00, 0x02, 0x00, 17,   0x00, 11};
    std::vector<std::uint8_t> whole = pseudo_bytes;
    whole.insert(whole.end(), udp.begin(), udp.end());
    EXPECT_EQ(reference_partial(whole), 0xffff);
}
