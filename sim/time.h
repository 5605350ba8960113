// Virtual time: integer nanoseconds, strong types.
//
// Nothing in sim/ or stack/ reads a real clock. A `Time` is an instant on the simulation's
// clock (zero when the world starts); a `Duration` is the difference of two instants. Both are
// plain 64-bit integers of nanoseconds, so a 127-second SYN timeout costs nothing to simulate
// and every run sees exactly the same instants.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>

namespace synlab::sim {

class Duration {
 public:
  constexpr Duration() = default;
  // Implicit on purpose: lets callers write `10ms` with std::chrono_literals.
  template <class Rep, class Period>
  constexpr Duration(std::chrono::duration<Rep, Period> d)  // NOLINT(google-explicit-constructor)
      : ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) {}

  static constexpr Duration nanos(std::int64_t n) { return Duration(n, 0); }
  static constexpr Duration micros(std::int64_t n) { return Duration(n * 1'000, 0); }
  static constexpr Duration millis(std::int64_t n) { return Duration(n * 1'000'000, 0); }
  static constexpr Duration seconds(std::int64_t n) { return Duration(n * 1'000'000'000, 0); }
  static constexpr Duration zero() { return Duration(); }
  static constexpr Duration max() { return Duration(std::numeric_limits<std::int64_t>::max(), 0); }

  constexpr std::int64_t ns() const { return ns_; }
  // Truncating conversions.
  constexpr std::int64_t us() const { return ns_ / 1'000; }
  constexpr std::int64_t ms() const { return ns_ / 1'000'000; }
  constexpr double seconds_f() const { return static_cast<double>(ns_) / 1e9; }

  constexpr Duration operator+(Duration o) const { return nanos(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return nanos(ns_ - o.ns_); }
  constexpr Duration operator-() const { return nanos(-ns_); }
  constexpr Duration operator*(std::int64_t k) const { return nanos(ns_ * k); }
  constexpr Duration operator/(std::int64_t k) const { return nanos(ns_ / k); }
  constexpr std::int64_t operator/(Duration o) const { return ns_ / o.ns_; }
  constexpr Duration& operator+=(Duration o) { ns_ += o.ns_; return *this; }
  constexpr Duration& operator-=(Duration o) { ns_ -= o.ns_; return *this; }
  constexpr auto operator<=>(const Duration&) const = default;

 private:
  constexpr Duration(std::int64_t ns, int /*tag*/) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

class Time {
 public:
  constexpr Time() = default;
  static constexpr Time zero() { return Time(); }
  static constexpr Time from_ns(std::int64_t ns) { Time t; t.ns_ = ns; return t; }
  static constexpr Time max() { return from_ns(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ns() const { return ns_; }
  constexpr Duration since_start() const { return Duration::nanos(ns_); }

  constexpr Time operator+(Duration d) const { return from_ns(ns_ + d.ns()); }
  constexpr Time operator-(Duration d) const { return from_ns(ns_ - d.ns()); }
  constexpr Duration operator-(Time o) const { return Duration::nanos(ns_ - o.ns_); }
  constexpr Time& operator+=(Duration d) { ns_ += d.ns(); return *this; }
  constexpr auto operator<=>(const Time&) const = default;

 private:
  std::int64_t ns_ = 0;
};

// Adds without overflowing: an instant "never" stays "never".
constexpr Time saturating_add(Time t, Duration d) {
  if (d.ns() > 0 && t.ns() > std::numeric_limits<std::int64_t>::max() - d.ns()) return Time::max();
  return t + d;
}

// "1.050000" (microsecond precision), or "1.050000123" when the instant has nanoseconds.
// This is the form reports and ladder diagrams use.
std::string format_seconds(Duration d);
inline std::string format_seconds(Time t) { return format_seconds(t.since_start()); }

// "1.05 s", "200 ms", "40 us", "7 ns": the shortest exact unit, for prose.
std::string format_human(Duration d);

}  // namespace synlab::sim
