// Python API of Neighbor Discovery (stack.nd: neighbor cache, default routers, prefixes, redirects, timers)
// and SLAAC (stack.slaac: start, DAD failures, RFC 7217 identifiers).
#include "net/nd.hpp"
#include "binding_api.hpp"
#include "net/slaac.hpp"

#include <pybind11/stl.h>

#include <map>

namespace picobind {

namespace {

struct PyNd {
    py::object stack;
};
struct PySlaac {
    py::object stack;
};

// Python callables standing in for RFC 7217 F() (stack.slaac.set_identifier_function), one per stack. Never
// destroyed: its objects must not be released after the interpreter has finalised.
std::map<const pico::Stack*, py::object>& identifier_functions() {
    static auto* functions = new std::map<const pico::Stack*, py::object>();
    return *functions;
}

std::uint64_t call_identifier_function(void* context, pico::Bytes input,
                                       const std::array<std::uint8_t, 16>& key) {
    auto* fn = static_cast<py::object*>(context);
    try {
        py::bytes in(reinterpret_cast<const char*>(input.data()), input.size());
        py::bytes k(reinterpret_cast<const char*>(key.data()), key.size());
        return (*fn)(in, k).cast<std::uint64_t>();
    } catch (py::error_already_set& e) {
        e.discard_as_unraisable("picotcp identifier function");
    } catch (const py::cast_error&) {
    }
    return 0; // a reserved identifier: skipped
}

const char* state_name(pico::nd::NeighborState st) {
    switch (st) {
    case pico::nd::NeighborState::Incomplete:
        return "INCOMPLETE";
    case pico::nd::NeighborState::Reachable:
        return "REACHABLE";
    case pico::nd::NeighborState::Stale:
        return "STALE";
    case pico::nd::NeighborState::Delay:
        return "DELAY";
    case pico::nd::NeighborState::Probe:
        return "PROBE";
    default:
        return "FREE";
    }
}

py::dict neighbor_dict(const pico::nd::Neighbor& n, pico::TimeMs now) {
    py::dict d;
    d["ip"] = ipv6_text(n.ip);
    d["mac"] =
        n.state == pico::nd::NeighborState::Incomplete ? py::object(py::none()) : py::str(mac_text(n.mac));
    d["state"] = state_name(n.state);
    d["router"] = n.is_router;
    d["ifindex"] = n.ifindex;
    d["probes"] = n.probes;
    d["queued"] = n.pending.size(); // packets waiting for resolution
    d["timer_ms"] = n.deadline > now ? static_cast<long long>(n.deadline - now) : 0LL;
    return d;
}

} // namespace

void bind_nd(py::module_& m) {
    py::class_<PyNd>(m, "Nd", "IPv6 Neighbor Discovery (RFC 4861)")
        .def(
            "lookup",
            [](PyNd& api, py::handle dev, const std::string& ip) -> py::object {
                auto mac = pico::nd::lookup(stack_of(api.stack), ifindex_of(dev), to_ipv6(ip));
                if (!mac) return py::none();
                return py::str(mac_text(*mac));
            },
            py::arg("dev"), py::arg("ip"), "The link-layer address of a neighbour (any state but INCOMPLETE)")
        .def(
            "neighbor",
            [](PyNd& api, py::handle dev, const std::string& ip) -> py::object {
                pico::Stack& s = stack_of(api.stack);
                const auto* n = pico::nd::find_neighbor(s, ifindex_of(dev), to_ipv6(ip));
                if (n == nullptr) return py::none();
                return neighbor_dict(*n, s.now());
            },
            py::arg("dev"), py::arg("ip"), "The neighbor cache entry of an address, or None")
        .def(
            "neighbors",
            [](PyNd& api, py::handle dev) {
                pico::Stack& s = stack_of(api.stack);
                const pico::IfIndex ifindex = ifindex_of(dev);
                py::list out;
                for (const auto& n : pico::nd::state(s).neighbors)
                    if (n.state != pico::nd::NeighborState::Free && n.ifindex == ifindex)
                        out.append(neighbor_dict(n, s.now()));
                return out;
            },
            py::arg("dev"), "Neighbor cache entries of a device: dicts(ip, mac, state, router, ...)")
        .def(
            "routers",
            [](PyNd& api) {
                pico::Stack& s = stack_of(api.stack);
                py::list out;
                for (const auto& r : pico::nd::state(s).routers) {
                    if (r.ifindex == pico::no_interface) continue;
                    py::dict d;
                    d["ifindex"] = r.ifindex;
                    d["ip"] = ipv6_text(r.address);
                    d["lifetime_ms"] =
                        r.expires > s.now() ? static_cast<long long>(r.expires - s.now()) : 0LL;
                    out.append(d);
                }
                return out;
            },
            "The Default Router List: dicts(ifindex, ip, lifetime_ms)")
        .def(
            "prefixes",
            [](PyNd& api, py::handle dev) {
                pico::Stack& s = stack_of(api.stack);
                const pico::IfIndex ifindex = ifindex_of(dev);
                py::list out;
                for (const auto& p : pico::nd::state(s).prefixes) {
                    if (p.ifindex != ifindex) continue;
                    py::dict d;
                    d["prefix"] = ipv6_text(p.prefix) + "/" + std::to_string(p.prefix_len);
                    d["infinite"] = p.infinite;
                    d["lifetime_ms"] = p.infinite || p.expires <= s.now()
                                           ? 0LL
                                           : static_cast<long long>(p.expires - s.now());
                    out.append(d);
                }
                return out;
            },
            py::arg("dev"), "On-link prefixes of a device: dicts(prefix, infinite, lifetime_ms)")
        .def(
            "redirects",
            [](PyNd& api) {
                py::list out;
                for (const auto& r : pico::nd::state(stack_of(api.stack)).redirects) {
                    if (r.ifindex == pico::no_interface) continue;
                    py::dict d;
                    d["ifindex"] = r.ifindex;
                    d["destination"] = ipv6_text(r.destination);
                    d["target"] = ipv6_text(r.target);
                    out.append(d);
                }
                return out;
            },
            "The destination cache entries learnt from Redirects")
        .def(
            "next_hop",
            [](PyNd& api, const std::string& destination, py::object dev) -> py::object {
                pico::IfIndex ifindex = dev.is_none() ? pico::no_interface : ifindex_of(dev);
                auto hop = pico::nd::next_hop(stack_of(api.stack), to_ipv6(destination), ifindex);
                if (!hop) return py::none();
                py::dict d;
                d["ifindex"] = hop->ifindex;
                d["next_hop"] = ipv6_text(hop->next_hop);
                return d;
            },
            py::arg("destination"), py::arg("dev") = py::none(), "Next-hop determination (RFC 4861 5.2)")
        .def(
            "confirm_reachable",
            [](PyNd& api, py::handle dev, const std::string& ip) {
                pico::nd::confirm_reachable(stack_of(api.stack), ifindex_of(dev), to_ipv6(ip));
            },
            py::arg("dev"), py::arg("ip"), "Upper-layer reachability confirmation (RFC 4861 7.3.1)")
        .def(
            "negative_advice",
            [](PyNd& api, py::handle dev, const std::string& ip) {
                pico::nd::negative_advice(stack_of(api.stack), ifindex_of(dev), to_ipv6(ip));
            },
            py::arg("dev"), py::arg("ip"), "Upper-layer hint that a neighbour may be gone: probe it")
        .def(
            "flush", [](PyNd& api, py::handle dev) { pico::nd::flush(stack_of(api.stack), ifindex_of(dev)); },
            py::arg("dev"), "Forget everything ND learnt on a device")
        .def(
            "start_router_solicitation",
            [](PyNd& api, py::handle dev) {
                pico::nd::start_router_solicitation(stack_of(api.stack), ifindex_of(dev));
            },
            py::arg("dev"),
            "Router Solicitations now (RFC 4861 6.3.7: up to 3, 4 s apart, after a random 0-1 s delay), from "
            "an address of the device, or from :: without a Source Link-Layer Address option when it has "
            "none")
        .def_property_readonly(
            "queued", [](PyNd& api) { return pico::nd::state(stack_of(api.stack)).queued; },
            "Packets waiting for address resolution, all neighbours together")
        .def(
            "reachable_time",
            [](PyNd& api, py::handle dev) {
                return pico::nd::reachable_time(stack_of(api.stack), ifindex_of(dev));
            },
            py::arg("dev"), "ReachableTime of a device in ms (randomised, RFC 4861 6.3.2)")
        .def(
            "base_reachable_time",
            [](PyNd& api, py::handle dev) {
                pico::IfIndex i = ifindex_of(dev);
                return pico::nd::state(stack_of(api.stack)).links.at(i).base_reachable_ms;
            },
            py::arg("dev"), "BaseReachableTime of a device in ms")
        .def(
            "retrans_time",
            [](PyNd& api, py::handle dev) {
                return pico::nd::retrans_time(stack_of(api.stack), ifindex_of(dev));
            },
            py::arg("dev"), "RetransTimer of a device in ms")
        .def_property_readonly("evictions",
                               [](PyNd& api) { return pico::nd::state(stack_of(api.stack)).evictions; })
        .def_property_readonly("rs_sent",
                               [](PyNd& api) { return pico::nd::state(stack_of(api.stack)).rs_sent; })
        .def_property_readonly_static("capacity", [](py::object) {
            py::dict d;
            d["neighbors"] = pico::config::nd_neighbors;
            d["routers"] = pico::config::nd_routers;
            d["prefixes"] = pico::config::nd_prefixes;
            d["redirects"] = pico::config::nd_redirects;
            d["queue_per_entry"] = pico::config::nd_queue_per_entry;
            d["queue_frames"] = pico::nd::queue_limit;
            return d;
        });
    add_stack_property(m, "nd", py::cpp_function([](py::object self) { return PyNd{self}; }),
                       "IPv6 Neighbor Discovery: neighbor cache, routers, prefixes");

    if constexpr (pico::config::slaac) {
        py::class_<PySlaac>(m, "Slaac", "IPv6 stateless address autoconfiguration (RFC 4862, RFC 7217)")
            .def(
                "start",
                [](PySlaac& api, py::handle dev) {
                    return pico::slaac::start(stack_of(api.stack), ifindex_of(dev));
                },
                py::arg("dev"), "Link-local address (tentative, DAD), then Router Solicitations")
            .def(
                "stable_address",
                [](PySlaac& api, py::handle dev, const std::string& prefix, int dad_counter) {
                    return ipv6_text(pico::slaac::stable_address(stack_of(api.stack), ifindex_of(dev),
                                                                 to_ipv6(prefix),
                                                                 static_cast<std::uint8_t>(dad_counter)));
                },
                py::arg("dev"), py::arg("prefix"), py::arg("dad_counter") = 0,
                "The RFC 7217 address for a /64 prefix and DAD_Counter")
            .def(
                "dad_in_progress",
                [](PySlaac& api, py::handle dev) {
                    const pico::IfIndex ifindex = ifindex_of(dev);
                    py::list out;
                    for (const auto& d : pico::slaac::state(stack_of(api.stack)).dad)
                        if (d.ifindex == ifindex) out.append(ipv6_text(d.address));
                    return out;
                },
                py::arg("dev"), "Addresses of a device in Duplicate Address Detection")
            .def(
                "set_secret_key",
                [](PySlaac& api, const py::bytes& key) {
                    const std::string k = key;
                    if (k.size() != 16) throw py::value_error("the secret key is 16 octets");
                    std::array<std::uint8_t, 16> out{};
                    for (std::size_t i = 0; i < out.size(); ++i)
                        out[i] = static_cast<std::uint8_t>(k[i]);
                    pico::slaac::set_secret_key(stack_of(api.stack), out);
                },
                py::arg("key"), "RFC 7217 5 secret key (16 octets) for the identifiers generated from now on")
            .def(
                "set_identifier_function",
                [](PySlaac& api, py::object fn) {
                    pico::Stack& stack = stack_of(api.stack);
                    auto& functions = identifier_functions();
                    if (fn.is_none()) {
                        pico::slaac::set_identifier_function(stack, nullptr, nullptr);
                        functions.erase(&stack);
                        return;
                    }
                    py::object& held = functions[&stack];
                    held = fn;
                    pico::slaac::set_identifier_function(stack, call_identifier_function, &held);
                },
                py::arg("fn"),
                "RFC 7217 5 F(): fn(input: bytes, key: bytes) -> int (64 bits; input = Prefix(8) | ifindex | "
                "MAC | DAD_Counter); None restores SipHash-2-4")
            .def_property_readonly(
                "reserved_skipped",
                [](PySlaac& api) { return pico::slaac::state(stack_of(api.stack)).reserved_skipped; },
                "Generated identifiers not used because RFC 5453 reserves them")
            .def_property_readonly(
                "dad_failures",
                [](PySlaac& api) { return pico::slaac::state(stack_of(api.stack)).dad_failures; })
            .def_property_readonly("addresses_configured", [](PySlaac& api) {
                return pico::slaac::state(stack_of(api.stack)).addresses_configured;
            });
        add_stack_property(m, "slaac", py::cpp_function([](py::object self) { return PySlaac{self}; }),
                           "IPv6 stateless address autoconfiguration");
    }
}

} // namespace picobind
