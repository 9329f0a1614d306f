// picotcp-replay: replays a capture into a stack on virtual time and reports what the stack made of it.
//   picotcp-replay FILE.pcap [--ip ADDR/PREFIX] [--ip6 ADDR/PREFIX] [--mac MAC] [--tcp-listen PORT]...
//                  [--udp-bind PORT]... [--settle MS] [--out SENT.pcap] [--json]
// Each frame of FILE enters the stack at its capture time (relative to the first frame; the clock only moves
// between frames, and timers fire on the way). After the last frame the clock runs on for --settle ms
// (default 1000). Prints every module's counters (rx, tx, drops by reason), as text or JSON; --out writes
// the frames the stack sent to a pcap. Defaults: 198.18.0.2/24, 2001:db8::2/64, 02:00:00:00:00:02.
// Exit status 0, 1 when the capture is malformed (after replaying what came before), 2 on a usage error.
#include "assembly/stack.hpp"
#include "link/pcap.hpp"
#include "link/wire_device.hpp"
#include "net/ipv4.hpp"
#include "net/ipv6.hpp"
#include "port/virtual_platform.hpp"
#include "socket/socket.hpp"
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "picotcp-replay: %s\n", message.c_str());
    std::exit(2);
}

class FileSink final : public pico::ByteSink {
  public:
    explicit FileSink(std::FILE* file) : file_(file) {}
    void write(pico::Bytes bytes) override { std::fwrite(bytes.data(), 1, bytes.size(), file_); }

  private:
    std::FILE* file_;
};

std::pair<std::string, int> split_prefix(const std::string& text, int max) {
    auto slash = text.find('/');
    if (slash == std::string::npos) fail("address without /PREFIX: " + text);
    int len = std::atoi(text.c_str() + slash + 1);
    if (len < 0 || len > max) fail("bad prefix length in " + text);
    return {text.substr(0, slash), len};
}

const char* reader_error(pico::PcapReader::Error e) {
    switch (e) {
    case pico::PcapReader::Error::None:
        return "none";
    case pico::PcapReader::Error::BadMagic:
        return "not a pcap file (bad magic)";
    case pico::PcapReader::Error::TruncatedHeader:
        return "truncated file header";
    case pico::PcapReader::Error::TruncatedRecord:
        return "truncated record";
    case pico::PcapReader::Error::BadRecordLength:
        return "record length larger than the frame or the limit";
    }
    return "?";
}

} // namespace

int main(int argc, char** argv) {
    std::string input, ip = "198.18.0.2/24", ip6 = "2001:db8::2/64", mac_text = "02:00:00:00:00:02", out_path;
    std::vector<long> tcp_ports, udp_ports;
    long settle = 1000;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) fail("missing value after " + arg);
            return argv[++i];
        };
        if (arg == "--ip")
            ip = value();
        else if (arg == "--ip6")
            ip6 = value();
        else if (arg == "--mac")
            mac_text = value();
        else if (arg == "--tcp-listen")
            tcp_ports.push_back(std::strtol(value().c_str(), nullptr, 10));
        else if (arg == "--udp-bind")
            udp_ports.push_back(std::strtol(value().c_str(), nullptr, 10));
        else if (arg == "--settle")
            settle = std::strtol(value().c_str(), nullptr, 10);
        else if (arg == "--out")
            out_path = value();
        else if (arg == "--json")
            json = true;
        else if (input.empty() && arg[0] != '-')
            input = arg;
        else
            fail("usage: picotcp-replay FILE.pcap [--ip A/P] [--ip6 A/P] [--mac MAC] [--tcp-listen PORT] "
                 "[--udp-bind PORT] [--settle MS] [--out SENT.pcap] [--json]");
    }
    if (input.empty()) fail("no capture given");
    std::ifstream in(input, std::ios::binary);
    if (!in) fail("cannot read " + input);
    std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    pico::PcapReader reader(pico::Bytes{data.data(), data.size()});
    if (!reader.ok()) fail(input + ": " + reader_error(reader.error()));
    auto link = reader.link_type();
    if (!link || *link != pico::LinkType::Ethernet) fail(input + ": only Ethernet captures (linktype 1)");

    auto mac = pico::parse_mac(mac_text.c_str());
    if (!mac) fail("bad --mac");
    pico::VirtualClock clock;
    pico::VirtualPlatform platform(clock, 1);
    auto stack = std::make_unique<pico::Stack>(platform);
    pico::WireDevice device(*mac, 1500);
    auto ifindex = stack->attach(device);
    {
        auto [text, len] = split_prefix(ip, 32);
        auto addr = pico::parse_ipv4(text.c_str());
        if (!addr || !pico::ipv4::add_address(*stack, ifindex, *addr, static_cast<std::uint8_t>(len)))
            fail("bad --ip " + ip);
    }
    if constexpr (pico::config::ipv6) {
        auto [text, len] = split_prefix(ip6, 128);
        auto addr = pico::parse_ipv6(text.c_str());
        if (!addr || !pico::ipv6::add_address(*stack, ifindex, *addr, static_cast<std::uint8_t>(len)))
            fail("bad --ip6 " + ip6);
    }
    for (long port : tcp_ports) {
        auto h = pico::socket::open_tcp(*stack, nullptr, nullptr);
        if (h < 0 ||
            pico::socket::tcp_bind(*stack, h, pico::IpAddr{pico::Ipv6Addr{}},
                                   static_cast<std::uint16_t>(port)) != pico::SocketError::Ok ||
            pico::socket::listen(*stack, h, 8) != pico::SocketError::Ok)
            fail("cannot listen on TCP port " + std::to_string(port));
    }
    for (long port : udp_ports) {
        auto h = pico::socket::open_udp(*stack, nullptr, nullptr);
        if (h < 0 || pico::socket::bind(*stack, h, pico::IpAddr{pico::Ipv6Addr{}},
                                        static_cast<std::uint16_t>(port)) != pico::SocketError::Ok)
            fail("cannot bind UDP port " + std::to_string(port));
    }

    std::FILE* out_file = nullptr;
    std::unique_ptr<FileSink> sink;
    std::unique_ptr<pico::PcapWriter> writer;
    if (!out_path.empty()) {
        out_file = std::fopen(out_path.c_str(), "wb");
        if (out_file == nullptr) fail("cannot write " + out_path);
        sink = std::make_unique<FileSink>(out_file);
        writer = std::make_unique<pico::PcapWriter>(*sink);
    }
    std::size_t sent = 0;
    auto drain = [&]() {
        while (auto frame = device.collect()) {
            ++sent;
            if (writer) writer->write_record(clock.now(), frame->bytes());
        }
    };
    // The clock moves in steps of at most 10 ms so that timers fire near their time.
    auto run_until = [&](pico::TimeMs target) {
        while (clock.now() < target) {
            clock.advance(std::min<pico::TimeMs>(10, target - clock.now()));
            stack->poll();
            drain();
        }
    };
    stack->poll();
    drain();

    std::size_t frames = 0, refused = 0;
    std::uint64_t first_us = 0;
    while (auto record = reader.next()) {
        if (frames == 0) first_us = record->time_us;
        pico::TimeMs at = record->time_us >= first_us ? (record->time_us - first_us) / 1000 : 0;
        run_until(at);
        if (!stack->inject(ifindex, record->frame)) ++refused;
        ++frames;
        drain();
    }
    run_until(clock.now() + static_cast<pico::TimeMs>(settle));
    if (out_file != nullptr) std::fclose(out_file);

    const bool malformed = !reader.ok();
    if (json) {
        std::printf("{\"frames\": %zu, \"refused\": %zu, \"sent\": %zu, \"error\": \"%s\", \"modules\": {",
                    frames, refused, sent, malformed ? reader_error(reader.error()) : "");
        bool first_module = true;
        stack->for_each_module([&](const char* name, const pico::ModuleCounters& c) {
            std::printf("%s\"%s\": {\"rx\": %u, \"tx\": %u, \"drops\": {", first_module ? "" : ", ", name,
                        c.rx, c.tx);
            first_module = false;
            bool first_drop = true;
            for (std::size_t r = 0; r < c.drop.size(); ++r) {
                if (c.drop[r] == 0) continue;
                std::printf("%s\"%s\": %u", first_drop ? "" : ", ",
                            pico::drop_name(static_cast<pico::Drop>(r)), c.drop[r]);
                first_drop = false;
            }
            std::printf("}}");
        });
        std::printf("}}\n");
    } else {
        std::printf("%s: %zu frames replayed, %zu refused, %zu sent by the stack\n", input.c_str(), frames,
                    refused, sent);
        if (malformed)
            std::printf("capture malformed after frame %zu: %s\n", frames, reader_error(reader.error()));
        stack->for_each_module([&](const char* name, const pico::ModuleCounters& c) {
            if (c.rx == 0 && c.tx == 0 && c.total_drops() == 0) return;
            std::printf("%-9s rx=%u tx=%u", name, c.rx, c.tx);
            for (std::size_t r = 0; r < c.drop.size(); ++r)
                if (c.drop[r] != 0)
                    std::printf(" %s=%u", pico::drop_name(static_cast<pico::Drop>(r)), c.drop[r]);
            std::printf("\n");
        });
    }
    return malformed ? 1 : 0;
}
