"""RFC 5227 as used by this stack: announcement of a new address and ongoing conflict detection with a
rate-limited defence."""
import pytest
from scapy.all import ARP, Ether

BROADCAST = "ff:ff:ff:ff:ff:ff"
ZERO_MAC = "00:00:00:00:00:00"
INTRUDER_MAC = "02:00:00:00:00:66"
SECOND_IP = "198.18.0.3"


def is_announcement(frame, dut, ip):
    return (ARP in frame and frame.dst == BROADCAST and frame.src == dut.mac and frame[ARP].op == 1
            and frame[ARP].hwsrc == dut.mac and frame[ARP].psrc == ip and frame[ARP].pdst == ip)


def claim(dut, op, claimed_ip, mac=INTRUDER_MAC):
    target = "198.18.0.1" if op == 1 else claimed_ip
    dut.send(Ether(src=mac, dst=BROADCAST) /
             ARP(op=op, hwsrc=mac, psrc=claimed_ip, hwdst=ZERO_MAC, pdst=target))


@pytest.mark.requirement("RFC826:5227-2.3-a", "RFC826:5227-2.1.1-a")
def test_announcement_when_address_is_added(dut):
    """
    Purpose: adding an address makes the DUT announce it with a gratuitous ARP request in the RFC 5227
        form, so neighbours update stale entries.
    Setup: fresh DUT with 198.18.0.2; output drained.
    Procedure: add 198.18.0.3/24 to the same device.
    Judgement: an ARP frame leaves at once: Ethernet broadcast from the DUT MAC, opcode 1 (request),
        hardware type 1, protocol 0x0800, sender MAC = DUT MAC, sender IP = target IP = 198.18.0.3,
        target MAC all zeros.
    Reference: RFC 5227 sections 2.3 and 2.1.1.
    """
    dut.receive()
    assert dut.stack.ipv4.add_address(dut.eth, SECOND_IP, 24)
    out = dut.receive()
    assert len(out) == 1, [f.summary() for f in out]
    frame = out[0]
    assert is_announcement(frame, dut, SECOND_IP), frame.summary()
    arp = frame[ARP]
    assert (arp.hwtype, arp.ptype, arp.hwlen, arp.plen) == (1, 0x0800, 6, 4)
    assert arp.hwdst == ZERO_MAC


@pytest.mark.requirement("RFC826:5227-2.3-b")
def test_announcement_is_repeated(dut):
    """
    Purpose: RFC 5227 sends ANNOUNCE_NUM (2) announcements ANNOUNCE_INTERVAL (2 s) apart, so a neighbour
        that lost the first still updates its cache.
    Setup: fresh DUT; output drained.
    Procedure: add 198.18.0.3/24; watch the output for 5 s of virtual time in 10 ms steps.
    Judgement: exactly two announcements of 198.18.0.3, the second 2 s (within one 10 ms step) after the
        first; nothing else.
    Reference: RFC 5227 sections 1.1 (constants) and 2.3.
    """
    dut.receive()
    assert dut.stack.ipv4.add_address(dut.eth, SECOND_IP, 24)
    seen = [(dut.clock.now_ms, f) for f in dut.receive()]
    for _ in range(500):
        dut.advance(10)
        seen += [(dut.clock.now_ms, f) for f in dut.receive()]
    assert all(is_announcement(f, dut, SECOND_IP) for _, f in seen), [f.summary() for _, f in seen]
    times = [t for t, _ in seen]
    assert len(times) == 2, f"expected 2 announcements, saw them at {times}"
    assert 2000 <= times[1] - times[0] <= 2010, f"announcements at {times}"


@pytest.mark.parametrize("op", [1, 2], ids=["request", "reply"])
@pytest.mark.requirement("RFC826:5227-2.4-a", "RFC826:5227-2.4-b")
def test_conflict_is_detected_and_defended(dut, op):
    """
    Purpose: an ARP request or reply from another MAC whose sender IP is the DUT's address is a conflict:
        it is reported (stack.arp.conflicts), counted, never cached, and the DUT defends once with an
        announcement (the stack's choice among RFC 5227 2.4 (a)-(c)).
    Setup: fresh DUT at 198.18.0.2.
    Procedure: 02:00:00:00:00:66 broadcasts an ARP packet (request or reply) with sender IP 198.18.0.2.
    Judgement: conflicts == [(eth index, "198.18.0.2", "02:00:00:00:00:66")]; one ARP Conflict drop; exactly
        one frame leaves, a broadcast announcement of 198.18.0.2 by the DUT's MAC; no cache entry maps
        198.18.0.2 to the intruder.
    Reference: RFC 5227 section 2.4.
    """
    dut.receive()
    claim(dut, op, dut.ip)
    assert list(dut.stack.arp.conflicts) == [(dut.eth.index, dut.ip, INTRUDER_MAC)]
    dut.assert_dropped("arp", "Conflict")
    out = dut.receive()
    assert len(out) == 1 and is_announcement(out[0], dut, dut.ip), [f.summary() for f in out]
    assert out[0][ARP].hwdst == ZERO_MAC
    assert dut.stack.arp.lookup(dut.eth, dut.ip) is None


@pytest.mark.requirement("RFC826:5227-2.4-b", "RFC826:5227-2.4-a")
@pytest.mark.linux_deviation(
    "RFC 5227 2.4: the kernel does not defend its address against a conflicting ARP (address conflict "
    "detection and defence are left to user space, e.g. arping -D / NetworkManager)"
)
def test_defence_is_rate_limited(dut):
    """
    Purpose: the DUT defends its address at most once per DEFEND_INTERVAL (10 s), so two hosts claiming the
        same address cannot start an announcement storm; every conflict is still reported.
    Setup: fresh DUT.
    Procedure: the intruder claims 198.18.0.2 at t0, t0+1 s and t0+11 s.
    Judgement: announcements at t0 and t0+11 s only (two in total); three conflicts reported and counted.
    Reference: RFC 5227 section 2.4 (b), DEFEND_INTERVAL.
    """
    dut.receive()
    claim(dut, 2, dut.ip)
    first = dut.receive()
    dut.advance(1_000)
    claim(dut, 2, dut.ip)
    second = dut.receive()
    dut.advance(10_000)
    claim(dut, 2, dut.ip)
    third = dut.receive()
    assert len(first) == 1 and is_announcement(first[0], dut, dut.ip), [f.summary() for f in first]
    assert second == [], f"defended twice within DEFEND_INTERVAL: {[f.summary() for f in second]}"
    assert len(third) == 1 and is_announcement(third[0], dut, dut.ip), [f.summary() for f in third]
    assert len(dut.stack.arp.conflicts) == 3
    dut.assert_dropped("arp", "Conflict", count=3)


@pytest.mark.requirement("RFC826:5227-2.4-a")
def test_own_announcement_reflected_is_not_a_conflict(dut):
    """
    Purpose: only a sender hardware address that is not the DUT's makes a conflict; the DUT's own
        announcement looped back by the network must not be reported or defended against.
    Setup: fresh DUT.
    Procedure: inject an announcement of 198.18.0.2 whose sender MAC is the DUT's own.
    Judgement: no conflict reported, no Conflict counted, nothing sent within 1 s.
    Reference: RFC 5227 section 2.4 ("... but the sender hardware address does not match").
    """
    dut.send(Ether(src=dut.mac, dst=BROADCAST) /
             ARP(op=1, hwsrc=dut.mac, psrc=dut.ip, hwdst=ZERO_MAC, pdst=dut.ip))
    dut.expect_silence(timeout_ms=1000)
    assert list(dut.stack.arp.conflicts) == []
    assert dut.dropped("arp", "Conflict") == 0
