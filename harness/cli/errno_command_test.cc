// `synlab errno`: the lesson for one errno, the scenarios that show it, and that every errno
// the bundled scenarios and docs/errno.md name has a lesson.
#include "harness/cli/errno_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness/cli/run_command.h"
#include "harness/scenario/parser.h"

namespace synlab::harness {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

struct Out {
  int code;
  std::string out, err;
};

Out run(ErrnoArgs a) {
  std::ostringstream out, err;
  const int code = errno_command(a, out, err);
  return {code, out.str(), err.str()};
}

TEST(ErrnoCommand, EconnrefusedHasItsMeaningLinuxCaseAndScenarios) {
  const Out r = run({.name = "ECONNREFUSED"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ECONNREFUSED (111 on Linux): Connection refused"));
  EXPECT_THAT(r.out, HasSubstr("nobody accepted the connection"));
  EXPECT_THAT(r.out, HasSubstr("an RST answers the SYN"));
  EXPECT_THAT(r.out, HasSubstr("synlab run --filter 'errno:ECONNREFUSED'"));
  EXPECT_THAT(r.out, HasSubstr("ipv6/loopback-refused"));
  EXPECT_THAT(r.out, HasSubstr("arguments/connect-after-error-read"));
  // Only scenarios with the tag: the blackhole times out, it is never refused.
  EXPECT_THAT(r.out, Not(HasSubstr("timeout/blackhole-default")));
}

TEST(ErrnoCommand, NamesAreCaseInsensitiveAndLinuxNumbersWork) {
  const Out a = run({.name = "ETIMEDOUT"});
  EXPECT_EQ(a.code, 0);
  EXPECT_THAT(a.out, HasSubstr("timeout/blackhole-default"));
  EXPECT_EQ(run({.name = "etimedout"}).out, a.out);
  EXPECT_EQ(run({.name = "110"}).out, a.out);
}

TEST(ErrnoCommand, UnknownNamesAreExit2WithASuggestion) {
  const Out r = run({.name = "ECONREFUSED"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("unknown errno 'ECONREFUSED'; did you mean 'ECONNREFUSED'?"));
  const Out n = run({.name = "99999"});
  EXPECT_EQ(n.code, 2);
  // A real errno synlab has nothing to say about.
  const Out d = run({.name = "EDOM"});
  EXPECT_EQ(d.code, 2);
  EXPECT_THAT(d.err, HasSubstr("no lesson for errno 'EDOM'"));
}

TEST(ErrnoCommand, WithoutANameListsEveryLesson) {
  const Out r = run({});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("EADDRNOTAVAIL"));
  EXPECT_THAT(r.out, HasSubstr("EINPROGRESS   the connection has started and will finish later"));
}

TEST(ErrnoCommand, ScenariosComeFromTheGivenFolder) {
  const fs::path dir = fs::temp_directory_path() / "synlab_errno_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "topic");
  std::ofstream(dir / "topic" / "pipe.scn") << "title: Writing after shutdown\n"
                                               "tags: errno:EPIPE\n"
                                               "host a 10.0.0.1/24\n"
                                               "host b 10.0.0.2/24\n"
                                               "link a b\n"
                                               "0 a: socket(AF_INET, SOCK_STREAM, 0) = 3\n";
  const Out r = run({.name = "EPIPE", .scenarios_dir = dir.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("topic/pipe  Writing after shutdown"));
  const Out none = run({.name = "EFAULT", .scenarios_dir = dir.string()});
  EXPECT_THAT(none.out, HasSubstr("No bundled scenario is tagged errno:EFAULT."));
  const Out missing = run({.name = "EPIPE", .scenarios_dir = (dir / "nope").string()});
  EXPECT_EQ(missing.code, 2);
  fs::remove_all(dir);
}

// Every errno a bundled scenario is tagged with, and every row of docs/errno.md, has a lesson:
// a new tag or row without one fails here.
TEST(ErrnoCommand, EveryTaggedOrDocumentedErrnoHasALesson) {
  std::set<std::string> names;
  std::vector<Found> found;
  std::string error;
  ASSERT_TRUE(find_scenarios({bundled_scenarios_dir()}, &found, &error)) << error;
  for (const auto& f : found) {
    auto s = parse_scenario_file(f.path);
    ASSERT_TRUE(s) << f.path;
    for (const auto& t : s->tags) {
      if (t.rfind("errno:", 0) == 0) names.insert(t.substr(6));
    }
  }
  EXPECT_GE(names.size(), 20u);
  std::ifstream doc(fs::path(bundled_scenarios_dir()) / ".." / "docs" / "errno.md");
  ASSERT_TRUE(doc) << "docs/errno.md";
  const std::regex row(R"(^\| (E[A-Z]+) \|)");
  std::size_t rows = 0;
  for (std::string line; std::getline(doc, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      names.insert(m[1]);
      ++rows;
    }
  }
  EXPECT_GE(rows, 20u);
  for (const auto& n : names) {
    const auto e = stack::errno_from_name(n);
    ASSERT_TRUE(e) << n;
    EXPECT_TRUE(errno_lesson(*e)) << n << " has no lesson";
  }
}

}  // namespace
}  // namespace synlab::harness
