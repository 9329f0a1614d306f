// Stateless address autoconfiguration (RFC 4862) with RFC 7217 stable, semantically opaque interface
// identifiers: a link-local address per Ethernet device, Duplicate Address Detection, addresses from Prefix
// Information options with the A flag, preferred and valid lifetimes (the two-hour rule of 5.5.3 (e)).
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include <cstdint>

namespace pico::slaac {

struct State {
    ModuleCounters counters;
    std::uint32_t dad_failures = 0;
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

} // namespace pico::slaac
