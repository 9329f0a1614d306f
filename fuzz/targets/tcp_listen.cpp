// Target tcp_listen: a sequence of TCP segments from 198.18.0.1 to a stack with listening sockets (the Full
// configuration: 0.0.0.0:80 accepts and echoes, 198.18.0.2:22 never accepts, backlog 1).
// Input: the sequence format (fuzz/README.md): [u16 be length][u16 be delta ms][TCP segment] repeated, at
// most 64 records. Before each segment the virtual clock advances by its delta and the stack is polled
// (timers: retransmission, delayed ACK, TIME-WAIT, SYN-RECEIVED expiry). Each segment goes to tcp::input from
// 198.18.0.1 to 198.18.0.2; its Acknowledgment Number is relative to the last SYN the stack sent (0 means
// "the ISN itself", 1 acknowledges a SYN-ACK), and the harness writes its checksum.
//
// fuzz-requires: IPV4 TCP
// fuzz-dict: tcp
// fuzz-max-len: 8192
#include "harness.hpp"

namespace {
constexpr int max_records = 64;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pico::fuzz::Session session(pico::fuzz::Setup::Full);
    pico::fuzz::Harness& h = session.harness();
    pico::fuzz::SequenceReader reader(pico::Bytes{data, size});
    for (int records = 0; records < max_records; ++records) {
        auto record = reader.next();
        if (!record) break;
        h.advance_and_poll(record->delta_ms);
        pico::fuzz::deliver_tcp_from_gateway(h, record->frame);
    }
    return 0;
}
