"""A small certification over a subset, checked against the catalogues: the steps of ci/certify (the
conformance suite with junit output and pcaps, then reports/summary.py) on the ICMP scenarios, in a process
of their own, and the report's structure, links and counts compared with conformance/requirements/*.yaml.
(ci/certify itself also builds the instrumented preset and runs everything; this is its report path, fast.)"""
import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import yaml

CONFORMANCE = Path(__file__).resolve().parent
REPO = CONFORMANCE.parent
SUBSET, SUBSET_KEY = "rfc0792_icmp", "RFC792"


def test_subset_report_matches_the_catalogues(tmp_path):
    junit, pcaps, out = tmp_path / "junit.xml", tmp_path / "pcaps", tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "pytest", str(CONFORMANCE / SUBSET), "-q", "-p",
                          "no:cacheprovider", f"--junitxml={junit}", f"--pcap-dir={pcaps}"],
                         capture_output=True, text=True, env=dict(os.environ), cwd=REPO, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:]
    summary = subprocess.run([sys.executable, str(REPO / "reports" / "summary.py"), "--junit", str(junit), "--out",
                              str(out)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert summary.returncode == 0, summary.stdout + summary.stderr
    report = json.loads((out / "report.json").read_text())
    html = (out / "index.html").read_text()
    markdown = (out / "report.md").read_text()

    # Every catalogue and every requirement in it appears, with the catalogue's level and applicability.
    catalogues = {}
    for path in sorted((CONFORMANCE / "requirements").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        catalogues[data["key"]] = {r["id"]: r for r in data["requirements"]}
    assert set(report["catalogues"]) == set(catalogues)
    cited = {rid for test in report["tests"] for rid in test["requirements"]}
    assert any(c.startswith(SUBSET_KEY + ":") for c in cited)
    for key, requirements in catalogues.items():
        rows = {row["id"].split(":", 1)[1]: row for row in report["catalogues"][key]["requirements"]}
        assert set(rows) == set(requirements), key
        totals = report["catalogues"][key]["totals"]
        assert sum(totals.values()) == len(requirements)
        for rid, row in rows.items():
            assert row["level"] == requirements[rid]["level"]
            if requirements[rid].get("applies", True) is False:
                assert row["verdict"] == "not applicable"
            elif f"{key}:{rid}" not in cited:
                # No test of the subset cites it: untested, never passing.
                assert row["verdict"] == "untested", (key, rid)
            else:
                assert row["verdict"] == "pass" and row["tests"], (key, rid)
        assert f'id="cat-{key}"' in html or key in html

    # The requirements the subset covers pass, each with its tests and existing pcaps.
    arp = report["catalogues"][SUBSET_KEY]
    assert arp["totals"]["pass"] > 10 and arp["totals"]["fail"] == 0
    for row in arp["requirements"]:
        if row["verdict"] == "pass":
            assert row["tests"] and all(t["outcome"] == "passed" for t in row["tests"])
            assert row["pcaps"] and all(Path(p).is_file() or (REPO / p).is_file() for p in row["pcaps"])

    # Every pcap link of the HTML report resolves from the report's directory.
    links = re.findall(r'href="([^"#]+\.pcap)"', html)
    assert links
    for link in links:
        assert (out / urllib.parse.unquote(link)).resolve().is_file(), link
    # The summary line agrees with the counts.
    total_tests = sum(1 for _ in report["tests"])
    assert f"{total_tests} tests ({total_tests} passed, 0 failed, 0 skipped)" in report["summary"]
    assert report["summary"] in markdown
