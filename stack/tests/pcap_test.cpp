// The pcap writer: exact bytes of the global header and of records, snaplen, and use as a device tap.
#include "assembly/stack.hpp"
#include "link/loopback.hpp"
#include "link/pcap.hpp"
#include "link/wire_device.hpp"
#include "port/virtual_platform.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <vector>

using namespace pico;

namespace {

class MemorySink final : public ByteSink {
  public:
    void write(Bytes bytes) override {
        data.insert(data.end(), bytes.begin(), bytes.end());
        ++writes;
    }
    std::vector<std::uint8_t> data;
    int writes = 0;
};

std::vector<std::uint8_t> global_header(std::uint32_t snaplen, std::uint32_t linktype) {
    return {0xd4,
            0xc3,
            0xb2,
            0xa1, // magic a1b2c3d4, little-endian
            0x02,
            0x00,
            0x04,
            0x00, // version 2.4
            0x00,
            0x00,
            0x00,
            0x00, // thiszone
            0x00,
            0x00,
            0x00,
            0x00, // sigfigs
            static_cast<std::uint8_t>(snaplen),
            static_cast<std::uint8_t>(snaplen >> 8),
            static_cast<std::uint8_t>(snaplen >> 16),
            static_cast<std::uint8_t>(snaplen >> 24),
            static_cast<std::uint8_t>(linktype),
            0x00,
            0x00,
            0x00};
}

} // namespace

TEST(Pcap, GlobalHeaderEthernet) {
    MemorySink sink;
    PcapWriter writer(sink);
    EXPECT_EQ(sink.data, global_header(65535, 1));
    EXPECT_EQ(writer.frames(), 0u);
}

TEST(Pcap, GlobalHeaderRawIpAndSnaplen) {
    MemorySink sink;
    PcapWriter writer(sink, LinkType::RawIp, 96);
    EXPECT_EQ(sink.data, global_header(96, 101));
    EXPECT_EQ(writer.snaplen(), 96u);
}

TEST(Pcap, RecordBytesExact) {
    MemorySink sink;
    PcapWriter writer(sink);
    sink.data.clear();
    const std::vector<std::uint8_t> frame{0xde, 0xad, 0xbe, 0xef, 0x01};
    writer.on_frame(1'234'567, frame, true);                         // 1234 s + 567 ms
    const std::vector<std::uint8_t> expected{0xd2, 0x04, 0x00, 0x00, // ts_sec 1234
                                             0xd8, 0xa6, 0x08, 0x00, // ts_usec 567000 = 0x0008a6d8
                                             0x05, 0x00, 0x00, 0x00, // incl_len
                                             0x05, 0x00, 0x00, 0x00, // orig_len
                                             0xde, 0xad, 0xbe, 0xef, 0x01};
    EXPECT_EQ(sink.data, expected);
    EXPECT_EQ(writer.frames(), 1u);
}

TEST(Pcap, SnaplenTruncatesCaptureButKeepsOriginalLength) {
    MemorySink sink;
    PcapWriter writer(sink, LinkType::Ethernet, 4);
    sink.data.clear();
    std::vector<std::uint8_t> frame(10);
    for (std::size_t i = 0; i < frame.size(); ++i)
        frame[i] = static_cast<std::uint8_t>(i + 1);
    writer.on_frame(999, frame, false);
    const std::vector<std::uint8_t> expected{0x00, 0x00, 0x00, 0x00, // ts_sec 0
                                             0x58, 0x3e, 0x0f, 0x00, // ts_usec 999000 = 0x000f3e58
                                             0x04, 0x00, 0x00, 0x00, // incl_len = snaplen
                                             0x0a, 0x00, 0x00, 0x00, // orig_len
                                             0x01, 0x02, 0x03, 0x04};
    EXPECT_EQ(sink.data, expected);
}

TEST(Pcap, EmptyFrameRecordsHeaderOnly) {
    MemorySink sink;
    PcapWriter writer(sink);
    sink.data.clear();
    writer.on_frame(2000, Bytes{}, true);
    const std::vector<std::uint8_t> expected{0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(sink.data, expected);
    EXPECT_EQ(writer.frames(), 1u);
}

TEST(Pcap, TapOnDeviceRecordsIncomingAndOutgoingFrames) {
    VirtualClock clock;
    VirtualPlatform platform(clock, 1);
    auto stack = std::make_unique<Stack>(platform);
    WireDevice eth(*parse_mac("02:00:00:00:00:01"), 1500);
    MemorySink sink;
    PcapWriter writer(sink);
    eth.set_tap(&writer);
    IfIndex ifx = stack->attach(eth);

    clock.advance(3'500);
    std::vector<std::uint8_t> incoming(60, 0xab);
    ASSERT_TRUE(stack->inject(ifx, incoming));
    EXPECT_EQ(writer.frames(), 1u);
    ASSERT_EQ(sink.data.size(), 24u + 16u + 60u);
    EXPECT_EQ(sink.data[24], 3);    // ts_sec
    EXPECT_EQ(sink.data[28], 0x20); // ts_usec 500000 = 0x0007a120
    EXPECT_EQ(sink.data[29], 0xa1);
    EXPECT_EQ(sink.data[30], 0x07);

    auto frame = stack->frame_pool().allocate_copy(std::vector<std::uint8_t>(42, 0x11), 0);
    ASSERT_TRUE(frame);
    ASSERT_TRUE(transmit(*stack, ifx, std::move(*frame)));
    EXPECT_EQ(writer.frames(), 2u);
    ASSERT_EQ(sink.data.size(), 24u + 16u + 60u + 16u + 42u);
    EXPECT_EQ(sink.data[24 + 16 + 60 + 8], 42); // incl_len of the outgoing record
    EXPECT_EQ(sink.data.back(), 0x11);
}

TEST(Pcap, LoopbackUsesRawIpLinkType) {
    LoopbackDevice lo;
    MemorySink sink;
    PcapWriter writer(sink, lo.link_type());
    EXPECT_EQ(sink.data[20], 101);
}
