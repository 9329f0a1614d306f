// picotcp-m4-tests: the stack's core unit tests on the target (Cortex-M4, mps2-an386 under QEMU). The tests
// are in this directory (checksum, timers, pools, packet buffers, wire round trips, two stacks end to end);
// this file starts the platform the tests share (SysTick at 1 kHz), runs them, prints the stack's and the
// image's memory figures and returns the number of failed tests, which startup.cpp hands to QEMU as its exit
// status.
#include "board.hpp"
#include "link/arp.hpp"
#include "link/ethernet.hpp"
#include "net/icmp4.hpp"
#include "net/ipv4.hpp"
#include "runner.hpp"
#include "semihosting.hpp"
#include "startup.hpp"
#include "transport/tcp/tcp.hpp"
#include "transport/udp.hpp"

// 25 MHz: the mps2-an386 core clock (QEMU's model clocks SysTick from it).
constexpr std::uint32_t core_clock_hz = 25'000'000;

extern "C" void SysTick_Handler() {
    m4test::platform().on_tick();
}

int main() {
    pico::CortexMPlatform& platform = m4test::platform();
    platform.seed(0x5eed'1234'abcd'0001ull); // no TRNG on this board: a fixed seed (port/cortex_m.hpp)
    platform.set_log_sink(pico_m4::log_sink, pico::LogLevel::Warning);
    if (!platform.start(core_clock_hz)) {
        pico_m4::write0("picotcp-m4-tests: SysTick cannot run at 1 kHz from this clock\n");
        return 100;
    }
    pico_m4::write0("picotcp-m4-tests: the stack's core unit tests on a Cortex-M4 (mps2-an386)\n");
    const int failed = m4test::run_all();
    pico_m4::Line line;
    (line << "sizeof(pico::Stack) = " << sizeof(pico::Stack) << " B (frame pool " << pico::config::frame_count
          << " x " << pico::config::frame_size << " B, " << pico::config::tcp_sockets << " TCP sockets with "
          << pico::config::tcp_send_buffer << " + " << pico::config::tcp_recv_buffer << " B rings)")
        .print();
    // Where the Stack's RAM goes: the pools and each module's state (all inside the one object).
    const std::size_t frames = sizeof(pico::FramePool<pico::config::frame_count, pico::config::frame_size>);
    const std::size_t timers = sizeof(pico::TimerQueue<pico::config::timer_count>);
    const std::size_t parts[] = {frames,
                                 timers,
                                 sizeof(pico::ethernet::State),
                                 sizeof(pico::arp::State),
                                 sizeof(pico::ipv4::State),
                                 sizeof(pico::icmp4::State),
                                 sizeof(pico::udp::State),
                                 sizeof(pico::tcp::State)};
    std::size_t listed = 0;
    for (std::size_t part : parts)
        listed += part;
    (line << "inside pico::Stack: frame pool " << frames << ", timers " << timers << ", ethernet " << parts[2]
          << ", arp " << parts[3] << ", ipv4 " << parts[4] << ", icmp4 " << parts[5] << ", udp " << parts[6]
          << ", tcp " << parts[7] << ", the rest " << (sizeof(pico::Stack) - listed) << " B")
        .print();
    (line << "stack high-water: " << pico_m4_stack_high_water() << " of " << pico_m4_stack_size() << " B")
        .print();
    return failed;
}
