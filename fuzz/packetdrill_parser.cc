// libFuzzer target: the packetdrill front end's parser (harness/drill/drill.h, parse_drill).
//
// Any bytes are a .pkt script. parse_drill must return a DrillScript or a DrillError, never
// crash, hang or trip a sanitizer, and a DrillError must format as "file:line:col: error: ..."
// for any input. The script is translated, never run: a run of an arbitrary script may take
// minutes of virtual time, and the runner has its own target (scenario_parser feeds it text).
//
// The target reads no file. A word ending in `defaults.sh` in a shell line is the only thing
// parse_drill opens (relative to the script, or as written when absolute), so every such word
// is dropped from the input first: the corpus's init lines then translate to nothing and the
// fuzzer gets past them, where a failed read would end every seed at line 1. The path names a
// folder that does not exist besides. Seeds: every .pkt of ../shared/conformance/packetdrill
// (tools/fuzz_seeds.py, read from there, not copied).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "harness/drill/drill.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Longer scripts add nothing the fuzzer can reach with shorter ones, and the translation
  // re-parses the generated scenario text (quadratic helpers would time out, not crash).
  if (size > (256u << 10)) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kDefaults = "defaults.sh";
  for (std::size_t at = text.find(kDefaults); at != std::string::npos;
       at = text.find(kDefaults, at)) {
    std::size_t word = at;
    while (word > 0 && !std::isspace(static_cast<unsigned char>(text[word - 1])) &&
           text[word - 1] != '`')
      --word;
    text.erase(word, at + kDefaults.size() - word);
    at = word;
  }
  const auto d = synlab::harness::drill::parse_drill(text, "/nonexistent/fuzz/fuzz.pkt");
  if (!d) {
    const std::string report = d.error().to_string();
    if (report.find(": error: ") == std::string::npos) __builtin_trap();  // every error says so
    return 0;
  }
  // Touch the result: the scenario text it became, and its events, the last an `end`
  // (harness/scenario/ast.h: "Always the last event"; the front end inserts its extra events,
  // the sysctls, asserts and ss/nstat checks, before it).
  const auto& events = d->scenario.events;
  if (d->generated.empty() || events.empty()) __builtin_trap();
  if (!std::holds_alternative<synlab::harness::End>(events.back().body)) __builtin_trap();
  return 0;
}
