// `synlab drill FILE.pkt ...`: packetdrill scripts run against a simulated host
// (harness/drill/drill.h).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace synlab::harness {

struct DrillArgs {
  std::vector<std::string> files;    // .pkt files or folders (searched recursively)
  std::vector<std::string> options;  // packetdrill's options: --ip_version=ipv6, --tolerance_usecs=N, ...
  std::vector<std::string> defines;  // -D NAME=VALUE
  std::optional<std::string> profile;  // a personality instead of the folder's era profile
  std::string out_dir;               // captures (<name>.pcap, <name>.pcapng) go here
  bool emit = false;                 // print the scenario each script became, and stop
  bool verbose = false;
  bool trace = false;                // print each run's trace (every packet, timer, state change)
};

// Exit status: 0 every script passed (a self-test failing as its `// Failure:` comment says
// counts as a pass), 1 some failed, 2 a script could not be read or parsed.
int drill_command(const DrillArgs& args, std::ostream& out, std::ostream& err);

}  // namespace synlab::harness
