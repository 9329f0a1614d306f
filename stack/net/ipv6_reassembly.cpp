// IPv6 reassembly (RFC 8200 4.5, RFC 5722, RFC 6946, RFC 7112): see ipv6_reassembly.hpp for the bounds and
// the overlap policy.
#include "net/ipv6_reassembly.hpp"
#include "core/bytes.hpp"
#include "net/icmp6.hpp"
#include "net/ipv6.hpp"
#include "wire/ipv6.hpp"

namespace pico::ipv6_reassembly {

namespace {

constexpr std::size_t max_chain = 8;
constexpr std::size_t frag_len = wire::ipv6::fragment_header_len;
constexpr std::uint8_t code_incomplete_chain =
    3; // RFC 7112 5: IPv6 First Fragment has incomplete header chain

void count_drop(Stack& stack, Drop reason) {
    ipv6::state(stack).counters.count_drop(reason);
}

bool bit(const std::array<std::uint8_t, (block_count + 7) / 8>& bits, std::size_t block) {
    return (bits[block / 8] & (1u << (block % 8))) != 0;
}
void set_bit(std::array<std::uint8_t, (block_count + 7) / 8>& bits, std::size_t block) {
    bits[block / 8] = static_cast<std::uint8_t>(bits[block / 8] | (1u << (block % 8)));
}

void release(Stack& stack, Slot& slot) {
    timers(stack).cancel(slot.timer);
    slot = Slot{};
}

void discard(Stack& stack, Slot& slot, Drop reason) {
    count_drop(stack, reason);
    release(stack, slot);
}

void send_problem(Stack& stack, std::uint8_t code, const PacketBuf& packet, const RxMeta& meta,
                  std::size_t pointer) {
    if constexpr (config::icmp6) {
        icmp6::send_error(stack, icmp6::type_parameter_problem, code, packet, meta,
                          static_cast<std::uint32_t>(pointer));
    } else {
        (void)stack;
        (void)code;
        (void)packet;
        (void)meta;
        (void)pointer;
    }
}

void on_timeout(Stack& stack, void* /*context*/, std::uint32_t index) {
    State& s = state(stack);
    if (index >= s.slots.size()) return;
    Slot& slot = s.slots[index];
    if (!slot.used || !slot.buffer) return;
    slot.timer = TimerId{};
    // RFC 8200 4.5: Time Exceeded code 1 to the source only when the first fragment (offset 0) arrived; it
    // quotes that fragment as received.
    if constexpr (config::icmp6) {
        if (slot.have_first) {
            std::size_t front = std::size_t{slot.unfragmentable_len} + frag_len;
            PacketBuf& buffer = *slot.buffer;
            if (buffer.push(front) != nullptr) {
                buffer.trim(front + slot.first_len);
                RxMeta meta = slot.meta;
                meta.l3_offset = static_cast<std::uint16_t>(buffer.offset());
                ++s.time_exceeded_sent;
                icmp6::send_error(stack, icmp6::type_time_exceeded, icmp6::code_reassembly_time_exceeded,
                                  buffer, meta);
            }
        }
    }
    discard(stack, slot, Drop::ReassemblyTimeout);
}

Slot* find(State& s, const Ipv6Addr& source, const Ipv6Addr& destination, std::uint32_t id) {
    for (Slot& slot : s.slots)
        if (slot.used && slot.identification == id && slot.source == source &&
            slot.destination == destination)
            return &slot;
    return nullptr;
}

Slot& claim(Stack& stack, State& s) {
    Slot* oldest = &s.slots[0];
    for (Slot& slot : s.slots) {
        if (!slot.used) return slot;
        if (slot.started < oldest->started) oldest = &slot;
    }
    discard(stack, *oldest, Drop::ReassemblyEvicted);
    return *oldest;
}

// The offset of the Next Header field that names the header at `target` (walking the unfragmentable part).
std::optional<std::size_t> naming_field(Bytes packet, std::size_t target) {
    std::uint8_t nh = packet[wire::ipv6::field::next_header];
    std::size_t field = wire::ipv6::field::next_header;
    std::size_t at = wire::ipv6::header_len;
    for (std::size_t n = 0; n < max_chain && at < target; ++n) {
        auto ext = wire::ipv6::ExtHeader::parse(nh, packet.subspan(at));
        if (!ext) return std::nullopt;
        field = at;
        nh = ext->next_header();
        at += ext->length();
    }
    if (at != target) return std::nullopt;
    return field;
}

// Removes the 8-octet Fragment header at `fragment_at` from `packet` (which starts at its IPv6 header): the
// unfragmentable part moves up over it; the Next Header field that named it takes its Next Header, and the
// Payload Length shrinks by 8.
void remove_fragment_header(PacketBuf& packet, std::size_t fragment_at, std::size_t nh_field) {
    std::uint8_t* p = packet.data();
    std::uint8_t next = p[fragment_at];
    for (std::size_t i = fragment_at; i > 0; --i)
        p[i - 1 + frag_len] = p[i - 1];
    packet.pull(frag_len);
    p = packet.data();
    p[nh_field] = next;
    store_be16(p + wire::ipv6::field::payload_length,
               static_cast<std::uint16_t>(packet.size() - wire::ipv6::header_len));
}

} // namespace

std::size_t in_progress(Stack& stack) {
    std::size_t n = 0;
    for (const Slot& slot : state(stack).slots)
        if (slot.used) ++n;
    return n;
}

std::optional<PacketBuf> input(Stack& stack, PacketBuf&& packet, std::size_t fragment_offset, RxMeta& meta) {
    State& s = state(stack);
    Bytes bytes = packet.bytes();
    auto view = wire::ipv6::View::parse(bytes);
    if (!view || fragment_offset < wire::ipv6::header_len || fragment_offset + frag_len > bytes.size()) {
        count_drop(stack, Drop::Truncated);
        return std::nullopt;
    }
    auto header = wire::ipv6::ExtHeader::parse(wire::ipv6::nh_fragment, bytes.subspan(fragment_offset));
    auto nh_field = naming_field(bytes, fragment_offset);
    if (!header || !nh_field) {
        count_drop(stack, Drop::BadExtensionHeader);
        return std::nullopt;
    }
    Bytes data = bytes.subspan(fragment_offset + frag_len);
    std::size_t offset = header->fragment_offset();
    std::size_t len = data.size();
    bool more = header->more_fragments();
    std::size_t end = offset + len;

    // RFC 8200 4.5: a fragment that is not the last must carry a multiple of 8 octets: Parameter Problem
    // code 0 pointing at the Payload Length field.
    if (more && (len == 0 || len % 8 != 0)) {
        count_drop(stack, Drop::BadLength);
        send_problem(stack, icmp6::code_erroneous_header, packet, meta, wire::ipv6::field::payload_length);
        return std::nullopt;
    }
    // The reassembled Payload Length would exceed 65,535: Parameter Problem code 0 pointing at the Fragment
    // Offset field.
    if (fragment_offset - wire::ipv6::header_len + end > wire::ipv6::max_payload_len) {
        count_drop(stack, Drop::FragmentOverflow);
        send_problem(stack, icmp6::code_erroneous_header, packet, meta, fragment_offset + 2);
        return std::nullopt;
    }
    // RFC 6946: an atomic fragment (offset 0, M 0) is processed alone, whatever else is in reassembly.
    if (offset == 0 && !more) {
        ++s.atomic;
        remove_fragment_header(packet, fragment_offset, *nh_field);
        meta.l3_offset = static_cast<std::uint16_t>(packet.offset());
        return std::move(packet);
    }
    // RFC 7112 5 / RFC 8200 4.5: the first fragment carries every header up to the upper-layer one.
    if (offset == 0) {
        auto upper = wire::ipv6::find_upper_layer(header->next_header(), data, max_chain);
        if (!upper || (upper->next_header != wire::ipv6::nh_none && upper->offset >= len)) {
            count_drop(stack, Drop::BadExtensionHeader);
            send_problem(stack, code_incomplete_chain, packet, meta, 0);
            return std::nullopt;
        }
    }
    Slot* slot = find(s, view->source(), view->destination(), header->identification());
    if (end > max_payload || (offset == 0 && fragment_offset > max_unfragmentable)) {
        count_drop(stack, Drop::ReassemblyTooBig);
        if (slot != nullptr) release(stack, *slot);
        return std::nullopt;
    }

    if (slot == nullptr) {
        auto buffer = frames(stack).allocate(max_unfragmentable + frag_len);
        if (!buffer || buffer->append(max_payload) == nullptr) {
            count_drop(stack, Drop::PoolExhausted);
            return std::nullopt;
        }
        Slot& fresh = claim(stack, s);
        auto index = static_cast<std::uint32_t>(&fresh - s.slots.data());
        TimerId timer = timers(stack).schedule(now(stack) + config::ipv6_reassembly_timeout_ms, on_timeout,
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
        fresh.identification = header->identification();
        fresh.used = true;
        slot = &fresh;
    }

    // Consistency with the packet's length as far as it is known (a second last fragment that disagrees,
    // data past the end): an overlap in the sense of RFC 5722.
    if (!more) {
        if ((slot->have_last && slot->total != end) || slot->data_end > end) {
            discard(stack, *slot, Drop::FragmentOverlap);
            return std::nullopt;
        }
    } else if (slot->have_last && end >= slot->total) {
        discard(stack, *slot, Drop::FragmentOverlap);
        return std::nullopt;
    }

    // Overlap check (RFC 5722): any block already held means an overlap, unless this fragment is an exact
    // duplicate of one held (same start, same end, same octets; RFC 8200 4.5 lets us drop it alone).
    std::uint8_t* held = slot->buffer->data();
    std::size_t first_block = offset / 8;
    std::size_t end_block = (end + 7) / 8; // one past the last block touched
    bool any_held = false;
    bool all_held = true;
    bool interior_start = false;
    for (std::size_t block = first_block; block < end_block; ++block) {
        if (bit(slot->received, block))
            any_held = true;
        else
            all_held = false;
        if (block != first_block && bit(slot->starts, block)) interior_start = true;
    }
    if (any_held) {
        bool exact = all_held && !interior_start && bit(slot->starts, first_block);
        if (exact) {
            if (end % 8 != 0)
                exact = slot->have_last && slot->total == end;
            else
                exact = end_block >= block_count || !bit(slot->received, end_block) ||
                        bit(slot->starts, end_block);
        }
        for (std::size_t i = 0; exact && i < len; ++i)
            if (held[offset + i] != data[i]) exact = false;
        if (!exact) {
            discard(stack, *slot, Drop::FragmentOverlap);
            return std::nullopt;
        }
        ++s.duplicates;
        return std::nullopt;
    }
    for (std::size_t block = first_block; block < end_block; ++block)
        set_bit(slot->received, block);
    set_bit(slot->starts, first_block);
    copy_bytes(held + offset, data.data(), len);
    if (end > slot->data_end) slot->data_end = static_cast<std::uint32_t>(end);
    if (!more) {
        slot->have_last = true;
        slot->total = static_cast<std::uint32_t>(end);
    }
    if (offset == 0) {
        // The first fragment's unfragmentable part and Fragment header go just before the data; its meta
        // becomes the packet's (RFC 8200 4.5: the unfragmentable part of the reassembled packet is the
        // first fragment's).
        std::size_t front = fragment_offset + frag_len;
        std::uint8_t* h = slot->buffer->push(front);
        if (h == nullptr) {
            discard(stack, *slot, Drop::PoolExhausted);
            return std::nullopt;
        }
        copy_bytes(h, bytes.data(), front);
        slot->buffer->pull(front);
        slot->have_first = true;
        slot->unfragmentable_len = static_cast<std::uint16_t>(fragment_offset);
        slot->nh_field = static_cast<std::uint16_t>(*nh_field);
        slot->first_len = static_cast<std::uint16_t>(len);
        slot->meta = meta;
    }

    if (!slot->have_last || !slot->have_first) return std::nullopt;
    std::size_t blocks = (slot->total + 7) / 8;
    for (std::size_t block = 0; block < blocks; ++block)
        if (!bit(slot->received, block)) return std::nullopt;

    std::size_t total = slot->total;
    std::size_t unfragmentable = slot->unfragmentable_len;
    std::size_t field = slot->nh_field;
    PacketBuf whole = std::move(*slot->buffer);
    meta = slot->meta;
    release(stack, *slot);
    whole.trim(total);
    if (whole.push(unfragmentable + frag_len) == nullptr) {
        count_drop(stack, Drop::PoolExhausted);
        return std::nullopt;
    }
    remove_fragment_header(whole, unfragmentable, field);
    meta.l3_offset = static_cast<std::uint16_t>(whole.offset());
    ++s.reassembled;
    return whole;
}

} // namespace pico::ipv6_reassembly

#if PICO_WITH_IPV6_REASSEMBLY
pico::ipv6_reassembly::State& pico::ipv6_reassembly::state(Stack& stack) {
    return ipv6::state(stack).reassembly.state;
}
#endif
