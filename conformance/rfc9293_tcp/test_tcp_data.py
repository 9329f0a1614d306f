"""Data communication (RFC 9293 3.7.4, 3.8, 3.8.6.3, 3.9.1.2, 3.10.2, 3.10.7.4 seventh step): transfer in
both directions, acknowledgment generation (delayed ACKs under 0.5 s, every second full-sized segment,
aggregation, out-of-order queueing), the Nagle algorithm and NoDelay, PSH on the last segment of a write,
the window as an unsigned number, and urgent data.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest

from harness.tcp_peer import bring_to_state, payload_of, seq_add


def established(dut, **kw):
    return bring_to_state(dut, "ESTABLISHED", **kw)


def drain_to_peer(peer, total, rounds=60, step_ms=200):
    """Acknowledge whatever the DUT sends until `total` bytes arrived; returns the data segments."""
    segments = []
    for _ in range(rounds):
        segments += [s for s in peer.collect(step_ms) if payload_of(s)]
        peer.send("A")
        if len(peer.received) >= total:
            return segments
    pytest.fail(f"only {len(peer.received)} of {total} bytes arrived")


@pytest.mark.parametrize("size", [1, 1460, 10_000, 16_384])
@pytest.mark.requirement("RFC9293:MUST-2", "RFC9293:MUST-3")
def test_dut_sends_stream_intact(dut, size):
    """
    Purpose: bytes written on the DUT arrive at the peer complete, in order, in segments with valid
        checksums and sequence numbers that continue one another.
    Setup: ESTABLISHED (the DUT opened actively; peer MSS 1460, window 65535).
    Procedure: the DUT writes `size` bytes (up to its whole send buffer); the peer acknowledges every 200 ms.
    Judgement: write() takes all bytes; the peer receives exactly them; every data segment starts where the
        previous one ended; none exceeds 1460 bytes.
    Reference: RFC 9293 3.8, 3.9.1.2 (SEND), 3.10.2.
    """
    peer, sock = established(dut)
    payload = bytes((i * 7) % 256 for i in range(size))
    assert sock.write(payload) == size
    segments = drain_to_peer(peer, size)
    assert bytes(peer.received) == payload
    expected = seq_add(peer.dut_isn, 1)
    for seg in segments:
        assert seg.seq == expected, peer.describe(seg)
        assert len(payload_of(seg)) <= 1460
        expected = seq_add(expected, len(payload_of(seg)))


@pytest.mark.parametrize("size", [1, 1460, 16_384])
@pytest.mark.requirement("RFC9293:MUST-3")
def test_dut_receives_stream_intact(dut, size):
    """
    Purpose: bytes the peer sends are delivered to the application complete and in order, and acknowledged.
    Setup: ESTABLISHED.
    Procedure: the peer sends `size` bytes in segments of at most 1460 bytes, within the DUT's window,
        reading the DUT's ACKs (the application reads after each ACK).
    Judgement: the application reads exactly the bytes sent; the final ACK acknowledges all of them.
    Reference: RFC 9293 3.10.3 (RECEIVE), 3.10.7.4 (seventh step).
    """
    peer, sock = established(dut)
    payload = bytes((i * 13) % 256 for i in range(size))
    got = bytearray()
    offset = 0
    while offset < size:
        chunk = payload[offset:offset + min(1460, peer.dut_window)]
        peer.send("PA", chunk)
        offset += len(chunk)
        ack = peer.expect("A", timeout_ms=500)
        assert ack.ack == peer.snd_nxt
        got += sock.read() or b""
    assert bytes(got) == payload


@pytest.mark.requirement("RFC9293:MUST-40", "RFC9293:SHLD-18", "RFC5681:R4.2-500ms", "RFC5681:R4.2-delayed-ack")
def test_delayed_ack_under_half_a_second(dut):
    """
    Purpose: a single small segment is acknowledged with a delay, but within 0.5 s.
    Setup: ESTABLISHED; the DUT has nothing to send.
    Procedure: the peer sends 100 bytes; time runs in 10 ms steps.
    Judgement: the ACK (ack = end of the 100 bytes) comes after more than 0 ms (a delayed ACK) and at most
        500 ms after the segment; nothing else is sent.
    Reference: RFC 9293 3.8.6.3 ("the delay MUST be less than 0.5 seconds"), RFC 1122 4.2.3.2; RFC 5681 4.2.
    """
    peer, sock = established(dut)
    t0 = dut.now_ms
    peer.send("PA", bytes(100))
    seen = peer.watch(600, stop=lambda s: True)
    assert seen, "no ACK within 600 ms"
    when, ack = seen[0]
    assert ack.flags == "A" and ack.ack == peer.snd_nxt
    assert 0 < when - t0 <= 500, f"ACK after {when - t0} ms"
    peer.expect_silence(300)


@pytest.mark.requirement("RFC9293:SHLD-19", "RFC5681:R4.2-every-second")
def test_ack_every_second_full_sized_segment(dut):
    """
    Purpose: two full-sized segments are acknowledged at once (without waiting for the delayed-ACK timer).
    Setup: ESTABLISHED; the DUT's MSS is 1460.
    Procedure: the peer sends two 1460-byte segments back to back (same instant).
    Judgement: an ACK acknowledging both (ack = end of the second) is sent without virtual time passing (an
        ACK of the first alone may come before it, as Linux sends; this stack sends exactly one ACK).
    Reference: RFC 9293 3.8.6.3 ("an ACK SHOULD be generated for at least every second full-sized
        segment"); RFC 5681 4.2.
    """
    peer, sock = established(dut)
    peer.send("A", bytes(1460))
    peer.send("PA", bytes(1460))
    acks = peer.collect(0)  # an earlier ACK of the first segment alone is allowed ("at least")
    assert acks and acks[-1].ack == peer.snd_nxt, [peer.describe(a) for a in acks]
    if dut.backend == "binding":  # this stack acknowledges the two segments with one ACK
        assert len(acks) == 1, [peer.describe(a) for a in acks]


@pytest.mark.requirement("RFC9293:MUST-58")
@pytest.mark.linux_deviation(
    "RFC 9293 3.10.7.4 / RFC 1122 4.2.3.2: at the start of a connection (quickack mode) the kernel "
    "acknowledges every segment at once instead of aggregating")
def test_acks_aggregated(dut):
    """
    Purpose: ACKs are aggregated: three small segments arriving together are covered by at most two ACKs,
        the last acknowledging all of them.
    Setup: ESTABLISHED.
    Procedure: the peer sends three 100-byte segments at one instant; time runs 600 ms.
    Judgement: one or two ACKs, the last with ack = end of the third segment; no ACK acknowledges a single
        100-byte segment after another ACK already covered it.
    Reference: RFC 9293 3.8.6.3, 3.10.7.4 (seventh step: "aggregate ACKs"), RFC 1122 4.2.3.2.
    """
    peer, sock = established(dut)
    start = peer.snd_nxt
    for _ in range(3):
        peer.send("PA", bytes(100))
    acks = peer.collect(600)
    assert 1 <= len(acks) <= 2, [peer.describe(a) for a in acks]
    assert acks[-1].ack == peer.snd_nxt
    assert all(a.ack != start for a in acks)


@pytest.mark.requirement("RFC9293:MUST-59", "RFC9293:SHLD-31", "RFC9293:MAY-13", "RFC5681:R4.2-ooo-immediate",
                         "RFC5681:R3.2-dupack-ooo", "RFC5681:R3.2-ack-gap-fill")
def test_out_of_order_segments_queued_and_acknowledged_together(dut):
    """
    Purpose: an out-of-order segment is kept; when the gap is filled both are delivered and one ACK covers
        both (all queued segments are processed before the ACK is sent).
    Setup: ESTABLISHED.
    Procedure: the peer sends bytes 100..199 (segment 2) first, then bytes 0..99 (segment 1).
    Judgement: segment 2 draws an immediate duplicate ACK (ack = start of segment 1) and nothing is readable;
        after segment 1, an ACK with ack = end of segment 2 (never one for segment 1 alone), and the
        application reads all 200 bytes in order.
    Reference: RFC 9293 3.10.7.4 (seventh step), 3.8.6.3 (SHLD-31, MUST-59, MAY-13); RFC 5681 4.2.
    """
    peer, sock = established(dut)
    data = bytes(range(200))
    start = peer.snd_nxt
    peer.send("PA", data[100:], seq=seq_add(start, 100), track=False)
    dup = peer.expect("A", timeout_ms=0)
    assert dup.ack == start
    assert sock.read() is None
    peer.send("PA", data[:100], seq=start)
    peer.snd_nxt = seq_add(start, 200)
    acks = peer.collect(600)
    assert acks and all(a.ack == peer.snd_nxt for a in acks), [peer.describe(a) for a in acks]
    assert sock.read() == data


@pytest.mark.requirement("RFC9293:SHLD-7", "RFC9293:MUST-60", "RFC9293:SHLD-27")
def test_nagle_holds_small_segment_while_data_unacknowledged(dut):
    """
    Purpose: with Nagle's algorithm (the default), small writes while earlier data is unacknowledged are held
        until the ACK comes, then sent together (successive pushes collapsed into one segment); the first
        small write is not held (no data outstanding).
    Setup: ESTABLISHED.
    Procedure: the DUT writes 10 bytes; then three writes of 10 bytes; 300 ms pass; the peer acknowledges
        the first 10.
    Judgement: the first 10 bytes go at once; nothing more is sent during the 300 ms; right after the ACK one
        segment carrying the 30 held bytes (seq = ISS + 11) is sent.
    Reference: RFC 9293 3.7.4 (Nagle algorithm), 3.9.1.2 (SHLD-27), RFC 1122 4.2.3.4, RFC 896.
    """
    peer, sock = established(dut)
    assert sock.write(b"A" * 10) == 10
    first = peer.expect("PA", timeout_ms=0)
    assert payload_of(first) == b"A" * 10
    for letter in b"BCD":
        assert sock.write(bytes([letter]) * 10) == 10
    peer.expect_silence(300)
    peer.send("A")
    second = peer.expect("PA", timeout_ms=0)
    assert second.seq == seq_add(peer.dut_isn, 11) and payload_of(second) == b"B" * 10 + b"C" * 10 + b"D" * 10


@pytest.mark.requirement("RFC9293:MUST-17")
def test_nodelay_disables_nagle(dut):
    """
    Purpose: the application can disable Nagle: with NoDelay, each small write is sent at once even with
        data outstanding.
    Setup: ESTABLISHED; set_option("NoDelay", 1) (get_option reads back 1).
    Procedure: the DUT writes 10 bytes, then 10 more, without any ACK from the peer.
    Judgement: two segments, sent without virtual time passing: 10 bytes at ISS+1, 10 bytes at ISS+11.
    Reference: RFC 9293 3.7.4 ("a TCP implementation MUST provide a way for an application to disable the
        Nagle algorithm"), RFC 1122 4.2.3.4.
    """
    peer, sock = established(dut)
    sock.set_option("NoDelay", 1)
    assert sock.get_option("NoDelay") == 1
    assert sock.write(b"A" * 10) == 10
    assert sock.write(b"B" * 10) == 10
    first = peer.expect("PA", timeout_ms=0)
    second = peer.expect("PA", timeout_ms=0)
    assert first.seq == seq_add(peer.dut_isn, 1) and payload_of(first) == b"A" * 10
    assert second.seq == seq_add(peer.dut_isn, 11) and payload_of(second) == b"B" * 10


@pytest.mark.requirement("RFC9293:MUST-61", "RFC9293:SHLD-28")
def test_push_on_last_segment_of_write(dut):
    """
    Purpose: when a write is split into several segments, full-sized segments go first and the last segment
        of the write carries PSH.
    Setup: ESTABLISHED; peer MSS 1000.
    Procedure: the DUT writes 2500 bytes; the peer acknowledges until all arrive.
    Judgement: segments of 1000, 1000, 500 bytes; the one ending the write (the 500) has PSH.
    Reference: RFC 9293 3.9.1.2 (SEND; "the last buffered segment ... PSH"), 3.8.6.2.1 (send full segments,
        SHLD-28); RFC 1122 4.2.2.2.
    """
    peer, sock = established(dut, mss=1000)
    assert sock.write(bytes(2500)) == 2500
    segments = drain_to_peer(peer, 2500)
    assert [len(payload_of(s)) for s in segments] == [1000, 1000, 500]
    assert segments[-1].flags.P


@pytest.mark.parametrize("window", [0x8000, 0xFFFF])
@pytest.mark.requirement("RFC9293:MUST-1")
def test_window_is_unsigned(dut, window):
    """
    Purpose: the window field is an unsigned 16-bit number: 0x8000 and 0xFFFF are large windows, not negative.
    Setup: ESTABLISHED; the peer's ACK advertises `window` (no window scaling).
    Procedure: the DUT writes 4000 bytes.
    Judgement: data is sent at once (at least 2000 bytes without any further ACK).
    Reference: RFC 9293 3.1 (Window), 3.8.6 (MUST-1).
    """
    peer, sock = established(dut, window=window)
    assert sock.write(bytes(4000)) == 4000
    sent = sum(len(payload_of(s)) for s in peer.collect(0))
    assert sent >= 2000, sent


@pytest.mark.requirement("RFC9293:MUST-30", "RFC9293:MUST-62")
def test_urgent_data_sent_with_pointer_to_first_non_urgent_octet(dut):
    """
    Purpose: urgent data goes out with URG set and the urgent pointer pointing at the first octet after the
        urgent data (seq + pointer = first non-urgent octet).
    Setup: ESTABLISHED; NoDelay.
    Procedure: the DUT writes b"normal" then write_urgent(b"!!").
    Judgement: the segment carrying "!!" has URG and seq + urgent pointer = ISS + 1 + 6 + 2; the stream reads
        b"normal!!" (urgent data is in the stream, in line).
    Reference: RFC 9293 3.8.5 (MUST-30, MUST-62), RFC 6093 (urgent data in line).
    """
    peer, sock = established(dut)
    sock.set_option("NoDelay", 1)
    assert sock.write(b"normal") == 6
    assert sock.write_urgent(b"!!") == 2
    segments = drain_to_peer(peer, 8)
    assert bytes(peer.received) == b"normal!!"
    urgent = [s for s in segments if s.flags.U]
    assert urgent, [peer.describe(s) for s in segments]
    for seg in urgent:
        assert seq_add(seg.seq, seg.urgptr) == seq_add(peer.dut_isn, 9), peer.describe(seg)


@pytest.mark.requirement("RFC9293:MUST-31", "RFC9293:MUST-62")
def test_urgent_data_of_any_length(dut):
    """
    Purpose: urgent data may be longer than one segment: every segment up to its end carries URG with the
        pointer at the same first non-urgent octet.
    Setup: ESTABLISHED (peer MSS 1460).
    Procedure: write_urgent(5000 bytes).
    Judgement: all 5000 bytes arrive; every data segment has URG set and seq + urgent pointer = ISS + 5001
        (pointers beyond the segment are allowed: the urgent data continues).
    Reference: RFC 9293 3.8.5 ("a TCP implementation MUST support a sequence of urgent data of any
        length"), RFC 1122 4.2.2.4.
    """
    peer, sock = established(dut)
    payload = bytes(i % 256 for i in range(5000))
    assert sock.write_urgent(payload) == 5000
    segments = drain_to_peer(peer, 5000)
    assert bytes(peer.received) == payload
    for seg in segments:
        assert seg.flags.U and seq_add(seg.seq, seg.urgptr) == seq_add(peer.dut_isn, 5001), peer.describe(seg)


@pytest.mark.requirement("RFC9293:MUST-30")
def test_urgent_data_received_in_line(dut):
    """
    Purpose: urgent data from the peer is delivered in the stream without loss or duplication.
    Setup: ESTABLISHED.
    Procedure: the peer sends b"abc" + b"URG" with URG set and urgent pointer 6 (the first non-urgent octet
        follows "URG"), then b"tail" without URG.
    Judgement: both segments are acknowledged; the application reads exactly b"abcURGtail".
    Reference: RFC 9293 3.8.5, 3.10.7.4 (sixth step, URG); RFC 6093 (urgent data in line).
    """
    peer, sock = established(dut)
    peer.send("PAU", b"abcURG", urgent=6)
    peer.send("PA", b"tail")
    acks = peer.collect(600)
    assert acks and acks[-1].ack == peer.snd_nxt
    got = b""
    while (chunk := sock.read()) is not None and chunk:
        got += chunk
    assert got == b"abcURGtail"


@pytest.mark.requirement("RFC9293:MUST-66")
def test_urgent_pointer_accepted_with_zero_window(dut):
    """
    Purpose: with the receive window closed, an acceptable zero-length segment carrying URG (and an ACK) is
        still processed: it is not answered as unacceptable and the connection continues normally.
    Setup: ESTABLISHED; the peer filled the DUT's receive window (it advertises 0).
    Procedure: the peer sends a zero-length ACK+URG at RCV.NXT with urgent pointer 5; the application then
        reads everything; the DUT announces its window again.
    Judgement: the URG segment draws no RST and is not counted as an out-of-window drop; after the read the
        DUT sends a window update (window > 0) and the connection is ESTABLISHED.
    Reference: RFC 9293 3.10.7.4 ("special allowance should be made to accept valid ACKs, URGs, and RSTs"),
        3.8.6 (MUST-66).
    """
    peer, sock = established(dut)
    filled = peer.fill_dut_window()
    dut.rebase()
    peer.send("AU", urgent=5)
    for tcp in peer.collect(300):
        assert not tcp.flags.R
    assert dut.dropped("tcp", "OutOfWindow") == 0
    got = b""
    while (chunk := sock.read()) is not None and chunk:
        got += chunk
    assert len(got) == filled
    update = peer.expect("A", timeout_ms=1000, skip=True, predicate=lambda t: t.window > 0)
    assert update.ack == peer.snd_nxt
    assert sock.state == "ESTABLISHED"
