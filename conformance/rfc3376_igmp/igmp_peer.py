"""Scapy helpers for the IGMP scenarios: queries of the three versions as a querier on the DUT's link
sends them, and dissection of what the DUT sends (IGMPv3 reports, IGMPv1/v2 reports and leaves)."""
from scapy.all import IP, Ether, IPOption_Router_Alert, Raw, raw
from scapy.contrib.igmp import IGMP
from scapy.contrib.igmpv3 import IGMPv3, IGMPv3mq
from scapy.utils import checksum

ALL_SYSTEMS = "224.0.0.1"
ALL_ROUTERS = "224.0.0.2"
V3_ROUTERS = "224.0.0.22"
G1 = "239.1.2.3"
G2 = "239.1.2.4"
S1 = "198.18.0.9"
S2 = "198.18.0.10"
S3 = "198.18.0.11"


def multicast_mac(group: str) -> str:
    o = [int(x) for x in group.split(".")]
    return "01:00:5e:%02x:%02x:%02x" % (o[1] & 0x7F, o[2], o[3])


def igmp_frame(dut, message: bytes, dst: str = ALL_SYSTEMS, src: str | None = None, ttl: int = 1) -> Ether:
    """`message` (IGMP bytes) in an IPv4 datagram with TTL 1 and Router Alert, as a querier sends it."""
    dst_mac = multicast_mac(dst) if int(dst.split(".")[0]) >= 224 else dut.mac
    return (Ether(src=dut.peer_mac, dst=dst_mac) /
            IP(src=src or dut.peer_ip, dst=dst, ttl=ttl, tos=0xC0, proto=2, options=[IPOption_Router_Alert()]) /
            Raw(message))


def v3_query(group="0.0.0.0", mrc=100, sources=(), qrv=2, qqic=125, extra=b"", bad_checksum=False) -> bytes:
    q = IGMPv3(type=0x11, mrcode=mrc) / IGMPv3mq(gaddr=group, qrv=qrv, qqic=qqic, srcaddrs=list(sources))
    data = bytearray(raw(q) + extra)
    data[2:4] = b"\0\0"
    c = checksum(bytes(data))
    if bad_checksum:
        c ^= 0x5555
    data[2:4] = c.to_bytes(2, "big")
    return bytes(data)


def v2_query(group="0.0.0.0", mrc=100) -> bytes:
    return raw(IGMP(type=0x11, mrcode=mrc, gaddr=group))


def v1_query() -> bytes:
    return raw(IGMP(type=0x11, mrcode=0, gaddr="0.0.0.0"))


def v2_report(group) -> bytes:
    return raw(IGMP(type=0x16, mrcode=0, gaddr=group))


def igmp_bytes(frame) -> bytes:
    """The IGMP message of a frame the DUT sent (IP options and link padding removed)."""
    ip = frame[IP]
    whole = raw(ip)
    return whole[ip.ihl * 4:ip.len]


def is_igmp(frame) -> bool:
    return IP in frame and frame[IP].proto == 2


def is_v3_report(frame) -> bool:
    return is_igmp(frame) and igmp_bytes(frame)[0] == 0x22


def records(frame):
    """[(record type, group, [sources])] of an IGMPv3 report."""
    report = IGMPv3(igmp_bytes(frame))
    return [(r.rtype, r.maddr, list(r.srcaddrs)) for r in report.records]


def assert_ip_header(frame, dst: str, dut, tos=0xC0, router_alert=True):
    ip = frame[IP]
    assert ip.src == dut.ip, ip.src
    assert ip.dst == dst, ip.dst
    assert frame[Ether].dst == multicast_mac(dst)
    assert ip.ttl == 1, f"TTL {ip.ttl}"
    assert ip.tos == tos, f"TOS {ip.tos:#x}"
    has_ra = ip.ihl == 6 and raw(ip)[20:24] == b"\x94\x04\x00\x00"
    assert has_ra == router_alert, raw(ip)[:ip.ihl * 4].hex()
    assert checksum(igmp_bytes(frame)) == 0, "IGMP checksum does not verify"


def send_query(dut, message: bytes, dst: str = ALL_SYSTEMS, **kw):
    dut.send(igmp_frame(dut, message, dst=dst, **kw))
