// The Cortex-M port (bare metal, ARMv7-M: Cortex-M3/M4/M7): SysTick at 1 kHz as the clock, a seeded generator
// as the random source (the board has no TRNG: see CortexMPlatform::seed), a log sink function the firmware
// sets (semihosting, a UART), and PRIMASK as the critical section. Pools: wherever the firmware puts its
// Stack (StaticInstance<Stack> in .bss, port/platform.hpp). No heap, no globals: the SysTick count lives in
// the CortexMPlatform object, and the firmware's SysTick_Handler calls its on_tick():
//
//     pico::CortexMPlatform platform;                        // a static object of the firmware
//     extern "C" void SysTick_Handler() { platform.on_tick(); }
//     int main() {
//         platform.seed(board_unique_id());                  // a product: a TRNG (see seed)
//         platform.set_log_sink(uart_log);
//         platform.start(25'000'000);                        // core clock in Hz: SysTick fires every 1 ms
//         ...
//     }
//
// Freestanding: compiled only by cross builds (PICO_FREESTANDING on an ARM target: library picotcp_cortex_m).
#pragma once
#include "port/platform.hpp"
#include <cstdint>

#if !defined(__ARM_ARCH) || !defined(__thumb__)
#error "port/cortex_m.hpp is the bare-metal Cortex-M port: build it with arm-none-eabi-g++ -mthumb"
#endif

namespace pico {

// Masks every maskable interrupt while it lives (PRIMASK), and restores the previous PRIMASK: nests, and is
// safe inside an interrupt handler. Guards what a driver's interrupt handler shares with the main loop (a
// receive queue filled by the ISR and drained by Device::receive() from Stack::poll), and the 64-bit tick
// count, which the core cannot read in one access.
class CortexMCriticalSection {
  public:
    CortexMCriticalSection() {
        asm volatile("mrs %0, primask" : "=r"(saved_)::"memory");
        asm volatile("cpsid i" ::: "memory");
    }
    ~CortexMCriticalSection() { asm volatile("msr primask, %0" ::"r"(saved_) : "memory"); }
    CortexMCriticalSection(const CortexMCriticalSection&) = delete;
    CortexMCriticalSection& operator=(const CortexMCriticalSection&) = delete;

  private:
    std::uint32_t saved_ = 0;
};

class CortexMPlatform final : public Platform {
  public:
    using LogSink = void (*)(LogLevel level, const char* text);

    CortexMPlatform() = default;
    CortexMPlatform(const CortexMPlatform&) = delete;
    CortexMPlatform& operator=(const CortexMPlatform&) = delete;

    // Programs SysTick (the core's 24-bit down-counter, clocked by the processor clock) to interrupt every
    // millisecond and starts it. False if the clock does not give a reload value in 1..2^24 (nothing
    // changed).
    bool start(std::uint32_t core_clock_hz);
    // Stops SysTick; the count keeps its value.
    void stop();
    // Called by the firmware's SysTick_Handler once per millisecond.
    void on_tick() { ticks_ = ticks_ + 1; }

    // Milliseconds since start(): a 64-bit count that does not wrap in the life of the product.
    TimeMs now_ms() override;

    // ---------------------------------------------------------------------------------------------------
    // RANDOMNESS: THIS BOARD HAS NO TRUE RANDOM NUMBER GENERATOR. random_bytes() runs a 64-bit generator
    // (splitmix64) from the seed given here. That is fine for an emulated board and for tests, and NOT
    // RFC 6528-quality: anyone who knows or guesses the seed predicts every TCP initial sequence number and
    // ephemeral port. A product port replaces this with its TRNG (STM32 RNG, nRF RNG, i.MX TRNG, an
    // entropy-seeded DRBG...) in random_bytes(), or at the very least seeds it from one at every boot.
    // ---------------------------------------------------------------------------------------------------
    void seed(std::uint64_t seed) { state_ = seed; }
    void random_bytes(MutBytes out) override;

    // Where log lines go (nullptr: nowhere), and the lowest level passed on.
    void set_log_sink(LogSink sink, LogLevel threshold = LogLevel::Info) {
        sink_ = sink;
        threshold_ = threshold;
    }
    void log(LogLevel level, const char* text) override;

  private:
    volatile TimeMs ticks_ = 0; // written by the SysTick handler, read under a critical section
    std::uint64_t state_ = 0;
    LogSink sink_ = nullptr;
    LogLevel threshold_ = LogLevel::Info;
};

} // namespace pico
