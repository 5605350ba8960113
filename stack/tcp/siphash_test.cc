// SipHash-2-4 against the paper's vectors (Aumasson & Bernstein 2012, Appendix A, and the
// authors' reference vectors: key 00 01 .. 0f, message 00 01 .. (n-1)), and the Fast Open
// cookie values packetdrill's scripts expect from Linux.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stack/tcp/siphash.h"
#include "stack/tcp/tcp_fastopen.h"

using synlab::stack::siphash_2_4;
using synlab::stack::SipKey;

namespace {

SipKey paper_key() {
  std::array<std::uint8_t, 16> k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return SipKey::from_bytes(k);
}

std::uint64_t hash_of_first(std::size_t n) {
  std::vector<std::uint8_t> m(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::uint8_t>(i);
  return siphash_2_4(paper_key(), m);
}

std::string hex(const synlab::stack::TfoCookie& c) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < c.len; ++i) {
    s += kHex[c.val[static_cast<std::size_t>(i)] >> 4];
    s += kHex[c.val[static_cast<std::size_t>(i)] & 0xf];
  }
  return s;
}

}  // namespace

TEST(SipHash, PaperKeyHalvesAreLittleEndian) {
  const SipKey k = paper_key();
  EXPECT_EQ(k.k0, 0x0706050403020100ull);
  EXPECT_EQ(k.k1, 0x0f0e0d0c0b0a0908ull);
}

TEST(SipHash, PaperAppendixVector) {
  // The 15-byte message 00..0e of the paper's Appendix A: a129ca6149be45e5.
  EXPECT_EQ(hash_of_first(15), 0xa129ca6149be45e5ull);
}

TEST(SipHash, ReferenceVectors) {
  // vectors.h of the reference implementation (output bytes read little-endian): the empty
  // message, one byte, a partial word, exactly one word, two words, and 63 bytes.
  EXPECT_EQ(hash_of_first(0), 0x726fdb47dd0e0e31ull);
  EXPECT_EQ(hash_of_first(1), 0x74f839c593dc67fdull);
  EXPECT_EQ(hash_of_first(7), 0xab0200f58b01d137ull);
  EXPECT_EQ(hash_of_first(8), 0x93f5f5799a932462ull);
  EXPECT_EQ(hash_of_first(16), 0x3f2acc7f57c29bdbull);
  EXPECT_EQ(hash_of_first(63), 0x958a324ceb064572ull);
}

TEST(FastOpenCookie, SysctlKeyTextIsFourLittleEndianWords) {
  // proc_tcp_fastopen_key: sscanf("%x-%x-%x-%x") then cpu_to_le32 per word.
  auto keys = synlab::stack::tcp_fastopen_parse_key("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4");
  ASSERT_TRUE(keys.has_value());
  ASSERT_EQ(keys->size(), 1u);
  const SipKey k = SipKey::from_bytes((*keys)[0]);
  EXPECT_EQ(k.k0, 0xb2b2b2b2a1a1a1a1ull);
  EXPECT_EQ(k.k1, 0xd4d4d4d4c3c3c3c3ull);
  auto asym = synlab::stack::tcp_fastopen_parse_key("00010203-04050607-08090a0b-0c0d0e0f");
  ASSERT_TRUE(asym.has_value());
  EXPECT_EQ((*asym)[0][0], 0x03);  // the low byte of the first word comes first
  EXPECT_EQ((*asym)[0][3], 0x00);
  EXPECT_EQ(synlab::stack::tcp_fastopen_format_key((*asym)[0]),
            "00010203-04050607-08090a0b-0c0d0e0f");
}

TEST(FastOpenCookie, SysctlKeyAcceptsABackupAndRejectsGarbage) {
  auto two = synlab::stack::tcp_fastopen_parse_key("1-2-3-4,a-b-c-d");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1][0], 0x0a);
  EXPECT_FALSE(synlab::stack::tcp_fastopen_parse_key("a1a1a1a1-b2b2b2b2-c3c3c3c3"));
  EXPECT_FALSE(synlab::stack::tcp_fastopen_parse_key("xyz"));
  EXPECT_FALSE(synlab::stack::tcp_fastopen_parse_key("123456789-0-0-0"));
  EXPECT_FALSE(synlab::stack::tcp_fastopen_parse_key(""));
}

TEST(FastOpenCookie, PacketdrillIpv4CookieMatchesLinux) {
  // packetdrill's run_all.py passes -D TFO_COOKIE=3021b9d889017eeb for client 192.0.2.1 ->
  // server 192.168.0.1 with defaults.sh's key; Linux 6.18 accepted it (BASELINE.md).
  auto keys = synlab::stack::tcp_fastopen_parse_key("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4");
  ASSERT_TRUE(keys);
  const auto c =
      synlab::stack::tcp_fastopen_cookie_gen((*keys)[0], *synlab::wire::IpAddr::parse("192.0.2.1"),
                                             *synlab::wire::IpAddr::parse("192.168.0.1"));
  EXPECT_EQ(c.len, 8);
  EXPECT_EQ(hex(c), "3021b9d889017eeb");
}

TEST(FastOpenCookie, PacketdrillIpv6CookieMatchesLinux) {
  // The ipv6 run: --remote_ip=fd3d:fa7b:d17d::1 (the client), --local_ip=fd3d:0a0b:17d6::1,
  // -D TFO_COOKIE=c1d1e9742a47a9bc (BASELINE.md).
  auto keys = synlab::stack::tcp_fastopen_parse_key("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4");
  ASSERT_TRUE(keys);
  const auto c = synlab::stack::tcp_fastopen_cookie_gen(
      (*keys)[0], *synlab::wire::IpAddr::parse("fd3d:fa7b:d17d::1"),
      *synlab::wire::IpAddr::parse("fd3d:a0b:17d6::1"));
  EXPECT_EQ(hex(c), "c1d1e9742a47a9bc");
}
