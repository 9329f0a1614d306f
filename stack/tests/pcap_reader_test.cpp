// The pcap reader: round trip with the writer, both byte orders and timestamp resolutions, and hostile files
// (truncated headers and records, lengths beyond the file) ending the iteration with an error, never a read
// out of bounds (ASan in the test build).
#include "link/pcap.hpp"
#include <gtest/gtest.h>
#include <vector>

using namespace pico;

namespace {

class MemorySink final : public ByteSink {
  public:
    void write(Bytes bytes) override { data.insert(data.end(), bytes.begin(), bytes.end()); }
    std::vector<std::uint8_t> data;
};

void put32(std::vector<std::uint8_t>& out, std::uint32_t v, bool big) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<std::uint8_t>(big ? v >> (24 - 8 * i) : v >> (8 * i)));
}

std::vector<std::uint8_t> file(std::uint32_t magic, bool big, std::uint32_t linktype) {
    std::vector<std::uint8_t> out;
    out.reserve(64);
    put32(out, magic, big);
    out.insert(out.end(), big ? std::initializer_list<std::uint8_t>{0, 2, 0, 4}
                              : std::initializer_list<std::uint8_t>{2, 0, 4, 0});
    put32(out, 0, big);
    put32(out, 0, big);
    put32(out, 65535, big);
    put32(out, linktype, big);
    return out;
}

void record(std::vector<std::uint8_t>& out, bool big, std::uint32_t sec, std::uint32_t frac,
            std::vector<std::uint8_t> bytes, std::uint32_t orig = 0) {
    put32(out, sec, big);
    put32(out, frac, big);
    put32(out, static_cast<std::uint32_t>(bytes.size()), big);
    put32(out, orig ? orig : static_cast<std::uint32_t>(bytes.size()), big);
    out.insert(out.end(), bytes.begin(), bytes.end());
}

} // namespace

TEST(PcapReader, ReadsWhatTheWriterWrote) {
    MemorySink sink;
    PcapWriter writer(sink, LinkType::RawIp);
    const std::uint8_t a[] = {0x45, 0, 0, 20};
    const std::uint8_t b[] = {0x60, 1, 2, 3, 4, 5};
    writer.write_record(1234, Bytes{a});
    writer.write_record(5000, Bytes{b});
    PcapReader reader(Bytes{sink.data});
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ(reader.linktype(), pcap::linktype_raw);
    EXPECT_EQ(reader.link_type(), LinkType::RawIp);
    EXPECT_EQ(reader.snaplen(), 65535u);
    auto first = reader.next();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->time_us, 1'234'000u);
    EXPECT_EQ(std::vector<std::uint8_t>(first->frame.begin(), first->frame.end()),
              std::vector<std::uint8_t>(std::begin(a), std::end(a)));
    auto second = reader.next();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->time_us, 5'000'000u);
    EXPECT_EQ(second->frame.size(), sizeof b);
    EXPECT_FALSE(reader.next());
    EXPECT_TRUE(reader.ok()); // a clean end of file is no error
}

TEST(PcapReader, BigEndianAndNanosecondFiles) {
    for (bool big : {false, true}) {
        auto data = file(0xa1b23c4d, big, 1);
        record(data, big, 7, 123'456'789, {1, 2, 3});
        PcapReader reader(Bytes{data});
        ASSERT_TRUE(reader.ok()) << big;
        EXPECT_EQ(reader.link_type(), LinkType::Ethernet);
        auto r = reader.next();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->time_us, 7'123'456u);
        EXPECT_EQ(r->frame.size(), 3u);
        EXPECT_EQ(r->original_len, 3u);
    }
}

TEST(PcapReader, RefusesBadMagicAndShortHeaders) {
    auto data = file(0x12345678, false, 1);
    EXPECT_EQ(PcapReader(Bytes{data}).error(), PcapReader::Error::BadMagic);
    data = file(0xa1b2c3d4, false, 1);
    data.resize(23);
    PcapReader short_header(Bytes{data});
    EXPECT_EQ(short_header.error(), PcapReader::Error::TruncatedHeader);
    EXPECT_FALSE(short_header.next());
    EXPECT_EQ(PcapReader(Bytes{}).error(), PcapReader::Error::TruncatedHeader);
}

TEST(PcapReader, HostileRecordsEndTheIteration) {
    // A record header cut short.
    auto data = file(0xa1b2c3d4, false, 1);
    record(data, false, 1, 0, {9, 9});
    data.insert(data.end(), {1, 2, 3});
    PcapReader cut(Bytes{data});
    EXPECT_TRUE(cut.next());
    EXPECT_FALSE(cut.next());
    EXPECT_EQ(cut.error(), PcapReader::Error::TruncatedRecord);
    EXPECT_FALSE(cut.next()); // stays ended

    // caplen beyond the end of the file.
    data = file(0xa1b2c3d4, false, 1);
    record(data, false, 1, 0, {1, 2, 3, 4});
    data.resize(data.size() - 2);
    PcapReader beyond(Bytes{data});
    EXPECT_FALSE(beyond.next());
    EXPECT_EQ(beyond.error(), PcapReader::Error::TruncatedRecord);

    // caplen larger than the original length, and a huge caplen (0xffffffff would wrap an offset).
    data = file(0xa1b2c3d4, false, 1);
    record(data, false, 1, 0, {1, 2, 3, 4}, 2);
    PcapReader longer(Bytes{data});
    EXPECT_FALSE(longer.next());
    EXPECT_EQ(longer.error(), PcapReader::Error::BadRecordLength);
    data = file(0xa1b2c3d4, false, 1);
    put32(data, 1, false);
    put32(data, 0, false);
    put32(data, 0xffffffff, false);
    put32(data, 0xffffffff, false);
    PcapReader huge(Bytes{data});
    EXPECT_FALSE(huge.next());
    EXPECT_EQ(huge.error(), PcapReader::Error::BadRecordLength);
}
