// A world: the simulator plus simulated hosts and the links between them. This is the C++
// face of synlab (scenario files drive the same calls):
//
//   synlab::World world({.seed = 1});
//   auto& client = world.add_host("client", {"10.0.0.1/24"});
//   auto& server = world.add_host("server", {"10.0.0.2/24"});
//   world.connect(client, server, {.delay = 10ms});
//
// Hosts get their addresses on their first interface. `connect` makes a point-to-point link;
// `add_segment` + `attach` make a shared segment (a switch) for many hosts.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/simulator.h"
#include "stack/host.h"

namespace synlab {

struct WorldConfig {
  std::uint64_t seed = 1;
};

class World {
 public:
  explicit World(WorldConfig cfg = {});
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  sim::Simulator& sim() { return sim_; }
  sim::Time now() const { return sim_.now(); }

  // A host named `name` with these addresses ("10.0.0.1/24", "fd00::1/64") for its first
  // interface.
  stack::Host& add_host(std::string name, std::vector<std::string> addresses = {},
                        stack::Personality personality = stack::linux_6_18());
  stack::Host* host(std::string_view name);
  const std::vector<std::unique_ptr<stack::Host>>& hosts() const { return hosts_; }

  // A point-to-point link between a and b (named "a-b"); each gets a new interface.
  sim::Link& connect(stack::Host& a, stack::Host& b, sim::LinkConfig cfg = {});
  // A shared segment; hosts join it with attach().
  sim::Link& add_segment(std::string name, sim::LinkConfig cfg = {});
  // Attaches `h` to `link` with a new interface (and its pending addresses if it is the
  // host's first). Returns the ifindex.
  int attach(stack::Host& h, sim::Link& link, std::vector<std::string> addresses = {}, int mtu = 1500);

  // Every address of every host on a shared link, as a permanent (NUD_PERMANENT) neighbour
  // entry on each other host's interface on that link: no ARP/NDP before the first packet.
  void add_static_neighbours();

  void run_for(sim::Duration d) { sim_.run_for(d); }
  void run_until(sim::Time t) { sim_.run_until(t); }
  // Runs events until `done()` holds or `limit` passes (then the clock stops at the event that
  // made it true). Returns whether it held.
  bool run_until(const std::function<bool()>& done, sim::Duration limit = sim::Duration::seconds(3600));

  // Makes a call that may block and runs the world until it completes: a blocking call in
  // virtual time. `limit` bounds the wait; past it the result is ETIMEDOUT-free nullopt.
  //   auto r = world.wait<void>([&](auto done) { client.connect(fd, addr, done); });
  template <class T>
  std::optional<stack::SysResult<T>> wait(const std::function<void(stack::Done<T>)>& call,
                                          sim::Duration limit = sim::Duration::seconds(3600)) {
    std::optional<stack::SysResult<T>> out;
    call([&out](stack::SysResult<T> r) { out.emplace(std::move(r)); });
    run_until([&out] { return out.has_value(); }, limit);
    return out;
  }

 private:
  sim::Simulator sim_;
  std::vector<std::unique_ptr<stack::Host>> hosts_;
  std::map<std::string, std::vector<std::string>, std::less<>> pending_addrs_;
};

}  // namespace synlab
