// The host side of IGMPv3 (RFC 3376 5, 7) and MLDv2 (RFC 3810 6, 8): one state machine over two address
// families. igmp.cpp and mld.cpp each instantiate multicast::Engine with their Traits (address type, message
// formats, send path, link-layer groups); neither needs the other's family, so each module builds alone.
//
// Membership model: a socket joins a group for any source (the filter EXCLUDE({})); several joins of one
// group are reference counted and the interface state is EXCLUDE({}) while one is held, INCLUDE({}) (no
// state) after the last leave. So the state-change records are TO_EX({}) on join and TO_IN({}) on leave, and
// the current-state records IS_EX({}), or IS_IN(queried sources) for a group-and-source query (RFC 3376 5.2 /
// RFC 3810 6.3: for EXCLUDE(X) the answer is IS_IN(B - X), here B).
//
// Timers are absolute deadlines in the tables, checked by tick(now) (Stack::poll): bounded by groups x
// devices.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "port/platform.hpp"
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
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

template <class Addr, std::size_t Sources> struct Group {
    Addr address{};
    bool used = false;
    std::uint16_t refs = 0;       // joins held; 0 while used: left, the TO_IN retransmissions still going
    bool pending_exclude = false; // the state-change record being retransmitted: TO_EX (join) or TO_IN
    std::uint8_t retransmits = 0; // state-change reports still to send after the first
    TimeMs retransmit_at = never;
    TimeMs respond_at = never;     // group timer: answer to a group (and source) specific query; v1/v2: any
    std::uint8_t source_count = 0; // sources recorded from group-and-source queries (0: group-specific)
    std::array<Addr, Sources> sources{};
};

template <class Addr, std::size_t Groups, std::size_t Sources> struct Interface {
    std::array<Group<Addr, Sources>, Groups> groups{};
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
//   using Addr; using Record (wire group record: {type, group, std::span<const Addr> sources});
//   static constexpr std::size_t groups, sources; static constexpr std::size_t max_records (per report)
//   static constexpr TimeMs unsolicited_current_ms, unsolicited_older_ms;
//   static Interface<Addr, groups, sources>* interface(Stack&, IfIndex);   (nullptr: no such device)
//   static ModuleCounters& counters(Stack&);
//   static bool reportable(const Addr&);                 (all-hosts / all-nodes and scopes 0-1 never are)
//   static bool link_join(Stack&, IfIndex, const Addr&); static void link_leave(Stack&, IfIndex, const
//   Addr&); static void send_report(Stack&, IfIndex, std::span<const Record>);          (IGMPv3 / MLDv2
//   report) static void send_older_report(Stack&, IfIndex, Mode, const Addr&);         (v1/v2 report, MLDv1
//   report) static void send_older_leave(Stack&, IfIndex, Mode, const Addr&);          (v2 Leave, MLDv1 Done)
template <class T> struct Engine {
    using Addr = typename T::Addr;
    using Record = typename T::Record;
    using Iface = Interface<Addr, T::groups, T::sources>;
    using GroupT = Group<Addr, T::sources>;

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
    static GroupT* find_joined(Iface& i, const Addr& group) {
        GroupT* g = find(i, group);
        return g != nullptr && g->refs > 0 ? g : nullptr;
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
            if (g.used && g.refs == 0) g = GroupT{};
        }
    }
    static void update_mode(Iface& i, TimeMs now) {
        if (i.oldest_until != never && i.oldest_until <= now) i.oldest_until = never;
        if (i.older_until != never && i.older_until <= now) i.older_until = never;
        set_mode(i, i.oldest_until != never  ? Mode::Oldest
                    : i.older_until != never ? Mode::Older
                                             : Mode::Current);
    }

    static void send_change_record(Stack& stack, IfIndex ifindex, const GroupT& g) {
        Record record{g.pending_exclude ? change_to_exclude : change_to_include, g.address, {}};
        T::send_report(stack, ifindex, std::span<const Record>{&record, 1});
    }

    // The interface state of g changed (joined: INCLUDE({}) -> EXCLUDE({}); else the reverse).
    static void state_change(Stack& stack, IfIndex ifindex, Iface& i, GroupT& g, bool joined) {
        if (!T::reportable(g.address)) {
            if (!joined) g = GroupT{};
            return;
        }
        TimeMs now = pico::now(stack);
        std::uint8_t extra = i.robustness > 0 ? static_cast<std::uint8_t>(i.robustness - 1) : 0;
        if (i.mode == Mode::Current) {
            // RFC 3376 5.1 / RFC 3810 6.1: a State-Change Report at once, retransmitted [Robustness Variable]
            // - 1 more times at random intervals in (0, [Unsolicited Report Interval]); a further change
            // before they are done replaces the record and restarts the count.
            g.pending_exclude = joined;
            g.retransmits = extra;
            send_change_record(stack, ifindex, g);
        } else if (joined) {
            // RFC 2236 3 / RFC 2710 4: an unsolicited report at once, repeated after a short delay.
            g.pending_exclude = true;
            g.retransmits = extra;
            T::send_older_report(stack, ifindex, i.mode, g.address);
        } else {
            // RFC 2236 3 / RFC 2710 4: a Leave / Done (IGMPv1 has none); nothing is retransmitted.
            T::send_older_leave(stack, ifindex, i.mode, g.address);
            g = GroupT{};
            return;
        }
        g.respond_at = joined ? g.respond_at : never;
        g.source_count = joined ? g.source_count : 0;
        if (g.retransmits > 0) {
            g.retransmit_at = now + retransmit_delay(stack, unsolicited_interval(i));
        } else {
            g.retransmit_at = never;
            if (!joined) g = GroupT{};
        }
    }

    static bool join(Stack& stack, IfIndex ifindex, const Addr& group) {
        Iface* i = T::interface(stack, ifindex);
        if (i == nullptr) return false;
        GroupT* g = find(*i, group);
        if (g != nullptr && g->refs > 0) {
            if (g->refs == std::numeric_limits<std::uint16_t>::max()) return false;
            ++g->refs;
            return true;
        }
        if (g == nullptr) {
            for (GroupT& candidate : i->groups) {
                if (!candidate.used) {
                    g = &candidate;
                    break;
                }
            }
            if (g == nullptr) {
                // The table (config::igmp_groups / mld_groups per device) is full.
                T::counters(stack).count_drop(Drop::PoolExhausted);
                return false;
            }
            *g = GroupT{};
            g->address = group;
        }
        if (!T::link_join(stack, ifindex, group)) {
            if (g->refs == 0 && g->retransmits == 0) *g = GroupT{};
            T::counters(stack).count_drop(Drop::PoolExhausted);
            return false;
        }
        g->used = true;
        g->refs = 1;
        state_change(stack, ifindex, *i, *g, true);
        return true;
    }

    static bool leave(Stack& stack, IfIndex ifindex, const Addr& group) {
        Iface* i = T::interface(stack, ifindex);
        if (i == nullptr) return false;
        GroupT* g = find_joined(*i, group);
        if (g == nullptr) return false;
        if (--g->refs > 0) return true;
        T::link_leave(stack, ifindex, group);
        state_change(stack, ifindex, *i, *g, false);
        return true;
    }

    static bool is_member(Stack& stack, IfIndex ifindex, const Addr& group) {
        Iface* i = T::interface(stack, ifindex);
        return i != nullptr && find_joined(*i, group) != nullptr;
    }

    // Adds `sources` to g's recorded list; a list that no longer fits becomes a group-specific query (an
    // IS_EX({}) answer, which states our whole filter and so covers every queried source).
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
                if (!g.used || g.refs == 0 || !T::reportable(g.address)) continue;
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

    // Another host's IGMPv1/v2 or MLDv1 report for `group`: in an older mode our pending answer is
    // suppressed (RFC 2236 3, RFC 2710 4). In the current mode hosts do not suppress (RFC 3376 5.2's MAY
    // in 7.2.2 / RFC 3810 8.3.2 is not taken).
    static void on_older_report(Stack& stack, IfIndex ifindex, const Addr& group) {
        Iface* i = T::interface(stack, ifindex);
        if (i == nullptr || i->mode == Mode::Current) return;
        GroupT* g = find_joined(*i, group);
        if (g != nullptr) g->respond_at = never;
    }

    static void tick_interface(Stack& stack, IfIndex ifindex, Iface& i, TimeMs now) {
        update_mode(i, now);
        if (i.general_at != never && i.general_at <= now) {
            i.general_at = never;
            // RFC 3376 5.2 / RFC 3810 6.3: one Current-State Record for every group with reception state.
            std::array<Record, T::groups> records{};
            std::size_t n = 0;
            for (const GroupT& g : i.groups)
                if (g.used && g.refs > 0 && T::reportable(g.address))
                    records[n++] = Record{mode_is_exclude, g.address, {}};
            if (n > 0) T::send_report(stack, ifindex, std::span<const Record>{records.data(), n});
        }
        for (GroupT& g : i.groups) {
            if (!g.used) continue;
            if (g.respond_at != never && g.respond_at <= now) {
                g.respond_at = never;
                if (g.refs > 0 && T::reportable(g.address)) {
                    if (i.mode != Mode::Current) {
                        T::send_older_report(stack, ifindex, i.mode, g.address);
                    } else if (g.source_count == 0) {
                        Record record{mode_is_exclude, g.address, {}};
                        T::send_report(stack, ifindex, std::span<const Record>{&record, 1});
                    } else {
                        // EXCLUDE({}): every queried source is wanted, IS_IN(B - {}) = IS_IN(B).
                        Record record{mode_is_include, g.address,
                                      std::span<const Addr>{g.sources.data(), g.source_count}};
                        T::send_report(stack, ifindex, std::span<const Record>{&record, 1});
                    }
                }
                g.source_count = 0;
            }
            if (g.retransmit_at != never && g.retransmit_at <= now) {
                g.retransmit_at = never;
                if (g.retransmits > 0) {
                    --g.retransmits;
                    if (i.mode == Mode::Current)
                        send_change_record(stack, ifindex, g);
                    else if (g.refs > 0)
                        T::send_older_report(stack, ifindex, i.mode, g.address);
                }
                if (g.retransmits > 0)
                    g.retransmit_at = now + retransmit_delay(stack, unsolicited_interval(i));
                else if (g.refs == 0)
                    g = GroupT{};
            }
        }
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
            if (g.used && g.refs > 0 && n < out.size()) out[n++] = g.address;
        return n;
    }
};

} // namespace pico::multicast
