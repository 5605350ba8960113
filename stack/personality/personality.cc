#include "stack/personality/personality.h"

#include <array>

namespace synlab::stack {

Personality linux_6_18() {
  // Every default in the struct is already Linux 6.18's; see personality.h for the sources.
  return Personality{};
}

namespace {

Personality make_linux_3_11() {
  // The 2013-era packetdrill scripts (packetdrill/tests/linux/, "H" in the corpus MANIFEST)
  // were written against Linux 3.11: SYN timeouts double from the first retry (no
  // tcp_syn_linear_timeouts), and their test machines offered window scale 6. Window scale is
  // ilog2(max(tcp_rmem[2], rmem_max)) - 15 (tcp_select_initial_window), so a 3 MiB maximum
  // buffer and a 208 KiB rmem_max give 6, with the era's 87380-byte default buffer.
  Personality p;
  p.name = "linux-3.11";
  p.tcp_syn_linear_timeouts = 0;
  p.tcp_rmem[0] = 4096;
  p.tcp_rmem[1] = 87380;
  p.tcp_rmem[2] = 3145728;
  p.rmem_max = 212992;
  p.tcp_wmem[2] = 4194304;
  p.tcp_fastopen = 1;
  return p;
}

struct Named {
  std::string_view name;
  Personality (*make)();
};

constexpr std::array kPersonalities = {
    Named{"linux", &linux_6_18},
    Named{"linux-3.11", &make_linux_3_11},
};

}  // namespace

std::optional<Personality> make_personality(std::string_view name) {
  for (const auto& n : kPersonalities) {
    if (n.name == name) return n.make();
  }
  return std::nullopt;
}

std::vector<std::string_view> personality_names() {
  std::vector<std::string_view> v;
  for (const auto& n : kPersonalities) v.push_back(n.name);
  return v;
}

}  // namespace synlab::stack
