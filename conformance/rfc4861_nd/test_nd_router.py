"""RFC 4861 router discovery and redirects, host side: Router Advertisement validation (6.1.2) and processing
(6.3.4, 6.3.5), default router selection (6.3.6), Router Solicitations (6.3.7, 6.2.6) and Redirects (8.1, 8.3)."""
import pytest
from scapy.all import Ether, Raw
from scapy.layers.inet6 import (
    IPv6,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_Redirect,
    ICMPv6ND_RS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
)

ROUTER_LL = "fe80::1"
ROUTER_MAC = "02:00:00:00:00:01"
FAR = "2001:db8:99::9"


def ra(src=ROUTER_LL, mac=ROUTER_MAC, lifetime=1800, hlim=255, slla=True, options=None, **fields):
    pkt = Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src=src, dst="ff02::1", hlim=hlim)
    pkt = pkt / ICMPv6ND_RA(routerlifetime=lifetime, **fields)
    if slla:
        pkt = pkt / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    for option in options or []:
        pkt = pkt / option
    return pkt


def prefix(p, L=1, A=0, valid=3600, preferred=1800, length=64):
    return ICMPv6NDOptPrefixInfo(prefix=p, prefixlen=length, L=L, A=A, validlifetime=valid, preferredlifetime=preferred)


def routers(dut):
    return [r["ip"] for r in dut.stack.nd.routers()]


def echo_from(dut, src, mac=ROUTER_MAC, seq=1):
    return Ether(src=mac, dst=dut.mac) / IPv6(src=src, dst=dut.ip6) / ICMPv6EchoRequest(id=3, seq=seq)


@pytest.mark.requirement(
    "RFC4861:R6.3.4-hop-limit",
    "RFC4861:R6.3.4-router-new",
    "RFC4861:R6.3.4-reachable",
    "RFC4861:R6.3.4-retrans",
    "RFC4861:R6.3.4-mtu",
    "RFC4861:R6.3.4-prefix-new",
    "RFC4861:R6.3.4-slla",
    "RFC4861:R6.3.4-isrouter",
    "RFC4861:R6.3.4-stale",
    "RFC4861:R6.1.2-ignore",
    "RFC4861:R4.6-unknown",
    "RFC4861:R4.6.2-reserved",
    "RFC4861:R5.2-next-hop",
)
def test_router_advertisement_is_processed(dut):
    """Purpose: a valid RA sets the host variables, the default router list, the prefix list and the router's entry.
    Setup: DUT with IPv6.
    Procedure: RA from fe80::1: Cur Hop Limit 42, Router Lifetime 1800 s, Reachable Time 20000 ms, Retrans Timer
    2000 ms, SLLA, MTU 1400, an unknown option (type 222), a TLLA (not defined for RA) and an on-link prefix
    2001:db8:1::/64 (reserved bits set) valid 3600 s.
    Judgement: hop limit 42, path MTU 1400, RetransTimer 2000, BaseReachableTime 20000 (ReachableTime 10000-30000),
    router fe80::1 listed with 1800 s, prefix listed, the router's entry STALE with IsRouter and its MAC; next hop
    for an on-link destination is itself, for others the router.
    Reference: RFC 4861 6.3.4, 6.1.2, 4.6, 4.6.2, 5.2."""
    dut.enable_ipv6()
    pi = prefix("2001:db8:1::", valid=3600, preferred=1800)
    pi.res1 = 0x3F
    pi.res2 = 0xFFFFFFFF
    dut.send(
        ra(
            chlim=42,
            reachabletime=20000,
            retranstimer=2000,
            options=[ICMPv6NDOptMTU(mtu=1400), Raw(bytes([222, 1, 0, 0, 0, 0, 0, 0])), ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:77"), pi],
        )
    )
    assert dut.stack.ipv6.hop_limit == 42
    assert dut.stack.ipv6.path_mtu("2001:db8:1::5") == 1400
    assert dut.stack.nd.retrans_time(dut.eth) == 2000
    assert dut.stack.nd.base_reachable_time(dut.eth) == 20000
    assert 10000 <= dut.stack.nd.reachable_time(dut.eth) <= 30000
    rl = dut.stack.nd.routers()
    assert [(r["ip"], r["lifetime_ms"]) for r in rl] == [(ROUTER_LL, 1_800_000)]
    assert [p["prefix"] for p in dut.stack.nd.prefixes(dut.eth)] == ["2001:db8:1::/64"]
    entry = dut.stack.nd.neighbor(dut.eth, ROUTER_LL)
    assert (entry["state"], entry["router"], entry["mac"]) == ("STALE", True, ROUTER_MAC)
    assert dut.stack.nd.next_hop("2001:db8:1::5")["next_hop"] == "2001:db8:1::5"
    assert dut.stack.nd.next_hop(FAR)["next_hop"] == ROUTER_LL
    assert sum(dut.drop_changes().get("nd", {}).values()) == 0


def _ra_bad(how):
    if how == "hop-limit-254":
        return ra(hlim=254)
    if how == "global-source":
        return ra(src="2001:db8::1")
    if how == "code-1":
        p = ra()
        p[ICMPv6ND_RA].code = 1
        return p
    if how == "checksum":
        p = ra()
        p[ICMPv6ND_RA].cksum = 0x1234
        return p
    if how == "option-length-0":
        p = ra()
        p[ICMPv6NDOptSrcLLAddr].len = 0
        return p
    if how == "length-12":
        from scapy.all import raw

        body = bytearray(raw(ICMPv6ND_RA(routerlifetime=1800)))[:12]
        from scapy.layers.inet6 import in6_chksum

        hdr = IPv6(src=ROUTER_LL, dst="ff02::1", hlim=255, nh=58)
        body[2:4] = b"\x00\x00"
        body[2:4] = in6_chksum(58, hdr, bytes(body)).to_bytes(2, "big")
        return Ether(src=ROUTER_MAC, dst="33:33:00:00:00:01") / hdr / Raw(bytes(body))
    raise AssertionError(how)


INVALID_RA = [
    ("hop-limit-254", "nd", "BadHopLimit", "RFC4861:R6.1.2-hoplimit"),
    ("global-source", "nd", "BadAddress", "RFC4861:R6.1.2-source"),
    ("code-1", "nd", "BadOperation", "RFC4861:R6.1.2-code"),
    ("checksum", "icmp6", "BadChecksum", "RFC4861:R6.1.2-checksum"),
    ("option-length-0", "nd", "BadOption", "RFC4861:R6.1.2-options"),
    ("length-12", "nd", "BadLength", "RFC4861:R6.1.2-length"),
]


@pytest.mark.parametrize("how,module,reason,req", INVALID_RA, ids=[c[0] for c in INVALID_RA])
@pytest.mark.requirement(
    "RFC4861:R6.1.2-hoplimit",
    "RFC4861:R6.1.2-source",
    "RFC4861:R6.1.2-code",
    "RFC4861:R6.1.2-checksum",
    "RFC4861:R6.1.2-options",
    "RFC4861:R6.1.2-length",
    "RFC4861:R4.6-length-zero",
)
def test_invalid_router_advertisement_is_discarded(dut, how, module, reason, req):
    """Purpose: an RA failing one 6.1.2 check changes nothing.
    Setup: DUT with IPv6.
    Procedure: an RA from fe80::1 (lifetime 1800, SLLA) with one defect: hop limit 254, global source 2001:db8::1,
    code 1, bad checksum, an option of length 0, or only 12 octets long.
    Judgement: no default router, no neighbour entry, one drop with the expected reason, no frame sent.
    Reference: RFC 4861 6.1.2, 4.6."""
    dut.enable_ipv6()
    dut.send(_ra_bad(how))
    dut.assert_dropped(module, reason)
    assert dut.stack.nd.routers() == []
    assert dut.stack.nd.neighbors(dut.eth) == []
    dut.expect_silence(timeout_ms=500)


@pytest.mark.requirement(
    "RFC4861:R6.3.4-router-refresh",
    "RFC4861:R6.3.4-router-zero",
    "RFC4861:R4.2-lifetime-zero",
    "RFC4861:R6.3.5-router-expiry",
    "RFC4861:R6.3.4-isrouter",
)
def test_router_lifetimes(dut):
    """Purpose: Router Lifetime creates, refreshes, removes (0) and expires default router entries.
    Setup: DUT with IPv6.
    Procedure: RA lifetime 10 s; 5 s later RA lifetime 10 s again; wait 9.99 s then 0.01 s; RA lifetime 10; RA
    lifetime 0; RA lifetime 0 from fe80::2 (never a default router) without SLLA after an NS taught its entry.
    Judgement: listed until 10 s after the refresh and not after; lifetime 0 removes at once; fe80::2 never listed,
    but its entry is marked IsRouter.
    Reference: RFC 4861 6.3.4, 6.3.5, 4.2."""
    dut.enable_ipv6()
    dut.send(ra(lifetime=10))
    dut.advance(5000)
    dut.send(ra(lifetime=10))
    dut.advance(9990)
    assert routers(dut) == [ROUTER_LL]
    dut.advance(10)
    assert routers(dut) == []
    dut.send(ra(lifetime=10))
    assert routers(dut) == [ROUTER_LL]
    dut.send(ra(lifetime=0))
    assert routers(dut) == []
    # fe80::2's entry from an NS for our link-local, then an RA without SLLA and lifetime 0.
    nsol = (
        Ether(src="02:00:00:00:00:22", dst=dut.mac)
        / IPv6(src="fe80::2", dst=dut.ll6, hlim=255)
        / ICMPv6ND_NS(tgt=dut.ll6)
        / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:22")
    )
    dut.send(nsol)
    assert dut.stack.nd.neighbor(dut.eth, "fe80::2")["router"] is False
    dut.send(ra(src="fe80::2", mac="02:00:00:00:00:22", lifetime=0, slla=False))
    assert routers(dut) == []
    assert dut.stack.nd.neighbor(dut.eth, "fe80::2")["router"] is True


@pytest.mark.requirement(
    "RFC4861:R6.3.4-prefix-refresh",
    "RFC4861:R6.3.4-prefix-ignore",
    "RFC4861:R6.3.4-prefix-link-local",
    "RFC4861:R6.3.5-prefix-expiry",
    "RFC4861:R4.6.2-link-local",
)
def test_prefix_lifetimes(dut):
    """Purpose: on-link prefixes are created, refreshed, timed out (0) and expire; link-local and unknown-zero ignored.
    Setup: DUT with IPv6.
    Procedure: RA (lifetime 0) with prefixes 2001:db8:1::/64 valid 10 s, fe80::/64 valid 10 s, 2001:db8:2::/64
    valid 0; after 5 s the first again with 10 s; then wait out; again with 10 s and then with 0.
    Judgement: only 2001:db8:1::/64 listed; it lives until 15 s; valid 0 removes it at once.
    Reference: RFC 4861 6.3.4, 6.3.5, 4.6.2."""
    dut.enable_ipv6()

    def listed():
        return [p["prefix"] for p in dut.stack.nd.prefixes(dut.eth)]

    dut.send(ra(lifetime=0, options=[prefix("2001:db8:1::", valid=10, preferred=10), prefix("fe80::", valid=10, preferred=10), prefix("2001:db8:2::", valid=0, preferred=0)]))
    assert listed() == ["2001:db8:1::/64"]
    dut.advance(5000)
    dut.send(ra(lifetime=0, options=[prefix("2001:db8:1::", valid=10, preferred=10)]))
    dut.advance(9990)
    assert listed() == ["2001:db8:1::/64"]
    dut.advance(10)
    assert listed() == []
    dut.send(ra(lifetime=0, options=[prefix("2001:db8:1::", valid=10, preferred=10)]))
    assert listed() == ["2001:db8:1::/64"]
    dut.send(ra(lifetime=0, options=[prefix("2001:db8:1::", valid=0, preferred=0)]))
    assert listed() == []


@pytest.mark.requirement("RFC4861:R6.2.6-host", "RFC4861:R4.1-reserved")
def test_router_solicitation_is_not_answered(dut):
    """Purpose: a host silently discards Router Solicitations.
    Setup: DUT with IPv6.
    Procedure: an RS from fe80::9 with SLLA to ff02::2 (and one to ff02::1).
    Judgement: no frame from the DUT, RS drops counted (BadOperation), no neighbour entry.
    Reference: RFC 4861 6.2.6, 4.1."""
    dut.enable_ipv6()
    for group, mac in (("ff02::2", "33:33:00:00:00:02"), ("ff02::1", "33:33:00:00:00:01")):
        dut.send(Ether(src="02:00:00:00:00:09", dst=mac) / IPv6(src="fe80::9", dst=group, hlim=255) / ICMPv6ND_RS(res=0xFFFF) / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:09"))
    dut.expect_silence(timeout_ms=1000)
    assert dut.dropped("nd", "BadOperation") + dut.dropped("ipv6", "NotForUs") + dut.dropped("ethernet", "NotForUs") == 2
    assert dut.stack.nd.neighbors(dut.eth) == []


@pytest.mark.requirement(
    "RFC4861:R6.3.7-delay",
    "RFC4861:R6.3.7-count",
    "RFC4861:R6.3.7-slla",
    "RFC4861:R4.1-reserved",
)
def test_router_solicitations_at_start(dut):
    """Purpose: after its link-local address is up, the host sends up to 3 RS, 4 s apart, after a random delay.
    Setup: DUT without IPv6 configured; SLAAC started (link-local by DAD).
    Procedure: wait 20 s, nobody answers.
    Judgement: exactly 3 RS to ff02::2 (33:33:00:00:00:02), hop limit 255, from the link-local, with SLLA, reserved 0;
    the first at most 1 s after DAD completed; 4000 ms between them.
    Reference: RFC 4861 6.3.7, 4.1."""
    dut.require("slaac")
    dut.stack.slaac.start(dut.eth)
    dut.receive(20000)
    rs = [(t, f) for (t, d, f) in dut.log if d == "out" and ICMPv6ND_RS in f]
    dad = [t for (t, d, f) in dut.log if d == "out" and ICMPv6ND_NS in f and f[IPv6].src == "::"]
    assert len(rs) == 3 and len(dad) == 1
    ll = dut.stack.ipv6.link_local(dut.eth)
    for _, f in rs:
        assert f.dst == "33:33:00:00:00:02" and f[IPv6].dst == "ff02::2" and f[IPv6].hlim == 255
        assert f[IPv6].src == ll and f[ICMPv6NDOptSrcLLAddr].lladdr == dut.mac and f[ICMPv6ND_RS].res == 0
    dad_done = dad[0] + dut.stack.nd.retrans_time(dut.eth)
    assert dad_done <= rs[0][0] <= dad_done + 1000
    assert rs[1][0] - rs[0][0] == 4000 and rs[2][0] - rs[1][0] == 4000
    assert dut.stack.nd.rs_sent == 3


@pytest.mark.requirement("RFC4861:R6.3.7-desist")
def test_router_advertisement_stops_solicitations(dut):
    """Purpose: a valid RA with non-zero Router Lifetime ends the solicitations.
    Setup: DUT; SLAAC started; wait for the first RS.
    Procedure: RA from fe80::1, lifetime 1800; wait 15 s.
    Judgement: no further RS after the RA.
    Reference: RFC 4861 6.3.7."""
    dut.require("slaac")
    dut.stack.slaac.start(dut.eth)
    dut.expect(lambda f: ICMPv6ND_RS in f, timeout_ms=5000)
    dut.send(ra(lifetime=1800))
    dut.expect_silence(timeout_ms=15000, predicate=lambda f: ICMPv6ND_RS in f)
    assert dut.stack.nd.rs_sent == 1


def _two_routers(dut):
    dut.enable_ipv6()
    dut.send(ra(src="fe80::a", mac="02:00:00:00:00:0a", slla=False))
    dut.send(ra(src="fe80::b", mac="02:00:00:00:00:0b", slla=False))
    assert sorted(routers(dut)) == ["fe80::a", "fe80::b"]


@pytest.mark.requirement("RFC4861:R6.3.6-round-robin", "RFC4861:R6.3.6-prefer-reachable")
def test_default_router_selection(dut):
    """Purpose: with no router known reachable the host tries them round-robin; a reachable one is then preferred.
    Setup: DUT with IPv6; RAs from fe80::a and fe80::b (no SLLA: reachability unknown).
    Procedure: two echo requests from the off-link 2001:db8:99::9; then fe80::b answers its NS (solicited NA);
    three more echo requests.
    Judgement: the first two replies trigger resolution of different routers (NS for fe80::a and for fe80::b); after
    fe80::b is REACHABLE every reply goes to 02:00:00:00:00:0b.
    Reference: RFC 4861 6.3.6."""
    _two_routers(dut)
    dut.send(echo_from(dut, FAR, mac="02:00:00:00:00:0a", seq=1))
    dut.send(echo_from(dut, FAR, mac="02:00:00:00:00:0a", seq=2))
    targets = [f[ICMPv6ND_NS].tgt for f in dut.receive(10) if ICMPv6ND_NS in f]
    assert sorted(targets) == ["fe80::a", "fe80::b"]
    dut.send(
        Ether(src="02:00:00:00:00:0b", dst=dut.mac)
        / IPv6(src="fe80::b", dst=dut.ll6, hlim=255)
        / ICMPv6ND_NA(tgt="fe80::b", R=1, S=1, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:0b")
    )
    dut.receive(10)
    for seq in (3, 4, 5):
        dut.send(echo_from(dut, FAR, mac="02:00:00:00:00:0a", seq=seq))
    replies = [f for f in dut.receive(10) if ICMPv6EchoReply in f]
    assert [f[ICMPv6EchoReply].seq for f in replies][-3:] == [3, 4, 5]
    assert all(f.dst == "02:00:00:00:00:0b" for f in replies[-3:])


@pytest.mark.requirement("RFC4861:R7.2.5-router-removed", "RFC4861:R7.3.3-router-flag", "RFC4861:R6.3.5-destination-cache")
def test_router_turned_host_leaves_default_router_list(dut):
    """Purpose: an NA with R=0 from a default router removes it from the list (and its redirects).
    Setup: DUT with IPv6; RA from fe80::1 (lifetime 1800, SLLA): off-link 2001:db8:99::9 goes through fe80::1.
    Procedure: NA from fe80::1 for fe80::1 with R=0, S=0, O=1, same TLLA.
    Judgement: the default router list is empty, the entry's IsRouter is FALSE, and next-hop determination for
    2001:db8:99::9 runs again and finds no router (no stale destination cache entry keeps using fe80::1).
    Reference: RFC 4861 7.2.5, 7.3.3, 6.3.5."""
    dut.enable_ipv6()
    dut.send(ra())
    assert dut.stack.nd.next_hop(FAR)["next_hop"] == ROUTER_LL
    dut.send(
        Ether(src=ROUTER_MAC, dst=dut.mac)
        / IPv6(src=ROUTER_LL, dst=dut.ll6, hlim=255)
        / ICMPv6ND_NA(tgt=ROUTER_LL, R=0, S=0, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr=ROUTER_MAC)
    )
    assert routers(dut) == []
    assert dut.stack.nd.neighbor(dut.eth, ROUTER_LL)["router"] is False
    assert dut.stack.nd.next_hop(FAR) is None


@pytest.mark.requirement("RFC4861:R6.3.4-router-new")
def test_router_advertisement_flood_is_bounded(dut):
    """Purpose: a flood of RAs from many link-local sources cannot grow the router list or the cache past its bound.
    Setup: DUT with IPv6; a first RA from fe80::1.
    Procedure: 4 x neighbour capacity RAs, each from fe80::1:n with its own SLLA, lifetime 1800.
    Judgement: the router list holds exactly its capacity and fe80::1 is still in it; surplus routers are counted
    (PoolExhausted); the neighbour cache holds exactly its capacity; fe80::1's entry (a default router) survives.
    Reference: RFC 4861 6.3.4 (a host MAY choose not to store all routers), 5 (bounded structures)."""
    dut.enable_ipv6()
    dut.send(ra())
    cap = dut.stack.nd.capacity
    flood = 4 * cap["neighbors"]
    for n in range(flood):
        dut.send(ra(src="fe80::1:%x" % (n + 1), mac="02:00:00:02:%02x:%02x" % (n >> 8, n & 0xFF)))
    assert len(routers(dut)) == cap["routers"]
    assert ROUTER_LL in routers(dut)
    assert dut.dropped("nd", "PoolExhausted") == flood - (cap["routers"] - 1)
    assert len(dut.stack.nd.neighbors(dut.eth)) == cap["neighbors"]
    assert dut.stack.nd.neighbor(dut.eth, ROUTER_LL) is not None


def redirect(dut, target, dest, src=ROUTER_LL, hlim=255, tlla=None, code=0):
    pkt = Ether(src=ROUTER_MAC, dst=dut.mac) / IPv6(src=src, dst=dut.ll6, hlim=hlim) / ICMPv6ND_Redirect(tgt=target, dst=dest, code=code)
    if tlla:
        pkt = pkt / ICMPv6NDOptDstLLAddr(lladdr=tlla)
    return pkt


@pytest.mark.requirement(
    "RFC4861:R8.3-destination-cache",
    "RFC4861:R8.3-stale",
    "RFC4861:R8.3-isrouter",
    "RFC4861:R8.1-prefix",
    "RFC4861:R8.3-host-no-send",
    "RFC4861:R8.1-ignore",
    "RFC4861:R4.5-reserved",
)
def test_redirect_to_better_router(dut):
    """Purpose: a valid Redirect sends later traffic for its destination to the target router.
    Setup: DUT with IPv6; default router fe80::1 (RA with SLLA).
    Procedure: Redirect from fe80::1: destination 2001:db8:99::9, target fe80::99 (not covered by any prefix), TLLA
    02:00:00:00:00:99, reserved bits set; then an echo request from 2001:db8:99::9.
    Judgement: next hop fe80::99; its entry STALE, IsRouter; the echo reply leaves to 02:00:00:00:00:99; the DUT sends
    no Redirect.
    Reference: RFC 4861 8.1, 8.3, 4.5."""
    dut.enable_ipv6()
    dut.send(ra())
    rd = redirect(dut, "fe80::99", FAR, tlla="02:00:00:00:00:99")
    rd[ICMPv6ND_Redirect].res = 0xFFFFFFFF
    dut.send(rd)
    assert dut.stack.nd.next_hop(FAR)["next_hop"] == "fe80::99"
    entry = dut.stack.nd.neighbor(dut.eth, "fe80::99")
    assert (entry["state"], entry["router"], entry["mac"]) == ("STALE", True, "02:00:00:00:00:99")
    dut.send(echo_from(dut, FAR))
    reply = dut.expect(lambda f: ICMPv6EchoReply in f, timeout_ms=100)
    assert reply.dst == "02:00:00:00:00:99"
    assert not any(ICMPv6ND_Redirect in f for (_, d, f) in dut.log if d == "out")


@pytest.mark.requirement("RFC4861:R8.3-on-link")
def test_redirect_to_on_link_destination(dut):
    """Purpose: a Redirect whose target is the destination makes it on-link.
    Setup: DUT with IPv6; default router fe80::1.
    Procedure: Redirect from fe80::1 with target = destination = 2001:db8:99::9, TLLA 02:00:00:00:00:39; an echo
    request from 2001:db8:99::9.
    Judgement: next hop is 2001:db8:99::9 itself, its entry is not a router, the reply goes to 02:00:00:00:00:39.
    Reference: RFC 4861 8.3."""
    dut.enable_ipv6()
    dut.send(ra())
    dut.send(redirect(dut, FAR, FAR, tlla="02:00:00:00:00:39"))
    assert dut.stack.nd.next_hop(FAR)["next_hop"] == FAR
    assert dut.stack.nd.neighbor(dut.eth, FAR)["router"] is False
    dut.send(echo_from(dut, FAR))
    assert dut.expect(lambda f: ICMPv6EchoReply in f, timeout_ms=100).dst == "02:00:00:00:00:39"


def _redirect_bad(dut, how):
    if how == "global-source":
        return redirect(dut, "fe80::99", FAR, src="2001:db8::1")
    if how == "hop-limit-254":
        return redirect(dut, "fe80::99", FAR, hlim=254)
    if how == "code-1":
        return redirect(dut, "fe80::99", FAR, code=1)
    if how == "not-first-hop":
        return redirect(dut, "fe80::99", FAR, src="fe80::66")
    if how == "multicast-destination":
        return redirect(dut, "fe80::99", "ff0e::1")
    if how == "global-target":
        return redirect(dut, "2001:db8::99", FAR)
    if how == "option-length-0":
        p = redirect(dut, "fe80::99", FAR, tlla="02:00:00:00:00:99")
        p[ICMPv6NDOptDstLLAddr].len = 0
        return p
    if how == "checksum":
        p = redirect(dut, "fe80::99", FAR)
        p[ICMPv6ND_Redirect].cksum = 0x1234
        return p
    if how == "length-32":
        from scapy.all import raw
        from scapy.layers.inet6 import in6_chksum

        body = bytearray(raw(ICMPv6ND_Redirect(tgt="fe80::99", dst=FAR)))[:32]
        hdr = IPv6(src=ROUTER_LL, dst=dut.ll6, hlim=255, nh=58)
        body[2:4] = b"\x00\x00"
        body[2:4] = in6_chksum(58, hdr, bytes(body)).to_bytes(2, "big")
        return Ether(src=ROUTER_MAC, dst=dut.mac) / hdr / Raw(bytes(body))
    raise AssertionError(how)


INVALID_REDIRECT = [
    ("global-source", "nd", "BadAddress", "RFC4861:R8.1-source"),
    ("hop-limit-254", "nd", "BadHopLimit", "RFC4861:R8.1-hoplimit"),
    ("code-1", "nd", "BadOperation", "RFC4861:R8.1-code"),
    ("not-first-hop", "nd", "BadAddress", "RFC4861:R8.1-first-hop"),
    ("multicast-destination", "nd", "BadAddress", "RFC4861:R8.1-destination"),
    ("global-target", "nd", "BadAddress", "RFC4861:R8.1-target"),
    ("option-length-0", "nd", "BadOption", "RFC4861:R8.1-options"),
    ("checksum", "icmp6", "BadChecksum", "RFC4861:R8.1-checksum"),
    ("length-32", "nd", "BadLength", "RFC4861:R8.1-length"),
]


@pytest.mark.parametrize("how,module,reason,req", INVALID_REDIRECT, ids=[c[0] for c in INVALID_REDIRECT])
@pytest.mark.requirement(
    "RFC4861:R8.1-source",
    "RFC4861:R8.1-hoplimit",
    "RFC4861:R8.1-code",
    "RFC4861:R8.1-first-hop",
    "RFC4861:R8.1-destination",
    "RFC4861:R8.1-target",
    "RFC4861:R8.1-options",
    "RFC4861:R8.1-checksum",
    "RFC4861:R8.1-length",
)
def test_invalid_redirect_is_discarded(dut, how, module, reason, req):
    """Purpose: a Redirect failing one 8.1 check changes nothing.
    Setup: DUT with IPv6; default router fe80::1.
    Procedure: a Redirect for 2001:db8:99::9 to fe80::99 with one defect (global source, hop limit 254, code 1, not
    from the current first hop, multicast destination, global target other than the destination, option of
    length 0, bad checksum, 32 octets).
    Judgement: next hop for 2001:db8:99::9 is still fe80::1, no destination cache entry, one drop with the reason.
    Reference: RFC 4861 8.1."""
    dut.enable_ipv6()
    dut.send(ra())
    dut.send(_redirect_bad(dut, how))
    dut.assert_dropped(module, reason)
    assert dut.stack.nd.next_hop(FAR)["next_hop"] == ROUTER_LL
    assert dut.stack.nd.redirects() == []
