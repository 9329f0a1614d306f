"""Path MTU discovery for IPv4 (RFC 1191): the DUT learns a lower path MTU from ICMP "fragmentation needed"
(Datagram Too Big) sent by a router, per destination, in its IP layer (stack.ipv4_path); TCP sends smaller
segments at once; UDP datagrams are fragmented to the learnt value; a zero MTU field is estimated from the
plateau table; values below 68 and increases are not believed; an estimate ages out after 10 minutes.

The remote host 198.19.0.7 sits behind the DUT's default gateway (the peer, 198.18.0.1), which plays the
router that sends the ICMP messages."""
import picotcp
import pytest
from scapy.all import ICMP, IP, TCP, UDP, Ether, raw

from harness.tcp_peer import TcpPeer

REMOTE = "198.19.0.7"
OTHER = "198.19.0.8"
AGING_MS = 10 * 60 * 1000
DATA = bytes((i * 11 + 1) & 0xff for i in range(4000))


def too_big(dut, quoted_ip, mtu):
    """The gateway's ICMP Destination Unreachable, fragmentation needed (3/4) with next-hop MTU `mtu`,
    quoting the IP header and the first 8 octets of data of quoted_ip (a Scapy IP the DUT sent)."""
    quote = raw(quoted_ip)[:quoted_ip.ihl * 4 + 8]
    return (Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
            ICMP(type=3, code=4, nexthopmtu=mtu) / quote)


def data_segments(frames, dut):
    return [f for f in frames if TCP in f and f[IP].src == dut.ip and len(f[TCP].payload) > 0]


def connected(dut, sport=80):
    """A DUT connection to REMOTE:sport through the gateway, with the TcpPeer playing REMOTE (MSS 1460)."""
    peer = TcpPeer(dut, ip=REMOTE, mac=dut.peer_mac, sport=sport, mss=1460)
    sock = dut.tcp_socket()
    peer.handshake_from(sock)
    return peer, sock


def ack_all(peer, segments):
    end = max((s[TCP].seq + len(s[TCP].payload)) % (1 << 32) for s in segments)
    peer.send("A", ack=end)


def run(dut, ms):
    """Advance the DUT's clock by ms at once (timers fire; used for the 10-minute waits) and poll."""
    dut.clock.advance(ms=ms)
    dut.stack.poll()


@pytest.mark.requirement("RFC1191:R3-reduce", "RFC1191:R3-fast", "RFC1191:R3-df", "RFC1191:R6.1-notify",
                         "RFC1191:R6.1-store", "RFC1191:R3.1-peer-mss")
def test_tcp_segments_fit_the_reported_mtu(dut):
    """
    Purpose: a Datagram Too Big with next-hop MTU 1000 about a TCP segment lowers the path MTU to 1000 at
        once: the segment is sent again, and all later ones, in datagrams of at most 1000 octets.
    Setup: fresh DUT; a connection from the DUT to REMOTE:80 (peer MSS 1460).
    Procedure: the DUT writes 4,000 octets; it sends its first segments (1,460 octets of data, DF set); the
        gateway answers the first with ICMP 3/4, MTU 1000; the peer then acknowledges everything received.
    Judgement: before: data segments of 1,460 octets (1,500-octet datagrams) with DF; after the ICMP: the DUT
        resends from the unacknowledged sequence number in segments of at most 960 octets (IP length <= 1000,
        DF set) until all 4,000 octets arrived in order; ipv4_path.path_mtu(REMOTE) == 1000 and
        pmtu_entries() lists REMOTE with MTU 1000; another destination still 1500.
    Reference: RFC 1191 sections 3, 3.1, 6.1 and 6.4.
    """
    peer, sock = connected(dut)
    first_seq = peer.rcv_nxt
    sock.write(DATA)
    before = data_segments(dut.receive(timeout_ms=50), dut)
    assert before and all(s[IP].flags.DF and len(s[TCP].payload) == 1460 and s[IP].len == 1500
                          for s in before[:2])
    dut.send(too_big(dut, before[0][IP], 1000))
    assert dut.stack.ipv4_path.path_mtu(REMOTE) == 1000
    assert dut.stack.ipv4_path.path_mtu(OTHER) == 1500
    (entry,) = dut.stack.ipv4_path.pmtu_entries()
    assert entry["destination"] == REMOTE and entry["mtu"] == 1000
    received = {}
    for _ in range(20):
        segs = data_segments(dut.receive(timeout_ms=50), dut)
        for s in segs:
            assert s[IP].len <= 1000 and len(s[TCP].payload) <= 960 and s[IP].flags.DF
            received[(s[TCP].seq - first_seq) % (1 << 32)] = bytes(s[TCP].payload)
        if segs:
            ack_all(peer, segs)
        if sum(len(v) for v in received.values()) >= len(DATA) and 0 in received:
            break
    assert 0 in received, "the first unacknowledged segment is sent again"
    stream = b""
    while len(stream) in received:
        stream += received[len(stream)]
    assert stream == DATA


@pytest.mark.requirement("RFC1191:R6.1-store", "RFC1191:R3-fast")
def test_new_connection_uses_the_learnt_path_mtu(dut):
    """
    Purpose: the path MTU learnt for a destination is kept by the IP layer and used by a new connection to
        it: its segments fit the learnt MTU without another ICMP message.
    Setup: fresh DUT; a connection to REMOTE:80 and a Datagram Too Big (MTU 1000) about its first segment.
    Procedure: a second connection from the DUT to REMOTE:81 (peer MSS 1460); the DUT writes 3,000 octets.
    Judgement: every data segment of the new connection carries at most 960 octets (IP length <= 1000).
    Reference: RFC 1191 sections 6.1, 6.2 and 6.4.
    """
    peer, sock = connected(dut)
    sock.write(DATA[:2000])
    before = data_segments(dut.receive(timeout_ms=50), dut)
    dut.send(too_big(dut, before[0][IP], 1000))
    ack_all(peer, data_segments(dut.receive(timeout_ms=100), dut) or before)
    peer2, sock2 = connected(dut, sport=81)
    sock2.write(DATA[:3000])
    segs = [s for s in data_segments(dut.receive(timeout_ms=100), dut) if s[TCP].sport == sock2.local[1]]
    assert segs, "the new connection sends data"
    assert all(s[IP].len <= 1000 for s in segs), [s[IP].len for s in segs]


@pytest.mark.requirement("RFC1191:R3-old-style", "RFC1191:R7-plateau", "RFC1191:R6.1-notify")
def test_zero_mtu_field_uses_the_plateau_table(dut):
    """
    Purpose: a Datagram Too Big from an old router (next-hop MTU field 0) is acted on: the estimate is the
        largest plateau below the quoted datagram's Total Length (1,500 -> 1,492), and TCP follows it.
    Setup: fresh DUT; a connection to REMOTE:80.
    Procedure: the DUT writes 4,000 octets; the gateway answers its first 1,500-octet datagram with ICMP 3/4
        and next-hop MTU 0.
    Judgement: path_mtu(REMOTE) == 1492; the DUT resends in segments of at most 1,452 octets (datagrams of at
        most 1,492).
    Reference: RFC 1191 sections 3, 5 and 7.
    """
    peer, sock = connected(dut)
    sock.write(DATA)
    before = data_segments(dut.receive(timeout_ms=50), dut)
    assert before[0][IP].len == 1500
    dut.send(too_big(dut, before[0][IP], 0))
    assert dut.stack.ipv4_path.path_mtu(REMOTE) == 1492
    after = data_segments(dut.receive(timeout_ms=50), dut)
    assert after and after[0][TCP].seq == before[0][TCP].seq
    assert all(s[IP].len <= 1492 for s in after) and after[0][IP].len == 1492


@pytest.mark.requirement("RFC1191:R3-floor")
def test_mtu_below_68_is_not_believed(dut):
    """
    Purpose: a reported next-hop MTU below 68 octets (the minimum every IPv4 path carries) is not believed.
    Setup: fresh DUT; a connection to REMOTE:80.
    Procedure: the DUT writes 4,000 octets; the gateway answers its first segment with ICMP 3/4, MTU 60.
    Judgement: path_mtu(REMOTE) stays 1500, pmtu_entries() is empty, no segment is resent at once
        (silence for 100 ms), and the next segments are still 1,460 octets.
    Reference: RFC 1191 section 3; RFC 791 section 3.2 (68 octets).
    """
    peer, sock = connected(dut)
    sock.write(DATA)
    before = data_segments(dut.receive(timeout_ms=50), dut)
    dut.send(too_big(dut, before[0][IP], 60))
    assert dut.stack.ipv4_path.path_mtu(REMOTE) == 1500
    assert dut.stack.ipv4_path.pmtu_entries() == []
    assert data_segments(dut.receive(timeout_ms=100), dut) == []
    ack_all(peer, before)
    after = data_segments(dut.receive(timeout_ms=100), dut)
    assert after and all(len(s[TCP].payload) == 1460 for s in after if s is not after[-1])


@pytest.mark.requirement("RFC1191:R3-no-raise")
def test_report_of_a_larger_mtu_does_not_raise_the_estimate(dut):
    """
    Purpose: once the estimate is 1,000, a Datagram Too Big announcing 1,200 (stale or forged) does not
        raise it.
    Setup: fresh DUT; a connection to REMOTE:80; ICMP 3/4 with MTU 1000 about its first segment.
    Procedure: ICMP 3/4 with MTU 1200 about the first resent (960-octet) segment.
    Judgement: path_mtu(REMOTE) stays 1000; the DUT's data segments stay at most 960 octets.
    Reference: RFC 1191 section 3.
    """
    peer, sock = connected(dut)
    sock.write(DATA)
    before = data_segments(dut.receive(timeout_ms=50), dut)
    dut.send(too_big(dut, before[0][IP], 1000))
    resent = data_segments(dut.receive(timeout_ms=50), dut)
    assert resent and resent[0][IP].len == 1000
    dut.send(too_big(dut, resent[0][IP], 1200))
    assert dut.stack.ipv4_path.path_mtu(REMOTE) == 1000
    ack_all(peer, resent)
    later = data_segments(dut.receive(timeout_ms=100), dut)
    assert later and all(s[IP].len <= 1000 for s in later)


@pytest.mark.requirement("RFC1191:R6.1-no-pmtud", "RFC1191:R6.1-store", "RFC1191:R6.3-reset",
                         "RFC1191:R6.3-timeout", "RFC1191:R3-probe-interval", "RFC1191:R3-probe-timer")
def test_udp_follows_the_estimate_until_it_ages_out(dut):
    """
    Purpose: UDP (which leaves DF clear and does no discovery of its own) has its datagrams fragmented to
        the learnt path MTU; the estimate ages out 10 minutes after the Datagram Too Big, and only then are
        datagrams sent at the first-hop MTU again (no increase before: at least 5 minutes, RFC 1191 3).
    Setup: fresh DUT, ARP answered; a UDP socket.
    Procedure: a 1,400-octet datagram to REMOTE (leaves whole, 1,428 octets); the gateway answers with ICMP
        3/4, MTU 1000; another datagram at once; at 9 min 59.99 s after the ICMP; at 10 min.
    Judgement: the second and third datagrams leave as two fragments (996 and 452 octets: 976 + 432 data
        octets), the datagram to OTHER whole; at 10 minutes pmtu_entries() is empty, path_mtu(REMOTE) is
        1500 and the datagram leaves whole again.
    Reference: RFC 1191 sections 3, 6.1 and 6.3.
    """
    dut.prime_arp()
    sock = dut.udp_socket()
    sock.sendto(DATA[:1400], (REMOTE, 9))
    (whole,) = [f for f in dut.receive(timeout_ms=50) if IP in f]
    assert whole[IP].len == 1428 and not whole[IP].flags.MF
    dut.send(too_big(dut, whole[IP], 1000))
    learnt_at = dut.now_ms
    assert dut.stack.ipv4_path.pmtu_entries() == [{"destination": REMOTE, "mtu": 1000, "age_ms": 0}]

    def sizes(dst):
        sock.sendto(DATA[:1400], (dst, 9))
        return [f[IP].len for f in dut.receive(timeout_ms=20) if IP in f and f[IP].dst == dst]

    assert sizes(REMOTE) == [996, 452]
    assert sizes(OTHER) == [1428]
    run(dut, learnt_at + AGING_MS - 1 - dut.now_ms)
    # The DUT's ARP entry for the gateway expired meanwhile; ARP holds only one datagram while it resolves
    # (RFC 1122 2.3.2.2), which would keep just the last fragment: the gateway makes itself known first.
    dut.prime_arp()
    assert dut.stack.ipv4_path.pmtu_entries()[0]["age_ms"] == AGING_MS - 1
    assert sizes(REMOTE) == [996, 452]  # sent 9 min 59.999 s after the ICMP
    assert dut.now_ms >= learnt_at + AGING_MS
    assert dut.stack.ipv4_path.pmtu_entries() == []
    assert dut.stack.ipv4_path.path_mtu(REMOTE) == 1500
    assert sizes(REMOTE) == [1428]
