"""Reset generation and processing (RFC 9293 3.5.2, 3.5.3, 3.10.7.1-4) with RFC 5961's blind-reset
protection: RST to a port without a socket in both forms, never a RST in answer to a RST, RST with data,
RST processing with a zero receive window, and the challenge ACK rate limit.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest
from scapy.all import TCP

from harness.tcp_peer import DUT_PORT, TcpPeer, bring_to_state, flag_bits, seq_add

CLOSED_PORT = 33333


def closed_port_peer(dut, isn=5000):
    return TcpPeer(dut, sport=40000, dport=CLOSED_PORT, isn=isn)


NO_ACK_SEGMENTS = [
    pytest.param("S", b"", id="SYN"),
    pytest.param("S", b"0123456789", id="SYN-with-data"),
    pytest.param("F", b"", id="FIN"),
    pytest.param("P", b"abc", id="data-no-ack"),
    pytest.param("", b"", id="no-flags"),
    pytest.param("FPU", b"xmas", id="FIN-PSH-URG"),
]


@pytest.mark.parametrize("flags,payload", NO_ACK_SEGMENTS)
@pytest.mark.requirement("RFC9293:MUST-2")
def test_reset_for_segment_without_ack_to_closed_port(dut, flags, payload):
    """
    Purpose: a segment without ACK to a port with no socket draws <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    Setup: fresh DUT, ARP primed; nothing on port 33333.
    Procedure: the peer sends `flags` (no ACK) with `payload` at seq 5000.
    Judgement: exactly one reply: flags RST+ACK, seq 0, ack = 5000 + len(payload) + SYN + FIN, no data,
        from port 33333 to 40000, valid checksum; tcp NoSocket +1.
    Reference: RFC 9293 3.10.7.1 (CLOSED: "If the ACK bit is off, sequence number zero is used"), 3.5.2 (1).
    """
    peer = closed_port_peer(dut)
    frame = peer.send(flags, payload, seq=5000, ack=0, track=False)
    rst = peer.expect("RA", timeout_ms=100)
    bits = flag_bits(flags)
    seg_len = len(payload) + bool(bits & flag_bits("S")) + bool(bits & flag_bits("F"))
    assert rst.seq == 0
    assert rst.ack == seq_add(5000, seg_len)
    assert rst.sport == CLOSED_PORT and rst.dport == 40000
    assert frame[TCP].dport == CLOSED_PORT
    peer.expect_silence(200)
    dut.assert_dropped("tcp", "NoSocket", 1)


WITH_ACK_SEGMENTS = [
    pytest.param("A", b"", id="ACK"),
    pytest.param("PA", b"hello", id="data"),
    pytest.param("FA", b"", id="FIN-ACK"),
    pytest.param("SA", b"", id="SYN-ACK"),
]


@pytest.mark.parametrize("flags,payload", WITH_ACK_SEGMENTS)
def test_reset_for_segment_with_ack_to_closed_port(dut, flags, payload):
    """
    Purpose: a segment with ACK to a port with no socket draws <SEQ=SEG.ACK><CTL=RST>.
    Setup: fresh DUT; nothing on port 33333.
    Procedure: the peer sends `flags` with ack 0xDEADBEEF and `payload`.
    Judgement: exactly one reply: flags exactly RST (no ACK), seq 0xDEADBEEF, no data; tcp NoSocket +1.
    Reference: RFC 9293 3.10.7.1 ("If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"), 3.5.2 (1).
    """
    peer = closed_port_peer(dut)
    peer.send(flags, payload, seq=5000, ack=0xDEADBEEF, track=False)
    rst = peer.expect("R", timeout_ms=100)
    assert rst.seq == 0xDEADBEEF
    peer.expect_silence(200)
    dut.assert_dropped("tcp", "NoSocket", 1)


@pytest.mark.parametrize("flags", ["R", "RA", "RP"])
@pytest.mark.parametrize("target", ["closed-port", "listener"])
def test_no_reset_in_answer_to_reset(dut, flags, target):
    """
    Purpose: a RST is never answered by a RST (or anything else) where there is no connection.
    Setup: fresh DUT; a listener on 8080 when target is "listener", else nothing on 33333.
    Procedure: the peer sends `flags` (RST, RST+ACK, RST+PSH with 4 bytes) to the port.
    Judgement: silence for 500 ms; the listener (if any) is still LISTEN.
    Reference: RFC 9293 3.10.7.1 ("An incoming segment containing a RST is discarded"), 3.10.7.2 ("An
        incoming RST segment could not be valid ... should be ignored"), 3.5.2.
    """
    if target == "listener":
        listener = dut.tcp_socket()
        listener.bind(dut.wildcard, DUT_PORT)
        listener.listen(4)
        peer = TcpPeer(dut, dport=DUT_PORT)
    else:
        peer = closed_port_peer(dut)
    peer.send(flags, b"data" if "P" in flags else b"", seq=1234, ack=5678 if "A" in flags else 0, track=False)
    peer.expect_silence(500)
    if target == "listener":
        assert listener.state == "LISTEN"
        assert listener.accept() is None


@pytest.mark.requirement("RFC9293:SHLD-2", "RFC9293:MUST-12")
def test_reset_carrying_data_is_processed(dut):
    """
    Purpose: a RST may carry data (e.g. a diagnostic); it still resets the connection.
    Setup: ESTABLISHED.
    Procedure: the peer sends RST at RCV.NXT with 20 bytes of text.
    Judgement: no reply; state CLOSED; events end with ("Error", "ConnectionReset"); the text is not
        delivered as stream data.
    Reference: RFC 9293 3.5.3 ("RST segments can carry data"), 3.10.7.4 (first check, RST).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    peer.send("R", b"diagnostic: shutdown", seq=peer.snd_nxt, ack=0, track=False)
    peer.expect_silence(300)
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "ConnectionReset")


@pytest.mark.requirement("RFC9293:MUST-12", "RFC9293:MUST-47")
def test_reset_reports_error_to_reader_and_writer(dut):
    """
    Purpose: after a reset the application is told: the event, and read()/write() report the reset.
    Setup: ESTABLISHED; the DUT wrote 100 bytes the peer did not acknowledge.
    Procedure: the peer sends RST at RCV.NXT.
    Judgement: no reply (the unacknowledged data is not retransmitted later either: silence for 3 s); state
        CLOSED; events end with ("Error", "ConnectionReset"); read() and write() raise picotcp.SocketError.
    Reference: RFC 9293 3.10.7.4 (ESTABLISHED: "All segment queues should be flushed. Users should also
        receive an unsolicited general 'connection reset' signal"), 3.9.1 (error reporting).
    """
    import picotcp

    peer, sock = bring_to_state(dut, "ESTABLISHED")
    assert sock.write(bytes(100)) == 100
    peer.expect("PA", timeout_ms=200)
    peer.send("R", seq=peer.snd_nxt, ack=0, track=False)
    peer.expect_silence(3000)
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "ConnectionReset")
    with pytest.raises(picotcp.SocketError):
        sock.write(b"more")
    with pytest.raises(picotcp.SocketError):
        sock.read()


@pytest.mark.requirement("RFC9293:MUST-66", "RFC9293:MUST-12")
def test_reset_processed_with_zero_receive_window(dut):
    """
    Purpose: with its receive window closed (buffer full, application not reading) the DUT still processes
        a RST at RCV.NXT.
    Setup: ESTABLISHED (peer MSS 1460); the peer fills the DUT's receive window until it advertises 0.
    Procedure: the peer sends RST with seq = RCV.NXT.
    Judgement: before the RST the DUT's last ACK advertised window 0; after it: no reply, state CLOSED,
        ("Error", "ConnectionReset").
    Reference: RFC 9293 3.10.7.4 ("If the RCV.WND is zero ... special allowance should be made to accept
        valid ACKs, URGs, and RSTs"), 3.8.6 (MUST-66).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    peer.fill_dut_window()
    assert peer.dut_window == 0
    peer.send("R", seq=peer.snd_nxt, ack=0, track=False)
    peer.expect_silence(300)
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "ConnectionReset")


@pytest.mark.requirement("RFC5961:R3.2-challenge", "RFC5961:R3.2-outside", "RFC5961:R3.2-exact")
def test_blind_reset_flood_does_not_kill_connection(dut):
    """
    Purpose: a flood of RSTs with guessed in-window (but not exact) sequence numbers does not reset the
        connection; only the exact sequence number does.
    Setup: ESTABLISHED; random generator seeded (42).
    Procedure: 1000 RSTs at RCV.NXT + random(1 .. 15000) (inside the 16 KB window), and 1000 at random
        sequence numbers outside the window, all at one instant; then data both ways; then RST at RCV.NXT.
    Judgement: after the flood the state is ESTABLISHED and no event was reported; every reply during the
        flood is an ACK <SEQ=SND.NXT><ACK=RCV.NXT> (a challenge ACK), never a RST; at least one challenge ACK
        was sent; the out-of-window RSTs are counted as OutOfWindow (1000); data still flows both ways; the
        exact RST closes the connection with ("Error", "ConnectionReset").
    Reference: RFC 5961 3.2; RFC 9293 3.10.7.4 (first check, RST), 3.5.3.
    """
    import random

    rng = random.Random(42)
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    events_before = list(sock.events)
    dut.rebase()
    window = peer.dut_window
    assert window > 1000
    for _ in range(1000):
        peer.send("R", seq=seq_add(peer.snd_nxt, rng.randrange(1, min(window, 15000))), ack=0, track=False)
    for _ in range(1000):
        peer.send("R", seq=seq_add(peer.snd_nxt, rng.randrange(1 << 20, 1 << 31)), ack=0, track=False)
    replies = peer.collect(100)
    assert replies, "no challenge ACK at all"
    for tcp in replies:
        assert tcp.flags == "A" and tcp.seq == peer.rcv_nxt and tcp.ack == peer.snd_nxt, peer.describe(tcp)
    assert sock.state == "ESTABLISHED"
    assert list(sock.events) == events_before
    assert dut.dropped("tcp", "OutOfWindow") == 1000
    peer.send("PA", b"still here")
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"still here"
    assert sock.write(b"me too") == 6
    peer.expect("PA", timeout_ms=200)
    peer.send("R", seq=peer.snd_nxt, ack=0, track=False)
    peer.expect_silence(200)
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "ConnectionReset")


@pytest.mark.requirement("RFC5961:R7-limit")
def test_challenge_ack_rate_limited(dut):
    """
    Purpose: challenge ACKs are rate-limited (RFC 5961 7): a burst of in-window RSTs draws a bounded number
        of ACKs, the rest are counted RateLimited, and the limit opens again a second later.
    Setup: ESTABLISHED.
    Procedure: 100 in-window RSTs (RCV.NXT + 1..100) at one instant; count the challenge ACKs; let 1100 ms
        pass; one more in-window RST.
    Judgement: between 1 and 99 challenge ACKs for the burst (each <SEQ=SND.NXT><ACK=RCV.NXT>); tcp
        RateLimited drops = 100 - challenge ACKs sent; after the pause the single RST draws
        exactly one challenge ACK; the connection stays ESTABLISHED.
    Reference: RFC 5961 7 (challenge ACK throttling), 3.2.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    dut.rebase()
    for i in range(100):
        peer.send("R", seq=seq_add(peer.snd_nxt, 1 + i), ack=0, track=False)
    acks = peer.collect(50)
    for tcp in acks:
        assert tcp.flags == "A" and tcp.seq == peer.rcv_nxt and tcp.ack == peer.snd_nxt, peer.describe(tcp)
    assert 1 <= len(acks) < 100, f"{len(acks)} challenge ACKs for 100 RSTs"
    limited = dut.dropped("tcp", "RateLimited")
    assert limited == 100 - len(acks), (limited, len(acks))
    dut.advance(1100)
    peer.collect(0)
    peer.send("R", seq=seq_add(peer.snd_nxt, 7), ack=0, track=False)
    ack = peer.expect("A", timeout_ms=100)
    assert ack.seq == peer.rcv_nxt and ack.ack == peer.snd_nxt
    peer.expect_silence(200)
    assert sock.state == "ESTABLISHED"


@pytest.mark.requirement("RFC5961:R5.2-ack", "RFC5961:R5.2-mitigation", "RFC9293:MAY-12")
def test_ack_older_than_max_window_draws_challenge(dut):
    """
    Purpose: blind data injection mitigation (RFC 5961 5.2): a segment whose ACK is older than
        SND.UNA - MAX.SND.WND is not accepted: its data is dropped and a challenge ACK is sent.
    Setup: ESTABLISHED (peer window 65535, so MAX.SND.WND = 65535).
    Procedure: the peer sends 10 bytes at RCV.NXT with ack = SND.UNA - 70000; then the same bytes with the
        right ACK.
    Judgement: the first draws an ACK <SEQ=SND.NXT><ACK=RCV.NXT> (not acknowledging the data), tcp
        ChallengeAck +1, nothing readable; the second is acknowledged and read.
    Reference: RFC 5961 5.2; RFC 9293 3.10.7.4 (fifth check, MAY-12).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    dut.rebase()
    start = peer.snd_nxt
    peer.send("PA", b"injected!!", ack=seq_add(peer.rcv_nxt, -70000), track=False)
    ack = peer.expect("A", timeout_ms=100)
    assert ack.ack == start and ack.seq == peer.rcv_nxt
    dut.assert_dropped("tcp", "ChallengeAck", 1)
    assert sock.read() is None
    peer.send("PA", b"legitimate")
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"legitimate"
