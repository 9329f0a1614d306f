// Linux TAP and TUN devices (/dev/net/tun): the stack talks to a real OS stack through them.
//
// Hosted only (Linux): built into libpicotcp_posix, never into the freestanding library. A TapDevice carries
// Ethernet frames (IFF_TAP | IFF_NO_PI), a TunDevice IP datagrams (IFF_TUN | IFF_NO_PI). Both are
// non-blocking: receive() returns nullopt when nothing is waiting, so Stack::poll never blocks; a program
// waits on fd() (PosixLoop does) and then polls the stack. Received frames are read straight into a frame of
// the stack's pool; a frame that finds the pool empty is read and discarded (counted in drops()).
//
// The interface must exist or the process must be allowed to create it (CAP_NET_ADMIN); a program normally
// runs inside a network namespace where the test created `tap0`.
#pragma once
#include "core/buffer.hpp"
#include "link/device.hpp"
#include <cstdint>
#include <optional>

namespace pico {

class TunTapDevice : public Device {
  public:
    // False when opening failed; error() is the errno of the failing call.
    bool ok() const { return fd_ >= 0; }
    int error() const { return error_; }
    int fd() const { return fd_; }
    // The kernel's name of the interface (as asked for, or as the kernel chose for an empty name).
    const char* ifname() const { return ifname_; }

    bool transmit(PacketBuf&& frame) override;
    std::optional<PacketBuf> receive() override;
    std::uint16_t mtu() const override { return mtu_; }

    // Frames read but discarded (pool empty, read error) and frames the kernel refused.
    std::uint64_t rx_drops() const { return rx_drops_; }
    std::uint64_t tx_drops() const { return tx_drops_; }

    // Closes the file descriptor (a TAP/TUN the kernel created for us goes away with it). Virtual: programs
    // hold either kind through this class.
    virtual ~TunTapDevice();

  protected:
    TunTapDevice(FramePoolBase& pool, const char* name, std::uint16_t mtu, bool tap);

  private:
    FramePoolBase& pool_;
    int fd_ = -1;
    int error_ = 0;
    std::uint16_t mtu_;
    char ifname_[16] = {};
    std::uint64_t rx_drops_ = 0;
    std::uint64_t tx_drops_ = 0;
};

// An Ethernet device on a Linux TAP interface. `mac` is the stack's own address on that segment (the kernel's
// side of the TAP has its own).
class TapDevice final : public TunTapDevice {
  public:
    TapDevice(FramePoolBase& pool, const char* name, MacAddr mac, std::uint16_t mtu = 1500)
        : TunTapDevice(pool, name, mtu, true), mac_(mac) {}
    // Defined in tap.cpp: the vtable (and no typeinfo: the library has no RTTI) is emitted there, so programs
    // built with RTTI link against it.
    MacAddr mac() const override;
    LinkType link_type() const override;

  private:
    MacAddr mac_;
};

// An IP device on a Linux TUN interface (no Ethernet header, no ARP or ND).
class TunDevice final : public TunTapDevice {
  public:
    TunDevice(FramePoolBase& pool, const char* name, std::uint16_t mtu = 1500)
        : TunTapDevice(pool, name, mtu, false) {}
    LinkType link_type() const override; // out of line, as TapDevice's
};

} // namespace pico
