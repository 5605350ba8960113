// The scenario runner: executes a parsed Scenario against simulated hosts and checks every
// expectation.
//
// One run builds a fresh World from the scenario's declarations, schedules each event at its
// instant on the virtual clock, and compares what happens with what the script says: every
// socket call's result and errno (and when a blocking call returns), every packet a host
// sends (matched field by field, in order, with relative sequence numbers), socket states,
// poll revents and counters. The first mismatch stops the run and is reported with the script
// line, what was expected, what happened, both packets in script syntax and the virtual time.
//
// Runs are deterministic: the same scenario, seed and personality give byte-identical
// captures, traces and reports.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/scenario/ast.h"
#include "sim/time.h"
#include "sim/trace.h"

namespace synlab::harness {

struct RunOptions {
  std::optional<std::uint64_t> seed;         // overrides the scenario's `seed:`
  std::optional<std::string> personality;    // overrides every host's personality
  // Captures: written when `capture_dir` is set, named after `capture_name` (default: the
  // scenario file's base name, plus "-<personality>" when one is forced).
  std::string capture_dir;
  std::string capture_name;
  bool pcap = true;     // <name>.pcap (classic, what the golden captures are)
  bool pcapng = true;   // <name>.pcapng (with a comment on every packet)
  // Resource bounds: a scenario that would run forever stops here with a clear error.
  sim::Duration max_virtual_time = sim::Duration::seconds(24 * 3600);
  std::uint64_t max_events = 50'000'000;
  // Keep the full trace in the result (for `synlab explain`).
  bool keep_trace = false;
  // Interruption: when this holds a signal number (nonzero), the run ends before the next
  // simulator event with the failure "interrupted by SIGINT at T s", its captures finished
  // (valid files). A signal handler may set it (std::atomic<int> is lock-free). Read with one
  // relaxed load per event; null or 0 changes nothing, so runs stay deterministic.
  const std::atomic<int>* stop = nullptr;
};

struct Failure {
  SourceLoc loc;           // the script line
  sim::Time at;            // virtual time of the mismatch
  std::string message;     // "expected 0 but got -1 ECONNREFUSED (Connection refused)"
  std::string expected;    // the script's packet/value, in script syntax (may be empty)
  std::string actual;      // what happened, in script syntax (may be empty)
  std::string source_line; // the script line as written (empty when the file is unreadable)
  std::vector<std::string> notes;  // more lines for the report (outstanding packets, ...)
  // The whole report, packetdrill-style:
  //   file:line:col: error: MESSAGE
  //     0.150 server > client R. 0:0(0) ack 1 win 0      (the script line)
  //     at 0.150000 s
  //     script packet:  0.150 server > client R. 0:0(0) ack 1 win 0
  //     actual packet:  0.150 server > client R. 0:0(0) ack 1 win 5840
  std::string to_string() const;
};

struct ScenarioResult {
  std::string path;
  std::string title;
  std::string personality;      // the one the hosts ran (first host's if they differ)
  std::uint64_t seed = 0;
  bool passed = false;
  // A self-test (`expect-failure:`) passes when it fails with that text; `failure` then holds
  // the failure it had.
  bool expected_failure = false;
  std::optional<Failure> failure;
  sim::Time end;                 // virtual time when the run stopped
  std::uint64_t events = 0;      // simulator events executed
  std::uint64_t packets = 0;     // frames sent on all links
  std::vector<std::string> captures;  // files written
  // The largest distance between an event's script time (or window) and when it happened,
  // within a tolerance (packetdrill scripts), and its script line (0: none).
  sim::Duration max_deviation;
  int max_deviation_line = 0;
  // Each expected packet that matched: its script line and when it came (in match order).
  std::vector<std::pair<int, sim::Time>> matched_at;
  int interrupted_by = 0;        // the signal that ended the run early (RunOptions::stop), or 0
  // The world's hosts, in declaration order (routers included).
  struct HostInfo {
    sim::NodeId node;
    std::string name;
    std::string personality;
  };
  std::vector<HostInfo> hosts;
  // The trace, when RunOptions::keep_trace.
  std::vector<sim::TraceEvent> trace;
  std::vector<sim::TraceRecorder::Frame> frames;
};

// Runs one parsed scenario.
ScenarioResult run_scenario(const Scenario& s, const RunOptions& opt = {});

}  // namespace synlab::harness
