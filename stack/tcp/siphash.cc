#include "stack/tcp/siphash.h"

#include <bit>

namespace synlab::stack {
namespace {

std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t x = 0;
  for (int i = 7; i >= 0; --i) x = (x << 8) | p[i];
  return x;
}

// The state v0..v3 and one SipRound (the paper's Figure 2).
struct SipState {
  std::uint64_t v0, v1, v2, v3;

  void round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  // c = 2 compression rounds per message word.
  void compress(std::uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

SipKey SipKey::from_bytes(std::span<const std::uint8_t, 16> key) {
  return SipKey{load_le64(key.data()), load_le64(key.data() + 8)};
}

std::uint64_t siphash_2_4(const SipKey& key, std::span<const std::uint8_t> data) {
  // Initialisation: the key XORed with "somepseudorandomlygeneratedbytes".
  SipState s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull,
             key.k0 ^ 0x6c7967656e657261ull, key.k1 ^ 0x7465646279746573ull};
  const std::size_t words = data.size() / 8;
  for (std::size_t i = 0; i < words; ++i) s.compress(load_le64(data.data() + 8 * i));
  // The last word: the remaining 0..7 bytes, and the message length mod 256 in the top byte.
  std::uint64_t last = static_cast<std::uint64_t>(data.size() & 0xff) << 56;
  for (std::size_t i = 0; i < data.size() % 8; ++i)
    last |= std::uint64_t{data[8 * words + i]} << (8 * i);
  s.compress(last);
  // Finalisation: d = 4 rounds.
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace synlab::stack
