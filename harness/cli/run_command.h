// `synlab run`: find scenarios, parse them all, run the selected ones (in parallel processes
// with --jobs), print one line per scenario and the failures, write the reports.
//
// Exit status: 0 when every scenario passed, 1 when any failed, 2 on bad input (a scenario
// that does not parse, an unknown personality, a malformed --shard): nothing runs then.
//
// Interruption: SIGINT or SIGTERM (to this process, or to any worker) ends the scenario that
// is running before its next simulator event, with its captures finished (valid files) and
// the failure "interrupted by SIGINT at T s"; no further scenario starts. The reports are
// written with what finished plus the interrupted ones, the last line reads "interrupted by
// SIGINT: N passed, N failed, N not run", and the exit status is 128 + the signal (130 for
// SIGINT, 143 for SIGTERM). With --jobs the signal is forwarded to the workers. A second
// signal while shutting down exits at once (same status) without writing the reports.
// Handlers are installed only for the duration of run_command(), and not for a signal that
// was ignored when it started (`nohup`, `cmd &` in a non-interactive shell).
//
// Everything printed and written is deterministic: scenarios are reported in sorted order
// whatever order the workers finish in, and no wall-clock time appears anywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "harness/runner/runner.h"
#include "harness/scenario/ast.h"

namespace synlab::harness {

struct SuiteItem;

struct RunArgs {
  std::vector<std::string> paths;          // files or folders; empty: the bundled suite
  std::string out_dir;                     // captures and report.json / report.txt
  std::optional<std::uint64_t> seed;
  std::vector<std::string> personalities;  // run each scenario under each
  int jobs = 1;
  std::vector<std::string> filters;        // globs on the scenario's name or its tags
  std::string json_file;
  std::string junit_file;
  std::string shard;                       // "I/N" (0 <= I < N); empty: GTEST_* or all
  bool captures = true;                    // with out_dir: write .pcap and .pcapng
  bool verbose = false;                    // print passing scenarios' details too
  bool list_only = false;                  // print the selected scenarios and stop
  bool color = false;
  bool progress = false;                   // a status line on a terminal
  // Called just before each scenario starts, in the process that runs it (a worker with
  // --jobs). Tests use it to send a signal at a known point.
  std::function<void(const SuiteItem&)> before_item;
};

// One scenario to run: the file, its name in reports, and the personality forced on it.
struct SuiteItem {
  std::string path;   // as found
  std::string name;   // relative to the folder given (or the file name), without ".scn"
  std::optional<std::string> personality;
  std::size_t scenario = 0;  // index into the parsed scenarios
};

// The folder of the bundled suite: $SYNLAB_SCENARIOS, ./scenarios, or the source tree's.
std::string bundled_scenarios_dir();

// Every `.scn` file under `paths` (folders recursively), sorted by name, with the names
// reports use. Unreadable or missing paths are errors ("no such file: x").
struct Found {
  std::string path;
  std::string name;
};
bool find_scenarios(const std::vector<std::string>& paths, std::vector<Found>* out, std::string* error);

// True when `name` or one of `tags` matches one of the globs (fnmatch; `*` crosses `/`).
bool matches_filters(const std::vector<std::string>& globs, const std::string& name,
                     const std::vector<std::string>& tags);

// Parses "I/N" (or the GTEST_SHARD_INDEX / GTEST_TOTAL_SHARDS pair when `spec` is empty and
// they are set). Returns false with a message on malformed input; index=0,total=1 for none.
bool parse_shard(const std::string& spec, int* index, int* total, std::string* error);

int run_command(const RunArgs& args, std::ostream& out, std::ostream& err);

}  // namespace synlab::harness
