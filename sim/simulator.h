// The simulator: clock and event queue, the scenario seed, nodes, links and observers.
//
// There is no global simulator: everything that needs time, randomness or tracing gets a
// reference to the one that owns it, so two worlds can run side by side in one process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/event_queue.h"
#include "sim/link.h"
#include "sim/rng.h"
#include "sim/trace.h"

namespace synlab::sim {

class Simulator {
 public:
  explicit Simulator(std::uint64_t seed = 1) : seed_(seed) {}
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  EventQueue& queue() { return queue_; }
  Time now() const { return queue_.now(); }
  std::uint64_t seed() const { return seed_; }
  // The random stream called `name` (see sim/rng.h).
  Rng stream(std::string_view name) const { return Rng::derive(seed_, name); }

  NodeId add_node(std::string name);
  const std::string& node_name(NodeId id) const { return nodes_[static_cast<std::size_t>(id)]; }
  std::size_t node_count() const { return nodes_.size(); }

  Link& add_link(std::string name, LinkConfig cfg = {});
  Link& link(LinkId id) { return *links_[static_cast<std::size_t>(id)]; }
  const Link& link(LinkId id) const { return *links_[static_cast<std::size_t>(id)]; }
  Link* find_link(std::string_view name);
  std::size_t link_count() const { return links_.size(); }

  // Observation. Senders check `wants_text()` before formatting any text for the trace.
  void add_observer(Observer* o) {
    observers_.push_back(o);
    if (o->wants_text()) ++text_observers_;
  }
  void remove_observer(Observer* o);
  // Frames and their fates are emitted when anyone observes; causes, drop reasons and state
  // lines only when an observer reads text (a classic pcap capture does not).
  bool observed() const { return !observers_.empty(); }
  bool wants_text() const { return text_observers_ > 0; }
  void emit(const TraceEvent& ev, const Packet* bytes = nullptr) {
    for (Observer* o : observers_) o->on_event(ev, bytes);
  }
  // Shorthand for a kNote / kTimer / kState line stamped with the current time.
  void note(TraceKind kind, NodeId node, std::uint64_t object, std::string text,
            std::string detail = {});

  std::uint64_t next_frame_id() { return ++last_frame_id_; }

  // Running.
  void run_until(Time t) { queue_.run_until(t); }
  void run_for(Duration d) { queue_.run_until(saturating_add(now(), d)); }

 private:
  std::uint64_t seed_;
  EventQueue queue_;
  std::vector<std::string> nodes_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<Observer*> observers_;
  int text_observers_ = 0;
  std::uint64_t last_frame_id_ = 0;
};

}  // namespace synlab::sim
