"""The retransmission timer (RFC 6298): the estimator's gains and clock granularity, one RTT sample per round
trip, the variance floor G, never retransmitting a segment earlier than one RTO after its previous
transmission (timer started, restarted on new ACKs, backed off and stopped as section 5 recommends), and the
3-second RTO after a SYN timeout (rule 5.7). The DUT's estimator is read through sock.info (srtt_ms,
rttvar_ms, rto_ms) as well as observed on the wire. Connections have no timestamps (RTT samples come from
timed segments) and no SACK; the peer's MSS is 1000.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest

from harness.tcp_peer import TcpPeer, bring_to_state, connect_with_lost_syn, payload_of, seq_add, seq_diff

TOLERANCE_MS = 20  # the harness polls every 10 ms
SMSS = 1000


def off(peer, seq):
    return seq_diff(seq, seq_add(peer.dut_isn, 1))


def ack_at(peer, offset):
    return seq_add(peer.dut_isn, 1 + offset)


class Rfc6298:
    """RFC 6298 2.2-2.4 in exact arithmetic: alpha 1/8, beta 1/4, K 4, G 1 ms, minimum 1 s."""

    def __init__(self):
        self.srtt = self.rttvar = None

    def sample(self, r):
        if self.srtt is None:
            self.srtt, self.rttvar = r, r / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - r)  # with the old SRTT
            self.srtt = 0.875 * self.srtt + 0.125 * r

    @property
    def rto(self):
        return max(1000.0, self.srtt + max(1, 4 * self.rttvar))


def assert_estimator(sock, model, what):
    """sock.info agrees with the model: the DUT keeps whole milliseconds (each value within 1 ms; the RTO
    within 2 ms, as SRTT + 4 RTTVAR adds two rounded terms)."""
    info = sock.info
    assert abs(info["srtt_ms"] - model.srtt) <= 1, (what, info, model.srtt)
    assert abs(info["rttvar_ms"] - model.rttvar) <= 1, (what, info, model.rttvar)
    assert abs(info["rto_ms"] - model.rto) <= 2, (what, info, model.rto)


def passive_open(dut, ack_delay_ms=0, lose_syn_ack=False):
    """The peer opens to a DUT listener; it acknowledges the SYN-ACK ack_delay_ms after it came (or, with
    lose_syn_ack, ignores the first SYN-ACK and acknowledges the retransmission at once)."""
    listener = dut.tcp_socket()
    listener.bind(dut.wildcard, 8080)
    listener.listen(4)
    peer = TcpPeer(dut, dport=8080, mss=SMSS)
    peer.send_syn()
    first = peer.expect_syn_ack()
    if lose_syn_ack:
        t = dut.now_ms
        again = peer.expect("SA", timeout_ms=1100)
        assert again.seq == first.seq and 1000 <= dut.now_ms - t <= 1000 + (TOLERANCE_MS + dut.time_tolerance_ms)
    else:
        dut.advance(ack_delay_ms)
    peer.send("A")
    sock = listener.accept()
    assert sock is not None and sock.state == "ESTABLISHED"
    return peer, sock


def one_segment_round(peer, sock, rtt_ms, size=100):
    """The DUT writes `size` bytes (sent at once, as nothing is outstanding); the peer acknowledges them
    rtt_ms later. Returns the segment."""
    assert sock.write(bytes(size)) == size
    seg = peer.expect("PA", timeout_ms=0)
    dut = peer.dut
    dut.advance(rtt_ms)
    peer.send("A")
    assert [s for s in peer.collect(0) if payload_of(s)] == []
    return seg


@pytest.mark.requirement("RFC6298:R2.3-gains", "RFC6298:R4-fine-clock", "RFC6298:R2.2", "RFC6298:R2.3")
def test_estimator_gains_and_millisecond_clock(dut):
    """
    Purpose: the estimator uses alpha = 1/8 and beta = 1/4 and a clock fine enough to resolve an RTT of 213 ms
        (granularity well under 100 ms).
    Setup: the peer opens to a DUT listener and acknowledges the SYN-ACK 400 ms after it came (first sample).
    Procedure: three rounds: the DUT writes 100 bytes, the peer acknowledges after 800 ms, 213 ms and 1234 ms;
        sock.info is read after each; then the DUT writes 100 bytes that are never acknowledged.
    Judgement: SRTT/RTTVAR/RTO agree with RFC 6298 in exact arithmetic within the DUT's whole milliseconds:
        400/200/1200 after the handshake, 450/250/1450, then 420.4/246.75/1407.4 (a 100 ms clock would have
        measured 200 or 300 instead of 213), then 522.1/363.1/1974.4; the last segment is retransmitted
        rto_ms (+-20) after it was sent.
    Reference: RFC 6298 2.2, 2.3 (gains 1/8 and 1/4, RTTVAR from the old SRTT), 4 (granularity <= 100 ms).
    """
    peer, sock = passive_open(dut, ack_delay_ms=400)
    model = Rfc6298()
    model.sample(400)
    assert_estimator(sock, model, "handshake")
    for rtt in (800, 213, 1234):
        one_segment_round(peer, sock, rtt)
        model.sample(rtt)
        assert_estimator(sock, model, rtt)
    rto = sock.info["rto_ms"]
    assert sock.write(b"z" * 100) == 100
    peer.expect("PA", timeout_ms=0)
    t = dut.now_ms
    seen = peer.watch(rto + 100, stop=lambda s: True)
    assert seen and rto <= seen[0][0] - t <= rto + (TOLERANCE_MS + dut.time_tolerance_ms), (rto, seen)


@pytest.mark.requirement("RFC6298:R4-min-g", "RFC6298:R2.3", "RFC6298:R3-karn")
def test_rto_is_srtt_plus_g_when_the_variance_vanishes(dut):
    """
    Purpose: when K * RTTVAR comes down to zero (a perfectly steady RTT), the variance term is the clock
        granularity G (1 ms here), so RTO = SRTT + G, never SRTT alone.
    Setup: the peer opens to a DUT listener, ignores the first SYN-ACK and acknowledges the retransmitted one
        (Karn: no sample from the handshake; the estimator starts with the first data sample).
    Procedure: 30 rounds: the DUT writes 100 bytes, the peer acknowledges exactly 1500 ms later. Then the DUT
        writes 100 bytes that are never acknowledged.
    Judgement: after the first round SRTT 1500, RTTVAR 750, RTO 4500; after every round RTO >= SRTT + 1 ms;
        after the 30th (RTTVAR = 750 * 0.75^29 < 0.2 ms, so 4 RTTVAR < G): srtt_ms 1500, rttvar_ms 0 and rto_ms
        exactly 1501; the last segment is retransmitted 1501 ms (+-20) after it was sent.
    Reference: RFC 6298 2.3, 4 ("if the K*RTTVAR term in the RTO calculation equals zero, the variance term
        MUST be rounded to G seconds": RTO = SRTT + max(G, K*RTTVAR)).
    """
    peer, sock = passive_open(dut, lose_syn_ack=True)
    assert sock.info["srtt_ms"] == 0  # no sample yet
    one_segment_round(peer, sock, 1500)
    info = sock.info
    assert (info["srtt_ms"], info["rttvar_ms"], info["rto_ms"]) == (1500, 750, 4500), info
    for _ in range(29):
        one_segment_round(peer, sock, 1500)
        info = sock.info
        assert info["rto_ms"] >= info["srtt_ms"] + 1, info
    assert (info["srtt_ms"], info["rttvar_ms"], info["rto_ms"]) == (1500, 0, 1501), info
    assert sock.write(b"z" * 100) == 100
    peer.expect("PA", timeout_ms=0)
    t = dut.now_ms
    seen = peer.watch(1600, stop=lambda s: True)
    assert seen and 1501 <= seen[0][0] - t <= 1501 + (TOLERANCE_MS + dut.time_tolerance_ms), seen


@pytest.mark.requirement("RFC6298:R3-per-rtt", "RFC6298:R2.3")
def test_one_rtt_sample_every_round_trip(dut):
    """
    Purpose: while data flows continuously (several segments per round trip), the RTT is measured every round
        trip, so the estimate follows a changing path.
    Setup: ESTABLISHED (the DUT opened; handshake RTT 0: SRTT 0, RTTVAR 0), SMSS 1000, no timestamps.
    Procedure: the DUT has a bulk transfer to make (the application keeps its 16 384-byte buffer full). Six
        round trips: the peer takes the whole flight the DUT sent, waits RTT_k (300, 700, 150, 900, 450, 600
        ms: each below the RTO, so nothing is retransmitted) and acknowledges each segment with its own ACK at
        that instant; the DUT's answer is the next flight.
    Judgement: every flight has more than one segment; after round k SRTT and RTTVAR are those of RFC 6298
        after one sample of RTT_k per round (within 1 ms) -- in particular SRTT moves towards RTT_k in every
        round, which a sender measuring less than once per round trip could not do.
    Reference: RFC 6298 3 ("TCP MUST ... take at least one RTT measurement per RTT (unless that is not possible
        per Karn's algorithm)").
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", mss=SMSS, sack=False)
    model = Rfc6298()
    model.sample(0)
    assert_estimator(sock, model, "handshake")
    assert sock.write(bytes(16_384)) == 16_384
    flight = [s for s in peer.collect(0) if payload_of(s)]
    for rtt in (300, 700, 150, 900, 450, 600):
        assert len(flight) > 1, [peer.describe(s) for s in flight]
        previous = sock.info["srtt_ms"]
        dut.advance(rtt)
        assert not [s for s in peer.collect(0) if payload_of(s)], "retransmission before the ACKs"
        following = []
        for seg in flight:
            peer.send("A", ack=seq_add(seg.seq, len(payload_of(seg))), track=False)
            sock.write(bytes(16_384))
            following += [s for s in peer.collect(0) if payload_of(s)]
        model.sample(rtt)
        assert_estimator(sock, model, rtt)
        now = sock.info["srtt_ms"]
        assert (now - previous) * (rtt - previous) > 0, (previous, now, rtt)
        flight = following


@pytest.mark.requirement("RFC6298:R5-not-early", "RFC6298:R5.1", "RFC6298:R5.2", "RFC6298:R5.3", "RFC6298:R5.6",
                         "RFC6298:R5.5")
def test_segment_never_retransmitted_before_one_rto(dut):
    """
    Purpose: the retransmission timer is managed so that no segment is retransmitted less than one RTO after
        its previous transmission: started when data is sent and it is not running (5.1), restarted when an
        ACK acknowledges new data (5.3) -- so a segment sent after the oldest one does not inherit the oldest
        one's deadline --, restarted after a backoff with the doubled RTO (5.6), and stopped when everything is
        acknowledged (5.2).
    Setup: ESTABLISHED, SMSS 1000, no timestamps, RTO 1000 (handshake RTT 0).
    Procedure: the DUT writes 1000 bytes at t0 (segment A), 1000 at t0+300 (B) and 1000 at t0+600 (C); the peer
        acknowledges A at t0+700 and then stays silent until t0+8000, when it acknowledges everything; then
        10 s pass.
    Judgement: A, B, C each sent once at t0, t0+300, t0+600 (full-sized, not held by Nagle); the first
        retransmission is B's, at t0+1700 (RTO 1000 restarted by the ACK at t0+700), not at t0+1000 (when B
        would be only 700 ms old); then B again at t0+3700 (RTO 2000) and t0+7700 (4000), each +-20 ms; C is
        not retransmitted (the loss window is one segment); every retransmission of a segment comes at least
        the RTO in force after its previous transmission; after the final ACK nothing is sent for 10 s.
    Reference: RFC 6298 5 ("a segment is never retransmitted too early, i.e., less than one RTO after the
        previous transmission of that segment"), 5.1-5.6.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", mss=SMSS, sack=False)
    assert sock.info["rto_ms"] == 1000
    t0 = dut.now_ms
    sent_at = {}  # offset -> [times]

    def log(frames):
        for when, seg in frames:
            if payload_of(seg):
                sent_at.setdefault(off(peer, seg.seq), []).append(when - t0)

    for k in range(3):
        assert sock.write(bytes([k]) * 1000) == 1000
        log((dut.now_ms, s) for s in peer.collect(0))
        dut.advance(300 if k < 2 else 100)
    peer.send("A", ack=ack_at(peer, 1000), track=False)
    log(peer.watch(t0 + 8000 - dut.now_ms))
    assert sent_at[0] == [0] and sent_at[2000] == [600], sent_at
    times = sent_at[1000]
    assert times[0] == 300 and len(times) == 4, sent_at
    for expected, got in zip([1700, 3700, 7700], times[1:]):
        assert expected <= got <= expected + (TOLERANCE_MS + dut.time_tolerance_ms), times
    for i, (a, b) in enumerate(zip(times, times[1:])):
        assert b - a >= 1000 * 2 ** i, times  # the RTO in force: 1000, then 2000, 4000 (backed off)
    assert sock.info["rto_ms"] == 8000
    peer.send("A", ack=ack_at(peer, 3000), track=False)
    assert sock.info["flight_size"] == 0
    peer.expect_silence(10_000)


@pytest.mark.parametrize("opener", ["active", "passive"])
@pytest.mark.requirement("RFC6298:R5.7", "RFC6298:R3-karn")
def test_rto_three_seconds_after_syn_timeout(dut, opener):
    """
    Purpose: when the retransmission timer expired during the handshake (RTO 1 s < 3 s), the RTO is 3 s when
        data transmission begins.
    Setup: active: the DUT connects, its first SYN is not answered, the retransmitted SYN is answered at once.
        passive: the peer opens to a DUT listener, ignores the first SYN-ACK and acknowledges the
        retransmitted one at once. Either way the handshake gives no RTT sample (Karn).
    Procedure: read sock.info; the DUT writes 100 bytes that the peer never acknowledges.
    Judgement: rto_ms = 3000 after the handshake; the segment is retransmitted 3000 ms (+-20) after it was
        sent (not after 1000 or 2000 ms).
    Reference: RFC 6298 5.7 ("the RTO MUST be re-initialized to 3 seconds when data transmission begins").
    """
    if opener == "active":
        peer = TcpPeer(dut, dport=None, mss=SMSS)
        sock = connect_with_lost_syn(dut, peer)
    else:
        peer, sock = passive_open(dut, lose_syn_ack=True)
    assert sock.info["rto_ms"] == 3000, sock.info
    assert sock.write(b"d" * 100) == 100
    sent = peer.expect("PA", timeout_ms=0)
    t = dut.now_ms
    seen = peer.watch(3100, stop=lambda s: True)
    assert seen and 3000 <= seen[0][0] - t <= 3000 + (TOLERANCE_MS + dut.time_tolerance_ms), seen
    assert seen[0][1].seq == sent.seq and payload_of(seen[0][1]) == b"d" * 100
