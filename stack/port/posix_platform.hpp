// The platform of a hosted POSIX program: CLOCK_MONOTONIC for time, getrandom(2) for randomness (RFC 6528
// quality ISNs and ports), log lines to stderr at or above a chosen level. Hosted only (libpicotcp_posix).
#pragma once
#include "port/platform.hpp"

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

} // namespace pico
