"""Interop tests: the example programs against the Linux kernel over TAP/TUN, each in its own namespace.

They need root, /dev/net/tun and the tools ci/setup installs; where that is missing they are skipped with the
reason (never on a machine that has them: ci/test runs them).
"""
import pytest

from netns import Namespace, missing_capability

_why_not = missing_capability()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("interop") and _why_not:
            item.add_marker(pytest.mark.skip(reason=_why_not))


@pytest.fixture
def ns():
    """A namespace with tap0 (Linux 198.18.0.1/24, 2001:db8::1/64, fe80::1), removed afterwards."""
    namespace = Namespace("tap")
    yield namespace
    namespace.close()


@pytest.fixture
def ns_tun():
    """A namespace with tun0 (Linux 198.18.0.1 peer 198.18.0.2, 2001:db8::1/64), removed afterwards."""
    namespace = Namespace("tun")
    yield namespace
    namespace.close()
