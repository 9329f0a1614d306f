"""UDP over IPv6, the IPv6-specific rules (RFC 768 with RFC 8200 8.1): the checksum over the IPv6
pseudo-header is mandatory (a zero checksum is discarded); port unreachable is an ICMPv6 Destination
Unreachable code 4 (RFC 4443 3.1); ICMPv6 errors reach the sending socket; wildcard binding: "0.0.0.0" serves
IPv4 only, "::" both families. Delivery, checksum verification and generation, and the length rules over IPv6
are the "ipv6" variants of test_udp_receive.py and test_udp_send.py."""
import pytest
from scapy.all import IP, UDP, Ether, IPv6, raw
from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6ParamProblem, ICMPv6TimeExceeded

PORT = 7000

pytestmark = pytest.mark.families(6)  # conftest.py: the `dut` fixture is configured for IPv6 (ids "ipv6")


@pytest.fixture
def dut6(dut, family):
    assert family == 6 and dut.family == 6
    return dut


def udp6_frame(dut, payload, sport=5000, dport=PORT, src=None, dst=None, **udp):
    return (Ether(src=dut.peer_mac, dst=dut.mac) / IPv6(src=src or dut.peer_ip6, dst=dst or dut.ip6) /
            UDP(sport=sport, dport=dport, **udp) / payload)


def bound(dut, address="::", port=PORT):
    sock = dut.udp_socket()
    sock.bind(address, port)
    return sock


@pytest.mark.requirement("RFC768:R4", "RFC8200:R8.1-udp-zero")
def test_zero_checksum_over_ipv6_is_discarded(dut6):
    """
    Purpose: over IPv6 the UDP checksum is mandatory: a datagram with a zero checksum field is discarded
        (RFC 8200 8.1), where IPv4 would accept it as "no checksum" (RFC 768).
    Setup: DUT with IPv6; a socket bound to [::]:7000.
    Procedure: the peer sends a UDP datagram with checksum field 0.
    Judgement: nothing is delivered, nothing is sent, udp BadChecksum counts 1.
    Reference: RFC 8200 8.1 ("IPv6 receivers must discard UDP packets containing a zero checksum").
    """
    dut = dut6
    sock = bound(dut)
    dut.send(udp6_frame(dut, b"no checksum", chksum=0))
    assert sock.recvfrom() is None
    dut.expect_silence(200)
    dut.assert_dropped("udp", "BadChecksum")


@pytest.mark.requirement("RFC768:R5", "RFC4443:R3.1-port-unreachable")
def test_port_unreachable_over_ipv6_is_icmpv6_code_4(dut6):
    """
    Purpose: a datagram to a port nobody listens on is answered with ICMPv6 Destination Unreachable, code 4
        (port unreachable), quoting the datagram.
    Setup: DUT with IPv6, no socket.
    Procedure: the peer sends UDP to [2001:db8::2]:7001.
    Judgement: one ICMPv6 type 1 code 4 from 2001:db8::2 to 2001:db8::1 whose quote starts with the sent IPv6
        header and UDP header; udp NoSocket counts 1.
    Reference: RFC 4443 3.1; RFC 1122 4.1.3.1.
    """
    dut = dut6
    sent = udp6_frame(dut, b"anyone?", dport=PORT + 1)
    dut.send(sent)
    reply = dut.expect(lambda f: ICMPv6DestUnreach in f, what="ICMPv6 port unreachable")
    assert reply[IPv6].src == "2001:db8::2" and reply[IPv6].dst == "2001:db8::1"
    assert reply[ICMPv6DestUnreach].code == 4
    quoted = raw(reply[ICMPv6DestUnreach].payload)
    assert quoted.startswith(raw(sent[IPv6])[:48])
    dut.assert_dropped("udp", "NoSocket")


@pytest.mark.mixed_families
def test_wildcard_binding_families(dut6):
    """
    Purpose: "0.0.0.0" serves IPv4 only, "::" serves both families; replies go out in the family they came in.
    Setup: DUT with 198.18.0.2 and 2001:db8::2; socket A bound to 0.0.0.0:7000, socket B to [::]:7001.
    Procedure: the peer sends to 7000 over IPv4 and IPv6, and to 7001 over IPv4 and IPv6.
    Judgement: A gets the IPv4 datagram only (the IPv6 one to 7000 draws port unreachable); B gets both, with
        the sources ("198.18.0.1", 5000) and ("2001:db8::1", 5000); B answers each to its source.
    Reference: RFC 3493 5.3 (dual-stack wildcard, as the socket API default).
    """
    dut = dut6
    dut.prime_arp()
    a = bound(dut, "0.0.0.0", PORT)
    b = bound(dut, "::", PORT + 1)
    v4 = Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) / UDP(sport=5000, dport=PORT) / b"4"
    dut.send(v4)
    dut.send(udp6_frame(dut, b"6", dport=PORT))
    assert a.recvfrom() == (b"4", ("198.18.0.1", 5000))
    assert a.recvfrom() is None
    dut.expect(lambda f: ICMPv6DestUnreach in f, what="port unreachable for the IPv6 datagram to the v4 socket")
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
             UDP(sport=5000, dport=PORT + 1) / b"4b")
    dut.send(udp6_frame(dut, b"6b", dport=PORT + 1))
    first = b.recvfrom()
    second = b.recvfrom()
    assert first == (b"4b", ("198.18.0.1", 5000))
    assert second == (b"6b", ("2001:db8::1", 5000))
    b.sendto(b"r4", first[1])
    b.sendto(b"r6", second[1])
    out4 = dut.expect(lambda f: IP in f and UDP in f, what="the IPv4 reply")
    out6 = dut.expect(lambda f: IPv6 in f and UDP in f, what="the IPv6 reply")
    assert bytes(out4[UDP].payload)[:2] == b"r4" and out4[IP].dst == "198.18.0.1"
    assert bytes(out6[UDP].payload) == b"r6" and out6[IPv6].dst == "2001:db8::1"


def test_socket_bound_to_ipv4_cannot_send_to_ipv6(dut6):
    """
    Purpose: a socket bound to an IPv4 address (or 0.0.0.0) talks IPv4 only: sending to an IPv6 address is an
        invalid argument, and nothing leaves.
    Setup: DUT with both families; a socket bound to 0.0.0.0:7000.
    Procedure: sendto(b"x", ("2001:db8::1", 9)).
    Judgement: picotcp.SocketError("Invalid"); nothing is sent.
    Reference: RFC 3493 3.7 (an AF_INET socket has IPv4 addresses only).
    """
    import picotcp
    dut = dut6
    sock = bound(dut, "0.0.0.0")
    with pytest.raises(picotcp.SocketError) as error:
        sock.sendto(b"x", ("2001:db8::1", 9))
    assert error.value.args[0] == "Invalid"
    dut.expect_silence(200)


ERRORS = [
    pytest.param(lambda: ICMPv6DestUnreach(code=0), id="dest-unreachable",
                 marks=pytest.mark.requirement("RFC4443:R3.1-notify")),
    pytest.param(lambda: ICMPv6PacketTooBig(mtu=1280), id="packet-too-big",
                 marks=pytest.mark.requirement("RFC4443:R3.2-ptb-notify")),
    pytest.param(lambda: ICMPv6TimeExceeded(code=0), id="time-exceeded",
                 marks=pytest.mark.requirement("RFC4443:R3.3-notify")),
    pytest.param(lambda: ICMPv6ParamProblem(code=0, ptr=6), id="parameter-problem",
                 marks=pytest.mark.requirement("RFC4443:R3.4-notify")),
]


@pytest.mark.parametrize("error", ERRORS)
@pytest.mark.requirement("RFC4443:R2.4-d")
def test_icmpv6_error_reaches_the_sending_socket(dut6, error):
    """
    Purpose: an ICMPv6 error quoting a datagram a UDP socket sent is passed up to that socket (and only it),
        dispatched by the quoted packet's upper-layer protocol and ports.
    Setup: DUT with IPv6; socket A bound to [::]:7000 sends to [2001:db8::1]:9; socket B bound to [::]:7001.
    Procedure: a router (2001:db8::fe) answers A's datagram with the ICMPv6 error, quoting it.
    Judgement: A's events end with ("Error", "Unreachable"); B has no events; nothing is sent in answer
        (no error about an error, RFC 4443 2.4 (e.1)).
    Reference: RFC 4443 2.4 (d), 3.1-3.4; RFC 1122 4.1.3.3.
    """
    dut = dut6
    a = bound(dut, "::", PORT)
    b = bound(dut, "::", PORT + 1)
    a.sendto(b"hello", ("2001:db8::1", 9))
    sent = dut.expect(lambda f: IPv6 in f and UDP in f, what="the datagram")
    icmp = (Ether(src=dut.peer_mac, dst=dut.mac) / IPv6(src="2001:db8::fe", dst="2001:db8::2") / error() /
            raw(sent[IPv6]))
    dut.send(icmp)
    assert a.events and a.events[-1] == ("Error", "Unreachable"), a.events
    assert b.events == []
    dut.expect_silence(200)
