// Neighbor Discovery (RFC 4861): wire format, message validation, the neighbor cache and its NUD state
// machine, the default router list, prefixes, redirects and the bounds of every table. Messages go straight
// to nd::input (the ICMPv6 layer's hand-off) with the RxMeta ipv6::input would fill in.
#include "assembly/stack.hpp"
#include "link/wire_device.hpp"
#include "net/ipv6.hpp"
#include "net/nd.hpp"
#include "port/virtual_platform.hpp"
#include "wire/nd.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <vector>

namespace pico {
namespace {

namespace w = wire::nd;
using Bytesv = std::vector<std::uint8_t>;

Ipv6Addr a6(const char* text) {
    return *parse_ipv6(text);
}
MacAddr mac(const char* text) {
    return *parse_mac(text);
}

template <class Repr> Bytesv emit(const Repr& repr) {
    Bytesv out(repr.buffer_len());
    EXPECT_TRUE(repr.emit(MutBytes{out.data(), out.size()}));
    return out;
}

Bytesv redirect_bytes(const Ipv6Addr& target, const Ipv6Addr& destination, std::optional<MacAddr> tlla) {
    Bytesv out(w::redirect_len + (tlla ? 8 : 0), 0);
    out[0] = w::type_redirect;
    target.store(&out[8]);
    destination.store(&out[24]);
    if (tlla) w::emit_lla(&out[40], w::opt_target_lla, *tlla);
    return out;
}

TEST(NdWire, NeighborSolicitationRoundTrip) {
    const w::NsRepr ns{a6("2001:db8::2"), mac("02:00:00:00:00:01")};
    Bytesv bytes = emit(ns);
    ASSERT_EQ(bytes.size(), 32u);
    EXPECT_EQ(bytes[0], 135);
    EXPECT_EQ(bytes[24], 1); // Source Link-Layer Address
    EXPECT_EQ(bytes[25], 1); // 8 octets
    auto view = w::View::parse(Bytes{bytes.data(), bytes.size()});
    ASSERT_TRUE(view);
    EXPECT_EQ(view->target(), a6("2001:db8::2"));
    EXPECT_EQ(view->source_lla(), mac("02:00:00:00:00:01"));
    EXPECT_FALSE(view->target_lla());
}

TEST(NdWire, NeighborAdvertisementFlags) {
    const w::NaRepr na{false, true, true, a6("fe80::2"), mac("02:00:00:00:00:02")};
    Bytesv bytes = emit(na);
    EXPECT_EQ(bytes[4], 0x60);
    auto view = w::View::parse(Bytes{bytes.data(), bytes.size()});
    ASSERT_TRUE(view);
    EXPECT_FALSE(view->router_flag());
    EXPECT_TRUE(view->solicited_flag());
    EXPECT_TRUE(view->override_flag());
    EXPECT_EQ(view->target_lla(), mac("02:00:00:00:00:02"));
}

TEST(NdWire, OptionOfLengthZeroIsInvalid) {
    Bytesv bytes = emit(w::NsRepr{a6("2001:db8::2"), mac("02:00:00:00:00:01")});
    bytes[25] = 0;
    Drop why = Drop::Truncated;
    EXPECT_FALSE(w::View::parse(Bytes{bytes.data(), bytes.size()}, &why));
    EXPECT_EQ(why, Drop::BadOption);
}

TEST(NdWire, OptionPastTheEndIsInvalid) {
    Bytesv bytes = emit(w::NsRepr{a6("2001:db8::2"), mac("02:00:00:00:00:01")});
    bytes[25] = 2; // 16 octets, only 8 present
    Drop why = Drop::Truncated;
    EXPECT_FALSE(w::View::parse(Bytes{bytes.data(), bytes.size()}, &why));
    EXPECT_EQ(why, Drop::BadOption);
}

TEST(NdWire, ShortMessagesAreInvalid) {
    Bytesv ns = emit(w::NsRepr{a6("2001:db8::2"), std::nullopt});
    Drop why = Drop::Truncated;
    EXPECT_FALSE(w::View::parse(Bytes{ns.data(), 23}, &why));
    EXPECT_EQ(why, Drop::BadLength);
    Bytesv rd = redirect_bytes(a6("fe80::9"), a6("2001:db8::9"), std::nullopt);
    EXPECT_FALSE(w::View::parse(Bytes{rd.data(), 39}, &why));
    EXPECT_EQ(why, Drop::BadLength);
    EXPECT_TRUE(w::View::parse(Bytes{rd.data(), 40}));
}

TEST(NdWire, RouterAdvertisementWithOptions) {
    w::RaRepr ra;
    ra.cur_hop_limit = 64;
    ra.router_lifetime = 1800;
    ra.reachable_time = 20000;
    ra.retrans_timer = 2000;
    ra.source_lla = mac("02:00:00:00:00:01");
    ra.mtu = 1400;
    ra.prefix = w::PrefixInfo{64, true, true, 3600, 1800, a6("2001:db8:1::")};
    Bytesv bytes = emit(ra);
    ASSERT_EQ(bytes.size(), 16u + 8 + 8 + 32);
    auto view = w::View::parse(Bytes{bytes.data(), bytes.size()});
    ASSERT_TRUE(view);
    EXPECT_EQ(view->cur_hop_limit(), 64);
    EXPECT_EQ(view->router_lifetime(), 1800);
    EXPECT_EQ(view->reachable_time(), 20000u);
    EXPECT_EQ(view->retrans_timer(), 2000u);
    EXPECT_EQ(w::find_mtu(view->options()), 1400u);
    w::OptionIter it(view->options());
    int prefixes = 0;
    while (auto option = it.next()) {
        if (auto info = w::PrefixInfo::parse(*option)) {
            ++prefixes;
            EXPECT_EQ(info->prefix, a6("2001:db8:1::"));
            EXPECT_EQ(info->valid_lifetime, 3600u);
            EXPECT_EQ(info->preferred_lifetime, 1800u);
            EXPECT_TRUE(info->on_link);
            EXPECT_TRUE(info->autonomous);
        }
    }
    EXPECT_EQ(prefixes, 1);
}

class NdTest : public ::testing::Test {
  protected:
    const MacAddr our_mac = mac("02:00:00:00:00:02");
    const MacAddr router_mac = mac("02:00:00:00:00:01");
    const Ipv6Addr router_ll = a6("fe80::1");

    void input(const Bytesv& message, const Ipv6Addr& src, const Ipv6Addr& dst,
               std::uint8_t hop_limit = 255) {
        auto buf =
            stack->frame_pool().allocate_copy(Bytes{message.data(), message.size()}, config::frame_headroom);
        ASSERT_TRUE(buf);
        RxMeta meta;
        meta.ifindex = ifx;
        meta.ipv6 = true;
        meta.src6 = src;
        meta.dst6 = dst;
        meta.ttl = hop_limit;
        meta.ip_multicast = dst.is_multicast();
        nd::input(*stack, std::move(*buf), meta);
    }
    void ra(std::uint16_t lifetime, const Ipv6Addr& src, std::optional<MacAddr> slla,
            std::optional<w::PrefixInfo> prefix = std::nullopt, std::uint8_t hop_limit = 255) {
        w::RaRepr r;
        r.router_lifetime = lifetime;
        r.source_lla = slla;
        r.prefix = prefix;
        input(emit(r), src, Ipv6Addr::all_nodes(), hop_limit);
    }
    void na(const Ipv6Addr& target, bool router, bool solicited, bool override_flag,
            std::optional<MacAddr> tlla, const Ipv6Addr& dst = a6("fe80::2")) {
        input(emit(w::NaRepr{router, solicited, override_flag, target, tlla}), target, dst);
    }
    // An IPv6 packet (header + 8 bytes) from `source`, for the queue of an INCOMPLETE entry.
    Bytesv packet(const Ipv6Addr& source, const Ipv6Addr& destination, std::uint8_t tag) {
        Bytesv p(48, 0);
        p[0] = 0x60;
        p[5] = 8;
        p[6] = 59;
        p[7] = 64;
        source.store(&p[8]);
        destination.store(&p[24]);
        p[40] = tag;
        return p;
    }
    bool send(const Ipv6Addr& next_hop, const Bytesv& p) {
        auto buf = stack->frame_pool().allocate_copy(Bytes{p.data(), p.size()}, config::frame_headroom);
        EXPECT_TRUE(buf);
        return nd::send_ipv6(*stack, ifx, next_hop, std::move(*buf));
    }
    std::vector<Bytesv> collect() {
        std::vector<Bytesv> out;
        while (auto frame = eth.collect())
            out.emplace_back(frame->bytes().begin(), frame->bytes().end());
        return out;
    }
    void advance(TimeMs ms) {
        clock.advance(ms);
        stack->poll();
    }
    const nd::Neighbor* neighbor(const Ipv6Addr& ip) { return nd::find_neighbor(*stack, ifx, ip); }
    std::uint32_t drops(Drop reason) { return nd::state(*stack).counters.drops(reason); }
    std::size_t router_count() {
        std::size_t n = 0;
        for (const auto& r : nd::state(*stack).routers)
            n += r.ifindex != no_interface ? 1 : 0;
        return n;
    }
    std::size_t neighbor_count() {
        std::size_t n = 0;
        for (const auto& e : nd::state(*stack).neighbors)
            n += e.state != nd::NeighborState::Free ? 1 : 0;
        return n;
    }
    // Resolves `ip` to `m` through INCOMPLETE and a solicited NA (REACHABLE).
    void resolve(const Ipv6Addr& ip, const MacAddr& m, bool router = false) {
        ASSERT_TRUE(send(ip, packet(a6("fe80::2"), ip, 1)));
        na(ip, router, true, true, m);
        collect();
    }

    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    WireDevice eth{our_mac, 1500};
    IfIndex ifx = stack->attach(eth);
};

TEST_F(NdTest, HopLimitBelow255IsDropped) {
    ra(1800, router_ll, router_mac, std::nullopt, 254);
    EXPECT_EQ(drops(Drop::BadHopLimit), 1u);
    EXPECT_EQ(router_count(), 0u);
    EXPECT_EQ(neighbor_count(), 0u);
}

TEST_F(NdTest, NonZeroCodeIsDropped) {
    w::RaRepr r;
    r.router_lifetime = 1800;
    Bytesv bytes = emit(r);
    bytes[1] = 1;
    input(bytes, router_ll, Ipv6Addr::all_nodes());
    EXPECT_EQ(drops(Drop::BadOperation), 1u);
    EXPECT_EQ(router_count(), 0u);
}

TEST_F(NdTest, OptionOfLengthZeroDropsTheWholeMessage) {
    w::RaRepr r;
    r.router_lifetime = 1800;
    r.source_lla = router_mac;
    Bytesv bytes = emit(r);
    bytes[17] = 0;
    input(bytes, router_ll, Ipv6Addr::all_nodes());
    EXPECT_EQ(drops(Drop::BadOption), 1u);
    EXPECT_EQ(router_count(), 0u);
    EXPECT_EQ(neighbor_count(), 0u);
}

TEST_F(NdTest, RouterSolicitationIsNotAnsweredByAHost) {
    input(emit(w::RsRepr{router_mac}), router_ll, Ipv6Addr::all_routers());
    EXPECT_EQ(drops(Drop::BadOperation), 1u);
    EXPECT_EQ(neighbor_count(), 0u);
    EXPECT_TRUE(collect().empty());
}

TEST_F(NdTest, RouterAdvertisementFromGlobalSourceIsDropped) {
    ra(1800, a6("2001:db8::1"), router_mac);
    EXPECT_EQ(drops(Drop::BadAddress), 1u);
    EXPECT_EQ(router_count(), 0u);
}

TEST_F(NdTest, RouterAdvertisementUpdatesHostVariables) {
    w::RaRepr r;
    r.cur_hop_limit = 42;
    r.router_lifetime = 1800;
    r.reachable_time = 20000;
    r.retrans_timer = 2000;
    r.source_lla = router_mac;
    r.mtu = 1400;
    r.prefix = w::PrefixInfo{64, true, false, 3600, 1800, a6("2001:db8:1::")};
    input(emit(r), router_ll, Ipv6Addr::all_nodes());
    EXPECT_EQ(ipv6::state(*stack).hop_limit, 42);
    EXPECT_EQ(ipv6::state(*stack).link_mtu[ifx], 1400);
    EXPECT_EQ(nd::retrans_time(*stack, ifx), 2000u);
    EXPECT_EQ(nd::state(*stack).links[ifx].base_reachable_ms, 20000u);
    const std::uint32_t reachable = nd::reachable_time(*stack, ifx);
    EXPECT_GE(reachable, 10000u);
    EXPECT_LE(reachable, 30000u);
    ASSERT_EQ(router_count(), 1u);
    EXPECT_EQ(nd::state(*stack).routers[0].address, router_ll);
    EXPECT_EQ(nd::state(*stack).routers[0].expires, 1'800'000u);
    const nd::Neighbor* n = neighbor(router_ll);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->state, nd::NeighborState::Stale);
    EXPECT_TRUE(n->is_router);
    EXPECT_EQ(n->mac, router_mac);
    // On-link prefix: destinations in it are their own next hop.
    auto hop = nd::next_hop(*stack, a6("2001:db8:1::77"), no_interface);
    ASSERT_TRUE(hop);
    EXPECT_EQ(hop->next_hop, a6("2001:db8:1::77"));
    // Elsewhere: the default router.
    hop = nd::next_hop(*stack, a6("2001:db8:5::5"), no_interface);
    ASSERT_TRUE(hop);
    EXPECT_EQ(hop->next_hop, router_ll);
    EXPECT_EQ(nd::state(*stack).counters.total_drops(), 0u);
}

TEST_F(NdTest, MtuOptionOutsideLimitsIsIgnored) {
    w::RaRepr r;
    r.router_lifetime = 1800;
    r.mtu = 1279;
    input(emit(r), router_ll, Ipv6Addr::all_nodes());
    EXPECT_EQ(ipv6::state(*stack).link_mtu[ifx], 0);
    r.mtu = 1501;
    input(emit(r), router_ll, Ipv6Addr::all_nodes());
    EXPECT_EQ(ipv6::state(*stack).link_mtu[ifx], 0);
    r.mtu = 1500;
    input(emit(r), router_ll, Ipv6Addr::all_nodes());
    EXPECT_EQ(ipv6::state(*stack).link_mtu[ifx], 1500);
}

TEST_F(NdTest, RouterLifetimeExpiresAndZeroRemoves) {
    ra(10, router_ll, router_mac);
    ASSERT_EQ(router_count(), 1u);
    advance(9'999);
    EXPECT_EQ(router_count(), 1u);
    advance(1);
    EXPECT_EQ(router_count(), 0u);
    ra(10, router_ll, router_mac);
    ASSERT_EQ(router_count(), 1u);
    ra(0, router_ll, router_mac);
    EXPECT_EQ(router_count(), 0u);
    EXPECT_FALSE(nd::next_hop(*stack, a6("2001:db8:5::5"), no_interface));
}

TEST_F(NdTest, PrefixLifetimesAndLinkLocalPrefixIgnored) {
    ra(0, router_ll, std::nullopt, w::PrefixInfo{64, true, false, 5, 5, a6("2001:db8:1::")});
    ra(0, router_ll, std::nullopt, w::PrefixInfo{64, true, false, 5, 5, a6("fe80::")});
    ASSERT_EQ(nd::state(*stack).prefixes[0].prefix, a6("2001:db8:1::"));
    EXPECT_EQ(nd::state(*stack).prefixes[1].ifindex, no_interface);
    advance(5'000);
    EXPECT_EQ(nd::state(*stack).prefixes[0].ifindex, no_interface);
    ra(0, router_ll, std::nullopt, w::PrefixInfo{64, true, false, 0xffffffffu, 5, a6("2001:db8:1::")});
    advance(100'000'000);
    EXPECT_EQ(nd::state(*stack).prefixes[0].ifindex, ifx);
    // Valid lifetime 0: the prefix times out at once.
    ra(0, router_ll, std::nullopt, w::PrefixInfo{64, true, false, 0, 0, a6("2001:db8:1::")});
    EXPECT_EQ(nd::state(*stack).prefixes[0].ifindex, no_interface);
}

TEST_F(NdTest, PrefixListIsBounded) {
    for (int i = 0; i < static_cast<int>(config::nd_prefixes) + 5; ++i) {
        Ipv6Addr p = a6("2001:db8::");
        p.octets[5] = static_cast<std::uint8_t>(i + 1);
        ra(0, router_ll, std::nullopt, w::PrefixInfo{64, true, false, 600, 600, p});
    }
    std::size_t used = 0;
    for (const auto& p : nd::state(*stack).prefixes)
        used += p.ifindex == ifx ? 1 : 0;
    EXPECT_EQ(used, config::nd_prefixes);
    EXPECT_EQ(drops(Drop::PoolExhausted), 5u);
}

TEST_F(NdTest, AddressResolutionQueuesThenSendsOnSolicitedAdvertisement) {
    const Ipv6Addr peer = a6("fe80::5");
    const MacAddr peer_mac = mac("02:00:00:00:00:05");
    // 7.2.2: a small queue (nd_queue_per_entry); one packet more drops the oldest.
    for (std::size_t i = 1; i <= config::nd_queue_per_entry + 1; ++i)
        ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, static_cast<std::uint8_t>(i))));
    EXPECT_EQ(drops(Drop::QueueFull), 1u);
    EXPECT_EQ(nd::state(*stack).queued, config::nd_queue_per_entry);
    const nd::Neighbor* n = neighbor(peer);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->state, nd::NeighborState::Incomplete);
    EXPECT_EQ(n->pending.size(), config::nd_queue_per_entry);
    EXPECT_FALSE(nd::lookup(*stack, ifx, peer));
    collect(); // the NS, if the IPv6 layer could send it
    na(peer, false, true, true, peer_mac);
    EXPECT_EQ(n->state, nd::NeighborState::Reachable);
    EXPECT_EQ(nd::lookup(*stack, ifx, peer), peer_mac);
    auto frames = collect();
    ASSERT_EQ(frames.size(), config::nd_queue_per_entry);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const Bytesv& f = frames[i];
        ASSERT_GE(f.size(), 14u + 48u);
        EXPECT_EQ(MacAddr::from(&f[0]), peer_mac);
        EXPECT_EQ(MacAddr::from(&f[6]), our_mac);
        EXPECT_EQ(f[12], 0x86);
        EXPECT_EQ(f[13], 0xdd);
        EXPECT_EQ(f[14 + 40], i + 2) << "packet " << i; // oldest first, the first one dropped
    }
    EXPECT_EQ(nd::state(*stack).queued, 0u);
    EXPECT_EQ(stack->frame_stats().in_use, 0u);
    // Later packets go straight out while REACHABLE.
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 3)));
    EXPECT_EQ(collect().size(), 1u);
    EXPECT_EQ(n->state, nd::NeighborState::Reachable);
}

TEST_F(NdTest, QueuedPacketsAreBoundedAcrossNeighbours) {
    std::size_t offered = 0;
    for (std::size_t k = 0; k < config::nd_neighbors; ++k) {
        Ipv6Addr dst = a6("fe80::2000");
        dst.octets[15] = static_cast<std::uint8_t>(k);
        for (std::size_t i = 0; i < config::nd_queue_per_entry; ++i, ++offered)
            ASSERT_TRUE(send(dst, packet(a6("fe80::2"), dst, static_cast<std::uint8_t>(i))));
        collect();
        EXPECT_LE(nd::state(*stack).queued, nd::queue_limit);
        EXPECT_LE(stack->frame_stats().in_use, nd::queue_limit);
    }
    EXPECT_EQ(nd::state(*stack).queued, nd::queue_limit);
    EXPECT_EQ(stack->frame_stats().in_use, nd::queue_limit);
    EXPECT_EQ(drops(Drop::QueueFull), offered - nd::queue_limit);
    EXPECT_LE(nd::queue_limit, config::frame_count / 4);
    // Every resolution fails: each packet still queued is dropped (Unresolved); nothing leaks.
    for (int i = 0; i < nd::max_multicast_solicit; ++i)
        advance(nd::retrans_timer_ms);
    collect();
    EXPECT_EQ(neighbor_count(), 0u);
    EXPECT_EQ(drops(Drop::Unresolved), nd::queue_limit);
    EXPECT_EQ(nd::state(*stack).queued, 0u);
    EXPECT_EQ(stack->frame_stats().in_use, 0u);
}

TEST_F(NdTest, FlushDropsEveryQueuedPacket) {
    const Ipv6Addr peer = a6("fe80::5");
    for (std::size_t i = 0; i < config::nd_queue_per_entry; ++i)
        ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, static_cast<std::uint8_t>(i))));
    collect();
    nd::flush(*stack, ifx);
    EXPECT_EQ(drops(Drop::Unresolved), config::nd_queue_per_entry);
    EXPECT_EQ(nd::state(*stack).queued, 0u);
    EXPECT_EQ(stack->frame_stats().in_use, 0u);
}

TEST_F(NdTest, AdvertisementWithoutTargetAddressOptionLeavesIncomplete) {
    const Ipv6Addr peer = a6("fe80::5");
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 1)));
    collect();
    na(peer, false, true, true, std::nullopt);
    EXPECT_EQ(drops(Drop::BadOption), 1u);
    EXPECT_EQ(neighbor(peer)->state, nd::NeighborState::Incomplete);
}

TEST_F(NdTest, UnsolicitedAdvertisementMakesIncompleteStale) {
    const Ipv6Addr peer = a6("fe80::5");
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 1)));
    collect();
    na(peer, false, false, true, mac("02:00:00:00:00:05"), Ipv6Addr::all_nodes());
    // The queued packet went out, and sending to a STALE entry starts DELAY (7.3.3).
    EXPECT_EQ(neighbor(peer)->state, nd::NeighborState::Delay);
    EXPECT_EQ(collect().size(), 1u);
}

TEST_F(NdTest, SolicitedFlagWithMulticastDestinationIsInvalid) {
    const Ipv6Addr peer = a6("fe80::5");
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 1)));
    na(peer, false, true, true, mac("02:00:00:00:00:05"), Ipv6Addr::all_nodes());
    EXPECT_EQ(drops(Drop::BadFlags), 1u);
    EXPECT_EQ(neighbor(peer)->state, nd::NeighborState::Incomplete);
}

TEST_F(NdTest, AdvertisementForUnknownTargetCreatesNoEntry) {
    na(a6("fe80::77"), false, false, true, mac("02:00:00:00:00:77"), Ipv6Addr::all_nodes());
    EXPECT_EQ(drops(Drop::NotForUs), 1u);
    EXPECT_EQ(neighbor_count(), 0u);
}

TEST_F(NdTest, ResolutionFailsAfterThreeSolicitations) {
    const Ipv6Addr peer = a6("fe80::5");
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 1)));
    advance(1000);
    EXPECT_EQ(neighbor(peer)->probes, 2);
    advance(1000);
    EXPECT_EQ(neighbor(peer)->probes, 3);
    advance(999);
    ASSERT_NE(neighbor(peer), nullptr);
    advance(1);
    EXPECT_EQ(neighbor(peer), nullptr);
    EXPECT_EQ(drops(Drop::Unresolved), 1u);
    EXPECT_EQ(stack->frame_stats().in_use, 0u);
}

TEST_F(NdTest, OverrideRulesOfSection725) {
    const Ipv6Addr peer = a6("fe80::5");
    const MacAddr m1 = mac("02:00:00:00:00:05");
    const MacAddr m2 = mac("02:00:00:00:00:06");
    resolve(peer, m1);
    const nd::Neighbor* n = neighbor(peer);
    ASSERT_EQ(n->state, nd::NeighborState::Reachable);
    // O = 0, different address, REACHABLE: STALE, address kept.
    na(peer, false, true, false, m2);
    EXPECT_EQ(n->state, nd::NeighborState::Stale);
    EXPECT_EQ(n->mac, m1);
    // O = 0, different address, not REACHABLE: ignored.
    na(peer, false, true, false, m2);
    EXPECT_EQ(n->state, nd::NeighborState::Stale);
    EXPECT_EQ(n->mac, m1);
    // O = 1, S = 1: new address, REACHABLE.
    na(peer, false, true, true, m2);
    EXPECT_EQ(n->state, nd::NeighborState::Reachable);
    EXPECT_EQ(n->mac, m2);
    // O = 1, S = 0, different address: STALE with the new address.
    na(peer, false, false, true, m1, Ipv6Addr::all_nodes());
    EXPECT_EQ(n->state, nd::NeighborState::Stale);
    EXPECT_EQ(n->mac, m1);
    // S = 0 and the same address: no change of state.
    na(peer, false, false, true, m1, Ipv6Addr::all_nodes());
    EXPECT_EQ(n->state, nd::NeighborState::Stale);
}

TEST_F(NdTest, NudStateMachine) {
    const Ipv6Addr peer = a6("fe80::5");
    const MacAddr m1 = mac("02:00:00:00:00:05");
    resolve(peer, m1);
    const nd::Neighbor* n = neighbor(peer);
    const std::uint32_t reachable = nd::reachable_time(*stack, ifx);
    EXPECT_GE(reachable, nd::reachable_time_ms / 2);
    EXPECT_LE(reachable, nd::reachable_time_ms * 3 / 2);
    advance(reachable - 1);
    EXPECT_EQ(n->state, nd::NeighborState::Reachable);
    advance(1);
    EXPECT_EQ(n->state, nd::NeighborState::Stale);
    // A packet to a STALE entry goes out at once and starts DELAY.
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 7)));
    auto frames = collect();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(MacAddr::from(&frames[0][0]), m1);
    EXPECT_EQ(n->state, nd::NeighborState::Delay);
    advance(nd::delay_first_probe_time_ms - 1);
    EXPECT_EQ(n->state, nd::NeighborState::Delay);
    advance(1);
    EXPECT_EQ(n->state, nd::NeighborState::Probe);
    EXPECT_EQ(n->probes, 1);
    advance(1000);
    EXPECT_EQ(n->probes, 2);
    advance(1000);
    EXPECT_EQ(n->probes, 3);
    // A packet while PROBE still goes to the cached address.
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 8)));
    bool data_sent = false;
    for (const auto& f : collect())
        data_sent = data_sent || (f.size() > 54 && f[54] == 8 && MacAddr::from(&f[0]) == m1);
    EXPECT_TRUE(data_sent);
    advance(1000);
    EXPECT_EQ(neighbor(peer), nullptr); // MAX_UNICAST_SOLICIT probes unanswered: deleted
}

TEST_F(NdTest, ConfirmationInDelayOrProbeMakesReachable) {
    const Ipv6Addr peer = a6("fe80::5");
    resolve(peer, mac("02:00:00:00:00:05"));
    const nd::Neighbor* n = neighbor(peer);
    advance(nd::reachable_time(*stack, ifx));
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 7)));
    ASSERT_EQ(n->state, nd::NeighborState::Delay);
    nd::confirm_reachable(*stack, ifx, peer); // upper-layer confirmation
    EXPECT_EQ(n->state, nd::NeighborState::Reachable);
    advance(nd::reachable_time(*stack, ifx));
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 7)));
    advance(nd::delay_first_probe_time_ms);
    ASSERT_EQ(n->state, nd::NeighborState::Probe);
    na(peer, false, true, false, std::nullopt); // solicited NA without an address: REACHABLE
    EXPECT_EQ(n->state, nd::NeighborState::Reachable);
}

TEST_F(NdTest, RouterFlagClearedRemovesDefaultRouter) {
    ra(1800, router_ll, router_mac);
    ASSERT_EQ(router_count(), 1u);
    na(router_ll, true, false, true, router_mac, Ipv6Addr::all_nodes());
    EXPECT_EQ(router_count(), 1u);
    na(router_ll, false, false, true, router_mac, Ipv6Addr::all_nodes());
    EXPECT_EQ(router_count(), 0u);
    EXPECT_FALSE(neighbor(router_ll)->is_router);
}

TEST_F(NdTest, NeighborCacheIsBoundedUnderAdvertisementFlood) {
    const std::size_t flood = config::nd_neighbors + 8;
    for (std::size_t i = 0; i < flood; ++i) {
        Ipv6Addr src = a6("fe80::1000");
        src.octets[15] = static_cast<std::uint8_t>(i);
        MacAddr m = mac("02:00:00:00:10:00");
        m.octets[5] = static_cast<std::uint8_t>(i);
        ra(0, src, m); // Router Lifetime 0: not a default router, but the address is recorded
    }
    EXPECT_EQ(neighbor_count(), config::nd_neighbors);
    EXPECT_EQ(nd::state(*stack).evictions, flood - config::nd_neighbors);
    // The oldest went first.
    Ipv6Addr first = a6("fe80::1000");
    EXPECT_EQ(neighbor(first), nullptr);
    Ipv6Addr last = a6("fe80::1000");
    last.octets[15] = static_cast<std::uint8_t>(flood - 1);
    EXPECT_NE(neighbor(last), nullptr);
}

TEST_F(NdTest, EvictionSparesIncompleteAndPrefersStaleOverReachable) {
    const Ipv6Addr peer = a6("fe80::5");
    resolve(peer, mac("02:00:00:00:00:05")); // REACHABLE, updated first
    const Ipv6Addr waiting = a6("fe80::6");
    ASSERT_TRUE(send(waiting, packet(a6("fe80::2"), waiting, 1))); // INCOMPLETE
    ra(1800, router_ll, router_mac);                               // a default router: STALE, spared
    for (std::size_t i = 0; i < config::nd_neighbors * 2; ++i) {
        Ipv6Addr src = a6("fe80::1000");
        src.octets[15] = static_cast<std::uint8_t>(i);
        clock.advance(1);
        ra(0, src, mac("02:00:00:00:10:00"));
    }
    ASSERT_NE(neighbor(peer), nullptr);
    EXPECT_EQ(neighbor(peer)->state, nd::NeighborState::Reachable);
    ASSERT_NE(neighbor(waiting), nullptr);
    EXPECT_EQ(neighbor(waiting)->state, nd::NeighborState::Incomplete);
    ASSERT_NE(neighbor(router_ll), nullptr);
    EXPECT_EQ(neighbor_count(), config::nd_neighbors);
}

TEST_F(NdTest, EveryEntryIncompleteRefusesNewResolution) {
    for (std::size_t i = 0; i < config::nd_neighbors; ++i) {
        Ipv6Addr dst = a6("fe80::2000");
        dst.octets[15] = static_cast<std::uint8_t>(i);
        ASSERT_TRUE(send(dst, packet(a6("fe80::2"), dst, 1)));
    }
    EXPECT_FALSE(send(a6("fe80::3000"), packet(a6("fe80::2"), a6("fe80::3000"), 1)));
    EXPECT_EQ(drops(Drop::PoolExhausted), 1u);
    ra(0, router_ll, router_mac); // a learnt mapping has no room either
    EXPECT_EQ(drops(Drop::PoolExhausted), 2u);
    EXPECT_EQ(neighbor(router_ll), nullptr);
}

TEST_F(NdTest, DefaultRouterListIsBoundedAndKeepsKnownRouters) {
    for (std::size_t i = 0; i < config::nd_routers + 3; ++i) {
        Ipv6Addr src = a6("fe80::100");
        src.octets[15] = static_cast<std::uint8_t>(i);
        ra(1800, src, std::nullopt);
    }
    EXPECT_EQ(router_count(), config::nd_routers);
    EXPECT_EQ(drops(Drop::PoolExhausted), 3u);
    EXPECT_EQ(nd::state(*stack).routers[0].address, a6("fe80::100"));
}

TEST_F(NdTest, DefaultRouterSelectionPrefersReachableElseRoundRobin) {
    const Ipv6Addr r1 = a6("fe80::101");
    const Ipv6Addr r2 = a6("fe80::102");
    ra(1800, r1, std::nullopt);
    ra(1800, r2, std::nullopt);
    const Ipv6Addr far = a6("2001:db8:9::9");
    // No cache entries: round robin.
    auto h1 = nd::next_hop(*stack, far, no_interface);
    auto h2 = nd::next_hop(*stack, far, no_interface);
    auto h3 = nd::next_hop(*stack, far, no_interface);
    ASSERT_TRUE(h1 && h2 && h3);
    EXPECT_NE(h1->next_hop, h2->next_hop);
    EXPECT_EQ(h1->next_hop, h3->next_hop);
    // r2 reachable: always r2.
    resolve(r2, mac("02:00:00:00:01:02"), true);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(nd::next_hop(*stack, far, no_interface)->next_hop, r2);
}

TEST_F(NdTest, RedirectToRouterAndToOnLinkDestination) {
    ra(1800, router_ll, router_mac);
    const Ipv6Addr far = a6("2001:db8:9::9");
    const Ipv6Addr better = a6("fe80::99");
    const MacAddr better_mac = mac("02:00:00:00:00:99");
    input(redirect_bytes(better, far, better_mac), router_ll, a6("fe80::2"));
    EXPECT_EQ(nd::next_hop(*stack, far, no_interface)->next_hop, better);
    const nd::Neighbor* n = neighbor(better);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->state, nd::NeighborState::Stale);
    EXPECT_TRUE(n->is_router);
    EXPECT_EQ(n->mac, better_mac);
    // Target == destination: the destination is on-link.
    const Ipv6Addr near = a6("2001:db8:7::7");
    input(redirect_bytes(near, near, std::nullopt), router_ll, a6("fe80::2"));
    EXPECT_EQ(nd::next_hop(*stack, near, no_interface)->next_hop, near);
    EXPECT_EQ(nd::state(*stack).counters.total_drops(), 0u);
}

TEST_F(NdTest, RedirectValidation) {
    ra(1800, router_ll, router_mac);
    const Ipv6Addr far = a6("2001:db8:9::9");
    // Not from the current first-hop router.
    input(redirect_bytes(a6("fe80::99"), far, std::nullopt), a6("fe80::66"), a6("fe80::2"));
    // Global source.
    input(redirect_bytes(a6("fe80::99"), far, std::nullopt), a6("2001:db8::1"), a6("fe80::2"));
    // Target neither link-local nor the destination.
    input(redirect_bytes(a6("2001:db8::99"), far, std::nullopt), router_ll, a6("fe80::2"));
    // Multicast destination.
    input(redirect_bytes(a6("fe80::99"), a6("ff0e::1"), std::nullopt), router_ll, a6("fe80::2"));
    EXPECT_EQ(drops(Drop::BadAddress), 4u);
    // Hop limit 254.
    input(redirect_bytes(a6("fe80::99"), far, std::nullopt), router_ll, a6("fe80::2"), 254);
    EXPECT_EQ(drops(Drop::BadHopLimit), 1u);
    EXPECT_EQ(nd::next_hop(*stack, far, no_interface)->next_hop, router_ll);
}

TEST_F(NdTest, RedirectCacheIsBounded) {
    ra(1800, router_ll, router_mac);
    for (std::size_t i = 0; i < config::nd_redirects + 4; ++i) {
        Ipv6Addr dst = a6("2001:db8:9::");
        dst.octets[15] = static_cast<std::uint8_t>(i + 1);
        clock.advance(1);
        input(redirect_bytes(a6("fe80::99"), dst, std::nullopt), router_ll, a6("fe80::2"));
    }
    std::size_t used = 0;
    for (const auto& r : nd::state(*stack).redirects)
        used += r.ifindex != no_interface ? 1 : 0;
    EXPECT_EQ(used, config::nd_redirects);
}

TEST_F(NdTest, FlushForgetsTheDevice) {
    ra(1800, router_ll, router_mac, w::PrefixInfo{64, true, false, 600, 600, a6("2001:db8:1::")});
    const Ipv6Addr peer = a6("fe80::5");
    ASSERT_TRUE(send(peer, packet(a6("fe80::2"), peer, 1)));
    nd::flush(*stack, ifx);
    EXPECT_EQ(neighbor_count(), 0u);
    EXPECT_EQ(router_count(), 0u);
    EXPECT_EQ(drops(Drop::Unresolved), 1u);
    EXPECT_FALSE(nd::next_hop(*stack, a6("2001:db8:1::5"), no_interface));
}

TEST_F(NdTest, MulticastNextHopMapsToEthernetGroup) {
    ASSERT_TRUE(send(a6("ff02::1:ff00:5"), packet(a6("fe80::2"), a6("ff02::1:ff00:5"), 1)));
    auto frames = collect();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(MacAddr::from(&frames[0][0]), mac("33:33:ff:00:00:05"));
    EXPECT_EQ(neighbor_count(), 0u);
}

} // namespace
} // namespace pico
