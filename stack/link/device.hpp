// The driver interface, and the capture tap that any device can carry.
#pragma once
#include "core/buffer.hpp"
#include "core/types.hpp"
#include <cstdint>
#include <optional>

namespace pico {

enum class LinkType : std::uint8_t {
    Ethernet, // frames carry an Ethernet II header
    RawIp,    // frames are IP datagrams (loopback, TUN)
};

// Something that watches frames crossing a device: the pcap writer.
class FrameTap {
  public:
    virtual void on_frame(TimeMs now, Bytes frame, bool outgoing) = 0;

  protected:
    ~FrameTap() = default;
};

class Device {
  public:
    // Takes a finished frame. Returns false if the device refused it (queue full, down).
    virtual bool transmit(PacketBuf&& frame) = 0;
    // Polled by Stack::poll: the next received frame, if any.
    virtual std::optional<PacketBuf> receive() { return std::nullopt; }
    virtual std::uint16_t mtu() const = 0;
    virtual MacAddr mac() const { return {}; }
    virtual LinkType link_type() const { return LinkType::Ethernet; }

    const char* name() const { return name_; }
    void set_name(const char* name) { name_ = name; }
    FrameTap* tap() const { return tap_; }
    void set_tap(FrameTap* tap) { tap_ = tap; }

  protected:
    Device() = default;
    ~Device() = default;
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

  private:
    const char* name_ = "dev";
    FrameTap* tap_ = nullptr;
};

} // namespace pico
