// Target icmp4: icmp4::input, ICMPv4's input hook (the IPv4 header already pulled).
// Input: [8-byte IPv4 prefix][ICMP message]. The prefix chooses the source, destination (ours, limited or
// directed broadcast, all-hosts), TTL, TOS and whether the IPv4 header carries options; the harness writes a
// consistent Ethernet + IPv4 header in front of the message in one frame and fills RxMeta as ipv4::input
// would (fuzz/harness.hpp transport_input, fuzz/README.md). The stack has the Full configuration, so errors
// quoting UDP datagrams reach the sockets.
//
// fuzz-requires: IPV4 ICMP4
// fuzz-dict: icmp4 ipv4 udp
// fuzz-max-len: 1600
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    auto in = pico::fuzz::transport_input(h, pico::ipv4::proto_icmp, pico::Bytes{data, size});
    if (!in) return 0;
    pico::icmp4::input(h.stack(), std::move(in->payload), in->meta);
    return 0;
}
