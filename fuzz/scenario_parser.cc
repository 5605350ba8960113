// libFuzzer target: the scenario parser (harness/scenario/parser.h).
//
// Any bytes are a scenario file. The parser must return a Scenario or a ParseError, never
// crash, hang or trip a sanitizer, and a ParseError must format (file:line:col, the line and
// its caret) for any input. Seeds: the bundled scenarios and tests/bad-input/ (./dev fuzz).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harness/scenario/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  synlab::harness::ParseLimits limits;
  auto s = synlab::harness::parse_scenario(text, "fuzz.scn", limits);
  if (!s) {
    const std::string report = s.error().to_string();
    if (report.find("error: ") == std::string::npos) __builtin_trap();  // every error says so
  }
  return 0;
}
