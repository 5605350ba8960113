// The terminal ladder.
//
// Time runs down the page. The hosts are lanes ('|') on the left, close together, so the
// whole exchange reads at a glance; each row's details (the packet in script syntax, why it
// was sent, where and why it was dropped, the call and its errno's meaning) are on the right,
// wrapped to the width. Packets are horizontal arrows between lanes: the arrow says who sent
// to whom, the text says when it arrived.
#include <algorithm>
#include <sstream>

#include "harness/explain/render.h"
#include "harness/explain/text_util.h"

namespace synlab::harness::explain {

namespace {

constexpr int kTimeWidth = 11;  // "  0.025000 "

const char* kReset = "\x1b[0m";

const char* packet_color(const Row& r) {
  if (!r.drop.empty()) return "\x1b[1;31m";                      // bold red: dropped
  if (r.flags.find('R') != std::string::npos) return "\x1b[31m";  // red: RST
  if (r.flags.find('S') != std::string::npos) return "\x1b[32m";  // green: SYN
  if (r.flags.find('F') != std::string::npos) return "\x1b[34m";  // blue: FIN
  if (r.flags.rfind("ICMP", 0) == 0) return "\x1b[31m";
  return "\x1b[0m";
}

const char* row_color(const Row& r) {
  switch (r.kind) {
    case RowKind::kPacket: return packet_color(r);
    case RowKind::kCall:
    case RowKind::kReturn: return r.errno_name.empty() ? "\x1b[36m" : "\x1b[1;36m";
    case RowKind::kState: return "\x1b[33m";
    case RowKind::kTimer: return "\x1b[35m";
    case RowKind::kNote: return "\x1b[2m";
  }
  return kReset;
}

char marker(RowKind k) {
  switch (k) {
    case RowKind::kCall:
    case RowKind::kReturn: return 'o';
    case RowKind::kState: return '+';
    case RowKind::kTimer: return '!';
    case RowKind::kNote: return '~';
    case RowKind::kPacket: break;
  }
  return '?';
}

struct Layout {
  int n = 1;
  int gap = 14;
  int lanes_width() const { return (n - 1) * gap + 1; }
  int x(int col) const { return col * gap; }
};

std::string lanes(const Layout& lay) {
  std::string s(static_cast<std::size_t>(lay.lanes_width()), ' ');
  for (int i = 0; i < lay.n; ++i) s[static_cast<std::size_t>(lay.x(i))] = '|';
  return s;
}

// The lane area of a packet row: an arrow from the sender's lane to the receiver's.
std::string arrow(const Layout& lay, const Row& r, int to) {
  std::string s = lanes(lay);
  auto put = [&s](int x, char c) {
    if (x >= 0 && static_cast<std::size_t>(x) < s.size()) s[static_cast<std::size_t>(x)] = c;
  };
  const int a = r.col;
  if (a < 0) return s;
  if (to < 0 || to == a) {
    // To itself (loopback) or to nobody the world knows.
    put(lay.x(a), '@');
    return s;
  }
  const int xa = lay.x(a), xb = lay.x(to);
  const int dir = xb > xa ? 1 : -1;
  int end = xb - dir;  // the last arrow character
  if (r.dropped_on_link) end = xa + (xb - xa) / 2;
  for (int x = xa + dir; x != end + dir; x += dir) put(x, '-');
  if (r.dropped_on_link) {
    put(end, 'x');
  } else {
    put(end, dir > 0 ? '>' : '<');
    if (!r.drop.empty()) put(xb, 'X');
  }
  // The flags inside the arrow, when they fit with a dash either side.
  const int lo = std::min(xa, end) + 2, hi = std::max(xa, end) - 2;
  const int room = hi - lo + 1;
  if (static_cast<int>(r.flags.size()) <= room) {
    const int start = lo + (room - static_cast<int>(r.flags.size())) / 2;
    for (std::size_t i = 0; i < r.flags.size(); ++i) put(start + static_cast<int>(i), r.flags[i]);
  }
  return s;
}

// The details of a row, as paragraphs (the first is the headline).
std::vector<std::string> describe(const Ladder& l, const Row& r) {
  std::vector<std::string> d;
  const std::string host = host_of(l, r.col);
  switch (r.kind) {
    case RowKind::kPacket: {
      std::string head = r.endpoints.empty() ? r.label : r.endpoints + " " + r.label;
      d.push_back(head);
      if (r.retransmission > 0) d.push_back("retransmission " + std::to_string(r.retransmission));
      if (!r.cause.empty()) d.push_back("why: " + r.cause);
      if (r.arrived && *r.arrived != r.at && r.drop.empty()) {
        d.push_back("arrives at " + host_of(l, r.to_col) + " " + sim::format_seconds(*r.arrived) + " s");
      }
      if (!r.effect.empty()) d.push_back(host_of(l, r.to_col) + ": " + r.effect);
      if (!r.drop.empty()) {
        if (r.dropped_on_link) {
          d.push_back("LOST on the link: " + r.drop);
        } else if (r.drop.rfind("dropped", 0) == 0) {
          d.push_back("DROPPED" + r.drop.substr(7));
        } else {
          d.push_back("DROPPED: " + r.drop);
        }
      } else if (!r.arrived) {
        d.push_back("still in flight when the run ended");
      }
      break;
    }
    case RowKind::kCall:
      if (r.result.empty()) {
        d.push_back(host + ": " + r.call + " ... (blocks)");
      } else {
        d.push_back(host + ": " + r.call + " = " + r.result);
      }
      if (!r.meaning.empty()) d.push_back(r.errno_name + ": " + r.meaning);
      break;
    case RowKind::kReturn:
      d.push_back(host + ": " + r.call + " returns " + r.result);
      if (!r.meaning.empty()) d.push_back(r.errno_name + ": " + r.meaning);
      break;
    case RowKind::kState:
    case RowKind::kTimer:
    case RowKind::kNote:
      d.push_back((r.col >= 0 && r.text.rfind(host, 0) != 0 ? host + ": " : std::string()) + r.text);
      if (!r.detail.empty()) d.push_back("(" + r.detail + ")");
      break;
  }
  return d;
}

}  // namespace

void render_text(const Ladder& l, const TextStyle& style, std::ostream& out) {
  const int width = std::max(60, style.width);
  auto paint = [&](const char* c, const std::string& s) {
    return style.color ? std::string(c) + s + kReset : s;
  };

  // Header: the lesson. Every line fits the width, the header's too.
  auto print_wrapped = [&](const std::string& text, const char* color, const std::string& indent = "") {
    for (const auto& w : wrap(text, width - static_cast<int>(indent.size()))) out << indent << paint(color, w) << "\n";
  };
  print_wrapped(l.title.empty() ? l.path : l.title, "\x1b[1m");
  print_wrapped(l.path + " | personality " + l.personality + " | seed " + std::to_string(l.seed), "");
  if (!l.about.empty()) {
    out << "\n";
    std::string para;
    auto flush = [&] {
      if (para.empty()) return;
      print_wrapped(para, "", "  ");
      para.clear();
    };
    for (const auto& a : l.about) {
      if (a.empty()) {
        flush();
        out << "\n";
        continue;
      }
      para += (para.empty() ? "" : " ") + a;
    }
    flush();
  }
  out << "\n";
  for (const auto& c : l.columns) {
    print_wrapped(c.host + ": " + (c.addresses.empty() ? "(no address)" : c.addresses) + " (" + c.personality + ")", "", "  ");
  }
  print_wrapped("o call   + state change   ! timer   ~ note   -> packet   x lost on the link   X dropped by the receiver",
          "\x1b[2m", "  ");
  out << "\n";

  Layout lay;
  lay.n = std::max<int>(1, static_cast<int>(l.columns.size()));
  if (lay.n > 1) {
    const int avail = width - kTimeWidth - 2 - 36;
    lay.gap = std::clamp(avail / (lay.n - 1), 6, 16);
  }
  const int desc_x = kTimeWidth + lay.lanes_width() + 2;
  const int desc_w = std::max(24, width - desc_x);

  // The lane header: names over their lanes, staggered over two lines when they would touch.
  {
    std::vector<std::string> head(2, std::string(static_cast<std::size_t>(kTimeWidth + lay.lanes_width() + 16), ' '));
    head[0].replace(0, 10, "  time (s)");
    bool two = false;
    for (int i = 0; i + 1 < lay.n; ++i) {
      two |= static_cast<int>(l.columns[static_cast<std::size_t>(i)].host.size()) >= lay.gap;
    }
    for (int i = 0; i < lay.n && static_cast<std::size_t>(i) < l.columns.size(); ++i) {
      auto& h = head[two ? static_cast<std::size_t>(i % 2) : 0];
      const std::string& name = l.columns[static_cast<std::size_t>(i)].host;
      const std::size_t at = static_cast<std::size_t>(kTimeWidth + lay.x(i));
      if (h.size() < at + name.size()) h.resize(at + name.size(), ' ');
      h.replace(at, name.size(), name);
    }
    for (int k = 0; k < (two ? 2 : 1); ++k) {
      std::string h = head[static_cast<std::size_t>(k)];
      h.erase(h.find_last_not_of(' ') + 1);
      out << paint("\x1b[1m", h) << "\n";
    }
  }

  std::string last_time;
  const std::string blank_time(static_cast<std::size_t>(kTimeWidth), ' ');
  for (const auto& r : l.rows) {
    std::string t = sim::format_seconds(r.at);
    std::string time_field = t == last_time ? blank_time : pad_left(t, kTimeWidth - 1) + " ";
    last_time = t;
    std::string lane;
    if (r.kind == RowKind::kPacket) {
      lane = arrow(lay, r, destination(l, r));
    } else {
      lane = lanes(lay);
      if (r.col >= 0) lane[static_cast<std::size_t>(lay.x(r.col))] = marker(r.kind);
    }
    const char* color = row_color(r);
    const std::vector<std::string> paras = describe(l, r);
    bool first = true;
    for (std::size_t p = 0; p < paras.size(); ++p) {
      const auto wrapped = wrap(paras[p], desc_w - (p == 0 ? 0 : 2));
      for (const auto& w : wrapped) {
        if (first) {
          out << time_field << paint(color, lane) << "  " << paint(p == 0 ? color : "\x1b[2m", w);
          first = false;
        } else {
          const std::string indent = p == 0 ? "" : "  ";
          const bool alarm = w.rfind("LOST", 0) == 0 || w.rfind("DROPPED", 0) == 0 ||
                             (!r.errno_name.empty() && w.rfind(r.errno_name + ":", 0) == 0);
          out << blank_time << lanes(lay) << "  " << indent << paint(alarm ? "\x1b[31m" : "\x1b[2m", w);
        }
        out << "\n";
      }
    }
  }

  out << "\n";
  std::ostringstream sum;
  sum << l.packets << " packet" << (l.packets == 1 ? "" : "s") << ", " << l.drops << " dropped, " << l.retransmissions
      << " retransmission" << (l.retransmissions == 1 ? "" : "s") << ", ended at " << sim::format_seconds(l.end)
      << " s (virtual)";
  const std::string verdict = l.passed ? (l.expected_failure ? "PASS (failed as expected)" : "PASS") : "FAIL";
  const auto summary = wrap(verdict + ": " + sum.str(), width);
  for (std::size_t i = 0; i < summary.size(); ++i) {
    if (i == 0) {
      out << paint(l.passed ? "\x1b[1;32m" : "\x1b[1;31m", verdict) << summary[0].substr(verdict.size()) << "\n";
    } else {
      out << summary[i] << "\n";
    }
  }
  // The runner's report, as `synlab run` prints it (its packet lines are not wrapped: they are
  // script syntax to copy).
  if ((!l.passed || l.expected_failure) && !l.failure.empty()) {
    out << l.failure;
    if (l.failure.back() != '\n') out << "\n";
  }
}

}  // namespace synlab::harness::explain
