// The symbolic constants scripts write in socket calls (AF_INET, SOCK_NONBLOCK, SO_ERROR,
// POLLOUT, MSG_PEEK, SIGALRM, ECONNREFUSED, ...), with Linux's numeric values on every build
// host, because the simulated API is Linux's.
//
// The values come from the stack's own constants (stack/socket/constants.h, sockaddr.h,
// host.h) where it defines them, so the two can never disagree; the rest are from the Linux
// UAPI headers named beside each group in symbols.cc. Errno names (and their aliases
// EWOULDBLOCK, ENOTSUP) are symbols too, with Linux numbers from stack/socket/errno.h.
//
// Shared by the scenario parser and the packetdrill front end. Several names share a value
// (SO_* and TCP_* numbers overlap), so reverse lookups take a kind.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace synlab::harness {

enum class SymbolKind : std::uint8_t {
  kAddressFamily,  // AF_*
  kSocketType,     // SOCK_STREAM, SOCK_DGRAM, ...
  kSocketFlag,     // SOCK_NONBLOCK, SOCK_CLOEXEC
  kProtocol,       // IPPROTO_*
  kLevel,          // SOL_*
  kSocketOption,   // SO_*
  kTcpOption,      // TCP_NODELAY, TCP_MAXSEG, ...
  kTcpState,       // TCP_ESTABLISHED ... (tcp_info's tcpi_state)
  kIpOption,       // IP_*
  kIpv6Option,     // IPV6_*
  kOpenFlag,       // O_*
  kFcntlCommand,   // F_*
  kFdFlag,         // FD_CLOEXEC
  kMsgFlag,        // MSG_*
  kShutdown,       // SHUT_*
  kPoll,           // POLL*
  kSignal,         // SIG*
  kErrno,          // E*
};

struct Symbol {
  std::string_view name;
  std::int64_t value = 0;
  SymbolKind kind = SymbolKind::kAddressFamily;
};

// The symbol called `name` (case-sensitive), errno names included.
std::optional<Symbol> find_symbol(std::string_view name);
// Every symbol except errno names, in table order.
std::span<const Symbol> symbol_table();
// Every name find_symbol accepts, errno names included (for "did you mean").
std::vector<std::string_view> symbol_names();

// The first name of `kind` with this exact value ("POLLOUT"), if any.
std::optional<std::string_view> symbol_name(SymbolKind kind, std::int64_t value);
// A flag word in script syntax: "POLLIN|POLLOUT", "SOCK_STREAM|SOCK_NONBLOCK" (for
// kSocketType the low bits are the type), "0" for zero, leftover bits in hex ("POLLIN|0x8000").
std::string format_flags(SymbolKind kind, std::int64_t value);

}  // namespace synlab::harness
