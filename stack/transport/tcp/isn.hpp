// Initial sequence numbers per RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
// M a 4-microsecond clock (here: milliseconds * 250), F SipHash-2-4 keyed by a 128-bit secret from the
// platform.
#pragma once
#include "core/types.hpp"
#include "transport/tcp/seqnum.hpp"
#include <array>
#include <cstdint>

namespace pico::tcp {

// SipHash-2-4 of `data` with a 128-bit key (reference: Aumasson & Bernstein). Exposed for the test vectors.
std::uint64_t siphash24(const std::array<std::uint8_t, 16>& key, Bytes data);

// Address bytes are passed as spans so IPv6 (16 bytes) uses the same function as IPv4 (4 bytes).
SeqNum generate_isn(const std::array<std::uint8_t, 16>& secret, Bytes local_address, std::uint16_t local_port,
                    Bytes remote_address, std::uint16_t remote_port, TimeMs now);

} // namespace pico::tcp
