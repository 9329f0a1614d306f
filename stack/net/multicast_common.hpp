// The host side of IGMPv3 (RFC 3376 5, 7) and MLDv2 (RFC 3810 6, 8): one state machine over two address
// families. igmp.cpp and mld.cpp each instantiate multicast::Engine with their Traits (address type, message
// formats, send path, link-layer groups); neither needs the other's family, so each module builds alone.
//
// Membership model (the service interface of RFC 3376 3 / RFC 3810 3): a group on a device has two kinds of
// reception requests, merged into its interface state by the rules of RFC 3376 3.2 / RFC 3810 4.2:
//   - device-level any-source joins (join/leave), reference counted: each is EXCLUDE({});
//   - the sockets' IPMulticastListen requests, which the socket layer (udp.cpp) merges over its sockets and
//     hands over as one filter (set_socket_filter): INCLUDE(A) or EXCLUDE(X), INCLUDE({}) for none.
// Any EXCLUDE makes the interface state EXCLUDE(intersection of the EXCLUDE lists minus the INCLUDE
// sources); else INCLUDE(union). An EXCLUDE({}) join therefore wins over any socket filter.
//
// State-change reports (RFC 3376 5.1 / RFC 3810 6.1): a filter mode change sends TO_EX(X) / TO_IN(A), a
// source list change ALLOW(new) and BLOCK(old). Each is sent at once and retransmitted [Robustness
// Variable] - 1 more times at random intervals in (0, [Unsolicited Report Interval]). A further change
// while retransmissions are pending is merged (the documented simplification of the per-source
// retransmission counters of 5.1): a pending filter mode change stays a filter mode change record with the
// new state; else the new ALLOW sources leave the pending BLOCK list and join the ALLOW list (and the
// reverse), and the whole pending change is sent and its count restarted. A pending list that would not fit
// (config::multicast_sources) becomes a filter mode change record of the full state (TO_IN(A) / TO_EX(X)
// states the whole filter, so nothing is lost).
//
// Current-state answers (RFC 3376 5.2 / RFC 3810 6.3): IS_IN(A) / IS_EX(X) to general and group-specific
// queries; to a group-and-source-specific query with sources B, IS_IN(A*B) for INCLUDE(A), IS_IN(B-X) for
// EXCLUDE(X), nothing when that set is empty. In IGMPv1/v2 and MLDv1 compatibility mode source lists are
// ignored (RFC 3376 7.2.1 / RFC 3810 8.3.1): a group with any reception state is reported, a change to
// INCLUDE({}) sends the Leave / Done, source changes send nothing.
//
// Timers are absolute deadlines in the tables, checked by tick(now) (Stack::poll): bounded by groups x
// devices.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "link/device.hpp"
#include "link/ethernet.hpp"
#include "port/platform.hpp"
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

namespace pico::multicast {

inline constexpr TimeMs never = std::numeric_limits<TimeMs>::max();

// Host Compatibility Mode (RFC 3376 7.2.1, RFC 3810 8.2.1): Current is IGMPv3 / MLDv2, Older IGMPv2 / MLDv1,
// Oldest IGMPv1 (MLD has no third version).
enum class Mode : std::uint8_t { Current, Older, Oldest };

// Record types (RFC 3376 4.2.12, RFC 3810 5.2.12).
inline constexpr std::uint8_t mode_is_include = 1;
inline constexpr std::uint8_t mode_is_exclude = 2;
inline constexpr std::uint8_t change_to_include = 3;
inline constexpr std::uint8_t change_to_exclude = 4;
inline constexpr std::uint8_t allow_new_sources = 5;
inline constexpr std::uint8_t block_old_sources = 6;

// Default timer values (RFC 3376 8, RFC 3810 9): Robustness Variable 2, Query Interval 125 s, Query Response
// Interval 10 s; the Unsolicited Report Interval is the family's (1 s for v3/MLDv2, 10 s for v1/v2/MLDv1).
inline constexpr std::uint8_t default_robustness = 2;
inline constexpr TimeMs default_query_interval_ms = 125'000;

// ---- Family-independent pieces of igmp.cpp and mld.cpp

// Joins / leaves the link-layer group of a multicast address on an Ethernet device (other link types
// deliver every frame: nothing to do).
inline bool link_join_mac(Stack& stack, IfIndex ifindex, MacAddr mac) {
    if constexpr (config::ethernet) {
        Device* dev = device(stack, ifindex);
        if (dev != nullptr && dev->link_type() == LinkType::Ethernet)
            return ethernet::join_group(stack, ifindex, mac);
    }
    (void)stack;
    (void)ifindex;
    (void)mac;
    return true;
}
inline void link_leave_mac(Stack& stack, IfIndex ifindex, MacAddr mac) {
    if constexpr (config::ethernet) {
        Device* dev = device(stack, ifindex);
        if (dev != nullptr && dev->link_type() == LinkType::Ethernet)
            ethernet::leave_group(stack, ifindex, mac);
    }
    (void)stack;
    (void)ifindex;
    (void)mac;
}

// A message (wire Repr with buffer_len() and emit()) in a pool frame; nullopt when no frame is free
// (counted PoolExhausted on `counters`).
template <class Repr>
std::optional<PacketBuf> build_message(Stack& stack, ModuleCounters& counters, const Repr& repr) {
    auto buf = frames(stack).allocate(config::frame_headroom);
    std::uint8_t* at = buf ? buf->append(repr.buffer_len()) : nullptr;
    if (at == nullptr || !repr.emit(MutBytes{at, repr.buffer_len()})) {
        counters.count_drop(Drop::PoolExhausted);
        return std::nullopt;
    }
    return buf;
}

// A bounded set of source addresses (no order, no duplicates).
template <class Addr, std::size_t N> struct SourceSet {
    static_assert(N <= 255, "source sets are counted in a byte");
    std::uint8_t count = 0;
    std::array<Addr, N> items{};

    std::span<const Addr> span() const { return std::span<const Addr>{items.data(), count}; }
    bool contains(const Addr& a) const {
        for (std::size_t k = 0; k < count; ++k)
            if (items[k] == a) return true;
        return false;
    }
    bool add(const Addr& a) { // false: no room
        if (contains(a)) return true;
        if (count >= N) return false;
        items[count++] = a;
        return true;
    }
    void remove(const Addr& a) {
        for (std::size_t k = 0; k < count; ++k) {
            if (items[k] == a) {
                items[k] = items[count - 1u];
                --count;
                return;
            }
        }
    }
    void clear() { count = 0; }
    bool same(const SourceSet& other) const {
        if (count != other.count) return false;
        for (std::size_t k = 0; k < count; ++k)
            if (!other.contains(items[k])) return false;
        return true;
    }
};

// A filter: INCLUDE(sources) or EXCLUDE(sources); INCLUDE({}) is "no reception state".
template <class Addr, std::size_t N> struct Filter {
    bool exclude = false;
    SourceSet<Addr, N> sources{};

    bool has_state() const { return exclude || sources.count > 0; }
    bool same(const Filter& other) const { return exclude == other.exclude && sources.same(other.sources); }
    // Does the filter let traffic from `source` through?
    bool admits(const Addr& source) const { return exclude != sources.contains(source); }
};

template <class Addr, std::size_t QuerySources, std::size_t FilterSources> struct Group {
    using FilterT = Filter<Addr, FilterSources>;
    Addr address{};
    bool used = false;
    std::uint16_t refs = 0; // device-level any-source joins held (each EXCLUDE({}))
    FilterT sockets{};      // the sockets' merged filter (set_socket_filter)
    FilterT state{};        // the interface state: refs and sockets merged (RFC 3376 3.2)
    // The state-change being retransmitted: a filter mode change record of `state`, else ALLOW/BLOCK.
    bool pending_mode_change = false;
    SourceSet<Addr, FilterSources> allow{};
    SourceSet<Addr, FilterSources> block{};
    std::uint8_t retransmits = 0; // state-change reports still to send after the first
    TimeMs retransmit_at = never;
    TimeMs respond_at = never;     // group timer: answer to a group (and source) specific query; v1/v2: any
    std::uint8_t source_count = 0; // sources recorded from group-and-source queries (0: group-specific)
    std::array<Addr, QuerySources> sources{};
};

template <class Addr, std::size_t Groups, std::size_t Sources,
          std::size_t FilterSources = config::multicast_sources>
struct Interface {
    std::array<Group<Addr, Sources, FilterSources>, Groups> groups{};
    TimeMs general_at = never;   // interface timer: answer to a General Query (RFC 3376 5.2 rule 2)
    TimeMs older_until = never;  // IGMPv2 / MLDv1 Querier Present timer (never: not running)
    TimeMs oldest_until = never; // IGMPv1 Querier Present timer
    Mode mode = Mode::Current;
    std::uint8_t robustness = default_robustness;         // from the querier's QRV
    TimeMs query_interval_ms = default_query_interval_ms; // from the querier's QQIC
};

// A received query, family independent.
template <class Addr> struct Query {
    Mode version = Mode::Current; // the version of the query (Oldest: IGMPv1)
    Addr group{};                 // unspecified: General Query
    bool general = true;
    TimeMs max_resp_ms = 0;
    std::uint8_t qrv = 0;            // 0: not given
    TimeMs qqi_ms = 0;               // 0: not given
    std::span<const Addr> sources{}; // group-and-source query (as many as fit the caller's buffer)
    bool sources_overflow = false;   // the query listed more sources than could be recorded
};

// Traits T supplies:
//   using Addr; using Record (wire group record: {type, group, std::span<const Addr> sources}, buffer_len());
//   static constexpr std::size_t groups, sources (query sources recorded per group);
//   static constexpr std::size_t report_budget (octets of records per report);
//   static constexpr TimeMs unsolicited_current_ms, unsolicited_older_ms;
//   static Interface<Addr, groups, sources>* interface(Stack&, IfIndex);   (nullptr: no such device)
//   static ModuleCounters& counters(Stack&);
//   static bool reportable(const Addr&);                 (all-hosts / all-nodes and scopes 0-1 never are)
//   static bool permanent(const Addr&);                  (all-hosts / all-nodes: always joined, no state)
//   static bool link_join(Stack&, IfIndex, const Addr&); static void link_leave(Stack&, IfIndex, const
//   Addr&); static void send_report(Stack&, IfIndex, std::span<const Record>);   (IGMPv3 / MLDv2 report)
//   static void send_older_report(Stack&, IfIndex, Mode, const Addr&);   (v1/v2 report, MLDv1 report)
//   static void send_older_leave(Stack&, IfIndex, Mode, const Addr&);    (v2 Leave, MLDv1 Done)
template <class T> struct Engine {
    using Addr = typename T::Addr;
    using Record = typename T::Record;
    using Iface = Interface<Addr, T::groups, T::sources>;
    using GroupT = Group<Addr, T::sources, config::multicast_sources>;
    using FilterT = typename GroupT::FilterT;

    // A delay drawn from [0, max_ms) (RFC 3376 5.2, RFC 3810 6.2: "a random amount of time between 0 and
    // [Maximum Response Delay]").
    static TimeMs response_delay(Stack& stack, TimeMs max_ms) {
        if (max_ms == 0) return 0;
        return platform(stack).random_u32() % max_ms;
    }
    // A retransmission interval from (0, interval_ms) (RFC 3376 5.1, RFC 3810 6.1).
    static TimeMs retransmit_delay(Stack& stack, TimeMs interval_ms) {
        if (interval_ms <= 1) return 1;
        return 1 + platform(stack).random_u32() % (interval_ms - 1);
    }
    static TimeMs unsolicited_interval(const Iface& i) {
        return i.mode == Mode::Current ? T::unsolicited_current_ms : T::unsolicited_older_ms;
    }

    static GroupT* find(Iface& i, const Addr& group) {
        for (GroupT& g : i.groups)
            if (g.used && g.address == group) return &g;
        return nullptr;
    }
    // The group if it has reception state (an interface state other than INCLUDE({})).
    static GroupT* find_joined(Iface& i, const Addr& group) {
        GroupT* g = find(i, group);
        return g != nullptr && g->state.has_state() ? g : nullptr;
    }
    // The group's entry, a free one taken for it when there is none; nullptr when the table is full.
    static GroupT* find_or_take(Stack& stack, Iface& i, const Addr& group) {
        if (GroupT* g = find(i, group)) return g;
        for (GroupT& candidate : i.groups) {
            if (!candidate.used) {
                candidate = GroupT{};
                candidate.address = group;
                candidate.used = true;
                return &candidate;
            }
        }
        // The table (config::igmp_groups / mld_groups per device) is full.
        T::counters(stack).count_drop(Drop::PoolExhausted);
        return nullptr;
    }
    // Frees an entry that holds nothing: no state and no report still to retransmit.
    static void release_if_idle(GroupT& g) {
        if (g.refs == 0 && !g.sockets.has_state() && !g.state.has_state() && g.retransmits == 0) g = GroupT{};
    }
    // RFC 3376 3.2 / RFC 3810 4.2: an any-source join (EXCLUDE({})) wins over every socket filter.
    static FilterT merged(const GroupT& g) {
        if (g.refs > 0) return FilterT{true, {}};
        return g.sockets;
    }

    // RFC 3376 7.2.1 / RFC 3810 8.2.1: "whenever a host changes its compatibility mode, it cancels all its
    // pending response and retransmission timers".
    static void set_mode(Iface& i, Mode mode) {
        if (i.mode == mode) return;
        i.mode = mode;
        i.general_at = never;
        for (GroupT& g : i.groups) {
            g.respond_at = never;
            g.retransmit_at = never;
            g.retransmits = 0;
            g.source_count = 0;
            g.pending_mode_change = false;
            g.allow.clear();
            g.block.clear();
            if (g.used) release_if_idle(g);
        }
    }
    static void update_mode(Iface& i, TimeMs now) {
        if (i.oldest_until != never && i.oldest_until <= now) i.oldest_until = never;
        if (i.older_until != never && i.older_until <= now) i.older_until = never;
        set_mode(i, i.oldest_until != never  ? Mode::Oldest
                    : i.older_until != never ? Mode::Older
                                             : Mode::Current);
    }

    // Sends records, as many reports as the budget needs (every record fits one: the filter lists are
    // bounded by config::multicast_sources).
    static void send_records(Stack& stack, IfIndex ifindex, std::span<const Record> records) {
        std::size_t first = 0;
        std::size_t octets = 0;
        for (std::size_t k = 0; k < records.size(); ++k) {
            std::size_t len = records[k].buffer_len();
            if (k > first && octets + len > T::report_budget) {
                T::send_report(stack, ifindex, records.subspan(first, k - first));
                first = k;
                octets = 0;
            }
            octets += len;
        }
        if (first < records.size()) T::send_report(stack, ifindex, records.subspan(first));
    }

    // The pending state-change record(s) of g (RFC 3376 5.1 / RFC 3810 6.1).
    static void send_change_records(Stack& stack, IfIndex ifindex, const GroupT& g) {
        std::array<Record, 2> records{};
        std::size_t n = 0;
        if (g.pending_mode_change) {
            records[n++] = Record{g.state.exclude ? change_to_exclude : change_to_include, g.address,
                                  g.state.sources.span()};
        } else {
            if (g.allow.count > 0) records[n++] = Record{allow_new_sources, g.address, g.allow.span()};
            if (g.block.count > 0) records[n++] = Record{block_old_sources, g.address, g.block.span()};
        }
        if (n > 0) send_records(stack, ifindex, std::span<const Record>{records.data(), n});
    }

    // Merges the change old -> next of the interface state into g's pending state-change.
    static void merge_change(GroupT& g, const FilterT& old, const FilterT& next) {
        if (old.exclude != next.exclude) {
            g.pending_mode_change = true; // TO_EX(X) / TO_IN(A): the whole new state
            g.allow.clear();
            g.block.clear();
            return;
        }
        if (g.pending_mode_change) return; // still a filter mode change record, now of the new state
        // INCLUDE: ALLOW(next - old), BLOCK(old - next); EXCLUDE: ALLOW(old - next), BLOCK(next - old).
        const auto& wider = next.exclude ? old.sources : next.sources;
        const auto& narrower = next.exclude ? next.sources : old.sources;
        bool overflow = false;
        for (const Addr& s : wider.span()) {
            if (narrower.contains(s)) continue;
            g.block.remove(s);
            overflow = overflow || !g.allow.add(s);
        }
        for (const Addr& s : narrower.span()) {
            if (wider.contains(s)) continue;
            g.allow.remove(s);
            overflow = overflow || !g.block.add(s);
        }
        if (overflow) {
            g.pending_mode_change = true;
            g.allow.clear();
            g.block.clear();
        }
    }

    // Moves g's interface state to `next`: link-layer group, then the state-change report of the mode in
    // force. False (nothing changed) when the link-layer group could not be joined.
    static bool change(Stack& stack, IfIndex ifindex, Iface& i, GroupT& g, const FilterT& next) {
        const FilterT old = g.state;
        if (old.same(next)) return true;
        const bool had = old.has_state();
        const bool has = next.has_state();
        if (!had && has && !T::link_join(stack, ifindex, g.address)) {
            T::counters(stack).count_drop(Drop::PoolExhausted);
            return false;
        }
        g.state = next;
        if (had && !has) {
            T::link_leave(stack, ifindex, g.address);
            g.respond_at = never;
            g.source_count = 0;
        }
        if (!T::reportable(g.address)) {
            release_if_idle(g);
            return true;
        }
        TimeMs now = pico::now(stack);
        std::uint8_t extra = i.robustness > 0 ? static_cast<std::uint8_t>(i.robustness - 1) : 0;
        if (i.mode == Mode::Current) {
            merge_change(g, old, next);
            g.retransmits = extra;
            send_change_records(stack, ifindex, g);
        } else if (!had) {
            // RFC 2236 3 / RFC 2710 4: an unsolicited report at once, repeated after a short delay.
            g.retransmits = extra;
            T::send_older_report(stack, ifindex, i.mode, g.address);
        } else if (!has) {
            // RFC 2236 3 / RFC 2710 4: a Leave / Done (IGMPv1 has none); nothing is retransmitted.
            T::send_older_leave(stack, ifindex, i.mode, g.address);
            g.retransmits = 0;
            g.retransmit_at = never;
            release_if_idle(g);
            return true;
        } else {
            return true; // RFC 3376 7.2.1 / RFC 3810 8.3.1: source lists are ignored
        }
        if (g.retransmits > 0) {
            g.retransmit_at = now + retransmit_delay(stack, unsolicited_interval(i));
        } else {
            g.retransmit_at = never;
            g.pending_mode_change = false;
            g.allow.clear();
            g.block.clear();
            release_if_idle(g);
        }
        return true;
    }

    static bool join(Stack& stack, IfIndex ifindex, const Addr& group) {
        Iface* i = T::interface(stack, ifindex);
        if (i == nullptr) return false;
        GroupT* g = find_or_take(stack, *i, group);
        if (g == nullptr || g->refs == std::numeric_limits<std::uint16_t>::max()) return false;
        ++g->refs;
        if (!change(stack, ifindex, *i, *g, merged(*g))) {
            --g->refs;
            release_if_idle(*g);
            return false;
        }
        return true;
    }

    static bool leave(Stack& stack, IfIndex ifindex, const Addr& group) {
        Iface* i = T::interface(stack, ifindex);
        if (i == nullptr) return false;
        GroupT* g = find(*i, group);
        if (g == nullptr || g->refs == 0) return false;
        --g->refs;
        change(stack, ifindex, *i, *g, merged(*g)); // cannot fail: a leave never gains state
        return true;
    }

    // The sockets' merged filter for a group (INCLUDE({}): no socket listens). False: no such device, too
    // many sources (config::multicast_sources), or no room in the group or link-layer table.
    static bool set_socket_filter(Stack& stack, IfIndex ifindex, const Addr& group, bool exclude,
                                  std::span<const Addr> sources) {
        Iface* i = T::interface(stack, ifindex);
        if (i == nullptr) return false;
        FilterT filter{exclude, {}};
        for (const Addr& s : sources)
            if (!filter.sources.add(s)) return false;
        GroupT* g = find(*i, group);
        if (g == nullptr && !filter.has_state()) return true;
        if (g == nullptr) g = find_or_take(stack, *i, group);
        if (g == nullptr) return false;
        const FilterT previous = g->sockets;
        g->sockets = filter;
        if (!change(stack, ifindex, *i, *g, merged(*g))) {
            g->sockets = previous;
            release_if_idle(*g);
            return false;
        }
        return true;
    }

    // The module API (igmp::join, mld::join, ...): the address must be a group and the device exist; the
    // permanent group is always joined and holds no state.
    static bool api_join(Stack& stack, IfIndex ifindex, const Addr& group) {
        if (!group.is_multicast() || T::interface(stack, ifindex) == nullptr) return false;
        if (T::permanent(group)) return true;
        return join(stack, ifindex, group);
    }
    static bool api_leave(Stack& stack, IfIndex ifindex, const Addr& group) {
        if (T::permanent(group)) return T::interface(stack, ifindex) != nullptr;
        return leave(stack, ifindex, group);
    }
    static bool api_set_socket_filter(Stack& stack, IfIndex ifindex, const Addr& group, bool exclude,
                                      std::span<const Addr> sources) {
        if (!group.is_multicast() || T::interface(stack, ifindex) == nullptr) return false;
        if (T::permanent(group)) return true; // sockets filter it alone
        return set_socket_filter(stack, ifindex, group, exclude, sources);
    }

    static bool is_member(Stack& stack, IfIndex ifindex, const Addr& group) {
        Iface* i = T::interface(stack, ifindex);
        return i != nullptr && find_joined(*i, group) != nullptr;
    }

    // The interface state of a group: nullptr when it has none.
    static const FilterT* filter(Stack& stack, IfIndex ifindex, const Addr& group) {
        Iface* i = T::interface(stack, ifindex);
        GroupT* g = i != nullptr ? find_joined(*i, group) : nullptr;
        return g != nullptr ? &g->state : nullptr;
    }

    // Adds `sources` to g's recorded list; a list that no longer fits becomes a group-specific query (an
    // IS_IN(A) / IS_EX(X) answer, which states the whole filter and so covers every queried source).
    static void record_sources(GroupT& g, std::span<const Addr> sources, bool overflow) {
        if (overflow) {
            g.source_count = 0;
            return;
        }
        for (const Addr& s : sources) {
            bool known = false;
            for (std::size_t k = 0; k < g.source_count; ++k)
                known = known || g.sources[k] == s;
            if (known) continue;
            if (g.source_count >= T::sources) {
                g.source_count = 0;
                return;
            }
            g.sources[g.source_count++] = s;
        }
    }

    static void on_query(Stack& stack, IfIndex ifindex, const Query<Addr>& q) {
        Iface* i = T::interface(stack, ifindex);
        if (i == nullptr) return;
        TimeMs now = pico::now(stack);
        if (q.version == Mode::Current) {
            // RFC 3376 4.1.6-4.1.7 / RFC 3810 5.1.8-5.1.9: adopt the querier's QRV and QQI (0: keep ours).
            if (q.qrv != 0) i->robustness = q.qrv;
            if (q.qqi_ms != 0) i->query_interval_ms = q.qqi_ms;
        } else if (q.general) {
            // RFC 3376 7.2.1 / RFC 3810 8.2.1: an older General Query sets its Querier Present timer to the
            // Older Version Querier Present Timeout: Robustness Variable x Query Interval + Query Response
            // Interval (RFC 3376 8.12, RFC 3810 9.12; the response interval is the one this query asks for).
            TimeMs until = now + TimeMs{i->robustness} * i->query_interval_ms + q.max_resp_ms;
            if (q.version == Mode::Oldest)
                i->oldest_until = until;
            else
                i->older_until = until;
        }
        update_mode(*i, now);

        if (i->mode != Mode::Current) {
            // IGMPv1/v2, MLDv1 (RFC 2236 3, RFC 2710 4): a timer per group, each with its own random delay,
            // reset only if the new delay is shorter than what remains.
            for (GroupT& g : i->groups) {
                if (!g.used || !g.state.has_state() || !T::reportable(g.address)) continue;
                if (!q.general && !(g.address == q.group)) continue;
                TimeMs at = now + response_delay(stack, q.max_resp_ms);
                if (g.respond_at == never || g.respond_at > at) g.respond_at = at;
            }
            return;
        }
        // An older group-specific query heard in the current mode (its querier's General Queries would have
        // made the mode older) is answered as a group-specific query of the current version.
        TimeMs at = now + response_delay(stack, q.max_resp_ms);
        // Rule 1: a General Query response due sooner covers this query.
        if (i->general_at != never && i->general_at <= at) return;
        // Rule 2: a General Query replaces a pending General Query response.
        if (q.general) {
            i->general_at = at;
            return;
        }
        GroupT* g = find_joined(*i, q.group);
        if (g == nullptr || !T::reportable(g->address)) return; // no reception state: nothing to report
        bool with_sources = !q.sources.empty() || q.sources_overflow;
        if (g->respond_at == never) {
            // Rule 3: a new group timer, with the queried sources recorded.
            g->respond_at = at;
            g->source_count = 0;
            if (with_sources) record_sources(*g, q.sources, q.sources_overflow);
            return;
        }
        g->respond_at = std::min(g->respond_at, at);
        if (!with_sources || g->source_count == 0) {
            g->source_count = 0; // Rule 4: the answer covers the whole group
        } else {
            record_sources(*g, q.sources, q.sources_overflow); // Rule 5: augment the source list
        }
    }

    // A query whose version, group and timers the caller filled in: the sources of a current-version
    // group-and-source query are taken from the wire view (View::source_count(), source(k); parse checked
    // that they are inside the message), as many as T::sources, the rest noted as an overflow.
    template <class View>
    static void receive_query(Stack& stack, IfIndex ifindex, Query<Addr>& q, const View& view) {
        std::array<Addr, T::sources> sources{};
        std::size_t n = 0;
        if (q.version == Mode::Current && !q.general) {
            std::size_t listed = view.source_count();
            q.sources_overflow = listed > sources.size();
            for (std::size_t k = 0; k < listed && k < sources.size(); ++k)
                sources[n++] = view.source(k);
        }
        q.sources = std::span<const Addr>{sources.data(), n};
        on_query(stack, ifindex, q);
    }

    // Another host's IGMPv1/v2 or MLDv1 report for `group`: in an older mode our pending answer is
    // suppressed (RFC 2236 3, RFC 2710 4). In the current mode hosts do not suppress (RFC 3376 5.2's MAY
    // in 7.2.2 / RFC 3810 8.3.2 is not taken).
    static void on_older_report(Stack& stack, IfIndex ifindex, const Addr& group) {
        Iface* i = T::interface(stack, ifindex);
        if (i == nullptr || i->mode == Mode::Current) return;
        GroupT* g = find_joined(*i, group);
        if (g != nullptr) g->respond_at = never;
    }

    // The Current-State Record of a group (RFC 3376 5.2 / RFC 3810 6.3).
    static Record current_state(const GroupT& g) {
        return Record{g.state.exclude ? mode_is_exclude : mode_is_include, g.address, g.state.sources.span()};
    }

    // The answer to a group-and-source-specific query with the sources recorded in g: IS_IN(A*B) for
    // INCLUDE(A), IS_IN(B-X) for EXCLUDE(X) (both: the queried sources the filter admits); nothing if empty.
    static void answer_sources(Stack& stack, IfIndex ifindex, const GroupT& g) {
        std::array<Addr, T::sources> wanted{};
        std::size_t n = 0;
        for (std::size_t k = 0; k < g.source_count && k < wanted.size(); ++k)
            if (g.state.admits(g.sources[k])) wanted[n++] = g.sources[k];
        if (n == 0) return;
        Record record{mode_is_include, g.address, std::span<const Addr>{wanted.data(), n}};
        T::send_report(stack, ifindex, std::span<const Record>{&record, 1});
    }

    static void tick_group(Stack& stack, IfIndex ifindex, Iface& i, GroupT& g, TimeMs now) {
        if (g.respond_at != never && g.respond_at <= now) {
            g.respond_at = never;
            if (g.state.has_state() && T::reportable(g.address)) {
                if (i.mode != Mode::Current) {
                    T::send_older_report(stack, ifindex, i.mode, g.address);
                } else if (g.source_count == 0) {
                    Record record = current_state(g);
                    T::send_report(stack, ifindex, std::span<const Record>{&record, 1});
                } else {
                    answer_sources(stack, ifindex, g);
                }
            }
            g.source_count = 0;
        }
        if (g.retransmit_at != never && g.retransmit_at <= now) {
            g.retransmit_at = never;
            if (g.retransmits > 0) {
                --g.retransmits;
                if (i.mode == Mode::Current)
                    send_change_records(stack, ifindex, g);
                else if (g.state.has_state())
                    T::send_older_report(stack, ifindex, i.mode, g.address);
            }
            if (g.retransmits > 0) {
                g.retransmit_at = now + retransmit_delay(stack, unsolicited_interval(i));
            } else {
                g.pending_mode_change = false;
                g.allow.clear();
                g.block.clear();
                release_if_idle(g);
            }
        }
    }

    static void tick_interface(Stack& stack, IfIndex ifindex, Iface& i, TimeMs now) {
        update_mode(i, now);
        if (i.general_at != never && i.general_at <= now) {
            i.general_at = never;
            // RFC 3376 5.2 / RFC 3810 6.3: one Current-State Record for every group with reception state.
            std::array<Record, T::groups> records{};
            std::size_t n = 0;
            for (const GroupT& g : i.groups)
                if (g.used && g.state.has_state() && T::reportable(g.address))
                    records[n++] = current_state(g);
            if (n > 0) send_records(stack, ifindex, std::span<const Record>{records.data(), n});
        }
        for (GroupT& g : i.groups)
            if (g.used) tick_group(stack, ifindex, i, g, now);
    }

    static void tick(Stack& stack, TimeMs now) {
        for (std::size_t k = 0; k < config::max_devices; ++k) {
            auto ifindex = static_cast<IfIndex>(k);
            Iface* i = T::interface(stack, ifindex);
            if (i != nullptr) tick_interface(stack, ifindex, *i, now);
        }
    }

    // The joined groups of a device (at most out.size()); returns how many were written.
    static std::size_t groups(Stack& stack, IfIndex ifindex, std::span<Addr> out) {
        Iface* i = T::interface(stack, ifindex);
        if (i == nullptr) return 0;
        std::size_t n = 0;
        for (const GroupT& g : i->groups)
            if (g.used && g.state.has_state() && n < out.size()) out[n++] = g.address;
        return n;
    }
};

} // namespace pico::multicast
