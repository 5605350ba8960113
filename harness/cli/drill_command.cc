#include "harness/cli/drill_command.h"

#include <algorithm>
#include <filesystem>

#include "harness/drill/drill.h"
#include "sim/time.h"

namespace synlab::harness {

int drill_command(const DrillArgs& args, std::ostream& out, std::ostream& err) {
  drill::DrillOptions opt;
  opt.options = args.options;
  opt.profile = args.profile;
  for (const auto& d : args.defines) {
    const auto eq = d.find('=');
    if (eq == std::string::npos || eq == 0) {
      err << "synlab drill: error: -D wants NAME=VALUE, got '" << d << "'\n";
      return 2;
    }
    opt.defines.emplace_back(d.substr(0, eq), d.substr(eq + 1));
  }
  std::vector<std::string> files;
  for (const auto& f : args.files) {
    std::error_code ec;
    if (std::filesystem::is_directory(f, ec)) {
      std::vector<std::string> found;
      for (auto it = std::filesystem::recursive_directory_iterator(f, ec); !ec && it != std::filesystem::end(it);
           it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".pkt") found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(f);
    }
  }
  if (files.empty()) {
    err << "synlab drill: error: no .pkt scripts given\n";
    return 2;
  }
  // Parse everything first: bad input runs nothing.
  std::vector<drill::DrillScript> scripts;
  int bad = 0;
  for (const auto& f : files) {
    auto d = drill::load_drill(f, opt);
    if (!d) {
      err << d.error().report();
      ++bad;
      continue;
    }
    scripts.push_back(std::move(*d));
  }
  if (bad) return 2;
  if (args.emit) {
    for (const auto& d : scripts) out << "# " << d.scenario.path << "\n" << d.generated;
    return 0;
  }
  int passed = 0, failed = 0;
  for (const auto& d : scripts) {
    RunOptions ro;
    if (!args.out_dir.empty()) {
      ro.capture_dir = args.out_dir;
      ro.capture_name = std::filesystem::path(d.scenario.path).stem().string() + "-" + std::string(drill::ip_mode_name(d.mode));
    }
    ro.keep_trace = args.trace;
    const auto o = drill::run_drill(d, ro);
    if (args.trace) {
      for (const auto& ev : o.result.trace) {
        out << "  " << sim::format_seconds(ev.at) << " " << ev.text;
        if (!ev.detail.empty()) out << "  (" << ev.detail << ")";
        out << "\n";
      }
    }
    const auto& r = o.result;
    out << (o.passed ? "PASS " : "FAIL ") << d.scenario.path << " [" << drill::ip_mode_name(d.mode) << ", " << d.profile
        << "] " << sim::format_seconds(r.end) << " s, " << r.packets << " packets, largest deviation "
        << r.max_deviation.us() << " us";
    if (r.max_deviation_line) out << " (line " << r.max_deviation_line << ")";
    if (o.expected_failure) out << (o.passed ? ", failed as expected" : ", expected to fail");
    out << "\n";
    if (!o.passed || args.verbose) {
      if (!o.error.empty()) out << o.error;
      if (o.expected_failure && !o.passed) out << "  expected failure: " << *d.expected_failure << "\n";
      if (args.verbose) {
        out << "  profile: " << d.profile_reason << "\n";
        for (const auto& n : d.notes) out << "  note: " << n << "\n";
      }
    }
    (o.passed ? passed : failed)++;
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}

}  // namespace synlab::harness
