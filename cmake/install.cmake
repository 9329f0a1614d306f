# cmake --install: headers, libraries, a CMake package and a pkg-config file, so another project consumes the
# stack as built here (find_package(picotcp) or pkg-config picotcp). Included from the top-level CMakeLists.txt
# for hosted builds (a firmware project adds the source tree with add_subdirectory instead).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PICOTCP_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/picotcp)
set(PICOTCP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/picotcp)

# The modules this build has, for the package (PICOTCP_MODULES, PICOTCP_WITH_<MODULE>) and pkg-config.
set(PICOTCP_MODULES "")
foreach(module IN LISTS PICO_ALL_MODULES)
  if(PICO_${module})
    list(APPEND PICOTCP_MODULES ${module})
  endif()
endforeach()

# Headers keep their layout under include/picotcp (they include each other as "core/types.hpp"), with the
# generated core/config.hpp of this build's options beside them.
install(DIRECTORY stack/ DESTINATION ${PICOTCP_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp" PATTERN "tests" EXCLUDE)
install(FILES ${CMAKE_BINARY_DIR}/generated/core/config.hpp DESTINATION ${PICOTCP_INSTALL_INCLUDEDIR}/core)

set(picotcp_install_targets picotcp_static)
if(TARGET picotcp)
  list(APPEND picotcp_install_targets picotcp)
endif()
if(TARGET picotcp_posix)
  list(APPEND picotcp_install_targets picotcp_posix)
endif()
foreach(target IN LISTS picotcp_install_targets)
  target_compile_features(${target} PUBLIC cxx_std_20) # a consumer compiles the headers as C++20
endforeach()
install(TARGETS ${picotcp_install_targets} EXPORT picotcpTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${PICOTCP_INSTALL_INCLUDEDIR})
install(EXPORT picotcpTargets NAMESPACE picotcp:: DESTINATION ${PICOTCP_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/picotcpConfig.cmake.in ${CMAKE_BINARY_DIR}/picotcpConfig.cmake
  INSTALL_DESTINATION ${PICOTCP_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/picotcpConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/picotcpConfig.cmake ${CMAKE_BINARY_DIR}/picotcpConfigVersion.cmake
  DESTINATION ${PICOTCP_INSTALL_CMAKEDIR})

string(REPLACE ";" " " PICOTCP_MODULES_TEXT "${PICOTCP_MODULES}")
file(RELATIVE_PATH PICOTCP_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(cmake/picotcp.pc.in ${CMAKE_BINARY_DIR}/picotcp.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/picotcp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
