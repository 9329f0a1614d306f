"""Fragmentation and reassembly (RFC 8200 4.5 and 5; RFC 5722 overlaps; RFC 6946 atomic fragments; RFC 7112
header chain), and path MTU discovery (RFC 8201)."""
import pytest
from scapy.all import Raw, raw
from scapy.layers.inet6 import (
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6PacketTooBig,
    ICMPv6ParamProblem,
    ICMPv6TimeExceeded,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    PadN,
)


def pattern(length, seed=3):
    return bytes((seed + i * 7) & 0xFF for i in range(length))


def echo_message(dut, data, ident=0x4242, seq=1):
    """The ICMPv6 echo request (octets after the IPv6 header) from the peer to the DUT, checksum done."""
    return raw(IPv6(src=dut.peer_ip6, dst=dut.ip6) / ICMPv6EchoRequest(id=ident, seq=seq, data=data))[40:]


def fragment(dut, message, start, end, more, ident, nh=58):
    """Ether/IPv6/Fragment carrying message[start:end] at offset start."""
    return (dut.ipv6() / IPv6ExtHdrFragment(nh=nh, offset=start // 8, m=int(more), id=ident) /
            Raw(message[start:end]))


def is_reply(frame):
    return ICMPv6EchoReply in frame


def is_problem(frame):
    return ICMPv6ParamProblem in frame


def expect_reply(dut, data, ident=0x4242):
    frame = dut.expect(is_reply, timeout_ms=1000, what="echo reply to the reassembled request")
    reply = frame[ICMPv6EchoReply]
    assert (reply.id, reply.data) == (ident, data)
    return frame


@pytest.mark.requirement("RFC8200:R4.5-reassembly")
@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1)])
def test_reassembly_in_any_order(dut, order):
    """
    Purpose: fragments with the same source, destination and Identification are reassembled in any
        arrival order, and the upper layer sees the original packet.
    Setup: DUT with IPv6 enabled.
    Procedure: an echo request with 1000 octets of data cut into fragments [0,400) [400,800) [800,1008)
        (Identification 0x1001), sent in the given order.
    Judgement: exactly one echo reply with id 0x4242 and the 1000 data octets unchanged; no drop counted.
    Reference: RFC 8200 4.5.
    """
    dut.enable_ipv6()
    data = pattern(1000)
    message = echo_message(dut, data)
    cuts = [(0, 400, True), (400, 800, True), (800, len(message), False)]
    for i in order:
        dut.send(fragment(dut, message, *cuts[i], ident=0x1001))
    expect_reply(dut, data)
    dut.expect_silence(200)
    assert dut.drop_changes() == {}


@pytest.mark.requirement("RFC8200:R5-reassemble-1500")
def test_reassembles_a_1500_octet_packet(dut):
    """
    Purpose: a packet of 1500 octets after reassembly is accepted.
    Setup: DUT with IPv6 enabled.
    Procedure: an echo request whose IPv6 packet is 1500 octets (1452 data octets) in two fragments of at
        most 1280 octets each.
    Judgement: an echo reply of 1500 octets (IPv6 Payload Length 1460) with the data unchanged.
    Reference: RFC 8200 5.
    """
    dut.enable_ipv6()
    data = pattern(1452)
    message = echo_message(dut, data)
    assert 40 + len(message) == 1500
    dut.send(fragment(dut, message, 0, 1232, True, ident=7))
    dut.send(fragment(dut, message, 1232, len(message), False, ident=7))
    frame = expect_reply(dut, data)
    assert frame[IPv6].plen == 1460


OVERLAPS = {
    # name: fragments (start, end, more) of a 1008-octet message, the second overlapping the first
    "tail": [(0, 400, True), (392, 800, True)],
    "head": [(400, 800, True), (0, 408, True)],
    "contained": [(0, 800, True), (200, 400, True)],
    "containing": [(200, 400, True), (0, 800, True)],
    "same-start": [(0, 400, True), (0, 200, True)],
    "last-disagree": [(800, 1008, False), (800, 1000, False)],
    "past-last": [(0, 400, True), (800, 1008, False), (808, 1008, True)],
}


@pytest.mark.requirement("RFC8200:R4.5-overlap")
@pytest.mark.parametrize("shape", sorted(OVERLAPS))
def test_overlapping_fragments_discard_the_packet(dut, shape):
    """
    Purpose: any overlap between fragments of a packet abandons its reassembly: every fragment received
        is discarded, no ICMP error is sent, and the rest of the packet cannot complete it.
    Setup: DUT with IPv6 enabled.
    Procedure: fragments of a 1000-data-octet echo request (Identification 0x2002) with the overlap shape
        named (tail, head, contained, containing, same start, two last fragments that disagree, data past
        the last fragment); then the three correct fragments [0,400) [400,800) [800,1008) minus the first.
    Judgement: one ipv6 FragmentOverlap drop; silence (no echo reply, no error) after the correct
        fragments, which start a new reassembly that stays incomplete.
    Reference: RFC 8200 4.5; RFC 5722 4.
    """
    dut.enable_ipv6()
    message = echo_message(dut, pattern(1000))
    for start, end, more in OVERLAPS[shape]:
        dut.send(fragment(dut, message, start, end, more, ident=0x2002))
    dut.assert_dropped("ipv6", "FragmentOverlap")
    dut.send(fragment(dut, message, 400, 800, True, ident=0x2002))
    dut.send(fragment(dut, message, 800, len(message), False, ident=0x2002))
    dut.expect_silence(1000)


@pytest.mark.requirement("RFC8200:R4.5-duplicate")
def test_exact_duplicate_fragment(dut):
    """
    Purpose: an exact duplicate of a fragment already held is dropped alone; the packet still completes.
    Setup: DUT with IPv6 enabled.
    Procedure: fragment [0,400) twice, then [400,800) and [800,1008).
    Judgement: one echo reply; no FragmentOverlap drop.
    Reference: RFC 8200 4.5.
    """
    dut.enable_ipv6()
    data = pattern(1000)
    message = echo_message(dut, data)
    dut.send(fragment(dut, message, 0, 400, True, ident=9))
    dut.send(fragment(dut, message, 0, 400, True, ident=9))
    dut.send(fragment(dut, message, 400, 800, True, ident=9))
    dut.send(fragment(dut, message, 800, len(message), False, ident=9))
    expect_reply(dut, data)
    dut.assert_dropped("ipv6", "FragmentOverlap", 0)


@pytest.mark.requirement("RFC8200:R4.5-atomic")
def test_atomic_fragment_processed_alone(dut):
    """
    Purpose: an atomic fragment (offset 0, M 0) is processed at once and in isolation, even when fragments
        with the same source, destination and Identification are in reassembly.
    Setup: DUT with IPv6 enabled.
    Procedure: fragment [0,400) of a packet with Identification 0x3003; then a whole echo request (other
        data) in an atomic fragment with Identification 0x3003; then the rest of the first packet.
    Judgement: an echo reply to the atomic fragment's request at once; then a second echo reply for the
        first packet (its reassembly was not disturbed).
    Reference: RFC 6946 4.
    """
    dut.enable_ipv6()
    data = pattern(1000)
    message = echo_message(dut, data)
    dut.send(fragment(dut, message, 0, 400, True, ident=0x3003))
    small = echo_message(dut, b"atomic", ident=0x0A70)
    dut.send(fragment(dut, small, 0, len(small), False, ident=0x3003))
    expect_reply(dut, b"atomic", ident=0x0A70)
    dut.send(fragment(dut, message, 400, 800, True, ident=0x3003))
    dut.send(fragment(dut, message, 800, len(message), False, ident=0x3003))
    expect_reply(dut, data)


@pytest.mark.requirement("RFC8200:R4.5-length-multiple", "RFC8200:R4.5-length-multiple-pp")
def test_fragment_length_not_multiple_of_8(dut):
    """
    Purpose: a fragment with M=1 whose length is not a multiple of 8 is discarded and answered with
        Parameter Problem code 0 pointing at the Payload Length field.
    Setup: DUT with IPv6 enabled.
    Procedure: fragment [0,401) with M=1, then the rest [401,1008).
    Judgement: Parameter Problem code 0, pointer 4; one BadLength drop; no echo reply.
    Reference: RFC 8200 4.5.
    """
    dut.enable_ipv6()
    message = echo_message(dut, pattern(1000))
    dut.send(fragment(dut, message, 0, 401, True, ident=11))
    frame = dut.expect(is_problem)
    assert (frame[ICMPv6ParamProblem].code, frame[ICMPv6ParamProblem].ptr) == (0, 4)
    dut.assert_dropped("ipv6", "BadLength")
    dut.expect_silence(500)


@pytest.mark.requirement("RFC8200:R4.5-overflow", "RFC8200:R4.5-overflow-pp")
def test_fragment_beyond_65535(dut):
    """
    Purpose: a fragment whose offset and length would make the reassembled Payload Length exceed 65,535
        is discarded and answered with Parameter Problem code 0 pointing at the Fragment Offset field.
    Setup: DUT with IPv6 enabled.
    Procedure: fragment at offset 65528 with 16 octets, M=0.
    Judgement: Parameter Problem code 0, pointer 42 (40 + 2); one FragmentOverflow drop; nothing in
        reassembly afterwards (pools back where they were).
    Reference: RFC 8200 4.5.
    """
    dut.enable_ipv6()
    before = dut.stats()["pools"]["frames"]["in_use"]
    dut.send(dut.ipv6() / IPv6ExtHdrFragment(nh=58, offset=65528 // 8, m=0, id=12) / Raw(b"o" * 16))
    frame = dut.expect(is_problem)
    assert (frame[ICMPv6ParamProblem].code, frame[ICMPv6ParamProblem].ptr) == (0, 42)
    dut.assert_dropped("ipv6", "FragmentOverflow")
    dut.expect_silence(200)
    assert dut.stats()["pools"]["frames"]["in_use"] == before


@pytest.mark.requirement("RFC8200:R4.5-timeout", "RFC8200:R4.5-time-exceeded", "RFC4443:R3.3-unused-zero")
def test_reassembly_timeout(dut):
    """
    Purpose: an incomplete packet is abandoned 60 s after its first-arriving fragment; Time Exceeded code 1
        goes to the source only when the fragment with offset 0 had arrived, quoting it.
    Setup: DUT with IPv6 enabled.
    Procedure: fragment [0,400) of packet A and fragment [400,800) of packet B at t0; wait 59.9 s, then
        60 s; then the missing fragments of A.
    Judgement: nothing before 60 s; at 60 s exactly one Time Exceeded code 1 (Unused 0) quoting A's first
        fragment from its IPv6 header, none for B; two ReassemblyTimeout drops; A's late fragments do not
        complete it.
    Reference: RFC 8200 4.5; RFC 4443 3.3.
    """
    dut.enable_ipv6()
    message = echo_message(dut, pattern(1000))
    first = fragment(dut, message, 0, 400, True, ident=0xA)
    dut.send(first)
    dut.send(fragment(dut, message, 400, 800, True, ident=0xB))
    dut.expect_silence(59_900)
    frame = dut.expect(lambda f: ICMPv6TimeExceeded in f, timeout_ms=200)
    exceeded = frame[ICMPv6TimeExceeded]
    assert (exceeded.code, exceeded.unused) == (1, 0)
    assert raw(exceeded.payload) == raw(first[IPv6])
    dut.assert_dropped("ipv6", "ReassemblyTimeout", 2)
    dut.send(fragment(dut, message, 400, 800, True, ident=0xA))
    dut.send(fragment(dut, message, 800, len(message), False, ident=0xA))
    dut.expect_silence(1000)


@pytest.mark.requirement("RFC8200:R4.5-first-chain")
def test_first_fragment_without_the_header_chain(dut):
    """
    Purpose: a first fragment that ends inside the extension-header chain (the upper-layer header is not
        in it) is discarded with Parameter Problem code 3 (RFC 7112).
    Setup: DUT with IPv6 enabled.
    Procedure: a fragmentable part of Destination Options (32 octets of options) + echo request; first
        fragment carries its first 16 octets (M=1), then the rest.
    Judgement: Parameter Problem code 3 pointer 0; one BadExtensionHeader drop; no echo reply.
    Reference: RFC 7112 5; RFC 8200 4.5.
    """
    dut.enable_ipv6()
    fragmentable = raw(IPv6ExtHdrDestOpt(nh=58, options=[PadN(optdata=b"\x00" * 28)])) + echo_message(dut, b"x" * 8)
    dut.send(dut.ipv6() / IPv6ExtHdrFragment(nh=60, offset=0, m=1, id=13) / Raw(fragmentable[:16]))
    frame = dut.expect(is_problem)
    assert (frame[ICMPv6ParamProblem].code, frame[ICMPv6ParamProblem].ptr) == (3, 0)
    dut.assert_dropped("ipv6", "BadExtensionHeader")
    dut.send(dut.ipv6() / IPv6ExtHdrFragment(nh=60, offset=2, m=0, id=13) / Raw(fragmentable[16:]))
    dut.expect_silence(500)


@pytest.mark.requirement("RFC8200:R4.5-bounded")
def test_fragment_flood_keeps_the_pool_bounded(dut):
    """
    Purpose: a flood of first fragments that never complete holds at most the reassembly slots' frames;
        the newest packets still reassemble, and everything is freed at the timeout.
    Setup: DUT with IPv6 enabled.
    Procedure: 200 first fragments [0,400) with distinct Identifications; then the rest of the last one;
        then 60 s.
    Judgement: frames in use never exceed the baseline plus 4 (the slots) during the flood; 196
        ReassemblyEvicted drops; an echo reply for the last packet; after 60 s frames in use are back at the
        baseline and the pool never ran out.
    Reference: RFC 8200 4.5; ARCHITECTURE 2.7 (bounded everything).
    """
    dut.enable_ipv6()
    pools = dut.stats()["pools"]["frames"]
    before, exhausted = pools["in_use"], pools["exhausted"]
    data = pattern(1000)
    message = echo_message(dut, data)
    for ident in range(200):
        dut.send(fragment(dut, message, 0, 400, True, ident=0x10000 + ident))
        assert dut.stats()["pools"]["frames"]["in_use"] <= before + 4
    dut.assert_dropped("ipv6", "ReassemblyEvicted", 196)
    dut.send(fragment(dut, message, 400, 800, True, ident=0x10000 + 199))
    dut.send(fragment(dut, message, 800, len(message), False, ident=0x10000 + 199))
    expect_reply(dut, data)
    dut.receive(61_000)
    pools = dut.stats()["pools"]["frames"]
    assert pools["in_use"] == before
    assert pools["exhausted"] == exhausted


def packet_too_big(dut, mtu, quoted_src=None, quoted_dst=None):
    """A Packet Too Big from a router (2001:db8::fe) quoting a packet the DUT sent to the peer."""
    quoted = IPv6(src=quoted_src or dut.ip6, dst=quoted_dst or dut.peer_ip6) / ICMPv6EchoReply(data=pattern(1200))
    return dut.ipv6(src="2001:db8::fe") / ICMPv6PacketTooBig(mtu=mtu) / Raw(raw(quoted)[:1232])


@pytest.mark.requirement("RFC8200:R4.5-frag-source", "RFC8200:R4.5-identification", "RFC8200:R5-min-mtu",
                         "RFC8200:R5-pmtud", "RFC8201:R4-reduce")
def test_fragmentation_to_the_path_mtu(dut):
    """
    Purpose: after a Packet Too Big of 1280, larger packets to that destination are fragmented by the DUT
        into fragments that fit 1280 octets, with 8-octet multiples, one Identification per packet and a
        new one for the next packet.
    Setup: DUT with IPv6 enabled; the peer resolved by a small echo exchange.
    Procedure: Packet Too Big (MTU 1280) quoting a DUT -> peer packet; then two echo requests with 1400
        data octets (1448-octet packets).
    Judgement: path_mtu(peer) == 1280; each reply comes as fragments of at most 1280 octets, every one but
        the last carrying a multiple of 8 octets, offsets contiguous, the last with M=0, all with the same
        Identification; reassembled (by the test) they are the echo reply with the 1400 octets; the two
        replies' Identifications differ.
    Reference: RFC 8200 4.5, 5; RFC 8201 4.
    """
    dut.enable_ipv6()
    # Resolve the peer first, so the fragments below leave at once (not from the per-neighbour ND queue).
    dut.send(dut.ipv6() / ICMPv6EchoRequest(id=5, seq=0))
    dut.expect(is_reply)
    dut.send(packet_too_big(dut, 1280))
    assert dut.stack.ipv6.path_mtu(dut.peer_ip6) == 1280
    idents = []
    for seq in (1, 2):
        data = pattern(1400, seed=seq)
        dut.send(dut.ipv6() / ICMPv6EchoRequest(id=5, seq=seq, data=data))
        frames = dut.receive(200)
        assert frames and all(IPv6ExtHdrFragment in f for f in frames), [f.summary() for f in frames]
        assert all(len(raw(f[IPv6])) <= 1280 for f in frames)
        ids = {f[IPv6ExtHdrFragment].id for f in frames}
        assert len(ids) == 1
        idents.append(ids.pop())
        whole = b""
        for i, f in enumerate(frames):
            frag = f[IPv6ExtHdrFragment]
            body = raw(frag.payload)
            assert frag.offset * 8 == len(whole)
            assert frag.m == (0 if i == len(frames) - 1 else 1)
            if frag.m:
                assert len(body) % 8 == 0
            whole += body
        reply = ICMPv6EchoReply(whole)
        assert (reply.type, reply.id, reply.seq, reply.data) == (129, 5, seq, data)
    assert idents[0] != idents[1]


@pytest.mark.requirement("RFC8201:R4-not-below-1280")
def test_packet_too_big_below_1280_discarded(dut):
    """
    Purpose: a Packet Too Big reporting less than 1280 is discarded; the estimate never goes below 1280.
    Setup: DUT with IPv6 enabled.
    Procedure: Packet Too Big MTU 1000; then an echo request with 1400 data octets.
    Judgement: path_mtu(peer) stays 1500; one icmp6 BadLength drop; the reply leaves unfragmented (1448
        octets).
    Reference: RFC 8201 4.
    """
    dut.enable_ipv6()
    dut.send(packet_too_big(dut, 1000))
    assert dut.stack.ipv6.path_mtu(dut.peer_ip6) == 1500
    dut.assert_dropped("icmp6", "BadLength")
    dut.send(dut.ipv6() / ICMPv6EchoRequest(id=5, seq=1, data=pattern(1400)))
    frame = dut.expect(lambda f: ICMPv6EchoReply in f)
    assert len(raw(frame[IPv6])) == 1448


@pytest.mark.requirement("RFC8201:R4-no-increase", "RFC8201:R4-reduce")
def test_packet_too_big_never_increases(dut):
    """
    Purpose: Packet Too Big lowers the estimate, never raises it.
    Setup: DUT with IPv6 enabled.
    Procedure: Packet Too Big 1400, then 1450, then 1300.
    Judgement: path_mtu(peer) is 1400, stays 1400, then 1300.
    Reference: RFC 8201 4.
    """
    dut.enable_ipv6()
    expected = {1400: 1400, 1450: 1400, 1300: 1300}
    for mtu, want in expected.items():
        dut.send(packet_too_big(dut, mtu))
        assert dut.stack.ipv6.path_mtu(dut.peer_ip6) == want, mtu


@pytest.mark.requirement("RFC8201:R4-increase-5min", "RFC8201:R4-increase-10min")
def test_path_mtu_ages_after_10_minutes(dut):
    """
    Purpose: a reduced estimate is kept at least 5 minutes (here 10, the recommended value), then the link
        MTU is tried again.
    Setup: DUT with IPv6 enabled.
    Procedure: Packet Too Big 1280; read path_mtu at +5 min, +10 min - 10 ms and +10 min.
    Judgement: 1280, 1280, then 1500.
    Reference: RFC 8201 4.
    """
    dut.enable_ipv6()
    dut.send(packet_too_big(dut, 1280))
    dut.clock.advance(ms=5 * 60_000)
    dut.stack.poll()
    assert dut.stack.ipv6.path_mtu(dut.peer_ip6) == 1280
    dut.clock.advance(ms=5 * 60_000 - 10)
    dut.stack.poll()
    assert dut.stack.ipv6.path_mtu(dut.peer_ip6) == 1280
    dut.clock.advance(ms=10)
    dut.stack.poll()
    assert dut.stack.ipv6.path_mtu(dut.peer_ip6) == 1500


@pytest.mark.requirement("RFC8201:R6-validate")
def test_packet_too_big_about_foreign_packet_ignored(dut):
    """
    Purpose: a Packet Too Big quoting a packet the DUT did not send (source not one of its addresses) is
        not acted on.
    Setup: DUT with IPv6 enabled.
    Procedure: Packet Too Big 1280 quoting 2001:db8::9 -> peer.
    Judgement: path_mtu(peer) stays 1500; one icmp6 NotForUs drop.
    Reference: RFC 8201 6.
    """
    dut.enable_ipv6()
    dut.send(packet_too_big(dut, 1280, quoted_src="2001:db8::9"))
    assert dut.stack.ipv6.path_mtu(dut.peer_ip6) == 1500
    dut.assert_dropped("icmp6", "NotForUs")
