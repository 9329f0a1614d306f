"""Opening connections (RFC 9293 3.5, 3.7.1, 3.10.1, 3.10.7.2-3): the three-way handshake in both
directions, option negotiation (MSS, window scale, SACK-permitted, timestamps), the 536-byte default MSS,
simultaneous open, SYN-RECEIVED returning to where it came from, several connections on one listening
port, local address selection, and initial sequence numbers (RFC 9293 3.4.1, RFC 6528); over IPv4 and IPv6
(conftest.py; the MSS arithmetic of RFC 8200 8.3 over IPv6: 1440 for MTU 1500, a default of 1220)."""

import pytest
from scapy.all import TCP

import picotcp
from harness.dut import Dut
from harness.tcp_peer import (DUT_PORT, PEER_PORT, TcpPeer, bring_to_state, default_send_mss, mss_for_mtu, options_of,
                              payload_of, seq_add)

def listening(dut, port=DUT_PORT, address=None, backlog=4):
    listener = dut.tcp_socket()
    listener.bind(dut.wildcard if address is None else address, port)
    listener.listen(backlog)
    return listener


def data_segments(peer, timeout_ms=200):
    return [t for t in peer.collect(timeout_ms) if payload_of(t)]


@pytest.mark.requirement("RFC9293:MUST-14", "RFC9293:SHLD-5", "RFC9293:MUST-67", "RFC9293:MUST-2")
def test_passive_open(dut):
    """
    Purpose: a SYN to a listening port is answered with a SYN-ACK that acknowledges it and announces the
        DUT's MSS; the final ACK makes the connection ready for accept(). Over IPv4 and IPv6.
    Setup: fresh DUT, ARP primed (IPv4); socket listening on the wildcard address (0.0.0.0 / ::), port 8080.
    Procedure: the peer (198.18.0.1 / 2001:db8::1), port 40000, sends SYN (ISN 0x10000000, MSS 1460 / 1440);
        the DUT's SYN-ACK is checked; the peer sends the ACK.
    Judgement: SYN-ACK flags exactly SYN+ACK, ack = ISN+1, from the DUT's address (198.18.0.2 / 2001:db8::2)
        port 8080, MSS option 1460 (MTU 1500 minus 40; IPv6: 1440, minus 60), window > 0, valid checksum (over
        the family's pseudo-header); before the ACK accept() returns None; after it accept() returns a socket
        in ESTABLISHED with local (DUT address, 8080) and remote (peer address, 40000); the listener stays in
        LISTEN; nothing else is sent.
    Reference: RFC 9293 3.5 (Figure 6), 3.7.1, 3.10.7.2; RFC 8200 8.1, 8.3.
    """
    listener = listening(dut)
    peer = TcpPeer(dut, sport=PEER_PORT, dport=DUT_PORT, isn=0x10000000)
    peer.send_syn()
    synack = peer.expect_syn_ack()
    assert synack.underlayer.src == dut.addr and synack.sport == DUT_PORT
    assert options_of(synack).get("MSS") == mss_for_mtu(dut)  # 1460 / 1440
    assert synack.window > 0
    assert listener.accept() is None
    peer.send("A")
    sock = listener.accept()
    assert sock is not None
    assert sock.state == "ESTABLISHED"
    assert sock.local == (dut.addr, DUT_PORT)
    assert sock.remote == (dut.peer_addr, PEER_PORT)
    assert listener.state == "LISTEN"
    assert listener.accept() is None
    peer.expect_silence(300)


@pytest.mark.requirement("RFC9293:MUST-14", "RFC9293:MUST-44", "RFC9293:MUST-67", "RFC9293:MUST-47")
def test_active_open(dut):
    """
    Purpose: connect() sends a SYN from the DUT's address with its MSS; the peer's SYN-ACK is acknowledged
        and the application learns the connection is up. Over IPv4 and IPv6.
    Setup: fresh DUT, ARP primed (IPv4); a new TCP socket.
    Procedure: sock.connect(peer address, 40000); the peer answers the SYN with SYN-ACK (ISN 0x10000000).
    Judgement: the SYN: flags exactly SYN, source address 198.18.0.2 / 2001:db8::2 (chosen by IP, nothing was
        bound), destination port 40000, MSS option 1460 (IPv6: 1440), no data; state SYN-SENT. After the
        SYN-ACK: one ACK with seq = ISS+1, ack = ISN+1; state ESTABLISHED; events [("Connected", "Ok")];
        remote = (peer address, 40000).
    Reference: RFC 9293 3.5 (Figure 6), 3.7.1, 3.9.1.1 (OPEN), 3.10.1, 3.10.7.3; RFC 8200 8.3.
    """
    sock = dut.tcp_socket()
    peer = TcpPeer(dut, sport=PEER_PORT, dport=None, isn=0x10000000)
    sock.connect(dut.peer_addr, PEER_PORT)
    syn = peer.expect_syn()
    assert syn.underlayer.src == dut.addr and syn.dport == PEER_PORT
    assert options_of(syn).get("MSS") == mss_for_mtu(dut)
    assert not payload_of(syn)
    assert sock.state == "SYN-SENT"
    peer.send("SA")
    ack = peer.expect("A")
    assert ack.seq == seq_add(peer.dut_isn, 1)
    assert ack.ack == seq_add(peer.iss, 1)
    assert sock.state == "ESTABLISHED"
    assert sock.events == [("Connected", "Ok")]
    assert sock.remote == (dut.peer_addr, PEER_PORT)
    assert sock.local[0] == dut.addr and sock.local[1] == peer.dport
    peer.expect_silence(300)


OPTION_SETS = [
    pytest.param(dict(), id="none"),
    pytest.param(dict(wscale=7), id="ws"),
    pytest.param(dict(sack=True), id="sack"),
    pytest.param(dict(timestamps=True), id="ts"),
    pytest.param(dict(wscale=2, sack=True, timestamps=True), id="all"),
    pytest.param(dict(wscale=15, sack=True, timestamps=True), id="all-ws15"),
]


@pytest.mark.parametrize("offer", OPTION_SETS)
@pytest.mark.requirement("RFC9293:MUST-4", "RFC9293:MUST-5", "RFC9293:MUST-14", "RFC7323:WS-1", "RFC7323:WS-2",
                         "RFC7323:TS-1", "RFC2018:R1")
def test_passive_option_negotiation(dut, offer):
    """
    Purpose: the SYN-ACK answers exactly the options the SYN offered: window scale (RFC 7323 2), timestamps
        (RFC 7323 3) and SACK-permitted (RFC 2018 2) appear only when offered, and then with valid values.
    Setup: fresh DUT; listener on 8080.
    Procedure: the peer's SYN carries MSS 1460 plus the options in `offer`; handshake; the peer sends
        100 bytes and reads the DUT's ACK.
    Judgement: SYN-ACK has MSS 1460; WScale present iff offered, with shift <= 14; SAckOK iff offered;
        Timestamp iff offered, with TSecr = our TSval; the DUT's later ACK carries a Timestamp (TSecr = our
        last TSval) iff both sides sent it, and never SACK-permitted, window scale or MSS; the data is read.
    Reference: RFC 7323 2.2, 2.3, 3.2; RFC 2018 2; RFC 9293 3.1, 3.2.
    """
    listener = listening(dut)
    peer = TcpPeer(dut, sport=PEER_PORT, dport=DUT_PORT, **offer)
    peer.send_syn()
    synack = peer.expect_syn_ack()
    options = options_of(synack)
    assert options.get("MSS") == mss_for_mtu(dut)
    assert ("WScale" in options) == ("wscale" in offer), options
    if "WScale" in options:
        assert 0 <= options["WScale"] <= 14
    assert bool(options.get("SAckOK")) == bool(offer.get("sack")), options
    assert ("Timestamp" in options) == bool(offer.get("timestamps")), options
    peer.send("A")
    sock = listener.accept()
    assert sock is not None
    peer.send("PA", b"x" * 100)
    ack = peer.expect("A", timeout_ms=500)
    later = options_of(ack)
    assert ack.ack == peer.snd_nxt
    assert "WScale" not in later and "SAckOK" not in later and "MSS" not in later
    if offer.get("timestamps"):
        assert "Timestamp" in later, "timestamps negotiated: every segment carries them (RFC 7323 3.2)"
        assert later["Timestamp"][1] == peer.ts_val() or later["Timestamp"][1] <= peer.ts_val()
    else:
        assert "Timestamp" not in later
    assert sock.read() == b"x" * 100


@pytest.mark.requirement("RFC9293:MUST-14", "RFC7323:WS-1", "RFC7323:TS-1", "RFC2018:R1")
def test_active_options_offered_and_honoured(dut):
    """
    Purpose: the DUT's SYN offers MSS, window scale, SACK-permitted and timestamps; when the SYN-ACK does not
        carry window scale or timestamps, the DUT uses neither (RFC 7323 2.2, 3.2).
    Setup: fresh DUT.
    Procedure: connect; the peer's SYN-ACK carries only MSS 1460; then the DUT writes 10 bytes.
    Judgement: the SYN has MSS 1460, WScale (shift <= 14), SAckOK and Timestamp (TSval, TSecr 0); the ACK and
        the data segment have no Timestamp option and their window fields are unscaled (<= 65535, equal to
        the receive space).
    Reference: RFC 7323 2.2, 2.3, 3.2; RFC 2018 2; RFC 9293 3.2.
    """
    sock = dut.tcp_socket()
    peer = TcpPeer(dut, dport=None)
    sock.connect(dut.peer_addr, PEER_PORT)
    syn = peer.expect_syn()
    options = options_of(syn)
    assert options.get("MSS") == mss_for_mtu(dut)
    assert "WScale" in options and 0 <= options["WScale"] <= 14, options
    assert options.get("SAckOK") is True, options
    assert "Timestamp" in options and options["Timestamp"][1] == 0, options
    peer.send("SA", options=[("MSS", mss_for_mtu(dut))])
    ack = peer.expect("A")
    assert "Timestamp" not in options_of(ack)
    assert sock.write(b"0123456789") == 10
    data = peer.expect("PA", timeout_ms=200)
    assert payload_of(data) == b"0123456789"
    assert "Timestamp" not in options_of(data)
    assert data.window == ack.window


@pytest.mark.requirement("RFC9293:MUST-15", "RFC9293:MUST-16")
def test_send_mss_default_without_option(dut):
    """
    Purpose: when the peer's SYN carries no MSS option, the DUT sends segments of at most 536 data bytes
        over IPv4, 1220 over IPv6 (RFC 8200 8.3: the IPv6 minimum MTU 1280 - 60).
    Setup: fresh DUT; listener on 8080.
    Procedure: the peer's SYN has no options; handshake; the DUT writes 2000 bytes; the peer collects 200 ms
        of segments, acknowledging each.
    Judgement: every data segment carries at most 536 (IPv6: 1220) bytes and the first carries exactly that;
        the bytes arrive in order and complete.
    Reference: RFC 9293 3.7.1 (SendMSS default 536 for IPv4), RFC 1122 4.2.2.6; RFC 8200 5, 8.3.
    """
    listener = listening(dut)
    peer = TcpPeer(dut, mss=None)
    sock = peer.handshake_to(listener)
    payload = bytes(i % 251 for i in range(2000))
    assert sock.write(payload) == 2000
    sizes = []
    for _ in range(20):
        for seg in data_segments(peer, 200):
            sizes.append(len(payload_of(seg)))
        peer.send("A")
        if len(peer.received) >= 2000:
            break
    assert bytes(peer.received) == payload
    default = default_send_mss(dut)
    assert sizes[0] == default and max(sizes) <= default, sizes


@pytest.mark.parametrize("mss", [100, 700, "largest"])
@pytest.mark.requirement("RFC9293:MUST-14", "RFC9293:MUST-16")
def test_send_mss_from_peer_option(dut, mss):
    """
    Purpose: the MSS the peer announces bounds the DUT's data segments.
    Setup: fresh DUT; listener on 8080.
    Procedure: the peer's SYN carries MSS `mss` ("largest": 1460 over IPv4, 1440 over IPv6); handshake; the
        DUT writes 3000 bytes; the peer acknowledges what arrives until all 3000 bytes are in.
    Judgement: every data segment carries at most `mss` bytes, the first exactly `mss`; the stream is intact.
    Reference: RFC 9293 3.7.1; RFC 1122 4.2.2.6.
    """
    mss = mss_for_mtu(dut) if mss == "largest" else mss
    listener = listening(dut)
    peer = TcpPeer(dut, mss=mss)
    sock = peer.handshake_to(listener)
    payload = bytes(i % 253 for i in range(3000))
    assert sock.write(payload) == 3000
    sizes = []
    for _ in range(60):
        for seg in data_segments(peer, 200):
            sizes.append(len(payload_of(seg)))
        peer.send("A")
        if len(peer.received) >= 3000:
            break
    assert bytes(peer.received) == payload
    assert sizes[0] == mss and max(sizes) <= mss, sizes


@pytest.mark.requirement("RFC9293:MUST-16", "RFC7323:TS-1")
def test_effective_mss_excludes_timestamp_option(dut):
    """
    Purpose: the effective send MSS accounts for TCP options carried in every segment: with timestamps
        (12 bytes of option space), data per segment is at most SendMSS - 12.
    Setup: fresh DUT; listener on 8080.
    Procedure: the peer's SYN carries MSS 1000 and timestamps; handshake; the DUT writes 3000 bytes.
    Judgement: every data segment carries a Timestamp option and at most 988 data bytes (1000 + 20 - 32);
        the first carries exactly 988; IP total length <= 1040 (IPv6: payload length <= 1020).
    Reference: RFC 9293 3.7.1 (Eff.snd.MSS = min(SendMSS+20, MMS_S) - TCPhdrsize - IPoptionsize);
        RFC 6691.
    """
    listener = listening(dut)
    peer = TcpPeer(dut, mss=1000, timestamps=True)
    sock = peer.handshake_to(listener)
    assert sock.write(bytes(3000)) == 3000
    segments = []
    for _ in range(20):
        segments += data_segments(peer, 200)
        peer.send("A")
        if len(peer.received) >= 3000:
            break
    sizes = [len(payload_of(s)) for s in segments]
    assert all("Timestamp" in options_of(s) for s in segments)
    assert sizes[0] == 988 and max(sizes) <= 988, sizes
    if dut.v6:
        assert all(s.underlayer.plen <= 1020 for s in segments)
    else:
        assert all(s.underlayer.len <= 1040 for s in segments)


MTUS = {"small": (576, 1280), "medium": (1000, 1400), "standard": (1500, 1500)}  # IPv4, IPv6 (>= 1280)


@pytest.mark.parametrize("size", list(MTUS))
@pytest.mark.requirement("RFC9293:MUST-67", "RFC9293:MUST-14", "RFC9293:MAY-3")
def test_announced_mss_follows_mtu(size, family, tmp_path):
    """
    Purpose: the MSS the DUT announces is derived from the largest datagram it can receive (MMS_R) on the
        interface: MTU - 40 over IPv4, MTU - 60 over IPv6.
    Setup: a DUT built with an interface MTU of 576, 1000, 1500 (IPv4) or 1280, 1400, 1500 (IPv6: a link MTU
        is at least 1280, RFC 8200 5), not the fixture's 1500; listener on 8080.
    Procedure: the peer sends SYN (MSS 1460 / 1440).
    Judgement: SYN-ACK MSS option = mtu - 40 (also for 576, where it equals the default 536: MAY-3), or
        mtu - 60 over IPv6 (1220 for 1280, the IPv6 default).
    Reference: RFC 9293 3.7.1 (MSS = MMS_R - 20), RFC 1122 4.2.2.6; RFC 8200 5, 8.3.
    """
    mtu = MTUS[size][family == 6]
    dut = Dut(capture=tmp_path / "mss.pcap", mtu=mtu)
    try:
        dut.use_family(family)
        listener = listening(dut)
        peer = TcpPeer(dut)
        peer.send_syn()
        synack = peer.expect_syn_ack()
        assert options_of(synack).get("MSS") == mss_for_mtu(dut, mtu)
        assert not dut.check_family(), dut.check_family()
        assert listener.state == "LISTEN"
    finally:
        dut.close()


@pytest.mark.requirement("RFC9293:MUST-10")
def test_simultaneous_open(dut):
    """
    Purpose: both ends send SYN at once (RFC 9293 Figure 8); the DUT completes the connection.
    Setup: fresh DUT; socket connecting to the peer (198.18.0.1 / 2001:db8::1), port 40000.
    Procedure: after the DUT's SYN the peer sends its own SYN (seq 300, no ACK); the DUT answers; the peer
        sends SYN-ACK <SEQ=300><ACK=ISS+1>, then ACK <SEQ=301><ACK=ISS+1>.
    Judgement: to the crossing SYN: SYN-ACK <SEQ=ISS><ACK=301>, state SYN-RECEIVED. To the peer's SYN-ACK: an
        ACK <SEQ=ISS+1><ACK=301> (it either completes the handshake, Figure 8, or is the acknowledgment of an
        old SYN; both send this ACK). After the peer's ACK: state ESTABLISHED, events [("Connected", "Ok")],
        data flows both ways.
    Reference: RFC 9293 3.5 (Figure 8), 3.10.7.3 (SYN-SENT: SYN without ACK), 3.10.7.4.
    """
    sock = dut.tcp_socket()
    peer = TcpPeer(dut, dport=None, isn=300)
    sock.connect(dut.peer_addr, PEER_PORT)
    syn = peer.expect_syn()
    iss = syn.seq
    peer.send_syn()
    synack = peer.expect("SA")
    assert synack.seq == iss and synack.ack == 301
    assert sock.state == "SYN-RECEIVED"
    peer.send("SA", seq=300, ack=seq_add(iss, 1), track=False)
    ack = peer.expect("A")
    assert ack.seq == seq_add(iss, 1) and ack.ack == 301
    peer.send("A", seq=301, ack=seq_add(iss, 1))
    peer.expect_silence(200)
    assert sock.state == "ESTABLISHED"
    assert sock.events == [("Connected", "Ok")]
    peer.send("PA", b"ping")
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"ping"
    assert sock.write(b"pong") == 4
    assert payload_of(peer.expect("PA", timeout_ms=200)) == b"pong"


@pytest.mark.requirement("RFC9293:MUST-11")
def test_passive_syn_received_reset_returns_to_listen(dut):
    """
    Purpose: a connection in SYN-RECEIVED that came from LISTEN goes back to LISTEN on a RST: the listener
        keeps working and the reset connection never reaches accept().
    Setup: fresh DUT; listener on 8080; peer A's SYN answered by SYN-ACK (SYN-RECEIVED).
    Procedure: peer A sends RST <SEQ=ISN+1> (exact); then peer A sends the ACK that would have completed
        the old handshake; then peer B (port 40001) does a full handshake.
    Judgement: no reply to the RST; the stale ACK draws RST <SEQ=SEG.ACK> (no connection: LISTEN rules);
        accept() returns exactly one socket, B's (remote port 40001), then None; listener still LISTEN.
    Reference: RFC 9293 3.10.7.4 (first check, RST in SYN-RECEIVED: passive OPEN returns to LISTEN),
        3.10.7.2, 3.5.3.
    """
    peer, listener = bring_to_state(dut, "SYN-RECEIVED", passive=True)
    peer.send("R", seq=peer.snd_nxt, ack=0, track=False)
    peer.expect_silence(200)
    stale = peer.send("A", track=False)
    rst = peer.expect("R", timeout_ms=100)
    assert rst.seq == stale[TCP].ack
    other = TcpPeer(dut, sport=PEER_PORT + 1, dport=DUT_PORT)
    sock = other.handshake_to(listener)
    assert sock.remote == (dut.peer_addr, PEER_PORT + 1)
    assert listener.accept() is None
    assert listener.state == "LISTEN"


@pytest.mark.requirement("RFC9293:MUST-11", "RFC9293:MUST-12")
def test_active_syn_received_reset_is_refused(dut):
    """
    Purpose: a connection in SYN-RECEIVED that came from SYN-SENT (simultaneous open) is refused by a RST.
    Setup: fresh DUT; simultaneous open brought the socket to SYN-RECEIVED.
    Procedure: the peer sends RST <SEQ=RCV.NXT>.
    Judgement: no reply; state CLOSED; events end with ("Error", "ConnectionRefused").
    Reference: RFC 9293 3.10.7.4 (first check, SYN-RECEIVED: active OPEN -> connection refused), 3.5.3.
    """
    peer, sock = bring_to_state(dut, "SYN-RECEIVED")
    peer.send("R", seq=peer.snd_nxt, ack=0, track=False)
    peer.expect_silence(300)
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "ConnectionRefused")


@pytest.mark.requirement("RFC9293:MUST-11")
@pytest.mark.linux_deviation(
    "RFC 9293 3.10.7.4 (fourth check, SYN-RECEIVED from a passive OPEN: return to LISTEN without a reply): the "
    "kernel answers the in-window SYN with a RST")
def test_passive_syn_received_new_syn_returns_to_listen(dut):
    """
    Purpose: a SYN inside the window of a half-open connection that came from LISTEN returns it to LISTEN
        (the half-open connection is dropped; no reply).
    Setup: fresh DUT; listener on 8080; the peer's SYN (ISN 0x10000000) answered by SYN-ACK.
    Procedure: the peer sends a SYN at ISN+1 (in window); then the ACK that would have completed the first
        handshake.
    Judgement: no reply to the second SYN; the ACK then finds no connection and draws RST <SEQ=SEG.ACK>;
        accept() returns None.
    Reference: RFC 9293 3.10.7.4 (fourth check, SYN-RECEIVED: "If the connection was initiated with a
        passive OPEN, then return this connection to the LISTEN state and return").
    """
    peer, listener = bring_to_state(dut, "SYN-RECEIVED", passive=True)
    peer.send("S", seq=peer.snd_nxt, ack=0, track=False)
    peer.expect_silence(200)
    stale = peer.send("A", track=False)
    rst = peer.expect("R", timeout_ms=100)
    assert rst.seq == stale[TCP].ack
    assert listener.accept() is None


def test_listener_serves_several_connections(dut):
    """
    Purpose: one listening port accepts several connections at once, told apart by the remote port.
    Setup: fresh DUT; listener on 8080.
    Procedure: peers on ports 40000, 40001, 40002 each complete a handshake; each sends its own data.
    Judgement: accept() returns three sockets, remote ports 40000..40002 in handshake order; each reads
        exactly its own peer's data; each peer gets its own ACK.
    Reference: RFC 9293 3.9.1.1 (OPEN: several passive opens on one port), 3.3 (sockets and connections).
    """
    listener = listening(dut)
    peers = [TcpPeer(dut, sport=PEER_PORT + i, dport=DUT_PORT, isn=1000 * (i + 1)) for i in range(3)]
    socks = [p.handshake_to(listener) for p in peers]
    assert [s.remote[1] for s in socks] == [PEER_PORT, PEER_PORT + 1, PEER_PORT + 2]
    for i, p in enumerate(peers):
        p.send("PA", f"peer {i}".encode())
        assert p.expect("A", timeout_ms=500).ack == p.snd_nxt
    for i, s in enumerate(socks):
        assert s.read() == f"peer {i}".encode()


@pytest.mark.requirement("RFC9293:MUST-43", "RFC9293:MUST-45")
def test_local_address_of_bound_socket_is_used(dut):
    """
    Purpose: a socket bound to one of the DUT's addresses opens from it, and a connection accepted on an
        address answers from that address.
    Setup: fresh DUT with a second address 198.18.0.3/24 (IPv6: 2001:db8::3/64).
    Procedure: (a) a socket bound to the second address, port 5555, connects to the peer, port 40000; (b) a
        listener on the wildcard address, port 8080, gets a SYN addressed to the second address, handshake,
        the DUT writes data.
    Judgement: (a) the SYN's source is the second address, port 5555; (b) the SYN-ACK and the data segment come
        from the second address, and accept()'s socket has local (second address, 8080).
    Reference: RFC 9293 3.9.1.1 (OPEN local address), 3.10.1; RFC 1122 4.2.3.7.
    """
    second = dut.other_addr(3)
    if dut.v6:
        assert dut.stack.ipv6.add_address(dut.eth, second, 64)
    else:
        assert dut.stack.ipv4.add_address(dut.eth, second, 24)
    dut.prime_neighbour()
    active = dut.tcp_socket()
    active.bind(second, 5555)
    active.connect(dut.peer_addr, PEER_PORT)
    syn = dut.expect(lambda f: TCP in f and f[TCP].flags == "S", timeout_ms=200)
    assert syn[dut.ip_class].src == second and syn[TCP].sport == 5555
    listener = listening(dut)
    peer = TcpPeer(dut, sport=PEER_PORT + 1, dport=DUT_PORT, dut_ip=second)
    sock = peer.handshake_to(listener)
    assert peer.segments[0][dut.ip_class].src == second
    assert sock.local == (second, DUT_PORT)
    assert sock.write(b"hello") == 5
    data = peer.expect("PA", timeout_ms=200)
    assert data.underlayer.src == second


@pytest.mark.parametrize("address", ["directed-broadcast", "limited-broadcast", "multicast", "unspecified"])
@pytest.mark.requirement("RFC9293:MUST-46")
@pytest.mark.linux_deviation(
    "RFC 1122 3.2.1.3 (0.0.0.0 is never a destination): connect() to 0.0.0.0 reaches the host itself (the "
    "kernel takes it as a local address)", ids=["ipv4-unspecified"])
def test_connect_to_broadcast_or_multicast_is_rejected(dut, address):
    """
    Purpose: an active OPEN to a broadcast or multicast address (or the unspecified address) is refused;
        over IPv4 and IPv6 (IPv6 has no broadcast: its variants use the all-nodes ff02::1 and the
        solicited-node ff02::1:ff00:1 multicast groups, RFC 4291 2.7.1).
    Setup: fresh DUT.
    Procedure: sock.connect(address, 80): 198.18.0.255, 255.255.255.255, 224.0.0.1, 0.0.0.0 over IPv4;
        ff02::1:ff00:1, ff02::1, ff02::2, :: over IPv6.
    Judgement: picotcp.SocketError is raised; nothing is sent; the socket is not in SYN-SENT.
    Reference: RFC 9293 3.9.1.1, 3.10.1 (OPEN); RFC 1122 4.2.3.10.
    """
    addresses = {
        4: {"directed-broadcast": "198.18.0.255", "limited-broadcast": "255.255.255.255",
            "multicast": "224.0.0.1", "unspecified": "0.0.0.0"},
        6: {"directed-broadcast": "ff02::1:ff00:1", "limited-broadcast": "ff02::1", "multicast": "ff02::2",
            "unspecified": "::"},
    }
    dut.prime_neighbour()
    sock = dut.tcp_socket()
    with pytest.raises(picotcp.SocketError):
        sock.connect(addresses[dut.family][address], 80)
    dut.expect_silence(1500)
    assert sock.state != "SYN-SENT"


@pytest.mark.requirement("RFC9293:MUST-8", "RFC6528:R1")
@pytest.mark.linux_deviation(
    "RFC 9293 3.4.1 / RFC 6528 3 (a 4-microsecond clock): the kernel's ISN clock ticks every 64 ns")
def test_isn_is_clock_driven(dut):
    """
    Purpose: the ISN generator has a clock component: for the same connection identifiers, the ISN advances
        with time by one per 4 microseconds.
    Setup: fresh DUT; listener on 8080.
    Procedure: peer 40000 sends SYN, notes the SYN-ACK's ISN, resets the half-open connection (RST at
        ISN_peer+1); 10 000 ms of virtual time later the same peer port sends SYN again.
    Judgement: ISN2 - ISN1 = 10 000 ms x 250 per ms = 2 500 000 (modulo 2**32), within 2 ms of clock
        (500) for the poll granularity.
    Reference: RFC 9293 3.4.1 (4-microsecond clock); RFC 6528 3 (ISN = M + F(4-tuple, key)).
    """
    listener = listening(dut)
    peer = TcpPeer(dut)
    peer.send_syn()
    first = peer.expect_syn_ack().seq
    t1 = dut.now_ms
    peer.send("R", seq=seq_add(peer.iss, 1), ack=0, track=False)
    dut.advance(10_000)
    peer.send_syn()
    second = peer.expect_syn_ack().seq
    elapsed = dut.now_ms - t1
    difference = (second - first) % (1 << 32)
    assert abs(difference - 250 * elapsed) <= 500, (difference, elapsed)
    assert listener.state == "LISTEN"


@pytest.mark.requirement("RFC9293:MUST-9", "RFC9293:SHLD-1", "RFC6528:R2")
def test_isn_differs_nonlinearly_across_connections(dut, tmp_path):
    """
    Purpose: ISNs are not predictable from other connections: at one instant, SYNs from consecutive ports
        get ISNs whose differences are not constant, and another stack (another secret) gives the same
        4-tuple a different ISN at the same time.
    Setup: fresh DUT (seed 1) and a second DUT built with seed 2; a listener on 8080 on each.
    Procedure: peers on ports 40000..40007 send SYN without time passing; the SYN-ACK ISNs are collected;
        port 40000 also sends a SYN to the second DUT at the same virtual time.
    Judgement: the 8 ISNs are distinct; the 7 successive differences are not all equal, and not all equal
        modulo the 4-microsecond clock either (second differences not all zero); the second DUT's ISN for
        the same 4-tuple and time differs from the first DUT's.
    Reference: RFC 9293 3.4.1 (ISN generator with a PRF of the 4-tuple and a secret key), RFC 6528 3.
    """
    listening(dut)
    isns = []
    for i in range(8):
        peer = TcpPeer(dut, sport=PEER_PORT + i)
        peer.send_syn()
        isns.append(peer.expect_syn_ack().seq)
    assert len(set(isns)) == 8, isns
    diffs = [(b - a) % (1 << 32) for a, b in zip(isns, isns[1:])]
    assert len(set(diffs)) > 1, f"ISNs differ linearly: {diffs}"
    second_diffs = [(b - a) % (1 << 32) for a, b in zip(diffs, diffs[1:])]
    assert any(second_diffs), second_diffs
    other = Dut(capture=tmp_path / "other.pcap", seed=2)
    try:
        other.use_family(dut.family)
        other_listener = listening(other)
        if other.now_ms < dut.now_ms:
            other.clock.set(ms=dut.now_ms)
        assert other.now_ms == dut.now_ms, "both DUTs must be at the same virtual time"
        other_peer = TcpPeer(other)
        other_peer.send_syn()
        other_isn = other_peer.expect_syn_ack().seq
        assert other_listener.state == "LISTEN"
        assert other_isn != isns[0], "the same 4-tuple at the same time got the same ISN under another secret"
    finally:
        other.close()


@pytest.mark.requirement("RFC9293:MUST-22", "RFC6298:R2.1")
def test_syn_ack_retransmitted_with_backoff(dut):
    """
    Purpose: an unanswered SYN-ACK is retransmitted with the same sequence number, after 1 s and then at
        doubling intervals; after giving up the half-open connection is gone and the listener still works.
    Setup: fresh DUT; listener on 8080.
    Procedure: the peer sends SYN and never answers; the peer collects SYN-ACKs for 3 minutes of virtual
        time; then another peer (port 40001) completes a handshake.
    Judgement: every SYN-ACK has seq = ISS and ack = ISN+1; the first retransmission comes 1000 ms (+-20) after
        the first SYN-ACK, the second 2000 (+-40) after that, and each later interval is at least the previous
        one (exponential backoff); at least 2 retransmissions within 3 minutes;
        the new handshake completes and accept() returns only it.
    Reference: RFC 9293 3.8.1, 3.8.3 (R2 for SYN); RFC 6298 2.1, 5.5; RFC 1122 4.2.3.5.
    """
    listener = listening(dut)
    peer = TcpPeer(dut)
    peer.send_syn()
    first = peer.expect_syn_ack()
    times = [dut.now_ms]
    for when, seg in peer.watch(180_000, step_ms=10):
        assert seg.flags == "SA" and seg.seq == first.seq and seg.ack == seq_add(peer.iss, 1), peer.describe(seg)
        times.append(when)
    intervals = [b - a for a, b in zip(times, times[1:])]
    assert len(intervals) >= 2, intervals
    assert 1000 <= intervals[0] <= 1020, intervals
    assert 2000 <= intervals[1] <= 2040, intervals
    assert all(b >= a for a, b in zip(intervals, intervals[1:])), intervals
    other = TcpPeer(dut, sport=PEER_PORT + 1)
    sock = other.handshake_to(listener)
    assert sock.remote[1] == PEER_PORT + 1
    assert listener.accept() is None
