// Why a frame was dropped, and the counters that record it per module.
//
// Every drop in the stack names one of these reasons and is counted in the module that dropped it, so a
// conformance test can assert *why* nothing came back (stack.stats()["ipv4"]["drop"]["BadChecksum"]).
// Append new reasons at the end of the list before Count; names come from drop_name().
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace pico {

#define PICO_DROP_REASONS(X)                                                                                 \
    X(Truncated)            /* shorter than the header or than a length field says */                        \
    X(BadChecksum)          /* checksum does not verify */                                                   \
    X(BadLength)            /* a length field is inconsistent (too small, beyond the frame, over a limit) */ \
    X(BadVersion)           /* IP version is not the one this module handles */                              \
    X(BadHeaderLength)      /* IPv4 IHL < 5 or beyond the datagram */                                        \
    X(BadOption)            /* option list malformed (length 0 or past the header) */                        \
    X(BadAddress)           /* source or destination address not allowed here (broadcast source, ...) */     \
    X(BadHardware)          /* ARP hardware/protocol type or address lengths not Ethernet/IPv4 */            \
    X(BadOperation)         /* ARP opcode or ICMP type/code not handled */                                   \
    X(NotForUs)             /* destination is not one of our addresses */                                    \
    X(UnknownEtherType)     /* no module takes this EtherType (or it is an 802.3 length) */                  \
    X(UnknownProtocol)      /* no module takes this IP protocol */                                           \
    X(LinkBroadcastUnicast) /* unicast IP destination in a link broadcast/multicast frame (RFC 1122 3.3.6)   \
                             */                                                                              \
    X(Fragment)             /* IPv4 fragment and reassembly is not built in */                               \
    X(NoRoute)              /* no route to the destination */                                                \
    X(NoSocket)             /* no socket bound to the destination port */                                    \
    X(PoolExhausted)        /* no free frame / slot */                                                       \
    X(QueueFull)            /* a bounded queue is full */                                                    \
    X(RateLimited)          /* an answer was due but the rate limit held it back */                          \
    X(Unresolved)           /* the neighbour did not answer address resolution */                            \
    X(DeviceDown)           /* the device refused the frame */                                               \
    X(NoDevice)             /* no device with that index */                                                  \
    X(Conflict)             /* ARP packet claims one of our addresses (RFC 5227) */                          \
    X(ErrorAboutError)      /* an ICMP error would answer an ICMP error, a broadcast or a fragment */        \
    X(TooBig)               /* larger than the device MTU and fragmentation is not built in */               \
    X(OutOfWindow)          /* TCP: unacceptable sequence number (RFC 9293 3.10.7.4), answered by an ACK */  \
    X(BadAck)               /* TCP: ACK of something not sent, or an ACK where none may be */                \
    X(BadFlags)             /* TCP: flag combination not allowed here (SYN+FIN, no ACK, ...) */              \
    X(PawsRejected)         /* TCP: timestamp older than TS.Recent (RFC 7323 5) */                           \
    X(ChallengeAck)         /* TCP: answered with a challenge ACK instead (RFC 5961) */                      \
    X(InvalidState)         /* TCP: not acceptable in the connection's state (data after close, ...) */      \
    X(MissingTimestamp)     /* TCP: no timestamp option after timestamps were negotiated (RFC 7323 3.2) */   \
    X(FragmentOverflow)     /* IPv4 fragment: header + offset + length beyond 65,535 octets */               \
    X(ReassemblyTooBig)     /* IPv4 fragment: reassembled datagram would not fit a reassembly buffer */      \
    X(FragmentOverlap)      /* IPv4 fragment: overlap with other octets or end; datagram discarded */        \
    X(ReassemblyTimeout)    /* IPv4 reassembly timed out; datagram discarded */                              \
    X(ReassemblyEvicted)    /* IPv4 datagram in reassembly evicted for a newer one (all slots busy) */       \
    X(BadExtensionHeader)   /* IPv6 extension header chain malformed, too long, or misplaced (RFC 8200 4) */ \
    X(UnknownOption)        /* IPv6 option with action bits 01/10/11 not recognised (RFC 8200 4.2) */        \
    X(NoNextHeader)         /* IPv6 Next Header 59: nothing follows, consumed (RFC 8200 4.7) */              \
    X(BadHopLimit)          /* ND message whose IPv6 hop limit is not 255 (RFC 4861 6.1, 7.1, 8.1) */        \
    X(NoRouterAlert)        /* MLD message without the Hop-by-Hop Router Alert option (RFC 3810 6.2) */      \
    X(MulticastFiltered)    /* UDP multicast: no socket bound to the port joined it here for this source */  \
    X(DeviceError)          /* a driver's controller reported an error (collision, MII error, watchdog) */

enum class Drop : std::uint8_t {
#define PICO_DROP_ENUM(name) name,
    PICO_DROP_REASONS(PICO_DROP_ENUM)
#undef PICO_DROP_ENUM
        Count
};

inline constexpr std::size_t drop_reason_count = static_cast<std::size_t>(Drop::Count);

const char* drop_name(Drop reason);

// Counters of one module. Each module's state holds one of these; a module that is compiled out has none.
struct ModuleCounters {
    std::uint32_t rx = 0; // packets handed to the module's input hook
    std::uint32_t tx = 0; // packets the module sent down
    std::array<std::uint32_t, drop_reason_count> drop{};

    void count_drop(Drop reason) { ++drop[static_cast<std::size_t>(reason)]; }
    std::uint32_t drops(Drop reason) const { return drop[static_cast<std::size_t>(reason)]; }
    std::uint32_t total_drops() const {
        std::uint32_t total = 0;
        for (auto n : drop)
            total += n;
        return total;
    }
};

} // namespace pico
