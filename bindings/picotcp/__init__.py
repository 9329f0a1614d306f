"""picoTCP-in-C++ from Python: stacks on virtual time, wire devices, sockets and counters.

The extension ``picotcp._core`` is built by CMake into ``<build>/python/picotcp/`` next to this file, so
``PYTHONPATH=<build>/python`` makes ``import picotcp`` work::

    import picotcp
    clock = picotcp.VirtualClock()
    s = picotcp.Stack(clock=clock, seed=1)
    eth = s.add_wire_device("eth0", mac="02:00:00:00:00:02", mtu=1500)
    s.ipv4.add_address(eth, "198.18.0.2", 24)
    eth.inject(frame_bytes)          # processed before inject returns
    out = eth.collect()              # list[bytes] the stack transmitted
    clock.advance(ms=200); s.poll()  # timers fire from poll
    s.stats()["ipv4"]["drop"]["BadChecksum"]

Only the modules built in are present: ``picotcp.modules()`` says which (``s.ipv4``, ``s.arp``, ``s.icmp4``
and ``s.udp_socket`` exist only when their module does).
"""

from ._core import (  # noqa: F401  (re-exported)
    SocketError,
    Stack,
    VirtualClock,
    WireDevice,
    config,
    drop_reasons,
    modules,
)
from . import _core

__all__ = ["SocketError", "Stack", "VirtualClock", "WireDevice", "config", "drop_reasons", "modules"]

for _optional in ("UdpSocket", "Ipv4", "Arp", "Icmp4"):
    if hasattr(_core, _optional):
        globals()[_optional] = getattr(_core, _optional)
        __all__.append(_optional)
del _optional

# SocketError(name): the C++ SocketError code's name, also as .name.
SocketError.name = property(lambda self: self.args[0] if self.args else None)
