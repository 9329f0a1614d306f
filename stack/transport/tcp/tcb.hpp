// The TCP connection block (TCB, RFC 9293 3.3.1): one per socket, in a fixed pool in the module state.
// (Skeleton: the TCP core fills in the fields it needs.)
#pragma once
#include "core/buffer.hpp"
#include "core/config.hpp"
#include "core/types.hpp"
#include "transport/socket_types.hpp"
#include "transport/tcp/congestion.hpp"
#include "transport/tcp/sack_scoreboard.hpp"
#include "transport/tcp/seqnum.hpp"
#include <array>
#include <cstdint>

namespace pico::tcp {

// RFC 9293 section 3.3.2: the eleven states.
enum class TcpState : std::uint8_t {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
};

struct Tcb {
    bool in_use = false;
    TcpState state = TcpState::Closed;
};

} // namespace pico::tcp
