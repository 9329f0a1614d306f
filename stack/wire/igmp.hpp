// IGMP messages (RFC 3376 4, RFC 2236 2, RFC 1112 appendix I): queries of the three versions, IGMPv1/v2
// reports and leaves, IGMPv3 reports.
//
//   All versions, first 8 octets:       IGMPv3 Query continues:             IGMPv3 Report:
//   | Type | Max Resp | Checksum  |     | Rsv|S|QRV | QQIC | N sources |     | 0x22 | 0 | Checksum |
//   |        Group Address        |     |   Source Address [1..N]      |     |   0   | M group records |
//                                                                            | records: Type | Aux len | N |
//                                                                            Group | sources |
//
// Length contract: View::parse is the one place that checks lengths: at least 8 octets (else Truncated), and
// for an IGMPv3 query (12 octets or more) the N source addresses inside the message (else BadLength). The
// message is all the bytes given (IP has trimmed them to its Total Length). After parse no accessor reads out
// of bounds. The checksum covers the whole message. Reprs emit exactly buffer_len() bytes.
#pragma once
#include "core/bytes.hpp"
#include "core/checksum.hpp"
#include "core/drop.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace pico::wire::igmp {

inline constexpr std::uint8_t ip_protocol = 2;
inline constexpr std::size_t header_len = 8;
inline constexpr std::size_t v3_query_header_len = 12;
inline constexpr std::size_t v3_report_header_len = 8;
inline constexpr std::size_t group_record_header_len = 8;

inline constexpr std::uint8_t type_query = 0x11;
inline constexpr std::uint8_t type_v1_report = 0x12;
inline constexpr std::uint8_t type_v2_report = 0x16;
inline constexpr std::uint8_t type_v2_leave = 0x17;
inline constexpr std::uint8_t type_v3_report = 0x22;

namespace field {
inline constexpr std::size_t type = 0;
inline constexpr std::size_t max_resp_code = 1;
inline constexpr std::size_t checksum = 2;
inline constexpr std::size_t group = 4;
inline constexpr std::size_t s_qrv = 8;
inline constexpr std::size_t qqic = 9;
inline constexpr std::size_t source_count = 10;
inline constexpr std::size_t sources = 12;
inline constexpr std::size_t record_count = 6; // IGMPv3 report
} // namespace field

// RFC 3376 4.1.1 / 4.1.7: codes below 128 are the value itself; above, 1|exp(3)|mant(4) stands for
// (mant | 0x10) << (exp + 3). Max Resp Code is in tenths of a second, QQIC in seconds.
constexpr std::uint32_t decode_code(std::uint8_t code) {
    if (code < 128) return code;
    std::uint32_t exp = (code >> 4) & 0x7u;
    std::uint32_t mant = code & 0x0fu;
    return (mant | 0x10u) << (exp + 3);
}

// What a query is, by its length and Max Resp Code (RFC 3376 7.1).
enum class QueryVersion : std::uint8_t { Invalid, V1, V2, V3 };

class View {
  public:
    static std::optional<View> parse(Bytes bytes, Drop* why = nullptr) {
        if (bytes.size() < header_len) {
            if (why != nullptr) *why = Drop::Truncated;
            return std::nullopt;
        }
        if (bytes[field::type] == type_query && bytes.size() >= v3_query_header_len) {
            std::size_t n = load_be16(bytes.data() + field::source_count);
            if (bytes.size() < v3_query_header_len + 4 * n) {
                if (why != nullptr) *why = Drop::BadLength;
                return std::nullopt;
            }
        }
        return View(bytes);
    }

    std::uint8_t type() const { return bytes_[field::type]; }
    std::uint8_t max_resp_code() const { return bytes_[field::max_resp_code]; }
    std::uint16_t checksum_field() const { return load_be16(bytes_.data() + field::checksum); }
    Ipv4Addr group() const { return Ipv4Addr::load(bytes_.data() + field::group); }
    bool checksum_valid() const { return pico::checksum(bytes_) == 0; }
    Bytes bytes() const { return bytes_; }

    // RFC 3376 7.1: IGMPv1 query: 8 octets and Max Resp Code 0; IGMPv2: 8 octets, non-zero code; IGMPv3: 12
    // octets or more. Anything else (9 to 11 octets) is no query at all and MUST be ignored.
    QueryVersion query_version() const {
        if (bytes_.size() == header_len) return max_resp_code() == 0 ? QueryVersion::V1 : QueryVersion::V2;
        if (bytes_.size() >= v3_query_header_len) return QueryVersion::V3;
        return QueryVersion::Invalid;
    }
    // IGMPv3 query fields (only when query_version() is V3).
    bool suppress_flag() const { return (bytes_[field::s_qrv] & 0x08) != 0; }
    std::uint8_t qrv() const { return bytes_[field::s_qrv] & 0x07; }
    std::uint8_t qqic() const { return bytes_[field::qqic]; }
    std::uint16_t source_count() const { return load_be16(bytes_.data() + field::source_count); }
    // i < source_count() (parse checked they are all inside the message).
    Ipv4Addr source(std::size_t i) const { return Ipv4Addr::load(bytes_.data() + field::sources + 4 * i); }

  private:
    explicit View(Bytes bytes) : bytes_(bytes) {}
    Bytes bytes_;
};

// An 8-octet IGMPv1/v2 message (report, leave; a query when a test builds one).
struct MessageRepr {
    std::uint8_t type = 0;
    std::uint8_t max_resp_code = 0;
    Ipv4Addr group{};

    static constexpr std::size_t buffer_len() { return header_len; }
    bool emit(MutBytes out) const {
        if (out.size() < header_len) return false;
        std::uint8_t* m = out.data();
        m[field::type] = type;
        m[field::max_resp_code] = max_resp_code;
        store_be16(m + field::checksum, 0);
        group.store(m + field::group);
        store_be16(m + field::checksum, pico::checksum(Bytes{m, header_len}));
        return true;
    }
};

// One group record of an IGMPv3 report (RFC 3376 4.2.4), no auxiliary data.
struct GroupRecord {
    std::uint8_t type = 0;
    Ipv4Addr group{};
    std::span<const Ipv4Addr> sources{};

    std::size_t buffer_len() const { return group_record_header_len + 4 * sources.size(); }
};

// An IGMPv3 Membership Report (RFC 3376 4.2) holding `records`.
struct V3ReportRepr {
    std::span<const GroupRecord> records{};

    std::size_t buffer_len() const {
        std::size_t n = v3_report_header_len;
        for (const GroupRecord& r : records)
            n += r.buffer_len();
        return n;
    }
    bool emit(MutBytes out) const {
        std::size_t len = buffer_len();
        if (out.size() < len || records.size() > 0xffff) return false;
        std::uint8_t* m = out.data();
        m[field::type] = type_v3_report;
        m[1] = 0;
        store_be16(m + field::checksum, 0);
        store_be16(m + 4, 0);
        store_be16(m + field::record_count, static_cast<std::uint16_t>(records.size()));
        std::size_t at = v3_report_header_len;
        for (const GroupRecord& r : records) {
            m[at] = r.type;
            m[at + 1] = 0; // Aux Data Len
            store_be16(m + at + 2, static_cast<std::uint16_t>(r.sources.size()));
            r.group.store(m + at + 4);
            at += group_record_header_len;
            for (const Ipv4Addr& s : r.sources) {
                s.store(m + at);
                at += 4;
            }
        }
        store_be16(m + field::checksum, pico::checksum(Bytes{m, len}));
        return true;
    }
};

} // namespace pico::wire::igmp
