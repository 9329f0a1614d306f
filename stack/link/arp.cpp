// ARP for IPv4 over Ethernet: RFC 826 (packet reception and the merge rule), RFC 1122 2.3.2 (cache timeout,
// flood prevention, one queued datagram per unresolved address) and RFC 5227 (address conflict detection
// and defence, announcements).
//
// The cache is a fixed table (config::arp_entries). An entry is Incomplete while its address is being
// resolved (it holds the newest datagram for that address and retransmits the request from tick()), and
// Reachable once an answer arrived, until it ages out. ARP never includes the network layer: it asks
// is_local_ipv4() whether an address is ours, and takes the sender address of its requests from the IPv4
// header of the datagram it is resolving for.
#include "link/arp.hpp"
#include "core/bytes.hpp"
#include "link/device.hpp"
#include "link/ethernet.hpp"
#include "wire/arp.hpp"
#include "wire/ethernet.hpp"

namespace pico::arp {

namespace {

using wire::arp::Operation;
using wire::arp::Repr;

static_assert(config::frame_headroom >= wire::ethernet::header_len, "ARP frames need room for Ethernet");

// Offset of the source address in an IPv4 header (RFC 791 3.1), and the shortest header.
constexpr std::size_t ipv4_source_offset = 12;
constexpr std::size_t ipv4_min_header = 20;

// Frees an entry; each datagram still queued on it is dropped and counted with `why`.
void free_entry(State& s, Entry& entry, Drop why = Drop::Unresolved) {
    for (std::size_t i = entry.pending.size(); i > 0; --i)
        s.counters.count_drop(why);
    s.queued = static_cast<std::uint16_t>(s.queued - entry.pending.clear());
    entry = Entry{};
}

// Drops the oldest datagram of the longest queue to make room under queue_limit (QueueFull).
void make_room(State& s) {
    Entry* longest = nullptr;
    for (Entry& entry : s.entries)
        if (entry.pending.size() > 0 &&
            (longest == nullptr || entry.pending.size() > longest->pending.size()))
            longest = &entry;
    if (longest == nullptr) return;
    longest->pending.pop();
    --s.queued;
    s.counters.count_drop(Drop::QueueFull);
}

// RFC 1122 2.3.2.2: queues a datagram for an unresolved address; when the entry's queue (or all the
// queues together) is full, the oldest datagram is dropped (QueueFull) so that the newest is kept.
void enqueue(State& s, Entry& entry, PacketBuf&& datagram) {
    if (entry.pending.full()) {
        entry.pending.pop();
        --s.queued;
        s.counters.count_drop(Drop::QueueFull);
    } else if (s.queued >= queue_limit) {
        make_room(s);
    }
    if (entry.pending.push(std::move(datagram))) ++s.queued;
}

Entry* find(State& s, IfIndex ifindex, Ipv4Addr ip) {
    for (Entry& entry : s.entries)
        if (entry.state != EntryState::Free && entry.ifindex == ifindex && entry.ip == ip) return &entry;
    return nullptr;
}

// A free slot, or the Reachable entry closest to expiry (the least recently confirmed) evicted for it.
// Incomplete entries are never evicted: each holds a datagram somebody is waiting for. nullptr when every
// entry is Incomplete.
Entry* allocate(State& s) {
    Entry* oldest = nullptr;
    for (Entry& entry : s.entries) {
        if (entry.state == EntryState::Free) return &entry;
        if (entry.state == EntryState::Reachable && (oldest == nullptr || entry.expires < oldest->expires))
            oldest = &entry;
    }
    if (oldest != nullptr) free_entry(s, *oldest);
    return oldest;
}

// Builds an ARP packet in a fresh frame and hands it to Ethernet. Counted in tx when Ethernet took it
// (Ethernet and the device count their own drops).
bool send_packet(Stack& stack, IfIndex ifindex, MacAddr link_destination, const Repr& repr) {
    State& s = state(stack);
    auto frame = frames(stack).allocate(config::frame_headroom);
    if (!frame) {
        s.counters.count_drop(Drop::PoolExhausted);
        return false;
    }
    std::uint8_t* body = frame->append(Repr::buffer_len());
    if (body == nullptr || !repr.emit({body, Repr::buffer_len()})) {
        s.counters.count_drop(Drop::PoolExhausted);
        return false;
    }
    if (!ethernet::send(stack, ifindex, link_destination, ethernet::type_arp, std::move(*frame)))
        return false;
    ++s.counters.tx;
    return true;
}

// RFC 826 "Packet Generation": a broadcast request for target, from our address `source`.
bool send_request(Stack& stack, IfIndex ifindex, MacAddr our_mac, Ipv4Addr source, Ipv4Addr target) {
    Repr request{Operation::Request, our_mac, source, MacAddr{}, target};
    return send_packet(stack, ifindex, MacAddr::broadcast(), request);
}

// Marks an entry resolved to mac and releases the datagrams that waited for it.
void resolve(Stack& stack, Entry& entry, MacAddr mac, TimeMs now) {
    entry.mac = mac;
    // RFC 1122 2.3.2.1: entries time out; a fresh answer (any merge) restarts the lifetime.
    entry.expires = now + entry_lifetime_ms;
    if (entry.state == EntryState::Reachable) return;
    entry.state = EntryState::Reachable;
    entry.attempts = 0;
    // Every queued datagram, oldest first (the fragments of a datagram leave in order).
    State& s = state(stack);
    for (std::size_t i = entry.pending.size(); i > 0; --i) {
        auto datagram = entry.pending.pop();
        if (!datagram) break;
        --s.queued;
        ethernet::send(stack, entry.ifindex, mac, ethernet::type_ipv4, std::move(*datagram));
    }
}

// One ARP Announcement (RFC 5227 2.3): a request, broadcast, with sender and target IP both the address
// announced and a zero target hardware address (the same form RFC 5227 2.4 (b) uses to defend).
bool send_announcement(Stack& stack, IfIndex ifindex, Ipv4Addr address) {
    State& s = state(stack);
    const Device* dev = device(stack, ifindex);
    if (dev == nullptr) {
        s.counters.count_drop(Drop::NoDevice);
        return false;
    }
    send_packet(stack, ifindex, MacAddr::broadcast(),
                Repr{Operation::Request, dev->mac(), address, MacAddr{}, address});
    return true;
}

// RFC 5227 2.4: another host claims one of our addresses.
void on_conflict(Stack& stack, IfIndex ifindex, Ipv4Addr address, MacAddr other) {
    State& s = state(stack);
    s.counters.count_drop(Drop::Conflict);
    ++s.conflicts;
    if (s.on_conflict != nullptr) s.on_conflict(s.conflict_context, ifindex, address, other);
    // The handler may have given the address up (option (a)); then there is nothing to defend.
    if (!is_local_ipv4(stack, ifindex, address)) return;
    // 2.4 (b): defend with one announcement, at most once per DEFEND_INTERVAL; a conflict arriving sooner
    // is only reported (defending again would start an announcement war, 2.4 (c)).
    TimeMs t = now(stack);
    if (s.defended_once && t - s.last_defend < defend_interval_ms) return;
    s.defended_once = true;
    s.last_defend = t;
    send_announcement(stack, ifindex, address);
}

} // namespace

void input(Stack& stack, PacketBuf&& packet, const RxMeta& meta) {
    State& s = state(stack);
    ++s.counters.rx;
    auto view = wire::arp::View::parse(packet.bytes());
    if (!view) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    // RFC 826 "Packet Reception": ar$hrd and ar$pro must be ones we speak (Ethernet, IPv4), with their
    // lengths; then the opcode (request or reply only).
    Drop why = Drop::BadHardware;
    auto arp = Repr::parse(*view, &why);
    if (!arp) {
        s.counters.count_drop(why);
        return;
    }
    const Device* dev = device(stack, meta.ifindex);
    if (dev == nullptr) {
        s.counters.count_drop(Drop::NoDevice);
        return;
    }
    const MacAddr our_mac = dev->mac();
    const IfIndex ifindex = meta.ifindex;
    // No host has a broadcast or multicast address (RFC 1122 3.2.1.3 forbids them as a source IP; a group
    // MAC is never a station's own, IEEE 802.3 3.2.3): caching one would map a neighbour to everybody.
    if (arp->sender_ip.is_limited_broadcast() || arp->sender_ip.is_multicast() ||
        arp->sender_mac.is_multicast() || arp->sender_mac.is_zero()) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    if (arp->sender_mac == our_mac) {
        // Our own packet reflected back to us (a loop, or a switch echoing): nothing to learn from it, and
        // not a conflict (RFC 5227 2.4 only counts a sender hardware address that is not ours).
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    // RFC 5227 2.4: a sender IP that is ours, from another MAC, is a conflict. Never cached, never answered.
    if (!arp->sender_ip.is_unspecified() && is_local_ipv4(stack, ifindex, arp->sender_ip)) {
        on_conflict(stack, ifindex, arp->sender_ip, arp->sender_mac);
        return;
    }
    const bool target_is_ours = is_local_ipv4(stack, ifindex, arp->target_ip);
    const bool is_request = arp->operation == Operation::Request;
    const TimeMs t = now(stack);

    if (arp->sender_ip.is_unspecified()) {
        // RFC 5227 2.1.1: an ARP probe (sender IP 0.0.0.0) from a host that wants an address. If it wants
        // ours, our ordinary reply is what tells it of the conflict; a probe teaches us no mapping.
        if (is_request && target_is_ours) {
            send_packet(stack, ifindex, arp->sender_mac,
                        Repr{Operation::Reply, our_mac, arp->target_ip, arp->sender_mac, arp->sender_ip});
        } else {
            s.counters.count_drop(Drop::NotForUs);
        }
        return;
    }

    // RFC 826 "Packet Reception": if the pair <protocol type, sender protocol address> is already in the
    // table, update the sender hardware address (Merge_flag = true). Done for every packet, even one that is
    // not for us, so a host that changed its MAC is followed at once.
    bool merged = false;
    if (Entry* entry = find(s, ifindex, arp->sender_ip)) {
        resolve(stack, *entry, arp->sender_mac, t);
        merged = true;
    }
    // "?Am I the target protocol address?" - if not, we are done: no new entry for somebody else's
    // conversation (it would fill the table with hosts we never talk to).
    if (!target_is_ours) {
        if (!merged) s.counters.count_drop(Drop::NotForUs);
        return;
    }
    if (!is_request) {
        // A reply for us that answers no question of ours (no entry): unsolicited, never creates an entry.
        if (!merged) s.counters.count_drop(Drop::NotForUs);
        return;
    }
    // A request for us: the requester is about to talk to us, so learn it ("If Merge_flag is false, add the
    // triplet"), then answer: swap the sender and target fields, put in our hardware address, opcode reply,
    // and send it to the requester (RFC 826).
    if (!merged) {
        if (Entry* entry = allocate(s)) {
            entry->state = EntryState::Reachable;
            entry->ifindex = ifindex;
            entry->ip = arp->sender_ip;
            entry->mac = arp->sender_mac;
            entry->expires = t + entry_lifetime_ms;
        } else {
            s.counters.count_drop(Drop::PoolExhausted); // the mapping is lost; the reply still goes out
        }
    }
    send_packet(stack, ifindex, arp->sender_mac,
                Repr{Operation::Reply, our_mac, arp->target_ip, arp->sender_mac, arp->sender_ip});
}

bool send_ipv4(Stack& stack, IfIndex ifindex, Ipv4Addr next_hop, PacketBuf&& datagram) {
    State& s = state(stack);
    const Device* dev = device(stack, ifindex);
    if (dev == nullptr) {
        s.counters.count_drop(Drop::NoDevice);
        return false;
    }
    // Addresses that map to a link address without asking: limited broadcast (RFC 1122 3.3.6: link
    // broadcast) and IPv4 multicast (RFC 1112 6.4).
    if (next_hop.is_limited_broadcast())
        return ethernet::send(stack, ifindex, MacAddr::broadcast(), ethernet::type_ipv4, std::move(datagram));
    if (next_hop.is_multicast()) {
        return ethernet::send(stack, ifindex, wire::ethernet::ipv4_multicast_mac(next_hop),
                              ethernet::type_ipv4, std::move(datagram));
    }
    if (next_hop.is_unspecified()) {
        s.counters.count_drop(Drop::BadAddress);
        return false;
    }
    const TimeMs t = now(stack);
    Entry* entry = find(s, ifindex, next_hop);
    if (entry != nullptr && entry->state == EntryState::Reachable && t < entry->expires)
        return ethernet::send(stack, ifindex, entry->mac, ethernet::type_ipv4, std::move(datagram));

    // Not resolved. Our requests need a sender IP: the source of the datagram we resolve for (the caller
    // hands us a whole IPv4 datagram).
    if (datagram.size() < ipv4_min_header) {
        s.counters.count_drop(Drop::Truncated);
        return false;
    }
    const Ipv4Addr source = Ipv4Addr::load(datagram.data() + ipv4_source_offset);
    if (entry != nullptr && entry->state == EntryState::Incomplete) {
        // RFC 1122 2.3.2.2: keep the datagrams for an unresolved address, at least the latest (enqueue).
        // The request already in flight is not repeated now: tick() paces them.
        enqueue(s, *entry, std::move(datagram));
        entry->request_source = source;
        return true;
    }
    if (entry == nullptr) {
        entry = allocate(s);
        if (entry == nullptr) {
            s.counters.count_drop(Drop::PoolExhausted); // every entry is resolving for somebody
            return false;
        }
        entry->ifindex = ifindex;
        entry->ip = next_hop;
    }
    // A new entry, or a Reachable one that has aged out: resolve (again).
    entry->state = EntryState::Incomplete;
    enqueue(s, *entry, std::move(datagram));
    entry->request_source = source;
    entry->attempts = 1;
    // RFC 1122 2.3.2.1: no more than one request per second per destination (request_interval_ms).
    entry->next_request = t + request_interval_ms;
    send_request(stack, ifindex, dev->mac(), source, next_hop);
    return true;
}

void announce(Stack& stack, IfIndex ifindex, Ipv4Addr address) {
    State& s = state(stack);
    if (!send_announcement(stack, ifindex, address)) return;
    // Remember the repetitions: reuse this address's slot if it is being announced already, else a free one.
    // The table has a slot for every address the stack can hold, so it cannot run out in practice; if it did,
    // the address would still have been announced once.
    PendingAnnouncement* slot = nullptr;
    for (PendingAnnouncement& p : s.announcements) {
        if (p.ifindex == ifindex && p.address == address) {
            slot = &p;
            break;
        }
        if (slot == nullptr && p.ifindex == no_interface) slot = &p;
    }
    if (slot == nullptr || announce_count < 2) return;
    *slot = PendingAnnouncement{ifindex, address, now(stack) + announce_interval_ms,
                                static_cast<std::uint8_t>(announce_count - 1)};
}

void tick(Stack& stack, TimeMs now) {
    State& s = state(stack);
    for (PendingAnnouncement& p : s.announcements) {
        if (p.ifindex == no_interface || now < p.due) continue;
        // An address removed meanwhile is not announced any more.
        if (is_local_ipv4(stack, p.ifindex, p.address)) send_announcement(stack, p.ifindex, p.address);
        if (--p.remaining == 0) {
            p = PendingAnnouncement{};
        } else {
            p.due = now + announce_interval_ms;
        }
    }
    for (Entry& entry : s.entries) {
        if (entry.state == EntryState::Reachable) {
            if (now >= entry.expires) free_entry(s, entry); // RFC 1122 2.3.2.1: cache timeout
            continue;
        }
        if (entry.state != EntryState::Incomplete || now < entry.next_request) continue;
        if (entry.attempts >= request_attempts) {
            // The neighbour never answered: the held datagrams cannot be delivered.
            free_entry(s, entry, Drop::Unresolved);
            continue;
        }
        const Device* dev = device(stack, entry.ifindex);
        if (dev == nullptr) {
            free_entry(s, entry, Drop::NoDevice);
            continue;
        }
        ++entry.attempts;
        entry.next_request = now + request_interval_ms;
        send_request(stack, entry.ifindex, dev->mac(), entry.request_source, entry.ip);
    }
}

void set_conflict_handler(Stack& stack, ConflictFn fn, void* context) {
    state(stack).on_conflict = fn;
    state(stack).conflict_context = context;
}

std::optional<MacAddr> lookup(Stack& stack, IfIndex ifindex, Ipv4Addr address) {
    const Entry* entry = find(state(stack), ifindex, address);
    if (entry == nullptr || entry->state != EntryState::Reachable || now(stack) >= entry->expires)
        return std::nullopt;
    return entry->mac;
}

void flush(Stack& stack, IfIndex ifindex) {
    State& s = state(stack);
    for (Entry& entry : s.entries) {
        if (entry.state == EntryState::Free || entry.ifindex != ifindex) continue;
        free_entry(s, entry, Drop::Unresolved);
    }
}

bool invalidate(Stack& stack, IfIndex ifindex, Ipv4Addr address) {
    State& s = state(stack);
    for (Entry& entry : s.entries) {
        if (entry.state != EntryState::Reachable || entry.ifindex != ifindex || entry.ip != address) continue;
        free_entry(s, entry);
        return true;
    }
    return false;
}

} // namespace pico::arp
