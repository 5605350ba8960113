#include "sim/simulator.h"

#include <algorithm>

namespace synlab::sim {

NodeId Simulator::add_node(std::string name) {
  nodes_.push_back(std::move(name));
  return static_cast<NodeId>(nodes_.size() - 1);
}

Link& Simulator::add_link(std::string name, LinkConfig cfg) {
  const auto id = static_cast<LinkId>(links_.size());
  links_.push_back(std::make_unique<Link>(*this, id, std::move(name), cfg));
  return *links_.back();
}

Link* Simulator::find_link(std::string_view name) {
  for (auto& l : links_) {
    if (l->name() == name) return l.get();
  }
  return nullptr;
}

void Simulator::remove_observer(Observer* o) {
  const auto n = std::count(observers_.begin(), observers_.end(), o);
  if (n > 0 && o->wants_text()) text_observers_ -= static_cast<int>(n);
  observers_.erase(std::remove(observers_.begin(), observers_.end(), o), observers_.end());
}

void Simulator::note(TraceKind kind, NodeId node, std::uint64_t object, std::string text,
                     std::string detail) {
  if (!wants_text()) return;
  TraceEvent ev;
  ev.at = now();
  ev.kind = kind;
  ev.node = node;
  ev.object = object;
  ev.text = std::move(text);
  ev.detail = std::move(detail);
  emit(ev);
}

}  // namespace synlab::sim
