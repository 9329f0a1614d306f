// Python API of the module(s) named in binding_api.hpp for bind_nd. (Stub: the issue-4 work fills it.)
#include "binding_api.hpp"

namespace picobind {

void bind_nd(py::module_& m) {
    (void)m;
}

} // namespace picobind
