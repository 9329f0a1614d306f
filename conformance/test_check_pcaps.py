"""reports/check_pcaps.py, the tshark check of the evidence: it must flag what the DUT sent wrong and nothing
else (frames the test sent, quoted invoking packets, payloads tshark guesses an application protocol for)."""
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
from scapy.all import ICMP, IP, TCP, UDP, Ether, IPv6, Raw, wrpcap
from scapy.layers.inet6 import ICMPv6ParamProblem, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_pcaps", REPO / "reports" / "check_pcaps.py")
check_pcaps = importlib.util.module_from_spec(_spec)
sys.modules["check_pcaps"] = check_pcaps  # dataclasses look their module up there
_spec.loader.exec_module(check_pcaps)

DUT, PEER = "02:00:00:00:00:02", "02:00:00:00:00:01"
pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed (ci/setup installs it)")


def dut(pkt):
    return Ether(src=DUT, dst=PEER) / pkt


def peer(pkt):
    return Ether(src=PEER, dst=DUT) / pkt


def findings(tmp_path, frames_by_file):
    for name, frames in frames_by_file.items():
        (tmp_path / "rfc").mkdir(exist_ok=True)
        wrpcap(str(tmp_path / "rfc" / name), frames)
    return check_pcaps.check(tmp_path, DUT)


def test_flags_wrong_checksums_and_malformed_frames_the_dut_sent(tmp_path):
    good = dut(IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=7, dport=40000) / Raw(b"ok"))
    bad_udp = dut(IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=7, dport=40000, chksum=0x1234) / Raw(b"x"))
    bad_ip = dut(IP(src="198.18.0.2", dst="198.18.0.1", chksum=0x4321) / ICMP())
    short_tcp = dut(IP(src="198.18.0.2", dst="198.18.0.1", proto=6) / Raw(b"\x00\x50\x9c\x40"))
    result = findings(tmp_path, {"a.pcap": [good, bad_udp], "b.pcap": [bad_ip, good, short_tcp]})
    got = {(f["pcap"].split("/")[-1], f["frame"], f["problems"]) for f in result["findings"]}
    assert got == {("a.pcap", 2, "wrong udp checksum"), ("b.pcap", 1, "wrong ip checksum"),
                   ("b.pcap", 3, "malformed tcp")}
    assert result["captures"] == 2 and result["frames"] == 5


def test_ignores_the_tests_frames_quotes_and_guessed_payloads(tmp_path):
    hostile = peer(IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1, dport=2, chksum=0xdead) / Raw(b"zz"))
    # An ICMPv6 Parameter Problem quoting an invoking packet whose extension headers are out of order.
    invoking = (IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() /
                Raw(b"\x00" * 8))
    quote = dut(IPv6(src="2001:db8::2", dst="2001:db8::1") / ICMPv6ParamProblem(code=1, ptr=48) / invoking)
    # A one-byte UDP payload to port 4000, which tshark dissects as a (malformed) ICQ packet.
    icq = dut(IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=7, dport=4000) / Raw(b"\x01"))
    result = findings(tmp_path, {"c.pcap": [hostile, quote, icq]})
    assert result["findings"] == []
    assert result["frames"] == 3
