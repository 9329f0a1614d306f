#!/usr/bin/python3
"""Flash and RAM of a firmware image per module, from its GNU ld map file.

    examples/cortex-m4/map_by_module.py build/firmware/net/picotcp-m4-net.map [--top 8] [--markdown]

Every input section the linker placed (the "Linker script and memory map" part of the map) is attributed to
the object file it came from, and the object to a module by its source path: stack/net/ipv4.cpp -> IPV4,
stack/transport/tcp/* -> TCP, stack/drivers/lan9118.cpp -> LAN9118, startup/semihosting, newlib and libgcc
-> runtime, the image's own sources -> application. Archive members (libpicotcp.a(ipv4.cpp.obj)) carry only
their file name; the stack's source tree says which file that is (the names are unique there).

Columns: text (.text*), rodata (.rodata* and the other read-only sections: vector table, unwind index,
init arrays), data (.data*: RAM, and its initial values also in flash), bss (.bss*, COMMON); flash =
text + rodata + data, RAM = data + bss. Alignment padding is its own row, so the totals equal what
arm-none-eabi-size reports (size -B counts .init_array as data; here it is rodata, in flash). Code from headers (the wire formats, inline functions) counts for the module whose
source file instantiated it. The largest RAM objects are listed after the table (the Stack object, with every
pool of the stack, is one of the application's), then the pool sizes the stack was built with (the build's
generated core/config.hpp, found above the map file or given with --config).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Source path (relative to the repository) -> module, the first matching prefix wins.
MODULES = [
    ("stack/transport/tcp/", "TCP"),
    ("stack/transport/udp.cpp", "UDP"),
    ("stack/transport/socket_types.cpp", "SOCKET"),
    ("stack/net/ipv4_reassembly.cpp", "IPV4_REASSEMBLY"),
    ("stack/net/ipv4_fragment.cpp", "IPV4_FRAGMENTATION"),
    ("stack/net/ipv4.cpp", "IPV4"),
    ("stack/net/icmp4.cpp", "ICMP4"),
    ("stack/net/igmp.cpp", "IGMP"),
    ("stack/net/ipv6_reassembly.cpp", "IPV6_REASSEMBLY"),
    ("stack/net/ipv6.cpp", "IPV6"),
    ("stack/net/icmp6.cpp", "ICMP6"),
    ("stack/net/nd.cpp", "ND"),
    ("stack/net/slaac.cpp", "SLAAC"),
    ("stack/net/mld.cpp", "MLD"),
    ("stack/link/ethernet.cpp", "ETHERNET"),
    ("stack/link/arp.cpp", "ARP"),
    ("stack/link/pcap.cpp", "PCAP"),
    ("stack/link/link_sim.cpp", "LINKSIM"),
    ("stack/assembly/", "CORE"),
    ("stack/core/", "CORE"),
    ("stack/port/", "PORT (cortex_m)"),
    ("stack/drivers/lan9118.cpp", "LAN9118"),
    ("stack/drivers/", "DRIVERS"),
]
RUNTIME = "runtime (startup, semihosting, libc, libgcc)"
APPLICATION = "application"
PADDING = "(alignment padding)"


def stack_sources() -> dict[str, list[str]]:
    """File name -> repository-relative paths of the stack's sources with that name."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in sorted((REPO / "stack").rglob("*.cpp")):
        if "tests" in path.parts:
            continue
        by_name[path.name].append(path.relative_to(REPO).as_posix())
    return by_name


def module_of_source(rel: str) -> str | None:
    for prefix, module in MODULES:
        if rel.startswith(prefix):
            return module
    return None


def module_of_object(obj: str, by_name: dict[str, list[str]]) -> str:
    """The module an input file (as the map names it) belongs to."""
    obj = obj.strip()
    member = re.match(r"^(.*)\(([^()]+)\)$", obj)
    archive, name = (member.group(1), member.group(2)) if member else ("", obj)
    if archive and not re.search(r"libpicotcp[^/]*\.a$", archive):
        return RUNTIME  # newlib, libgcc, libstdc++/libsupc++
    if not archive and obj.startswith("/usr/"):
        return RUNTIME  # crt objects, linker-provided files
    base = Path(name).name
    source = re.sub(r"\.(obj|o)$", "", base)
    if archive:  # libpicotcp.a, libpicotcp_cortex_m.a: look the file name up in the stack's tree
        paths = by_name.get(source, [])
        if len(paths) == 1:
            return module_of_source(paths[0]) or paths[0]
        return f"? {source} ({'ambiguous' if paths else 'not in stack/'})"
    # A direct object: CMake names it after its source path, "../" written as "__/".
    path = name.replace("__/", "../")
    stack_at = path.find("stack/")
    if stack_at >= 0:
        module = module_of_source(path[stack_at:])
        if module:
            return module
    if re.search(r"picotcp_m4_runtime\.dir/", name) or source in ("startup.cpp", "semihosting.cpp"):
        return RUNTIME
    if "linker stubs" in obj or obj.startswith("*"):
        return RUNTIME
    return APPLICATION


def parse_memory(lines: list[str]) -> list[tuple[str, int, int]]:
    """(name, origin, length) of each memory region in "Memory Configuration"."""
    regions = []
    for line in lines:
        m = re.match(r"^(\w+)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)", line)
        if m and m.group(1) != "Name":
            regions.append((m.group(1), int(m.group(2), 16), int(m.group(3), 16)))
        if line.startswith("Linker script and memory map"):
            break
    return regions


def kind_of(section: str, output: str, in_ram: bool) -> str | None:
    """The column an input section counts in, or None for sections not loaded (debug info, attributes)."""
    if output.startswith((".debug", ".comment", ".ARM.attributes", ".stab", ".rel.", ".iplt", ".igot")):
        return None
    if in_ram:
        if output.startswith(".bss") or section.startswith((".bss", "COMMON")):
            return "bss"
        return "data"
    if section.startswith(".text") or section in (".glue_7", ".glue_7t", ".vfp11_veneer", ".v4_bx"):
        return "text"
    return "rodata"


def parse_map(text: str):
    lines = text.splitlines()
    regions = parse_memory(lines)
    ram = [(o, o + n) for name, o, n in regions if name.upper() != "FLASH" and not name.startswith("*")]

    def in_ram(address: int) -> bool:
        return any(lo <= address < hi for lo, hi in ram)

    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Linker script and memory map"))
    except StopIteration:
        sys.exit("map_by_module: no 'Linker script and memory map' section in the map file")
    try:
        end = next(i for i, line in enumerate(lines) if i > start and line.startswith("Cross Reference Table"))
    except StopIteration:
        end = len(lines)

    placed = []  # (output section, input section, address, size, object)
    output = ""
    output_in_ram = False
    pending = None  # an input section name whose address/size/file are on the next line
    entry = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(.+)$")
    for line in lines[start + 1:end]:
        if not line.strip():
            continue
        if re.match(r"^\.[\w.]+|^[A-Za-z_][\w.]*\s", line) and not line.startswith(" "):
            parts = line.split()
            output = parts[0]
            if len(parts) >= 2 and parts[1].startswith("0x"):
                output_in_ram = in_ram(int(parts[1], 16))
            else:
                output_in_ram = False
                pending = ("__output__", output)
            continue
        if pending and pending[0] == "__output__":
            m = re.match(r"^\s+0x([0-9a-fA-F]+)", line)
            if m:
                output_in_ram = in_ram(int(m.group(1), 16))
                pending = None
                continue
            pending = None
        m = re.match(r"^ (\*fill\*)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)", line)
        if m:
            placed.append((output, "*fill*", int(m.group(2), 16), int(m.group(3), 16), "*fill*", output_in_ram))
            continue
        m = re.match(r"^ ([.\w][^\s]*|COMMON)(\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(.+))?$", line)
        if m and not line.startswith("  "):
            if m.group(2):
                placed.append((output, m.group(1), int(m.group(3), 16), int(m.group(4), 16), m.group(5),
                               output_in_ram))
                pending = None
            else:
                pending = ("input", m.group(1))
            continue
        if pending and pending[0] == "input":
            m = entry.match(line)
            if m:
                placed.append((output, pending[1], int(m.group(1), 16), int(m.group(2), 16), m.group(3),
                               output_in_ram))
            pending = None
    return placed


def demangle(names: list[str]) -> list[str]:
    tool = shutil.which("arm-none-eabi-c++filt") or shutil.which("c++filt")
    if not tool or not names:
        return names
    out = subprocess.run([tool], input="\n".join(names), capture_output=True, text=True, check=False).stdout
    result = out.splitlines()
    return result if len(result) == len(names) else names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("map", type=Path, help="the image's map file (-Wl,-Map=...)")
    parser.add_argument("--top", type=int, default=6, help="largest RAM objects to list (0: none)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--config", type=Path, help="generated core/config.hpp (default: found above the map)")
    args = parser.parse_args()

    placed = parse_map(args.map.read_text(errors="replace"))
    by_name = stack_sources()
    columns = ("text", "rodata", "data", "bss")
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(columns, 0))
    ram_objects = []
    for output, section, _address, size, obj, in_ram in placed:
        if size == 0:
            continue
        kind = kind_of(section, output, in_ram)
        if kind is None:
            continue
        module = PADDING if section == "*fill*" else module_of_object(obj, by_name)
        table[module][kind] += size
        if kind in ("data", "bss"):
            symbol = re.sub(r"^\.(bss|data)\.", "", section)
            ram_objects.append((size, symbol, module))

    def flash(row):
        return row["text"] + row["rodata"] + row["data"]

    def ram(row):
        return row["data"] + row["bss"]

    order = sorted(table, key=lambda m: (m in (RUNTIME, APPLICATION, PADDING), m == PADDING, -flash(table[m])))
    total = dict.fromkeys(columns, 0)
    for m in order:
        for c in columns:
            total[c] += table[m][c]
    headers = ("module", "text", "rodata", "data", "bss", "flash", "RAM")
    rows = [(m, *(table[m][c] for c in columns), flash(table[m]), ram(table[m])) for m in order]
    rows.append(("total", *(total[c] for c in columns), flash(total), ram(total)))
    width = max(len(r[0]) for r in rows + [headers])
    print(f"{args.map.name}: flash and RAM per module (bytes)")
    if args.markdown:
        print("| " + " | ".join(headers) + " |")
        print("|---|" + "---:|" * (len(headers) - 1))
        for r in rows:
            print("| " + " | ".join(str(x) for x in r) + " |")
    else:
        print(f"{headers[0]:<{width}} " + " ".join(f"{h:>8}" for h in headers[1:]))
        for r in rows:
            print(f"{r[0]:<{width}} " + " ".join(f"{x:>8}" for x in r[1:]))
    if args.top > 0 and ram_objects:
        ram_objects.sort(reverse=True)
        top = ram_objects[: args.top]
        names = demangle([s for _, s, _ in top])
        print("largest RAM objects:")
        for (size, _symbol, module), name in zip(top, names):
            print(f"  {size:>8}  {name}  [{module}]")
    config = args.config
    if config is None:
        for parent in args.map.resolve().parents:
            candidate = parent / "generated" / "core" / "config.hpp"
            if candidate.is_file():
                config = candidate
                break
    if config is not None and config.is_file():
        values = re.findall(r"inline constexpr std::size_t (\w+) = (\d+);", config.read_text())
        pools = ("frame_", "max_devices", "timer_count", "arp_entries", "arp_queue_frames", "ipv4_routes",
                 "udp_sockets", "udp_rx_queue", "tcp_sockets", "tcp_send_buffer", "tcp_recv_buffer", "tcp_half_open")
        print("pools: " + ", ".join(f"{k}={v}" for k, v in values if k.startswith(pools)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
