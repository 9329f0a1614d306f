"""TCP over IPv6: the same TCP as over IPv4 (one implementation, the family chosen by the address), checked
against the IPv6-specific rules: the pseudo-header of RFC 8200 8.1, MSS = path MTU - 60 (RFC 8200 8.3,
RFC 9293 3.7.1), a default send MSS of 1220 without the option, Packet Too Big lowering the MSS (RFC 8201),
ICMPv6 errors (RFC 4443) reaching the connection, the dual-stack listener, and every RFC 9293 state reached
over IPv6 (the state machine is shared)."""
import pytest
from scapy.all import TCP, Ether, IPv6, raw
from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6PacketTooBig

from harness.tcp_peer import (DUT_PORT, PEER_PORT, STATES, TcpPeer, bring_to_state, options_of, payload_of,
                              seq_add, tcp_checksum_ok)

MSS6_1500 = 1500 - 40 - 20


@pytest.fixture
def dut6(dut):
    dut.enable_ipv6()
    dut.family = 6
    return dut


def listening(dut, address="::", port=DUT_PORT):
    sock = dut.tcp_socket()
    sock.bind(address, port)
    sock.listen(4)
    return sock


def data_segments(peer, timeout_ms):
    return [seg for seg in peer.collect(timeout_ms) if payload_of(seg)]


@pytest.mark.requirement("RFC9293:MUST-2", "RFC9293:MUST-14", "RFC9293:MUST-67")
def test_passive_open_over_ipv6(dut6):
    """
    Purpose: a SYN over IPv6 to a listener bound to "::" is answered with a SYN-ACK from the DUT's IPv6
        address, announcing MSS 1440 (MTU 1500 - 40 - 20), with a checksum over the IPv6 pseudo-header.
    Setup: DUT with 2001:db8::2/64; listener on [::]:8080.
    Procedure: peer [2001:db8::1]:40000 sends SYN (MSS 1440); SYN-ACK checked; ACK.
    Judgement: SYN-ACK from 2001:db8::2:8080, ack = ISN+1, MSS option 1440, checksum valid; accept() gives an
        ESTABLISHED socket with local ("2001:db8::2", 8080) and remote ("2001:db8::1", 40000).
    Reference: RFC 9293 3.1, 3.5, 3.7.1; RFC 8200 8.1, 8.3.
    """
    dut = dut6
    listener = listening(dut)
    peer = TcpPeer(dut, sport=PEER_PORT, dport=DUT_PORT, isn=0x10000000, mss=1440)
    peer.send_syn()
    synack = peer.expect_syn_ack()
    frame = synack.underlayer
    assert isinstance(frame, IPv6) and frame.src == "2001:db8::2" and synack.sport == DUT_PORT
    assert options_of(synack).get("MSS") == MSS6_1500
    assert tcp_checksum_ok(Ether() / frame)
    peer.send("A")
    sock = listener.accept()
    assert sock is not None and sock.state == "ESTABLISHED"
    assert sock.local == ("2001:db8::2", DUT_PORT)
    assert sock.remote == ("2001:db8::1", PEER_PORT)


@pytest.mark.requirement("RFC9293:MUST-2", "RFC9293:MUST-14", "RFC9293:MUST-16")
def test_active_open_over_ipv6_and_data_both_ways(dut6):
    """
    Purpose: connect() to an IPv6 address opens over IPv6 from the route's source address, and data flows
        both ways intact with valid checksums.
    Setup: DUT with IPv6; a new socket.
    Procedure: connect("2001:db8::1", 40000); handshake; the peer sends 1000 bytes, the DUT writes 3000 bytes.
    Judgement: the SYN comes from 2001:db8::2 with MSS 1440; read() returns the peer's 1000 bytes; the peer
        receives the DUT's 3000 bytes in order in segments of at most 1440 bytes, each with a valid checksum.
    Reference: RFC 9293 3.8, 3.10.1; RFC 8200 8.1.
    """
    dut = dut6
    sock = dut.tcp_socket()
    peer = TcpPeer(dut, sport=PEER_PORT, dport=None, isn=0x10000000, mss=1440)
    sock.connect("2001:db8::1", PEER_PORT)
    syn = peer.expect_syn()
    assert syn.underlayer.src == "2001:db8::2"
    assert options_of(syn).get("MSS") == MSS6_1500
    peer.handshake_from(sock, connect=False, syn=syn)
    data = bytes(i % 256 for i in range(1000))
    peer.send("PA", payload=data)
    peer.expect("A")
    assert sock.read(4096) == data
    payload = bytes(i % 241 for i in range(3000))
    assert sock.write(payload) == 3000
    sizes = []
    for _ in range(20):
        for seg in data_segments(peer, 200):
            sizes.append(len(payload_of(seg)))
            assert tcp_checksum_ok(Ether() / seg.underlayer)
        peer.send("A")
        if len(peer.received) >= 3000:
            break
    assert bytes(peer.received) == payload
    assert max(sizes) <= MSS6_1500


@pytest.mark.requirement("RFC9293:MUST-15")
def test_send_mss_defaults_to_1220_without_option(dut6):
    """
    Purpose: when the peer's SYN over IPv6 carries no MSS option, the DUT assumes 1220 (1280 - 40 - 20).
    Setup: DUT with IPv6; listener on [::]:8080.
    Procedure: SYN without options; handshake; the DUT writes 3000 bytes; the peer acknowledges.
    Judgement: the first data segment carries exactly 1220 bytes and none more; the stream is intact.
    Reference: RFC 9293 3.7.1 (default SendMSS: IP minimum reassembly size minus headers); RFC 8200 5, 8.3.
    """
    dut = dut6
    listener = listening(dut)
    peer = TcpPeer(dut, mss=None)
    sock = peer.handshake_to(listener)
    payload = bytes(i % 239 for i in range(3000))
    assert sock.write(payload) == 3000
    sizes = []
    for _ in range(20):
        for seg in data_segments(peer, 200):
            sizes.append(len(payload_of(seg)))
        peer.send("A")
        if len(peer.received) >= 3000:
            break
    assert bytes(peer.received) == payload
    assert sizes[0] == 1220 and max(sizes) <= 1220, sizes


@pytest.mark.requirement("RFC9293:MUST-3")
def test_bad_checksum_over_ipv6_is_dropped(dut6):
    """
    Purpose: a segment whose checksum does not verify over the IPv6 pseudo-header is dropped silently.
    Setup: DUT with IPv6; listener on [::]:8080.
    Procedure: a SYN whose checksum is the correct one plus 1.
    Judgement: no answer; tcp BadChecksum counts 1.
    Reference: RFC 9293 3.1 (MUST-2); RFC 8200 8.1.
    """
    dut = dut6
    listening(dut)
    peer = TcpPeer(dut)
    frame = peer.segment("S")
    good = IPv6(raw(frame[IPv6]))[TCP].chksum
    frame[TCP].chksum = (good + 1) & 0xFFFF
    dut.send(frame)
    dut.expect_silence(300)
    dut.assert_dropped("tcp", "BadChecksum")


@pytest.mark.requirement("RFC9293:MUST-54", "RFC9293:MUST-16")
def test_packet_too_big_lowers_mss_and_resends(dut6):
    """
    Purpose: an ICMPv6 Packet Too Big about a segment in flight lowers the connection's MSS to the MTU - 60
        and the data is sent again in segments that fit (RFC 8201 path MTU discovery).
    Setup: DUT with IPv6; an accepted connection (peer MSS 1440).
    Procedure: the DUT writes 2880 bytes; the peer takes the first 1440-byte segment and answers with a Packet
        Too Big (MTU 1280) from a router address quoting it.
    Judgement: the DUT resends from the first unacknowledged byte in segments of at most 1220 bytes
        (1280 - 60); the peer reassembles all 2880 bytes intact.
    Reference: RFC 8201 4, 5.2; RFC 4443 3.2; RFC 9293 3.7.1.
    """
    dut = dut6
    listener = listening(dut)
    peer = TcpPeer(dut, mss=1440)
    sock = peer.handshake_to(listener)
    payload = bytes(i % 233 for i in range(2880))
    assert sock.write(payload) == 2880
    first = [seg for seg in peer.collect(100) if payload_of(seg)]
    assert first and len(payload_of(first[0])) == 1440
    peer.received = bytearray()
    peer.rcv_nxt = first[0].seq
    quoted = raw(first[0].underlayer)[:1232]
    ptb = (Ether(src=dut.peer_mac, dst=dut.mac) / IPv6(src="2001:db8::fe", dst="2001:db8::2") /
           ICMPv6PacketTooBig(mtu=1280) / quoted)
    dut.send(ptb)
    sizes = []
    for _ in range(30):
        for seg in data_segments(peer, 200):
            sizes.append(len(payload_of(seg)))
        peer.send("A")
        if len(peer.received) >= 2880:
            break
    assert bytes(peer.received) == payload
    assert sizes and max(sizes) <= 1220, sizes
    assert sock.info["send_mss"] <= 1220


@pytest.mark.requirement("RFC9293:MUST-54", "RFC9293:SHLD-26")
def test_port_unreachable_during_syn_sent_refuses(dut6):
    """
    Purpose: an ICMPv6 Destination Unreachable, port unreachable (code 4), about the DUT's SYN ends the
        connection attempt as refused (RFC 1122 4.2.3.9 hard error, mapped from RFC 4443 3.1 code 4).
    Setup: DUT with IPv6; connect("2001:db8::1", 40000).
    Procedure: the peer answers the SYN with ICMPv6 type 1 code 4 quoting it.
    Judgement: the socket reports Error ConnectionRefused and is CLOSED.
    Reference: RFC 4443 3.1; RFC 1122 4.2.3.9; RFC 5927.
    """
    dut = dut6
    sock = dut.tcp_socket()
    peer = TcpPeer(dut, sport=PEER_PORT, dport=None)
    sock.connect("2001:db8::1", PEER_PORT)
    syn = peer.expect_syn()
    error = (Ether(src=dut.peer_mac, dst=dut.mac) / IPv6(src="2001:db8::1", dst="2001:db8::2") /
             ICMPv6DestUnreach(code=4) / raw(syn.underlayer))
    dut.send(error)
    assert ("Error", "ConnectionRefused") in sock.events
    assert sock.state == "CLOSED"


def test_dual_stack_listener(dut6):
    """
    Purpose: a listener bound to "::" accepts connections of both families; one bound to "0.0.0.0" IPv4 only
        (an IPv6 SYN to it is answered with a RST, as to a closed port).
    Setup: DUT with both families; listener A on [::]:8080, listener B on 0.0.0.0:8081.
    Procedure: an IPv4 and an IPv6 peer connect to 8080; an IPv6 peer sends SYN to 8081.
    Judgement: A accepts both with the right remote addresses; the SYN to 8081 gets RST+ACK over IPv6.
    Reference: RFC 3493 5.3 (dual-stack wildcard, the socket API default); RFC 9293 3.10.7.1.
    """
    dut = dut6
    a = listening(dut, "::", DUT_PORT)
    listening(dut, "0.0.0.0", DUT_PORT + 1)
    v4 = TcpPeer(dut, sport=40001, dport=DUT_PORT, family=4)
    s4 = v4.handshake_to(a)
    v6 = TcpPeer(dut, sport=40002, dport=DUT_PORT, family=6)
    s6 = v6.handshake_to(a)
    assert s4.remote == ("198.18.0.1", 40001)
    assert s6.remote == ("2001:db8::1", 40002)
    refused = TcpPeer(dut, sport=40003, dport=DUT_PORT + 1, family=6)
    refused.send_syn()
    rst = refused.expect("RA")
    assert rst.ack == seq_add(refused.iss, 1)


@pytest.mark.parametrize("state", [s for s in STATES if s != "CLOSED"])
@pytest.mark.requirement("RFC9293:MUST-2")
def test_every_state_reached_over_ipv6(dut6, state):
    """
    Purpose: the shared state machine reaches every RFC 9293 state over IPv6 exactly as over IPv4.
    Setup: DUT with IPv6.
    Procedure: bring_to_state(dut, state) over IPv6 (the harness drives the handshake and closes).
    Judgement: the DUT socket reports `state`; every segment the DUT sent on the way carried a valid
        checksum over the IPv6 pseudo-header.
    Reference: RFC 9293 3.3.2 (Figure 5), 3.10.
    """
    dut = dut6
    peer, sock = bring_to_state(dut, state)
    assert sock.state == state
    assert peer.segments or state == "LISTEN"  # a listener has sent nothing yet
    for frame in peer.segments:
        assert IPv6 in frame and frame[IPv6].src == "2001:db8::2"
        assert tcp_checksum_ok(frame)
