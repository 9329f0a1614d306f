# Fails if any of FILES (a ;-list of binaries and libraries) contains fuzz canary code (stack/core/canary.hpp):
# the canary functions' symbols or their messages. ctest fuzz_no_canary_code runs it on the libraries and the
# replay drivers of every test build: the normal build never contains canary code paths.
#   cmake -DFILES="libpicotcp.a;fuzz/fuzz_replay_tcp" -P fuzz/check_no_canaries.cmake
if(NOT FILES)
  message(FATAL_ERROR "check_no_canaries: FILES is empty")
endif()
set(found "")
foreach(file IN LISTS FILES)
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "check_no_canaries: ${file} does not exist")
  endif()
  file(STRINGS "${file}" hits REGEX "_ZN4pico6canary|pico-fuzz canary tripped|PICO_FUZZ_CANARY")
  if(hits)
    list(GET hits 0 first)
    list(APPEND found "${file}: ${first}")
  endif()
endforeach()
if(found)
  string(REPLACE ";" "\n  " found "${found}")
  message(FATAL_ERROR "check_no_canaries: canary code in a build that must have none:\n  ${found}")
endif()
list(LENGTH FILES count)
message(STATUS "check_no_canaries: ${count} files, no canary code")
