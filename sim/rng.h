// Seeded random streams.
//
// Every random choice in a world draws from a stream derived from (scenario seed, stable
// name): "host:client:isn", "link:lan:0:loss". Adding a host or a link creates new streams and
// leaves every other stream's sequence unchanged, so a scenario edit never silently shifts
// another link's losses. The generator is xoshiro256** seeded through splitmix64; the name is
// hashed with 64-bit FNV-1a. All arithmetic is integer, so streams are identical on every
// machine and compiler.
#pragma once

#include <cstdint>
#include <string_view>

namespace synlab::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);
  // The stream called `name` under `seed`.
  static Rng derive(std::uint64_t seed, std::string_view name);

  std::uint64_t next_u64();
  std::uint32_t next_u32() { return static_cast<std::uint32_t>(next_u64() >> 32); }
  // Uniform in [0, n); n > 0. Unbiased (Lemire's method with rejection).
  std::uint64_t below(std::uint64_t n);
  // Uniform in [lo, hi], inclusive.
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // Uniform in [0, 1) with 53 bits.
  double unit();
  // True with probability p (p <= 0: never, p >= 1: always; no draw in either case).
  bool chance(double p);

 private:
  std::uint64_t s_[4];
};

// 64-bit FNV-1a, exposed for deriving stable ids from names.
std::uint64_t stable_hash(std::string_view s);

}  // namespace synlab::sim
