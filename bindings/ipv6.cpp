// Python API of the module(s) named in binding_api.hpp for bind_ipv6. (Stub: the issue-4 work fills it.)
#include "binding_api.hpp"

namespace picobind {

void bind_ipv6(py::module_& m) {
    (void)m;
}

} // namespace picobind
