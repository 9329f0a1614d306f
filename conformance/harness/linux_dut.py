"""The Linux kernel as a second device under test (`pytest conformance --dut=linux`).

LinuxDut has the Dut interface the scenarios use (harness/dut.py): the same addresses and MACs, send(),
expect(), expect_silence(), receive(), advance(), prime_arp(), prime_nd(), enable_ipv6(), the family-neutral
frame helpers, udp_socket() and tcp_socket(). Behind it is the kernel of this machine in a network namespace
made for the test:

    namespace pico-dut-<pid>-<n>, device tap0 (IFF_TAP | IFF_NO_PI) whose file descriptor this process holds:
    what the test writes to it is a frame the kernel receives from the wire, what it reads is what the kernel
    sent. tap0: MAC dut.mac, 198.18.0.2/24, default route via 198.18.0.1; IPv6 off until enable_ipv6()
    (then fe80::<EUI-64 of dut.mac>/64 and 2001:db8::2/64, no DAD, no router solicitations, no RA).
    Sockets are the kernel's, made inside the namespace (setns(2) around socket(2)) and wrapped in the
    binding's socket API (LinuxUdpSocket, LinuxTcpSocket); errors raise picotcp.SocketError(name).

Time is real: dut.now_ms is the monotonic clock, advance(ms) sleeps while collecting. A scenario may wait at
most REAL_TIME_BUDGET_MS in all (PICOTCP_LINUX_BUDGET_MS): one that waits longer is skipped as "virtual time
only" before it waits. Harness configuration that differs from the kernel's defaults, for a quiet and
comparable wire: MLD unsolicited report interval 10 ms (set-up only); routes with rto_min 1000 ms (RFC 6298
2.4 rounds the RTO up to 1 s; the kernel's default floor is 200 ms, which a Python peer's processing time
would turn into spurious retransmissions); the peer's neighbour entry made permanent
by prime_arp()/prime_nd() once the kernel has shown it learned it (so no reachability probes interleave with a
scenario's frames); TCP sockets with SO_RCVBUF = the stack's tcp_recv_buffer and SO_OOBINLINE; UDP sockets over IPv4 with IP_PMTUDISC_DONT (no DF, as this stack's UDP: RFC 791 leaves DF
to the sender, and RFC 6864 exempts DF datagrams from unique identifications, which a scenario checks). Frames
the kernel sends shorter than 60 bytes are zero-padded to 60 as an Ethernet NIC pads them on the wire (the TAP
hands them over unpadded). Endpoints are reported as the binding does (an IPv4-mapped ::ffff:a.b.c.d as
a.b.c.d).

What the kernel does not expose is not applicable, and the scenario is skipped with the reason (prefix
NOT_APPLICABLE) where it first needs it: the stack's drop counters (stats, counter, dropped, assert_dropped,
drop_changes), the stack's own API (dut.stack, dut.eth, dut.clock), a socket's info/events/soft_error, and
binding options without a kernel equivalent. Skips are reported as skipped, never as passed.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import itertools
import os
import re
import select
import socket
import struct
import subprocess
import time
from collections import deque
from pathlib import Path

import pytest
from scapy.all import Ether, Packet, raw
from scapy.utils import PcapWriter

from harness.dut import Dut, _describe, _matcher, _predicate_name, dissect, eui64_link_local

NOT_APPLICABLE = "not applicable to the linux DUT"
VIRTUAL_TIME_ONLY = "virtual time only (the linux DUT runs in real time)"
REAL_TIME_BUDGET_MS = int(os.environ.get("PICOTCP_LINUX_BUDGET_MS", "12000"))

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
IP_MTU_DISCOVER = 10  # <linux/in.h>, not in Python's socket module
IP_PMTUDISC_DONT = 0
_counter = itertools.count()
_libc = ctypes.CDLL(None, use_errno=True)


def not_applicable(what: str):
    pytest.skip(f"{NOT_APPLICABLE}: {what}")


# What a scenario's own body uses that the kernel does not expose (the same reasons as at run time), found in its
# source before it runs, so it is skipped without spending real time first. A body that looks at dut.backend guards
# its stack-only parts itself and is left to run.
_STACK_ONLY_USES = (
    (re.compile(r"\bdut\.stack\b"), "uses the stack's own API (dut.stack)"),
    (re.compile(r"\bdut\.eth\b"), "uses the stack's device API (dut.eth)"),
    (re.compile(r"\bdut\.clock\b"), "uses the virtual clock (dut.clock)"),
    (re.compile(r"\bdut\.(assert_dropped|dropped|drop_changes)\("), "uses the stack's drop counters"),
    (re.compile(r"\bdut\.(counter|stats)\("), "uses the stack's counters"),
    (re.compile(r"\.events\b"), "socket.events (the binding's view of a connection)"),
    (re.compile(r"\.info\b"), "socket.info (the binding's view of a connection)"),
    (re.compile(r"\.soft_error\b"), "socket.soft_error (the binding's view of a connection)"),
)


def stack_only_use(function) -> str | None:
    """The first stack-only thing a test function's body uses (a skip reason), or None."""
    import inspect

    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    if "dut.backend" in source:
        return None
    body = source.split('"""', 2)[-1] if source.count('"""') >= 2 else source  # not the docstring
    for pattern, reason in _STACK_ONLY_USES:
        if pattern.search(body):
            return reason
    return None


def missing_capability() -> str | None:
    """Why the kernel cannot be a DUT here (root, /dev/net/tun, ip, network namespaces), or None."""
    if os.geteuid() != 0:
        return "the linux DUT needs root (network namespaces, /dev/net/tun)"
    if not Path("/dev/net/tun").exists():
        return "the linux DUT needs /dev/net/tun"
    probe = f"pico-dut-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, env=_host_env())
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.decode().strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, env=_host_env())
    return None


def _host_env() -> dict:
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)  # Linux tools do not want the ASan runtime the test process preloads
    return env


def _run(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(list(args), input=stdin, capture_output=True, text=True, env=_host_env())
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


class _InNamespace:
    """`with _InNamespace(path):` the calling thread is in that network namespace (setns(2)), then back."""

    def __init__(self, path: str):
        self.path = path

    def __enter__(self):
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(self.path, os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns({self.path})")
        finally:
            os.close(target)
        return self

    def __exit__(self, *exc):
        try:
            if _libc.setns(self.home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns(back)")
        finally:
            os.close(self.home)
        return False


# ---- sockets ---------------------------------------------------------------------------------------------

_ERRNO_NAMES = {
    errno.EADDRINUSE: "AddressInUse",
    errno.EADDRNOTAVAIL: "AddressNotAvailable",
    errno.ECONNREFUSED: "ConnectionRefused",
    errno.ECONNRESET: "ConnectionReset",
    errno.EPIPE: "ConnectionReset",
    errno.ETIMEDOUT: "TimedOut",
    errno.ENOTCONN: "NotConnected",
    errno.EINVAL: "Invalid",
    errno.EMSGSIZE: "TooBig",
    errno.ENETUNREACH: "NoRoute",
    errno.EHOSTUNREACH: "Unreachable",
    errno.EISCONN: "AlreadyConnected",
    errno.EALREADY: "InProgress",
    errno.EINPROGRESS: "InProgress",
    errno.EBADF: "Closed",
    errno.EAGAIN: "WouldBlock",
}

# tcpi_state (include/net/tcp_states.h) -> RFC 9293 3.3.2 names, as the binding's TcpSocket.state reads.
_TCP_STATES = {1: "ESTABLISHED", 2: "SYN-SENT", 3: "SYN-RECEIVED", 4: "FIN-WAIT-1", 5: "FIN-WAIT-2",
               6: "TIME-WAIT", 7: "CLOSED", 8: "CLOSE-WAIT", 9: "LAST-ACK", 10: "LISTEN", 11: "CLOSING"}


def _stack_recv_buffer() -> int:
    import picotcp

    return int(picotcp.config()["tcp_recv_buffer"])


def _socket_error(error: OSError):
    import picotcp

    name = _ERRNO_NAMES.get(error.errno)
    if name is None:
        return picotcp.SocketError(f"errno {error.errno} ({os.strerror(error.errno)})")
    return picotcp.SocketError(name)


def _family_of(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _endpoint(address) -> tuple[str, int]:
    host = address[0]
    if host.startswith("::ffff:") and "." in host:
        host = host[len("::ffff:"):]
    return (host, address[1])


class _LinuxSocket:
    kind = socket.SOCK_DGRAM

    def __init__(self, dut: "LinuxDut", sock: socket.socket | None = None):
        self.dut = dut
        self.sock = sock
        self.options: list[tuple[str, int]] = []
        self.closed = False

    # The socket is made at its first bind/connect, in that address's family (a scenario's socket does not say
    # its family before); options set earlier are applied then.
    def _ensure(self, address: str | None = None) -> socket.socket:
        if self.closed:
            import picotcp

            raise picotcp.SocketError("Closed")
        family = _family_of(address) if address else (socket.AF_INET6 if self.dut.v6 else socket.AF_INET)
        if self.sock is not None and self.sock.family != family and not self._used:
            self.sock.close()
            self.sock = None
        if self.sock is None:
            with _InNamespace(self.dut.netns_path):
                self.sock = socket.socket(family, self.kind)
            self.sock.setblocking(False)
            if self.kind == socket.SOCK_STREAM:
                # Urgent data stays in line, as the binding's (RFC 6093 3); the receive buffer is the stack's
                # (a scenario that fills the DUT's window sends tens of kilobytes, not the kernel's megabytes).
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _stack_recv_buffer())
            if self.kind == socket.SOCK_DGRAM and family == socket.AF_INET:
                self.sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
            self._used = False
            for name, value in self.options:
                self._apply(name, value)
        return self.sock

    _used = False

    def _peer(self, address: str) -> str:
        """An address as this socket's family spells it: IPv4 on a dual-stack IPv6 socket is ::ffff:a.b.c.d."""
        if self.sock is not None and self.sock.family == socket.AF_INET6 and "." in address:
            return "::ffff:" + address
        return address

    def _call(self, function, *args):
        try:
            return function(*args)
        except socket.gaierror:  # an address of the other family: the binding says Invalid
            import picotcp

            raise picotcp.SocketError("Invalid") from None
        except OSError as error:
            raise _socket_error(error) from None

    def bind(self, ip: str, port: int) -> None:
        sock = self._ensure(ip)
        self._used = True
        self._call(sock.bind, (ip, port))

    @property
    def local(self) -> tuple[str, int]:
        return _endpoint(self._call(self._ensure().getsockname))

    def _option(self, name: str, value: int | None):
        """(level, optname, kernel value) of a binding option, or skip the scenario as not applicable."""
        v6 = self.sock is not None and self.sock.family == socket.AF_INET6
        simple = {
            "Ttl": (socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS) if v6 else (socket.IPPROTO_IP, socket.IP_TTL),
            "Tos": (socket.IPPROTO_IPV6, socket.IPV6_TCLASS) if v6 else (socket.IPPROTO_IP, socket.IP_TOS),
            "Broadcast": (socket.SOL_SOCKET, socket.SO_BROADCAST),
            "ReuseAddress": (socket.SOL_SOCKET, socket.SO_REUSEADDR),
            "NoDelay": (socket.IPPROTO_TCP, socket.TCP_NODELAY),
            "KeepAlive": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            "KeepCount": (socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
        }
        seconds = {"KeepIdle": socket.TCP_KEEPIDLE, "KeepInterval": socket.TCP_KEEPINTVL}
        if name in simple:
            return (*simple[name], value)
        if name in seconds:  # the binding takes milliseconds, the kernel whole seconds
            if value is not None and value % 1000:
                not_applicable(f"option {name}={value} ms (the kernel takes whole seconds)")
            return (socket.IPPROTO_TCP, seconds[name], None if value is None else value // 1000)
        not_applicable(f"socket option {name!r} has no kernel equivalent in this harness")

    def _apply(self, name: str, value: int) -> None:
        if name == "Linger":
            on, seconds = (0, 0) if value < 0 else (1, (value + 999) // 1000)
            self._call(self.sock.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", on, seconds))
            return
        level, option, kernel_value = self._option(name, value)
        self._call(self.sock.setsockopt, level, option, int(kernel_value))

    def set_option(self, name: str, value: int) -> None:
        self._ensure()
        self._apply(name, value)
        self.options.append((name, value))

    def get_option(self, name: str) -> int:
        sock = self._ensure()
        if name == "Linger":
            on, seconds = struct.unpack("ii", sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8))
            return seconds * 1000 if on else -1
        level, option, _ = self._option(name, None)
        value = self._call(sock.getsockopt, level, option)
        return value * 1000 if name in ("KeepIdle", "KeepInterval") else value

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.sock is not None:
            self.sock.close()
        self.dut._settle_kernel()

    def __getattr__(self, name):
        if name in ("info", "events", "soft_error", "handle", "stack"):
            not_applicable(f"socket.{name} (the binding's view of a connection)")
        raise AttributeError(name)


class LinuxUdpSocket(_LinuxSocket):
    kind = socket.SOCK_DGRAM

    def connect(self, ip: str, port: int) -> None:
        sock = self._ensure(ip)
        self._used = True
        self._call(sock.connect, (self._peer(ip), port))
        self.dut._settle_kernel()

    def sendto(self, data, address) -> int:
        sock = self._ensure(address[0])
        self._used = True
        sent = self._call(sock.sendto, bytes(data), (self._peer(address[0]), address[1]))
        self.dut._settle_kernel()
        return sent

    def send(self, data) -> int:
        sent = self._call(self._ensure().send, bytes(data))
        self.dut._settle_kernel()
        return sent

    def recvfrom(self, max: int = 65535):
        sock = self._ensure()
        self.dut._settle_kernel()
        try:
            data, address = sock.recvfrom(max)
        except BlockingIOError:
            return None
        except OSError as error:
            raise _socket_error(error) from None
        return data, _endpoint(address)

    def join_group(self, *args, **kwargs):
        not_applicable("UDP multicast membership calls")

    leave_group = join_source_group = leave_source_group = block_source = unblock_source = join_group
    set_filter = get_filter = join_group


class LinuxTcpSocket(_LinuxSocket):
    kind = socket.SOCK_STREAM

    def __init__(self, dut, sock=None):
        super().__init__(dut, sock)
        self.eof = False
        self.tuple = None  # (local, remote) once connected: the kernel's TIME-WAIT socket is found by it
        if sock is not None:
            self._used = True
            self.tuple = (sock.getsockname()[:2], sock.getpeername()[:2])

    def listen(self, backlog: int = 8) -> None:
        sock = self._ensure()
        self._used = True
        self._call(sock.listen, backlog)

    def accept(self):
        sock = self._ensure()
        self.dut._settle_kernel()
        try:
            child, _ = sock.accept()
        except BlockingIOError:
            return None
        except OSError as error:
            raise _socket_error(error) from None
        child.setblocking(False)
        child.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
        made = LinuxTcpSocket(self.dut, child)
        self.dut.sockets.append(made)
        return made

    def connect(self, ip: str, port: int) -> None:
        sock = self._ensure(ip)
        self._used = True
        code = sock.connect_ex((self._peer(ip), port))
        if code not in (0, errno.EINPROGRESS):
            raise _socket_error(OSError(code, os.strerror(code)))
        self.dut._settle_kernel()

    def write(self, data) -> int:
        try:
            sent = self._ensure().send(bytes(data))
        except BlockingIOError:
            return 0
        except OSError as error:
            raise _socket_error(error) from None
        self.dut._settle_kernel()
        return sent

    def write_urgent(self, data) -> int:
        try:
            sent = self._ensure().send(bytes(data), socket.MSG_OOB)
        except BlockingIOError:
            return 0
        except OSError as error:
            raise _socket_error(error) from None
        self.dut._settle_kernel()
        return sent

    def read(self, max: int = 65536):
        if max < 1:
            raise ValueError("max must be at least 1")
        sock = self._ensure()
        self.dut._settle_kernel()
        try:
            data = sock.recv(max)
        except BlockingIOError:
            return None
        except OSError as error:
            raise _socket_error(error) from None
        if not data:
            self.eof = True
        return data

    def shutdown(self, how: str = "both") -> None:
        modes = {"write": socket.SHUT_WR, "read": socket.SHUT_RD, "both": socket.SHUT_RDWR}
        if how not in modes:
            raise ValueError(f"how must be write, read or both, not {how!r}")
        self._call(self._ensure().shutdown, modes[how])
        self.dut._settle_kernel()

    def abort(self) -> None:
        """Close with an RST (SO_LINGER 0), as the binding's abort()."""
        if self.closed:
            return
        if self.sock is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    @property
    def remote(self) -> tuple[str, int]:
        return _endpoint(self._call(self._ensure().getpeername))

    @property
    def state(self) -> str:
        if self.closed or self.sock is None:
            return "CLOSED"
        self.dut._settle_kernel()
        if self.tuple is None:
            try:
                self.tuple = (self.sock.getsockname()[:2], self.sock.getpeername()[:2])
            except OSError:
                pass
        info = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        name = _TCP_STATES.get(info[0], f"state {info[0]}")
        if name == "CLOSED" and self.tuple is not None and self.dut.tcp_time_wait(*self.tuple):
            # The kernel moves a connection entering TIME-WAIT to a timewait socket and leaves the file
            # descriptor's socket CLOSED: the connection's state is the timewait socket's.
            return "TIME-WAIT"
        return name


# ---- the DUT ---------------------------------------------------------------------------------------------


class LinuxDut(Dut):
    """The kernel in a network namespace behind a TAP device, with Dut's interface (see the module doc)."""

    backend = "linux"
    time_tolerance_ms = 60  # jiffies (HZ 250: 4 ms), timer slack and the Python peer's own latency

    settle_quiet_ms = 300
    settle_max_ms = 3000
    # After a frame is written or a socket call made, the kernel works on it in softirq context: frames it
    # sends in answer are collected for this long before send() returns.
    kernel_settle_s = 0.003

    def __init__(self, capture: str | Path | None = None, seed: int = 1, mtu: int = 1500, configure: bool = True):
        del seed  # the kernel's randomness is its own
        self.t0 = time.monotonic()
        self.log = []
        self._pending = deque()
        self._waited_ms = 0
        self._arp_hosts = {}
        self._nd_hosts = {}
        self.family = 4
        self.fd = -1
        self.writer = None
        self.sockets: list[_LinuxSocket] = []
        self.ns = f"pico-dut-{os.getpid()}-{next(_counter)}"
        self.netns_path = f"/run/netns/{self.ns}"
        _run("ip", "netns", "add", self.ns)
        try:
            self._make_device(mtu, configure)
        except Exception:
            self.close()
            raise
        self.setup_frames = self._settle()
        self.capture_path = Path(capture) if capture is not None else None
        if self.capture_path is not None:
            self.capture_path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = PcapWriter(str(self.capture_path), linktype=1, sync=True)

    def _sysctl(self, *settings: str) -> None:
        _run("ip", "netns", "exec", self.ns, "sysctl", "-q", "-w", *settings)

    def _make_device(self, mtu: int, configure: bool) -> None:
        quiet6 = [f"net.ipv6.conf.{c}.{k}={v}" for c in ("all", "default")
                  for k, v in (("disable_ipv6", 1), ("accept_ra", 0), ("router_solicitations", 0),
                               ("dad_transmits", 0), ("accept_dad", 0), ("mldv1_unsolicited_report_interval", 10),
                               ("mldv2_unsolicited_report_interval", 10))]
        self._sysctl(*quiet6)
        with _InNamespace(self.netns_path):
            self.fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(self.fd, TUNSETIFF, struct.pack("16sH22x", b"tap0", IFF_TAP | IFF_NO_PI))
        commands = ["link set lo up", f"link set tap0 address {self.mac}", f"link set tap0 mtu {mtu}"]
        if configure:
            commands.append(f"addr add {self.ip}/{self.prefix} dev tap0")
        commands.append("link set tap0 up")
        if configure:
            commands.append(f"route add default via {self.peer_ip} rto_min 1000ms")
            commands.append(f"route replace {self.ip[:self.ip.rindex('.')]}.0/{self.prefix} dev tap0 proto kernel "
                            f"scope link src {self.ip} rto_min 1000ms")
        _run("ip", "-n", self.ns, "-batch", "-", stdin="\n".join(commands) + "\n")

    # ---- what the kernel does not expose ------------------------------------------------------------------

    @property
    def stack(self):
        not_applicable("uses the stack's own API (dut.stack)")

    @property
    def eth(self):
        not_applicable("uses the stack's device API (dut.eth)")

    @property
    def clock(self):
        not_applicable("uses the virtual clock (dut.clock)")

    def stats(self) -> dict:
        not_applicable("uses the stack's counters")

    def counter(self, module: str, name: str) -> int:
        not_applicable("uses the stack's counters")

    def dropped(self, module: str, reason: str) -> int:
        not_applicable("uses the stack's drop counters")

    def drop_changes(self) -> dict:
        not_applicable("uses the stack's drop counters")

    def assert_dropped(self, module: str, reason: str, count: int = 1) -> None:
        not_applicable("uses the stack's drop counters")

    def rebase(self) -> None:
        pass

    arp_queue_per_entry = None  # the kernel's unres_qlen_bytes queue, not a datagram count

    @property
    def ephemeral_ports(self) -> tuple[int, int]:
        with _InNamespace(self.netns_path):
            with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
                low, high = f.read().split()
        return int(low), int(high)

    def require(self, *modules: str) -> None:
        pass  # the kernel has every protocol the scenarios name

    # ---- time and traffic ---------------------------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        return 100_000 + int((time.monotonic() - self.t0) * 1000)

    def _read_frames(self) -> list[bytes]:
        frames = []
        while self.fd >= 0:
            try:
                frame = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            frames.append(frame + bytes(60 - len(frame)) if len(frame) < 60 else frame)
        return frames

    def _write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def _record(self, direction: str, frame: Packet) -> None:
        self.log.append((self.now_ms, direction, frame))
        if self.writer is not None:
            copy = frame.copy()
            copy.time = time.time()
            self.writer.write(copy)

    def _collect(self) -> None:
        for _ in range(100):
            sent = self._read_frames()
            if not sent:
                return
            for data in sent:
                frame = dissect(data)
                self._record("out", frame)
                reply = self._arp_answer(frame)
                if reply is None:
                    reply = self._nd_answer(frame)
                if reply is None:
                    self._pending.append(frame)
                else:
                    self._record("in", reply)
                    self._write(raw(reply))

    def _wait(self, seconds: float) -> None:
        """Collect what the kernel sends for `seconds` of real time."""
        end = time.monotonic() + max(seconds, 0.0)
        while True:
            self._collect()
            left = end - time.monotonic()
            if left <= 0:
                return
            select.select([self.fd], [], [], left)

    def _settle_kernel(self) -> None:
        self._wait(self.kernel_settle_s)

    def _settle(self) -> list[Ether]:
        frames: list[Ether] = []
        start = last = time.monotonic()
        while (time.monotonic() - last) * 1000 < self.settle_quiet_ms and (time.monotonic() - start) * 1000 < \
                self.settle_max_ms:
            select.select([self.fd], [], [], 0.02)
            sent = self._read_frames()
            if sent:
                last = time.monotonic()
                frames += [dissect(f) for f in sent]
        return frames

    def _spend(self, ms: int) -> None:
        """Account for ms of scenario waiting; skip before a scenario exceeds the real-time budget."""
        if self._waited_ms + ms > REAL_TIME_BUDGET_MS:
            pytest.skip(f"{VIRTUAL_TIME_ONLY}: the scenario waits more than {REAL_TIME_BUDGET_MS // 1000} s")
        self._waited_ms += ms

    def send(self, pkt) -> bool:
        data = raw(pkt) if isinstance(pkt, Packet) else bytes(pkt)
        self._record("in", dissect(data))
        try:
            self._write(data)
        except OSError:
            return False
        self._settle_kernel()
        return True

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("time does not go backwards")
        self._spend(ms)
        self._wait(ms / 1000)

    def receive(self, timeout_ms: int = 0) -> list[Ether]:
        self.advance(timeout_ms)
        frames = list(self._pending)
        self._pending.clear()
        return frames

    def expect(self, predicate=None, timeout_ms: int = 1000, what: str | None = None) -> Ether:
        match = _matcher(predicate)
        seen: list[Ether] = []
        start = time.monotonic()
        budget_left = (REAL_TIME_BUDGET_MS - self._waited_ms) / 1000
        deadline = start + min(timeout_ms / 1000, max(budget_left, 0))
        self._collect()
        try:
            while True:
                while self._pending:
                    frame = self._pending.popleft()
                    if match(frame):
                        return frame
                    seen.append(frame)
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                select.select([self.fd], [], [], left)
                self._collect()
        finally:
            self._waited_ms += int((time.monotonic() - start) * 1000)
        if budget_left < timeout_ms / 1000:
            pytest.skip(f"{VIRTUAL_TIME_ONLY}: the scenario waits more than {REAL_TIME_BUDGET_MS // 1000} s")
        listing = "".join(f"\n    {_describe(f)}" for f in seen) or " none"
        pytest.fail(
            f"expected {_predicate_name(predicate, what)} from the DUT within {timeout_ms} ms (real time); "
            f"frames it sent meanwhile:{listing}",
            pytrace=False,
        )

    # ---- neighbours ---------------------------------------------------------------------------------------

    def _neighbour(self, address: str) -> str | None:
        listing = _run("ip", "-n", self.ns, "neigh", "show", address, "dev", "tap0")
        fields = listing.split()
        if "lladdr" in fields:
            return fields[fields.index("lladdr") + 1]
        return None

    def arp_lookup(self, ip: str) -> str | None:
        return self._neighbour(ip)

    nd_lookup = arp_lookup  # one neighbour table (ip neigh) for both families

    def _pin(self, address: str) -> None:
        """The peer's entry made permanent once the kernel showed it learned it (Dut.prime_arp/prime_nd): no
        reachability probe then interleaves with a scenario's frames."""
        _run("ip", "-n", self.ns, "neigh", "replace", address, "lladdr", self.peer_mac, "nud", "permanent",
             "dev", "tap0")

    @property
    def ll6(self) -> str:
        return eui64_link_local(self.mac)  # the kernel's default (addr_gen_mode eui64)

    def enable_ipv6(self, slaac: bool = False) -> None:
        if slaac:
            not_applicable("the stack's SLAAC (enable_ipv6(slaac=True))")
        if getattr(self, "_ipv6_on", False):
            return
        self._sysctl("net.ipv6.conf.tap0.disable_ipv6=0")
        _run("ip", "-n", self.ns, "-6", "addr", "add", f"{self.ip6}/{self.prefix6}", "dev", "tap0", "nodad",
             "noprefixroute")
        _run("ip", "-n", self.ns, "-6", "route", "add", f"{self.ip6}/{self.prefix6}", "dev", "tap0", "rto_min",
             "1000ms")
        self._ipv6_on = True
        self.answer_nd(self.peer_ip6)
        self.answer_nd(self.peer_ll6)
        self.setup_frames += self._settle()
        self._pending.clear()

    # ---- the kernel's own view -----------------------------------------------------------------------------

    def tcp_time_wait(self, local, remote) -> bool:
        """Whether the kernel holds a TIME-WAIT connection local -> remote (/proc/net/tcp{,6} in the namespace)."""
        import ipaddress

        def encode(address, port, v6):
            packed = ipaddress.ip_address(address).packed
            if v6:
                words = struct.unpack("<4I", packed)
                return "".join(f"{w:08X}" for w in words) + f":{port:04X}"
            return f"{struct.unpack('<I', packed)[0]:08X}:{port:04X}"

        v6 = ":" in local[0]
        wanted = (encode(*local, v6), encode(*remote, v6))
        with _InNamespace(self.netns_path):
            with open(f"/proc/thread-self/net/{'tcp6' if v6 else 'tcp'}") as table:
                lines = table.read().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if (fields[1], fields[2]) == wanted and fields[3] == "06":
                return True
        return False

    def udp_socket(self):
        made = LinuxUdpSocket(self)
        self.sockets.append(made)
        return made

    def tcp_socket(self):
        made = LinuxTcpSocket(self)
        self.sockets.append(made)
        return made

    def close(self) -> None:
        for made in self.sockets:
            if made.sock is not None:
                made.sock.close()
        self.sockets = []
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, env=_host_env())
