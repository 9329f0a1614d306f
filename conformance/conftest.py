"""Conformance suite set-up: where picotcp comes from, the DUT fixture, requirement markers, evidence.

- picotcp is imported from $PICOTCP_PYTHONPATH (default <repo>/build/asan/python), put first on sys.path.
- --dut chooses the backend (only "binding" so far: this stack in-process on virtual time).
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

DUT_BACKENDS = ("binding",)


def pytest_addoption(parser):
    group = parser.getgroup("conformance")
    group.addoption(
        "--dut",
        action="store",
        default="binding",
        choices=DUT_BACKENDS,
        help="device under test backend (binding: this stack in-process on virtual time)",
    )
    group.addoption(
        "--pcap-dir",
        action="store",
        default=str(REPO / "pcaps" / "out"),
        help="where each test's capture goes (<dir>/<rfc folder>/<test>.pcap); default pcaps/out",
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
    if backend != "binding":  # pragma: no cover - choices= already refuses others
        pytest.fail(f"unknown DUT backend {backend!r}")
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

    def make(**kwargs):
        path = _pcap_path(request)
        instance = Dut(capture=path, **kwargs)
        record_property("pcap", os.path.relpath(path, REPO))
        made.append(instance)
        return instance

    yield make
    for instance in made:
        instance.close()
