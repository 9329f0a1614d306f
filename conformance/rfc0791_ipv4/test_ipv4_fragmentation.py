"""IPv4 fragmentation on send (RFC 791 2.3 and 3.2, RFC 1122 3.3.3): a datagram larger than the MTU without
Don't Fragment leaves as fragments that Scapy checks one by one and puts back together with defragment();
with DF it is refused; options with the copied flag go into every fragment; an MTU of 68 still works.
The DUT builds a datagram in one pool frame: the largest UDP datagram it can send carries
frame_size - frame_headroom - 8 = 1,528 data octets (default build); a larger one is refused with TooBig."""
import picotcp
import pytest
from scapy.all import IP, UDP, Ether, defragment, raw

pytestmark = pytest.mark.skipif(not picotcp.modules().get("ipv4_fragmentation"),
                                reason="IPv4 fragmentation is not built in")

DATA = bytes((i * 13 + 5) & 0xff for i in range(1400))
LARGEST_UDP_DATA = 1528  # one 1,600-octet pool frame less 64 octets of headroom and the UDP header


def sent_ipv4(dut, timeout_ms=100):
    """Every IPv4 datagram the DUT sends within timeout_ms, as Scapy IP packets (Ethernet padding removed)."""
    return [IP(raw(f[IP])[:f[IP].len]) for f in dut.receive(timeout_ms=timeout_ms) if IP in f]


def header_checksum_ok(ip):
    fresh = IP(raw(ip))
    expected = fresh.chksum
    del fresh.chksum
    return IP(raw(fresh)).chksum == expected


def check_fragments(frags, mtu, header_len=20):
    """Common RFC 791 3.2 checks; returns the data octets of each fragment."""
    first = frags[0]
    sizes = []
    for i, f in enumerate(frags):
        assert f.ihl * 4 == header_len
        assert f.len == len(raw(f)) <= mtu, f"fragment {i} is {f.len} octets over an MTU of {mtu}"
        assert header_checksum_ok(f), f"fragment {i} header checksum"
        assert (f.id, f.src, f.dst, f.proto, f.ttl, f.tos) == (first.id, first.src, first.dst, first.proto,
                                                               first.ttl, first.tos)
        assert not f.flags.DF and not f.flags.evil
        assert f.frag * 8 == sum(sizes), f"fragment {i} offset {f.frag * 8}, expected {sum(sizes)}"
        data_len = f.len - header_len
        last = i == len(frags) - 1
        assert bool(f.flags.MF) == (not last)
        if not last:
            assert data_len % 8 == 0
            assert data_len == (mtu - header_len) // 8 * 8, "every fragment but the last is as large as fits"
        sizes.append(data_len)
    return sizes


@pytest.mark.requirement("RFC791:R15", "RFC791:R16", "RFC791:R17", "RFC791:1122-3.3.3-a", "RFC791:1122-3.3.3-b")
def test_udp_datagram_is_fragmented_to_the_mtu(make_dut):
    """
    Purpose: a UDP datagram larger than the interface MTU (and without DF) leaves as fragments that each fit
        the MTU, carry 8-octet multiples except the last, the right offsets and MF, and one Identification;
        put back together they are the original datagram.
    Setup: a DUT with an interface MTU of 576; ARP primed; a UDP socket.
    Procedure: sendto 1,400 octets to the peer, port 9.
    Judgement: three fragments of 572, 572 and 324 octets (552 + 552 + 304 data octets at offsets 0, 552,
        1,104), valid header checksums, DF clear, MF on the first two; Scapy's defragment() rebuilds one
        datagram whose UDP payload is the 1,400 octets and whose UDP checksum is valid; ipv4 tx 3.
    Reference: RFC 791 sections 2.3 and 3.2; RFC 1122 section 3.3.3.
    """
    dut = make_dut(mtu=576)
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.sendto(DATA, (dut.peer_ip, 9))
    frags = sent_ipv4(dut)
    assert len(frags) == 3
    assert check_fragments(frags, 576) == [552, 552, 304]
    assert all(f.proto == 17 and f.src == dut.ip and f.dst == dut.peer_ip for f in frags)
    whole = defragment([IP(raw(f)) for f in frags])
    assert len(whole) == 1
    rebuilt = whole[0]
    assert rebuilt.flags.MF == 0 and rebuilt.frag == 0
    assert bytes(rebuilt[UDP].payload) == DATA
    assert rebuilt[UDP].len == 8 + len(DATA)
    recomputed = IP(raw(rebuilt))
    recomputed[UDP].chksum = None
    assert IP(raw(recomputed))[UDP].chksum == rebuilt[UDP].chksum != 0
    assert dut.counter("ipv4", "tx") == 3


@pytest.mark.requirement("RFC791:R15", "RFC791:R16", "RFC791:R20", "RFC791:1122-3.3.3-b")
def test_fragmentation_down_to_mtu_68(make_dut):
    """
    Purpose: fragmentation still works on the smallest MTU every IPv4 path must carry (68 octets): 48 data
        octets per fragment.
    Setup: a DUT with an interface MTU of 68; ARP primed.
    Procedure: sendto 200 octets to the peer (208 octets of UDP).
    Judgement: five fragments of 48, 48, 48, 48 and 16 data octets, none over 68 octets; defragment() gives
        the original payload.
    Reference: RFC 791 section 3.2 ("every internet module must be able to forward a datagram of 68
        octets without further fragmentation").
    """
    dut = make_dut(mtu=68)
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.sendto(DATA[:200], (dut.peer_ip, 9))
    frags = sent_ipv4(dut)
    assert check_fragments(frags, 68) == [48, 48, 48, 48, 16]
    rebuilt = defragment([IP(raw(f)) for f in frags])
    assert len(rebuilt) == 1 and bytes(rebuilt[0][UDP].payload) == DATA[:200]


@pytest.mark.requirement("RFC791:R18", "RFC791:1122-3.3.3-b")
def test_dont_fragment_datagram_too_big_is_refused(make_dut):
    """
    Purpose: a datagram with Don't Fragment set is never fragmented: one larger than the MTU is refused
        (the sender is told) and nothing is sent; one that fits leaves whole with DF.
    Setup: a DUT with an interface MTU of 576; ARP primed.
    Procedure: ipv4 send (stack.ipv4_path.send, the IP layer's send API) of 600 octets with DF; then of 556
        octets with DF.
    Judgement: the first send returns False, nothing leaves, ipv4 TooBig +1; the second leaves as one
        576-octet datagram with DF set, MF clear, offset 0.
    Reference: RFC 791 sections 3.1 (Flags) and 3.2.
    """
    dut = make_dut(mtu=576)
    dut.prime_arp()
    assert dut.stack.ipv4_path.send(dut.peer_ip, 253, DATA[:600], dont_fragment=True) is False
    dut.expect_silence(timeout_ms=200)
    dut.assert_dropped("ipv4", "TooBig")
    assert dut.stack.ipv4_path.send(dut.peer_ip, 253, DATA[:556], dont_fragment=True) is True
    (only,) = sent_ipv4(dut)
    assert only.len == 576 and only.flags.DF and not only.flags.MF and only.frag == 0


@pytest.mark.requirement("RFC791:R19", "RFC791:R16", "RFC791:R17")
def test_router_alert_is_copied_into_every_fragment(make_dut):
    """
    Purpose: an option whose copied flag is set (Router Alert, type 148 = 0x94) appears in every fragment.
    Setup: a DUT with an interface MTU of 576; ARP primed.
    Procedure: ipv4 send of 1,200 octets, protocol 253, with the Router Alert option (24-octet header).
    Judgement: three fragments with IHL 6, each with the option 94 04 00 00, 552 + 552 + 96 data octets;
        defragment() gives the 1,200 octets.
    Reference: RFC 791 section 3.1 (Options: copied flag) and 3.2; RFC 2113.
    """
    dut = make_dut(mtu=576)
    dut.prime_arp()
    assert dut.stack.ipv4_path.send(dut.peer_ip, 253, DATA[:1200], router_alert=True) is True
    frags = sent_ipv4(dut)
    assert check_fragments(frags, 576, header_len=24) == [552, 552, 96]
    for f in frags:
        assert raw(f)[20:24] == b"\x94\x04\x00\x00"
    rebuilt = defragment([IP(raw(f)) for f in frags])
    assert len(rebuilt) == 1 and raw(rebuilt[0])[-1200:] == DATA[:1200]


@pytest.mark.requirement("RFC791:1122-3.3.3-a", "RFC791:1122-3.3.3-b")
@pytest.mark.stack_choice("the largest datagram is bounded by this stack's frame pool")
def test_largest_udp_datagram_is_one_pool_frame(make_dut):
    """
    Purpose: the documented limit: a UDP datagram of up to 1,528 data octets (one pool frame) is sent, in
        fragments when the MTU is smaller; one octet more is refused with TooBig, and nothing leaves.
    Setup: a DUT with an interface MTU of 576; ARP primed.
    Procedure: sendto 1,528 octets; then 1,529 octets.
    Judgement: three fragments carrying 1,536 octets of UDP in total; then SocketError TooBig, silence, udp
        TooBig +1.
    Reference: RFC 1122 section 3.3.3 (local fragmentation is the host's choice, and so are its limits).
    """
    dut = make_dut(mtu=576)
    dut.prime_arp()
    sock = dut.udp_socket()
    payload = DATA + DATA
    sock.sendto(payload[:LARGEST_UDP_DATA], (dut.peer_ip, 9))
    frags = sent_ipv4(dut)
    assert sum(check_fragments(frags, 576)) == 8 + LARGEST_UDP_DATA
    with pytest.raises(picotcp.SocketError, match="TooBig"):
        sock.sendto(payload[:LARGEST_UDP_DATA + 1], (dut.peer_ip, 9))
    dut.expect_silence(timeout_ms=200)
    dut.assert_dropped("udp", "TooBig")
