// The LAN9118 driver on the real controller's registers (volatile accesses at the board's address): its one
// instantiation, compiled by firmware projects only (examples/cortex-m4/net). The code is in lan9118.hpp.
#include "drivers/lan9118.hpp"

namespace pico {

template class BasicLan9118<Lan9118Mmio>;

} // namespace pico
