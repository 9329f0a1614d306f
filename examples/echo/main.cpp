// picotcp-echo: a TCP and UDP echo server (RFC 862) on a TAP device, over IPv4 and IPv6.
//   picotcp-echo --tap tap0 --ip 198.18.0.2/24 [--ip6 2001:db8::2/64 | --slaac] [--port 7]
// Prints "picotcp-echo ready: ADDRESSES port P" once its addresses are usable, and stops on SIGINT/SIGTERM.
#include "common/example_net.hpp"
#include "common/tcp_server.hpp"
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    auto options = example::parse(argc, argv, "[--port N]");
    const std::uint16_t port = example::port_option(options, 7);

    example::Node node(options);
    pico::Stack& stack = node.stack();
    example::TcpServer tcp(stack, port);
    if (!tcp.ok()) example::fail("cannot listen on TCP port " + std::to_string(port));
    pico::SocketHandle udp = pico::socket::open_udp(stack, nullptr, nullptr);
    if (udp < 0 ||
        pico::socket::bind(stack, udp, pico::IpAddr{pico::Ipv6Addr{}}, port) != pico::SocketError::Ok)
        example::fail("cannot bind UDP port " + std::to_string(port));

    if (options.slaac)
        node.wait_for_global_ipv6(
            options.slaac_wait_ms); // link-local after DAD; a global one if a router answers
    std::printf("picotcp-echo ready: %s port %u\n", node.addresses().c_str(), port);
    std::fflush(stdout);

    std::uint8_t datagram[2048];
    while (node.loop().run_once()) {
        tcp.round([](example::Connection& c) {
            c.out += c.in; // echo every byte back; the connection closes after the peer's FIN
            c.in.clear();
        });
        for (;;) {
            pico::udp::RecvInfo info;
            auto err = pico::socket::recv_from(stack, udp, pico::MutBytes{datagram, sizeof datagram}, info);
            if (err != pico::SocketError::Ok) break;
            pico::socket::send_to(stack, udp, pico::Bytes{datagram, info.copied}, info.source,
                                  info.source_port);
        }
    }
    tcp.close_all();
    pico::socket::close(stack, udp);
    for (int i = 0; i < 20; ++i) // let the FINs leave
        stack.poll();
    std::printf("picotcp-echo stopped\n");
    return 0;
}
