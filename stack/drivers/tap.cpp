#include "drivers/tap.hpp"
#include "core/config.hpp"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace pico {

TunTapDevice::TunTapDevice(FramePoolBase& pool, const char* name, std::uint16_t mtu, bool tap)
    : pool_(pool), mtu_(mtu) {
    int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        error_ = errno;
        return;
    }
    ifreq request{};
    request.ifr_flags = static_cast<short>((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
    if (name != nullptr) {
        std::size_t len = std::strlen(name);
        if (len >= IFNAMSIZ) {
            error_ = ENAMETOOLONG;
            ::close(fd);
            return;
        }
        std::memcpy(request.ifr_name, name, len);
    }
    if (::ioctl(fd, TUNSETIFF, &request) < 0) {
        error_ = errno;
        ::close(fd);
        return;
    }
    static_assert(sizeof ifname_ == IFNAMSIZ);
    std::memcpy(ifname_, request.ifr_name, IFNAMSIZ - 1);
    set_name(ifname_);
    fd_ = fd;
}

TunTapDevice::~TunTapDevice() {
    if (fd_ >= 0) ::close(fd_);
}

bool TunTapDevice::transmit(PacketBuf&& frame) {
    if (fd_ < 0) return false;
    const PacketBuf sent = std::move(frame); // back to the pool whatever happens
    ssize_t n = ::write(fd_, sent.data(), sent.size());
    if (n != static_cast<ssize_t>(sent.size())) {
        ++tx_drops_;
        return false;
    }
    return true;
}

std::optional<PacketBuf> TunTapDevice::receive() {
    if (fd_ < 0) return std::nullopt;
    auto frame = pool_.allocate(config::frame_headroom);
    if (!frame) {
        // Read the frame anyway, or it would be offered again on every poll while the pool stays empty.
        std::uint8_t scratch[64];
        if (::read(fd_, scratch, sizeof scratch) >= 0) ++rx_drops_;
        return std::nullopt;
    }
    std::size_t room = frame->tailroom();
    std::uint8_t* at = frame->append(room);
    ssize_t n = ::read(fd_, at, room);
    if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ++rx_drops_;
        return std::nullopt;
    }
    frame->trim(static_cast<std::size_t>(n));
    return frame;
}

MacAddr TapDevice::mac() const {
    return mac_;
}
LinkType TapDevice::link_type() const {
    return LinkType::Ethernet;
}
LinkType TunDevice::link_type() const {
    return LinkType::RawIp;
}

} // namespace pico
