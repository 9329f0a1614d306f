// What the on-target tests share: the platform (SysTick clock, seeded random source) and two Stacks in static
// storage (each ~150 KB with the firmware's pools: never on the 16 KiB main stack).
#pragma once
#include "assembly/stack.hpp"
#include "core/config.hpp"
#include "port/cortex_m.hpp"
#include "port/platform.hpp"

namespace m4test {

pico::CortexMPlatform& platform();

// Stack number `which` (0 or 1) rebuilt from scratch: the previous one, if any, is destroyed first (its
// devices must outlive it until then).
pico::Stack& fresh_stack(int which);

// Busy-waits until the platform clock has advanced by `ms` (SysTick must be running); false if it did not
// within a generous bound of loop iterations (the clock is stuck).
bool wait_ms(pico::TimeMs ms);

} // namespace m4test
