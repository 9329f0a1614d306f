#include "tcp_server.hpp"

namespace example {

TcpServer::TcpServer(pico::Stack& stack, std::uint16_t port, std::uint8_t backlog) : stack_(stack) {
    pico::SocketHandle h = pico::socket::open_tcp(stack, nullptr, nullptr);
    if (h < 0) return;
    if (pico::socket::tcp_bind(stack, h, pico::IpAddr{pico::Ipv6Addr{}}, port) != pico::SocketError::Ok ||
        pico::socket::listen(stack, h, backlog) != pico::SocketError::Ok) {
        pico::socket::tcp_close(stack, h);
        return;
    }
    listener_ = h;
}

// Writes pending output, then pattern bytes (byte i of a /bytes/N body is i % 251, a prime so that a
// shifted or repeated block does not match), as far as the send buffer takes. False on a connection error.
bool TcpServer::flush(pico::SocketHandle handle, Connection& c) {
    while (c.out_at < c.out.size()) {
        std::size_t written = 0;
        auto err =
            pico::socket::write(stack_, handle,
                                pico::Bytes{reinterpret_cast<const std::uint8_t*>(c.out.data()) + c.out_at,
                                            c.out.size() - c.out_at},
                                written);
        if (err == pico::SocketError::WouldBlock || (err == pico::SocketError::Ok && written == 0))
            return true;
        if (err != pico::SocketError::Ok) return false;
        c.out_at += written;
    }
    c.out.clear();
    c.out_at = 0;
    std::uint8_t block[4096];
    while (c.pattern_left > 0) {
        std::size_t n =
            c.pattern_left < sizeof block ? static_cast<std::size_t>(c.pattern_left) : sizeof block;
        for (std::size_t i = 0; i < n; ++i)
            block[i] = static_cast<std::uint8_t>((c.pattern_at + i) % 251);
        std::size_t written = 0;
        auto err = pico::socket::write(stack_, handle, pico::Bytes{block, n}, written);
        if (err == pico::SocketError::WouldBlock || (err == pico::SocketError::Ok && written == 0))
            return true;
        if (err != pico::SocketError::Ok) return false;
        c.pattern_at += written;
        c.pattern_left -= written;
    }
    return true;
}

void TcpServer::close_all() {
    for (auto& [handle, c] : connections_)
        pico::socket::tcp_close(stack_, handle);
    connections_.clear();
    if (listener_ >= 0) pico::socket::tcp_close(stack_, listener_);
    listener_ = -1;
}

} // namespace example
