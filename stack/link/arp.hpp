// ARP (RFC 826, RFC 1122 2.3.2) with RFC 5227 address conflict detection.
//
// A bounded cache with expiry; resolution retransmits a request a limited number of times and queues a few
// datagrams per unresolved address (RFC 1122 2.3.2.2: at least the latest; config::arp_queue_per_entry, so
// that the fragments of one datagram survive resolution; on overflow the oldest is dropped, QueueFull; all
// queues together hold at most queue_limit frames); replies to requests for our addresses;
// a gratuitous ARP announcement when an address is added; the RFC 826 merge rule (an unsolicited packet only
// updates an entry that exists, it never creates one unless it is a request for us).
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "link/packet_queue.hpp"
#include <array>
#include <cstdint>
#include <optional>

namespace pico::arp {

// Timing (milliseconds). RFC 1122 2.3.2.1 asks for a timeout on entries; 60 s like most hosts.
inline constexpr TimeMs entry_lifetime_ms = 60'000;
inline constexpr TimeMs request_interval_ms = 1'000;
inline constexpr std::uint8_t request_attempts = 3;
// RFC 5227 section 2.4 (b): at most one defensive announcement per DEFEND_INTERVAL.
inline constexpr TimeMs defend_interval_ms = 10'000;
// RFC 5227 section 1.1: ANNOUNCE_NUM announcements, ANNOUNCE_INTERVAL apart.
inline constexpr std::uint8_t announce_count = 2;
inline constexpr TimeMs announce_interval_ms = 2'000;
// Datagrams all ARP queues hold together (pool frames).
inline constexpr std::size_t queue_limit = resolution_queue_limit(config::arp_queue_frames);

enum class EntryState : std::uint8_t { Free, Incomplete, Reachable };

struct Entry {
    EntryState state = EntryState::Free;
    IfIndex ifindex = no_interface;
    Ipv4Addr ip{};
    MacAddr mac{};
    TimeMs expires = 0;      // Reachable: when the entry ages out
    TimeMs next_request = 0; // Incomplete: when to send the next request
    std::uint8_t attempts = 0;
    PacketQueue<config::arp_queue_per_entry> pending; // queued datagrams, oldest first
    Ipv4Addr request_source{}; // Incomplete: sender IP of our requests (the newest datagram's source)
};

// Called when another host claims one of our addresses (RFC 5227 section 2.4).
using ConflictFn = void (*)(void* context, IfIndex ifindex, Ipv4Addr address, MacAddr other);

// An address still to be announced again (RFC 5227 2.3).
struct PendingAnnouncement {
    IfIndex ifindex = no_interface; // no_interface: slot free
    Ipv4Addr address{};
    TimeMs due = 0;
    std::uint8_t remaining = 0;
};

struct State {
    ModuleCounters counters; // tx: ARP packets sent (requests, replies, announcements), not datagrams
    std::array<Entry, config::arp_entries> entries{};
    ConflictFn on_conflict = nullptr;
    void* conflict_context = nullptr;
    std::uint32_t conflicts = 0;
    TimeMs last_defend = 0;
    bool defended_once = false;
    std::array<PendingAnnouncement, config::max_devices * config::ipv4_addrs_per_device> announcements{};
    std::uint16_t queued = 0; // datagrams in all the entries' queues (<= queue_limit)
};

State& state(Stack& stack);

// Input hook: an ARP packet (Ethernet header already pulled).
void input(Stack& stack, PacketBuf&& packet, const RxMeta& meta);
// Sends an IPv4 datagram to next_hop on ifindex, resolving its MAC first if needed. False if dropped
// (counted).
bool send_ipv4(Stack& stack, IfIndex ifindex, Ipv4Addr next_hop, PacketBuf&& datagram);
// Announces an address just added (RFC 5227 section 2.3): a gratuitous ARP now and announce_count - 1 more,
// announce_interval_ms apart, from tick(). A later announce of the same address restarts the sequence.
void announce(Stack& stack, IfIndex ifindex, Ipv4Addr address);
// Retransmits requests, ages entries out; called from Stack::poll.
void tick(Stack& stack, TimeMs now);
void set_conflict_handler(Stack& stack, ConflictFn fn, void* context);
std::optional<MacAddr> lookup(Stack& stack, IfIndex ifindex, Ipv4Addr address);
// Removes every entry of an interface (device detached, address removed).
void flush(Stack& stack, IfIndex ifindex);
// Forgets a resolved entry (negative advice from a transport, RFC 1122 3.3.1.4): the next datagram to
// `address` resolves it afresh with a request, so a neighbour that went away or changed its hardware
// address is noticed. An entry still being resolved is left alone. True when an entry was removed.
bool invalidate(Stack& stack, IfIndex ifindex, Ipv4Addr address);

} // namespace pico::arp
