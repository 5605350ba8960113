// Compares two captures record by record: how golden captures are checked.
//
// The answer is the first difference, said the way a person looks for it in Wireshark:
// "frame 3: bytes differ at offset 40 (expected 0x12, actual 0x13)". Frame numbers are
// 1-based, as Wireshark numbers them.
#pragma once

#include <optional>
#include <string>

#include "sim/capture/capture_reader.h"

namespace synlab::sim {

struct CaptureDiffOptions {
  bool timestamps = true;
  bool comments = true;
  bool interfaces = true;  // compare interface names (pcapng)
};

// Nothing when the captures hold the same records; else the first difference.
std::optional<std::string> first_difference(const CaptureFile& expected, const CaptureFile& actual,
                                            const CaptureDiffOptions& options = {});

}  // namespace synlab::sim
