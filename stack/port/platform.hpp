// The platform hooks a port provides to a Stack: time, randomness, a log sink, critical sections for drivers
// that deliver frames from interrupts, and the memory the pools live in.
//
// Everything the stack does that depends on the outside world comes through here, so a virtual platform
// (port/virtual_platform.hpp) makes every run deterministic and every fuzz crash replay exactly. A port is
// one header and one source in stack/port/ (posix: hosted programs; cortex_m: bare metal):
//   1. time:               Platform::now_ms(), monotonic milliseconds;
//   2. randomness:         Platform::random_bytes(), RFC 6528-quality on a product (a TRNG or the OS);
//   3. log sink:           Platform::log(), where the stack's rare log lines go (stderr, semihosting, a
//   UART);
//   4. critical sections:  a CriticalSection class (RAII) in the port's header. The stack itself never runs
//   in
//                          two contexts at once (run to completion, one task); a driver whose interrupt
//                          handler fills a receive queue that Device::receive() drains from Stack::poll
//                          guards the queue with it (the POSIX port masks signals, the Cortex-M port masks
//                          interrupts);
//   5. memory for pools:   a Stack holds all its pools inline (frames, timers, sockets, TCP rings; the sizes
//   are
//                          in config.hpp), so the port decides where that memory is by deciding where the
//                          Stack object lives: StaticInstance below gives it static storage with no heap and
//                          no constructor that runs before main.
#pragma once
#include "core/bytes.hpp"
#include "core/types.hpp"
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

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

// Static storage for one object constructed later, in place: the way a firmware keeps its Stack (and so every
// pool) in .bss, or in a RAM bank chosen with a section attribute on the StaticInstance variable. construct()
// is called once; the object is never destroyed (it lives as long as the firmware).
template <class T> class StaticInstance {
  public:
    template <class... Args> T& construct(Args&&... args) {
        return *::new (static_cast<void*>(storage_)) T(std::forward<Args>(args)...);
    }
    T& get() { return *std::launder(reinterpret_cast<T*>(storage_)); }
    static constexpr std::size_t size() { return sizeof(T); }

  private:
    alignas(T) std::byte storage_[sizeof(T)];
};

} // namespace pico
