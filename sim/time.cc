#include "sim/time.h"

#include <cstdio>
#include <cstdlib>

namespace synlab::sim {

std::string format_seconds(Duration d) {
  std::int64_t ns = d.ns();
  const char* sign = "";
  if (ns < 0) {
    sign = "-";
    ns = -ns;
  }
  const std::int64_t secs = ns / 1'000'000'000;
  const std::int64_t frac = ns % 1'000'000'000;
  char buf[48];
  if (frac % 1'000 == 0) {
    std::snprintf(buf, sizeof buf, "%s%lld.%06lld", sign, static_cast<long long>(secs),
                  static_cast<long long>(frac / 1'000));
  } else {
    std::snprintf(buf, sizeof buf, "%s%lld.%09lld", sign, static_cast<long long>(secs),
                  static_cast<long long>(frac));
  }
  return buf;
}

std::string format_human(Duration d) {
  const std::int64_t ns = d.ns();
  const std::int64_t a = ns < 0 ? -ns : ns;
  char buf[48];
  if (a == 0) return "0 s";
  if (a % 1'000'000'000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(ns / 1'000'000'000));
  } else if (a >= 1'000'000'000 && a % 1'000'000 == 0) {
    // Seconds with up to three decimals, trailing zeros trimmed: "1.5 s", "1.024 s".
    std::snprintf(buf, sizeof buf, "%s%lld.%03lld", ns < 0 ? "-" : "",
                  static_cast<long long>(a / 1'000'000'000),
                  static_cast<long long>((a % 1'000'000'000) / 1'000'000));
    std::string out = buf;
    while (out.back() == '0') out.pop_back();
    return out + " s";
  } else if (a % 1'000'000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ns / 1'000'000));
  } else if (a % 1'000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld us", static_cast<long long>(ns / 1'000));
  } else {
    std::snprintf(buf, sizeof buf, "%lld ns", static_cast<long long>(ns));
  }
  return buf;
}

}  // namespace synlab::sim
