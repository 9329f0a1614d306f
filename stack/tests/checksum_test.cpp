#include "core/checksum.hpp"
#include <gtest/gtest.h>
#include <vector>

using namespace pico;

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (before complement).
    std::vector<std::uint8_t> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(checksum_partial(data), 0xddf2);
    EXPECT_EQ(checksum(data), static_cast<std::uint16_t>(~0xddf2));
}
