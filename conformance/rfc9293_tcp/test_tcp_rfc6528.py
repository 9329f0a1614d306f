"""RFC 6528 (Defending against Sequence Number Attacks): the DUT's ISNs are reproduced exactly from the
formula ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M the 4-microsecond clock and
F SipHash-2-4 keyed by 128 bits that come from the platform's random source. The in-process DUT runs on the
deterministic virtual platform (port/virtual_platform.hpp: xoshiro256** seeded by splitmix64), so the test
can regenerate that random stream and find the key in it; on a real port the same bits come from the
platform's random generator. (The clock term and unpredictability across connections are in
test_tcp_handshake.py: test_isn_is_clock_driven, test_isn_differs_nonlinearly_across_connections.)

Every scenario runs over IPv4 and IPv6 (conftest.py: ids "ipv4"/"ipv6") unless marked ipv4_only."""

import ipaddress
import struct

import pytest

from harness.dut import Dut
from harness.tcp_peer import DUT_PORT, PEER_PORT, TcpPeer

MASK64 = (1 << 64) - 1
MOD = 1 << 32


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK64


def siphash24(key: bytes, data: bytes) -> int:
    """SipHash-2-4 (Aumasson & Bernstein 2012, the reference algorithm)."""
    k0, k1 = struct.unpack("<QQ", key)
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573

    def rounds(n):
        nonlocal v0, v1, v2, v3
        for _ in range(n):
            v0 = (v0 + v1) & MASK64
            v1 = rotl(v1, 13) ^ v0
            v0 = rotl(v0, 32)
            v2 = (v2 + v3) & MASK64
            v3 = rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & MASK64
            v3 = rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & MASK64
            v1 = rotl(v1, 17) ^ v2
            v2 = rotl(v2, 32)

    whole = len(data) - len(data) % 8
    words = [struct.unpack("<Q", data[i:i + 8])[0] for i in range(0, whole, 8)]
    words.append(int.from_bytes(data[whole:], "little") | ((len(data) & 0xFF) << 56))
    for m in words:
        v3 ^= m
        rounds(2)
        v0 ^= m
    v2 ^= 0xFF
    rounds(4)
    return v0 ^ v1 ^ v2 ^ v3


def random_words(seed: int, count: int) -> list[int]:
    """The first `count` 64-bit outputs of the virtual platform's generator (xoshiro256** seeded by
    splitmix64); each random_bytes() call takes fresh words, little-endian."""
    state = []
    for _ in range(4):
        seed = (seed + 0x9E3779B97F4A7C15) & MASK64
        z = seed
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        state.append(z ^ (z >> 31))
    out = []
    for _ in range(count):
        s0, s1, s2, s3 = state
        out.append((rotl((s1 * 5) & MASK64, 7) * 9) & MASK64)
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        state = [s0, s1, s2, s3]
    return out


def message(local_ip, local_port, remote_ip, remote_port) -> bytes:
    """The SipHash message: local address (4 or 16 bytes), port, remote address, port (network order)."""
    return (ipaddress.ip_address(local_ip).packed + struct.pack("!H", local_port) +
            ipaddress.ip_address(remote_ip).packed + struct.pack("!H", remote_port))


def isn(key, now_ms, *tuple4) -> int:
    """RFC 6528 3: M (one tick per 4 us: 250 per ms) + F (the low 32 bits of SipHash-2-4)."""
    return (now_ms * 250 + siphash24(key, message(*tuple4))) % MOD


def find_key(seed, now_ms, observed, *tuple4, search=4096):
    """The 128-bit key (two consecutive words of the platform's random stream) that explains `observed`."""
    words = random_words(seed, search + 1)
    found = [k for k in range(search)
             if isn(struct.pack("<QQ", words[k], words[k + 1]), now_ms, *tuple4) == observed]
    assert len(found) == 1, f"no unique 128-bit key from the platform's random stream explains ISN {observed}"
    return struct.pack("<QQ", words[found[0]], words[found[0] + 1])


def passive_isn(dut, sport):
    """The ISN of the DUT's SYN-ACK to a SYN from the peer's port `sport`, and the virtual time it was chosen.
    The half-open connection is then reset (RST at the peer's ISN + 1), so the 4-tuple can be used again."""
    peer = TcpPeer(dut, sport=sport)
    at = dut.now_ms
    peer.send_syn()
    chosen = peer.expect_syn_ack().seq
    peer.send("R", seq=peer.snd_nxt, ack=0, track=False)
    return chosen, at


def test_siphash_reference_vectors():
    """
    Purpose: the test's own SipHash-2-4 agrees with the reference implementation (so the judgement below
        rests on the real function).
    Setup: none (no DUT).
    Procedure: hash the empty message and the bytes 00..0e with the key 00..0f.
    Judgement: 0x726fdb47dd0e0e31 and 0xa129ca6149be45e5, the first and last of the reference vectors
        (vectors.h of the SipHash reference code, read as little-endian words).
    Reference: Aumasson & Bernstein, "SipHash: a fast short-input PRF" (2012), appendix A.
    """
    key = bytes(range(16))
    assert siphash24(key, b"") == 0x726FDB47DD0E0E31
    assert siphash24(key, bytes(range(15))) == 0xA129CA6149BE45E5


@pytest.mark.requirement("RFC6528:R3", "RFC6528:R4", "RFC6528:R1")
@pytest.mark.stack_choice("the ISN function (SipHash of the 4-tuple with a key from the platform's random "
                          "stream) is this stack's; RFC 6528 leaves F() to the implementation")
def test_isn_is_siphash_of_tuple_with_random_128_bit_key(dut, tmp_path):
    """
    Purpose: the ISN generator is M + F(4-tuple, key) with F = SipHash-2-4 and a 128-bit secret key drawn
        from the platform's random source (per host: another random seed gives another key).
    Setup: fresh DUT (virtual platform seed 1), listener on 8080; a second DUT with seed 2.
    Procedure: the peer (port 40000) sends a SYN at time t1 and the ISN of the SYN-ACK is noted (each
        half-open connection is reset at once, so its 4-tuple can be reused); the key is searched among the
        128-bit windows (two consecutive 64-bit words) of the seed-1 random stream. With that key the ISNs
        of a SYN from port 40001 at t1, one from port 40002 at t1 + 7 ms, one from port 40002 again
        10 000 ms later, and the DUT's own SYN (connect() to port 40003 from an ephemeral port) are
        predicted. Likewise on the seed-2 DUT (key from the seed-2 stream, then a second connection).
    Judgement: exactly one key of the stream explains the first ISN; every later ISN equals the prediction
        exactly (M: 250 per millisecond; F: low 32 bits of SipHash-2-4 over local address, local port,
        remote address, remote port, in network order); the seed-2 key differs from the seed-1 key and
        predicts the seed-2 DUT's second ISN.
    Reference: RFC 6528 3 ("ISN = M + F(localip, localport, remoteip, remoteport, secretkey)"; F "could be
        implemented as a cryptographic hash of the concatenation of the TCP connection parameters and some
        secret data"; the secret of a reasonable length, a random or per-host secret).
    """
    listener = dut.tcp_socket()
    listener.bind(dut.wildcard, DUT_PORT)
    listener.listen(8)
    first, t1 = passive_isn(dut, PEER_PORT)
    key = find_key(1, t1, first, dut.addr, DUT_PORT, dut.peer_addr, PEER_PORT)
    second, t2 = passive_isn(dut, PEER_PORT + 1)
    assert second == isn(key, t2, dut.addr, DUT_PORT, dut.peer_addr, PEER_PORT + 1)
    dut.advance(7)
    third, t3 = passive_isn(dut, PEER_PORT + 2)
    dut.advance(10_000)
    fourth, t4 = passive_isn(dut, PEER_PORT + 2)
    assert third == isn(key, t3, dut.addr, DUT_PORT, dut.peer_addr, PEER_PORT + 2)
    assert fourth == isn(key, t4, dut.addr, DUT_PORT, dut.peer_addr, PEER_PORT + 2)
    assert (fourth - third) % MOD == 250 * (t4 - t3)
    sock = dut.tcp_socket()
    active = TcpPeer(dut, sport=PEER_PORT + 3, dport=None)
    at = dut.now_ms
    sock.connect(dut.peer_addr, PEER_PORT + 3)
    syn = active.expect_syn()
    assert syn.seq == isn(key, at, dut.addr, syn.sport, dut.peer_addr, PEER_PORT + 3)

    other = Dut(capture=tmp_path / "seed2.pcap", seed=2)
    try:
        other.use_family(dut.family)
        other_listener = other.tcp_socket()
        other_listener.bind(other.wildcard, DUT_PORT)
        other_listener.listen(8)
        o_first, o_t1 = passive_isn(other, PEER_PORT)
        other_key = find_key(2, o_t1, o_first, other.addr, DUT_PORT, other.peer_addr, PEER_PORT)
        assert other_key != key
        o_second, o_t2 = passive_isn(other, PEER_PORT + 5)
        assert o_second == isn(other_key, o_t2, other.addr, DUT_PORT, other.peer_addr, PEER_PORT + 5)
    finally:
        other.close()
