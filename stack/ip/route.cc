#include "stack/ip/route.h"

namespace synlab::stack {

std::string_view to_string(RouteType t) {
  switch (t) {
    case RouteType::kUnicast: return "unicast";
    case RouteType::kUnreachable: return "unreachable";
    case RouteType::kProhibit: return "prohibit";
    case RouteType::kBlackhole: return "blackhole";
    case RouteType::kThrow: return "throw";
  }
  return "?";
}

std::optional<RouteType> route_type_from_name(std::string_view s) {
  for (RouteType t : {RouteType::kUnicast, RouteType::kUnreachable, RouteType::kProhibit,
                      RouteType::kBlackhole, RouteType::kThrow}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

std::string Route::to_string() const {
  std::string s;
  if (type != RouteType::kUnicast) s += std::string(stack::to_string(type)) + " ";
  const bool is_default = dst.len == 0;
  s += is_default ? "default" : dst.network().to_string();
  if (gateway) s += " via " + gateway->to_string();
  if (type == RouteType::kUnicast) s += " dev " + std::to_string(ifindex);
  if (src) s += " src " + src->to_string();
  if (metric) s += " metric " + std::to_string(metric);
  return s;
}

void RoutingTable::add(Route r) {
  r.dst = r.dst.network();
  routes_.push_back(r);
}

int RoutingTable::remove(const wire::IpPrefix& dst) {
  const wire::IpPrefix n = dst.network();
  int removed = 0;
  for (auto it = routes_.begin(); it != routes_.end();) {
    if (it->dst == n) {
      it = routes_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

RouteResult RoutingTable::lookup(const wire::IpAddr& dst, int oif) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (!r.dst.contains(dst)) continue;
    if (oif != 0 && r.type == RouteType::kUnicast && r.ifindex != oif) continue;
    if (!best || r.dst.len > best->dst.len || (r.dst.len == best->dst.len && r.metric < best->metric)) {
      best = &r;
    }
  }
  if (!best) return {nullptr, Errno::kENETUNREACH};
  switch (best->type) {
    case RouteType::kUnicast: return {best, Errno::kOk};
    case RouteType::kUnreachable: return {best, Errno::kEHOSTUNREACH};
    case RouteType::kProhibit: return {best, Errno::kEACCES};
    case RouteType::kBlackhole: return {best, Errno::kEINVAL};
    case RouteType::kThrow: return {best, Errno::kENETUNREACH};
  }
  return {nullptr, Errno::kENETUNREACH};
}

}  // namespace synlab::stack
