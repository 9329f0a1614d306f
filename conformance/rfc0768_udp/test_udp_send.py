"""UDP output (RFC 768, RFC 1122 4.1.3.4-4.1.3.6, 4.1.4): header fields and checksum the DUT generates."""
import pytest
from scapy.all import IP, UDP, raw
from scapy.layers.inet import in4_chksum

import picotcp

LOCAL_PORT = 4000


def sent(frame):
    """The UDP datagram the DUT sent, re-dissected from its exact IP bytes."""
    return IP(raw(frame[IP])[:frame[IP].len])


def scapy_udp_checksum(ip):
    copy = ip.copy()
    del copy[UDP].chksum
    return IP(raw(copy))[UDP].chksum


def zero_sum_payload(src, dst, sport, dport, tail):
    ip = IP(src=src, dst=dst)
    partial = in4_chksum(17, ip, raw(UDP(sport=sport, dport=dport, chksum=0) / (b"\x00\x00" + tail)))
    return partial.to_bytes(2, "big") + tail


@pytest.mark.parametrize("payload", [b"", b"x", b"odd-length!", bytes(range(256)) * 5 + bytes(192)],
                         ids=["empty", "1-byte", "odd", "1472-byte"])
@pytest.mark.requirement("RFC768:R2", "RFC768:R6", "RFC768:1122-4.1.3.4-a", "RFC768:1122-4.1.3.6-a")
def test_datagram_fields_and_checksum(dut, payload):
    """
    Purpose: the DUT's datagram carries the socket's port as source, the peer's as destination, the exact
        length, a checksum (generation is the default) that Scapy recomputes to the same value, and the
        DUT's own unicast address as IP source.
    Setup: fresh DUT, ARP primed; a socket bound to 0.0.0.0:4000.
    Procedure: sendto(payload, 198.18.0.1:9).
    Judgement: exactly one frame; UDP sport 4000, dport 9, length 8 + len(payload), checksum non-zero and
        equal to Scapy's recomputation; payload exact; IP source 198.18.0.2.
    Reference: RFC 768 "Format"; RFC 1122 4.1.3.4, 4.1.3.6.
    """
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", LOCAL_PORT)
    sock.sendto(payload, (dut.peer_ip, 9))
    out = dut.receive()
    assert len(out) == 1 and UDP in out[0], [f.summary() for f in out]
    ip = sent(out[0])
    udp = ip[UDP]
    assert (udp.sport, udp.dport, udp.len) == (LOCAL_PORT, 9, 8 + len(payload))
    assert raw(udp)[8:] == payload
    assert udp.chksum != 0
    assert udp.chksum == scapy_udp_checksum(ip)
    assert ip.src == dut.ip


@pytest.mark.requirement("RFC768:R3")
def test_computed_zero_checksum_is_sent_as_all_ones(dut):
    """
    Purpose: when the checksum computes to zero the DUT transmits 0xFFFF, because a zero field would mean
        "no checksum".
    Setup: fresh DUT, ARP primed; a socket bound to 0.0.0.0:4000.
    Procedure: sendto(p, 198.18.0.1:9) where p's first two bytes make the sum over pseudo header, header and
        data come to zero (computed with Scapy's in4_chksum).
    Judgement: the datagram's checksum field is 0xFFFF and its payload is p.
    Reference: RFC 768 "Format" (Checksum); RFC 1122 4.1.3.4.
    """
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", LOCAL_PORT)
    payload = zero_sum_payload(dut.ip, dut.peer_ip, LOCAL_PORT, 9, b"sums to zero")
    sock.sendto(payload, (dut.peer_ip, 9))
    frame = dut.expect(UDP, timeout_ms=50)
    udp = sent(frame)[UDP]
    assert raw(udp)[8:] == payload
    assert udp.chksum == 0xFFFF


@pytest.mark.requirement("RFC768:R6", "RFC768:1122-4.1.3.5-a")
def test_unbound_socket_gets_a_source_port(dut):
    """
    Purpose: a socket that sends before binding gets a local port (ephemeral, 49152-65535 in this stack);
        its datagrams carry that port, and its local address stays the wildcard.
    Setup: fresh DUT, ARP primed; an unbound socket.
    Procedure: sendto(b"who am i", 198.18.0.1:9) twice.
    Judgement: both datagrams have the same source port P, 49152 <= P <= 65535; sock.local == ("0.0.0.0", P).
    Reference: RFC 768 "Format" (Source Port); RFC 6335 section 6.
    """
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.sendto(b"who am i", (dut.peer_ip, 9))
    sock.sendto(b"who am i", (dut.peer_ip, 9))
    out = [f for f in dut.receive() if UDP in f]
    assert len(out) == 2
    ports = {f[UDP].sport for f in out}
    assert len(ports) == 1
    (port,) = ports
    assert 49152 <= port <= 65535
    assert tuple(sock.local) == ("0.0.0.0", port)


@pytest.mark.requirement("RFC768:1122-4.1.3.5-a", "RFC768:1122-4.1.3.6-a")
def test_bind_to_address_not_ours_is_refused(dut):
    """
    Purpose: an application may bind the wildcard or one of the host's addresses, not an address the host
        does not have (it would send with an invalid source).
    Setup: fresh DUT.
    Procedure: bind("198.18.0.99", 4000); bind("255.255.255.255", 4001).
    Judgement: both raise picotcp.SocketError.
    Reference: RFC 1122 4.1.3.5, 4.1.3.6.
    """
    with pytest.raises(picotcp.SocketError):
        dut.udp_socket().bind("198.18.0.99", 4000)
    with pytest.raises(picotcp.SocketError):
        dut.udp_socket().bind("255.255.255.255", 4001)


@pytest.mark.requirement("RFC768:R5", "RFC768:R6")
def test_request_and_answer_round_trip(dut):
    """
    Purpose: an application echoing what it receives answers the sender's address and port from its own
        port, with the exact data: the usual request/response pattern of RFC 768.
    Setup: fresh DUT, ARP primed; a socket bound to 198.18.0.2:7.
    Procedure: the peer sends b"ping" from port 6000; the test's application calls recvfrom and sendto's
        the data back to the returned address.
    Judgement: one datagram leaves: 198.18.0.2:7 -> 198.18.0.1:6000, data b"ping", checksum verified.
    Reference: RFC 768 "User Interface".
    """
    from scapy.all import Ether
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.bind(dut.ip, 7)
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) / UDP(sport=6000, dport=7) /
             b"ping")
    data, address = sock.recvfrom()
    sock.sendto(data, address)
    frame = dut.expect(UDP, timeout_ms=50)
    ip = sent(frame)
    assert (ip.src, ip[UDP].sport, ip.dst, ip[UDP].dport) == (dut.ip, 7, dut.peer_ip, 6000)
    assert raw(ip[UDP])[8:] == b"ping"
    assert ip[UDP].chksum == scapy_udp_checksum(ip)
