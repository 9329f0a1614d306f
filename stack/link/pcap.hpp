// A pcap writer that can sit on any device as its FrameTap (link/device.hpp), and a pcap reader for replaying
// a capture into a stack (picotcp-replay, tests).
//
// Classic libpcap format (not pcapng): a 24-byte global header written when the writer is built, then one
// 16-byte record header and the captured bytes per frame, every field little-endian, microsecond timestamps
// taken from the stack's clock (virtual time in tests). The bytes go to a ByteSink, so stack/ never touches a
// FILE*: the bindings provide a file sink, tests a memory one.
#pragma once
#include "core/bytes.hpp"
#include "core/types.hpp"
#include "link/device.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico {

// Where the capture goes. write() is called with consecutive pieces of the file.
class ByteSink {
  public:
    virtual void write(Bytes bytes) = 0;

  protected:
    ~ByteSink() = default;
};

namespace pcap {
inline constexpr std::uint32_t magic = 0xa1b2c3d4; // microsecond timestamps
inline constexpr std::uint16_t version_major = 2;
inline constexpr std::uint16_t version_minor = 4;
inline constexpr std::size_t global_header_len = 24;
inline constexpr std::size_t record_header_len = 16;
inline constexpr std::uint32_t linktype_ethernet = 1; // LINKTYPE_ETHERNET
inline constexpr std::uint32_t linktype_raw = 101;    // LINKTYPE_RAW: IPv4 or IPv6 datagrams

constexpr std::uint32_t linktype_of(LinkType link) {
    return link == LinkType::RawIp ? linktype_raw : linktype_ethernet;
}
} // namespace pcap

class PcapWriter final : public FrameTap {
  public:
    // The constructor and every virtual function are inline, on purpose: the class then has no key function,
    // so its vtable and typeinfo are emitted where it is built (tests, bindings: with RTTI), not in pcap.cpp
    // (without RTTI), and -fsanitize=vptr in those users sees a complete object.

    // Writes the global header to sink at once.
    explicit PcapWriter(ByteSink& sink, LinkType link = LinkType::Ethernet, std::uint32_t snaplen = 65535)
        : sink_(sink), snaplen_(snaplen) {
        write_global_header(link);
    }
    PcapWriter(const PcapWriter&) = delete;
    PcapWriter& operator=(const PcapWriter&) = delete;

    // One record: ts_sec = now / 1000, ts_usec = (now % 1000) * 1000, caplen = min(len, snaplen),
    // origlen = len. The direction is not recorded (classic pcap has no field for it).
    void on_frame(TimeMs now, Bytes frame, bool outgoing) override {
        (void)outgoing;
        write_record(now, frame);
    }
    void write_record(TimeMs now, Bytes frame);

    std::uint32_t frames() const { return frames_; }
    std::uint32_t snaplen() const { return snaplen_; }

  private:
    void write_global_header(LinkType link);

    ByteSink& sink_;
    std::uint32_t snaplen_;
    std::uint32_t frames_ = 0;
};

// Reads a classic pcap file held in memory (little- or big-endian, microsecond or nanosecond timestamps).
// Every length is checked against the bytes present: a truncated or hostile file ends the iteration with
// error() set, never a read out of bounds.
class PcapReader {
  public:
    enum class Error : std::uint8_t { None, BadMagic, TruncatedHeader, TruncatedRecord, BadRecordLength };
    struct Record {
        std::uint64_t time_us = 0; // timestamp in microseconds (as recorded: usually since the epoch)
        Bytes frame{};             // the captured bytes (caplen)
        std::uint32_t original_len = 0;
    };

    explicit PcapReader(Bytes file);
    bool ok() const { return error_ == Error::None; }
    Error error() const { return error_; }
    std::uint32_t linktype() const { return linktype_; }
    // Ethernet or raw IP (LINKTYPE_RAW 101, or DLT_RAW 12/14 as some tools write it); nullopt otherwise.
    std::optional<LinkType> link_type() const;
    std::uint32_t snaplen() const { return snaplen_; }
    // The next record, or nullopt at the end of the file or at the first malformed record (see error()).
    std::optional<Record> next();

  private:
    std::uint32_t u32(std::size_t at) const;
    Bytes file_;
    std::size_t at_ = 0;
    bool swapped_ = false;
    bool nanoseconds_ = false;
    std::uint32_t linktype_ = 0;
    std::uint32_t snaplen_ = 0;
    Error error_ = Error::None;
};

} // namespace pico
