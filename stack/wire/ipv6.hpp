// IPv6 header and extension headers (RFC 8200 sections 3, 4): views over received bytes and reprs to emit.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Traffic Class |           Flow Label                  |
//   |         Payload Length        |  Next Header  |   Hop Limit   |
//   |                    Source Address (128 bits)                  |
//   |                 Destination Address (128 bits)                |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length contract, checked once in View::parse, in this order (the order ipv6::input reports them):
//   - at least 40 bytes, else Truncated;
//   - version 6, else BadVersion;
//   - 40 + Payload Length <= the bytes given, else BadLength (jumbograms, RFC 2675, are not supported: a
//     Payload Length of 0 means an empty payload).
// A View spans exactly 40 + Payload Length bytes: what follows is link padding.
//
// Extension headers (RFC 8200 4.3-4.6) share the shape Next Header, Hdr Ext Len (8-octet units not counting
// the first 8), data; the Fragment header is a fixed 8 octets. ExtHeader::parse checks that a header lies
// entirely inside the bytes given. Options (4.2) are walked by walk_options(), bounded by the header's
// length: each step advances at least one octet and an option whose length runs past the header stops the
// walk as malformed (CVE-2020-17442 / CVE-2020-17445 shapes: a length that wraps or overruns).
#pragma once
#include "core/bytes.hpp"
#include "core/drop.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::wire::ipv6 {

inline constexpr std::size_t header_len = 40;
inline constexpr std::size_t fragment_header_len = 8;
inline constexpr std::size_t max_payload_len = 0xffff;

namespace field {
inline constexpr std::size_t version_tc_flow = 0;
inline constexpr std::size_t payload_length = 4;
inline constexpr std::size_t next_header = 6;
inline constexpr std::size_t hop_limit = 7;
inline constexpr std::size_t source = 8;
inline constexpr std::size_t destination = 24;
} // namespace field

// Next Header values of the extension headers walked here (IANA).
inline constexpr std::uint8_t nh_hop_by_hop = 0;
inline constexpr std::uint8_t nh_routing = 43;
inline constexpr std::uint8_t nh_fragment = 44;
inline constexpr std::uint8_t nh_auth = 51;
inline constexpr std::uint8_t nh_icmp6 = 58;
inline constexpr std::uint8_t nh_none = 59;
inline constexpr std::uint8_t nh_dest_options = 60;

// Options (RFC 8200 4.2; RFC 2711 Router Alert).
inline constexpr std::uint8_t option_pad1 = 0;
inline constexpr std::uint8_t option_padn = 1;
inline constexpr std::uint8_t option_router_alert = 5;
inline constexpr std::uint16_t router_alert_mld = 0;

class View {
  public:
    static std::optional<View> parse(Bytes bytes, Drop* why = nullptr) {
        if (!check_header(bytes, why)) return std::nullopt;
        std::size_t payload = load_be16(bytes.data() + field::payload_length);
        if (payload > bytes.size() - header_len) return fail(why, Drop::BadLength);
        return View(bytes.first(header_len + payload));
    }
    // The start of a packet quoted in an ICMPv6 error (RFC 4443 2.4 (c)): a whole IPv6 header; Payload
    // Length describes the original and is not checked against the quote. Spans all of `bytes`.
    static std::optional<View> parse_quoted(Bytes bytes, Drop* why = nullptr) {
        if (!check_header(bytes, why)) return std::nullopt;
        return View(bytes);
    }

    std::uint8_t version() const { return bytes_[0] >> 4; }
    std::uint8_t traffic_class() const {
        return static_cast<std::uint8_t>((load_be16(bytes_.data()) >> 4) & 0xffu);
    }
    std::uint32_t flow_label() const { return load_be32(bytes_.data()) & 0xfffffu; }
    std::uint16_t payload_length() const { return load_be16(bytes_.data() + field::payload_length); }
    std::uint8_t next_header() const { return bytes_[field::next_header]; }
    std::uint8_t hop_limit() const { return bytes_[field::hop_limit]; }
    Ipv6Addr source() const { return Ipv6Addr::load(bytes_.data() + field::source); }
    Ipv6Addr destination() const { return Ipv6Addr::load(bytes_.data() + field::destination); }
    Bytes payload() const { return bytes_.subspan(header_len); }
    Bytes bytes() const { return bytes_; }

  private:
    explicit View(Bytes bytes) : bytes_(bytes) {}
    static std::nullopt_t fail(Drop* why, Drop reason) {
        if (why != nullptr) *why = reason;
        return std::nullopt;
    }
    static bool check_header(Bytes bytes, Drop* why) {
        if (bytes.size() < header_len) {
            fail(why, Drop::Truncated);
            return false;
        }
        if ((bytes[0] >> 4) != 6) {
            fail(why, Drop::BadVersion);
            return false;
        }
        return true;
    }
    Bytes bytes_;
};

// The fixed header in host order.
struct Repr {
    Ipv6Addr source{};
    Ipv6Addr destination{};
    std::uint8_t next_header = 0;
    std::uint8_t hop_limit = 0;
    std::uint8_t traffic_class = 0;
    std::uint32_t flow_label = 0;
    std::uint16_t payload_len = 0;

    static Repr parse(const View& view) {
        return Repr{view.source(),        view.destination(), view.next_header(),   view.hop_limit(),
                    view.traffic_class(), view.flow_label(),  view.payload_length()};
    }
    static constexpr std::size_t buffer_len() { return header_len; }
    // Writes the 40-byte header into the first buffer_len() bytes of out; false (nothing written) if shorter.
    bool emit(MutBytes out) const {
        if (out.size() < header_len) return false;
        std::uint8_t* h = out.data();
        store_be32(h,
                   (std::uint32_t{6} << 28) | (std::uint32_t{traffic_class} << 20) | (flow_label & 0xfffffu));
        store_be16(h + field::payload_length, payload_len);
        h[field::next_header] = next_header;
        h[field::hop_limit] = hop_limit;
        source.store(h + field::source);
        destination.store(h + field::destination);
        return true;
    }
    friend bool operator==(const Repr&, const Repr&) = default;
};

// Is `next_header` an extension header walked by the chain (hop-by-hop, routing, fragment, destination
// options, authentication)? Anything else (including No Next Header) ends the chain.
constexpr bool is_extension_header(std::uint8_t next_header) {
    return next_header == nh_hop_by_hop || next_header == nh_routing || next_header == nh_fragment ||
           next_header == nh_dest_options || next_header == nh_auth;
}

// One extension header at the front of `bytes` (RFC 8200 4.3-4.6; RFC 4302 2.2 for AH, whose length counts
// 4-octet units less 2). parse fails (Truncated) when the header does not fit in `bytes`.
class ExtHeader {
  public:
    static std::optional<ExtHeader> parse(std::uint8_t type, Bytes bytes) {
        if (bytes.size() < 2) return std::nullopt;
        std::size_t len = 0;
        if (type == nh_fragment)
            len = fragment_header_len;
        else if (type == nh_auth)
            len = (std::size_t{bytes[1]} + 2) * 4;
        else
            len = (std::size_t{bytes[1]} + 1) * 8;
        if (len > bytes.size()) return std::nullopt;
        return ExtHeader(type, bytes.first(len));
    }
    std::uint8_t type() const { return type_; }
    std::uint8_t next_header() const { return bytes_[0]; }
    std::size_t length() const { return bytes_.size(); }
    // Options area of a hop-by-hop or destination options header (after Next Header and Hdr Ext Len).
    Bytes options() const { return bytes_.subspan(2); }
    // Routing header (4.4): Routing Type and Segments Left.
    std::uint8_t routing_type() const { return bytes_[2]; }
    std::uint8_t segments_left() const { return bytes_[3]; }
    // Fragment header (4.5): offset in octets, M flag, Identification.
    std::uint32_t fragment_offset() const {
        return static_cast<std::uint32_t>(load_be16(bytes_.data() + 2) & 0xfff8u);
    }
    bool more_fragments() const { return (load_be16(bytes_.data() + 2) & 1u) != 0; }
    std::uint32_t identification() const { return load_be32(bytes_.data() + 4); }
    Bytes bytes() const { return bytes_; }

  private:
    ExtHeader(std::uint8_t type, Bytes bytes) : type_(type), bytes_(bytes) {}
    std::uint8_t type_;
    Bytes bytes_;
};

// Fragment header repr (RFC 8200 4.5).
struct FragmentRepr {
    std::uint8_t next_header = 0;
    std::uint16_t offset = 0; // octets, a multiple of 8
    bool more = false;
    std::uint32_t identification = 0;
    static constexpr std::size_t buffer_len() { return fragment_header_len; }
    bool emit(MutBytes out) const {
        if (out.size() < fragment_header_len) return false;
        std::uint8_t* h = out.data();
        h[0] = next_header;
        h[1] = 0;
        store_be16(h + 2, static_cast<std::uint16_t>((offset & 0xfff8u) | (more ? 1u : 0u)));
        store_be32(h + 4, identification);
        return true;
    }
};

// The outcome of walking an options area (RFC 8200 4.2).
struct OptionsResult {
    enum class Action : std::uint8_t {
        Accept,               // every option understood or skipped (action bits 00)
        Malformed,            // an option runs past the end of the header
        Discard,              // unrecognised option with action 01: silently discard
        DiscardReport,        // action 10: discard, Parameter Problem code 2 even to a multicast destination
        DiscardReportUnicast, // action 11: the same, but only when the destination was not multicast
    };
    Action action = Action::Accept;
    std::size_t offset = 0; // of the offending option's type octet within the options area
    bool router_alert = false;
    std::uint16_t router_alert_value = 0;
};

// Walks the TLV options of a hop-by-hop (`hop_by_hop` true) or destination options area. Bounded by
// options.size(): Pad1 advances one octet, any other option two plus its length, checked to lie inside the
// area before it is skipped. Router Alert is recognised in a hop-by-hop header only.
constexpr OptionsResult walk_options(Bytes options, bool hop_by_hop) {
    OptionsResult result;
    std::size_t at = 0;
    while (at < options.size()) {
        std::uint8_t type = options[at];
        if (type == option_pad1) {
            ++at;
            continue;
        }
        if (options.size() - at < 2) {
            result.action = OptionsResult::Action::Malformed;
            result.offset = at;
            return result;
        }
        std::size_t length = options[at + 1];
        if (length > options.size() - at - 2) {
            result.action = OptionsResult::Action::Malformed;
            result.offset = at;
            return result;
        }
        if (type == option_padn) {
            // nothing
        } else if (hop_by_hop && type == option_router_alert && length == 2) {
            result.router_alert = true;
            result.router_alert_value = static_cast<std::uint16_t>((options[at + 2] << 8) | options[at + 3]);
        } else {
            switch (type >> 6) {
            case 0:
                break;
            case 1:
                result.action = OptionsResult::Action::Discard;
                result.offset = at;
                return result;
            case 2:
                result.action = OptionsResult::Action::DiscardReport;
                result.offset = at;
                return result;
            default:
                result.action = OptionsResult::Action::DiscardReportUnicast;
                result.offset = at;
                return result;
            }
        }
        at += 2 + length;
    }
    return result;
}

// Where the upper-layer header of a packet starts (for the ICMPv6 error rules and for RFC 7112's whole
// header chain): walks at most `max_headers` extension headers from `first` over `bytes` (which start right
// after the IPv6 header, or at the fragmentable part). A non-first fragment stops the walk (its upper layer
// is not in this packet). nullopt when the chain runs past the bytes, is longer than the bound, or the upper
// layer cannot be reached.
struct UpperLayer {
    std::uint8_t next_header = 0;
    std::size_t offset = 0; // from the start of `bytes`
};
inline std::optional<UpperLayer> find_upper_layer(std::uint8_t first, Bytes bytes, std::size_t max_headers) {
    std::uint8_t nh = first;
    std::size_t at = 0;
    for (std::size_t n = 0; n <= max_headers; ++n) {
        if (!is_extension_header(nh)) return UpperLayer{nh, at};
        if (n == max_headers) return std::nullopt;
        auto ext = ExtHeader::parse(nh, bytes.subspan(at));
        if (!ext) return std::nullopt;
        if (nh == nh_fragment && ext->fragment_offset() != 0) return std::nullopt;
        nh = ext->next_header();
        at += ext->length();
    }
    return std::nullopt;
}

} // namespace pico::wire::ipv6
