#include "core/drop.hpp"

namespace pico {

const char* drop_name(Drop reason) {
    switch (reason) {
#define PICO_DROP_NAME(name)                                                                                 \
    case Drop::name:                                                                                         \
        return #name;
        PICO_DROP_REASONS(PICO_DROP_NAME)
#undef PICO_DROP_NAME
    case Drop::Count:
        break;
    }
    return "?";
}

} // namespace pico
