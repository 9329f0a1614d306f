"""TCP scenarios run over both address families (RFC 9293 is family-independent; RFC 8200 8.1 and 8.3 say
what changes over IPv6: the pseudo-header and the MSS arithmetic).

Every scenario here that uses the `dut` fixture is collected twice, ids "ipv4" and "ipv6" (harness/families.py):
for "ipv6" the overriding `dut` fixture configures IPv6 and sets dut.family = 6, so TcpPeer, bring_to_state and
the family-neutral helpers of harness/dut.py (dut.addr, dut.peer_addr, dut.wildcard, dut.ip_frame,
dut.icmp_error) speak IPv6. An IPv4-specific scenario (IPv4 options, broadcast, ARP, RFC 1191, ICMPv4-only
codes) says so with @pytest.mark.ipv4_only("why"); IPv6-specific scenarios are in test_tcp_ipv6.py. At teardown
the fixture fails the test if the wire carried the other family, so an IPv6 variant cannot silently run over IPv4.
"""
from harness.families import dut_for_family, family, parametrize_families, register_markers  # noqa: F401


def pytest_configure(config):
    register_markers(config)


def pytest_generate_tests(metafunc):
    parametrize_families(metafunc, default=(4, 6))
