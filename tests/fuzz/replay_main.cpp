// tessera — tests/fuzz/replay_main.cpp
//
// A stand-in for libFuzzer's main, so every fuzz target also builds with any compiler and
// runs its kept corpus as a regression test:
//
//     fuzz_jws_replay tests/fuzz/corpus/fuzz_jws [more dirs or files...]
//
// Each argument is a file or a directory (walked recursively, in sorted order so runs are
// repeatable). Every file is passed once to LLVMFuzzerTestOneInput; a crash, an assertion or
// a sanitizer report fails the run. LLVMFuzzerInitialize is called first when the target
// defines it. Fails when an argument does not exist or when no input was found at all: a
// replay that ran nothing must not pass.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

bool read_file(const std::filesystem::path& path, std::vector<std::uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus dir or file>...\n", argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);

  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    std::error_code ec;
    if (fs::is_regular_file(arg, ec)) {
      inputs.push_back(arg);
    } else if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
      if (ec) {
        std::fprintf(stderr, "cannot read directory %s: %s\n", arg.c_str(), ec.message().c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "no such corpus file or directory: %s\n", arg.c_str());
      return 2;
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::fprintf(stderr, "no inputs found: commit a corpus under tests/fuzz/corpus/<target>/\n");
    return 2;
  }

  std::vector<std::uint8_t> data;
  for (const auto& path : inputs) {
    if (!read_file(path, data)) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    // Print before running, so a crash names its input.
    std::fprintf(stderr, "replay %s (%zu bytes)\n", path.c_str(), data.size());
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
