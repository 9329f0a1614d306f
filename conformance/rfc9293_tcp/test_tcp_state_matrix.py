"""The state x segment matrix: RFC 9293 3.10.7 ("SEGMENT ARRIVES") for every one of the eleven states and
fourteen kinds of arriving segment, with RFC 5961's changes where it overrides RFC 9293 (an in-window RST or
a SYN in a synchronized state draws a challenge ACK; an ACK beyond SND.NXT draws an ACK).

Each cell: bring a DUT connection into the state (harness/tcp_peer.bring_to_state), send one segment, and
judge (1) what the DUT sends in reply (nothing, an ACK with exact seq/ack, a RST of the right form, a SYN-ACK),
(2) the connection's state afterwards, (3) events reported to the application, (4) data delivered or not,
(5) the drop counters that moved (exactly).

Segment kinds (relative to the peer's tracked state; RCV.NXT/SND.NXT/SND.UNA are the DUT's):
    SYN             SYN, seq = RCV.NXT (in window)
    SYN-ACK         SYN+ACK, seq = RCV.NXT, ack = SND.NXT
    ACK             ACK of everything sent, seq = RCV.NXT
    ACK-old         ACK below SND.UNA (a duplicate of an old acknowledgment; SEG.ACK =< ISS before synchronization)
    ACK-future      ACK = SND.NXT + 1000 (acknowledges data never sent)
    RST-exact       RST, seq = RCV.NXT
    RST-in-window   RST, seq = RCV.NXT + 100 (inside the receive window, not exact)
    RST-outside     RST, seq = RCV.NXT + 2**30 (outside the window)
    FIN             FIN+ACK at RCV.NXT (a retransmission of the peer's FIN, seq = RCV.NXT - 1, once the DUT
                    has received it); its ACK does not acknowledge a FIN of the DUT
    data            100 bytes at RCV.NXT (in window)
    data-partly     100 bytes at RCV.NXT - 50 (the first 50 already received: acceptable, trimmed)
    data-outside    100 bytes at RCV.NXT + 2**30
    data-old        100 bytes ending 100 before RCV.NXT (a duplicate)
In SYN-SENT there is no receive window yet: the RST kinds become RST+ACK acknowledging the SYN (exact), RST+ACK
with a wrong ACK (in-window column) and RST without ACK (outside column), per 3.10.7.3.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only.
"""

import pytest
from scapy.all import TCP

from harness.tcp_peer import STATES, bring_to_state, flag_bits, flag_text, payload_of, seq_add

SEGMENTS = ("SYN", "SYN-ACK", "ACK", "ACK-old", "ACK-future", "RST-exact", "RST-in-window", "RST-outside", "FIN",
            "data", "data-partly", "data-outside", "data-old")
DATA = bytes(range(100))
FAR = 1 << 30

# ---- expected reactions ---------------------------------------------------------------------------------------
# A reaction is one of
#   ("silence",)                 nothing from the DUT for 300 ms
#   ("ack", advance)             an ACK (flags exactly A), seq = DUT's SND.NXT, ack = RCV.NXT + advance
#   ("rst-seq-ack",)             RST (flags exactly R), seq = SEG.ACK                      (3.10.7.1/2/3/4)
#   ("rst-ack",)                 RST+ACK, seq = 0, ack = SEG.SEQ + SEG.LEN                 (3.10.7.1)
#   ("syn-ack",)                 SYN+ACK, ack = SEG.SEQ + 1 (seq = the DUT's ISS in SYN-SENT)
#   ("ignored",)                 text ignored (3.10.7.4 seventh): no RST, nothing acknowledging the data
# Expectation: (reaction, state after, new events, bytes readable, drops {reason: n} in module tcp)
# "same" as the state after means unchanged.

CHALLENGE = ("ack", 0)  # RFC 5961 3.2 / 4.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
RESET = ("Error", "ConnectionReset")
REFUSED = ("Error", "ConnectionRefused")


def _closed():
    table = {}
    for kind in SEGMENTS:
        if kind.startswith("RST"):
            table[kind] = (("silence",), "CLOSED", [], None, {"NoSocket": 1})
        elif kind == "SYN":
            table[kind] = (("rst-ack",), "CLOSED", [], None, {"NoSocket": 1})
        else:
            table[kind] = (("rst-seq-ack",), "CLOSED", [], None, {"NoSocket": 1})
    return table


def _listen():
    table = {}
    for kind in SEGMENTS:
        if kind == "SYN":
            table[kind] = (("syn-ack",), "LISTEN", [], None, {})
        elif kind.startswith("RST"):
            table[kind] = (("silence",), "LISTEN", [], None, {"InvalidState": 1})
        else:
            table[kind] = (("rst-seq-ack",), "LISTEN", [], None, {"BadAck": 1})
    return table


def _syn_sent():
    silent = (("silence",), "SYN-SENT", [], None, {"BadFlags": 1})
    return {
        "SYN": (("syn-ack",), "SYN-RECEIVED", [], None, {}),
        "SYN-ACK": (("ack", 1), "ESTABLISHED", [("Connected", "Ok")], None, {}),
        "ACK": silent,
        "ACK-old": (("rst-seq-ack",), "SYN-SENT", [], None, {"BadAck": 1}),
        "ACK-future": (("rst-seq-ack",), "SYN-SENT", [], None, {"BadAck": 1}),
        "RST-exact": (("silence",), "CLOSED", [REFUSED], None, {}),
        "RST-in-window": (("silence",), "SYN-SENT", [], None, {"BadAck": 1}),
        "RST-outside": silent,  # RST without ACK
        "FIN": silent,
        "data": silent,
        "data-partly": silent,
        "data-outside": silent,
        "data-old": silent,
    }


def _synchronized(state, after_ack, after_fin, data_state, rst_events, fin_ack, data_delivered):
    """Rows of the synchronized states (and SYN-RECEIVED) that share one shape."""
    same = state
    out_of_window = {"OutOfWindow": 1}
    if data_delivered:
        data = (("ack", 100), data_state, [], DATA, {})
        partly = (("ack", 50), data_state, [], DATA[50:], {})
    else:
        data = (("ignored",), same, [], None, {"InvalidState": 1})
        partly = (("ignored",), same, [], None, {"InvalidState": 1})
    return {
        "SYN": (CHALLENGE, same, [], None, {"ChallengeAck": 1}),
        "SYN-ACK": (CHALLENGE, same, [], None, {"ChallengeAck": 1}),
        "ACK": (("silence",), after_ack, [], None, {}),
        "ACK-old": (("silence",), same, [], None, {}),
        "ACK-future": (("ack", 0), same, [], None, {"BadAck": 1}),
        "RST-exact": (("silence",), "CLOSED", rst_events, None, {}),
        "RST-in-window": (CHALLENGE, same, [], None, {"ChallengeAck": 1}),
        "RST-outside": (("silence",), same, [], None, out_of_window),
        # Once the peer's FIN is in, "FIN" is its retransmission: below RCV.NXT, unacceptable, ACKed.
        "FIN": (("ack", fin_ack), after_fin, [("PeerClosed", "Ok")] if fin_ack else [], None,
                {} if fin_ack else out_of_window),
        "data": data,
        "data-partly": partly,
        "data-outside": (("ack", 0), same, [], None, out_of_window),
        "data-old": (("ack", 0), same, [], None, out_of_window),
    }


def _syn_received():
    table = _synchronized("SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "ESTABLISHED", [REFUSED], 1, True)
    # Before the handshake completes an unacceptable ACK draws a RST <SEQ=SEG.ACK> (3.10.7.4 fifth, SYN-RECEIVED)
    table["ACK-old"] = (("rst-seq-ack",), "SYN-RECEIVED", [], None, {"BadAck": 1})
    table["ACK-future"] = (("rst-seq-ack",), "SYN-RECEIVED", [], None, {"BadAck": 1})
    table["ACK"] = (("silence",), "ESTABLISHED", [("Connected", "Ok")], None, {})
    connected = [("Connected", "Ok")]
    table["FIN"] = (("ack", 1), "CLOSE-WAIT", connected + [("PeerClosed", "Ok")], None, {})
    table["data"] = (("ack", 100), "ESTABLISHED", connected, DATA, {})
    table["data-partly"] = (("ack", 50), "ESTABLISHED", connected, DATA[50:], {})
    return table


EXPECTED = {
    "CLOSED": _closed(),
    "LISTEN": _listen(),
    "SYN-SENT": _syn_sent(),
    "SYN-RECEIVED": _syn_received(),
    "ESTABLISHED": _synchronized("ESTABLISHED", "ESTABLISHED", "CLOSE-WAIT", "ESTABLISHED", [RESET], 1, True),
    "FIN-WAIT-1": _synchronized("FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "FIN-WAIT-1", [RESET], 1, True),
    "FIN-WAIT-2": _synchronized("FIN-WAIT-2", "FIN-WAIT-2", "TIME-WAIT", "FIN-WAIT-2", [RESET], 1, True),
    "CLOSE-WAIT": _synchronized("CLOSE-WAIT", "CLOSE-WAIT", "CLOSE-WAIT", "CLOSE-WAIT", [RESET], 0, False),
    "CLOSING": _synchronized("CLOSING", "TIME-WAIT", "CLOSING", "CLOSING", [], 0, False),
    "LAST-ACK": _synchronized("LAST-ACK", "CLOSED", "LAST-ACK", "LAST-ACK", [], 0, False),
    "TIME-WAIT": _synchronized("TIME-WAIT", "TIME-WAIT", "TIME-WAIT", "TIME-WAIT", [], 0, False),
}

# Requirement ids per cell (beyond the matrix's own).
R5961_RST = "RFC5961:R3.2-challenge"
R5961_RST_OUT = "RFC5961:R3.2-outside"
R5961_RST_EXACT = "RFC5961:R3.2-exact"
R5961_SYN = "RFC5961:R4.2-challenge"
R5961_ACK = "RFC5961:R5.2-ack"


def cell_requirements(state, kind):
    ids = []
    if kind == "RST-in-window" and state not in ("CLOSED", "LISTEN", "SYN-SENT"):
        ids.append(R5961_RST)
    if kind == "RST-outside" and state not in ("CLOSED", "LISTEN", "SYN-SENT"):
        ids.append(R5961_RST_OUT)
    if kind == "RST-exact" and state not in ("CLOSED", "LISTEN", "SYN-SENT"):
        ids += [R5961_RST_EXACT, "RFC9293:MUST-12"] if EXPECTED[state][kind][2] else [R5961_RST_EXACT]
    if kind in ("SYN", "SYN-ACK") and state not in ("CLOSED", "LISTEN", "SYN-SENT"):
        ids.append(R5961_SYN)
    if kind == "ACK-future" and state not in ("CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED"):
        ids.append(R5961_ACK)
    if state == "SYN-SENT" and kind == "SYN":
        ids.append("RFC9293:MUST-10")
    if state == "SYN-SENT" and kind == "RST-exact":
        ids.append("RFC9293:MUST-12")
    if state == "TIME-WAIT" and kind == "FIN":
        ids.append("RFC9293:MUST-13")
    return ids


def cells():
    for state in STATES:
        for kind in SEGMENTS:
            marks = [pytest.mark.requirement(*cell_requirements(state, kind))] if cell_requirements(state, kind) else []
            yield pytest.param(state, kind, id=f"{state}-{kind}", marks=marks)


# ---- the segment of each kind ---------------------------------------------------------------------------------


def segment_fields(peer, state, kind):
    """send() arguments for `kind` in `state` (see the module docstring)."""
    rcv_nxt = peer.snd_nxt  # the DUT's RCV.NXT (ours is snd_nxt)
    snd_nxt = peer.rcv_nxt  # the DUT's SND.NXT
    if state in ("SYN-SENT", "SYN-RECEIVED"):
        snd_una = peer.dut_isn
    elif state in ("CLOSED", "LISTEN"):
        snd_una = snd_nxt
    else:
        snd_una = peer.acked
    # The acknowledgment carried by FIN and data: in SYN-SENT/SYN-RECEIVED it acknowledges the DUT's SYN;
    # later it repeats the last acknowledgment (so a FIN of the DUT stays unacknowledged).
    if state in ("CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED"):
        carried_ack = snd_nxt
    else:
        carried_ack = peer.acked
    after_peer_fin = state in ("CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT")
    if kind == "SYN":
        return dict(flags="S", seq=rcv_nxt, ack=0)
    if kind == "SYN-ACK":
        return dict(flags="SA", seq=rcv_nxt, ack=snd_nxt)
    if kind == "ACK":
        return dict(flags="A", seq=rcv_nxt, ack=snd_nxt)
    if kind == "ACK-old":
        old = snd_una if state in ("SYN-SENT", "SYN-RECEIVED") else seq_add(snd_una, -1)
        return dict(flags="A", seq=rcv_nxt, ack=old)
    if kind == "ACK-future":
        return dict(flags="A", seq=rcv_nxt, ack=seq_add(snd_nxt, 1000))
    if state == "SYN-SENT" and kind.startswith("RST"):
        if kind == "RST-exact":
            return dict(flags="RA", seq=0, ack=snd_nxt)
        if kind == "RST-in-window":
            return dict(flags="RA", seq=0, ack=seq_add(snd_nxt, 99))
        return dict(flags="R", seq=0, ack=0)
    if kind == "RST-exact":
        return dict(flags="R", seq=rcv_nxt, ack=0)
    if kind == "RST-in-window":
        return dict(flags="R", seq=seq_add(rcv_nxt, 100), ack=0)
    if kind == "RST-outside":
        return dict(flags="R", seq=seq_add(rcv_nxt, FAR), ack=0)
    if kind == "FIN":
        return dict(flags="FA", seq=seq_add(rcv_nxt, -1) if after_peer_fin else rcv_nxt, ack=carried_ack)
    if kind == "data":
        return dict(flags="PA", seq=rcv_nxt, ack=carried_ack, payload=DATA)
    if kind == "data-partly":
        return dict(flags="PA", seq=seq_add(rcv_nxt, -50), ack=carried_ack, payload=DATA)
    if kind == "data-outside":
        return dict(flags="PA", seq=seq_add(rcv_nxt, FAR), ack=carried_ack, payload=DATA)
    if kind == "data-old":
        return dict(flags="PA", seq=seq_add(rcv_nxt, -200), ack=carried_ack, payload=DATA)
    raise ValueError(kind)


# ---- judging --------------------------------------------------------------------------------------------------


def judge_reply(peer, state, reaction, sent, rcv_nxt_before, snd_nxt_before):
    """Check the DUT's reply against `reaction`. rcv_nxt_before/snd_nxt_before: the DUT's RCV.NXT/SND.NXT."""
    kind = reaction[0]
    if kind == "silence":
        peer.expect_silence(300)
        return
    if kind == "ignored":
        for tcp in peer.collect(300):
            bits = int(tcp.flags)
            assert not bits & flag_bits("R"), f"data after the peer's FIN drew a RST: {peer.describe(tcp)}"
            assert tcp.ack == rcv_nxt_before, f"the ignored text was acknowledged: {peer.describe(tcp)}"
            assert not payload_of(tcp) and bits == flag_bits("A"), f"unexpected segment {peer.describe(tcp)}"
        return
    if kind == "ack":
        # A data ACK may be delayed, but by less than 0.5 s (MUST-40).
        tcp = peer.expect("A", timeout_ms=500)
        assert tcp.seq == snd_nxt_before, f"ACK seq {tcp.seq}, expected SND.NXT {snd_nxt_before}"
        assert tcp.ack == seq_add(rcv_nxt_before, reaction[1]), (
            f"ACK acknowledges {tcp.ack}, expected RCV.NXT + {reaction[1]} = {seq_add(rcv_nxt_before, reaction[1])}")
        assert not payload_of(tcp)
        peer.expect_silence(300)
        return
    if kind == "rst-seq-ack":
        tcp = peer.expect("R", timeout_ms=100)
        assert tcp.seq == sent.ack, f"RST seq {tcp.seq}, expected SEG.ACK {sent.ack}"
        assert not payload_of(tcp)
        peer.expect_silence(300)
        return
    if kind == "rst-ack":
        tcp = peer.expect("RA", timeout_ms=100)
        bits = int(sent.flags)
        seg_len = len(payload_of(sent)) + bool(bits & flag_bits("S")) + bool(bits & flag_bits("F"))
        assert tcp.seq == 0, f"RST,ACK seq {tcp.seq}, expected 0"
        assert tcp.ack == seq_add(sent.seq, seg_len), f"RST,ACK ack {tcp.ack}, expected SEG.SEQ+SEG.LEN"
        peer.expect_silence(300)
        return
    if kind == "syn-ack":
        tcp = peer.expect("SA", timeout_ms=100)
        assert tcp.ack == seq_add(sent.seq, 1), f"SYN-ACK acknowledges {tcp.ack}, expected {sent.seq + 1}"
        if state == "SYN-SENT":
            assert tcp.seq == seq_add(snd_nxt_before, -1), "simultaneous open: the SYN-ACK must carry the ISS"
        peer.expect_silence(300)
        return
    raise ValueError(kind)


@pytest.mark.requirement("RFC9293:MUST-2", "RFC9293:MUST-3")
@pytest.mark.parametrize("state,kind", list(cells()))
def test_state_segment_matrix(dut, state, kind):
    """
    Purpose: every state reacts to every kind of arriving segment as RFC 9293 3.10.7 says (with RFC 5961's
        challenge ACKs replacing resets and SYN handling in synchronized states).
    Setup: a DUT connection brought into `state` by harness/tcp_peer.bring_to_state (DUT active opener except
        LISTEN; SYN-RECEIVED by simultaneous open, so its state is observable); counters rebased.
    Procedure: the peer sends one segment of `kind` (see the module docstring), then waits up to 800 ms.
    Judgement: the reply (or silence) is exactly the one in EXPECTED[state][kind]: exact flags, seq and ack;
        dut_socket.state is the state after; the new socket events (other than Readable/Writable) are exactly
        the listed ones; data is
        readable only where delivered (and exactly the new bytes); the tcp drop counters that moved are
        exactly the listed ones.
    Reference: RFC 9293 3.10.7.1 (CLOSED), 3.10.7.2 (LISTEN), 3.10.7.3 (SYN-SENT), 3.10.7.4 (other states);
        RFC 5961 3.2, 4.2, 5.2.
    """
    peer, sock = bring_to_state(dut, state)
    reaction, state_after, events, readable, drops = EXPECTED[state][kind]
    fields = segment_fields(peer, state, kind)
    rcv_nxt_before, snd_nxt_before = peer.snd_nxt, peer.rcv_nxt
    events_before = len(sock.events)
    dut.rebase()
    frame = peer.send(track=False, **fields)
    sent = frame[TCP]
    judge_reply(peer, state, reaction, sent, rcv_nxt_before, snd_nxt_before)

    expected_state = state if state_after == "same" else state_after
    assert sock.state == expected_state, f"state after {kind} in {state}: {sock.state}, expected {expected_state}"
    # Readable/Writable are level-style notifications (data is judged by read() below); the events that
    # report the connection's fate are compared exactly.
    new_events = [e for e in list(sock.events)[events_before:] if e[0] not in ("Readable", "Writable")]
    assert new_events == events, f"events after {kind} in {state}: {new_events}, expected {events}"
    if state not in ("CLOSED", "LISTEN", "SYN-SENT") and expected_state not in ("CLOSED", "SYN-RECEIVED"):
        got = sock.read()
        if readable is None:
            assert got in (None, b""), f"{kind} in {state} delivered {got!r}"
        else:
            assert got == readable, f"{kind} in {state}: read {got!r}, expected {readable!r}"
    moved = dut.drop_changes().get("tcp", {})
    assert moved == drops, (
        f"tcp drops after {kind} ({flag_text(int(sent.flags))}) in {state}: {moved}, expected {drops}")
