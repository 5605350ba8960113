#include "harness/explain/ladder.h"

#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "harness/cli/errno_command.h"
#include "harness/runner/packet_match.h"
#include "stack/socket/errno.h"
#include "stack/wire/packetdrill_format.h"
#include "stack/wire/tcp.h"

namespace synlab::harness::explain {

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// "connect(3, server:7000)" out of "0...0.050 client: connect(3, server:7000) = 0": the call's
// name and its balanced parentheses, as the script writes them.
std::string call_text(const std::string& line, const std::string& name) {
  std::size_t at = std::string::npos;
  for (std::size_t from = 0; (from = line.find(name + "(", from)) != std::string::npos; ++from) {
    if (from == 0 || line[from - 1] == ' ' || line[from - 1] == ':') {
      at = from;
      break;
    }
  }
  if (at == std::string::npos) return name + "()";
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = at + name.size(); i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    else if (c == '(' || c == '[' || c == '{') ++depth;
    else if (c == ')' || c == ']' || c == '}') {
      if (--depth == 0) return line.substr(at, i + 1 - at);
    }
  }
  return line.substr(at);
}

int line_of(const std::string& detail, std::string_view prefix) {
  if (detail.rfind(prefix, 0) != 0) return 0;
  try {
    return std::stoi(detail.substr(prefix.size()));
  } catch (...) {
    return 0;
  }
}

std::string short_flags(const DecodedFrame& f) {
  using K = DecodedFrame::Kind;
  switch (f.kind) {
    case K::kTcp: {
      std::string s = wire::format_tcp_flags(f.tcp_flags, f.tcp_reserved);
      if (f.payload_len > 0 && s.find('P') == std::string::npos) s += "+data";
      return s;
    }
    case K::kUdp: return "UDP";
    case K::kIcmp: return "ICMP";
    case K::kIcmpv6: return "ICMPv6";
    case K::kNdp: return "NDP";
    case K::kArp: return "ARP";
    case K::kOther: break;
  }
  return "?";
}

void append(std::string* to, const std::string& what) {
  if (what.empty()) return;
  if (!to->empty()) *to += "; ";
  *to += what;
}

std::string join_text(const std::string& a, const std::string& b) {
  if (b.empty()) return a;
  if (a.empty()) return b;
  return a + ": " + b;
}

}  // namespace

Ladder build_ladder(const Scenario& s, const ScenarioResult& r) {
  Ladder L;
  L.path = s.path;
  L.title = s.title;
  L.about = s.about;
  L.personality = r.personality;
  L.seed = r.seed;
  L.passed = r.passed;
  L.expected_failure = r.expected_failure;
  if (r.failure && !r.passed) L.failure = r.failure->to_string();
  L.end = r.end;

  std::map<sim::NodeId, int> col_of;
  for (const auto& h : r.hosts) {
    Column c;
    c.host = h.name;
    c.personality = h.personality;
    for (const auto& d : s.declarations) {
      if (const auto* hd = std::get_if<HostDecl>(&d); hd && hd->name == h.name) {
        for (const auto& a : hd->addresses) append(&c.addresses, a.to_string());
      }
    }
    col_of[h.node] = static_cast<int>(L.columns.size());
    L.columns.push_back(std::move(c));
  }
  auto col = [&](sim::NodeId n) {
    auto it = col_of.find(n);
    return it == col_of.end() ? -1 : it->second;
  };

  std::map<wire::IpAddr, std::string> owners;
  for (const auto& d : s.declarations) {
    if (const auto* hd = std::get_if<HostDecl>(&d)) {
      for (const auto& a : hd->addresses) owners.emplace(a.addr, hd->name);
    }
  }
  const HostOfAddress owner = [&owners](const wire::IpAddr& a) {
    auto it = owners.find(a);
    return it == owners.end() ? std::string() : it->second;
  };

  const std::vector<std::string> lines = read_lines(s.path);
  // Line `n` as written, with its continuation lines (a line ending in '\\') joined on.
  auto script_line = [&lines](int n) -> std::string {
    std::string text;
    for (std::size_t i = static_cast<std::size_t>(n) - 1; n >= 1 && i < lines.size(); ++i) {
      std::string l = lines[i];
      const bool more = !l.empty() && l.back() == '\\';
      if (more) l.pop_back();
      if (!text.empty()) l.erase(0, l.find_first_not_of(" \t"));
      text += l;
      if (!more) break;
    }
    return text;
  };

  std::map<std::uint64_t, std::size_t> row_of_frame;
  // A segment seen before from the same sender (same flow, flags, sequence and length) is a
  // retransmission; only segments that occupy sequence space count (SYN, FIN, data).
  std::map<std::tuple<int, std::string, std::uint8_t, std::uint32_t, std::uint32_t>, int> sent_before;
  SeqTracker seqs;
  // A call started on each host by line, waiting for its return.
  std::map<int, std::size_t> open_call;

  for (const auto& ev : r.trace) {
    switch (ev.kind) {
      case sim::TraceKind::kFrameSent: {
        Row row;
        row.kind = RowKind::kPacket;
        row.at = ev.at;
        row.col = col(ev.node);
        const auto* fr = [&]() -> const sim::TraceRecorder::Frame* {
          for (auto it = r.frames.rbegin(); it != r.frames.rend(); ++it) {
            if (it->id == ev.frame) return &*it;
            if (it->id < ev.frame) break;
          }
          return nullptr;
        }();
        if (fr) {
          const DecodedFrame f = decode_frame(fr->bytes);
          seqs.observe(f);
          const std::string text = format_actual(f, seqs, owner);
          const std::size_t gt = text.find(" > ");
          const std::size_t sp = gt == std::string::npos ? std::string::npos : text.find(' ', gt + 3);
          if (f.kind == DecodedFrame::Kind::kArp || sp == std::string::npos) {
            row.label = text;
          } else {
            row.endpoints = text.substr(0, sp);
            row.label = text.substr(sp + 1);
          }
          row.flags = short_flags(f);
          using wire::tcp_flag::kFin;
          using wire::tcp_flag::kSyn;
          if (f.kind == DecodedFrame::Kind::kTcp && (f.payload_len > 0 || (f.tcp_flags & (kSyn | kFin)))) {
            const auto key = std::make_tuple(row.col, row.endpoints, f.tcp_flags, f.seq, f.payload_len);
            row.retransmission = sent_before[key]++;
            if (row.retransmission > 0) ++L.retransmissions;
          }
        }
        ++L.packets;
        row_of_frame[ev.frame] = L.rows.size();
        L.rows.push_back(std::move(row));
        break;
      }
      case sim::TraceKind::kFrameAltered: {
        auto it = row_of_frame.find(ev.copy_of ? ev.copy_of : ev.frame);
        if (it == row_of_frame.end()) break;
        if (ev.copy_of) {
          // A duplicate made by the link: a packet of its own, sent at the same instant.
          Row row = L.rows[it->second];
          row.arrived.reset();
          row.to_col = -1;
          row.drop.clear();
          row.cause = join_text(ev.text, ev.detail);
          row_of_frame[ev.frame] = L.rows.size();
          ++L.packets;
          L.rows.push_back(std::move(row));
        } else {
          append(&L.rows[it->second].cause, join_text(ev.text, ev.detail));
        }
        break;
      }
      case sim::TraceKind::kFrameDropped: {
        auto it = row_of_frame.find(ev.frame);
        if (it == row_of_frame.end()) break;
        Row& row = L.rows[it->second];
        if (row.drop.empty()) ++L.drops;
        append(&row.drop, join_text(ev.text, ev.detail));
        row.dropped_on_link = true;
        break;
      }
      case sim::TraceKind::kFrameArrived: {
        auto it = row_of_frame.find(ev.frame);
        if (it == row_of_frame.end()) break;
        Row& row = L.rows[it->second];
        if (!row.arrived) {
          row.arrived = ev.at;
          row.to_col = col(ev.node);
        }
        break;
      }
      case sim::TraceKind::kFrameNote: {
        auto it = row_of_frame.find(ev.frame);
        if (it == row_of_frame.end()) break;
        Row& row = L.rows[it->second];
        if (ev.note == sim::NoteKind::kCause) {
          // Causes start with the segment ("S 0:0(0): connect() ..."), for a capture comment
          // that stands alone; the ladder shows the segment already.
          std::string t = join_text(ev.text, ev.detail);
          const std::size_t colon = t.find(": ");
          if (colon != std::string::npos && colon > 0 && row.label.rfind(t.substr(0, colon), 0) == 0) {
            t.erase(0, colon + 2);
          }
          append(&row.cause, t);
        } else if (ev.note == sim::NoteKind::kDrop && ev.detail == "TCP_RESET") {
          // Linux frees an accepted RST with the reason TCP_RESET; it did its job.
          std::string t = ev.text;
          if (const std::size_t c = t.find(": "); t.rfind("dropped by ", 0) == 0 && c != std::string::npos) {
            t = t.substr(c + 2);
          }
          append(&row.effect, t);
        } else if (ev.note == sim::NoteKind::kDrop) {
          if (row.drop.empty()) ++L.drops;
          append(&row.drop, ev.detail.empty() ? ev.text : ev.text + " [" + ev.detail + "]");
        } else {
          append(&row.effect, join_text(ev.text, ev.detail));
        }
        break;
      }
      case sim::TraceKind::kFrameDone:
        break;
      case sim::TraceKind::kSyscall: {
        const int c = col(ev.node);
        const std::size_t colon = ev.text.find(": ");
        const std::string body = colon == std::string::npos ? ev.text : ev.text.substr(colon + 2);
        const std::size_t paren = body.find("()");
        const std::string name = paren == std::string::npos ? body : body.substr(0, paren);
        if (const int ln = line_of(ev.detail, "line "); ln > 0) {
          Row row;
          row.kind = RowKind::kCall;
          row.at = ev.at;
          row.col = c;
          row.line = ln;
          row.call = call_text(script_line(ln), name);
          open_call[ln] = L.rows.size();
          L.rows.push_back(std::move(row));
          break;
        }
        const int ln = line_of(ev.detail, "return line ");
        const std::size_t eq = body.find(" = ");
        const std::string result = eq == std::string::npos ? "" : body.substr(eq + 3);
        std::string err_name, meaning;
        // "-1 ECONNREFUSED (...)", or libowfat's "0 ENOTCONN (...)": a value, then the errno.
        if (const std::size_t sp = result.find(' '); sp != std::string::npos && result.compare(sp + 1, 1, "E") == 0) {
          err_name = result.substr(sp + 1, result.find(' ', sp + 1) - sp - 1);
          if (auto e = stack::errno_from_name(err_name)) {
            if (auto lesson = errno_lesson(*e)) meaning = std::string(lesson->meaning);
          }
        }
        auto it = open_call.find(ln);
        // A call that returns at the instant it was made is one row (what it did meanwhile,
        // a state change or a packet, follows it).
        if (it != open_call.end() && L.rows[it->second].at == ev.at) {
          Row& row = L.rows[it->second];
          row.result = result;
          row.errno_name = err_name;
          row.meaning = meaning;
        } else {
          Row row;
          row.kind = RowKind::kReturn;
          row.at = ev.at;
          row.col = c;
          row.line = ln;
          row.call = it != open_call.end() ? L.rows[it->second].call : call_text(script_line(ln), name);
          row.result = result;
          row.errno_name = err_name;
          row.meaning = meaning;
          L.rows.push_back(std::move(row));
        }
        if (it != open_call.end()) open_call.erase(it);
        break;
      }
      case sim::TraceKind::kState: {
        Row row;
        row.kind = RowKind::kState;
        row.at = ev.at;
        row.col = col(ev.node);
        row.text = ev.text;
        row.detail = ev.detail;
        const std::size_t arrow = ev.text.rfind(" -> ");
        if (arrow != std::string::npos) {
          const std::size_t start = ev.text.rfind(": ", arrow);
          row.from_state = ev.text.substr(start == std::string::npos ? 0 : start + 2,
                                          arrow - (start == std::string::npos ? 0 : start + 2));
          row.to_state = ev.text.substr(arrow + 4);
        }
        L.rows.push_back(std::move(row));
        break;
      }
      case sim::TraceKind::kTimer:
      case sim::TraceKind::kNote: {
        Row row;
        row.kind = ev.kind == sim::TraceKind::kTimer ? RowKind::kTimer : RowKind::kNote;
        row.at = ev.at;
        row.col = col(ev.node);
        row.text = ev.text;
        row.detail = ev.detail;
        L.rows.push_back(std::move(row));
        break;
      }
    }
  }
  return L;
}

std::string host_of(const Ladder& l, int col) {
  return col >= 0 && static_cast<std::size_t>(col) < l.columns.size() ? l.columns[static_cast<std::size_t>(col)].host
                                                                      : std::string("world");
}

int destination(const Ladder& l, const Row& r) {
  if (r.to_col >= 0) return r.to_col;
  const std::size_t gt = r.endpoints.find(" > ");
  if (gt == std::string::npos) return -1;
  std::string dst = r.endpoints.substr(gt + 3);
  dst = dst.substr(0, dst.find(':'));
  for (std::size_t i = 0; i < l.columns.size(); ++i) {
    if (l.columns[i].host == dst) return static_cast<int>(i);
  }
  return -1;
}

Ladder explain_run(const Scenario& s, const RunOptions& opt) {
  RunOptions o = opt;
  o.keep_trace = true;
  const ScenarioResult r = run_scenario(s, o);
  return build_ladder(s, r);
}

}  // namespace synlab::harness::explain
