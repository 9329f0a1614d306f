"""RFC 4862 stateless address autoconfiguration with RFC 7217 identifiers: the link-local address and its Duplicate
Address Detection (5.3, 5.4), DAD failure and identifier regeneration (5.4.5, RFC 7217 6), addresses from
Prefix Information options (5.5.3) and their lifetimes (5.5.4)."""
import ipaddress

import pytest
from scapy.all import Ether
from scapy.layers.inet6 import (
    IPv6,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
)

OTHER_MAC = "02:00:00:00:00:07"
ROUTER_MAC = "02:00:00:00:00:01"


def solicited_node(addr):
    packed = ipaddress.IPv6Address(addr).packed
    group = ipaddress.IPv6Address(bytes.fromhex("ff0200000000000000000001ff") + packed[13:])
    return str(group), "33:33:" + ":".join("%02x" % b for b in group.packed[12:])


def addresses(dut):
    return {a["address"]: a for a in dut.stack.ipv6.addresses(dut.eth)}


def is_dad_probe(frame):
    return ICMPv6ND_NS in frame and frame[IPv6].src == "::"


def start(dut):
    dut.require("slaac")
    assert dut.stack.slaac.start(dut.eth)
    ll = dut.stack.slaac.stable_address(dut.eth, "fe80::", 0)
    return ll


def ra(prefix="2001:db8:1::", valid=7200, preferred=3600, A=1, L=1, length=64, lifetime=1800):
    return (
        Ether(src=ROUTER_MAC, dst="33:33:00:00:00:01")
        / IPv6(src="fe80::1", dst="ff02::1", hlim=255)
        / ICMPv6ND_RA(routerlifetime=lifetime)
        / ICMPv6NDOptSrcLLAddr(lladdr=ROUTER_MAC)
        / ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=length, L=L, A=A, validlifetime=valid, preferredlifetime=preferred)
    )


@pytest.mark.requirement(
    "RFC4862:R5.3-form",
    "RFC4862:R5.3-dad",
    "RFC4862:R5.4-all",
    "RFC4862:R5.4.2-join",
    "RFC4862:R5.4.2-delay",
    "RFC4862:R5.4.2-probe",
    "RFC4862:R5.4.2-transmits",
    "RFC4862:R7217-5-iid",
    "RFC4861:R4.3-slla-unspecified",
)
def test_link_local_address_with_dad(dut):
    """Purpose: SLAAC forms fe80::/64 + an RFC 7217 identifier, probes it once and then assigns it.
    Setup: DUT (IPv4 only so far); SLAAC started.
    Procedure: wait for the DAD probe, then RetransTimer (1 s).
    Judgement: the address is fe80::/64 + a non-EUI-64 identifier equal to stable_address(fe80::, 0); it is
    tentative until the probe; one NS from :: to its solicited-node group (and that group's MAC), hop limit 255,
    target = the address, no options, within 1 s of the start; Preferred exactly 1 s after the probe; the DUT joined
    the solicited-node group first (an NS to it for the address is answered afterwards).
    Reference: RFC 4862 5.3, 5.4, 5.4.2; RFC 7217 5; RFC 4861 4.3."""
    t0 = dut.now_ms
    ll = start(dut)
    assert ipaddress.IPv6Address(ll) in ipaddress.IPv6Network("fe80::/64")
    assert ll != "fe80::ff:fe00:2"  # not the modified EUI-64 identifier of 02:00:00:00:00:02
    assert addresses(dut)[ll]["state"] == "tentative"
    probe = dut.expect(is_dad_probe, timeout_ms=1000, what="the DAD probe")
    t_probe = dut.now_ms
    assert t_probe - t0 <= 1000
    group, group_mac = solicited_node(ll)
    assert probe.dst == group_mac and probe[IPv6].dst == group and probe[IPv6].hlim == 255
    assert probe[ICMPv6ND_NS].tgt == ll
    assert ICMPv6NDOptSrcLLAddr not in probe
    assert addresses(dut)[ll]["state"] == "tentative"
    dut.advance(990)
    assert addresses(dut)[ll]["state"] == "tentative"
    dut.advance(20)
    assert addresses(dut)[ll]["state"] == "preferred"
    assert dut.stack.slaac.dad_failures == 0
    # The solicited-node group was joined: an NS to it for the address is now answered.
    dut.send(
        Ether(src=OTHER_MAC, dst=group_mac)
        / IPv6(src="fe80::7", dst=group, hlim=255)
        / ICMPv6ND_NS(tgt=ll)
        / ICMPv6NDOptSrcLLAddr(lladdr=OTHER_MAC)
    )
    reply = dut.expect(lambda f: ICMPv6ND_NA in f, timeout_ms=100)
    assert reply[ICMPv6ND_NA].tgt == ll and reply[IPv6].src == ll


@pytest.mark.requirement(
    "RFC4862:R5.4.3-no-answer",
    "RFC4862:R5.4.3-unicast-source",
    "RFC4862:R5.4-tentative-discard",
    "RFC4862:R5.4-tentative-nd",
)
def test_tentative_address_is_not_used(dut):
    """Purpose: while tentative, the address answers no NS (from a unicast source) and takes no other packets.
    Setup: SLAAC started; before the DAD probe.
    Procedure: an NS from fe80::7 (with SLLA) for the tentative address; an echo request to it.
    Judgement: no NA and no echo reply; the NS is dropped (nd NotForUs) and DAD still completes without failure.
    Reference: RFC 4862 5.4, 5.4.3."""
    ll = start(dut)
    group, group_mac = solicited_node(ll)
    dut.send(
        Ether(src=OTHER_MAC, dst=group_mac)
        / IPv6(src="fe80::7", dst=group, hlim=255)
        / ICMPv6ND_NS(tgt=ll)
        / ICMPv6NDOptSrcLLAddr(lladdr=OTHER_MAC)
    )
    dut.send(Ether(src=OTHER_MAC, dst=dut.mac) / IPv6(src="fe80::7", dst=ll) / ICMPv6EchoRequest())
    frames = dut.receive(3000)
    assert not any(ICMPv6ND_NA in f or ICMPv6EchoReply in f for f in frames)
    assert dut.dropped("nd", "NotForUs") == 1
    assert addresses(dut)[ll]["state"] == "preferred"
    assert dut.stack.slaac.dad_failures == 0


def _conflict_ns(ll):
    group, group_mac = solicited_node(ll)
    return Ether(src=OTHER_MAC, dst=group_mac) / IPv6(src="::", dst=group, hlim=255) / ICMPv6ND_NS(tgt=ll)


def _conflict_na(ll):
    return (
        Ether(src=OTHER_MAC, dst="33:33:00:00:00:01")
        / IPv6(src=ll, dst="ff02::1", hlim=255)
        / ICMPv6ND_NA(tgt=ll, R=0, S=0, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr=OTHER_MAC)
    )


@pytest.mark.parametrize("kind", ["ns", "na"])
@pytest.mark.requirement(
    "RFC4862:R5.4.3-duplicate",
    "RFC4862:R5.4.4-duplicate",
    "RFC4862:R5.4.5-not-assigned",
    "RFC4862:R5.4.5-log",
    "RFC4862:R7217-6-retry",
)
def test_dad_conflict_regenerates_identifier(dut, kind):
    """Purpose: a DAD conflict removes the tentative address and retries with DAD_Counter + 1.
    Setup: SLAAC started; the DAD probe for the first link-local has gone out.
    Procedure: another node's DAD NS (from ::) for the same address, or an NA for it.
    Judgement: the address is gone (never Preferred), dad_failures = 1; a new tentative address equal to
    stable_address(fe80::, 1) is probed and then Preferred.
    Reference: RFC 4862 5.4.3, 5.4.4, 5.4.5; RFC 7217 6."""
    ll = start(dut)
    dut.expect(is_dad_probe, timeout_ms=1000)
    dut.send(_conflict_ns(ll) if kind == "ns" else _conflict_na(ll))
    assert ll not in addresses(dut)
    assert dut.stack.slaac.dad_failures == 1
    second = dut.stack.slaac.stable_address(dut.eth, "fe80::", 1)
    assert second != ll
    assert addresses(dut)[second]["state"] == "tentative"
    probe = dut.expect(is_dad_probe, timeout_ms=1000)
    assert probe[ICMPv6ND_NS].tgt == second
    dut.advance(1010)
    assert addresses(dut)[second]["state"] == "preferred"
    assert dut.stack.ipv6.link_local(dut.eth) == second


@pytest.mark.requirement("RFC4862:R7217-6-retry", "RFC4862:R5.4.5-not-assigned")
def test_dad_gives_up_after_idgen_retries(dut):
    """Purpose: after IDGEN_RETRIES (3) regenerated identifiers all conflict, no more addresses are tried.
    Setup: SLAAC started.
    Procedure: answer every DAD probe with a conflicting NA (4 probes: DAD_Counter 0..3).
    Judgement: dad_failures = 4, probes for stable_address(fe80::, n) n = 0..3, then silence and no link-local.
    Reference: RFC 7217 6; RFC 4862 5.4.5."""
    start(dut)
    targets = []
    for _ in range(4):
        probe = dut.expect(is_dad_probe, timeout_ms=1000)
        targets.append(probe[ICMPv6ND_NS].tgt)
        dut.send(_conflict_na(probe[ICMPv6ND_NS].tgt))
    assert targets == [dut.stack.slaac.stable_address(dut.eth, "fe80::", n) for n in range(4)]
    assert dut.stack.slaac.dad_failures == 4
    dut.expect_silence(timeout_ms=3000, predicate=is_dad_probe)
    assert dut.stack.ipv6.link_local(dut.eth) is None


def _up(dut):
    ll = start(dut)
    dut.advance(2100)
    assert addresses(dut)[ll]["state"] == "preferred"
    dut.receive(0)
    return ll


@pytest.mark.requirement("RFC4862:R5.5.3-d-new", "RFC4862:R7217-5-iid", "RFC4862:R5.4-all")
def test_prefix_forms_address(dut):
    """Purpose: a Prefix Information option with A=1 forms an RFC 7217 address that goes through DAD.
    Setup: link-local up by SLAAC.
    Procedure: RA with prefix 2001:db8:1::/64, A=1, valid 7200 s, preferred 3600 s.
    Judgement: stable_address(2001:db8:1::, 0) is added tentative (autoconf), probed from ::, then Preferred; its
    identifier differs from the link-local's.
    Reference: RFC 4862 5.5.3 (d), 5.4; RFC 7217 5."""
    ll = _up(dut)
    dut.send(ra())
    addr = dut.stack.slaac.stable_address(dut.eth, "2001:db8:1::", 0)
    assert addr.startswith("2001:db8:1:0:")
    assert ipaddress.IPv6Address(addr).packed[8:] != ipaddress.IPv6Address(ll).packed[8:]
    a = addresses(dut)[addr]
    assert (a["state"], a["autoconf"], a["prefix"]) == ("tentative", True, 64)
    probe = dut.expect(is_dad_probe, timeout_ms=1000)
    assert probe[ICMPv6ND_NS].tgt == addr
    dut.advance(1010)
    assert addresses(dut)[addr]["state"] == "preferred"


IGNORED = [
    ("no-A-flag", dict(A=0), None),
    ("link-local", dict(prefix="fe80::"), "BadAddress"),
    ("preferred-above-valid", dict(valid=100, preferred=200), "BadOption"),
    ("length-48", dict(length=48), "BadLength"),
]


@pytest.mark.parametrize("name,fields,reason", IGNORED, ids=[c[0] for c in IGNORED])
@pytest.mark.requirement("RFC4862:R5.5.3-a", "RFC4862:R5.5.3-b", "RFC4862:R5.5.3-c", "RFC4862:R5.5.3-d-length")
def test_prefix_option_ignored(dut, name, fields, reason):
    """Purpose: prefixes that must not form addresses form none.
    Setup: link-local up by SLAAC.
    Procedure: RA with one Prefix Information option: A=0, or the link-local prefix, or preferred 200 > valid 100,
    or prefix length 48.
    Judgement: the device keeps only its link-local address; the option is counted (slaac drop reason) when A=1.
    Reference: RFC 4862 5.5.3 (a)-(d)."""
    ll = _up(dut)
    dut.send(ra(**fields))
    dut.advance(3000)
    assert list(addresses(dut)) == [ll]
    if reason:
        dut.assert_dropped("slaac", reason)


@pytest.mark.requirement("RFC4862:R5.5.4-deprecate", "RFC4862:R5.5.4-invalid", "RFC4862:R5.5.3-e-preferred", "RFC4862:R5.5.4-deprecated-accept")
def test_lifetimes_deprecate_then_remove(dut):
    """Purpose: preferred and valid lifetimes end: Deprecated, then removed; an RA refreshes the preferred lifetime.
    Setup: link-local up; RA with 2001:db8:1::/64 valid 30 s, preferred 10 s; DAD done.
    Procedure: wait to 10 s; echo request to the address; RA with preferred 10 s again (valid 30 s); wait.
    Judgement: Deprecated at 10 s but still answers the echo; the refresh makes it Preferred; it is Deprecated 10 s
    after the refresh and gone when the valid lifetime ends.
    Reference: RFC 4862 5.5.3 (e), 5.5.4."""
    _up(dut)
    dut.send(ra(valid=30, preferred=10))
    t0 = dut.now_ms
    addr = dut.stack.slaac.stable_address(dut.eth, "2001:db8:1::", 0)
    dut.advance(2000)
    assert addresses(dut)[addr]["state"] == "preferred"
    dut.advance(t0 + 10000 - dut.now_ms)
    assert addresses(dut)[addr]["state"] == "deprecated"
    dut.send(Ether(src=ROUTER_MAC, dst=dut.mac) / IPv6(src="fe80::1", dst=addr) / ICMPv6EchoRequest(seq=5))
    assert dut.expect(lambda f: ICMPv6EchoReply in f, timeout_ms=100)[IPv6].src == addr
    dut.send(ra(valid=30, preferred=10))
    t1 = dut.now_ms
    assert addresses(dut)[addr]["state"] == "preferred"
    dut.advance(t1 + 10000 - dut.now_ms)
    assert addresses(dut)[addr]["state"] == "deprecated"
    dut.advance(t1 + 30000 - dut.now_ms - 10)
    assert addr in addresses(dut)
    dut.advance(10)
    assert addr not in addresses(dut)


def _skip(dut, ms):
    """Let long virtual time pass quickly (one poll per second)."""
    for _ in range(ms // 1000):
        dut.clock.advance(ms=1000)
        dut.stack.poll()
    dut.eth.collect()


@pytest.mark.requirement("RFC4862:R5.5.3-e-valid")
def test_two_hour_rule(dut):
    """Purpose: an RA cannot cut a valid lifetime below two hours (5.5.3 (e)).
    Setup: link-local up; RA with 2001:db8:1::/64 valid 3 h, preferred 1 h; DAD done.
    Procedure: RA with valid 60 s (remaining > 2 h: set to 2 h); after 1 h 59 min 50 s it still exists, and 10 s later
    it is gone. A second address: valid 1 h, then an RA with valid 60 s (remaining <= 2 h: ignored) keeps 1 h; then
    an RA with valid 3 h (above 2 h: taken).
    Judgement: the lifetimes follow rules 1-3 exactly.
    Reference: RFC 4862 5.5.3 (e)."""
    _up(dut)
    dut.send(ra(valid=3 * 3600, preferred=3600))
    addr = dut.stack.slaac.stable_address(dut.eth, "2001:db8:1::", 0)
    dut.advance(2100)
    dut.send(ra(valid=60, preferred=30))
    t0 = dut.now_ms
    _skip(dut, 2 * 3600 * 1000 - 10_000)
    assert addr in addresses(dut)
    _skip(dut, 10_000)
    assert addr not in addresses(dut)
    # Rule 2: remaining lifetime <= 2 h: a shorter advertised one is ignored.
    dut.send(ra(prefix="2001:db8:2::", valid=3600, preferred=1800))
    addr2 = dut.stack.slaac.stable_address(dut.eth, "2001:db8:2::", 0)
    dut.advance(2100)
    t1 = dut.now_ms
    dut.send(ra(prefix="2001:db8:2::", valid=60, preferred=30))
    _skip(dut, 600_000)
    assert addr2 in addresses(dut)
    # Rule 1: an advertised lifetime above two hours is taken.
    dut.send(ra(prefix="2001:db8:2::", valid=3 * 3600, preferred=1800))
    _skip(dut, 3600 * 1000)
    assert addr2 in addresses(dut)
    assert dut.now_ms - t1 > 3600 * 1000 and t0 > 0
