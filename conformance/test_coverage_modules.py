"""reports/coverage.py: files are attributed to the module whose CMake source list names them, and the
per-module sums and percentages are right."""
import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("picotcp_coverage", REPO / "reports" / "coverage.py")
coverage = importlib.util.module_from_spec(_spec)
sys.modules["picotcp_coverage"] = coverage
_spec.loader.exec_module(coverage)


def test_files_map_to_their_modules():
    mapping = coverage.module_map()
    expect = {
        "stack/net/ipv6.cpp": "IPV6", "stack/net/nd.hpp": "ND", "stack/net/ipv4_reassembly.cpp": "IPV4_REASSEMBLY",
        "stack/link/arp.cpp": "ARP", "stack/transport/udp.hpp": "UDP", "stack/transport/tcp/fsm.cpp": "TCP",
        "stack/wire/tcp.hpp": "TCP", "stack/wire/icmp6.hpp": "ICMP6", "stack/core/buffer.hpp": "CORE",
        "stack/assembly/stack.cpp": "CORE", "stack/link/pcap.cpp": "PCAP", "stack/drivers/tap.cpp": "DRIVERS",
    }
    assert {path: coverage.module_of(path, mapping) for path in expect} == expect


def test_aggregate_sums_and_percentages():
    files = {
        "stack/net/ipv6.cpp": {"lines": 100, "lines_covered": 90, "branches": 10, "branches_covered": 5},
        "stack/wire/ipv6.hpp": {"lines": 50, "lines_covered": 15, "branches": 0, "branches_covered": 0},
        "stack/core/timer.cpp": {"lines": 10, "lines_covered": 10, "branches": 4, "branches_covered": 1},
    }
    modules = coverage.aggregate(files)
    assert modules["IPV6"] == {"files": 2, "lines": 150, "lines_covered": 105, "branches": 10, "branches_covered": 5,
                               "line_percent": 70.0, "branch_percent": 50.0}
    assert modules["CORE"]["line_percent"] == 100.0 and modules["CORE"]["branch_percent"] == 25.0
