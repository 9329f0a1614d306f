// UDP header (RFC 768): a view over received bytes and a repr to emit.
//
// Length contract, checked once in View::check/parse:
//   - at least 8 bytes (the header), else Truncated;
//   - the Length field is at least 8 and at most the bytes given (the IP payload), else BadLength.
// A View spans exactly the Length field's bytes: anything after it in the IP payload is padding and is not
// part of the datagram. After parse succeeds no accessor can read out of bounds.
//
//    0      7 8     15 16    23 24    31
//   +--------+--------+--------+--------+
//   |   Source Port   | Destination Port|
//   +--------+--------+--------+--------+
//   |     Length      |    Checksum     |
//   +--------+--------+--------+--------+
#pragma once
#include "core/bytes.hpp"
#include "core/checksum.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::wire::udp {

inline constexpr std::size_t header_len = 8;
inline constexpr std::uint8_t ip_protocol = 17;
inline constexpr std::size_t max_payload_len = 0xffff - header_len;

namespace field {
inline constexpr std::size_t source_port = 0;
inline constexpr std::size_t destination_port = 2;
inline constexpr std::size_t length = 4;
inline constexpr std::size_t checksum = 6;
} // namespace field

// Why bytes are not a UDP datagram (the caller maps these to its drop reasons).
enum class Malformed : std::uint8_t { None, Truncated, BadLength };

class View {
  public:
    static Malformed check(Bytes bytes) {
        if (bytes.size() < header_len) return Malformed::Truncated;
        std::size_t length = load_be16(bytes.data() + field::length);
        if (length < header_len || length > bytes.size()) return Malformed::BadLength;
        return Malformed::None;
    }
    // The datagram at the front of `bytes` (an IP payload), trimmed to its Length field.
    static std::optional<View> parse(Bytes bytes) {
        if (check(bytes) != Malformed::None) return std::nullopt;
        return View(bytes.first(load_be16(bytes.data() + field::length)));
    }

    std::uint16_t source_port() const { return load_be16(bytes_.data() + field::source_port); }
    std::uint16_t destination_port() const { return load_be16(bytes_.data() + field::destination_port); }
    std::uint16_t length() const { return load_be16(bytes_.data() + field::length); }
    std::uint16_t checksum_field() const { return load_be16(bytes_.data() + field::checksum); }
    // Header and payload, exactly length() bytes.
    Bytes bytes() const { return bytes_; }
    Bytes payload() const { return bytes_.subspan(header_len); }

    // RFC 768: a zero checksum field means the sender computed none (allowed on IPv4). Otherwise the sum
    // over the pseudo-header and the whole datagram, checksum field included, must be all ones.
    bool checksum_present() const { return checksum_field() != 0; }
    bool verify_checksum_ipv4(std::uint32_t source, std::uint32_t destination) const {
        if (!checksum_present()) return true;
        std::uint32_t pseudo = pseudo_header_sum_ipv4(source, destination, ip_protocol, length());
        return pico::checksum(bytes_, pseudo) == 0;
    }
    // RFC 8200 8.1: over IPv6 the checksum is mandatory: a zero field does not verify.
    bool verify_checksum_ipv6(const Ipv6Addr& source, const Ipv6Addr& destination) const {
        if (!checksum_present()) return false;
        std::uint32_t pseudo =
            pseudo_header_sum_ipv6(source.octets.data(), destination.octets.data(), ip_protocol, length());
        return pico::checksum(bytes_, pseudo) == 0;
    }

  private:
    explicit View(Bytes bytes) : bytes_(bytes) {}
    Bytes bytes_;
};

// The header in host order. emit() writes the 8 header bytes with a zero checksum; the payload follows it in
// the same buffer, and fill_checksum_ipv4() is called once both are in place.
struct Repr {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint16_t payload_len = 0;

    static Repr parse(const View& view) {
        return Repr{view.source_port(), view.destination_port(),
                    static_cast<std::uint16_t>(view.length() - header_len)};
    }
    static constexpr std::size_t buffer_len() { return header_len; }
    std::uint16_t length() const { return static_cast<std::uint16_t>(header_len + payload_len); }

    // Writes exactly buffer_len() bytes at the front of out; false (nothing written) if out is shorter or
    // the payload does not fit the 16-bit Length field.
    bool emit(MutBytes out) const {
        if (out.size() < buffer_len() || payload_len > max_payload_len) return false;
        std::uint8_t* p = out.data();
        store_be16(p + field::source_port, source_port);
        store_be16(p + field::destination_port, destination_port);
        store_be16(p + field::length, length());
        store_be16(p + field::checksum, 0);
        return true;
    }
};

// Computes and stores the checksum of a whole datagram (header with its Length set, then payload) sent from
// source to destination. A computed zero is sent as 0xffff, since zero means "no checksum" (RFC 768).
inline bool fill_checksum_ipv4(MutBytes datagram, std::uint32_t source, std::uint32_t destination) {
    if (datagram.size() < header_len || datagram.size() > 0xffff) return false;
    std::uint8_t* p = datagram.data();
    store_be16(p + field::checksum, 0);
    std::uint32_t pseudo =
        pseudo_header_sum_ipv4(source, destination, ip_protocol, static_cast<std::uint16_t>(datagram.size()));
    std::uint16_t sum = pico::checksum(Bytes{datagram.data(), datagram.size()}, pseudo);
    store_be16(p + field::checksum, sum == 0 ? 0xffff : sum);
    return true;
}

// The same over the IPv6 pseudo-header (RFC 8200 8.1); a computed zero is sent as 0xffff.
inline bool fill_checksum_ipv6(MutBytes datagram, const Ipv6Addr& source, const Ipv6Addr& destination) {
    if (datagram.size() < header_len || datagram.size() > 0xffff) return false;
    std::uint8_t* p = datagram.data();
    store_be16(p + field::checksum, 0);
    std::uint32_t pseudo = pseudo_header_sum_ipv6(source.octets.data(), destination.octets.data(),
                                                  ip_protocol, static_cast<std::uint32_t>(datagram.size()));
    std::uint16_t sum = pico::checksum(Bytes{datagram.data(), datagram.size()}, pseudo);
    store_be16(p + field::checksum, sum == 0 ? 0xffff : sum);
    return true;
}

} // namespace pico::wire::udp
