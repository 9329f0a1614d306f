"""Closing connections (RFC 9293 3.6, 3.6.1, 3.10.4, 3.10.5, 3.10.7.4 eighth step): active close, passive
close, simultaneous close, TIME-WAIT for 2 MSL and its restart on a retransmitted FIN, half-closed
connections, close with unread data, abort.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest

import picotcp
from harness.tcp_peer import bring_to_state, payload_of, seq_add

MSL_MS = picotcp.config().get("tcp_msl_ms", 30_000)
TWO_MSL = 2 * MSL_MS


def established(dut, **kw):
    return bring_to_state(dut, "ESTABLISHED", **kw)


@pytest.mark.requirement("RFC9293:MUST-13")
def test_active_close(dut):
    """
    Purpose: the DUT closes first: FIN-WAIT-1, FIN-WAIT-2 (while the peer still sends), TIME-WAIT, CLOSED.
    Setup: ESTABLISHED (the DUT opened actively).
    Procedure: shutdown("write"); the peer ACKs the FIN; the peer sends 5 bytes; the peer sends its FIN;
        virtual time runs 2 MSL.
    Judgement: FIN+ACK with seq = ISS+1 and ack = RCV.NXT, state FIN-WAIT-1; after the ACK FIN-WAIT-2 with
        nothing sent; the 5 bytes are acknowledged and readable (half-close); the peer's FIN is
        acknowledged (ack = its seq + 1), state TIME-WAIT, PeerClosed reported and read() gives b"" (end of
        stream); CLOSED after 2 MSL.
    Reference: RFC 9293 3.6 (Figure 12, case 1), 3.6.1, 3.10.4, 3.10.7.4.
    """
    peer, sock = established(dut)
    sock.shutdown("write")
    fin = peer.expect("FA", timeout_ms=100)
    assert fin.seq == seq_add(peer.dut_isn, 1) and fin.ack == peer.snd_nxt and not payload_of(fin)
    assert sock.state == "FIN-WAIT-1"
    peer.send("A")
    peer.expect_silence(200)
    assert sock.state == "FIN-WAIT-2"
    peer.send("PA", b"still")
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"still"
    peer.send("FA")
    ack = peer.expect("A", timeout_ms=500)
    assert ack.ack == peer.snd_nxt and ack.seq == peer.rcv_nxt
    assert sock.state == "TIME-WAIT"
    assert ("PeerClosed", "Ok") in sock.events
    assert sock.read() == b""
    dut.advance(TWO_MSL + 100)
    assert sock.state == "CLOSED"


def test_passive_close(dut):
    """
    Purpose: the peer closes first: CLOSE-WAIT (the DUT may still send), LAST-ACK, CLOSED.
    Setup: ESTABLISHED.
    Procedure: the peer sends FIN; the DUT writes 6 bytes; the peer ACKs them; shutdown("write"); the peer
        ACKs the DUT's FIN.
    Judgement: the FIN is acknowledged at once (ack = its seq + 1); state CLOSE-WAIT; PeerClosed reported;
        read() returns b"" and eof is true; the 6 bytes are sent and arrive; the DUT's FIN has seq = SND.NXT;
        state LAST-ACK; after the ACK, CLOSED with nothing more sent.
    Reference: RFC 9293 3.6 (Figure 12), 3.6.1, 3.10.7.4 (eighth step: ESTABLISHED -> CLOSE-WAIT; LAST-ACK).
    """
    peer, sock = established(dut)
    peer.send("FA")
    ack = peer.expect("A", timeout_ms=500)
    assert ack.ack == peer.snd_nxt
    assert sock.state == "CLOSE-WAIT"
    assert sock.events[-1] == ("PeerClosed", "Ok")
    assert sock.read() == b"" and sock.eof
    assert sock.write(b"answer") == 6
    data = peer.expect("PA", timeout_ms=200)
    assert payload_of(data) == b"answer"
    peer.send("A")
    sock.shutdown("write")
    fin = peer.expect("FA", timeout_ms=200)
    assert fin.seq == seq_add(peer.dut_isn, 7)
    assert sock.state == "LAST-ACK"
    peer.send("A")
    peer.expect_silence(300)
    assert sock.state == "CLOSED"


@pytest.mark.requirement("RFC9293:MUST-13")
def test_simultaneous_close(dut):
    """
    Purpose: both ends close at once (RFC 9293 Figure 13): FIN-WAIT-1 -> CLOSING -> TIME-WAIT -> CLOSED.
    Setup: ESTABLISHED.
    Procedure: shutdown("write") (the DUT's FIN is not acknowledged); the peer sends its own FIN, whose ACK
        field does not cover the DUT's FIN; then the peer acknowledges the DUT's FIN.
    Judgement: the peer's FIN is acknowledged (ack = its seq + 1, seq = ISS+2), state CLOSING; after the ACK,
        TIME-WAIT with nothing sent; CLOSED after 2 MSL.
    Reference: RFC 9293 3.6 (Figure 13), 3.10.7.4 (eighth step, FIN-WAIT-1 -> CLOSING; fifth step, CLOSING).
    """
    peer, sock = bring_to_state(dut, "FIN-WAIT-1")
    peer.send("FA", ack=seq_add(peer.rcv_nxt, -1))
    ack = peer.expect("A", timeout_ms=500)
    assert ack.ack == peer.snd_nxt and ack.seq == peer.rcv_nxt
    assert sock.state == "CLOSING"
    peer.send("A")
    peer.expect_silence(200)
    assert sock.state == "TIME-WAIT"
    dut.advance(TWO_MSL + 100)
    assert sock.state == "CLOSED"


@pytest.mark.requirement("RFC9293:MUST-13")
def test_time_wait_lasts_two_msl(dut):
    """
    Purpose: TIME-WAIT lasts 2 MSL (MSL = the build's tcp_msl_ms, 30 s by default: 60 s), then the
        connection is deleted.
    Setup: TIME-WAIT reached by the DUT closing first (harness bring_to_state), at time t0 (the DUT's ACK of
        the peer's FIN).
    Procedure: let time pass to t0 + 2 MSL - 100 ms, read the state; then to t0 + 2 MSL + 100 ms.
    Judgement: TIME-WAIT at t0 + 2 MSL - 100; CLOSED at t0 + 2 MSL + 100; nothing sent meanwhile.
    Reference: RFC 9293 3.3.2 (TIME-WAIT), 3.10.7.4 (eighth step, FIN-WAIT-2), 3.10.8 (time-wait timeout).
    """
    peer, sock = bring_to_state(dut, "TIME-WAIT")
    peer.expect_silence(TWO_MSL - 100)
    assert sock.state == "TIME-WAIT"
    peer.expect_silence(200)
    assert sock.state == "CLOSED"


@pytest.mark.requirement("RFC9293:MUST-13")
def test_time_wait_restarts_on_retransmitted_fin(dut):
    """
    Purpose: a retransmission of the peer's FIN in TIME-WAIT is acknowledged and restarts the 2 MSL timer.
    Setup: TIME-WAIT at t0.
    Procedure: at t0 + MSL the peer retransmits its FIN (seq = its FIN's seq); time runs to t0 + MSL + 2 MSL
        - 100 ms, then 200 ms more.
    Judgement: an ACK <SEQ=SND.NXT><ACK=FIN seq + 1> answers the FIN; state still TIME-WAIT at
        t0 + MSL + 2 MSL - 100 (later than the first 2 MSL would have ended); CLOSED 200 ms later.
    Reference: RFC 9293 3.10.7.4 (eighth step, TIME-WAIT: "Acknowledge it, and restart the 2 MSL timeout").
    """
    peer, sock = bring_to_state(dut, "TIME-WAIT")
    peer.expect_silence(MSL_MS)
    peer.send("FA", seq=seq_add(peer.snd_nxt, -1), track=False)
    ack = peer.expect("A", timeout_ms=100)
    assert ack.ack == peer.snd_nxt and ack.seq == peer.rcv_nxt
    peer.expect_silence(TWO_MSL - 100)
    assert sock.state == "TIME-WAIT"
    peer.expect_silence(200)
    assert sock.state == "CLOSED"


def test_time_wait_reacknowledges_each_retransmitted_fin(dut):
    """
    Purpose: every retransmitted FIN in TIME-WAIT gets its ACK (the first ACK may have been lost).
    Setup: TIME-WAIT.
    Procedure: the peer retransmits its FIN three times, 1 s apart.
    Judgement: three identical ACKs <SEQ=SND.NXT><ACK=FIN seq + 1>, one per FIN, and no other segment.
    Reference: RFC 9293 3.6 (TIME-WAIT purpose), 3.10.7.4 (eighth step).
    """
    peer, sock = bring_to_state(dut, "TIME-WAIT")
    for _ in range(3):
        peer.send("FA", seq=seq_add(peer.snd_nxt, -1), track=False)
        ack = peer.expect("A", timeout_ms=100)
        assert ack.ack == peer.snd_nxt and ack.seq == peer.rcv_nxt
        peer.expect_silence(1000)
    assert sock.state == "TIME-WAIT"


def test_half_closed_peer_still_receives(dut):
    """
    Purpose: after the peer's FIN the DUT keeps sending (a half-closed connection is still a connection).
    Setup: CLOSE-WAIT.
    Procedure: the DUT writes 3000 bytes; the peer acknowledges what arrives until all is in.
    Judgement: all 3000 bytes arrive in order; state stays CLOSE-WAIT; read() keeps returning b"".
    Reference: RFC 9293 3.6.1.
    """
    peer, sock = bring_to_state(dut, "CLOSE-WAIT")
    payload = bytes(i % 249 for i in range(3000))
    assert sock.write(payload) == 3000
    for _ in range(20):
        peer.collect(200)
        peer.send("A")
        if len(peer.received) >= 3000:
            break
    assert bytes(peer.received) == payload
    assert sock.state == "CLOSE-WAIT"
    assert sock.read() == b""


def test_close_sends_queued_data_before_fin(dut):
    """
    Purpose: close() after write() is graceful: every queued byte is sent before the FIN.
    Setup: ESTABLISHED.
    Procedure: the DUT writes 2000 bytes and calls close() at once; the peer acknowledges everything it gets
        until the FIN, then sends its own FIN and acknowledges.
    Judgement: the 2000 bytes arrive in order, then a FIN whose seq = ISS + 1 + 2000; the peer's FIN is
        acknowledged; no RST at any point.
    Reference: RFC 9293 3.10.4 (CLOSE: "queue this until all preceding SENDs have been segmentized, then
        form a FIN segment").
    """
    peer, sock = established(dut)
    payload = bytes(i % 241 for i in range(2000))
    assert sock.write(payload) == 2000
    sock.close()
    fin = None
    for _ in range(30):
        for seg in peer.collect(200):
            assert not seg.flags.R, peer.describe(seg)
            if seg.flags.F:
                fin = seg
        peer.send("A")
        if fin is not None:
            break
    assert bytes(peer.received) == payload
    assert fin is not None and seq_add(fin.seq, len(payload_of(fin))) == seq_add(peer.dut_isn, 2001)
    peer.send("FA")
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt


@pytest.mark.requirement("RFC9293:SHLD-3", "RFC9293:MAY-1")
def test_close_with_unread_data_resets(dut):
    """
    Purpose: closing while received data is still unread loses data, which a RST tells the peer.
    Setup: ESTABLISHED; the peer sent 10 bytes (acknowledged), the application did not read them.
    Procedure: close().
    Judgement: the DUT sends a RST (flags R or R+ACK) with seq = SND.NXT; no FIN.
    Reference: RFC 9293 3.6.1 ("its TCP SHOULD send a RST to show that data was lost"), RFC 1122 4.2.2.13.
    """
    peer, sock = established(dut)
    peer.send("PA", b"0123456789")
    peer.expect("A", timeout_ms=500)
    sock.close()
    rst = peer.expect(predicate=lambda t: t.flags.R, timeout_ms=100)
    assert rst.flags in ("R", "RA"), peer.describe(rst)
    assert rst.seq == peer.rcv_nxt


@pytest.mark.requirement("RFC9293:MUST-12")
def test_abort_sends_reset(dut):
    """
    Purpose: ABORT sends <SEQ=SND.NXT><CTL=RST> and deletes the connection.
    Setup: ESTABLISHED; the DUT wrote 5 bytes, acknowledged.
    Procedure: abort().
    Judgement: one RST with seq = SND.NXT (ISS + 6); nothing after it; the socket reads CLOSED; a later
        segment from the peer on that connection draws RST <SEQ=SEG.ACK> (no connection any more).
    Reference: RFC 9293 3.10.5 (ABORT, ESTABLISHED), 3.10.7.1.
    """
    peer, sock = established(dut)
    assert sock.write(b"hello") == 5
    peer.expect("PA", timeout_ms=200)
    peer.send("A")
    sock.abort()
    rst = peer.expect(predicate=lambda t: t.flags.R, timeout_ms=100)
    assert rst.seq == seq_add(peer.dut_isn, 6)
    peer.expect_silence(300)
    assert sock.state == "CLOSED"
    later = peer.send("PA", b"anyone?", track=False)
    reply = peer.expect("R", timeout_ms=100)
    assert reply.seq == later["TCP"].ack


@pytest.mark.requirement("RFC9293:MUST-12")
def test_linger_zero_close_resets(dut):
    """
    Purpose: with Linger 0, close() aborts: a RST, no FIN.
    Setup: ESTABLISHED; set_option("Linger", 0).
    Procedure: close().
    Judgement: one RST with seq = SND.NXT; no FIN; nothing after it.
    Reference: RFC 9293 3.10.5 (ABORT); socket option Linger (SO_LINGER with 0 timeout).
    """
    peer, sock = established(dut)
    sock.set_option("Linger", 0)
    sock.close()
    rst = peer.expect(predicate=lambda t: t.flags.R, timeout_ms=100)
    assert not rst.flags.F
    assert rst.seq == peer.rcv_nxt
    peer.expect_silence(300)


def test_fin_wait_2_keeps_receiving_until_peer_fin(dut):
    """
    Purpose: in FIN-WAIT-2 the DUT keeps receiving for as long as the peer sends (the application did not
        close the socket, it only shut down sending).
    Setup: FIN-WAIT-2.
    Procedure: the peer sends 10 segments of 100 bytes, one every 10 s of virtual time.
    Judgement: each is acknowledged and readable; state stays FIN-WAIT-2 throughout.
    Reference: RFC 9293 3.6.1, 3.10.7.4 (seventh step, FIN-WAIT-2).
    """
    peer, sock = bring_to_state(dut, "FIN-WAIT-2")
    for i in range(10):
        peer.send("PA", bytes([i]) * 100)
        assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
        assert sock.read() == bytes([i]) * 100
        peer.expect_silence(10_000)
        assert sock.state == "FIN-WAIT-2"
