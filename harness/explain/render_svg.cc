// The SVG ladder.
//
// Hosts are vertical lifelines; time runs down. Virtual times span nanoseconds to minutes, so
// the time axis is piecewise: every distinct instant (a row, or a packet's arrival) gets a band
// of its own, the things that happen at that instant stacked in it in trace order, and the gap
// between two bands grows with the logarithm of the time between them (a long gap is marked as
// a break on the axis, with its length). A packet is a slanted arrow from its sender's slot to
// its receiver's arrival slot, labelled along the arrow; everything else (calls, state changes,
// timers, notes) is a label beside its host's lifeline: outside the lanes for the first and
// last host, so labels and arrows do not cross.
//
// Text is monospace, so its width is known here without a font engine: labels too long for
// their room are shortened, and the full text is in a <title> (a tooltip in a browser).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>

#include "harness/explain/render.h"

namespace synlab::harness::explain {

namespace {

constexpr double kChar = 6.6;       // advance of an 11px monospace character (0.6 em)
constexpr double kSmallChar = 6.0;  // 10px
constexpr double kLine = 13;        // line pitch of annotation text
constexpr double kAxisWidth = 100;  // the time labels
constexpr int kMaxAnnotation = 72;  // characters beside a lifeline before shortening
constexpr double kTop = 118;        // the first band

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  std::string s = b;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

// `s` cut to `n` characters, with an ellipsis when something was cut. Never cuts inside a
// UTF-8 sequence.
std::string shorten(const std::string& s, int n) {
  if (n < 2) n = 2;
  // Count code points, not bytes: the arrow in "SYN_SENT → ESTABLISHED" is one character.
  std::size_t count = 0, cut = std::string::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (count == static_cast<std::size_t>(n - 1)) cut = i;
    ++count;
  }
  if (count <= static_cast<std::size_t>(n)) return s;
  return s.substr(0, cut) + "\u2026";
}

// The last `n` characters of `s`.
std::string tail(const std::string& s, int n) {
  int seen = 0;
  for (std::size_t i = s.size(); i-- > 0;) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (++seen == n) return s.substr(i);
  }
  return s;
}

int text_len(const std::string& s) {
  int n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The row's text without its host's name in front: the lane already says whose it is.
std::string without_host(const Ladder& l, const Row& r, const std::string& text) {
  const std::string host = host_of(l, r.col);
  if (r.col >= 0 && text.size() > host.size() + 1 && text.rfind(host, 0) == 0 && text[host.size()] == ' ') {
    return text.substr(host.size() + 1);
  }
  return text;
}

// The colour class of a packet, by what it is.
const char* packet_class(const Row& r) {
  const std::string& f = r.flags;
  if (f.rfind("ICMP", 0) == 0) return "icmp";
  if (f == "ARP" || f == "NDP") return "arp";
  if (f == "UDP") return "udp";
  if (f.find('R') != std::string::npos) return "rst";
  if (f.find('S') != std::string::npos) return "syn";
  if (f.find('F') != std::string::npos) return "fin";
  if (f.find('P') != std::string::npos || f.find("data") != std::string::npos) return "data";
  return "ack";
}

// The full story of a packet, for its tooltip.
std::string packet_tooltip(const Ladder& l, const Row& r) {
  std::string t = r.endpoints.empty() ? r.label : r.endpoints + " " + r.label;
  t += "\nsent by " + host_of(l, r.col) + " at " + sim::format_seconds(r.at) + " s";
  if (r.retransmission > 0) t += "\nretransmission " + std::to_string(r.retransmission);
  if (!r.cause.empty()) t += "\nwhy: " + r.cause;
  if (!r.effect.empty()) t += "\n" + host_of(l, r.to_col) + ": " + r.effect;
  if (!r.drop.empty()) t += std::string(r.dropped_on_link ? "\nLOST on the link: " : "\nDROPPED: ") + r.drop;
  if (r.arrived) {
    t += "\narrives at " + host_of(l, r.to_col) + " " + sim::format_seconds(*r.arrived) + " s";
  } else if (r.drop.empty()) {
    t += "\nstill in flight when the run ended";
  }
  return t;
}

// The "why" line under a packet's arrow, with its retransmission number.
std::string packet_cause(const Row& r) {
  std::string c = r.cause;
  if (r.retransmission > 0) {
    const std::string mark = "retransmission " + std::to_string(r.retransmission);
    if (c.find(mark) == std::string::npos) c = c.empty() ? mark : mark + ": " + c;
  }
  return c;
}

// One thing placed on the time axis: a row, or a packet's arrival.
struct Tick {
  sim::Time at;
  int phase = 1;       // 0: an arrival before the rows of its instant; 1: rows (and same-instant arrivals)
  double order = 0;    // the row's index (+0.5 for a same-instant arrival)
  std::size_t row = 0;
  bool arrival = false;
  double y = 0;        // where its marker or arrow end is
  double height = 0;
};

// A piece of a line of text with its class.
struct Span {
  std::string text;
  std::string cls;
};

class SvgLadder {
 public:
  SvgLadder(const Ladder& l, std::ostream& out) : l_(l), out_(out) {}

  void draw() {
    place_ticks();
    place_lanes();
    header();
    axis();
    blocking_bars();
    for (const Tick& t : ticks_) {
      const Row& r = l_.rows[t.row];
      if (t.arrival) {
        arrival(t, r);
      } else if (r.kind == RowKind::kPacket) {
        packet(t, r);
      } else {
        event(t, r);
      }
    }
    footer();
    out_ << "</svg>\n";
  }

 private:
  // Lines of annotation text an arrival carries at the receiver: its drop, or what the
  // receiver did with it.
  std::vector<std::vector<Span>> arrival_lines(const Row& r) const {
    std::vector<std::vector<Span>> lines;
    if (!r.drop.empty() && !r.dropped_on_link) {
      // As the terminal ladder says it: "DROPPED by server: ...".
      const std::string d = r.drop.rfind("dropped", 0) == 0 ? "DROPPED" + r.drop.substr(7) : "DROPPED: " + r.drop;
      lines.push_back({{d, "drop"}});
    }
    if (!r.effect.empty()) lines.push_back({{r.effect, "effect"}});
    return lines;
  }

  std::vector<std::vector<Span>> event_lines(const Row& r) const {
    std::vector<std::vector<Span>> lines;
    switch (r.kind) {
      case RowKind::kCall:
      case RowKind::kReturn: {
        std::vector<Span> first;
        if (r.kind == RowKind::kReturn) first.push_back({"\u21b3 ", "call"});
        first.push_back({r.call, "call"});
        if (r.kind == RowKind::kCall && r.result.empty()) {
          first.push_back({" \u2026 blocks", "blocks"});
        } else {
          first.push_back({r.kind == RowKind::kReturn ? " returns " : " = ", "call"});
          first.push_back({r.result, r.errno_name.empty() ? "ok" : "err"});
        }
        lines.push_back(std::move(first));
        if (!r.meaning.empty()) lines.push_back({{r.errno_name + ": " + r.meaning, "meaning"}});
        break;
      }
      case RowKind::kState:
        if (!r.to_state.empty()) {
          const std::size_t arrow = r.text.rfind(" -> ");
          std::string who = without_host(l_, r, r.text.substr(0, arrow));
          const std::size_t colon = who.rfind(": ");
          if (colon != std::string::npos) who = who.substr(0, colon);
          lines.push_back({{who + ": " + r.from_state + " \u2192 " + r.to_state, "state-pill"},
                           {r.detail.empty() ? "" : " (" + r.detail + ")", "detail"}});
        } else {
          lines.push_back({{without_host(l_, r, r.text), "state-text"}});
          if (!r.detail.empty()) lines.push_back({{"(" + r.detail + ")", "detail"}});
        }
        break;
      case RowKind::kTimer:
      case RowKind::kNote:
        lines.push_back({{without_host(l_, r, r.text), r.kind == RowKind::kTimer ? "timer" : "note"}});
        if (!r.detail.empty()) lines.push_back({{"(" + r.detail + ")", "detail"}});
        break;
      case RowKind::kPacket: break;
    }
    return lines;
  }

  bool lost_or_stub(const Row& r) const {
    const int to = destination(l_, r);
    return r.dropped_on_link || !r.arrived || to < 0 || r.col < 0;
  }

  void place_ticks() {
    for (std::size_t i = 0; i < l_.rows.size(); ++i) {
      const Row& r = l_.rows[i];
      Tick t;
      t.at = r.at;
      t.order = static_cast<double>(i);
      t.row = i;
      ticks_.push_back(t);
      if (r.kind == RowKind::kPacket && r.arrived && r.to_col >= 0 && r.col >= 0 && !r.dropped_on_link) {
        Tick a = t;
        a.arrival = true;
        a.at = *r.arrived;
        if (*r.arrived > r.at) {
          a.phase = 0;
        } else {
          a.at = r.at;
          a.order += 0.5;
        }
        ticks_.push_back(a);
      }
    }
    std::stable_sort(ticks_.begin(), ticks_.end(), [](const Tick& a, const Tick& b) {
      if (a.at != b.at) return a.at < b.at;
      if (a.phase != b.phase) return a.phase < b.phase;
      return a.order < b.order;
    });
    // Packets sent (or arriving) back to back get more room, so their labels do not overlap.
    auto is_send = [&](std::size_t k) {
      return k < ticks_.size() && !ticks_[k].arrival && l_.rows[ticks_[k].row].kind == RowKind::kPacket;
    };
    auto is_arrival = [&](std::size_t k) { return k < ticks_.size() && ticks_[k].arrival; };
    double y = kTop;
    bool first = true;
    sim::Time last;
    for (std::size_t k = 0; k < ticks_.size(); ++k) {
      Tick& t = ticks_[k];
      const bool crowded = (is_send(k) && (is_send(k - 1) || is_send(k + 1))) ||
                           (is_arrival(k) && (is_arrival(k - 1) || is_arrival(k + 1)));
      if (first || t.at != last) {
        if (!first) {
          const double gap = gap_for(t.at - last);
          y += gap;
          if ((t.at - last) >= sim::Duration::millis(100)) breaks_.push_back({y - gap, y, t.at - last});
        }
        bands_.push_back({t.at, y});
        last = t.at;
        first = false;
      }
      const Row& r = l_.rows[t.row];
      std::size_t lines = 0;
      if (t.arrival) {
        lines = arrival_lines(r).size();
        t.height = lines == 0 ? 14 : 6 + kLine * static_cast<double>(lines);
        if (crowded) t.height = std::max(t.height, 34.0);
      } else if (r.kind == RowKind::kPacket) {
        t.height = lost_or_stub(r) ? 40 : crowded ? 38 : 16;
      } else {
        lines = event_lines(r).size();
        t.height = (r.kind == RowKind::kState && !r.to_state.empty() ? 9 : 6) + kLine * static_cast<double>(lines);
      }
      t.y = y + 6;
      if (t.arrival) arrival_y_[t.row] = t.y;
      y += t.height;
    }
    bottom_ = y + 24;
  }

  // Vertical room for a stretch of virtual time: at least a readable gap, growing with its
  // logarithm, so 1 us and 100 s both fit on one page.
  static double gap_for(sim::Duration d) {
    const double us = static_cast<double>(std::max<std::int64_t>(0, d.ns())) / 1e3;
    return std::clamp(10.0 + 14.0 * std::log10(1.0 + us), 10.0, 110.0);
  }

  void place_lanes() {
    n_ = std::max<int>(1, static_cast<int>(l_.columns.size()));
    // How much room the labels beside each lifeline want.
    std::vector<int> want(static_cast<std::size_t>(n_), 16);
    auto need = [&](int col, const std::vector<std::vector<Span>>& lines) {
      if (col < 0 || col >= n_) return;
      for (const auto& line : lines) {
        int len = 0;
        for (const auto& s : line) len += text_len(s.text);
        auto& w = want[static_cast<std::size_t>(col)];
        w = std::max(w, std::min(len, kMaxAnnotation) + 2);
      }
    };
    for (const Tick& t : ticks_) {
      const Row& r = l_.rows[t.row];
      if (t.arrival) {
        need(r.to_col, arrival_lines(r));
      } else if (r.kind != RowKind::kPacket) {
        need(r.col, event_lines(r));
      }
    }
    for (const auto& r : l_.rows) {
      // A packet drawn as a stub beside its lane (to itself, or to nowhere) has its label there.
      if (r.kind != RowKind::kPacket) continue;
      const int to = destination(l_, r);
      if (r.col < 0 || to < 0 || to == r.col) {
        const int at = r.col >= 0 ? r.col : std::max(0, to);
        if (at < n_) {
          auto& w = want[static_cast<std::size_t>(at)];
          w = std::max(w, std::min(text_len(r.label) + 20, kMaxAnnotation + 14));
        }
      }
    }
    for (const auto& c : l_.columns) {
      want[0] = std::max(want[0], text_len(c.addresses) / 2 + 2);
    }
    left_ = n_ >= 2 ? std::max(120.0, want[0] * kChar + 16) : 40.0;
    right_ = std::max(160.0, want[static_cast<std::size_t>(n_ - 1)] * kChar + 16);
    double mid = 0;
    for (int i = 1; i + 1 < n_; ++i) mid = std::max(mid, want[static_cast<std::size_t>(i)] * kChar * 0.6);
    gap_ = std::clamp(std::max(460.0, mid + 60), 460.0, 560.0);
    width_ = x(n_ - 1) + right_ + 16;
    width_ = std::max(width_, 640.0);
  }

  double x(int col) const { return kAxisWidth + left_ + gap_ * std::max(0, col); }
  // Labels go left of the first lifeline (when there are others), right of the rest.
  bool left_side(int col) const { return col == 0 && n_ >= 2; }

  double band_y(sim::Time t) const {
    for (const auto& b : bands_) {
      if (b.at == t) return b.y;
    }
    return kTop;
  }

  void header() {
    out_ << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out_ << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder-svg\" width=\"" << num(width_) << "\" height=\""
         << num(bottom_ + 70) << "\" viewBox=\"0 0 " << num(width_) << " " << num(bottom_ + 70)
         << "\" role=\"img\" data-personality=\"" << xml_escape(l_.personality) << "\">\n";
    out_ << "<title>" << xml_escape(l_.title.empty() ? l_.path : l_.title) << "</title>\n";
    out_ << "<desc>" << xml_escape(l_.path + ": ladder diagram, personality " + l_.personality + ", seed " +
                                   std::to_string(l_.seed))
         << "</desc>\n";
    out_ << R"(<style>
.ladder-svg { background: #fff; }
.ladder-svg text { font-family: "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 11px; fill: #222; }
.ladder-svg text.heading { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; font-size: 15px; font-weight: bold; }
.ladder-svg text.sub, .ladder-svg text.addr, .ladder-svg text.time, .ladder-svg text.gaplabel { fill: #666; font-size: 10px; }
.ladder-svg text.host { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; font-size: 13px; font-weight: bold; }
.ladder-svg .halo { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.ladder-svg .lifeline { stroke: #9aa0a6; stroke-width: 1.5; }
.ladder-svg .grid { stroke: #eef0f2; stroke-width: 1; }
.ladder-svg .axis { stroke: #bbb; stroke-width: 1; }
.ladder-svg .pk { color: #444; }
.ladder-svg .pk.syn { color: #1a7f37; }
.ladder-svg .pk.rst { color: #c62828; }
.ladder-svg .pk.fin { color: #1f5fbf; }
.ladder-svg .pk.data { color: #222; }
.ladder-svg .pk.ack { color: #5f6368; }
.ladder-svg .pk.icmp { color: #d9480f; }
.ladder-svg .pk.arp { color: #7048e8; }
.ladder-svg .pk.udp { color: #0b7285; }
.ladder-svg .pk text { fill: currentColor; }
.ladder-svg .pk text.cause { font-size: 10px; fill: #666; }
.ladder-svg .pk .line { stroke: currentColor; stroke-width: 1.6; fill: none; }
.ladder-svg .pk.retransmission .line { stroke-dasharray: 7 3; }
.ladder-svg .pk.inflight .line { stroke-dasharray: 2 3; }
.ladder-svg .pk .head { fill: currentColor; }
.ladder-svg .cross { stroke: #d50000; stroke-width: 2.5; }
.ladder-svg text.drop, .ladder-svg text.lost { fill: #d50000; font-weight: bold; }
.ladder-svg text .flags { font-weight: bold; }
.ladder-svg text .call, .ladder-svg text.call { fill: #1c3d7a; }
.ladder-svg text .ok { fill: #1c3d7a; font-weight: bold; }
.ladder-svg text .err { fill: #d50000; font-weight: bold; }
.ladder-svg text .blocks { fill: #666; font-style: italic; }
.ladder-svg text.meaning { fill: #d50000; font-size: 10px; }
.ladder-svg text.effect, .ladder-svg text.detail, .ladder-svg text .detail { fill: #777; font-size: 10px; }
.ladder-svg text.state-text { fill: #8a6100; }
.ladder-svg text.timer { fill: #8e24aa; }
.ladder-svg text.note { fill: #555; font-style: italic; }
.ladder-svg .pill { fill: #fff3bf; stroke: #e0a800; stroke-width: 1; }
.ladder-svg text.pilltext { fill: #5c4200; }
.ladder-svg .m-call { fill: #1c3d7a; }
.ladder-svg .m-err { fill: #d50000; }
.ladder-svg .m-state { fill: #e0a800; }
.ladder-svg .m-timer { fill: #8e24aa; }
.ladder-svg .m-note { fill: #fff; stroke: #888; }
.ladder-svg .blocking { fill: #1c3d7a; fill-opacity: 0.14; }
.ladder-svg text.pass { fill: #1a7f37; font-weight: bold; }
.ladder-svg text.fail { fill: #d50000; font-weight: bold; }
</style>
)";
    out_ << "<text class=\"heading\" x=\"12\" y=\"22\">" << xml_escape(l_.title.empty() ? l_.path : l_.title)
         << "</text>\n";
    out_ << "<text class=\"sub\" x=\"12\" y=\"38\">"
         << xml_escape(l_.path + " \u00b7 personality " + l_.personality + " \u00b7 seed " + std::to_string(l_.seed))
         << "</text>\n";
    for (int i = 0; i < static_cast<int>(l_.columns.size()); ++i) {
      const Column& c = l_.columns[static_cast<std::size_t>(i)];
      out_ << "<g class=\"lane\" data-host=\"" << xml_escape(c.host) << "\">";
      out_ << "<text class=\"host\" x=\"" << num(x(i)) << "\" y=\"72\" text-anchor=\"middle\">" << xml_escape(c.host)
           << "</text>";
      out_ << "<text class=\"addr\" x=\"" << num(x(i)) << "\" y=\"87\" text-anchor=\"middle\">"
           << xml_escape(shorten(c.addresses.empty() ? "(no address)" : c.addresses, static_cast<int>(gap_ / kSmallChar) - 2))
           << "</text>";
      out_ << "<text class=\"addr\" x=\"" << num(x(i)) << "\" y=\"99\" text-anchor=\"middle\">"
           << xml_escape(c.personality) << "</text>";
      out_ << "<line class=\"lifeline\" x1=\"" << num(x(i)) << "\" y1=\"104\" x2=\"" << num(x(i)) << "\" y2=\""
           << num(bottom_) << "\"/></g>\n";
    }
  }

  void axis() {
    out_ << "<g class=\"time-axis\">\n";
    out_ << "<text class=\"time\" x=\"" << num(kAxisWidth - 10) << "\" y=\"" << num(kTop - 12)
         << "\" text-anchor=\"end\">time (s)</text>\n";
    out_ << "<line class=\"axis\" x1=\"" << num(kAxisWidth - 4) << "\" y1=\"" << num(kTop - 6) << "\" x2=\""
         << num(kAxisWidth - 4) << "\" y2=\"" << num(bottom_) << "\"/>\n";
    for (const auto& b : bands_) {
      const double y = b.y + 6;
      out_ << "<line class=\"grid\" x1=\"" << num(kAxisWidth - 4) << "\" y1=\"" << num(y) << "\" x2=\""
           << num(width_ - 8) << "\" y2=\"" << num(y) << "\"/>";
      out_ << "<text class=\"time\" x=\"" << num(kAxisWidth - 10) << "\" y=\"" << num(y + 3.5)
           << "\" text-anchor=\"end\">" << xml_escape(sim::format_seconds(b.at)) << "</text>\n";
    }
    // A compressed stretch: a break on the axis and how long it really was.
    for (const auto& g : breaks_) {
      const double mid = (g.from + g.to) / 2 + 6;
      const double ax = kAxisWidth - 4;
      out_ << "<path class=\"axis\" fill=\"none\" d=\"M" << num(ax - 5) << " " << num(mid - 1) << " l10 -4 M"
           << num(ax - 5) << " " << num(mid + 4) << " l10 -4\"/>";
      out_ << "<text class=\"gaplabel\" x=\"" << num(ax - 10) << "\" y=\"" << num(mid + 3)
           << "\" text-anchor=\"end\">+" << xml_escape(sim::format_human(g.length)) << "</text>\n";
    }
    out_ << "</g>\n";
  }

  // A blocking call: a bar on its host's lifeline from the call to its return.
  void blocking_bars() {
    std::map<std::size_t, double> y_of_row;
    for (const Tick& t : ticks_) {
      if (!t.arrival) y_of_row[t.row] = t.y;
    }
    for (std::size_t i = 0; i < l_.rows.size(); ++i) {
      const Row& c = l_.rows[i];
      if (c.kind != RowKind::kCall || !c.result.empty() || c.col < 0) continue;
      double end = bottom_ - 20;
      for (std::size_t j = i + 1; j < l_.rows.size(); ++j) {
        const Row& r = l_.rows[j];
        if (r.kind == RowKind::kReturn && r.col == c.col && r.line == c.line) {
          end = y_of_row[j];
          break;
        }
      }
      out_ << "<rect class=\"blocking\" x=\"" << num(x(c.col) - 4) << "\" y=\"" << num(y_of_row[i]) << "\" width=\"8\" height=\""
           << num(std::max(0.0, end - y_of_row[i])) << "\"><title>"
           << xml_escape(host_of(l_, c.col) + " blocked in " + c.call) << "</title></rect>\n";
    }
  }

  // Lines of text beside a lifeline, starting at `y`; the first line may open with a pill (a
  // state change).
  void annotate(int col, double y, const std::vector<std::vector<Span>>& lines, const std::string& tooltip) {
    const bool left = left_side(col);
    const double lane = x(col);
    const int room = left || col == n_ - 1 ? kMaxAnnotation
                                           : std::max(20, static_cast<int>((gap_ * 0.55) / kChar));
    for (std::size_t k = 0; k < lines.size(); ++k) {
      const auto& line = lines[k];
      const double base = y + 4 + kLine * static_cast<double>(k) + (line.front().cls == "state-pill" ? 1.5 : 0);
      const bool small = line.size() == 1 && (line[0].cls == "meaning" || line[0].cls == "detail" ||
                                               line[0].cls == "effect");
      const double cw = small ? kSmallChar : kChar;
      const int fits = static_cast<int>(room * kChar / cw);
      // Shorten the longest span until the line fits; a call's own text before its result.
      std::vector<Span> spans = line;
      int total = 0;
      for (const auto& s : spans) total += text_len(s.text);
      if (spans.front().cls == "state-pill" && spans.size() == 2 && total > fits) {
        // A state change keeps its states: the detail goes first, then the socket's name.
        const int pill = text_len(spans[0].text);
        spans[1].text = fits - pill >= 8 ? shorten(spans[1].text, fits - pill) : "";
        if (pill > fits) spans[0].text = "\u2026" + tail(spans[0].text, fits - 1);
        total = text_len(spans[0].text) + text_len(spans[1].text);
      }
      if (total > fits) {
        const auto by_len = [](const Span& a, const Span& b) { return text_len(a.text) < text_len(b.text); };
        auto longest = std::max_element(spans.begin(), spans.end(), by_len);
        for (auto it = spans.begin(); it != spans.end(); ++it) {
          if (it->cls == "call" && text_len(it->text) > total - fits + 4) {
            longest = it;
            break;
          }
        }
        longest->text = shorten(longest->text, std::max(4, text_len(longest->text) - (total - fits)));
        total = 0;
        for (const auto& s : spans) total += text_len(s.text);
      }
      const double w = total * cw;
      const double x0 = left ? lane - 12 - w : lane + 12;
      if (spans.front().cls == "state-pill") {
        const double pw = text_len(spans.front().text) * kChar + 10;
        const double px = left ? lane - 8 - pw : lane + 8;
        out_ << "<rect class=\"pill\" x=\"" << num(px) << "\" y=\"" << num(base - 11) << "\" width=\"" << num(pw)
             << "\" height=\"16\" rx=\"4\"/>";
        out_ << "<text class=\"pilltext\" x=\"" << num(px + 5) << "\" y=\"" << num(base) << "\">"
             << xml_escape(spans.front().text) << "</text>";
        if (!spans.back().text.empty() && spans.size() > 1) {
          out_ << "<text class=\"detail halo\" x=\"" << num(left ? px - 4 : px + pw + 4) << "\" y=\"" << num(base)
               << "\"" << (left ? " text-anchor=\"end\"" : "") << ">" << xml_escape(spans.back().text) << "</text>";
        }
        out_ << "\n";
        continue;
      }
      out_ << "<text class=\"halo" << (spans.size() == 1 ? " " + spans[0].cls : std::string()) << "\" x=\"" << num(x0)
           << "\" y=\"" << num(base) << "\">";
      if (spans.size() == 1) {
        out_ << xml_escape(spans[0].text);
      } else {
        for (const auto& s : spans) out_ << "<tspan class=\"" << s.cls << "\">" << xml_escape(s.text) << "</tspan>";
      }
      if (k == 0 && !tooltip.empty()) out_ << "<title>" << xml_escape(tooltip) << "</title>";
      out_ << "</text>\n";
    }
  }

  void event(const Tick& t, const Row& r) {
    const auto lines = event_lines(r);
    const char* cls = "note";
    switch (r.kind) {
      case RowKind::kCall:
      case RowKind::kReturn: cls = "call"; break;
      case RowKind::kState: cls = "state"; break;
      case RowKind::kTimer: cls = "timer"; break;
      case RowKind::kNote:
      case RowKind::kPacket: break;
    }
    std::string tooltip = sim::format_seconds(r.at) + " s  " + host_of(l_, r.col) + ": ";
    if (r.kind == RowKind::kCall || r.kind == RowKind::kReturn) {
      tooltip += r.call + (r.result.empty() ? " (blocks)" : " = " + r.result);
      if (!r.meaning.empty()) tooltip += "\n" + r.errno_name + ": " + r.meaning;
      if (r.line > 0) tooltip += "\nscript line " + std::to_string(r.line);
    } else {
      tooltip += r.text + (r.detail.empty() ? "" : "\n(" + r.detail + ")");
    }
    out_ << "<g class=\"ev " << cls << "\"" << (r.line > 0 ? " data-line=\"" + std::to_string(r.line) + "\"" : "")
         << ">";
    if (r.col < 0) {
      // The world's notes (the script's own words): across the middle of the picture.
      // Centred between the lanes when it fits there, else from the first lane on.
      for (std::size_t k = 0; k < lines.size(); ++k) {
        const std::string& text = lines[k].front().text;
        const bool centred = n_ >= 2 && text_len(text) * kChar <= gap_ * (n_ - 1) * 0.9;
        const double x0 = centred ? (x(0) + x(n_ - 1)) / 2 : x(0) + 16;
        const int room = static_cast<int>((width_ - x0 - 12) / kChar);
        out_ << "<text class=\"note halo\" x=\"" << num(x0) << "\" y=\"" << num(t.y + 4 + kLine * static_cast<double>(k))
             << "\"" << (centred ? " text-anchor=\"middle\"" : "") << ">" << xml_escape(shorten(text, room));
        if (k == 0) out_ << "<title>" << xml_escape(tooltip) << "</title>";
        out_ << "</text>";
      }
      out_ << "</g>\n";
      return;
    }
    const double lx = x(r.col), y = t.y;
    switch (r.kind) {
      case RowKind::kCall:
      case RowKind::kReturn:
        out_ << "<circle class=\"" << (r.errno_name.empty() ? "m-call" : "m-err") << "\" cx=\"" << num(lx) << "\" cy=\""
             << num(y) << "\" r=\"4\"/>";
        break;
      case RowKind::kState:
        out_ << "<rect class=\"m-state\" x=\"" << num(lx - 4) << "\" y=\"" << num(y - 4) << "\" width=\"8\" height=\"8\"/>";
        break;
      case RowKind::kTimer:
        out_ << "<path class=\"m-timer\" d=\"M" << num(lx) << " " << num(y - 5) << " l5 5 l-5 5 l-5 -5 z\"/>";
        break;
      case RowKind::kNote:
      case RowKind::kPacket:
        out_ << "<circle class=\"m-note\" cx=\"" << num(lx) << "\" cy=\"" << num(y) << "\" r=\"3\"/>";
        break;
    }
    out_ << "\n";
    annotate(r.col, y, lines, tooltip);
    out_ << "</g>\n";
  }

  void arrival(const Tick& t, const Row& r) {
    const auto lines = arrival_lines(r);
    if (lines.empty()) return;
    out_ << "<g class=\"arrival" << (r.drop.empty() ? "" : " dropped") << "\">";
    if (!r.drop.empty()) cross(x(r.to_col), t.y, "X dropped by " + host_of(l_, r.to_col) + ": " + r.drop);
    annotate(r.to_col, t.y, lines, packet_tooltip(l_, r));
    out_ << "</g>\n";
  }

  void cross(double cx, double cy, const std::string& tooltip) {
    out_ << "<path class=\"cross\" d=\"M" << num(cx - 6) << " " << num(cy - 6) << " l12 12 M" << num(cx + 6) << " "
         << num(cy - 6) << " l-12 12\"><title>" << xml_escape(tooltip) << "</title></path>";
  }

  void arrow_head(double x1, double y1, double x2, double y2) {
    const double dx = x2 - x1, dy = y2 - y1;
    const double len = std::max(1e-6, std::hypot(dx, dy));
    const double ux = dx / len, uy = dy / len;
    const double bx = x2 - ux * 10, by = y2 - uy * 10;
    out_ << "<path class=\"head\" d=\"M" << num(x2) << " " << num(y2) << " L" << num(bx - uy * 4) << " "
         << num(by + ux * 4) << " L" << num(bx + uy * 4) << " " << num(by - ux * 4) << " z\"/>";
  }

  // The label along an arrow from (x1,y1) to (x2,y2): the segment above, its cause below,
  // always reading left to right.
  void arrow_label(const Row& r, double x1, double y1, double x2, double y2) {
    if (x2 < x1) {
      std::swap(x1, x2);
      std::swap(y1, y2);
    }
    const double len = std::hypot(x2 - x1, y2 - y1);
    if (len < 30) return;
    const double angle = std::atan2(y2 - y1, x2 - x1) * 180.0 / std::numbers::pi;
    const double mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
    const int room = static_cast<int>((len - 24) / kChar);
    std::string head = r.label;
    std::string flags;
    if (!r.flags.empty() && head.rfind(r.flags + " ", 0) == 0) {
      flags = r.flags;
      head = head.substr(r.flags.size());
    } else if (!r.flags.empty() && head.rfind(r.flags, 0) != 0) {
      flags = r.flags;
      head = " " + head;
    }
    head = shorten(head, std::max(3, room - text_len(flags)));
    const std::string rot = " transform=\"rotate(" + num(angle) + " " + num(mx) + " " + num(my) + ")\"";
    out_ << "<text class=\"label halo\" x=\"" << num(mx) << "\" y=\"" << num(my - 4) << "\" text-anchor=\"middle\"" << rot
         << ">";
    if (!flags.empty()) out_ << "<tspan class=\"flags\">" << xml_escape(flags) << "</tspan>";
    out_ << xml_escape(head) << "</text>";
    const std::string cause = packet_cause(r);
    if (!cause.empty()) {
      out_ << "<text class=\"cause halo\" x=\"" << num(mx) << "\" y=\"" << num(my + 11) << "\" text-anchor=\"middle\""
           << rot << ">" << xml_escape(shorten(cause, static_cast<int>((len - 24) / kSmallChar))) << "</text>";
    }
  }

  void packet(const Tick& t, const Row& r) {
    const int to = destination(l_, r);
    std::string cls = std::string("pk ") + packet_class(r);
    if (r.retransmission > 0) cls += " retransmission";
    if (!r.drop.empty()) cls += r.dropped_on_link ? " lost" : " dropped";
    const bool in_flight = r.drop.empty() && !r.arrived;
    if (in_flight) cls += " inflight";
    out_ << "<g class=\"" << cls << "\"" << (r.retransmission > 0 ? " data-retransmission=\"" + std::to_string(r.retransmission) + "\"" : "")
         << "><title>" << xml_escape(packet_tooltip(l_, r)) << "</title>";
    const double y1 = t.y;
    if (r.col < 0 || to < 0 || to == r.col) {
      // From or to somewhere that is not a lane (or to itself): a short stub beside the lane.
      const int at = r.col >= 0 ? r.col : std::max(0, to);
      const double lx = x(at);
      const double dir = left_side(at) ? -1 : 1;
      const double x2 = lx + dir * 80;
      if (to == r.col && to >= 0) {
        out_ << "<path class=\"line\" d=\"M" << num(lx) << " " << num(y1) << " C" << num(x2) << " " << num(y1) << " "
             << num(x2) << " " << num(y1 + 24) << " " << num(lx) << " " << num(y1 + 24) << "\"/>";
        arrow_head(lx + dir * 20, y1 + 25, lx, y1 + 24);
      } else if (r.col < 0) {
        out_ << "<line class=\"line\" x1=\"" << num(x2) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(lx) << "\" y2=\""
             << num(y1 + 14) << "\"/>";
        arrow_head(x2, y1, lx, y1 + 14);
      } else {
        out_ << "<line class=\"line\" x1=\"" << num(lx) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(x2) << "\" y2=\""
             << num(y1 + 14) << "\"/>";
        arrow_head(lx, y1, x2, y1 + 14);
      }
      std::string what = r.label;
      if (!r.drop.empty()) what += r.dropped_on_link ? "  lost: " + r.drop : "  dropped: " + r.drop;
      out_ << "<text class=\"label halo\" x=\"" << num(left_side(at) ? x2 - 6 : x2 + 6) << "\" y=\"" << num(y1 + 14)
           << "\"" << (left_side(at) ? " text-anchor=\"end\"" : "") << ">"
           << xml_escape(shorten((to < 0 ? "to elsewhere: " : "") + what, kMaxAnnotation)) << "</text>";
      out_ << "</g>\n";
      return;
    }
    const double x1 = x(r.col), x2full = x(to);
    if (r.dropped_on_link || in_flight || !r.arrived) {
      // Lost on the link (a cross halfway), or never arrived before the end.
      const double xm = (x1 + x2full) / 2, ym = y1 + 22;
      out_ << "<line class=\"line\" x1=\"" << num(x1) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(xm) << "\" y2=\""
           << num(ym) << "\"/>";
      if (r.dropped_on_link) {
        cross(xm, ym, "lost on the link: " + r.drop);
        out_ << "<text class=\"lost halo\" x=\"" << num(xm + 10) << "\" y=\"" << num(ym + 12) << "\">"
             << xml_escape(shorten("lost: " + r.drop, static_cast<int>(gap_ / 2 / kChar))) << "</text>";
      } else if (!r.drop.empty()) {
        cross(xm, ym, "dropped: " + r.drop);
        out_ << "<text class=\"drop halo\" x=\"" << num(xm + 10) << "\" y=\"" << num(ym + 12) << "\">"
             << xml_escape(shorten("DROPPED: " + r.drop, static_cast<int>(gap_ / 2 / kChar))) << "</text>";
      } else {
        arrow_head(x1, y1, xm, ym);
        out_ << "<text class=\"cause halo\" x=\"" << num(xm + 8) << "\" y=\"" << num(ym + 4) << "\">in flight at the end</text>";
      }
      arrow_label(r, x1, y1, xm, ym);
      out_ << "</g>\n";
      return;
    }
    const auto found = arrival_y_.find(t.row);
    const double y2 = found != arrival_y_.end() ? found->second : band_y(*r.arrived) + 6;
    out_ << "<line class=\"line\" x1=\"" << num(x1) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(x2full) << "\" y2=\""
         << num(y2) << "\"/>";
    arrow_head(x1, y1, x2full, y2);
    arrow_label(r, x1, y1, x2full, y2);
    out_ << "</g>\n";
  }

  void footer() {
    const double y = bottom_ + 4;
    out_ << "<text class=\"time\" x=\"" << num(kAxisWidth - 10) << "\" y=\"" << num(y) << "\" text-anchor=\"end\">end "
         << xml_escape(sim::format_seconds(l_.end)) << "</text>\n";
    std::string sum = std::to_string(l_.packets) + " packet" + (l_.packets == 1 ? "" : "s") + ", " +
                      std::to_string(l_.drops) + " dropped, " + std::to_string(l_.retransmissions) + " retransmission" +
                      (l_.retransmissions == 1 ? "" : "s") + ", ended at " + sim::format_seconds(l_.end) + " s (virtual)";
    const bool pass = l_.passed;
    out_ << "<text class=\"summary\" x=\"12\" y=\"" << num(y + 24) << "\"><tspan class=\"" << (pass ? "ok" : "err")
         << "\">" << (pass ? (l_.expected_failure ? "PASS (failed as expected)" : "PASS") : "FAIL") << "</tspan>: "
         << xml_escape(sum) << "</text>\n";
    out_ << "<text class=\"sub\" x=\"12\" y=\"" << num(y + 44)
         << "\">arrows: packets (green SYN, red RST, blue FIN; dashed: a retransmission) \u00b7 red \u00d7 halfway: lost on "
            "the link \u00b7 red \u00d7 at a host: dropped by it \u00b7 \u25cf call \u00b7 \u25a0 state change \u00b7 "
            "\u25c6 timer \u00b7 \u25cb note</text>\n";
  }

  struct Band {
    sim::Time at;
    double y;
  };
  struct Break {
    double from, to;
    sim::Duration length;
  };

  const Ladder& l_;
  std::ostream& out_;
  std::vector<Tick> ticks_;
  std::vector<Band> bands_;
  std::vector<Break> breaks_;
  std::map<std::size_t, double> arrival_y_;  // by row
  int n_ = 1;
  double left_ = 0, right_ = 0, gap_ = 460, width_ = 0, bottom_ = 0;
};

}  // namespace

void render_svg(const Ladder& l, std::ostream& out) { SvgLadder(l, out).draw(); }

}  // namespace synlab::harness::explain
