// The fuzz harness shared by every target in fuzz/targets/: a fresh, deterministic stack per input, the
// configurations the targets start from, RxMeta builders for the input hooks, the sequence input format of
// the stateful targets, and the invariants checked after every input.
//
// Every input runs in a Session: it constructs the virtual clock, the platform (fixed seed), the devices and
// the Stack, runs the target's body, then advances the virtual clock in steps and polls (timers, ARP
// retransmissions, announcements and expiry run), checks the invariants after every step, tears the stack
// down and destroys it. Nothing survives from one input to the next, so a finding replays exactly, with any
// engine or with the replay driver.
//
// A violated invariant prints one line starting with "pico-fuzz invariant violated:" to stderr and traps
// (__builtin_trap), which every engine reports as a crash.
#pragma once
#include "assembly/stack.hpp"
#include "core/config.hpp"
#include "link/wire_device.hpp"
#include "port/virtual_platform.hpp"
#include "transport/tcp/tcp.hpp"
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace pico::fuzz {

// ---- addresses every target and fuzz/make_seeds.py agree on (fuzz/README.md lists them) ----
inline constexpr std::uint64_t platform_seed = 1;
inline constexpr std::uint16_t mtu = 1500;
inline constexpr MacAddr mac_eth0{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
inline constexpr MacAddr mac_eth1{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
inline constexpr MacAddr mac_gateway{{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}};      // 198.18.0.1
inline constexpr MacAddr mac_neighbour{{0x02, 0x00, 0x00, 0x00, 0x00, 0xfd}};    // 198.18.0.3
inline constexpr MacAddr mac_other{{0x02, 0x00, 0x00, 0x00, 0x00, 0xfc}};        // a host we know nothing of
inline constexpr Ipv4Addr ip_eth0 = Ipv4Addr::from_octets(198, 18, 0, 2);        // /24 on eth0
inline constexpr Ipv4Addr ip_eth0_second = Ipv4Addr::from_octets(198, 18, 1, 2); // /24 on eth0 (Full)
inline constexpr Ipv4Addr ip_eth1 = Ipv4Addr::from_octets(198, 18, 2, 2);        // /24 on eth1 (Full)
inline constexpr Ipv4Addr ip_gateway = Ipv4Addr::from_octets(198, 18, 0, 1);     // default route (Full)
inline constexpr Ipv4Addr ip_neighbour = Ipv4Addr::from_octets(198, 18, 0, 3);
inline constexpr Ipv4Addr ip_far_gateway = Ipv4Addr::from_octets(198, 18, 0, 254); // 198.19.0.0/16 via it
inline constexpr Ipv4Addr ip_all_hosts = Ipv4Addr::from_octets(224, 0, 0, 1);
// IPv6 addresses of the Full configuration (when IPv6 is built): eth0 has fe80::2/64 and 2001:db8::2/64; the
// default route goes via fe80::fe (the gateway's MAC).
inline constexpr Ipv6Addr ip6_eth0_link_local{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
inline constexpr Ipv6Addr ip6_eth0{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
inline constexpr Ipv6Addr ip6_gateway{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe}};
// The ICMPv6 hook targets (icmp6, nd, mld): sources and destinations their 2-byte prefix selects
// (ipv6_transport_input below), and the groups the mld and igmp targets join.
inline constexpr std::array<Ipv6Addr, 8> ip6_sources{{
    {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},    // 2001:db8::1, on-link peer
    {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe}},       // fe80::fe, the gateway
    {},                                                                // ::, DAD
    {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},          // fe80::1, another router
    {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfd}},       // fe80::fd, a neighbour
    {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe}}, // 2001:db8::fe
    {{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},    // 2001:db8:1::1, off-link
    {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}},          // fe80::2, our own
}};
inline constexpr std::array<Ipv6Addr, 8> ip6_destinations{{
    {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}}, // 2001:db8::2
    {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}},       // fe80::2
    {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},       // ff02::1, all nodes
    {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2}},    // ff02::1:ff00:2, solicited-node
    {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 5}},    // ff02::1:ff00:5 (nd: tentative)
    {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb}},    // ff02::fb (mld joins it)
    {{0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3}},       // ff05::1:3 (mld joins it)
    {{0xff, 0x0e, 0, 0, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}, // ff0e:0:db8::1 (mld joins it)
}};
// The nd target's tentative address (DAD in progress when the input starts).
inline constexpr Ipv6Addr ip6_tentative{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}};
// The igmp target's groups on eth0 (joined before the input), selected by the transport prefix (group_dst).
inline constexpr std::array<Ipv4Addr, 4> ip_groups{
    {Ipv4Addr::from_octets(224, 1, 1, 1), Ipv4Addr::from_octets(239, 1, 2, 3),
     Ipv4Addr::from_octets(224, 0, 0, 251), Ipv4Addr::from_octets(224, 0, 0, 22) /* not joined */}};

// UDP sockets of the Full configuration.
inline constexpr std::uint16_t port_echo = 7; // 0.0.0.0:7, echoes every datagram back to its source
inline constexpr std::uint16_t port_dns = 53; // 198.18.0.2:53, never read: its queue fills up
inline constexpr std::uint16_t port_bootps =
    67; // 0.0.0.0:67 with SO_BROADCAST, answers to 255.255.255.255:68
inline constexpr std::uint16_t port_connected = 5000; // 198.18.0.2:5000 connected to 198.18.0.1:5001, echoes
inline constexpr std::uint16_t port_connected_peer = 5001;
// TCP sockets of the Full configuration (when TCP is built in).
inline constexpr std::uint16_t port_tcp_echo = 80;    // 0.0.0.0:80 listening (backlog 4): accepts, echoes
inline constexpr std::uint16_t port_tcp_backlog = 22; // 198.18.0.2:22 listening (backlog 1), never accepts
inline constexpr std::uint16_t port_tcp_client_peer = 8080; // a connection from 198.18.0.2 to 198.18.0.1:8080

// After the target's body: advance the virtual clock by each step in turn and poll, so every timer of the
// modules gets its chance (ARP retransmits after 1 s, announces every 2 s, ages entries after 60 s).
inline constexpr std::array<TimeMs, 9> poll_steps{0, 1, 100, 1000, 1000, 1000, 2000, 10000, 60000};

[[noreturn]] inline void violated(const char* what) {
    std::fprintf(stderr, "pico-fuzz invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

// How much of the stack a target starts from.
enum class Setup {
    // eth0 with 198.18.0.2/24 and nothing else: no route, no socket, no ARP entry.
    Minimal,
    // eth0 with 198.18.0.2/24 and 198.18.1.2/24, eth1 with 198.18.2.2/24, a default route via 198.18.0.1,
    // 198.19.0.0/16 via 198.18.0.254 (never resolved), ARP entries for 198.18.0.1 and 198.18.0.3, the UDP
    // sockets above, an echo-reply handler and an ARP conflict handler; with TCP, the TCP sockets above (the
    // client connection is in SYN-SENT: its SYN is part of the set-up's output).
    Full,
};

// RFC 1071, byte by byte: independent of the stack's checksum code, which it checks.
inline std::uint16_t reference_checksum(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i + 1 < n; i += 2)
        sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    if (n % 2 == 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

class Harness {
  public:
    explicit Harness(Setup setup) : platform_(clock_, platform_seed), stack_(platform_) {
        eth0_index_ = stack_.attach(eth0_);
        if (setup == Setup::Full) eth1_index_ = stack_.attach(eth1_);
        if constexpr (config::ipv4) ipv4::add_address(stack_, eth0_index_, ip_eth0, 24);
        if (setup == Setup::Full) configure_full();
        drain(); // the set-up's own frames (announcements, ARP replies) are not the input's
    }
    ~Harness() {
        // The devices' queues hold frames of the stack's pool: give them back before the pool goes.
        eth0_.clear();
        eth1_.clear();
    }
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;

    Stack& stack() { return stack_; }
    VirtualClock& clock() { return clock_; }
    WireDevice& eth0() { return eth0_; }
    IfIndex eth0_index() const { return eth0_index_; }
    IfIndex eth1_index() const { return eth1_index_; }

    // A frame from the stack's pool holding `bytes` after the usual receive headroom (as Stack::inject
    // makes them), or nullopt if it does not fit a pool frame.
    std::optional<PacketBuf> frame_from(Bytes bytes) {
        if (bytes.size() > config::frame_size) return std::nullopt;
        std::size_t headroom = config::frame_size - bytes.size();
        if (headroom > config::frame_headroom) headroom = config::frame_headroom;
        return stack_.frame_pool().allocate_copy(bytes, headroom);
    }

    // Advances the virtual clock by `ms` and polls, then checks the invariants and drains the devices.
    void advance_and_poll(TimeMs ms) {
        clock_.advance(ms);
        stack_.poll();
        check_frames_accounted();
        drain();
    }

    // The end of every input: timers run, every transmitted frame is checked, then the frames still held
    // by modules are released and the pool must be empty.
    void finish() {
        check_frames_accounted();
        drain();
        for (TimeMs step : poll_steps)
            advance_and_poll(step);
        release_everything();
        if (stack_.frame_stats().in_use != 0)
            violated("frame leak: frames in use after releasing everything");
    }

    // Frames the modules hold legitimately between inputs (queued datagrams, ARP's pending datagram).
    // A module that keeps frames adds its term here.
    std::size_t frames_held_by_modules() {
        std::size_t held = 0;
        if constexpr (config::arp) {
            for (const arp::Entry& entry : arp::state(stack_).entries)
                held += entry.pending.size();
        }
        if constexpr (config::udp) {
            for (const udp::Socket& socket : udp::state(stack_).sockets)
                held += socket.rx.size();
        }
        if constexpr (config::ipv4_reassembly) held += ipv4_reassembly::in_progress(stack_); // a frame each
        if constexpr (config::ipv6_reassembly) held += ipv6_reassembly::in_progress(stack_); // a frame each
        if constexpr (config::nd) {
            for (const nd::Neighbor& neighbor : nd::state(stack_).neighbors)
                held += neighbor.pending.size();
        }
        return held; // TCP keeps bytes in its own buffers, not frames
    }

    // The sequence number of the last SYN (or SYN-ACK) the stack transmitted, for targets that let their
    // inputs acknowledge it without knowing the ISN (the stateful TCP targets, fuzz/README.md).
    std::optional<std::uint32_t> last_syn_sent() const { return last_syn_sent_; }

    // Called with every frame the stack transmits (Ethernet header on), after the output checks, when the
    // devices are drained: lets a target follow the conversation (tcp_established tracks its connection).
    using FrameObserver = void (*)(void* context, Bytes frame);
    void set_frame_observer(FrameObserver observer, void* context) {
        observer_ = observer;
        observer_context_ = context;
    }
    // Checks the invariants and drains the devices now, without moving the clock or polling.
    void flush_output() {
        check_frames_accounted();
        drain();
    }
    // A TCP socket the target opened itself: aborted when the input ends, like the configuration's own.
    void track_tcp(SocketHandle handle) { remember_tcp(handle); }
    // The neighbour `ip` at `mac` asks for our address (an ARP request to eth0's first address): how a
    // target refreshes (or completes) the stack's ARP entry for it, as the neighbour's own traffic would.
    void arp_request_from(MacAddr mac, Ipv4Addr ip) { learn_neighbour(mac, ip); }

  private:
    void configure_full() {
        if constexpr (config::ipv4) {
            ipv4::add_address(stack_, eth0_index_, ip_eth0_second, 24);
            ipv4::add_address(stack_, eth1_index_, ip_eth1, 24);
            ipv4::add_route(stack_, Ipv4Addr::any(), 0, ip_gateway);
            ipv4::add_route(stack_, Ipv4Addr::from_octets(198, 19, 0, 0), 16, ip_far_gateway);
        }
        if constexpr (config::arp) {
            arp::set_conflict_handler(
                stack_, [](void*, IfIndex, Ipv4Addr, MacAddr) {}, nullptr);
            // The merge rule only creates an entry for a request for us (RFC 826): ask as the neighbours do.
            learn_neighbour(mac_gateway, ip_gateway);
            learn_neighbour(mac_neighbour, ip_neighbour);
        }
        if constexpr (config::ipv6) {
            // IPv6 on eth0: link-local and a global /64 (Preferred at once: no DAD in the set-up), a default
            // route via the gateway's link-local address.
            ipv6::add_address(stack_, eth0_index_, ip6_eth0_link_local, 64);
            ipv6::add_address(stack_, eth0_index_, ip6_eth0, 64);
            ipv6::add_route(stack_, Ipv6Addr::any(), 0, ip6_gateway, eth0_index_);
        }
        if constexpr (config::icmp6)
            icmp6::set_echo_reply_handler(
                stack_, [](void*, const icmp6::EchoReply&) {}, nullptr);
        if constexpr (config::icmp4)
            icmp4::set_echo_reply_handler(
                stack_, [](void*, const icmp4::EchoReply&) {}, nullptr);
        if constexpr (config::udp) {
            // "::": both families when IPv6 is built (0.0.0.0 otherwise, NetAddr has no IPv6 then).
            open_udp(config::ipv6 ? IpAddr{Ipv6Addr::any()} : IpAddr{Ipv4Addr::any()}, port_echo);
            open_udp(ip_eth0, port_dns);
            SocketHandle bootps = open_udp(Ipv4Addr::any(), port_bootps);
            udp::set_option(stack_, bootps, SocketOption::Broadcast, 1);
            SocketHandle connected = open_udp(ip_eth0, port_connected);
            udp::connect(stack_, connected, ip_gateway, port_connected_peer);
        }
        if constexpr (config::tcp) {
            tcp_echo_listener_ = open_tcp();
            tcp::bind(stack_, tcp_echo_listener_,
                      config::ipv6 ? IpAddr{Ipv6Addr::any()} : IpAddr{Ipv4Addr::any()}, port_tcp_echo);
            tcp::listen(stack_, tcp_echo_listener_, 4);
            SocketHandle backlog = open_tcp();
            tcp::bind(stack_, backlog, ip_eth0, port_tcp_backlog);
            tcp::listen(stack_, backlog, 1);
            SocketHandle client = open_tcp();
            tcp::connect(stack_, client, ip_gateway, port_tcp_client_peer);
        }
    }

    SocketHandle open_tcp() {
        if constexpr (config::tcp) {
            SocketHandle handle = tcp::open(stack_, &Harness::on_tcp_event, this);
            remember_tcp(handle);
            return handle;
        } else {
            return -1;
        }
    }

    void remember_tcp(SocketHandle handle) {
        if (handle < 0) return;
        for (SocketHandle& slot : tcp_handles_) {
            if (slot == handle) return;
            if (slot < 0) {
                slot = handle;
                return;
            }
        }
    }

    // The applications of the Full configuration's TCP sockets: the port-80 listener accepts everything;
    // accepted connections echo what they read and close when the peer has closed.
    static void on_tcp_event(void* context, SocketHandle socket, SocketEvent event, SocketError) {
        if constexpr (config::tcp) {
            auto& self = *static_cast<Harness*>(context);
            Stack& stack = self.stack_;
            if (socket == self.tcp_echo_listener_) {
                for (int i = 0; i < 8; ++i) {
                    SocketHandle accepted = tcp::accept(stack, socket, &Harness::on_tcp_event, context);
                    if (accepted < 0) break;
                    self.remember_tcp(accepted);
                }
                return;
            }
            if (event == SocketEvent::Readable || event == SocketEvent::PeerClosed) {
                std::array<std::uint8_t, 2048> buffer;
                for (int i = 0; i < 16; ++i) { // bounded: a callback never loops on the stack's word
                    std::size_t got = 0;
                    bool eof = false;
                    if (tcp::read(stack, socket, MutBytes{buffer.data(), buffer.size()}, got, eof) !=
                        SocketError::Ok)
                        break;
                    if (got > 0) {
                        std::size_t written = 0;
                        tcp::write(stack, socket, Bytes{buffer.data(), got}, written);
                    }
                    if (eof) {
                        tcp::close(stack, socket);
                        break;
                    }
                    if (got == 0) break;
                }
            }
        } else {
            (void)context;
            (void)socket;
            (void)event;
        }
    }

    void learn_neighbour(MacAddr mac, Ipv4Addr ip) {
        std::array<std::uint8_t, 42> f{};
        MacAddr::broadcast().store(&f[0]);
        mac.store(&f[6]);
        store_be16(&f[12], 0x0806);
        store_be16(&f[14], 1);      // Ethernet
        store_be16(&f[16], 0x0800); // IPv4
        f[18] = 6;
        f[19] = 4;
        store_be16(&f[20], 1); // request
        mac.store(&f[22]);
        ip.store(&f[28]);
        ip_eth0.store(&f[38]);
        stack_.inject(eth0_index_, Bytes{f.data(), f.size()});
    }

    SocketHandle open_udp(const IpAddr& address, std::uint16_t port) {
        SocketHandle handle = udp::open(stack_, &Harness::on_udp_event, this);
        if (handle >= 0) udp::bind(stack_, handle, address, port);
        return handle;
    }

    // The applications of the Full configuration: read every datagram; the echo, connected and bootps
    // sockets answer (exercising the send path from inside a receive callback).
    static void on_udp_event(void* context, SocketHandle socket, SocketEvent event, SocketError) {
        if constexpr (config::udp) {
            if (event != SocketEvent::Readable) return;
            auto& self = *static_cast<Harness*>(context);
            IpAddr local;
            std::uint16_t port = 0;
            if (udp::local_endpoint(self.stack_, socket, local, port) != SocketError::Ok) return;
            if (port == port_dns) return; // never read: its queue fills up
            std::array<std::uint8_t, 2048> buffer;
            udp::RecvInfo info;
            if (udp::recv_from(self.stack_, socket, MutBytes{buffer.data(), buffer.size()}, info) !=
                SocketError::Ok)
                return;
            Bytes data{buffer.data(), info.copied};
            if (port == port_echo) udp::send_to(self.stack_, socket, data, info.source, info.source_port);
            if (port == port_connected) udp::send(self.stack_, socket, data);
            if (port == port_bootps)
                udp::send_to(self.stack_, socket, data, Ipv4Addr::limited_broadcast(), port_bootps + 1);
        } else {
            (void)context;
            (void)socket;
            (void)event;
        }
    }

    // Every frame in use is in a device queue or held by a module: none was lost.
    void check_frames_accounted() {
        std::size_t expected = eth0_.pending_tx() + eth1_.pending_tx() + frames_held_by_modules();
        if (stack_.frame_stats().in_use != expected)
            violated("frame pool in_use differs from the frames queued on devices and held by modules");
    }

    void drain() {
        while (auto frame = eth0_.collect()) {
            check_output(*frame, mac_eth0);
            if (observer_ != nullptr) observer_(observer_context_, frame->bytes());
        }
        while (auto frame = eth1_.collect()) {
            check_output(*frame, mac_eth1);
            if (observer_ != nullptr) observer_(observer_context_, frame->bytes());
        }
    }

    void release_everything() {
        if constexpr (config::tcp) {
            for (SocketHandle handle : tcp_handles_) {
                if (handle < 0) continue;
                tcp::set_callback(stack_, handle, nullptr, nullptr);
                tcp::abort(stack_, handle);
            }
        }
        eth0_.clear();
        eth1_.clear();
        if constexpr (config::udp) {
            for (std::size_t i = 0; i < config::udp_sockets; ++i)
                if (udp::state(stack_).sockets[i].open) udp::close(stack_, static_cast<SocketHandle>(i));
        }
        if constexpr (config::arp) {
            arp::flush(stack_, eth0_index_);
            if (eth1_index_ != no_interface) arp::flush(stack_, eth1_index_);
        }
        if constexpr (config::nd) {
            nd::flush(stack_, eth0_index_);
            if (eth1_index_ != no_interface) nd::flush(stack_, eth1_index_);
        }
    }

    // What every frame the stack transmits must satisfy, whatever it received.
    void check_output(const PacketBuf& frame, MacAddr device_mac) {
        Bytes f = frame.bytes();
        if (f.size() < 60) violated("transmitted frame shorter than the Ethernet minimum of 60 bytes");
        if (f.size() > std::size_t{mtu} + 14) violated("transmitted frame larger than the MTU");
        if (!(MacAddr::from(&f[6]) == device_mac)) violated("transmitted frame with a source MAC not ours");
        std::uint16_t ethertype = load_be16(&f[12]);
        Bytes payload = f.subspan(14);
        if (ethertype == 0x0806) {
            if (payload.size() < 28 || load_be16(&payload[0]) != 1 || load_be16(&payload[2]) != 0x0800 ||
                payload[4] != 6 || payload[5] != 4)
                violated("transmitted ARP packet malformed");
            std::uint16_t op = load_be16(&payload[6]);
            if (op != 1 && op != 2) violated("transmitted ARP packet with an unknown operation");
            if (!(MacAddr::from(&payload[8]) == device_mac)) violated("transmitted ARP sender MAC not ours");
            return;
        }
        if (ethertype == 0x86dd) return check_ipv6_output(payload);
        if (ethertype != 0x0800) violated("transmitted frame with an EtherType the stack does not send");
        check_ipv4_output(payload);
    }

    // An IPv6 packet we send: version 6, Payload Length consistent with the frame (Ethernet padding aside),
    // a source that is ours (or :: for DAD and early MLD/RS), and the upper-layer checksum right when the
    // upper layer follows the header directly or after one Hop-by-Hop header (MLD's Router Alert).
    void check_ipv6_output(Bytes p) {
        if (p.size() < 40 || (p[0] >> 4) != 6) violated("transmitted IPv6 packet: bad version or too short");
        std::size_t total = 40 + std::size_t{load_be16(&p[4])};
        if (total > p.size()) violated("transmitted IPv6 packet longer than its frame");
        if (total < p.size() && p.size() != 46) violated("transmitted IPv6 packet with bytes after it");
        if constexpr (config::ipv6) {
            Ipv6Addr source = Ipv6Addr::load(&p[8]);
            if (!source.is_unspecified() && ipv6::find_address(stack_, eth0_index_, source) == nullptr &&
                ipv6::find_address(stack_, eth1_index_, source) == nullptr)
                violated("transmitted IPv6 packet from an address not ours");
        }
        std::uint8_t next = p[6];
        std::size_t at = 40;
        if (next == 0) {
            if (total < at + 8) violated("transmitted Hop-by-Hop header truncated");
            next = p[at];
            at += (std::size_t{p[at + 1]} + 1) * 8;
            if (at > total) violated("transmitted Hop-by-Hop header longer than the packet");
        }
        if (next != 58 && next != 17 && next != 6) return; // fragments and others: not checked here
        Bytes l4 = p.subspan(at, total - at);
        std::uint32_t sum = 0;
        for (std::size_t i = 8; i < 40; i += 2)
            sum += load_be16(&p[i]);
        sum += static_cast<std::uint32_t>(l4.size() >> 16) + static_cast<std::uint32_t>(l4.size() & 0xffff) +
               next;
        if (l4.size() < (next == 6 ? 20u : (next == 17 ? 8u : 4u)))
            violated("transmitted IPv6 upper-layer message shorter than its header");
        if (reference_checksum(l4.data(), l4.size(), sum) != 0)
            violated("transmitted IPv6 upper-layer checksum wrong");
    }

    void check_ipv4_output(Bytes p) {
        if (p.size() < 20 || (p[0] >> 4) != 4)
            violated("transmitted IPv4 datagram: bad version or too short");
        std::size_t ihl = std::size_t{p[0] & 0x0fu} * 4;
        std::size_t total = load_be16(&p[2]);
        if (ihl < 20 || total < ihl || total > p.size())
            violated("transmitted IPv4 datagram: bad header or total length");
        if (total < p.size() && p.size() != 46) violated("transmitted IPv4 datagram with bytes after it");
        if (reference_checksum(p.data(), ihl) != 0) violated("transmitted IPv4 header checksum wrong");
        if constexpr (config::ipv4) {
            if (!ipv4::is_local_any(stack_, Ipv4Addr::load(&p[12])))
                violated("transmitted IPv4 datagram from an address not ours");
        }
        std::uint16_t fragment = load_be16(&p[6]);
        if ((fragment & 0x3fff) != 0) return; // a fragment's transport checksum covers the whole datagram
        Bytes l4 = p.subspan(ihl, total - ihl);
        std::uint8_t protocol = p[9];
        if (protocol == 1) {
            if (l4.size() < 8) violated("transmitted ICMP message shorter than its header");
            if (reference_checksum(l4.data(), l4.size()) != 0) violated("transmitted ICMP checksum wrong");
        } else if (protocol == 17) {
            if (l4.size() < 8 || load_be16(&l4[4]) != l4.size())
                violated("transmitted UDP length differs from the IP payload");
            if (load_be16(&l4[6]) != 0 &&
                reference_checksum(l4.data(), l4.size(), pseudo_sum(p, 17, l4.size())) != 0)
                violated("transmitted UDP checksum wrong");
        } else if (protocol == 6) {
            if (l4.size() < 20) violated("transmitted TCP segment shorter than its header");
            std::size_t data_offset = static_cast<std::size_t>(l4[12] >> 4) * 4;
            if (data_offset < 20 || data_offset > l4.size())
                violated("transmitted TCP segment with a bad data offset");
            if (reference_checksum(l4.data(), l4.size(), pseudo_sum(p, 6, l4.size())) != 0)
                violated("transmitted TCP checksum wrong");
            if ((l4[13] & 0x02) != 0) last_syn_sent_ = load_be32(&l4[4]);
        }
    }

    static std::uint32_t pseudo_sum(Bytes ip, std::uint8_t protocol, std::size_t l4_len) {
        std::uint32_t sum = 0;
        for (std::size_t i = 12; i < 20; i += 2)
            sum += load_be16(&ip[i]);
        return sum + protocol + static_cast<std::uint32_t>(l4_len);
    }

    // Declaration order is destruction order in reverse: the devices go before the Stack, so their queued
    // frames return to a pool that still exists.
    VirtualClock clock_;
    VirtualPlatform platform_;
    Stack stack_;
    WireDevice eth0_{mac_eth0, mtu};
    WireDevice eth1_{mac_eth1, mtu};
    IfIndex eth0_index_ = no_interface;
    IfIndex eth1_index_ = no_interface;
    std::optional<std::uint32_t> last_syn_sent_;
    FrameObserver observer_ = nullptr;
    void* observer_context_ = nullptr;
    SocketHandle tcp_echo_listener_ = -1;
    std::array<SocketHandle, config::tcp_sockets> tcp_handles_ = make_unused_handles();

    static constexpr std::array<SocketHandle, config::tcp_sockets> make_unused_handles() {
        std::array<SocketHandle, config::tcp_sockets> handles{};
        for (SocketHandle& h : handles)
            h = -1;
        return handles;
    }
};

// One input's harness, in static storage (a Stack is ~100 KB): constructed when the Session starts and
// destroyed when it ends, so no state survives between inputs.
inline std::optional<Harness> current_harness;

class Session {
  public:
    explicit Session(Setup setup) { current_harness.emplace(setup); }
    ~Session() {
        current_harness->finish();
        current_harness.reset();
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    Harness& harness() { return *current_harness; }
};

// ---- RxMeta for the hooks above Ethernet ----

// Link-layer flags byte (arp, ipv4 targets): bit 0 the frame came to the broadcast address, bit 1 (without
// bit 0) to a multicast group; otherwise unicast to eth0's MAC. The sender is the gateway's MAC.
inline RxMeta link_meta(IfIndex ifindex, std::uint8_t flags, MacAddr source) {
    RxMeta meta;
    meta.ifindex = ifindex;
    meta.src_mac = source;
    meta.link_broadcast = (flags & 1) != 0;
    meta.link_multicast = !meta.link_broadcast && (flags & 2) != 0;
    return meta;
}

// A transport-layer input for the icmp4 and udp targets, built from an 8-byte prefix (fuzz/README.md):
//   [0..3] IPv4 source; one that ipv4::input would refuse (limited/directed broadcast, multicast, class E,
//          loopback) is replaced by 198.18.0.1, so the meta is one ipv4::input could produce;
//   [4]    destination: bits 0-1 select 0 our address, 1 255.255.255.255, 2 the directed broadcast of its
//          /24, 3 224.0.0.1; bit 2 selects eth0's second address (198.18.1.2) and its prefix;
//   [5]    TTL, [6] TOS;
//   [7]    bit 0: the IPv4 header carries 4 bytes of options (NOP, NOP, NOP, EOL).
// The harness writes an Ethernet and an IPv4 header (Total Length, protocol and checksum consistent) in front
// of the payload in one pool frame, then pulls them, so ICMP errors quote a real header through
// meta.l3_offset exactly as after ipv4::input.
struct TransportInput {
    PacketBuf payload;
    RxMeta meta;
};

inline constexpr std::size_t transport_prefix_len = 8;

//   with group_dst (igmp): [4] bit 3 replaces the destination by ip_groups[bits 4-5] (a multicast frame).
inline std::optional<TransportInput> transport_input(Harness& h, std::uint8_t protocol, Bytes input,
                                                     bool group_dst = false) {
    if (input.size() < transport_prefix_len) return std::nullopt;
    Bytes payload = input.subspan(transport_prefix_len);
    const std::uint8_t* prefix = input.data();

    Ipv4Addr source = Ipv4Addr::load(prefix);
    bool source_ok = !source.is_limited_broadcast() && !source.is_multicast() && !source.is_reserved() &&
                     !source.is_loopback();
    if constexpr (config::ipv4) {
        for (std::size_t i = 0; i < config::max_devices; ++i)
            if (ipv4::is_broadcast(h.stack(), static_cast<IfIndex>(i), source)) source_ok = false;
    }
    if (!source_ok) source = ip_gateway;

    Ipv4Addr ours = (prefix[4] & 4) != 0 ? ip_eth0_second : ip_eth0;
    RxMeta meta;
    meta.ifindex = h.eth0_index();
    meta.src_mac = mac_gateway;
    meta.src = source;
    switch (prefix[4] & 3) {
    case 0:
        meta.dst = ours;
        break;
    case 1:
        meta.dst = Ipv4Addr::limited_broadcast();
        meta.ip_broadcast = meta.link_broadcast = true;
        break;
    case 2:
        meta.dst = Ipv4Addr{ours.value | 0xffu};
        meta.ip_broadcast = meta.link_broadcast = true;
        break;
    default:
        meta.dst = ip_all_hosts;
        meta.ip_multicast = meta.link_multicast = true;
        break;
    }
    if (group_dst && (prefix[4] & 8) != 0) {
        meta.dst = ip_groups[(prefix[4] >> 4) & 3];
        meta.ip_broadcast = meta.link_broadcast = false;
        meta.ip_multicast = meta.link_multicast = true;
    }
    meta.ttl = prefix[5];
    meta.tos = prefix[6];
    const std::size_t ip_header_len = (prefix[7] & 1) != 0 ? 24 : 20;
    const std::size_t total = ip_header_len + payload.size();
    if (config::frame_headroom + 14 + total > config::frame_size) return std::nullopt;

    auto frame = h.stack().frame_pool().allocate(config::frame_headroom);
    if (!frame) violated("the frame pool is empty at the start of an input");
    std::uint8_t* eth = frame->append(14 + ip_header_len);
    if (meta.link_broadcast)
        MacAddr::broadcast().store(eth);
    else if (meta.link_multicast)
        MacAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}}.store(eth);
    else
        mac_eth0.store(eth);
    mac_gateway.store(eth + 6);
    store_be16(eth + 12, 0x0800);
    std::uint8_t* ip = eth + 14;
    fill_bytes(ip, 0, ip_header_len);
    ip[0] = static_cast<std::uint8_t>(0x40 | (ip_header_len / 4));
    ip[1] = meta.tos;
    store_be16(ip + 2, static_cast<std::uint16_t>(total));
    ip[8] = meta.ttl;
    ip[9] = protocol;
    source.store(ip + 12);
    meta.dst.store(ip + 16);
    if (ip_header_len == 24) {
        ip[20] = ip[21] = ip[22] = 1; // NOP
        ip[23] = 0;                   // EOL
    }
    store_be16(ip + 10, reference_checksum(ip, ip_header_len));
    frame->append(payload);
    frame->pull(14);
    meta.l3_offset = static_cast<std::uint16_t>(frame->offset());
    meta.l3_header_len = static_cast<std::uint16_t>(ip_header_len);
    frame->pull(ip_header_len);
    return TransportInput{std::move(*frame), meta};
}

// ---- IPv6: the ICMPv6 hook targets (icmp6, nd, mld) ----
//
// An ICMPv6 message as ipv6::input hands it up, built from a 2-byte prefix (fuzz/README.md):
//   [0] bits 0-2 the source (ip6_sources), bits 3-4 the Hop Limit (255, 1, 64, 0), bit 5 a Hop-by-Hop header
//       with Router Alert (value 0, MLD) precedes the message, bit 6 the Ethernet source is
//       02:00:00:00:00:fc (else the gateway's MAC), bit 7 the target's own;
//   [1] bits 0-2 the destination (ip6_destinations; a multicast group eth0 does not listen to, or a unicast
//       address that is not ours, becomes ff02::1, as only those pass ipv6::input), bits 3-7 the target's
//       own.
// The harness writes the Ethernet and IPv6 headers (and the Hop-by-Hop header) in front of the message in one
// pool frame, fills the ICMPv6 checksum (so inputs replay in builds that verify it), and pulls the headers,
// with meta.l3_offset / l3_header_len where ipv6::input leaves them (errors quote the real header; MLD finds
// the Router Alert there).
inline constexpr std::size_t ipv6_prefix_len = 2;

inline std::optional<TransportInput> ipv6_transport_input(Harness& h, Bytes input) {
    if (input.size() < ipv6_prefix_len) return std::nullopt;
    Bytes message = input.subspan(ipv6_prefix_len);
    const std::uint8_t* prefix = input.data();
    const Ipv6Addr source = ip6_sources[prefix[0] & 7];
    Ipv6Addr destination = ip6_destinations[prefix[1] & 7];
    if constexpr (config::ipv6) {
        bool accepted = destination.is_multicast() ? ipv6::is_member(h.stack(), h.eth0_index(), destination)
                                                   : ipv6::is_local_any(h.stack(), destination);
        if (!accepted) destination = Ipv6Addr::all_nodes();
    }
    static constexpr std::array<std::uint8_t, 4> hop_limits{255, 1, 64, 0};
    const bool router_alert = (prefix[0] & 0x20) != 0;
    const std::size_t ext_len = router_alert ? 8 : 0;
    const std::size_t l3_len = 40 + ext_len;
    if (config::frame_headroom + 14 + l3_len + message.size() > config::frame_size) return std::nullopt;

    RxMeta meta;
    meta.ifindex = h.eth0_index();
    meta.src_mac = (prefix[0] & 0x40) != 0 ? mac_other : mac_gateway;
    meta.ipv6 = true;
    meta.src6 = source;
    meta.dst6 = destination;
    meta.ttl = hop_limits[(prefix[0] >> 3) & 3];
    meta.ip_multicast = meta.link_multicast = destination.is_multicast();

    auto frame = h.stack().frame_pool().allocate(config::frame_headroom);
    if (!frame) violated("the frame pool is empty at the start of an input");
    std::uint8_t* eth = frame->append(14 + l3_len);
    if (meta.link_multicast)
        destination.multicast_mac().store(eth);
    else
        mac_eth0.store(eth);
    meta.src_mac.store(eth + 6);
    store_be16(eth + 12, 0x86dd);
    std::uint8_t* ip = eth + 14;
    fill_bytes(ip, 0, l3_len);
    ip[0] = 0x60;
    store_be16(ip + 4, static_cast<std::uint16_t>(ext_len + message.size()));
    ip[6] = router_alert ? 0 : 58;
    ip[7] = meta.ttl;
    source.store(ip + 8);
    destination.store(ip + 24);
    if (router_alert) { // Next Header 58, length 0, Router Alert (5, 2, value 0), PadN (1, 0)
        ip[40] = 58;
        ip[42] = 5;
        ip[43] = 2;
        ip[46] = 1;
    }
    std::uint8_t* icmp = frame->append(message.size());
    if (icmp == nullptr) violated("an ICMPv6 message that fits did not fit its frame");
    copy_bytes(icmp, message.data(), message.size());
    if (message.size() >= 4) {
        icmp[2] = icmp[3] = 0;
        std::uint32_t sum = 58 + static_cast<std::uint32_t>(message.size());
        for (std::size_t i = 8; i < 40; i += 2)
            sum += load_be16(ip + i);
        store_be16(icmp + 2, reference_checksum(icmp, message.size(), sum));
    }
    frame->pull(14);
    meta.l3_offset = static_cast<std::uint16_t>(frame->offset());
    meta.l3_header_len = static_cast<std::uint16_t>(l3_len);
    frame->pull(l3_len);
    return TransportInput{std::move(*frame), meta};
}

// A TCP segment from the gateway (198.18.0.1) to 198.18.0.2 with `ack_offset` added to its Acknowledgment
// Number and its checksum written by the harness, delivered to tcp::input (as after ipv4::input).
inline void deliver_tcp_segment(Harness& h, Bytes segment, std::uint32_t ack_offset) {
    if constexpr (config::tcp) {
        std::array<std::uint8_t, transport_prefix_len> prefix{198, 18, 0, 1, 0, 64, 0, 0};
        std::array<std::uint8_t, config::frame_size> input{};
        if (segment.size() > input.size() - prefix.size()) return;
        copy_bytes(input.data(), prefix.data(), prefix.size());
        copy_bytes(input.data() + prefix.size(), segment.data(), segment.size());
        auto in = transport_input(h, ipv4::proto_tcp, Bytes{input.data(), prefix.size() + segment.size()});
        if (!in) return;
        MutBytes tcp = in->payload.bytes();
        if (tcp.size() >= 20) {
            store_be32(&tcp[8], load_be32(&tcp[8]) + ack_offset);
            store_be16(&tcp[16], 0);
            std::uint32_t sum = (in->meta.src.value >> 16) + (in->meta.src.value & 0xffff) +
                                (in->meta.dst.value >> 16) + (in->meta.dst.value & 0xffff) + ipv4::proto_tcp +
                                static_cast<std::uint32_t>(tcp.size());
            store_be16(&tcp[16], reference_checksum(tcp.data(), tcp.size(), sum));
        }
        tcp::input(h.stack(), std::move(in->payload), in->meta);
    } else {
        (void)h;
        (void)segment;
        (void)ack_offset;
    }
}

// A TCP segment from the gateway for tcp_listen: its Acknowledgment Number is taken as relative to the last
// SYN the stack sent (the harness adds that sequence number, so an input can complete a handshake without
// knowing the ISN), and the harness writes the checksum.
inline void deliver_tcp_from_gateway(Harness& h, Bytes segment) {
    deliver_tcp_segment(h, segment, h.last_syn_sent().value_or(0));
}

// ---- the sequence format of the stateful targets (fuzz/README.md) ----
//
// [u16 be length][u16 be time delta in ms][length bytes of frame] repeated. A record whose length runs past
// the input takes the bytes that remain; fewer than 4 bytes left end the sequence. The delta is how far the
// virtual clock moves (and the stack is polled) before the frame is delivered.
// With call records (tcp_established), bit 15 of the length word marks a record that is an application
// call rather than a frame; its length is then the low 15 bits.
class SequenceReader {
  public:
    enum class Calls : std::uint8_t { None, Bit15 };
    explicit SequenceReader(Bytes input, Calls calls = Calls::None) : input_(input), calls_(calls) {}
    struct Record {
        TimeMs delta_ms = 0;
        Bytes frame;       // the frame, or the call's bytes
        bool call = false; // an application call record (Calls::Bit15 only)
    };
    std::optional<Record> next() {
        if (input_.size() - offset_ < 4) return std::nullopt;
        std::size_t length = load_be16(&input_[offset_]);
        const bool call = calls_ == Calls::Bit15 && (length & 0x8000u) != 0;
        if (call) length &= 0x7fffu;
        TimeMs delta = load_be16(&input_[offset_ + 2]);
        offset_ += 4;
        std::size_t remaining = input_.size() - offset_;
        if (length > remaining) length = remaining;
        Record record{delta, input_.subspan(offset_, length), call};
        offset_ += length;
        return record;
    }

  private:
    Bytes input_;
    Calls calls_;
    std::size_t offset_ = 0;
};

} // namespace pico::fuzz
