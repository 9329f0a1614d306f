// IPv6 reassembly (RFC 8200 4.5). (Stub: the issue-4 work fills it.)
#include "net/ipv6.hpp"

namespace pico::ipv6_reassembly {

std::optional<PacketBuf> input(Stack& stack, PacketBuf&& packet, std::size_t, RxMeta&) {
    (void)packet;
    ipv6::state(stack).counters.count_drop(Drop::Fragment);
    return std::nullopt;
}
std::size_t in_progress(Stack&) {
    return 0;
}

} // namespace pico::ipv6_reassembly

pico::ipv6_reassembly::State& pico::ipv6_reassembly::state(Stack& stack) {
    return ipv6::state(stack).reassembly.state;
}
