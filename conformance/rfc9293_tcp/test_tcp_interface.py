"""The user/TCP interface (RFC 9293 3.9.1) as far as it shows on the wire: passive OPENs next to existing
connections, TTL and Diffserv set by the application, errors reported to it.

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import pytest

import picotcp
from harness.tcp_peer import DUT_PORT, PEER_PORT, TcpPeer, bring_to_state, payload_of


@pytest.mark.requirement("RFC9293:MUST-42")
@pytest.mark.stack_choice("the binding lets a listener bind the port of an opening connection; the BSD sockets "
                          "API refuses that second bind without SO_REUSEADDR (RFC 9293 has no bind call)")
def test_listen_while_connection_on_same_port_is_opening(dut):
    """
    Purpose: an application can LISTEN on a port while a connection with the same local port is in SYN-SENT;
        both then work.
    Setup: fresh DUT.
    Procedure: socket A bound to the wildcard address (0.0.0.0 / ::), port 8080, connects to the peer
        (198.18.0.1 / 2001:db8::1), port 40000 (SYN-SENT); socket B binds the wildcard address, port 8080, and
        listens; the peer answers A's SYN; a second peer (port 40001) connects to B.
    Judgement: B's bind and listen succeed; A reaches ESTABLISHED from local port 8080; B accepts the second
        peer's connection (remote port 40001); A's state is unaffected by B's handshake.
    Reference: RFC 9293 3.9.1.1 (OPEN, MUST-42).
    """
    a = dut.tcp_socket()
    a.bind(dut.wildcard, DUT_PORT)
    peer_a = TcpPeer(dut, sport=PEER_PORT, dport=None)
    a.connect(dut.peer_addr, PEER_PORT)
    syn = peer_a.expect_syn()
    assert syn.sport == DUT_PORT and a.state == "SYN-SENT"
    b = dut.tcp_socket()
    b.bind(dut.wildcard, DUT_PORT)
    b.listen(4)
    assert b.state == "LISTEN"
    peer_a.handshake_from(a, connect=False, syn=syn)
    peer_b = TcpPeer(dut, sport=PEER_PORT + 1, dport=DUT_PORT)
    accepted = peer_b.handshake_to(b)
    assert accepted.remote == (dut.peer_addr, PEER_PORT + 1)
    assert a.state == "ESTABLISHED"


@pytest.mark.requirement("RFC9293:MUST-41")
@pytest.mark.stack_choice("the binding lets a listener bind the port of an open connection; the BSD sockets "
                          "API refuses that second bind without SO_REUSEADDR (RFC 9293 has no bind call)")
def test_passive_open_does_not_affect_existing_connection(dut):
    """
    Purpose: a new passive OPEN leaves existing connections alone, even on the same local port.
    Setup: ESTABLISHED connection accepted from a listener on 8080; that listener is closed.
    Procedure: a new socket binds 8080 and listens; the established connection then exchanges data both ways.
    Judgement: the new listener is in LISTEN; the established connection stays ESTABLISHED, its data is
        acknowledged and read, the DUT's data arrives.
    Reference: RFC 9293 3.9.1.1 ("Every passive OPEN call either creates a new connection record in LISTEN
        state, or it returns an error; it MUST NOT affect any previously created connection record").
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED", passive=True)
    peer.listener.close()
    again = dut.tcp_socket()
    again.bind(dut.wildcard, DUT_PORT)
    again.listen(4)
    assert again.state == "LISTEN"
    peer.send("PA", b"still mine")
    assert peer.expect("A", timeout_ms=500).ack == peer.snd_nxt
    assert sock.read() == b"still mine"
    assert sock.write(b"ok") == 2
    assert payload_of(peer.expect("PA", timeout_ms=200)) == b"ok"
    assert sock.state == "ESTABLISHED"


@pytest.mark.requirement("RFC9293:MUST-49")
def test_ttl_set_by_application(dut):
    """
    Purpose: the application can set the TTL of its connection's datagrams (over IPv6 the Hop Limit,
        RFC 8200 3).
    Setup: ESTABLISHED.
    Procedure: set_option("Ttl", 7); the DUT writes 10 bytes.
    Judgement: get_option("Ttl") is 7; the data segment's IP TTL (IPv6 Hop Limit) is 7.
    Reference: RFC 9293 3.9.2.1 (MUST-49: "the TTL value ... MUST be configurable"), RFC 1122 4.2.2.19.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    sock.set_option("Ttl", 7)
    assert sock.get_option("Ttl") == 7
    assert sock.write(b"0123456789") == 10
    data = peer.expect("PA", timeout_ms=200)
    ip = data.underlayer
    assert (ip.hlim if dut.v6 else ip.ttl) == 7


@pytest.mark.requirement("RFC9293:MUST-48", "RFC9293:SHLD-22", "RFC9293:SHLD-21")
def test_diffserv_set_by_application(dut):
    """
    Purpose: the application can set the Diffserv field of its connection's datagrams, passed to IP
        unchanged, also during the connection.
    Setup: ESTABLISHED.
    Procedure: set_option("Tos", 0xB8) (EF); the DUT writes 10 bytes; then set_option("Tos", 0x28) and 10 more.
    Judgement: the first data segment's TOS byte (IPv6 Traffic Class) is 0xB8, the second's 0x28.
    Reference: RFC 9293 3.9.1.1 (MUST-48, SHLD-21, SHLD-22), RFC 2474; RFC 8200 7.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    sock.set_option("NoDelay", 1)
    sock.set_option("Tos", 0xB8)
    assert sock.write(b"0123456789") == 10
    tos = (lambda ip: ip.tc) if dut.v6 else (lambda ip: ip.tos)
    assert tos(peer.expect("PA", timeout_ms=200).underlayer) == 0xB8
    peer.send("A")
    sock.set_option("Tos", 0x28)
    assert sock.write(b"abcdefghij") == 10
    assert tos(peer.expect("PA", timeout_ms=200).underlayer) == 0x28


@pytest.mark.requirement("RFC9293:MUST-47", "RFC9293:MUST-12")
def test_refused_connection_reported(dut):
    """
    Purpose: a connection refused by the peer (RST to the SYN) is reported to the application.
    Setup: fresh DUT.
    Procedure: connect to the peer (198.18.0.1 / 2001:db8::1), port 40000; the peer answers the SYN with RST+ACK
        (ack = ISS+1).
    Judgement: state CLOSED; events [("Error", "ConnectionRefused")]; write() raises picotcp.SocketError; no
        SYN retransmission within 3 s.
    Reference: RFC 9293 3.10.7.3 (SYN-SENT: RST with acceptable ACK: "connection reset"), 3.9.1 (error report).
    """
    peer, sock = bring_to_state(dut, "SYN-SENT")
    peer.send("RA", seq=0, ack=peer.rcv_nxt, track=False)
    peer.expect_silence(3000)
    assert sock.state == "CLOSED"
    assert list(sock.events) == [("Error", "ConnectionRefused")]
    with pytest.raises(picotcp.SocketError):
        sock.write(b"x")


def test_bind_twice_to_same_port_refused(dut):
    """
    Purpose: two listeners on the same local address and port are refused (the second bind or listen
        raises), so connections cannot be split unpredictably between them.
    Setup: a listener on the wildcard address (0.0.0.0 / ::), port 8080.
    Procedure: a second socket binds the wildcard address (0.0.0.0 / ::), port 8080 and listens.
    Judgement: picotcp.SocketError (AddressInUse) is raised by bind or listen.
    Reference: RFC 9293 3.9.1.1 (OPEN: a passive OPEN either creates a LISTEN record or returns an error).
    """
    first = dut.tcp_socket()
    first.bind(dut.wildcard, DUT_PORT)
    first.listen(4)
    second = dut.tcp_socket()
    with pytest.raises(picotcp.SocketError) as raised:
        second.bind(dut.wildcard, DUT_PORT)
        second.listen(4)
    assert raised.value.name == "AddressInUse"


# The socket options below are the ones the lead asked the core for (catalogue review in /work/tcp-bugs.md):
# RetransmitTimeoutMs / ConnectTimeoutMs (R2 per connection, MUST-21) and UrgentPending (MUST-33).


@pytest.mark.requirement("RFC9293:MUST-21", "RFC9293:MUST-20")
def test_application_sets_r2_for_data(dut):
    """
    Purpose: the application can set R2 (the time after which retransmissions give up) for its connection.
    Setup: ESTABLISHED; set_option("RetransmitTimeoutMs", 20000) (read back with get_option).
    Procedure: the DUT writes 100 bytes; the peer never acknowledges; time runs in 100 ms steps.
    Judgement: ("Error", "TimedOut") comes at least 20 s and at most 40 s after the first transmission (R2
        is reached at 20 s; the give-up happens by the next retransmission timeout), far sooner than the
        default (more than 100 s); state CLOSED.
    Reference: RFC 9293 3.8.3 (MUST-21: "An application MUST be able to set the value for R2 for a
        particular connection"), RFC 1122 4.2.3.5.
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    sock.set_option("RetransmitTimeoutMs", 20_000)
    assert sock.get_option("RetransmitTimeoutMs") == 20_000
    assert sock.write(bytes(100)) == 100
    peer.expect("PA", timeout_ms=50)
    t0 = dut.now_ms
    dut.step_ms = 100
    while dut.now_ms - t0 < 120_000 and ("Error", "TimedOut") not in list(sock.events):
        dut.advance(100)
    elapsed = dut.now_ms - t0
    assert ("Error", "TimedOut") in list(sock.events), list(sock.events)
    assert 20_000 <= elapsed <= 40_000, elapsed
    assert sock.state == "CLOSED"


@pytest.mark.requirement("RFC9293:MUST-21", "RFC9293:MUST-22")
def test_application_sets_r2_for_syn(dut):
    """
    Purpose: the application can set R2 for an active open (the time its SYN keeps being retransmitted).
    Setup: fresh DUT; a socket with set_option("ConnectTimeoutMs", 5000) before connect.
    Procedure: connect to the peer (198.18.0.1 / 2001:db8::1), port 40000; the peer never answers.
    Judgement: ("Error", "TimedOut") comes at least 5 s and at most 8 s after the first SYN (SYNs at 0, 1, 3,
        7 s: R2 is reached by the retransmission after 5 s); state CLOSED.
    Reference: RFC 9293 3.8.3 (MUST-21, MUST-22).
    """
    from harness.tcp_peer import TcpPeer as Peer

    sock = dut.tcp_socket()
    sock.set_option("ConnectTimeoutMs", 5000)
    assert sock.get_option("ConnectTimeoutMs") == 5000
    peer = Peer(dut, dport=None)
    sock.connect(dut.peer_addr, PEER_PORT)
    peer.expect_syn()
    t0 = dut.now_ms
    while dut.now_ms - t0 < 60_000 and ("Error", "TimedOut") not in list(sock.events):
        dut.advance(10)
    elapsed = dut.now_ms - t0
    assert ("Error", "TimedOut") in list(sock.events), list(sock.events)
    assert 5_000 <= elapsed <= 8_000, elapsed
    assert sock.state == "CLOSED"


@pytest.mark.requirement("RFC9293:MUST-32", "RFC9293:MUST-33", "RFC9293:MUST-30")
def test_urgent_data_signalled_to_application(dut):
    """
    Purpose: the application learns asynchronously that urgent data arrived and can find out whether (and how
        much) urgent data is still to be read.
    Setup: ESTABLISHED; the socket's events noted.
    Procedure: the peer sends b"abc" + b"URG" with URG and urgent pointer 6; the application reads 2 bytes,
        then the rest.
    Judgement: a Readable event is raised for the arrival; get_option("UrgentPending") > 0 before any read and
        after reading 2 bytes, and 0 once all 6 bytes are read; the stream reads b"abcURG" (in line).
    Reference: RFC 9293 3.8.5 (MUST-32: "inform the application layer asynchronously whenever it receives an
        urgent pointer and there was previously no pending urgent data"; MUST-33: "a way for the application
        to learn how much urgent data remains to be read ... or at least whether more urgent data remains").
    """
    peer, sock = bring_to_state(dut, "ESTABLISHED")
    before = len(sock.events)
    peer.send("PAU", b"abcURG", urgent=6)
    peer.expect("A", timeout_ms=500)
    assert ("Readable", "Ok") in list(sock.events)[before:]
    assert sock.get_option("UrgentPending") > 0
    assert sock.read(2) == b"ab"
    assert sock.get_option("UrgentPending") > 0
    assert sock.read() == b"cURG"
    assert sock.get_option("UrgentPending") == 0
