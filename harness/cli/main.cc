// synlab: the command-line front end.
#include <CLI/CLI.hpp>

#include <iostream>

#include "harness/demo.h"

int main(int argc, char** argv) {
  CLI::App app{"synlab: a deterministic TCP/IP connection simulator and test harness"};
  app.require_subcommand(1);

  synlab::harness::DemoOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "Run the two-host example: a connection over a lossy link, captured");
  demo_cmd->add_option("--seed", demo.seed, "Random seed");
  demo_cmd->add_option("--loss", demo.loss, "Loss rate on the link (0..1)");
  demo_cmd->add_option("--out", demo.out_dir, "Directory for the captures");

  auto* run_cmd = app.add_subcommand("run", "Run scenarios (the bundled suite by default)");
  std::vector<std::string> paths;
  run_cmd->add_option("paths", paths, "Scenario files or folders");

  CLI11_PARSE(app, argc, argv);
  if (demo_cmd->parsed()) return synlab::harness::run_demo(demo, std::cout);
  if (run_cmd->parsed()) {
    // Until the scenario runner exists, `run` runs the two-host example.
    return synlab::harness::run_demo(demo, std::cout);
  }
  return 0;
}
