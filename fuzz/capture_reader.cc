// libFuzzer target: the capture reader (sim/capture/capture_reader.h), which reads pcap,
// nanosecond pcap and pcapng files back (golden comparisons, `synlab golden`). Any bytes are
// a file: a CaptureFile or a CaptureError, never a crash. Seeds: pcaps/**.pcapng.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sim/capture/capture_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto f = synlab::sim::read_capture(std::span<const std::uint8_t>(data, size));
  if (f) {
    // Touch what a reader of the result touches.
    std::size_t bytes = 0;
    for (const auto& r : f->records) bytes += r.bytes.size();
    if (bytes > size) __builtin_trap();  // records cannot hold more than the file
  }
  return 0;
}
