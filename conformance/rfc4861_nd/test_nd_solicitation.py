"""RFC 4861 Neighbor Solicitation and Advertisement: validation (7.1), answers (7.2.3, 7.2.4), address resolution
(7.2.2), the NA update rules (7.2.5) and the NUD state machine (7.3.3), against the DUT with IPv6 enabled."""
import pytest
from scapy.all import Ether, Raw, raw
from scapy.layers.inet6 import (
    IPv6,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
)

OTHER_IP = "2001:db8::5"
OTHER_MAC = "02:00:00:00:00:05"
SOLICITED_DUT = "ff02::1:ff00:2"


def in6_ptop_bytes(text):
    import ipaddress

    return ipaddress.IPv6Address(text).packed


def ns(dut, src=None, dst=SOLICITED_DUT, tgt=None, hlim=255, slla=True, code=0, lladdr=None):
    src = dut.peer_ip6 if src is None else src
    link_dst = "33:33:" + ":".join("%02x" % b for b in in6_ptop_bytes(dst)[12:]) if dst.startswith("ff") else dut.mac
    pkt = Ether(src=dut.peer_mac, dst=link_dst) / IPv6(src=src, dst=dst, hlim=hlim) / ICMPv6ND_NS(tgt=tgt or dut.ip6, code=code)
    if slla:
        pkt = pkt / ICMPv6NDOptSrcLLAddr(lladdr=lladdr or dut.peer_mac)
    return pkt


def na(dut, tgt, mac, S=1, O=1, R=0, dst=None, tlla=True, hlim=255, src=None):
    src = src or (OTHER_IP if tgt.startswith("ff") else tgt)
    pkt = Ether(src=mac, dst=dut.mac) / IPv6(src=src, dst=dst or dut.ip6, hlim=hlim) / ICMPv6ND_NA(tgt=tgt, R=R, S=S, O=O)
    if tlla:
        pkt = pkt / ICMPv6NDOptDstLLAddr(lladdr=mac)
    return pkt


def is_na(frame):
    return ICMPv6ND_NA in frame


def is_ns_for(target):
    return lambda f: ICMPv6ND_NS in f and f[ICMPv6ND_NS].tgt == target


def echo_from(dut, src, mac, seq=1):
    return Ether(src=mac, dst=dut.mac) / IPv6(src=src, dst=dut.ip6) / ICMPv6EchoRequest(id=7, seq=seq)


@pytest.mark.requirement(
    "RFC4861:R7.2.4-unicast",
    "RFC4861:R7.2.4-tlla",
    "RFC4861:R7.2.4-router-flag",
    "RFC4861:R7.2.4-override",
    "RFC4861:R4.4-reserved",
    "RFC4861:R4.4-tlla-multicast",
    "RFC4861:R7.2.3-create",
    "RFC4861:R7.2.1-join",
)
def test_solicitation_is_answered(dut):
    """Purpose: a valid multicast NS for our address is answered with a solicited NA.
    Setup: DUT with IPv6 (2001:db8::2/64).
    Procedure: the peer sends an NS from 2001:db8::1 to the solicited-node group ff02::1:ff00:2 with its SLLA.
    Judgement: one NA from 2001:db8::2 to 2001:db8::1, hop limit 255, R=0 S=1 O=1, reserved 0, TLLA = DUT MAC; the
    DUT now holds a cache entry for the peer (created STALE; the NA it sent moved it to DELAY, 7.3.3).
    Reference: RFC 4861 7.2.3, 7.2.4, 4.4; 7.2.1 (solicited-node group accepted)."""
    dut.enable_ipv6()
    dut.send(ns(dut))
    reply = dut.expect(is_na, timeout_ms=100, what="a Neighbor Advertisement")
    assert reply.dst == dut.peer_mac
    assert reply[IPv6].src == dut.ip6 and reply[IPv6].dst == dut.peer_ip6
    assert reply[IPv6].hlim == 255
    adv = reply[ICMPv6ND_NA]
    assert (adv.R, adv.S, adv.O, adv.res) == (0, 1, 1, 0)
    assert adv.tgt == dut.ip6
    assert reply[ICMPv6NDOptDstLLAddr].lladdr == dut.mac
    entry = dut.stack.nd.neighbor(dut.eth, dut.peer_ip6)
    assert entry is not None and entry["mac"] == dut.peer_mac and entry["router"] is False
    assert entry["state"] == "DELAY"


@pytest.mark.requirement("RFC4861:R7.2.4-dad", "RFC4861:R4.4-s-multicast", "RFC4861:R7.2.3-unspecified")
def test_dad_probe_for_our_address_is_answered_to_all_nodes(dut):
    """Purpose: an NS from :: (another node's DAD) for our address gets S=0 to all-nodes, and teaches nothing.
    Setup: DUT with IPv6.
    Procedure: NS from :: to ff02::1:ff00:2 for 2001:db8::2, no options.
    Judgement: NA to ff02::1 (33:33:00:00:00:01) with S=0, O=1 and the TLLA; no Neighbor Cache entry for ::.
    Reference: RFC 4861 7.2.4, 4.4, 7.2.3."""
    dut.enable_ipv6()
    dut.send(ns(dut, src="::", slla=False))
    reply = dut.expect(is_na, timeout_ms=100)
    assert reply.dst == "33:33:00:00:00:01"
    assert reply[IPv6].dst == "ff02::1" and reply[IPv6].hlim == 255
    assert (reply[ICMPv6ND_NA].S, reply[ICMPv6ND_NA].O) == (0, 1)
    assert reply[ICMPv6NDOptDstLLAddr].lladdr == dut.mac
    assert dut.stack.nd.neighbors(dut.eth) == []


def _short_ns(dut):
    # 20 octets of ICMPv6: type, code, checksum, reserved and only 12 bytes of target
    body = bytearray(raw(ICMPv6ND_NS(tgt=dut.ip6)))[:20]
    pkt = Ether(src=dut.peer_mac, dst="33:33:ff:00:00:02") / IPv6(src=dut.peer_ip6, dst=SOLICITED_DUT, hlim=255, nh=58)
    from scapy.layers.inet6 import in6_chksum

    body[2:4] = b"\x00\x00"
    c = in6_chksum(58, pkt[IPv6], bytes(body))
    body[2:4] = c.to_bytes(2, "big")
    return pkt / Raw(bytes(body))


def _zero_length_option(dut):
    p = ns(dut)
    p[ICMPv6NDOptSrcLLAddr].len = 0
    return p


def _bad_checksum(dut):
    p = ns(dut)
    p[ICMPv6ND_NS].cksum = 0x1234
    return p


INVALID_NS = [
    ("hop-limit-254", lambda d: ns(d, hlim=254), "nd", "BadHopLimit", "RFC4861:R7.1.1-hoplimit"),
    ("code-1", lambda d: ns(d, code=1), "nd", "BadOperation", "RFC4861:R7.1.1-code"),
    ("length-20", _short_ns, "nd", "BadLength", "RFC4861:R7.1.1-length"),
    ("multicast-target", lambda d: ns(d, tgt="ff02::1"), "nd", "BadAddress", "RFC4861:R7.1.1-target"),
    ("option-length-0", _zero_length_option, "nd", "BadOption", "RFC4861:R7.1.1-options"),
    ("dad-to-unicast", lambda d: ns(d, src="::", dst=d.ip6, slla=False), "nd", "BadAddress", "RFC4861:R7.1.1-dad-destination"),
    ("dad-with-slla", lambda d: ns(d, src="::"), "nd", "BadOption", "RFC4861:R7.1.1-dad-slla"),
    ("bad-checksum", _bad_checksum, "icmp6", "BadChecksum", "RFC4861:R7.1.1-checksum"),
    ("not-our-target", lambda d: ns(d, tgt="2001:db8:1::2"), "nd", "NotForUs", "RFC4861:R7.2.3-target"),
]


@pytest.mark.parametrize("name,build,module,reason,req", INVALID_NS, ids=[c[0] for c in INVALID_NS])
@pytest.mark.requirement(
    "RFC4861:R7.1.1-hoplimit",
    "RFC4861:R7.1.1-code",
    "RFC4861:R7.1.1-length",
    "RFC4861:R7.1.1-target",
    "RFC4861:R7.1.1-options",
    "RFC4861:R7.1.1-dad-destination",
    "RFC4861:R7.1.1-dad-slla",
    "RFC4861:R7.1.1-checksum",
    "RFC4861:R7.2.3-target",
    "RFC4861:R4.6-length-zero",
)
def test_invalid_solicitation_is_discarded(dut, name, build, module, reason, req):
    """Purpose: every NS failing a 7.1.1 check (or not for one of our addresses, 7.2.3) is silently discarded.
    Setup: DUT with IPv6.
    Procedure: one NS, valid except for the one defect named by the case (hop limit 254, code 1, 20 octets, multicast
    target, an option of length 0, from :: to a unicast address, from :: with an SLLA, bad checksum, foreign target).
    Judgement: no frame from the DUT within 1 s, exactly one drop with the expected reason, no cache entry created.
    Reference: RFC 4861 7.1.1, 7.2.3, 4.6."""
    dut.enable_ipv6()
    dut.send(build(dut))
    dut.expect_silence(timeout_ms=1000)
    dut.assert_dropped(module, reason)
    assert dut.stack.nd.neighbors(dut.eth) == []


@pytest.mark.requirement("RFC4861:R4.6-unknown", "RFC4861:R7.1.1-ignore", "RFC4861:R4.3-reserved", "RFC4861:R4.6.1-tlla-elsewhere")
def test_unknown_option_and_reserved_bits_are_ignored(dut):
    """Purpose: reserved bits, an unrecognised option and a TLLA (not defined for NS) do not stop NS processing.
    Setup: DUT with IPv6.
    Procedure: NS with Reserved = 0xffffffff, an option of type 250 (8 octets), a TLLA option and the SLLA last.
    Judgement: the DUT answers with a solicited NA to the peer, and caches the SLLA's address.
    Reference: RFC 4861 4.6, 4.3, 4.6.1, 7.1.1."""
    dut.enable_ipv6()
    unknown = Raw(bytes([250, 1, 0, 0, 0, 0, 0, 0]))
    pkt = (
        Ether(src=dut.peer_mac, dst="33:33:ff:00:00:02")
        / IPv6(src=dut.peer_ip6, dst=SOLICITED_DUT, hlim=255)
        / ICMPv6ND_NS(tgt=dut.ip6, res=0xFFFFFFFF)
        / unknown
        / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:99")
        / ICMPv6NDOptSrcLLAddr(lladdr=dut.peer_mac)
    )
    dut.send(pkt)
    reply = dut.expect(is_na, timeout_ms=100)
    assert reply[ICMPv6ND_NA].S == 1 and reply.dst == dut.peer_mac
    assert dut.stack.nd.lookup(dut.eth, dut.peer_ip6) == dut.peer_mac


@pytest.mark.requirement("RFC4861:R7.2.3-changed", "RFC4861:R7.3.3-stale-created")
def test_solicitation_with_new_address_makes_entry_stale(dut):
    """Purpose: an NS whose SLLA differs from the cached address replaces it and makes the entry STALE.
    Setup: DUT with IPv6; the peer's entry resolved REACHABLE through an echo exchange.
    Procedure: the peer sends an NS with SLLA 02:00:00:00:00:66.
    Judgement: the entry holds 02:00:00:00:00:66 and the NA answering goes to that address (entry STALE -> DELAY).
    Reference: RFC 4861 7.2.3, 7.3.3."""
    dut.enable_ipv6()
    dut.send(echo_from(dut, dut.peer_ip6, dut.peer_mac))
    dut.expect(lambda f: ICMPv6EchoReply in f, timeout_ms=100)
    assert dut.stack.nd.neighbor(dut.eth, dut.peer_ip6)["state"] == "REACHABLE"
    dut.send(ns(dut, lladdr="02:00:00:00:00:66"))
    reply = dut.expect(is_na, timeout_ms=100)
    assert reply.dst == "02:00:00:00:00:66"
    entry = dut.stack.nd.neighbor(dut.eth, dut.peer_ip6)
    assert entry["mac"] == "02:00:00:00:00:66" and entry["state"] == "DELAY"


@pytest.mark.requirement(
    "RFC4861:R5.2-resolution",
    "RFC4861:R7.2.2-slla",
    "RFC4861:R4.3-slla-multicast",
    "RFC4861:R7.2.2-source",
    "RFC4861:R7.2.2-queue",
    "RFC4861:R7.2.2-queue-replace",
    "RFC4861:R7.2.5-incomplete",
)
def test_address_resolution_queues_latest_packet(dut):
    """Purpose: an unknown on-link next hop is resolved with a multicast NS while the newest packets wait in a
    small queue (nd_queue_per_entry, 3 by default); the oldest is replaced when it overflows.
    Setup: DUT with IPv6; nobody answers for 2001:db8::5.
    Procedure: queue + 1 echo requests from 2001:db8::5 arrive (seq 1, 2, ...); the DUT must resolve 2001:db8::5 to
    answer. Then a solicited NA with TLLA 02:00:00:00:00:05.
    Judgement: one NS to ff02::1:ff00:5 (33:33:ff:00:00:05), source 2001:db8::2 (the reply's source), hop limit 255,
    target 2001:db8::5, SLLA = DUT MAC; after the NA exactly the newest `queue` echo replies, seq 2.., in order, to
    02:00:00:00:00:05; one QueueFull drop; the entry is REACHABLE.
    Reference: RFC 4861 7.2.2, 7.2.5, 5.2."""
    dut.enable_ipv6()
    queue = dut.stack.nd.capacity["queue_per_entry"]
    dut.send(echo_from(dut, OTHER_IP, OTHER_MAC, seq=1))
    solicitation = dut.expect(is_ns_for(OTHER_IP), timeout_ms=100)
    assert solicitation.dst == "33:33:ff:00:00:05"
    assert solicitation[IPv6].dst == "ff02::1:ff00:5" and solicitation[IPv6].src == dut.ip6
    assert solicitation[IPv6].hlim == 255 and solicitation[ICMPv6ND_NS].res == 0
    assert solicitation[ICMPv6NDOptSrcLLAddr].lladdr == dut.mac
    for seq in range(2, queue + 2):
        dut.send(echo_from(dut, OTHER_IP, OTHER_MAC, seq=seq))
    dut.assert_dropped("nd", "QueueFull")
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "INCOMPLETE"
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["queued"] == queue
    dut.send(na(dut, OTHER_IP, OTHER_MAC))
    replies = [f for f in dut.receive(100) if ICMPv6EchoReply in f]
    assert [f[ICMPv6EchoReply].seq for f in replies] == list(range(2, queue + 2))
    assert replies[0].dst == OTHER_MAC
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "REACHABLE"


@pytest.mark.requirement("RFC4861:R7.2.2-retransmit", "RFC4861:R7.2.2-rate", "RFC4861:R7.3.3-rate")
def test_resolution_retransmits_then_fails(dut):
    """Purpose: unanswered resolution sends MAX_MULTICAST_SOLICIT (3) NS, RetransTimer (1 s) apart, then gives up.
    Setup: DUT with IPv6; nobody answers for 2001:db8::5.
    Procedure: an echo request from 2001:db8::5 (reply needs resolution); a second one 300 ms later; wait 5 s.
    Judgement: exactly 3 NS for 2001:db8::5 at t0, t0+1000, t0+2000 ms (the second packet sends none); the entry
    is gone after t0+3000 ms; both queued replies are dropped as Unresolved (the queue holds both).
    Reference: RFC 4861 7.2.2, 7.3.3."""
    dut.enable_ipv6()
    dut.send(echo_from(dut, OTHER_IP, OTHER_MAC, seq=1))
    t0 = dut.now_ms
    dut.advance(300)
    dut.send(echo_from(dut, OTHER_IP, OTHER_MAC, seq=2))
    dut.receive(5000)
    times = [t for (t, d, f) in dut.log if d == "out" and ICMPv6ND_NS in f and f[ICMPv6ND_NS].tgt == OTHER_IP]
    assert [t - t0 for t in times] == [0, 1000, 2000]
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP) is None
    dut.assert_dropped("nd", "Unresolved", 2)
    dut.assert_dropped("nd", "QueueFull", 0)


@pytest.mark.requirement("RFC4861:R7.2.5-incomplete-no-tlla", "RFC4861:R7.2.5-no-entry", "RFC4861:R4.6.1-slla-elsewhere")
def test_advertisement_without_tlla_or_entry_changes_nothing(dut):
    """Purpose: an NA without TLLA for an INCOMPLETE entry is discarded; an NA for an unknown target creates nothing.
    Setup: DUT with IPv6, resolving 2001:db8::5 (echo request from it).
    Procedure: NA for 2001:db8::5 with S=1 and no TLLA (an SLLA instead, not defined for NA); NA for 2001:db8::77.
    Judgement: 2001:db8::5 stays INCOMPLETE (drop BadOption), no entry for 2001:db8::77 (drop NotForUs), no reply.
    Reference: RFC 4861 7.2.5, 4.6.1."""
    dut.enable_ipv6()
    dut.send(echo_from(dut, OTHER_IP, OTHER_MAC))
    dut.expect(is_ns_for(OTHER_IP), timeout_ms=100)
    dut.send(na(dut, OTHER_IP, OTHER_MAC, tlla=False) / ICMPv6NDOptSrcLLAddr(lladdr=OTHER_MAC))
    dut.assert_dropped("nd", "BadOption")
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "INCOMPLETE"
    dut.send(na(dut, "2001:db8::77", "02:00:00:00:00:77", S=0, dst="ff02::1"))
    dut.assert_dropped("nd", "NotForUs")
    assert dut.stack.nd.neighbor(dut.eth, "2001:db8::77") is None
    dut.expect_silence(timeout_ms=500, predicate=lambda f: ICMPv6EchoReply in f)


INVALID_NA = [
    ("hop-limit-254", dict(hlim=254), "BadHopLimit", "RFC4861:R7.1.2-hoplimit"),
    ("solicited-to-multicast", dict(dst="ff02::1"), "BadFlags", "RFC4861:R7.1.2-solicited"),
    ("multicast-target", dict(tgt="ff02::1"), "BadAddress", "RFC4861:R7.1.2-target"),
]


@pytest.mark.parametrize("name,fields,reason,req", INVALID_NA, ids=[c[0] for c in INVALID_NA])
@pytest.mark.requirement("RFC4861:R7.1.2-hoplimit", "RFC4861:R7.1.2-solicited", "RFC4861:R7.1.2-target")
def test_invalid_advertisement_is_discarded(dut, name, fields, reason, req):
    """Purpose: an NA failing a 7.1.2 check does not resolve a waiting entry.
    Setup: DUT with IPv6, resolving 2001:db8::5.
    Procedure: a solicited NA for 2001:db8::5 with TLLA, defective as the case says (hop limit 254, S=1 to
    ff02::1, multicast target).
    Judgement: the entry stays INCOMPLETE, no echo reply leaves, one drop with the expected reason.
    Reference: RFC 4861 7.1.2."""
    dut.enable_ipv6()
    dut.send(echo_from(dut, OTHER_IP, OTHER_MAC))
    dut.expect(is_ns_for(OTHER_IP), timeout_ms=100)
    tgt = fields.pop("tgt", OTHER_IP)
    dut.send(na(dut, tgt, OTHER_MAC, **fields))
    dut.assert_dropped("nd", reason)
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "INCOMPLETE"
    dut.expect_silence(timeout_ms=500, predicate=lambda f: ICMPv6EchoReply in f)


def _na_bad(dut, how):
    p = na(dut, OTHER_IP, OTHER_MAC)
    if how == "code":
        p[ICMPv6ND_NA].code = 1
    elif how == "checksum":
        p[ICMPv6ND_NA].cksum = 0x1234
    elif how == "option":
        p[ICMPv6NDOptDstLLAddr].len = 0
    return p


@pytest.mark.parametrize("how,module,reason", [("code", "nd", "BadOperation"), ("checksum", "icmp6", "BadChecksum"), ("option", "nd", "BadOption")])
@pytest.mark.requirement("RFC4861:R7.1.2-code", "RFC4861:R7.1.2-checksum", "RFC4861:R7.1.2-options", "RFC4861:R4.6-length-zero")
def test_malformed_advertisement_is_discarded(dut, how, module, reason):
    """Purpose: an NA with code 1, a bad checksum or an option of length 0 is silently discarded.
    Setup: DUT with IPv6, resolving 2001:db8::5.
    Procedure: a solicited NA for 2001:db8::5 with TLLA and the defect.
    Judgement: the entry stays INCOMPLETE, one drop with the expected reason.
    Reference: RFC 4861 7.1.2, 4.6."""
    dut.enable_ipv6()
    dut.send(echo_from(dut, OTHER_IP, OTHER_MAC))
    dut.expect(is_ns_for(OTHER_IP), timeout_ms=100)
    dut.send(_na_bad(dut, how))
    dut.assert_dropped(module, reason)
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "INCOMPLETE"


def _resolved(dut):
    dut.send(echo_from(dut, OTHER_IP, OTHER_MAC))
    dut.expect(is_ns_for(OTHER_IP), timeout_ms=100)
    dut.send(na(dut, OTHER_IP, OTHER_MAC))
    dut.expect(lambda f: ICMPv6EchoReply in f, timeout_ms=100)
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "REACHABLE"


@pytest.mark.requirement(
    "RFC4861:R7.2.5-override-reachable",
    "RFC4861:R7.2.5-override-ignore",
    "RFC4861:R7.2.5-update-lla",
    "RFC4861:R7.2.5-solicited",
    "RFC4861:R7.2.5-unsolicited-changed",
    "RFC4861:R7.2.5-isrouter",
)
def test_advertisement_update_rules(dut):
    """Purpose: the 7.2.5 rules for an entry that is not INCOMPLETE, step by step.
    Setup: DUT with IPv6; 2001:db8::5 resolved REACHABLE at 02:00:00:00:00:05.
    Procedure and judgement: (1) O=0, S=1, other MAC -> STALE, MAC kept; (2) the same again -> ignored; (3) O=1,
    S=1, other MAC -> REACHABLE with the new MAC; (4) O=1, S=0, first MAC, to all-nodes -> STALE with that MAC;
    (5) O=1, S=1, R=1 -> REACHABLE, router flag set.
    Reference: RFC 4861 7.2.5."""
    dut.enable_ipv6()
    _resolved(dut)
    other = "02:00:00:00:00:06"

    def entry():
        return dut.stack.nd.neighbor(dut.eth, OTHER_IP)

    dut.send(na(dut, OTHER_IP, other, S=1, O=0))
    assert (entry()["state"], entry()["mac"]) == ("STALE", OTHER_MAC)
    dut.send(na(dut, OTHER_IP, other, S=1, O=0))
    assert (entry()["state"], entry()["mac"]) == ("STALE", OTHER_MAC)
    dut.send(na(dut, OTHER_IP, other, S=1, O=1))
    assert (entry()["state"], entry()["mac"]) == ("REACHABLE", other)
    dut.send(na(dut, OTHER_IP, OTHER_MAC, S=0, O=1, dst="ff02::1"))
    assert (entry()["state"], entry()["mac"]) == ("STALE", OTHER_MAC)
    dut.send(na(dut, OTHER_IP, OTHER_MAC, S=1, O=1, R=1))
    assert (entry()["state"], entry()["router"]) == ("REACHABLE", True)


@pytest.mark.requirement(
    "RFC4861:R7.3.3-reachable-stale",
    "RFC4861:R7.3.3-delay",
    "RFC4861:R7.3.3-probe",
    "RFC4861:R7.3.3-delete",
    "RFC4861:R7.3.3-rate",
)
def test_neighbor_unreachability_detection(dut):
    """Purpose: REACHABLE -> STALE -> DELAY -> PROBE -> deleted, with unicast probes to the cached address.
    Setup: DUT with IPv6; 2001:db8::5 resolved REACHABLE.
    Procedure: wait ReachableTime; an echo request from 2001:db8::5 (the reply is sent at once); wait 10 s.
    Judgement: STALE after ReachableTime; the reply goes to the cached MAC and the entry is DELAY; 5 s later 3 unicast
    NS (to 2001:db8::5 and its MAC, hop limit 255) 1 s apart; 1 s after the third the entry is gone.
    Reference: RFC 4861 7.3.3 (DELAY_FIRST_PROBE_TIME 5 s, MAX_UNICAST_SOLICIT 3, RetransTimer 1 s)."""
    dut.enable_ipv6()
    _resolved(dut)
    reachable = dut.stack.nd.reachable_time(dut.eth)
    assert 15000 <= reachable <= 45000
    dut.advance(reachable)
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "STALE"
    dut.send(echo_from(dut, OTHER_IP, OTHER_MAC, seq=9))
    reply = dut.expect(lambda f: ICMPv6EchoReply in f, timeout_ms=10)
    assert reply.dst == OTHER_MAC
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "DELAY"
    t0 = dut.now_ms
    dut.receive(10000)
    probes = [(t, f) for (t, d, f) in dut.log if d == "out" and ICMPv6ND_NS in f and t >= t0]
    assert [t - t0 for t, _ in probes] == [5000, 6000, 7000]
    for _, f in probes:
        assert f.dst == OTHER_MAC and f[IPv6].dst == OTHER_IP and f[IPv6].hlim == 255
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP) is None


@pytest.mark.requirement("RFC4861:R7.3.1-unsolicited")
def test_unsolicited_advertisement_is_not_confirmation(dut):
    """Purpose: an unsolicited NA (S=0, same address) does not make a STALE entry REACHABLE.
    Setup: DUT with IPv6; 2001:db8::5 resolved, then left to become STALE.
    Procedure: NA for 2001:db8::5, S=0, O=1, same TLLA, to all-nodes.
    Judgement: the entry is still STALE.
    Reference: RFC 4861 7.3.1, 7.2.5."""
    dut.enable_ipv6()
    _resolved(dut)
    dut.advance(dut.stack.nd.reachable_time(dut.eth))
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "STALE"
    dut.send(na(dut, OTHER_IP, OTHER_MAC, S=0, O=1, dst="ff02::1"))
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "STALE"


@pytest.mark.requirement("RFC4861:R7.2.2-queue")
def test_neighbor_cache_flood_is_bounded(dut):
    """Purpose: a flood of NS from many sources cannot grow the Neighbor Cache past its capacity.
    Setup: DUT with IPv6.
    Procedure: 3 x capacity NS for 2001:db8::2, each from a different 2001:db8::1:n with its own SLLA.
    Judgement: every NS is answered; the cache holds exactly `capacity` entries; evictions = 2 x capacity; the
    newest source is cached, the first one is not.
    Reference: RFC 4861 7.2.3 (entries created STALE), 5 (bounded conceptual data structures)."""
    dut.enable_ipv6()
    cap = dut.stack.nd.capacity["neighbors"]
    for n in range(3 * cap):
        mac = "02:00:00:01:%02x:%02x" % (n >> 8, n & 0xFF)
        dut.send(ns(dut, src="2001:db8::1:%x" % (n + 1), lladdr=mac))
    answers = [f for f in dut.receive(0) if ICMPv6ND_NA in f]
    assert len(answers) == 3 * cap
    assert len(dut.stack.nd.neighbors(dut.eth)) == cap
    assert dut.stack.nd.evictions == 2 * cap
    assert dut.stack.nd.neighbor(dut.eth, "2001:db8::1:%x" % (3 * cap)) is not None
    assert dut.stack.nd.neighbor(dut.eth, "2001:db8::1:1") is None
