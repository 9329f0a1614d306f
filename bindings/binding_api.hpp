// What the per-module binding files (bindings/<module>.cpp) may use of module.cpp, which owns the Stack
// wrapper: a module file defines its Python API class over a `py::object` holding the picotcp.Stack (so the
// stack outlives it) and adds it to picotcp.Stack as a read-only property with add_stack_property().
// Like module.cpp, these files are not stack/: exceptions, RTTI and std containers are fine here.
#pragma once
#include "assembly/stack.hpp"
#include "core/types.hpp"
#include "transport/socket_types.hpp"

#include <pybind11/pybind11.h>

#include <string>

namespace picobind {

namespace py = pybind11;

pico::Stack& stack_of(py::handle stack);     // a picotcp.Stack
pico::IfIndex ifindex_of(py::handle device); // a picotcp.Device (WireDevice, LinkPort)
pico::TimeMs now_of(py::handle stack);

pico::Ipv4Addr to_ipv4(const std::string& text); // ValueError when not an address
std::string ipv4_text(pico::Ipv4Addr address);
pico::Ipv6Addr to_ipv6(const std::string& text);
std::string ipv6_text(const pico::Ipv6Addr& address);
// "2001:db8::/64" (or an address alone: /128) -> (prefix, len).
std::pair<pico::Ipv6Addr, std::uint8_t> to_prefix6(const std::string& text);
// Either family from text: an IPv6 address when it holds ':'.
pico::IpAddr to_ip(const std::string& text);
std::string ip_text(const pico::IpAddr& address);
std::string mac_text(const pico::MacAddr& mac);
std::string to_bytes(const py::handle& data); // bytes, bytearray, memoryview or anything bytes() takes
[[noreturn]] void raise_socket_error(pico::SocketError error);

// Adds a read-only property `name` to picotcp.Stack; getter(stack_object) returns the module's API object.
void add_stack_property(py::module_& m, const char* name, py::cpp_function getter, const char* doc);

// Per-module registration, each defined in its own file and called by module.cpp when the module is built.
void bind_ipv6(py::module_& m);      // bindings/ipv6.cpp: stack.ipv6, stack.icmp6
void bind_nd(py::module_& m);        // bindings/nd.cpp: stack.nd, stack.slaac
void bind_multicast(py::module_& m); // bindings/multicast.cpp: stack.igmp, stack.mld
void bind_ipv4_path(py::module_& m); // bindings/ipv4_path.cpp: path MTU and fragmentation of stack.ipv4

} // namespace picobind
