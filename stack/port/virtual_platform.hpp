// A deterministic platform: a clock that moves only when told, and a seeded generator (xoshiro256**,
// seeded by splitmix64). Used by the unit tests, the Python bindings and the fuzzers.
#pragma once
#include "port/platform.hpp"
#include <cstdint>

namespace pico {

class VirtualClock {
  public:
    TimeMs now() const { return now_; }
    void advance(TimeMs ms) { now_ += ms; }
    void set(TimeMs ms) {
        if (ms > now_) now_ = ms;
    }

  private:
    TimeMs now_ = 0;
};

class SeededRandom {
  public:
    explicit SeededRandom(std::uint64_t seed) {
        for (auto& word : state_) {
            seed += 0x9e3779b97f4a7c15ull;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            word = z ^ (z >> 31);
        }
    }
    std::uint64_t next() {
        std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }
    // Uniform-enough double in [0, 1) for impairment probabilities.
    double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
    void fill(MutBytes out) {
        std::size_t i = 0;
        while (i < out.size()) {
            std::uint64_t word = next();
            for (int k = 0; k < 8 && i < out.size(); ++k, ++i)
                out[i] = static_cast<std::uint8_t>(word >> (8 * k));
        }
    }

  private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t state_[4];
};

class VirtualPlatform final : public Platform {
  public:
    VirtualPlatform(VirtualClock& clock, std::uint64_t seed) : clock_(clock), random_(seed) {}
    TimeMs now_ms() override { return clock_.now(); }
    void random_bytes(MutBytes out) override { random_.fill(out); }
    VirtualClock& clock() { return clock_; }

  private:
    VirtualClock& clock_;
    SeededRandom random_;
};

} // namespace pico
