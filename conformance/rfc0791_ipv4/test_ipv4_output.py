"""What the DUT sends (RFC 791 3.1, RFC 1122 3.2.1.3, 3.2.1.5-3.2.1.7, 3.3.6): header fields, checksum,
identification, TTL and TOS control, broadcast form."""
import pytest
from scapy.all import IP, raw

import picotcp


def sent_datagrams(dut, count, payload=b"out"):
    """count UDP datagrams from a socket bound to 0.0.0.0:41000 to the (primed) peer, as Scapy IP layers
    without link padding."""
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", 41000)
    for i in range(count):
        sock.sendto(payload + bytes([i]), (dut.peer_ip, 9))
    out = dut.receive()
    assert len(out) == count and all(IP in f for f in out), [f.summary() for f in out]
    return [IP(raw(f[IP])[:f[IP].len]) for f in out]


def scapy_ip_checksum(ip):
    copy = ip.copy()
    del copy.chksum
    return IP(raw(copy)).chksum


@pytest.mark.requirement("RFC791:R6", "RFC791:R8", "RFC791:1122-3.2.1.7-a", "RFC791:1122-3.2.1.7-c",
                         "RFC791:1122-3.2.1.6-a", "RFC791:1122-3.2.1.3-e")
def test_output_header_fields(dut):
    """
    Purpose: every field of an IPv4 header the DUT originates is as RFC 791 and RFC 1122 require, with this
        stack's documented defaults (TTL 64, TOS 0, no DF, no options).
    Setup: fresh DUT, ARP primed; a UDP socket bound to 0.0.0.0:41000.
    Procedure: sendto(b"out\\x00", 198.18.0.1:9).
    Judgement: version 4, IHL 5, TOS 0, total length 32, reserved flag 0, DF 0, MF 0, offset 0, TTL 64
        (never 0), protocol 17, source 198.18.0.2 (one of ours, not broadcast), destination 198.18.0.1,
        header checksum equal to the one Scapy recomputes after deleting it.
    Reference: RFC 791 section 3.1; RFC 1122 3.2.1.3, 3.2.1.6, 3.2.1.7.
    """
    dut.prime_arp()
    (ip,) = sent_datagrams(dut, 1)
    assert (ip.version, ip.ihl, ip.tos, ip.len) == (4, 5, 0, 32)
    assert int(ip.flags) == 0 and ip.frag == 0, f"flags {ip.flags} offset {ip.frag}"
    assert ip.ttl == 64
    assert ip.proto == 17
    assert (ip.src, ip.dst) == (dut.ip, dut.peer_ip)
    assert ip.chksum == scapy_ip_checksum(ip)


@pytest.mark.requirement("RFC791:R7")
def test_identification_differs_between_datagrams(dut):
    """
    Purpose: datagrams the DUT sends without DF to the same destination and protocol carry distinct
        identification values, so fragments of different datagrams cannot be mixed up on reassembly.
    Setup: fresh DUT, ARP primed; a UDP socket.
    Procedure: send 20 datagrams to 198.18.0.1:9 back to back.
    Judgement: none has DF set (the stack's documented default); their 20 identification values are
        pairwise distinct.
    Reference: RFC 791 sections 3.1 (Identification) and 3.2; RFC 6864 section 4.1.
    """
    dut.prime_arp()
    datagrams = sent_datagrams(dut, 20)
    assert not any(ip.flags.DF for ip in datagrams)
    ids = [ip.id for ip in datagrams]
    assert len(set(ids)) == 20, f"identification values repeat: {ids}"


@pytest.mark.parametrize("ttl", [1, 7, 255])
@pytest.mark.requirement("RFC791:1122-3.2.1.7-c", "RFC768:1122-4.1.4-a")
def test_transport_sets_ttl(dut, ttl):
    """
    Purpose: the transport layer (a UDP socket option) chooses the TTL of what it sends.
    Setup: fresh DUT, ARP primed; a UDP socket with set_option("Ttl", ttl).
    Procedure: sendto(b"ttl", 198.18.0.1:9).
    Judgement: the datagram's TTL is exactly `ttl`.
    Reference: RFC 1122 3.2.1.7 and 4.1.4.
    """
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.set_option("Ttl", ttl)
    sock.sendto(b"ttl", (dut.peer_ip, 9))
    frame = dut.expect(IP, timeout_ms=50)
    assert frame[IP].ttl == ttl


@pytest.mark.requirement("RFC791:1122-3.2.1.7-a")
def test_ttl_zero_cannot_be_chosen(dut):
    """
    Purpose: the host never sends a datagram with TTL 0: asking a socket for TTL 0 is refused, and the
        socket keeps sending with a non-zero TTL.
    Setup: fresh DUT, ARP primed; a UDP socket.
    Procedure: set_option("Ttl", 0); then sendto(b"ttl0", 198.18.0.1:9).
    Judgement: set_option raises picotcp.SocketError; the datagram leaves with TTL 64.
    Reference: RFC 1122 3.2.1.7.
    """
    dut.prime_arp()
    sock = dut.udp_socket()
    with pytest.raises(picotcp.SocketError):
        sock.set_option("Ttl", 0)
    sock.sendto(b"ttl0", (dut.peer_ip, 9))
    frame = dut.expect(IP, timeout_ms=50)
    assert frame[IP].ttl == 64


@pytest.mark.parametrize("tos", [0x10, 0xb8, 0xff])
@pytest.mark.requirement("RFC791:1122-3.2.1.6-a", "RFC768:1122-4.1.4-a")
def test_transport_sets_tos(dut, tos):
    """
    Purpose: the transport layer chooses the type-of-service octet of what it sends (default zero, checked
        in test_output_header_fields).
    Setup: fresh DUT, ARP primed; a UDP socket with set_option("Tos", tos).
    Procedure: sendto(b"tos", 198.18.0.1:9).
    Judgement: the datagram's TOS octet is exactly `tos` and its header checksum verifies.
    Reference: RFC 1122 3.2.1.6 and 4.1.4.
    """
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.set_option("Tos", tos)
    sock.sendto(b"tos", (dut.peer_ip, 9))
    frame = dut.expect(IP, timeout_ms=50)
    ip = IP(raw(frame[IP])[:frame[IP].len])
    assert ip.tos == tos
    assert ip.chksum == scapy_ip_checksum(ip)


@pytest.mark.parametrize("destination", ["255.255.255.255", "198.18.0.255"], ids=["limited", "directed"])
@pytest.mark.requirement("RFC791:1122-3.3.6-c", "RFC791:1122-3.2.1.3-e")
def test_broadcast_is_sent_as_link_broadcast(dut, destination):
    """
    Purpose: a datagram the DUT broadcasts goes to the Ethernet broadcast address with an IP broadcast
        destination and the DUT's own unicast address as source; no ARP is needed for it.
    Setup: fresh DUT (cache empty); a UDP socket with set_option("Broadcast", 1).
    Procedure: sendto(b"hello-all", destination:9).
    Judgement: exactly one frame: Ethernet destination ff:ff:ff:ff:ff:ff, IP destination `destination`,
        IP source 198.18.0.2.
    Reference: RFC 1122 3.3.6 and 3.2.1.3.
    """
    dut.receive()
    sock = dut.udp_socket()
    sock.set_option("Broadcast", 1)
    sock.sendto(b"hello-all", (destination, 9))
    out = dut.receive()
    assert len(out) == 1 and IP in out[0], [f.summary() for f in out]
    assert out[0].dst == "ff:ff:ff:ff:ff:ff"
    assert (out[0][IP].dst, out[0][IP].src) == (destination, dut.ip)
