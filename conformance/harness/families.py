"""Running a scenario over both address families: the `family` fixture, the `dut` override and the markers
the per-folder conftest.py files of rfc9293_tcp/ and rfc0768_udp/ import.

    @pytest.mark.families(4, 6)      which families a test (or a module, via pytestmark) runs over
    @pytest.mark.ipv4_only("why")    the scenario is IPv4-specific (same as families(4)), with the reason
    @pytest.mark.mixed_families      the scenario uses both families on purpose: no teardown check
    @pytest.mark.ipv6_requirement("RFC8200:R8.1-pseudo-header", ...)
                                     requirement ids the "ipv6" variant checks besides the test's own
    @pytest.mark.ipv4_requirement("RFC791:...", ...)   the same for the "ipv4" variant

A test whose fixture closure holds `family` (every test using `dut` in those folders) is parametrised with ids
"ipv4" / "ipv6" over the closest `families` / `ipv4_only` marker, else over the folder's default. The `dut`
override calls dut.use_family(family) and, at teardown, fails the test when the wire carried the other family
(Dut.check_family): an IPv6 variant cannot silently run over IPv4.
"""
from __future__ import annotations

import pytest

IDS = {4: "ipv4", 6: "ipv6"}


def register_markers(config) -> None:
    config.addinivalue_line("markers", "families(*families): the address families (4, 6) a scenario runs over")
    config.addinivalue_line("markers", "ipv4_only(reason): the scenario is IPv4-specific (runs over IPv4 only)")
    config.addinivalue_line("markers", "ipv6_requirement(*ids): requirement ids of the ipv6 variant only")
    config.addinivalue_line("markers", "ipv4_requirement(*ids): requirement ids of the ipv4 variant only")
    config.addinivalue_line("markers", "mixed_families: the scenario uses both families on purpose (no check)")


def families_of(definition, default):
    """The families a test runs over: its closest families/ipv4_only marker, else `default` (None: the test is
    not parametrised, it runs once with the plain `dut`)."""
    for marker in definition.iter_markers():
        if marker.name == "ipv4_only":
            return (4,)
        if marker.name == "families":
            if not marker.args or any(f not in IDS for f in marker.args):
                raise pytest.UsageError(f"{definition.nodeid}: families() takes 4 and/or 6, got {marker.args}")
            return tuple(marker.args)
    return None if default is None else tuple(default)


def parametrize_families(metafunc, default) -> None:
    """pytest_generate_tests body: parametrise `family` unless the test does it itself."""
    if "family" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if "family" in ([n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)):
            return
    chosen = families_of(metafunc.definition, default)
    if chosen is None:
        return
    extra = {f: [rid for marker in metafunc.definition.iter_markers(f"ipv{f}_requirement") for rid in marker.args]
             for f in IDS}
    values = [pytest.param(f, id=IDS[f], marks=[pytest.mark.requirement(*extra[f])] if extra[f] else [])
              for f in chosen]
    metafunc.parametrize("family", values, indirect=True)


@pytest.fixture
def family(request):
    """4 or 6: the address family this variant of the scenario runs over (4 when not parametrised)."""
    return getattr(request, "param", 4)


@pytest.fixture(name="dut")
def dut_for_family(dut, family, request):
    """The folder's `dut` over `family` (IPv6 configured for 6); checks at teardown that the wire carried that
    family only (for parametrised tests)."""
    parametrised = hasattr(request.node, "callspec") and "family" in request.node.callspec.params
    if parametrised:
        dut.use_family(family)
    yield dut
    if parametrised and request.node.get_closest_marker("mixed_families") is None:
        problems = dut.check_family()
        if problems:
            pytest.fail("; ".join(problems), pytrace=False)
