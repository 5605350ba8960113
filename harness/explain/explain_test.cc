// `synlab explain`: the ladder of every bundled scenario, the terminal drawing, the comparison
// of two personalities and the command's errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness/cli/errno_command.h"
#include "harness/cli/run_command.h"
#include "harness/explain/explain_command.h"
#include "harness/explain/ladder.h"
#include "harness/explain/render.h"
#include "harness/explain/text_util.h"
#include "harness/scenario/parser.h"
#include "stack/socket/errno.h"

namespace synlab::harness::explain {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> bundled() {
  std::vector<std::string> v;
  for (const auto& e : fs::recursive_directory_iterator(bundled_scenarios_dir())) {
    if (e.path().extension() == ".scn") v.push_back(e.path().string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

Scenario parse(const std::string& path) {
  auto s = parse_scenario_file(path);
  if (!s) ADD_FAILURE() << s.error().to_string();
  return s ? *s : Scenario{};
}

Ladder ladder_of(const std::string& name, RunOptions opt = {}) {
  return explain_run(parse(bundled_scenarios_dir() + "/" + name + ".scn"), opt);
}

std::string text_of(const Ladder& l, int width = 100, bool color = false) {
  std::ostringstream o;
  render_text(l, {.width = width, .color = color}, o);
  return o.str();
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

// Every bundled scenario: the run passes, every host has a lane, every packet an arrow and a
// line in script syntax, every errno a call result and its meaning, and at 60, 80 and 120
// columns no line is wider than asked.
TEST(Explain, EveryBundledScenario) {
  const auto files = bundled();
  ASSERT_GT(files.size(), 40u);
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    const Scenario s = parse(f);
    RunOptions opt;
    opt.keep_trace = true;
    const ScenarioResult r = run_scenario(s, opt);
    const Ladder l = build_ladder(s, r);
    EXPECT_TRUE(l.passed) << l.failure;
    EXPECT_EQ(static_cast<std::uint64_t>(l.packets), r.packets);
    const std::string text = text_of(l, 5000);  // wide enough that nothing wraps
    EXPECT_NE(text.find(s.title), std::string::npos);
    for (const auto& c : l.columns) EXPECT_NE(text.find(c.host + ": "), std::string::npos) << c.host;
    int arrows = 0;
    for (const auto& row : l.rows) {
      if (row.kind == RowKind::kPacket) {
        ++arrows;
        EXPECT_FALSE(row.label.empty());
        EXPECT_NE(text.find(row.label.substr(0, 20)), std::string::npos) << row.label;
      }
      if ((row.kind == RowKind::kCall || row.kind == RowKind::kReturn) && !row.errno_name.empty()) {
        // "-1 ECONNREFUSED (Connection refused)" and, when synlab teaches it, its meaning.
        EXPECT_NE(text.find(row.errno_name + " ("), std::string::npos);
        if (auto e = stack::errno_from_name(row.errno_name); e && errno_lesson(*e)) {
          EXPECT_NE(text.find(row.errno_name + ": " + std::string(errno_lesson(*e)->meaning.substr(0, 20))),
                    std::string::npos)
              << row.errno_name;
        }
      }
    }
    EXPECT_EQ(arrows, l.packets);
    // The script's errno expectations all show up.
    for (const auto& ev : s.events) {
      if (const auto* c = std::get_if<Syscall>(&ev.body); c && c->errno_name) {
        EXPECT_NE(text.find(" " + *c->errno_name + " ("), std::string::npos) << *c->errno_name;
      }
    }
    for (int width : {60, 80, 120}) {
      for (const auto& line : lines_of(text_of(l, width))) {
        // The failure report and the header are free text; the ladder rows must fit.
        EXPECT_LE(line.size(), static_cast<std::size_t>(width)) << "width " << width << ": " << line;
      }
    }
  }
}

TEST(Explain, RefusedShowsTheResetAndTheErrnoMeaning) {
  const Ladder l = ladder_of("refused/blocking");
  const std::string t = text_of(l, 5000);
  EXPECT_NE(t.find("|------S------->X"), std::string::npos) << t;  // SYN, dropped: no socket
  EXPECT_NE(t.find("|<------R.------|"), std::string::npos) << t;  // the RST back, accepted
  EXPECT_NE(t.find("client: reset accepted"), std::string::npos) << t;
  EXPECT_NE(t.find("why: RST: no socket listening on 5001"), std::string::npos) << t;
  EXPECT_NE(t.find("client: connect(3, server:5001) returns -1 ECONNREFUSED (Connection refused)"), std::string::npos);
  EXPECT_NE(t.find("ECONNREFUSED: nobody accepted the connection"), std::string::npos);
  EXPECT_NE(t.find("client fd 3: SYN_SENT -> CLOSE"), std::string::npos);
  EXPECT_EQ(t.find("\x1b["), std::string::npos);  // plain unless asked
  EXPECT_NE(text_of(l, 100, true).find("\x1b[31m"), std::string::npos);
}

TEST(Explain, RetransmissionsAreNumberedWithTheirTimer) {
  const Ladder l = ladder_of("timeout/blackhole-syn2");
  std::vector<int> numbers;
  for (const auto& r : l.rows) {
    if (r.kind == RowKind::kPacket) numbers.push_back(r.retransmission);
  }
  // Linux 6.18 with tcp_syn_retries = 2 and four linear timeouts: five retransmissions.
  EXPECT_EQ(numbers, (std::vector<int>{0, 1, 2, 3, 4, 5})) << text_of(l);
  EXPECT_EQ(l.retransmissions, 5);
  const std::string t = text_of(l, 5000);
  EXPECT_NE(t.find("retransmission 1\n"), std::string::npos);
  EXPECT_NE(t.find("retransmission 5\n"), std::string::npos);
  EXPECT_NE(t.find("SYN retransmission timer fired (RTO 1 s)"), std::string::npos) << t;
  EXPECT_NE(t.find("returns -1 ETIMEDOUT"), std::string::npos);
}

TEST(Explain, DropsSayWhereAndWhy) {
  const std::string backlog = text_of(ladder_of("backlog/ack-overflow-retry"), 5000);
  EXPECT_NE(backlog.find("DROPPED: final ACK dropped by server: accept queue full (2 of 1+1)"), std::string::npos) << backlog;
  EXPECT_NE(backlog.find("[TCP_LISTEN_OVERFLOW]"), std::string::npos);
  const std::string lost = text_of(ladder_of("signals/eintr"), 5000);
  EXPECT_NE(lost.find("---x"), std::string::npos) << lost;
  EXPECT_NE(lost.find("LOST on the link: "), std::string::npos);
}

TEST(Explain, TheSameRunDrawsTheSameLadder) {
  EXPECT_EQ(text_of(ladder_of("backlog/ack-overflow-retry")), text_of(ladder_of("backlog/ack-overflow-retry")));
}

TEST(Explain, WrapKeepsWordsAndWidth) {
  EXPECT_EQ(wrap("aaaa bbb cccc", 8), (std::vector<std::string>{"aaaa bbb", "cccc"}));
  EXPECT_EQ(wrap("", 10), (std::vector<std::string>{""}));
  EXPECT_EQ(wrap("abcdefghijk", 8), (std::vector<std::string>{"abcdefgh", "ijk"}));
}

TEST(ExplainDiff, ShowsWhereTwoPersonalitiesDiffer) {
  RunOptions a, b;
  a.personality = "linux";
  b.personality = "linux-3.11";
  const Ladder la = ladder_of("timeout/blackhole-syn2", a);
  const Ladder lb = ladder_of("timeout/blackhole-syn2", b);
  std::ostringstream o;
  render_diff(la, lb, {.width = 120}, o);
  const std::string t = o.str();
  EXPECT_NE(t.find("linux vs linux-3.11"), std::string::npos) << t;
  EXPECT_NE(t.find("Calls whose outcome differs (1)"), std::string::npos) << t;
  EXPECT_NE(t.find("linux: -1 ETIMEDOUT (Connection timed out) at 7.000000 s"), std::string::npos) << t;
  // Linux 3.11's SYN offers window scale 6 and a smaller window: the first SYN is the same step
  // with another outcome.
  EXPECT_NE(t.find("\n!   0.000000 client > server S 0:0(0)"), std::string::npos) << t;
  EXPECT_NE(t.find("wscale 6"), std::string::npos) << t;
  EXPECT_NE(t.find("linux-3.11 failed:"), std::string::npos);

  std::ostringstream same;
  render_diff(la, la, {.width = 120}, same);
  EXPECT_NE(same.str().find("Every socket call returns the same"), std::string::npos) << same.str();
  EXPECT_NE(same.str().find("take the same"), std::string::npos);
}

// The lesson of addresses/reuseaddr-collision-bsd: the same script, two stacks, one call
// that differs.
TEST(ExplainDiff, LinuxAndBsdDifferOnTheDuplicateFourTuple) {
  std::ostringstream out, err;
  ASSERT_EQ(explain_command({.file = "addresses/reuseaddr-collision-bsd", .personalities = "linux,bsd", .width = 160},
                            out, err),
            0)
      << err.str() << out.str();
  const std::string t = out.str();
  EXPECT_NE(t.find("linux vs bsd"), std::string::npos) << t;
  EXPECT_NE(t.find("Calls whose outcome differs (1)"), std::string::npos) << t;
  EXPECT_NE(t.find("linux: -1 EADDRNOTAVAIL (Cannot assign requested address) at 0.100000 s"), std::string::npos) << t;
  EXPECT_NE(t.find("bsd: -1 EADDRINUSE (Address already in use) at 0.100000 s"), std::string::npos) << t;
  EXPECT_NE(t.find("EADDRINUSE: "), std::string::npos);  // with its meaning
  EXPECT_EQ(t.find("failed:"), std::string::npos) << t;  // both runs pass
}

TEST(ExplainCommand, BadInputExitsTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(explain_command({.file = "no/such.scn"}, out, err), 2);
  EXPECT_NE(err.str().find("no/such.scn"), std::string::npos) << err.str();
  err.str("");
  EXPECT_EQ(explain_command({.file = "refused/blocking", .personalities = "linx"}, out, err), 2);
  EXPECT_NE(err.str().find("did you mean 'linux'"), std::string::npos) << err.str();
  err.str("");
  EXPECT_EQ(explain_command({.file = "refused/blocking", .format = "png"}, out, err), 2);
  EXPECT_NE(err.str().find("unknown format"), std::string::npos);
  err.str("");
  EXPECT_EQ(explain_command({.file = "refused/blocking", .personalities = "linux,bsd,linux"}, out, err), 2);
  EXPECT_TRUE(out.str().empty());
}

TEST(ExplainCommand, BundledNameAndFailingScenario) {
  std::ostringstream out, err;
  EXPECT_EQ(explain_command({.file = "refused/blocking", .width = 100}, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("PASS: 4 packets"), std::string::npos) << out.str();

  // A wrong expectation: the ladder up to the failure, then the failure, exit 1.
  const fs::path dir = fs::temp_directory_path() / "synlab_explain_test";
  fs::create_directories(dir);
  const fs::path f = dir / "wrong.scn";
  std::ifstream in(bundled_scenarios_dir() + "/refused/blocking.scn");
  std::stringstream src;
  src << in.rdbuf();
  std::string text = std::regex_replace(src.str(), std::regex("= -1 ECONNREFUSED"), "= 0", std::regex_constants::format_first_only);
  std::ofstream(f) << text;
  out.str("");
  EXPECT_EQ(explain_command({.file = f.string(), .width = 100}, out, err), 1);
  EXPECT_NE(out.str().find("FAIL: "), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("expected 0 but got -1 ECONNREFUSED"), std::string::npos) << out.str();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace synlab::harness::explain
