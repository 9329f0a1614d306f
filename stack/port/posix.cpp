#include "port/posix.hpp"
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <pthread.h>
#include <sys/random.h>

namespace pico {

TimeMs PosixPlatform::now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<TimeMs>(ts.tv_sec) * 1000 + static_cast<TimeMs>(ts.tv_nsec / 1'000'000);
}

void PosixPlatform::random_bytes(MutBytes out) {
    std::size_t done = 0;
    while (done < out.size()) {
        ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            // getrandom cannot fail otherwise on Linux >= 3.17 with these flags; never hand out fixed bytes.
            std::perror("getrandom");
            std::abort();
        }
        done += static_cast<std::size_t>(n);
    }
}

void PosixPlatform::log(LogLevel level, const char* text) {
    if (level < threshold_) return;
    static constexpr const char* names[] = {"debug", "info", "warning", "error"};
    std::fprintf(stderr, "picotcp %s: %s\n", names[static_cast<int>(level)], text);
}

PosixCriticalSection::PosixCriticalSection() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved_);
}

PosixCriticalSection::~PosixCriticalSection() {
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
}

} // namespace pico
