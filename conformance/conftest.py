"""Conformance suite set-up: where picotcp comes from, the DUT fixture, requirement markers, evidence.

- picotcp is imported from $PICOTCP_PYTHONPATH (default <repo>/build/asan/python), put first on sys.path.
- --dut chooses the backend: "binding" (this stack in-process on virtual time, the default) or "linux" (the
  kernel of this machine in a network namespace behind a TAP device, real time: harness/linux_dut.py). With
  --dut=linux only the scenarios using the DUT fixtures are collected; a scenario marked
  @pytest.mark.linux_deviation("RFC ...: what Linux does") is an expected failure (strict), one marked
  @pytest.mark.virtual_time_only("why") is skipped, and one that needs what the kernel does not expose (the
  stack's counters or API) is skipped where it first needs it, with the reason.
- @pytest.mark.requirement("RFC826:R3", ...) ties a test to catalogue entries
  (conformance/requirements/*.yaml); collection fails if a marker names an id that is in no catalogue.
- The `dut` fixture (function scope) captures the frames it exchanges to pcaps/out/<folder>/<test>.pcap.
- Each test's requirement ids, pcap path and docstring go into the junit XML as properties
  ("requirements", "pcap", "doc"), which reports/summary.py reads.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from pathlib import Path

import pytest

CONFORMANCE_DIR = Path(__file__).resolve().parent
REPO = CONFORMANCE_DIR.parent
PICOTCP_PATH = os.environ.get("PICOTCP_PYTHONPATH", str(REPO / "build" / "asan" / "python"))

sys.path.insert(0, PICOTCP_PATH)
if str(CONFORMANCE_DIR) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE_DIR))

from harness import requirements as reqs  # noqa: E402

DUT_BACKENDS = ("binding", "linux")


def pytest_addoption(parser):
    group = parser.getgroup("conformance")
    group.addoption(
        "--dut",
        action="store",
        default="binding",
        choices=DUT_BACKENDS,
        help="device under test backend (binding: this stack in-process on virtual time; linux: the kernel in "
        "a network namespace, real time)",
    )
    group.addoption(
        "--pcap-dir",
        action="store",
        default=None,
        help="where each test's capture goes (<dir>/<rfc folder>/<test>.pcap); default pcaps/out "
        "(pcaps/out-linux with --dut=linux)",
    )
    group.addoption(
        "--requirements-dir",
        action="store",
        default=str(reqs.DEFAULT_DIR),
        help="directory of the requirement catalogues (*.yaml)",
    )


def _asan_extension_without_runtime() -> str | None:
    """The path of an ASan-built picotcp extension when the ASan runtime is not preloaded, else None.

    Importing such an extension aborts the interpreter ("ASan runtime does not come first"); say why instead.
    """
    package = Path(PICOTCP_PATH) / "picotcp"
    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        return None
    for extension in package.glob("_core*.so"):
        try:
            if b"libasan.so" in extension.read_bytes():
                return str(extension)
        except OSError:
            pass
    return None


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "requirement(*ids): catalogue requirements this test checks, as '<CATALOGUE>:<id>' (e.g. 'RFC826:R3')",
    )
    config.addinivalue_line(
        "markers",
        "linux_deviation(reason, ids=None): Linux deviates from the RFC here (expected failure with --dut=linux, "
        "shown in the report); ids: only these parameter ids (item.callspec.id) of the test",
    )
    config.addinivalue_line(
        "markers", "virtual_time_only(reason): the scenario needs virtual time (skipped with --dut=linux)"
    )
    config.addinivalue_line(
        "markers",
        "stack_choice(reason): the scenario checks a choice of this stack that the RFC leaves open (a MAY, a "
        "configured size); not applicable with --dut=linux",
    )
    if config.getoption("pcap_dir") is None:
        out = "out-linux" if config.getoption("dut") == "linux" else "out"
        config.option.pcap_dir = str(REPO / "pcaps" / out)
    asan_extension = _asan_extension_without_runtime()
    if asan_extension:
        raise pytest.UsageError(
            f"{asan_extension} is built with AddressSanitizer, whose runtime must be loaded first:\n"
            "  LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 "
            f"PICOTCP_PYTHONPATH={PICOTCP_PATH} /usr/bin/python3 -m pytest conformance"
        )
    try:
        config._picotcp_catalogues = reqs.load_catalogues(config.getoption("requirements_dir"))
    except reqs.CatalogueError as error:
        raise pytest.UsageError(f"requirement catalogue: {error}") from error


def pytest_report_header(config):
    try:
        import picotcp

        where = Path(picotcp.__file__).parent
        built = ", ".join(m for m, on in picotcp.modules().items() if on)
        picotcp_line = f"picotcp: {where} (modules: {built})"
    except ImportError as error:
        picotcp_line = f"picotcp: NOT IMPORTABLE from {PICOTCP_PATH}: {error}"
    catalogues = getattr(config, "_picotcp_catalogues", {})
    listing = ", ".join(f"{k} ({len(c.requirements)})" for k, c in sorted(catalogues.items())) or "none"
    lines = [picotcp_line, f"dut: {config.getoption('dut')}; requirement catalogues: {listing}"]
    for catalogue in catalogues.values():
        lines += [f"catalogue warning: {w}" for w in catalogue.warnings]
    return lines


def requirement_ids(item) -> list[str]:
    """Requirement ids named by an item's markers (function, class and module), in order, without repeats."""
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        for rid in marker.args:
            if rid not in ids:
                ids.append(rid)
    return ids


def marker_problems(items, catalogues) -> list[str]:
    """One line per unknown or malformed requirement id, naming the test that cites it."""
    problems = []
    for item in items:
        for markers in item.iter_markers("requirement"):
            if not markers.args:
                problems.append(f"{item.nodeid}: @pytest.mark.requirement() names no id")
        problems += [f"{item.nodeid}: {p}" for p in reqs.check_ids(requirement_ids(item), catalogues)]
    return problems


def pytest_collection_modifyitems(session, config, items):
    problems = marker_problems(items, getattr(config, "_picotcp_catalogues", {}))
    if problems:
        raise pytest.UsageError(
            "unknown requirement ids in @pytest.mark.requirement (add them to conformance/requirements/*.yaml "
            "or fix the marker):\n  " + "\n  ".join(problems)
        )
    if config.getoption("dut") == "linux":
        _select_for_linux(config, items)


def _select_for_linux(config, items) -> None:
    """--dut=linux: keep the RFC scenarios (rfc*/ folders) that use a DUT fixture (not the harness's own tests);
    apply linux_deviation, virtual_time_only and stack_choice, and skip what needs the stack's own API."""
    kept, dropped = [], []
    for item in items:
        uses_dut = any(name in getattr(item, "fixturenames", ()) for name in ("dut", "make_dut"))
        folder = Path(str(item.path)).resolve().parent
        scenario = folder.parent == CONFORMANCE_DIR and folder.name.startswith("rfc")
        (kept if uses_dut and scenario else dropped).append(item)
    from harness.linux_dut import NOT_APPLICABLE, VIRTUAL_TIME_ONLY, stack_only_use

    for item in kept:
        deviates = False
        for deviation in item.iter_markers("linux_deviation"):
            ids = deviation.kwargs.get("ids")
            variant = item.callspec.id if hasattr(item, "callspec") else ""
            if ids is None or variant in ids:
                reason = deviation.args[0] if deviation.args else "Linux deviates from the RFC"
                item.add_marker(pytest.mark.xfail(reason=f"linux deviation: {reason}", strict=True))
                deviates = True
                break
        # A documented deviation shows on the wire before the scenario reaches what the kernel does not expose
        # (where it is then skipped at run time): it runs. Others that use such things are skipped up front.
        use = None if deviates else stack_only_use(getattr(item, "function", None))
        if use:
            item.add_marker(pytest.mark.skip(reason=f"{NOT_APPLICABLE}: {use}"))
            continue
        slow = item.get_closest_marker("virtual_time_only")
        if slow is not None:
            item.add_marker(pytest.mark.skip(reason=f"{VIRTUAL_TIME_ONLY}: {slow.args[0] if slow.args else ''}"))
        choice = item.get_closest_marker("stack_choice")
        if choice is not None:
            why = choice.args[0] if choice.args else ""
            item.add_marker(pytest.mark.skip(reason=f"{NOT_APPLICABLE}: checks this stack's own choice: {why}"))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def _linux_capability():
    from harness.linux_dut import missing_capability

    return missing_capability()


def _linux_dut(request, path, **kwargs):
    why = request.getfixturevalue("_linux_capability")
    if why:
        pytest.skip(why)
    from harness.linux_dut import LinuxDut

    return LinuxDut(capture=path, **kwargs)


@pytest.fixture(autouse=True)
def _record_requirements(request, record_property):
    ids = requirement_ids(request.node)
    if ids:
        record_property("requirements", ",".join(ids))
    doc = getattr(getattr(request.node, "obj", None), "__doc__", None)
    if doc:
        record_property("doc", inspect.cleandoc(doc))
    yield


def _pcap_path(request) -> Path:
    test_file = Path(str(request.node.path)).resolve()
    try:
        relative = test_file.parent.relative_to(CONFORMANCE_DIR)
        folder = relative.parts[0] if relative.parts else "harness"
    except ValueError:
        folder = test_file.parent.name
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    return Path(request.config.getoption("pcap_dir")) / folder / f"{name}.pcap"


@pytest.fixture
def dut(request, record_property):
    """A fresh DUT per test (see harness/dut.py), capturing to pcaps/out/<folder>/<test>.pcap."""
    backend = request.config.getoption("dut")
    if backend == "linux":
        path = _pcap_path(request)
        instance = _linux_dut(request, path)
        record_property("pcap", os.path.relpath(path, REPO))
        yield instance
        instance.close()
        return
    try:
        from harness.dut import Dut
    except ImportError as error:
        pytest.fail(
            f"cannot import picotcp from {PICOTCP_PATH} ({error}); build the bindings "
            "(cmake --preset asan && cmake --build --preset asan) or set PICOTCP_PYTHONPATH",
            pytrace=False,
        )
    path = _pcap_path(request)
    instance = Dut(capture=path)
    try:
        record_property("pcap", os.path.relpath(path, REPO))
    except ValueError:  # another drive; cannot happen on Linux
        record_property("pcap", str(path))
    yield instance
    instance.close()


@pytest.fixture
def make_dut(request, record_property):
    """A factory for a DUT built with other parameters than the `dut` fixture's, e.g. make_dut(mtu=576),
    capturing to the same pcaps/out/<folder>/<test>.pcap; closed at teardown."""
    from harness.dut import Dut

    made = []
    linux = request.config.getoption("dut") == "linux"

    def make(**kwargs):
        path = _pcap_path(request)
        instance = _linux_dut(request, path, **kwargs) if linux else Dut(capture=path, **kwargs)
        record_property("pcap", os.path.relpath(path, REPO))
        made.append(instance)
        return instance

    yield make
    for instance in made:
        instance.close()
