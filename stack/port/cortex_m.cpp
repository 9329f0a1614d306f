#include "port/cortex_m.hpp"

namespace pico {

namespace {

// SysTick (ARMv7-M Architecture Reference Manual B3.3): control and status, reload value, current value.
constexpr std::uintptr_t syst_csr = 0xE000E010u;
constexpr std::uintptr_t syst_rvr = 0xE000E014u;
constexpr std::uintptr_t syst_cvr = 0xE000E018u;
constexpr std::uint32_t csr_enable = 1u << 0;
constexpr std::uint32_t csr_tickint = 1u << 1;
constexpr std::uint32_t csr_clksource_core = 1u << 2;

volatile std::uint32_t& reg(std::uintptr_t address) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a memory-mapped register is an integer address by definition
    return *reinterpret_cast<volatile std::uint32_t*>(address);
}

} // namespace

bool CortexMPlatform::start(std::uint32_t core_clock_hz) {
    const std::uint32_t cycles_per_ms = core_clock_hz / 1000u;
    if (cycles_per_ms == 0 || cycles_per_ms > (1u << 24)) return false;
    reg(syst_csr) = 0;
    reg(syst_rvr) = cycles_per_ms - 1;
    reg(syst_cvr) = 0; // any write clears the counter: the first period is a whole one
    reg(syst_csr) = csr_clksource_core | csr_tickint | csr_enable;
    return true;
}

void CortexMPlatform::stop() {
    reg(syst_csr) = 0;
}

TimeMs CortexMPlatform::now_ms() {
    CortexMCriticalSection guard; // two 32-bit loads: the tick must not land between them
    return ticks_;
}

void CortexMPlatform::random_bytes(MutBytes out) {
    // splitmix64 (Steele, Lea, Flood 2014): every seed, zero included, gives a full-period sequence.
    std::size_t i = 0;
    while (i < out.size()) {
        state_ += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = state_;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        for (int b = 0; b < 8 && i < out.size(); ++b, ++i)
            out[i] = static_cast<std::uint8_t>(z >> (8 * b));
    }
}

void CortexMPlatform::log(LogLevel level, const char* text) {
    if (sink_ != nullptr && level >= threshold_) sink_(level, text);
}

} // namespace pico
