"""ICMPv6 errors of a type the DUT does not know (RFC 4443 2.4 (a)): types 0-127 are errors; one of an unknown
type is still passed to the upper-layer process that sent the invoking packet, and never answered."""
import pytest
from scapy.all import Ether, raw
from scapy.layers.inet6 import UDP, ICMPv6Unknown, IPv6

from harness.tcp_peer import DUT_PORT, TcpPeer, payload_of

ROUTER = "2001:db8::fe"


def unknown_error(dut, type_, quoted, code=0):
    """An ICMPv6 error of type `type_` from a router, with a zero 32-bit field and `quoted` as its body."""
    body = b"\x00\x00\x00\x00" + quoted[:1232]
    return (Ether(src=dut.peer_mac, dst=dut.mac) / IPv6(src=ROUTER, dst=dut.ip6) /
            ICMPv6Unknown(type=type_, code=code, msgbody=body))


@pytest.mark.requirement("RFC4443:R2.4-a")
@pytest.mark.parametrize("type_", [5, 100, 127])
def test_unknown_error_type_reaches_the_udp_socket(dut, type_):
    """
    Purpose: an ICMPv6 error message of unknown type (in the error range 0-127) is passed to the upper layer
        that sent the invoking packet, like a known error; it is not answered.
    Setup: DUT with IPv6; UDP socket A bound to [::]:7000 and connected to [2001:db8::1]:9; socket B bound to
        [::]:7001.
    Procedure: A sends b"hello"; a router (2001:db8::fe) answers with an ICMPv6 message of type 5 / 100 / 127,
        code 0, quoting the datagram.
    Judgement: A's events are exactly [("Error", "Unreachable")] (the error reported to the sender's socket);
        B has none; nothing leaves the DUT in answer; A still sends (the connected socket is unharmed); the
        icmp6 module counts no drop (the message was not discarded as unknown).
    Reference: RFC 4443 2.4 (a), 2.4 (d), 2.4 (e.1).
    """
    dut.enable_ipv6()
    a = dut.udp_socket()
    a.bind("::", 7000)
    a.connect("2001:db8::1", 9)
    b = dut.udp_socket()
    b.bind("::", 7001)
    a.send(b"hello")
    sent = dut.expect(lambda f: IPv6 in f and UDP in f, what="the datagram")
    dut.send(unknown_error(dut, type_, raw(sent[IPv6])))
    assert a.events == [("Error", "Unreachable")], a.events
    assert b.events == []
    dut.expect_silence(200)
    assert dut.drop_changes().get("icmp6", {}) == {}
    a.send(b"again")
    again = dut.expect(lambda f: IPv6 in f and UDP in f, what="a second datagram")
    assert bytes(again[UDP].payload) == b"again"


@pytest.mark.requirement("RFC4443:R2.4-a")
def test_unknown_error_type_is_a_soft_error_for_tcp(dut):
    """
    Purpose: an unknown ICMPv6 error type about a TCP segment in flight is passed to the connection without
        harming it: it is recorded as a soft error (RFC 1122 4.2.3.9), the connection stays ESTABLISHED and
        the data still gets through.
    Setup: DUT with IPv6; a connection accepted on [2001:db8::2]:8080 from [2001:db8::1]:40000.
    Procedure: the DUT writes 100 bytes; a router answers the segment with an ICMPv6 message of type 100, code
        0, quoting it; then the peer acknowledges the data.
    Judgement: soft_error goes from "Ok" to "Unreachable"; no RST and no ICMPv6 leaves the DUT; the state is
        still ESTABLISHED; the peer received the 100 bytes and the DUT accepts 50 more from the peer.
    Reference: RFC 4443 2.4 (a); RFC 1122 4.2.3.9 (soft errors do not abort).
    """
    dut.enable_ipv6()
    listener = dut.tcp_socket()
    listener.bind("::", DUT_PORT)
    listener.listen(4)
    peer = TcpPeer(dut, family=6)
    sock = peer.handshake_to(listener)
    assert sock.soft_error == "Ok"
    payload = bytes(range(100))
    assert sock.write(payload) == 100
    data = [seg for seg in peer.collect(100) if payload_of(seg)]
    assert data, "the DUT sent no data"
    dut.send(unknown_error(dut, 100, raw(data[0].underlayer)))
    assert sock.soft_error == "Unreachable"
    assert sock.state == "ESTABLISHED"
    assert dut.receive(0) == []  # no RST, no ICMPv6 in answer
    peer.send("A")
    assert bytes(peer.received) == payload
    peer.send("PA", payload=b"x" * 50)
    assert sock.read(100) == b"x" * 50
    assert sock.state == "ESTABLISHED"
