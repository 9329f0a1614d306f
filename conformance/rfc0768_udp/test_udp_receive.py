"""UDP input (RFC 768, RFC 1122 4.1.3): delivery to the bound socket, checksum rules, length rules,
invalid sources. Hostile datagrams are sent to a port with a socket bound, so that wrongly accepting one
would show in recvfrom; each must also draw no ICMP error and be counted with its exact reason."""
import pytest
from scapy.all import IP, UDP, Ether, raw
from scapy.layers.inet import in4_chksum

PORT = 7000


def udp_frame(dut, payload, sport=5000, dport=PORT, src=None, dst=None, dst_mac=None, **udp):
    return (Ether(src=dut.peer_mac, dst=dst_mac or dut.mac) / IP(src=src or dut.peer_ip, dst=dst or dut.ip) /
            UDP(sport=sport, dport=dport, **udp) / payload)


def bound(dut, address="0.0.0.0", port=PORT):
    sock = dut.udp_socket()
    sock.bind(address, port)
    return sock


def zero_sum_payload(src, dst, sport, dport, tail):
    """A payload whose UDP checksum computes to zero: two leading bytes chosen to cancel the rest."""
    ip = IP(src=src, dst=dst)
    partial = in4_chksum(17, ip, raw(UDP(sport=sport, dport=dport, chksum=0) / (b"\x00\x00" + tail)))
    return partial.to_bytes(2, "big") + tail


@pytest.mark.parametrize("address", ["0.0.0.0", "198.18.0.2"], ids=["wildcard", "specific"])
@pytest.mark.parametrize("payload", [b"", b"a", b"hello, udp", bytes(range(256)) * 5 + b"\x00" * 192],
                         ids=["empty", "1-byte", "10-byte", "1472-byte"])
@pytest.mark.requirement("RFC768:R5", "RFC768:1122-4.1.3.5-a", "RFC768:1122-4.1.3.4-a")
def test_datagram_delivered_to_bound_socket(dut, address, payload):
    """
    Purpose: a datagram to a bound port is delivered whole, with its source address and port, to a socket
        bound to the wildcard address or to the DUT's specific address.
    Setup: fresh DUT; a UDP socket bound to `address`:7000.
    Procedure: the peer sends UDP 5000 -> 198.18.0.2:7000 with `payload` (Scapy computes the checksum).
    Judgement: recvfrom returns exactly (payload, ("198.18.0.1", 5000)) once, then None; nothing is sent.
    Reference: RFC 768 "User Interface"; RFC 1122 4.1.3.4, 4.1.3.5.
    """
    assert len(payload) in (0, 1, 10, 1472)
    sock = bound(dut, address)
    dut.send(udp_frame(dut, payload))
    assert sock.recvfrom() == (payload, (dut.peer_ip, 5000))
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=200)


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
    Setup: fresh DUT; socket on 0.0.0.0:7000.
    Procedure: a payload whose checksum sums to zero (two leading bytes cancel the rest); Scapy then emits
        0xFFFF in the checksum field (asserted before sending).
    Judgement: recvfrom returns the payload exactly.
    Reference: RFC 768 "Format" (Checksum); RFC 1122 4.1.3.4 (implementation note).
    """
    sock = bound(dut)
    payload = zero_sum_payload(dut.peer_ip, dut.ip, 5000, PORT, b"all ones")
    frame = udp_frame(dut, payload)
    assert IP(raw(frame[IP]))[UDP].chksum == 0xFFFF
    dut.send(frame)
    assert sock.recvfrom() == (payload, (dut.peer_ip, 5000))


@pytest.mark.parametrize("delta", [1, 0x0100, 0x8000], ids=["+1", "+0x100", "+0x8000"])
@pytest.mark.requirement("RFC768:1122-4.1.3.4-b", "RFC768:R2")
def test_bad_checksum_is_silently_discarded(dut, delta):
    """
    Purpose: a datagram with a non-zero checksum that does not verify is silently discarded: not delivered,
        and no ICMP error, even though the port is open.
    Setup: fresh DUT, ARP primed; socket on 0.0.0.0:7000.
    Procedure: take the checksum Scapy computes for UDP 5000 -> 7000 b"corrupt me", resend with
        UDP(chksum=wrong), wrong = correct + delta mod 2^16 (never 0).
    Judgement: recvfrom returns None; silence; exactly one udp BadChecksum drop.
    Reference: RFC 1122 4.1.3.4.
    """
    dut.prime_arp()
    sock = bound(dut)
    correct = IP(raw(udp_frame(dut, b"corrupt me")[IP]))[UDP].chksum
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
        there; the datagram is discarded, not read past the end.
    Setup: fresh DUT, ARP primed; socket on 0.0.0.0:7000.
    Procedure: UDP(len=`length`) with a 10-byte payload (IP total length correct for 18 bytes of UDP; 19 is
        one byte too many).
    Judgement: recvfrom returns None; silence; exactly one udp BadLength drop.
    Reference: RFC 768 "Format" (Length).
    """
    dut.prime_arp()
    sock = bound(dut)
    dut.send(udp_frame(dut, b"0123456789", len=length))
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("udp", "BadLength")


@pytest.mark.parametrize("length", [0, 1, 7])
@pytest.mark.requirement("RFC768:R1")
def test_length_below_header_is_discarded(dut, length):
    """
    Purpose: a UDP length below 8 cannot even cover the header; the datagram is discarded.
    Setup: fresh DUT, ARP primed; socket on 0.0.0.0:7000.
    Procedure: UDP(len=`length`) with a 10-byte payload.
    Judgement: recvfrom returns None; silence; exactly one udp BadLength drop.
    Reference: RFC 768 "Format" (Length: "the minimum value of the length is eight").
    """
    dut.prime_arp()
    sock = bound(dut)
    dut.send(udp_frame(dut, b"0123456789", len=length))
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("udp", "BadLength")


@pytest.mark.parametrize("length", [0, 4, 7])
@pytest.mark.requirement("RFC768:R1")
def test_truncated_header_is_discarded(dut, length):
    """
    Purpose: an IP payload of fewer than 8 bytes is not a UDP datagram.
    Setup: fresh DUT, ARP primed; socket on 0.0.0.0:7000.
    Procedure: the first `length` bytes of a Scapy UDP header (5000 -> 7000) as the payload of an IP
        datagram with protocol 17 (IP total length matching).
    Judgement: recvfrom returns None; silence; exactly one udp Truncated drop.
    Reference: RFC 768 "Format".
    """
    dut.prime_arp()
    sock = bound(dut)
    header = raw(IP(src=dut.peer_ip, dst=dut.ip) / UDP(sport=5000, dport=PORT) / b"x")[20:28]
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip, proto=17) / header[:length])
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("udp", "Truncated")


@pytest.mark.requirement("RFC768:R1", "RFC768:R5")
def test_bytes_after_udp_length_are_not_data(dut):
    """
    Purpose: octets inside the IP payload but beyond the UDP length are not user data.
    Setup: fresh DUT; socket on 0.0.0.0:7000.
    Procedure: UDP 5000 -> 7000, length 12 (payload b"data", checksum over those 12 bytes), followed inside
        the IP datagram by 8 more bytes b"TRAILING" (IP total length 40).
    Judgement: recvfrom returns exactly b"data".
    Reference: RFC 768 "Format" (Length).
    """
    sock = bound(dut)
    udp = IP(raw(IP(src=dut.peer_ip, dst=dut.ip) / UDP(sport=5000, dport=PORT) / b"data"))[UDP]
    assert udp.len == 12
    frame = (Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip, proto=17) /
             (raw(udp)[:12] + b"TRAILING"))
    assert IP(raw(frame[IP])).len == 40
    dut.send(frame)
    assert sock.recvfrom() == (b"data", (dut.peer_ip, 5000))


@pytest.mark.parametrize("destination", ["255.255.255.255", "198.18.0.255"], ids=["limited", "directed"])
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


@pytest.mark.parametrize("source", ["255.255.255.255", "198.18.0.255", "224.0.0.1"],
                         ids=["limited-broadcast", "directed-broadcast", "multicast"])
@pytest.mark.requirement("RFC768:1122-4.1.3.6-a", "RFC791:1122-3.2.1.3-c")
def test_invalid_source_is_not_delivered(dut, source):
    """
    Purpose: a UDP datagram whose source is a broadcast or multicast address is discarded by UDP or IP (here
        by IP) and never reaches the socket, which could otherwise answer a whole network.
    Setup: fresh DUT; socket on 0.0.0.0:7000.
    Procedure: UDP 5000 -> 198.18.0.2:7000 b"spoofed" with IP source `source`.
    Judgement: recvfrom returns None; silence; exactly one ipv4 BadAddress drop.
    Reference: RFC 1122 4.1.3.6 and 3.2.1.3.
    """
    sock = bound(dut)
    dut.send(udp_frame(dut, b"spoofed", src=source))
    assert sock.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "BadAddress")
