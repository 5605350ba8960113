#include "stack/wire/ip_address.h"

#include <gtest/gtest.h>

using synlab::wire::IpAddr;
using synlab::wire::IpPrefix;

TEST(IpAddr, ParsesAndPrintsBothFamilies) {
  EXPECT_EQ(IpAddr::parse("10.0.0.1")->to_string(), "10.0.0.1");
  EXPECT_EQ(IpAddr::parse("FE80:0:0::1")->to_string(), "fe80::1");
  EXPECT_EQ(IpAddr::parse("::ffff:127.0.0.1")->to_string(), "::ffff:127.0.0.1");
  EXPECT_FALSE(IpAddr::parse("10.0.0.256"));
  EXPECT_FALSE(IpAddr::parse("fe80::1%2"));
  EXPECT_FALSE(IpAddr::parse(""));
}

TEST(IpAddr, Classification) {
  EXPECT_TRUE(IpAddr::parse("127.0.0.3")->is_loopback());
  EXPECT_TRUE(IpAddr::parse("::1")->is_loopback());
  EXPECT_TRUE(IpAddr::parse("fe80::2")->is_link_local());
  EXPECT_TRUE(IpAddr::parse("ff02::1")->is_multicast());
  EXPECT_TRUE(IpAddr::parse("224.0.0.1")->is_multicast());
  EXPECT_TRUE(IpAddr::parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddr::parse("::")->is_unspecified());
  const IpAddr m = *IpAddr::parse("::ffff:10.0.0.2");
  EXPECT_TRUE(m.is_v4_mapped());
  EXPECT_EQ(m.unmapped(), *IpAddr::parse("10.0.0.2"));
  EXPECT_EQ(IpAddr::v4_mapped(*IpAddr::parse("10.0.0.2")), m);
}

TEST(IpAddr, SolicitedNodeAndMulticastMac) {
  const IpAddr a = *IpAddr::parse("fd00::2");
  EXPECT_EQ(a.solicited_node().to_string(), "ff02::1:ff00:2");
  EXPECT_EQ(a.solicited_node().multicast_mac().to_string(), "33:33:ff:00:00:02");
}

TEST(IpPrefix, ContainsAndNetwork) {
  const IpPrefix p = *IpPrefix::parse("10.0.0.7/24");
  EXPECT_EQ(p.network().to_string(), "10.0.0.0/24");
  EXPECT_TRUE(p.contains(*IpAddr::parse("10.0.0.200")));
  EXPECT_FALSE(p.contains(*IpAddr::parse("10.0.1.1")));
  EXPECT_FALSE(p.contains(*IpAddr::parse("fd00::1")));
  const IpPrefix q = *IpPrefix::parse("fd00::1/64");
  EXPECT_TRUE(q.contains(*IpAddr::parse("fd00::ffff")));
  EXPECT_EQ(IpPrefix::parse("0.0.0.0/0")->contains(*IpAddr::parse("8.8.8.8")), true);
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/33"));
  EXPECT_EQ(IpPrefix::parse("10.0.0.1")->len, 32);
}

// Prefix lengths that end inside a byte, and the extremes, agree with network().
TEST(IpPrefix, ContainsMatchesNetworkAtEveryLength) {
  const IpAddr v4 = *IpAddr::parse("10.200.77.130");
  const IpAddr v6 = *IpAddr::parse("fd00:1234:5678:9abc:def0:1111:2222:3333");
  for (int len = 0; len <= 32; ++len) {
    const IpPrefix p{v4, static_cast<std::uint8_t>(len)};
    for (const char* other : {"10.200.77.131", "10.200.76.130", "10.201.77.130", "138.200.77.130", "10.200.77.130"}) {
      const IpAddr a = *IpAddr::parse(other);
      EXPECT_EQ(p.contains(a), (IpPrefix{a, p.len}.network().addr == p.network().addr)) << other << "/" << len;
    }
  }
  for (int len = 0; len <= 128; ++len) {
    const IpPrefix p{v6, static_cast<std::uint8_t>(len)};
    for (const char* other : {"fd00:1234:5678:9abc:def0:1111:2222:3332", "fd00:1234:5678:9abd::", "fc00::", "fd00:1234::"}) {
      const IpAddr a = *IpAddr::parse(other);
      EXPECT_EQ(p.contains(a), (IpPrefix{a, p.len}.network().addr == p.network().addr)) << other << "/" << len;
    }
  }
  EXPECT_TRUE((IpPrefix{v4, 17}).contains(*IpAddr::parse("10.200.127.1")));
  EXPECT_FALSE((IpPrefix{v4, 17}).contains(*IpAddr::parse("10.200.128.1")));
}
