// IPv4 fragmentation on send (RFC 791 3.2, RFC 1122 3.3.3): see ipv4_fragment.hpp.
#include "net/ipv4_fragment.hpp"
#include "core/checksum.hpp"
#include "net/ipv4.hpp"
#include <algorithm>
#include <array>

namespace pico::ipv4_fragment {

namespace {

constexpr std::uint8_t option_copy_flag = 0x80;
constexpr std::size_t max_options_len = wire::ipv4::max_header_len - wire::ipv4::min_header_len;

void count_drop(Stack& stack, Drop reason) {
    ipv4::state(stack).counters.count_drop(reason);
}

// Data octets a fragment with a header of header_len may carry under mtu: a multiple of 8 (RFC 791 3.2).
std::size_t data_per_fragment(std::size_t mtu, std::size_t header_len) {
    return mtu > header_len ? (mtu - header_len) / 8 * 8 : 0;
}

// One fragment: header (IHL from the options), options, data; its own checksum.
std::optional<PacketBuf> build(Stack& stack, wire::ipv4::Repr header, Bytes options, Bytes data,
                               std::size_t offset, bool more) {
    auto frame = frames(stack).allocate(config::frame_headroom);
    const std::size_t header_len = wire::ipv4::min_header_len + options.size();
    if (!frame) return std::nullopt;
    std::uint8_t* at = frame->append(header_len + data.size());
    if (at == nullptr) return std::nullopt;
    header.payload_len = static_cast<std::uint16_t>(options.size() + data.size());
    header.more_fragments = more;
    header.fragment_offset = static_cast<std::uint16_t>(offset);
    header.dont_fragment = false;
    if (!header.emit(MutBytes{at, header_len + data.size()})) return std::nullopt;
    copy_bytes(at + wire::ipv4::min_header_len, options.data(), options.size());
    copy_bytes(at + header_len, data.data(), data.size());
    if (!options.empty()) {
        // The Repr wrote a 20-octet header over options + data: make the options part of the header.
        at[wire::ipv4::field::version_ihl] = static_cast<std::uint8_t>(0x40 | (header_len / 4));
        store_be16(at + wire::ipv4::field::checksum, 0);
        store_be16(at + wire::ipv4::field::checksum, checksum(Bytes{at, header_len}));
    }
    return frame;
}

} // namespace

std::size_t copied_options(Bytes options, MutBytes out) {
    std::size_t at = 0;
    std::size_t written = 0;
    while (at < options.size() && written < out.size()) {
        const std::uint8_t type = options[at];
        if (type == wire::ipv4::option_end_of_list) break;
        if (type == wire::ipv4::option_no_operation) {
            ++at;
            continue;
        }
        if (options.size() - at < 2) break; // malformed: nothing more can be read
        const std::size_t length = options[at + 1];
        if (length < 2 || length > options.size() - at) break;
        if ((type & option_copy_flag) != 0 && length <= out.size() - written) {
            copy_bytes(out.data() + written, options.data() + at, length);
            written += length;
        }
        at += length;
    }
    while (written % 4 != 0 && written < out.size())
        out[written++] = wire::ipv4::option_end_of_list;
    return written;
}

bool fragment(Stack& stack, IfIndex ifindex, Ipv4Addr next_hop, const wire::ipv4::Repr& header, Bytes options,
              Bytes payload, std::size_t mtu) {
    ipv4::State& s = ipv4::state(stack);
    if (options.size() > max_options_len || options.size() % 4 != 0 || payload.size() > max_payload ||
        wire::ipv4::min_header_len + options.size() + payload.size() > wire::ipv4::max_total_len) {
        count_drop(stack, Drop::TooBig);
        return false;
    }
    std::array<std::uint8_t, max_options_len> later_storage{};
    const std::size_t later_len = copied_options(options, MutBytes{later_storage.data(), options.size()});
    const Bytes later_options{later_storage.data(), later_len};

    // Fragment 0 carries every option; the others only the copied ones.
    const std::size_t first_data = data_per_fragment(mtu, wire::ipv4::min_header_len + options.size());
    const std::size_t later_data = data_per_fragment(mtu, wire::ipv4::min_header_len + later_len);
    if (first_data == 0 || later_data == 0) {
        count_drop(stack, Drop::TooBig); // an MTU below 28 octets (RFC 791 guarantees 68)
        return false;
    }
    // All or nothing: enough free frames for every fragment, or none is sent.
    const std::size_t rest = payload.size() > first_data ? payload.size() - first_data : 0;
    const std::size_t needed = 1 + (rest + later_data - 1) / later_data;
    const PoolStats& pool = frames(stack).stats();
    if (pool.capacity - pool.in_use < needed) {
        count_drop(stack, Drop::PoolExhausted);
        return false;
    }

    ++s.fragmented;
    std::size_t offset = 0;
    bool all_sent = true;
    // Bounded: every round sends at least 8 octets of a payload of at most max_payload octets.
    while (offset < payload.size()) {
        const bool first = offset == 0;
        const std::size_t room = first ? first_data : later_data;
        const std::size_t len = std::min(room, payload.size() - offset);
        const bool more = offset + len < payload.size();
        auto frame =
            build(stack, header, first ? options : later_options, payload.subspan(offset, len), offset, more);
        if (!frame) {
            count_drop(stack, Drop::PoolExhausted); // the rest of the datagram is not sent
            return false;
        }
        ++s.fragments_sent;
        if (!ipv4::output(stack, ifindex, next_hop, std::move(*frame))) all_sent = false;
        offset += len;
    }
    return all_sent;
}

} // namespace pico::ipv4_fragment
