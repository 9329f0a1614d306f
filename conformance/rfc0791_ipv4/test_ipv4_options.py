"""Options, link-layer padding and fragments on input (RFC 791 3.1-3.2, RFC 1122 3.2.1.4, 3.2.1.8)."""
import picotcp
import pytest
from scapy.all import (ICMP, IP, UDP, Ether, IPOption, IPOption_EOL, IPOption_LSRR, IPOption_NOP, IPOption_RR,
                       IPOption_Stream_Id, Padding, raw)

PORT = 7777


def udp_data(frame):
    return raw(frame[UDP])[8:frame[UDP].len]


def is_echo_reply(frame):
    return ICMP in frame and frame[ICMP].type == 0


OPTION_LISTS = {
    "nop": [IPOption_NOP()] * 4,
    "record-route": [IPOption_RR(routers=["0.0.0.0"])],
    "stream-id": [IPOption_Stream_Id(security=0x1234)],
    "unknown-type-30": [IPOption(option=30, length=4, value=b"\xab\xcd")],
    "completed-lsrr": [IPOption_LSRR(pointer=8, routers=["198.18.0.1"])],
    "eol-then-padding": [IPOption_EOL()] * 4,
}


@pytest.mark.parametrize("name", list(OPTION_LISTS))
@pytest.mark.requirement("RFC791:R10", "RFC791:1122-3.2.1.8-a", "RFC791:1122-3.2.1.8-c", "RFC791:1122-3.2.1.8-d",
                         "RFC768:R5")
@pytest.mark.linux_deviation(
    "RFC 1122 3.3.5 (MUST: a host is the final destination of a source route): the kernel discards every "
    "source-routed datagram unless net.ipv4.conf.*.accept_source_route=1 (default 0)", ids=["completed-lsrr"])
def test_datagram_with_options_is_delivered(dut, name):
    """
    Purpose: valid options (No Operation, Record Route, the obsolete Stream Identifier, an unknown type, a
        completed loose source route, End of List followed by padding) do not stop delivery: the IP layer
        skips the whole IHL and hands exactly the UDP datagram up; unknown options are ignored.
    Setup: fresh DUT; a UDP socket bound to 0.0.0.0:7777.
    Procedure: the peer sends UDP 5000 -> 7777 with payload b"options:<name>" and the option list `name`
        (Scapy pads the option area to 32 bits and sets IHL and the checksum).
    Judgement: recvfrom returns exactly the payload from (198.18.0.1, 5000); nothing is sent back.
    Reference: RFC 791 section 3.1 (Options); RFC 1122 3.2.1.8.
    """
    options = OPTION_LISTS[name]
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", PORT)
    payload = f"options:{name}".encode()
    # The UDP checksum is taken from the same datagram without options: Scapy would otherwise put the last
    # source-route hop in the pseudo header, while a completed route has arrived at its final destination.
    plain = IP(raw(IP(src=dut.peer_ip, dst=dut.ip) / UDP(sport=5000, dport=PORT) / payload))
    frame = (Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip, options=options) /
             UDP(sport=5000, dport=PORT, chksum=plain[UDP].chksum) / payload)
    assert IP(raw(frame[IP])).ihl > 5
    dut.send(frame)
    assert sock.recvfrom() == (payload, (dut.peer_ip, 5000))
    dut.expect_silence(timeout_ms=200)


@pytest.mark.requirement("RFC791:R10", "RFC792:1122-3.2.2.6-e")
def test_echo_request_with_options_is_answered(dut):
    """
    Purpose: an echo request carrying options (Record Route with free slots) is answered with its data
        intact, i.e. the ICMP message is found after the options.
    Setup: fresh DUT, ARP primed.
    Procedure: echo request (id 9, seq 9, data b"with-options") with IPOption_RR(two empty slots).
    Judgement: an echo reply with id 9, seq 9 and exactly that data.
    Reference: RFC 791 section 3.1 (Options); RFC 1122 3.2.2.6.
    """
    dut.prime_arp()
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) /
             IP(src=dut.peer_ip, dst=dut.ip, options=[IPOption_RR(routers=["0.0.0.0", "0.0.0.0"])]) /
             ICMP(id=9, seq=9) / b"with-options")
    reply = dut.expect(is_echo_reply, timeout_ms=100, what="an echo reply")
    ip = IP(raw(reply[IP])[:reply[IP].len])
    assert (ip[ICMP].id, ip[ICMP].seq, bytes(ip[ICMP].payload)) == (9, 9, b"with-options")


@pytest.mark.parametrize("padding", [b"\x00" * 14, b"\xaa" * 14, bytes(range(1, 40))],
                         ids=["zeros", "0xaa", "long-junk"])
@pytest.mark.requirement("RFC791:R3")
def test_link_padding_is_not_data(dut, padding):
    """
    Purpose: Ethernet pads short frames (to 60 bytes, or more with junk); the IP layer uses Total Length and
        never hands the padding up as data.
    Setup: fresh DUT; a UDP socket bound to 0.0.0.0:7777.
    Procedure: UDP 5000 -> 7777 with payload b"tiny" (a 32-byte datagram) followed by `padding` in the frame.
    Judgement: recvfrom returns exactly b"tiny" from (198.18.0.1, 5000).
    Reference: RFC 791 section 3.1 (Total Length); RFC 894.
    """
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", PORT)
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) /
             UDP(sport=5000, dport=PORT) / b"tiny" / Padding(load=padding))
    assert sock.recvfrom() == (b"tiny", (dut.peer_ip, 5000))


@pytest.mark.requirement("RFC791:R3", "RFC792:1122-3.2.2.6-e")
def test_echo_in_padded_frame_returns_only_its_data(dut):
    """
    Purpose: an echo request of 2 data bytes arrives in a frame padded to 60 bytes with non-zero junk; the
        reply carries the 2 bytes, not the padding.
    Setup: fresh DUT, ARP primed.
    Procedure: echo request (id 4, seq 4, data b"hi") + 16 bytes of 0xee padding.
    Judgement: an echo reply whose IP total length is 30 and whose data is exactly b"hi".
    Reference: RFC 791 section 3.1 (Total Length).
    """
    dut.prime_arp()
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) / IP(src=dut.peer_ip, dst=dut.ip) / ICMP(id=4, seq=4) / b"hi" /
             Padding(load=b"\xee" * 16))
    reply = dut.expect(is_echo_reply, timeout_ms=100, what="an echo reply")
    assert reply[IP].len == 30
    assert raw(reply[IP])[28:30] == b"hi"


@pytest.mark.parametrize("flags,offset", [("MF", 0), ("", 1), ("MF", 5), ("MF+DF", 0)],
                         ids=["first", "last", "middle", "first-with-DF"])
@pytest.mark.requirement("RFC791:R12")
def test_fragments_are_not_delivered_alone(dut, flags, offset):
    """
    Purpose: a fragment (More Fragments set, or a non-zero offset) is never handed up on its own. Each
        carries a complete, checksum-valid echo request, so delivering it as a datagram would draw a reply.
        Without reassembly built every fragment is dropped and counted; with it (test_ipv4_reassembly.py) the
        fragment waits in reassembly for the rest.
    Setup: fresh DUT, ARP primed.
    Procedure: echo request (id 0x77, data 16 bytes) with IP flags `flags` and fragment offset `offset`
        (units of 8 bytes).
    Judgement: silence; exactly one ipv4 Fragment drop (no reassembly), or no drop at all (reassembly).
    Reference: RFC 791 section 3.2 (Fragmentation and Reassembly).
    """
    dut.prime_arp()
    dut.send(Ether(src=dut.peer_mac, dst=dut.mac) /
             IP(src=dut.peer_ip, dst=dut.ip, flags=flags, frag=offset, id=0x3131) /
             ICMP(id=0x77, seq=1) / (b"F" * 16))
    dut.expect_silence(timeout_ms=500)
    if picotcp.modules().get("ipv4_reassembly"):
        assert dut.counter("ipv4", "rx") == 1
        assert dut.counter("icmp4", "rx") == 0
        assert dut.dropped("ipv4", "Fragment") == 0
    else:
        dut.assert_dropped("ipv4", "Fragment")
