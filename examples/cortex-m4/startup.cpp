// Start-up code for the Cortex-M4 images (no newlib crt0: the images link with -nostartfiles).
//
// Reset_Handler paints the main stack with a pattern (startup.hpp: the high-water mark), copies .data from
// flash to RAM, zeroes .bss, enables the FPU (the images are built for the hard-float ABI), runs the static
// constructors from .preinit_array/.init_array, calls main() and ends the emulation with main's return value
// as the semihosting exit code. SysTick_Handler and the Ethernet interrupt (IRQ 13 on mps2-an386) are weak:
// an image defines them (SysTick_Handler calls its pico::CortexMPlatform's on_tick()). Any other exception
// prints its number over semihosting and exits with code 128 + the exception number.
#include "startup.hpp"
#include "semihosting.hpp"
#include <cstddef>
#include <cstdint>

extern "C" {
// Symbols from mps2-an386.ld.
extern std::uint32_t __data_start[];
extern std::uint32_t __data_end[];
extern const std::uint32_t __data_load[];
extern std::uint32_t __bss_start[];
extern std::uint32_t __bss_end[];
extern std::uint32_t __stack_top[];
extern std::uint32_t __stack_limit[];
using InitFunction = void (*)();
extern InitFunction __preinit_array_start[];
extern InitFunction __preinit_array_end[];
extern InitFunction __init_array_start[];
extern InitFunction __init_array_end[];

int main();

// Where main's return value ends up, for a debugger (and the semihosting exit code).
// (The weak handlers above are declared noreturn like their alias target; an image's own SysTick_Handler or
// ETHERNET_IRQHandler definition returns as usual.)
volatile int pico_exit_code = -1;

[[noreturn]] void Reset_Handler();
[[noreturn]] void Default_Handler() noexcept;
[[noreturn]] void NMI_Handler() noexcept __attribute__((weak, alias("Default_Handler")));
[[noreturn]] void HardFault_Handler() noexcept __attribute__((weak, alias("Default_Handler")));
[[noreturn]] void MemManage_Handler() noexcept __attribute__((weak, alias("Default_Handler")));
[[noreturn]] void BusFault_Handler() noexcept __attribute__((weak, alias("Default_Handler")));
[[noreturn]] void UsageFault_Handler() noexcept __attribute__((weak, alias("Default_Handler")));
[[noreturn]] void SVC_Handler() noexcept __attribute__((weak, alias("Default_Handler")));
[[noreturn]] void DebugMon_Handler() noexcept __attribute__((weak, alias("Default_Handler")));
[[noreturn]] void PendSV_Handler() noexcept __attribute__((weak, alias("Default_Handler")));
[[noreturn]] void SysTick_Handler() noexcept __attribute__((weak, alias("Default_Handler")));
[[noreturn]] void ETHERNET_IRQHandler() noexcept __attribute__((weak, alias("Default_Handler")));

// newlib's __libc_init_array/__libc_fini_array call these when something pulls them in; crt0 is not linked.
void _init() {}
void _fini() {}

// A pure virtual call is a bug; trap here instead of pulling libsupc++'s version, which reaches
// std::terminate.
[[noreturn]] void __cxa_pure_virtual() {
    Default_Handler();
}
}

namespace {

using Vector = void (*)();

// Cortex-M exception vectors: initial stack pointer, the 15 system exceptions, then the board's interrupt
// lines 0..31 (mps2-an386: UARTs, timers, GPIO; 13 is the LAN9118 Ethernet controller).
constexpr unsigned ethernet_irq = 13;
struct VectorTable {
    std::uint32_t* initial_stack;
    Vector handlers[15];
    Vector irqs[32];
};

// The pattern painted over the stack at reset.
constexpr std::uint32_t stack_paint = 0xC0DEC0DEu;

} // namespace

extern "C" __attribute__((section(".isr_vector"), used)) const VectorTable pico_vector_table = {
    __stack_top,
    {
        Reset_Handler,
        NMI_Handler,
        HardFault_Handler,
        MemManage_Handler,
        BusFault_Handler,
        UsageFault_Handler,
        nullptr,
        nullptr,
        nullptr,
        nullptr,
        SVC_Handler,
        DebugMon_Handler,
        nullptr,
        PendSV_Handler,
        SysTick_Handler,
    },
    {
        Default_Handler, Default_Handler, Default_Handler, Default_Handler,     Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, Default_Handler,     Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, ETHERNET_IRQHandler, Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, Default_Handler,     Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, Default_Handler,     Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, Default_Handler,     Default_Handler,
        Default_Handler, Default_Handler,
    },
};
static_assert(ethernet_irq == 13, "mps2-an386 routes the LAN9118 to IRQ 13");

extern "C" std::size_t pico_m4_stack_size() {
    return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(__stack_top) -
                                    reinterpret_cast<std::uintptr_t>(__stack_limit));
}

extern "C" std::size_t pico_m4_stack_high_water() {
    const volatile std::uint32_t* p = __stack_limit;
    while (p < __stack_top && *p == stack_paint)
        ++p;
    return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(__stack_top) -
                                    reinterpret_cast<std::uintptr_t>(p));
}

extern "C" void Default_Handler() noexcept {
    std::uint32_t ipsr;
    asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    const unsigned exception = ipsr & 0x1ffu;
    // "unhandled exception NNN\n" without the Line formatter (semihosting.cpp): start-up code stands alone.
    char text[] = "unhandled exception 000 (3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault)\n";
    text[20] = static_cast<char>('0' + exception / 100);
    text[21] = static_cast<char>('0' + exception / 10 % 10);
    text[22] = static_cast<char>('0' + exception % 10);
    pico_m4::write0(text);
    pico_m4::exit(128 + static_cast<int>(exception));
}

extern "C" void Reset_Handler() {
    // Paint the stack below the current stack pointer (Reset_Handler's own frame is above it).
    std::uint32_t* sp;
    asm volatile("mov %0, sp" : "=r"(sp));
    for (volatile std::uint32_t* p = __stack_limit; p < sp - 4; ++p) {
        *p = stack_paint;
    }

    // The loops touch memory word by word through volatile pointers so the compiler does not turn them into
    // memcpy/memset calls before .data and .bss exist.
    volatile std::uint32_t* dst = __data_start;
    const volatile std::uint32_t* src = __data_load;
    while (dst < __data_end) {
        *dst++ = *src++;
    }
    for (volatile std::uint32_t* p = __bss_start; p < __bss_end; ++p) {
        *p = 0;
    }

    // CPACR: full access to coprocessors 10 and 11 (the FPU), then synchronise before any FP instruction.
    volatile std::uint32_t* const cpacr = reinterpret_cast<volatile std::uint32_t*>(0xE000ED88u);
    *cpacr = *cpacr | (0xFu << 20);
    asm volatile("dsb\n\tisb" ::: "memory");

    for (InitFunction* f = __preinit_array_start; f < __preinit_array_end; ++f) {
        (*f)();
    }
    for (InitFunction* f = __init_array_start; f < __init_array_end; ++f) {
        (*f)();
    }

    pico_exit_code = main();
    pico_m4::exit(pico_exit_code);
}
