#!/usr/bin/python3
"""Converts a pcap into the sequence input format of the stateful fuzz targets (fuzz/README.md):
[u16 be length][u16 be time delta ms][bytes] per record, the delta taken from the capture's timestamps
(clamped to 0..65535 ms).

  /usr/bin/python3 fuzz/pcap2seq.py capture.pcap out.seq [--src-mac 02:00:00:00:00:fe] [--layer ether|ip|l4]
  /usr/bin/python3 fuzz/pcap2seq.py capture.pcap out.seq --target tcp_established [--peer-ip A | --src-mac M]
                                    [--setup BYTE] [--no-calls]

--src-mac keeps only the frames that MAC sent (the peer's side; the stack's own answers are left out).
--layer: what a record holds: the whole Ethernet frame (default), the IPv4 datagram, or the transport
segment after the IPv4 header (as the target documents; tcp_listen takes l4).

--target tcp_established: the first TCP connection of the capture becomes a tcp_established input. The peer
is the side at --peer-ip, or the side sending from --src-mac, or else the side facing 198.18.0.2 (the stack's
address in the harness and in the conformance suite's captures), or else the side that sent the first SYN. The set-up byte says passive or active open and what the peer's SYN (or
SYN-ACK) offered (timestamps, SACK-permitted, window scale, MSS <= 536); --setup overrides it. The handshake
is left out (the harness makes its own); the peer's later segments become segment records in relative
numbering (seq minus the peer's ISN, ack and SACK edges minus the stack's ISS, TSecr minus the last TSval the
stack had sent). Unless --no-calls, the stack's side becomes application calls: a write of each new data
the stack sent (at the time it was sent), a shutdown_write for its FIN, and a read of everything after each
segment of the peer that carried data.
"""
import argparse
import struct
import sys

from scapy.all import IP, TCP, Ether, rdpcap

# Set-up byte and application calls of fuzz/targets/tcp_established.cpp.
EST_PASSIVE, EST_ACTIVE = 0, 1
EST_TS, EST_SACK, EST_WS, EST_SMALL_MSS = 0x10, 0x20, 0x40, 0x80
OP_READ_ALL, OP_WRITE, OP_SHUTDOWN_WRITE = 1, 2, 5
CALL_BIT = 0x8000
MAX_CALL_DATA = 0x7FFF - 1
STACK_IP = "198.18.0.2"


def records(packets, src_mac=None, layer="ether"):
    previous = None
    for packet in packets:
        if src_mac is not None and (Ether not in packet or packet[Ether].src.lower() != src_mac.lower()):
            continue
        if layer == "ether":
            data = bytes(packet)
        else:
            if IP not in packet:
                continue
            data = bytes(packet[IP]) if layer == "ip" else bytes(packet[IP].payload)
        t = float(packet.time)
        delta = 0 if previous is None else int(round((t - previous) * 1000))
        previous = t
        yield max(0, min(delta, 0xFFFF)), data[:0xFFFF]


def encode(recs):
    return b"".join(struct.pack("!HH", len(data), delta) + data for delta, data in recs)


# ---- tcp_established ----

def _option_offsets(segment: bytes):
    """(kind, offset, length) of each option with a length byte, as the stack's parser walks them."""
    header_len = (segment[12] >> 4) * 4
    at, end = 20, min(header_len, len(segment))
    while at < end:
        kind = segment[at]
        if kind == 0:
            return
        if kind == 1:
            at += 1
            continue
        if end - at < 2:
            return
        length = segment[at + 1]
        if length < 2 or length > end - at:
            return
        yield kind, at, length
        at += length


def _relative(segment: bytes, peer_isn: int, stack_iss: int, stack_tsval: int) -> bytes:
    s = bytearray(segment)
    seq, ack = struct.unpack_from("!II", s, 4)
    struct.pack_into("!II", s, 4, (seq - peer_isn) & 0xFFFFFFFF, (ack - stack_iss) & 0xFFFFFFFF)
    for kind, at, length in list(_option_offsets(bytes(s))):
        if kind == 8 and length == 10:
            ecr = struct.unpack_from("!I", s, at + 6)[0]
            struct.pack_into("!I", s, at + 6, (ecr - stack_tsval) & 0xFFFFFFFF)
        if kind == 5:
            for edge in range(at + 2, at + length - 3, 4):
                value = struct.unpack_from("!I", s, edge)[0]
                struct.pack_into("!I", s, edge, (value - stack_iss) & 0xFFFFFFFF)
    struct.pack_into("!H", s, 16, 0)  # the harness writes the checksum
    return bytes(s)


def _tsval(segment: bytes):
    for kind, at, length in _option_offsets(segment):
        if kind == 8 and length == 10:
            return struct.unpack_from("!I", segment, at + 2)[0]
    return None


def established(packets, peer_ip=None, src_mac=None, setup=None, calls=True):
    """(set-up byte, [(delta ms, record bytes)]) for the first TCP connection in the capture."""
    tcp_packets = [p for p in packets if IP in p and TCP in p]
    first_syn = next((p for p in tcp_packets if p[TCP].flags & 0x02 and not p[TCP].flags & 0x10), None)
    if first_syn is None:
        raise SystemExit("pcap2seq: no SYN in the capture")
    a = (first_syn[IP].src, first_syn[TCP].sport)
    b = (first_syn[IP].dst, first_syn[TCP].dport)

    def side(p):
        ends = ((p[IP].src, p[TCP].sport), (p[IP].dst, p[TCP].dport))
        return ends if ends in ((a, b), (b, a)) else None

    if peer_ip is None and src_mac is None and STACK_IP in (a[0], b[0]) and a[0] != b[0]:
        peer_ip = b[0] if a[0] == STACK_IP else a[0]  # the harness's (and the conformance suite's) addresses

    def from_peer(p):
        if peer_ip is not None:
            return p[IP].src == peer_ip
        if src_mac is not None:
            return Ether in p and p[Ether].src.lower() == src_mac.lower()
        return (p[IP].src, p[TCP].sport) == a

    conversation = [p for p in tcp_packets if side(p)]
    peer_opened = from_peer(first_syn)
    peer_syn = next((p for p in conversation if from_peer(p) and p[TCP].flags & 0x02), None)
    stack_syn = next((p for p in conversation if not from_peer(p) and p[TCP].flags & 0x02), None)
    if peer_syn is None or stack_syn is None:
        raise SystemExit("pcap2seq: the capture does not hold both SYNs of the connection")
    peer_isn, stack_iss = peer_syn[TCP].seq, stack_syn[TCP].seq
    if setup is None:
        setup = EST_PASSIVE if peer_opened else EST_ACTIVE
        options = dict((name, value) for name, value in peer_syn[TCP].options)
        setup |= EST_TS if "Timestamp" in options else 0
        setup |= EST_SACK if "SAckOK" in options else 0
        setup |= EST_WS if "WScale" in options else 0
        setup |= EST_SMALL_MSS if options.get("MSS", 1460) <= 536 else 0

    out, previous, stack_tsval, stack_sent = [], None, 0, 0
    handshake_done = False

    def add(t, data):
        nonlocal previous
        delta = 0 if previous is None else int(round((t - previous) * 1000))
        previous = t
        out.append((max(0, min(delta, 0xFFFF)), data))

    for p in conversation:
        ip = bytes(p[IP])
        segment = ip[(ip[0] & 0x0F) * 4:p[IP].len]  # without the link layer's padding
        flags, t = int(p[TCP].flags), float(p.time)
        if not from_peer(p):
            tsval = _tsval(segment)
            if tsval is not None:
                stack_tsval = tsval
            data = segment[(segment[12] >> 4) * 4:]
            first = (p[TCP].seq - stack_iss - 1) & 0xFFFFFFFF  # stream offset of data[0]
            if calls and data and first < 0x80000000 and first + len(data) > stack_sent:
                new = data[stack_sent - first:] if first < stack_sent else data
                for i in range(0, len(new), MAX_CALL_DATA):
                    body = bytes([OP_WRITE]) + new[i:i + MAX_CALL_DATA]
                    add(t, (CALL_BIT, body))
                stack_sent = first + len(data)
            if calls and flags & 0x01:
                add(t, (CALL_BIT, bytes([OP_SHUTDOWN_WRITE])))
            continue
        if not handshake_done:
            # The harness makes the handshake: the peer's SYN or SYN-ACK is left out, and so is the ACK that
            # completes a passive open unless it carries data.
            if flags & 0x02:
                continue
            handshake_done = True
            if peer_opened and flags == 0x10 and len(segment) == (segment[12] >> 4) * 4:
                continue
        add(t, (0, _relative(segment, peer_isn, stack_iss, stack_tsval)))
        if calls and len(segment) > (segment[12] >> 4) * 4:
            add(t, (CALL_BIT, bytes([OP_READ_ALL])))
    return setup, out


def encode_established(setup, recs):
    body = b""
    for delta, (bit, data) in recs:
        body += struct.pack("!HH", bit | len(data), delta) + data
    return bytes([setup]) + body


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pcap")
    parser.add_argument("out")
    parser.add_argument("--src-mac", help="keep only frames from this MAC (tcp_established: the peer's MAC)")
    parser.add_argument("--layer", choices=["ether", "ip", "l4"], default="ether")
    parser.add_argument("--target", choices=["tcp_established"], help="write that target's format")
    parser.add_argument("--peer-ip", help="tcp_established: the peer's address")
    parser.add_argument("--setup", type=lambda v: int(v, 0), help="tcp_established: the set-up byte")
    parser.add_argument("--no-calls", action="store_true", help="tcp_established: segments only")
    args = parser.parse_args(argv)
    packets = rdpcap(args.pcap)
    if args.target == "tcp_established":
        setup, recs = established(packets, args.peer_ip, args.src_mac, args.setup, not args.no_calls)
        with open(args.out, "wb") as out:
            out.write(encode_established(setup, recs))
        calls = sum(1 for _, (bit, _) in recs if bit)
        print(f"pcap2seq: set-up 0x{setup:02x}, {len(recs) - calls} segments, {calls} calls -> {args.out}")
        return 0
    recs = list(records(packets, args.src_mac, args.layer))
    with open(args.out, "wb") as out:
        out.write(encode(recs))
    print(f"pcap2seq: {len(recs)} records -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
