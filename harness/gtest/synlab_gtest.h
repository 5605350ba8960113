// GoogleTest support: write your own C++ tests against simulated hosts.
//
//   #include "harness/gtest/synlab_gtest.h"
//   using namespace std::chrono_literals;
//   using namespace synlab::testing;
//
//   class Connect : public WorldTest {};
//
//   TEST_F(Connect, ClosedPortIsRefusedAfterTheHandshakeRoundTrip) {
//     auto& client = add_host("client", {"10.0.0.1/24"});
//     auto& server = add_host("server", {"10.0.0.2/24"});
//     link(client, server, 50ms);
//     const int fd = tcp_socket(client).value();
//     // ARP (100 ms there and back), then SYN and RST (100 ms).
//     EXPECT_THAT(connect(client, fd, "10.0.0.2:9"), AllOf(FailsWith(ECONNREFUSED),
//     ReturnedAt(200ms)));
//   }
//
// A failure reads with errno names, never bare numbers:
//
//   Value of: connect(client, fd, "10.0.0.2:9")
//   Expected: fails with -1 ECONNREFUSED (Connection refused)
//     Actual: -1 ETIMEDOUT (Connection timed out) at 127.000000 s, which failed with
//             ETIMEDOUT (Connection timed out) instead
//
// `WorldTest` is a `::testing::Test` that is also a `Lab` (harness/gtest/lab.h): one World per
// test, socket calls returning `CallResult<T>`, blocking calls that run virtual time until they
// return, run_until / run_for / now. The matchers take a `CallResult<T>`, a `stack::SysResult<T>`
// (what Host's calls return) or the `std::optional<SysResult<T>>` of World::wait.
//
// `RegisterScenarios(dir)` makes every .scn file under `dir` a test of its own (call it from
// main before RUN_ALL_TESTS); a failing scenario fails with the runner's full report.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>

#include "harness/gtest/lab.h"
#include "harness/runner/runner.h"

namespace synlab::testing {

// A test with its own simulated world. Derive from it and call the Lab methods directly:
// add_host, link, tcp_socket, connect, accept, run_for, now, ...
class WorldTest : public ::testing::Test, public Lab {
 protected:
  explicit WorldTest(WorldConfig cfg = {}) : Lab(cfg) {}
};

// --- Matchers -----------------------------------------------------------------------------
namespace detail {

// What a matcher needs to know about a call's result, whatever type carried it.
struct Outcome {
  bool returned = true;
  Errno error = Errno::kOk;
  std::int64_t ret = 0;
  std::optional<sim::Time> at;  // only CallResult knows when
  std::string text;             // "-1 ECONNREFUSED (Connection refused) at 0.200000 s"
};

template <class T>
Outcome outcome(const CallResult<T>& r) {
  std::ostringstream os;
  os << r;
  return Outcome{r.returned(), r.error(), r.ret(), r.at(), os.str()};
}

template <class T>
Outcome outcome(const stack::SysResult<T>& r) {
  Outcome o;
  if (!r) {
    o.error = r.error();
    o.ret = -1;
    o.text = "-1 " + errno_text(o.error);
    return o;
  }
  if constexpr (!std::is_void_v<T>) {
    o.ret = c_return(*r);
  }
  o.text = std::to_string(o.ret);
  return o;
}

template <class T>
Outcome outcome(const std::optional<stack::SysResult<T>>& r) {
  if (!r) {
    Outcome o;
    o.returned = false;
    o.text = "still blocked";
    return o;
  }
  return outcome(*r);
}

// True when the call returned without an errno; else says why not ("which is still blocked",
// "which failed with ECONNREFUSED (...)").
inline bool returned_without_errno(const Outcome& o, ::testing::MatchResultListener* l) {
  if (!o.returned) {
    *l << "which is still blocked";
    return false;
  }
  if (o.error != Errno::kOk) {
    *l << "which failed with " << errno_text(o.error);
    return false;
  }
  return true;
}

class SucceedsMatcher {
 public:
  template <class R>
  bool MatchAndExplain(const R& r, ::testing::MatchResultListener* l) const {
    const Outcome o = outcome(r);
    if (!returned_without_errno(o, l)) return false;
    *l << "which returned " << o.ret;
    return true;
  }
  void DescribeTo(std::ostream* os) const { *os << "succeeds (returns without an errno)"; }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "fails with an errno or is still blocked";
  }
};

class FailsWithMatcher {
 public:
  // `host_errno` is the build host's <cerrno> value, kept to describe one the stack lacks.
  FailsWithMatcher(std::optional<Errno> e, int host_errno) : e_(e), host_errno_(host_errno) {}

  template <class R>
  bool MatchAndExplain(const R& r, ::testing::MatchResultListener* l) const {
    const Outcome o = outcome(r);
    if (!o.returned) {
      *l << "which is still blocked";
      return false;
    }
    if (o.error == Errno::kOk) {
      *l << "which succeeded, returning " << o.ret;
      return false;
    }
    if (!e_ || o.error != *e_) {
      *l << "which failed with " << errno_text(o.error) << " instead";
      return false;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const { *os << "fails with " << expected(); }
  void DescribeNegationTo(std::ostream* os) const { *os << "does not fail with " << expected(); }

 private:
  std::string expected() const {
    if (!e_) return "errno " + std::to_string(host_errno_) + " (not an errno synlab models)";
    return "-1 " + errno_text(*e_);
  }
  std::optional<Errno> e_;
  int host_errno_ = 0;
};

class ReturnsValueMatcher {
 public:
  explicit ReturnsValueMatcher(::testing::Matcher<std::int64_t> m) : m_(std::move(m)) {}

  template <class R>
  bool MatchAndExplain(const R& r, ::testing::MatchResultListener* l) const {
    const Outcome o = outcome(r);
    if (!returned_without_errno(o, l)) return false;
    ::testing::StringMatchResultListener inner;
    const bool ok = m_.MatchAndExplain(o.ret, &inner);
    *l << "which returned " << o.ret;
    if (!inner.str().empty()) *l << ", " << inner.str();
    return ok;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "succeeds and returns a value that ";
    m_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "fails, or returns a value that ";
    m_.DescribeNegationTo(os);
  }

 private:
  ::testing::Matcher<std::int64_t> m_;
};

class ReturnedAtMatcher {
 public:
  explicit ReturnedAtMatcher(sim::Time t) : t_(t) {}

  template <class T>
  bool MatchAndExplain(const CallResult<T>& r, ::testing::MatchResultListener* l) const {
    if (!r.returned()) {
      *l << "which is still blocked at " << sim::format_seconds(r.at()) << " s";
      return false;
    }
    *l << "which returned at " << sim::format_seconds(r.at()) << " s";
    if (r.at() != t_)
      *l << " (" << (r.at() > t_ ? "+" : "-")
         << sim::format_human(r.at() > t_ ? r.at() - t_ : t_ - r.at()) << ")";
    return r.at() == t_;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "returns at " << sim::format_seconds(t_) << " s";
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not return at " << sim::format_seconds(t_) << " s";
  }

 private:
  sim::Time t_;
};

}  // namespace detail

// The call returned without an errno.
inline ::testing::PolymorphicMatcher<detail::SucceedsMatcher> Succeeds() {
  return ::testing::MakePolymorphicMatcher(detail::SucceedsMatcher());
}

// The call failed with this errno: the build host's macro (ECONNREFUSED) or the typed value
// (Errno::kECONNREFUSED). Compared by name, so it means the same on every system.
inline ::testing::PolymorphicMatcher<detail::FailsWithMatcher> FailsWith(int host_errno) {
  return ::testing::MakePolymorphicMatcher(
      detail::FailsWithMatcher(errno_from_host(host_errno), host_errno));
}
inline ::testing::PolymorphicMatcher<detail::FailsWithMatcher> FailsWith(Errno e) {
  return ::testing::MakePolymorphicMatcher(detail::FailsWithMatcher(e, 0));
}

// The call succeeded and returned this value (as C would see it: the fd, the byte count, 0
// for calls returning nothing), or one matching a matcher: ReturnsValue(::testing::Gt(0)).
template <class M>
::testing::PolymorphicMatcher<detail::ReturnsValueMatcher> ReturnsValue(M m) {
  return ::testing::MakePolymorphicMatcher(
      detail::ReturnsValueMatcher(::testing::MatcherCast<std::int64_t>(m)));
}

// The call returned at this virtual time (since the world started). CallResult only.
inline ::testing::PolymorphicMatcher<detail::ReturnedAtMatcher> ReturnedAt(
    sim::Duration since_start) {
  return ::testing::MakePolymorphicMatcher(
      detail::ReturnedAtMatcher(sim::Time::zero() + since_start));
}
inline ::testing::PolymorphicMatcher<detail::ReturnedAtMatcher> ReturnedAt(sim::Time t) {
  return ::testing::MakePolymorphicMatcher(detail::ReturnedAtMatcher(t));
}

// GoogleTest prints values with PrintTo: "-1 ECONNREFUSED (Connection refused) at 0.200000 s".
template <class T>
void PrintTo(const CallResult<T>& r, std::ostream* os) {
  *os << r;
}

// --- Scenario files as tests ----------------------------------------------------------------
struct ScenarioOptions {
  // The test suite's name; empty: the folder's name with a capital ("scenarios" ->
  // "Scenarios").
  std::string suite;
  // How each scenario runs (seed, personality, captures, bounds).
  harness::RunOptions run;
};

// Registers one test per .scn file under `dir` (recursively, sorted): the suite named as above,
// the test after the file's path relative to `dir` without ".scn", with '/', '-' and every
// other character that is not a letter, digit or '_' turned into '_'
// ("handshake/simultaneous-open.scn" -> Scenarios.handshake_simultaneous_open). Each test
// parses and runs its scenario; a parse error or a failed expectation fails it with the full
// report, pointing at the scenario's file and line. Call before RUN_ALL_TESTS. Returns how
// many tests it registered; when `dir` is unreadable or holds no scenarios it registers one
// failing test (<Suite>.NoScenarios) saying so, and returns 0.
int RegisterScenarios(const std::string& dir, const ScenarioOptions& opt = {});

// Parses and runs one scenario file inside the current test: a parse error or the first failed
// expectation is a (non-fatal) test failure with the full report, at the scenario's line.
void ExpectScenarioPasses(const std::string& path, const harness::RunOptions& opt = {});

// The names RegisterScenarios gives (exposed for tests and for tools listing them).
std::string ScenarioSuiteName(const std::string& dir);
std::string ScenarioTestName(const std::string& relative_name);

}  // namespace synlab::testing

namespace synlab::stack {
// So GoogleTest prints what Host's calls return as "-1 ECONNREFUSED (Connection refused)"
// instead of raw bytes (found by argument-dependent lookup through Errno).
template <class T>
void PrintTo(const SysResult<T>& r, std::ostream* os) {
  *os << synlab::testing::detail::outcome(r).text;
}
}  // namespace synlab::stack
