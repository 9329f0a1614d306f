#!/usr/bin/python3
"""Converts a pcap into the sequence input format of the stateful fuzz targets (fuzz/README.md):
[u16 be length][u16 be time delta ms][bytes] per record, the delta taken from the capture's timestamps
(clamped to 0..65535 ms).

  /usr/bin/python3 fuzz/pcap2seq.py capture.pcap out.seq [--src-mac 02:00:00:00:00:fe] [--layer ether|ip|l4]

--src-mac keeps only the frames that MAC sent (the peer's side; the stack's own answers are left out).
--layer: what a record holds: the whole Ethernet frame (default), the IPv4 datagram, or the transport
segment after the IPv4 header (as the target documents).
"""
import argparse
import struct
import sys

from scapy.all import IP, Ether, rdpcap


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pcap")
    parser.add_argument("out")
    parser.add_argument("--src-mac", help="keep only frames from this MAC")
    parser.add_argument("--layer", choices=["ether", "ip", "l4"], default="ether")
    args = parser.parse_args(argv)
    recs = list(records(rdpcap(args.pcap), args.src_mac, args.layer))
    with open(args.out, "wb") as out:
        out.write(encode(recs))
    print(f"pcap2seq: {len(recs)} records -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
