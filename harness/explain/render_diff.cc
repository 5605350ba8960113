// One scenario under two personalities, compared step by step.
//
// Each run is reduced to its steps: the socket calls with their results, the packets, the state
// changes and the timers, each with a key that leaves out what is expected to vary between two
// stacks without being a different step (times, ephemeral ports, timestamp values) and a full
// text. The two lists are aligned on their keys (longest common subsequence), and the aligned
// list is printed in two columns: the same step with the same outcome, the same step at another
// time ('~'), the same step with another outcome ('!'), or a step only one of them took ('<',
// '>'). Above it, the calls whose results differ: usually the point of the comparison.
#include <algorithm>
#include <regex>
#include <sstream>

#include "harness/explain/render.h"
#include "harness/explain/text_util.h"

namespace synlab::harness::explain {

namespace {

struct Step {
  std::string key;      // what the step is
  std::string outcome;  // how it came out (compared when the keys match)
  std::string text;     // shown
  sim::Time at;
  const Row* row = nullptr;
};

// "client:40312 > server:7000" -> "client > server"; timestamp values to "*".
std::string normalise(const std::string& s) {
  static const std::regex port(R"(:(\d+)( |$))");
  static const std::regex ts(R"(TS val \d+ ecr \d+)");
  std::string t = std::regex_replace(s, ts, "TS val * ecr *");
  return std::regex_replace(t, port, "$2");
}

std::vector<Step> steps_of(const Ladder& l) {
  std::vector<Step> v;
  for (const auto& r : l.rows) {
    Step s;
    s.at = r.at;
    s.row = &r;
    const std::string host = host_of(l, r.col);
    switch (r.kind) {
      case RowKind::kCall:
      case RowKind::kReturn:
        // Not the script line: a [linux] line and its [bsd] alternative are the same step.
        s.key = "call " + host + ": " + r.call + (r.kind == RowKind::kReturn ? " returns" : "");
        s.outcome = r.result.empty() ? "blocks" : r.result;
        s.text = host + ": " + r.call + (r.kind == RowKind::kReturn ? " returns " : " = ") +
                 (r.result.empty() ? "... (blocks)" : r.result);
        break;
      case RowKind::kPacket: {
        const std::string ends = normalise(r.endpoints);
        const std::string label = normalise(r.label);
        s.key = "packet " + ends + " " + r.flags;
        s.outcome = label + (r.drop.empty() ? "" : " (dropped)");
        s.text = (r.endpoints.empty() ? "" : ends + " ") + label;
        if (!r.drop.empty()) s.text += r.dropped_on_link ? " (lost)" : " (dropped)";
        if (r.retransmission > 0) s.text += " (retransmission " + std::to_string(r.retransmission) + ")";
        break;
      }
      case RowKind::kState:
        s.key = "state " + host + " " + normalise(r.text);
        s.text = r.text;
        break;
      case RowKind::kTimer:
        s.key = "timer " + host + " " + r.text;
        s.text = r.text.rfind(host, 0) == 0 ? r.text : host + ": " + r.text;
        break;
      case RowKind::kNote:
        continue;  // the stack's and the script's remarks are not steps
    }
    v.push_back(std::move(s));
  }
  return v;
}

struct Pair {
  int a = -1, b = -1;
};

std::vector<Pair> align(const std::vector<Step>& A, const std::vector<Step>& B) {
  const std::size_t n = A.size(), m = B.size();
  std::vector<Pair> out;
  if (n * m > 16'000'000) {
    // Too long to align exactly: pair them in order.
    for (std::size_t i = 0; i < std::max(n, m); ++i) {
      out.push_back({i < n ? static_cast<int>(i) : -1, i < m ? static_cast<int>(i) : -1});
    }
    return out;
  }
  std::vector<std::vector<std::uint32_t>> L(n + 1, std::vector<std::uint32_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      L[i][j] = A[i].key == B[j].key ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
    }
  }
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && A[i].key == B[j].key) {
      out.push_back({static_cast<int>(i++), static_cast<int>(j++)});
    } else if (j >= m || (i < n && L[i + 1][j] >= L[i][j + 1])) {
      out.push_back({static_cast<int>(i++), -1});
    } else {
      out.push_back({-1, static_cast<int>(j++)});
    }
  }
  return out;
}

std::string cell(const Step* s, std::size_t width) {
  if (!s) return std::string(width, ' ');
  std::string t = pad_left(sim::format_seconds(s->at), 10) + " " + s->text;
  if (t.size() > width) t = t.substr(0, width - 3) + "...";
  return t + std::string(width - t.size(), ' ');
}

}  // namespace

void render_diff(const Ladder& a, const Ladder& b, const TextStyle& style, std::ostream& out) {
  const int width = std::max(60, style.width);
  auto paint = [&](const char* c, const std::string& s) { return style.color ? std::string(c) + s + "\x1b[0m" : s; };
  const std::string& pa = a.personality;
  const std::string& pb = b.personality;

  out << paint("\x1b[1m", a.title.empty() ? a.path : a.title) << "\n";
  out << a.path << " | " << pa << " vs " << pb << " | seed " << a.seed << "\n\n";
  auto verdict = [&](const Ladder& l) {
    return l.passed ? paint("\x1b[32m", "PASS") : paint("\x1b[31m", "FAIL");
  };
  out << "  " << pa << ": " << verdict(a) << ", " << a.packets << " packets, " << a.drops << " dropped, "
      << a.retransmissions << " retransmissions, ended at " << sim::format_seconds(a.end) << " s\n";
  out << "  " << pb << ": " << verdict(b) << ", " << b.packets << " packets, " << b.drops << " dropped, "
      << b.retransmissions << " retransmissions, ended at " << sim::format_seconds(b.end) << " s\n\n";

  const std::vector<Step> A = steps_of(a), B = steps_of(b);
  const std::vector<Pair> pairs = align(A, B);

  // The outcomes: calls whose result (or return time) differs.
  std::vector<std::string> outcomes;
  int differing = 0;
  for (const auto& p : pairs) {
    const Step* x = p.a >= 0 ? &A[static_cast<std::size_t>(p.a)] : nullptr;
    const Step* y = p.b >= 0 ? &B[static_cast<std::size_t>(p.b)] : nullptr;
    if (!x || !y || x->outcome != y->outcome || x->at != y->at) ++differing;
    const Step* call = x ? x : y;
    if (call->row->kind != RowKind::kCall && call->row->kind != RowKind::kReturn) continue;
    if (x && y && x->outcome == y->outcome && x->at == y->at) continue;
    std::ostringstream o;
    const Row& r = *call->row;
    o << "line " << r.line << ", " << host_of(x ? a : b, r.col) << ": " << r.call << "\n";
    auto side = [&](const std::string& name, const Step* s) {
      o << "    " << name << ": ";
      if (!s) {
        o << "(not reached)\n";
        return;
      }
      o << (s->row->result.empty() ? "... (blocks)" : s->row->result) << " at " << sim::format_seconds(s->at) << " s\n";
      if (!s->row->meaning.empty()) o << "      " << s->row->errno_name << ": " << s->row->meaning << "\n";
    };
    side(pa, x);
    side(pb, y);
    outcomes.push_back(o.str());
  }
  if (outcomes.empty()) {
    out << "Every socket call returns the same under " << pa << " and " << pb << ", at the same time.\n";
  } else {
    out << paint("\x1b[1m", "Calls whose outcome differs") << " (" << outcomes.size() << "):\n";
    for (const auto& o : outcomes) out << "  " << o;
  }
  out << "\n";
  if (differing == 0) {
    out << "The two runs take the same " << A.size() << " steps at the same times.\n";
  } else {
    out << paint("\x1b[1m", "Step by step") << " (" << differing << " of " << pairs.size()
        << " differ; '~' same step at another time, '!' another outcome, '<' only " << pa << ", '>' only " << pb
        << "):\n";
    const std::size_t half = static_cast<std::size_t>((width - 5) / 2);
    {
      std::string ha = pa, hb = pb;
      ha.resize(half, ' ');
      out << "  " << paint("\x1b[1m", ha) << " | " << paint("\x1b[1m", hb) << "\n";
    }
    auto mark_of = [&](const Pair& p) {
      const Step* x = p.a >= 0 ? &A[static_cast<std::size_t>(p.a)] : nullptr;
      const Step* y = p.b >= 0 ? &B[static_cast<std::size_t>(p.b)] : nullptr;
      if (!y) return '<';
      if (!x) return '>';
      if (x->outcome != y->outcome) return '!';
      if (x->at != y->at) return '~';
      return ' ';
    };
    // Like diff -U3: the steps that differ, with three identical steps of context either side.
    constexpr std::size_t kContext = 3;
    std::vector<bool> shown(pairs.size(), false);
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      if (mark_of(pairs[i]) == ' ') continue;
      const std::size_t lo = i >= kContext ? i - kContext : 0;
      for (std::size_t k = lo; k < std::min(pairs.size(), i + kContext + 1); ++k) shown[k] = true;
    }
    std::size_t skipped = 0;
    auto flush_skipped = [&] {
      if (skipped) out << "  " << paint("\x1b[2m", "... " + std::to_string(skipped) + " identical steps ...") << "\n";
      skipped = 0;
    };
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      if (!shown[i]) {
        ++skipped;
        continue;
      }
      flush_skipped();
      const Pair& p = pairs[i];
      const Step* x = p.a >= 0 ? &A[static_cast<std::size_t>(p.a)] : nullptr;
      const Step* y = p.b >= 0 ? &B[static_cast<std::size_t>(p.b)] : nullptr;
      const char mark = mark_of(p);
      std::string line = std::string(1, mark) + " " + cell(x, half) + " | " + cell(y, half);
      line.erase(line.find_last_not_of(' ') + 1);
      out << (mark == ' ' ? line : paint(mark == '!' ? "\x1b[1;31m" : "\x1b[33m", line)) << "\n";
      if (mark == '!') {
        // The columns cut long packets: show both in full, where they differ.
        for (const auto& [name, st] : {std::pair{pa, x}, std::pair{pb, y}}) {
          for (const auto& w : wrap(name + ": " + st->text, width - 6)) out << "      " << paint("\x1b[2m", w) << "\n";
        }
      }
    }
    flush_skipped();
  }
  for (const Ladder* l : {&a, &b}) {
    if (!l->passed && !l->failure.empty()) {
      out << "\n" << l->personality << " failed:\n" << l->failure;
      if (l->failure.back() != '\n') out << "\n";
    }
  }
}

}  // namespace synlab::harness::explain
