"""The self-contained HTML certification report (reports/out/index.html), rendered by reports/summary.py.

One file, no external resources: inline CSS, inline SVG bar charts, no JavaScript; links to evidence pcaps are
relative to the output directory, so the report reads from the file system or from a CI artifact.

Every piece of text from the catalogues, the junit XML, git, the compiler or a pcap goes through html.escape.
"""

from __future__ import annotations

import html
import os
import re
import urllib.parse
from pathlib import Path

VERDICTS = ("pass", "fail", "untested", "not applicable")
# Levels as the report groups them: MUST NOT counts with MUST, SHOULD NOT with SHOULD.
LEVEL_GROUPS = (("MUST", ("MUST", "MUST NOT")), ("SHOULD", ("SHOULD", "SHOULD NOT")), ("MAY", ("MAY",)))
COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "untested": "#f9a825", "not applicable": "#90a4ae"}
MAX_FRAMES = 60
MAX_MESSAGE = 2000  # characters of an assertion message shown
MAX_TRACE = 6000  # characters of the tail of a failure's traceback shown

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em; color: #212121;
       line-height: 1.4; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.reqs td:nth-child(4) { max-width: 40em; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.5em; overflow-x: auto; white-space: pre-wrap; }
.verdict { font-weight: bold; white-space: nowrap; }
.v-pass { color: #2e7d32; } .v-fail { color: #c62828; } .v-untested { color: #8d6e00; }
.v-not-applicable { color: #546e7a; }
.o-passed { color: #2e7d32; } .o-failed { color: #c62828; font-weight: bold; } .o-skipped { color: #8d6e00; }
.result-pass { background: #e8f5e9; border: 2px solid #2e7d32; padding: 0.5em 1em; }
.result-fail { background: #ffebee; border: 2px solid #c62828; padding: 0.5em 1em; }
.reason { color: #546e7a; font-style: italic; }
.muted { color: #757575; }
.legend span { display: inline-block; margin-right: 1.2em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: middle; margin-right: 0.3em; }
.failing { border-left: 4px solid #c62828; padding-left: 1em; margin: 1.5em 0; }
nav ul { columns: 3; }
"""


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def href(target: str) -> str:
    """An escaped, percent-encoded relative URL for a file path (keeps '/' and '.')."""
    return esc(urllib.parse.quote(target.replace(os.sep, "/"), safe="/.-_~"))


def anchor(prefix: str, text: str) -> str:
    return prefix + "-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def level_group(level: str) -> str:
    for group, members in LEVEL_GROUPS:
        if level in members:
            return group
    return "other"


def grouped_counts(catalogue: dict) -> dict[str, dict[str, int]]:
    """{"MUST": {verdict: n}, "SHOULD": ..., "MAY": ...} (plus "other" for unknown levels, when present)."""
    counts = {group: {v: 0 for v in VERDICTS} for group, _ in LEVEL_GROUPS}
    for row in catalogue["requirements"]:
        group = level_group(row["level"])
        counts.setdefault(group, {v: 0 for v in VERDICTS})[row["verdict"]] += 1
    return counts


def pcap_target(pcap: str, repo: Path, out_dir: Path) -> str:
    return os.path.relpath(repo / pcap, out_dir)


def pcap_link(pcap: str, repo: Path, out_dir: Path) -> str:
    exists = (repo / pcap).is_file()
    title = "" if exists else ' title="not found when the report was written"'
    missing = "" if exists else ' <span class="muted">(missing)</span>'
    return f'<a href="{href(pcap_target(pcap, repo, out_dir))}"{title}>{esc(Path(pcap).name)}</a>{missing}'


# --------------------------------------------------------------------------------------------------------- SVG


def bar_chart(rows: list[tuple[str, dict[str, int]]], title: str) -> str:
    """A horizontal stacked bar per (label, {verdict: count}); bars share one scale (the largest total)."""
    label_w, bar_w, row_h, gap, top = 150, 520, 22, 8, 8
    count_w = 60
    scale_max = max([sum(c.values()) for _, c in rows] + [1])
    height = top + len(rows) * (row_h + gap) + 4
    width = label_w + bar_w + count_w
    parts = [
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
    ]
    for i, (label, counts) in enumerate(rows):
        y = top + i * (row_h + gap)
        total = sum(counts.values())
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row_h * 0.7:.1f}" text-anchor="end" font-size="13" '
            f'font-family="sans-serif">{esc(label)}</text>'
        )
        if total == 0:
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{row_h}" fill="none" stroke="#ccc" '
                'stroke-dasharray="4 3"/>'
            )
        x = float(label_w)
        for verdict in VERDICTS:
            n = counts.get(verdict, 0)
            if not n:
                continue
            w = bar_w * n / scale_max
            parts.append(
                f'<rect class="bar" x="{x:.2f}" y="{y}" width="{w:.2f}" height="{row_h}" '
                f'fill="{COLOURS[verdict]}"><title>{esc(label)}: {n} {esc(verdict)}</title></rect>'
            )
            if w >= 22:
                parts.append(
                    f'<text x="{x + w / 2:.2f}" y="{y + row_h * 0.7:.1f}" text-anchor="middle" font-size="12" '
                    f'font-family="sans-serif" fill="#fff">{n}</text>'
                )
            x += w
        parts.append(
            f'<text x="{x + 6:.2f}" y="{y + row_h * 0.7:.1f}" font-size="12" font-family="sans-serif" '
            f'fill="#555">{total}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def legend() -> str:
    items = "".join(
        f'<span><span class="swatch" style="background:{COLOURS[v]}"></span>{esc(v)}</span>' for v in VERDICTS
    )
    return f'<p class="legend">{items}</p>'


# ------------------------------------------------------------------------------------------------------ frames


def frame_summaries(path: Path, limit: int = MAX_FRAMES) -> tuple[list[str], str]:
    """(one line per frame for the first `limit` frames, a note) using Scapy; never raises."""
    if not path.is_file():
        return [], "pcap not found"
    try:
        from scapy.all import rdpcap  # noqa: PLC0415 - slow import, only when a failing test has a pcap
    except Exception as error:  # noqa: BLE001 - any import problem only loses the frame list
        return [], f"Scapy unavailable ({error}); frames not listed"
    try:
        packets = rdpcap(str(path), count=limit + 1)
    except Exception as error:  # noqa: BLE001 - a truncated or foreign capture must not stop the report
        return [], f"cannot read the pcap: {error}"
    lines = []
    start = float(packets[0].time) if len(packets) else 0.0
    for number, frame in enumerate(packets[:limit], start=1):
        try:
            summary = frame.summary()
        except Exception as error:  # noqa: BLE001
            summary = f"(undecodable: {error})"
        lines.append(f"{number:>3}  +{float(frame.time) - start:10.6f}s  {len(frame):>5} B  {summary}")
    if not lines:
        note = "the capture holds no frames"
    elif len(packets) > limit:
        note = f"first {limit} frames shown; the capture holds more"
    else:
        note = f"{len(lines)} frame{'s' if len(lines) != 1 else ''}"
    return lines, note


def _truncate(text: str, limit: int, tail: bool = False) -> str:
    if len(text) <= limit:
        return text
    if tail:
        return f"[... {len(text) - limit} characters before ...]\n" + text[-limit:]
    return text[:limit] + f" [... {len(text) - limit} more characters]"


# -------------------------------------------------------------------------------------------------- code size

SIZE_NOTE = ("Images linked by bench/size (bench/size_image/main.cpp: a Stack with a device, reaching every module "
             "built in) with -Os -ffunction-sections -fdata-sections and --gc-sections; bytes as size -B counts "
             "them. Delta text: the image's .text minus the core image's (no module). A module alone is linked with "
             "the modules it depends on (named); own: its image minus the image of those dependencies alone. .bss "
             "holds the Stack and its pools, sized by the target's configuration.")


def size_rows(size: dict) -> tuple[list[str], list[tuple[str, str, dict]]]:
    """bench/size's JSON as (targets, [(image, its modules or dependencies, {target: figures or None})]): the
    core, the presets, then each module alone; one row per image with the targets side by side. The figures
    are text, data, bss and "delta" (the delta text as shown, with the module's own part when it has
    dependencies)."""
    targets = size.get("targets", {})
    names = list(targets)

    def figures(entry: dict | None) -> dict | None:
        if entry is None:
            return None
        delta = f"{entry.get('delta_text', 0):+d}"
        if entry.get("depends"):
            delta += f" (own {entry.get('own_text', 0):+d})"
        return {"text": entry["text"], "data": entry["data"], "bss": entry["bss"], "delta": delta}

    rows = [("core (no module)", "-", {t: figures({**targets[t]["core"], "delta_text": 0}) for t in names})]
    for preset in dict.fromkeys(p for t in targets.values() for p in t.get("presets", {})):
        entries = {t: targets[t].get("presets", {}).get(preset) for t in names}
        first = next(e for e in entries.values() if e)
        rows.append((f"preset {preset}", " ".join(first.get("modules", [])),
                     {t: figures(e) for t, e in entries.items()}))
    for module in dict.fromkeys(m for t in targets.values() for m in t.get("modules", {})):
        entries = {t: targets[t].get("modules", {}).get(module) for t in names}
        first = next(e for e in entries.values() if e)
        depends = ("+ " + " ".join(first["depends"])) if first.get("depends") else "-"
        rows.append((f"module {module}", depends, {t: figures(e) for t, e in entries.items()}))
    return names, rows


# -------------------------------------------------------------------------------------------------- benchmarks

BENCH_NOTE = ("bench/run (issue 8): our stack and lwIP 2.1.3 (Debian's liblwip-dev) over the same in-memory Link on "
              "the same machine in the same run; wall clock: the median of the runs; instructions: callgrind, marginal "
              "(two sizes, set-up cancels out), per side. Ratio > 1: ours better.")


def _bench_number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def bench_tables(bench: dict) -> tuple[list[str], list[tuple[str, list[str], list[list[str]]]]]:
    """bench/run's JSON as (notes, [(title, header, rows)]): the throughput table (ours, lwIP, ratio), the issue's
    targets, control block sizes per target, pool high-water marks and fuzz_rate; parts not run are left out
    and parts not measured say so. Every cell is text."""
    notes = [BENCH_NOTE, f"Generated {bench.get('generated', '?')} by {bench.get('command', 'bench/run')} on "
             f"{bench.get('machine', {}).get('platform', '?')} ({bench.get('machine', {}).get('cpus', '?')} CPUs)."]
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    rows = bench.get("rows") or []
    if rows:
        settings = bench.get("settings", {})
        tables.append((f"Throughput and cost per operation (tcp_bulk {settings.get('tcp_mib', '?')} MiB, "
                       f"{settings.get('round_trips', '?')} round trips, {settings.get('connections', '?')} "
                       f"connections; median of {settings.get('runs', '?')} runs)",
                       ["Workload", "Metric", "ours", "lwIP", "ratio", "note"],
                       [[r["workload"], r["metric"], _bench_number(r.get("ours")), _bench_number(r.get("lwip")),
                         f"{r['ratio']:.2f}x" if r.get("ratio") else "-", r.get("note", "")] for r in rows]))
    targets = bench.get("targets") or []
    if targets:
        tables.append(("Targets of the issue", ["Target", "Measured", "Met"],
                       [[t["target"], t["value"], "met" if t["met"] else "NOT met"] for t in targets]))
    ram = bench.get("ram")
    if ram:
        measured = [t for t in ("x86-64", "cortex-m4") if ram.get(t, {}).get("measured")]
        for t in ("x86-64", "cortex-m4"):
            if t in ram and not ram[t].get("measured"):
                notes.append(f"RAM: {t} control block sizes not measured: {ram[t].get('reason')}")
        if measured:
            names = list(ram[measured[0]]["sizes"])
            tables.append(("RAM: control block sizes, bytes (x86-64: the bench preset's configuration; Cortex-M4: "
                           "the cortex-m4 preset's, arm-none-eabi-g++)", ["Block", *measured],
                           [[n, *(_bench_number(ram[t]["sizes"].get(n))
                                  + (" (module off)" if n in ram[t].get("off", []) else "") for t in measured)]
                            for n in names]))
            tables.append(("RAM: the configuration the sizes follow", ["Setting", *measured],
                           [[k, *(str(ram[t]["config"].get(k, "-")) for t in measured)]
                            for k in ram[measured[0]]["config"]]))
        hw = ram.get("high_water_build")
        if hw and ram.get("scenarios"):
            title = (f"RAM: pool high-water marks, client / server ({hw['build']}: tcp_sockets "
                     f"{hw['config'].get('tcp_sockets')}, frame_count {hw['config'].get('frame_count')}, timer_count "
                     f"{hw['config'].get('timer_count')}; Stack {hw['sizes'].get('Stack', 0):,} bytes)")
            out_rows = []
            for sc in ram["scenarios"].values():
                a, b = sc["a"], sc["b"]

                def pair(key: str, field: str = "high_water") -> str:
                    return f"{a[key][field]} / {b[key][field]} of {a[key]['capacity']}"

                out_rows.append([sc["label"], pair("frames"), pair("timers"), pair("tcbs"),
                                 f"{a['tcbs']['in_use']} / {b['tcbs']['in_use']}", pair("send_ring"),
                                 pair("recv_ring"), f"{sc['link_frames']['high_water']} of "
                                                    f"{sc['link_frames']['capacity']}"])
            tables.append((title, ["Scenario", "frames", "timers", "TCBs", "TCBs in use at end", "send ring bytes",
                                   "receive ring bytes", "Link frames in flight"], out_rows))
    fuzz = bench.get("fuzz_rate")
    if fuzz is not None:
        if fuzz.get("measured"):
            tables.append(("fuzz_rate: executions per second of a fuzz target, one process",
                           ["Target", "Engine", "Sanitizers", "seconds", "executions", "exec/s", "edges", "corpus",
                            "binary built"],
                           [[fuzz["target"], fuzz["engine"], fuzz["sanitizers"], str(fuzz["seconds"]),
                             _bench_number(fuzz["execs"]), _bench_number(fuzz["exec_per_s"]), str(fuzz["edges"]),
                             f"{fuzz['corpus']} ({fuzz['corpus_files']} files)",
                             fuzz["binary_built"] + (" (older than stack/'s sources)" if fuzz.get("stale") else "")]]))
        else:
            notes.append(f"fuzz_rate: not measured ({fuzz.get('reason')})")
    return notes, tables


# ------------------------------------------------------------------------------------------------------ render


def _build_section(build: dict) -> list[str]:
    rows = [
        ("Commit", f"<code>{esc(build.get('commit', 'unknown'))}</code>"),
        (
            "Working tree",
            '<span class="v-fail">dirty (uncommitted changes)</span>' if build.get("dirty") else "clean"
            if build.get("dirty") is not None else "unknown",
        ),
        ("Compiler", esc(build.get("compiler", "unknown"))),
        ("Build directory", f"<code>{esc(build.get('build_dir', ''))}</code>"),
        ("CMake preset", esc(build.get("preset") or "unknown")),
        ("Build type", esc(build.get("build_type") or "unknown")),
        ("CMake C++ compiler", f"<code>{esc(build.get('cmake_cxx_compiler') or 'unknown')}</code>"),
        ("Date (UTC)", esc(build.get("date", ""))),
    ]
    out = ["<h2 id=\"build\">Build identity</h2>", "<table>"]
    out += [f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows]
    out.append("</table>")
    options = build.get("options") or {}
    if options:
        modules_on = [k for k, v in options.items() if v.upper() == "ON"]
        modules_off = [k for k, v in options.items() if v.upper() == "OFF"]
        out.append(f"<p>Options on: {esc(', '.join(modules_on) or 'none')}<br>"
                   f"Options off: {esc(', '.join(modules_off) or 'none')}</p>")
        out.append("<details><summary>All PICO_* cache entries</summary><table><tr><th>Entry</th><th>Value</th></tr>")
        out += [f"<tr><td><code>{esc(k)}</code></td><td><code>{esc(v)}</code></td></tr>" for k, v in options.items()]
        out.append("</table></details>")
    else:
        out.append(f"<p class=\"muted\">No CMakeCache.txt in {esc(build.get('build_dir', ''))}: "
                   "module options unknown.</p>")
    return out


def _rfc_order(key: str, catalogue: dict) -> tuple:
    """RFCs in numeric order (RFC 768 before RFC 2018), catalogues without a number after them, by key."""
    try:
        return (0, int(catalogue.get("rfc")), key)
    except (TypeError, ValueError):
        return (1, 0, key)


def render_html(report: dict, tests, repo: Path, out_dir: Path) -> str:
    """The whole page. `tests` are summary.TestResult objects (their `detail` holds the full failure text)."""
    build = report.get("build") or {}
    catalogues = dict(sorted(report["catalogues"].items(), key=lambda item: _rfc_order(*item)))
    test_anchor = {}
    for test in tests:
        name = anchor("test", test.id)
        while name in test_anchor.values():
            name += "_"
        test_anchor[test.id] = name

    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Conformance certification report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Conformance certification report</h1>",
        f'<p class="muted">Generated {esc(report["generated"])} from <code>{esc(report["junit"])}</code> and '
        "the requirement catalogues.</p>",
        f'<p class="result-{esc(report["result"])}"><strong>{esc(report["result"].upper())}</strong>: '
        f"{esc(report['summary'])}</p>",
        "<nav><ul>",
        '<li><a href="#build">Build identity</a></li>',
        '<li><a href="#overview">Overview per RFC</a></li>',
    ]
    out += [f'<li><a href="#{anchor("cat", key)}">{esc(key)}: {esc(c["title"])}</a></li>'
            for key, c in catalogues.items()]
    out += ['<li><a href="#failing">Failing tests</a></li>', '<li><a href="#tests">All tests</a></li>', "</ul></nav>"]

    out += _build_section(build)

    # Overview: one bar per RFC (all levels), then the table of counts per level group.
    out.append('<h2 id="overview">Overview per RFC</h2>')
    out.append(legend())
    out.append(bar_chart([(key, c["totals"]) for key, c in catalogues.items()], "Requirements per RFC by verdict"))
    out.append("<table><tr><th>RFC</th><th>Title</th><th>Level</th>"
               + "".join(f"<th>{esc(v)}</th>" for v in VERDICTS) + "<th>total</th></tr>")
    for key, catalogue in catalogues.items():
        groups = grouped_counts(catalogue)
        for i, (group, counts) in enumerate(groups.items()):
            head = (f'<td rowspan="{len(groups)}"><a href="#{anchor("cat", key)}">{esc(key)}</a></td>'
                    f'<td rowspan="{len(groups)}">{esc(catalogue["title"])}</td>') if i == 0 else ""
            out.append(
                f'<tr class="counts" data-rfc="{esc(key)}" data-level="{esc(group)}">{head}<td>{esc(group)}</td>'
                + "".join(f'<td class="num" data-verdict="{esc(v)}">{counts[v]}</td>' for v in VERDICTS)
                + f'<td class="num">{sum(counts.values())}</td></tr>'
            )
    out.append("</table>")
    totals = report["totals"]
    out.append("<p>All catalogues: " + ", ".join(f"{totals[v]} {esc(v)}" for v in VERDICTS) + ".</p>")
    if report.get("unknown_requirements"):
        out.append("<p class=\"v-fail\">Tests cite ids that are in no catalogue: "
                   + esc(", ".join(report["unknown_requirements"])) + "</p>")

    # Per RFC: chart by level, then every requirement.
    for key, catalogue in catalogues.items():
        groups = grouped_counts(catalogue)
        out.append(f'<h2 id="{anchor("cat", key)}">{esc(key)}: {esc(catalogue["title"])}</h2>')
        out.append(f'<p class="muted">Catalogue <code>{esc(catalogue["file"])}</code></p>')
        out.append(bar_chart(list(groups.items()), f"{key} requirements by level and verdict"))
        out.append('<table class="reqs"><tr><th>Id</th><th>Level</th><th>Section</th><th>Summary (our paraphrase)'
                   "</th><th>Tests</th><th>Verdict</th><th>Pcaps</th></tr>")
        for row in catalogue["requirements"]:
            verdict = row["verdict"]
            cls = "v-" + verdict.replace(" ", "-")
            shown = verdict.upper() if verdict == "fail" else verdict
            verdict_html = f'<span class="verdict {cls}">{esc(shown)}</span>'
            if not row["applies"]:
                verdict_html += f'<br><span class="reason">{esc(row["reason"] or "no reason given")}</span>'
            test_items = []
            for t in row["tests"]:
                name = t["id"].split("::")[-1]
                target = test_anchor.get(t["id"])
                label = f"<code>{esc(name)}</code>"
                if target:
                    label = f'<a href="#{esc(target)}">{label}</a>'
                test_items.append(f'{label} <span class="o-{esc(t["outcome"])}">({esc(t["outcome"])})</span>')
            pcaps = "<br>".join(pcap_link(p, repo, out_dir) for p in row["pcaps"]) or "-"
            section = f"{row['source']} {row['section']}".strip()
            out.append(
                f'<tr id="{esc(anchor("req", row["id"]))}" class="req" data-verdict="{esc(verdict)}">'
                f"<td><code>{esc(row['id'])}</code></td><td>{esc(row['level'])}</td><td>{esc(section)}</td>"
                f"<td>{esc(row['summary'])}</td><td>{'<br>'.join(test_items) or '-'}</td>"
                f"<td>{verdict_html}</td><td>{pcaps}</td></tr>"
            )
        out.append("</table>")
        if catalogue.get("warnings"):
            out.append("<p>Catalogue warnings:</p><ul>"
                       + "".join(f"<li>{esc(w)}</li>" for w in catalogue["warnings"]) + "</ul>")

    # Failing tests: message, traceback tail, frames.
    failing = [t for t in tests if t.outcome == "failed"]
    out.append(f'<h2 id="failing">Failing tests ({len(failing)})</h2>')
    if not failing:
        out.append("<p>No test failed.</p>")
    for test in failing:
        message = test.full_message or test.message or "(no message)"
        out.append(f'<div class="failing" id="{esc(test_anchor[test.id])}-failure">')
        out.append(f'<h3><a href="#{esc(test_anchor[test.id])}"><code>{esc(test.id)}</code></a></h3>')
        if test.requirements:
            out.append("<p>Requirements: " + ", ".join(
                f'<a href="#{esc(anchor("req", r))}">{esc(r)}</a>' for r in test.requirements) + "</p>")
        out.append(f'<p>Assertion:</p><pre class="message">{esc(_truncate(message, MAX_MESSAGE))}</pre>')
        if test.detail and test.detail.strip() != message.strip():
            out.append("<details><summary>Traceback</summary>"
                       f"<pre>{esc(_truncate(test.detail.rstrip(), MAX_TRACE, tail=True))}</pre></details>")
        if test.pcap:
            lines, note = frame_summaries(repo / test.pcap)
            out.append(f"<p>Evidence: {pcap_link(test.pcap, repo, out_dir)} ({esc(note)})</p>")
            if lines:
                out.append(f'<pre class="frames">{esc(chr(10).join(lines))}</pre>')
        else:
            out.append('<p class="muted">No pcap recorded for this test.</p>')
        out.append("</div>")

    # Coverage per module and the latest fuzz campaign, when given.
    coverage = report.get("coverage", {})
    if coverage:
        sources = list(coverage)
        modules = sorted({m for per in coverage.values() for m in per})
        out.append('<h2 id="coverage">Coverage per module</h2>')
        out.append("<p>Lines and branches of <code>stack/</code> reached, per module and source (conformance: the "
                   "conformance run on the certify build; fuzz: the fuzz corpora).</p>")
        out.append("<table><tr><th>Module</th>" + "".join(f"<th>{esc(s)} lines</th><th>{esc(s)} branches</th>"
                                                         for s in sources) + "</tr>")
        for module in modules:
            cells = ""
            for src in sources:
                c = coverage[src].get(module)
                if c:
                    cells += (f'<td class="num">{c["line_percent"]}% ({c["lines_covered"]}/{c["lines"]})</td>'
                              f'<td class="num">{c["branch_percent"]}% ({c["branches_covered"]}/{c["branches"]})</td>')
                else:
                    cells += "<td>-</td><td>-</td>"
            out.append(f"<tr><td>{esc(module)}</td>{cells}</tr>")
        out.append("</table>")
    fuzz = report.get("fuzz")
    if fuzz:
        out.append('<h2 id="fuzzing">Fuzzing</h2>')
        out.append(f"<p>Latest campaign: {esc(fuzz['engine'])}, started {esc(fuzz['started'])}, "
                   f"{esc(fuzz['findings_total'])} findings.</p>")
        out.append("<table><tr><th>Target</th><th>seconds</th><th>execs</th><th>exec/s</th><th>edges</th>"
                   "<th>corpus</th><th>findings</th></tr>")
        for name, t in fuzz["targets"].items():
            out.append(f"<tr><td>{esc(name)}</td>" + "".join(
                f'<td class="num">{esc(t[k])}</td>' for k in ("seconds", "execs", "exec_per_s", "edges",
                                                             "corpus_size", "findings")) + "</tr>")
        out.append("</table>")

    # Code size per module and preset (bench/size), when given: the targets side by side.
    size = report.get("size")
    if size:
        names, rows = size_rows(size)
        out.append('<h2 id="size">Code size per module and preset</h2>')
        out.append(f"<p>{esc(SIZE_NOTE)}</p>")
        out.append('<table class="size"><tr><th rowspan="2">Image</th><th rowspan="2">Modules</th>'
                   + "".join(f'<th colspan="4">{esc(t)}</th>' for t in names) + "</tr><tr>"
                   + "<th>text</th><th>data</th><th>bss</th><th>delta text</th>" * len(names) + "</tr>")
        for label, modules, per in rows:
            cells = ""
            for t in names:
                f = per[t]
                cells += ("".join(f'<td class="num">{esc(f[k])}</td>' for k in ("text", "data", "bss", "delta"))
                          if f else "<td>-</td>" * 4)
            out.append(f'<tr data-image="{esc(label)}"><td>{esc(label)}</td><td>{esc(modules)}</td>{cells}</tr>')
        out.append("</table>")
        out.append("<ul>" + "".join(
            f"<li>{esc(t)}: {esc(size['targets'][t].get('compiler', 'unknown compiler'))}; "
            f"<code>{esc(size['targets'][t].get('flags', ''))}</code></li>" for t in names) + "</ul>")

    # Benchmarks (bench/run), when given.
    if report.get("bench"):
        notes, tables = bench_tables(report["bench"])
        out.append('<h2 id="bench">Benchmarks</h2>')
        out += [f"<p>{esc(n)}</p>" for n in notes]
        for title, header, rows in tables:
            out.append(f"<h3>{esc(title)}</h3><table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>")
            out += ["<tr>" + "".join(f'<td class="num">{esc(c)}</td>' if re.fullmatch(r"[-+\d,.]+x?", c)
                                     else f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows]
            out.append("</table>")

    # The linux DUT run (pytest conformance --dut=linux), when it ran.
    linux = report.get("linux")
    if linux:
        c = linux["counts"]
        out.append('<h2 id="linux">Linux as a second device under test</h2>')
        out.append("<p>The same scenarios against the kernel of the machine in a network namespace behind a TAP "
                   "device (<code>pytest conformance --dut=linux</code>, real time). A deviation is a scenario "
                   "Linux fails where the RFC is clear (marked in the scenario, an expected failure); not "
                   "applicable: the scenario needs the stack's counters or API; virtual time only: it waits "
                   "longer than the real-time budget.</p>")
        out.append("<p>" + ", ".join(f"{n} {esc(k)}" for k, n in c.items()) + ".</p>")
        out.append("<table><tr><th>Folder</th>" + "".join(f"<th>{esc(k)}</th>" for k in c) + "</tr>")
        for folder, row in linux["per_folder"].items():
            out.append(f"<tr><td>{esc(folder)}</td>" + "".join(f'<td class="num">{row[k]}</td>' for k in c)
                       + "</tr>")
        out.append("</table>")
        if linux["deviations"]:
            out.append('<h3 id="linux-deviations">Deviations of Linux from the RFCs</h3>')
            out.append("<table><tr><th>Test</th><th>Requirements</th><th>What Linux does</th><th>Pcap</th></tr>")
            for d in linux["deviations"]:
                reqs_html = ", ".join(f'<a href="#{esc(anchor("req", r))}">{esc(r)}</a>'
                                      for r in d["requirements"]) or "-"
                pcap = pcap_link(d["pcap"], repo, out_dir) if d["pcap"] else "-"
                out.append(f"<tr><td><code>{esc(d['id'])}</code></td><td>{reqs_html}</td>"
                           f"<td>{esc(d['reason'])}</td><td>{pcap}</td></tr>")
            out.append("</table>")
        if linux["failures"]:
            out.append('<h3 id="linux-failures">Scenarios failing against Linux without a documented deviation</h3>')
            out.append("<table><tr><th>Test</th><th>Requirements</th><th>Message</th></tr>")
            for f in linux["failures"]:
                out.append(f"<tr><td><code>{esc(f['id'])}</code></td><td>{esc(', '.join(f['requirements']))}</td>"
                           f"<td>{esc(f['message'])}</td></tr>")
            out.append("</table>")

    # The tshark check of the evidence (reports/check_pcaps.py), when it ran.
    check = report.get("evidence_check")
    if check:
        out.append('<h2 id="evidence-check">Independent check of the evidence (tshark)</h2>')
        out.append(f"<p>{check['captures']} captures, {check['frames']} frames dissected by "
                   f"{esc(check.get('tshark') or 'tshark')}; frames sent by the DUT marked malformed or with a wrong checksum: "
                   f"<strong>{len(check['findings'])}</strong>.</p>")
        if check["findings"]:
            out.append("<table><tr><th>Pcap</th><th>Frame</th><th>Protocols</th><th>Problems</th></tr>")
            for f in check["findings"]:
                out.append(f"<tr><td>{pcap_link(f['pcap'], repo, out_dir)}</td><td>{f['frame']}</td>"
                           f"<td>{esc(f['protocols'])}</td><td>{esc(f['problems'])}</td></tr>")
            out.append("</table>")
        for path in check.get("unreadable", []):
            out.append(f"<p>Not a pcap file: <code>{esc(path)}</code></p>")

    # All tests.
    out.append(f'<h2 id="tests">All tests ({len(tests)})</h2>')
    outcomes = report.get("test_outcomes", {})
    out.append("<p>" + ", ".join(f"{n} {esc(o)}" for o, n in outcomes.items()) + ".</p>")
    out.append("<table><tr><th>Test</th><th>Outcome</th><th>Requirements</th><th>Purpose</th><th>Pcap</th></tr>")
    for test in tests:
        purpose = test.purpose
        if test.outcome == "skipped" and test.message:
            purpose += f" (skipped: {test.message})"
        reqs_html = ", ".join(f'<a href="#{esc(anchor("req", r))}">{esc(r)}</a>' for r in test.requirements) or "-"
        pcap = pcap_link(test.pcap, repo, out_dir) if test.pcap else "-"
        outcome = f'<span class="o-{esc(test.outcome)}">{esc(test.outcome)}</span>'
        if test.outcome == "failed":
            outcome = f'<a href="#{esc(test_anchor[test.id])}-failure">{outcome}</a>'
        out.append(f'<tr id="{esc(test_anchor[test.id])}"><td><code>{esc(test.id)}</code></td><td>{outcome}</td>'
                   f"<td>{reqs_html}</td><td>{esc(purpose)}</td><td>{pcap}</td></tr>")
    out.append("</table>")
    out.append(f'<p class="muted">{esc(report["summary"])}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"
