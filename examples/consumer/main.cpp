// picotcp-consumer: a program outside this repository's build that uses an installed picotcp (headers under
// <prefix>/include/picotcp, the library from find_package(picotcp) or pkg-config). It makes a Stack with a
// device of its own, gives it 198.18.0.2/24, hands it an ARP request for that address and checks that the
// stack answered. Exit status 0 when it did.
#include "core/config.hpp"

#include "assembly/stack.hpp"
#include "core/types.hpp"
#include "link/device.hpp"
#include "net/ipv4.hpp"
#include "port/platform.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

namespace {

// Time moves one millisecond per call; randomness from a fixed xorshift (a product uses its TRNG).
class CounterPlatform final : public pico::Platform {
  public:
    pico::TimeMs now_ms() override { return ++ticks_; }
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

// The product's driver stands here: it counts the ARP replies the stack transmits.
class CountingDevice final : public pico::Device {
  public:
    bool transmit(pico::PacketBuf&& frame) override {
        const pico::PacketBuf sent(std::move(frame));
        const pico::Bytes bytes = sent.bytes();
        if (bytes.size() >= 22 && bytes[12] == 0x08 && bytes[13] == 0x06 && bytes[20] == 0x00 &&
            bytes[21] == 0x02)
            ++arp_replies_;
        return true;
    }
    std::uint16_t mtu() const override { return 1500; }
    pico::MacAddr mac() const override { return {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}}; }
    std::size_t arp_replies() const { return arp_replies_; }

  private:
    std::size_t arp_replies_ = 0;
};

// Who has 198.18.0.2? Tell 198.18.0.1 (from 02:00:00:00:00:01), padded to 60 bytes.
constexpr std::array<std::uint8_t, 60> arp_request = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, //
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,                                     //
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 198,  18,   0,    1,                            //
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198,  18,   0,    2,                            //
};

} // namespace

int main() {
    CounterPlatform platform;
    CountingDevice device;
    static pico::Stack stack(platform);
    const pico::IfIndex eth = stack.attach(device);
    if (eth == pico::no_interface) return 1;
    if (!pico::ipv4::add_address(stack, eth, pico::Ipv4Addr::from_octets(198, 18, 0, 2), 24)) return 2;
    if (!stack.inject(eth, pico::Bytes{arp_request.data(), arp_request.size()})) return 3;
    for (int i = 0; i < 8; ++i)
        stack.poll();
    if (device.arp_replies() != 1) {
        std::printf("picotcp-consumer: %zu ARP replies, expected 1\n", device.arp_replies());
        return 4;
    }
    std::printf("picotcp-consumer: the installed picotcp answered ARP\n");
    return 0;
}
