#include "stack/wire/checksum.h"

#include <gtest/gtest.h>

#include <vector>

using synlab::wire::Checksum;
using synlab::wire::internet_checksum;
using synlab::wire::IpAddr;

// RFC 1071 §3's worked example: the sum of 0001 f203 f4f5 f6f7 is ddf2, checksum 220d.
TEST(Checksum, Rfc1071Example) {
  const std::vector<std::uint8_t> d = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(d), 0x220d);
}

TEST(Checksum, OddLengthPadsWithZero) {
  const std::vector<std::uint8_t> d = {0x01, 0x02, 0x03};
  EXPECT_EQ(internet_checksum(d), static_cast<std::uint16_t>(~(0x0102 + 0x0300) & 0xffff));
}

TEST(Checksum, SplitAddsEqualOneAdd) {
  const std::vector<std::uint8_t> d = {0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40};
  Checksum c;
  c.add({d.data(), 3});
  c.add({d.data() + 3, 6});
  EXPECT_EQ(c.finish(), internet_checksum(d));
}

// A real IPv4 header (from a Linux SYN) verifies to zero and recomputes to its field.
TEST(Checksum, Ipv4Header) {
  std::vector<std::uint8_t> h = {0x45, 0x00, 0x00, 0x3c, 0xe4, 0x57, 0x40, 0x00, 0x40, 0x06,
                                 0x42, 0x62, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02};
  EXPECT_EQ(internet_checksum(h), 0);
  const std::uint16_t field = static_cast<std::uint16_t>(h[10] << 8 | h[11]);
  h[10] = h[11] = 0;
  EXPECT_EQ(internet_checksum(h), field);
}

TEST(Checksum, PseudoHeaderRoundTrip) {
  const IpAddr s = *IpAddr::parse("fd00::1"), d = *IpAddr::parse("fd00::2");
  std::vector<std::uint8_t> udp = {0x23, 0x28, 0x23, 0x29, 0x00, 0x09, 0x00, 0x00, 0x41};
  const std::uint16_t c = synlab::wire::pseudo_header_checksum(s, d, 17, udp);
  udp[6] = static_cast<std::uint8_t>(c >> 8);
  udp[7] = static_cast<std::uint8_t>(c);
  EXPECT_TRUE(synlab::wire::pseudo_header_checksum_ok(s, d, 17, udp));
  udp[8] ^= 1;
  EXPECT_FALSE(synlab::wire::pseudo_header_checksum_ok(s, d, 17, udp));
}

// The eight-bytes-at-a-time sum agrees with RFC 1071's two-bytes-at-a-time definition for
// every length, every split into two add() calls (odd and even), and all-ones data (where
// folding 0xffff against 0 matters).
TEST(Checksum, WideSumMatchesTheDefinition) {
  auto reference = [](const std::vector<std::uint8_t>& d) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < d.size(); i += 2) {
      sum += (std::uint64_t{d[i]} << 8) | (i + 1 < d.size() ? d[i + 1] : 0);
    }
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
  };
  std::uint32_t x = 12345;
  for (std::size_t len = 0; len <= 80; ++len) {
    for (int fill = 0; fill < 3; ++fill) {
      std::vector<std::uint8_t> d(len);
      for (auto& b : d) {
        x = x * 1103515245u + 12345u;
        b = fill == 0 ? static_cast<std::uint8_t>(x >> 16) : fill == 1 ? 0xff : 0x00;
      }
      EXPECT_EQ(internet_checksum(d), reference(d)) << "len " << len << " fill " << fill;
      for (std::size_t cut = 0; cut <= len; ++cut) {
        Checksum c;
        c.add({d.data(), cut});
        c.add({d.data() + cut, len - cut});
        ASSERT_EQ(c.finish(), reference(d)) << "len " << len << " cut " << cut << " fill " << fill;
      }
    }
  }
}
