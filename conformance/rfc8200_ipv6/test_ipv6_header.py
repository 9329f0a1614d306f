"""The IPv6 header and the extension-header chain on input (RFC 8200 3, 4, 4.1-4.4, 4.6, 4.7, 8.1; RFC 5095;
RFC 4291 2.7), including the CVE-2020-17442/17444/17445 shapes of picoTCP's IPv6 parser."""
import pytest
from scapy.all import Ether, Raw, raw
from scapy.layers.inet6 import (
    HBHOptUnknown,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ParamProblem,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    PadN,
    RouterAlert,
)


def echo(dut, *headers, data=b"ping6", dst=None, **ip):
    """Ether/IPv6/<headers>/ICMPv6 Echo Request from the peer to the DUT (or dst)."""
    pkt = dut.ipv6(dst=dst or dut.ip6, **ip)
    for h in headers:
        pkt = pkt / h
    return pkt / ICMPv6EchoRequest(id=0x6666, seq=1, data=data)


def is_reply(frame):
    return ICMPv6EchoReply in frame


def is_problem(frame):
    return ICMPv6ParamProblem in frame


def expect_problem(dut, code, pointer, invoking):
    """A Parameter Problem to the peer with code and pointer, quoting the invoking packet (its start)."""
    frame = dut.expect(is_problem, timeout_ms=1000, what="ICMPv6 Parameter Problem")
    assert frame[IPv6].src == dut.ip6 and frame[IPv6].dst == dut.peer_ip6
    problem = frame[ICMPv6ParamProblem]
    assert (problem.code, problem.ptr) == (code, pointer), (problem.code, problem.ptr)
    quoted = raw(problem.payload)
    invoking = raw(invoking[IPv6])
    assert quoted == invoking[: len(quoted)] and len(quoted) == min(len(invoking), 1232)
    return frame


@pytest.mark.requirement("RFC8200:R3-version")
def test_version_not_6_discarded(dut):
    """
    Purpose: a packet with EtherType 0x86dd whose Version field is not 6 is not processed.
    Setup: DUT with IPv6 enabled.
    Procedure: an echo request whose IPv6 version nibble is 5.
    Judgement: no frame from the DUT for 1 s; ipv6 counts exactly one BadVersion drop.
    Reference: RFC 8200 3.
    """
    dut.enable_ipv6()
    dut.send(echo(dut, version=5))
    dut.expect_silence(1000)
    dut.assert_dropped("ipv6", "BadVersion")


@pytest.mark.requirement("RFC8200:R3-payload-length")
def test_payload_length_bounds_the_packet(dut):
    """
    Purpose: the Payload Length bounds the packet: too large for the frame is discarded, octets after it
        (link padding) are not part of the packet.
    Setup: DUT with IPv6 enabled.
    Procedure: (1) echo request whose Payload Length is 10 more than the octets that follow the header;
        (2) the same request with a correct Payload Length and 12 octets of trailing garbage in the frame.
    Judgement: (1) silence and one ipv6 BadLength drop; (2) one echo reply whose data is exactly the
        request's (the garbage is not echoed) and whose Payload Length is 8 + 5.
    Reference: RFC 8200 3 (Payload Length).
    """
    dut.enable_ipv6()
    good = echo(dut)
    bad = good.copy()
    bad[IPv6].plen = len(raw(good[IPv6].payload)) + 10
    dut.send(bad)
    dut.expect_silence(500)
    dut.assert_dropped("ipv6", "BadLength")
    dut.send(raw(good) + b"\xee" * 12)
    reply = dut.expect(is_reply)
    assert reply[IPv6].plen == 8 + 5
    assert reply[ICMPv6EchoReply].data == b"ping6"


@pytest.mark.requirement("RFC8200:R3-hop-limit-host")
@pytest.mark.parametrize("hlim", [0, 1, 255])
def test_hop_limit_not_checked_on_delivery(dut, hlim):
    """
    Purpose: the Hop Limit matters to forwarding nodes only: a packet for the host is delivered whatever
        its Hop Limit.
    Setup: DUT with IPv6 enabled.
    Procedure: echo request with Hop Limit 0, 1 or 255.
    Judgement: an echo reply (Hop Limit 64, the DUT's default).
    Reference: RFC 8200 3 (Hop Limit).
    """
    dut.enable_ipv6()
    dut.send(echo(dut, hlim=hlim))
    reply = dut.expect(is_reply)
    assert reply[IPv6].hlim == 64


@pytest.mark.requirement("RFC8200:R3-src-multicast")
def test_multicast_source_discarded(dut):
    """
    Purpose: a packet whose source is a multicast address is discarded.
    Setup: DUT with IPv6 enabled.
    Procedure: echo request from ff02::1 to the DUT's unicast address.
    Judgement: silence; one ipv6 BadAddress drop.
    Reference: RFC 4291 2.7.
    """
    dut.enable_ipv6()
    dut.send(echo(dut, src="ff02::1"))
    dut.expect_silence(500)
    dut.assert_dropped("ipv6", "BadAddress")


@pytest.mark.requirement("RFC8200:R4-unknown-nh", "RFC4443:R3.4-discard", "RFC4443:R3.4-parameter-problem")
def test_unknown_next_header(dut):
    """
    Purpose: an unrecognised Next Header is answered by Parameter Problem code 1 pointing at the field that
        named it, in the IPv6 header or in an extension header.
    Setup: DUT with IPv6 enabled, its ND answered.
    Procedure: (1) IPv6 Next Header 253 with 16 octets; (2) a Destination Options header naming 253.
    Judgement: Parameter Problem code 1 with pointer 6, then pointer 40 (the Next Header field of the
        Destination Options header); each quotes the invoking packet; ipv6 counts two UnknownProtocol drops.
    Reference: RFC 8200 4; RFC 4443 3.4.
    """
    dut.enable_ipv6()
    first = dut.ipv6(nh=253) / Raw(b"x" * 16)
    dut.send(first)
    expect_problem(dut, 1, 6, first)
    second = dut.ipv6() / IPv6ExtHdrDestOpt(nh=253) / Raw(b"y" * 16)
    dut.send(second)
    expect_problem(dut, 1, 40, second)
    dut.assert_dropped("ipv6", "UnknownProtocol", 2)


@pytest.mark.requirement("RFC8200:R4-hbh-first")
def test_hop_by_hop_only_first(dut):
    """
    Purpose: Hop-by-Hop Options are only allowed right after the IPv6 header; Next Header 0 elsewhere is
        an unrecognised Next Header.
    Setup: DUT with IPv6 enabled.
    Procedure: (1) echo request with Destination Options then Hop-by-Hop; (2) with Hop-by-Hop first.
    Judgement: (1) Parameter Problem code 1, pointer 40 (the Destination Options header's Next Header),
        one BadExtensionHeader drop, no echo reply; (2) an echo reply.
    Reference: RFC 8200 4, 4.1.
    """
    dut.enable_ipv6()
    bad = echo(dut, IPv6ExtHdrDestOpt(), IPv6ExtHdrHopByHop())
    dut.send(bad)
    expect_problem(dut, 1, 40, bad)
    dut.assert_dropped("ipv6", "BadExtensionHeader")
    dut.send(echo(dut, IPv6ExtHdrHopByHop()))
    dut.expect(is_reply)


@pytest.mark.requirement("RFC8200:R4.1-any-order", "RFC8200:R4.6-dest-options", "RFC8200:R4.4-segments-left-0",
                         "RFC8200:R4.3-hbh-host", "RFC8200:R4.2-pad", "RFC8200:R8.1-final-destination")
@pytest.mark.linux_deviation(
    "RFC 8200 4.1/4.3 with RFC 2711: the kernel does not answer an echo request whose Hop-by-Hop header carries "
    "a Router Alert option (any value); the same chain without it is answered")
def test_headers_in_any_order_and_repeated(dut):
    """
    Purpose: extension headers in any order and repeated are processed; Segments Left 0 routing headers
        (type 0 included) are skipped; Hop-by-Hop with Router Alert and PadN is accepted.
    Setup: DUT with IPv6 enabled.
    Procedure: echo request with Hop-by-Hop (Router Alert, PadN), Destination Options (PadN 4), Routing
        type 0 Segments Left 0, Destination Options, Routing type 77 Segments Left 0, Destination Options
        (Pad1s); the ICMPv6 checksum uses the IPv6 destination (the final one: Segments Left is 0).
    Judgement: one echo reply with the request's id, sequence and data.
    Reference: RFC 8200 4.1-4.4, 4.6, 8.1.
    """
    dut.enable_ipv6()
    pkt = echo(
        dut,
        IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), PadN(optdata=b"\x00\x00")]),
        IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)]),
        IPv6ExtHdrRouting(type=0, segleft=0, addresses=["2001:db8::77"]),
        IPv6ExtHdrDestOpt(),
        IPv6ExtHdrRouting(type=77, segleft=0, addresses=[]),
        IPv6ExtHdrDestOpt(options=[]),
        data=b"order",
    )
    dut.send(pkt)
    reply = dut.expect(is_reply)
    assert (reply[ICMPv6EchoReply].id, reply[ICMPv6EchoReply].seq, reply[ICMPv6EchoReply].data) == (0x6666, 1, b"order")


@pytest.mark.requirement("RFC8200:R4.4-unknown-type", "RFC8200:R4.4-rh0")
@pytest.mark.parametrize("rtype", [0, 77])
def test_routing_header_with_segments_left(dut, rtype):
    """
    Purpose: a Routing header with Segments Left non-zero is never executed by a host: type 0 (RFC 5095)
        and unknown types are answered by Parameter Problem code 0 pointing at the Routing Type.
    Setup: DUT with IPv6 enabled.
    Procedure: echo request with a Routing header (type 0 or 77, Segments Left 1, one address).
    Judgement: Parameter Problem code 0, pointer 42; no echo reply and nothing sent towards the address
        in the Routing header; one BadExtensionHeader drop.
    Reference: RFC 8200 4.4; RFC 5095 3.
    """
    dut.enable_ipv6()
    pkt = echo(dut, IPv6ExtHdrRouting(type=rtype, segleft=1, addresses=["2001:db8::77"]))
    dut.send(pkt)
    expect_problem(dut, 0, 42, pkt)
    dut.expect_silence(500)
    dut.assert_dropped("ipv6", "BadExtensionHeader")


@pytest.mark.requirement("RFC8200:R4.2-action-00", "RFC8200:R4.2-action-01", "RFC8200:R4.2-action-10",
                         "RFC8200:R4.2-action-11")
@pytest.mark.parametrize("header", ["hbh", "dest"])
@pytest.mark.parametrize("otype", [0x1E, 0x5E, 0x9E, 0xDE])
def test_unrecognised_option_action_bits(dut, header, otype):
    """
    Purpose: the two high-order bits of an unrecognised option's type decide: 00 skip, 01 discard
        silently, 10 and 11 discard and send Parameter Problem code 2 pointing at the option type.
    Setup: DUT with IPv6 enabled.
    Procedure: echo request (to the DUT's unicast address) with a Hop-by-Hop or Destination Options header
        holding PadN(0) then the option (type otype, 2 octets of data).
    Judgement: 00: echo reply. 01: silence, one UnknownOption drop. 10/11: Parameter Problem code 2 with
        pointer 44 (40 + 2 + the 2-octet PadN), one UnknownOption drop, no echo reply.
    Reference: RFC 8200 4.2.
    """
    dut.enable_ipv6()
    options = [PadN(optdata=b""), HBHOptUnknown(otype=otype, optdata=b"\x00\x00")]
    ext = IPv6ExtHdrHopByHop(options=options) if header == "hbh" else IPv6ExtHdrDestOpt(options=options)
    pkt = echo(dut, ext)
    dut.send(pkt)
    action = otype >> 6
    if action == 0:
        dut.expect(is_reply)
        return
    if action == 1:
        dut.expect_silence(500)
    else:
        expect_problem(dut, 2, 44, pkt)
        dut.expect_silence(500)
    dut.assert_dropped("ipv6", "UnknownOption")


@pytest.mark.requirement("RFC8200:R4.2-action-10", "RFC8200:R4.2-action-11", "RFC4443:R2.4-e3")
def test_unrecognised_option_to_multicast(dut):
    """
    Purpose: to a multicast destination, action 10 still sends Parameter Problem code 2 (an exception to
        RFC 4443 2.4 (e.3)), action 11 does not.
    Setup: DUT with IPv6 enabled.
    Procedure: echo request to ff02::1 (Ethernet 33:33:00:00:00:01) with a Destination Options header
        holding option 0xDE (11), then the same with 0x9E (10).
    Judgement: 11: silence; 10: Parameter Problem code 2 pointer 42 from the DUT's unicast address (RFC
        4443 2.2); two UnknownOption drops.
    Reference: RFC 8200 4.2; RFC 4443 2.4 (e.3).
    """
    dut.enable_ipv6()
    for otype in (0xDE, 0x9E):
        pkt = (Ether(src=dut.peer_mac, dst="33:33:00:00:00:01") / IPv6(src=dut.peer_ip6, dst="ff02::1") /
               IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=otype, optdata=b"")]) /
               ICMPv6EchoRequest(id=1, seq=otype))
        dut.send(pkt)
        if otype == 0xDE:
            dut.expect_silence(500)
        else:
            frame = dut.expect(is_problem)
            assert frame[IPv6].src == dut.ip6
            assert (frame[ICMPv6ParamProblem].code, frame[ICMPv6ParamProblem].ptr) == (2, 42)
    dut.assert_dropped("ipv6", "UnknownOption", 2)


@pytest.mark.requirement("RFC8200:R4-order", "RFC8200:R4.2-tlv-order")
def test_processing_order(dut):
    """
    Purpose: headers, and options within a header, are processed strictly in order: the first offending
        one decides.
    Setup: DUT with IPv6 enabled.
    Procedure: (1) Destination Options with option 0x5E (01, silent discard) then 0x9E (10); (2) the
        reverse order; (3) Destination Options with 0x9E followed by a Routing header type 0 Segments Left 1.
    Judgement: (1) silence (the 01 option decides); (2) Parameter Problem code 2 pointer 42; (3) Parameter
        Problem code 2 pointer 42 (the option, not the later routing header); three UnknownOption drops, no
        BadExtensionHeader.
    Reference: RFC 8200 4 and 4.2.
    """
    dut.enable_ipv6()
    silent_first = [HBHOptUnknown(otype=0x5E, optdata=b""), HBHOptUnknown(otype=0x9E, optdata=b"")]
    dut.send(echo(dut, IPv6ExtHdrDestOpt(options=silent_first)))
    dut.expect_silence(500)
    reported_first = list(reversed(silent_first))
    pkt = echo(dut, IPv6ExtHdrDestOpt(options=reported_first))
    dut.send(pkt)
    expect_problem(dut, 2, 42, pkt)
    pkt = echo(dut, IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9E, optdata=b"")]),
               IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:db8::77"]))
    dut.send(pkt)
    expect_problem(dut, 2, 42, pkt)
    dut.assert_dropped("ipv6", "UnknownOption", 3)
    dut.assert_dropped("ipv6", "BadExtensionHeader", 0)


@pytest.mark.requirement("RFC8200:R4.7-no-next-header")
def test_no_next_header(dut):
    """
    Purpose: Next Header 59 ends the packet: the octets after it are ignored, nothing is answered.
    Setup: DUT with IPv6 enabled.
    Procedure: (1) IPv6 Next Header 59 with 20 octets after the header; (2) Destination Options naming 59
        followed by an ICMPv6 echo request's octets.
    Judgement: silence for 1 s; ipv6 counts two NoNextHeader and no other drop.
    Reference: RFC 8200 4.7.
    """
    dut.enable_ipv6()
    dut.send(dut.ipv6(nh=59) / Raw(b"z" * 20))
    dut.send(dut.ipv6() / IPv6ExtHdrDestOpt(nh=59) / Raw(raw(ICMPv6EchoRequest(id=1, seq=1))))
    dut.expect_silence(1000)
    dut.assert_dropped("ipv6", "NoNextHeader", 2)
    assert dut.drop_changes() == {"ipv6": {"NoNextHeader": 2}}


@pytest.mark.requirement("RFC8200:R4.2-length-bound", "RFC8200:R4.3-hbh-host")
@pytest.mark.linux_deviation(
    "RFC 4443 3.4 (SHOULD originate a Parameter Problem for an erroneous extension-header field): the kernel "
    "drops an option whose length runs past its header in silence")
def test_cve_2020_17442(dut):
    """
    Purpose: CVE-2020-17442 shape (picoTCP hop-by-hop option length wrap-around): an option length that
        runs past its header is never followed.
    Setup: DUT with IPv6 enabled.
    Procedure: (1) Hop-by-Hop header of 8 octets (Hdr Ext Len 0) whose first option claims 255 octets of
        data; (2) a Hop-by-Hop header whose Hdr Ext Len (255: 2048 octets) runs past the packet; (3) a
        valid echo request after both.
    Judgement: (1) Parameter Problem code 0 pointing at the option length (offset 43), one BadOption drop;
        (2) silence, one ipv6 Truncated drop; (3) an echo reply (the stack is intact).
    Reference: RFC 8200 4.2, 4.3; CVE-2020-17442.
    """
    dut.enable_ipv6()
    wrap = dut.ipv6(nh=0) / Raw(bytes([58, 0, 0x1E, 0xFF, 0, 0, 0, 0]) + raw(ICMPv6EchoRequest()))
    dut.send(wrap)
    expect_problem(dut, 0, 43, wrap)
    dut.assert_dropped("ipv6", "BadOption")
    past = dut.ipv6(nh=0) / Raw(bytes([58, 255, 1, 4, 0, 0, 0, 0]) + raw(ICMPv6EchoRequest()))
    dut.send(past)
    dut.expect_silence(500)
    dut.assert_dropped("ipv6", "Truncated")
    dut.send(echo(dut))
    dut.expect(is_reply)


@pytest.mark.requirement("RFC8200:R4.1-chain-bound")
def test_cve_2020_17444(dut):
    """
    Purpose: CVE-2020-17444 shape (extension-header chains that never end or run to the maximum length):
        the chain is walked within the packet and a bound.
    Setup: DUT with IPv6 enabled.
    Procedure: (1) 30 Destination Options headers then an echo request; (2) a Destination Options header
        with the maximum Hdr Ext Len (255, 2048 octets) in a short packet; (3) a chain whose last header
        ends exactly at the end of the packet, naming another Destination Options header; (4) a valid echo.
    Judgement: (1) at most an echo reply (the bound is the implementation's: Linux walks 30 headers and
        answers), with this stack silence and one BadExtensionHeader drop; (2) and (3) silence, two Truncated
        drops; (4) an echo reply.
    Reference: RFC 8200 4.1; CVE-2020-17444.
    """
    dut.enable_ipv6()
    dut.send(echo(dut, *[IPv6ExtHdrDestOpt() for _ in range(30)]))
    out = dut.receive(500)
    assert all(is_reply(f) for f in out) and len(out) <= 1, [f.summary() for f in out]
    if dut.backend == "binding":
        assert out == [], [f.summary() for f in out]
        dut.assert_dropped("ipv6", "BadExtensionHeader")
    dut.send(dut.ipv6(nh=60) / Raw(bytes([58, 255, 1, 4, 0, 0, 0, 0]) + raw(ICMPv6EchoRequest())))
    dut.send(dut.ipv6(nh=60) / Raw(bytes([60, 0, 1, 4, 0, 0, 0, 0])))
    dut.expect_silence(500)
    dut.assert_dropped("ipv6", "Truncated", 2)
    dut.send(echo(dut))
    dut.expect(is_reply)


@pytest.mark.requirement("RFC8200:R4.2-length-bound", "RFC8200:R4.6-dest-options")
@pytest.mark.linux_deviation(
    "RFC 4443 3.4 (SHOULD originate a Parameter Problem for an erroneous extension-header field): the kernel "
    "drops an option whose length runs past its header in silence")
def test_cve_2020_17445(dut):
    """
    Purpose: CVE-2020-17445 shape (destination options read out of bounds): the last option of a
        Destination Options header ends one octet past the header.
    Setup: DUT with IPv6 enabled.
    Procedure: Destination Options (Hdr Ext Len 0): PadN(0), then option 0x1E with length 3 (one octet
        past the 8-octet header), followed by an echo request.
    Judgement: Parameter Problem code 0 pointing at that option's length (offset 45); one BadOption drop;
        no echo reply.
    Reference: RFC 8200 4.2, 4.6; CVE-2020-17445.
    """
    dut.enable_ipv6()
    pkt = dut.ipv6(nh=60) / Raw(bytes([58, 0, 1, 0, 0x1E, 3, 0, 0]) + raw(ICMPv6EchoRequest()))
    dut.send(pkt)
    expect_problem(dut, 0, 45, pkt)
    dut.expect_silence(500)
    dut.assert_dropped("ipv6", "BadOption")


@pytest.mark.requirement("RFC8200:R8.1-pseudo-header", "RFC4443:R2.3-checksum")
def test_checksum_uses_the_pseudo_header(dut):
    """
    Purpose: the ICMPv6 checksum covers the pseudo-header with both 128-bit addresses: a request whose
        checksum was computed for another destination is discarded; replies carry the correct checksum.
    Setup: DUT with IPv6 enabled.
    Procedure: (1) echo request whose checksum Scapy computed for destination 2001:db8::3, sent to the DUT;
        (2) a correct echo request.
    Judgement: (1) silence, one icmp6 BadChecksum drop; (2) an echo reply whose checksum equals the one
        Scapy recomputes.
    Reference: RFC 8200 8.1; RFC 4443 2.3.
    """
    dut.enable_ipv6()
    other = IPv6(src=dut.peer_ip6, dst="2001:db8::3") / ICMPv6EchoRequest(id=1, seq=1, data=b"abc")
    wrong = raw(other[ICMPv6EchoRequest])
    dut.send(dut.ipv6(nh=58) / Raw(wrong))
    dut.expect_silence(500)
    dut.assert_dropped("icmp6", "BadChecksum")
    dut.send(echo(dut))
    reply = dut.expect(is_reply)
    got = reply[ICMPv6EchoReply].cksum
    copy = reply[IPv6].copy()
    del copy[ICMPv6EchoReply].cksum
    assert IPv6(raw(copy))[ICMPv6EchoReply].cksum == got
