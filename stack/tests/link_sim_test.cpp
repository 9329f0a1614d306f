// The in-memory Link: frames cross between two ends (and two stacks), impairments are applied as configured,
// delay is respected in virtual time, and a seed reproduces the same outcome.
#include "assembly/stack.hpp"
#include "link/link_sim.hpp"
#include "port/virtual_platform.hpp"
#include "socket/socket.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <vector>

using namespace pico;

namespace {

using Frame = std::vector<std::uint8_t>;

// Frames handed to transmit() come from the sender's pool; this stands in for a stack's.
struct Sender {
    FramePool<8, config::frame_size> pool;
    bool send(LinkEnd& end, const Frame& bytes) {
        auto frame = pool.allocate_copy(bytes, 0);
        if (!frame) return false;
        return end.transmit(std::move(*frame));
    }
};

Frame numbered_frame(std::uint16_t id, std::size_t len = 64) {
    Frame f(len, 0);
    // Ethernet header: to 02:..:0b from 02:..:0a, EtherType 0x88b5 (local experimental), then the id.
    const std::uint8_t header[14] = {0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a, 0x88, 0xb5};
    for (std::size_t i = 0; i < 14; ++i)
        f[i] = header[i];
    f[14] = static_cast<std::uint8_t>(id >> 8);
    f[15] = static_cast<std::uint8_t>(id);
    for (std::size_t i = 16; i < len; ++i)
        f[i] = static_cast<std::uint8_t>(i * 7 + id);
    return f;
}

std::vector<Frame> drain(LinkEnd& end) {
    std::vector<Frame> out;
    for (int i = 0; i < 1000; ++i) {
        auto frame = end.receive();
        if (!frame) break;
        out.emplace_back(frame->bytes().begin(), frame->bytes().end());
    }
    return out;
}

struct LinkFixture : ::testing::Test {
    VirtualClock clock;
    VirtualPlatform platform{clock, 1};
    Sender sender;
};

} // namespace

TEST_F(LinkFixture, FramePassesUnchangedToTheOtherEndOnly) {
    auto link = std::make_unique<Link>(platform, 42);
    Frame f = numbered_frame(1);
    ASSERT_TRUE(sender.send(link->a(), f));
    EXPECT_EQ(sender.pool.stats().in_use, 0u); // the link copied it into its own pool
    EXPECT_FALSE(link->a().receive());
    auto got = drain(link->b());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], f);

    ASSERT_TRUE(sender.send(link->b(), numbered_frame(2)));
    EXPECT_FALSE(link->b().receive());
    auto back = drain(link->a());
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0], numbered_frame(2));

    LinkStats stats = link->stats();
    EXPECT_EQ(stats.transmitted, 2u);
    EXPECT_EQ(stats.delivered, 2u);
    EXPECT_EQ(stats.lost, 0u);
    EXPECT_EQ(link->pool_stats().in_use, 0u);
}

TEST_F(LinkFixture, EndsHaveTheirMacsAndMtu) {
    auto link = std::make_unique<Link>(platform, 1, Impairments{}, *parse_mac("02:00:00:00:00:01"),
                                       *parse_mac("02:00:00:00:00:02"), 1400);
    EXPECT_EQ(link->a().mac(), *parse_mac("02:00:00:00:00:01"));
    EXPECT_EQ(link->b().mac(), *parse_mac("02:00:00:00:00:02"));
    EXPECT_EQ(link->a().mtu(), 1400);
    EXPECT_EQ(link->b().link_type(), LinkType::Ethernet);
}

TEST_F(LinkFixture, LossOneDropsEverything) {
    auto link = std::make_unique<Link>(platform, 7, Impairments{.loss = 1.0});
    for (std::uint16_t i = 0; i < 100; ++i)
        ASSERT_TRUE(sender.send(link->a(), numbered_frame(i)));
    clock.advance(1000);
    EXPECT_TRUE(drain(link->b()).empty());
    EXPECT_EQ(link->stats().transmitted, 100u);
    EXPECT_EQ(link->stats().lost, 100u);
    EXPECT_EQ(link->stats().delivered, 0u);
    EXPECT_EQ(link->in_flight(), 0u);
}

TEST_F(LinkFixture, DuplicateOneDoublesEveryFrame) {
    auto link = std::make_unique<Link>(platform, 7, Impairments{.duplicate = 1.0});
    for (std::uint16_t i = 0; i < 10; ++i)
        ASSERT_TRUE(sender.send(link->a(), numbered_frame(i)));
    auto got = drain(link->b());
    ASSERT_EQ(got.size(), 20u);
    for (std::uint16_t i = 0; i < 10; ++i) { // each copy right after its original (same due time)
        EXPECT_EQ(got[2 * i], numbered_frame(i));
        EXPECT_EQ(got[2 * i + 1], numbered_frame(i));
    }
    EXPECT_EQ(link->stats().duplicated, 10u);
    EXPECT_EQ(link->stats().delivered, 20u);
}

TEST_F(LinkFixture, DelayIsRespectedInVirtualTime) {
    auto link = std::make_unique<Link>(platform, 7, Impairments{.delay_ms = 30});
    clock.advance(100);
    ASSERT_TRUE(sender.send(link->a(), numbered_frame(1)));
    clock.advance(10);
    ASSERT_TRUE(sender.send(link->a(), numbered_frame(2)));
    EXPECT_FALSE(link->b().receive());
    clock.advance(19); // t = 129
    EXPECT_FALSE(link->b().receive());
    clock.advance(1); // t = 130: the first is due, the second at 140
    auto first = drain(link->b());
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0], numbered_frame(1));
    clock.advance(9);
    EXPECT_FALSE(link->b().receive());
    clock.advance(1);
    auto second = drain(link->b());
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0], numbered_frame(2));
}

TEST_F(LinkFixture, ReorderedFrameIsOvertaken) {
    auto link = std::make_unique<Link>(platform, 7, Impairments{.reorder = 1.0, .reorder_extra_delay_ms = 5});
    ASSERT_TRUE(sender.send(link->a(), numbered_frame(1))); // held back 5 ms
    link->set_impairments(Impairments{});
    ASSERT_TRUE(sender.send(link->a(), numbered_frame(2)));
    auto now = drain(link->b());
    ASSERT_EQ(now.size(), 1u);
    EXPECT_EQ(now[0], numbered_frame(2));
    clock.advance(5);
    auto later = drain(link->b());
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0], numbered_frame(1));
    EXPECT_EQ(link->stats().reordered, 1u);
}

TEST_F(LinkFixture, CorruptFlipsExactlyOneBit) {
    auto link = std::make_unique<Link>(platform, 9, Impairments{.corrupt = 1.0});
    for (std::uint16_t i = 0; i < 20; ++i) {
        Frame f = numbered_frame(i);
        ASSERT_TRUE(sender.send(link->a(), f));
        auto got = drain(link->b());
        ASSERT_EQ(got.size(), 1u);
        ASSERT_EQ(got[0].size(), f.size());
        int flipped = 0;
        for (std::size_t k = 0; k < f.size(); ++k)
            flipped += __builtin_popcount(static_cast<unsigned>(f[k] ^ got[0][k]));
        EXPECT_EQ(flipped, 1);
    }
    EXPECT_EQ(link->stats().corrupted, 20u);
}

TEST_F(LinkFixture, InFlightQueueIsBoundedAndOverflowCounted) {
    auto link = std::make_unique<Link>(platform, 7, Impairments{.delay_ms = 10});
    const std::size_t extra = 6;
    for (std::size_t i = 0; i < Link::in_flight_capacity + extra; ++i)
        ASSERT_TRUE(sender.send(link->a(), numbered_frame(static_cast<std::uint16_t>(i))));
    EXPECT_EQ(link->in_flight(), Link::in_flight_capacity);
    EXPECT_EQ(link->stats().overflow, extra);
    clock.advance(10);
    auto got = drain(link->b());
    ASSERT_EQ(got.size(), Link::in_flight_capacity);
    for (std::size_t i = 0; i < got.size(); ++i) // the first ones made it, in order
        EXPECT_EQ(got[i], numbered_frame(static_cast<std::uint16_t>(i)));
}

TEST_F(LinkFixture, OversizeFrameRefused) {
    auto link = std::make_unique<Link>(platform, 7);
    FramePool<1, config::frame_size + 16> big_pool;
    auto frame = big_pool.allocate_copy(Frame(config::frame_size + 1, 0), 0);
    ASSERT_TRUE(frame);
    EXPECT_FALSE(link->a().transmit(std::move(*frame)));
    EXPECT_EQ(link->stats().oversize, 1u);
    EXPECT_EQ(link->stats().transmitted, 0u);
}

namespace {
// Runs a fixed traffic pattern through a heavily impaired link and records what came out, when.
std::vector<std::pair<TimeMs, Frame>> run_impaired(std::uint64_t seed) {
    VirtualClock clock;
    VirtualPlatform platform(clock, 1);
    Sender sender;
    auto link = std::make_unique<Link>(platform, seed,
                                       Impairments{.loss = 0.2,
                                                   .duplicate = 0.2,
                                                   .reorder = 0.3,
                                                   .corrupt = 0.1,
                                                   .delay_ms = 3,
                                                   .reorder_extra_delay_ms = 7});
    std::vector<std::pair<TimeMs, Frame>> out;
    for (std::uint16_t i = 0; i < 200; ++i) {
        EXPECT_TRUE(sender.send(i % 3 == 0 ? link->b() : link->a(), numbered_frame(i, 40 + i % 50)));
        clock.advance(1);
        for (auto& f : drain(link->a()))
            out.emplace_back(clock.now(), std::move(f));
        for (auto& f : drain(link->b()))
            out.emplace_back(clock.now() + 1'000'000, std::move(f)); // mark the direction
    }
    clock.advance(100);
    for (auto& f : drain(link->a()))
        out.emplace_back(clock.now(), std::move(f));
    for (auto& f : drain(link->b()))
        out.emplace_back(clock.now() + 1'000'000, std::move(f));
    return out;
}
} // namespace

TEST(LinkDeterminism, SameSeedSameOutcome) {
    auto first = run_impaired(1234);
    auto second = run_impaired(1234);
    EXPECT_EQ(first, second);
    EXPECT_GT(first.size(), 100u);
    auto other = run_impaired(4321);
    EXPECT_NE(first, other);
}

// ---- two stacks over a Link ----

namespace {
struct TwoStacks : ::testing::Test {
    VirtualClock clock;
    VirtualPlatform platform_a{clock, 11};
    VirtualPlatform platform_b{clock, 22};
    // The Link is declared before the stacks: frames the stacks hold come from its pool.
    std::unique_ptr<Link> link;
    std::unique_ptr<Stack> a;
    std::unique_ptr<Stack> b;
    IfIndex ifa = no_interface;
    IfIndex ifb = no_interface;

    void make(Impairments imp) {
        link = std::make_unique<Link>(platform_a, 99, imp);
        a = std::make_unique<Stack>(platform_a);
        b = std::make_unique<Stack>(platform_b);
        ifa = a->attach(link->a());
        ifb = b->attach(link->b());
    }
    void TearDown() override {
        a.reset();
        b.reset();
        link.reset();
    }
    bool send_raw(Stack& from, IfIndex ifx, const Frame& bytes) {
        auto frame = from.frame_pool().allocate_copy(bytes, 0);
        return frame && transmit(from, ifx, std::move(*frame));
    }
};
} // namespace

TEST_F(TwoStacks, FramesPassBetweenStacks) {
    make({});
    for (std::uint16_t i = 0; i < 5; ++i)
        ASSERT_TRUE(send_raw(*a, ifa, numbered_frame(i)));
    EXPECT_EQ(a->device_counters().tx, 5u);
    EXPECT_EQ(b->poll(), 5u);
    EXPECT_EQ(b->device_counters().rx, 5u);
    // Addressed to b's MAC with an EtherType nobody handles: ethernet took them and said why it dropped them.
    b->for_each_module([](const char* name, const ModuleCounters& c) {
        if (std::string(name) == "ethernet") {
            EXPECT_EQ(c.rx, 5u);
            EXPECT_EQ(c.drops(Drop::UnknownEtherType), 5u);
        }
    });
    EXPECT_EQ(a->poll(), 0u);
    EXPECT_EQ(b->frame_stats().in_use, 0u);
    EXPECT_EQ(link->pool_stats().in_use, 0u);
}

TEST_F(TwoStacks, LossOneNothingReachesTheOtherStack) {
    make(Impairments{.loss = 1.0});
    for (std::uint16_t i = 0; i < 5; ++i)
        ASSERT_TRUE(send_raw(*a, ifa, numbered_frame(i)));
    clock.advance(1000);
    EXPECT_EQ(b->poll(), 0u);
    EXPECT_EQ(b->device_counters().rx, 0u);
    EXPECT_EQ(link->stats().lost, 5u);
}

TEST_F(TwoStacks, DuplicateOneDoublesAtTheOtherStack) {
    make(Impairments{.duplicate = 1.0});
    for (std::uint16_t i = 0; i < 4; ++i)
        ASSERT_TRUE(send_raw(*a, ifa, numbered_frame(i)));
    EXPECT_EQ(b->poll(), 8u);
    EXPECT_EQ(b->device_counters().rx, 8u);
}

TEST_F(TwoStacks, DelayHoldsFramesUntilDue) {
    make(Impairments{.delay_ms = 50});
    ASSERT_TRUE(send_raw(*a, ifa, numbered_frame(1)));
    clock.advance(49);
    EXPECT_EQ(b->poll(), 0u);
    clock.advance(1);
    EXPECT_EQ(b->poll(), 1u);
}

namespace {
struct Received {
    int readable = 0;
};
void on_event(void* context, SocketHandle, SocketEvent event, SocketError) {
    if (event == SocketEvent::Readable) ++static_cast<Received*>(context)->readable;
}
} // namespace

// End to end: needs IPv4 and ARP (another module's work) to resolve and route.
TEST_F(TwoStacks, UdpDatagramCrossesWithDelay) {
    make(Impairments{.delay_ms = 2});
    ASSERT_TRUE(ipv4::add_address(*a, ifa, *parse_ipv4("198.18.0.1"), 24));
    ASSERT_TRUE(ipv4::add_address(*b, ifb, *parse_ipv4("198.18.0.2"), 24));
    Received received;
    SocketHandle server = socket::open_udp(*b, on_event, &received);
    ASSERT_GE(server, 0);
    ASSERT_EQ(socket::bind(*b, server, Ipv4Addr{}, 7000), SocketError::Ok);
    SocketHandle client = socket::open_udp(*a, nullptr, nullptr);
    ASSERT_GE(client, 0);
    const Frame payload{'p', 'i', 'n', 'g'};
    ASSERT_EQ(socket::send_to(*a, client, payload, *parse_ipv4("198.18.0.2"), 7000), SocketError::Ok);
    for (int round = 0; round < 20 && received.readable == 0; ++round) {
        clock.advance(1);
        a->poll();
        b->poll();
    }
    ASSERT_EQ(received.readable, 1);
    std::uint8_t buffer[16];
    socket::RecvInfo info;
    ASSERT_EQ(socket::recv_from(*b, server, buffer, info), SocketError::Ok);
    EXPECT_EQ(Frame(buffer, buffer + info.copied), payload);
    EXPECT_EQ(info.source, *parse_ipv4("198.18.0.1"));
    IpAddr local;
    std::uint16_t port = 0;
    ASSERT_EQ(socket::local_endpoint(*a, client, local, port), SocketError::Ok);
    EXPECT_EQ(info.source_port, port);
}
