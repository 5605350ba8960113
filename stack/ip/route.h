// The routing table: longest-prefix match over typed routes (ip-route(8)).
//
// Route types and what Linux does with each (net/ipv4/fib_semantics.c fib_props[]):
//   unicast      deliver (on-link, or via a gateway)
//   unreachable  the sender gets EHOSTUNREACH; a forwarding host sends ICMP host unreachable
//   prohibit     EACCES; forwarding: ICMP administratively prohibited (code 13 / ICMPv6 1)
//   blackhole    EINVAL; forwarding: silently dropped
//   throw        ends the lookup in this table: with a single table, "no route": ENETUNREACH
// Local addresses are not in this table: the host checks its own addresses first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/socket/errno.h"
#include "stack/wire/ip_address.h"

namespace synlab::stack {

enum class RouteType : std::uint8_t { kUnicast, kUnreachable, kProhibit, kBlackhole, kThrow };

std::string_view to_string(RouteType t);
std::optional<RouteType> route_type_from_name(std::string_view s);

struct Route {
  wire::IpPrefix dst;
  RouteType type = RouteType::kUnicast;
  std::optional<wire::IpAddr> gateway;  // unset: destination is on-link
  int ifindex = 0;                      // unicast routes only
  std::optional<wire::IpAddr> src;      // preferred source ("src" in ip route)
  int metric = 0;

  std::string to_string() const;  // "10.0.0.0/24 dev 2", "default via 10.0.0.254 dev 2"
};

// The outcome of a lookup: the route, or the errno a sender gets.
struct RouteResult {
  const Route* route = nullptr;
  Errno error = Errno::kOk;
};

class RoutingTable {
 public:
  void add(Route r);
  // Removes every route to exactly `dst`; returns how many.
  int remove(const wire::IpPrefix& dst);
  // Longest prefix wins; among equal prefixes the lowest metric, then the first added.
  // `oif` (when non-zero) restricts the lookup to routes out of that interface, as a socket
  // bound to a device or an IPv6 scope id does.
  RouteResult lookup(const wire::IpAddr& dst, int oif = 0) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace synlab::stack
