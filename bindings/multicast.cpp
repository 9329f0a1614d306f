// Python API of IGMP (stack.igmp) and MLD (stack.mld): join/leave groups on a device, list them, read the
// compatibility mode in force and a group's interface filter; and the multicast methods of picotcp.UdpSocket
// (RFC 3678 shape: join_group, leave_group, join_source_group, leave_source_group, block_source,
// unblock_source, set_filter, get_filter), added here to the class module.cpp defines.
#include "binding_api.hpp"
#include "net/igmp.hpp"
#include "net/mld.hpp"
#include "transport/udp.hpp"

#include <pybind11/stl.h>

#include <array>
#include <vector>

namespace picobind {

namespace {

struct PyIgmp {
    py::object stack;
};
struct PyMld {
    py::object stack;
};

// A group's interface filter as ("include"|"exclude", [sources]), None without reception state.
template <class Filter, class Text> py::object filter_tuple(const Filter* filter, Text text) {
    if (filter == nullptr) return py::none();
    py::list sources;
    for (const auto& source : filter->sources.span())
        sources.append(text(source));
    return py::make_tuple(filter->exclude ? "exclude" : "include", sources);
}

pico::udp::FilterMode mode_arg(const std::string& mode) {
    if (mode == "include") return pico::udp::FilterMode::Include;
    if (mode == "exclude") return pico::udp::FilterMode::Exclude;
    throw py::value_error("mode is \"include\" or \"exclude\"");
}

// The stack and handle of an open picotcp.UdpSocket.
struct UdpTarget {
    pico::Stack* stack;
    pico::SocketHandle handle;
};
UdpTarget udp_target(py::handle socket) {
    if (socket.attr("closed").cast<bool>()) raise_socket_error(pico::SocketError::Closed);
    return UdpTarget{&stack_of(socket.attr("stack")), socket.attr("handle").cast<pico::SocketHandle>()};
}
void check_udp(pico::SocketError error) {
    if (error != pico::SocketError::Ok) raise_socket_error(error);
}

template <class F> void add_udp_method(py::object& cls, const char* name, F&& f, const char* doc) {
    cls.attr(name) = py::cpp_function(std::forward<F>(f), py::name(name), py::is_method(cls),
                                      py::sibling(py::getattr(cls, name, py::none())), doc);
}

void bind_udp_multicast(py::module_& m) {
    if (!py::hasattr(m, "UdpSocket")) return;
    py::object cls = m.attr("UdpSocket");
    using Op = pico::SocketError (*)(pico::Stack&, pico::SocketHandle, pico::IfIndex, const pico::IpAddr&);
    using SourceOp = pico::SocketError (*)(pico::Stack&, pico::SocketHandle, pico::IfIndex,
                                           const pico::IpAddr&, const pico::IpAddr&);
    auto group_op = [](Op op) {
        return [op](py::handle self, py::handle dev, const std::string& group) {
            UdpTarget t = udp_target(self);
            check_udp(op(*t.stack, t.handle, ifindex_of(dev), to_ip(group)));
        };
    };
    auto source_op = [](SourceOp op) {
        return [op](py::handle self, py::handle dev, const std::string& group, const std::string& source) {
            UdpTarget t = udp_target(self);
            check_udp(op(*t.stack, t.handle, ifindex_of(dev), to_ip(group), to_ip(source)));
        };
    };
    add_udp_method(cls, "join_group", group_op(&pico::udp::join_group),
                   "join_group(dev, group): any-source join (EXCLUDE({})) on a device");
    add_udp_method(cls, "leave_group", group_op(&pico::udp::leave_group),
                   "leave_group(dev, group): drop the socket's membership of a group");
    add_udp_method(cls, "join_source_group", source_op(&pico::udp::join_source_group),
                   "join_source_group(dev, group, source): INCLUDE mode, add a source");
    add_udp_method(cls, "leave_source_group", source_op(&pico::udp::leave_source_group),
                   "leave_source_group(dev, group, source): INCLUDE mode, remove a source");
    add_udp_method(cls, "block_source", source_op(&pico::udp::block_source),
                   "block_source(dev, group, source): EXCLUDE mode (after join_group), block a source");
    add_udp_method(cls, "unblock_source", source_op(&pico::udp::unblock_source),
                   "unblock_source(dev, group, source): EXCLUDE mode, unblock a source");
    add_udp_method(
        cls, "set_filter",
        [](py::handle self, py::handle dev, const std::string& group, const std::string& mode,
           const std::vector<std::string>& sources) {
            UdpTarget t = udp_target(self);
            std::vector<pico::IpAddr> list;
            list.reserve(sources.size());
            for (const std::string& source : sources)
                list.push_back(to_ip(source));
            check_udp(pico::udp::set_filter(*t.stack, t.handle, ifindex_of(dev), to_ip(group), mode_arg(mode),
                                            std::span<const pico::IpAddr>{list.data(), list.size()}));
        },
        "set_filter(dev, group, mode, sources): the socket's filter for a group, mode \"include\" or "
        "\"exclude\" (IPMulticastListen, RFC 3376 3 / RFC 3810 3); include with no sources leaves");
    add_udp_method(
        cls, "get_filter",
        [](py::handle self, py::handle dev, const std::string& group) -> py::object {
            UdpTarget t = udp_target(self);
            std::array<pico::IpAddr, pico::config::udp_multicast_sources> out{};
            std::size_t count = 0;
            pico::udp::FilterMode mode = pico::udp::FilterMode::Include;
            pico::SocketError error =
                pico::udp::get_filter(*t.stack, t.handle, ifindex_of(dev), to_ip(group), mode, out, count);
            if (error == pico::SocketError::AddressNotAvailable) return py::none();
            check_udp(error);
            py::list sources;
            for (std::size_t k = 0; k < count && k < out.size(); ++k)
                sources.append(ip_text(out[k]));
            return py::make_tuple(mode == pico::udp::FilterMode::Exclude ? "exclude" : "include", sources);
        },
        "get_filter(dev, group) -> (mode, [sources]) of the socket's membership, or None");
}

} // namespace

void bind_multicast(py::module_& m) {
    if constexpr (pico::config::udp) bind_udp_multicast(m);
    if constexpr (pico::config::igmp) {
        py::class_<PyIgmp>(m, "Igmp", "IGMPv3 host (RFC 3376) with IGMPv1/v2 compatibility")
            .def(
                "join",
                [](PyIgmp& api, py::handle dev, const std::string& group) {
                    return pico::igmp::join(stack_of(api.stack), ifindex_of(dev), to_ipv4(group));
                },
                py::arg("dev"), py::arg("group"),
                "Join a group for any source (reference counted); False when the table is full")
            .def(
                "leave",
                [](PyIgmp& api, py::handle dev, const std::string& group) {
                    return pico::igmp::leave(stack_of(api.stack), ifindex_of(dev), to_ipv4(group));
                },
                py::arg("dev"), py::arg("group"), "Drop one join of a group; False if not joined")
            .def(
                "is_member",
                [](PyIgmp& api, py::handle dev, const std::string& group) {
                    return pico::igmp::is_member(stack_of(api.stack), ifindex_of(dev), to_ipv4(group));
                },
                py::arg("dev"), py::arg("group"))
            .def(
                "groups",
                [](PyIgmp& api, py::handle dev) {
                    std::array<pico::Ipv4Addr, pico::config::igmp_groups> out{};
                    std::size_t n = pico::igmp::groups(stack_of(api.stack), ifindex_of(dev), out);
                    py::list list;
                    for (std::size_t i = 0; i < n; ++i)
                        list.append(ipv4_text(out[i]));
                    return list;
                },
                py::arg("dev"), "The joined groups of a device")
            .def(
                "version",
                [](PyIgmp& api, py::handle dev) {
                    return static_cast<int>(pico::igmp::version(stack_of(api.stack), ifindex_of(dev)));
                },
                py::arg("dev"), "Host Compatibility Mode: 3, 2 or 1")
            .def(
                "filter",
                [](PyIgmp& api, py::handle dev, const std::string& group) {
                    return filter_tuple(
                        pico::igmp::filter(stack_of(api.stack), ifindex_of(dev), to_ipv4(group)), ipv4_text);
                },
                py::arg("dev"), py::arg("group"),
                "The group's interface state (\"include\"|\"exclude\", [sources]); None without state");
        add_stack_property(m, "igmp",
                           py::cpp_function([](py::object self) { return PyIgmp{std::move(self)}; }),
                           "IGMP host: join/leave/groups/version");
    }
    if constexpr (pico::config::mld) {
        py::class_<PyMld>(m, "Mld", "MLDv2 listener (RFC 3810) with MLDv1 compatibility")
            .def(
                "join",
                [](PyMld& api, py::handle dev, const std::string& group) {
                    return pico::mld::join(stack_of(api.stack), ifindex_of(dev), to_ipv6(group));
                },
                py::arg("dev"), py::arg("group"),
                "Listen to an address for any source (reference counted); False when the table is full")
            .def(
                "leave",
                [](PyMld& api, py::handle dev, const std::string& group) {
                    return pico::mld::leave(stack_of(api.stack), ifindex_of(dev), to_ipv6(group));
                },
                py::arg("dev"), py::arg("group"), "Drop one join of an address; False if not joined")
            .def(
                "is_member",
                [](PyMld& api, py::handle dev, const std::string& group) {
                    return pico::mld::is_member(stack_of(api.stack), ifindex_of(dev), to_ipv6(group));
                },
                py::arg("dev"), py::arg("group"))
            .def(
                "groups",
                [](PyMld& api, py::handle dev) {
                    std::array<pico::Ipv6Addr, pico::config::mld_groups> out{};
                    std::size_t n = pico::mld::groups(stack_of(api.stack), ifindex_of(dev), out);
                    py::list list;
                    for (std::size_t i = 0; i < n; ++i)
                        list.append(ipv6_text(out[i]));
                    return list;
                },
                py::arg("dev"), "The joined addresses of a device")
            .def(
                "version",
                [](PyMld& api, py::handle dev) {
                    return static_cast<int>(pico::mld::version(stack_of(api.stack), ifindex_of(dev)));
                },
                py::arg("dev"), "Host Compatibility Mode: 2 or 1")
            .def(
                "filter",
                [](PyMld& api, py::handle dev, const std::string& group) {
                    return filter_tuple(
                        pico::mld::filter(stack_of(api.stack), ifindex_of(dev), to_ipv6(group)),
                        [](const pico::Ipv6Addr& a) { return ipv6_text(a); });
                },
                py::arg("dev"), py::arg("group"),
                "The address's interface state (\"include\"|\"exclude\", [sources]); None without state");
        add_stack_property(m, "mld", py::cpp_function([](py::object self) { return PyMld{std::move(self)}; }),
                           "MLD listener: join/leave/groups/version");
    }
}

} // namespace picobind
