// The control blocks whose sizes bench/run reports (issue 8, `ram`), one list for both targets: picotcp_bench
// prints them for x86-64 (`picotcp_bench sizes`), and bench/run compiles a probe with arm-none-eabi-g++ for
// Cortex-M4 that puts the same sizeof values into .rodata (as ci/arm-size does for the TCB) and reads them
// back. bench/run reads the names from this file (one PICO_BENCH_SIZE line each, in this order): keep one per
// line. Sizes follow the configuration of the build (generated core/config.hpp): rings, pools and tables are
// arrays sized by it.
#pragma once
#include "assembly/stack.hpp"
#include "transport/tcp/tcb.hpp"

#define PICO_BENCH_SIZES(PICO_BENCH_SIZE)                                                                    \
    PICO_BENCH_SIZE("Stack", pico::Stack)                                                                    \
    PICO_BENCH_SIZE("tcp::Tcb", pico::tcp::Tcb)                                                              \
    PICO_BENCH_SIZE("tcp::TcbFields", pico::tcp::TcbFields)                                                  \
    PICO_BENCH_SIZE("tcp::SendRing", pico::tcp::SendRing)                                                    \
    PICO_BENCH_SIZE("tcp::RecvRing", pico::tcp::RecvRing)                                                    \
    PICO_BENCH_SIZE("tcp::State", pico::tcp::State)                                                          \
    PICO_BENCH_SIZE("udp::Socket", pico::udp::Socket)                                                        \
    PICO_BENCH_SIZE("udp::State", pico::udp::State)                                                          \
    PICO_BENCH_SIZE("arp::Entry", pico::arp::Entry)                                                          \
    PICO_BENCH_SIZE("arp::State", pico::arp::State)                                                          \
    PICO_BENCH_SIZE("nd::Neighbor", pico::nd::Neighbor)                                                      \
    PICO_BENCH_SIZE("nd::State", pico::nd::State)                                                            \
    PICO_BENCH_SIZE("ipv4::State", pico::ipv4::State)                                                        \
    PICO_BENCH_SIZE("ipv6::State", pico::ipv6::State)                                                        \
    PICO_BENCH_SIZE("FramePool", pico::FramePool<pico::config::frame_count, pico::config::frame_size>)       \
    PICO_BENCH_SIZE("PacketBuf", pico::PacketBuf)                                                            \
    PICO_BENCH_SIZE("TimerQueue", pico::TimerQueue<pico::config::timer_count>)                               \
    PICO_BENCH_SIZE("TimerQueue::Slot", pico::TimerQueueBase::Slot)

// The configuration the sizes follow; module_<name>: 1 when the module is built in (a <name>::State of a
// module that is off is not part of the Stack: its size is shown for reference).
#define PICO_BENCH_CONFIG(PICO_BENCH_VALUE)                                                                  \
    PICO_BENCH_VALUE("frame_count", pico::config::frame_count)                                               \
    PICO_BENCH_VALUE("frame_size", pico::config::frame_size)                                                 \
    PICO_BENCH_VALUE("timer_count", pico::config::timer_count)                                               \
    PICO_BENCH_VALUE("max_devices", pico::config::max_devices)                                               \
    PICO_BENCH_VALUE("arp_entries", pico::config::arp_entries)                                               \
    PICO_BENCH_VALUE("nd_neighbors", pico::config::nd_neighbors)                                             \
    PICO_BENCH_VALUE("udp_sockets", pico::config::udp_sockets)                                               \
    PICO_BENCH_VALUE("udp_rx_queue", pico::config::udp_rx_queue)                                             \
    PICO_BENCH_VALUE("tcp_sockets", pico::config::tcp_sockets)                                               \
    PICO_BENCH_VALUE("tcp_send_buffer", pico::config::tcp_send_buffer)                                       \
    PICO_BENCH_VALUE("tcp_recv_buffer", pico::config::tcp_recv_buffer)                                       \
    PICO_BENCH_VALUE("tcp_half_open", pico::config::tcp_half_open)                                           \
    PICO_BENCH_VALUE("module_arp", pico::config::arp)                                                        \
    PICO_BENCH_VALUE("module_ipv4", pico::config::ipv4)                                                      \
    PICO_BENCH_VALUE("module_ipv6", pico::config::ipv6)                                                      \
    PICO_BENCH_VALUE("module_nd", pico::config::nd)                                                          \
    PICO_BENCH_VALUE("module_udp", pico::config::udp)                                                        \
    PICO_BENCH_VALUE("module_tcp", pico::config::tcp)
