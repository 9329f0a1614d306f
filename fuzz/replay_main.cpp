// The replay driver: runs every file given (or every regular file of every directory given, not recursing;
// hidden files and README* are skipped) through the target's LLVMFuzzerTestOneInput once, in name order.
// Built with the normal compiler as fuzz_replay_<target>; ctest replays corpora/<target>/ and
// corpora/<target>/regressions/ with it under ASan/UBSan, so every committed input is a regression test.
//
// Usage: fuzz_replay_<target> PATH...   (exit 0: all inputs ran; a finding aborts through the
// sanitizer or the harness's trap, naming the input on stderr first)
#ifdef PICO_FUZZ_CANARIES
#error "the replay drivers are regression tests: never built with PICO_FUZZ_CANARIES (CMake refuses it too)"
#endif
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool skipped(const std::filesystem::path& path) {
    std::string name = path.filename().string();
    return name.empty() || name[0] == '.' || name.rfind("README", 0) == 0;
}

} // namespace

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        fs::path path(arg);
        std::error_code error;
        if (fs::is_directory(path, error)) {
            std::vector<fs::path> files;
            for (const auto& entry : fs::directory_iterator(path))
                if (entry.is_regular_file() && !skipped(entry.path())) files.push_back(entry.path());
            std::sort(files.begin(), files.end());
            inputs.insert(inputs.end(), files.begin(), files.end());
        } else if (fs::is_regular_file(path, error)) {
            inputs.push_back(path);
        } else {
            std::fprintf(stderr, "replay: %s: no such file or directory\n", arg.c_str());
            return 2;
        }
    }
    if (inputs.empty()) {
        std::fprintf(stderr, "usage: %s FILE|DIR...  (no input found)\n", argc > 0 ? argv[0] : "replay");
        return 2;
    }
    std::size_t bytes = 0;
    for (const fs::path& path : inputs) {
        std::ifstream in(path, std::ios::binary);
        std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof()) {
            std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
            return 2;
        }
        // A heap copy of exactly the input's size, so ASan sees a read past its end, as under libFuzzer;
        // never a null pointer, even for an empty input (libFuzzer never passes one either).
        std::vector<std::uint8_t> exact(data.empty() ? 1 : data.size());
        std::copy(data.begin(), data.end(), exact.begin());
        // Named before it runs: when it crashes, the last name on stderr is the culprit.
        std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), data.size());
        LLVMFuzzerTestOneInput(exact.data(), data.size());
        bytes += data.size();
    }
    std::fprintf(stderr, "replay: %zu inputs (%zu bytes) ran without a finding\n", inputs.size(), bytes);
    return 0;
}
