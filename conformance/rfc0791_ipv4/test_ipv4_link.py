"""Ethernet II framing under IP (RFC 894): frames cut inside the Ethernet header, frames for another station
and unknown EtherTypes never reach IP and draw nothing."""
import pytest
from scapy.all import ICMP, IP, Ether, raw


def echo_frame(dut, **ether):
    fields = dict(src=dut.peer_mac, dst=dut.mac)
    fields.update(ether)
    return Ether(**fields) / IP(src=dut.peer_ip, dst=dut.ip) / ICMP(id=0x4242, seq=1) / b"link-layer"


@pytest.mark.parametrize("length", range(14))
@pytest.mark.requirement("RFC791:894-a")
def test_frame_cut_inside_ethernet_header(dut, length):
    """
    Purpose: a frame shorter than the 14-byte Ethernet header, cut at every byte boundary from 0 to 13,
        is discarded without effect.
    Setup: fresh DUT; ARP primed so that a wrongly accepted echo would be answered at once.
    Procedure: a Scapy echo request to 198.18.0.2, cut to `length` bytes.
    Judgement: silence; exactly one Ethernet Truncated drop.
    Reference: RFC 894 "Frame Format".
    """
    dut.prime_arp()
    dut.send(raw(echo_frame(dut))[:length])
    dut.expect_silence(timeout_ms=200)
    dut.assert_dropped("ethernet", "Truncated")


@pytest.mark.parametrize("dst", ["02:00:00:00:00:99", "01:00:5e:00:00:fb"], ids=["other-station", "unjoined-group"])
@pytest.mark.requirement("RFC791:894-b")
def test_frame_for_another_station_is_ignored(dut, dst):
    """
    Purpose: a well-formed echo request to the DUT's IP address, but in a frame addressed to another
        station (unicast) or to a multicast group the DUT never joined, is not received.
    Setup: fresh DUT; ARP primed.
    Procedure: the echo request with Ethernet destination `dst`.
    Judgement: silence; exactly one Ethernet NotForUs drop; the IPv4 module never received it.
    Reference: RFC 894 "Frame Format".
    """
    dut.prime_arp()
    ipv4_rx = dut.stats()["ipv4"]["rx"]
    dut.send(echo_frame(dut, dst=dst))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ethernet", "NotForUs")
    assert dut.stats()["ipv4"]["rx"] == ipv4_rx


@pytest.mark.parametrize("ethertype", [0x88b5, 0x0801, 0x86dd + 1])
@pytest.mark.requirement("RFC791:894-c")
def test_unknown_ethertype_is_ignored(dut, ethertype):
    """
    Purpose: a frame whose type field is not one the stack implements is ignored, even when its payload is
        a valid IPv4 echo request for the DUT.
    Setup: fresh DUT; ARP primed.
    Procedure: the echo request frame with EtherType `ethertype` (local experimental 0x88b5, 0x0801, 0x86de).
    Judgement: silence; exactly one Ethernet UnknownEtherType drop.
    Reference: RFC 894 "Frame Format".
    """
    dut.prime_arp()
    dut.send(echo_frame(dut, type=ethertype))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ethernet", "UnknownEtherType")
