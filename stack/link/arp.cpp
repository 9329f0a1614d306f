// STUB: replaced by the ARP implementation.
#include "link/arp.hpp"
namespace pico::arp {
void input(Stack& stack, PacketBuf&&, const RxMeta&) {
    state(stack).counters.count_drop(Drop::BadOperation);
}
bool send_ipv4(Stack& stack, IfIndex, Ipv4Addr, PacketBuf&&) {
    state(stack).counters.count_drop(Drop::Unresolved);
    return false;
}
void announce(Stack&, IfIndex, Ipv4Addr) {}
void tick(Stack&, TimeMs) {}
void set_conflict_handler(Stack& stack, ConflictFn fn, void* context) {
    state(stack).on_conflict = fn;
    state(stack).conflict_context = context;
}
std::optional<MacAddr> lookup(Stack&, IfIndex, Ipv4Addr) {
    return std::nullopt;
}
void flush(Stack&, IfIndex) {}
} // namespace pico::arp
