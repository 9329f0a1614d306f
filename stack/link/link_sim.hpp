// Link: an in-memory Ethernet cable joining two stacks' devices, with seeded impairments (loss, duplication,
// reordering, delay, corruption) for end-to-end tests and benchmarks.
//
//   pico::Link link(platform, /*seed=*/7, {.loss = 0.1, .delay_ms = 5});
//   stack_a.attach(link.a());  stack_b.attach(link.b());
//   ... clock.advance(5); stack_a.poll(); stack_b.poll();
//
// A frame transmitted on one end is copied into the Link's own frame pool and becomes receivable on the other
// end at now + delay_ms (+ reorder_extra_delay_ms when it is chosen for reordering, so later frames overtake
// it); each end hands out frames whose time has come in delivery-time order (ties: transmit order), picked up
// by Stack::poll. Every impairment is decided by a SeededRandom, drawn in a fixed order per frame, so the
// same seed and the same traffic give the same outcome. The in-flight queue is bounded: when it (or the pool)
// is full the frame is lost and counted in LinkStats::overflow.
//
// Received frames stay in the Link's pool while a stack holds them (e.g. queued on a socket): declare the
// Link before the stacks that use it so it is destroyed after them. No heap: the Link is one object (about
// 200 KB; allocate it statically or, in tests, with make_unique).
#pragma once
#include "core/buffer.hpp"
#include "core/config.hpp"
#include "core/types.hpp"
#include "link/device.hpp"
#include "port/platform.hpp"
#include "port/virtual_platform.hpp"
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pico {

struct Impairments {
    double loss = 0;      // probability that a frame is lost
    double duplicate = 0; // probability that a frame arrives twice
    double reorder = 0;   // probability that a frame is held back by reorder_extra_delay_ms
    double corrupt = 0;   // probability that one random bit of a frame (each copy decided alone) is flipped
    TimeMs delay_ms = 0;  // one-way delay of every frame
    TimeMs reorder_extra_delay_ms = 5;
};

struct LinkStats {
    std::uint32_t transmitted = 0; // frames handed to the link by either end
    std::uint32_t delivered = 0;   // frames handed out by receive()
    std::uint32_t lost = 0;        // dropped by the loss impairment
    std::uint32_t duplicated = 0;  // extra copies made
    std::uint32_t reordered = 0;   // copies held back by the extra delay
    std::uint32_t corrupted = 0;   // copies with a flipped bit
    std::uint32_t overflow = 0;    // copies lost because the in-flight queue or the pool was full
    std::uint32_t oversize = 0;    // frames refused: larger than a pool frame
};

class Link;

// One end of the Link: the Device a stack attaches.
class LinkEnd final : public Device {
  public:
    // Inline (defined below Link), as is Link's constructor: the class has no key function, so its vtable and
    // typeinfo are emitted where a Link is built (with RTTI in tests and bindings), not in link_sim.cpp.
    bool transmit(PacketBuf&& frame) override;
    std::optional<PacketBuf> receive() override;
    std::uint16_t mtu() const override { return mtu_; }
    MacAddr mac() const override { return mac_; }

  private:
    friend class Link;
    LinkEnd(Link& link, std::uint8_t side, MacAddr mac, std::uint16_t mtu)
        : link_(link), side_(side), mac_(mac), mtu_(mtu) {}

    Link& link_;
    std::uint8_t side_; // 0: a, 1: b
    MacAddr mac_;
    std::uint16_t mtu_;
};

class Link {
  public:
    static constexpr std::size_t pool_frames = 128;       // in flight + held by the stacks after delivery
    static constexpr std::size_t in_flight_capacity = 64; // both directions together
    static constexpr MacAddr default_mac_a{{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}};
    static constexpr MacAddr default_mac_b{{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b}};

    // time_source gives the delivery clock (share one VirtualClock between both stacks' platforms).
    // Inline, like LinkEnd's virtual functions, so LinkEnd's vtable is emitted where a Link is built.
    Link(Platform& time_source, std::uint64_t seed, Impairments impairments = {},
         MacAddr mac_a = default_mac_a, MacAddr mac_b = default_mac_b, std::uint16_t mtu = 1500)
        : time_source_(time_source), random_(seed), impairments_(impairments), a_(*this, 0, mac_a, mtu),
          b_(*this, 1, mac_b, mtu) {}
    Link(const Link&) = delete;
    Link& operator=(const Link&) = delete;

    LinkEnd& a() { return a_; }
    LinkEnd& b() { return b_; }
    LinkStats stats() const { return stats_; }
    const Impairments& impairments() const { return impairments_; }
    void set_impairments(const Impairments& impairments) { impairments_ = impairments; }
    // Frames on the wire now, both directions.
    std::size_t in_flight() const;
    const PoolStats& pool_stats() const { return pool_.stats(); }

  private:
    friend class LinkEnd;
    struct InFlight {
        std::optional<PacketBuf> frame;
        TimeMs due = 0;
        std::uint64_t sequence = 0; // transmit order, breaks ties between equal due times
        std::uint8_t to_side = 0;
    };

    bool send(std::uint8_t from_side, Bytes frame);
    void enqueue_copy(std::uint8_t to_side, Bytes frame, TimeMs now);
    std::optional<PacketBuf> take(std::uint8_t side);

    Platform& time_source_;
    SeededRandom random_;
    Impairments impairments_;
    FramePool<pool_frames, config::frame_size> pool_;
    std::array<InFlight, in_flight_capacity> in_flight_{};
    std::array<std::size_t, 2>
        queued_{};             // frames in in_flight_ per receiving side: take() of an idle side is O(1)
    std::size_t used_end_ = 0; // no slot at or after this index holds a frame: the scans stop there
    std::uint64_t next_sequence_ = 0;
    LinkStats stats_{};
    LinkEnd a_;
    LinkEnd b_;
};

inline bool LinkEnd::transmit(PacketBuf&& frame) {
    PacketBuf owned(std::move(frame)); // back to the sender's pool when this returns: the link keeps a copy
    return link_.send(side_, owned.bytes());
}

inline std::optional<PacketBuf> LinkEnd::receive() {
    return link_.take(side_);
}

} // namespace pico
