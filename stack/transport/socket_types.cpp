#include "transport/socket_types.hpp"

namespace pico {

const char* socket_error_name(SocketError error) {
    switch (error) {
    case SocketError::Ok:
        return "Ok";
    case SocketError::Invalid:
        return "Invalid";
    case SocketError::Exhausted:
        return "Exhausted";
    case SocketError::AddressInUse:
        return "AddressInUse";
    case SocketError::AddressNotAvailable:
        return "AddressNotAvailable";
    case SocketError::NotBound:
        return "NotBound";
    case SocketError::NotConnected:
        return "NotConnected";
    case SocketError::NoRoute:
        return "NoRoute";
    case SocketError::TooBig:
        return "TooBig";
    case SocketError::WouldBlock:
        return "WouldBlock";
    case SocketError::QueueFull:
        return "QueueFull";
    case SocketError::Unreachable:
        return "Unreachable";
    case SocketError::Closed:
        return "Closed";
    case SocketError::ConnectionRefused:
        return "ConnectionRefused";
    case SocketError::ConnectionReset:
        return "ConnectionReset";
    case SocketError::TimedOut:
        return "TimedOut";
    case SocketError::NotListening:
        return "NotListening";
    case SocketError::AlreadyConnected:
        return "AlreadyConnected";
    case SocketError::InProgress:
        return "InProgress";
    }
    return "?";
}

} // namespace pico
