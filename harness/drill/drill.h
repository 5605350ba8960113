// The packetdrill front end: `.pkt` scripts run against one simulated host.
//
// A packetdrill script is both the application (its syscall lines run on the host under test)
// and the remote peer (`<` packets are injected, `>` packets are expected from the host). This
// front end reads the script language and model of google/packetdrill (see
// ../shared/conformance/packetdrill/NOTES.md §2 and §3, and docs/packetdrill.md) and turns a
// script into a Scenario (harness/scenario/ast.h) that the ordinary runner executes:
//
//  - two hosts on one link: `local`, the simulated stack under test, and `remote`, which
//    never answers anything (its input is dropped) and only sends what the script injects;
//  - packetdrill's addresses and ports (192.168.0.1 / 192.0.2.1, port 8080, per IP mode);
//  - times resolved as packetdrill resolves them (relative to the previous event; a blocking
//    call's end on the same base as its start), with its tolerance on every outbound packet
//    and blocking return: max(--tolerance_usecs, --tolerance_percent of the gap since the
//    previous event);
//  - TS values: outbound ones checked against --tcp_ts_tick_usecs, inbound ecr mapped to the
//    live value of the outbound packet whose script value it names;
//  - shell lines interpreted, never executed: defaults.sh and set_sysctls.py become sysctls,
//    `sysctl -q` a timed sysctl, `ss ... | grep` and `nstat | grep` checks, the cleanup line a
//    no-op; anything else is an "unsupported shell command" error naming the line;
//  - `%{ }%` asserts evaluated over a tcp_info snapshot (harness/drill/tcpinfo_expr.h);
//  - a per-folder era profile: the 2013 scripts of packetdrill/tests/linux/ run on the
//    `linux-3.11` personality (window scale 6), everything else on `linux`.
//
// Failures print in packetdrill's own form ("file:line: error handling packet: ..."),
// followed by the script packet and the actual one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/runner/runner.h"
#include "harness/scenario/ast.h"
#include "sim/result.h"

namespace synlab::harness::drill {

enum class IpMode { kIpv4, kIpv4MappedIpv6, kIpv6 };
std::string_view ip_mode_name(IpMode m);
std::optional<IpMode> ip_mode_from_name(std::string_view s);

struct DrillOptions {
  // Command-line options, as packetdrill takes them ("--ip_version=ipv6", "--tolerance_usecs=7000").
  // They override the ones the script embeds.
  std::vector<std::string> options;
  // `-D NAME=VALUE`: a word NAME in the script reads as VALUE.
  std::vector<std::pair<std::string, std::string>> defines;
  // Forces a personality instead of the folder's era profile.
  std::optional<std::string> profile;
  // When outbound packets really came (script line -> seconds): packetdrill anchors a relative
  // time on the previous event's actual time. run_drill fills this in from earlier runs.
  std::map<int, double> actual_times;
};

// A script that could not be read or parsed: `file:line:col: error: message` (exit 2).
struct DrillError {
  std::string file;
  int line = 0;
  int col = 1;
  std::string message;
  // The script's line and a caret under `col` (load_drill fills it in; empty when unknown).
  std::string excerpt;
  // The first line only: "file:line:col: error: message".
  std::string to_string() const;
  // What the command line prints: to_string(), then the excerpt, each line ending in '\n'.
  std::string report() const { return to_string() + "\n" + excerpt; }
};

struct DrillScript {
  Scenario scenario;
  IpMode mode = IpMode::kIpv4;
  std::string profile;         // the personality the host runs
  std::string profile_reason;  // why (the folder rule, or --profile)
  // The script's `// Failure: REGEX` comment (a self-test that must fail with that message).
  std::optional<std::string> expected_failure;
  int expected_failure_line = 0;
  std::vector<std::string> notes;  // sysctls the stack does not model, options ignored, ...
  std::string generated;           // the scenario text the script became (for --emit)
  std::string source;              // the script's text and the options it was read with
  DrillOptions options;
  int resolutions = 1;             // how many times run_drill re-resolved the times
};

// The era profile for a script path: (personality, reason).
std::pair<std::string, std::string> profile_for_path(const std::string& path);

// Reads and translates a script.
Result<DrillScript, DrillError> load_drill(const std::string& path, const DrillOptions& opt = {});
Result<DrillScript, DrillError> parse_drill(std::string_view text, const std::string& path,
                                            const DrillOptions& opt = {});

struct DrillOutcome {
  ScenarioResult result;
  bool passed = false;         // a pass, or a self-test failing with its `// Failure:` text
  bool expected_failure = false;
  std::string error;           // packetdrill's form: "file:line: error handling packet: ..." (+ lines)
  std::string first_line;      // the first line of `error`, without "file:line: "
};

DrillOutcome run_drill(const DrillScript& d, const RunOptions& opt = {});

// The failure in packetdrill's form.
std::string packetdrill_error(const DrillScript& d, const Failure& f, std::string* first_line = nullptr);

}  // namespace synlab::harness::drill
