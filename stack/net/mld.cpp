// MLDv2 listener (RFC 3810). (Stub: the issue-4 work fills it.)
#include "net/mld.hpp"

namespace pico::mld {

void input(Stack& stack, PacketBuf&& message, const RxMeta& meta) {
    (void)message;
    (void)meta;
    ++state(stack).counters.rx;
    state(stack).counters.count_drop(Drop::BadOperation);
}
bool join(Stack&, IfIndex, const Ipv6Addr&) {
    return false;
}
bool leave(Stack&, IfIndex, const Ipv6Addr&) {
    return false;
}
bool is_member(Stack&, IfIndex, const Ipv6Addr&) {
    return false;
}
void tick(Stack&, TimeMs) {}

} // namespace pico::mld
