// Ethernet II header (RFC 894): destination MAC, source MAC, EtherType; 14 bytes, no FCS (the device
// handles it).
//
// Length contract: View::parse is the one place that checks the length (>= header_len); every accessor of a
// parsed View reads inside those 14 bytes. Repr::emit writes exactly buffer_len() bytes.
#pragma once
#include "core/bytes.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::wire::ethernet {

inline constexpr std::size_t header_len = 14;
// Values below this are an IEEE 802.3 length, not an EtherType (RFC 894 vs IEEE 802.3).
inline constexpr std::uint16_t min_ethertype = 0x0600;

namespace field {
inline constexpr std::size_t destination = 0;
inline constexpr std::size_t source = 6;
inline constexpr std::size_t ethertype = 12;
} // namespace field

class View {
  public:
    static std::optional<View> parse(Bytes bytes) {
        if (bytes.size() < header_len) return std::nullopt;
        return View(bytes);
    }
    MacAddr destination() const { return MacAddr::from(bytes_.data() + field::destination); }
    MacAddr source() const { return MacAddr::from(bytes_.data() + field::source); }
    std::uint16_t ethertype() const { return load_be16(bytes_.data() + field::ethertype); }
    Bytes payload() const { return bytes_.subspan(header_len); }
    Bytes bytes() const { return bytes_; }

  private:
    explicit View(Bytes bytes) : bytes_(bytes) {}
    Bytes bytes_;
};

struct Repr {
    MacAddr destination{};
    MacAddr source{};
    std::uint16_t ethertype = 0;

    static Repr parse(const View& view) { return {view.destination(), view.source(), view.ethertype()}; }
    static constexpr std::size_t buffer_len() { return header_len; }
    // Writes the header into the first buffer_len() bytes of out. False (nothing written) if out is shorter.
    bool emit(MutBytes out) const {
        if (out.size() < header_len) return false;
        destination.store(out.data() + field::destination);
        source.store(out.data() + field::source);
        store_be16(out.data() + field::ethertype, ethertype);
        return true;
    }
    friend bool operator==(const Repr&, const Repr&) = default;
};

// RFC 1112 section 6.4: an IPv4 host group maps to 01:00:5e followed by the low 23 bits of the group address.
constexpr MacAddr ipv4_multicast_mac(Ipv4Addr group) {
    return {{0x01, 0x00, 0x5e, static_cast<std::uint8_t>((group.value >> 16) & 0x7f),
             static_cast<std::uint8_t>(group.value >> 8), static_cast<std::uint8_t>(group.value)}};
}

} // namespace pico::wire::ethernet
