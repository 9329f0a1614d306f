// A small event loop for hosted programs: waits until a device has a frame, a stop signal arrived, or a
// timer may be due (at most `tick_ms` later), then polls the stack. Hosted only (libpicotcp_posix).
//
//   PosixPlatform platform; auto stack = std::make_unique<Stack>(platform);
//   TapDevice tap(stack->frame_pool(), "tap0", mac); stack->attach(tap);
//   PosixLoop loop(*stack); loop.watch(tap.fd()); PosixLoop::stop_on_signals();
//   while (loop.run_once()) { ... application work ... }
#pragma once
#include "assembly/stack.hpp"
#include <array>
#include <cstddef>

namespace pico {

class PosixLoop {
  public:
    explicit PosixLoop(Stack& stack, int tick_ms = 10) : stack_(stack), tick_ms_(tick_ms) {}

    // Adds a file descriptor to wait on (a device's fd). False when the table (8) is full.
    bool watch(int fd);
    // SIGINT and SIGTERM end the loop: run_once() returns false after the signal.
    static void stop_on_signals();
    static bool stop_requested();
    static void request_stop();

    // One round: wait (at most tick_ms), poll the stack until no device has a frame left. False once a stop
    // was requested.
    bool run_once();
    // Rounds until a stop is requested.
    void run() {
        while (run_once()) {
        }
    }

  private:
    Stack& stack_;
    int tick_ms_;
    std::array<int, 8> fds_{};
    std::size_t fd_count_ = 0;
};

} // namespace pico
