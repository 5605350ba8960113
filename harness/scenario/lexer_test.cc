// Lexer: word boundaries, brackets and line continuation, comments, strings, substitution.
#include "harness/scenario/lexer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace synlab::harness {
namespace {

std::vector<Token> lex_all(std::string_view text, Lexer* lx = nullptr) {
  Lexer own(text);
  Lexer& l = lx ? *lx : own;
  std::vector<Token> out;
  for (;;) {
    Token t = l.next();
    const Tok k = t.kind;
    out.push_back(std::move(t));
    if (k == Tok::kEof || k == Tok::kError) return out;
  }
}

std::vector<std::string> words(const std::vector<Token>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) {
    if (t.kind == Tok::kWord || t.kind == Tok::kString) out.push_back(t.text);
  }
  return out;
}

TEST(Lexer, TimesAddressesAndFlagsAreSingleWords) {
  auto ts = lex_all("+0...0.200 client.worker: connect(3, 10.0.0.2:8080) = 0\n");
  EXPECT_EQ(words(ts), (std::vector<std::string>{"+0...0.200", "client.worker:", "connect", "3",
                                                 "10.0.0.2:8080", "0"}));
  EXPECT_EQ(ts[0].line, 1);
  EXPECT_EQ(ts[0].col, 1);
  EXPECT_EQ(ts[1].col, 12);
  EXPECT_EQ(ts[2].kind, Tok::kWord);
  EXPECT_EQ(ts[3].kind, Tok::kLParen);
}

TEST(Lexer, BracketedIpv6IsOneWord) {
  auto ts = lex_all("[fd00::2]:80 [1, 2]\n");
  ASSERT_GE(ts.size(), 2u);
  EXPECT_EQ(ts[0].kind, Tok::kWord);
  EXPECT_EQ(ts[0].text, "[fd00::2]:80");
  EXPECT_EQ(ts[1].kind, Tok::kLBracket);  // an array, not an address
}

TEST(Lexer, AngleIsAnOptionListOnlyBeforeALetter) {
  auto ts = lex_all("S 0:0(0) <mss 1460> a < 3 b > c\n");
  std::vector<Tok> kinds;
  for (const auto& t : ts) kinds.push_back(t.kind);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), Tok::kLAngle), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), Tok::kRAngle), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), Tok::kLess), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), Tok::kGreater), kinds.end());
}

TEST(Lexer, NewlinesInsideParensDoNotEndTheLine) {
  auto ts = lex_all("a(1,\n 2)\nb \\\n c\n");
  int newlines = 0;
  for (const auto& t : ts) newlines += t.kind == Tok::kNewline;
  EXPECT_EQ(newlines, 2);
  EXPECT_EQ(words(ts), (std::vector<std::string>{"a", "1", "2", "b", "c"}));
}

TEST(Lexer, CommentsAreSkipped) {
  auto ts = lex_all("a # x\nb // y\nc /* z\n w */ d\n");
  EXPECT_EQ(words(ts), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(Lexer, UnterminatedCommentIsAnErrorAtItsStart) {
  auto ts = lex_all("a\n  /* never closed\n");
  ASSERT_EQ(ts.back().kind, Tok::kError);
  EXPECT_EQ(ts.back().line, 2);
  EXPECT_EQ(ts.back().col, 3);
}

TEST(Lexer, StringEscapes) {
  auto ts = lex_all(R"("a\"b\\c\n\x41")");
  ASSERT_EQ(ts[0].kind, Tok::kString);
  EXPECT_EQ(ts[0].text, "a\"b\\c\nA");
  auto bad = lex_all("\"open");
  EXPECT_EQ(bad.back().kind, Tok::kError);
}

TEST(Lexer, RepeatVariablesAreSubstitutedKeepingPositions) {
  Lexer l("client{I}: x{I}y\n");
  l.bind("I", 7);
  auto ts = lex_all("", &l);
  EXPECT_EQ(words(ts), (std::vector<std::string>{"client7:", "x7y"}));
  EXPECT_EQ(ts[1].col, 12);  // the original column
  Lexer unknown("a{J}\n");
  auto e = lex_all("", &unknown);
  EXPECT_EQ(e.back().kind, Tok::kError);
}

TEST(Lexer, GroupRangesOnlyWhenEnabled) {
  Lexer l("c{1..3} 10.0.0.{11..13}\n");
  l.begin_ranges(1);
  auto ts = lex_all("", &l);
  EXPECT_EQ(words(ts), (std::vector<std::string>{"c2", "10.0.0.12"}));
  ASSERT_EQ(l.ranges().size(), 2u);
  EXPECT_EQ(l.ranges()[0].count, 3);
  Lexer off("c{1..3}\n");
  EXPECT_EQ(lex_all("", &off).back().kind, Tok::kError);
}

TEST(Lexer, DeepNestingIsAnErrorNotACrash) {
  std::string deep(Lexer::kMaxBracketDepth + 10, '(');
  auto ts = lex_all(deep);
  EXPECT_EQ(ts.back().kind, Tok::kError);
}

}  // namespace
}  // namespace synlab::harness
