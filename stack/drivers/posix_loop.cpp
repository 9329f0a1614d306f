#include "drivers/posix_loop.hpp"
#include <atomic>
#include <csignal>
#include <poll.h>

namespace pico {

namespace {
// The one piece of process-wide state: a signal handler can reach nothing else. It belongs to the program,
// not to a Stack (drivers are hosted program support, outside the stack's no-globals rule).
volatile std::sig_atomic_t stop_flag = 0;

extern "C" void on_stop_signal(int) {
    stop_flag = 1;
}
} // namespace

bool PosixLoop::watch(int fd) {
    if (fd < 0 || fd_count_ == fds_.size()) return false;
    fds_[fd_count_++] = fd;
    return true;
}

void PosixLoop::stop_on_signals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool PosixLoop::stop_requested() {
    return stop_flag != 0;
}
void PosixLoop::request_stop() {
    stop_flag = 1;
}

bool PosixLoop::run_once() {
    if (stop_flag) return false;
    std::array<pollfd, 8> waiting{};
    for (std::size_t i = 0; i < fd_count_; ++i)
        waiting[i] = pollfd{fds_[i], POLLIN, 0};
    ::poll(waiting.data(), fd_count_, tick_ms_); // EINTR (a signal) just ends the wait
    // Drain: a burst of frames is taken in rounds of the poll budget; timers run in every round.
    for (int round = 0; round < 16 && stack_.poll() != 0; ++round) {
    }
    return stop_flag == 0;
}

} // namespace pico
