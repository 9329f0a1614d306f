"""UDP input (RFC 768, RFC 1122 4.1.3): delivery to the bound socket, checksum rules, length rules,
invalid sources, over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6"; the IPv6 pseudo-header of RFC 8200 8.1).
Hostile datagrams are sent to a port with a socket bound, so that wrongly accepting one would show in
recvfrom; each must also draw no ICMP error and be counted with its exact reason. IPv6-specific rules (the
mandatory checksum, ICMPv6 port unreachable) are in test_udp_ipv6.py."""
import pytest
from scapy.all import IP, UDP, Ether, IPv6, raw
from scapy.layers.inet import in4_chksum
from scapy.layers.inet6 import in6_chksum

PORT = 7000
MTU = 1500

pytestmark = pytest.mark.families(4, 6)


def udp_frame(dut, payload, sport=5000, dport=PORT, src=None, dst=None, dst_mac=None, **udp):
    return (Ether(src=dut.peer_mac, dst=dst_mac or dut.mac) / dut.ip_header(src=src or dut.peer_addr,
                                                                             dst=dst or dut.addr) /
            UDP(sport=sport, dport=dport, **udp) / payload)


def bound(dut, address=None, port=PORT):
    sock = dut.udp_socket()
    sock.bind(dut.wildcard if address is None else address, port)
    return sock


def udp_checksum(src, dst, segment):
    """The UDP checksum over the pseudo-header of src/dst's family (RFC 768; RFC 8200 8.1)."""
    if ":" in src:
        return in6_chksum(17, IPv6(src=src, dst=dst), segment)
    return in4_chksum(17, IP(src=src, dst=dst), segment)


def zero_sum_payload(src, dst, sport, dport, tail):
    """A payload whose UDP checksum computes to zero: two leading bytes chosen to cancel the rest."""
    partial = udp_checksum(src, dst, raw(UDP(sport=sport, dport=dport, chksum=0) / (b"\x00\x00" + tail)))
    return partial.to_bytes(2, "big") + tail


def reparsed(dut, frame):
    """The IP datagram of a frame re-dissected from its bytes (Scapy fills in lengths and checksums)."""
    return dut.ip_class(raw(frame[dut.ip_class]))


def largest_payload(dut):
    """The largest UDP payload one 1500-byte frame carries: 1472 over IPv4, 1452 over IPv6."""
    return MTU - dut.ip_header_len - 8


@pytest.mark.parametrize("address", ["wildcard", "specific"])
@pytest.mark.parametrize("size", [0, 1, 10, "largest"], ids=["empty", "1-byte", "10-byte", "largest"])
@pytest.mark.requirement("RFC768:R5", "RFC768:1122-4.1.3.5-a", "RFC768:1122-4.1.3.4-a")
def test_datagram_delivered_to_bound_socket(dut, address, size):
    """
    Purpose: a datagram to a bound port is delivered whole, with its source address and port, to a socket
        bound to the wildcard address or to the DUT's specific address, over IPv4 and IPv6.
    Setup: fresh DUT; a UDP socket bound to `address`:7000 (0.0.0.0 / :: or 198.18.0.2 / 2001:db8::2).
    Procedure: the peer sends UDP 5000 -> DUT:7000 with a payload of `size` bytes ("largest": what fills a
        1500-byte frame, 1472 over IPv4, 1452 over IPv6; Scapy computes the checksum).
    Judgement: recvfrom returns exactly (payload, (peer address, 5000)) once, then None; nothing is sent.
    Reference: RFC 768 "User Interface"; RFC 1122 4.1.3.4, 4.1.3.5; RFC 8200 8.1.
    """
    length = largest_payload(dut) if size == "largest" else size
    payload = (bytes(range(256)) * 6)[:length]
    assert len(payload) == length
    sock = bound(dut, dut.wildcard if address == "wildcard" else dut.addr)
    frame = udp_frame(dut, payload)
    assert len(raw(frame)) == 14 + dut.ip_header_len + 8 + length
    dut.send(frame)
    assert sock.recvfrom() == (payload, (dut.peer_addr, 5000))
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=200)


@pytest.mark.ipv4_only("RFC 8200 8.1: over IPv6 a zero UDP checksum is discarded (test_udp_ipv6.py)")
@pytest.mark.requirement("RFC768:R4")
def test_zero_checksum_is_accepted(dut):
    """
    Purpose: an all-zero checksum field means the sender computed none; the datagram is delivered.
    Setup: fresh DUT; socket on 0.0.0.0:7000.
    Procedure: UDP(chksum=0) with payload b"no checksum".
    Judgement: recvfrom returns it from (198.18.0.1, 5000); no drop counted by udp.
    Reference: RFC 768 "Format" (Checksum); RFC 1122 4.1.3.4.
    """
    sock = bound(dut)
    dut.send(udp_frame(dut, b"no checksum", chksum=0))
    assert sock.recvfrom() == (b"no checksum", (dut.peer_ip, 5000))
    assert dut.dropped("udp", "BadChecksum") == 0


@pytest.mark.requirement("RFC768:R2", "RFC768:R3", "RFC768:1122-4.1.3.4-a")
def test_all_ones_checksum_is_accepted(dut):
    """
    Purpose: a sender whose checksum computes to zero transmits 0xFFFF; the receiver accepts it (0xFFFF
        and 0 are the same one's-complement value).
    Setup: fresh DUT; socket on the wildcard address, port 7000.
    Procedure: a payload whose checksum sums to zero (two leading bytes cancel the rest); Scapy then emits
        0xFFFF in the checksum field (asserted before sending). Over IPv4 and IPv6.
    Judgement: recvfrom returns the payload exactly.
    Reference: RFC 768 "Format" (Checksum); RFC 1122 4.1.3.4 (implementation note); RFC 8200 8.1.
    """
    sock = bound(dut)
    payload = zero_sum_payload(dut.peer_addr, dut.addr, 5000, PORT, b"all ones")
    frame = udp_frame(dut, payload)
    assert reparsed(dut, frame)[UDP].chksum == 0xFFFF
    dut.send(frame)
    assert sock.recvfrom() == (payload, (dut.peer_addr, 5000))


@pytest.mark.parametrize("delta", [1, 0x0100, 0x8000], ids=["+1", "+0x100", "+0x8000"])
@pytest.mark.requirement("RFC768:1122-4.1.3.4-b", "RFC768:R2")
def test_bad_checksum_is_silently_discarded(dut, delta):
    """
    Purpose: a datagram with a non-zero checksum that does not verify is silently discarded: not delivered,
        and no ICMP error, even though the port is open; over IPv4 and IPv6.
    Setup: fresh DUT, ARP primed (IPv4); socket on the wildcard address, port 7000.
    Procedure: take the checksum Scapy computes for UDP 5000 -> 7000 b"corrupt me", resend with
        UDP(chksum=wrong), wrong = correct + delta mod 2^16 (never 0).
    Judgement: recvfrom returns None; silence; exactly one udp BadChecksum drop.
    Reference: RFC 1122 4.1.3.4; RFC 8200 8.1.
    """
    dut.prime_neighbour()
    sock = bound(dut)
    correct = reparsed(dut, udp_frame(dut, b"corrupt me"))[UDP].chksum
    wrong = (correct + delta) & 0xFFFF
    assert wrong not in (0, correct)
    dut.send(udp_frame(dut, b"corrupt me", chksum=wrong))
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("udp", "BadChecksum")


@pytest.mark.parametrize("length", [19, 100, 65535])
@pytest.mark.requirement("RFC768:R1")
def test_length_beyond_ip_payload_is_discarded(dut, length):
    """
    Purpose: a UDP length field larger than the IP payload (8 + 10 bytes here) describes bytes that are not
        there; the datagram is discarded, not read past the end (over IPv4 and IPv6).
    Setup: fresh DUT, ARP primed (IPv4); socket on the wildcard address, port 7000.
    Procedure: UDP(len=`length`) with a 10-byte payload (IP total length correct for 18 bytes of UDP; 19 is
        one byte too many).
    Judgement: recvfrom returns None; silence; exactly one udp BadLength drop.
    Reference: RFC 768 "Format" (Length).
    """
    dut.prime_neighbour()
    sock = bound(dut)
    dut.send(udp_frame(dut, b"0123456789", len=length))
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("udp", "BadLength")


@pytest.mark.parametrize("length", [0, 1, 7])
@pytest.mark.requirement("RFC768:R1")
@pytest.mark.linux_deviation(
    "RFC 768 / RFC 2675 4: over IPv6 the kernel takes a UDP length of 0 as 'the IPv6 payload length' (the "
    "jumbogram rule) also in a datagram that is not a jumbogram, and delivers it", ids=["ipv6-0"])
def test_length_below_header_is_discarded(dut, length):
    """
    Purpose: a UDP length below 8 cannot even cover the header; the datagram is discarded (over IPv4 and
        IPv6).
    Setup: fresh DUT, ARP primed (IPv4); socket on the wildcard address, port 7000.
    Procedure: UDP(len=`length`) with a 10-byte payload.
    Judgement: recvfrom returns None; silence; exactly one udp BadLength drop.
    Reference: RFC 768 "Format" (Length: "the minimum value of the length is eight").
    """
    dut.prime_neighbour()
    sock = bound(dut)
    dut.send(udp_frame(dut, b"0123456789", len=length))
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("udp", "BadLength")


@pytest.mark.parametrize("length", [0, 4, 7])
@pytest.mark.requirement("RFC768:R1")
def test_truncated_header_is_discarded(dut, length):
    """
    Purpose: an IP payload of fewer than 8 bytes is not a UDP datagram (over IPv4 and IPv6).
    Setup: fresh DUT, ARP primed (IPv4); socket on the wildcard address, port 7000.
    Procedure: the first `length` bytes of a Scapy UDP header (5000 -> 7000) as the payload of an IP
        datagram with protocol (next header) 17 (IP total / payload length matching).
    Judgement: recvfrom returns None; silence; exactly one udp Truncated drop.
    Reference: RFC 768 "Format".
    """
    dut.prime_neighbour()
    sock = bound(dut)
    header = raw(UDP(sport=5000, dport=PORT) / b"x")[:8]
    frame = dut.ip_frame(proto=17) / header[:length]
    assert len(raw(frame)) == 14 + dut.ip_header_len + length
    dut.send(frame)
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("udp", "Truncated")


@pytest.mark.requirement("RFC768:R1", "RFC768:R5")
def test_bytes_after_udp_length_are_not_data(dut):
    """
    Purpose: octets inside the IP payload but beyond the UDP length are not user data (over IPv4 and IPv6).
    Setup: fresh DUT; socket on the wildcard address, port 7000.
    Procedure: UDP 5000 -> 7000, length 12 (payload b"data", checksum over those 12 bytes), followed inside
        the IP datagram by 8 more bytes b"TRAILING" (IPv4 total length 40; IPv6 payload length 20).
    Judgement: recvfrom returns exactly b"data".
    Reference: RFC 768 "Format" (Length); RFC 8200 8.1.
    """
    sock = bound(dut)
    udp = reparsed(dut, udp_frame(dut, b"data"))[UDP]
    assert udp.len == 12
    frame = dut.ip_frame(proto=17) / (raw(udp)[:12] + b"TRAILING")
    ip = reparsed(dut, frame)
    assert (ip.plen == 20) if dut.v6 else (ip.len == 40)
    dut.send(frame)
    assert sock.recvfrom() == (b"data", (dut.peer_addr, 5000))


@pytest.mark.parametrize("destination", ["255.255.255.255", "198.18.0.255"], ids=["limited", "directed"])
@pytest.mark.ipv4_only("IPv6 has no broadcast (RFC 4291 2); multicast delivery is in test_udp_multicast.py")
@pytest.mark.requirement("RFC768:R5", "RFC791:1122-3.2.1.3-b")
def test_broadcast_delivered_to_wildcard_socket(dut, destination):
    """
    Purpose: a broadcast datagram reaches the socket bound to 0.0.0.0 on its port, with its real source.
    Setup: fresh DUT; socket on 0.0.0.0:7000; another socket on 0.0.0.0:7001 (must not get it).
    Procedure: UDP 5000 -> `destination`:7000 b"broadcast!" in an Ethernet broadcast frame.
    Judgement: the 7000 socket returns (b"broadcast!", ("198.18.0.1", 5000)); the 7001 socket returns None;
        nothing is sent.
    Reference: RFC 768 "User Interface"; RFC 1122 3.2.1.3.
    """
    sock = bound(dut)
    other = bound(dut, port=PORT + 1)
    dut.send(udp_frame(dut, b"broadcast!", dst=destination, dst_mac="ff:ff:ff:ff:ff:ff"))
    assert sock.recvfrom() == (b"broadcast!", (dut.peer_ip, 5000))
    assert other.recvfrom() is None
    dut.expect_silence(timeout_ms=200)


INVALID_SOURCES = {  # id: IPv4 source, IPv6 source (IPv6 has no broadcast: multicast groups of both scopes)
    "limited-broadcast": ("255.255.255.255", "ff02::1"),
    "directed-broadcast": ("198.18.0.255", "ff02::1:ff00:1"),
    "multicast": ("224.0.0.1", "ff0e::1:2"),
}


@pytest.mark.parametrize("kind", list(INVALID_SOURCES))
@pytest.mark.requirement("RFC768:1122-4.1.3.6-a")
@pytest.mark.ipv4_requirement("RFC791:1122-3.2.1.3-c")
@pytest.mark.ipv6_requirement("RFC8200:R3-src-multicast")
@pytest.mark.linux_deviation(
    "RFC 1122 3.2.1.3 / 4.1.3.6: the kernel delivers a datagram whose source is the subnet's directed "
    "broadcast", ids=["ipv4-directed-broadcast"])
def test_invalid_source_is_not_delivered(dut, kind):
    """
    Purpose: a UDP datagram whose source is a broadcast or multicast address is discarded by UDP or IP (here
        by IP) and never reaches the socket, which could otherwise answer a whole network; over IPv4 and IPv6
        (which has no broadcast: the all-nodes, a solicited-node and a global-scope multicast source).
    Setup: fresh DUT; socket on the wildcard address, port 7000.
    Procedure: UDP 5000 -> DUT:7000 b"spoofed" with IP source 255.255.255.255, 198.18.0.255, 224.0.0.1 (IPv4)
        or ff02::1, ff02::1:ff00:1, ff0e::1:2 (IPv6) by `kind`.
    Judgement: recvfrom returns None; silence; exactly one ipv4 (ipv6) BadAddress drop.
    Reference: RFC 1122 4.1.3.6 and 3.2.1.3; RFC 4291 2.7 (a multicast address is never a source).
    """
    sock = bound(dut)
    dut.send(udp_frame(dut, b"spoofed", src=INVALID_SOURCES[kind][dut.v6]))
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv6" if dut.v6 else "ipv4", "BadAddress")
