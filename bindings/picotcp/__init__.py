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

Only the modules built in are present: ``picotcp.modules()`` says which (``s.ipv4``, ``s.arp``, ``s.icmp4``,
``s.udp_socket`` and ``s.tcp_socket`` exist only when their module does).

TCP (``TcpSocket``, non-blocking; errors raise ``SocketError(name)``)::

    srv = s1.tcp_socket(); srv.bind("0.0.0.0", 80); srv.listen(backlog=8)
    c = s2.tcp_socket(); c.connect("198.18.0.1", 80)
    ... poll both stacks ...
    conn = srv.accept()              # TcpSocket or None
    c.write(b"hi") -> int            # bytes accepted (0 when the send buffer is full)
    conn.read(max=65536)             # bytes, b"" at end of stream, None when nothing is buffered
    c.state                          # "ESTABLISHED", "SYN-SENT", "TIME-WAIT", ... ("CLOSED" after close())
    c.local, c.remote, c.events      # (ip, port), (ip, port), [(event, error), ...]
    c.shutdown("write"); c.close(); c.abort(); c.set_option("NoDelay", 1); c.get_option("SendSpace")

Two stacks on one cable (when the linksim module is built in)::

    link = picotcp.Link(clock, seed=1, loss=0.0, duplicate=0.0, reorder=0.0, corrupt=0.0, delay_ms=0)
    a = s1.attach_link(link, "a")    # LinkPort (MAC 02:00:00:00:00:0a unless Link(mac_a=...))
    b = s2.attach_link(link, "b")
    s1.ipv4.add_address(a, "198.18.0.1", 24)
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

for _optional in ("UdpSocket", "TcpSocket", "Link", "LinkPort", "Ipv4", "Arp", "Icmp4"):
    if hasattr(_core, _optional):
        globals()[_optional] = getattr(_core, _optional)
        __all__.append(_optional)
del _optional

# SocketError(name): the C++ SocketError code's name, also as .name.
SocketError.name = property(lambda self: self.args[0] if self.args else None)
