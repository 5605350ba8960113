// Tests of harness/gtest: the Lab's calls and virtual times, the errno matchers' words, and
// RegisterScenarios (main registers a temporary folder of scenarios before RUN_ALL_TESTS,
// and a test checks the names it got).
#include "harness/gtest/synlab_gtest.h"

#include <gtest/gtest-spi.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

using namespace std::chrono_literals;
using synlab::sim::Duration;
using synlab::sim::Time;
using synlab::stack::Errno;
using synlab::testing::CallResult;
using synlab::testing::FailsWith;
using synlab::testing::ReturnedAt;
using synlab::testing::ReturnsValue;
using synlab::testing::Succeeds;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

namespace fs = std::filesystem;

// Filled by main(): the temporary folder registered as a scenario suite.
fs::path g_temp_scenarios;
int g_registered = -1;

template <class M, class V>
std::string explain(const M& m, const V& v) {
  ::testing::StringMatchResultListener l;
  ::testing::Matcher<const V&> mm = m;
  mm.MatchAndExplain(v, &l);
  return l.str();
}

template <class V, class M>
std::string describe(const M& m) {
  return ::testing::DescribeMatcher<const V&>(m);
}

template <class V, class M>
std::string describe_negation(const M& m) {
  return ::testing::DescribeMatcher<const V&>(m, true);
}

const Time kT0 = Time::zero();

// --- Matchers and printing ------------------------------------------------------------------

TEST(Matchers, DescriptionsNameTheErrno) {
  EXPECT_EQ(describe<CallResult<void>>(FailsWith(ECONNREFUSED)),
            "fails with -1 ECONNREFUSED (Connection refused)");
  EXPECT_EQ(describe_negation<CallResult<void>>(FailsWith(Errno::kETIMEDOUT)),
            "does not fail with -1 ETIMEDOUT (Connection timed out)");
  EXPECT_EQ(describe<CallResult<int>>(Succeeds()), "succeeds (returns without an errno)");
  EXPECT_EQ(describe<CallResult<int>>(ReturnsValue(3)),
            "succeeds and returns a value that is equal to 3");
  EXPECT_EQ(describe<CallResult<int>>(ReturnedAt(200ms)), "returns at 0.200000 s");
}

TEST(Matchers, HostMacrosMapByName) {
  EXPECT_EQ(synlab::testing::errno_from_host(ECONNREFUSED), Errno::kECONNREFUSED);
  EXPECT_EQ(synlab::testing::errno_from_host(EWOULDBLOCK), Errno::kEAGAIN);
  EXPECT_EQ(synlab::testing::errno_from_host(EINPROGRESS), Errno::kEINPROGRESS);
  EXPECT_EQ(synlab::testing::errno_from_host(0), Errno::kOk);
  EXPECT_EQ(synlab::testing::errno_from_host(-5), std::nullopt);
  EXPECT_THAT(describe<CallResult<void>>(FailsWith(-5)), HasSubstr("not an errno synlab models"));
}

TEST(Matchers, MismatchesExplainWithErrnoNames) {
  const auto timed_out = CallResult<void>::failure(Errno::kETIMEDOUT, kT0, kT0 + 7s);
  EXPECT_THAT(timed_out, Not(FailsWith(ECONNREFUSED)));
  EXPECT_EQ(explain(FailsWith(ECONNREFUSED), timed_out),
            "which failed with ETIMEDOUT (Connection timed out) instead");
  EXPECT_EQ(explain(Succeeds(), timed_out), "which failed with ETIMEDOUT (Connection timed out)");
  EXPECT_EQ(explain(ReturnsValue(0), timed_out),
            "which failed with ETIMEDOUT (Connection timed out)");

  const auto three = CallResult<int>::success(3, kT0, kT0);
  EXPECT_THAT(three, AllOf(Succeeds(), ReturnsValue(3), ReturnsValue(::testing::Gt(2)),
                           Not(ReturnsValue(4))));
  EXPECT_EQ(explain(FailsWith(ECONNREFUSED), three), "which succeeded, returning 3");

  const auto blocked = CallResult<void>::blocked(kT0, kT0 + 1s);
  EXPECT_THAT(blocked, AllOf(Not(Succeeds()), Not(FailsWith(EINTR))));
  EXPECT_EQ(explain(Succeeds(), blocked), "which is still blocked");
  EXPECT_EQ(explain(ReturnedAt(1s), blocked), "which is still blocked at 1.000000 s");

  const auto late = CallResult<void>::success({}, kT0, kT0 + 250ms);
  EXPECT_EQ(explain(ReturnedAt(200ms), late), "which returned at 0.250000 s (+50 ms)");
}

TEST(Matchers, WorkOnHostResultsToo) {
  const synlab::stack::SysResult<int> refused = synlab::fail(Errno::kECONNREFUSED);
  const synlab::stack::SysResult<int> fd = 4;
  EXPECT_THAT(refused, FailsWith(ECONNREFUSED));
  EXPECT_THAT(fd, ReturnsValue(4));
  EXPECT_EQ(::testing::PrintToString(refused), "-1 ECONNREFUSED (Connection refused)");
  const std::optional<synlab::stack::SysResult<void>> never;
  EXPECT_EQ(explain(Succeeds(), never), "which is still blocked");
}

TEST(Matchers, FailureMessageShowsNamesAndTime) {
  // The whole message a user sees when an expectation fails.
  const auto r = CallResult<void>::failure(Errno::kETIMEDOUT, kT0, kT0 + 7s);
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    EXPECT_THAT(r, FailsWith(ECONNREFUSED));
  }
  ASSERT_EQ(results.size(), 1);
  EXPECT_THAT(results.GetTestPartResult(0).message(),
              AllOf(HasSubstr("Expected: fails with -1 ECONNREFUSED (Connection refused)"),
                    HasSubstr("Actual: -1 ETIMEDOUT (Connection timed out) at 7.000000 s"),
                    HasSubstr("which failed with ETIMEDOUT (Connection timed out) instead")));
}

TEST(Printing, CallResults) {
  EXPECT_EQ(::testing::PrintToString(
                CallResult<void>::failure(Errno::kECONNREFUSED, kT0 + 100ms, kT0 + 200ms)),
            "-1 ECONNREFUSED (Connection refused) at 0.200000 s");
  EXPECT_EQ(::testing::PrintToString(CallResult<int>::success(3, kT0, kT0)), "3 at 0.000000 s");
  EXPECT_EQ(::testing::PrintToString(CallResult<void>::blocked(kT0, kT0 + 1s)),
            "still blocked at 1.000000 s (since 0.000000 s)");
  EXPECT_THROW((void)CallResult<int>::failure(Errno::kEBADF, kT0, kT0).value(), std::logic_error);
}

// --- The fixture against a simulated world ----------------------------------------------------

class TwoHosts : public synlab::testing::WorldTest {
 protected:
  synlab::stack::Host& client = add_host("client", {"10.0.0.1/24"});
  synlab::stack::Host& server = add_host("server", {"10.0.0.2/24"});
};

TEST_F(TwoHosts, RefusedConnectFailsAfterExactlyOneRoundTrip) {
  link(client, server, 50ms);
  static_neighbours();  // no ARP first: the SYN leaves at once
  const int fd = tcp_socket(client).value();
  auto r = connect(client, fd, "10.0.0.2:5001");
  EXPECT_THAT(r, AllOf(FailsWith(ECONNREFUSED), ReturnedAt(100ms)));
  EXPECT_EQ(r.took(), Duration(100ms));
  EXPECT_EQ(r.ret(), -1);
  EXPECT_EQ(now(), kT0 + 100ms);
}

TEST_F(TwoHosts, FirstConnectWaitsForArp) {
  link(client, server, 50ms);
  const int fd = tcp_socket(client).value();
  // ARP request and reply (100 ms), then SYN and RST (100 ms).
  EXPECT_THAT(connect(client, fd, "10.0.0.2:5001"),
              AllOf(FailsWith(ECONNREFUSED), ReturnedAt(200ms)));
  // The neighbour is known now: the next attempt takes one round trip.
  auto again = connect(client, fd, "10.0.0.2:5001");
  EXPECT_THAT(again, FailsWith(ECONNREFUSED));
  EXPECT_EQ(again.started(), kT0 + 200ms);
  EXPECT_EQ(again.took(), Duration(100ms));
}

TEST_F(TwoHosts, ConnectAcceptSendRecvClose) {
  link(client, server, 10ms);
  static_neighbours();
  auto lfd = tcp_listen(server, "10.0.0.2:8080");
  ASSERT_THAT(lfd, Succeeds());
  const int fd = tcp_socket(client).value();
  EXPECT_THAT(connect(client, fd, "10.0.0.2:8080"), AllOf(ReturnsValue(0), ReturnedAt(20ms)));
  auto acc = accept(server, *lfd);
  ASSERT_THAT(acc, Succeeds());
  EXPECT_EQ(acc.at(), kT0 + 30ms);  // the handshake's last ACK reached the server
  EXPECT_EQ(acc->peer.addr, *synlab::wire::IpAddr::parse("10.0.0.1"));
  EXPECT_THAT(send(client, fd, "hello"), ReturnsValue(5));
  auto got = recv(server, acc->fd, 100);
  EXPECT_THAT(got, AllOf(ReturnsValue(5), ReturnedAt(40ms)));
  EXPECT_EQ(*got, "hello");
  EXPECT_EQ(getpeername(server, acc->fd)->to_string(), getsockname(client, fd)->to_string());
  EXPECT_THAT(close(client, fd), AllOf(Succeeds(), ReturnedAt(40ms)));
  auto eof = recv(server, acc->fd, 100);
  EXPECT_THAT(eof, AllOf(ReturnsValue(0), ReturnedAt(50ms)));  // the FIN arrived
  EXPECT_EQ(*eof, "");
  EXPECT_THAT(getsockname(client, fd), FailsWith(EBADF));
}

TEST_F(TwoHosts, AsyncAcceptReturnsWhenTheClientConnects) {
  link(client, server, 10ms);
  static_neighbours();
  const int lfd = tcp_listen(server, "10.0.0.2:8080").value();
  run_for(1s);
  auto pending = accept_async(server, lfd);
  EXPECT_FALSE(pending.done());
  const int fd = tcp_socket(client).value();
  EXPECT_THAT(connect(client, fd, "10.0.0.2:8080"), ReturnedAt(1s + 20ms));
  auto acc = wait(pending);
  EXPECT_THAT(acc, AllOf(Succeeds(), ReturnedAt(1s + 30ms)));
  EXPECT_EQ(acc.started(), kT0 + 1s);
}

TEST_F(TwoHosts, CallStillBlockedAtTheLimitComesBack) {
  link(client, server, 10ms);
  const int lfd = tcp_listen(server, "10.0.0.2:8080").value();
  set_call_limit(2s);
  auto r = accept(server, lfd);
  EXPECT_FALSE(r.returned());
  EXPECT_THAT(r, Not(Succeeds()));
  EXPECT_EQ(now(), kT0 + 2s);
}

TEST_F(TwoHosts, NonBlockingCallsAndOptions) {
  link(client, server, 10ms);  // addresses are assigned when a host gets its interface
  EXPECT_THAT(bind(client, 99, "10.0.0.1:80"), FailsWith(EBADF));
  EXPECT_THAT(bind(client, tcp_socket(client).value(), "not an address"), FailsWith(EINVAL));
  const int a = tcp_listen(server, "10.0.0.2:80").value();
  EXPECT_THAT(tcp_listen(server, "10.0.0.2:80"), FailsWith(EADDRINUSE));
  EXPECT_THAT(setsockopt(server, a, synlab::stack::kSolSocket, synlab::stack::kSoRcvbuf, 4096),
              Succeeds());
  EXPECT_THAT(getsockopt(server, a, synlab::stack::kSolSocket, synlab::stack::kSoAcceptconn),
              ReturnsValue(1));
  EXPECT_EQ(so_error(server, a), Errno::kOk);
  const int fd = tcp_socket(client).value();
  ASSERT_THAT(set_nonblocking(client, fd), Succeeds());
  EXPECT_THAT(connect(client, fd, "10.0.0.2:80"), AllOf(FailsWith(EINPROGRESS), ReturnedAt(0ms)));
  EXPECT_THROW(host("nobody"), std::invalid_argument);
  EXPECT_EQ(&host("server"), &server);
}

// --- Scenarios as tests --------------------------------------------------------------------

TEST(RegisterScenarios, Names) {
  EXPECT_EQ(synlab::testing::ScenarioSuiteName("/x/scenarios"), "Scenarios");
  EXPECT_EQ(synlab::testing::ScenarioSuiteName("/x/my-scenarios/"), "My_scenarios");
  EXPECT_EQ(synlab::testing::ScenarioTestName("handshake/simultaneous-open"),
            "handshake_simultaneous_open");
  EXPECT_EQ(synlab::testing::ScenarioTestName("a.b/c d"), "a_b_c_d");
}

TEST(RegisterScenarios, RegisteredOneTestPerFileWithTheExpectedNames) {
  ASSERT_EQ(g_registered, 3);
  std::set<std::string> names;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    if (std::string(suite->name()) != "Tmp_scenarios") continue;
    for (int j = 0; j < suite->total_test_count(); ++j) {
      names.insert(suite->GetTestInfo(j)->name());
      EXPECT_THAT(suite->GetTestInfo(j)->file(), HasSubstr(".scn"));
    }
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"refused", "sub_dir_refused_blocking", "sub_dir_x_y_loopback"}));
}

TEST(RegisterScenarios, AFailingScenarioReportsTheRunnersFailure) {
  const fs::path bad = g_temp_scenarios.parent_path() / "wrong.scn";
  {
    std::ofstream out(bad);
    out << "title: wrong on purpose\nhost h\n0 h: socket(AF_INET, SOCK_STREAM, 0) = 4\n1 end\n";
  }
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    synlab::testing::ExpectScenarioPasses(bad.string());
  }
  ASSERT_EQ(results.size(), 1);
  const auto& f = results.GetTestPartResult(0);
  EXPECT_TRUE(f.nonfatally_failed());
  EXPECT_EQ(f.line_number(), 3);
  EXPECT_THAT(f.file_name(), HasSubstr("wrong.scn"));
  EXPECT_THAT(f.message(),
              AllOf(HasSubstr("wrong.scn:3:"), HasSubstr("error:"), HasSubstr("expected 4")));
}

TEST(RegisterScenarios, AParseErrorIsAFailureAtItsLine) {
  const fs::path bad = g_temp_scenarios.parent_path() / "garbled.scn";
  {
    std::ofstream out(bad);
    out << "host h\n0 h: socket(AF_INET, SOCK_STREAM, 0 = 3\n";
  }
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    synlab::testing::ExpectScenarioPasses(bad.string());
  }
  ASSERT_EQ(results.size(), 1);
  EXPECT_EQ(results.GetTestPartResult(0).line_number(), 2);
  EXPECT_THAT(results.GetTestPartResult(0).message(), HasSubstr("garbled.scn:2:"));
}

// A folder of scenarios under names that need '/' and '-' turned into '_', plus a file that
// is not a scenario.
constexpr const char* kRefused = R"(title: refused
host client 10.0.0.1/24
host server 10.0.0.2/24
link client server delay 25ms
neighbours static
packets ignore * > *
0 client: socket(AF_INET, SOCK_STREAM, 0) = 3
+0...0.050 client: connect(3, server:5001) = -1 ECONNREFUSED (Connection refused)
1 end
)";
constexpr const char* kLoopback = R"(title: loopback
host h
packets ignore * > *
0 h: socket(AF_INET, SOCK_STREAM, 0) = 3
+0 h: bind(3, 127.0.0.1:5000) = 0
+0 h: listen(3, 8) = 0
+0 h: socket(AF_INET, SOCK_STREAM, 0) = 4
+0...+0 h: connect(4, 127.0.0.1:5000) = 0
+0 h: accept(3, 127.0.0.1:*) = 5
1 end
)";

int register_temp_scenarios() {
  const fs::path root =
      fs::temp_directory_path() / ("synlab_gtest_test_" + std::to_string(::getpid()));
  g_temp_scenarios = root / "tmp-scenarios";
  fs::create_directories(g_temp_scenarios / "sub-dir" / "x");
  std::ofstream(g_temp_scenarios / "refused.scn") << kRefused;
  std::ofstream(g_temp_scenarios / "sub-dir" / "refused-blocking.scn") << kRefused;
  std::ofstream(g_temp_scenarios / "sub-dir" / "x" / "y-loopback.scn") << kLoopback;
  std::ofstream(g_temp_scenarios / "README.txt") << "not a scenario\n";
  return synlab::testing::RegisterScenarios(g_temp_scenarios.string());
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  g_registered = register_temp_scenarios();
  const int rc = RUN_ALL_TESTS();
  std::error_code ec;
  fs::remove_all(g_temp_scenarios.parent_path(), ec);
  return rc;
}
