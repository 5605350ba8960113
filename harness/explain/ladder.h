// The ladder: one scenario run turned into rows a person can read, for `synlab explain`.
//
// A run's trace (sim/trace.h) already says everything: frames and their fates, why each was
// sent or dropped, socket calls and their results, state changes, timers. `build_ladder` folds
// it into a list of rows, one per thing that happened, in the order it happened, with hosts as
// columns: the terminal, SVG and HTML renderers all draw from the same rows, so they cannot
// disagree with each other (or with the capture, which is written from the same trace).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/runner/runner.h"
#include "harness/scenario/ast.h"
#include "sim/time.h"

namespace synlab::harness::explain {

struct Column {
  std::string host;         // "client"
  std::string personality;  // "linux"
  std::string addresses;    // "10.0.0.1/24, fe80::1/64"
};

enum class RowKind : std::uint8_t {
  kPacket,  // a frame from one host to another (or lost on the way)
  kCall,    // a socket call starts (and, when `result` is set, returns at once)
  kReturn,  // a blocking call returns
  kState,   // a TCP state change
  kTimer,   // a protocol timer fired
  kNote,    // anything else the stack or the script said
};

struct Row {
  RowKind kind = RowKind::kNote;
  sim::Time at;         // when it happened (a packet: when it was sent)
  int col = -1;         // the host it happened on (a packet: its sender); -1: the world
  int line = 0;         // the script line (calls and returns), 0 when none

  // kPacket
  int to_col = -1;                      // the receiver, -1 when it never arrived anywhere
  std::optional<sim::Time> arrived;     // when it reached `to_col`
  std::string flags;                    // short arrow label: "S", "S.", "R.", "ARP", "ICMP"
  std::string endpoints;                // "client:40000 > server:7000"
  std::string label;                    // the rest in script syntax, relative numbers: "S 0:0(0) win 64240 <...>"
  std::string cause;                    // why it was sent ("SYN retransmission 2, RTO 2 s")
  std::string drop;                     // why it was dropped, empty when delivered
  std::string effect;                   // what the receiver did with it, when worth saying ("reset accepted")
  bool dropped_on_link = false;         // lost in flight (else, when `drop` is set, the receiver dropped it)
  int retransmission = 0;               // 1, 2, ...: the n-th retransmission of this segment

  // kCall / kReturn
  std::string call;                     // "connect(3, server:7000)" as the script writes it
  std::string result;                   // "0", "-1 ECONNREFUSED (Connection refused)"; empty: still running
  std::string errno_name;               // "ECONNREFUSED"
  std::string meaning;                  // the errno's one-line meaning (synlab errno)

  // kState, kTimer, kNote
  std::string text;                     // "client fd 3: SYN_SENT -> ESTABLISHED", "SYN retransmission timer fired (RTO 1 s)"
  std::string detail;                   // why
  std::string from_state, to_state;     // kState: "SYN_SENT", "ESTABLISHED"
};

struct Ladder {
  std::string path;
  std::string title;
  std::vector<std::string> about;  // the scenario's lesson text, paragraph lines
  std::string personality;
  std::uint64_t seed = 0;
  std::vector<Column> columns;
  std::vector<Row> rows;
  bool passed = false;
  bool expected_failure = false;
  std::string failure;             // the failure report (empty when it passed)
  sim::Time end;
  // Totals, for the summary line.
  int packets = 0;
  int drops = 0;
  int retransmissions = 0;
};

// The host of column `col` ("world" for -1 or out of range).
std::string host_of(const Ladder& l, int col);
// The receiving column of a packet: where it arrived, else the host its destination address
// names (a packet lost on the way), else -1.
int destination(const Ladder& l, const Row& r);

// Runs `s` (with `opt`, keep_trace forced on) and folds its trace into a ladder.
Ladder explain_run(const Scenario& s, const RunOptions& opt);
// The folding alone, for a result that already has its trace.
Ladder build_ladder(const Scenario& s, const ScenarioResult& r);

}  // namespace synlab::harness::explain
