// SipHash-2-4, the keyed hash Linux uses for TCP Fast Open cookies
// (__tcp_fastopen_cookie_gen_cipher calls siphash() from lib/siphash.c).
//
// Reference: J.-P. Aumasson and D. J. Bernstein, "SipHash: a fast short-input PRF",
// INDOCRYPT 2012 (https://cr.yp.to/siphash/siphash-20120918.pdf). There is no RFC; the paper's
// Appendix A and the authors' reference vectors (key 00..0f, messages 00, 00 01, ...) are
// what siphash_test.cc checks. Written from the paper's description: 2 compression rounds per
// 8-byte little-endian word, the length in the top byte of the last word, 4 finalisation rounds.
#pragma once

#include <cstdint>
#include <span>

namespace synlab::stack {

// The 128-bit key as two little-endian 64-bit halves (Linux's siphash_key_t), so that
// k0 = the key's bytes 0..7 read little-endian and k1 = bytes 8..15.
struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;

  // From 16 bytes in the order the paper writes keys (k0 = bytes 0..7, little-endian).
  static SipKey from_bytes(std::span<const std::uint8_t, 16> key);
  bool operator==(const SipKey&) const = default;
};

// SipHash-2-4 of `data` under `key`: the 64-bit output the paper defines (its byte string is
// this value stored little-endian).
std::uint64_t siphash_2_4(const SipKey& key, std::span<const std::uint8_t> data);

}  // namespace synlab::stack
