// Replays fuzz inputs without libFuzzer: each file named on the command line (or each file in
// a folder named there) goes once through the target's LLVMFuzzerTestOneInput. Built with
// every configuration (GCC, ASan + UBSan), so the crashers kept in tests/fuzz-regressions/
// stay regression tests in `./dev test` and CI whatever the compiler. Prints TAP, one point
// per file; a crash or sanitizer report ends the process, which the test harness reports.
//
// `--frames` (wire_receive): each capture file (.pcapng, .pcap) named after it is read with synlab's capture
// reader and each of its frames replayed as wire_receive's input (fuzz/wire_receive.cc), once
// to the server and once to the client, the way tools/fuzz_seeds.py makes the fuzzer's seeds.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sim/capture/capture_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  // Each input, and whether it is a capture whose frames are the inputs (after --frames).
  std::vector<std::pair<fs::path, bool>> files;
  bool frames = false;
  auto is_capture = [](const fs::path& p) { return p.extension() == ".pcapng" || p.extension() == ".pcap"; };
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--frames") {
      frames = true;
      continue;
    }
    const fs::path p = argv[i];
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(p)) {
        if (!e.is_regular_file() || e.path().filename().string()[0] == '.') continue;
        if (frames && !is_capture(e.path())) continue;
        files.emplace_back(e.path(), frames);
      }
    } else {
      files.emplace_back(p, frames);
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
  for (const auto& [f, capture] : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::printf("not ok %d - %s: cannot read\n", ++n, f.c_str());
      continue;
    }
    const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (capture) {
      auto cap = synlab::sim::read_capture(data);
      if (!cap) {
        std::printf("not ok %d - %s: not a capture: %s\n", ++n, f.c_str(), cap.error().message.c_str());
        continue;
      }
      for (const auto& r : cap->records) {
        if (r.bytes.size() > 0xffff) continue;
        for (const std::uint8_t flags : {std::uint8_t{4}, std::uint8_t{6}}) {
          std::vector<std::uint8_t> input{flags, static_cast<std::uint8_t>(r.bytes.size() >> 8),
                                          static_cast<std::uint8_t>(r.bytes.size())};
          input.insert(input.end(), r.bytes.begin(), r.bytes.end());
          LLVMFuzzerTestOneInput(input.data(), input.size());
        }
      }
      std::printf("ok %d - %s: %zu frames\n", ++n, f.c_str(), cap->records.size());
      std::fflush(stdout);
      continue;
    }
    LLVMFuzzerTestOneInput(data.data(), data.size());
    std::printf("ok %d - %s\n", ++n, f.c_str());
    std::fflush(stdout);
  }
  return 0;
}
