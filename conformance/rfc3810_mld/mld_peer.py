"""Scapy helpers for the MLD scenarios: queries of both versions as a querier on the DUT's link sends them
(link-local source, hop limit 1, Hop-by-Hop Router Alert), and dissection of the DUT's MLD messages."""
import ipaddress

from scapy.all import Ether, IPv6, raw
from scapy.layers.inet6 import (ICMPv6MLDone, ICMPv6MLQuery, ICMPv6MLQuery2, ICMPv6MLReport, ICMPv6MLReport2,
                                IPv6ExtHdrHopByHop, RouterAlert, in6_chksum)

ALL_NODES = "ff02::1"
ALL_ROUTERS = "ff02::2"
MLDV2_ROUTERS = "ff02::16"
QUERIER = "fe80::1"
G1 = "ff0e::1:3"
G2 = "ff05::1:4"
S1 = "2001:db8::9"
S2 = "2001:db8::10"
S3 = "2001:db8::11"
IS_IN, IS_EX, TO_IN, TO_EX = 1, 2, 3, 4


def canon(a: str) -> str:
    return str(ipaddress.IPv6Address(a))


def multicast_mac(group: str) -> str:
    b = ipaddress.IPv6Address(group).packed
    return "33:33:" + ":".join("%02x" % x for x in b[12:])


def solicited_node(address: str) -> str:
    b = ipaddress.IPv6Address(address).packed
    return canon("ff02::1:ff%02x:%02x%02x" % (b[13], b[14], b[15]))


def query_frame(dut, message, dst=ALL_NODES, src=QUERIER, hlim=1, router_alert=True):
    dst_mac = multicast_mac(dst) if dst.lower().startswith("ff") else dut.mac
    ip = IPv6(src=src, dst=dst, hlim=hlim)
    if router_alert:
        ip = ip / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])
    return Ether(src=dut.peer_mac, dst=dst_mac) / ip / message


def v2_query(group="::", mrd=10000, sources=(), qrv=2, qqic=125):
    return ICMPv6MLQuery2(mrd=mrd, mladdr=group, QRV=qrv, QQIC=qqic, sources=list(sources))


def v1_query(group="::", mrd=10000):
    return ICMPv6MLQuery(mrd=mrd, mladdr=group)


def v1_report(group):
    return ICMPv6MLReport(mladdr=group)


def send_query(dut, message, **kw):
    dut.send(query_frame(dut, message, **kw))


def is_mld(frame) -> bool:
    return IPv6 in frame and (ICMPv6MLReport2 in frame or ICMPv6MLReport in frame or ICMPv6MLDone in frame)


def records(frame, skip=()):
    """[(type, address, [sources])] of an MLDv2 report, addresses in `skip` left out.

    Walked from the report's bytes: Scapy's ICMPv6MLDMultAddrRec does not delimit itself, so its records
    list holds only the first record (the rest becomes that record's payload)."""
    data = raw(frame[ICMPv6MLReport2])
    out = []
    at = 8
    for _ in range(int.from_bytes(data[6:8], "big")):
        rtype, aux, n = data[at], data[at + 1], int.from_bytes(data[at + 2:at + 4], "big")
        address = canon(str(ipaddress.IPv6Address(data[at + 4:at + 20])))
        sources = [canon(str(ipaddress.IPv6Address(data[at + 20 + 16 * k:at + 36 + 16 * k]))) for k in range(n)]
        assert aux == 0, "auxiliary data in a record"
        if address not in skip:
            out.append((rtype, address, sources))
        at += 20 + 16 * n + 4 * aux
    assert at == len(data), "report length does not match its records"
    return out


def assert_ip_header(frame, dst, dut):
    ip = frame[IPv6]
    assert canon(ip.src) == canon(dut.ll6), ip.src
    assert canon(ip.dst) == canon(dst), ip.dst
    assert frame[Ether].dst == multicast_mac(dst)
    assert ip.hlim == 1, ip.hlim
    assert IPv6ExtHdrHopByHop in frame, "no Hop-by-Hop header"
    ras = [o for o in frame[IPv6ExtHdrHopByHop].options if isinstance(o, RouterAlert)]
    assert len(ras) == 1 and ras[0].value == 0, frame[IPv6ExtHdrHopByHop].options
    # The ICMPv6 checksum verifies over the pseudo-header (RFC 8200 8.1).
    icmp = frame[IPv6ExtHdrHopByHop].payload
    data = raw(icmp)
    zeroed = data[:2] + b"\0\0" + data[4:]
    assert in6_chksum(58, icmp, zeroed) == int.from_bytes(data[2:4], "big")
