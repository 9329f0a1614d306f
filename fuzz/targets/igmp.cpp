// Target igmp: igmp::input, IGMP's input hook (queries v1/v2/v3, reports, leaves), stateful: answers after
// random delays, older-version querier timers, report retransmissions.
// Input: the sequence format (fuzz/README.md), at most 64 records, each [8-byte IPv4 prefix][IGMP message]:
// the transport prefix of the icmp4 target (fuzz/README.md) where [4] bit 3 makes the destination one of the
// groups (bits 4-5: 224.1.1.1, 239.1.2.3, 224.0.0.251, or 224.0.0.22, not joined), and [7] bits 1-2 make the
// application change its groups after the message: 1 leaves 239.1.2.3, 2 joins 239.1.2.3, 3 joins
// 224.5.5.5. The harness fills the IGMP checksum. Before each record the virtual clock moves by its delta and
// the stack is polled.
// The stack has the Full configuration and has joined 224.1.1.1, 239.1.2.3 and 224.0.0.251 on eth0 (their
// reports are sent before the input starts).
//
// fuzz-requires: IPV4 IGMP
// fuzz-dict: igmp ipv4
// fuzz-max-len: 8192
#include "harness.hpp"

namespace {
constexpr int max_records = 64;
constexpr pico::Ipv4Addr extra_group = pico::Ipv4Addr::from_octets(224, 5, 5, 5);
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    pico::Stack& stack = h.stack();
    for (std::size_t i = 0; i < 3; ++i)
        pico::igmp::join(stack, h.eth0_index(), pico::fuzz::ip_groups[i]);
    h.flush_output();
    pico::fuzz::SequenceReader reader(pico::Bytes{data, size});
    for (int records = 0; records < max_records; ++records) {
        auto record = reader.next();
        if (!record) break;
        h.advance_and_poll(record->delta_ms);
        {
            // In a block: a frame the hook dropped without taking it goes back to the pool here, before the
            // harness counts the frames in use.
            auto in = pico::fuzz::transport_input(h, pico::ipv4::proto_igmp, record->frame, true);
            if (!in) continue;
            pico::MutBytes message = in->payload.bytes();
            if (message.size() >= 4) {
                message[2] = message[3] = 0;
                pico::store_be16(&message[2], pico::fuzz::reference_checksum(message.data(), message.size()));
            }
            pico::igmp::input(stack, std::move(in->payload), in->meta);
        }
        switch ((record->frame[7] >> 1) & 3) {
        case 1:
            pico::igmp::leave(stack, h.eth0_index(), pico::fuzz::ip_groups[1]);
            break;
        case 2:
            pico::igmp::join(stack, h.eth0_index(), pico::fuzz::ip_groups[1]);
            break;
        case 3:
            pico::igmp::join(stack, h.eth0_index(), extra_group);
            break;
        default:
            break;
        }
        h.flush_output();
    }
    return 0;
}
