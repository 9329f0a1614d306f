// picotcp-size-image: the program bench/size links once per module set (each preset's, each module alone over
// the core) and target (x86-64, Cortex-M4), to measure what the modules cost in an image.
//
// --gc-sections keeps only what a program reaches, so this one reaches every module the build has, the way a
// small product would: a Stack in a static buffer with a tiny platform and an Ethernet device, addresses and
// routes, then for each module built in the calls an application makes of it (a ping, an IGMP/MLD join, a UDP
// echo socket, a TCP echo server and a TCP client; a loopback device, a pcap writer and a capture replayed
// into the stack, a Link), one received frame and a few polls. Received frames reach every input hook through
// the assembly's hand-offs, polls every module's timers. Calls sit under `if constexpr (pico::config::...)`,
// so a module that is off costs nothing here either; objects of the optional devices under `#if
// PICO_WITH_...`.
//
// The image is measured, not run (though it runs: main returns 0 when the stack answered the ARP request, or
// accepted the frame where there is no ARP). No heap, exceptions or RTTI, as examples/cortex-m4/main.cpp.
#include "core/config.hpp"

#include "assembly/stack.hpp"
#include "core/types.hpp"
#include "link/device.hpp"
#include "port/platform.hpp"
#include "socket/socket.hpp"
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#if PICO_WITH_LOOPBACK
#include "link/loopback.hpp"
#endif
#if PICO_WITH_PCAP
#include "link/pcap.hpp"
#endif
#if PICO_WITH_LINKSIM
#include "link/link_sim.hpp"
#endif

namespace {

// One millisecond per call: time moves forward, so timers fire, without a timer peripheral.
class CounterPlatform final : public pico::Platform {
  public:
    pico::TimeMs now_ms() override { return ++ticks_; }
    // xorshift32: enough for a size image. A product port feeds RFC 6528-quality randomness here (TRNG).
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

// The product's Ethernet driver stands here: transmitted frames are counted and returned to the pool.
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

constexpr pico::Ipv4Addr our_ipv4 = pico::Ipv4Addr::from_octets(198, 18, 0, 2);
constexpr pico::Ipv4Addr peer_ipv4 = pico::Ipv4Addr::from_octets(198, 18, 0, 1);
constexpr pico::Ipv4Addr group_ipv4 = pico::Ipv4Addr::from_octets(233, 252, 0, 1); // MCAST-TEST-NET
constexpr pico::Ipv6Addr link_local{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 0x02}};
constexpr pico::Ipv6Addr our_ipv6{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};
constexpr pico::Ipv6Addr peer_ipv6{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}};
constexpr pico::Ipv6Addr group_ipv6{{0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x14}};
constexpr std::uint16_t echo_port = 7;

CounterPlatform platform;
DropDevice device;
alignas(pico::Stack) std::byte stack_storage[sizeof(pico::Stack)];
[[maybe_unused]] pico::SocketHandle tcp_listener = -1;
[[maybe_unused]] std::array<std::uint8_t, 256> app_buffer{};

#if PICO_WITH_LOOPBACK
pico::LoopbackDevice loopback;
#endif
#if PICO_WITH_PCAP
// Where a product's capture would go (a UART, a file on an SD card): here it is only counted.
class CountingSink final : public pico::ByteSink {
  public:
    void write(pico::Bytes bytes) override { written_ += bytes.size(); }

  private:
    std::size_t written_ = 0;
};
CountingSink capture_sink;

// A classic pcap file holding the ARP request, replayed into the stack through PcapReader.
constexpr std::array<std::uint8_t, 24 + 16 + 60> make_capture() {
    std::array<std::uint8_t, 24 + 16 + 60> file{0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00}; // LE, 2.4
    file[16] = 0xff; // snaplen 65535
    file[17] = 0xff;
    file[20] = 0x01; // LINKTYPE_ETHERNET
    file[24 + 8] = 60;
    file[24 + 12] = 60;
    for (std::size_t i = 0; i < arp_request.size(); ++i)
        file[24 + 16 + i] = arp_request[i];
    return file;
}
constexpr auto capture = make_capture();
#endif
#if PICO_WITH_LINKSIM
// A Link (normally a test and benchmark device) joining the stack to nothing: frames are sent into it.
pico::Link sim_link(platform, 7, pico::Impairments{.loss = 0.01, .delay_ms = 2});
#endif

[[maybe_unused]] pico::Stack& stack_of(void* context) {
    return *static_cast<pico::Stack*>(context);
}

[[maybe_unused]] bool has(pico::SocketEvent events, pico::SocketEvent event) {
    return (static_cast<unsigned>(events) & static_cast<unsigned>(event)) != 0;
}

// UDP echo: every datagram goes back to its sender.
[[maybe_unused]] void on_udp(void* context, pico::SocketHandle socket, pico::SocketEvent events,
                             pico::SocketError error) {
    (void)error;
    if constexpr (pico::config::udp) {
        if (!has(events, pico::SocketEvent::Readable)) return;
        pico::Stack& stack = stack_of(context);
        pico::udp::RecvInfo info;
        while (pico::socket::recv_from(stack, socket, pico::MutBytes{app_buffer.data(), app_buffer.size()},
                                       info) == pico::SocketError::Ok) {
            pico::socket::send_to(stack, socket, pico::Bytes{app_buffer.data(), info.copied}, info.source,
                                  info.source_port);
        }
    } else {
        (void)context;
        (void)socket;
        (void)events;
    }
}

// TCP echo server (accepts on the listener, echoes what it reads, closes after the peer) and client.
[[maybe_unused]] void on_tcp(void* context, pico::SocketHandle socket, pico::SocketEvent events,
                             pico::SocketError error) {
    if constexpr (pico::config::tcp) {
        pico::Stack& stack = stack_of(context);
        if (socket == tcp_listener) {
            if (has(events, pico::SocketEvent::Readable)) pico::tcp::accept(stack, socket, on_tcp, context);
            return;
        }
        if (has(events, pico::SocketEvent::Readable)) {
            std::size_t read = 0;
            bool eof = false;
            while (pico::tcp::read(stack, socket, pico::MutBytes{app_buffer.data(), app_buffer.size()}, read,
                                   eof) == pico::SocketError::Ok &&
                   read > 0) {
                std::size_t written = 0;
                pico::tcp::write(stack, socket, pico::Bytes{app_buffer.data(), read}, written);
            }
        }
        if (has(events, pico::SocketEvent::PeerClosed) || error != pico::SocketError::Ok)
            pico::tcp::close(stack, socket);
    } else {
        (void)context;
        (void)socket;
        (void)events;
        (void)error;
    }
}

[[maybe_unused]] void on_echo_reply(void* context, const pico::icmp4::EchoReply& reply) {
    (void)context;
    (void)reply;
}

[[maybe_unused]] void on_echo6_reply(void* context, const pico::icmp6::EchoReply& reply) {
    (void)context;
    (void)reply;
}

// What an application does with each module built in.
void configure(pico::Stack& stack, pico::IfIndex eth) {
    static constexpr std::array<std::uint8_t, 8> payload = {'p', 'i', 'c', 'o', 's', 'i', 'z', 'e'};
    const pico::Bytes data{payload.data(), payload.size()};
    if constexpr (pico::config::ipv4) {
        pico::ipv4::add_address(stack, eth, our_ipv4, 24);
        pico::ipv4::add_route(stack, pico::Ipv4Addr{}, 0, peer_ipv4);
        // A datagram of an experimental protocol (RFC 3692: 253): the IPv4 send path without a transport.
        if (auto packet = stack.frame_pool().allocate_copy(data, pico::config::frame_headroom)) {
            pico::ipv4::SendParams params;
            params.destination = peer_ipv4;
            params.protocol = 253;
            pico::ipv4::send(stack, params, std::move(*packet));
        }
    }
    if constexpr (pico::config::icmp4) {
        pico::icmp4::set_echo_reply_handler(stack, on_echo_reply, nullptr);
        pico::icmp4::send_echo_request(stack, peer_ipv4, 1, 1, data);
    }
    if constexpr (pico::config::igmp) pico::igmp::join(stack, eth, group_ipv4);
    if constexpr (pico::config::ipv6) {
        if constexpr (pico::config::slaac) {
            pico::slaac::start(stack, eth);
        } else {
            pico::ipv6::add_address(stack, eth, link_local, 64);
        }
        pico::ipv6::add_address(stack, eth, our_ipv6, 64);
        pico::ipv6::add_route(stack, pico::Ipv6Addr{}, 0, peer_ipv6, eth);
        if (auto packet = stack.frame_pool().allocate_copy(data, pico::config::frame_headroom)) {
            pico::ipv6::SendParams params;
            params.destination = peer_ipv6;
            params.next_header = 253;
            pico::ipv6::send(stack, params, std::move(*packet));
        }
    }
    if constexpr (pico::config::icmp6) {
        pico::icmp6::set_echo_reply_handler(stack, on_echo6_reply, nullptr);
        pico::icmp6::send_echo_request(stack, peer_ipv6, 1, 1, data);
    }
    if constexpr (pico::config::nd) pico::nd::start_router_solicitation(stack, eth);
    if constexpr (pico::config::mld) pico::mld::join(stack, eth, group_ipv6);
    if constexpr (pico::config::udp) {
        pico::SocketHandle udp = pico::socket::open_udp(stack, on_udp, &stack);
        pico::socket::bind(stack, udp, pico::IpAddr{}, echo_port);
        pico::socket::send_to(stack, udp, data, peer_ipv4, echo_port);
        if constexpr (pico::config::ipv6) pico::socket::send_to(stack, udp, data, peer_ipv6, echo_port);
        if constexpr (pico::config::igmp) pico::udp::join_group(stack, udp, eth, group_ipv4);
        if constexpr (pico::config::mld) pico::udp::join_group(stack, udp, eth, group_ipv6);
    }
    if constexpr (pico::config::tcp) {
        tcp_listener = pico::socket::open_tcp(stack, on_tcp, &stack);
        pico::socket::tcp_bind(stack, tcp_listener, pico::IpAddr{}, echo_port);
        pico::tcp::listen(stack, tcp_listener, 2);
        pico::SocketHandle client = pico::socket::open_tcp(stack, on_tcp, &stack);
        pico::socket::tcp_connect(stack, client, peer_ipv4, echo_port);
        std::size_t written = 0;
        pico::tcp::write(stack, client, data, written);
        if constexpr (pico::config::ipv6) {
            pico::SocketHandle client6 = pico::socket::open_tcp(stack, on_tcp, &stack);
            pico::socket::tcp_connect(stack, client6, peer_ipv6, echo_port);
        }
    }
}

} // namespace

int main() {
    // Constructed in place and never destroyed: the stack lives as long as the firmware.
    auto* stack = new (stack_storage) pico::Stack(platform);
    pico::IfIndex eth = stack->attach(device);
    if (eth == pico::no_interface) return 1;
#if PICO_WITH_PCAP
    pico::PcapWriter writer(capture_sink);
    device.set_tap(&writer);
#endif
#if PICO_WITH_LOOPBACK
    pico::IfIndex lo = stack->attach(loopback);
    if constexpr (pico::config::ipv4)
        pico::ipv4::add_address(*stack, lo, pico::Ipv4Addr::from_octets(127, 0, 0, 1), 8);
    if constexpr (pico::config::ipv6) pico::ipv6::add_address(*stack, lo, pico::Ipv6Addr::loopback(), 128);
#endif
#if PICO_WITH_LINKSIM
    stack->attach(sim_link.a());
#endif
    configure(*stack, eth);

    std::size_t answered = device.transmitted();
    if (!stack->inject(eth, pico::Bytes{arp_request.data(), arp_request.size()})) return 3;
#if PICO_WITH_PCAP
    pico::PcapReader reader(pico::Bytes{capture.data(), capture.size()});
    while (auto record = reader.next())
        stack->inject(eth, record->frame);
#endif
    for (int i = 0; i < 8; ++i)
        stack->poll();
    if constexpr (pico::config::arp) return device.transmitted() > answered ? 0 : 4;
    return 0;
}
