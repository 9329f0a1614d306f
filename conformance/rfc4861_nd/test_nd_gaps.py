"""RFC 4861 details not covered elsewhere: the Router Solicitation from :: (4.1), Prefix Information and MTU
options outside Router Advertisements (4.6.2, 4.6.4), Neighbor Advertisement validation (7.1.2: length, fields
and options to ignore), solicited-node group changes with the address list (7.2.1), what the sender learns when
resolution fails (7.2.2), and the per-neighbour queue keeping a fragmented packet whole (7.2.2)."""
import pytest
from scapy.all import Ether, Raw, raw
from scapy.layers.inet6 import (
    UDP,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6MLReport2,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_Redirect,
    ICMPv6ND_RS,
    ICMPv6ND_RA,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6NDOptUnknown,
    IPv6,
    IPv6ExtHdrFragment,
    in6_chksum,
)

OTHER_IP = "2001:db8::5"
OTHER_MAC = "02:00:00:00:00:05"
ROUTER_LL = "fe80::1"
ROUTER_MAC = "02:00:00:00:00:01"
FAR = "2001:db8:99::9"
FOREIGN_PREFIX = "2001:db8:77::"
TO_IN, TO_EX = 3, 4


def foreign_options():
    """A Prefix Information option (L and A set, a prefix the DUT does not know) and an MTU option of 1400."""
    return (ICMPv6NDOptPrefixInfo(prefix=FOREIGN_PREFIX, prefixlen=64, L=1, A=1, validlifetime=3600,
                                  preferredlifetime=1800) / ICMPv6NDOptMTU(mtu=1400))


def echo_from(dut, src, mac, seq=1, dst=None):
    return Ether(src=mac, dst=dut.mac) / IPv6(src=src, dst=dst or dut.ip6) / ICMPv6EchoRequest(id=7, seq=seq)


def state_unchanged(dut, addresses):
    """The prefix list is empty, no address was formed, the link MTU is still the device's 1500."""
    assert dut.stack.nd.prefixes(dut.eth) == []
    assert sorted(a["address"] for a in dut.stack.ipv6.addresses(dut.eth)) == addresses
    assert dut.stack.ipv6.path_mtu(dut.peer_ip6) == 1500
    assert dut.stack.slaac.dad_in_progress(dut.eth) == []


def start_resolution(dut, seq=1):
    """An echo request from 2001:db8::5 whose reply needs address resolution: the entry is INCOMPLETE."""
    dut.send(echo_from(dut, OTHER_IP, OTHER_MAC, seq=seq))
    dut.expect(lambda f: ICMPv6ND_NS in f and f[ICMPv6ND_NS].tgt == OTHER_IP, timeout_ms=100)
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "INCOMPLETE"


def replies(frames):
    return [f for f in frames if ICMPv6EchoReply in f]


# ---- 4.6.2 / 4.6.4: Prefix Information and MTU options outside an RA ----------------------------------------


def _ns_with_options(dut):
    return (Ether(src=dut.peer_mac, dst="33:33:ff:00:00:02") / IPv6(src=dut.peer_ip6, dst="ff02::1:ff00:2", hlim=255)
            / ICMPv6ND_NS(tgt=dut.ip6) / ICMPv6NDOptSrcLLAddr(lladdr=dut.peer_mac) / foreign_options())


def _na_with_options(dut):
    return (Ether(src=OTHER_MAC, dst=dut.mac) / IPv6(src=OTHER_IP, dst=dut.ip6, hlim=255) /
            ICMPv6ND_NA(tgt=OTHER_IP, R=0, S=1, O=1) / foreign_options() / ICMPv6NDOptDstLLAddr(lladdr=OTHER_MAC))


def _redirect_with_options(dut):
    return (Ether(src=ROUTER_MAC, dst=dut.mac) / IPv6(src=ROUTER_LL, dst=dut.ll6, hlim=255) /
            ICMPv6ND_Redirect(tgt="fe80::99", dst=FAR) / foreign_options() /
            ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:99"))


def _rs_with_options(dut):
    # To the DUT's link-local (a host does not listen to ff02::2), so that it reaches Neighbor Discovery.
    return (Ether(src=dut.peer_mac, dst=dut.mac) / IPv6(src=dut.peer_ll6, dst=dut.ll6, hlim=255) /
            ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=dut.peer_mac) / foreign_options())


@pytest.mark.requirement("RFC4861:R4.6.2-elsewhere", "RFC4861:R4.6.4-elsewhere")
@pytest.mark.parametrize("kind", ["ns", "na", "redirect", "rs"])
def test_prefix_and_mtu_options_outside_ra_are_ignored(dut, kind):
    """Purpose: a Prefix Information option and an MTU option in an NS, NA, Redirect or RS change nothing, and
    the message carrying them is processed as without them.
    Setup: DUT with IPv6 (fe80::/64 link-local, 2001:db8::2/64); for the NA an INCOMPLETE entry for 2001:db8::5
    (an echo request from it awaits its reply); for the Redirect a default router fe80::1 (RA without options).
    Procedure: the message with a Prefix Information option (2001:db8:77::/64, L=1 A=1, valid 3600 s) and an MTU
    option (1400) before its own options: NS for 2001:db8::2 from 2001:db8::1; solicited NA for 2001:db8::5 with
    TLLA; Redirect of 2001:db8:99::9 to fe80::99 with TLLA; RS from fe80::1 to the DUT's link-local.
    Judgement: the prefix list stays empty, no address from 2001:db8:77::/64 (no DAD), the link MTU stays 1500;
    the NS is answered with an NA; the NA resolves the entry (REACHABLE) and releases the echo reply; the Redirect
    makes fe80::99 the next hop for 2001:db8:99::9; the RS is discarded as a host must (6.2.6, BadOperation).
    Reference: RFC 4861 4.6.2, 4.6.4 ("MUST be silently ignored" in other messages), 7.2.3, 7.2.5, 8.3, 6.2.6."""
    dut.enable_ipv6()
    before = sorted(a["address"] for a in dut.stack.ipv6.addresses(dut.eth))
    if kind == "ns":
        dut.send(_ns_with_options(dut))
        reply = dut.expect(lambda f: ICMPv6ND_NA in f, timeout_ms=100, what="the NA answering the NS")
        assert reply[ICMPv6ND_NA].tgt == dut.ip6 and reply[IPv6].dst == dut.peer_ip6
    elif kind == "na":
        start_resolution(dut)
        dut.send(_na_with_options(dut))
        assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "REACHABLE"
        out = replies(dut.receive(100))
        assert len(out) == 1 and out[0].dst == OTHER_MAC
    elif kind == "redirect":
        dut.send(Ether(src=ROUTER_MAC, dst="33:33:00:00:00:01") / IPv6(src=ROUTER_LL, dst="ff02::1", hlim=255) /
                 ICMPv6ND_RA(routerlifetime=1800) / ICMPv6NDOptSrcLLAddr(lladdr=ROUTER_MAC))
        dut.send(_redirect_with_options(dut))
        assert dut.stack.nd.next_hop(FAR)["next_hop"] == "fe80::99"
    else:
        dut.send(_rs_with_options(dut))
        dut.assert_dropped("nd", "BadOperation")
        dut.expect_silence(200)
    state_unchanged(dut, before)
    dut.advance(2000)  # no DAD probe or address appears later either
    state_unchanged(dut, before)


# ---- 7.1.2: NA validation --------------------------------------------------------------------------------------


def _short_na(dut, length):
    """An NA cut to `length` octets of ICMPv6 (the target incomplete), with a valid checksum."""
    body = bytearray(raw(ICMPv6ND_NA(tgt=OTHER_IP, R=0, S=1, O=1)))[:length]
    ip = IPv6(src=OTHER_IP, dst=dut.ip6, hlim=255, nh=58)
    body[2:4] = b"\x00\x00"
    body[2:4] = in6_chksum(58, ip, bytes(body)).to_bytes(2, "big")
    return Ether(src=OTHER_MAC, dst=dut.mac) / ip / Raw(bytes(body))


@pytest.mark.requirement("RFC4861:R7.1.2-length")
def test_short_advertisement_is_discarded(dut):
    """Purpose: an NA whose ICMP length is under 24 octets is discarded, whatever it would have said.
    Setup: DUT with IPv6; an INCOMPLETE entry for 2001:db8::5 holding an echo reply.
    Procedure: NAs from 2001:db8::5 of 20 and 23 octets (type 136, code 0, S=1 O=1, target truncated, valid
    checksum, hop limit 255); then a complete 24-octet NA with its TLLA (32 octets).
    Judgement: each short NA is counted (nd BadLength, 2 in all), the entry stays INCOMPLETE and nothing leaves;
    the complete NA resolves it and the echo reply leaves.
    Reference: RFC 4861 7.1.2 ("ICMP length (derived from the IP length) is 24 or more octets")."""
    dut.enable_ipv6()
    start_resolution(dut)
    dut.send(_short_na(dut, 20))
    dut.send(_short_na(dut, 23))
    dut.assert_dropped("nd", "BadLength", 2)
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "INCOMPLETE"
    dut.expect_silence(100, predicate=lambda f: ICMPv6EchoReply in f)
    dut.send(Ether(src=OTHER_MAC, dst=dut.mac) / IPv6(src=OTHER_IP, dst=dut.ip6, hlim=255) /
             ICMPv6ND_NA(tgt=OTHER_IP, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=OTHER_MAC))
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["state"] == "REACHABLE"
    assert len(replies(dut.receive(100))) == 1


@pytest.mark.requirement("RFC4861:R7.1.2-ignore")
def test_advertisement_ignores_reserved_and_unknown_options(dut):
    """Purpose: reserved bits, unrecognised options and options not defined for an NA (Prefix Information, MTU,
    Source Link-Layer Address) do not stop the NA from being processed.
    Setup: DUT with IPv6; an INCOMPLETE entry for 2001:db8::5 holding an echo reply.
    Procedure: a solicited NA (R=0 S=1 O=1, the 29 reserved bits all set) from 2001:db8::5 carrying, in order, an
    unknown option type 250 (8 octets), a Prefix Information option, an MTU option, a Source Link-Layer Address
    option (02:00:00:00:00:66) and the Target Link-Layer Address option 02:00:00:00:00:05.
    Judgement: the entry becomes REACHABLE with 02:00:00:00:00:05 (the TLLA, not the SLLA), IsRouter false; the echo
    reply leaves to 02:00:00:00:00:05; no nd drop is counted; prefix list and link MTU unchanged.
    Reference: RFC 4861 7.1.2 ("... MUST be ignored"), 4.6, 7.2.5."""
    dut.enable_ipv6()
    before = sorted(a["address"] for a in dut.stack.ipv6.addresses(dut.eth))
    start_resolution(dut)
    na = (Ether(src=OTHER_MAC, dst=dut.mac) / IPv6(src=OTHER_IP, dst=dut.ip6, hlim=255) /
          ICMPv6ND_NA(tgt=OTHER_IP, R=0, S=1, O=1, res=0x1FFFFFFF) /
          ICMPv6NDOptUnknown(type=250, len=1, data=b"\xaa" * 6) / foreign_options() /
          ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:66") / ICMPv6NDOptDstLLAddr(lladdr=OTHER_MAC))
    dut.send(na)
    entry = dut.stack.nd.neighbor(dut.eth, OTHER_IP)
    assert (entry["state"], entry["mac"], entry["router"]) == ("REACHABLE", OTHER_MAC, False)
    out = replies(dut.receive(100))
    assert len(out) == 1 and out[0].dst == OTHER_MAC
    assert dut.drop_changes().get("nd", {}) == {}
    state_unchanged(dut, before)


# ---- 7.2.1: solicited-node groups follow the address list ---------------------------------------------------


def _records(frames):
    out = []
    for f in frames:
        if ICMPv6MLReport2 in f:
            out += [(r.rtype, r.dst) for r in f[ICMPv6MLReport2].records]
    return out


@pytest.mark.requirement("RFC4861:R7.2.1-join-change")
def test_solicited_node_group_follows_address_changes(dut):
    """Purpose: adding an address joins its solicited-node multicast group, removing it leaves the group.
    Setup: DUT with IPv6 (2001:db8::2); set-up traffic done.
    Procedure: add 2001:db8::1:77/64 (preferred); watch 3 s; an NS for it to ff02::1:ff01:77; remove the address;
    watch 3 s; the same NS again.
    Judgement: after the add, MLDv2 reports carry CHANGE_TO_EXCLUDE(ff02::1:ff01:77) (the join; sent at once and
    repeated, RFC 3810 6.1), the group is listened to (stack.mld.groups) and the NS is answered with an NA for
    2001:db8::1:77; after the removal, reports carry CHANGE_TO_INCLUDE(ff02::1:ff01:77) with no sources (the leave),
    the group is gone and the NS is not answered. 2001:db8::2's group ff02::1:ff00:2 is untouched.
    Reference: RFC 4861 7.2.1; RFC 3810 6.1."""
    dut.enable_ipv6()
    address, group = "2001:db8::1:77", "ff02::1:ff01:77"
    assert dut.stack.ipv6.add_address(dut.eth, address, 64)
    joined = _records(dut.receive(3000))
    assert (TO_EX, group) in joined and all(dst == group for _, dst in joined), joined
    assert joined.count((TO_EX, group)) == 2
    assert group in dut.stack.mld.groups(dut.eth)
    solicitation = (Ether(src=dut.peer_mac, dst="33:33:ff:01:00:77") /
                    IPv6(src=dut.peer_ip6, dst=group, hlim=255) / ICMPv6ND_NS(tgt=address) /
                    ICMPv6NDOptSrcLLAddr(lladdr=dut.peer_mac))
    dut.send(solicitation)
    answer = dut.expect(lambda f: ICMPv6ND_NA in f, timeout_ms=100)
    assert answer[ICMPv6ND_NA].tgt == address
    assert dut.stack.ipv6.remove_address(dut.eth, address)
    left = _records(dut.receive(3000))
    assert left.count((TO_IN, group)) == 2 and all(dst == group for _, dst in left), left
    assert group not in dut.stack.mld.groups(dut.eth)
    assert "ff02::1:ff00:2" in dut.stack.mld.groups(dut.eth)
    dut.send(solicitation)
    dut.expect_silence(200, predicate=lambda f: ICMPv6ND_NA in f)


# ---- 7.2.2: resolution failure reaches the senders ------------------------------------------------------------


@pytest.mark.requirement("RFC4861:R7.2.2-failure", "RFC4861:R7.2.2-queue-fragments")
def test_resolution_failure_reported_to_each_udp_sender(dut):
    """Purpose: when address resolution fails, every packet queued for the neighbour is reported to the socket
    that sent it (Destination Unreachable, Address Unreachable, delivered inside the host).
    Setup: DUT with IPv6; UDP sockets A ([::]:7000) and B ([::]:7001); nobody answers for 2001:db8::5 (on-link).
    Procedure: A sends two datagrams and B one to [2001:db8::5]:9; wait 4 s.
    Judgement: exactly 3 NS for 2001:db8::5 leave (MAX_MULTICAST_SOLICIT), nothing else (no ICMPv6 on the wire);
    A's events are two ("Error", "Unreachable"), B's one; nd counts 3 Unresolved drops; the entry is gone and no
    packet stays queued.
    Reference: RFC 4861 7.2.2 ("... for each packet queued ... Destination Unreachable ... code 3")."""
    dut.enable_ipv6()
    a = dut.udp_socket()
    a.bind("::", 7000)
    b = dut.udp_socket()
    b.bind("::", 7001)
    a.sendto(b"one", (OTHER_IP, 9))
    a.sendto(b"two", (OTHER_IP, 9))
    b.sendto(b"three", (OTHER_IP, 9))
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["queued"] == 3
    assert a.events == [] and b.events == []
    out = dut.receive(4000)
    assert all(ICMPv6ND_NS in f and f[ICMPv6ND_NS].tgt == OTHER_IP for f in out), [f.summary() for f in out]
    assert len(out) == 3
    assert a.events == [("Error", "Unreachable")] * 2, a.events
    assert b.events == [("Error", "Unreachable")], b.events
    dut.assert_dropped("nd", "Unresolved", 3)
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP) is None
    assert dut.stack.nd.queued == 0


@pytest.mark.requirement("RFC4861:R7.2.2-failure")
def test_resolution_failure_is_a_soft_error_for_tcp_connect(dut):
    """Purpose: a TCP connect whose SYN waits for an address that never resolves learns it as a soft error and
    keeps trying (the transport decides; RFC 1122 4.2.3.9).
    Setup: DUT with IPv6; nobody answers for 2001:db8::5.
    Procedure: connect to [2001:db8::5]:80; wait 3.5 s.
    Judgement: NS for 2001:db8::5 at 0, 1000 and 2000 ms with no SYN on the wire (the SYN and its first
    retransmission wait in the queue: 2 packets at 2990 ms, soft_error still "Ok"); resolution fails at 3000 ms:
    both queued SYNs are counted Unresolved and soft_error is "Unreachable" while the socket is still SYN-SENT (not
    aborted); the next retransmission starts a new resolution (an NS at 3000 ms).
    Reference: RFC 4861 7.2.2; RFC 1122 4.2.3.9."""
    dut.enable_ipv6()
    sock = dut.tcp_socket()
    t0 = dut.now_ms
    sock.connect(OTHER_IP, 80)
    assert sock.soft_error == "Ok"
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["queued"] == 1
    dut.advance(2990)
    assert sock.soft_error == "Ok"
    queued = dut.stack.nd.neighbor(dut.eth, OTHER_IP)["queued"]
    assert queued == 2  # the SYN and its retransmission after the 1 s initial RTO
    dut.advance(500)
    out = [f for (t, d, f) in dut.log if d == "out"]
    times = [t - t0 for (t, d, f) in dut.log if d == "out" and ICMPv6ND_NS in f and f[ICMPv6ND_NS].tgt == OTHER_IP]
    # 3 NS, then resolution fails at 3000 ms; the next SYN retransmission (RTO 2 s) starts a new one.
    assert times == [0, 1000, 2000, 3000], times
    assert not any(IPv6 in f and f[IPv6].nh == 6 for f in out)
    assert sock.soft_error == "Unreachable"
    assert sock.state == "SYN-SENT"
    dut.assert_dropped("nd", "Unresolved", queued)


# ---- 7.2.2: the queue keeps a fragmented packet whole -----------------------------------------------------------


@pytest.mark.requirement("RFC4861:R7.2.2-queue-fragments", "RFC4861:R7.2.2-queue")
def test_fragments_queued_for_an_unresolved_neighbour_all_arrive(make_dut):
    """Purpose: every fragment of a datagram sent to an unresolved neighbour waits in the queue and leaves, in
    order, once the neighbour answers (a queue of one would lose all fragments but the last).
    Setup: a DUT with an MTU of 1280 and IPv6; nobody answers for 2001:db8::5 yet; a UDP socket on [::]:7000.
    Procedure: sendto 1,500 octets (two fragments at 1280, the most one pool frame holds) and then 10 octets to
    [2001:db8::5]:9 — three packets in the queue; then a solicited NA with TLLA 02:00:00:00:00:05.
    Judgement: before the NA only the NS leaves; after it exactly three IPv6 packets to 02:00:00:00:00:05: the two
    fragments (offsets 0 and 1232, M=1 then M=0, one Identification) and the small datagram; the fragments
    reassemble to the 1,500-octet datagram; no nd drop.
    Reference: RFC 4861 7.2.2 (a small queue, MAY hold more than one), 7.2.5; RFC 8200 4.5."""
    dut = make_dut(mtu=1280)
    dut.enable_ipv6()
    sock = dut.udp_socket()
    sock.bind("::", 7000)
    data = bytes((i * 7 + 3) & 0xFF for i in range(1500))
    sock.sendto(data, (OTHER_IP, 9))
    sock.sendto(b"afterwards", (OTHER_IP, 9))
    before = dut.receive(0)
    assert len(before) == 1 and ICMPv6ND_NS in before[0], [f.summary() for f in before]
    assert dut.stack.nd.neighbor(dut.eth, OTHER_IP)["queued"] == 3
    dut.send(Ether(src=OTHER_MAC, dst=dut.mac) / IPv6(src=OTHER_IP, dst=dut.ip6, hlim=255) /
             ICMPv6ND_NA(tgt=OTHER_IP, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=OTHER_MAC))
    out = [f for f in dut.receive(100) if IPv6 in f and f[IPv6].dst == OTHER_IP]
    assert len(out) == 3 and all(f.dst == OTHER_MAC for f in out), [f.summary() for f in out]
    first, second, small = out
    assert IPv6ExtHdrFragment in first and IPv6ExtHdrFragment in second
    f1, f2 = first[IPv6ExtHdrFragment], second[IPv6ExtHdrFragment]
    assert (f1.offset, f1.m, f2.m) == (0, 1, 0) and f1.id == f2.id
    assert f2.offset * 8 == len(raw(f1.payload))
    whole = raw(f1.payload) + raw(f2.payload)
    assert UDP(whole).dport == 9 and whole[8:] == data
    assert IPv6ExtHdrFragment not in small and bytes(small[UDP].payload) == b"afterwards"
    assert dut.drop_changes().get("nd", {}) == {}
    assert dut.stack.nd.queued == 0


# ---- 4.1: a Router Solicitation from the unspecified address -------------------------------------------------------


def _is_rs(frame):
    return ICMPv6ND_RS in frame


@pytest.mark.requirement("RFC4861:R4.1-slla-unspecified")
def test_router_solicitation_without_address_has_no_slla(dut):
    """Purpose: a Router Solicitation sent before the interface has any IPv6 address comes from :: and carries no
    Source Link-Layer Address option.
    Setup: DUT whose Ethernet device has no IPv6 address (IPv6 not configured).
    Procedure: start router solicitation on the device (stack.nd.start_router_solicitation); watch 10 s.
    Judgement: exactly 3 RS (MAX_RTR_SOLICITATIONS), 4 s apart (RTR_SOLICITATION_INTERVAL), the first within 1 s;
    each from :: to ff02::2 (33:33:00:00:00:02), hop limit 255, code 0, valid checksum, and no option at all.
    Reference: RFC 4861 4.1 ("MUST NOT be included if the Source Address is the unspecified address"), 6.3.7."""
    dut.require("nd")
    assert dut.stack.ipv6.addresses(dut.eth) == []
    t0 = dut.now_ms
    dut.stack.nd.start_router_solicitation(dut.eth)
    dut.receive(10_000)
    sent = [(t, f) for (t, d, f) in dut.log if d == "out" and _is_rs(f)]
    assert len(sent) == 3, [f.summary() for _, f in sent]
    times = [t - t0 for t, _ in sent]
    assert times[0] <= 1000 and [b - a for a, b in zip(times, times[1:])] == [4000, 4000], times
    for _, f in sent:
        assert f.dst == "33:33:00:00:00:02"
        assert (f[IPv6].src, f[IPv6].dst, f[IPv6].hlim) == ("::", "ff02::2", 255)
        rs = f[ICMPv6ND_RS]
        assert rs.code == 0 and len(raw(rs)) == 8, raw(rs).hex()
        assert ICMPv6NDOptSrcLLAddr not in f
        check = IPv6(raw(f[IPv6]))
        cksum = check[ICMPv6ND_RS].cksum
        del check[ICMPv6ND_RS].cksum
        assert IPv6(raw(check))[ICMPv6ND_RS].cksum == cksum


@pytest.mark.requirement("RFC4861:R4.1-slla-unspecified")
def test_router_solicitation_while_link_local_tentative_has_no_slla(dut):
    """Purpose: while the only address is tentative (DAD pending) it is not usable, so a Router Solicitation sent
    meanwhile comes from :: without a Source Link-Layer Address option; once the address is preferred the RS
    come from it with the option.
    Setup: DUT with fe80::2 added tentative (DAD runs, RetransTimer 1 s after a 0-1 s delay).
    Procedure: add the address and start router solicitation at once; watch 10 s.
    Judgement: 3 RS; every RS sent while fe80::2 was still tentative (judged from the stack's address state in
    the same 10 ms step) is from :: with no option, every later one from fe80::2 with SLLA = DUT MAC; the first RS
    (within 1 s, before DAD can end) is of the first kind.
    Reference: RFC 4861 4.1, 6.3.7; RFC 4862 5.4 (a tentative address is not used)."""
    dut.require("nd", "slaac")
    assert dut.stack.ipv6.add_address(dut.eth, "fe80::2", 64, state="tentative")
    dut.stack.nd.start_router_solicitation(dut.eth)
    seen = []
    for _ in range(1000):
        dut.advance(10)
        state = {a["address"]: a["state"] for a in dut.stack.ipv6.addresses(dut.eth)}["fe80::2"]
        seen += [(state, f) for f in dut.receive(0) if _is_rs(f)]
    assert len(seen) == 3
    assert seen[0][0] == "tentative"
    for state, f in seen:
        if state == "tentative":
            assert f[IPv6].src == "::" and ICMPv6NDOptSrcLLAddr not in f and len(raw(f[ICMPv6ND_RS])) == 8
        else:
            assert f[IPv6].src == "fe80::2" and f[ICMPv6NDOptSrcLLAddr].lladdr == dut.mac
