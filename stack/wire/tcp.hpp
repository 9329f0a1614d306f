// TCP header (RFC 9293 section 3.1) and its options: a view over received bytes and a repr to emit.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Source Port          |       Destination Port        |
//   |                        Sequence Number                        |
//   |                    Acknowledgment Number                      |
//   |  Data |       |C|E|U|A|P|R|S|F|                               |
//   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//   |           Checksum            |         Urgent Pointer        |
//   |                           [Options]                           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length contract, checked once in View::parse, in this order:
//   - at least 20 bytes, else Truncated;
//   - Data Offset >= 5 and Data Offset * 4 <= the bytes given, else BadHeaderLength.
// TCP has no length field: a View spans all the bytes given (the IP payload). After parse succeeds no
// accessor can read out of bounds. The option area is parsed separately (parse_options), bounded by its
// length, so the caller decides when a malformed option list is reported (Drop::BadOption).
//
// Options emitted by Repr, in the order and layout Linux uses (tcp_options_write), every group a multiple of
// 4 bytes so no trailing padding is ever needed:
//   MSS                    02 04 mm mm                          (4)
//   SACK-permitted + TS    04 02 08 0a vvvvvvvv eeeeeeee         (12)   when both are set
//   TS alone               01 01 08 0a vvvvvvvv eeeeeeee         (12)
//   Window scale           01 03 03 ss                          (4)
//   SACK-permitted alone   01 01 04 02                          (4)    when timestamps are not set
//   SACK blocks            01 01 05 (2+8n) [left right]*n        (4+8n) n trimmed so the area is <= 40 bytes
// So a Linux-like SYN (MSS, SACK-permitted, TS, WS) is 20 bytes of options and a data segment with
// timestamps 12, leaving room for 3 SACK blocks (RFC 2018 section 3).
#pragma once
#include "core/bytes.hpp"
#include "core/checksum.hpp"
#include "core/drop.hpp"
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::wire::tcp {

inline constexpr std::size_t min_header_len = 20;
inline constexpr std::size_t max_header_len = 60;
inline constexpr std::size_t max_options_len = max_header_len - min_header_len;
inline constexpr std::uint8_t ip_protocol = 6;
// What an ICMP error quotes of the TCP header at least (RFC 792: 8 bytes of the original datagram's data).
inline constexpr std::size_t quoted_len = 8;

namespace field {
inline constexpr std::size_t source_port = 0;
inline constexpr std::size_t destination_port = 2;
inline constexpr std::size_t seq = 4;
inline constexpr std::size_t ack = 8;
inline constexpr std::size_t data_offset = 12; // high nibble, in 32-bit words; the low nibble is reserved
inline constexpr std::size_t flags = 13;
inline constexpr std::size_t window = 14;
inline constexpr std::size_t checksum = 16;
inline constexpr std::size_t urgent_pointer = 18;
inline constexpr std::size_t options = 20;
} // namespace field

namespace flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
inline constexpr std::uint8_t urg = 0x20;
inline constexpr std::uint8_t ece = 0x40;
inline constexpr std::uint8_t cwr = 0x80;
} // namespace flag

// Option kinds (IANA "TCP Option Kind Numbers") and the lengths RFC 9293 / RFC 7323 / RFC 2018 fix for them.
namespace option {
inline constexpr std::uint8_t end_of_list = 0;    // RFC 9293 3.2
inline constexpr std::uint8_t no_operation = 1;   // RFC 9293 3.2
inline constexpr std::uint8_t mss = 2;            // RFC 9293 3.2, length 4
inline constexpr std::uint8_t window_scale = 3;   // RFC 7323 2.2, length 3
inline constexpr std::uint8_t sack_permitted = 4; // RFC 2018 2, length 2
inline constexpr std::uint8_t sack = 5;           // RFC 2018 3, length 2 + 8n
inline constexpr std::uint8_t timestamp = 8;      // RFC 7323 3.2, length 10
inline constexpr std::size_t mss_len = 4;
inline constexpr std::size_t window_scale_len = 3;
inline constexpr std::size_t sack_permitted_len = 2;
inline constexpr std::size_t timestamp_len = 10;
inline constexpr std::size_t sack_block_len = 8;
inline constexpr std::size_t max_sack_blocks = 4; // (40 - 2) / 8
} // namespace option

struct SackBlock {
    std::uint32_t left = 0;  // first sequence number of the block
    std::uint32_t right = 0; // one past the last
    friend constexpr bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct Options {
    bool has_mss = false;
    std::uint16_t mss = 0;
    bool has_window_scale = false;
    std::uint8_t window_scale = 0; // as received; the caller clamps to 14 (RFC 7323 2.3)
    bool sack_permitted = false;
    bool has_timestamp = false;
    std::uint32_t ts_val = 0;
    std::uint32_t ts_ecr = 0;
    std::uint8_t sack_count = 0; // blocks in sack[0 .. sack_count)
    std::array<SackBlock, option::max_sack_blocks> sack{};
    friend constexpr bool operator==(const Options&, const Options&) = default;
};

// Parses an option area (RFC 9293 3.2, 3.7.1), bounded by its length. EOL ends the list (what follows is
// padding); NOP is one byte; every other kind needs a length byte, with length >= 2 and the option inside the
// area, else the list is malformed. A known kind with a length other than its fixed one (MSS 4, WS 3,
// SACK-permitted 2, timestamps 10, SACK 2+8n with n in 1..4) is malformed too. Unknown kinds are skipped by
// their length. Malformed -> false (the caller drops the segment with Drop::BadOption); `out` is reset first
// and holds what was parsed. A later occurrence of an option overrides an earlier one. Each step advances at
// least one byte, so the walk is O(area.size()).
inline bool parse_options(Bytes area, Options& out) {
    out = Options{};
    std::size_t at = 0;
    while (at < area.size()) {
        const std::uint8_t kind = area[at];
        if (kind == option::end_of_list) return true;
        if (kind == option::no_operation) {
            ++at;
            continue;
        }
        if (area.size() - at < 2) return false; // no room for the length byte
        const std::size_t length = area[at + 1];
#if PICO_FUZZ_CANARIES
        // CVE-2020-24337 (picoTCP tcp_parse_options): an option of length 0 moved the walk by length - 2
        // after its two bytes were read, i.e. not at all: one segment looped forever.
        if (length == 0 && canary::armed("tcp-option-zero-length")) canary::hang("tcp-option-zero-length");
#endif
        if (length < 2 || length > area.size() - at) return false;
        const std::uint8_t* p = area.data() + at + 2; // the option's data, length - 2 bytes
        switch (kind) {
        case option::mss:
            if (length != option::mss_len) return false;
            out.has_mss = true;
            out.mss = load_be16(p);
            break;
        case option::window_scale:
            if (length != option::window_scale_len) return false;
            out.has_window_scale = true;
            out.window_scale = p[0];
            break;
        case option::sack_permitted:
            if (length != option::sack_permitted_len) return false;
            out.sack_permitted = true;
            break;
        case option::timestamp:
            if (length != option::timestamp_len) return false;
            out.has_timestamp = true;
            out.ts_val = load_be32(p);
            out.ts_ecr = load_be32(p + 4);
            break;
        case option::sack: {
            const std::size_t data = length - 2;
            const std::size_t n = data / option::sack_block_len;
            if (data % option::sack_block_len != 0 || n < 1 || n > option::max_sack_blocks) return false;
            out.sack_count = static_cast<std::uint8_t>(n);
            for (std::size_t i = 0; i < n; ++i) {
                out.sack[i].left = load_be32(p + i * option::sack_block_len);
                out.sack[i].right = load_be32(p + i * option::sack_block_len + 4);
            }
            break;
        }
        default: // unknown: skipped by its length
            break;
        }
        at += length;
    }
    return true;
}

class View {
  public:
    // The segment in `segment` (the whole IP payload); nullopt with the reason in *why.
    static std::optional<View> parse(Bytes segment, Drop* why = nullptr); // below the class

    std::uint16_t source_port() const { return load_be16(at(field::source_port)); }
    std::uint16_t destination_port() const { return load_be16(at(field::destination_port)); }
    std::uint32_t seq() const { return load_be32(at(field::seq)); }
    std::uint32_t ack() const { return load_be32(at(field::ack)); }
    std::size_t header_len() const { return header_len_; }
    std::uint8_t flags() const { return bytes_[field::flags]; }
    bool has(std::uint8_t f) const { return (flags() & f) != 0; }
    std::uint16_t window() const { return load_be16(at(field::window)); }
    std::uint16_t checksum() const { return load_be16(at(field::checksum)); }
    std::uint16_t urgent_pointer() const { return load_be16(at(field::urgent_pointer)); }
    Bytes options() const { return bytes_.subspan(min_header_len, header_len_ - min_header_len); }
    Bytes payload() const { return bytes_.subspan(header_len_); }
    Bytes bytes() const { return bytes_; }
    // Sequence space the segment occupies (RFC 9293 3.4: SEG.LEN counts SYN and FIN).
    std::uint32_t segment_len() const {
        return static_cast<std::uint32_t>(payload().size()) + (has(flag::syn) ? 1u : 0u) +
               (has(flag::fin) ? 1u : 0u);
    }

    // pseudo_header_sum: pseudo_header_sum_ipv4(src, dst, 6, segment length) for IPv4 (IPv6: its own). The
    // ones'-complement sum over the pseudo-header and the whole segment, checksum field included, is all
    // ones.
    bool checksum_valid(std::uint32_t pseudo_header_sum) const {
        return pico::checksum(bytes_, pseudo_header_sum) == 0;
    }

  private:
    View(Bytes bytes, std::size_t header_len) : bytes_(bytes), header_len_(header_len) {}
    const std::uint8_t* at(std::size_t offset) const { return bytes_.data() + offset; }
    static std::nullopt_t fail(Drop* why, Drop reason) {
        if (why != nullptr) *why = reason;
        return std::nullopt;
    }

    Bytes bytes_;
    std::size_t header_len_;
};

// Defined out of the class so that the canary block does not upset clang-format in the class body.
inline std::optional<View> View::parse(Bytes segment, Drop* why) {
    if (segment.size() < min_header_len) return fail(why, Drop::Truncated);
    const std::size_t header_len =
        std::size_t{static_cast<std::uint8_t>(segment[field::data_offset] >> 4)} * 4;
#if PICO_FUZZ_CANARIES
    // CVE-2020-24341 (picoTCP): the Data Offset was not checked against the segment's length before the
    // options were parsed, so the option walk up to the Data Offset read past the end of the segment.
    if (header_len > segment.size() && canary::armed("tcp-length-unchecked")) {
        // Each step advances at least one byte: bounded by the Data Offset.
        for (std::size_t at = min_header_len; at < header_len;) {
            if (at >= segment.size()) canary::crash("tcp-length-unchecked"); // the kind byte
            if (segment[at] == option::end_of_list) break;
            if (segment[at] == option::no_operation) {
                ++at;
                continue;
            }
            if (at + 1 >= segment.size()) canary::crash("tcp-length-unchecked"); // the length byte
            if (segment[at + 1] < 2) break;
            if (at + segment[at + 1] > segment.size()) canary::crash("tcp-length-unchecked"); // its data
            at += segment[at + 1];
        }
    }
#endif
    if (header_len < min_header_len || header_len > segment.size()) return fail(why, Drop::BadHeaderLength);
    return View(segment, header_len);
}

// The first 8 bytes of a TCP header, as an ICMP error quotes them (RFC 792; RFC 5927): enough to find the
// connection and check the sequence number. nullopt when fewer than 8 bytes are quoted.
struct Quoted {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint32_t seq = 0;

    static std::optional<Quoted> parse(Bytes quoted) {
        if (quoted.size() < quoted_len) return std::nullopt;
        return Quoted{load_be16(quoted.data() + field::source_port),
                      load_be16(quoted.data() + field::destination_port),
                      load_be32(quoted.data() + field::seq)};
    }
};

// The header in host order, options included.
struct Repr {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;
    std::uint16_t urgent_pointer = 0;
    Options options{}; // options to emit (mss, ws, sack-permitted, ts, sack blocks)

    // The header's fields and options; nullopt with *why = BadOption when the option list is malformed.
    static std::optional<Repr> parse(const View& view, Drop* why = nullptr) {
        Repr r;
        if (!parse_options(view.options(), r.options)) {
            if (why != nullptr) *why = Drop::BadOption;
            return std::nullopt;
        }
        r.source_port = view.source_port();
        r.destination_port = view.destination_port();
        r.seq = view.seq();
        r.ack = view.ack();
        r.flags = view.flags();
        r.window = view.window();
        r.urgent_pointer = view.urgent_pointer();
        return r;
    }

    // Bytes of options before any SACK blocks (each group a multiple of 4; see the file comment).
    std::size_t fixed_options_len() const {
        std::size_t n = 0;
        if (options.has_mss) n += 4;
        if (options.has_timestamp) n += 12; // SACK-permitted rides in the timestamp group's padding
        if (options.has_window_scale) n += 4;
        if (options.sack_permitted && !options.has_timestamp) n += 4;
        return n;
    }
    // SACK blocks actually emitted: sack_count, at most 4, trimmed so the option area fits 40 bytes.
    std::size_t emitted_sack_blocks() const {
        const std::size_t room = max_options_len - fixed_options_len(); // fixed part is at most 24
        if (room < 4 + option::sack_block_len) return 0;
        const std::size_t fit = (room - 4) / option::sack_block_len;
        return std::min<std::size_t>({options.sack_count, option::max_sack_blocks, fit});
    }
    std::size_t options_len() const {
        const std::size_t blocks = emitted_sack_blocks();
        return fixed_options_len() + (blocks > 0 ? 4 + blocks * option::sack_block_len : 0);
    }
    // 20 + options, a multiple of 4, at most 60.
    std::size_t header_len() const { return min_header_len + options_len(); }
    std::size_t buffer_len() const { return header_len(); }

    // Writes exactly header_len() bytes at the front of out, checksum field 0 (see fill_checksum). False
    // (nothing written) if out is shorter.
    bool emit(MutBytes out) const {
        const std::size_t len = header_len();
        if (out.size() < len) return false;
        std::uint8_t* h = out.data();
        store_be16(h + field::source_port, source_port);
        store_be16(h + field::destination_port, destination_port);
        store_be32(h + field::seq, seq);
        store_be32(h + field::ack, ack);
        h[field::data_offset] = static_cast<std::uint8_t>((len / 4) << 4);
        h[field::flags] = flags;
        store_be16(h + field::window, window);
        store_be16(h + field::checksum, 0);
        store_be16(h + field::urgent_pointer, urgent_pointer);

        std::uint8_t* p = h + field::options;
        if (options.has_mss) {
            p[0] = option::mss;
            p[1] = option::mss_len;
            store_be16(p + 2, options.mss);
            p += 4;
        }
        if (options.has_timestamp) {
            if (options.sack_permitted) {
                p[0] = option::sack_permitted;
                p[1] = option::sack_permitted_len;
            } else {
                p[0] = option::no_operation;
                p[1] = option::no_operation;
            }
            p[2] = option::timestamp;
            p[3] = option::timestamp_len;
            store_be32(p + 4, options.ts_val);
            store_be32(p + 8, options.ts_ecr);
            p += 12;
        }
        if (options.has_window_scale) {
            p[0] = option::no_operation;
            p[1] = option::window_scale;
            p[2] = option::window_scale_len;
            p[3] = options.window_scale;
            p += 4;
        }
        if (options.sack_permitted && !options.has_timestamp) {
            p[0] = option::no_operation;
            p[1] = option::no_operation;
            p[2] = option::sack_permitted;
            p[3] = option::sack_permitted_len;
            p += 4;
        }
        const std::size_t blocks = emitted_sack_blocks();
        if (blocks > 0) {
            p[0] = option::no_operation;
            p[1] = option::no_operation;
            p[2] = option::sack;
            p[3] = static_cast<std::uint8_t>(2 + blocks * option::sack_block_len);
            p += 4;
            for (std::size_t i = 0; i < blocks; ++i) {
                store_be32(p, options.sack[i].left);
                store_be32(p + 4, options.sack[i].right);
                p += option::sack_block_len;
            }
        }
        return true;
    }
    friend bool operator==(const Repr&, const Repr&) = default;
};

// Computes and stores the checksum of a whole segment (header, then payload) over the pseudo-header sum
// (pseudo_header_sum_ipv4(src, dst, 6, segment.size()) for IPv4). Nothing happens for fewer than 20 bytes.
inline void fill_checksum(MutBytes segment, std::uint32_t pseudo_header_sum) {
    if (segment.size() < min_header_len) return;
    std::uint8_t* p = segment.data();
    store_be16(p + field::checksum, 0);
    store_be16(p + field::checksum, pico::checksum(Bytes{p, segment.size()}, pseudo_header_sum));
}

} // namespace pico::wire::tcp
