// Start-up code for the Cortex-M4 test image (no newlib crt0: the image links with -nostartfiles).
//
// Reset_Handler copies .data from flash to RAM, zeroes .bss, enables the FPU (the image is built for the
// hard-float ABI), runs the static constructors from .preinit_array/.init_array and calls main(). Every other
// exception parks the core in a loop where a debugger can find it.
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
using InitFunction = void (*)();
extern InitFunction __preinit_array_start[];
extern InitFunction __preinit_array_end[];
extern InitFunction __init_array_start[];
extern InitFunction __init_array_end[];

int main();

// Where main's return value ends up, for a debugger (and, later, a semihosting exit under QEMU).
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

// Cortex-M exception vectors: initial stack pointer, then the 15 system exceptions. The board's interrupt
// lines are not used by this image and are left out (they would follow SysTick).
struct VectorTable {
    std::uint32_t* initial_stack;
    Vector handlers[15];
};

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
};

extern "C" void Default_Handler() noexcept {
    for (;;) {
        asm volatile("wfi");
    }
}

extern "C" void Reset_Handler() {
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
    for (;;) {
        asm volatile("wfi");
    }
}
