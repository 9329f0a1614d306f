// Python API of IPv4 path MTU discovery (RFC 1191) and fragmentation on send (RFC 791 3.2): stack.ipv4_path.
#include "binding_api.hpp"
#include "net/ipv4.hpp"

#include <pybind11/stl.h>

namespace picobind {

namespace {

struct PyIpv4Path {
    py::object stack;
};

} // namespace

void bind_ipv4_path(py::module_& m) {
    py::class_<PyIpv4Path>(
        m, "Ipv4Path", "IPv4 path MTU (RFC 1191) and fragmentation on send (RFC 791 3.2): stack.ipv4_path")
        .def(
            "path_mtu",
            [](PyIpv4Path& api, const std::string& destination, py::object dev) {
                pico::IfIndex ifindex = dev.is_none() ? pico::no_interface : ifindex_of(dev);
                return pico::ipv4::path_mtu(stack_of(api.stack), ifindex, to_ipv4(destination));
            },
            py::arg("destination"), py::arg("dev") = py::none(),
            "The path MTU towards destination: the device MTU (dev, else the route's device) lowered by what "
            "ICMP 'fragmentation needed' taught in the last 10 minutes; 0 without a route.")
        .def(
            "update_path_mtu",
            [](PyIpv4Path& api, const std::string& destination, int mtu) {
                if (mtu < 0 || mtu > 0xffff) throw py::value_error("mtu must be 0..65535");
                return pico::ipv4::update_path_mtu(stack_of(api.stack), to_ipv4(destination),
                                                   static_cast<std::uint16_t>(mtu));
            },
            py::arg("destination"), py::arg("mtu"),
            "Reports a next-hop MTU as ICMP 'fragmentation needed' does; True if it lowered the estimate.")
        .def(
            "send",
            [](PyIpv4Path& api, const std::string& destination, int protocol, py::handle payload,
               bool dont_fragment, bool router_alert, int ttl) {
                pico::Stack& stack = stack_of(api.stack);
                const std::string data = to_bytes(payload);
                if (protocol < 0 || protocol > 255 || ttl < 0 || ttl > 255)
                    throw py::value_error("protocol and ttl must be 0..255");
                auto frame = pico::frames(stack).allocate_copy(
                    pico::Bytes{reinterpret_cast<const std::uint8_t*>(data.data()), data.size()},
                    pico::config::frame_headroom);
                if (!frame) return false; // larger than a pool frame, or the pool is empty
                pico::ipv4::SendParams params;
                params.destination = to_ipv4(destination);
                params.protocol = static_cast<std::uint8_t>(protocol);
                params.ttl = static_cast<std::uint8_t>(ttl);
                params.dont_fragment = dont_fragment;
                params.router_alert = router_alert;
                return pico::ipv4::send(stack, params, std::move(*frame));
            },
            py::arg("destination"), py::arg("protocol"), py::arg("payload"), py::arg("dont_fragment") = false,
            py::arg("router_alert") = false, py::arg("ttl") = 0,
            "ipv4::send of payload (the transport's octets, built in one pool frame) to destination: "
            "fragmented to the path MTU unless dont_fragment; False if dropped (see "
            "stats()['ipv4']['drop']).")
        .def(
            "pmtu_entries",
            [](PyIpv4Path& api) {
                pico::Stack& stack = stack_of(api.stack);
                const pico::TimeMs now = now_of(api.stack);
                py::list out;
                for (const pico::ipv4::PmtuEntry& e : pico::ipv4::state(stack).pmtu) {
                    if (!e.used || now - e.learnt_at >= pico::ipv4::pmtu_aging_ms) continue;
                    py::dict entry;
                    entry["destination"] = ipv4_text(e.destination);
                    entry["mtu"] = e.mtu;
                    entry["age_ms"] = now - e.learnt_at;
                    out.append(entry);
                }
                return out;
            },
            "The learnt path MTUs that have not aged out: list of dict(destination, mtu, age_ms).")
        .def_property_readonly(
            "stats",
            [](PyIpv4Path& api) {
                const pico::ipv4::State& s = pico::ipv4::state(stack_of(api.stack));
                py::dict d;
                d["pmtu_decreases"] = s.pmtu_decreases;
                d["pmtu_ignored"] = s.pmtu_ignored;
                d["fragmented"] = s.fragmented;
                d["fragments_sent"] = s.fragments_sent;
                return d;
            },
            "dict(pmtu_decreases, pmtu_ignored, fragmented (datagrams), fragments_sent)")
        .def_property_readonly_static(
            "aging_ms", [](py::object) { return pico::ipv4::pmtu_aging_ms; },
            "How long a learnt path MTU is kept (RFC 1191 6.3: 10 minutes).");
    add_stack_property(m, "ipv4_path", py::cpp_function([](py::object self) { return PyIpv4Path{self}; }),
                       "IPv4 path MTU discovery and fragmentation (Ipv4Path)");
}

} // namespace picobind
