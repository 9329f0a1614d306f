// TCP over IPv4: every IPv4-specific call TCP makes (see net.hpp).
#include "transport/tcp/net.hpp"
#include "core/checksum.hpp"
#include "core/config.hpp"
#include "link/device.hpp"
#include "net/ipv4.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace pico::tcp::net {

AddressBytes bytes_of(const Address& address) {
    AddressBytes out;
    address.v4.store(out.bytes.data());
    out.len = 4;
    return out;
}

std::uint16_t mss_for_mtu(std::uint32_t mtu) {
    // A segment must also fit a pool frame behind the headroom the layers below push their headers into.
    const std::uint32_t frame_limit =
        static_cast<std::uint32_t>(config::frame_size - config::frame_headroom) - tcp_header_len;
    std::uint32_t mss = mtu > ip_header_len + tcp_header_len ? mtu - ip_header_len - tcp_header_len : 0;
    if (mss > frame_limit) mss = frame_limit;
    if (mss > 0xffff) mss = 0xffff;
    return static_cast<std::uint16_t>(mss);
}

void negative_advice(Stack& stack, const Address& remote) {
    ipv4::negative_advice(stack, remote.v4);
}

std::optional<Path> route(Stack& stack, const Address& remote) {
    auto r = ipv4::route(stack, remote.v4);
    if (!r) return std::nullopt;
    Device* dev = device(stack, r->ifindex);
    if (dev == nullptr) return std::nullopt;
    Path path;
    path.source = Address::from(r->source);
    path.mss = mss_for_mtu(dev->mtu());
    return path;
}

bool is_local(Stack& stack, const Address& address) {
    return ipv4::is_local_any(stack, address.v4);
}

bool is_unicast_remote(Stack& stack, const Address& address) {
    const Ipv4Addr a = address.v4;
    if (a.is_unspecified() || a.is_limited_broadcast() || a.is_multicast() || a.is_reserved()) return false;
    for (std::size_t i = 0; i < config::max_devices; ++i)
        if (ipv4::is_broadcast(stack, static_cast<IfIndex>(i), a)) return false;
    return true;
}

Address source_of(const RxMeta& meta) {
    return Address::from(meta.src);
}
Address destination_of(const RxMeta& meta) {
    return Address::from(meta.dst);
}

bool to_group_address(const RxMeta& meta) {
    return meta.ip_broadcast || meta.ip_multicast || meta.dst.is_multicast() ||
           meta.dst.is_limited_broadcast();
}

bool bad_source(Stack& stack, const RxMeta& meta) {
    return !is_unicast_remote(stack, Address::from(meta.src));
}

std::uint32_t pseudo_header_sum(const Address& source, const Address& destination, std::uint16_t length) {
    return pseudo_header_sum_ipv4(source.v4.value, destination.v4.value, ipv4::proto_tcp, length);
}

std::uint8_t default_ttl(Stack& stack) {
    const std::uint8_t ttl = ipv4::state(stack).ttl;
    return ttl != 0 ? ttl : ipv4::default_ttl;
}

bool send(Stack& stack, const Address& source, const Address& destination, const SendOptions& options,
          PacketBuf&& segment) {
    ipv4::SendParams params;
    params.source = source.v4;
    params.destination = destination.v4;
    params.protocol = ipv4::proto_tcp;
    params.ttl = options.ttl;
    params.tos = options.tos;
    params.dont_fragment = true; // RFC 1191: path MTU discovery
    return ipv4::send(stack, params, std::move(segment));
}

std::optional<QuotedSegment> parse_quoted(Bytes quoted_ip_datagram) {
    auto ip = wire::ipv4::View::parse_quoted(quoted_ip_datagram);
    if (!ip || ip->protocol() != ipv4::proto_tcp) return std::nullopt;
    QuotedSegment q;
    q.local = Address::from(ip->source());
    q.remote = Address::from(ip->destination());
    q.tcp = ip->payload();
    if (q.tcp.size() < wire::tcp::quoted_len) return std::nullopt;
    return q;
}

} // namespace pico::tcp::net
