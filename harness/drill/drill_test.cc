// The packetdrill front end: the `%{ }%` evaluator, parse errors with their lines, and small
// scripts run end to end (passes, each kind of failure in packetdrill's words, `// Failure:`
// self-tests, fd mapping, -D, era profiles, tolerance, IP modes).
//
// The scripts are inline and never read the corpus in ../shared/conformance. Those that need
// packetdrill's defaults.sh (window scale 8 comes from its tcp_rmem) get a two-line one of
// their own in a temporary folder, found the way packetdrill finds it: relative to the script.
#include "harness/drill/drill.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <source_location>
#include <tuple>

#include "harness/drill/tcpinfo_expr.h"

namespace synlab::harness::drill {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------------------------
// tcpinfo_expr: the `%{ assert ... }%` subset.

// A tcp_info snapshot as packetdrill writes it before the block, plus the constants.
AssertOutcome run_code(std::string_view code, const std::map<std::string, std::int64_t>& tcpi) {
  return run_tcpinfo_code(code, [&](std::string_view name) -> std::optional<std::int64_t> {
    if (auto it = tcpi.find(std::string(name)); it != tcpi.end()) return it->second;
    return tcpinfo_constant(name);
  });
}

TEST(TcpInfoExpr, ConstantsHaveLinuxValues) {
  EXPECT_EQ(tcpinfo_constant("TCP_ESTABLISHED"), 1);
  EXPECT_EQ(tcpinfo_constant("TCP_CLOSE"), 7);
  EXPECT_EQ(tcpinfo_constant("TCP_LISTEN"), 10);
  EXPECT_EQ(tcpinfo_constant("TCPI_OPT_SYN_DATA"), 32);
  EXPECT_EQ(tcpinfo_constant("TCPI_OPT_TIMESTAMPS"), 1);
  EXPECT_EQ(tcpinfo_constant("tcpi_state"), std::nullopt);
  EXPECT_EQ(tcpinfo_constant("TCP_BOGUS"), std::nullopt);
}

TEST(TcpInfoExpr, PassingAssertsAreOk) {
  const auto o = run_code(
      "assert tcpi_state == TCP_ESTABLISHED, tcpi_state; assert tcpi_options & 1 == 1\n"
      "assert (tcpi_options & TCPI_OPT_SYN_DATA) == 0, tcpi_options",
      {{"tcpi_state", 1}, {"tcpi_options", 7}});
  EXPECT_TRUE(o.ok) << o.error;
  EXPECT_FALSE(o.unsupported);
  EXPECT_EQ(o.error, "");
}

TEST(TcpInfoExpr, FailingAssertNamesTheTcpiValues) {
  const auto o = run_code("assert tcpi_state == TCP_CLOSE, tcpi_state", {{"tcpi_state", 1}});
  EXPECT_FALSE(o.ok);
  EXPECT_FALSE(o.unsupported);
  // The message after the comma is Python's, not evaluated, not shown.
  EXPECT_EQ(o.error, "AssertionError: tcpi_state == TCP_CLOSE (tcpi_state = 1)");
}

TEST(TcpInfoExpr, FailureListsEveryTcpiNameReadButNoConstants) {
  const auto o = run_code("assert tcpi_rto < tcpi_rtt + TCP_CLOSE",
                          {{"tcpi_rto", 200000}, {"tcpi_rtt", 1000}});
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error,
            "AssertionError: tcpi_rto < tcpi_rtt + TCP_CLOSE (tcpi_rto = 200000, tcpi_rtt = 1000)");
}

TEST(TcpInfoExpr, BitAndWithAndWithoutParentheses) {
  // Python: `&` binds tighter than `==`, so both spellings mean the same.
  const std::map<std::string, std::int64_t> syn_data{{"tcpi_options", 32 | 4}};
  EXPECT_TRUE(
      run_code("assert (tcpi_options & TCPI_OPT_SYN_DATA) == TCPI_OPT_SYN_DATA", syn_data).ok);
  EXPECT_TRUE(
      run_code("assert tcpi_options & TCPI_OPT_SYN_DATA == TCPI_OPT_SYN_DATA", syn_data).ok);
  const auto o = run_code("assert (tcpi_options & TCPI_OPT_SYN_DATA) == 0, tcpi_options", syn_data);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error, "AssertionError: (tcpi_options & TCPI_OPT_SYN_DATA) == 0 (tcpi_options = 36)");
  EXPECT_TRUE(run_code("assert (tcpi_options & TCPI_OPT_SYN_DATA) == 0", {{"tcpi_options", 4}}).ok);
  // Parentheses change grouping: (2 + 3) * 4 is 20, 2 + 3 * 4 is 14.
  EXPECT_TRUE(run_code("assert (2 + 3) * 4 == 20 and 2 + 3 * 4 == 14", {}).ok);
  EXPECT_FALSE(run_code("assert ((2 + 3) * 4 == 14)", {}).ok);
}

TEST(TcpInfoExpr, NotEqual) {
  EXPECT_TRUE(run_code("assert tcpi_state != TCP_CLOSE", {{"tcpi_state", 1}}).ok);
  const auto o = run_code("assert tcpi_state != TCP_CLOSE", {{"tcpi_state", 7}});
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error, "AssertionError: tcpi_state != TCP_CLOSE (tcpi_state = 7)");
}

TEST(TcpInfoExpr, ChainedComparisonIsPythons) {
  // 0 < x < 10 is (0 < x) and (x < 10), not (0 < x) < 10.
  EXPECT_TRUE(run_code("assert 0 < tcpi_x < 10", {{"tcpi_x", 5}}).ok);
  EXPECT_FALSE(run_code("assert 0 < tcpi_x < 10", {{"tcpi_x", 50}}).ok);
}

TEST(TcpInfoExpr, FirstFailingStatementEndsTheBlock) {
  const auto o = run_code("assert tcpi_a == 1\nassert tcpi_b == 1; assert tcpi_c == 1",
                          {{"tcpi_a", 1}, {"tcpi_b", 2}});
  EXPECT_FALSE(o.ok);
  // tcpi_c is unknown, but the block stopped at tcpi_b.
  EXPECT_EQ(o.error, "AssertionError: tcpi_b == 1 (tcpi_b = 2)");
}

TEST(TcpInfoExpr, FloorDivisionAndModuloAreHalfOpenAsInPython) {
  EXPECT_TRUE(run_code("assert -7 // 2 == -4", {}).ok);
  EXPECT_TRUE(run_code("assert -7 % 2 == 1", {}).ok);
  EXPECT_TRUE(run_code("assert 7 % -2 == -1", {}).ok);
  EXPECT_TRUE(run_code("assert 7 // 2 == 3 and 7 % 2 == 1", {}).ok);
  EXPECT_TRUE(run_code("assert(1 == 1)", {}).ok) << "assert followed by a parenthesis";
}

TEST(TcpInfoExpr, UnknownNameIsNameError) {
  const auto o = run_code("assert tcpi_bogus == 0", {{"tcpi_state", 1}});
  EXPECT_FALSE(o.ok);
  EXPECT_FALSE(o.unsupported);  // a script error, as Python would report it
  EXPECT_THAT(o.error, StartsWith("NameError: name 'tcpi_bogus' is not defined"));
}

TEST(TcpInfoExpr, StatementsOtherThanAssertAreUnsupported) {
  for (const char* code : {"print(tcpi_state)", "x = 1", "import os", "tcpi_state == 1"}) {
    SCOPED_TRACE(code);
    const auto o = run_code(code, {{"tcpi_state", 1}});
    EXPECT_FALSE(o.ok);
    EXPECT_TRUE(o.unsupported);
    EXPECT_THAT(o.error, HasSubstr("unsupported statement in %{ }%"));
    EXPECT_THAT(o.error, HasSubstr(code));
    // The parse-time check rejects it too.
    EXPECT_TRUE(check_tcpinfo_code(code).has_value());
  }
}

TEST(TcpInfoExpr, ExpressionsOutsideTheSubsetAreUnsupported) {
  for (const char* code : {"assert tcpi_state in (1, 2)", "assert tcpi_state == 1 +* 2",
                           "assert 'a' == 'a'", "assert (tcpi_state == 1"}) {
    SCOPED_TRACE(code);
    const auto o = run_code(code, {{"tcpi_state", 1}});
    EXPECT_FALSE(o.ok);
    EXPECT_TRUE(o.unsupported);
    EXPECT_THAT(o.error, StartsWith("unsupported expression in %{ }%"));
    EXPECT_TRUE(check_tcpinfo_code(code).has_value());
  }
}

TEST(TcpInfoExpr, ParseTimeCheckAcceptsUnknownNames) {
  // At parse time no snapshot exists: names are not looked up.
  EXPECT_EQ(check_tcpinfo_code(
                "assert tcpi_whatever == TCP_CLOSE; assert (tcpi_options & 32) == 0, tcpi_options"),
            std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Parse errors: each names its line.

constexpr const char* kPath = "drill_test/x.pkt";

DrillError parse_error(std::string_view text, const DrillOptions& opt = {},
                       std::source_location where = std::source_location::current()) {
  auto d = parse_drill(text, kPath, opt);
  if (d) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
        << "parsed, expected an error";
    return {};
  }
  return d.error();
}

TEST(DrillParse, FirstEventMustBeAtTimeZero) {
  const auto e = parse_error("// a comment\n+.1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.message, "the first event must be at time 0");
  EXPECT_EQ(e.to_string(), "drill_test/x.pkt:2:1: error: the first event must be at time 0");
}

TEST(DrillParse, TimeGoingBackwards) {
  const auto e = parse_error(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "0.2 close(3) = 0\n"
      "  0.1 close(3) = 0\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.col, 3);
  EXPECT_THAT(e.message, StartsWith("time goes backwards"));
  EXPECT_THAT(e.to_string(), StartsWith("drill_test/x.pkt:3:3: error: time goes backwards"));
}

TEST(DrillParse, UnknownOptionInTheScript) {
  const auto e = parse_error("--bogus_option=1\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  EXPECT_EQ(e.message, "unsupported option --bogus_option");
  EXPECT_THAT(e.to_string(), HasSubstr(": error: unsupported option --bogus_option"));
}

TEST(DrillParse, UnknownOptionOnTheCommandLine) {
  DrillOptions opt;
  opt.options = {"--bogus_option=1"};
  const auto e = parse_error("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", opt);
  EXPECT_EQ(e.message, "unsupported option --bogus_option");
  opt.options = {"--ip_version=ipv5"};
  EXPECT_THAT(parse_error("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", opt).message,
              HasSubstr("unknown --ip_version 'ipv5'"));
  opt.options = {"--tolerance_usecs=soon"};
  EXPECT_THAT(parse_error("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", opt).message,
              HasSubstr("bad --tolerance_usecs 'soon'"));
}

TEST(DrillParse, TimedShellCommandIsNeverRunAndNamesTheLine) {
  const auto e = parse_error(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "\n"
      "+0 `rm -rf /`\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.message, "unsupported shell command (not interpreted): rm -rf /");
  EXPECT_EQ(e.to_string(),
            "drill_test/x.pkt:3:4: error: unsupported shell command (not interpreted): rm -rf /");
}

TEST(DrillParse, InitShellCommandIsNeverRun) {
  const auto e = parse_error(
      "// setup\n`touch /tmp/synlab_drill_test_must_not_exist`\n0 socket(..., SOCK_STREAM, "
      "IPPROTO_TCP) = 3\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_THAT(e.message, HasSubstr("unsupported shell command"));
  EXPECT_FALSE(std::filesystem::exists("/tmp/synlab_drill_test_must_not_exist"));
}

TEST(DrillParse, PipeOtherThanGrepIsUnsupported) {
  const auto e = parse_error(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 `ss -tn | sh`\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_THAT(e.message, HasSubstr("only `| grep TEXT` pipes are interpreted"));
}

TEST(DrillParse, UnterminatedBacktickNamesWhereItOpened) {
  const auto e = parse_error(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 close(3) = 0\n"
      "+0 `sysctl -q net.ipv4.tcp_sack=0\n"
      "+0 close(3) = 0\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.message, "unterminated backtick command");
  EXPECT_EQ(e.to_string(), "drill_test/x.pkt:3:4: error: unterminated backtick command");  // at the backtick
}

TEST(DrillParse, UnterminatedCodeBlockNamesWhereItOpened) {
  const auto e = parse_error(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 %{ assert tcpi_state == TCP_CLOSE\n"
      "+0 close(3) = 0\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.col, 4);  // at the %{
  EXPECT_EQ(e.message, "unterminated %{ }% block");
}

TEST(DrillParse, UnterminatedBlockCommentNamesWhereItOpened) {
  const auto e = parse_error("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n  /* never closed\n+0 close(3) = 0\n");
  EXPECT_EQ(e.to_string(), "drill_test/x.pkt:2:3: error: unterminated /* comment");
}

// An error the scenario parser finds in the translated line points at the same word in the
// script's line (the translated line differs: times, hosts, ports).
TEST(DrillParse, TranslatedLineErrorsPointAtTheScriptsWord) {
  const std::string head = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n";
  auto e = parse_error(head + "+0  frobnicate(3) = 0\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.col, 5);
  EXPECT_THAT(e.message, StartsWith("unknown call 'frobnicate' (in the translated line: "));
  e = parse_error(head + "+0 < S 0:0(0) win 9999999\n");
  EXPECT_EQ(e.col, 19);
  EXPECT_THAT(e.message, StartsWith("window '9999999' is out of range"));
  // A word only as a whole word: the S of SOCK_STREAM is not the flags' S.
  e = parse_error(head + "+0 setsockopt(3, SOL_SOCKET, SO_NOSUCH, [1], 4) = 0\n");
  EXPECT_EQ(e.col, 30);
}

TEST(DrillParse, UnclosedOptionListIsAnErrorOnItsLine) {
  const auto e = parse_error("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1000 <mss 1000\n+0 close(3) = 0\n");
  EXPECT_EQ(e.to_string(), "drill_test/x.pkt:2:24: error: '<' opens TCP options that no '>' closes");
}

// What `synlab drill` and `synlab check` print: the script's line and a caret under the column.
TEST(DrillParse, LoadDrillReportShowsTheLineAndACaret) {
  const auto path = std::filesystem::temp_directory_path() / ("synlab_drill_report_" + std::to_string(getpid()) + ".pkt");
  std::ofstream(path) << "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0\tclose(3, 4) = 0\n";
  const auto d = load_drill(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().report(), path.string() + ":2:4: error: 'close' takes 1 argument, got 2: close(FD) (in the "
                                "translated line: 0.000000 local: close(3, 4) = 0)\n+0\tclose(3, 4) = 0\n  \t^\n");
}

TEST(DrillParse, CodeBlockOutsideTheSubsetIsAParseError) {
  const auto e = parse_error(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 %{ print(tcpi_state) }%\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_THAT(e.message, HasSubstr("unsupported statement in %{ }%"));
  EXPECT_THAT(e.message, HasSubstr("print(tcpi_state)"));
}

TEST(DrillParse, CodeBlockNeedsASocket) {
  const auto e = parse_error("0 %{ assert tcpi_state == TCP_CLOSE }%\n");
  EXPECT_EQ(e.line, 1);
  EXPECT_THAT(e.message, HasSubstr("needs a socket under test"));
}

TEST(DrillParse, ScriptWithoutEvents) {
  EXPECT_EQ(parse_error("// only a comment\n/* and\n another */\n").message,
            "the script has no events");
}

TEST(DrillParse, MissingDefaultsShIsAnError) {
  auto d = parse_drill("`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
                       "/nonexistent/synlab/x/x.pkt");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().line, 1);
  EXPECT_THAT(d.error().message,
              HasSubstr("cannot read /nonexistent/synlab/x/../common/defaults.sh"));
}

// Inputs the packetdrill_parser fuzz target found (each crashed or was misread before).
TEST(DrillParse, HugeTsValueIsAnError) {
  const auto e = parse_error(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 > S 0:0(0) <TS val 99999999999999999999999 ecr 0>\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.message, "TS value out of range (0 to 4294967295)");
}

TEST(DrillParse, DeeplyNestedAssertIsAnErrorNotAStackOverflow) {
  for (const std::string op : {"-", "~", "not "}) {
    std::string text = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert ";
    for (int i = 0; i < 15000; ++i) text += op;
    text += "1 }%\n";
    const auto e = parse_error(text);
    EXPECT_EQ(e.line, 2) << op;
    EXPECT_THAT(e.message, HasSubstr("too deeply nested")) << op;
    EXPECT_LT(e.message.size(), 200u) << "the expression is quoted cut short";
    // The evaluator itself, past the front end's 64 KiB limit on an event.
    std::string code = "assert ";
    for (int i = 0; i < 300000; ++i) code += op;
    code += "1";
    const auto bad = check_tcpinfo_code(code);
    ASSERT_TRUE(bad.has_value()) << op;
    EXPECT_THAT(*bad, HasSubstr("too deeply nested")) << op;
  }
}

TEST(DrillParse, IntegerOverflowInAssertIsAnError) {
  for (const char* expr : {"(-9223372036854775807 - 1) // -1 == 1", "9223372036854775807 * 2 == 1",
                           "9223372036854775807 + 1 == 1", "-(-9223372036854775807 - 1) == 1"}) {
    const auto e = parse_error(std::string("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert ") + expr + " }%\n");
    EXPECT_THAT(e.message, HasSubstr("integer overflow")) << expr;
  }
}

TEST(DrillParse, TextAfterAHashCannotHideScenarioLines) {
  // packetdrill has no `#` comments; the scenario language does, so a `#` and a backtick in a
  // call line once let text through as scenario lines of its own.
  const auto e = parse_error(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 close(3) = 0 # `\n"
      "0 local: socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "#`\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_THAT(e.message, HasSubstr("backtick"));
  const auto h = parse_error("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 # x\n");
  EXPECT_THAT(h.message, HasSubstr("unexpected '#'"));
}

TEST(DrillParse, TenMegabyteLineIsAnError) {
  std::string text = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) <mss 1460";
  text += std::string(10u << 20, ' ');
  text += ">\n";
  const auto e = parse_error(text);
  EXPECT_EQ(e.line, 2);
  EXPECT_THAT(e.message, StartsWith("event too long"));
}

TEST(DrillParse, BadOptionInTheScriptNamesItsLine) {
  const auto e = parse_error("// c\n\n--tolerance_usecs=abc\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.message, "bad --tolerance_usecs 'abc'");
}

TEST(DrillParse, IpModeNames) {
  for (IpMode m : {IpMode::kIpv4, IpMode::kIpv4MappedIpv6, IpMode::kIpv6}) {
    EXPECT_EQ(ip_mode_from_name(ip_mode_name(m)), m);
  }
  EXPECT_EQ(ip_mode_from_name("IPv4"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Scripts run end to end.

// A passive open as the corpus writes it (tcp/blocking/blocking-accept.pkt and friends): the
// SYN-ACK offers wscale 8 because of defaults.sh's tcp_rmem.
constexpr const char* kHandshake = R"(// A passive open, one data segment each way, close.
`../common/defaults.sh`

0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0

+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
+0 %{ assert tcpi_state == TCP_ESTABLISHED, tcpi_state }%

+0 write(4, ..., 1000) = 1000
+0 > P. 1:1001(1000) ack 1
+.1 < . 1:1(0) ack 1001 win 257
+0 close(4) = 0
+0 > F. 1001:1001(0) ack 1
)";

// A folder with a small defaults.sh of our own (not packetdrill's) in common/, as the corpus
// lays it out; scripts get a path in its x/ subfolder.
class DrillRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = std::filesystem::temp_directory_path() /
            ("synlab_drill_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(root_ / "common");
    std::filesystem::create_directories(root_ /
                                        "x");  // `x/../common` resolves only through an existing x/
    std::ofstream(root_ / "common" / "defaults.sh")
        << "#!/bin/bash\n"
           "ip tcp_metrics flush all > /dev/null 2>&1\n"
           "sysctl -q net.ipv4.tcp_rmem=\"4096 540000 $((15*1024*1024))\"\n"
           "sysctl -q net.ipv4.tcp_timestamps=1\n";
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  static std::string path(const std::string& name) { return (root_ / "x" / name).string(); }

  static DrillScript parse(std::string_view text, const std::string& name,
                           const DrillOptions& opt = {},
                           std::source_location where = std::source_location::current()) {
    auto d = parse_drill(text, path(name), opt);
    if (!d) {
      ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line())) << d.error().to_string();
      return {};
    }
    return std::move(*d);
  }

  static DrillOutcome run(std::string_view text, const std::string& name,
                          const DrillOptions& opt = {},
                          std::source_location where = std::source_location::current()) {
    auto d = parse_drill(text, path(name), opt);
    if (!d) {
      ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line())) << d.error().to_string();
      return {};
    }
    return run_drill(*d);
  }

  static std::string replace(std::string s, const std::string& from, const std::string& to) {
    const auto p = s.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    if (p != std::string::npos) s.replace(p, from.size(), to);
    return s;
  }

  static inline std::filesystem::path root_;
};

TEST_F(DrillRun, PassiveHandshakePasses) {
  const DrillScript d = parse(kHandshake, "handshake.pkt");
  EXPECT_EQ(d.mode, IpMode::kIpv4);
  EXPECT_EQ(d.profile, "linux");
  EXPECT_FALSE(d.expected_failure);
  // defaults.sh was read relative to the script, its shell arithmetic evaluated.
  EXPECT_THAT(d.generated, HasSubstr("sysctl local net.ipv4.tcp_rmem = 4096 540000 15728640\n"));
  EXPECT_THAT(d.generated, HasSubstr("local: bind(3, 192.168.0.1:8080) = 0"));
  const DrillOutcome o = run_drill(d);
  EXPECT_TRUE(o.passed) << o.error;
  EXPECT_TRUE(o.result.passed);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.first_line, "");
}

TEST_F(DrillRun, FailingTcpInfoAssertNamesTheLineAndValue) {
  const DrillOutcome o =
      run(replace(kHandshake, "TCP_ESTABLISHED, tcpi_state", "TCP_CLOSE"), "assert.pkt");
  EXPECT_FALSE(o.passed);
  EXPECT_THAT(o.error, StartsWith(path("assert.pkt") + ":13: "));
  EXPECT_THAT(o.error, HasSubstr("AssertionError: tcpi_state == TCP_CLOSE (tcpi_state = 1)"));
}

TEST_F(DrillRun, WrongAckNamesTheFieldAndShowsBothPackets) {
  const DrillOutcome o =
      run(replace(kHandshake, "> S. 0:0(0) ack 1 ", "> S. 0:0(0) ack 2 "), "ack.pkt");
  EXPECT_FALSE(o.passed);
  EXPECT_THAT(o.error,
              HasSubstr(path("ack.pkt") + ":10: error handling packet: live packet field "
                                          "tcp_ack_seq: expected: 2 (0x2) vs actual: 1 (0x1)"));
  EXPECT_EQ(
      o.first_line,
      "error handling packet: live packet field tcp_ack_seq: expected: 2 (0x2) vs actual: 1 (0x1)");
  EXPECT_THAT(o.error, HasSubstr("\nscript packet: "));
  EXPECT_THAT(o.error, HasSubstr("S. 0:0(0) ack 2 <mss 1460,nop,nop,sackOK,nop,wscale 8>"));
  EXPECT_THAT(o.error, HasSubstr("\nactual packet: "));
  EXPECT_THAT(o.error, HasSubstr("S. 0:0(0) ack 1 win"));
}

TEST_F(DrillRun, WrongSyscallResultIsARuntimeError) {
  const DrillOutcome o = run("0 socket(..., SOCK_STREAM, IPPROTO_UDP) = -99\n", "result.pkt");
  EXPECT_FALSE(o.passed);
  EXPECT_FALSE(o.expected_failure);
  EXPECT_EQ(o.first_line,
            "runtime error in socket call: Expected result -99 but got -1 with errno 93 (Protocol "
            "not supported)");
  EXPECT_THAT(o.error,
              StartsWith(path("result.pkt") +
                         ":1: runtime error in socket call: Expected result -99 but got -1 "
                         "with errno 93 (Protocol not supported)"));
}

TEST_F(DrillRun, FailureSelfTestPassesWhenTheFailureMatches) {
  // packetdrill/tests/linux/packetdrill/socket_wrong_err.pkt's shape: the comment is a regex.
  const std::string script =
      "// Failure: runtime error in socket call: Expected result -99 but got -1 with errno 93 "
      "\\(Protocol not supported\\)\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_UDP) = -99\n";
  const DrillScript d = parse(script, "selftest.pkt");
  ASSERT_TRUE(d.expected_failure);
  EXPECT_EQ(d.expected_failure_line, 1);
  const DrillOutcome o = run_drill(d);
  EXPECT_TRUE(o.expected_failure);
  EXPECT_TRUE(o.passed) << o.error;
  EXPECT_FALSE(o.result.passed);  // the run itself failed, as the script says it must
}

TEST_F(DrillRun, FailureSelfTestFailsWhenTheFailureDiffers) {
  const DrillOutcome o =
      run("// Failure: runtime error in socket call: Expected result -98 .*\n"
          "+0 socket(..., SOCK_STREAM, IPPROTO_UDP) = -99\n",
          "selftest-other.pkt");
  EXPECT_TRUE(o.expected_failure);
  EXPECT_FALSE(o.passed);
  // The whole first line must match, not a part of it.
  const DrillOutcome partial =
      run("// Failure: runtime error\n+0 socket(..., SOCK_STREAM, IPPROTO_UDP) = -99\n",
          "selftest-partial.pkt");
  EXPECT_FALSE(partial.passed);
}

TEST_F(DrillRun, FailureSelfTestFailsWhenTheScriptPasses) {
  const DrillOutcome o =
      run("// Failure: .*\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "selftest-pass.pkt");
  EXPECT_TRUE(o.expected_failure);
  EXPECT_TRUE(o.result.passed);
  EXPECT_FALSE(o.passed);
}

TEST_F(DrillRun, ScriptFdsMapToLiveFds) {
  // The stack hands out 3 and 4; the script says 4 and 6, and keeps using its own numbers.
  std::string s = kHandshake;
  s = replace(s, "IPPROTO_TCP) = 3", "IPPROTO_TCP) = 4");
  s = replace(s, "setsockopt(3,", "setsockopt(4,");
  s = replace(s, "bind(3,", "bind(4,");
  s = replace(s, "listen(3,", "listen(4,");
  s = replace(s, "accept(3, ..., ...) = 4", "accept(4, ..., ...) = 6");
  s = replace(s, "write(4,", "write(6,");
  s = replace(s, "close(4)", "close(6)");
  const DrillOutcome o = run(s, "fds.pkt");
  EXPECT_TRUE(o.passed) << o.error;
  // The mapped fds still run the script: a write on the listener's script fd fails as on the
  // listener.
  const DrillOutcome wrong = run(replace(s, "write(6,", "write(4,"), "fds-wrong.pkt");
  EXPECT_FALSE(wrong.passed);
  EXPECT_THAT(wrong.error, HasSubstr(":15: runtime error in write call"));
}

TEST_F(DrillRun, DefinesReplaceWholeWords) {
  DrillOptions opt;
  opt.defines = {{"FD", "3"}, {"TCP", "UDP"}, {"MYPROTO", "IPPROTO_TCP"}};
  const DrillScript d = parse(
      "0 socket(..., SOCK_STREAM, MYPROTO) = FD\n"
      "+0 setsockopt(FD, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
      "+0 close(FD) = 0\n",
      "defines.pkt", opt);
  // MYPROTO and FD replaced, in one pass: the TCP in MYPROTO's replacement is not replaced.
  EXPECT_THAT(d.generated, HasSubstr("local: socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3\n"));
  EXPECT_THAT(d.generated,
              HasSubstr("local: setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"));
  EXPECT_THAT(d.generated, HasSubstr("local: close(3) = 0\n"));
  EXPECT_TRUE(run_drill(d).passed);
  // A word that only contains a defined name is left alone.
  opt.defines = {{"SOCK", "nothing"}, {"STREAM", "nothing"}};
  const DrillScript d2 =
      parse("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "defines2.pkt", opt);
  EXPECT_THAT(d2.generated, HasSubstr("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3"));
}

TEST_F(DrillRun, EmbeddedOptionsAndCommandLineOverride) {
  const std::string s = std::string("--ip_version=ipv6\n") + kHandshake;
  EXPECT_EQ(parse(s, "opt.pkt").mode, IpMode::kIpv6);
  DrillOptions opt;
  opt.options = {"--ip_version=ipv4"};
  EXPECT_EQ(parse(s, "opt.pkt", opt).mode, IpMode::kIpv4);
}

TEST(DrillProfile, EraProfileByFolder) {
  EXPECT_EQ(
      profile_for_path("/w/shared/conformance/packetdrill/packetdrill/tests/linux/listen/a.pkt")
          .first,
      "linux-3.11");
  EXPECT_EQ(profile_for_path("packetdrill/tests/linux/close/b.pkt").first, "linux-3.11");
  EXPECT_EQ(
      profile_for_path("/w/shared/conformance/packetdrill/packetdrill/tests/packet-timeout.pkt")
          .first,
      "linux");
  EXPECT_EQ(
      profile_for_path("/w/shared/conformance/packetdrill/tcp/blocking/blocking-accept.pkt").first,
      "linux");
  EXPECT_EQ(profile_for_path("tests/linux/a.pkt").first, "linux");
  EXPECT_EQ(profile_for_path("x.pkt").first, "linux");
  EXPECT_THAT(profile_for_path("a/packetdrill/tests/linux/a.pkt").second, HasSubstr("Linux 3.11"));
}

// The 2013 scripts expect window scale 6 without defaults.sh: they pass only on linux-3.11.
constexpr const char* kEraHandshake =
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
    "+0 bind(3, ..., ...) = 0\n"
    "+0 listen(3, 1) = 0\n"
    "+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n"
    "+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 6>\n";

TEST(DrillProfile, EraProfileChangesTheStack) {
  auto old = parse_drill(kEraHandshake, "/nonexistent/packetdrill/tests/linux/listen/era.pkt");
  ASSERT_TRUE(old) << old.error().to_string();
  EXPECT_EQ(old->profile, "linux-3.11");
  EXPECT_THAT(old->generated, HasSubstr("host local 192.168.0.1/16 personality linux-3.11"));
  const DrillOutcome o = run_drill(*old);
  EXPECT_TRUE(o.passed) << o.error;

  auto now = parse_drill(kEraHandshake, "/nonexistent/tcp/listen/era.pkt");
  ASSERT_TRUE(now) << now.error().to_string();
  EXPECT_EQ(now->profile, "linux");
  const DrillOutcome n = run_drill(*now);
  EXPECT_FALSE(n.passed);
  EXPECT_THAT(n.error, HasSubstr("wscale"));

  // --profile wins over the folder.
  DrillOptions opt;
  opt.profile = "linux";
  auto forced =
      parse_drill(kEraHandshake, "/nonexistent/packetdrill/tests/linux/listen/era.pkt", opt);
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->profile, "linux");
  EXPECT_EQ(forced->profile_reason, "chosen with --profile");
  opt.profile = "no-such-os";
  auto bad = parse_drill(kEraHandshake, "/nonexistent/x.pkt", opt);
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("unknown personality 'no-such-os'"));
}

TEST_F(DrillRun, OutboundPacketWithinToleranceOfItsTime) {
  // The SYN-ACK really leaves with the SYN (+0); the script expects it 3 ms later.
  const std::string s = replace(kHandshake, "+0 > S. 0:0(0)", "+.003 > S. 0:0(0)");
  const DrillOutcome lenient = run(s, "tolerance.pkt");
  EXPECT_TRUE(lenient.passed) << lenient.error;  // packetdrill's default: 4 ms
  EXPECT_EQ(lenient.result.max_deviation.us(), 3000);

  DrillOptions opt;
  opt.options = {"--tolerance_usecs=1000"};
  const DrillOutcome strict = run(s, "tolerance.pkt", opt);
  EXPECT_FALSE(strict.passed);
  EXPECT_EQ(strict.first_line,
            "error handling packet: timing error: expected outbound packet at 0.003000 sec but "
            "happened at 0.000000 sec");
  EXPECT_THAT(strict.error, StartsWith(path("tolerance.pkt") + ":10: "));

  // The same option embedded in the script.
  const DrillOutcome embedded = run("--tolerance_usecs=1000\n" + s, "tolerance-embedded.pkt");
  EXPECT_FALSE(embedded.passed);
}

class DrillIpModes
    : public DrillRun,
      public ::testing::WithParamInterface<std::tuple<const char*, IpMode, const char*>> {};

TEST_P(DrillIpModes, HandshakeRunsInEachMode) {
  const auto& [name, mode, mss] = GetParam();
  DrillOptions opt;
  opt.options = {std::string("--ip_version=") + name};
  // The SYN-ACK's MSS is the link MTU less the IP and TCP headers: 1440 over IPv6.
  opt.defines = {{"MSS", mss}};
  const std::string s = replace(kHandshake, "<mss 1460,nop,nop,sackOK", "<mss MSS,nop,nop,sackOK");
  const DrillScript d = parse(s, std::string("mode-") + name + ".pkt", opt);
  EXPECT_EQ(d.mode, mode);
  EXPECT_EQ(ip_mode_name(d.mode), std::string_view(name));
  if (mode == IpMode::kIpv4) {
    EXPECT_THAT(d.generated, HasSubstr("socket(AF_INET, SOCK_STREAM"));
    EXPECT_THAT(d.generated, HasSubstr("bind(3, 192.168.0.1:8080)"));
  } else if (mode == IpMode::kIpv4MappedIpv6) {
    EXPECT_THAT(d.generated, HasSubstr("socket(AF_INET6, SOCK_STREAM"));
    EXPECT_THAT(d.generated, HasSubstr("bind(3, [::ffff:192.168.0.1]:8080)"));
  } else {
    EXPECT_THAT(d.generated, HasSubstr("socket(AF_INET6, SOCK_STREAM"));
    // An IPv6 local address (which one is packetdrill's choice, see drill.cc), not a mapped one.
    EXPECT_THAT(d.generated, ContainsRegex("host local [0-9a-f]+:[0-9a-f:]+/[0-9]+ "));
    EXPECT_THAT(d.generated, ContainsRegex("bind\\(3, \\[[0-9a-f]+:[0-9a-f:]+\\]:8080\\)"));
    EXPECT_THAT(d.generated, Not(HasSubstr("::ffff:")));
  }
  const DrillOutcome o = run_drill(d);
  EXPECT_TRUE(o.passed) << o.error;
}

INSTANTIATE_TEST_SUITE_P(Modes, DrillIpModes,
                         ::testing::Values(std::make_tuple("ipv4", IpMode::kIpv4, "1460"),
                                           std::make_tuple("ipv4-mapped-ipv6",
                                                           IpMode::kIpv4MappedIpv6, "1460"),
                                           std::make_tuple("ipv6", IpMode::kIpv6, "1440")),
                         [](const auto& test_param) {
                           std::string n = std::get<0>(test_param.param);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace synlab::harness::drill
