#include "stack/personality/sysctl.h"

#include <gtest/gtest.h>

using synlab::stack::get_sysctl;
using synlab::stack::linux_6_18;
using synlab::stack::set_sysctl;

TEST(Sysctl, SetsKnobsByEveryNameForm) {
  auto p = linux_6_18();
  EXPECT_TRUE(set_sysctl(p, "net.ipv4.tcp_syn_retries", "1"));
  EXPECT_EQ(p.tcp_syn_retries, 1);
  EXPECT_TRUE(set_sysctl(p, "/proc/sys/net/ipv4/tcp_syn_linear_timeouts", "0"));
  EXPECT_EQ(p.tcp_syn_linear_timeouts, 0);
  EXPECT_TRUE(set_sysctl(p, "net/ipv4/tcp_abort_on_overflow", "1"));
  EXPECT_TRUE(p.tcp_abort_on_overflow);
  EXPECT_TRUE(set_sysctl(p, "net.ipv4.tcp_rmem", "4096\t87380\t6291456"));
  EXPECT_EQ(p.tcp_rmem[2], 6291456);
  EXPECT_TRUE(set_sysctl(p, "net.ipv4.ip_local_port_range", "40000 40001"));
  EXPECT_EQ(p.ip_local_port_range[0], 40000);
  EXPECT_EQ(p.ip_local_port_range[1], 40001);
  EXPECT_TRUE(set_sysctl(p, "net.ipv4.tcp_fastopen", "0x70403"));
  EXPECT_EQ(p.tcp_fastopen, 0x70403);
  EXPECT_TRUE(set_sysctl(p, "net.ipv4.neigh.default.mcast_solicit", "5"));
  EXPECT_EQ(p.neigh.mcast_solicit, 5);
}

TEST(Sysctl, RejectsBadValuesWithAReason) {
  auto p = linux_6_18();
  auto r = set_sysctl(p, "net.ipv4.tcp_rmem", "4096 8192");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("expects 3 integers"), std::string::npos);
  r = set_sysctl(p, "net.ipv4.no_such_thing", "1");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("unknown sysctl"), std::string::npos);
  EXPECT_FALSE(set_sysctl(p, "net.ipv4.tcp_syn_retries", "abc"));
  EXPECT_FALSE(set_sysctl(p, "net.ipv4.tcp_syncookies", "3"));
}

TEST(Sysctl, ReadsBackInProcFormat) {
  auto p = linux_6_18();
  EXPECT_EQ(*get_sysctl(p, "net.ipv4.tcp_rmem"), "4096\t131072\t33554432");
  EXPECT_EQ(*get_sysctl(p, "net.ipv4.tcp_fin_timeout"), "60");
  EXPECT_EQ(*get_sysctl(p, "net.ipv4.neigh.default.retrans_time_ms"), "1000");
  // Ignored knobs are accepted (and do nothing).
  EXPECT_TRUE(set_sysctl(p, "net.core.default_qdisc", "pfifo"));
}
