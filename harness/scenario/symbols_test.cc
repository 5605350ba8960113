// Symbols: Linux values, kinds, reverse lookups and flag formatting.
#include "harness/scenario/symbols.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

namespace synlab::harness {
namespace {

TEST(Symbols, LinuxValues) {
  struct Case {
    const char* name;
    std::int64_t value;
    SymbolKind kind;
  };
  for (const Case& c : {Case{"AF_INET", 2, SymbolKind::kAddressFamily},
                        Case{"AF_INET6", 10, SymbolKind::kAddressFamily},
                        Case{"SOCK_STREAM", 1, SymbolKind::kSocketType},
                        Case{"SOCK_NONBLOCK", 04000, SymbolKind::kSocketFlag},
                        Case{"SO_ERROR", 4, SymbolKind::kSocketOption},
                        Case{"TCP_SYNCNT", 7, SymbolKind::kTcpOption},
                        Case{"POLLOUT", 4, SymbolKind::kPoll},
                        Case{"SIGALRM", 14, SymbolKind::kSignal},
                        Case{"ECONNREFUSED", 111, SymbolKind::kErrno},
                        Case{"EWOULDBLOCK", 11, SymbolKind::kErrno},
                        Case{"O_NONBLOCK", 04000, SymbolKind::kOpenFlag},
                        Case{"MSG_PEEK", 2, SymbolKind::kMsgFlag}}) {
    auto s = find_symbol(c.name);
    ASSERT_TRUE(s) << c.name;
    EXPECT_EQ(s->value, c.value) << c.name;
    EXPECT_EQ(s->kind, c.kind) << c.name;
  }
  EXPECT_FALSE(find_symbol("af_inet"));  // case-sensitive
  EXPECT_FALSE(find_symbol("SO_NOSUCH"));
}

TEST(Symbols, ReverseLookupTakesAKind) {
  // SO_DEBUG and TCP_NODELAY are both 1.
  EXPECT_EQ(symbol_name(SymbolKind::kSocketOption, 1), "SO_DEBUG");
  EXPECT_EQ(symbol_name(SymbolKind::kTcpOption, 1), "TCP_NODELAY");
  EXPECT_FALSE(symbol_name(SymbolKind::kSignal, 999));
}

TEST(Symbols, FormatFlags) {
  EXPECT_EQ(format_flags(SymbolKind::kPoll, 0), "0");
  EXPECT_EQ(format_flags(SymbolKind::kPoll, 0x1 | 0x4), "POLLIN|POLLOUT");
  EXPECT_EQ(format_flags(SymbolKind::kSocketType, 1 | 04000), "SOCK_STREAM|SOCK_NONBLOCK");
  EXPECT_EQ(format_flags(SymbolKind::kPoll, 0x1 | 0x8000), "POLLIN|0x8000");
}

TEST(Symbols, NamesAreUniqueAndIncludeErrnos) {
  auto names = symbol_names();
  std::set<std::string_view> seen(names.begin(), names.end());
  EXPECT_EQ(seen.size(), names.size());
  EXPECT_TRUE(seen.count("ETIMEDOUT"));
  EXPECT_TRUE(seen.count("AF_UNSPEC"));
  for (const auto& s : symbol_table()) EXPECT_NE(s.kind, SymbolKind::kErrno) << s.name;
}

}  // namespace
}  // namespace synlab::harness
