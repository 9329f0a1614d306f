// picotcp-ping: an ICMP / ICMPv6 echo client (RFC 792, RFC 4443) on a TAP device, with a summary like ping's.
//   picotcp-ping --tap tap0 --ip 198.18.0.2/24 [--ip6 ...] [-c COUNT] [-i INTERVAL_MS] [-s SIZE] [-W WAIT_MS]
//   DEST
// Exit status 0 when at least one reply came back, 1 when none did, 2 on a usage error.
#include "common/example_net.hpp"
#include "net/icmp4.hpp"
#include "net/icmp6.hpp"
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

struct Pinger {
    std::uint16_t id = 0;
    std::vector<pico::TimeMs> sent_at; // by sequence number - 1
    std::vector<bool> answered;
    std::size_t received = 0;
    std::size_t size = 56;
    pico::TimeMs min_rtt = ~pico::TimeMs{0}, max_rtt = 0, sum_rtt = 0;
    const char* dest = "";

    void on_reply(std::uint16_t reply_id, std::uint16_t sequence, std::size_t payload_len, pico::TimeMs at) {
        if (reply_id != id || sequence == 0 || sequence > sent_at.size() || answered[sequence - 1]) return;
        answered[sequence - 1] = true;
        ++received;
        pico::TimeMs rtt = at - sent_at[sequence - 1];
        min_rtt = std::min(min_rtt, rtt);
        max_rtt = std::max(max_rtt, rtt);
        sum_rtt += rtt;
        std::printf("%zu bytes from %s: icmp_seq=%u time=%llu ms\n", payload_len + 8, dest, sequence,
                    static_cast<unsigned long long>(rtt));
        std::fflush(stdout);
    }
};

void on_reply4(void* context, const pico::icmp4::EchoReply& reply) {
    static_cast<Pinger*>(context)->on_reply(reply.id, reply.sequence, reply.payload_len, reply.received_at);
}
void on_reply6(void* context, const pico::icmp6::EchoReply& reply) {
    static_cast<Pinger*>(context)->on_reply(reply.id, reply.sequence, reply.payload_len, reply.received_at);
}

long number(const std::vector<std::string>& rest, std::size_t& i) {
    if (i + 1 >= rest.size()) example::fail("missing value after " + rest[i]);
    char* end = nullptr;
    long value = std::strtol(rest[++i].c_str(), &end, 10);
    if (*end != '\0' || value < 0) example::fail("bad value " + rest[i]);
    return value;
}

} // namespace

int main(int argc, char** argv) {
    const char* usage = "[-c COUNT] [-i INTERVAL_MS] [-s SIZE] [-W WAIT_MS] DEST";
    auto options = example::parse(argc, argv, usage);
    long count = 4, interval = 1000, wait = 2000;
    Pinger pinger;
    std::string dest;
    for (std::size_t i = 0; i < options.rest.size(); ++i) {
        const auto& arg = options.rest[i];
        if (arg == "-c")
            count = number(options.rest, i);
        else if (arg == "-i")
            interval = number(options.rest, i);
        else if (arg == "-s")
            pinger.size = static_cast<std::size_t>(number(options.rest, i));
        else if (arg == "-W")
            wait = number(options.rest, i);
        else if (dest.empty() && arg[0] != '-')
            dest = arg;
        else
            example::fail(std::string("usage: picotcp-ping ... ") + usage);
    }
    if (dest.empty() || count <= 0 || pinger.size > 1400)
        example::fail(std::string("usage: picotcp-ping ... ") + usage);
    auto v4 = pico::parse_ipv4(dest.c_str());
    auto v6 = pico::parse_ipv6(dest.c_str());
    if (!v4 && !v6) example::fail("DEST is neither an IPv4 nor an IPv6 address: " + dest);
    if (v6 && !pico::config::icmp6) example::fail("this build has no ICMPv6");

    example::Node node(options);
    pico::Stack& stack = node.stack();
    pinger.dest = dest.c_str();
    std::uint8_t idb[2];
    stack.platform().random_bytes(pico::MutBytes{idb, 2});
    pinger.id = static_cast<std::uint16_t>(idb[0] << 8 | idb[1]);
    if (v4) pico::icmp4::set_echo_reply_handler(stack, on_reply4, &pinger);
    if constexpr (pico::config::icmp6)
        if (v6) pico::icmp6::set_echo_reply_handler(stack, on_reply6, &pinger);
    if (v6 && options.slaac) node.wait_for_global_ipv6(options.slaac_wait_ms);
    std::printf("PING %s %zu data bytes\n", dest.c_str(), pinger.size);
    std::fflush(stdout);

    std::vector<std::uint8_t> payload(pinger.size);
    for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<std::uint8_t>(i);
    pico::TimeMs start = stack.now();
    pico::TimeMs next_send = start;
    pico::TimeMs last_deadline = 0;
    while (node.loop().run_once()) {
        pico::TimeMs now = stack.now();
        if (pinger.sent_at.size() < static_cast<std::size_t>(count) && now >= next_send) {
            auto sequence = static_cast<std::uint16_t>(pinger.sent_at.size() + 1);
            pinger.sent_at.push_back(now);
            pinger.answered.push_back(false);
            pico::Bytes data{payload.data(), payload.size()};
            if (v4)
                pico::icmp4::send_echo_request(stack, *v4, pinger.id, sequence, data);
            else if constexpr (pico::config::icmp6)
                pico::icmp6::send_echo_request(stack, *v6, pinger.id, sequence, data);
            next_send = now + static_cast<pico::TimeMs>(interval);
            last_deadline = now + static_cast<pico::TimeMs>(wait);
        }
        bool all_sent = pinger.sent_at.size() == static_cast<std::size_t>(count);
        if (all_sent && (pinger.received == pinger.sent_at.size() || now >= last_deadline)) break;
    }
    std::size_t sent = pinger.sent_at.size();
    unsigned loss = sent == 0 ? 0 : static_cast<unsigned>(100 * (sent - pinger.received) / sent);
    std::printf("\n--- %s ping statistics ---\n", dest.c_str());
    std::printf("%zu packets transmitted, %zu received, %u%% packet loss, time %llums\n", sent,
                pinger.received, loss, static_cast<unsigned long long>(stack.now() - start));
    if (pinger.received > 0)
        std::printf("rtt min/avg/max = %llu/%llu/%llu ms\n", static_cast<unsigned long long>(pinger.min_rtt),
                    static_cast<unsigned long long>(pinger.sum_rtt / pinger.received),
                    static_cast<unsigned long long>(pinger.max_rtt));
    return pinger.received > 0 ? 0 : 1;
}
