// WireDevice: an Ethernet device whose "wire" is two in-memory queues. Frames the stack transmits are queued
// for collect(); frames for the stack are injected with Stack::inject or queued with deliver() and picked up
// by Stack::poll. The Python bindings and the fuzzers use it.
#pragma once
#include "core/ring.hpp"
#include "link/device.hpp"
#include <cstddef>

namespace pico {

class WireDevice final : public Device {
  public:
    static constexpr std::size_t queue_capacity = 64;

    WireDevice(MacAddr mac, std::uint16_t mtu) : mac_(mac), mtu_(mtu) {}

    bool transmit(PacketBuf&& frame) override { return tx_.push(std::move(frame)); }
    std::optional<PacketBuf> receive() override { return rx_.pop(); }
    std::uint16_t mtu() const override { return mtu_; }
    MacAddr mac() const override { return mac_; }

    // The next frame the stack sent, oldest first.
    std::optional<PacketBuf> collect() { return tx_.pop(); }
    std::size_t pending_tx() const { return tx_.size(); }
    // Queues a frame for the stack's next poll. False if the queue is full.
    bool deliver(PacketBuf&& frame) { return rx_.push(std::move(frame)); }
    void clear() {
        tx_.clear();
        rx_.clear();
    }

  private:
    MacAddr mac_;
    std::uint16_t mtu_;
    Ring<PacketBuf, queue_capacity> tx_;
    Ring<PacketBuf, queue_capacity> rx_;
};

} // namespace pico
