#include "sim/mac.h"

#include <cstdio>

namespace synlab::sim {

std::optional<MacAddr> MacAddr::parse(std::string_view s) {
  MacAddr m;
  std::size_t pos = 0;
  for (int i = 0; i < 6; ++i) {
    if (i > 0) {
      if (pos >= s.size() || (s[pos] != ':' && s[pos] != '-')) return std::nullopt;
      ++pos;
    }
    int v = 0;
    for (int d = 0; d < 2; ++d) {
      if (pos >= s.size()) return std::nullopt;
      const char c = s[pos++];
      int x;
      if (c >= '0' && c <= '9') x = c - '0';
      else if (c >= 'a' && c <= 'f') x = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') x = c - 'A' + 10;
      else return std::nullopt;
      v = v * 16 + x;
    }
    m.b[i] = static_cast<std::uint8_t>(v);
  }
  if (pos != s.size()) return std::nullopt;
  return m;
}

std::string MacAddr::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                b[5]);
  return buf;
}

}  // namespace synlab::sim
