// The fd table: the lowest free fd (POSIX) whatever order fds were closed in, EMFILE at
// RLIMIT_NOFILE for socket(), accept() and dup(), and the hint that keeps allocation O(1)
// never skipping a free fd.
#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "stack/host.h"
#include "stack/socket/constants.h"

namespace synlab::stack {
namespace {

int tcp(Host& h) {
  auto r = h.socket(kAfInet, kSockStream, 0);
  return r ? *r : -static_cast<int>(r.error());
}

void close_fd(Host& h, int fd) {
  bool done = false;
  h.close(fd, [&](SysResult<void> r) { done = r.ok(); });
  ASSERT_TRUE(done);
}

TEST(FdTable, TheLowestFreeFdIsReusedWhateverTheCloseOrder) {
  sim::Simulator sim;
  Host h(sim, "h");
  for (int want = 3; want < 10; ++want) EXPECT_EQ(tcp(h), want);
  close_fd(h, 7);
  close_fd(h, 4);
  close_fd(h, 8);
  EXPECT_EQ(tcp(h), 4);  // below the hint left by the last socket()
  EXPECT_EQ(tcp(h), 7);
  EXPECT_EQ(h.dup(3).value(), 8);
  EXPECT_EQ(tcp(h), 10);
  close_fd(h, 3);
  EXPECT_EQ(h.open_file(FileKind::kPipe), 3);
  EXPECT_EQ(tcp(h), 11);
}

TEST(FdTable, EmfileAtTheLimitAndAgainAfterAClose) {
  sim::Simulator sim;
  Host h(sim, "h");
  h.max_fds = 6;  // 0-2 are the standard streams: room for fds 3, 4 and 5
  EXPECT_EQ(tcp(h), 3);
  EXPECT_EQ(tcp(h), 4);
  EXPECT_EQ(tcp(h), 5);
  auto r = h.socket(kAfInet, kSockStream, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errno::kEMFILE);
  auto d = h.dup(3);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), Errno::kEMFILE);
  bool got_emfile = false;
  h.accept(3, 0, [&](SysResult<AcceptResult> a) { got_emfile = !a && a.error() == Errno::kEMFILE; });
  EXPECT_TRUE(got_emfile);
  close_fd(h, 4);
  EXPECT_EQ(tcp(h), 4);
  EXPECT_FALSE(h.socket(kAfInet, kSockStream, 0));
}

}  // namespace
}  // namespace synlab::stack
