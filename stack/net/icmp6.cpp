// ICMPv6 (RFC 4443): echo, errors received and sent with the section 2.4 rules, rate limit; Neighbor
// Discovery and MLD messages handed to their modules.
#include "net/icmp6.hpp"
#include "core/bytes.hpp"
#include "net/ipv6.hpp"
#include "net/mld.hpp"
#include "net/nd.hpp"
#include "wire/icmp6.hpp"
#include "wire/ipv6.hpp"

namespace pico::icmp6 {

namespace {

// RFC 4443 2.4 (c): an error packet is as large as possible without exceeding the minimum IPv6 MTU.
constexpr std::size_t max_error_packet = ipv6::min_mtu;
constexpr std::size_t max_quote = max_error_packet - wire::ipv6::header_len - wire::icmp6::header_len; // 1232
constexpr std::size_t max_chain_walk = 8;

void answer_echo(Stack& stack, PacketBuf&& message, const wire::icmp6::View& request, const RxMeta& meta) {
    State& s = state(stack);
    // CVE-2020-17443 shape: an echo request must hold Identifier and Sequence Number (8 octets).
#if PICO_FUZZ_CANARIES
    // CVE-2020-17443 (picoTCP pico_icmp6_send_echoreply): the reply copied the request's Identifier, Sequence
    // Number and data as if the 8-octet header were there: a shorter request was read past its end.
    if (!request.has_body() && canary::armed("icmp6-echo-short")) canary::crash("icmp6-echo-short");
#endif
    if (!request.has_body()) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    // RFC 4443 4.2: the reply carries the request's Identifier, Sequence Number and data, built in place.
    // Its source is the address the request was sent to when that is one of our unicast addresses; a
    // request to a multicast (or anycast) address is answered from a unicast address of the interface it
    // arrived on (4.2, 2.2 (b)). RFC 4443 4.1: answering multicast requests is a SHOULD; we do.
    wire::icmp6::Repr reply{type_echo_reply, 0,
                            (std::uint32_t{request.echo_identifier()} << 16) | request.echo_sequence(),
                            request.data()};
    if (!reply.emit(message.bytes())) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    Ipv6Addr source = meta.ip_multicast ? Ipv6Addr{} : meta.dst6;
    send(stack, source, meta.src6, meta.ifindex, 0, std::move(message));
}

void receive_echo_reply(Stack& stack, const wire::icmp6::View& view, const RxMeta& meta) {
    State& s = state(stack);
    if (!view.has_body()) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    if (s.on_echo_reply == nullptr) {
        s.counters.count_drop(Drop::NoSocket);
        return;
    }
    EchoReply reply;
    reply.from = meta.src6;
    reply.id = view.echo_identifier();
    reply.sequence = view.echo_sequence();
    reply.payload_len = static_cast<std::uint16_t>(view.data().size());
    reply.received_at = now(stack);
    s.on_echo_reply(s.echo_context, reply);
}

// RFC 4443 3.1-3.4 and 2.4 (c)/(d): an error is passed to the upper layer that sent the invoking packet,
// which needs at least the quoted IPv6 header to find it. Packet Too Big also updates the path MTU (RFC 8201
// 4) towards the quoted destination, when the quoted source is one of ours (a PTB about someone else's
// packet is not believed).
void receive_error(Stack& stack, const wire::icmp6::View& view) {
    State& s = state(stack);
    if (!view.has_body()) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    Drop why = Drop::Truncated;
    auto quoted = wire::ipv6::View::parse_quoted(view.data(), &why);
    if (!quoted) {
        s.counters.count_drop(why);
        return;
    }
    if (!ipv6::is_local_any(stack, quoted->source())) {
        s.counters.count_drop(Drop::NotForUs);
        return;
    }
    if (view.type() == type_packet_too_big) {
        // RFC 8201 4: a Packet Too Big reporting an MTU below 1280 is discarded (the estimate never goes
        // below the IPv6 minimum link MTU).
        if (view.parameter() < ipv6::min_mtu) {
            s.counters.count_drop(Drop::BadLength);
            return;
        }
        ipv6::update_path_mtu(stack, quoted->destination(), view.parameter());
    }
    deliver_icmp6_error(stack, view.type(), view.code(), view.data(), view.parameter());
}

} // namespace

void input(Stack& stack, PacketBuf&& message, const RxMeta& meta) {
    State& s = state(stack);
    ++s.counters.rx;
    Drop why = Drop::Truncated;
    auto view = wire::icmp6::View::parse(message.bytes(), &why);
    if (!view) {
        s.counters.count_drop(why);
        return;
    }
    // RFC 4443 2.3: the checksum covers the pseudo-header and the whole message, exactly the bytes the IPv6
    // layer delivered (trimmed to its Payload Length: never past the frame, CVE-2020-17441).
    if constexpr (!config::skip_checksum_verify) {
        if (!view->checksum_valid(meta.src6, meta.dst6)) {
            s.counters.count_drop(Drop::BadChecksum);
            return;
        }
    }
    std::uint8_t type = view->type();
    switch (type) {
    case type_echo_request:
        return answer_echo(stack, std::move(message), *view, meta);
    case type_echo_reply:
        return receive_echo_reply(stack, *view, meta);
    case type_dest_unreachable:
    case type_packet_too_big:
    case type_time_exceeded:
    case type_parameter_problem:
        return receive_error(stack, *view);
    case type_router_solicitation:
    case type_router_advertisement:
    case type_neighbor_solicitation:
    case type_neighbor_advertisement:
    case type_redirect:
        if constexpr (config::nd) return nd::input(stack, std::move(message), meta);
        break;
    case type_mld_query:
    case type_mld_report:
    case type_mld_done:
    case type_mldv2_report:
        if constexpr (config::mld) return mld::input(stack, std::move(message), meta);
        break;
    default:
        break;
    }
    // RFC 4443 2.4 (a): an unknown error type goes to the upper layer like the known ones; (b): an unknown
    // informational message is silently discarded.
    if (wire::icmp6::is_error_type(type)) return receive_error(stack, *view);
    s.counters.count_drop(Drop::BadOperation);
}

void send_error(Stack& stack, std::uint8_t type, std::uint8_t code, const PacketBuf& offending,
                const RxMeta& meta, std::uint32_t parameter, bool allow_multicast) {
    State& s = state(stack);
    std::size_t end = offending.offset() + offending.size();
    Bytes packet =
        meta.l3_offset <= end ? offending.at_offset(meta.l3_offset, end - meta.l3_offset) : Bytes{};
    auto view = wire::ipv6::View::parse_quoted(packet);
    if (!view) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    // RFC 4443 2.4 (e.1)/(e.2): never about an ICMPv6 error or a Redirect (an ICMPv6 message whose type
    // cannot be read counts as one, to be safe).
    auto upper = wire::ipv6::find_upper_layer(view->next_header(), view->payload(), max_chain_walk);
    if (upper && upper->next_header == wire::icmp6::next_header) {
        Bytes icmp = view->payload().subspan(upper->offset);
        if (icmp.empty() || wire::icmp6::is_error_type(icmp[0]) || icmp[0] == type_redirect) {
            s.counters.count_drop(Drop::ErrorAboutError);
            return;
        }
    }
    // (e.3)/(e.4): never about a packet to a multicast address or sent as a link-layer multicast or
    // broadcast, except Packet Too Big and Parameter Problem code 2 (allow_multicast).
    bool group =
        meta.ip_multicast || view->destination().is_multicast() || meta.link_multicast || meta.link_broadcast;
    bool excepted = type == type_packet_too_big || (type == type_parameter_problem && allow_multicast);
    // (e.6): never about a packet whose source does not identify a single node (unspecified, multicast;
    // loopback never came from a link).
    Ipv6Addr to = view->source();
    if ((group && !excepted) || to.is_unspecified() || to.is_multicast() || to.is_v4_mapped()) {
        s.counters.count_drop(Drop::ErrorAboutError);
        return;
    }
    // (f): rate limit, a token bucket.
    s.limiter.refill(now(stack));
    if (s.limiter.empty()) {
        s.counters.count_drop(Drop::RateLimited);
        return;
    }
    std::size_t quote_len = view->bytes().size() < max_quote ? view->bytes().size() : max_quote;
    auto message = frames(stack).allocate(config::frame_headroom);
    if (!message || message->append(wire::icmp6::header_len + quote_len) == nullptr) {
        s.counters.count_drop(Drop::PoolExhausted);
        return;
    }
    s.limiter.take();
    wire::icmp6::Repr error{type, code, parameter, view->bytes().first(quote_len)};
    error.emit(message->bytes());
    // RFC 4443 2.2: from the address the packet was sent to when it is one of our unicast addresses,
    // otherwise from one the route selects on the interface it arrived on.
    Ipv6Addr from = view->destination();
    if (from.is_multicast() || !ipv6::is_local_any(stack, from)) from = Ipv6Addr{};
    send(stack, from, to, meta.ifindex, 0, std::move(*message));
}

std::uint16_t checksum(const Ipv6Addr& source, const Ipv6Addr& destination, Bytes message) {
    return wire::icmp6::upper_layer_checksum(source, destination, wire::icmp6::next_header, message);
}

bool send(Stack& stack, const Ipv6Addr& source, const Ipv6Addr& destination, IfIndex ifindex,
          std::uint8_t hop_limit, PacketBuf&& message, bool allow_unspecified_source, bool router_alert) {
    State& s = state(stack);
    // The checksum needs the source: the route's choice when the caller leaves it unspecified (:: stays ::
    // when the caller allows it: ipv6::send then sends it as is).
    Ipv6Addr from = source;
    if (from.is_unspecified()) {
        auto hop = ipv6::route(stack, destination, ifindex);
        if (!hop) {
            ipv6::state(stack).counters.count_drop(Drop::NoRoute);
            return false;
        }
        if (!allow_unspecified_source) from = hop->source;
        if (from.is_unspecified() && !allow_unspecified_source) {
            ipv6::state(stack).counters.count_drop(Drop::BadAddress);
            return false;
        }
        if (ifindex == no_interface) ifindex = hop->ifindex;
    }
    wire::icmp6::fill_checksum(message.bytes(), from, destination);
    ipv6::SendParams params;
    params.source = from;
    params.destination = destination;
    params.next_header = wire::icmp6::next_header;
    params.hop_limit = hop_limit;
    params.ifindex = ifindex;
    params.allow_unspecified_source = allow_unspecified_source;
    params.router_alert = router_alert;
    if (!ipv6::send(stack, params, std::move(message))) return false; // counted by ipv6
    ++s.counters.tx;
    return true;
}

bool send_echo_request(Stack& stack, const Ipv6Addr& destination, std::uint16_t id, std::uint16_t sequence,
                       Bytes payload, IfIndex ifindex) {
    State& s = state(stack);
    auto message = frames(stack).allocate(config::frame_headroom);
    if (!message || message->append(wire::icmp6::header_len + payload.size()) == nullptr) {
        s.counters.count_drop(message ? Drop::TooBig : Drop::PoolExhausted);
        return false;
    }
    wire::icmp6::Repr::echo(type_echo_request, id, sequence, payload).emit(message->bytes());
    return send(stack, Ipv6Addr{}, destination, ifindex, 0, std::move(*message));
}

void set_echo_reply_handler(Stack& stack, EchoReplyFn fn, void* context) {
    state(stack).on_echo_reply = fn;
    state(stack).echo_context = context;
}

} // namespace pico::icmp6
