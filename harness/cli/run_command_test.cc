// `synlab run`: discovery, selection, exit codes, parallel runs and reports.
#include "harness/cli/run_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace synlab::harness {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const char* kPass =
    "title: refused\n"
    "tags: refused smoke\n"
    "host client 10.0.0.1/24\n"
    "host server 10.0.0.2/24\n"
    "link client server delay 50ms\n"
    "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
    "+0...0.200 client: connect(3, server:5001) = -1 ECONNREFUSED\n"
    "0.100 client > server S 0:0(0) <...>\n"
    "0.150 server > client R. 0:0(0) ack 1 win 0\n";

class RunCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("synlab_cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "suite" / "a");
    fs::create_directories(dir_ / "suite" / "b");
    write("suite/a/pass.scn", kPass);
    std::string wrong = kPass;
    wrong.replace(wrong.find("win 0"), 5, "win 9");
    write("suite/b/wrong.scn", wrong);
    write("suite/b/notes.txt", "not a scenario");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ / rel) << text;
  }
  std::string path(const std::string& rel) const { return (dir_ / rel).string(); }
  int run(RunArgs a) {
    out_.str("");
    err_.str("");
    return run_command(a, out_, err_);
  }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  fs::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(RunCommand, FindsScenariosRecursivelyInOrder) {
  std::vector<Found> found;
  std::string error;
  ASSERT_TRUE(find_scenarios({path("suite")}, &found, &error)) << error;
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].name, "a/pass");
  EXPECT_EQ(found[1].name, "b/wrong");
  EXPECT_FALSE(find_scenarios({path("nope")}, &found, &error));
  EXPECT_THAT(error, HasSubstr("no such file or folder"));
}

TEST_F(RunCommand, PassAndFailGiveExitOneAndASummary) {
  RunArgs a;
  a.paths = {path("suite")};
  EXPECT_EQ(run(a), 1);
  const std::string o = out_.str();
  EXPECT_THAT(o, HasSubstr("PASS a/pass [linux] 0.200000 s, 4 packets\n"));
  EXPECT_THAT(o, HasSubstr("FAIL b/wrong [linux]"));
  EXPECT_THAT(o, HasSubstr("wrong.scn:9:1: error: wrong TCP window: expected 9, got 0"));
  EXPECT_THAT(o, HasSubstr("script packet:  0.150000 server > client R. 0:0(0) ack 1 win 9"));
  EXPECT_TRUE(o.ends_with("1 passed, 1 failed\n")) << o;
}

TEST_F(RunCommand, AllPassingIsExitZero) {
  RunArgs a;
  a.paths = {path("suite/a")};
  EXPECT_EQ(run(a), 0);
  EXPECT_TRUE(out_.str().ends_with("1 passed, 0 failed\n"));
}

TEST_F(RunCommand, BrokenScenarioRunsNothingAndExitsTwo) {
  write("suite/a/broken.scn", "title: x\nhost c 10.0.0.1/24\n0 c: conect(3) = 0\n");
  RunArgs a;
  a.paths = {path("suite")};
  EXPECT_EQ(run(a), 2);
  EXPECT_THAT(err_.str(), HasSubstr("broken.scn:3:6: error: unknown call 'conect'"));
  EXPECT_THAT(err_.str(), HasSubstr("nothing was run"));
  EXPECT_EQ(out_.str(), "");
}

TEST_F(RunCommand, BadOptionsExitTwo) {
  RunArgs a;
  a.paths = {path("suite")};
  a.personalities = {"plan9"};
  EXPECT_EQ(run(a), 2);
  EXPECT_THAT(err_.str(), HasSubstr("unknown personality 'plan9'"));
  a.personalities = {};
  a.shard = "3/2";
  EXPECT_EQ(run(a), 2);
  EXPECT_THAT(err_.str(), HasSubstr("bad shard '3/2'"));
}

TEST_F(RunCommand, FilterMatchesNamesAndTags) {
  EXPECT_TRUE(matches_filters({"a/*"}, "a/pass", {}));
  EXPECT_FALSE(matches_filters({"b/*"}, "a/pass", {}));
  EXPECT_TRUE(matches_filters({"smoke"}, "a/pass", {"refused", "smoke"}));
  EXPECT_TRUE(matches_filters({}, "x", {}));
  RunArgs a;
  a.paths = {path("suite")};
  a.filters = {"*pass"};
  EXPECT_EQ(run(a), 0);
  EXPECT_TRUE(out_.str().ends_with("1 passed, 0 failed\n"));
}

TEST_F(RunCommand, ShardsSplitTheSuite) {
  int i = 0, n = 0;
  std::string e;
  ASSERT_TRUE(parse_shard("1/3", &i, &n, &e));
  EXPECT_EQ(i, 1);
  EXPECT_EQ(n, 3);
  EXPECT_FALSE(parse_shard("1/x", &i, &n, &e));
  setenv("GTEST_SHARD_INDEX", "1", 1);
  setenv("GTEST_TOTAL_SHARDS", "2", 1);
  ASSERT_TRUE(parse_shard("", &i, &n, &e));
  EXPECT_EQ(i, 1);
  EXPECT_EQ(n, 2);
  RunArgs a;
  a.paths = {path("suite")};
  EXPECT_EQ(run(a), 1);  // shard 1 of 2: b/wrong only
  EXPECT_THAT(out_.str(), HasSubstr("FAIL b/wrong"));
  EXPECT_THAT(out_.str(), ::testing::Not(HasSubstr("a/pass")));
  unsetenv("GTEST_SHARD_INDEX");
  unsetenv("GTEST_TOTAL_SHARDS");
  a.shard = "0/2";
  EXPECT_EQ(run(a), 0);
  EXPECT_THAT(out_.str(), HasSubstr("PASS a/pass"));
}

TEST_F(RunCommand, ParallelRunPrintsTheSameAsSerial) {
  for (int k = 0; k < 5; ++k) write("suite/a/copy" + std::to_string(k) + ".scn", kPass);
  RunArgs a;
  a.paths = {path("suite")};
  EXPECT_EQ(run(a), 1);
  const std::string serial = out_.str();
  a.jobs = 3;
  EXPECT_EQ(run(a), 1);
  EXPECT_EQ(out_.str(), serial);
  EXPECT_TRUE(serial.ends_with("6 passed, 1 failed\n"));
}

TEST_F(RunCommand, ReportsAndCapturesAreWrittenAndDeterministic) {
  RunArgs a;
  a.paths = {path("suite")};
  a.out_dir = path("out1");
  a.json_file = path("r1.json");
  a.junit_file = path("r1.xml");
  EXPECT_EQ(run(a), 1);
  auto j = nlohmann::json::parse(slurp(path("r1.json")));
  EXPECT_EQ(j["passed"], 1);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["scenarios"][1]["failure"]["line"], 9);
  EXPECT_EQ(j["scenarios"][1]["failure"]["message"], "wrong TCP window: expected 9, got 0");
  const std::string xml = slurp(path("r1.xml"));
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"synlab\" tests=\"2\" failures=\"1\">"));
  EXPECT_THAT(xml, HasSubstr("<testcase classname=\"b\" name=\"wrong[linux]\""));
  EXPECT_TRUE(fs::exists(path("out1/a/pass.pcap")));
  EXPECT_TRUE(fs::exists(path("out1/a/pass.pcapng")));
  EXPECT_TRUE(fs::exists(path("out1/report.json")));
  // Same again into another folder: identical bytes.
  RunArgs b = a;
  b.out_dir = path("out2");
  b.json_file = path("r2.json");
  b.junit_file = path("r2.xml");
  b.jobs = 2;
  EXPECT_EQ(run(b), 1);
  EXPECT_EQ(slurp(path("out1/a/pass.pcap")), slurp(path("out2/a/pass.pcap")));
  EXPECT_EQ(slurp(path("out1/a/pass.pcapng")), slurp(path("out2/a/pass.pcapng")));
  EXPECT_EQ(slurp(path("r1.xml")), slurp(path("r2.xml")));
  // The JSON names the capture paths, which differ by folder; everything else is equal.
  auto j2 = nlohmann::json::parse(slurp(path("r2.json")));
  for (auto* x : {&j, &j2}) {
    for (auto& s : (*x)["scenarios"]) s.erase("captures");
  }
  EXPECT_EQ(j, j2);
}

TEST_F(RunCommand, PersonalitiesMultiplyTheRuns) {
  RunArgs a;
  a.paths = {path("suite/a")};
  a.personalities = {"linux", "linux"};
  EXPECT_EQ(run(a), 0);
  EXPECT_TRUE(out_.str().ends_with("2 passed, 0 failed\n"));
}

// Interruption, at a known point: before_item sends the signal just before b/wrong starts, so
// that run ends at its first event, and nothing after it starts.
TEST_F(RunCommand, SignalStopsTheRunWritesReportsAndExits128PlusSignal) {
  write("suite/c.scn", kPass);
  for (const int sig : {SIGINT, SIGTERM}) {
    const std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    RunArgs a;
    a.paths = {path("suite")};
    a.out_dir = path("out-" + name);
    a.json_file = path("r-" + name + ".json");
    a.junit_file = path("r-" + name + ".xml");
    a.before_item = [sig](const SuiteItem& item) {
      if (item.name == "b/wrong") raise(sig);
    };
    EXPECT_EQ(run(a), 128 + sig);
    const std::string o = out_.str();
    EXPECT_THAT(o, HasSubstr("PASS a/pass [linux]"));
    EXPECT_THAT(o, HasSubstr("FAIL b/wrong [linux] 0.000000 s, 0 packets\n"));
    EXPECT_THAT(o, HasSubstr("wrong.scn:6:1: error: interrupted by " + name + " at 0.000000 s\n"));
    EXPECT_THAT(o, HasSubstr("NOT RUN c\n"));
    EXPECT_TRUE(o.ends_with("interrupted by " + name + ": 1 passed, 1 failed, 1 not run\n")) << o;
    auto j = nlohmann::json::parse(slurp(path("r-" + name + ".json")));
    EXPECT_EQ(j, nlohmann::json::parse(slurp(path("out-" + name + "/report.json"))));
    EXPECT_EQ(j["interrupted"], name);
    EXPECT_EQ(j["not_run"], 1);
    EXPECT_EQ(j["not_run_scenarios"], nlohmann::json::array({"c"}));
    ASSERT_EQ(j["scenarios"].size(), 2u);
    EXPECT_FALSE(j["scenarios"][0].contains("interrupted"));
    EXPECT_EQ(j["scenarios"][1]["interrupted"], name);
    EXPECT_EQ(j["scenarios"][1]["passed"], false);
    EXPECT_THAT(slurp(path("r-" + name + ".xml")), HasSubstr("interrupted by " + name));
    EXPECT_TRUE(slurp(path("out-" + name + "/report.txt"))
                    .ends_with("NOT RUN c\n" + o.substr(o.rfind("interrupted by"))));
    // The interrupted run's captures were finished: a pcap header (24 bytes, no records) and
    // a pcapng section header plus interface blocks.
    EXPECT_EQ(fs::file_size(path("out-" + name + "/b/wrong.pcap")), 24u);
    const std::string ng = slurp(path("out-" + name + "/b/wrong.pcapng"));
    ASSERT_GE(ng.size(), 28u);
    EXPECT_EQ(ng.substr(0, 4), std::string("\x0a\x0d\x0d\x0a", 4));
    EXPECT_FALSE(fs::exists(path("out-" + name + "/c.pcap")));
  }
  // The handlers are gone afterwards, and a new run starts clean.
  RunArgs a;
  a.paths = {path("suite/a")};
  EXPECT_EQ(run(a), 0);
  struct sigaction now = {};
  sigaction(SIGINT, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
}

// With --jobs, a signal that only one worker gets interrupts the whole run: the parent
// forwards it to the other workers and exits 130 itself. (Whether a/pass, in the other
// worker, finished, was interrupted or never started depends on timing.)
TEST_F(RunCommand, SignalInAWorkerStopsTheParallelRun) {
  RunArgs a;
  a.paths = {path("suite")};
  a.jobs = 2;
  a.json_file = path("r.json");
  a.before_item = [](const SuiteItem& item) {
    if (item.name == "b/wrong") raise(SIGINT);
  };
  EXPECT_EQ(run(a), 130);
  EXPECT_THAT(out_.str(), HasSubstr("wrong.scn:6:1: error: interrupted by SIGINT at 0.000000 s"));
  EXPECT_THAT(out_.str(), HasSubstr("\ninterrupted by SIGINT: "));
  auto j = nlohmann::json::parse(slurp(path("r.json")));
  EXPECT_EQ(j["interrupted"], "SIGINT");
  EXPECT_EQ(j["scenarios"].back()["name"], "b/wrong");
  EXPECT_EQ(j["scenarios"].back()["interrupted"], "SIGINT");
}

}  // namespace
}  // namespace synlab::harness
