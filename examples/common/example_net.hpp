// What the example programs share: the command line
//   (--tap NAME | --tun NAME) --ip ADDR/PREFIX [--gw ADDR] [--ip6 ADDR/PREFIX | --slaac [--slaac-wait MS]]
//   [--gw6 ADDR] [--mac MAC]
// a stack on a TAP device configured from it, the ready line, and the event loop.
// IPv6: --ip6 adds a static address (plus the link-local one); --slaac (or no --ip6) configures by SLAAC
// (RFC 4862: link-local first, then the prefixes of Router Advertisements).
#pragma once
#include "assembly/stack.hpp"
#include "drivers/posix_loop.hpp"
#include "drivers/tap.hpp"
#include "port/posix.hpp"
#include <memory>
#include <string>
#include <vector>

namespace example {

struct Options {
    std::string tap;
    std::string tun; // a TUN device instead (IP without Ethernet: no ARP, no ND)
    std::string ip;  // ADDR/PREFIX
    std::string gw;  // ADDR
    std::string ip6; // ADDR/PREFIX
    std::string gw6;
    std::string mac = "02:00:00:00:00:02";
    bool slaac = false;
    int slaac_wait_ms = 3000; // --slaac-wait: how long to wait for a global address before the ready line
    bool no_ipv6 = false;
    std::vector<std::string> rest; // the program's own options, in order
};

// Parses the common options; the rest go to Options::rest. Exits with a usage message on errors.
Options parse(int argc, char** argv, const char* usage_extra);
// A server's only own option, "--port N" in Options::rest (default when absent); exits on anything else.
std::uint16_t port_option(const Options& options, std::uint16_t default_port);

// A stack on a TAP device, configured from the options.
class Node {
  public:
    explicit Node(const Options& options);
    pico::Stack& stack() { return *stack_; }
    pico::IfIndex ifindex() const { return ifindex_; }
    pico::PosixLoop& loop() { return *loop_; }
    // The addresses configured so far, for the ready line: "198.18.0.2/24 2001:db8::2/64 fe80::...".
    std::string addresses();
    // Runs the loop until an IPv6 address other than link-local is Preferred (SLAAC) or timeout_ms passes.
    bool wait_for_global_ipv6(int timeout_ms);
    bool has_ipv4() const { return has_ipv4_; }

  private:
    pico::PosixPlatform platform_;
    std::unique_ptr<pico::Stack> stack_;
    std::unique_ptr<pico::TunTapDevice> device_;
    std::unique_ptr<pico::PosixLoop> loop_;
    pico::IfIndex ifindex_ = pico::no_interface;
    bool has_ipv4_ = false;
};

[[noreturn]] void fail(const std::string& message);

} // namespace example
