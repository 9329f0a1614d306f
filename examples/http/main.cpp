// picotcp-http: a small HTTP/1.1 server (RFC 9112) on a TAP device, over IPv4 and IPv6.
//   GET /          a small HTML page
//   GET /bytes/N   N bytes of a fixed pattern (byte i is i % 251), generated as they are sent
// Persistent connections (HTTP/1.1 default; "Connection: close" or HTTP/1.0 without keep-alive closes after
// the response), pipelined requests answered in order, many clients at once (up to the stack's TCP sockets).
//   picotcp-http --tap tap0 --ip 198.18.0.2/24 [--ip6 ... | --slaac] [--port 80]
#include "common/example_net.hpp"
#include "common/tcp_server.hpp"
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr std::size_t max_request = 8192;

std::string lower(std::string s) {
    for (auto& ch : s)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

void respond(example::Connection& c, int status, const char* reason, const std::string& type,
             const std::string& body, std::uint64_t pattern_bytes, bool keep_alive) {
    std::uint64_t length = body.size() + pattern_bytes;
    c.out += "HTTP/1.1 " + std::to_string(status) + " " + reason +
             "\r\nServer: picotcp-http\r\nContent-Type: " + type +
             "\r\nContent-Length: " + std::to_string(length) + "\r\n" +
             (keep_alive ? "" : "Connection: close\r\n") + "\r\n" + body;
    c.pattern_left += pattern_bytes;
    if (!keep_alive) c.closing = true;
}

// Answers every complete request in c.in (in order); stops at the first incomplete one.
void serve(example::Connection& c) {
    while (!c.closing) {
        auto end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (c.in.size() > max_request)
                respond(c, 431, "Request Header Fields Too Large", "text/plain", "too large\n", 0, false);
            return;
        }
        std::string head = c.in.substr(0, end);
        c.in.erase(0, end + 4);
        auto line_end = head.find("\r\n");
        std::string line = head.substr(0, line_end);
        std::string headers = lower(line_end == std::string::npos ? "" : head.substr(line_end));
        auto sp1 = line.find(' ');
        auto sp2 = line.rfind(' ');
        if (sp1 == std::string::npos || sp2 == sp1) {
            respond(c, 400, "Bad Request", "text/plain", "bad request\n", 0, false);
            return;
        }
        std::string method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                    version = line.substr(sp2 + 1);
        bool keep_alive = version == "HTTP/1.1"
                              ? headers.find("\r\nconnection: close") == std::string::npos
                              : headers.find("\r\nconnection: keep-alive") != std::string::npos;
        if (headers.find("\r\ncontent-length:") != std::string::npos ||
            headers.find("\r\ntransfer-encoding:") != std::string::npos) {
            respond(c, 400, "Bad Request", "text/plain", "request bodies are not accepted\n", 0, false);
            return;
        }
        if (method != "GET" && method != "HEAD") {
            respond(c, 405, "Method Not Allowed", "text/plain", "GET only\n", 0, keep_alive);
            continue;
        }
        if (target == "/") {
            respond(c, 200, "OK", "text/html",
                    "<!DOCTYPE html>\n<html><head><title>picotcp-http</title></head>"
                    "<body><h1>picoTCP in C++</h1><p>Served by the example HTTP server.</p></body></html>\n",
                    0, keep_alive);
        } else if (target.rfind("/bytes/", 0) == 0) {
            char* stop = nullptr;
            const char* digits = target.c_str() + 7;
            unsigned long long n = std::strtoull(digits, &stop, 10);
            if (*digits == '\0' || *stop != '\0' || n > (1ull << 40))
                respond(c, 400, "Bad Request", "text/plain", "bad size\n", 0, keep_alive);
            else
                respond(c, 200, "OK", "application/octet-stream", "", n, keep_alive);
        } else {
            respond(c, 404, "Not Found", "text/plain", "not found\n", 0, keep_alive);
        }
        if (method == "HEAD") { // headers only: drop the body just queued
            auto body_at = c.out.rfind("\r\n\r\n");
            c.out.resize(body_at + 4);
            c.pattern_left = 0;
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    auto options = example::parse(argc, argv, "[--port N]");
    const std::uint16_t port = example::port_option(options, 80);
    example::Node node(options);
    example::TcpServer server(node.stack(), port, 64);
    if (!server.ok()) example::fail("cannot listen on port " + std::to_string(port));
    if (options.slaac) node.wait_for_global_ipv6(options.slaac_wait_ms);
    std::printf("picotcp-http ready: %s port %u\n", node.addresses().c_str(), port);
    std::fflush(stdout);
    while (node.loop().run_once())
        server.round(serve);
    server.close_all();
    for (int i = 0; i < 20; ++i)
        node.stack().poll();
    std::printf("picotcp-http stopped\n");
    return 0;
}
