// ICMPv6 message (RFC 4443 section 2.1): a view over received bytes and a repr to emit.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |     Code      |          Checksum             |
//   |  Message body: errors: a 32-bit parameter (MTU, pointer, unused) then the invoking packet;
//   |                echo: Identifier, Sequence Number, data
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length contract: View::parse checks the 4-octet header (Truncated); the message is all the bytes given
// (the IPv6 layer trimmed them to its Payload Length and pulled the extension headers), so the checksum never
// reads past the frame (CVE-2020-17441 shape). The body accessors need the 8-octet header: has_body() says
// whether it is there (echo messages shorter than 8 octets are dropped, CVE-2020-17443 shape). The checksum
// covers the pseudo-header (RFC 8200 8.1) and the message: pseudo_header_sum() gives the first part.
#pragma once
#include "core/bytes.hpp"
#include "core/checksum.hpp"
#include "core/drop.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::wire::icmp6 {

inline constexpr std::size_t min_len = 4;
inline constexpr std::size_t header_len = 8;
inline constexpr std::uint8_t next_header = 58;

namespace field {
inline constexpr std::size_t type = 0;
inline constexpr std::size_t code = 1;
inline constexpr std::size_t checksum = 2;
inline constexpr std::size_t parameter = 4;
inline constexpr std::size_t echo_identifier = 4;
inline constexpr std::size_t echo_sequence = 6;
} // namespace field

// RFC 4443 2.1: types 0-127 are errors, 128-255 informational.
constexpr bool is_error_type(std::uint8_t type) {
    return type < 128;
}

// The pseudo-header of RFC 8200 8.1 summed (not complemented): source, destination, upper-layer length,
// three zero octets and the Next Header.
inline std::uint32_t pseudo_header_sum(const Ipv6Addr& source, const Ipv6Addr& destination,
                                       std::uint32_t length, std::uint8_t nh) {
    std::uint32_t sum = checksum_partial(Bytes{source.octets.data(), 16});
    sum += checksum_partial(Bytes{destination.octets.data(), 16});
    sum += (length >> 16) + (length & 0xffffu) + nh;
    return sum;
}

// The Internet checksum of an upper-layer message over IPv6 (0 when a received message verifies).
inline std::uint16_t upper_layer_checksum(const Ipv6Addr& source, const Ipv6Addr& destination,
                                          std::uint8_t nh, Bytes message) {
    return pico::checksum(
        message, pseudo_header_sum(source, destination, static_cast<std::uint32_t>(message.size()), nh));
}

class View {
  public:
    static std::optional<View> parse(Bytes bytes, Drop* why = nullptr) {
        if (bytes.size() < min_len) {
            if (why != nullptr) *why = Drop::Truncated;
            return std::nullopt;
        }
        return View(bytes);
    }
    std::uint8_t type() const { return bytes_[field::type]; }
    std::uint8_t code() const { return bytes_[field::code]; }
    std::uint16_t checksum_field() const { return load_be16(bytes_.data() + field::checksum); }
    bool has_body() const { return bytes_.size() >= header_len; }
    // Only when has_body().
    std::uint32_t parameter() const { return has_body() ? load_be32(bytes_.data() + field::parameter) : 0; }
    std::uint16_t echo_identifier() const {
        return has_body() ? load_be16(bytes_.data() + field::echo_identifier) : 0;
    }
    std::uint16_t echo_sequence() const {
        return has_body() ? load_be16(bytes_.data() + field::echo_sequence) : 0;
    }
    // After the 8-octet header: echo data, or the invoking packet of an error (empty without a body).
    Bytes data() const { return has_body() ? bytes_.subspan(header_len) : Bytes{}; }
    Bytes bytes() const { return bytes_; }
    bool checksum_valid(const Ipv6Addr& source, const Ipv6Addr& destination) const {
        return upper_layer_checksum(source, destination, next_header, bytes_) == 0;
    }

  private:
    explicit View(Bytes bytes) : bytes_(bytes) {}
    Bytes bytes_;
};

// A message with the 8-octet header, in host order; `data` is borrowed. emit leaves the checksum 0: it
// needs the addresses (fill_checksum).
struct Repr {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint32_t parameter = 0;
    Bytes data{};

    static Repr echo(std::uint8_t type, std::uint16_t identifier, std::uint16_t sequence, Bytes data) {
        return {type, 0, (std::uint32_t{identifier} << 16) | sequence, data};
    }
    std::size_t buffer_len() const { return header_len + data.size(); }
    // `data` may already sit at out[8..] (an echo reply built in place).
    bool emit(MutBytes out) const {
        if (out.size() < buffer_len()) return false;
        std::uint8_t* m = out.data();
        if (data.data() != m + header_len && !data.empty())
            copy_bytes(m + header_len, data.data(), data.size());
        m[field::type] = type;
        m[field::code] = code;
        store_be16(m + field::checksum, 0);
        store_be32(m + field::parameter, parameter);
        return true;
    }
};

// Writes the checksum of a message built in place.
inline void fill_checksum(MutBytes message, const Ipv6Addr& source, const Ipv6Addr& destination) {
    if (message.size() < min_len) return;
    store_be16(message.data() + field::checksum, 0);
    store_be16(message.data() + field::checksum,
               upper_layer_checksum(source, destination, next_header, Bytes{message.data(), message.size()}));
}

} // namespace pico::wire::icmp6
