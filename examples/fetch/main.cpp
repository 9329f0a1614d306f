// picotcp-fetch: an HTTP/1.1 client (RFC 9112) on a TAP device: the stack as a TCP client.
//   picotcp-fetch --tap tap0 --ip 198.18.0.2/24 [--ip6 ... | --slaac] [-o FILE] http://HOST[:PORT]/PATH
// HOST is an IPv4 address or a bracketed IPv6 address. Writes the body to FILE (default stdout) and a
// summary line to stderr: "picotcp-fetch: 200 OK, N bytes in T ms". Exit status 0 on a 2xx answer whose
// length matches Content-Length (when given), 1 otherwise, 2 on a usage error.
#include "common/example_net.hpp"
#include "socket/socket.hpp"
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace {

struct Url {
    std::string host;
    std::uint16_t port = 80;
    std::string path = "/";
};

Url parse_url(const std::string& text) {
    if (text.rfind("http://", 0) != 0) example::fail("only http:// URLs: " + text);
    std::string rest = text.substr(7);
    auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    Url url;
    if (slash != std::string::npos) url.path = rest.substr(slash);
    std::string port;
    if (!authority.empty() && authority[0] == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos) example::fail("bad URL " + text);
        url.host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
    } else {
        auto colon = authority.find(':');
        url.host = authority.substr(0, colon);
        if (colon != std::string::npos) port = authority.substr(colon + 1);
    }
    if (!port.empty()) {
        long p = std::strtol(port.c_str(), nullptr, 10);
        if (p <= 0 || p > 65535) example::fail("bad port in " + text);
        url.port = static_cast<std::uint16_t>(p);
    }
    return url;
}

} // namespace

int main(int argc, char** argv) {
    const char* usage = "[-o FILE] [--timeout MS] http://HOST[:PORT]/PATH";
    auto options = example::parse(argc, argv, usage);
    std::string target, output;
    long timeout_ms = 60000;
    for (std::size_t i = 0; i < options.rest.size(); ++i) {
        if (options.rest[i] == "-o" && i + 1 < options.rest.size())
            output = options.rest[++i];
        else if (options.rest[i] == "--timeout" && i + 1 < options.rest.size())
            timeout_ms = std::strtol(options.rest[++i].c_str(), nullptr, 10);
        else if (target.empty())
            target = options.rest[i];
        else
            example::fail(std::string("usage: picotcp-fetch ... ") + usage);
    }
    if (target.empty()) example::fail(std::string("usage: picotcp-fetch ... ") + usage);
    Url url = parse_url(target);
    pico::IpAddr address;
    if (auto v4 = pico::parse_ipv4(url.host.c_str()))
        address = pico::IpAddr{*v4};
    else if (auto v6 = pico::parse_ipv6(url.host.c_str()))
        address = pico::IpAddr{*v6};
    else
        example::fail("HOST must be an address (no DNS): " + url.host);
    std::FILE* out = output.empty() ? stdout : std::fopen(output.c_str(), "wb");
    if (out == nullptr) example::fail("cannot write " + output);

    example::Node node(options);
    pico::Stack& stack = node.stack();
    if (address.v6 && options.slaac) node.wait_for_global_ipv6(options.slaac_wait_ms);
    pico::SocketHandle sock = pico::socket::open_tcp(stack, nullptr, nullptr);
    if (sock < 0 || pico::socket::tcp_connect(stack, sock, address, url.port) != pico::SocketError::Ok)
        example::fail("cannot connect to " + url.host);
    std::string request = "GET " + url.path + " HTTP/1.1\r\nHost: " + url.host +
                          "\r\nUser-Agent: picotcp-fetch\r\n" + "Connection: close\r\n\r\n";
    std::size_t request_at = 0;
    std::string head;
    bool in_body = false;
    std::uint64_t body = 0;
    long long content_length = -1;
    int status = 0;
    std::string status_line;
    bool eof = false, failed = false;
    pico::TimeMs start = stack.now();
    char buf[8192];
    while (!eof && !failed && node.loop().run_once()) {
        if (stack.now() - start > static_cast<pico::TimeMs>(timeout_ms)) {
            std::fprintf(stderr, "picotcp-fetch: timed out\n");
            failed = true;
            break;
        }
        pico::socket::TcpState state{};
        pico::socket::connection_state(stack, sock, state);
        if (request_at < request.size() && state == pico::socket::TcpState::Established) {
            std::size_t written = 0;
            pico::socket::write(
                stack, sock,
                pico::Bytes{reinterpret_cast<const std::uint8_t*>(request.data()) + request_at,
                            request.size() - request_at},
                written);
            request_at += written;
        }
        for (;;) {
            std::size_t n = 0;
            bool end = false;
            auto err = pico::socket::read(
                stack, sock, pico::MutBytes{reinterpret_cast<std::uint8_t*>(buf), sizeof buf}, n, end);
            if (err == pico::SocketError::WouldBlock) break;
            if (err != pico::SocketError::Ok) {
                std::fprintf(stderr, "picotcp-fetch: %s\n", pico::socket_error_name(err));
                failed = true;
                break;
            }
            if (n == 0) {
                eof = end;
                break;
            }
            std::size_t at = 0;
            if (!in_body) {
                head.append(buf, n);
                auto split = head.find("\r\n\r\n");
                if (split == std::string::npos) continue;
                in_body = true;
                status_line = head.substr(0, head.find("\r\n"));
                auto sp = status_line.find(' ');
                status = sp == std::string::npos ? 0 : std::atoi(status_line.c_str() + sp + 1);
                std::string headers = head.substr(0, split + 2);
                for (auto& ch : headers)
                    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                auto cl = headers.find("\r\ncontent-length:");
                if (cl != std::string::npos) content_length = std::atoll(headers.c_str() + cl + 17);
                std::string rest = head.substr(split + 4);
                std::fwrite(rest.data(), 1, rest.size(), out);
                body += rest.size();
                at = n; // all of buf went through `head`
            }
            if (at < n) {
                std::fwrite(buf + at, 1, n - at, out);
                body += n - at;
            }
        }
    }
    pico::TimeMs took = stack.now() - start;
    pico::socket::tcp_close(stack, sock);
    for (int i = 0; i < 20; ++i)
        stack.poll();
    if (out != stdout)
        std::fclose(out);
    else
        std::fflush(stdout);
    std::fprintf(stderr, "picotcp-fetch: %s, %llu bytes in %llu ms\n",
                 status_line.empty() ? "no answer" : status_line.c_str(),
                 static_cast<unsigned long long>(body), static_cast<unsigned long long>(took));
    bool complete = content_length < 0 || static_cast<std::uint64_t>(content_length) == body;
    return !failed && eof && status >= 200 && status < 300 && complete ? 0 : 1;
}
