// The scenario lexer: text -> tokens with line and column, one at a time, driven by the
// parser.
//
// Tokens are coarse on purpose. A *word* is a maximal run of the characters that make up
// names, numbers, times, addresses and TCP flags (letters, digits and `_ . : % + ~ * / -`),
// so `+0...0.200`, `10.0.0.2:8080`, `client.worker:`, `S.`, `0:0`, `50ms` and `1.5%` are
// each one word and the parser reads them by context. A bracketed IPv6 literal
// (`[fd00::2]:80`) is one word too. Everything else is punctuation, a string or a newline.
//
// Lines: a newline ends a line unless a `(`, `[`, `{` or `<` is open, or the line ends in
// `\`. `<` opens an option list only when a letter, `.` or `>` follows it directly (`<mss`,
// `<...>`, `<>`); otherwise it is a comparison, and `>` is a comparison or a direction unless
// it closes an open `<`.
//
// Substitution happens here, so positions always refer to the original text:
//  - `{I}` inside or at the start of a word is replaced by the value of the repeat variable
//    I (see bind()); an unknown variable is an error.
//  - `{A..B}` is a group range: allowed only while begin_ranges() is active (the parser
//    enables it for declarations), it is replaced by its k-th value and recorded, so the
//    parser can check that all ranges on a line have the same length and parse the line once
//    per value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace synlab::harness {

enum class Tok : std::uint8_t {
  kEof,
  kNewline,
  kError,  // text is the message
  kWord,
  kString,  // text holds the decoded bytes
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kLAngle,     // `<` opening an option list
  kRAngle,     // `>` closing one
  kLess,       // `<`
  kGreater,    // `>`
  kLessEq,     // `<=`
  kGreaterEq,  // `>=`
  kEqEq,       // `==`
  kNotEq,      // `!=`
  kEq,         // `=`
  kComma,
  kPipe,
};

struct Token {
  Tok kind = Tok::kEof;
  std::string text;
  std::size_t offset = 0;  // byte offset of the first character
  std::size_t end = 0;     // byte offset after the last character
  int line = 1;
  int col = 1;
  // How this token changed the bracket stack (+1 pushed, -1 popped `stack_char`), so the
  // parser can give back a token it peeked at.
  int stack_effect = 0;
  char stack_char = 0;
};

// A group range met while ranges were enabled.
struct RangeUse {
  int line = 0;
  int col = 0;
  std::string text;        // "{1..5}"
  std::int64_t count = 0;  // number of values
};

class Lexer {
 public:
  struct State {
    std::size_t pos = 0;
    int line = 1;
    int col = 1;
  };

  static constexpr std::size_t kMaxBracketDepth = 256;
  // Largest group range (values in one `{A..B}`).
  static constexpr std::int64_t kMaxRange = 1'000'000;

  explicit Lexer(std::string_view text) : text_(text) {}

  Token next();

  State state() const { return {pos_, line_, col_}; }
  // Back to `s` with an empty bracket stack (the start of a line).
  void reset(State s);
  // Back to `s` (the state before `t` was lexed), undoing `t`'s bracket-stack change.
  void give_back(State s, const Token& t);
  // Moves to `s` without touching the bracket stack.
  void seek(State s) {
    pos_ = s.pos;
    line_ = s.line;
    col_ = s.col;
  }
  std::size_t bracket_depth() const { return stack_.size(); }

  // Raw text from the current position to the end of the physical line (the newline is not
  // consumed), with repeat variables substituted and surrounding blanks trimmed.
  std::string rest_of_line();
  // At a `(`: the text up to its matching `)` on the same line. ok=false when the line ends
  // first (the position is then at the end of the line).
  std::pair<bool, std::string> paren_text();

  // Repeat variables, innermost last.
  void bind(std::string name, std::int64_t value) { vars_.emplace_back(std::move(name), value); }
  void unbind() { vars_.pop_back(); }

  // Group ranges: enabled with the value index to substitute.
  void begin_ranges(std::int64_t index) {
    range_index_ = index;
    ranges_.clear();
  }
  void end_ranges() { range_index_ = -1; }
  const std::vector<RangeUse>& ranges() const { return ranges_; }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek_char(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void advance(std::size_t n = 1);
  // Skips blanks, comments, escaped newlines and (inside brackets) newlines. Returns an error
  // message for an unterminated block comment, else empty.
  std::string skip_space(int* err_line, int* err_col);
  Token make(Tok kind, const State& start);
  Token error(const State& at, std::string message);
  Token lex_word(const State& start);
  Token lex_string(const State& start);
  // At `{`: the length of a `{NAME}` or `{A..B}` piece, or 0. Appends the substitution to
  // `out` or sets `err`.
  std::size_t brace_piece(std::string* out, std::string* err);
  // At `[`: the length of a bracketed IPv6 literal (at least two colons before `]`), or 0.
  std::size_t ipv6_bracket_len() const;
  const std::int64_t* find_var(std::string_view name) const;

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
  std::string stack_;  // open brackets
  std::vector<std::pair<std::string, std::int64_t>> vars_;
  std::int64_t range_index_ = -1;
  std::vector<RangeUse> ranges_;
};

// Word characters (see the file comment).
bool is_word_char(char c);

}  // namespace synlab::harness
