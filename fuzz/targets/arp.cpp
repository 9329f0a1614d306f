// Target arp: arp::input, ARP's input hook (the Ethernet header already pulled).
// Input: [flags: 1 byte][ARP packet]. flags bit 0: the frame came to the Ethernet broadcast address; bit 1
// (without bit 0): to a multicast group; else unicast to eth0. flags bit 2: the Ethernet source differs from
// the ARP sender hardware address (02:00:00:00:00:fc); else it is that address (the gateway's MAC when the
// packet is too short to hold one). The stack has the Full configuration (ARP entries for 198.18.0.1 and
// 198.18.0.3, 198.18.0.2 and 198.18.1.2 on eth0).
//
// fuzz-requires: ETHERNET ARP
// fuzz-dict: arp
// fuzz-max-len: 1600
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    pico::Bytes packet{data + 1, size - 1};
    pico::MacAddr source = pico::fuzz::mac_gateway;
    if ((data[0] & 4) != 0)
        source = pico::fuzz::mac_other;
    else if (packet.size() >= 14)
        source = pico::MacAddr::from(&packet[8]);
    auto frame = h.frame_from(packet);
    if (!frame) return 0;
    pico::arp::input(h.stack(), std::move(*frame), pico::fuzz::link_meta(h.eth0_index(), data[0], source));
    return 0;
}
