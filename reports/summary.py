#!/usr/bin/env python3
"""The certification summary: conformance results (pytest --junitxml) joined with the requirement catalogues.

Writes reports/out/report.md, reports/out/report.json and reports/out/index.html (self-contained HTML: build
identity, per-RFC charts, every requirement with its tests and pcaps, failing tests with their frames; see
reports/report_html.py) and prints the per-catalogue counts, the failing requirements and one final summary line.

Verdict of a requirement:
    not applicable  the catalogue says applies: false
    untested        no test cites it (or every test citing it was skipped)
    fail            a test citing it failed (or errored)
    pass            every test citing it that ran passed

Exit status: 0, or 1 if an applicable MUST / MUST NOT requirement fails, or 2 if the inputs cannot be read.

    /usr/bin/python3 reports/summary.py [--junit reports/out/junit.xml] [--requirements conformance/requirements]
                                        [--out reports/out] [--build-dir build/asan]
                                        [--size bench/out/size.json] [--bench bench/out/bench.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "conformance"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import report_html  # noqa: E402
from harness import requirements as reqs  # noqa: E402

VERDICTS = ("pass", "fail", "untested", "not applicable")
MANDATORY = ("MUST", "MUST NOT")


@dataclass
class TestResult:
    id: str  # file::name
    name: str
    file: str
    outcome: str  # passed, failed, skipped
    message: str = ""
    time: float = 0.0
    requirements: list[str] = field(default_factory=list)
    pcap: str = ""
    doc: str = ""
    full_message: str = ""  # the failure's message, untruncated (HTML report only; not in report.json)
    detail: str = ""  # the failure element's text (the traceback; HTML report only)

    @property
    def purpose(self) -> str:
        """The docstring's "Purpose:" paragraph (up to the next heading), else its first line."""
        match = _PURPOSE.search(self.doc)
        if match:
            return " ".join(match.group(1).split())
        return self.doc.splitlines()[0].strip() if self.doc else ""


_PURPOSE = re.compile(r"Purpose:\s*(.*?)(?=^\s*(?:Setup|Set-up|Procedure|Judgement|Judgment|Reference)s?:|\Z)",
                      re.S | re.M | re.I)


def _display(path: Path) -> str:
    """path relative to the repository when inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def read_junit(path: Path) -> list[TestResult]:
    root = ET.parse(path).getroot()
    results = []
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "")
        file = case.get("file") or classname.replace(".", "/") + ".py"
        properties = {p.get("name"): p.get("value", "") for p in case.iter("property")}
        outcome, message, detail = "passed", "", ""
        for tag in ("failure", "error"):
            problem = case.find(tag)
            if problem is not None:
                outcome = "failed"
                message = problem.get("message") or problem.text or tag
                detail = problem.text or ""
                break
        else:
            skipped = case.find("skipped")
            if skipped is not None:
                # An expected failure (a documented deviation of the linux DUT) is written as <skipped
                # type="pytest.xfail">; it never counts as a pass.
                expected = skipped.get("type") == "pytest.xfail"
                outcome, message = ("xfailed" if expected else "skipped"), skipped.get("message", "")
        requirement_ids = [r.strip() for r in properties.get("requirements", "").split(",") if r.strip()]
        results.append(
            TestResult(
                id=f"{file}::{name}",
                name=name,
                file=file,
                outcome=outcome,
                message=" ".join(message.split())[:300],
                time=float(case.get("time") or 0),
                requirements=requirement_ids,
                pcap=properties.get("pcap", ""),
                doc=properties.get("doc", ""),
                full_message=message if outcome == "failed" else "",
                detail=detail,
            )
        )
    return results


def _command(args: list[str]) -> str | None:
    """A command's stdout (stripped) when it runs and exits 0, else None."""
    try:
        done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _preset_of(build_dir: Path) -> str:
    """The configure preset whose binaryDir is build/${presetName} and whose name is build_dir's name, else ""."""
    try:
        presets = json.loads((REPO / "CMakePresets.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    names = {p.get("name") for p in presets.get("configurePresets", []) if not p.get("hidden")}
    try:
        inside_build = build_dir.resolve().parent == (REPO / "build").resolve()
    except OSError:
        inside_build = False
    return build_dir.name if inside_build and build_dir.name in names else ""


def build_identity(build_dir: Path) -> dict:
    """Commit, dirty flag, compiler, CMake preset and PICO_* options of build_dir, date (UTC)."""
    commit = _command(["git", "rev-parse", "HEAD"])
    status = _command(["git", "status", "--porcelain"])
    compiler = _command(["c++", "--version"])
    cache: dict[str, str] = {}
    try:
        for line in (build_dir / "CMakeCache.txt").read_text(encoding="utf-8", errors="replace").splitlines():
            match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):[A-Z_]+=(.*)$", line)
            if match:
                cache[match.group(1)] = match.group(2)
    except OSError:
        pass
    return {
        "commit": commit or "unknown",
        "dirty": None if status is None else bool(status),
        "compiler": compiler.splitlines()[0] if compiler else "unknown",
        "build_dir": _display(build_dir),
        "preset": _preset_of(build_dir) if cache else "",
        "build_type": cache.get("CMAKE_BUILD_TYPE", ""),
        "cmake_cxx_compiler": cache.get("CMAKE_CXX_COMPILER", ""),
        "options": {k: v for k, v in sorted(cache.items()) if k.startswith("PICO_")},
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def verdict_of(requirement: reqs.Requirement, tests: list[TestResult]) -> str:
    if not requirement.applies:
        return "not applicable"
    ran = [t for t in tests if t.outcome not in ("skipped", "xfailed")]
    if not ran:
        return "untested"
    if any(t.outcome == "failed" for t in ran):
        return "fail"
    return "pass"


def build(catalogues: dict[str, reqs.Catalogue], tests: list[TestResult], junit: Path) -> dict:
    by_requirement: dict[str, list[TestResult]] = {}
    for test in tests:
        for rid in test.requirements:
            by_requirement.setdefault(rid, []).append(test)
    known = {r.full_id for c in catalogues.values() for r in c.requirements.values()}
    unknown = sorted(rid for rid in by_requirement if rid not in known)

    report_catalogues = {}
    totals = {v: 0 for v in VERDICTS}
    mandatory_failures = []
    for key, catalogue in sorted(catalogues.items()):
        counts: dict[str, dict[str, int]] = {}
        rows = []
        for requirement in catalogue.requirements.values():
            covering = by_requirement.get(requirement.full_id, [])
            verdict = verdict_of(requirement, covering)
            counts.setdefault(requirement.level or "?", {v: 0 for v in VERDICTS})[verdict] += 1
            totals[verdict] += 1
            if verdict == "fail" and requirement.level in MANDATORY:
                mandatory_failures.append(requirement.full_id)
            rows.append(
                {
                    "id": requirement.full_id,
                    "level": requirement.level,
                    "source": requirement.source,
                    "section": requirement.section,
                    "summary": requirement.summary,
                    "applies": requirement.applies,
                    "reason": requirement.reason,
                    "tests": [
                        {"id": t.id, "outcome": t.outcome, "message": t.message} for t in covering
                    ],
                    "verdict": verdict,
                    "pcaps": [t.pcap for t in covering if t.pcap],
                }
            )
        ordered_counts = {level: counts[level] for level in reqs.LEVELS if level in counts}
        ordered_counts.update({level: n for level, n in counts.items() if level not in ordered_counts})
        report_catalogues[key] = {
            "rfc": catalogue.rfc,
            "title": catalogue.title,
            "file": _display(catalogue.path),
            "counts": ordered_counts,
            "totals": {v: sum(c[v] for c in counts.values()) for v in VERDICTS},
            "requirements": rows,
            "warnings": catalogue.warnings,
        }

    outcomes = {o: sum(1 for t in tests if t.outcome == o) for o in ("passed", "failed", "skipped")}
    requirement_count = sum(totals.values())
    result = "FAIL" if mandatory_failures else "PASS"
    line = (
        f"conformance: {requirement_count} requirements in {len(catalogues)} catalogues: "
        f"{totals['pass']} pass, {totals['fail']} fail, {totals['untested']} untested, "
        f"{totals['not applicable']} not applicable; {len(tests)} tests ({outcomes['passed']} passed, "
        f"{outcomes['failed']} failed, {outcomes['skipped']} skipped); "
        f"MUST/MUST NOT failing: {len(mandatory_failures)} -> {result}"
    )
    return {
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "junit": _display(junit),
        "catalogues": report_catalogues,
        "tests": [
            {
                "id": t.id,
                "outcome": t.outcome,
                "message": t.message,
                "time": t.time,
                "requirements": t.requirements,
                "pcap": t.pcap,
                "doc": t.doc,
            }
            for t in tests
        ],
        "unknown_requirements": unknown,
        "totals": totals,
        "test_outcomes": outcomes,
        "mandatory_failures": mandatory_failures,
        "result": result.lower(),
        "summary": line,
    }


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _pcap_link(pcap: str, out_dir: Path) -> str:
    target = os.path.relpath(REPO / pcap, out_dir)
    return f"[{Path(pcap).name}]({target})"


def render_markdown(report: dict, out_dir: Path) -> str:
    lines = [
        "# Conformance report",
        "",
        f"Generated {report['generated']} from `{report['junit']}` and the requirement catalogues.",
        "",
        "| Catalogue | Title | Requirements | pass | fail | untested | not applicable |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for key, catalogue in report["catalogues"].items():
        t = catalogue["totals"]
        lines.append(
            f"| {key} | {_cell(catalogue['title'])} | {sum(t.values())} | {t['pass']} | {t['fail']} | "
            f"{t['untested']} | {t['not applicable']} |"
        )
    lines += ["", f"**{report['summary']}**", ""]
    if report["unknown_requirements"]:
        lines += ["Tests cite ids that are in no catalogue: " + ", ".join(report["unknown_requirements"]), ""]

    for key, catalogue in report["catalogues"].items():
        lines += [f"## {key}: {catalogue['title']}", "", f"Catalogue: `{catalogue['file']}`", ""]
        lines += ["| Level | pass | fail | untested | not applicable |", "|---|---:|---:|---:|---:|"]
        for level, counts in catalogue["counts"].items():
            lines.append(
                f"| {level} | {counts['pass']} | {counts['fail']} | {counts['untested']} | "
                f"{counts['not applicable']} |"
            )
        lines += ["", "| Id | Level | Section | Summary | Tests | Verdict | Pcaps |", "|---|---|---|---|---|---|---|"]
        for row in catalogue["requirements"]:
            tests = "<br>".join(f"`{t['id'].split('::')[-1]}` ({t['outcome']})" for t in row["tests"]) or "-"
            summary = row["summary"] + (f" *(not applicable: {row['reason']})*" if not row["applies"] else "")
            section = f"{row['source']} {row['section']}".strip()
            verdict = f"**{row['verdict'].upper()}**" if row["verdict"] == "fail" else row["verdict"]
            pcaps = "<br>".join(_pcap_link(p, out_dir) for p in row["pcaps"]) or "-"
            lines.append(
                f"| {row['id']} | {row['level']} | {_cell(section)} | {_cell(summary)} | {tests} | {verdict} | "
                f"{pcaps} |"
            )
        if catalogue["warnings"]:
            lines += ["", "Catalogue warnings:", ""] + [f"- {_cell(w)}" for w in catalogue["warnings"]]
        lines.append("")

    sources, rows = coverage_rows(report)
    if rows:
        lines += ["## Coverage per module", "", "Lines and branches of `stack/` reached, per module and source (conformance: "
                  "the conformance run on the certify build; fuzz: the fuzz corpora, fuzz/coverage).", ""]
        lines += ["| Module | " + " | ".join(f"{s} lines | {s} branches" for s in sources) + " |",
                  "|---|" + "---:|---:|" * len(sources)]
        for module, per in rows:
            cells = []
            for src in sources:
                c = per[src]
                cells += ([f"{c['line_percent']}% ({c['lines_covered']}/{c['lines']})",
                           f"{c['branch_percent']}% ({c['branches_covered']}/{c['branches']})"] if c else ["-", "-"])
            lines.append(f"| {module} | " + " | ".join(cells) + " |")
        lines.append("")
    fuzz = report.get("fuzz")
    if fuzz:
        lines += ["## Fuzzing", "", f"Latest campaign: {fuzz['engine']}, started {fuzz['started']}, "
                  f"{fuzz['findings_total']} findings.", "",
                  "| Target | seconds | execs | exec/s | edges | corpus | findings |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, t in fuzz["targets"].items():
            lines.append(f"| {name} | " + " | ".join(str(t[k]) for k in ("seconds", "execs", "exec_per_s", "edges",
                                                                          "corpus_size", "findings")) + " |")
        lines.append("")
    size = report.get("size")
    if size:
        names, rows = report_html.size_rows(size)
        lines += ["## Code size per module and preset", "", report_html.SIZE_NOTE, "",
                  "| Image | Modules | " + " | ".join(f"{t} text | {t} data | {t} bss | {t} delta text" for t in names)
                  + " |", "|---|---|" + "---:|---:|---:|---:|" * len(names)]
        for label, modules, per in rows:
            cells = [str(per[t][k]) if per[t] else "-" for t in names for k in ("text", "data", "bss", "delta")]
            lines.append(f"| {label} | {_cell(modules)} | " + " | ".join(cells) + " |")
        lines.append("")
        lines += [f"- {t}: {_cell(size['targets'][t].get('compiler', 'unknown compiler'))}; "
                  f"`{size['targets'][t].get('flags', '')}`" for t in names]
        lines.append("")
    if report.get("bench"):
        notes, tables = report_html.bench_tables(report["bench"])
        lines += ["## Benchmarks", ""]
        for note in notes:
            lines += [_cell(note), ""]
        for title, header, rows in tables:
            lines += [f"### {_cell(title)}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
            lines.append("")
    linux = report.get("linux")
    if linux:
        c = linux["counts"]
        lines += ["## Linux as a second device under test", "",
                  "The same scenarios against the kernel of the machine in a network namespace behind a TAP device "
                  "(`pytest conformance --dut=linux`, real time). A deviation is a scenario Linux fails where the "
                  "RFC is clear (marked in the scenario, an expected failure); not applicable: the scenario needs "
                  "the stack's counters or API; virtual time only: it waits longer than the real-time budget.", "",
                  ", ".join(f"{n} {k}" for k, n in c.items()) + ".", "",
                  "| Folder | " + " | ".join(c) + " |", "|---|" + "---:|" * len(c)]
        for folder, row in linux["per_folder"].items():
            lines.append(f"| {folder} | " + " | ".join(str(row[k]) for k in c) + " |")
        lines.append("")
        if linux["deviations"]:
            lines += ["### Deviations of Linux from the RFCs", "", "| Test | Requirements | What Linux does | Pcap |",
                      "|---|---|---|---|"]
            lines += [f"| `{d['id']}` | {', '.join(d['requirements']) or '-'} | {_cell(d['reason'])} | "
                      f"{_pcap_link(d['pcap'], out_dir) if d['pcap'] else '-'} |" for d in linux["deviations"]]
            lines.append("")
        if linux["failures"]:
            lines += ["### Scenarios failing against Linux without a documented deviation", "",
                      "| Test | Requirements | Message |", "|---|---|---|"]
            lines += [f"| `{f['id']}` | {', '.join(f['requirements']) or '-'} | {_cell(f['message'])} |"
                      for f in linux["failures"]]
            lines.append("")
    check = report.get("evidence_check")
    if check:
        lines += ["## Independent check of the evidence (tshark)", "",
                  f"{check['captures']} captures, {check['frames']} frames dissected by {check.get('tshark') or 'tshark'}; "
                  f"frames sent by the DUT marked malformed or with a wrong checksum: **{len(check['findings'])}**.", ""]
        if check["findings"]:
            lines += ["| Pcap | Frame | Protocols | Problems |", "|---|---:|---|---|"]
            lines += [f"| {_pcap_link(f['pcap'], out_dir)} | {f['frame']} | {_cell(f['protocols'])} | "
                      f"{_cell(f['problems'])} |" for f in check["findings"]]
            lines.append("")
        lines += [f"Not a pcap file: `{p}`" for p in check.get("unreadable", [])]

    lines += ["## Tests", "", "| Test | Outcome | Requirements | Purpose | Pcap |", "|---|---|---|---|---|"]
    for test in report["tests"]:
        purpose = TestResult(id="", name="", file="", outcome="", doc=test["doc"]).purpose
        if test["outcome"] != "passed" and test["message"]:
            purpose += f" — {test['outcome']}: {test['message']}"
        pcap = _pcap_link(test["pcap"], out_dir) if test["pcap"] else "-"
        lines.append(
            f"| `{test['id']}` | {test['outcome']} | {', '.join(test['requirements']) or '-'} | {_cell(purpose)} | "
            f"{pcap} |"
        )
    lines += ["", report["summary"], ""]
    return "\n".join(lines)


# Skip reasons of the linux DUT (conformance/harness/linux_dut.py), by the prefix they start with.
LINUX_SKIP_KINDS = (("not applicable to the linux DUT", "not applicable"),
                    ("virtual time only", "virtual time only"))


def linux_summary(tests: list[TestResult]) -> dict:
    """The linux DUT run (pytest conformance --dut=linux): counts, the deviations and the failures."""
    counts = {"passed": 0, "failed": 0, "deviation": 0, "not applicable": 0, "virtual time only": 0,
              "skipped (other)": 0}
    per_folder: dict[str, dict[str, int]] = {}
    deviations, failures, reasons = [], [], {}
    for test in tests:
        if test.outcome == "xfailed":
            kind = "deviation"
            deviations.append({"id": test.id, "requirements": test.requirements, "pcap": test.pcap,
                               "reason": test.message.removeprefix("linux deviation: ")})
        elif test.outcome == "skipped":
            kind = next((k for prefix, k in LINUX_SKIP_KINDS if prefix in test.message), "skipped (other)")
            why = test.message.split(": ", 1)[-1] if kind != "skipped (other)" else test.message
            reasons[f"{kind}: {why}"] = reasons.get(f"{kind}: {why}", 0) + 1
        else:
            kind = test.outcome
            if kind == "failed":
                failures.append({"id": test.id, "requirements": test.requirements, "pcap": test.pcap,
                                 "message": test.message})
        counts[kind] += 1
        parts = Path(test.file).parts
        folder = parts[-2] if len(parts) >= 2 else test.file  # the RFC folder (junit paths are relative to rootdir)
        per_folder.setdefault(folder, {k: 0 for k in counts})[kind] += 1
    return {"counts": counts, "per_folder": dict(sorted(per_folder.items())), "deviations": deviations,
            "failures": failures, "skip_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1]))}


def fuzz_summary(stats: dict) -> dict:
    """The per-target figures of a fuzz/run stats.json that the report shows."""
    targets = {}
    for name, t in sorted(stats.get("targets", {}).items()):
        targets[name] = {key: t.get(key) for key in ("seconds", "execs", "exec_per_s", "edges", "corpus_size",
                                                      "findings")}
        if isinstance(targets[name]["findings"], list):
            targets[name]["findings"] = len(targets[name]["findings"])
    return {"engine": stats.get("engine"), "started": stats.get("started"), "findings_total":
            stats.get("findings_total"), "targets": targets}


def coverage_rows(report: dict) -> tuple[list[str], list[tuple[str, dict]]]:
    """(sources, [(module, {source: counts})]) for the coverage table."""
    coverage = report.get("coverage", {})
    sources = list(coverage)
    modules = sorted({m for per_source in coverage.values() for m in per_source})
    return sources, [(m, {src: coverage[src].get(m) for src in sources}) for m in modules]


def print_summary(report: dict) -> None:
    for key, catalogue in report["catalogues"].items():
        t = catalogue["totals"]
        print(
            f"{key:<8} {sum(t.values()):>4} requirements: {t['pass']:>3} pass, {t['fail']:>3} fail, "
            f"{t['untested']:>3} untested, {t['not applicable']:>3} not applicable"
        )
        for row in catalogue["requirements"]:
            if row["verdict"] == "fail":
                failing = ", ".join(t["id"] for t in row["tests"] if t["outcome"] == "failed")
                print(f"  FAIL {row['id']} ({row['level']}): {row['summary']}  [{failing}]")
    if report["unknown_requirements"]:
        print("tests cite ids in no catalogue: " + ", ".join(report["unknown_requirements"]))
    linux = report.get("linux")
    if linux:
        print("linux DUT: " + ", ".join(f"{n} {k}" for k, n in linux["counts"].items()))
    print(report["summary"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junit", type=Path, default=REPO / "reports" / "out" / "junit.xml")
    parser.add_argument("--requirements", type=Path, default=REPO / "conformance" / "requirements")
    parser.add_argument("--out", type=Path, default=REPO / "reports" / "out")
    parser.add_argument("--build-dir", type=Path, default=REPO / "build" / "asan",
                        help="the build whose CMakeCache.txt gives the preset and PICO_* options")
    parser.add_argument("--coverage", action="append", default=[], metavar="NAME=FILE",
                        help="coverage per module written by reports/coverage.py (conformance=..., fuzz=...)")
    parser.add_argument("--fuzz-stats", type=Path, help="stats.json of a fuzz/run campaign")
    parser.add_argument("--linux-junit", type=Path,
                        help="junit XML of the linux DUT run (pytest conformance --dut=linux): its own section")
    parser.add_argument("--pcap-check", type=Path,
                        help="JSON written by reports/check_pcaps.py: shown in the report; findings fail the run")
    parser.add_argument("--size", type=Path,
                        help="bench/size's JSON (bench/out/size.json): the code size per module and preset section")
    parser.add_argument("--bench", type=Path,
                        help="bench/run's JSON (bench/out/bench.json): the Benchmarks section (ours, lwIP, ratio; the "
                             "issue's targets; RAM; fuzz_rate)")
    args = parser.parse_args(argv)

    try:
        catalogues = reqs.load_catalogues(args.requirements)
    except reqs.CatalogueError as error:
        print(f"summary: {error}", file=sys.stderr)
        return 2
    if not catalogues:
        print(f"summary: no catalogues in {args.requirements}", file=sys.stderr)
        return 2
    try:
        tests = read_junit(args.junit)
    except (OSError, ET.ParseError) as error:
        print(f"summary: cannot read the junit XML {args.junit}: {error}", file=sys.stderr)
        return 2

    report = build(catalogues, tests, args.junit.resolve())
    report["build"] = build_identity(args.build_dir.resolve())
    try:
        for item in args.coverage:
            name, _, path = item.partition("=")
            report.setdefault("coverage", {})[name] = json.loads(Path(path).read_text(encoding="utf-8"))["modules"]
        if args.fuzz_stats:
            report["fuzz"] = fuzz_summary(json.loads(args.fuzz_stats.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as error:
        print(f"summary: cannot read coverage or fuzz statistics: {error}", file=sys.stderr)
        return 2
    if args.linux_junit:
        try:
            report["linux"] = linux_summary(read_junit(args.linux_junit))
        except (OSError, ET.ParseError) as error:
            print(f"summary: cannot read the linux DUT's junit XML {args.linux_junit}: {error}", file=sys.stderr)
            return 2
    if args.size:
        try:
            report["size"] = json.loads(args.size.read_text(encoding="utf-8"))
            report_html.size_rows(report["size"])  # a malformed file fails here, not half-way through the HTML
        except (OSError, ValueError, KeyError, TypeError, StopIteration) as error:
            print(f"summary: cannot read the code sizes {args.size}: {error!r}", file=sys.stderr)
            return 2
    if args.bench:
        try:
            report["bench"] = json.loads(args.bench.read_text(encoding="utf-8"))
            report_html.bench_tables(report["bench"])  # a malformed file fails here, not half-way through the HTML
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            print(f"summary: cannot read the benchmarks {args.bench}: {error!r}", file=sys.stderr)
            return 2
    if args.pcap_check:
        try:
            report["evidence_check"] = json.loads(args.pcap_check.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            print(f"summary: cannot read the pcap check {args.pcap_check}: {error}", file=sys.stderr)
            return 2
    out_dir = args.out.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "index.html").write_text(report_html.render_html(report, tests, REPO, out_dir), encoding="utf-8")
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out_dir / "report.md").write_text(render_markdown(report, out_dir), encoding="utf-8")
    print_summary(report)
    check = report.get("evidence_check")
    if check and (check["findings"] or check.get("unreadable")):
        print(f"tshark found {len(check['findings'])} malformed or wrongly checksummed frames sent by the DUT "
              "(listed in the report)")
        return 1
    return 1 if report["mandatory_failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
