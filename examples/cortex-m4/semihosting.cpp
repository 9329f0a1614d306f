#include "semihosting.hpp"

namespace pico_m4 {

Line& Line::operator<<(const char* text) {
    while (*text != '\0')
        put(*text++);
    return *this;
}

Line& Line::operator<<(std::uint64_t value) {
    char digits[20];
    std::size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0)
        put(digits[--n]);
    return *this;
}

Line& Line::operator<<(int value) {
    if (value < 0) {
        put('-');
        return *this << (std::uint64_t{0} - static_cast<std::uint64_t>(static_cast<std::int64_t>(value)));
    }
    return *this << static_cast<std::uint64_t>(value);
}

Line& Line::hex(std::uint32_t value) {
    put('0');
    put('x');
    for (int shift = 28; shift >= 0; shift -= 4)
        put("0123456789abcdef"[(value >> shift) & 0xf]);
    return *this;
}

void Line::print() {
    put('\n');
    write0(text_);
    length_ = 0;
    text_[0] = '\0';
}

void log_sink(pico::LogLevel level, const char* text) {
    static constexpr const char* names[] = {"debug", "info", "warning", "error"};
    Line line;
    (line << "picotcp " << names[static_cast<int>(level)] << ": " << text).print();
}

} // namespace pico_m4
