// SLAAC (RFC 4862) with RFC 7217 interface identifiers.
//
// start() forms the link-local address fe80::/64 + IID and adds it Tentative; ipv6::add_address joins the
// all-nodes and solicited-node groups and calls start_dad(). DAD (5.4) waits a random 0 .. 1 s
// (MAX_RTR_SOLICITATION_DELAY), sends DupAddrDetectTransmits NS from :: to the solicited-node group,
// RetransTimer apart, and makes the address Preferred when RetransTimer after the last one nothing objected.
// Once the link-local is up, Router Solicitations start (RFC 4861 6.3.7). Prefixes with the A flag become
// addresses (5.5.3); tick() deprecates and removes them as their lifetimes end (5.5.4).
#include "net/slaac.hpp"
#include "core/bytes.hpp"
#include "link/device.hpp"
#include "net/ipv6.hpp"
#include "net/nd.hpp"
#include "port/platform.hpp"
#include <optional>

namespace pico::slaac {

namespace {

constexpr std::uint8_t iid_prefix_len = 64;
constexpr Ipv6Addr link_local_prefix{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};

// SipHash-2-4 (Aumasson, Bernstein), a keyed pseudo-random function: RFC 7217 5 asks for F() to be a
// cryptographically secure hash of its inputs and a secret key.
constexpr std::uint64_t rotl(std::uint64_t x, int b) {
    return (x << b) | (x >> (64 - b));
}

void sip_round(std::uint64_t& v0, std::uint64_t& v1, std::uint64_t& v2, std::uint64_t& v3) {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
}

std::uint64_t load_le64(const std::uint8_t* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n && i < 8; ++i)
        v |= std::uint64_t{p[i]} << (8 * i);
    return v;
}

std::uint64_t siphash24(const std::array<std::uint8_t, 16>& key, Bytes data) {
    const std::uint64_t k0 = load_le64(key.data(), 8);
    const std::uint64_t k1 = load_le64(key.data() + 8, 8);
    std::uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    std::uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    std::uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    std::uint64_t v3 = 0x7465646279746573ULL ^ k1;
    const std::size_t blocks = data.size() / 8;
    for (std::size_t i = 0; i < blocks; ++i) {
        const std::uint64_t m = load_le64(data.data() + i * 8, 8);
        v3 ^= m;
        sip_round(v0, v1, v2, v3);
        sip_round(v0, v1, v2, v3);
        v0 ^= m;
    }
    std::uint64_t last = std::uint64_t{data.size() & 0xff} << 56;
    last |= load_le64(data.data() + blocks * 8, data.size() - blocks * 8);
    v3 ^= last;
    sip_round(v0, v1, v2, v3);
    sip_round(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int i = 0; i < 4; ++i)
        sip_round(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

void ensure_key(Stack& stack) {
    State& s = state(stack);
    if (s.key_chosen) return;
    platform(stack).random_bytes(MutBytes{s.secret_key.data(), s.secret_key.size()});
    s.key_chosen = true;
}

// An RFC 7217 address that is not reserved: DAD_Counter moves past reserved identifiers (RFC 7217 5, RFC
// 5453), at most max_reserved_skips times; nullopt (counted BadAddress) when every one was reserved.
std::optional<Ipv6Addr> generate(Stack& stack, IfIndex ifindex, const Ipv6Addr& prefix,
                                 std::uint8_t& dad_counter) {
    State& s = state(stack);
    Ipv6Addr address = stable_address(stack, ifindex, prefix, dad_counter);
    for (std::uint8_t skipped = 0; reserved_iid(address); ++skipped) {
        ++s.reserved_skipped;
        if (skipped + 1 >= max_reserved_skips) {
            s.counters.count_drop(Drop::BadAddress);
            return std::nullopt;
        }
        address = stable_address(stack, ifindex, prefix, ++dad_counter);
    }
    return address;
}

Dad* find_dad(State& s, IfIndex ifindex, const Ipv6Addr& address) {
    for (Dad& d : s.dad)
        if (d.ifindex == ifindex && d.address == address) return &d;
    return nullptr;
}

// Absolute expiry of a lifetime in seconds; 0 means infinite (ipv6::Address), so a lifetime that ends
// "now" at time 0 is stored as 1 ms.
TimeMs until(TimeMs t, std::uint32_t lifetime_s) {
    if (lifetime_s == infinite_lifetime) return 0;
    const TimeMs at = t + TimeMs{lifetime_s} * 1000;
    return at == 0 ? 1 : at;
}

// Adds a generated address Tentative and makes sure its DAD runs with the right DAD_Counter.
bool add_generated(Stack& stack, IfIndex ifindex, const Ipv6Addr& address, std::uint8_t prefix_len,
                   TimeMs preferred_until, TimeMs valid_until, std::uint8_t dad_counter,
                   bool solicit_routers) {
    State& s = state(stack);
    if (!ipv6::add_address(stack, ifindex, address, prefix_len, ipv6::AddrState::Tentative, preferred_until,
                           valid_until, true)) {
        s.counters.count_drop(Drop::PoolExhausted); // the device's address table is full
        return false;
    }
    Dad* d = find_dad(s, ifindex, address);
    if (d == nullptr) {
        start_dad(stack, ifindex, address);
        d = find_dad(s, ifindex, address);
    }
    if (d != nullptr) {
        d->generated = true;
        d->dad_counter = dad_counter;
        d->solicit_routers = solicit_routers;
    }
    return true;
}

bool is_ipv6_link(Stack& stack, IfIndex ifindex) {
    return ifindex < config::max_devices && device(stack, ifindex) != nullptr;
}

} // namespace

bool reserved_iid(const Ipv6Addr& a) {
    const std::uint8_t* iid = a.octets.data() + 8;
    // Subnet-Router anycast (RFC 4291): all zeros.
    bool zero = true;
    for (int i = 0; i < 8; ++i)
        zero = zero && iid[i] == 0;
    if (zero) return true;
    // Reserved subnet anycast (RFC 2526): fdff:ffff:ffff:ff80 .. fdff:ffff:ffff:ffff.
    if (iid[0] == 0xfd && iid[1] == 0xff && iid[2] == 0xff && iid[3] == 0xff && iid[4] == 0xff &&
        iid[5] == 0xff && iid[6] == 0xff && iid[7] >= 0x80)
        return true;
    // RFC 5453 / IANA: 0200:5eff:fe00:0000 .. 0200:5eff:fe00:5212 reserved, 0200:5eff:fe00:5213 Proxy Mobile
    // IPv6 (RFC 6543), 0200:5eff:fe00:5214 .. 0200:5eff:fe00:ffff reserved: the whole /112 range.
    return iid[0] == 0x02 && iid[1] == 0x00 && iid[2] == 0x5e && iid[3] == 0xff && iid[4] == 0xfe &&
           iid[5] == 0x00;
}

Ipv6Addr stable_address(Stack& stack, IfIndex ifindex, const Ipv6Addr& prefix, std::uint8_t dad_counter) {
    ensure_key(stack);
    // F(Prefix, Net_Iface, Network_ID, DAD_Counter, secret_key): Prefix (8 octets) | ifindex | MAC |
    // DAD_Counter; Network_ID is not used (optional in RFC 7217 5).
    std::array<std::uint8_t, 16> input{};
    copy_bytes(input.data(), prefix.octets.data(), 8);
    input[8] = ifindex;
    if (const Device* dev = device(stack, ifindex)) dev->mac().store(input.data() + 9);
    input[15] = dad_counter;
    const State& s = state(stack);
    const Bytes in{input.data(), input.size()};
    const std::uint64_t rid = s.identifier_fn != nullptr
                                  ? s.identifier_fn(s.identifier_context, in, s.secret_key)
                                  : siphash24(s.secret_key, in);
    Ipv6Addr address = prefix;
    for (std::size_t i = 0; i < 8; ++i)
        address.octets[8 + i] = static_cast<std::uint8_t>(rid >> (56 - 8 * i));
    return address;
}

bool start(Stack& stack, IfIndex ifindex) {
    if (!is_ipv6_link(stack, ifindex)) return false;
    for (const ipv6::Address& a : ipv6::state(stack).addresses[ifindex])
        if (a.state != ipv6::AddrState::Free && a.address.is_link_local()) return false; // already has one
    std::uint8_t counter = 0;
    const auto address = generate(stack, ifindex, link_local_prefix, counter);
    if (!address) return false;
    return add_generated(stack, ifindex, *address, iid_prefix_len, 0, 0, counter, true);
}

void set_secret_key(Stack& stack, const std::array<std::uint8_t, 16>& key) {
    State& s = state(stack);
    s.secret_key = key;
    s.key_chosen = true;
}

void set_identifier_function(Stack& stack, IdentifierFn fn, void* context) {
    State& s = state(stack);
    s.identifier_fn = fn;
    s.identifier_context = context;
}

void start_dad(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    State& s = state(stack);
    Dad* d = find_dad(s, ifindex, address);
    if (d == nullptr) {
        for (Dad& slot : s.dad) {
            if (slot.ifindex == no_interface) {
                d = &slot;
                break;
            }
        }
    }
    if (d == nullptr) {
        // No room to track DAD (cannot happen: one slot per address the stack can hold): the address
        // would stay tentative for ever, so it is given up.
        s.counters.count_drop(Drop::PoolExhausted);
        ipv6::remove_address(stack, ifindex, address);
        return;
    }
    *d = Dad{};
    d->ifindex = ifindex;
    d->address = address;
    d->probes_left = dup_addr_detect_transmits;
    // RFC 4862 5.4.2: a random delay of 0 .. MAX_RTR_SOLICITATION_DELAY before the first probe, so that
    // hosts started together do not probe together.
    d->due = now(stack) + platform(stack).random_u32() % (nd::max_rtr_solicitation_delay_ms + 1);
}

void on_prefix(Stack& stack, IfIndex ifindex, const Ipv6Addr& prefix, std::uint8_t prefix_len,
               std::uint32_t valid_lifetime_s, std::uint32_t preferred_lifetime_s) {
    State& s = state(stack);
    ++s.counters.rx;
    // 5.5.3 (b): the link-local prefix is ignored; (c): a preferred lifetime above the valid one too.
    if (prefix.is_link_local()) {
        s.counters.count_drop(Drop::BadAddress);
        return;
    }
    if (preferred_lifetime_s > valid_lifetime_s) {
        s.counters.count_drop(Drop::BadOption);
        return;
    }
    if (!is_ipv6_link(stack, ifindex)) {
        s.counters.count_drop(Drop::NoDevice);
        return;
    }
    const TimeMs t = now(stack);
    // (e): an address we autoconfigured from this prefix already exists: refresh its lifetimes.
    for (ipv6::Address& a : ipv6::state(stack).addresses[ifindex]) {
        if (a.state == ipv6::AddrState::Free || !a.autoconf || a.prefix_len != prefix_len ||
            !a.address.same_prefix(prefix, prefix_len) || a.address.is_link_local())
            continue;
        a.preferred_until = until(t, preferred_lifetime_s);
        if (a.state == ipv6::AddrState::Deprecated && preferred_lifetime_s != 0)
            a.state = ipv6::AddrState::Preferred;
        if (a.state == ipv6::AddrState::Preferred && preferred_lifetime_s == 0)
            a.state = ipv6::AddrState::Deprecated;
        // The two-hour rule protects against a spoofed RA cutting the valid lifetime short.
        const bool remaining_infinite = a.valid_until == 0;
        const TimeMs remaining = remaining_infinite ? 0 : (a.valid_until > t ? a.valid_until - t : 0);
        const TimeMs received = valid_lifetime_s == infinite_lifetime ? 0 : TimeMs{valid_lifetime_s} * 1000;
        const bool received_infinite = valid_lifetime_s == infinite_lifetime;
        if (received_infinite || received > two_hours_ms || (!remaining_infinite && received > remaining)) {
            a.valid_until = until(t, valid_lifetime_s);
        } else if (!remaining_infinite && remaining <= two_hours_ms) {
            // ignore the received valid lifetime
        } else {
            a.valid_until = t + two_hours_ms;
        }
        return;
    }
    // (d): a new prefix forms an address when its length plus the interface identifier's is 128.
    if (valid_lifetime_s == 0) return;
    if (prefix_len != 128 - iid_prefix_len) {
        s.counters.count_drop(Drop::BadLength);
        return;
    }
    std::uint8_t counter = 0;
    const auto address = generate(stack, ifindex, prefix, counter);
    if (!address) return;
    add_generated(stack, ifindex, *address, prefix_len, until(t, preferred_lifetime_s),
                  until(t, valid_lifetime_s), counter, false);
}

void on_dad_conflict(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    State& s = state(stack);
    ipv6::Address* a = ipv6::find_address(stack, ifindex, address);
    if (a == nullptr || a->state != ipv6::AddrState::Tentative) return;
    // RFC 4862 5.4.5: the address is a duplicate: it is not assigned to the interface.
    ++s.dad_failures;
    s.counters.count_drop(Drop::Conflict);
    const std::uint8_t prefix_len = a->prefix_len;
    const TimeMs preferred_until = a->preferred_until;
    const TimeMs valid_until = a->valid_until;
    Dad info{};
    if (Dad* d = find_dad(s, ifindex, address)) {
        info = *d;
        *d = Dad{};
    }
    ipv6::remove_address(stack, ifindex, address);
    // RFC 7217 6: a generated identifier is generated again with DAD_Counter + 1, at most IDGEN_RETRIES
    // times; after that the address is given up. (DAD_Counter itself may be further on: reserved identifiers
    // skipped on the way do not count as retries.)
    if (!info.generated || info.retries >= idgen_retries) return;
    std::uint8_t counter = static_cast<std::uint8_t>(info.dad_counter + 1);
    Ipv6Addr prefix{};
    copy_bytes(prefix.octets.data(), address.octets.data(), 8);
    const auto next = generate(stack, ifindex, prefix, counter);
    if (!next) return;
    if (!add_generated(stack, ifindex, *next, prefix_len, preferred_until, valid_until, counter,
                       info.solicit_routers))
        return;
    if (Dad* d = find_dad(s, ifindex, *next)) d->retries = static_cast<std::uint8_t>(info.retries + 1);
}

void tick(Stack& stack, TimeMs t) {
    State& s = state(stack);
    for (Dad& d : s.dad) {
        if (d.ifindex == no_interface || t < d.due) continue;
        ipv6::Address* a = ipv6::find_address(stack, d.ifindex, d.address);
        if (a == nullptr || a->state != ipv6::AddrState::Tentative) {
            d = Dad{}; // removed meanwhile
            continue;
        }
        if (d.probes_left > 0) {
            // 5.4.2: NS from ::, to the solicited-node group of the tentative address, target = address.
            --d.probes_left;
            d.due = t + nd::retrans_time(stack, d.ifindex);
            if (nd::send_solicitation(stack, d.ifindex, Ipv6Addr{}, d.address.solicited_node(), d.address))
                ++s.counters.tx;
            continue;
        }
        // 5.4: RetransTimer after the last probe and no conflict: the address is unique.
        a->state = (a->preferred_until != 0 && t >= a->preferred_until) ? ipv6::AddrState::Deprecated
                                                                        : ipv6::AddrState::Preferred;
        ++s.addresses_configured;
        const IfIndex ifindex = d.ifindex;
        const bool solicit = d.solicit_routers;
        d = Dad{};
        if (solicit) nd::start_router_solicitation(stack, ifindex);
    }
    // 5.5.4: lifetimes of autoconfigured addresses (ipv6::tick may age them too; both are idempotent).
    for (std::size_t i = 0; i < config::max_devices; ++i) {
        for (ipv6::Address& a : ipv6::state(stack).addresses[i]) {
            if (a.state == ipv6::AddrState::Free || !a.autoconf) continue;
            if (a.valid_until != 0 && t >= a.valid_until) {
                const Ipv6Addr gone = a.address;
                ipv6::remove_address(stack, static_cast<IfIndex>(i), gone);
                continue;
            }
            if (a.state == ipv6::AddrState::Preferred && a.preferred_until != 0 && t >= a.preferred_until)
                a.state = ipv6::AddrState::Deprecated;
        }
    }
}

} // namespace pico::slaac
