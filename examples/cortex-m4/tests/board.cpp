#include "board.hpp"

namespace m4test {

namespace {

pico::CortexMPlatform the_platform;

struct StackSlot {
    pico::StaticInstance<pico::Stack> storage;
    bool constructed = false;
};
StackSlot slots[2];

} // namespace

pico::CortexMPlatform& platform() {
    return the_platform;
}

pico::Stack& fresh_stack(int which) {
    StackSlot& slot = slots[which & 1];
    if (slot.constructed) slot.storage.get().~Stack();
    slot.constructed = true;
    return slot.storage.construct(the_platform);
}

bool wait_ms(pico::TimeMs ms) {
    const pico::TimeMs start = the_platform.now_ms();
    // ~25,000 cycles per ms; a loop iteration takes a few: 10^6 iterations per ms is far beyond enough.
    for (std::uint32_t i = 0; i < 1'000'000u * static_cast<std::uint32_t>(ms + 1); ++i) {
        if (the_platform.now_ms() - start >= ms) return true;
    }
    return false;
}

} // namespace m4test
