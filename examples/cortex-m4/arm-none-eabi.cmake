# Toolchain file of the firmware project (examples/cortex-m4/CMakeLists.txt, which uses it when no other is
# given): bare-metal Cortex-M4 with Debian's arm-none-eabi GCC (gcc-arm-none-eabi +
# libstdc++-arm-none-eabi-newlib). The cortex-m4 preset (the library alone, cross-built) uses it too.
#
# The flags pick the thumb/v7e-m+fp/hard multilib of newlib (hard-float FPv4-SP, as on an STM32F4 or the
# mps2-an386 board). Code generation is freestanding-friendly: no exceptions, no RTTI, one section per function
# and per object so that the image's --gc-sections drops everything unused.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar CACHE FILEPATH "archiver")
set(CMAKE_RANLIB arm-none-eabi-ranlib CACHE FILEPATH "ranlib")
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size")

# There is no OS to run a test executable on: compiler checks build a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(PICO_ARM_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(PICO_ARM_CODEGEN_FLAGS "-ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${PICO_ARM_CPU_FLAGS} ${PICO_ARM_CODEGEN_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT
    "${PICO_ARM_CPU_FLAGS} ${PICO_ARM_CODEGEN_FLAGS} -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
set(CMAKE_ASM_FLAGS_INIT "${PICO_ARM_CPU_FLAGS}")
# MinSizeRel adds -Os -DNDEBUG (CMake's default for GNU).
# newlib-nano and stub system calls; unused sections are discarded at link time.
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs --specs=nosys.specs -Wl,--gc-sections")

# Look for programs on the host, for libraries and headers only in the target's sysroot.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
