#include "harness/cli/run_command.h"

#include <fnmatch.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/drill/drill.h"
#include "harness/scenario/parser.h"
#include "harness/xml_escape.h"
#include "stack/personality/personality.h"

#ifndef SYNLAB_SOURCE_DIR
#define SYNLAB_SOURCE_DIR "."
#endif

namespace synlab::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Interruption. The handler only records the signal (an atomic int is lock-free, so storing
// it is async-signal-safe); the runner reads it before every simulator event
// (RunOptions::stop) and the loops here between scenarios. Finishing captures and writing
// reports happen in the normal flow.
std::atomic<int> g_stop{0};
volatile std::sig_atomic_t g_in_worker = 0;
static_assert(std::atomic<int>::is_always_lock_free);

void on_stop_signal(int sig) {
  int none = 0;
  if (g_stop.compare_exchange_strong(none, sig)) return;
  // A second signal. A worker ignores it: the parent forwards the signal that a terminal's
  // Ctrl-C also sent to the whole process group. The parent leaves at once, without reports.
  if (g_in_worker) return;
  _exit(128 + sig);
}

// Installs the handlers for the duration of run_command() and restores the previous ones. A
// signal that was ignored (nohup, a background job of a non-interactive shell) stays ignored.
class StopSignals {
 public:
  StopSignals() {
    g_stop.store(0);
    struct sigaction sa = {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the parent's poll() returns EINTR and forwards at once
    for (int k = 0; k < 2; ++k) {
      sigaction(kSignals[k], nullptr, &old_[k]);
      if (old_[k].sa_handler != SIG_IGN) sigaction(kSignals[k], &sa, nullptr);
    }
  }
  ~StopSignals() {
    for (int k = 0; k < 2; ++k) sigaction(kSignals[k], &old_[k], nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  static constexpr int kSignals[2] = {SIGINT, SIGTERM};
  struct sigaction old_[2] = {};
};

std::string signal_name(int sig) {
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(sig);
}

// One result as the report holds it; workers send exactly this to the parent.
// Capture paths in the report are relative to --out, so a report stays true when the folder
// moves and two runs into different folders give the same report.
json result_json(const SuiteItem& item, const ScenarioResult& r, const std::string& out_dir) {
  json j;
  j["name"] = item.name;
  j["path"] = item.path;
  j["title"] = r.title;
  j["personality"] = r.personality;
  j["seed"] = r.seed;
  j["passed"] = r.passed;
  j["expected_failure"] = r.expected_failure;
  j["virtual_time_ns"] = r.end.ns();
  j["virtual_time"] = sim::format_seconds(r.end);
  j["events"] = r.events;
  j["packets"] = r.packets;
  json caps = json::array();
  for (const auto& c : r.captures) caps.push_back(out_dir.empty() ? c : fs::path(c).lexically_relative(out_dir).generic_string());
  j["captures"] = caps;
  if (r.interrupted_by != 0) j["interrupted"] = signal_name(r.interrupted_by);
  if (r.failure) {
    const Failure& f = *r.failure;
    json fj;
    fj["file"] = std::string(f.loc.file_name());
    fj["line"] = f.loc.line;
    fj["column"] = f.loc.col;
    fj["at"] = sim::format_seconds(f.at);
    fj["message"] = f.message;
    fj["expected"] = f.expected;
    fj["actual"] = f.actual;
    fj["source_line"] = f.source_line;
    fj["notes"] = f.notes;
    fj["report"] = f.to_string();
    j["failure"] = fj;
  }
  return j;
}

std::string colored(bool color, const char* code, const std::string& s) {
  return color ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
}

// "PASS handshake/basic [linux] 0.150000 s, 12 packets"
std::string result_text(const json& j, bool color, bool verbose) {
  const bool passed = j["passed"].get<bool>();
  std::string s = (passed ? colored(color, "32", "PASS") : colored(color, "31;1", "FAIL")) + " " +
                  j["name"].get<std::string>() + " [" + j["personality"].get<std::string>() + "] " +
                  j["virtual_time"].get<std::string>() + " s, " + std::to_string(j["packets"].get<std::uint64_t>()) +
                  " packets";
  if (j["expected_failure"].get<bool>()) s += passed ? " (failed as expected)" : "";
  s += "\n";
  if (j.contains("failure") && (!passed || verbose)) {
    std::istringstream lines(j["failure"]["report"].get<std::string>());
    std::string line;
    while (std::getline(lines, line)) s += "    " + line + "\n";
  }
  return s;
}

// JUnit XML as Jenkins, GitLab and GitHub's reporters read it: one testsuite per topic
// folder, one testcase per scenario run (with the personality in the name when forced).
std::string junit_xml(const std::vector<json>& results) {
  std::map<std::string, std::vector<const json*>> suites;
  std::size_t failures = 0;
  for (const auto& j : results) {
    const std::string name = j["name"].get<std::string>();
    const auto slash = name.rfind('/');
    suites[slash == std::string::npos ? std::string("synlab") : name.substr(0, slash)].push_back(&j);
    failures += !j["passed"].get<bool>();
  }
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites name=\"synlab\" tests=\"" << results.size() << "\" failures=\"" << failures << "\">\n";
  for (const auto& [suite, items] : suites) {
    std::size_t f = 0;
    for (const json* j : items) f += !(*j)["passed"].get<bool>();
    x << "  <testsuite name=\"" << xml_escape(suite) << "\" tests=\"" << items.size() << "\" failures=\"" << f
      << "\">\n";
    for (const json* j : items) {
      std::string name = (*j)["name"].get<std::string>();
      const auto slash = name.rfind('/');
      if (slash != std::string::npos) name = name.substr(slash + 1);
      name += "[" + (*j)["personality"].get<std::string>() + "]";
      x << "    <testcase classname=\"" << xml_escape(suite) << "\" name=\"" << xml_escape(name)
        << "\" file=\"" << xml_escape((*j)["path"].get<std::string>()) << "\" time=\"0\"";
      if ((*j)["passed"].get<bool>()) {
        x << "/>\n";
        continue;
      }
      const json& fj = (*j)["failure"];
      x << ">\n      <failure message=\"" << xml_escape(fj["message"].get<std::string>()) << "\">"
        << xml_escape(fj["report"].get<std::string>()) << "</failure>\n    </testcase>\n";
    }
    x << "  </testsuite>\n";
  }
  x << "</testsuites>\n";
  return x.str();
}

bool write_file(const std::string& path, const std::string& text, std::ostream& err) {
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  std::ofstream o(path, std::ios::binary | std::ios::trunc);
  o << text;
  o.close();
  if (!o) {
    err << "synlab: error: cannot write " << path << "\n";
    return false;
  }
  return true;
}

// Runs one item in this process.
json run_item(const SuiteItem& item, const Scenario& s, const RunArgs& args) {
  RunOptions opt;
  opt.seed = args.seed;
  opt.personality = item.personality;
  if (!args.out_dir.empty() && args.captures) {
    const fs::path rel(item.name);
    opt.capture_dir = (fs::path(args.out_dir) / rel.parent_path()).string();
    opt.capture_name = rel.filename().string() + (item.personality ? "-" + *item.personality : "");
  }
  opt.stop = &g_stop;
  if (args.before_item) args.before_item(item);
  if (s.drill) {
    // A packetdrill script: packetdrill's own timing model (run_drill) and its error form.
    auto d = drill::load_drill(s.path);
    if (!d) {
      ScenarioResult r;
      r.path = s.path;
      Failure f;
      f.loc = s.loc;
      f.message = d.error().to_string();
      r.failure = f;
      return result_json(item, r, args.out_dir);
    }
    const auto o = drill::run_drill(*d, opt);
    ScenarioResult r = o.result;
    r.passed = o.passed;
    r.expected_failure = o.expected_failure;
    if (r.failure) r.failure->message = o.first_line;
    return result_json(item, r, args.out_dir);
  }
  return result_json(item, run_scenario(s, opt), args.out_dir);
}

// Runs `items` in `jobs` forked workers; results arrive as JSON lines on one pipe per worker
// and are stored by index. `done(index)` is called as each arrives.
bool run_parallel(const std::vector<SuiteItem>& items, const std::vector<Scenario>& scenarios, const RunArgs& args,
                  int jobs, std::vector<std::optional<json>>* results,
                  const std::function<void(std::size_t)>& done, std::ostream& err) {
  struct Worker {
    pid_t pid = -1;
    int fd = -1;
    std::string buf;
  };
  std::vector<Worker> workers;
  std::cout.flush();
  std::cerr.flush();
  for (int w = 0; w < jobs; ++w) {
    int p[2];
    if (pipe(p) != 0) {
      err << "synlab: error: pipe: " << std::strerror(errno) << "\n";
      return false;
    }
    const pid_t pid = fork();
    if (pid < 0) {
      err << "synlab: error: fork: " << std::strerror(errno) << "\n";
      return false;
    }
    if (pid == 0) {
      g_in_worker = 1;
      close(p[0]);
      for (std::size_t k = static_cast<std::size_t>(w); k < items.size(); k += static_cast<std::size_t>(jobs)) {
        if (g_stop.load() != 0) break;  // interrupted: start nothing more
        json j = run_item(items[k], scenarios[items[k].scenario], args);
        j["index"] = k;
        if (const int sig = g_stop.load(); sig != 0) j["stop_signal"] = sig;
        const std::string line = j.dump() + "\n";
        std::size_t off = 0;
        while (off < line.size()) {
          const ssize_t n = write(p[1], line.data() + off, line.size() - off);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) _exit(3);
          off += static_cast<std::size_t>(n);
        }
      }
      close(p[1]);
      _exit(0);
    }
    close(p[1]);
    workers.push_back({pid, p[0], {}});
  }
  bool ok = true;
  std::size_t open = workers.size();
  // A signal here, or one a worker reports, goes to every worker once. Until then poll()
  // wakes up every 100 ms too, in case the signal came just before it was called.
  bool forwarded = false;
  while (open > 0) {
    if (const int sig = g_stop.load(); sig != 0 && !forwarded) {
      forwarded = true;
      for (const auto& w : workers) kill(w.pid, sig);
    }
    std::vector<pollfd> fds;
    for (const auto& w : workers) fds.push_back({w.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), forwarded ? -1 : 100) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < workers.size(); ++i) {
      Worker& w = workers[i];
      if (w.fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char chunk[65536];
      const ssize_t n = read(w.fd, chunk, sizeof chunk);
      if (n > 0) {
        w.buf.append(chunk, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = w.buf.find('\n')) != std::string::npos) {
          json j = json::parse(w.buf.substr(0, nl), nullptr, false);
          w.buf.erase(0, nl + 1);
          if (j.is_discarded() || !j.contains("index")) continue;
          const auto k = j["index"].get<std::size_t>();
          j.erase("index");
          if (j.contains("stop_signal")) {
            int none = 0;
            g_stop.compare_exchange_strong(none, j["stop_signal"].get<int>());
            j.erase("stop_signal");
          }
          if (k < results->size()) {
            (*results)[k] = std::move(j);
            done(k);
          }
        }
      } else if (n == 0 || (n < 0 && errno != EINTR)) {
        close(w.fd);
        w.fd = -1;
        --open;
      }
    }
    std::erase_if(workers, [](const Worker& w) { return w.fd < 0 && w.pid < 0; });
  }
  for (auto& w : workers) {
    int status = 0;
    while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      err << "synlab: error: a worker process died ("
          << (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status)) : "status " + std::to_string(WEXITSTATUS(status)))
          << ")\n";
      ok = false;
    }
  }
  return ok;
}

}  // namespace

std::string bundled_scenarios_dir() {
  if (const char* e = std::getenv("SYNLAB_SCENARIOS"); e && *e) return e;
  std::error_code ec;
  if (fs::is_directory("scenarios", ec)) return "scenarios";
  return std::string(SYNLAB_SOURCE_DIR) + "/scenarios";
}

bool find_scenarios(const std::vector<std::string>& paths, std::vector<Found>* out, std::string* error) {
  for (const auto& p : paths) {
    std::error_code ec;
    const fs::path root(p);
    if (fs::is_regular_file(root, ec)) {
      out->push_back({p, root.stem().string()});
      continue;
    }
    if (!fs::is_directory(root, ec)) {
      *error = "no such file or folder: " + p;
      return false;
    }
    std::vector<Found> here;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file() || (it->path().extension() != ".scn" && it->path().extension() != ".pkt")) continue;
      fs::path rel = it->path().lexically_relative(root);
      rel.replace_extension();
      here.push_back({it->path().string(), rel.generic_string()});
    }
    if (ec) {
      *error = "cannot read " + p + ": " + ec.message();
      return false;
    }
    std::sort(here.begin(), here.end(), [](const Found& a, const Found& b) { return a.name < b.name; });
    out->insert(out->end(), here.begin(), here.end());
  }
  return true;
}

bool matches_filters(const std::vector<std::string>& globs, const std::string& name,
                     const std::vector<std::string>& tags) {
  if (globs.empty()) return true;
  for (const auto& g : globs) {
    if (fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
    for (const auto& t : tags) {
      if (fnmatch(g.c_str(), t.c_str(), 0) == 0) return true;
    }
  }
  return false;
}

bool parse_shard(const std::string& spec, int* index, int* total, std::string* error) {
  *index = 0;
  *total = 1;
  std::string s = spec;
  if (s.empty()) {
    const char* i = std::getenv("GTEST_SHARD_INDEX");
    const char* n = std::getenv("GTEST_TOTAL_SHARDS");
    if (!i || !n || !*i || !*n) return true;
    s = std::string(i) + "/" + n;
  }
  const auto slash = s.find('/');
  auto number = [](const std::string& t, int* v) {
    if (t.empty() || t.size() > 9 || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    *v = std::stoi(t);
    return true;
  };
  if (slash == std::string::npos || !number(s.substr(0, slash), index) || !number(s.substr(slash + 1), total) ||
      *total < 1 || *index >= *total) {
    *error = "bad shard '" + s + "': expected I/N with 0 <= I < N";
    return false;
  }
  return true;
}

int run_command(const RunArgs& args, std::ostream& out, std::ostream& err) {
  const StopSignals stop_signals;
  // 1. Find and parse everything first: bad input runs nothing.
  std::vector<std::string> paths = args.paths;
  if (paths.empty()) paths.push_back(bundled_scenarios_dir());
  std::vector<Found> found;
  std::string error;
  if (!find_scenarios(paths, &found, &error)) {
    err << "synlab: error: " << error << "\n";
    return 2;
  }
  if (found.empty()) {
    err << "synlab: error: no scenarios (*.scn) found in " << paths.front() << (paths.size() > 1 ? " ..." : "") << "\n";
    return 2;
  }
  std::vector<Scenario> scenarios;
  int bad = 0;
  for (const auto& f : found) {
    if (fs::path(f.path).extension() == ".pkt") {
      auto d = drill::load_drill(f.path);
      if (!d) {
        err << d.error().report();
        ++bad;
        scenarios.emplace_back();
        continue;
      }
      scenarios.push_back(std::move(d->scenario));
      continue;
    }
    auto s = parse_scenario_file(f.path);
    if (!s) {
      err << s.error().to_string();
      ++bad;
      scenarios.emplace_back();
      continue;
    }
    scenarios.push_back(std::move(*s));
  }
  if (bad) {
    err << "synlab: " << bad << (bad == 1 ? " scenario has errors" : " scenarios have errors") << "; nothing was run\n";
    return 2;
  }
  for (const auto& p : args.personalities) {
    if (!stack::make_personality(p)) {
      err << "synlab: error: unknown personality '" << p << "'\n";
      return 2;
    }
  }
  int shard = 0, shards = 1;
  if (!parse_shard(args.shard, &shard, &shards, &error)) {
    err << "synlab: error: " << error << "\n";
    return 2;
  }
  if (args.jobs < 1) {
    err << "synlab: error: --jobs must be at least 1\n";
    return 2;
  }

  // 2. Select: filter, personalities, shard.
  std::vector<SuiteItem> items;
  std::size_t k = 0;
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (!matches_filters(args.filters, found[i].name, scenarios[i].tags)) continue;
    std::vector<std::optional<std::string>> ps;
    if (args.personalities.empty()) ps.push_back(std::nullopt);
    for (const auto& p : args.personalities) ps.push_back(p);
    for (const auto& p : ps) {
      if (static_cast<int>(k++ % static_cast<std::size_t>(shards)) != shard) continue;
      items.push_back({found[i].path, found[i].name, p, i});
    }
  }
  if (args.list_only) {
    for (const auto& it : items) {
      out << it.name << (it.personality ? " [" + *it.personality + "]" : "") << "  " << scenarios[it.scenario].title << "\n";
    }
    return 0;
  }

  // 3. Run, printing in order as results complete.
  std::vector<std::optional<json>> results(items.size());
  std::size_t printed = 0, completed = 0;
  auto flush_ready = [&] {
    while (printed < results.size() && results[printed]) {
      if (args.progress) out << "\r\033[K";
      out << result_text(*results[printed], args.color, args.verbose);
      ++printed;
    }
    if (args.progress && printed < results.size()) {
      out << "[" << completed << "/" << results.size() << "] " << items[printed].name << " ..." << std::flush;
    }
    out.flush();
  };
  const int jobs = std::min<int>(args.jobs, static_cast<int>(std::max<std::size_t>(items.size(), 1)));
  bool workers_ok = true;
  if (jobs <= 1) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (g_stop.load() != 0) break;  // interrupted: start nothing more
      results[i] = run_item(items[i], scenarios[items[i].scenario], args);
      ++completed;
      flush_ready();
    }
  } else {
    workers_ok = run_parallel(items, scenarios, args, jobs, &results,
                              [&](std::size_t) {
                                ++completed;
                                flush_ready();
                              },
                              err);
  }
  if (args.progress) out << "\r\033[K";

  // 4. Summary and reports. Results not printed yet (after a gap: a worker died, or the run
  // was interrupted) are printed now, in order.
  const int stop = g_stop.load();
  std::vector<json> all;
  json not_run = json::array();
  std::string not_run_text;
  std::size_t passed = 0, failed = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i] && stop != 0) {
      const std::string name = items[i].name + (items[i].personality ? " [" + *items[i].personality + "]" : "");
      not_run.push_back(name);
      not_run_text += "NOT RUN " + name + "\n";
      if (i >= printed) out << "NOT RUN " << name << "\n";
      continue;
    }
    if (!results[i]) {
      // A worker died before reporting this one: it counts as failed.
      SuiteItem& it = items[i];
      ScenarioResult r;
      r.path = it.path;
      r.title = scenarios[it.scenario].title;
      r.personality = it.personality.value_or("linux");
      Failure f;
      f.loc = scenarios[it.scenario].loc;
      f.message = "no result: the worker process running it died";
      r.failure = f;
      results[i] = result_json(it, r, args.out_dir);
    }
    if (i >= printed) out << result_text(*results[i], args.color, args.verbose);
    all.push_back(*results[i]);
    ((*results[i])["passed"].get<bool>() ? passed : failed)++;
  }
  std::string summary = std::to_string(passed) + " passed, " + std::to_string(failed) + " failed";
  if (stop != 0) {
    summary = "interrupted by " + signal_name(stop) + ": " + summary + ", " + std::to_string(not_run.size()) +
              " not run";
  }
  out << summary << "\n";
  out.flush();
  json report;
  report["scenarios"] = all;
  report["passed"] = passed;
  report["failed"] = failed;
  if (stop != 0) {
    report["interrupted"] = signal_name(stop);
    report["not_run"] = not_run.size();
    report["not_run_scenarios"] = not_run;
  }
  if (shards > 1) report["shard"] = std::to_string(shard) + "/" + std::to_string(shards);
  bool files_ok = true;
  if (!args.json_file.empty()) files_ok &= write_file(args.json_file, report.dump(2) + "\n", err);
  if (!args.junit_file.empty()) files_ok &= write_file(args.junit_file, junit_xml(all), err);
  if (!args.out_dir.empty()) {
    files_ok &= write_file(args.out_dir + "/report.json", report.dump(2) + "\n", err);
    std::string text;
    for (const auto& j : all) text += result_text(j, false, true);
    files_ok &= write_file(args.out_dir + "/report.txt", text + not_run_text + summary + "\n", err);
  }
  if (stop != 0) return 128 + stop;  // 130 for SIGINT, 143 for SIGTERM, as shells report them
  if (!files_ok) return 2;
  return failed == 0 && workers_ok ? 0 : 1;
}

}  // namespace synlab::harness
