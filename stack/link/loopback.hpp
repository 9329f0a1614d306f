// LoopbackDevice: IP datagrams sent to it come back on the next poll (RawIp link, no Ethernet header).
#pragma once
#include "core/ring.hpp"
#include "link/device.hpp"

namespace pico {

class LoopbackDevice final : public Device {
  public:
    static constexpr std::size_t queue_capacity = 16;
    explicit LoopbackDevice(std::uint16_t mtu = 1500) : mtu_(mtu) {}

    bool transmit(PacketBuf&& frame) override { return queue_.push(std::move(frame)); }
    std::optional<PacketBuf> receive() override { return queue_.pop(); }
    std::uint16_t mtu() const override { return mtu_; }
    LinkType link_type() const override { return LinkType::RawIp; }

  private:
    std::uint16_t mtu_;
    Ring<PacketBuf, queue_capacity> queue_;
};

} // namespace pico
