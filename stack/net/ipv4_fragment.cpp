// IPv4 fragmentation on send (RFC 791 3.2), option PICO_IPV4_FRAGMENTATION. (Stub: the issue-4 work fills it.)
#include "net/ipv4.hpp"
