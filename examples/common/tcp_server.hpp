// A small non-blocking TCP server skeleton for the examples: a listener on [::]:port (both families), the
// connections it accepts, and a per-round service call. Connections are served by polling each round of the
// event loop (at most config::tcp_sockets of them, so a scan is cheap).
#pragma once
#include "socket/socket.hpp"
#include <cstdio>
#include <map>
#include <string>

namespace example {

struct Connection {
    std::string in;  // bytes read, not consumed yet
    std::string out; // bytes to write
    std::size_t out_at = 0;
    std::uint64_t pattern_left = 0; // /bytes/N: pattern bytes still to generate after `out`
    std::uint64_t pattern_at = 0;
    bool eof = false;     // the peer sent FIN and everything was read
    bool closing = false; // close once `out` and the pattern are written
};

class TcpServer {
  public:
    TcpServer(pico::Stack& stack, std::uint16_t port, std::uint8_t backlog = 16);
    bool ok() const { return listener_ >= 0; }
    // Accepts ready connections, reads what arrived, calls serve(conn) for connections with new input,
    // writes what is pending, and closes finished connections. Returns the number of open connections.
    template <class Serve> std::size_t round(Serve&& serve);
    void close_all();

  private:
    bool flush(pico::SocketHandle handle, Connection& c);
    pico::Stack& stack_;
    pico::SocketHandle listener_ = -1;
    std::map<pico::SocketHandle, Connection> connections_;
};

template <class Serve> std::size_t TcpServer::round(Serve&& serve) {
    for (;;) {
        pico::SocketHandle h = pico::socket::accept(stack_, listener_, nullptr, nullptr);
        if (h < 0) break;
        connections_[h] = Connection{};
    }
    for (auto it = connections_.begin(); it != connections_.end();) {
        auto handle = it->first;
        Connection& c = it->second;
        bool failed = false;
        bool got = false;
        char buf[4096];
        while (!c.eof) {
            std::size_t n = 0;
            bool eof = false;
            auto err = pico::socket::read(
                stack_, handle, pico::MutBytes{reinterpret_cast<std::uint8_t*>(buf), sizeof buf}, n, eof);
            if (err == pico::SocketError::WouldBlock) break;
            if (err != pico::SocketError::Ok) {
                failed = true;
                break;
            }
            if (eof) c.eof = true;
            if (n == 0) break;
            c.in.append(buf, n);
            got = true;
        }
        if (!failed && (got || c.eof)) serve(c);
        if (!failed && !flush(handle, c)) failed = true;
        bool done = c.out_at == c.out.size() && c.pattern_left == 0 && (c.closing || c.eof);
        if (failed) {
            pico::socket::abort(stack_, handle);
            it = connections_.erase(it);
        } else if (done) {
            pico::socket::tcp_close(stack_, handle);
            it = connections_.erase(it);
        } else {
            ++it;
        }
    }
    return connections_.size();
}

} // namespace example
