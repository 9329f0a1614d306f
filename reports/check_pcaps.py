#!/usr/bin/python3
"""Independent check of the evidence: every frame the stack sent, in every evidence pcap, dissected by tshark.

A frame the DUT sent (Ethernet source = the DUT's MAC) that tshark marks malformed in one of the stack's
protocols, or whose own IPv4/ICMP/ICMPv6/IGMP/TCP/UDP checksum tshark finds wrong (checksum validation is
switched on), is a finding. Frames the test itself sent are not judged (hostile scenarios send malformed frames
on purpose), nor the invoking packet an ICMP error quotes, nor payload bytes that tshark guesses to be an
application protocol from a port number.

tshark starts slowly (about half a second), so the captures are concatenated into one file per link type
(their records in order, file by file) and dissected in one run; findings are mapped back to the capture and
frame number they came from.

  reports/check_pcaps.py [--pcap-dir pcaps/out] [--dut-mac 02:00:00:00:00:02] [--json OUT.json]

Exit status: 0 no finding, 1 findings (listed), 2 tshark missing or failing.
"""
from __future__ import annotations

import argparse
import json
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHECKSUM_PREFS = ["ip.check_checksum:TRUE", "tcp.check_checksum:TRUE", "udp.check_checksum:TRUE"]
EXPERT_ERROR = 0x00800000  # _ws.expert.severity of "Error"


@dataclass
class Capture:
    path: Path
    linktype: int
    records: list[bytes]  # each record header + data, little-endian microsecond format


def read_pcap(path: Path) -> Capture | None:
    """The records of a classic pcap (either byte order, us or ns), or None if it is not one."""
    data = path.read_bytes()
    if len(data) < 24:
        return None
    magic = data[:4]
    orders = {b"\xd4\xc3\xb2\xa1": ("<", 1), b"\xa1\xb2\xc3\xd4": (">", 1),
              b"\x4d\x3c\xb2\xa1": ("<", 1000), b"\xa1\xb2\x3c\x4d": (">", 1000)}
    if magic not in orders:
        return None
    order, divisor = orders[magic]
    linktype = struct.unpack(order + "I", data[20:24])[0] & 0x0FFFFFFF
    records, at = [], 24
    while at + 16 <= len(data):
        sec, frac, caplen, origlen = struct.unpack(order + "IIII", data[at:at + 16])
        if at + 16 + caplen > len(data):
            break
        body = data[at + 16:at + 16 + caplen]
        records.append(struct.pack("<IIII", sec, frac // divisor, caplen, origlen) + body)
        at += 16 + caplen
    return Capture(path, linktype, records)


def concatenate(captures: list[Capture], out: Path) -> None:
    with out.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, captures[0].linktype))
        for capture in captures:
            for record in capture.records:
                f.write(record)


# Protocols the stack builds. A malformed mark on another protocol is tshark guessing an application protocol
# from a port number in a payload the test chose (e.g. ICQ on UDP port 4000), not the stack's doing.
STACK_PROTOCOLS = {"eth", "ethertype", "arp", "ip", "ipv6", "ipv6.hopopts", "ipv6.dstopts", "ipv6.routing",
                   "ipv6.fraghdr", "icmp", "icmpv6", "igmp", "tcp", "udp"}
CHECKSUMS = ("ip", "icmp", "icmpv6", "igmp", "tcp", "udp")
FIELDS = ["frame.number", "frame.protocols", "_ws.malformed"] + [f"{p}.checksum.status" for p in CHECKSUMS]
BAD = ("0", "4")  # checksum.status: 0 bad, 4 illegal (e.g. zero UDP checksum over IPv6); 1 good, 2 unverified, 3 absent


def outer_layers(protocols: str) -> list[str]:
    """The frame's own layers up to its transport: the chain up to the first icmp/icmpv6/igmp/tcp/udp after
    the first IP header (what follows an ICMP error is the quoted invoking packet, not the DUT's header)."""
    layers = []
    for name in protocols.split(":"):
        layers.append(name)
        if name in ("icmp", "icmpv6", "igmp", "tcp", "udp"):
            break
    return layers


def judge(values: dict[str, str]) -> list[str]:
    """What is wrong with one frame the DUT sent: malformed layers of the stack's protocols, wrong checksums
    of its own (outer) headers."""
    problems = []
    for mark in values["_ws.malformed"].split(","):
        if mark.startswith("[Malformed Packet"):
            proto = mark.split(":", 1)[1].strip(" ]").lower() if ":" in mark else "?"
            if proto in STACK_PROTOCOLS or proto == "?":
                problems.append(f"malformed {proto}")
    outer = outer_layers(values["frame.protocols"])
    for proto in CHECKSUMS:
        if proto not in outer:
            continue
        first = values[f"{proto}.checksum.status"].split(",")[0]
        if first in BAD:
            problems.append(f"wrong {proto} checksum")
    return problems


def tshark_findings(pcap: Path, dut_mac: str, raw_ip: bool) -> list[tuple[int, str, str]]:
    """(frame number, protocols, problems) of every frame the DUT sent that tshark finds malformed or with a
    wrong checksum."""
    judged = f"eth.src == {dut_mac}" if not raw_ip else "frame"
    cmd = ["tshark", "-n", "-r", str(pcap)]
    for pref in CHECKSUM_PREFS:
        cmd += ["-o", pref]
    cmd += ["-Y", f"({judged}) && (_ws.malformed || _ws.expert.severity >= {EXPERT_ERROR})", "-T", "fields",
            "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for field in FIELDS:
        cmd += ["-e", field]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"tshark failed on {pcap}: {done.stderr.strip()}")
    findings = []
    for line in done.stdout.splitlines():
        parts = line.split("\t")
        if not parts or not parts[0].isdigit():
            continue
        values = dict(zip(FIELDS, parts + [""] * (len(FIELDS) - len(parts))))
        problems = judge(values)
        if problems:
            findings.append((int(parts[0]), values["frame.protocols"], "; ".join(problems)))
    return findings


def check(pcap_dir: Path, dut_mac: str) -> dict:
    files = sorted(pcap_dir.rglob("*.pcap"))
    captures = [c for c in (read_pcap(p) for p in files) if c is not None]
    unreadable = [str(p.relative_to(REPO) if p.is_relative_to(REPO) else p) for p in files
                  if p not in {c.path for c in captures}]
    findings, frames = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for linktype in sorted({c.linktype for c in captures}):
            group = [c for c in captures if c.linktype == linktype and c.records]
            if not group:
                continue
            joined = Path(tmp) / f"all-{linktype}.pcap"
            concatenate(group, joined)
            frames += sum(len(c.records) for c in group)
            # frame number (1-based) -> (capture, frame number within it)
            starts, total = [], 0
            for c in group:
                starts.append(total)
                total += len(c.records)
            for number, protocols, message in tshark_findings(joined, dut_mac, raw_ip=linktype != 1):
                index = max(i for i, s in enumerate(starts) if s < number)
                capture = group[index]
                where = capture.path.relative_to(REPO) if capture.path.is_relative_to(REPO) else capture.path
                findings.append({"pcap": str(where), "frame": number - starts[index], "protocols": protocols,
                                 "problems": message})
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()
    return {"captures": len(captures), "frames": frames, "unreadable": unreadable, "findings": findings,
            "tshark": version[0] if version else ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pcap-dir", default=str(REPO / "pcaps" / "out"))
    parser.add_argument("--dut-mac", default="02:00:00:00:00:02")
    parser.add_argument("--json", help="write the result as JSON here")
    args = parser.parse_args()
    if shutil.which("tshark") is None:
        print("check_pcaps: tshark is not installed (ci/setup installs it)", file=sys.stderr)
        return 2
    try:
        result = check(Path(args.pcap_dir), args.dut_mac.lower())
    except RuntimeError as error:
        print(f"check_pcaps: {error}", file=sys.stderr)
        return 2
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    for finding in result["findings"]:
        print(f"{finding['pcap']} frame {finding['frame']}: {finding['protocols']}: {finding['problems']}")
    for path in result["unreadable"]:
        print(f"{path}: not a pcap file")
    print(f"check_pcaps: {result['captures']} captures, {result['frames']} frames, "
          f"{len(result['findings'])} frames sent by the DUT marked malformed or with a bad checksum by tshark")
    return 1 if result["findings"] or result["unreadable"] else 0


if __name__ == "__main__":
    sys.exit(main())
