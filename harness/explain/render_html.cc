// The HTML page: one self-contained file (inline CSS, inline SVG, no script, nothing loaded
// from elsewhere) to open in a browser or attach to a bug report.
//
// Per run: the lesson, the SVG ladder, the state timeline of each socket, the table of socket
// calls and the summary. Two runs (two personalities) come one after the other, preceded by
// the differences between them: each script line whose call returned differently.
//
// Stable hooks for tests and style sheets: <section class="ladder" data-personality="...">,
// <svg class="ladder-svg">, <table class="states">, <table class="calls">,
// <section class="differences">, <div class="summary pass|fail">.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "harness/explain/render.h"

namespace synlab::harness::explain {

namespace {

const char* kStyle = R"(
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; margin: 0; padding: 0 24px 48px; color: #1f2328; background: #fafbfc; line-height: 1.45; }
header.page { padding: 18px 0 8px; border-bottom: 1px solid #d0d7de; margin-bottom: 12px; }
header.page h1 { font-size: 22px; margin: 0 0 4px; }
nav.toc a { margin-right: 16px; }
section.ladder, section.differences { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 20px 20px; margin: 18px 0; }
h2 { font-size: 19px; margin: 12px 0 4px; }
h3 { font-size: 15px; margin: 22px 0 6px; color: #333; }
.meta { color: #57606a; font-size: 13px; margin: 0 0 10px; }
.meta code, td code, .hosts code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.about { max-width: 62em; }
.about p { margin: 6px 0; }
.personality-tag { display: inline-block; background: #ddf4ff; color: #0a3069; border-radius: 10px; padding: 0 9px; font-size: 13px; margin-left: 6px; vertical-align: middle; }
figure.diagram { margin: 8px 0; overflow-x: auto; border: 1px solid #eaeef2; border-radius: 4px; background: #fff; }
figure.diagram svg { display: block; width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, td.time { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; text-align: right; white-space: nowrap; }
td.call, td.result { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.errno { color: #cf222e; font-weight: bold; }
td.meaning { color: #cf222e; }
tr.blocks td.result { color: #6e7781; font-style: italic; }
ol.timeline { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 0; margin: 0; padding: 0; }
ol.timeline li { display: flex; align-items: stretch; }
ol.timeline li + li::before { content: "\2192"; color: #8c959f; padding: 6px 5px 0; }
.st { border-radius: 4px; padding: 2px 8px; border: 1px solid #d0d7de; background: #f6f8fa; min-width: 6em; }
.st .name { display: block; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; font-weight: bold; }
.st .t { display: block; font-size: 11px; color: #57606a; }
.st-ESTABLISHED { background: #dafbe1; border-color: #4ac26b; }
.st-SYN_SENT, .st-SYN_RECV, .st-SYN_RECEIVED { background: #fff8c5; border-color: #d4a72c; }
.st-LISTEN { background: #ddf4ff; border-color: #54aeff; }
.st-CLOSE, .st-CLOSED { background: #eaeef2; border-color: #afb8c1; }
.st-FIN_WAIT1, .st-FIN_WAIT2, .st-FIN_WAIT_1, .st-FIN_WAIT_2, .st-CLOSE_WAIT, .st-CLOSING, .st-LAST_ACK, .st-TIME_WAIT { background: #fbefff; border-color: #c297ff; }
.summary { font-size: 14px; padding: 6px 10px; border-radius: 4px; display: inline-block; }
.summary.pass { background: #dafbe1; }
.summary.fail { background: #ffebe9; }
.summary .verdict { font-weight: bold; }
.summary.pass .verdict { color: #1a7f37; }
.summary.fail .verdict { color: #cf222e; }
pre.failure { background: #fff5f5; border: 1px solid #ffc1c0; padding: 8px 10px; overflow-x: auto; font-size: 12px; }
.legend { color: #57606a; font-size: 12px; }
tr.differs td.a, tr.differs td.b { background: #fff8c5; }
)";

std::string h(std::string_view s) { return xml_escape(s); }

std::string title_of(const Ladder& l) { return l.title.empty() ? l.path : l.title; }

// "state-name" made safe for a class name.
std::string css_ident(const std::string& s) {
  std::string o;
  for (const char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
  return o;
}

// The SVG, without its XML declaration (not allowed inside HTML).
std::string inline_svg(const Ladder& l) {
  std::ostringstream svg;
  render_svg(l, svg);
  std::string s = svg.str();
  if (s.rfind("<?xml", 0) == 0) s.erase(0, s.find('\n') + 1);
  return s;
}

// A result with its errno in red: "-1 <span class=errno>ECONNREFUSED</span> (Connection refused)".
std::string result_html(const Row& r) {
  if (r.errno_name.empty()) return h(r.result);
  const std::size_t at = r.result.find(r.errno_name);
  if (at == std::string::npos) return h(r.result);
  return h(r.result.substr(0, at)) + "<span class=\"errno\">" + h(r.errno_name) + "</span>" +
         h(r.result.substr(at + r.errno_name.size()));
}

void about(const Ladder& l, std::ostream& out) {
  if (l.about.empty()) return;
  out << "<div class=\"about\">\n";
  std::string para;
  auto flush = [&] {
    if (!para.empty()) out << "<p>" << h(para) << "</p>\n";
    para.clear();
  };
  for (const auto& a : l.about) {
    if (a.empty()) {
      flush();
      continue;
    }
    para += (para.empty() ? "" : " ") + a;
  }
  flush();
  out << "</div>\n";
}

void hosts(const Ladder& l, std::ostream& out) {
  out << "<table class=\"hosts\"><thead><tr><th>host</th><th>addresses</th><th>personality</th></tr></thead><tbody>\n";
  for (const auto& c : l.columns) {
    out << "<tr><td>" << h(c.host) << "</td><td><code>" << h(c.addresses.empty() ? "(no address)" : c.addresses)
        << "</code></td><td>" << h(c.personality) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
}

// Each socket's states in order, from the kState rows that name a transition.
void states(const Ladder& l, std::ostream& out) {
  struct Step {
    std::string state;
    sim::Time at;
    std::string why;
  };
  std::vector<std::string> order;
  std::map<std::string, std::vector<Step>> by_socket;
  for (const auto& r : l.rows) {
    if (r.kind != RowKind::kState || r.to_state.empty()) continue;
    std::string who = r.text.substr(0, r.text.rfind(" -> "));
    const std::size_t colon = who.rfind(": ");
    if (colon != std::string::npos) who = who.substr(0, colon);
    auto [it, fresh] = by_socket.try_emplace(who);
    if (fresh) {
      order.push_back(who);
      it->second.push_back({r.from_state, r.at, "before"});
    }
    it->second.push_back({r.to_state, r.at, r.detail});
  }
  out << "<h3>Socket states</h3>\n";
  out << "<table class=\"states\"><thead><tr><th>socket</th><th>states (entered at, virtual seconds)</th></tr></thead>"
         "<tbody>\n";
  if (order.empty()) out << "<tr class=\"none\"><td colspan=\"2\">No TCP socket changed state in this run.</td></tr>\n";
  for (const auto& who : order) {
    const auto& steps = by_socket[who];
    out << "<tr data-socket=\"" << h(who) << "\"><th scope=\"row\">" << h(who) << "</th><td><ol class=\"timeline\">";
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Step& s = steps[i];
      const sim::Time left = steps.size() > 1 ? steps[1].at : s.at;
      std::string when = i > 0 ? sim::format_seconds(s.at) + " s"
                         : left == sim::Time::zero() ? std::string("initially")
                                                     : "until " + sim::format_seconds(left) + " s";
      if (i > 0) {
        const sim::Time until = i + 1 < steps.size() ? steps[i + 1].at : l.end;
        if (until > s.at) {
          when += " (" + sim::format_human(until - s.at) + (i + 1 < steps.size() ? ")" : ", to the end)");
        }
      }
      out << "<li><span class=\"st st-" << css_ident(s.state) << "\" title=\"" << h(i == 0 ? "" : s.why)
          << "\"><span class=\"name\">" << h(s.state) << "</span><span class=\"t\">" << h(when) << "</span></span></li>";
    }
    out << "</ol></td></tr>\n";
  }
  out << "</tbody></table>\n";
}

void calls(const Ladder& l, std::ostream& out) {
  out << "<h3>Socket calls</h3>\n";
  bool any = false;
  for (const auto& r : l.rows) any |= r.kind == RowKind::kCall || r.kind == RowKind::kReturn;
  out << "<table class=\"calls\"><thead><tr><th>time (s)</th><th>host</th><th>line</th><th>call</th><th>result</th>"
         "<th>what the errno means</th></tr></thead><tbody>\n";
  if (!any) out << "<tr class=\"none\"><td colspan=\"6\">The script makes no socket calls.</td></tr>\n";
  for (std::size_t i = 0; i < l.rows.size(); ++i) {
    const Row& r = l.rows[i];
    if (r.kind != RowKind::kCall && r.kind != RowKind::kReturn) continue;
    std::string result;
    std::string cls = r.errno_name.empty() ? "" : "error";
    if (r.kind == RowKind::kCall && r.result.empty()) {
      result = "blocks&#8230;";
      cls = "blocks";
    } else if (r.kind == RowKind::kReturn) {
      // How long it blocked, from its call.
      std::string waited;
      for (std::size_t j = i; j-- > 0;) {
        const Row& c = l.rows[j];
        if (c.kind == RowKind::kCall && c.col == r.col && c.line == r.line && c.result.empty()) {
          waited = " after " + sim::format_human(r.at - c.at);
          break;
        }
      }
      result = "returns " + result_html(r) + h(waited);
      cls += cls.empty() ? "return" : " return";
    } else {
      result = result_html(r);
    }
    out << "<tr" << (cls.empty() ? "" : " class=\"" + cls + "\"") << "><td class=\"time\">"
        << h(sim::format_seconds(r.at)) << "</td><td>" << h(host_of(l, r.col)) << "</td><td class=\"num\">"
        << (r.line > 0 ? std::to_string(r.line) : "") << "</td><td class=\"call\">" << h(r.call)
        << "</td><td class=\"result\">" << result << "</td><td class=\"meaning\">"
        << (r.meaning.empty() ? "" : "<span class=\"errno\">" + h(r.errno_name) + "</span>: " + h(r.meaning))
        << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
}

std::string summary_text(const Ladder& l) {
  return std::to_string(l.packets) + " packet" + (l.packets == 1 ? "" : "s") + ", " + std::to_string(l.drops) +
         " dropped, " + std::to_string(l.retransmissions) + " retransmission" + (l.retransmissions == 1 ? "" : "s") +
         ", ended at " + sim::format_seconds(l.end) + " s (virtual)";
}

void summary(const Ladder& l, std::ostream& out) {
  out << "<h3>Summary</h3>\n";
  const char* verdict = l.passed ? (l.expected_failure ? "PASS (failed as expected)" : "PASS") : "FAIL";
  out << "<div class=\"summary " << (l.passed ? "pass" : "fail") << "\"><span class=\"verdict\">" << verdict
      << "</span>: " << h(summary_text(l)) << "</div>\n";
  if (!l.failure.empty()) out << "<pre class=\"failure\">" << h(l.failure) << "</pre>\n";
}

void ladder_section(const Ladder& l, std::size_t index, bool compared, std::ostream& out) {
  out << "<section class=\"ladder\" id=\"ladder-" << index << "\" data-personality=\"" << h(l.personality) << "\">\n";
  out << "<h2>" << h(title_of(l));
  if (compared) out << " <span class=\"personality-tag\">" << h(l.personality) << "</span>";
  out << "</h2>\n";
  out << "<p class=\"meta\"><code>" << h(l.path) << "</code> &#183; personality <b>" << h(l.personality)
      << "</b> &#183; seed " << l.seed << "</p>\n";
  about(l, out);
  hosts(l, out);
  out << "<h3>Ladder</h3>\n";
  out << "<p class=\"legend\">Time runs down on a compressed scale (every instant gets room; long waits are marked on "
         "the axis). Hover over an arrow or label for its full text.</p>\n";
  out << "<figure class=\"diagram\">\n" << inline_svg(l) << "</figure>\n";
  states(l, out);
  calls(l, out);
  summary(l, out);
  out << "</section>\n";
}

// One script line's outcomes in a run: each call's final result and when it came.
struct Outcome {
  std::string call;
  std::string host;
  std::vector<std::pair<std::string, sim::Time>> results;  // result text, time returned
};

std::map<int, Outcome> outcomes(const Ladder& l) {
  std::map<int, Outcome> by_line;
  for (const auto& r : l.rows) {
    if ((r.kind != RowKind::kCall && r.kind != RowKind::kReturn) || r.line <= 0) continue;
    Outcome& o = by_line[r.line];
    if (o.call.empty()) {
      o.call = r.call;
      o.host = host_of(l, r.col);
    }
    if (r.kind == RowKind::kCall && r.result.empty()) continue;  // its kReturn says how it ended
    o.results.emplace_back(r.result, r.at);
  }
  return by_line;
}

std::string results_text(const Outcome* o) {
  if (!o) return "(not called)";
  if (o->results.empty()) return "(never returned)";
  std::string s;
  for (const auto& [res, at] : o->results) {
    if (!s.empty()) s += "; ";
    s += res + " at " + sim::format_seconds(at) + " s";
  }
  return s;
}

void differences(const Ladder& a, const Ladder& b, std::ostream& out) {
  out << "<section class=\"differences\" id=\"differences\">\n<h2>Differences: " << h(a.personality) << " vs "
      << h(b.personality) << "</h2>\n";
  const auto oa = outcomes(a), ob = outcomes(b);
  std::set<int> lines;
  for (const auto& [ln, o] : oa) lines.insert(ln);
  for (const auto& [ln, o] : ob) lines.insert(ln);
  struct Diff {
    int line;
    const Outcome* a;
    const Outcome* b;
    bool result;  // the results differ (else only when they came)
  };
  std::vector<Diff> diffs;
  for (const int ln : lines) {
    const auto ia = oa.find(ln), ib = ob.find(ln);
    const Outcome* pa = ia == oa.end() ? nullptr : &ia->second;
    const Outcome* pb = ib == ob.end() ? nullptr : &ib->second;
    std::vector<std::string> ra, rb;
    if (pa) for (const auto& r : pa->results) ra.push_back(r.first);
    if (pb) for (const auto& r : pb->results) rb.push_back(r.first);
    if (!pa || !pb || ra != rb) {
      diffs.push_back({ln, pa, pb, true});
    } else if (pa->results != pb->results) {
      diffs.push_back({ln, pa, pb, false});
    }
  }
  const std::size_t result_diffs =
      static_cast<std::size_t>(std::count_if(diffs.begin(), diffs.end(), [](const Diff& d) { return d.result; }));
  if (diffs.empty()) {
    out << "<p>Every script call returned the same result at the same time under both personalities.</p>\n";
  } else {
    out << "<p>" << result_diffs << " script line" << (result_diffs == 1 ? "" : "s")
        << " returned differently; " << diffs.size() - result_diffs << " returned the same at a different time.</p>\n";
    out << "<table class=\"diffs\"><thead><tr><th>line</th><th>host</th><th>call</th><th>what differs</th><th>"
        << h(a.personality) << "</th><th>" << h(b.personality) << "</th></tr></thead><tbody>\n";
    for (const auto& d : diffs) {
      const Outcome* any = d.a ? d.a : d.b;
      out << "<tr class=\"differs\" data-line=\"" << d.line << "\"><td class=\"num\">" << d.line << "</td><td>"
          << h(any->host) << "</td><td class=\"call\">" << h(any->call) << "</td><td>"
          << (d.result ? "result" : "timing") << "</td><td class=\"result a\">" << h(results_text(d.a))
          << "</td><td class=\"result b\">" << h(results_text(d.b)) << "</td></tr>\n";
    }
    out << "</tbody></table>\n";
  }
  out << "<table class=\"totals\"><thead><tr><th></th><th>" << h(a.personality) << "</th><th>" << h(b.personality)
      << "</th></tr></thead><tbody>\n";
  auto row = [&](const char* what, const std::string& x, const std::string& y) {
    out << "<tr" << (x != y ? " class=\"differs\"" : "") << "><th scope=\"row\">" << what << "</th><td class=\"a\">"
        << h(x) << "</td><td class=\"b\">" << h(y) << "</td></tr>\n";
  };
  row("verdict", a.passed ? "PASS" : "FAIL", b.passed ? "PASS" : "FAIL");
  row("packets", std::to_string(a.packets), std::to_string(b.packets));
  row("dropped", std::to_string(a.drops), std::to_string(b.drops));
  row("retransmissions", std::to_string(a.retransmissions), std::to_string(b.retransmissions));
  row("run ended (s)", sim::format_seconds(a.end), sim::format_seconds(b.end));
  out << "</tbody></table>\n</section>\n";
}

}  // namespace

void render_html(const std::vector<Ladder>& ladders, std::ostream& out) {
  const std::string title = ladders.empty() ? std::string("synlab explain") : title_of(ladders.front());
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta name=\"generator\" content=\"synlab explain\">\n"
      << "<title>" << h(title) << " - synlab explain</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  // One run: its section says it all. Two: a page header names the comparison.
  if (ladders.size() == 2) {
    out << "<header class=\"page\"><h1>" << h(title) << "</h1>\n";
    out << "<p class=\"meta\"><code>" << h(ladders.front().path) << "</code> &#183; seed " << ladders.front().seed;
    if (ladders.size() == 2) {
      out << " &#183; personalities compared: <b>" << h(ladders[0].personality) << "</b> and <b>"
          << h(ladders[1].personality) << "</b>";
    }
    out << "</p>\n";
    out << "<nav class=\"toc\"><a href=\"#differences\">Differences</a>";
    for (std::size_t i = 0; i < ladders.size(); ++i) {
      out << "<a href=\"#ladder-" << i << "\">" << h(ladders[i].personality) << "</a>";
    }
    out << "</nav>\n</header>\n";
  }
  out << "<main>\n";
  if (ladders.size() == 2) differences(ladders[0], ladders[1], out);
  for (std::size_t i = 0; i < ladders.size(); ++i) ladder_section(ladders[i], i, ladders.size() == 2, out);
  out << "</main>\n</body>\n</html>\n";
}

}  // namespace synlab::harness::explain
