"""The ARP queue per unresolved address (RFC 1122 2.3.2.2): more than the latest datagram is kept, enough for the
fragments of one datagram, which all leave in order once the address resolves."""
import picotcp
import pytest
from scapy.all import ARP, IP, UDP, Ether, defragment, raw

pytestmark = pytest.mark.skipif(not picotcp.modules().get("ipv4_fragmentation"),
                                reason="IPv4 fragmentation is not built in")

DATA = bytes((i * 13 + 5) & 0xFF for i in range(1400))


@pytest.mark.requirement("RFC826:1122-2.3.2.2-queue", "RFC826:1122-2.3.2.2-a")
def test_fragments_queued_for_an_unresolved_address_all_arrive(make_dut):
    """
    Purpose: every fragment of a datagram sent to an unresolved address waits for the ARP reply and leaves, in
        order, once it arrives (a queue of one datagram would keep only the last fragment).
    Setup: a DUT with an interface MTU of 576 (198.18.0.2/24); nobody has answered for 198.18.0.1 yet.
    Procedure: a UDP socket sends 1,400 octets to 198.18.0.1:9 (three fragments at 576); the peer answers the
        ARP request.
    Judgement: before the reply only the one ARP request leaves; after it exactly three IPv4 fragments to
        02:00:00:00:00:01, offsets 0, 552 and 1,104 in that order, one Identification, MF on the first two;
        Scapy's defragment() rebuilds the UDP datagram with the 1,400 octets; no ARP drop; the frame pool has
        no frame in use once the device queue is drained.
    Reference: RFC 1122 2.3.2.2; RFC 791 3.2.
    """
    dut = make_dut(mtu=576)
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", 40001)
    sock.sendto(DATA, (dut.peer_ip, 9))
    before = dut.receive(0)
    assert len(before) == 1 and ARP in before[0] and before[0][ARP].pdst == dut.peer_ip, [
        f.summary() for f in before]
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) /
             ARP(op=2, hwsrc=dut.peer_mac, psrc=dut.peer_ip, hwdst=dut.mac, pdst=dut.ip))
    out = [f for f in dut.receive(50) if IP in f]
    assert len(out) == 3 and all(f.dst == dut.peer_mac for f in out), [f.summary() for f in out]
    frags = [IP(raw(f[IP])[:f[IP].len]) for f in out]
    assert [f.frag * 8 for f in frags] == [0, 552, 1104]
    assert [bool(f.flags.MF) for f in frags] == [True, True, False]
    assert len({f.id for f in frags}) == 1
    whole = defragment(frags)
    assert len(whole) == 1 and UDP in whole[0]
    assert raw(whole[0][UDP])[8:] == DATA and whole[0][UDP].dport == 9
    assert dut.drop_changes().get("arp", {}) == {}
    assert dut.stats()["pools"]["frames"]["in_use"] == 0
