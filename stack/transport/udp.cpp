// STUB: replaced by the UDP implementation.
#include "transport/udp.hpp"
namespace pico::udp {
void input(Stack& stack, PacketBuf&&, const RxMeta&) {
    state(stack).counters.count_drop(Drop::NoSocket);
}
void icmp_error(Stack&, std::uint8_t, std::uint8_t, Bytes) {}
SocketHandle open(Stack&, SocketCallback, void*) {
    return -1;
}
SocketError bind(Stack&, SocketHandle, Ipv4Addr, std::uint16_t) {
    return SocketError::Invalid;
}
SocketError connect(Stack&, SocketHandle, Ipv4Addr, std::uint16_t) {
    return SocketError::Invalid;
}
SocketError send_to(Stack&, SocketHandle, Bytes, Ipv4Addr, std::uint16_t) {
    return SocketError::Invalid;
}
SocketError send(Stack&, SocketHandle, Bytes) {
    return SocketError::Invalid;
}
SocketError recv_from(Stack&, SocketHandle, MutBytes, RecvInfo&) {
    return SocketError::Invalid;
}
SocketError close(Stack&, SocketHandle) {
    return SocketError::Invalid;
}
SocketError set_option(Stack&, SocketHandle, SocketOption, int) {
    return SocketError::Invalid;
}
SocketError get_option(Stack&, SocketHandle, SocketOption, int&) {
    return SocketError::Invalid;
}
SocketError local_endpoint(Stack&, SocketHandle, Ipv4Addr&, std::uint16_t&) {
    return SocketError::Invalid;
}
} // namespace pico::udp
