// IPv4 reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.2.1.4): see ipv4_reassembly.hpp for the bounds and the
// overlap policy.
#include "net/ipv4_reassembly.hpp"
#include "core/bytes.hpp"
#include "core/checksum.hpp"
#include "net/icmp4.hpp"
#include "net/ipv4.hpp"
#include "wire/ipv4.hpp"

namespace pico::ipv4_reassembly {

namespace {

constexpr std::size_t max_total_len = 65535;

void count_drop(Stack& stack, Drop reason) {
    ipv4::state(stack).counters.count_drop(reason);
}

bool block_received(const Slot& slot, std::size_t block) {
    return (slot.received[block / 8] & (1u << (block % 8))) != 0;
}
void mark_block(Slot& slot, std::size_t block) {
    slot.received[block / 8] = static_cast<std::uint8_t>(slot.received[block / 8] | (1u << (block % 8)));
}

// Frees the slot: its frame goes back to the pool, its timer is cancelled.
void release(Stack& stack, Slot& slot) {
    timers(stack).cancel(slot.timer);
    slot = Slot{};
}

// Discards a datagram in reassembly, counted once with `reason`.
void discard(Stack& stack, Slot& slot, Drop reason) {
    count_drop(stack, reason);
    release(stack, slot);
}

void on_timeout(Stack& stack, void* /*context*/, std::uint32_t index) {
    State& s = state(stack);
    if (index >= s.slots.size()) return;
    Slot& slot = s.slots[index];
    if (!slot.used || !slot.buffer) return;
    slot.timer = TimerId{}; // fired: nothing to cancel
    // RFC 1122 3.2.1.4 / RFC 792: Time Exceeded code 1 only when fragment 0 is held (its header and first
    // data octets are what the error quotes; without them the sender could not match the error).
    if constexpr (config::icmp4) {
        if (slot.header_len != 0 && slot.buffer->push(slot.header_len) != nullptr) {
            RxMeta meta = slot.meta;
            meta.l3_offset = static_cast<std::uint16_t>(slot.buffer->offset());
            meta.l3_header_len = slot.header_len;
            meta.non_first_fragment = false;
            meta.src = slot.source; // the slot keeps the link-layer meta; the addresses are the datagram's
            meta.dst = slot.destination;
            ++s.time_exceeded_sent;
            icmp4::send_error(stack, icmp4::type_time_exceeded, code_reassembly_time_exceeded, *slot.buffer,
                              meta);
        }
    }
    discard(stack, slot, Drop::ReassemblyTimeout);
}

Slot* find(State& s, Ipv4Addr source, Ipv4Addr destination, std::uint8_t protocol, std::uint16_t id) {
    for (Slot& slot : s.slots) {
        if (slot.used && slot.source == source && slot.destination == destination &&
            slot.protocol == protocol && slot.identification == id)
            return &slot;
    }
    return nullptr;
}

// A free slot for a new datagram, evicting the oldest one when all are busy.
Slot& claim(Stack& stack, State& s) {
    Slot* oldest = &s.slots[0];
    for (Slot& slot : s.slots) {
        if (!slot.used) return slot;
        if (slot.started < oldest->started) oldest = &slot;
    }
    discard(stack, *oldest, Drop::ReassemblyEvicted);
    return *oldest;
}

} // namespace

std::size_t in_progress(Stack& stack) {
    std::size_t n = 0;
    for (const Slot& slot : state(stack).slots)
        if (slot.used) ++n;
    return n;
}

std::optional<PacketBuf> input(Stack& stack, PacketBuf&& fragment, RxMeta& meta) {
    State& s = state(stack);
    auto view = wire::ipv4::View::parse(fragment.bytes());
    if (!view) { // ipv4::input parsed it already; kept for safety
        count_drop(stack, Drop::Truncated);
        return std::nullopt;
    }
    std::size_t header_len = view->header_len();
    Bytes data = view->payload();
    std::size_t offset = view->fragment_offset(); // octets, at most 8 * 0x1fff = 65,528
    std::size_t len = data.size();
    bool more = view->more_fragments();
    Slot* slot = find(s, view->source(), view->destination(), view->protocol(), view->identification());

    // RFC 791: every fragment but the last carries a multiple of 8 octets; a fragment without data says
    // nothing.
    if (len == 0 || (more && len % 8 != 0)) {
        count_drop(stack, Drop::BadLength);
        return std::nullopt;
    }
#if PICO_FUZZ_CANARIES
    // picoTCP issue 529 (pico_fragments): the reassembled length was not bounded by 65,535 nor by the
    // reassembly buffer, so a fragment reaching past the buffer was copied there: a heap overflow write.
    if (offset + len > max_payload && canary::armed("ipv4-reassembly-unbounded"))
        canary::crash("ipv4-reassembly-unbounded");
#endif
    // The reassembled Total Length could not be represented (ping of death; picoTCP's heap overflow).
    if (header_len + offset + len > max_total_len) {
        count_drop(stack, Drop::FragmentOverflow);
        if (slot != nullptr) release(stack, *slot);
        return std::nullopt;
    }
    // Larger than a reassembly buffer: the datagram can never be completed here.
    if (offset + len > max_payload) {
        count_drop(stack, Drop::ReassemblyTooBig);
        if (slot != nullptr) release(stack, *slot);
        return std::nullopt;
    }
    std::size_t end = offset + len;

    if (slot == nullptr) {
        auto buffer = frames(stack).allocate(max_header_len);
        if (!buffer || buffer->append(max_payload) == nullptr) {
            count_drop(stack, Drop::PoolExhausted);
            return std::nullopt;
        }
        Slot& fresh = claim(stack, s);
        auto index = static_cast<std::uint32_t>(&fresh - s.slots.data());
        TimerId timer = timers(stack).schedule(now(stack) + config::ipv4_reassembly_timeout_ms, on_timeout,
                                               nullptr, index);
        if (!timer.valid()) {
            count_drop(stack, Drop::PoolExhausted);
            return std::nullopt;
        }
        fresh.buffer = std::move(*buffer);
        fresh.meta = meta;
        fresh.timer = timer;
        fresh.started = now(stack);
        fresh.source = view->source();
        fresh.destination = view->destination();
        fresh.identification = view->identification();
        fresh.protocol = view->protocol();
        fresh.used = true;
        slot = &fresh;
    }

    // Consistency with the datagram's length as far as it is known.
    if (!more) {
        if ((slot->have_last && slot->total != end) || slot->data_end > end) {
            discard(stack, *slot, Drop::FragmentOverlap);
            return std::nullopt;
        }
    } else if (slot->have_last && end >= slot->total) {
        discard(stack, *slot, Drop::FragmentOverlap);
        return std::nullopt;
    }

    // Octets already held must be identical; then copy. Bounded: end <= max_payload was checked.
    std::uint8_t* held = slot->buffer->data();
    bool new_octets = false;
    for (std::size_t block = offset / 8; block * 8 < end; ++block) {
        std::size_t from = block * 8 < offset ? offset : block * 8;
        std::size_t to = block * 8 + 8 < end ? block * 8 + 8 : end;
        if (block_received(*slot, block)) {
            for (std::size_t i = from; i < to; ++i) {
                if (held[i] != data[i - offset]) {
                    discard(stack, *slot, Drop::FragmentOverlap);
                    return std::nullopt;
                }
            }
            // A last fragment may end inside a block an earlier fragment filled only in part: never here,
            // since every fragment but the last ends on a block boundary and data_end was checked.
        } else {
            new_octets = true;
        }
    }
    if (!new_octets) ++s.duplicates;
    for (std::size_t block = offset / 8; block * 8 < end; ++block)
        mark_block(*slot, block);
    copy_bytes(held + offset, data.data(), len);
    if (end > slot->data_end) slot->data_end = static_cast<std::uint32_t>(end);
    if (!more) {
        slot->have_last = true;
        slot->total = static_cast<std::uint32_t>(end);
    }
    if (offset == 0 && slot->header_len == 0) {
        // Fragment 0's header (with its options) becomes the datagram's header, and its meta the datagram's.
        std::uint8_t* h = slot->buffer->push(header_len);
        if (h == nullptr) { // cannot happen: max_header_len of headroom
            discard(stack, *slot, Drop::PoolExhausted);
            return std::nullopt;
        }
        copy_bytes(h, view->header().data(), header_len);
        slot->buffer->pull(header_len);
        slot->header_len = static_cast<std::uint8_t>(header_len);
        slot->meta = meta;
    }

    // Complete: the last fragment, fragment 0, and every block up to the end.
    if (!slot->have_last || slot->header_len == 0) return std::nullopt;
    std::size_t blocks = (slot->total + 7) / 8;
    for (std::size_t block = 0; block < blocks; ++block)
        if (!block_received(*slot, block)) return std::nullopt;

    std::size_t total = slot->total;
    std::size_t hlen = slot->header_len;
    PacketBuf whole = std::move(*slot->buffer);
    meta = slot->meta;
    release(stack, *slot);
    whole.trim(total);
    std::uint8_t* h = whole.push(hlen);
    if (h == nullptr) { // cannot happen: the header was written there
        count_drop(stack, Drop::PoolExhausted);
        return std::nullopt;
    }
    // The header of an unfragmented datagram: Total Length of the whole, MF and offset zero (DF kept).
    store_be16(h + wire::ipv4::field::total_length, static_cast<std::uint16_t>(hlen + total));
    std::uint16_t flags = load_be16(h + wire::ipv4::field::flags_fragment);
    store_be16(h + wire::ipv4::field::flags_fragment,
               static_cast<std::uint16_t>(flags & wire::ipv4::flag_dont_fragment));
    store_be16(h + wire::ipv4::field::checksum, 0);
    store_be16(h + wire::ipv4::field::checksum, checksum(Bytes{h, hlen}));
    ++s.reassembled;
    return whole;
}

} // namespace pico::ipv4_reassembly

#if PICO_WITH_IPV4_REASSEMBLY
pico::ipv4_reassembly::State& pico::ipv4_reassembly::state(Stack& stack) {
    return ipv4::state(stack).reassembly.state;
}
#endif
