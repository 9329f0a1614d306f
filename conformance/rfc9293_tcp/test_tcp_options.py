"""TCP options (RFC 9293 3.1, 3.2, 3.7.1; RFC 7323; RFC 2018): the mandatory set, options in any segment,
unknown options ignored, options at any alignment, the DUT's own option format, timestamps (echo, PAWS,
segments missing them) and SACK blocks the DUT reports.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest
from scapy.all import TCP

from harness.tcp_peer import (DUT_PORT, TcpPeer, bring_to_state, check_option_format, option_area, options_of,
                              payload_of, seq_add)


def listening(dut, port=DUT_PORT):
    listener = dut.tcp_socket()
    listener.bind(dut.wildcard, port)
    listener.listen(4)
    return listener


def raw_handshake(dut, listener, option_bytes, peer=None):
    """Handshake whose SYN carries `option_bytes` verbatim; returns (peer, SYN-ACK, accepted socket)."""
    peer = peer or TcpPeer(dut, mss=None)
    peer.snd_nxt = peer.iss
    segment = peer.build("S", option_bytes=option_bytes, ack=0)
    offered = options_of(TCP(segment))
    peer.mss = offered.get("MSS")
    peer.wscale = offered.get("WScale")
    peer.sack = bool(offered.get("SAckOK"))
    peer.timestamps = "Timestamp" in offered
    peer.send_raw(segment)
    peer.snd_nxt = seq_add(peer.iss, 1)
    synack = peer.expect("SA")
    assert synack.ack == peer.snd_nxt
    peer.send("A")
    sock = listener.accept()
    assert sock is not None
    return peer, synack, sock


def segment_sizes(peer, sock, total):
    sizes = []
    for _ in range(40):
        sizes += [len(payload_of(s)) for s in peer.collect(200) if payload_of(s)]
        peer.send("A")
        if len(peer.received) >= total:
            return sizes
    pytest.fail(f"only {len(peer.received)} of {total} bytes arrived")


MSS_400 = b"\x02\x04\x01\x90"


@pytest.mark.requirement("RFC9293:MUST-4", "RFC9293:MUST-14")
def test_mandatory_option_set(dut):
    """
    Purpose: the mandatory options (End of Option List, No-Operation, MSS) are understood.
    Setup: listener on 8080.
    Procedure: the peer's SYN carries NOP, NOP, MSS 400, EOL and one byte of zero padding (8 bytes);
        handshake; the DUT writes 1000 bytes.
    Judgement: the handshake completes; data segments carry at most 400 bytes, the first exactly 400.
    Reference: RFC 9293 3.2 (mandatory option set: EOL, NOP, MSS), 3.7.1.
    """
    listener = listening(dut)
    peer, synack, sock = raw_handshake(dut, listener, b"\x01\x01" + MSS_400 + b"\x00\x00")
    assert sock.write(bytes(1000)) == 1000
    sizes = segment_sizes(peer, sock, 1000)
    assert sizes[0] == 400 and max(sizes) <= 400, sizes


@pytest.mark.parametrize("area", [
    pytest.param(b"\x01" + MSS_400 + b"\x01\x01\x01", id="mss-at-offset-1"),
    pytest.param(b"\x01\x01\x01" + MSS_400 + b"\x01", id="mss-at-offset-3"),
    pytest.param(b"\x03\x03\x02" + MSS_400 + b"\x00", id="after-window-scale"),
    pytest.param(b"\x04\x02" + MSS_400 + b"\x01\x01", id="after-sack-permitted"),
])
@pytest.mark.requirement("RFC9293:MUST-64", "RFC9293:MUST-14")
def test_options_at_any_alignment(dut, area):
    """
    Purpose: options are parsed wherever they start, not only on 4-byte boundaries.
    Setup: listener on 8080.
    Procedure: the peer's SYN carries an MSS 400 option at an odd or unaligned offset (after NOPs, after a
        3-byte window scale option, after a 2-byte SACK-permitted option); handshake; the DUT writes 1000 bytes.
    Judgement: the handshake completes; the DUT honours MSS 400 (first segment exactly 400, none larger).
    Reference: RFC 9293 3.1 (Options; MUST-64: "without presuming any alignment").
    """
    listener = listening(dut)
    assert len(area) % 4 == 0
    peer, synack, sock = raw_handshake(dut, listener, area)
    assert sock.write(bytes(1000)) == 1000
    sizes = segment_sizes(peer, sock, 1000)
    assert sizes[0] == 400 and max(sizes) <= 400, sizes


@pytest.mark.parametrize("unknown", [
    pytest.param(b"\xfd\x04\xab\xcd", id="experimental-253"),
    pytest.param(b"\x63\x06\x01\x02\x03\x04\x01\x01", id="kind-99-len-6"),
    pytest.param(b"\x1e\x02\x01\x01", id="kind-30-len-2"),
])
@pytest.mark.requirement("RFC9293:MUST-6", "RFC9293:MUST-5")
def test_unknown_options_ignored(dut, unknown):
    """
    Purpose: options the DUT does not implement are skipped by their length, on the SYN and on data segments.
    Setup: listener on 8080.
    Procedure: the peer's SYN carries MSS 400 followed by an unknown option (`unknown`); handshake; then a
        data segment whose options are the same unknown option; the DUT writes 1000 bytes.
    Judgement: the SYN-ACK does not echo the unknown kind; the handshake completes; the 5 data bytes are
        acknowledged and read; MSS 400 is honoured; no BadOption drop.
    Reference: RFC 9293 3.1 (Options), 3.2 (MUST-6: "ignore without error any option it does not
        implement"; MUST-5: options in any segment).
    """
    listener = listening(dut)
    peer, synack, sock = raw_handshake(dut, listener, MSS_400 + unknown)
    assert unknown[0] not in [o[0] for o in synack.options if isinstance(o[0], int)]
    peer.send_raw(peer.build("PA", payload=b"hello", option_bytes=unknown))
    peer.snd_nxt = seq_add(peer.snd_nxt, 5)
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"hello"
    assert sock.write(bytes(1000)) == 1000
    sizes = segment_sizes(peer, sock, 1000)
    assert sizes[0] == 400 and max(sizes) <= 400, sizes
    assert dut.dropped("tcp", "BadOption") == 0


@pytest.mark.requirement("RFC9293:MUST-5")
def test_options_on_data_segments_accepted(dut):
    """
    Purpose: options may appear on any segment: NOP padding and an (ignored) MSS option on a data segment
        do not stop its delivery.
    Setup: ESTABLISHED.
    Procedure: the peer sends 5 bytes with options NOP NOP NOP NOP, then 5 bytes with an MSS option (which
        has no meaning outside SYN).
    Judgement: both are acknowledged and the application reads b"abcdefghij".
    Reference: RFC 9293 3.1, 3.2 (MUST-5).
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    peer.send_raw(peer.build("PA", payload=b"abcde", option_bytes=b"\x01\x01\x01\x01"))
    peer.snd_nxt = seq_add(peer.snd_nxt, 5)
    peer.send_raw(peer.build("PA", payload=b"fghij", option_bytes=MSS_400))
    peer.snd_nxt = seq_add(peer.snd_nxt, 5)
    acks = peer.collect(600)
    assert acks and acks[-1].ack == peer.snd_nxt
    assert sock.read() == b"abcdefghij"


@pytest.mark.requirement("RFC9293:MUST-68", "RFC9293:MUST-69", "RFC9293:MUST-65")
def test_dut_option_format(dut):
    """
    Purpose: the options the DUT emits are well formed: every option except EOL and NOP has a length octet
        counting kind and length, the area is padded to a multiple of 4 with zeros after an EOL, and MSS
        appears only on SYN segments.
    Setup: listener on 8080; the peer offers MSS, SACK-permitted, timestamps and window scale.
    Procedure: handshake; the DUT writes 100 bytes; the peer sends a segment out of order (so the DUT's ACK
        carries SACK).
    Judgement: on the SYN-ACK, the data segment and the ACK: the option area parses with no problem
        (harness check_option_format) and is a multiple of 4 bytes; MSS only on the SYN-ACK.
    Reference: RFC 9293 3.1 (Options: "MUST-68 length", "MUST-69 padding with zeros"), 3.7.1 (MUST-65).
    """
    listener = listening(dut)
    peer = TcpPeer(dut, wscale=3, sack=True, timestamps=True)
    sock = peer.handshake_to(listener)
    assert sock.write(bytes(100)) == 100
    peer.expect("PA", timeout_ms=200)
    peer.send("PA", b"later", seq=seq_add(peer.snd_nxt, 100), track=False)
    peer.expect("A", timeout_ms=500)
    for frame in peer.segments:
        tcp = frame["TCP"]
        area = option_area(tcp)
        assert len(area) % 4 == 0
        assert check_option_format(area, bool(tcp.flags.S)) == []
        assert ("MSS" in options_of(tcp)) == bool(tcp.flags.S)


# ---- timestamps (RFC 7323) --------------------------------------------------------------------------------


def ts_established(dut):
    return bring_to_state(dut, "ESTABLISHED", passive=True, timestamps=True)


@pytest.mark.requirement("RFC7323:TS-1", "RFC7323:TS-8", "RFC7323:TS-11", "RFC7323:TS-12")
def test_timestamps_echoed_and_monotonic(dut):
    """
    Purpose: with timestamps negotiated, every DUT segment carries TSopt; TSecr echoes the TSval of the
        segment that advanced the window (TS.Recent); the DUT's own TSval grows with its clock at a rate
        between 1 ms and 1 s per tick.
    Setup: passive ESTABLISHED with timestamps.
    Procedure: the peer sends 10 bytes with TSval T1; reads the ACK; 1000 ms later sends 10 more with TSval
        T2 (its clock ticks 1 ms); reads the ACK.
    Judgement: each ACK has a Timestamp option with TSecr = the TSval just sent (T1, then T2); between the two
        ACKs (e ms apart) the DUT's TSval grew by at least max(1, e/1000) and at most e (+10): a clock
        ticking between once per ms and once per second.
    Reference: RFC 7323 3.2, 4.3 (TS.Recent), 5.4 (timestamp clock).
    """
    peer, sock = ts_established(dut)
    peer.send("PA", b"0123456789")
    first = peer.expect("A", timeout_ms=500)
    first_at = dut.now_ms
    assert options_of(first)["Timestamp"][1] == peer.last_tsval
    dut.advance(1000)
    peer.send("PA", b"abcdefghij")
    second = peer.expect("A", timeout_ms=500)
    elapsed = dut.now_ms - first_at
    assert options_of(second)["Timestamp"][1] == peer.last_tsval
    delta = (options_of(second)["Timestamp"][0] - options_of(first)["Timestamp"][0]) % (1 << 32)
    assert max(1, elapsed // 1000) <= delta <= elapsed + 10 + dut.time_tolerance_ms, (delta, elapsed)


@pytest.mark.requirement("RFC7323:PAWS-1", "RFC7323:PAWS-2")
def test_paws_rejects_old_timestamp(dut):
    """
    Purpose: PAWS: a segment whose TSval is older than TS.Recent is not acceptable: it is acknowledged and
        dropped; its data is not delivered.
    Setup: passive ESTABLISHED with timestamps; the peer sent 10 bytes with TSval T (TS.Recent = T).
    Procedure: the peer sends the next 10 bytes (in sequence) with TSval T - 1000.
    Judgement: an ACK with ack = RCV.NXT (not covering the 10 bytes) and TSecr = T; tcp PawsRejected +1; the
        application reads only the first 10 bytes; a resend with TSval T + 1 is accepted.
    Reference: RFC 7323 5.3 (R1), 5.2.
    """
    peer, sock = ts_established(dut)
    peer.send("PA", b"first-part")
    peer.expect("A", timeout_ms=500)
    recent = peer.last_tsval
    dut.rebase()
    start = peer.snd_nxt
    peer.send("PA", b"stale-data", track=False,
              options=[("NOP", None), ("NOP", None), ("Timestamp", ((recent - 1000) % (1 << 32), peer.ts_recent))])
    ack = peer.expect("A", timeout_ms=500)
    assert ack.ack == start
    assert options_of(ack)["Timestamp"][1] == recent
    dut.assert_dropped("tcp", "PawsRejected", 1)
    assert sock.read() == b"first-part"
    peer.send("PA", b"fresh-data",
              options=[("NOP", None), ("NOP", None), ("Timestamp", ((recent + 1) % (1 << 32), peer.ts_recent))])
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"fresh-data"


@pytest.mark.requirement("RFC7323:TS-4", "RFC7323:TS-5", "RFC7323:PAWS-3")
def test_segment_without_timestamp_dropped_after_negotiation(dut):
    """
    Purpose: once timestamps are negotiated, a non-RST segment without TSopt is dropped; a RST without TSopt
        is still processed.
    Setup: passive ESTABLISHED with timestamps.
    Procedure: the peer sends 10 bytes without any option; then a RST at RCV.NXT without options.
    Judgement: the data is not delivered and not acknowledged (silence, 600 ms); tcp MissingTimestamp +1; the
        RST resets the connection (CLOSED, ("Error", "ConnectionReset")).
    Reference: RFC 7323 3.2 ("a TCP SHOULD silently drop" non-RST segments without TSopt; RSTs are accepted).
    """
    peer, sock = ts_established(dut)
    dut.rebase()
    peer.send("PA", b"no-option!", options=[], track=False)
    peer.expect_silence(600)
    dut.assert_dropped("tcp", "MissingTimestamp", 1)
    assert sock.read() is None
    peer.send("R", seq=peer.snd_nxt, ack=0, options=[], track=False)
    peer.expect_silence(200)
    assert sock.state == "CLOSED"
    assert sock.events[-1] == ("Error", "ConnectionReset")


# ---- SACK (RFC 2018) --------------------------------------------------------------------------------------


@pytest.mark.requirement("RFC2018:R1", "RFC2018:R3", "RFC2018:R7", "RFC2018:R8", "RFC2018:R10")
def test_sack_blocks_report_out_of_order_data(dut):
    """
    Purpose: with SACK permitted, the ACK for out-of-order data carries a SACK block for it, the most recent
        block first.
    Setup: passive ESTABLISHED, SACK permitted by both.
    Procedure: the peer sends bytes 100..199 (skipping 0..99), then bytes 300..399.
    Judgement: the first duplicate ACK (ack = RCV.NXT) has SACK block [RCV.NXT+100, RCV.NXT+200); the second
        has [RCV.NXT+300, RCV.NXT+400) first, then [RCV.NXT+100, RCV.NXT+200).
    Reference: RFC 2018 3, 4 ("the first SACK block MUST specify the contiguous block of data containing the
        segment which triggered this ACK").
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", passive=True, sack=True)
    start = peer.snd_nxt
    peer.send("PA", bytes(100), seq=seq_add(start, 100), track=False)
    first = peer.expect("A", timeout_ms=500)
    assert first.ack == start
    assert options_of(first).get("SAck") == [(seq_add(start, 100), seq_add(start, 200))], options_of(first)
    peer.send("PA", bytes(100), seq=seq_add(start, 300), track=False)
    second = peer.expect("A", timeout_ms=500)
    assert second.ack == start
    assert options_of(second).get("SAck") == [(seq_add(start, 300), seq_add(start, 400)),
                                              (seq_add(start, 100), seq_add(start, 200))], options_of(second)
