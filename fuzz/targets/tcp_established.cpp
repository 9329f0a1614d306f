// Target tcp_established: one TCP connection between the stack (198.18.0.2) and the input (the peer,
// 198.18.0.1), brought by the harness to the state the first input byte chooses, then driven by segments
// from the peer and by application calls on the stack's socket, with virtual-time gaps (fuzz/README.md).
//
// Input: [set-up byte] then records in the sequence format with call records (fuzz/README.md):
//   [u16 be length < 0x8000][u16 be delta ms][TCP segment]          a segment from the peer
//   [u16 be 0x8000 | n][u16 be delta ms][n bytes: op, arguments]     an application call
// at most 96 records. Before each record the virtual clock advances by its delta and the stack is polled.
//
// Set-up byte: bits 0-3 the state: 0 ESTABLISHED (passive open: the peer connected from port 40000 to the
// stack's 198.18.0.2:443), 1 ESTABLISHED (active open: the stack connected to 198.18.0.1:9000), 2 SYN-SENT
// (active), 3 SYN-RECEIVED (passive, the peer's ACK not sent; accepted when it arrives), 4 FIN-WAIT-1,
// 5 FIN-WAIT-2, 6 CLOSE-WAIT, 7 CLOSING, 8 LAST-ACK, 9 TIME-WAIT (all passive; the application's side
// closes with shutdown_write, so the socket stays the input's), 10-15 ESTABLISHED (passive). The peer's
// SYN (or SYN-ACK) offers MSS 1460, or 536 with bit 7; timestamps with bit 4; SACK-permitted with bit 5;
// window scale 7 with bit 6.
//
// Segments are in the connection's relative numbering (as Wireshark shows them): the harness writes the
// connection's ports, adds the peer's ISN 0xffffff00 to the Sequence Number (so the peer's numbers wrap
// after 255 bytes), the stack's ISS to the Acknowledgment Number (1 acknowledges its SYN) and to the edges
// of SACK blocks, the last TSval the stack sent to a timestamp option's TSecr (0 echoes it), and the
// checksum. A segment is otherwise as given: flags, window, urgent pointer, options and data are the input's.
//
// Application calls (op = first byte modulo 12; missing arguments are 0 or the default):
//   0 read [u16 max, default 1024]        1 read until WouldBlock (at most 16 x 4 KB)
//   2 write [bytes]                        3 write [u16 count, default 1024] bytes of a fixed pattern
//   4 write_urgent [bytes]                 5 shutdown_write          6 shutdown_read
//   7 close (the handle is then gone)      8 abort (gone too)        9 set_option [option % 19][i32 value]
//   10 accept (also done after every record while no connection is held)
//   11 the read-only views: connection_info, urgent_state, RxQueue, TxQueue, SendSpace, soft_error
//
// Besides the harness's invariants, the byte streams are checked: every byte the application reads is one
// the peer sent at that position (in some segment), and every data byte the stack sends is the one the
// application wrote at that position.
//
// fuzz-requires: IPV4 TCP
// fuzz-dict: tcp
// fuzz-max-len: 8192
#include "harness.hpp"
#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace {

using namespace pico;
namespace fz = pico::fuzz;

constexpr int max_records = 96;
constexpr std::uint32_t peer_isn = 0xffffff00u;
constexpr std::uint32_t peer_ts_start = 1000;     // the peer's TSval in the handshake
constexpr std::uint16_t server_port = 443;        // passive opens: 198.18.0.2:443 listens
constexpr std::uint16_t peer_client_port = 40000; // ... and the peer connects from 198.18.0.1:40000
constexpr std::uint16_t peer_server_port = 9000;  // active opens: the stack connects to 198.18.0.1:9000
// The stream checks cover the first bytes of each direction: peer -> stack by relative sequence number,
// stack -> peer by stream offset.
constexpr std::size_t rx_window = 16384;
constexpr std::size_t tx_window = 65536;

enum class Start : std::uint8_t {
    EstablishedPassive,
    EstablishedActive,
    SynSent,
    SynReceived,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
};
// The set-up byte's low nibble: 0-9 the states above, 10-15 EstablishedPassive.
Start start_of(std::uint8_t setup) {
    const std::uint8_t n = setup & 0x0f;
    return n <= static_cast<std::uint8_t>(Start::TimeWait) ? static_cast<Start>(n)
                                                           : Start::EstablishedPassive;
}

namespace setup_bit {
constexpr std::uint8_t timestamps = 0x10;
constexpr std::uint8_t sack = 0x20;
constexpr std::uint8_t window_scale = 0x40;
constexpr std::uint8_t small_mss = 0x80;
} // namespace setup_bit

constexpr std::uint8_t fin = 0x01, syn = 0x02, ack = 0x10;

std::uint8_t pattern_byte(std::uint32_t offset) {
    return static_cast<std::uint8_t>(offset * 31u + (offset >> 8) + 1u);
}

// One input's conversation. Static storage (the arrays are large); reset at the start of every input.
struct Conversation {
    fz::Harness* h = nullptr;
    SocketHandle listener = -1;
    SocketHandle conn = -1;
    std::uint16_t local_port = 0;
    std::uint16_t peer_port = 0;
    bool iss_known = false;
    std::uint32_t iss = 0;        // of the current incarnation (the stack's last SYN on the 4-tuple)
    std::uint32_t last_tsval = 0; // the last TSval the stack sent on the 4-tuple
    bool arp_asked = false;       // the stack asked for the peer's MAC

    // stack -> peer: what the application wrote, by stream offset (of the current incarnation).
    std::uint32_t written_total = 0;
    std::array<std::uint8_t, tx_window> written{};
    // peer -> stack: what the peer sent, by relative sequence number; 0 never, 1 sent, 2 sent with
    // different values (overlaps that disagree: either may be read).
    std::uint32_t read_total = 0; // bytes the application read from `conn`
    std::array<std::uint8_t, rx_window> sent_value{};
    std::array<std::uint8_t, rx_window> sent_state{};
    bool trace = false; // PICO_FUZZ_TRACE set: the conversation is printed to stderr

    void reset(fz::Harness& harness) {
        h = &harness;
        trace = std::getenv("PICO_FUZZ_TRACE") != nullptr;
        listener = conn = -1;
        local_port = peer_port = 0;
        iss_known = false;
        iss = last_tsval = 0;
        arp_asked = false;
        written_total = read_total = 0;
        sent_state.fill(0);
    }
};
Conversation conv;

void on_event(void*, SocketHandle, SocketEvent, SocketError) {}

// One line of the trace (PICO_FUZZ_TRACE): a segment in relative numbering.
void trace_segment(const char* direction, Bytes seg, std::uint32_t seq_base, std::uint32_t ack_base) {
    if (!conv.trace) return;
    std::fprintf(stderr, "[%8llu ms] %s", static_cast<unsigned long long>(conv.h->clock().now()), direction);
    if (seg.size() < 20) {
        std::fprintf(stderr, " %zu bytes (truncated)\n", seg.size());
        return;
    }
    const char names[] = "FSRPAUEC";
    std::fprintf(stderr, " ");
    for (int i = 0; i < 8; ++i)
        if ((seg[13] >> i & 1) != 0) std::fprintf(stderr, "%c", names[i]);
    const std::size_t header_len = std::size_t{static_cast<std::uint8_t>(seg[12] >> 4)} * 4;
    std::fprintf(stderr, " seq=%u ack=%u win=%u hdr=%zu len=%zu\n", load_be32(&seg[4]) - seq_base,
                 load_be32(&seg[8]) - ack_base, load_be16(&seg[14]), header_len,
                 header_len <= seg.size() ? seg.size() - header_len : 0);
}

// Walks a well-formed option area (as stack/wire/tcp.hpp parse_options does) and calls on(kind, option)
// for each option with a length byte, the option's bytes (kind and length included) in `option`. Stops at
// the first malformed one.
template <typename On> void for_each_option(MutBytes options, On on) {
    std::size_t at = 0;
    while (at < options.size()) {
        const std::uint8_t kind = options[at];
        if (kind == 0) return;
        if (kind == 1) {
            ++at;
            continue;
        }
        if (options.size() - at < 2) return;
        const std::size_t length = options[at + 1];
        if (length < 2 || length > options.size() - at) return;
        on(kind, options.subspan(at, length));
        at += length;
    }
}

// Every frame the stack sends: follows the connection (ISS, TSval, ARP) and checks the data it carries.
void observe(void*, Bytes f) {
    if (f.size() < 14) return;
    const std::uint16_t type = load_be16(&f[12]);
    if (type == 0x0806) {
        // An ARP request for the peer (the harness checked the packet's layout).
        if (load_be16(&f[20]) == 1 && Ipv4Addr::load(&f[38]) == fz::ip_gateway) conv.arp_asked = true;
        return;
    }
    if (type != 0x0800) return;
    Bytes ip = f.subspan(14);
    const std::size_t ihl = std::size_t{ip[0] & 0x0fu} * 4;
    const std::size_t total = load_be16(&ip[2]);
    if (ip[9] != 6 || (load_be16(&ip[6]) & 0x3fff) != 0) return;
    if (!(Ipv4Addr::load(&ip[16]) == fz::ip_gateway)) return;
    Bytes seg = ip.subspan(ihl, total - ihl); // the harness checked lengths and the data offset
    if (load_be16(&seg[0]) != conv.local_port || load_be16(&seg[2]) != conv.peer_port) return;
    const std::uint8_t flags = seg[13];
    const std::uint32_t seq = load_be32(&seg[4]);
    const std::size_t header_len = std::size_t{static_cast<std::uint8_t>(seg[12] >> 4)} * 4;
    if ((flags & syn) != 0 && (!conv.iss_known || seq != conv.iss)) {
        conv.iss_known = true; // a new incarnation of the connection: its own stream
        conv.iss = seq;
        conv.written_total = 0;
    }
    std::array<std::uint8_t, 40> options{};
    copy_bytes(options.data(), &seg[20], header_len - 20);
    for_each_option(MutBytes{options.data(), header_len - 20}, [](std::uint8_t kind, MutBytes option) {
        if (kind == 8 && option.size() == 10) conv.last_tsval = load_be32(&option[2]);
    });

    trace_segment("stack -> peer:", seg, conv.iss, peer_isn);
    Bytes data = seg.subspan(header_len);
    const std::uint32_t first = seq + ((flags & syn) != 0 ? 1u : 0u) - (conv.iss + 1);
    for (std::size_t i = 0; i < data.size(); ++i) {
        const std::uint32_t offset = first + static_cast<std::uint32_t>(i);
        if (offset >= 0x80000000u) continue; // before the stream (a keep-alive's garbage byte)
        if (offset >= conv.written_total)
            fz::violated("tcp_established: the stack sent a data byte the application never wrote");
        if (offset < tx_window && conv.written[offset] != data[i])
            fz::violated("tcp_established: the stack sent a data byte other than the one written there");
    }
}

void flush() {
    conv.h->flush_output();
    if (conv.arp_asked) { // the peer answers ARP, as a real one would
        conv.arp_asked = false;
        conv.h->arp_request_from(fz::mac_gateway, fz::ip_gateway);
        conv.h->flush_output();
    }
}

// Delivers a segment in relative numbering (see the file comment).
void deliver(Bytes record) {
    std::array<std::uint8_t, config::frame_size> buffer{};
    if (record.size() > buffer.size() - 64) return; // more than a frame holds: transport_input refuses it too
    copy_bytes(buffer.data(), record.data(), record.size());
    MutBytes seg{buffer.data(), record.size()};
    if (seg.size() >= 20) {
        store_be16(&seg[0], conv.peer_port);
        store_be16(&seg[2], conv.local_port);
        const std::uint32_t relative_seq = load_be32(&seg[4]);
        store_be32(&seg[4], relative_seq + peer_isn);
        const std::size_t header_len = std::size_t{static_cast<std::uint8_t>(seg[12] >> 4)} * 4;
        if (header_len >= 20 && header_len <= seg.size()) {
            for_each_option(seg.subspan(20, header_len - 20), [](std::uint8_t kind, MutBytes option) {
                if (kind == 8 && option.size() == 10) // TSecr: relative to the stack's last TSval
                    store_be32(&option[6], load_be32(&option[6]) + conv.last_tsval);
                if (kind == 5) // SACK block edges: relative to the stack's ISS, like the ACK
                    for (std::size_t at = 2; at + 4 <= option.size(); at += 4)
                        store_be32(&option[at], load_be32(&option[at]) + conv.iss);
            });
            // What the peer sent where, for the check of what the application reads.
            const std::uint32_t first = relative_seq + ((seg[13] & syn) != 0 ? 1u : 0u);
            for (std::size_t i = header_len; i < seg.size(); ++i) {
                const std::uint32_t position = first + static_cast<std::uint32_t>(i - header_len);
                if (position >= rx_window) continue;
                if (conv.sent_state[position] == 0) {
                    conv.sent_state[position] = 1;
                    conv.sent_value[position] = seg[i];
                } else if (conv.sent_value[position] != seg[i]) {
                    conv.sent_state[position] = 2;
                }
            }
        }
    }
    trace_segment("peer -> stack:", seg, peer_isn, 0);
    fz::deliver_tcp_segment(*conv.h, seg, conv.iss);
}

// A segment of the harness's own (the handshake and closing steps), built in relative numbering.
void peer_sends(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack_number, std::uint8_t bits) {
    std::array<std::uint8_t, 48> s{};
    std::size_t len = 20;
    if ((flags & syn) != 0) {
        s[len++] = 2; // MSS
        s[len++] = 4;
        store_be16(&s[len], (bits & setup_bit::small_mss) != 0 ? 536 : 1460);
        len += 2;
        if ((bits & setup_bit::sack) != 0) {
            s[len++] = 1;
            s[len++] = 1;
            s[len++] = 4; // SACK-permitted
            s[len++] = 2;
        }
        if ((bits & setup_bit::window_scale) != 0) {
            s[len++] = 1;
            s[len++] = 3; // window scale 7
            s[len++] = 3;
            s[len++] = 7;
        }
    }
    if ((bits & setup_bit::timestamps) != 0) {
        s[len++] = 1;
        s[len++] = 1;
        s[len++] = 8;
        s[len++] = 10;
        store_be32(&s[len], peer_ts_start + seq); // increasing with the handshake's steps
        store_be32(&s[len + 4], 0);               // relative: echoes the stack's last TSval
        len += 8;
    }
    store_be32(&s[4], seq);
    store_be32(&s[8], ack_number);
    s[12] = static_cast<std::uint8_t>((len / 4) << 4);
    s[13] = flags;
    // The SYN's window is never scaled (RFC 7323 2.2); later ones are, by 7 when it was agreed.
    const bool scaled = (flags & syn) == 0 && (bits & setup_bit::window_scale) != 0;
    store_be16(&s[14], scaled ? 512 : 65535);
    deliver(Bytes{s.data(), len});
    flush();
}

void expect_state(tcp::TcpState expected, const char* what) {
    tcp::TcpState state = tcp::TcpState::Closed;
    if (tcp::connection_state(conv.h->stack(), conv.conn, state) != SocketError::Ok || state != expected)
        fz::violated(what);
}

void accept_pending() {
    if (conv.conn >= 0 || conv.listener < 0) return;
    const SocketHandle accepted = tcp::accept(conv.h->stack(), conv.listener, &on_event, nullptr);
    if (accepted < 0) return;
    conv.h->track_tcp(accepted);
    conv.conn = accepted;
    conv.read_total = 0;
}

// Brings the connection to the state the set-up byte chooses.
void set_up(std::uint8_t setup) {
    Stack& stack = conv.h->stack();
    const Start start = start_of(setup);
    if (start == Start::EstablishedActive || start == Start::SynSent) {
        conv.conn = tcp::open(stack, &on_event, nullptr);
        conv.h->track_tcp(conv.conn);
        conv.peer_port = peer_server_port;
        if (tcp::connect(stack, conv.conn, fz::ip_gateway, peer_server_port) != SocketError::Ok)
            fz::violated("tcp_established: connect failed");
        IpAddr local;
        tcp::local_endpoint(stack, conv.conn, local, conv.local_port);
        flush(); // the SYN: the ISS
        if (start == Start::SynSent)
            return expect_state(tcp::TcpState::SynSent, "tcp_established: not in SYN-SENT");
        peer_sends(syn | ack, 0, 1, setup);
        return expect_state(tcp::TcpState::Established, "tcp_established: the active open did not complete");
    }

    conv.listener = tcp::open(stack, &on_event, nullptr);
    conv.h->track_tcp(conv.listener);
    conv.local_port = server_port;
    conv.peer_port = peer_client_port;
    if (tcp::bind(stack, conv.listener, fz::ip_eth0, server_port) != SocketError::Ok ||
        tcp::listen(stack, conv.listener, 1) != SocketError::Ok)
        fz::violated("tcp_established: cannot listen");
    peer_sends(syn, 0, 0, setup);
    if (!conv.iss_known) fz::violated("tcp_established: no SYN-ACK to the peer's SYN");
    if (start == Start::SynReceived) return;
    peer_sends(ack, 1, 1, setup);
    accept_pending();
    expect_state(tcp::TcpState::Established, "tcp_established: the passive open did not complete");
    switch (start) {
    case Start::FinWait1:
    case Start::FinWait2:
    case Start::Closing:
    case Start::TimeWait:
        tcp::shutdown_write(stack, conv.conn); // our FIN: sequence number iss + 1
        flush();
        if (start == Start::FinWait1)
            return expect_state(tcp::TcpState::FinWait1, "tcp_established: not in FIN-WAIT-1");
        if (start == Start::Closing) {
            peer_sends(fin | ack, 1, 1, setup); // the peer's FIN, not acknowledging ours
            return expect_state(tcp::TcpState::Closing, "tcp_established: not in CLOSING");
        }
        peer_sends(ack, 1, 2, setup);
        if (start == Start::FinWait2)
            return expect_state(tcp::TcpState::FinWait2, "tcp_established: not in FIN-WAIT-2");
        peer_sends(fin | ack, 1, 2, setup);
        return expect_state(tcp::TcpState::TimeWait, "tcp_established: not in TIME-WAIT");
    case Start::CloseWait:
    case Start::LastAck:
        peer_sends(fin | ack, 1, 1, setup);
        if (start == Start::CloseWait)
            return expect_state(tcp::TcpState::CloseWait, "tcp_established: not in CLOSE-WAIT");
        tcp::shutdown_write(stack, conv.conn);
        flush();
        return expect_state(tcp::TcpState::LastAck, "tcp_established: not in LAST-ACK");
    default:
        return;
    }
}

std::uint16_t arg16(Bytes args, std::size_t at, std::uint16_t otherwise) {
    return args.size() >= at + 2 ? load_be16(&args[at]) : otherwise;
}

// One read: every byte must be one the peer sent at that position.
// One read: every byte must be one the peer sent at that position. False when nothing more is to be read.
bool read_once(std::size_t max, SocketError& result, std::size_t& total) {
    std::array<std::uint8_t, 4096> buffer;
    Stack& stack = conv.h->stack();
    tcp::ConnectionInfo info;
    result = tcp::connection_info(stack, conv.conn, info);
    if (result != SocketError::Ok) return false;
    std::size_t got = 0;
    bool eof = false;
    result = tcp::read(stack, conv.conn, MutBytes{buffer.data(), std::min(max, buffer.size())}, got, eof);
    if (result != SocketError::Ok) return false;
    const std::uint32_t base = info.irs + 1 - peer_isn + conv.read_total; // relative position of buffer[0]
    for (std::size_t i = 0; i < got; ++i) {
        const std::uint32_t position = base + static_cast<std::uint32_t>(i);
        if (position >= rx_window) continue;
        if (conv.sent_state[position] == 0)
            fz::violated("tcp_established: the application read a byte the peer never sent there");
        if (conv.sent_state[position] == 1 && conv.sent_value[position] != buffer[i])
            fz::violated("tcp_established: the application read a byte other than the one the peer sent");
    }
    conv.read_total += static_cast<std::uint32_t>(got);
    total += got;
    return got > 0 && !eof;
}

// Writes `data` (the written stream follows it); returns what write or write_urgent returned.
SocketError write_data(Bytes data, bool urgent, std::size_t& total) {
    std::size_t written = 0;
    Stack& stack = conv.h->stack();
    const SocketError result = urgent ? tcp::write_urgent(stack, conv.conn, data, written)
                                      : tcp::write(stack, conv.conn, data, written);
    if (result != SocketError::Ok) return result;
    for (std::size_t i = 0; i < written; ++i) {
        const std::uint32_t offset = conv.written_total + static_cast<std::uint32_t>(i);
        if (offset < tx_window) conv.written[offset] = data[i];
    }
    conv.written_total += static_cast<std::uint32_t>(written);
    total += written;
    return written < data.size() ? SocketError::WouldBlock : SocketError::Ok;
}

constexpr std::array<const char*, 12> op_names{
    "read",          "read-all", "write", "write-pattern", "write-urgent", "shutdown-write",
    "shutdown-read", "close",    "abort", "set-option",    "accept",       "views"};

void app_call(Bytes call) {
    if (call.empty()) return;
    Stack& stack = conv.h->stack();
    const std::uint8_t op = call[0] % 12;
    Bytes args = call.subspan(1);
    SocketError result = SocketError::Ok;
    std::size_t bytes = 0;
    const SocketHandle handle = conv.conn;
    if (op == 10) {
        accept_pending();
    } else if (conv.conn >= 0) {
        switch (op) {
        case 0:
            read_once(arg16(args, 0, 1024), result, bytes);
            break;
        case 1:
            for (int i = 0; i < 16 && read_once(4096, result, bytes); ++i) {
            }
            break;
        case 2:
            result = write_data(args, false, bytes);
            break;
        case 3: {
            std::size_t count = arg16(args, 0, 1024);
            std::array<std::uint8_t, 2048> chunk;
            while (count > 0) {
                const std::size_t n = std::min(count, chunk.size());
                for (std::size_t i = 0; i < n; ++i)
                    chunk[i] = pattern_byte(conv.written_total + static_cast<std::uint32_t>(i));
                result = write_data(Bytes{chunk.data(), n}, false, bytes);
                if (result != SocketError::Ok) break;
                count -= n;
            }
            break;
        }
        case 4:
            result = write_data(args, true, bytes);
            break;
        case 5:
            result = tcp::shutdown_write(stack, conv.conn);
            break;
        case 6:
            result = tcp::shutdown_read(stack, conv.conn);
            break;
        case 7:
            result = tcp::close(stack, conv.conn);
            conv.conn = -1;
            break;
        case 8:
            result = tcp::abort(stack, conv.conn);
            conv.conn = -1;
            break;
        case 9: {
            const auto option = static_cast<SocketOption>((args.empty() ? 0 : args[0]) % 19);
            std::uint32_t value = 0;
            for (std::size_t i = 1; i < 5; ++i)
                value = value << 8 | (i < args.size() ? args[i] : 0);
            result = tcp::set_option(stack, conv.conn, option, static_cast<int>(value));
            break;
        }
        default: {
            tcp::ConnectionInfo info;
            result = tcp::connection_info(stack, conv.conn, info);
            bool pending = false;
            std::size_t urgent = 0;
            tcp::urgent_state(stack, conv.conn, pending, urgent);
            int value = 0;
            for (SocketOption o : {SocketOption::RxQueue, SocketOption::TxQueue, SocketOption::SendSpace})
                tcp::get_option(stack, conv.conn, o, value);
            SocketError error = SocketError::Ok;
            tcp::soft_error(stack, conv.conn, error);
            break;
        }
        }
    }
    if (conv.trace) {
        tcp::TcpState state = tcp::TcpState::Closed;
        const bool held = tcp::connection_state(stack, conv.conn, state) == SocketError::Ok;
        std::fprintf(stderr, "[%8llu ms] app: %s on %d -> %s, %zu bytes; now %s\n",
                     static_cast<unsigned long long>(conv.h->clock().now()), op_names[op], handle,
                     socket_error_name(result), bytes, held ? tcp::state_name(state) : "no connection held");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    fz::Session session(fz::Setup::Full);
    fz::Harness& h = session.harness();
    conv.reset(h);
    h.set_frame_observer(&observe, nullptr);
    set_up(data[0]);
    fz::SequenceReader reader(Bytes{data + 1, size - 1}, fz::SequenceReader::Calls::Bit15);
    for (int records = 0; records < max_records; ++records) {
        auto record = reader.next();
        if (!record) break;
        h.advance_and_poll(record->delta_ms);
        flush();
        if (record->call)
            app_call(record->frame);
        else
            deliver(record->frame);
        flush();
        accept_pending();
    }
    return 0;
}
