// The scenario parser: a hand-written lexer (lexer.h) and a recursive-descent parser.
//
// Why not a generator or tao-pegtl: what users see of a parser is its error messages, and
// the good ones here need context a grammar tool does not have ("expected ')' to close '('
// at 12:20", "unknown host 'sever' (hosts: client, server)", "'accept' takes 1 to 3
// arguments, got 4", a time that goes backwards, a thread that is still blocked). The
// language is also context-dependent at the word level (`0:0`, `S.`, `10.0.0.1:80` and
// `+0...0.200` are read by where they stand), and `repeat` and group expansion re-read
// text with substitutions, which is simplest when the parser drives the lexer. PEG error
// reporting ("expected one of 23 things") and its recursion on deep input would both need
// working around.
//
// Errors: the parser stops at the first one. Internally it throws `Failure` and catches it
// in parse_scenario(); nothing escapes the API and nothing here is on the packet path.
//
// Bounds (it is fuzzed): expression nesting, repeat nesting, expanded events and
// declarations, and the text re-read by repeat are all capped (ParseLimits); the lexer caps
// open brackets; every pass is linear in the input.
#include "harness/scenario/parser.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "harness/scenario/calls.h"
#include "harness/scenario/lexer.h"
#include "harness/scenario/suggest.h"
#include "harness/scenario/symbols.h"
#include "stack/counters.h"
#include "stack/host.h"
#include "stack/personality/personality.h"
#include "stack/personality/sysctl.h"
#include "stack/socket/errno.h"
#include "stack/tcp/tcp_state.h"
#include "stack/wire/icmp_names.h"
#include "stack/wire/tcp_options.h"

namespace synlab::harness {
namespace {

using sim::Duration;
using sim::Time;
using wire::IpAddr;
using wire::IpPrefix;

constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();

struct Failure {
  int line = 0;
  int col = 0;
  std::string message;
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// 'word', cut to a readable length.
std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 48;
  if (s.size() <= kMax) return "'" + std::string(s) + "'";
  std::size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;  // whole characters
  return "'" + std::string(s.substr(0, n)) + "...'";
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEof:
      return "end of file";
    case Tok::kNewline:
      return "end of line";
    case Tok::kError:
      return t.text;
    case Tok::kWord:
      return quote(t.text);
    case Tok::kString:
      return "a string";
    case Tok::kLParen:
      return "'('";
    case Tok::kRParen:
      return "')'";
    case Tok::kLBracket:
      return "'['";
    case Tok::kRBracket:
      return "']'";
    case Tok::kLBrace:
      return "'{'";
    case Tok::kRBrace:
      return "'}'";
    case Tok::kLAngle:
      return "'<'";
    case Tok::kRAngle:
      return "'>'";
    case Tok::kLess:
      return "'<'";
    case Tok::kGreater:
      return "'>'";
    case Tok::kLessEq:
      return "'<='";
    case Tok::kGreaterEq:
      return "'>='";
    case Tok::kEqEq:
      return "'=='";
    case Tok::kNotEq:
      return "'!='";
    case Tok::kEq:
      return "'='";
    case Tok::kComma:
      return "','";
    case Tok::kPipe:
      return "'|'";
  }
  return "a token";
}

std::string_view closer_text(Tok k) {
  switch (k) {
    case Tok::kRParen:
      return "')' to close '('";
    case Tok::kRBracket:
      return "']' to close '['";
    case Tok::kRBrace:
      return "'}' to close '{'";
    case Tok::kRAngle:
      return "'>' to close '<'";
    default:
      return "a closing bracket";
  }
}

// "0.100", "1.000250", "0.000000001": seconds with as many decimals as the instant needs
// (at least milliseconds).
std::string format_time(std::int64_t ns) {
  const std::int64_t s = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  char buf[48];
  if (frac % 1'000'000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(s),
                  static_cast<long long>(frac / 1'000'000));
  } else if (frac % 1'000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(s),
                  static_cast<long long>(frac / 1'000));
  } else {
    std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(s),
                  static_cast<long long>(frac));
  }
  return buf;
}
std::string format_time(Time t) {
  return format_time(t.ns());
}

std::string format_bytes(std::size_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

// Names of hosts, links, segments and threads: a letter or '_', then letters, digits, '_'
// and '-'. No dots, so HOST.THREAD is never ambiguous.
bool valid_name(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
}
bool valid_ident(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alpha(c) || is_digit(c); });
}
// AF_INET-like: upper case, digits and '_'.
bool looks_like_symbol(std::string_view s) {
  if (s.empty() || !(s[0] >= 'A' && s[0] <= 'Z')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; });
}

constexpr std::string_view kHeaderKeys[] = {
    "title:", "about:", "seed:", "personality:", "tags:", "expect-failure:"};
constexpr std::string_view kDeclKeywords[] = {"host",   "link",   "segment", "attach",     "route",
                                              "sysctl", "filter", "packets", "neighbours", "neighbors"};
constexpr std::string_view kEventKeywords[] = {"link",   "partition", "heal", "drop", "signal",
                                               "inject", "expect",    "note", "end",  "repeat"};
constexpr std::string_view kLinkOptions[] = {"delay",     "jitter",  "rate",    "loss",
                                             "duplicate", "reorder", "corrupt", "mtu",
                                             "queue"};
// Words a host cannot be called: keywords that could stand where a host name stands.
constexpr std::string_view kReserved[] = {
    "host",      "link",  "segment", "attach",  "route",  "sysctl",    "filter",  "packets",
    "partition", "heal",  "drop",    "signal",  "inject", "expect",    "note",    "end",
    "repeat",    "delay", "jitter",  "rate",    "loss",   "duplicate", "reorder", "gap",
    "corrupt",   "mtu",   "queue",   "on",      "default", "next",   "raw",       "every",   "neighbours",
    "neighbors"};
constexpr std::string_view kTcpOptionNames[] = {"mss", "sackOK", "TS",    "nop", "wscale", "sack",
                                                "eol", "FO",     "FOEXP", "md5", "kind"};

template <std::size_t N>
bool contains(const std::string_view (&list)[N], std::string_view w) {
  return std::find(std::begin(list), std::end(list), w) != std::end(list);
}

std::optional<std::string_view> header_key(std::string_view w) {
  for (std::string_view k : kHeaderKeys) {
    if (starts_with(w, k)) return k;
  }
  return std::nullopt;
}

bool looks_like_time(std::string_view w) {
  if (w.empty()) return false;
  if (w[0] == '-') return w.size() > 1 && (is_digit(w[1]) || w[1] == '.');  // to say "negative"
  return is_digit(w[0]) || w[0] == '+' || w[0] == '.' || w[0] == '*';
}

// --- Numbers ------------------------------------------------------------------------------

enum class NumErr : std::uint8_t { kOk, kBad, kOverflow, kPrecision };

// A non-negative decimal ("12", "0.5", ".25") times 10^frac_digits, exactly.
NumErr parse_fixed(std::string_view s, int frac_digits, std::uint64_t* out) {
  std::uint64_t v = 0;
  bool any = false, overflow = false, precision = false;
  std::size_t i = 0;
  auto push = [&](int d) {
    if (__builtin_mul_overflow(v, 10u, &v) ||
        __builtin_add_overflow(v, static_cast<unsigned>(d), &v)) {
      overflow = true;
    }
  };
  for (; i < s.size() && is_digit(s[i]); ++i) {
    any = true;
    if (!overflow) push(s[i] - '0');
  }
  int frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t first = i;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (frac < frac_digits) {
        if (!overflow) push(s[i] - '0');
        ++frac;
      } else if (s[i] != '0') {
        precision = true;
      }
    }
    if (i == first) return NumErr::kBad;
    any = true;
  }
  if (!any || i != s.size()) return NumErr::kBad;
  for (; frac < frac_digits && !overflow; ++frac) push(0);
  if (overflow) return NumErr::kOverflow;
  if (precision) return NumErr::kPrecision;
  *out = v;
  return NumErr::kOk;
}

// "42", "-1", "0x2a" -> int64.
NumErr parse_int(std::string_view s, std::int64_t* out) {
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return NumErr::kBad;
  std::uint64_t v = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    for (char c : s) {
      if (!is_hex(c)) return NumErr::kBad;
      if (v >> 60) return NumErr::kOverflow;
      v = v * 16 + static_cast<unsigned>(hex_value(c));
    }
  } else {
    for (char c : s) {
      if (!is_digit(c)) return NumErr::kBad;
      if (__builtin_mul_overflow(v, 10u, &v) ||
          __builtin_add_overflow(v, static_cast<unsigned>(c - '0'), &v)) {
        return NumErr::kOverflow;
      }
    }
  }
  const std::uint64_t lim = neg ? std::uint64_t{1} << 63 : static_cast<std::uint64_t>(kMaxI64);
  if (v > lim) return NumErr::kOverflow;
  *out = neg ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
  return NumErr::kOk;
}

// --- The parser ---------------------------------------------------------------------------

class Parser {
 public:
  // `forced`: the personality every host runs (`synlab run --personality`), which decides
  // which `[NAME]` lines apply; nullopt: each host's declared one.
  Parser(std::string_view text, std::string path, const ParseLimits& limits,
         std::optional<std::string> forced = std::nullopt)
      : text_(text),
        file_(std::make_shared<const std::string>(std::move(path))),
        limits_(limits),
        lex_(text),
        forced_(std::move(forced)) {}

  Scenario parse();
  ParseError to_error(const Failure& f) const;

 private:
  enum class PacketMode : std::uint8_t { kExpect, kInject, kDrop };
  enum class TimeClass : std::uint8_t { kCall, kPacket, kOther };

  // --- Errors and locations
  SourceLoc loc(int line, int col) const { return SourceLoc{file_, line, col}; }
  SourceLoc loc(const Token& t) const { return loc(t.line, t.col); }
  [[noreturn]] void fail(int line, int col, std::string message) const;
  [[noreturn]] void fail(const Token& t, std::string message) const {
    fail(t.line, t.col, std::move(message));
  }
  [[noreturn]] void fail(const SourceLoc& l, std::string message) const {
    fail(l.line, l.col, std::move(message));
  }
  void check_text();

  // --- Tokens
  void advance() {
    cur_start_ = lex_.state();
    cur_ = lex_.next();
  }
  const Token& peek() const {
    if (cur_.kind == Tok::kError) fail(cur_, cur_.text);
    return cur_;
  }
  Token take() {
    peek();
    Token t = std::move(cur_);
    last_end_ = t.end;
    advance();
    return t;
  }
  bool at(Tok k) const { return peek().kind == k; }
  bool at_word(std::string_view w) const { return at(Tok::kWord) && cur_.text == w; }
  bool at_eol() const { return at(Tok::kNewline) || at(Tok::kEof); }
  // Whether `closer` comes after the opening bracket `t` on the same physical line.
  bool closed_on_line(const Token& t, char closer) const {
    for (std::size_t i = t.end; i < text_.size() && text_[i] != '\n'; ++i) {
      if (text_[i] == closer) return true;
    }
    return false;
  }
  Token take_word(std::string_view what) {
    if (!at(Tok::kWord)) fail(cur_, "expected " + std::string(what) + ", got " + describe(cur_));
    return take();
  }
  Token take_close(Tok closer, const Token& opener) {
    if (!at(closer)) {
      fail(cur_, "expected " + std::string(closer_text(closer)) + " at " +
                     std::to_string(opener.line) + ":" + std::to_string(opener.col) + ", got " +
                     describe(cur_));
    }
    return take();
  }
  void expect_eol(std::string_view context = {}) {
    if (at_eol()) return;
    std::string m = "unexpected " + describe(cur_);
    m += context.empty() ? std::string(" at the end of the line") : " " + std::string(context);
    fail(cur_, m);
  }
  void skip_newlines() {
    while (at(Tok::kNewline)) take();
  }
  // The raw rest of the line in place of the lookahead token.
  std::string raw_rest() {
    lex_.give_back(cur_start_, cur_);
    std::string s = lex_.rest_of_line();
    advance();
    return s;
  }

  // --- Lines
  void parse_top_line();
  void parse_header(std::string_view key);
  void parse_declaration();
  void parse_declaration_body();
  void parse_event_line();
  void parse_repeat(const std::optional<TimeSpec>& time, const std::string& time_text);
  void parse_repeat_body(const Token& kw);
  void parse_line_prefix();
  std::string line_personality(const Event& ev) const;
  void finish();

  // --- Declarations
  void parse_host();
  void parse_link();
  void parse_segment();
  void parse_attach();
  void parse_route();
  void parse_sysctl();
  void parse_filter();
  void parse_packets();
  void parse_neighbours();
  LinkOptions parse_link_options(bool required);
  void add_declaration(Declaration d);
  void new_host_name(const Token& t);
  void new_link_name(const Token& t, const std::string& name);
  void add_address(const IpPrefix& p, const std::string& host, const Token& t);

  // --- Events
  TimeSpec parse_time(const Token& first, std::string* start_text);
  void check_time_form(const Event& ev, TimeClass cls, const std::string& time_text) const;
  void resolve_time(Event& ev, TimeClass cls, const std::string& time_text);
  Time add_time(Time base, Duration d, const SourceLoc& where) const;
  void append_event(Event ev);
  void parse_syscall(Event& ev, const Token& who);
  void parse_link_event(Event& ev);
  void parse_partition(Event& ev);
  void parse_drop(Event& ev);
  void parse_signal(Event& ev);
  void parse_inject(Event& ev);
  void parse_expect(Event& ev);

  // --- Packets
  PacketPattern parse_endpoints(const Token& src, PacketMode mode);
  void parse_packet_body(PacketPattern& p, PacketMode mode);
  TcpPattern parse_tcp(const Token& flags, PacketMode mode);
  TcpFlags parse_flags(const Token& t);
  SeqRange parse_seq(const Token& t);
  void parse_tcp_options(TcpPattern& tcp, PacketMode mode);
  TcpOptionPattern parse_tcp_option(PacketMode mode);
  std::optional<std::uint32_t> option_value(std::uint32_t max, PacketMode mode,
                                            std::string_view what);
  std::optional<std::vector<std::uint8_t>> option_data(PacketMode mode, std::string_view what);
  IcmpPattern parse_icmp(bool v6, PacketMode mode);
  ArpPattern parse_arp();

  // --- Expressions
  Expr parse_expr(int depth);
  Expr parse_term(int depth);
  Expr word_expr(const Token& w);
  Expr raw_addr(const Token& w);
  Address parse_address(const Token& w, bool allow_any_host, bool allow_any_port);
  PortSpec parse_port(std::string_view s, bool allow_any, const Token& w);

  // --- Values
  std::int64_t int_value(const Token& t, std::string_view what);
  std::uint64_t uint_value(const Token& t, std::uint64_t max, std::string_view what);
  std::uint64_t uint_in_range(const Token& t, std::uint64_t min, std::uint64_t max, std::string_view what);
  // `shown`: the word as written, when it differs from t.text (a time's '+' is stripped).
  Duration duration_value(const Token& t, std::string_view what, bool bare_seconds,
                          std::string_view shown = {});
  double percent_value(const Token& t, std::string_view what);
  std::uint64_t rate_value(const Token& t);
  IpPrefix prefix_value(const Token& t, bool need_len);
  IpAddr ip_value(const Token& t, std::string_view what);
  std::vector<std::uint8_t> hex_bytes(const Token& t, std::string_view text, std::string_view what);

  // --- Names
  void require_host(std::string_view name, const Token& t, int col_offset = 0) const;
  std::string host_list() const;
  void require_link(const Token& t) const;
  std::pair<std::string, std::string> host_thread(const Token& t, std::string_view who);
  void once(std::set<std::string>& seen, const Token& t, std::string_view what = {});

  std::string_view text_;
  std::shared_ptr<const std::string> file_;
  ParseLimits limits_;
  Lexer lex_;
  Token cur_;
  Lexer::State cur_start_;
  std::size_t last_end_ = 0;

  Scenario sc_;
  bool about_new_paragraph_ = true;
  std::map<std::string, SourceLoc, std::less<>> header_seen_;

  std::map<std::string, SourceLoc, std::less<>> hosts_;
  std::vector<std::string> host_order_;
  std::map<IpAddr, std::string> addr_owner_;
  std::set<std::string, std::less<>> joined_;  // hosts with an interface
  struct LinkInfo {
    bool segment = false;
    SourceLoc loc;
  };
  std::map<std::string, LinkInfo, std::less<>> links_;
  std::set<std::pair<std::string, std::string>> attached_;

  Time base_;
  bool have_event_ = false;
  bool seen_event_ = false;
  std::optional<SourceLoc> end_loc_;
  int repeat_depth_ = 0;
  std::vector<RepeatBinding> bindings_;
  // Per-personality lines: the run's forced personality, each host's declared one, whether the
  // script has any prefix, and the prefix of the line being read.
  std::optional<std::string> forced_;
  std::map<std::string, std::string, std::less<>> host_personality_;
  bool saw_prefix_ = false;
  struct LinePrefix {
    std::vector<std::string> names;
    Token open;
  };
  std::optional<LinePrefix> prefix_;
  std::size_t repeat_text_ = 0;
  // Values parsed in the current line's expressions (bounds memory on absurd lines).
  static constexpr std::size_t kMaxExprNodes = 100'000;
  // What one repeat iteration costs against ParseLimits::max_repeat_text on top of its text,
  // so nested repeats with empty bodies are bounded too.
  static constexpr std::size_t kIterationCost = 64;
  static constexpr std::size_t kMaxTcpOptions = 40;  // 40 bytes of options, each at least 1
  static constexpr std::size_t kMaxTags = 256;
  std::size_t expr_nodes_ = 0;
};

void Parser::fail(int line, int col, std::string message) const {
  if (!bindings_.empty()) {
    message += " (in repeat";
    for (const RepeatBinding& b : bindings_)
      message += " " + b.name + "=" + std::to_string(b.value);
    message += ")";
  }
  if (forced_) message += " (in the lines for personality " + *forced_ + ")";
  throw Failure{line, col, std::move(message)};
}

// --- Text checks --------------------------------------------------------------------------

// Valid UTF-8 without control characters other than tab, CR and LF. A UTF-8 byte-order mark
// at the very start is skipped.
void Parser::check_text() {
  std::size_t i = 0;
  if (starts_with(text_, "\xEF\xBB\xBF")) i = 3;
  lex_.reset({i, 1, 1});
  int line = 1, col = 1;
  std::optional<std::pair<int, int>> lone_cr;  // the first CR not followed by LF
  auto bad = [&](unsigned char b, const char* what) {
    char buf[120];
    std::snprintf(buf, sizeof buf, what, b);
    fail(line, col, std::string(buf) + " (a scenario is UTF-8 text)");
  };
  while (i < text_.size()) {
    const auto c = static_cast<unsigned char>(text_[i]);
    if (c == '\n') {
      ++line;
      col = 1;
      ++i;
      continue;
    }
    if (c == '\r' && !lone_cr && (i + 1 >= text_.size() || text_[i + 1] != '\n')) lone_cr = {line, col};
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
        bad(c, "binary data: byte 0x%02x is not text");
      ++col;
      ++i;
      continue;
    }
    // Lead byte: sequence length and the range of the second byte (rejects overlong forms,
    // surrogates and code points past U+10FFFF).
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      bad(c, "invalid UTF-8: byte 0x%02x cannot start a character");
    }
    for (std::size_t k = 1; k < n; ++k) {
      if (i + k >= text_.size())
        bad(c, "invalid UTF-8: the text ends inside the character that byte 0x%02x starts");
      const auto b = static_cast<unsigned char>(text_[i + k]);
      const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xbf;
      if (b < l || b > h)
        bad(c, "invalid UTF-8: the character that byte 0x%02x starts is malformed");
    }
    i += n;
    ++col;
  }
  // After the byte checks, so binary data is called that rather than a line-ending problem.
  if (lone_cr) {
    fail(lone_cr->first, lone_cr->second,
         "a carriage return (CR) that does not end a line: lines end with LF or CR LF (old Mac "
         "files use CR alone; convert the file)");
  }
}

// --- Top level ----------------------------------------------------------------------------

Scenario Parser::parse() {
  check_text();
  sc_.path = *file_;
  sc_.loc = loc(1, 1);
  advance();
  while (true) {
    skip_newlines();
    if (at(Tok::kEof)) break;
    parse_top_line();
  }
  finish();
  sc_.has_personality_lines = saw_prefix_;
  return std::move(sc_);
}

void Parser::parse_top_line() {
  if (peek().kind == Tok::kLBracket) {
    parse_line_prefix();
    return parse_event_line();
  }
  const Token& t = peek();
  if (t.kind != Tok::kWord) {
    fail(t, "expected a header line, a declaration or a timed event, got " + describe(t));
  }
  const std::string& w = t.text;
  if (auto key = header_key(w)) return parse_header(*key);
  if (contains(kDeclKeywords, w)) return parse_declaration();
  if (w == "repeat") return parse_repeat(std::nullopt, {});
  if (w == "end")
    fail(t, "'end' without 'repeat' (to end the scenario at a time, write it: '5 end')");
  if (looks_like_time(w)) return parse_event_line();
  if (w.size() > 1 && w.back() == ':' && !hosts_.count(std::string_view(w).substr(0, w.size() - 1)) &&
      std::all_of(w.begin(), w.end() - 1, [](char c) {
        return is_alpha(c) || c == '-';
      })) {
    std::string keys;
    for (std::string_view k : kHeaderKeys) keys += (keys.empty() ? "" : ", ") + std::string(k);
    fail(t, "unknown header " + quote(w) + " (headers are " + keys + "; a call on a host needs a time first, like '0 " +
                w + " ...')");
  }
  if (w.find(':') != std::string::npos) {
    fail(t,
         "expected a time before " + quote(w) + " (every event starts with one, like 0 or +0.1)");
  }
  std::vector<std::string_view> words(std::begin(kDeclKeywords), std::end(kDeclKeywords));
  for (std::string_view k : kHeaderKeys) words.push_back(k.substr(0, k.size() - 1));
  words.push_back("repeat");
  const std::string hint = did_you_mean(w, words);
  if (!hint.empty()) fail(t, "unknown keyword " + quote(w) + hint);
  fail(t, "expected a header line, a declaration or a timed event, got " + quote(w));
}

void Parser::parse_header(std::string_view key) {
  const Token t = cur_;
  const std::string name(key.substr(0, key.size() - 1));
  if (seen_event_)
    fail(t, "header lines ('" + std::string(key) + "' ...) must come before the first event");
  // The text after the key, raw: comments are part of it.
  lex_.reset({t.offset + key.size(), t.line, t.col + static_cast<int>(key.size())});
  const std::string text = lex_.rest_of_line();
  advance();
  auto single = [&] {
    auto [it, inserted] = header_seen_.emplace(name, loc(t));
    if (!inserted) {
      fail(t, "'" + std::string(key) + "' is given twice (first at " +
                  std::to_string(it->second.line) + ":" + std::to_string(it->second.col) + ")");
    }
  };
  const int text_col = t.col + static_cast<int>(key.size()) + 1;
  if (name == "title") {
    single();
    if (text.empty()) fail(t, "'title:' needs the lesson's title");
    sc_.title = text;
  } else if (name == "about") {
    if (text.empty()) {
      about_new_paragraph_ = true;
    } else if (about_new_paragraph_ || sc_.about.empty()) {
      sc_.about.push_back(text);
      about_new_paragraph_ = false;
    } else {
      sc_.about.back() += " " + text;
    }
  } else if (name == "seed") {
    single();
    std::uint64_t v = 0;
    std::int64_t iv = 0;
    bool ok = false;
    if (starts_with(text, "0x") || starts_with(text, "0X")) {
      ok = parse_int(text, &iv) == NumErr::kOk && iv >= 0;
      v = static_cast<std::uint64_t>(iv);
    } else {
      ok = parse_fixed(text, 0, &v) == NumErr::kOk && text.find('.') == std::string::npos;
    }
    if (text.empty()) fail(t, "'seed:' needs a number (the seed of the scenario's random streams, like 'seed: 1')");
    if (!ok)
      fail(t.line, text_col,
           "bad seed " + quote(text) + " (a number from 0 to 18446744073709551615)");
    sc_.seed = v;
  } else if (name == "personality") {
    single();
    if (!stack::make_personality(text)) {
      std::string names;
      for (auto n : stack::personality_names())
        names += (names.empty() ? "" : ", ") + std::string(n);
      fail(t.line, text_col,
           "unknown personality " + quote(text) + " (personalities: " + names + ")");
    }
    sc_.personality = text;
  } else if (name == "tags") {
    std::istringstream in(text);
    std::string tag;
    while (in >> tag) {
      if (sc_.tags.size() == kMaxTags)
        fail(t, "too many tags (more than " + std::to_string(kMaxTags) + ")");
      sc_.tags.push_back(tag);
    }
  } else {  // expect-failure
    single();
    if (text.empty()) fail(t, "'expect-failure:' needs the text the failure message must contain");
    sc_.expect_failure = text;
  }
}

// A declaration line, parsed once per value of its group ranges.
void Parser::parse_declaration() {
  const Lexer::State start = cur_start_;
  lex_.begin_ranges(0);
  parse_declaration_body();
  const std::vector<RangeUse> ranges = lex_.ranges();
  lex_.end_ranges();
  if (ranges.empty()) return;
  const std::int64_t count = ranges[0].count;
  for (const RangeUse& r : ranges) {
    if (r.count != count) {
      fail(r.line, r.col,
           "the group ranges on one line must have the same length: " + ranges[0].text + " has " +
               std::to_string(count) + " values, " + r.text + " has " + std::to_string(r.count));
    }
  }
  // Re-reading the line once per value is bounded like repeat's re-reading.
  const std::size_t line_bytes = cur_.offset >= start.pos ? cur_.offset - start.pos + 1 : 1;
  if (static_cast<std::uint64_t>(count - 1) * line_bytes > limits_.max_repeat_text - repeat_text_) {
    fail(ranges[0].line, ranges[0].col,
         "group range " + ranges[0].text + " expands to too much text (more than " +
             format_bytes(limits_.max_repeat_text) + ")");
  }
  repeat_text_ += static_cast<std::size_t>(count - 1) * line_bytes;
  for (std::int64_t k = 1; k < count; ++k) {
    lex_.reset(start);
    lex_.begin_ranges(k);
    advance();
    parse_declaration_body();
    lex_.end_ranges();
  }
}

void Parser::parse_declaration_body() {
  const std::string w = peek().text;
  if (w == "host") return parse_host();
  if (w == "link") return parse_link();
  if (w == "segment") return parse_segment();
  if (w == "attach") return parse_attach();
  if (w == "route") return parse_route();
  if (w == "sysctl") return parse_sysctl();
  if (w == "filter") return parse_filter();
  if (w == "neighbours" || w == "neighbors") return parse_neighbours();
  return parse_packets();
}

void Parser::parse_neighbours() {
  const Token kw = take();
  NeighbourDecl d;
  d.loc = loc(kw);
  const Token mode = take_word("'static'");
  if (mode.text != "static") fail(mode, "expected 'static', got " + quote(mode.text));
  expect_eol();
  add_declaration(std::move(d));
}

void Parser::add_declaration(Declaration d) {
  if (sc_.declarations.size() >= limits_.max_declarations) {
    fail(cur_, "too many declarations (more than " + std::to_string(limits_.max_declarations) +
                   " after expanding groups)");
  }
  if (const auto* h = std::get_if<HostDecl>(&d); h && h->personality) host_personality_[h->name] = *h->personality;
  sc_.declarations.push_back(std::move(d));
}

void Parser::once(std::set<std::string>& seen, const Token& t, std::string_view what) {
  const std::string key = what.empty() ? t.text : std::string(what);
  if (!seen.insert(key).second) fail(t, "'" + key + "' is given twice");
}

// --- Names --------------------------------------------------------------------------------

std::string Parser::host_list() const {
  if (host_order_.empty()) return "no host is declared yet";
  std::string s = "hosts: ";
  constexpr std::size_t kShow = 8;
  for (std::size_t i = 0; i < host_order_.size() && i < kShow; ++i) {
    s += (i ? ", " : "") + host_order_[i];
  }
  if (host_order_.size() > kShow)
    s += ", and " + std::to_string(host_order_.size() - kShow) + " more";
  return s;
}

void Parser::require_host(std::string_view name, const Token& t, int col_offset) const {
  if (hosts_.count(name)) return;
  fail(t.line, t.col + col_offset, "unknown host " + quote(name) + " (" + host_list() + ")");
}

void Parser::require_link(const Token& t) const {
  if (links_.count(t.text)) return;
  std::vector<std::string_view> names;
  std::string list;
  for (const auto& [n, info] : links_) {
    names.push_back(n);
    if (names.size() <= 8) list += (names.size() > 1 ? ", " : "") + n;
  }
  if (names.size() > 8) list += ", ...";
  const std::string hint = did_you_mean(t.text, names);
  if (!hint.empty()) fail(t, "unknown link " + quote(t.text) + hint);
  fail(t, "unknown link " + quote(t.text) +
              (names.empty() ? std::string(" (no link or segment is declared yet)")
                             : " (links: " + list + ")"));
}

void Parser::new_host_name(const Token& t) {
  if (!valid_name(t.text)) {
    fail(t, "bad host name " + quote(t.text) +
                " (a letter or '_', then letters, digits, '_' or '-'; no dots)");
  }
  if (contains(kReserved, t.text)) fail(t, quote(t.text) + " is a keyword and cannot name a host");
  if (auto it = hosts_.find(t.text); it != hosts_.end()) {
    fail(t, "host " + quote(t.text) + " is already declared at " + std::to_string(it->second.line) +
                ":" + std::to_string(it->second.col));
  }
}

void Parser::new_link_name(const Token& t, const std::string& name) {
  if (!valid_name(name)) {
    fail(t,
         "bad link name " + quote(name) + " (a letter or '_', then letters, digits, '_' or '-')");
  }
  if (auto it = links_.find(name); it != links_.end()) {
    fail(t, "a link or segment named " + quote(name) + " is already declared at " +
                std::to_string(it->second.loc.line) + ":" + std::to_string(it->second.loc.col) +
                (it->second.segment ? "" : " (name this one: link NAME A B)"));
  }
}

void Parser::add_address(const IpPrefix& p, const std::string& host, const Token& t) {
  auto [it, inserted] = addr_owner_.emplace(p.addr, host);
  if (!inserted) {
    fail(t, "address " + p.addr.to_string() + " is already used by host " + quote(it->second));
  }
}

// "client", "client.worker" -> (host, thread); the host must exist.
std::pair<std::string, std::string> Parser::host_thread(const Token& t, std::string_view who) {
  const std::size_t dot = who.find('.');
  std::string host(who.substr(0, dot));
  std::string thread = dot == std::string_view::npos ? "main" : std::string(who.substr(dot + 1));
  if (host.empty()) fail(t, "expected a host name before " + quote(who));
  if (!valid_name(host) && !hosts_.count(host)) {
    fail(t, "bad host name " + quote(host));
  }
  require_host(host, t);
  if (!valid_name(thread)) {
    fail(t.line, t.col + static_cast<int>(dot) + 1,
         "bad thread name " + quote(thread) +
             " (a letter or '_', then letters, digits, '_' or '-')");
  }
  return {host, thread};
}

// --- Values -------------------------------------------------------------------------------

std::int64_t Parser::int_value(const Token& t, std::string_view what) {
  std::int64_t v = 0;
  switch (parse_int(t.text, &v)) {
    case NumErr::kOk:
      return v;
    case NumErr::kOverflow:
      fail(t, "number " + quote(t.text) + " is out of range");
    case NumErr::kBad:
    case NumErr::kPrecision:
      break;
  }
  fail(t, "expected " + std::string(what) + ", got " + quote(t.text));
}

std::uint64_t Parser::uint_value(const Token& t, std::uint64_t max, std::string_view what) {
  std::int64_t v = 0;
  const NumErr e = parse_int(t.text, &v);
  if (e == NumErr::kOk && v >= 0 && static_cast<std::uint64_t>(v) <= max)
    return static_cast<std::uint64_t>(v);
  if (e == NumErr::kBad) fail(t, "expected " + std::string(what) + ", got " + quote(t.text));
  fail(t, std::string(what) + " " + quote(t.text) + " is out of range (0 to " +
              std::to_string(max) + ")");
}

std::uint64_t Parser::uint_in_range(const Token& t, std::uint64_t min, std::uint64_t max, std::string_view what) {
  std::int64_t v = 0;
  const NumErr e = parse_int(t.text, &v);
  if (e == NumErr::kOk && v >= 0 && static_cast<std::uint64_t>(v) >= min && static_cast<std::uint64_t>(v) <= max)
    return static_cast<std::uint64_t>(v);
  if (e == NumErr::kBad) fail(t, "expected " + std::string(what) + ", got " + quote(t.text));
  fail(t, std::string(what) + " " + quote(t.text) + " is out of range (" + std::to_string(min) + " to " +
              std::to_string(max) + ")");
}

Duration Parser::duration_value(const Token& t, std::string_view what, bool bare_seconds,
                                std::string_view shown) {
  const std::string& s = t.text;
  const std::string_view as_written = shown.empty() ? std::string_view(s) : shown;
  std::size_t k = 0;
  while (k < s.size() && (is_digit(s[k]) || s[k] == '.')) ++k;
  const std::string_view num = std::string_view(s).substr(0, k),
                         unit = std::string_view(s).substr(k);
  int digits = 9;
  if (unit.empty()) {
    if (!bare_seconds && num != "0") {
      fail(t, std::string(what) + " needs a unit: " + std::string(num) + "ms, " + std::string(num) +
                  "s, ... (ns, us, ms, s)");
    }
  } else if (unit == "s") {
    digits = 9;
  } else if (unit == "ms") {
    digits = 6;
  } else if (unit == "us") {
    digits = 3;
  } else if (unit == "ns") {
    digits = 0;
  } else {
    if (!s.empty() && s[0] == '-') fail(t, std::string(what) + " cannot be negative");
    fail(t,
         "bad " + std::string(what) + " " + quote(as_written) + " (a number with a unit: ns, us, ms or s)");
  }
  std::uint64_t ns = 0;
  switch (parse_fixed(num, digits, &ns)) {
    case NumErr::kOk:
      if (ns > static_cast<std::uint64_t>(kMaxI64)) break;
      return Duration::nanos(static_cast<std::int64_t>(ns));
    case NumErr::kPrecision:
      fail(t, std::string(what) + " " + quote(as_written) + " is more precise than a nanosecond");
    case NumErr::kBad:
      fail(t, "bad " + std::string(what) + " " + quote(as_written) +
                  (bare_seconds ? " (seconds like 0.100, or a number with a unit: 100ms)"
                                : " (a number with a unit: 50ms, 1.5s)"));
    case NumErr::kOverflow:
      break;
  }
  fail(t, std::string(what) + " " + quote(as_written) + " is too large");
}

double Parser::percent_value(const Token& t, std::string_view what) {
  const std::string& s = t.text;
  if (s.empty() || s.back() != '%') {
    fail(t, std::string(what) + " takes a percentage, like 1% or 0.5%, got " + quote(s));
  }
  std::uint64_t v = 0;  // percent * 1e9
  const NumErr e = parse_fixed(std::string_view(s).substr(0, s.size() - 1), 9, &v);
  if (e == NumErr::kBad) fail(t, "bad percentage " + quote(s));
  if (e != NumErr::kOk || v > 100'000'000'000ull) {
    fail(t, std::string(what) + " must be between 0% and 100%, got " + quote(s));
  }
  return static_cast<double>(v) / 1e11;
}

std::uint64_t Parser::rate_value(const Token& t) {
  const std::string& s = t.text;
  std::size_t k = 0;
  while (k < s.size() && (is_digit(s[k]) || s[k] == '.')) ++k;
  const std::string_view num = std::string_view(s).substr(0, k),
                         unit = std::string_view(s).substr(k);
  int digits = -1;
  if (unit == "bit") digits = 0;
  if (unit == "kbit" || unit == "Kbit") digits = 3;
  if (unit == "mbit" || unit == "Mbit") digits = 6;
  if (unit == "gbit" || unit == "Gbit") digits = 9;
  if (digits < 0) fail(t, "bad rate " + quote(s) + " (bits per second: 500kbit, 10Mbit, 1Gbit)");
  std::uint64_t v = 0;
  switch (parse_fixed(num, digits, &v)) {
    case NumErr::kOk:
      return v;
    case NumErr::kPrecision:
      fail(t, "rate " + quote(s) + " is not a whole number of bits per second");
    case NumErr::kOverflow:
      fail(t, "rate " + quote(s) + " is too large");
    case NumErr::kBad:
      break;
  }
  fail(t, "bad rate " + quote(s) + " (bits per second: 500kbit, 10Mbit, 1Gbit)");
}

IpPrefix Parser::prefix_value(const Token& t, bool need_len) {
  const std::string& s = t.text;
  const std::size_t slash = s.find('/');
  if (slash == std::string::npos) {
    auto a = IpAddr::parse(s);
    if (!a) fail(t, "bad address " + quote(s));
    if (need_len) {
      fail(t, "address " + quote(s) + " needs a prefix length, like " + s +
                  (a->is_v4() ? "/24" : "/64"));
    }
    return IpPrefix{*a, static_cast<std::uint8_t>(a->is_v4() ? 32 : 128)};
  }
  auto p = IpPrefix::parse(s);
  if (!p) {
    if (!IpAddr::parse(std::string_view(s).substr(0, slash))) {
      fail(t, "bad address " + quote(std::string_view(s).substr(0, slash)));
    }
    fail(t, "bad prefix length in " + quote(s) + " (0 to 32 for IPv4, 0 to 128 for IPv6)");
  }
  return *p;
}

IpAddr Parser::ip_value(const Token& t, std::string_view what) {
  auto a = IpAddr::parse(t.text);
  if (!a) fail(t, "bad " + std::string(what) + " " + quote(t.text) + " (an IPv4 or IPv6 address)");
  return *a;
}

std::vector<std::uint8_t> Parser::hex_bytes(const Token& t, std::string_view s,
                                            std::string_view what) {
  std::vector<std::uint8_t> out;
  int half = -1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (half >= 0)
        fail(t.line, t.col + 1 + static_cast<int>(i),
             "odd number of hex digits in " + std::string(what));
      continue;
    }
    if (!is_hex(c)) {
      fail(t.line, t.col + (t.kind == Tok::kString ? 1 : 0) + static_cast<int>(i),
           "bad " + std::string(what) + ": '" + (c >= 0x20 && c < 0x7f ? std::string(1, c) : "?") +
               "' is not a hex digit");
    }
    if (half < 0) {
      half = hex_value(c);
    } else {
      out.push_back(static_cast<std::uint8_t>(half * 16 + hex_value(c)));
      half = -1;
    }
  }
  if (half >= 0) fail(t, "odd number of hex digits in " + std::string(what));
  return out;
}

// --- Declarations -------------------------------------------------------------------------

void Parser::parse_host() {
  const Token kw = take();
  const Token name = take_word("a host name");
  new_host_name(name);
  HostDecl h;
  h.name = name.text;
  h.loc = loc(kw);
  std::set<std::string> seen;
  while (!at_eol()) {
    if (!at(Tok::kWord)) {
      fail(cur_, "unexpected " + describe(cur_) +
                     " in a host declaration (expected ADDRESS/LEN, personality NAME, mtu N or "
                     "unprivileged)");
    }
    const Token w = take();
    if (w.text == "personality") {
      once(seen, w);
      const Token p = take_word("a personality name");
      if (!stack::make_personality(p.text)) {
        std::string names;
        for (auto n : stack::personality_names())
          names += (names.empty() ? "" : ", ") + std::string(n);
        fail(p, "unknown personality " + quote(p.text) + " (personalities: " + names + ")");
      }
      h.personality = p.text;
    } else if (w.text == "mtu") {
      once(seen, w);
      const Token m = take_word("an MTU");
      h.mtu = static_cast<int>(uint_in_range(m, 68, 65535, "MTU"));
    } else if (w.text == "unprivileged") {
      once(seen, w);
      h.unprivileged = true;
    } else if (w.text.find('/') != std::string::npos || IpAddr::parse(w.text)) {
      const IpPrefix p = prefix_value(w, true);
      add_address(p, h.name, w);
      h.addresses.push_back(p);
    } else {
      const std::string_view opts[] = {"personality", "mtu", "unprivileged"};
      fail(w, "unexpected " + quote(w.text) + " in a host declaration" +
                  did_you_mean(w.text, opts) +
                  (did_you_mean(w.text, opts).empty()
                       ? " (expected ADDRESS/LEN, personality NAME, mtu N or unprivileged)"
                       : ""));
    }
  }
  hosts_.emplace(h.name, h.loc);
  host_order_.push_back(h.name);
  add_declaration(std::move(h));
}

LinkOptions Parser::parse_link_options(bool required) {
  LinkOptions o;
  std::set<std::string> seen;
  if (required && at_eol()) {
    fail(cur_,
         "expected 'down', 'up' or link options (delay D, jitter D, rate R, loss P, duplicate P, "
         "reorder P, corrupt P, mtu N, queue N)");
  }
  while (!at_eol()) {
    if (!at(Tok::kWord)) fail(cur_, "expected a link option, got " + describe(cur_));
    const Token w = take();
    const std::string& k = w.text;
    if (k == "gap") fail(w, "'gap' goes right after 'reorder P' (reorder 1% gap 5ms)");
    if (!contains(kLinkOptions, k)) {
      const std::string hint = did_you_mean(k, kLinkOptions);
      fail(w, "unknown link option " + quote(k) +
                  (hint.empty() ? " (delay, jitter, rate, loss, duplicate, reorder, corrupt, mtu, queue)"
                                : hint));
    }
    once(seen, w);
    if (k == "delay") o.delay = duration_value(take_word("a delay, like 10ms"), "delay", false);
    if (k == "jitter") o.jitter = duration_value(take_word("a jitter, like 1ms"), "jitter", false);
    if (k == "rate") o.rate_bps = rate_value(take_word("a rate, like 10Mbit"));
    if (k == "loss") o.loss = percent_value(take_word("a percentage, like 1%"), "loss");
    if (k == "duplicate")
      o.duplicate = percent_value(take_word("a percentage, like 1%"), "duplicate");
    if (k == "corrupt") o.corrupt = percent_value(take_word("a percentage, like 1%"), "corrupt");
    if (k == "reorder") {
      o.reorder = percent_value(take_word("a percentage, like 1%"), "reorder");
      if (at_word("gap")) {
        take();
        o.reorder_gap = duration_value(take_word("a gap, like 5ms"), "gap", false);
      }
    }
    if (k == "mtu") {
      const Token m = take_word("an MTU");
      o.mtu = static_cast<int>(uint_in_range(m, 68, 65535, "MTU"));
    }
    if (k == "queue") {
      const Token q = take_word("a queue length in frames, like 3");
      o.queue = static_cast<int>(uint_in_range(q, 1, 1'000'000, "queue length"));
      if (!o.rate_bps && !required) fail(w, "'queue N' limits the frames waiting for a slow link: give the link a rate first (rate 64kbit queue 3)");
    }
  }
  return o;
}

void Parser::parse_link() {
  const Token kw = take();
  std::vector<Token> names;
  // 'gap' is an option word too (it goes after 'reorder P'). After A B, stopping at it lets
  // the options parser say so instead of reading it as host B ('gap' cannot name a host, but
  // it can name a link: link gap A B).
  while (at(Tok::kWord) && !contains(kLinkOptions, cur_.text) &&
         !(names.size() == 2 && cur_.text == "gap") && names.size() < 3)
    names.push_back(take());
  if (names.size() < 2) {
    fail(names.empty() ? cur_ : names.back(), "a link joins two hosts: link [NAME] A B [options]");
  }
  const Token& a = names[names.size() - 2];
  const Token& b = names[names.size() - 1];
  require_host(a.text, a);
  require_host(b.text, b);
  if (a.text == b.text) fail(b, "a link joins two different hosts");
  LinkDecl l;
  l.name = names.size() == 3 ? names[0].text : a.text + "-" + b.text;
  l.a = a.text;
  l.b = b.text;
  l.loc = loc(kw);
  new_link_name(names.size() == 3 ? names[0] : a, l.name);
  l.options = parse_link_options(false);
  links_.emplace(l.name, LinkInfo{false, l.loc});
  joined_.insert(l.a);
  joined_.insert(l.b);
  add_declaration(std::move(l));
}

void Parser::parse_segment() {
  const Token kw = take();
  const Token name = take_word("a segment name");
  new_link_name(name, name.text);
  SegmentDecl s;
  s.name = name.text;
  s.loc = loc(kw);
  s.options = parse_link_options(false);
  links_.emplace(s.name, LinkInfo{true, s.loc});
  add_declaration(std::move(s));
}

void Parser::parse_attach() {
  const Token kw = take();
  const Token host = take_word("a host name");
  require_host(host.text, host);
  const Token seg = take_word("a segment name");
  auto it = links_.find(seg.text);
  if (it == links_.end()) {
    std::vector<std::string_view> segments;
    std::string list;
    for (const auto& [n, info] : links_) {
      if (!info.segment) continue;
      segments.push_back(n);
      list += (list.empty() ? "" : ", ") + n;
    }
    const std::string hint = did_you_mean(seg.text, segments);
    fail(seg, "unknown segment " + quote(seg.text) +
                  (!hint.empty() ? hint
                   : list.empty() ? " (declare it first: segment " + seg.text + " [options])"
                                  : " (segments: " + list + ")"));
  }
  if (!it->second.segment) fail(seg, quote(seg.text) + " is a point-to-point link, not a segment");
  if (!attached_.emplace(host.text, seg.text).second) {
    fail(host, "host " + quote(host.text) + " is already attached to " + quote(seg.text));
  }
  AttachDecl a;
  a.host = host.text;
  a.segment = seg.text;
  a.loc = loc(kw);
  std::set<std::string> seen;
  while (!at_eol()) {
    const Token w = take_word("an address or 'mtu'");
    if (w.text == "mtu") {
      once(seen, w);
      const Token m = take_word("an MTU");
      a.mtu = static_cast<int>(uint_in_range(m, 68, 65535, "MTU"));
    } else {
      if (w.text.find('/') == std::string::npos && !IpAddr::parse(w.text)) {
        fail(w, "unexpected " + quote(w.text) + " in 'attach' (expected ADDRESS/LEN or mtu N)");
      }
      const IpPrefix p = prefix_value(w, true);
      add_address(p, a.host, w);
      a.addresses.push_back(p);
    }
  }
  joined_.insert(a.host);
  add_declaration(std::move(a));
}

void Parser::parse_route() {
  const Token kw = take();
  const Token host = take_word("a host name");
  require_host(host.text, host);
  RouteDecl r;
  r.host = host.text;
  r.loc = loc(kw);
  Token dest = take_word("a destination (PREFIX or default)");
  static constexpr std::pair<std::string_view, RouteDecl::Type> kTypes[] = {
      {"unreachable", RouteDecl::Type::kUnreachable},
      {"prohibit", RouteDecl::Type::kProhibit},
      {"blackhole", RouteDecl::Type::kBlackhole},
      {"throw", RouteDecl::Type::kThrow}};
  for (const auto& [n, type] : kTypes) {
    if (dest.text == n) {
      r.type = type;
      dest = take_word("a destination (PREFIX or default)");
    }
  }
  Token via_tok, src_tok;
  std::set<std::string> seen;
  while (!at_eol()) {
    const Token w = take_word("'via', 'dev', 'src' or 'metric'");
    once(seen, w);
    if (w.text == "metric") {
      r.metric =
          static_cast<std::uint32_t>(uint_value(take_word("a metric"), 0xffffffffu, "metric"));
      continue;
    }
    if (w.text != "via" && w.text != "dev" && w.text != "src") {
      const std::string_view opts[] = {"via", "dev", "src", "metric"};
      fail(w, "unexpected " + quote(w.text) + " in a route" + did_you_mean(w.text, opts) +
                  " (route HOST DEST [via GATEWAY] [dev IFNAME] [src ADDRESS] [metric N])");
    }
    if (r.type != RouteDecl::Type::kUnicast) {
      fail(w, "'" + w.text + "' only goes with ordinary routes, not with '" +
                  std::string(kTypes[static_cast<int>(r.type) - 1].first) + "'");
    }
    const Token v = take_word(w.text == "dev" ? "an interface name, like eth0" : "an address");
    if (w.text == "via") {
      r.via = ip_value(v, "gateway");
      via_tok = v;
    }
    if (w.text == "src") {
      r.src = ip_value(v, "source address");
      src_tok = v;
    }
    if (w.text == "dev") {
      if (!valid_name(v.text)) fail(v, "bad interface name " + quote(v.text));
      r.dev = v.text;
      r.dev_loc = loc(v);
    }
  }
  if (dest.text == "default") {
    r.dest_default = true;
    const bool v6 = (r.via && r.via->is_v6()) || (r.src && r.src->is_v6());
    r.dest = IpPrefix{v6 ? IpAddr::any(wire::IpFamily::kV6) : IpAddr(), 0};
  } else {
    r.dest = prefix_value(dest, false);
  }
  const auto family = r.dest.addr.family();
  if (r.via && r.via->family() != family)
    fail(via_tok, "the gateway and the destination are of different IP versions");
  if (r.src && r.src->family() != family)
    fail(src_tok, "the source address and the destination are of different IP versions");
  if (r.type == RouteDecl::Type::kUnicast && !r.via && !r.dev) {
    fail(dest, "a route needs 'via GATEWAY' or 'dev IFNAME'");
  }
  add_declaration(std::move(r));
}

void Parser::parse_sysctl() {
  const Token kw = take();
  const Token host = take_word("a host name or '*'");
  if (host.text != "*") require_host(host.text, host);
  const Token name = take_word("a sysctl name, like net.ipv4.tcp_syn_retries");
  if (!at(Tok::kEq)) fail(cur_, "expected '=' after the sysctl name, got " + describe(cur_));
  take();
  if (at_eol()) fail(cur_, "expected the sysctl's value after '='");
  const Token first = cur_;
  std::string value;
  while (!at_eol()) {
    if (!at(Tok::kWord) && !at(Tok::kString))
      fail(cur_, "unexpected " + describe(cur_) + " in the sysctl value");
    value += (value.empty() ? "" : " ") + take().text;
  }
  stack::Personality p = stack::linux_6_18();
  if (auto r = stack::set_sysctl(p, name.text, value); !r) {
    if (starts_with(r.error(), "unknown sysctl")) {
      const auto names = stack::sysctl_names();
      std::string base = name.text;
      if (starts_with(base, "/proc/sys/")) base = base.substr(10);
      std::replace(base.begin(), base.end(), '/', '.');
      fail(name, "unknown sysctl " + quote(name.text) + did_you_mean(base, names));
    }
    std::string why = r.error();
    // An integer too large for the table's parser reads as "expects an integer"; ask again with
    // the largest integer so the message gives the knob's range instead.
    const bool neg = starts_with(value, "-");
    const std::string_view digits = std::string_view(value).substr(neg ? 1 : 0);
    if (digits.size() > 18 &&
        digits.find_first_not_of("0123456789") == std::string_view::npos) {
      stack::Personality probe = stack::linux_6_18();
      const auto pr = stack::set_sysctl(probe, name.text,
                                        neg ? "-9223372036854775808" : "9223372036854775807");
      if (!pr && pr.error().find("out of range") != std::string::npos) why = pr.error();
    }
    fail(first, "bad value " + quote(value) + " for " + why);
  }
  SysctlDecl s;
  s.host = host.text;
  s.name = name.text;
  s.value = value;
  s.loc = loc(kw);
  add_declaration(std::move(s));
}

void Parser::parse_filter() {
  const Token kw = take();
  const Token host = take_word("a host name");
  require_host(host.text, host);
  FilterDecl f;
  f.host = host.text;
  f.loc = loc(kw);
  const std::size_t text_start = cur_.offset;
  const Token chain = take_word("a chain: input, output or forward");
  if (chain.text == "input") {
    f.chain = FilterDecl::Chain::kInput;
  } else if (chain.text == "output") {
    f.chain = FilterDecl::Chain::kOutput;
  } else if (chain.text == "forward") {
    f.chain = FilterDecl::Chain::kForward;
  } else {
    const std::string_view chains[] = {"input", "output", "forward"};
    fail(chain, "unknown chain " + quote(chain.text) + did_you_mean(chain.text, chains) +
                    " (input, output or forward)");
  }
  std::set<std::string> seen;
  bool verdict = false;
  while (!at_eol()) {
    if (verdict) expect_eol("after the verdict");
    const Token w = take_word("a match (tcp, src, dport, ...) or a verdict (drop, reject, accept)");
    const std::string& k = w.text;
    if (k == "tcp" || k == "udp" || k == "icmp" || k == "icmpv6") {
      once(seen, w, "protocol");
      f.protocol = k == "tcp"    ? FilterDecl::Protocol::kTcp
                   : k == "udp"  ? FilterDecl::Protocol::kUdp
                   : k == "icmp" ? FilterDecl::Protocol::kIcmp
                                 : FilterDecl::Protocol::kIcmpv6;
    } else if (k == "src" || k == "dst") {
      once(seen, w);
      const IpPrefix p = prefix_value(take_word("an address or prefix"), false);
      (k == "src" ? f.src : f.dst) = p;
    } else if (k == "sport" || k == "dport") {
      once(seen, w);
      if (f.protocol != FilterDecl::Protocol::kTcp && f.protocol != FilterDecl::Protocol::kUdp) {
        fail(w, "'" + k + "' needs 'tcp' or 'udp' before it");
      }
      const auto port = static_cast<std::uint16_t>(uint_value(take_word("a port"), 65535, "port"));
      (k == "sport" ? f.sport : f.dport) = port;
    } else if (k == "flags") {
      once(seen, w);
      if (f.protocol != FilterDecl::Protocol::kTcp) fail(w, "'flags' needs 'tcp' before it");
      const Token ft = take_word("TCP flags, like S or S/SA");
      const std::size_t slash = ft.text.find('/');
      Token value = ft, mask = ft;
      value.text = ft.text.substr(0, slash);
      const TcpFlags fv = parse_flags(value);
      if (fv.ae) fail(ft, "'flags' matches the 8 flag bits; 'A' (AE) is not one of them");
      f.tcp_flags_value = fv.bits;
      f.tcp_flags_mask = 0xff;
      if (slash != std::string::npos) {
        mask.text = ft.text.substr(slash + 1);
        mask.col += static_cast<int>(slash) + 1;
        f.tcp_flags_mask = parse_flags(mask).bits;
        if ((*f.tcp_flags_value & ~f.tcp_flags_mask) != 0) {
          fail(ft,
               "the flags " + quote(value.text) + " are not all in the mask " + quote(mask.text));
        }
      }
    } else if (k == "drop" || k == "accept") {
      verdict = true;
      f.verdict = k == "drop" ? FilterDecl::Verdict::kDrop : FilterDecl::Verdict::kAccept;
    } else if (k == "reject") {
      verdict = true;
      f.verdict = FilterDecl::Verdict::kReject;
      if (at_word("with")) {
        take();
        const Token how = take_word("tcp-reset, icmp TYPE [CODE] or icmpv6 TYPE [CODE]");
        if (how.text == "tcp-reset") {
          if (f.protocol != FilterDecl::Protocol::kTcp)
            fail(how, "'with tcp-reset' needs 'tcp' in the rule");
          f.reject_with = FilterDecl::RejectWith::kTcpReset;
        } else if (how.text == "icmp" || how.text == "icmpv6") {
          const IcmpPattern ic = parse_icmp(how.text == "icmpv6", PacketMode::kInject);
          f.reject_with = ic.v6 ? FilterDecl::RejectWith::kIcmpv6 : FilterDecl::RejectWith::kIcmp;
          f.icmp_type = ic.type;
          f.icmp_code = ic.code;
        } else {
          fail(how, "expected tcp-reset, icmp TYPE [CODE] or icmpv6 TYPE [CODE], got " +
                        quote(how.text));
        }
      }
    } else {
      const std::string_view words[] = {"tcp",   "udp",   "icmp",  "icmpv6", "src",    "dst",
                                        "sport", "dport", "flags", "drop",   "reject", "accept"};
      fail(w, "unexpected " + quote(k) + " in a filter rule" + did_you_mean(k, words));
    }
  }
  if (!verdict) fail(cur_, "a filter rule ends with a verdict: drop, reject or accept");
  f.text = std::string(text_.substr(text_start, last_end_ - text_start));
  add_declaration(std::move(f));
}

void Parser::parse_packets() {
  const Token kw = take();
  PacketPolicyDecl p;
  p.loc = loc(kw);
  const Token mode = take_word("'strict' or 'ignore'");
  if (mode.text == "strict") {
    p.mode = PacketPolicyDecl::Mode::kStrict;
    expect_eol();
    add_declaration(std::move(p));
    return;
  }
  if (mode.text != "ignore") fail(mode, "expected 'strict' or 'ignore', got " + quote(mode.text));
  p.mode = PacketPolicyDecl::Mode::kIgnore;
  auto hosts = [&](std::vector<std::string>* out) {
    while (true) {
      const Token h = take_word("a host name or '*'");
      if (h.text != "*") require_host(h.text, h);
      out->push_back(h.text);
      if (!at(Tok::kComma)) break;
      take();
    }
  };
  hosts(&p.from);
  if (!at(Tok::kGreater))
    fail(cur_, "expected '>' (packets ignore FROM > TO [kind]), got " + describe(cur_));
  take();
  hosts(&p.to);
  if (!at_eol()) {
    const Token k = take_word("a packet kind: arp, ndp, tcp, udp, icmp or icmpv6");
    static constexpr std::pair<std::string_view, PacketPolicyDecl::Kind> kKinds[] = {
        {"arp", PacketPolicyDecl::Kind::kArp},   {"ndp", PacketPolicyDecl::Kind::kNdp},
        {"tcp", PacketPolicyDecl::Kind::kTcp},   {"udp", PacketPolicyDecl::Kind::kUdp},
        {"icmp", PacketPolicyDecl::Kind::kIcmp}, {"icmpv6", PacketPolicyDecl::Kind::kIcmpv6}};
    bool found = false;
    for (const auto& [n, kind] : kKinds) {
      if (k.text == n) {
        p.kind = kind;
        found = true;
      }
    }
    if (!found)
      fail(k, "unknown packet kind " + quote(k.text) + " (arp, ndp, tcp, udp, icmp or icmpv6)");
  }
  expect_eol();
  add_declaration(std::move(p));
}

// --- Events -------------------------------------------------------------------------------

// TIME, TIME...END, A~B, *: the first word and any words glued to it by '~' or '...'.
TimeSpec Parser::parse_time(const Token& first, std::string* start_text) {
  std::string text = first.text;
  // Where each glued word starts in `text`, to point at a piece of it.
  std::vector<std::pair<std::size_t, Token>> pieces{{0, first}};
  while (at(Tok::kWord)) {
    const std::string& n = cur_.text;
    const bool glue = ends_with(text, "~") || ends_with(text, "...") || starts_with(n, "~") ||
                      starts_with(n, "...");
    if (!glue) break;
    const std::size_t at_pos = text.size();
    pieces.emplace_back(at_pos, cur_);
    text += take().text;
  }
  auto token_at = [&](std::size_t pos) {
    std::size_t i = pieces.size() - 1;
    while (i > 0 && pieces[i].first > pos) --i;
    Token t = pieces[i].second;
    t.col += static_cast<int>(pos - pieces[i].first);
    return t;
  };
  TimeSpec ts;
  ts.loc = loc(first);
  std::string_view start = text, end;
  const std::size_t dots = text.find("...");
  if (dots != std::string::npos) {
    start = std::string_view(text).substr(0, dots);
    end = std::string_view(text).substr(dots + 3);
    if (end.empty())
      fail(first, "expected the time the call returns after '...' (like +0...0.200)");
    if (const std::size_t again = text.find("...", dots + 3); again != std::string::npos)
      fail(token_at(again), "a time has at most one '...' (START...END, like +0...0.200)");
  }
  *start_text = std::string(start);
  auto one = [&](std::string_view s, bool* relative, const Token& where) {
    const std::string_view as_written = s;
    *relative = !s.empty() && s[0] == '+';
    if (*relative) s.remove_prefix(1);
    if ((!s.empty() && s[0] == '-') || (!*relative && starts_with(text, "-"))) {
      fail(first, "times cannot be negative: " + quote(text));
    }
    if (s.empty() || !(is_digit(s[0]) || s[0] == '.')) {
      fail(first,
           "bad time " + quote(text) + " (seconds like 0.100 or +0.05, or a duration like 100ms)");
    }
    Token t = where;
    t.text = std::string(s);
    return duration_value(t, "time", true, as_written);
  };
  if (start == "*") {
    ts.kind = TimeSpec::Kind::kAny;
  } else if (const std::size_t tilde = start.find('~'); tilde != std::string_view::npos) {
    bool ra = false, rb = false;
    ts.kind = TimeSpec::Kind::kRange;
    ts.value = one(start.substr(0, tilde), &ra, first);
    ts.range_end = one(start.substr(tilde + 1), &rb, first);
    if (ra != rb) {
      fail(first, "both ends of a time window must be absolute or both relative: " + quote(start) +
                      " (like 0.1~0.2 or +0~+0.04)");
    }
    ts.range_relative = ra;
  } else {
    bool rel = false;
    ts.value = one(start, &rel, first);
    ts.kind = rel ? TimeSpec::Kind::kRelative : TimeSpec::Kind::kAbsolute;
  }
  if (dots != std::string::npos) {
    if (ts.kind == TimeSpec::Kind::kAny || ts.kind == TimeSpec::Kind::kRange) {
      fail(first, "a blocking call starts at an exact time, not " + quote(start));
    }
    bool rel = false;
    const Duration d = one(end, &rel, token_at(dots + 3));
    ts.end = TimeSpec::BlockingEnd{d, rel};
  }
  return ts;
}

Time Parser::add_time(Time base, Duration d, const SourceLoc& where) const {
  if (d.ns() > 0 && base.ns() > kMaxI64 - d.ns()) fail(where, "time is too large");
  return base + d;
}

// What a time prefix may be for this kind of event, whatever came before it (checked on lines
// for another personality too).
void Parser::check_time_form(const Event& ev, TimeClass cls, const std::string& time_text) const {
  const TimeSpec& t = ev.time;
  if (t.end && cls != TimeClass::kCall) {
    fail(t.loc, "'TIME...END' (a blocking call) is only for socket calls");
  }
  if ((t.kind == TimeSpec::Kind::kAny || t.kind == TimeSpec::Kind::kRange) &&
      cls != TimeClass::kPacket) {
    fail(t.loc,
         "'*' and windows 'A~B' are only for expected packets; this event needs an exact time");
  }
  const bool absolute = t.kind == TimeSpec::Kind::kAbsolute ||
                        (t.kind == TimeSpec::Kind::kRange && !t.range_relative);
  if (absolute && repeat_depth_ > 0) {
    fail(t.loc, "absolute time " + quote(time_text) +
                    " inside 'repeat': use a relative time like +0 or +10ms");
  }
}

void Parser::resolve_time(Event& ev, TimeClass cls, const std::string& time_text) {
  check_time_form(ev, cls, time_text);
  const TimeSpec& t = ev.time;
  auto not_before = [&](Time at) {
    if (have_event_ && at < base_) {
      fail(t.loc, "time " + time_text + " is before the previous event at " + format_time(base_) +
                      " (times must not go backwards)");
    }
  };
  Time at, latest;
  switch (t.kind) {
    case TimeSpec::Kind::kAbsolute:
      at = latest = Time::zero() + t.value;
      not_before(at);
      break;
    case TimeSpec::Kind::kRelative:
      at = latest = add_time(base_, t.value, t.loc);
      break;
    case TimeSpec::Kind::kAny:
      at = base_;
      latest = Time::max();
      break;
    case TimeSpec::Kind::kRange:
      at = t.range_relative ? add_time(base_, t.value, t.loc) : Time::zero() + t.value;
      latest = t.range_relative ? add_time(base_, t.range_end, t.loc) : Time::zero() + t.range_end;
      if (!t.range_relative) not_before(at);
      if (latest < at)
        fail(t.loc, "the time window " + quote(time_text) + " ends before it starts");
      break;
  }
  if (t.end) {
    const Time r =
        t.end->relative ? add_time(at, t.end->value, t.loc) : Time::zero() + t.end->value;
    if (r < at) {
      fail(t.loc,
           "the call returns at " + format_time(r) + ", before it starts at " + format_time(at));
    }
    std::get<Syscall>(ev.body).returns_at = r;
  }
  if (!have_event_ && at != Time::zero()) {
    fail(t.loc, "the first event must be at time 0 (this one is at " + format_time(at) + ")");
  }
  ev.at = at;
  ev.latest = latest;
  have_event_ = true;
  base_ = at;
}

void Parser::append_event(Event ev) {
  if (sc_.events.size() >= limits_.max_events) {
    fail(ev.loc, "too many events (more than " + std::to_string(limits_.max_events) +
                     (repeat_depth_ > 0 ? " after expanding 'repeat')" : ")"));
  }
  sc_.events.push_back(std::move(ev));
}

void Parser::parse_event_line() {
  const std::optional<LinePrefix> prefix = std::exchange(prefix_, std::nullopt);
  auto after_end = [&](const Token& at_tok) {
    fail(at_tok, "no events may follow 'end' (at " + std::to_string(end_loc_->line) + ":" +
                     std::to_string(end_loc_->col) + ")");
  };
  // A prefixed line after `end` is only an error when it applies (see below).
  if (end_loc_ && !prefix) after_end(cur_);
  seen_event_ = true;
  expr_nodes_ = 0;
  const Token tt = take();
  std::string time_text;
  TimeSpec ts = parse_time(tt, &time_text);
  if (at_word("repeat")) {
    if (prefix) {
      fail(prefix->open,
           "a personality prefix is for one event line, not a 'repeat' (prefix the lines in its body)");
    }
    return parse_repeat(ts, time_text);
  }
  if (!at(Tok::kWord)) fail(cur_, "expected an event after the time, got " + describe(cur_));
  Event ev;
  ev.time = std::move(ts);
  ev.loc = loc(tt);
  ev.repeat = bindings_;
  const std::string kw = cur_.text;
  TimeClass cls = TimeClass::kOther;
  if (kw == "link") {
    parse_link_event(ev);
  } else if (kw == "partition") {
    parse_partition(ev);
  } else if (kw == "heal") {
    ev.body = Heal{loc(take())};
  } else if (kw == "drop") {
    parse_drop(ev);
  } else if (kw == "signal") {
    parse_signal(ev);
  } else if (kw == "inject") {
    parse_inject(ev);
  } else if (kw == "expect") {
    parse_expect(ev);
  } else if (kw == "note") {
    const Token n = take();
    Note note;
    note.loc = loc(n);
    note.text = raw_rest();
    if (note.text.empty()) fail(n, "'note' needs text");
    ev.body = std::move(note);
  } else if (kw == "end") {
    const Token e = take();
    if (repeat_depth_ > 0) {
      fail(e,
           "the scenario's 'end' cannot be inside 'repeat' (the line that closes a repeat is "
           "'end' without a time)");
    }
    ev.body = End{loc(e)};
  } else {
    const Token w = take();
    const std::size_t colon = w.text.find(':');
    if (colon != std::string::npos && (colon + 1 == w.text.size() || at(Tok::kLParen))) {
      cls = TimeClass::kCall;
      ev.body = Syscall{};
      parse_syscall(ev, w);
    } else {
      cls = TimeClass::kPacket;
      ExpectPacket e;
      e.loc = loc(w);
      e.packet = parse_endpoints(w, PacketMode::kExpect);
      parse_packet_body(e.packet, PacketMode::kExpect);
      ev.body = std::move(e);
    }
  }
  expect_eol();
  if (prefix) {
    ev.personalities = prefix->names;
    const std::string who = line_personality(ev);
    const bool applies = std::any_of(prefix->names.begin(), prefix->names.end(),
                                     [&](const std::string& n) { return personality_matches(n, who); });
    if (!applies) {
      // Checked as written, then left out: its time does not count as "the previous event".
      check_time_form(ev, cls, time_text);
      return;
    }
    if (end_loc_) after_end(tt);
  }
  if (const auto* e = std::get_if<End>(&ev.body)) end_loc_ = e->loc;
  resolve_time(ev, cls, time_text);
  append_event(std::move(ev));
}

// `[NAME, ...]` before an event's time: the line is for those personalities only.
void Parser::parse_line_prefix() {
  const Token open = take();
  LinePrefix p;
  p.open = open;
  const auto known = stack::personality_names();
  while (true) {
    const Token n = take_word("a personality name, like [bsd] or [linux]");
    if (std::find(known.begin(), known.end(), n.text) == known.end()) {
      std::string names;
      for (auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      fail(n, "unknown personality " + quote(n.text) + " in a line prefix" + did_you_mean(n.text, known) +
                  " (personalities: " + names + ")");
    }
    if (std::find(p.names.begin(), p.names.end(), n.text) != p.names.end())
      fail(n, "personality " + quote(n.text) + " is named twice in the prefix");
    p.names.push_back(n.text);
    if (!at(Tok::kComma)) break;
    take();
  }
  take_close(Tok::kRBracket, open);
  if (!at(Tok::kWord) || !looks_like_time(cur_.text) || header_key(cur_.text) ||
      contains(kDeclKeywords, cur_.text)) {
    fail(cur_, "expected a timed event after the personality prefix (like '[bsd] +0 client: "
               "connect(3, server:80) = -1 EALREADY'), got " +
                   describe(cur_));
  }
  saw_prefix_ = true;
  prefix_ = std::move(p);
}

// The personality a line is about: its host's (a call's, an expectation's, a packet's sender),
// or the scenario's for lines about no host; the forced one overrides both.
std::string Parser::line_personality(const Event& ev) const {
  if (forced_) return *forced_;
  std::string host;
  if (const auto* c = std::get_if<Syscall>(&ev.body)) {
    host = c->host;
  } else if (const auto* e = std::get_if<ExpectPacket>(&ev.body)) {
    host = e->packet.src.host;
  } else if (const auto* i = std::get_if<Inject>(&ev.body)) {
    host = i->packet.src.host;
  } else if (const auto* x = std::get_if<Expect>(&ev.body)) {
    host = x->host;
  } else if (const auto* g = std::get_if<Signal>(&ev.body)) {
    host = g->host;
  } else if (const auto* d = std::get_if<DropNext>(&ev.body)) {
    host = d->pattern.src.host;
  }
  if (auto it = host_personality_.find(host); !host.empty() && it != host_personality_.end()) return it->second;
  return sc_.personality.value_or("linux");
}

void Parser::parse_repeat(const std::optional<TimeSpec>& time, const std::string& time_text) {
  const Token kw = take();
  if (end_loc_) fail(kw, "no events may follow 'end'");
  if (repeat_depth_ >= limits_.max_repeat_nesting) {
    fail(kw, "'repeat' nested too deeply (more than " + std::to_string(limits_.max_repeat_nesting) +
                 " levels)");
  }
  seen_event_ = true;
  const Token var = take_word("a loop variable, like I (repeat I = 1..5)");
  if (!valid_ident(var.text))
    fail(var, "bad loop variable " + quote(var.text) + " (letters, digits and '_')");
  for (const RepeatBinding& b : bindings_) {
    if (b.name == var.text) {
      fail(var, "loop variable " + quote(var.text) +
                    " is already used by the enclosing repeat at " + std::to_string(b.loc.line) +
                    ":" + std::to_string(b.loc.col));
    }
  }
  if (!at(Tok::kEq))
    fail(cur_, "expected '=' after the loop variable (repeat I = 1..5), got " + describe(cur_));
  take();
  const Token range = take_word("a range, like 1..5");
  const std::size_t dots = range.text.find("..");
  std::int64_t a = 0, b = 0;
  if (dots != std::string::npos) {
    // A well-formed range with a number too large: say so, at that number.
    const std::string_view ends[] = {std::string_view(range.text).substr(0, dots),
                                     std::string_view(range.text).substr(dots + 2)};
    for (std::size_t i = 0; i < 2; ++i) {
      std::int64_t v = 0;
      const std::string_view d = ends[i].substr(starts_with(ends[i], "-") ? 1 : 0);
      if (d.find_first_not_of("0123456789") == std::string_view::npos &&
          parse_int(ends[i], &v) == NumErr::kOverflow) {
        Token at_num = range;
        if (i == 1) at_num.col += static_cast<int>(dots) + 2;
        fail(at_num, "number " + quote(ends[i]) + " is out of range");
      }
    }
  }
  if (dots == std::string::npos || parse_int(range.text.substr(0, dots), &a) != NumErr::kOk ||
      parse_int(range.text.substr(dots + 2), &b) != NumErr::kOk) {
    fail(range, "bad range " + quote(range.text) + " (like 1..5)");
  }
  Duration every;
  if (at_word("every")) {
    take();
    every = duration_value(take_word("an interval, like 1ms"), "interval", false);
  }
  expect_eol("after the repeat line (repeat I = A..B [every D])");
  // Iterations: |b - a| + 1, computed without overflow.
  const std::uint64_t span = b >= a ? static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a)
                                    : static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b);
  if (span >= limits_.max_events) {
    fail(range, "'repeat' over " + quote(range.text) + " would make more than " +
                    std::to_string(limits_.max_events) + " events");
  }
  const auto count = static_cast<std::int64_t>(span) + 1;
  Time start = base_;
  if (time) {
    Event probe;
    probe.time = *time;
    probe.body = Note{};
    const bool had = have_event_;
    resolve_time(probe, TimeClass::kOther, time_text);
    start = probe.at;
    have_event_ = had;  // the repeat line is not an event: its first body event is checked
  }
  if (at(Tok::kEof)) fail(kw, "'repeat' has no matching 'end'");
  take();  // the newline
  const Lexer::State body = cur_start_;
  const std::size_t first_event = sc_.events.size();
  std::size_t body_bytes = 0;
  ++repeat_depth_;
  for (std::int64_t k = 0; k < count; ++k) {
    const std::int64_t value = b >= a ? a + k : a - k;
    std::int64_t off = 0;
    if (__builtin_mul_overflow(every.ns(), k, &off))
      fail(kw, "the repeat runs past the end of time");
    base_ = add_time(start, Duration::nanos(off), loc(kw));
    bindings_.push_back(RepeatBinding{var.text, value, loc(kw)});
    lex_.bind(var.text, value);
    lex_.reset(body);
    advance();
    if (k > 0) {
      repeat_text_ += body_bytes + kIterationCost;
      if (repeat_text_ > limits_.max_repeat_text) {
        fail(kw, "'repeat' expands to too much text (more than " +
                     format_bytes(limits_.max_repeat_text) + " re-read)");
      }
    }
    parse_repeat_body(kw);
    if (k == 0) body_bytes = cur_start_.pos - body.pos;
    lex_.unbind();
    bindings_.pop_back();
  }
  --repeat_depth_;
  std::stable_sort(sc_.events.begin() + static_cast<std::ptrdiff_t>(first_event), sc_.events.end(),
                   [](const Event& x, const Event& y) { return x.at < y.at; });
  // The next relative time counts from this repeat's latest event (the last once sorted).
  base_ = sc_.events.size() > first_event ? std::max(start, sc_.events.back().at) : start;
}

void Parser::parse_repeat_body(const Token& kw) {
  while (true) {
    skip_newlines();
    if (at(Tok::kEof)) {
      bindings_.clear();  // the iteration does not matter here
      fail(kw, "'repeat' has no matching 'end'");
    }
    if (peek().kind == Tok::kLBracket) {
      parse_line_prefix();
      parse_event_line();
      continue;
    }
    const Token& t = peek();
    if (t.kind != Tok::kWord)
      fail(t, "expected a timed event or 'end' in the repeat body, got " + describe(t));
    if (t.text == "end") {
      take();
      expect_eol("after 'end'");
      return;
    }
    if (t.text == "repeat") {
      parse_repeat(std::nullopt, {});
      continue;
    }
    if (header_key(t.text) || contains(kDeclKeywords, t.text)) {
      fail(t,
           "declarations and header lines are not allowed inside 'repeat' (declare groups with "
           "ranges instead: host client{1..5} 10.0.0.{11..15}/24)");
    }
    if (!looks_like_time(t.text)) {
      fail(t, "expected a timed event or 'end' in the repeat body, got " + quote(t.text));
    }
    parse_event_line();
  }
}

void Parser::parse_syscall(Event& ev, const Token& who_tok) {
  Syscall& s = std::get<Syscall>(ev.body);
  s.loc = loc(who_tok);
  const std::size_t colon = who_tok.text.find(':');
  const std::string who = who_tok.text.substr(0, colon);
  std::tie(s.host, s.thread) = host_thread(who_tok, who);
  Token name;
  if (colon + 1 < who_tok.text.size()) {
    name = who_tok;
    name.text = who_tok.text.substr(colon + 1);
    name.col += static_cast<int>(colon) + 1;
  } else {
    name = take_word("a call, like connect(...)");
  }
  auto info = find_call(name.text);
  if (!info) {
    std::vector<std::string_view> names;
    for (const CallInfo& c : call_table()) names.push_back(c.name);
    fail(name, "unknown call " + quote(name.text) + did_you_mean(name.text, names));
  }
  s.name = name.text;
  if (!at(Tok::kLParen))
    fail(cur_, "expected '(' after " + quote(name.text) + ", got " + describe(cur_));
  const Token open = take();
  // Arguments past the most the call takes are parsed (for their errors) but not kept, so a
  // line with a million arguments costs no memory.
  int n = 0;
  if (!at(Tok::kRParen)) {
    while (true) {
      Expr arg = parse_expr(1);
      if (n++ < info->max_args) s.args.push_back(std::move(arg));
      if (!at(Tok::kComma)) break;
      take();
    }
  }
  take_close(Tok::kRParen, open);
  if (n < info->min_args || n > info->max_args) {
    std::string takes;
    if (info->min_args == info->max_args) {
      takes = info->max_args == 0 ? "no arguments"
                                  : std::to_string(info->max_args) +
                                        (info->max_args == 1 ? " argument" : " arguments");
    } else {
      takes =
          std::to_string(info->min_args) + " to " + std::to_string(info->max_args) + " arguments";
    }
    fail(name, "'" + s.name + "' takes " + takes + ", got " + std::to_string(n) + ": " +
                   std::string(info->usage));
  }
  if (!at(Tok::kEq)) {
    fail(cur_, "expected '= RESULT' after the call (write '= *' to accept any result), got " +
                   describe(cur_));
  }
  take();
  if (at_eol()) fail(cur_, "expected the call's result after '='");
  s.result = parse_expr(1);
  if (at(Tok::kWord)) {
    const Token e = take();
    auto sym = find_symbol(e.text);
    if (!sym || sym->kind != SymbolKind::kErrno) {
      std::vector<std::string_view> names;
      for (std::string_view n2 : symbol_names()) {
        if (auto f = find_symbol(n2); f && f->kind == SymbolKind::kErrno) names.push_back(n2);
      }
      fail(e, "unknown errno " + quote(e.text) + did_you_mean(e.text, names));
    }
    const auto* iv = std::get_if<IntExpr>(&s.result.v);
    // libowfat's socket_connected() reports failure as 0 with errno set, so its calls may
    // pair an errno with another result.
    const bool libowfat = s.name.rfind("socket_", 0) == 0;
    if (!libowfat && (!iv || iv->value != -1)) fail(e, "an errno is only checked with the result -1");
    s.errno_name = std::string(stack::name(*stack::errno_from_name(e.text)));
  }
  if (at(Tok::kLParen)) {
    const Token open2 = cur_;
    lex_.give_back(cur_start_, cur_);
    lex_.seek({open2.offset, open2.line, open2.col});
    auto [ok, text] = lex_.paren_text();
    if (!ok) {
      const Lexer::State here = lex_.state();
      fail(here.line, here.col,
           "expected ')' to close '(' at " + std::to_string(open2.line) + ":" +
               std::to_string(open2.col));
    }
    s.errno_text = text;
    advance();
  }
}

void Parser::parse_link_event(Event& ev) {
  take();  // link
  const Token name = take_word("a link name");
  require_link(name);
  if (at_word("down") || at_word("up")) {
    const Token d = take();
    ev.body = LinkUpDown{name.text, d.text == "up", loc(name)};
    return;
  }
  LinkChange c;
  c.link = name.text;
  c.loc = loc(name);
  c.options = parse_link_options(true);
  ev.body = std::move(c);
}

void Parser::parse_partition(Event& ev) {
  const Token kw = take();
  Partition p;
  p.loc = loc(kw);
  std::set<std::string> seen;
  p.groups.emplace_back();
  while (!at_eol()) {
    if (at(Tok::kPipe)) {
      const Token bar = take();
      if (p.groups.back().empty()) fail(bar, "empty group in 'partition'");
      p.groups.emplace_back();
      continue;
    }
    const Token h = take_word("a host name");
    require_host(h.text, h);
    if (!seen.insert(h.text).second)
      fail(h, "host " + quote(h.text) + " is listed twice in 'partition'");
    p.groups.back().push_back(h.text);
  }
  if (p.groups.back().empty()) {
    fail(cur_, p.groups.size() == 1
                   ? "'partition' needs the hosts to cut off: partition A B [| C D]"
                   : "empty group in 'partition'");
  }
  ev.body = std::move(p);
}

void Parser::parse_drop(Event& ev) {
  const Token kw = take();
  if (!at_word("next"))
    fail(cur_, "expected 'next' (drop next N SRC > DST [PACKET] [on LINK]), got " + describe(cur_));
  take();
  DropNext d;
  d.loc = loc(kw);
  const Token n = take_word("how many packets to drop");
  if (std::int64_t v = -1; parse_int(n.text, &v) == NumErr::kOk && v == 0)
    fail(n, "'drop next' needs a count of at least 1");
  d.count = static_cast<std::int64_t>(uint_in_range(n, 1, 1'000'000'000, "count"));
  const Token src = take_word("the packets' source (a host, an address or *)");
  d.pattern = parse_endpoints(src, PacketMode::kDrop);
  parse_packet_body(d.pattern, PacketMode::kDrop);
  if (at_word("on")) {
    take();
    const Token l = take_word("a link name");
    require_link(l);
    d.link = l.text;
  }
  ev.body = std::move(d);
}

void Parser::parse_signal(Event& ev) {
  const Token kw = take();
  Signal s;
  s.loc = loc(kw);
  const Token who = take_word("HOST or HOST.THREAD");
  std::tie(s.host, s.thread) = host_thread(who, who.text);
  const Token sig = take_word("a signal, like SIGALRM");
  auto sym = find_symbol(sig.text);
  if (!sym || sym->kind != SymbolKind::kSignal) {
    std::vector<std::string_view> names;
    for (const Symbol& x : symbol_table()) {
      if (x.kind == SymbolKind::kSignal) names.push_back(x.name);
    }
    fail(sig, "unknown signal " + quote(sig.text) + did_you_mean(sig.text, names));
  }
  s.name = sig.text;
  s.number = static_cast<int>(sym->value);
  if (at_word("restart")) {
    take();
    s.restart = true;
  }
  ev.body = std::move(s);
}

void Parser::parse_inject(Event& ev) {
  const Token kw = take();
  Inject in;
  in.loc = loc(kw);
  const Token src = take_word("the source host");
  in.packet = parse_endpoints(src, PacketMode::kInject);
  if (at_word("raw")) {
    take();
    if (!at(Tok::kString))
      fail(cur_, "expected the packet's bytes as a hex string: raw \"45 00 00 28 ...\"");
    const Token hs = take();
    auto bytes = hex_bytes(hs, hs.text, "packet bytes");
    if (bytes.empty()) fail(hs, "the raw packet is empty");
    if (bytes.size() > 65535) fail(hs, "the raw packet is longer than 65535 bytes");
    in.raw = std::move(bytes);
  } else {
    parse_packet_body(in.packet, PacketMode::kInject);
  }
  ev.body = std::move(in);
}

void Parser::parse_expect(Event& ev) {
  const Token kw = take();
  Expect x;
  x.loc = loc(kw);
  const Token h = take_word("a host name");
  require_host(h.text, h);
  x.host = h.text;
  const Token k = take_word("'fd', 'counter' or 'drops'");
  std::string op_text;  // as written, for the message about the value after it
  auto op = [&] {
    const Token o = cur_;
    op_text = std::string(text_.substr(o.offset, o.end - o.offset));
    switch (peek().kind) {
      case Tok::kEqEq:
      case Tok::kEq:
        take();
        // '=<' and '=>' lex as '=' then '<' or '>': name the operator the user meant.
        if (o.kind == Tok::kEq && cur_.offset == o.end &&
            (cur_.kind == Tok::kLess || cur_.kind == Tok::kGreater)) {
          const char c = cur_.kind == Tok::kLess ? '<' : '>';
          fail(o, std::string("unknown comparison '=") + c + "'; did you mean '" + c + "='?");
        }
        return CompareOp::kEq;
      case Tok::kNotEq:
        take();
        return CompareOp::kNe;
      case Tok::kLess:
        take();
        return CompareOp::kLt;
      case Tok::kLessEq:
        take();
        return CompareOp::kLe;
      case Tok::kGreater:
        take();
        return CompareOp::kGt;
      case Tok::kGreaterEq:
        take();
        return CompareOp::kGe;
      default:
        break;
    }
    fail(o, "expected a comparison (==, !=, <, <=, >, >=), got " + describe(o));
  };
  auto expect_value = [&] {
    const Token v = take_word("a number after " + quote(op_text));
    std::int64_t n = 0;
    if (parse_int(v.text, &n) == NumErr::kBad)
      fail(v, "expected a number after " + quote(op_text) + ", got " + quote(v.text));
    return static_cast<std::int64_t>(uint_value(v, static_cast<std::uint64_t>(kMaxI64), "value"));
  };
  if (k.text == "fd") {
    const Token fd = take_word("an fd number");
    x.fd = static_cast<std::int64_t>(uint_value(fd, 0x7fffffff, "fd"));
    const Token what = take_word("'state' or 'poll'");
    if (what.text == "state") {
      x.kind = Expect::Kind::kFdState;
      const Token st = take_word("a TCP state, like ESTABLISHED");
      if (!stack::tcp_state_from_name(st.text)) {
        std::vector<std::string_view> names;
        for (int i = 0; i <= static_cast<int>(stack::TcpState::kTimeWait); ++i) {
          names.push_back(stack::rfc_name(static_cast<stack::TcpState>(i)));
          names.push_back(stack::linux_name(static_cast<stack::TcpState>(i)));
        }
        fail(st, "unknown TCP state " + quote(st.text) + did_you_mean(st.text, names));
      }
      x.name = st.text;
    } else if (what.text == "poll") {
      x.kind = Expect::Kind::kFdPoll;
      const std::size_t from = cur_.offset;
      const Expr e = parse_expr(1);
      x.value_text = std::string(text_.substr(from, last_end_ - from));
      auto bits = [&](const Expr& term) -> std::int64_t {
        if (const auto* i = std::get_if<IntExpr>(&term.v)) return i->value;
        if (const auto* s = std::get_if<SymbolExpr>(&term.v)) {
          if (auto f = find_symbol(s->name); f && f->kind == SymbolKind::kPoll) return s->value;
        }
        fail(term.loc, "expected poll bits like POLLOUT|POLLERR");
      };
      if (const auto* b = std::get_if<BitOrExpr>(&e.v)) {
        for (const Expr& term : b->terms) x.value |= bits(term);
      } else {
        x.value = bits(e);
      }
    } else {
      fail(what, "expected 'state' or 'poll' after the fd, got " + quote(what.text));
    }
  } else if (k.text == "counter") {
    x.kind = Expect::Kind::kCounter;
    const Token n = take_word("a counter name, like ListenOverflows");
    if (!stack::mib_from_name(n.text)) {
      std::vector<std::string_view> names;
      for (int i = 0; i < static_cast<int>(stack::Mib::kCount); ++i) {
        names.push_back(stack::mib_name(static_cast<stack::Mib>(i)));
      }
      fail(n, "unknown counter " + quote(n.text) + did_you_mean(n.text, names));
    }
    x.name = n.text;
    x.op = op();
    x.value = expect_value();
  } else if (k.text == "drops") {
    x.kind = Expect::Kind::kDrops;
    const Token n = take_word("a drop reason, like TCP_LISTEN_OVERFLOW");
    if (!stack::drop_reason_from_name(n.text)) {
      std::vector<std::string_view> names;
      for (int i = 0; i < static_cast<int>(stack::DropReason::kCount); ++i) {
        names.push_back(stack::drop_reason_name(static_cast<stack::DropReason>(i)));
      }
      fail(n, "unknown drop reason " + quote(n.text) + did_you_mean(n.text, names));
    }
    x.name = n.text;
    x.op = op();
    x.value = expect_value();
  } else {
    const std::string_view kinds[] = {"fd", "counter", "drops"};
    fail(k, "expected 'fd', 'counter' or 'drops' after the host, got " + quote(k.text) +
                did_you_mean(k.text, kinds));
  }
  ev.body = std::move(x);
}

// --- Packets ------------------------------------------------------------------------------

PacketPattern Parser::parse_endpoints(const Token& src, PacketMode mode) {
  PacketPattern p;
  p.loc = loc(src);
  p.src = parse_address(src, mode == PacketMode::kDrop, mode != PacketMode::kInject);
  if (mode != PacketMode::kDrop && p.src.kind == Address::Kind::kIp && p.src.host.empty()) {
    fail(src, "no host has the address " + p.src.ip.to_string() +
                  "; a packet's source must be a simulated host");
  }
  if (!at(Tok::kGreater)) {
    fail(cur_, "expected '>' after " + quote(src.text) +
                   (mode == PacketMode::kDrop ? " (drop next N SRC > DST ...), got "
                                              : " (a packet is SRC > DST ..., a call is HOST: CALL(...)), got ") +
                   describe(cur_));
  }
  take();
  if (at(Tok::kLBracket) && !closed_on_line(cur_, ']'))
    fail(cur_, "'[' has no ']' (an IPv6 address with a port is [ADDR]:PORT)");
  const Token dst = take_word("the destination (a host or an address)");
  p.dst = parse_address(dst, mode != PacketMode::kInject, mode != PacketMode::kInject);
  return p;
}

void Parser::parse_packet_body(PacketPattern& p, PacketMode mode) {
  if (at_eol() || (mode == PacketMode::kDrop && at_word("on"))) {
    if (mode != PacketMode::kDrop) {
      fail(cur_,
           "expected the packet after 'SRC > DST' (like S 0:0(0), udp (100) or icmp unreachable)");
    }
    p.kind = PacketPattern::Kind::kAny;
    return;
  }
  const Token k = take_word("a packet (TCP flags, udp, icmp, icmpv6 or arp)");
  if (k.text == "udp") {
    p.kind = PacketPattern::Kind::kUdp;
    UdpPattern u;
    if (at(Tok::kLParen)) {
      const Token open = take();
      u.len = static_cast<std::uint32_t>(
          uint_value(take_word("the UDP payload length"), 65507, "UDP length"));
      take_close(Tok::kRParen, open);
    } else if (mode == PacketMode::kInject) {
      fail(cur_, "an injected UDP packet needs its payload length: udp (LEN)");
    }
    p.detail = u;
  } else if (k.text == "icmp" || k.text == "icmpv6") {
    p.kind = k.text == "icmp" ? PacketPattern::Kind::kIcmp : PacketPattern::Kind::kIcmpv6;
    p.detail = parse_icmp(k.text == "icmpv6", mode);
  } else if (k.text == "arp") {
    p.kind = PacketPattern::Kind::kArp;
    p.detail = parse_arp();
  } else {
    p.kind = PacketPattern::Kind::kTcp;
    p.detail = parse_tcp(k, mode);
  }
}

TcpFlags Parser::parse_flags(const Token& t) {
  TcpFlags f;
  f.text = t.text;
  if (t.text == "-") {
    f.none = true;
    return f;
  }
  bool bad = t.text.empty();
  for (std::size_t i = 0; i < t.text.size() && !bad; ++i) {
    std::uint8_t bit = 0;
    switch (t.text[i]) {
      case 'F':
        bit = tcp_flag::kFin;
        break;
      case 'S':
        bit = tcp_flag::kSyn;
        break;
      case 'R':
        bit = tcp_flag::kRst;
        break;
      case 'P':
        bit = tcp_flag::kPsh;
        break;
      case '.':
        bit = tcp_flag::kAck;
        break;
      case 'U':
        bit = tcp_flag::kUrg;
        break;
      case 'E':
        bit = tcp_flag::kEce;
        break;
      case 'W':
        bit = tcp_flag::kCwr;
        break;
      case 'A':
        if (f.ae)
          fail(t.line, t.col + static_cast<int>(i),
               "TCP flag 'A' is given twice in " + quote(t.text));
        f.ae = true;
        continue;
      default:
        bad = true;
        continue;
    }
    if (f.bits & bit) {
      fail(t.line, t.col + static_cast<int>(i),
           "TCP flag '" + std::string(1, t.text[i]) + "' is given twice in " + quote(t.text));
    }
    f.bits |= bit;
  }
  if (bad) {
    const std::string_view kinds[] = {"udp", "icmp", "icmpv6", "arp"};
    const std::string hint = did_you_mean(t.text, kinds);
    if (!hint.empty()) fail(t, "unknown packet kind " + quote(t.text) + hint);
    fail(t, "bad TCP flags " + quote(t.text) +
                " (letters F S R P U E W A and '.' for ACK, or '-' for none; or udp, icmp, icmpv6, "
                "arp)");
  }
  return f;
}

SeqRange Parser::parse_seq(const Token& t) {
  const std::size_t colon = t.text.find(':');
  Token a = t, b = t;
  a.text = t.text.substr(0, colon);
  b.text = t.text.substr(colon + 1);
  b.col += static_cast<int>(colon) + 1;
  SeqRange r;
  r.start = static_cast<std::uint32_t>(uint_value(a, 0xffffffffu, "sequence number"));
  if (b.text.empty())
    fail(b, "expected a sequence number after " + quote(t.text) + ", got " + describe(cur_));
  r.end = static_cast<std::uint32_t>(uint_value(b, 0xffffffffu, "sequence number"));
  if (!at(Tok::kLParen)) fail(cur_, "expected '(LEN)' after " + quote(t.text) + " (like 1:11(10))");
  const Token open = take();
  const Token lt = take_word("the payload length");
  r.len = static_cast<std::uint32_t>(uint_value(lt, 0xffffffffu, "length"));
  take_close(Tok::kRParen, open);
  if (static_cast<std::uint32_t>(r.end - r.start) != r.len && static_cast<std::uint32_t>(r.end - r.start) > 0x7fffffffu) {
    // Sequence numbers wrap (4294967290:4(10) is fine), but not by more than half the space.
    fail(t, "the range " + t.text + " ends before it starts (START:END(LEN) has END = START + LEN, like " + a.text +
                ":" + a.text + "(0))");
  }
  if (static_cast<std::uint32_t>(r.end - r.start) != r.len) {
    fail(lt, "length " + lt.text + " does not match " + t.text + " (" + std::to_string(r.end) +
                 " - " + std::to_string(r.start) + " = " +
                 std::to_string(static_cast<std::uint32_t>(r.end - r.start)) + ")");
  }
  return r;
}

TcpPattern Parser::parse_tcp(const Token& flags, PacketMode mode) {
  TcpPattern t;
  t.flags = parse_flags(flags);
  std::set<std::string> seen;
  while (true) {
    if (at(Tok::kLAngle)) {
      parse_tcp_options(t, mode);
      break;
    }
    if (!at(Tok::kWord)) break;
    const std::string& w = cur_.text;
    if (!t.seq && !w.empty() && is_digit(w[0]) && w.find(':') != std::string::npos) {
      t.seq = parse_seq(take());
    } else if (w == "ack" || w == "win" || w == "urg") {
      const Token k = take();
      once(seen, k);
      const Token v = take_word("a number");
      if (k.text == "ack") t.ack = static_cast<std::uint32_t>(uint_value(v, 0xffffffffu, "ack"));
      if (k.text == "win") t.win = static_cast<std::uint32_t>(uint_value(v, 65535, "window"));
      if (k.text == "urg")
        t.urg = static_cast<std::uint32_t>(uint_value(v, 65535, "urgent pointer"));
    } else if (mode == PacketMode::kDrop && w == "on") {
      break;
    } else {
      const std::string_view words[] = {"ack", "win", "urg"};
      fail(cur_, "unexpected " + quote(w) + " in a TCP packet" + did_you_mean(w, words) +
                     " (expected START:END(LEN), ack N, win N, urg N or <options>)");
    }
  }
  if (mode == PacketMode::kInject) {
    if (!t.seq) fail(flags, "an injected TCP packet needs its sequence numbers: START:END(LEN)");
    if ((t.flags.bits & tcp_flag::kAck) && !t.ack)
      fail(flags, "an injected TCP packet with ACK set needs 'ack N'");
    if (!t.win) fail(flags, "an injected TCP packet needs a window: win N");
  }
  return t;
}

std::optional<std::uint32_t> Parser::option_value(std::uint32_t max, PacketMode mode,
                                                  std::string_view what) {
  const Token v = take_word(what);
  if (v.text == "*") {
    if (mode == PacketMode::kInject) fail(v, "'*' is not allowed in an injected packet");
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(uint_value(v, max, what));
}

std::optional<std::vector<std::uint8_t>> Parser::option_data(PacketMode mode,
                                                             std::string_view what) {
  if (!at(Tok::kWord)) return std::vector<std::uint8_t>{};
  const Token v = take();
  if (v.text == "*") {
    if (mode == PacketMode::kInject) fail(v, "'*' is not allowed in an injected packet");
    return std::nullopt;
  }
  auto bytes = hex_bytes(v, v.text, what);
  if (bytes.size() > 38)
    fail(v, std::string(what) + " is too long for the TCP options (at most 38 bytes)");
  return bytes;
}

TcpOptionPattern Parser::parse_tcp_option(PacketMode mode) {
  const Token n =
      take_word("a TCP option (mss, sackOK, TS, nop, wscale, sack, eol, FO, FOEXP, md5, kind)");
  TcpOptionPattern o;
  o.loc = loc(n);
  using K = TcpOptionPattern::Kind;
  const std::string& w = n.text;
  if (w == "nop") {
    o.kind = K::kNop;
    o.kind_number = wire::tcp_opt::kNop;
  } else if (w == "eol") {
    o.kind = K::kEol;
    o.kind_number = wire::tcp_opt::kEol;
  } else if (w == "sackOK") {
    o.kind = K::kSackPermitted;
    o.kind_number = wire::tcp_opt::kSackPermitted;
  } else if (w == "mss") {
    o.kind = K::kMss;
    o.kind_number = wire::tcp_opt::kMss;
    o.value = option_value(65535, mode, "an MSS");
  } else if (w == "wscale") {
    o.kind = K::kWindowScale;
    o.kind_number = wire::tcp_opt::kWindowScale;
    o.value = option_value(255, mode, "a window scale shift");
  } else if (w == "TS") {
    o.kind = K::kTimestamps;
    o.kind_number = wire::tcp_opt::kTimestamps;
    if (!at_word("val")) fail(cur_, "expected 'val' (TS val V ecr E), got " + describe(cur_));
    take();
    o.ts_val = option_value(0xffffffffu, mode, "a timestamp value");
    if (!at_word("ecr")) fail(cur_, "expected 'ecr' (TS val V ecr E), got " + describe(cur_));
    take();
    o.ts_ecr = option_value(0xffffffffu, mode, "a timestamp echo reply");
  } else if (w == "sack") {
    o.kind = K::kSack;
    o.kind_number = wire::tcp_opt::kSack;
    while (at(Tok::kWord)) {
      const Token b = take();
      const std::size_t colon = b.text.find(':');
      if (colon == std::string::npos) fail(b, "expected a SACK block L:R, got " + quote(b.text));
      Token l = b, r = b;
      l.text = b.text.substr(0, colon);
      r.text = b.text.substr(colon + 1);
      r.col += static_cast<int>(colon) + 1;
      if (o.sack.size() == 4) fail(b, "at most 4 SACK blocks fit in the TCP options");
      o.sack.emplace_back(static_cast<std::uint32_t>(uint_value(l, 0xffffffffu, "SACK edge")),
                          static_cast<std::uint32_t>(uint_value(r, 0xffffffffu, "SACK edge")));
    }
  } else if (w == "FO" || w == "FOEXP") {
    o.kind = w == "FO" ? K::kFastOpen : K::kFastOpenExp;
    o.kind_number = w == "FO" ? wire::tcp_opt::kFastOpen : wire::tcp_opt::kExperimental;
    o.data = option_data(mode, "Fast Open cookie");
  } else if (w == "md5") {
    o.kind = K::kMd5;
    o.kind_number = wire::tcp_opt::kMd5;
    o.data = option_data(mode, "MD5 digest");
  } else if (w == "kind") {
    o.kind = K::kOther;
    o.kind_number = static_cast<std::uint8_t>(
        uint_value(take_word("an option kind number"), 255, "option kind"));
    o.data = option_data(mode, "option data");
  } else {
    fail(n, "unknown TCP option " + quote(w) + did_you_mean(w, kTcpOptionNames) +
                (did_you_mean(w, kTcpOptionNames).empty()
                     ? " (mss, sackOK, TS, nop, wscale, sack, eol, FO, FOEXP, md5, kind)"
                     : ""));
  }
  return o;
}

void Parser::parse_tcp_options(TcpPattern& tcp, PacketMode mode) {
  const Token open = take();
  tcp.options_mode = TcpPattern::Options::kList;
  if (at_word("...")) {
    take();
    if (mode == PacketMode::kInject)
      fail(open, "'<...>' (any options) is not allowed in an injected packet");
    tcp.options_mode = TcpPattern::Options::kAny;
    take_close(Tok::kRAngle, open);
    return;
  }
  if (!at(Tok::kRAngle)) {
    while (true) {
      if (tcp.options.size() == kMaxTcpOptions) {
        fail(cur_, "more than " + std::to_string(kMaxTcpOptions) +
                       " TCP options (40 bytes hold at most 40)");
      }
      tcp.options.push_back(parse_tcp_option(mode));
      if (!at(Tok::kComma)) break;
      take();
    }
  }
  take_close(Tok::kRAngle, open);
  if (mode == PacketMode::kInject) {
    std::size_t len = 0;
    for (const TcpOptionPattern& o : tcp.options) {
      using K = TcpOptionPattern::Kind;
      const std::size_t data = o.data ? o.data->size() : 0;
      switch (o.kind) {
        case K::kEol:
        case K::kNop:
          len += 1;
          break;
        case K::kMss:
          len += 4;
          break;
        case K::kWindowScale:
          len += 3;
          break;
        case K::kSackPermitted:
          len += 2;
          break;
        case K::kSack:
          len += 2 + 8 * o.sack.size();
          break;
        case K::kTimestamps:
          len += 10;
          break;
        case K::kFastOpen:
          len += 2 + data;
          break;
        case K::kFastOpenExp:
          len += 4 + data;
          break;
        case K::kMd5:
        case K::kOther:
          len += 2 + data;
          break;
      }
    }
    if (len > 40) {
      fail(open, "these TCP options take " + std::to_string(len) +
                     " bytes; at most 40 fit in a TCP header");
    }
  }
}

IcmpPattern Parser::parse_icmp(bool v6, PacketMode mode) {
  IcmpPattern ic;
  ic.v6 = v6;
  const Token tt =
      take_word(v6 ? "an ICMPv6 type, like unreachable" : "an ICMP type, like unreachable");
  auto type =
      v6 ? wire::icmpv6_type_from_keyword(tt.text) : wire::icmpv4_type_from_keyword(tt.text);
  if (!type) {
    std::vector<std::string> names;
    for (int i = 0; i < 256; ++i) {
      const auto b = static_cast<std::uint8_t>(i);
      std::string n = v6 ? wire::icmpv6_type_keyword(b) : wire::icmpv4_type_keyword(b);
      if (!starts_with(n, "type_")) names.push_back(std::move(n));
    }
    std::vector<std::string_view> views(names.begin(), names.end());
    fail(tt, std::string("unknown ") + (v6 ? "ICMPv6" : "ICMP") + " type " + quote(tt.text) +
                 did_you_mean(tt.text, views));
  }
  ic.type_name = tt.text;
  ic.type = *type;
  if (at(Tok::kWord) && cur_.text != "mtu" && !(mode == PacketMode::kDrop && cur_.text == "on") &&
      !(cur_.text == "drop" || cur_.text == "reject" || cur_.text == "accept")) {
    const Token ct = take();
    auto code = v6 ? wire::icmpv6_code_from_keyword(ic.type, ct.text)
                   : wire::icmpv4_code_from_keyword(ic.type, ct.text);
    if (!code) {
      std::vector<std::string> names;
      for (int i = 0; i < 256; ++i) {
        const auto b = static_cast<std::uint8_t>(i);
        std::string n =
            v6 ? wire::icmpv6_code_keyword(ic.type, b) : wire::icmpv4_code_keyword(ic.type, b);
        if (!starts_with(n, "code_")) names.push_back(std::move(n));
      }
      std::vector<std::string_view> views(names.begin(), names.end());
      fail(ct, "unknown code " + quote(ct.text) + " for " + (v6 ? "ICMPv6" : "ICMP") + " type " +
                   quote(tt.text) + did_you_mean(ct.text, views));
    }
    ic.code_name = ct.text;
    ic.code = *code;
  }
  if (at_word("mtu")) {
    take();
    ic.mtu = static_cast<std::uint32_t>(uint_value(take_word("an MTU"), 65535, "MTU"));
  }
  if (at(Tok::kLBracket)) {
    const Token open = take();
    ic.quoted_seq = parse_seq(take_word("the quoted segment's START:END(LEN)"));
    take_close(Tok::kRBracket, open);
  }
  return ic;
}

ArpPattern Parser::parse_arp() {
  ArpPattern a;
  const Token op = take_word("'who-has' or 'reply'");
  auto v4 = [&](const Token& t) {
    const IpAddr ip = ip_value(t, "address");
    if (!ip.is_v4()) fail(t, "ARP is for IPv4 addresses");
    return ip;
  };
  if (op.text == "who-has") {
    a.op = ArpPattern::Op::kRequest;
    a.target = v4(take_word("the address asked for"));
    if (at_word("tell")) {
      take();
      a.sender = v4(take_word("the asking address"));
    }
  } else if (op.text == "reply") {
    a.op = ArpPattern::Op::kReply;
    a.sender = v4(take_word("the address answered for"));
  } else {
    fail(op, "expected 'who-has' or 'reply' after 'arp', got " + quote(op.text));
  }
  return a;
}

// --- Addresses ----------------------------------------------------------------------------

PortSpec Parser::parse_port(std::string_view s, bool allow_any, const Token& w) {
  PortSpec p;
  if (s == "*") {
    if (!allow_any) fail(w, "a port '*' (any port) is only allowed in patterns");
    p.kind = PortSpec::Kind::kAny;
    return p;
  }
  std::int64_t v = 0;
  if (s.empty() || !std::all_of(s.begin(), s.end(), is_digit) || parse_int(s, &v) != NumErr::kOk ||
      v > 65535) {
    fail(w, "bad port " + quote(s) + " in " + quote(w.text) + " (0 to 65535, or * in patterns)");
  }
  p.kind = PortSpec::Kind::kNumber;
  p.number = static_cast<std::uint16_t>(v);
  return p;
}

Address Parser::parse_address(const Token& w, bool allow_any_host, bool allow_any_port) {
  const std::string& s = w.text;
  Address a;
  a.loc = loc(w);
  if (s == "*") {
    if (!allow_any_host) fail(w, "'*' (any host) is not allowed here");
    a.kind = Address::Kind::kAnyHost;
    return a;
  }
  if (!s.empty() && s[0] == '[') {
    const std::size_t close = s.find(']');
    std::string_view inner = std::string_view(s).substr(1, close - 1);
    const std::string_view after = std::string_view(s).substr(close + 1);
    if (const std::size_t pct = inner.find('%'); pct != std::string_view::npos) {
      std::int64_t scope = 0;
      const std::string_view st = inner.substr(pct + 1);
      if (st.empty() || !std::all_of(st.begin(), st.end(), is_digit) ||
          parse_int(st, &scope) != NumErr::kOk || scope > 0xffffffffll) {
        fail(w, "bad scope id " + quote(st) + " in " + quote(s) + " (a number, like [fe80::2%2])");
      }
      a.scope_id = static_cast<std::uint32_t>(scope);
      inner = inner.substr(0, pct);
    }
    auto ip = IpAddr::parse(inner);
    if (!ip || !ip->is_v6()) fail(w, "bad IPv6 address " + quote(inner));
    a.kind = Address::Kind::kIp;
    a.ip = *ip;
    if (!after.empty()) {
      if (after[0] != ':') fail(w, "unexpected " + quote(after) + " after the address " + quote(s));
      a.port = parse_port(after.substr(1), allow_any_port, w);
    }
  } else if (auto ip = IpAddr::parse(s)) {
    a.kind = Address::Kind::kIp;
    a.ip = *ip;
  } else {
    const std::size_t colon = s.rfind(':');
    const std::string_view left = std::string_view(s).substr(0, colon);
    if (colon != std::string::npos && colon + 1 == s.size())
      fail(w, "expected a port after ':' in " + quote(s));
    if (auto lip = IpAddr::parse(left)) {
      if (lip->is_v6())
        fail(w,
             "write an IPv6 address with a port in brackets, like [" + std::string(left) + "]:80");
      a.kind = Address::Kind::kIp;
      a.ip = *lip;
    } else if (!left.empty() && std::all_of(left.begin(), left.end(),
                                            [](char c) { return is_digit(c) || c == '.'; })) {
      fail(w, "bad address " + quote(left));
    } else if (left.find(':') != std::string_view::npos) {
      fail(w, "bad address " + quote(s));
    } else {
      if (!valid_name(left)) fail(w, "bad address or host name " + quote(left));
      require_host(left, w);
      a.kind = Address::Kind::kHost;
      a.host = std::string(left);
    }
    if (colon != std::string::npos)
      a.port = parse_port(std::string_view(s).substr(colon + 1), allow_any_port, w);
  }
  if (a.kind == Address::Kind::kIp) {
    if (auto it = addr_owner_.find(a.ip); it != addr_owner_.end()) a.host = it->second;
  }
  return a;
}

// --- Expressions --------------------------------------------------------------------------

Expr Parser::parse_expr(int depth) {
  if (depth > limits_.max_nesting) {
    fail(cur_, "expression nested too deeply (more than " + std::to_string(limits_.max_nesting) +
                   " levels)");
  }
  Expr first = parse_term(depth);
  if (!at(Tok::kPipe)) return first;
  auto check = [&](const Expr& e) {
    if (!std::holds_alternative<IntExpr>(e.v) && !std::holds_alternative<SymbolExpr>(e.v)) {
      fail(e.loc, "only numbers and symbols can be combined with '|'");
    }
  };
  check(first);
  Expr out;
  out.loc = first.loc;
  BitOrExpr b;
  b.terms.push_back(std::move(first));
  while (at(Tok::kPipe)) {
    take();
    Expr t = parse_term(depth);
    check(t);
    b.terms.push_back(std::move(t));
  }
  out.v = std::move(b);
  return out;
}

Expr Parser::parse_term(int depth) {
  if (++expr_nodes_ > kMaxExprNodes) {
    fail(cur_, "expression too large (more than " + std::to_string(kMaxExprNodes) +
                   " values on one line)");
  }
  const Token& t = peek();
  Expr e;
  e.loc = loc(t);
  switch (t.kind) {
    case Tok::kLBracket: {
      const Token open = take();
      ListExpr l;
      if (!at(Tok::kRBracket)) {
        while (true) {
          l.items.push_back(parse_expr(depth + 1));
          if (!at(Tok::kComma)) break;
          take();
        }
      }
      take_close(Tok::kRBracket, open);
      e.v = std::move(l);
      return e;
    }
    case Tok::kLBrace: {
      const Token open = take();
      StructExpr s;
      if (!at(Tok::kRBrace)) {
        while (true) {
          const Token name = take_word("a field name (like fd=3)");
          if (!valid_ident(name.text)) fail(name, "bad field name " + quote(name.text));
          for (const StructField& f : s.fields) {
            if (f.name == name.text) fail(name, "field " + quote(name.text) + " is given twice");
          }
          if (!at(Tok::kEq))
            fail(cur_, "expected '=' after the field name " + quote(name.text) + ", got " +
                           describe(cur_));
          take();
          s.fields.push_back(StructField{name.text, parse_expr(depth + 1), loc(name)});
          if (!at(Tok::kComma)) break;
          take();
        }
      }
      take_close(Tok::kRBrace, open);
      e.v = std::move(s);
      return e;
    }
    case Tok::kString:
      e.v = StringExpr{take().text};
      return e;
    case Tok::kWord:
      return word_expr(take());
    default:
      break;
  }
  fail(t, "expected a value, got " + describe(t));
}

Expr Parser::word_expr(const Token& w) {
  Expr e;
  e.loc = loc(w);
  const std::string& s = w.text;
  if (s == "...") {
    e.v = EllipsisExpr{};
    return e;
  }
  if (s == "*") {
    e.v = WildcardExpr{};
    return e;
  }
  if (s == "NULL" || s == "BAD") {
    e.v = PointerExpr{s == "NULL" ? PointerExpr::Kind::kNull : PointerExpr::Kind::kBad};
    return e;
  }
  if (s == "addr" && at(Tok::kLParen)) return raw_addr(w);
  if (s[0] == '[') {
    e.v = AddressExpr{parse_address(w, false, true)};
    return e;
  }
  const bool numeric = is_digit(s[0]) || (s[0] == '-' && s.size() > 1 && is_digit(s[1]));
  if (numeric) {
    if (s.find(':') != std::string::npos || std::count(s.begin(), s.end(), '.') == 3) {
      e.v = AddressExpr{parse_address(w, false, true)};
      return e;
    }
    const bool hex = starts_with(s, "0x") || starts_with(s, "0X") || starts_with(s, "-0x");
    if (!hex && is_alpha(s.back())) {
      if (s[0] == '-') fail(w, "durations cannot be negative: " + quote(s));
      e.v = DurationExpr{duration_value(w, "duration", false)};
      return e;
    }
    e.v = IntExpr{int_value(w, "a number")};
    return e;
  }
  if (auto sym = find_symbol(s)) {
    e.v = SymbolExpr{s, sym->value};
    return e;
  }
  if (s.find(':') != std::string::npos || hosts_.count(s) || IpAddr::parse(s)) {
    e.v = AddressExpr{parse_address(w, false, true)};
    return e;
  }
  if (looks_like_symbol(s)) {
    const auto names = symbol_names();
    fail(w, "unknown symbol " + quote(s) + did_you_mean(s, names));
  }
  fail(w, "unknown name " + quote(s) + ": not a symbol or a host (" + host_list() + ")");
}

Expr Parser::raw_addr(const Token& w) {
  Expr e;
  e.loc = loc(w);
  const Token open = take();
  RawAddrExpr r;
  const Token target = take_word("an address, NULL or BAD");
  if (target.text == "NULL" || target.text == "BAD") {
    r.pointer = target.text == "NULL" ? PointerExpr::Kind::kNull : PointerExpr::Kind::kBad;
  } else {
    r.address = parse_address(target, false, false);
  }
  std::set<std::string> seen;
  while (at(Tok::kComma)) {
    take();
    const Token k = take_word("len=N or family=F");
    if (k.text != "len" && k.text != "family")
      fail(k, "expected len=N or family=F, got " + quote(k.text));
    once(seen, k);
    if (!at(Tok::kEq)) fail(cur_, "expected '=' after " + quote(k.text));
    take();
    const Token v = take_word("a number");
    if (k.text == "len") {
      r.len = int_value(v, "a length");
    } else if (auto sym = find_symbol(v.text); sym && sym->kind == SymbolKind::kAddressFamily) {
      r.family = sym->value;
    } else {
      r.family = int_value(v, "an address family (AF_INET, AF_INET6, AF_UNSPEC or a number)");
    }
  }
  take_close(Tok::kRParen, open);
  e.v = std::move(r);
  return e;
}

// --- Whole-scenario checks ----------------------------------------------------------------

void Parser::finish() {
  if (sc_.title.empty()) {
    fail(1, 1,
         "missing 'title:' (every scenario has a title line, like 'title: Connection refused')");
  }
  for (const Declaration& d : sc_.declarations) {
    if (const auto* h = std::get_if<HostDecl>(&d);
        h && !h->addresses.empty() && !joined_.count(h->name)) {
      fail(h->loc, "host " + quote(h->name) +
                       " has addresses but joins no link or segment (add: link " + h->name +
                       " OTHER)");
    }
  }
  // `route ... dev IFNAME`: the runner names a host's interfaces lo, then eth0, eth1, ... in
  // the order its links and attachments are declared (stack::Host::default_ifname), and a
  // route may come before the link it uses, so this is checked once everything is declared.
  std::map<std::string, std::size_t> attached;
  for (const Declaration& d : sc_.declarations) {
    if (const auto* l = std::get_if<LinkDecl>(&d)) {
      ++attached[l->a];
      ++attached[l->b];
    } else if (const auto* a = std::get_if<AttachDecl>(&d)) {
      ++attached[a->host];
    }
  }
  for (const Declaration& d : sc_.declarations) {
    const auto* r = std::get_if<RouteDecl>(&d);
    if (!r || !r->dev || *r->dev == "lo") continue;
    const std::size_t n = attached[r->host];
    // The index the name would have, checked by naming it again (eth01 is not eth1).
    const std::string_view dev = *r->dev;
    std::size_t idx = n;
    if (dev.size() > 3 && dev.size() < 12 && dev.find_first_not_of("0123456789", 3) == std::string_view::npos) {
      idx = std::stoul(std::string(dev.substr(3)));
    }
    if (idx < n && stack::Host::default_ifname(idx) == dev) continue;
    std::string names = "lo";
    for (std::size_t i = 0; i < n && i < 8; ++i) names += ", " + stack::Host::default_ifname(i);
    if (n > 8) names += ", ...";
    fail(r->dev_loc, "host " + quote(r->host) + " has no interface " + quote(*r->dev) + " (interfaces: " + names +
                         "; each link or attach gives it the next ethN)");
  }
  // Threads: one call at a time, signals only to threads that exist, all calls back by `end`.
  struct Busy {
    Time until;
    int line = 0;
    std::string call;
  };
  std::map<std::pair<std::string, std::string>, Busy> threads;
  for (const Event& ev : sc_.events) {
    if (const auto* s = std::get_if<Syscall>(&ev.body)) {
      const auto key = std::make_pair(s->host, s->thread);
      if (auto it = threads.find(key); it != threads.end() && ev.at < it->second.until) {
        fail(s->loc, "thread '" + s->thread + "' of host '" + s->host + "' is still blocked in '" +
                         it->second.call + "' (line " + std::to_string(it->second.line) +
                         ") until " + format_time(it->second.until) +
                         "; a thread makes one call at a time (use another: " + s->host +
                         ".t2: ...)");
      }
      threads[key] = Busy{s->returns_at.value_or(ev.at), s->loc.line, s->name};
    } else if (const auto* g = std::get_if<Signal>(&ev.body)) {
      if (!threads.count({g->host, g->thread})) {
        fail(g->loc, "thread '" + g->thread + "' of host '" + g->host +
                         "' has made no call before this signal");
      }
    } else if (std::holds_alternative<End>(ev.body)) {
      for (const auto& [key, busy] : threads) {
        if (busy.until > ev.at) {
          fail(ev.loc, "'end' at " + format_time(ev.at) + " comes before the call '" + busy.call +
                           "' (line " + std::to_string(busy.line) + ") returns at " +
                           format_time(busy.until));
        }
      }
    }
  }
}

// --- Errors as text -----------------------------------------------------------------------

ParseError Parser::to_error(const Failure& f) const {
  return make_parse_error(text_, *file_, f.line, f.col, f.message);
}

}  // namespace

ParseError make_parse_error(std::string_view text, std::string file, int line_no, int col, std::string message) {
  ParseError e;
  e.file = std::move(file);
  e.line = line_no;
  e.col = col;
  e.message = std::move(message);
  // The line's bytes.
  std::size_t start = 0;
  for (int l = 1; l < line_no && start < text.size(); ++l) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      start = text.size();
      break;
    }
    start = nl + 1;
  }
  std::size_t end = text.find('\n', start);
  if (end == std::string_view::npos) end = text.size();
  if (end > start && text[end - 1] == '\r') --end;
  const std::string_view line = text.substr(start, end - start);
  // Walk characters: valid UTF-8 sequences are one column, anything else one '?' column.
  auto char_len = [&](std::size_t i) -> std::size_t {
    const auto c = static_cast<unsigned char>(line[i]);
    std::size_t n = c < 0x80                   ? 1
                    : (c >= 0xc2 && c <= 0xdf) ? 2
                    : (c >= 0xe0 && c <= 0xef) ? 3
                    : (c >= 0xf0 && c <= 0xf4) ? 4
                                               : 0;
    if (n == 0 || i + n > line.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(line[i + k]) & 0xc0) != 0x80) return 0;
    }
    return n;
  };
  std::size_t caret_byte = 0;
  int c = 1;
  while (caret_byte < line.size() && c < col) {
    const std::size_t n = char_len(caret_byte);
    caret_byte += n ? n : 1;
    ++c;
  }
  constexpr std::size_t kMaxShown = 160, kContext = 70;
  std::size_t from = 0, to = line.size();
  if (line.size() > kMaxShown) {
    from = caret_byte > kContext ? caret_byte - kContext : 0;
    to = std::min(line.size(), caret_byte + kContext);
    while (from > 0 && (static_cast<unsigned char>(line[from]) & 0xc0) == 0x80) --from;
    while (to < line.size() && (static_cast<unsigned char>(line[to]) & 0xc0) == 0x80) ++to;
  }
  std::string shown = from > 0 ? "..." : "";
  int caret = from > 0 ? 4 : 1;
  for (std::size_t i = from; i < to;) {
    const std::size_t n = char_len(i);
    const auto ch = static_cast<unsigned char>(line[i]);
    if (n == 0 || (ch < 0x20 && ch != '\t') || ch == 0x7f) {
      shown += '?';
    } else {
      shown.append(line.substr(i, n));
    }
    if (i < caret_byte) ++caret;
    i += n ? n : 1;
  }
  if (to < line.size()) shown += "...";
  e.source_line = std::move(shown);
  e.caret_col = caret;
  return e;
}


std::string ParseError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(col);
  out += ": error: " + message + "\n";
  if (line <= 0) return out;
  out += source_line + "\n";
  // The caret line copies tabs so the caret lines up; every other character is one column.
  int col_seen = 1;
  for (std::size_t i = 0; i < source_line.size() && col_seen < caret_col;) {
    const auto c = static_cast<unsigned char>(source_line[i]);
    out += c == '\t' ? '\t' : ' ';
    std::size_t n = 1;
    if (c >= 0xc0) {
      while (i + n < source_line.size() &&
             (static_cast<unsigned char>(source_line[i + n]) & 0xc0) == 0x80)
        ++n;
    }
    i += n;
    ++col_seen;
  }
  while (col_seen < caret_col) {
    out += ' ';
    ++col_seen;
  }
  out += "^\n";
  return out;
}

Result<Scenario, ParseError> parse_scenario(std::string_view text, std::string path,
                                            const ParseLimits& limits) {
  Parser p(text, path, limits);
  Scenario sc;
  try {
    sc = p.parse();
  } catch (const Failure& f) {
    return fail(p.to_error(f));
  }
  if (!sc.has_personality_lines) return sc;
  // Per-personality lines: resolve the times again along the lines each personality runs, so
  // `synlab run --personality P` finds its timeline checked and ready (and an error in one is
  // an error now, not at run time).
  for (std::string_view name : stack::personality_names()) {
    Parser v(text, path, limits, std::string(name));
    try {
      sc.events_for[std::string(name)] = v.parse().events;
    } catch (const Failure& f) {
      return fail(v.to_error(f));
    }
  }
  return sc;
}

Result<Scenario, ParseError> parse_scenario_file(const std::string& path,
                                                 const ParseLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ParseError e;
    e.file = path;
    e.message = std::string("cannot read the file: ") + std::strerror(errno);
    return fail(std::move(e));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_scenario(text, path, limits);
}

}  // namespace synlab::harness
