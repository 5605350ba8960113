#include "harness/drill/drill.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "harness/drill/tcpinfo_expr.h"
#include "harness/scenario/parser.h"
#include "stack/counters.h"
#include "stack/personality/personality.h"
#include "stack/personality/sysctl.h"
#include "stack/socket/errno.h"

namespace synlab::harness::drill {
namespace {

// packetdrill's defaults (config.c): ports 8080, 4 ms or 12.5 % of the gap, and the addresses
// its run_all.py passes in each mode (the TFO cookies it passes are computed from them).
constexpr int kDefaultPort = 8080;
constexpr int kRemotePort = 40001;  // packetdrill binds a throw-away socket for it; a fixed one here
constexpr double kDefaultTolerancePercent = 12.5;
constexpr std::int64_t kDefaultToleranceUsecs = 4000;
constexpr std::size_t kMaxStatement = 64 * 1024;

struct Addresses {
  std::string local, remote, gateway;  // as written in scenario text
  int prefix = 16;
};

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Line `line` (from 1) of `text`, without its newline; nullopt past the end.
std::optional<std::string_view> line_of(std::string_view text, int line) {
  if (line < 1) return std::nullopt;
  std::size_t start = 0;
  for (int l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return std::nullopt;
    ++start;
  }
  return text.substr(start, text.find('\n', start) - start);
}

// The column (in characters, from 1) where `token` first appears in line `line` of `text`, at
// or after column `from`: a word token only as a whole word. 0 when it is not there (the
// translation rewrote it, or it spans lines).
int column_of(std::string_view text, int line, int from, std::string_view token) {
  if (token.empty()) return 0;
  const auto found = line_of(text, line);
  if (!found) return 0;
  const std::string_view ln = *found;
  // Columns count characters: skip UTF-8 continuation bytes.
  auto col_at = [&](std::size_t byte) {
    int c = 1;
    for (std::size_t i = 0; i < byte; ++i) c += (static_cast<unsigned char>(ln[i]) & 0xc0) != 0x80;
    return c;
  };
  const bool word = word_char(token.front()) && word_char(token.back());
  for (std::size_t at = ln.find(token); at != std::string_view::npos; at = ln.find(token, at + 1)) {
    if (col_at(at) < from) continue;
    if (word && ((at > 0 && word_char(ln[at - 1])) ||
                 (at + token.size() < ln.size() && word_char(ln[at + token.size()])))) {
      continue;
    }
    return col_at(at);
  }
  return 0;
}

// The column (in characters) of the first byte of line `line` that is not valid UTF-8 (1 when
// there is none).
int invalid_utf8_column(std::string_view text, int line) {
  const auto found = line_of(text, line);
  if (!found) return 1;
  const std::string_view ln = *found;
  int col = 1;
  for (std::size_t i = 0; i < ln.size(); ++col) {
    const auto c = static_cast<unsigned char>(ln[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
    if (n == 0 || i + n > ln.size()) return col;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(ln[i + k]) & 0xc0) != 0x80) return col;
    }
    i += n;
  }
  return 1;
}

// The word at character column `col` of a shown line (a scenario parser error's caret).
std::string word_at(std::string_view shown, int col) {
  std::size_t i = 0;
  for (int c = 1; i < shown.size() && c < col; ++i) c += (static_cast<unsigned char>(shown[i]) & 0xc0) != 0x80;
  std::size_t e = i;
  while (e < shown.size() && (word_char(shown[e]) || shown[e] == '-' || shown[e] == '.' || shown[e] == ':')) ++e;
  if (e == i && i < shown.size()) ++e;  // a lone punctuation character
  return std::string(shown.substr(i, e - i));
}

// One statement of the script: its text (lines joined) and where it starts.
struct Stmt {
  std::string text;
  int line = 0;
  int col = 1;
};

struct Parsed {
  std::vector<Stmt> options;  // `--x=y` in the file, one each
  std::vector<Stmt> stmts;
  std::optional<std::string> failure_comment;
  int failure_line = 0;
};

// Comments out, statements joined across lines while brackets, a backtick or `%{` are open.
Result<Parsed, DrillError> split(std::string_view text, const std::string& path) {
  Parsed out;
  std::string cur;
  int cur_line = 0, cur_col = 1;
  int depth = 0;
  bool in_tick = false, in_code = false, in_block_comment = false, in_string = false;
  int line = 1;
  std::size_t line_start = 0;
  // Where the open backtick, %{ or /* began, for the error when the file ends inside it.
  int open_line = 0, open_col = 0;
  auto opened = [&](std::size_t i) {
    open_line = line;
    open_col = static_cast<int>(i - line_start) + 1;
  };
  auto flush = [&]() {
    std::string t = trim(cur);
    if (!t.empty()) out.stmts.push_back({t, cur_line, cur_col});
    cur.clear();
    cur_line = 0;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char n = i + 1 < text.size() ? text[i + 1] : '\0';
    if (in_block_comment) {
      if (c == '*' && n == '/') in_block_comment = false, ++i;
      if (c == '\n') ++line, line_start = i + 1;
      continue;
    }
    if (!in_tick && !in_code && !in_string && c == '/' && n == '/') {
      const std::size_t e = text.find('\n', i);
      const std::string comment(text.substr(i + 2, (e == std::string_view::npos ? text.size() : e) - i - 2));
      const std::string ct = trim(comment);
      if (starts_with(ct, "Failure:") && !out.failure_comment) {
        out.failure_comment = trim(std::string_view(ct).substr(8));
        out.failure_line = line;
      }
      i = (e == std::string_view::npos ? text.size() : e) - 1;
      continue;
    }
    if (!in_tick && !in_code && !in_string && c == '/' && n == '*') {
      in_block_comment = true;
      opened(i);
      ++i;
      continue;
    }
    if (c == '\0') {
      return Err{DrillError{path, line, static_cast<int>(i - line_start) + 1, "NUL byte in the script"}};
    }
    if (cur_line == 0 && !std::isspace(static_cast<unsigned char>(c))) {
      cur_line = line;
      cur_col = static_cast<int>(i - line_start) + 1;
    }
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      if (depth <= 0 && !in_tick && !in_code && !in_string) {
        flush();
        depth = 0;
        continue;
      }
      cur += in_tick ? '\n' : ' ';
      continue;
    }
    if (in_string) {
      if (c == '"') in_string = false;
      cur += c;
      continue;
    }
    if (in_code) {
      if (c == '}' && n == '%') in_code = false, cur += "}%", ++i;
      else cur += c;
      continue;
    }
    if (c == '`') {
      in_tick = !in_tick;
      if (in_tick) opened(i);
    } else if (!in_tick && c == '%' && n == '{') {
      opened(i);
      in_code = true, cur += "%{", ++i;
    }
    else if (!in_tick && c == '"') in_string = true;
    else if (!in_tick && (c == '(' || c == '[' || c == '{')) ++depth;
    else if (!in_tick && (c == ')' || c == ']' || c == '}')) --depth;
    if (c != '%' || !in_code) cur += c;
  }
  if (in_tick) return Err{DrillError{path, open_line, open_col, "unterminated backtick command"}};
  if (in_code) return Err{DrillError{path, open_line, open_col, "unterminated %{ }% block"}};
  if (in_block_comment) return Err{DrillError{path, open_line, open_col, "unterminated /* comment"}};
  flush();
  // Leading `--option` statements (several may share a line).
  std::vector<Stmt> rest;
  bool events_started = false;
  for (auto& s : out.stmts) {
    if (!events_started && starts_with(s.text, "--")) {
      std::istringstream in(s.text);
      std::string w;
      while (in >> w) {
        if (!starts_with(w, "--")) {
          return Err{DrillError{path, s.line, s.col, "expected a --option, got '" + w + "'"}};
        }
        out.options.push_back({w, s.line, s.col});
      }
      continue;
    }
    events_started = true;
    rest.push_back(std::move(s));
  }
  out.stmts = std::move(rest);
  return out;
}

// `-D` defines: whole words only.
std::string substitute(const std::string& s, const std::vector<std::pair<std::string, std::string>>& defs) {
  if (defs.empty()) return s;
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (std::isalpha(static_cast<unsigned char>(s[i])) || s[i] == '_') {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      const std::string w = s.substr(i, j - i);
      bool done = false;
      for (const auto& [k, v] : defs) {
        if (k == w) {
          out += v;
          done = true;
          break;
        }
      }
      if (!done) out += w;
      i = j;
      continue;
    }
    out += s[i++];
  }
  return out;
}

// A time prefix: `*`, `[+]T`, `[+]T~[+]T`, `[+]T...[+]T`.
struct TimeTok {
  bool any = false;
  bool rel = false;
  double t = 0;
  std::optional<double> range_end;
  bool range_rel = false;
  std::optional<double> block_end;
  bool block_rel = false;
};

std::optional<double> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return std::nullopt;
  }
  if (std::count(s.begin(), s.end(), '.') > 1) return std::nullopt;
  try {
    return std::stod(std::string(s));
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<TimeTok> parse_time(std::string_view w) {
  TimeTok t;
  if (w == "*") {
    t.any = true;
    return t;
  }
  auto one = [](std::string_view x, bool* rel) -> std::optional<double> {
    *rel = !x.empty() && x[0] == '+';
    if (*rel) x.remove_prefix(1);
    return number(x);
  };
  std::string_view a = w, b;
  bool blocking = false, range = false;
  if (auto p = w.find("..."); p != std::string_view::npos) {
    a = w.substr(0, p);
    b = w.substr(p + 3);
    blocking = true;
  } else if (auto q = w.find('~'); q != std::string_view::npos) {
    a = w.substr(0, q);
    b = w.substr(q + 1);
    range = true;
  }
  auto v = one(a, &t.rel);
  if (!v) return std::nullopt;
  t.t = *v;
  if (blocking || range) {
    bool rel2 = false;
    auto e = one(b, &rel2);
    if (!e) return std::nullopt;
    if (blocking) t.block_end = *e, t.block_rel = rel2;
    else t.range_end = *e, t.range_rel = rel2;
  }
  return t;
}

std::string fmt_time(double s) {
  if (s < 0) s = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", s);
  return buf;
}

// Splits a call's argument list at top-level commas.
std::vector<std::string> split_args(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  std::size_t b = 0;
  bool str = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') str = !str;
    if (str) continue;
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(s.substr(b, i - b)));
      b = i + 1;
    }
  }
  if (!trim(s.substr(b)).empty() || !out.empty()) out.push_back(trim(s.substr(b)));
  return out;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? std::string(sep) : "") + v[i];
  return s;
}

// `$((15*1024*1024))` in defaults.sh: products of decimal numbers, the only arithmetic the
// corpus's defaults.sh files use. Anything else is nullopt.
std::optional<std::string> shell_arith(std::string s) {
  for (;;) {
    const auto b = s.find("$((");
    if (b == std::string::npos) return s;
    const auto e = s.find("))", b);
    if (e == std::string::npos) return std::nullopt;
    std::int64_t v = 1;
    std::istringstream in(s.substr(b + 3, e - b - 3));
    std::string f;
    while (std::getline(in, f, '*')) {
      f = trim(f);
      if (f.empty() || f.size() > 18 || !std::all_of(f.begin(), f.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
      }
      if (__builtin_mul_overflow(v, std::stoll(f), &v)) return std::nullopt;
    }
    s = s.substr(0, b) + std::to_string(v) + s.substr(e + 2);
  }
}

struct Translator {
  const std::string& path;
  const DrillOptions& opt;
  DrillScript out;
  std::string_view src;  // the script's text, for error columns
  // Options.
  IpMode mode = IpMode::kIpv4;
  std::int64_t tol_usecs = kDefaultToleranceUsecs;
  double tol_percent = kDefaultTolerancePercent;
  std::uint32_t ts_tick = 0;
  int bind_port = kDefaultPort;
  int connect_port = kDefaultPort;
  std::optional<int> mtu;
  std::optional<std::string> local_ip, remote_ip;
  // Output.
  std::vector<std::string> header;                 // scenario text before the events
  std::vector<std::pair<std::string, int>> lines;  // event text, source line
  std::vector<std::pair<std::string, std::string>> sysctls;
  struct Side {
    std::int64_t tolerance_us = 0;
    std::optional<std::uint32_t> ts_val;
    std::optional<std::uint32_t> ts_ecr;
    bool any_errno = false;
    std::optional<double> true_end;  // a blocking call's END as the script wrote it
  };
  struct Block {
    std::size_t index;
    double start, end;
  };
  std::optional<Block> pending_block;
  double max_end = 0;
  // A `*` packet: packetdrill waits for it as long as it takes; the run goes on this long
  // after the script's last time for it to come.
  double any_wait_from = -1;
  static constexpr double kAnyWait = 120;
  std::map<int, Side> side;  // by generated line index
  struct Extra {
    std::size_t after;  // index into `lines`: inserted after that many generated events
    int src_line;
    double at;
    Event ev;
  };
  std::vector<Extra> extras;
  // State while walking the events.
  double prev = 0;         // the base of the next relative time (a packet's actual time when known)
  double prev_script = 0;  // the previous event's time as the script gives it
  bool passive = false;
  int sut_fd = -1;  // the socket under test (last fd socket() or accept() returned)
  bool any_event = false;

  DrillError err(const Stmt& s, std::string m) const { return DrillError{path, s.line, s.col, std::move(m)}; }
  // An error at `token`'s first place in the statement's line from its start (else at the start).
  DrillError err_at(const Stmt& s, std::string_view token, std::string m) const {
    const int c = column_of(src, s.line, s.col, token);
    return DrillError{path, s.line, c ? c : s.col, std::move(m)};
  }

  std::optional<DrillError> option(const std::string& o, const Stmt* where) {
    auto eq = o.find('=');
    const std::string name = o.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::string val = eq == std::string::npos ? "" : o.substr(eq + 1);
    if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
    auto bad = [&](std::string m) -> std::optional<DrillError> {
      if (where) return err(*where, m);
      return DrillError{path, 0, 0, m};
    };
    auto as_int = [&](std::int64_t lo, std::int64_t hi) -> std::optional<std::int64_t> {
      try {
        std::size_t k = 0;
        const auto v = std::stoll(val, &k, 0);
        if (k != val.size() || v < lo || v > hi) return std::nullopt;
        return v;
      } catch (...) {
        return std::nullopt;
      }
    };
    if (name == "ip_version") {
      auto m = ip_mode_from_name(val);
      if (!m) return bad("unknown --ip_version '" + val + "' (ipv4, ipv4-mapped-ipv6 or ipv6)");
      mode = *m;
    } else if (name == "tolerance_usecs") {
      auto v = as_int(0, 100'000'000);
      if (!v) return bad("bad --tolerance_usecs '" + val + "'");
      tol_usecs = *v;
    } else if (name == "tolerance_percent") {
      try {
        tol_percent = std::stod(val);
      } catch (...) {
        return bad("bad --tolerance_percent '" + val + "'");
      }
      if (tol_percent < 0 || tol_percent > 100) return bad("bad --tolerance_percent '" + val + "'");
    } else if (name == "tcp_ts_tick_usecs") {
      auto v = as_int(0, 1'000'000);
      if (!v) return bad("bad --tcp_ts_tick_usecs '" + val + "'");
      ts_tick = static_cast<std::uint32_t>(*v);
    } else if (name == "bind_port" || name == "connect_port") {
      auto v = as_int(1, 65535);
      if (!v) return bad("bad --" + name + " '" + val + "'");
      (name == "bind_port" ? bind_port : connect_port) = static_cast<int>(*v);
    } else if (name == "mtu") {
      auto v = as_int(576, 65535);
      if (!v) return bad("bad --mtu '" + val + "'");
      mtu = static_cast<int>(*v);
    } else if (name == "local_ip") {
      local_ip = val;
    } else if (name == "remote_ip") {
      remote_ip = val;
    } else if (name == "mss" || name == "send_omit_free" || name == "gateway_ip" || name == "netmask_ip" ||
               name == "tcp_ts_ecr_scaled" || name == "strict_segments" || name == "verbose") {
      out.notes.push_back("--" + name + " has no effect on a simulated host");
    } else {
      return bad("unsupported option --" + name);
    }
    return std::nullopt;
  }

  Addresses addresses() const {
    Addresses a;
    switch (mode) {
      case IpMode::kIpv4:
      case IpMode::kIpv4MappedIpv6:
        a.local = local_ip.value_or("192.168.0.1");
        a.remote = remote_ip.value_or("192.0.2.1");
        a.gateway = "192.168.0.2";
        a.prefix = 16;
        break;
      case IpMode::kIpv6:
        // packetdrill's built-in IPv6 defaults (the low 32 bits of the local address are random
        // there; 1 here). The 2013 inet_diag scripts grep for this local address.
        a.local = local_ip.value_or("fd3d:fa7b:d17d::1");
        a.remote = remote_ip.value_or("2001:db8::1");
        a.gateway = "fd3d:fa7b:d17d:8888::1";
        a.prefix = 48;
        break;
    }
    return a;
  }

  // An address as a syscall argument sees it.
  std::string sock_addr(const std::string& ip, int port) const {
    if (mode == IpMode::kIpv4) return ip + ":" + std::to_string(port);
    if (mode == IpMode::kIpv4MappedIpv6) return "[::ffff:" + ip + "]:" + std::to_string(port);
    return "[" + ip + "]:" + std::to_string(port);
  }

  // A knob for the host: `/proc/sys/net/ipv4/x` and `net.ipv4.x` alike.
  void add_sysctl(const std::string& name, const std::string& value) {
    std::string n = name;
    if (starts_with(n, "/proc/sys/")) n = n.substr(10);
    std::replace(n.begin(), n.end(), '/', '.');
    sysctls.emplace_back(n, value);
  }

  // `defaults.sh`: its sysctl lines (the qdisc and tcp_metrics lines concern a real tun device).
  std::optional<DrillError> defaults_sh(const Stmt& s, const std::string& rel) {
    const std::filesystem::path p = std::filesystem::path(path).parent_path() / rel;
    std::ifstream in(p);
    if (!in) return err(s, "cannot read " + p.string() + " (the script's defaults.sh)");
    std::string l;
    while (std::getline(in, l)) {
      l = trim(l);
      if (!starts_with(l, "sysctl ")) continue;
      if (auto r = l.find('>'); r != std::string::npos) l = trim(l.substr(0, r));
      const auto expanded = shell_arith(l);
      if (!expanded) return err(s, p.string() + ": arithmetic other than a product of numbers: " + l);
      std::istringstream ws(*expanded);
      std::vector<std::string> words;
      std::string w;
      // Quoted values keep their spaces.
      std::string cur;
      bool q = false;
      for (char c : ws.str()) {
        if (c == '"') {
          q = !q;
          continue;
        }
        if (std::isspace(static_cast<unsigned char>(c)) && !q) {
          if (!cur.empty()) words.push_back(cur), cur.clear();
          continue;
        }
        cur += c;
      }
      if (!cur.empty()) words.push_back(cur);
      for (std::size_t k = 1; k < words.size(); ++k) {
        if (words[k] == "-q" || words[k] == "-w") continue;
        const auto eq = words[k].find('=');
        if (eq == std::string::npos) continue;
        add_sysctl(words[k].substr(0, eq), words[k].substr(eq + 1));
      }
    }
    return std::nullopt;
  }

  std::optional<DrillError> init_command(const Stmt& s, const std::string& text) {
    std::string body;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
        body += ' ';
        ++i;
        continue;
      }
      if (text[i] == '\\' && i + 1 == text.size()) continue;
      body += text[i];
    }
    std::istringstream in(body);
    std::string l;
    while (std::getline(in, l)) {
      if (auto h = l.find('#'); h != std::string::npos) l = l.substr(0, h);
      l = trim(l);
      if (l.empty()) continue;
      std::istringstream ws(l);
      std::string cmd;
      ws >> cmd;
      if (cmd.size() >= 11 && cmd.substr(cmd.size() - 11) == "defaults.sh") {
        if (auto e = defaults_sh(s, cmd)) return e;
        continue;
      }
      if (cmd.size() >= 14 && cmd.substr(cmd.size() - 14) == "set_sysctls.py") {
        std::string a;
        while (ws >> a) {
          const auto eq = a.find('=');
          if (eq == std::string::npos) return err(s, "set_sysctls.py: expected /proc/sys/...=VALUE, got '" + a + "'");
          add_sysctl(a.substr(0, eq), a.substr(eq + 1));
        }
        continue;
      }
      if (starts_with(cmd, "/tmp/sysctl_restore_")) continue;
      if (cmd == "sysctl") {
        std::string a;
        while (ws >> a) {
          if (a == "-q" || a == "-w") continue;
          const auto eq = a.find('=');
          if (eq == std::string::npos) return err(s, "unsupported shell command (not interpreted): " + l);
          add_sysctl(a.substr(0, eq), a.substr(eq + 1));
        }
        continue;
      }
      return err(s, "unsupported shell command (not interpreted): " + l);
    }
    return std::nullopt;
  }

  void add_extra(double at, int src_line, Event ev) {
    extras.push_back({lines.size(), src_line, at, std::move(ev)});
  }

  SourceLoc loc_of(const Stmt& s) const {
    SourceLoc l;
    l.file = std::make_shared<const std::string>(path);
    l.line = s.line;
    l.col = s.col;
    return l;
  }

  // A timed shell command.
  std::optional<DrillError> timed_command(const Stmt& s, double at, const std::string& body) {
    std::string b = trim(body);
    std::vector<std::string> parts;
    {
      std::string cur;
      for (char c : b) {
        if (c == '|') parts.push_back(trim(cur)), cur.clear();
        else cur += c;
      }
      parts.push_back(trim(cur));
    }
    // Output redirections do not matter.
    for (auto& p : parts) {
      if (auto r = p.find('>'); r != std::string::npos) p = trim(p.substr(0, r));
    }
    std::istringstream ws(parts[0]);
    std::vector<std::string> words;
    for (std::string w; ws >> w;) words.push_back(w);
    if (words.empty()) return err(s, "empty shell command");
    std::vector<std::string> greps;
    for (std::size_t k = 1; k < parts.size(); ++k) {
      std::istringstream gs(parts[k]);
      std::string g, pat, extra;
      gs >> g >> pat;
      if (g != "grep" || pat.empty() || (gs >> extra)) {
        return err(s, "unsupported shell command (only `| grep TEXT` pipes are interpreted): " + b);
      }
      greps.push_back(pat);
    }
    Event ev;
    ev.loc = loc_of(s);
    if (words[0] == "sysctl") {
      if (!greps.empty()) return err(s, "unsupported shell command (not interpreted): " + b);
      for (std::size_t k = 1; k < words.size(); ++k) {
        if (words[k] == "-q" || words[k] == "-w") continue;
        const auto eq = words[k].find('=');
        if (eq == std::string::npos) return err(s, "unsupported shell command (sysctl reads are not interpreted): " + b);
        SetSysctl ss{"local", words[k].substr(0, eq), words[k].substr(eq + 1), ev.loc};
        if (auto r = stack::set_sysctl(scratch, ss.name, ss.value); !r) return err(s, "sysctl: " + r.error());
        Event e2 = ev;
        e2.body = ss;
        add_extra(at, s.line, e2);
      }
      return std::nullopt;
    }
    if (words[0] == "nstat") {
      if (greps.empty()) return std::nullopt;  // resets nstat's history: nothing to check
      // `nstat | grep NAME`: nstat prints only counters that are not zero.
      Expect x;
      x.host = "local";
      x.kind = Expect::Kind::kCounter;
      x.name = greps.back();
      x.op = CompareOp::kGt;
      x.value = 0;
      x.loc = ev.loc;
      if (!stack::mib_from_name(x.name)) return err(s, "nstat: unknown counter '" + x.name + "'");
      ev.body = x;
      add_extra(at, s.line, ev);
      return std::nullopt;
    }
    if (words[0] == "ss") {
      Expect x;
      x.host = "local";
      x.kind = Expect::Kind::kSocketListed;
      x.value = mode == IpMode::kIpv4 ? 4 : 6;
      for (std::size_t k = 1; k < words.size(); ++k) {
        if (words[k] == "-4") x.value = 4;
        if (words[k] == "-6") x.value = 6;
        if (words[k] == "state" && k + 1 < words.size()) x.name = words[k + 1];
      }
      if (greps.empty()) return err(s, "unsupported shell command (ss without | grep checks nothing): " + b);
      x.value_text = join(greps, "\n");
      x.loc = ev.loc;
      ev.body = x;
      add_extra(at, s.line, ev);
      return std::nullopt;
    }
    return err(s, "unsupported shell command (not interpreted): " + b);
  }

  // Packet options: TS values pulled out (outbound: checked by the runner against the tick;
  // inbound ecr: mapped to the live value).
  std::string packet_text(const Stmt& s, std::string rest, bool outbound, Side* sd, std::optional<DrillError>* e) {
    static const std::regex ts(R"(TS\s+val\s+(\d+)\s+ecr\s+(\d+))");
    std::smatch m;
    if (std::regex_search(rest, m, ts)) {
      auto u32 = [](const std::string& d) -> std::optional<std::uint32_t> {
        if (d.size() > 10) return std::nullopt;
        const auto v = std::stoull(d);  // at most 10 digits: no overflow
        if (v > 0xffffffffULL) return std::nullopt;
        return static_cast<std::uint32_t>(v);
      };
      const auto val = u32(m[1].str());
      const auto ecr = u32(m[2].str());
      if (!val || !ecr) {
        *e = err(s, "TS value out of range (0 to 4294967295)");
        return {};
      }
      if (outbound) {
        sd->ts_val = *val;
        rest = m.prefix().str() + "TS val * ecr *" + m.suffix().str();
      } else {
        sd->ts_ecr = *ecr;
      }
    }
    return rest;
  }

  std::optional<DrillError> event(const Stmt& s) {
    // No event of the language is this long; the packet and call patterns below are matched
    // with std::regex, whose recursion grows with the text.
    if (s.text.size() > kMaxStatement) {
      return err(s, "event too long (" + std::to_string(s.text.size()) + " characters; at most " +
                        std::to_string(kMaxStatement) + ")");
    }
    // The time prefix.
    std::string text = s.text;
    const auto sp = text.find_first_of(" \t");
    const std::string tw = text.substr(0, sp);
    auto tt = parse_time(tw);
    if (!tt) {
      if (starts_with(text, "`") && !any_event) {
        // The init command (before the first event).
        const auto e = text.rfind('`');
        return init_command(s, text.substr(1, e - 1));
      }
      if (starts_with(text, "`")) {
        const auto e = text.rfind('`');
        const std::string body = trim(text.substr(1, e - 1));
        if (starts_with(body, "/tmp/sysctl_restore_")) return std::nullopt;  // the cleanup line
        return err(s, "unsupported shell command (not interpreted): " + body);
      }
      return err(s, "expected a time (0, +.1, *, 0.1~0.2, +0...0.2) at the start of the event, got '" + tw + "'");
    }
    std::string action = sp == std::string::npos ? "" : trim(text.substr(sp));
    if (action.empty()) return err(s, "expected an event after the time");
    // Only a command or a %{ }% block spans lines, and packetdrill has no `#` comments: either
    // in a call or packet line is a mistake (an unclosed bracket, a stray backtick).
    if (action[0] != '`' && !starts_with(action, "%{")) {
      if (action.find('\n') != std::string::npos || action.find('`') != std::string::npos) {
        return err_at(s, "`", "a backtick inside a system call or packet line (an unterminated command?)");
      }
      if (auto h = action.find('#'); h != std::string::npos) {
        return err_at(s, "#", "unexpected '#' (packetdrill comments are // and /* */)");
      }
    }
    if (!any_event && tt->t != 0 && !tt->any) {
      return err(s, "the first event must be at time 0");
    }
    any_event = true;
    // Resolve: relative to the previous event's script time; a blocking end on the same base.
    const double base = prev;
    double at = tt->any ? prev : (tt->rel ? base + tt->t : tt->t);
    std::optional<double> range_end, block_end;
    if (tt->range_end) range_end = tt->range_rel ? base + *tt->range_end : *tt->range_end;
    if (tt->block_end) block_end = (tt->rel || tt->block_rel) ? base + *tt->block_end : *tt->block_end;
    // The scenario's clock counts int64 nanoseconds (about 9.2e9 s); say so in the script's words.
    constexpr double kMaxSeconds = 9e9;
    if (at > kMaxSeconds || range_end.value_or(0) > kMaxSeconds || block_end.value_or(0) > kMaxSeconds) {
      return err(s, "time '" + tw + "' is too large (at most " + fmt_time(kMaxSeconds) + " s)");
    }
    if (at + 1e-9 < prev_script && !tt->any) {
      return err(s, "time goes backwards: " + fmt_time(at) + " s is before the previous event's " + fmt_time(prev_script) + " s");
    }
    if (!tt->any) prev_script = at;
    const double gap = at - prev;
    const std::int64_t tol = std::max<std::int64_t>(
        tol_usecs, static_cast<std::int64_t>(std::llround(tol_percent / 100.0 * (range_end ? *range_end - prev : gap) * 1e6)));
    std::string tprefix = tt->any ? "*" : fmt_time(at);
    if (range_end) tprefix = fmt_time(at) + "~" + fmt_time(*range_end);
    if (block_end) tprefix = fmt_time(at) + "..." + fmt_time(*block_end);
    if (!tt->any) prev = at;

    const auto ev_loc = loc_of(s);
    Side sd;
    if (action[0] == '>' || action[0] == '<') {
      if (block_end) return err(s, "`...` (a blocking call) is for system calls, not packets");
      const bool outbound = action[0] == '>';
      if (!outbound && (tt->any || range_end)) return err(s, "`*` and `~` ranges are for outbound packets only");
      std::string rest = trim(action.substr(1));
      if (const auto lt = rest.find('<'); lt != std::string::npos && rest.find('>', lt) == std::string::npos) {
        // Else the scenario parser would look for the '>' in the lines after this one.
        const int dir = column_of(src, s.line, s.col, action.substr(0, 1));
        const int c = dir ? column_of(src, s.line, dir + 1, "<") : 0;
        return DrillError{path, s.line, c ? c : s.col, "'<' opens TCP options that no '>' closes"};
      }
      std::optional<DrillError> e;
      rest = packet_text(s, rest, outbound, &sd, &e);
      if (e) return e;
      std::string line;
      if (!outbound && !starts_with(rest, "icmp")) {
        // packetdrill sends ack 0 when an ACK-flagged packet does not say.
        static const std::regex ackless(R"(^([A-Z.\-]*\.[A-Z.]*\s+\d+:\d+\(\d+\))(\s|$))");
        std::smatch am;
        if (rest.find(" ack ") == std::string::npos && std::regex_search(rest, am, ackless)) {
          rest = am[1].str() + " ack 0" + rest.substr(static_cast<std::size_t>(am[1].length()));
        }
      }
      if (outbound && tt->any) any_wait_from = std::max(any_wait_from, prev);
      if (outbound) {
        // The next relative time counts from when this packet really came.
        // Until a run has shown when, a window's packet is taken to come at its end: the next
        // events then wait for it, as packetdrill's do.
        if (auto it = opt.actual_times.find(s.line); it != opt.actual_times.end()) {
          prev = it->second;
        } else if (range_end) {
          prev = *range_end;
        }
        sd.tolerance_us = tt->any ? 0 : tol;
        line = tprefix + " local > remote " + rest;
      } else {
        const bool icmp = starts_with(rest, "icmp");
        // In IPv6 mode packetdrill sends `icmp` lines as ICMPv6 (its names for the codes).
        if (icmp && mode == IpMode::kIpv6 && !starts_with(rest, "icmpv6")) rest = "icmpv6" + rest.substr(4);
        if (passive && !icmp) {
          line = tprefix + " inject remote:" + std::to_string(kRemotePort) + " > local:" + std::to_string(bind_port) +
                 " " + rest;
        } else {
          line = tprefix + " inject remote > local " + rest;
        }
      }
      side[static_cast<int>(lines.size())] = sd;
      lines.emplace_back(line, s.line);
      return std::nullopt;
    }
    if (action[0] == '`') {
      if (tt->any || range_end || block_end) return err(s, "a shell command takes a plain time");
      const auto e = action.rfind('`');
      if (e == 0) return err(s, "unterminated backtick command");
      auto r = timed_command(s, at, action.substr(1, e - 1));
      if (r && r->line == s.line && r->col == s.col) {
        if (const int c = column_of(src, s.line, s.col, "`")) r->col = c;  // at the command
      }
      return r;
    }
    if (starts_with(action, "%{")) {
      if (tt->any || range_end || block_end) return err(s, "a %{ }% block takes a plain time");
      const auto e = action.rfind("}%");
      const std::string code = action.substr(2, e == std::string::npos ? std::string::npos : e - 2);
      if (auto bad = check_tcpinfo_code(code)) return err(s, *bad);
      if (sut_fd < 0) return err(s, "%{ }% needs a socket under test (no socket() or accept() yet)");
      Expect x;
      x.host = "local";
      x.kind = Expect::Kind::kTcpInfo;
      x.fd = sut_fd;
      x.value_text = trim(code);
      x.loc = ev_loc;
      Event ev;
      ev.loc = ev_loc;
      ev.body = x;
      add_extra(at, s.line, ev);
      return std::nullopt;
    }
    // A system call: NAME(ARGS) = RESULT [ERRNO [(TEXT)]].
    if (tt->any || range_end) return err(s, "`*` and `~` ranges are for outbound packets only");
    const auto open = action.find('(');
    if (open == std::string::npos) return err(s, "expected a packet (< or >), a system call, a `command` or %{ }%");
    const std::string name = trim(action.substr(0, open));
    int depth = 0;
    std::size_t close = std::string::npos;
    for (std::size_t i = open; i < action.size(); ++i) {
      if (action[i] == '(' || action[i] == '[' || action[i] == '{') ++depth;
      if (action[i] == ')' || action[i] == ']' || action[i] == '}') {
        if (--depth == 0) {
          close = i;
          break;
        }
      }
    }
    if (close == std::string::npos) return err_at(s, "(", "unbalanced parentheses in " + name + "()");
    std::vector<std::string> args = split_args(action.substr(open + 1, close - open - 1));
    std::string result = trim(action.substr(close + 1));
    const auto a = addresses();
    auto ellipsis = [](const std::string& x) { return x == "..."; };
    if (name == "socket" && !args.empty() && ellipsis(args[0])) {
      args[0] = mode == IpMode::kIpv4 ? "AF_INET" : "AF_INET6";
    }
    if ((name == "bind" || name == "connect") && args.size() >= 2) {
      if (ellipsis(args[1])) {
        args[1] = name == "bind" ? sock_addr(a.local, bind_port) : sock_addr(a.remote, connect_port);
      }
      if (args.size() == 3 && ellipsis(args[2])) args.pop_back();
    }
    if ((name == "accept" || name == "accept4") && args.size() >= 3 && ellipsis(args[1]) && ellipsis(args[2])) {
      args.erase(args.begin() + 1, args.begin() + 3);
      if (name == "accept4") args.insert(args.begin() + 1, "...");
    }
    if (name == "sendto" && args.size() >= 5 && ellipsis(args[4])) {
      args[4] = sock_addr(a.remote, connect_port);
      if (args.size() == 6 && ellipsis(args[5])) args.pop_back();
    }
    if (name == "listen") passive = true;
    if (name == "connect" || (name == "sendto" && args.size() >= 4 && args[3].find("MSG_FASTOPEN") != std::string::npos)) {
      passive = false;
    }
    // The result: `= N`, `= -1 ERRNO (text)`, `= -1` (any errno).
    if (!starts_with(result, "=")) return err(s, "expected '= RESULT' after " + name + "()");
    std::string r = trim(result.substr(1));
    {
      // `ECONNRESET(Connection reset by peer)`: the parser wants a space before the text.
      std::string fixed;
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (r[i] == '(' && i > 0 && std::isalnum(static_cast<unsigned char>(r[i - 1]))) fixed += ' ';
        fixed += r[i];
      }
      r = fixed;
    }
    std::istringstream rs(r);
    std::string value, second;
    rs >> value >> second;
    if (value == "-1" && (second.empty() || second[0] == '(')) sd.any_errno = true;
    if ((name == "socket" || name == "accept" || name == "accept4") && value != "-1") {
      try {
        sut_fd = std::stoi(value);
      } catch (...) {
      }
    }
    if (block_end) sd.tolerance_us = tol;
    // packetdrill's blocking call runs on its own thread, and its END is checked within the
    // tolerance; the next call may come before END when the call returned earlier. The
    // scenario's thread model wants END no later than that next call: END is pulled back in
    // the text, and the true END restored after parsing (Syscall::returns_at).
    if (pending_block && pending_block->end > at + 1e-9) {
      auto& [text_line, src] = lines[pending_block->index];
      (void)src;
      text_line = fmt_time(pending_block->start) + "..." + fmt_time(at) + text_line.substr(text_line.find(' '));
      side[static_cast<int>(pending_block->index)].true_end = pending_block->end;
    }
    pending_block.reset();
    if (block_end) pending_block = Block{lines.size(), at, *block_end};
    max_end = std::max(max_end, block_end.value_or(at));
    std::string line = tprefix + " local: " + name + "(" + join(args, ", ") + ") = " + r;
    side[static_cast<int>(lines.size())] = sd;
    lines.emplace_back(line, s.line);
    return std::nullopt;
  }

  stack::Personality scratch;
};

void remap(SourceLoc& l, const std::vector<int>& map, const std::shared_ptr<const std::string>& file) {
  if (l.line >= 1 && static_cast<std::size_t>(l.line) <= map.size()) l.line = map[static_cast<std::size_t>(l.line) - 1];
  l.col = 1;
  l.file = file;
}

}  // namespace

std::string_view ip_mode_name(IpMode m) {
  switch (m) {
    case IpMode::kIpv4: return "ipv4";
    case IpMode::kIpv4MappedIpv6: return "ipv4-mapped-ipv6";
    case IpMode::kIpv6: return "ipv6";
  }
  return "ipv4";
}

std::optional<IpMode> ip_mode_from_name(std::string_view s) {
  if (s == "ipv4") return IpMode::kIpv4;
  if (s == "ipv4-mapped-ipv6") return IpMode::kIpv4MappedIpv6;
  if (s == "ipv6") return IpMode::kIpv6;
  return std::nullopt;
}

std::string DrillError::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": error: " + message;
}

std::pair<std::string, std::string> profile_for_path(const std::string& path) {
  // Per-folder era profiles. The 2013 scripts (google/packetdrill's gtests/net/packetdrill/
  // tests/linux/, deleted upstream in 2019) were written against Linux 3.11: a SYN or
  // SYN-ACK offers window scale 6 there, and SYN timeouts double from the first retry.
  const std::string p = std::filesystem::path(path).generic_string();
  if (p.find("packetdrill/tests/linux/") != std::string::npos) {
    return {"linux-3.11", "a 2013-era script (packetdrill/tests/linux/): Linux 3.11's defaults"};
  }
  return {"linux", "the current Linux profile (the script's folder has no era profile)"};
}

Result<DrillScript, DrillError> parse_drill(std::string_view text, const std::string& path, const DrillOptions& opt) {
  auto sp = split(text, path);
  if (!sp) return Err{sp.error()};
  Parsed& p = *sp;
  Translator t{path, opt, {}, text};
  auto [profile, reason] = profile_for_path(path);
  if (opt.profile) profile = *opt.profile, reason = "chosen with --profile";
  auto pers = stack::make_personality(profile);
  if (!pers) return Err{DrillError{path, 1, 1, "unknown personality '" + profile + "'"}};
  t.scratch = *pers;
  for (const auto& o : p.options) {
    if (auto e = t.option(o.text, &o)) return Err{*e};
  }
  for (const auto& o : opt.options) {
    // Command-line options have no line: the error names the option.
    if (!starts_with(o, "--")) return Err{DrillError{path, 0, 0, "expected a --option, got '" + o + "'"}};
    if (auto e = t.option(o, nullptr)) return Err{*e};
  }
  for (auto& s : p.stmts) {
    s.text = substitute(s.text, opt.defines);
    if (auto e = t.event(s)) return Err{*e};
  }
  if (!t.any_event) return Err{DrillError{path, 1, 1, "the script has no events"}};

  // Sysctls the personality knows; others are noted (tcp_frto, tcp_congestion_control, ...).
  std::vector<std::pair<std::string, std::string>> known;
  for (const auto& [n, v] : t.sysctls) {
    if (auto r = stack::set_sysctl(t.scratch, n, v); r) {
      known.emplace_back(n, v);
    } else {
      t.out.notes.push_back("sysctl " + n + "=" + v + " not applied: " + r.error());
    }
  }

  // The scenario text; line k of it came from source line map[k-1].
  const Addresses a = t.addresses();
  std::vector<int> map;
  std::string gen;
  auto emit = [&](const std::string& l, int src) {
    gen += l + "\n";
    map.push_back(src);
  };
  emit("title: " + std::filesystem::path(path).filename().string(), 1);
  emit("seed: 1", 1);
  const bool v6 = t.mode == IpMode::kIpv6;
  std::string local = "host local " + a.local + "/" + std::to_string(a.prefix) + " personality " + profile;
  if (t.mtu) local += " mtu " + std::to_string(*t.mtu);
  emit(local, 1);
  std::string remote = "host remote " + a.remote + (v6 ? "/32" : "/24") + " " + a.gateway + "/" + std::to_string(a.prefix);
  if (t.mtu) remote += " mtu " + std::to_string(*t.mtu);
  emit(remote, 1);
  emit("link local remote", 1);
  emit("neighbours static", 1);
  emit("route local default via " + a.gateway, 1);
  // The remote end is the script: its stack never answers (packetdrill's tun device).
  emit("filter remote input drop", 1);
  for (const auto& [n, v] : known) emit("sysctl local " + n + " = " + v, 1);
  const std::size_t first_event_line = map.size() + 1;
  for (const auto& [l, src] : t.lines) emit(l, src);
  // packetdrill checks nothing after the last event.
  double last = std::max(t.prev, t.max_end);
  if (t.any_wait_from >= 0) last = std::max(last, t.any_wait_from + Translator::kAnyWait);
  for (const auto& x : t.extras) last = std::max(last, x.at);
  emit(fmt_time(last) + " end", t.lines.empty() ? 1 : t.lines.back().second);

  auto parsed = parse_scenario(gen, path);
  if (!parsed) {
    const ParseError& pe = parsed.error();
    int line = pe.line >= 1 && static_cast<std::size_t>(pe.line) <= map.size() ? map[static_cast<std::size_t>(pe.line) - 1] : pe.line;
    std::string msg = pe.message;
    if (static_cast<std::size_t>(pe.line) >= first_event_line && static_cast<std::size_t>(pe.line) <= map.size()) {
      msg += " (in the translated line: " + trim(pe.source_line) + ")";
    }
    // The column of the word the caret is under, where the script has it (after the time).
    int col = 1;
    if (static_cast<std::size_t>(pe.line) >= first_event_line && static_cast<std::size_t>(pe.line) <= map.size()) {
      if (const int c = column_of(text, line, 2, word_at(pe.source_line, pe.caret_col))) col = c;
      if (starts_with(pe.message, "invalid UTF-8")) col = invalid_utf8_column(text, line);
    }
    return Err{DrillError{path, line, col, msg}};
  }
  Scenario sc = std::move(*parsed);
  sc.path = path;
  sc.drill = true;
  sc.drill_ts_tick_usecs = t.ts_tick;
  for (const auto& [k, v] : opt.defines) {
    if (k != "TFO_COOKIE") continue;
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
      try {
        bytes.push_back(static_cast<std::uint8_t>(std::stoi(v.substr(i, 2), nullptr, 16)));
      } catch (...) {
        return Err{DrillError{path, 0, 0, "-D TFO_COOKIE wants hex digits, got '" + v + "'"}};
      }
    }
    if (bytes.size() < 4 || bytes.size() > 16 || v.size() % 2) {
      return Err{DrillError{path, 0, 0, "-D TFO_COOKIE wants 4 to 16 bytes of hex, got '" + v + "'"}};
    }
    sc.drill_tfo_cookie = bytes;
  }
  const auto file = std::make_shared<const std::string>(path);
  // Side data by generated line (first_event_line + index).
  for (auto& e : sc.events) {
    const int gl = e.loc.line;
    const int idx = gl - static_cast<int>(first_event_line);
    if (auto it = t.side.find(idx); it != t.side.end()) {
      const auto& sd = it->second;
      if (auto* x = std::get_if<ExpectPacket>(&e.body)) {
        x->tolerance = sim::Duration::micros(sd.tolerance_us);
        x->script_ts_val = sd.ts_val;
      } else if (auto* c = std::get_if<Syscall>(&e.body)) {
        c->tolerance = sim::Duration::micros(sd.tolerance_us);
        c->any_errno = sd.any_errno;
        if (sd.true_end) c->returns_at = sim::Time::zero() + sim::Duration::micros(std::llround(*sd.true_end * 1e6));
      } else if (auto* in = std::get_if<Inject>(&e.body)) {
        in->script_ts_ecr = sd.ts_ecr;
      }
    }
    remap(e.loc, map, file);
    std::visit([&](auto& b) {
      if constexpr (requires { b.loc; }) remap(b.loc, map, file);
    }, e.body);
    if (auto* x = std::get_if<ExpectPacket>(&e.body)) remap(x->packet.loc, map, file);
    if (auto* in = std::get_if<Inject>(&e.body)) remap(in->packet.loc, map, file);
  }
  // The events the scenario language has no line for, in script order.
  if (!t.extras.empty()) {
    std::vector<Event> merged;
    merged.reserve(sc.events.size() + t.extras.size());
    std::size_t k = 0;
    for (auto& e : sc.events) {
      while (k < t.extras.size() && t.extras[k].src_line < e.loc.line && t.extras[k].at <= (e.at - sim::Time::zero()).seconds_f() + 1e-9) {
        Event x = t.extras[k].ev;
        x.at = x.latest = sim::Time::zero() + sim::Duration::micros(std::llround(t.extras[k].at * 1e6));
        merged.push_back(std::move(x));
        ++k;
      }
      merged.push_back(std::move(e));
    }
    for (; k < t.extras.size(); ++k) {
      Event x = t.extras[k].ev;
      x.at = x.latest = sim::Time::zero() + sim::Duration::micros(std::llround(t.extras[k].at * 1e6));
      merged.insert(merged.end() - (merged.empty() ? 0 : 1), std::move(x));  // before `end`
    }
    sc.events = std::move(merged);
  }
  sc.loc.file = file;
  t.out.scenario = std::move(sc);
  t.out.mode = t.mode;
  t.out.profile = profile;
  t.out.profile_reason = reason;
  t.out.expected_failure = p.failure_comment;
  t.out.expected_failure_line = p.failure_line;
  t.out.generated = gen;
  t.out.source = std::string(text);
  t.out.options = opt;
  return std::move(t.out);
}

Result<DrillScript, DrillError> load_drill(const std::string& path, const DrillOptions& opt) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err{DrillError{path, 0, 0, "cannot read the script"}};
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  auto d = parse_drill(text, path, opt);
  if (!d && d.error().line > 0) {
    // The source line and caret, as the scenario parser shows them.
    DrillError e = d.error();
    const std::string full = make_parse_error(text, path, e.line, e.col, e.message).to_string();
    e.excerpt = full.substr(full.find('\n') + 1);
    return Err{std::move(e)};
  }
  return d;
}

namespace {

// "wrong TCP ack number: expected 1, got 0" -> packetdrill's field name and values.
std::optional<std::string> field_diff(const std::string& m) {
  static const std::regex re(R"(^wrong (.+): expected (.*), got (.*)$)");
  std::smatch s;
  if (!std::regex_match(m, s, re)) return std::nullopt;
  const std::string what = s[1], want = s[2], got = s[3];
  static const std::map<std::string, std::string> names = {
      {"TCP sequence number", "tcp_seq"}, {"TCP ack number", "tcp_ack_seq"}, {"TCP window", "tcp_window"},
      {"TCP urgent pointer", "tcp_urg_ptr"}, {"TCP payload length", "tcp_payload_len"},
  };
  auto num = [](const std::string& v) {
    try {
      std::size_t k = 0;
      const auto x = std::stoull(v, &k);
      if (k != v.size()) return v;
      std::ostringstream o;
      o << x << " (0x" << std::hex << x << ")";
      return o.str();
    } catch (...) {
      return v;
    }
  };
  if (auto it = names.find(what); it != names.end()) {
    return "live packet field " + it->second + ": expected: " + num(want) + " vs actual: " + num(got);
  }
  if (what == "TCP flags") {
    // The first flag that differs, in the order packetdrill checks them.
    static const std::pair<char, const char*> flags[] = {{'F', "tcp_fin"}, {'S', "tcp_syn"}, {'R', "tcp_rst"},
                                                         {'P', "tcp_psh"}, {'.', "tcp_ack"}, {'U', "tcp_urg"},
                                                         {'E', "tcp_ece"}, {'W', "tcp_cwr"}};
    for (const auto& [c, n] : flags) {
      const bool a = want.find(c) != std::string::npos, b = got.find(c) != std::string::npos;
      if (a != b) {
        return "live packet field " + std::string(n) + ": expected: " + (a ? "1 (0x1)" : "0 (0x0)") +
               " vs actual: " + (b ? "1 (0x1)" : "0 (0x0)");
      }
    }
  }
  return "bad outbound " + what + ": expected: " + want + " actual: " + got;
}

std::string errno_text(const std::string& name) {
  auto e = stack::errno_from_name(name);
  if (!e) return name;
  return "errno " + std::to_string(stack::linux_number(*e)) + " (" + std::string(stack::message(*e)) + ")";
}

}  // namespace

std::string packetdrill_error(const DrillScript& d, const Failure& f, std::string* first_line) {
  const std::string where = d.scenario.path + ":" + std::to_string(f.loc.line) + ": ";
  std::string msg = f.message;
  static const std::regex call_re(R"(^([a-z_0-9]+)\(\): expected (.*) but got (-?\d+)(?: ([A-Z0-9]+) \(.*\))?$)");
  static const std::regex timing_re(R"(^packet sent too (early|late): at ([0-9.]+) s, expected (?:between )?([0-9.]+) s(?: and ([0-9.]+) s)?$)");
  std::smatch m;
  if (std::regex_match(msg, m, call_re)) {
    const std::string call = m[1], want = m[2], got = m[3], en = m[4];
    std::string got_text = got;
    if (!en.empty()) got_text += " with " + errno_text(en);
    std::string want_text;
    const bool fd_result = (call == "socket" || call == "accept" || call == "accept4") && want.find(' ') == std::string::npos &&
                           want != "-1" && want.size() && want[0] != '-';
    if (fd_result) want_text = "Expected non-negative result";
    else want_text = "Expected result " + want;
    msg = "runtime error in " + call + " call: " + want_text + " but got " + got_text;
  } else if (std::regex_match(msg, m, timing_re)) {
    msg = "error handling packet: timing error: expected outbound packet at " + std::string(m[3]) + " sec but happened at " +
          std::string(m[2]) + " sec";
  } else if (msg.rfind("expected packet was not sent", 0) == 0) {
    msg = "error handling packet: Timed out waiting for packet";
  } else if (auto fd = field_diff(msg)) {
    msg = "error handling packet: " + *fd;
  } else if (!f.expected.empty() || !f.actual.empty()) {
    msg = "error handling packet: " + msg;
  } else {
    msg = "error: " + msg;
  }
  if (first_line) *first_line = msg;
  std::string out = where + msg + "\n";
  if (!f.expected.empty()) out += "script packet: " + f.expected + "\n";
  if (!f.actual.empty()) out += "actual packet: " + f.actual + "\n";
  for (const auto& n : f.notes) out += "  " + n + "\n";
  return out;
}

DrillOutcome run_drill(const DrillScript& d0, const RunOptions& opt) {
  DrillOutcome o;
  // packetdrill anchors each relative time on when the previous event really happened (an
  // outbound packet: when it was sniffed). The simulation is deterministic, so: run, learn
  // when each expected packet came, resolve the times again with those, and run again, until
  // nothing moves. Only the last run's captures are kept.
  DrillScript d = d0;
  RunOptions quiet = opt;
  quiet.capture_dir.clear();
  int rounds = 1;
  for (;; ++rounds) {
    const bool last_round = rounds >= 32;
    o.result = run_scenario(d.scenario, last_round ? opt : quiet);
    std::map<int, double> actual = d.options.actual_times;
    for (const auto& [line, at] : o.result.matched_at) actual[line] = (at - sim::Time::zero()).seconds_f();
    if (actual == d.options.actual_times || last_round) {
      if (!last_round && !opt.capture_dir.empty()) o.result = run_scenario(d.scenario, opt);
      break;
    }
    DrillOptions next = d.options;
    next.actual_times = actual;
    auto again = parse_drill(d.source, d.scenario.path, next);
    if (!again) {  // the same text parsed before; keep the last run, with its captures
      if (!opt.capture_dir.empty()) o.result = run_scenario(d.scenario, opt);
      break;
    }
    d = std::move(*again);
  }
  d.resolutions = rounds;
  if (o.result.failure) o.error = packetdrill_error(d, *o.result.failure, &o.first_line);
  if (d.expected_failure) {
    o.expected_failure = true;
    if (o.result.failure) {
      std::regex re;
      bool ok = true;
      try {
        re = std::regex(*d.expected_failure);
      } catch (const std::regex_error&) {
        ok = false;
      }
      o.passed = ok ? std::regex_match(o.first_line, re) : o.first_line == *d.expected_failure;
    }
  } else {
    o.passed = o.result.passed;
  }
  return o;
}

}  // namespace synlab::harness::drill
