// The public socket API: non-blocking and callback-driven, a facade over the transports. Addresses and ports
// are host types. Only UDP exists so far; TCP joins with the TCP module.
#pragma once
#include "core/config.hpp"
#include "transport/socket_types.hpp"
#include "transport/udp.hpp"

namespace pico::socket {

enum class Protocol : std::uint8_t { Udp };

inline SocketHandle open_udp(Stack& stack, SocketCallback callback, void* context) {
    return udp::open(stack, callback, context);
}
using udp::bind;
using udp::close;
using udp::connect;
using udp::get_option;
using udp::local_endpoint;
using udp::recv_from;
using udp::RecvInfo;
using udp::send;
using udp::send_to;
using udp::set_option;

} // namespace pico::socket
