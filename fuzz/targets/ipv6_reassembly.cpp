// Target ipv6_reassembly: IPv6 reassembly through ipv6::input, stateful: a sequence of fragments (any
// overlap, duplicate, gap, atomic fragments, a first fragment without the whole header chain, a flood of
// packets, timeout), the reassembled packets delivered to ICMPv6, UDP and TCP, and a leak check: once the
// reassembly timeout has passed after the last fragment, no packet is in reassembly and the frame pool holds
// only what the other modules hold (no reassembly frame leaked).
// Input: the sequence format (fuzz/README.md), at most 64 records, each an IPv6 packet (usually a fragment)
// from the link, unicast to eth0's MAC from the gateway's, delivered to ipv6::input. Before each record the
// virtual clock moves by its delta and the stack is polled (a delta past 60 s times packets out).
// The stack has the Full configuration (fe80::2, 2001:db8::2, default route via fe80::fe).
//
// fuzz-requires: IPV6 IPV6_REASSEMBLY
// fuzz-dict: ipv6 icmp6
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
            pico::ipv6::input(stack, std::move(*frame),
                              pico::fuzz::link_meta(h.eth0_index(), 0, pico::fuzz::mac_gateway));
        }
        h.flush_output();
    }
    // The leak check: every packet still in reassembly times out (and its frame returns to the pool).
    h.advance_and_poll(pico::config::ipv6_reassembly_timeout_ms + 1);
    if (pico::ipv6_reassembly::in_progress(stack) != 0)
        pico::fuzz::violated("ipv6_reassembly: a packet is still in reassembly after its timeout");
    if (stack.frame_stats().in_use != h.frames_held_by_modules())
        pico::fuzz::violated("ipv6_reassembly: frames in use after every reassembly timed out");
    return 0;
}
