// picotcp-m4-image: the minimal stack on bare metal, without heap, exceptions or RTTI (the size figure that
// ci/arm-size prints).
//
// It builds a Stack in static storage with a tiny platform (a counting clock and an xorshift generator, no
// timer peripheral) and a device that throws transmitted frames away, gives the device an address, injects
// one ARP request for that address and polls. main returns 0 when the request went in and the stack answered
// it; under QEMU (mps2-an386) that is the exit status (startup.cpp, semihosting).
#include "assembly/stack.hpp"
#include "core/types.hpp"
#include "link/device.hpp"
#include "net/ipv4.hpp"
#include "port/platform.hpp"
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>

namespace {

// One millisecond per call: time moves forward, and the image needs no timer peripheral.
class CounterPlatform final : public pico::Platform {
  public:
    pico::TimeMs now_ms() override { return ++ticks_; }
    // xorshift32: enough for a test image. A product port feeds RFC 6528-quality randomness here (TRNG).
    void random_bytes(pico::MutBytes out) override {
        for (auto& byte : out) {
            state_ ^= state_ << 13;
            state_ ^= state_ >> 17;
            state_ ^= state_ << 5;
            byte = static_cast<std::uint8_t>(state_);
        }
    }

  private:
    pico::TimeMs ticks_ = 0;
    std::uint32_t state_ = 0x2545f491u;
};

// A device with no wire: transmitted frames are counted and returned to the pool.
class DropDevice final : public pico::Device {
  public:
    bool transmit(pico::PacketBuf&& frame) override {
        pico::PacketBuf dropped(std::move(frame));
        ++transmitted_;
        return true;
    }
    std::uint16_t mtu() const override { return 1500; }
    pico::MacAddr mac() const override { return {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}}; }
    std::size_t transmitted() const { return transmitted_; }

  private:
    std::size_t transmitted_ = 0;
};

// Who has 198.18.0.2? Tell 198.18.0.1 (from 02:00:00:00:00:01), padded to the 60-byte Ethernet minimum.
constexpr std::array<std::uint8_t, 60> arp_request = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, // Ethernet II, ARP
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,          // Ethernet/IPv4, request
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 198,  18,   0,    1, // sender
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198,  18,   0,    2, // target
};

CounterPlatform platform;
DropDevice device;
pico::StaticInstance<pico::Stack> stack_storage;

} // namespace

int main() {
    // Constructed in place and never destroyed: the stack lives as long as the firmware.
    pico::Stack* stack = &stack_storage.construct(platform);
    pico::IfIndex ifindex = stack->attach(device);
    if (ifindex == pico::no_interface) return 1;
    if (!pico::ipv4::add_address(*stack, ifindex, pico::Ipv4Addr::from_octets(198, 18, 0, 2), 24)) return 2;
    std::size_t announced = device.transmitted(); // gratuitous ARP, if any
    if (!stack->inject(ifindex, pico::Bytes{arp_request.data(), arp_request.size()})) return 3;
    stack->poll();
    return device.transmitted() > announced ? 0 : 4;
}
