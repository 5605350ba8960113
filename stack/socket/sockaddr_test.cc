#include "stack/socket/sockaddr.h"

#include <gtest/gtest.h>

using synlab::stack::decode_in;
using synlab::stack::decode_in6;
using synlab::stack::Errno;
using synlab::stack::SockAddr;
using synlab::stack::UserAddr;

TEST(SockAddr, ParsesAndPrints) {
  EXPECT_EQ(SockAddr::parse("10.0.0.2:8080")->to_string(), "10.0.0.2:8080");
  auto v6 = SockAddr::parse("[fe80::2%2]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->scope_id, 2u);
  EXPECT_EQ(v6->to_string(), "[fe80::2%2]:8080");
  EXPECT_EQ(SockAddr::parse("[::ffff:127.0.0.1]:5000")->family, synlab::stack::kAfInet6);
  EXPECT_FALSE(SockAddr::parse("10.0.0.2:99999"));
  EXPECT_FALSE(SockAddr::parse("[::1"));
}

TEST(UserAddr, KernelLengthAndPointerChecks) {
  // move_addr_to_kernel: 0..128, EFAULT for a bad pointer with a non-zero length.
  EXPECT_EQ(synlab::stack::copy_from_user(UserAddr::null(16)).error(), Errno::kEFAULT);
  EXPECT_EQ(synlab::stack::copy_from_user(UserAddr::bad(16)).error(), Errno::kEFAULT);
  EXPECT_EQ(synlab::stack::copy_from_user(UserAddr::null(0)).value(), 0);
  auto a = UserAddr::from(*SockAddr::parse("10.0.0.2:80"), 129);
  EXPECT_EQ(synlab::stack::copy_from_user(a).error(), Errno::kEINVAL);
  a.len = -1;
  EXPECT_EQ(synlab::stack::copy_from_user(a).error(), Errno::kEINVAL);
}

TEST(UserAddr, DecodesLikeTcpConnect) {
  const auto sa = *SockAddr::parse("10.0.0.2:8080");
  auto ok = decode_in(UserAddr::from(sa));
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, sa);
  EXPECT_EQ(decode_in(UserAddr::from(sa, 15)).error(), Errno::kEINVAL);
  EXPECT_EQ(decode_in(UserAddr::from(*SockAddr::parse("[::1]:80"))).error(), Errno::kEAFNOSUPPORT);
  const auto sa6 = *SockAddr::parse("[fe80::2%3]:80");
  auto ok6 = decode_in6(UserAddr::from(sa6));
  ASSERT_TRUE(ok6);
  EXPECT_EQ(ok6->scope_id, 3u);
  // A 24-byte sockaddr_in6 (no scope id) is accepted, with scope 0.
  auto short6 = decode_in6(UserAddr::from(sa6, 24));
  ASSERT_TRUE(short6);
  EXPECT_EQ(short6->scope_id, 0u);
  EXPECT_EQ(decode_in6(UserAddr::from(sa6, 23)).error(), Errno::kEINVAL);
}
