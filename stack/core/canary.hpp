// Fuzz canaries: bugs from picoTCP's history re-introduced on purpose, compiled only into the canary fuzz
// build (cmake --preset fuzz-canary: PICO_FUZZ_CANARIES=ON). CMake refuses that option in any build that is
// not a fuzz-only build and defines the macro PICO_FUZZ_CANARIES only there, so in every other build this
// header is empty and no canary code exists (ctest fuzz_no_canary_code checks the binaries).
//
// fuzz/canaries runs each target that can reach a canary from its committed seeds, with a fixed budget of
// executions, and fails unless every canary is found: the fuzz targets demonstrably reach the bug classes
// that hit picoTCP (fuzz/README.md, "Canaries").
//
// A canary is one block at the place of the original bug, in the function that had it:
//
//   #if PICO_FUZZ_CANARIES
//       // CVE-2020-24337 (picoTCP tcp_parse_options): ...
//       if (length == 0 && canary::armed("tcp-option-zero-length")) canary::hang("tcp-option-zero-length");
//   #endif
//
// plus one row in the table of fuzz/canaries (id, targets, the function the finding's stack must name,
// budget). A canary behaves as the bug did, made observable: a loop hangs (libFuzzer reports a timeout whose
// stack names the looping function), a read or write out of bounds of the packet traps where it would have
// happened (the packet lives in a pool frame, where ASan would not see it). Either way the line
// "pico-fuzz canary tripped: <id>" goes to stderr first.
//
// Every canary is armed unless the environment variable PICO_FUZZ_CANARY lists some (comma-separated ids, or
// "all"): fuzz/canaries arms one at a time, so a canary that is easy to hit does not hide another in the
// same target.
#pragma once

#if PICO_FUZZ_CANARIES
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pico::canary {

// Whether the canary `id` is armed (see the file comment). Reads the environment each time: no state.
inline bool armed(const char* id) {
    const char* list = std::getenv("PICO_FUZZ_CANARY");
    if (list == nullptr || *list == '\0' || std::strcmp(list, "all") == 0) return true;
    const std::size_t n = std::strlen(id);
    for (const char* p = list; *p != '\0';) {
        const char* end = std::strchr(p, ',');
        const std::size_t len = end == nullptr ? std::strlen(p) : static_cast<std::size_t>(end - p);
        if (len == n && std::strncmp(p, id, n) == 0) return true;
        if (end == nullptr) break;
        p = end + 1;
    }
    return false;
}

// The bug corrupted memory or read out of bounds here: report and trap (a crash for every engine).
[[noreturn, gnu::noinline, gnu::cold]] inline void crash(const char* id) {
    std::fprintf(stderr, "pico-fuzz canary tripped: %s (out of bounds)\n", id);
    std::fflush(stderr);
    __builtin_trap();
}

// The bug looped forever here: report, then spin (an asm barrier keeps the endless loop well defined), so
// the engine's timeout catches it with this frame on the stack.
[[noreturn, gnu::noinline, gnu::cold]] inline void hang(const char* id) {
    std::fprintf(stderr, "pico-fuzz canary tripped: %s (endless loop)\n", id);
    std::fflush(stderr);
    for (;;)
        asm volatile("" ::: "memory");
}

} // namespace pico::canary
#endif
