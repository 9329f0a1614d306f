// The POSIX port (hosted programs: the examples, the bindings' real-time users, the interop tests):
// CLOCK_MONOTONIC for time, getrandom(2) for randomness (RFC 6528 quality ISNs and ports), log lines to
// stderr at or above a chosen level, and signal masking as the critical section (a signal handler is a hosted
// program's interrupt). Pools: wherever the program puts its Stack (an automatic, static or heap object).
// Hosted only (libpicotcp_posix).
#pragma once
#include "port/platform.hpp"
#include <signal.h>

namespace pico {

class PosixPlatform final : public Platform {
  public:
    explicit PosixPlatform(LogLevel threshold = LogLevel::Warning) : threshold_(threshold) {}
    TimeMs now_ms() override;
    void random_bytes(MutBytes out) override;
    void log(LogLevel level, const char* text) override;

  private:
    LogLevel threshold_;
};

// Blocks every signal of the calling thread while it lives, so that state a signal handler shares with the
// main loop (a queue it fills, a flag it sets) is read and written whole. Not a lock between threads: the
// stack runs in one thread.
class PosixCriticalSection {
  public:
    PosixCriticalSection();
    ~PosixCriticalSection();
    PosixCriticalSection(const PosixCriticalSection&) = delete;
    PosixCriticalSection& operator=(const PosixCriticalSection&) = delete;

  private:
    sigset_t saved_;
};

} // namespace pico
