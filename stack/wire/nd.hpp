// Neighbor Discovery messages (RFC 4861 4): Router Solicitation, Router Advertisement, Neighbor
// Solicitation, Neighbor Advertisement, Redirect, and their options (4.6), for IPv6 over Ethernet.
//
//   RS  133 | code | checksum | reserved(4)                                          | options
//   RA  134 | code | checksum | cur hop limit | M O | router lifetime(2) | reachable time(4) | retrans(4) |
//   options NS  135 | code | checksum | reserved(4) | target(16)                            | options NA  136
//   | code | checksum | R S O reserved(4) | target(16)                      | options Redirect 137 | code |
//   checksum | reserved(4) | target(16) | destination(16)    | options option: type(1) | length(1, in units
//   of 8 octets) | value
//
// Length contract: View::parse is the one place that checks lengths: the fixed part of the message type
// (else BadLength: RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2 and 8.1 say "ICMP length is N or more octets"), and
// the option list: every option has a length greater than zero and lies wholly inside the message (else
// BadOption: "All included options have a length that is greater than zero"). After parse, OptionIter walks
// the options without reading out of bounds: the walk is bounded by the message length checked first. The
// ICMPv6 checksum is not this file's business (icmp6 verifies it before handing the message to nd, and
// fills it when sending). Repr::emit writes exactly buffer_len() bytes with a zero checksum.
#pragma once
#include "core/bytes.hpp"
#include "core/drop.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::wire::nd {

inline constexpr std::uint8_t type_router_solicitation = 133;
inline constexpr std::uint8_t type_router_advertisement = 134;
inline constexpr std::uint8_t type_neighbor_solicitation = 135;
inline constexpr std::uint8_t type_neighbor_advertisement = 136;
inline constexpr std::uint8_t type_redirect = 137;

// Fixed parts (the ICMP header included).
inline constexpr std::size_t rs_len = 8;
inline constexpr std::size_t ra_len = 16;
inline constexpr std::size_t ns_len = 24;
inline constexpr std::size_t na_len = 24;
inline constexpr std::size_t redirect_len = 40;

// Option types (RFC 4861 4.6).
inline constexpr std::uint8_t opt_source_lla = 1;
inline constexpr std::uint8_t opt_target_lla = 2;
inline constexpr std::uint8_t opt_prefix_info = 3;
inline constexpr std::uint8_t opt_redirected_header = 4;
inline constexpr std::uint8_t opt_mtu = 5;
inline constexpr std::size_t option_unit = 8;
// Ethernet link-layer address option: 8 octets (RFC 2464 6).
inline constexpr std::size_t lla_option_len = 8;
inline constexpr std::size_t prefix_option_len = 32;
inline constexpr std::size_t mtu_option_len = 8;

// NA flags (first octet after the checksum).
inline constexpr std::uint8_t na_flag_router = 0x80;
inline constexpr std::uint8_t na_flag_solicited = 0x40;
inline constexpr std::uint8_t na_flag_override = 0x20;
// Prefix Information flags.
inline constexpr std::uint8_t prefix_flag_on_link = 0x80;
inline constexpr std::uint8_t prefix_flag_autonomous = 0x40;

inline constexpr std::size_t fixed_len(std::uint8_t type) {
    switch (type) {
    case type_router_solicitation:
        return rs_len;
    case type_router_advertisement:
        return ra_len;
    case type_neighbor_solicitation:
        return ns_len;
    case type_neighbor_advertisement:
        return na_len;
    case type_redirect:
        return redirect_len;
    default:
        return 0;
    }
}

// One option, inside a message validated by View::parse.
struct Option {
    std::uint8_t type = 0;
    Bytes bytes; // the whole option (type and length octets included)
};

// Walks a validated option list (View::options()).
class OptionIter {
  public:
    explicit OptionIter(Bytes options) : rest_(options) {}
    std::optional<Option> next() {
        // Each option is at least 8 octets (length >= 1, checked by View::parse), so this is bounded.
        if (rest_.size() < 2) return std::nullopt;
        const std::size_t len = std::size_t{rest_[1]} * option_unit;
        if (len == 0 || len > rest_.size()) return std::nullopt;
        Option option{rest_[0], rest_.first(len)};
        rest_ = rest_.subspan(len);
        return option;
    }

  private:
    Bytes rest_;
};

// Is an option list well formed: every option length > 0, none past the end?
inline bool options_valid(Bytes options) {
    std::size_t at = 0;
    while (at < options.size()) {
        if (options.size() - at < 2) return false;
        const std::size_t len = std::size_t{options[at + 1]} * option_unit;
        if (len == 0 || len > options.size() - at) return false;
        at += len;
    }
    return true;
}

// The Ethernet address of a Source/Target Link-Layer Address option. An option of another length is not
// an Ethernet address (RFC 2464 6) and is ignored.
inline std::optional<MacAddr> find_lla(Bytes options, std::uint8_t type) {
    OptionIter it(options);
    while (auto option = it.next()) {
        if (option->type != type) continue;
        if (option->bytes.size() != lla_option_len) return std::nullopt;
        return MacAddr::from(option->bytes.data() + 2);
    }
    return std::nullopt;
}

// Prefix Information option (RFC 4861 4.6.2), from an option of length 4.
struct PrefixInfo {
    std::uint8_t prefix_len = 0;
    bool on_link = false;
    bool autonomous = false;
    std::uint32_t valid_lifetime = 0;     // seconds, 0xffffffff infinite
    std::uint32_t preferred_lifetime = 0; // seconds, 0xffffffff infinite
    Ipv6Addr prefix{};

    static std::optional<PrefixInfo> parse(const Option& option) {
        if (option.type != opt_prefix_info || option.bytes.size() != prefix_option_len) return std::nullopt;
        const std::uint8_t* p = option.bytes.data();
        PrefixInfo info;
        info.prefix_len = p[2];
        info.on_link = (p[3] & prefix_flag_on_link) != 0;
        info.autonomous = (p[3] & prefix_flag_autonomous) != 0;
        info.valid_lifetime = load_be32(p + 4);
        info.preferred_lifetime = load_be32(p + 8);
        info.prefix = Ipv6Addr::load(p + 16);
        return info;
    }
    void emit(std::uint8_t* p) const {
        p[0] = opt_prefix_info;
        p[1] = prefix_option_len / option_unit;
        p[2] = prefix_len;
        p[3] = static_cast<std::uint8_t>((on_link ? prefix_flag_on_link : 0) |
                                         (autonomous ? prefix_flag_autonomous : 0));
        store_be32(p + 4, valid_lifetime);
        store_be32(p + 8, preferred_lifetime);
        store_be32(p + 12, 0);
        prefix.store(p + 16);
    }
};

// Any ND message: type, code, the fixed part and the options.
class View {
  public:
    static std::optional<View> parse(Bytes bytes, Drop* why = nullptr) {
        if (bytes.size() < 4) {
            if (why != nullptr) *why = Drop::Truncated;
            return std::nullopt;
        }
        const std::size_t fixed = fixed_len(bytes[0]);
        if (fixed == 0) {
            if (why != nullptr) *why = Drop::BadOperation;
            return std::nullopt;
        }
        if (bytes.size() < fixed) {
            if (why != nullptr) *why = Drop::BadLength;
            return std::nullopt;
        }
        if (!options_valid(bytes.subspan(fixed))) {
            if (why != nullptr) *why = Drop::BadOption;
            return std::nullopt;
        }
        return View(bytes, fixed);
    }

    std::uint8_t type() const { return bytes_[0]; }
    std::uint8_t code() const { return bytes_[1]; }
    Bytes options() const { return bytes_.subspan(fixed_); }
    std::size_t size() const { return bytes_.size(); }

    // NS, NA, Redirect
    Ipv6Addr target() const { return Ipv6Addr::load(bytes_.data() + 8); }
    // Redirect
    Ipv6Addr destination() const { return Ipv6Addr::load(bytes_.data() + 24); }
    // NA
    bool router_flag() const { return (bytes_[4] & na_flag_router) != 0; }
    bool solicited_flag() const { return (bytes_[4] & na_flag_solicited) != 0; }
    bool override_flag() const { return (bytes_[4] & na_flag_override) != 0; }
    // RA
    std::uint8_t cur_hop_limit() const { return bytes_[4]; }
    bool managed_flag() const { return (bytes_[5] & 0x80) != 0; }
    bool other_flag() const { return (bytes_[5] & 0x40) != 0; }
    std::uint16_t router_lifetime() const { return load_be16(bytes_.data() + 6); }
    std::uint32_t reachable_time() const { return load_be32(bytes_.data() + 8); }
    std::uint32_t retrans_timer() const { return load_be32(bytes_.data() + 12); }

    std::optional<MacAddr> source_lla() const { return find_lla(options(), opt_source_lla); }
    std::optional<MacAddr> target_lla() const { return find_lla(options(), opt_target_lla); }
    bool has_option(std::uint8_t type) const {
        OptionIter it(options());
        while (auto option = it.next())
            if (option->type == type) return true;
        return false;
    }

  private:
    View(Bytes bytes, std::size_t fixed) : bytes_(bytes), fixed_(fixed) {}
    Bytes bytes_;
    std::size_t fixed_;
};

inline void emit_lla(std::uint8_t* p, std::uint8_t type, const MacAddr& mac) {
    p[0] = type;
    p[1] = lla_option_len / option_unit;
    mac.store(p + 2);
}

// Router Solicitation we send (RFC 4861 4.1): Source Link-Layer Address unless the source is unspecified.
struct RsRepr {
    std::optional<MacAddr> source_lla;

    std::size_t buffer_len() const { return rs_len + (source_lla ? lla_option_len : 0); }
    bool emit(MutBytes out) const {
        if (out.size() < buffer_len()) return false;
        fill_bytes(out.data(), 0, rs_len);
        out[0] = type_router_solicitation;
        if (source_lla) emit_lla(out.data() + rs_len, opt_source_lla, *source_lla);
        return true;
    }
};

// Neighbor Solicitation (RFC 4861 4.3).
struct NsRepr {
    Ipv6Addr target{};
    std::optional<MacAddr> source_lla;

    std::size_t buffer_len() const { return ns_len + (source_lla ? lla_option_len : 0); }
    bool emit(MutBytes out) const {
        if (out.size() < buffer_len()) return false;
        fill_bytes(out.data(), 0, ns_len);
        out[0] = type_neighbor_solicitation;
        target.store(out.data() + 8);
        if (source_lla) emit_lla(out.data() + ns_len, opt_source_lla, *source_lla);
        return true;
    }
};

// Neighbor Advertisement (RFC 4861 4.4).
struct NaRepr {
    bool router = false;
    bool solicited = false;
    bool override_flag = false;
    Ipv6Addr target{};
    std::optional<MacAddr> target_lla;

    std::size_t buffer_len() const { return na_len + (target_lla ? lla_option_len : 0); }
    bool emit(MutBytes out) const {
        if (out.size() < buffer_len()) return false;
        fill_bytes(out.data(), 0, na_len);
        out[0] = type_neighbor_advertisement;
        out[4] =
            static_cast<std::uint8_t>((router ? na_flag_router : 0) | (solicited ? na_flag_solicited : 0) |
                                      (override_flag ? na_flag_override : 0));
        target.store(out.data() + 8);
        if (target_lla) emit_lla(out.data() + na_len, opt_target_lla, *target_lla);
        return true;
    }
};

// Router Advertisement (RFC 4861 4.2): a host never sends one; emitted by tests and fuzz seeds.
struct RaRepr {
    std::uint8_t cur_hop_limit = 0;
    bool managed = false;
    bool other = false;
    std::uint16_t router_lifetime = 0;
    std::uint32_t reachable_time = 0;
    std::uint32_t retrans_timer = 0;
    std::optional<MacAddr> source_lla;
    std::optional<std::uint32_t> mtu;
    std::optional<PrefixInfo> prefix;

    std::size_t buffer_len() const {
        return ra_len + (source_lla ? lla_option_len : 0) + (mtu ? mtu_option_len : 0) +
               (prefix ? prefix_option_len : 0);
    }
    bool emit(MutBytes out) const {
        if (out.size() < buffer_len()) return false;
        fill_bytes(out.data(), 0, buffer_len());
        out[0] = type_router_advertisement;
        out[4] = cur_hop_limit;
        out[5] = static_cast<std::uint8_t>((managed ? 0x80 : 0) | (other ? 0x40 : 0));
        store_be16(out.data() + 6, router_lifetime);
        store_be32(out.data() + 8, reachable_time);
        store_be32(out.data() + 12, retrans_timer);
        std::size_t at = ra_len;
        if (source_lla) {
            emit_lla(out.data() + at, opt_source_lla, *source_lla);
            at += lla_option_len;
        }
        if (mtu) {
            out[at] = opt_mtu;
            out[at + 1] = 1;
            store_be32(out.data() + at + 4, *mtu);
            at += mtu_option_len;
        }
        if (prefix) prefix->emit(out.data() + at);
        return true;
    }
};

// The MTU option of an RA (RFC 4861 4.6.4), if present with the right length.
inline std::optional<std::uint32_t> find_mtu(Bytes options) {
    OptionIter it(options);
    while (auto option = it.next())
        if (option->type == opt_mtu && option->bytes.size() == mtu_option_len)
            return load_be32(option->bytes.data() + 4);
    return std::nullopt;
}

} // namespace pico::wire::nd
