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
std::uint32_t load_le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
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

PcapReader::PcapReader(Bytes file) : file_(file) {
    if (file.size() < pcap::global_header_len) {
        error_ = Error::TruncatedHeader;
        return;
    }
    const std::uint32_t magic_le = load_le32(file.data());
    switch (magic_le) {
    case 0xa1b2c3d4:
        break;
    case 0xa1b23c4d:
        nanoseconds_ = true;
        break;
    case 0xd4c3b2a1:
        swapped_ = true;
        break;
    case 0x4d3cb2a1:
        swapped_ = true;
        nanoseconds_ = true;
        break;
    default:
        error_ = Error::BadMagic;
        return;
    }
    snaplen_ = u32(16);
    linktype_ = u32(20) & 0x0fffffff; // the upper bits carry FCS information (pcap-linktype(7))
    at_ = pcap::global_header_len;
}

std::uint32_t PcapReader::u32(std::size_t at) const {
    return swapped_ ? load_be32(file_.data() + at) : load_le32(file_.data() + at);
}

std::optional<LinkType> PcapReader::link_type() const {
    if (linktype_ == pcap::linktype_ethernet) return LinkType::Ethernet;
    if (linktype_ == pcap::linktype_raw || linktype_ == 12 || linktype_ == 14) return LinkType::RawIp;
    return std::nullopt;
}

std::optional<PcapReader::Record> PcapReader::next() {
    if (error_ != Error::None || at_ == file_.size()) return std::nullopt;
    if (file_.size() - at_ < pcap::record_header_len) {
        error_ = Error::TruncatedRecord;
        return std::nullopt;
    }
    const std::uint32_t seconds = u32(at_);
    const std::uint32_t fraction = u32(at_ + 4);
    const std::uint32_t caplen = u32(at_ + 8);
    Record record;
    record.original_len = u32(at_ + 12);
    // A record longer than the snapshot length or than a jumbo frame is a corrupt file, not a frame.
    if (caplen > 262144 || caplen > record.original_len) {
        error_ = Error::BadRecordLength;
        return std::nullopt;
    }
    at_ += pcap::record_header_len;
    if (file_.size() - at_ < caplen) {
        error_ = Error::TruncatedRecord;
        return std::nullopt;
    }
    record.time_us = std::uint64_t{seconds} * 1'000'000 + (nanoseconds_ ? fraction / 1000 : fraction);
    record.frame = file_.subspan(at_, caplen);
    at_ += caplen;
    return record;
}

} // namespace pico
