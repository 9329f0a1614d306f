// Python API of IPv6 and ICMPv6: stack.ipv6 (addresses, routes, route lookup, path MTU) and stack.icmp6
// (ping and the replies received).
#include "net/ipv6.hpp"
#include "binding_api.hpp"
#include "net/icmp6.hpp"

#include <pybind11/stl.h>

#include <map>
#include <memory>

namespace picobind {

namespace {

struct PyIpv6 {
    py::object stack;
};

// Echo replies of one stack. The handler is registered in the stack's ICMPv6 state; a stack created at the
// address of a destroyed one starts without a handler, which resets its log.
struct EchoLog6 {
    py::list replies; // dict(src, id, seq, len, time)
};
struct PyIcmp6 {
    py::object stack;
    std::shared_ptr<EchoLog6> log;
};

// Never destroyed: it holds Python objects, which must not be released after the interpreter finalised.
std::map<pico::Stack*, std::shared_ptr<EchoLog6>>& echo_logs() {
    static auto* logs = new std::map<pico::Stack*, std::shared_ptr<EchoLog6>>();
    return *logs;
}

void on_echo_reply(void* context, const pico::icmp6::EchoReply& reply) {
    auto* log = static_cast<EchoLog6*>(context);
    py::dict entry;
    entry["src"] = ipv6_text(reply.from);
    entry["id"] = reply.id;
    entry["seq"] = reply.sequence;
    entry["len"] = reply.payload_len;
    entry["time"] = reply.received_at;
    log->replies.append(entry);
}

std::shared_ptr<EchoLog6> log_of(pico::Stack& stack) {
    auto& logs = echo_logs();
    auto& state = pico::icmp6::state(stack);
    auto found = logs.find(&stack);
    if (state.on_echo_reply != &on_echo_reply || found == logs.end()) {
        auto log = std::make_shared<EchoLog6>();
        logs[&stack] = log;
        pico::icmp6::set_echo_reply_handler(stack, &on_echo_reply, log.get());
        return log;
    }
    return found->second;
}

const char* state_name(pico::ipv6::AddrState s) {
    switch (s) {
    case pico::ipv6::AddrState::Tentative:
        return "tentative";
    case pico::ipv6::AddrState::Preferred:
        return "preferred";
    case pico::ipv6::AddrState::Deprecated:
        return "deprecated";
    default:
        return "free";
    }
}

pico::ipv6::AddrState state_of(const std::string& name) {
    if (name == "preferred") return pico::ipv6::AddrState::Preferred;
    if (name == "tentative") return pico::ipv6::AddrState::Tentative;
    if (name == "deprecated") return pico::ipv6::AddrState::Deprecated;
    throw py::value_error("state must be 'preferred', 'tentative' or 'deprecated'");
}

pico::IfIndex optional_ifindex(py::handle dev) {
    return dev.is_none() ? pico::no_interface : ifindex_of(dev);
}

} // namespace

void bind_ipv6(py::module_& m) {
    if constexpr (pico::config::ipv6) {
        py::class_<PyIpv6>(m, "Ipv6", "IPv6 addresses, routes and path MTU of a stack (RFC 8200, RFC 8201).")
            .def(
                "add_address",
                [](PyIpv6& api, py::handle dev, const std::string& ip, int prefix, const std::string& state) {
                    if (prefix < 0 || prefix > 128) throw py::value_error("prefix must be 0..128");
                    return pico::ipv6::add_address(stack_of(api.stack), ifindex_of(dev), to_ipv6(ip),
                                                   static_cast<std::uint8_t>(prefix), state_of(state));
                },
                py::arg("dev"), py::arg("ip"), py::arg("prefix"), py::arg("state") = "preferred",
                "Adds an address; state 'tentative' starts Duplicate Address Detection when SLAAC is built.")
            .def(
                "remove_address",
                [](PyIpv6& api, py::handle dev, const std::string& ip) {
                    return pico::ipv6::remove_address(stack_of(api.stack), ifindex_of(dev), to_ipv6(ip));
                },
                py::arg("dev"), py::arg("ip"))
            .def(
                "addresses",
                [](PyIpv6& api, py::handle dev) {
                    pico::Stack& stack = stack_of(api.stack);
                    pico::IfIndex ifindex = ifindex_of(dev);
                    py::list out;
                    if (ifindex >= pico::config::max_devices) return out;
                    for (const auto& a : pico::ipv6::state(stack).addresses[ifindex]) {
                        if (a.state == pico::ipv6::AddrState::Free) continue;
                        py::dict d;
                        d["address"] = ipv6_text(a.address);
                        d["prefix"] = a.prefix_len;
                        d["state"] = state_name(a.state);
                        d["autoconf"] = a.autoconf;
                        out.append(d);
                    }
                    return out;
                },
                py::arg("dev"), "List of dict(address, prefix, state, autoconf).")
            .def(
                "add_route",
                [](PyIpv6& api, const std::string& prefix, const std::string& via, py::object dev) {
                    auto [p, len] = to_prefix6(prefix);
                    return pico::ipv6::add_route(stack_of(api.stack), p, len, to_ipv6(via),
                                                 optional_ifindex(dev));
                },
                py::arg("prefix"), py::arg("via") = "::", py::arg("dev") = py::none())
            .def(
                "remove_route",
                [](PyIpv6& api, const std::string& prefix) {
                    auto [p, len] = to_prefix6(prefix);
                    return pico::ipv6::remove_route(stack_of(api.stack), p, len);
                },
                py::arg("prefix"))
            .def(
                "route",
                [](PyIpv6& api, const std::string& dst, py::object dev) -> py::object {
                    auto r = pico::ipv6::route(stack_of(api.stack), to_ipv6(dst), optional_ifindex(dev));
                    if (!r) return py::none();
                    py::dict d;
                    d["ifindex"] = r->ifindex;
                    d["next_hop"] = ipv6_text(r->next_hop);
                    d["source"] = ipv6_text(r->source);
                    d["mtu"] = r->mtu;
                    return d;
                },
                py::arg("dst"), py::arg("dev") = py::none(), "None or dict(ifindex, next_hop, source, mtu).")
            .def(
                "path_mtu",
                [](PyIpv6& api, const std::string& dst, py::object dev) {
                    pico::Stack& stack = stack_of(api.stack);
                    pico::Ipv6Addr d = to_ipv6(dst);
                    pico::IfIndex ifindex = optional_ifindex(dev);
                    if (ifindex == pico::no_interface) {
                        auto r = pico::ipv6::route(stack, d);
                        if (r) ifindex = r->ifindex;
                    }
                    return pico::ipv6::path_mtu(stack, ifindex, d);
                },
                py::arg("dst"), py::arg("dev") = py::none())
            .def_property_readonly(
                "hop_limit", [](PyIpv6& api) { return pico::ipv6::state(stack_of(api.stack)).hop_limit; })
            .def(
                "link_local",
                [](PyIpv6& api, py::handle dev) -> py::object {
                    auto ll = pico::ipv6::link_local(stack_of(api.stack), ifindex_of(dev));
                    if (!ll) return py::none();
                    return py::str(ipv6_text(*ll));
                },
                py::arg("dev"));
        add_stack_property(m, "ipv6",
                           py::cpp_function([](py::object self) { return PyIpv6{std::move(self)}; }),
                           "IPv6 addresses, routes and path MTU (picotcp.Ipv6).");
    }
    if constexpr (pico::config::icmp6) {
        py::class_<PyIcmp6>(m, "Icmp6", "ICMPv6 echo client of a stack (RFC 4443).")
            .def(
                "ping",
                [](PyIcmp6& api, const std::string& dst, int id, int seq, py::object payload,
                   py::object dev) {
                    std::string data = to_bytes(payload);
                    return pico::icmp6::send_echo_request(
                        stack_of(api.stack), to_ipv6(dst), static_cast<std::uint16_t>(id),
                        static_cast<std::uint16_t>(seq),
                        pico::Bytes{reinterpret_cast<const std::uint8_t*>(data.data()), data.size()},
                        optional_ifindex(dev));
                },
                py::arg("dst"), py::arg("id") = 1, py::arg("seq") = 1, py::arg("payload") = py::bytes(""),
                py::arg("dev") = py::none())
            .def_property_readonly("replies", [](PyIcmp6& api) { return api.log->replies; });
        add_stack_property(m, "icmp6", py::cpp_function([](py::object self) {
                               auto log = log_of(stack_of(self));
                               return PyIcmp6{std::move(self), std::move(log)};
                           }),
                           "ICMPv6 echo client (picotcp.Icmp6): ping() and replies.");
    }
}

} // namespace picobind
