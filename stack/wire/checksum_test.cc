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
