// The receive side of a connection: the receive ring with out-of-order data stored in place, the ranges held
// above RCV.NXT (and the SACK blocks they give, RFC 2018), the receive window with the receiver's silly
// window syndrome avoidance (RFC 9293 3.8.6.2.2), reading, and urgent data bookkeeping (RFC 6093).
#pragma once
#include "transport/tcp/tcb.hpp"
#include "wire/tcp.hpp"
#include <cstdint>

namespace pico::tcp::detail {

// Bytes of receive buffer in use (the RecvBuffer option, at most config::tcp_recv_buffer).
std::uint32_t recv_capacity(const Tcb& tcb);
// The sequence number of the next byte the application reads.
SeqNum read_seq(const Tcb& tcb);
// Room from RCV.NXT to the end of the buffer: the largest window we could offer now.
std::uint32_t receive_space(const Tcb& tcb);
// Our window scale for a receive buffer (RFC 7323 2.3: the smallest shift that lets the window cover it).
std::uint8_t window_shift_for(std::uint32_t buffer);

// After the SYN of the peer: RCV.NXT = IRS + 1 and the window our SYN (or SYN-ACK) offers.
void init_receive(Tcb& tcb, SeqNum irs);
// RCV.WND as advertised (the acceptability test uses it).
std::uint32_t rcv_wnd(const Tcb& tcb);
// Moves the advertised right edge when the receiver SWS rule allows (RFC 9293 3.8.6.2.2), never backwards.
void refresh_window(Tcb& tcb);
// The window field of an outgoing segment (unscaled in a SYN, RFC 7323 2.2).
std::uint16_t window_field(const Tcb& tcb, bool syn);
// After the application read: is the window opening enough to be worth an update segment?
bool window_update_due(const Tcb& tcb);

enum class TextResult : std::uint8_t {
    InOrder,    // appended at RCV.NXT
    FilledHole, // appended at RCV.NXT while out-of-order data was held: ACK at once (RFC 5681 4.2)
    OutOfOrder, // held above RCV.NXT: ACK at once, with SACK blocks
    Discarded,  // reading was shut down: acknowledged and thrown away
    NoRoom,     // no buffer (dropped), or out-of-order with every range in use (kept; the oldest held
                // range forgotten instead): counted as a drop, ACK at once
};
// Segment text at `seq` (>= RCV.NXT, already trimmed to the window).
TextResult accept_text(Tcb& tcb, SeqNum seq, Bytes data);
// Copies readable bytes out; returns how many.
std::size_t read_into(Tcb& tcb, MutBytes out);
void discard_readable(Tcb& tcb);
// The SACK blocks to report (RFC 2018 4), most recent first; returns how many were set.
std::uint8_t fill_sack_blocks(const Tcb& tcb, wire::tcp::Options& options);
// Urgent data (RFC 9293 3.8.5, RFC 6093): the pointer points to the byte after the urgent data. True when
// urgent data became pending or the pointer advanced (the application is told, MUST-31).
bool note_urgent(Tcb& tcb, SeqNum urgent_end);

} // namespace pico::tcp::detail
