// STUB: replaced by the IPv4 implementation.
#include "net/ipv4.hpp"
namespace pico::ipv4 {
void input(Stack& stack, PacketBuf&&, const RxMeta&) {
    state(stack).counters.count_drop(Drop::NotForUs);
}
bool add_address(Stack&, IfIndex, Ipv4Addr, std::uint8_t) {
    return false;
}
bool remove_address(Stack&, IfIndex, Ipv4Addr) {
    return false;
}
bool add_route(Stack&, Ipv4Addr, std::uint8_t, Ipv4Addr, IfIndex) {
    return false;
}
bool remove_route(Stack&, Ipv4Addr, std::uint8_t) {
    return false;
}
std::optional<RouteResult> route(Stack&, Ipv4Addr) {
    return std::nullopt;
}
bool is_local(Stack&, IfIndex, Ipv4Addr) {
    return false;
}
bool is_local_any(Stack&, Ipv4Addr) {
    return false;
}
bool is_broadcast(Stack&, IfIndex, Ipv4Addr) {
    return false;
}
bool send(Stack& stack, const SendParams&, PacketBuf&&) {
    state(stack).counters.count_drop(Drop::NoRoute);
    return false;
}
} // namespace pico::ipv4
