"""Tests of reports/summary.py's HTML report (reports/out/index.html) on a synthetic junit XML and catalogue.

They need neither the C++ build nor picotcp: summary.py only reads the junit XML, the catalogues, git, c++
--version and (for a failing test's frames) the pcap with Scapy.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SUMMARY = REPO / "reports" / "summary.py"

CATALOGUE = """\
rfc: 9999
key: RFC9999
title: A Synthetic Protocol <for tests>
requirements:
  - id: M1
    level: MUST
    source: "RFC 9999"
    section: "2.1"
    summary: Passing MUST, covered by test_pass.
  - id: M2
    level: MUST NOT
    source: "RFC 9999"
    section: "2.2"
    summary: Failing MUST NOT, covered by test_fail.
  - id: M3
    level: MUST
    source: "RFC 9999"
    section: "2.3"
    summary: Untested MUST, no test cites it.
  - id: M4
    level: MUST
    source: "RFC 9999"
    section: "2.4"
    summary: Skipped-only MUST, its one test was skipped.
  - id: S1
    level: SHOULD
    source: "RFC 9999"
    section: "3"
    summary: Passing SHOULD.
  - id: S2
    level: SHOULD NOT
    source: "RFC 9999"
    section: "3"
    summary: Not applicable SHOULD NOT.
    applies: false
    reason: The stack has no <widget> & never sends one.
  - id: Y1
    level: MAY
    source: "RFC 9999"
    section: "4"
    summary: Untested MAY.
"""

FAIL_MESSAGE = "AssertionError: expected <RST> & got \"SYN\""


def _junit(pcap_fail: str, pcap_pass: str) -> str:
    def esc(text: str) -> str:
        return html.escape(text, quote=True)

    return f"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4">
<testcase classname="rfc9999.test_x" name="test_pass" file="rfc9999/test_x.py" time="0.1"><properties>
<property name="requirements" value="RFC9999:M1,RFC9999:S1" />
<property name="pcap" value="{esc(pcap_pass)}" />
<property name="doc" value="Purpose: passes." /></properties></testcase>
<testcase classname="rfc9999.test_x" name="test_fail" file="rfc9999/test_x.py" time="0.1"><properties>
<property name="requirements" value="RFC9999:M2" />
<property name="pcap" value="{esc(pcap_fail)}" /></properties>
<failure message="{esc(FAIL_MESSAGE)}">def test_fail(dut):
&gt;       assert False, 'expected &lt;RST&gt;'
E       {esc(FAIL_MESSAGE)}</failure></testcase>
<testcase classname="rfc9999.test_x" name="test_skipped" file="rfc9999/test_x.py" time="0.0"><properties>
<property name="requirements" value="RFC9999:M4" /></properties>
<skipped message="not built" /></testcase>
<testcase classname="rfc9999.test_x" name="test_no_requirement" file="rfc9999/test_x.py" time="0.0" />
</testsuite></testsuites>
"""


def _write_pcap(path: Path, frames: int) -> None:
    from scapy.all import ICMP, IP, Ether, wrpcap

    packets = [
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="198.18.0.1", dst="198.18.0.2") / ICMP(seq=i)
        for i in range(frames)
    ]
    wrpcap(str(path), packets)


def _load_summary():
    """reports/summary.py as a module (registered in sys.modules first: its dataclasses need that)."""
    name = "picotcp_report_summary"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SUMMARY)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


@pytest.fixture
def report(tmp_path):
    """Runs summary.main on the synthetic inputs; gives (exit status, html text, out dir, json)."""
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    (requirements / "rfc9999.yaml").write_text(CATALOGUE, encoding="utf-8")
    pcaps = tmp_path / "pcaps" / "out" / "rfc9999"
    pcaps.mkdir(parents=True)
    _write_pcap(pcaps / "test_fail.pcap", 65)
    _write_pcap(pcaps / "test_pass.pcap", 2)
    junit = tmp_path / "junit.xml"
    junit.write_text(_junit(str(pcaps / "test_fail.pcap"), str(pcaps / "test_pass.pcap")), encoding="utf-8")
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    (build_dir / "CMakeCache.txt").write_text(
        "# comment\nCMAKE_BUILD_TYPE:STRING=Debug\nPICO_TCP:BOOL=ON\nPICO_UDP:BOOL=OFF\nPICO_FRAME_COUNT:STRING=48\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    status = _load_summary().main(
        ["--junit", str(junit), "--requirements", str(requirements), "--out", str(out), "--build-dir", str(build_dir)]
    )
    text = (out / "index.html").read_text(encoding="utf-8")
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return status, text, out, data


def _counts(text: str, level: str) -> dict[str, int]:
    row = re.search(rf'<tr class="counts" data-rfc="RFC9999" data-level="{level}">(.*?)</tr>', text, re.S)
    assert row, f"no counts row for {level}"
    return {v: int(n) for v, n in re.findall(r'data-verdict="([^"]+)">(\d+)</td>', row.group(1))}


def _requirement_row(text: str, rid: str) -> str:
    row = re.search(rf'<tr id="req-RFC9999-{rid}" class="req"[^>]*>(.*?)</tr>', text, re.S)
    assert row, f"no row for {rid}"
    return row.group(0)


def test_exit_status_and_files(report):
    status, text, out, data = report
    assert status == 1  # an applicable MUST NOT fails
    assert (out / "report.md").is_file() and (out / "report.json").is_file()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert data["mandatory_failures"] == ["RFC9999:M2"]


def test_verdict_counts_per_level(report):
    _, text, _, _ = report
    assert _counts(text, "MUST") == {"pass": 1, "fail": 1, "untested": 2, "not applicable": 0}
    assert _counts(text, "SHOULD") == {"pass": 1, "fail": 0, "untested": 0, "not applicable": 1}
    assert _counts(text, "MAY") == {"pass": 0, "fail": 0, "untested": 1, "not applicable": 0}
    assert "<p>All catalogues: 2 pass, 1 fail, 3 untested, 1 not applicable.</p>" in text


def test_untested_is_never_passing(report):
    _, text, _, _ = report
    for rid in ("M3", "M4", "Y1"):
        row = _requirement_row(text, rid)
        assert 'data-verdict="untested"' in row
        assert '<span class="verdict v-untested">untested</span>' in row
        assert "v-pass" not in row
    assert "(skipped)" in _requirement_row(text, "M4")
    passing = _requirement_row(text, "M1")
    assert '<span class="verdict v-pass">pass</span>' in passing
    assert "test_pass" in passing and "../pcaps/out/rfc9999/test_pass.pcap" in passing


def test_failing_test_message_is_escaped(report):
    _, text, _, _ = report
    assert html.escape(FAIL_MESSAGE, quote=True) in text
    assert FAIL_MESSAGE not in text  # the raw "<RST>" never reaches the page
    assert "<RST>" not in text
    assert '<span class="verdict v-fail">FAIL</span>' in _requirement_row(text, "M2")


def test_failing_test_frames(report):
    _, text, _, _ = report
    failure = re.search(r'<div class="failing".*?</div>', text, re.S)
    assert failure and "test_fail" in failure.group(0)
    frames = re.search(r'<pre class="frames">(.*?)</pre>', failure.group(0), re.S)
    assert frames, "no frame list for the failing test"
    lines = frames.group(1).splitlines()
    assert len(lines) == 60  # the capture holds 65; at most 60 are listed
    assert "ICMP 198.18.0.1 &gt; 198.18.0.2 echo-request 0" in lines[0]
    assert lines[59].startswith(" 60  +") and "echo-request" in lines[59]
    assert "first 60 frames shown" in failure.group(0)
    assert 'href="../pcaps/out/rfc9999/test_fail.pcap"' in failure.group(0)


def test_not_applicable_reason(report):
    _, text, _, _ = report
    row = _requirement_row(text, "S2")
    assert '<span class="verdict v-not-applicable">not applicable</span>' in row
    assert "The stack has no &lt;widget&gt; &amp; never sends one." in row


def test_self_contained(report):
    _, text, _, _ = report
    for attribute in re.findall(r'\b(?:src|href|action|data)\s*=\s*"([^"]*)"', text, re.I):
        assert not re.match(r"^\s*(?:https?:)?//", attribute, re.I), attribute
    assert "<link" not in text and "<script" not in text and "@import" not in text
    assert "url(" not in text


def test_svg_chart(report):
    _, text, _, _ = report
    svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
    assert len(svgs) == 2  # the overview (one bar per RFC) and the RFC's chart by level
    overview = svgs[0]
    assert overview.count('class="bar"') == 4  # pass, fail, untested, not applicable for RFC9999
    assert "<title>RFC9999: 3 untested</title>" in overview
    by_level = svgs[1]
    assert "<title>MUST: 2 untested</title>" in by_level and "<title>SHOULD: 1 not applicable</title>" in by_level


def test_build_identity(report):
    _, text, _, data = report
    build = data["build"]
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", build["commit"])
    assert build["dirty"] in (True, False, None)
    assert build["options"] == {"PICO_FRAME_COUNT": "48", "PICO_TCP": "ON", "PICO_UDP": "OFF"}
    assert build["build_type"] == "Debug"
    assert f"<code>{build['commit']}</code>" in text
    assert "Options on: PICO_TCP<br>Options off: PICO_UDP" in text
    assert html.escape(build["compiler"]) in text


def test_markdown_and_json_keep_their_content(report):
    _, _, out, data = report
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "| RFC9999:M3 | MUST | RFC 9999 2.3 | Untested MUST, no test cites it. | - | untested | - |" in markdown
    assert set(data) >= {"generated", "junit", "catalogues", "tests", "totals", "result", "summary", "build"}
    assert data["totals"] == {"pass": 2, "fail": 1, "untested": 3, "not applicable": 1}


def test_command_line(tmp_path):
    """The script itself runs from the command line and writes index.html (exit 0 when nothing mandatory fails)."""
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    (requirements / "rfc9999.yaml").write_text(CATALOGUE, encoding="utf-8")
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuites><testsuite name="pytest" tests="0"></testsuite></testsuites>', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SUMMARY), "--junit", str(junit), "--requirements", str(requirements), "--out",
         str(tmp_path / "out"), "--build-dir", str(tmp_path / "no-build")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "module options unknown" in text
    assert _counts(text, "MUST") == {"pass": 0, "fail": 0, "untested": 4, "not applicable": 0}
    assert "<p>No test failed.</p>" in text


def test_evidence_check_findings_fail_the_run(tmp_path):
    """A tshark finding (reports/check_pcaps.py's JSON given with --pcap-check) is listed in the HTML and
    Markdown reports and makes the exit status 1 even when no MUST fails; a clean check is shown as such."""
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    (requirements / "rfc9999.yaml").write_text(CATALOGUE, encoding="utf-8")
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuites><testsuite name="pytest" tests="0"></testsuite></testsuites>', encoding="utf-8")
    finding = {"pcap": "pcaps/out/rfc9999/test_x.pcap", "frame": 3, "protocols": "eth:ethertype:ip:udp",
               "problems": "wrong udp checksum"}
    for findings, expected in (([finding], 1), ([], 0)):
        check = tmp_path / "check.json"
        check.write_text(json.dumps({"captures": 4, "frames": 17, "unreadable": [], "findings": findings,
                                     "tshark": "TShark 4.0"}), encoding="utf-8")
        out = tmp_path / f"out{expected}"
        status = _load_summary().main(["--junit", str(junit), "--requirements", str(requirements), "--out", str(out),
                                       "--build-dir", str(tmp_path / "no-build"), "--pcap-check", str(check)])
        assert status == expected
        text = (out / "index.html").read_text(encoding="utf-8")
        markdown = (out / "report.md").read_text(encoding="utf-8")
        assert 'id="evidence-check"' in text
        assert "4 captures, 17 frames dissected by TShark 4.0" in text
        assert f"wrong checksum: <strong>{len(findings)}</strong>" in text
        assert ("wrong udp checksum" in text) == bool(findings)
        assert ("wrong udp checksum" in markdown) == bool(findings)
        assert json.loads((out / "report.json").read_text(encoding="utf-8"))["evidence_check"]["findings"] == findings


def test_coverage_and_fuzz_sections(tmp_path):
    """Coverage per module (reports/coverage.py's JSON, one column pair per source) and the latest fuzz
    campaign's statistics (fuzz/run's stats.json) appear in the HTML and Markdown reports with their figures."""
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    (requirements / "rfc9999.yaml").write_text(CATALOGUE, encoding="utf-8")
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuites><testsuite name="pytest" tests="0"></testsuite></testsuites>', encoding="utf-8")
    counts = {"files": 2, "lines": 200, "lines_covered": 150, "line_percent": 75.0, "branches": 40,
              "branches_covered": 10, "branch_percent": 25.0}
    conformance = tmp_path / "conformance.json"
    conformance.write_text(json.dumps({"source": "conformance", "modules": {"TCP": counts}, "files": {}}))
    stats = tmp_path / "stats.json"
    stats.write_text(json.dumps({"engine": "libfuzzer", "started": "2026-11-24T10:00:00+00:00", "findings_total": 0,
                                 "targets": {"ipv6": {"seconds": 600.2, "execs": 3000000, "exec_per_s": 5000,
                                                      "edges": 2100, "corpus_size": 310, "findings": []}}}))
    out = tmp_path / "out"
    status = _load_summary().main(["--junit", str(junit), "--requirements", str(requirements), "--out", str(out),
                                   "--build-dir", str(tmp_path / "no-build"), "--coverage",
                                   f"conformance={conformance}", "--fuzz-stats", str(stats)])
    assert status == 0
    text = (out / "index.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert 'id="coverage"' in text and "<td>TCP</td>" in text
    assert "75.0% (150/200)" in text and "25.0% (10/40)" in text
    assert "| TCP | 75.0% (150/200) | 25.0% (10/40) |" in markdown
    assert 'id="fuzzing"' in text and "| ipv6 | 600.2 | 3000000 | 5000 | 2100 | 310 | 0 |" in markdown
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["coverage"]["conformance"]["TCP"]["lines_covered"] == 150
    assert data["fuzz"]["targets"]["ipv6"]["findings"] == 0


def _size_target(compiler: str, core: int, scale: int) -> dict:
    """A bench/size target: the core, the minimal preset, IPV4 alone and ARP with its dependencies."""
    return {"compiler": compiler, "flags": "-Os -ffunction-sections -fdata-sections -Wl,--gc-sections",
            "core": {"text": core, "data": 8, "bss": 900},
            "presets": {"minimal": {"text": core + 30 * scale, "data": 16, "bss": 90000,
                                    "delta_text": 30 * scale, "modules": ["ETHERNET", "ARP", "IPV4"]}},
            "modules": {"IPV4": {"text": core + 4 * scale, "data": 8, "bss": 1200, "delta_text": 4 * scale,
                                 "own_text": 4 * scale, "depends": []},
                        "ARP": {"text": core + 7 * scale, "data": 12, "bss": 2000, "delta_text": 7 * scale,
                                "own_text": 3 * scale, "depends": ["ETHERNET", "IPV4"]}}}


def test_code_size_section(tmp_path):
    """bench/size's JSON (--size) is shown as "Code size per module and preset" in the HTML and Markdown reports
    with the two targets side by side: the core, each preset with its modules, each module with its .text over
    the core, its own part over its dependencies and the dependencies it pulled. A malformed file is refused."""
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    (requirements / "rfc9999.yaml").write_text(CATALOGUE, encoding="utf-8")
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuites><testsuite name="pytest" tests="0"></testsuite></testsuites>', encoding="utf-8")
    size = tmp_path / "size.json"
    size.write_text(json.dumps({"compiler": {}, "flags": {}, "targets": {
        "x86-64": _size_target("g++ (Debian 12.2.0-14) 12.2.0", 5000, 1000),
        "cortex-m4": _size_target("arm-none-eabi-g++ 12.2.1 <hard float>", 3000, 500)}}), encoding="utf-8")
    out = tmp_path / "out"
    args = ["--junit", str(junit), "--requirements", str(requirements), "--out", str(out), "--build-dir",
            str(tmp_path / "no-build"), "--size", str(size)]
    assert _load_summary().main(args) == 0
    text = (out / "index.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert 'id="size"' in text and "Code size per module and preset" in text
    assert '<th colspan="4">x86-64</th><th colspan="4">cortex-m4</th>' in text
    row = re.search(r'<tr data-image="module ARP">(.*?)</tr>', text, re.S)
    assert row, "no row for ARP"
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1)) == [
        "module ARP", "+ ETHERNET IPV4", "12000", "12", "2000", "+7000 (own +3000)", "6500", "12", "2000",
        "+3500 (own +1500)"]
    assert "arm-none-eabi-g++ 12.2.1 &lt;hard float&gt;" in text  # escaped
    assert "## Code size per module and preset" in markdown
    assert "| core (no module) | - | 5000 | 8 | 900 | +0 | 3000 | 8 | 900 | +0 |" in markdown
    assert "| preset minimal | ETHERNET ARP IPV4 | 35000 | 16 | 90000 | +30000 | 18000 | 16 | 90000 | +15000 |" in markdown
    assert "| module IPV4 | - | 9000 | 8 | 1200 | +4000 | 5000 | 8 | 1200 | +2000 |" in markdown
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["size"]["targets"]["cortex-m4"]["modules"]["ARP"]["own_text"] == 1500

    size.write_text(json.dumps({"targets": {"x86-64": {"presets": {}}}}), encoding="utf-8")  # no "core"
    assert _load_summary().main(args + ["--out", str(tmp_path / "bad")]) == 2


LINUX_JUNIT = """\
<testsuites><testsuite name="pytest" tests="5">
<testcase classname="conformance.rfc9999_x.test_x" name="test_ok" file="conformance/rfc9999_x/test_x.py">
  <properties><property name="requirements" value="RFC9999:M1"/></properties></testcase>
<testcase classname="conformance.rfc9999_x.test_x" name="test_deviates" file="conformance/rfc9999_x/test_x.py">
  <properties><property name="requirements" value="RFC9999:M2"/>
  <property name="pcap" value="pcaps/out-linux/rfc9999_x/test_deviates.pcap"/></properties>
  <skipped type="pytest.xfail" message="linux deviation: RFC 9999 2.2: the kernel &lt;answers&gt;"/></testcase>
<testcase classname="conformance.rfc9999_x.test_x" name="test_counters" file="conformance/rfc9999_x/test_x.py">
  <skipped type="pytest.skip" message="not applicable to the linux DUT: uses the stack's drop counters"/></testcase>
<testcase classname="conformance.rfc9999_x.test_x" name="test_slow" file="conformance/rfc9999_x/test_x.py">
  <skipped type="pytest.skip" message="virtual time only (the linux DUT runs in real time): waits 60 s"/></testcase>
<testcase classname="conformance.rfc9999_x.test_x" name="test_broken" file="conformance/rfc9999_x/test_x.py">
  <failure message="expected a SYN-ACK">trace</failure></testcase>
</testsuite></testsuites>
"""


def test_linux_dut_section(tmp_path):
    """The linux DUT's junit XML (--linux-junit) gets its own section: counts by kind (a deviation is an
    expected failure, never a pass), the deviations with their reasons and pcaps, and the scenarios failing
    without a documented deviation; the stack's own verdicts and exit status are unchanged by it."""
    requirements = tmp_path / "requirements"
    requirements.mkdir()
    (requirements / "rfc9999.yaml").write_text(CATALOGUE, encoding="utf-8")
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuites><testsuite name="pytest" tests="0"></testsuite></testsuites>', encoding="utf-8")
    linux = tmp_path / "junit-linux.xml"
    linux.write_text(LINUX_JUNIT, encoding="utf-8")
    out = tmp_path / "out"
    status = _load_summary().main(["--junit", str(junit), "--requirements", str(requirements), "--out", str(out),
                                   "--build-dir", str(tmp_path / "no-build"), "--linux-junit", str(linux)])
    assert status == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["linux"]["counts"] == {"passed": 1, "failed": 1, "deviation": 1, "not applicable": 1,
                                       "virtual time only": 1, "skipped (other)": 0}
    assert data["linux"]["deviations"] == [{"id": "conformance/rfc9999_x/test_x.py::test_deviates",
                                            "requirements": ["RFC9999:M2"],
                                            "pcap": "pcaps/out-linux/rfc9999_x/test_deviates.pcap",
                                            "reason": "RFC 9999 2.2: the kernel <answers>"}]
    assert [f["id"] for f in data["linux"]["failures"]] == ["conformance/rfc9999_x/test_x.py::test_broken"]
    assert data["linux"]["per_folder"]["rfc9999_x"]["deviation"] == 1
    text = (out / "index.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert 'id="linux"' in text and 'id="linux-deviations"' in text and 'id="linux-failures"' in text
    assert "the kernel &lt;answers&gt;" in text and "the kernel <answers>" not in text
    assert "| `conformance/rfc9999_x/test_x.py::test_deviates` | RFC9999:M2 | RFC 9999 2.2: the kernel <answers> |" \
        in markdown
    assert _counts(text, "MUST") == {"pass": 0, "fail": 0, "untested": 4, "not applicable": 0}
