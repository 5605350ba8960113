#include "harness/cli/golden_command.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "harness/cli/run_command.h"
#include "harness/runner/packet_match.h"
#include "harness/runner/runner.h"
#include "harness/scenario/parser.h"
#include "sim/capture/capture_diff.h"
#include "sim/capture/capture_reader.h"

namespace synlab::harness {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& p, bool* ok) {
  std::ifstream in(p, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One record decoded in script syntax, with sequence numbers relative to the ISNs seen in the
// records before it and endpoints named from the capture's name resolution block.
std::string decode_record(const sim::CaptureFile& file, std::size_t index) {
  if (index >= file.records.size()) return "(no such frame: the capture has " + std::to_string(file.records.size()) + ")";
  auto owner = [&file](const wire::IpAddr& a) -> std::string {
    for (const auto& n : file.names) {
      if (wire::IpAddr::from_bytes(n.ip()) == a) return n.name;
    }
    return {};
  };
  SeqTracker seqs;
  DecodedFrame f;
  for (std::size_t i = 0; i <= index; ++i) {
    f = decode_frame(file.records[i].bytes);
    seqs.observe(f);
  }
  const auto& rec = file.records[index];
  std::string text = sim::format_seconds(sim::Duration::nanos(rec.timestamp_ns)) + " ";
  text += f.malformed.empty() ? format_actual(f, seqs, owner) : "(undecodable: " + f.malformed + ")";
  return text;
}

bool same_record(const sim::CaptureRecord& a, const sim::CaptureRecord& b) {
  return a.timestamp_ns == b.timestamp_ns && a.bytes == b.bytes && a.original_length == b.original_length &&
         a.comments == b.comments && a.interface == b.interface && a.direction == b.direction;
}

// What differs between the golden file and the new one, for a reader: the first difference
// and the first differing packet decoded from both.
std::vector<std::string> explain_difference(const fs::path& golden, const fs::path& now) {
  std::vector<std::string> lines;
  auto g = sim::read_capture_file(golden.string());
  auto n = sim::read_capture_file(now.string());
  if (!g) return {"the golden capture does not read: " + g.error().message};
  if (!n) return {"the new capture does not read: " + n.error().message};
  if (auto d = sim::first_difference(*g, *n)) {
    lines.push_back(*d);
  } else {
    lines.push_back("the packets are the same; the file header differs (application '" + g->application +
                    "' in the golden file, '" + n->application + "' now)");
    return lines;
  }
  std::size_t i = 0;
  while (i < g->records.size() && i < n->records.size() && same_record(g->records[i], n->records[i])) ++i;
  lines.push_back("first differing packet, frame " + std::to_string(i + 1) + ":");
  lines.push_back("  golden:  " + decode_record(*g, i));
  lines.push_back("  now:     " + decode_record(*n, i));
  auto comment = [](const sim::CaptureFile& f, std::size_t k) {
    return k < f.records.size() && !f.records[k].comments.empty() ? f.records[k].comments.front() : std::string("-");
  };
  if (comment(*g, i) != comment(*n, i)) {
    lines.push_back("  golden comment:  " + comment(*g, i));
    lines.push_back("  now comment:     " + comment(*n, i));
  }
  return lines;
}

// The first sentence of a scenario's explanation, for the index.
std::string first_sentence(const Scenario& s) {
  std::string text;
  for (const auto& p : s.about) {
    if (!text.empty()) text += ' ';
    text += p;
    if (text.find(". ") != std::string::npos) break;
  }
  if (auto dot = text.find(". "); dot != std::string::npos) text.resize(dot + 1);
  for (auto& c : text) {
    if (c == '|') c = '/';
  }
  return text;
}

std::string readme_text(const std::vector<Found>& found, const std::vector<Scenario>& scenarios) {
  std::ostringstream o;
  o << "# Golden captures\n\n"
       "One capture per bundled scenario (`../scenarios/`), written by synlab: open any of them in\n"
       "Wireshark directly, no build needed. Every packet carries a comment saying why it was sent\n"
       "and what became of it (Wireshark shows it under the packet's frame details, or add a\n"
       "`frame.comment` column); hosts are named in the capture, so View > Name Resolution >\n"
       "Resolve Network Addresses shows `client` and `server` instead of addresses. Times are the\n"
       "scenario's virtual time, starting at 0.\n\n"
       "These files are generated; do not edit them. The test `golden_captures` (`./dev test`)\n"
       "runs every scenario again and compares its capture byte for byte with the one here,\n"
       "reporting the first differing packet decoded from both. `./dev update-golden` is the only\n"
       "way to rewrite them (and this index). `capture_checks` validates each file with tshark.\n";
  std::string topic;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const std::string& name = found[i].name;
    const auto slash = name.rfind('/');
    const std::string t = slash == std::string::npos ? "." : name.substr(0, slash);
    if (t != topic) {
      topic = t;
      o << "\n## " << topic << "\n\n| Capture | Lesson | Scenario |\n|---|---|---|\n";
    }
    o << "| [" << name << ".pcapng](" << name << ".pcapng) | **" << scenarios[i].title << "** " << first_sentence(scenarios[i])
      << " | [" << name << ".scn](../scenarios/" << name << ".scn) |\n";
  }
  return o.str();
}

class Reporter {
 public:
  Reporter(std::ostream& out, bool tap, std::size_t planned) : out_(out), tap_(tap) {
    if (tap_) out_ << "1.." << planned << "\n";
  }
  void result(bool ok, const std::string& name, const std::vector<std::string>& details) {
    ++n_;
    (ok ? passed_ : failed_)++;
    if (tap_) {
      out_ << (ok ? "ok " : "not ok ") << n_ << " - " << name << "\n";
      for (const auto& d : details) out_ << "# " << d << "\n";
    } else {
      out_ << (ok ? "ok    " : "FAIL  ") << name << "\n";
      for (const auto& d : details) out_ << "    " << d << "\n";
    }
  }
  int passed() const { return passed_; }
  int failed() const { return failed_; }

 private:
  std::ostream& out_;
  bool tap_;
  int n_ = 0, passed_ = 0, failed_ = 0;
};

}  // namespace

int golden_command(const GoldenArgs& args, std::ostream& out, std::ostream& err) {
  const std::string scenarios_dir = args.scenarios_dir.empty() ? bundled_scenarios_dir() : args.scenarios_dir;
  const fs::path pcaps = args.pcaps_dir.empty() ? fs::path(scenarios_dir).parent_path() / "pcaps" : fs::path(args.pcaps_dir);
  std::vector<Found> found;
  std::string error;
  if (!find_scenarios({scenarios_dir}, &found, &error)) {
    err << "synlab: error: " << error << "\n";
    return 2;
  }
  std::vector<Scenario> scenarios;
  for (const auto& f : found) {
    auto s = parse_scenario_file(f.path);
    if (!s) {
      err << s.error().to_string();
      return 2;
    }
    scenarios.push_back(std::move(*s));
  }

  // The new captures go to a private temporary folder; only --update copies them over.
  std::string tmpl = (fs::temp_directory_path() / "synlab-golden-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) {
    err << "synlab: error: cannot create a temporary folder in " << fs::temp_directory_path() << "\n";
    return 2;
  }
  const fs::path tmp = tmpl;

  std::set<std::string> expected_files;
  for (const auto& f : found) expected_files.insert(f.name + ".pcapng");
  std::vector<std::string> stale;
  std::error_code ec;
  if (fs::is_directory(pcaps, ec)) {
    for (auto it = fs::recursive_directory_iterator(pcaps, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file() || it->path().extension() != ".pcapng") continue;
      const std::string rel = fs::relative(it->path(), pcaps).generic_string();
      if (!expected_files.contains(rel)) stale.push_back(rel);
    }
  }
  std::sort(stale.begin(), stale.end());

  Reporter rep(out, args.tap, found.size() + stale.size() + 1);
  int updated = 0;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const std::string& name = found[i].name;
    const fs::path rel = name + ".pcapng";
    RunOptions opt;
    opt.capture_dir = (tmp / rel.parent_path()).string();
    opt.capture_name = rel.stem().string();
    opt.pcap = false;
    opt.pcapng = true;
    const ScenarioResult r = run_scenario(scenarios[i], opt);
    if (!r.passed) {
      std::vector<std::string> d{"the scenario fails, so its capture cannot be trusted:"};
      std::istringstream lines(r.failure ? r.failure->to_string() : "(no report)");
      for (std::string l; std::getline(lines, l);) d.push_back("  " + l);
      rep.result(false, name, d);
      continue;
    }
    const fs::path now = tmp / rel;
    const fs::path golden = pcaps / rel;
    if (args.update) {
      fs::create_directories(golden.parent_path(), ec);
      bool same = false;
      if (fs::exists(golden)) {
        bool a = false, b = false;
        same = read_bytes(golden, &a) == read_bytes(now, &b) && a && b;
      }
      if (!same) {
        fs::copy_file(now, golden, fs::copy_options::overwrite_existing, ec);
        if (ec) {
          rep.result(false, name, {"cannot write " + golden.string() + ": " + ec.message()});
          continue;
        }
        ++updated;
      }
      rep.result(true, name, same ? std::vector<std::string>{} : std::vector<std::string>{"updated " + golden.string()});
      continue;
    }
    bool have_golden = false, have_now = false;
    const std::string g = read_bytes(golden, &have_golden);
    const std::string n = read_bytes(now, &have_now);
    if (!have_golden) {
      rep.result(false, name, {"no golden capture " + golden.string() + " (run ./dev update-golden)"});
    } else if (!have_now) {
      rep.result(false, name, {"the run wrote no capture " + now.string()});
    } else if (g != n) {
      std::vector<std::string> d{"capture differs from " + golden.string()};
      for (auto& l : explain_difference(golden, now)) d.push_back("  " + l);
      d.push_back("(if the change is intended: ./dev update-golden, and review the diff in Wireshark)");
      rep.result(false, name, d);
    } else {
      rep.result(true, name, {});
    }
  }
  for (const auto& s : stale) {
    if (args.update) {
      fs::remove(pcaps / s, ec);
      rep.result(true, "stale " + s, {"removed " + (pcaps / s).string() + ": its scenario is gone"});
      ++updated;
    } else {
      rep.result(false, "stale " + s, {"golden capture " + (pcaps / s).string() + " has no scenario (./dev update-golden removes it)"});
    }
  }
  const fs::path readme = pcaps / "README.md";
  const std::string index = readme_text(found, scenarios);
  bool have_readme = false;
  const std::string current = read_bytes(readme, &have_readme);
  if (args.update) {
    if (!have_readme || current != index) {
      std::ofstream(readme, std::ios::binary) << index;
      ++updated;
    }
    rep.result(true, "README.md", {});
  } else if (!have_readme || current != index) {
    rep.result(false, "README.md", {readme.string() + " does not list the bundled scenarios as they are now (./dev update-golden)"});
  } else {
    rep.result(true, "README.md", {});
  }
  fs::remove_all(tmp, ec);
  if (!args.tap) {
    out << rep.passed() << " passed, " << rep.failed() << " failed";
    if (args.update) out << " (" << updated << " files written or removed in " << pcaps.string() << ")";
    out << "\n";
  }
  return rep.failed() ? 1 : 0;
}

}  // namespace synlab::harness
