"""RFC 5961 (Improving TCP's Robustness to Blind In-Window Attacks): after a challenge ACK for an in-window
RST or for a SYN on a synchronized connection, the segment is dropped whole - nothing else it carries
(acknowledgment, window, data, FIN, timestamps) is used - and only a RST at exactly RCV.NXT ends the
connection. (The challenge ACKs themselves, the out-of-window and exact RST rules, ACK throttling and the
data-injection ACK check are in test_tcp_rst.py, test_tcp_state_matrix.py and test_tcp_hostile.py.)

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest

from harness.tcp_peer import bring_to_state, options_of, payload_of, seq_add


def with_outstanding_data(dut, **peer_kwargs):
    """ESTABLISHED (active open), the DUT's 100 bytes in flight and unacknowledged, the peer's 10 bytes
    acknowledged and read. Returns (peer, sock, snd_una, info before)."""
    peer, sock = bring_to_state(dut, "ESTABLISHED", **peer_kwargs)
    peer.send("PA", b"from-peer!")
    peer.expect("A", timeout_ms=600)
    assert sock.read() == b"from-peer!"
    snd_una = peer.rcv_nxt
    assert sock.write(bytes(range(100))) == 100
    data = peer.expect("PA", timeout_ms=10)
    assert data.seq == snd_una and len(payload_of(data)) == 100
    dut.rebase()
    return peer, sock, snd_una, sock.info


def assert_untouched(peer, sock, snd_una, before):
    """The segment left no trace: SND.UNA, SND.WND, RCV.NXT and the state are what they were, nothing is
    readable, and the unacknowledged 100 bytes are retransmitted from SND.UNA at the RTO."""
    info = sock.info
    for key in ("state", "snd_una", "snd_wnd", "rcv_nxt", "rcv_wnd"):
        assert info[key] == before[key], (key, before, info)
    assert sock.read() is None
    again = peer.expect("PA", timeout_ms=before["rto_ms"] + 100)
    assert again.seq == snd_una and len(payload_of(again)) == 100, peer.describe(again)
    assert sock.state == "ESTABLISHED"


@pytest.mark.parametrize("timestamps", [False, True], ids=["plain", "timestamps"])
@pytest.mark.requirement("RFC5961:R3.2-drop", "RFC5961:R3.2-challenge")
def test_in_window_rst_dropped_after_challenge(dut, timestamps):
    """
    Purpose: a RST in the window but not at RCV.NXT draws a challenge ACK and is then dropped whole: its
        acknowledgment, window, data and FIN (and, with timestamps, its TSval) are not used.
    Setup: ESTABLISHED (active open), with or without timestamps; the peer's 10 bytes were acknowledged;
        the DUT's 100 bytes are in flight, unacknowledged.
    Procedure: the peer sends <SEQ=RCV.NXT+10><ACK=SND.NXT><CTL=RST,ACK,PSH,FIN> with window 0, 20 bytes of
        data and (timestamps) a TSval 1000 ahead of its last.
    Judgement: exactly one reply: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (with timestamps its TSecr is the old
        TS.Recent, not the RST's TSval); tcp ChallengeAck +1; SND.UNA (the 100 bytes are still unacknowledged),
        SND.WND, RCV.NXT and RCV.WND unchanged; nothing readable; state ESTABLISHED; at the RTO the 100 bytes
        are retransmitted from SND.UNA; a RST at RCV.NXT then resets the connection.
    Reference: RFC 5961 3.2 ("TCP MUST send an acknowledgment (challenge ACK) ... After sending the
        challenge ACK, TCP MUST drop the unacceptable segment and stop processing the incoming packet
        further").
    """
    peer, sock, snd_una, before = with_outstanding_data(dut, timestamps=timestamps)
    recent = peer.last_tsval
    options = [("NOP", None), ("NOP", None), ("Timestamp", (recent + 1000, peer.ts_recent))] if timestamps else []
    peer.send("RPAF", b"x" * 20, seq=seq_add(peer.snd_nxt, 10), ack=seq_add(snd_una, 100), window=0,
              options=options, track=False)
    challenge = peer.expect("A", timeout_ms=10)
    assert challenge.seq == seq_add(snd_una, 100) and challenge.ack == peer.snd_nxt, peer.describe(challenge)
    assert not payload_of(challenge)
    if timestamps:
        assert options_of(challenge)["Timestamp"][1] == recent, options_of(challenge)
    dut.assert_dropped("tcp", "ChallengeAck", 1)
    assert_untouched(peer, sock, snd_una, before)
    peer.send("R", seq=peer.snd_nxt, ack=0, track=False)
    peer.expect_silence(100)
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "ConnectionReset")


@pytest.mark.parametrize("where", ["at-rcv-nxt", "in-window", "below-window", "above-window"])
@pytest.mark.parametrize("state", ["ESTABLISHED", "CLOSE-WAIT"])
@pytest.mark.requirement("RFC5961:R4.2-drop", "RFC5961:R4.2-challenge")
def test_syn_dropped_after_challenge(dut, state, where):
    """
    Purpose: a SYN on a synchronized connection, whatever its sequence number, draws a challenge ACK and is
        then dropped whole (its ACK, window, data and FIN unused); the connection survives until the peer
        answers the challenge with a RST at exactly RCV.NXT.
    Setup: ESTABLISHED (or CLOSE-WAIT: the peer's FIN acknowledged) by active open; the DUT's 100 bytes are
        in flight, unacknowledged.
    Procedure: the peer sends <SEQ=s><ACK=SND.NXT><CTL=SYN,ACK,PSH,FIN> with window 0 and 20 bytes of data,
        s = RCV.NXT, RCV.NXT + 100, RCV.NXT - 5000 or RCV.NXT + 100000; then a RST at RCV.NXT + 1 (a guess
        one off); then the RST a restarted peer derives from the challenge ACK: <SEQ=challenge.ack><CTL=RST>.
    Judgement: the SYN draws exactly one segment: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, never a RST; tcp
        ChallengeAck +1; SND.UNA, SND.WND, RCV.NXT, RCV.WND and the state unchanged, nothing readable, the
        100 bytes retransmitted from SND.UNA at the RTO; the RST one off draws another challenge ACK and the
        connection stays; the RST at the challenge ACK's acknowledgment number resets it: CLOSED with
        ("Error", "ConnectionReset").
    Reference: RFC 5961 4.2 ("If the SYN bit is set, irrespective of the sequence number, TCP MUST send an
        ACK (also referred to as challenge ACK) ... After sending the acknowledgment, TCP MUST drop the
        unacceptable segment and stop processing further"; the peer's RST then derives from the ACK field).
    """
    peer, sock, snd_una, before = with_outstanding_data(dut)
    if state == "CLOSE-WAIT":
        peer.send("FA", ack=snd_una)
        peer.expect("A", timeout_ms=600)
        assert sock.state == "CLOSE-WAIT"
        dut.rebase()
        before = sock.info
    offset = {"at-rcv-nxt": 0, "in-window": 100, "below-window": -5000, "above-window": 100000}[where]
    peer.send("SPAF", b"y" * 20, seq=seq_add(peer.snd_nxt, offset), ack=seq_add(snd_una, 100), window=0,
              options=[], track=False)
    challenge = peer.expect("A", timeout_ms=10)
    assert challenge.seq == seq_add(snd_una, 100) and challenge.ack == peer.snd_nxt, peer.describe(challenge)
    dut.assert_dropped("tcp", "ChallengeAck", 1)
    info = sock.info
    for key in ("state", "snd_una", "snd_wnd", "rcv_nxt", "rcv_wnd"):
        assert info[key] == before[key], (key, before, info)
    assert sock.read() in (None, b"")  # CLOSE-WAIT: end of stream, no new data
    again = peer.expect("PA", timeout_ms=before["rto_ms"] + 100)
    assert again.seq == snd_una and len(payload_of(again)) == 100, peer.describe(again)
    assert sock.state == state
    peer.send("R", seq=seq_add(challenge.ack, 1), ack=0, track=False)
    second = peer.expect("A", timeout_ms=10)
    assert second.ack == challenge.ack
    assert sock.state == state
    peer.send("R", seq=challenge.ack, ack=0, track=False)
    peer.expect_silence(100)
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "ConnectionReset")
