"""UDP output (RFC 768, RFC 1122 4.1.3.4-4.1.3.6, 4.1.4): header fields and checksum the DUT generates, over
IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6"; the IPv6 pseudo-header of RFC 8200 8.1)."""
import pytest
from scapy.all import IP, UDP, IPv6, raw
from scapy.layers.inet import in4_chksum
from scapy.layers.inet6 import in6_chksum

import picotcp

LOCAL_PORT = 4000
MTU = 1500

pytestmark = pytest.mark.families(4, 6)


def sent(frame):
    """The UDP datagram the DUT sent, re-dissected from its exact IP bytes (IPv4 or IPv6)."""
    if IPv6 in frame:
        return IPv6(raw(frame[IPv6])[:40 + frame[IPv6].plen])
    return IP(raw(frame[IP])[:frame[IP].len])


def scapy_udp_checksum(ip):
    copy = ip.copy()
    del copy[UDP].chksum
    return type(ip)(raw(copy))[UDP].chksum


def zero_sum_payload(src, dst, sport, dport, tail):
    segment = raw(UDP(sport=sport, dport=dport, chksum=0) / (b"\x00\x00" + tail))
    if ":" in src:
        partial = in6_chksum(17, IPv6(src=src, dst=dst), segment)
    else:
        partial = in4_chksum(17, IP(src=src, dst=dst), segment)
    return partial.to_bytes(2, "big") + tail


@pytest.mark.parametrize("size", [0, 1, 11, "largest"], ids=["empty", "1-byte", "odd", "largest"])
@pytest.mark.ipv6_requirement("RFC8200:R8.1-pseudo-header")
@pytest.mark.requirement("RFC768:R2", "RFC768:R6", "RFC768:1122-4.1.3.4-a", "RFC768:1122-4.1.3.6-a")
def test_datagram_fields_and_checksum(dut, size):
    """
    Purpose: the DUT's datagram carries the socket's port as source, the peer's as destination, the exact
        length, a checksum (generation is the default) that Scapy recomputes to the same value, and the
        DUT's own unicast address as IP source; over IPv4 and IPv6.
    Setup: fresh DUT, ARP primed (IPv4); a socket bound to the wildcard address, port 4000.
    Procedure: sendto(payload, peer:9), the payload `size` bytes ("largest": what fills a 1500-byte frame,
        1472 over IPv4, 1452 over IPv6).
    Judgement: exactly one frame; UDP sport 4000, dport 9, length 8 + len(payload), checksum non-zero and
        equal to Scapy's recomputation; payload exact; IP source the DUT's address (198.18.0.2 / 2001:db8::2).
    Reference: RFC 768 "Format"; RFC 1122 4.1.3.4, 4.1.3.6; RFC 8200 8.1.
    """
    length = MTU - dut.ip_header_len - 8 if size == "largest" else size
    payload = (b"odd-length!" if size == 11 else bytes(range(256)) * 6)[:length]
    assert len(payload) == length
    dut.prime_neighbour()
    sock = dut.udp_socket()
    sock.bind(dut.wildcard, LOCAL_PORT)
    sock.sendto(payload, (dut.peer_addr, 9))
    out = dut.receive()
    assert len(out) == 1 and UDP in out[0], [f.summary() for f in out]
    ip = sent(out[0])
    udp = ip[UDP]
    assert (udp.sport, udp.dport, udp.len) == (LOCAL_PORT, 9, 8 + len(payload))
    assert raw(udp)[8:] == payload
    assert udp.chksum != 0
    assert udp.chksum == scapy_udp_checksum(ip)
    assert ip.src == dut.addr and ip.dst == dut.peer_addr
    assert len(raw(out[0])) == max(60, 14 + dut.ip_header_len + 8 + length)  # Ethernet pads to 60


@pytest.mark.requirement("RFC768:R3")
def test_computed_zero_checksum_is_sent_as_all_ones(dut):
    """
    Purpose: when the checksum computes to zero the DUT transmits 0xFFFF, because a zero field would mean
        "no checksum" (over IPv6 a zero field is even invalid, RFC 8200 8.1); over IPv4 and IPv6.
    Setup: fresh DUT, ARP primed (IPv4); a socket bound to the wildcard address, port 4000.
    Procedure: sendto(p, peer:9) where p's first two bytes make the sum over pseudo header, header and
        data come to zero (computed with Scapy's in4_chksum / in6_chksum).
    Judgement: the datagram's checksum field is 0xFFFF and its payload is p.
    Reference: RFC 768 "Format" (Checksum); RFC 1122 4.1.3.4; RFC 8200 8.1.
    """
    dut.prime_neighbour()
    sock = dut.udp_socket()
    sock.bind(dut.wildcard, LOCAL_PORT)
    payload = zero_sum_payload(dut.addr, dut.peer_addr, LOCAL_PORT, 9, b"sums to zero")
    sock.sendto(payload, (dut.peer_addr, 9))
    frame = dut.expect(UDP, timeout_ms=50)
    udp = sent(frame)[UDP]
    assert raw(udp)[8:] == payload
    assert udp.chksum == 0xFFFF


@pytest.mark.requirement("RFC768:R6", "RFC768:1122-4.1.3.5-a")
def test_unbound_socket_gets_a_source_port(dut):
    """
    Purpose: a socket that sends before binding gets a local port (ephemeral: dut.ephemeral_ports, 49152-65535
        in this stack);
        its datagrams carry that port, and its local address stays the wildcard; over IPv4 and IPv6.
    Setup: fresh DUT, ARP primed (IPv4); an unbound socket.
    Procedure: sendto(b"who am i", peer:9) twice.
    Judgement: both datagrams have the same source port P in the DUT's ephemeral range; sock.local ==
        (wildcard, P).
    Reference: RFC 768 "Format" (Source Port); RFC 6335 section 6.
    """
    dut.prime_neighbour()
    sock = dut.udp_socket()
    sock.sendto(b"who am i", (dut.peer_addr, 9))
    sock.sendto(b"who am i", (dut.peer_addr, 9))
    out = [f for f in dut.receive() if UDP in f]
    assert len(out) == 2
    ports = {f[UDP].sport for f in out}
    assert len(ports) == 1
    (port,) = ports
    low, high = dut.ephemeral_ports
    assert low <= port <= high
    assert tuple(sock.local) == (dut.wildcard, port)


@pytest.mark.requirement("RFC768:1122-4.1.3.5-a", "RFC768:1122-4.1.3.6-a")
def test_bind_to_address_not_ours_is_refused(dut):
    """
    Purpose: an application may bind the wildcard or one of the host's addresses, not an address the host
        does not have (it would send with an invalid source); a broadcast or multicast address is never the
        source of what it sends; over IPv4 and IPv6.
    Setup: fresh DUT, neighbour primed.
    Procedure: bind(an on-link address not the DUT's: 198.18.0.99 / 2001:db8::99, 4000); bind(the limited
        broadcast 255.255.255.255 / the all-nodes multicast ff02::1, 4001), and if that is accepted (an API
        may take it to receive broadcasts, as Linux does) sendto the peer from that socket.
    Judgement: the first bind raises picotcp.SocketError; the second raises it (this stack), or the datagram
        sent leaves with the DUT's unicast address as its source.
    Reference: RFC 1122 4.1.3.5, 4.1.3.6; RFC 4291 2.7 (a multicast address is never a source).
    """
    with pytest.raises(picotcp.SocketError):
        dut.udp_socket().bind(dut.other_addr(0x99) if dut.v6 else "198.18.0.99", 4000)
    dut.prime_neighbour()
    group = dut.udp_socket()
    try:
        group.bind("ff02::1" if dut.v6 else "255.255.255.255", 4001)
    except picotcp.SocketError:
        return  # refused: nothing can leave with that source
    assert dut.backend != "binding", "this stack refuses binding a broadcast or multicast address"
    try:
        group.sendto(b"from a group-bound socket", (dut.peer_addr, 9))
    except picotcp.SocketError:
        return  # refused at send time: nothing leaves with that source
    out = [f for f in dut.receive(50) if UDP in f]
    assert out and all(dut.ip_class in f and f[dut.ip_class].src == dut.addr for f in out), \
        [f.summary() for f in out]


@pytest.mark.requirement("RFC768:R5", "RFC768:R6")
def test_request_and_answer_round_trip(dut):
    """
    Purpose: an application echoing what it receives answers the sender's address and port from its own
        port, with the exact data: the usual request/response pattern of RFC 768; over IPv4 and IPv6.
    Setup: fresh DUT, ARP primed (IPv4); a socket bound to the DUT's address (198.18.0.2 / 2001:db8::2), port 7.
    Procedure: the peer sends b"ping" from port 6000; the test's application calls recvfrom and sendto's
        the data back to the returned address.
    Judgement: one datagram leaves: DUT:7 -> peer:6000, data b"ping", checksum verified.
    Reference: RFC 768 "User Interface".
    """
    dut.prime_neighbour()
    sock = dut.udp_socket()
    sock.bind(dut.addr, 7)
    dut.send(dut.ip_frame() / UDP(sport=6000, dport=7) / b"ping")
    data, address = sock.recvfrom()
    sock.sendto(data, address)
    frame = dut.expect(UDP, timeout_ms=50)
    ip = sent(frame)
    assert (ip.src, ip[UDP].sport, ip.dst, ip[UDP].dport) == (dut.addr, 7, dut.peer_addr, 6000)
    assert raw(ip[UDP])[8:] == b"ping"
    assert ip[UDP].chksum == scapy_udp_checksum(ip)
