// Ethernet II input and output (RFC 894).
#include "link/ethernet.hpp"
#include "core/bytes.hpp"
#include "link/device.hpp"
#include "wire/ethernet.hpp"

namespace pico::ethernet {

namespace {
using wire::ethernet::header_len;
// Frames carrying an 802.3 length instead of an EtherType have a value <= 1500 here (RFC 894 vs IEEE 802.3).
using wire::ethernet::min_ethertype;
constexpr std::size_t min_frame_without_fcs = 60;
} // namespace

void input(Stack& stack, PacketBuf&& frame, const RxMeta& meta_in) {
    State& s = state(stack);
    ++s.counters.rx;
    auto view = wire::ethernet::View::parse(frame.bytes());
    if (!view) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    MacAddr destination = view->destination();
    MacAddr source = view->source();
    std::uint16_t ethertype = view->ethertype();

    RxMeta meta = meta_in;
    meta.src_mac = source;
    Device* dev = device(stack, meta.ifindex);
    MacAddr ours = dev != nullptr ? dev->mac() : MacAddr{};

    if (source.is_multicast()) {
        // A group address is never a valid source (IEEE 802.3 3.2.3); often a reflection or a forgery.
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    if (destination.is_broadcast()) {
        meta.link_broadcast = true;
    } else if (destination.is_multicast()) {
        if (!is_member(stack, meta.ifindex, destination)) {
            s.counters.count_drop(Drop::NotForUs);
            return;
        }
        meta.link_multicast = true;
    } else if (!(destination == ours)) {
        s.counters.count_drop(Drop::NotForUs);
        return;
    }
    if (ethertype < min_ethertype) {
        s.counters.count_drop(Drop::UnknownEtherType);
        return;
    }
    frame.pull(header_len);
    deliver_l3(stack, ethertype, std::move(frame), meta);
}

bool send(Stack& stack, IfIndex ifindex, MacAddr destination, std::uint16_t ethertype, PacketBuf&& payload) {
    State& s = state(stack);
    Device* dev = device(stack, ifindex);
    if (dev == nullptr) {
        s.counters.count_drop(Drop::NoDevice);
        return false;
    }
    std::uint8_t* h = payload.push(header_len);
    if (h == nullptr) {
        s.counters.count_drop(Drop::PoolExhausted);
        return false;
    }
    wire::ethernet::Repr{destination, dev->mac(), ethertype}.emit({h, header_len});
    // Pad to the minimum frame size (the device adds the FCS); padding bytes are zero.
    if (payload.size() < min_frame_without_fcs) {
        std::size_t pad = min_frame_without_fcs - payload.size();
        std::uint8_t* tail = payload.append(pad);
        if (tail == nullptr) {
            s.counters.count_drop(Drop::PoolExhausted);
            return false;
        }
        fill_bytes(tail, 0, pad);
    }
    ++s.counters.tx;
    return transmit(stack, ifindex, std::move(payload));
}

bool join_group(Stack& stack, IfIndex ifindex, MacAddr group) {
    if (ifindex >= config::max_devices || !group.is_multicast()) return false;
    GroupTable& table = state(stack).group_tables[ifindex];
    std::size_t free_slot = table.groups.size();
    for (std::size_t i = 0; i < table.groups.size(); ++i) {
        if (table.refs[i] != 0 && table.groups[i] == group) {
            if (table.refs[i] == 0xff) return false;
            ++table.refs[i];
            return true;
        }
        if (table.refs[i] == 0 && free_slot == table.groups.size()) free_slot = i;
    }
    if (free_slot == table.groups.size()) return false;
    table.groups[free_slot] = group;
    table.refs[free_slot] = 1;
    return true;
}

bool leave_group(Stack& stack, IfIndex ifindex, MacAddr group) {
    if (ifindex >= config::max_devices) return false;
    GroupTable& table = state(stack).group_tables[ifindex];
    for (std::size_t i = 0; i < table.groups.size(); ++i) {
        if (table.refs[i] != 0 && table.groups[i] == group) {
            --table.refs[i];
            return true;
        }
    }
    return false;
}

bool is_member(Stack& stack, IfIndex ifindex, MacAddr group) {
    if (ifindex >= config::max_devices) return false;
    const GroupTable& table = state(stack).group_tables[ifindex];
    for (std::size_t i = 0; i < table.groups.size(); ++i)
        if (table.refs[i] != 0 && table.groups[i] == group) return true;
    return false;
}

} // namespace pico::ethernet
