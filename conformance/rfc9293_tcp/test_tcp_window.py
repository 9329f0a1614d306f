"""Window management (RFC 9293 3.8.6; RFC 7323 2; RFC 1122 4.2.2.17, 4.2.3.3-4): zero window and persist
probes (a window may stay closed indefinitely), a shrinking window, silly window syndrome avoidance on
both sides, and window scaling in both directions.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest

from harness.tcp_peer import bring_to_state, payload_of, seq_add, seq_diff


def established(dut, **kw):
    return bring_to_state(dut, "ESTABLISHED", **kw)


def is_probe(peer, tcp, snd_una):
    """A zero-window probe: one byte at SND.UNA (new data beyond the window), or a zero-length segment at
    SND.UNA - 1 (the form many stacks use)."""
    data = payload_of(tcp)
    return (len(data) == 1 and tcp.seq == snd_una) or (not data and tcp.seq == seq_add(snd_una, -1))


@pytest.mark.requirement("RFC9293:MUST-35", "RFC9293:MUST-36", "RFC9293:MUST-37", "RFC9293:SHLD-29",
                         "RFC9293:SHLD-30", "RFC9293:SHLD-17")
def test_zero_window_probed_indefinitely(dut):
    """
    Purpose: facing a zero window, the DUT probes it (first after about one RTO, then backing off) and keeps
        the connection open for as long as the peer answers the probes, however long; when the window opens
        the data flows.
    Setup: ESTABLISHED; the peer's handshake segments advertise window 0.
    Procedure: the DUT writes 100 bytes; for 30 minutes of virtual time the peer answers every probe with an
        ACK of window 0 (acknowledging nothing new); then it opens the window (65535).
    Judgement: no data beyond a probe is sent while the window is 0; the first probe comes 1000 ms (+-50)
        after the write; the intervals between probes grow (non-decreasing, the second at least double the
        first) up to a cap; probes keep coming through the 30 minutes (one in the last 2 minutes at least);
        state ESTABLISHED with no Error event; after the window opens all 100 bytes arrive.
    Reference: RFC 9293 3.8.6.1 (zero-window probing, MUST-35/36/37, SHLD-29/30); RFC 1122 4.2.2.17.
    """
    peer, sock = established(dut, window=0)
    assert peer.dut.now_ms is not None
    t0 = dut.now_ms
    assert sock.write(bytes(range(100))) == 100
    snd_una = seq_add(peer.dut_isn, 1)
    probe_times = []
    end = t0 + 30 * 60_000
    while dut.now_ms < end:
        for when, tcp in peer.watch(min(1000, end - dut.now_ms), step_ms=50):
            assert is_probe(peer, tcp, snd_una), f"not a probe: {peer.describe(tcp)}"
            probe_times.append(when)
            peer.send("A", ack=snd_una, window=0)
    assert probe_times, "no zero-window probe in 30 minutes"
    slack = 50 + dut.time_tolerance_ms
    assert 1000 - slack <= probe_times[0] - t0 <= 1000 + slack, probe_times[0] - t0
    intervals = [b - a for a, b in zip(probe_times, probe_times[1:])]
    assert len(intervals) >= 3, intervals
    assert intervals[0] >= 2 * (probe_times[0] - t0) - 100, intervals
    assert all(b >= a - 60 for a, b in zip(intervals, intervals[1:])), intervals
    assert probe_times[-1] >= end - 120_000, "probing stopped"
    assert sock.state == "ESTABLISHED"
    assert not [e for e in sock.events if e[0] == "Error"]
    peer.send("A", ack=snd_una, window=65535)
    for _ in range(10):
        peer.collect(300)
        peer.send("A")
        if len(peer.received) >= 100:
            break
    assert bytes(peer.received) == bytes(range(100))


@pytest.mark.requirement("RFC9293:MUST-34", "RFC9293:SHLD-16", "RFC9293:SHLD-15")
def test_shrinking_window_tolerated(dut):
    """
    Purpose: the peer moves the right window edge back (shrinks the window); the DUT copes: it sends no new
        data beyond the new edge, keeps the connection, and delivers everything once the window reopens.
    Setup: ESTABLISHED (peer MSS 500, window 4000).
    Procedure: the DUT writes 6000 bytes; the peer takes the first flight without acknowledging it, then sends
        an ACK of the first 500 bytes with window 500 (right edge = first byte + 1000, left of the data
        already sent); after 2 s it acknowledges everything received with window 65535.
    Judgement: after the shrinking ACK no segment starts beyond the new right edge except a retransmission
        of data already sent or a 1-byte probe; no RST, state ESTABLISHED; finally all 6000 bytes arrive in
        order.
    Reference: RFC 9293 3.8.6.2.2 (MUST-34: "robust against window shrinking"), RFC 1122 4.2.2.16.
    """
    peer, sock = established(dut, mss=500, window=4000)
    payload = bytes(i % 256 for i in range(6000))
    assert sock.write(payload) == 6000
    flight = peer.collect(50)
    sent_end = max(seq_add(s.seq, len(payload_of(s))) for s in flight)
    first = seq_add(peer.dut_isn, 1)
    peer.send("A", ack=seq_add(first, 500), window=500)
    right_edge = seq_add(first, 1000)
    for tcp in peer.collect(2000):
        assert not tcp.flags.R
        start = tcp.seq
        if seq_diff(start, right_edge) >= 0 and payload_of(tcp):
            assert seq_diff(start, sent_end) < 0 or len(payload_of(tcp)) == 1, (
                f"new data beyond the shrunken window: {peer.describe(tcp)}")
    assert sock.state == "ESTABLISHED"
    for _ in range(60):
        peer.send("A", window=65535)
        peer.collect(300)
        if len(peer.received) >= 6000:
            break
    assert bytes(peer.received) == payload


@pytest.mark.requirement("RFC9293:MUST-38")
def test_sender_avoids_silly_window(dut):
    """
    Purpose: sender silly window syndrome avoidance: when the peer's window opens by a tiny amount while much
        data is queued, the DUT does not send a tiny segment at once.
    Setup: ESTABLISHED (peer MSS 1460, window 65535 on the handshake, so Max(SND.WND) = 65535).
    Procedure: the peer acknowledges with window 0; the DUT writes 5000 bytes; the peer then advertises a
        window of 10 bytes.
    Judgement: within 90 ms of the 10-byte window nothing but a zero-window probe (at most 1 byte) is sent:
        10 < min(Eff.snd.MSS, Fr * Max(SND.WND)) and the queued data does not fit, so the DUT waits (the
        override timeout is 0.1-1 s).
    Reference: RFC 9293 3.8.6.2.1 (sender's algorithm, MUST-38), RFC 1122 4.2.3.4.
    """
    peer, sock = established(dut)
    peer.send("A", window=0)
    assert sock.write(bytes(5000)) == 5000
    peer.collect(0)
    peer.send("A", window=10)
    for tcp in peer.collect(90):
        assert len(payload_of(tcp)) <= 1, f"silly window segment: {peer.describe(tcp)}"


@pytest.mark.requirement("RFC9293:MUST-39", "RFC9293:MAY-8")
def test_receiver_avoids_silly_window(dut):
    """
    Purpose: receiver SWS avoidance: after its window closed, the DUT does not reopen it by a small amount;
        it announces the window again only once at least min(RCV.BUFF/2, MSS) can be offered.
    Setup: ESTABLISHED (the DUT's MSS 1460); the peer fills the DUT's receive window (advertised 0).
    Procedure: the application reads 100 bytes; 300 ms pass; then it reads 2000 more bytes.
    Judgement: after the 100-byte read, any segment the DUT sends still advertises window 0; after the
        2000-byte read the DUT's next window advertisement (if any within 600 ms; it must come at the latest
        with the next ACK) is at least 1460 bytes. (A DUT whose buffer accounting counts per-segment overhead,
        like Linux, may need more than 2000 bytes read to have an MSS to offer: the application then reads
        everything.)
    Reference: RFC 9293 3.8.6.2.2 (receiver's algorithm, MUST-39), RFC 1122 4.2.3.3.
    """
    peer, sock = established(dut)
    peer.fill_dut_window()
    assert len(sock.read(100)) == 100
    for tcp in peer.collect(300):
        assert tcp.window == 0, f"window reopened by a small amount: {peer.describe(tcp)}"
    if dut.backend == "binding":
        assert len(sock.read(2000)) == 2000
    else:
        while sock.read(65536):
            pass
    updates = peer.collect(600)
    if not updates:
        peer.send("PA", b"x", seq=peer.snd_nxt, track=False)
        updates = peer.collect(600)
    assert updates, "no window information from the DUT"
    assert updates[-1].window >= 1460, peer.describe(updates[-1])


@pytest.mark.requirement("RFC7323:WS-1", "RFC7323:WS-2", "RFC7323:WS-3")
def test_window_scale_applied_both_ways(dut):
    """
    Purpose: with window scaling negotiated, the DUT scales its window field down by its own shift and reads
        the peer's window field scaled up by the peer's shift.
    Setup: listener; the peer's SYN offers WScale 4; the peer's later segments advertise window field 100
        (= 1600 bytes with shift 4).
    Procedure: handshake; the DUT writes 5000 bytes; the peer collects without acknowledging.
    Judgement: the SYN-ACK has WScale s (0..14) and an unscaled window; the DUT's later window fields equal
        its receive space >> s (so field << s <= RCV.BUFF = config tcp_recv_buffer and > RCV.BUFF - 2^s);
        the DUT sends 1500 or 1600 bytes (three 500-byte segments, and the 100-byte rest unless sender SWS
        avoidance holds it) before waiting, not 100.
    Reference: RFC 7323 2.2, 2.3; RFC 9293 3.8.6.
    """
    import picotcp

    buffer = picotcp.config()["tcp_recv_buffer"]
    listener = dut.tcp_socket()
    listener.bind(dut.wildcard, 8080)
    listener.listen(4)
    from harness.tcp_peer import TcpPeer

    peer = TcpPeer(dut, wscale=4, window=100, mss=500)
    peer.send_syn(window=65535)
    synack = peer.expect_syn_ack()
    shift = peer.dut_wscale
    assert shift is not None and 0 <= shift <= 14
    peer.send("A")
    sock = listener.accept()
    assert sock is not None
    assert sock.write(bytes(5000)) == 5000
    data = [s for s in peer.collect(300) if payload_of(s)]
    total = sum(len(payload_of(s)) for s in data)
    assert 1500 <= total <= 1600, [peer.describe(s) for s in data]
    field = data[-1].window
    assert field > 0
    if dut.backend == "binding":  # the window is this stack's receive space (the kernel's is its own)
        assert buffer - (1 << shift) < (field << shift) <= buffer, (field, shift, buffer)
    assert synack.window <= 65535


@pytest.mark.requirement("RFC9293:SHLD-14", "RFC7323:WS-12")
def test_receiver_does_not_shrink_window(dut):
    """
    Purpose: the DUT never moves the right edge of its offered window to the left while its application
        does not read (the window closes by the data received, never faster).
    Setup: ESTABLISHED.
    Procedure: the peer sends 700-byte segments until the DUT offers a zero window, noting every ACK.
    Judgement: for successive ACKs, ack + window (the right edge) never decreases.
    Reference: RFC 9293 3.8.6 (SHLD-14: "the receiver SHOULD NOT shrink the window").
    """
    peer, sock = established(dut)
    edges = []
    for _ in range(100):
        size = min(700, peer.dut_window)
        if size <= 0:
            break
        peer.send("PA", bytes(size))
        ack = peer.expect("A", timeout_ms=600)
        edges.append(seq_add(ack.ack, peer.dut_window))
    assert peer.dut_window == 0
    assert all(seq_diff(b, a) >= 0 for a, b in zip(edges, edges[1:])), edges
