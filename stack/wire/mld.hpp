// MLD messages (RFC 3810 5, RFC 2710 3) inside ICMPv6: queries of both versions, MLDv1 reports and Done,
// MLDv2 reports.
//
//   MLDv1 (24 octets):                        MLDv2 Query continues (28 + 16 N):   MLDv2 Report (type 143):
//   | Type | Code | Checksum          |       | Rsv|S|QRV | QQIC | N sources |    | 143 | 0 | Checksum |
//   | Max Resp Code  |   Reserved      |       |  Source Address [1..N]       |    |   0  | M records  |
//   |   Multicast Address (16)         |                                            |
//   Type|Aux|N|Address|sources
//
// Length contract: View::parse is the one place that checks lengths: at least 24 octets (else Truncated),
// and for an MLDv2 query (28 octets or more) the N sources inside the message (else BadLength). After parse
// no accessor reads out of bounds. The ICMPv6 checksum (pseudo-header) is icmp6's to verify and fill; reprs
// leave it zero and emit exactly buffer_len() bytes.
#pragma once
#include "core/bytes.hpp"
#include "core/drop.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace pico::wire::mld {

inline constexpr std::size_t v1_len = 24;
inline constexpr std::size_t v2_query_header_len = 28;
inline constexpr std::size_t v2_report_header_len = 8;
inline constexpr std::size_t record_header_len = 20;

inline constexpr std::uint8_t type_query = 130;
inline constexpr std::uint8_t type_v1_report = 131;
inline constexpr std::uint8_t type_v1_done = 132;
inline constexpr std::uint8_t type_v2_report = 143;

namespace field {
inline constexpr std::size_t type = 0;
inline constexpr std::size_t code = 1;
inline constexpr std::size_t checksum = 2;
inline constexpr std::size_t max_resp_code = 4;
inline constexpr std::size_t address = 8;
inline constexpr std::size_t s_qrv = 24;
inline constexpr std::size_t qqic = 25;
inline constexpr std::size_t source_count = 26;
inline constexpr std::size_t sources = 28;
inline constexpr std::size_t record_count = 6; // MLDv2 report
} // namespace field

// RFC 3810 5.1.3: a Maximum Response Code below 32768 is the delay in ms; above, 1|exp(3)|mant(12) stands
// for (mant | 0x1000) << (exp + 3).
constexpr std::uint32_t decode_max_resp(std::uint16_t code) {
    if (code < 32768) return code;
    std::uint32_t exp = (code >> 12) & 0x7u;
    std::uint32_t mant = code & 0x0fffu;
    return (mant | 0x1000u) << (exp + 3);
}
// RFC 3810 5.1.9: QQIC in seconds, the 8-bit format of IGMPv3.
constexpr std::uint32_t decode_qqic(std::uint8_t code) {
    if (code < 128) return code;
    return ((code & 0x0fu) | 0x10u) << (((code >> 4) & 0x7u) + 3);
}

enum class QueryVersion : std::uint8_t { Invalid, V1, V2 };

class View {
  public:
    static std::optional<View> parse(Bytes bytes, Drop* why = nullptr) {
        if (bytes.size() < v1_len) {
            if (why != nullptr) *why = Drop::Truncated;
            return std::nullopt;
        }
        if (bytes[field::type] == type_query && bytes.size() >= v2_query_header_len) {
            std::size_t n = load_be16(bytes.data() + field::source_count);
            if (bytes.size() < v2_query_header_len + 16 * n) {
                if (why != nullptr) *why = Drop::BadLength;
                return std::nullopt;
            }
        }
        return View(bytes);
    }

    std::uint8_t type() const { return bytes_[field::type]; }
    std::uint8_t code() const { return bytes_[field::code]; }
    std::uint16_t max_resp_code() const { return load_be16(bytes_.data() + field::max_resp_code); }
    Ipv6Addr address() const { return Ipv6Addr::load(bytes_.data() + field::address); }
    Bytes bytes() const { return bytes_; }

    // RFC 3810 8.1: MLDv1 query: 24 octets; MLDv2: 28 or more; anything else MUST be ignored.
    QueryVersion query_version() const {
        if (bytes_.size() == v1_len) return QueryVersion::V1;
        if (bytes_.size() >= v2_query_header_len) return QueryVersion::V2;
        return QueryVersion::Invalid;
    }
    bool suppress_flag() const { return (bytes_[field::s_qrv] & 0x08) != 0; }
    std::uint8_t qrv() const { return bytes_[field::s_qrv] & 0x07; }
    std::uint8_t qqic() const { return bytes_[field::qqic]; }
    std::uint16_t source_count() const { return load_be16(bytes_.data() + field::source_count); }
    Ipv6Addr source(std::size_t i) const { return Ipv6Addr::load(bytes_.data() + field::sources + 16 * i); }

  private:
    explicit View(Bytes bytes) : bytes_(bytes) {}
    Bytes bytes_;
};

// A 24-octet MLDv1 message (report, done; a query when a test builds one). Checksum left 0.
struct V1Repr {
    std::uint8_t type = 0;
    std::uint16_t max_resp = 0;
    Ipv6Addr address{};

    static constexpr std::size_t buffer_len() { return v1_len; }
    bool emit(MutBytes out) const {
        if (out.size() < v1_len) return false;
        std::uint8_t* m = out.data();
        m[field::type] = type;
        m[field::code] = 0;
        store_be16(m + field::checksum, 0);
        store_be16(m + field::max_resp_code, max_resp);
        store_be16(m + 6, 0);
        address.store(m + field::address);
        return true;
    }
};

// One Multicast Address Record (RFC 3810 5.2.4), no auxiliary data.
struct AddressRecord {
    std::uint8_t type = 0;
    Ipv6Addr address{};
    std::span<const Ipv6Addr> sources{};

    std::size_t buffer_len() const { return record_header_len + 16 * sources.size(); }
};

// An MLDv2 Listener Report (RFC 3810 5.2) holding `records`. Checksum left 0.
struct V2ReportRepr {
    std::span<const AddressRecord> records{};

    std::size_t buffer_len() const {
        std::size_t n = v2_report_header_len;
        for (const AddressRecord& r : records)
            n += r.buffer_len();
        return n;
    }
    bool emit(MutBytes out) const {
        std::size_t len = buffer_len();
        if (out.size() < len || records.size() > 0xffff) return false;
        std::uint8_t* m = out.data();
        m[field::type] = type_v2_report;
        m[field::code] = 0;
        store_be16(m + field::checksum, 0);
        store_be16(m + 4, 0);
        store_be16(m + field::record_count, static_cast<std::uint16_t>(records.size()));
        std::size_t at = v2_report_header_len;
        for (const AddressRecord& r : records) {
            m[at] = r.type;
            m[at + 1] = 0;
            store_be16(m + at + 2, static_cast<std::uint16_t>(r.sources.size()));
            r.address.store(m + at + 4);
            at += record_header_len;
            for (const Ipv6Addr& s : r.sources) {
                s.store(m + at);
                at += 16;
            }
        }
        return true;
    }
};

} // namespace pico::wire::mld
