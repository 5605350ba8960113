#include "stack/world.h"

#include <stdexcept>

#include "stack/ip/neighbour.h"

namespace synlab {

World::World(WorldConfig cfg) : sim_(cfg.seed) {}

stack::Host& World::add_host(std::string name, std::vector<std::string> addresses, stack::Personality p) {
  hosts_.push_back(std::make_unique<stack::Host>(sim_, name, std::move(p)));
  pending_addrs_[name] = std::move(addresses);
  return *hosts_.back();
}

void World::add_static_neighbours() {
  for (const auto& hp : hosts_) {
    for (const auto& i : hp->interfaces) {
      if (i.loopback || !i.link) continue;
      for (const auto& other : hosts_) {
        if (other.get() == hp.get()) continue;
        for (const auto& j : other->interfaces) {
          if (j.link != i.link) continue;
          for (const auto& a : j.addrs) stack::neigh_add_permanent(*hp, i.ifindex, a.prefix.addr, j.mac);
        }
      }
    }
  }
}

stack::Host* World::host(std::string_view name) {
  for (auto& h : hosts_) {
    if (h->name() == name) return h.get();
  }
  return nullptr;
}

int World::attach(stack::Host& h, sim::Link& link, std::vector<std::string> addresses, int mtu) {
  const int ifindex = h.attach(link, std::nullopt, mtu);
  auto it = pending_addrs_.find(h.name());
  if (it != pending_addrs_.end() && !it->second.empty()) {
    for (const auto& a : it->second) addresses.push_back(a);
    it->second.clear();
  }
  for (const auto& a : addresses) {
    auto p = wire::IpPrefix::parse(a);
    if (!p) throw std::invalid_argument("bad address: " + a);
    h.add_address(ifindex, *p);
  }
  return ifindex;
}

sim::Link& World::connect(stack::Host& a, stack::Host& b, sim::LinkConfig cfg) {
  sim::Link& l = sim_.add_link(a.name() + "-" + b.name(), cfg);
  attach(a, l);
  attach(b, l);
  return l;
}

sim::Link& World::add_segment(std::string name, sim::LinkConfig cfg) { return sim_.add_link(std::move(name), cfg); }

bool World::run_until(const std::function<bool()>& done, sim::Duration limit) {
  const sim::Time end = saturating_add(sim_.now(), limit);
  while (!done()) {
    if (sim_.queue().empty() || sim_.queue().next_time() > end) {
      sim_.run_until(end);
      return done();
    }
    sim_.queue().run_next();
  }
  return true;
}

}  // namespace synlab
