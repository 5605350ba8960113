// synlab: the command-line front end.
#include <CLI/CLI.hpp>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "harness/cli/drill_command.h"
#include "harness/cli/errno_command.h"
#include "harness/cli/golden_command.h"
#include "harness/cli/run_command.h"
#include "harness/demo.h"
#include "harness/drill/drill.h"
#include "harness/explain/explain_command.h"
#include "harness/scenario/parser.h"

namespace {

constexpr const char* kRunHelp = R"(Runs scenarios and checks every expectation in them.

PATH is a .scn file or a folder (searched recursively); without one, the bundled suite
(scenarios/) runs. Prints one line per scenario (PASS/FAIL, personality, virtual time,
packets), the details of each failure (script line, expected and actual value or packet in
script syntax, virtual time), and last "N passed, N failed".

Exit status: 0 all passed, 1 some failed, 2 bad input (a scenario that does not parse, an
unknown personality, a bad --shard): nothing runs then. 130 (SIGINT, Ctrl-C) or 143
(SIGTERM): interrupted; the running scenario stops with its captures finished (valid files),
nothing more starts, the reports list what finished plus the interrupted scenario, and the last
line reads "interrupted by SIGINT: N passed, N failed, N not run". A second signal exits at
once, without reports.

Sharding: --shard I/N runs the I-th of N slices (0 <= I < N); without it, the variables
GTEST_SHARD_INDEX and GTEST_TOTAL_SHARDS are honoured, as GoogleTest and Bazel set them.

Examples:
  synlab run                                  the bundled suite
  synlab run scenarios/backlog --jobs 2       one topic, two processes
  synlab run x.scn --out out/ --seed 7        captures in out/x.pcap and out/x.pcapng
  synlab run --filter 'handshake/*' --junit results.xml)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"synlab: a deterministic TCP/IP connection simulator and test harness.\n"
               "Simulated hosts with their own network stacks talk over simulated links in virtual time;\n"
               "scenario scripts drive them and check every socket call and every packet."};
  app.set_version_flag("--version", std::string("synlab ") + SYNLAB_VERSION);
  app.require_subcommand(1);

  synlab::harness::RunArgs run;
  std::string personalities;
  std::string color = "auto";
  auto* run_cmd = app.add_subcommand("run", "Run scenarios (the bundled suite by default)");
  run_cmd->footer(kRunHelp);
  run_cmd->add_option("paths", run.paths, "Scenario files or folders (default: the bundled scenarios/)");
  run_cmd->add_option("--out", run.out_dir, "Write captures (.pcap, .pcapng per scenario) and report.json/report.txt here");
  run_cmd->add_option("--seed", run.seed, "Override every scenario's seed");
  run_cmd->add_option("--personality", personalities,
                      "Run each scenario under each of these personalities (comma-separated), instead of the "
                      "scenario's own");
  run_cmd->add_option("-j,--jobs", run.jobs, "Run in N processes in parallel")->check(CLI::PositiveNumber);
  run_cmd->add_option("--filter", run.filters,
                      "Only scenarios whose name (e.g. handshake/basic) or a tag matches this glob; repeatable");
  run_cmd->add_option("--json", run.json_file, "Write a JSON report here");
  run_cmd->add_option("--junit", run.junit_file, "Write a JUnit XML report here");
  run_cmd->add_option("--shard", run.shard, "Run only slice I of N (I/N, 0-based)");
  run_cmd->add_flag("--no-captures", [&run](std::int64_t) { run.captures = false; },
                    "With --out: do not write captures");
  run_cmd->add_flag("-v,--verbose", run.verbose, "Print details for passing scenarios too");
  run_cmd->add_flag("--list", run.list_only, "List the selected scenarios and stop");
  run_cmd->add_option("--color", color, "Colour the PASS/FAIL words: auto, always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  std::vector<std::string> check_paths;
  auto* check_cmd = app.add_subcommand("check", "Parse scenarios and packetdrill scripts without running them (exit 2 on any error)");
  check_cmd->add_option("paths", check_paths, "Scenario files (.scn), packetdrill scripts (.pkt) or folders")->required();

  synlab::harness::GoldenArgs golden;
  auto* golden_cmd = app.add_subcommand(
      "golden", "Compare each bundled scenario's capture with its golden copy in pcaps/ (--update rewrites them)");
  golden_cmd->footer(
      "Runs every scenario in SCENARIOS (default: the bundled suite) and compares its pcapng capture byte for\n"
      "byte with PCAPS/<topic>/<name>.pcapng, reporting the first differing packet decoded from both. Goldens\n"
      "without a scenario, scenarios without a golden and a stale PCAPS/README.md fail too.\n"
      "Exit status: 0 all match (or were updated), 1 a difference, 2 bad input.");
  golden_cmd->add_option("scenarios", golden.scenarios_dir, "The scenarios folder (default: the bundled scenarios/)");
  golden_cmd->add_option("--pcaps", golden.pcaps_dir, "The golden captures folder (default: pcaps/ beside the scenarios)");
  golden_cmd->add_flag("--update", golden.update, "Rewrite the golden captures and pcaps/README.md");
  golden_cmd->add_flag("--tap", golden.tap, "Print TAP, one test point per capture");

  synlab::harness::ErrnoArgs errno_args;
  auto* errno_cmd = app.add_subcommand("errno", "What an errno means, when Linux's connect() gives it, and which scenarios show it");
  errno_cmd->footer(
      "NAME is an errno name (ECONNREFUSED, econnrefused) or its Linux number (111); without one, every errno\n"
      "synlab teaches is listed with a one-line meaning. The scenarios are those of the bundled suite (or\n"
      "--scenarios DIR) tagged errno:NAME. Exit status: 0, or 2 for an unknown name.");
  errno_cmd->add_option("name", errno_args.name, "The errno, by name or Linux number");
  errno_cmd->add_option("--scenarios", errno_args.scenarios_dir, "The scenarios folder (default: the bundled scenarios/)");

  synlab::harness::ExplainArgs explain;
  std::string explain_color = "auto";
  auto* explain_cmd = app.add_subcommand("explain", "Draw a scenario run as a ladder diagram, with the reason for everything in it");
  explain_cmd->footer(
      "Runs the scenario and draws it: hosts as lanes, time flowing down, each packet an arrow with its flags,\n"
      "relative seq/ack and options, why it was sent and, if it was dropped, where and why; every state change,\n"
      "every socket call with its result and what its errno means; retransmissions numbered with the timer that\n"
      "fired. FILE is a .scn file or a bundled scenario's name (refused/blocking).\n"
      "  --format svg    an SVG ladder;  --format html    one self-contained page (ladder, state timeline,\n"
      "                  call table, lesson text) to open in a browser\n"
      "  --personality linux,bsd   runs it under both and shows, step by step, where the outcomes differ\n"
      "Exit status: 0 the run passed, 1 it failed (still drawn, with the failure), 2 bad input.\n"
      "Examples:\n"
      "  synlab explain refused/blocking\n"
      "  synlab explain scenarios/backlog/ack-overflow-retry.scn --format html -o lesson.html\n"
      "  synlab explain addresses/reuseaddr-same-peer --personality linux,bsd");
  explain_cmd->add_option("file", explain.file, "The scenario (.scn file or bundled name)")->required();
  explain_cmd->add_option("--format", explain.format, "text (default), svg or html")
      ->check(CLI::IsMember({"text", "svg", "html"}));
  explain_cmd->add_option("--personality", explain.personalities,
                          "Run under this personality; two, comma-separated, to compare them");
  explain_cmd->add_option("--seed", explain.seed, "Override the scenario's seed");
  explain_cmd->add_option("--width", explain.width, "Fit the text in this many columns (default: the terminal's)")
      ->check(CLI::PositiveNumber);
  explain_cmd->add_option("-o,--output", explain.out_file, "Write to this file instead of standard output");
  explain_cmd->add_option("--color", explain_color, "Colour the text: auto, always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  synlab::harness::DrillArgs drill;
  std::string drill_profile;
  auto* drill_cmd = app.add_subcommand("drill", "Run packetdrill scripts (.pkt) against a simulated host");
  drill_cmd->allow_extras();
  drill_cmd->footer(
      "Each script is the application (its system calls run on the simulated host) and the remote peer (`<`\n"
      "packets are injected, `>` packets are expected), in virtual time: no root, no kernel, no flakes. The\n"
      "options are packetdrill's (--ip_version=ipv4|ipv6|ipv4-mapped-ipv6, --tolerance_usecs=N,\n"
      "--tolerance_percent=P, --tcp_ts_tick_usecs=N, --bind_port=N, --mtu=N, ...); they override the ones a\n"
      "script embeds. Failures print in packetdrill's form (file:line: error handling packet: ...).\n"
      "The 2013 scripts of packetdrill/tests/linux/ run on the linux-3.11 profile, others on linux.\n"
      "Exit status: 0 all passed, 1 some failed, 2 a script does not parse.\n"
      "Example: synlab drill ../shared/conformance/packetdrill/tcp/blocking --ip_version=ipv6");
  drill_cmd->add_option("files", drill.files, "Scripts (.pkt) or folders")->required();
  drill_cmd->add_option("-D", drill.defines, "NAME=VALUE: the word NAME in the script reads as VALUE");
  drill_cmd->add_option("--profile", drill_profile, "Run on this personality instead of the folder's profile");
  drill_cmd->add_option("--out", drill.out_dir, "Write each run's capture (.pcap, .pcapng) here");
  drill_cmd->add_flag("--emit", drill.emit, "Print the scenario each script becomes, and stop");
  drill_cmd->add_flag("-v,--verbose", drill.verbose, "Details for passing scripts too");
  drill_cmd->add_flag("--trace", drill.trace, "Print each run's trace: every packet, timer, call and state change");

  synlab::harness::DemoOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "Run the two-host example: a connection over a lossy link, captured");
  demo_cmd->add_option("--seed", demo.seed, "Random seed");
  demo_cmd->add_option("--loss", demo.loss, "Loss rate on the link (0..1)");
  demo_cmd->add_option("--out", demo.out_dir, "Directory for the captures");

  CLI11_PARSE(app, argc, argv);
  if (golden_cmd->parsed()) return synlab::harness::golden_command(golden, std::cout, std::cerr);
  if (demo_cmd->parsed()) return synlab::harness::run_demo(demo, std::cout);
  if (explain_cmd->parsed()) {
    const bool tty = isatty(STDOUT_FILENO) != 0;
    if (explain.width == 0) {
      struct winsize ws {};
      if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        explain.width = ws.ws_col;
      } else if (const char* c = std::getenv("COLUMNS"); c && std::atoi(c) > 0) {
        explain.width = std::atoi(c);
      } else {
        explain.width = 100;
      }
    }
    explain.color = explain_color == "always" || (explain_color == "auto" && tty && !std::getenv("NO_COLOR"));
    return synlab::harness::explain_command(explain, std::cout, std::cerr);
  }
  if (drill_cmd->parsed()) {
    for (const auto& x : drill_cmd->remaining()) {
      if (x.rfind("--", 0) != 0) {
        std::cerr << "synlab drill: error: unexpected argument '" << x << "'\n";
        return 2;
      }
      drill.options.push_back(x);
    }
    if (!drill_profile.empty()) drill.profile = drill_profile;
    return synlab::harness::drill_command(drill, std::cout, std::cerr);
  }
  if (errno_cmd->parsed()) return synlab::harness::errno_command(errno_args, std::cout, std::cerr);
  if (check_cmd->parsed()) {
    std::vector<synlab::harness::Found> found;
    std::string error;
    if (!synlab::harness::find_scenarios(check_paths, &found, &error)) {
      std::cerr << "synlab: error: " << error << "\n";
      return 2;
    }
    int bad = 0;
    for (const auto& f : found) {
      if (std::filesystem::path(f.path).extension() == ".pkt") {
        // A packetdrill script: read and translated as `synlab drill` would, not run.
        if (auto d = synlab::harness::drill::load_drill(f.path); !d) {
          std::cerr << d.error().report();
          ++bad;
        }
        continue;
      }
      auto s = synlab::harness::parse_scenario_file(f.path);
      if (!s) {
        std::cerr << s.error().to_string();
        ++bad;
      }
    }
    std::cout << found.size() - static_cast<std::size_t>(bad) << " ok, " << bad << " with errors\n";
    return bad ? 2 : 0;
  }
  if (run_cmd->parsed()) {
    std::stringstream ps(personalities);
    for (std::string p; std::getline(ps, p, ',');) {
      if (!p.empty()) run.personalities.push_back(p);
    }
    const bool tty = isatty(STDOUT_FILENO) != 0;
    run.color = color == "always" || (color == "auto" && tty);
    run.progress = tty;
    return synlab::harness::run_command(run, std::cout, std::cerr);
  }
  return 0;
}
