// IPv6 host (RFC 8200). (Stub: the issue-4 work fills it.)
#include "net/ipv6.hpp"

namespace pico::ipv6 {

void input(Stack& stack, PacketBuf&& packet, const RxMeta& meta) {
    (void)packet;
    (void)meta;
    ++state(stack).counters.rx;
    state(stack).counters.count_drop(Drop::UnknownProtocol);
}
bool add_address(Stack&, IfIndex, const Ipv6Addr&, std::uint8_t, AddrState, TimeMs, TimeMs, bool) {
    return false;
}
bool remove_address(Stack&, IfIndex, const Ipv6Addr&) {
    return false;
}
Address* find_address(Stack&, IfIndex, const Ipv6Addr&) {
    return nullptr;
}
std::optional<Ipv6Addr> link_local(Stack&, IfIndex) {
    return std::nullopt;
}
bool add_route(Stack&, const Ipv6Addr&, std::uint8_t, const Ipv6Addr&, IfIndex) {
    return false;
}
bool remove_route(Stack&, const Ipv6Addr&, std::uint8_t) {
    return false;
}
std::optional<RouteResult> route(Stack&, const Ipv6Addr&, IfIndex) {
    return std::nullopt;
}
void negative_advice(Stack&, const Ipv6Addr&) {}
bool is_local(Stack&, IfIndex, const Ipv6Addr&) {
    return false;
}
bool is_local_any(Stack&, const Ipv6Addr&) {
    return false;
}
bool is_member(Stack&, IfIndex, const Ipv6Addr&) {
    return false;
}
std::uint32_t path_mtu(Stack&, IfIndex, const Ipv6Addr&) {
    return min_mtu;
}
void update_path_mtu(Stack&, const Ipv6Addr&, std::uint32_t) {}
bool send(Stack& stack, const SendParams&, PacketBuf&&) {
    state(stack).counters.count_drop(Drop::NoRoute);
    return false;
}
void tick(Stack&, TimeMs) {}

} // namespace pico::ipv6
