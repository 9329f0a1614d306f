"""UDP scenarios over both address families, where they apply (harness/families.py).

A module opts in with `pytestmark = pytest.mark.families(4, 6)` (test_udp_receive.py, test_udp_send.py): its
tests using `dut` are collected twice, ids "ipv4" and "ipv6", the overriding `dut` fixture configuring IPv6 for
the second (dut.family = 6; dut.addr, dut.peer_addr, dut.wildcard, dut.ip_frame, dut.icmp_error follow it) and
failing a test at teardown whose wire carried the other family. An IPv4-specific scenario says so with
@pytest.mark.ipv4_only("why"). Modules that do not opt in run over IPv4 once with the plain `dut`, unchanged.
"""
from harness.families import dut_for_family, family, parametrize_families, register_markers  # noqa: F401


def pytest_configure(config):
    register_markers(config)


def pytest_generate_tests(metafunc):
    parametrize_families(metafunc, default=None)
