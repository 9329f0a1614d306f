// picotcp._core: the pybind11 extension that puts one or more Stacks in a Python process, on virtual time.
//
// The Python objects own everything the C++ Stack borrows: the VirtualClock (a Python object the Stack
// wrapper keeps a reference to), the VirtualPlatform, the Stack itself (about 100 KB, so on the heap), the
// WireDevices, their capture sinks, and the state of every socket opened from Python (its callback context).
// Devices, sockets and the per-module APIs are owned by the Stack wrapper and handed to Python as references
// that keep the wrapper alive, so no C++ object can outlive what it points to.
//
// This file is not stack/: it may use exceptions, RTTI and std containers. Errors of the C++ API (return
// codes) become Python exceptions only where the Python API says so (SocketError); the rest return bool/None
// as the C++ API does. Every module-specific binding sits under `if constexpr (pico::config::<module>)`, so
// the extension builds with any module set and offers only the modules built in.
#include "assembly/stack.hpp"
#include "binding_api.hpp"
#include "core/config.hpp"
#include "core/drop.hpp"
#include "core/types.hpp"
#include "link/device.hpp"
#include "link/wire_device.hpp"
#include "port/virtual_platform.hpp"
#include "socket/socket.hpp"
#include "transport/socket_types.hpp"
#include "transport/tcp/tcp.hpp"
#if PICO_WITH_PCAP
#include "link/pcap.hpp"
#endif
#if PICO_WITH_LINKSIM
#include "link/link_sim.hpp"
#endif

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace {

// ---------------------------------------------------------------------------------------------------------
// Conversions between Python values and the stack's host types.

pico::Ipv4Addr to_ipv4(const std::string& text) {
    auto address = pico::parse_ipv4(text.c_str());
    if (!address) throw py::value_error("not an IPv4 address: '" + text + "'");
    return *address;
}

std::string ipv4_text(pico::Ipv4Addr address) {
    char buffer[16];
    pico::format_ipv4(address, buffer);
    return buffer;
}

pico::MacAddr to_mac(const std::string& text) {
    auto mac = pico::parse_mac(text.c_str());
    if (!mac) throw py::value_error("not a MAC address: '" + text + "'");
    return *mac;
}

std::string mac_text(const pico::MacAddr& mac) {
    char buffer[18];
    std::snprintf(buffer, sizeof buffer, "%02x:%02x:%02x:%02x:%02x:%02x", mac.octets[0], mac.octets[1],
                  mac.octets[2], mac.octets[3], mac.octets[4], mac.octets[5]);
    return buffer;
}

// "a.b.c.d/len" (or "a.b.c.d", a host route) -> (prefix, len).
std::pair<pico::Ipv4Addr, std::uint8_t> to_prefix(const std::string& text) {
    auto slash = text.find('/');
    if (slash == std::string::npos) return {to_ipv4(text), 32};
    std::string length = text.substr(slash + 1);
    if (length.empty() || length.size() > 2 || length.find_first_not_of("0123456789") != std::string::npos)
        throw py::value_error("not an IPv4 prefix: '" + text + "'");
    int len = std::stoi(length);
    if (len > 32) throw py::value_error("prefix length over 32: '" + text + "'");
    return {to_ipv4(text.substr(0, slash)), static_cast<std::uint8_t>(len)};
}

// Bytes from anything that offers the buffer protocol (bytes, bytearray, memoryview) or converts with
// bytes(obj) (a Scapy packet).
std::string to_bytes(const py::handle& data) {
    if (py::isinstance<py::bytes>(data)) return data.cast<std::string>();
    if (PyObject_CheckBuffer(data.ptr())) {
        Py_buffer view;
        if (PyObject_GetBuffer(data.ptr(), &view, PyBUF_SIMPLE) != 0) throw py::error_already_set();
        std::string bytes(static_cast<const char*>(view.buf), static_cast<std::size_t>(view.len));
        PyBuffer_Release(&view);
        return bytes;
    }
    py::object converted = py::module_::import("builtins").attr("bytes")(data);
    return converted.cast<std::string>();
}

pico::Bytes span_of(const std::string& bytes) {
    return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

py::bytes py_bytes(pico::Bytes bytes) {
    return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// ---------------------------------------------------------------------------------------------------------
// Socket errors: picotcp.SocketError(name), created in the module init.

PyObject* socket_error_type = nullptr;

[[noreturn]] void raise_socket_error(pico::SocketError error) {
    PyErr_SetString(socket_error_type, pico::socket_error_name(error));
    throw py::error_already_set();
}

void check(pico::SocketError error) {
    if (error != pico::SocketError::Ok) raise_socket_error(error);
}

const char* event_name(pico::SocketEvent event) {
    switch (event) {
    case pico::SocketEvent::Readable:
        return "Readable";
    case pico::SocketEvent::Writable:
        return "Writable";
    case pico::SocketEvent::Connected:
        return "Connected";
    case pico::SocketEvent::PeerClosed:
        return "PeerClosed";
    case pico::SocketEvent::Closed:
        return "Closed";
    case pico::SocketEvent::Error:
        return "Error";
    case pico::SocketEvent::Warning:
        return "Warning";
    }
    return "?";
}

pico::SocketOption option_named(const std::string& name) {
    if (name == "Ttl") return pico::SocketOption::Ttl;
    if (name == "Tos") return pico::SocketOption::Tos;
    if (name == "Broadcast") return pico::SocketOption::Broadcast;
    if (name == "RxQueue") return pico::SocketOption::RxQueue;
    // TCP (a UDP socket answers these with SocketError("Invalid"))
    if (name == "NoDelay") return pico::SocketOption::NoDelay;
    if (name == "KeepAlive") return pico::SocketOption::KeepAlive;
    if (name == "KeepIdle") return pico::SocketOption::KeepIdle;
    if (name == "KeepInterval") return pico::SocketOption::KeepInterval;
    if (name == "KeepCount") return pico::SocketOption::KeepCount;
    if (name == "Linger") return pico::SocketOption::Linger;
    if (name == "TxQueue") return pico::SocketOption::TxQueue;
    if (name == "SendSpace") return pico::SocketOption::SendSpace;
    if (name == "SendBuffer") return pico::SocketOption::SendBuffer;
    if (name == "RecvBuffer") return pico::SocketOption::RecvBuffer;
    if (name == "MaxSegment") return pico::SocketOption::MaxSegment;
    if (name == "RetransmitTimeoutMs") return pico::SocketOption::RetransmitTimeoutMs;
    if (name == "ConnectTimeoutMs") return pico::SocketOption::ConnectTimeoutMs;
    if (name == "UrgentPending") return pico::SocketOption::UrgentPending;
    if (name == "Warnings") return pico::SocketOption::Warnings;
    if (name == "ReuseAddress") return pico::SocketOption::ReuseAddress;
    throw py::value_error("unknown socket option '" + name +
                          "' (Ttl, Tos, Broadcast, RxQueue, NoDelay, KeepAlive, KeepIdle, KeepInterval, "
                          "KeepCount, Linger, TxQueue, SendSpace, SendBuffer, RecvBuffer, MaxSegment, "
                          "RetransmitTimeoutMs, ConnectTimeoutMs, UrgentPending)");
}

// ---------------------------------------------------------------------------------------------------------
// Capture: a file ByteSink for the stack's PcapWriter.

class FileSink final
#if PICO_WITH_PCAP
    : public pico::ByteSink
#endif
{
  public:
    explicit FileSink(const std::string& path) : file_(std::fopen(path.c_str(), "wb")) {
        if (file_ == nullptr)
            throw std::runtime_error("cannot open capture file '" + path + "': " + std::strerror(errno));
    }
    ~FileSink() {
        std::fclose(file_);
    }
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    void write(pico::Bytes bytes)
#if PICO_WITH_PCAP
        override
#endif
    {
        if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), file_);
    }
    void flush() {
        std::fflush(file_);
    }

  private:
    std::FILE* file_;
};

#if !PICO_WITH_PCAP
// Without the pcap module the bindings still capture, in the same classic pcap format, so every build
// leaves evidence.
class BindingPcapWriter final : public pico::FrameTap {
  public:
    BindingPcapWriter(FileSink& sink, pico::LinkType link, std::uint32_t snaplen)
        : sink_(sink), snaplen_(snaplen) {
        std::uint8_t header[24];
        put32(header + 0, 0xa1b2c3d4u);
        put16(header + 4, 2);
        put16(header + 6, 4);
        put32(header + 8, 0);
        put32(header + 12, 0);
        put32(header + 16, snaplen);
        put32(header + 20, link == pico::LinkType::RawIp ? 101u : 1u);
        sink_.write({header, sizeof header});
    }
    void on_frame(pico::TimeMs now, pico::Bytes frame, bool) override {
        std::size_t caplen = frame.size() < snaplen_ ? frame.size() : snaplen_;
        std::uint8_t record[16];
        put32(record + 0, static_cast<std::uint32_t>(now / 1000));
        put32(record + 4, static_cast<std::uint32_t>((now % 1000) * 1000));
        put32(record + 8, static_cast<std::uint32_t>(caplen));
        put32(record + 12, static_cast<std::uint32_t>(frame.size()));
        sink_.write({record, sizeof record});
        sink_.write(frame.first(caplen));
    }

  private:
    static void put16(std::uint8_t* p, std::uint16_t v) {
        p[0] = static_cast<std::uint8_t>(v);
        p[1] = static_cast<std::uint8_t>(v >> 8);
    }
    static void put32(std::uint8_t* p, std::uint32_t v) {
        for (int i = 0; i < 4; ++i)
            p[i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
    FileSink& sink_;
    std::uint32_t snaplen_;
};
using CaptureWriter = BindingPcapWriter;
#else
using CaptureWriter = pico::PcapWriter;
#endif

// The device's tap: the writer, then a flush, so the file on disk is complete after every frame (a test that
// dies, even by a sanitizer abort, still leaves its evidence).
class FlushingTap final : public pico::FrameTap {
  public:
    FlushingTap(CaptureWriter& writer, FileSink& sink) : writer_(writer), sink_(sink) {}
    void on_frame(pico::TimeMs now, pico::Bytes frame, bool outgoing) override {
        writer_.on_frame(now, frame, outgoing);
        sink_.flush();
    }

  private:
    CaptureWriter& writer_;
    FileSink& sink_;
};

struct Capture {
    std::string path;
    std::unique_ptr<FileSink> sink;
    std::unique_ptr<CaptureWriter> writer;
    std::unique_ptr<FlushingTap> tap;
};

// ---------------------------------------------------------------------------------------------------------
// The Python-side objects.

class PyStack;

// What every device a PyStack attached has for Python: its stack, name and interface index. The address,
// route and ARP calls take any Device (a WireDevice or a LinkPort), so each is bound once.
struct PyDevice {
    PyStack* owner = nullptr;
    std::string name;
    pico::IfIndex index = pico::no_interface;
};

// A WireDevice attached to a PyStack (owned by it), with its capture.
struct PyWireDevice : PyDevice {
    std::unique_ptr<pico::WireDevice> device;
    std::unique_ptr<Capture> capture;

    void stop_capture() {
        if (!capture) return;
        device->set_tap(nullptr);
        capture.reset(); // tap and writer first, then the sink closes the file
    }
};

// The state of one UDP socket opened from Python; its address is the socket callback's context.
struct PyUdpSocket {
    PyStack* owner = nullptr;
    pico::SocketHandle handle = -1;
    bool closed = false;
    py::list events; // (event name, error name), oldest first
};

// The state of one TCP socket opened (or accepted) from Python; its address is the socket callback's context.
// Owned by the PyStack, which outlives the C++ Stack's use of it (the Stack is destroyed first), so the
// callback never reaches freed memory. close() and abort() detach it: the handle stops being ours (the stack
// may keep the connection in FIN-WAIT or TIME-WAIT, and later give the handle to another socket), so no
// operation and no event reaches this object afterwards.
struct PyTcpSocket {
    PyStack* owner = nullptr;
    pico::SocketHandle handle = -1;
    bool closed = false; // close() or abort() was called: detached from the handle
    bool eof = false;    // read() reached the end of the peer's stream
    py::list events;     // (event name, error name), oldest first
};

#if PICO_WITH_LINKSIM
// A pico::Link (an in-memory cable with impairments) between two Python stacks. Its time source is a
// VirtualPlatform on the given VirtualClock (a Python object it keeps a reference to). Each PyLinkPort that
// attaches an end keeps a reference to the PyLink, so the Link outlives every stack holding its frames.
struct PyLink {
    py::object clock_object;
    std::unique_ptr<pico::VirtualPlatform> platform;
    std::unique_ptr<pico::Link> link;
    bool attached[2] = {false, false};
};

// One end of a Link attached to a PyStack (owned by it).
struct PyLinkPort : PyDevice {
    py::object link_object; // keeps the PyLink alive while the stack may hold its frames
    int side = 0;
    pico::LinkEnd* end = nullptr;
    std::unique_ptr<Capture> capture;

    void stop_capture() {
        if (!capture) return;
        end->set_tap(nullptr);
        capture.reset();
    }
    // The stack is gone: the end no longer points at this port's name and may be attached again.
    void detach() {
        stop_capture();
        end->set_name("link");
        link_object.cast<PyLink&>().attached[side] = false;
    }
};
#endif

struct PyIpv4 {
    PyStack* owner = nullptr;
};
struct PyArp {
    PyStack* owner = nullptr;
    py::list conflicts; // (ifindex, ip, mac)
};
struct PyIcmp4 {
    PyStack* owner = nullptr;
    py::list replies; // dict(src, id, seq, len, time)
};

void on_udp_event(void* context, pico::SocketHandle, pico::SocketEvent event, pico::SocketError error) {
    auto* socket = static_cast<PyUdpSocket*>(context);
    try {
        socket->events.append(py::make_tuple(event_name(event), pico::socket_error_name(error)));
    } catch (...) {
        // Never unwind through the stack's frames; a failed append (out of memory) loses one event record.
        PyErr_Clear();
    }
}

void on_tcp_event(void* context, pico::SocketHandle, pico::SocketEvent event, pico::SocketError error) {
    auto* socket = static_cast<PyTcpSocket*>(context);
    if (socket->closed) return; // detached at close()/abort()
    try {
        socket->events.append(py::make_tuple(event_name(event), pico::socket_error_name(error)));
    } catch (...) {
        PyErr_Clear();
    }
}

void on_arp_conflict(void* context, pico::IfIndex ifindex, pico::Ipv4Addr address, pico::MacAddr other) {
    auto* arp = static_cast<PyArp*>(context);
    try {
        arp->conflicts.append(py::make_tuple(static_cast<int>(ifindex), ipv4_text(address), mac_text(other)));
    } catch (...) {
        PyErr_Clear();
    }
}

class PyStack {
  public:
    PyStack(py::object clock, std::uint64_t seed) {
        if (clock.is_none()) clock = py::cast(std::make_unique<pico::VirtualClock>());
        clock_object_ = clock;
        clock_ = clock.cast<pico::VirtualClock*>(); // raises TypeError for anything else
        platform_ = std::make_unique<pico::VirtualPlatform>(*clock_, seed);
        stack_ = std::make_unique<pico::Stack>(*platform_);
        ipv4_.owner = this;
        arp_.owner = this;
        icmp4_.owner = this;
        if constexpr (pico::config::arp) pico::arp::set_conflict_handler(*stack_, &on_arp_conflict, &arp_);
        if constexpr (pico::config::icmp4)
            pico::icmp4::set_echo_reply_handler(*stack_, &on_echo_reply, &icmp4_);
    }

    ~PyStack() {
        // Frames in the device queues come from the stack's pool: give them back before the pool goes.
        for (auto& dev : devices_)
            dev->stop_capture();
        devices_.clear();
#if PICO_WITH_LINKSIM
        for (auto& port : link_ports_)
            port->stop_capture();
#endif
        stack_.reset();
        sockets_.clear();
        tcp_sockets_.clear();
#if PICO_WITH_LINKSIM
        for (auto& port : link_ports_)
            port->detach();
        link_ports_.clear(); // after the stack: its frames from the Link's pool are back
#endif
    }

    PyStack(const PyStack&) = delete;
    PyStack& operator=(const PyStack&) = delete;

    pico::Stack& stack() {
        return *stack_;
    }
    pico::VirtualClock& clock() {
        return *clock_;
    }
    py::object clock_object() const {
        return clock_object_;
    }

    PyWireDevice* add_wire_device(const std::string& name, const std::string& mac, int mtu) {
        if (mtu < 68 || mtu > 65535) throw py::value_error("mtu out of range: " + std::to_string(mtu));
        auto entry = std::make_unique<PyWireDevice>();
        entry->owner = this;
        entry->name = name;
        entry->device = std::make_unique<pico::WireDevice>(to_mac(mac), static_cast<std::uint16_t>(mtu));
        entry->device->set_name(entry->name.c_str());
        entry->index = stack_->attach(*entry->device);
        if (entry->index == pico::no_interface)
            throw std::runtime_error("no room for another device (config max_devices = " +
                                     std::to_string(pico::config::max_devices) + ")");
        devices_.push_back(std::move(entry));
        return devices_.back().get();
    }

    std::vector<PyWireDevice*> devices() {
        std::vector<PyWireDevice*> out;
        for (auto& dev : devices_)
            out.push_back(dev.get());
        return out;
    }

    PyWireDevice& device_at(pico::IfIndex index) {
        for (auto& dev : devices_)
            if (dev->index == index) return *dev;
        throw py::index_error("no device with index " + std::to_string(index));
    }

    PyUdpSocket* udp_socket() {
        if constexpr (pico::config::udp) {
            auto socket = std::make_unique<PyUdpSocket>();
            socket->owner = this;
            pico::SocketHandle handle = pico::socket::open_udp(*stack_, &on_udp_event, socket.get());
            if (handle < 0) raise_socket_error(static_cast<pico::SocketError>(-handle));
            socket->handle = handle;
            sockets_.push_back(std::move(socket));
            return sockets_.back().get();
        } else {
            throw std::runtime_error("UDP is not built in");
        }
    }

    // A new TCP socket, or (listener >= 0) the next connection accepted on listener: nullptr (None) when none
    // is ready.
    PyTcpSocket* tcp_socket(pico::SocketHandle listener = -1) {
        if constexpr (pico::config::tcp) {
            auto socket = std::make_unique<PyTcpSocket>();
            socket->owner = this;
            pico::SocketHandle handle =
                listener < 0 ? pico::tcp::open(*stack_, &on_tcp_event, socket.get())
                             : pico::tcp::accept(*stack_, listener, &on_tcp_event, socket.get());
            if (handle < 0) {
                auto error = static_cast<pico::SocketError>(-handle);
                if (listener >= 0 && error == pico::SocketError::WouldBlock) return nullptr;
                raise_socket_error(error);
            }
            socket->handle = handle;
            tcp_sockets_.push_back(std::move(socket));
            return tcp_sockets_.back().get();
        } else {
            (void)listener;
            throw std::runtime_error("TCP is not built in");
        }
    }

#if PICO_WITH_LINKSIM
    PyLinkPort* attach_link(py::object link_object, const std::string& end_name, const std::string& name) {
        auto& link = link_object.cast<PyLink&>();
        int side = end_name == "a" ? 0 : end_name == "b" ? 1 : -1;
        if (side < 0) throw py::value_error("end must be \"a\" or \"b\", not '" + end_name + "'");
        if (link.attached[side])
            throw std::runtime_error("end " + end_name + " of this Link is attached already");
        auto port = std::make_unique<PyLinkPort>();
        port->owner = this;
        port->name = name;
        port->link_object = link_object;
        port->side = side;
        port->end = side == 0 ? &link.link->a() : &link.link->b();
        port->end->set_name(port->name.c_str());
        port->index = stack_->attach(*port->end);
        if (port->index == pico::no_interface) {
            port->end->set_name("link");
            throw std::runtime_error("no room for another device (config max_devices = " +
                                     std::to_string(pico::config::max_devices) + ")");
        }
        link.attached[side] = true;
        link_ports_.push_back(std::move(port));
        return link_ports_.back().get();
    }
#endif

    py::dict stats() {
        py::dict out;
        stack_->for_each_module([&](const char* name, const pico::ModuleCounters& counters) {
            py::dict module;
            module["rx"] = counters.rx;
            module["tx"] = counters.tx;
            py::dict drop;
            for (std::size_t i = 0; i < pico::drop_reason_count; ++i)
                drop[pico::drop_name(static_cast<pico::Drop>(i))] = counters.drop[i];
            module["drop"] = drop;
            out[name] = module;
        });
        const pico::PoolStats& frames = stack_->frame_stats();
        py::dict frame_pool;
        frame_pool["capacity"] = frames.capacity;
        frame_pool["in_use"] = frames.in_use;
        frame_pool["high_water"] = frames.high_water;
        frame_pool["exhausted"] = frames.exhausted;
        py::dict timers;
        timers["capacity"] = pico::config::timer_count;
        timers["active"] = stack_->timer_queue().active_count();
        timers["exhausted"] = stack_->timer_queue().exhausted();
        py::dict pools;
        pools["frames"] = frame_pool;
        pools["timers"] = timers;
        if constexpr (pico::config::tcp) {
            std::size_t in_use = 0;
            for (const auto& tcb : pico::tcp::state(*stack_).tcbs)
                in_use += tcb.in_use ? 1 : 0;
            py::dict tcbs;
            tcbs["capacity"] = pico::config::tcp_sockets;
            tcbs["in_use"] = in_use;
            pools["tcp"] = tcbs;
        }
        out["pools"] = pools;
        return out;
    }

    PyIpv4& ipv4() {
        return ipv4_;
    }
    PyArp& arp() {
        return arp_;
    }
    PyIcmp4& icmp4() {
        return icmp4_;
    }

  private:
    static void on_echo_reply(void* context, const pico::icmp4::EchoReply& reply) {
        auto* icmp = static_cast<PyIcmp4*>(context);
        try {
            py::dict entry;
            entry["src"] = ipv4_text(reply.from);
            entry["id"] = reply.id;
            entry["seq"] = reply.sequence;
            entry["len"] = reply.payload_len;
            entry["time"] = reply.received_at;
            icmp->replies.append(entry);
        } catch (...) {
            PyErr_Clear();
        }
    }

    // Destruction order is spelled out in ~PyStack; members are declared in the order they are built.
    py::object clock_object_;
    pico::VirtualClock* clock_ = nullptr;
    std::unique_ptr<pico::VirtualPlatform> platform_;
    std::unique_ptr<pico::Stack> stack_;
    std::vector<std::unique_ptr<PyWireDevice>> devices_;
    std::vector<std::unique_ptr<PyUdpSocket>> sockets_;
    std::vector<std::unique_ptr<PyTcpSocket>> tcp_sockets_;
#if PICO_WITH_LINKSIM
    std::vector<std::unique_ptr<PyLinkPort>> link_ports_;
#endif
    PyIpv4 ipv4_;
    PyArp arp_;
    PyIcmp4 icmp4_;
};

// The TCP socket, unless close() or abort() detached it from its handle.
PyTcpSocket& live(PyTcpSocket& socket) {
    if (socket.closed) raise_socket_error(pico::SocketError::Closed);
    return socket;
}

#if PICO_WITH_LINKSIM
void link_capture_start(PyLinkPort& port, const std::string& path, std::uint32_t snaplen) {
    port.stop_capture();
    auto capture = std::make_unique<Capture>();
    capture->path = path;
    capture->sink = std::make_unique<FileSink>(path);
    capture->writer = std::make_unique<CaptureWriter>(*capture->sink, port.end->link_type(), snaplen);
    capture->sink->flush();
    capture->tap = std::make_unique<FlushingTap>(*capture->writer, *capture->sink);
    port.end->set_tap(capture->tap.get());
    port.capture = std::move(capture);
}

double probability_arg(const char* name, double p) {
    if (!(p >= 0.0 && p <= 1.0))
        throw py::value_error(std::string(name) + " must be a probability in [0, 1]");
    return p;
}

pico::Impairments impairments_arg(double loss, double duplicate, double reorder, double corrupt,
                                  std::int64_t delay_ms, std::int64_t reorder_extra_delay_ms) {
    if (delay_ms < 0 || reorder_extra_delay_ms < 0) throw py::value_error("delays are not negative");
    pico::Impairments impairments;
    impairments.loss = probability_arg("loss", loss);
    impairments.duplicate = probability_arg("duplicate", duplicate);
    impairments.reorder = probability_arg("reorder", reorder);
    impairments.corrupt = probability_arg("corrupt", corrupt);
    impairments.delay_ms = static_cast<pico::TimeMs>(delay_ms);
    impairments.reorder_extra_delay_ms = static_cast<pico::TimeMs>(reorder_extra_delay_ms);
    return impairments;
}
#endif

PyUdpSocket& open_socket(PyUdpSocket& socket) {
    if (socket.closed) raise_socket_error(pico::SocketError::Closed);
    return socket;
}

py::tuple endpoint(const pico::IpAddr& address, std::uint16_t port) {
    if (address.v6) {
        char buffer[48];
        pico::format_ipv6(address.v6addr, buffer);
        return py::make_tuple(std::string(buffer), port);
    }
    return py::make_tuple(ipv4_text(address.v4addr), port);
}

std::pair<std::string, int> endpoint_arg(const py::tuple& address) {
    if (address.size() != 2) throw py::value_error("address must be (ip, port)");
    return {address[0].cast<std::string>(), address[1].cast<int>()};
}

std::uint16_t port_arg(int port) {
    if (port < 0 || port > 65535) throw py::value_error("port out of range: " + std::to_string(port));
    return static_cast<std::uint16_t>(port);
}

void capture_start(PyWireDevice& dev, const std::string& path, std::uint32_t snaplen) {
    dev.stop_capture();
    auto capture = std::make_unique<Capture>();
    capture->path = path;
    capture->sink = std::make_unique<FileSink>(path);
    capture->writer = std::make_unique<CaptureWriter>(*capture->sink, dev.device->link_type(), snaplen);
    capture->sink->flush();
    capture->tap = std::make_unique<FlushingTap>(*capture->writer, *capture->sink);
    dev.device->set_tap(capture->tap.get());
    dev.capture = std::move(capture);
}

} // namespace

// ---- what binding_api.hpp offers the per-module binding files ----
namespace picobind {

pico::Stack& stack_of(py::handle stack) {
    return stack.cast<PyStack&>().stack();
}
pico::IfIndex ifindex_of(py::handle device) {
    return device.cast<PyDevice&>().index;
}
pico::TimeMs now_of(py::handle stack) {
    return stack.cast<PyStack&>().clock().now();
}
pico::Ipv4Addr to_ipv4(const std::string& text) {
    return ::to_ipv4(text);
}
std::string ipv4_text(pico::Ipv4Addr address) {
    return ::ipv4_text(address);
}
pico::Ipv6Addr to_ipv6(const std::string& text) {
    auto address = pico::parse_ipv6(text.c_str());
    if (!address) throw py::value_error("not an IPv6 address: '" + text + "'");
    return *address;
}
std::string ipv6_text(const pico::Ipv6Addr& address) {
    char buffer[48];
    pico::format_ipv6(address, buffer);
    return buffer;
}
std::pair<pico::Ipv6Addr, std::uint8_t> to_prefix6(const std::string& text) {
    auto slash = text.find('/');
    if (slash == std::string::npos) return {to_ipv6(text), 128};
    std::string length = text.substr(slash + 1);
    if (length.empty() || length.size() > 3 || length.find_first_not_of("0123456789") != std::string::npos)
        throw py::value_error("not an IPv6 prefix: '" + text + "'");
    int len = std::stoi(length);
    if (len > 128) throw py::value_error("prefix length over 128: '" + text + "'");
    return {to_ipv6(text.substr(0, slash)), static_cast<std::uint8_t>(len)};
}
pico::IpAddr to_ip(const std::string& text) {
    if (text.find(':') != std::string::npos) return pico::IpAddr{to_ipv6(text)};
    return pico::IpAddr{to_ipv4(text)};
}
std::string ip_text(const pico::IpAddr& address) {
    return address.v6 ? ipv6_text(address.v6addr) : ipv4_text(address.v4addr);
}
std::string mac_text(const pico::MacAddr& mac) {
    return ::mac_text(mac);
}
std::string to_bytes(const py::handle& data) {
    return ::to_bytes(data);
}
void raise_socket_error(pico::SocketError error) {
    ::raise_socket_error(error);
}
void add_stack_property(py::module_& m, const char* name, py::cpp_function getter, const char* doc) {
    py::object property =
        py::module_::import("builtins").attr("property")(getter, py::none(), py::none(), doc);
    py::setattr(m.attr("Stack"), name, property);
}

} // namespace picobind

PYBIND11_MODULE(_core, m) {
    m.doc() = "picoTCP-in-C++ bindings: stacks on virtual time, wire devices, sockets, counters";

    socket_error_type = PyErr_NewExceptionWithDoc(
        "picotcp.SocketError", "A socket operation failed; args[0] (and .name) is the SocketError name.",
        PyExc_Exception, nullptr);
    if (socket_error_type == nullptr) throw py::error_already_set();
    m.add_object("SocketError", py::handle(socket_error_type));

    m.def("drop_reasons", []() {
        std::vector<std::string> names;
        for (std::size_t i = 0; i < pico::drop_reason_count; ++i)
            names.emplace_back(pico::drop_name(static_cast<pico::Drop>(i)));
        return names;
    });
    m.def("modules", []() {
        py::dict modules;
        modules["ethernet"] = pico::config::ethernet;
        modules["arp"] = pico::config::arp;
        modules["ipv4"] = pico::config::ipv4;
        modules["ipv4_reassembly"] = pico::config::ipv4_reassembly;
        modules["ipv4_fragmentation"] = pico::config::ipv4_fragmentation;
        modules["icmp4"] = pico::config::icmp4;
        modules["igmp"] = pico::config::igmp;
        modules["ipv6"] = pico::config::ipv6;
        modules["ipv6_reassembly"] = pico::config::ipv6_reassembly;
        modules["icmp6"] = pico::config::icmp6;
        modules["nd"] = pico::config::nd;
        modules["slaac"] = pico::config::slaac;
        modules["mld"] = pico::config::mld;
        modules["udp"] = pico::config::udp;
        modules["tcp"] = pico::config::tcp;
        modules["loopback"] = pico::config::loopback;
        modules["pcap"] = pico::config::pcap;
        modules["linksim"] = pico::config::linksim;
        return modules;
    });
    m.def("config", []() {
        py::dict config;
        config["frame_count"] = pico::config::frame_count;
        config["frame_size"] = pico::config::frame_size;
        config["frame_headroom"] = pico::config::frame_headroom;
        config["max_devices"] = pico::config::max_devices;
        config["timer_count"] = pico::config::timer_count;
        config["arp_entries"] = pico::config::arp_entries;
        config["arp_queue_per_entry"] = pico::config::arp_queue_per_entry;
        config["nd_queue_per_entry"] = pico::config::nd_queue_per_entry;
        config["ipv4_addrs_per_device"] = pico::config::ipv4_addrs_per_device;
        config["ipv4_routes"] = pico::config::ipv4_routes;
        config["udp_sockets"] = pico::config::udp_sockets;
        config["udp_rx_queue"] = pico::config::udp_rx_queue;
        config["tcp_sockets"] = pico::config::tcp_sockets;
        config["tcp_send_buffer"] = pico::config::tcp_send_buffer;
        config["tcp_recv_buffer"] = pico::config::tcp_recv_buffer;
        config["tcp_half_open"] = pico::config::tcp_half_open;
        config["tcp_msl_ms"] = pico::config::tcp_msl_ms;
        config["skip_checksum_verify"] = pico::config::skip_checksum_verify;
        return config;
    });

    py::class_<pico::VirtualClock>(m, "VirtualClock", "A clock that moves only when told (milliseconds).")
        .def(py::init<>())
        .def_property_readonly("now_ms", &pico::VirtualClock::now)
        .def(
            "advance",
            [](pico::VirtualClock& clock, std::int64_t ms) {
                if (ms < 0) throw py::value_error("time does not go backwards");
                clock.advance(static_cast<pico::TimeMs>(ms));
            },
            py::arg("ms"))
        .def(
            "set",
            [](pico::VirtualClock& clock, std::int64_t ms) {
                if (ms < 0 || static_cast<pico::TimeMs>(ms) < clock.now())
                    throw py::value_error("time does not go backwards");
                clock.set(static_cast<pico::TimeMs>(ms));
            },
            py::arg("ms"))
        .def("__repr__", [](const pico::VirtualClock& c) {
            return "<VirtualClock now_ms=" + std::to_string(c.now()) + ">";
        });

    py::class_<PyDevice>(m, "Device", "A device attached to a Stack (WireDevice or LinkPort).")
        .def_property_readonly("index", [](const PyDevice& d) { return static_cast<int>(d.index); })
        .def_property_readonly("name", [](const PyDevice& d) { return d.name; });

    py::class_<PyWireDevice, PyDevice>(m, "WireDevice",
                                       "An Ethernet device whose wire is two in-memory queues.")
        .def_property_readonly("mac", [](const PyWireDevice& d) { return mac_text(d.device->mac()); })
        .def_property_readonly("mtu", [](const PyWireDevice& d) { return d.device->mtu(); })
        .def(
            "inject",
            [](PyWireDevice& d, py::object frame) {
                std::string bytes = to_bytes(frame);
                return d.owner->stack().inject(d.index, span_of(bytes));
            },
            py::arg("frame"), "Receive a frame now; it is processed before this returns. False if dropped.")
        .def(
            "deliver",
            [](PyWireDevice& d, py::object frame) {
                std::string bytes = to_bytes(frame);
                auto buf = d.owner->stack().frame_pool().allocate_copy(span_of(bytes), 0);
                if (!buf) return false;
                return d.device->deliver(std::move(*buf));
            },
            py::arg("frame"),
            "Queue a frame for the stack's next poll(). False if the pool or queue is full.")
        .def(
            "collect",
            [](PyWireDevice& d) {
                py::list out;
                while (auto frame = d.device->collect())
                    out.append(py_bytes(frame->bytes()));
                return out;
            },
            "Frames the stack transmitted, oldest first (drains the queue).")
        .def_property_readonly("pending_tx", [](const PyWireDevice& d) { return d.device->pending_tx(); })
        .def(
            "start_capture",
            [](PyWireDevice& d, const std::string& path, std::uint32_t snaplen) {
                capture_start(d, path, snaplen);
            },
            py::arg("path"), py::arg("snaplen") = 65535u)
        .def("stop_capture", &PyWireDevice::stop_capture)
        .def_property_readonly("capture_path",
                               [](const PyWireDevice& d) -> py::object {
                                   if (!d.capture) return py::none();
                                   return py::str(d.capture->path);
                               })
        .def("__repr__", [](const PyWireDevice& d) {
            return "<WireDevice " + d.name + " index=" + std::to_string(d.index) +
                   " mac=" + mac_text(d.device->mac()) + ">";
        });

    auto stack_class = py::class_<PyStack>(m, "Stack", "One TCP/IP stack on a VirtualClock.");
    stack_class
        .def(py::init<py::object, std::uint64_t>(), py::arg("clock") = py::none(), py::arg("seed") = 1u)
        .def_property_readonly("clock", &PyStack::clock_object)
        .def_property_readonly("now_ms", [](PyStack& s) { return s.clock().now(); })
        .def("add_wire_device", &PyStack::add_wire_device, py::arg("name"), py::arg("mac"),
             py::arg("mtu") = 1500, py::return_value_policy::reference_internal)
        .def_property_readonly("devices", &PyStack::devices, py::return_value_policy::reference_internal)
        .def(
            "poll", [](PyStack& s, std::size_t budget) { return s.stack().poll(budget); },
            py::arg("budget") = 64u, "Receive from devices, fire due timers; returns the frames received.")
        .def("stats", &PyStack::stats);

    if constexpr (pico::config::udp) {
        py::class_<PyUdpSocket>(m, "UdpSocket", "A UDP socket; errors raise picotcp.SocketError(name).")
            .def_property_readonly("handle", [](const PyUdpSocket& s) { return s.handle; })
            .def_property_readonly("closed", [](const PyUdpSocket& s) { return s.closed; })
            .def_property_readonly( // the owning picotcp.Stack, for methods added by bindings/multicast.cpp
                "stack",
                [](const PyUdpSocket& s) { return py::cast(s.owner, py::return_value_policy::reference); })
            .def_readonly("events", &PyUdpSocket::events)
            .def(
                "bind",
                [](PyUdpSocket& s, const std::string& ip, int port) {
                    check(pico::socket::bind(open_socket(s).owner->stack(), s.handle, picobind::to_ip(ip),
                                             port_arg(port)));
                },
                py::arg("ip"), py::arg("port"))
            .def(
                "connect",
                [](PyUdpSocket& s, const std::string& ip, int port) {
                    check(pico::socket::connect(open_socket(s).owner->stack(), s.handle, picobind::to_ip(ip),
                                                port_arg(port)));
                },
                py::arg("ip"), py::arg("port"))
            .def(
                "sendto",
                [](PyUdpSocket& s, py::object data, py::tuple address) {
                    std::string bytes = to_bytes(data);
                    auto [ip, port] = endpoint_arg(address);
                    check(pico::socket::send_to(open_socket(s).owner->stack(), s.handle, span_of(bytes),
                                                picobind::to_ip(ip), port_arg(port)));
                    return bytes.size();
                },
                py::arg("data"), py::arg("address"))
            .def(
                "send",
                [](PyUdpSocket& s, py::object data) {
                    std::string bytes = to_bytes(data);
                    check(pico::socket::send(open_socket(s).owner->stack(), s.handle, span_of(bytes)));
                    return bytes.size();
                },
                py::arg("data"))
            .def(
                "recvfrom",
                [](PyUdpSocket& s, std::size_t max) -> py::object {
                    std::vector<std::uint8_t> buffer(max);
                    pico::socket::RecvInfo info;
                    pico::SocketError error =
                        pico::socket::recv_from(open_socket(s).owner->stack(), s.handle,
                                                pico::MutBytes{buffer.data(), buffer.size()}, info);
                    if (error == pico::SocketError::WouldBlock) return py::none();
                    check(error);
                    return py::make_tuple(py_bytes(pico::Bytes{buffer.data(), info.copied}),
                                          endpoint(info.source, info.source_port));
                },
                py::arg("max") = 65535u,
                "(data, (ip, port)) of the oldest datagram, or None when none is queued.")
            .def_property_readonly("local",
                                   [](PyUdpSocket& s) {
                                       pico::IpAddr address;
                                       std::uint16_t port = 0;
                                       check(pico::socket::local_endpoint(open_socket(s).owner->stack(),
                                                                          s.handle, address, port));
                                       return endpoint(address, port);
                                   })
            .def(
                "set_option",
                [](PyUdpSocket& s, const std::string& name, int value) {
                    check(pico::socket::set_option(open_socket(s).owner->stack(), s.handle,
                                                   option_named(name), value));
                },
                py::arg("name"), py::arg("value"))
            .def(
                "get_option",
                [](PyUdpSocket& s, const std::string& name) {
                    int value = 0;
                    check(pico::socket::get_option(open_socket(s).owner->stack(), s.handle,
                                                   option_named(name), value));
                    return value;
                },
                py::arg("name"))
            .def("close", [](PyUdpSocket& s) {
                if (s.closed) return;
                s.closed = true;
                check(pico::socket::close(s.owner->stack(), s.handle));
            });
        stack_class.def("udp_socket", &PyStack::udp_socket, py::return_value_policy::reference_internal);
    }

    if constexpr (pico::config::ipv4) {
        py::class_<PyIpv4>(m, "Ipv4", "IPv4 addresses and routes of a Stack.")
            .def(
                "add_address",
                [](PyIpv4& api, const PyDevice& dev, const std::string& ip, int prefix) {
                    if (prefix < 0 || prefix > 32) return false;
                    return pico::ipv4::add_address(api.owner->stack(), dev.index, to_ipv4(ip),
                                                   static_cast<std::uint8_t>(prefix));
                },
                py::arg("dev"), py::arg("ip"), py::arg("prefix"))
            .def(
                "remove_address",
                [](PyIpv4& api, const PyDevice& dev, const std::string& ip) {
                    return pico::ipv4::remove_address(api.owner->stack(), dev.index, to_ipv4(ip));
                },
                py::arg("dev"), py::arg("ip"))
            .def(
                "add_route",
                [](PyIpv4& api, const std::string& prefix, const std::string& via, const PyDevice* dev) {
                    auto [address, len] = to_prefix(prefix);
                    return pico::ipv4::add_route(api.owner->stack(), address, len, to_ipv4(via),
                                                 dev != nullptr ? dev->index : pico::no_interface);
                },
                py::arg("prefix"), py::arg("via") = "0.0.0.0", py::arg("dev") = py::none())
            .def(
                "remove_route",
                [](PyIpv4& api, const std::string& prefix) {
                    auto [address, len] = to_prefix(prefix);
                    return pico::ipv4::remove_route(api.owner->stack(), address, len);
                },
                py::arg("prefix"))
            .def(
                "route",
                [](PyIpv4& api, const std::string& destination) -> py::object {
                    auto result = pico::ipv4::route(api.owner->stack(), to_ipv4(destination));
                    if (!result) return py::none();
                    py::dict out;
                    out["ifindex"] = static_cast<int>(result->ifindex);
                    out["next_hop"] = ipv4_text(result->next_hop);
                    out["source"] = ipv4_text(result->source);
                    return out;
                },
                py::arg("destination"))
            .def_property_readonly(
                "negative_advice",
                [](PyIpv4& api) { return pico::ipv4::state(api.owner->stack()).negative_advice; },
                "How many times a transport gave negative advice (RFC 1122 3.3.1.4: its retransmissions "
                "reached "
                "R1), each making ARP resolve the next hop afresh.");
        stack_class.def_property_readonly("ipv4", &PyStack::ipv4,
                                          py::return_value_policy::reference_internal);
    }

    if constexpr (pico::config::arp) {
        py::class_<PyArp>(m, "Arp", "The ARP cache of a Stack and the address conflicts it saw (RFC 5227).")
            .def(
                "lookup",
                [](PyArp& api, const PyDevice& dev, const std::string& ip) -> py::object {
                    auto mac = pico::arp::lookup(api.owner->stack(), dev.index, to_ipv4(ip));
                    if (!mac) return py::none();
                    return py::str(mac_text(*mac));
                },
                py::arg("dev"), py::arg("ip"))
            .def(
                "flush",
                [](PyArp& api, const PyDevice& dev) { pico::arp::flush(api.owner->stack(), dev.index); },
                py::arg("dev"))
            .def(
                "announce",
                [](PyArp& api, const PyDevice& dev, const std::string& ip) {
                    pico::arp::announce(api.owner->stack(), dev.index, to_ipv4(ip));
                },
                py::arg("dev"), py::arg("ip"))
            .def_readonly("conflicts", &PyArp::conflicts);
        stack_class.def_property_readonly("arp", &PyStack::arp, py::return_value_policy::reference_internal);
    }

    if constexpr (pico::config::icmp4) {
        py::class_<PyIcmp4>(m, "Icmp4", "ICMPv4 ping client of a Stack.")
            .def(
                "ping",
                [](PyIcmp4& api, const std::string& destination, int id, int seq, py::object payload) {
                    if (id < 0 || id > 0xffff || seq < 0 || seq > 0xffff)
                        throw py::value_error("id and seq are 16-bit values");
                    std::string bytes = to_bytes(payload);
                    return pico::icmp4::send_echo_request(api.owner->stack(), to_ipv4(destination),
                                                          static_cast<std::uint16_t>(id),
                                                          static_cast<std::uint16_t>(seq), span_of(bytes));
                },
                py::arg("destination"), py::arg("id") = 1, py::arg("seq") = 1,
                py::arg("payload") = py::bytes())
            .def_readonly("replies", &PyIcmp4::replies);
        stack_class.def_property_readonly("icmp4", &PyStack::icmp4,
                                          py::return_value_policy::reference_internal);
    }
    if constexpr (pico::config::tcp) {
        py::class_<PyTcpSocket>(
            m, "TcpSocket",
            "A TCP socket (non-blocking); errors raise picotcp.SocketError(name). After close() or abort() "
            "the "
            "object is detached from the connection (which the stack may keep in FIN-WAIT or TIME-WAIT): "
            "state reads \"CLOSED\", events stop, and other operations raise SocketError('Closed').")
            .def_property_readonly("handle", [](const PyTcpSocket& s) { return s.handle; })
            .def_property_readonly("closed", [](const PyTcpSocket& s) { return s.closed; })
            .def_property_readonly(
                "eof", [](const PyTcpSocket& s) { return s.eof; },
                "True once read() reached the end of the peer's stream (its FIN).")
            .def_readonly("events", &PyTcpSocket::events)
            .def(
                "bind",
                [](PyTcpSocket& s, const std::string& ip, int port) {
                    check(pico::tcp::bind(live(s).owner->stack(), s.handle, picobind::to_ip(ip),
                                          port_arg(port)));
                },
                py::arg("ip"), py::arg("port"))
            .def(
                "listen",
                [](PyTcpSocket& s, int backlog) {
                    if (backlog < 0 || backlog > 255) throw py::value_error("backlog out of range 0..255");
                    check(pico::tcp::listen(live(s).owner->stack(), s.handle,
                                            static_cast<std::uint8_t>(backlog)));
                },
                py::arg("backlog") = 8)
            .def(
                "accept", [](PyTcpSocket& s) { return live(s).owner->tcp_socket(s.handle); },
                py::return_value_policy::reference_internal,
                "The next connection that completed its handshake (a new TcpSocket with its own events), or "
                "None when none is ready.")
            .def(
                "connect",
                [](PyTcpSocket& s, const std::string& ip, int port) {
                    check(pico::tcp::connect(live(s).owner->stack(), s.handle, picobind::to_ip(ip),
                                             port_arg(port)));
                },
                py::arg("ip"), py::arg("port"))
            .def(
                "write",
                [](PyTcpSocket& s, py::object data) {
                    std::string bytes = to_bytes(data);
                    std::size_t written = 0;
                    pico::SocketError error =
                        pico::tcp::write(live(s).owner->stack(), s.handle, span_of(bytes), written);
                    if (error == pico::SocketError::WouldBlock) return std::size_t{0};
                    check(error);
                    return written;
                },
                py::arg("data"), "Bytes the send buffer took (0 when it is full).")
            .def(
                "write_urgent",
                [](PyTcpSocket& s, py::object data) {
                    std::string bytes = to_bytes(data);
                    std::size_t written = 0;
                    pico::SocketError error =
                        pico::tcp::write_urgent(live(s).owner->stack(), s.handle, span_of(bytes), written);
                    if (error == pico::SocketError::WouldBlock) return std::size_t{0};
                    check(error);
                    return written;
                },
                py::arg("data"), "Urgent data (RFC 9293 3.8.5): bytes the send buffer took (0 when full).")
            .def(
                "read",
                [](PyTcpSocket& s, std::size_t max) -> py::object {
                    if (max == 0) throw py::value_error("max must be at least 1");
                    std::vector<std::uint8_t> buffer(max);
                    std::size_t got = 0;
                    bool eof = false;
                    pico::SocketError error =
                        pico::tcp::read(live(s).owner->stack(), s.handle,
                                        pico::MutBytes{buffer.data(), buffer.size()}, got, eof);
                    if (error == pico::SocketError::WouldBlock) return py::none();
                    check(error);
                    if (got == 0) {
                        if (!eof) return py::none();
                        s.eof = true;
                    }
                    return py_bytes(pico::Bytes{buffer.data(), got});
                },
                py::arg("max") = 65536u,
                "Up to max received bytes in order; b\"\" at the end of the stream, None when nothing is "
                "buffered.")
            .def(
                "shutdown",
                [](PyTcpSocket& s, const std::string& how) {
                    pico::Stack& stack = live(s).owner->stack();
                    if (how == "write") {
                        check(pico::tcp::shutdown_write(stack, s.handle));
                    } else if (how == "read") {
                        check(pico::tcp::shutdown_read(stack, s.handle));
                    } else if (how == "both") {
                        pico::SocketError write_error = pico::tcp::shutdown_write(stack, s.handle);
                        pico::SocketError read_error = pico::tcp::shutdown_read(stack, s.handle);
                        check(write_error);
                        check(read_error);
                    } else {
                        throw py::value_error("shutdown how must be \"read\", \"write\" or \"both\", not '" +
                                              how + "'");
                    }
                },
                py::arg("how") = "both")
            .def(
                "close",
                [](PyTcpSocket& s) {
                    if (s.closed) return;
                    // Detach first: the stack keeps the connection (FIN-WAIT, TIME-WAIT) and reuses the
                    // handle later; nothing of it reaches this object any more (the Closed event included).
                    s.closed = true;
                    pico::tcp::set_callback(s.owner->stack(), s.handle, nullptr, nullptr);
                    check(pico::tcp::close(s.owner->stack(), s.handle));
                },
                "Graceful close (or per the Linger option); the object is detached from the connection.")
            .def(
                "abort",
                [](PyTcpSocket& s) {
                    if (s.closed) return;
                    s.closed = true;
                    pico::tcp::set_callback(s.owner->stack(), s.handle, nullptr, nullptr);
                    check(pico::tcp::abort(s.owner->stack(), s.handle));
                },
                "Reset the connection (RST) and free it at once.")
            .def(
                "set_option",
                [](PyTcpSocket& s, const std::string& name, int value) {
                    check(pico::tcp::set_option(live(s).owner->stack(), s.handle, option_named(name), value));
                },
                py::arg("name"), py::arg("value"))
            .def(
                "get_option",
                [](PyTcpSocket& s, const std::string& name) {
                    int value = 0;
                    check(pico::tcp::get_option(live(s).owner->stack(), s.handle, option_named(name), value));
                    return value;
                },
                py::arg("name"))
            .def_property_readonly("state",
                                   [](PyTcpSocket& s) -> std::string {
                                       if (s.closed) return "CLOSED";
                                       pico::tcp::TcpState state = pico::tcp::TcpState::Closed;
                                       check(pico::tcp::connection_state(s.owner->stack(), s.handle, state));
                                       return pico::tcp::state_name(state);
                                   })
            .def_property_readonly(
                "info",
                [](PyTcpSocket& s) {
                    pico::tcp::ConnectionInfo i;
                    check(pico::tcp::connection_info(live(s).owner->stack(), s.handle, i));
                    py::dict d;
                    d["state"] = pico::tcp::state_name(i.state);
                    d["iss"] = i.iss;
                    d["snd_una"] = i.snd_una;
                    d["snd_nxt"] = i.snd_nxt;
                    d["snd_max"] = i.snd_max;
                    d["snd_wnd"] = i.snd_wnd;
                    d["irs"] = i.irs;
                    d["rcv_nxt"] = i.rcv_nxt;
                    d["rcv_wnd"] = i.rcv_wnd;
                    d["cwnd"] = i.cwnd;
                    d["ssthresh"] = i.ssthresh;
                    d["flight_size"] = i.flight_size;
                    d["duplicate_acks"] = i.duplicate_acks;
                    d["in_recovery"] = i.in_recovery;
                    d["sack_recovery"] = i.sack_recovery;
                    d["srtt_ms"] = i.srtt_ms;
                    d["rttvar_ms"] = i.rttvar_ms;
                    d["rto_ms"] = i.rto_ms;
                    d["retransmissions"] = i.retransmissions;
                    d["send_mss"] = i.send_mss;
                    d["peer_mss"] = i.peer_mss;
                    d["snd_wscale"] = i.snd_wscale;
                    d["rcv_wscale"] = i.rcv_wscale;
                    d["ws_ok"] = i.ws_ok;
                    d["ts_ok"] = i.ts_ok;
                    d["sack_ok"] = i.sack_ok;
                    return d;
                },
                "A snapshot of the connection's variables (pico::tcp::ConnectionInfo, like Linux TCP_INFO): "
                "state, sequence numbers, windows, cwnd/ssthresh/flight_size, duplicate_acks, in_recovery, "
                "sack_recovery, srtt_ms/rttvar_ms/rto_ms, retransmissions, MSS and negotiated options.")
            .def_property_readonly(
                "soft_error",
                [](PyTcpSocket& s) -> std::string {
                    pico::SocketError error = pico::SocketError::Ok;
                    check(pico::tcp::soft_error(live(s).owner->stack(), s.handle, error));
                    return pico::socket_error_name(error);
                },
                "The last soft error (an ICMP error that did not abort the connection, RFC 1122 4.2.3.9): "
                "its SocketError name, \"Ok\" when none.")
            .def_property_readonly(
                "local",
                [](PyTcpSocket& s) {
                    pico::IpAddr address;
                    std::uint16_t port = 0;
                    check(pico::tcp::local_endpoint(live(s).owner->stack(), s.handle, address, port));
                    return endpoint(address, port);
                })
            .def_property_readonly(
                "remote",
                [](PyTcpSocket& s) {
                    pico::IpAddr address;
                    std::uint16_t port = 0;
                    check(pico::tcp::remote_endpoint(live(s).owner->stack(), s.handle, address, port));
                    return endpoint(address, port);
                })
            .def("__repr__", [](PyTcpSocket& s) {
                std::string text = "<TcpSocket handle=" + std::to_string(s.handle);
                pico::tcp::TcpState state = pico::tcp::TcpState::Closed;
                if (s.closed)
                    text += " closed";
                else if (pico::tcp::connection_state(s.owner->stack(), s.handle, state) ==
                         pico::SocketError::Ok)
                    text += std::string(" ") + pico::tcp::state_name(state);
                return text + ">";
            });
        stack_class.def(
            "tcp_socket", [](PyStack& s) { return s.tcp_socket(); },
            py::return_value_policy::reference_internal);
    }

#if PICO_WITH_LINKSIM
    py::class_<PyLink>(
        m, "Link",
        "An in-memory Ethernet cable between two stacks with seeded impairments (pico::Link). "
        "Attach its ends with Stack.attach_link(link, \"a\") and Stack.attach_link(link, \"b\"); "
        "frames cross when the stacks poll.")
        .def(py::init([](py::object clock, std::uint64_t seed, double loss, double duplicate, double reorder,
                         double corrupt, std::int64_t delay_ms, std::int64_t reorder_extra_delay_ms,
                         const std::string& mac_a, const std::string& mac_b, int mtu) {
                 if (mtu < 68 || mtu > 65535)
                     throw py::value_error("mtu out of range: " + std::to_string(mtu));
                 auto link = std::make_unique<PyLink>();
                 link->clock_object = clock;
                 auto* virtual_clock = clock.cast<pico::VirtualClock*>();
                 if (virtual_clock == nullptr) throw py::type_error("clock must be a picotcp.VirtualClock");
                 link->platform = std::make_unique<pico::VirtualPlatform>(*virtual_clock, seed);
                 link->link = std::make_unique<pico::Link>(
                     *link->platform, seed,
                     impairments_arg(loss, duplicate, reorder, corrupt, delay_ms, reorder_extra_delay_ms),
                     to_mac(mac_a), to_mac(mac_b), static_cast<std::uint16_t>(mtu));
                 return link;
             }),
             py::arg("clock"), py::arg("seed") = 1u, py::arg("loss") = 0.0, py::arg("duplicate") = 0.0,
             py::arg("reorder") = 0.0, py::arg("corrupt") = 0.0, py::arg("delay_ms") = 0,
             py::arg("reorder_extra_delay_ms") = 5, py::arg("mac_a") = "02:00:00:00:00:0a",
             py::arg("mac_b") = "02:00:00:00:00:0b", py::arg("mtu") = 1500)
        .def(
            "set_impairments",
            [](PyLink& l, double loss, double duplicate, double reorder, double corrupt,
               std::int64_t delay_ms, std::int64_t reorder_extra_delay_ms) {
                l.link->set_impairments(
                    impairments_arg(loss, duplicate, reorder, corrupt, delay_ms, reorder_extra_delay_ms));
            },
            py::arg("loss") = 0.0, py::arg("duplicate") = 0.0, py::arg("reorder") = 0.0,
            py::arg("corrupt") = 0.0, py::arg("delay_ms") = 0, py::arg("reorder_extra_delay_ms") = 5)
        .def_property_readonly("in_flight", [](const PyLink& l) { return l.link->in_flight(); })
        .def("stats", [](const PyLink& l) {
            pico::LinkStats stats = l.link->stats();
            py::dict out;
            out["transmitted"] = stats.transmitted;
            out["delivered"] = stats.delivered;
            out["lost"] = stats.lost;
            out["duplicated"] = stats.duplicated;
            out["reordered"] = stats.reordered;
            out["corrupted"] = stats.corrupted;
            out["overflow"] = stats.overflow;
            out["oversize"] = stats.oversize;
            return out;
        });

    py::class_<PyLinkPort, PyDevice>(m, "LinkPort",
                                     "One end of a Link attached to a Stack (a device of that stack).")
        .def_property_readonly("mac", [](const PyLinkPort& p) { return mac_text(p.end->mac()); })
        .def_property_readonly("mtu", [](const PyLinkPort& p) { return p.end->mtu(); })
        .def(
            "start_capture",
            [](PyLinkPort& p, const std::string& path, std::uint32_t snaplen) {
                link_capture_start(p, path, snaplen);
            },
            py::arg("path"), py::arg("snaplen") = 65535u)
        .def("stop_capture", &PyLinkPort::stop_capture)
        .def("__repr__", [](const PyLinkPort& p) {
            return "<LinkPort " + p.name + " index=" + std::to_string(p.index) +
                   " mac=" + mac_text(p.end->mac()) + ">";
        });
    stack_class.def("attach_link", &PyStack::attach_link, py::arg("link"), py::arg("end"),
                    py::arg("name") = "link0", py::return_value_policy::reference_internal);

#endif

    if constexpr (pico::config::ipv6) picobind::bind_ipv6(m);
    if constexpr (pico::config::nd) picobind::bind_nd(m);
    if constexpr (pico::config::igmp || pico::config::mld) picobind::bind_multicast(m);
    if constexpr (pico::config::ipv4) picobind::bind_ipv4_path(m);
}
