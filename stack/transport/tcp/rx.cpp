// The receive side of a connection (see rx.hpp).
#include "transport/tcp/rx.hpp"
#include "transport/tcp/internal.hpp"
#include <algorithm>

namespace pico::tcp::detail {

namespace {

constexpr std::uint32_t ring_size = static_cast<std::uint32_t>(config::tcp_recv_buffer);

std::uint32_t max_window(const Tcb& tcb) {
    return std::uint32_t{0xffff} << tcb.rcv_wscale;
}

// RFC 9293 3.8.6.2.2: the right edge moves only in steps of at least min(Fr * RCV.BUFF, Eff.snd.MSS), Fr 1/2.
std::uint32_t sws_threshold(const Tcb& tcb) {
    std::uint32_t half = recv_capacity(tcb) / 2;
    std::uint32_t mss = tcb.announced_mss;
    std::uint32_t t = std::min(half, mss);
    return t == 0 ? 1 : t;
}

void ring_write(Tcb& tcb, std::uint32_t offset, Bytes data) {
    std::uint32_t at = (tcb.recv.head + offset) % ring_size;
    std::size_t first = std::min<std::size_t>(data.size(), ring_size - at);
    copy_bytes(tcb.recv.bytes.data() + at, data.data(), first);
    if (first < data.size()) copy_bytes(tcb.recv.bytes.data(), data.data() + first, data.size() - first);
    const std::uint32_t end = first < data.size() ? ring_size : at + static_cast<std::uint32_t>(first);
    tcb.recv.dirty = std::max(tcb.recv.dirty, end);
}

void remove_range(ReceivedRanges& r, std::size_t index) {
    for (std::size_t i = index + 1; i < r.count; ++i)
        r.ranges[i - 1] = r.ranges[i];
    --r.count;
}

// Adds [left, right) to the held ranges, merged with any it overlaps or touches, as the most recent one.
// When all ranges are in use, the least recently changed one is forgotten to make room (its octets count
// as not received: reneging, which SACK allows, RFC 2018 8) and false is returned; the newest segment is
// always kept, so the first SACK block reports it (RFC 2018 8, R16).
bool add_range(ReceivedRanges& r, SeqNum left, SeqNum right) {
    std::size_t i = 0;
    while (i < r.count) {
        const SeqRange& o = r.ranges[i];
        if (o.left <= right && left <= o.right) {
            left = seq_min(left, o.left);
            right = seq_max(right, o.right);
            remove_range(r, i);
            continue;
        }
        ++i;
    }
    const bool forgot = r.count == ReceivedRanges::capacity;
    if (forgot) --r.count;
    for (std::size_t k = r.count; k > 0; --k)
        r.ranges[k] = r.ranges[k - 1];
    r.ranges[0] = SeqRange{left, right};
    ++r.count;
    return !forgot;
}

} // namespace

std::uint32_t recv_capacity(const Tcb& tcb) {
    return std::min<std::uint32_t>(tcb.recv_buffer, ring_size);
}

SeqNum read_seq(const Tcb& tcb) {
    return tcb.rcv_nxt - tcb.recv.readable;
}

std::uint32_t receive_space(const Tcb& tcb) {
    std::uint32_t cap = recv_capacity(tcb);
    return cap > tcb.recv.readable ? cap - tcb.recv.readable : 0;
}

std::uint8_t window_shift_for(std::uint32_t buffer) {
    std::uint8_t shift = 0;
    while (shift < max_window_shift && (buffer >> shift) > 0xffff)
        ++shift;
    return shift;
}

void init_receive(Tcb& tcb, SeqNum irs) {
    tcb.irs = irs;
    tcb.rcv_nxt = irs + 1;
    tcb.last_ack_sent = tcb.rcv_nxt;
    tcb.recv.head = 0;
    tcb.recv.readable = 0;
    tcb.out_of_order.count = 0;
    // The window of our SYN or SYN-ACK: never scaled (RFC 7323 2.2).
    tcb.rcv_adv = tcb.rcv_nxt + std::min<std::uint32_t>(receive_space(tcb), 0xffff);
}

std::uint32_t rcv_wnd(const Tcb& tcb) {
    return tcb.rcv_adv > tcb.rcv_nxt ? static_cast<std::uint32_t>(tcb.rcv_adv - tcb.rcv_nxt) : 0;
}

void refresh_window(Tcb& tcb) {
    std::uint32_t space = std::min(receive_space(tcb), max_window(tcb));
    SeqNum potential = tcb.rcv_nxt + space;
    if (potential <= tcb.rcv_adv)
        return; // never move the right edge back (RFC 9293 3.8.6: SHOULD NOT shrink)
    if (static_cast<std::uint32_t>(potential - tcb.rcv_adv) >= sws_threshold(tcb) ||
        tcb.rcv_adv < tcb.rcv_nxt)
        tcb.rcv_adv = potential;
}

std::uint16_t window_field(const Tcb& tcb, bool syn) {
    std::uint32_t w = rcv_wnd(tcb);
    if (!syn) w >>= tcb.rcv_wscale;
    return static_cast<std::uint16_t>(std::min<std::uint32_t>(w, 0xffff));
}

bool window_update_due(const Tcb& tcb) {
    std::uint32_t current = rcv_wnd(tcb);
    std::uint32_t space = std::min(receive_space(tcb), max_window(tcb));
    return space > current && space - current >= sws_threshold(tcb) && current <= recv_capacity(tcb) / 2;
}

TextResult accept_text(Tcb& tcb, SeqNum seq, Bytes data) {
    if (tcb.read_shut) {
        // shutdown_read: in-order data is acknowledged and dropped, so the peer is not stalled.
        if (seq != tcb.rcv_nxt) return TextResult::NoRoom;
        tcb.rcv_nxt += static_cast<std::uint32_t>(data.size());
        return TextResult::Discarded;
    }
    const std::uint32_t cap = recv_capacity(tcb);
    const std::uint32_t offset = tcb.recv.readable + static_cast<std::uint32_t>(seq - tcb.rcv_nxt);
    if (offset >= cap) return TextResult::NoRoom;
    const std::uint32_t len = std::min<std::uint32_t>(static_cast<std::uint32_t>(data.size()), cap - offset);
    ring_write(tcb, offset, data.first(len));
    if (len > tcb.rcv_mss) tcb.rcv_mss = std::min<std::uint32_t>(len, tcb.announced_mss);

    if (seq != tcb.rcv_nxt) {
        if (!add_range(tcb.out_of_order, seq, seq + len)) return TextResult::NoRoom;
        return TextResult::OutOfOrder;
    }
    const bool had_holes = tcb.out_of_order.count > 0;
    tcb.rcv_nxt += len;
    tcb.recv.readable += len;
    // Held ranges that now join the in-order data (each pass removes one; at most `capacity` passes).
    bool merged = true;
    while (merged) {
        merged = false;
        for (std::size_t i = 0; i < tcb.out_of_order.count; ++i) {
            const SeqRange r = tcb.out_of_order.ranges[i];
            if (r.left > tcb.rcv_nxt) continue;
            if (r.right > tcb.rcv_nxt) {
                const std::uint32_t extra = static_cast<std::uint32_t>(r.right - tcb.rcv_nxt);
                tcb.rcv_nxt += extra;
                tcb.recv.readable += extra;
            }
            remove_range(tcb.out_of_order, i);
            merged = true;
            break;
        }
    }
    return had_holes ? TextResult::FilledHole : TextResult::InOrder;
}

std::size_t read_into(Tcb& tcb, MutBytes out) {
    const std::uint32_t n =
        std::min<std::uint32_t>(static_cast<std::uint32_t>(out.size()), tcb.recv.readable);
    const std::uint32_t first = std::min<std::uint32_t>(n, ring_size - tcb.recv.head);
    copy_bytes(out.data(), tcb.recv.bytes.data() + tcb.recv.head, first);
    if (first < n) copy_bytes(out.data() + first, tcb.recv.bytes.data(), n - first);
    tcb.recv.head = (tcb.recv.head + n) % ring_size;
    tcb.recv.readable -= n;
    if (tcb.rcv_urgent && read_seq(tcb) >= tcb.rcv_up) tcb.rcv_urgent = false;
    return n;
}

void discard_readable(Tcb& tcb) {
    tcb.recv.head = (tcb.recv.head + tcb.recv.readable) % ring_size;
    tcb.recv.readable = 0;
    tcb.rcv_urgent = false;
}

std::uint8_t fill_sack_blocks(const Tcb& tcb, wire::tcp::Options& options) {
    const std::size_t n = std::min<std::size_t>(tcb.out_of_order.count, wire::tcp::option::max_sack_blocks);
    for (std::size_t i = 0; i < n; ++i) {
        options.sack[i].left = tcb.out_of_order.ranges[i].left.raw();
        options.sack[i].right = tcb.out_of_order.ranges[i].right.raw();
    }
    options.sack_count = static_cast<std::uint8_t>(n);
    return options.sack_count;
}

bool note_urgent(Tcb& tcb, SeqNum urgent_end) {
    if (urgent_end <= read_seq(tcb)) return false; // already read past it
    if (tcb.rcv_urgent && urgent_end <= tcb.rcv_up) return false;
    tcb.rcv_up = urgent_end;
    tcb.rcv_urgent = true;
    return true;
}

} // namespace pico::tcp::detail
