// The bundled scenario suite as Boost.Test cases: one test case per scenario file, registered
// at run time, so the names come from the files (suite "scenarios", a sub-suite per topic
// folder, a case per file: scenarios/refused/blocking).
//
// The folder is $SYNLAB_SCENARIOS, else the source tree's scenarios/. Each case parses and
// runs its scenario and fails with the runner's whole report (script line, expected and actual
// value or packet, virtual time), so a failure reads the same here as in `synlab run`. A
// scenario that does not parse is a failing case with the parser's `file:line:col` message.
// Output is TAP (harness/gtest/boost_tap.h) so meson and CI count every case.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#define BOOST_TEST_ALTERNATIVE_INIT_API
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <map>
#include <string>

#include "harness/cli/run_command.h"
#include "harness/gtest/boost_tap.h"
#include "harness/runner/runner.h"
#include "harness/scenario/parser.h"

namespace bt = boost::unit_test;

SYNLAB_BOOST_TAP_LOG();

namespace {

// Boost.Test reserves some characters in unit names (they select tests on the command line).
std::string unit_name(std::string s) {
  for (auto& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  }
  return s;
}

void run_one(const std::string& path) {
  auto parsed = synlab::harness::parse_scenario_file(path);
  if (!parsed) {
    BOOST_ERROR("the scenario does not parse:\n" + parsed.error().to_string());
    return;
  }
  const auto r = synlab::harness::run_scenario(*parsed);
  if (!r.passed) {
    BOOST_ERROR("\n" + (r.failure ? r.failure->to_string() : std::string("failed without a report")));
  }
  BOOST_TEST_MESSAGE(path << ": " << r.packets << " packets, ended at " << synlab::sim::format_seconds(r.end) << " s");
}

bool init_suite() {
  const char* env = std::getenv("SYNLAB_SCENARIOS");
  const std::string dir = env && *env ? env : synlab::harness::bundled_scenarios_dir();
  std::vector<synlab::harness::Found> found;
  std::string error;
  if (!synlab::harness::find_scenarios({dir}, &found, &error) || found.empty()) {
    std::cerr << "scenario_suite: no scenarios in " << dir << (error.empty() ? "" : ": " + error) << "\n";
    return false;
  }
  auto* top = BOOST_TEST_SUITE("scenarios");
  std::map<std::string, bt::test_suite*> topics;
  for (const auto& f : found) {
    const auto slash = f.name.rfind('/');
    bt::test_suite* parent = top;
    if (slash != std::string::npos) {
      auto& t = topics[f.name.substr(0, slash)];
      if (!t) {
        t = BOOST_TEST_SUITE(unit_name(f.name.substr(0, slash)));
        top->add(t);
      }
      parent = t;
    }
    const std::string path = f.path;
    parent->add(bt::make_test_case([path] { run_one(path); }, unit_name(f.name.substr(slash + 1)), path, 1));
  }
  bt::framework::master_test_suite().add(top);
  return true;
}

}  // namespace

int main(int argc, char** argv) { return bt::unit_test_main(&init_suite, argc, argv); }
