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
  // Smaller bounds than the defaults (a million events, 256 MiB of repeat text): the fuzzer
  // looks for wrong handling, and a bound is a bound whatever its value; at the defaults one
  // input (tests/bad-input/ has them) takes seconds under the fuzzer's instrumentation, and
  // 20,000 hosts from one `host c{1..20000}` group were a slow unit too.
  synlab::harness::ParseLimits limits;
  limits.max_events = 5'000;
  limits.max_declarations = 2'000;
  limits.max_repeat_text = 4u << 20;
  auto s = synlab::harness::parse_scenario(text, "fuzz.scn", limits);
  if (!s) {
    const std::string report = s.error().to_string();
    if (report.find("error: ") == std::string::npos) __builtin_trap();  // every error says so
  }
  return 0;
}
