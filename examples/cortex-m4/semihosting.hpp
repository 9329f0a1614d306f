// ARM semihosting for the firmware images (console lines, exit code), as QEMU implements it with
// -semihosting: the core executes `bkpt 0xab` with the operation in r0 and a pointer to its argument block in
// r1 (ARM "Semihosting for AArch32 and AArch64", version 2). Without a debugger or QEMU attached, bkpt
// faults: a product image logs to a UART instead.
#pragma once
#include "port/platform.hpp"
#include <cstddef>
#include <cstdint>

namespace pico_m4 {

namespace semihosting_op {
inline constexpr std::uint32_t write0 = 0x04;              // SYS_WRITE0: r1 = a NUL-terminated string
inline constexpr std::uint32_t exit_extended = 0x20;       // SYS_EXIT_EXTENDED: r1 = {reason, exit code}
inline constexpr std::uint32_t application_exit = 0x20026; // ADP_Stopped_ApplicationExit
} // namespace semihosting_op

inline std::uint32_t semihosting_call(std::uint32_t operation, const void* argument) {
    std::uint32_t result;
    asm volatile("mov r0, %1\n\t"
                 "mov r1, %2\n\t"
                 "bkpt 0xab\n\t"
                 "mov %0, r0"
                 : "=r"(result)
                 : "r"(operation), "r"(argument)
                 : "r0", "r1", "memory");
    return result;
}

// Ends the emulation with `code` as QEMU's exit status (SYS_EXIT_EXTENDED). This and write0 are header-only
// so that the start-up code needs nothing else (bench/size_image links startup.cpp alone).
[[noreturn]] inline void exit(int code) {
    const std::uint32_t block[2] = {semihosting_op::application_exit, static_cast<std::uint32_t>(code)};
    semihosting_call(semihosting_op::exit_extended, block);
    for (;;) { // not reached under QEMU
        asm volatile("wfi");
    }
}

// Writes a NUL-terminated string to the host's console (QEMU's standard output).
inline void write0(const char* text) {
    semihosting_call(semihosting_op::write0, text);
}

// A console line built without printf (no newlib stdio in the images): text and numbers appended into a fixed
// buffer (silently truncated when full), written with a newline by print().
class Line {
  public:
    Line& operator<<(const char* text);
    Line& operator<<(std::uint64_t value);
    Line& operator<<(std::uint32_t value) { return *this << std::uint64_t{value}; }
    Line& operator<<(int value);
    Line& operator<<(unsigned value) { return *this << std::uint64_t{value}; }
    Line& hex(std::uint32_t value);
    // Writes the line and a newline, then empties it.
    void print();
    const char* c_str() const { return text_; }

  private:
    void put(char c) {
        if (length_ + 1 < sizeof(text_)) text_[length_++] = c;
        text_[length_] = '\0';
    }
    char text_[200] = {};
    std::size_t length_ = 0;
};

// A log sink for pico::CortexMPlatform::set_log_sink: "picotcp <level>: <text>" over semihosting.
void log_sink(pico::LogLevel level, const char* text);

} // namespace pico_m4
