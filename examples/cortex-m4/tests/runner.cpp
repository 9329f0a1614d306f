#include "runner.hpp"
#include "semihosting.hpp"

namespace m4test {

namespace {

struct TestCase {
    const char* name;
    const char* file;
    TestFunction function;
};

constexpr std::size_t max_tests = 128;

// The runner's state: one object, filled by the static initialisers of the test files.
struct Registry {
    TestCase tests[max_tests];
    std::size_t count;
    std::size_t lost; // registrations beyond max_tests
    std::uint32_t checks;
    std::uint32_t failed_checks;
    const TestCase* current;
};
// Zero-initialised (.bss) before any static initialiser runs, so registration order does not matter.
Registry registry;

const char* base_name(const char* path) {
    const char* base = path;
    for (const char* p = path; *p != '\0'; ++p)
        if (*p == '/') base = p + 1;
    return base;
}

void print_failure_head(pico_m4::Line& line, const char* file, int line_number) {
    line << "  " << base_name(file) << ":" << line_number << ": ";
}

void print_value(pico_m4::Line& line, std::uint64_t value, bool is_signed) {
    if (is_signed && static_cast<std::int64_t>(value) < 0) {
        line << "-" << (std::uint64_t{0} - value);
        return;
    }
    line << value;
    if (value > 9 && value <= 0xffffffffu) {
        line << " (";
        line.hex(static_cast<std::uint32_t>(value)) << ")";
    }
}

} // namespace

bool register_test(const char* name, const char* file, TestFunction function) {
    if (registry.count == max_tests) {
        ++registry.lost;
        return false;
    }
    registry.tests[registry.count++] = TestCase{name, file, function};
    return true;
}

bool check(bool ok, const char* expression, const char* file, int line_number) {
    ++registry.checks;
    if (!ok) {
        ++registry.failed_checks;
        pico_m4::Line line;
        print_failure_head(line, file, line_number);
        (line << "CHECK(" << expression << ") failed").print();
    }
    return ok;
}

bool check_equal(bool ok, std::uint64_t actual, std::uint64_t expected, bool is_signed,
                 const char* actual_text, const char* expected_text, const char* file, int line_number) {
    ++registry.checks;
    if (!ok) {
        ++registry.failed_checks;
        pico_m4::Line line;
        print_failure_head(line, file, line_number);
        line << "CHECK_EQ(" << actual_text << ", " << expected_text << ") failed";
        if (actual != 0 || expected != 0) {
            line << ": ";
            print_value(line, actual, is_signed);
            line << " != ";
            print_value(line, expected, is_signed);
        }
        line.print();
    }
    return ok;
}

int run_all() {
    std::size_t failed_tests = 0;
    for (std::size_t i = 0; i < registry.count; ++i) {
        const TestCase& test = registry.tests[i];
        registry.current = &test;
        const std::uint32_t failed_before = registry.failed_checks;
        const std::uint32_t checks_before = registry.checks;
        test.function();
        const bool passed = registry.failed_checks == failed_before;
        if (!passed) ++failed_tests;
        pico_m4::Line line;
        (line << (passed ? "[ ok ] " : "[FAIL] ") << test.name << " (" << (registry.checks - checks_before)
              << " checks)")
            .print();
    }
    registry.current = nullptr;
    pico_m4::Line summary;
    summary << registry.count << " tests, " << registry.checks << " checks, " << failed_tests << " failed";
    if (registry.lost > 0) summary << " (" << registry.lost << " tests lost: raise max_tests in runner.cpp)";
    summary.print();
    return static_cast<int>(failed_tests + registry.lost);
}

} // namespace m4test
