#include "harness/scenario/lexer.h"

#include <cstdio>

namespace synlab::harness {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// "'x'" for printable ASCII, "byte 0xNN" otherwise (a UTF-8 lead byte: the parser has checked
// the text is valid UTF-8, so the character is shown whole by the caller's source line).
std::string describe_char(std::string_view text, std::size_t pos) {
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  if (c >= 0x80) {
    std::size_t n = 1;
    while (pos + n < text.size() && (static_cast<unsigned char>(text[pos + n]) & 0xc0) == 0x80) ++n;
    return "'" + std::string(text.substr(pos, n)) + "'";
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
  return buf;
}

}  // namespace

bool is_word_char(char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '.':
    case ':':
    case '%':
    case '+':
    case '~':
    case '*':
    case '/':
    case '-':
      return true;
    default:
      return false;
  }
}

void Lexer::advance(std::size_t n) {
  for (std::size_t i = 0; i < n && pos_ < text_.size(); ++i) {
    const char c = text_[pos_++];
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) {
      ++col_;  // columns count characters: UTF-8 continuation bytes do not move them
    }
  }
}

void Lexer::reset(State s) {
  pos_ = s.pos;
  line_ = s.line;
  col_ = s.col;
  stack_.clear();
}

void Lexer::give_back(State s, const Token& t) {
  pos_ = s.pos;
  line_ = s.line;
  col_ = s.col;
  if (t.stack_effect > 0 && !stack_.empty()) stack_.pop_back();
  if (t.stack_effect < 0) stack_.push_back(t.stack_char);
}

std::string Lexer::skip_space(int* err_line, int* err_col) {
  while (!at_end()) {
    const char c = peek_char();
    if (is_blank(c)) {
      advance();
    } else if (c == '\\' &&
               (peek_char(1) == '\n' || (peek_char(1) == '\r' && peek_char(2) == '\n'))) {
      advance(peek_char(1) == '\n' ? 2 : 3);
    } else if (c == '#' || (c == '/' && peek_char(1) == '/')) {
      while (!at_end() && peek_char() != '\n') advance();
    } else if (c == '/' && peek_char(1) == '*') {
      *err_line = line_;
      *err_col = col_;
      advance(2);
      while (!at_end() && !(peek_char() == '*' && peek_char(1) == '/')) advance();
      if (at_end()) return "unterminated comment: '/*' has no '*/'";
      advance(2);
    } else if (c == '\n' && !stack_.empty()) {
      advance();
    } else {
      break;
    }
  }
  return {};
}

Token Lexer::make(Tok kind, const State& start) {
  Token t;
  t.kind = kind;
  t.offset = start.pos;
  t.end = pos_;
  t.line = start.line;
  t.col = start.col;
  return t;
}

Token Lexer::error(const State& at, std::string message) {
  Token t = make(Tok::kError, at);
  t.text = std::move(message);
  return t;
}

Token Lexer::next() {
  int el = 0, ec = 0;
  if (std::string e = skip_space(&el, &ec); !e.empty()) return error({pos_, el, ec}, e);
  const State start = state();
  if (at_end()) return make(Tok::kEof, start);
  const char c = peek_char();

  auto push = [&](Tok kind) {
    if (stack_.size() >= kMaxBracketDepth) {
      return error(start,
                   "too many nested brackets (more than " + std::to_string(kMaxBracketDepth) + ")");
    }
    stack_.push_back(c);
    advance();
    Token t = make(kind, start);
    t.stack_effect = 1;
    t.stack_char = c;
    return t;
  };
  auto close = [&](Tok kind, char opener) {
    Token t;
    advance();
    t = make(kind, start);
    if (!stack_.empty() && stack_.back() == opener) {
      stack_.pop_back();
      t.stack_effect = -1;
      t.stack_char = opener;
    }
    return t;
  };
  auto single = [&](Tok kind, std::size_t n) {
    advance(n);
    return make(kind, start);
  };

  switch (c) {
    case '\n':
      return single(Tok::kNewline, 1);
    case '(':
      return push(Tok::kLParen);
    case ')':
      return close(Tok::kRParen, '(');
    case '[':
      if (ipv6_bracket_len() > 0) return lex_word(start);
      return push(Tok::kLBracket);
    case ']':
      return close(Tok::kRBracket, '[');
    case '{': {
      // A word that starts with {I} or {A..B}, or a struct. The probe must not record the
      // range: lex_word() reads it again.
      std::string sub, err;
      const std::size_t recorded = ranges_.size();
      const std::size_t n = brace_piece(&sub, &err);
      ranges_.resize(recorded);
      if (!err.empty()) return error(start, err);
      if (n > 0) return lex_word(start);
      return push(Tok::kLBrace);
    }
    case '}':
      return close(Tok::kRBrace, '{');
    case '<': {
      const char n = peek_char(1);
      if (n == '=') return single(Tok::kLessEq, 2);
      if (is_alpha(n) || n == '.' || n == '>') return push(Tok::kLAngle);
      return single(Tok::kLess, 1);
    }
    case '>':
      if (!stack_.empty() && stack_.back() == '<') return close(Tok::kRAngle, '<');
      if (peek_char(1) == '=') return single(Tok::kGreaterEq, 2);
      return single(Tok::kGreater, 1);
    case '=':
      if (peek_char(1) == '=') return single(Tok::kEqEq, 2);
      return single(Tok::kEq, 1);
    case '!':
      if (peek_char(1) == '=') return single(Tok::kNotEq, 2);
      break;
    case ',':
      return single(Tok::kComma, 1);
    case '|':
      return single(Tok::kPipe, 1);
    case '"':
      return lex_string(start);
    default:
      if (is_word_char(c)) return lex_word(start);
      break;
  }
  // U+FEFF as UTF-8; the parser drops one at the very start of the file.
  if (text_.substr(pos_, 3) == "\xef\xbb\xbf") {
    return error(start, "a byte-order mark (U+FEFF) is only allowed at the start of the file");
  }
  return error(start, "unexpected character " + describe_char(text_, pos_));
}

const std::int64_t* Lexer::find_var(std::string_view name) const {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

std::size_t Lexer::brace_piece(std::string* out, std::string* err) {
  // {NAME}
  std::size_t j = pos_ + 1;
  if (j < text_.size() && is_alpha(text_[j])) {
    while (j < text_.size() && (is_alpha(text_[j]) || is_digit(text_[j]))) ++j;
    if (j < text_.size() && text_[j] == '}') {
      const std::string_view name = text_.substr(pos_ + 1, j - pos_ - 1);
      if (const std::int64_t* v = find_var(name)) {
        *out += std::to_string(*v);
      } else if (name.size() <= 64) {
        *err = "unknown repeat variable '" + std::string(name) + "'";
      } else {
        *err = "unknown repeat variable";
      }
      return j + 1 - pos_;
    }
  }
  // {A..B}
  j = pos_ + 1;
  auto number = [&](std::size_t* k, std::string_view* digits, bool* neg) {
    *neg = *k < text_.size() && text_[*k] == '-';
    if (*neg) ++*k;
    const std::size_t s = *k;
    while (*k < text_.size() && is_digit(text_[*k]) && *k - s < 20) ++*k;
    *digits = text_.substr(s, *k - s);
    return !digits->empty() && !(*k < text_.size() && is_digit(text_[*k]));
  };
  std::string_view da, db;
  bool na = false, nb = false;
  if (!number(&j, &da, &na)) return 0;
  if (j + 1 >= text_.size() || text_[j] != '.' || text_[j + 1] != '.') return 0;
  j += 2;
  if (!number(&j, &db, &nb)) return 0;
  if (j >= text_.size() || text_[j] != '}') return 0;
  const std::size_t len = j + 1 - pos_;
  const std::string piece(text_.substr(pos_, len));
  if (range_index_ < 0) {
    *err = "a group range like " + piece +
           " is only allowed in declarations (host, link, attach, ...); use 'repeat' for events";
    return len;
  }
  auto value = [](std::string_view d, bool neg) {
    std::int64_t v = 0;
    for (char ch : d) v = v * 10 + (ch - '0');  // at most 19 digits: no overflow past 9.9e18
    return neg ? -v : v;
  };
  if (da.size() > 18 || db.size() > 18) {
    *err = "group range " + piece + " is too large";
    return len;
  }
  const std::int64_t a = value(da, na), b = value(db, nb);
  const std::int64_t count = (b >= a ? b - a : a - b) + 1;
  if (count > kMaxRange) {
    *err = "group range " + piece + " has " + std::to_string(count) + " values; at most " +
           std::to_string(kMaxRange) + " are allowed";
    return len;
  }
  ranges_.push_back({line_, col_, piece, count});
  const std::int64_t k = range_index_ < count ? range_index_ : count - 1;
  const std::int64_t v = b >= a ? a + k : a - k;
  // Zero padding as in bash: {01..10} gives 01 02 ... 10.
  std::size_t width = 0;
  if ((da.size() > 1 && da[0] == '0') || (db.size() > 1 && db[0] == '0')) {
    width = da.size() > db.size() ? da.size() : db.size();
  }
  std::string s = std::to_string(v < 0 ? -v : v);
  while (s.size() < width) s.insert(s.begin(), '0');
  if (v < 0) s.insert(s.begin(), '-');
  *out += s;
  return len;
}

std::size_t Lexer::ipv6_bracket_len() const {
  int colons = 0;
  std::size_t j = pos_ + 1;
  while (j < text_.size()) {
    const char c = text_[j];
    if (c == ']') break;
    if (c == ':') {
      ++colons;
    } else if (c == '{') {
      // A repeat variable inside the literal: [fd00::{I}]
      std::size_t k = j + 1;
      while (k < text_.size() && (is_alpha(text_[k]) || is_digit(text_[k]))) ++k;
      if (k >= text_.size() || text_[k] != '}') return 0;
      j = k;
    } else if (!(is_hex(c) || c == '.' || c == '%' || is_alpha(c) || is_digit(c))) {
      return 0;
    }
    ++j;
  }
  if (j >= text_.size() || colons < 2) return 0;
  return j + 1 - pos_;
}

Token Lexer::lex_word(const State& start) {
  std::string out;
  std::string err;
  // A leading bracketed IPv6 literal, copied with its substitutions.
  if (peek_char() == '[') {
    const std::size_t n = ipv6_bracket_len();
    const std::size_t stop = pos_ + n;
    while (pos_ < stop) {
      if (peek_char() == '{') {
        const std::size_t m = brace_piece(&out, &err);
        if (!err.empty()) return error(start, err);
        advance(m);
      } else {
        out += peek_char();
        advance();
      }
    }
  }
  while (!at_end()) {
    const char c = peek_char();
    if (c == '/' && (peek_char(1) == '/' || peek_char(1) == '*')) break;  // a comment
    if (is_word_char(c)) {
      out += c;
      advance();
    } else if (c == '{') {
      const State here = state();
      const std::size_t m = brace_piece(&out, &err);
      if (!err.empty()) return error(here, err);
      if (m == 0) {
        std::size_t j = pos_ + 1;
        while (j < text_.size() && text_[j] != '\n' && text_[j] != '}') ++j;
        if (j >= text_.size() || text_[j] != '}') {
          return error(here, "'{' has no '}' (a group range is {1..5}, a repeat variable {I})");
        }
        return error(here,
                     "'{' inside a word must start a repeat variable like {I} or a "
                     "group range like {1..5}");
      }
      advance(m);
    } else {
      break;
    }
  }
  Token t = make(Tok::kWord, start);
  t.text = std::move(out);
  return t;
}

Token Lexer::lex_string(const State& start) {
  std::string out;
  advance();  // the opening quote
  while (true) {
    if (at_end() || peek_char() == '\n') return error(start, "unterminated string");
    const char c = peek_char();
    if (c == '"') {
      advance();
      break;
    }
    if (c != '\\') {
      out += c;
      advance();
      continue;
    }
    const State esc = state();
    const char e = peek_char(1);
    // A backslash at the end of the line or file escapes nothing: the string is unterminated.
    if (pos_ + 1 >= text_.size() || e == '\n') return error(start, "unterminated string");
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case 'x': {
        if (!is_hex(peek_char(2)) || !is_hex(peek_char(3))) {
          return error(esc, "'\\x' in a string needs two hex digits, like \\x0a");
        }
        auto hex = [](char h) {
          return is_digit(h) ? h - '0' : (h >= 'a' ? h - 'a' + 10 : h - 'A' + 10);
        };
        out += static_cast<char>(hex(peek_char(2)) * 16 + hex(peek_char(3)));
        advance(4);
        continue;
      }
      default: {
        std::string shown = (e >= 0x20 && e < 0x7f) ? std::string(1, e) : std::string("?");
        return error(esc, "unknown escape '\\" + shown +
                              "' in string (use \\\" \\\\ \\n \\t \\r \\0 or \\xNN)");
      }
    }
    advance(2);
  }
  Token t = make(Tok::kString, start);
  t.text = std::move(out);
  return t;
}

std::string Lexer::rest_of_line() {
  std::string out;
  while (!at_end() && peek_char() != '\n') {
    if (peek_char() == '{' && !vars_.empty()) {
      std::string sub, err;
      const std::size_t m = brace_piece(&sub, &err);
      if (m > 0 && err.empty()) {
        out += sub;
        advance(m);
        continue;
      }
    }
    out += peek_char();
    advance();
  }
  const auto first = out.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const auto last = out.find_last_not_of(" \t\r");
  return out.substr(first, last - first + 1);
}

std::pair<bool, std::string> Lexer::paren_text() {
  std::string out;
  int depth = 0;
  while (!at_end() && peek_char() != '\n') {
    const char c = peek_char();
    advance();
    if (c == '(') {
      if (depth++ == 0) continue;
    } else if (c == ')') {
      if (--depth == 0) return {true, out};
    }
    out += c;
  }
  return {false, out};
}

}  // namespace synlab::harness
