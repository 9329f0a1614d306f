// Target icmp6: icmp6::input, ICMPv6's input hook (the IPv6 header and extension headers already pulled), and
// through it echo, the errors handed to UDP and TCP over IPv6 (and Packet Too Big's path MTU), ND and MLD.
// Input: [2-byte IPv6 prefix][ICMPv6 message]. The prefix chooses the source, destination, Hop Limit, a
// Hop-by-Hop Router Alert header and the Ethernet source (fuzz/harness.hpp ipv6_transport_input,
// fuzz/README.md); the harness writes consistent Ethernet and IPv6 headers in front of the message in one
// frame and fills the ICMPv6 checksum. The stack has the Full configuration (fe80::2, 2001:db8::2, UDP echo
// on [::]:7, TCP echo listener on [::]:80); 1 s and 60 s of timers follow the message.
//
// fuzz-requires: IPV6 ICMP6
// fuzz-dict: icmp6 ipv6
// fuzz-max-len: 1600
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    {
        auto in = pico::fuzz::ipv6_transport_input(h, pico::Bytes{data, size});
        if (!in) return 0;
        pico::icmp6::input(h.stack(), std::move(in->payload), in->meta);
    }
    h.advance_and_poll(1000);
    h.advance_and_poll(60000);
    return 0;
}
