// Target mld: mld::input, MLD's input hook (queries v1/v2, reports, done), stateful: the answers to queries
// go out after random delays, the Older Version Querier Present timer runs, reports are retransmitted.
// Input: the sequence format (fuzz/README.md), at most 64 records, each [2-byte IPv6 prefix][MLD message]:
// the prefix of the icmp6 target (fuzz/harness.hpp ipv6_transport_input: set byte 0 bit 5 for the Router
// Alert, bits 3-4 = 1 for Hop Limit 1, a link-local source, as MLD requires), whose byte 1 bits 3-4 also make
// the application change its groups after the message: 1 leaves ff05::1:3, 2 joins ff05::1:3, 3 joins
// ff0e:0:db8::2 (state-change reports while answers are pending). Before each record the virtual clock moves
// by its delta and the stack is polled.
// The stack has the Full configuration and has joined ff02::fb, ff05::1:3 and ff0e:0:db8::1 on eth0 (their
// reports are sent before the input starts), so every query has groups to answer for.
//
// fuzz-requires: IPV6 ICMP6 MLD
// fuzz-dict: mld icmp6
// fuzz-max-len: 8192
#include "harness.hpp"

namespace {
constexpr int max_records = 64;
constexpr pico::Ipv6Addr extra_group{{0xff, 0x0e, 0, 0, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    pico::Stack& stack = h.stack();
    for (std::size_t i = 5; i < 8; ++i)
        pico::mld::join(stack, h.eth0_index(), pico::fuzz::ip6_destinations[i]);
    h.flush_output();
    pico::fuzz::SequenceReader reader(pico::Bytes{data, size});
    for (int records = 0; records < max_records; ++records) {
        auto record = reader.next();
        if (!record) break;
        h.advance_and_poll(record->delta_ms);
        {
            // In a block: a frame the hook dropped without taking it goes back to the pool here, before the
            // harness counts the frames in use.
            auto in = pico::fuzz::ipv6_transport_input(h, record->frame);
            if (!in) continue;
            pico::mld::input(stack, std::move(in->payload), in->meta);
        }
        switch ((record->frame[1] >> 3) & 3) {
        case 1:
            pico::mld::leave(stack, h.eth0_index(), pico::fuzz::ip6_destinations[6]);
            break;
        case 2:
            pico::mld::join(stack, h.eth0_index(), pico::fuzz::ip6_destinations[6]);
            break;
        case 3:
            pico::mld::join(stack, h.eth0_index(), extra_group);
            break;
        default:
            break;
        }
        h.flush_output();
    }
    return 0;
}
