// `synlab golden`: the golden captures in pcaps/, one per bundled scenario.
//
// Each scenario runs again and its capture (pcapng, with a comment on every packet) is
// compared byte for byte with pcaps/<topic>/<name>.pcapng. A difference is reported with the
// first differing packet decoded from both files in script syntax, so the reader sees what
// changed on the wire without opening Wireshark:
//
//   refused/blocking: capture differs from pcaps/refused/blocking.pcapng
//     frame 2: bytes differ at offset 48 (expected 0x00, actual 0x16)
//     golden:  0.025000 server:5001 > client:40000 R. 0:0(0) ack 1 win 0
//     now:     0.025000 server:5001 > client:40000 R. 0:0(0) ack 1 win 22
//
// Goldens without a scenario, scenarios without a golden and a stale pcaps/README.md (the
// index mapping each capture to its lesson, generated from the scenario headers) fail too.
// `--update` (what `./dev update-golden` runs) is the only way to rewrite them: it writes
// every capture and the README, and removes goldens whose scenario is gone.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace synlab::harness {

struct GoldenArgs {
  std::string scenarios_dir;  // empty: the bundled suite
  std::string pcaps_dir;      // empty: pcaps/ beside the scenarios folder
  bool update = false;
  bool tap = false;           // TAP output (meson protocol 'tap'): one test point per capture
};

// Exit status: 0 all match (or were updated), 1 a difference, 2 bad input.
int golden_command(const GoldenArgs& args, std::ostream& out, std::ostream& err);

}  // namespace synlab::harness
