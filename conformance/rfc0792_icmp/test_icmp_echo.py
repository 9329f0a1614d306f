"""The echo server and client, and ICMP messages the host must not answer (RFC 792, RFC 1122 3.2.2,
3.2.2.6-3.2.2.9)."""
import pytest
from scapy.all import ICMP, IP, Ether, raw
from scapy.utils import checksum

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"


def datagram(frame):
    """The IP datagram of a received frame, re-dissected without link padding."""
    return IP(raw(frame[IP])[:frame[IP].len])


def scapy_icmp_checksum(ip):
    copy = ip.copy()
    del copy[ICMP].chksum
    return IP(raw(copy))[ICMP].chksum


def scapy_ip_checksum(ip):
    copy = ip.copy()
    del copy.chksum
    return IP(raw(copy)).chksum


def echo_request(dut, ident, seq, data, dst=None, dst_mac=None, **ip):
    return (Ether(src=dut.peer_mac, dst=dst_mac or dut.mac) / IP(src=dut.peer_ip, dst=dst or dut.ip, **ip) /
            ICMP(type=8, code=0, id=ident, seq=seq) / data)


def is_echo_reply(frame):
    return ICMP in frame and frame[ICMP].type == 0


def pattern(length):
    return bytes((i * 7 + 3) & 0xFF for i in range(length))


@pytest.mark.parametrize("length", [0, 1, 7, 56, 1001, 1472])
@pytest.mark.requirement("RFC792:R1", "RFC792:R3", "RFC792:R4", "RFC792:1122-3.2.2.6-a", "RFC792:1122-3.2.2.6-d",
                         "RFC792:1122-3.2.2.6-e")
def test_echo_reply_returns_request_unchanged(dut, length):
    """
    Purpose: the echo server answers with the identifier, sequence number and every data byte of the
        request, from the address the request was sent to, with a correct ICMP checksum (odd lengths
        exercise the checksum's padding byte; 1472 bytes fills a 1500-byte MTU).
    Setup: fresh DUT, ARP primed.
    Procedure: echo request id 0xBEEF, seq `length`, `length` bytes of a non-repeating pattern.
    Judgement: exactly one frame: Ethernet to the peer's MAC from the DUT's; IP source 198.18.0.2,
        destination 198.18.0.1, protocol 1, TTL 64, valid header checksum; ICMP type 0 code 0, same id
        and seq, data byte-for-byte identical; ICMP checksum equal to the one Scapy recomputes after
        deleting it.
    Reference: RFC 792 "Echo or Echo Reply Message"; RFC 1122 3.2.2.6.
    """
    dut.prime_arp()
    data = pattern(length)
    dut.send(echo_request(dut, 0xBEEF, length, data))
    out = dut.receive(timeout_ms=50)
    assert len(out) == 1, [f.summary() for f in out]
    frame = out[0]
    assert (frame.dst, frame.src) == (dut.peer_mac, dut.mac)
    ip = datagram(frame)
    assert (ip.src, ip.dst, ip.proto, ip.ttl) == (dut.ip, dut.peer_ip, 1, 64)
    assert ip.chksum == scapy_ip_checksum(ip)
    icmp = ip[ICMP]
    assert (icmp.type, icmp.code, icmp.id, icmp.seq) == (0, 0, 0xBEEF, length)
    assert raw(icmp)[8:] == data
    assert icmp.chksum == scapy_icmp_checksum(ip)
    assert checksum(raw(icmp)) == 0


@pytest.mark.requirement("RFC792:R4", "RFC792:1122-3.2.2.6-a", "RFC826:R11")
def test_echo_reply_waits_for_address_resolution(dut):
    """
    Purpose: when the requester is not in the ARP cache the reply is not lost: the DUT resolves the
        requester and then sends the reply.
    Setup: fresh DUT, empty cache.
    Procedure: echo request id 1 seq 1 data b"resolve-me"; answer the DUT's ARP request.
    Judgement: first a broadcast ARP request for 198.18.0.1 (and nothing else); after the answer, the echo
        reply with id 1, seq 1, data b"resolve-me" to the peer's MAC.
    Reference: RFC 792; RFC 826 "Packet Generation"; RFC 1122 2.3.2.2.
    """
    from scapy.all import ARP
    dut.send(echo_request(dut, 1, 1, b"resolve-me"))
    out = dut.receive()
    assert len(out) == 1 and ARP in out[0] and out[0][ARP].pdst == dut.peer_ip, [f.summary() for f in out]
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) /
             ARP(op=2, hwsrc=dut.peer_mac, psrc=dut.peer_ip, hwdst=dut.mac, pdst=dut.ip))
    reply = dut.expect(is_echo_reply, timeout_ms=50, what="the echo reply")
    ip = datagram(reply)
    assert reply.dst == dut.peer_mac
    assert (ip[ICMP].id, ip[ICMP].seq, raw(ip[ICMP])[8:]) == (1, 1, b"resolve-me")


@pytest.mark.parametrize("destination", ["255.255.255.255", "198.18.0.255"], ids=["limited", "directed"])
@pytest.mark.requirement("RFC792:1122-3.2.2.6-c")
def test_echo_to_broadcast_is_not_answered(dut, destination):
    """
    Purpose: RFC 1122 lets a host silently discard an echo request sent to a broadcast address (MAY). This
        stack chooses to, so it cannot serve as a "smurf" amplifier; the test asserts that choice and its
        documented counter (icmp4 NotForUs).
    Setup: fresh DUT, ARP primed.
    Procedure: echo request to `destination` in an Ethernet broadcast frame.
    Judgement: silence; exactly one icmp4 NotForUs drop.
    Reference: RFC 1122 3.2.2.6.
    """
    dut.prime_arp()
    dut.send(echo_request(dut, 2, 2, b"smurf", dst=destination, dst_mac=BROADCAST_MAC))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("icmp4", "NotForUs")


@pytest.mark.parametrize("delta", [1, 0x8000], ids=["+1", "+0x8000"])
@pytest.mark.requirement("RFC792:R2")
def test_echo_with_bad_checksum_is_dropped(dut, delta):
    """
    Purpose: an echo request whose ICMP checksum does not verify is not answered.
    Setup: fresh DUT, ARP primed.
    Procedure: build the request, take the checksum Scapy computed, rebuild with ICMP(chksum=wrong),
        wrong = correct + delta mod 2^16.
    Judgement: silence; exactly one icmp4 BadChecksum drop.
    Reference: RFC 792 "Echo or Echo Reply Message" (Checksum).
    """
    dut.prime_arp()
    good = echo_request(dut, 3, 3, b"corrupted")
    correct = IP(raw(good[IP]))[ICMP].chksum
    bad = (Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
           ICMP(type=8, id=3, seq=3, chksum=(correct + delta) & 0xFFFF) / b"corrupted")
    dut.send(bad)
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("icmp4", "BadChecksum")


@pytest.mark.parametrize("length", [0, 4, 7])
@pytest.mark.requirement("RFC792:R3")
def test_truncated_echo_is_dropped(dut, length):
    """
    Purpose: an ICMP message shorter than the 8-byte echo header is not processed (it has no identifier
        and sequence number to return).
    Setup: fresh DUT, ARP primed.
    Procedure: a Scapy echo request header cut to `length` bytes; for 4 and 7 bytes its checksum field is
        recomputed over the bytes that remain, so the length is the only defect.
    Judgement: silence; exactly one icmp4 Truncated drop.
    Reference: RFC 792 "Echo or Echo Reply Message" (message format).
    """
    dut.prime_arp()
    message = bytearray(raw(ICMP(type=8, code=0, id=0x1111, seq=0x22, chksum=0))[:length])
    if length >= 4:
        message[2:4] = checksum(bytes(message)).to_bytes(2, "big")
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip, proto=1) / bytes(message))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("icmp4", "Truncated")


@pytest.mark.parametrize("icmp_type", [1, 7, 42, 255])
@pytest.mark.requirement("RFC792:1122-3.2.2-a")
def test_unknown_type_is_silently_discarded(dut, icmp_type):
    """
    Purpose: an ICMP message of a type the host does not know (unassigned 1, 7, 42, 255) is silently
        discarded.
    Setup: fresh DUT, ARP primed.
    Procedure: a checksum-valid ICMP message of type `icmp_type` with 8 data bytes.
    Judgement: silence; exactly one icmp4 BadOperation drop.
    Reference: RFC 1122 3.2.2.
    """
    dut.prime_arp()
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
             ICMP(type=icmp_type, code=0) / b"unknown!")
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("icmp4", "BadOperation")


@pytest.mark.requirement("RFC792:1122-3.2.2.8-a")
@pytest.mark.stack_choice("Timestamp is a MAY (RFC 1122 3.2.2.8) this stack does not implement; Linux does")
def test_timestamp_request_is_not_answered(dut):
    """
    Purpose: Timestamp is optional (MAY); this stack does not implement it (it would disclose the clock and
        nothing here needs it), so a request draws nothing; the test asserts that documented choice.
    Setup: fresh DUT, ARP primed.
    Procedure: ICMP timestamp request (type 13, id 5, seq 5, three timestamps).
    Judgement: silence; exactly one icmp4 BadOperation drop.
    Reference: RFC 1122 3.2.2.8.
    """
    dut.prime_arp()
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
             ICMP(type=13, id=5, seq=5, ts_ori=1000, ts_rx=0, ts_tx=0))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("icmp4", "BadOperation")


@pytest.mark.requirement("RFC792:1122-3.2.2.7-a")
def test_information_request_is_not_answered(dut):
    """
    Purpose: a host should not implement Information Request/Reply; a request draws nothing.
    Setup: fresh DUT, ARP primed.
    Procedure: ICMP information request (type 15, id 6, seq 6).
    Judgement: silence; exactly one icmp4 BadOperation drop.
    Reference: RFC 1122 3.2.2.7.
    """
    dut.prime_arp()
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) / ICMP(type=15, id=6, seq=6))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("icmp4", "BadOperation")


@pytest.mark.requirement("RFC792:1122-3.2.2.9-a")
def test_address_mask_request_is_not_answered(dut):
    """
    Purpose: a host that is not configured as an authoritative address-mask agent (this stack never is)
        sends no Address Mask Reply.
    Setup: fresh DUT, ARP primed.
    Procedure: ICMP address mask request (type 17, id 7, seq 7, mask 0.0.0.0).
    Judgement: silence; exactly one icmp4 BadOperation drop.
    Reference: RFC 1122 3.2.2.9.
    """
    dut.prime_arp()
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
             ICMP(type=17, id=7, seq=7, addr_mask="0.0.0.0"))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("icmp4", "BadOperation")


@pytest.mark.requirement("RFC792:1122-3.2.2.6-b", "RFC792:R1")
def test_ping_client_sends_request_and_reports_reply(dut):
    """
    Purpose: the application interface sends an echo request and reports the matching reply.
    Setup: fresh DUT, ARP primed.
    Procedure: stack.icmp4.ping(198.18.0.1, id=0x0707, seq=42, payload=b"are you there"); the peer answers
        with an echo reply carrying the same id, seq and data.
    Judgement: the request leaves with type 8 code 0, id 0x0707, seq 42, exactly that data, a correct ICMP
        checksum (Scapy recompute), source 198.18.0.2; after the reply, icmp4.replies holds one entry with
        src 198.18.0.1, id 0x0707, seq 42, len 13.
    Reference: RFC 1122 3.2.2.6; RFC 792.
    """
    dut.prime_arp()
    assert dut.stack.icmp4.ping(dut.peer_ip, id=0x0707, seq=42, payload=b"are you there")
    request = dut.expect(lambda f: ICMP in f and f[ICMP].type == 8, timeout_ms=50, what="an echo request")
    ip = datagram(request)
    assert (ip.src, ip.dst) == (dut.ip, dut.peer_ip)
    assert (ip[ICMP].code, ip[ICMP].id, ip[ICMP].seq, raw(ip[ICMP])[8:]) == (0, 0x0707, 42, b"are you there")
    assert ip[ICMP].chksum == scapy_icmp_checksum(ip)
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
             ICMP(type=0, id=0x0707, seq=42) / b"are you there")
    replies = list(dut.stack.icmp4.replies)
    assert len(replies) == 1
    assert {k: replies[0][k] for k in ("src", "id", "seq", "len")} == {
        "src": dut.peer_ip, "id": 0x0707, "seq": 42, "len": 13}
