"""RFC 7323 (TCP Extensions for High Performance): window scale arithmetic on the wire (SYN windows never
scaled, the option only on SYNs, shift counts above 14, the announced shift applied, retracting edges),
timestamps (not negotiated, RSTs, TSecr rules, the timestamp clock), RTT measurement from echoed
timestamps, and PAWS after 24 idle days.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import picotcp
import pytest

from harness.tcp_peer import DUT_PORT, PEER_PORT, TcpPeer, bring_to_state, options_of, payload_of, seq_add, \
    seq_diff

MOD = 1 << 32
DAY_MS = 24 * 3600 * 1000
RECV_BUFFER = picotcp.config()["tcp_recv_buffer"]


def listening(dut, port=DUT_PORT):
    listener = dut.tcp_socket()
    listener.bind(dut.wildcard, port)
    listener.listen(4)
    return listener


def expected_shift(buffer=RECV_BUFFER):
    """The smallest shift that lets a 16-bit window field cover the whole receive buffer (RFC 7323 2.3)."""
    shift = 0
    while shift < 14 and (buffer >> shift) > 0xFFFF:
        shift += 1
    return shift


def jump(dut, ms):
    """Let `ms` of idle virtual time pass in one step (the 10 ms stepping of dut.advance would take hours for
    days of virtual time); the stack is polled once at the end, so every timer due meanwhile fires then."""
    dut.clock.advance(ms=ms)
    dut.advance(0)


def ts_options(tsval, tsecr):
    return [("NOP", None), ("NOP", None), ("Timestamp", (tsval % MOD, tsecr % MOD))]


def data_of(segments):
    return [s for s in segments if payload_of(s)]


def right_edge(peer, tcp):
    """The right edge of the window a DUT segment offers: SEG.ACK + (SEG.WND << shift) (unscaled on a SYN)."""
    shift = peer.dut_wscale if peer.ws_enabled and not tcp.flags.S else 0
    return seq_add(tcp.ack, tcp.window << shift)


# ---- window scale (RFC 7323 section 2) ---------------------------------------------------------------------


@pytest.mark.requirement("RFC7323:WS-4", "RFC7323:WS-3")
def test_syn_ack_window_not_scaled_active_open(dut):
    """
    Purpose: the window of a SYN-ACK the DUT receives is taken as it is, never shifted by the window scale
        the same SYN-ACK announces; the first segment without SYN is then scaled.
    Setup: fresh DUT; a socket connects to the peer.
    Procedure: the peer answers the DUT's SYN with a SYN-ACK carrying MSS 500, WScale 4 and window field
        1000; the DUT acknowledges; the application writes 5000 bytes; after 300 ms the peer acknowledges
        everything with window field 125 (= 2000 bytes with shift 4).
    Judgement: the DUT's SYN window field equals min(receive buffer, 65535) (its own SYN unscaled too);
        after the handshake snd_wnd = 1000 and snd_wscale = 4; within 300 ms exactly 1000 bytes leave (two
        500-byte segments; the initial congestion window, 2000, does not limit); after the ACK snd_wnd = 2000
        and exactly 2000 more bytes leave (bytes 1000..3000 in four 500-byte segments), none beyond.
    Reference: RFC 7323 2.2 ("The Window field in a SYN (i.e., a <SYN> or <SYN,ACK>) segment itself is never
        scaled"), 2.3.
    """
    sock = dut.tcp_socket()
    peer = TcpPeer(dut, dport=None, mss=500, wscale=4)
    sock.connect(dut.peer_addr, PEER_PORT)
    syn = peer.expect_syn()
    assert syn.window == min(RECV_BUFFER, 0xFFFF), syn.window
    peer.send("SA", window=1000)
    peer.expect("A")
    info = sock.info
    assert (info["snd_wscale"], info["snd_wnd"]) == (4, 1000), info
    assert sock.write(bytes(range(250)) * 20) == 5000
    sent = data_of(peer.collect(300))
    assert [len(payload_of(s)) for s in sent] == [500, 500], [peer.describe(s) for s in sent]
    first = seq_add(peer.dut_isn, 1)
    peer.send("A", window=125)
    assert sock.info["snd_wnd"] == 2000
    sent = data_of(peer.collect(300))
    assert sent and sent[0].seq == seq_add(first, 1000), [peer.describe(s) for s in sent]
    assert [len(payload_of(s)) for s in sent] == [500] * 4, [peer.describe(s) for s in sent]
    assert peer.rcv_nxt == seq_add(first, 3000)


@pytest.mark.requirement("RFC7323:WS-4", "RFC7323:WS-8")
def test_syn_ack_window_not_scaled_simultaneous_open(dut):
    """
    Purpose: in a simultaneous open the peer's SYN-ACK (figure 8 line 6 of RFC 9293) completes the handshake;
        its window is not scaled either, and the DUT's own SYN-ACK window is unscaled.
    Setup: fresh DUT; a socket connects to the peer; the peer's SYN (MSS 500, WScale 4, window 800) crosses
        the DUT's SYN, so the DUT answers SYN-ACK (SYN-RECEIVED).
    Procedure: the peer sends its SYN-ACK (acknowledging the DUT's SYN) with window field 1000 and WScale 4;
        the application writes 5000 bytes.
    Judgement: the DUT's SYN-ACK carries WScale (the peer's SYN did) and window field min(receive buffer,
        65535); after the peer's SYN-ACK the state is ESTABLISHED with snd_wnd = 1000 (not 1000 << 4 = 16000);
        within 300 ms exactly 1000 bytes leave (two 500-byte segments).
    Reference: RFC 7323 2.2 (the window of a <SYN,ACK> is never scaled), 2.3; RFC 9293 3.5 figure 8.
    """
    peer, sock = bring_to_state(dut, "SYN-RECEIVED", mss=500, wscale=4, window=800)
    synack = peer.segments[-1]["TCP"]
    assert "WScale" in options_of(synack), options_of(synack)
    assert synack.window == min(RECV_BUFFER, 0xFFFF), synack.window
    peer.send("SA", seq=peer.iss, window=1000)
    peer.expect("A")
    assert sock.state == "ESTABLISHED"
    info = sock.info
    assert (info["snd_wscale"], info["snd_wnd"]) == (4, 1000), info
    assert sock.write(bytes(5000)) == 5000
    sent = data_of(peer.collect(300))
    assert [len(payload_of(s)) for s in sent] == [500, 500], [peer.describe(s) for s in sent]


@pytest.mark.parametrize("negotiated", [None, 2], ids=["not-negotiated", "shift-2"])
@pytest.mark.requirement("RFC7323:WS-5")
def test_window_scale_option_without_syn_ignored(dut, negotiated):
    """
    Purpose: a Window Scale option on a segment without SYN changes nothing: the shift stays what the SYNs
        negotiated (none, or 2) and the option is not echoed.
    Setup: listener; the peer (MSS 500) offers no WScale, or WScale 2; its segments advertise window field
        250 (250 bytes unscaled, 1000 bytes with shift 2); handshake.
    Procedure: the peer sends 10 bytes whose options are NOP + WScale 8 and window field 250 (also a window
        update); the DUT acknowledges; the application reads and then writes 5000 bytes.
    Judgement: the data is acknowledged and read (the segment is processed normally); snd_wscale is still 0
        (or 2) and snd_wnd is 250 (or 1000), not 250 << 8; the DUT sends exactly that many bytes within
        300 ms (250: one segment; 1000: two 500-byte segments); no segment from the DUT after the handshake
        carries a WScale option.
    Reference: RFC 7323 2.2 (the option is sent only in a <SYN> or <SYN,ACK>; "A Window Scale option in a
        segment without a SYN bit MUST be ignored").
    """
    listener = listening(dut)
    peer = TcpPeer(dut, mss=500, wscale=negotiated, window=250)
    sock = peer.handshake_to(listener)
    shift = negotiated or 0
    expected_wnd = 250 << shift
    assert sock.info["snd_wnd"] == expected_wnd
    peer.send("PA", b"0123456789", options=[("NOP", None), ("WScale", 8)])
    ack = peer.expect("A", timeout_ms=500)
    assert ack.ack == peer.snd_nxt
    assert sock.read() == b"0123456789"
    info = sock.info
    assert (info["snd_wscale"], info["snd_wnd"]) == (shift, expected_wnd), info
    assert sock.write(bytes(5000)) == 5000
    sent = data_of(peer.collect(300))
    assert sum(len(payload_of(s)) for s in sent) == expected_wnd, [peer.describe(s) for s in sent]
    for frame in peer.segments:
        tcp = frame["TCP"]
        if not tcp.flags.S:
            assert "WScale" not in options_of(tcp), peer.describe(tcp)


@pytest.mark.parametrize("offered", [15, 255])
@pytest.mark.parametrize("role", ["passive", "active"])
@pytest.mark.requirement("RFC7323:WS-6")
def test_shift_count_above_14_used_as_14(dut, role, offered):
    """
    Purpose: a shift count above 14 in the peer's SYN (or SYN-ACK) is used as 14; the DUT never announces
        more than 14.
    Setup: the peer's SYN (passive: to a listener) or SYN-ACK (active: answering connect()) carries WScale
        `offered` (15 or 255) and MSS 1460; the peer's later segments advertise window field 1.
    Procedure: handshake; the application writes 10000 bytes.
    Judgement: the DUT's own SYN or SYN-ACK announces a shift <= 14; snd_wscale = 14 and snd_wnd =
        1 << 14 = 16384 (not 32768, nor 1 byte as if the option were dropped); the DUT sends its initial
        window at once (three 1460-byte segments: cwnd 4380 < 16384), which a window of 1 byte would forbid.
    Reference: RFC 7323 2.3 ("If a Window Scale option is received with a shift.cnt value larger than 14,
        the TCP SHOULD log the error but MUST use 14 instead of the specified value").
    """
    peer = TcpPeer(dut, wscale=offered, window=1, dport=None if role == "active" else DUT_PORT)
    if role == "passive":
        listener = listening(dut)
        peer.send_syn(window=65535)
        own = peer.expect_syn_ack()
        peer.send("A")
        sock = listener.accept()
        assert sock is not None
    else:
        sock = dut.tcp_socket()
        sock.connect(dut.peer_addr, PEER_PORT)
        own = peer.expect_syn()
        peer.send("SA", window=65535)
        peer.expect("A")
        peer.send("A")  # a window update: field 1, scaled
    assert 0 <= options_of(own)["WScale"] <= 14, options_of(own)
    info = sock.info
    assert (info["snd_wscale"], info["snd_wnd"]) == (14, 1 << 14), info
    assert sock.write(bytes(10000)) == 10000
    sent = data_of(peer.collect(100))
    assert [len(payload_of(s)) for s in sent] == [peer.mss] * 3, [peer.describe(s) for s in sent]  # 1460 / 1440


@pytest.mark.parametrize("role", ["passive", "active"])
@pytest.mark.requirement("RFC7323:WS-9", "RFC7323:WS-2", "RFC7323:WS-7", "RFC7323:WS-8")
def test_announced_shift_applied_to_own_window(dut, role):
    """
    Purpose: the shift count the DUT announces in its SYN or SYN-ACK is the one it applies to every later
        window field: SEG.WND = RCV.WND >> Rcv.Wind.Shift, exactly.
    Setup: the peer offers WScale 7 (passive: in its SYN to a listener; active: in its SYN-ACK to the DUT's
        connect()); MSS 1000; the application does not read.
    Procedure: handshake; the peer sends 700, 1300, 1460 and 999 bytes in order, each answered by an ACK
        (delayed ACKs waited for).
    Judgement: the DUT's SYN (active) carries WScale even when its shift is 0, and its SYN-ACK (passive)
        answers the offered option with its own; the shift s announced is the smallest covering the receive
        buffer (window_shift_for: 0 for buffers up to 65535); every later window field equals
        RCV.WND >> s where RCV.WND is the connection's receive window after that ACK, and here (application
        not reading, edge fixed) field << s lies in (B - used - 2^s, B - used], B the receive buffer, used
        the bytes received.
    Reference: RFC 7323 2.2 (a TCP that is prepared to scale SHOULD send the option, even with shift 0),
        2.3 ("SEG.WND = RCV.WND >> Rcv.Wind.Shift"; the shift announced is the one applied).
    """
    peer = TcpPeer(dut, wscale=7, mss=1000, dport=None if role == "active" else DUT_PORT)
    if role == "passive":
        sock = peer.handshake_to(listening(dut))
        announced = options_of(peer.segments[0]["TCP"]).get("WScale")
    else:
        sock = peer.handshake_from(dut.tcp_socket())
        announced = options_of(peer.segments[0]["TCP"]).get("WScale")
    assert announced == expected_shift(), (announced, expected_shift())
    assert sock.info["rcv_wscale"] == announced
    used = 0
    for size in (700, 1300, 1460, 999):
        peer.send("PA", bytes(size))
        used += size
        ack = peer.expect("A", timeout_ms=600)
        assert ack.ack == peer.snd_nxt
        rcv_wnd = sock.info["rcv_wnd"]
        assert ack.window == rcv_wnd >> announced, (ack.window, rcv_wnd, announced)
        assert RECV_BUFFER - used - (1 << announced) < ack.window << announced <= RECV_BUFFER - used, \
            (ack.window, announced, used)


@pytest.mark.requirement("RFC7323:WS-10", "RFC7323:WS-13", "RFC7323:WS-3")
def test_retracting_scaled_window_edge(dut):
    """
    Purpose: with a shift of 8 the peer's window can only be announced in units of 256 bytes, so its right
        edge moves back by less than one unit when the acknowledged amount is not a multiple of 256; the DUT
        copes (no error, no reset) and never sends new data beyond the edge of the most recent ACK.
    Setup: listener; the peer's SYN offers WScale 8 and MSS 512 with window 2048 (unscaled); its ACK
        advertises field 8 (2048 bytes). Offsets below are relative to the DUT's first data byte.
    Procedure: the application writes 10000 bytes. The peer waits 300 ms after each step:
        1. (nothing sent yet)         the DUT fills the window: bytes 0..2048;
        2. ACK 1000, field 4          edge 1000 + 1024 = 2024, 24 bytes left of the 2048 sent;
        3. ACK 2048, field 8          edge 4096;
        4. ACK 2300, field 7          edge 2300 + 1792 = 4092, 4 bytes left of the edge of step 3;
        5. ACK 4096, field 8          edge 6144;
        then it acknowledges everything with field 8 every 300 ms until all 10000 bytes are in.
    Judgement: step 1 sends exactly four 512-byte segments (0..2048); steps 2 and 4 draw no data segment
        at all (the usable window is negative); after each, snd_wnd is exactly field << 8 (1024, 1792);
        steps 3 and 5 send exactly the new data up to the new edge (2048..4096, 4096..6144, as 512-byte
        segments); no first transmission ever ends beyond the edge of the latest ACK; no RST; the state stays
        ESTABLISHED and all 10000 bytes arrive intact.
    Reference: RFC 7323 2.4 ("Implementations MUST ensure that they handle a shrinking window"; "The
        initial transmission MUST be within the window announced by the most recent ACK"), RFC 1122
        4.2.2.16.
    """
    listener = listening(dut)
    peer = TcpPeer(dut, wscale=8, mss=512, window=8)
    peer.send_syn(window=2048)
    peer.expect_syn_ack()
    peer.send("A")
    sock = listener.accept()
    assert sock is not None
    assert sock.info["snd_wnd"] == 2048
    payload = bytes(i * 7 % 256 for i in range(10000))
    assert sock.write(payload) == 10000
    first = seq_add(peer.dut_isn, 1)
    sent_max = 0  # highest offset sent so far

    def step(ack_offset, field, expect_range):
        nonlocal sent_max
        if ack_offset is not None:
            peer.send("A", ack=seq_add(first, ack_offset), window=field)
            assert sock.info["snd_wnd"] == field << 8, sock.info
            edge = ack_offset + (field << 8)
        else:
            edge = 2048
        segments = peer.collect(300)
        data = data_of(segments)
        for s in segments:
            assert not s.flags.R, peer.describe(s)
        for s in data:
            start = seq_diff(s.seq, first)
            end = start + len(payload_of(s))
            if end > sent_max:  # a first transmission (in part at least)
                assert end <= edge, f"new data beyond the edge {edge}: {peer.describe(s)}"
                sent_max = end
        got = [(seq_diff(s.seq, first), len(payload_of(s))) for s in data]
        if expect_range is None:
            assert got == [], f"data sent although the window retracted: {got}"
        else:
            low, high = expect_range
            assert got == [(o, 512) for o in range(low, high, 512)], got

    step(None, None, (0, 2048))
    step(1000, 4, None)
    step(2048, 8, (2048, 4096))
    step(2300, 7, None)
    step(4096, 8, (4096, 6144))
    for _ in range(20):
        if len(peer.received) >= 10000:
            break
        peer.send("A", window=8)
        for s in peer.collect(300):
            assert not s.flags.R
    assert bytes(peer.received) == payload
    assert sock.state == "ESTABLISHED"


@pytest.mark.requirement("RFC7323:WS-11", "RFC7323:WS-12")
def test_segments_within_any_advertised_window_accepted(dut):
    """
    Purpose: the DUT accepts as in-window every byte that lay within the window of any ACK it sent (it
        tracks the highest right edge it advertised), and nothing beyond.
    Setup: listener; the peer offers WScale 7, MSS 1000; handshake; the application does not read. The
        highest right edge E over every DUT ACK (SEG.ACK + (SEG.WND << shift)) is tracked.
    Procedure: the peer sends 1000 bytes (ACKed), leaves a gap of 1000 bytes, then sends the segments that
        end exactly at E, last first (each out of order, each drawing an immediate duplicate ACK); then
        fills the gap; then sends one byte at E.
    Judgement: every out-of-order ACK still acknowledges 1000, its edge at most rounding (< 2^shift) left
        of E; when the gap is filled the ACK acknowledges E exactly (every byte up to the highest edge was
        accepted) with window 0; the application can read E - start bytes, the stream intact; the byte at E
        is not accepted (ACK still E, tcp OutOfWindow +1).
    Reference: RFC 7323 2.4 (1: "The receiver MUST honor, as in window, any segment that would have been in
        window for any ACK sent by the receiver"; 2: track the maximum window sequence number).
    """
    listener = listening(dut)
    peer = TcpPeer(dut, wscale=7, mss=1000)
    sock = peer.handshake_to(listener)
    shift = peer.dut_wscale
    start = peer.snd_nxt
    edges = [right_edge(peer, s["TCP"]) for s in peer.segments]
    stream = bytes(i * 13 % 251 for i in range(RECV_BUFFER + 1000))
    peer.send("PA", stream[:1000])
    ack = peer.expect("A", timeout_ms=600)
    assert ack.ack == seq_add(start, 1000)
    edges.append(right_edge(peer, ack))
    highest = max(edges, key=lambda e: seq_diff(e, start))
    total = seq_diff(highest, start)
    assert 2000 < total <= RECV_BUFFER, total
    dut.rebase()
    # Out-of-order segments from the top down to offset 2000, 1000 bytes each (the lowest may be shorter).
    offsets = list(range(2000, total, 1000))
    for offset in reversed(offsets):
        end = min(offset + 1000, total)
        peer.send("PA", stream[offset:end], seq=seq_add(start, offset), track=False)
        dup = peer.expect("A", timeout_ms=100)
        assert dup.ack == seq_add(start, 1000), peer.describe(dup)
        assert 0 <= seq_diff(highest, right_edge(peer, dup)) < (1 << shift), (peer.describe(dup), highest)
    peer.send("PA", stream[1000:2000], seq=seq_add(start, 1000), track=False)
    final = peer.expect("A", timeout_ms=100)
    assert final.ack == highest, (peer.describe(final), total)
    assert final.window == 0, peer.describe(final)
    peer.snd_nxt = highest
    peer.send("PA", stream[total:total + 1])
    late = peer.expect("A", timeout_ms=100)
    assert late.ack == highest, peer.describe(late)
    dut.assert_dropped("tcp", "OutOfWindow", 1)
    assert sock.read(RECV_BUFFER + 1000) == stream[:total]


# ---- timestamps (RFC 7323 sections 3, 4, 5) ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["passive", "active"])
@pytest.mark.requirement("RFC7323:TS-6")
def test_timestamps_ignored_when_not_negotiated(dut, role):
    """
    Purpose: on a connection that did not negotiate timestamps (the peer's SYN, or its SYN-ACK, had none),
        a Timestamps option in a later segment is ignored and the segment processed normally: no PAWS, no
        echo, no RTT sample from its TSecr.
    Setup: passive: the peer's SYN to a listener has no Timestamps option; active: the DUT's SYN offers
        timestamps, the peer's SYN-ACK has none. MSS 1460.
    Procedure: the peer sends 10 bytes with TSval 5000, TSecr 0xdeadbeef; then 10 bytes with TSval 1 (older:
        PAWS would drop it); then 10 bytes without options. The application writes 100 bytes; after 100 ms
        the peer acknowledges them with a Timestamps option whose TSecr is 1.
    Judgement: each data segment is acknowledged and the 30 bytes read in order; no segment of the DUT
        carries a Timestamps option; no PawsRejected or MissingTimestamp drop; ts_ok stays false; the RTT
        estimate stays at most 100 ms (the TSecr would give a sample of about TSval - 1, far from 100).
    Reference: RFC 7323 3.2 ("If a TSopt is received on a connection where TSopt was not negotiated in the
        initial three-way handshake, the TSopt MUST be ignored and the packet processed normally").
    """
    if role == "passive":
        peer = TcpPeer(dut)
        sock = peer.handshake_to(listening(dut))
    else:
        peer = TcpPeer(dut, dport=None)
        sock = peer.handshake_from(dut.tcp_socket())
        assert "Timestamp" in options_of(peer.segments[0]["TCP"])
    assert sock.info["ts_ok"] is False
    dut.rebase()
    for payload, options in ((b"first-part", ts_options(5000, 0xDEADBEEF)), (b"older-tsv!", ts_options(1, 0)),
                             (b"no-options", [])):
        peer.send("PA", payload, options=options)
        ack = peer.expect("A", timeout_ms=600)
        assert ack.ack == peer.snd_nxt, peer.describe(ack)
    assert sock.read() == b"first-partolder-tsv!no-options"
    assert sock.write(bytes(100)) == 100
    peer.expect("PA", timeout_ms=100)
    dut.advance(100)
    peer.send("A", options=ts_options(6000, 1))
    peer.expect_silence(300)
    assert dut.dropped("tcp", "PawsRejected") == 0
    assert dut.dropped("tcp", "MissingTimestamp") == 0
    info = sock.info
    assert info["ts_ok"] is False and info["snd_una"] == peer.rcv_nxt, info
    assert info["srtt_ms"] <= 100, info
    for frame in peer.segments:
        assert "Timestamp" not in options_of(frame["TCP"]) or frame["TCP"].flags.S, peer.describe(frame["TCP"])


@pytest.mark.parametrize("case", ["active", "passive-offered", "passive-not-offered", "simultaneous-no-ts"])
@pytest.mark.requirement("RFC7323:TS-2", "RFC7323:TS-9")
@pytest.mark.linux_deviation(
    "RFC 7323 3.2 (TSopt in a <SYN,ACK> only when the <SYN> carried one): in a simultaneous open the kernel's "
    "SYN-ACK carries Timestamps although the peer's SYN did not",
    ids=["ipv4-simultaneous-no-ts", "ipv6-simultaneous-no-ts"])
def test_timestamps_on_syn_segments(dut, case):
    """
    Purpose: the DUT offers the Timestamps option in its SYN (TSecr zero: no ACK), and puts it in a SYN-ACK
        only when the SYN it answers carried one (TSecr = that SYN's TSval).
    Setup / Procedure per case:
        active: connect(); the SYN is not answered, so it is retransmitted after 1 s.
        passive-offered: a SYN with timestamps (TSval T) to a listener.
        passive-not-offered: a SYN without timestamps to a listener.
        simultaneous-no-ts: connect(); the peer's SYN without timestamps crosses the DUT's SYN.
    Judgement: active: both SYNs carry Timestamp with TSecr 0 and the second TSval is 1000 (+-20) later;
        passive-offered: the SYN-ACK carries Timestamp with TSecr = T; passive-not-offered and
        simultaneous-no-ts: the SYN-ACK carries no Timestamps option.
    Reference: RFC 7323 3.2 (a TCP MAY send the TSopt in an initial <SYN>, and in its <SYN,ACK> only when
        the <SYN> carried one; "If the ACK bit is not set in the outgoing TCP header, the sender of that
        segment SHOULD set the TSecr field to zero").
    """
    if case == "active":
        peer = TcpPeer(dut, dport=None)
        dut.tcp_socket().connect(dut.peer_addr, PEER_PORT)
        first = options_of(peer.expect_syn())["Timestamp"]
        second = options_of(peer.expect("S", timeout_ms=1100))["Timestamp"]
        assert first[1] == 0 and second[1] == 0, (first, second)
        assert abs((second[0] - first[0]) % MOD - 1000) <= 20 + dut.time_tolerance_ms, (first, second)
    elif case.startswith("passive"):
        listening(dut)
        peer = TcpPeer(dut, timestamps=case == "passive-offered")
        syn = peer.send_syn()
        synack = options_of(peer.expect_syn_ack())
        if case == "passive-offered":
            assert synack["Timestamp"][1] == options_of(syn["TCP"])["Timestamp"][0], synack
        else:
            assert "Timestamp" not in synack, synack
    else:
        peer, sock = bring_to_state(dut, "SYN-RECEIVED", timestamps=False)
        assert "Timestamp" in options_of(peer.segments[0]["TCP"])  # the DUT's own SYN offered them
        assert "Timestamp" not in options_of(peer.segments[-1]["TCP"]), peer.describe(peer.segments[-1]["TCP"])


@pytest.mark.parametrize("negotiated", [True, False], ids=["ts", "no-ts"])
@pytest.mark.requirement("RFC7323:TS-3", "RFC7323:TS-9")
@pytest.mark.linux_deviation(
    "RFC 9293 3.10.5 (ABORT sends <SEQ=SND.NXT><CTL=RST>): the kernel's RST carries ACK (ack = RCV.NXT), "
    "so the RFC 7323 3.2 rule for a segment without ACK (TSecr 0) is not what it follows")
def test_reset_carries_timestamps(dut, negotiated):
    """
    Purpose: on a connection that negotiated timestamps the DUT's RST carries the Timestamps option too;
        the RST has no ACK bit, so its TSecr is zero. Without negotiation the RST has no options.
    Setup: passive ESTABLISHED, with or without timestamps; the peer sent 10 bytes (read).
    Procedure: 50 ms later the application aborts the connection.
    Judgement: exactly one segment: RST (flags exactly R) at SND.NXT; with timestamps its Timestamp option
        has TSval = the DUT's TSval of its last ACK + 50 (+-10, its 1 ms clock) and TSecr 0; without, no
        Timestamps option.
    Reference: RFC 7323 3.2 ("the TSopt ... SHOULD be sent in an <RST> segment"; TSecr zero when the ACK bit
        is not set).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", passive=True, timestamps=negotiated)
    peer.send("PA", b"0123456789")
    ack = peer.expect("A", timeout_ms=600)
    assert sock.read() == b"0123456789"
    dut.advance(50)
    sock.abort()
    rst = peer.expect("R", timeout_ms=10)
    assert rst.seq == peer.rcv_nxt
    if negotiated:
        tsval, tsecr = options_of(rst)["Timestamp"]
        assert tsecr == 0, options_of(rst)
        assert abs((tsval - options_of(ack)["Timestamp"][0]) % MOD - 50) <= 10, (tsval, options_of(ack))
    else:
        assert "Timestamp" not in options_of(rst), options_of(rst)
    peer.expect_silence(300)


def ts_established(dut):
    return bring_to_state(dut, "ESTABLISHED", passive=True, timestamps=True)


@pytest.mark.parametrize("case", ["simultaneous-syn", "passive-syn", "rst"])
@pytest.mark.requirement("RFC7323:TS-10")
def test_tsecr_without_ack_ignored(dut, case):
    """
    Purpose: the TSecr of a segment without the ACK bit (a SYN, a RST) is not used: it yields no RTT sample.
    Setup / Procedure per case:
        simultaneous-syn: connect(); the DUT's SYN shows its timestamp clock (TSval V0); the peer's SYN
            (no ACK) crosses it with TSecr V0 - 5000 (a plausible but false echo); the DUT answers SYN-ACK
            (TSval V1); 120 ms later the peer's ACK echoes V1.
        passive-syn: the peer's SYN to a listener carries TSecr 0x00001000 (garbage); the DUT's SYN-ACK
            has TSval V1; 120 ms later the peer's ACK echoes V1.
        rst: passive ESTABLISHED with timestamps and an RTT estimate; the peer sends a RST without ACK at
            RCV.NXT + 1 (in window, not exact) whose TSecr is the DUT's TSval of 3 s ago.
    Judgement: SYN cases: the connection is ESTABLISHED with srtt 120 ms and rttvar 60 ms exactly: the
        first and only sample is the ACK's echo (RFC 6298 2.2: SRTT = R, RTTVAR = R/2); a sample from the
        SYN's TSecr would have come first and changed both. rst: a challenge ACK; srtt, rttvar and RTO are
        unchanged.
    Reference: RFC 7323 3.2 ("The TSecr field is valid if the ACK bit is set in the TCP header ... When the
        ACK bit is not set, the receiver MUST ignore the value of the TSecr field"), 4.1.
    """
    if case == "rst":
        peer, sock = ts_established(dut)
        assert sock.write(b"x" * 100) == 100
        data = peer.expect("PA", timeout_ms=100)
        old = options_of(data)["Timestamp"][0]
        dut.advance(200)
        peer.send("A")
        before = sock.info
        dut.advance(2800)
        peer.send("R", seq=seq_add(peer.snd_nxt, 1), ack=0, track=False, options=ts_options(peer.ts_val(), old))
        challenge = peer.expect("A", timeout_ms=100)
        assert challenge.ack == peer.snd_nxt and challenge.seq == peer.rcv_nxt
        after = sock.info
        assert (after["srtt_ms"], after["rttvar_ms"], after["rto_ms"]) == \
            (before["srtt_ms"], before["rttvar_ms"], before["rto_ms"]), (before, after)
        assert sock.state == "ESTABLISHED"
        return
    peer = TcpPeer(dut, dport=None if case == "simultaneous-syn" else DUT_PORT, timestamps=True)
    if case == "simultaneous-syn":
        sock = dut.tcp_socket()
        sock.connect(dut.peer_addr, PEER_PORT)
        v0 = options_of(peer.expect_syn())["Timestamp"][0]
        false_echo = v0 - 5000
    else:
        listener = listening(dut)
        false_echo = 0x1000
    peer.snd_nxt = peer.iss
    peer.send("S", options=[("MSS", 1460), ("NOP", None), ("NOP", None),
                            ("Timestamp", (peer.ts_val(), false_echo % MOD))])
    synack = peer.expect("SA")
    v1 = options_of(synack)["Timestamp"][0]
    dut.advance(120)
    peer.send("A", options=ts_options(peer.ts_val(), v1))
    if case == "passive-syn":
        sock = listener.accept()
        assert sock is not None
    assert sock.state == "ESTABLISHED"
    info = sock.info
    assert (info["srtt_ms"], info["rttvar_ms"]) == (120, 60), info


@pytest.mark.requirement("RFC7323:TS-13", "RFC7323:TS-12")
def test_timestamp_clock_rate_and_monotonicity(dut):
    """
    Purpose: the DUT's timestamp clock is monotonic and ticks between once per millisecond and once per
        second, over short and very long intervals, so that its wrap time exceeds the MSL and it ticks well
        before 2^31 bytes can be sent.
    Setup: passive ESTABLISHED with timestamps.
    Procedure: the application writes one byte after pauses of 1, 1, 10, 999, 60 000 ms, 1 hour and
        23 days (the peer acknowledging each byte at once); then a byte the peer does not acknowledge, which
        is retransmitted after the RTO.
    Judgement: every TSval is after the previous one in 32-bit modular order (difference in [0, 2^31)); for
        each pause of e ms the TSval grew by at least floor(e / 1000) and at most e (1 ms to 1 s per tick);
        over the 23 days the rate gives a wrap time of 2^32 ticks > 2 x the configured MSL; the
        retransmission carries a TSval later than the original by the RTO (+-10 ms x rate).
    Reference: RFC 7323 5.4 (timestamp clock: "not too slow" - it must tick at least once per 2^31 bytes
        sent; "not too fast" - its recycling time must exceed the MSL; 1 ms to 1 s per tick), 3.2.
    """
    peer, sock = ts_established(dut)
    msl = picotcp.config()["tcp_msl_ms"]
    samples = []  # (virtual ms, TSval)
    for pause in (0, 1, 1, 10, 999, 60_000, 3_600_000, 23 * DAY_MS):
        if pause > 60_000:
            jump(dut, pause)
        else:
            dut.advance(pause)
        at = dut.now_ms
        assert sock.write(b"t") == 1
        seg = peer.expect("PA", timeout_ms=10)
        samples.append((at, options_of(seg)["Timestamp"][0]))
        peer.send("A")
    for (t0, v0), (t1, v1) in zip(samples, samples[1:]):
        elapsed = t1 - t0
        delta = (v1 - v0) % MOD
        assert delta < 1 << 31, f"TSval went backwards: {v0} -> {v1}"
        assert elapsed // 1000 <= delta <= elapsed, (elapsed, delta)
    (t0, v0), (t1, v1) = samples[-2], samples[-1]
    ticks_per_ms = ((v1 - v0) % MOD) / (t1 - t0)
    assert (1 << 32) / ticks_per_ms > 2 * msl
    assert sock.write(b"r") == 1
    original = peer.expect("PA", timeout_ms=10)
    rto = sock.info["rto_ms"]
    again = peer.expect("PA", timeout_ms=rto + 100)
    assert again.seq == original.seq
    grown = (options_of(again)["Timestamp"][0] - options_of(original)["Timestamp"][0]) % MOD
    assert abs(grown - rto * ticks_per_ms) <= 10 * ticks_per_ms, (grown, rto)


@pytest.mark.requirement("RFC7323:PAWS-4", "RFC7323:PAWS-1")
def test_paws_ts_recent_invalid_after_24_idle_days(dut):
    """
    Purpose: after more than 24 days without a TS.Recent update, TS.Recent is no longer valid: a segment
        whose TSval is "older" (the peer's clock may have wrapped its sign bit meanwhile) is accepted, and
        its TSval becomes TS.Recent. Before 24 days the same segment is still rejected by PAWS.
    Setup: passive ESTABLISHED with timestamps; the peer sends 10 bytes with TSval T (TS.Recent = T).
    Procedure: 24 days minus 1 minute after that segment, the peer sends 10 bytes at RCV.NXT with TSval
        T + 2^31 + 1000 (modulo 2^32: before T); 2 minutes later (24 days + 1 minute after the update) the
        same segment again.
    Judgement: the first is rejected: an immediate ACK with ack = RCV.NXT (not covering it), TSecr T, tcp
        PawsRejected +1, nothing to read; the second is accepted: ACK covering the 10 bytes with TSecr =
        T + 2^31 + 1000, PawsRejected still +1, the application reads the 10 bytes.
    Reference: RFC 7323 5.5 (outdated timestamps: "if ... the connection has been idle for more than
        24 days ... TS.Recent is invalid ... the segment is accepted, regardless of the failure of the
        timestamp check, and rule R3 updates TS.Recent"), 5.3 (R1).
    """
    peer, sock = ts_established(dut)
    updated_at = dut.now_ms
    peer.send("PA", b"first-part")
    peer.expect("A", timeout_ms=600)
    assert sock.read() == b"first-part"
    recent = peer.last_tsval
    wrapped = (recent + (1 << 31) + 1000) % MOD
    dut.rebase()
    start = peer.snd_nxt
    jump(dut, updated_at + 24 * DAY_MS - 60_000 - dut.now_ms)
    peer.send("PA", b"late-bytes", track=False, options=ts_options(wrapped, peer.ts_recent))
    ack = peer.expect("A", timeout_ms=10)
    assert ack.ack == start and options_of(ack)["Timestamp"][1] == recent, peer.describe(ack)
    dut.assert_dropped("tcp", "PawsRejected", 1)
    assert sock.read() is None
    jump(dut, 120_000)
    peer.send("PA", b"late-bytes", options=ts_options(wrapped, peer.ts_recent))
    ack = peer.expect("A", timeout_ms=600)
    assert ack.ack == peer.snd_nxt and options_of(ack)["Timestamp"][1] == wrapped, peer.describe(ack)
    dut.assert_dropped("tcp", "PawsRejected", 1)
    assert sock.read() == b"late-bytes"


def rfc6298(samples):
    """SRTT and RTTVAR after the samples (RFC 6298 2.2, 2.3; alpha 1/8, beta 1/4), in real numbers."""
    srtt = rttvar = None
    for r in samples:
        if srtt is None:
            srtt, rttvar = r, r / 2
        else:
            rttvar = 0.75 * rttvar + 0.25 * abs(srtt - r)
            srtt = 0.875 * srtt + 0.125 * r
    return srtt, rttvar


@pytest.mark.requirement("RFC7323:RTTM-1")
def test_rtt_sampled_only_from_acks_advancing_snd_una(dut):
    """
    Purpose: an echoed timestamp gives an RTT sample only when the segment acknowledges new data (advances
        SND.UNA); duplicate ACKs and data segments that acknowledge nothing new do not update the estimate.
    Setup: passive ESTABLISHED with timestamps (the handshake ACK echoes the SYN-ACK at once: sample 0 ms).
    Procedure: the DUT sends 100 bytes (TSval V1), acknowledged 200 ms later echoing V1 (sample 200 ms);
        the DUT sends 100 more (TSval V2); 50 ms later the peer sends a duplicate ACK echoing V1 and then
        10 bytes of data whose ACK field is SND.UNA, also echoing V1; 50 ms later it acknowledges the 100
        bytes echoing V2 (sample 100 ms).
    Judgement: after the duplicate ACK and the data segment, srtt, rttvar and RTO are exactly what they were
        (a sample of 250 ms would change them); after the last ACK they match RFC 6298 over the samples
        [0, 200, 100] (srtt 34.4, rttvar 56.3 ms; the DUT keeps whole milliseconds: +-1).
    Reference: RFC 7323 4.1 (RTTM: TSecr of an ACK; the rule that only ACKs advancing the left edge are
        used), 4.2; RFC 6298 2.
    """
    peer, sock = ts_established(dut)
    assert sock.write(bytes(100)) == 100
    v1 = options_of(peer.expect("PA", timeout_ms=10))["Timestamp"][0]
    dut.advance(200)
    peer.send("A", options=ts_options(peer.ts_val(), v1))
    before = sock.info
    assert sock.write(bytes(100)) == 100
    v2 = options_of(peer.expect("PA", timeout_ms=10))["Timestamp"][0]
    una = seq_add(peer.rcv_nxt, -100)
    dut.advance(50)
    peer.send("A", ack=una, options=ts_options(peer.ts_val(), v1))
    peer.send("PA", b"0123456789", ack=una, options=ts_options(peer.ts_val(), v1))
    during = sock.info
    assert during["snd_una"] == una
    assert (during["srtt_ms"], during["rttvar_ms"], during["rto_ms"]) == \
        (before["srtt_ms"], before["rttvar_ms"], before["rto_ms"]), (before, during)
    dut.advance(50)
    peer.send("A", options=ts_options(peer.ts_val(), v2))
    after = sock.info
    srtt, rttvar = rfc6298([0, 200, 100])
    assert abs(after["srtt_ms"] - srtt) <= 1 and abs(after["rttvar_ms"] - rttvar) <= 1, (after, srtt, rttvar)
    assert sock.read() == b"0123456789"
