// Python API of the module(s) named in binding_api.hpp for bind_multicast. (Stub: the issue-4 work fills it.)
#include "binding_api.hpp"

namespace picobind {

void bind_multicast(py::module_& m) {
    (void)m;
}

} // namespace picobind
