// A module's state inside the Stack: present when the module is built, an empty member (zero bytes with
// [[no_unique_address]]) when it is not.
#pragma once

namespace pico {

template <bool Enabled, class State> struct ModuleSlot {};
template <class State> struct ModuleSlot<true, State> { State state{}; };

} // namespace pico
