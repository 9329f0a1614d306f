// IPv6 (RFC 8200): addresses and their link-layer groups, routing and source selection, output (header,
// Router Alert, multicast mapping, fragmentation), path MTU (RFC 8201), and the input checks with the
// extension-header chain and options. Output is observed on a loopback (RawIp) device where no ND is
// involved, and on an Ethernet wire device for multicast.
#include "assembly/stack.hpp"
#include "ipv6_support.hpp"
#include "link/ethernet.hpp"
#include "link/loopback.hpp"
#include "link/wire_device.hpp"
#include "net/icmp6.hpp"
#include "net/ipv6.hpp"
#include "port/virtual_platform.hpp"
#include "wire/ipv6.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <vector>

using namespace pico;
using namespace pico::test;
using namespace pico::test6;

namespace {

const Ipv6Addr us = addr6("2001:db8::2");
const Ipv6Addr peer = addr6("2001:db8::1");
const Ipv6Addr us_ll = addr6("fe80::2");
const Ipv6Addr peer_ll = addr6("fe80::1");

class Ipv6Test : public ::testing::Test {
  protected:
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    LoopbackDevice lo{1500};
    IfIndex ifx = no_interface;

    void SetUp() override {
        ifx = stack->attach(lo);
        ASSERT_NE(ifx, no_interface);
        ASSERT_TRUE(ipv6::add_address(*stack, ifx, us, 64));
        ASSERT_TRUE(ipv6::add_address(*stack, ifx, us_ll, 64));
        while (lo.receive()) { // MLD reports for the new solicited-node groups
        }
    }
    ModuleCounters& ip_stats() { return ipv6::state(*stack).counters; }
    void inject(const Packet& bytes) { ASSERT_TRUE(stack->inject(ifx, Bytes{bytes.data(), bytes.size()})); }
    std::optional<Packet> sent() {
        for (;;) {
            auto frame = lo.receive();
            if (!frame) return std::nullopt;
            Packet p(frame->data(), frame->data() + frame->size());
            if (!is_background(p)) return p;
        }
    }
    // An echo request to us: answered when the packet is accepted and delivered to ICMPv6.
    Packet echo(const Packet& extension_headers, std::uint8_t first_nh, const Ipv6Addr& dst = us) {
        auto m = icmp6_message(peer, dst, 128, 0, 0x12340001, pattern(8));
        return ipv6_packet(peer, dst, first_nh, concat(extension_headers, m));
    }
    // Checks a Parameter Problem sent to peer and returns its pointer.
    std::uint32_t parameter_problem(std::uint8_t code) {
        auto out = sent();
        EXPECT_TRUE(out.has_value());
        if (!out) return 0xffffffff;
        EXPECT_EQ((*out)[6], 58);
        EXPECT_EQ(get_addr6(*out, 24), peer);
        EXPECT_EQ((*out)[40], 4);
        EXPECT_EQ((*out)[41], code);
        return get32(*out, 44);
    }
};

// ---- addresses ----

TEST(Ipv6Addresses, AddJoinsAllNodesAndSolicitedNodeGroups) {
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    auto stack = std::make_unique<Stack>(platform);
    WireDevice eth(*parse_mac("02:00:00:00:00:02"), 1500);
    IfIndex ifx = stack->attach(eth);
    EXPECT_FALSE(ipv6::is_member(*stack, ifx, Ipv6Addr::all_nodes())); // no address yet
    Ipv6Addr a = addr6("2001:db8::2:abcd:ef01");
    ASSERT_TRUE(ipv6::add_address(*stack, ifx, a, 64));
    EXPECT_TRUE(ipv6::is_member(*stack, ifx, Ipv6Addr::all_nodes()));
    EXPECT_TRUE(ipv6::is_member(*stack, ifx, addr6("ff02::1:ffcd:ef01")));
    EXPECT_FALSE(ipv6::is_member(*stack, ifx, addr6("ff02::1:ffcd:ef02")));
    EXPECT_TRUE(ethernet::is_member(*stack, ifx, *parse_mac("33:33:00:00:00:01")));
    EXPECT_TRUE(ethernet::is_member(*stack, ifx, *parse_mac("33:33:ff:cd:ef:01")));
    ASSERT_TRUE(ipv6::remove_address(*stack, ifx, a));
    EXPECT_FALSE(ipv6::is_member(*stack, ifx, Ipv6Addr::all_nodes()));
    EXPECT_FALSE(ethernet::is_member(*stack, ifx, *parse_mac("33:33:00:00:00:01")));
    EXPECT_FALSE(ethernet::is_member(*stack, ifx, *parse_mac("33:33:ff:cd:ef:01")));
    EXPECT_FALSE(ipv6::remove_address(*stack, ifx, a));
}

TEST_F(Ipv6Test, AddressValidationAndLookup) {
    EXPECT_FALSE(ipv6::add_address(*stack, ifx, Ipv6Addr{}, 64));
    EXPECT_FALSE(ipv6::add_address(*stack, ifx, Ipv6Addr::all_nodes(), 64));
    EXPECT_FALSE(ipv6::add_address(*stack, ifx, Ipv6Addr::loopback(), 128));
    EXPECT_FALSE(ipv6::add_address(*stack, ifx, us, 129));
    EXPECT_FALSE(ipv6::add_address(*stack, 3, us, 64)); // no device
    ipv6::Address* a = ipv6::find_address(*stack, ifx, us);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->prefix_len, 64);
    EXPECT_EQ(a->state, ipv6::AddrState::Preferred);
    EXPECT_TRUE(ipv6::is_local(*stack, ifx, us));
    EXPECT_EQ(ipv6::link_local(*stack, ifx), us_ll);
    // The table holds config::ipv6_addrs_per_device addresses.
    for (std::size_t i = 2; i < config::ipv6_addrs_per_device; ++i) {
        Ipv6Addr extra = us;
        extra.octets[15] = static_cast<std::uint8_t>(0x10 + i);
        EXPECT_TRUE(ipv6::add_address(*stack, ifx, extra, 64));
    }
    EXPECT_FALSE(ipv6::add_address(*stack, ifx, addr6("2001:db8::99"), 64));
}

TEST_F(Ipv6Test, TentativeAddressIsNotLocalButListensToItsSolicitedNodeGroup) {
    Ipv6Addr t = addr6("2001:db8::77");
    ASSERT_TRUE(ipv6::add_address(*stack, ifx, t, 64, ipv6::AddrState::Tentative));
    ipv6::Address* a = ipv6::find_address(*stack, ifx, t);
    ASSERT_NE(a, nullptr);
    if constexpr (config::slaac) {
        EXPECT_EQ(a->state, ipv6::AddrState::Tentative);
        EXPECT_FALSE(ipv6::is_local(*stack, ifx, t));
    }
    EXPECT_TRUE(ipv6::is_member(*stack, ifx, t.solicited_node()));
}

TEST_F(Ipv6Test, LifetimesDeprecateThenRemove) {
    Ipv6Addr t = addr6("2001:db8::78");
    ASSERT_TRUE(ipv6::add_address(*stack, ifx, t, 64, ipv6::AddrState::Preferred, 1000, 2000, true));
    ipv6::tick(*stack, 999);
    EXPECT_EQ(ipv6::find_address(*stack, ifx, t)->state, ipv6::AddrState::Preferred);
    ipv6::tick(*stack, 1000);
    EXPECT_EQ(ipv6::find_address(*stack, ifx, t)->state, ipv6::AddrState::Deprecated);
    EXPECT_TRUE(ipv6::is_local(*stack, ifx, t));
    ipv6::tick(*stack, 2000);
    EXPECT_EQ(ipv6::find_address(*stack, ifx, t), nullptr);
}

// ---- routing and source selection ----

TEST_F(Ipv6Test, RouteConnectedPrefixAndSourceSelection) {
    auto r = ipv6::route(*stack, peer);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->ifindex, ifx);
    EXPECT_EQ(r->next_hop, peer);
    EXPECT_EQ(r->source, us); // global destination: global source (RFC 6724 rule 2)
    EXPECT_EQ(r->mtu, 1500u);
    auto ll = ipv6::route(*stack, peer_ll);
    ASSERT_TRUE(ll.has_value()); // the only device
    EXPECT_EQ(ll->source, us_ll);
    auto mc = ipv6::route(*stack, Ipv6Addr::all_nodes(), ifx);
    ASSERT_TRUE(mc.has_value());
    EXPECT_EQ(mc->source, us_ll); // link-scope multicast: link-local source
    EXPECT_FALSE(ipv6::route(*stack, addr6("2001:db8:1::5")).has_value()); // off-link, no router
}

TEST_F(Ipv6Test, PreferredOverDeprecatedThenLongestPrefix) {
    Ipv6Addr other = addr6("2001:db8::1:2");
    ASSERT_TRUE(ipv6::add_address(*stack, ifx, other, 64));
    // Longest common prefix with 2001:db8::1:5 is 2001:db8::1:2.
    EXPECT_EQ(ipv6::route(*stack, addr6("2001:db8::1:5"))->source, other);
    ipv6::find_address(*stack, ifx, other)->state = ipv6::AddrState::Deprecated;
    EXPECT_EQ(ipv6::route(*stack, addr6("2001:db8::1:5"))->source, us);
}

TEST_F(Ipv6Test, StaticRoutesLongestPrefix) {
    ASSERT_TRUE(ipv6::add_route(*stack, Ipv6Addr{}, 0, peer_ll, ifx));
    ASSERT_TRUE(ipv6::add_route(*stack, addr6("2001:db8:5::"), 48, peer, no_interface));
    EXPECT_FALSE(ipv6::add_route(*stack, Ipv6Addr{}, 0, peer_ll, no_interface)); // link-local needs a device
    auto def = ipv6::route(*stack, addr6("2001:db8:9::9"));
    ASSERT_TRUE(def.has_value());
    EXPECT_EQ(def->next_hop, peer_ll);
    auto specific = ipv6::route(*stack, addr6("2001:db8:5::9"));
    ASSERT_TRUE(specific.has_value());
    EXPECT_EQ(specific->next_hop, peer);
    EXPECT_EQ(specific->ifindex, ifx);
    ASSERT_TRUE(ipv6::remove_route(*stack, addr6("2001:db8:5::"), 48));
    EXPECT_EQ(ipv6::route(*stack, addr6("2001:db8:5::9"))->next_hop, peer_ll);
}

TEST(Ipv6Routing, LinkLocalNeedsInterfaceWithTwoDevices) {
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    auto stack = std::make_unique<Stack>(platform);
    LoopbackDevice a{1500}, b{1500};
    IfIndex ia = stack->attach(a);
    IfIndex ib = stack->attach(b);
    ASSERT_TRUE(ipv6::add_address(*stack, ia, addr6("fe80::a"), 64));
    ASSERT_TRUE(ipv6::add_address(*stack, ib, addr6("fe80::b"), 64));
    EXPECT_FALSE(ipv6::route(*stack, peer_ll).has_value());
    auto r = ipv6::route(*stack, peer_ll, ib);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->ifindex, ib);
    EXPECT_EQ(r->source, addr6("fe80::b"));
}

// ---- output ----

TEST_F(Ipv6Test, SendEmitsHeader) {
    auto payload = stack->frame_pool().allocate(config::frame_headroom);
    ASSERT_TRUE(payload.has_value());
    payload->append(Bytes{pattern(20).data(), 20});
    ipv6::SendParams p;
    p.destination = peer;
    p.next_header = 253;
    p.traffic_class = 0xb8;
    std::uint32_t tx_before = ip_stats().tx;
    ASSERT_TRUE(ipv6::send(*stack, p, std::move(*payload)));
    EXPECT_EQ(ip_stats().tx, tx_before + 1);
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    ASSERT_EQ(out->size(), 60u);
    EXPECT_EQ((*out)[0], 0x6b);
    EXPECT_EQ((*out)[1], 0x80);
    EXPECT_EQ(get16(*out, 4), 20);
    EXPECT_EQ((*out)[6], 253);
    EXPECT_EQ((*out)[7], 64);
    EXPECT_EQ(get_addr6(*out, 8), us);
    EXPECT_EQ(get_addr6(*out, 24), peer);
}

TEST_F(Ipv6Test, SendRefusesForeignSourceAndNoRoute) {
    ipv6::SendParams p;
    p.destination = peer;
    p.source = addr6("2001:db8::99");
    auto payload = stack->frame_pool().allocate(config::frame_headroom);
    EXPECT_FALSE(ipv6::send(*stack, p, std::move(*payload)));
    EXPECT_EQ(ip_stats().drops(Drop::BadAddress), 1u);
    p.source = Ipv6Addr{};
    p.destination = addr6("2001:db8:77::1");
    payload = stack->frame_pool().allocate(config::frame_headroom);
    EXPECT_FALSE(ipv6::send(*stack, p, std::move(*payload)));
    EXPECT_EQ(ip_stats().drops(Drop::NoRoute), 1u);
}

TEST(Ipv6Output, MulticastOverEthernetWithRouterAlert) {
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    auto stack = std::make_unique<Stack>(platform);
    WireDevice eth(*parse_mac("02:00:00:00:00:02"), 1500);
    IfIndex ifx = stack->attach(eth);
    ASSERT_TRUE(ipv6::add_address(*stack, ifx, us_ll, 64));
    auto payload = stack->frame_pool().allocate(config::frame_headroom);
    payload->append(Bytes{pattern(8).data(), 8});
    ipv6::SendParams p;
    p.destination = addr6("ff02::16");
    p.next_header = 58;
    p.ifindex = ifx;
    p.router_alert = true;
    while (eth.collect()) {
    }
    ASSERT_TRUE(ipv6::send(*stack, p, std::move(*payload)));
    auto frame = eth.collect();
    ASSERT_TRUE(frame.has_value());
    Packet f(frame->data(), frame->data() + frame->size());
    ASSERT_EQ(f.size(), 14u + 40 + 8 + 8);
    EXPECT_EQ(Packet(f.begin(), f.begin() + 6), (Packet{0x33, 0x33, 0, 0, 0, 0x16}));
    EXPECT_EQ(get16(f, 12), 0x86dd);
    Packet ip(f.begin() + 14, f.end());
    EXPECT_EQ(ip[6], 0);                // hop-by-hop first
    EXPECT_EQ(ip[7], 1);                // link-scope multicast: hop limit 1
    EXPECT_EQ(get16(ip, 4), 16);        // payload: 8 hop-by-hop + 8
    EXPECT_EQ(get_addr6(ip, 8), us_ll); // link-local source
    EXPECT_EQ(Packet(ip.begin() + 40, ip.begin() + 48), (Packet{58, 0, 5, 2, 0, 0, 1, 0}));
}

TEST(Ipv6Output, UnspecifiedSourceOnlyWhenAllowed) {
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    auto stack = std::make_unique<Stack>(platform);
    WireDevice eth(*parse_mac("02:00:00:00:00:02"), 1500);
    IfIndex ifx = stack->attach(eth);
    ipv6::SendParams p;
    p.destination = Ipv6Addr::all_routers();
    p.next_header = 58;
    p.ifindex = ifx;
    auto payload = stack->frame_pool().allocate(config::frame_headroom);
    EXPECT_FALSE(ipv6::send(*stack, p, std::move(*payload)));
    EXPECT_EQ(ipv6::state(*stack).counters.drops(Drop::BadAddress), 1u);
    p.allow_unspecified_source = true;
    payload = stack->frame_pool().allocate(config::frame_headroom);
    ASSERT_TRUE(ipv6::send(*stack, p, std::move(*payload)));
    auto frame = eth.collect();
    ASSERT_TRUE(frame.has_value());
    Packet f(frame->data(), frame->data() + frame->size());
    EXPECT_TRUE(get_addr6(f, 14 + 8).is_unspecified());
    EXPECT_EQ(Packet(f.begin(), f.begin() + 6), (Packet{0x33, 0x33, 0, 0, 0, 2}));
}

TEST(Ipv6Output, FragmentsToThePathMtu) {
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    auto stack = std::make_unique<Stack>(platform);
    LoopbackDevice lo{1280};
    IfIndex ifx = stack->attach(lo);
    ASSERT_TRUE(ipv6::add_address(*stack, ifx, us, 64));
    while (lo.receive()) {
    }
    auto data = pattern(1400, 9);
    auto payload = stack->frame_pool().allocate(config::frame_headroom);
    payload->append(Bytes{data.data(), data.size()});
    ipv6::SendParams p;
    p.destination = peer;
    p.next_header = 17;
    ASSERT_TRUE(ipv6::send(*stack, p, std::move(*payload)));
    auto f1 = lo.receive();
    auto f2 = lo.receive();
    ASSERT_TRUE(f1 && f2);
    EXPECT_FALSE(lo.receive().has_value());
    Packet a(f1->data(), f1->data() + f1->size());
    Packet b(f2->data(), f2->data() + f2->size());
    // RFC 8200 4.5: fragments of 8-octet multiples within 1280; the same Identification; M set on the first.
    EXPECT_EQ(a.size(), 40u + 8 + 1232);
    EXPECT_EQ(b.size(), 40u + 8 + 168);
    EXPECT_EQ(a[6], 44);
    EXPECT_EQ(b[6], 44);
    EXPECT_EQ(get16(a, 4), 8 + 1232);
    EXPECT_EQ(a[40], 17);
    EXPECT_EQ(get16(a, 42), 0x0001);
    EXPECT_EQ(get16(b, 42), 1232);
    EXPECT_EQ(get32(a, 44), get32(b, 44));
    EXPECT_EQ(Packet(a.begin() + 48, a.end()), Packet(data.begin(), data.begin() + 1232));
    EXPECT_EQ(Packet(b.begin() + 48, b.end()), Packet(data.begin() + 1232, data.end()));
    // dont_fragment: refused.
    payload = stack->frame_pool().allocate(config::frame_headroom);
    payload->append(Bytes{data.data(), data.size()});
    p.dont_fragment = true;
    EXPECT_FALSE(ipv6::send(*stack, p, std::move(*payload)));
    EXPECT_EQ(ipv6::state(*stack).counters.drops(Drop::TooBig), 1u);
}

// ---- path MTU (RFC 8201) ----

TEST_F(Ipv6Test, PathMtuNeverBelow1280NeverIncreasedAndAges) {
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, peer), 1500u);
    ipv6::update_path_mtu(*stack, peer, 1400);
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, peer), 1400u);
    ipv6::update_path_mtu(*stack, peer, 1450); // no increase from a Packet Too Big
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, peer), 1400u);
    ipv6::update_path_mtu(*stack, peer, 500); // never below 1280
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, peer), 1280u);
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, us_ll), 1500u); // other destinations unaffected
    clock.advance(ipv6::pmtu_lifetime_ms);
    ipv6::tick(*stack, clock.now());
    EXPECT_EQ(ipv6::path_mtu(*stack, ifx, peer), 1500u);
}

// ---- input ----

TEST_F(Ipv6Test, EchoIsDelivered) {
    inject(echo({}, 58));
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ((*out)[40], 129);
    EXPECT_EQ(ip_stats().rx, 1u);
}

TEST_F(Ipv6Test, HeaderChecksInOrder) {
    auto good = echo({}, 58);
    inject(Packet(good.begin(), good.begin() + 39));
    EXPECT_EQ(ip_stats().drops(Drop::Truncated), 1u);
    auto v5 = good;
    v5[0] = 0x50;
    auto buf = stack->frame_pool().allocate_copy(Bytes{v5.data(), v5.size()}, config::frame_headroom);
    RxMeta meta;
    meta.ifindex = ifx;
    ipv6::input(*stack, std::move(*buf), meta);
    EXPECT_EQ(ip_stats().drops(Drop::BadVersion), 1u);
    auto longer = good;
    put16(longer, 4, static_cast<std::uint16_t>(good.size() - 40 + 1));
    inject(longer);
    EXPECT_EQ(ip_stats().drops(Drop::BadLength), 1u);
    EXPECT_FALSE(sent().has_value());
    // Link padding after the payload is not part of the packet.
    auto padded = good;
    padded.insert(padded.end(), 6, 0xee);
    inject(padded);
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->size(), good.size());
}

TEST_F(Ipv6Test, SourceAndDestinationChecks) {
    auto m = icmp6_message(addr6("ff02::1"), us, 128, 0, 1, {});
    inject(ipv6_packet(addr6("ff02::1"), us, 58, m));
    EXPECT_EQ(ip_stats().drops(Drop::BadAddress), 1u);
    inject(echo({}, 58, addr6("2001:db8::55")));
    EXPECT_EQ(ip_stats().drops(Drop::NotForUs), 1u);
    inject(echo({}, 58, addr6("ff02::1:ff00:55"))); // a group we are not in
    EXPECT_EQ(ip_stats().drops(Drop::NotForUs), 2u);
    EXPECT_FALSE(sent().has_value());
    // Hop limit 0 is not checked for packets to us.
    auto zero = echo({}, 58);
    zero[7] = 0;
    inject(zero);
    EXPECT_TRUE(sent().has_value());
}

TEST_F(Ipv6Test, UnknownNextHeaderParameterProblemCode1) {
    inject(ipv6_packet(peer, us, 253, pattern(16)));
    EXPECT_EQ(ip_stats().drops(Drop::UnknownProtocol), 1u);
    EXPECT_EQ(parameter_problem(1), 6u);
    // Behind a destination options header: the pointer names that header's Next Header field (offset 40).
    inject(ipv6_packet(peer, us, 60, concat(options_header(253, {}), pattern(16))));
    EXPECT_EQ(parameter_problem(1), 40u);
}

TEST_F(Ipv6Test, HopByHopOnlyFirst) {
    auto chain = concat(options_header(0, {}), options_header(58, {}));
    inject(echo(chain, 60));
    EXPECT_EQ(ip_stats().drops(Drop::BadExtensionHeader), 1u);
    EXPECT_EQ(parameter_problem(1), 40u);
    inject(echo(options_header(58, {}), 0));
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ((*out)[40], 129);
}

TEST_F(Ipv6Test, RoutingHeader) {
    // Segments Left 0: ignored (type 0 included).
    Packet rh0{58, 2, 0, 0, 0, 0, 0, 0};
    rh0.resize(24, 0);
    inject(echo(rh0, 43));
    auto out = sent();
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ((*out)[40], 129);
    // Segments Left 1, type 0 (RFC 5095) or unknown: Parameter Problem code 0 at the Routing Type.
    for (std::uint8_t type : {0, 77}) {
        Packet rh{58, 2, type, 1, 0, 0, 0, 0};
        rh.resize(24, 0);
        inject(echo(rh, 43));
        EXPECT_EQ(parameter_problem(0), 42u);
    }
    EXPECT_EQ(ip_stats().drops(Drop::BadExtensionHeader), 2u);
}

TEST_F(Ipv6Test, OptionActionBits) {
    // 00: skipped, the packet is processed.
    inject(echo(options_header(58, {0x1e, 2, 0, 0}), 60));
    ASSERT_TRUE(sent().has_value());
    // 01: silently discarded.
    inject(echo(options_header(58, {0x5e, 2, 0, 0}), 60));
    EXPECT_FALSE(sent().has_value());
    EXPECT_EQ(ip_stats().drops(Drop::UnknownOption), 1u);
    // 10: Parameter Problem code 2 at the option type (offset 40 + 2).
    inject(echo(options_header(58, {1, 0, 0x9e, 2, 0, 0}), 60));
    EXPECT_EQ(parameter_problem(2), 44u);
    // 11: the same for a unicast destination.
    inject(echo(options_header(58, {0xde, 0}), 0));
    EXPECT_EQ(parameter_problem(2), 42u);
    // 11 to a multicast destination: no error; 10 to multicast: an error even so.
    inject(echo(options_header(58, {0xde, 0}), 0, Ipv6Addr::all_nodes()));
    EXPECT_FALSE(sent().has_value());
    inject(echo(options_header(58, {0x9e, 0}), 0, Ipv6Addr::all_nodes()));
    EXPECT_EQ(parameter_problem(2), 42u);
    EXPECT_EQ(ip_stats().drops(Drop::UnknownOption), 5u);
}

TEST_F(Ipv6Test, OptionLengthBeyondHeaderIsMalformed) {
    // CVE-2020-17442 shape: an option length that runs past the header (and would wrap a byte counter).
    Packet h{58, 0, 0x1e, 0xff, 0, 0, 0, 0};
    inject(echo(h, 0));
    EXPECT_EQ(ip_stats().drops(Drop::BadOption), 1u);
    EXPECT_EQ(parameter_problem(0), 43u);
    // CVE-2020-17445 shape: destination options whose last option ends one octet past the header.
    Packet d{58, 0, 1, 0, 0x1e, 1, 0, 0};
    d[5] = 3;
    inject(echo(d, 60));
    EXPECT_EQ(ip_stats().drops(Drop::BadOption), 2u);
    EXPECT_EQ(parameter_problem(0), 45u);
    // A header whose Hdr Ext Len runs past the payload.
    Packet past{58, 5, 1, 4, 0, 0, 0, 0};
    inject(echo(past, 60));
    EXPECT_EQ(ip_stats().drops(Drop::Truncated), 1u);
    EXPECT_FALSE(sent().has_value());
}

TEST_F(Ipv6Test, ExtensionHeaderChainBounded) {
    Packet chain;
    for (int i = 0; i < 20; ++i)
        chain = concat(chain, options_header(i == 19 ? 58 : 60, {}));
    inject(echo(chain, 60));
    EXPECT_EQ(ip_stats().drops(Drop::BadExtensionHeader), 1u);
    EXPECT_FALSE(sent().has_value());
}

TEST_F(Ipv6Test, NoNextHeaderConsumedSilently) {
    inject(ipv6_packet(peer, us, 59, pattern(12)));
    EXPECT_EQ(ip_stats().drops(Drop::NoNextHeader), 1u);
    EXPECT_FALSE(sent().has_value());
}

} // namespace

// ---- wire round trips ----

namespace {

TEST(Ipv6Wire, HeaderRoundTrip) {
    Packet bytes = ipv6_packet(peer, us, 58, pattern(12), 33, 0xa5);
    bytes[3] = 0x42; // flow label low octet
    auto view = wire::ipv6::View::parse(Bytes{bytes.data(), bytes.size()});
    ASSERT_TRUE(view.has_value());
    auto repr = wire::ipv6::Repr::parse(*view);
    EXPECT_EQ(repr.source, peer);
    EXPECT_EQ(repr.destination, us);
    EXPECT_EQ(repr.next_header, 58);
    EXPECT_EQ(repr.hop_limit, 33);
    EXPECT_EQ(repr.traffic_class, 0xa5);
    EXPECT_EQ(repr.flow_label, 0x42u);
    EXPECT_EQ(repr.payload_len, 12);
    Packet out(40, 0);
    ASSERT_TRUE(repr.emit(MutBytes{out.data(), out.size()}));
    EXPECT_EQ(out, Packet(bytes.begin(), bytes.begin() + 40));
    Packet short_out(39, 0);
    EXPECT_FALSE(repr.emit(MutBytes{short_out.data(), short_out.size()}));
}

TEST(Ipv6Wire, OptionsWalk) {
    using Action = wire::ipv6::OptionsResult::Action;
    Packet ok{0, 1, 2, 0, 0, 5, 2, 0, 0};
    auto r = wire::ipv6::walk_options(Bytes{ok.data(), ok.size()}, true);
    EXPECT_EQ(r.action, Action::Accept);
    EXPECT_TRUE(r.router_alert);
    // Router Alert in a destination options header is an unknown option with action 00.
    EXPECT_FALSE(wire::ipv6::walk_options(Bytes{ok.data(), ok.size()}, false).router_alert);
    Packet overrun{1, 0, 0x1e, 200};
    r = wire::ipv6::walk_options(Bytes{overrun.data(), overrun.size()}, true);
    EXPECT_EQ(r.action, Action::Malformed);
    EXPECT_EQ(r.offset, 2u);
    Packet lone{0, 0, 0x1e}; // a type octet without its length
    EXPECT_EQ(wire::ipv6::walk_options(Bytes{lone.data(), lone.size()}, true).action, Action::Malformed);
    Packet report{0xde, 0};
    EXPECT_EQ(wire::ipv6::walk_options(Bytes{report.data(), report.size()}, true).action,
              Action::DiscardReportUnicast);
}

TEST(Ipv6Wire, FragmentHeaderRoundTrip) {
    wire::ipv6::FragmentRepr f{17, 1232, true, 0xdeadbeef};
    Packet out(8, 0xff);
    ASSERT_TRUE(f.emit(MutBytes{out.data(), out.size()}));
    EXPECT_EQ(out, fragment_header(17, 1232, true, 0xdeadbeef));
    auto ext = wire::ipv6::ExtHeader::parse(44, Bytes{out.data(), out.size()});
    ASSERT_TRUE(ext.has_value());
    EXPECT_EQ(ext->fragment_offset(), 1232u);
    EXPECT_TRUE(ext->more_fragments());
    EXPECT_EQ(ext->identification(), 0xdeadbeefu);
    EXPECT_FALSE(wire::ipv6::ExtHeader::parse(44, Bytes{out.data(), 7}).has_value());
    Packet long_dest{58, 1, 0, 0, 0, 0, 0, 0};
    EXPECT_FALSE(wire::ipv6::ExtHeader::parse(60, Bytes{long_dest.data(), long_dest.size()}).has_value());
}

} // namespace
