// The public socket API: non-blocking and callback-driven, a facade over the transports. Addresses and ports
// are host types. A handle belongs to one protocol (UDP and TCP handles are numbered separately), so the
// TCP operations that UDP also has carry a tcp_ prefix; the others keep their plain names.
#pragma once
#include "core/config.hpp"
#include "transport/socket_types.hpp"
#include "transport/tcp/tcp.hpp"
#include "transport/udp.hpp"

namespace pico::socket {

enum class Protocol : std::uint8_t { Udp, Tcp };

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

// ---- TCP (stack/transport/tcp/tcp.hpp documents each operation and the events) ----
inline SocketHandle open_tcp(Stack& stack, SocketCallback callback, void* context) {
    return tcp::open(stack, callback, context);
}
inline SocketError tcp_bind(Stack& stack, SocketHandle socket, const IpAddr& address, std::uint16_t port) {
    return tcp::bind(stack, socket, address, port);
}
inline SocketError tcp_connect(Stack& stack, SocketHandle socket, const IpAddr& address, std::uint16_t port) {
    return tcp::connect(stack, socket, address, port);
}
inline SocketError tcp_close(Stack& stack, SocketHandle socket) {
    return tcp::close(stack, socket);
}
inline SocketError tcp_set_option(Stack& stack, SocketHandle socket, SocketOption option, int value) {
    return tcp::set_option(stack, socket, option, value);
}
inline SocketError tcp_get_option(Stack& stack, SocketHandle socket, SocketOption option, int& value) {
    return tcp::get_option(stack, socket, option, value);
}
inline SocketError tcp_local_endpoint(Stack& stack, SocketHandle socket, IpAddr& address,
                                      std::uint16_t& port) {
    return tcp::local_endpoint(stack, socket, address, port);
}
using tcp::abort;
using tcp::accept;
using tcp::connection_state;
using tcp::listen;
using tcp::read;
using tcp::remote_endpoint;
using tcp::shutdown_read;
using tcp::shutdown_write;
using tcp::state_name;
using tcp::TcpState;
using tcp::urgent_state;
using tcp::write;
using tcp::write_urgent;

} // namespace pico::socket
