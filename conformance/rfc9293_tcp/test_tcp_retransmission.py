"""Retransmission (RFC 9293 3.8.1, 3.8.3; RFC 6298; RFC 5681 3.2): the initial RTO of 1 s and its doubling
for SYNs and data, Karn's algorithm seen through the RTO, the RTO computed from samples, fast retransmit
after three duplicate ACKs, and giving up (R2) with the application told TimedOut.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest

from scapy.all import ARP, TCP, Ether

from harness.tcp_peer import PEER_PORT, TcpPeer, bring_to_state, payload_of, seq_add

TOLERANCE_MS = 20  # the harness polls every 10 ms


def retransmission_times(peer, duration_ms, step_ms=10, stop=None):
    return peer.watch(duration_ms, step_ms=step_ms, stop=stop)


@pytest.mark.requirement("RFC9293:MUST-19", "RFC9293:MUST-22", "RFC6298:R2.1", "RFC6298:R5.5")
def test_syn_retransmitted_after_one_second_then_doubling(dut):
    """
    Purpose: an unanswered SYN is retransmitted after the initial RTO of 1 s, then after 2 s, 4 s, 8 s
        (exponential backoff), each time identical.
    Setup: fresh DUT.
    Procedure: connect to the peer (198.18.0.1 / 2001:db8::1), port 40000; the peer never answers; watch 15.1 s
        of virtual time.
    Judgement: SYNs at t0, t0+1000, t0+3000, t0+7000, t0+15000 (each +-20 ms), all with the same sequence
        number, ports and MSS option; state SYN-SENT throughout.
    Reference: RFC 6298 2.1 (initial RTO 1 s), 5.5 (back off), 5.7; RFC 9293 3.8.1, 3.8.3 (SYN retransmission).
    """
    sock = dut.tcp_socket()
    peer = TcpPeer(dut, dport=None)
    sock.connect(dut.peer_addr, PEER_PORT)
    first = peer.expect_syn()
    t0 = dut.now_ms
    seen = retransmission_times(peer, 15_100)
    offsets = [when - t0 for when, _ in seen]
    assert len(offsets) == 4, offsets
    for expected, got in zip([1000, 3000, 7000, 15000], offsets):
        assert expected <= got <= expected + (TOLERANCE_MS + dut.time_tolerance_ms), offsets
    for _, syn in seen:
        assert syn.flags == "S" and syn.seq == first.seq and syn.sport == first.sport
    assert sock.state == "SYN-SENT"


@pytest.mark.requirement("RFC9293:MUST-19", "RFC6298:R2.4", "RFC6298:R5.5", "RFC6298:R5.4")
def test_data_retransmitted_after_rto_then_doubling(dut):
    """
    Purpose: unacknowledged data is retransmitted after the RTO (1 s: the handshake's RTT of ~0 gives an RTO
        below 1 s, which is rounded up to 1 s), then at doubling intervals, with the same bytes.
    Setup: ESTABLISHED (the handshake completed without delay).
    Procedure: the DUT writes 100 bytes; the peer never acknowledges; watch 15.1 s.
    Judgement: the segment at t0, then identical retransmissions (same seq, same 100 bytes) at t0+1000,
        t0+3000, t0+7000, t0+15000 (+-20 ms); nothing else.
    Reference: RFC 6298 2.2-2.4 (RTO from the first sample, 1 s minimum), 5.4-5.6 (retransmit, back off).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    payload = bytes(range(100))
    assert sock.write(payload) == 100
    first = peer.expect("PA", timeout_ms=50)
    t0 = dut.now_ms
    seen = retransmission_times(peer, 15_100)
    offsets = [when - t0 for when, _ in seen]
    assert len(offsets) == 4, offsets
    for expected, got in zip([1000, 3000, 7000, 15000], offsets):
        assert expected <= got <= expected + (TOLERANCE_MS + dut.time_tolerance_ms), offsets
    for _, seg in seen:
        assert seg.seq == first.seq and payload_of(seg) == payload, peer.describe(seg)


@pytest.mark.requirement("RFC9293:MUST-18", "RFC6298:R3-karn", "RFC6298:R5.7-keep")
@pytest.mark.virtual_time_only(
    "retransmission times exact to 20 ms after a backoff; the kernel's RTO is SRTT + max(RTTVAR, rto_min) (RFC "
    "6298 2.3 says SRTT + max(G, K*RTTVAR), at least 1 s), so with a Python peer's varying RTT the backed-off "
    "retransmission lands on either side of the scenario's window")
def test_karn_no_sample_from_retransmitted_segment(dut):
    """
    Purpose: Karn's algorithm: the ACK of a retransmitted segment gives no RTT sample, so the backed-off RTO
        stays in force for the next segment; a later clean sample brings the RTO back.
    Setup: ESTABLISHED (RTO 1 s); no timestamps (so a retransmission's ACK is ambiguous).
    Procedure: (1) the DUT writes 10 bytes; the peer drops the segment; the retransmission comes after 1 s
        (RTO doubles to 2 s); the peer acknowledges it 100 ms later. (2) The DUT writes 10 more bytes; the
        peer does not acknowledge. (3) After that retransmission is acknowledged at once, the DUT writes 10
        more bytes and the peer acknowledges them at once; (4) 10 more bytes, unacknowledged.
    Judgement: (2) is retransmitted 2000 ms (+-20) after it was sent: the backed-off RTO was kept (a sample
        taken from the ambiguous ACK would have given 1000, about 1240 or 3300 ms). (4) is retransmitted
        1000 ms (+-20) after it was sent: the clean ~0 ms sample recomputed the RTO (RFC 6298 2.3, 5.7),
        rounded up to 1 s (2.4).
    Reference: RFC 6298 3 (Karn), 5.5-5.7; RFC 9293 3.8.1 (MUST-18).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    # (1) first segment, lost once.
    assert sock.write(b"a" * 10) == 10
    peer.expect("PA", timeout_ms=50)
    t = dut.now_ms
    seen = retransmission_times(peer, 1100, stop=lambda s: True)
    assert seen and 1000 <= seen[0][0] - t <= 1000 + (TOLERANCE_MS + dut.time_tolerance_ms), seen
    dut.advance(100)
    peer.send("A")
    # (2) the next segment: its RTO must still be the backed-off one.
    assert sock.write(b"b" * 10) == 10
    sent = peer.expect("PA", timeout_ms=50)
    t = dut.now_ms
    seen = retransmission_times(peer, 2100, stop=lambda s: True)
    assert seen, "no retransmission within 2.1 s"
    delay = seen[0][0] - t
    assert 2000 <= delay <= 2000 + (TOLERANCE_MS + dut.time_tolerance_ms), f"retransmitted after {delay} ms, expected the backed-off 2000"
    assert seen[0][1].seq == sent.seq
    peer.send("A")
    # (3) a clean sample.
    assert sock.write(b"c" * 10) == 10
    peer.expect("PA", timeout_ms=50)
    peer.send("A")
    # (4) the RTO is recomputed (and rounded up to 1 s).
    assert sock.write(b"d" * 10) == 10
    peer.expect("PA", timeout_ms=50)
    t = dut.now_ms
    seen = retransmission_times(peer, 2100, stop=lambda s: True)
    assert seen
    delay = seen[0][0] - t
    assert 1000 <= delay <= 1000 + (TOLERANCE_MS + dut.time_tolerance_ms), delay


def rfc6298_rto_after(rtt, count, handshake_sample):
    """The RTO (ms) RFC 6298 gives after `count` segments each acknowledged `rtt` ms after it was sent.

    alpha 1/8, beta 1/4, K 4, G 1 ms, 1 s floor (2.4). A segment whose timer expires before its ACK is
    retransmitted (RTO doubled, 5.5) and its ACK gives no sample (Karn, 3); the backed-off RTO is kept until a
    valid sample (5.7). handshake_sample: the SYN exchange gave a first sample of 0 ms.
    """
    srtt = rttvar = None

    def sample(r):
        nonlocal srtt, rttvar
        if srtt is None:
            srtt, rttvar = r, r / 2
        else:
            rttvar = 0.75 * rttvar + 0.25 * abs(srtt - r)
            srtt = 0.875 * srtt + 0.125 * r

    def computed():
        return max(1000, srtt + max(1, 4 * rttvar))

    rto = 1000
    if handshake_sample:
        sample(0)
        rto = computed()
    for _ in range(count):
        timer, elapsed, retransmitted = rto, 0, False
        while elapsed + timer < rtt:
            elapsed += timer
            timer *= 2
            retransmitted = True
        if retransmitted:
            rto = timer
        else:
            sample(rtt)
            rto = computed()
    return rto


@pytest.mark.requirement("RFC6298:R2.3", "RFC6298:R2.2")
def test_rto_follows_measured_rtt(dut):
    """
    Purpose: the RTO is computed from RTT samples (SRTT + 4 RTTVAR, RFC 6298 2.2/2.3), only from segments
        that were not retransmitted.
    Setup: ESTABLISHED; no timestamps.
    Procedure: 30 times: the DUT writes 10 bytes, the peer acknowledges 1500 ms later (the first one is
        retransmitted at 1 s before its ACK, so it gives no sample); then the DUT writes 10 bytes that are
        never acknowledged.
    Judgement: that last segment is retransmitted after the RTO RFC 6298 computes from those samples (with
        or without a ~0 ms sample from the handshake; see rfc6298_rto_after), within 30 ms.
    Reference: RFC 6298 2.2, 2.3, 2.4, 3 (Karn), 5.5, 5.7.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    for i in range(30):
        assert sock.write(bytes([i]) * 10) == 10
        peer.expect("PA", timeout_ms=50)
        dut.advance(1500)
        peer.send("A")
        peer.collect(0)  # retransmissions of this segment, if any
    assert sock.write(b"z" * 10) == 10
    peer.expect("PA", timeout_ms=50)
    t = dut.now_ms
    seen = retransmission_times(peer, 8000, stop=lambda s: True)
    assert seen
    delay = seen[0][0] - t
    candidates = [rfc6298_rto_after(1500, 30, False), rfc6298_rto_after(1500, 30, True)]
    assert any(abs(delay - c) <= 30 + dut.time_tolerance_ms for c in candidates), (delay, candidates)


@pytest.mark.requirement("RFC5681:R3.2-fast-retransmit", "RFC9293:MUST-19")
def test_fast_retransmit_after_three_duplicate_acks(dut):
    """
    Purpose: three duplicate ACKs make the DUT retransmit the missing segment at once, long before the RTO.
    Setup: ESTABLISHED with peer MSS 500 (so that several segments are in flight).
    Procedure: the DUT writes 4000 bytes; the peer acknowledges the first segment to open the congestion
        window, then "loses" the next segment: for each later segment it receives it sends a duplicate ACK
        (ack = the lost segment's seq), three of them at one instant.
    Judgement: within 50 ms of the third duplicate ACK the DUT retransmits a segment starting at the lost
        segment's seq, with the same bytes as first sent.
    Reference: RFC 5681 3.2 (fast retransmit); RFC 6582.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", mss=500)
    payload = bytes(i % 256 for i in range(4000))
    assert sock.write(payload) == 4000
    first_flight = peer.collect(50)
    assert len(first_flight) >= 2
    peer.send("A", ack=seq_add(first_flight[0].seq, len(payload_of(first_flight[0]))))
    flight = first_flight[1:] + peer.collect(50)
    assert len(flight) >= 4, [peer.describe(s) for s in flight]
    lost = flight[0]
    for _ in range(3):
        peer.send("A", ack=lost.seq, track=False)
    retransmission = peer.expect(predicate=lambda t: t.seq == lost.seq and payload_of(t), timeout_ms=50,
                                 skip=True)
    assert payload_of(retransmission) == payload_of(lost)


@pytest.mark.requirement("RFC9293:MUST-20", "RFC9293:SHLD-11", "RFC9293:MUST-12", "RFC6298:R2.5")
def test_gives_up_when_data_never_acknowledged(dut):
    """
    Purpose: when the peer never acknowledges, the DUT backs off, keeps retransmitting for at least 100 s
        (R2), then gives up: the application gets ("Error", "TimedOut") and the connection is CLOSED.
    Setup: ESTABLISHED.
    Procedure: the DUT writes 100 bytes; the peer stays silent; virtual time runs up to 60 minutes (100 ms
        steps) or until the Error event.
    Judgement: every segment sent is the same 100 bytes at the same seq (or a RST at the end); intervals never
        shrink; the RTO is not capped below 60 s unless the DUT gave up first; the error event comes at least
        100 s after the first transmission; state CLOSED afterwards; nothing is sent after the event except at
        most one RST.
    Reference: RFC 9293 3.8.3 (R1, R2: R2 at least 100 s), RFC 1122 4.2.3.5; RFC 6298 2.5 (maximum RTO at
        least 60 s), 5.5.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    assert sock.write(bytes(100)) == 100
    first = peer.expect("PA", timeout_ms=50)
    t0 = dut.now_ms
    times = [t0]
    gave_up = None
    for _ in range(36_000):
        for when, seg in peer.watch(100, step_ms=100):
            if seg.flags.R:
                continue
            assert seg.seq == first.seq and payload_of(seg) == bytes(100), peer.describe(seg)
            times.append(when)
        if ("Error", "TimedOut") in list(sock.events):
            gave_up = dut.now_ms
            break
    assert gave_up is not None, f"no TimedOut after 60 min; retransmissions at {[t - t0 for t in times]}"
    assert gave_up - t0 >= 100_000, f"gave up after {gave_up - t0} ms (R2 must be at least 100 s)"
    intervals = [b - a for a, b in zip(times, times[1:])]
    assert all(b >= a - 100 for a, b in zip(intervals, intervals[1:])), intervals
    assert sock.state == "CLOSED"
    after = [s for _, s in peer.watch(60_000, step_ms=100)]
    assert all(s.flags.R for s in after) and len(after) <= 1, [peer.describe(s) for s in after]


@pytest.mark.requirement("RFC9293:MUST-20", "RFC9293:MUST-22", "RFC9293:MUST-23")
def test_gives_up_on_unanswered_syn_after_three_minutes(dut):
    """
    Purpose: an unanswered active open is retried (same mechanism as data) for at least 3 minutes before
        the application is told ("Error", "TimedOut").
    Setup: fresh DUT.
    Procedure: connect to the peer (198.18.0.1 / 2001:db8::1), port 40000; the peer never answers; virtual time
        runs up to 60 minutes.
    Judgement: all SYNs identical; the TimedOut event comes at least 180 s after the first SYN; state CLOSED
        after it; no SYN after it.
    Reference: RFC 9293 3.8.3 ("R2 for a SYN segment MUST be set large enough to provide retransmission of
        the segment for at least 3 minutes"), RFC 1122 4.2.3.5.
    """
    sock = dut.tcp_socket()
    peer = TcpPeer(dut, dport=None)
    sock.connect(dut.peer_addr, PEER_PORT)
    first = peer.expect_syn()
    t0 = dut.now_ms
    gave_up = None
    for _ in range(36_000):
        for _, seg in peer.watch(100, step_ms=100):
            assert seg.flags == "S" and seg.seq == first.seq, peer.describe(seg)
        if ("Error", "TimedOut") in list(sock.events):
            gave_up = dut.now_ms
            break
    assert gave_up is not None, "no TimedOut after 60 min"
    assert gave_up - t0 >= 180_000, f"gave up after {gave_up - t0} ms (at least 3 minutes required)"
    assert sock.state == "CLOSED"
    assert not [s for _, s in peer.watch(60_000, step_ms=100) if s.flags.S]


@pytest.mark.requirement("RFC5681:R3.1-iw", "RFC5681:R3.1-slow-start", "RFC5681:R3-ss-ca", "RFC9293:MUST-19",
                         "RFC5681:R3.1-send-limit")
@pytest.mark.linux_deviation(
    "RFC 5681 3.1 (IW MUST NOT exceed 3 segments for this SMSS): the kernel's initial window is 10 segments "
    "(RFC 6928, experimental)")
def test_initial_window_and_slow_start(dut):
    """
    Purpose: the first flight is limited by the initial window (3 segments for an SMSS of 1460), and in slow
        start each ACK of a full segment lets the congestion window grow by one SMSS.
    Setup: ESTABLISHED; peer MSS 1460 (IPv6: 1440), window 65535.
    Procedure: the DUT writes 16 384 bytes (its whole send buffer); the peer collects the first flight, then
        acknowledges each of its segments with a separate ACK (all at one instant), and collects the second
        flight.
    Judgement: first flight: full 1460-byte (IPv6: 1440-byte) segments totalling at most 3 * SMSS bytes
        (IW = 3 * SMSS for 1095 < SMSS <= 2190) and at least one segment; second flight: twice as many
        segments as the first (one SMSS of growth per ACK), all within the peer's window.
    Reference: RFC 5681 3.1 (IW, slow start: cwnd += min(N, SMSS) per ACK); RFC 9293 3.8.2 (MUST-19).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    assert sock.write(bytes(16_384)) == 16_384
    first = [s for s in peer.collect(50) if payload_of(s)]
    sizes = [len(payload_of(s)) for s in first]
    assert first and sum(sizes) <= 3 * peer.mss, sizes
    assert all(size == peer.mss for size in sizes), sizes
    for seg in first:
        peer.send("A", ack=seq_add(seg.seq, len(payload_of(seg))))
    second = [s for s in peer.collect(50) if payload_of(s)]
    assert len(second) == 2 * len(first), [len(payload_of(s)) for s in second]


@pytest.mark.requirement("RFC5681:R3.1-loss-window", "RFC5681:R3.1-ssthresh-rto", "RFC9293:MUST-19",
                         "RFC6298:R5.4")
@pytest.mark.linux_deviation(
    "RFC 5681 3.1 (after a timeout cwnd is the loss window, one segment, then slow start): after the ACK of "
    "the timeout retransmission the kernel sends four segments (its F-RTO, RFC 5682, is on by default)")
def test_timeout_collapses_window_to_one_segment(dut):
    """
    Purpose: after a retransmission timeout the congestion window is one segment (the loss window): only the
        first unacknowledged segment is retransmitted, and after its ACK slow start resumes from one segment.
    Setup: ESTABLISHED; peer MSS 1460.
    Procedure: the DUT writes 8000 bytes; the peer drops the whole first flight (3 segments); after the RTO
        (1 s) the peer collects for 100 ms, then acknowledges the retransmitted segment and collects again.
    Judgement: at the timeout exactly one segment is sent: SMSS (1460, IPv6 1440) bytes at ISS+1; after its
        ACK at most two segments are sent (cwnd 2 * SMSS), the first starting at ISS+1+SMSS.
    Reference: RFC 5681 3.1 ("the congestion window is set to the loss window, LW, which equals 1 full-sized
        segment"); RFC 6298 5.4.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    assert sock.write(bytes(8000)) == 8000
    flight = [s for s in peer.collect(50) if payload_of(s)]
    assert len(flight) >= 2
    assert not [s for s in peer.collect(900) if payload_of(s)]  # 950 ms after the write: nothing yet
    burst = [s for s in peer.collect(150) if payload_of(s)]
    assert len(burst) == 1, [peer.describe(s) for s in burst]
    assert burst[0].seq == seq_add(peer.dut_isn, 1) and len(payload_of(burst[0])) == peer.mss
    peer.send("A", ack=seq_add(peer.dut_isn, 1 + peer.mss))
    after = [s for s in peer.collect(50) if payload_of(s)]
    assert 1 <= len(after) <= 2, [peer.describe(s) for s in after]
    assert after[0].seq == seq_add(peer.dut_isn, 1 + peer.mss)


def _frames_until_arp_request(dut, peer, duration_ms):
    """(virtual ms, kind, frame) for every frame the DUT sends within duration_ms, until the first ARP
    request for the peer: kind "tcp" (this connection) or "arp"."""
    out = []
    end = dut.now_ms + duration_ms
    while dut.now_ms < end:
        for frame in dut.receive(10):
            if ARP in frame and frame[ARP].op == 1 and frame[ARP].pdst == dut.peer_addr:
                out.append((dut.now_ms, "arp", frame))
                return out
            if peer.is_mine(frame):
                peer.check_segment(frame)
                out.append((dut.now_ms, "tcp", frame))
    return out


def _answer_arp(dut, request):
    dut.send(Ether(src=dut.peer_mac, dst=request[Ether].src)
             / ARP(op=2, hwsrc=dut.peer_mac, psrc=dut.peer_addr, hwdst=request[ARP].hwsrc, pdst=request[ARP].psrc))


@pytest.mark.requirement("RFC9293:MUST-20", "RFC9293:SHLD-10")
@pytest.mark.ipv4_only("the IP layer's reaction to negative advice is an ARP re-resolution; IPv6 finds an "
                       "unreachable neighbour by NUD, RFC 4861 7.3 (rfc4861_nd)")
def test_negative_advice_at_r1_for_data(dut):
    """
    Purpose: when the same data segment has been retransmitted R1 = 3 times, the DUT gives negative advice to
        the IP layer, which re-checks the path: the peer's hardware address is resolved afresh (an ARP request)
        before the next retransmission leaves; the connection goes on.
    Setup: ESTABLISHED (the peer's ARP entry learnt at set-up, 60 s lifetime).
    Procedure: the DUT writes 100 bytes; the peer stays silent through the retransmissions; when the ARP
        request comes, the peer answers it.
    Judgement: before the ARP request, exactly the first transmission and 2 retransmissions of the same
        segment (RTO 1 s, then 2 s: at +1 s and +3 s); the ARP request comes with the third retransmission
        (+7 s); after the answer that retransmission leaves at once, same seq and bytes; the IP layer counted
        one negative advice; the connection is still ESTABLISHED.
    Reference: RFC 9293 3.8.3 (R1: "pass negative advice to the IP layer"), RFC 1122 4.2.3.5 (R1 at least 3
        retransmissions), RFC 1122 3.3.1.4 (negative advice triggers dead-gateway/neighbour re-checking).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    dut.stop_answering_arp()  # the scenario answers the ARP request itself
    assert dut.stack.ipv4.negative_advice == 0
    assert sock.write(bytes(100)) == 100
    first = peer.expect("PA", timeout_ms=50)
    t0 = dut.now_ms
    seen = _frames_until_arp_request(dut, peer, 20_000)
    assert seen and seen[-1][1] == "arp", f"no ARP request within 20 s: {[(t - t0, k) for t, k, _ in seen]}"
    tcp_times = [t - t0 for t, kind, _ in seen if kind == "tcp"]
    for _, kind, frame in seen:
        if kind == "tcp":
            assert frame[TCP].seq == first.seq and payload_of(frame[TCP]) == bytes(100), peer.describe(frame[TCP])
    assert len(tcp_times) == 2, f"retransmissions before negative advice at {tcp_times} ms (R1 = 3)"
    assert abs(tcp_times[0] - 1000) <= (TOLERANCE_MS + dut.time_tolerance_ms) and abs(tcp_times[1] - 3000) <= (TOLERANCE_MS + dut.time_tolerance_ms), tcp_times
    assert abs(seen[-1][0] - t0 - 7000) <= (TOLERANCE_MS + dut.time_tolerance_ms), f"ARP request at {seen[-1][0] - t0} ms, expected 7000"
    assert dut.stack.ipv4.negative_advice == 1
    _answer_arp(dut, seen[-1][2])
    third = peer.expect("PA", timeout_ms=10)
    assert third.seq == first.seq and payload_of(third) == bytes(100)
    assert sock.state == "ESTABLISHED"
    peer.send("A")  # acknowledged at last
    peer.expect_silence(2000, any_frame=False)
    assert dut.stack.ipv4.negative_advice == 1


@pytest.mark.requirement("RFC9293:MUST-22", "RFC9293:MUST-20")
@pytest.mark.ipv4_only("ARP re-resolution; IPv6 uses NUD, RFC 4861 7.3 (rfc4861_nd)")
def test_negative_advice_at_r1_for_syn(dut):
    """
    Purpose: an unanswered SYN follows the same R1 procedure as data: after 3 retransmissions the IP layer
        gets negative advice and resolves the next hop afresh; when the peer then answers, the connection opens.
    Setup: fresh DUT, the peer's ARP entry learnt (prime_arp).
    Procedure: connect to the peer; it ignores the SYN and its retransmissions; answers the ARP request, then
        the next SYN with a SYN-ACK.
    Judgement: SYN, then retransmissions at +1 s and +3 s without ARP; the ARP request at +7 s, the third
        retransmitted SYN (same ISN) right after the ARP reply; one negative advice counted; the handshake
        completes (ESTABLISHED, Connected event).
    Reference: RFC 9293 3.8.3 (the SYN handled by the same R1/R2 procedure), RFC 1122 4.2.3.5, 3.3.1.4.
    """
    dut.prime_arp()
    sock = dut.tcp_socket()
    peer = TcpPeer(dut, dport=None)
    dut.stop_answering_arp()  # the scenario answers the ARP request itself
    sock.connect(dut.peer_addr, PEER_PORT)
    first = peer.expect_syn()
    t0 = dut.now_ms
    seen = _frames_until_arp_request(dut, peer, 20_000)
    assert seen and seen[-1][1] == "arp", f"no ARP request within 20 s: {[(t - t0, k) for t, k, _ in seen]}"
    syn_times = [t - t0 for t, kind, frame in seen if kind == "tcp" and frame[TCP].flags == "S"
                 and frame[TCP].seq == first.seq]
    assert syn_times == [t - t0 for t, kind, _ in seen if kind == "tcp"], "only SYN retransmissions expected"
    assert len(syn_times) == 2 and abs(syn_times[0] - 1000) <= (TOLERANCE_MS + dut.time_tolerance_ms) \
        and abs(syn_times[1] - 3000) <= (TOLERANCE_MS + dut.time_tolerance_ms), syn_times
    assert abs(seen[-1][0] - t0 - 7000) <= (TOLERANCE_MS + dut.time_tolerance_ms), f"ARP request at {seen[-1][0] - t0} ms, expected 7000"
    assert dut.stack.ipv4.negative_advice == 1
    _answer_arp(dut, seen[-1][2])
    syn = peer.expect("S", timeout_ms=10)
    assert syn.seq == first.seq
    peer.handshake_from(sock, connect=False, syn=syn)
    assert sock.state == "ESTABLISHED"
    assert ("Connected", "Ok") in list(sock.events)


@pytest.mark.requirement("RFC9293:SHLD-9", "RFC9293:SHLD-10")
def test_application_warned_at_r1_and_connection_goes_on(dut):
    """
    Purpose: when retransmissions of one segment reach R1 (3 retransmissions), the application is told of the
        delivery problem by a non-fatal Warning event, and the connection keeps retransmitting until R2.
    Setup: ESTABLISHED; the peer answers ARP (a live neighbour that ignores the connection).
    Procedure: the DUT writes 100 bytes; the peer stays silent; virtual time runs 20 s; then the peer
        acknowledges the data.
    Judgement: no event during the first two retransmissions (+1 s, +3 s); exactly one ("Warning",
        "TimedOut") by the third (+7 s) and none after it while the segment stays unacknowledged (+15 s);
        still ESTABLISHED; after the ACK the connection carries on (a new write is sent and no further event).
    Reference: RFC 9293 3.8.3 (SHLD-9: "at R1 ... notify the application of the delivery problem"; SHLD-10: R1
        at least 3 retransmissions), RFC 1122 4.2.3.5.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    sock.events.clear()
    assert sock.get_option("Warnings") == 1
    assert sock.write(bytes(100)) == 100
    first = peer.expect("PA", timeout_ms=50)
    t0 = dut.now_ms
    peer.watch(3500, step_ms=10)  # the retransmissions at +1 s and +3 s
    assert list(sock.events) == [], f"events before R1: {list(sock.events)}"
    times = [t - t0 for t, _ in peer.watch(4000, step_ms=10)]
    assert len(times) == 1 and abs(times[0] - 7000) <= (TOLERANCE_MS + dut.time_tolerance_ms), times
    assert list(sock.events) == [("Warning", "TimedOut")]
    peer.watch(12_500, step_ms=100)  # the retransmission at +15 s
    assert list(sock.events) == [("Warning", "TimedOut")]
    assert sock.state == "ESTABLISHED"
    peer.send("A", ack=seq_add(first.seq, 100))
    assert sock.write(b"more") == 4
    more = peer.expect("PA", timeout_ms=50)
    assert payload_of(more) == b"more"
    assert list(sock.events) == [("Warning", "TimedOut")]


@pytest.mark.requirement("RFC9293:SHLD-20")
def test_application_turns_warnings_off(dut):
    """
    Purpose: an application that does not want asynchronous error reports turns them off (option Warnings 0):
        R1 passes without an event, while the fatal report at R2 still comes.
    Setup: ESTABLISHED; Warnings set to 0; RetransmitTimeoutMs 20 000 (R2 by time).
    Procedure: the DUT writes 100 bytes; the peer never answers; virtual time runs until the Error event.
    Judgement: no Warning at any time; ("Error", "TimedOut") between 20 and 40 s after the first transmission.
    Reference: RFC 9293 3.8.3 / 3.9.1.8 (SHLD-20), RFC 1122 4.2.4.1.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    sock.events.clear()
    sock.set_option("Warnings", 0)
    assert sock.get_option("Warnings") == 0
    sock.set_option("RetransmitTimeoutMs", 20_000)
    assert sock.write(bytes(100)) == 100
    peer.expect("PA", timeout_ms=50)
    t0 = dut.now_ms
    for _ in range(600):
        peer.watch(100, step_ms=100)
        if list(sock.events):
            break
    assert list(sock.events) == [("Error", "TimedOut")]
    assert 20_000 <= dut.now_ms - t0 <= 40_000, dut.now_ms - t0
