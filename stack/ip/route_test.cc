#include "stack/ip/route.h"

#include <gtest/gtest.h>

using synlab::stack::Errno;
using synlab::stack::Route;
using synlab::stack::RouteType;
using synlab::stack::RoutingTable;
using synlab::wire::IpAddr;
using synlab::wire::IpPrefix;

namespace {
Route route(const char* p, RouteType t = RouteType::kUnicast, int ifindex = 2, int metric = 0) {
  Route r;
  r.dst = *IpPrefix::parse(p);
  r.type = t;
  r.ifindex = ifindex;
  r.metric = metric;
  return r;
}
}  // namespace

TEST(RoutingTable, LongestPrefixWins) {
  RoutingTable t;
  t.add(route("0.0.0.0/0", RouteType::kUnicast, 2));
  t.add(route("10.0.0.0/8", RouteType::kUnicast, 3));
  t.add(route("10.1.0.0/16", RouteType::kUnicast, 4));
  EXPECT_EQ(t.lookup(*IpAddr::parse("10.1.2.3")).route->ifindex, 4);
  EXPECT_EQ(t.lookup(*IpAddr::parse("10.2.2.3")).route->ifindex, 3);
  EXPECT_EQ(t.lookup(*IpAddr::parse("8.8.8.8")).route->ifindex, 2);
}

TEST(RoutingTable, RouteTypesGiveLinuxErrnos) {
  RoutingTable t;
  t.add(route("10.9.1.0/24", RouteType::kUnreachable));
  t.add(route("10.9.2.0/24", RouteType::kProhibit));
  t.add(route("10.9.3.0/24", RouteType::kBlackhole));
  t.add(route("10.9.4.0/24", RouteType::kThrow));
  EXPECT_EQ(t.lookup(*IpAddr::parse("10.9.1.1")).error, Errno::kEHOSTUNREACH);
  EXPECT_EQ(t.lookup(*IpAddr::parse("10.9.2.1")).error, Errno::kEACCES);
  EXPECT_EQ(t.lookup(*IpAddr::parse("10.9.3.1")).error, Errno::kEINVAL);
  EXPECT_EQ(t.lookup(*IpAddr::parse("10.9.4.1")).error, Errno::kENETUNREACH);
  EXPECT_EQ(t.lookup(*IpAddr::parse("192.168.0.1")).error, Errno::kENETUNREACH);
  EXPECT_EQ(t.lookup(*IpAddr::parse("fd00::1")).error, Errno::kENETUNREACH);
}

TEST(RoutingTable, MetricBreaksTiesAndOifRestricts) {
  RoutingTable t;
  t.add(route("10.0.0.0/24", RouteType::kUnicast, 2, 100));
  t.add(route("10.0.0.0/24", RouteType::kUnicast, 3, 10));
  EXPECT_EQ(t.lookup(*IpAddr::parse("10.0.0.5")).route->ifindex, 3);
  EXPECT_EQ(t.lookup(*IpAddr::parse("10.0.0.5"), 2).route->ifindex, 2);
  EXPECT_EQ(t.remove(*IpPrefix::parse("10.0.0.0/24")), 2);
  EXPECT_EQ(t.lookup(*IpAddr::parse("10.0.0.5")).error, Errno::kENETUNREACH);
}
