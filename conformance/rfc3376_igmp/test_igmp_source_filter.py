"""IGMPv3 source filters (RFC 3376 3, 3.2, 5.1, 5.2, 7.2.1): IPMulticastListen with INCLUDE and EXCLUDE source
lists through UDP sockets (picotcp.UdpSocket.set_filter / join_source_group / ...), the merge of the sockets'
requests into the interface state, the state-change records that report it (TO_EX/TO_IN on a filter mode
change, ALLOW/BLOCK on a source list change), current-state answers with sources, and IGMPv2 compatibility
mode, where source lists are ignored. The test plays the querier."""
import pytest

from igmp_peer import (ALL_ROUTERS, G1, S1, S2, S3, V3_ROUTERS, assert_ip_header, igmp_bytes, is_igmp, records,
                       send_query, v2_query, v3_query)

IS_IN, IS_EX, TO_IN, TO_EX, ALLOW, BLOCK = 1, 2, 3, 4, 5, 6
PORT = 5000


def igmp_out(dut, ms):
    """The IGMP frames the DUT sends within `ms`."""
    out = []
    for _ in range(ms // 10):
        out += [f for f in dut.receive(timeout_ms=10) if is_igmp(f)]
    return out


def norm(recs):
    return [(t, g, sorted(s)) for t, g, s in recs]


def socket(dut):
    s = dut.udp_socket()
    s.set_option("ReuseAddress", 1)  # several receivers on one port
    s.bind("0.0.0.0", PORT)
    return s


def change(dut, action, expected):
    """Runs `action` (a socket call); the report sent at once holds exactly `expected` records, and its one
    retransmission within the Unsolicited Report Interval (1 s) the same records; nothing else for 3 s."""
    action()
    now = [f for f in dut.receive() if is_igmp(f)]
    assert len(now) == 1, [f.summary() for f in now]
    assert_ip_header(now[0], V3_ROUTERS, dut)
    assert norm(records(now[0])) == norm(expected), records(now[0])
    later = igmp_out(dut, 3000)
    assert len(later) == 1, [f.summary() for f in later]
    assert norm(records(later[0])) == norm(expected), records(later[0])


def no_change(dut, action):
    action()
    assert igmp_out(dut, 3000) == []


@pytest.mark.requirement("RFC3376:R3-listen", "RFC3376:R3.2-merge-include", "RFC3376:R3.2-merge-exclude",
                         "RFC3376:R5.1-source-change", "RFC3376:R5.1-filter-mode-change",
                         "RFC3376:R3.1-socket-close")
def test_sockets_filters_merge_into_interface_state(dut):
    """
    Purpose: IPMulticastListen with INCLUDE and EXCLUDE source lists on several sockets is merged into one
        interface state (any EXCLUDE: EXCLUDE(intersection of the EXCLUDE lists minus the INCLUDE sources);
        else INCLUDE(union)), and each change of that state is reported with the records of RFC 3376 5.1.
    Setup: fresh DUT; four UDP sockets a, b, c, d bound to 0.0.0.0:5000; no querier (Robustness 2).
    Procedure and Judgement, step by step (S1..S3 = 198.18.0.9..11, group 239.1.2.3; each report is checked
        at once and its single retransmission within 1 s; "silence" = no IGMP for 3 s):
        a INCLUDE(S1)                -> INCLUDE({S1}): ALLOW(S1)
        b INCLUDE(S2)                -> INCLUDE({S1,S2}): ALLOW(S2)
        c EXCLUDE(S1,S3)             -> EXCLUDE({S1,S3} - {S1,S2}) = EXCLUDE({S3}): TO_EX(S3)
        d EXCLUDE(S2,S3)             -> EXCLUDE({S3} - {S1,S2}) unchanged: silence
        c closes                     -> EXCLUDE({S2,S3} - {S1,S2}) = EXCLUDE({S3}) unchanged: silence
        a closes                     -> unchanged (S2 still included by b): silence
        b closes                     -> EXCLUDE({S2,S3}): BLOCK(S2)
        d leaves (set_filter include []) -> INCLUDE({}): TO_IN({}); the group is gone
        stack.igmp.filter reports the interface state after each step.
    Reference: RFC 3376 3, 3.1, 3.2, 5.1.
    """
    a, b, c, d = (socket(dut) for _ in range(4))
    igmp = dut.stack.igmp
    change(dut, lambda: a.set_filter(dut.eth, G1, "include", [S1]), [(ALLOW, G1, [S1])])
    assert igmp.filter(dut.eth, G1) == ("include", [S1])
    change(dut, lambda: b.set_filter(dut.eth, G1, "include", [S2]), [(ALLOW, G1, [S2])])
    mode, sources = igmp.filter(dut.eth, G1)
    assert (mode, sorted(sources)) == ("include", sorted([S1, S2]))
    change(dut, lambda: c.set_filter(dut.eth, G1, "exclude", [S1, S3]), [(TO_EX, G1, [S3])])
    assert igmp.filter(dut.eth, G1) == ("exclude", [S3])
    no_change(dut, lambda: d.set_filter(dut.eth, G1, "exclude", [S2, S3]))
    no_change(dut, c.close)
    no_change(dut, a.close)
    assert igmp.filter(dut.eth, G1) == ("exclude", [S3])
    change(dut, b.close, [(BLOCK, G1, [S2])])
    mode, sources = igmp.filter(dut.eth, G1)
    assert (mode, sorted(sources)) == ("exclude", sorted([S2, S3]))
    change(dut, lambda: d.set_filter(dut.eth, G1, "include", []), [(TO_IN, G1, [])])
    assert igmp.filter(dut.eth, G1) is None
    assert igmp.groups(dut.eth) == []


@pytest.mark.requirement("RFC3376:R5.1-source-change", "RFC3376:R5.1-filter-mode-change", "RFC3376:R3-listen")
def test_rfc3678_calls_map_to_records(dut):
    """
    Purpose: the RFC 3678 style calls (join_source_group, leave_source_group, join_group, block_source,
        unblock_source, leave_group) are IPMulticastListen requests and produce the RFC 3376 5.1 records.
    Setup: fresh DUT; one UDP socket bound to 0.0.0.0:5000.
    Procedure and Judgement (each report at once and retransmitted once within 1 s):
        join_source_group(S1) -> ALLOW(S1); join_source_group(S2) -> ALLOW(S2); leave_source_group(S1) ->
        BLOCK(S1); leave_source_group(S2) -> BLOCK(S2) (INCLUDE({}): left); join_group -> TO_EX({});
        block_source(S1) -> BLOCK(S1); unblock_source(S1) -> ALLOW(S1); leave_group -> TO_IN({}).
        get_filter shows the socket's own filter in between.
    Reference: RFC 3376 3, 5.1; RFC 3678 4.1.
    """
    s = socket(dut)
    e = dut.eth
    change(dut, lambda: s.join_source_group(e, G1, S1), [(ALLOW, G1, [S1])])
    change(dut, lambda: s.join_source_group(e, G1, S2), [(ALLOW, G1, [S2])])
    mode, sources = s.get_filter(e, G1)
    assert (mode, sorted(sources)) == ("include", sorted([S1, S2]))
    change(dut, lambda: s.leave_source_group(e, G1, S1), [(BLOCK, G1, [S1])])
    change(dut, lambda: s.leave_source_group(e, G1, S2), [(BLOCK, G1, [S2])])
    assert s.get_filter(e, G1) is None
    change(dut, lambda: s.join_group(e, G1), [(TO_EX, G1, [])])
    change(dut, lambda: s.block_source(e, G1, S1), [(BLOCK, G1, [S1])])
    assert s.get_filter(e, G1) == ("exclude", [S1])
    change(dut, lambda: s.unblock_source(e, G1, S1), [(ALLOW, G1, [S1])])
    change(dut, lambda: s.leave_group(e, G1), [(TO_IN, G1, [])])


@pytest.mark.requirement("RFC3376:R5.1-merge", "RFC3376:R5.1-source-change")
def test_pending_source_changes_merge(dut):
    """
    Purpose: a source list change while the previous one is still being retransmitted is merged into it:
        the new report carries the pending changes with the new ones (a source added and then removed moves
        from ALLOW to BLOCK), and its retransmission count restarts.
    Setup: fresh DUT; one UDP socket bound to 0.0.0.0:5000.
    Procedure: join_source_group(S1); at once join_source_group(S2); at once leave_source_group(S1).
    Judgement: reports ALLOW(S1); then ALLOW(S1,S2); then ALLOW(S2)+BLOCK(S1); then within 1 s exactly one
        retransmission ALLOW(S2)+BLOCK(S1), nothing else for 3 s.
    Reference: RFC 3376 5.1 (our simplification of the per-source retransmission counters: the whole
        pending change is retransmitted [Robustness Variable] - 1 times after the last change).
    """
    s = socket(dut)
    e = dut.eth
    steps = [(lambda: s.join_source_group(e, G1, S1), [(ALLOW, G1, [S1])]),
             (lambda: s.join_source_group(e, G1, S2), [(ALLOW, G1, [S1, S2])]),
             (lambda: s.leave_source_group(e, G1, S1), [(ALLOW, G1, [S2]), (BLOCK, G1, [S1])])]
    for action, expected in steps:
        action()
        now = [f for f in dut.receive() if is_igmp(f)]
        assert len(now) == 1 and norm(records(now[0])) == norm(expected), [records(f) for f in now]
    later = igmp_out(dut, 3000)
    assert len(later) == 1
    assert norm(records(later[0])) == norm([(ALLOW, G1, [S2]), (BLOCK, G1, [S1])])


def answer(dut, query, **kw):
    """The IGMP frames sent within 1.1 s of a query with Max Resp 1 s."""
    send_query(dut, query, **kw)
    return igmp_out(dut, 1100)


@pytest.mark.requirement("RFC3376:R5.2-source-report", "RFC3376:R5.2-group-report", "RFC3376:R5.2-general-report")
def test_current_state_answers_with_sources(dut):
    """
    Purpose: Current-State Records carry the filter: IS_IN(A) / IS_EX(X) to general and group-specific
        queries; to a group-and-source-specific query with sources B, IS_IN(A*B) in INCLUDE(A) mode and
        IS_IN(B-X) in EXCLUDE(X) mode, nothing when the set is empty.
    Setup: fresh DUT; socket a INCLUDE(S1,S2) on 239.1.2.3, settled.
    Procedure and Judgement (queries with Max Resp Code 10, answers within 1.1 s):
        G&S query B={S2,S3} -> IS_IN(S2); B={S3} -> nothing; group query -> IS_IN(S1,S2);
        then socket b EXCLUDE(S3) (interface EXCLUDE({S3})): G&S B={S1,S3} -> IS_IN(S1); B={S3} -> nothing;
        General Query -> one report IS_EX(S3); group query -> IS_EX(S3).
    Reference: RFC 3376 5.2.
    """
    a, b = socket(dut), socket(dut)
    a.set_filter(dut.eth, G1, "include", [S1, S2])
    igmp_out(dut, 3000)
    out = answer(dut, v3_query(G1, mrc=10, sources=[S2, S3]), dst=G1)
    assert [norm(records(f)) for f in out] == [[(IS_IN, G1, [S2])]]
    assert answer(dut, v3_query(G1, mrc=10, sources=[S3]), dst=G1) == []
    out = answer(dut, v3_query(G1, mrc=10), dst=G1)
    assert [norm(records(f)) for f in out] == [norm([(IS_IN, G1, [S1, S2])])]
    b.set_filter(dut.eth, G1, "exclude", [S3])
    igmp_out(dut, 3000)
    out = answer(dut, v3_query(G1, mrc=10, sources=[S1, S3]), dst=G1)
    assert [norm(records(f)) for f in out] == [[(IS_IN, G1, [S1])]]
    assert answer(dut, v3_query(G1, mrc=10, sources=[S3]), dst=G1) == []
    out = answer(dut, v3_query(mrc=10))
    assert [norm(records(f)) for f in out] == [[(IS_EX, G1, [S3])]]
    out = answer(dut, v3_query(G1, mrc=10), dst=G1)
    assert [norm(records(f)) for f in out] == [[(IS_EX, G1, [S3])]]


@pytest.mark.requirement("RFC3376:R7.2.1-ignore-sources", "RFC3376:R7.2.1-compat")
def test_v2_mode_ignores_source_lists(dut):
    """
    Purpose: in IGMPv2 compatibility mode source lists are ignored: the first reception state of a group is
        reported with an IGMPv2 report (any INCLUDE or EXCLUDE filter), source changes send nothing, and the
        change to INCLUDE({}) sends a Leave.
    Setup: fresh DUT; an IGMPv2 General Query heard (Max Resp 1 s) puts it in IGMPv2 mode.
    Procedure: socket a join_source_group(239.1.2.3, S1); then join_source_group(S2); then leave_source_group
        S1; then close a.
    Judgement: an IGMPv2 report (type 0x16) to 239.1.2.3 at once (and its repetition), nothing for the two
        source changes, a Leave (0x17) to 224.0.0.2 on close.
    Reference: RFC 3376 7.2.1; RFC 2236 3.
    """
    send_query(dut, v2_query(mrc=10))
    igmp_out(dut, 1100)
    assert dut.stack.igmp.version(dut.eth) == 2
    a = socket(dut)
    a.join_source_group(dut.eth, G1, S1)
    now = [f for f in dut.receive() if is_igmp(f)]
    assert len(now) == 1 and igmp_bytes(now[0])[0] == 0x16 and now[0]["IP"].dst == G1
    igmp_out(dut, 11000)  # the repetition (within the 10 s Unsolicited Report Interval of IGMPv2)
    a.join_source_group(dut.eth, G1, S2)
    a.leave_source_group(dut.eth, G1, S1)
    assert igmp_out(dut, 3000) == []
    a.close()
    now = [f for f in dut.receive() if is_igmp(f)]
    assert len(now) == 1 and igmp_bytes(now[0])[0] == 0x17 and now[0]["IP"].dst == ALL_ROUTERS
