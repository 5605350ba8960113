// Scenario text -> Scenario (harness/scenario/ast.h), or the first error with its location.
//
// The language is docs/scenario-language.md. The parser checks everything it can without
// running anything: syntax, names (hosts, links, calls, errno, symbols, sysctls, counters,
// drop reasons, TCP states, ICMP keywords), arities, times (never backwards, blocking calls
// returning after they start and before `end`, one blocking call per thread at a time), and
// it expands groups and `repeat` blocks. Errors read like a compiler's:
//
//   connect.scn:12:20: error: expected ')' to close '(' at 12:8
//     0 client: connect(3, server:80 = 0
//                                    ^
//
// It never crashes, hangs or blows the stack on any input (it is fuzzed): nesting depth, the
// number of expanded events and the amount of text re-read by `repeat` are capped (see
// ParseLimits), and every pass over the input is linear.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/scenario/ast.h"
#include "sim/result.h"

namespace synlab::harness {

struct ParseError {
  std::string file;
  int line = 0;  // 1-based
  int col = 0;   // 1-based, in characters
  std::string message;
  // The offending line as shown under the message (very long lines are cut around the
  // column, with "..." marking the cuts), and the caret's column in it.
  std::string source_line;
  int caret_col = 1;

  // "file:line:col: error: MESSAGE\n" + the source line + "\n" + a caret line + "\n".
  // Tabs in the source line are kept in the caret line so the caret lines up.
  std::string to_string() const;
};

// The error at (line, col) of `text`, with the source line and caret to_string() shows; for
// front ends (packetdrill) that report their own errors in the scenario parser's form.
ParseError make_parse_error(std::string_view text, std::string file, int line, int col, std::string message);

struct ParseLimits {
  std::size_t max_events = 1'000'000;        // after expanding repeat blocks
  std::size_t max_declarations = 1'000'000;  // after expanding groups
  int max_nesting = 32;                      // brackets in one expression
  int max_repeat_nesting = 8;                // repeat inside repeat
  std::size_t max_repeat_text = 256u << 20;  // bytes re-read to expand repeat blocks
};

Result<Scenario, ParseError> parse_scenario(std::string_view text, std::string path,
                                            const ParseLimits& limits = {});
// Reads the file (an error if it cannot be read) and parses it with its path as the name.
Result<Scenario, ParseError> parse_scenario_file(const std::string& path,
                                                 const ParseLimits& limits = {});

}  // namespace synlab::harness
