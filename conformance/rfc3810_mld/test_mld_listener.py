"""MLDv2 listener (RFC 3810) with MLDv1 compatibility (RFC 2710): state-change reports, answers to queries,
the MLDv1 querier mode, query validation. The DUT listens through stack.mld; the test plays the querier.
dut.enable_ipv6() gives the DUT its link-local and 2001:db8::2, whose solicited-node address (ff02::1:ff00:2)
the DUT listens to and reports as well: scenarios leave it out where they judge other addresses."""
import pytest
from scapy.all import IPv6
from scapy.layers.inet6 import ICMPv6MLDone, ICMPv6MLReport, ICMPv6MLReport2

from mld_peer import (ALL_NODES, ALL_ROUTERS, G1, G2, IS_EX, IS_IN, MLDV2_ROUTERS, S1, S2, S3, TO_EX, TO_IN,
                      assert_ip_header, canon, is_mld, records, send_query, solicited_node, v1_query, v1_report,
                      v2_query)


def mld_out(dut, ms):
    start = dut.now_ms
    out = []
    remaining = ms
    while remaining > 0:
        for f in dut.receive(timeout_ms=10):
            if is_mld(f):
                out.append((dut.now_ms - start, f))
        remaining -= 10
    return out


@pytest.fixture
def v6dut(dut):
    dut.enable_ipv6()
    dut.sn = solicited_node(dut.ip6)
    return dut


def join_and_settle(dut, *groups):
    for g in groups:
        assert dut.stack.mld.join(dut.eth, g)
    mld_out(dut, 3000)


def v2_records(out, dut):
    return [records(f, skip=(dut.sn,)) for _, f in out]


@pytest.mark.requirement("RFC3810:R6.1-immediate", "RFC3810:R6.1-retransmit", "RFC3810:R5-ip-header",
                         "RFC3810:R5.2.13-source", "RFC3810:R5.2.14-dest", "RFC3810:R5.2.10-aux-tx",
                         "RFC3810:R9.11-unsolicited")
def test_listen_sends_state_change_report_and_retransmits(v6dut):
    """
    Purpose: listening to an address sends a State Change Report TO_EX({}) at once and once more within the
        Unsolicited Report Interval (1 s), [Robustness Variable] = 2 in all.
    Setup: DUT with IPv6 (link-local, 2001:db8::2), set-up traffic done.
    Procedure: stack.mld.join(eth, ff0e::1:3); watch 5 s.
    Judgement: a report at once and exactly one more in (0, 1000] ms; each from the DUT's link-local to
        ff02::16 (MAC 33:33:00:00:00:16), hop limit 1, Hop-by-Hop Router Alert value 0, ICMPv6 type 143,
        valid checksum, one record CHANGE_TO_EXCLUDE(ff0e::1:3) without sources or aux data.
    Reference: RFC 3810 5, 5.2.10, 5.2.13, 5.2.14, 6.1, 9.11.
    """
    dut = v6dut
    assert dut.stack.mld.join(dut.eth, G1)
    first = [f for f in dut.receive() if is_mld(f)]
    later = mld_out(dut, 5000)
    assert len(first) == 1 and len(later) == 1, ([f.summary() for f in first], later)
    assert 0 < later[0][0] <= 1000
    for f in (first[0], later[0][1]):
        assert_ip_header(f, MLDV2_ROUTERS, dut)
        assert f[ICMPv6MLReport2].records_number == 1
        r = f[ICMPv6MLReport2].records[0]
        assert (r.rtype, canon(r.dst), r.sources_number, r.auxdata_len) == (TO_EX, G1, 0, 0)
    assert dut.stack.mld.groups(dut.eth).count(G1) == 1


@pytest.mark.requirement("RFC3810:R6.1-immediate", "RFC3810:R6.1-retransmit", "RFC3810:R4-interface-state")
def test_leave_sends_change_to_include_after_last_listener(v6dut):
    """
    Purpose: two joins are one listening state; only the last leave sends TO_IN({}) (at once, once more
        within 1 s).
    Setup: DUT with IPv6.
    Procedure: join ff0e::1:3 twice, watch 3 s; leave, watch 3 s; leave again, watch 3 s.
    Judgement: 2 TO_EX reports, then nothing, then 2 TO_IN reports 0-1000 ms apart.
    Reference: RFC 3810 4.2, 6.1.
    """
    dut = v6dut
    assert dut.stack.mld.join(dut.eth, G1) and dut.stack.mld.join(dut.eth, G1)
    assert v2_records(mld_out(dut, 3000), dut) == [[(TO_EX, G1, [])]] * 2
    assert dut.stack.mld.leave(dut.eth, G1)
    assert mld_out(dut, 3000) == []
    assert dut.stack.mld.leave(dut.eth, G1)
    out = mld_out(dut, 3000)
    assert v2_records(out, dut) == [[(TO_IN, G1, [])]] * 2
    assert 0 < out[1][0] - out[0][0] <= 1000


@pytest.mark.requirement("RFC3810:R6.1-merge")
def test_change_during_retransmission(v6dut):
    """
    Purpose: a join and a leave in the same instant: TO_EX then TO_IN at once, and the one retransmission
        carries TO_IN.
    Setup: DUT with IPv6.
    Procedure: join and leave ff0e::1:3; watch 5 s.
    Judgement: records TO_EX, TO_IN at once, then exactly one TO_IN within 1 s.
    Reference: RFC 3810 6.1.
    """
    dut = v6dut
    assert dut.stack.mld.join(dut.eth, G1) and dut.stack.mld.leave(dut.eth, G1)
    now = [records(f) for f in dut.receive() if is_mld(f)]
    assert now == [[(TO_EX, G1, [])], [(TO_IN, G1, [])]]
    later = mld_out(dut, 5000)
    assert v2_records(later, dut) == [[(TO_IN, G1, [])]] and later[0][0] <= 1000


@pytest.mark.requirement("RFC3810:R6.2-delay", "RFC3810:R6.2-rules", "RFC3810:R6.3-general-report",
                         "RFC3810:R5.1.3-max-resp", "RFC3810:R6-all-nodes", "RFC3810:R5.2.15-size")
def test_general_query_answered_once(v6dut):
    """
    Purpose: a General Query (Maximum Response Code 0x8100 = (0x100|0x1000)<<3 ms = 34.816 s) is answered
        once, within that time, with IS_EX({}) for every address listened to and nothing about ff02::1 or an
        interface-local address; a second General Query replaces the pending answer.
    Setup: DUT with IPv6, listening to ff0e::1:3, ff05::1:4, ff01::5 and ff02::1.
    Procedure: two General Queries to ff02::1 from fe80::1 at once; watch 40 s.
    Judgement: exactly one report within 34.816 s, records IS_EX for ff02::1:ff00:2 (solicited-node),
        ff0e::1:3 and ff05::1:4 only.
    Reference: RFC 3810 5.1.3, 6, 6.2, 6.3.
    """
    dut = v6dut
    assert dut.stack.mld.join(dut.eth, ALL_NODES) and dut.stack.mld.join(dut.eth, "ff01::5")
    join_and_settle(dut, G1, G2)
    send_query(dut, v2_query(mrd=0x8100))
    send_query(dut, v2_query(mrd=0x8100))
    out = mld_out(dut, 40_000)
    assert len(out) == 1 and out[0][0] <= 34_816
    assert_ip_header(out[0][1], MLDV2_ROUTERS, dut)
    assert sorted(records(out[0][1])) == sorted([(IS_EX, dut.sn, []), (IS_EX, G1, []), (IS_EX, G2, [])])


@pytest.mark.requirement("RFC3810:R6.2-rules", "RFC3810:R6.3-address-report")
def test_address_and_source_queries(v6dut):
    """
    Purpose: an address-specific query is answered IS_EX for that address alone; two
        address-and-source-specific queries merge into one IS_IN(all sources) answer; none for an address
        not listened to.
    Setup: DUT with IPv6 listening to ff0e::1:3 and ff05::1:4.
    Procedure: MASQ(ff0e::1:3) to ff0e::1:3, 1 s; watch 2 s. MASSQ(ff0e::1:3,{S1,S2}) and MASSQ(ff0e::1:3,
        {S2,S3}), 2 s; watch 3 s. MASQ(ff0e::9) to the DUT's unicast address; watch 2 s.
    Judgement: [IS_EX(ff0e::1:3)] within 1 s; [IS_IN(ff0e::1:3, {S1,S2,S3})] within 2 s; nothing.
    Reference: RFC 3810 6.2, 6.3.
    """
    dut = v6dut
    join_and_settle(dut, G1, G2)
    send_query(dut, v2_query(group=G1, mrd=1000), dst=G1)
    out = mld_out(dut, 2000)
    assert [records(f) for _, f in out] == [[(IS_EX, G1, [])]] and out[0][0] <= 1000
    send_query(dut, v2_query(group=G1, mrd=2000, sources=[S1, S2]), dst=G1)
    send_query(dut, v2_query(group=G1, mrd=2000, sources=[S2, S3]), dst=G1)
    out = mld_out(dut, 3000)
    assert [records(f) for _, f in out] == [[(IS_IN, G1, [canon(S1), canon(S2), canon(S3)])]]
    assert out[0][0] <= 2000
    send_query(dut, v2_query(group="ff0e::9", mrd=1000), dst=dut.ip6)
    assert mld_out(dut, 2000) == []


@pytest.mark.requirement("RFC3810:R5.1.8-qrv", "RFC3810:R9.1-robustness")
def test_querier_robustness_adopted(v6dut):
    """
    Purpose: QRV 3 from the querier makes a join reported 3 times; a later QRV 0 changes nothing.
    Setup: DUT with IPv6.
    Procedure: General Query QRV 3 Max Resp 0.5 s, then QRV 0; watch 2 s (the solicited-node answer);
        join ff0e::1:3; watch 5 s.
    Judgement: exactly 3 TO_EX(ff0e::1:3) reports, the last within 2 s of the join.
    Reference: RFC 3810 5.1.8, 6.1, 9.1.
    """
    dut = v6dut
    send_query(dut, v2_query(mrd=500, qrv=3))
    send_query(dut, v2_query(mrd=500, qrv=0))
    mld_out(dut, 2000)
    assert dut.stack.mld.join(dut.eth, G1)
    out = mld_out(dut, 5000)
    assert v2_records(out, dut) == [[(TO_EX, G1, [])]] * 3 and out[-1][0] <= 2000


@pytest.mark.requirement("RFC3810:R8.1-versions", "RFC3810:R8.2.1-compat", "RFC3810:R8.2.1-timer",
                         "RFC3810:R9.12-older-timeout", "RFC3810:R5.2.14-dest")
def test_mldv1_querier_mode_and_revert(v6dut):
    """
    Purpose: an MLDv1 General Query (24 octets) puts the interface in MLDv1 mode: answers are MLDv1 reports to
        the address, leaving sends Done to ff02::2; after 2 x 125 s + 3 s MLDv2 mode returns.
    Setup: DUT with IPv6 listening to ff0e::1:3.
    Procedure: MLDv1 General Query, Maximum Response Delay 3000 ms; watch 4 s; leave ff0e::1:3; let time
        run to 252.9 s after the query, then to 253.1 s; join ff05::1:4.
    Judgement: version 1; an MLDv1 report (type 131) for ff0e::1:3 to ff0e::1:3 within 3 s (and one for the
        solicited-node address); at leave an MLDv1 Done (type 132) for ff0e::1:3 to ff02::2, hop limit 1,
        Router Alert; version 1 at 252.9 s, 2 at 253.1 s; the join then sends an MLDv2 TO_EX report.
    Reference: RFC 3810 8.1, 8.2.1, 9.12, 5.2.14; RFC 2710 4.
    """
    dut = v6dut
    join_and_settle(dut, G1)
    t0 = dut.now_ms
    send_query(dut, v1_query(mrd=3000))
    assert dut.stack.mld.version(dut.eth) == 1
    out = mld_out(dut, 4000)
    mine = [(t, f) for t, f in out if ICMPv6MLReport in f and canon(f[ICMPv6MLReport].mladdr) == G1]
    assert len(out) == 2 and len(mine) == 1 and mine[0][0] <= 3000
    f = mine[0][1]
    assert_ip_header(f, G1, dut)
    assert len(bytes(f[ICMPv6MLReport])) == 24
    assert dut.stack.mld.leave(dut.eth, G1)
    out = mld_out(dut, 1000)
    assert len(out) == 1 and ICMPv6MLDone in out[0][1]
    assert_ip_header(out[0][1], ALL_ROUTERS, dut)
    assert canon(out[0][1][ICMPv6MLDone].mladdr) == G1
    dut.advance(t0 + 252_900 - dut.now_ms)
    assert dut.stack.mld.version(dut.eth) == 1
    dut.advance(200)
    assert dut.stack.mld.version(dut.eth) == 2
    dut.receive()
    assert dut.stack.mld.join(dut.eth, G2)
    now = [f for f in dut.receive() if is_mld(f)]
    assert len(now) == 1 and records(now[0]) == [(TO_EX, G2, [])]


@pytest.mark.requirement("RFC3810:R8.2.1-cancel")
def test_mode_change_cancels_retransmission(v6dut):
    """
    Purpose: switching to MLDv1 mode cancels the pending MLDv2 retransmission.
    Setup: DUT with IPv6.
    Procedure: join ff0e::1:3 (first TO_EX sent); at once an MLDv1 General Query, 5 s; watch 6 s.
    Judgement: no MLDv2 report after the first; only MLDv1 reports (one per address).
    Reference: RFC 3810 8.2.1.
    """
    dut = v6dut
    assert dut.stack.mld.join(dut.eth, G1)
    assert len([f for f in dut.receive() if is_mld(f)]) == 1
    send_query(dut, v1_query(mrd=5000))
    out = mld_out(dut, 6000)
    assert all(ICMPv6MLReport in f for _, f in out) and len(out) == 2


@pytest.mark.requirement("RFC3810:R8.2.1-v1-suppress")
def test_mldv1_report_suppression(v6dut):
    """
    Purpose: in MLDv1 mode another listener's report for the address cancels the DUT's pending answer.
    Setup: DUT with IPv6 listening to ff0e::1:3.
    Procedure: MLDv1 General Query 5 s; at once an MLDv1 report for ff0e::1:3 from
        fe80::77 (hop limit 1, Router Alert) to ff0e::1:3; watch 6 s.
    Judgement: no report for ff0e::1:3 (only the solicited-node address is answered).
    Reference: RFC 2710 4; RFC 3810 8.2.1.
    """
    dut = v6dut
    join_and_settle(dut, G1)
    send_query(dut, v1_query(mrd=5000))
    send_query(dut, v1_report(G1), dst=G1, src="fe80::77")
    out = mld_out(dut, 6000)
    assert [canon(f[ICMPv6MLReport].mladdr) for _, f in out] == [dut.sn]


@pytest.mark.requirement("RFC3810:R6.2-validate", "RFC3810:R5.1.14-source", "RFC3810:R8.1-versions",
                         "RFC3810:R5.1.15-accept")
def test_invalid_queries_dropped(v6dut):
    """
    Purpose: queries from a global or unspecified source, with hop limit 2, without Router Alert, of 26
        octets, or a General Query to another multicast address are dropped without effect and counted.
    Setup: DUT with IPv6 listening to ff0e::1:3.
    Procedure: send each (valid checksums); watch 15 s.
    Judgement: no MLD message; mld drops: BadAddress 3 (2001:db8::1, ::, General Query to ff0e::1:3),
        BadHopLimit 1, NoRouterAlert 1, BadLength 1; version 2.
    Reference: RFC 3810 5.1.14, 5.1.15, 6.2, 8.1.
    """
    from scapy.all import Raw
    dut = v6dut
    join_and_settle(dut, G1)
    send_query(dut, v2_query(mrd=1000), src="2001:db8::1")
    send_query(dut, v2_query(mrd=1000), src="::")
    send_query(dut, v2_query(mrd=1000), hlim=2)
    send_query(dut, v2_query(mrd=1000), router_alert=False)
    send_query(dut, v1_query(mrd=1000) / Raw(b"\0\0"))  # 26 octets: neither 24 nor >= 28
    send_query(dut, v2_query(mrd=1000), dst=G1)
    assert mld_out(dut, 15_000) == []
    dut.assert_dropped("mld", "BadAddress", 3)
    dut.assert_dropped("mld", "BadHopLimit", 1)
    dut.assert_dropped("mld", "NoRouterAlert", 1)
    dut.assert_dropped("mld", "BadLength", 1)
    assert dut.stack.mld.version(dut.eth) == 2


@pytest.mark.requirement("RFC3810:R5.1.11-additional", "RFC3810:R5.1.15-accept")
def test_additional_data_ignored_and_unicast_query_accepted(v6dut):
    """
    Purpose: octets after the query's fields are ignored (they count in the checksum, which icmp6 verifies),
        and a query to the DUT's unicast address is processed.
    Setup: DUT with IPv6 listening to ff0e::1:3.
    Procedure: MASQ(ff0e::1:3) to 2001:db8::2 with 4 additional octets, 1 s; watch 2 s.
    Judgement: one answer IS_EX(ff0e::1:3) within 1 s.
    Reference: RFC 3810 5.1.11, 5.1.15.
    """
    from scapy.all import Raw
    dut = v6dut
    join_and_settle(dut, G1)
    send_query(dut, v2_query(group=G1, mrd=1000) / Raw(b"\x01\x02\x03\x04"), dst=dut.ip6)
    out = mld_out(dut, 2000)
    assert [records(f) for _, f in out] == [[(IS_EX, G1, [])]] and out[0][0] <= 1000


@pytest.mark.requirement("RFC3810:R4-interface-state", "RFC3810:R5.2.15-size")
def test_join_flood_bounded(v6dut):
    """
    Purpose: listens beyond the per-device table (config mld_groups) are refused and counted; a General Query
        is answered by one report of every address held.
    Setup: DUT with IPv6 (the solicited-node address takes one slot).
    Procedure: join ff0e::2:1 .. ff0e::2:40; watch 3 s; General Query 1 s; watch 2 s.
    Judgement: the first N joins succeed, the rest fail, PoolExhausted counted 40 - N; one answer with N + 1
        IS_EX records.
    Reference: RFC 3810 4.2, 5.2.15.
    """
    dut = v6dut
    ok = [dut.stack.mld.join(dut.eth, f"ff0e::2:{i}") for i in range(1, 41)]
    n = sum(ok)
    assert 0 < n < 40 and ok == [True] * n + [False] * (40 - n)
    dut.assert_dropped("mld", "PoolExhausted", 40 - n)
    mld_out(dut, 3000)
    send_query(dut, v2_query(mrd=1000))
    out = mld_out(dut, 2000)
    assert len(out) == 1
    assert sorted(records(out[0][1])) == sorted([(IS_EX, dut.sn, [])] +
                                                [(IS_EX, canon(f"ff0e::2:{i}"), []) for i in range(1, n + 1)])
