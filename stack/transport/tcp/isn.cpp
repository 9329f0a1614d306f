// RFC 6528 initial sequence numbers, F = SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input
// PRF", 2012; the reference implementation's algorithm, little-endian words).
#include "transport/tcp/isn.hpp"
#include <array>
#include <cstddef>
#include <cstdint>

namespace pico::tcp {

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) {
    return (x << b) | (x >> (64 - b));
}

std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

struct SipState {
    std::uint64_t v0, v1, v2, v3;

    void round() {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
    void compress(std::uint64_t m) { // c = 2 rounds per message word
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

} // namespace

std::uint64_t siphash24(const std::array<std::uint8_t, 16>& key, Bytes data) {
    const std::uint64_t k0 = load_le64(key.data());
    const std::uint64_t k1 = load_le64(key.data() + 8);
    SipState s{k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull, k0 ^ 0x6c7967656e657261ull,
               k1 ^ 0x7465646279746573ull};

    const std::size_t whole = data.size() - data.size() % 8;
    for (std::size_t i = 0; i < whole; i += 8)
        s.compress(load_le64(data.data() + i));

    // The last word: the remaining 0..7 bytes, little-endian, with the length (mod 256) in the top byte.
    std::uint64_t last = static_cast<std::uint64_t>(data.size() & 0xff) << 56;
    for (std::size_t i = whole; i < data.size(); ++i)
        last |= static_cast<std::uint64_t>(data[i]) << (8 * (i - whole));
    s.compress(last);

    s.v2 ^= 0xff; // d = 4 finalization rounds
    s.round();
    s.round();
    s.round();
    s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

// RFC 6528 section 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a timer that ticks
// every 4 microseconds (milliseconds * 250, modulo 2^32), F a keyed PRF over the connection's 4-tuple. The
// message is local address, local port (big-endian), remote address, remote port; addresses of any family
// (at most 16 bytes each, longer ones are cut to 16).
SeqNum generate_isn(const std::array<std::uint8_t, 16>& secret, Bytes local_address, std::uint16_t local_port,
                    Bytes remote_address, std::uint16_t remote_port, TimeMs now) {
    std::array<std::uint8_t, std::size_t{2} * (16 + 2)> message{};
    std::size_t n = 0;
    auto put_address = [&](Bytes address) {
        const std::size_t len = address.size() < 16 ? address.size() : 16;
        for (std::size_t i = 0; i < len; ++i)
            message[n++] = address[i];
    };
    auto put_port = [&](std::uint16_t port) {
        message[n++] = static_cast<std::uint8_t>(port >> 8);
        message[n++] = static_cast<std::uint8_t>(port);
    };
    put_address(local_address);
    put_port(local_port);
    put_address(remote_address);
    put_port(remote_port);

    const std::uint32_t m = static_cast<std::uint32_t>(now * 250u);
    const std::uint32_t f = static_cast<std::uint32_t>(siphash24(secret, Bytes{message.data(), n}));
    return SeqNum(m + f);
}

} // namespace pico::tcp
