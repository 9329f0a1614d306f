// Stateless address autoconfiguration (RFC 4862) with RFC 7217 stable, semantically opaque interface
// identifiers: a link-local address per Ethernet device, Duplicate Address Detection, addresses from Prefix
// Information options with the A flag, preferred and valid lifetimes (the two-hour rule of 5.5.3 (e)).
//
// Interface identifiers (RFC 7217 5): IID = the first 64 bits of SipHash-2-4(secret_key, Prefix | Net_Iface |
// DAD_Counter), Net_Iface being the device index and its MAC, Network_ID empty; the 128-bit secret key
// comes from the platform's random source at first use and stays in State, unless the user sets it
// (set_secret_key: RFC 7217 5 lets it be configured, e.g. kept across reboots). F() itself may be replaced
// (set_identifier_function: RFC 7217 5 leaves the PRF to the implementation, e.g. a hardware one). A
// generated identifier that is reserved (RFC 5453) is skipped with DAD_Counter + 1 (after
// max_reserved_skips in a row the address is given up, counted BadAddress); a DAD failure removes the
// address and retries with DAD_Counter + 1, up to IDGEN_RETRIES times.
#pragma once
#include "core/bytes.hpp"
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include <array>
#include <cstdint>

namespace pico::slaac {

// RFC 4862 5.1: DupAddrDetectTransmits; RFC 7217 7: IDGEN_RETRIES.
inline constexpr std::uint8_t dup_addr_detect_transmits = 1;
inline constexpr std::uint8_t idgen_retries = 3;
// RFC 4862 5.5.3 (e): two hours.
inline constexpr TimeMs two_hours_ms = TimeMs{2} * 3600 * 1000;
inline constexpr std::uint32_t infinite_lifetime = 0xffffffffu;
// Reserved identifiers skipped in a row before an address is given up (bounds the search).
inline constexpr std::uint8_t max_reserved_skips = 8;

// F() of RFC 7217 5: 64 pseudo-random bits from the input (Prefix | Net_Iface | DAD_Counter, 16 octets) and
// the secret key. nullptr: SipHash-2-4.
using IdentifierFn = std::uint64_t (*)(void* context, Bytes input, const std::array<std::uint8_t, 16>& key);

// An address in Duplicate Address Detection. ifindex no_interface: free.
struct Dad {
    IfIndex ifindex = no_interface;
    Ipv6Addr address{};
    TimeMs due = 0; // next NS, or the end of DAD once every NS went out
    std::uint8_t probes_left = 0;
    std::uint8_t dad_counter = 0; // RFC 7217 DAD_Counter of a generated address
    std::uint8_t retries = 0;     // DAD failures before this attempt (RFC 7217 6: at most IDGEN_RETRIES)
    bool generated = false;       // made by us from a prefix and an RFC 7217 IID (retried on conflict)
    bool solicit_routers = false; // the link-local of start(): Router Solicitations follow its DAD
};

struct State {
    ModuleCounters counters; // tx: DAD probes sent
    std::uint32_t dad_failures = 0;
    std::uint32_t addresses_configured = 0; // addresses that passed DAD
    std::array<std::uint8_t, 16> secret_key{};
    bool key_chosen = false;
    IdentifierFn identifier_fn = nullptr;
    void* identifier_context = nullptr;
    std::uint32_t reserved_skipped = 0; // generated identifiers not used because RFC 5453 reserves them
    std::array<Dad, config::max_devices * config::ipv6_addrs_per_device> dad{};
};

State& state(Stack& stack);

// Starts autoconfiguration on a device: link-local address (tentative, DAD), then a Router Solicitation.
bool start(Stack& stack, IfIndex ifindex);
// DAD for an address added as Tentative (ipv6::add_address calls this).
void start_dad(Stack& stack, IfIndex ifindex, const Ipv6Addr& address);
// A Prefix Information option with the A flag from a valid RA (nd calls this; RFC 4862 5.5.3).
void on_prefix(Stack& stack, IfIndex ifindex, const Ipv6Addr& prefix, std::uint8_t prefix_len,
               std::uint32_t valid_lifetime_s, std::uint32_t preferred_lifetime_s);
// An NS or NA for a tentative address (nd calls this; RFC 4862 5.4.3 / 5.4.4): DAD fails.
void on_dad_conflict(Stack& stack, IfIndex ifindex, const Ipv6Addr& address);
void tick(Stack& stack, TimeMs now);

// RFC 7217 interface identifier for a /64 prefix on a device (8 octets, written into out[8..15] of an
// address whose first 8 octets are the prefix). Exposed for tests.
Ipv6Addr stable_address(Stack& stack, IfIndex ifindex, const Ipv6Addr& prefix, std::uint8_t dad_counter);
// Is a 64-bit interface identifier reserved (RFC 5453 and the IANA registry it creates)?
bool reserved_iid(const Ipv6Addr& address);
// RFC 7217 5: the secret key (else chosen at random at first use). Addresses generated before keep theirs.
void set_secret_key(Stack& stack, const std::array<std::uint8_t, 16>& key);
// RFC 7217 5: replaces F() (nullptr: SipHash-2-4 again).
void set_identifier_function(Stack& stack, IdentifierFn fn, void* context);

} // namespace pico::slaac
