// Byte-array round trips for wire/ipv4.hpp and wire/icmp4.hpp. The known packets were produced by Scapy
// (checksums included), so they check our checksum independently.
#include "core/drop.hpp"
#include "wire/icmp4.hpp"
#include "wire/ipv4.hpp"
#include <gtest/gtest.h>
#include <vector>

using namespace pico;

namespace {

// IP(src=198.18.0.1, dst=198.18.0.2, id=0x1c46, flags=DF, ttl=64, tos=0x10) / ICMP(echo-request, id=0x1234,
// seq=7) / "abcdefgh"
const std::vector<std::uint8_t> echo_datagram{0x45, 0x10, 0x00, 0x24, 0x1c, 0x46, 0x40, 0x00, 0x40,
                                              0x01, 0x92, 0x5b, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
                                              0x00, 0x02, 0x08, 0x00, 0x54, 0x2f, 0x12, 0x34, 0x00,
                                              0x07, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68};

// IP(src=198.18.0.2, dst=198.18.0.1, id=0xbeef, ttl=17, proto=253, flags=MF, frag=185) / 4 zero bytes
const std::vector<std::uint8_t> fragment_datagram{0x45, 0x00, 0x00, 0x18, 0xbe, 0xef, 0x20, 0xb9,
                                                  0x11, 0xfd, 0x3d, 0x19, 0xc6, 0x12, 0x00, 0x02,
                                                  0xc6, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};

// IP(198.18.0.1 -> 198.18.0.2) / ICMP(dest-unreach, port-unreachable) / quoted IP(198.18.0.2 -> 198.18.0.1,
// proto 0) + 8 bytes (a UDP header 49152 -> 53)
const std::vector<std::uint8_t> port_unreachable{
    0x45, 0x00, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xee, 0x9c, 0xc6, 0x12,
    0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x03, 0x03, 0x3c, 0xbb, 0x00, 0x00, 0x00, 0x00,
    0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x00, 0xee, 0xb9, 0xc6, 0x12,
    0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0xc0, 0x00, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00};

Ipv4Addr ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return Ipv4Addr::from_octets(a, b, c, d);
}

Bytes as_bytes(const std::vector<std::uint8_t>& v) {
    return {v.data(), v.size()};
}

// A 20-byte header with the given first byte and total length (checksum not set), plus `extra` zero bytes.
std::vector<std::uint8_t> header_with(std::uint8_t version_ihl, std::uint16_t total, std::size_t size) {
    std::vector<std::uint8_t> b(size, 0);
    if (size > 0) b[0] = version_ihl;
    if (size > 3) {
        b[2] = static_cast<std::uint8_t>(total >> 8);
        b[3] = static_cast<std::uint8_t>(total);
    }
    return b;
}

} // namespace

TEST(WireIpv4, ParsesKnownHeader) {
    Drop why = Drop::Count;
    auto view = wire::ipv4::View::parse(as_bytes(echo_datagram), &why);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(why, Drop::Count); // untouched on success
    EXPECT_EQ(view->version(), 4);
    EXPECT_EQ(view->header_len(), 20u);
    EXPECT_EQ(view->tos(), 0x10);
    EXPECT_EQ(view->total_length(), 36);
    EXPECT_EQ(view->identification(), 0x1c46);
    EXPECT_TRUE(view->dont_fragment());
    EXPECT_FALSE(view->more_fragments());
    EXPECT_EQ(view->fragment_offset(), 0u);
    EXPECT_FALSE(view->is_fragment());
    EXPECT_EQ(view->ttl(), 64);
    EXPECT_EQ(view->protocol(), 1);
    EXPECT_EQ(view->checksum_field(), 0x925b);
    EXPECT_EQ(view->source(), ip(198, 18, 0, 1));
    EXPECT_EQ(view->destination(), ip(198, 18, 0, 2));
    EXPECT_TRUE(view->checksum_valid());
    EXPECT_TRUE(view->options_well_formed());
    EXPECT_EQ(view->options().size(), 0u);
    EXPECT_EQ(view->payload().size(), 16u);
    EXPECT_EQ(view->payload()[0], 0x08);
}

TEST(WireIpv4, ReprRoundTripsKnownHeader) {
    auto view = wire::ipv4::View::parse(as_bytes(echo_datagram));
    ASSERT_TRUE(view.has_value());
    auto repr = wire::ipv4::Repr::parse(*view);
    ASSERT_TRUE(repr.has_value());
    EXPECT_EQ(repr->payload_len, 16);
    EXPECT_EQ(repr->identification, 0x1c46);
    EXPECT_TRUE(repr->dont_fragment);
    std::vector<std::uint8_t> out(wire::ipv4::Repr::buffer_len(), 0xaa);
    ASSERT_TRUE(repr->emit(out));
    EXPECT_EQ(out, std::vector<std::uint8_t>(echo_datagram.begin(), echo_datagram.begin() + 20));
}

TEST(WireIpv4, ReprRoundTripsFragmentFields) {
    auto view = wire::ipv4::View::parse(as_bytes(fragment_datagram));
    ASSERT_TRUE(view.has_value());
    EXPECT_TRUE(view->more_fragments());
    EXPECT_FALSE(view->dont_fragment());
    EXPECT_EQ(view->fragment_offset(), 185u * 8);
    EXPECT_TRUE(view->is_fragment());
    auto repr = wire::ipv4::Repr::parse(*view);
    ASSERT_TRUE(repr.has_value());
    EXPECT_EQ(repr->fragment_offset, 185 * 8);
    EXPECT_EQ(repr->ttl, 17);
    EXPECT_EQ(repr->protocol, 253);
    std::vector<std::uint8_t> out(20);
    ASSERT_TRUE(repr->emit(out));
    EXPECT_EQ(out, std::vector<std::uint8_t>(fragment_datagram.begin(), fragment_datagram.begin() + 20));
}

TEST(WireIpv4, ReprParseChecksChecksum) {
    auto bad = echo_datagram;
    bad[11] ^= 0x01;
    auto view = wire::ipv4::View::parse(as_bytes(bad));
    ASSERT_TRUE(view.has_value()); // the view is about lengths only
    EXPECT_FALSE(view->checksum_valid());
    Drop why = Drop::Count;
    EXPECT_FALSE(wire::ipv4::Repr::parse(*view, true, &why).has_value());
    EXPECT_EQ(why, Drop::BadChecksum);
    EXPECT_TRUE(wire::ipv4::Repr::parse(*view, false).has_value());
}

TEST(WireIpv4, ReprEmitRefusesShortBufferAndOversizedDatagram) {
    wire::ipv4::Repr repr;
    repr.payload_len = 100;
    std::vector<std::uint8_t> out(19, 0x77);
    EXPECT_FALSE(repr.emit(out));
    EXPECT_EQ(out, std::vector<std::uint8_t>(19, 0x77));
    repr.payload_len = 0xffff - 19; // 20 + 65516 > 65535
    std::vector<std::uint8_t> big(20);
    EXPECT_FALSE(repr.emit(big));
    repr.payload_len = 0xffff - 20;
    EXPECT_TRUE(repr.emit(big));
    EXPECT_EQ(big[2], 0xff);
    EXPECT_EQ(big[3], 0xff);
}

TEST(WireIpv4, TrimsLinkPadding) {
    auto padded = echo_datagram;
    padded.resize(60, 0);
    auto view = wire::ipv4::View::parse(as_bytes(padded));
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->bytes().size(), 36u);
    EXPECT_EQ(view->payload().size(), 16u);
}

TEST(WireIpv4, RejectsInOrder) {
    auto reason = [](const std::vector<std::uint8_t>& b) {
        Drop why = Drop::Count;
        EXPECT_FALSE(wire::ipv4::View::parse(as_bytes(b), &why).has_value());
        return why;
    };
    EXPECT_EQ(reason(std::vector<std::uint8_t>(echo_datagram.begin(), echo_datagram.begin() + 19)),
              Drop::Truncated);
    EXPECT_EQ(reason({}), Drop::Truncated);
    EXPECT_EQ(reason(header_with(0x65, 20, 20)), Drop::BadVersion);
    EXPECT_EQ(reason(header_with(0x44, 20, 20)), Drop::BadHeaderLength); // IHL 4
    EXPECT_EQ(reason(header_with(0x40, 20, 20)), Drop::BadHeaderLength); // IHL 0
    EXPECT_EQ(reason(header_with(0x4f, 60, 40)), Drop::BadHeaderLength); // 60-byte header in 40 bytes
    EXPECT_EQ(reason(header_with(0x45, 19, 20)), Drop::BadLength);       // total < header
    EXPECT_EQ(reason(header_with(0x46, 20, 24)), Drop::BadLength);       // total < 24-byte header
    EXPECT_EQ(reason(header_with(0x45, 41, 40)), Drop::BadLength);       // total beyond the bytes
    // Version is checked before IHL, IHL before total length.
    EXPECT_EQ(reason(header_with(0x64, 0, 20)), Drop::BadVersion);
    EXPECT_EQ(reason(header_with(0x44, 0, 20)), Drop::BadHeaderLength);
    // The smallest valid datagram: a bare header.
    EXPECT_TRUE(wire::ipv4::View::parse(as_bytes(header_with(0x45, 20, 20))).has_value());
}

TEST(WireIpv4, OptionWalk) {
    using wire::ipv4::options_well_formed;
    auto ok = [](std::vector<std::uint8_t> o) { return options_well_formed(Bytes{o.data(), o.size()}); };
    EXPECT_TRUE(ok({}));
    EXPECT_TRUE(ok({1, 1, 1, 0}));                    // NOP NOP NOP EOL
    EXPECT_TRUE(ok({0, 0xff, 0xff, 0xff}));           // EOL ends the walk: the rest is padding
    EXPECT_TRUE(ok({0x88, 4, 0x12, 0x34}));           // Stream ID, unknown here: fine
    EXPECT_TRUE(ok({0x07, 7, 4, 0, 0, 0, 0, 0}));     // Record Route (7 bytes) + EOL
    EXPECT_TRUE(ok({0x99, 2, 1, 0}));                 // unknown option, length 2
    EXPECT_FALSE(ok({0x07, 0, 0, 0}));                // length 0
    EXPECT_FALSE(ok({0x07, 1, 0, 0}));                // length 1
    EXPECT_FALSE(ok({0x07, 5, 0, 0}));                // runs past the header
    EXPECT_FALSE(ok({1, 1, 1, 0x44}));                // no length byte
    EXPECT_FALSE(ok({0x82, 4, 0, 0, 1, 1, 0x83, 3})); // second option runs past
    EXPECT_TRUE(ok({0x82, 4, 0, 0, 1, 1, 0x83, 2}));  // ... or fits exactly

    // The View records the walk's result; parse itself does not reject bad options.
    std::vector<std::uint8_t> d(24, 0);
    d[0] = 0x46;
    d[3] = 24;
    d[20] = 0x07;
    d[21] = 9;
    auto view = wire::ipv4::View::parse(as_bytes(d));
    ASSERT_TRUE(view.has_value());
    EXPECT_FALSE(view->options_well_formed());
    EXPECT_EQ(view->options().size(), 4u);
    d[21] = 4;
    view = wire::ipv4::View::parse(as_bytes(d));
    ASSERT_TRUE(view.has_value());
    EXPECT_TRUE(view->options_well_formed());
}

TEST(WireIpv4, ParseQuotedNeedsHeaderAndEightBytes) {
    // The datagram quoted in the port unreachable: header + 8 bytes.
    Bytes quoted = as_bytes(port_unreachable).subspan(28);
    auto view = wire::ipv4::View::parse_quoted(quoted);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->protocol(), 0);
    EXPECT_EQ(view->source(), ip(198, 18, 0, 2));
    EXPECT_EQ(view->payload().size(), 8u);
    Drop why = Drop::Count;
    EXPECT_FALSE(wire::ipv4::View::parse_quoted(quoted.first(27), &why).has_value());
    EXPECT_EQ(why, Drop::Truncated);
    EXPECT_FALSE(wire::ipv4::View::parse_quoted(quoted.first(19), &why).has_value());
    EXPECT_EQ(why, Drop::Truncated);
    // A quote whose original Total Length (larger than the quote) is not checked.
    auto longer = std::vector<std::uint8_t>(quoted.begin(), quoted.end());
    longer[2] = 0x05;
    EXPECT_TRUE(wire::ipv4::View::parse_quoted(as_bytes(longer)).has_value());
    EXPECT_FALSE(wire::ipv4::View::parse(as_bytes(longer)).has_value());
    longer[0] = 0x55;
    EXPECT_FALSE(wire::ipv4::View::parse_quoted(as_bytes(longer), &why).has_value());
    EXPECT_EQ(why, Drop::BadVersion);
}

TEST(WireIcmp4, ParsesKnownEchoRequest) {
    Bytes message = as_bytes(echo_datagram).subspan(20);
    auto view = wire::icmp4::View::parse(message);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->type(), 8);
    EXPECT_EQ(view->code(), 0);
    EXPECT_EQ(view->checksum_field(), 0x542f);
    EXPECT_EQ(view->echo_identifier(), 0x1234);
    EXPECT_EQ(view->echo_sequence(), 7);
    EXPECT_EQ(view->rest_of_header(), 0x12340007u);
    EXPECT_TRUE(view->checksum_valid());
    ASSERT_EQ(view->data().size(), 8u);
    EXPECT_EQ(view->data()[0], 'a');

    auto repr = wire::icmp4::Repr::parse(*view);
    ASSERT_TRUE(repr.has_value());
    EXPECT_EQ(repr->echo_identifier(), 0x1234);
    EXPECT_EQ(repr->echo_sequence(), 7);
    EXPECT_EQ(repr->buffer_len(), 16u);
    std::vector<std::uint8_t> out(16, 0xaa);
    ASSERT_TRUE(repr->emit(out));
    EXPECT_EQ(out, std::vector<std::uint8_t>(message.begin(), message.end()));

    // The same message from the echo() helper.
    std::vector<std::uint8_t> out2(16, 0);
    ASSERT_TRUE(wire::icmp4::Repr::echo(8, 0x1234, 7, view->data()).emit(out2));
    EXPECT_EQ(out2, out);
}

TEST(WireIcmp4, RoundTripsKnownPortUnreachable) {
    Bytes message = as_bytes(port_unreachable).subspan(20);
    auto view = wire::icmp4::View::parse(message);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->type(), 3);
    EXPECT_EQ(view->code(), 3);
    EXPECT_TRUE(view->checksum_valid());
    EXPECT_TRUE(wire::icmp4::is_error_type(view->type()));
    auto repr = wire::icmp4::Repr::parse(*view);
    ASSERT_TRUE(repr.has_value());
    EXPECT_EQ(repr->data.size(), 28u);
    std::vector<std::uint8_t> out(repr->buffer_len());
    ASSERT_TRUE(repr->emit(out));
    EXPECT_EQ(out, std::vector<std::uint8_t>(message.begin(), message.end()));
}

TEST(WireIcmp4, EchoBuiltInPlace) {
    // An echo reply built over the request's own bytes: only type and checksum change.
    std::vector<std::uint8_t> m(echo_datagram.begin() + 20, echo_datagram.end());
    auto view = wire::icmp4::View::parse(Bytes{m.data(), m.size()});
    ASSERT_TRUE(view.has_value());
    wire::icmp4::Repr reply{0, 0, view->rest_of_header(), view->data()};
    ASSERT_TRUE(reply.emit(MutBytes{m.data(), m.size()}));
    EXPECT_EQ(m[0], 0);
    EXPECT_EQ(m[4], 0x12);
    EXPECT_EQ(m[7], 0x07);
    EXPECT_EQ(m[8], 'a');
    // Type 8 -> 0 raises the checksum by 0x0800 (RFC 1624).
    EXPECT_EQ(load_be16(m.data() + 2), 0x542f + 0x0800);
    EXPECT_TRUE(wire::icmp4::View::parse(Bytes{m.data(), m.size()})->checksum_valid());
}

TEST(WireIcmp4, RejectsTruncatedAndBadChecksum) {
    Drop why = Drop::Count;
    Bytes message = as_bytes(echo_datagram).subspan(20);
    EXPECT_FALSE(wire::icmp4::View::parse(message.first(7), &why).has_value());
    EXPECT_EQ(why, Drop::Truncated);
    EXPECT_TRUE(wire::icmp4::View::parse(message.first(8)).has_value());
    std::vector<std::uint8_t> bad(message.begin(), message.end());
    bad.back() ^= 0x40;
    auto view = wire::icmp4::View::parse(Bytes{bad.data(), bad.size()});
    ASSERT_TRUE(view.has_value());
    EXPECT_FALSE(view->checksum_valid());
    why = Drop::Count;
    EXPECT_FALSE(wire::icmp4::Repr::parse(*view, true, &why).has_value());
    EXPECT_EQ(why, Drop::BadChecksum);
    std::vector<std::uint8_t> small(15);
    EXPECT_FALSE(wire::icmp4::Repr::parse(*view, false)->emit(small));
}

TEST(WireIcmp4, ErrorTypes) {
    for (int t = 0; t < 256; ++t) {
        bool expected = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
        EXPECT_EQ(wire::icmp4::is_error_type(static_cast<std::uint8_t>(t)), expected) << t;
    }
}
