// Python API of IGMP (stack.igmp) and MLD (stack.mld): join/leave groups on a device, list them, and read the
// compatibility mode in force.
#include "binding_api.hpp"
#include "net/igmp.hpp"
#include "net/mld.hpp"

#include <array>

namespace picobind {

namespace {

struct PyIgmp {
    py::object stack;
};
struct PyMld {
    py::object stack;
};

} // namespace

void bind_multicast(py::module_& m) {
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
                py::arg("dev"), "Host Compatibility Mode: 3, 2 or 1");
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
                py::arg("dev"), "Host Compatibility Mode: 2 or 1");
        add_stack_property(m, "mld", py::cpp_function([](py::object self) { return PyMld{std::move(self)}; }),
                           "MLD listener: join/leave/groups/version");
    }
}

} // namespace picobind
