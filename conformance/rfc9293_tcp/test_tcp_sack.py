"""SACK-based loss recovery (RFC 6675) and the SACK option rules of RFC 2018 and RFC 3042 that concern it.

The DUT is the data sender (except for the option-format scenarios at the end): it opens actively to the peer,
which permits SACK and announces an MSS of 500 without timestamps, so SMSS is 500 and DupThresh * SMSS
arithmetic stays readable. Before each scenario slow start opens the congestion window to an exact number of
segments (every segment acknowledged on its own, RFC 5681 3.1: cwnd += SMSS per ACK), with nothing left
outstanding, and the RTO is 1 s (the handshake's RTT of ~0 rounded up, RFC 6298 2.4).

Segment i of a flight is Si, and seg(i) its first sequence number (S0 starts the flight). RFC 6675 terms:
HighACK = SND.UNA - 1, HighData = SND.MAX - 1, RecoveryPoint = HighData when recovery starts, pipe = the
octets deemed in flight (SetPipe), IsLost(s) = more than (DupThresh - 1) * SMSS = 1000 octets, or DupThresh = 3
discontiguous ranges, SACKed above s. sock.info gives cwnd, ssthresh, duplicate_acks, in_recovery and
sack_recovery, so every step's arithmetic is checked, not only what is seen on the wire.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only.
"""

import pytest

from harness.tcp_peer import bring_to_state, option_area, options_of, payload_of, seq_add

MSS = 500  # the peer's MSS option: SMSS without timestamps
RTO_MS = 1000


def data_segments(segments):
    return [s for s in segments if payload_of(s)]


def sack_option(*blocks):
    """A SACK option (RFC 2018 3) with the given (left, right) blocks, NOP-aligned."""
    return [("NOP", None), ("NOP", None), ("SAck", tuple(v % (1 << 32) for block in blocks for v in block))]


class Sender:
    """The DUT as a data sender on a SACK connection, with the peer's view of its flight."""

    def __init__(self, dut, cwnd_segments: int, **peer_kwargs):
        self.dut = dut
        self.peer, self.sock = bring_to_state(dut, "ESTABLISHED", sack=True, mss=MSS, **peer_kwargs)
        assert self.peer.dut_sack, "the DUT's SYN offers SACK-permitted"
        info = self.sock.info
        assert info["sack_ok"] and info["send_mss"] == MSS and not info["ts_ok"], info
        self.grow_cwnd(cwnd_segments)
        self.base = self.peer.rcv_nxt  # seg(0): the next byte the DUT sends
        self.payload = b""

    @property
    def info(self):
        return self.sock.info

    def grow_cwnd(self, segments: int) -> None:
        """Slow start to cwnd = segments * SMSS: full segments, each acknowledged by its own ACK at once."""
        for _ in range(8):
            cwnd = self.info["cwnd"]
            if cwnd >= segments * MSS:
                break
            n = min(cwnd // MSS, segments - cwnd // MSS)
            assert self.sock.write(bytes(n * MSS)) == n * MSS
            flight = data_segments(self.peer.collect(20))
            assert [len(payload_of(s)) for s in flight] == [MSS] * n, [self.peer.describe(s) for s in flight]
            for s in flight:
                self.peer.send("A", ack=seq_add(s.seq, MSS))
        info = self.info
        assert info["cwnd"] == segments * MSS and info["flight_size"] == 0, info
        assert not data_segments(self.peer.collect(20))

    def seg(self, i: int) -> int:
        return seq_add(self.base, i * MSS)

    def index(self, tcp) -> int:
        offset = (tcp.seq - self.base) % (1 << 32)
        assert offset % MSS == 0, f"segment not on a segment boundary: {self.peer.describe(tcp)}"
        return offset // MSS

    def write(self, segments: int) -> None:
        """The application writes `segments` full segments of recognisable bytes."""
        start = len(self.payload)
        chunk = bytes((start + i) * 7 % 251 for i in range(segments * MSS))
        self.payload += chunk
        assert self.sock.write(chunk) == len(chunk)

    def original(self, i: int) -> bytes:
        return self.payload[i * MSS:(i + 1) * MSS]

    def sent(self, timeout_ms: int = 10):
        """The data segments the DUT sends within timeout_ms, as segment indexes; each is checked to be one
        full segment with the bytes first written there."""
        out = []
        for s in data_segments(self.peer.collect(timeout_ms)):
            i = self.index(s)
            assert payload_of(s) == self.original(i), f"S{i} does not carry the bytes first sent there"
            out.append(i)
        return out

    def ack(self, ack_index: int, *sacked, data: bytes = b""):
        """The peer's ACK of everything below seg(ack_index) with SACK blocks given as (first, last + 1)
        segment-index pairs (most recent first); with data, a data segment carrying it (in order).
        Returns the data segments the DUT sends in answer (indexes)."""
        blocks = [(self.seg(a), self.seg(b)) for a, b in sacked]
        self.peer.send("PA" if data else "A", data, ack=self.seg(ack_index),
                       options=sack_option(*blocks) if blocks else [])
        return self.sent()

    def state(self):
        info = self.info
        return (info["cwnd"], info["ssthresh"], info["duplicate_acks"], info["in_recovery"], info["sack_recovery"])


HUGE = 0xFFFFFFFF  # ssthresh before any loss (RFC 5681 3.1: arbitrarily high)


# ---- entering loss recovery (RFC 6675 section 5) -------------------------------------------------------------


@pytest.mark.requirement("RFC6675:R5-3", "RFC6675:R5-5", "RFC6675:R5-1", "RFC6675:R5-4", "RFC3042:R2-2",
                         "RFC3042:R2-1")
def test_duplicate_acks_carrying_data_start_recovery(dut):
    """
    Purpose: on a SACK connection a duplicate ACK is one whose SACK blocks report octets not SACKed before,
        even when it carries data (RFC 6675 section 2, unlike RFC 5681's definition): in a bidirectional
        transfer the peer's data segments count, limited transmit runs on the first two, and the third
        starts loss recovery.
    Setup: SACK connection, cwnd 10 segments; the DUT writes 20 segments, S0..S9 are in flight.
    Procedure: S0 is lost; the peer sends three data segments (100 bytes each, in order), all with ACK =
        seg(0) and a SACK block [seg(1), seg(1+k)) for k = 1, 2, 3.
    Judgement: after the first two, exactly one new segment each (S10, then S11: limited transmit, RFC 6675
        step 3, cwnd - pipe >= 1 SMSS) with cwnd 5000 unchanged and DupAcks 1, 2; after the third exactly
        one segment, the retransmission of S0 with its original bytes, and recovery with ssthresh = cwnd =
        FlightSize / 2 = 2500 (FlightSize without the two limited-transmit segments: 5000), DupAcks 3.
    Reference: RFC 6675 2 (duplicate acknowledgment), 5 (DupAcks, steps 1-4); RFC 3042 2 (cwnd unchanged by
        limited transmit); RFC 5681 3.2 (limited-transmit data not in FlightSize).
    """
    s = Sender(dut, 10)
    s.write(20)
    assert s.sent() == list(range(10))
    assert s.state() == (5000, HUGE, 0, False, False)
    assert s.ack(0, (1, 2), data=b"a" * 100) == [10]
    assert s.state() == (5000, HUGE, 1, False, False)
    assert s.ack(0, (1, 3), data=b"b" * 100) == [11]
    assert s.state() == (5000, HUGE, 2, False, False)
    assert s.ack(0, (1, 4), data=b"c" * 100) == [0]
    assert s.state() == (2500, 2500, 3, True, True)
    assert s.info["rcv_nxt"] == s.peer.snd_nxt  # the peer's data was taken in order
    assert s.sent(100) == []  # pipe: S0 retransmitted (500) + S4..S11 (4000) > cwnd


@pytest.mark.requirement("RFC6675:R5-3", "RFC6675:R5-5", "RFC2018:R14")
def test_one_ack_sacking_three_segments_starts_recovery_islost(dut):
    """
    Purpose: recovery also starts on the first duplicate ACK when IsLost(HighACK + 1) holds (more than
        (DupThresh - 1) * SMSS octets SACKed above it), and during recovery each ACK releases only what
        cwnd - pipe allows.
    Setup: SACK connection, cwnd 10 segments; the DUT writes 20 segments, S0..S9 in flight.
    Procedure: (1) one ACK = seg(0) SACKing S1..S3 (1500 octets); (2) SACK S1..S4; (3) SACK S1..S5;
        (4) SACK S1..S6.
    Judgement: (1) S0 retransmitted at once (DupAcks is only 1), ssthresh = cwnd = 2500 (FlightSize 5000 /
        2), in recovery; (2), (3) nothing (pipe = 500 + 2500, then 500 + 2000); (4) pipe = 500 + 1500:
        exactly one segment, new data S10.
    Reference: RFC 6675 5 (step 2: IsLost(HighACK + 1); step 4; step C); RFC 2018 5.1 (during recovery the
        segments sent per ACK are limited).
    """
    s = Sender(dut, 10)
    s.write(20)
    assert s.sent() == list(range(10))
    assert s.ack(0, (1, 4)) == [0]
    assert s.state() == (2500, 2500, 1, True, True)
    assert s.ack(0, (1, 5)) == []
    assert s.ack(0, (1, 6)) == []
    assert s.ack(0, (1, 7)) == [10]
    assert s.state() == (2500, 2500, 1, True, True)


@pytest.mark.requirement("RFC2018:R14", "RFC6675:R5-3", "RFC3042:R2-3", "RFC3042:R2-2")
def test_one_ack_reporting_one_segment_does_not_start_recovery(dut):
    """
    Purpose: a single ACK reporting one out-of-order segment does not trigger a retransmission (robustness
        against reordering); an ACK repeating known SACK information, or without any, releases nothing.
    Setup: SACK connection, cwnd 10 segments; the DUT writes 20 segments, S0..S9 in flight.
    Procedure: (1) ACK = seg(0) SACKing S1; (2) the same ACK again; (3) ACK = seg(0) without SACK option;
        (4) the same as (3) carrying 100 bytes of data.
    Judgement: (1) exactly one new segment S10 (limited transmit), no retransmission, DupAcks 1, cwnd 5000,
        not in recovery; (2)-(4) no data segment at all, DupAcks still 1.
    Reference: RFC 2018 5.1 ("recovery is not triggered by a single ACK reporting out-of-order packets");
        RFC 6675 2, 5; RFC 3042 2 (no new segment for a duplicate ACK without new SACK information).
    """
    s = Sender(dut, 10)
    s.write(20)
    assert s.sent() == list(range(10))
    assert s.ack(0, (1, 2)) == [10]
    assert s.state() == (5000, HUGE, 1, False, False)
    assert s.ack(0, (1, 2)) == []
    assert s.ack(0) == []
    assert s.ack(0, data=b"d" * 100) == []
    assert s.state() == (5000, HUGE, 1, False, False)


@pytest.mark.requirement("RFC6675:R5-2", "RFC6675:R5-3")
def test_cumulative_ack_resets_duplicate_ack_count(dut):
    """
    Purpose: a cumulative ACK resets DupAcks, so two duplicate ACKs before it and one after it do not add up
        to DupThresh.
    Setup: SACK connection, cwnd 10 segments; the DUT writes 20 segments, S0..S9 in flight.
    Procedure: (1) ACK seg(0) SACK S1, (2) ACK seg(0) SACK S1..S2 (S0 delayed); (3) S0 arrives: ACK seg(3),
        no SACK block; (4) S3 is missing: ACK seg(3) SACK S4.
    Judgement: (1), (2) limited transmit S10, S11, DupAcks 1, 2; (3) DupAcks 0, slow start cwnd 5500, new
        segments S12, S13; (4) DupAcks 1, no retransmission of S3, not in recovery, one new segment S14
        (limited transmit).
    Reference: RFC 6675 5 ("If the incoming ACK is a cumulative acknowledgment, the TCP MUST reset DupAcks to
        zero").
    """
    s = Sender(dut, 10)
    s.write(20)
    assert s.sent() == list(range(10))
    assert s.ack(0, (1, 2)) == [10]
    assert s.ack(0, (1, 3)) == [11]
    assert s.state() == (5000, HUGE, 2, False, False)
    assert s.ack(3) == [12, 13]
    assert s.state() == (5500, HUGE, 0, False, False)
    assert s.ack(3, (4, 5)) == [14]
    assert s.state() == (5500, HUGE, 1, False, False)


# ---- during recovery: NextSeg and the end of recovery --------------------------------------------------------


@pytest.mark.requirement("RFC6675:R4-2", "RFC6675:R4-3", "RFC6675:R5-1", "RFC6675:R5-7", "RFC6675:R5-9",
                         "RFC6675:R5-6", "RFC6675:R5-2", "RFC6675:R5-8", "RFC2018:R14", "RFC2018:R11")
def test_recovery_retransmits_lost_segments_first_then_new_data(dut):
    """
    Purpose: during recovery every ACK updates the scoreboard and pipe; NextSeg sends a lost segment (rule 1)
        before new data (rule 2), new data when nothing is lost, as much as cwnd - pipe allows; a partial ACK
        keeps the recovery, the cumulative ACK above RecoveryPoint ends it.
    Setup: SACK connection, cwnd 10 segments; the DUT writes 20 segments, S0..S9 in flight (RecoveryPoint
        will be seg(10) - 1).
    Procedure (all ACKs = seg(0) unless said): (A) SACK S1..S4; (B) SACK S6..S7, S1..S4; (C) SACK S6..S8,
        S1..S4; (D) S0 arrives: ACK seg(5), SACK S6..S8; (E) ACK seg(9); (F) ACK seg(10).
    Judgement: (A) S0 again, ssthresh = cwnd = 2500; (B) S5 is not lost (1000 octets SACKed above it):
        pipe 500 + 500 + 1000 = 2000, one new segment S10; (C) S5 is lost now: pipe 500 + 0 + 1000 = 1500:
        S5 retransmitted (rule 1), then, at pipe 2000, new data S11 (rule 2): exactly [S5, S11] in that
        order; (D) partial ACK: still in recovery, DupAcks 0, cwnd 2500, pipe 2000: S12; (E) partial: S13;
        (F) recovery over (cwnd = ssthresh = 2500), S14 follows.
    Reference: RFC 6675 4 (NextSeg rules 1, 2; SetPipe; Update), 5 (steps A, B, C; DupAcks reset).
    """
    s = Sender(dut, 10)
    s.write(20)
    assert s.sent() == list(range(10))
    assert s.ack(0, (1, 5)) == [0]
    assert s.state() == (2500, 2500, 1, True, True)
    assert s.ack(0, (6, 8), (1, 5)) == [10]
    assert s.ack(0, (6, 9), (1, 5)) == [5, 11]
    assert s.state() == (2500, 2500, 1, True, True)
    assert s.ack(5, (6, 9)) == [12]
    assert s.state() == (2500, 2500, 0, True, True)
    assert s.ack(9) == [13]
    assert s.state() == (2500, 2500, 0, True, True)
    assert s.ack(10) == [14]
    assert s.state() == (2500, 2500, 0, False, False)


@pytest.mark.requirement("RFC6675:R4-4", "RFC6675:R4-5", "RFC6675:R4-6", "RFC6675:R5-9")
def test_nextseg_rules_three_four_and_five(dut):
    """
    Purpose: with no lost segment and no new data, NextSeg retransmits an un-SACKed segment below the highest
        SACKed one (rule 3); once the first retransmission is cumulatively acknowledged (HighACK > RescueRxt)
        one rescue retransmission of the segment with the highest outstanding un-SACKed octet goes, once
        (rule 4); after that nothing is sent however much cwnd allows (rule 5).
    Setup: SACK connection, cwnd 20 segments; the DUT writes exactly 20 segments, S0..S19 in flight.
    Procedure: (A) ACK seg(0) SACK S1..S3; (B) ACK seg(0) SACK S16..S17, S1..S14; (C) S0 arrives: ACK
        seg(15) SACK S16..S17; (D) ACK seg(15) SACK S16..S18; (E) ACK seg(20).
    Judgement: (A) S0, ssthresh = cwnd = 5000; (B) pipe 500 (S0) + 500 (S15, not lost: 1000 octets SACKed
        above it) + 1000 (S18, S19) = 2000: rule 1 finds nothing, rule 2 no data, rule 3 S15: exactly [S15];
        (C) pipe 2000, HighACK now above RescueRxt: exactly [S19] (the rescue); (D) more room, nothing to send:
        no segment; (E) recovery over.
    Reference: RFC 6675 4 (NextSeg rules 3, 4, 5; RescueRxt), 5 (steps 4.3, C.1, C.2).
    """
    s = Sender(dut, 20)
    s.write(20)
    assert s.sent() == list(range(20))
    assert s.ack(0, (1, 4)) == [0]
    assert s.state() == (5000, 5000, 1, True, True)
    assert s.ack(0, (16, 18), (1, 15)) == [15]
    assert s.ack(15, (16, 18)) == [19]
    assert s.ack(15, (16, 19)) == []
    assert s.sent(200) == []
    assert s.state()[3:] == (True, True)
    assert s.ack(20) == []
    assert s.state()[3:] == (False, False)


# ---- retransmission timeouts with SACK (RFC 6675 5.1, RFC 2018 5 and 8) --------------------------------------


@pytest.mark.requirement("RFC6675:R5.1-1", "RFC6675:R5.1-2", "RFC6675:R5-3")
def test_timeout_in_recovery_ends_it_and_holds_off_a_new_one(dut):
    """
    Purpose: a retransmission timeout during recovery ends it and sets RecoveryPoint to HighData; until
        HighACK reaches that RecoveryPoint no new recovery starts, however many octets duplicate ACKs SACK;
        once it is reached, loss recovery works again.
    Setup: SACK connection, cwnd 10 segments; the DUT writes exactly 10 segments, S0..S9 in flight.
    Procedure: (A) ACK seg(0) SACK S1..S4 (recovery; the peer drops that retransmission of S0); (B) SACK
        S1..S9; wait for the RTO; (C) after the timeout's retransmission, ACK seg(0) SACK S1..S9 again (new
        to the scoreboard the timeout emptied); (D) ACK seg(10) (HighACK = RecoveryPoint); the DUT writes 10
        segments; (E) S10 lost: ACKs seg(10) with SACK S11, S11..S12, S11..S13.
    Judgement: (A) S0; (B) nothing; the timeout 1 s after S0 was first sent retransmits only S0, recovery
        over, cwnd 500, ssthresh 2500; (C) nothing sent (no fast retransmit), not in recovery, ssthresh still
        2500; (D) cwnd 1000 (slow start), S10 and S11 sent; (E) limited transmit S12, S13, then recovery:
        S10 again with ssthresh = cwnd = 1000 (max(FlightSize 1000 / 2, 2 * SMSS)), and as pipe is then only
        that retransmission (S11..S13 SACKed), step C sends new data S14 at once: [S10, S14].
    Reference: RFC 6675 5.1 ("If an RTO occurs during loss recovery ... RecoveryPoint MUST be set to HighData
        ... the loss recovery algorithm ... MUST be terminated ... a new recovery phase ... MUST NOT be
        initiated until HighACK is greater than or equal to the new value of RecoveryPoint").
    """
    s = Sender(dut, 10)
    s.write(10)
    t0 = dut.now_ms
    assert s.sent() == list(range(10))
    assert s.ack(0, (1, 5)) == [0]
    assert s.state() == (2500, 2500, 1, True, True)
    assert s.ack(0, (1, 10)) == []
    quiet = RTO_MS - (dut.now_ms - t0) - 20
    assert s.sent(quiet) == []
    assert s.sent(40) == [0]
    assert s.state()[0:2] == (500, 2500) and s.state()[3:] == (False, False)
    assert s.ack(0, (1, 10)) == []
    assert s.sent(300) == []
    assert s.state()[0:2] == (500, 2500) and s.state()[3:] == (False, False)
    assert s.ack(10) == []
    assert s.state()[0:2] == (1000, 2500) and s.state()[3:] == (False, False)
    s.write(10)
    assert s.sent() == [10, 11]
    assert s.ack(10, (11, 12)) == [12]
    assert s.ack(10, (11, 13)) == [13]
    assert s.ack(10, (11, 14)) == [10, 14]
    assert s.state() == (1000, 1000, 3, True, True)


@pytest.mark.requirement("RFC2018:R13", "RFC2018:R15", "RFC2018:R12", "RFC6675:R4-1")
def test_timeout_retransmits_left_edge_and_forgets_sack_of_a_reneging_receiver(dut):
    """
    Purpose: SACKed data stays in the DUT's retransmission buffer until cumulatively acknowledged; after a
        timeout the DUT retransmits the segment at the left edge of the window although it was SACKed, and
        decides what to retransmit without the SACK information received before the timeout (the receiver
        may have reneged).
    Setup: SACK connection, cwnd 10 segments; the DUT writes exactly 10 segments, S0..S9 in flight.
    Procedure: (A) ACK seg(0) SACK S1..S9: recovery, S0 retransmitted; (B) S0 arrives but the receiver
        discarded S1..S9: ACK seg(1) without SACK block; (C) wait for the RTO; (D) ACK seg(2) without SACK.
    Judgement: (A) [S0]; (B) partial ACK, everything outstanding is SACKed on the scoreboard: nothing sent;
        (C) 1 s after (B) exactly [S1] with its original bytes; (D) cwnd 1000: [S2, S3] with their original
        bytes (they were SACKed before the timeout and are sent anyway).
    Reference: RFC 2018 5 ("the data sender MUST retransmit the segment at the left edge of the window after
        a retransmit timeout, whether or not the SACKed bit is on for that segment"), 8 (ignore prior SACK
        information after a timeout; the sender MUST NOT discard data before it is acknowledged); RFC 6675 4.
    """
    s = Sender(dut, 10)
    s.write(10)
    assert s.sent() == list(range(10))
    assert s.ack(0, (1, 10)) == [0]
    assert s.state()[3:] == (True, True)
    assert s.ack(1) == []
    assert s.sent(RTO_MS - 30) == []
    assert s.sent(50) == [1]
    assert s.state()[0] == 500 and s.state()[3:] == (False, False)
    assert s.ack(2) == [2, 3]


@pytest.mark.requirement("RFC6675:R5.1-3")
def test_sack_information_after_timeout_is_used(dut):
    """
    Purpose: after a timeout the DUT starts again from the left edge, but SACK information that arrives after
        the timeout keeps it from sending again data the receiver holds.
    Setup: SACK connection, cwnd 10 segments; the DUT writes 12 segments, S0..S9 in flight.
    Procedure: S0 and S2 are lost; S1 and S3..S9 arrive but every ACK for them is lost, so the DUT sees
        nothing before its RTO; after the timeout's retransmission of S0 the peer answers ACK seg(2) SACK
        S3..S9; then ACK seg(11).
    Judgement: at the timeout exactly [S0]; after ACK seg(2) SACK S3..S9, with cwnd 1000: exactly [S2] (the
        go-back-N retransmission steps over S3..S9, which a sender ignoring the SACK information would send
        next); after ACK seg(10): new data [S10, S11] (cwnd 1500).
    Reference: RFC 6675 5.1 ("a TCP sender SHOULD use all SACK information made available during the
        slow start phase of loss recovery"); RFC 2018 5.
    """
    s = Sender(dut, 10)
    s.write(12)
    assert s.sent() == list(range(10))
    assert s.sent(RTO_MS - 30) == []
    assert s.sent(50) == [0]
    assert s.ack(2, (3, 10)) == [2]
    assert s.state()[0] == 1000 and s.state()[3:] == (False, False)
    assert s.sent(100) == []
    assert s.ack(10) == [10, 11]


# ---- the SACK option as the DUT sends it (RFC 2018 3, 4, 8) --------------------------------------------------


def sack_option_bytes(tcp):
    """(length, blocks) of the SACK option (kind 5) in a segment's raw option bytes, or None."""
    area = option_area(tcp)
    i = 0
    while i < len(area):
        kind = area[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        length = area[i + 1]
        if kind == 5:
            body = area[i + 2:i + length]
            blocks = [(int.from_bytes(body[k:k + 4], "big"), int.from_bytes(body[k + 4:k + 8], "big"))
                      for k in range(0, len(body) - 7, 8)]
            return length, blocks
        i += length
    return None


@pytest.mark.requirement("RFC2018:R2", "RFC2018:R9", "RFC2018:R5", "RFC2018:R6")
@pytest.mark.parametrize("timestamps", [False, True], ids=["no-timestamps", "timestamps"])
def test_sack_option_length_and_block_count(dut, timestamps):
    """
    Purpose: the SACK option holding n blocks is 8 * n + 2 octets long, and carries as many blocks as fit:
        4 without, 3 with the Timestamps option (40 octets of option space).
    Setup: passive ESTABLISHED, SACK permitted both ways, timestamps as parametrised.
    Procedure: the peer sends five 100-byte segments out of order, at RCV.NXT + 100, 300, 500, 700, 900,
        each acknowledged at once; then the DUT's application writes 100 bytes.
    Judgement: the k-th ACK carries a SACK option of length 8 * n + 2 with n = min(k, 4 or 3) blocks, the
        newest range first, then the others newest first; the data segment carries the same option (SACK
        options are generated wherever permitted, not only on pure ACKs).
    Reference: RFC 2018 3 (length 8 * n + 2; at most 4 blocks, 3 with timestamps), 4 (as many blocks as
        possible).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", passive=True, sack=True, timestamps=timestamps)
    assert sock.info["ts_ok"] == timestamps
    start = peer.snd_nxt
    limit = 3 if timestamps else 4
    ranges = []
    for k, offset in enumerate((100, 300, 500, 700, 900), start=1):
        peer.send("PA", bytes(100), seq=seq_add(start, offset), track=False)
        ack = peer.expect("A", timeout_ms=50)
        assert ack.ack == start
        ranges.insert(0, (seq_add(start, offset), seq_add(start, offset + 100)))
        found = sack_option_bytes(ack)
        n = min(k, limit)
        assert found is not None, peer.describe(ack)
        assert found == (8 * n + 2, ranges[:n]), (found, ranges)
        assert len(option_area(ack)) <= 40
    assert sock.write(b"x" * 100) == 100
    data = peer.expect("PA", timeout_ms=50)
    assert payload_of(data) == b"x" * 100 and data.ack == start
    assert sack_option_bytes(data) == (8 * limit + 2, ranges[:limit]), peer.describe(data)


@pytest.mark.requirement("RFC2018:R4")
@pytest.mark.parametrize("passive", [False, True], ids=["active", "passive"])
def test_no_sack_option_without_sack_permitted(dut, passive):
    """
    Purpose: when the peer's SYN did not carry SACK-permitted, the DUT never sends a SACK option, not in the
        ACKs of out-of-order data nor on data segments.
    Setup: ESTABLISHED (DUT active or passive), the peer offers no SACK-permitted.
    Procedure: the peer sends two out-of-order segments (RCV.NXT + 100 and + 300, 100 bytes each); the DUT's
        application writes 200 bytes.
    Judgement: no segment of the DUT carries option kind 5 (raw option bytes); the ACKs acknowledge RCV.NXT.
    Reference: RFC 2018 4 ("the SACK option SHOULD NOT be sent if SACK-permitted was not received"; the
        catalogue treats it as MUST NOT).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", passive=passive, sack=False)
    assert not sock.info["sack_ok"]
    start = peer.snd_nxt
    segments = []
    for offset in (100, 300):
        peer.send("PA", bytes(100), seq=seq_add(start, offset), track=False)
        ack = peer.expect("A", timeout_ms=50)
        assert ack.ack == start
        segments.append(ack)
    assert sock.write(bytes(200)) == 200
    segments += peer.collect(50)
    assert any(payload_of(s) for s in segments)
    for s in segments:
        assert sack_option_bytes(s) is None and "SAck" not in options_of(s), peer.describe(s)


@pytest.mark.requirement("RFC2018:R16")
def test_first_sack_block_reports_the_newest_segment_when_data_is_discarded(dut):
    """
    Purpose: a receiver that cannot keep every out-of-order range (the DUT keeps a bounded list of them)
        still reports the segment that triggered the ACK in the first SACK block, and reports no data it no
        longer holds.
    Setup: passive ESTABLISHED, SACK permitted both ways, no timestamps.
    Procedure: the peer sends eight 100-byte segments out of order, each leaving a hole: at RCV.NXT + 100,
        300, ..., 1500; then it fills the holes in order.
    Judgement: every ACK's first SACK block is exactly the segment just sent; every block of every ACK lies
        within what the peer sent; after the holes are filled the DUT acknowledges up to the end of every
        range it still holds and its application reads the bytes in order (nothing reported then lost is
        needed for that: whatever it discarded is sent again by the peer).
    Reference: RFC 2018 8 ("The first SACK block MUST still reflect the newest segment. Any subsequent SACK
        blocks MUST NOT report any old data which is no longer held by the receiver").
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", passive=True, sack=True)
    start = peer.snd_nxt
    offsets = [100 + 200 * i for i in range(8)]
    stream = bytes(i % 251 for i in range(offsets[-1] + 100))
    for offset in offsets:
        peer.send("PA", stream[offset:offset + 100], seq=seq_add(start, offset), track=False)
        ack = peer.expect("A", timeout_ms=50)
        blocks = options_of(ack).get("SAck")
        assert ack.ack == start and blocks, peer.describe(ack)
        assert blocks[0] == (seq_add(start, offset), seq_add(start, offset + 100)), (offset, blocks)
        for left, right in blocks:
            assert any((left - seq_add(start, o)) % (1 << 32) == 0 for o in offsets), blocks
    # Fill everything in order; the DUT must end with the whole stream readable.
    for offset in range(0, len(stream), 100):
        peer.send("PA", stream[offset:offset + 100], seq=seq_add(start, offset), track=False)
        peer.collect(0)
    peer.collect(300)
    got = b""
    for _ in range(10):
        chunk = sock.read()
        if not chunk:
            break
        got += chunk
    assert got == stream
