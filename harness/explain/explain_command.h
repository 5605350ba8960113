// `synlab explain FILE`: a scenario run drawn as a ladder diagram, with the reason for every
// packet, drop, retransmission, state change and errno.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace synlab::harness {

struct ExplainArgs {
  std::string file;           // a .scn file, or a bundled scenario's name ("refused/blocking")
  std::string format = "text";  // text, svg, html
  std::string personalities;  // "linux,bsd": compare; one name: run under it; empty: the scenario's
  std::optional<std::uint64_t> seed;
  int width = 0;              // 0: the terminal's width (COLUMNS, else 100)
  bool color = false;
  std::string out_file;       // write here instead of `out`
};

// Exit status: 0 when every run passed (or failed as its `expect-failure:` says), 1 when a run
// failed (the ladder is still drawn, up to the failure, with the failure report), 2 on bad
// input (an unreadable or malformed scenario, an unknown personality or format).
int explain_command(const ExplainArgs& args, std::ostream& out, std::ostream& err);

}  // namespace synlab::harness
