"""The stack as Cortex-M4 firmware on a network: picotcp-m4-net (examples/cortex-m4/net) under QEMU's mps2-an386
board, its LAN9118 NIC on a TAP device inside a network namespace, reached by Linux's ping, nc and a Python
TCP client.

One QEMU (one boot) serves the whole module, inside one namespace (tap0: Linux 198.18.0.1/24, the firmware
198.18.0.2/24): the tests run in file order and the TCP echo tests are sequential connections to the same
firmware. The image comes from the firmware project (build/firmware, or $PICOTCP_FIRMWARE_NET); when it is
missing the tests fail and say how to build it.
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from netns import REPO, STACK_IP, Namespace, parse_ping

pytestmark = pytest.mark.interop

IMAGE = Path(os.environ.get("PICOTCP_FIRMWARE_NET", REPO / "build" / "firmware" / "net" / "picotcp-m4-net.elf"))
BUILD_HINT = ("cmake -S examples/cortex-m4 -B build/firmware -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel && "
              "cmake --build build/firmware (ci/arm-size does both)")
FIRMWARE_MAC = "02:00:00:00:00:02"  # QEMU's EEPROM image of the LAN9118: the driver reads it from ADDRH/ADDRL
READY = "picotcp-m4-net ready: "

# Sends N random bytes to TCP port 7 while a second thread reads the echo back; prints the SHA-256 of what
# was sent and of what came back, the byte count and the seconds taken (connect to the end of the echo).
STREAM_CLIENT = r"""
import hashlib, os, socket, sys, threading, time
host, size = sys.argv[1], int(sys.argv[2])
data = os.urandom(size)
started = time.monotonic()
s = socket.create_connection((host, 7), timeout=30)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
sender = threading.Thread(target=send)
sender.start()
digest, received = hashlib.sha256(), 0
while chunk := s.recv(65536):
    digest.update(chunk)
    received += len(chunk)
sender.join()
s.close()
print(hashlib.sha256(data).hexdigest(), digest.hexdigest(), received, f"{time.monotonic() - started:.3f}")
"""


class Firmware:
    """qemu-system-arm running the image in a namespace; a thread collects the console (semihosting) lines."""

    def __init__(self, ns: Namespace):
        self.argv = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-semihosting", "-monitor", "none",
                     "-serial", "none", "-kernel", str(IMAGE),
                     "-nic", f"tap,ifname={ns.dev},script=no,downscript=no,model=lan9118,mac={FIRMWARE_MAC}"]
        self.proc = ns.popen(*self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def console(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> str:
        """The first console line containing `text`, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.proc.poll() is not None:
                self.reader.join(timeout=5)
                raise AssertionError(f"QEMU exited with {self.proc.returncode}:\n{self.console()}")
            time.sleep(0.02)
        raise AssertionError(f"no console line with {text!r} in {timeout} s:\n{self.console()}")

    def wait_for_after(self, anchor: str, text: str, timeout: float) -> str:
        """The first console line containing `text` after the line `anchor` (waiting up to `timeout` s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = list(self.lines)
            if anchor in lines:
                for line in lines[lines.index(anchor):]:
                    if text in line:
                        return line
            time.sleep(0.02)
        raise AssertionError(f"no console line with {text!r} after {anchor!r} in {timeout} s:\n{self.console()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.reader.join(timeout=5)


def test_image_is_built():
    """The firmware project built the image (ci/arm-size builds it before the conformance run)."""
    assert IMAGE.exists(), f"{IMAGE} is not built: {BUILD_HINT}"


@pytest.fixture(scope="module")
def firmware():
    """picotcp-m4-net booted under QEMU in a fresh namespace; QEMU killed and the namespace removed after."""
    if not IMAGE.exists():
        pytest.fail(f"{IMAGE} is not built: {BUILD_HINT}", pytrace=False)
    ns = Namespace("tap")
    fw = None
    try:
        fw = Firmware(ns)
        fw.wait_for(READY, timeout=20)
        yield ns, fw
    finally:
        if fw is not None:
            fw.stop()
        ns.close()


def test_boots_with_the_lan9118(firmware):
    """The driver found the controller (ID_REV 0x0118), read QEMU's MAC from it, and the link is up."""
    _, fw = firmware
    line = fw.wait_for("LAN9118 id", timeout=1)
    assert "id 0x0118" in line and "link up" in line and f"mac {FIRMWARE_MAC}" in line, line
    assert f"{READY}{STACK_IP}/24 port 7" in fw.console()


def test_linux_pings_the_firmware(firmware):
    """Three echo requests, three replies (ARP resolved the firmware's MAC first)."""
    ns, fw = firmware
    result = ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "2", STACK_IP, timeout=30)
    assert parse_ping(result.stdout) == (3, 3), result.stdout + result.stderr + fw.console()
    neigh = ns.exec("ip", "neigh", "show", STACK_IP, "dev", ns.dev)
    assert FIRMWARE_MAC in neigh.stdout, neigh.stdout


def test_udp_echo(firmware):
    """nc sends one datagram to UDP port 7 and reads the same bytes back."""
    ns, fw = firmware
    udp = ns.exec("nc", "-u", "-w", "1", STACK_IP, "7", input="one datagram to the firmware\n", timeout=30)
    assert udp.stdout == "one datagram to the firmware\n", udp.stderr + fw.console()


def test_tcp_echo_sequential_connections(firmware):
    """Five nc sessions one after the other: each gets its lines back, and the firmware closes each one."""
    ns, fw = firmware
    for n in range(5):
        text = "".join(f"connection {n} line {i} of the firmware echo test\n" for i in range(50 + 40 * n))
        tcp = ns.exec("nc", "-q", "1", "-w", "5", STACK_IP, "7", input=text, timeout=30)
        assert tcp.stdout == text, f"connection {n}: {tcp.stderr}\n{fw.console()}"
    # The firmware logs every connection it closes (after the peer's FIN), none of them failed.
    fw.wait_for("tcp echo: connection 5 closed", timeout=5)
    assert " failed" not in fw.console(), fw.console()


# Three connections open at once, each streaming its own random bytes from its own thread; prints how many
# came back intact.
CONCURRENT_CLIENT = r"""
import os, socket, sys, threading
host, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = [socket.create_connection((host, 7), timeout=30) for _ in range(n)]
results = [None] * n
def run(i):
    data = os.urandom(size)
    def send():
        socks[i].sendall(data)
        socks[i].shutdown(socket.SHUT_WR)
    sender = threading.Thread(target=send)
    sender.start()
    back = bytearray()
    while chunk := socks[i].recv(65536):
        back += chunk
    sender.join()
    results[i] = bytes(back) == data
threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sum(1 for r in results if r))
"""


def test_concurrent_tcp_connections(firmware):
    """Three TCP connections open at the same time, 64 KiB each way on each: all three echoed intact."""
    ns, fw = firmware
    result = ns.exec("/usr/bin/python3", "-c", CONCURRENT_CLIENT, STACK_IP, "3", str(64 * 1024), timeout=60)
    assert result.returncode == 0, result.stderr + fw.console()
    assert result.stdout.strip() == "3", result.stdout + fw.console()
    fw.wait_for("tcp echo: connection 8 closed", timeout=5)
    assert " failed" not in fw.console(), fw.console()


def test_one_mib_through_tcp_echo(firmware):
    """1 MiB of random bytes sent and read back at once: the SHA-256 of the echo equals the sent one's."""
    ns, fw = firmware
    size = 1 << 20
    result = ns.exec("/usr/bin/python3", "-c", STREAM_CLIENT, STACK_IP, str(size), timeout=60)
    assert result.returncode == 0, result.stderr + fw.console()
    sent, echoed, received, seconds = result.stdout.split()
    assert int(received) == size, result.stdout
    assert echoed == sent, result.stdout
    print(f"1 MiB through the firmware's TCP echo: {seconds} s ({size / float(seconds) / 1e6:.2f} MB/s each way)")
    line = fw.wait_for(f" {size} bytes echoed", timeout=10)
    assert "closed" in line, line
    # Once its connections have all closed the firmware prints the driver's counters (frames, drops by
    # reason), the frame pool's and the main stack's high-water marks.
    print(fw.wait_for_after(line, "lan9118 rx", timeout=5))
    print(fw.wait_for_after(line, "stack high-water", timeout=5))


def test_oversized_frame_is_a_counted_drop(firmware):
    """A frame longer than Ethernet allows (Linux's tap0 MTU raised to 1600) is read out of the controller's
    FIFO and discarded, counted as BadLength; the next frame is received normally (the FIFO stayed in step)."""
    ns, fw = firmware
    ns.ip("link", "set", ns.dev, "mtu", "1600")
    try:
        big = ns.exec("ping", "-c", "1", "-W", "1", "-M", "do", "-s", "1560", STACK_IP, timeout=30)
        assert parse_ping(big.stdout) == (1, 0), big.stdout + big.stderr
        line = fw.wait_for("BadLength=1", timeout=5)  # printed within a second of the drop
        assert "drops 1 " in line, line
    finally:
        ns.ip("link", "set", ns.dev, "mtu", "1500")
    result = ns.exec("ping", "-c", "2", "-i", "0.2", "-W", "2", STACK_IP, timeout=30)
    assert parse_ping(result.stdout) == (2, 2), result.stdout + result.stderr + fw.console()
