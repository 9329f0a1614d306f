// A pcap writer that can sit on any device as its FrameTap (link/device.hpp).
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

} // namespace pico
