"""Address resolution by the DUT: requests, retransmission limit, flood prevention, the queued datagram and
cache expiry (RFC 826 "Packet Generation", RFC 1122 2.3.2)."""
import pytest
from scapy.all import ARP, UDP, Ether, raw

BROADCAST = "ff:ff:ff:ff:ff:ff"
SILENT_IP = "198.18.0.9"  # on-link, never answers


def is_request_for(frame, ip):
    return ARP in frame and frame[ARP].op == 1 and frame[ARP].pdst == ip


def assert_request_fields(frame, dut, target_ip):
    assert frame.dst == BROADCAST, f"request must be broadcast, went to {frame.dst}"
    assert frame.src == dut.mac
    arp = frame[ARP]
    assert (arp.hwtype, arp.ptype, arp.hwlen, arp.plen, arp.op) == (1, 0x0800, 6, 4, 1)
    assert arp.hwsrc == dut.mac
    assert arp.psrc == dut.ip
    assert arp.pdst == target_ip


def udp_data(frame):
    """The UDP payload, without the Ethernet padding Scapy keeps after it."""
    return raw(frame[UDP])[8:frame[UDP].len]


def answer(dut, ip, mac):
    dut.send(Ether(src=mac, dst=dut.mac) / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=dut.mac, pdst=dut.ip))


def timed_frames(dut, duration_ms, step_ms=10):
    """Every frame the DUT sends within duration_ms, with the virtual time it was seen at."""
    seen = []
    for _ in range(duration_ms // step_ms):
        dut.advance(step_ms)
        for frame in dut.receive():
            seen.append((dut.clock.now_ms, frame))
    return seen


@pytest.mark.requirement("RFC826:R11", "RFC826:1122-2.3.2.2-a")
def test_resolution_precedes_first_datagram(dut):
    """
    Purpose: a datagram to an unresolved neighbour makes the DUT broadcast a request first; the datagram is
        held, not sent to a guessed or broadcast address, and leaves once the reply arrives.
    Setup: fresh DUT (empty cache); a UDP socket bound to 0.0.0.0:40000.
    Procedure: sendto(b"hello", 198.18.0.1:9); collect; the peer answers the request; collect again.
    Judgement: first exactly one frame, an ARP request with the exact RFC 826 fields (broadcast, sender DUT
        MAC/IP, target 198.18.0.1); after the reply exactly one frame, the UDP datagram to the peer's MAC
        with payload b"hello"; the cache then maps 198.18.0.1 to the peer's MAC.
    Reference: RFC 826 "Packet Generation"; RFC 1122 2.3.2.2.
    """
    dut.receive()
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", 40000)
    sock.sendto(b"hello", (dut.peer_ip, 9))
    out = dut.receive()
    assert len(out) == 1, f"expected only an ARP request, got {[f.summary() for f in out]}"
    assert_request_fields(out[0], dut, dut.peer_ip)
    answer(dut, dut.peer_ip, dut.peer_mac)
    out = dut.receive(timeout_ms=50)
    assert len(out) == 1, f"expected the held datagram, got {[f.summary() for f in out]}"
    assert out[0].dst == dut.peer_mac and UDP in out[0]
    assert out[0][UDP].dport == 9 and udp_data(out[0]) == b"hello"
    assert dut.stack.arp.lookup(dut.eth, dut.peer_ip) == dut.peer_mac


@pytest.mark.requirement("RFC826:1122-2.3.2.1-c", "RFC826:R11")
def test_request_retransmission_is_bounded(dut):
    """
    Purpose: when the neighbour never answers, requests are repeated at most once per second and give up
        after a bounded number of attempts; the held datagram is then dropped and counted.
    Setup: fresh DUT; a UDP socket.
    Procedure: sendto to 198.18.0.9 (on-link, silent); watch the DUT's output for 10 s of virtual time.
    Judgement: exactly 3 requests for 198.18.0.9 (the stack's documented request_attempts), each at least
        1000 ms after the previous one; no other frame; one ARP Unresolved drop.
    Reference: RFC 1122 2.3.2.1 (ARP flooding prevention, at most one request per second per destination).
    """
    dut.receive()
    sock = dut.udp_socket()
    sock.sendto(b"nobody", (SILENT_IP, 9))
    seen = [(dut.clock.now_ms, f) for f in dut.receive()]
    seen += timed_frames(dut, 10_000, step_ms=50)
    assert all(is_request_for(f, SILENT_IP) for _, f in seen), [f.summary() for _, f in seen]
    times = [t for t, _ in seen]
    assert len(times) == 3, f"expected 3 requests, saw them at {times}"
    for frame in (f for _, f in seen):
        assert_request_fields(frame, dut, SILENT_IP)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(gap >= 1000 for gap in gaps), f"requests closer than 1 s apart: {times}"
    dut.assert_dropped("arp", "Unresolved")


@pytest.mark.requirement("RFC826:1122-2.3.2.1-c")
def test_burst_to_unresolved_address_sends_one_request(dut):
    """
    Purpose: ten datagrams to the same unresolved address in one instant must not produce ten requests
        (ARP flooding).
    Setup: fresh DUT; a UDP socket.
    Procedure: ten sendto calls to 198.18.0.9 without advancing time; then watch for 990 ms.
    Judgement: exactly one ARP request for 198.18.0.9 in that second.
    Reference: RFC 1122 2.3.2.1.
    """
    dut.receive()
    sock = dut.udp_socket()
    for i in range(10):
        sock.sendto(bytes([i]), (SILENT_IP, 9))
    seen = dut.receive() + [f for _, f in timed_frames(dut, 990)]
    requests = [f for f in seen if is_request_for(f, SILENT_IP)]
    assert len(requests) == 1, f"expected one request within the first second, got {len(requests)}"
    assert len(seen) == 1, [f.summary() for f in seen]


@pytest.mark.requirement("RFC826:1122-2.3.2.2-a")
def test_latest_datagram_is_kept_while_resolving(dut):
    """
    Purpose: while an address is unresolved the DUT keeps the latest datagrams for it (a small queue of
        arp_queue_per_entry, 3 by default) and sends them once resolved; the oldest one, pushed out by a newer
        one, is dropped and counted.
    Setup: fresh DUT; a UDP socket bound to 0.0.0.0:40001.
    Procedure: sendto(b"d0"), ..., one datagram more than the queue holds, to 198.18.0.1:9; answer the request.
    Judgement: after the reply the newest datagrams leave in the order sent, the last one carrying the latest
        datagram; with this stack exactly the queue's worth of them, and one ARP QueueFull drop records the
        replaced datagram (a DUT with a longer queue, e.g. Linux, sends them all).
    Reference: RFC 1122 2.3.2.2 ("save at least one (the latest) packet").
    """
    queue = dut.arp_queue_per_entry
    dut.receive()
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", 40001)
    sent = [b"d%d" % i for i in range((queue or 3) + 1)]
    for data in sent:
        sock.sendto(data, (dut.peer_ip, 9))
    out = dut.receive()
    assert len(out) == 1 and is_request_for(out[0], dut.peer_ip), [f.summary() for f in out]
    answer(dut, dut.peer_ip, dut.peer_mac)
    out = dut.receive(timeout_ms=50)
    datagrams = [udp_data(f) for f in out if UDP in f]
    assert datagrams and datagrams == sent[len(sent) - len(datagrams):], [f.summary() for f in out]
    if queue is not None:
        assert datagrams == sent[1:], [f.summary() for f in out]
        dut.assert_dropped("arp", "QueueFull")


@pytest.mark.requirement("RFC826:1122-2.3.2.1-a")
def test_cache_entry_expires(dut):
    """
    Purpose: the cache flushes out-of-date entries: after the entry lifetime (60 s in this stack) a
        datagram to the neighbour makes the DUT resolve it again instead of trusting the old mapping.
    Setup: prime the cache with 198.18.0.1 -> 02:00:00:00:00:01 at t0.
    Procedure: check the entry at t0+59 s; advance to t0+61 s; send a UDP datagram to 198.18.0.1.
    Judgement: lookup still returns the MAC at 59 s and None at 61 s; the datagram is preceded by a
        broadcast ARP request for 198.18.0.1 (exactly one frame, the request).
    Reference: RFC 1122 2.3.2.1.
    """
    dut.prime_arp()
    dut.advance(59_000)
    assert dut.stack.arp.lookup(dut.eth, dut.peer_ip) == dut.peer_mac
    dut.advance(2_000)
    assert dut.stack.arp.lookup(dut.eth, dut.peer_ip) is None
    dut.receive()
    sock = dut.udp_socket()
    sock.sendto(b"again", (dut.peer_ip, 9))
    out = dut.receive()
    assert len(out) == 1, [f.summary() for f in out]
    assert_request_fields(out[0], dut, dut.peer_ip)
