#!/usr/bin/python3
"""Recomputes the IPv4 header, ICMP, UDP and TCP checksums of a fuzz input in the layout of its target
(fuzz/README.md), so an input found in a fuzz build (which skips checksum verification) replays in a build
that verifies them. Only checksum fields change; malformed parts are left as they are.

  /usr/bin/python3 fuzz/fix_checksums.py --target ipv4 INPUT OUTPUT
"""
import argparse
import ipaddress
import struct
import sys

OUR_PREFIXES = [ipaddress.ip_network(n) for n in ("198.18.0.0/24", "198.18.1.0/24", "198.18.2.0/24")]
GATEWAY = bytes([198, 18, 0, 1])
DESTINATIONS = {0: "198.18.0.2", 1: "255.255.255.255", 2: "198.18.0.255", 3: "224.0.0.1",
                4: "198.18.1.2", 5: "255.255.255.255", 6: "198.18.1.255", 7: "224.0.0.1"}


def checksum(data: bytes, initial: int = 0) -> int:
    if len(data) % 2:
        data += b"\0"
    total = initial + sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def pseudo(src: bytes, dst: bytes, protocol: int, length: int) -> int:
    return sum(struct.unpack("!4H", src + dst)) + protocol + length


def fix_transport(buf: bytearray, start: int, end: int, protocol: int, src: bytes, dst: bytes) -> None:
    segment = buf[start:end]
    if protocol == 1 and len(segment) >= 8:
        buf[start + 2:start + 4] = b"\0\0"
        buf[start + 2:start + 4] = struct.pack("!H", checksum(bytes(buf[start:end])))
    elif protocol == 17 and len(segment) >= 8:
        length = struct.unpack("!H", segment[4:6])[0]
        if 8 <= length <= len(segment) and segment[6:8] != b"\0\0":
            buf[start + 6:start + 8] = b"\0\0"
            value = checksum(bytes(buf[start:start + length]), pseudo(src, dst, 17, length)) or 0xFFFF
            buf[start + 6:start + 8] = struct.pack("!H", value)
    elif protocol == 6 and len(segment) >= 20:
        buf[start + 16:start + 18] = b"\0\0"
        buf[start + 16:start + 18] = struct.pack("!H", checksum(bytes(buf[start:end]), pseudo(src, dst, 6, end - start)))


def fix_ipv4(buf: bytearray, at: int) -> None:
    if len(buf) < at + 20 or buf[at] >> 4 != 4:
        return
    ihl = (buf[at] & 0xF) * 4
    total = struct.unpack("!H", buf[at + 2:at + 4])[0]
    if ihl < 20 or len(buf) < at + ihl:
        return
    buf[at + 10:at + 12] = b"\0\0"
    buf[at + 10:at + 12] = struct.pack("!H", checksum(bytes(buf[at:at + ihl])))
    fragment = struct.unpack("!H", buf[at + 6:at + 8])[0] & 0x3FFF
    if fragment or total < ihl or at + total > len(buf):
        return
    fix_transport(buf, at + ihl, at + total, buf[at + 9], bytes(buf[at + 12:at + 16]), bytes(buf[at + 16:at + 20]))


def harness_source(raw: bytes) -> bytes:
    """The source transport_input puts in RxMeta (fuzz/harness.hpp)."""
    a = ipaddress.ip_address(raw)
    directed = any(a == n.broadcast_address for n in OUR_PREFIXES)
    if a == ipaddress.ip_address("255.255.255.255") or a.is_multicast or directed or a.is_loopback or \
            (int(a) >> 28) == 0xF:
        return GATEWAY
    return raw


def fix(target: str, data: bytes) -> bytes:
    buf = bytearray(data)
    if target in ("ethernet", "frame"):
        if len(buf) >= 14 and buf[12:14] == b"\x08\x00":
            fix_ipv4(buf, 14)
    elif target == "ipv4":
        fix_ipv4(buf, 1)
    elif target in ("icmp4", "udp", "tcp"):
        if len(buf) >= 8:
            src = harness_source(bytes(buf[0:4]))
            dst = ipaddress.ip_address(DESTINATIONS[buf[4] & 7]).packed
            protocol = {"icmp4": 1, "udp": 17, "tcp": 6}[target]
            fix_transport(buf, 8, len(buf), protocol, src, dst)
    elif target in ("arp", "tcp_listen", "tcp_established"):
        pass  # ARP has no checksum; the stateful TCP targets' harness writes every checksum itself
    elif target in ("icmp6", "nd", "mld", "igmp"):
        pass  # the harness writes the ICMPv6 / IGMP checksum of every message itself
    elif target in ("ipv4_reassembly", "ipv6_reassembly"):
        # The harness writes each IPv4 header checksum; the transport checksum of a reassembled datagram spans
        # several records and is left as found (such a finding replays past it only in fuzz builds).
        pass
    else:
        raise SystemExit(f"fix_checksums: no checksum layout known for target {target!r}")
    return bytes(buf)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True)
    parser.add_argument("input")
    parser.add_argument("output")
    args = parser.parse_args(argv)
    data = open(args.input, "rb").read()
    fixed = fix(args.target, data)
    open(args.output, "wb").write(fixed)
    changed = sum(1 for a, b in zip(data, fixed) if a != b)
    print(f"fix_checksums: {args.output}: {changed} bytes changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
