// SLAAC (RFC 4862, RFC 7217). (Stub: the issue-4 work fills it.)
#include "net/slaac.hpp"

namespace pico::slaac {

bool start(Stack&, IfIndex) {
    return false;
}
void start_dad(Stack&, IfIndex, const Ipv6Addr&) {}
void on_prefix(Stack&, IfIndex, const Ipv6Addr&, std::uint8_t, std::uint32_t, std::uint32_t) {}
void on_dad_conflict(Stack&, IfIndex, const Ipv6Addr&) {}
void tick(Stack&, TimeMs) {}

} // namespace pico::slaac
