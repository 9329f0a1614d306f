// RFC 6528 initial sequence numbers and the SipHash-2-4 PRF behind them.
#include "core/config.hpp"
#if PICO_WITH_TCP
#include "transport/tcp/isn.hpp"
#include <array>
#include <cstdint>
#include <gtest/gtest.h>
#include <set>
#include <vector>

using namespace pico;
using pico::tcp::generate_isn;
using pico::tcp::SeqNum;
using pico::tcp::siphash24;

namespace {

std::array<std::uint8_t, 16> reference_key() {
    std::array<std::uint8_t, 16> k{};
    for (std::size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<std::uint8_t>(i);
    return k;
}

std::vector<std::uint8_t> counting(std::size_t n) {
    std::vector<std::uint8_t> m(n);
    for (std::size_t i = 0; i < n; ++i)
        m[i] = static_cast<std::uint8_t>(i);
    return m;
}

const std::array<std::uint8_t, 4> local4{198, 18, 0, 1};
const std::array<std::uint8_t, 4> remote4{198, 18, 0, 2};

} // namespace

// The SipHash paper's test vector (Appendix A): key 00..0f, message 00..0e.
TEST(TcpIsn, SipHashPaperVector) {
    auto m = counting(15);
    EXPECT_EQ(siphash24(reference_key(), m), 0xa129ca6149be45e5ull);
}

// Entries of the reference implementation's vectors table (message 00..n-1), covering the empty message, a
// partial last word, exactly one word, one word plus a byte, two words and the longest entry.
TEST(TcpIsn, SipHashReferenceVectors) {
    const std::pair<std::size_t, std::uint64_t> vectors[] = {
        {0, 0x726fdb47dd0e0e31ull},  {1, 0x74f839c593dc67fdull},  {7, 0xab0200f58b01d137ull},
        {8, 0x93f5f5799a932462ull},  {9, 0x9e0082df0ba9e4b0ull},  {15, 0xa129ca6149be45e5ull},
        {16, 0x3f2acc7f57c29bdbull}, {63, 0x958a324ceb064572ull},
    };
    for (auto [n, expected] : vectors) {
        auto m = counting(n);
        EXPECT_EQ(siphash24(reference_key(), Bytes{m.data(), m.size()}), expected) << "length " << n;
    }
}

TEST(TcpIsn, SipHashDependsOnKey) {
    auto m = counting(15);
    auto k = reference_key();
    k[15] ^= 1;
    EXPECT_NE(siphash24(k, m), 0xa129ca6149be45e5ull);
}

TEST(TcpIsn, DeterministicForSameSecretTupleAndTime) {
    auto key = reference_key();
    SeqNum a = generate_isn(key, local4, 80, remote4, 40000, 123456);
    SeqNum b = generate_isn(key, local4, 80, remote4, 40000, 123456);
    EXPECT_EQ(a, b);
}

// F is the low 32 bits of SipHash over local address, local port (big-endian), remote address, remote port;
// M = milliseconds * 250.
TEST(TcpIsn, ExactValueFromDefinition) {
    auto key = reference_key();
    std::vector<std::uint8_t> msg{198, 18, 0, 1, 0x00, 0x50, 198, 18, 0, 2, 0x9c, 0x40};
    const std::uint32_t f = static_cast<std::uint32_t>(siphash24(key, Bytes{msg.data(), msg.size()}));
    EXPECT_EQ(generate_isn(key, local4, 80, remote4, 40000, 0).raw(), f);
    EXPECT_EQ(generate_isn(key, local4, 80, remote4, 40000, 1000).raw(), f + 250000u);
    // M wraps modulo 2^32 (every ~4.77 hours).
    const TimeMs wrap = (TimeMs{1} << 32) / 250 + 7;
    EXPECT_EQ(generate_isn(key, local4, 80, remote4, 40000, wrap).raw(),
              f + static_cast<std::uint32_t>(wrap * 250));
}

TEST(TcpIsn, DiffersPerFourTuple) {
    auto key = reference_key();
    const std::array<std::uint8_t, 4> other4{198, 18, 0, 3};
    std::set<std::uint32_t> seen;
    seen.insert(generate_isn(key, local4, 80, remote4, 40000, 5000).raw());
    seen.insert(generate_isn(key, local4, 81, remote4, 40000, 5000).raw());
    seen.insert(generate_isn(key, local4, 80, remote4, 40001, 5000).raw());
    seen.insert(generate_isn(key, local4, 80, other4, 40000, 5000).raw());
    seen.insert(generate_isn(key, other4, 80, remote4, 40000, 5000).raw());
    // Swapping the ends is another connection.
    seen.insert(generate_isn(key, remote4, 40000, local4, 80, 5000).raw());
    EXPECT_EQ(seen.size(), 6u);
}

TEST(TcpIsn, DiffersPerSecret) {
    auto key = reference_key();
    auto other = key;
    other[0] = 0xff;
    EXPECT_NE(generate_isn(key, local4, 80, remote4, 40000, 0),
              generate_isn(other, local4, 80, remote4, 40000, 0));
}

TEST(TcpIsn, IncreasesWithTimeForSameTuple) {
    auto key = reference_key();
    SeqNum prev = generate_isn(key, local4, 80, remote4, 40000, 1);
    for (TimeMs t = 38; t < 2000; t += 37) {
        SeqNum now = generate_isn(key, local4, 80, remote4, 40000, t);
        EXPECT_TRUE(now > prev) << t;
        EXPECT_EQ(now - prev, 37 * 250);
        prev = now;
    }
}

TEST(TcpIsn, Ipv6AddressesUseTheSameFunction) {
    auto key = reference_key();
    std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8}, b{0x20, 0x01, 0x0d, 0xb8};
    a[15] = 1;
    b[15] = 2;
    std::vector<std::uint8_t> msg(a.begin(), a.end());
    msg.insert(msg.end(), {0x01, 0xbb});
    msg.insert(msg.end(), b.begin(), b.end());
    msg.insert(msg.end(), {0xc3, 0x50});
    const std::uint32_t f = static_cast<std::uint32_t>(siphash24(key, Bytes{msg.data(), msg.size()}));
    EXPECT_EQ(generate_isn(key, a, 443, b, 50000, 0).raw(), f);
    EXPECT_NE(generate_isn(key, a, 443, b, 50000, 0), generate_isn(key, b, 443, a, 50000, 0));
}

#endif // PICO_WITH_TCP
