"""IPv4 reassembly on receive (RFC 791 3.2, RFC 815, RFC 1122 3.2.1.4): fragments cut by Scapy's fragment()
arrive in every order and are answered as one datagram; overlaps with different octets, totals over 65,535 and
timeouts discard the datagram with a counted reason; a timeout after fragment 0 sends ICMP Time Exceeded code 1.
The DUT's reassembly timeout is PICO_IPV4_REASSEMBLY_TIMEOUT_MS (60 s by default, the lower end of RFC 1122 3.2.1.4)."""
import picotcp
import pytest
from scapy.all import ICMP, IP, IPerror, Ether, fragment, raw

pytestmark = pytest.mark.skipif(not picotcp.modules().get("ipv4_reassembly"),
                                reason="IPv4 reassembly is not built in")

TIMEOUT_MS = 60_000
DATA = bytes((i * 7 + 3) & 0xff for i in range(1200))  # 1,208 octets of ICMP: more than EMTU_R's 576


def echo_request(dut, ident, data=DATA, ip_id=0x5151):
    return IP(src=dut.peer_ip, dst=dut.ip, id=ip_id) / ICMP(id=ident, seq=1) / data


def eth(dut, pkt):
    return Ether(src=dut.peer_mac, dst=dut.mac) / pkt


def is_echo_reply(ident):
    return lambda f: ICMP in f and f[ICMP].type == 0 and f[ICMP].id == ident


def is_time_exceeded(f):
    return ICMP in f and f[ICMP].type == 11


ORDERS = {
    "in-order": lambda frags: frags,
    "reversed": lambda frags: list(reversed(frags)),
    "last-first": lambda frags: [frags[-1]] + frags[:-1],
    "with-duplicates": lambda frags: [frags[1], frags[0], frags[1], frags[0], frags[2]],
}


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.requirement("RFC791:R12", "RFC791:1122-3.2.1.4-a")
def test_fragmented_echo_is_reassembled(dut, order):
    """
    Purpose: the fragments of one datagram, in any order and with duplicates, are reassembled and the whole
        datagram is delivered once, exactly like an unfragmented one (EMTU_R above 576 octets).
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request with 1,200 data octets (1,228-octet datagram) cut by Scapy fragment() into
        fragments of 480 data octets (three), sent in the order `order`.
    Judgement: exactly one echo reply, unfragmented, whose data equals the request's; no ipv4 drop; icmp4 rx 1.
    Reference: RFC 791 section 3.2; RFC 1122 section 3.2.1.4; RFC 792 (echo data returned unchanged).
    """
    dut.prime_arp()
    frags = fragment(echo_request(dut, 0x61), fragsize=480)
    assert len(frags) == 3
    for f in ORDERS[order](frags):
        dut.send(eth(dut, f))
    reply = dut.expect(is_echo_reply(0x61), timeout_ms=100, what="one echo reply for the reassembled request")
    assert reply[IP].flags.MF == 0 and reply[IP].frag == 0
    assert reply[IP].len == 20 + 8 + len(DATA)
    assert raw(reply[ICMP])[8:] == DATA
    dut.expect_silence(timeout_ms=300)
    assert dut.counter("icmp4", "rx") == 1
    assert sum(dut.stats()["ipv4"]["drop"].values()) == sum(dut._baseline["ipv4"]["drop"].values())


@pytest.mark.requirement("RFC791:R12", "RFC791:R14")
def test_overlap_with_different_data_discards_the_datagram(dut):
    """
    Purpose: a fragment that overlaps octets already received with different values discards the whole
        datagram (RFC 5722's rule, applied to IPv4 as Linux does): no version of the octets is delivered.
    Setup: fresh DUT, ARP primed.
    Procedure: fragment 0 (data octets 0..479) of an echo request; then a forged fragment at offset 240 with
        480 octets whose first octet differs; then the remaining genuine fragments.
    Judgement: no echo reply; ipv4 FragmentOverlap +1.
    Reference: RFC 791 section 3.2; RFC 5722 section 4 (the same rule for IPv6).
    """
    dut.prime_arp()
    frags = fragment(echo_request(dut, 0x62), fragsize=480)
    whole = raw(echo_request(dut, 0x62)[ICMP])
    forged_data = bytes([whole[240] ^ 0xff]) + whole[241:720]
    forged = IP(src=dut.peer_ip, dst=dut.ip, id=0x5151, proto=1, flags="MF", frag=240 // 8) / forged_data
    dut.send(eth(dut, frags[0]))
    dut.send(eth(dut, forged))
    for f in frags[1:]:
        dut.send(eth(dut, f))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "FragmentOverlap")
    assert dut.counter("icmp4", "rx") == 0


@pytest.mark.requirement("RFC791:R14")
def test_total_beyond_65535_is_refused(dut):
    """
    Purpose: a fragment whose offset plus length would make the datagram longer than 65,535 octets (the
        largest Total Length; the "ping of death" and picoTCP's reassembly heap overflow) is dropped with its
        datagram, never written anywhere.
    Setup: fresh DUT, ARP primed.
    Procedure: fragment 0 of an echo request; then a last fragment at offset 65,512 with 24 octets
        (20 + 65,512 + 24 = 65,556).
    Judgement: silence; ipv4 FragmentOverflow +1; a later genuine last fragment does not complete anything.
    Reference: RFC 791 section 3.1 (Total Length), section 3.2.
    """
    dut.prime_arp()
    frags = fragment(echo_request(dut, 0x63), fragsize=480)
    dut.send(eth(dut, frags[0]))
    dut.send(eth(dut, IP(src=dut.peer_ip, dst=dut.ip, id=0x5151, proto=1, frag=65512 // 8) / (b"\xaa" * 24)))
    for f in frags[1:]:
        dut.send(eth(dut, f))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "FragmentOverflow")
    assert dut.counter("icmp4", "rx") == 0


@pytest.mark.requirement("RFC791:1122-3.2.1.4-b")
def test_timeout_after_fragment_zero_sends_time_exceeded(dut):
    """
    Purpose: an incomplete datagram is discarded when the reassembly timer expires, and since fragment 0 was
        received, an ICMP Time Exceeded with code 1 (fragment reassembly time exceeded) goes to the source.
    Setup: fresh DUT, ARP primed; the peer answers the DUT's ARP requests (its entry ages out with the timer).
    Procedure: fragments 0 and 1 of a three-fragment echo request; wait.
    Judgement: nothing before the timeout (60 s); then one ICMP type 11 code 1 to the peer quoting fragment
        0's IP header (id 0x5151, MF set, offset 0) and its first 8 data octets (the echo header); ipv4
        ReassemblyTimeout +1.
    Reference: RFC 1122 section 3.2.1.4; RFC 792 (Time Exceeded, code 1).
    """
    dut.prime_arp()
    dut.answer_arp()
    frags = fragment(echo_request(dut, 0x64), fragsize=480)
    dut.send(eth(dut, frags[0]))
    dut.send(eth(dut, frags[1]))
    dut.expect_silence(timeout_ms=TIMEOUT_MS - 100)
    error = dut.expect(is_time_exceeded, timeout_ms=200, what="ICMP Time Exceeded after the reassembly timeout")
    assert error[ICMP].code == 1
    assert error[IP].dst == dut.peer_ip and error[IP].src == dut.ip
    quoted = error[IPerror]
    assert quoted.id == 0x5151 and quoted.flags.MF == 1 and quoted.frag == 0
    assert raw(error[ICMP])[8 + 20:8 + 28] == raw(frags[0])[20:28]
    dut.assert_dropped("ipv4", "ReassemblyTimeout")


@pytest.mark.requirement("RFC791:1122-3.2.1.4-b")
def test_timeout_without_fragment_zero_is_silent(dut):
    """
    Purpose: without fragment 0 the datagram is discarded on timeout but no Time Exceeded is sent (the error
        could not quote the header and first octets the source needs to match it).
    Setup: fresh DUT, ARP primed.
    Procedure: fragments 1 and 2 of a three-fragment echo request; wait past the timeout.
    Judgement: silence throughout; ipv4 ReassemblyTimeout +1.
    Reference: RFC 1122 section 3.2.1.4.
    """
    dut.prime_arp()
    frags = fragment(echo_request(dut, 0x65), fragsize=480)
    dut.send(eth(dut, frags[1]))
    dut.send(eth(dut, frags[2]))
    dut.expect_silence(timeout_ms=TIMEOUT_MS + 500)
    dut.assert_dropped("ipv4", "ReassemblyTimeout")


@pytest.mark.requirement("RFC791:R14")
def test_fragment_flood_evicts_oldest_and_new_datagram_completes(dut):
    """
    Purpose: the reassembly slots are bounded; a flood of incomplete datagrams evicts the oldest (counted) and
        cannot keep a new, complete datagram from being reassembled.
    Setup: fresh DUT, ARP primed.
    Procedure: first fragments of 20 different datagrams (ids 0x100..0x113), never completed; then all
        fragments of an echo request (id 0x5151).
    Judgement: one echo reply for the request; ipv4 ReassemblyEvicted +17 (21 datagrams through 4
        slots); the pool is not exhausted (no PoolExhausted drop anywhere).
    Reference: RFC 791 section 3.2 (resources for reassembly are bounded by the host).
    """
    dut.prime_arp()
    for i in range(20):
        junk = fragment(echo_request(dut, 0x66, ip_id=0x100 + i), fragsize=480)
        dut.send(eth(dut, junk[0]))
    for f in fragment(echo_request(dut, 0x67), fragsize=480):
        dut.send(eth(dut, f))
    dut.expect(is_echo_reply(0x67), timeout_ms=100, what="the echo reply despite the flood")
    assert dut.dropped("ipv4", "ReassemblyEvicted") == 20 + 1 - 4  # PICO_IPV4_REASSEMBLY_SLOTS 4 (default)
    assert dut.dropped("ipv4", "PoolExhausted") == 0
