"""Congestion control (RFC 5681, RFC 6582 NewReno, on connections without SACK): the initial window and what
the handshake does to it, slow start, congestion avoidance, the loss window after a timeout and ssthresh on
repeated timeouts, the duplicate-ACK definition, limited transmit, fast retransmit / fast recovery with its
exact window arithmetic (ssthresh, inflation, partial and full ACKs, recover), the restart window after idle,
the receiver's one-ACK-per-segment rule, and a lossy bulk transfer in which the DUT is never more aggressive
than the algorithms allow.

Every scenario reads the DUT's variables through sock.info (cwnd, ssthresh, flight_size, duplicate_acks,
in_recovery, rto_ms) and counts what it puts on the wire after each ACK the peer gives it. The peer
announces MSS 1000 and no options but MSS, so SMSS = 1000 bytes and the initial window is 4 * SMSS = 4000
(RFC 5681 eqn. 3, SMSS <= 1095). Data offsets below are relative to the DUT's ISS + 1.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest

from harness.tcp_peer import (TcpPeer, bring_to_state, connect_with_lost_syn, default_send_mss, payload_of, seq_add,
                              seq_diff)

SMSS = 1000
IW = 4 * SMSS  # RFC 5681 eqn. 3 for SMSS <= 1095
HUGE = 0xFFFFFFFF  # the initial ssthresh ("arbitrarily high")
TOLERANCE_MS = 20  # the harness polls every 10 ms


# ---- helpers ------------------------------------------------------------------------------------------------

def established(dut, mss=SMSS, **kw):
    """An ESTABLISHED connection the DUT opened, without SACK, timestamps or window scaling."""
    peer, sock = bring_to_state(dut, "ESTABLISHED", mss=mss, sack=False, timestamps=False, **kw)
    info = sock.info
    assert info["send_mss"] == mss and not info["sack_ok"] and not info["ts_ok"], info
    return peer, sock


def off(peer, seq):
    """A DUT sequence number as a data offset (0 = the first data byte, ISS + 1)."""
    return seq_diff(seq, seq_add(peer.dut_isn, 1))


def ack_at(peer, offset):
    return seq_add(peer.dut_isn, 1 + offset)


def data_segments(peer, timeout_ms=0):
    """[(offset, length)] of the data segments the DUT sent (within timeout_ms); pure ACKs are ignored."""
    return [(off(peer, s.seq), len(payload_of(s))) for s in peer.collect(timeout_ms) if payload_of(s)]


def give_ack(peer, offset, **kw):
    """The peer acknowledges up to `offset`; returns the data segments the DUT sent at once in answer."""
    peer.send("A", ack=ack_at(peer, offset), track=False, **kw)
    return data_segments(peer)


def segs(*starts, length=SMSS):
    return [(start, length) for start in starts]


def check_not_aggressive(sock, sent, before):
    """RFC 5681 3 / 3.1: new data leaves only while it fits within cwnd (plus the two limited-transmit
    segments of RFC 3042 while one or two duplicate ACKs are counted) and the peer's window."""
    info = sock.info
    new = [(o, n) for o, n in sent if o + n > before["snd_max_off"]]
    if not new:
        return info
    highest = max(o + n for o, n in new)
    una = before["una_off_after"]
    allowance = 2 * SMSS if info["duplicate_acks"] in (1, 2) and not info["in_recovery"] else 0
    assert highest - una <= info["cwnd"] + allowance, (sent, info)
    assert highest - una <= info["snd_wnd"], (sent, info)
    return info


def open_window_to_8(peer, sock):
    """From a fresh connection: the DUT writes 16 384 bytes, sends its IW (4 segments), the peer acknowledges
    them one by one (slow start: each ACK of 1000 bytes adds 1000 to cwnd and lets two segments go), and the
    application tops the send buffer up with 4000 more bytes (20 384 in all). Afterwards: SND.UNA = 4000,
    SND.MAX = 12 000, cwnd = 8000, the segments [4000, 12 000) in flight. Returns the virtual time of the last
    ACK (when the retransmission timer was last restarted)."""
    assert sock.write(bytes(i % 251 for i in range(16_384))) == 16_384
    assert data_segments(peer, 20) == segs(0, 1000, 2000, 3000)
    for k in range(1, 5):
        last_ack = peer.dut.now_ms
        sent = give_ack(peer, k * SMSS)
        assert sent == segs(2000 + 2000 * k, 3000 + 2000 * k), (k, sent)
        assert sock.info["cwnd"] == IW + k * SMSS
    assert sock.write(bytes(4000)) == 4000
    assert data_segments(peer, 20) == []  # cwnd is full
    info = sock.info
    assert (info["cwnd"], info["ssthresh"], info["flight_size"]) == (8000, HUGE, 8000), info
    return last_ack


# ---- the initial window -----------------------------------------------------------------------------------

@pytest.mark.parametrize("opener", ["active", "passive"])
@pytest.mark.requirement("RFC5681:R3.1-syn-no-growth", "RFC5681:R3.1-ssthresh-init", "RFC5681:R3.1-iw")
def test_handshake_does_not_grow_the_window(dut, opener):
    """
    Purpose: neither the SYN-ACK (active open) nor the ACK of the SYN-ACK (passive open) counts as an ACK of
        new data for congestion control: the window after the handshake is exactly the initial window, and
        ssthresh starts arbitrarily high.
    Setup: peer MSS 1000 (SMSS 1000, IW 4000), no SACK/timestamps; the DUT connects (active) or accepts from a
        listener (passive); the handshake has no loss.
    Procedure: right after the handshake read sock.info; the DUT writes 16 384 bytes; collect 50 ms.
    Judgement: cwnd = 4000 and ssthresh = 2^32 - 1 before any data; exactly four 1000-byte segments are sent
        (offsets 0..3000) and nothing else (a window grown by the SYN exchange would let a fifth go).
    Reference: RFC 5681 3.1 ("The SYN/ACK and the acknowledgment of the SYN/ACK MUST NOT increase the size of
        the congestion window"; initial ssthresh arbitrarily high; IW by eqn. 3).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", passive=opener == "passive", mss=SMSS, sack=False)
    info = sock.info
    assert (info["cwnd"], info["ssthresh"]) == (IW, HUGE), info
    assert sock.write(bytes(16_384)) == 16_384
    assert data_segments(peer, 50) == segs(0, 1000, 2000, 3000)
    assert sock.info["cwnd"] == IW


@pytest.mark.parametrize("lost", ["syn", "syn-ack", "syn-ack-repeated-syn"])
@pytest.mark.requirement("RFC5681:R3.1-iw-syn-lost", "RFC6298:R5.7")
def test_initial_window_is_one_segment_after_handshake_loss(dut, lost):
    """
    Purpose: when the SYN or the SYN-ACK had to be retransmitted, the DUT starts sending with a window of one
        segment; when that retransmission was the timer's, its RTO is 3 s when data transmission begins.
    Setup: peer MSS 1000 (IW would be 4000). syn: the DUT connects and its first SYN goes unanswered; the
        peer answers the retransmitted SYN at once. syn-ack: the peer opens to a DUT listener, ignores the
        first SYN-ACK and acknowledges the one the DUT's timer resends 1 s later. syn-ack-repeated-syn: the
        peer ignores the first SYN-ACK and repeats its SYN 500 ms later (before the DUT's timer); the DUT
        answers it with its SYN-ACK again, which the peer acknowledges.
    Procedure: read sock.info; the DUT writes 16 384 bytes; collect 50 ms; the peer acknowledges the segment
        and collects again.
    Judgement: cwnd = 1000 (one SMSS, not the IW of 4000) after the handshake; rto_ms = 3000 where the timer
        expired during the handshake (syn, syn-ack), 1000 otherwise (no timer expiry, and Karn's rule takes
        no sample from the repeated SYN-ACK); exactly one 1000-byte segment (offset 0) is sent; after its ACK
        (slow start: cwnd 2000) exactly two more (offsets 1000, 2000).
    Reference: RFC 5681 3.1 ("If the SYN or SYN/ACK is lost, the initial window used by a sender after a
        correctly transmitted SYN MUST be one segment consisting of at most SMSS bytes"); RFC 6298 5.7, 3.
    """
    if lost == "syn":
        peer = TcpPeer(dut, dport=None, mss=SMSS)
        sock = connect_with_lost_syn(dut, peer)
    else:
        listener = dut.tcp_socket()
        listener.bind(dut.wildcard, 8080)
        listener.listen(4)
        peer = TcpPeer(dut, dport=8080, mss=SMSS)
        peer.send_syn()
        first = peer.expect_syn_ack()
        if lost == "syn-ack":
            t = dut.now_ms
            again = peer.expect("SA", timeout_ms=1100)
            assert again.seq == first.seq and 1000 <= dut.now_ms - t <= 1000 + (TOLERANCE_MS + dut.time_tolerance_ms)
        else:
            dut.advance(500)
            peer.send_syn()
            again = peer.expect_syn_ack(timeout_ms=0)
            assert again.seq == first.seq
        peer.send("A")
        sock = listener.accept()
        assert sock is not None and sock.state == "ESTABLISHED"
    assert sock.info["rto_ms"] == (1000 if lost == "syn-ack-repeated-syn" else 3000), sock.info
    info = sock.info
    assert info["cwnd"] == SMSS, info
    assert sock.write(bytes(16_384)) == 16_384
    assert data_segments(peer, 50) == segs(0)
    assert give_ack(peer, 1000) == segs(1000, 2000)
    assert sock.info["cwnd"] == 2 * SMSS


# ---- slow start, fast retransmit and fast recovery ------------------------------------------------------------

def state_of(sock):
    info = sock.info
    return info["cwnd"], info["ssthresh"], info["duplicate_acks"], info["in_recovery"]


@pytest.mark.requirement("RFC5681:R3.2-fast-retransmit", "RFC5681:R3.2-limited-transmit", "RFC5681:R3.2-lt-cwnd",
                         "RFC5681:R3.2-ssthresh", "RFC5681:R3.2-retransmit", "RFC5681:R3.2-inflate",
                         "RFC5681:R3.2-new-data", "RFC5681:R3.2-deflate", "RFC5681:R3.1-slow-start",
                         "RFC5681:R3-ss-ca", "RFC5681:R3.1-send-limit", "RFC5681:R4.3-advanced",
                         "RFC6582:R3.2-1", "RFC6582:R3.2-2", "RFC6582:R3.2-3", "RFC3042:R2-1", "RFC3042:R2-2")
def test_fast_retransmit_and_recovery_arithmetic(dut):
    """
    Purpose: one lost segment is recovered by fast retransmit / fast recovery with the exact window arithmetic
        of RFC 5681 3.2 and RFC 6582 (full ACK), limited transmit (RFC 3042) sending one new segment on each
        of the first two duplicate ACKs without changing cwnd and without counting in ssthresh.
    Setup: ESTABLISHED, SMSS 1000, no SACK. open_window_to_8: slow start from IW 4000 to cwnd 8000 (each of
        four ACKs of 1000 bytes sends two segments); in flight [4000, 12 000); 20 384 bytes written.
    Procedure: the segment at 4000 is "lost"; the peer sends one duplicate ACK (ack 4000) for each later
        segment it gets: 5000..11 000, then the limited-transmit segments 12 000 and 13 000; then the
        retransmission arrives and the peer acknowledges everything below the segments sent during recovery
        (ack 14 000 = recover, a full ACK); then the three segments sent during recovery, one ACK each.
    Judgement (after each ACK, the segments sent at once and sock.info):
        dup 1 -> [12000] (limited transmit), cwnd 8000, ssthresh unchanged, dupacks 1;
        dup 2 -> [13000], cwnd 8000;
        dup 3 -> only the retransmission of [4000, 5000); ssthresh = max(FlightSize/2, 2 SMSS) with FlightSize
                 = 8000, the 2000 bytes of limited transmit left out -> 4000 (5000 would count them);
                 cwnd = ssthresh + 3 SMSS = 7000; in_recovery;
        dups 4..6 -> nothing (cwnd 8000, 9000, 10 000 against 10 000 in flight);
        dups 7..9 -> one new segment each (14 000, 15 000, 16 000): cwnd 11 000, 12 000, 13 000 (+1 SMSS each);
        full ACK 14 000 -> cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) = min(4000, 3000 + 1000) = 4000
                 = ssthresh (deflated), recovery over, one new segment (17 000);
        then congestion avoidance (cwnd = ssthresh): ACKs of 15 000, 16 000, 17 000 each send one segment and
                 cwnd stays 4000; the fourth ACK (18 000) completes 4000 bytes and cwnd becomes 5000 (two
                 segments). (The application writes 10 000 more bytes after the full ACK.)
        At every step new data stays within SND.UNA + min(cwnd (+2 SMSS of limited transmit), window).
    Reference: RFC 5681 2 (duplicate ACK), 3.1, 3.2 steps 1-6, 4.3; RFC 3042 2; RFC 6582 3.2 steps 1-3
        (recover initialised to the ISS: the first loss may start a fast retransmit).
    """
    peer, sock = established(dut)
    open_window_to_8(peer, sock)
    una = 4000

    def step(ack_off, expected, cwnd, ssthresh, dupacks, recovery):
        before = {"snd_max_off": off(peer, sock.info["snd_max"]), "una_off_after": ack_off}
        sent = give_ack(peer, ack_off)
        assert sent == expected, (ack_off, sent, sock.info)
        check_not_aggressive(sock, sent, before)
        assert state_of(sock) == (cwnd, ssthresh, dupacks, recovery), (ack_off, sock.info)

    step(una, segs(12000), 8000, HUGE, 1, False)    # dup 1 (segment 5000 arrived): limited transmit
    step(una, segs(13000), 8000, HUGE, 2, False)    # dup 2 (6000)
    step(una, segs(4000), 7000, 4000, 3, True)      # dup 3 (7000): fast retransmit
    assert sock.info["retransmissions"] == 1
    step(una, [], 8000, 4000, 4, True)              # dup 4 (8000)
    step(una, [], 9000, 4000, 5, True)              # dup 5 (9000)
    step(una, [], 10000, 4000, 6, True)             # dup 6 (10 000)
    step(una, segs(14000), 11000, 4000, 7, True)    # dup 7 (11 000)
    step(una, segs(15000), 12000, 4000, 8, True)    # dup 8 (12 000, limited transmit)
    step(una, segs(16000), 13000, 4000, 9, True)    # dup 9 (13 000, limited transmit)
    step(14000, segs(17000), 4000, 4000, 0, False)  # the retransmission arrived: full ACK
    assert sock.write(bytes(10_000)) == 10_000      # room freed by the full ACK: 30 384 bytes in all
    assert data_segments(peer) == []                # cwnd 4000 is full
    step(15000, segs(18000), 4000, 4000, 0, False)  # congestion avoidance
    step(16000, segs(19000), 4000, 4000, 0, False)
    step(17000, segs(20000), 4000, 4000, 0, False)
    step(18000, segs(21000, 22000), 5000, 4000, 0, False)  # 4000 bytes acknowledged at cwnd 4000: +1 SMSS
    assert sock.info["retransmissions"] == 1


@pytest.mark.requirement("RFC6582:R3.2-4", "RFC6582:R3.2-5", "RFC6582:R3.2-6", "RFC6582:R3.2-2",
                         "RFC5681:R4.3-advanced", "RFC5681:R3.1-loss-window", "RFC6298:R5.3")
def test_newreno_partial_ack_then_timeout(dut):
    """
    Purpose: two segments lost from one window: the partial ACK of NewReno retransmits the next hole at once,
        deflates cwnd by the bytes acknowledged (adding one SMSS back), sends new data if cwnd allows, stays in
        fast recovery and restarts the retransmission timer; when the timer then expires, fast recovery ends
        and recover becomes the highest sequence number sent, so later duplicate ACKs that do not cover more
        than recover start no fast retransmit, while those after it do.
    Setup: ESTABLISHED, SMSS 1000, no SACK, RTO 1000 (handshake and data RTTs of 0). open_window_to_8 at t0:
        [4000, 12 000) in flight, cwnd 8000.
    Procedure: at t0+300 the peer sends duplicate ACKs (ack 4000) for 5000, 6000, 8000 .. 13 000 (4000 and
        7000 are lost). At t0+600 the retransmission of 4000 arrives: ACK 7000 (partial). Nothing more
        arrives; the peer watches until t0+1700. Then the retransmitted 7000 arrives but 14 000 was lost too:
        ACK 14 000; the application writes 10 000 more bytes; three duplicate ACKs of 14 000 follow. Then
        ACKs 17 000 and 18 000, and three duplicate ACKs of 18 000.
    Judgement:
        third duplicate -> retransmission of 4000; ssthresh 4000, cwnd 7000, recover = 14 000 (SND.MAX);
        the two last duplicates -> new segments 14 000 and 15 000 (cwnd 11 000, 12 000);
        partial ACK 7000 (3000 bytes) -> at once the retransmission of [7000, 8000) and one new segment
            (16 000); cwnd = 12 000 - 3000 + 1000 = 10 000; still in recovery, ssthresh 4000;
        the timer, restarted by that partial ACK, expires at t0+1600 (+-20), not at t0+1000: exactly one
            segment, [7000, 8000), is retransmitted then; afterwards cwnd 1000 (loss window), fast recovery
            over, ssthresh no more than max(FlightSize/2, 2 SMSS) = 10 000 / 2 = 5000 and not above the 4000
            the fast retransmit set (a timeout is no reason to be more aggressive): 4000;
        ACK 14 000 -> slow start (cwnd 2000) resends [14 000, 16 000) (go-back-N);
        three duplicates of 14 000 (below recover = 17 000) -> no retransmission of 14 000, ssthresh 4000,
            not in recovery, and cwnd unchanged (limited transmit may send two segments from SND.NXT);
        ACK 17 000 (cwnd 3000) and 18 000 (cwnd 4000), then three duplicates of 18 000 (> recover) -> limited
            transmit twice, then the fast retransmit of [18 000, 19 000), ssthresh = max(4000/2, 2000) = 2000,
            cwnd 5000.
    Reference: RFC 6582 3.2 steps 2-5 (partial ACK, timer reset on the first one), step 4 (timeouts);
        RFC 5681 3.1 (loss window), 4.3; RFC 6298 5.3 (timer restarted by an ACK of new data).
    """
    peer, sock = established(dut)
    open_window_to_8(peer, sock)
    assert sock.info["rto_ms"] == 1000
    t0 = dut.now_ms
    dut.advance(300)
    assert give_ack(peer, 4000) == segs(12000)
    assert give_ack(peer, 4000) == segs(13000)
    assert give_ack(peer, 4000) == segs(4000)
    assert state_of(sock) == (7000, 4000, 3, True)
    for cwnd in (8000, 9000, 10000):
        assert give_ack(peer, 4000) == []
    assert give_ack(peer, 4000) == segs(14000)
    assert give_ack(peer, 4000) == segs(15000)
    assert state_of(sock) == (12000, 4000, 8, True)
    dut.advance(300)
    # Partial ACK: the next hole at once, then one new segment.
    assert give_ack(peer, 7000) == segs(7000, 16000)
    assert state_of(sock) == (10000, 4000, 0, True)
    t_partial = dut.now_ms
    seen = peer.watch(t0 + 1700 - dut.now_ms)
    assert [(off(peer, s.seq), len(payload_of(s))) for _, s in seen] == segs(7000), seen
    fired = seen[0][0]
    assert t_partial + 1000 <= fired <= t_partial + 1000 + (TOLERANCE_MS + dut.time_tolerance_ms), (fired - t0, t_partial - t0)
    info = sock.info
    assert (info["cwnd"], info["ssthresh"], info["in_recovery"]) == (1000, 4000, False), info
    # Go-back-N after the timeout.
    assert give_ack(peer, 14000) == segs(14000, 15000)
    assert sock.info["cwnd"] == 2000
    assert sock.write(bytes(10_000)) == 10_000
    before = sock.info["retransmissions"]
    sent = []
    for _ in range(3):
        sent += give_ack(peer, 14000)
    info = sock.info
    assert (14000, SMSS) not in sent, sent  # no fast retransmit below recover
    assert (info["cwnd"], info["ssthresh"], info["in_recovery"], info["duplicate_acks"]) == (2000, 4000, False, 3)
    assert all(o >= 16000 for o, _ in sent) and len(sent) <= 2, sent
    assert sock.info["retransmissions"] - before == len([o for o, _ in sent if o < 17000])
    # Past recover: fast retransmit again.
    assert give_ack(peer, 17000) != []
    assert give_ack(peer, 18000) != []
    assert sock.info["cwnd"] == 4000
    snd_max = off(peer, sock.info["snd_max"])
    assert give_ack(peer, 18000) == segs(snd_max)
    assert give_ack(peer, 18000) == segs(snd_max + 1000)
    assert give_ack(peer, 18000) == segs(18000)
    ssthresh = max((snd_max - 18000) // 2, 2000)
    assert state_of(sock) == (ssthresh + 3000, ssthresh, 3, True)


@pytest.mark.requirement("RFC5681:R2-dupack", "RFC5681:R3.2-fast-retransmit")
def test_what_counts_as_a_duplicate_ack(dut):
    """
    Purpose: only ACKs that meet every condition of the RFC 5681 definition count as duplicates: outstanding
        data, no data, SYN and FIN clear, SEG.ACK = SND.UNA (the highest acknowledgment received) and the same
        window as the previous ACK. Others neither advance the count nor send limited-transmit data.
    Setup: ESTABLISHED, SMSS 1000, no SACK, peer window 65 535.
    Procedure: (a) nothing outstanding: three pure ACKs of SND.UNA. Then open_window_to_8 ([4000, 12 000) in
        flight), and with ACK number 4000 unless said: (b) three ACKs of 3000 (older than SND.UNA);
        (c) three segments carrying 10 bytes of data each; (d) three pure ACKs each with a different window
        (60 000, 50 000, 40 000); (e) one FIN; then (f) three pure ACKs with window 40 000 (the same as the
        previous ACK).
    Judgement: after (a)-(e) duplicate_acks is 0, no data segment is sent (only ACKs for the peer's data and
        FIN) and cwnd/ssthresh are unchanged (8000, 2^32-1); (f) counts 1, 2, 3: limited transmit sends
        [12 000] and [13 000], the third makes the fast retransmit of [4000, 5000) with ssthresh 4000.
    Reference: RFC 5681 section 2 (DUPLICATE ACKNOWLEDGMENT), 3.2.
    """
    peer, sock = established(dut)
    for _ in range(3):  # (a)
        assert give_ack(peer, 0) == []
        assert sock.info["duplicate_acks"] == 0
    open_window_to_8(peer, sock)
    for _ in range(3):  # (b)
        assert give_ack(peer, 3000) == []
        assert state_of(sock) == (8000, HUGE, 0, False)
    for _ in range(3):  # (c)
        peer.send("PA", b"x" * 10, ack=ack_at(peer, 4000))
        assert data_segments(peer) == []
        assert state_of(sock) == (8000, HUGE, 0, False)
    assert data_segments(peer, 300) == []  # the delayed ACK of the data carries nothing new
    for window in (60000, 50000, 40000):  # (d)
        assert give_ack(peer, 4000, window=window) == []
        assert state_of(sock) == (8000, HUGE, 0, False)
    peer.send("FA", ack=ack_at(peer, 4000), window=40000)  # (e)
    assert data_segments(peer) == []
    assert sock.state == "CLOSE-WAIT"
    assert state_of(sock) == (8000, HUGE, 0, False)
    assert give_ack(peer, 4000, window=40000) == segs(12000)  # (f)
    assert state_of(sock) == (8000, HUGE, 1, False)
    assert give_ack(peer, 4000, window=40000) == segs(13000)
    assert state_of(sock) == (8000, HUGE, 2, False)
    assert give_ack(peer, 4000, window=40000) == segs(4000)
    assert state_of(sock) == (7000, 4000, 3, True)


@pytest.mark.parametrize("case", ["same-segment", "go-back-n"])
@pytest.mark.requirement("RFC5681:R3.1-ssthresh-rto-again", "RFC5681:R3.1-ssthresh-rto", "RFC5681:R3.1-loss-window",
                         "RFC6298:R5.5", "RFC6298:R5.6")
def test_ssthresh_not_reduced_again_by_a_repeated_timeout(dut, case):
    """
    Purpose: the first retransmission timeout sets ssthresh = max(FlightSize/2, 2 SMSS) and cwnd to one
        segment; when the timer then expires again for data already sent again by way of the timer, ssthresh
        is held (not halved once more from a window that the timeout already collapsed).
    Setup: ESTABLISHED, SMSS 1000, no SACK, RTO 1000. open_window_to_8 at t0: [4000, 12 000) in flight
        (FlightSize 8000), cwnd 8000.
    Procedure: same-segment: the peer stays silent; the DUT retransmits [4000, 5000) at t0+1000 and again at
        t0+3000 (RTO doubled to 2 s). go-back-n: after the first timeout the peer acknowledges the
        retransmission at once (ACK 5000: slow start to cwnd 2000, the DUT resends [5000, 7000)); those are
        lost, and the timer expires again 2 s later (the backed-off RTO, restarted by the ACK) for 5000, a
        segment the timer's recovery already resent. Finally (both cases) the peer acknowledges all 12 000
        bytes that were outstanding at the timeout, the data flows on, and one more segment is lost to the
        timer.
    Judgement: after the first timeout: exactly [4000, 5000) resent, cwnd 1000, ssthresh 4000. After the
        second: exactly one segment resent ([4000, 5000) or [5000, 6000)), cwnd 1000, ssthresh still 4000
        (a sender computing FlightSize from cwnd or SND.NXT would get 2000; one halving the 7000 bytes still
        outstanding in go-back-n, 3500). After everything outstanding at the timeout has been acknowledged, a
        new timeout halves again: ssthresh = max(FlightSize/2, 2 SMSS) of that moment.
    Reference: RFC 5681 3.1 (eqn. 4, "ssthresh ... MUST be set to no more than ... when the given segment has
        not yet been resent by way of the retransmission timer"; implementation note: held constant when the
        same segment is retransmitted multiple times by the timer; loss window); RFC 6298 5.5, 5.6.
    """
    peer, sock = established(dut)
    t0 = open_window_to_8(peer, sock)
    first = peer.watch(1100, stop=lambda s: True)
    assert [(off(peer, s.seq), len(payload_of(s))) for _, s in first] == segs(4000)
    assert 1000 <= first[0][0] - t0 <= 1000 + (TOLERANCE_MS + dut.time_tolerance_ms)
    assert (sock.info["cwnd"], sock.info["ssthresh"], sock.info["rto_ms"]) == (1000, 4000, 2000)
    if case == "same-segment":
        again_seq = 4000
        expect_at = t0 + 3000
    else:
        assert give_ack(peer, 5000) == segs(5000, 6000)
        assert sock.info["cwnd"] == 2000
        again_seq = 5000
        expect_at = dut.now_ms + 2000
    second = peer.watch(expect_at + 100 - dut.now_ms, stop=lambda s: True)
    assert [(off(peer, s.seq), len(payload_of(s))) for _, s in second] == segs(again_seq), second
    assert abs(second[0][0] - expect_at) <= (TOLERANCE_MS + dut.time_tolerance_ms)
    info = sock.info
    assert (info["cwnd"], info["ssthresh"]) == (1000, 4000), info
    # The timeout's recovery ends once everything outstanding at the timeout is acknowledged.
    assert give_ack(peer, 12000) != []
    info = sock.info
    assert info["cwnd"] == 2000 and info["ssthresh"] == 4000, info
    flight = info["flight_size"]
    seen = peer.watch(info["rto_ms"] + 100, stop=lambda s: True)
    assert seen and off(peer, seen[0][1].seq) == 12000
    assert (sock.info["cwnd"], sock.info["ssthresh"]) == (1000, max(flight // 2, 2000))


# ---- congestion avoidance and restart ------------------------------------------------------------------------

def recover_single_loss(peer, sock):
    """open_window_to_8, then the fast recovery of test_fast_retransmit_and_recovery_arithmetic up to its full
    ACK; the application then writes 10 000 more bytes. Afterwards SND.UNA 14 000, SND.MAX 18 000, cwnd =
    ssthresh = 4000 (congestion avoidance), 30 384 bytes written."""
    open_window_to_8(peer, sock)
    for _ in range(9):
        give_ack(peer, 4000)
    assert give_ack(peer, 14000) == segs(17000)
    assert sock.write(bytes(10_000)) == 10_000
    info = sock.info
    assert (info["cwnd"], info["ssthresh"], info["in_recovery"], info["flight_size"]) == (4000, 4000, False, 4000)


@pytest.mark.requirement("RFC5681:R3.1-ca-limit", "RFC5681:R3.1-ca-growth", "RFC5681:R3-ss-ca",
                         "RFC5681:R3.1-send-limit")
def test_congestion_avoidance_one_smss_per_round_trip_with_split_acks(dut):
    """
    Purpose: in congestion avoidance cwnd grows by one SMSS per round trip (per cwnd of data acknowledged)
        and never more, even when the receiver splits its acknowledgments (an ACK every 500 bytes, twice the
        ACKs of a normal receiver: a sender growing per ACK would gain 2 SMSS per round trip).
    Setup: ESTABLISHED, SMSS 1000, no SACK; recover_single_loss: cwnd = ssthresh = 4000, SND.UNA 14 000,
        4000 bytes in flight.
    Procedure: the peer acknowledges 500 bytes at a time, 30 ACKs (14 500 .. 29 000), acknowledging only data
        the DUT sent; the application keeps the send buffer full.
    Judgement: cwnd stays 4000 until 4000 bytes are acknowledged (ACK 18 000) and becomes 5000 exactly then;
        stays 5000 until 5000 more (ACK 23 000) -> 6000; stays 6000 until 6000 more (ACK 29 000) -> 7000: one
        SMSS per cwnd of acknowledged data, never more. After every ACK the DUT's data in flight is at most
        cwnd (and within the peer's window) and more than cwnd - SMSS (it uses the window it has).
    Reference: RFC 5681 3.1 ("cwnd MUST NOT be increased by more than SMSS bytes" per RTT in congestion
        avoidance; byte counting as in RFC 3465 recommended).
    """
    peer, sock = established(dut)
    recover_single_loss(peer, sock)
    growth = {18000: 5000, 23000: 6000, 29000: 7000}
    cwnd = 4000
    for ack in range(14500, 29001, 500):
        before = {"snd_max_off": off(peer, sock.info["snd_max"]), "una_off_after": ack}
        assert off(peer, sock.info["snd_max"]) >= ack, "the peer only acknowledges data it was sent"
        sent = give_ack(peer, ack)
        cwnd = growth.get(ack, cwnd)
        info = check_not_aggressive(sock, sent, before)
        assert info["cwnd"] == cwnd and info["ssthresh"] == 4000, (ack, info)
        assert cwnd - SMSS < info["flight_size"] <= cwnd, (ack, info)
        sock.write(bytes(16_384))
        extra = data_segments(peer)
        assert not extra, f"a write sent {extra} though cwnd was full"


@pytest.mark.requirement("RFC5681:R4.1-restart", "RFC5681:R3.1-iw")
def test_restart_window_after_idle_longer_than_rto(dut):
    """
    Purpose: a connection that sent nothing for longer than one RTO restarts from the restart window
        RW = min(IW, cwnd); after a shorter pause it keeps its cwnd.
    Setup: ESTABLISHED, SMSS 1000, no SACK, RTO 1000, peer window 65 535.
    Procedure: the DUT writes 16 384 bytes, the peer acknowledges every data segment as it arrives (slow
        start) until all are acknowledged; after 500 ms of idleness the DUT writes 16 384 bytes again (the
        first burst is collected, then all is acknowledged the same way); then after 1500 ms of idleness it
        writes 16 384 bytes once more.
    Judgement: after 500 ms the first burst is all that cwnd allows (cwnd as read before the write, > IW),
        min(cwnd, 16 384) bytes in full segments (the short tail waits for Nagle);
        after 1500 ms (> RTO) exactly 4 segments (IW = 4000) are sent and cwnd reads 4000.
    Reference: RFC 5681 4.1 ("TCP SHOULD set cwnd to no more than RW before beginning transmission if the TCP
        has not sent data in an interval exceeding the retransmission timeout").
    """
    peer, sock = established(dut)

    def transfer():
        assert sock.write(bytes(16_384)) == 16_384
        first = data_segments(peer)
        pending = list(first)
        for _ in range(100):
            if not pending:
                break
            o, n = pending.pop(0)
            pending += give_ack(peer, o + n)
        assert sock.info["flight_size"] == 0 and off(peer, sock.info["snd_una"]) % 16_384 == 0
        return first

    transfer()
    cwnd = sock.info["cwnd"]
    assert cwnd > IW
    dut.advance(500)
    burst = transfer()
    # All of it that fits in cwnd, in full segments (Nagle holds the 384-byte tail while data is in flight).
    assert [n for _, n in burst] == [SMSS] * (min(cwnd, 16_384) // SMSS), (cwnd, burst)
    assert sock.info["rto_ms"] == 1000
    dut.advance(1500)
    assert sock.write(bytes(16_384)) == 16_384
    burst = data_segments(peer)
    assert [n for _, n in burst] == [SMSS] * 4, burst
    assert sock.info["cwnd"] == IW


# ---- the receiver ---------------------------------------------------------------------------------------------

@pytest.mark.requirement("RFC5681:R4.2-one-ack", "RFC5681:R4.2-every-second", "RFC5681:R4.2-ooo-immediate",
                         "RFC6582:R5-1")
def test_at_most_one_ack_per_segment(dut):
    """
    Purpose: the DUT, receiving, never sends more than one ACK for one arriving segment (the application does
        not read, so there are no window updates): delayed ACKs, every-second-segment ACKs, immediate ACKs
        for out-of-order and hole-filling segments, ACKs of unacceptable segments.
    Setup: ESTABLISHED (the DUT opened), the application never reads; the peer sends 1000-byte segments
        (D0, D1, ... at offsets 0, 1000, ... of its stream). Over IPv6 the segments are 1220 bytes (and the
        offsets below scale with them): a receiver that has not seen a larger segment yet takes the default
        MSS as "full-sized", 536 over IPv4 but 1220 over IPv6 (RFC 9293 3.7.1; RFC 8200 8.3), so 1000-byte
        segments are not full-sized there.
    Procedure and expected ACKs (the DUT's segments are counted after each arrival, then for 300 ms where
        said): D0 -> 0 at once; D1 right after -> 1 (second full segment), then 0 in 300 ms (the delayed ACK
        was cancelled); D2 -> 0 at once, 1 within 300 ms (delayed); D4 (out of order) -> 1 (duplicate
        ACK of 3000); D5 -> 1 (duplicate); D2 again (old) -> 1; a pure ACK -> 0; D3 (fills the hole)
        -> 1 (ACK of 6000); a segment far beyond the window -> 1; D6, D7, D8, D9 at one instant -> 2 (every
        second segment), then 0 in 300 ms.
    Judgement: the counts above exactly; never 2 ACKs after one segment; every ACK a pure ACK.
    Reference: RFC 5681 4.2 ("an ACK ... MUST NOT be generated more than once per incoming segment, except
        window updates"; ACK at least every second full-sized segment; out-of-order segments acknowledged
        at once); RFC 6582 5; RFC 9293 3.8.6.3.
    """
    peer, sock = established(dut)
    base = peer.snd_nxt
    size = default_send_mss(dut) if dut.v6 else 1000

    def acks(timeout_ms=0):
        got = peer.collect(timeout_ms)
        assert all(not payload_of(s) and s.flags == "A" for s in got), [peer.describe(s) for s in got]
        return len(got)

    def data(i, track=True):
        peer.send("PA", bytes([i]) * size, seq=seq_add(base, size * i), track=track)

    data(0)
    assert acks() == 0
    data(1)
    assert acks() == 1
    assert acks(300) == 0
    data(2)
    assert acks() == 0
    assert acks(300) == 1
    data(4, track=False)
    assert acks() == 1
    data(5, track=False)
    assert acks() == 1
    data(2, track=False)
    assert acks() == 1
    peer.send("A", seq=seq_add(base, 3 * size), track=False)
    assert acks() == 0
    data(3, track=False)
    got = peer.collect(0)
    assert len(got) == 1 and got[0].ack == seq_add(base, 6 * size), [peer.describe(s) for s in got]
    peer.send("PA", b"z" * 100, seq=seq_add(base, 1_000_000), track=False)
    assert acks() == 1
    for i in range(6, 10):
        data(i, track=False)
    assert acks() == 2
    assert acks(300) == 0
    assert len(sock.read(100_000) or b"") == 10 * size


# ---- a lossy bulk transfer ------------------------------------------------------------------------------------

@pytest.mark.requirement("RFC5681:R3-not-aggressive", "RFC5681:R3.1-send-limit", "RFC5681:R3-ss-ca")
def test_never_more_aggressive_than_the_algorithms_in_a_lossy_transfer(dut):
    """
    Purpose: through a long transfer with scattered and clustered losses (fast retransmits, partial ACKs,
        timeouts), the DUT never puts new data on the network beyond what RFC 5681 allows: SND.UNA +
        min(cwnd, rwnd), plus the two limited-transmit segments (RFC 3042) while one or two duplicate ACKs are
        counted; and the stream still arrives intact.
    Setup: ESTABLISHED, SMSS 1000, no SACK, peer window 65 535.
    Procedure: the application writes a 120 000-byte pattern (as the send buffer allows). The peer is a
        receiver behind a lossy path: each round (50 ms of virtual time) it takes what the DUT sent, drops
        transmissions by a fixed pseudo-random pattern (about 7 % plus bursts of two), and acknowledges each
        delivered segment at once (cumulative ACK; duplicates for out-of-order data).
    Judgement: after every ACK, write and timer event: if data beyond the previous SND.MAX was sent, then
        SND.MAX - SND.UNA <= cwnd (+ 2 SMSS with one or two duplicate ACKs outside recovery) and <= the peer's
        window; cwnd grew by at most one SMSS, except on entering fast recovery where cwnd = ssthresh +
        3 SMSS; whenever ssthresh changed, it became no more than max(FlightSize/2, 2 SMSS) (eqn. 4, with
        the FlightSize before the event); the peer receives exactly the 120 000 bytes in order; fast
        retransmits and timeouts both happened (the scenario exercises recovery).
    Reference: RFC 5681 3 ("MUST NOT be more aggressive"), 3.1 (send limit), 3.2; RFC 3042; RFC 6582.
    """
    import random

    peer, sock = established(dut)
    total = 120_000
    pattern = bytes((i * 7 + i // 1000) % 256 for i in range(total))
    written = 0
    rng = random.Random(5681)
    received = bytearray()
    out_of_order = {}  # offset -> bytes
    transmissions = 0
    saw_recovery = saw_timeout = False

    def snapshot():
        info = sock.info
        return {"snd_max_off": off(peer, info["snd_max"]), "una_off_after": off(peer, info["snd_una"])}

    def checked(action):
        nonlocal saw_recovery
        old = sock.info
        before = snapshot()
        action()
        sent = data_segments(peer)
        before["una_off_after"] = off(peer, sock.info["snd_una"])
        info = check_not_aggressive(sock, sent, before)
        # The window itself never grows faster than the algorithms let it: by at most one SMSS per event,
        # except on entering fast recovery (cwnd = ssthresh + 3 SMSS); a new ssthresh is never above eqn. 4.
        if info["ssthresh"] != old["ssthresh"]:
            assert info["ssthresh"] <= max(old["flight_size"] // 2, 2 * SMSS), (old, info)
        if info["in_recovery"] and not old["in_recovery"]:
            assert info["cwnd"] == info["ssthresh"] + 3 * SMSS, (old, info)
        else:
            assert info["cwnd"] <= old["cwnd"] + SMSS, (old, info)
        saw_recovery |= info["in_recovery"]
        return sent

    def write_more():
        nonlocal written
        if written < total:
            written += sock.write(pattern[written:written + 16_384])

    queue = checked(write_more)
    burst = 0
    for _ in range(2000):
        if len(received) >= total:
            break
        arriving, queue = queue, []
        for o, n in arriving:
            transmissions += 1
            if burst > 0 or rng.random() < 0.07:
                burst = burst - 1 if burst > 0 else rng.choice([0, 0, 1])
                continue
            if o <= len(received) < o + n:
                received += pattern[len(received):o + n]
                while len(received) in out_of_order:
                    received += out_of_order.pop(len(received))
            elif o > len(received):
                out_of_order[o] = pattern[o:o + n]
            ack = len(received)
            queue += checked(lambda: peer.send("A", ack=ack_at(peer, ack), track=False))
            queue += checked(write_more)
        before_rtx = sock.info["retransmissions"]
        queue += checked(lambda: dut.advance(50))
        if sock.info["retransmissions"] > before_rtx and not arriving:
            saw_timeout = True
    assert bytes(received) == pattern
    assert saw_recovery and saw_timeout and transmissions > total // SMSS


# ---- limited transmit with SACK -------------------------------------------------------------------------------

@pytest.mark.requirement("RFC5681:R3.2-lt-sack", "RFC5681:R3.2-limited-transmit", "RFC3042:R2-3", "RFC3042:R2-1")
def test_limited_transmit_with_sack_needs_new_sack_information(dut):
    """
    Purpose: on a connection using SACK, a duplicate ACK that carries no new SACK information releases no new
        data; one that SACKs data not SACKed before releases one segment (limited transmit).
    Setup: ESTABLISHED with SACK permitted both ways, SMSS 1000, no timestamps; open_window_to_8: [4000,
        12 000) in flight, cwnd 8000.
    Procedure: with ACK number 4000 (the segment at 4000 lost): (1) a duplicate ACK without SACK option; (2) one
        with SACK block [5000, 6000); (3) the same block again; (4) one without SACK option; (5) [5000, 7000).
    Judgement: (1) nothing; (2) exactly one new segment [12 000]; (3) and (4) nothing; (5) exactly one new
        segment [13 000]; cwnd stays 8000 and the connection is not in recovery throughout.
    Reference: RFC 5681 3.2 ("a TCP using SACK ... MUST NOT send new data in response to a duplicate ACK that
        does not contain new SACK information"; limited transmit); RFC 3042 2; RFC 6675 2 (DupAck), 5 (3).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", mss=SMSS, sack=True, timestamps=False)
    assert sock.info["sack_ok"] and sock.info["send_mss"] == SMSS
    open_window_to_8(peer, sock)

    def dup(*blocks):
        options = [("NOP", None), ("NOP", None), ("SAck", tuple(v for left, right in blocks
                                                            for v in (ack_at(peer, left), ack_at(peer, right))))]
        sent = give_ack(peer, 4000, options=options if blocks else [])
        info = sock.info
        assert (info["cwnd"], info["in_recovery"], info["sack_recovery"]) == (8000, False, False), info
        return sent

    assert dup() == []
    assert dup((5000, 6000)) == segs(12000)
    assert dup((5000, 6000)) == []
    assert dup() == []
    assert dup((5000, 7000)) == segs(13000)
