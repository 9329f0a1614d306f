// SMSC LAN9118 Ethernet controller (MAC + PHY on a 32-bit memory bus), as on Arm's MPS2 boards and in QEMU's
// hw/net/lan9118.c (-M mps2-an386: base 0x40200000, interrupt line 13). Register names and bits from the SMSC
// LAN9118 datasheet (section 5, "Register Description").
//
// The controller keeps received frames in an on-chip data FIFO with a status FIFO beside it (one status word
// per frame: length including the 4-byte FCS, error bits); a frame to send is written into the TX data FIFO
// after two command words. receive(), polled by Stack::poll, pops one status word and copies the frame into a
// frame of the stack's pool. A frame with an error bit, with a length that makes no sense, or that finds the
// pool empty is read out of the FIFO and discarded, and counted in counters() under its Drop reason. No
// interrupt is needed (the controller can be polled); enable_interrupts() lets a firmware sleep in `wfi`
// until a frame arrives (see arm_interrupt).
//
// Bare metal: Lan9118Device reaches the registers through volatile pointers (Lan9118Mmio), and is compiled
// (lan9118.cpp: the explicit instantiation) only by firmware projects (examples/cortex-m4), never into the
// hosted or the freestanding library. The driver is a template over that register access so that unit tests
// (stack/tests/lan9118_test.cpp) run the same code against a model of the controller.
//
// QEMU's model differs from the chip in ways the driver works around or must not rely on. Its RX fast-forward
// (RX_DP_CTRL) moves the read pointer without giving the words back to the FIFO's free count nor ending the
// frame: on QEMU 7.2, after one fast-forwarded frame every later frame is misread, so discarded frames are
// drained word by word here. From the model's source (hw/net/lan9118.c): it never sets RX or TX error bits,
// sends a frame as soon as its last word is written, and drops frames silently (RX_DROP stays 0) when its
// 2,640-word RX FIFO (about six full-sized frames) is full.
#pragma once
#include "core/buffer.hpp"
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/types.hpp"
#include "link/device.hpp"
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace pico {

// Registers and bits (byte offsets from the controller's base address).
namespace lan9118 {
inline constexpr std::uint32_t rx_data_fifo = 0x00;   // RX data FIFO port (0x00-0x1c alias it)
inline constexpr std::uint32_t tx_data_fifo = 0x20;   // TX data FIFO port (0x20-0x3c alias it)
inline constexpr std::uint32_t rx_status_fifo = 0x40; // pops one RX status word
inline constexpr std::uint32_t tx_status_fifo = 0x48; // pops one TX status word
inline constexpr std::uint32_t id_rev = 0x50;
inline constexpr std::uint32_t irq_cfg = 0x54;
inline constexpr std::uint32_t int_sts = 0x58;
inline constexpr std::uint32_t int_en = 0x5c;
inline constexpr std::uint32_t byte_test = 0x64;
inline constexpr std::uint32_t fifo_int = 0x68;
inline constexpr std::uint32_t rx_cfg = 0x6c;
inline constexpr std::uint32_t tx_cfg = 0x70;
inline constexpr std::uint32_t hw_cfg = 0x74;
inline constexpr std::uint32_t rx_fifo_inf = 0x7c;
inline constexpr std::uint32_t tx_fifo_inf = 0x80;
inline constexpr std::uint32_t pmt_ctrl = 0x84;
inline constexpr std::uint32_t mac_csr_cmd = 0xa4;
inline constexpr std::uint32_t mac_csr_data = 0xa8;

inline constexpr std::uint32_t byte_test_value = 0x87654321u; // reads back so when the bus is set up right
inline constexpr std::uint32_t chip_lan9118 = 0x0118u;        // ID_REV[31:16]

inline constexpr std::uint32_t hw_cfg_srst = 1u << 0;      // soft reset, self-clearing
inline constexpr std::uint32_t pmt_ctrl_ready = 1u << 0;   // device ready after reset
inline constexpr std::uint32_t irq_cfg_irq_en = 1u << 8;   // IRQ output enable
inline constexpr std::uint32_t irq_cfg_irq_pol = 1u << 4;  // active high
inline constexpr std::uint32_t irq_cfg_irq_type = 1u << 0; // push-pull
inline constexpr std::uint32_t int_rsfl = 1u << 3;         // RX status FIFO level reached (FIFO_INT[7:0])
inline constexpr std::uint32_t tx_cfg_tx_on = 1u << 1;
inline constexpr std::uint32_t tx_cfg_txsao = 1u << 2;     // TX status FIFO may overrun (popped anyway)
inline constexpr std::uint32_t tx_cfg_txd_dump = 1u << 14; // empty the TX data FIFO
inline constexpr std::uint32_t tx_cfg_txs_dump = 1u << 15; // empty the TX status FIFO
inline constexpr std::uint32_t rx_cfg_rx_dump = 1u << 15;  // empty the RX data and status FIFOs
inline constexpr std::uint32_t mac_csr_busy = 1u << 31;    // MAC_CSR_CMD: start / busy
inline constexpr std::uint32_t mac_csr_read = 1u << 30;    // MAC_CSR_CMD: read (else write)
inline constexpr std::uint32_t fifo_inf_status_shift = 16; // RX/TX_FIFO_INF: status words used, bits 23:16
inline constexpr std::uint32_t tx_fifo_inf_tdfree_mask = 0xffffu; // free bytes in the TX data FIFO

// MAC control and status registers, reached through MAC_CSR_CMD/MAC_CSR_DATA.
inline constexpr std::uint32_t mac_cr = 1;
inline constexpr std::uint32_t mac_addrh = 2;
inline constexpr std::uint32_t mac_addrl = 3;
inline constexpr std::uint32_t mac_mii_acc = 6;
inline constexpr std::uint32_t mac_mii_data = 7;
inline constexpr std::uint32_t mac_cr_rxen = 1u << 2;
inline constexpr std::uint32_t mac_cr_txen = 1u << 3;
inline constexpr std::uint32_t mac_cr_mcpas = 1u << 19; // pass all multicast (IGMP/ND need no hash filter)
inline constexpr std::uint32_t mac_cr_fdpx = 1u << 20;  // full duplex
inline constexpr std::uint32_t mac_cr_prms = 1u << 18;  // promiscuous (the reset default)
inline constexpr std::uint32_t mii_acc_busy = 1u << 0;
inline constexpr std::uint32_t mii_acc_write = 1u << 1;
inline constexpr std::uint32_t mii_phy_internal = 1u << 11; // PHY address 1: the internal PHY
inline constexpr std::uint32_t phy_bsr = 1;                 // PHY basic status register
inline constexpr std::uint32_t phy_bsr_link = 1u << 2;

// RX status word.
inline constexpr std::uint32_t rxs_filter_fail = 1u << 30;
inline constexpr std::uint32_t rxs_length_shift = 16; // frame length with the FCS, bits 29:16
inline constexpr std::uint32_t rxs_length_mask = 0x3fffu;
inline constexpr std::uint32_t rxs_error = 1u << 15; // error summary: runt | too long | collision | CRC
inline constexpr std::uint32_t rxs_length_error = 1u << 12;
inline constexpr std::uint32_t rxs_runt = 1u << 11;
inline constexpr std::uint32_t rxs_too_long = 1u << 7;
inline constexpr std::uint32_t rxs_collision = 1u << 6;
inline constexpr std::uint32_t rxs_watchdog = 1u << 4;
inline constexpr std::uint32_t rxs_mii_error = 1u << 3;
inline constexpr std::uint32_t rxs_crc_error = 1u << 1;

// TX status word: bit 15 is the error summary (loss of carrier, no carrier, late or excessive collisions,
// excessive deferral); bits 31:16 the tag of command B.
inline constexpr std::uint32_t txs_error = 1u << 15;

// TX command A (first and last segment, buffer size in bits 10:0) and B (tag in 31:16, frame length in 10:0).
inline constexpr std::uint32_t txa_first_segment = 1u << 13;
inline constexpr std::uint32_t txa_last_segment = 1u << 12;

inline constexpr std::size_t fcs_size = 4;
inline constexpr std::size_t ethernet_header = 14;
inline constexpr std::size_t max_frame = 1514; // header + 1500, without the FCS

// Polls of a self-clearing bit before the driver gives up (the chip needs microseconds; QEMU none).
inline constexpr unsigned spin_limit = 100000;
} // namespace lan9118

// The controller's registers in the address space: 32-bit volatile accesses at base + offset.
class Lan9118Mmio {
  public:
    // The one place an address becomes a pointer: the controller's registers are memory-mapped.
    Lan9118Mmio(std::uintptr_t base) // NOLINT(google-explicit-constructor): an address converts freely
        : registers_(reinterpret_cast<volatile std::uint32_t*>(base)) {} // NOLINT(performance-no-int-to-ptr)
    std::uint32_t read(std::uint32_t offset) const { return registers_[offset / 4]; }
    void write(std::uint32_t offset, std::uint32_t value) const { registers_[offset / 4] = value; }

  private:
    volatile std::uint32_t* registers_;
};

// The driver over a register access: Bus has read(offset) and write(offset, value).
template <class Bus> class BasicLan9118 final : public Device {
  public:
    // Where the controller is on the MPS2 boards (mps2-an385/an386/an500/an505 in QEMU): for the firmware's
    // board file; the driver itself takes the base address (the bus) as a parameter.
    static constexpr std::uintptr_t mps2_base = 0x40200000u;
    static constexpr unsigned mps2_irq = 13;

    // The MAC address is read from the controller (ADDRH/ADDRL, loaded from its EEPROM at reset; QEMU's
    // -nic ...,mac=).
    BasicLan9118(Bus bus, FramePoolBase& pool) : bus_(bus), pool_(pool), program_mac_(false) {
        set_name("lan9118");
    }
    // The MAC address is programmed into the controller's address filter.
    BasicLan9118(Bus bus, FramePoolBase& pool, MacAddr mac)
        : bus_(bus), pool_(pool), mac_(mac), program_mac_(true) {
        set_name("lan9118");
    }

    // Probes the controller (BYTE_TEST, ID_REV), soft-resets it, sets the MAC address and the receive filter
    // (our address, broadcast, all multicast), and turns the receiver and transmitter on. False, and the
    // device stays down (transmit refuses, receive returns nothing), when no LAN9118 answers or the reset
    // does not complete.
    bool start();
    bool ok() const { return up_; }

    bool transmit(PacketBuf&& frame) override;
    std::optional<PacketBuf> receive() override;
    std::uint16_t mtu() const override { return 1500; }
    MacAddr mac() const override { return mac_; }

    // True when a received frame waits in the FIFO (a firmware checks this before sleeping).
    bool rx_pending() const {
        return up_ && ((bus_.read(lan9118::rx_fifo_inf) >> lan9118::fifo_inf_status_shift) & 0xffu) != 0;
    }
    // The PHY's link status (basic status register, bit 2).
    bool link_up() const { return up_ && (phy_read(lan9118::phy_bsr) & lan9118::phy_bsr_link) != 0; }
    // ID_REV: chip identifier (0x0118 for the LAN9118) in the upper half, revision in the lower.
    std::uint32_t chip_id() const { return chip_id_; }

    // The receive interrupt, for a firmware that sleeps (wfi) until a frame arrives: "the RX status FIFO
    // holds a frame" (RSFL), on the IRQ pin as active-high push-pull (as wired on the MPS2 boards). The
    // source is a level, so the interrupt handler masks it (acknowledge_interrupt: frames stay in the FIFO
    // for receive()) and the main loop re-arms it before it sleeps, with interrupts masked around the check
    // and the wfi:
    //
    //     extern "C" void ETHERNET_IRQHandler() { nic.acknowledge_interrupt(); }
    //     ...
    //     pico::CortexMCriticalSection masked;      // wfi still wakes on a pending interrupt
    //     nic.arm_interrupt();
    //     if (!nic.rx_pending()) asm volatile("wfi");
    //
    // (The firmware also enables the line in the NVIC.) Without enable_interrupts() the IRQ pin stays
    // inactive.
    void enable_interrupts();
    void arm_interrupt() {
        if (interrupts_) bus_.write(lan9118::int_en, lan9118::int_rsfl);
    }
    void acknowledge_interrupt() {
        // Masked first: on the chip RSFL stays asserted while frames wait, and the handler would run again.
        bus_.write(lan9118::int_en, 0);
        bus_.write(lan9118::int_sts, lan9118::int_rsfl);
    }

    // rx: frames handed to the stack; tx: frames written to the TX FIFO; drops by reason: BadChecksum (FCS
    // error), Truncated (runt, shorter than an Ethernet header), BadLength (too long, length error, or a
    // frame to send outside 14..1514 bytes), TooBig (larger than a pool frame), PoolExhausted (no free
    // frame), DeviceError (collision, MII error, receive watchdog; transmit errors in the TX status),
    // NotForUs (the address filter failed, only with receive-all), QueueFull (no room in the TX FIFO),
    // DeviceDown (not started).
    const ModuleCounters& counters() const { return counters_; }

  private:
    bool mac_wait() const;
    std::uint32_t mac_read(std::uint32_t index) const;
    void mac_write(std::uint32_t index, std::uint32_t value) const;
    bool mii_wait() const;
    std::uint16_t phy_read(std::uint32_t reg) const;
    void drain_words(std::size_t words);
    void collect_tx_status();

    Bus bus_;
    FramePoolBase& pool_;
    MacAddr mac_{};
    bool program_mac_;
    bool up_ = false;
    bool interrupts_ = false;
    std::uint32_t chip_id_ = 0;
    std::uint16_t tx_tag_ = 0;
    ModuleCounters counters_;
};

// The driver of the real controller. Its code is instantiated once, in lan9118.cpp (firmware only).
using Lan9118Device = BasicLan9118<Lan9118Mmio>;
extern template class BasicLan9118<Lan9118Mmio>;

// ---- implementation ----

template <class Bus> bool BasicLan9118<Bus>::mac_wait() const {
    for (unsigned i = 0; i < lan9118::spin_limit; ++i)
        if ((bus_.read(lan9118::mac_csr_cmd) & lan9118::mac_csr_busy) == 0) return true;
    return false;
}

template <class Bus> std::uint32_t BasicLan9118<Bus>::mac_read(std::uint32_t index) const {
    if (!mac_wait()) return 0;
    bus_.write(lan9118::mac_csr_cmd, lan9118::mac_csr_busy | lan9118::mac_csr_read | index);
    if (!mac_wait()) return 0;
    return bus_.read(lan9118::mac_csr_data);
}

template <class Bus> void BasicLan9118<Bus>::mac_write(std::uint32_t index, std::uint32_t value) const {
    if (!mac_wait()) return;
    bus_.write(lan9118::mac_csr_data, value);
    bus_.write(lan9118::mac_csr_cmd, lan9118::mac_csr_busy | index);
    mac_wait();
}

template <class Bus> bool BasicLan9118<Bus>::mii_wait() const {
    for (unsigned i = 0; i < lan9118::spin_limit; ++i)
        if ((mac_read(lan9118::mac_mii_acc) & lan9118::mii_acc_busy) == 0) return true;
    return false;
}

template <class Bus> std::uint16_t BasicLan9118<Bus>::phy_read(std::uint32_t reg) const {
    bool idle = mii_wait();
    if (idle) {
        // MIIWnR clear: a read of `reg` of the internal PHY.
        mac_write(lan9118::mac_mii_acc, lan9118::mii_phy_internal | (reg << 6) | lan9118::mii_acc_busy);
        idle = mii_wait(); // the PHY register's value is in MII_DATA once MIIBZY clears
    }
    return idle ? static_cast<std::uint16_t>(mac_read(lan9118::mac_mii_data)) : 0;
}

template <class Bus> bool BasicLan9118<Bus>::start() {
    using namespace lan9118;
    up_ = false;
    interrupts_ = false;
    // Bus width and byte order first: BYTE_TEST reads 0x87654321 in any state, even before the reset.
    if (bus_.read(byte_test) != byte_test_value) return false;
    chip_id_ = bus_.read(id_rev);
    if ((chip_id_ >> 16) != chip_lan9118) return false;

    bus_.write(hw_cfg, bus_.read(hw_cfg) | hw_cfg_srst);
    bool reset_done = false;
    for (unsigned i = 0; i < spin_limit && !reset_done; ++i)
        reset_done = (bus_.read(hw_cfg) & hw_cfg_srst) == 0 && (bus_.read(pmt_ctrl) & pmt_ctrl_ready) != 0;
    if (!reset_done) return false;

    // Polled: no interrupt until enable_interrupts(); every pending status cleared.
    bus_.write(int_en, 0);
    bus_.write(int_sts, 0xffffffffu);
    bus_.write(irq_cfg, 0);

    if (program_mac_) {
        const auto& m = mac_.octets;
        mac_write(mac_addrl, std::uint32_t{m[0]} | std::uint32_t{m[1]} << 8 | std::uint32_t{m[2]} << 16 |
                                 std::uint32_t{m[3]} << 24);
        mac_write(mac_addrh, std::uint32_t{m[4]} | std::uint32_t{m[5]} << 8);
    } else {
        // Loaded from the EEPROM at reset (QEMU fills its EEPROM image with -nic ...,mac=).
        std::uint32_t low = mac_read(mac_addrl);
        std::uint32_t high = mac_read(mac_addrh);
        mac_ = MacAddr{{static_cast<std::uint8_t>(low), static_cast<std::uint8_t>(low >> 8),
                        static_cast<std::uint8_t>(low >> 16), static_cast<std::uint8_t>(low >> 24),
                        static_cast<std::uint8_t>(high), static_cast<std::uint8_t>(high >> 8)}};
    }

    // RX: no data offset, 4-byte end alignment (RX_CFG 0); both FIFOs emptied. TX: on, FIFOs emptied.
    bus_.write(rx_cfg, rx_cfg_rx_dump);
    bus_.write(tx_cfg, tx_cfg_txs_dump | tx_cfg_txd_dump | tx_cfg_tx_on | tx_cfg_txsao);
    // The MAC: perfect filtering of our unicast address (promiscuous mode, the reset default, off), broadcast
    // and all multicast accepted, full duplex, receiver and transmitter on.
    mac_write(mac_cr, mac_cr_rxen | mac_cr_txen | mac_cr_mcpas | mac_cr_fdpx);
    up_ = (mac_read(mac_cr) & (mac_cr_rxen | mac_cr_txen)) == (mac_cr_rxen | mac_cr_txen);
    return up_;
}

template <class Bus> void BasicLan9118<Bus>::enable_interrupts() {
    using namespace lan9118;
    if (!up_) return;
    bus_.write(fifo_int, bus_.read(fifo_int) & ~0xffu); // RX status level 0: from the first frame on
    bus_.write(int_sts, 0xffffffffu);
    bus_.write(irq_cfg, irq_cfg_irq_en | irq_cfg_irq_pol | irq_cfg_irq_type);
    interrupts_ = true;
    arm_interrupt();
}

template <class Bus> void BasicLan9118<Bus>::drain_words(std::size_t words) {
    // Word by word rather than with RX_DP_CTRL's fast-forward (the datasheet's choice for 4 words or more):
    // QEMU's fast-forward leaves its FIFO accounting wrong, and every later frame would be misread.
    for (std::size_t i = 0; i < words; ++i)
        (void)bus_.read(lan9118::rx_data_fifo);
}

template <class Bus> std::optional<PacketBuf> BasicLan9118<Bus>::receive() {
    using namespace lan9118;
    if (!rx_pending()) return std::nullopt;
    const std::uint32_t status = bus_.read(rx_status_fifo);
    const std::size_t length = (status >> rxs_length_shift) & rxs_length_mask; // with the FCS
    const std::size_t words = (length + 3) / 4;

    Drop reason = Drop::Count;
    if ((status & rxs_crc_error) != 0)
        reason = Drop::BadChecksum;
    else if ((status & rxs_runt) != 0 || length < ethernet_header + fcs_size)
        reason = Drop::Truncated;
    else if ((status & (rxs_too_long | rxs_length_error)) != 0 || length > max_frame + fcs_size)
        reason = Drop::BadLength;
    else if ((status & (rxs_error | rxs_collision | rxs_watchdog | rxs_mii_error)) != 0)
        reason = Drop::DeviceError;
    else if ((status & rxs_filter_fail) != 0)
        reason = Drop::NotForUs;
    if (reason != Drop::Count) {
        drain_words(words);
        counters_.count_drop(reason);
        return std::nullopt;
    }

    auto frame = pool_.allocate(config::frame_headroom);
    if (!frame || frame->tailroom() < words * 4) {
        // Read the frame anyway, or it would stay at the head of the FIFO while the pool is empty.
        drain_words(words);
        counters_.count_drop(frame ? Drop::TooBig : Drop::PoolExhausted);
        return std::nullopt;
    }
    // The FIFO gives whole little-endian words: the FCS and up to 3 bytes of padding land after the frame and
    // are trimmed off.
    std::uint8_t* at = frame->append(words * 4);
    for (std::size_t i = 0; i < words; ++i) {
        std::uint32_t word = bus_.read(rx_data_fifo);
        at[4 * i] = static_cast<std::uint8_t>(word);
        at[4 * i + 1] = static_cast<std::uint8_t>(word >> 8);
        at[4 * i + 2] = static_cast<std::uint8_t>(word >> 16);
        at[4 * i + 3] = static_cast<std::uint8_t>(word >> 24);
    }
    frame->trim(length - fcs_size);
    ++counters_.rx;
    return frame;
}

template <class Bus> void BasicLan9118<Bus>::collect_tx_status() {
    // One status word per frame sent. The chip stops transmitting when the status FIFO is full unless TXSAO
    // is set; the words are read anyway, to count transmit errors.
    std::uint32_t used = (bus_.read(lan9118::tx_fifo_inf) >> lan9118::fifo_inf_status_shift) & 0xffu;
    for (std::uint32_t i = 0; i < used; ++i)
        if ((bus_.read(lan9118::tx_status_fifo) & lan9118::txs_error) != 0)
            counters_.count_drop(Drop::DeviceError);
}

template <class Bus> bool BasicLan9118<Bus>::transmit(PacketBuf&& frame) {
    using namespace lan9118;
    const PacketBuf sent = std::move(frame); // back to the pool whatever happens
    if (!up_) {
        counters_.count_drop(Drop::DeviceDown);
        return false;
    }
    const std::size_t size = sent.size();
    if (size < ethernet_header || size > max_frame) {
        counters_.count_drop(Drop::BadLength);
        return false;
    }
    collect_tx_status();
    const std::size_t words = (size + 3) / 4;
    // TDFREE: free bytes in the TX data FIFO, for the two command words and the data.
    if ((bus_.read(tx_fifo_inf) & tx_fifo_inf_tdfree_mask) < 4 * words + 8) {
        counters_.count_drop(Drop::QueueFull);
        return false;
    }
    // One buffer holds the whole frame: first and last segment, no data offset, 4-byte end alignment. The
    // chip pads short frames to 64 bytes and appends the FCS. The tag (B[31:16]) comes back in the TX status.
    tx_tag_ = static_cast<std::uint16_t>(tx_tag_ + 1);
    bus_.write(tx_data_fifo, txa_first_segment | txa_last_segment | static_cast<std::uint32_t>(size));
    bus_.write(tx_data_fifo, std::uint32_t{tx_tag_} << 16 | static_cast<std::uint32_t>(size));
    const std::uint8_t* p = sent.data();
    const std::size_t whole = size / 4;
    for (std::size_t i = 0; i < whole; ++i, p += 4)
        bus_.write(tx_data_fifo, std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
                                     std::uint32_t{p[3]} << 24);
    if (whole < words) { // the last 1..3 bytes, in the low end of a word
        std::uint32_t word = 0;
        for (std::size_t b = 0; b < size - 4 * whole; ++b)
            word |= std::uint32_t{p[b]} << (8 * b);
        bus_.write(tx_data_fifo, word);
    }
    ++counters_.tx;
    return true;
}

} // namespace pico
