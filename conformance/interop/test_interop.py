"""The stack against the Linux kernel: the example programs (examples/) on a TAP or TUN device inside a
network namespace, reached with Linux's own tools (ping, curl, nc) and a Python HTTP server.

Each test creates its namespace and removes it (fixtures in conftest.py); addresses are 198.18.0.0/15 and
2001:db8::/32 only. The programs come from the asan preset (build/asan/examples, or $PICOTCP_EXAMPLES), so a
memory error or a leak in the stack shows up as a failed exit status.
"""
import hashlib
import time

import pytest

from netns import LINUX_IP, LINUX_IP6, STACK_IP, STACK_IP6, parse_ping, pattern_sha256

pytestmark = pytest.mark.interop
STACK = ["--ip", f"{STACK_IP}/24", "--ip6", f"{STACK_IP6}/64"]


def stopped_cleanly(example, name):
    status, out, err = example.stop()
    assert status == 0, f"{name} exited with {status}: {err}"
    assert f"{name} stopped" in out
    assert "ERROR: AddressSanitizer" not in err and "LeakSanitizer" not in err, err


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_linux_pings_the_stack(ns, family):
    """Linux's ping (ICMP / ICMPv6 echo) gets every reply from picotcp-echo, over ARP / ND resolution."""
    echo = ns.start("echo", *STACK)
    target = STACK_IP if family == 4 else STACK_IP6
    result = ns.exec("ping", f"-{family}", "-c", "3", "-i", "0.2", "-W", "2", target)
    assert parse_ping(result.stdout) == (3, 3), result.stdout + result.stderr
    stopped_cleanly(echo, "picotcp-echo")


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_stack_pings_linux(ns, family):
    """picotcp-ping gets Linux's echo replies and prints ping's summary; a silent address gives exit 1."""
    target = LINUX_IP if family == 4 else LINUX_IP6
    argv = ["ip", "netns", "exec", ns.name]
    from netns import EXAMPLES, example_env
    import subprocess

    ping = [str(EXAMPLES / "picotcp-ping"), "--tap", ns.dev, *STACK, "-c", "3", "-i", "200"]
    done = subprocess.run(argv + ping + [target], capture_output=True, text=True, env=example_env(), timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert parse_ping(done.stdout) == (3, 3)
    assert done.stdout.count(f"bytes from {target}: icmp_seq=") == 3
    silent = "198.18.0.99" if family == 4 else "2001:db8::99"
    done = subprocess.run(argv + ping[:-4] + ["-c", "2", "-i", "100", "-W", "500", silent], capture_output=True,
                          text=True, env=example_env(), timeout=60)
    assert done.returncode == 1 and parse_ping(done.stdout) == (2, 0), done.stdout + done.stderr


@pytest.mark.parametrize("host", [STACK_IP, f"[{STACK_IP6}]"], ids=["ipv4", "ipv6"])
def test_curl_gets_the_page(ns, host):
    """curl GET / from picotcp-http: status 200, the page, Content-Length right (curl checks it)."""
    http = ns.start("http", *STACK)
    result = ns.exec("curl", "-sS", "-m", "10", "-D", "-", f"http://{host}/")
    assert result.returncode == 0, result.stderr
    # (text mode reads "\r\n" as "\n")
    assert result.stdout.startswith("HTTP/1.1 200 OK\n") and "\nContent-Length: 147\n" in result.stdout
    assert "<h1>picoTCP in C++</h1>" in result.stdout
    stopped_cleanly(http, "picotcp-http")


def test_download_100_mib(ns):
    """curl downloads 100 MiB from picotcp-http; the SHA-256 matches the pattern; prints the time taken."""
    http = ns.start("http", *STACK)
    size = 100 * 1024 * 1024
    started = time.monotonic()
    proc = ns.popen("curl", "-sS", "-m", "300", f"http://{STACK_IP}/bytes/{size}", stdout=__import__("subprocess").PIPE)
    digest = hashlib.sha256()
    received = 0
    while chunk := proc.stdout.read(1 << 20):
        digest.update(chunk)
        received += len(chunk)
    assert proc.wait(timeout=300) == 0
    took = time.monotonic() - started
    print(f"100 MiB download: {took:.2f} s ({size / took / 1e6:.1f} MB/s)")
    assert received == size
    assert digest.hexdigest() == pattern_sha256(size)
    stopped_cleanly(http, "picotcp-http")


CONCURRENT = r"""
import socket, sys
n, host, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = [socket.create_connection((host, 80), timeout=30) for _ in range(n)]
for s in socks:   # every connection is open before the first request
    s.sendall(f"GET /bytes/{size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
ok = 0
for s in socks:
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if head.startswith(b"HTTP/1.1 200") and body == bytes(i % 251 for i in range(size)):
        ok += 1
print(ok)
"""


def test_fifty_concurrent_connections(ns):
    """50 TCP connections open at once to picotcp-http, each then served 20,000 bytes, all intact."""
    http = ns.start("http", *STACK)
    result = ns.exec("/usr/bin/python3", "-c", CONCURRENT, "50", STACK_IP, "20000", timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "50"
    stopped_cleanly(http, "picotcp-http")


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_nc_tcp_and_udp_echo(ns, family):
    """nc sends lines over TCP and a datagram over UDP to picotcp-echo and reads the same bytes back."""
    echo = ns.start("echo", *STACK)
    target = STACK_IP if family == 4 else STACK_IP6
    text = "".join(f"line {i} of the echo test\n" for i in range(200))
    tcp = ns.exec("nc", f"-{family}", "-q", "2", "-w", "5", target, "7", input=text, timeout=30)
    assert tcp.stdout == text, tcp.stderr
    udp = ns.exec("nc", f"-{family}", "-u", "-w", "1", target, "7", input="one datagram\n", timeout=30)
    assert udp.stdout == "one datagram\n", udp.stderr
    stopped_cleanly(echo, "picotcp-echo")


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_stack_as_client_of_a_linux_server(ns, family, tmp_path):
    """picotcp-fetch downloads a 2 MB file from Python's http.server on Linux; SHA-256 equal."""
    import subprocess
    from netns import EXAMPLES, example_env

    blob = bytes((i * 7919) % 256 for i in range(2_000_000))
    (tmp_path / "blob").write_bytes(blob)
    bind = LINUX_IP if family == 4 else LINUX_IP6
    server = ns.popen("/usr/bin/python3", "-m", "http.server", "8000", "--bind", bind, "--directory", str(tmp_path),
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # until it listens
            if ns.exec("ss", "-ltn").stdout.count(":8000"):
                break
            time.sleep(0.05)
        host = LINUX_IP if family == 4 else f"[{LINUX_IP6}]"
        fetch = [str(EXAMPLES / "picotcp-fetch"), "--tap", ns.dev, *STACK, "-o", str(tmp_path / "got"),
                 f"http://{host}:8000/blob"]
        done = subprocess.run(["ip", "netns", "exec", ns.name, *fetch], capture_output=True, text=True,
                              env=example_env(), timeout=60)
        assert done.returncode == 0, done.stderr
        assert "200 OK, 2000000 bytes" in done.stderr
        assert hashlib.sha256((tmp_path / "got").read_bytes()).digest() == hashlib.sha256(blob).digest()
    finally:
        server.terminate()
        server.wait(timeout=10)


RA = r"""
import sys, time
from scapy.all import Ether, IPv6, sendp
from scapy.layers.inet6 import ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr
dev, mac = sys.argv[1], sys.argv[2]
ra = (Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1", hlim=255) /
      ICMPv6ND_RA(routerlifetime=0) / ICMPv6NDOptSrcLLAddr(lladdr=mac) /
      ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, L=1, A=1, validlifetime=3600,
                            preferredlifetime=1800))
sendp(ra, iface=dev, count=int(sys.argv[3]), inter=0.5, verbose=False)
"""


def test_linux_reaches_a_slaac_address(ns):
    """picotcp-echo --slaac forms an address from a Router Advertisement's prefix (RFC 4862) and Linux
    reaches it: ping -6 and a TCP echo over nc."""
    import subprocess

    ns.ip("-6", "addr", "add", "2001:db8:1::1/64", "dev", ns.dev, "nodad")
    mac = ns.ip("link", "show", ns.dev).stdout.split("link/ether ")[1].split()[0]
    # Unsolicited RAs every 0.5 s until the program is ready (it waits up to 20 s for a global address).
    sender = ns.popen("/usr/bin/python3", "-c", RA, ns.dev, mac, "60", stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL)
    try:
        echo = ns.start("echo", "--ip", f"{STACK_IP}/24", "--slaac", "--slaac-wait", "20000", ready_timeout=30)
    finally:
        sender.kill()
        sender.wait(timeout=30)
    slaac = [a for a in echo.addresses() if a.startswith("2001:db8:1:")]
    assert len(slaac) == 1, echo.ready_line
    result = ns.exec("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", slaac[0])
    assert parse_ping(result.stdout) == (2, 2), result.stdout
    tcp = ns.exec("nc", "-6", "-q", "2", "-w", "5", slaac[0], "7", input="slaac\n", timeout=30)
    assert tcp.stdout == "slaac\n"
    stopped_cleanly(echo, "picotcp-echo")


@pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
def test_tun_device(ns_tun, family):
    """The stack on a TUN device (IP without Ethernet: no ARP, no ND): ping and a TCP echo from Linux."""
    echo = ns_tun.start("echo", *STACK)
    target = STACK_IP if family == 4 else STACK_IP6
    result = ns_tun.exec("ping", f"-{family}", "-c", "2", "-i", "0.2", "-W", "2", target)
    assert parse_ping(result.stdout) == (2, 2), result.stdout + result.stderr
    tcp = ns_tun.exec("nc", f"-{family}", "-q", "2", "-w", "5", target, "7", input="over tun\n", timeout=30)
    assert tcp.stdout == "over tun\n"
    stopped_cleanly(echo, "picotcp-echo")
