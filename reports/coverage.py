#!/usr/bin/python3
"""Line and branch coverage of stack/ per module, for the certification report.

Two sources, one format (reports/out/coverage/<name>.json: {"source", "files": {path: counts}, "modules":
{MODULE: counts}}):
  conformance  gcovr over a build instrumented with --coverage (the certify preset) after the conformance run
  fuzz         fuzz/coverage's llvm-cov export (reports/out/coverage/modules.json), regrouped per module

A file belongs to the module whose source list in CMakeLists.txt names it (PICO_<MODULE>_SOURCES; TCP: every file
of stack/transport/tcp/); a header goes with the module of the .cpp of the same name, wire/<proto>.hpp with its
protocol's module; the rest (core/, assembly/, socket/, port/) is CORE.

  reports/coverage.py conformance --build-dir build/certify [--html]     (writes coverage/conformance.json)
  reports/coverage.py fuzz                                               (reads coverage/modules.json)
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "reports" / "out" / "coverage"
# wire/<name>.hpp -> module (the wire formats of a protocol go with it)
WIRE = {"ethernet": "ETHERNET", "arp": "ARP", "ipv4": "IPV4", "icmp4": "ICMP4", "igmp": "IGMP", "ipv6": "IPV6",
        "icmp6": "ICMP6", "nd": "ND", "mld": "MLD", "udp": "UDP", "tcp": "TCP"}


def module_map() -> dict[str, str]:
    """stack-relative source path -> module, from CMakeLists.txt's PICO_<MODULE>_SOURCES lists."""
    text = (REPO / "CMakeLists.txt").read_text()
    mapping = {}
    for module, body in re.findall(r"set\(PICO_([A-Z0-9_]+)_SOURCES\s+([^)]*)\)", text):
        for word in body.split():
            if word.startswith("stack/"):
                mapping[word] = "CORE" if module == "CORE" else module
    return mapping


def module_of(path: str, mapping: dict[str, str]) -> str:
    if path in mapping:
        return mapping[path]
    if path.startswith("stack/transport/tcp/"):
        return "TCP"
    stem = Path(path).with_suffix(".cpp").as_posix()
    if stem in mapping:
        return mapping[stem]
    if path.startswith("stack/wire/"):
        return WIRE.get(Path(path).stem, "WIRE")
    if path.startswith("stack/drivers/"):
        return "DRIVERS"
    return "CORE"


def aggregate(files: dict[str, dict]) -> dict[str, dict]:
    mapping = module_map()
    modules: dict[str, dict] = {}
    for path, c in files.items():
        m = modules.setdefault(module_of(path, mapping), {"files": 0, "lines": 0, "lines_covered": 0,
                                                            "branches": 0, "branches_covered": 0})
        m["files"] += 1
        for key in ("lines", "lines_covered", "branches", "branches_covered"):
            m[key] += c[key]
    for m in modules.values():
        m["line_percent"] = round(100.0 * m["lines_covered"] / m["lines"], 1) if m["lines"] else 0.0
        m["branch_percent"] = round(100.0 * m["branches_covered"] / m["branches"], 1) if m["branches"] else 0.0
    return dict(sorted(modules.items()))


def gcovr_files(build_dir: Path, html: bool) -> dict[str, dict]:
    """Per-file line and branch counts of stack/ from the .gcda files in build_dir (gcovr)."""
    OUT.mkdir(parents=True, exist_ok=True)
    summary = build_dir / "gcovr-summary.json"
    cmd = ["gcovr", "--root", str(REPO), "--object-directory", str(build_dir), "--filter", str(REPO / "stack"),
           "--exclude", str(REPO / "stack" / "tests"), "--gcov-ignore-parse-errors",
           "--json-summary", str(summary), "--print-summary"]
    if html:
        (OUT / "conformance").mkdir(parents=True, exist_ok=True)
        cmd += ["--html-details", str(OUT / "conformance" / "index.html")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"gcovr failed: {done.stderr.strip()[-2000:]}")
    data = json.loads(summary.read_text())
    files = {}
    for f in data["files"]:
        files[f["filename"]] = {"lines": f["line_total"], "lines_covered": f["line_covered"],
                                "branches": f["branch_total"], "branches_covered": f["branch_covered"]}
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", choices=("conformance", "fuzz"))
    parser.add_argument("--build-dir", type=Path, default=REPO / "build" / "certify")
    parser.add_argument("--html", action="store_true", help="conformance: also gcovr's HTML per file")
    args = parser.parse_args()
    if args.source == "conformance":
        try:
            files = gcovr_files(args.build_dir.resolve(), args.html)
        except RuntimeError as error:
            print(f"coverage: {error}", file=sys.stderr)
            return 2
    else:
        export = OUT / "modules.json"
        if not export.exists():
            print(f"coverage: {export} missing: run fuzz/coverage first", file=sys.stderr)
            return 2
        files = json.loads(export.read_text())["files"]
    files = {p: c for p, c in files.items() if p.startswith("stack/") and not p.startswith("stack/tests/")}
    result = {"source": args.source, "modules": aggregate(files), "files": dict(sorted(files.items()))}
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{args.source}.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    total_lines = sum(m["lines"] for m in result["modules"].values())
    covered = sum(m["lines_covered"] for m in result["modules"].values())
    print(f"coverage ({args.source}): {len(files)} files in {len(result['modules'])} modules, "
          f"lines {covered}/{total_lines} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
