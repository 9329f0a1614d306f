# cmake -DMAP=<image.map> -P check_map.cmake
# Fails if the linker pulled libstdc++'s hosted parts into the image: exception throwing or unwinding,
# iostreams, or std::terminate and its handlers. With -fno-exceptions and no iostream in stack/, none of these
# may be referenced; when one is, the map's "Archive member included to satisfy reference" section names the
# object that asked for it.
if(NOT MAP OR NOT EXISTS "${MAP}")
  message(FATAL_ERROR "check_map.cmake: map file '${MAP}' not found")
endif()
file(READ "${MAP}" map_text)

# Only the part before the cross-reference table: that table lists every symbol of every archive scanned,
# linked or not.
string(FIND "${map_text}" "Cross Reference Table" cref_at)
if(cref_at GREATER -1)
  string(SUBSTRING "${map_text}" 0 ${cref_at} map_text)
endif()

set(forbidden
  __cxa_throw __cxa_allocate_exception __cxa_begin_catch __cxa_end_catch __cxa_rethrow
  __gxx_personality_v0 _Unwind_Resume _Unwind_RaiseException __cxa_call_unexpected
  _ZSt9terminatev _ZN10__cxxabiv111__terminateEPFvvE __gnu_cxx::__verbose_terminate_handler
  _ZN9__gnu_cxx27__verbose_terminate_handlerEv
  _ZSt4cout _ZSt4cerr _ZNSt8ios_base4InitC1Ev
  _ZSt17__throw_bad_allocv _ZSt20__throw_length_errorPKc _ZSt24__throw_out_of_range_fmtPKcz
  _ZSt27__throw_bad_optional_accessv _ZSt19__throw_logic_errorPKc
  _Znwj _Znaj malloc)
set(found "")
foreach(symbol IN LISTS forbidden)
  string(FIND "${map_text}" "${symbol}" at)
  if(at GREATER -1)
    list(APPEND found ${symbol})
  endif()
endforeach()
if(found)
  message(FATAL_ERROR "The Cortex-M4 image pulls in hosted runtime parts: ${found}\n"
                      "See 'Archive member included to satisfy reference by file' in ${MAP} for who asked.")
endif()
message(STATUS "map check: no exceptions, unwinding, iostream, terminate handlers or heap in the image")
