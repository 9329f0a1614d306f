"""ICMP errors the DUT sends (destination unreachable: port, protocol), what they quote, when they must not
be sent, their rate limit, and errors the DUT receives (RFC 792, RFC 1122 3.2.2, 3.2.2.1, 4.1.3.3,
RFC 1812 4.3.2.3 and 4.3.2.8)."""
import pytest
from scapy.all import ICMP, IP, UDP, Ether, IPOption_NOP, raw
from scapy.utils import checksum

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
CLOSED_PORT = 33434


def datagram(frame):
    return IP(raw(frame[IP])[:frame[IP].len])


def scapy_icmp_checksum(ip):
    copy = ip.copy()
    del copy[ICMP].chksum
    return IP(raw(copy))[ICMP].chksum


def is_unreachable(frame, code=None):
    return ICMP in frame and frame[ICMP].type == 3 and (code is None or frame[ICMP].code == code)


def to_closed_port(dut, payload=b"x" * 20, sport=40000, dst=None, dst_mac=None, src=None, **ip):
    return (Ether(src=dut.peer_mac, dst=dst_mac or dut.mac) /
            IP(src=src or dut.peer_ip, dst=dst or dut.ip, **ip) / UDP(sport=sport, dport=CLOSED_PORT) / payload)


def quoted(error_ip):
    """The bytes after the 8-byte ICMP header: what the error quotes of the offending datagram."""
    return raw(error_ip[ICMP])[8:]


def assert_error_envelope(dut, frame, code):
    """Fields every error the DUT sends must have: addressed back to the offender's source from the address
    it was sent to, zero TOS bits (RFC 1122 3.2.2; this stack also sends precedence 0, Linux precedence 6),
    ICMP type 3 with `code`, unused word zero, checksums right, at most 576 bytes."""
    ip = datagram(frame)
    assert frame.dst == dut.peer_mac
    assert (ip.src, ip.dst, ip.proto) == (dut.ip, dut.peer_ip, 1)
    assert ip.tos & 0x1E == 0, f"errors go with zero TOS bits, got TOS octet {ip.tos:#x}"
    if dut.backend == "binding":
        assert ip.tos == 0, f"this stack sends errors with a zero TOS octet, got {ip.tos:#x}"
    assert ip.len <= 576, f"error datagram of {ip.len} bytes"
    icmp = ip[ICMP]
    assert (icmp.type, icmp.code) == (3, code)
    assert raw(icmp)[4:8] == b"\x00\x00\x00\x00", "unused word must be zero"
    assert icmp.chksum == scapy_icmp_checksum(ip)
    assert checksum(raw(icmp)) == 0
    return ip


@pytest.mark.parametrize("payload_len", [0, 20, 100, 1000])
@pytest.mark.requirement("RFC792:R5", "RFC792:R6", "RFC792:R1", "RFC792:1122-3.2.2-b", "RFC792:1122-3.2.2.1-b",
                         "RFC792:1812-4.3.2.3-a", "RFC768:1122-4.1.3.1-a")
def test_port_unreachable_quotes_the_datagram(dut, payload_len):
    """
    Purpose: a UDP datagram to a port with no socket draws a port unreachable that quotes the offending IP
        header and at least 8 data bytes, unchanged, and as much more as fits in 576 bytes.
    Setup: fresh DUT, ARP primed; no socket on 33434.
    Procedure: UDP 40000 -> 33434 with `payload_len` bytes (0, 20, 100, 1000).
    Judgement: exactly one frame: ICMP type 3 code 3 from 198.18.0.2 to 198.18.0.1, TOS 0, unused word 0,
        valid checksum (Scapy recompute); the quote equals the first min(len, 548) bytes of the datagram as
        sent (so the error datagram is exactly min(len + 28, 576) bytes); one udp NoSocket drop.
    Reference: RFC 792 "Destination Unreachable Message"; RFC 1122 3.2.2, 3.2.2.1, 4.1.3.1; RFC 1812 4.3.2.3.
    """
    dut.prime_arp()
    frame = to_closed_port(dut, payload=(bytes(range(256)) * 4)[:payload_len])
    sent = raw(frame[IP])
    dut.send(frame)
    out = dut.receive(timeout_ms=50)
    assert len(out) == 1, [f.summary() for f in out]
    ip = assert_error_envelope(dut, out[0], code=3)
    expected = sent[:min(len(sent), 548)]
    assert len(quoted(ip)) >= 28
    assert quoted(ip) == expected, "quoted bytes differ from the datagram sent"
    assert ip.len == min(len(sent) + 28, 576)
    dut.assert_dropped("udp", "NoSocket")


@pytest.mark.requirement("RFC792:1122-3.2.2-b", "RFC792:R5")
def test_error_quotes_whole_header_with_options(dut):
    """
    Purpose: the quote starts with the whole offending IP header, options included (IHL 7 here), followed by
        at least 8 data bytes: the receiver needs the UDP ports after the options.
    Setup: fresh DUT, ARP primed.
    Procedure: UDP 40000 -> 33434 with 8 bytes of NOP options and 12 payload bytes.
    Judgement: a port unreachable whose quote equals the datagram as sent (28-byte header + 20 bytes).
    Reference: RFC 1122 3.2.2; RFC 792.
    """
    dut.prime_arp()
    frame = to_closed_port(dut, payload=b"with-options", options=[IPOption_NOP()] * 8)
    sent = raw(frame[IP])
    assert IP(sent).ihl == 7
    dut.send(frame)
    error = dut.expect(is_unreachable, timeout_ms=50, what="a destination unreachable")
    ip = assert_error_envelope(dut, error, code=3)
    assert quoted(ip) == sent


@pytest.mark.requirement("RFC792:1122-3.2.2-d")
@pytest.mark.linux_deviation(
    "RFC 1122 3.2.2 (SHOULD): the kernel copies the offending datagram's TOS bits into the error (with "
    "precedence 6, internetwork control)")
def test_error_is_sent_with_tos_zero(dut):
    """
    Purpose: the error goes with a zero TOS even when the offending datagram had another one, and the quote
        keeps the original TOS byte unchanged.
    Setup: fresh DUT, ARP primed.
    Procedure: UDP to the closed port with TOS 0xB8.
    Judgement: the port unreachable has TOS 0; the quoted header's TOS is 0xB8.
    Reference: RFC 1122 3.2.2.
    """
    dut.prime_arp()
    dut.send(to_closed_port(dut, tos=0xB8))
    error = dut.expect(is_unreachable, timeout_ms=50, what="a destination unreachable")
    ip = assert_error_envelope(dut, error, code=3)
    assert quoted(ip)[1] == 0xB8


@pytest.mark.parametrize("protocol", [253, 254, 132])
@pytest.mark.requirement("RFC792:1122-3.2.2.1-a", "RFC792:R5", "RFC792:R6", "RFC791:R13")
def test_protocol_unreachable(dut, protocol):
    """
    Purpose: a datagram for a transport protocol the host does not implement (253/254 experimental, 132
        SCTP) draws a protocol unreachable quoting it.
    Setup: fresh DUT, ARP primed.
    Procedure: an IP datagram with protocol `protocol` and 12 payload bytes to 198.18.0.2.
    Judgement: exactly one frame: ICMP type 3 code 2 from 198.18.0.2 to the peer, TOS 0, valid checksum,
        quoting the whole 32-byte datagram as sent; one ipv4 UnknownProtocol drop.
    Reference: RFC 1122 3.2.2.1; RFC 792 "Destination Unreachable Message".
    """
    dut.prime_arp()
    frame = Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip, proto=protocol) / b"no-such-prot"
    sent = raw(frame[IP])
    dut.send(frame)
    out = dut.receive(timeout_ms=50)
    assert len(out) == 1, [f.summary() for f in out]
    ip = assert_error_envelope(dut, out[0], code=2)
    assert quoted(ip) == sent
    dut.assert_dropped("ipv4", "UnknownProtocol")


@pytest.mark.parametrize("icmp_type,code", [(3, 3), (3, 1), (11, 0), (12, 0), (4, 0)],
                         ids=["port-unreachable", "host-unreachable", "time-exceeded", "parameter-problem",
                              "source-quench"])
@pytest.mark.requirement("RFC792:R7", "RFC792:1122-3.2.2-e")
def test_no_answer_to_an_icmp_error(dut, icmp_type, code):
    """
    Purpose: an ICMP error received by the DUT never causes an ICMP message in return (here the quoted
        datagram even names a closed port of a protocol the DUT handles).
    Setup: fresh DUT, ARP primed.
    Procedure: the peer sends an ICMP error (`icmp_type`/`code`) quoting a UDP datagram 198.18.0.2:40000 ->
        198.18.0.1:33434.
    Judgement: silence for 1 s; the icmp4 module sent nothing.
    Reference: RFC 792 "Introduction"; RFC 1122 3.2.2.
    """
    dut.prime_arp()
    offending = IP(src=dut.ip, dst=dut.peer_ip) / UDP(sport=40000, dport=CLOSED_PORT) / b"quoted!!"
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
             ICMP(type=icmp_type, code=code) / raw(offending))
    dut.expect_silence(timeout_ms=1000)
    assert dut.counter("icmp4", "tx") == 0


@pytest.mark.parametrize("destination", ["255.255.255.255", "198.18.0.255"], ids=["limited", "directed"])
@pytest.mark.requirement("RFC792:1122-3.2.2-f")
def test_no_error_about_broadcast(dut, destination):
    """
    Purpose: a UDP datagram to a closed port at a broadcast address draws no port unreachable (else every
        host on the link would answer one broadcast).
    Setup: fresh DUT, ARP primed.
    Procedure: UDP 40000 -> `destination`:33434 in an Ethernet broadcast frame.
    Judgement: silence; one udp NoSocket drop; icmp4 sent nothing.
    Reference: RFC 1122 3.2.2.
    """
    dut.prime_arp()
    dut.send(to_closed_port(dut, dst=destination, dst_mac=BROADCAST_MAC))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("udp", "NoSocket")
    assert dut.counter("icmp4", "tx") == 0


@pytest.mark.requirement("RFC792:1122-3.2.2-f")
def test_no_error_about_multicast(dut):
    """
    Purpose: a UDP datagram to a closed port at a multicast address (the all-hosts group, which every host
        belongs to) draws no port unreachable.
    Setup: fresh DUT, ARP primed.
    Procedure: UDP 40000 -> 224.0.0.1:33434, Ethernet destination the DUT's MAC (so the only reason to stay
        silent is the IP multicast destination).
    Judgement: silence; one udp NoSocket drop; icmp4 sent nothing.
    Reference: RFC 1122 3.2.2.
    """
    dut.prime_arp()
    dut.send(to_closed_port(dut, dst="224.0.0.1"))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("udp", "NoSocket")
    assert dut.counter("icmp4", "tx") == 0


@pytest.mark.parametrize("kind", ["udp-closed-port", "unknown-protocol"])
@pytest.mark.requirement("RFC792:1122-3.2.2-g")
def test_no_error_about_link_layer_broadcast(dut, kind):
    """
    Purpose: a datagram that arrived as a link-layer broadcast draws no ICMP error, even though its IP
        destination is the DUT's unicast address.
    Setup: fresh DUT, ARP primed.
    Procedure: in an Ethernet broadcast frame to 198.18.0.2: a UDP datagram to the closed port, or an IP
        datagram of protocol 253.
    Judgement: silence for 500 ms; icmp4 sent nothing.
    Reference: RFC 1122 3.2.2.
    """
    dut.prime_arp()
    if kind == "udp-closed-port":
        frame = to_closed_port(dut, dst_mac=BROADCAST_MAC)
    else:
        frame = Ether(src=dut.peer_mac, dst=BROADCAST_MAC) / IP(src=dut.peer_ip, dst=dut.ip, proto=253) / b"12345678"
    dut.send(frame)
    dut.expect_silence(timeout_ms=500)
    assert dut.counter("icmp4", "tx") == 0


@pytest.mark.parametrize("kind", ["udp-closed-port", "unknown-protocol"])
@pytest.mark.requirement("RFC792:1122-3.2.2-h", "RFC792:R7")
def test_no_error_about_non_first_fragment(dut, kind):
    """
    Purpose: a non-initial fragment never draws an ICMP error, now or when a reassembly timer could expire
        (the fragment is alone: no time exceeded is due either, as fragment zero never came).
    Setup: fresh DUT, ARP primed.
    Procedure: a last fragment (offset 8 bytes, MF clear) of a datagram to the closed UDP port or of
        protocol 253; then 130 s of virtual time pass (beyond any RFC 1122 reassembly timeout).
    Judgement: silence throughout; icmp4 sent nothing.
    Reference: RFC 1122 3.2.2; RFC 792 "Introduction".
    """
    dut.prime_arp()
    if kind == "udp-closed-port":
        frame = to_closed_port(dut, frag=1, id=0x4444)
    else:
        frame = (Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip, proto=253, frag=1, id=0x4444) /
                 b"12345678")
    dut.send(frame)
    dut.advance(130_000)
    dut.expect_silence(timeout_ms=10)
    assert dut.counter("icmp4", "tx") == 0


@pytest.mark.parametrize("source", ["0.0.0.0", "240.0.0.1"], ids=["zero", "class-e"])
@pytest.mark.requirement("RFC792:1122-3.2.2-i")
@pytest.mark.linux_deviation(
    "RFC 1122 3.2.2 (MUST NOT): the kernel sends a port unreachable to a Class E source", ids=["class-e"])
def test_no_error_about_non_unique_source(dut, source):
    """
    Purpose: a datagram whose source does not name a single host (0.0.0.0, class E) draws no ICMP error,
        whether the IP layer discards it first or the error is suppressed.
    Setup: fresh DUT, ARP primed.
    Procedure: UDP 40000 -> 198.18.0.2:33434 with IP source `source`.
    Judgement: silence for 500 ms; icmp4 sent nothing.
    Reference: RFC 1122 3.2.2.
    """
    dut.prime_arp()
    dut.send(to_closed_port(dut, src=source))
    dut.expect_silence(timeout_ms=500)
    assert dut.counter("icmp4", "tx") == 0


@pytest.mark.requirement("RFC792:1812-4.3.2.8-a")
def test_errors_are_rate_limited(dut):
    """
    Purpose: a burst of datagrams to a closed port does not draw one error each: errors are rate-limited,
        every suppressed one is counted, and errors flow again once time passes.
    Setup: fresh DUT, ARP primed.
    Procedure: 50 UDP datagrams to the closed port (source ports 40000-40049) in the same virtual instant;
        then 1 s passes; then 5 more datagrams.
    Judgement: burst: fewer than 50 but at least one port unreachable, and errors + icmp4 RateLimited = 50;
        after 1 s: at least one of the 5 draws an error again, and errors + newly rate-limited = 5.
    Reference: RFC 1812 4.3.2.8 (applied by this host to the errors it originates).
    """
    dut.prime_arp()
    for i in range(50):
        dut.send(to_closed_port(dut, sport=40000 + i))
    burst = [f for f in dut.receive() if is_unreachable(f, 3)]
    limited = dut.dropped("icmp4", "RateLimited")
    assert 1 <= len(burst) < 50, f"{len(burst)} errors for 50 datagrams"
    assert len(burst) + limited == 50
    dut.advance(1_000)
    dut.receive()
    for i in range(5):
        dut.send(to_closed_port(dut, sport=41000 + i))
    later = [f for f in dut.receive() if is_unreachable(f, 3)]
    assert 1 <= len(later) <= 5
    assert len(later) + dut.dropped("icmp4", "RateLimited") - limited == 5


@pytest.mark.requirement("RFC792:1122-3.2.2.1-c", "RFC792:1122-3.2.2-c", "RFC768:1122-4.1.3.3-a")
def test_port_unreachable_reaches_the_sending_socket(dut):
    """
    Purpose: a destination unreachable about a datagram a UDP socket sent is handed to UDP (chosen by the
        protocol in the quoted header) and reported on that socket.
    Setup: fresh DUT, ARP primed; a UDP socket bound to 0.0.0.0:45000.
    Procedure: the socket sends b"anyone?" to 198.18.0.1:9; the peer answers with ICMP type 3 code 3
        quoting the datagram exactly as the DUT sent it.
    Judgement: the socket's events include ("Error", "Unreachable").
    Reference: RFC 1122 3.2.2, 3.2.2.1, 4.1.3.3.
    """
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", 45000)
    sock.sendto(b"anyone?", (dut.peer_ip, 9))
    sent = dut.expect(UDP, timeout_ms=50, what="the UDP datagram")
    original = raw(sent[IP])[:sent[IP].len]
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) / ICMP(type=3, code=3) / original)
    assert ("Error", "Unreachable") in list(sock.events)
