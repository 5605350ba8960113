// TCP sequence numbers: 32-bit modular arithmetic (RFC 9293 §3.4).
//
// There is deliberately no operator< : "a before b" only means something within half the
// sequence space, so comparisons are named (`before`, `after`, `in_window`) like Linux's
// before()/after() in include/net/tcp.h.
#pragma once

#include <cstdint>

namespace synlab::stack {

struct SeqNum {
  std::uint32_t raw = 0;

  constexpr SeqNum() = default;
  constexpr explicit SeqNum(std::uint32_t v) : raw(v) {}

  constexpr SeqNum operator+(std::uint32_t n) const { return SeqNum(raw + n); }
  constexpr SeqNum operator-(std::uint32_t n) const { return SeqNum(raw - n); }
  // The distance from b to a (a - b), as a signed number.
  constexpr std::int32_t operator-(SeqNum b) const { return static_cast<std::int32_t>(raw - b.raw); }
  constexpr SeqNum& operator+=(std::uint32_t n) { raw += n; return *this; }
  constexpr bool operator==(const SeqNum&) const = default;
};

// a is strictly before b.
constexpr bool before(SeqNum a, SeqNum b) { return (a - b) < 0; }
constexpr bool after(SeqNum a, SeqNum b) { return before(b, a); }
constexpr bool before_eq(SeqNum a, SeqNum b) { return !after(a, b); }
constexpr bool after_eq(SeqNum a, SeqNum b) { return !before(a, b); }
// lo <= s <= hi, all modulo 2^32 (Linux between()).
constexpr bool between(SeqNum s, SeqNum lo, SeqNum hi) { return hi.raw - lo.raw >= s.raw - lo.raw; }
constexpr SeqNum seq_max(SeqNum a, SeqNum b) { return after(a, b) ? a : b; }
constexpr SeqNum seq_min(SeqNum a, SeqNum b) { return before(a, b) ? a : b; }

}  // namespace synlab::stack
