// The calls a scenario line can make (`client: connect(3, server:80) = 0`): names and how
// many arguments each takes. The parser checks both; the runner dispatches on the name and
// reads the arguments by position as the table's `usage` shows.
//
// Where packetdrill writes a call with more arguments than our short form (a buffer before
// the length, an addrlen after an address: `write(4, ..., 1000)`, `accept(3, ..., ...)`), the
// longer form is accepted too, so packetdrill lines paste into scenarios unchanged; `usage`
// lists both.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace synlab::harness {

struct CallInfo {
  std::string_view name;
  int min_args = 0;
  int max_args = 0;
  std::string_view usage;  // "connect(FD, ADDR[, LEN])"
};

std::optional<CallInfo> find_call(std::string_view name);
std::span<const CallInfo> call_table();

}  // namespace synlab::harness
