// TCP header and options (RFC 9293 3.1, 3.2; RFC 7323; RFC 2018): View length contract, option parsing
// (every malformed case), Repr round trips against segments built by Scapy, option layout and SACK trimming,
// checksums.
#include "core/checksum.hpp"
#include "core/drop.hpp"
#include "wire/tcp.hpp"
#include <gtest/gtest.h>
#include <string>
#include <vector>

using namespace pico;
using namespace pico::wire;

namespace {

using ByteVec = std::vector<std::uint8_t>;

ByteVec from_hex(const std::string& hex) {
    ByteVec out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    return out;
}

// Segments from Scapy 2.x: bytes(IP(src="198.18.0.1", dst="198.18.0.2")/TCP(...)/payload)[20:], checksum
// computed by Scapy over that pseudo-header.
// TCP(sport=40000, dport=80, seq=0x11223344, flags='S', window=64240,
//     options=[('MSS',1460),('SAckOK',b''),('Timestamp',(1,0)),('NOP',None),('WScale',7)])
const char* const syn_hex =
    "9c4000501122334400000000a002faf0dfef0000020405b40402080a000000010000000001030307";
// TCP(sport=80, dport=40000, seq=0xfffffff0, ack=0x11223345, flags='PA', window=502,
//     options=[('NOP',None),('NOP',None),('Timestamp',(0xdeadbeef,1))]) / b"hello, world"
const char* const data_hex =
    "00509c40fffffff011223345801801f629b800000101080adeadbeef0000000168656c6c6f2c20776f726c64";
// TCP(sport=80, dport=40000, seq=1000, ack=2000, flags='A', window=1000, options=[NOP, NOP,
// ('Timestamp',(5,6)),
//     NOP, NOP, ('SAck',(3000,4000,5000,6000,7000,8000))])
const char* const sack_hex =
    "00509c40000003e8000007d0f01003e8473a00000101080a00000005000000060101051a00000bb800000f"
    "a0000013880000177000001b5800001f40";
// TCP(sport=80, dport=40000, seq=7, ack=0x11223345, flags='SA', window=29200,
//     options=[('MSS',1400),('NOP',None),('WScale',14),('NOP',None),('NOP',None),('SAckOK',b'')])
const char* const synack_hex = "00509c400000000711223345801272108fff0000020405780103030e01010402";
// TCP(sport=1, dport=2, seq=0x80000000, flags='R', window=0)
const char* const rst_hex = "00010002800000000000000050040000a3b50000";
// TCP(sport=5000, dport=6000, seq=1, ack=2, flags='UAF', window=65535, urgptr=3) / b"abcde"
const char* const urg_hex = "1388177000000001000000025031ffffcec100036162636465";

constexpr std::uint32_t src_ip = 0xc6120001; // 198.18.0.1
constexpr std::uint32_t dst_ip = 0xc6120002; // 198.18.0.2

std::uint32_t pseudo(const ByteVec& segment) {
    return pseudo_header_sum_ipv4(src_ip, dst_ip, tcp::ip_protocol,
                                  static_cast<std::uint16_t>(segment.size()));
}

// Parses a segment, re-emits its header from the Repr, appends the payload, fills the checksum and expects
// the original bytes back.
void expect_round_trip(const ByteVec& segment) {
    Drop why = Drop::Count;
    auto view = tcp::View::parse(segment, &why);
    ASSERT_TRUE(view.has_value());
    EXPECT_TRUE(view->checksum_valid(pseudo(segment)));
    auto repr = tcp::Repr::parse(*view, &why);
    ASSERT_TRUE(repr.has_value());
    ASSERT_EQ(repr->header_len(), view->header_len());
    ByteVec out(repr->header_len() + view->payload().size(), 0xaa);
    ASSERT_TRUE(repr->emit(out));
    // The checksum field is left zero by emit.
    EXPECT_EQ(out[16], 0);
    EXPECT_EQ(out[17], 0);
    std::copy(view->payload().begin(), view->payload().end(),
              out.begin() + static_cast<std::ptrdiff_t>(repr->header_len()));
    tcp::fill_checksum(out, pseudo(out));
    EXPECT_EQ(out, segment);
}

tcp::Options parse_area(const ByteVec& area, bool expect_ok) {
    tcp::Options o;
    EXPECT_EQ(tcp::parse_options(area, o), expect_ok);
    return o;
}

} // namespace

// ---- View: the length contract ----

TEST(TcpWireView, ParsesLinuxSynFields) {
    ByteVec seg = from_hex(syn_hex);
    auto v = tcp::View::parse(seg);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->source_port(), 40000);
    EXPECT_EQ(v->destination_port(), 80);
    EXPECT_EQ(v->seq(), 0x11223344u);
    EXPECT_EQ(v->ack(), 0u);
    EXPECT_EQ(v->header_len(), 40u);
    EXPECT_EQ(v->flags(), tcp::flag::syn);
    EXPECT_TRUE(v->has(tcp::flag::syn));
    EXPECT_FALSE(v->has(tcp::flag::ack));
    EXPECT_EQ(v->window(), 64240);
    EXPECT_EQ(v->checksum(), 0xdfef);
    EXPECT_EQ(v->urgent_pointer(), 0);
    EXPECT_EQ(v->options().size(), 20u);
    EXPECT_EQ(v->payload().size(), 0u);
    EXPECT_EQ(v->bytes().size(), 40u);
    EXPECT_EQ(v->segment_len(), 1u); // SYN occupies one sequence number
    EXPECT_TRUE(v->checksum_valid(pseudo(seg)));

    tcp::Options o;
    ASSERT_TRUE(tcp::parse_options(v->options(), o));
    EXPECT_TRUE(o.has_mss);
    EXPECT_EQ(o.mss, 1460);
    EXPECT_TRUE(o.sack_permitted);
    EXPECT_TRUE(o.has_timestamp);
    EXPECT_EQ(o.ts_val, 1u);
    EXPECT_EQ(o.ts_ecr, 0u);
    EXPECT_TRUE(o.has_window_scale);
    EXPECT_EQ(o.window_scale, 7);
    EXPECT_EQ(o.sack_count, 0);
}

TEST(TcpWireView, PayloadAndSegmentLength) {
    ByteVec seg = from_hex(data_hex);
    auto v = tcp::View::parse(seg);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->header_len(), 32u);
    EXPECT_EQ(v->flags(), tcp::flag::psh | tcp::flag::ack);
    EXPECT_EQ(std::string(v->payload().begin(), v->payload().end()), "hello, world");
    EXPECT_EQ(v->segment_len(), 12u);

    ByteVec urg = from_hex(urg_hex);
    auto u = tcp::View::parse(urg);
    ASSERT_TRUE(u.has_value());
    EXPECT_EQ(u->flags(), tcp::flag::urg | tcp::flag::ack | tcp::flag::fin);
    EXPECT_EQ(u->urgent_pointer(), 3);
    EXPECT_EQ(u->segment_len(), 6u); // 5 bytes + FIN
    EXPECT_TRUE(u->checksum_valid(pseudo(urg)));
}

TEST(TcpWireView, ChecksumDetectsCorruption) {
    ByteVec seg = from_hex(data_hex);
    seg.back() ^= 0x01;
    auto v = tcp::View::parse(seg);
    ASSERT_TRUE(v.has_value());
    EXPECT_FALSE(v->checksum_valid(pseudo(seg)));
    // A different pseudo-header (another destination) fails too.
    ByteVec ok = from_hex(data_hex);
    auto w = tcp::View::parse(ok);
    EXPECT_FALSE(w->checksum_valid(
        pseudo_header_sum_ipv4(src_ip, dst_ip + 1, 6, static_cast<std::uint16_t>(ok.size()))));
}

TEST(TcpWireView, TruncatedBelowTwentyBytes) {
    ByteVec seg = from_hex(rst_hex);
    for (std::size_t n = 0; n < 20; ++n) {
        Drop why = Drop::Count;
        EXPECT_FALSE(tcp::View::parse(Bytes{seg.data(), n}, &why).has_value()) << n;
        EXPECT_EQ(why, Drop::Truncated) << n;
    }
    EXPECT_TRUE(tcp::View::parse(Bytes{seg.data(), 20}).has_value());
}

TEST(TcpWireView, DataOffsetBelowFive) {
    ByteVec seg = from_hex(rst_hex);
    for (std::uint8_t off = 0; off < 5; ++off) {
        seg[12] = static_cast<std::uint8_t>(off << 4);
        Drop why = Drop::Count;
        EXPECT_FALSE(tcp::View::parse(seg, &why).has_value()) << int(off);
        EXPECT_EQ(why, Drop::BadHeaderLength);
    }
    EXPECT_FALSE(tcp::View::parse(seg).has_value()); // why may be null
}

TEST(TcpWireView, DataOffsetBeyondSegment) {
    ByteVec seg = from_hex(syn_hex); // 40 bytes, offset 10
    seg[12] = 0xb0;                  // 44 bytes of header claimed
    Drop why = Drop::Count;
    EXPECT_FALSE(tcp::View::parse(seg, &why).has_value());
    EXPECT_EQ(why, Drop::BadHeaderLength);
    seg[12] = 0xf0; // 60
    EXPECT_FALSE(tcp::View::parse(seg, &why).has_value());
    EXPECT_EQ(why, Drop::BadHeaderLength);
    // Exactly the segment: accepted, no payload.
    seg[12] = 0xa0;
    auto v = tcp::View::parse(seg, &why);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->payload().size(), 0u);
    // The reserved low nibble of byte 12 does not change the header length.
    seg[12] = 0xaf;
    v = tcp::View::parse(seg);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->header_len(), 40u);
}

TEST(TcpWireView, MaximumHeaderOfSixtyBytes) {
    ByteVec seg(60, 0x01); // 40 bytes of NOPs
    seg[12] = 0xf0;
    auto v = tcp::View::parse(seg);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->header_len(), 60u);
    EXPECT_EQ(v->options().size(), 40u);
    EXPECT_EQ(v->payload().size(), 0u);
}

TEST(TcpWireView, QuotedHeaderNeedsEightBytes) {
    ByteVec seg = from_hex(syn_hex);
    auto q = tcp::Quoted::parse(Bytes{seg.data(), 8});
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->source_port, 40000);
    EXPECT_EQ(q->destination_port, 80);
    EXPECT_EQ(q->seq, 0x11223344u);
    EXPECT_FALSE(tcp::Quoted::parse(Bytes{seg.data(), 7}).has_value());
}

// ---- Options: well-formed areas ----

TEST(TcpWireOptions, EmptyArea) {
    tcp::Options o = parse_area({}, true);
    EXPECT_EQ(o, tcp::Options{});
}

TEST(TcpWireOptions, NopOnlyArea) {
    tcp::Options o = parse_area(ByteVec(40, 0x01), true);
    EXPECT_EQ(o, tcp::Options{});
}

TEST(TcpWireOptions, FortyByteAreaWithFourSackBlocks) {
    // NOP NOP SACK(2 + 4*8 = 34) NOP NOP NOP NOP = 40 bytes, the largest area.
    ByteVec area{1, 1, 5, 34};
    for (std::uint32_t i = 0; i < 8; ++i) {
        std::uint32_t v = 1000 * (i + 1);
        area.insert(area.end(),
                    {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)});
    }
    area.insert(area.end(), {1, 1, 1, 1});
    ASSERT_EQ(area.size(), 40u);
    tcp::Options o = parse_area(area, true);
    ASSERT_EQ(o.sack_count, 4);
    for (std::uint32_t i = 0; i < 4; ++i) {
        EXPECT_EQ(o.sack[i].left, 1000 * (2 * i + 1));
        EXPECT_EQ(o.sack[i].right, 1000 * (2 * i + 2));
    }
}

TEST(TcpWireOptions, OptionEndingExactlyAtAreaEnd) {
    tcp::Options o = parse_area({1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 10}, true);
    EXPECT_TRUE(o.has_timestamp);
    EXPECT_EQ(o.ts_val, 9u);
    EXPECT_EQ(o.ts_ecr, 10u);
}

TEST(TcpWireOptions, EolInTheMiddleEndsParsing) {
    // MSS, EOL, then bytes that would be malformed (MSS of length 0) and a window scale: all ignored.
    tcp::Options o = parse_area({2, 4, 0x05, 0xb4, 0, 2, 0, 3, 3, 7}, true);
    EXPECT_TRUE(o.has_mss);
    EXPECT_EQ(o.mss, 1460);
    EXPECT_FALSE(o.has_window_scale);
    // EOL first: nothing.
    o = parse_area({0, 2, 4, 0x05, 0xb4}, true);
    EXPECT_FALSE(o.has_mss);
}

TEST(TcpWireOptions, UnknownKindSkippedByItsLength) {
    // Kind 30 (MPTCP) with 6 bytes, kind 254 (experimental) with length 2, then window scale.
    tcp::Options o = parse_area({30, 6, 0xff, 0xff, 0xff, 0xff, 254, 2, 3, 3, 9, 1}, true);
    EXPECT_TRUE(o.has_window_scale);
    EXPECT_EQ(o.window_scale, 9);
    EXPECT_FALSE(o.has_mss);
}

TEST(TcpWireOptions, WindowScaleAboveFourteenReportedAsReceived) {
    tcp::Options o = parse_area({1, 3, 3, 15}, true);
    EXPECT_TRUE(o.has_window_scale);
    EXPECT_EQ(o.window_scale, 15); // clamping is the caller's (RFC 7323 2.3)
}

TEST(TcpWireOptions, LaterOccurrenceOverrides) {
    tcp::Options o = parse_area({2, 4, 0x02, 0x18, 2, 4, 0x05, 0xb4}, true);
    EXPECT_EQ(o.mss, 1460);
}

TEST(TcpWireOptions, ResetsOutputFirst) {
    tcp::Options o;
    o.has_mss = true;
    o.mss = 99;
    o.sack_count = 2;
    ASSERT_TRUE(tcp::parse_options(ByteVec{1, 1}, o));
    EXPECT_EQ(o, tcp::Options{});
}

// ---- Options: malformed areas ----

TEST(TcpWireOptions, LengthZeroIsMalformed) {
    parse_area({2, 0, 0, 0}, false);
    parse_area({99, 0, 1, 1}, false); // unknown kind: a zero length would never advance
}

TEST(TcpWireOptions, LengthOneIsMalformed) {
    parse_area({2, 1, 1, 1}, false);
    parse_area({99, 1, 1, 1}, false);
}

TEST(TcpWireOptions, KindWithoutLengthByteIsMalformed) {
    parse_area({1, 1, 1, 2}, false);
    parse_area({99}, false);
}

TEST(TcpWireOptions, LengthPastTheAreaIsMalformed) {
    parse_area({2, 4, 0x05}, false);
    parse_area({1, 99, 8, 0}, false);
    parse_area({8, 10, 0, 0, 0, 1, 0, 0, 0}, false); // timestamps one byte short
}

TEST(TcpWireOptions, KnownKindsWithWrongLength) {
    parse_area({2, 3, 5, 1}, false);                          // MSS length 3
    parse_area({2, 5, 5, 0xb4, 0}, false);                    // MSS length 5
    parse_area({3, 4, 7, 0}, false);                          // window scale length 4
    parse_area({3, 2, 1, 1}, false);                          // window scale length 2
    parse_area({4, 3, 0, 1}, false);                          // SACK-permitted length 3
    parse_area({8, 8, 0, 0, 0, 1, 0, 0}, false);              // timestamps length 8
    parse_area({8, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1}, false); // timestamps length 11
    parse_area({5, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1}, false);     // SACK 2 + 7
    parse_area({5, 2, 1, 1}, false);                          // SACK without a block
    parse_area({5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1}, false); // SACK 2 + 9
}

TEST(TcpWireOptions, SackOfFiveBlocksIsMalformed) {
    // 2 + 5*8 = 42 does not fit a 40-byte area; in a larger (invalid) buffer it is still not 1..4 blocks.
    ByteVec area{5, 42};
    area.resize(42, 0);
    parse_area(area, false);
}

TEST(TcpWireOptions, MalformedAfterValidOptions) {
    tcp::Options o;
    EXPECT_FALSE(tcp::parse_options(ByteVec{2, 4, 0x05, 0xb4, 1, 3, 3}, o)); // WS cut short
}

TEST(TcpWireOptions, ReprParseReportsBadOption) {
    ByteVec seg = from_hex(syn_hex);
    seg[21] = 3; // MSS length 3
    auto v = tcp::View::parse(seg);
    ASSERT_TRUE(v.has_value()); // the view does not judge options
    Drop why = Drop::Count;
    EXPECT_FALSE(tcp::Repr::parse(*v, &why).has_value());
    EXPECT_EQ(why, Drop::BadOption);
}

// ---- Repr: round trips against Scapy and the option layout ----

TEST(TcpWireRepr, RoundTripLinuxSyn) {
    expect_round_trip(from_hex(syn_hex));
}
TEST(TcpWireRepr, RoundTripDataWithTimestamps) {
    expect_round_trip(from_hex(data_hex));
}
TEST(TcpWireRepr, RoundTripThreeSackBlocksWithTimestamps) {
    ByteVec seg = from_hex(sack_hex);
    auto v = tcp::View::parse(seg);
    ASSERT_TRUE(v.has_value());
    auto r = tcp::Repr::parse(*v);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->options.sack_count, 3);
    EXPECT_EQ(r->options.sack[0], (tcp::SackBlock{3000, 4000}));
    EXPECT_EQ(r->options.sack[2], (tcp::SackBlock{7000, 8000}));
    EXPECT_EQ(r->header_len(), 60u);
    expect_round_trip(seg);
}
TEST(TcpWireRepr, RoundTripSynAckWithoutTimestamps) {
    expect_round_trip(from_hex(synack_hex));
}
TEST(TcpWireRepr, RoundTripRstWithoutOptions) {
    expect_round_trip(from_hex(rst_hex));
}
TEST(TcpWireRepr, RoundTripUrgentFinWithPayload) {
    expect_round_trip(from_hex(urg_hex));
}

TEST(TcpWireRepr, BuildLinuxSynFromScratch) {
    tcp::Repr r;
    r.source_port = 40000;
    r.destination_port = 80;
    r.seq = 0x11223344;
    r.flags = tcp::flag::syn;
    r.window = 64240;
    r.options.has_mss = true;
    r.options.mss = 1460;
    r.options.sack_permitted = true;
    r.options.has_timestamp = true;
    r.options.ts_val = 1;
    r.options.has_window_scale = true;
    r.options.window_scale = 7;
    EXPECT_EQ(r.header_len(), 40u);
    ByteVec out(r.header_len());
    ASSERT_TRUE(r.emit(out));
    tcp::fill_checksum(out, pseudo(out));
    EXPECT_EQ(out, from_hex(syn_hex));
}

TEST(TcpWireRepr, OptionLayouts) {
    auto emit = [](const tcp::Repr& r) {
        ByteVec out(r.header_len());
        EXPECT_TRUE(r.emit(out));
        return ByteVec(out.begin() + 20, out.end());
    };
    tcp::Repr r;
    EXPECT_EQ(r.header_len(), 20u);
    EXPECT_EQ(emit(r), ByteVec{});

    r.options.has_timestamp = true;
    r.options.ts_val = 0x01020304;
    r.options.ts_ecr = 0x05060708;
    EXPECT_EQ(emit(r), (ByteVec{1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8}));

    tcp::Repr s;
    s.options.sack_permitted = true;
    EXPECT_EQ(emit(s), (ByteVec{1, 1, 4, 2}));
    s.options.has_window_scale = true;
    s.options.window_scale = 14;
    EXPECT_EQ(emit(s), (ByteVec{1, 3, 3, 14, 1, 1, 4, 2})); // Linux: WS before SACK-permitted without TS
    s.options.has_mss = true;
    s.options.mss = 536;
    EXPECT_EQ(emit(s), (ByteVec{2, 4, 2, 24, 1, 3, 3, 14, 1, 1, 4, 2}));

    tcp::Repr t;
    t.options.sack_count = 1;
    t.options.sack[0] = {0xa0b0c0d0, 0xa0b0c0e0};
    EXPECT_EQ(emit(t), (ByteVec{1, 1, 5, 10, 0xa0, 0xb0, 0xc0, 0xd0, 0xa0, 0xb0, 0xc0, 0xe0}));
}

TEST(TcpWireRepr, FlagsAndDataOffsetByte) {
    tcp::Repr r;
    r.flags = tcp::flag::cwr | tcp::flag::ece | tcp::flag::fin;
    r.options.has_mss = true;
    r.options.mss = 1;
    ByteVec out(24);
    ASSERT_TRUE(r.emit(out));
    EXPECT_EQ(out[12], 0x60);
    EXPECT_EQ(out[13], 0xc1);
}

TEST(TcpWireRepr, SackBlocksTrimmedToFortyBytes) {
    tcp::Repr r;
    r.options.sack_count = 4;
    for (std::uint32_t i = 0; i < 4; ++i)
        r.options.sack[i] = {100 * i, 100 * i + 50};
    EXPECT_EQ(r.emitted_sack_blocks(), 4u);
    EXPECT_EQ(r.header_len(), 20u + 4 + 32);

    r.options.has_timestamp = true; // 12 + 4 + 3*8 = 40
    EXPECT_EQ(r.emitted_sack_blocks(), 3u);
    EXPECT_EQ(r.header_len(), 60u);

    r.options.has_mss = true; // SYN-like: 4 + 12 = 16, room for 24: 2 blocks
    EXPECT_EQ(r.emitted_sack_blocks(), 2u);
    EXPECT_EQ(r.header_len(), 20u + 16 + 4 + 16);

    r.options.has_window_scale = true; // 20, room 20: 2 blocks
    EXPECT_EQ(r.emitted_sack_blocks(), 2u);
    EXPECT_EQ(r.header_len(), 60u);

    r.options.has_timestamp = false;
    r.options.sack_permitted = true; // 4 + 4 + 4 = 12, room 28: 3 blocks
    EXPECT_EQ(r.emitted_sack_blocks(), 3u);
    EXPECT_EQ(r.header_len(), 60u);

    // The emitted area parses back to the blocks that were kept, in order.
    ByteVec out(r.header_len(), 0xee);
    ASSERT_TRUE(r.emit(out));
    auto v = tcp::View::parse(out);
    ASSERT_TRUE(v.has_value());
    auto back = tcp::Repr::parse(*v);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->options.sack_count, 3);
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_EQ(back->options.sack[i], r.options.sack[i]);

    // More than four requested: at most four.
    tcp::Repr many;
    many.options.sack_count = 200;
    EXPECT_EQ(many.emitted_sack_blocks(), 4u);
    EXPECT_LE(many.header_len(), tcp::max_header_len);
}

TEST(TcpWireRepr, EveryOptionCombinationRoundTrips) {
    for (unsigned mask = 0; mask < 32; ++mask) {
        for (std::uint8_t blocks = 0; blocks <= 4; ++blocks) {
            tcp::Repr r;
            r.source_port = 1;
            r.destination_port = 2;
            r.seq = 3;
            r.ack = 4;
            r.flags = tcp::flag::ack;
            r.window = 5;
            r.options.has_mss = (mask & 1) != 0;
            r.options.mss = r.options.has_mss ? 1460 : 0;
            r.options.has_window_scale = (mask & 2) != 0;
            r.options.window_scale = r.options.has_window_scale ? 7 : 0;
            r.options.sack_permitted = (mask & 4) != 0;
            r.options.has_timestamp = (mask & 8) != 0;
            r.options.ts_val = r.options.has_timestamp ? 77 : 0;
            r.options.ts_ecr = r.options.has_timestamp ? 88 : 0;
            if ((mask & 16) != 0) r.urgent_pointer = 9;
            r.options.sack_count = blocks;
            for (std::uint32_t i = 0; i < blocks; ++i)
                r.options.sack[i] = {i * 10 + 1, i * 10 + 5};

            const std::size_t len = r.header_len();
            ASSERT_EQ(len % 4, 0u);
            ASSERT_LE(len, tcp::max_header_len);
            ByteVec out(len + 3, 0xee);
            ASSERT_TRUE(r.emit(out));
            EXPECT_EQ(out[len], 0xee) << "emit wrote past header_len()";
            auto v = tcp::View::parse(Bytes{out.data(), len});
            ASSERT_TRUE(v.has_value());
            auto back = tcp::Repr::parse(*v);
            ASSERT_TRUE(back.has_value());
            tcp::Repr expected = r;
            expected.options.sack_count = static_cast<std::uint8_t>(r.emitted_sack_blocks());
            for (std::size_t i = expected.options.sack_count; i < 4; ++i)
                expected.options.sack[i] = {};
            EXPECT_EQ(*back, expected) << "mask " << mask << " blocks " << int(blocks);
        }
    }
}

TEST(TcpWireRepr, EmitRefusesShortBuffer) {
    tcp::Repr r;
    r.options.has_mss = true;
    ByteVec out(23, 0xee);
    EXPECT_FALSE(r.emit(out));
    EXPECT_EQ(out, ByteVec(23, 0xee));
}

TEST(TcpWireChecksum, FillChecksumVerifies) {
    ByteVec seg = from_hex(data_hex);
    seg[16] = 0x12;
    seg[17] = 0x34;
    tcp::fill_checksum(seg, pseudo(seg));
    EXPECT_EQ(seg, from_hex(data_hex));
    auto v = tcp::View::parse(seg);
    EXPECT_TRUE(v->checksum_valid(pseudo(seg)));
    // Too short: untouched.
    ByteVec tiny(10, 0x55);
    tcp::fill_checksum(tiny, 0);
    EXPECT_EQ(tiny, ByteVec(10, 0x55));
}
