// Replays fuzz inputs without libFuzzer: each file named on the command line (or each file in
// a folder named there) goes once through the target's LLVMFuzzerTestOneInput. Built with
// every configuration (GCC, ASan + UBSan), so the crashers kept in tests/fuzz-regressions/
// stay regression tests in `./dev test` and CI whatever the compiler. Prints TAP, one point
// per file; a crash or sanitizer report ends the process, which the test harness reports.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path p = argv[i];
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(p)) {
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
      }
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    // meson reports this as a skip, with the reason.
    std::printf("1..0 # SKIP no inputs: the regression folder is empty (no crash found yet)\n");
    return 0;
  }
  std::printf("1..%zu\n", files.size());
  int n = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::printf("not ok %d - %s: cannot read\n", ++n, f.c_str());
      continue;
    }
    const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(data.data(), data.size());
    std::printf("ok %d - %s\n", ++n, f.c_str());
    std::fflush(stdout);
  }
  return 0;
}
