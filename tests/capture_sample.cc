// Writes the capture_scenario.h world to a pcapng and a pcap, for the check_capture.py
// tests in tests/meson.build: capture_sample OUT.pcapng OUT.pcap
#include <cstdio>

#include "tests/capture_scenario.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: capture_sample OUT.pcapng OUT.pcap\n");
    return 2;
  }
  using synlab::sim::CaptureFormat;
  for (auto [format, path] :
       {std::pair{CaptureFormat::kPcapng, argv[1]}, std::pair{CaptureFormat::kPcap, argv[2]}}) {
    synlab::testing::CaptureScenario s({.format = format, .path = path});
    if (auto r = s.run(); !r.ok()) {
      std::fprintf(stderr, "capture_sample: %s\n", r.error().c_str());
      return 1;
    }
  }
  return 0;
}
