"""Smoke tests of the Python TCP binding (picotcp.TcpSocket) and of picotcp.Link, not of an RFC.

Two ways to drive a connection:
- through the DUT fixture, with the peer's segments built by Scapy (the DUT's socket seen from the wire);
- between two Stacks joined by a picotcp.Link (both ends are this stack), on one VirtualClock.
"""

import gc

import pytest
from scapy.all import IP, TCP, Raw

import picotcp

pytestmark = pytest.mark.skipif(not picotcp.modules().get("tcp"), reason="TCP is not built in")

needs_link = pytest.mark.skipif(
    not hasattr(picotcp, "Link"), reason="the linksim module (picotcp.Link) is not built in"
)

A_IP, B_IP = "198.18.0.1", "198.18.0.2"


# ---- two stacks on a Link -----------------------------------------------------------------------------------


class Pair:
    """Stacks a (198.18.0.1) and b (198.18.0.2) on one Link; step() advances 1 ms and polls both."""

    def __init__(self, **impairments):
        self.clock = picotcp.VirtualClock()
        self.link = picotcp.Link(self.clock, seed=1, **impairments)
        self.a = picotcp.Stack(clock=self.clock, seed=11)
        self.b = picotcp.Stack(clock=self.clock, seed=22)
        self.port_a = self.a.attach_link(self.link, "a", name="la")
        self.port_b = self.b.attach_link(self.link, "b", name="lb")
        assert self.a.ipv4.add_address(self.port_a, A_IP, 24)
        assert self.b.ipv4.add_address(self.port_b, B_IP, 24)
        self.run(3000, step_ms=10)  # address announcements

    def step(self, ms=1):
        self.clock.advance(ms=ms)
        self.a.poll()
        self.b.poll()

    def run(self, ms, step_ms=1):
        for _ in range(ms // step_ms):
            self.step(step_ms)

    def until(self, condition, limit_ms=10_000, what="condition", step_ms=1):
        for _ in range(limit_ms // step_ms):
            if condition():
                return
            self.step(step_ms)
        if not condition():
            pytest.fail(f"{what} not reached within {limit_ms} virtual ms")

    def tcbs(self):
        return self.a.stats()["pools"]["tcp"]["in_use"], self.b.stats()["pools"]["tcp"]["in_use"]

    def connect(self, port=8080):
        """A listener on a, a client on b connected to it; returns (listener, server, client)."""
        listener = self.a.tcp_socket()
        listener.bind("0.0.0.0", port)
        listener.listen(backlog=4)
        client = self.b.tcp_socket()
        client.connect(A_IP, port)
        assert client.state == "SYN-SENT"
        accepted = []
        self.until(lambda: accepted.append(listener.accept()) or accepted[-1] is not None, what="accept")
        server = accepted[-1]
        self.until(lambda: client.state == "ESTABLISHED", what="client ESTABLISHED")
        return listener, server, client


def read_all(pair, sock, expected_len, limit_ms=10_000):
    data = b""
    for _ in range(limit_ms):
        chunk = sock.read()
        if chunk:
            data += chunk
        if len(data) >= expected_len:
            return data
        pair.step()
    pytest.fail(f"read {len(data)} of {expected_len} bytes within {limit_ms} virtual ms")


@needs_link
def test_link_pair_connect_transfer_close():
    """Purpose: a TcpSocket pair over picotcp.Link: handshake, data both ways, half-close, close, TIME-WAIT.
    Setup: stacks a (198.18.0.1) and b (198.18.0.2) on a clean Link.
    Procedure: b connects to a's listener; 100 kB a->b and 3 bytes b->a; b shuts down writing, a reads EOF
      and closes; b reads EOF and closes; 2 MSL pass.
    Judgement: states, endpoints and events as named; data intact; both pools empty in the end.
    Reference: binding (RFC 9293 3.5, 3.6 for the states).
    """
    pair = Pair()
    listener, server, client = pair.connect()
    assert server.state == "ESTABLISHED"
    assert server.local == (A_IP, 8080)
    assert server.remote == client.local
    assert client.remote == (A_IP, 8080)
    assert ("Connected", "Ok") in client.events
    assert listener.state == "LISTEN"
    assert listener.accept() is None
    assert client.read() is None  # nothing buffered yet
    assert not client.eof

    payload = bytes(range(256)) * 400
    written = 0
    received = b""
    assert client.write(b"abc") == 3
    for _ in range(10_000):
        written += server.write(payload[written:])
        pair.step()
        received += client.read() or b""
        if len(received) == len(payload):
            break
    assert written == len(payload)
    assert received == payload
    assert read_all(pair, server, 3) == b"abc"
    assert any(event == "Readable" for event, _ in client.events)

    client.shutdown("write")
    pair.until(lambda: server.read() == b"", what="EOF at the server")
    assert server.eof
    assert server.state == "CLOSE-WAIT"
    assert client.state == "FIN-WAIT-2"
    assert any(event == "PeerClosed" for event, _ in server.events)
    server.close()
    assert server.closed and server.state == "CLOSED"
    pair.until(lambda: client.read() == b"", what="EOF at the client")
    assert client.state == "TIME-WAIT"
    client.close()
    listener.close()
    assert pair.tcbs()[1] == 1, "b keeps the connection in TIME-WAIT after close()"
    pair.run(2 * picotcp.config()["tcp_msl_ms"] + 1000, step_ms=100)
    assert pair.tcbs() == (0, 0)
    for stack in (pair.a, pair.b):
        assert stack.stats()["pools"]["frames"]["in_use"] == 0
    assert pair.link.in_flight == 0


@needs_link
def test_link_pair_connection_info():
    """Purpose: TcpSocket.info (pico::tcp::connection_info) reports the connection's variables consistently.
    Setup: stacks a and b on a clean Link, b connected to a's listener.
    Procedure: 5000 bytes a->b, read by b; then both ends' info.
    Judgement: each end's ISS is the other's IRS; a's SND.UNA = SND.NXT = SND.MAX = b's RCV.NXT = ISS + 1 +
      5000; nothing in flight, no retransmission, no recovery; MSS 1460 both ways (MTU 1500); the RTO at its
      1 s floor with an RTT measured; the options both stacks offer (window scaling, timestamps, SACK) agreed;
      a's send window is b's receive window.
    Reference: binding (RFC 9293 3.3.1 variable names).
    """
    pair = Pair()
    _, server, client = pair.connect()
    assert server.write(bytes(5000)) == 5000
    assert read_all(pair, client, 5000) == bytes(5000)
    pair.run(500)
    a, b = server.info, client.info
    assert a["state"] == b["state"] == "ESTABLISHED"
    assert a["iss"] == b["irs"] and b["iss"] == a["irs"]
    assert a["snd_una"] == a["snd_nxt"] == a["snd_max"] == b["rcv_nxt"] == (a["iss"] + 1 + 5000) % (1 << 32)
    assert b["snd_una"] == b["snd_nxt"] == a["rcv_nxt"] == (b["iss"] + 1) % (1 << 32)
    for info in (a, b):
        assert info["flight_size"] == 0 and info["retransmissions"] == 0 and info["duplicate_acks"] == 0
        assert not info["in_recovery"] and not info["sack_recovery"]
        assert info["send_mss"] == info["peer_mss"] == 1460
        assert info["rto_ms"] == 1000
        assert info["ws_ok"] and info["ts_ok"] and info["sack_ok"]
    assert a["snd_wnd"] == b["rcv_wnd"]
    # b sent no data: its window is still the initial 3 segments of SMSS, 1460 less the 12 bytes of the
    # timestamp option (RFC 5681 3.1, RFC 7323 3.2); a's grew in slow start with the ACKs of its 5000 bytes.
    assert b["cwnd"] == 3 * (1460 - 12)
    assert a["cwnd"] > b["cwnd"]
    assert a["snd_wscale"] == b["rcv_wscale"] and b["snd_wscale"] == a["rcv_wscale"]


@needs_link
def test_link_pair_survives_loss():
    """Purpose: data crosses an impaired Link intact (retransmission through the binding).
    Setup: a Link losing 5 % of the frames and duplicating 5 %.
    Procedure: 50 kB from b to a, then both close.
    Judgement: the bytes arrive in order; the link lost frames; no TCB is left after TIME-WAIT.
    Reference: binding.
    """
    pair = Pair(loss=0.05, duplicate=0.05, delay_ms=1)
    listener, server, client = pair.connect()
    payload = bytes((i * 7) & 0xFF for i in range(50_000))
    written = 0
    received = bytearray()
    for _ in range(300_000):
        if written < len(payload):
            written += client.write(payload[written:])
        pair.step()
        chunk = server.read()
        if chunk:
            received += chunk
        if len(received) == len(payload):
            break
    assert bytes(received) == payload
    assert pair.link.stats()["lost"] > 0
    client.close()
    server.close()
    listener.close()
    pair.until(lambda: pair.tcbs() == (0, 0), limit_ms=10 * 60 * 1000, what="all TCBs free", step_ms=100)


@needs_link
def test_link_pair_refused_and_errors():
    """Purpose: errors of the C++ API raise picotcp.SocketError(name); events carry error names.
    Setup: two stacks on a Link, nothing listening on a.
    Procedure: connect to a closed port; misuse sockets (bind twice, unknown option, bad shutdown).
    Judgement: ("Error", "ConnectionRefused") is reported and the socket is CLOSED; SocketError names match.
    Reference: binding (RFC 9293 3.10.7.3: RST in answer to a SYN).
    """
    pair = Pair()
    client = pair.b.tcp_socket()
    client.connect(A_IP, 9)
    pair.until(lambda: client.state == "CLOSED", what="refused")
    assert ("Error", "ConnectionRefused") in client.events
    client.close()

    s1 = pair.a.tcp_socket()
    s1.bind(A_IP, 7000)
    s2 = pair.a.tcp_socket()
    with pytest.raises(picotcp.SocketError) as error:
        s2.bind(A_IP, 7000)
    assert error.value.name == "AddressInUse"
    with pytest.raises(picotcp.SocketError) as error:
        s2.bind("198.18.9.9", 7001)
    assert error.value.name == "AddressNotAvailable"
    with pytest.raises(ValueError):
        s1.set_option("NoSuchOption", 1)
    with pytest.raises(ValueError):
        s1.shutdown("sideways")
    s1.set_option("NoDelay", 1)
    assert s1.get_option("NoDelay") == 1
    s1.set_option("KeepAlive", 1)
    assert s1.get_option("KeepAlive") == 1
    s1.set_option("Linger", -1)
    s1.close()
    s2.close()
    with pytest.raises(picotcp.SocketError) as error:
        s1.bind(A_IP, 7002)
    assert error.value.name == "Closed"
    s1.close()  # a second close is a no-op


@needs_link
def test_link_pair_abort_and_lifetime():
    """Purpose: abort() resets the peer; Python objects may be dropped in any order without harm.
    Setup: an established pair.
    Procedure: the client aborts; then every Python reference is dropped while the server socket is open.
    Judgement: the server sees ("Error", "ConnectionReset"); collecting the objects does not crash (ASan).
    Reference: binding (RFC 9293 3.10.7.4: RST in a synchronized state).
    """
    pair = Pair()
    listener, server, client = pair.connect()
    events_before = list(client.events)
    client.abort()
    assert client.state == "CLOSED"
    pair.until(lambda: ("Error", "ConnectionReset") in server.events, what="reset seen by the server")
    assert client.events == events_before, "an aborted socket is detached: no more events"
    assert pair.tcbs()[1] == 0
    # The sockets keep their stack alive: drop the stack first, then the sockets.
    stack_a = pair.a
    del pair
    gc.collect()
    assert server.state == "CLOSED"
    del stack_a, listener
    gc.collect()
    server.close()
    del server, client
    gc.collect()


@needs_link
def test_link_end_attaches_once_and_again_after_its_stack_is_gone():
    """Purpose: a Link end belongs to one stack at a time; it is free again once that stack is collected.
    Setup: one Link, a stack attached to end "a".
    Procedure: attach "a" a second time; attach a bad end name; drop the stack; attach "a" to a new stack.
    Judgement: RuntimeError, ValueError, then success; the new stack gets device index 0 and the port's MAC.
    Reference: binding.
    """
    clock = picotcp.VirtualClock()
    link = picotcp.Link(clock, seed=3, mac_a="02:00:00:00:00:a1")
    first = picotcp.Stack(clock=clock)
    first.attach_link(link, "a")
    other = picotcp.Stack(clock=clock)
    with pytest.raises(RuntimeError):
        other.attach_link(link, "a")
    with pytest.raises(ValueError):
        other.attach_link(link, "c")
    del first
    gc.collect()
    port = other.attach_link(link, "a", name="again")
    assert port.index == 0 and port.name == "again" and port.mac == "02:00:00:00:00:a1"


# ---- the DUT and Scapy ----------------------------------------------------------------------------------------


def test_dut_accepts_scapy_handshake_and_data(dut):
    """Purpose: a listening TcpSocket on the DUT completes a handshake with the Scapy peer and moves data.
    Setup: the DUT listens on port 80; ARP primed.
    Procedure: SYN, ACK of the SYN-ACK, 5 bytes with PSH; the DUT's socket answers 3 bytes; FIN from the peer.
    Judgement: SYN-ACK acknowledges the SYN; accept() gives an ESTABLISHED socket with the peer's endpoint;
      read() returns the bytes; the DUT's data segment carries them; the FIN makes read() return b"".
    Reference: binding (RFC 9293 3.5).
    """
    dut.prime_arp()
    listener = dut.tcp_socket()
    listener.bind("0.0.0.0", 80)
    listener.listen()
    assert listener.accept() is None
    isn = 1000
    dut.send(dut.ipv4() / TCP(sport=40000, dport=80, flags="S", seq=isn, window=8192, options=[("MSS", 1460)]))
    synack = dut.expect(lambda f: f[TCP].flags == "SA", timeout_ms=100, what="SYN-ACK")
    assert synack[TCP].ack == isn + 1
    assert synack[IP].src == dut.ip and synack[TCP].sport == 80 and synack[TCP].dport == 40000
    ours = synack[TCP].seq + 1
    dut.send(dut.ipv4() / TCP(sport=40000, dport=80, flags="A", seq=isn + 1, ack=ours, window=8192))
    sock = listener.accept()
    assert sock is not None
    assert sock.state == "ESTABLISHED"
    assert sock.remote == (dut.peer_ip, 40000)
    assert sock.local == (dut.ip, 80)
    assert sock.read() is None

    dut.send(dut.ipv4() / TCP(sport=40000, dport=80, flags="PA", seq=isn + 1, ack=ours, window=8192) / b"hello")
    assert sock.read() == b"hello"
    assert ("Readable", "Ok") in sock.events
    assert sock.write(b"hey") == 3
    data = dut.expect(lambda f: Raw in f and f[TCP].sport == 80, timeout_ms=500, what="the DUT's data")
    assert bytes(data[Raw].load) == b"hey"
    assert data[TCP].seq == ours
    assert data[TCP].ack == isn + 6

    dut.send(dut.ipv4() / TCP(sport=40000, dport=80, flags="FA", seq=isn + 6, ack=ours + 3, window=8192))
    assert sock.read() == b""
    assert sock.eof
    assert sock.state == "CLOSE-WAIT"
    sock.close()
    fin = dut.expect(lambda f: "F" in f[TCP].flags, timeout_ms=500, what="the DUT's FIN")
    assert fin[TCP].seq == ours + 3
    dut.send(dut.ipv4() / TCP(sport=40000, dport=80, flags="A", seq=isn + 7, ack=ours + 4, window=8192))
    listener.close()
    assert dut.stats()["pools"]["tcp"]["in_use"] == 0


def test_dut_connect_gets_refused_by_scapy_rst(dut):
    """Purpose: connect() from the DUT sends a SYN; an RST in answer is reported as ConnectionRefused.
    Setup: ARP primed.
    Procedure: connect to the peer's port 81; the peer answers the SYN with RST+ACK.
    Judgement: SYN to (peer_ip, 81) from SYN-SENT; after the RST the socket is CLOSED with the error event.
    Reference: binding (RFC 9293 3.10.7.3).
    """
    dut.prime_arp()
    sock = dut.tcp_socket()
    sock.connect(dut.peer_ip, 81)
    assert sock.state == "SYN-SENT"
    syn = dut.expect(lambda f: f[TCP].flags == "S", timeout_ms=100, what="SYN")
    assert syn[IP].dst == dut.peer_ip and syn[TCP].dport == 81
    assert sock.local == (dut.ip, syn[TCP].sport)
    dut.send(dut.ipv4() / TCP(sport=81, dport=syn[TCP].sport, flags="RA", seq=0, ack=syn[TCP].seq + 1))
    dut.advance(10)
    assert sock.state == "CLOSED"
    assert ("Error", "ConnectionRefused") in sock.events
    sock.close()
