// The parser on hostile input: random bytes, token soup, every truncation and many
// mutations of valid scenarios, 10 MB lines, deep nesting. Each input must give a scenario or
// one well-formed error; never a crash, a hang or an unbounded allocation. The randomness is
// a fixed-seed std::mt19937, so a failure reproduces.
//
// Run time is not asserted (performance is benchmarked, not tested): a quadratic path on a
// 10 MB line would take hours and trip meson's test timeout.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "harness/scenario/parser.h"

namespace synlab::harness {
namespace {

// Uses every form of the language, so mutations reach every parser path.
const std::string kFull = R"(# everything
title: Everything at once
about: A scenario that uses every form.
about:
about: Second paragraph.
seed: 7
personality: linux
tags: fuzz all
host client 10.0.0.1/24 fd00::1/64 mtu 1500
host server 10.0.0.2/24 personality linux unprivileged
host c{1..3} 10.0.1.{1..3}/24
host router
link client server delay 10ms jitter 1ms rate 10Mbit loss 0.1% duplicate 0.1% reorder 1% gap 2ms corrupt 0.01% mtu 1500
link c{1..3} server delay {1..3}ms
segment lan delay 1ms
attach router lan 192.168.0.1/24 mtu 1400
attach client lan
route client default via 10.0.0.254
route client unreachable 172.16.0.0/12
route router 10.0.0.0/8 dev eth0 src 192.168.0.1 metric 5
sysctl * net.ipv4.tcp_syn_retries = 2
sysctl server net.ipv4.tcp_rmem = 4096 131072 6291456
filter server input tcp dport 81 flags S/S. reject with tcp-reset
filter server input udp dport 53 reject with icmp unreachable port_unreachable
packets ignore c1, c2 > * arp
0 client: socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = 3
+0 client: setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}) = 0
+0 client: connect(3, server:80) = -1 EINPROGRESS (Operation now in progress)
+0 client > server S 0:0(0) win 64240 <mss 1460,sackOK,TS val * ecr 0,nop,wscale 10>
0.010 server > client S. 0:0(0) ack 1 win 65160 <...>
+0~+0.01 client > server . 1:1(0) ack 1
* client > server P. 1:11(10) ack 1 <nop,nop,TS val 1 ecr 2>
+0 client: poll([{fd=3, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1
+0...0.5 client.t2: accept(3, addr(NULL, len=16)) = -1 EFAULT
+0 server > client icmp unreachable frag_needed mtu 1400 [1:11(10)]
+0 client > 10.0.0.2:* udp (100)
+0 drop next 2 server > client S. on client-server
+0 link client-server delay 20ms loss 1%
+0 link lan down
+0.1 link lan up
+0 partition client | server c1
+0 heal
+0 signal client.t2 SIGALRM restart
+0 inject server:80 > client:40000 R. 1:1(0) ack 1 win 0 <mss 1460>
+0 inject server > client raw "4500001400000000400600000a0000020a000001"
+0 expect client fd 3 state ESTABLISHED
+0 expect client fd 3 poll POLLOUT
+0 expect server counter ListenOverflows >= 0
+0 expect server drops TCP_LISTEN_OVERFLOW == 0
repeat I = 1..3 every 1ms
  +0 c{I}: socket(AF_INET6, SOCK_DGRAM, 0) = 3
  +0 c{I}: sendto(3, "x\n", 0, [fd00::1]:9) = 2
  +0 note client {I}
end
1 end
)";

const std::string kSpec = R"(# Connecting to a closed port
title: Connection refused
about: The client sends a SYN to a port where nothing listens.
seed: 1

host client 10.0.0.1/24
host server 10.0.0.2/24
link client server delay 50ms

0      client: socket(AF_INET, SOCK_STREAM, 0) = 3
+0...0.100 client: connect(3, server:5001) = -1 ECONNREFUSED (Connection refused)
+0     client > server S 0:0(0) win 64240 <mss 1460,sackOK,TS val * ecr 0,nop,wscale 10>
0.050  server > client R. 0:0(0) ack 1 win 0
)";

// Parses and checks the result is coherent: a scenario, or an error with a position inside
// the text and a printable report.
void parse_any(const std::string& text, const ParseLimits& limits = {}) {
  auto r = parse_scenario(text, "fuzz.scn", limits);
  if (r) return;
  const ParseError& e = r.error();
  EXPECT_GE(e.line, 1) << e.message;
  EXPECT_GE(e.col, 1) << e.message;
  EXPECT_FALSE(e.message.empty());
  const std::string report = e.to_string();
  EXPECT_EQ(report.rfind("fuzz.scn:", 0), 0u);
  EXPECT_LT(report.size(), 2000u) << "reports stay short even for huge lines";
}

TEST(ParserFuzz, ValidInputsParse) {
  auto full = parse_scenario(kFull, "full.scn");
  ASSERT_TRUE(full) << full.error().to_string();
  EXPECT_EQ(full->events.size(), 34u);
  auto spec = parse_scenario(kSpec, "spec.scn");
  ASSERT_TRUE(spec) << spec.error().to_string();
}

TEST(ParserFuzz, RandomBytes) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 3000; ++i) {
    std::string s(rng() % 600, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xff);
    parse_any(s);
  }
}

TEST(ParserFuzz, RandomText) {
  std::mt19937 rng(23456);
  const std::string alphabet = "abcxyzSFRP.-_0123456789:+~*/%{}[]()<>=!|,\"\\#\n\t    ";
  for (int i = 0; i < 3000; ++i) {
    std::string s =
        i % 2 ? "title: t\nhost a 10.0.0.1/24\nhost b 10.0.0.2/24\nlink a b\n0 note x\n" : "";
    const std::size_t n = rng() % 400;
    for (std::size_t k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
    parse_any(s);
  }
}

TEST(ParserFuzz, TokenSoup) {
  const std::vector<std::string> words = {"title:",
                                          "host",
                                          "link",
                                          "segment",
                                          "attach",
                                          "route",
                                          "sysctl",
                                          "filter",
                                          "packets",
                                          "repeat",
                                          "end",
                                          "I",
                                          "=",
                                          "1..3",
                                          "every",
                                          "1ms",
                                          "0",
                                          "+0",
                                          "+0.1",
                                          "0.5",
                                          "*",
                                          "+0~+1",
                                          "0...1",
                                          "client",
                                          "server",
                                          "client:",
                                          "server:",
                                          "client.t2:",
                                          "c{I}",
                                          "c{1..2}",
                                          "{I}",
                                          "10.0.0.{1..2}/24",
                                          "socket(",
                                          "connect(",
                                          "accept(",
                                          "poll(",
                                          ")",
                                          "(",
                                          "[",
                                          "]",
                                          "{",
                                          "}",
                                          "<",
                                          ">",
                                          "<...>",
                                          "<mss",
                                          "1460",
                                          ",",
                                          "|",
                                          "=",
                                          "==",
                                          ">=",
                                          "-1",
                                          "ECONNREFUSED",
                                          "AF_INET",
                                          "SOCK_STREAM",
                                          "POLLOUT",
                                          "\"str\"",
                                          "...",
                                          "S",
                                          "S.",
                                          ".",
                                          "R.",
                                          "0:0(0)",
                                          "ack",
                                          "win",
                                          "urg",
                                          "udp",
                                          "icmp",
                                          "unreachable",
                                          "port_unreachable",
                                          "mtu",
                                          "note",
                                          "expect",
                                          "fd",
                                          "state",
                                          "poll",
                                          "counter",
                                          "drops",
                                          "signal",
                                          "SIGALRM",
                                          "inject",
                                          "raw",
                                          "drop",
                                          "next",
                                          "on",
                                          "partition",
                                          "heal",
                                          "10.0.0.1/24",
                                          "10.0.0.2:80",
                                          "[fd00::1]:80",
                                          "addr(",
                                          "len",
                                          "NULL",
                                          "BAD",
                                          "\n",
                                          "\n",
                                          "\n",
                                          "\\\n",
                                          "#",
                                          "//",
                                          "/*",
                                          "*/"};
  std::mt19937 rng(34567);
  for (int i = 0; i < 4000; ++i) {
    std::string s =
        "title: t\nhost client 10.0.0.1/24\nhost server 10.0.0.2/24\nlink client server\n";
    if (i % 3) s += "0 note start\n";
    const std::size_t n = 1 + rng() % 60;
    for (std::size_t k = 0; k < n; ++k) {
      s += words[rng() % words.size()];
      if (rng() % 3) s += ' ';
    }
    s += '\n';
    parse_any(s);
  }
}

TEST(ParserFuzz, EveryTruncation) {
  for (const std::string* text : {&kFull, &kSpec}) {
    for (std::size_t n = 0; n <= text->size(); ++n) parse_any(text->substr(0, n));
  }
}

TEST(ParserFuzz, Mutations) {
  std::mt19937 rng(45678);
  constexpr char kBytes[] = "\0\n\t ()[]{}<>,|=:.+-*~%/\\\"#0123456789aAzZ_{}\xff\xc3";
  const std::string bytes(kBytes, sizeof kBytes - 1);
  for (int i = 0; i < 6000; ++i) {
    std::string s = kFull;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t at = rng() % s.size();
      const char c = bytes[rng() % bytes.size()];
      switch (rng() % 4) {
        case 0:
          s[at] = c;
          break;
        case 1:
          s.erase(at, 1 + rng() % 8);
          break;
        case 2:
          s.insert(at, 1, c);
          break;
        default:
          s.insert(at, s.substr(rng() % s.size(), rng() % 40));
          break;  // duplicate a piece
      }
    }
    parse_any(s);
  }
}

// Ten-megabyte lines of many shapes: each is parsed in linear time and reported briefly.
TEST(ParserFuzz, TenMegabyteLines) {
  constexpr std::size_t kSize = 10u << 20;
  const std::string head =
      "title: t\nhost client 10.0.0.1/24\nhost server 10.0.0.2/24\nlink client server\n";
  auto repeat = [](std::string_view piece, std::size_t bytes) {
    std::string s;
    s.reserve(bytes + piece.size());
    while (s.size() < bytes) s += piece;
    return s;
  };
  const std::vector<std::string> lines = {
      "# " + repeat("comment ", kSize),
      "0 note " + repeat("words ", kSize),
      "0 client: write(3, \"" + repeat("a", kSize) + "\") = " + std::to_string(kSize),
      "0 client: write(3, \"" + repeat("a", kSize),  // unterminated string
      "0 " + repeat("x", kSize) + ": close(3) = 0",
      "0 client: " + repeat("y", kSize) + "(3) = 0",
      "0 client: write(3, " + repeat("[", kSize),
      "0 client: write(3, " + repeat("{", kSize),
      "0 client: write(3, " + repeat("(", kSize),
      "0 client > server S <" + repeat("<", kSize),
      "0 client: write(3, " + repeat("1|", kSize) + "1) = 1",
      "0 client: write(3, " + repeat("1,", kSize) + "1) = 1",
      "0 client: write(3, [" + repeat("1,", kSize) + "1]) = 1",
      "0 client: listen(3, " + repeat("9", kSize) + ") = 0",
      "0 note a\n+0." + repeat("0", kSize) + "1 note b",
      "0 note a\n+" + repeat("9", kSize) + " note b",
      "host " + repeat("h", kSize),
      "host d " + repeat("10.0.0.9/24 ", kSize),
      "host e{1..2} " + repeat("x{1..2}", kSize),
      "host f{" + repeat("1", kSize),
      "host g" + repeat("{a", kSize),
      "sysctl client net.ipv4.tcp_rmem = " + repeat("1 ", kSize),
      "0 partition " + repeat("client ", kSize),
      "0 client > server S 0:0(0) <" + repeat("nop,", kSize) + "nop>",
      "0 client > server S 0:0(0) <sack " + repeat("1:2 ", kSize) + ">",
      "0 inject client > server raw \"" + repeat("00", kSize) + "\"",
      "tags: " + repeat("tag ", kSize),
      "about: " + repeat("\xc3\xa9", kSize / 2),
      "0 client: write(3, " + repeat("[fd00::1]:8", kSize) + ") = 1",
      "/*" + repeat("*", kSize),
      "0 note a\n" + repeat("+0 ~", kSize / 4) + " note b",
      repeat("\\\n", kSize),
  };
  for (const std::string& line : lines) parse_any(head + line + "\n");
}

TEST(ParserFuzz, DeepNesting) {
  const std::string head =
      "title: t\nhost client 10.0.0.1/24\nhost server 10.0.0.2/24\nlink client server\n";
  parse_any(head + "0 client: write(3, " + std::string(200000, '[') + "1" +
            std::string(200000, ']') + ") = 1\n");
  parse_any(head + "0 client: write(3, " + std::string(200000, '{') + ") = 1\n");
  std::string nested = head + "0 note a\n";
  for (int i = 0; i < 100; ++i) nested += "repeat I" + std::to_string(i) + " = 1..2\n";
  parse_any(nested);
  auto r = parse_scenario(nested, "deep.scn");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("'repeat' nested too deeply (more than 8 levels)", 0), 0u);
}

TEST(ParserFuzz, RepeatExpansionIsBounded) {
  ParseLimits limits;
  limits.max_events = 5000;
  const std::string head =
      "title: t\nhost client 10.0.0.1/24\nhost server 10.0.0.2/24\nlink client server\n0 note a\n";
  // Nested repeats whose product passes the cap stop at it.
  auto r = parse_scenario(
      head + "repeat I = 1..100\nrepeat J = 1..100\n +0 note {I}.{J}\nend\nend\n", "r.scn", limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("too many events (more than 5000", 0), 0u);
  // An empty body repeated many times stops at the text budget, not after a billion passes.
  limits.max_repeat_text = 1 << 20;
  auto t = parse_scenario(
      head + "repeat I = 1..4000\nrepeat J = 1..4000\n# " + std::string(100, 'c') + "\nend\nend\n",
      "r.scn", limits);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message.rfind("'repeat' expands to too much text", 0), 0u);
  // Group ranges are bounded the same way.
  auto g = parse_scenario("title: t\nhost h{1..900000} # " + std::string(2000, 'c') + "\n", "g.scn",
                          limits);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message.rfind("group range {1..900000} expands to too much text", 0), 0u);
}

}  // namespace
}  // namespace synlab::harness
