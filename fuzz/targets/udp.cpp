// Target udp: udp::input, UDP's input hook (the IPv4 header already pulled).
// Input: [8-byte IPv4 prefix][UDP datagram]. The prefix is the one of the icmp4 target (fuzz/README.md); the
// stack has the Full configuration: 0.0.0.0:7 echoes, 198.18.0.2:53 queues until full, 0.0.0.0:67 answers to
// the broadcast, 198.18.0.2:5000 is connected to 198.18.0.1:5001; any other port draws a port unreachable.
//
// fuzz-requires: IPV4 UDP
// fuzz-dict: udp
// fuzz-max-len: 1600
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    auto in = pico::fuzz::transport_input(h, pico::ipv4::proto_udp, pico::Bytes{data, size});
    if (!in) return 0;
    pico::udp::input(h.stack(), std::move(in->payload), in->meta);
    return 0;
}
