// Target ipv4_reassembly: IPv4 reassembly through ipv4::input, stateful: a sequence of fragments (any
// overlap, duplicate, gap, flood of datagrams, timeout), the reassembled datagrams delivered to ICMP, UDP and
// TCP, and a leak check: once the reassembly timeout has passed after the last fragment, no datagram is in
// reassembly and the frame pool holds only what the other modules hold (no reassembly frame leaked).
// Input: the sequence format (fuzz/README.md), at most 64 records, each an IPv4 datagram (usually a
// fragment) from the link, unicast to eth0's MAC from the gateway's, delivered to ipv4::input. The harness
// writes the IPv4 header checksum of each (so an input replays in builds that verify it). Before each record
// the virtual clock moves by its delta and the stack is polled (a delta past 60 s times datagrams out).
// The stack has the Full configuration.
//
// fuzz-requires: IPV4 IPV4_REASSEMBLY
// fuzz-dict: ipv4 icmp4 udp
// fuzz-max-len: 16384
#include "harness.hpp"

namespace {
constexpr int max_records = 64;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    pico::Stack& stack = h.stack();
    pico::fuzz::SequenceReader reader(pico::Bytes{data, size});
    for (int records = 0; records < max_records; ++records) {
        auto record = reader.next();
        if (!record) break;
        h.advance_and_poll(record->delta_ms);
        {
            auto frame = h.frame_from(record->frame);
            if (!frame) continue;
            pico::MutBytes ip = frame->bytes();
            if (ip.size() >= 20) {
                std::size_t ihl = std::size_t{ip[0] & 0x0fu} * 4;
                if (ihl >= 20 && ihl <= ip.size()) {
                    ip[10] = ip[11] = 0;
                    pico::store_be16(&ip[10], pico::fuzz::reference_checksum(ip.data(), ihl));
                }
            }
            pico::ipv4::input(stack, std::move(*frame),
                              pico::fuzz::link_meta(h.eth0_index(), 0, pico::fuzz::mac_gateway));
        }
        h.flush_output();
    }
    // The leak check: every datagram still in reassembly times out (and its frame returns to the pool).
    h.advance_and_poll(pico::config::ipv4_reassembly_timeout_ms + 1);
    if (pico::ipv4_reassembly::in_progress(stack) != 0)
        pico::fuzz::violated("ipv4_reassembly: a datagram is still in reassembly after its timeout");
    if (stack.frame_stats().in_use != h.frames_held_by_modules())
        pico::fuzz::violated("ipv4_reassembly: frames in use after every reassembly timed out");
    return 0;
}
