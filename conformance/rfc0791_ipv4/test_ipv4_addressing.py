"""Which datagrams are for the host (RFC 1122 3.2.1.3, 3.3.6): invalid sources, other destinations, the
broadcast forms, and a low TTL. Echo requests make acceptance visible (an echo reply); UDP sockets are used
where the DUT must not answer (broadcasts)."""
import pytest
from scapy.all import ICMP, IP, UDP, Ether, raw

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
DIRECTED = "198.18.0.255"
LIMITED = "255.255.255.255"


def echo(dut, dst_mac=None, payload=b"addressing", **ip):
    fields = dict(src=dut.peer_ip, dst=dut.ip)
    fields.update(ip)
    return (Ether(src=dut.peer_mac, dst=dst_mac or dut.mac) / IP(**fields) /
            ICMP(id=0x5151, seq=3) / payload)


def is_echo_reply(frame):
    return ICMP in frame and frame[ICMP].type == 0


def udp_data(frame):
    return raw(frame[UDP])[8:frame[UDP].len]


@pytest.fixture
def primed(dut):
    dut.prime_arp()
    return dut


@pytest.mark.parametrize("source", [LIMITED, DIRECTED, "224.0.0.5", "239.1.2.3"],
                         ids=["limited-broadcast", "directed-broadcast", "multicast", "multicast-admin"])
@pytest.mark.requirement("RFC791:1122-3.2.1.3-c")
@pytest.mark.linux_deviation(
    "RFC 1122 3.2.1.3: the kernel discards a limited-broadcast or multicast source as a martian but accepts "
    "the subnet's directed broadcast as a source (and answers it)", ids=["directed-broadcast"])
def test_broadcast_or_multicast_source_is_discarded(primed, source):
    """
    Purpose: a datagram whose source is a broadcast (limited, or the directed broadcast of the DUT's
        subnet) or multicast address is silently discarded: no host has such an address, and answering it
        would reflect traffic to a whole network.
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request to 198.18.0.2 with IP source `source`.
    Judgement: silence; exactly one ipv4 BadAddress drop.
    Reference: RFC 1122 3.2.1.3.
    """
    dut = primed
    dut.send(echo(dut, src=source))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "BadAddress")


@pytest.mark.parametrize("source", ["127.0.0.1", "127.1.2.3"])
@pytest.mark.requirement("RFC791:1122-3.2.1.3-d", "RFC791:1122-3.2.1.3-c")
def test_loopback_source_from_the_wire_is_discarded(primed, source):
    """
    Purpose: loopback addresses never appear outside a host, so a datagram arriving on Ethernet with a
        127/8 source is spoofed and discarded.
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request to 198.18.0.2 with IP source `source`.
    Judgement: silence; exactly one ipv4 BadAddress drop.
    Reference: RFC 1122 3.2.1.3 (g).
    """
    dut = primed
    dut.send(echo(dut, src=source))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "BadAddress")


@pytest.mark.parametrize("destination", ["198.18.0.77", "198.18.1.255", "198.19.0.2", "224.0.0.9"],
                         ids=["other-host", "other-subnet-broadcast", "other-network", "unjoined-group"])
@pytest.mark.requirement("RFC791:1122-3.2.1.3-a")
def test_datagram_for_another_address_is_discarded(primed, destination):
    """
    Purpose: a datagram in a frame for the DUT's MAC but addressed to an IP that is not the DUT's (another
        host, another subnet's broadcast, another network, a group it did not join) is silently discarded;
        a host does not forward.
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request to `destination`, Ethernet destination the DUT's MAC.
    Judgement: silence; exactly one ipv4 NotForUs drop.
    Reference: RFC 1122 3.2.1.3.
    """
    dut = primed
    dut.send(echo(dut, dst=destination))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "NotForUs")


@pytest.mark.parametrize("destination", [LIMITED, DIRECTED], ids=["limited", "directed"])
@pytest.mark.requirement("RFC791:1122-3.2.1.3-b", "RFC791:1122-3.3.6-d", "RFC768:R5")
def test_broadcast_destinations_are_received(dut, destination):
    """
    Purpose: the host takes datagrams sent to the limited broadcast and to the directed broadcast of its
        subnet.
    Setup: fresh DUT; a UDP socket bound to 0.0.0.0:6000.
    Procedure: the peer sends a UDP datagram (payload b"to-everyone") to `destination`:6000 in an Ethernet
        broadcast frame.
    Judgement: recvfrom returns exactly b"to-everyone" from (198.18.0.1, 5353); the DUT sends nothing.
    Reference: RFC 1122 3.2.1.3 and 3.3.6.
    """
    sock = dut.udp_socket()
    sock.bind("0.0.0.0", 6000)
    dut.send(Ether(src=dut.peer_mac, dst=BROADCAST_MAC) / IP(src=dut.peer_ip, dst=destination) /
             UDP(sport=5353, dport=6000) / b"to-everyone")
    assert sock.recvfrom() == (b"to-everyone", (dut.peer_ip, 5353))
    dut.expect_silence(timeout_ms=200)


@pytest.mark.parametrize("ttl", [1, 0])
@pytest.mark.requirement("RFC791:1122-3.2.1.7-b")
def test_low_ttl_is_accepted_at_destination(primed, ttl):
    """
    Purpose: TTL expiry is for forwarding: a datagram that reached its destination is not discarded because
        its TTL is below 2 (RFC 1122 says "less than 2", which includes 0; RFC 1812 4.2.2.9 spells out
        "zero or one" for the same rule on routers).
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request to 198.18.0.2 with IP TTL `ttl`.
    Judgement: the DUT answers with an echo reply (id 0x5151, seq 3) to the peer within 100 ms.
    Reference: RFC 1122 3.2.1.7 (and its discussion: TTL expiry discards at gateways, not at the host).
    """
    dut = primed
    dut.send(echo(dut, ttl=ttl))
    reply = dut.expect(is_echo_reply, timeout_ms=100, what="an echo reply")
    assert reply[IP].dst == dut.peer_ip and reply[ICMP].id == 0x5151 and reply[ICMP].seq == 3


@pytest.mark.requirement("RFC791:1122-3.3.6-a")
@pytest.mark.linux_deviation(
    "RFC 1122 3.3.6 (SHOULD): the kernel accepts a unicast datagram sent as a link-layer broadcast unless "
    "net.ipv4.conf.*.drop_unicast_in_l2_multicast=1 (default 0)")
def test_link_broadcast_with_unicast_destination_is_discarded(primed):
    """
    Purpose: a datagram received as a link-layer broadcast whose IP destination is a unicast address (here
        the DUT's own) is silently discarded: a correct sender never broadcasts a unicast datagram, and
        hosts acting on it are how one host's error becomes every host's reply.
    Setup: fresh DUT, ARP primed.
    Procedure: an echo request to 198.18.0.2 in an Ethernet broadcast frame.
    Judgement: silence (no echo reply) for 500 ms; ipv4 counts one LinkBroadcastUnicast drop.
    Reference: RFC 1122 3.3.6.
    """
    dut = primed
    dut.send(echo(dut, dst_mac=BROADCAST_MAC))
    dut.expect_silence(timeout_ms=500)
    dut.assert_dropped("ipv4", "LinkBroadcastUnicast")
