// Neighbor Discovery (RFC 4861). (Stub: the issue-4 work fills it.)
#include "net/nd.hpp"

namespace pico::nd {

void input(Stack& stack, PacketBuf&& message, const RxMeta& meta) {
    (void)message;
    (void)meta;
    ++state(stack).counters.rx;
    state(stack).counters.count_drop(Drop::BadOperation);
}
bool send_ipv6(Stack& stack, IfIndex, const Ipv6Addr&, PacketBuf&&) {
    state(stack).counters.count_drop(Drop::Unresolved);
    return false;
}
std::optional<NextHop> next_hop(Stack&, const Ipv6Addr&, IfIndex) {
    return std::nullopt;
}
void negative_advice(Stack&, IfIndex, const Ipv6Addr&) {}
void confirm_reachable(Stack&, IfIndex, const Ipv6Addr&) {}
std::optional<MacAddr> lookup(Stack&, IfIndex, const Ipv6Addr&) {
    return std::nullopt;
}
void flush(Stack&, IfIndex) {}
void tick(Stack&, TimeMs) {}

} // namespace pico::nd
