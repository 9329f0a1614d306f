// ICMPv4 (RFC 792, RFC 1122 3.2.2): echo, errors received and sent, rate limit.
#include "net/icmp4.hpp"
#include "core/bytes.hpp"
#include "net/ipv4.hpp"
#include "wire/icmp4.hpp"
#include "wire/ipv4.hpp"

namespace pico::icmp4 {

namespace {

// RFC 1812 4.3.2.3 (and RFC 1122 3.2.2: "at least the first 8 data octets"): an error quotes as much of
// the offending datagram as fits in a 576-byte datagram, the minimum every host accepts.
constexpr std::size_t max_error_datagram = 576;
constexpr std::size_t max_quote =
    max_error_datagram - wire::ipv4::min_header_len - wire::icmp4::header_len; // 548

// Is `address` a unique host address an error may go to (RFC 1122 3.2.2: not 0.0.0.0, broadcast,
// multicast, class E or loopback)?
bool unique_host(Stack& stack, Ipv4Addr address) {
    if (address.is_unspecified() || address.is_limited_broadcast() || address.is_multicast() ||
        address.is_reserved() || address.is_loopback())
        return false;
    for (std::size_t i = 0; i < config::max_devices; ++i)
        if (ipv4::is_broadcast(stack, static_cast<IfIndex>(i), address)) return false;
    return true;
}

bool send_message(Stack& stack, Ipv4Addr source, Ipv4Addr destination, std::uint8_t tos,
                  PacketBuf&& message) {
    ipv4::SendParams params;
    params.source = source;
    params.destination = destination;
    params.protocol = ipv4::proto_icmp;
    params.tos = tos;
    if (!ipv4::send(stack, params, std::move(message))) return false; // counted by ipv4
    ++state(stack).counters.tx;
    return true;
}

void answer_echo(Stack& stack, PacketBuf&& message, const wire::icmp4::View& request, const RxMeta& meta) {
    State& s = state(stack);
    // RFC 1122 3.2.2.6: an echo request to a broadcast or multicast address MAY be silently discarded. We
    // do, so the host cannot serve as a smurf amplifier; the drop is counted as NotForUs.
    if (meta.ip_broadcast || meta.ip_multicast) {
        s.counters.count_drop(Drop::NotForUs);
        return;
    }
    // RFC 792 / RFC 1122 3.2.2.6: the reply carries the same identifier, sequence number and data; it is
    // built in place in the received frame (type changed, checksum recomputed), and comes from the address
    // the request was sent to. RFC 1349 5.1: the same TOS as the request.
    wire::icmp4::Repr reply{type_echo_reply, 0, request.rest_of_header(), request.data()};
    if (!reply.emit(message.bytes())) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }
    send_message(stack, meta.dst, meta.src, meta.tos, std::move(message));
}

void receive_echo_reply(Stack& stack, const wire::icmp4::View& view, const RxMeta& meta) {
    State& s = state(stack);
    if (s.on_echo_reply == nullptr) {
        s.counters.count_drop(Drop::NoSocket); // nobody is pinging
        return;
    }
    EchoReply reply;
    reply.from = meta.src;
    reply.id = view.echo_identifier();
    reply.sequence = view.echo_sequence();
    reply.payload_len = static_cast<std::uint16_t>(view.data().size());
    reply.received_at = now(stack);
    s.on_echo_reply(s.echo_context, reply);
}

// RFC 1122 3.2.2.1-3.2.2.5: an error is passed to the transport that sent the quoted datagram, which needs
// the quoted IP header and at least the first 8 bytes of its data (the ports).
void receive_error(Stack& stack, const wire::icmp4::View& view) {
    State& s = state(stack);
    Drop why = Drop::Truncated;
    auto quoted = wire::ipv4::View::parse_quoted(view.data(), &why);
    if (!quoted) {
        s.counters.count_drop(why);
        return;
    }
    std::uint32_t rest_of_header = view.rest_of_header();
    if (view.type() == type_dest_unreachable && view.code() == code_fragmentation_needed &&
        ipv4::is_local_any(stack, quoted->source())) {
        // RFC 1191 4: the next-hop MTU is the low 16 bits of the second word. 0 (a router older than RFC
        // 1191): the estimate is the plateau below the quoted datagram's Total Length (RFC 1191 7); the
        // transport is told that estimate. The IP layer's path MTU cache believes only a decrease to 68 or
        // more (ipv4::update_path_mtu); TCP applies its own checks to the value it is given.
        auto mtu = static_cast<std::uint16_t>(rest_of_header & 0xffff);
        if (mtu == 0) {
            mtu = ipv4::plateau_below(quoted->total_length());
            rest_of_header = (rest_of_header & 0xffff0000u) | mtu;
        }
        ipv4::update_path_mtu(stack, quoted->destination(), mtu);
    }
    deliver_icmp4_error(stack, view.type(), view.code(), view.data(), rest_of_header);
}

} // namespace

void input(Stack& stack, PacketBuf&& message, const RxMeta& meta) {
    State& s = state(stack);
    ++s.counters.rx;
    Drop why = Drop::Truncated;
    auto view = wire::icmp4::View::parse(message.bytes(), &why);
    if (!view) {
        s.counters.count_drop(why); // fewer than the 8 header bytes
        return;
    }
    // RFC 1122 3.2.2: the checksum covers the whole ICMP message (RFC 792).
    if constexpr (!config::skip_checksum_verify) {
        if (!view->checksum_valid()) {
            s.counters.count_drop(Drop::BadChecksum);
            return;
        }
    }
    switch (view->type()) {
    case type_echo_request:
        return answer_echo(stack, std::move(message), *view, meta);
    case type_echo_reply:
        return receive_echo_reply(stack, *view, meta);
    case type_dest_unreachable:
    case type_source_quench:
    case type_time_exceeded:
    case type_parameter_problem:
        return receive_error(stack, *view);
    default:
        // Redirect (RFC 1122 3.2.2.2 SHOULD update the route cache) is not handled yet. Timestamp (3.2.2.8:
        // MAY) is not answered: it discloses the host's clock and no application here needs it. Information
        // and address mask requests are obsolete (RFC 6918). Unknown types are silently discarded
        // (3.2.2: "MUST be silently discarded").
        s.counters.count_drop(Drop::BadOperation);
        return;
    }
}

void send_error(Stack& stack, std::uint8_t type, std::uint8_t code, const PacketBuf& offending,
                const RxMeta& meta, std::uint32_t rest_of_header) {
    State& s = state(stack);
    // The offending datagram from its IP header to the end of the frame (ipv4::input trimmed link padding);
    // its Total Length bounds the quote.
    std::size_t end = offending.offset() + offending.size();
    Bytes datagram = meta.l3_header_len != 0 && meta.l3_offset <= end
                         ? offending.at_offset(meta.l3_offset, end - meta.l3_offset)
                         : Bytes{};
    auto view = wire::ipv4::View::parse(datagram);
    if (!view) {
        s.counters.count_drop(Drop::Truncated);
        return;
    }

    // RFC 1122 3.2.2 (and RFC 1812 4.3.2.7): an ICMP error message MUST NOT be sent as the result of
    // receiving an ICMP error message; a datagram destined to an IP broadcast or multicast address; a
    // datagram sent as a link-layer broadcast or multicast; a non-initial fragment; a datagram whose source
    // does not define a single host (zero, loopback, broadcast, multicast, class E). An ICMP message whose
    // type we cannot read counts as an error, to be safe.
    bool about_icmp_error = false;
    if (view->protocol() == ipv4::proto_icmp) {
        Bytes icmp = view->payload();
        about_icmp_error = icmp.empty() || wire::icmp4::is_error_type(icmp[0]);
    }
    Ipv4Addr destination = view->destination();
    bool broadcast_destination = meta.ip_broadcast || meta.ip_multicast ||
                                 destination.is_limited_broadcast() || destination.is_multicast() ||
                                 ipv4::is_broadcast(stack, meta.ifindex, destination) ||
                                 meta.dst.is_limited_broadcast() || meta.dst.is_multicast();
    bool link_group = meta.link_broadcast || meta.link_multicast;
    bool non_first_fragment = meta.non_first_fragment || view->fragment_offset() != 0;
    if (about_icmp_error || broadcast_destination || link_group || non_first_fragment ||
        !unique_host(stack, view->source()) || !unique_host(stack, meta.src)) {
        s.counters.count_drop(Drop::ErrorAboutError);
        return;
    }

    // Rate limit (RFC 1812 4.3.2.8; RFC 1122 3.2.2 allows it): a token bucket of error_burst tokens, one
    // back per error_interval_ms.
    s.limiter.refill(now(stack));
    if (s.limiter.empty()) {
        s.counters.count_drop(Drop::RateLimited);
        return;
    }

    std::size_t quote_len = view->bytes().size() < max_quote ? view->bytes().size() : max_quote;
    auto message = frames(stack).allocate(config::frame_headroom);
    if (!message || message->append(wire::icmp4::header_len + quote_len) == nullptr) {
        s.counters.count_drop(Drop::PoolExhausted);
        return;
    }
    s.limiter.take();
    wire::icmp4::Repr error{type, code, rest_of_header, view->bytes().first(quote_len)};
    error.emit(message->bytes());
    // To the source of the offending datagram, from the address it was sent to (one of ours: broadcast and
    // multicast destinations were excluded above). RFC 1349 5.1: errors use the default TOS.
    send_message(stack, meta.dst, meta.src, 0, std::move(*message));
}

bool send_echo_request(Stack& stack, Ipv4Addr destination, std::uint16_t id, std::uint16_t sequence,
                       Bytes payload) {
    State& s = state(stack);
    auto message = frames(stack).allocate(config::frame_headroom);
    if (!message || message->append(wire::icmp4::header_len + payload.size()) == nullptr) {
        s.counters.count_drop(message ? Drop::TooBig : Drop::PoolExhausted);
        return false;
    }
    wire::icmp4::Repr::echo(type_echo_request, id, sequence, payload).emit(message->bytes());
    return send_message(stack, Ipv4Addr{}, destination, 0, std::move(*message));
}

void set_echo_reply_handler(Stack& stack, EchoReplyFn fn, void* context) {
    state(stack).on_echo_reply = fn;
    state(stack).echo_context = context;
}

} // namespace pico::icmp4
