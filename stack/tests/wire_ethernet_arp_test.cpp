// Byte-array round trips for wire/ethernet.hpp and wire/arp.hpp: parse a known frame, check every field,
// emit the repr, compare bytes; short input is rejected.
#include "core/drop.hpp"
#include "wire/arp.hpp"
#include "wire/ethernet.hpp"
#include <gtest/gtest.h>
#include <vector>

using namespace pico;

namespace {

// An ARP request as it appears on the wire (built with Scapy: Ether()/ARP(op=1)): 02:00:00:00:00:02 at
// 198.18.0.1 asks who has 198.18.0.2, padded to the 60-byte Ethernet minimum.
const std::vector<std::uint8_t> request_frame{
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06, // Ethernet
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,                                     // htype..op
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01,                         // sha, spa
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,                         // tha, tpa
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0}; // padding

// The reply (Scapy: ARP(op=2)): 02:00:00:00:00:01 is at 198.18.0.2, to 02:00:00:00:00:02 at 198.18.0.1.
const std::vector<std::uint8_t> reply_frame{0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00,
                                            0x01, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
                                            0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x02,
                                            0x00, 0x00, 0x00, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01};

const MacAddr mac1{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr mac2{{0x02, 0, 0, 0, 0, 0x02}};
const Ipv4Addr ip1 = Ipv4Addr::from_octets(198, 18, 0, 1);
const Ipv4Addr ip2 = Ipv4Addr::from_octets(198, 18, 0, 2);

Bytes bytes_of(const std::vector<std::uint8_t>& v, std::size_t len) {
    return Bytes(v.data(), len);
}

} // namespace

TEST(WireEthernet, ParsesKnownHeader) {
    auto view = wire::ethernet::View::parse(request_frame);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->destination(), MacAddr::broadcast());
    EXPECT_EQ(view->source(), mac2);
    EXPECT_EQ(view->ethertype(), 0x0806);
    EXPECT_EQ(view->payload().size(), request_frame.size() - 14);
    EXPECT_EQ(view->payload().data(), request_frame.data() + 14);
    auto repr = wire::ethernet::Repr::parse(*view);
    EXPECT_EQ(repr, (wire::ethernet::Repr{MacAddr::broadcast(), mac2, 0x0806}));
}

TEST(WireEthernet, EmitRoundTrip) {
    auto repr = wire::ethernet::Repr::parse(*wire::ethernet::View::parse(reply_frame));
    ASSERT_EQ(repr.buffer_len(), 14u);
    std::vector<std::uint8_t> out(14, 0xaa);
    ASSERT_TRUE(repr.emit(out));
    EXPECT_EQ(out, std::vector<std::uint8_t>(reply_frame.begin(), reply_frame.begin() + 14));
    // Emit writes exactly buffer_len() bytes.
    std::vector<std::uint8_t> longer(20, 0xaa);
    ASSERT_TRUE(repr.emit(longer));
    EXPECT_EQ(std::vector<std::uint8_t>(longer.begin() + 14, longer.end()),
              std::vector<std::uint8_t>(6, 0xaa));
}

TEST(WireEthernet, RejectsTruncated) {
    EXPECT_FALSE(wire::ethernet::View::parse(bytes_of(request_frame, 13)).has_value());
    EXPECT_FALSE(wire::ethernet::View::parse(Bytes{}).has_value());
    EXPECT_TRUE(wire::ethernet::View::parse(bytes_of(request_frame, 14)).has_value());
    std::vector<std::uint8_t> small(13);
    EXPECT_FALSE((wire::ethernet::Repr{mac1, mac2, 0x0800}.emit(small)));
    EXPECT_EQ(small, std::vector<std::uint8_t>(13, 0)); // nothing written
}

TEST(WireEthernet, Ipv4MulticastMac) {
    // RFC 1112 6.4: the low 23 bits of the group go after 01:00:5e (the 24th bit from the end is dropped).
    EXPECT_EQ(wire::ethernet::ipv4_multicast_mac(Ipv4Addr::from_octets(224, 0, 0, 1)),
              (MacAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}}));
    EXPECT_EQ(wire::ethernet::ipv4_multicast_mac(Ipv4Addr::from_octets(239, 255, 130, 7)),
              (MacAddr{{0x01, 0x00, 0x5e, 0x7f, 0x82, 0x07}}));
    EXPECT_EQ(wire::ethernet::ipv4_multicast_mac(Ipv4Addr::from_octets(224, 128, 130, 7)),
              (MacAddr{{0x01, 0x00, 0x5e, 0x00, 0x82, 0x07}}));
}

TEST(WireArp, ParsesKnownRequest) {
    auto view = wire::arp::View::parse(Bytes(request_frame).subspan(14));
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->htype(), 1);
    EXPECT_EQ(view->ptype(), 0x0800);
    EXPECT_EQ(view->hlen(), 6);
    EXPECT_EQ(view->plen(), 4);
    EXPECT_EQ(view->operation(), 1);
    EXPECT_EQ(view->sender_mac(), mac2);
    EXPECT_EQ(view->sender_ip(), ip1);
    EXPECT_EQ(view->target_mac(), MacAddr{});
    EXPECT_EQ(view->target_ip(), ip2);
    Drop why = Drop::Count;
    auto repr = wire::arp::Repr::parse(*view, &why);
    ASSERT_TRUE(repr.has_value());
    EXPECT_EQ(why, Drop::Count); // untouched on success
    EXPECT_EQ(*repr, (wire::arp::Repr{wire::arp::Operation::Request, mac2, ip1, MacAddr{}, ip2}));
}

TEST(WireArp, EmitRoundTripRequestAndReply) {
    for (const auto* frame : {&request_frame, &reply_frame}) {
        auto repr = wire::arp::Repr::parse(*wire::arp::View::parse(Bytes(*frame).subspan(14)));
        ASSERT_TRUE(repr.has_value());
        ASSERT_EQ(repr->buffer_len(), 28u);
        std::vector<std::uint8_t> out(30, 0xaa);
        ASSERT_TRUE(repr->emit(out));
        EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + 28),
                  std::vector<std::uint8_t>(frame->begin() + 14, frame->begin() + 42));
        EXPECT_EQ(out[28], 0xaa); // exactly buffer_len() bytes written
        EXPECT_EQ(out[29], 0xaa);
    }
    auto reply = wire::arp::Repr::parse(*wire::arp::View::parse(Bytes(reply_frame).subspan(14)));
    EXPECT_EQ(*reply, (wire::arp::Repr{wire::arp::Operation::Reply, mac1, ip2, mac2, ip1}));
}

TEST(WireArp, RejectsTruncated) {
    Bytes arp = Bytes(request_frame).subspan(14);
    EXPECT_FALSE(wire::arp::View::parse(arp.first(27)).has_value());
    EXPECT_FALSE(wire::arp::View::parse(arp.first(0)).has_value());
    EXPECT_TRUE(wire::arp::View::parse(arp.first(28)).has_value());
    std::vector<std::uint8_t> small(27);
    EXPECT_FALSE(wire::arp::Repr{}.emit(small));
    EXPECT_EQ(small, std::vector<std::uint8_t>(27, 0));
}

TEST(WireArp, RejectsOtherHardwareProtocolAndOperation) {
    struct Case {
        std::size_t offset;
        std::uint8_t value;
        Drop expected;
    };
    const Case cases[] = {
        {1, 6, Drop::BadHardware},    // htype 6 (IEEE 802)
        {2, 0x86, Drop::BadHardware}, // ptype 0x8600
        {4, 8, Drop::BadHardware},    // hlen 8
        {5, 16, Drop::BadHardware},   // plen 16
        {7, 0, Drop::BadOperation},   // op 0
        {7, 3, Drop::BadOperation},   // op 3 (RARP request)
        {6, 1, Drop::BadOperation},   // op 0x0101
    };
    for (const Case& c : cases) {
        std::vector<std::uint8_t> arp(request_frame.begin() + 14, request_frame.begin() + 42);
        arp[c.offset] = c.value;
        auto view = wire::arp::View::parse(arp);
        ASSERT_TRUE(view.has_value());
        Drop why = Drop::Count;
        EXPECT_FALSE(wire::arp::Repr::parse(*view, &why).has_value()) << "offset " << c.offset;
        EXPECT_EQ(why, c.expected) << "offset " << c.offset;
        EXPECT_FALSE(wire::arp::Repr::parse(*view).has_value()); // no out-parameter needed
    }
}
