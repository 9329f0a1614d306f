"""RFC 4862 / RFC 7217 details not covered elsewhere: Neighbor Solicitations and Advertisements that fail the
RFC 4861 validity checks never reach Duplicate Address Detection (5.4.1), and a generated interface identifier
that RFC 5453 reserves is never used: DAD_Counter moves on (RFC 7217 5)."""
import pytest
from scapy.all import Ether, Raw, raw
from scapy.layers.inet6 import (
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    in6_chksum,
)

OTHER_MAC = "02:00:00:00:00:07"
ROUTER_MAC = "02:00:00:00:00:01"
LL = "fe80::2"  # the tentative address under DAD (added by hand: a known target)


def solicited(addr):
    import ipaddress

    packed = ipaddress.IPv6Address(addr).packed
    group = ipaddress.IPv6Address(bytes.fromhex("ff0200000000000000000001ff") + packed[13:])
    return str(group), "33:33:" + ":".join("%02x" % b for b in group.packed[12:])


def addresses(dut):
    return {a["address"]: a for a in dut.stack.ipv6.addresses(dut.eth)}


def is_dad_probe(frame):
    return ICMPv6ND_NS in frame and frame[IPv6].src == "::"


def _ns(hlim=255, code=0, src="::", dst=None, slla=False):
    group, group_mac = solicited(LL)
    pkt = (Ether(src=OTHER_MAC, dst=group_mac if dst is None else "33:33:00:00:00:01") /
           IPv6(src=src, dst=dst or group, hlim=hlim) / ICMPv6ND_NS(tgt=LL, code=code))
    return pkt / ICMPv6NDOptSrcLLAddr(lladdr=OTHER_MAC) if slla else pkt


def _na(hlim=255, code=0, S=0, tgt=LL):
    return (Ether(src=OTHER_MAC, dst="33:33:00:00:00:01") / IPv6(src=LL, dst="ff02::1", hlim=hlim) /
            ICMPv6ND_NA(tgt=tgt, R=0, S=S, O=1, code=code) / ICMPv6NDOptDstLLAddr(lladdr=OTHER_MAC))


def _bad_checksum(pkt):
    data = bytearray(raw(pkt))
    data[14 + 40 + 2] ^= 0x5A  # the ICMPv6 checksum
    return bytes(data)


def _short_ns():
    group, group_mac = solicited(LL)
    ip = IPv6(src="::", dst=group, hlim=255, nh=58)
    body = bytearray(raw(ICMPv6ND_NS(tgt=LL)))[:20]
    body[2:4] = b"\x00\x00"
    body[2:4] = in6_chksum(58, ip, bytes(body)).to_bytes(2, "big")
    return Ether(src=OTHER_MAC, dst=group_mac) / ip / Raw(bytes(body))


INVALID = {
    # kind: (frame, module, drop reason)
    "ns-hop-limit": (lambda: _ns(hlim=254), "nd", "BadHopLimit"),
    "ns-code": (lambda: _ns(code=1), "nd", "BadOperation"),
    "ns-checksum": (lambda: _bad_checksum(_ns()), "icmp6", "BadChecksum"),
    "ns-short": (_short_ns, "nd", "BadLength"),
    "ns-unspecified-with-slla": (lambda: _ns(slla=True), "nd", "BadOption"),
    "ns-unspecified-not-solicited-node": (lambda: _ns(dst="ff02::1"), "nd", "BadAddress"),
    "na-hop-limit": (lambda: _na(hlim=64), "nd", "BadHopLimit"),
    "na-code": (lambda: _na(code=3), "nd", "BadOperation"),
    "na-checksum": (lambda: _bad_checksum(_na()), "icmp6", "BadChecksum"),
    "na-solicited-to-multicast": (lambda: _na(S=1), "nd", "BadFlags"),
}


@pytest.mark.requirement("RFC4862:R5.4.1-validate")
@pytest.mark.parametrize("kind", list(INVALID))
def test_invalid_ns_or_na_does_not_disturb_dad(dut, kind):
    """Purpose: an NS or NA that fails the RFC 4861 7.1.1 / 7.1.2 validity checks is discarded before DAD sees
    it: the tentative address is not declared a duplicate and becomes preferred.
    Setup: DUT with fe80::2/64 added tentative (DAD: one NS from :: after a 0-1 s delay, then RetransTimer 1 s).
    Procedure: once the DUT's DAD probe is out, a message that would be a conflict if it were valid: an NS from
    :: for fe80::2 with hop limit 254, code 1, a bad checksum, only 20 octets, an SLLA option, or sent to
    ff02::1 instead of the solicited-node group; or an NA for fe80::2 with hop limit 64, code 3, a bad checksum,
    or S=1 to a multicast destination.
    Judgement: the message is counted as dropped with its reason (nd BadHopLimit / BadOperation / BadLength /
    BadOption / BadAddress / BadFlags, icmp6 BadChecksum); dad_failures stays 0; 1 s after the probe fe80::2 is
    preferred and answers a valid NS.
    Reference: RFC 4862 5.4.1; RFC 4861 7.1.1, 7.1.2."""
    dut.require("slaac")
    frame, module, reason = INVALID[kind]
    assert dut.stack.ipv6.add_address(dut.eth, LL, 64, state="tentative")
    probe = dut.expect(is_dad_probe, timeout_ms=1100)
    assert probe[ICMPv6ND_NS].tgt == LL
    dut.send(frame())
    dut.assert_dropped(module, reason)
    assert addresses(dut)[LL]["state"] == "tentative"
    assert dut.stack.slaac.dad_failures == 0
    dut.advance(1010)
    assert addresses(dut)[LL]["state"] == "preferred"
    assert dut.stack.slaac.dad_failures == 0
    group, group_mac = solicited(LL)
    dut.receive(0)
    dut.send(Ether(src=OTHER_MAC, dst=group_mac) / IPv6(src="fe80::7", dst=group, hlim=255) /
             ICMPv6ND_NS(tgt=LL) / ICMPv6NDOptSrcLLAddr(lladdr=OTHER_MAC))
    assert dut.expect(lambda f: ICMPv6ND_NA in f, timeout_ms=100)[ICMPv6ND_NA].tgt == LL


# ---- RFC 7217 5: reserved identifiers ----------------------------------------------------------------------------


RESERVED = [0x0000000000000000, 0x02005EFFFE005213, 0xFDFFFFFFFFFFFF80, 0x02005EFFFE00FFFF]
GOOD = [0x1234567890ABCDEF, 0x0A1B2C3D4E5F6071, 0x3C4D5E6F70819203]


class Identifiers:
    """F() for the test (RFC 7217 5 leaves the PRF to the implementation): the first `reserved` DAD_Counter values
    of every prefix give RFC 5453 reserved identifiers, the next ones GOOD[...]; every call is logged."""

    def __init__(self, reserved):
        self.reserved = reserved
        self.calls = []

    def __call__(self, data, key):
        assert len(data) == 16 and len(key) == 16
        prefix, counter = data[:8], data[15]
        self.calls.append((prefix.hex(), counter))
        if counter < self.reserved:
            return RESERVED[counter % len(RESERVED)]
        return GOOD[(counter - self.reserved) % len(GOOD)]


def iid_address(prefix, iid):
    import ipaddress

    return str(ipaddress.IPv6Address(ipaddress.IPv6Address(prefix).packed[:8] + iid.to_bytes(8, "big")))


@pytest.mark.requirement("RFC4862:R7217-5-reserved")
def test_reserved_identifier_is_skipped_for_the_link_local(dut):
    """Purpose: when F() yields an identifier RFC 5453 reserves, it is not used: DAD_Counter is incremented and a
    new identifier generated, until one is not reserved; that DAD_Counter is the one later retries continue from.
    Setup: SLAAC with an identifier function whose values for DAD_Counter 0, 1, 2 are reserved (the Subnet-Router
    anycast all-zero IID, 0200:5eff:fe00:5213 Proxy Mobile IPv6, fdff:ffff:ffff:ff80 reserved subnet anycast) and
    whose value for 3 is 1234:5678:90ab:cdef.
    Procedure: slaac.start; watch the DAD probe; then a conflicting NA for the address.
    Judgement: F() was called for fe80:: with DAD_Counter 0, 1, 2, 3 in that order; reserved_skipped = 3; the only
    tentative address and the only DAD probe target are fe80::1234:5678:90ab:cdef (no address with a reserved
    identifier ever appears); after the conflict the next identifier is F(DAD_Counter 4) =
    a1b:2c3d:4e5f:6071, probed in turn and then the link-local; no other NS target ever leaves.
    Reference: RFC 7217 5 (reserved identifiers, RFC 5453), 6; RFC 4862 5.4."""
    dut.require("slaac")
    ids = Identifiers(reserved=3)
    dut.stack.slaac.set_identifier_function(ids)
    assert dut.stack.slaac.start(dut.eth)
    first = iid_address("fe80::", GOOD[0])
    assert ids.calls == [("fe80000000000000", n) for n in range(4)]
    assert dut.stack.slaac.reserved_skipped == 3
    assert list(addresses(dut)) == [first] and addresses(dut)[first]["state"] == "tentative"
    probe = dut.expect(is_dad_probe, timeout_ms=1100)
    assert probe[ICMPv6ND_NS].tgt == first
    dut.send(Ether(src=OTHER_MAC, dst="33:33:00:00:00:01") / IPv6(src=first, dst="ff02::1", hlim=255) /
             ICMPv6ND_NA(tgt=first, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=OTHER_MAC))
    assert dut.stack.slaac.dad_failures == 1
    assert ids.calls[-1] == ("fe80000000000000", 4)
    second = iid_address("fe80::", GOOD[1])
    assert list(addresses(dut)) == [second]
    assert dut.expect(is_dad_probe, timeout_ms=1100)[ICMPv6ND_NS].tgt == second
    dut.advance(1010)
    assert dut.stack.ipv6.link_local(dut.eth) == second
    for (t, d, f) in dut.log:
        if d == "out" and ICMPv6ND_NS in f:
            assert f[ICMPv6ND_NS].tgt in (first, second), f.summary()


@pytest.mark.requirement("RFC4862:R7217-5-reserved")
def test_reserved_identifier_is_skipped_for_a_prefix(dut):
    """Purpose: the same for an address formed from a Router Advertisement's prefix.
    Setup: DUT with fe80::2 (preferred); an identifier function whose value for DAD_Counter 0 is the reserved
    0200:5eff:fe00:5213 (Proxy Mobile IPv6) and for 1 is 1234:5678:90ab:cdef.
    Procedure: an RA from fe80::1 with Prefix Information 2001:db8:1::/64 (A=1, L=1); wait 2 s.
    Judgement: F() called for 2001:db8:1:: with DAD_Counter 0 then 1; reserved_skipped = 1;
    2001:db8:1::200:5eff:fe00:5213 never appears; 2001:db8:1:0:1234:5678:90ab:cdef is probed and becomes preferred.
    Reference: RFC 7217 5; RFC 4862 5.5.3 (d)."""
    dut.require("slaac")
    assert dut.stack.ipv6.add_address(dut.eth, LL, 64)
    reserved = 0x02005EFFFE005213
    calls = []

    def identifiers(data, key):
        calls.append((data[:8].hex(), data[15]))
        return reserved if data[15] == 0 else GOOD[0]

    dut.stack.slaac.set_identifier_function(identifiers)
    dut.receive(0)
    dut.send(Ether(src=ROUTER_MAC, dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1", hlim=255) /
             ICMPv6ND_RA(routerlifetime=1800) / ICMPv6NDOptSrcLLAddr(lladdr=ROUTER_MAC) /
             ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, L=1, A=1, validlifetime=7200,
                                   preferredlifetime=3600))
    assert calls == [("20010db800010000", 0), ("20010db800010000", 1)]
    assert dut.stack.slaac.reserved_skipped == 1
    good = iid_address("2001:db8:1::", GOOD[0])
    assert iid_address("2001:db8:1::", reserved) not in addresses(dut)
    assert addresses(dut)[good]["state"] == "tentative"
    assert dut.expect(is_dad_probe, timeout_ms=1100)[ICMPv6ND_NS].tgt == good
    dut.advance(1010)
    assert addresses(dut)[good]["state"] == "preferred"
