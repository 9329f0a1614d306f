"""A Scapy-side TCP peer for the RFC 9293 scenarios, so each scenario stays short.

    peer = TcpPeer(dut, sport=40000, dport=8080, isn=1000, mss="auto", wscale=None, sack=False, timestamps=False)
    listener = dut.tcp_socket(); listener.bind(dut.wildcard, 8080); listener.listen(4)
    sock = peer.handshake_to(listener)          # SYN -> SYN-ACK (checked) -> ACK; returns listener.accept()
    peer.send("PA", b"hello")                     # seq/ack/window/options from the tracked state
    ack = peer.expect("A")                        # the next segment of this connection, checked and tracked
    peer.expect_silence(300)

The peer tracks (RFC 9293 3.3.1 names, seen from the peer):
    iss, snd_nxt    our initial and next sequence number (snd_nxt is the DUT's RCV.NXT once synchronized)
    acked           the last acknowledgment number we sent (the DUT's SND.UNA as far as we told it)
    dut_isn, rcv_nxt  the DUT's ISN and the next sequence number we expect from it (the DUT's SND.NXT)
    dut_window      the DUT's last window in bytes (scaled), dut_mss / dut_wscale / dut_sack / dut_timestamps
                    what its SYN (or SYN-ACK) offered, ts_recent its last TSval
    received        the in-order bytes the DUT sent us (retransmissions are not added twice)

expect() checks every segment the DUT sends for this connection: the TCP checksum is valid (RFC 9293
MUST-2), an MSS option appears only on SYN segments (MUST-65), every option but EOL/NOP carries a length that
fits (MUST-68) and padding after EOL is zero (MUST-69). It then updates the tracked state.

bring_to_state(dut, "ESTABLISHED", ...) returns (peer, dut_socket) with a DUT connection in any of the eleven
RFC 9293 states (3.3.2); see its docstring for how each state is reached.

The connection's family is the DUT's (dut.family: 4, or 6 after dut.use_family(6)) unless family= says
otherwise; mss="auto" offers what a 1500-byte MTU allows in that family (1460 over IPv4, 1440 over IPv6);
mss_for_mtu(dut) and default_send_mss(dut) give the family's MSS arithmetic (RFC 9293 3.7.1, RFC 8200 8.3).
"""

from __future__ import annotations

import struct

import pytest
from scapy.all import IP, TCP, Ether, IPv6, Raw, raw
from scapy.layers.inet6 import in6_chksum
from scapy.layers.inet import in4_chksum

MOD = 1 << 32

FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}

STATES = ("CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
          "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT")


def mss_for_mtu(dut, mtu: int = 1500) -> int:
    """The MSS of an MTU in the scenario's family: MTU - 40 over IPv4, MTU - 60 over IPv6 (RFC 9293 3.7.1,
    RFC 8200 8.3)."""
    return mtu - (60 if getattr(dut, "family", 4) == 6 else 40)


def default_send_mss(dut) -> int:
    """The send MSS assumed without an MSS option: 536 over IPv4 (RFC 9293 3.7.1), 1220 over IPv6 (the IPv6
    minimum MTU 1280 - 60, RFC 8200 5 and 8.3)."""
    return 1220 if getattr(dut, "family", 4) == 6 else 536


def seq_add(a: int, n: int) -> int:
    return (a + n) % MOD


def seq_diff(a: int, b: int) -> int:
    """a - b as a signed 32-bit distance (RFC 9293 3.4 arithmetic modulo 2**32)."""
    d = (a - b) % MOD
    return d - MOD if d >= (1 << 31) else d


def flag_bits(flags) -> int:
    """Flags as an int from a string ("SA", "FA", "R") or an int."""
    if isinstance(flags, int):
        return flags
    bits = 0
    for letter in str(flags):
        if letter not in FLAG_BITS:
            raise ValueError(f"unknown TCP flag letter {letter!r} in {flags!r}")
        bits |= FLAG_BITS[letter]
    return bits


def flag_text(bits: int) -> str:
    """Canonical flag letters in the order F S R P A U E C (Scapy's order)."""
    return "".join(letter for letter, bit in FLAG_BITS.items() if bits & bit) or "-"


def tcp_of(frame):
    """The TCP layer of a frame the DUT sent, or None."""
    if frame is None or (IP not in frame and IPv6 not in frame) or TCP not in frame:
        return None
    return frame[TCP]


def ip_of(frame):
    """The IP layer (IPv4 or IPv6) of a frame."""
    return frame[IPv6] if IPv6 in frame and IP not in frame else frame[IP]


def payload_of(segment) -> bytes:
    """Payload bytes of a TCP layer, bounded by the IP total length (Ethernet padding excluded)."""
    ip = segment.underlayer
    data = raw(segment.payload) if segment.payload else b""
    if ip is not None and isinstance(ip, IP) and ip.len is not None:
        tcp_len = ip.len - ip.ihl * 4 - segment.dataofs * 4
        data = data[:max(tcp_len, 0)]
    elif ip is not None and isinstance(ip, IPv6) and ip.plen is not None:
        data = data[:max(ip.plen - segment.dataofs * 4, 0)]
    return data


def options_of(segment) -> dict:
    """The options of a TCP layer as a dict: MSS, WScale, SAckOK (True), Timestamp (val, ecr), SAck [blocks]."""
    found = {}
    for option in segment.options:
        name, value = option if isinstance(option, tuple) else (option, None)
        if name == "SAckOK":
            found["SAckOK"] = True
        elif name == "SAck":
            found["SAck"] = list(zip(value[0::2], value[1::2])) if value else []
        elif name in ("NOP", "EOL"):
            continue
        else:
            found[name] = value
    return found


def option_area(segment) -> bytes:
    """The raw option bytes of a TCP layer (header bytes 20 .. data offset * 4)."""
    header = raw(segment)[:segment.dataofs * 4]
    return header[20:]


def check_option_format(area: bytes, is_syn: bool) -> list[str]:
    """Problems in an option area the DUT emitted (RFC 9293 3.1, MUST-65, MUST-68, MUST-69)."""
    problems = []
    i = 0
    while i < len(area):
        kind = area[i]
        if kind == 0:  # EOL: the rest is padding, which must be zero (MUST-69)
            if any(area[i + 1:]):
                problems.append(f"non-zero padding after EOL: {area[i + 1:].hex()}")
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(area):
            problems.append(f"option kind {kind} without a length byte (MUST-68)")
            break
        length = area[i + 1]
        if length < 2 or i + length > len(area):
            problems.append(f"option kind {kind} with length {length} at offset {i} of {len(area)} (MUST-68)")
            break
        expected = {2: 4, 3: 3, 4: 2, 8: 10}.get(kind)
        if expected is not None and length != expected:
            problems.append(f"option kind {kind} with length {length}, expected {expected}")
        if kind == 5 and (length - 2) % 8:
            problems.append(f"SACK option with length {length}")
        if kind == 2 and not is_syn:
            problems.append("MSS option on a non-SYN segment (MUST-65)")
        i += length
    return problems


def tcp_checksum_ok(frame) -> bool:
    """The TCP checksum of a frame the DUT sent verifies (RFC 9293 3.1, MUST-2; RFC 8200 8.1 over IPv6)."""
    if IPv6 in frame and IP not in frame:
        ip6 = IPv6(raw(frame[IPv6]))
        return in6_chksum(6, ip6, raw(ip6.payload)[:ip6.plen]) == 0
    ip = IP(raw(frame[IP]))
    segment = raw(ip)[ip.ihl * 4:ip.len]
    return in4_chksum(6, ip, segment) == 0


def build_segment(src: str, dst: str, sport: int, dport: int, seq: int, ack: int, flags, window: int = 65535,
                  option_bytes: bytes = b"", payload: bytes = b"", dataofs: int | None = None, urgent: int = 0,
                  checksum: int | None = None, reserved: int = 0) -> bytes:
    """The bytes of a TCP segment built by hand (for malformed headers and options Scapy will not emit).

    dataofs defaults to (20 + len(option_bytes)) / 4 (option_bytes must then be a multiple of 4 long);
    checksum defaults to the correct one over the pseudo header src/dst.
    """
    if dataofs is None:
        if len(option_bytes) % 4:
            raise ValueError("option_bytes must be padded to a multiple of 4 when dataofs is not given")
        dataofs = (20 + len(option_bytes)) // 4
    header = struct.pack("!HHIIBBHHH", sport, dport, seq % MOD, ack % MOD, ((dataofs & 0xF) << 4) | (reserved & 0xF),
                         flag_bits(flags), window, 0, urgent) + option_bytes
    segment = header + payload
    if checksum is None:
        if ":" in src:
            checksum = in6_chksum(6, IPv6(src=src, dst=dst), segment)
        else:
            checksum = in4_chksum(6, IP(src=src, dst=dst), segment)
    return segment[:16] + struct.pack("!H", checksum) + segment[18:]


class TcpPeer:
    """One TCP connection's far end, driven by the test (see the module docstring)."""

    def __init__(self, dut, sport: int = 40000, dport: int = 8080, isn: int = 1000, mss: int | None | str = "auto",
                 wscale: int | None = None, sack: bool = False, timestamps: bool = False, window: int = 65535,
                 ip: str | None = None, mac: str | None = None, dut_ip: str | None = None, prime_arp: bool = True,
                 family: int | None = None):
        self.dut = dut
        # IPv4 unless asked for IPv6 (family=6, or a DUT whose `family` is 6: dut.enable_ipv6() set up).
        self.family = family or getattr(dut, "family", 4)
        v6 = self.family == 6
        self.dut_ip = dut_ip or (dut.ip6 if v6 else dut.ip)  # the DUT address this connection uses
        self.sport = sport  # the peer's port
        self.dport = dport  # the DUT's port
        self.ip = ip or (dut.peer_ip6 if v6 else dut.peer_ip)
        self.mac = mac or dut.peer_mac
        self.iss = isn % MOD
        self.snd_nxt = self.iss
        self.acked = 0  # last acknowledgment number we sent
        self.mss = 1500 - (60 if v6 else 40) if mss == "auto" else mss  # auto: 1460 over IPv4, 1440 over IPv6
        self.wscale = wscale
        self.sack = sack
        self.timestamps = timestamps
        self.window = window  # the window field we send (already scaled down by our shift)
        self.ts_base = 0x1000
        self.last_tsval: int | None = None  # TSval of the last segment we sent with a Timestamp option
        # What we know of the DUT.
        self.dut_isn: int | None = None
        self.rcv_nxt = 0
        self.dut_window = 0
        self.dut_window_field = 0
        self.dut_mss: int | None = None
        self.dut_wscale: int | None = None
        self.dut_sack = False
        self.dut_timestamps = False
        self.ts_recent = 0
        self.received = bytearray()
        self.segments: list = []  # every TCP segment of this connection expect() returned
        if v6:
            prime_arp = False  # dut.enable_ipv6() answers the DUT's Neighbor Solicitations
        if prime_arp and dut.arp_lookup(self.ip) != self.mac:
            dut.prime_arp()
        if prime_arp:
            # A live peer answers ARP: long scenarios outlast the DUT's neighbour entry.
            dut.answer_arp(self.ip, self.mac)

    # ---- negotiated values -------------------------------------------------------------------------------

    @property
    def ts_enabled(self) -> bool:
        """Both sides sent Timestamps on the SYN exchange (RFC 7323 3.2)."""
        return self.timestamps and self.dut_timestamps

    @property
    def ws_enabled(self) -> bool:
        return self.wscale is not None and self.dut_wscale is not None

    def ts_val(self) -> int:
        """Our TSval: the virtual clock in ms plus a base (monotonic, RFC 7323 5.4)."""
        return (self.ts_base + self.dut.now_ms) % MOD

    # ---- sending -----------------------------------------------------------------------------------------

    def syn_options(self, ts_ecr: int = 0) -> list:
        options = []
        if self.mss is not None:
            options.append(("MSS", self.mss))
        if self.sack:
            options.append(("SAckOK", b""))
        if self.timestamps:
            options.append(("Timestamp", (self.ts_val(), ts_ecr)))
        if self.wscale is not None:
            options += [("NOP", None), ("WScale", self.wscale)]
        return options

    def default_options(self, flags: int) -> list:
        if flags & FLAG_BITS["S"]:
            return self.syn_options(self.ts_recent if flags & FLAG_BITS["A"] else 0)
        if self.ts_enabled and not flags & FLAG_BITS["R"]:
            return [("NOP", None), ("NOP", None), ("Timestamp", (self.ts_val(), self.ts_recent))]
        return []

    def segment(self, flags="A", payload: bytes = b"", seq: int | None = None, ack: int | None = None,
                window: int | None = None, options: list | None = None, urgent: int = 0, **tcp_fields):
        """The Ether/IP/TCP frame send() would send (nothing is sent, nothing tracked)."""
        bits = flag_bits(flags)
        seq = self.snd_nxt if seq is None else seq
        if ack is None:
            ack = self.rcv_nxt if bits & FLAG_BITS["A"] else 0
        tcp = TCP(sport=self.sport, dport=self.dport, seq=seq % MOD, ack=ack % MOD, flags=bits,
                  window=self.window if window is None else window, urgptr=urgent,
                  options=self.default_options(bits) if options is None else options, **tcp_fields)
        frame = Ether(src=self.mac, dst=self.dut.mac) / self.ip_header() / tcp
        if payload:
            frame = frame / Raw(load=payload)
        return frame

    def ip_header(self, dst: str | None = None, **ip_fields):
        """The IP header of our segments: IPv4 or IPv6 by the connection's family (ttl -> hlim, tos -> tc)."""
        if self.family == 6:
            renamed = {"ttl": "hlim", "tos": "tc"}
            ip_fields = {renamed.get(k, k): v for k, v in ip_fields.items()}
            return IPv6(src=self.ip, dst=dst or self.dut_ip, **ip_fields)
        return IP(src=self.ip, dst=dst or self.dut_ip, **ip_fields)

    def send(self, flags="A", payload: bytes = b"", seq: int | None = None, ack: int | None = None,
             window: int | None = None, options: list | None = None, urgent: int = 0, track: bool = True,
             **tcp_fields):
        """Send one segment; fields default to the tracked state. Returns the Scapy frame sent.

        With track (default), snd_nxt advances by the payload (+ SYN, + FIN) when the segment starts at
        snd_nxt, and acked records the acknowledgment number when ACK is set; track=False sends a one-off.
        """
        bits = flag_bits(flags)
        frame = self.segment(flags, payload, seq, ack, window, options, urgent, **tcp_fields)
        tcp = frame[TCP]
        timestamp = options_of(tcp).get("Timestamp")
        if timestamp is not None:
            self.last_tsval = timestamp[0]
        if not track:
            self.dut.send(frame)
            return frame
        if tcp.seq == self.snd_nxt and not bits & FLAG_BITS["R"]:
            self.snd_nxt = seq_add(self.snd_nxt, len(payload) + bool(bits & FLAG_BITS["S"]) +
                                   bool(bits & FLAG_BITS["F"]))
        if bits & FLAG_BITS["A"]:
            self.acked = tcp.ack
        self.dut.send(frame)
        return frame

    def send_raw(self, segment: bytes, dst: str | None = None, dst_mac: str | None = None, **ip_fields):
        """Send TCP segment bytes (from build_segment) in an IP datagram from the peer. Nothing is tracked."""
        if self.family == 6:
            header = IPv6(src=self.ip, dst=dst or self.dut_ip, nh=6, **ip_fields)
        else:
            header = IP(src=self.ip, dst=dst or self.dut_ip, proto=6, **ip_fields)
        frame = Ether(src=self.mac, dst=dst_mac or self.dut.mac) / header / Raw(load=segment)
        self.dut.send(frame)
        return frame

    def build(self, flags="A", payload: bytes = b"", seq: int | None = None, ack: int | None = None,
              window: int | None = None, option_bytes: bytes = b"", **fields) -> bytes:
        """Segment bytes by hand (build_segment) with this connection's ports and tracked seq/ack."""
        bits = flag_bits(flags)
        if ack is None:
            ack = self.rcv_nxt if bits & FLAG_BITS["A"] else 0
        return build_segment(self.ip, fields.pop("dst", self.dut_ip), self.sport, self.dport,
                             self.snd_nxt if seq is None else seq, ack, bits,
                             self.window if window is None else window, option_bytes, payload, **fields)

    # ---- receiving ---------------------------------------------------------------------------------------

    def is_mine(self, frame) -> bool:
        """A TCP segment from the DUT to this peer's port (and from the DUT's port once known)."""
        tcp = tcp_of(frame)
        if tcp is None:
            return False
        ip = ip_of(frame)
        if ip.src != self.dut_ip or ip.dst != self.ip or tcp.dport != self.sport:
            return False
        return self.dport is None or tcp.sport == self.dport

    def check_segment(self, frame) -> None:
        """Checks every DUT segment must pass (MUST-2, MUST-65, MUST-68, MUST-69)."""
        tcp = frame[TCP]
        if not tcp_checksum_ok(frame):
            pytest.fail(f"DUT segment with a bad TCP checksum: {frame.summary()}", pytrace=False)
        problems = check_option_format(option_area(tcp), bool(tcp.flags & FLAG_BITS["S"]))
        if problems:
            pytest.fail(f"DUT segment {frame.summary()}: {'; '.join(problems)}", pytrace=False)
        if tcp.reserved:
            pytest.fail(f"DUT segment with reserved bits set ({tcp.reserved:#x}): {frame.summary()}", pytrace=False)

    def track(self, frame):
        """Update the tracked state from a DUT segment; returns its TCP layer."""
        tcp = frame[TCP]
        bits = int(tcp.flags)
        data = payload_of(tcp)
        options = options_of(tcp)
        if bits & FLAG_BITS["S"]:
            if self.dport is None:
                self.dport = tcp.sport
            self.dut_isn = tcp.seq
            self.rcv_nxt = seq_add(tcp.seq, 1)
            self.dut_mss = options.get("MSS")
            self.dut_wscale = options.get("WScale")
            self.dut_sack = bool(options.get("SAckOK"))
            self.dut_timestamps = "Timestamp" in options
            self.dut_window = tcp.window  # never scaled on SYN segments (RFC 7323 2.2)
            start = seq_add(tcp.seq, 1)
        else:
            start = tcp.seq
            if bits & FLAG_BITS["R"]:
                return tcp
            shift = self.dut_wscale if self.ws_enabled else 0
            self.dut_window = tcp.window << min(shift or 0, 14)
        self.dut_window_field = tcp.window
        if "Timestamp" in options:
            self.ts_recent = options["Timestamp"][0]
        offset = seq_diff(self.rcv_nxt, start)
        if data and 0 <= offset < len(data):
            fresh = data[offset:]
            self.received += fresh
            self.rcv_nxt = seq_add(self.rcv_nxt, len(fresh))
        if bits & FLAG_BITS["F"] and seq_add(start, len(data)) == self.rcv_nxt:
            self.rcv_nxt = seq_add(self.rcv_nxt, 1)
        return tcp

    def expect(self, flags=None, timeout_ms: int = 1000, predicate=None, skip: bool = False, what: str = ""):
        """The next segment the DUT sends on this connection (within timeout_ms), checked and tracked.

        flags: the exact flag set expected ("A", "SA", "FA", "R", "RA", "PA", ...), or None for any.
        predicate(tcp) -> bool: a further condition on the TCP layer.
        skip=False: the first segment of this connection must match, else the test fails (a wrong reply is
        an error, not something to wait past); skip=True: non-matching segments are consumed and ignored.
        Returns the TCP layer (its .underlayer is the IP header).
        """
        wanted = None if flags is None else flag_bits(flags)
        deadline = self.dut.now_ms + timeout_ms
        ignored = []
        while True:
            remaining = max(deadline - self.dut.now_ms, 0)
            frame = self.dut.expect(self.is_mine, timeout_ms=remaining,
                                    what=what or f"a TCP segment {flag_text(wanted) if wanted is not None else ''}"
                                    f" from {self.dut_ip}:{self.dport} to {self.ip}:{self.sport}" +
                                    (f" (after ignoring: {'; '.join(ignored)})" if ignored else ""))
            self.check_segment(frame)
            tcp = frame[TCP]
            ok = (wanted is None or int(tcp.flags) == wanted) and (predicate is None or predicate(tcp))
            if ok:
                self.track(frame)
                self.segments.append(frame)
                return tcp
            description = self.describe(tcp)
            if not skip:
                pytest.fail(f"expected a segment with flags {flag_text(wanted) if wanted is not None else 'any'}"
                            f"{' matching the predicate' if predicate else ''}, the DUT sent {description}",
                            pytrace=False)
            self.track(frame)
            ignored.append(description)

    def expect_silence(self, timeout_ms: int = 300, any_frame: bool = True):
        """Nothing from the DUT for timeout_ms (any frame, or only this connection's when any_frame=False)."""
        return self.dut.expect_silence(timeout_ms=timeout_ms, predicate=None if any_frame else self.is_mine)

    def collect(self, timeout_ms: int):
        """Every segment of this connection the DUT sends within timeout_ms (checked and tracked), in order."""
        out = []
        for frame in self.dut.receive(timeout_ms):
            if self.is_mine(frame):
                self.check_segment(frame)
                self.track(frame)
                self.segments.append(frame)
                out.append(frame[TCP])
        return out

    def watch(self, duration_ms: int, step_ms: int = 10, stop=None):
        """[(virtual ms, tcp)] for every segment of this connection the DUT sends within duration_ms, time
        stamped to step_ms; frames of other connections are consumed. stop(tcp) -> True ends early."""
        out = []
        end = self.dut.now_ms + duration_ms
        while self.dut.now_ms < end:
            for frame in self.dut.receive(min(step_ms, end - self.dut.now_ms)):
                if self.is_mine(frame):
                    self.check_segment(frame)
                    tcp = self.track(frame)
                    self.segments.append(frame)
                    out.append((self.dut.now_ms, tcp))
                    if stop is not None and stop(tcp):
                        return out
        return out

    def describe(self, tcp) -> str:
        data = payload_of(tcp)
        rel_seq = seq_diff(tcp.seq, self.dut_isn) if self.dut_isn is not None else tcp.seq
        return (f"[{flag_text(int(tcp.flags))}] seq={tcp.seq} (rel {rel_seq}) ack={tcp.ack} "
                f"(peer snd_nxt {self.snd_nxt}) win={tcp.window} len={len(data)} opts={options_of(tcp)}")

    def fill_dut_window(self, segment: int = 1000, timeout_ms: int = 600) -> int:
        """Send data until the DUT advertises a zero window (its application not reading); each segment's
        ACK is awaited (it may be delayed, < 0.5 s). Returns the bytes sent."""
        sent = 0
        for _ in range(1000):
            size = min(segment, self.dut_window)
            if size <= 0:
                return sent
            self.send("PA", bytes(size))
            sent += size
            ack = self.expect("A", timeout_ms=timeout_ms)
            assert ack.ack == self.snd_nxt, f"data not acknowledged: {self.describe(ack)}"
        pytest.fail("the DUT's window never closed", pytrace=False)

    # ---- handshakes --------------------------------------------------------------------------------------

    def check_syn_ack_options(self, tcp) -> None:
        """A SYN-ACK echoes only what our SYN offered (RFC 7323 1.3/2.2, RFC 2018 2)."""
        options = options_of(tcp)
        if self.wscale is None:
            assert "WScale" not in options, f"SYN-ACK has WScale though our SYN had none: {options}"
        if not self.sack:
            assert "SAckOK" not in options, f"SYN-ACK has SACK-permitted though our SYN had none: {options}"
        if not self.timestamps:
            assert "Timestamp" not in options, f"SYN-ACK has Timestamps though our SYN had none: {options}"
        else:
            ts = options.get("Timestamp")
            if ts is not None:
                assert ts[1] == self.last_syn_tsval, f"SYN-ACK TSecr {ts[1]} != our TSval {self.last_syn_tsval}"

    def send_syn(self, **fields):
        """Our SYN (seq = iss) with the configured options."""
        self.snd_nxt = self.iss
        frame = self.send("S", **fields)
        options = options_of(frame[TCP])
        self.last_syn_tsval = options.get("Timestamp", (None, None))[0]
        return frame

    def expect_syn_ack(self, timeout_ms: int = 1000):
        tcp = self.expect("SA", timeout_ms=timeout_ms)
        assert tcp.ack == seq_add(self.iss, 1), f"SYN-ACK acknowledges {tcp.ack}, expected ISS+1 = {self.iss + 1}"
        self.check_syn_ack_options(tcp)
        return tcp

    def handshake_to(self, listener, accept: bool = True):
        """The peer opens actively to a DUT listener: SYN, SYN-ACK (checked), ACK. Returns listener.accept()
        (the DUT's new socket, asserted not None) when accept is true, else None."""
        if self.dport is None:
            self.dport = listener.local[1]
        self.send_syn()
        self.expect_syn_ack()
        self.send("A")
        if not accept:
            return None
        sock = listener.accept()
        assert sock is not None, "handshake completed but listener.accept() returned None"
        assert sock.state == "ESTABLISHED", f"accepted socket in state {sock.state}"
        return sock

    def expect_syn(self, timeout_ms: int = 1000):
        """The DUT's SYN (active open); learns its port, ISN and options."""
        return self.expect("S", timeout_ms=timeout_ms)

    def handshake_from(self, sock, connect: bool = True, syn_ack_fields: dict | None = None, syn=None):
        """The DUT opens actively: sock.connect(peer ip, self.sport) (when connect), expect its SYN (unless
        `syn`, the SYN already received, is given), answer SYN-ACK, expect its ACK. Returns sock, asserted
        ESTABLISHED."""
        if connect:
            self.dport = None
            sock.connect(self.ip, self.sport)
        if syn is None:
            syn = self.expect_syn()
        options = options_of(syn)
        self.snd_nxt = self.iss
        fields = dict(syn_ack_fields or {})
        if self.timestamps and "Timestamp" not in options:
            fields.setdefault("options", self.syn_options_without_ts())
        self.send("SA", **fields)
        if self.wscale is not None and "WScale" not in options:
            pass  # ws_enabled stays false: the DUT did not offer it
        ack = self.expect("A")
        assert ack.ack == self.snd_nxt, f"handshake ACK acknowledges {ack.ack}, expected {self.snd_nxt}"
        assert sock.state == "ESTABLISHED", f"DUT socket in state {sock.state} after the handshake"
        return sock

    def syn_options_without_ts(self) -> list:
        saved = self.timestamps
        self.timestamps = False
        try:
            return self.syn_options()
        finally:
            self.timestamps = saved


# ---- bringing a DUT connection into each RFC 9293 state (3.3.2) ----------------------------------------------

DUT_PORT = 8080
PEER_PORT = 40000


def connect_with_lost_syn(dut, peer, tolerance_ms: int = 20):
    """The DUT connects to the peer; its first SYN is 'lost' (unanswered); its retransmission, 1 s later (the
    initial RTO, RFC 6298 2.1), is answered and the handshake completes. Returns the DUT's socket."""
    sock = dut.tcp_socket()
    sock.connect(peer.ip, peer.sport)
    first = peer.expect_syn()
    t = dut.now_ms
    again = peer.expect("S", timeout_ms=1000 + tolerance_ms)
    assert again.seq == first.seq and 1000 <= dut.now_ms - t <= 1000 + tolerance_ms
    peer.handshake_from(sock, connect=False, syn=again)
    return sock


def _wildcard(dut, peer_kwargs) -> str:
    """The wildcard address a listener binds to for the connection's family."""
    return "::" if (peer_kwargs.get("family") or getattr(dut, "family", 4)) == 6 else "0.0.0.0"


def bring_to_state(dut, state: str, passive: bool = False, sport: int = PEER_PORT, dport: int = DUT_PORT,
                   isn: int = 0x10000000, **peer_kwargs):
    """(peer, dut_socket) with a DUT connection in `state` (one of STATES).

    CLOSED        no socket at dport; dut_socket is a fresh socket never bound (its state is CLOSED).
    LISTEN        a socket listening on dport (backlog 4).
    SYN-SENT      dut_socket.connect(peer, sport); the DUT's SYN has been seen, not answered.
    SYN-RECEIVED  active (default): simultaneous open - the DUT connected, the peer's SYN crossed its SYN,
                  the DUT answered SYN-ACK (dut_socket.state is observable). passive=True: a listener got
                  the peer's SYN and sent SYN-ACK; dut_socket is the listener (the half-open connection has
                  no socket of its own yet).
    ESTABLISHED   active (default): the DUT connected and the peer completed the handshake (no listener
                  exists, so no SYN can start a new connection); passive=True: accepted from a listener.
    FIN-WAIT-1    ESTABLISHED, then dut_socket.shutdown("write"): the DUT's FIN seen, not acknowledged.
    FIN-WAIT-2    FIN-WAIT-1, then the peer acknowledges the FIN.
    CLOSE-WAIT    ESTABLISHED, then the peer's FIN, acknowledged by the DUT.
    CLOSING       FIN-WAIT-1, then the peer's FIN not acknowledging the DUT's FIN; the DUT acknowledges.
    LAST-ACK      CLOSE-WAIT, then dut_socket.shutdown("write"): the DUT's FIN seen, not acknowledged.
    TIME-WAIT     FIN-WAIT-2, then the peer's FIN, acknowledged by the DUT.
    The socket's state is asserted before returning; the DUT's output so far is consumed.
    """
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    if state == "CLOSED":
        peer = TcpPeer(dut, sport=sport, dport=dport, isn=isn, **peer_kwargs)
        peer.rcv_nxt = 0x20000000  # no connection: an arbitrary acknowledgment number
        return peer, dut.tcp_socket()
    if state == "LISTEN" or (state == "SYN-RECEIVED" and passive):
        listener = dut.tcp_socket()
        listener.bind(_wildcard(dut, peer_kwargs), dport)
        listener.listen(4)
        peer = TcpPeer(dut, sport=sport, dport=dport, isn=isn, **peer_kwargs)
        peer.rcv_nxt = 0x20000000  # no connection yet: an arbitrary acknowledgment number
        if state == "SYN-RECEIVED":
            peer.send_syn()
            peer.expect_syn_ack()
        assert listener.state == "LISTEN"
        return peer, listener
    if state == "ESTABLISHED" and passive:
        listener = dut.tcp_socket()
        listener.bind(_wildcard(dut, peer_kwargs), dport)
        listener.listen(4)
        peer = TcpPeer(dut, sport=sport, dport=dport, isn=isn, **peer_kwargs)
        sock = peer.handshake_to(listener)
        peer.listener = listener
        return peer, sock
    # The DUT opens actively to the peer's port `sport`; its own port is learned from its SYN.
    peer = TcpPeer(dut, sport=sport, dport=None, isn=isn, **peer_kwargs)
    sock = dut.tcp_socket()
    if state == "SYN-SENT":
        sock.connect(peer.ip, peer.sport)
        peer.expect_syn()
        assert sock.state == "SYN-SENT", sock.state
        return peer, sock
    if state == "SYN-RECEIVED":
        sock.connect(peer.ip, peer.sport)
        peer.expect_syn()
        peer.send_syn()
        synack = peer.expect("SA")
        assert synack.seq == peer.dut_isn, "simultaneous open: the SYN-ACK must reuse the ISS of the SYN"
        assert synack.ack == seq_add(peer.iss, 1)
        assert sock.state == "SYN-RECEIVED", sock.state
        return peer, sock
    peer.handshake_from(sock)
    if state == "ESTABLISHED":
        return peer, sock
    if state in ("FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "TIME-WAIT"):
        sock.shutdown("write")
        fin = peer.expect("FA")
        assert fin.seq == seq_add(peer.dut_isn, 1)
        assert sock.state == "FIN-WAIT-1", sock.state
        if state == "FIN-WAIT-1":
            return peer, sock
        if state == "CLOSING":
            peer.send("FA", ack=seq_add(peer.rcv_nxt, -1))  # our FIN, not acknowledging the DUT's FIN
            ack = peer.expect("A")
            assert ack.ack == peer.snd_nxt
            assert sock.state == "CLOSING", sock.state
            return peer, sock
        peer.send("A")
        peer.expect_silence(50)
        assert sock.state == "FIN-WAIT-2", sock.state
        if state == "FIN-WAIT-2":
            return peer, sock
        peer.send("FA")
        ack = peer.expect("A")
        assert ack.ack == peer.snd_nxt
        assert sock.state == "TIME-WAIT", sock.state
        return peer, sock
    # CLOSE-WAIT, LAST-ACK
    peer.send("FA")
    ack = peer.expect("A")
    assert ack.ack == peer.snd_nxt
    assert sock.state == "CLOSE-WAIT", sock.state
    if state == "CLOSE-WAIT":
        return peer, sock
    sock.shutdown("write")
    fin = peer.expect("FA")
    assert fin.ack == peer.snd_nxt
    assert sock.state == "LAST-ACK", sock.state
    return peer, sock
