// `synlab errno [NAME]`: what an errno means, when Linux's connect(2) (or the calls around it)
// returns it, and which bundled scenarios show it.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "stack/socket/errno.h"

namespace synlab::harness {

// The teaching text for one errno: `meaning` is one plain line (what went wrong, for the
// person reading a failed call); `on_linux` says when Linux 6.18 returns it from connect(2), or
// which call returns it when connect never does (docs/errno.md has the same facts with the
// unit tests beside them).
struct ErrnoLesson {
  stack::Errno e;
  std::string_view meaning;
  std::string_view on_linux;
};

// The lesson for `e`, or nullopt when synlab has none (an errno no call in the model returns).
std::optional<ErrnoLesson> errno_lesson(stack::Errno e);

struct ErrnoArgs {
  std::string name;           // "ECONNREFUSED", "econnrefused" or "111"; empty: list them all
  std::string scenarios_dir;  // default: the bundled scenarios/
};

// Prints the lesson and the scenarios tagged `errno:NAME` (their name and title). Exit status
// 0, or 2 for an unknown name (with a suggestion) or an unreadable scenarios folder.
int errno_command(const ErrnoArgs& args, std::ostream& out, std::ostream& err);

}  // namespace synlab::harness
