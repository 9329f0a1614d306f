"""MLDv2 source filters (RFC 3810 3, 4.2, 6.1, 6.3, 8.2.1): IPv6MulticastListen with INCLUDE and EXCLUDE
source lists through UDP sockets bound to [::] (picotcp.UdpSocket.set_filter / join_source_group / ...), the
merge of the sockets' requests into the interface state, the state-change records that report it (TO_EX/TO_IN
on a filter mode change, ALLOW/BLOCK on a source list change), current-state answers with sources, and MLDv1
compatibility mode, where source lists are ignored. The test plays the querier; the DUT's solicited-node
address (which it also listens to) is left out where records are judged."""
import pytest
from scapy.layers.inet6 import ICMPv6MLDone, ICMPv6MLReport, IPv6

from mld_peer import (ALL_ROUTERS, G1, MLDV2_ROUTERS, S1, S2, S3, assert_ip_header, canon, is_mld, records,
                      send_query, solicited_node, v1_query, v2_query)

IS_IN, IS_EX, TO_IN, TO_EX, ALLOW, BLOCK = 1, 2, 3, 4, 5, 6
PORT = 5000


@pytest.fixture
def v6dut(dut):
    dut.enable_ipv6()
    dut.sn = solicited_node(dut.ip6)
    return dut


def mld_out(dut, ms):
    """The MLD frames the DUT sends within `ms`."""
    out = []
    for _ in range(ms // 10):
        out += [f for f in dut.receive(timeout_ms=10) if is_mld(f)]
    return out


def norm(rs):
    return [(t, canon(g), sorted(canon(x) for x in s)) for t, g, s in rs]


def recs(dut, frame):
    return norm(records(frame, skip=(dut.sn,)))


def state(dut, group=G1):
    f = dut.stack.mld.filter(dut.eth, group)
    return None if f is None else (f[0], sorted(canon(x) for x in f[1]))


def socket(dut):
    s = dut.udp_socket()
    s.set_option("ReuseAddress", 1)  # several receivers on one port
    s.bind("::", PORT)
    return s


def change(dut, action, expected):
    """Runs `action`; the report sent at once holds exactly `expected` records, and so does its single
    retransmission within the Unsolicited Report Interval (1 s); nothing else for 3 s."""
    action()
    now = [f for f in dut.receive() if is_mld(f)]
    assert len(now) == 1, [f.summary() for f in now]
    assert_ip_header(now[0], MLDV2_ROUTERS, dut)
    assert recs(dut, now[0]) == norm(expected)
    later = mld_out(dut, 3000)
    assert len(later) == 1, [f.summary() for f in later]
    assert recs(dut, later[0]) == norm(expected)


def no_change(dut, action):
    action()
    assert mld_out(dut, 3000) == []


@pytest.mark.requirement("RFC3810:R3-listen", "RFC3810:R4.2-merge-include", "RFC3810:R4.2-merge-exclude",
                         "RFC3810:R6.1-source-change", "RFC3810:R6.1-filter-mode-change", "RFC3810:R3-socket-close",
                         "RFC3810:R4-interface-state")
def test_sockets_filters_merge_into_interface_state(v6dut):
    """
    Purpose: IPv6MulticastListen with INCLUDE and EXCLUDE source lists on several sockets is merged into one
        interface state (any EXCLUDE: EXCLUDE(intersection of the EXCLUDE lists minus the INCLUDE sources);
        else INCLUDE(union)), and each change is reported with the records of RFC 3810 6.1.
    Setup: DUT with IPv6 (fe80:: link-local, 2001:db8::2); four UDP sockets a, b, c, d bound to [::]:5000.
    Procedure and Judgement (S1..S3 = 2001:db8::9, ::10, ::11; address ff0e::1:3; each report checked at once
        and its single retransmission within 1 s; "silence" = no MLD for 3 s):
        a INCLUDE(S1) -> ALLOW(S1); b INCLUDE(S2) -> INCLUDE({S1,S2}): ALLOW(S2);
        c EXCLUDE(S1,S3) -> EXCLUDE({S3}): TO_EX(S3); d EXCLUDE(S2,S3) -> unchanged: silence;
        c closes, a closes -> unchanged: silence; b closes -> EXCLUDE({S2,S3}): BLOCK(S2);
        d leaves -> TO_IN({}). stack.mld.filter shows the interface state after each step.
    Reference: RFC 3810 3, 4.2, 6.1.
    """
    dut = v6dut
    a, b, c, d = (socket(dut) for _ in range(4))
    change(dut, lambda: a.set_filter(dut.eth, G1, "include", [S1]), [(ALLOW, G1, [S1])])
    assert state(dut) == ("include", [canon(S1)])
    change(dut, lambda: b.set_filter(dut.eth, G1, "include", [S2]), [(ALLOW, G1, [S2])])
    assert state(dut) == ("include", sorted([canon(S1), canon(S2)]))
    change(dut, lambda: c.set_filter(dut.eth, G1, "exclude", [S1, S3]), [(TO_EX, G1, [S3])])
    assert state(dut) == ("exclude", [canon(S3)])
    no_change(dut, lambda: d.set_filter(dut.eth, G1, "exclude", [S2, S3]))
    no_change(dut, c.close)
    no_change(dut, a.close)
    change(dut, b.close, [(BLOCK, G1, [S2])])
    assert state(dut) == ("exclude", sorted([canon(S2), canon(S3)]))
    change(dut, lambda: d.set_filter(dut.eth, G1, "include", []), [(TO_IN, G1, [])])
    assert state(dut) is None
    assert canon(G1) not in [canon(g) for g in dut.stack.mld.groups(dut.eth)]


@pytest.mark.requirement("RFC3810:R6.1-source-change", "RFC3810:R6.1-filter-mode-change", "RFC3810:R6.1-merge",
                         "RFC3810:R3-listen")
def test_rfc3678_calls_and_pending_merge(v6dut):
    """
    Purpose: the RFC 3678 style calls produce the RFC 3810 6.1 records, and a change while the previous one
        is still retransmitted is merged into it (the whole pending change is sent, count restarted).
    Setup: DUT with IPv6; one UDP socket bound to [::]:5000.
    Procedure and Judgement: join_source_group(S1) -> ALLOW(S1); at once join_source_group(S2) ->
        ALLOW(S1,S2); at once leave_source_group(S1) -> ALLOW(S2)+BLOCK(S1), retransmitted once within 1 s;
        leave_source_group(S2) -> BLOCK(S2); join_group -> TO_EX({}); block_source(S1) -> BLOCK(S1);
        unblock_source(S1) -> ALLOW(S1); leave_group -> TO_IN({}).
    Reference: RFC 3810 3, 6.1; RFC 3678 4.1.
    """
    dut = v6dut
    s = socket(dut)
    e = dut.eth
    steps = [(lambda: s.join_source_group(e, G1, S1), [(ALLOW, G1, [S1])]),
             (lambda: s.join_source_group(e, G1, S2), [(ALLOW, G1, [S1, S2])]),
             (lambda: s.leave_source_group(e, G1, S1), [(ALLOW, G1, [S2]), (BLOCK, G1, [S1])])]
    for action, expected in steps:
        action()
        now = [f for f in dut.receive() if is_mld(f)]
        assert len(now) == 1 and recs(dut, now[0]) == norm(expected), [recs(dut, f) for f in now]
    later = mld_out(dut, 3000)
    assert len(later) == 1 and recs(dut, later[0]) == norm([(ALLOW, G1, [S2]), (BLOCK, G1, [S1])])
    change(dut, lambda: s.leave_source_group(e, G1, S2), [(BLOCK, G1, [S2])])
    assert s.get_filter(e, G1) is None
    change(dut, lambda: s.join_group(e, G1), [(TO_EX, G1, [])])
    change(dut, lambda: s.block_source(e, G1, S1), [(BLOCK, G1, [S1])])
    mode, sources = s.get_filter(e, G1)
    assert (mode, [canon(x) for x in sources]) == ("exclude", [canon(S1)])
    change(dut, lambda: s.unblock_source(e, G1, S1), [(ALLOW, G1, [S1])])
    change(dut, lambda: s.leave_group(e, G1), [(TO_IN, G1, [])])


def answer(dut, query, **kw):
    """The MLD frames sent within 1.1 s of a query with Maximum Response Delay 1 s."""
    send_query(dut, query, **kw)
    return mld_out(dut, 1100)


@pytest.mark.requirement("RFC3810:R6.3-source-report", "RFC3810:R6.3-general-report")
def test_current_state_answers_with_sources(v6dut):
    """
    Purpose: Current State Records carry the filter: IS_IN(A) / IS_EX(X) to general and address-specific
        queries; to an address-and-source-specific query with sources B, IS_IN(A*B) for INCLUDE(A) and
        IS_IN(B-X) for EXCLUDE(X), nothing when that set is empty.
    Setup: DUT with IPv6; socket a INCLUDE(S1,S2) on ff0e::1:3, settled.
    Procedure and Judgement (queries with Maximum Response Delay 1000 ms to ff0e::1:3, answers within 1.1 s):
        B={S2,S3} -> IS_IN(S2); B={S3} -> nothing; address query -> IS_IN(S1,S2); then socket b EXCLUDE(S3)
        (interface EXCLUDE({S3})): B={S1,S3} -> IS_IN(S1); B={S3} -> nothing; General Query (to ff02::1) ->
        one report whose record for ff0e::1:3 is IS_EX(S3); address query -> IS_EX(S3).
    Reference: RFC 3810 6.3.
    """
    dut = v6dut
    a, b = socket(dut), socket(dut)
    a.set_filter(dut.eth, G1, "include", [S1, S2])
    mld_out(dut, 3000)
    out = answer(dut, v2_query(G1, mrd=1000, sources=[S2, S3]), dst=G1)
    assert [recs(dut, f) for f in out] == [norm([(IS_IN, G1, [S2])])]
    assert answer(dut, v2_query(G1, mrd=1000, sources=[S3]), dst=G1) == []
    out = answer(dut, v2_query(G1, mrd=1000), dst=G1)
    assert [recs(dut, f) for f in out] == [norm([(IS_IN, G1, [S1, S2])])]
    b.set_filter(dut.eth, G1, "exclude", [S3])
    mld_out(dut, 3000)
    out = answer(dut, v2_query(G1, mrd=1000, sources=[S1, S3]), dst=G1)
    assert [recs(dut, f) for f in out] == [norm([(IS_IN, G1, [S1])])]
    assert answer(dut, v2_query(G1, mrd=1000, sources=[S3]), dst=G1) == []
    out = answer(dut, v2_query(mrd=1000))
    assert [recs(dut, f) for f in out] == [norm([(IS_EX, G1, [S3])])]
    out = answer(dut, v2_query(G1, mrd=1000), dst=G1)
    assert [recs(dut, f) for f in out] == [norm([(IS_EX, G1, [S3])])]


@pytest.mark.requirement("RFC3810:R8.2.1-ignore-sources", "RFC3810:R8.2.1-compat")
def test_mldv1_mode_ignores_source_lists(v6dut):
    """
    Purpose: in MLDv1 compatibility mode source lists are ignored: the first listening state of an address
        is reported with an MLDv1 Report, source changes send nothing, the change to INCLUDE({}) sends Done.
    Setup: DUT with IPv6; an MLDv1 General Query heard (Maximum Response Delay 1000 ms): MLDv1 mode.
    Procedure: socket a join_source_group(ff0e::1:3, S1); join_source_group(S2); leave_source_group(S1);
        close a.
    Judgement: an MLDv1 Report (type 131) to ff0e::1:3 at once; nothing for the two source changes (after
        the report's repetition); a Done (type 132) to ff02::2 on close.
    Reference: RFC 3810 8.2.1; RFC 2710 4.
    """
    dut = v6dut
    send_query(dut, v1_query(mrd=1000))
    mld_out(dut, 1100)
    assert dut.stack.mld.version(dut.eth) == 1
    a = socket(dut)
    a.join_source_group(dut.eth, G1, S1)
    now = [f for f in dut.receive() if is_mld(f)]
    assert len(now) == 1 and ICMPv6MLReport in now[0], [f.summary() for f in now]
    assert canon(now[0][IPv6].dst) == canon(G1) and canon(now[0][ICMPv6MLReport].mladdr) == canon(G1)
    mld_out(dut, 11000)  # the repetition, within the 10 s Unsolicited Report Interval of MLDv1
    a.join_source_group(dut.eth, G1, S2)
    a.leave_source_group(dut.eth, G1, S1)
    assert mld_out(dut, 3000) == []
    a.close()
    now = [f for f in dut.receive() if is_mld(f)]
    assert len(now) == 1 and ICMPv6MLDone in now[0], [f.summary() for f in now]
    assert canon(now[0][IPv6].dst) == canon(ALL_ROUTERS)
