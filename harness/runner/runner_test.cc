// The runner: scenarios that pass, and scenarios whose every kind of mismatch fails with the
// right line and message.
#include "harness/runner/runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/scenario/parser.h"

namespace synlab::harness {
namespace {

using ::testing::HasSubstr;

const char* kRefusedHeader =
    "title: refused\n"
    "host client 10.0.0.1/24\n"
    "host server 10.0.0.2/24\n"
    "link client server delay 50ms\n";

ScenarioResult run_text(const std::string& text, RunOptions opt = {}) {
  auto s = parse_scenario(text, "test.scn");
  if (!s) {
    ADD_FAILURE() << s.error().to_string();
    return {};
  }
  return run_scenario(*s, opt);
}

std::string failure_of(const ScenarioResult& r) { return r.failure ? r.failure->to_string() : "(passed)"; }

TEST(Runner, RefusedConnectionPasses) {
  auto r = run_text(std::string(kRefusedHeader) +
                    "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                    "+0...0.200 client: connect(3, server:5001) = -1 ECONNREFUSED (Connection refused)\n"
                    "0.100 client > server S 0:0(0) win 64240 <mss 1460,sackOK,TS val * ecr 0,nop,wscale 10>\n"
                    "0.150 server > client R. 0:0(0) ack 1 win 0\n");
  EXPECT_TRUE(r.passed) << failure_of(r);
  EXPECT_EQ(r.packets, 4u);  // ARP request and reply, SYN, RST
}

TEST(Runner, WrongWindowNamesTheFieldAndBothPackets) {
  auto r = run_text(std::string(kRefusedHeader) +
                    "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                    "+0...0.200 client: connect(3, server:5001) = -1 ECONNREFUSED\n"
                    "0.100 client > server S 0:0(0) <...>\n"
                    "0.150 server > client R. 0:0(0) ack 1 win 5840\n");
  ASSERT_FALSE(r.passed);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->loc.line, 8);
  EXPECT_EQ(r.failure->message, "wrong TCP window: expected 5840, got 0");
  EXPECT_THAT(r.failure->expected, HasSubstr("server > client R. 0:0(0) ack 1 win 5840"));
  EXPECT_THAT(r.failure->actual, HasSubstr("server:5001 > client:"));
  EXPECT_THAT(r.failure->actual, HasSubstr("R. 0:0(0) ack 1 win 0"));
  EXPECT_EQ(sim::format_seconds(r.failure->at), "0.150000");
}

TEST(Runner, WrongErrnoIsReportedWithBothValues) {
  auto r = run_text(std::string(kRefusedHeader) +
                    "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                    "+0...0.200 client: connect(3, server:5001) = -1 ETIMEDOUT\n"
                    "0.100 client > server S 0:0(0) <...>\n"
                    "0.150 server > client R. 0:0(0) ack 1 win 0\n");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->loc.line, 6);
  EXPECT_EQ(r.failure->message,
            "connect(): expected -1 ETIMEDOUT but got -1 ECONNREFUSED (Connection refused)");
}

TEST(Runner, BlockingCallReturningAtAnotherTime) {
  auto r = run_text(std::string(kRefusedHeader) +
                    "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                    "+0...0.300 client: connect(3, server:5001) = -1 ECONNREFUSED\n"
                    "0.100 client > server S 0:0(0) <...>\n"
                    "0.150 server > client R. 0:0(0) ack 1 win 0\n");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->loc.line, 6);
  EXPECT_THAT(r.failure->message, HasSubstr("returned -1 ECONNREFUSED (Connection refused) at 0.200000 s"));
  EXPECT_THAT(r.failure->message, HasSubstr("block until 0.300000 s"));
}

TEST(Runner, CallThatBlocksWithoutEllipsisFails) {
  auto r = run_text(std::string(kRefusedHeader) +
                    "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                    "0 client: connect(3, server:5001) = -1 ECONNREFUSED\n");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->loc.line, 6);
  EXPECT_THAT(r.failure->message, HasSubstr("connect() blocked"));
}

TEST(Runner, MissingPacketIsReportedAtItsLine) {
  auto r = run_text(std::string(kRefusedHeader) +
                    "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                    "0 client: bind(3, 10.0.0.1:4000) = 0\n"
                    "0.5 client > server S 0:0(0) <...>\n");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->loc.line, 7);
  EXPECT_THAT(r.failure->message, HasSubstr("expected packet was not sent (due 0.500000 s)"));
}

TEST(Runner, UnexpectedPacketFails) {
  auto r = run_text(std::string(kRefusedHeader) +
                    "0 client: socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) = 3\n"
                    "0 client: connect(3, server:5001) = -1 EINPROGRESS\n"
                    "1 end\n");
  ASSERT_TRUE(r.failure);
  EXPECT_THAT(r.failure->message, HasSubstr("unexpected packet from client"));
  EXPECT_THAT(r.failure->actual, HasSubstr("client:"));
  EXPECT_THAT(r.failure->actual, HasSubstr("> server:5001 S 0:0(0)"));
}

TEST(Runner, IgnoredPacketsAreNotChecked) {
  auto r = run_text(std::string(kRefusedHeader) + "packets ignore * > *\n" +
                    "0 client: socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) = 3\n"
                    "0 client: connect(3, server:5001) = -1 EINPROGRESS\n"
                    "0.2 client: getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0\n"
                    "1 end\n");
  EXPECT_TRUE(r.passed) << failure_of(r);
}

TEST(Runner, HandshakeAcceptAndStates) {
  auto r = run_text(
      "title: handshake\n"
      "host client 10.0.0.1/24\n"
      "host server 10.0.0.2/24\n"
      "link client server delay 10ms\n"
      "0 server: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
      "+0 server: bind(3, server:8080) = 0\n"
      "+0 server: listen(3, 1) = 0\n"
      "0.1 client: socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) = 3\n"
      "+0 client: connect(3, server:8080) = -1 EINPROGRESS\n"
      "+0 expect client fd 3 state SYN_SENT\n"
      "0.120 client > server S 0:0(0) <...>\n"
      "0.130 server > client S. 0:0(0) ack 1 <...>\n"
      "0.140 client > server . 1:1(0) ack 1 <...>\n"
      "+0 expect client fd 3 state ESTABLISHED\n"
      "+0 expect client fd 3 poll POLLOUT\n"
      "0.150 server: accept(3, client:*) = 4\n"
      "+0 expect server fd 4 state ESTABLISHED\n"
      "+0 expect server counter TcpPassiveOpens == 1\n"
      "+0 client: getsockname(3) = client:*\n"
      "+0 server: getpeername(4) = client:*\n"
      "+0 client: write(3, \"hello\") = 5\n"
      "+0 client > server P. 1:6(5) ack 1 <...>\n"
      "0.160 server > client . 1:1(0) ack 6 <...>\n"
      "+0 server: read(4, 100) = \"hello\"\n"
      "1 end\n");
  EXPECT_TRUE(r.passed) << failure_of(r);
}

TEST(Runner, RepeatClientsOnASegment) {
  auto r = run_text(
      "title: many clients\n"
      "host server 10.0.0.100/24\n"
      "host client{1..3} 10.0.0.{1..3}/24\n"
      "segment lan delay 1ms\n"
      "attach server lan\n"
      "attach client{1..3} lan\n"
      "packets ignore * > *\n"
      "0 server: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
      "+0 server: bind(3, server:80) = 0\n"
      "+0 server: listen(3, 10) = 0\n"
      "0.1 note clients start\n"
      "repeat I = 1..3 every 1ms\n"
      "  +0 client{I}: socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) = 3\n"
      "  +0 client{I}: connect(3, server:80) = -1 EINPROGRESS\n"
      "end\n"
      "0.2 expect server counter TcpPassiveOpens == 3\n"
      "+0 server: accept(3) = 4\n"
      "+0 server: accept(3) = 5\n"
      "+0 server: accept(3) = 6\n");
  EXPECT_TRUE(r.passed) << failure_of(r);
}

TEST(Runner, InjectedResetAbortsTheConnection) {
  auto r = run_text(
      "title: inject\n"
      "host client 10.0.0.1/24\n"
      "host server 10.0.0.2/24\n"
      "link client server delay 10ms\n"
      "0 server: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
      "+0 server: bind(3, server:8080) = 0\n"
      "+0 server: listen(3, 1) = 0\n"
      "0.1 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
      "+0...0.140 client: connect(3, server:8080) = 0\n"
      "0.120 client > server S 0:0(0) <...>\n"
      "0.130 server > client S. 0:0(0) ack 1 <...>\n"
      "0.140 client > server . 1:1(0) ack 1 <...>\n"
      "0.5 inject server > client R. 1:1(0) ack 1 win 0\n"
      "0.510 expect client fd 3 state CLOSE\n"
      "+0 client: write(3, 10) = -1 ECONNRESET\n"
      "1 end\n");
  EXPECT_TRUE(r.passed) << failure_of(r);
}

TEST(Runner, DropNextMakesTheSynRetransmit) {
  auto r = run_text(
      "title: drop\n"
      "host client 10.0.0.1/24\n"
      "host server 10.0.0.2/24\n"
      "link client server delay 10ms\n"
      "0 server: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
      "+0 server: bind(3, server:8080) = 0\n"
      "+0 server: listen(3, 1) = 0\n"
      "+0 drop next 1 client > server S\n"
      "0.1 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
      "+0...1.120 client: connect(3, server:8080) = 0\n"
      "0.120 client > server S 0:0(0) <...>\n"
      "+0 note the first SYN is lost; its timer started at connect(), before ARP resolved\n"
      "1.100 client > server S 0:0(0) <...>\n"
      "1.110 server > client S. 0:0(0) ack 1 <...>\n"
      "1.120 client > server . 1:1(0) ack 1 <...>\n"
      "+0 expect client counter TcpRetransSegs == 1\n"
      "2 end\n");
  EXPECT_TRUE(r.passed) << failure_of(r);
}

TEST(Runner, SignalInterruptsABlockedConnect) {
  auto r = run_text(
      "title: signal\n"
      "host client 10.0.0.1/24\n"
      "host server 10.0.0.2/24\n"
      "link client server delay 10ms\n"
      "packets ignore * > *\n"
      "filter server input tcp drop\n"
      "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
      "+0...0.5 client: connect(3, server:8080) = -1 EINTR\n"
      "0.5 signal client SIGALRM\n"
      "+0 expect client fd 3 state SYN_SENT\n"
      "1 end\n");
  EXPECT_TRUE(r.passed) << failure_of(r);
}

TEST(Runner, ExpectFailureSelfTest) {
  auto r = run_text(std::string("expect-failure: wrong TCP window\n") + kRefusedHeader +
                    "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                    "+0...0.200 client: connect(3, server:5001) = -1 ECONNREFUSED\n"
                    "0.100 client > server S 0:0(0) <...>\n"
                    "0.150 server > client R. 0:0(0) ack 1 win 1\n");
  EXPECT_TRUE(r.passed) << failure_of(r);
  EXPECT_TRUE(r.expected_failure);
}

TEST(Runner, SameSeedGivesIdenticalCaptures) {
  const std::string text = std::string(kRefusedHeader) +
                           "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                           "+0...0.200 client: connect(3, server:5001) = -1 ECONNREFUSED\n"
                           "0.100 client > server S 0:0(0) <...>\n"
                           "0.150 server > client R. 0:0(0) ack 1 win 0\n";
  const auto dir = std::filesystem::temp_directory_path() / "synlab_runner_test";
  std::filesystem::remove_all(dir);
  auto read = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  RunOptions a;
  a.capture_dir = (dir / "a").string();
  RunOptions b = a;
  b.capture_dir = (dir / "b").string();
  auto ra = run_text(text, a);
  auto rb = run_text(text, b);
  ASSERT_EQ(ra.captures.size(), 2u);
  ASSERT_EQ(rb.captures.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string x = read(ra.captures[i]);
    EXPECT_GT(x.size(), 100u);
    EXPECT_EQ(x, read(rb.captures[i]));
  }
  std::filesystem::remove_all(dir);
}

// `[bsd]` / `[linux]` lines: the run takes the timeline of the personality forced on it.
TEST(Runner, PersonalityLinesFollowTheForcedPersonality) {
  const std::string text = std::string(kRefusedHeader) +
                           "0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                           "+0...0.200 client: connect(3, server:5001) = -1 ECONNREFUSED\n"
                           "0.100 client > server S 0:0(0) win 64240 <...>\n"
                           "0.150 server > client R. 0:0(0) ack 1 win 0\n"
                           "[linux] 0.300 client: connect(3, server:5001) = -1 EINPROGRESS\n"
                           "[linux] +0 client > server S 0:0(0) win 64240 <...>\n"
                           "[linux] +0.050 server > client R. 0:0(0) ack 1 win 0\n"
                           "[bsd] 0.320 client: connect(3, server:5001) = -1 EINVAL\n"
                           "+0.250 end\n";
  // Non-blocking would be needed for EINPROGRESS: make the Linux retry blocking instead.
  std::string linux_text = text;
  linux_text.replace(linux_text.find("[linux] 0.300 client: connect(3, server:5001) = -1 EINPROGRESS"),
                     std::string("[linux] 0.300 client: connect(3, server:5001) = -1 EINPROGRESS").size(),
                     "[linux] 0.300...0.400 client: connect(3, server:5001) = -1 ECONNREFUSED");
  auto lin = run_text(linux_text);
  EXPECT_TRUE(lin.passed) << failure_of(lin);
  RunOptions bsd;
  bsd.personality = "bsd";
  auto b = run_text(linux_text, bsd);
  EXPECT_TRUE(b.passed) << failure_of(b);
  EXPECT_EQ(b.personality, "bsd");
  // `+0.250 end` counts from each timeline's previous line: the [bsd] call at 0.320, Linux's
  // RST at 0.350.
  EXPECT_EQ(b.end, sim::Time::zero() + sim::Duration::millis(570));
  EXPECT_EQ(lin.end, sim::Time::zero() + sim::Duration::millis(600));
  // bsd really runs its own line: expecting Linux's errno there fails.
  std::string wrong = linux_text;
  wrong.replace(wrong.find("= -1 EINVAL"), std::string("= -1 EINVAL").size(), "= -1 ECONNREFUSED");
  auto fail = run_text(wrong, bsd);
  EXPECT_FALSE(fail.passed);
  EXPECT_THAT(failure_of(fail), HasSubstr("EINVAL"));
}

}  // namespace
}  // namespace synlab::harness
