"""picotcp-replay on the reference captures (pcaps/reference/, written by pcaps/make_reference.py): each
capture replayed into a fresh stack on virtual time gives exactly the expected counters, drop reasons and
replies. The replies are read back from the pcap picotcp-replay writes and dissected by Scapy."""
import json
import os
import subprocess
from pathlib import Path

import pytest
from scapy.all import ARP, ICMP, IP, TCP, Ether, IPv6, rdpcap
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6ND_NA, IPv6ExtHdrFragment

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "pcaps" / "reference"
EXAMPLES = Path(os.environ.get("PICOTCP_EXAMPLES", REPO / "build" / "asan" / "examples"))
PEER, DUT = "198.18.0.1", "198.18.0.2"


def replay(capture: str, tmp_path, *args) -> tuple[dict, list]:
    """Replays a reference capture; returns (the JSON report, the frames the stack sent)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)  # the program brings its own ASan runtime
    env["ASAN_OPTIONS"] = "detect_leaks=1"
    out = tmp_path / "sent.pcap"
    done = subprocess.run([str(EXAMPLES / "picotcp-replay"), str(REFERENCE / capture), "--json", "--out", str(out),
                           *args], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), list(rdpcap(str(out)))


def module(report, name):
    return report["modules"][name]


def test_reference_captures_are_reproducible(tmp_path):
    """pcaps/make_reference.py writes byte-identical captures to the committed ones."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    script = (REPO / "pcaps" / "make_reference.py").read_text()
    script = script.replace('OUT = Path(__file__).resolve().parent / "reference"', f"OUT = Path({str(tmp_path)!r})")
    subprocess.run(["/usr/bin/python3", "-c", script], check=True, capture_output=True, env=env,
                   cwd=REPO / "pcaps")
    for committed in sorted(REFERENCE.glob("*.pcap")):
        assert (tmp_path / committed.name).read_bytes() == committed.read_bytes(), committed.name


def test_arp_and_ping(tmp_path):
    """An ARP request and three echo requests: one ARP reply, three echo replies with the same id, sequence
    and data, nothing dropped."""
    report, sent = replay("arp_ping.pcap", tmp_path)
    assert report["frames"] == 4 and report["refused"] == 0 and report["error"] == ""
    assert module(report, "icmp4") == {"rx": 3, "tx": 3, "drops": {}}
    assert module(report, "ipv4")["drops"] == {}
    replies = [f for f in sent if f.haslayer(ARP) and f[ARP].op == 2]
    assert len(replies) == 1 and replies[0][ARP].pdst == PEER and replies[0][ARP].psrc == DUT
    echoes = [f for f in sent if f.haslayer(ICMP)]
    assert [(e[ICMP].type, e[ICMP].id, e[ICMP].seq) for e in echoes] == [(0, 0x1234, s) for s in (1, 2, 3)]
    assert all(bytes(e[ICMP].payload) == b"ping" * 8 and e[IP].dst == PEER for e in echoes)


def test_malformed_ipv4(tmp_path):
    """Four malformed IPv4 datagrams, each dropped for its reason (Truncated, BadChecksum, BadVersion,
    BadLength), and the good echo request after them answered."""
    report, sent = replay("malformed_ipv4.pcap", tmp_path)
    assert module(report, "ipv4")["drops"] == {"Truncated": 1, "BadChecksum": 1, "BadVersion": 1, "BadLength": 1}
    echoes = [f for f in sent if f.haslayer(ICMP)]
    assert len(echoes) == 1 and echoes[0][ICMP].type == 0 and echoes[0][ICMP].seq == 1


def test_tcp_syn_to_listener_and_closed_port(tmp_path):
    """A SYN to the listener on 80 gets a SYN-ACK (retransmitted once within the second that follows, the
    handshake never completing); a SYN to closed port 81 gets RST-ACK and is counted as NoSocket."""
    report, sent = replay("tcp_syn_to_listener.pcap", tmp_path, "--tcp-listen", "80")
    assert module(report, "tcp")["drops"] == {"NoSocket": 1}
    segments = [f[TCP] for f in sent if f.haslayer(TCP)]
    synacks = [s for s in segments if s.sport == 80 and s.flags == "SA"]
    assert len(synacks) == 2 and all(s.ack == 1001 for s in synacks) and synacks[0].seq == synacks[1].seq
    resets = [s for s in segments if s.sport == 81]
    assert len(resets) == 1 and resets[0].flags == "RA" and resets[0].ack == 5001


def test_ipv6_fragmented_echo(tmp_path):
    """A Neighbor Solicitation, then an echo request in three fragments (last first): a Neighbor
    Advertisement and one echo reply carrying the 1400 bytes, nothing dropped."""
    report, sent = replay("ipv6_fragmented_echo.pcap", tmp_path)
    assert module(report, "ipv6")["drops"] == {} and module(report, "nd")["drops"] == {}
    assert [f[ICMPv6ND_NA].tgt for f in sent if f.haslayer(ICMPv6ND_NA)] == ["2001:db8::2"]
    replies = [f for f in sent if f.haslayer(ICMPv6EchoReply)]
    assert len(replies) == 1 and not replies[0].haslayer(IPv6ExtHdrFragment)
    assert replies[0][IPv6].dst == "2001:db8::1" and replies[0][ICMPv6EchoReply].data == b"z" * 1400


def test_malformed_capture_file(tmp_path):
    """A capture cut in the middle of a record: the frames before it are replayed, the exit status is 1 and
    the error is named."""
    data = (REFERENCE / "arp_ping.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:-10])
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    done = subprocess.run([str(EXAMPLES / "picotcp-replay"), str(cut), "--json"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["frames"] == 3 and report["error"] == "truncated record"
    assert module(report, "icmp4")["rx"] == 2
