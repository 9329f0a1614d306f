// Target nd: nd::input, Neighbor Discovery's input hook (NS, NA, RS, RA, Redirect), stateful, with SLAAC
// reacting to Router Advertisements and the timers of NUD, DAD, router, prefix and address lifetimes.
// Input: the sequence format (fuzz/README.md), at most 64 records, each [2-byte IPv6 prefix][ND message]:
// the prefix of the icmp6 target (fuzz/harness.hpp ipv6_transport_input), whose byte 1 bits 3-4 also make
// the stack send an Echo Request after the message: 1 to the message's source (address resolution, then NUD
// of that neighbour), 2 to 2001:db8:5::1 (off-link: a default router or a Redirect's target), 3 to fe80::99
// (never answers: INCOMPLETE until the solicitations run out); bit 5 replaces the message's Target Address by
// an address in Duplicate Address Detection (SLAAC's generated one first). Before each record the virtual
// clock moves by its delta and the stack is polled. The stack has the Full configuration plus 2001:db8::5/64
// in Duplicate Address Detection (its DAD runs when the input starts: an NS or NA for it is a conflict).
//
// fuzz-requires: IPV6 ICMP6 ND
// fuzz-dict: nd icmp6 ipv6
// fuzz-max-len: 8192
#include "harness.hpp"
#include <array>
#include <span>

namespace {
constexpr int max_records = 64;
constexpr pico::Ipv6Addr off_link{{0x20, 0x01, 0x0d, 0xb8, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
constexpr pico::Ipv6Addr silent{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99}};
constexpr std::size_t target_at = pico::fuzz::ipv6_prefix_len + 8; // an NS/NA/Redirect's Target Address

// Prefix byte 1 bit 5: the record's Target Address becomes an address in Duplicate Address Detection (one
// SLAAC generated, else any), so conflicts with RFC 7217 addresses the input cannot know are reachable.
pico::Bytes with_dad_target(pico::Stack& stack, pico::Bytes record, std::span<std::uint8_t> buffer) {
    if constexpr (pico::config::slaac) {
        if (record.size() < target_at + 16 || record.size() > buffer.size() || (record[1] & 0x20) == 0)
            return record;
        const pico::slaac::Dad* chosen = nullptr;
        for (const pico::slaac::Dad& dad : pico::slaac::state(stack).dad) {
            if (dad.ifindex == pico::no_interface) continue;
            if (chosen == nullptr || (dad.generated && !chosen->generated)) chosen = &dad;
        }
        if (chosen == nullptr) return record;
        pico::copy_bytes(buffer.data(), record.data(), record.size());
        chosen->address.store(buffer.data() + target_at);
        return pico::Bytes{buffer.data(), record.size()};
    } else {
        (void)stack;
        (void)buffer;
        return record;
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    pico::Stack& stack = h.stack();
    pico::ipv6::add_address(stack, h.eth0_index(), pico::fuzz::ip6_tentative, 64,
                            pico::ipv6::AddrState::Tentative);
    h.flush_output();
    std::array<std::uint8_t, pico::config::frame_size> buffer{};
    pico::fuzz::SequenceReader reader(pico::Bytes{data, size});
    for (int records = 0; records < max_records; ++records) {
        auto record = reader.next();
        if (!record) break;
        h.advance_and_poll(record->delta_ms);
        pico::Ipv6Addr source{};
        {
            // In a block: a frame the hook dropped without taking it goes back to the pool here, before the
            // harness counts the frames in use.
            auto in = pico::fuzz::ipv6_transport_input(h, with_dad_target(stack, record->frame, buffer));
            if (!in) continue;
            source = in->meta.src6;
            pico::nd::input(stack, std::move(in->payload), in->meta);
        }
        switch ((record->frame[1] >> 3) & 3) {
        case 1:
            if (!source.is_unspecified())
                pico::icmp6::send_echo_request(stack, source, 0x4e44, 1, pico::Bytes{}, h.eth0_index());
            break;
        case 2:
            pico::icmp6::send_echo_request(stack, off_link, 0x4e44, 2, pico::Bytes{});
            break;
        case 3:
            pico::icmp6::send_echo_request(stack, silent, 0x4e44, 3, pico::Bytes{}, h.eth0_index());
            break;
        default:
            break;
        }
        h.flush_output();
    }
    return 0;
}
