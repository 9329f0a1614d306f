// IPv4 header (RFC 791 section 3.1): a view over received bytes and a repr to emit.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version|  IHL  |Type of Service|          Total Length         |
//   |         Identification        |Flags|      Fragment Offset    |
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   |                       Source Address                          |
//   |                    Destination Address                        |
//   |                    Options                    |    Padding    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length contract, checked once in View::parse, in this order (the order ipv4::input reports them):
//   - at least 20 bytes, else Truncated;
//   - version 4, else BadVersion;
//   - IHL >= 5 and IHL*4 <= the bytes given, else BadHeaderLength;
//   - IHL*4 <= Total Length <= the bytes given, else BadLength.
// A View spans exactly Total Length bytes: what follows in the frame is link padding and not part of the
// datagram. parse also walks the option list (bounded by the header length) and records whether it is well
// formed; it does not reject a datagram for its options, because the input path reports BadOption only after
// the checksum, address, TTL and fragment checks (options_well_formed()). After parse succeeds no accessor
// can read out of bounds.
//
// parse_quoted() is the variant for the datagram an ICMP error quotes (RFC 792): the header and at least 8
// bytes of its data, where Total Length describes the original datagram and is larger than what is quoted.
//
// Repr emits a 20-byte header without options, checksum included.
#pragma once
#include "core/bytes.hpp"
#include "core/checksum.hpp"
#include "core/drop.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::wire::ipv4 {

inline constexpr std::size_t min_header_len = 20;
inline constexpr std::size_t max_header_len = 60;
inline constexpr std::size_t max_total_len = 0xffff;
// What an ICMP error must quote beyond the header (RFC 792; RFC 1122 3.2.2).
inline constexpr std::size_t quoted_data_len = 8;

namespace field {
inline constexpr std::size_t version_ihl = 0;
inline constexpr std::size_t tos = 1;
inline constexpr std::size_t total_length = 2;
inline constexpr std::size_t identification = 4;
inline constexpr std::size_t flags_fragment = 6;
inline constexpr std::size_t ttl = 8;
inline constexpr std::size_t protocol = 9;
inline constexpr std::size_t checksum = 10;
inline constexpr std::size_t source = 12;
inline constexpr std::size_t destination = 16;
inline constexpr std::size_t options = 20;
} // namespace field

inline constexpr std::uint16_t flag_reserved = 0x8000;
inline constexpr std::uint16_t flag_dont_fragment = 0x4000;
inline constexpr std::uint16_t flag_more_fragments = 0x2000;
inline constexpr std::uint16_t fragment_offset_mask = 0x1fff; // in units of 8 bytes

// Option types with a meaning of their own in the walk (RFC 791 section 3.1, "Options").
inline constexpr std::uint8_t option_end_of_list = 0;
inline constexpr std::uint8_t option_no_operation = 1;

// RFC 791 section 3.1: an option is either a single octet (End of Option List, No Operation) or type,
// length (counting type and length, so >= 2) and data, entirely inside the header. Every step advances at
// least one byte and the walk stops at the end of `options`, so it is O(options.size()).
constexpr bool options_well_formed(Bytes options) {
    std::size_t at = 0;
    while (at < options.size()) {
        std::uint8_t type = options[at];
        if (type == option_end_of_list) return true; // the rest is padding
        if (type == option_no_operation) {
            ++at;
            continue;
        }
        if (options.size() - at < 2) return false; // no room for the length byte
        std::size_t length = options[at + 1];
        if (length < 2 || length > options.size() - at) return false;
        at += length;
    }
    return true;
}

class View {
  public:
    // The datagram at the front of `bytes` (a frame's payload, possibly with link padding after it),
    // trimmed to its Total Length; nullopt with the reason in *why.
    static std::optional<View> parse(Bytes bytes, Drop* why = nullptr) {
        auto header_len = check_header(bytes, why);
        if (!header_len) return std::nullopt;
        std::size_t total = load_be16(bytes.data() + field::total_length);
        if (total < *header_len || total > bytes.size()) return fail(why, Drop::BadLength);
        return View(bytes.first(total), *header_len);
    }
    // The start of a datagram quoted in an ICMP error: a whole header and at least 8 bytes after it. Total
    // Length is not checked against the bytes (the quote is usually shorter than the original). A View from
    // here spans all of `bytes`.
    static std::optional<View> parse_quoted(Bytes bytes, Drop* why = nullptr) {
        auto header_len = check_header(bytes, why);
        if (!header_len) return std::nullopt;
        if (bytes.size() - *header_len < quoted_data_len) return fail(why, Drop::Truncated);
        return View(bytes, *header_len);
    }

    std::uint8_t version() const { return bytes_[field::version_ihl] >> 4; }
    std::size_t header_len() const { return header_len_; }
    std::uint8_t tos() const { return bytes_[field::tos]; }
    std::uint16_t total_length() const { return load_be16(at(field::total_length)); }
    std::uint16_t identification() const { return load_be16(at(field::identification)); }
    bool dont_fragment() const { return (flags_fragment() & flag_dont_fragment) != 0; }
    bool more_fragments() const { return (flags_fragment() & flag_more_fragments) != 0; }
    // In bytes (the field counts 8-byte units).
    std::uint32_t fragment_offset() const {
        return static_cast<std::uint32_t>(flags_fragment() & fragment_offset_mask) * 8;
    }
    bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
    std::uint8_t ttl() const { return bytes_[field::ttl]; }
    std::uint8_t protocol() const { return bytes_[field::protocol]; }
    std::uint16_t checksum_field() const { return load_be16(at(field::checksum)); }
    Ipv4Addr source() const { return Ipv4Addr::load(at(field::source)); }
    Ipv4Addr destination() const { return Ipv4Addr::load(at(field::destination)); }

    Bytes header() const { return bytes_.first(header_len_); }
    Bytes options() const { return bytes_.subspan(min_header_len, header_len_ - min_header_len); }
    Bytes payload() const { return bytes_.subspan(header_len_); }
    Bytes bytes() const { return bytes_; }

    // RFC 791 / RFC 1071: the ones'-complement sum over the header, checksum field included, is all ones.
    bool checksum_valid() const { return pico::checksum(header()) == 0; }
    bool options_well_formed() const { return options_well_formed_; }

  private:
    View(Bytes bytes, std::size_t header_len)
        : bytes_(bytes), header_len_(header_len),
          options_well_formed_(
              wire::ipv4::options_well_formed(bytes.subspan(min_header_len, header_len - min_header_len))) {}
    const std::uint8_t* at(std::size_t offset) const { return bytes_.data() + offset; }
    std::uint16_t flags_fragment() const { return load_be16(at(field::flags_fragment)); }

    static std::nullopt_t fail(Drop* why, Drop reason) {
        if (why != nullptr) *why = reason;
        return std::nullopt;
    }
    // The checks shared by parse and parse_quoted; the header length in bytes.
    static std::optional<std::size_t> check_header(Bytes bytes, Drop* why) {
        if (bytes.size() < min_header_len) return fail(why, Drop::Truncated);
        std::uint8_t first = bytes[field::version_ihl];
        if ((first >> 4) != 4) return fail(why, Drop::BadVersion);
        std::size_t header_len = std::size_t{first & 0x0fu} * 4;
        if (header_len < min_header_len || header_len > bytes.size()) return fail(why, Drop::BadHeaderLength);
        return header_len;
    }

    Bytes bytes_;
    std::size_t header_len_;
    bool options_well_formed_;
};

// A header without options, in host order.
struct Repr {
    Ipv4Addr source{};
    Ipv4Addr destination{};
    std::uint8_t protocol = 0;
    std::uint8_t ttl = 0;
    std::uint8_t tos = 0;
    std::uint16_t identification = 0;
    bool dont_fragment = false;
    bool more_fragments = false;
    std::uint16_t fragment_offset = 0; // bytes, a multiple of 8
    std::uint16_t payload_len = 0;

    // The header's fields (options are not kept); nullopt with *why = BadChecksum when verify_checksum and
    // the checksum is wrong.
    static std::optional<Repr> parse(const View& view, bool verify_checksum = true, Drop* why = nullptr) {
        if (verify_checksum && !view.checksum_valid()) {
            if (why != nullptr) *why = Drop::BadChecksum;
            return std::nullopt;
        }
        Repr r;
        r.source = view.source();
        r.destination = view.destination();
        r.protocol = view.protocol();
        r.ttl = view.ttl();
        r.tos = view.tos();
        r.identification = view.identification();
        r.dont_fragment = view.dont_fragment();
        r.more_fragments = view.more_fragments();
        r.fragment_offset = static_cast<std::uint16_t>(view.fragment_offset());
        r.payload_len = static_cast<std::uint16_t>(view.payload().size());
        return r;
    }

    static constexpr std::size_t buffer_len() { return min_header_len; }
    // Total Length the header will carry (false from emit when it does not fit 16 bits).
    std::size_t total_len() const { return min_header_len + payload_len; }

    // Writes the 20-byte header, checksum included, into the first buffer_len() bytes of out. False (nothing
    // written) if out is shorter or the datagram would exceed 65535 bytes.
    bool emit(MutBytes out) const {
        if (out.size() < min_header_len || total_len() > max_total_len) return false;
        std::uint8_t* h = out.data();
        h[field::version_ihl] = 0x45;
        h[field::tos] = tos;
        store_be16(h + field::total_length, static_cast<std::uint16_t>(total_len()));
        store_be16(h + field::identification, identification);
        std::uint16_t flags = static_cast<std::uint16_t>((fragment_offset / 8) & fragment_offset_mask);
        if (dont_fragment) flags |= flag_dont_fragment;
        if (more_fragments) flags |= flag_more_fragments;
        store_be16(h + field::flags_fragment, flags);
        h[field::ttl] = ttl;
        h[field::protocol] = protocol;
        store_be16(h + field::checksum, 0);
        source.store(h + field::source);
        destination.store(h + field::destination);
        store_be16(h + field::checksum, pico::checksum(Bytes{h, min_header_len}));
        return true;
    }
    friend bool operator==(const Repr&, const Repr&) = default;
};

} // namespace pico::wire::ipv4
