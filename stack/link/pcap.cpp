#include "link/pcap.hpp"
#include <array>

namespace pico {

namespace {
void store_le16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
}
void store_le32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
    p[2] = static_cast<std::uint8_t>(v >> 16);
    p[3] = static_cast<std::uint8_t>(v >> 24);
}
} // namespace

void PcapWriter::write_global_header(LinkType link) {
    std::array<std::uint8_t, pcap::global_header_len> header{};
    store_le32(header.data() + 0, pcap::magic);
    store_le16(header.data() + 4, pcap::version_major);
    store_le16(header.data() + 6, pcap::version_minor);
    store_le32(header.data() + 8, 0);  // thiszone: timestamps are UTC
    store_le32(header.data() + 12, 0); // sigfigs
    store_le32(header.data() + 16, snaplen_);
    store_le32(header.data() + 20, pcap::linktype_of(link));
    sink_.write(Bytes{header.data(), header.size()});
}

void PcapWriter::write_record(TimeMs now, Bytes frame) {
    const std::size_t caplen = frame.size() < snaplen_ ? frame.size() : snaplen_;
    std::array<std::uint8_t, pcap::record_header_len> record{};
    store_le32(record.data() + 0, static_cast<std::uint32_t>(now / 1000));
    store_le32(record.data() + 4, static_cast<std::uint32_t>((now % 1000) * 1000));
    store_le32(record.data() + 8, static_cast<std::uint32_t>(caplen));
    store_le32(record.data() + 12, static_cast<std::uint32_t>(frame.size()));
    sink_.write(Bytes{record.data(), record.size()});
    sink_.write(frame.first(caplen));
    ++frames_;
}

} // namespace pico
