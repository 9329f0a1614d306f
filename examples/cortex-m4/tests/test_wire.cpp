// Wire formats on the target: parse(emit(repr)) == repr and emit(parse(bytes)) == bytes for Ethernet, ARP,
// IPv4, ICMPv4, UDP and TCP, against packets built by Scapy (the vectors of stack/tests/wire_*_test.cpp and
// tcp_wire_test.cpp), and short input rejected.
#include "core/checksum.hpp"
#include "core/drop.hpp"
#include "runner.hpp"
#include "wire/arp.hpp"
#include "wire/ethernet.hpp"
#include "wire/icmp4.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"
#include "wire/udp.hpp"
#include <cstddef>
#include <cstdint>

using namespace pico;

namespace {

// An ARP request (Scapy Ether()/ARP(op=1)): 02:00:00:00:00:02 at 198.18.0.1 asks who has 198.18.0.2.
const std::uint8_t arp_request_frame[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06, // Ethernet
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,                                     // htype..op
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01,                         // sha, spa
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,                         // tha, tpa
};

// IP(src=198.18.0.1, dst=198.18.0.2, id=0x1c46, flags=DF, ttl=64, tos=0x10) / ICMP(echo-request, id=0x1234,
// seq=7) / "abcdefgh"
const std::uint8_t echo_datagram[] = {0x45, 0x10, 0x00, 0x24, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x01, 0x92, 0x5b,
                                      0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00, 0x54, 0x2f,
                                      0x12, 0x34, 0x00, 0x07, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68};

// IP(src=198.18.0.2, dst=198.18.0.1, id=0xbeef, ttl=17, proto=253, flags=MF, frag=185) / 4 zero bytes
const std::uint8_t fragment_datagram[] = {0x45, 0x00, 0x00, 0x18, 0xbe, 0xef, 0x20, 0xb9,
                                          0x11, 0xfd, 0x3d, 0x19, 0xc6, 0x12, 0x00, 0x02,
                                          0xc6, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};

// TCP segments from Scapy (bytes(IP(198.18.0.1 -> 198.18.0.2)/TCP(...))[20:]), as in tcp_wire_test.cpp:
// a Linux SYN (MSS, SACK-permitted, timestamps, NOP, window scale 7),
const char* const syn_hex =
    "9c4000501122334400000000a002faf0dfef0000020405b40402080a000000010000000001030307";
// data with timestamps, "hello, world",
const char* const data_hex =
    "00509c40fffffff011223345801801f629b800000101080adeadbeef0000000168656c6c6f2c20776f726c64";
// three SACK blocks with timestamps (a 60-byte header),
const char* const sack_hex =
    "00509c40000003e8000007d0f01003e8473a00000101080a00000005000000060101051a00000bb800000f"
    "a0000013880000177000001b5800001f40";
// a SYN-ACK without timestamps, an RST, and URG+ACK+FIN with a payload.
const char* const synack_hex = "00509c400000000711223345801272108fff0000020405780103030e01010402";
const char* const rst_hex = "00010002800000000000000050040000a3b50000";
const char* const urg_hex = "1388177000000001000000025031ffffcec100036162636465";

std::size_t from_hex(const char* hex, std::uint8_t* out, std::size_t capacity) {
    auto nibble = [](char c) -> std::uint8_t {
        return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    };
    std::size_t n = 0;
    for (; hex[0] != '\0' && hex[1] != '\0' && n < capacity; hex += 2)
        out[n++] = static_cast<std::uint8_t>((nibble(hex[0]) << 4) | nibble(hex[1]));
    return n;
}

const MacAddr mac1{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr mac2{{0x02, 0, 0, 0, 0, 0x02}};
const Ipv4Addr ip1 = Ipv4Addr::from_octets(198, 18, 0, 1);
const Ipv4Addr ip2 = Ipv4Addr::from_octets(198, 18, 0, 2);

// Parses a TCP segment, re-emits its header, appends the payload, fills the checksum: the original bytes.
bool tcp_round_trip(const char* hex, std::size_t expected_header_len) {
    std::uint8_t segment[80];
    std::uint8_t out[80];
    const std::size_t n = from_hex(hex, segment, sizeof segment);
    const std::uint32_t pseudo =
        pseudo_header_sum_ipv4(ip1.value, ip2.value, wire::tcp::ip_protocol, static_cast<std::uint16_t>(n));
    auto view = wire::tcp::View::parse(Bytes{segment, n});
    if (!CHECK(view.has_value())) return false;
    CHECK(view->checksum_valid(pseudo));
    auto repr = wire::tcp::Repr::parse(*view);
    if (!CHECK(repr.has_value())) return false;
    CHECK_EQ(repr->header_len(), expected_header_len);
    if (!CHECK_EQ(repr->header_len(), view->header_len())) return false;
    fill_bytes(out, 0xaa, sizeof out);
    if (!CHECK(repr->emit(MutBytes{out, n}))) return false;
    copy_bytes(out + repr->header_len(), view->payload().data(), view->payload().size());
    wire::tcp::fill_checksum(MutBytes{out, n}, pseudo);
    // And the other direction: the emitted header parses back to the same Repr.
    auto again = wire::tcp::View::parse(Bytes{out, n});
    CHECK(again.has_value() && wire::tcp::Repr::parse(*again) == repr);
    return CHECK(equal_bytes(out, segment, n));
}

} // namespace

TEST(WireEthernetRoundTrip) {
    auto view = wire::ethernet::View::parse(Bytes{arp_request_frame, sizeof arp_request_frame});
    REQUIRE(view.has_value());
    CHECK(view->destination() == MacAddr::broadcast());
    CHECK(view->source() == mac2);
    CHECK_EQ(view->ethertype(), 0x0806);
    CHECK_EQ(view->payload().size(), sizeof arp_request_frame - 14);
    const auto repr = wire::ethernet::Repr::parse(*view);
    CHECK(repr == (wire::ethernet::Repr{MacAddr::broadcast(), mac2, 0x0806}));
    std::uint8_t out[16];
    fill_bytes(out, 0xaa, sizeof out);
    REQUIRE(repr.emit(MutBytes{out, sizeof out}));
    CHECK(equal_bytes(out, arp_request_frame, 14));
    CHECK_EQ(out[14], 0xaa); // exactly buffer_len() bytes written
    CHECK(wire::ethernet::Repr::parse(*wire::ethernet::View::parse(Bytes{out, 14})) == repr);
    CHECK(!wire::ethernet::View::parse(Bytes{arp_request_frame, 13}).has_value());
    CHECK(!repr.emit(MutBytes{out, 13}));
}

TEST(WireArpRoundTrip) {
    Bytes packet = Bytes{arp_request_frame, sizeof arp_request_frame}.subspan(14);
    auto view = wire::arp::View::parse(packet);
    REQUIRE(view.has_value());
    auto repr = wire::arp::Repr::parse(*view);
    REQUIRE(repr.has_value());
    CHECK(*repr == (wire::arp::Repr{wire::arp::Operation::Request, mac2, ip1, MacAddr{}, ip2}));
    std::uint8_t out[28];
    REQUIRE(repr->emit(MutBytes{out, sizeof out}));
    CHECK(equal_bytes(out, packet.data(), 28));
    // A reply built from scratch parses back to itself.
    const wire::arp::Repr reply{wire::arp::Operation::Reply, mac1, ip2, mac2, ip1};
    REQUIRE(reply.emit(MutBytes{out, sizeof out}));
    auto parsed = wire::arp::Repr::parse(*wire::arp::View::parse(Bytes{out, sizeof out}));
    CHECK(parsed.has_value() && *parsed == reply);
    CHECK(!wire::arp::View::parse(packet.first(27)).has_value());
}

TEST(WireIpv4RoundTrip) {
    auto view = wire::ipv4::View::parse(Bytes{echo_datagram, sizeof echo_datagram});
    REQUIRE(view.has_value());
    CHECK_EQ(view->total_length(), 36);
    CHECK(view->checksum_valid());
    auto repr = wire::ipv4::Repr::parse(*view);
    REQUIRE(repr.has_value());
    CHECK_EQ(repr->identification, 0x1c46);
    CHECK(repr->dont_fragment);
    CHECK_EQ(repr->payload_len, 16);
    CHECK(repr->source == ip1 && repr->destination == ip2);
    std::uint8_t out[20];
    REQUIRE(repr->emit(MutBytes{out, sizeof out}));
    CHECK(equal_bytes(out, echo_datagram, 20)); // checksum 0x925b included

    auto fragment = wire::ipv4::View::parse(Bytes{fragment_datagram, sizeof fragment_datagram});
    REQUIRE(fragment.has_value());
    auto frepr = wire::ipv4::Repr::parse(*fragment);
    REQUIRE(frepr.has_value());
    CHECK_EQ(frepr->fragment_offset, 185 * 8);
    CHECK(frepr->more_fragments);
    REQUIRE(frepr->emit(MutBytes{out, sizeof out}));
    CHECK(equal_bytes(out, fragment_datagram, 20));

    // A corrupted checksum is refused (and accepted when not verified).
    std::uint8_t bad[sizeof echo_datagram];
    copy_bytes(bad, echo_datagram, sizeof bad);
    bad[11] ^= 0x01;
    auto bad_view = wire::ipv4::View::parse(Bytes{bad, sizeof bad});
    REQUIRE(bad_view.has_value());
    Drop why = Drop::Count;
    CHECK(!wire::ipv4::Repr::parse(*bad_view, true, &why).has_value());
    CHECK(why == Drop::BadChecksum);
    CHECK(!wire::ipv4::View::parse(Bytes{echo_datagram, 19}).has_value());
}

TEST(WireIcmp4RoundTrip) {
    Bytes message = Bytes{echo_datagram, sizeof echo_datagram}.subspan(20);
    auto view = wire::icmp4::View::parse(message);
    REQUIRE(view.has_value());
    CHECK_EQ(view->type(), 8);
    CHECK(view->checksum_valid());
    auto repr = wire::icmp4::Repr::parse(*view);
    REQUIRE(repr.has_value());
    CHECK_EQ(repr->echo_identifier(), 0x1234);
    CHECK_EQ(repr->echo_sequence(), 7);
    CHECK_EQ(repr->buffer_len(), 16u);
    std::uint8_t out[16];
    REQUIRE(repr->emit(MutBytes{out, sizeof out}));
    CHECK(equal_bytes(out, message.data(), 16));
    // The reply from the echo() helper: type 0, checksum raised by 0x0800 (RFC 1624).
    REQUIRE(wire::icmp4::Repr::echo(0, 0x1234, 7, view->data()).emit(MutBytes{out, sizeof out}));
    CHECK_EQ(load_be16(out + 2), 0x542f + 0x0800);
    auto reply = wire::icmp4::View::parse(Bytes{out, sizeof out});
    CHECK(reply.has_value() && reply->checksum_valid() && reply->type() == 0);
    CHECK(!wire::icmp4::View::parse(message.first(7)).has_value());
}

TEST(WireUdpRoundTrip) {
    // 198.18.0.1:1234 -> 198.18.0.2:53 "abc"
    std::uint8_t datagram[11] = {0, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c'};
    const wire::udp::Repr repr{1234, 53, 3};
    CHECK_EQ(repr.length(), 11);
    REQUIRE(repr.emit(MutBytes{datagram, sizeof datagram}));
    REQUIRE(wire::udp::fill_checksum_ipv4(MutBytes{datagram, sizeof datagram}, ip1.value, ip2.value));
    const std::uint8_t expected_header[] = {0x04, 0xd2, 0x00, 0x35, 0x00, 0x0b};
    CHECK(equal_bytes(datagram, expected_header, sizeof expected_header));
    auto view = wire::udp::View::parse(Bytes{datagram, sizeof datagram});
    REQUIRE(view.has_value());
    CHECK(view->verify_checksum_ipv4(ip1.value, ip2.value));
    CHECK(!view->verify_checksum_ipv4(ip2.value, ip2.value)); // another pseudo-header
    const auto parsed = wire::udp::Repr::parse(*view);
    CHECK_EQ(parsed.source_port, 1234);
    CHECK_EQ(parsed.destination_port, 53);
    CHECK_EQ(parsed.payload_len, 3);
    CHECK_EQ(view->payload()[2], 'c');
    CHECK(!wire::udp::View::parse(Bytes{datagram, 7}).has_value());
    datagram[5] = 12; // Length beyond the bytes
    CHECK(!wire::udp::View::parse(Bytes{datagram, sizeof datagram}).has_value());
}

TEST(WireTcpRoundTrips) {
    CHECK(tcp_round_trip(syn_hex, 40));
    CHECK(tcp_round_trip(data_hex, 32));
    CHECK(tcp_round_trip(sack_hex, 60));
    CHECK(tcp_round_trip(synack_hex, 32));
    CHECK(tcp_round_trip(rst_hex, 20));
    CHECK(tcp_round_trip(urg_hex, 20));
    std::uint8_t segment[40];
    const std::size_t n = from_hex(syn_hex, segment, sizeof segment);
    CHECK(!wire::tcp::View::parse(Bytes{segment, 19}).has_value());
    CHECK(!wire::tcp::View::parse(Bytes{segment, n - 1}).has_value()); // Data Offset beyond the segment
}
