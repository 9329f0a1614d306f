// The user calls of RFC 9293 3.10.1-3.10.6 (OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS) as socket
// operations, the TCB pool, ports, options, and the delivery of events to the application.
//
// Events are never delivered in the middle of the stack's processing: a segment, a timer or a socket call
// only marks them on the TCB (raise), and deliver_events() hands them to the callbacks at the end, when no
// TCB is being worked on. A callback may call any socket operation (close and abort included); after each
// callback the TCB is looked at again (still in use, same generation, still the application's) before the
// next event, so a freed or reused slot is never touched. Freeing a closed socket whose Closed event is due
// is deferred until the event went out (free_after_events).
#include "port/platform.hpp"
#include "transport/tcp/internal.hpp"
#include "transport/tcp/rx.hpp"
#include "transport/tcp/tx.hpp"
#include <algorithm>
#include <optional>

namespace pico::tcp {

using namespace detail;

namespace {

constexpr std::size_t pool_size = config::tcp_sockets;
constexpr std::uint16_t ephemeral_first = 49152; // RFC 6335 section 6
constexpr std::uint16_t ephemeral_last = 65535;
constexpr std::size_t ephemeral_range = std::size_t{ephemeral_last} - ephemeral_first + 1;
constexpr int ephemeral_random_attempts = 8;

SocketHandle failure(SocketError error) {
    return static_cast<SocketHandle>(-static_cast<int>(error));
}

// A socket the application holds.
Tcb* app_tcb(Stack& stack, SocketHandle handle) {
    Tcb* t = tcb_at(stack, handle);
    return t != nullptr && t->app_owned ? t : nullptr;
}

bool synchronized(TcpState s) {
    return s != TcpState::Closed && s != TcpState::Listen && s != TcpState::SynSent;
}

bool port_in_use(Stack& stack, std::uint16_t port) {
    for (const Tcb& t : state(stack).tcbs)
        if (t.in_use && t.bound && t.local_port == port) return true;
    return false;
}

// Another socket on an overlapping address and the same port that a new bind would be confused with: a
// listener, or a socket bound and not yet opened. Connections (SYN-SENT onwards, accepted ones, TIME-WAIT)
// are told apart by their whole 4-tuple, which connect() checks: so a port can be listened on while a
// connection from it is opening (MUST-42), and a restarted server can listen again at once.
bool bind_conflict(Stack& stack, const Tcb& self, const Address& address, std::uint16_t port) {
    for (const Tcb& t : state(stack).tcbs) {
        if (&t == &self || !t.in_use || !t.bound) continue;
        if (!(t.state == TcpState::Listen || (t.state == TcpState::Closed && !t.opened))) continue;
        if (t.local_port != port) continue;
        if (address.is_unspecified() || t.local.is_unspecified() || t.local == address) return true;
    }
    return false;
}

std::optional<std::uint16_t> pick_ephemeral_port(Stack& stack) {
    std::size_t offset = 0;
    for (int attempt = 0; attempt < ephemeral_random_attempts; ++attempt) {
        offset = platform(stack).random_u32() % ephemeral_range;
        const auto port = static_cast<std::uint16_t>(ephemeral_first + offset);
        if (!port_in_use(stack, port)) return port;
    }
    // At most pool_size ports are taken: pool_size + 1 consecutive ports hold a free one.
    for (std::size_t step = 1; step <= pool_size + 1; ++step) {
        const auto port = static_cast<std::uint16_t>(ephemeral_first + (offset + step) % ephemeral_range);
        if (!port_in_use(stack, port)) return port;
    }
    return std::nullopt;
}

SocketError bind_tcb(Stack& stack, Tcb& t, const Address& address, std::uint16_t port) {
    if (!address.is_unspecified() && !net::is_local(stack, address)) return SocketError::AddressNotAvailable;
    if (port == 0) {
        auto ephemeral = pick_ephemeral_port(stack);
        if (!ephemeral) return SocketError::AddressInUse;
        port = *ephemeral;
    } else if (bind_conflict(stack, t, address, port)) {
        return SocketError::AddressInUse;
    }
    t.local = address;
    t.local_port = port;
    t.bound = true;
    return SocketError::Ok;
}

// A listener goes: connections waiting for accept() are reset, half-open ones forgotten.
void abort_children(Stack& stack, Tcb& listener) {
    const SocketHandle h = handle_of(stack, listener);
    for (Tcb& t : state(stack).tcbs) {
        if (!t.in_use || t.parent != h || t.app_owned) continue;
        if (t.in_accept_queue && synchronized(t.state)) send_rst(stack, t);
        reset_tcb(t);
    }
}

SocketEvent event_of(std::uint8_t bit) {
    switch (bit) {
    case event_bit::connected:
        return SocketEvent::Connected;
    case event_bit::readable:
        return SocketEvent::Readable;
    case event_bit::writable:
        return SocketEvent::Writable;
    case event_bit::peer_closed:
        return SocketEvent::PeerClosed;
    case event_bit::error:
        return SocketEvent::Error;
    case event_bit::warning:
        return SocketEvent::Warning;
    default:
        return SocketEvent::Closed;
    }
}

// The window may have opened after the application read (or discarded) data: tell the peer when it is
// worth it (RFC 9293 3.8.6.2.2: not for less than min(RCV.BUFF/2, MSS)).
void after_read(Stack& stack, Tcb& t) {
    const bool peer_sends =
        t.state == TcpState::Established || t.state == TcpState::FinWait1 || t.state == TcpState::FinWait2;
    if (!peer_sends || !window_update_due(t)) return;
    t.ack_now = true;
    output(stack, t);
}

} // namespace

// ---- pool and events (internal.hpp) ----

namespace detail {

SocketHandle handle_of(Stack& stack, const Tcb& tcb) {
    return static_cast<SocketHandle>(&tcb - state(stack).tcbs.data());
}

Tcb* tcb_at(Stack& stack, SocketHandle handle) {
    if (handle < 0 || static_cast<std::size_t>(handle) >= pool_size) return nullptr;
    Tcb& t = state(stack).tcbs[static_cast<std::size_t>(handle)];
    return t.in_use ? &t : nullptr;
}

Tcb* allocate_tcb(Stack& stack) {
    State& s = state(stack);
    Tcb* oldest_time_wait = nullptr;
    for (Tcb& t : s.tcbs) {
        if (!t.in_use) {
            t.in_use = true;
            return &t;
        }
        // A connection in TIME-WAIT that nobody holds any more (its Closed event delivered) can give its TCB
        // up early when the pool is full (as Linux does past tcp_max_tw_buckets): with a small pool, 2 MSL
        // of TIME-WAIT per connection would otherwise limit the stack to a few connections a minute.
        if (t.state == TcpState::TimeWait && !t.app_owned && t.pending_events == 0 &&
            (oldest_time_wait == nullptr || t.state_deadline < oldest_time_wait->state_deadline))
            oldest_time_wait = &t;
    }
    if (oldest_time_wait == nullptr) return nullptr;
    reset_tcb(*oldest_time_wait);
    ++s.time_wait_recycled;
    oldest_time_wait->in_use = true;
    return oldest_time_wait;
}

void reset_tcb(Tcb& t) {
    const std::uint16_t generation = t.generation;
    static_cast<TcbFields&>(t) = TcbFields{};
    // No connection's data outlives it in the pool, but only what was written is cleared: a connection that
    // moved a few bytes does not pay for clearing its 2 x 16 KiB of rings (most of the cost of opening and
    // closing one, per bench/run conn_rate).
    fill_bytes(t.send.bytes.data(), 0, t.send.dirty);
    t.send.head = 0;
    t.send.len = 0;
    t.send.first_seq = SeqNum{};
    t.send.dirty = 0;
    fill_bytes(t.recv.bytes.data(), 0, t.recv.dirty);
    t.recv.head = 0;
    t.recv.readable = 0;
    t.recv.dirty = 0;
    t.generation = static_cast<std::uint16_t>(generation + 1);
}

void raise(Stack& stack, Tcb& t, std::uint8_t event, SocketError error) {
    state(stack).events_pending = true;
    t.pending_events |= event;
    if (event == event_bit::error) t.pending_error = error;
    if (event == event_bit::warning) t.pending_warning = error;
}

void deliver_events(Stack& stack) {
    State& s = state(stack);
    // Nothing raised since the last delivery (the common case: every input, send and tick ends here): no
    // scan. A socket call from a callback returns at once too: the outer loop delivers what it raised.
    if (s.delivering || !s.events_pending) return;
    s.delivering = true;
    constexpr std::uint8_t order[] = {event_bit::connected,   event_bit::readable, event_bit::writable,
                                      event_bit::peer_closed, event_bit::warning,  event_bit::error,
                                      event_bit::closed};
    // Bounded: a few passes (callbacks may raise events on other sockets); the rest goes out next time.
    for (int pass = 0; pass < 4; ++pass) {
        s.events_pending = false; // set again by what the callbacks raise
        bool delivered = false;
        for (std::size_t i = 0; i < pool_size; ++i) {
            Tcb& t = s.tcbs[i];
            if (!t.in_use || (t.pending_events == 0 && !t.free_after_events)) continue;
            for (std::uint8_t bit : order) {
                if (!t.in_use || (t.pending_events & bit) == 0) continue;
                t.pending_events = static_cast<std::uint8_t>(t.pending_events & ~bit);
                // Only the application's sockets hear events; a closed one hears only Closed.
                if (!(t.app_owned || (t.app_closed && bit == event_bit::closed))) continue;
                const std::uint16_t generation = t.generation;
                const SocketError error = bit == event_bit::error     ? t.pending_error
                                          : bit == event_bit::warning ? t.pending_warning
                                                                      : SocketError::Ok;
                delivered = true;
                if (t.callback != nullptr)
                    t.callback(t.context, static_cast<SocketHandle>(i), event_of(bit), error);
                if (!t.in_use || t.generation != generation) break;
            }
            if (t.in_use && t.free_after_events && (t.pending_events & event_bit::closed) == 0) reset_tcb(t);
        }
        if (!delivered) break;
    }
    // events_pending is exact here: each pass clears it and only the callbacks' raise() sets it again, so it
    // is still set only when the last pass's callbacks raised events that go out next time.
    s.delivering = false;
}

Tcb* parent_of(Stack& stack, const Tcb& child) {
    Tcb* listener = tcb_at(stack, child.parent);
    if (listener == nullptr || listener->generation != child.parent_generation ||
        listener->state != TcpState::Listen)
        return nullptr;
    return listener;
}

std::uint32_t next_order(Stack& stack) {
    return ++state(stack).order_counter;
}

Tcb* find_connection(Stack& stack, const Address& local, std::uint16_t local_port, const Address& remote,
                     std::uint16_t remote_port) {
    for (Tcb& t : state(stack).tcbs) {
        if (!t.in_use || t.state == TcpState::Closed || t.state == TcpState::Listen) continue;
        if (t.local_port == local_port && t.remote_port == remote_port && t.remote == remote &&
            t.local == local)
            return &t;
    }
    return nullptr;
}

} // namespace detail

// ---- OPEN (RFC 9293 3.10.1) ----

SocketHandle open(Stack& stack, SocketCallback callback, void* context) {
    Tcb* t = allocate_tcb(stack);
    if (t == nullptr) return failure(SocketError::Exhausted);
    t->app_owned = true;
    t->callback = callback;
    t->context = context;
    return handle_of(stack, *t);
}

SocketError bind(Stack& stack, SocketHandle socket, const IpAddr& address, std::uint16_t port) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr || t->bound || t->state != TcpState::Closed) return SocketError::Invalid;
    if (address.v6 && !config::ipv6) return SocketError::AddressNotAvailable;
    return bind_tcb(stack, *t, Address::from(address), port);
}

// Passive OPEN.
SocketError listen(Stack& stack, SocketHandle socket, std::uint8_t backlog) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    if (t->state == TcpState::Listen) {
        t->backlog = std::clamp<std::uint8_t>(backlog, 1, max_backlog);
        return SocketError::Ok;
    }
    if (t->state != TcpState::Closed || t->opened) return SocketError::AlreadyConnected;
    if (!t->bound) {
        // Not bound: every address of either family (as bound to "::").
        SocketError error = bind_tcb(stack, *t, Address::any_v6(), 0);
        if (error != SocketError::Ok) return error;
    }
    t->opened = true;
    t->backlog = std::clamp<std::uint8_t>(backlog, 1, max_backlog);
    set_state(*t, TcpState::Listen);
    return SocketError::Ok;
}

SocketHandle accept(Stack& stack, SocketHandle listener, SocketCallback callback, void* context) {
    Tcb* l = app_tcb(stack, listener);
    if (l == nullptr) return failure(SocketError::Invalid);
    if (l->state != TcpState::Listen) return failure(SocketError::NotListening);
    Tcb* ready = nullptr;
    for (Tcb& t : state(stack).tcbs)
        if (t.in_use && t.parent == listener && t.in_accept_queue &&
            (ready == nullptr || t.order < ready->order))
            ready = &t;
    if (ready == nullptr) return failure(SocketError::WouldBlock);
    Tcb& t = *ready;
    t.in_accept_queue = false;
    t.parent = -1;
    t.app_owned = true;
    t.opened = true;
    t.callback = callback;
    t.context = context;
    // An accepted socket is connected already (no Connected event); what arrived while it waited is told.
    t.pending_events = 0;
    if (t.recv.readable > 0 || t.fin_received) raise(stack, t, event_bit::readable);
    if (t.fin_received) raise(stack, t, event_bit::peer_closed);
    const SocketHandle handle = handle_of(stack, t);
    deliver_events(stack);
    return handle;
}

// Active OPEN: <SEQ=ISS><CTL=SYN>, SYN-SENT.
SocketError connect(Stack& stack, SocketHandle socket, const IpAddr& address, std::uint16_t port) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    if (t->state != TcpState::Closed || t->opened) return SocketError::AlreadyConnected;
    if (address.v6 && !config::ipv6) return SocketError::Invalid;
    const Address remote = Address::from(address);
    // A socket bound to a specific address talks to that address's family only.
    if (!t->local.is_unspecified() && t->local.is_v6() != remote.is_v6()) return SocketError::Invalid;
    if (port == 0 || !net::is_unicast_remote(stack, remote)) return SocketError::Invalid;
    auto path = net::route(stack, remote);
    if (!path) return SocketError::NoRoute;
    if (!t->bound) {
        SocketError error = bind_tcb(stack, *t, Address::any(), 0);
        if (error != SocketError::Ok) return error;
    }
    const Address local = t->local.is_unspecified() ? path->source : t->local;
    if (find_connection(stack, local, t->local_port, remote, port) != nullptr)
        return SocketError::AddressInUse;
    t->local = local;
    t->remote = remote;
    t->remote_port = port;
    t->opened = true;
    t->path_mss = path->announce_mss;                    // announced from the interface's MTU (RFC 1191 3.1)
    t->rcv_wscale = window_shift_for(recv_capacity(*t)); // offered in the SYN (RFC 7323 2.2)
    t->announced_mss = our_mss(*t);
    t->path_mss = path->mss; // sent within the path MTU (RFC 1191)
    t->rcv_mss = std::min<std::uint32_t>(t->announced_mss, net::default_peer_mss(remote));
    choose_iss(stack, *t);
    // The SYN's window (never scaled): RCV.NXT is not known until the SYN of the peer arrives.
    t->rcv_nxt = SeqNum{};
    t->rcv_adv = SeqNum{std::min<std::uint32_t>(receive_space(*t), 0xffff)};
    set_state(*t, TcpState::SynSent);
    send_syn(stack, *t);
    if (t->rto_deadline == 0) arm_rto(stack, *t);
    return SocketError::Ok;
}

// ---- SEND (RFC 9293 3.10.2) ----

namespace {

SocketError send_common(Stack& stack, SocketHandle socket, Bytes data, std::size_t& written, bool urgent) {
    written = 0;
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    switch (t->state) {
    case TcpState::Closed:
        return t->error != SocketError::Ok ? t->error : SocketError::NotConnected;
    case TcpState::Listen:
        return SocketError::NotConnected;
    case TcpState::SynSent:
    case TcpState::SynReceived: // queued until ESTABLISHED
    case TcpState::Established:
    case TcpState::CloseWait:
        if (t->fin_queued) return SocketError::Closed;
        break;
    default: // "error: connection closing"
        return SocketError::Closed;
    }
    written = queue_data(*t, data);
    if (written < data.size()) t->want_writable = true;
    if (written == 0 && !data.empty()) return SocketError::WouldBlock;
    if (urgent && written > 0) {
        t->snd_up = data_end(*t); // RFC 6093: the byte after the last urgent byte
        t->snd_urgent = true;
    }
    output(stack, *t);
    deliver_events(stack);
    return SocketError::Ok;
}

} // namespace

SocketError write(Stack& stack, SocketHandle socket, Bytes data, std::size_t& written) {
    return send_common(stack, socket, data, written, false);
}

SocketError write_urgent(Stack& stack, SocketHandle socket, Bytes data, std::size_t& written) {
    return send_common(stack, socket, data, written, true);
}

// ---- RECEIVE (RFC 9293 3.10.3) ----

SocketError read(Stack& stack, SocketHandle socket, MutBytes out, std::size_t& read, bool& eof) {
    read = 0;
    eof = false;
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    if (t->state == TcpState::Listen) return SocketError::NotConnected;
    if (t->recv.readable > 0 && !out.empty()) {
        read = read_into(*t, out);
        after_read(stack, *t);
        deliver_events(stack);
        return SocketError::Ok;
    }
    if (t->recv.readable == 0 && (t->fin_received || t->read_shut)) {
        eof = true;
        return SocketError::Ok;
    }
    if (t->state == TcpState::Closed)
        return t->error != SocketError::Ok ? t->error : SocketError::NotConnected;
    return SocketError::WouldBlock;
}

SocketError urgent_state(Stack& stack, SocketHandle socket, bool& pending, std::size_t& urgent_bytes) {
    pending = false;
    urgent_bytes = 0;
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    if (t->rcv_urgent && t->rcv_up > read_seq(*t)) {
        pending = true;
        urgent_bytes = static_cast<std::size_t>(t->rcv_up - read_seq(*t));
    }
    return SocketError::Ok;
}

// ---- CLOSE (RFC 9293 3.10.4) and shutdown ----

SocketError shutdown_write(Stack& stack, SocketHandle socket) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    switch (t->state) {
    case TcpState::Closed:
    case TcpState::Listen:
        return SocketError::NotConnected;
    case TcpState::SynSent:
    case TcpState::SynReceived:
        t->fin_queued = true; // "queue for processing after entering ESTABLISHED state"
        return SocketError::Ok;
    case TcpState::Established: // "Queue this until all preceding SENDs have been segmentized, then form a
        t->fin_queued = true;   // FIN segment and send it. In any case, enter FIN-WAIT-1 state."
        set_state(*t, TcpState::FinWait1);
        break;
    case TcpState::CloseWait: // "...send a FIN segment, enter LAST-ACK state."
        t->fin_queued = true;
        set_state(*t, TcpState::LastAck);
        break;
    default: // already closing
        return SocketError::Ok;
    }
    output(stack, *t);
    deliver_events(stack);
    return SocketError::Ok;
}

SocketError shutdown_read(Stack& stack, SocketHandle socket) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    t->read_shut = true;
    discard_readable(*t);
    after_read(stack, *t);
    deliver_events(stack);
    return SocketError::Ok;
}

SocketError close(Stack& stack, SocketHandle socket) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    t->app_owned = false;
    t->app_closed = true;
    t->pending_events = 0;
    t->want_writable = false;
    switch (t->state) {
    case TcpState::Listen:
        abort_children(stack, *t);
        [[fallthrough]];
    case TcpState::Closed:
    case TcpState::SynSent: // "Delete the TCB"
        stop_timers(*t);
        set_state(*t, TcpState::Closed);
        t->closed_reported = true;
        raise(stack, *t, event_bit::closed);
        t->free_after_events = true;
        break;
    case TcpState::TimeWait:
        t->closed_reported = true;
        raise(stack, *t, event_bit::closed);
        break;
    default:
        // Linger 0, or data the application will never read (RFC 1122 4.2.2.13, RFC 2525 2.17): abort.
        if (t->linger_ms == 0 || t->recv.readable > 0) {
            send_rst(stack, *t);
            enter_closed(stack, *t, SocketError::Ok);
            break;
        }
        t->read_shut = true;
        t->fin_queued = true;
        if (t->state == TcpState::Established)
            set_state(*t, TcpState::FinWait1);
        else if (t->state == TcpState::CloseWait)
            set_state(*t, TcpState::LastAck);
        else if (t->state == TcpState::FinWait2 && t->state_deadline == 0)
            t->state_deadline = now(stack) + fin_wait2_timeout_ms;
        if (t->linger_ms > 0) t->linger_deadline = now(stack) + static_cast<TimeMs>(t->linger_ms);
        output(stack, *t);
        break;
    }
    deliver_events(stack);
    return SocketError::Ok;
}

// ---- ABORT (RFC 9293 3.10.5) ----

SocketError abort(Stack& stack, SocketHandle socket) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    switch (t->state) {
    case TcpState::SynReceived:
    case TcpState::Established:
    case TcpState::FinWait1:
    case TcpState::FinWait2:
    case TcpState::CloseWait:
        send_rst(stack, *t); // <SEQ=SND.NXT><CTL=RST>
        break;
    case TcpState::Listen:
        abort_children(stack, *t);
        break;
    default: // CLOSED, SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT: "respond with ok and delete the TCB"
        break;
    }
    reset_tcb(*t);
    deliver_events(stack);
    return SocketError::Ok;
}

// ---- options and STATUS (RFC 9293 3.10.6) ----

SocketError set_option(Stack& stack, SocketHandle socket, SocketOption option, int value) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    switch (option) {
    case SocketOption::Ttl:
        if (value < 1 || value > 255) return SocketError::Invalid;
        t->ttl = static_cast<std::uint8_t>(value);
        return SocketError::Ok;
    case SocketOption::Tos:
        if (value < 0 || value > 255) return SocketError::Invalid;
        t->tos = static_cast<std::uint8_t>(value);
        return SocketError::Ok;
    case SocketOption::NoDelay:
        t->nodelay = value != 0;
        output(stack, *t); // data Nagle held may go now
        return SocketError::Ok;
    case SocketOption::KeepAlive:
        t->keepalive = value != 0;
        if (synchronized(t->state)) arm_keepalive(stack, *t);
        return SocketError::Ok;
    case SocketOption::KeepIdle:
        if (value < 1) return SocketError::Invalid;
        t->keep_idle_ms = static_cast<std::uint32_t>(value);
        if (synchronized(t->state)) arm_keepalive(stack, *t);
        return SocketError::Ok;
    case SocketOption::KeepInterval:
        if (value < 1) return SocketError::Invalid;
        t->keep_interval_ms = static_cast<std::uint32_t>(value);
        return SocketError::Ok;
    case SocketOption::KeepCount:
        if (value < 1 || value > 255) return SocketError::Invalid;
        t->keep_count = static_cast<std::uint8_t>(value);
        return SocketError::Ok;
    case SocketOption::Linger:
        if (value < -1) return SocketError::Invalid;
        t->linger_ms = value;
        return SocketError::Ok;
    case SocketOption::SendBuffer:
        if (value < 1 || static_cast<std::size_t>(value) > config::tcp_send_buffer)
            return SocketError::Invalid;
        t->send_buffer = static_cast<std::uint32_t>(value);
        return SocketError::Ok;
    case SocketOption::RecvBuffer:
        if (value < 1 || static_cast<std::size_t>(value) > config::tcp_recv_buffer)
            return SocketError::Invalid;
        t->recv_buffer = static_cast<std::uint32_t>(value);
        return SocketError::Ok;
    case SocketOption::MaxSegment:
        if (value < min_peer_mss || value > 0xffff) return SocketError::Invalid;
        t->max_segment = static_cast<std::uint16_t>(value);
        if (synchronized(t->state)) t->cc.set_mss(smss(*t));
        return SocketError::Ok;
    case SocketOption::RetransmitTimeoutMs:
        if (value < -1) return SocketError::Invalid;
        t->give_up_ms = value;
        return SocketError::Ok;
    case SocketOption::ConnectTimeoutMs:
        if (value < -1) return SocketError::Invalid;
        t->syn_give_up_ms = value;
        return SocketError::Ok;
    case SocketOption::Warnings:
        t->warnings = value != 0;
        return SocketError::Ok;
    default: // Broadcast does not apply; RxQueue, TxQueue, SendSpace and UrgentPending are read-only
        return SocketError::Invalid;
    }
}

SocketError get_option(Stack& stack, SocketHandle socket, SocketOption option, int& value) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    switch (option) {
    case SocketOption::Ttl:
        value = t->ttl != 0 ? t->ttl : net::default_ttl(stack);
        return SocketError::Ok;
    case SocketOption::Tos:
        value = t->tos;
        return SocketError::Ok;
    case SocketOption::RxQueue:
        value = static_cast<int>(t->recv.readable);
        return SocketError::Ok;
    case SocketOption::NoDelay:
        value = t->nodelay ? 1 : 0;
        return SocketError::Ok;
    case SocketOption::KeepAlive:
        value = t->keepalive ? 1 : 0;
        return SocketError::Ok;
    case SocketOption::KeepIdle:
        value = static_cast<int>(t->keep_idle_ms);
        return SocketError::Ok;
    case SocketOption::KeepInterval:
        value = static_cast<int>(t->keep_interval_ms);
        return SocketError::Ok;
    case SocketOption::KeepCount:
        value = t->keep_count;
        return SocketError::Ok;
    case SocketOption::Linger:
        value = t->linger_ms;
        return SocketError::Ok;
    case SocketOption::TxQueue:
        value = static_cast<int>(t->send.len);
        return SocketError::Ok;
    case SocketOption::SendSpace:
        value = static_cast<int>(send_space(*t));
        return SocketError::Ok;
    case SocketOption::SendBuffer:
        value = static_cast<int>(send_capacity(*t));
        return SocketError::Ok;
    case SocketOption::RecvBuffer:
        value = static_cast<int>(recv_capacity(*t));
        return SocketError::Ok;
    case SocketOption::MaxSegment:
        // Connected: the MSS in use for sending (RFC 9293 3.7.1 Eff.snd.MSS before options); else the bound.
        value = synchronized(t->state) ? static_cast<int>(send_mss(*t)) : t->max_segment;
        return SocketError::Ok;
    case SocketOption::RetransmitTimeoutMs:
        value = t->give_up_ms;
        return SocketError::Ok;
    case SocketOption::ConnectTimeoutMs:
        value = t->syn_give_up_ms;
        return SocketError::Ok;
    case SocketOption::UrgentPending:
        value = t->rcv_urgent && t->rcv_up > read_seq(*t) ? static_cast<int>(t->rcv_up - read_seq(*t)) : 0;
        return SocketError::Ok;
    case SocketOption::Warnings:
        value = t->warnings ? 1 : 0;
        return SocketError::Ok;
    default:
        return SocketError::Invalid;
    }
}

SocketError local_endpoint(Stack& stack, SocketHandle socket, IpAddr& address, std::uint16_t& port) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    if (!t->bound) return SocketError::NotBound;
    address = t->local.ip();
    port = t->local_port;
    return SocketError::Ok;
}

SocketError remote_endpoint(Stack& stack, SocketHandle socket, IpAddr& address, std::uint16_t& port) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    if (t->remote_port == 0) return SocketError::NotConnected;
    address = t->remote.ip();
    port = t->remote_port;
    return SocketError::Ok;
}

SocketError connection_state(Stack& stack, SocketHandle socket, TcpState& s) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    s = t->state;
    return SocketError::Ok;
}

SocketError set_callback(Stack& stack, SocketHandle socket, SocketCallback callback, void* context) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    t->callback = callback;
    t->context = context;
    return SocketError::Ok;
}

SocketError soft_error(Stack& stack, SocketHandle socket, SocketError& error) {
    Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    error = t->soft_error;
    return SocketError::Ok;
}

SocketError connection_info(Stack& stack, SocketHandle socket, ConnectionInfo& info) {
    const Tcb* t = app_tcb(stack, socket);
    if (t == nullptr) return SocketError::Invalid;
    info = ConnectionInfo{};
    info.state = t->state;
    info.iss = t->iss.raw();
    info.snd_una = t->snd_una.raw();
    info.snd_nxt = t->snd_nxt.raw();
    info.snd_max = t->snd_max.raw();
    info.snd_wnd = t->snd_wnd;
    info.irs = t->irs.raw();
    info.rcv_nxt = t->rcv_nxt.raw();
    info.rcv_wnd = rcv_wnd(*t);
    info.cwnd = t->cc.cwnd();
    info.ssthresh = t->cc.ssthresh();
    info.flight_size = static_cast<std::uint32_t>(t->snd_max - t->snd_una);
    info.duplicate_acks = t->cc.duplicate_acks();
    info.in_recovery = t->cc.in_recovery();
    info.sack_recovery = t->sack_recovery;
    info.srtt_ms = t->has_rtt ? t->srtt_x8 / 8 : 0;
    info.rttvar_ms = t->has_rtt ? t->rttvar_x4 / 4 : 0;
    info.rto_ms = t->rto_ms;
    info.retransmissions = t->retransmissions;
    info.send_mss = static_cast<std::uint16_t>(send_mss(*t));
    info.peer_mss = t->peer_mss;
    info.snd_wscale = t->snd_wscale;
    info.rcv_wscale = t->rcv_wscale;
    info.ws_ok = t->ws_ok;
    info.ts_ok = t->ts_ok;
    info.sack_ok = t->sack_ok;
    return SocketError::Ok;
}

} // namespace pico::tcp
