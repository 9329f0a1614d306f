// The assembly: the one file that knows every module. It defines the hand-offs that core declares, routing
// each received packet to the module built in for it (`if constexpr` over config.hpp), and the state
// accessors.
#include "assembly/stack.hpp"

namespace pico {

Stack::Stack(Platform& platform) : platform_(platform) {}

Stack::~Stack() = default;

IfIndex Stack::attach(Device& device) {
    if (device_count_ >= devices_.size()) return no_interface;
    devices_[device_count_] = &device;
    return static_cast<IfIndex>(device_count_++);
}

Device* Stack::device(IfIndex ifindex) const {
    return ifindex < device_count_ ? devices_[ifindex] : nullptr;
}

void Stack::receive(IfIndex ifindex, PacketBuf&& frame) {
    Device* dev = device(ifindex);
    if (dev == nullptr) {
        device_counters_.count_drop(Drop::NoDevice);
        return;
    }
    ++device_counters_.rx;
    if (FrameTap* tap = dev->tap()) tap->on_frame(now(), frame.bytes(), false);
    RxMeta meta;
    meta.ifindex = ifindex;
    if (dev->link_type() == LinkType::Ethernet) {
        if constexpr (config::ethernet) {
            ethernet::input(*this, std::move(frame), meta);
            return;
        }
        device_counters_.count_drop(Drop::UnknownEtherType);
        return;
    }
    // RawIp: the frame is an IP datagram; the version nibble says which.
    if (frame.size() == 0) {
        device_counters_.count_drop(Drop::Truncated);
        return;
    }
    if ((frame.data()[0] >> 4) == 4) {
        if constexpr (config::ipv4) {
            ipv4::input(*this, std::move(frame), meta);
            return;
        }
    }
    if ((frame.data()[0] >> 4) == 6) {
        if constexpr (config::ipv6) {
            ipv6::input(*this, std::move(frame), meta);
            return;
        }
    }
    device_counters_.count_drop(Drop::BadVersion);
}

bool Stack::inject(IfIndex ifindex, Bytes bytes) {
    if (device(ifindex) == nullptr) {
        device_counters_.count_drop(Drop::NoDevice);
        return false;
    }
    if (bytes.size() > config::frame_size) {
        device_counters_.count_drop(Drop::TooBig);
        return false;
    }
    // Received frames keep a little headroom so a reply built in place can grow its headers.
    std::size_t headroom = config::frame_size - bytes.size();
    if (headroom > config::frame_headroom) headroom = config::frame_headroom;
    auto frame = frames_.allocate_copy(bytes, headroom);
    if (!frame) {
        device_counters_.count_drop(Drop::PoolExhausted);
        return false;
    }
    receive(ifindex, std::move(*frame));
    return true;
}

std::size_t Stack::poll(std::size_t budget) {
    std::size_t received = 0;
    for (std::size_t i = 0; i < device_count_; ++i) {
        for (std::size_t n = 0; n < budget; ++n) {
            auto frame = devices_[i]->receive();
            if (!frame) break;
            receive(static_cast<IfIndex>(i), std::move(*frame));
            ++received;
        }
    }
    TimeMs t = now();
    // The modules' timers are deadlines in milliseconds, checked by scanning their tables: one scan per
    // millisecond finds every deadline that is due, so polls within the same millisecond (a busy device, a
    // loop polling after every frame) skip the scans. A deadline set during a millisecond to that same
    // millisecond (a random delay of 0) fires at the next one. The timer queue keeps its earliest deadline
    // and is checked on every poll.
    const bool scan = t != last_tick_;
    last_tick_ = t;
    if (scan) {
        if constexpr (config::arp) arp::tick(*this, t);
        if constexpr (config::ipv6) ipv6::tick(*this, t);
        if constexpr (config::nd) nd::tick(*this, t);
        if constexpr (config::slaac) slaac::tick(*this, t);
        if constexpr (config::mld) mld::tick(*this, t);
        if constexpr (config::igmp) igmp::tick(*this, t);
    }
    timers_.fire_due(*this, t);
    if constexpr (config::tcp) {
        if (scan) tcp::tick(*this, t);
    }
    return received;
}

// ---- services and hand-offs declared in core/handoff.hpp ----

Platform& platform(Stack& stack) {
    return stack.platform();
}
TimeMs now(Stack& stack) {
    return stack.now();
}
FramePoolBase& frames(Stack& stack) {
    return stack.frame_pool();
}
TimerQueueBase& timers(Stack& stack) {
    return stack.timer_queue();
}
Device* device(Stack& stack, IfIndex ifindex) {
    return stack.device(ifindex);
}

bool transmit(Stack& stack, IfIndex ifindex, PacketBuf&& frame) {
    Device* dev = stack.device(ifindex);
    if (dev == nullptr) {
        stack.device_counters().count_drop(Drop::NoDevice);
        return false;
    }
    if (FrameTap* tap = dev->tap()) tap->on_frame(stack.now(), frame.bytes(), true);
    if (!dev->transmit(std::move(frame))) {
        stack.device_counters().count_drop(Drop::DeviceDown);
        return false;
    }
    ++stack.device_counters().tx;
    return true;
}

void deliver_l3(Stack& stack, std::uint16_t ethertype, PacketBuf&& packet, const RxMeta& meta) {
    if constexpr (config::arp) {
        if (ethertype == ethernet::type_arp) return arp::input(stack, std::move(packet), meta);
    }
    if constexpr (config::ipv4) {
        if (ethertype == ethernet::type_ipv4) return ipv4::input(stack, std::move(packet), meta);
    }
    if constexpr (config::ipv6) {
        if (ethertype == ethernet::type_ipv6) return ipv6::input(stack, std::move(packet), meta);
    }
    if constexpr (config::ethernet) ethernet::state(stack).counters.count_drop(Drop::UnknownEtherType);
}

void deliver_ipv4_payload(Stack& stack, std::uint8_t protocol, PacketBuf&& payload, const RxMeta& meta) {
    if constexpr (config::icmp4) {
        if (protocol == ipv4::proto_icmp) return icmp4::input(stack, std::move(payload), meta);
    }
    if constexpr (config::igmp) {
        if (protocol == ipv4::proto_igmp) return igmp::input(stack, std::move(payload), meta);
    }
    if constexpr (config::udp) {
        if (protocol == ipv4::proto_udp) return udp::input(stack, std::move(payload), meta);
    }
    if constexpr (config::tcp) {
        if (protocol == ipv4::proto_tcp) return tcp::input(stack, std::move(payload), meta);
    }
    // No module for this protocol: RFC 1122 3.2.2.1 protocol unreachable (icmp4 applies the suppression
    // rules).
    if constexpr (config::ipv4) ipv4::state(stack).counters.count_drop(Drop::UnknownProtocol);
    if constexpr (config::icmp4) {
        icmp4::send_error(stack, icmp4::type_dest_unreachable, icmp4::code_protocol_unreachable, payload,
                          meta);
    }
}

bool is_local_ipv4(Stack& stack, IfIndex ifindex, Ipv4Addr address) {
    if constexpr (config::ipv4) return ipv4::is_local(stack, ifindex, address);
    return false;
}

void deliver_icmp4_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ip_datagram,
                         std::uint32_t rest_of_header) {
    if (quoted_ip_datagram.size() < 20) return;
    std::uint8_t protocol = quoted_ip_datagram[9];
    if constexpr (config::udp) {
        if (protocol == ipv4::proto_udp) return udp::icmp_error(stack, type, code, quoted_ip_datagram);
    }
    if constexpr (config::tcp) {
        if (protocol == ipv4::proto_tcp)
            return tcp::icmp_error(stack, type, code, quoted_ip_datagram, rest_of_header);
    }
    (void)type;
    (void)code;
    (void)rest_of_header;
}

void deliver_ipv6_payload(Stack& stack, std::uint8_t next_header, PacketBuf&& payload, const RxMeta& meta) {
    if constexpr (config::icmp6) {
        if (next_header == ipv6::nh_icmp6) return icmp6::input(stack, std::move(payload), meta);
    }
    if constexpr (config::udp) {
        if (next_header == ipv6::nh_udp) return udp::input(stack, std::move(payload), meta);
    }
    if constexpr (config::tcp) {
        if (next_header == ipv6::nh_tcp) return tcp::input(stack, std::move(payload), meta);
    }
    // ipv6::input answers an unrecognised Next Header with Parameter Problem code 1 itself (RFC 8200 4,
    // RFC 4443 3.4), asking ipv6_payload_known() first; whatever still arrives here is only counted.
    if constexpr (config::ipv6) ipv6::state(stack).counters.count_drop(Drop::UnknownProtocol);
    (void)stack;
    (void)next_header;
    (void)payload;
    (void)meta;
}

bool ipv6_payload_known(std::uint8_t next_header) {
    if constexpr (config::icmp6) {
        if (next_header == ipv6::nh_icmp6) return true;
    }
    if constexpr (config::udp) {
        if (next_header == ipv6::nh_udp) return true;
    }
    if constexpr (config::tcp) {
        if (next_header == ipv6::nh_tcp) return true;
    }
    (void)next_header;
    return false;
}

bool is_local_ipv6(Stack& stack, IfIndex ifindex, const Ipv6Addr& address) {
    if constexpr (config::ipv6) return ipv6::is_local(stack, ifindex, address);
    (void)stack;
    (void)ifindex;
    (void)address;
    return false;
}

void deliver_icmp6_error(Stack& stack, std::uint8_t type, std::uint8_t code, Bytes quoted_ipv6_packet,
                         std::uint32_t parameter) {
    // The quote starts at the IPv6 header of a packet we sent; its Next Header names the transport (we send
    // UDP and TCP without extension headers).
    if (quoted_ipv6_packet.size() < 40) return;
    const std::uint8_t next_header = quoted_ipv6_packet[6];
    if constexpr (config::udp) {
        if (next_header == 17) return udp::icmp6_error(stack, type, code, quoted_ipv6_packet);
    }
    if constexpr (config::tcp) {
        if (next_header == 6) return tcp::icmp6_error(stack, type, code, quoted_ipv6_packet, parameter);
    }
    (void)stack;
    (void)type;
    (void)code;
    (void)parameter;
    (void)next_header;
}

// ---- module state accessors (defined only for modules built in) ----
#if PICO_WITH_ETHERNET
ethernet::State& ethernet::state(Stack& stack) {
    return stack.ethernet_.state;
}
#endif
#if PICO_WITH_ARP
arp::State& arp::state(Stack& stack) {
    return stack.arp_.state;
}
#endif
#if PICO_WITH_IPV4
ipv4::State& ipv4::state(Stack& stack) {
    return stack.ipv4_.state;
}
#endif
#if PICO_WITH_ICMP4
icmp4::State& icmp4::state(Stack& stack) {
    return stack.icmp4_.state;
}
#endif
#if PICO_WITH_IGMP
igmp::State& igmp::state(Stack& stack) {
    return stack.igmp_.state;
}
#endif
#if PICO_WITH_IPV6
ipv6::State& ipv6::state(Stack& stack) {
    return stack.ipv6_.state;
}
#endif
#if PICO_WITH_ICMP6
icmp6::State& icmp6::state(Stack& stack) {
    return stack.icmp6_.state;
}
#endif
#if PICO_WITH_ND
nd::State& nd::state(Stack& stack) {
    return stack.nd_.state;
}
#endif
#if PICO_WITH_SLAAC
slaac::State& slaac::state(Stack& stack) {
    return stack.slaac_.state;
}
#endif
#if PICO_WITH_MLD
mld::State& mld::state(Stack& stack) {
    return stack.mld_.state;
}
#endif
#if PICO_WITH_UDP
udp::State& udp::state(Stack& stack) {
    return stack.udp_.state;
}
#endif
#if PICO_WITH_TCP
tcp::State& tcp::state(Stack& stack) {
    return stack.tcp_.state;
}
#endif

} // namespace pico
