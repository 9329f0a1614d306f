// ARP packet for Ethernet/IPv4 (RFC 826): 28 bytes.
//
//   0      2      4    5    6      8         14        18        24        28
//   | htype | ptype |hlen|plen| oper | sha (6) | spa (4) | tha (6) | tpa (4) |
//
// Length contract: View::parse is the one place that checks the length (>= header_len, trailing bytes such
// as Ethernet padding are allowed); every accessor of a parsed View reads inside those 28 bytes. The address
// accessors assume the Ethernet/IPv4 layout (hlen 6, plen 4); Repr::parse checks that before using them, so
// a packet for another hardware or protocol type is never interpreted. Repr::emit writes exactly
// buffer_len() bytes.
#pragma once
#include "core/bytes.hpp"
#include "core/drop.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico::wire::arp {

inline constexpr std::size_t header_len = 28;
inline constexpr std::uint16_t htype_ethernet = 1;  // RFC 826 ar$hrd, "Ethernet (10Mb)"
inline constexpr std::uint16_t ptype_ipv4 = 0x0800; // ar$pro is an EtherType
inline constexpr std::uint8_t hlen_ethernet = 6;
inline constexpr std::uint8_t plen_ipv4 = 4;

enum class Operation : std::uint16_t { Request = 1, Reply = 2 };

namespace field {
inline constexpr std::size_t htype = 0;
inline constexpr std::size_t ptype = 2;
inline constexpr std::size_t hlen = 4;
inline constexpr std::size_t plen = 5;
inline constexpr std::size_t operation = 6;
inline constexpr std::size_t sender_mac = 8;
inline constexpr std::size_t sender_ip = 14;
inline constexpr std::size_t target_mac = 18;
inline constexpr std::size_t target_ip = 24;
} // namespace field

class View {
  public:
    static std::optional<View> parse(Bytes bytes) {
        if (bytes.size() < header_len) return std::nullopt;
        return View(bytes);
    }
    std::uint16_t htype() const { return load_be16(at(field::htype)); }
    std::uint16_t ptype() const { return load_be16(at(field::ptype)); }
    std::uint8_t hlen() const { return *at(field::hlen); }
    std::uint8_t plen() const { return *at(field::plen); }
    std::uint16_t operation() const { return load_be16(at(field::operation)); }
    MacAddr sender_mac() const { return MacAddr::from(at(field::sender_mac)); }
    Ipv4Addr sender_ip() const { return Ipv4Addr::load(at(field::sender_ip)); }
    MacAddr target_mac() const { return MacAddr::from(at(field::target_mac)); }
    Ipv4Addr target_ip() const { return Ipv4Addr::load(at(field::target_ip)); }
    // Ethernet/IPv4 (the only combination this stack resolves).
    bool is_ethernet_ipv4() const {
        return htype() == htype_ethernet && ptype() == ptype_ipv4 && hlen() == hlen_ethernet &&
               plen() == plen_ipv4;
    }

  private:
    explicit View(Bytes bytes) : bytes_(bytes) {}
    const std::uint8_t* at(std::size_t offset) const { return bytes_.data() + offset; }
    Bytes bytes_;
};

struct Repr {
    Operation operation = Operation::Request;
    MacAddr sender_mac{};
    Ipv4Addr sender_ip{};
    MacAddr target_mac{};
    Ipv4Addr target_ip{};

    // The host-order packet, or nullopt with the reason in *why: Drop::BadHardware for a hardware/protocol
    // type or address length other than Ethernet/IPv4, Drop::BadOperation for an opcode other than 1 or 2
    // (RFC 826 defines only those; RARP and InARP are other protocols).
    static std::optional<Repr> parse(const View& view, Drop* why = nullptr) {
        if (!view.is_ethernet_ipv4()) {
            if (why != nullptr) *why = Drop::BadHardware;
            return std::nullopt;
        }
        std::uint16_t op = view.operation();
        if (op != static_cast<std::uint16_t>(Operation::Request) &&
            op != static_cast<std::uint16_t>(Operation::Reply)) {
            if (why != nullptr) *why = Drop::BadOperation;
            return std::nullopt;
        }
        return Repr{static_cast<Operation>(op), view.sender_mac(), view.sender_ip(), view.target_mac(),
                    view.target_ip()};
    }
    static constexpr std::size_t buffer_len() { return header_len; }
    // Writes the packet into the first buffer_len() bytes of out. False (nothing written) if out is shorter.
    bool emit(MutBytes out) const {
        if (out.size() < header_len) return false;
        std::uint8_t* p = out.data();
        store_be16(p + field::htype, htype_ethernet);
        store_be16(p + field::ptype, ptype_ipv4);
        p[field::hlen] = hlen_ethernet;
        p[field::plen] = plen_ipv4;
        store_be16(p + field::operation, static_cast<std::uint16_t>(operation));
        sender_mac.store(p + field::sender_mac);
        sender_ip.store(p + field::sender_ip);
        target_mac.store(p + field::target_mac);
        target_ip.store(p + field::target_ip);
        return true;
    }
    friend bool operator==(const Repr&, const Repr&) = default;
};

} // namespace pico::wire::arp
