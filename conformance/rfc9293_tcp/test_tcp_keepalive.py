"""Keep-alives (RFC 9293 3.8.4, RFC 1122 4.2.3.6): off by default, on request, only after idleness, the
interval configurable with a default of at least two hours, tolerant of lost ACKs, and the connection
dropped (TimedOut) when the peer stays silent.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest

from harness.tcp_peer import bring_to_state, payload_of, seq_add

TWO_HOURS = 2 * 3600 * 1000


def established(dut, **kw):
    return bring_to_state(dut, "ESTABLISHED", **kw)


def is_keepalive(peer, tcp):
    """A keep-alive: ACK with seq = SND.NXT - 1 (zero or one garbage octet) acknowledging RCV.NXT."""
    return (tcp.flags == "A" and tcp.seq == seq_add(peer.rcv_nxt, -1) and len(payload_of(tcp)) <= 1 and
            tcp.ack == peer.snd_nxt)


@pytest.mark.requirement("RFC9293:MUST-25", "RFC9293:MUST-28")
def test_keepalive_off_by_default(dut):
    """
    Purpose: keep-alives are off unless requested: an idle connection stays silent for hours; the default
        idle time is at least two hours.
    Setup: ESTABLISHED.
    Procedure: read get_option("KeepAlive") and get_option("KeepIdle"); 3 hours of idle virtual time (1 s steps).
    Judgement: KeepAlive is 0; KeepIdle >= 7 200 000 ms; nothing is sent in 3 hours; still ESTABLISHED.
    Reference: RFC 9293 3.8.4 ("MUST default to off", "MUST be no less than two hours"), RFC 1122 4.2.3.6.
    """
    peer, sock = established(dut)
    assert sock.get_option("KeepAlive") == 0
    assert sock.get_option("KeepIdle") >= TWO_HOURS
    dut.step_ms = 1000
    peer.expect_silence(3 * 3600 * 1000)
    assert sock.state == "ESTABLISHED"


@pytest.mark.requirement("RFC9293:MUST-24", "RFC9293:MUST-28", "RFC9293:MAY-5")
def test_keepalive_default_interval_two_hours(dut):
    """
    Purpose: keep-alives turned on with the default idle time probe after two hours of idleness, not sooner.
    Setup: ESTABLISHED; set_option("KeepAlive", 1).
    Procedure: virtual time runs (1 s steps) for two hours minus 10 s, then up to 30 s more.
    Judgement: nothing before 2 h - 10 s; a keep-alive (seq = SND.NXT - 1, ack = RCV.NXT, at most 1 octet)
        within the next 30 s (KeepIdle after the last segment).
    Reference: RFC 9293 3.8.4, RFC 1122 4.2.3.6.
    """
    peer, sock = established(dut)
    sock.set_option("KeepAlive", 1)
    idle = sock.get_option("KeepIdle")
    assert idle >= TWO_HOURS
    dut.step_ms = 1000
    peer.expect_silence(idle - 10_000)
    probe = peer.expect("A", timeout_ms=30_000)
    assert is_keepalive(peer, probe), peer.describe(probe)


@pytest.mark.requirement("RFC9293:MUST-24", "RFC9293:MUST-26", "RFC9293:MUST-27", "RFC9293:SHLD-12",
                         "RFC9293:MUST-29")
def test_keepalive_probes_after_idle_and_tolerates_lost_acks(dut):
    """
    Purpose: with keep-alive on and a configured idle time, a probe comes only after that much idleness; an
        answered probe keeps the connection; unanswered probes are repeated at the interval (a lost ACK is
        not fatal).
    Setup: ESTABLISHED; KeepAlive 1, KeepIdle 10 000 ms, KeepInterval 2 000 ms, KeepCount 3.
    Procedure: at 6 s the peer sends 10 bytes (activity restarts the idle time); the peer answers the first
        probe; then ignores the next one; then answers the one after.
    Judgement: the first probe comes 10 s (+-100 ms) after the last segment exchanged (not 10 s after the
        option was set), with seq = SND.NXT - 1, ack = RCV.NXT, no more than one octet of data (preferably
        none); after the answered probe the next probe comes 10 s later; the unanswered one is repeated 2 s
        later; after it is answered the connection is ESTABLISHED, no Error event.
    Reference: RFC 9293 3.8.4 (MUST-24/26/27/29, SHLD-12), RFC 1122 4.2.3.6.
    """
    peer, sock = established(dut)
    sock.set_option("KeepAlive", 1)
    sock.set_option("KeepIdle", 10_000)
    sock.set_option("KeepInterval", 2_000)
    sock.set_option("KeepCount", 3)
    peer.expect_silence(6_000)
    peer.send("PA", b"activity!!")
    peer.expect("A", timeout_ms=500)
    last = dut.now_ms
    seen = peer.watch(12_000, stop=lambda s: True)
    assert seen, "no keep-alive within 12 s of idleness"
    when, probe = seen[0]
    assert is_keepalive(peer, probe), peer.describe(probe)
    assert abs((when - last) - 10_000) <= 600, when - last  # the activity's ACK may have been delayed 500 ms
    peer.send("A")  # answer
    t = dut.now_ms
    when, probe = peer.watch(12_000, stop=lambda s: True)[0]
    assert is_keepalive(peer, probe) and abs((when - t) - 10_000) <= 100, when - t
    t = dut.now_ms  # not answered
    seen = peer.watch(3_000, stop=lambda s: True)
    assert seen, "no repeated keep-alive after an unanswered one"
    when, probe = seen[0]
    assert is_keepalive(peer, probe) and abs((when - t) - 2_000) <= 100, when - t
    peer.send("A")
    assert sock.state == "ESTABLISHED"
    assert not [e for e in sock.events if e[0] == "Error"]


@pytest.mark.requirement("RFC9293:MUST-24", "RFC9293:MUST-12")
def test_keepalive_drops_dead_connection(dut):
    """
    Purpose: when the peer answers no keep-alive, the connection is dropped after KeepCount probes and the
        application is told TimedOut.
    Setup: ESTABLISHED; KeepAlive 1, KeepIdle 5 000, KeepInterval 1 000, KeepCount 3.
    Procedure: the peer stays silent for 20 s.
    Judgement: exactly 3 keep-alives, at 5 s, 6 s, 7 s (+-100 ms) after the last exchange; then
        ("Error", "TimedOut") and state CLOSED within another interval (by 8.1 s); nothing but possibly one
        RST afterwards.
    Reference: RFC 9293 3.8.4, 3.8.3; RFC 1122 4.2.3.6.
    """
    peer, sock = established(dut)
    sock.set_option("KeepAlive", 1)
    sock.set_option("KeepIdle", 5_000)
    sock.set_option("KeepInterval", 1_000)
    sock.set_option("KeepCount", 3)
    t0 = dut.now_ms
    seen = peer.watch(20_000)
    probes = [(w - t0, s) for w, s in seen if not s.flags.R]
    resets = [s for _, s in seen if s.flags.R]
    assert [round(w / 100) * 100 for w, _ in probes] == [5000, 6000, 7000], [w for w, _ in probes]
    assert all(is_keepalive(peer, s) for _, s in probes)
    assert len(resets) <= 1
    assert ("Error", "TimedOut") in list(sock.events)
    assert sock.state == "CLOSED"
