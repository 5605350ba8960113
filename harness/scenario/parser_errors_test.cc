// Malformed scenarios: each gives one error at an exact line and column with a message that
// says what is wrong and, where it can, what was meant.
#include <gtest/gtest.h>

#include <string>

#include "harness/scenario/parser.h"

namespace synlab::harness {
namespace {

constexpr std::string_view kNet =
    "title: t\n"
    "host client 10.0.0.1/24\n"
    "host server 10.0.0.2/24\n"
    "link client server delay 50ms\n";  // events start on line 5

struct Case {
  const char* name;
  std::string text;
  int line;
  int col;
  std::string message;
};

ParseError error_of(const std::string& text) {
  auto r = parse_scenario(text, "bad.scn");
  if (r) {
    ADD_FAILURE() << "parsed without error:\n" << text;
    return {};
  }
  return r.error();
}

std::string net(std::string_view events) {
  return std::string(kNet) + std::string(events);
}

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class ParserErrors : public ::testing::TestWithParam<Case> {};

TEST_P(ParserErrors, PointsAtTheProblem) {
  const Case& c = GetParam();
  const ParseError e = error_of(c.text);
  EXPECT_EQ(e.message, c.message) << c.text;
  EXPECT_EQ(e.line, c.line) << e.to_string();
  EXPECT_EQ(e.col, c.col) << e.to_string();
  EXPECT_EQ(e.file, "bad.scn");
}

const Case kCases[] = {
    {"UnknownCall", net("0 client: conect(3, server:80) = 0\n"), 5, 11,
     "unknown call 'conect'; did you mean 'connect'?"},
    {"UnclosedParen",
     net("0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
         "+0 client: connect(3, server:80 = 0\n"),
     6, 33, "expected ')' to close '(' at 6:19, got '='"},
    {"UnclosedParenAtEndOfFile", net("0 client: connect(3,\n  server:80\n"), 7, 1,
     "expected ')' to close '(' at 5:18, got end of file"},
    {"TimeGoesBackwards", net("0 note a\n0.100 note b\n0.05 note c\n"), 7, 1,
     "time 0.05 is before the previous event at 0.100 (times must not go backwards)"},
    {"UnknownHost", net("0 sever: socket(AF_INET, SOCK_STREAM, 0) = 3\n"), 5, 3,
     "unknown host 'sever' (hosts: client, server)"},
    {"UnknownHostInAddress", net("0 client: connect(3, sever:80) = 0\n"), 5, 22,
     "unknown host 'sever' (hosts: client, server)"},
    {"Arity", net("0 client: accept(3, ..., ..., 4) = 4\n"), 5, 11,
     "'accept' takes 1 to 3 arguments, got 4: accept(FD[, PEER[, LEN]])"},
    {"ArityExact", net("0 client: listen(3) = 0\n"), 5, 11,
     "'listen' takes 2 arguments, got 1: listen(FD, BACKLOG)"},
    {"UnknownErrno", net("0 client: connect(3, server:80) = -1 ECONREFUSED\n"), 5, 38,
     "unknown errno 'ECONREFUSED'; did you mean 'ECONNREFUSED'?"},
    {"ErrnoNeedsMinusOne", net("0 client: connect(3, server:80) = 0 EINPROGRESS\n"), 5, 37,
     "an errno is only checked with the result -1"},
    {"UnknownSysctl", net("sysctl client net.ipv4.tcp_syn_retry = 1\n"), 5, 15,
     "unknown sysctl 'net.ipv4.tcp_syn_retry'; did you mean 'net.ipv4.tcp_syn_retries'?"},
    {"BadSysctlValue", net("sysctl client net.ipv4.tcp_rmem = 1 2\n"), 5, 35,
     "bad value '1 2' for net.ipv4.tcp_rmem: expects 3 integers"},
    {"UnknownSymbol", net("0 client: socket(AF_INTE, SOCK_STREAM, 0) = 3\n"), 5, 18,
     "unknown symbol 'AF_INTE'; did you mean 'AF_INET'?"},
    {"UnknownName", net("0 client: socket(inet, SOCK_STREAM, 0) = 3\n"), 5, 18,
     "unknown name 'inet': not a symbol or a host (hosts: client, server)"},
    {"BadDurationUnit", net("link wan client server delay 5 ms\n"), 5, 30,
     "delay needs a unit: 5ms, 5s, ... (ns, us, ms, s)"},
    {"BadDuration", net("link wan client server delay 5mins\n"), 5, 30,
     "bad delay '5mins' (a number with a unit: ns, us, ms or s)"},
    {"TooPrecise", net("0 note a\n+1.5ns note b\n"), 6, 1,
     "time '+1.5ns' is more precise than a nanosecond"},
    {"BadAddress", "title: t\nhost a 10.0.0.300/24\n", 2, 8, "bad address '10.0.0.300'"},
    {"AddressNeedsPrefix", "title: t\nhost a 10.0.0.1\n", 2, 8,
     "address '10.0.0.1' needs a prefix length, like 10.0.0.1/24"},
    {"BadPrefixLength", "title: t\nhost a 10.0.0.1/33\n", 2, 8,
     "bad prefix length in '10.0.0.1/33' (0 to 32 for IPv4, 0 to 128 for IPv6)"},
    {"BadPort", net("0 client: connect(3, 10.0.0.2:70000) = 0\n"), 5, 22,
     "bad port '70000' in '10.0.0.2:70000' (0 to 65535, or * in patterns)"},
    {"MissingTitle", "host a\n", 1, 1,
     "missing 'title:' (every scenario has a title line, like 'title: Connection refused')"},
    {"FirstEventNotAtZero", net("0.5 note late\n"), 5, 1,
     "the first event must be at time 0 (this one is at 0.500)"},
    {"BlockingEndBeforeStart", net("0 note a\n1.0...0.5 client: accept(3) = 4\n"), 6, 1,
     "the call returns at 0.500, before it starts at 1.000"},
    {"RepeatWithoutEnd", net("0 note a\nrepeat I = 1..3\n  +0 note {I}\n"), 6, 1,
     "'repeat' has no matching 'end'"},
    {"EndWithoutRepeat", net("0 note a\nend\n"), 6, 1,
     "'end' without 'repeat' (to end the scenario at a time, write it: '5 end')"},
    {"BinaryGarbage", std::string("title: t\nhost a\x00\x01", 17), 2, 7,
     "binary data: byte 0x00 is not text (a scenario is UTF-8 text)"},
    {"InvalidUtf8", "title: caf\xc3(\n", 1, 11,
     "invalid UTF-8: the character that byte 0xc3 starts is malformed (a scenario is UTF-8 text)"},
    {"InvalidUtf8Lead", "title: \xff\n", 1, 8,
     "invalid UTF-8: byte 0xff cannot start a character (a scenario is UTF-8 text)"},
    {"TruncatedUtf8", "title: caf\xc3", 1, 11,
     "invalid UTF-8: the text ends inside the character that byte 0xc3 starts (a scenario is UTF-8 "
     "text)"},
    {"OverlongUtf8", "title: \xc0\xaf\n", 1, 8,
     "invalid UTF-8: byte 0xc0 cannot start a character (a scenario is UTF-8 text)"},
    {"HugeNumber", net("0 client: listen(3, 99999999999999999999) = 0\n"), 5, 21,
     "number '99999999999999999999' is out of range"},
    {"HugeTime", net("0 note a\n+99999999999 note b\n"), 6, 1, "time '+99999999999' is too large"},
    {"TimeOverflowsWhenAdded", net("0 note a\n9000000000 note b\n+9000000000 note c\n"), 7, 1,
     "time is too large"},
    {"NestingTooDeep",
     net("0 client: write(3, " + std::string(40, '[') + "1" + std::string(40, ']') + ") = 1\n"), 5,
     52, "expression nested too deeply (more than 32 levels)"},
    {"UnknownKeyword", "title: t\nhots a\n", 2, 1, "unknown keyword 'hots'; did you mean 'host'?"},
    {"MissingTime", net("client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"), 5, 1,
     "expected a time before 'client:' (every event starts with one, like 0 or +0.1)"},
    {"UnknownHeader", "title: t\nauthor: someone\n", 2, 1,
     "unknown header 'author:' (headers are title:, about:, seed:, personality:, tags:, expect-failure:; a call on "
     "a host needs a time first, like '0 author: ...')"},
    {"QueueWithoutRate", "title: t\nhost a\nhost b\nlink a b queue 3\n", 4, 10,
     "'queue N' limits the frames waiting for a slow link: give the link a rate first (rate 64kbit queue 3)"},
    {"DuplicateHost", "title: t\nhost a\nhost a\n", 3, 6, "host 'a' is already declared at 2:1"},
    {"LinkToUnknownHost", "title: t\nhost a\nlink a b\n", 3, 8, "unknown host 'b' (hosts: a)"},
    {"LinkToItself", "title: t\nhost a\nlink a a\n", 3, 8, "a link joins two different hosts"},
    {"UnknownLinkInEvent", net("0 link wan down\n"), 5, 8,
     "unknown link 'wan' (links: client-server)"},
    {"BadThreadName", net("0 client.9x: socket(AF_INET, SOCK_STREAM, 0) = 3\n"), 5, 10,
     "bad thread name '9x' (a letter or '_', then letters, digits, '_' or '-')"},
    {"ThreadStillBlocked",
     net("0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
         "+0...1 client: connect(3, server:80) = 0\n"
         "0.5 client: close(3) = 0\n"),
     7, 5,
     "thread 'main' of host 'client' is still blocked in 'connect' (line 6) until 1.000; a thread "
     "makes one call at a time (use another: client.t2: ...)"},
    {"SignalToIdleThread", net("0 signal client.worker SIGALRM\n"), 5, 3,
     "thread 'worker' of host 'client' has made no call before this signal"},
    {"UnknownSignal",
     net("0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n+0 signal client SIGALARM\n"), 6, 18,
     "unknown signal 'SIGALARM'; did you mean 'SIGALRM'?"},
    {"BadFlags", net("0 client > server SX 0:0(0)\n"), 5, 19,
     "bad TCP flags 'SX' (letters F S R P U E W A and '.' for ACK, or '-' for none; or udp, icmp, "
     "icmpv6, arp)"},
    {"DuplicateFlag", net("0 client > server SS\n"), 5, 20, "TCP flag 'S' is given twice in 'SS'"},
    {"SeqLengthMismatch", net("0 client > server P. 1:11(5)\n"), 5, 27,
     "length 5 does not match 1:11 (11 - 1 = 10)"},
    {"UnknownTcpOption", net("0 client > server S <mss 1460,sackok,wscal 7>\n"), 5, 31,
     "unknown TCP option 'sackok'; did you mean 'sackOK'?"},
    {"UnclosedOptions", net("0 client > server S <mss 1460, nop\n"), 6, 1,
     "expected '>' to close '<' at 5:21, got end of file"},
    {"UnknownIcmpCode", net("0 server > client icmp unreachable port_unreachible\n"), 5, 36,
     "unknown code 'port_unreachible' for ICMP type 'unreachable'; did you mean "
     "'port_unreachable'?"},
    {"InjectNeedsWindow", net("0 inject server > client S 0:0(0)\n"), 5, 26,
     "an injected TCP packet needs a window: win N"},
    {"InjectNoWildcards", net("0 inject server > client S 0:0(0) win 10 <mss *>\n"), 5, 47,
     "'*' is not allowed in an injected packet"},
    {"RawNotHex", net("0 inject server > client raw \"45 0g\"\n"), 5, 35,
     "bad packet bytes: 'g' is not a hex digit"},
    {"WindowOnCall", net("0 note a\n+0~+1 client: close(3) = 0\n"), 6, 1,
     "'*' and windows 'A~B' are only for expected packets; this event needs an exact time"},
    {"AbsoluteTimeInRepeat", net("0 note a\nrepeat I = 1..2\n  0.5 note {I}\nend\n"), 7, 3,
     "absolute time '0.5' inside 'repeat': use a relative time like +0 or +10ms (in repeat I=1)"},
    {"RepeatVariableUnknown", net("0 note a\nrepeat I = 1..2\n  +0 client{J}: close(3) = 0\nend\n"),
     7, 12, "unknown repeat variable 'J' (in repeat I=1)"},
    {"RangeInEvent", net("0 client{1..2}: close(3) = 0\n"), 5, 9,
     "a group range like {1..2} is only allowed in declarations (host, link, attach, ...); use "
     "'repeat' for events"},
    {"RangeLengthsDiffer", "title: t\nhost c{1..3} 10.0.0.{1..2}/24\n", 2, 21,
     "the group ranges on one line must have the same length: {1..3} has 3 values, {1..2} has 2"},
    {"EventAfterEnd", net("0 note a\n1 end\n2 note b\n"), 7, 1,
     "no events may follow 'end' (at 6:3)"},
    {"CallReturnsAfterEnd", net("0 note a\n+0...5 client: accept(3) = 4\n1 end\n"), 7, 1,
     "'end' at 1.000 comes before the call 'accept' (line 6) returns at 5.000"},
    {"UnknownCounter", net("0 expect server counter ListenOverflow == 1\n"), 5, 25,
     "unknown counter 'ListenOverflow'; did you mean 'ListenOverflows'?"},
    {"UnknownState", net("0 expect client fd 3 state ESTABLISH\n"), 5, 28,
     "unknown TCP state 'ESTABLISH'; did you mean 'ESTABLISHED'?"},
    {"MissingComparison", net("0 expect server drops TCP_LISTEN_OVERFLOW 3\n"), 5, 43,
     "expected a comparison (==, !=, <, <=, >, >=), got '3'"},
    {"MissingResult", net("0 client: close(3)\n"), 5, 19,
     "expected '= RESULT' after the call (write '= *' to accept any result), got end of line"},
    {"UnterminatedString", net("0 client: write(3, \"abc) = 3\n"), 5, 20, "unterminated string"},
    {"UnterminatedComment", "title: t\n/* no end\n", 2, 1,
     "unterminated comment: '/*' has no '*/'"},
    {"UnexpectedCharacter", net("0 client: close(3) = 0;\n"), 5, 23, "unexpected character ';'"},
    {"LossNeedsPercent", net("link wan client server loss 0.01\n"), 5, 29,
     "loss takes a percentage, like 1% or 0.5%, got '0.01'"},
    {"DeclarationInRepeat", net("0 note a\nrepeat I = 1..2\nhost x{I}\nend\n"), 7, 1,
     "declarations and header lines are not allowed inside 'repeat' (declare groups with ranges "
     "instead: host client{1..5} 10.0.0.{11..15}/24) (in repeat I=1)"},
    {"HeaderAfterEvent", net("0 note a\ntitle: again\n"), 6, 1,
     "header lines ('title:' ...) must come before the first event"},
    {"HostWithoutLink", "title: t\nhost a 10.0.0.1/24\n", 2, 1,
     "host 'a' has addresses but joins no link or segment (add: link a OTHER)"},
    {"ReservedHostName", "title: t\nhost link\n", 2, 6,
     "'link' is a keyword and cannot name a host"},
    {"PacketSourceNotAHost", net("0 10.9.9.9 > server S\n"), 5, 3,
     "no host has the address 10.9.9.9; a packet's source must be a simulated host"},
    {"RouteFamiliesDiffer", net("route client default via fd00::1 src 10.0.0.1\n"), 5, 38,
     "the source address and the destination are of different IP versions"},
    {"RouteNeedsViaOrDev", net("route client 10.1.0.0/16\n"), 5, 14,
     "a route needs 'via GATEWAY' or 'dev IFNAME'"},
    {"RouteUnknownDevice", net("route client default via 10.0.0.2 dev eth9\n"), 5, 39,
     "host 'client' has no interface 'eth9' (interfaces: lo, eth0; each link or attach gives it the next ethN)"},
    {"RouteDeviceLeadingZero", net("route client 10.1.0.0/16 dev eth00\n"), 5, 30,
     "host 'client' has no interface 'eth00' (interfaces: lo, eth0; each link or attach gives it the next ethN)"},
    {"RouteDeviceHugeIndex", net("route client 10.1.0.0/16 dev eth99999999999999999999\n"), 5, 30,
     "host 'client' has no interface 'eth99999999999999999999' (interfaces: lo, eth0; each link or attach gives it the next ethN)"},
    {"UnknownPersonality", "title: t\npersonality: solaris\n", 2, 14,
     "unknown personality 'solaris' (personalities: linux, linux-3.11, bsd)"},
    {"LinkGapWithoutReorder", "title: t\nhost a 10.0.0.1/24\nhost b 10.0.0.2/24\nlink a b gap 1ms\n",
     4, 10, "'gap' goes right after 'reorder P' (reorder 1% gap 5ms)"},
    {"TimeTwoEllipses", net("0...+1s...2 client: close(3) = 0\n"), 5, 8,
     "a time has at most one '...' (START...END, like +0...0.200)"},
    {"BlockingEndBadUnitAtTheEnd", net("0...1x client: close(3) = 0\n"), 5, 5,
     "bad time '1x' (a number with a unit: ns, us, ms or s)"},
    {"ReversedComparison", net("0 expect client counter TcpActiveOpens => 1\n"), 5, 40,
     "unknown comparison '=>'; did you mean '>='?"},
    {"ExpectValueWord", net("0 expect client counter TcpActiveOpens != many\n"), 5, 43,
     "expected a number after '!=', got 'many'"},
    {"DropCountZero", net("0 drop next 0 client > server\n"), 5, 13,
     "'drop next' needs a count of at least 1"},
    {"SeqRangeCutOff", net("0 client > server S 0:(0)\n"), 5, 23,
     "expected a sequence number after '0:', got '('"},
    {"GroupRangeUnclosed", "title: t\nhost c{1..3 10.0.0.1/24\n", 2, 7,
     "'{' has no '}' (a group range is {1..5}, a repeat variable {I})"},
};

// A route may name lo, or an interface whose link or attachment is declared after it.
TEST(ParserErrorsValid, RouteDeviceDeclaredLater) {
  EXPECT_TRUE(parse_scenario(net("route client 10.9.0.0/16 dev eth1\nroute client 127.0.0.0/8 dev lo\n"
                                 "host third 10.0.1.2/24\nlink third client\n"),
                             "ok.scn"));
}

// 'gap' cannot name a host but can name a link.
TEST(ParserErrorsValid, LinkNamedGap) {
  EXPECT_TRUE(parse_scenario("title: t\nhost a 10.0.0.1/24\nhost b 10.0.0.2/24\nlink gap a b\n",
                             "ok.scn"));
}

INSTANTIATE_TEST_SUITE_P(All, ParserErrors, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return std::string(i.param.name);
                         });

// The whole report, clang style: location, message, the line, a caret under the column.
TEST(ParserErrorText, CaretUnderTheColumn) {
  const ParseError e =
      error_of(net("0 client: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
                   "+0 client: connect(3, server:80 = 0\n"));
  EXPECT_EQ(e.to_string(),
            "bad.scn:6:33: error: expected ')' to close '(' at 6:19, got '='\n"
            "+0 client: connect(3, server:80 = 0\n"
            "                                ^\n");
}

TEST(ParserErrorText, TabsAreKeptInTheCaretLine) {
  const ParseError e = error_of(net("0\tclient:\tconect(3) = 0\n"));
  EXPECT_EQ(e.to_string(),
            "bad.scn:5:11: error: unknown call 'conect'; did you mean 'connect'?\n"
            "0\tclient:\tconect(3) = 0\n"
            " \t       \t^\n");
}

TEST(ParserErrorText, ColumnsCountCharactersNotBytes) {
  const ParseError e = error_of("title: t\n# déjà vu\nhost é\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.col, 6);
  EXPECT_EQ(e.to_string(),
            "bad.scn:3:6: error: unexpected character 'é'\n"
            "host é\n"
            "     ^\n");
}

TEST(ParserErrorText, LongLinesAreCutAroundTheColumn) {
  std::string text = net("0 note ") + std::string(500, 'x') +
                     "\n+0 client: " + std::string(300, 'y') + "zz(1) = 0\n";
  const ParseError e = error_of(text);
  EXPECT_EQ(e.line, 6);
  EXPECT_EQ(e.col, 12);
  EXPECT_EQ(e.message, "unknown call '" + std::string(48, 'y') + "...'");
  EXPECT_EQ(e.source_line.substr(0, 12), "+0 client: y");
  EXPECT_EQ(e.source_line.substr(e.source_line.size() - 3), "...");
  EXPECT_LT(e.source_line.size(), 100u);
  EXPECT_EQ(e.caret_col, 12);
}

TEST(ParserErrorText, BinaryBytesAreShownAsQuestionMarks) {
  const ParseError e =
      error_of(std::string("title: t\nab\x01"
                           "cd\n",
                           15));
  EXPECT_EQ(e.to_string(),
            "bad.scn:2:3: error: binary data: byte 0x01 is not text (a scenario is UTF-8 text)\n"
            "ab?cd\n"
            "  ^\n");
}

TEST(ParserErrorText, ErrorsInsideAnExpandedRepeatNameTheIteration) {
  const ParseError e = error_of(
      "title: t\nhost s 10.0.0.1/24\nhost c{1..2} 10.0.0.{2..3}/24\nlink c{1..2} s\n"
      "0 note go\n"
      "repeat I = 1..3\n"
      "  +0 c{I}: close(3) = 0\n"
      "end\n");
  EXPECT_EQ(e.line, 7);
  EXPECT_EQ(e.col, 6);
  EXPECT_EQ(e.message, "unknown host 'c3' (hosts: s, c1, c2) (in repeat I=3)");
}

TEST(ParserErrorText, LimitsAreErrorsNotCrashes) {
  ParseLimits small;
  small.max_events = 100;
  auto r =
      parse_scenario(net("0 note a\nrepeat I = 1..20\n repeat J = 1..20\n  +0 note x\n end\nend\n"),
                     "bad.scn", small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "too many events (more than 100 after expanding 'repeat') (in repeat I=5 J=20)");
  EXPECT_EQ(r.error().line, 8);

  auto big = parse_scenario(net("0 note a\nrepeat I = 1..2000000\n +0 note x\nend\n"), "bad.scn");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message, "'repeat' over '1..2000000' would make more than 1000000 events");

  small.max_repeat_text = 1000;
  auto text = parse_scenario(
      net("0 note a\nrepeat I = 1..50\n" + std::string(100, '#') + "\nend\n"), "bad.scn", small);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message,
            "'repeat' expands to too much text (more than 1000 bytes re-read) (in repeat I=7)");
}

}  // namespace
}  // namespace synlab::harness
