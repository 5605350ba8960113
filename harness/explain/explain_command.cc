#include "harness/explain/explain_command.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "harness/cli/run_command.h"
#include "harness/explain/ladder.h"
#include "harness/explain/render.h"
#include "harness/scenario/parser.h"
#include "harness/scenario/suggest.h"
#include "stack/personality/personality.h"

namespace synlab::harness {

namespace {

// The file as given, else a bundled scenario by name: "refused/blocking" or
// "refused/blocking.scn" under scenarios/.
std::string locate(const std::string& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(file, ec)) return file;
  const fs::path bundled = fs::path(bundled_scenarios_dir()) / file;
  if (fs::exists(bundled, ec)) return bundled.string();
  if (bundled.extension() != ".scn" && fs::exists(bundled.string() + ".scn", ec)) return bundled.string() + ".scn";
  return file;
}

}  // namespace

int explain_command(const ExplainArgs& args, std::ostream& out, std::ostream& err) {
  if (args.format != "text" && args.format != "svg" && args.format != "html") {
    err << "synlab explain: error: unknown format '" << args.format << "' (text, svg or html)\n";
    return 2;
  }
  std::vector<std::string> personalities;
  {
    std::stringstream ps(args.personalities);
    for (std::string p; std::getline(ps, p, ',');) {
      if (p.empty()) continue;
      if (!stack::make_personality(p)) {
        const auto names = stack::personality_names();
        err << "synlab explain: error: unknown personality '" << p << "'" << did_you_mean(p, names)
            << " (known: ";
        for (std::size_t i = 0; i < names.size(); ++i) err << (i ? ", " : "") << names[i];
        err << ")\n";
        return 2;
      }
      personalities.push_back(p);
    }
  }
  if (personalities.size() > 2) {
    err << "synlab explain: error: --personality compares at most two personalities, got "
        << personalities.size() << "\n";
    return 2;
  }
  if (personalities.size() == 2 && args.format == "svg") {
    err << "synlab explain: error: --format svg draws one run; compare personalities with text or html\n";
    return 2;
  }
  const std::string path = locate(args.file);
  auto s = parse_scenario_file(path);
  if (!s) {
    err << s.error().to_string();
    return 2;
  }

  std::vector<explain::Ladder> ladders;
  if (personalities.empty()) personalities.emplace_back();
  for (const auto& p : personalities) {
    RunOptions opt;
    opt.seed = args.seed;
    if (!p.empty()) opt.personality = p;
    ladders.push_back(explain::explain_run(*s, opt));
  }

  std::ofstream file;
  if (!args.out_file.empty()) {
    file.open(args.out_file, std::ios::binary);
    if (!file) {
      err << "synlab explain: error: cannot write " << args.out_file << "\n";
      return 2;
    }
  }
  std::ostream& o = args.out_file.empty() ? out : file;
  explain::TextStyle style;
  style.width = args.width;
  style.color = args.color && args.out_file.empty();
  if (args.format == "svg") {
    explain::render_svg(ladders.front(), o);
  } else if (args.format == "html") {
    explain::render_html(ladders, o);
  } else if (ladders.size() == 2) {
    explain::render_diff(ladders[0], ladders[1], style, o);
  } else {
    explain::render_text(ladders.front(), style, o);
  }
  o.flush();
  if (!o) {
    err << "synlab explain: error: writing " << (args.out_file.empty() ? "the output" : args.out_file) << " failed\n";
    return 2;
  }
  for (const auto& l : ladders) {
    if (!l.passed) return 1;
  }
  return 0;
}

}  // namespace synlab::harness
