#!/usr/bin/python3
"""Writes the reference captures pcaps/reference/*.pcap (reproducible: fixed fields and timestamps).

Each capture is what a peer at 198.18.0.1 / 2001:db8::1 (MAC 02:00:00:00:00:01) sends to a stack at
198.18.0.2 / 2001:db8::2 (MAC 02:00:00:00:00:02); conformance/replay/test_replay.py replays each with
picotcp-replay and asserts the counters and the replies. Run: /usr/bin/python3 pcaps/make_reference.py
"""
from pathlib import Path

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPv6, Raw, wrpcap
from scapy.all import fragment6
from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6ExtHdrFragment

OUT = Path(__file__).resolve().parent / "reference"
PEER_MAC, DUT_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
PEER, DUT = "198.18.0.1", "198.18.0.2"
PEER6, DUT6 = "2001:db8::1", "2001:db8::2"
T0 = 1_700_000_000


def eth():
    return Ether(src=PEER_MAC, dst=DUT_MAC)


def timed(frames, start=T0, step=0.1):
    for i, frame in enumerate(frames):
        frame.time = start + i * step
    return frames


def arp_ping():
    """ARP who-has for the DUT, then three echo requests: three ARP-resolved echo replies."""
    frames = [Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") /
              ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, hwdst="00:00:00:00:00:00", pdst=DUT)]
    frames += [eth() / IP(src=PEER, dst=DUT, id=100 + i) / ICMP(type=8, id=0x1234, seq=i) / Raw(b"ping" * 8)
               for i in range(1, 4)]
    return timed(frames)


def arp_request():
    """The peer asks for the DUT: the DUT learns the peer's address from it (RFC 826) and answers."""
    return Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=DUT)


def tcp_syn_to_listener():
    """A SYN to a listener on port 80 and a SYN to closed port 81: a SYN-ACK (and its retransmission one
    second later, the handshake never completes) and a RST."""
    syn = eth() / IP(src=PEER, dst=DUT) / TCP(sport=40000, dport=80, flags="S", seq=1000, window=65535,
                                              options=[("MSS", 1460)])
    closed = eth() / IP(src=PEER, dst=DUT) / TCP(sport=40001, dport=81, flags="S", seq=5000, window=65535)
    return timed([arp_request(), syn, closed])


def malformed():
    """Frames that must each be dropped with a named reason, and one good echo request at the end."""
    good = IP(src=PEER, dst=DUT) / ICMP(type=8, id=7, seq=1) / Raw(b"x" * 16)
    bad_checksum = IP(bytes(IP(src=PEER, dst=DUT) / ICMP(type=8, id=7, seq=2)))
    bad_checksum.chksum ^= 0xffff
    raw_bad = bytes(bad_checksum)
    ipv4 = {"type": 0x0800}
    frames = [
        arp_request(),
        Ether(src=PEER_MAC, dst=DUT_MAC, **ipv4) / Raw(bytes(good)[:12]),  # IPv4 header cut short
        Ether(src=PEER_MAC, dst=DUT_MAC, **ipv4) / Raw(raw_bad),           # header checksum wrong
        eth() / IP(src=PEER, dst=DUT, version=5) / ICMP(),  # version 5
        eth() / IP(src=PEER, dst=DUT, len=200) / ICMP(),    # total length beyond the frame
        eth() / good,
    ]
    return timed(frames)


def ipv6_fragmented_echo():
    """A Neighbor Solicitation for the DUT (the DUT learns the peer's link-layer address from its option and
    answers), then an ICMPv6 echo request of 1400 bytes in three fragments, last first: one echo reply."""
    ns = (eth() / IPv6(src=PEER6, dst=DUT6, hlim=255) / ICMPv6ND_NS(tgt=DUT6) /
          ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC))
    echo = IPv6(src=PEER6, dst=DUT6) / IPv6ExtHdrFragment(id=0xabc) / ICMPv6EchoRequest(id=5, seq=1, data=b"z" * 1400)
    pieces = fragment6(echo, 600)
    assert len(pieces) == 3
    frames = [ns] + [eth() / p for p in (pieces[2], pieces[0], pieces[1])]
    return timed(frames)


CAPTURES = {
    "arp_ping.pcap": arp_ping,
    "tcp_syn_to_listener.pcap": tcp_syn_to_listener,
    "malformed_ipv4.pcap": malformed,
    "ipv6_fragmented_echo.pcap": ipv6_fragmented_echo,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in CAPTURES.items():
        wrpcap(str(OUT / name), make())
        print(OUT / name)


if __name__ == "__main__":
    main()
