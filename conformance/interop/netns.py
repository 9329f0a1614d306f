"""Network namespaces with a TAP or TUN device, and the example programs run inside them.

Everything a test creates it removes: the namespace (and with it its devices and processes' network) goes
in `Namespace.close()`. Addresses: 198.18.0.0/15 and 2001:db8::/32 only. Linux's side of the link is
198.18.0.1/24 and 2001:db8::1/64 (fe80::1 link-local); the stack's 198.18.0.2/24 and 2001:db8::2/64.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = Path(os.environ.get("PICOTCP_EXAMPLES", REPO / "build" / "asan" / "examples"))
LINUX_IP, STACK_IP = "198.18.0.1", "198.18.0.2"
LINUX_IP6, STACK_IP6 = "2001:db8::1", "2001:db8::2"
STACK_MAC = "02:00:00:00:00:02"
_counter = itertools.count()


def host_env() -> dict:
    """The environment for Linux tools: without the ASan runtime the test process itself needs preloaded."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def example_env() -> dict:
    """The environment of an example program (built with ASan in the asan preset: it brings its runtime)."""
    env = host_env()
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
    return env


def missing_capability() -> str | None:
    """Why namespaces and TAP cannot be used here, or None when they can."""
    if os.geteuid() != 0:
        return "interop tests need root (network namespaces, /dev/net/tun)"
    if not Path("/dev/net/tun").exists():
        return "interop tests need /dev/net/tun"
    for tool in ("ip", "ping", "nc", "curl"):
        if shutil.which(tool) is None:
            return f"interop tests need `{tool}` (ci/setup installs it)"
    probe = f"pico-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, env=host_env())
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.decode().strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, env=host_env())
    return None


def run(*args, check=True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), check=check, capture_output=True, text=True, env=host_env(), **kwargs)


class Namespace:
    """A namespace with one device: kind "tap" (Ethernet) or "tun" (IP), Linux's side configured and up."""

    def __init__(self, kind: str = "tap"):
        self.name = f"pico-{os.getpid()}-{next(_counter)}"
        self.kind = kind
        self.dev = f"{kind}0"
        self.procs: list[Example] = []
        run("ip", "netns", "add", self.name)
        try:
            self.ip("link", "set", "lo", "up")
            self.ip("tuntap", "add", "dev", self.dev, "mode", kind)
            if kind == "tap":
                self.ip("addr", "add", f"{LINUX_IP}/24", "dev", self.dev)
                self.ip("-6", "addr", "add", f"{LINUX_IP6}/64", "dev", self.dev, "nodad")
                self.ip("-6", "addr", "add", "fe80::1/64", "dev", self.dev, "nodad")
            else:
                self.ip("addr", "add", LINUX_IP, "peer", STACK_IP, "dev", self.dev)
                self.ip("-6", "addr", "add", f"{LINUX_IP6}/64", "dev", self.dev, "nodad")
            self.ip("link", "set", self.dev, "up")
        except Exception:
            self.close()
            raise

    def ip(self, *args) -> subprocess.CompletedProcess:
        return run("ip", "-n", self.name, *args)

    def exec(self, *args, check=False, timeout=120, input=None) -> subprocess.CompletedProcess:
        """Runs a Linux tool inside the namespace and waits for it."""
        return run("ip", "netns", "exec", self.name, *args, check=check, timeout=timeout, input=input)

    def popen(self, *args, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(["ip", "netns", "exec", self.name, *args], env=host_env(), **kwargs)

    def start(self, program: str, *args, ready_timeout: float = 15.0) -> "Example":
        """Starts an example on this namespace's device and waits for its ready line."""
        example = Example(self, program, list(args))
        self.procs.append(example)
        example.wait_ready(ready_timeout)
        return example

    def close(self) -> None:
        for example in self.procs:
            example.kill()
        run("ip", "netns", "del", self.name, check=False)


class Example:
    """An example program (picotcp-<program>) inside a namespace; a thread collects its stdout lines."""

    def __init__(self, ns: Namespace, program: str, args: list[str]):
        binary = EXAMPLES / f"picotcp-{program}"
        if not binary.exists():
            raise FileNotFoundError(f"{binary} is not built (cmake --build --preset asan)")
        self.argv = [str(binary), f"--{ns.kind}", ns.dev, *args]
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns.name, *self.argv], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=example_env())
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.ready_line = ""

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if " ready: " in line:
                    self.ready_line = line.strip()
                    return self.ready_line
            if self.proc.poll() is not None:
                self.reader.join(timeout=5)
                raise RuntimeError(f"{self.argv[0]} exited with {self.proc.returncode}: {self.proc.stderr.read()}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.argv[0]} printed no ready line in {timeout} s: {self.lines!r}")

    def addresses(self) -> list[str]:
        """The addresses of the ready line ("... ready: A/P B/P ... port N")."""
        body = self.ready_line.split(" ready: ", 1)[1]
        return [word.split("/")[0] for word in body.split() if "/" in word]

    def stop(self, timeout: float = 10.0) -> tuple[int, str, str]:
        """SIGTERM, then the exit status, all of stdout and stderr."""
        self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=timeout)
        return status, "".join(self.lines), self.proc.stderr.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def pattern_sha256(length: int) -> str:
    """SHA-256 of picotcp-http's /bytes/N body (byte i is i % 251)."""
    import hashlib

    block = bytes(i % 251 for i in range(251 * 4096))
    digest = hashlib.sha256()
    while length > 0:
        take = min(length, len(block))
        digest.update(block[:take])
        length -= take
    return digest.hexdigest()


def parse_ping(output: str) -> tuple[int, int]:
    """(transmitted, received) from ping's (or picotcp-ping's) summary."""
    m = re.search(r"(\d+) packets transmitted, (\d+) received", output)
    if not m:
        raise AssertionError(f"no ping summary in {output!r}")
    return int(m.group(1)), int(m.group(2))
