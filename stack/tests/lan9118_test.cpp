// The LAN9118 driver (drivers/lan9118.hpp) against a model of the controller's registers: the probe and
// reset, the MAC and PHY set-up through MAC_CSR, frames in and out of the FIFOs word by word, every error
// status and an empty pool as counted drops that leave the FIFO in step, the TX status, and the interrupt's
// mask and re-arm. (On the target the same code runs against QEMU's model:
// conformance/interop/test_firmware.py.)
#include "assembly/stack.hpp"
#include "core/config.hpp"
#include "drivers/lan9118.hpp"
#include "net/ipv4.hpp"
#include "port/virtual_platform.hpp"
#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <gtest/gtest.h>
#include <memory>
#include <vector>

namespace pico {
namespace {

namespace reg = lan9118;

// The registers the driver uses, with the FIFO semantics of the chip (reads of a FIFO port pop it).
struct Lan9118Model {
    std::uint32_t byte_test = reg::byte_test_value;
    std::uint32_t id_rev = 0x01180001u;
    bool reset_stuck = false;
    std::uint32_t hw_cfg = 0x00050000u;
    std::uint32_t pmt_ctrl = reg::pmt_ctrl_ready;
    std::uint32_t irq_cfg = 0, int_sts = 0, int_en = 0, fifo_int = 0x48000000u, rx_cfg = 0, tx_cfg = 0;
    std::uint32_t tdfree = 4608;
    std::array<std::uint32_t, 16> mac{};          // MAC CSRs by index
    std::uint32_t mac_data = 0;                   // MAC_CSR_DATA
    std::array<std::uint16_t, 32> phy{};          // PHY registers
    std::deque<std::uint32_t> rx_status, rx_data; // RX status and data FIFOs
    std::deque<std::uint32_t> tx_status;          // TX status FIFO
    std::vector<std::uint32_t> tx_data;           // every word written to the TX data FIFO
    std::size_t rx_underflows = 0;                // reads of an empty RX FIFO (the driver must never)
    std::uint32_t int_sts_cleared = 0;            // bits written to INT_STS

    Lan9118Model() {
        mac[reg::mac_cr] = reg::mac_cr_prms; // the reset default
        mac[reg::mac_addrl] = 0x00000002u;   // 02:00:00:00:00:42 from the EEPROM
        mac[reg::mac_addrh] = 0x00004200u;
        phy[reg::phy_bsr] = 0x782d; // link up, autonegotiation complete
    }

    // A frame arriving from the wire: its words (with a 4-byte FCS) and status word (length with the FCS).
    void arrive(const std::vector<std::uint8_t>& frame, std::uint32_t status_bits = 0) {
        std::vector<std::uint8_t> bytes = frame;
        bytes.insert(bytes.end(), {0xde, 0xad, 0xbe, 0xef}); // FCS (not checked by the driver)
        for (std::size_t i = 0; i < bytes.size(); i += 4) {
            std::uint32_t word = 0;
            for (std::size_t b = 0; b < 4 && i + b < bytes.size(); ++b)
                word |= std::uint32_t{bytes[i + b]} << (8 * b);
            rx_data.push_back(word);
        }
        rx_status.push_back(static_cast<std::uint32_t>(bytes.size()) << reg::rxs_length_shift | status_bits);
    }

    std::uint32_t read(std::uint32_t offset) {
        if (offset < reg::tx_data_fifo) {
            if (rx_data.empty()) {
                ++rx_underflows;
                return 0;
            }
            std::uint32_t word = rx_data.front();
            rx_data.pop_front();
            return word;
        }
        switch (offset) {
        case reg::rx_status_fifo:
            return pop(rx_status);
        case reg::tx_status_fifo:
            return pop(tx_status);
        case reg::id_rev:
            return id_rev;
        case reg::irq_cfg:
            return irq_cfg;
        case reg::int_sts:
            return int_sts;
        case reg::int_en:
            return int_en;
        case reg::byte_test:
            return byte_test;
        case reg::fifo_int:
            return fifo_int;
        case reg::rx_cfg:
            return rx_cfg;
        case reg::tx_cfg:
            return tx_cfg;
        case reg::hw_cfg:
            return hw_cfg;
        case reg::rx_fifo_inf:
            return static_cast<std::uint32_t>(rx_status.size()) << 16 |
                   static_cast<std::uint32_t>(rx_data.size() * 4);
        case reg::tx_fifo_inf:
            return static_cast<std::uint32_t>(tx_status.size()) << 16 | tdfree;
        case reg::pmt_ctrl:
            return pmt_ctrl;
        case reg::mac_csr_cmd:
            return 0; // never busy
        case reg::mac_csr_data:
            return mac_data;
        default:
            ADD_FAILURE() << "read of register 0x" << std::hex << offset;
            return 0;
        }
    }

    void write(std::uint32_t offset, std::uint32_t value) {
        if (offset >= reg::tx_data_fifo && offset < reg::rx_status_fifo) {
            tx_data.push_back(value);
            return;
        }
        switch (offset) {
        case reg::irq_cfg:
            irq_cfg = value;
            break;
        case reg::int_sts:
            int_sts &= ~value;
            int_sts_cleared |= value;
            break;
        case reg::int_en:
            int_en = value;
            break;
        case reg::fifo_int:
            fifo_int = value;
            break;
        case reg::rx_cfg:
            if ((value & reg::rx_cfg_rx_dump) != 0) {
                rx_status.clear();
                rx_data.clear();
            }
            rx_cfg = value & ~reg::rx_cfg_rx_dump;
            break;
        case reg::tx_cfg:
            if ((value & reg::tx_cfg_txs_dump) != 0) tx_status.clear();
            tx_cfg = value & ~(reg::tx_cfg_txs_dump | reg::tx_cfg_txd_dump);
            break;
        case reg::hw_cfg:
            if ((value & reg::hw_cfg_srst) != 0 && !reset_stuck) {
                mac[reg::mac_cr] = reg::mac_cr_prms;
                hw_cfg = 0x00050000u;
            } else {
                hw_cfg = value;
            }
            break;
        case reg::mac_csr_data:
            mac_data = value;
            break;
        case reg::mac_csr_cmd: {
            std::uint32_t index = value & 0xf;
            if ((value & reg::mac_csr_busy) == 0) break;
            if ((value & reg::mac_csr_read) != 0) {
                mac_data = mac[index];
            } else {
                mac[index] = mac_data;
                if (index == reg::mac_mii_acc) { // an MII access to PHY register (ACC[10:6])
                    std::uint32_t phy_reg = (mac_data >> 6) & 0x1f;
                    if ((mac_data & reg::mii_acc_write) != 0)
                        phy[phy_reg] = static_cast<std::uint16_t>(mac[reg::mac_mii_data]);
                    else
                        mac[reg::mac_mii_data] = phy[phy_reg];
                    mac[reg::mac_mii_acc] &= ~reg::mii_acc_busy;
                }
            }
            break;
        }
        default:
            ADD_FAILURE() << "write of register 0x" << std::hex << offset;
        }
    }

    static std::uint32_t pop(std::deque<std::uint32_t>& fifo) {
        if (fifo.empty()) return 0;
        std::uint32_t word = fifo.front();
        fifo.pop_front();
        return word;
    }
};

class ModelBus {
  public:
    explicit ModelBus(Lan9118Model& model) : model_(&model) {}
    std::uint32_t read(std::uint32_t offset) const { return model_->read(offset); }
    void write(std::uint32_t offset, std::uint32_t value) const { model_->write(offset, value); }

  private:
    Lan9118Model* model_;
};

using Driver = BasicLan9118<ModelBus>;

std::vector<std::uint8_t> pattern_frame(std::size_t size, std::uint8_t seed) {
    std::vector<std::uint8_t> frame(size);
    for (std::size_t i = 0; i < size; ++i)
        frame[i] = static_cast<std::uint8_t>(seed + 7 * i);
    return frame;
}

std::vector<std::uint8_t> bytes_of(const PacketBuf& frame) {
    return {frame.data(), frame.data() + frame.size()};
}

class Lan9118Test : public ::testing::Test {
  protected:
    Lan9118Model model;
    FramePool<4, 1600> pool;
};

TEST_F(Lan9118Test, StartResetsAndConfiguresTheController) {
    model.mac[reg::mac_cr] = 0; // something else than the reset value: start() must reset
    Driver nic(ModelBus(model), pool);
    model.rx_status.push_back(0x12345678u); // stale words: emptied by start()
    ASSERT_TRUE(nic.start());
    EXPECT_TRUE(nic.ok());
    EXPECT_EQ(nic.chip_id(), 0x01180001u);
    // The MAC address from ADDRL/ADDRH (the EEPROM's), in wire order.
    EXPECT_EQ(nic.mac(), (MacAddr{{0x02, 0x00, 0x00, 0x00, 0x00, 0x42}}));
    // Receiver and transmitter on, full duplex, all multicast, promiscuous mode off.
    EXPECT_EQ(model.mac[reg::mac_cr],
              reg::mac_cr_rxen | reg::mac_cr_txen | reg::mac_cr_mcpas | reg::mac_cr_fdpx);
    EXPECT_TRUE(model.rx_status.empty());
    EXPECT_EQ(model.tx_cfg & (reg::tx_cfg_tx_on | reg::tx_cfg_txsao), reg::tx_cfg_tx_on | reg::tx_cfg_txsao);
    EXPECT_EQ(model.int_en, 0u);
    EXPECT_EQ(model.irq_cfg, 0u);
    EXPECT_TRUE(nic.link_up());
    model.phy[reg::phy_bsr] = 0x7809; // link down
    EXPECT_FALSE(nic.link_up());
    EXPECT_FALSE(nic.rx_pending());
}

TEST_F(Lan9118Test, AGivenMacIsProgrammedIntoTheFilter) {
    Driver nic(ModelBus(model), pool, MacAddr{{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}});
    ASSERT_TRUE(nic.start());
    EXPECT_EQ(model.mac[reg::mac_addrl], 0x33221102u);
    EXPECT_EQ(model.mac[reg::mac_addrh], 0x00005544u);
    EXPECT_EQ(nic.mac(), (MacAddr{{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}}));
}

TEST_F(Lan9118Test, NoControllerMeansTheDeviceStaysDown) {
    for (int fault = 0; fault < 3; ++fault) {
        Lan9118Model absent;
        if (fault == 0) absent.byte_test = 0xffffffffu; // nothing on the bus
        if (fault == 1) absent.id_rev = 0x92210001u;    // another chip
        if (fault == 2) absent.reset_stuck = true;      // soft reset never completes
        Driver nic(ModelBus(absent), pool);
        EXPECT_FALSE(nic.start()) << fault;
        EXPECT_FALSE(nic.ok());
        absent.arrive(pattern_frame(60, 1));
        EXPECT_FALSE(nic.rx_pending());
        EXPECT_FALSE(nic.receive().has_value());
        auto frame = pool.allocate_copy(Bytes{pattern_frame(60, 2).data(), 60}, 64);
        ASSERT_TRUE(frame.has_value());
        EXPECT_FALSE(nic.transmit(std::move(*frame)));
        EXPECT_EQ(nic.counters().drops(Drop::DeviceDown), 1u);
        EXPECT_TRUE(absent.tx_data.empty());
        EXPECT_EQ(pool.stats().in_use, 0u);
    }
}

TEST_F(Lan9118Test, ReceivesFramesOfEveryLengthModuloFour) {
    Driver nic(ModelBus(model), pool);
    ASSERT_TRUE(nic.start());
    for (std::size_t size : {60u, 61u, 62u, 63u, 1514u}) {
        auto sent = pattern_frame(size, static_cast<std::uint8_t>(size));
        model.arrive(sent);
        EXPECT_TRUE(nic.rx_pending());
        auto frame = nic.receive();
        ASSERT_TRUE(frame.has_value()) << size;
        EXPECT_EQ(bytes_of(*frame), sent) << size; // the FCS and the padding trimmed off
        EXPECT_EQ(frame->headroom(), config::frame_headroom);
        EXPECT_TRUE(model.rx_data.empty()) << size; // exactly the frame's words read
        EXPECT_FALSE(nic.receive().has_value());
    }
    EXPECT_EQ(nic.counters().rx, 5u);
    EXPECT_EQ(nic.counters().total_drops(), 0u);
    EXPECT_EQ(model.rx_underflows, 0u);
}

TEST_F(Lan9118Test, ErrorFramesAreDrainedAndCountedByReason) {
    Driver nic(ModelBus(model), pool);
    ASSERT_TRUE(nic.start());
    model.arrive(pattern_frame(100, 1), reg::rxs_error | reg::rxs_crc_error);
    model.arrive(pattern_frame(40, 2), reg::rxs_error | reg::rxs_runt);
    model.arrive(pattern_frame(10, 3)); // shorter than a header
    model.arrive(pattern_frame(1514, 4), reg::rxs_error | reg::rxs_too_long);
    model.arrive(pattern_frame(1515, 5)); // longer than Ethernet allows
    model.arrive(pattern_frame(200, 6), reg::rxs_length_error);
    model.arrive(pattern_frame(200, 7), reg::rxs_error | reg::rxs_collision);
    model.arrive(pattern_frame(200, 8), reg::rxs_mii_error);
    model.arrive(pattern_frame(200, 9), reg::rxs_filter_fail);
    auto good = pattern_frame(333, 10);
    model.arrive(good);
    for (int i = 0; i < 9; ++i)
        EXPECT_FALSE(nic.receive().has_value()) << i;
    auto frame = nic.receive(); // the FIFO is still in step: the good frame comes out whole
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(bytes_of(*frame), good);
    const auto& c = nic.counters();
    EXPECT_EQ(c.drops(Drop::BadChecksum), 1u);
    EXPECT_EQ(c.drops(Drop::Truncated), 2u);
    EXPECT_EQ(c.drops(Drop::BadLength), 3u);
    EXPECT_EQ(c.drops(Drop::DeviceError), 2u);
    EXPECT_EQ(c.drops(Drop::NotForUs), 1u);
    EXPECT_EQ(c.total_drops(), 9u);
    EXPECT_EQ(c.rx, 1u);
    EXPECT_TRUE(model.rx_data.empty());
    EXPECT_EQ(model.rx_underflows, 0u);
}

TEST_F(Lan9118Test, AnEmptyPoolIsACountedDropAndTheFrameLeavesTheFifo) {
    FramePool<1, 1600> one;
    Driver nic(ModelBus(model), one);
    ASSERT_TRUE(nic.start());
    auto held = one.allocate(0);
    ASSERT_TRUE(held.has_value());
    model.arrive(pattern_frame(500, 1));
    auto second = pattern_frame(70, 2);
    model.arrive(second);
    EXPECT_FALSE(nic.receive().has_value());
    EXPECT_EQ(nic.counters().drops(Drop::PoolExhausted), 1u);
    EXPECT_EQ(model.rx_status.size(), 1u);
    held.reset(); // the frame goes back to the pool
    auto frame = nic.receive();
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(bytes_of(*frame), second);
    EXPECT_TRUE(model.rx_data.empty());
}

TEST_F(Lan9118Test, AFrameLargerThanAPoolFrameIsTooBig) {
    FramePool<2, 256> small; // 256 - headroom bytes of room
    Driver nic(ModelBus(model), small);
    ASSERT_TRUE(nic.start());
    model.arrive(pattern_frame(256 - config::frame_headroom, 1)); // with its FCS it does not fit
    auto fits = pattern_frame(256 - config::frame_headroom - 4, 2);
    model.arrive(fits);
    EXPECT_FALSE(nic.receive().has_value());
    EXPECT_EQ(nic.counters().drops(Drop::TooBig), 1u);
    EXPECT_EQ(small.stats().in_use, 0u);
    auto frame = nic.receive();
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(bytes_of(*frame), fits);
}

TEST_F(Lan9118Test, TransmitWritesCommandWordsThenTheFrameLittleEndian) {
    Driver nic(ModelBus(model), pool);
    ASSERT_TRUE(nic.start());
    for (std::size_t size : {61u, 64u}) {
        model.tx_data.clear();
        auto bytes = pattern_frame(size, 3);
        auto frame = pool.allocate_copy(Bytes{bytes.data(), bytes.size()}, config::frame_headroom);
        ASSERT_TRUE(frame.has_value());
        ASSERT_TRUE(nic.transmit(std::move(*frame)));
        const std::size_t words = (size + 3) / 4;
        ASSERT_EQ(model.tx_data.size(), 2 + words);
        // A: first and last segment, buffer size; B: tag (counts frames) and frame length.
        EXPECT_EQ(model.tx_data[0], reg::txa_first_segment | reg::txa_last_segment | size);
        EXPECT_EQ(model.tx_data[1] & 0x7ffu, size);
        EXPECT_EQ(model.tx_data[1] >> 16, size == 61 ? 1u : 2u);
        std::vector<std::uint8_t> wire;
        for (std::size_t i = 2; i < model.tx_data.size(); ++i)
            for (int b = 0; b < 4; ++b)
                wire.push_back(static_cast<std::uint8_t>(model.tx_data[i] >> (8 * b)));
        EXPECT_TRUE(std::all_of(wire.begin() + static_cast<std::ptrdiff_t>(size), wire.end(),
                                [](std::uint8_t b) { return b == 0; }));
        wire.resize(size);
        EXPECT_EQ(wire, bytes);
    }
    EXPECT_EQ(nic.counters().tx, 2u);
    EXPECT_EQ(pool.stats().in_use, 0u); // every frame back in the pool
}

TEST_F(Lan9118Test, TransmitCountsStatusErrorsAFullFifoAndBadSizes) {
    Driver nic(ModelBus(model), pool);
    ASSERT_TRUE(nic.start());
    auto send = [&](std::size_t size) {
        auto bytes = pattern_frame(size, 5);
        auto frame = pool.allocate_copy(Bytes{bytes.data(), bytes.size()}, 0);
        EXPECT_TRUE(frame.has_value());
        return nic.transmit(std::move(*frame));
    };
    model.tx_status = {0x00010000u, 0x00020000u | reg::txs_error}; // two frames sent, the second failed
    EXPECT_TRUE(send(60));
    EXPECT_TRUE(model.tx_status.empty()); // collected before the next frame
    EXPECT_EQ(nic.counters().drops(Drop::DeviceError), 1u);

    model.tx_data.clear();
    model.tdfree = 60 + 8 - 1; // one byte short of the command words and 60 bytes
    EXPECT_FALSE(send(60));
    EXPECT_EQ(nic.counters().drops(Drop::QueueFull), 1u);
    EXPECT_TRUE(model.tx_data.empty());
    model.tdfree = 4608;
    EXPECT_FALSE(send(13));   // not even an Ethernet header
    EXPECT_FALSE(send(1515)); // beyond the MTU
    EXPECT_EQ(nic.counters().drops(Drop::BadLength), 2u);
    EXPECT_TRUE(model.tx_data.empty());
    EXPECT_EQ(nic.counters().tx, 1u);
    EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST_F(Lan9118Test, InterruptIsMaskedByTheHandlerAndReArmedByTheLoop) {
    Driver nic(ModelBus(model), pool);
    ASSERT_TRUE(nic.start());
    nic.arm_interrupt(); // interrupts not enabled: nothing changes
    EXPECT_EQ(model.int_en, 0u);
    nic.enable_interrupts();
    EXPECT_EQ(model.irq_cfg, reg::irq_cfg_irq_en | reg::irq_cfg_irq_pol | reg::irq_cfg_irq_type);
    EXPECT_EQ(model.fifo_int & 0xffu, 0u); // RX status level 0: the first frame raises it
    EXPECT_EQ(model.int_en, reg::int_rsfl);
    model.int_sts = reg::int_rsfl;
    model.int_sts_cleared = 0;
    nic.acknowledge_interrupt();
    EXPECT_EQ(model.int_en, 0u);
    EXPECT_EQ(model.int_sts_cleared, reg::int_rsfl);
    EXPECT_EQ(model.int_sts, 0u);
    nic.arm_interrupt();
    EXPECT_EQ(model.int_en, reg::int_rsfl);
}

TEST_F(Lan9118Test, AStackAnswersAnArpRequestThroughTheDriver) {
    VirtualClock clock;
    VirtualPlatform platform(clock, 1);
    auto stack = std::make_unique<Stack>(platform);
    Driver nic(ModelBus(model), stack->frame_pool());
    ASSERT_TRUE(nic.start());
    IfIndex ifindex = stack->attach(nic);
    ASSERT_NE(ifindex, no_interface);
    ASSERT_TRUE(ipv4::add_address(*stack, ifindex, Ipv4Addr::from_octets(198, 18, 0, 2), 24));
    stack->poll();
    model.tx_data.clear(); // the gratuitous ARP and anything else the stack sent on its own
    const std::uint32_t sent_before = nic.counters().tx;
    // Who has 198.18.0.2? Tell 198.18.0.1 (02:00:00:00:00:01), padded to 60 bytes.
    std::vector<std::uint8_t> request = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00,
                                         0x01, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
                                         0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 198,  18,   0,    1,    0,
                                         0,    0,    0,    0,    0,    198,  18,   0,    2};
    request.resize(60, 0);
    model.arrive(request, 0x00002000u); // broadcast frame bit
    EXPECT_EQ(stack->poll(), 1u);
    ASSERT_GE(model.tx_data.size(), 2u + 42u / 4);
    const std::size_t size = model.tx_data[1] & 0x7ffu;
    std::vector<std::uint8_t> reply;
    for (std::size_t i = 2; i < model.tx_data.size(); ++i)
        for (int b = 0; b < 4; ++b)
            reply.push_back(static_cast<std::uint8_t>(model.tx_data[i] >> (8 * b)));
    reply.resize(size);
    ASSERT_GE(reply.size(), 42u);
    // To the asker, from our MAC, an ARP reply (opcode 2) saying 198.18.0.2 is at 02:00:00:00:00:42.
    EXPECT_EQ(std::vector<std::uint8_t>(reply.begin(), reply.begin() + 14),
              (std::vector<std::uint8_t>{0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x42, 0x08, 0x06}));
    EXPECT_EQ(reply[21], 2);
    EXPECT_EQ(std::vector<std::uint8_t>(reply.begin() + 22, reply.begin() + 32),
              (std::vector<std::uint8_t>{0x02, 0, 0, 0, 0, 0x42, 198, 18, 0, 2}));
    EXPECT_EQ(nic.counters().rx, 1u);
    EXPECT_EQ(nic.counters().tx, sent_before + 1);
}

} // namespace
} // namespace pico
