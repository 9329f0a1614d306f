"""IGMPv3 host (RFC 3376) with IGMPv1/v2 compatibility: state-change reports, answers to queries, older
querier modes, hostile input. The DUT joins and leaves through stack.igmp; the test plays the querier."""
import pytest
from scapy.all import IP

from igmp_peer import (ALL_ROUTERS, ALL_SYSTEMS, G1, G2, S1, S2, S3, V3_ROUTERS, assert_ip_header, igmp_bytes,
                       is_igmp, is_v3_report, records, send_query, v1_query, v2_query, v2_report, v3_query)

TO_IN, TO_EX, IS_IN, IS_EX = 3, 4, 1, 2


def igmp_out(dut, ms):
    """The IGMP frames the DUT sends within `ms`, with their send times relative to now."""
    start = dut.now_ms
    out = []
    remaining = ms
    while remaining > 0:
        for f in dut.receive(timeout_ms=10):
            if is_igmp(f):
                out.append((dut.now_ms - start, f))
        remaining -= 10
    return out


def join_and_settle(dut, *groups):
    for g in groups:
        assert dut.stack.igmp.join(dut.eth, g)
    igmp_out(dut, 3000)


@pytest.mark.requirement("RFC3376:R5.1-immediate", "RFC3376:R5.1-retransmit", "RFC3376:R3-join-exclude",
                         "RFC3376:R4-ip-header", "RFC3376:R4.2.14-dest", "RFC3376:R4.2.3-checksum-tx",
                         "RFC3376:R4.2.1-reserved", "RFC3376:R4.2.10-aux-tx", "RFC3376:R4.2.13-source",
                         "RFC3376:R8.11-unsolicited")
def test_join_sends_state_change_report_and_retransmits(dut):
    """
    Purpose: joining a group sends a State-Change Report at once and repeats it [Robustness Variable] - 1 = 1
        more time within the Unsolicited Report Interval (1 s).
    Setup: fresh DUT (198.18.0.2/24), no querier heard (defaults: Robustness Variable 2).
    Procedure: stack.igmp.join(eth, 239.1.2.3); watch 5 s.
    Judgement: a report at once (same poll) and exactly one more in (0, 1000] ms, none after; both: IP src
        198.18.0.2, dst 224.0.0.22 (MAC 01:00:5e:00:00:16), TTL 1, TOS 0xc0, Router Alert; IGMP type 0x22,
        reserved 0, one record CHANGE_TO_EXCLUDE_MODE(239.1.2.3) with no sources and Aux Data Len 0, valid
        checksum.
    Reference: RFC 3376 3, 4, 4.2, 5.1, 8.11.
    """
    assert dut.stack.igmp.join(dut.eth, G1)
    first = [f for f in dut.receive() if is_igmp(f)]
    assert len(first) == 1, [f.summary() for f in first]
    later = igmp_out(dut, 5000)
    assert len(later) == 1, [(t, f.summary()) for t, f in later]
    assert 0 < later[0][0] <= 1000, later[0][0]
    for f in (first[0], later[0][1]):
        assert_ip_header(f, V3_ROUTERS, dut)
        m = igmp_bytes(f)
        assert m == igmp_bytes(first[0])
        assert m[0] == 0x22 and m[1] == 0 and m[4:6] == b"\0\0" and len(m) == 16
        assert m[8:12] == bytes([TO_EX, 0, 0, 0])
        assert records(f) == [(TO_EX, G1, [])]
    assert dut.stack.igmp.groups(dut.eth) == [G1]


@pytest.mark.requirement("RFC3376:R3-join-exclude", "RFC3376:R5.1-immediate", "RFC3376:R5.1-retransmit")
def test_leave_sends_change_to_include(dut):
    """
    Purpose: leaving the group reports CHANGE_TO_INCLUDE_MODE({}) at once and once more within 1 s.
    Setup: DUT joined 239.1.2.3, its reports done.
    Procedure: stack.igmp.leave(eth, 239.1.2.3); watch 5 s.
    Judgement: exactly two IGMPv3 reports to 224.0.0.22, the second within (0, 1000] ms, each with one record
        TO_IN(239.1.2.3) without sources; the group is no longer listed.
    Reference: RFC 3376 3, 5.1.
    """
    join_and_settle(dut, G1)
    assert dut.stack.igmp.leave(dut.eth, G1)
    out = igmp_out(dut, 5000)
    assert len(out) == 2, [(t, f.summary()) for t, f in out]
    assert out[0][0] <= 10 and 0 < out[1][0] - out[0][0] <= 1000
    for _, f in out:
        assert_ip_header(f, V3_ROUTERS, dut)
        assert records(f) == [(TO_IN, G1, [])]
    assert dut.stack.igmp.groups(dut.eth) == []


@pytest.mark.requirement("RFC3376:R5.1-merge")
def test_change_during_retransmission_restarts_with_new_record(dut):
    """
    Purpose: a second change of the same group before the retransmissions are done sends a new report at
        once, and the retransmissions carry the new record only.
    Setup: fresh DUT.
    Procedure: join 239.1.2.3 and leave it in the same instant; watch 5 s.
    Judgement: TO_EX at once, TO_IN at once, then exactly one more TO_IN within 1 s; no TO_EX retransmission.
    Reference: RFC 3376 5.1.
    """
    assert dut.stack.igmp.join(dut.eth, G1)
    assert dut.stack.igmp.leave(dut.eth, G1)
    now = [f for f in dut.receive() if is_igmp(f)]
    assert [records(f) for f in now] == [[(TO_EX, G1, [])], [(TO_IN, G1, [])]]
    later = igmp_out(dut, 5000)
    assert [records(f) for _, f in later] == [[(TO_IN, G1, [])]]
    assert 0 < later[0][0] <= 1000


@pytest.mark.requirement("RFC3376:R3.2-interface-state")
def test_joins_are_reference_counted(dut):
    """
    Purpose: two joins of one group are one membership: one report on the first join, nothing on the second
        join or the first leave, the leave report only after the last leave.
    Setup: fresh DUT.
    Procedure: join twice, watch 3 s; leave once, watch 3 s; leave again, watch 3 s.
    Judgement: 2 reports (TO_EX and its repeat), then none, then 2 (TO_IN and its repeat); a third leave is
        refused (False).
    Reference: RFC 3376 3.2.
    """
    assert dut.stack.igmp.join(dut.eth, G1) and dut.stack.igmp.join(dut.eth, G1)
    assert [records(f) for _, f in igmp_out(dut, 3000)] == [[(TO_EX, G1, [])]] * 2
    assert dut.stack.igmp.leave(dut.eth, G1)
    assert igmp_out(dut, 3000) == []
    assert dut.stack.igmp.groups(dut.eth) == [G1]
    assert dut.stack.igmp.leave(dut.eth, G1)
    assert [records(f) for _, f in igmp_out(dut, 3000)] == [[(TO_IN, G1, [])]] * 2
    assert not dut.stack.igmp.leave(dut.eth, G1)


@pytest.mark.requirement("RFC3376:R5.2-delay", "RFC3376:R5.2-rule2", "RFC3376:R5.2-general-report",
                         "RFC3376:R4.1.1-max-resp", "RFC3376:R5-all-systems", "RFC3376:R4.2.16-size")
def test_general_query_answered_once_with_every_group(dut):
    """
    Purpose: a General Query is answered after a random delay within its Max Resp Time by one report holding
        a MODE_IS_EXCLUDE({}) record for every joined group (224.0.0.1 never reported); a second General
        Query replaces the pending answer (one report in all).
    Setup: DUT joined 239.1.2.3 and 239.1.2.4 (and 224.0.0.1), reports done.
    Procedure: General Query (IGMPv3, Max Resp Code 0x8a = (0xa|0x10)<<3 = 208 -> 20.8 s) to 224.0.0.1, at
        once a second identical one; watch 30 s.
    Judgement: exactly one report, sent within 20.8 s of the query, records IS_EX(239.1.2.3), IS_EX(239.1.2.4)
        and nothing about 224.0.0.1; IP header as for every IGMPv3 message.
    Reference: RFC 3376 4.1.1, 5.2 (rule 2 and timer expiry), RFC 2236 6.
    """
    assert dut.stack.igmp.join(dut.eth, ALL_SYSTEMS)
    join_and_settle(dut, G1, G2)
    send_query(dut, v3_query(mrc=0x8A))
    send_query(dut, v3_query(mrc=0x8A))
    out = igmp_out(dut, 30_000)
    assert len(out) == 1, [(t, f.summary()) for t, f in out]
    t, f = out[0]
    assert t <= 20_800
    assert_ip_header(f, V3_ROUTERS, dut)
    assert records(f) == [(IS_EX, G1, []), (IS_EX, G2, [])]


@pytest.mark.requirement("RFC3376:R5.2-rule3", "RFC3376:R5.2-group-report", "RFC3376:R5.2-delay")
def test_group_specific_query(dut):
    """
    Purpose: a Group-Specific Query is answered for that group only, within its Max Resp Time; a query about
        a group the DUT has not joined gets no answer.
    Setup: DUT joined 239.1.2.3 and 239.1.2.4, reports done.
    Procedure: Group-Specific Query for 239.1.2.3 to 239.1.2.3 (Max Resp 1 s); watch 3 s. Then one for
        239.9.9.9 sent to the DUT's unicast address; watch 3 s.
    Judgement: one report with the single record IS_EX(239.1.2.3) within 1 s; then nothing.
    Reference: RFC 3376 5.2.
    """
    join_and_settle(dut, G1, G2)
    send_query(dut, v3_query(group=G1, mrc=10), dst=G1)
    out = igmp_out(dut, 3000)
    assert [records(f) for _, f in out] == [[(IS_EX, G1, [])]]
    assert out[0][0] <= 1000
    send_query(dut, v3_query(group="239.9.9.9", mrc=10), dst=dut.ip)
    assert igmp_out(dut, 3000) == []


@pytest.mark.requirement("RFC3376:R5.2-rule3", "RFC3376:R5.2-rule5", "RFC3376:R5.2-source-report")
def test_group_and_source_queries_merge_sources(dut):
    """
    Purpose: Group-and-Source-Specific Queries: the first records its sources, a second one (before the
        answer) adds its own; one answer IS_IN(all queried sources), as the group is EXCLUDE({}) (B - {} = B);
        the recorded list is cleared after the answer.
    Setup: DUT joined 239.1.2.3, reports done.
    Procedure: GSSQ(239.1.2.3, {S1, S2}) Max Resp 2 s, at once GSSQ(239.1.2.3, {S2, S3}); watch 4 s; then
        GSSQ(239.1.2.3, {S3}) Max Resp 1 s; watch 2 s.
    Judgement: one report IS_IN(239.1.2.3, {S1, S2, S3}) within 2 s; then one report IS_IN(239.1.2.3, {S3}).
    Reference: RFC 3376 5.2 rules 3 and 5, timer expiry.
    """
    join_and_settle(dut, G1)
    send_query(dut, v3_query(group=G1, mrc=20, sources=[S1, S2]), dst=G1)
    send_query(dut, v3_query(group=G1, mrc=20, sources=[S2, S3]), dst=G1)
    out = igmp_out(dut, 4000)
    assert [records(f) for _, f in out] == [[(IS_IN, G1, [S1, S2, S3])]]
    assert out[0][0] <= 2000
    send_query(dut, v3_query(group=G1, mrc=10, sources=[S3]), dst=G1)
    assert [records(f) for _, f in igmp_out(dut, 2000)] == [[(IS_IN, G1, [S3])]]


@pytest.mark.requirement("RFC3376:R5.2-rule4")
def test_group_query_after_source_query_answers_whole_group(dut):
    """
    Purpose: a Group-Specific Query arriving while a source-list answer is pending clears the list: a single
        answer IS_EX(group).
    Setup: DUT joined 239.1.2.3, reports done.
    Procedure: GSSQ(239.1.2.3, {S1}) Max Resp 2 s, at once GSQ(239.1.2.3) Max Resp 2 s; watch 4 s.
    Judgement: exactly one report, IS_EX(239.1.2.3) without sources, within 2 s.
    Reference: RFC 3376 5.2 rule 4.
    """
    join_and_settle(dut, G1)
    send_query(dut, v3_query(group=G1, mrc=20, sources=[S1]), dst=G1)
    send_query(dut, v3_query(group=G1, mrc=20), dst=G1)
    out = igmp_out(dut, 4000)
    assert [records(f) for _, f in out] == [[(IS_EX, G1, [])]]
    assert out[0][0] <= 2000


@pytest.mark.requirement("RFC3376:R5.2-rule1")
def test_pending_general_answer_covers_later_group_query(dut):
    """
    Purpose: with a General Query answer due sooner, a later Group-Specific Query schedules nothing more.
    Setup: DUT joined 239.1.2.3, reports done.
    Procedure: General Query with Max Resp 0.1 s, at once a GSQ(239.1.2.3) with Max Resp 10 s; watch 12 s.
    Judgement: exactly one report (the IS_EX answer to the General Query, within 0.1 s).
    Reference: RFC 3376 5.2 rule 1.
    """
    join_and_settle(dut, G1)
    send_query(dut, v3_query(mrc=1))
    send_query(dut, v3_query(group=G1, mrc=100), dst=G1)
    out = igmp_out(dut, 12_000)
    assert [records(f) for _, f in out] == [[(IS_EX, G1, [])]]
    assert out[0][0] <= 100


@pytest.mark.requirement("RFC3376:R4.1.6-qrv", "RFC3376:R8.1-robustness-nonzero")
def test_querier_robustness_adopted(dut):
    """
    Purpose: the QRV of a query becomes the Robustness Variable: with QRV 3 a join is reported 3 times; QRV 0
        leaves it as it was.
    Setup: fresh DUT.
    Procedure: General Query QRV 3 (DUT has no group: no answer); then QRV 0; join 239.1.2.3; watch 5 s.
    Judgement: exactly 3 TO_EX reports, the last within 2 s of the join.
    Reference: RFC 3376 4.1.6, 5.1, 8.1.
    """
    send_query(dut, v3_query(mrc=10, qrv=3))
    send_query(dut, v3_query(mrc=10, qrv=0))
    assert igmp_out(dut, 2000) == []
    assert dut.stack.igmp.join(dut.eth, G1)
    out = igmp_out(dut, 5000)
    assert [records(f) for _, f in out] == [[(TO_EX, G1, [])]] * 3
    assert out[-1][0] <= 2000


@pytest.mark.requirement("RFC3376:R7.1-versions", "RFC3376:R7.2.1-compat", "RFC3376:R7.2.1-timers",
                         "RFC3376:R7.2.1-per-interface", "RFC3376:R7.2.1-v2-linear", "RFC3376:R8.12-older-timeout",
                         "RFC3376:R4.2.14-dest")
def test_v2_querier_compatibility_mode_and_revert(dut):
    """
    Purpose: an IGMPv2 General Query (8 octets, Max Resp non-zero) puts the interface in IGMPv2 mode: answers
        are IGMPv2 reports to the group, leaving sends a v2 Leave to 224.0.0.2; the mode lasts the Older
        Version Querier Present Timeout (2 x 125 s + the query's 20 s) and then reverts to IGMPv3.
    Setup: DUT joined 239.1.2.3, reports done.
    Procedure: IGMPv2 General Query, Max Resp 200 (20 s linear; the v3 format would read 307.2 s); watch
        21 s. Leave 239.1.2.3. Let time run to 269.9 s after the query, then to 270.1 s; join 239.1.2.4.
    Judgement: stack.igmp.version is 2 after the query; one v2 report (type 0x16, 8 octets) for 239.1.2.3 to
        239.1.2.3 within 20 s, TTL 1, Router Alert; the Leave (type 0x17, group 239.1.2.3) to 224.0.0.2 at
        once, nothing else; version 2 at 269.9 s, 3 at 270.1 s; the join then sends an IGMPv3 TO_EX report.
    Reference: RFC 3376 7.1, 7.2.1, 8.12, 4.2.14; RFC 2236 3, 9.
    """
    join_and_settle(dut, G1)
    t0 = dut.now_ms
    send_query(dut, v2_query(mrc=200))
    assert dut.stack.igmp.version(dut.eth) == 2
    out = igmp_out(dut, 21_000)
    assert len(out) == 1, [f.summary() for _, f in out]
    f = out[0][1]
    assert out[0][0] <= 20_000
    assert_ip_header(f, G1, dut, tos=0)
    assert igmp_bytes(f)[0] == 0x16 and len(igmp_bytes(f)) == 8 and f[IP].dst == G1
    assert igmp_bytes(f)[4:8] == bytes([239, 1, 2, 3])
    assert dut.stack.igmp.leave(dut.eth, G1)
    out = igmp_out(dut, 1000)
    assert len(out) == 1
    f = out[0][1]
    assert_ip_header(f, ALL_ROUTERS, dut, tos=0)
    assert igmp_bytes(f)[0] == 0x17 and igmp_bytes(f)[4:8] == bytes([239, 1, 2, 3])
    dut.advance(t0 + 269_900 - dut.now_ms)
    assert dut.stack.igmp.version(dut.eth) == 2
    dut.advance(200)
    assert dut.stack.igmp.version(dut.eth) == 3
    assert dut.stack.igmp.join(dut.eth, G2)
    now = [f for f in dut.receive() if is_igmp(f)]
    assert len(now) == 1 and is_v3_report(now[0]) and records(now[0]) == [(TO_EX, G2, [])]


@pytest.mark.requirement("RFC3376:R7.1-versions", "RFC3376:R7.2.1-compat", "RFC3376:R7.2.1-timers",
                         "RFC3376:R7.2.1-v1-max-resp")
def test_v1_querier_compatibility_mode(dut):
    """
    Purpose: an IGMPv1 query (8 octets, Max Resp 0, read as 10 s) puts the interface in IGMPv1 mode: answers
        are IGMPv1 reports (type 0x12) to the group, a leave sends nothing; a later IGMPv2 query does not lift
        IGMPv1 mode.
    Setup: DUT joined 239.1.2.3, reports done.
    Procedure: IGMPv1 query to 224.0.0.1; watch 11 s; leave 239.1.2.3, watch 3 s; IGMPv2 General Query.
    Judgement: version 1; one v1 report for 239.1.2.3 to 239.1.2.3, later than at once (a 0 s delay would
        mean Max Resp 0 was taken literally) and within 10 s; nothing on leave; version still 1.
    Reference: RFC 3376 7.1, 7.2.1; RFC 1112 appendix I.
    """
    join_and_settle(dut, G1)
    send_query(dut, v1_query())
    assert dut.stack.igmp.version(dut.eth) == 1
    out = igmp_out(dut, 11_000)
    assert len(out) == 1
    t, f = out[0]
    assert 10 < t <= 10_000, t
    assert igmp_bytes(f)[0] == 0x12 and f[IP].dst == G1 and igmp_bytes(f)[4:8] == bytes([239, 1, 2, 3])
    assert dut.stack.igmp.leave(dut.eth, G1)
    assert igmp_out(dut, 3000) == []
    send_query(dut, v2_query(mrc=100))
    assert dut.stack.igmp.version(dut.eth) == 1


@pytest.mark.requirement("RFC3376:R7.2.1-cancel")
def test_mode_change_cancels_pending_retransmissions(dut):
    """
    Purpose: the change to IGMPv2 mode cancels the pending state-change retransmission and query answers.
    Setup: fresh DUT.
    Procedure: join 239.1.2.3 (TO_EX sent, one retransmission pending); at once an IGMPv2 General Query with
        Max Resp 10 s; watch 12 s.
    Judgement: after the first TO_EX, no IGMPv3 report at all; exactly one IGMPv2 report (the answer).
    Reference: RFC 3376 7.2.1.
    """
    assert dut.stack.igmp.join(dut.eth, G1)
    assert len([f for f in dut.receive() if is_igmp(f)]) == 1
    send_query(dut, v2_query(mrc=100))
    out = igmp_out(dut, 12_000)
    assert [igmp_bytes(f)[0] for _, f in out] == [0x16]


@pytest.mark.requirement("RFC3376:R7.2.1-v2-suppress", "RFC3376:R4.2.14-accept")
def test_v2_mode_report_suppression(dut):
    """
    Purpose: in IGMPv2 mode another member's report for the group (to the group address) cancels the DUT's
        pending answer.
    Setup: DUT joined 239.1.2.3, reports done.
    Procedure: IGMPv2 General Query Max Resp 10 s; at once an IGMPv2 report for 239.1.2.3 from 198.18.0.77;
        watch 11 s.
    Judgement: the DUT sends nothing.
    Reference: RFC 2236 3; RFC 3376 7.2.1, 4.2.14.
    """
    join_and_settle(dut, G1)
    send_query(dut, v2_query(mrc=100))
    send_query(dut, v2_report(G1), dst=G1, src="198.18.0.77")
    assert igmp_out(dut, 11_000) == []


@pytest.mark.requirement("RFC3376:R4.2.3-checksum-rx", "RFC3376:R7.1-versions", "RFC3376:R9.1-general-dst",
                         "RFC3376:R4-unknown-type")
def test_malformed_and_misaddressed_queries_dropped(dut):
    """
    Purpose: queries with a bad checksum, a length matching no version (10 octets), a General Query to a
        multicast group other than 224.0.0.1, a group query sent to another group, and an unknown IGMP type
        are dropped without effect and counted.
    Setup: DUT joined 239.1.2.3 and 239.1.2.4, reports done.
    Procedure: send each (every one with a correct checksum except the first); watch 30 s.
    Judgement: no frame; igmp drops: BadChecksum 1, BadLength 1, BadAddress 2, BadOperation 1; version 3.
    Reference: RFC 3376 4, 4.2.3, 7.1, 9.1.
    """
    from scapy.utils import checksum
    join_and_settle(dut, G1, G2)
    send_query(dut, v3_query(mrc=10, bad_checksum=True))
    ten = bytearray(v3_query(mrc=10)[:10])
    ten[2:4] = b"\0\0"
    ten[2:4] = checksum(bytes(ten)).to_bytes(2, "big")
    send_query(dut, bytes(ten))
    send_query(dut, v3_query(mrc=10), dst=G1)
    send_query(dut, v3_query(group=G2, mrc=10), dst=G1)
    unknown = bytearray(b"\x30\x00\x00\x00\x00\x00\x00\x00")
    unknown[2:4] = checksum(bytes(unknown)).to_bytes(2, "big")
    send_query(dut, bytes(unknown))
    assert igmp_out(dut, 30_000) == []
    dut.assert_dropped("igmp", "BadChecksum", 1)
    dut.assert_dropped("igmp", "BadLength", 1)
    dut.assert_dropped("igmp", "BadAddress", 2)
    dut.assert_dropped("igmp", "BadOperation", 1)
    assert dut.stack.igmp.version(dut.eth) == 3


@pytest.mark.requirement("RFC3376:R4.1.10-checksum", "RFC3376:R4.1.10-ignore", "RFC3376:R4.1.12-accept")
def test_query_with_additional_data_and_unicast_destination(dut):
    """
    Purpose: octets after a query's fields count in its checksum and are otherwise ignored; a query sent to
        the DUT's unicast address is processed.
    Setup: DUT joined 239.1.2.3, reports done.
    Procedure: General Query to 198.18.0.2 (unicast) with 4 additional octets, checksum over all; watch 2 s.
        Then the same with the checksum computed without the additional octets; watch 2 s.
    Judgement: one IS_EX(239.1.2.3) answer within 1 s to the first; nothing to the second, counted
        BadChecksum.
    Reference: RFC 3376 4.1.10, 4.1.12.
    """
    join_and_settle(dut, G1)
    send_query(dut, v3_query(mrc=10, extra=b"\x01\x02\x03\x04"), dst=dut.ip)
    out = igmp_out(dut, 2000)
    assert [records(f) for _, f in out] == [[(IS_EX, G1, [])]] and out[0][0] <= 1000
    send_query(dut, v3_query(mrc=10) + b"\x01\x02\x03\x04", dst=dut.ip)
    assert igmp_out(dut, 2000) == []
    dut.assert_dropped("igmp", "BadChecksum", 1)


@pytest.mark.requirement("RFC3376:R4.2.16-size", "RFC3376:R5-all-systems")
def test_join_flood_is_bounded(dut):
    """
    Purpose: joins beyond the per-device table (config igmp_groups) are refused and counted, and a General
        Query is answered by one report listing every group held.
    Setup: fresh DUT.
    Procedure: join 239.2.0.1 .. 239.2.0.40 and 224.0.0.1; watch 3 s; General Query Max Resp 1 s; watch 2 s.
    Judgement: exactly N = len(groups) joins succeed (N the table size, < 40), PoolExhausted counted 40 - N;
        one answer with N IS_EX records, nothing about 224.0.0.1.
    Reference: RFC 3376 4.2.16, 5.2.
    """
    ok = [dut.stack.igmp.join(dut.eth, f"239.2.0.{i}") for i in range(1, 41)]
    assert dut.stack.igmp.join(dut.eth, ALL_SYSTEMS)
    n = sum(ok)
    assert 0 < n < 40 and ok == [True] * n + [False] * (40 - n)
    dut.assert_dropped("igmp", "PoolExhausted", 40 - n)
    igmp_out(dut, 3000)
    send_query(dut, v3_query(mrc=10))
    out = igmp_out(dut, 2000)
    assert len(out) == 1
    assert records(out[0][1]) == [(IS_EX, f"239.2.0.{i}", []) for i in range(1, n + 1)]
