// IGMPv3 host (RFC 3376). (Stub: the issue-4 work fills it.)
#include "net/igmp.hpp"

namespace pico::igmp {

void input(Stack& stack, PacketBuf&& message, const RxMeta& meta) {
    (void)message;
    (void)meta;
    ++state(stack).counters.rx;
    state(stack).counters.count_drop(Drop::BadOperation);
}
bool join(Stack&, IfIndex, Ipv4Addr) {
    return false;
}
bool leave(Stack&, IfIndex, Ipv4Addr) {
    return false;
}
bool is_member(Stack&, IfIndex, Ipv4Addr) {
    return false;
}
void tick(Stack&, TimeMs) {}

} // namespace pico::igmp
