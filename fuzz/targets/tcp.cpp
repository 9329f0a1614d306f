// Target tcp: tcp::input, TCP's input hook (the IPv4 header already pulled).
// Input: [8-byte transport prefix][TCP segment]; the prefix is the one of the icmp4 and udp targets
// (fuzz/README.md). The stack has the Full configuration with its TCP sockets: 0.0.0.0:80 listening (accepts
// and echoes), 198.18.0.2:22 listening without accepting (backlog 1), and a connection from 198.18.0.2 to
// 198.18.0.1:8080 in SYN-SENT. One segment per input: the stateful targets (tcp_listen) take sequences.
//
// fuzz-requires: IPV4 TCP
// fuzz-dict: tcp
// fuzz-max-len: 1600
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    auto in = pico::fuzz::transport_input(h, pico::ipv4::proto_tcp, pico::Bytes{data, size});
    if (!in) return 0;
    pico::tcp::input(h.stack(), std::move(in->payload), in->meta);
    return 0;
}
