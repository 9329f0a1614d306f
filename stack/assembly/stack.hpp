// The Stack: one object holding all state of one TCP/IP stack instance (no globals), aggregating the state of
// every module built in. Many stacks per process is normal.
//
//  Device --rx--> ethernet::input --> arp::input
//                        +--> ipv4::input --> icmp4::input | igmp::input | udp::input | tcp::input
//                        +--> ipv6::input --> icmp6::input (nd, mld) | udp::input | tcp::input
//  and out: socket -> udp | tcp -> ipv4 | ipv6 (route) -> arp | nd -> ethernet -> Device::transmit
#pragma once
#include "core/buffer.hpp"
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/handoff.hpp"
#include "core/module.hpp"
#include "core/timer.hpp"
#include "link/arp.hpp"
#include "link/device.hpp"
#include "link/ethernet.hpp"
#include "net/icmp4.hpp"
#include "net/icmp6.hpp"
#include "net/igmp.hpp"
#include "net/ipv4.hpp"
#include "net/ipv6.hpp"
#include "net/mld.hpp"
#include "net/nd.hpp"
#include "net/slaac.hpp"
#include "port/platform.hpp"
#include "transport/tcp/tcp.hpp"
#include "transport/udp.hpp"
#include <array>
#include <cstddef>

namespace pico {

class Stack {
  public:
    explicit Stack(Platform& platform);
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    // Attaches a device (owned by the caller, which must keep it alive while attached). Returns its index, or
    // no_interface when config::max_devices are attached already.
    IfIndex attach(Device& device);
    Device* device(IfIndex ifindex) const;
    std::size_t device_count() const { return device_count_; }

    // A received frame enters the stack here and travels up until it is delivered or dropped. Replies leave
    // through the device before this returns.
    void receive(IfIndex ifindex, PacketBuf&& frame);
    // Copies bytes into a frame from the pool and receives it. False if the pool is empty or the frame is
    // larger than a pool frame (counted in the "device" counters).
    bool inject(IfIndex ifindex, Bytes frame);
    // Receives from every device (at most `budget` frames each), fires due timers and module ticks. Returns
    // the number of frames received.
    std::size_t poll(std::size_t budget = 64);

    Platform& platform() { return platform_; }
    TimeMs now() { return platform_.now_ms(); }
    FramePoolBase& frame_pool() { return frames_; }
    const PoolStats& frame_stats() const { return frames_.stats(); }
    TimerQueueBase& timer_queue() { return timers_; }

    // Counters of frames entering and leaving through devices (drops: PoolExhausted, DeviceDown, NoDevice,
    // ...).
    ModuleCounters& device_counters() { return device_counters_; }

    // Calls f(name, counters) for every module built in, in the order of the path of a frame.
    template <class F> void for_each_module(F&& f) const {
        f("device", device_counters_);
        visit(ethernet_, "ethernet", f);
        visit(arp_, "arp", f);
        visit(ipv4_, "ipv4", f);
        visit(icmp4_, "icmp4", f);
        visit(igmp_, "igmp", f);
        visit(ipv6_, "ipv6", f);
        visit(icmp6_, "icmp6", f);
        visit(nd_, "nd", f);
        visit(slaac_, "slaac", f);
        visit(mld_, "mld", f);
        visit(udp_, "udp", f);
        visit(tcp_, "tcp", f);
    }

  private:
    template <bool Enabled, class State, class F>
    static void visit(const ModuleSlot<Enabled, State>& slot, const char* name, F& f) {
        if constexpr (Enabled) f(name, slot.state.counters);
    }

    // Declared before the module state, so it is destroyed after it: frames held by modules (ARP queues,
    // socket queues) go back to a pool that still exists.
    Platform& platform_;
    FramePool<config::frame_count, config::frame_size> frames_;
    TimerQueue<config::timer_count> timers_;
    ModuleCounters device_counters_;
    std::array<Device*, config::max_devices> devices_{};
    std::size_t device_count_ = 0;
    TimeMs last_tick_ = ~TimeMs{0}; // the time of the last scan of the modules' timers (poll); none yet

  public:
    // Module state; module code reaches its own through its state(Stack&) accessor.
    [[no_unique_address]] ModuleSlot<config::ethernet, ethernet::State> ethernet_;
    [[no_unique_address]] ModuleSlot<config::arp, arp::State> arp_;
    [[no_unique_address]] ModuleSlot<config::ipv4, ipv4::State> ipv4_;
    [[no_unique_address]] ModuleSlot<config::icmp4, icmp4::State> icmp4_;
    [[no_unique_address]] ModuleSlot<config::igmp, igmp::State> igmp_;
    [[no_unique_address]] ModuleSlot<config::ipv6, ipv6::State> ipv6_;
    [[no_unique_address]] ModuleSlot<config::icmp6, icmp6::State> icmp6_;
    [[no_unique_address]] ModuleSlot<config::nd, nd::State> nd_;
    [[no_unique_address]] ModuleSlot<config::slaac, slaac::State> slaac_;
    [[no_unique_address]] ModuleSlot<config::mld, mld::State> mld_;
    [[no_unique_address]] ModuleSlot<config::udp, udp::State> udp_;
    [[no_unique_address]] ModuleSlot<config::tcp, tcp::State> tcp_;
};

} // namespace pico
