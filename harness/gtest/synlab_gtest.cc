#include "harness/gtest/synlab_gtest.h"

#include <cctype>
#include <filesystem>
#include <vector>

#include "harness/cli/run_command.h"
#include "harness/scenario/parser.h"

namespace synlab::testing {
namespace {

namespace fs = std::filesystem;

// Letters, digits and '_' stay; anything else (the '/' of subfolders, '-', '.') becomes '_'.
std::string identifier(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  }
  return out;
}

class ScenarioTest : public ::testing::Test {
 public:
  ScenarioTest(std::string path, harness::RunOptions opt)
      : path_(std::move(path)), opt_(std::move(opt)) {}

  void TestBody() override { ExpectScenarioPasses(path_, opt_); }

 private:
  std::string path_;
  harness::RunOptions opt_;
};

class ErrorTest : public ::testing::Test {
 public:
  explicit ErrorTest(std::string message) : message_(std::move(message)) {}
  void TestBody() override { ADD_FAILURE() << message_; }

 private:
  std::string message_;
};

}  // namespace

void ExpectScenarioPasses(const std::string& path, const harness::RunOptions& opt) {
  auto s = harness::parse_scenario_file(path);
  if (!s) {
    const auto& e = s.error();
    ADD_FAILURE_AT(e.file.empty() ? path.c_str() : e.file.c_str(), e.line) << e.to_string();
    return;
  }
  const harness::ScenarioResult r = harness::run_scenario(*s, opt);
  if (r.passed) return;
  if (!r.failure) {
    ADD_FAILURE_AT(path.c_str(), 1) << path << ": the scenario failed without a report";
    return;
  }
  const auto& f = *r.failure;
  const std::string file(f.loc.file_name().empty() ? std::string_view(path) : f.loc.file_name());
  ADD_FAILURE_AT(file.c_str(), f.loc.line) << f.to_string();
}

std::string ScenarioSuiteName(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();  // "scenarios/" -> "scenarios"
  std::string name = identifier(p.filename().string());
  if (name.empty() || name == "_" || name == "__") name = "Scenarios";  // "." or ".."
  name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return name;
}

std::string ScenarioTestName(const std::string& relative_name) {
  return identifier(relative_name);
}

int RegisterScenarios(const std::string& dir, const ScenarioOptions& opt) {
  const std::string suite = opt.suite.empty() ? ScenarioSuiteName(dir) : opt.suite;
  std::vector<harness::Found> found;
  std::string error;
  if (!harness::find_scenarios({dir}, &found, &error) || found.empty()) {
    if (error.empty()) error = "no scenarios (*.scn) found in " + dir;
    ::testing::RegisterTest(suite.c_str(), "NoScenarios", nullptr, nullptr, __FILE__, __LINE__,
                            [error]() -> ::testing::Test* { return new ErrorTest(error); });
    return 0;
  }
  for (const auto& f : found) {
    const std::string name = ScenarioTestName(f.name);
    harness::RunOptions run = opt.run;
    ::testing::RegisterTest(
        suite.c_str(), name.c_str(), nullptr, nullptr, f.path.c_str(), 1,
        [path = f.path, run]() -> ::testing::Test* { return new ScenarioTest(path, run); });
  }
  return static_cast<int>(found.size());
}

}  // namespace synlab::testing
