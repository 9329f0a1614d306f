// ARP (RFC 826, RFC 1122 2.3.2, RFC 5227) through a Stack and a WireDevice: frames are injected as bytes and
// the frames the stack sends are compared byte for byte. Our addresses come from the real
// ipv4::add_address (ARP asks is_local_ipv4, which the assembly routes to IPv4).
#include "assembly/stack.hpp"
#include "link/wire_device.hpp"
#include "port/virtual_platform.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <vector>

using namespace pico;

namespace {

using Frame = std::vector<std::uint8_t>;

const MacAddr our_mac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr peer_mac{{0x02, 0, 0, 0, 0, 0x02}};
const MacAddr peer_mac_new{{0x02, 0, 0, 0, 0, 0x22}};
const MacAddr other_mac{{0x02, 0, 0, 0, 0, 0x03}};
const Ipv4Addr our_ip = Ipv4Addr::from_octets(198, 18, 0, 2);
const Ipv4Addr peer_ip = Ipv4Addr::from_octets(198, 18, 0, 1);
const Ipv4Addr other_ip = Ipv4Addr::from_octets(198, 18, 0, 3);
constexpr std::uint16_t op_request = 1;
constexpr std::uint16_t op_reply = 2;

// An Ethernet + ARP frame written field by field (independent of wire/arp.hpp), 42 bytes, unpadded.
Frame arp_frame(MacAddr eth_dst, MacAddr eth_src, std::uint16_t op, MacAddr sha, Ipv4Addr spa, MacAddr tha,
                Ipv4Addr tpa) {
    Frame f(42, 0);
    eth_dst.store(&f[0]);
    eth_src.store(&f[6]);
    f[12] = 0x08;
    f[13] = 0x06;
    f[14] = 0x00; // htype 1
    f[15] = 0x01;
    f[16] = 0x08; // ptype 0x0800
    f[17] = 0x00;
    f[18] = 6;
    f[19] = 4;
    f[20] = static_cast<std::uint8_t>(op >> 8);
    f[21] = static_cast<std::uint8_t>(op);
    sha.store(&f[22]);
    spa.store(&f[28]);
    tha.store(&f[32]);
    tpa.store(&f[38]);
    return f;
}

// What the stack sends: Ethernet pads to 60 bytes with zeros.
Frame padded(Frame f) {
    if (f.size() < 60) f.resize(60, 0);
    return f;
}

// A request from the peer asking for `target` (broadcast, as a real request is).
Frame request_from_peer(Ipv4Addr target, MacAddr sha = peer_mac, Ipv4Addr spa = peer_ip) {
    return arp_frame(MacAddr::broadcast(), sha, op_request, sha, spa, MacAddr{}, target);
}

// A 48-byte IPv4/UDP datagram (no Ethernet padding needed once framed: 14 + 48 > 60).
Frame ipv4_datagram(Ipv4Addr source, Ipv4Addr destination, std::uint8_t fill) {
    Frame d(48, fill);
    d[0] = 0x45;
    d[1] = 0;
    store_be16(&d[2], 48);
    store_be16(&d[4], 0x1234);
    store_be16(&d[6], 0);
    d[8] = 64;
    d[9] = 17;
    store_be16(&d[10], 0);
    source.store(&d[12]);
    destination.store(&d[16]);
    return d;
}

struct ConflictLog {
    int calls = 0;
    IfIndex ifindex = no_interface;
    Ipv4Addr address{};
    MacAddr other{};
};

void record_conflict(void* context, IfIndex ifindex, Ipv4Addr address, MacAddr other) {
    auto* log = static_cast<ConflictLog*>(context);
    ++log->calls;
    log->ifindex = ifindex;
    log->address = address;
    log->other = other;
}

class ArpTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_NE(ifx, no_interface);
        ASSERT_TRUE(ipv4::add_address(*stack, ifx, our_ip, 24)) << "ipv4::add_address failed (IPv4 stub?)";
        ASSERT_TRUE(is_local_ipv4(*stack, ifx, our_ip));
        // add_address announces the address, twice 2 s apart (RFC 5227 2.3); the tests start from a quiet
        // wire after that sequence.
        advance(arp::announce_interval_ms * arp::announce_count);
        eth.clear();
        base = counters();
    }

    ModuleCounters counters() { return arp::state(*stack).counters; }
    std::uint32_t drops(Drop reason) { return counters().drops(reason) - base.drops(reason); }
    std::uint32_t total_drops() { return counters().total_drops() - base.total_drops(); }
    std::uint32_t rx() { return counters().rx - base.rx; }
    std::uint32_t tx() { return counters().tx - base.tx; }

    void inject(const Frame& f) { ASSERT_TRUE(stack->inject(ifx, f)); }
    std::vector<Frame> collect_all() {
        std::vector<Frame> out;
        while (auto frame = eth.collect())
            out.emplace_back(frame->bytes().begin(), frame->bytes().end());
        return out;
    }
    bool send_datagram(Ipv4Addr next_hop, const Frame& datagram) {
        auto buf = stack->frame_pool().allocate_copy(datagram, config::frame_headroom);
        EXPECT_TRUE(buf.has_value());
        return arp::send_ipv4(*stack, ifx, next_hop, std::move(*buf));
    }
    void advance(TimeMs ms) {
        clock.advance(ms);
        stack->poll();
    }
    Frame expected_request(Ipv4Addr target) {
        return padded(
            arp_frame(MacAddr::broadcast(), our_mac, op_request, our_mac, our_ip, MacAddr{}, target));
    }
    Frame expected_ipv4_frame(MacAddr destination, const Frame& datagram) {
        Frame f(14);
        destination.store(&f[0]);
        our_mac.store(&f[6]);
        f[12] = 0x08;
        f[13] = 0x00;
        f.insert(f.end(), datagram.begin(), datagram.end());
        return padded(f);
    }

    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    // The stack is declared before the device so the device (holding frames from the stack's pool) is
    // destroyed first.
    std::unique_ptr<Stack> stack = std::make_unique<Stack>(platform);
    WireDevice eth{our_mac, 1500};
    IfIndex ifx = stack->attach(eth);
    ModuleCounters base;
};

} // namespace

TEST_F(ArpTest, RepliesToRequestForUs) {
    inject(request_from_peer(our_ip));
    auto out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    // RFC 826: opcode reply, our MAC/IP as sender, the requester as target, unicast to the requester.
    Frame expected = padded(arp_frame(peer_mac, our_mac, op_reply, our_mac, our_ip, peer_mac, peer_ip));
    EXPECT_EQ(out[0], expected);
    // Spelled out, the fields that matter most.
    EXPECT_EQ(MacAddr::from(&out[0][0]), peer_mac); // Ethernet destination
    EXPECT_EQ(MacAddr::from(&out[0][6]), our_mac);  // Ethernet source
    EXPECT_EQ(load_be16(&out[0][12]), 0x0806);      // EtherType ARP
    EXPECT_EQ(load_be16(&out[0][20]), op_reply);
    EXPECT_EQ(rx(), 1u);
    EXPECT_EQ(tx(), 1u);
    EXPECT_EQ(total_drops(), 0u);
    // The requester is learned: it is about to talk to us.
    EXPECT_EQ(arp::lookup(*stack, ifx, peer_ip), peer_mac);
}

TEST_F(ArpTest, RequestForAnotherAddressIsIgnored) {
    inject(request_from_peer(other_ip));
    EXPECT_TRUE(collect_all().empty());
    EXPECT_EQ(drops(Drop::NotForUs), 1u);
    EXPECT_EQ(total_drops(), 1u);
    EXPECT_EQ(tx(), 0u);
    EXPECT_FALSE(arp::lookup(*stack, ifx, peer_ip).has_value());
}

TEST_F(ArpTest, UnsolicitedReplyCreatesNoEntry) {
    // A reply for us that answers no request of ours, and a reply between two other hosts.
    inject(arp_frame(our_mac, peer_mac, op_reply, peer_mac, peer_ip, our_mac, our_ip));
    inject(arp_frame(MacAddr::broadcast(), other_mac, op_reply, other_mac, other_ip, peer_mac, peer_ip));
    EXPECT_TRUE(collect_all().empty());
    EXPECT_FALSE(arp::lookup(*stack, ifx, peer_ip).has_value());
    EXPECT_FALSE(arp::lookup(*stack, ifx, other_ip).has_value());
    EXPECT_EQ(drops(Drop::NotForUs), 2u);
    EXPECT_EQ(rx(), 2u);
}

TEST_F(ArpTest, MergeUpdatesExistingEntryAndRefreshesLifetime) {
    inject(request_from_peer(our_ip));
    collect_all();
    ASSERT_EQ(arp::lookup(*stack, ifx, peer_ip), peer_mac);
    advance(arp::entry_lifetime_ms / 2);
    // The peer changed its MAC and says so in a request for somebody else: RFC 826 merges it anyway.
    inject(request_from_peer(other_ip, peer_mac_new));
    EXPECT_TRUE(collect_all().empty());
    EXPECT_EQ(arp::lookup(*stack, ifx, peer_ip), peer_mac_new);
    EXPECT_EQ(drops(Drop::NotForUs), 0u); // used: it updated an entry
    EXPECT_EQ(total_drops(), 0u);
    // The merge restarted the lifetime: alive past the first lifetime, gone after the second.
    advance(arp::entry_lifetime_ms / 2 + 1);
    EXPECT_EQ(arp::lookup(*stack, ifx, peer_ip), peer_mac_new);
    advance(arp::entry_lifetime_ms / 2 - 1);
    EXPECT_FALSE(arp::lookup(*stack, ifx, peer_ip).has_value());
}

TEST_F(ArpTest, ResolutionHoldsDatagramUntilReply) {
    Frame datagram = ipv4_datagram(our_ip, peer_ip, 0x5a);
    EXPECT_TRUE(send_datagram(peer_ip, datagram));
    auto out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], expected_request(peer_ip)); // sender IP taken from the datagram's source
    EXPECT_FALSE(arp::lookup(*stack, ifx, peer_ip).has_value());

    inject(arp_frame(our_mac, peer_mac, op_reply, peer_mac, peer_ip, our_mac, our_ip));
    out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], expected_ipv4_frame(peer_mac, datagram)); // the held datagram, unchanged
    EXPECT_EQ(arp::lookup(*stack, ifx, peer_ip), peer_mac);
    EXPECT_EQ(tx(), 1u); // the request; datagrams are counted by IPv4 and Ethernet
    EXPECT_EQ(total_drops(), 0u);

    // Resolved: the next datagram goes straight out.
    Frame second = ipv4_datagram(our_ip, peer_ip, 0x77);
    EXPECT_TRUE(send_datagram(peer_ip, second));
    out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], expected_ipv4_frame(peer_mac, second));
}

TEST_F(ArpTest, QueueKeepsTheNewestDatagramsInOrder) {
    // RFC 1122 2.3.2.2: at least the latest datagram is kept; the queue holds arp_queue_per_entry, the
    // oldest making room for the newest.
    std::vector<Frame> sent;
    for (std::size_t i = 0; i <= config::arp_queue_per_entry; ++i) {
        sent.push_back(ipv4_datagram(our_ip, peer_ip, static_cast<std::uint8_t>(0x10 + i)));
        EXPECT_TRUE(send_datagram(peer_ip, sent.back()));
    }
    auto out = collect_all();
    ASSERT_EQ(out.size(), 1u); // one request, not one per datagram
    EXPECT_EQ(drops(Drop::QueueFull), 1u);
    EXPECT_EQ(arp::state(*stack).queued, config::arp_queue_per_entry);
    EXPECT_EQ(stack->frame_stats().in_use, config::arp_queue_per_entry);
    inject(arp_frame(our_mac, peer_mac, op_reply, peer_mac, peer_ip, our_mac, our_ip));
    out = collect_all();
    ASSERT_EQ(out.size(), config::arp_queue_per_entry);
    for (std::size_t i = 0; i < out.size(); ++i)
        EXPECT_EQ(out[i], expected_ipv4_frame(peer_mac, sent[i + 1])) << "datagram " << i;
    EXPECT_EQ(arp::state(*stack).queued, 0u);
    EXPECT_EQ(stack->frame_stats().in_use, 0u);
    EXPECT_EQ(total_drops(), 1u);
}

TEST_F(ArpTest, QueuedFramesAreBoundedAcrossNeighbours) {
    // Every unresolved neighbour wants a full queue: all the queues together never hold more than
    // queue_limit frames; the oldest datagram of the longest queue makes room (QueueFull).
    std::size_t offered = 0;
    for (std::size_t n = 0; n < config::arp_entries; ++n) {
        auto ip = Ipv4Addr::from_octets(198, 18, 1, static_cast<std::uint8_t>(n + 1));
        for (std::size_t i = 0; i < config::arp_queue_per_entry; ++i, ++offered)
            EXPECT_TRUE(send_datagram(ip, ipv4_datagram(our_ip, ip, static_cast<std::uint8_t>(i))));
        collect_all();
        EXPECT_LE(arp::state(*stack).queued, arp::queue_limit);
        EXPECT_LE(stack->frame_stats().in_use, arp::queue_limit);
    }
    EXPECT_EQ(arp::state(*stack).queued, arp::queue_limit);
    EXPECT_EQ(stack->frame_stats().in_use, arp::queue_limit);
    EXPECT_EQ(drops(Drop::QueueFull), offered - arp::queue_limit);
    EXPECT_LE(arp::queue_limit, config::frame_count / 4); // the rest of the pool stays free
    // Resolution failure drops what is left; nothing leaks.
    for (int i = 0; i < arp::request_attempts; ++i)
        advance(arp::request_interval_ms);
    collect_all();
    EXPECT_EQ(drops(Drop::Unresolved), arp::queue_limit);
    EXPECT_EQ(arp::state(*stack).queued, 0u);
    EXPECT_EQ(stack->frame_stats().in_use, 0u);
}

TEST_F(ArpTest, FailedResolutionDropsEveryQueuedDatagram) {
    for (std::size_t i = 0; i < config::arp_queue_per_entry; ++i)
        EXPECT_TRUE(send_datagram(peer_ip, ipv4_datagram(our_ip, peer_ip, static_cast<std::uint8_t>(i))));
    for (int i = 0; i < arp::request_attempts; ++i)
        advance(arp::request_interval_ms);
    EXPECT_EQ(collect_all().size(), arp::request_attempts);
    EXPECT_EQ(drops(Drop::Unresolved), config::arp_queue_per_entry);
    EXPECT_EQ(total_drops(), config::arp_queue_per_entry);
    EXPECT_EQ(stack->frame_stats().in_use, 0u);
}

TEST_F(ArpTest, RetransmitsThenDropsUnresolved) {
    EXPECT_TRUE(send_datagram(peer_ip, ipv4_datagram(our_ip, peer_ip, 0x33)));
    ASSERT_EQ(collect_all().size(), 1u);
    advance(arp::request_interval_ms - 1);
    EXPECT_TRUE(collect_all().empty()); // not before the interval (RFC 1122 2.3.2.1: no flooding)
    for (int attempt = 2; attempt <= arp::request_attempts; ++attempt) {
        advance(attempt == 2 ? 1 : arp::request_interval_ms);
        auto out = collect_all();
        ASSERT_EQ(out.size(), 1u) << "attempt " << attempt;
        EXPECT_EQ(out[0], expected_request(peer_ip));
    }
    EXPECT_EQ(tx(), arp::request_attempts);
    EXPECT_EQ(drops(Drop::Unresolved), 0u);
    advance(arp::request_interval_ms);
    EXPECT_TRUE(collect_all().empty());
    EXPECT_EQ(drops(Drop::Unresolved), 1u);
    EXPECT_EQ(total_drops(), 1u);
    EXPECT_EQ(tx(), arp::request_attempts);
    // The entry is gone: a late reply is unsolicited, and a new datagram starts over.
    inject(arp_frame(our_mac, peer_mac, op_reply, peer_mac, peer_ip, our_mac, our_ip));
    EXPECT_TRUE(collect_all().empty());
    EXPECT_FALSE(arp::lookup(*stack, ifx, peer_ip).has_value());
    EXPECT_TRUE(send_datagram(peer_ip, ipv4_datagram(our_ip, peer_ip, 0x34)));
    EXPECT_EQ(collect_all().size(), 1u);
}

TEST_F(ArpTest, ReachableEntryExpires) {
    inject(request_from_peer(our_ip));
    collect_all();
    advance(arp::entry_lifetime_ms - 1);
    EXPECT_EQ(arp::lookup(*stack, ifx, peer_ip), peer_mac);
    advance(1);
    EXPECT_FALSE(arp::lookup(*stack, ifx, peer_ip).has_value());
    // Sending now resolves again rather than using the stale MAC.
    EXPECT_TRUE(send_datagram(peer_ip, ipv4_datagram(our_ip, peer_ip, 0x44)));
    auto out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], expected_request(peer_ip));
}

TEST_F(ArpTest, ConflictIsReportedAndDefendedOncePerInterval) {
    ConflictLog log;
    arp::set_conflict_handler(*stack, record_conflict, &log);
    // Another host announces our address (RFC 5227 2.4).
    Frame claim =
        arp_frame(MacAddr::broadcast(), other_mac, op_request, other_mac, our_ip, MacAddr{}, our_ip);
    inject(claim);
    EXPECT_EQ(log.calls, 1);
    EXPECT_EQ(log.ifindex, ifx);
    EXPECT_EQ(log.address, our_ip);
    EXPECT_EQ(log.other, other_mac);
    EXPECT_EQ(drops(Drop::Conflict), 1u);
    EXPECT_EQ(arp::state(*stack).conflicts, 1u);
    EXPECT_FALSE(arp::lookup(*stack, ifx, our_ip).has_value()); // never cached
    auto out = collect_all();
    ASSERT_EQ(out.size(), 1u); // the defence: one announcement of our own
    EXPECT_EQ(out[0], padded(arp_frame(MacAddr::broadcast(), our_mac, op_request, our_mac, our_ip, MacAddr{},
                                       our_ip)));
    // A second conflict within DEFEND_INTERVAL is reported but not defended; a reply claiming it too.
    advance(arp::defend_interval_ms - 1);
    inject(arp_frame(our_mac, other_mac, op_reply, other_mac, our_ip, our_mac, our_ip));
    EXPECT_EQ(log.calls, 2);
    EXPECT_EQ(drops(Drop::Conflict), 2u);
    EXPECT_TRUE(collect_all().empty());
    // After the interval we defend again.
    advance(1);
    inject(claim);
    EXPECT_EQ(log.calls, 3);
    EXPECT_EQ(arp::state(*stack).conflicts, 3u);
    EXPECT_EQ(collect_all().size(), 1u);
}

TEST_F(ArpTest, ConflictWithoutHandlerIsCounted) {
    inject(arp_frame(MacAddr::broadcast(), other_mac, op_request, other_mac, our_ip, MacAddr{}, peer_ip));
    EXPECT_EQ(drops(Drop::Conflict), 1u);
    EXPECT_EQ(arp::state(*stack).conflicts, 1u);
    EXPECT_EQ(collect_all().size(), 1u);
}

TEST_F(ArpTest, ProbeForOurAddressIsAnswered) {
    ConflictLog log;
    arp::set_conflict_handler(*stack, record_conflict, &log);
    // RFC 5227 2.1.1: a probe has sender IP 0.0.0.0; our reply tells the prober the address is taken.
    inject(arp_frame(MacAddr::broadcast(), other_mac, op_request, other_mac, Ipv4Addr::any(), MacAddr{},
                     our_ip));
    auto out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0],
              padded(arp_frame(other_mac, our_mac, op_reply, our_mac, our_ip, other_mac, Ipv4Addr::any())));
    EXPECT_EQ(log.calls, 0);
    EXPECT_EQ(arp::state(*stack).conflicts, 0u);
    EXPECT_EQ(total_drops(), 0u);
    EXPECT_FALSE(arp::lookup(*stack, ifx, Ipv4Addr::any()).has_value());
    // A probe for somebody else's address is not ours to answer.
    inject(arp_frame(MacAddr::broadcast(), other_mac, op_request, other_mac, Ipv4Addr::any(), MacAddr{},
                     other_ip));
    EXPECT_TRUE(collect_all().empty());
    EXPECT_EQ(drops(Drop::NotForUs), 1u);
}

TEST_F(ArpTest, AnnounceSendsGratuitousRequest) {
    arp::announce(*stack, ifx, our_ip);
    auto out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    // RFC 5227 2.3: broadcast request, sender IP = target IP = the address, target MAC zero.
    Frame expected =
        padded(arp_frame(MacAddr::broadcast(), our_mac, op_request, our_mac, our_ip, MacAddr{}, our_ip));
    EXPECT_EQ(out[0], expected);
    EXPECT_EQ(load_be32(&out[0][28]), our_ip.value);
    EXPECT_EQ(load_be32(&out[0][38]), our_ip.value);
    EXPECT_EQ(tx(), 1u);
    // RFC 5227 2.3: ANNOUNCE_NUM (2) announcements, ANNOUNCE_INTERVAL (2 s) apart, then nothing.
    advance(arp::announce_interval_ms - 1);
    EXPECT_TRUE(collect_all().empty());
    advance(1);
    out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], expected);
    advance(arp::announce_interval_ms * 3);
    EXPECT_TRUE(collect_all().empty());
    EXPECT_EQ(tx(), 2u);
}

TEST_F(ArpTest, RepeatedAnnouncementSkipsRemovedAddress) {
    Ipv4Addr second = Ipv4Addr::from_octets(198, 18, 0, 3);
    ASSERT_TRUE(ipv4::add_address(*stack, ifx, second, 24));
    EXPECT_EQ(collect_all().size(), 1u);
    ASSERT_TRUE(ipv4::remove_address(*stack, ifx, second));
    advance(arp::announce_interval_ms * 2);
    EXPECT_TRUE(collect_all().empty());
}

TEST_F(ArpTest, WrongHardwareOrProtocolIsBadHardware) {
    struct Case {
        std::size_t offset;
        std::uint8_t value;
    };
    const Case cases[] = {{15, 6}, {16, 0x86}, {18, 8}, {19, 16}}; // htype, ptype, hlen, plen
    for (const Case& c : cases) {
        Frame f = request_from_peer(our_ip);
        f[c.offset] = c.value;
        inject(f);
    }
    EXPECT_EQ(drops(Drop::BadHardware), 4u);
    EXPECT_EQ(total_drops(), 4u);
    EXPECT_EQ(rx(), 4u);
    EXPECT_TRUE(collect_all().empty());
    EXPECT_FALSE(arp::lookup(*stack, ifx, peer_ip).has_value());
}

TEST_F(ArpTest, UnknownOperationIsBadOperation) {
    Frame f = request_from_peer(our_ip);
    f[21] = 3; // RARP request
    inject(f);
    f[21] = 0;
    inject(f);
    EXPECT_EQ(drops(Drop::BadOperation), 2u);
    EXPECT_EQ(total_drops(), 2u);
    EXPECT_TRUE(collect_all().empty());
}

TEST_F(ArpTest, TruncatedPacketIsDropped) {
    Frame f = request_from_peer(our_ip);
    f.resize(14 + 27);
    inject(f);
    EXPECT_EQ(drops(Drop::Truncated), 1u);
    EXPECT_EQ(total_drops(), 1u);
    EXPECT_EQ(rx(), 1u);
    EXPECT_TRUE(collect_all().empty());
}

TEST_F(ArpTest, PaddedRequestIsAccepted) {
    inject(padded(request_from_peer(our_ip))); // Ethernet padding after the 28 bytes is ignored
    EXPECT_EQ(collect_all().size(), 1u);
    EXPECT_EQ(total_drops(), 0u);
}

TEST_F(ArpTest, BroadcastOrMulticastSenderIsBadAddress) {
    const MacAddr group_mac{{0x01, 0x00, 0x5e, 0, 0, 1}};
    inject(request_from_peer(our_ip, peer_mac, Ipv4Addr::limited_broadcast()));
    inject(request_from_peer(our_ip, peer_mac, Ipv4Addr::from_octets(224, 0, 0, 1)));
    // Sender hardware address in the ARP body (the Ethernet source stays unicast, or Ethernet drops it).
    Frame f = request_from_peer(our_ip);
    MacAddr::broadcast().store(&f[22]);
    inject(f);
    group_mac.store(&f[22]);
    inject(f);
    MacAddr{}.store(&f[22]); // all-zero: no host has it either
    inject(f);
    EXPECT_EQ(drops(Drop::BadAddress), 5u);
    EXPECT_EQ(total_drops(), 5u);
    EXPECT_TRUE(collect_all().empty());
    EXPECT_FALSE(arp::lookup(*stack, ifx, peer_ip).has_value());
}

TEST_F(ArpTest, BroadcastAndMulticastNextHopNeedNoResolution) {
    Frame datagram = ipv4_datagram(our_ip, Ipv4Addr::limited_broadcast(), 0x55);
    EXPECT_TRUE(send_datagram(Ipv4Addr::limited_broadcast(), datagram));
    Frame group_datagram = ipv4_datagram(our_ip, Ipv4Addr::from_octets(239, 1, 2, 3), 0x66);
    EXPECT_TRUE(send_datagram(Ipv4Addr::from_octets(239, 1, 2, 3), group_datagram));
    auto out = collect_all();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], expected_ipv4_frame(MacAddr::broadcast(), datagram));
    EXPECT_EQ(out[1], expected_ipv4_frame(MacAddr{{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}}, group_datagram));
    EXPECT_EQ(tx(), 0u); // no ARP packet
}

TEST_F(ArpTest, FullCacheEvictsOldestReachable) {
    // Fill the cache with requesters, one millisecond apart (so their ages differ).
    for (std::size_t i = 0; i < config::arp_entries; ++i) {
        auto ip = Ipv4Addr::from_octets(198, 18, 0, static_cast<std::uint8_t>(10 + i));
        auto mac = MacAddr{{0x02, 0, 0, 0, 1, static_cast<std::uint8_t>(i)}};
        inject(request_from_peer(our_ip, mac, ip));
        advance(1);
    }
    EXPECT_EQ(collect_all().size(), config::arp_entries);
    inject(request_from_peer(our_ip)); // one more
    EXPECT_EQ(collect_all().size(), 1u);
    EXPECT_EQ(arp::lookup(*stack, ifx, peer_ip), peer_mac);
    EXPECT_FALSE(arp::lookup(*stack, ifx, Ipv4Addr::from_octets(198, 18, 0, 10)).has_value()); // the oldest
    EXPECT_TRUE(arp::lookup(*stack, ifx, Ipv4Addr::from_octets(198, 18, 0, 11)).has_value());
    EXPECT_EQ(total_drops(), 0u);
}

TEST_F(ArpTest, CacheFullOfIncompleteEntriesIsPoolExhausted) {
    for (std::size_t i = 0; i < config::arp_entries; ++i) {
        auto ip = Ipv4Addr::from_octets(198, 18, 1, static_cast<std::uint8_t>(i + 1));
        EXPECT_TRUE(send_datagram(ip, ipv4_datagram(our_ip, ip, 0x10)));
    }
    EXPECT_EQ(collect_all().size(), config::arp_entries);
    EXPECT_FALSE(send_datagram(peer_ip, ipv4_datagram(our_ip, peer_ip, 0x20)));
    EXPECT_EQ(drops(Drop::PoolExhausted), 1u);
    EXPECT_TRUE(collect_all().empty());
    // A request for us still gets its reply, though the requester cannot be cached.
    inject(request_from_peer(our_ip));
    EXPECT_EQ(collect_all().size(), 1u);
    EXPECT_EQ(drops(Drop::PoolExhausted), 2u);
    EXPECT_FALSE(arp::lookup(*stack, ifx, peer_ip).has_value());
    // Only queue_limit datagrams are still held (the oldest made room); flushing the interface frees every
    // entry, dropping them.
    EXPECT_EQ(drops(Drop::QueueFull), config::arp_entries - arp::queue_limit);
    arp::flush(*stack, ifx);
    EXPECT_EQ(drops(Drop::Unresolved), arp::queue_limit);
    EXPECT_TRUE(send_datagram(peer_ip, ipv4_datagram(our_ip, peer_ip, 0x20)));
    EXPECT_EQ(collect_all().size(), 1u);        // its request
    EXPECT_EQ(stack->frame_stats().in_use, 1u); // only the new held datagram is still out of the pool
}

TEST_F(ArpTest, OwnFrameReflectedIsNotAConflict) {
    inject(arp_frame(MacAddr::broadcast(), our_mac, op_request, our_mac, our_ip, MacAddr{}, our_ip));
    EXPECT_EQ(arp::state(*stack).conflicts, 0u);
    EXPECT_EQ(drops(Drop::Conflict), 0u);
    EXPECT_TRUE(collect_all().empty());
}

TEST_F(ArpTest, RequestFromNeighbourBeingResolvedReleasesDatagram) {
    Frame datagram = ipv4_datagram(our_ip, peer_ip, 0x99);
    EXPECT_TRUE(send_datagram(peer_ip, datagram));
    ASSERT_EQ(collect_all().size(), 1u);
    // The peer asks for us before answering: the RFC 826 merge resolves the entry from its request.
    inject(request_from_peer(our_ip));
    auto out = collect_all();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], expected_ipv4_frame(peer_mac, datagram));
    EXPECT_EQ(out[1], padded(arp_frame(peer_mac, our_mac, op_reply, our_mac, our_ip, peer_mac, peer_ip)));
    EXPECT_EQ(total_drops(), 0u);
    advance(arp::request_interval_ms * arp::request_attempts); // no retransmission once resolved
    EXPECT_TRUE(collect_all().empty());
}

namespace {
struct GiveUp {
    Stack* stack;
    int calls = 0;
};
void give_up_address(void* context, IfIndex ifindex, Ipv4Addr address, MacAddr) {
    auto* g = static_cast<GiveUp*>(context);
    ++g->calls;
    ipv4::remove_address(*g->stack, ifindex, address); // RFC 5227 2.4 (a): stop using the address
}
} // namespace

TEST_F(ArpTest, AddressGivenUpByHandlerIsNotDefended) {
    GiveUp g{stack.get()};
    arp::set_conflict_handler(*stack, give_up_address, &g);
    inject(arp_frame(MacAddr::broadcast(), other_mac, op_request, other_mac, our_ip, MacAddr{}, our_ip));
    EXPECT_EQ(g.calls, 1);
    EXPECT_EQ(drops(Drop::Conflict), 1u);
    EXPECT_FALSE(is_local_ipv4(*stack, ifx, our_ip));
    EXPECT_TRUE(collect_all().empty()); // no announcement for an address we no longer hold
}

// Negative advice (RFC 1122 3.3.1.4): the next hop's entry is forgotten, the next datagram resolves it
// afresh.
TEST_F(ArpTest, NegativeAdviceForgetsTheNextHop) {
    inject(request_from_peer(our_ip));
    collect_all();
    ASSERT_EQ(arp::lookup(*stack, ifx, peer_ip), peer_mac);
    EXPECT_FALSE(arp::invalidate(*stack, ifx, other_ip)); // no entry: nothing happens
    ipv4::negative_advice(*stack, peer_ip);
    EXPECT_EQ(ipv4::state(*stack).negative_advice, 1u);
    EXPECT_EQ(arp::lookup(*stack, ifx, peer_ip), std::nullopt);
    EXPECT_FALSE(arp::invalidate(*stack, ifx, peer_ip)); // already gone

    const Frame datagram = ipv4_datagram(our_ip, peer_ip, 0x5a);
    EXPECT_TRUE(send_datagram(peer_ip, datagram));
    auto out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], expected_request(peer_ip)); // resolved afresh
    inject(arp_frame(our_mac, peer_mac, op_reply, peer_mac, peer_ip, our_mac, our_ip));
    out = collect_all();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], expected_ipv4_frame(peer_mac, datagram));
}
