// Python API of the module(s) named in binding_api.hpp for bind_ipv4_path. (Stub: the issue-4 work fills it.)
#include "binding_api.hpp"

namespace picobind {

void bind_ipv4_path(py::module_& m) {
    (void)m;
}

} // namespace picobind
