// ICMPv4 message (RFC 792): a view over received bytes and a repr to emit.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |     Code      |          Checksum             |
//   |          Rest of header (echo: Identifier, Sequence Number)   |
//   |     Data ...  (errors: the offending IP header + >= 8 bytes)
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length contract: View::parse is the one place that checks the length (>= 8 bytes, else Truncated); the
// message is all the bytes given (the IP layer has already trimmed them to its Total Length). After parse no
// accessor can read out of bounds. The checksum covers the whole message (RFC 792). Repr::emit writes exactly
// buffer_len() bytes: the header and the data, checksum included.
#pragma once
#include "core/bytes.hpp"
#include "core/checksum.hpp"
#include "core/drop.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::wire::icmp4 {

inline constexpr std::size_t header_len = 8;
inline constexpr std::uint8_t ip_protocol = 1;

namespace field {
inline constexpr std::size_t type = 0;
inline constexpr std::size_t code = 1;
inline constexpr std::size_t checksum = 2;
inline constexpr std::size_t rest_of_header = 4;
inline constexpr std::size_t echo_identifier = 4;
inline constexpr std::size_t echo_sequence = 6;
} // namespace field

// Error messages (RFC 1122 3.2.2; RFC 1812 4.3.2.7): destination unreachable, source quench, redirect, time
// exceeded, parameter problem. No error is ever sent about one of these.
constexpr bool is_error_type(std::uint8_t type) {
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

class View {
  public:
    static std::optional<View> parse(Bytes bytes, Drop* why = nullptr) {
        if (bytes.size() < header_len) {
            if (why != nullptr) *why = Drop::Truncated;
            return std::nullopt;
        }
        return View(bytes);
    }

    std::uint8_t type() const { return bytes_[field::type]; }
    std::uint8_t code() const { return bytes_[field::code]; }
    std::uint16_t checksum_field() const { return load_be16(bytes_.data() + field::checksum); }
    std::uint32_t rest_of_header() const { return load_be32(bytes_.data() + field::rest_of_header); }
    std::uint16_t echo_identifier() const { return load_be16(bytes_.data() + field::echo_identifier); }
    std::uint16_t echo_sequence() const { return load_be16(bytes_.data() + field::echo_sequence); }
    // After the 8-byte header: echo data, or the quoted datagram of an error.
    Bytes data() const { return bytes_.subspan(header_len); }
    Bytes bytes() const { return bytes_; }

    bool checksum_valid() const { return pico::checksum(bytes_) == 0; }

  private:
    explicit View(Bytes bytes) : bytes_(bytes) {}
    Bytes bytes_;
};

// A message in host order; `data` is borrowed (echo data, or the quoted datagram of an error).
struct Repr {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint32_t rest_of_header = 0;
    Bytes data{};

    static Repr echo(std::uint8_t type, std::uint16_t identifier, std::uint16_t sequence, Bytes data) {
        return {type, 0, (std::uint32_t{identifier} << 16) | sequence, data};
    }
    std::uint16_t echo_identifier() const { return static_cast<std::uint16_t>(rest_of_header >> 16); }
    std::uint16_t echo_sequence() const { return static_cast<std::uint16_t>(rest_of_header); }

    // nullopt with *why = BadChecksum when verify_checksum and the checksum is wrong.
    static std::optional<Repr> parse(const View& view, bool verify_checksum = true, Drop* why = nullptr) {
        if (verify_checksum && !view.checksum_valid()) {
            if (why != nullptr) *why = Drop::BadChecksum;
            return std::nullopt;
        }
        return Repr{view.type(), view.code(), view.rest_of_header(), view.data()};
    }

    std::size_t buffer_len() const { return header_len + data.size(); }
    // Writes header and data, checksum over both, into the first buffer_len() bytes of out. False (nothing
    // written) if out is shorter. `data` may already sit at out[8..] (an echo reply built in place).
    bool emit(MutBytes out) const {
        if (out.size() < buffer_len()) return false;
        std::uint8_t* m = out.data();
        if (data.data() != m + header_len) copy_bytes(m + header_len, data.data(), data.size());
        m[field::type] = type;
        m[field::code] = code;
        store_be16(m + field::checksum, 0);
        store_be32(m + field::rest_of_header, rest_of_header);
        store_be16(m + field::checksum, pico::checksum(Bytes{m, buffer_len()}));
        return true;
    }
};

} // namespace pico::wire::icmp4
