# Module options, their dependencies, and the generated config.hpp.
#
# Every protocol module is one option. A module that is OFF is not compiled at all: its sources are left out of
# the library and code that would call it is discarded by `if constexpr` over config.hpp.
# Dependencies are declared once here (picoTCP's MODTREE idea); ci/modcheck builds each module alone with only
# the modules this table says it needs.

set(PICO_ALL_MODULES ETHERNET ARP IPV4 ICMP4 UDP LOOPBACK PCAP LINKSIM)

option(PICO_ETHERNET "Ethernet II framing (RFC 894)" ON)
option(PICO_ARP "ARP (RFC 826) and address conflict detection (RFC 5227)" ON)
option(PICO_IPV4 "IPv4 (RFC 791, RFC 1122 3.2.1)" ON)
option(PICO_ICMP4 "ICMPv4 (RFC 792, RFC 1122 3.2.2)" ON)
option(PICO_UDP "UDP (RFC 768) and UDP sockets" ON)
option(PICO_LOOPBACK "Loopback device" ON)
option(PICO_PCAP "pcap writer usable on any device" ON)
option(PICO_LINKSIM "In-memory Link joining two stacks, with seeded impairments" ON)

# Module -> modules it needs (all of them). "A|B" means at least one of A and B.
set(PICO_DEPS_ARP ETHERNET IPV4)
set(PICO_DEPS_ICMP4 IPV4)
set(PICO_DEPS_UDP "IPV4")

function(pico_check_dependencies)
  foreach(module IN LISTS PICO_ALL_MODULES)
    if(NOT PICO_${module})
      continue()
    endif()
    foreach(dep IN LISTS PICO_DEPS_${module})
      string(REPLACE "|" ";" alternatives "${dep}")
      set(found OFF)
      foreach(alt IN LISTS alternatives)
        if(PICO_${alt})
          set(found ON)
        endif()
      endforeach()
      if(NOT found)
        string(REPLACE "|" " or " readable "${dep}")
        message(FATAL_ERROR "PICO_${module} needs PICO_${readable}: turn it on, or turn PICO_${module} off.")
      endif()
    endforeach()
  endforeach()
endfunction()
pico_check_dependencies()

# Pool capacities (RAM is decided here, at build time; exhaustion is a counted drop).
set(PICO_FRAME_COUNT 48 CACHE STRING "Frames in the packet pool")
set(PICO_FRAME_SIZE 1600 CACHE STRING "Bytes per frame buffer (headroom + largest frame)")
set(PICO_FRAME_HEADROOM 64 CACHE STRING "Headroom reserved in each frame for headers pushed on transmit")
set(PICO_MAX_DEVICES 4 CACHE STRING "Devices attached to one stack")
set(PICO_TIMER_COUNT 32 CACHE STRING "Timers")
set(PICO_ARP_ENTRIES 16 CACHE STRING "ARP cache entries")
set(PICO_IPV4_ADDRS_PER_DEVICE 4 CACHE STRING "IPv4 addresses per device")
set(PICO_IPV4_ROUTES 8 CACHE STRING "IPv4 routes (besides the connected routes)")
set(PICO_MULTICAST_GROUPS 8 CACHE STRING "Link-layer multicast groups joined per device")
set(PICO_UDP_SOCKETS 8 CACHE STRING "UDP sockets")
set(PICO_UDP_RX_QUEUE 8 CACHE STRING "Datagrams queued per UDP socket")
set(PICO_SKIP_CHECKSUM_VERIFY OFF CACHE BOOL "Fuzz builds only: accept wrong checksums so mutations reach deep code")

foreach(module IN LISTS PICO_ALL_MODULES)
  if(PICO_${module})
    set(PICO_${module}_VALUE true)
    set(PICO_${module}_NUM 1)
  else()
    set(PICO_${module}_VALUE false)
    set(PICO_${module}_NUM 0)
  endif()
endforeach()
if(PICO_SKIP_CHECKSUM_VERIFY)
  set(PICO_SKIP_CHECKSUM_VERIFY_VALUE true)
else()
  set(PICO_SKIP_CHECKSUM_VERIFY_VALUE false)
endif()
