// The name tables the parser checks scripts against: symbols agree with the build host's C
// headers (the simulated API is Linux's), the call table is consistent, and suggestions find
// typos. Plus a lexer detail the parser relies on.
#include <gtest/gtest.h>

#include <set>

#include "harness/scenario/calls.h"
#include "harness/scenario/lexer.h"
#include "harness/scenario/suggest.h"
#include "harness/scenario/symbols.h"

#ifdef __linux__
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#endif

namespace synlab::harness {
namespace {

std::int64_t value(std::string_view name) {
  auto s = find_symbol(name);
  EXPECT_TRUE(s) << name;
  return s ? s->value : -12345;
}

#ifdef __linux__
TEST(Tables, SymbolsMatchTheHostsHeaders) {
  EXPECT_EQ(value("AF_INET"), AF_INET);
  EXPECT_EQ(value("AF_INET6"), AF_INET6);
  EXPECT_EQ(value("SOCK_DGRAM"), SOCK_DGRAM);
  EXPECT_EQ(value("SOCK_NONBLOCK"), SOCK_NONBLOCK);
  EXPECT_EQ(value("SOCK_CLOEXEC"), SOCK_CLOEXEC);
  EXPECT_EQ(value("IPPROTO_ICMPV6"), IPPROTO_ICMPV6);
  EXPECT_EQ(value("SOL_SOCKET"), SOL_SOCKET);
  EXPECT_EQ(value("SO_ERROR"), SO_ERROR);
  EXPECT_EQ(value("SO_LINGER"), SO_LINGER);
  EXPECT_EQ(value("SO_REUSEPORT"), SO_REUSEPORT);
  EXPECT_EQ(value("SO_RCVTIMEO"), SO_RCVTIMEO);
  EXPECT_EQ(value("SO_BINDTODEVICE"), SO_BINDTODEVICE);
  EXPECT_EQ(value("TCP_MAXSEG"), TCP_MAXSEG);
  EXPECT_EQ(value("TCP_SYNCNT"), TCP_SYNCNT);
  EXPECT_EQ(value("TCP_USER_TIMEOUT"), TCP_USER_TIMEOUT);
  EXPECT_EQ(value("TCP_FASTOPEN"), TCP_FASTOPEN);
  EXPECT_EQ(value("TCP_NOTSENT_LOWAT"), TCP_NOTSENT_LOWAT);
  EXPECT_EQ(value("IP_RECVERR"), IP_RECVERR);
  EXPECT_EQ(value("IP_MTU_DISCOVER"), IP_MTU_DISCOVER);
  EXPECT_EQ(value("IPV6_V6ONLY"), IPV6_V6ONLY);
  EXPECT_EQ(value("IPV6_RECVERR"), IPV6_RECVERR);
  EXPECT_EQ(value("O_RDWR"), O_RDWR);
  EXPECT_EQ(value("O_NONBLOCK"), O_NONBLOCK);
  EXPECT_EQ(value("O_CLOEXEC"), O_CLOEXEC);
  EXPECT_EQ(value("F_GETFL"), F_GETFL);
  EXPECT_EQ(value("F_SETFL"), F_SETFL);
  EXPECT_EQ(value("F_DUPFD_CLOEXEC"), F_DUPFD_CLOEXEC);
  EXPECT_EQ(value("MSG_PEEK"), MSG_PEEK);
  EXPECT_EQ(value("MSG_DONTWAIT"), MSG_DONTWAIT);
  EXPECT_EQ(value("MSG_NOSIGNAL"), MSG_NOSIGNAL);
  EXPECT_EQ(value("MSG_ERRQUEUE"), MSG_ERRQUEUE);
  EXPECT_EQ(value("SHUT_WR"), SHUT_WR);
  EXPECT_EQ(value("POLLIN"), POLLIN);
  EXPECT_EQ(value("POLLOUT"), POLLOUT);
  EXPECT_EQ(value("POLLERR"), POLLERR);
  EXPECT_EQ(value("POLLHUP"), POLLHUP);
  EXPECT_EQ(value("POLLRDHUP"), POLLRDHUP);
  EXPECT_EQ(value("POLLWRNORM"), POLLWRNORM);
  EXPECT_EQ(value("SIGPIPE"), SIGPIPE);
  EXPECT_EQ(value("SIGALRM"), SIGALRM);
  EXPECT_EQ(value("SIGCHLD"), SIGCHLD);
  EXPECT_EQ(value("SIGUSR1"), SIGUSR1);
  EXPECT_EQ(value("EINPROGRESS"), EINPROGRESS);
  EXPECT_EQ(value("EALREADY"), EALREADY);
  EXPECT_EQ(value("EHOSTUNREACH"), EHOSTUNREACH);
  EXPECT_EQ(value("ENOTSUP"), ENOTSUP);
}
#endif

TEST(Tables, EveryNameIsFindable) {
  for (std::string_view n : symbol_names()) EXPECT_TRUE(find_symbol(n)) << n;
  EXPECT_FALSE(find_symbol("ERESTARTSYS"));  // internal to the stack
  EXPECT_FALSE(find_symbol("E"));
}

TEST(Tables, CallTableIsConsistent) {
  std::set<std::string_view> names;
  for (const CallInfo& c : call_table()) {
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    EXPECT_LE(c.min_args, c.max_args) << c.name;
    EXPECT_EQ(c.usage.substr(0, c.name.size() + 1), std::string(c.name) + "(") << c.name;
  }
  EXPECT_EQ(find_call("accept")->min_args, 1);
  EXPECT_EQ(find_call("accept")->max_args, 3);
  EXPECT_FALSE(find_call("conect"));
}

TEST(Tables, SuggestionsFindTypos) {
  const std::string_view words[] = {"connect", "accept", "close", "socket"};
  EXPECT_EQ(closest_match("conect", words), "connect");
  EXPECT_EQ(closest_match("scoket", words), "socket");  // a transposition is one edit
  EXPECT_EQ(closest_match("CLOSE", words), "close");    // case does not count
  EXPECT_FALSE(closest_match("listen", words));
  EXPECT_FALSE(closest_match(std::string(100, 'c'), words));
  EXPECT_EQ(did_you_mean("acept", words), "; did you mean 'accept'?");
  EXPECT_EQ(did_you_mean("zzz", words), "");
}

// A range at the start of a word is recorded once, though the lexer looks at it twice.
TEST(Tables, LexerRecordsARangeAtAWordStartOnce) {
  Lexer lex("{2..4}x");
  lex.begin_ranges(2);
  EXPECT_EQ(lex.next().text, "4x");
  EXPECT_EQ(lex.ranges().size(), 1u);
}

}  // namespace
}  // namespace synlab::harness
