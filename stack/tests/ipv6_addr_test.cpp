// Ipv6Addr: RFC 4291 text parsing, RFC 5952 canonical formatting, classification, solicited-node groups.
#include "core/types.hpp"
#include <gtest/gtest.h>
#include <string>

using namespace pico;

namespace {

std::string text(const char* in) {
    auto a = parse_ipv6(in);
    if (!a) return "invalid";
    char out[48];
    format_ipv6(*a, out);
    return out;
}

TEST(Ipv6Addr, ParsesAndFormatsCanonically) {
    EXPECT_EQ(text("::"), "::");
    EXPECT_EQ(text("::1"), "::1");
    EXPECT_EQ(text("2001:db8::1"), "2001:db8::1");
    EXPECT_EQ(text("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
    EXPECT_EQ(text("fe80::"), "fe80::");
    // RFC 5952 4.2.2: one zero group is not "::"; 4.2.3: the longest run, the first on a tie.
    EXPECT_EQ(text("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
    EXPECT_EQ(text("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
    EXPECT_EQ(text("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
    EXPECT_EQ(text("0001:0db8:00:000:0000:0:0:0001"), "1:db8::1");
    EXPECT_EQ(text("::ffff:198.18.0.1"), "::ffff:c612:1");
    EXPECT_EQ(text("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
    EXPECT_EQ(text("1::"), "1::");
}

TEST(Ipv6Addr, RejectsMalformedText) {
    for (const char* bad :
         {"", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7", "1:", ":1",
          "1:2:3:4:5:6:7:8::", "::1.2.3", "1::2:3:4:5:6:7:8", "2001:db8::1 "}) {
        EXPECT_FALSE(parse_ipv6(bad).has_value()) << bad;
    }
    EXPECT_FALSE(parse_ipv6(nullptr).has_value());
}

TEST(Ipv6Addr, Classifies) {
    EXPECT_TRUE(parse_ipv6("::")->is_unspecified());
    EXPECT_TRUE(parse_ipv6("::1")->is_loopback());
    EXPECT_TRUE(parse_ipv6("fe80::1")->is_link_local());
    EXPECT_TRUE(parse_ipv6("febf::1")->is_link_local());
    EXPECT_FALSE(parse_ipv6("fec0::1")->is_link_local());
    EXPECT_TRUE(parse_ipv6("ff02::1")->is_multicast());
    EXPECT_EQ(parse_ipv6("ff02::1")->multicast_scope(), 2);
    EXPECT_EQ(parse_ipv6("ff0e::1")->multicast_scope(), 0xe);
    EXPECT_TRUE(parse_ipv6("::ffff:1.2.3.4")->is_v4_mapped());
    EXPECT_EQ(*parse_ipv6("ff02::1"), Ipv6Addr::all_nodes());
    EXPECT_EQ(*parse_ipv6("ff02::2"), Ipv6Addr::all_routers());
    EXPECT_EQ(*parse_ipv6("ff02::16"), Ipv6Addr::all_mldv2_routers());
}

TEST(Ipv6Addr, SolicitedNodeAndMulticastMac) {
    auto a = *parse_ipv6("2001:db8::12:3456:789a");
    EXPECT_EQ(a.solicited_node(), *parse_ipv6("ff02::1:ff56:789a"));
    MacAddr mac = a.solicited_node().multicast_mac();
    EXPECT_EQ(mac, (MacAddr{{0x33, 0x33, 0xff, 0x56, 0x78, 0x9a}}));
}

TEST(Ipv6Addr, PrefixMatch) {
    auto a = *parse_ipv6("2001:db8:1:2::1");
    EXPECT_TRUE(a.same_prefix(*parse_ipv6("2001:db8:1:2::"), 64));
    EXPECT_FALSE(a.same_prefix(*parse_ipv6("2001:db8:1:3::"), 64));
    EXPECT_TRUE(a.same_prefix(*parse_ipv6("2001:db8:1:3::"), 62));
    EXPECT_TRUE(a.same_prefix(*parse_ipv6("::"), 0));
    EXPECT_TRUE(a.same_prefix(a, 128));
    EXPECT_FALSE(a.same_prefix(*parse_ipv6("2001:db8:1:2::2"), 128));
}

TEST(IpAddr, EitherFamily) {
    IpAddr v4 = Ipv4Addr::from_octets(198, 18, 0, 1);
    IpAddr v6 = *parse_ipv6("2001:db8::1");
    EXPECT_FALSE(v4.v6);
    EXPECT_TRUE(v6.v6);
    EXPECT_FALSE(v4 == v6);
    EXPECT_TRUE(IpAddr{}.is_unspecified());
    EXPECT_TRUE(IpAddr{Ipv6Addr::all_nodes()}.is_multicast());
}

} // namespace
