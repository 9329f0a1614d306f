"""The ICMPv6 echo responder and client, checksums and unknown informational messages (RFC 4443 2.2-2.4,
4.1, 4.2), including the CVE-2020-17441 and CVE-2020-17443 shapes of picoTCP's ICMPv6."""
import pytest
from scapy.all import Ether, Raw, raw
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6Unknown, IPv6


def pattern(length):
    return bytes((i * 7 + 3) & 0xFF for i in range(length))


def is_reply(frame):
    return ICMPv6EchoReply in frame


def recomputed_checksum(frame):
    copy = frame[IPv6].copy()
    del copy[ICMPv6EchoReply].cksum
    return IPv6(raw(copy))[ICMPv6EchoReply].cksum


@pytest.mark.parametrize("length", [0, 1, 7, 56, 1001, 1452])
@pytest.mark.requirement("RFC4443:R4.1-responder", "RFC4443:R4.2-id-seq", "RFC4443:R4.2-data",
                         "RFC4443:R2.2-source-unicast", "RFC4443:R2.3-checksum")
def test_echo_reply_returns_request_unchanged(dut, length):
    """
    Purpose: the echo responder answers with the identifier, sequence number and every data octet of the
        request, from the address the request was sent to, with a correct checksum.
    Setup: DUT with IPv6 enabled (ND for the peer answered by the harness).
    Procedure: echo request id 0xBEEF, seq = length, `length` octets of a non-repeating pattern (1452 fills
        a 1500-octet packet).
    Judgement: exactly one echo reply: Ethernet to the peer's MAC; IPv6 from 2001:db8::2 to 2001:db8::1,
        Hop Limit 64, Payload Length 8 + length; type 129 code 0, same id, seq and data; checksum equal to
        the one Scapy recomputes.
    Reference: RFC 4443 2.2, 2.3, 4.1, 4.2.
    """
    dut.enable_ipv6()
    data = pattern(length)
    dut.send(dut.ipv6() / ICMPv6EchoRequest(id=0xBEEF, seq=length, data=data))
    out = [f for f in dut.receive(200) if IPv6 in f]
    assert len(out) == 1, [f.summary() for f in out]
    frame = out[0]
    assert frame.dst == dut.peer_mac and frame.src == dut.mac
    ip = frame[IPv6]
    assert (ip.src, ip.dst, ip.hlim, ip.plen) == (dut.ip6, dut.peer_ip6, 64, 8 + length)
    reply = frame[ICMPv6EchoReply]
    assert (reply.type, reply.code, reply.id, reply.seq, reply.data) == (129, 0, 0xBEEF, length, data)
    assert reply.cksum == recomputed_checksum(frame)


@pytest.mark.requirement("RFC4443:R2.2-source-unicast", "RFC4443:R4.1-responder")
def test_echo_to_link_local(dut):
    """
    Purpose: a request to the DUT's link-local address is answered from that address.
    Setup: DUT with IPv6 enabled.
    Procedure: echo request from fe80::1 to dut.ll6.
    Judgement: an echo reply from dut.ll6 to fe80::1.
    Reference: RFC 4443 2.2, 4.1.
    """
    dut.enable_ipv6()
    dut.send(dut.ipv6(src=dut.peer_ll6, dst=dut.ll6) / ICMPv6EchoRequest(id=2, seq=3, data=b"ll"))
    frame = dut.expect(is_reply)
    assert (frame[IPv6].src, frame[IPv6].dst) == (dut.ll6, dut.peer_ll6)


@pytest.mark.requirement("RFC4443:R4.1-multicast", "RFC4443:R4.1-multicast-source", "RFC4443:R2.2-source-other")
@pytest.mark.parametrize("src", ["peer_ll6", "peer_ip6"])
def test_echo_to_multicast_answered_from_unicast(dut, src):
    """
    Purpose: an echo request to a multicast group is answered, from a unicast address of the interface it
        arrived on.
    Setup: DUT with IPv6 enabled.
    Procedure: echo request to ff02::1 (Ethernet 33:33:00:00:00:01) from fe80::1 or 2001:db8::1.
    Judgement: an echo reply whose source is the DUT's link-local (to fe80::1) or 2001:db8::2 (to
        2001:db8::1): a unicast address of eth0, never the group.
    Reference: RFC 4443 2.2, 4.1.
    """
    dut.enable_ipv6()
    peer = getattr(dut, src)
    pkt = (Ether(src=dut.peer_mac, dst="33:33:00:00:00:01") / IPv6(src=peer, dst="ff02::1") /
           ICMPv6EchoRequest(id=4, seq=4, data=b"group"))
    dut.send(pkt)
    frame = dut.expect(is_reply)
    expected = dut.ll6 if src == "peer_ll6" else dut.ip6
    assert (frame[IPv6].src, frame[IPv6].dst) == (expected, peer)
    assert frame[ICMPv6EchoReply].data == b"group"


@pytest.mark.requirement("RFC4443:R4.1-short")
@pytest.mark.parametrize("length", [4, 5, 7])
def test_cve_2020_17443(dut, length):
    """
    Purpose: CVE-2020-17443 shape: an echo request shorter than 8 octets (no room for Identifier and
        Sequence Number) is discarded, not answered from octets it does not hold.
    Setup: DUT with IPv6 enabled.
    Procedure: an ICMPv6 message of type 128 code 0 with `length` octets in all and a valid checksum.
    Judgement: silence for 1 s; one icmp6 Truncated drop; then a valid echo request is answered.
    Reference: RFC 4443 4.1; CVE-2020-17443.
    """
    dut.enable_ipv6()
    message = bytearray(bytes([128, 0, 0, 0]) + b"\x01" * (length - 4))
    probe = IPv6(src=dut.peer_ip6, dst=dut.ip6, nh=58) / Raw(bytes(message))
    from scapy.layers.inet6 import in6_chksum

    checksum = in6_chksum(58, probe, bytes(message))
    message[2:4] = checksum.to_bytes(2, "big")
    dut.send(dut.ipv6(nh=58) / Raw(bytes(message)))
    dut.expect_silence(1000)
    dut.assert_dropped("icmp6", "Truncated")
    dut.send(dut.ipv6() / ICMPv6EchoRequest(id=1, seq=1))
    dut.expect(is_reply)


@pytest.mark.requirement("RFC4443:R2.3-checksum", "RFC8200:R3-payload-length")
def test_cve_2020_17441(dut):
    """
    Purpose: CVE-2020-17441 shape: the ICMPv6 checksum is computed over exactly the Payload Length, never
        over a length beyond the frame; a bad checksum is discarded.
    Setup: DUT with IPv6 enabled.
    Procedure: (1) an echo request whose Payload Length claims 1000 octets more than the frame holds;
        (2) one whose checksum is off by one; (3) a valid one followed by 20 octets of garbage in the frame.
    Judgement: (1) silence, one ipv6 BadLength drop; (2) silence, one icmp6 BadChecksum drop; (3) an echo
        reply carrying exactly the request's data.
    Reference: RFC 4443 2.3; RFC 8200 3; CVE-2020-17441.
    """
    dut.enable_ipv6()
    good = dut.ipv6() / ICMPv6EchoRequest(id=9, seq=9, data=b"sum")
    longer = good.copy()
    longer[IPv6].plen = 1000 + len(raw(good[IPv6].payload))
    dut.send(longer)
    dut.expect_silence(300)
    dut.assert_dropped("ipv6", "BadLength")
    bad = good.copy()
    bad[ICMPv6EchoRequest].cksum = (IPv6(raw(good[IPv6]))[ICMPv6EchoRequest].cksum + 1) & 0xFFFF
    dut.send(bad)
    dut.expect_silence(300)
    dut.assert_dropped("icmp6", "BadChecksum")
    dut.send(raw(good) + b"\xaa" * 20)
    frame = dut.expect(is_reply)
    assert frame[ICMPv6EchoReply].data == b"sum"


@pytest.mark.requirement("RFC4443:R4.2-to-originator")
def test_ping_client_receives_replies(dut):
    """
    Purpose: echo replies go to the process that sent the request (the stack's ping client).
    Setup: DUT with IPv6 enabled.
    Procedure: stack.icmp6.ping(peer, id=3, seq=4, payload=b"xy"); the peer answers with an echo reply.
    Judgement: an echo request id 3 seq 4 data "xy" from 2001:db8::2 leaves the DUT; after the reply,
        stack.icmp6.replies holds exactly one entry (src 2001:db8::1, id 3, seq 4, len 2).
    Reference: RFC 4443 4.2.
    """
    dut.enable_ipv6()
    assert dut.stack.icmp6.ping(dut.peer_ip6, id=3, seq=4, payload=b"xy")
    frame = dut.expect(lambda f: ICMPv6EchoRequest in f)
    request = frame[ICMPv6EchoRequest]
    assert (frame[IPv6].src, request.id, request.seq, request.data) == (dut.ip6, 3, 4, b"xy")
    dut.send(dut.ipv6() / ICMPv6EchoReply(id=3, seq=4, data=b"xy"))
    replies = dut.stack.icmp6.replies
    assert [(r["src"], r["id"], r["seq"], r["len"]) for r in replies] == [(dut.peer_ip6, 3, 4, 2)]


@pytest.mark.requirement("RFC4443:R2.4-b")
@pytest.mark.parametrize("mtype", [150, 200, 255])
def test_unknown_informational_silently_discarded(dut, mtype):
    """
    Purpose: an informational message (type >= 128) of unknown type is silently discarded.
    Setup: DUT with IPv6 enabled.
    Procedure: ICMPv6 message of type 150, 200 or 255 with a valid checksum.
    Judgement: silence for 1 s; one icmp6 BadOperation drop and no other drop.
    Reference: RFC 4443 2.4 (b).
    """
    dut.enable_ipv6()
    dut.send(dut.ipv6() / ICMPv6Unknown(type=mtype, code=0, msgbody=b"\x00" * 8))
    dut.expect_silence(1000)
    assert dut.drop_changes() == {"icmp6": {"BadOperation": 1}}
