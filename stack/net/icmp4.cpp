// STUB: replaced by the ICMPv4 implementation.
#include "net/icmp4.hpp"
namespace pico::icmp4 {
void input(Stack& stack, PacketBuf&&, const RxMeta&) {
    state(stack).counters.count_drop(Drop::BadOperation);
}
void send_error(Stack&, std::uint8_t, std::uint8_t, const PacketBuf&, const RxMeta&, std::uint32_t) {}
bool send_echo_request(Stack&, Ipv4Addr, std::uint16_t, std::uint16_t, Bytes) {
    return false;
}
void set_echo_reply_handler(Stack& stack, EchoReplyFn fn, void* context) {
    state(stack).on_echo_reply = fn;
    state(stack).echo_context = context;
}
} // namespace pico::icmp4
