// Target ipv6: ipv6::input, IPv6's input hook (the Ethernet header already pulled), and through it the
// extension-header walk, IPv6 reassembly, ICMPv6, Neighbor Discovery, SLAAC, MLD, UDP and TCP over IPv6
// (checksums are not verified in fuzz builds, so mutations reach them all).
// Input: [flags: 1 byte][IPv6 packet, possibly followed by link padding]. flags bit 0: the frame came to
// the Ethernet broadcast address; bit 1 (without bit 0): to a multicast group; else unicast to eth0's MAC.
// The sender's MAC is the gateway's. The stack has the Full configuration (eth0: fe80::2/64, 2001:db8::2/64,
// default route via fe80::fe; UDP echo on [::]:7, TCP echo listener on [::]:80).
//
// fuzz-requires: IPV6
// fuzz-dict: ipv6
// fuzz-max-len: 1600
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    {
        // In a block: a frame the input hook dropped without taking it goes back to the pool here, before
        // the harness counts the frames in use.
        auto frame = h.frame_from(pico::Bytes{data + 1, size - 1});
        if (!frame) return 0;
        pico::ipv6::input(h.stack(), std::move(*frame),
                          pico::fuzz::link_meta(h.eth0_index(), data[0], pico::fuzz::mac_gateway));
    }
    // Let timers run (ND retransmissions, reassembly timeout, MLD reports) so their paths are exercised too.
    h.advance_and_poll(1000);
    h.advance_and_poll(60000);
    return 0;
}
