"""UDP multicast reception with source filters, over IPv4 (IGMPv3, RFC 3376) and IPv6 (MLDv2, RFC 3810): a
socket receives a datagram sent to a group only if it joined the group on the arrival interface and its filter
admits the source; closing a socket leaves its groups (reported on the wire). Each scenario runs over both
families (the `family` fixture of this folder)."""
import pytest
from scapy.all import IP, UDP, Ether, IPv6, Raw
from scapy.contrib.igmpv3 import IGMPv3
from scapy.layers.inet6 import ICMPv6MLDMultAddrRec, ICMPv6MLReport2

pytestmark = pytest.mark.families(4, 6)

PORT = 5000
TO_IN, TO_EX, ALLOW, BLOCK = 3, 4, 5, 6


def group(dut):
    return "ff0e::1:3" if dut.v6 else "239.1.2.3"


def group_mac(dut):
    if dut.v6:
        return "33:33:00:01:00:03"
    return "01:00:5e:01:02:03"


def to_group(dut, source, payload):
    ip = IPv6(src=source, dst=group(dut), hlim=1) if dut.v6 else IP(src=source, dst=group(dut), ttl=1)
    return Ether(src=dut.peer_mac, dst=group_mac(dut)) / ip / UDP(sport=4000, dport=PORT) / Raw(payload)


def reports(dut, frames):
    """[(record type, group, sorted sources)] of the first record of each IGMPv3 / MLDv2 report in `frames`
    about the scenario's group."""
    out = []
    for f in frames:
        if dut.v6 and ICMPv6MLReport2 in f and ICMPv6MLDMultAddrRec in f:
            r = f[ICMPv6MLDMultAddrRec]
            if r.dst == group(dut):
                out.append((r.rtype, r.dst, sorted(r.sources)))
        elif not dut.v6 and IP in f and f[IP].proto == 2:
            data = bytes(f[IP])[f[IP].ihl * 4:f[IP].len]
            if data[0] == 0x22:
                r = IGMPv3(data).records[0]
                if r.maddr == group(dut):
                    out.append((r.rtype, r.maddr, sorted(r.srcaddrs)))
    return out


def bound(dut):
    s = dut.udp_socket()
    s.set_option("ReuseAddress", 1)  # several receivers on one port
    s.bind(dut.wildcard, PORT)
    return s


@pytest.mark.requirement("RFC3376:R3.1-socket-filter", "RFC3810:R3-socket-filter", "RFC3376:R3.1-socket-close",
                         "RFC3810:R3-socket-close", "RFC3376:R3-listen", "RFC3810:R3-listen")
def test_include_and_exclude_sockets_on_one_port(dut, family):
    """
    Purpose: two sockets on one port, one joined with INCLUDE(S1), the other with EXCLUDE(S1): a datagram to
        the group from S1 reaches only the first, one from S2 only the second; a third socket on the port that
        never joined receives neither. Closing the sockets leaves the group, which is reported.
    Setup: DUT (IPv4 198.18.0.2/24, or IPv6 2001:db8::2/64); sockets a, b, c bound to the wildcard, port 5000;
        group 239.1.2.3 / ff0e::1:3; S1 = 198.18.0.9 / 2001:db8::9, S2 = 198.18.0.10 / 2001:db8::a.
    Procedure: a.join_source_group(S1); b.set_filter("exclude", [S1]); send a datagram to the group from S1,
        then one from S2; close b; send another from S2; close a.
    Judgement: a holds exactly the S1 datagram, b exactly the S2 one, c nothing. After b closes the interface
        state is INCLUDE({S1}) (report TO_IN(S1)) and the next S2 datagram is dropped (udp MulticastFiltered
        1, no ICMP error); after a closes, BLOCK(S1) is reported and the group is no longer joined.
    Reference: RFC 3376 3.1, 3.2; RFC 3810 3, 4.2; RFC 1122 3.2.2 (no ICMP error about multicast).
    """
    s1, s2 = dut.other_addr(9), dut.other_addr(10)
    g = group(dut)
    a, b, c = bound(dut), bound(dut), bound(dut)
    a.join_source_group(dut.eth, g, s1)
    b.set_filter(dut.eth, g, "exclude", [s1])
    dut.receive(timeout_ms=3000)
    dut.send(to_group(dut, s1, b"from-s1"))
    dut.send(to_group(dut, s2, b"from-s2"))
    got_a = a.recvfrom()
    got_b = b.recvfrom()
    assert got_a is not None and got_a[0] == b"from-s1" and got_a[1] == (s1, 4000), got_a
    assert got_b is not None and got_b[0] == b"from-s2" and got_b[1] == (s2, 4000), got_b
    assert a.recvfrom() is None and b.recvfrom() is None and c.recvfrom() is None

    b.close()
    assert reports(dut, dut.receive()) == [(TO_IN, g, [s1])]
    dut.receive(timeout_ms=3000)
    dut.send(to_group(dut, s2, b"again"))
    assert a.recvfrom() is None and c.recvfrom() is None
    dut.assert_dropped("udp", "MulticastFiltered", 1)
    dut.expect_silence(timeout_ms=500)
    a.close()
    assert reports(dut, dut.receive()) == [(BLOCK, g, [s1])]
    api = dut.stack.mld if dut.v6 else dut.stack.igmp
    assert api.filter(dut.eth, g) is None


@pytest.mark.requirement("RFC3376:R3.1-socket-filter", "RFC3810:R3-socket-filter")
def test_membership_is_per_interface_and_group(dut, family):
    """
    Purpose: a socket's membership admits only its group: a socket bound to the port that joined another
        group does not receive this group's datagrams, and a datagram no socket admits is counted
        MulticastFiltered; an any-source join (join_group) admits every source.
    Setup: DUT of the family; socket a bound to the wildcard, port 5000, joined to the scenario's group for
        any source; socket b bound to the same port, joined to another group (239.1.2.4 / ff0e::1:4).
    Procedure: datagrams to the scenario's group from S1 and S2; a datagram to the other group from S1 (the
        DUT listens to it: b joined); a leaves; a datagram to the scenario's group from S1.
    Judgement: a receives both datagrams of its group, b only the one to its group; after a leaves, the group
        is not joined at all (IP drops it before UDP), so nothing arrives and no ICMP error is sent.
    Reference: RFC 3376 3.1; RFC 3810 3.
    """
    s1, s2 = dut.other_addr(9), dut.other_addr(10)
    g = group(dut)
    other = "ff0e::1:4" if dut.v6 else "239.1.2.4"
    other_mac = "33:33:00:01:00:04" if dut.v6 else "01:00:5e:01:02:04"
    a, b = bound(dut), bound(dut)
    a.join_group(dut.eth, g)
    b.join_group(dut.eth, other)
    dut.receive(timeout_ms=3000)
    dut.send(to_group(dut, s1, b"one"))
    dut.send(to_group(dut, s2, b"two"))
    f = to_group(dut, s1, b"other")
    f[Ether].dst = other_mac
    if dut.v6:
        f[IPv6].dst = other
    else:
        f[IP].dst = other
    dut.send(f)
    assert [a.recvfrom()[0], a.recvfrom()[0], a.recvfrom()] == [b"one", b"two", None]
    got = b.recvfrom()
    assert got is not None and got[0] == b"other" and b.recvfrom() is None
    a.leave_group(dut.eth, g)
    dut.receive(timeout_ms=3000)
    dut.send(to_group(dut, s1, b"late"))
    assert a.recvfrom() is None and b.recvfrom() is None
    dut.expect_silence(timeout_ms=500)
