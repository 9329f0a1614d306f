"""Hostile IPv4 headers (RFC 791 3.1, RFC 1122 3.2.1.1-3.2.1.2): every one carries an echo request for the
DUT, so wrongly accepting it would draw a reply; each must be dropped in silence and counted with its exact
reason. Frames are built with Scapy; where a field must lie, it is set explicitly on the Scapy layer or
patched in the raw bytes."""
import pytest
from scapy.all import ICMP, IP, Ether, raw
from scapy.utils import checksum

ETH = 14  # Ethernet header length: IP starts here in every frame below


def echo(dut, payload=b"hostile-header", **ip):
    fields = dict(src=dut.peer_ip, dst=dut.ip)
    fields.update(ip)
    return Ether(src=dut.peer_mac, dst=dut.mac) / IP(**fields) / ICMP(id=0x4242, seq=7) / payload


def with_ip_options(frame_bytes, option_bytes):
    """Replaces the option area of a Scapy-built frame (IP header with 4*k bytes of NOPs) by option_bytes
    and recomputes the header checksum, so the option list is the only defect."""
    ihl = (frame_bytes[ETH] & 0x0F) * 4
    assert len(option_bytes) == ihl - 20
    header = bytearray(frame_bytes[ETH:ETH + ihl])
    header[20:ihl] = option_bytes
    header[10:12] = b"\x00\x00"
    header[10:12] = checksum(bytes(header)).to_bytes(2, "big")
    return frame_bytes[:ETH] + bytes(header) + frame_bytes[ETH + ihl:]


def nop_options(dut, count):
    from scapy.all import IPOption_NOP
    return raw(echo(dut, options=[IPOption_NOP()] * count))


@pytest.fixture
def primed(dut):
    dut.prime_arp()
    return dut


@pytest.mark.parametrize("length", [0, 1, 12, 19])
@pytest.mark.requirement("RFC791:R2")
def test_truncated_header(primed, length):
    """
    Purpose: an IPv4 header cut short (fewer than its 20 fixed bytes) is not processed.
    Setup: fresh DUT, ARP primed.
    Procedure: a Scapy echo request for 198.18.0.2 cut to 14 + `length` bytes (Ethernet header kept).
    Judgement: silence; exactly one ipv4 Truncated drop.
    Reference: RFC 791 section 3.1 (header format, IHL minimum 5).
    """
    dut = primed
    dut.send(raw(echo(dut))[:ETH + length])
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "Truncated")


@pytest.mark.parametrize("version", [0, 5, 6, 15])
@pytest.mark.requirement("RFC791:R1", "RFC791:1122-3.2.1.1-a")
def test_wrong_version(primed, version):
    """
    Purpose: a datagram in the IPv4 EtherType whose version field is not 4 is silently discarded.
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request built with IP(version=`version`) (Scapy computes a valid checksum over it).
    Judgement: silence; exactly one ipv4 BadVersion drop.
    Reference: RFC 791 section 3.1 (Version); RFC 1122 3.2.1.1.
    """
    dut = primed
    dut.send(echo(dut, version=version))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "BadVersion")


@pytest.mark.parametrize("ihl", [0, 1, 4])
@pytest.mark.requirement("RFC791:R2")
def test_header_length_below_minimum(primed, ihl):
    """
    Purpose: an IHL below 5 words cannot describe a valid header; the datagram is discarded.
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request built with IP(ihl=`ihl`) (the 20 bytes are still sent, checksum valid).
    Judgement: silence; exactly one ipv4 BadHeaderLength drop.
    Reference: RFC 791 section 3.1 (IHL: "the minimum value for a correct header is 5").
    """
    dut = primed
    dut.send(echo(dut, ihl=ihl))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "BadHeaderLength")


@pytest.mark.requirement("RFC791:R2")
def test_header_length_beyond_datagram(primed):
    """
    Purpose: an IHL that claims more header than the datagram holds (15 words = 60 bytes in a 28-byte
        datagram) is discarded, not read past the end.
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request without data built with IP(ihl=15) (total length 28, 42-byte frame).
    Judgement: silence; exactly one ipv4 BadHeaderLength drop.
    Reference: RFC 791 section 3.1 (IHL).
    """
    dut = primed
    frame = Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip, ihl=15) / ICMP(id=1, seq=1)
    assert len(raw(frame)) == ETH + 28
    dut.send(frame)
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "BadHeaderLength")


@pytest.mark.parametrize("total_length", [16, 19, 200, 65535], ids=["below-header", "19", "beyond-frame", "max"])
@pytest.mark.requirement("RFC791:R4", "RFC791:R3")
def test_total_length_inconsistent(primed, total_length):
    """
    Purpose: a total length shorter than the header, or longer than the bytes received, makes the datagram
        unusable; it is discarded.
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request (14 data bytes, 42 bytes of datagram) built with IP(len=`total_length`).
    Judgement: silence; exactly one ipv4 BadLength drop.
    Reference: RFC 791 section 3.1 (Total Length).
    """
    dut = primed
    dut.send(echo(dut, len=total_length))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "BadLength")


@pytest.mark.parametrize("delta", [1, 0x0100, 0xFFFF], ids=["+1", "+0x100", "complement"])
@pytest.mark.requirement("RFC791:R5", "RFC791:1122-3.2.1.2-a")
def test_bad_header_checksum(primed, delta):
    """
    Purpose: a datagram whose header checksum does not verify is silently discarded.
    Setup: fresh DUT, ARP primed.
    Procedure: build the echo request, read the checksum Scapy computed, rebuild with IP(chksum=wrong)
        where wrong = (correct + delta) mod 2^16 (never equal to the correct one, nor its +0/-0 twin).
    Judgement: silence; exactly one ipv4 BadChecksum drop.
    Reference: RFC 791 section 3.1 (Header Checksum); RFC 1122 3.2.1.2.
    """
    dut = primed
    correct = IP(raw(echo(dut)[IP])).chksum
    wrong = (correct + delta) & 0xFFFF
    assert wrong != correct
    dut.send(echo(dut, chksum=wrong))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "BadChecksum")


@pytest.mark.parametrize("options", [
    bytes([0x07, 0x00, 0x04, 0x00]),                  # record route, length 0
    bytes([0x07, 0x01, 0x04, 0x00]),                  # length 1 (below type + length)
    bytes([0x07, 0x08, 0x04, 0x00]),                  # length 8, past the 4-byte option area
    bytes([0x01, 0x01, 0x01, 0x44]),                  # timestamp type in the last byte: no room for its length
    bytes([0x01, 0x83, 0xff, 0x04, 0, 0, 0, 0]),      # loose source route, length 255
], ids=["len0", "len1", "past-header", "no-length-byte", "len255"])
@pytest.mark.requirement("RFC791:R11")
def test_malformed_option_list(primed, options):
    """
    Purpose: an option list that cannot be walked (length 0 or 1, an option running past the header, a
        multi-byte option without its length byte) is not accepted. This stack drops such a datagram in
        silence; RFC 1122 3.2.2.5 would also allow a Parameter Problem, which it does not send.
    Setup: fresh DUT, ARP primed.
    Procedure: a Scapy echo request with a NOP option area of the right size, whose option bytes are then
        replaced by `options` and the header checksum recomputed.
    Judgement: no echo reply, nothing but a Parameter Problem (RFC 1122 3.2.2.5, what Linux sends); with this
        stack silence and exactly one ipv4 BadOption drop.
    Reference: RFC 791 section 3.1 (Options).
    """
    dut = primed
    frame = with_ip_options(nop_options(dut, len(options)), options)
    dut.send(frame)
    out = dut.receive(timeout_ms=500)
    assert all(ICMP in f and f[ICMP].type == 12 for f in out), [f.summary() for f in out]
    if dut.backend == "binding":
        assert out == [], [f.summary() for f in out]
        dut.assert_dropped("ipv4", "BadOption")
