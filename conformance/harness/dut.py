"""The device under test (DUT) as the conformance scenarios see it.

Backend "binding": this stack in-process through picotcp._core, on virtual time. One fresh stack per test,
one wire device (eth0), configured as

    dut.mac = 02:00:00:00:00:02, dut.ip = 198.18.0.2/24, default route via dut.peer_ip
    the peer (the test): dut.peer_mac = 02:00:00:00:00:01, dut.peer_ip = 198.18.0.1

Set-up lets virtual time run until the DUT has been quiet for 2.5 s (its address announcements are in
dut.setup_frames), so a test starts on a quiet wire at a virtual time that is not 0: use differences of
dut.now_ms, never absolute times.

A scenario can run over either address family: dut.use_family(6) (done by the `family` fixture of
harness/families.py) configures IPv6, and dut.addr / dut.peer_addr / dut.wildcard / dut.ip_frame() /
dut.icmp_error() / dut.prime_neighbour() then speak IPv6; dut.check_family() finds frames of the other family.

Frames the DUT sends are dissected with Scapy (Ether) and queued; receive(), expect() and expect_silence()
consume that queue in order, advancing virtual time in step_ms steps and polling the stack at each step (so
timers fire at the right virtual times). Every frame in and out is also kept in dut.log.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest
from scapy.all import ARP, IP, Ether, Packet, Raw, raw
from scapy.layers.inet6 import IPv6, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr

import picotcp


def _describe(frame: Ether) -> str:
    try:
        return frame.summary()
    except Exception:  # a frame Scapy cannot summarise is still worth listing
        return raw(frame).hex()


def dissect(data: bytes) -> Packet:
    """Ether(data), or Raw(data) for bytes Scapy cannot dissect as Ethernet (a frame cut short)."""
    try:
        return Ether(data)
    except Exception:  # Scapy raises struct.error and others on a truncated header
        return Raw(load=data)


def _matcher(predicate):
    """A predicate over a frame: a callable, a Scapy layer class (frame contains it) or None (any frame).

    A callable that raises IndexError/AttributeError (frame[ARP] on a frame without ARP) does not match.
    """
    if predicate is None:
        return lambda frame: True
    if isinstance(predicate, type) and issubclass(predicate, Packet):
        layer = predicate
        return lambda frame: layer in frame

    def match(frame):
        try:
            return bool(predicate(frame))
        except (IndexError, AttributeError):
            return False

    return match


def _canonical6(text: str) -> str:
    import ipaddress

    return str(ipaddress.IPv6Address(text))


def eui64_link_local(mac: str) -> str:
    """fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 appendix A)."""
    import ipaddress

    octets = [int(x, 16) for x in mac.split(":")]
    iid = [octets[0] ^ 0x02] + octets[1:3] + [0xFF, 0xFE] + octets[3:6]
    return str(ipaddress.IPv6Address(bytes([0xFE, 0x80] + [0] * 6 + iid)))


def _predicate_name(predicate, what):
    if what:
        return what
    if predicate is None:
        return "any frame"
    if isinstance(predicate, type):
        return f"a frame with {predicate.__name__}"
    return getattr(predicate, "__name__", repr(predicate))


class Dut:
    backend = "binding"  # which DUT this is (--dut): scenarios guard this stack's own documented choices with it
    time_tolerance_ms = 0  # added to a scenario's timing tolerance (the linux DUT runs in real time)
    mac = "02:00:00:00:00:02"
    ip = "198.18.0.2"
    prefix = 24
    peer_mac = "02:00:00:00:00:01"
    peer_ip = "198.18.0.1"
    # IPv6 (enable_ipv6()): the DUT's static address and the peer's; link-locals (ll6: see the property).
    ip6 = "2001:db8::2"
    prefix6 = 64
    peer_ip6 = "2001:db8::1"
    peer_ll6 = "fe80::1"
    step_ms = 10

    def __init__(self, capture: str | Path | None = None, seed: int = 1, mtu: int = 1500, configure: bool = True):
        self.clock = picotcp.VirtualClock()
        self.stack = picotcp.Stack(clock=self.clock, seed=seed)
        self.eth = self.stack.add_wire_device("eth0", mac=self.mac, mtu=mtu)
        self.log: list[tuple[int, str, Ether]] = []  # (virtual ms, "in" | "out", frame)
        self._pending: deque[Ether] = deque()
        if configure:
            if not self.stack.ipv4.add_address(self.eth, self.ip, self.prefix):
                raise RuntimeError(f"DUT: cannot add {self.ip}/{self.prefix}")
            if not self.stack.ipv4.add_route("0.0.0.0/0", via=self.peer_ip):
                raise RuntimeError(f"DUT: cannot add the default route via {self.peer_ip}")
        # What configuration sent (the ARP announcements of dut.ip, RFC 5227 2.3): kept here, not in the
        # capture or the receive queue, so each test starts from a quiet wire.
        self.setup_frames = self._settle()
        self.capture_path = Path(capture) if capture is not None else None
        if self.capture_path is not None:
            self.capture_path.parent.mkdir(parents=True, exist_ok=True)
            self.eth.start_capture(str(self.capture_path))
        self._baseline = self.stack.stats()

    # Set-up waits until the DUT has sent nothing for settle_quiet_ms (at most settle_max_ms): longer than
    # RFC 5227's ANNOUNCE_INTERVAL (2 s), so a repeated announcement is part of set-up, not of the test.
    settle_quiet_ms = 2500
    settle_max_ms = 10_000

    def _settle(self) -> list[Ether]:
        frames = [dissect(f) for f in self.eth.collect()]
        quiet = elapsed = 0
        while quiet < self.settle_quiet_ms and elapsed < self.settle_max_ms:
            self.clock.advance(ms=self.step_ms)
            self.stack.poll()
            elapsed += self.step_ms
            sent = self.eth.collect()
            frames += [dissect(f) for f in sent]
            quiet = 0 if sent else quiet + self.step_ms
        return frames

    # ---- time and traffic -------------------------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        return self.clock.now_ms

    def _collect(self) -> None:
        for _ in range(100):  # bounded: each round answers ARP requests, whose answers may release frames
            sent = self.eth.collect()
            if not sent:
                return
            replies = []
            for data in sent:
                frame = dissect(data)
                self.log.append((self.clock.now_ms, "out", frame))
                reply = self._arp_answer(frame)
                if reply is None:
                    reply = self._nd_answer(frame)
                if reply is None:
                    self._pending.append(frame)
                else:
                    replies.append(reply)
            for reply in replies:
                self.log.append((self.clock.now_ms, "in", reply))
                self.eth.inject(raw(reply))

    # Hosts that answer the DUT's ARP requests (answer_arp): ip -> mac. Empty: nobody answers.
    _arp_hosts: dict = {}

    def answer_arp(self, ip: str | None = None, mac: str | None = None) -> None:
        """From now on, answer every ARP request the DUT sends for `ip` (default peer_ip) with `mac` (default
        peer_mac), at once; answered requests are logged (and captured) but not queued for receive()/expect().
        For scenarios that run long enough for the DUT's neighbour entry to expire (a live peer answers)."""
        self._arp_hosts = dict(self._arp_hosts)
        self._arp_hosts[ip or self.peer_ip] = mac or self.peer_mac

    def stop_answering_arp(self, ip: str | None = None) -> None:
        """Undo answer_arp for `ip` (default peer_ip): its ARP requests are queued for receive()/expect() again."""
        self._arp_hosts = {k: v for k, v in self._arp_hosts.items() if k != (ip or self.peer_ip)}

    def _arp_answer(self, frame):
        if not self._arp_hosts or ARP not in frame or frame[ARP].op != 1:
            return None
        mac = self._arp_hosts.get(frame[ARP].pdst)
        if mac is None:
            return None
        return Ether(src=mac, dst=frame[ARP].hwsrc) / ARP(op=2, hwsrc=mac, psrc=frame[ARP].pdst,
                                                            hwdst=frame[ARP].hwsrc, pdst=frame[ARP].psrc)

    # ---- IPv6 ----------------------------------------------------------------------------------------------

    @property
    def ll6(self) -> str:
        """The DUT's link-local address: the stack's (SLAAC may make it), else fe80:: + the modified EUI-64 of
        dut.mac (RFC 4291 2.5.1 / appendix A)."""
        ipv6 = getattr(self.stack, "ipv6", None)
        if ipv6 is not None:
            ll = ipv6.link_local(self.eth)
            if ll is not None:
                return ll
        return eui64_link_local(self.mac)

    def enable_ipv6(self, slaac: bool = False) -> None:
        """Configure IPv6 on the DUT and answer its Neighbor Solicitations for peer_ip6 and peer_ll6.

        slaac=False: ll6 and ip6/prefix6 are added Preferred at once (no DAD). slaac=True: the stack's SLAAC
        makes the link-local (stack.slaac.start) and ip6 is still added statically. Set-up traffic (MLD
        reports, DAD) runs until the wire is quiet and is kept in setup_frames; counters are rebased."""
        self.require("ipv6", "icmp6")
        if slaac:
            self.require("slaac")
            self.stack.slaac.start(self.eth)
        elif not self.stack.ipv6.add_address(self.eth, eui64_link_local(self.mac), 64):
            raise RuntimeError("DUT: cannot add its link-local address")
        if not self.stack.ipv6.add_address(self.eth, self.ip6, self.prefix6):
            raise RuntimeError(f"DUT: cannot add {self.ip6}/{self.prefix6}")
        self.answer_nd(self.peer_ip6)
        self.answer_nd(self.peer_ll6)
        self.setup_frames += self._settle()
        self._pending.clear()
        self.rebase()

    # Hosts that answer the DUT's Neighbor Solicitations (answer_nd): ipv6 -> mac.
    _nd_hosts: dict = {}

    def answer_nd(self, ip: str | None = None, mac: str | None = None) -> None:
        """From now on, answer every Neighbor Solicitation the DUT sends for `ip` (default peer_ip6) with a
        solicited Neighbor Advertisement from `mac` (default peer_mac), at once (RFC 4861 7.2.4); answered
        solicitations are logged (and captured) but not queued for receive()/expect()."""
        self._nd_hosts = dict(self._nd_hosts)
        self._nd_hosts[_canonical6(ip or self.peer_ip6)] = mac or self.peer_mac

    def stop_answering_nd(self, ip: str | None = None) -> None:
        """Undo answer_nd for `ip` (default peer_ip6)."""
        key = _canonical6(ip or self.peer_ip6)
        self._nd_hosts = {k: v for k, v in self._nd_hosts.items() if k != key}

    def _nd_answer(self, frame):
        if not self._nd_hosts or ICMPv6ND_NS not in frame or IPv6 not in frame:
            return None
        target = _canonical6(frame[ICMPv6ND_NS].tgt)
        mac = self._nd_hosts.get(target)
        if mac is None:
            return None
        asker = frame[IPv6].src
        if _canonical6(asker) == "::":  # DAD probe: someone else claims the address; not ours to answer
            return None
        return (
            Ether(src=mac, dst=frame.src)
            / IPv6(src=target, dst=asker, hlim=255)
            / ICMPv6ND_NA(tgt=target, R=0, S=1, O=1)
            / ICMPv6NDOptDstLLAddr(lladdr=mac)
        )

    def ipv6(self, **fields) -> Packet:
        """Ether/IPv6 from the peer (peer_ip6) to the DUT (ip6); IPv6 fields overridable."""
        fields.setdefault("src", self.peer_ip6)
        fields.setdefault("dst", self.ip6)
        return self.ether() / IPv6(**fields)

    def _step(self, ms: int) -> None:
        self.clock.advance(ms=ms)
        self.stack.poll()
        self._collect()

    def send(self, pkt) -> bool:
        """Inject a frame (a Scapy packet or bytes) into the DUT's device; it is processed at once.

        Returns what the device returned (False: the stack could not take it, e.g. the frame pool was empty).
        """
        data = raw(pkt) if isinstance(pkt, Packet) else bytes(pkt)
        self.log.append((self.clock.now_ms, "in", dissect(data)))
        accepted = self.eth.inject(data)
        self._collect()
        return accepted

    def advance(self, ms: int) -> None:
        """Let ms of virtual time pass in step_ms steps, polling the stack; what the DUT sends is queued."""
        if ms < 0:
            raise ValueError("time does not go backwards")
        self.stack.poll()
        self._collect()
        remaining = ms
        while remaining > 0:
            step = min(self.step_ms, remaining)
            self._step(step)
            remaining -= step

    def receive(self, timeout_ms: int = 0) -> list[Ether]:
        """Every frame the DUT sent that no expect() consumed yet, plus those it sends during timeout_ms.

        The whole timeout is waited (in step_ms steps), so the list holds everything sent in that window.
        """
        self.advance(timeout_ms)
        frames = list(self._pending)
        self._pending.clear()
        return frames

    def expect(self, predicate=None, timeout_ms: int = 1000, what: str | None = None) -> Ether:
        """The first frame the DUT sends that matches predicate, within timeout_ms; the test fails otherwise.

        Frames before the match are consumed (they stay in dut.log); frames after it stay queued.
        predicate: a callable taking a Scapy Ether, a Scapy layer class (e.g. ARP), or None for any frame.
        """
        match = _matcher(predicate)
        seen: list[Ether] = []
        deadline = self.clock.now_ms + timeout_ms
        self.stack.poll()
        self._collect()
        while True:
            while self._pending:
                frame = self._pending.popleft()
                if match(frame):
                    return frame
                seen.append(frame)
            if self.clock.now_ms >= deadline:
                break
            self._step(min(self.step_ms, deadline - self.clock.now_ms))
        listing = "".join(f"\n    {_describe(f)}" for f in seen) or " none"
        pytest.fail(
            f"expected {_predicate_name(predicate, what)} from the DUT within {timeout_ms} ms "
            f"(virtual time now {self.clock.now_ms} ms); frames it sent meanwhile:{listing}",
            pytrace=False,
        )

    def expect_silence(self, timeout_ms: int = 1000, predicate=None, what: str | None = None) -> list[Ether]:
        """Fails if the DUT sends any frame (or any frame matching predicate) within timeout_ms.

        Returns the frames it sent that did not match (consumed).
        """
        match = _matcher(predicate)
        self.advance(timeout_ms)
        frames = list(self._pending)
        self._pending.clear()
        offending = [f for f in frames if match(f)]
        if offending:
            listing = "".join(f"\n    {_describe(f)}" for f in offending)
            pytest.fail(
                f"expected no {_predicate_name(predicate, what) if predicate is not None or what else 'frame'}"
                f" from the DUT for {timeout_ms} ms, but it sent:{listing}",
                pytrace=False,
            )
        return frames

    def prime_arp(self) -> None:
        """Make the DUT learn peer_ip -> peer_mac: the peer asks who has dut.ip (RFC 826: the target of a
        request adds the sender to its table). The DUT's reply and anything else queued are drained."""
        request = Ether(src=self.peer_mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
            op=1, hwsrc=self.peer_mac, psrc=self.peer_ip, hwdst="00:00:00:00:00:00", pdst=self.ip
        )
        self.send(request)
        self._pending.clear()
        learned = self.arp_lookup(self.peer_ip)
        if learned != self.peer_mac:
            pytest.fail(f"prime_arp: the DUT did not learn {self.peer_ip} -> {self.peer_mac} (it has {learned})")
        self._pin(self.peer_ip)

    def _pin(self, address: str) -> None:
        """After priming: make the peer's entry stay (a DUT that probes reachability, the linux DUT, pins it)."""

    # ---- frame helpers (the peer's side) ------------------------------------------------------------------

    def ether(self, **fields) -> Ether:
        """Ether from the peer to the DUT (override any field)."""
        fields.setdefault("src", self.peer_mac)
        fields.setdefault("dst", self.mac)
        return Ether(**fields)

    def ipv4(self, **fields) -> Packet:
        """Ether/IP from the peer to the DUT (IP fields overridable)."""
        fields.setdefault("src", self.peer_ip)
        fields.setdefault("dst", self.ip)
        return self.ether() / IP(**fields)

    # ---- the address family a scenario runs over (family-neutral helpers) ---------------------------------
    #
    # Scenarios parametrised over both families (the `family` fixture of rfc9293_tcp/ and rfc0768_udp/) use
    # these instead of dut.ip / dut.peer_ip / IP(...) / ICMP(...): dut.family is 4 (the default) or 6 (after
    # use_family(6), which calls enable_ipv6()).

    family = 4

    def use_family(self, family: int) -> None:
        """Run the scenario over `family` (4 or 6): 6 configures IPv6 (enable_ipv6) and makes the family-neutral
        helpers and TcpPeer use IPv6 addresses. check_family() later verifies the wire carried that family."""
        if family not in (4, 6):
            raise ValueError(f"unknown address family {family!r}")
        if family == 6:
            self.enable_ipv6()
        self.family = family

    @property
    def v6(self) -> bool:
        return self.family == 6

    @property
    def addr(self) -> str:
        """The DUT's address in the scenario's family (ip or ip6)."""
        return self.ip6 if self.v6 else self.ip

    @property
    def peer_addr(self) -> str:
        """The peer's address in the scenario's family (peer_ip or peer_ip6)."""
        return self.peer_ip6 if self.v6 else self.peer_ip

    @property
    def wildcard(self) -> str:
        """The unspecified address a socket binds to in the scenario's family ("0.0.0.0" or "::")."""
        return "::" if self.v6 else "0.0.0.0"

    def other_addr(self, host: int) -> str:
        """Another address on the DUT's link in the scenario's family: 198.18.0.<host> or 2001:db8::<host hex>."""
        return f"2001:db8::{host:x}" if self.v6 else f"198.18.0.{host}"

    @property
    def ip_class(self):
        """The Scapy class of the scenario's IP header (IP or IPv6)."""
        return IPv6 if self.v6 else IP

    @property
    def ip_header_len(self) -> int:
        """Bytes of a fixed IP header in the scenario's family (20 or 40)."""
        return 40 if self.v6 else 20

    # IPv4 field names that have an IPv6 equivalent (RFC 8200 3): ttl -> hop limit, tos -> traffic class,
    # proto -> next header. Other IPv4-only fields (options, flags, frag, id, ihl) raise for IPv6.
    _V6_FIELDS = {"ttl": "hlim", "tos": "tc", "proto": "nh"}

    def ip_header(self, **fields) -> Packet:
        """The scenario family's IP header from the peer to the DUT (src/dst default to peer_addr/addr); IPv4
        field names are mapped for IPv6 (ttl -> hlim, tos -> tc, proto -> nh)."""
        fields.setdefault("src", self.peer_addr)
        fields.setdefault("dst", self.addr)
        if not self.v6:
            return IP(**fields)
        mapped = {}
        for name, value in fields.items():
            name = self._V6_FIELDS.get(name, name)
            if name in ("options", "flags", "frag", "id", "ihl", "len", "chksum"):
                raise ValueError(f"IPv4 field {name!r} has no IPv6 equivalent")
            mapped[name] = value
        return IPv6(**mapped)

    def ip_frame(self, **fields) -> Packet:
        """Ether / the scenario family's IP header from the peer to the DUT (see ip_header)."""
        return self.ether() / self.ip_header(**fields)

    # ICMP errors by meaning: (ICMPv4 type, code), (ICMPv6 type, code) (RFC 792, RFC 1191 / RFC 4443 3). ICMPv6
    # has no protocol unreachable: its counterpart is a Parameter Problem code 1 (unrecognized Next Header, RFC
    # 4443 3.4) pointing at the Next Header field; host unreachable maps to address unreachable (code 3).
    ICMP_ERRORS = {
        "net-unreachable": ((3, 0), (1, 0)),
        "host-unreachable": ((3, 1), (1, 3)),
        "protocol-unreachable": ((3, 2), (4, 1)),
        "port-unreachable": ((3, 3), (1, 4)),
        "admin-prohibited": ((3, 13), (1, 1)),
        "packet-too-big": ((3, 4), (2, 0)),
        "time-exceeded": ((11, 0), (3, 0)),
        "parameter-problem": ((12, 0), (4, 0)),
    }

    def icmp_error(self, kind: str, quoted: bytes, src: str | None = None, mtu: int = 0) -> Packet:
        """Ether / IP / ICMP error `kind` (a key of ICMP_ERRORS) to the DUT in the scenario's family, quoting
        `quoted` (the offending packet's bytes from its IP header on; ICMPv6 quotes as much as fits in 1280,
        ICMPv4 quotes what is given). src defaults to the peer. mtu: the next-hop MTU of packet-too-big
        ("fragmentation needed and DF set" in IPv4, RFC 1191 4; Packet Too Big in IPv6, RFC 4443 3.2)."""
        from scapy.all import ICMP
        from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6ParamProblem, ICMPv6TimeExceeded

        (type4, code4), (type6, code6) = self.ICMP_ERRORS[kind]
        header = self.ip_frame(src=src or self.peer_addr)
        if not self.v6:
            icmp = ICMP(type=type4, code=code4, nexthopmtu=mtu) if type4 == 3 else ICMP(type=type4, code=code4)
            return header / icmp / Raw(load=quoted)
        if type6 == 1:
            icmp = ICMPv6DestUnreach(code=code6)
        elif type6 == 2:
            icmp = ICMPv6PacketTooBig(mtu=mtu)
        elif type6 == 3:
            icmp = ICMPv6TimeExceeded(code=code6)
        else:  # the pointer: the Next Header field (6) for protocol unreachable, else the first byte
            icmp = ICMPv6ParamProblem(code=code6, ptr=6 if code6 == 1 else 0)
        return header / icmp / Raw(load=quoted[:1280 - 48])

    def prime_neighbour(self) -> None:
        """Make the DUT know the peer's link-layer address in the scenario's family: prime_arp() or prime_nd()."""
        if self.v6:
            self.prime_nd()
        else:
            self.prime_arp()

    def prime_nd(self) -> None:
        """Make the DUT learn peer_ip6 -> peer_mac: the peer solicits dut.ip6 with its Source Link-Layer Address
        option (RFC 4861 7.2.3: the target creates a STALE entry, used at once). The DUT's Neighbor
        Advertisement and anything else queued are drained."""
        from scapy.layers.inet6 import ICMPv6NDOptSrcLLAddr, in6_getnsma, inet_pton, inet_ntop
        import socket

        group = inet_ntop(socket.AF_INET6, in6_getnsma(inet_pton(socket.AF_INET6, self.ip6)))
        solicitation = (
            Ether(src=self.peer_mac, dst="33:33:" + ":".join(f"{b:02x}" for b in
                                                          inet_pton(socket.AF_INET6, group)[12:]))
            / IPv6(src=self.peer_ip6, dst=group, hlim=255)
            / ICMPv6ND_NS(tgt=self.ip6)
            / ICMPv6NDOptSrcLLAddr(lladdr=self.peer_mac)
        )
        self.send(solicitation)
        self._pending.clear()
        learned = self.nd_lookup(self.peer_ip6)
        if learned != self.peer_mac:
            pytest.fail(f"prime_nd: the DUT did not learn {self.peer_ip6} -> {self.peer_mac} (it has {learned})")
        self._pin(self.peer_ip6)

    def check_family(self) -> list[str]:
        """Problems showing the scenario did not run over its family (empty list: it did): a frame of the other
        IP family (or, in an IPv6 scenario, ARP) in or out, or no frame of the family at all although frames
        were exchanged (so an "IPv6" variant cannot silently run over IPv4 twice)."""
        other, mine = (IP, IPv6) if self.v6 else (IPv6, IP)
        name = "IPv4" if self.v6 else "IPv6"
        problems = []
        for at, direction, frame in self.log:
            if other in frame or (self.v6 and ARP in frame):
                problems.append(f"{'ARP' if ARP in frame else 'an ' + name} frame {direction} at {at} ms in an "
                                f"IPv{self.family} scenario: {_describe(frame)}")
                break
        if any(ARP not in frame for _, _, frame in self.log) and not any(mine in frame for _, _, frame in self.log):
            problems.append(f"no IPv{self.family} frame exchanged in an IPv{self.family} scenario")
        return problems

    # ---- counters -----------------------------------------------------------------------------------------

    def stats(self) -> dict:
        return self.stack.stats()

    def _module(self, stats: dict, module: str) -> dict:
        if module not in stats or module == "pools":
            built = ", ".join(m for m in stats if m != "pools")
            pytest.fail(f"no counters for module {module!r} (modules with counters: {built})", pytrace=False)
        return stats[module]

    def counter(self, module: str, name: str) -> int:
        """Increase since the test started of a module's counter: "rx", "tx" or a drop reason name."""
        now = self._module(self.stack.stats(), module)
        then = self._baseline.get(module, {"rx": 0, "tx": 0, "drop": {}})
        if name in ("rx", "tx"):
            return now[name] - then[name]
        if name not in now["drop"]:
            pytest.fail(f"{name!r} is not a drop reason (reasons: {', '.join(now['drop'])})", pytrace=False)
        return now["drop"][name] - then["drop"].get(name, 0)

    def dropped(self, module: str, reason: str) -> int:
        """Increase since the test started of module's drops for reason."""
        if reason in ("rx", "tx"):
            pytest.fail(f"{reason!r} is not a drop reason; use dut.counter()", pytrace=False)
        return self.counter(module, reason)

    def drop_changes(self) -> dict[str, dict[str, int]]:
        """{module: {reason: increase}} for every drop counter that moved since the test started."""
        changes: dict[str, dict[str, int]] = {}
        for module, counters in self.stack.stats().items():
            if module == "pools":
                continue
            then = self._baseline.get(module, {"drop": {}})["drop"]
            moved = {r: n - then.get(r, 0) for r, n in counters["drop"].items() if n != then.get(r, 0)}
            if moved:
                changes[module] = moved
        return changes

    def assert_dropped(self, module: str, reason: str, count: int = 1) -> None:
        """The module's drops for reason rose by exactly count since the test started."""
        got = self.dropped(module, reason)
        if got != count:
            changes = self.drop_changes()
            listing = (
                ", ".join(f"{m}.{r} +{n}" for m, moved in changes.items() for r, n in moved.items()) or "none"
            )
            pytest.fail(
                f"expected {module} to count {count} drop(s) for {reason}, it counted {got}; "
                f"all drops since the test started: {listing}",
                pytrace=False,
            )

    def rebase(self) -> None:
        """Counters count from now on (e.g. after a set-up exchange inside the test)."""
        self._baseline = self.stack.stats()

    # ---- the rest -----------------------------------------------------------------------------------------

    def require(self, *modules: str) -> None:
        """Skip the test unless every named module is built in."""
        built = picotcp.modules()
        missing = [m for m in modules if not built.get(m, False)]
        if missing:
            pytest.skip(f"module(s) not built in: {', '.join(missing)}")

    def arp_lookup(self, ip: str) -> str | None:
        """The MAC the DUT's ARP cache holds for ip, or None."""
        return self.stack.arp.lookup(self.eth, ip)

    def nd_lookup(self, ip: str) -> str | None:
        """The MAC the DUT's neighbour cache holds for the IPv6 address ip, or None."""
        return self.stack.nd.lookup(self.eth, ip)

    ephemeral_ports = (49152, 65535)  # the stack's dynamic port range (RFC 6335 6)

    @property
    def arp_queue_per_entry(self) -> int | None:
        """How many datagrams the DUT keeps per unresolved address (None: not known, e.g. the linux DUT)."""
        return picotcp.config()["arp_queue_per_entry"]

    def udp_socket(self):
        return self.stack.udp_socket()

    def tcp_socket(self):
        return self.stack.tcp_socket()

    def close(self) -> None:
        if self.capture_path is not None:
            self.eth.stop_capture()
