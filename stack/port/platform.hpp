// The platform hooks a port provides to a Stack: time, randomness and a log sink.
//
// Everything the stack does that depends on the outside world comes through here, so a virtual platform
// (port/virtual_platform.hpp) makes every run deterministic and every fuzz crash replay exactly.
#pragma once
#include "core/bytes.hpp"
#include "core/types.hpp"
#include <cstdint>

namespace pico {

enum class LogLevel : std::uint8_t { Debug, Info, Warning, Error };

class Platform {
  public:
    // Monotonic milliseconds.
    virtual TimeMs now_ms() = 0;
    // Unpredictable bytes for ISNs, ephemeral ports and identifiers (RFC 6528 quality on a real port).
    virtual void random_bytes(MutBytes out) = 0;
    virtual void log(LogLevel level, const char* text) {
        (void)level;
        (void)text;
    }
    std::uint32_t random_u32() {
        std::uint8_t b[4];
        random_bytes(MutBytes{b, 4});
        return load_be32(b);
    }

  protected:
    Platform() = default;
    ~Platform() = default;
    Platform(const Platform&) = default;
    Platform& operator=(const Platform&) = default;
};

} // namespace pico
