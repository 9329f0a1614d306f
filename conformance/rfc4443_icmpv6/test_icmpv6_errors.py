"""ICMPv6 errors the DUT originates: size, source, and the RFC 4443 2.4 (e) and (f) rules."""
import pytest
from scapy.all import Ether, Raw, raw
from scapy.layers.inet6 import (
    HBHOptUnknown,
    ICMPv6DestUnreach,
    ICMPv6EchoRequest,
    ICMPv6ND_Redirect,
    ICMPv6ParamProblem,
    IPv6,
    IPv6ExtHdrDestOpt,
)


def is_problem(frame):
    return ICMPv6ParamProblem in frame


def unknown_nh(dut, length=16, **fields):
    """Ether/IPv6 with Next Header 253 (no module takes it): the DUT's Parameter Problem code 1 trigger."""
    return dut.ipv6(nh=253, **fields) / Raw(bytes(i & 0xFF for i in range(length)))


@pytest.mark.requirement("RFC4443:R2.4-c", "RFC4443:R3.4-parameter-problem", "RFC4443:R2.2-source-unicast")
@pytest.mark.parametrize("total", [56, 1280, 1500])
def test_error_quotes_as_much_as_fits_1280(dut, total):
    """
    Purpose: an error includes as much of the invoking packet as fits in 1280 octets.
    Setup: DUT with IPv6 enabled.
    Procedure: a packet with Next Header 253 of `total` octets (56, 1280, 1500).
    Judgement: one Parameter Problem code 1 pointer 6 from 2001:db8::2 to 2001:db8::1; its IPv6 packet is
        min(48 + total, 1280) octets; the quote is the invoking packet's first min(total, 1232) octets.
    Reference: RFC 4443 2.2, 2.4 (c), 3.4.
    """
    dut.enable_ipv6()
    pkt = unknown_nh(dut, total - 40)
    dut.send(pkt)
    frame = dut.expect(is_problem)
    ip = frame[IPv6]
    assert (ip.src, ip.dst) == (dut.ip6, dut.peer_ip6)
    assert len(raw(ip)) == min(48 + total, 1280)
    problem = frame[ICMPv6ParamProblem]
    assert (problem.code, problem.ptr) == (1, 6)
    assert raw(problem.payload) == raw(pkt[IPv6])[: min(total, 1232)]


def wrapped(dut, message, **ip):
    """An ICMPv6 message behind a Destination Options header with an option of action 10, so that the
    DUT would send Parameter Problem code 2 about the packet if the rules did not forbid it."""
    return (dut.ipv6(**ip) / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9E, optdata=b"")]) / message)


@pytest.mark.requirement("RFC4443:R2.4-e1")
def test_no_error_about_an_error(dut):
    """
    Purpose: no error message is originated about an ICMPv6 error message.
    Setup: DUT with IPv6 enabled.
    Procedure: a Destination Unreachable (quoting a DUT packet) behind Destination Options with an option of
        action 10; then an echo request with the same header (control).
    Judgement: silence for the error; a Parameter Problem code 2 for the control; two UnknownOption drops
        and one icmp6 ErrorAboutError.
    Reference: RFC 4443 2.4 (e.1).
    """
    dut.enable_ipv6()
    quoted = raw(IPv6(src=dut.ip6, dst=dut.peer_ip6) / ICMPv6EchoRequest())
    dut.send(wrapped(dut, ICMPv6DestUnreach(code=4) / Raw(quoted)))
    dut.expect_silence(500)
    dut.send(wrapped(dut, ICMPv6EchoRequest()))
    dut.expect(is_problem)
    dut.assert_dropped("ipv6", "UnknownOption", 2)
    dut.assert_dropped("icmp6", "ErrorAboutError")


@pytest.mark.requirement("RFC4443:R2.4-e2")
@pytest.mark.linux_deviation(
    "RFC 4443 2.4 (e.2) MUST NOT: the kernel answers a Redirect behind an unknown Destination Options option "
    "(action 10) with a Parameter Problem")
def test_no_error_about_a_redirect(dut):
    """
    Purpose: no error message is originated about an ICMPv6 Redirect.
    Setup: DUT with IPv6 enabled.
    Procedure: a Redirect behind Destination Options with an option of action 10.
    Judgement: silence; one icmp6 ErrorAboutError drop.
    Reference: RFC 4443 2.4 (e.2).
    """
    dut.enable_ipv6()
    dut.send(wrapped(dut, ICMPv6ND_Redirect(tgt="fe80::99", dst="2001:db8::99"), src=dut.peer_ll6, hlim=255))
    dut.expect_silence(500)
    dut.assert_dropped("icmp6", "ErrorAboutError")


@pytest.mark.requirement("RFC4443:R2.4-e3")
def test_no_error_about_multicast_destination(dut):
    """
    Purpose: no error (other than Packet Too Big and Parameter Problem code 2) about a packet sent to a
        multicast address.
    Setup: DUT with IPv6 enabled.
    Procedure: Next Header 253 to ff02::1 (Ethernet 33:33:00:00:00:01).
    Judgement: silence; one ipv6 UnknownProtocol and one icmp6 ErrorAboutError drop.
    Reference: RFC 4443 2.4 (e.3).
    """
    dut.enable_ipv6()
    dut.send(Ether(src=dut.peer_mac, dst="33:33:00:00:00:01") / IPv6(src=dut.peer_ip6, dst="ff02::1", nh=253) /
             Raw(b"m" * 16))
    dut.expect_silence(500)
    dut.assert_dropped("ipv6", "UnknownProtocol")
    dut.assert_dropped("icmp6", "ErrorAboutError")


@pytest.mark.requirement("RFC4443:R2.4-e4", "RFC4443:R2.4-e5")
@pytest.mark.parametrize("mac", ["33:33:00:00:00:01", "ff:ff:ff:ff:ff:ff"])
def test_no_error_about_link_multicast_or_broadcast(dut, mac):
    """
    Purpose: no error about a packet that arrived as a link-layer multicast or broadcast (here: one that
        names the DUT's unicast address, which the DUT does not accept from a link group at all).
    Setup: DUT with IPv6 enabled.
    Procedure: Next Header 253 to 2001:db8::2 in an Ethernet frame to 33:33:00:00:00:01 (all-nodes) or
        ff:ff:ff:ff:ff:ff.
    Judgement: silence; one ipv6 LinkBroadcastUnicast drop (the packet never reaches error generation).
    Reference: RFC 4443 2.4 (e.4), (e.5).
    """
    dut.enable_ipv6()
    dut.send(Ether(src=dut.peer_mac, dst=mac) / IPv6(src=dut.peer_ip6, dst=dut.ip6, nh=253) / Raw(b"l" * 16))
    dut.expect_silence(500)
    dut.assert_dropped("ipv6", "LinkBroadcastUnicast")


@pytest.mark.requirement("RFC4443:R2.4-e6")
def test_no_error_about_unspecified_source(dut):
    """
    Purpose: no error about a packet whose source does not identify one node.
    Setup: DUT with IPv6 enabled.
    Procedure: Next Header 253 from the unspecified address :: to 2001:db8::2.
    Judgement: silence; one ipv6 UnknownProtocol and one icmp6 ErrorAboutError drop.
    Reference: RFC 4443 2.4 (e.6).
    """
    dut.enable_ipv6()
    dut.send(unknown_nh(dut, src="::"))
    dut.expect_silence(500)
    dut.assert_dropped("ipv6", "UnknownProtocol")
    dut.assert_dropped("icmp6", "ErrorAboutError")


@pytest.mark.requirement("RFC4443:R2.4-f")
def test_error_rate_limited(dut):
    """
    Purpose: the rate of errors originated is limited (token bucket of 10, one token back per 100 ms).
    Setup: DUT with IPv6 enabled.
    Procedure: 15 packets with Next Header 253 at once; 100 ms later two more.
    Judgement: fewer Parameter Problems than triggers for the burst; with this stack exactly 10 and 5 icmp6
        RateLimited drops, and after 100 ms exactly one more Parameter Problem (and a sixth RateLimited).
    Reference: RFC 4443 2.4 (f).
    """
    dut.enable_ipv6()
    for _ in range(15):
        dut.send(unknown_nh(dut))
    frames = [f for f in dut.receive(0) if ICMPv6ParamProblem in f]
    assert 0 < len(frames) < 15
    if dut.backend != "binding":
        return  # the bucket's size and refill are this stack's configuration
    assert len(frames) == 10
    dut.assert_dropped("icmp6", "RateLimited", 5)
    dut.advance(100)
    dut.send(unknown_nh(dut))
    dut.send(unknown_nh(dut))
    frames = [f for f in dut.receive(0) if ICMPv6ParamProblem in f]
    assert len(frames) == 1
    dut.assert_dropped("icmp6", "RateLimited", 6)
