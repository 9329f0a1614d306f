"""RFC 826 packet reception: replies to requests for our address, the merge rule, and what never creates a
cache entry. Every frame is built with Scapy; the DUT is the stack in-process on virtual time."""
import pytest
from scapy.all import ARP, Ether

BROADCAST = "ff:ff:ff:ff:ff:ff"
ZERO_MAC = "00:00:00:00:00:00"
OTHER_MAC = "02:00:00:00:00:50"
OTHER_IP = "198.18.0.50"
ABSENT_IP = "198.18.0.77"


def arp_frames(frames):
    return [f for f in frames if ARP in f]


def assert_reply_fields(frame, dut, to_mac, to_ip):
    """The reply RFC 826 describes: sender fields ours, target fields the requester's, opcode 2."""
    assert frame.dst == to_mac, f"reply must be unicast to the requester, went to {frame.dst}"
    assert frame.src == dut.mac
    assert frame.type == 0x0806
    arp = frame[ARP]
    assert (arp.hwtype, arp.ptype, arp.hwlen, arp.plen) == (1, 0x0800, 6, 4)
    assert arp.op == 2, f"opcode {arp.op} is not reply"
    assert arp.hwsrc == dut.mac
    assert arp.psrc == dut.ip
    assert arp.hwdst == to_mac
    assert arp.pdst == to_ip


@pytest.mark.requirement("RFC826:R7", "RFC826:R8")
def test_request_for_our_address_is_answered(dut):
    """
    Purpose: a broadcast ARP request for the DUT's address draws exactly one reply with every field as
        RFC 826 builds it (sender and target swapped, our hardware address filled in, opcode reply).
    Setup: fresh DUT at 198.18.0.2 (02:00:00:00:00:02); empty cache.
    Procedure: the peer (198.18.0.1, 02:00:00:00:00:01) broadcasts a request for 198.18.0.2.
    Judgement: exactly one frame leaves: unicast to the peer's MAC, EtherType 0x0806, hardware type 1,
        protocol 0x0800, lengths 6/4, opcode 2, sender = DUT MAC/IP, target = peer MAC/IP.
    Reference: RFC 826 "Packet Reception".
    """
    dut.receive()
    dut.send(Ether(src=dut.peer_mac, dst=BROADCAST) /
             ARP(op=1, hwsrc=dut.peer_mac, psrc=dut.peer_ip, hwdst=ZERO_MAC, pdst=dut.ip))
    out = dut.receive(timeout_ms=100)
    assert len(out) == 1, f"expected exactly one reply, got {[f.summary() for f in out]}"
    assert_reply_fields(out[0], dut, dut.peer_mac, dut.peer_ip)


@pytest.mark.requirement("RFC826:R7", "RFC826:R8")
def test_unicast_request_is_answered(dut):
    """
    Purpose: a request sent to the DUT's own MAC (the unicast poll RFC 1122 2.3.2.1 describes for cache
        validation) is answered like a broadcast one.
    Setup: fresh DUT.
    Procedure: the peer sends a request for 198.18.0.2 to 02:00:00:00:00:02 with the target hardware
        address already filled in.
    Judgement: exactly one reply, unicast to the peer, with the exact RFC 826 fields.
    Reference: RFC 826 "Packet Reception"; RFC 1122 2.3.2.1 (unicast poll).
    """
    dut.receive()
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) /
             ARP(op=1, hwsrc=dut.peer_mac, psrc=dut.peer_ip, hwdst=dut.mac, pdst=dut.ip))
    out = dut.receive(timeout_ms=100)
    assert len(out) == 1, f"expected exactly one reply, got {[f.summary() for f in out]}"
    assert_reply_fields(out[0], dut, dut.peer_mac, dut.peer_ip)


@pytest.mark.requirement("RFC826:R6")
def test_request_for_us_creates_entry_for_requester(dut):
    """
    Purpose: RFC 826 adds the requester to the table when we are the target (Merge_flag false), since it is
        about to talk to us.
    Setup: fresh DUT; the cache holds nothing for 198.18.0.1 (checked first).
    Procedure: the peer broadcasts a request for the DUT's address.
    Judgement: arp.lookup(198.18.0.1) returns the peer's MAC afterwards.
    Reference: RFC 826 "Packet Reception" ("?Am I the target protocol address? ... add the triplet").
    """
    assert dut.stack.arp.lookup(dut.eth, dut.peer_ip) is None
    dut.send(Ether(src=dut.peer_mac, dst=BROADCAST) /
             ARP(op=1, hwsrc=dut.peer_mac, psrc=dut.peer_ip, pdst=dut.ip))
    assert dut.stack.arp.lookup(dut.eth, dut.peer_ip) == dut.peer_mac


@pytest.mark.requirement("RFC826:R9", "RFC826:R6")
def test_request_for_another_address_is_ignored(dut):
    """
    Purpose: a request for an address that is not ours draws no reply and teaches the DUT nothing.
    Setup: fresh DUT.
    Procedure: 198.18.0.50 broadcasts a request for 198.18.0.77 (not the DUT).
    Judgement: nothing leaves the DUT within 1 s; no cache entry for 198.18.0.50; the packet is counted as
        an ARP NotForUs drop.
    Reference: RFC 826 "Packet Reception" ("?Am I the target protocol address?" No: stop).
    """
    dut.send(Ether(src=OTHER_MAC, dst=BROADCAST) /
             ARP(op=1, hwsrc=OTHER_MAC, psrc=OTHER_IP, pdst=ABSENT_IP))
    dut.expect_silence(timeout_ms=1000)
    assert dut.stack.arp.lookup(dut.eth, OTHER_IP) is None
    dut.assert_dropped("arp", "NotForUs")


@pytest.mark.parametrize("target_ip", [OTHER_IP, ABSENT_IP], ids=["gratuitous", "reply-to-other-host"])
@pytest.mark.requirement("RFC826:R6")
def test_unsolicited_reply_creates_no_entry(dut, target_ip):
    """
    Purpose: an unsolicited reply whose target is not the DUT must not create a cache entry (only packets
        for us may add a sender, RFC 826), so hosts cannot fill or poison the table with gratuitous traffic.
    Setup: fresh DUT; no entry for 198.18.0.50.
    Procedure: 198.18.0.50 broadcasts an ARP reply, either gratuitous (target IP = its own) or addressed to
        198.18.0.77.
    Judgement: no frame leaves; arp.lookup(198.18.0.50) stays None; counted as ARP NotForUs.
    Reference: RFC 826 "Packet Reception" (merge rule); RFC 5227 section 1.2 (relation to RFC 826).
    """
    dut.send(Ether(src=OTHER_MAC, dst=BROADCAST) /
             ARP(op=2, hwsrc=OTHER_MAC, psrc=OTHER_IP, hwdst=BROADCAST if target_ip == OTHER_IP else ZERO_MAC,
                 pdst=target_ip))
    dut.expect_silence(timeout_ms=500)
    assert dut.stack.arp.lookup(dut.eth, OTHER_IP) is None
    dut.assert_dropped("arp", "NotForUs")


@pytest.mark.requirement("RFC826:R5")
def test_existing_entry_is_updated_by_any_packet(dut):
    """
    Purpose: the merge rule: when the sender is already in the table, its hardware address is updated from
        any ARP packet, even one not addressed to us, and the DUT's traffic follows the new address.
    Setup: prime the DUT's cache with 198.18.0.1 -> 02:00:00:00:00:01.
    Procedure: the peer, now with MAC 02:00:00:00:00:11, broadcasts a gratuitous request (sender and target
        IP 198.18.0.1); then a UDP socket on the DUT sends a datagram to 198.18.0.1.
    Judgement: lookup returns the new MAC; the datagram's Ethernet destination is the new MAC and no ARP
        request precedes it.
    Reference: RFC 826 "Packet Reception" (Merge_flag).
    """
    new_mac = "02:00:00:00:00:11"
    dut.prime_arp()
    assert dut.stack.arp.lookup(dut.eth, dut.peer_ip) == dut.peer_mac
    dut.send(Ether(src=new_mac, dst=BROADCAST) /
             ARP(op=1, hwsrc=new_mac, psrc=dut.peer_ip, hwdst=ZERO_MAC, pdst=dut.peer_ip))
    assert dut.stack.arp.lookup(dut.eth, dut.peer_ip) == new_mac
    dut.receive()
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", 40000)
    sock.sendto(b"after-merge", (dut.peer_ip, 9))
    out = dut.receive(timeout_ms=50)
    assert len(out) == 1 and ARP not in out[0], f"expected the datagram only, got {[f.summary() for f in out]}"
    assert out[0].dst == new_mac


@pytest.mark.requirement("RFC826:R7", "RFC826:R8", "RFC826:5227-2.4-a")
def test_probe_for_our_address_is_answered(dut):
    """
    Purpose: an RFC 5227 probe (sender IP 0.0.0.0) for the DUT's address is answered by the ordinary RFC 826
        reply, which is how the prober learns the address is taken; the probe is neither a conflict (its
        sender IP is not ours) nor a source of a cache entry for 0.0.0.0.
    Setup: fresh DUT.
    Procedure: 02:00:00:00:00:33 broadcasts a request with sender IP 0.0.0.0 and target IP 198.18.0.2.
    Judgement: exactly one reply, unicast to 02:00:00:00:00:33, sender = DUT MAC/IP, target MAC = prober,
        target IP 0.0.0.0; no conflict is reported; nothing cached for 0.0.0.0.
    Reference: RFC 826 "Packet Reception"; RFC 5227 sections 2.1.1 and 2.4.
    """
    prober = "02:00:00:00:00:33"
    dut.receive()
    dut.send(Ether(src=prober, dst=BROADCAST) /
             ARP(op=1, hwsrc=prober, psrc="0.0.0.0", hwdst=ZERO_MAC, pdst=dut.ip))
    out = dut.receive(timeout_ms=100)
    assert len(out) == 1, f"expected exactly one reply, got {[f.summary() for f in out]}"
    assert_reply_fields(out[0], dut, prober, "0.0.0.0")
    assert list(dut.stack.arp.conflicts) == []
    assert dut.stack.arp.lookup(dut.eth, "0.0.0.0") is None
