#include "harness/drill/tcpinfo_expr.h"

#include <cctype>
#include <cstdint>
#include <vector>

namespace synlab::harness::drill {
namespace {

// An expression as quoted in a message: at most 80 characters.
std::string quoted(std::string_view e) {
  if (e.size() <= 80) return std::string(e);
  return std::string(e.substr(0, 77)) + "...";
}

// A recursive-descent evaluator over one assert's expression. Written by hand: it is a
// few dozen lines for a fixed subset, and embedding Python is what the issue asks to avoid.
class Eval {
 public:
  Eval(std::string_view s, const NameLookup* names) : s_(s), names_(names) {}

  std::optional<std::int64_t> expr() { return or_expr(); }
  bool at_end() {
    skip();
    return i_ >= s_.size();
  }
  const std::string& error() const { return error_; }
  // The names read, with their values, for the failure message.
  std::string seen;

 private:
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool word(std::string_view w) {
    skip();
    if (s_.substr(i_, w.size()) != w) return false;
    const std::size_t e = i_ + w.size();
    if (e < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) return false;
    i_ = e;
    return true;
  }
  bool op(std::string_view o) {
    skip();
    if (s_.substr(i_, o.size()) != o) return false;
    i_ += o.size();
    return true;
  }
  std::optional<std::int64_t> fail(std::string m) {
    if (error_.empty()) error_ = std::move(m);
    return std::nullopt;
  }
  std::optional<std::int64_t> or_expr() {
    auto a = and_expr();
    while (a && word("or")) {
      auto b = and_expr();
      if (!b) return b;
      a = (*a != 0 || *b != 0) ? 1 : 0;
    }
    return a;
  }
  std::optional<std::int64_t> and_expr() {
    auto a = not_expr();
    while (a && word("and")) {
      auto b = not_expr();
      if (!b) return b;
      a = (*a != 0 && *b != 0) ? 1 : 0;
    }
    return a;
  }
  // Every recursion passes through here or atom(): a bounded depth, whatever the input.
  struct Depth {
    int& d;
    explicit Depth(int& x) : d(++x) {}
    ~Depth() { --d; }
  };
  std::optional<std::int64_t> not_expr() {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return fail("too deeply nested");
    if (word("not")) {
      auto a = not_expr();
      if (!a) return a;
      return *a == 0 ? 1 : 0;
    }
    return comparison();
  }
  std::optional<std::int64_t> comparison() {
    auto a = bit_or();
    if (!a) return a;
    bool result = true, any = false;
    for (;;) {
      int k = -1;
      if (op("==")) k = 0;
      else if (op("!=")) k = 1;
      else if (op("<=")) k = 2;
      else if (op(">=")) k = 3;
      else if (op("<")) k = 4;
      else if (op(">")) k = 5;
      if (k < 0) break;
      auto b = bit_or();
      if (!b) return b;
      const bool r = k == 0 ? *a == *b : k == 1 ? *a != *b : k == 2 ? *a <= *b : k == 3 ? *a >= *b
                   : k == 4 ? *a < *b : *a > *b;
      result = result && r;
      any = true;
      a = b;
    }
    if (any) return result ? 1 : 0;
    return a;
  }
  std::optional<std::int64_t> bit_or() {
    auto a = bit_xor();
    while (a) {
      skip();
      if (i_ < s_.size() && s_[i_] == '|') {
        ++i_;
        auto b = bit_xor();
        if (!b) return b;
        a = *a | *b;
      } else {
        break;
      }
    }
    return a;
  }
  std::optional<std::int64_t> bit_xor() {
    auto a = bit_and();
    while (a && op("^")) {
      auto b = bit_and();
      if (!b) return b;
      a = *a ^ *b;
    }
    return a;
  }
  std::optional<std::int64_t> bit_and() {
    auto a = shift();
    while (a && op("&")) {
      auto b = shift();
      if (!b) return b;
      a = *a & *b;
    }
    return a;
  }
  std::optional<std::int64_t> shift() {
    auto a = sum();
    for (;;) {
      if (!a) return a;
      if (op("<<")) {
        auto b = sum();
        if (!b) return b;
        if (*b < 0 || *b > 62) return fail("shift count out of range");
        a = *a << *b;
      } else if (op(">>")) {
        auto b = sum();
        if (!b) return b;
        if (*b < 0 || *b > 62) return fail("shift count out of range");
        a = *a >> *b;
      } else {
        return a;
      }
    }
  }
  std::optional<std::int64_t> sum() {
    auto a = product();
    for (;;) {
      if (!a) return a;
      if (op("+")) {
        auto b = product();
        if (!b) return b;
        std::int64_t r = 0;
        if (__builtin_add_overflow(*a, *b, &r)) return fail("integer overflow (beyond 64 bits)");
        a = r;
      } else if (op("-")) {
        auto b = product();
        if (!b) return b;
        std::int64_t r = 0;
        if (__builtin_sub_overflow(*a, *b, &r)) return fail("integer overflow (beyond 64 bits)");
        a = r;
      } else {
        return a;
      }
    }
  }
  std::optional<std::int64_t> product() {
    auto a = unary();
    for (;;) {
      if (!a) return a;
      if (op("//")) {
        auto b = unary();
        if (!b) return b;
        if (*b == 0) return fail("ZeroDivisionError");
        if (*a == INT64_MIN && *b == -1) return fail("integer overflow (beyond 64 bits)");
        // Python's // floors.
        std::int64_t q = *a / *b;
        if ((*a % *b != 0) && ((*a < 0) != (*b < 0))) --q;
        a = q;
      } else if (op("%")) {
        auto b = unary();
        if (!b) return b;
        if (*b == 0) return fail("ZeroDivisionError");
        if (*b == -1) {
          a = 0;
        } else {
          // Python's % takes the divisor's sign.
          std::int64_t m = *a % *b;
          if (m != 0 && ((m < 0) != (*b < 0))) m += *b;
          a = m;
        }
      } else if (op("*")) {
        auto b = unary();
        if (!b) return b;
        std::int64_t r = 0;
        if (__builtin_mul_overflow(*a, *b, &r)) return fail("integer overflow (beyond 64 bits)");
        a = r;
      } else {
        return a;
      }
    }
  }
  std::optional<std::int64_t> unary() {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return fail("too deeply nested");
    if (op("-")) {
      auto a = unary();
      if (!a) return a;
      if (*a == INT64_MIN) return fail("integer overflow (beyond 64 bits)");
      return -*a;
    }
    if (op("~")) {
      auto a = unary();
      if (!a) return a;
      return ~*a;
    }
    return atom();
  }
  std::optional<std::int64_t> atom() {
    skip();
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return fail("too deeply nested");
    if (i_ >= s_.size()) return fail("unexpected end of expression");
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      auto a = or_expr();
      if (!a) return a;
      if (!op(")")) return fail("expected ')'");
      return a;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t j = i_;
      int base = 10;
      if (c == '0' && j + 1 < s_.size() && (s_[j + 1] == 'x' || s_[j + 1] == 'X')) base = 16, j += 2;
      std::int64_t v = 0;
      const std::size_t start = j;
      while (j < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[j])) &&
             (base == 16 || std::isdigit(static_cast<unsigned char>(s_[j])))) {
        const int d = std::isdigit(static_cast<unsigned char>(s_[j])) ? s_[j] - '0'
                                                                       : std::tolower(s_[j]) - 'a' + 10;
        if (v > (INT64_MAX - d) / base) return fail("number too large");
        v = v * base + d;
        ++j;
      }
      if (j == start) return fail("bad number");
      i_ = j;
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i_;
      while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_')) ++j;
      const std::string_view name = s_.substr(i_, j - i_);
      i_ = j;
      if (name == "True") return 1;
      if (name == "False") return 0;
      if (!names_) return 0;  // syntax check only
      auto v = (*names_)(name);
      if (!v) return fail("NameError: name '" + std::string(name) + "' is not defined");
      if (name.substr(0, 5) == "tcpi_") {
        if (!seen.empty()) seen += ", ";
        seen += std::string(name) + " = " + std::to_string(*v);
      }
      return v;
    }
    return fail(std::string("unsupported syntax at '") + c + "'");
  }

  std::string_view s_;
  std::size_t i_ = 0;
  const NameLookup* names_;
  std::string error_;
  int depth_ = 0;
  static constexpr int kMaxDepth = 200;
};

// Splits code into statements (`;` and newlines), trimmed, empty ones dropped.
std::vector<std::string_view> statements(std::string_view code) {
  std::vector<std::string_view> out;
  std::size_t b = 0;
  for (std::size_t i = 0; i <= code.size(); ++i) {
    if (i == code.size() || code[i] == ';' || code[i] == '\n') {
      std::string_view st = code.substr(b, i - b);
      while (!st.empty() && std::isspace(static_cast<unsigned char>(st.front()))) st.remove_prefix(1);
      while (!st.empty() && std::isspace(static_cast<unsigned char>(st.back()))) st.remove_suffix(1);
      if (!st.empty()) out.push_back(st);
      b = i + 1;
    }
  }
  return out;
}

// `assert EXPR[, MSG]`: EXPR (MSG, evaluated by Python only on failure, is not evaluated).
std::optional<std::string_view> assert_expr(std::string_view st) {
  if (st.substr(0, 6) != "assert" || st.size() < 7 ||
      !(std::isspace(static_cast<unsigned char>(st[6])) || st[6] == '(')) {
    return std::nullopt;
  }
  st.remove_prefix(6);
  while (!st.empty() && std::isspace(static_cast<unsigned char>(st.front()))) st.remove_prefix(1);
  // The message starts at the first top-level comma.
  int depth = 0;
  for (std::size_t i = 0; i < st.size(); ++i) {
    if (st[i] == '(') ++depth;
    if (st[i] == ')') --depth;
    if (st[i] == ',' && depth == 0) return st.substr(0, i);
  }
  return st;
}

AssertOutcome run(std::string_view code, const NameLookup* names) {
  AssertOutcome out;
  for (std::string_view st : statements(code)) {
    auto e = assert_expr(st);
    if (!e) {
      out.ok = false;
      out.unsupported = true;
      out.error = "unsupported statement in %{ }% (only `assert EXPR[, MSG]` is interpreted): " + std::string(st);
      return out;
    }
    Eval ev(*e, names);
    auto v = ev.expr();
    if (v && !ev.at_end()) {
      v.reset();
      out.unsupported = true;
      out.ok = false;
      out.error = "unsupported expression in %{ }%: " + quoted(*e);
      return out;
    }
    if (!v) {
      out.ok = false;
      out.unsupported = ev.error().rfind("NameError", 0) != 0;
      out.error = (out.unsupported ? "unsupported expression in %{ }%: " : "") + ev.error() +
                  (out.unsupported ? " in " + quoted(*e) : "");
      return out;
    }
    if (names && *v == 0) {
      out.ok = false;
      out.error = "AssertionError: " + quoted(*e) + (ev.seen.empty() ? "" : " (" + ev.seen + ")");
      return out;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> check_tcpinfo_code(std::string_view code) {
  AssertOutcome o = run(code, nullptr);
  if (o.ok) return std::nullopt;
  return o.error;
}

AssertOutcome run_tcpinfo_code(std::string_view code, const NameLookup& names) { return run(code, &names); }

std::optional<std::int64_t> tcpinfo_constant(std::string_view name) {
  static constexpr std::pair<std::string_view, std::int64_t> kNames[] = {
      {"TCP_ESTABLISHED", 1}, {"TCP_SYN_SENT", 2},   {"TCP_SYN_RECV", 3},  {"TCP_FIN_WAIT1", 4},
      {"TCP_FIN_WAIT2", 5},   {"TCP_TIME_WAIT", 6},  {"TCP_CLOSE", 7},     {"TCP_CLOSE_WAIT", 8},
      {"TCP_LAST_ACK", 9},    {"TCP_LISTEN", 10},    {"TCP_CLOSING", 11},  {"TCPI_OPT_TIMESTAMPS", 1},
      {"TCPI_OPT_SACK", 2},   {"TCPI_OPT_WSCALE", 4}, {"TCPI_OPT_ECN", 8}, {"TCPI_OPT_ECN_SEEN", 16},
      {"TCPI_OPT_SYN_DATA", 32}, {"TCPI_OPT_USEC_TS", 64}, {"TCPI_OPT_TFO_CHILD", 128},
  };
  for (const auto& [n, v] : kNames) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace synlab::harness::drill
