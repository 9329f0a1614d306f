"""Hostile and malformed segments: each is dropped with its exact reason counted, and draws the exact
reaction (usually none: no RST, no ACK, no SYN-ACK, no state change, nothing delivered). Also segments to
or from broadcast and multicast addresses, ICMP errors about connections, a peer that never acknowledges,
a flood of SYNs against a listener. Over IPv4 and IPv6 (conftest.py), but for IPv4 options.

Malformed segments are sent both to a listening port (where a valid SYN would draw a SYN-ACK) and, where
it matters, into an ESTABLISHED connection (where valid data would be delivered and acknowledged)."""

import random

import pytest
from scapy.all import ICMP, IP, TCP, Ether, Raw, raw
from scapy.layers.inet import IPOption_Router_Alert
from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6ParamProblem, ICMPv6TimeExceeded

from harness.tcp_peer import DUT_PORT, TcpPeer, bring_to_state, build_segment, seq_add

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"


def listening(dut, port=DUT_PORT, backlog=4):
    listener = dut.tcp_socket()
    listener.bind(dut.wildcard, port)
    listener.listen(backlog)
    return listener


def assert_listener_untouched(dut, listener, peer):
    """Nothing was queued on the listener and a clean handshake from another port still works."""
    assert listener.state == "LISTEN"
    assert listener.accept() is None
    other = TcpPeer(dut, sport=peer.sport + 1000, dport=listener.local[1])
    sock = other.handshake_to(listener)
    assert sock.remote == (dut.peer_addr, peer.sport + 1000)


# ---- header malformations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 12, 19])
@pytest.mark.requirement("RFC9293:MUST-7")
def test_truncated_header_dropped(dut, length):
    """
    Purpose: an IP datagram whose TCP part is shorter than the 20-byte minimum header is dropped silently
        (no RST, even to a port with a listener).
    Setup: listener on 8080.
    Procedure: the peer sends a SYN header cut to `length` bytes (0, 1, 12, 19) in an IP datagram whose
        length covers exactly those bytes.
    Judgement: silence for 500 ms; tcp Truncated +1 and no other tcp drop; the listener still completes a
        handshake.
    Reference: RFC 9293 3.1 (header format, 20-byte minimum); RFC 1122 4.2.2 (robustness).
    """
    listener = listening(dut)
    peer = TcpPeer(dut)
    segment = peer.build("S", ack=0, option_bytes=b"\x02\x04\x05\xb4")[:length]
    peer.send_raw(segment)
    peer.expect_silence(500)
    assert dut.drop_changes().get("tcp") == {"Truncated": 1}, dut.drop_changes()
    assert_listener_untouched(dut, listener, peer)


@pytest.mark.parametrize("dataofs", [0, 1, 4])
@pytest.mark.requirement("RFC9293:MUST-7")
def test_data_offset_below_five_dropped(dut, dataofs):
    """
    Purpose: a data offset below 5 words (shorter than the fixed header) is invalid; the segment is dropped.
    Setup: listener on 8080.
    Procedure: a SYN (20-byte header, valid checksum) whose data offset field is 0, 1 or 4.
    Judgement: silence; tcp BadHeaderLength +1 (only); the listener still works.
    Reference: RFC 9293 3.1 (Data Offset).
    """
    listener = listening(dut)
    peer = TcpPeer(dut)
    peer.send_raw(peer.build("S", ack=0, dataofs=dataofs))
    peer.expect_silence(500)
    assert dut.drop_changes().get("tcp") == {"BadHeaderLength": 1}, dut.drop_changes()
    assert_listener_untouched(dut, listener, peer)


@pytest.mark.parametrize("dataofs,extra", [(6, b""), (15, b""), (15, b"\x01" * 20)],
                         ids=["6-words-20-bytes", "15-words-20-bytes", "15-words-40-bytes"])
@pytest.mark.requirement("RFC9293:MUST-7")
def test_data_offset_beyond_segment_dropped(dut, dataofs, extra):
    """
    Purpose: a data offset pointing past the end of the segment is invalid; the segment is dropped.
    Setup: listener on 8080.
    Procedure: a SYN of 20 (or 40) bytes whose data offset says 24 or 60 bytes of header.
    Judgement: silence; tcp BadHeaderLength +1 (only); the listener still works.
    Reference: RFC 9293 3.1 (Data Offset).
    """
    listener = listening(dut)
    peer = TcpPeer(dut)
    peer.send_raw(peer.build("S", ack=0, dataofs=dataofs, payload=extra))
    peer.expect_silence(500)
    assert dut.drop_changes().get("tcp") == {"BadHeaderLength": 1}, dut.drop_changes()
    assert_listener_untouched(dut, listener, peer)


BAD_OPTIONS = [
    pytest.param(b"\x02\x00\x05\xb4", id="zero-length"),
    pytest.param(b"\x02\x01\x05\xb4", id="length-1"),
    pytest.param(b"\x01\x01\x08\x0a", id="past-the-end"),
    pytest.param(b"\x01\x01\x01\x02", id="kind-without-length"),
    pytest.param(b"\x02\x03\x05\x00", id="mss-length-3"),
    pytest.param(b"\x02\x05\x05\xb4\x00\x00\x00\x00", id="mss-length-5"),
    pytest.param(b"\x03\x04\x07\x00", id="ws-length-4"),
    pytest.param(b"\x03\x02\x01\x01", id="ws-length-2"),
    pytest.param(b"\x04\x03\x00\x00", id="sack-permitted-length-3"),
    pytest.param(b"\x08\x09" + b"\x00" * 7 + b"\x00\x00\x00", id="ts-length-9"),
    pytest.param(b"\x08\x0b" + b"\x00" * 9 + b"\x00", id="ts-length-11"),
    pytest.param(b"\x05\x02\x01\x01", id="sack-length-2"),
    pytest.param(b"\x05\x09" + b"\x00" * 7 + b"\x00\x00\x00", id="sack-length-9"),
    pytest.param(b"\x05\x2a" + b"\x00" * 38, id="sack-5-blocks-past-end"),
    pytest.param(b"\xfd\x00\x00\x00", id="unknown-zero-length"),
    pytest.param(b"\xfd\x01\x00\x00", id="unknown-length-1"),
    pytest.param(b"\xfd\x08\x00\x00", id="unknown-past-the-end"),
]


@pytest.mark.parametrize("area", BAD_OPTIONS)
@pytest.mark.requirement("RFC9293:MUST-7")
def test_malformed_option_in_syn_dropped(dut, area):
    """
    Purpose: a SYN whose option list is malformed (a length of 0 or 1, an option running past the header,
        a known option with the wrong length) is dropped: no SYN-ACK, no half-open connection.
    Setup: listener on 8080.
    Procedure: the peer sends a SYN whose option area is `area` (a multiple of 4 bytes), valid checksum.
    Judgement: silence for 500 ms; tcp BadOption +1 (only); accept() returns None; a clean handshake from
        another port completes.
    Reference: RFC 9293 3.1 (Options), 3.2 (MUST-7: "be prepared to handle an illegal option length ...
        without crashing"); RFC 7323 2.2, 3.2 (lengths 3 and 10); RFC 2018 2, 3.
    """
    assert len(area) % 4 == 0 and len(area) <= 40
    listener = listening(dut)
    peer = TcpPeer(dut)
    peer.send_raw(peer.build("S", ack=0, option_bytes=area))
    peer.expect_silence(500)
    assert dut.drop_changes().get("tcp") == {"BadOption": 1}, dut.drop_changes()
    assert_listener_untouched(dut, listener, peer)


@pytest.mark.parametrize("area", [p for p in BAD_OPTIONS if p.id in ("zero-length", "past-the-end",
                                                                      "sack-length-9", "ts-length-9")])
@pytest.mark.requirement("RFC9293:MUST-7")
def test_malformed_option_in_data_segment_dropped(dut, area):
    """
    Purpose: a data segment with a malformed option list is dropped without effect on the connection.
    Setup: ESTABLISHED.
    Procedure: the peer sends 10 bytes at RCV.NXT with option area `area`; then the same 10 bytes with no
        options.
    Judgement: the first draws nothing (silence 600 ms), tcp BadOption +1, nothing readable; the second is
        acknowledged and read; state ESTABLISHED.
    Reference: RFC 9293 3.2 (MUST-7).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    dut.rebase()
    peer.send_raw(peer.build("PA", payload=b"0123456789", option_bytes=area))
    peer.expect_silence(600)
    assert dut.drop_changes().get("tcp") == {"BadOption": 1}, dut.drop_changes()
    assert sock.read() is None
    peer.send("PA", b"0123456789")
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"0123456789"
    assert sock.state == "ESTABLISHED"


@pytest.mark.requirement("RFC9293:MUST-3")
def test_bad_checksum_syn_dropped(dut):
    """
    Purpose: a SYN with a wrong checksum is dropped silently (no SYN-ACK, no RST).
    Setup: listener on 8080.
    Procedure: a valid SYN with its checksum field incremented by one.
    Judgement: silence; tcp BadChecksum +1 (only); the listener still works.
    Reference: RFC 9293 3.1 (Checksum, MUST-3).
    """
    listener = listening(dut)
    peer = TcpPeer(dut)
    good = peer.build("S", ack=0)
    checksum = int.from_bytes(good[16:18], "big")
    peer.send_raw(peer.build("S", ack=0, checksum=(checksum + 1) & 0xFFFF))
    peer.expect_silence(500)
    assert dut.drop_changes().get("tcp") == {"BadChecksum": 1}, dut.drop_changes()
    assert_listener_untouched(dut, listener, peer)


@pytest.mark.requirement("RFC9293:MUST-3")
def test_bad_checksum_to_closed_port_no_reset(dut):
    """
    Purpose: a corrupted segment to a port without a socket is not answered with a RST (its addresses and
        ports cannot be trusted).
    Setup: fresh DUT, nothing on 33333.
    Procedure: an ACK segment to 33333 with a wrong checksum.
    Judgement: silence; tcp BadChecksum +1 and no NoSocket.
    Reference: RFC 9293 3.1 (Checksum), 3.10.7.1 (only segments that pass the checksum are processed).
    """
    peer = TcpPeer(dut, dport=33333)
    good = peer.build("A", ack=12345)
    checksum = int.from_bytes(good[16:18], "big")
    peer.send_raw(peer.build("A", ack=12345, checksum=checksum ^ 0x00FF))
    peer.expect_silence(500)
    assert dut.drop_changes().get("tcp") == {"BadChecksum": 1}, dut.drop_changes()


@pytest.mark.requirement("RFC9293:MUST-3")
def test_bad_checksum_data_not_delivered(dut):
    """
    Purpose: data with a wrong checksum is neither delivered nor acknowledged.
    Setup: ESTABLISHED.
    Procedure: 10 bytes at RCV.NXT with a checksum off by one; then the same bytes correctly.
    Judgement: silence for 600 ms after the first, BadChecksum +1, nothing readable; the second is
        acknowledged and read.
    Reference: RFC 9293 3.1 (Checksum).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    dut.rebase()
    good = peer.build("PA", payload=b"0123456789")
    checksum = int.from_bytes(good[16:18], "big")
    peer.send_raw(peer.build("PA", payload=b"0123456789", checksum=(checksum + 1) & 0xFFFF))
    peer.expect_silence(600)
    dut.assert_dropped("tcp", "BadChecksum", 1)
    assert sock.read() is None
    peer.send("PA", b"0123456789")
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"0123456789"


@pytest.mark.parametrize("flags", ["SF", "SR", "SRF", "SFPU", "SA" + "R"])
def test_invalid_flag_combinations_to_listener(dut, flags):
    """
    Purpose: SYN together with FIN or RST is invalid (a SYN opens, FIN closes, RST aborts); a listener
        ignores such a segment.
    Setup: listener on 8080.
    Procedure: a segment with flags `flags` (SYN+FIN, SYN+RST, SYN+RST+FIN, SYN+FIN+PSH+URG, SYN+ACK+RST).
    Judgement: silence (no SYN-ACK, no RST); exactly one tcp drop, BadFlags for the combinations without
        RST, and for those with RST either BadFlags or the listener's rule that a RST is ignored
        (InvalidState); the listener still works.
    Reference: RFC 9293 3.10.7.2 (LISTEN: RST ignored; "any other control or text-bearing segment (not
        containing SYN) must have an ACK"), 3.1 (control bits); RFC 1122 4.2.2 (robustness).
    """
    listener = listening(dut)
    peer = TcpPeer(dut)
    peer.send(flags, seq=peer.iss, ack=1 if "A" in flags else 0, track=False)
    peer.expect_silence(500)
    moved = dut.drop_changes().get("tcp", {})
    if "R" in flags:
        assert sum(moved.values()) == 1 and set(moved) <= {"BadFlags", "InvalidState"}, moved
    else:
        assert moved == {"BadFlags": 1}, moved
    assert_listener_untouched(dut, listener, peer)


def test_syn_fin_in_established_does_not_close(dut):
    """
    Purpose: a SYN+FIN inside an established connection neither closes it nor resets it.
    Setup: ESTABLISHED.
    Procedure: SYN+FIN+ACK at RCV.NXT.
    Judgement: state stays ESTABLISHED; no PeerClosed event; any reply is an ACK <SEQ=SND.NXT><ACK=RCV.NXT>
        (a challenge ACK) and at most one; exactly one tcp drop (BadFlags or ChallengeAck).
    Reference: RFC 9293 3.10.7.4 (fourth check, SYN in a synchronized state); RFC 5961 4.2.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    dut.rebase()
    peer.send("SFA", track=False)
    replies = peer.collect(500)
    assert len(replies) <= 1
    for tcp in replies:
        assert tcp.flags == "A" and tcp.seq == peer.rcv_nxt and tcp.ack == peer.snd_nxt, peer.describe(tcp)
    assert sock.state == "ESTABLISHED"
    assert ("PeerClosed", "Ok") not in list(sock.events)
    moved = dut.drop_changes().get("tcp", {})
    assert sum(moved.values()) == 1 and set(moved) <= {"BadFlags", "ChallengeAck"}, moved


# ---- addresses ----------------------------------------------------------------------------------------------


DESTINATIONS = {  # id: (IPv4 destination, MAC), (IPv6 destination, MAC); IPv6 has no broadcast (RFC 4291 2)
    "subnet-broadcast": (("198.18.0.255", BROADCAST_MAC), ("ff02::1:ff00:2", "33:33:ff:00:00:02")),
    "limited-broadcast": (("255.255.255.255", BROADCAST_MAC), ("ff02::1", "33:33:00:00:00:01")),
    "all-hosts": (("224.0.0.1", "01:00:5e:00:00:01"), ("ff02::1", "33:33:00:00:00:01")),
    "multicast": (("239.1.2.3", "01:00:5e:01:02:03"), ("ff0e::1:2:3", "33:33:00:01:02:03")),
}


@pytest.mark.parametrize("kind", list(DESTINATIONS))
@pytest.mark.requirement("RFC9293:MUST-57")
def test_segment_to_broadcast_or_multicast_dropped(dut, kind):
    """
    Purpose: a SYN (or any segment) addressed to a broadcast or multicast address is discarded silently: no
        SYN-ACK, no RST, no connection.
    Setup: listener on the wildcard address, port 8080.
    Procedure: a SYN to `dst`:8080 in a frame to `dst_mac`; then an ACK to `dst`:33333 (no socket). `dst` by
        `kind`: 198.18.0.255, 255.255.255.255, 224.0.0.1, 239.1.2.3 over IPv4; over IPv6 (no broadcast) the
        DUT's solicited-node group ff02::1:ff00:2, the all-nodes group ff02::1 (twice) and ff0e::1:2:3.
    Judgement: silence for 500 ms after each; exactly one drop counted for the SYN (in tcp or the IP layer);
        accept() None; the listener still works on the unicast address.
    Reference: RFC 9293 3.9.1.1 / Appendix B (MUST-57), RFC 1122 4.2.3.10; RFC 4291 2.7.
    """
    dst, dst_mac = DESTINATIONS[kind][dut.family == 6]
    listener = listening(dut)
    peer = TcpPeer(dut)
    before = dut.stats()
    peer.send_raw(peer.build("S", ack=0, dst=dst), dst=dst, dst_mac=dst_mac)
    peer.expect_silence(500)
    total = sum(sum(m["drop"].values()) for k, m in dut.stats().items() if k != "pools") - \
        sum(sum(m["drop"].values()) for k, m in before.items() if k != "pools")
    assert total == 1, dut.drop_changes()
    closed = TcpPeer(dut, dport=33333)
    closed.send_raw(closed.build("A", ack=777, dst=dst), dst=dst, dst_mac=dst_mac)
    closed.expect_silence(500)
    assert_listener_untouched(dut, listener, peer)


SOURCES = {  # id: IPv4 source, IPv6 source (IPv6 has no broadcast: multicast sources of other scopes)
    "subnet-broadcast": ("198.18.0.255", "ff02::1:ff00:1"),
    "limited-broadcast": ("255.255.255.255", "ff02::1"),
    "multicast": ("224.0.0.5", "ff05::2"),
    "unspecified": ("0.0.0.0", "::"),
    "loopback": ("127.0.0.1", "::1"),
}


@pytest.mark.parametrize("kind", list(SOURCES))
@pytest.mark.requirement("RFC9293:MUST-63")
def test_syn_from_invalid_source_dropped(dut, kind):
    """
    Purpose: a SYN from an address that cannot be a connection's remote end (broadcast, multicast,
        unspecified, loopback) is dropped: no SYN-ACK (which would go to a broadcast or nowhere).
    Setup: listener on 8080.
    Procedure: SYN from `src`:40000 to the DUT's port 8080; `src` by `kind`: 198.18.0.255, 255.255.255.255,
        224.0.0.5, 0.0.0.0, 127.0.0.1 over IPv4; ff02::1:ff00:1, ff02::1, ff05::2, ::, ::1 over IPv6.
    Judgement: silence for 500 ms; exactly one drop counted (in the IP layer or tcp); the listener still works.
    Reference: RFC 9293 Appendix B (MUST-63: reject SYN from invalid IP address), RFC 1122 4.2.3.10;
        RFC 4291 2.5.2, 2.5.3, 2.7 (IPv6 unspecified, loopback, multicast never a source).
    """
    src = SOURCES[kind][dut.family == 6]
    listener = listening(dut)
    peer = TcpPeer(dut)
    before = dut.stats()
    segment = build_segment(src, dut.addr, 40000, DUT_PORT, 1000, 0, "S", 65535)
    dut.send(dut.ip_frame(src=src, proto=6) / Raw(load=segment))
    peer.expect_silence(500)
    total = sum(sum(m["drop"].values()) for k, m in dut.stats().items() if k != "pools") - \
        sum(sum(m["drop"].values()) for k, m in before.items() if k != "pools")
    assert total == 1, dut.drop_changes()
    assert_listener_untouched(dut, listener, peer)


@pytest.mark.ipv4_only("IPv4 options; IPv6 extension headers are RFC 8200's (rfc8200_ipv6)")
@pytest.mark.requirement("RFC9293:MUST-50")
def test_ip_options_ignored_by_tcp(dut):
    """
    Purpose: IP options TCP does not understand do not disturb it: a SYN carrying a Router Alert option gets
        its SYN-ACK and the connection works.
    Setup: listener on 8080.
    Procedure: SYN in an IPv4 datagram with a Router Alert option (IHL 6); handshake; 5 data bytes.
    Judgement: SYN-ACK acknowledging the SYN; accept() returns the connection; the data is read.
    Reference: RFC 9293 3.9.2.1 (MUST-50: "TCP implementations MUST ignore IP options they do not
        understand"), RFC 1122 4.2.3.8.
    """
    listener = listening(dut)
    peer = TcpPeer(dut)
    syn = peer.segment("S", ack=0)
    syn[IP].options = [IPOption_Router_Alert()]
    dut.send(syn)
    peer.snd_nxt = seq_add(peer.iss, 1)
    peer.last_syn_tsval = None
    peer.expect_syn_ack()
    peer.send("A")
    sock = listener.accept()
    assert sock is not None
    peer.send("PA", b"hello")
    peer.expect("A", timeout_ms=500)
    assert sock.read() == b"hello"


# ---- ICMP errors about a connection -----------------------------------------------------------------------


def icmp_about(peer, dut, last_segment, icmp_type, code):
    """An ICMP error from the peer's router quoting the DUT's segment (IP header + 8 bytes of TCP)."""
    quoted = raw(last_segment.underlayer)[:20 + 8]
    return (Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
            ICMP(type=icmp_type, code=code) / Raw(load=quoted))


def icmp_error_about(dut, last_segment, kind):
    """The ICMP (IPv4) or ICMPv6 error `kind` (Dut.ICMP_ERRORS) from the peer quoting the DUT's segment: the
    IPv4 header + 8 bytes of TCP, or (ICMPv6, RFC 4443 2.4 (c)) the whole IPv6 packet."""
    quoted = raw(last_segment.underlayer)
    return dut.icmp_error(kind, quoted if dut.v6 else quoted[:20 + 8])


# id: (ICMPv4 type, code), (ICMPv6 type, code). RFC 9293 3.9.2.2 lists the soft ICMPv6 errors: Destination
# Unreachable codes 0 and 3, Time Exceeded codes 0 and 1, Parameter Problem codes 0, 1 and 2. IPv6 has neither
# "source route failed" nor source quench: those two ids take the remaining soft ICMPv6 errors there.
SOFT_ERRORS = {
    "net-unreachable": ((3, 0), (1, 0)),
    "host-unreachable": ((3, 1), (1, 3)),
    "source-route-failed": ((3, 5), (4, 2)),  # IPv6: Parameter Problem, unrecognized option
    "time-exceeded": ((11, 0), (3, 0)),
    "parameter-problem": ((12, 0), (4, 0)),
    "source-quench": ((4, 0), (3, 1)),  # IPv6: Time Exceeded, fragment reassembly time exceeded
}


@pytest.mark.parametrize("kind", list(SOFT_ERRORS))
@pytest.mark.requirement("RFC9293:MUST-54", "RFC9293:MUST-56", "RFC9293:MUST-55")
def test_soft_icmp_errors_do_not_abort(dut, kind):
    """
    Purpose: soft ICMP errors (destination unreachable codes 0, 1, 5; time exceeded; parameter problem) and
        source quench about an established connection do not abort it; the DUT keeps retransmitting. Over
        IPv6 the soft ICMPv6 errors of RFC 9293 3.9.2.2: no route (1/0), address unreachable (1/3), time
        exceeded (3/0, 3/1), parameter problem (4/0, 4/2); source quench is IPv4's only (MUST-55).
    Setup: ESTABLISHED; the DUT sent 100 bytes that the peer does not acknowledge.
    Procedure: the ICMP error `kind` (SOFT_ERRORS) quoting that segment arrives; 1.1 s pass.
    Judgement: state ESTABLISHED, no Error event; the segment is retransmitted (same seq) within 1.1 s; after
        the peer acknowledges it the connection carries data normally.
    Reference: RFC 9293 3.9.2.2 (MUST-54, MUST-55: source quench silently discarded, MUST-56: soft errors
        must not abort), RFC 1122 4.2.3.9, RFC 5461.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    assert sock.write(bytes(100)) == 100
    segment = peer.expect("PA", timeout_ms=50)
    v4, (type6, code6) = SOFT_ERRORS[kind]
    if not dut.v6:
        dut.send(icmp_about(peer, dut, segment, *v4))
    else:
        icmp6 = {1: ICMPv6DestUnreach, 3: ICMPv6TimeExceeded, 4: ICMPv6ParamProblem}[type6](code=code6)
        dut.send(dut.ip_frame() / icmp6 / raw(segment.underlayer))
    retransmission = peer.expect("PA", timeout_ms=1100)
    assert retransmission.seq == segment.seq
    assert sock.state == "ESTABLISHED"
    assert not [e for e in sock.events if e[0] == "Error"]
    peer.send("A")
    assert sock.write(b"more") == 4
    assert peer.expect("PA", timeout_ms=200).seq == seq_add(segment.seq, 100)


# ICMPv6 has no "protocol unreachable": an unknown Next Header is a Parameter Problem code 1 (RFC 4443 3.4),
# which RFC 9293 3.9.2.2 counts among the soft errors (MUST-56, tested above); so only port unreachable is a
# hard error over both families.
HARD_ERRORS = [
    pytest.param(4, "protocol-unreachable", id="ipv4-protocol-unreachable"),
    pytest.param(4, "port-unreachable", id="ipv4-port-unreachable"),
    pytest.param(6, "port-unreachable", id="ipv6-port-unreachable"),
]


@pytest.mark.parametrize("family,kind", HARD_ERRORS, indirect=["family"])
@pytest.mark.requirement("RFC9293:SHLD-26", "RFC9293:MUST-54", "RFC9293:MUST-47")
def test_hard_icmp_error_aborts_established(dut, kind):
    """
    Purpose: a hard ICMP error (destination unreachable, protocol or port unreachable) about an established
        connection aborts it and tells the application.
    Setup: ESTABLISHED; the DUT sent 100 bytes, unacknowledged.
    Procedure: ICMP type 3 code 2 or 3 (ICMPv6 type 1 code 4) quoting that segment.
    Judgement: state CLOSED; the last event is ("Error", "Unreachable"); no retransmission follows (3 s).
    Reference: RFC 9293 3.9.2.2 (SHLD-26: "Destination Unreachable -- codes 2-4: These are hard error
        conditions, so TCP implementations SHOULD abort the connection"), RFC 1122 4.2.3.9.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    assert sock.write(bytes(100)) == 100
    segment = peer.expect("PA", timeout_ms=50)
    dut.send(icmp_error_about(dut, segment, kind))
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "Unreachable")
    peer.expect_silence(3000, any_frame=False)


@pytest.mark.parametrize("family,kind", HARD_ERRORS, indirect=["family"])
@pytest.mark.requirement("RFC9293:SHLD-26", "RFC9293:MUST-54", "RFC9293:MUST-47")
def test_hard_icmp_error_aborts_opening(dut, kind):
    """
    Purpose: a hard ICMP error about the SYN of an active open ends the attempt and tells the application.
    Setup: SYN-SENT (the DUT's SYN seen, not answered).
    Procedure: ICMP type 3 code 2 or 3 (ICMPv6 type 1 code 4) quoting the SYN.
    Judgement: state CLOSED; the last event is ("Error", "ConnectionRefused"); no SYN retransmission (3 s).
    Reference: RFC 9293 3.9.2.2 (SHLD-26), RFC 1122 4.2.3.9, RFC 5927 3.2.
    """
    peer, sock = bring_to_state(dut, "SYN-SENT")
    syn = peer.segments[-1]["TCP"]
    dut.send(icmp_error_about(dut, syn, kind))
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "ConnectionRefused")
    peer.expect_silence(3000, any_frame=False)


@pytest.mark.requirement("RFC9293:SHLD-25", "RFC9293:MUST-47", "RFC9293:MUST-56")
def test_soft_icmp_error_reported_when_connection_times_out(dut):
    """
    Purpose: a soft ICMP error does not abort the connection, but it is made available to the application:
        when the connection later times out, the error reported is the ICMP one (Unreachable), not a bare
        timeout.
    Setup: ESTABLISHED; the DUT sent 100 bytes, unacknowledged.
    Procedure: ICMP host unreachable (type 3 code 1; ICMPv6 address unreachable, type 1 code 3) quoting that
        segment; the peer then never answers; up
        to 60 minutes of virtual time.
    Judgement: right after the ICMP error the connection is ESTABLISHED with no Error event; when it gives up,
        the last event is ("Error", "Unreachable") and the state CLOSED.
    Reference: RFC 9293 3.9.2.2 (SHLD-25, MUST-56), 3.9.1.8 (MUST-47); RFC 1122 4.2.3.9.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    assert sock.write(bytes(100)) == 100
    segment = peer.expect("PA", timeout_ms=50)
    dut.send(icmp_error_about(dut, segment, "host-unreachable"))
    assert sock.state == "ESTABLISHED"
    assert not [e for e in sock.events if e[0] == "Error"]
    dut.step_ms = 1000
    for _ in range(3600):
        dut.advance(1000)
        if [e for e in sock.events if e[0] == "Error"]:
            break
    assert sock.events[-1] == ("Error", "Unreachable"), list(sock.events)
    assert sock.state == "CLOSED"


@pytest.mark.requirement("RFC9293:MUST-54")
def test_icmp_error_with_sequence_outside_window_ignored(dut):
    """
    Purpose: an ICMP error whose quoted TCP sequence number is not in flight (SND.UNA..SND.NXT) is not
        believed (it may be forged): even a hard error then does not abort the connection.
    Setup: ESTABLISHED; the DUT sent 100 bytes, unacknowledged.
    Procedure: ICMP (ICMPv6) port unreachable quoting the segment with its sequence number moved 1 000 000
        ahead.
    Judgement: state ESTABLISHED, no Error event; the segment is retransmitted after its RTO.
    Reference: RFC 9293 3.9.2.2 (ICMP errors directed to the connection), RFC 5927 4.1 (sequence number
        check), RFC 5961 (blind attacks).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    assert sock.write(bytes(100)) == 100
    segment = peer.expect("PA", timeout_ms=50)
    forged = segment.underlayer.copy()
    forged[TCP].seq = seq_add(segment.seq, 1_000_000)
    del forged[TCP].chksum
    forged = dut.ip_class(raw(forged))
    dut.send(icmp_error_about(dut, forged[TCP], "port-unreachable"))
    assert sock.state == "ESTABLISHED"
    assert not [e for e in sock.events if e[0] == "Error"]
    assert peer.expect("PA", timeout_ms=1100).seq == segment.seq


# ---- peers that misbehave over time -----------------------------------------------------------------------


@pytest.mark.requirement("RFC9293:MUST-20", "RFC9293:MUST-12")
def test_peer_that_never_acks_data_is_given_up(dut):
    """
    Purpose: a peer that takes the handshake but never acknowledges data: the DUT retransmits, then gives up
        with ("Error", "TimedOut") and frees the connection (the socket pool is not leaked).
    Setup: ESTABLISHED.
    Procedure: the DUT writes 1000 bytes; the peer stays silent; up to 60 minutes of virtual time (1 s
        steps); then the application closes the socket.
    Judgement: ("Error", "TimedOut") reported; state CLOSED; after close() stats()["pools"]["tcp"]["in_use"]
        is 0 (nothing leaked); nothing is sent in answer to the close.
    Reference: RFC 9293 3.8.3 (R2), RFC 1122 4.2.3.5.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    assert sock.write(bytes(1000)) == 1000
    dut.step_ms = 1000
    for _ in range(3600):
        dut.advance(1000)
        if ("Error", "TimedOut") in list(sock.events):
            break
    assert ("Error", "TimedOut") in list(sock.events), list(sock.events)
    assert sock.state == "CLOSED"
    dut.receive(0)
    sock.close()
    dut.expect_silence(1000, predicate=lambda f: TCP in f and not f[TCP].flags.R)
    assert dut.stats()["pools"]["tcp"]["in_use"] == 0


@pytest.mark.requirement("RFC5961:R3.2-challenge", "RFC5961:R7-limit")
def test_reset_flood_with_random_sequence_numbers(dut):
    """
    Purpose: 5000 RSTs with random sequence numbers (in and out of the window, never exactly RCV.NXT) leave
        the connection up; the replies are challenge ACKs only, rate-limited.
    Setup: ESTABLISHED; random generator seeded (7).
    Procedure: 5000 RSTs at random sequence numbers != RCV.NXT, 10 per 10 ms of virtual time (5 s).
    Judgement: state ESTABLISHED, no event; every reply is <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; fewer replies
        than in-window RSTs (RateLimited counted); data still flows.
    Reference: RFC 5961 3.2, 7.
    """
    rng = random.Random(7)
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    events = list(sock.events)
    dut.rebase()
    replies = []
    in_window = 0
    for i in range(5000):
        offset = rng.randrange(1, 1 << 32)
        if offset < peer.dut_window:
            in_window += 1
        peer.send("R", seq=seq_add(peer.snd_nxt, offset), ack=0, track=False)
        if i % 10 == 9:
            replies += peer.collect(10)
    replies += peer.collect(100)
    for tcp in replies:
        assert tcp.flags == "A" and tcp.seq == peer.rcv_nxt and tcp.ack == peer.snd_nxt, peer.describe(tcp)
    assert len(replies) <= in_window
    assert sock.state == "ESTABLISHED" and list(sock.events) == events
    peer.send("PA", b"alive")
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"alive"


@pytest.mark.requirement("RFC9293:MUST-42")
def test_syn_flood_does_not_exhaust_pools(dut):
    """
    Purpose: a flood of SYNs from many ports that never complete does not exhaust the DUT's pools, and a
        legitimate client still connects during and after it.
    Setup: listener on 8080 (backlog 4); pools and tcp in_use noted.
    Procedure: 500 SYNs from random ports (random ISNs), all at one instant, each never followed up; the
        SYN-ACKs are drained; then a legitimate client (port 1234) does a full handshake and sends data;
        then 300 s pass.
    Judgement: the frame pool's exhausted counter did not move and in_use is back to its level before the
        flood once the output is drained; the tcp pool's in_use never reaches its capacity; the legitimate
        handshake completes, accept() returns it and its data is read; after 300 s the half-open connections
        are gone (tcp in_use = listener + the accepted connection).
    Reference: RFC 9293 3.10.7.2 (LISTEN), 7 (security considerations: SYN flooding, RFC 4987).
    """
    rng = random.Random(3)
    listener = listening(dut)
    TcpPeer(dut)  # primes ARP
    pools_before = dut.stats()["pools"]
    tcp_capacity = pools_before["tcp"]["capacity"]
    for _ in range(500):
        sport = rng.randrange(1024, 65535)
        segment = build_segment(dut.peer_addr, dut.addr, sport, DUT_PORT, rng.randrange(1 << 32), 0, "S", 65535,
                                b"\x02\x04\x05\xb4")
        dut.send(dut.ip_frame(proto=6) / Raw(load=segment))
        assert dut.stats()["pools"]["tcp"]["in_use"] < tcp_capacity
    dut.receive(0)
    pools = dut.stats()["pools"]
    assert pools["frames"]["exhausted"] == pools_before["frames"]["exhausted"]
    assert pools["frames"]["in_use"] == pools_before["frames"]["in_use"]
    client = TcpPeer(dut, sport=1234)
    sock = client.handshake_to(listener)
    client.send("PA", b"legit")
    client.expect("A", timeout_ms=500)
    assert sock.read() == b"legit"
    dut.step_ms = 100
    dut.advance(300_000)
    dut.receive(0)
    assert dut.stats()["pools"]["tcp"]["in_use"] == 2
    assert dut.stats()["pools"]["frames"]["exhausted"] == pools_before["frames"]["exhausted"]
