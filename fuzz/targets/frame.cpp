// Target frame: any Ethernet frame into a fully configured stack, through Stack::inject (the device path:
// device counters, then ethernet, ARP, IPv4, ICMPv4, UDP and the sockets' callbacks).
// Input: one Ethernet II frame (no FCS), received on eth0 of the Full configuration (fuzz/README.md):
// addresses on two devices, a default route and a route through an unresolved gateway, ARP entries, UDP
// sockets that echo, queue and broadcast.
//
// fuzz-requires: ETHERNET
// fuzz-dict: ethernet arp ipv4 icmp4 udp ipv6
// fuzz-max-len: 1600
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    h.stack().inject(h.eth0_index(), pico::Bytes{data, size});
    return 0;
}
