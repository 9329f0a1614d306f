// What the start-up code (startup.cpp) offers the images: the main stack's high-water mark. Reset_Handler
// paints the stack region (mps2-an386.ld: __stack_size bytes below __stack_top) with a pattern before main;
// the deepest word no longer holding it shows how much stack the image has used so far.
#pragma once
#include <cstddef>

extern "C" {
// Bytes of the main stack used at the deepest point so far (the whole region if the pattern is gone).
std::size_t pico_m4_stack_high_water();
// Bytes reserved for the main stack by the linker script.
std::size_t pico_m4_stack_size();
}
