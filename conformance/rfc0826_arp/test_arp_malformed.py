"""Hostile ARP packets: each is built with Scapy (then a field patched in the raw bytes where Scapy would
re-encode it), must draw no answer at all, and must be counted with its exact drop reason."""
import pytest
from scapy.all import ARP, Ether, raw

BROADCAST = "ff:ff:ff:ff:ff:ff"
ETHERNET_MIN_PAYLOAD = 46  # a real frame is padded to 60 bytes; the padding keeps every length check honest


def request_for_dut(dut):
    return raw(ARP(op=1, hwsrc=dut.peer_mac, psrc=dut.peer_ip, hwdst="00:00:00:00:00:00", pdst=dut.ip))


def frame(dut, arp_bytes, pad=True):
    if pad and len(arp_bytes) < ETHERNET_MIN_PAYLOAD:
        arp_bytes = arp_bytes + bytes(ETHERNET_MIN_PAYLOAD - len(arp_bytes))
    return raw(Ether(src=dut.peer_mac, dst=BROADCAST, type=0x0806)) + arp_bytes


def patched(data, offset, value):
    return data[:offset] + value + data[offset + len(value):]


def assert_untouched(dut):
    """The peer must not have been learnt from a packet that was dropped."""
    assert dut.stack.arp.lookup(dut.eth, dut.peer_ip) is None


@pytest.mark.parametrize("length", [0, 1, 7, 8, 20, 27])
@pytest.mark.requirement("RFC826:R12")
def test_truncated_arp_is_dropped(dut, length):
    """
    Purpose: an ARP packet cut short anywhere inside its 28 bytes (Ethernet/IPv4 layout) is not processed.
    Setup: fresh DUT.
    Procedure: a valid request for 198.18.0.2, built with Scapy, cut to `length` bytes, in an unpadded
        Ethernet frame (the padding would refill the missing bytes).
    Judgement: silence; exactly one ARP Truncated drop; no cache entry.
    Reference: RFC 826 "Packet format" (fixed fields, then 2*(hln+pln) address bytes).
    """
    dut.send(frame(dut, request_for_dut(dut)[:length], pad=False))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("arp", "Truncated")
    assert_untouched(dut)


@pytest.mark.requirement("RFC826:R1")
def test_unknown_hardware_type_is_dropped(dut):
    """
    Purpose: a request whose hardware type is not Ethernet (15, Frame Relay) is not answered.
    Setup: fresh DUT.
    Procedure: a Scapy request for 198.18.0.2 with ar$hrd patched to 15 (not 6, IEEE 802 networks, which an
        Ethernet host may take as its own hardware: Linux answers it).
    Judgement: silence; exactly one ARP BadHardware drop; no cache entry.
    Reference: RFC 826 "Packet Reception" ("?Do I have the hardware type in ar$hrd?").
    """
    dut.send(frame(dut, patched(request_for_dut(dut), 0, b"\x00\x0f")))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("arp", "BadHardware")
    assert_untouched(dut)


@pytest.mark.requirement("RFC826:R3")
def test_unknown_protocol_type_is_dropped(dut):
    """
    Purpose: a request whose protocol type is not IPv4 (0x86dd here) is not answered.
    Setup: fresh DUT.
    Procedure: a Scapy request for 198.18.0.2 with ar$pro patched to 0x86dd.
    Judgement: silence; exactly one ARP BadHardware drop (the stack's reason for type and length
        mismatches); no cache entry.
    Reference: RFC 826 "Packet Reception" ("?Do I speak the protocol in ar$pro?").
    """
    dut.send(frame(dut, patched(request_for_dut(dut), 2, b"\x86\xdd")))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("arp", "BadHardware")
    assert_untouched(dut)


@pytest.mark.parametrize("hlen", [0, 4, 8])
@pytest.mark.requirement("RFC826:R2")
def test_wrong_hardware_length_is_dropped(dut, hlen):
    """
    Purpose: a request whose hardware address length is not 6 is not answered. RFC 826 makes this check
        optional (MAY); this stack performs it, which this test asserts.
    Setup: fresh DUT.
    Procedure: a Scapy request for 198.18.0.2 with ar$hln patched to `hlen`, in a padded frame.
    Judgement: silence; exactly one ARP BadHardware drop; no cache entry.
    Reference: RFC 826 "Packet Reception" ("optionally check the hardware length ar$hln").
    """
    dut.send(frame(dut, patched(request_for_dut(dut), 4, bytes([hlen]))))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("arp", "BadHardware")
    assert_untouched(dut)


@pytest.mark.parametrize("plen", [0, 6, 16])
@pytest.mark.requirement("RFC826:R4")
def test_wrong_protocol_length_is_dropped(dut, plen):
    """
    Purpose: a request whose protocol address length is not 4 is not answered. RFC 826 makes this check
        optional (MAY); this stack performs it, which this test asserts.
    Setup: fresh DUT.
    Procedure: a Scapy request for 198.18.0.2 with ar$pln patched to `plen`, in a padded frame.
    Judgement: silence; exactly one ARP BadHardware drop; no cache entry.
    Reference: RFC 826 "Packet Reception" ("optionally check the protocol length ar$pln").
    """
    dut.send(frame(dut, patched(request_for_dut(dut), 5, bytes([plen]))))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("arp", "BadHardware")
    assert_untouched(dut)


@pytest.mark.parametrize("opcode", [0, 3, 4, 0x0101])
@pytest.mark.requirement("RFC826:R10")
def test_unknown_opcode_is_dropped(dut, opcode):
    """
    Purpose: only opcodes 1 (request) and 2 (reply) are ARP; anything else (RARP's 3 and 4, 0, garbage)
        targeting the DUT's address draws no answer.
    Setup: fresh DUT.
    Procedure: a Scapy request for 198.18.0.2 with ar$op set to `opcode`.
    Judgement: silence; exactly one ARP BadOperation drop; no cache entry.
    Reference: RFC 826 "Packet format" and "Packet Reception" ("?Is the opcode ares_op$REQUEST?").
    """
    pkt = ARP(op=opcode, hwsrc=dut.peer_mac, psrc=dut.peer_ip, hwdst="00:00:00:00:00:00", pdst=dut.ip)
    dut.send(frame(dut, raw(pkt)))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("arp", "BadOperation")
    assert_untouched(dut)
