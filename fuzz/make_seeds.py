#!/usr/bin/python3
"""Writes the seed corpora corpora/<target>/seed-* of every fuzz target (fuzz/README.md), with Scapy.

Deterministic: every field that Scapy would otherwise take from the host (MACs, source addresses, IDs) is
set, so running it again writes the same bytes and git shows no change. Only files named seed-* are
rewritten; inputs merged in by `fuzz/run --merge` and corpora/<target>/regressions/ are left alone.

Adding a target: write a function returning [(name, bytes), ...] and register it in TARGETS below.

Usage: /usr/bin/python3 fuzz/make_seeds.py [--targets ethernet,arp,...] [--out corpora]
"""
import argparse
import pathlib
import struct
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption_RR, IPOption_Timestamp, Raw  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_SEED = 2048

# The addresses of fuzz/harness.hpp.
MAC_US = "02:00:00:00:00:01"
MAC_ETH1 = "02:00:00:00:00:02"
MAC_GW = "02:00:00:00:00:fe"
MAC_NEIGHBOUR = "02:00:00:00:00:fd"
MAC_OTHER = "02:00:00:00:00:fc"
MAC_NEW = "02:00:00:00:00:42"
BCAST_MAC = "ff:ff:ff:ff:ff:ff"
IP_US = "198.18.0.2"
IP_US2 = "198.18.1.2"
IP_ETH1 = "198.18.2.2"
IP_GW = "198.18.0.1"
IP_NEIGHBOUR = "198.18.0.3"
IP_NEW = "198.18.0.42"
IP_FAR = "198.19.1.1"

# Link flags byte of the arp and ipv4 targets.
UNICAST, LINK_BCAST, LINK_MCAST, SOURCE_MISMATCH = 0, 1, 2, 4

# Destination selector of the transport prefix (icmp4, udp): bits 0-1, bit 2 = eth0's second address.
DST_OURS, DST_LIMITED_BCAST, DST_DIRECTED_BCAST, DST_ALL_HOSTS, DST_SECOND = 0, 1, 2, 3, 4
DST_ADDRESSES = {
    DST_OURS: IP_US,
    DST_LIMITED_BCAST: "255.255.255.255",
    DST_DIRECTED_BCAST: "198.18.0.255",
    DST_ALL_HOSTS: "224.0.0.1",
    DST_SECOND | DST_OURS: IP_US2,
    DST_SECOND | DST_DIRECTED_BCAST: "198.18.1.255",
}


def ether(dst=MAC_US, src=MAC_GW, type=None):
    return Ether(dst=dst, src=src) if type is None else Ether(dst=dst, src=src, type=type)


def ip(src=IP_GW, dst=IP_US, **fields):
    fields.setdefault("id", 1)
    fields.setdefault("ttl", 64)
    return IP(src=src, dst=dst, **fields)


def arp(op="who-has", hwsrc=MAC_GW, psrc=IP_GW, hwdst="00:00:00:00:00:00", pdst=IP_US, **fields):
    return ARP(op=op, hwsrc=hwsrc, psrc=psrc, hwdst=hwdst, pdst=pdst, **fields)


def echo(id=0x1234, seq=1, payload=b"picotcp-fuzz-seed"):
    return ICMP(type=8, code=0, id=id, seq=seq) / Raw(payload)


def set_ipv4_checksum(datagram: bytes, value: int) -> bytes:
    return datagram[:10] + struct.pack("!H", value) + datagram[12:]


# ---- the transport prefix of the icmp4 and udp targets (fuzz/harness.hpp transport_input) ----

def prefix(src=IP_GW, dst_selector=DST_OURS, ttl=64, tos=0, ip_options=False):
    a = bytes(int(x) for x in src.split("."))
    return a + bytes([dst_selector, ttl, tos, 1 if ip_options else 0])


def transport_seed(layer, src=IP_GW, dst_selector=DST_OURS, ttl=64, tos=0, ip_options=False):
    """The prefix plus the transport bytes, with the checksum Scapy computes for the addresses the harness
    will put in RxMeta (so the seed passes the checksum check in builds that verify it)."""
    dst = DST_ADDRESSES[dst_selector]
    transport = bytes(IP(src=src, dst=dst) / layer)[20:]
    return prefix(src, dst_selector, ttl, tos, ip_options) + transport


# ---- seeds per target ----

def ethernet_seeds():
    """Whole frames for eth0 of the Minimal configuration (198.18.0.2/24 only)."""
    udp_to_us = ip() / UDP(sport=1234, dport=7) / Raw(b"hello")
    return [
        ("arp-request-for-us", ether(dst=BCAST_MAC) / arp()),
        ("arp-reply-to-us", ether() / arp(op="is-at", hwdst=MAC_US)),
        ("icmp-echo-request", ether() / ip() / echo()),
        ("udp-no-socket", ether() / udp_to_us),
        ("udp-limited-broadcast", ether(dst=BCAST_MAC) / ip(dst="255.255.255.255") / UDP(sport=68, dport=67)),
        ("ipv4-all-hosts-multicast", ether(dst="01:00:5e:00:00:01") / ip(dst="224.0.0.1") / echo()),
        ("multicast-not-joined", ether(dst="01:00:5e:00:00:fb") / ip(dst="224.0.0.251") / UDP(dport=5353)),
        ("not-for-us", ether(dst=MAC_OTHER) / ip() / echo()),
        ("multicast-source", ether(src="03:00:00:00:00:01") / ip() / echo()),
        ("broadcast-unicast-ip", ether(dst=BCAST_MAC) / ip() / echo()),
        ("ieee8023-length", ether(type=0x05DC) / Raw(b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + bytes(38))),
        ("ethertype-ipv6", ether(type=0x86DD) / Raw(bytes.fromhex("6000000000083a40") + bytes(32) + bytes(8))),
        ("ethertype-unknown", ether(type=0x88B5) / Raw(b"local experimental")),
        ("vlan-tagged", ether() / Dot1Q(vlan=5) / ip() / echo()),
        ("padded-minimum", bytes(ether() / ip() / ICMP(type=8)).ljust(60, b"\x00")),
        ("empty", b""),
        ("truncated-1", bytes(ether())[:1]),
        ("truncated-13", bytes(ether())[:13]),
        ("header-only", bytes(ether(type=0x0800))),
        ("large-echo-1514", ether() / ip() / echo(payload=bytes(range(256)) * 5 + bytes(192))),
    ]


def arp_seeds():
    """[flags][ARP packet] for eth0 of the Full configuration (ARP entries for .1 and .3)."""
    def seed(flags, packet, pad=0):
        b = bytes(packet)
        return bytes([flags]) + b + bytes(pad)

    return [
        ("request-for-us", seed(LINK_BCAST, arp(hwsrc=MAC_NEW, psrc=IP_NEW))),
        ("request-for-second-address", seed(LINK_BCAST, arp(hwsrc=MAC_NEW, psrc=IP_NEW, pdst=IP_US2))),
        ("request-for-other-device", seed(LINK_BCAST, arp(hwsrc=MAC_NEW, psrc=IP_NEW, pdst=IP_ETH1))),
        ("request-not-for-us", seed(LINK_BCAST, arp(hwsrc=MAC_NEW, psrc=IP_NEW, pdst="198.18.0.77"))),
        ("request-unicast", seed(UNICAST, arp(pdst=IP_US, hwdst=MAC_US))),
        ("reply-from-gateway", seed(UNICAST, arp(op="is-at", hwdst=MAC_US))),
        ("reply-new-mac-for-neighbour", seed(UNICAST, arp(op="is-at", hwsrc=MAC_OTHER, psrc=IP_NEIGHBOUR,
                                                       hwdst=MAC_US))),
        ("reply-unsolicited-unknown", seed(UNICAST, arp(op="is-at", hwsrc=MAC_NEW, psrc=IP_NEW, hwdst=MAC_US))),
        ("gratuitous-request", seed(LINK_BCAST, arp(hwsrc=MAC_OTHER, psrc=IP_NEIGHBOUR, pdst=IP_NEIGHBOUR))),
        ("gratuitous-reply", seed(LINK_BCAST, arp(op="is-at", hwsrc=MAC_OTHER, psrc=IP_NEIGHBOUR,
                                                  hwdst=BCAST_MAC, pdst=IP_NEIGHBOUR))),
        ("conflict-our-address", seed(LINK_BCAST, arp(hwsrc=MAC_OTHER, psrc=IP_US, pdst=IP_US))),
        ("conflict-reply", seed(UNICAST, arp(op="is-at", hwsrc=MAC_OTHER, psrc=IP_US, hwdst=MAC_US))),
        ("probe-for-our-address", seed(LINK_BCAST, arp(hwsrc=MAC_NEW, psrc="0.0.0.0", pdst=IP_US))),
        ("probe-for-other", seed(LINK_BCAST, arp(hwsrc=MAC_NEW, psrc="0.0.0.0", pdst="198.18.0.77"))),
        ("sender-broadcast-ip", seed(LINK_BCAST, arp(hwsrc=MAC_NEW, psrc="255.255.255.255"))),
        ("sender-multicast-mac", seed(LINK_BCAST, arp(hwsrc="01:00:5e:00:00:01", psrc=IP_NEW))),
        ("sender-our-mac", seed(LINK_BCAST, arp(hwsrc=MAC_US, psrc=IP_NEW))),
        ("source-mismatch", seed(LINK_BCAST | SOURCE_MISMATCH, arp(hwsrc=MAC_NEW, psrc=IP_NEW))),
        ("link-multicast", seed(LINK_MCAST, arp(hwsrc=MAC_NEW, psrc=IP_NEW))),
        ("bad-hardware-type", seed(LINK_BCAST, arp(hwtype=6, hwsrc=MAC_NEW, psrc=IP_NEW))),
        ("bad-protocol-type", seed(LINK_BCAST, arp(ptype=0x86DD, hwsrc=MAC_NEW, psrc=IP_NEW))),
        ("bad-hardware-length", seed(LINK_BCAST, bytes.fromhex("0001080008040001") + bytes(24))),
        ("bad-protocol-length", seed(LINK_BCAST, bytes.fromhex("0001080006100001") + bytes(44))),
        ("unknown-operation", seed(LINK_BCAST, arp(op=3, hwsrc=MAC_NEW, psrc=IP_NEW))),
        ("padded-to-46", seed(LINK_BCAST, arp(hwsrc=MAC_NEW, psrc=IP_NEW), pad=18)),
        ("empty", b""),
        ("flags-only", bytes([LINK_BCAST])),
        ("truncated-7", seed(LINK_BCAST, bytes(arp())[:7])),
        ("truncated-27", seed(LINK_BCAST, bytes(arp())[:27])),
    ]


def ipv4_datagrams():
    """(name, link flags, datagram) for the Full configuration; shared by the ipv4 and frame targets."""
    ok = ip() / echo()
    rr = IPOption_RR(routers=["0.0.0.0"] * 2)
    ts = IPOption_Timestamp(flg=0, timestamp=[0])
    good = bytes(ip() / echo())
    bad_checksum = set_ipv4_checksum(good, 0xBEEF)
    v6 = bytes([0x65]) + good[1:]
    ihl4 = bytes([0x44]) + good[1:]
    total_too_long = good[:2] + struct.pack("!H", len(good) + 10) + good[4:]
    total_too_short = good[:2] + struct.pack("!H", 19) + good[4:]
    return [
        ("echo-to-us", UNICAST, ok),
        ("echo-to-second-address", UNICAST, ip(dst=IP_US2) / echo()),
        ("echo-to-other-device-address", UNICAST, ip(dst=IP_ETH1) / echo()),
        ("echo-from-off-link", UNICAST, ip(src=IP_FAR) / echo()),
        ("echo-from-unknown-neighbour", UNICAST, ip(src=IP_NEW) / echo()),
        ("echo-limited-broadcast", LINK_BCAST, ip(dst="255.255.255.255") / echo()),
        ("echo-directed-broadcast", LINK_BCAST, ip(dst="198.18.0.255") / echo()),
        ("echo-all-hosts", LINK_MCAST, ip(dst="224.0.0.1") / echo()),
        ("echo-other-group", LINK_MCAST, ip(dst="224.0.0.251") / echo()),
        ("unicast-in-link-broadcast", LINK_BCAST, ok),
        ("echo-ttl-0", UNICAST, ip(ttl=0) / echo()),
        ("echo-tos", UNICAST, ip(tos=0xB8) / echo()),
        ("udp-echo-port", UNICAST, ip() / UDP(sport=1234, dport=7) / Raw(b"echo me")),
        ("udp-dns-port", UNICAST, ip() / UDP(sport=1234, dport=53) / Raw(b"\x12\x34\x01\x00")),
        ("udp-bootps-broadcast", LINK_BCAST, ip(src="0.0.0.0", dst="255.255.255.255") /
         UDP(sport=68, dport=67) / Raw(bytes(240))),
        ("udp-connected-peer", UNICAST, ip() / UDP(sport=5001, dport=5000) / Raw(b"to connected")),
        ("udp-connected-wrong-peer-port", UNICAST, ip() / UDP(sport=5002, dport=5000) / Raw(b"x")),
        ("udp-closed-port", UNICAST, ip() / UDP(sport=1234, dport=9) / Raw(b"discard?")),
        ("udp-closed-port-broadcast", LINK_BCAST, ip(dst="198.18.0.255") / UDP(sport=1234, dport=9)),
        ("udp-zero-checksum", UNICAST, bytes(ip() / UDP(sport=1234, dport=7, chksum=0) / Raw(b"no sum"))),
        ("tcp-syn", UNICAST, ip() / TCP(sport=40000, dport=80, flags="S", seq=1000,
                                         options=[("MSS", 1460), ("SAckOK", b""), ("WScale", 7)])),
        ("unknown-protocol", UNICAST, ip(proto=253) / Raw(b"experimental")),
        ("igmp-query", LINK_MCAST, ip(dst="224.0.0.1", proto=2, ttl=1) / Raw(bytes.fromhex("11640000") + bytes(4))),
        ("options-record-route", UNICAST, ip(options=[rr]) / echo()),
        ("options-timestamp", UNICAST, ip(options=[ts]) / echo()),
        ("options-nop-eol", UNICAST, bytes(ip(options=[b"\x01\x01\x01\x00"]) / echo())),
        ("option-length-zero", UNICAST, ip(options=[b"\x07\x00\x00\x00"]) / echo()),
        ("option-length-past-header", UNICAST, ip(options=[b"\x07\x09\x04\x00"]) / echo()),
        ("option-without-length", UNICAST, ip(options=[b"\x01\x01\x01\x07"]) / echo()),
        ("ihl-15-options", UNICAST, ip(options=[b"\x01" * 39 + b"\x00"]) / echo()),
        ("fragment-first", UNICAST, ip(flags="MF") / echo()),
        ("fragment-middle", UNICAST, ip(flags="MF", frag=3) / Raw(bytes(16))),
        ("fragment-last", UNICAST, ip(frag=5) / Raw(bytes(16))),
        ("dont-fragment", UNICAST, ip(flags="DF") / echo()),
        ("bad-checksum", UNICAST, bad_checksum),
        ("bad-version", UNICAST, v6),
        ("ihl-below-5", UNICAST, ihl4),
        ("total-length-past-end", UNICAST, total_too_long),
        ("total-length-below-header", UNICAST, total_too_short),
        ("ethernet-padding-after", UNICAST, good + bytes(46 - len(good)) if len(good) < 46 else good + bytes(4)),
        ("source-limited-broadcast", UNICAST, ip(src="255.255.255.255") / echo()),
        ("source-directed-broadcast", UNICAST, ip(src="198.18.0.255") / echo()),
        ("source-multicast", UNICAST, ip(src="224.0.0.5") / echo()),
        ("source-loopback", UNICAST, ip(src="127.0.0.1") / echo()),
        ("source-class-e", UNICAST, ip(src="240.0.0.1") / echo()),
        ("source-ours", UNICAST, ip(src=IP_US) / echo()),
        ("destination-not-ours", UNICAST, ip(dst="198.18.0.77") / echo()),
        ("header-only", UNICAST, ip(proto=17)),
        ("truncated-19", UNICAST, good[:19]),
        ("large-1500", UNICAST, ip() / echo(payload=bytes(range(256)) * 5 + bytes(192))),
    ]


# IPv6 addresses of fuzz/harness.hpp (Full configuration).
IP6_US = "2001:db8::2"
IP6_US_LL = "fe80::2"
IP6_GW_LL = "fe80::fe"
IP6_PEER = "2001:db8::1"


def ipv6_packets():
    """(name, link flags, packet) for the Full configuration's IPv6 side: one of each protocol and extension
    header, the ND and MLD messages, fragments, and the hostile shapes of CVE-2020-17441..17445."""
    from scapy.layers.inet6 import (HBHOptUnknown, ICMPv6EchoRequest, ICMPv6MLQuery2, ICMPv6ND_NA,
                                    ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6NDOptMTU,
                                    ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, ICMPv6PacketTooBig, IPv6,
                                    IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                    IPv6ExtHdrRouting, PadN, RouterAlert)

    def v6(src=IP6_PEER, dst=IP6_US, hlim=64, **fields):
        return IPv6(src=src, dst=dst, hlim=hlim, fl=0, **fields)

    echo6 = ICMPv6EchoRequest(id=0x1234, seq=1, data=b"picotcp-fuzz-seed")
    big = v6() / ICMPv6EchoRequest(id=1, seq=2, data=bytes(range(256)) * 6)
    frag_id = 0x01020304
    frag_hdr_len = 40 + 8
    whole = bytes(big)
    payload = whole[40:]
    first = bytes(v6(nh=44) / IPv6ExtHdrFragment(nh=58, offset=0, m=1, id=frag_id)) + payload[:1200]
    second = bytes(v6(nh=44) / IPv6ExtHdrFragment(nh=58, offset=150, m=0, id=frag_id)) + payload[1200:]
    del frag_hdr_len
    packets = [
        ("echo-to-us", UNICAST, v6() / echo6),
        ("echo-to-link-local", UNICAST, v6(src=IP6_GW_LL, dst=IP6_US_LL) / echo6),
        ("echo-to-all-nodes", LINK_MCAST, v6(dst="ff02::1") / echo6),
        ("udp-echo", UNICAST, v6() / UDP(sport=5000, dport=7) / b"udp6"),
        ("udp-no-socket", UNICAST, v6() / UDP(sport=5000, dport=9999) / b"x"),
        ("tcp-syn-80", UNICAST, v6() / TCP(sport=40000, dport=80, flags="S", seq=1000,
                                               options=[("MSS", 1440)])),
        ("ns-for-us", LINK_MCAST, v6(src=IP6_GW_LL, dst="ff02::1:ff00:2", hlim=255) /
         ICMPv6ND_NS(tgt=IP6_US) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_GW)),
        ("ns-dad", LINK_MCAST, v6(src="::", dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt=IP6_US)),
        ("na-solicited", UNICAST, v6(src=IP6_GW_LL, dst=IP6_US_LL, hlim=255) /
         ICMPv6ND_NA(tgt=IP6_GW_LL, R=1, S=1, O=1)),
        ("ra", LINK_MCAST, v6(src=IP6_GW_LL, dst="ff02::1", hlim=255) /
         ICMPv6ND_RA(routerlifetime=1800, reachabletime=30000, retranstimer=1000) /
         ICMPv6NDOptSrcLLAddr(lladdr=MAC_GW) / ICMPv6NDOptMTU(mtu=1400) /
         ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, L=1, A=1, validlifetime=7200,
                               preferredlifetime=3600)),
        ("redirect", UNICAST, v6(src=IP6_GW_LL, dst=IP6_US_LL, hlim=255) /
         ICMPv6ND_Redirect(tgt="fe80::99", dst="2001:db8:5::1")),
        ("mld-general-query", LINK_MCAST, IPv6(src=IP6_GW_LL, dst="ff02::1", hlim=1, fl=0) /
         IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)]) / ICMPv6MLQuery2()),
        ("packet-too-big", UNICAST, v6(src="2001:db8::fe") / ICMPv6PacketTooBig(mtu=1280) /
         bytes(v6(src=IP6_US, dst=IP6_PEER) / UDP(sport=7, dport=5000) / (b"x" * 32))),
        ("hop-by-hop-padn", UNICAST, v6() / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00" * 4)]) / echo6),
        ("dest-options-unknown", UNICAST, v6() / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9e,
                                                                                       optdata=b"ab")]) / echo6),
        ("routing-type0", UNICAST, v6() / IPv6ExtHdrRouting(type=0, segleft=1, addresses=[IP6_PEER]) / echo6),
        ("fragment-first", UNICAST, first),
        ("fragment-last", UNICAST, second),
        ("atomic-fragment", UNICAST, v6(nh=44) / IPv6ExtHdrFragment(nh=58, offset=0, m=0, id=7) / echo6),
    ]
    good = bytes(v6() / echo6)
    # CVE-2020-17441: ICMPv6 message shorter than its payload length says.
    short = good[:4] + struct.pack("!H", len(good) - 40 + 100) + good[6:]
    # CVE-2020-17442: hop-by-hop header length wrapping around.
    hbh_wrap = bytes(v6(nh=0)) + bytes([58, 0xff, 0x01, 0xfa]) + b"\x00" * 4
    # CVE-2020-17443: echo request shorter than 8 bytes.
    echo_short = bytes(v6(nh=58, plen=4)) + bytes([128, 0, 0, 0])
    # CVE-2020-17444: extension headers chained to the limit.
    chain = v6()
    for _ in range(12):
        chain = chain / IPv6ExtHdrDestOpt()
    # CVE-2020-17445: destination option running past its header.
    dest_oob = bytes(v6(nh=60)) + bytes([58, 0, 0x1e, 0x20]) + b"\x00" * 4
    packets += [
        ("cve-17441-short-icmp6", UNICAST, short),
        ("cve-17442-hbh-wrap", UNICAST, hbh_wrap),
        ("cve-17443-echo-short", UNICAST, echo_short),
        ("cve-17444-long-chain", UNICAST, chain / echo6),
        ("cve-17445-dest-option-oob", UNICAST, dest_oob),
    ]
    return packets


def ipv6_seeds():
    return [(name, bytes([flags]) + bytes(packet)) for name, flags, packet in ipv6_packets()] + [
        ("empty", b""),
        ("flags-only", bytes([UNICAST])),
    ]


def ipv4_seeds():
    return [(name, bytes([flags]) + bytes(datagram)) for name, flags, datagram in ipv4_datagrams()] + [
        ("empty", b""),
        ("flags-only", bytes([UNICAST])),
    ]


def icmp4_seeds():
    """[prefix][ICMP message]; errors quote datagrams the Full configuration's sockets could have sent."""
    def quoted(inner, length=None):
        b = bytes(inner)
        return b if length is None else b[:length]

    from_connected = ip(src=IP_US, dst=IP_GW, id=7) / UDP(sport=5000, dport=5001) / Raw(b"sent earlier")
    from_dns = ip(src=IP_US, dst=IP_NEW, id=8) / UDP(sport=53, dport=40000) / Raw(b"answer")
    tcp_quote = ip(src=IP_US, dst=IP_GW, id=9) / TCP(sport=40000, dport=80, flags="S", seq=1)
    seeds = [
        ("echo-request", transport_seed(echo())),
        ("echo-request-empty", transport_seed(ICMP(type=8, id=1, seq=1))),
        ("echo-request-large", transport_seed(echo(payload=bytes(range(256)) * 5))),
        ("echo-request-second-address", transport_seed(echo(), dst_selector=DST_SECOND | DST_OURS)),
        ("echo-request-off-link", transport_seed(echo(), src=IP_FAR)),
        ("echo-request-unknown-neighbour", transport_seed(echo(), src=IP_NEW)),
        ("echo-request-from-zero", transport_seed(echo(), src="0.0.0.0")),
        ("echo-request-broadcast", transport_seed(echo(), dst_selector=DST_LIMITED_BCAST)),
        ("echo-request-directed-broadcast", transport_seed(echo(), dst_selector=DST_DIRECTED_BCAST)),
        ("echo-request-all-hosts", transport_seed(echo(), dst_selector=DST_ALL_HOSTS)),
        ("echo-request-ip-options", transport_seed(echo(), ip_options=True)),
        ("echo-request-tos", transport_seed(echo(), tos=0x10)),
        ("echo-reply", transport_seed(ICMP(type=0, id=0x1234, seq=1) / Raw(b"pong"))),
        ("port-unreachable-connected", transport_seed(ICMP(type=3, code=3) / quoted(from_connected))),
        ("port-unreachable-dns", transport_seed(ICMP(type=3, code=3) / quoted(from_dns, 28))),
        ("host-unreachable", transport_seed(ICMP(type=3, code=1) / quoted(from_connected, 28))),
        ("protocol-unreachable-tcp", transport_seed(ICMP(type=3, code=2) / quoted(tcp_quote, 28))),
        ("fragmentation-needed", transport_seed(ICMP(type=3, code=4, nexthopmtu=576) / quoted(from_connected))),
        ("unreachable-quote-short", transport_seed(ICMP(type=3, code=3) / quoted(from_connected, 24))),
        ("unreachable-quote-ihl-4", transport_seed(ICMP(type=3, code=3) /
                                                   (b"\x44" + quoted(from_connected, 28)[1:]))),
        ("unreachable-quote-options", transport_seed(ICMP(type=3, code=3) /
                                                     quoted(ip(src=IP_US, dst=IP_GW, options=[b"\x01\x01\x01\x00"]) /
                                                            UDP(sport=5000, dport=5001)))),
        ("unreachable-broadcast", transport_seed(ICMP(type=3, code=3) / quoted(from_connected),
                                                 dst_selector=DST_LIMITED_BCAST)),
        ("source-quench", transport_seed(ICMP(type=4) / quoted(from_connected, 28))),
        ("redirect", transport_seed(ICMP(type=5, code=1, gw=IP_NEIGHBOUR) / quoted(from_connected, 28))),
        ("time-exceeded", transport_seed(ICMP(type=11, code=0) / quoted(from_connected, 28))),
        ("parameter-problem", transport_seed(ICMP(type=12, code=0, ptr=1) / quoted(from_connected, 28))),
        ("timestamp-request", transport_seed(ICMP(type=13, id=1, seq=1, ts_ori=1, ts_rx=0, ts_tx=0))),
        ("information-request", transport_seed(ICMP(type=15, id=1, seq=1))),
        ("address-mask-request", transport_seed(ICMP(type=17, id=1, seq=1) / Raw(bytes(4)))),
        ("unknown-type", transport_seed(ICMP(type=200) / Raw(b"?"))),
        ("header-only", transport_seed(ICMP(type=8))),
        ("truncated-4", prefix() + bytes(ICMP(type=8))[:4]),
        ("truncated-7", prefix() + bytes(ICMP(type=8))[:7]),
        ("prefix-only", prefix()),
        ("empty", b""),
    ]
    return seeds


def udp_seeds():
    """[prefix][UDP datagram] for the Full configuration's sockets."""
    good = transport_seed(UDP(sport=1234, dport=7) / Raw(b"echo"))
    body = good[8:]

    def with_length(value):
        return good[:8] + body[:4] + struct.pack("!H", value) + body[6:]

    return [
        ("echo", good),
        ("echo-empty", transport_seed(UDP(sport=1234, dport=7))),
        ("echo-large", transport_seed(UDP(sport=1234, dport=7) / Raw(bytes(range(256)) * 5 + bytes(100)))),
        ("echo-from-unknown-neighbour", transport_seed(UDP(sport=1234, dport=7) / Raw(b"who"), src=IP_NEW)),
        ("echo-from-off-link", transport_seed(UDP(sport=1234, dport=7) / Raw(b"far"), src=IP_FAR)),
        ("echo-from-zero", transport_seed(UDP(sport=68, dport=7) / Raw(b"zero"), src="0.0.0.0")),
        ("echo-second-address", transport_seed(UDP(sport=1234, dport=7) / Raw(b"2"),
                                               dst_selector=DST_SECOND | DST_OURS)),
        ("echo-source-port-zero", transport_seed(UDP(sport=0, dport=7) / Raw(b"p0"))),
        ("dns", transport_seed(UDP(sport=40000, dport=53) / Raw(bytes.fromhex("123401000001000000000000")))),
        ("dns-second-address", transport_seed(UDP(sport=40000, dport=53) / Raw(b"q"),
                                              dst_selector=DST_SECOND | DST_OURS)),
        ("bootps-broadcast", transport_seed(UDP(sport=68, dport=67) / Raw(bytes(240)), src="0.0.0.0",
                                            dst_selector=DST_LIMITED_BCAST)),
        ("bootps-directed-broadcast", transport_seed(UDP(sport=68, dport=67) / Raw(b"d"),
                                                     dst_selector=DST_DIRECTED_BCAST)),
        ("all-hosts-echo", transport_seed(UDP(sport=1234, dport=7) / Raw(b"m"), dst_selector=DST_ALL_HOSTS)),
        ("broadcast-no-socket", transport_seed(UDP(sport=1234, dport=9) / Raw(b"b"),
                                               dst_selector=DST_LIMITED_BCAST)),
        ("connected-peer", transport_seed(UDP(sport=5001, dport=5000) / Raw(b"hi"))),
        ("connected-wrong-port", transport_seed(UDP(sport=5002, dport=5000) / Raw(b"no"))),
        ("connected-wrong-address", transport_seed(UDP(sport=5001, dport=5000) / Raw(b"no"), src=IP_NEIGHBOUR)),
        ("closed-port", transport_seed(UDP(sport=1234, dport=9) / Raw(b"discard"))),
        ("closed-port-ip-options", transport_seed(UDP(sport=1234, dport=9) / Raw(b"o"), ip_options=True)),
        ("zero-checksum", good[:8] + bytes(UDP(sport=1234, dport=7, chksum=0) / Raw(b"echo"))),
        ("bad-checksum", good[:8] + body[:6] + b"\xbe\xef" + body[8:]),
        ("length-past-end", with_length(len(body) + 4)),
        ("length-below-header", with_length(7)),
        ("length-zero", with_length(0)),
        ("length-shorter-padding", with_length(len(body) - 2)),
        ("header-only-length-8", transport_seed(UDP(sport=1, dport=7))),
        ("truncated-7", good[:8] + body[:7]),
        ("truncated-1", good[:9]),
        ("prefix-only", good[:8]),
        ("empty", b""),
    ]


def frame_seeds():
    """Whole frames for eth0 of the Full configuration: every ipv4 datagram and ARP packet, framed."""
    seeds = []
    for name, flags, datagram in ipv4_datagrams():
        dst = BCAST_MAC if flags & LINK_BCAST else ("01:00:5e:00:00:01" if flags & LINK_MCAST else MAC_US)
        seeds.append(("ipv4-" + name, bytes(ether(dst=dst, type=0x0800)) + bytes(datagram)))
    for name, packet in arp_seeds():
        if len(packet) < 1:
            continue
        flags, body = packet[0], packet[1:]
        if flags & SOURCE_MISMATCH:
            src = MAC_OTHER
        elif len(body) >= 14:
            src = ":".join("%02x" % b for b in body[8:14])
        else:
            src = MAC_GW
        if int(src.split(":")[0], 16) & 1:
            src = MAC_GW  # a multicast Ethernet source is dropped before ARP: keep the ARP seed meaningful
        dst = BCAST_MAC if flags & LINK_BCAST else MAC_US
        seeds.append(("arp-" + name, bytes(ether(dst=dst, src=src, type=0x0806)) + body))
    seeds += [(name, data) for name, data in ethernet_seeds()
              if name in ("ieee8023-length", "ethertype-ipv6", "vlan-tagged", "not-for-us", "multicast-source",
                          "empty", "truncated-13", "padded-minimum")]
    seeds.append(("eth1-address-via-eth0", bytes(ether() / ip(dst=IP_ETH1) / UDP(sport=1234, dport=7) / Raw(b"weak"))))
    # IPv6 (the Full configuration has it when the module is built): every ipv6 packet, framed.
    for name, flags, packet in ipv6_packets():
        b = bytes(packet)
        dst = "33:33:" + ":".join("%02x" % x for x in b[36:40]) if flags & LINK_MCAST else MAC_US
        seeds.append(("ipv6-" + name, bytes(ether(dst=dst, type=0x86DD)) + b))
    return seeds


def tcp_segment(sport=40000, dport=80, flags="S", seq=1000, ack=0, window=65535, options=None, payload=b"",
                src=IP_GW, dst=IP_US, **fields):
    """A TCP segment with the checksum Scapy computes for src -> dst (what the hook target's prefix says)."""
    if options is None:
        options = []
    layer = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=window, options=options, **fields)
    if payload:
        layer = layer / Raw(payload)
    return bytes(IP(src=src, dst=dst) / layer)[20:]


SYN_OPTIONS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]


def tcp_seeds():
    """[prefix][TCP segment] for the Full configuration's TCP sockets (80 accepts, 22 never, 8080 SYN-SENT)."""
    def seed(segment, **prefix_fields):
        return prefix(**prefix_fields) + segment

    def raw(segment_bytes, **prefix_fields):
        return prefix(**prefix_fields) + segment_bytes

    syn = tcp_segment(options=SYN_OPTIONS)
    bad_offset = bytearray(tcp_segment())
    bad_offset[12] = 0x40
    long_offset = bytearray(tcp_segment())
    long_offset[12] = 0xF0
    return [
        ("syn-listener", seed(syn)),
        ("syn-no-options", seed(tcp_segment())),
        ("syn-mss-only", seed(tcp_segment(options=[("MSS", 536)]))),
        ("syn-window-scale-15", seed(tcp_segment(options=[("WScale", 15)]))),
        ("syn-with-data", seed(tcp_segment(payload=b"early data"))),
        ("syn-fin", seed(tcp_segment(flags="SF"))),
        ("syn-rst", seed(tcp_segment(flags="SR"))),
        ("syn-backlog-port", seed(tcp_segment(dport=22, options=SYN_OPTIONS))),
        ("syn-closed-port", seed(tcp_segment(dport=81))),
        ("syn-second-address", seed(tcp_segment(dst=IP_US2, options=SYN_OPTIONS), dst_selector=DST_SECOND)),
        ("syn-broadcast", seed(tcp_segment(dst="255.255.255.255"), dst_selector=DST_LIMITED_BCAST)),
        ("syn-all-hosts", seed(tcp_segment(dst="224.0.0.1"), dst_selector=DST_ALL_HOSTS)),
        ("syn-from-unknown-neighbour", seed(tcp_segment(src=IP_NEW), src=IP_NEW)),
        ("syn-from-off-link", seed(tcp_segment(src=IP_FAR), src=IP_FAR)),
        ("syn-ack-client", seed(tcp_segment(sport=8080, dport=49152, flags="SA", seq=5000, ack=1))),
        ("rst-client", seed(tcp_segment(sport=8080, dport=49152, flags="RA", seq=0, ack=1))),
        ("ack-no-connection", seed(tcp_segment(flags="A", seq=1001, ack=1))),
        ("rst-no-connection", seed(tcp_segment(flags="R", seq=1001))),
        ("fin-scan", seed(tcp_segment(flags="F"))),
        ("xmas", seed(tcp_segment(flags="FPU", urgptr=1))),
        ("null-flags", seed(tcp_segment(flags=""))),
        ("data-no-connection", seed(tcp_segment(flags="PA", seq=1001, ack=1, payload=b"GET / HTTP/1.0\r\n\r\n"))),
        ("option-zero-length", seed(tcp_segment(options=[(2, b"")]))),
        ("option-length-past-end", raw(bytes(tcp_segment(options=[("MSS", 1460)]))[:20] + b"\x02\x08\x05\xb4",
                                       )),
        ("option-sack-blocks", seed(tcp_segment(flags="A", options=[("SAck", (1, 2, 3, 4))]))),
        ("option-eol-then-garbage", seed(tcp_segment(options=[("EOL", None), ("MSS", 1460)]))),
        ("option-unknown-kind", seed(tcp_segment(options=[(254, b"\x00\x01")]))),
        ("data-offset-below-5", raw(bytes(bad_offset))),
        ("data-offset-past-end", raw(bytes(long_offset))),
        ("bad-checksum", raw(tcp_segment()[:16] + b"\xbe\xef" + tcp_segment()[18:])),
        ("header-only-truncated", raw(tcp_segment()[:19])),
        ("prefix-only", prefix()),
        ("empty", b""),
    ]


def tcp_listen_seeds():
    """Sequences of TCP segments from 198.18.0.1 to the listeners; ACK numbers relative to the stack's ISN
    (the harness adds it), checksums written by the harness (fuzz/harness.hpp deliver_tcp_from_gateway)."""
    def seg(**fields):
        return tcp_segment(**fields)

    isn = 1000
    hello = b"hello, stack"
    # No timestamps: once negotiated (RFC 7323), every later segment would have to carry one.
    syn_options = [("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]
    handshake = [(0, seg(options=syn_options, seq=isn)), (10, seg(flags="A", seq=isn + 1, ack=1))]
    ts = [("NOP", None), ("NOP", None), ("Timestamp", (100, 0))]
    echo = handshake + [
        (10, seg(flags="PA", seq=isn + 1, ack=1, payload=hello)),
        (50, seg(flags="A", seq=isn + 1 + len(hello), ack=1 + len(hello))),
        (10, seg(flags="FA", seq=isn + 1 + len(hello), ack=1 + len(hello))),
        (50, seg(flags="A", seq=isn + 2 + len(hello), ack=2 + len(hello))),
    ]
    return [
        ("handshake", sequence(handshake)),
        ("echo-and-close", sequence(echo)),
        ("syn-then-rst", sequence([(0, seg(seq=isn)), (10, seg(flags="R", seq=isn + 1))])),
        ("syn-retransmitted", sequence([(0, seg(seq=isn)), (1000, seg(seq=isn)), (3000, seg(seq=isn))])),
        ("syn-then-silence", sequence([(0, seg(seq=isn)), (65000, seg(flags="A", seq=isn + 1, ack=1))])),
        ("syn-flood", sequence([(0, seg(sport=40000 + i, seq=isn + i)) for i in range(8)])),
        ("backlog-port", sequence([(0, seg(dport=22, seq=isn)), (10, seg(dport=22, flags="A", seq=isn + 1, ack=1)),
                                   (0, seg(dport=22, sport=40001, seq=isn)),
                                   (10, seg(dport=22, sport=40001, flags="A", seq=isn + 1, ack=1))])),
        ("out-of-order-data", sequence(handshake + [
            (10, seg(flags="PA", seq=isn + 6, ack=1, payload=b"world")),
            (10, seg(flags="PA", seq=isn + 1, ack=1, payload=b"hello")),
        ])),
        ("overlapping-data", sequence(handshake + [
            (10, seg(flags="PA", seq=isn + 1, ack=1, payload=b"abcdef")),
            (10, seg(flags="PA", seq=isn + 4, ack=1, payload=b"defghi")),
        ])),
        ("data-outside-window", sequence(handshake + [(10, seg(flags="PA", seq=isn + 1 + 70000, ack=1, payload=b"x"))])),
        ("bad-ack-in-syn-received", sequence([(0, seg(seq=isn)), (10, seg(flags="A", seq=isn + 1, ack=12345))])),
        ("rst-in-window", sequence(handshake + [(10, seg(flags="R", seq=isn + 100))])),
        ("rst-exact", sequence(handshake + [(10, seg(flags="R", seq=isn + 1))])),
        ("syn-on-established", sequence(handshake + [(10, seg(seq=isn + 50))])),
        ("zero-window-peer", sequence([(0, seg(seq=isn)), (10, seg(flags="A", seq=isn + 1, ack=1, window=0)),
                                       (10, seg(flags="PA", seq=isn + 1, ack=1, window=0, payload=hello)),
                                       (5000, seg(flags="A", seq=isn + 1 + len(hello), ack=1, window=0)),
                                       (10000, seg(flags="A", seq=isn + 1 + len(hello), ack=1, window=65535))])),
        ("urgent-data", sequence(handshake + [(10, seg(flags="PAU", seq=isn + 1, ack=1, urgptr=3, payload=b"!!!data"))])),
        ("timestamps-echo", sequence([
            (0, seg(seq=isn, options=SYN_OPTIONS)),
            (10, seg(flags="A", seq=isn + 1, ack=1, options=ts)),
            (10, seg(flags="PA", seq=isn + 1, ack=1, options=ts, payload=hello)),
            (10, seg(flags="FA", seq=isn + 1 + len(hello), ack=1 + len(hello), options=ts)),
        ])),
        ("timestamps-paws", sequence([
            (0, seg(seq=isn, options=[("Timestamp", (100, 0))])),
            (10, seg(flags="A", seq=isn + 1, ack=1, options=[("Timestamp", (101, 0))])),
            (10, seg(flags="PA", seq=isn + 1, ack=1, options=[("Timestamp", (50, 0))], payload=b"old")),
        ])),
        ("sack-blocks", sequence(handshake + [(10, seg(flags="A", seq=isn + 1, ack=1, options=[("SAck", (5, 10))]))])),
        ("fin-then-data", sequence(handshake + [(10, seg(flags="FA", seq=isn + 1, ack=1)),
                                                 (10, seg(flags="PA", seq=isn + 2, ack=1, payload=b"late"))])),
        ("new-syn-after-close", sequence(echo + [(10, seg(seq=isn + 100000)), (65000, seg(flags="A", seq=isn + 2, ack=2))])),
        ("empty", b""),
    ]


# ---- tcp_established (fuzz/targets/tcp_established.cpp) ----

# The set-up byte: the state (bits 0-3) and what the peer's SYN / SYN-ACK offers (bits 4-7).
EST_PASSIVE, EST_ACTIVE, EST_SYN_SENT, EST_SYN_RECEIVED, EST_FIN_WAIT_1, EST_FIN_WAIT_2, EST_CLOSE_WAIT, \
    EST_CLOSING, EST_LAST_ACK, EST_TIME_WAIT = range(10)
EST_STATE_NAMES = ["established-passive", "established-active", "syn-sent", "syn-received", "fin-wait-1",
                   "fin-wait-2", "close-wait", "closing", "last-ack", "time-wait"]
EST_TS, EST_SACK, EST_WS, EST_SMALL_MSS = 0x10, 0x20, 0x40, 0x80
EST_ALL = EST_TS | EST_SACK | EST_WS
# Application calls (op byte).
OP_READ, OP_READ_ALL, OP_WRITE, OP_WRITE_PATTERN, OP_WRITE_URGENT, OP_SHUTDOWN_WRITE, OP_SHUTDOWN_READ, \
    OP_CLOSE, OP_ABORT, OP_SET_OPTION, OP_ACCEPT, OP_VIEWS = range(12)
# SocketOption (stack/transport/socket_types.hpp), by position.
(SO_TTL, SO_TOS, SO_BROADCAST, SO_RXQUEUE, SO_NODELAY, SO_KEEPALIVE, SO_KEEPIDLE, SO_KEEPINTERVAL, SO_KEEPCOUNT,
 SO_LINGER, SO_TXQUEUE, SO_SENDSPACE, SO_SENDBUFFER, SO_RECVBUFFER, SO_MAXSEGMENT, SO_RETRANSMIT_TIMEOUT,
 SO_CONNECT_TIMEOUT, SO_URGENT_PENDING) = range(18)


class Call:
    """An application call record of tcp_established: [u16 be 0x8000 | n][u16 be delta][op][arguments]."""

    def __init__(self, op, args=b""):
        self.body = bytes([op]) + bytes(args)


def call(delta, op, args=b""):
    return (delta, Call(op, args))


def set_option(delta, option, value):
    return call(delta, OP_SET_OPTION, bytes([option]) + struct.pack("!i", value))


def established_sequence(setup, records):
    """The tcp_established input: the set-up byte, then records (delta, segment bytes | Call)."""
    out = bytes([setup])
    for delta, record in records:
        if isinstance(record, Call):
            out += struct.pack("!HH", 0x8000 | len(record.body), delta) + record.body
        else:
            b = bytes(record)
            out += struct.pack("!HH", len(b), delta) + b
    return out


class Peer:
    """The peer's side in relative numbering (the harness adds the ISNs to seq, ack and SACK blocks, writes
    the ports, and turns TSecr 0 into an echo of the stack's last TSval): seq 1 is the peer's first data
    byte, ack 1 acknowledges the stack's SYN. Adds a timestamp option to every segment when the set-up offered timestamps."""

    def __init__(self, setup, seq=1, ack=1):
        self.ts = bool(setup & EST_TS)
        self.window = 512 if setup & EST_WS else 65535  # scaled by 7 when window scaling was agreed
        self.seq, self.ack, self.tsval = seq, ack, 2000

    def seg(self, flags="A", payload=b"", seq=None, ack=None, window=None, options=None, advance=True, **fields):
        options = list(options or [])
        if self.ts:
            self.tsval += 1
            options = options + [("NOP", None), ("NOP", None), ("Timestamp", (self.tsval, 0))]
        s = self.seq if seq is None else seq
        b = tcp_segment(flags=flags, seq=s & 0xFFFFFFFF, ack=(self.ack if ack is None else ack) & 0xFFFFFFFF,
                        window=self.window if window is None else window, options=options, payload=payload,
                        **fields)
        if advance and seq is None:
            self.seq += len(payload) + (1 if "F" in flags or "S" in flags else 0)
        return b


def tcp_established_seeds():
    """[set-up byte][records]: segments from the peer in relative numbering and application calls."""
    seeds = [("state-" + name, bytes([state])) for state, name in enumerate(EST_STATE_NAMES)]
    seeds += [("state-" + name + "-all-options", bytes([state | EST_ALL])) for state, name in
              enumerate(EST_STATE_NAMES)]
    hello, world = b"hello, stack", b"hello, peer"

    def echo(setup):
        p = Peer(setup)
        return established_sequence(setup, [
            (10, p.seg("PA", hello)),
            call(1, OP_READ),
            call(1, OP_WRITE, world),
            (20, p.seg("A", ack=1 + len(world))),
            (10, p.seg("FA", ack=1 + len(world))),
            call(1, OP_READ_ALL),
            call(1, OP_CLOSE),
            (20, p.seg("A", ack=2 + len(world))),
        ])

    seeds += [("echo-close", echo(EST_PASSIVE)), ("echo-close-all-options", echo(EST_PASSIVE | EST_ALL)),
              ("echo-close-active", echo(EST_ACTIVE | EST_ALL)), ("echo-close-small-mss", echo(EST_SMALL_MSS))]

    # SYN-SENT: the peer answers, refuses, or opens simultaneously.
    p = Peer(EST_ALL, seq=0)
    seeds.append(("syn-sent-syn-ack", established_sequence(EST_SYN_SENT | EST_ALL, [
        (30, p.seg("SA", options=[("MSS", 1400), ("SAckOK", b""), ("WScale", 5)], window=65535)),
        call(1, OP_WRITE, hello),
        (10, p.seg("PA", world, ack=1 + len(hello))),
        call(1, OP_READ_ALL)])))
    seeds.append(("syn-sent-refused", established_sequence(EST_SYN_SENT, [
        (10, tcp_segment(flags="RA", seq=0, ack=1)), call(1, OP_READ), call(1, OP_WRITE, b"x")])))
    seeds.append(("syn-sent-simultaneous-open", established_sequence(EST_SYN_SENT, [
        (10, tcp_segment(flags="S", seq=0, options=[("MSS", 1460)])),
        (10, tcp_segment(flags="A", seq=1, ack=1)), call(1, OP_WRITE, hello)])))
    seeds.append(("syn-sent-unanswered", established_sequence(EST_SYN_SENT, [(65000, Call(OP_VIEWS))])))
    # SYN-RECEIVED: the handshake completes late, or with data.
    p = Peer(EST_ALL)
    seeds.append(("syn-received-late-ack", established_sequence(EST_SYN_RECEIVED | EST_ALL, [
        (1500, p.seg("A")), call(1, OP_ACCEPT), (10, p.seg("PA", hello)), call(1, OP_READ_ALL)])))
    p = Peer(0)
    seeds.append(("syn-received-ack-with-data", established_sequence(EST_SYN_RECEIVED, [
        (10, p.seg("PA", hello)), call(1, OP_READ_ALL), call(1, OP_WRITE, world)])))
    seeds.append(("syn-received-rst", established_sequence(EST_SYN_RECEIVED, [
        (10, tcp_segment(flags="R", seq=1)), (10, tcp_segment(flags="S", seq=5000)),
        (10, tcp_segment(flags="A", seq=5001, ack=1))])))
    seeds.append(("syn-received-syn-retransmitted", established_sequence(EST_SYN_RECEIVED, [
        (1000, tcp_segment(flags="S", seq=0, options=[("MSS", 1460)])), (3000, Call(OP_VIEWS))])))
    # Closing states.
    p = Peer(0)
    seeds.append(("fin-wait-1-data-then-fin", established_sequence(EST_FIN_WAIT_1, [
        (10, p.seg("PA", hello, ack=1)), (10, p.seg("A", ack=2)), call(1, OP_READ_ALL),
        (10, p.seg("FA", ack=2)), (65000, Call(OP_VIEWS))])))
    p = Peer(EST_ALL)
    seeds.append(("fin-wait-2-data-fin", established_sequence(EST_FIN_WAIT_2 | EST_ALL, [
        (10, p.seg("PA", hello, ack=2)), call(1, OP_READ), (10, p.seg("FA", ack=2)), call(1, OP_READ_ALL),
        (1000, p.seg("FA", ack=2, seq=1 + len(hello), advance=False))])))
    p = Peer(0, seq=2)
    seeds.append(("close-wait-write-close", established_sequence(EST_CLOSE_WAIT, [
        call(1, OP_READ_ALL), call(1, OP_WRITE, world), call(1, OP_CLOSE),
        (10, p.seg("A", ack=1 + len(world))), (10, p.seg("A", ack=2 + len(world)))])))
    p = Peer(0, seq=2)
    seeds.append(("closing-ack", established_sequence(EST_CLOSING, [(10, p.seg("A", ack=2)), (61000, Call(OP_VIEWS))])))
    p = Peer(0, seq=2)
    seeds.append(("last-ack-ack", established_sequence(EST_LAST_ACK, [(10, p.seg("A", ack=2))])))
    seeds.append(("last-ack-retransmitted-fin", established_sequence(EST_LAST_ACK, [
        (1000, Call(OP_VIEWS)), (3000, tcp_segment(flags="FA", seq=1, ack=1))])))
    seeds.append(("time-wait-fin-again-and-new-syn", established_sequence(EST_TIME_WAIT, [
        (10, tcp_segment(flags="FA", seq=1, ack=2)), (100, tcp_segment(flags="S", seq=100000)),
        (10, tcp_segment(flags="A", seq=100001, ack=1)), call(1, OP_ACCEPT)])))

    # Receiving: out of order, overlaps, SACK blocks, the sequence space wrapping (at relative 256).
    p = Peer(EST_ALL)
    chunk = bytes(range(200))
    seeds.append(("out-of-order-sack", established_sequence(EST_PASSIVE | EST_ALL, [
        (10, p.seg("PA", chunk[100:], seq=101)), (10, p.seg("PA", chunk[50:80], seq=51)),
        (10, p.seg("PA", chunk[:60], seq=1)), call(1, OP_READ, struct.pack("!H", 70)),
        (10, p.seg("PA", chunk[70:120], seq=71)), call(1, OP_READ_ALL)])))
    p = Peer(0)
    seeds.append(("overlap-disagreeing", established_sequence(EST_PASSIVE, [
        (10, p.seg("PA", b"abcdef", seq=1)), (10, p.seg("PA", b"XYZghi", seq=4)), call(1, OP_READ_ALL)])))
    p = Peer(0)
    seeds.append(("wrap-around", established_sequence(EST_PASSIVE, [
        (10, p.seg("PA", bytes(range(256))[:240])), (10, p.seg("PA", bytes(40))), call(1, OP_READ_ALL),
        (10, p.seg("PA", b"after the wrap")), call(1, OP_READ_ALL)])))
    p = Peer(0)
    seeds.append(("receive-window-small", established_sequence(EST_PASSIVE, [
        set_option(1, SO_RECVBUFFER, 300), (10, p.seg("PA", bytes(200))), (10, p.seg("PA", bytes(200))),
        (10, p.seg("PA", bytes(200))), (500, p.seg("A", seq=401, advance=False)), call(1, OP_READ_ALL),
        (5000, Call(OP_VIEWS))])))
    p = Peer(0)
    seeds.append(("shutdown-read-then-data", established_sequence(EST_PASSIVE, [
        (10, p.seg("PA", hello)), call(1, OP_SHUTDOWN_READ), (10, p.seg("PA", world)), call(1, OP_READ)])))
    p = Peer(0)
    seeds.append(("urgent-data", established_sequence(EST_PASSIVE, [
        (10, p.seg("PAU", b"!!!data", urgptr=3)), call(1, OP_VIEWS), call(1, OP_READ_ALL),
        call(1, OP_WRITE_URGENT, b"urgent")])))
    p = Peer(EST_ALL)
    seeds.append(("data-outside-window", established_sequence(EST_PASSIVE | EST_ALL, [
        (10, p.seg("PA", b"x", seq=1 + 200000)), (10, p.seg("PA", b"old", seq=0xFFFFFF00)), call(1, OP_READ)])))

    # Sending: segmentation, retransmission, fast retransmit with SACK, persist, Nagle, buffers.
    p = Peer(EST_ALL)
    seeds.append(("retransmission-timeout", established_sequence(EST_PASSIVE | EST_ALL, [
        call(1, OP_WRITE_PATTERN, struct.pack("!H", 3000)), (1200, Call(OP_VIEWS)), (3000, p.seg("A", ack=1401)),
        (10, p.seg("A", ack=3001))])))
    p = Peer(EST_ALL)
    mss = 1460 - 12  # timestamps take 12 bytes of each segment
    seeds.append(("fast-retransmit", established_sequence(EST_PASSIVE | EST_ALL, [
        call(1, OP_WRITE_PATTERN, struct.pack("!H", 6 * mss)), (10, p.seg("A", ack=1 + mss))] +
        [(5, p.seg("A", ack=1 + mss)) for _ in range(3)] + [(10, p.seg("A", ack=1 + 6 * mss))])))
    p = Peer(EST_SACK)
    sacked = [(5, p.seg("A", ack=1 + 1460, options=[("SAck", (1 + 1460 * n, 1 + 1460 * (n + 1)))]))
              for n in (2, 3, 4)]
    seeds.append(("sack-recovery", established_sequence(EST_PASSIVE | EST_SACK, [
        call(1, OP_WRITE_PATTERN, struct.pack("!H", 5 * 1460)), (10, p.seg("A", ack=1 + 1460))] + sacked + [
        (10, p.seg("A", ack=1 + 5 * 1460))])))
    p = Peer(0)
    seeds.append(("zero-window-persist", established_sequence(EST_PASSIVE, [
        (10, p.seg("A", window=0)), call(1, OP_WRITE, world), (2000, Call(OP_VIEWS)), (6000, Call(OP_VIEWS)),
        (10, p.seg("A", ack=2, window=0)), (10, p.seg("A", ack=2, window=65535)),
        (10, p.seg("A", ack=1 + len(world)))])))
    p = Peer(0)
    seeds.append(("nagle-small-writes", established_sequence(EST_PASSIVE, [
        call(1, OP_WRITE, b"a"), call(1, OP_WRITE, b"b"), call(1, OP_WRITE, b"c"), (200, p.seg("A", ack=2)),
        set_option(1, SO_NODELAY, 1), call(1, OP_WRITE, b"d"), call(1, OP_WRITE, b"e"),
        (10, p.seg("A", ack=6))])))
    p = Peer(0)
    seeds.append(("send-buffer-full", established_sequence(EST_PASSIVE | EST_SMALL_MSS, [
        set_option(1, SO_SENDBUFFER, 1000), call(1, OP_WRITE_PATTERN, struct.pack("!H", 3000)),
        (10, p.seg("A", ack=537)), call(1, OP_WRITE_PATTERN, struct.pack("!H", 3000)),
        (10, p.seg("A", ack=1001)), (10, p.seg("A", ack=1537))])))
    p = Peer(0)
    seeds.append(("ack-of-unsent-data", established_sequence(EST_PASSIVE, [
        call(1, OP_WRITE, hello), (10, p.seg("A", ack=5000)), (10, p.seg("A", ack=1 + len(hello)))])))

    # Resets, challenge ACKs (RFC 5961), PAWS (RFC 7323), keep-alive, close variants.
    p = Peer(0)
    seeds.append(("rst-in-window-challenge", established_sequence(EST_PASSIVE, [
        (10, p.seg("R", seq=100, advance=False)), (10, p.seg("R", advance=False)), call(1, OP_READ),
        call(1, OP_WRITE, b"x")])))
    p = Peer(0)
    seeds.append(("syn-in-established", established_sequence(EST_PASSIVE, [
        (10, p.seg("S", seq=50, advance=False)), (10, p.seg("PA", hello)), call(1, OP_READ_ALL)])))
    p = Peer(EST_TS)
    old = tcp_segment(flags="PA", seq=1, ack=1, options=[("NOP", None), ("NOP", None), ("Timestamp", (5, 0))],
                      payload=b"old")
    seeds.append(("paws-old-timestamp", established_sequence(EST_PASSIVE | EST_TS, [
        (10, p.seg("PA", hello)), (10, old), call(1, OP_READ_ALL)])))
    seeds.append(("keepalive-timeout", established_sequence(EST_PASSIVE, [
        set_option(1, SO_KEEPALIVE, 1), set_option(1, SO_KEEPIDLE, 1000), set_option(1, SO_KEEPINTERVAL, 1000),
        set_option(1, SO_KEEPCOUNT, 2), (1500, Call(OP_VIEWS)), (1500, Call(OP_VIEWS)), (1500, Call(OP_READ))])))
    p = Peer(0)
    seeds.append(("close-with-unread-data", established_sequence(EST_PASSIVE, [
        (10, p.seg("PA", hello)), call(1, OP_CLOSE), (10, p.seg("PA", world))])))
    seeds.append(("linger-zero-close", established_sequence(EST_PASSIVE, [
        set_option(1, SO_LINGER, 0), call(1, OP_WRITE, hello), call(1, OP_CLOSE)])))
    seeds.append(("linger-timeout-close", established_sequence(EST_PASSIVE, [
        set_option(1, SO_LINGER, 500), call(1, OP_WRITE, hello), call(1, OP_CLOSE), (1000, Call(OP_VIEWS))])))
    seeds.append(("retransmit-give-up", established_sequence(EST_PASSIVE, [
        set_option(1, SO_RETRANSMIT_TIMEOUT, 2000), call(1, OP_WRITE, hello), (3000, Call(OP_VIEWS)),
        (3000, Call(OP_READ))])))
    seeds.append(("abort", established_sequence(EST_PASSIVE, [call(1, OP_WRITE, hello), call(1, OP_ABORT)])))
    p = Peer(0)
    seeds.append(("shutdown-write-then-data", established_sequence(EST_ACTIVE, [
        call(1, OP_SHUTDOWN_WRITE), (10, p.seg("PA", hello, ack=2)), call(1, OP_READ_ALL),
        (10, p.seg("FA", ack=2)), call(1, OP_READ)])))
    seeds.append(("empty", b""))
    return seeds


# ---- the ICMPv6 hook targets (icmp6, nd, mld): [2-byte prefix][ICMPv6 message] (fuzz/harness.hpp) ----

# ip6_sources / ip6_destinations of fuzz/harness.hpp, by index.
SRC6 = ["2001:db8::1", "fe80::fe", "::", "fe80::1", "fe80::fd", "2001:db8::fe", "2001:db8:1::1", "fe80::2"]
DST6 = ["2001:db8::2", "fe80::2", "ff02::1", "ff02::1:ff00:2", "ff02::1:ff00:5", "ff02::fb", "ff05::1:3",
        "ff0e:0:db8::1"]
S_PEER, S_GW, S_UNSPEC, S_ROUTER2, S_NEIGHBOUR, S_PEER2, S_OFF_LINK, S_OURS = range(8)
D_US, D_US_LL, D_ALL_NODES, D_SOLICITED, D_SOLICITED_TENTATIVE, D_MDNS, D_SITE, D_GLOBAL = range(8)
HL255, HL1, HL64, HL0 = 0, 1, 2, 3
# Byte 1 bits 3-4: what the nd target sends after the message / how the mld target changes its groups.
ND_PING_SOURCE, ND_PING_OFF_LINK, ND_PING_SILENT = 1, 2, 3
ND_DAD_TARGET = 4  # byte 1 bit 5: the harness writes an address in DAD into the Target Address
MLD_LEAVE_SITE, MLD_JOIN_SITE, MLD_JOIN_EXTRA = 1, 2, 3
IP6_TENTATIVE = "2001:db8::5"


def p6(src=S_PEER, dst=D_US, hlim=HL64, router_alert=False, other_mac=False, action=0):
    return bytes([src | hlim << 3 | (0x20 if router_alert else 0) | (0x40 if other_mac else 0), dst | action << 3])


def icmp6_message(layer, src=S_PEER, dst=D_US):
    """The ICMPv6 bytes of `layer` with the checksum Scapy computes for the addresses the prefix selects (the
    harness fills it again; a destination the stack does not accept becomes ff02::1 there)."""
    from scapy.layers.inet6 import IPv6
    return bytes(IPv6(src=SRC6[src], dst=DST6[dst]) / layer)[40:]


def h6(layer, src=S_PEER, dst=D_US, hlim=HL64, router_alert=False, other_mac=False, action=0):
    return p6(src, dst, hlim, router_alert, other_mac, action) + icmp6_message(layer, src, dst)


def icmp6_seeds():
    """[prefix][ICMPv6 message] for the Full configuration. The echo request shorter than 8 bytes
    (CVE-2020-17443) is left out on purpose: the fuzzer has to find it (fuzz/canaries)."""
    from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6MLQuery2,
                                    ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr,
                                    ICMPv6PacketTooBig, ICMPv6ParamProblem, ICMPv6TimeExceeded, IPv6)

    def sent_by_us(l4, dst="2001:db8::1"):  # a packet the stack could have sent, as an error quotes it
        return bytes(IPv6(src=IP6_US, dst=dst, hlim=64, fl=0) / l4)

    udp_sent = sent_by_us(UDP(sport=7, dport=5000) / Raw(b"echoed to the peer"))
    tcp_sent = sent_by_us(TCP(sport=80, dport=40000, flags="SA", seq=1, ack=1001))
    someone_else = bytes(IPv6(src="2001:db8::77", dst="2001:db8::1", hlim=64, fl=0) / UDP(sport=7, dport=5000))
    echo = ICMPv6EchoRequest(id=0x1234, seq=1, data=b"picotcp-fuzz-seed")
    return [
        ("echo-request", h6(echo)),
        ("echo-request-link-local", h6(echo, S_GW, D_US_LL)),
        ("echo-request-all-nodes", h6(echo, S_PEER, D_ALL_NODES)),
        ("echo-request-no-data", h6(ICMPv6EchoRequest(id=1, seq=2))),
        ("echo-request-large", h6(ICMPv6EchoRequest(id=1, seq=3, data=bytes(range(256)) * 5))),
        ("echo-request-from-unspecified", h6(echo, S_UNSPEC)),
        ("echo-reply", h6(ICMPv6EchoReply(id=0x1234, seq=1, data=b"pong"))),
        ("dest-unreachable-port-udp", h6(ICMPv6DestUnreach(code=4) / udp_sent, S_PEER)),
        ("dest-unreachable-tcp", h6(ICMPv6DestUnreach(code=1) / tcp_sent, S_PEER2)),
        ("packet-too-big-1280", h6(ICMPv6PacketTooBig(mtu=1280) / udp_sent, S_PEER2)),
        ("packet-too-big-below-minimum", h6(ICMPv6PacketTooBig(mtu=1000) / udp_sent, S_PEER2)),
        ("packet-too-big-multicast", h6(ICMPv6PacketTooBig(mtu=1400) / udp_sent, S_PEER2, D_ALL_NODES)),
        ("time-exceeded", h6(ICMPv6TimeExceeded(code=0) / tcp_sent, S_OFF_LINK)),
        ("parameter-problem-pointer", h6(ICMPv6ParamProblem(code=0, ptr=6) / udp_sent)),
        ("error-about-someone-else", h6(ICMPv6DestUnreach(code=3) / someone_else)),
        ("error-quote-truncated", h6(ICMPv6DestUnreach(code=4) / udp_sent[:20])),
        ("error-no-body", p6() + bytes([1, 4, 0, 0])),
        ("unknown-error-type", p6() + bytes([100, 0, 0, 0, 0, 0, 0, 0]) + udp_sent),
        ("unknown-informational", p6() + bytes([200, 0, 0, 0, 1, 2, 3, 4])),
        ("ns-via-icmp6", h6(ICMPv6ND_NS(tgt=IP6_US) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_GW), S_GW, D_SOLICITED,
                            HL255)),
        ("na-via-icmp6", h6(ICMPv6ND_NA(tgt="fe80::fe", R=1, S=0, O=1), S_GW, D_ALL_NODES, HL255)),
        ("ra-via-icmp6", h6(ICMPv6ND_RA(routerlifetime=600), S_GW, D_ALL_NODES, HL255)),
        ("mld-query-via-icmp6", h6(ICMPv6MLQuery2(), S_GW, D_ALL_NODES, HL1, router_alert=True)),
        ("header-only-3", p6() + bytes([128, 0, 0])),
        ("prefix-only", p6()),
        ("empty", b""),
    ]


def nd_message(layer, src, dst):
    return icmp6_message(layer, src, dst)


def nd_seeds():
    """Sequences of ND messages (sequence(): [u16 length][u16 delta][prefix][message]) for the Full
    configuration with 2001:db8::5 in DAD; byte 1 bits 3-4 of a prefix make the stack ping afterwards."""
    from scapy.layers.inet6 import (ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6ND_RS,
                                    ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
                                    ICMPv6NDOptRedirectedHdr, ICMPv6NDOptSrcLLAddr, IPv6)

    def rec(delta, layer, src, dst, hlim=HL255, action=0, other_mac=False):
        return (delta, p6(src, dst, hlim, False, other_mac, action) + nd_message(layer, src, dst))

    def ra(lifetime=1800, prefixes=(("2001:db8:1::", 64, 1, 1, 7200, 3600),), mtu=None, lladdr=MAC_GW, **kw):
        m = ICMPv6ND_RA(routerlifetime=lifetime, **kw)
        if lladdr:
            m = m / ICMPv6NDOptSrcLLAddr(lladdr=lladdr)
        if mtu:
            m = m / ICMPv6NDOptMTU(mtu=mtu)
        for prefix, plen, on_link, auto, valid, preferred in prefixes:
            m = m / ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=plen, L=on_link, A=auto,
                                          validlifetime=valid, preferredlifetime=preferred)
        return m

    ns_us = ICMPv6ND_NS(tgt=IP6_US) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_NEIGHBOUR)
    na_fd = ICMPv6ND_NA(tgt="fe80::fd", R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=MAC_NEIGHBOUR)
    redirected = bytes(IPv6(src=IP6_US, dst="2001:db8:5::1", hlim=64, fl=0) / ICMPv6EchoRequest(id=1, seq=1))
    seeds = [
        ("ns-then-nud", sequence([
            rec(0, ns_us, S_NEIGHBOUR, D_SOLICITED, action=ND_PING_SOURCE),
            rec(6000, ICMPv6ND_NA(tgt="fe80::fd", S=1, O=0), S_NEIGHBOUR, D_US_LL),
            rec(40000, ns_us, S_NEIGHBOUR, D_US_LL, action=ND_PING_SOURCE)])),
        ("resolve-and-answer", sequence([
            rec(0, na_fd, S_NEIGHBOUR, D_US_LL, action=ND_PING_SOURCE),
            rec(100, na_fd, S_NEIGHBOUR, D_US_LL),
            rec(50000, na_fd, S_NEIGHBOUR, D_US_LL, action=ND_PING_SOURCE)])),
        ("unanswered-resolution", sequence([
            rec(0, ICMPv6ND_RS(), S_GW, D_ALL_NODES, action=ND_PING_SILENT),
            rec(5000, ICMPv6ND_RS(), S_GW, D_ALL_NODES, action=ND_PING_SILENT)])),
        ("dad-conflict-ns", sequence([rec(0, ICMPv6ND_NS(tgt=IP6_TENTATIVE), S_UNSPEC, D_SOLICITED_TENTATIVE)])),
        ("dad-conflict-na", sequence([
            rec(100, ICMPv6ND_NA(tgt=IP6_TENTATIVE, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=MAC_OTHER),
                S_NEIGHBOUR, D_ALL_NODES)])),
        ("slaac-dad-conflict-retries", sequence([rec(0, ra(prefixes=(("2001:db8:1::", 64, 1, 1, 7200, 3600),)), S_GW,
                                                     D_ALL_NODES)] + [
            rec(100, ICMPv6ND_NA(tgt="::", S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=MAC_OTHER), S_NEIGHBOUR,
                D_ALL_NODES, action=ND_DAD_TARGET) for _ in range(5)])),
        ("dad-completes-then-ns", sequence([
            rec(2000, ICMPv6ND_NS(tgt=IP6_TENTATIVE) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_NEIGHBOUR), S_NEIGHBOUR,
                D_SOLICITED_TENTATIVE)])),
        ("ra-slaac-and-route", sequence([
            rec(0, ra(mtu=1400), S_GW, D_ALL_NODES),
            rec(2000, ra(mtu=1400), S_GW, D_ALL_NODES, action=ND_PING_OFF_LINK),
            rec(100, ICMPv6ND_NA(tgt="fe80::fe", R=1, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=MAC_GW),
                S_GW, D_US_LL)])),
        ("ra-lifetimes-expire", sequence([
            rec(0, ra(lifetime=1, prefixes=(("2001:db8:2::", 64, 1, 1, 3, 2),)), S_GW, D_ALL_NODES),
            rec(3000, ra(lifetime=0, prefixes=(("2001:db8:2::", 64, 1, 1, 0, 0),)), S_GW, D_ALL_NODES),
            rec(65000, ra(lifetime=9000, prefixes=(("2001:db8:3::", 64, 1, 1, 0xFFFFFFFF, 0xFFFFFFFF),)),
                S_ROUTER2, D_ALL_NODES, action=ND_PING_OFF_LINK)])),
        ("ra-two-hour-rule", sequence([
            rec(0, ra(prefixes=(("2001:db8:4::", 64, 1, 1, 86400, 3600),)), S_GW, D_ALL_NODES),
            rec(1500, ra(prefixes=(("2001:db8:4::", 64, 1, 1, 60, 30),)), S_GW, D_ALL_NODES)])),
        ("ra-preferred-above-valid", sequence([
            rec(0, ra(prefixes=(("2001:db8:6::", 64, 1, 1, 100, 200), ("2001:db8:7::", 48, 1, 1, 100, 50),
                                ("fe80::", 64, 1, 1, 100, 50), ("2001:db8:8::", 64, 0, 0, 100, 50))),
                S_GW, D_ALL_NODES)])),
        ("ra-reachable-retrans-hop-limit", sequence([
            rec(0, ra(reachabletime=5000, retranstimer=250, chlim=32), S_GW, D_ALL_NODES, action=ND_PING_SILENT),
            rec(20000, ra(reachabletime=0xFFFFFFFF, retranstimer=0), S_GW, D_ALL_NODES)])),
        ("ra-invalid", sequence([
            rec(0, ra(), S_PEER, D_ALL_NODES),
            rec(0, ra(), S_GW, D_ALL_NODES, hlim=HL64),
            rec(0, ra(mtu=1000), S_GW, D_ALL_NODES),
            rec(0, ra(mtu=65535, lladdr=None), S_ROUTER2, D_US_LL)])),
        ("routers-flood", sequence([rec(10, ra(prefixes=((f"2001:db8:{10 + i:x}::", 64, 1, i % 2, 600, 300),)),
                                        [S_GW, S_ROUTER2, S_NEIGHBOUR, S_OURS][i % 4], D_ALL_NODES)
                                    for i in range(12)])),
        ("redirect-after-route", sequence([
            rec(0, ra(), S_GW, D_ALL_NODES, action=ND_PING_OFF_LINK),
            rec(50, ICMPv6ND_Redirect(tgt="fe80::99", dst="2001:db8:5::1") /
                ICMPv6NDOptDstLLAddr(lladdr=MAC_OTHER) / ICMPv6NDOptRedirectedHdr(pkt=redirected),
                S_GW, D_US_LL, action=ND_PING_OFF_LINK)])),
        ("redirect-on-link", sequence([
            rec(0, ra(), S_GW, D_ALL_NODES),
            rec(0, ICMPv6ND_Redirect(tgt="2001:db8:5::1", dst="2001:db8:5::1"), S_GW, D_US_LL,
                action=ND_PING_OFF_LINK)])),
        ("redirect-from-non-router", sequence([
            rec(0, ICMPv6ND_Redirect(tgt="fe80::99", dst="2001:db8:5::1"), S_NEIGHBOUR, D_US_LL)])),
        ("redirects-flood", sequence([rec(0, ra(), S_GW, D_ALL_NODES)] + [
            rec(1, ICMPv6ND_Redirect(tgt="fe80::99", dst=f"2001:db8:9::{i + 1:x}"), S_GW, D_US_LL)
            for i in range(12)])),
        ("neighbours-flood", sequence([
            rec(1, ICMPv6ND_NS(tgt=IP6_US) / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:01:%02x" % i),
                [S_PEER, S_GW, S_ROUTER2, S_NEIGHBOUR, S_PEER2][i % 5], D_SOLICITED, action=ND_PING_SOURCE)
            for i in range(10)])),
        ("na-override-and-router-flag", sequence([
            rec(0, na_fd, S_NEIGHBOUR, D_US_LL, action=ND_PING_SOURCE),
            rec(10, ICMPv6ND_NA(tgt="fe80::fd", R=1, S=0, O=0) / ICMPv6NDOptDstLLAddr(lladdr=MAC_OTHER),
                S_NEIGHBOUR, D_ALL_NODES),
            rec(10, ICMPv6ND_NA(tgt="fe80::fd", R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=MAC_OTHER),
                S_NEIGHBOUR, D_ALL_NODES)])),
        ("ns-invalid", sequence([
            rec(0, ICMPv6ND_NS(tgt="ff02::1"), S_PEER, D_SOLICITED),
            rec(0, ICMPv6ND_NS(tgt=IP6_US), S_UNSPEC, D_US),
            rec(0, ICMPv6ND_NS(tgt=IP6_US) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_GW), S_UNSPEC, D_SOLICITED),
            rec(0, ns_us, S_NEIGHBOUR, D_SOLICITED, hlim=HL64),
            rec(0, ICMPv6ND_NS(tgt="2001:db8::99"), S_NEIGHBOUR, D_SOLICITED)])),
        ("option-length-zero", sequence([
            (0, p6(S_GW, D_SOLICITED, HL255) + icmp6_message(ICMPv6ND_NS(tgt=IP6_US), S_GW, D_SOLICITED)[:24] + bytes([1, 0]) + bytes(6)),
            (0, p6(S_GW, D_ALL_NODES, HL255) + icmp6_message(ICMPv6ND_RA(), S_GW, D_ALL_NODES)[:16] + bytes([3, 0, 64, 0xC0]))])),
        ("router-solicitation", sequence([rec(0, ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=MAC_GW), S_GW,
                                              D_ALL_NODES)])),
        ("truncated", sequence([(0, p6(S_GW, D_ALL_NODES, HL255) + icmp6_message(ICMPv6ND_RA(), S_GW, D_ALL_NODES)[:10]),
                                (0, p6(S_GW, D_US, HL255) + bytes([136, 0, 0, 0]))])),
        ("empty", b""),
    ]
    return seeds


def mld_seeds():
    """Sequences of MLD messages for the Full configuration with ff02::fb, ff05::1:3 and ff0e:0:db8::1 joined;
    a valid one has a link-local source, Hop Limit 1 and the Router Alert option (prefix bit 5)."""
    from scapy.layers.inet6 import (ICMPv6MLDMultAddrRec, ICMPv6MLDone, ICMPv6MLQuery, ICMPv6MLQuery2,
                                    ICMPv6MLReport, ICMPv6MLReport2)

    def rec(delta, layer, src=S_GW, dst=D_ALL_NODES, hlim=HL1, router_alert=True, action=0):
        return (delta, p6(src, dst, hlim, router_alert, False, action) + icmp6_message(layer, src, dst))

    site, mdns = "ff05::1:3", "ff02::fb"
    return [
        ("v2-general-query", sequence([rec(0, ICMPv6MLQuery2(mrd=1000))])),
        ("v2-group-query", sequence([rec(0, ICMPv6MLQuery2(mrd=2000, mladdr=site), dst=D_SITE)])),
        ("v2-group-source-query", sequence([
            rec(0, ICMPv6MLQuery2(mrd=500, mladdr=site, sources=["2001:db8::1", "2001:db8::9"]), dst=D_SITE)])),
        ("v2-query-many-sources", sequence([
            rec(0, ICMPv6MLQuery2(mrd=500, mladdr=mdns, sources=[f"2001:db8::{i + 1:x}" for i in range(10)]),
                dst=D_MDNS)])),
        ("v2-query-exponential-codes", sequence([
            rec(0, ICMPv6MLQuery2(mrd=0x8123, QRV=7, S=1, QQIC=0xFF)),
            rec(40000, ICMPv6MLQuery2(mrd=0xFFFF, QRV=0, QQIC=0x80))])),
        ("v2-query-zero-response", sequence([rec(0, ICMPv6MLQuery2(mrd=0))])),
        ("v2-query-not-joined", sequence([rec(0, ICMPv6MLQuery2(mrd=100, mladdr="ff05::99"))])),
        ("v1-general-query-compat", sequence([
            rec(0, ICMPv6MLQuery(mrd=1000)),
            rec(2000, ICMPv6MLQuery2(mrd=1000)),
            rec(65535, ICMPv6MLQuery2(mrd=100)), rec(65535, ICMPv6MLQuery2(mrd=100)),
            rec(65535, ICMPv6MLQuery2(mrd=100)), rec(65535, ICMPv6MLQuery2(mrd=100))])),
        ("v1-group-query-and-suppression", sequence([
            rec(0, ICMPv6MLQuery(mrd=5000)),
            rec(100, ICMPv6MLQuery(mrd=5000, mladdr=mdns), dst=D_MDNS),
            rec(100, ICMPv6MLReport(mladdr=mdns), dst=D_MDNS)])),
        ("v1-done-and-v2-report", sequence([
            rec(0, ICMPv6MLDone(mladdr=site), dst=D_ALL_NODES),
            rec(0, ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(rtype=2, dst=site)]))])),
        ("query-then-leave-and-join", sequence([
            rec(0, ICMPv6MLQuery2(mrd=3000), action=MLD_LEAVE_SITE),
            rec(100, ICMPv6MLQuery2(mrd=3000, mladdr=site), dst=D_SITE, action=MLD_JOIN_SITE),
            rec(100, ICMPv6MLQuery2(mrd=3000), action=MLD_JOIN_EXTRA)])),
        ("invalid-queries", sequence([
            rec(0, ICMPv6MLQuery2(), router_alert=False),
            rec(0, ICMPv6MLQuery2(), hlim=HL255),
            rec(0, ICMPv6MLQuery2(), src=S_PEER),
            rec(0, ICMPv6MLQuery2(mladdr=site), dst=D_MDNS)])),
        ("query-source-count-past-end", sequence([
            (0, p6(S_GW, D_ALL_NODES, HL1, True) + icmp6_message(ICMPv6MLQuery2(mrd=100), S_GW, D_ALL_NODES)[:26]
             + bytes([0, 40]))])),
        ("query-truncated", sequence([(0, p6(S_GW, D_ALL_NODES, HL1, True) + bytes([130, 0, 0, 0, 0, 10]))])),
        ("query-flood", sequence([rec(10, ICMPv6MLQuery2(mrd=1000 + i, mladdr=[mdns, site, "::"][i % 3]),
                                      dst=[D_MDNS, D_SITE, D_ALL_NODES][i % 3]) for i in range(24)])),
        ("empty", b""),
    ]


def igmp_seeds():
    """Sequences of IGMP messages ([8-byte prefix][message]) for the Full configuration with 224.1.1.1,
    239.1.2.3 and 224.0.0.251 joined. Prefix [4] bit 3: the destination is group (bits 4-5); [7] bits 1-2:
    leave / join 239.1.2.3 / join 224.5.5.5 after the message."""
    from scapy.contrib.igmp import IGMP
    from scapy.contrib.igmpv3 import IGMPv3, IGMPv3gr, IGMPv3mq, IGMPv3mr

    groups = ["224.1.1.1", "239.1.2.3", "224.0.0.251", "224.0.0.22"]

    def pre(dst=DST_ALL_HOSTS, group=None, ttl=1, action=0, options=False, src=IP_GW):
        selector = dst if group is None else (DST_ALL_HOSTS | 8 | group << 4)
        return bytes(int(x) for x in src.split(".")) + bytes([selector, ttl, 0, action << 1 | (1 if options
                                                                                                else 0)])

    def rec(delta, message, **kw):
        return (delta, pre(**kw) + bytes(message))

    def l4(layer):  # the IGMP bytes (its checksum covers only them)
        raw_ = bytes(IP(src=IP_GW, dst="224.0.0.1", ttl=1) / layer)
        return raw_[(raw_[0] & 15) * 4:]

    def v3q(mrcode=100, gaddr="0.0.0.0", sources=(), qrv=2, s=0, qqic=125):
        return l4(IGMPv3(type=0x11, mrcode=mrcode) /
                  IGMPv3mq(gaddr=gaddr, s=s, qrv=qrv, qqic=qqic, srcaddrs=list(sources)))

    def v2(type, mrcode, gaddr):
        return l4(IGMP(type=type, mrcode=mrcode, gaddr=gaddr))

    return [
        ("v3-general-query", sequence([rec(0, v3q())])),
        ("v3-group-query", sequence([rec(0, v3q(gaddr=groups[1]), group=1)])),
        ("v3-group-source-query", sequence([rec(0, v3q(gaddr=groups[0], sources=["198.18.0.1", "198.18.0.9"]),
                                                group=0)])),
        ("v3-query-many-sources", sequence([rec(0, v3q(gaddr=groups[2], sources=[f"198.18.0.{i + 1}"
                                                                                  for i in range(12)]), group=2)])),
        ("v3-query-exponential-codes", sequence([rec(0, v3q(mrcode=0xFF, qrv=7, s=1, qqic=0xFF)),
                                                 rec(30000, v3q(mrcode=0x80, qrv=0, qqic=0x80))])),
        ("v3-query-to-our-address", sequence([rec(0, v3q(), dst=DST_OURS)])),
        ("v3-query-not-joined", sequence([rec(0, v3q(gaddr=groups[3]), group=3)])),
        ("v2-general-query-compat", sequence([rec(0, v2(0x11, 100, "0.0.0.0")), rec(2000, v3q())] +
                                             [rec(65535, v3q(mrcode=10)) for _ in range(7)])),
        ("v1-query-compat", sequence([rec(0, v2(0x11, 0, "0.0.0.0")), rec(1000, v3q())] +
                                     [rec(65535, v3q(mrcode=10)) for _ in range(7)])),
        ("v2-group-query-and-suppression", sequence([
            rec(0, v2(0x11, 100, "0.0.0.0")),
            rec(100, v2(0x11, 50, groups[0]), group=0),
            rec(100, v2(0x16, 0, groups[0]), group=0),
            rec(100, v2(0x12, 0, groups[2]), group=2)])),
        ("leave-and-v3-report", sequence([
            rec(0, v2(0x17, 0, groups[1]), dst=DST_ALL_HOSTS),
            rec(0, l4(IGMPv3(type=0x22) / IGMPv3mr(records=[IGMPv3gr(rtype=2, maddr=groups[1])])),
                group=3)])),
        ("query-then-leave-and-join", sequence([
            rec(0, v3q(mrcode=30), action=1),
            rec(100, v3q(mrcode=30, gaddr=groups[1]), group=1, action=2),
            rec(100, v3q(mrcode=30), action=3)])),
        ("query-with-ip-options", sequence([rec(0, v3q(), options=True)])),
        ("query-between-v2-and-v3-lengths", sequence([rec(0, v3q()[:10])])),
        ("query-source-count-past-end", sequence([rec(0, v3q()[:10] + bytes([0, 50]))])),
        ("truncated", sequence([rec(0, v3q()[:7])])),
        ("query-flood", sequence([rec(10, v3q(mrcode=10 + i, gaddr=groups[i % 3] if i % 2 else "0.0.0.0"),
                                      group=i % 3 if i % 2 else None) for i in range(24)])),
        ("empty", b""),
    ]


# ---- the reassembly targets: sequences of datagrams / packets (fragments) ----

def ipv4_fragments(datagram, cuts, ident=0x4242, overrides=None):
    """IPv4 fragments of `datagram` (an unfragmented IP packet): cuts is a list of (offset, length, more) in
    octets of the payload; overrides maps a fragment index to replacement payload bytes."""
    raw_ = bytes(datagram)
    ihl = (raw_[0] & 15) * 4
    header, payload = raw_[:ihl], raw_[ihl:]
    out = []
    for i, (offset, length, more) in enumerate(cuts):
        data = payload[offset:offset + length]
        if overrides and i in overrides:
            data = overrides[i]
        h = bytearray(header)
        h[2:4] = struct.pack("!H", ihl + len(data))
        h[4:6] = struct.pack("!H", ident)
        h[6:8] = struct.pack("!H", (0x2000 if more else 0) | offset // 8)
        h[10:12] = b"\x00\x00"
        c = IP(bytes(h) + data)  # Scapy computes the header checksum
        c.chksum = None
        out.append(bytes(c))
    return out


def ipv4_reassembly_seeds():
    """Sequences of IPv4 fragments (whole datagrams: the harness writes each header checksum) for the Full
    configuration: orders, every overlap geometry with equal and different octets, duplicates, length
    conflicts, timeouts, a flood of datagrams, the largest datagram a buffer takes. Fragments past the
    reassembly bound (and past 65,535) are left to the fuzzer (picoTCP issue 529's canary)."""
    echo72 = ip() / ICMP(type=8, id=7, seq=1) / Raw(bytes(range(64)))  # 72 octets of ICMP
    udp = ip() / UDP(sport=1234, dport=7) / Raw(bytes(range(48)))      # 56 octets of UDP
    syn = ip() / TCP(sport=40000, dport=80, flags="S", seq=1000, options=[("MSS", 1460), ("NOP", None),
                                                                            ("NOP", None), ("SAckOK", b"")])
    three = [(0, 24, True), (24, 24, True), (48, 24, False)]
    f = ipv4_fragments
    diff = bytes([0xEE]) * 16

    def seq(frags, deltas=None):
        return sequence([(deltas[i] if deltas else 0, x) for i, x in enumerate(frags)])

    big = ip(id=9) / UDP(sport=1234, dport=53) / Raw(bytes(range(256)) * 5 + bytes(252))  # 1540 octets
    return [
        ("in-order", seq(f(echo72, three))),
        ("reverse-order", seq(f(echo72, three)[::-1])),
        ("middle-first", seq([f(echo72, three)[i] for i in (1, 2, 0)])),
        ("udp-echo", seq(f(udp, [(0, 32, True), (32, 24, False)]))),
        ("tcp-syn-two-fragments", seq(f(syn, [(0, 16, True), (16, len(bytes(syn)) - 36, False)]))),
        ("duplicate-fragment", seq(f(echo72, [(0, 24, True), (0, 24, True), (24, 24, True), (48, 24, False)]))),
        ("overlap-identical-recut", seq(f(echo72, [(0, 32, True), (16, 32, True), (40, 32, False)]))),
        ("overlap-head-different", seq(f(echo72, [(16, 24, True), (0, 24, True), (40, 32, False)],
                                         overrides={1: bytes(24)}))),
        ("overlap-tail-different", seq(f(echo72, [(0, 24, True), (16, 16, True), (32, 40, False)],
                                         overrides={1: diff}))),
        ("overlap-contained-different", seq(f(echo72, [(0, 48, True), (16, 16, True), (48, 24, False)],
                                              overrides={1: diff}))),
        ("overlap-containing-different", seq(f(echo72, [(16, 16, True), (0, 48, True), (48, 24, False)],
                                               overrides={0: diff}))),
        ("overlap-exact-different", seq(f(echo72, [(0, 24, True), (0, 24, True), (24, 48, False)],
                                          overrides={1: bytes(24)}))),
        ("overlap-last-partial-block", seq(f(echo72, [(48, 24, False), (0, 56, True), (56, 16, False)]))),
        ("two-lasts-disagree", seq(f(echo72, [(48, 24, False), (0, 24, True), (40, 16, False)]))),
        ("data-past-last", seq(f(echo72, [(24, 24, False), (0, 24, True), (40, 32, True)]))),
        ("more-not-multiple-of-8", seq(f(echo72, [(0, 20, True), (24, 48, False)]))),
        ("zero-length-fragment", seq(f(echo72, [(0, 0, True), (24, 0, False), (0, 72, False)]))),
        ("unfragmented-same-id", seq(f(echo72, [(0, 24, True)]) + [bytes(ip(id=0x4242) / echo())])),
        ("timeout-with-first", seq(f(echo72, [(0, 24, True)]) + f(echo72, [(24, 24, True)]), [0, 61000])),
        ("timeout-without-first", seq(f(echo72, [(24, 24, True), (48, 24, False)]), [0, 65535])),
        ("complete-before-timeout", seq(f(echo72, three), [0, 30000, 29000])),
        ("interleaved-ids", seq([x for pair in zip(f(echo72, three, ident=1), f(udp, [(0, 24, True), (24, 24, True),
                                                                                     (48, 8, False)], ident=2))
                                 for x in pair])),
        ("same-id-other-protocol", seq(f(echo72, [(0, 24, True)]) + f(udp, [(24, 32, False)]) +
                                       f(udp, [(0, 24, True)]))),
        ("first-with-options", seq(f(ip(options=[b"\x01\x01\x01\x00"]) / ICMP(type=8) / Raw(bytes(40)),
                                     [(0, 16, True), (16, 32, False)]))),
        ("flood-evicts", seq([x for i in range(6) for x in f(echo72, [(0, 24, True)], ident=0x100 + i)] +
                             f(echo72, [(24, 48, False)], ident=0x100))),
        ("largest-buffer", seq(f(big, [(1480, 60, False), (0, 1480, True)]))),
        ("empty", b""),
    ]


def ipv6_fragments(packet, cuts, ident=0x01020304, overrides=None, unfragmentable=None):
    """IPv6 fragments of `packet` (IPv6 header + upper layer, no extension headers): cuts as for IPv4;
    `unfragmentable` an optional Hop-by-Hop header (its Next Header byte becomes 44) placed before the
    Fragment header."""
    from scapy.layers.inet6 import IPv6ExtHdrFragment
    raw_ = bytes(packet)
    fixed, payload = bytearray(raw_[:40]), raw_[40:]
    upper = fixed[6]
    out = []
    for i, (offset, length, more) in enumerate(cuts):
        data = payload[offset:offset + length]
        if overrides and i in overrides:
            data = overrides[i]
        head = bytearray(fixed)
        ext = b""
        if unfragmentable:  # a Hop-by-Hop header: it names the Fragment header
            head[6] = 0
            ext = bytes([44]) + unfragmentable[1:]
        else:
            head[6] = 44
        frag = bytes(IPv6ExtHdrFragment(nh=upper, offset=offset // 8, m=1 if more else 0, id=ident))
        body = ext + frag + data
        head[4:6] = struct.pack("!H", len(body))
        out.append(bytes(head) + body)
    return out


def ipv6_reassembly_seeds():
    """Sequences of IPv6 fragments for the Full configuration: orders, every overlap geometry (RFC 5722),
    duplicates, atomic fragments (RFC 6946), a first fragment without the upper-layer header (RFC 7112), an
    unfragmentable part with a Hop-by-Hop header, length problems, timeouts and a flood."""
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, PadN

    def v6(src=IP6_PEER, dst=IP6_US):
        return IPv6(src=src, dst=dst, hlim=64, fl=0)

    echo = v6() / ICMPv6EchoRequest(id=7, seq=1, data=bytes(range(64)))  # 72 octets
    udp = v6() / UDP(sport=5000, dport=7) / Raw(bytes(range(40)))        # 48 octets
    three = [(0, 24, True), (24, 24, True), (48, 24, False)]
    f = ipv6_fragments
    diff = bytes([0xEE]) * 16
    hbh = bytes([58, 0, 1, 4, 0, 0, 0, 0])  # Hop-by-Hop with PadN

    def seq(frags, deltas=None):
        return sequence([(deltas[i] if deltas else 0, x) for i, x in enumerate(frags)])

    atomic = bytes(v6() / IPv6ExtHdrFragment(nh=58, offset=0, m=0, id=0x01020304) /
                   ICMPv6EchoRequest(id=8, seq=1, data=b"atomic"))
    dest_long = bytes(v6() / IPv6ExtHdrDestOpt(nh=58, options=[PadN(optdata=bytes(60))]) /
                      ICMPv6EchoRequest(id=9, data=bytes(16)))
    split_chain = f(dest_long, [(0, 32, True), (32, len(dest_long) - 72, False)])
    nested = bytearray(bytes(v6()) + atomic[40:])  # a Fragment header inside the fragmentable part
    nested[6] = 44
    nested[4:6] = struct.pack("!H", len(nested) - 40)
    last = bytearray(bytes(v6()) + bytes(IPv6ExtHdrFragment(nh=58, offset=8189, m=0, id=0x01020304)) +
                     bytes(16))
    last[4:6] = struct.pack("!H", 24)
    last[6] = 44
    overflow = f(echo, [(0, 24, True)]) + [bytes(last)]
    return [
        ("in-order", seq(f(echo, three))),
        ("reverse-order", seq(f(echo, three)[::-1])),
        ("udp-echo", seq(f(udp, [(0, 24, True), (24, 24, False)]))),
        ("duplicate-exact", seq(f(echo, [(0, 24, True), (0, 24, True), (24, 24, True), (48, 24, False)]))),
        ("overlap-identical", seq(f(echo, [(0, 32, True), (16, 32, True), (48, 24, False)]))),
        ("overlap-head", seq(f(echo, [(16, 24, True), (0, 24, True), (40, 32, False)], overrides={1: bytes(24)}))),
        ("overlap-tail", seq(f(echo, [(0, 24, True), (16, 16, True), (32, 40, False)], overrides={1: diff}))),
        ("overlap-contained", seq(f(echo, [(0, 48, True), (16, 16, True), (48, 24, False)]))),
        ("overlap-containing", seq(f(echo, [(16, 16, True), (0, 48, True), (48, 24, False)]))),
        ("overlap-exact-different", seq(f(echo, [(0, 24, True), (0, 24, True), (24, 48, False)],
                                          overrides={1: bytes(24)}))),
        ("two-lasts-disagree", seq(f(echo, [(48, 24, False), (0, 24, True), (40, 16, False)]))),
        ("more-not-multiple-of-8", seq(f(echo, [(0, 20, True), (24, 48, False)]))),
        ("zero-length-fragment", seq(f(echo, [(0, 0, True), (0, 72, False)]))),
        ("atomic-fragment", seq([atomic])),
        ("atomic-during-reassembly", seq(f(echo, [(0, 24, True)]) + [atomic] + f(echo, [(24, 48, False)]))),
        ("first-without-upper-header", seq(split_chain)),
        ("unfragmentable-hop-by-hop", seq(f(echo, three, unfragmentable=hbh))),
        ("unfragmentable-differs", seq(f(echo, [(0, 24, True)], unfragmentable=hbh) + f(echo, [(24, 48, False)]))),
        ("payload-past-65535", seq(overflow)),
        ("timeout-with-first", seq(f(echo, [(0, 24, True), (24, 24, True)]), [0, 61000])),
        ("timeout-without-first", seq(f(echo, [(24, 24, True), (48, 24, False)]), [0, 65535])),
        ("nested-fragment", seq(f(bytes(nested), [(0, 16, True), (16, len(nested) - 56, False)], ident=0x99))),
        ("interleaved-ids", seq([x for pair in zip(f(echo, three, ident=1), f(udp, [(0, 24, True), (24, 16, True),
                                                                                  (40, 8, False)], ident=2))
                                 for x in pair])),
        ("flood-evicts", seq([x for i in range(6) for x in f(echo, [(0, 24, True)], ident=0x100 + i)] +
                             f(echo, [(24, 48, False)], ident=0x100))),
        ("to-multicast", seq(f(v6(dst="ff02::1") / ICMPv6EchoRequest(id=1, data=bytes(40)),
                               [(0, 24, True), (24, 24, False)]))),
        ("empty", b""),
    ]


# Target name -> seed generator. Stateful targets (TCP) add theirs here, built with sequence() below.
TARGETS = {
    "ethernet": ethernet_seeds,
    "arp": arp_seeds,
    "ipv4": ipv4_seeds,
    "ipv6": ipv6_seeds,
    "icmp4": icmp4_seeds,
    "udp": udp_seeds,
    "frame": frame_seeds,
    "tcp": tcp_seeds,
    "tcp_listen": tcp_listen_seeds,
    "tcp_established": tcp_established_seeds,
    "icmp6": icmp6_seeds,
    "nd": nd_seeds,
    "mld": mld_seeds,
    "igmp": igmp_seeds,
    "ipv4_reassembly": ipv4_reassembly_seeds,
    "ipv6_reassembly": ipv6_reassembly_seeds,
}


def sequence(records):
    """The input format of the stateful targets: [u16 be length][u16 be time delta ms][frame] repeated.
    records: iterable of (delta_ms, frame bytes or Scapy packet)."""
    out = b""
    for delta, frame in records:
        b = bytes(frame)
        out += struct.pack("!HH", len(b), delta) + b
    return out


REGRESSIONS_README = """# Regressions of the `{target}` fuzz target

Every input that ever made this target crash, hang (timeout), run out of memory or leak goes here, named
after what it found (e.g. `crash-ipv4-options-overflow`), minimized (`fuzz/run` writes minimized findings under
its --out directory). ctest replays this directory with the replay driver (`fuzz_replay_{target}`, label
`fuzz`) under ASan/UBSan in the asan preset, so a bug that was fixed stays fixed. The asan preset verifies
checksums: if a finding needs a wrong checksum to get through, fix the checksum in the committed copy
(fuzz/fix_checksums.py) or the replay stops at the checksum check.
"""


def write_target(out_dir: pathlib.Path, target: str, seeds) -> int:
    directory = out_dir / target
    directory.mkdir(parents=True, exist_ok=True)
    names = set()
    for old in directory.glob("seed-*"):
        old.unlink()
    for name, data in seeds:
        data = bytes(data)
        if name in names:
            raise SystemExit(f"make_seeds: duplicate seed name {target}/{name}")
        if len(data) > MAX_SEED:
            raise SystemExit(f"make_seeds: {target}/{name} is {len(data)} bytes (limit {MAX_SEED})")
        names.add(name)
        (directory / f"seed-{name}").write_bytes(data)
    regressions = directory / "regressions"
    regressions.mkdir(exist_ok=True)
    (regressions / ".gitkeep").touch()
    readme = regressions / "README.md"
    readme.write_text(REGRESSIONS_README.format(target=target))
    return len(names)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="all", help="comma-separated targets, or all (default)")
    parser.add_argument("--out", default=str(ROOT / "corpora"), help="corpora directory (default: corpora/)")
    args = parser.parse_args(argv)
    wanted = list(TARGETS) if args.targets == "all" else args.targets.split(",")
    for target in wanted:
        if target not in TARGETS:
            raise SystemExit(f"make_seeds: unknown target {target!r} (known: {', '.join(TARGETS)})")
        count = write_target(pathlib.Path(args.out), target, TARGETS[target]())
        print(f"make_seeds: {target}: {count} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
