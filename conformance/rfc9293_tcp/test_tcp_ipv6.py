"""TCP over IPv6, the IPv6-specific scenarios: Packet Too Big lowering the MSS (RFC 8201) and the dual-stack
listener. Every other TCP scenario runs over IPv6 too, as the "ipv6" variant of the general files
(conftest.py): the handshakes with MSS = MTU - 60 and the default send MSS of 1220 (RFC 8200 8.3, RFC 9293
3.7.1), checksums over the IPv6 pseudo-header (RFC 8200 8.1, checked on every segment by TcpPeer), ICMPv6
errors reaching the connection (test_tcp_hostile.py), and every RFC 9293 state with every kind of arriving
segment (test_tcp_state_matrix.py)."""
import pytest
from scapy.all import Ether, IPv6, raw
from scapy.layers.inet6 import ICMPv6PacketTooBig

from harness.tcp_peer import DUT_PORT, TcpPeer, payload_of, seq_add


pytestmark = pytest.mark.families(6)  # conftest.py: the `dut` fixture is configured for IPv6


@pytest.fixture
def dut6(dut, family):
    assert family == 6 and dut.family == 6
    return dut


def listening(dut, address="::", port=DUT_PORT):
    sock = dut.tcp_socket()
    sock.bind(address, port)
    sock.listen(4)
    return sock


def data_segments(peer, timeout_ms):
    return [seg for seg in peer.collect(timeout_ms) if payload_of(seg)]


@pytest.mark.requirement("RFC9293:MUST-54", "RFC9293:MUST-16")
def test_packet_too_big_lowers_mss_and_resends(dut6):
    """
    Purpose: an ICMPv6 Packet Too Big about a segment in flight lowers the connection's MSS to the MTU - 60
        and the data is sent again in segments that fit (RFC 8201 path MTU discovery).
    Setup: DUT with IPv6; an accepted connection (peer MSS 1440).
    Procedure: the DUT writes 2880 bytes; the peer takes the first 1440-byte segment and answers with a Packet
        Too Big (MTU 1280) from a router address quoting it.
    Judgement: the DUT resends from the first unacknowledged byte in segments of at most 1220 bytes
        (1280 - 60); the peer reassembles all 2880 bytes intact.
    Reference: RFC 8201 4, 5.2; RFC 4443 3.2; RFC 9293 3.7.1.
    """
    dut = dut6
    listener = listening(dut)
    peer = TcpPeer(dut, mss=1440)
    sock = peer.handshake_to(listener)
    payload = bytes(i % 233 for i in range(2880))
    assert sock.write(payload) == 2880
    first = [seg for seg in peer.collect(100) if payload_of(seg)]
    assert first and len(payload_of(first[0])) == 1440
    peer.received = bytearray()
    peer.rcv_nxt = first[0].seq
    quoted = raw(first[0].underlayer)[:1232]
    ptb = (Ether(src=dut.peer_mac, dst=dut.mac) / IPv6(src="2001:db8::fe", dst="2001:db8::2") /
           ICMPv6PacketTooBig(mtu=1280) / quoted)
    dut.send(ptb)
    sizes = []
    for _ in range(30):
        for seg in data_segments(peer, 200):
            sizes.append(len(payload_of(seg)))
        peer.send("A")
        if len(peer.received) >= 2880:
            break
    assert bytes(peer.received) == payload
    assert sizes and max(sizes) <= 1220, sizes
    assert sock.info["send_mss"] <= 1220


@pytest.mark.mixed_families
def test_dual_stack_listener(dut6):
    """
    Purpose: a listener bound to "::" accepts connections of both families; one bound to "0.0.0.0" IPv4 only
        (an IPv6 SYN to it is answered with a RST, as to a closed port).
    Setup: DUT with both families; listener A on [::]:8080, listener B on 0.0.0.0:8081.
    Procedure: an IPv4 and an IPv6 peer connect to 8080; an IPv6 peer sends SYN to 8081.
    Judgement: A accepts both with the right remote addresses; the SYN to 8081 gets RST+ACK over IPv6.
    Reference: RFC 3493 5.3 (dual-stack wildcard, the socket API default); RFC 9293 3.10.7.1.
    """
    dut = dut6
    a = listening(dut, "::", DUT_PORT)
    listening(dut, "0.0.0.0", DUT_PORT + 1)
    v4 = TcpPeer(dut, sport=40001, dport=DUT_PORT, family=4)
    s4 = v4.handshake_to(a)
    v6 = TcpPeer(dut, sport=40002, dport=DUT_PORT, family=6)
    s6 = v6.handshake_to(a)
    assert s4.remote == ("198.18.0.1", 40001)
    assert s6.remote == ("2001:db8::1", 40002)
    refused = TcpPeer(dut, sport=40003, dport=DUT_PORT + 1, family=6)
    refused.send_syn()
    rst = refused.expect("RA")
    assert rst.ack == seq_add(refused.iss, 1)
