// TCP over IPv4 and IPv6: every network-layer call TCP makes (see net.hpp), one branch per family. Each
// branch is compiled only when its IP module is built (if constexpr over config.hpp).
#include "transport/tcp/net.hpp"
#include "core/checksum.hpp"
#include "core/config.hpp"
#include "link/device.hpp"
#include "net/ipv4.hpp"
#include "net/ipv6.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace pico::tcp::net {

namespace {
constexpr std::uint8_t proto_tcp = 6; // the same number for both families (IANA)
} // namespace

AddressBytes bytes_of(const Address& address) {
    AddressBytes out;
    if (address.is_v6()) {
        address.v6().store(out.bytes.data());
        out.len = 16;
    } else {
        address.v4.store(out.bytes.data());
        out.len = 4;
    }
    return out;
}

std::uint16_t mss_for_mtu(std::uint32_t mtu, bool ipv6) {
    // A segment must also fit a pool frame behind the headroom the layers below push their headers into.
    const std::uint32_t frame_limit =
        static_cast<std::uint32_t>(config::frame_size - config::frame_headroom) - tcp_header_len;
    const std::uint32_t below = (ipv6 ? ipv6_header_len : ip_header_len) + tcp_header_len;
    std::uint32_t mss = mtu > below ? mtu - below : 0;
    if (mss > frame_limit) mss = frame_limit;
    if (mss > 0xffff) mss = 0xffff;
    return static_cast<std::uint16_t>(mss);
}

std::uint16_t min_mtu(bool ipv6) {
    return ipv6 ? 1280 : min_path_mtu;
}

std::uint16_t default_peer_mss(const Address& remote) {
    return remote.is_v6() ? 1220 : 536;
}

void negative_advice(Stack& stack, const Address& remote) {
    if (remote.is_v6()) {
        if constexpr (config::ipv6) ipv6::negative_advice(stack, remote.v6());
        return;
    }
    if constexpr (config::ipv4) ipv4::negative_advice(stack, remote.v4);
}

std::optional<Path> route(Stack& stack, const Address& remote) {
    if (remote.is_v6()) {
        if constexpr (config::ipv6) {
            auto r = ipv6::route(stack, remote.v6());
            if (!r) return std::nullopt;
            Path path;
            path.source = Address::from(IpAddr{r->source});
            path.mss = mss_for_mtu(r->mtu, true);
            Device* dev = device(stack, r->ifindex);
            path.announce_mss = dev != nullptr ? mss_for_mtu(dev->mtu(), true) : path.mss;
            if (path.announce_mss < path.mss) path.announce_mss = path.mss;
            return path;
        }
        return std::nullopt;
    }
    if constexpr (config::ipv4) {
        auto r = ipv4::route(stack, remote.v4);
        if (!r) return std::nullopt;
        Device* dev = device(stack, r->ifindex);
        if (dev == nullptr) return std::nullopt;
        Path path;
        path.source = Address::from(r->source);
        path.mss = mss_for_mtu(ipv4::path_mtu(stack, r->ifindex, remote.v4));
        path.announce_mss = mss_for_mtu(dev->mtu());
        return path;
    }
    return std::nullopt;
}

bool is_local(Stack& stack, const Address& address) {
    if (address.is_v6()) {
        if constexpr (config::ipv6) return ipv6::is_local_any(stack, address.v6());
        return false;
    }
    if constexpr (config::ipv4) return ipv4::is_local_any(stack, address.v4);
    return false;
}

bool is_unicast_remote(Stack& stack, const Address& address) {
    if (address.is_v6()) {
        // RFC 4291: not ::, not multicast, not an IPv4-mapped address (never on the wire).
        const Ipv6Addr a = address.v6();
        return !a.is_unspecified() && !a.is_multicast() && !a.is_v4_mapped();
    }
    if constexpr (config::ipv4) {
        const Ipv4Addr a = address.v4;
        if (a.is_unspecified() || a.is_limited_broadcast() || a.is_multicast() || a.is_reserved())
            return false;
        for (std::size_t i = 0; i < config::max_devices; ++i)
            if (ipv4::is_broadcast(stack, static_cast<IfIndex>(i), a)) return false;
        return true;
    }
    (void)stack;
    return false;
}

Address source_of(const RxMeta& meta) {
    return meta.ipv6 ? Address::from(IpAddr{meta.src6}) : Address::from(meta.src);
}
Address destination_of(const RxMeta& meta) {
    return meta.ipv6 ? Address::from(IpAddr{meta.dst6}) : Address::from(meta.dst);
}

bool to_group_address(const RxMeta& meta) {
    if (meta.ipv6) return meta.ip_multicast || meta.dst6.is_multicast();
    return meta.ip_broadcast || meta.ip_multicast || meta.dst.is_multicast() ||
           meta.dst.is_limited_broadcast();
}

bool bad_source(Stack& stack, const RxMeta& meta) {
    return !is_unicast_remote(stack, source_of(meta));
}

std::uint32_t pseudo_header_sum(const Address& source, const Address& destination, std::uint16_t length) {
    if (source.is_v6()) {
        const Ipv6Addr s = source.v6();
        const Ipv6Addr d = destination.v6();
        return pseudo_header_sum_ipv6(s.octets.data(), d.octets.data(), proto_tcp, length);
    }
    return pseudo_header_sum_ipv4(source.v4.value, destination.v4.value, proto_tcp, length);
}

std::uint8_t default_ttl(Stack& stack) {
    if constexpr (config::ipv4) {
        const std::uint8_t ttl = ipv4::state(stack).ttl;
        return ttl != 0 ? ttl : ipv4::default_ttl;
    }
    if constexpr (config::ipv6) {
        const std::uint8_t hop_limit = ipv6::state(stack).hop_limit;
        return hop_limit != 0 ? hop_limit : ipv6::default_hop_limit;
    }
    (void)stack;
    return 64;
}

bool send(Stack& stack, const Address& source, const Address& destination, const SendOptions& options,
          PacketBuf&& segment) {
    if (destination.is_v6()) {
        if constexpr (config::ipv6) {
            ipv6::SendParams params;
            params.source = source.v6();
            params.destination = destination.v6();
            params.next_header = ipv6::nh_tcp;
            params.hop_limit = options.ttl;
            params.traffic_class = options.tos;
            params.dont_fragment = true; // RFC 8201: segments are sized by the path MTU, never fragmented
            return ipv6::send(stack, params, std::move(segment));
        }
        return false;
    }
    if constexpr (config::ipv4) {
        ipv4::SendParams params;
        params.source = source.v4;
        params.destination = destination.v4;
        params.protocol = ipv4::proto_tcp;
        params.ttl = options.ttl;
        params.tos = options.tos;
        params.dont_fragment = true; // RFC 1191: path MTU discovery
        return ipv4::send(stack, params, std::move(segment));
    }
    (void)stack;
    (void)source;
    (void)options;
    (void)segment;
    return false;
}

std::optional<QuotedSegment> parse_quoted(Bytes quoted_ip_datagram) {
    if (quoted_ip_datagram.empty()) return std::nullopt;
    if ((quoted_ip_datagram[0] >> 4) == 6) {
        // The IPv6 header an ICMPv6 error quotes (RFC 4443 2.4 (c)): we send TCP without extension headers.
        constexpr std::size_t header = 40;
        if (quoted_ip_datagram.size() < header + wire::tcp::quoted_len) return std::nullopt;
        if (quoted_ip_datagram[6] != proto_tcp) return std::nullopt;
        QuotedSegment q;
        q.local = Address::from(IpAddr{Ipv6Addr::load(quoted_ip_datagram.data() + 8)});
        q.remote = Address::from(IpAddr{Ipv6Addr::load(quoted_ip_datagram.data() + 24)});
        q.tcp = quoted_ip_datagram.subspan(header);
        return q;
    }
    auto ip = wire::ipv4::View::parse_quoted(quoted_ip_datagram);
    if (!ip || ip->protocol() != proto_tcp) return std::nullopt;
    QuotedSegment q;
    q.local = Address::from(ip->source());
    q.remote = Address::from(ip->destination());
    q.tcp = ip->payload();
    if (q.tcp.size() < wire::tcp::quoted_len) return std::nullopt;
    return q;
}

} // namespace pico::tcp::net
