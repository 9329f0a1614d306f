// Target ethernet: ethernet::input, the link layer's input hook.
// Input: one Ethernet II frame (destination, source, EtherType, payload; no FCS), handed to the hook on eth0
// of a Minimal stack (eth0 with 198.18.0.2/24 only), with RxMeta carrying just the interface index, as
// Stack::receive builds it.
//
// fuzz-requires: ETHERNET
// fuzz-dict: ethernet arp ipv4
// fuzz-max-len: 1600
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Minimal);
    pico::fuzz::Harness& h = session.harness();
    auto frame = h.frame_from(pico::Bytes{data, size});
    if (!frame) return 0;
    pico::RxMeta meta;
    meta.ifindex = h.eth0_index();
    pico::ethernet::input(h.stack(), std::move(*frame), meta);
    return 0;
}
