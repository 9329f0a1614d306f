// ICMPv6 (RFC 4443). (Stub: the issue-4 work fills it.)
#include "net/icmp6.hpp"

namespace pico::icmp6 {

void input(Stack& stack, PacketBuf&& message, const RxMeta& meta) {
    (void)message;
    (void)meta;
    ++state(stack).counters.rx;
    state(stack).counters.count_drop(Drop::BadOperation);
}
void send_error(Stack&, std::uint8_t, std::uint8_t, const PacketBuf&, const RxMeta&, std::uint32_t, bool) {}
std::uint16_t checksum(const Ipv6Addr&, const Ipv6Addr&, Bytes) {
    return 0;
}
bool send(Stack&, const Ipv6Addr&, const Ipv6Addr&, IfIndex, std::uint8_t, PacketBuf&&, bool, bool) {
    return false;
}
bool send_echo_request(Stack&, const Ipv6Addr&, std::uint16_t, std::uint16_t, Bytes, IfIndex) {
    return false;
}
void set_echo_reply_handler(Stack& stack, EchoReplyFn fn, void* context) {
    state(stack).on_echo_reply = fn;
    state(stack).echo_context = context;
}

} // namespace pico::icmp6
