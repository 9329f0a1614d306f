#include "example_net.hpp"
#include "net/ipv4.hpp"
#include "net/ipv6.hpp"
#include "net/slaac.hpp"
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace example {

void fail(const std::string& message) {
    std::fprintf(stderr, "%s\n", message.c_str());
    std::exit(2);
}

namespace {

void usage(const char* program, const char* extra) {
    std::fprintf(stderr,
                 "usage: %s (--tap NAME | --tun NAME) --ip ADDR/PREFIX [--gw ADDR] [--ip6 ADDR/PREFIX | "
                 "--slaac [--slaac-wait MS] | --no-ipv6]\n"
                 "          [--gw6 ADDR] [--mac MAC] %s\n",
                 program, extra);
    std::exit(2);
}

// "ADDR/PREFIX" into its parts; the prefix length must be in 0..max.
std::pair<std::string, int> split_prefix(const std::string& text, int max) {
    auto slash = text.find('/');
    if (slash == std::string::npos) fail("address without /PREFIX: " + text);
    char* end = nullptr;
    long len = std::strtol(text.c_str() + slash + 1, &end, 10);
    if (*end != '\0' || len < 0 || len > max) fail("bad prefix length in " + text);
    return {text.substr(0, slash), static_cast<int>(len)};
}

} // namespace

Options parse(int argc, char** argv, const char* usage_extra) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(argv[0], usage_extra);
            return argv[++i];
        };
        if (arg == "--tap")
            options.tap = value();
        else if (arg == "--tun")
            options.tun = value();
        else if (arg == "--ip")
            options.ip = value();
        else if (arg == "--gw")
            options.gw = value();
        else if (arg == "--ip6")
            options.ip6 = value();
        else if (arg == "--gw6")
            options.gw6 = value();
        else if (arg == "--mac")
            options.mac = value();
        else if (arg == "--slaac")
            options.slaac = true;
        else if (arg == "--slaac-wait")
            options.slaac_wait_ms = std::atoi(value().c_str());
        else if (arg == "--no-ipv6")
            options.no_ipv6 = true;
        else if (arg == "-h" || arg == "--help")
            usage(argv[0], usage_extra);
        else
            options.rest.push_back(arg);
    }
    if (options.tap.empty() == options.tun.empty()) usage(argv[0], usage_extra);
    if (options.ip6.empty() && !options.no_ipv6) options.slaac = true;
    return options;
}

std::uint16_t port_option(const Options& options, std::uint16_t default_port) {
    long port = default_port;
    for (std::size_t i = 0; i < options.rest.size(); ++i) {
        if (options.rest[i] == "--port" && i + 1 < options.rest.size())
            port = std::strtol(options.rest[++i].c_str(), nullptr, 10);
        else
            fail("unknown option " + options.rest[i]);
    }
    if (port <= 0 || port > 65535) fail("bad --port");
    return static_cast<std::uint16_t>(port);
}

Node::Node(const Options& options) {
    auto mac = pico::parse_mac(options.mac.c_str());
    if (!mac) fail("bad --mac " + options.mac);
    stack_ = std::make_unique<pico::Stack>(platform_);
    if (!options.tap.empty())
        device_ = std::make_unique<pico::TapDevice>(stack_->frame_pool(), options.tap.c_str(), *mac);
    else
        device_ = std::make_unique<pico::TunDevice>(stack_->frame_pool(), options.tun.c_str());
    const std::string& name = options.tap.empty() ? options.tun : options.tap;
    if (!device_->ok()) fail("cannot open " + name + ": " + std::strerror(device_->error()));
    ifindex_ = stack_->attach(*device_);
    loop_ = std::make_unique<pico::PosixLoop>(*stack_);
    loop_->watch(device_->fd());
    pico::PosixLoop::stop_on_signals();

    if (!options.ip.empty()) {
        auto [text, len] = split_prefix(options.ip, 32);
        auto addr = pico::parse_ipv4(text.c_str());
        if (!addr || !pico::ipv4::add_address(*stack_, ifindex_, *addr, static_cast<std::uint8_t>(len)))
            fail("cannot add --ip " + options.ip);
        has_ipv4_ = true;
    }
    if (!options.gw.empty()) {
        auto gw = pico::parse_ipv4(options.gw.c_str());
        if (!gw || !pico::ipv4::add_route(*stack_, pico::Ipv4Addr{}, 0, *gw))
            fail("cannot add the default route via " + options.gw);
    }
    if constexpr (pico::config::ipv6) {
        if (options.no_ipv6) return;
        if (options.slaac) {
            if constexpr (pico::config::slaac) {
                if (!pico::slaac::start(*stack_, ifindex_)) fail("cannot start SLAAC");
            } else {
                fail("--slaac: this build has no SLAAC module");
            }
        }
        if (!options.ip6.empty()) {
            auto [text, len] = split_prefix(options.ip6, 128);
            auto addr = pico::parse_ipv6(text.c_str());
            if (!addr || !pico::ipv6::add_address(*stack_, ifindex_, *addr, static_cast<std::uint8_t>(len)))
                fail("cannot add --ip6 " + options.ip6);
            if (!options.slaac) {
                // A static configuration still needs the link-local address (RFC 4291 2.1).
                std::array<std::uint8_t, 16> ll{0xfe, 0x80};
                ll[8] = static_cast<std::uint8_t>(mac->octets[0] ^ 0x02);
                ll[9] = mac->octets[1];
                ll[10] = mac->octets[2];
                ll[11] = 0xff;
                ll[12] = 0xfe;
                ll[13] = mac->octets[3];
                ll[14] = mac->octets[4];
                ll[15] = mac->octets[5];
                pico::ipv6::add_address(*stack_, ifindex_, pico::Ipv6Addr{ll}, 64);
            }
        }
        if (!options.gw6.empty()) {
            auto gw = pico::parse_ipv6(options.gw6.c_str());
            if (!gw || !pico::ipv6::add_route(*stack_, pico::Ipv6Addr{}, 0, *gw, ifindex_))
                fail("cannot add the IPv6 default route via " + options.gw6);
        }
    } else if (!options.ip6.empty() || options.slaac) {
        if (!options.no_ipv6 && !options.ip6.empty()) fail("--ip6: this build has no IPv6 module");
    }
}

std::string Node::addresses() {
    std::string out;
    char text[64];
    for (const auto& a : pico::ipv4::state(*stack_).addresses[ifindex_]) {
        if (!a.used) continue;
        pico::format_ipv4(a.address, text);
        out += (out.empty() ? "" : " ") + std::string(text) + "/" + std::to_string(a.prefix_len);
    }
    if constexpr (pico::config::ipv6) {
        for (const auto& a : pico::ipv6::state(*stack_).addresses[ifindex_]) {
            if (a.state != pico::ipv6::AddrState::Preferred) continue;
            pico::format_ipv6(a.address, text);
            out += (out.empty() ? "" : " ") + std::string(text) + "/" + std::to_string(a.prefix_len);
        }
    }
    return out;
}

bool Node::wait_for_global_ipv6(int timeout_ms) {
    if constexpr (pico::config::ipv6) {
        auto deadline = stack_->now() + static_cast<pico::TimeMs>(timeout_ms);
        while (stack_->now() < deadline && loop_->run_once()) {
            for (const auto& a : pico::ipv6::state(*stack_).addresses[ifindex_])
                if (a.state == pico::ipv6::AddrState::Preferred && !a.address.is_link_local()) return true;
        }
    }
    (void)timeout_ms;
    return false;
}

} // namespace example
