// Target ipv4: ipv4::input, IPv4's input hook (the Ethernet header already pulled).
// Input: [flags: 1 byte][IPv4 datagram, possibly followed by link padding]. flags bit 0: the frame came to
// the Ethernet broadcast address; bit 1 (without bit 0): to a multicast group; else unicast to eth0's MAC.
// The sender's MAC is the gateway's. The stack has the Full configuration.
//
// fuzz-requires: IPV4
// fuzz-dict: ipv4 icmp4 udp
// fuzz-max-len: 1600
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    auto frame = h.frame_from(pico::Bytes{data + 1, size - 1});
    if (!frame) return 0;
    pico::ipv4::input(h.stack(), std::move(*frame),
                      pico::fuzz::link_meta(h.eth0_index(), data[0], pico::fuzz::mac_gateway));
    return 0;
}
