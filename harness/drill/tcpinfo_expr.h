// The `%{ ... }%` blocks of packetdrill scripts, without Python.
//
// packetdrill writes a tcp_info snapshot as `tcpi_x = value` lines plus the block's code into
// a file and runs python3 on it. The blocks in the public corpus are only `assert EXPR[, MSG]`
// statements, separated by `;` or newlines, over tcpi_* fields and constants (TCP_CLOSE,
// TCPI_OPT_SYN_DATA). This evaluates that subset: integers, names, parentheses, `~ - not`,
// `* // %`, `+ -`, `<< >>`, `&`, `^`, `|`, comparisons (chained as in Python), `and`, `or`.
// Anything else is an "unsupported" error rather than a silent pass.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace synlab::harness::drill {

// Looks a name up; nullopt when unknown.
using NameLookup = std::function<std::optional<std::int64_t>(std::string_view)>;

struct AssertOutcome {
  bool ok = true;
  std::string error;  // a failed assert ("AssertionError: tcpi_state == TCP_CLOSE (tcpi_state = 1)")
                      // or code outside the subset ("unsupported ...")
  bool unsupported = false;
};

// Checks that `code` parses as the subset, without names (at parse time of a script).
std::optional<std::string> check_tcpinfo_code(std::string_view code);
// Runs every assert in `code` in order; the first that fails ends it.
AssertOutcome run_tcpinfo_code(std::string_view code, const NameLookup& names);

// The names a `%{ }%` block may use besides tcpi_*: TCP states (TCP_ESTABLISHED = 1 ...
// TCP_CLOSING = 11) and the TCPI_OPT_* bits.
std::optional<std::int64_t> tcpinfo_constant(std::string_view name);

}  // namespace synlab::harness::drill
