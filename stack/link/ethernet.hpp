// Ethernet II (RFC 894): accepts frames for our unicast address, broadcast, and joined multicast groups.
#pragma once
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include <array>
#include <cstdint>

namespace pico::ethernet {

inline constexpr std::uint16_t type_ipv4 = 0x0800;
inline constexpr std::uint16_t type_arp = 0x0806;
inline constexpr std::uint16_t type_ipv6 = 0x86dd;

struct GroupTable {
    std::array<MacAddr, config::multicast_groups> groups{};
    std::array<std::uint8_t, config::multicast_groups> refs{}; // 0: slot free
};

struct State {
    ModuleCounters counters;
    std::array<GroupTable, config::max_devices> group_tables{};
};

State& state(Stack& stack);

// Input hook: a whole Ethernet frame received on meta.ifindex.
void input(Stack& stack, PacketBuf&& frame, const RxMeta& meta);
// Prepends the Ethernet header (source: the device's MAC) and transmits. False if dropped (counted).
bool send(Stack& stack, IfIndex ifindex, MacAddr destination, std::uint16_t ethertype, PacketBuf&& payload);
// Link-layer multicast membership, reference-counted. False when the table is full.
bool join_group(Stack& stack, IfIndex ifindex, MacAddr group);
bool leave_group(Stack& stack, IfIndex ifindex, MacAddr group);
bool is_member(Stack& stack, IfIndex ifindex, MacAddr group);

} // namespace pico::ethernet
