// picotcp-m4-net: the stack as Cortex-M4 firmware on a network. QEMU's mps2-an386 board with its LAN9118
// Ethernet controller on a host TAP device:
//
//   qemu-system-arm -M mps2-an386 -nographic -semihosting -monitor none -serial none
//     -kernel build/firmware/net/picotcp-m4-net.elf
//     -nic tap,ifname=tap0,script=no,downscript=no,model=lan9118,mac=02:00:00:00:00:02
//
// Address 198.18.0.2/24 (no gateway). The stack answers ICMP echo (ping); UDP port 7 echoes every datagram
// to its sender; TCP port 7 echoes every byte until the peer closes, for sequential (and a few concurrent)
// connections. The MAC address is the controller's (its EEPROM: QEMU's mac= option). Console lines, among
// them "picotcp-m4-net ready: ..." once the address is configured, go out over semihosting, and so do the
// driver's counters after each TCP connection and whenever its drop count changes. Time is SysTick at 1 kHz
// (CortexMPlatform). The main loop polls the stack and the servers while there is work and sleeps with wfi
// when a round found nothing to do, until the next SysTick or the LAN9118's receive interrupt (IRQ 13). The
// image never exits by itself.
#include "assembly/stack.hpp"
#include "core/config.hpp"
#include "core/types.hpp"
#include "drivers/lan9118.hpp"
#include "net/ipv4.hpp"
#include "port/cortex_m.hpp"
#include "port/platform.hpp"
#include "semihosting.hpp"
#include "socket/socket.hpp"
#include "startup.hpp"
#include <array>
#include <cstddef>
#include <cstdint>

namespace {

constexpr std::uint32_t core_clock_hz = 25'000'000; // mps2-an386: SYSCLK 25 MHz
constexpr std::uint16_t echo_port = 7;
constexpr std::uint8_t prefix_len = 24;
constexpr pico::TimeMs drop_report_interval_ms = 1000;
// NVIC interrupt set-enable register for IRQs 0-31 (ARMv7-M B3.4).
volatile std::uint32_t* const nvic_iser0 = reinterpret_cast<volatile std::uint32_t*>(0xE000E100u);
const pico::Ipv4Addr address = pico::Ipv4Addr::from_octets(198, 18, 0, 2);

// A TCP echo connection: bytes read and not yet written back. Reading stops while the buffer holds bytes, so
// a peer that sends faster than it reads is held back by our receive window (no byte is ever dropped).
struct EchoConnection {
    bool open = false; // (all members zero-initialised: the array lives in .bss, not in .data)
    pico::SocketHandle handle = 0;
    std::array<std::uint8_t, 2048> buffer{};
    std::size_t begin = 0;
    std::size_t end = 0;
    bool eof = false;
    std::uint64_t echoed = 0;
    std::uint32_t number = 0;
};

// Everything the firmware keeps, in static storage: the platform (SysTick lives in it), the stack with all
// its pools, the NIC and the servers' state. Constructed in main(), never destroyed.
pico::CortexMPlatform platform;
pico::StaticInstance<pico::Stack> stack_storage;
pico::StaticInstance<pico::Lan9118Device> nic_storage;
std::array<EchoConnection, pico::config::tcp_sockets - 1> connections;
std::array<std::uint8_t, 1536> datagram;
std::uint32_t connections_accepted = 0;

void print_mac(pico_m4::Line& line, const pico::MacAddr& mac) {
    const char* digits = "0123456789abcdef";
    char text[18];
    for (std::size_t i = 0; i < 6; ++i) {
        text[3 * i] = digits[mac.octets[i] >> 4];
        text[3 * i + 1] = digits[mac.octets[i] & 0xf];
        text[3 * i + 2] = i == 5 ? '\0' : ':';
    }
    line << text;
}

void print_counters(const char* what, const pico::Lan9118Device& nic) {
    pico_m4::Line line;
    const auto& c = nic.counters();
    line << what << ": lan9118 rx " << c.rx << " tx " << c.tx << " drops " << c.total_drops();
    for (std::size_t i = 0; i < pico::drop_reason_count; ++i)
        if (c.drop[i] != 0) line << " " << pico::drop_name(static_cast<pico::Drop>(i)) << "=" << c.drop[i];
    line << "; frame pool high-water " << std::uint32_t{stack_storage.get().frame_stats().high_water}
         << " of " << std::uint32_t{stack_storage.get().frame_stats().capacity};
    line.print();
    line << what << ": stack high-water: " << std::uint32_t(pico_m4_stack_high_water()) << " of "
         << std::uint32_t(pico_m4_stack_size()) << " B";
    line.print();
}

// Echoes what every UDP datagram carried back to its sender. Returns true if there was one.
bool serve_udp(pico::Stack& stack, pico::SocketHandle udp) {
    bool busy = false;
    for (;;) {
        pico::udp::RecvInfo info;
        auto err =
            pico::socket::recv_from(stack, udp, pico::MutBytes{datagram.data(), datagram.size()}, info);
        if (err != pico::SocketError::Ok) return busy;
        busy = true;
        pico::socket::send_to(stack, udp, pico::Bytes{datagram.data(), info.copied}, info.source,
                              info.source_port);
    }
}

void finish(pico::Stack& stack, EchoConnection& c, bool failed) {
    if (failed)
        pico::socket::abort(stack, c.handle);
    else
        pico::socket::tcp_close(stack, c.handle);
    pico_m4::Line line;
    line << "tcp echo: connection " << c.number << (failed ? " failed" : " closed") << ", " << c.echoed
         << " bytes echoed";
    line.print();
    c.open = false;
}

// One round of the TCP echo server: accept what completed its handshake (while a slot is free), then move
// bytes from each connection's receive buffer to its send buffer. Returns true if anything happened.
bool serve_tcp(pico::Stack& stack, pico::SocketHandle listener) {
    bool busy = false;
    for (auto& c : connections) {
        if (c.open) continue;
        pico::SocketHandle h = pico::socket::accept(stack, listener, nullptr, nullptr);
        if (h < 0) break;
        c = EchoConnection{};
        c.open = true;
        c.handle = h;
        c.number = ++connections_accepted;
        busy = true;
    }
    for (auto& c : connections) {
        if (!c.open) continue;
        bool failed = false;
        for (int round = 0; round < 8 && !failed; ++round) { // bounded: other connections get their turn
            if (c.begin == c.end && !c.eof) {
                std::size_t n = 0;
                bool eof = false;
                auto err = pico::socket::read(stack, c.handle,
                                              pico::MutBytes{c.buffer.data(), c.buffer.size()}, n, eof);
                if (err != pico::SocketError::Ok && err != pico::SocketError::WouldBlock) failed = true;
                if (err != pico::SocketError::Ok) break;
                c.begin = 0;
                c.end = n;
                c.eof = eof;
                busy = busy || n > 0 || eof;
            }
            if (c.begin == c.end) break;
            std::size_t written = 0;
            auto err = pico::socket::write(stack, c.handle,
                                           pico::Bytes{c.buffer.data() + c.begin, c.end - c.begin}, written);
            if (err != pico::SocketError::Ok && err != pico::SocketError::WouldBlock) failed = true;
            if (err != pico::SocketError::Ok || written == 0) break;
            c.begin += written;
            c.echoed += written;
            busy = true;
        }
        if (failed || (c.eof && c.begin == c.end)) {
            finish(stack, c, failed);
            busy = true;
        }
    }
    return busy;
}

[[noreturn]] void halt(const char* why) {
    pico_m4::Line line;
    line << "picotcp-m4-net: " << why;
    line.print();
    pico_m4::exit(1);
}

} // namespace

extern "C" void SysTick_Handler() {
    platform.on_tick();
}

// The LAN9118's line: a frame arrived. The handler only masks the source; the main loop, woken from wfi,
// receives the frame through Stack::poll.
extern "C" void ETHERNET_IRQHandler() {
    nic_storage.get().acknowledge_interrupt();
}

int main() {
    platform.seed(0x9e3779b97f4a7c15ull); // no TRNG on this board: see CortexMPlatform::seed
    platform.set_log_sink(pico_m4::log_sink);
    if (!platform.start(core_clock_hz)) halt("SysTick does not take the core clock");

    pico::Stack& stack = stack_storage.construct(platform);
    pico::Lan9118Device& nic = nic_storage.construct(pico::Lan9118Device::mps2_base, stack.frame_pool());
    if (!nic.start()) halt("no LAN9118 at 0x40200000 (QEMU: -nic ...,model=lan9118)");
    pico::IfIndex ifindex = stack.attach(nic);
    if (ifindex == pico::no_interface) halt("cannot attach the NIC");
    if (!pico::ipv4::add_address(stack, ifindex, address, prefix_len)) halt("cannot add the address");

    pico::SocketHandle udp = pico::socket::open_udp(stack, nullptr, nullptr);
    if (udp < 0 ||
        pico::socket::bind(stack, udp, pico::IpAddr{pico::Ipv4Addr{}}, echo_port) != pico::SocketError::Ok)
        halt("cannot bind UDP port 7");
    pico::SocketHandle listener = pico::socket::open_tcp(stack, nullptr, nullptr);
    if (listener < 0 ||
        pico::socket::tcp_bind(stack, listener, pico::IpAddr{pico::Ipv4Addr{}}, echo_port) !=
            pico::SocketError::Ok ||
        pico::socket::listen(stack, listener, 4) != pico::SocketError::Ok)
        halt("cannot listen on TCP port 7");

    {
        pico_m4::Line line;
        line << "picotcp-m4-net: LAN9118 id ";
        line.hex(nic.chip_id());
        line << ", link " << (nic.link_up() ? "up" : "down") << ", mac ";
        print_mac(line, nic.mac());
        line.print();
        line << "picotcp-m4-net: Stack " << std::uint32_t(sizeof(pico::Stack)) << " bytes (frames "
             << std::uint32_t(pico::config::frame_count) << " x " << std::uint32_t(pico::config::frame_size)
             << ", TCP sockets " << std::uint32_t(pico::config::tcp_sockets) << " with "
             << std::uint32_t(pico::config::tcp_send_buffer) << "/"
             << std::uint32_t(pico::config::tcp_recv_buffer) << " byte send/receive buffers, UDP sockets "
             << std::uint32_t(pico::config::udp_sockets) << ")";
        line.print();
        line << "picotcp-m4-net ready: 198.18.0.2/24 port " << unsigned{echo_port};
        line.print();
    }

    nic.enable_interrupts();
    *nvic_iser0 = 1u << pico::Lan9118Device::mps2_irq;

    std::uint32_t closed_before = 0;
    std::uint32_t drops_before = 0;
    pico::TimeMs next_drop_report = platform.now_ms() + drop_report_interval_ms;
    for (;;) {
        bool busy = stack.poll() > 0;
        busy = serve_udp(stack, udp) || busy;
        busy = serve_tcp(stack, listener) || busy;
        if (connections_accepted != closed_before) {
            // Report the driver's counters when the connections accepted so far have all closed.
            bool open = false;
            for (const auto& c : connections)
                open = open || c.open;
            if (!open && !busy) {
                closed_before = connections_accepted;
                print_counters("picotcp-m4-net", nic);
            }
        }
        if (platform.now_ms() >= next_drop_report) {
            next_drop_report = platform.now_ms() + drop_report_interval_ms;
            if (nic.counters().total_drops() != drops_before) {
                drops_before = nic.counters().total_drops();
                print_counters("picotcp-m4-net: drops changed", nic);
            }
        }
        if (busy) continue;
        // Nothing to do: sleep until the next interrupt (SysTick every 1 ms, or the NIC's), unless a frame
        // came in meanwhile. wfi wakes on a pending interrupt even with PRIMASK set, so the re-arm, the check
        // and the sleep do not race with the handler.
        pico::CortexMCriticalSection masked;
        nic.arm_interrupt();
        if (!nic.rx_pending()) asm volatile("wfi");
    }
}
