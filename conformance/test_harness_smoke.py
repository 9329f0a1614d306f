"""Tests of the harness itself (the DUT fixture, captures, counters, requirement markers), not of an RFC."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw, raw, rdpcap

from harness import requirements as reqs

CONFORMANCE_DIR = Path(__file__).resolve().parent


def arp_request(dut, target=None):
    return Ether(src=dut.peer_mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=dut.peer_mac, psrc=dut.peer_ip, hwdst="00:00:00:00:00:00", pdst=target or dut.ip
    )


def is_arp_reply(frame):
    return frame[ARP].op == 2


def test_arp_request_gets_reply(dut):
    """Purpose: dut.send injects a frame and dut.expect finds the DUT's answer.
    Setup: a fresh DUT (198.18.0.2/24, 02:00:00:00:00:02).
    Procedure: the peer broadcasts an ARP request for dut.ip.
    Judgement: the DUT answers with an ARP reply to the peer, carrying its own MAC and IP.
    Reference: harness (RFC 826 "Packet Reception" is what makes it answer).
    """
    assert dut.setup_frames, "configuring the address announces it (gratuitous ARP), kept out of the test"
    assert dut.send(arp_request(dut))
    reply = dut.expect(is_arp_reply, timeout_ms=0, what="an ARP reply")
    assert reply.dst == dut.peer_mac
    assert reply[ARP].hwsrc == dut.mac and reply[ARP].psrc == dut.ip
    assert reply[ARP].hwdst == dut.peer_mac and reply[ARP].pdst == dut.peer_ip
    assert dut.counter("arp", "rx") == 1
    assert dut.counter("arp", "tx") == 1


def test_capture_holds_both_frames(dut):
    """Purpose: the fixture's capture is a pcap Scapy reads, with every frame in and out, in order.
    Setup: a fresh DUT capturing to pcaps/out/harness/<test>.pcap.
    Procedure: ARP request in, ARP reply out; read the capture while the test runs (it is flushed per frame).
    Judgement: exactly two records: the request bytes, then the reply bytes, with virtual timestamps.
    Reference: harness.
    """
    request = arp_request(dut)
    dut.advance(1500)  # the records carry virtual time
    sent_at = dut.now_ms / 1000
    dut.send(request)
    reply = dut.expect(ARP, timeout_ms=0)
    assert dut.capture_path is not None and dut.capture_path.name == "test_capture_holds_both_frames.pcap"
    assert dut.capture_path.parent.name == "harness"
    frames = rdpcap(str(dut.capture_path))
    assert len(frames) == 2
    assert raw(frames[0]) == raw(request)
    assert raw(frames[1]) == raw(reply)
    assert float(frames[0].time) == pytest.approx(sent_at)
    assert float(frames[1].time) == pytest.approx(sent_at)


def test_assert_dropped(dut):
    """Purpose: counters are read per module and reason, as increases since the test started.
    Setup: a fresh DUT.
    Procedure: an IPv4 datagram with a wrong header checksum, then a frame of an unknown EtherType.
    Judgement: assert_dropped passes for the exact counts and fails, naming what moved, for wrong ones.
    Reference: harness.
    """
    bad = dut.ipv4(chksum=0x1234) / ICMP() / b"x"
    dut.send(bad)
    dut.assert_dropped("ipv4", "BadChecksum")
    dut.send(dut.ether(type=0x88B5) / Raw(b"\x00" * 46))
    dut.assert_dropped("ethernet", "UnknownEtherType", count=1)
    assert dut.dropped("ipv4", "NotForUs") == 0
    with pytest.raises(pytest.fail.Exception) as failure:
        dut.assert_dropped("ipv4", "BadChecksum", count=2)
    message = str(failure.value)
    assert "counted 1" in message and "ipv4.BadChecksum +1" in message and "ethernet.UnknownEtherType +1" in message
    with pytest.raises(pytest.fail.Exception, match="not a drop reason"):
        dut.dropped("ipv4", "NoSuchReason")
    with pytest.raises(pytest.fail.Exception, match="no counters for module"):
        dut.dropped("nosuchmodule", "Truncated")
    dut.expect_silence(timeout_ms=100)


def test_expect_and_silence(dut):
    """Purpose: expect() waits in virtual time, expect_silence() fails when a matching frame leaves.
    Setup: a fresh DUT, ARP not primed.
    Procedure: a ping to an unresolved neighbour makes the DUT send ARP requests (one per second).
    Judgement: expect() finds the first request at once, the retransmission one second later; silence
    about ARP fails while requests go out, silence about ICMP holds; timeouts fail the test.
    Reference: harness.
    """
    assert dut.stack.icmp4.ping("198.18.0.7", id=1, seq=1)
    first = dut.expect(lambda f: f[ARP].op == 1 and f[ARP].pdst == "198.18.0.7", timeout_ms=0)
    assert first.dst == "ff:ff:ff:ff:ff:ff"
    start = dut.now_ms
    dut.expect(ARP, timeout_ms=1500, what="the retransmitted ARP request")
    assert dut.now_ms - start == 1000
    with pytest.raises(pytest.fail.Exception, match="expected no ARP"):
        dut.expect_silence(timeout_ms=1500, predicate=ARP, what="ARP")  # the next request is due at 2000 ms
    ignored = dut.expect_silence(timeout_ms=10_000, predicate=ICMP)  # it gives up: no echo request ever
    assert all(ARP in f for f in ignored)
    with pytest.raises(pytest.fail.Exception, match="within 50 ms"):
        dut.expect(UDP, timeout_ms=50)


def test_receive_and_prime_arp(dut):
    """Purpose: prime_arp teaches the DUT the peer's MAC, receive() returns what the DUT sent.
    Setup: a fresh DUT.
    Procedure: prime ARP, then ping the DUT and collect the reply with receive().
    Judgement: the echo reply goes straight to the peer's MAC, no ARP request first.
    Reference: harness.
    """
    dut.prime_arp()
    assert dut.stack.arp.lookup(dut.eth, dut.peer_ip) == dut.peer_mac
    dut.send(dut.ipv4() / ICMP(type=8, id=7, seq=9) / b"ping")
    frames = dut.receive(timeout_ms=100)
    assert [f.summary() for f in frames if ARP in f] == []
    replies = [f for f in frames if ICMP in f and f[ICMP].type == 0]
    assert len(replies) == 1 and replies[0].dst == dut.peer_mac and replies[0][IP].dst == dut.peer_ip
    assert dut.receive() == []


def test_requirement_ids_are_checked():
    """Purpose: ids in requirement markers must exist in a catalogue.
    Setup: a catalogue written to a temporary directory, and the real catalogues.
    Procedure: check known, unknown and malformed ids.
    Judgement: only the known id passes; each problem names the id.
    Reference: harness.
    """
    catalogues = reqs.load_catalogues(CONFORMANCE_DIR / "requirements")
    for key, catalogue in catalogues.items():
        some_id = next(iter(catalogue.requirements), None)
        if some_id is not None:
            assert reqs.check_ids([f"{key}:{some_id}"], catalogues) == []
    problems = reqs.check_ids(["RFC826:NO-SUCH-ID", "RFC99999:R1", "R1"], catalogues)
    assert len(problems) == 3
    assert "NO-SUCH-ID" in problems[0] and "RFC99999" in problems[1] and "form" in problems[2]


def test_unknown_requirement_fails_collection(tmp_path):
    """Purpose: collection stops, with a clear message, when a test cites an id that is in no catalogue.
    Setup: a catalogue with one requirement and a test file citing it and an unknown id, in a temporary dir.
    Procedure: run pytest --collect-only with this suite's conftest as a plugin.
    Judgement: pytest exits with a usage error naming the unknown id and the test; the known id alone passes.
    Reference: harness.
    """
    catalogue_dir = tmp_path / "requirements"
    catalogue_dir.mkdir()
    (catalogue_dir / "rfc0000.yaml").write_text(
        textwrap.dedent(
            """\
            rfc: 0
            key: RFCTEST
            title: A test catalogue
            requirements:
              - id: R1
                level: MUST
                source: "RFC 0"
                section: "1"
                summary: something
                applies: true
            """
        )
    )
    tests = tmp_path / "test_cites.py"
    tests.write_text(
        textwrap.dedent(
            """\
            import pytest

            @pytest.mark.requirement("RFCTEST:R1")
            def test_known():
                pass

            @pytest.mark.requirement("RFCTEST:R1", "RFCTEST:R404")
            def test_unknown():
                pass
            """
        )
    )

    def collect(*args):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(CONFORMANCE_DIR), os.environ.get("PYTHONPATH", "")]))
        command = [sys.executable, "-m", "pytest", "-p", "conftest", "--collect-only", "-q"]
        command += ["--rootdir", str(tmp_path), "-c", os.devnull, "--requirements-dir", str(catalogue_dir)]
        return subprocess.run(
            command + list(args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )

    result = collect(str(tests))
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert "RFCTEST:R404" in output and "test_unknown" in output, output
    assert "no requirement 'R404' in rfc0000.yaml" in output, output

    result = collect(str(tests) + "::test_known")
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
