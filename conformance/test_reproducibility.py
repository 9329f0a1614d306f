"""Reproducibility of the evidence: two runs of the same scenarios on the same build give identical verdicts
and byte-identical pcaps (virtual time, seeded randomness: nothing in a run depends on the wall clock or on
the order of other tests). Proved here on a subset (ARP, ICMP, IPv4 fragmentation, TCP handshakes over both
families), each run a separate pytest process writing its own junit XML and pcap directory."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

CONFORMANCE = Path(__file__).resolve().parent
SUBSET = ["rfc0826_arp", "rfc0792_icmp", "rfc0791_ipv4/test_ipv4_fragmentation.py", "rfc8200_ipv6"]


def run_subset(out: Path) -> dict[str, str]:
    """Runs the subset into out/pcaps with junit out/junit.xml; returns {test id: outcome}."""
    junit = out / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *[str(CONFORMANCE / s) for s in SUBSET], "-q", "-p", "no:cacheprovider",
         f"--junitxml={junit}", f"--pcap-dir={out / 'pcaps'}"],
        capture_output=True, text=True, env=dict(os.environ), cwd=CONFORMANCE.parent, timeout=900)
    assert junit.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = child.tag
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return outcomes


def test_two_runs_give_identical_verdicts_and_pcaps(tmp_path):
    first = run_subset(tmp_path / "first")
    second = run_subset(tmp_path / "second")
    assert len(first) > 100  # the subset really ran
    assert first == second
    pcaps_first = sorted(p.relative_to(tmp_path / "first" / "pcaps") for p in (tmp_path / "first" / "pcaps").rglob("*.pcap"))
    pcaps_second = sorted(p.relative_to(tmp_path / "second" / "pcaps") for p in (tmp_path / "second" / "pcaps").rglob("*.pcap"))
    assert pcaps_first == pcaps_second and len(pcaps_first) == len(first)
    different = [str(p) for p in pcaps_first
                 if (tmp_path / "first" / "pcaps" / p).read_bytes() != (tmp_path / "second" / "pcaps" / p).read_bytes()]
    assert different == []
