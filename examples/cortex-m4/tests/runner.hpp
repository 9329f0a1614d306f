// A tiny test runner for the on-target unit tests (no heap, no exceptions, no printf): TEST(name) registers a
// function into a fixed table at static-initialisation time (startup.cpp runs .init_array before main);
// CHECK/CHECK_EQ record one check each and print "file:line: ..." over semihosting when it fails, and the
// test goes on; REQUIRE/REQUIRE_EQ also return from the test function. run_all() prints one line per test and
// the summary "N tests, M checks, F failed"; main's return value (0 only when nothing failed) becomes QEMU's
// exit status.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace m4test {

using TestFunction = void (*)();

// Adds a test to the table; false (and the test is reported as lost) when the table is full.
bool register_test(const char* name, const char* file, TestFunction function);
// Runs every registered test; returns the number of failed tests (lost ones included).
int run_all();

// Records one check; prints the failure. Returns ok.
bool check(bool ok, const char* expression, const char* file, int line);
// The same for a comparison of two integer-like values, printing both.
bool check_equal(bool ok, std::uint64_t actual, std::uint64_t expected, bool is_signed,
                 const char* actual_text, const char* expected_text, const char* file, int line);

template <class A, class B>
bool check_eq(const A& actual, const B& expected, const char* actual_text, const char* expected_text,
              const char* file, int line) {
    const bool ok = actual == expected;
    if constexpr ((std::is_integral_v<A> || std::is_enum_v<A>)&&(std::is_integral_v<B> ||
                                                                 std::is_enum_v<B>)) {
        constexpr bool is_signed = std::is_signed_v<A> || std::is_signed_v<B>;
        return check_equal(ok, static_cast<std::uint64_t>(actual), static_cast<std::uint64_t>(expected),
                           is_signed, actual_text, expected_text, file, line);
    } else {
        return check_equal(ok, 0, 0, false, actual_text, expected_text, file, line);
    }
}

} // namespace m4test

#define M4TEST_CONCAT2(a, b) a##b
#define M4TEST_CONCAT(a, b) M4TEST_CONCAT2(a, b)

#define TEST(name)                                                                                           \
    static void M4TEST_CONCAT(m4test_, name)();                                                              \
    [[maybe_unused]] static const bool M4TEST_CONCAT(m4test_registered_, name) =                             \
        m4test::register_test(#name, __FILE__, M4TEST_CONCAT(m4test_, name));                                \
    static void M4TEST_CONCAT(m4test_, name)()

#define CHECK(expression) m4test::check(static_cast<bool>(expression), #expression, __FILE__, __LINE__)
#define CHECK_EQ(actual, expected)                                                                           \
    m4test::check_eq((actual), (expected), #actual, #expected, __FILE__, __LINE__)
#define REQUIRE(expression)                                                                                  \
    do {                                                                                                     \
        if (!CHECK(expression)) return;                                                                      \
    } while (false)
#define REQUIRE_EQ(actual, expected)                                                                         \
    do {                                                                                                     \
        if (!CHECK_EQ(actual, expected)) return;                                                             \
    } while (false)
