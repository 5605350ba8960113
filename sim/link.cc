#include "sim/link.h"

#include <algorithm>
#include <cstdio>

#include "sim/simulator.h"

namespace synlab::sim {
namespace {

constexpr std::uint32_t kNoSlot = 0xffffffffu;

std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", p * 100.0);
  return buf;
}

MacAddr dest_mac(const Packet& f) {
  MacAddr m;
  if (f.size() >= 6) std::copy(f.data(), f.data() + 6, m.b.begin());
  return m;
}

}  // namespace

Link::Link(Simulator& sim, LinkId id, std::string name, LinkConfig cfg)
    : sim_(sim), id_(id), name_(std::move(name)), cfg_(cfg) {}

PortId Link::attach(NodeId node, std::string port_name, MacAddr mac, FrameReceiver* rx) {
  Port p;
  p.node = node;
  p.mac = mac;
  p.rx = rx;
  const std::string base = "link:" + name_ + ":" + port_name + ":";
  p.loss_rng = sim_.stream(base + "loss");
  p.dup_rng = sim_.stream(base + "duplicate");
  p.reorder_rng = sim_.stream(base + "reorder");
  p.corrupt_rng = sim_.stream(base + "corrupt");
  p.jitter_rng = sim_.stream(base + "jitter");
  p.name = std::move(port_name);
  ports_.push_back(std::move(p));
  return static_cast<PortId>(ports_.size() - 1);
}

void Link::set_up(bool up) { up_ = up; }

void Link::partition(const std::vector<std::vector<PortId>>& groups) {
  const auto rest = static_cast<std::int32_t>(groups.size()) + 1;
  for (auto& p : ports_) p.group = rest;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (PortId pid : groups[g]) {
      if (pid >= 0 && static_cast<std::size_t>(pid) < ports_.size()) {
        ports_[static_cast<std::size_t>(pid)].group = static_cast<std::int32_t>(g) + 1;
      }
    }
  }
  partitioned_ = true;
}

void Link::heal() {
  for (auto& p : ports_) p.group = 0;
  partitioned_ = false;
}

std::uint32_t Link::alloc_slot() {
  if (free_head_ != kNoSlot) {
    const std::uint32_t s = free_head_;
    free_head_ = in_flight_[s].next_free;
    return s;
  }
  in_flight_.emplace_back();
  return static_cast<std::uint32_t>(in_flight_.size() - 1);
}

void Link::copies_add(std::uint64_t id, int n) {
  if (sim_.observed()) copies_[id] += n;
}

void Link::copy_done(std::uint64_t id) {
  if (!sim_.observed()) return;
  auto it = copies_.find(id);
  if (it == copies_.end()) return;
  if (--it->second > 0) return;
  copies_.erase(it);
  TraceEvent ev;
  ev.at = sim_.now();
  ev.kind = TraceKind::kFrameDone;
  ev.link = id_;
  ev.frame = id;
  sim_.emit(ev);
}

void Link::drop(std::uint64_t id, PortId from, std::string_view what, std::string detail) {
  if (sim_.observed()) {
    TraceEvent ev;
    ev.at = sim_.now();
    ev.kind = TraceKind::kFrameDropped;
    ev.link = id_;
    ev.port = from;
    ev.node = from >= 0 ? ports_[static_cast<std::size_t>(from)].node : -1;
    ev.frame = id;
    ev.text = std::string(what);
    ev.detail = std::move(detail);
    sim_.emit(ev);
  }
  copy_done(id);
}

TxResult Link::transmit(PortId from, Packet frame, std::string_view cause) {
  Port& src = ports_[static_cast<std::size_t>(from)];
  if (cfg_.queue_limit > 0 && cfg_.rate_bps > 0) {
    // Frames still waiting for serialisation form the sender's queue.
    auto& q = src.queued_departures;
    const Time now = sim_.now();
    q.erase(q.begin(), std::find_if(q.begin(), q.end(), [now](Time t) { return t > now; }));
    if (static_cast<int>(q.size()) >= cfg_.queue_limit) {
      ++counters_.queue_drops;
      if (sim_.observed()) {
        TraceEvent ev;
        ev.at = now;
        ev.kind = TraceKind::kNote;
        ev.node = src.node;
        ev.link = id_;
        ev.port = from;
        ev.text = src.name + ": transmit queue full (" + std::to_string(cfg_.queue_limit) + " frames), frame dropped";
        if (!cause.empty()) ev.detail = std::string(cause);
        sim_.emit(ev);
      }
      return TxResult::kQueueFull;
    }
  }
  const std::uint64_t id = sim_.next_frame_id();
  ++counters_.sent;
  if (sim_.observed()) {
    TraceEvent ev;
    ev.at = sim_.now();
    ev.kind = TraceKind::kFrameSent;
    ev.node = src.node;
    ev.link = id_;
    ev.port = from;
    ev.frame = id;
    ev.text = src.name;
    sim_.emit(ev, &frame);
    if (!cause.empty()) {
      ev.kind = TraceKind::kFrameNote;
      ev.note = NoteKind::kCause;
      ev.text = std::string(cause);
      sim_.emit(ev);
    }
    copies_add(id, 1);
  }

  if (!up_) {
    ++counters_.blocked;
    drop(id, from, "link down", "link " + name_ + " is down");
    return TxResult::kSent;
  }
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if ((it->from < 0 || it->from == from) && it->match && it->match(frame.bytes())) {
      std::string reason = it->reason.empty() ? "fault rule" : it->reason;
      if (--it->count <= 0) rules_.erase(it);
      ++counters_.blocked;
      drop(id, from, "dropped by fault rule", std::move(reason));
      return TxResult::kSent;
    }
  }

  // Destinations: the other end of a cable; by MAC on a switch.
  PortId single = -1;
  std::vector<PortId> many;
  if (ports_.size() == 1) {
    single = from;  // a loopback device: the frame comes back to its sender
  } else if (ports_.size() == 2) {
    single = from == 0 ? 1 : 0;
  } else {
    const MacAddr dst = dest_mac(frame);
    if (!dst.is_multicast()) {
      for (std::size_t i = 0; i < ports_.size(); ++i) {
        if (static_cast<PortId>(i) != from && ports_[i].mac == dst) {
          single = static_cast<PortId>(i);
          break;
        }
      }
    }
    if (single < 0) {
      for (std::size_t i = 0; i < ports_.size(); ++i) {
        if (static_cast<PortId>(i) != from) many.push_back(static_cast<PortId>(i));
      }
    }
  }

  // Serialisation happens once per frame, at the sender.
  Time departure = std::max(sim_.now(), src.busy_until);
  if (cfg_.rate_bps > 0) {
    const auto bits = static_cast<std::int64_t>(frame.size()) * 8;
    const std::int64_t ns =
        (bits * 1'000'000'000 + static_cast<std::int64_t>(cfg_.rate_bps) - 1) /
        static_cast<std::int64_t>(cfg_.rate_bps);
    departure = departure + Duration::nanos(ns);
    src.busy_until = departure;
    if (cfg_.queue_limit > 0) src.queued_departures.push_back(departure);
  }

  if (single >= 0) {
    send_to(from, single, frame, id, departure, true, &frame);
  } else if (many.empty()) {
    drop(id, from, "no receiver", "nothing else is attached to link " + name_);
  } else {
    copies_add(id, static_cast<int>(many.size()) - 1);
    for (std::size_t i = 0; i < many.size(); ++i) {
      send_to(from, many[i], frame, id, departure, i + 1 == many.size(), &frame);
    }
  }
  return TxResult::kSent;
}

// Sends one copy of `frame` from `from` to `to`. When `last_copy`, the frame may be moved
// out of `*reuse` instead of cloned.
void Link::send_to(PortId from, PortId to, const Packet& frame, std::uint64_t id, Time departure,
                   bool last_copy, Packet* reuse) {
  Port& src = ports_[static_cast<std::size_t>(from)];
  Port& dst = ports_[static_cast<std::size_t>(to)];
  if (src.group != dst.group) {
    ++counters_.blocked;
    drop(id, from, "partitioned", src.name + " and " + dst.name + " are on different sides of a partition");
    return;
  }
  if (cfg_.loss > 0 && src.loss_rng.chance(cfg_.loss)) {
    ++counters_.lost;
    drop(id, from, "lost on link", "loss rate " + percent(cfg_.loss) + " on " + name_);
    return;
  }

  Packet copy = last_copy ? std::move(*reuse) : frame.clone();
  if (cfg_.corrupt > 0 && !copy.empty() && src.corrupt_rng.chance(cfg_.corrupt)) {
    const std::uint64_t bit = src.corrupt_rng.below(copy.size() * 8);
    copy[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    ++counters_.corrupted;
    if (sim_.observed()) {
      TraceEvent ev;
      ev.at = sim_.now();
      ev.kind = TraceKind::kFrameAltered;
      ev.link = id_;
      ev.port = from;
      ev.node = src.node;
      ev.frame = id;
      ev.text = "corrupted on link";
      char buf[96];
      std::snprintf(buf, sizeof buf, "bit %llu of byte %llu flipped",
                    static_cast<unsigned long long>(bit % 8),
                    static_cast<unsigned long long>(bit / 8));
      ev.detail = buf;
      sim_.emit(ev);
    }
  }

  Duration delay = cfg_.delay;
  if (cfg_.jitter > Duration::zero()) {
    delay = delay + Duration::nanos(src.jitter_rng.between(-cfg_.jitter.ns(), cfg_.jitter.ns()));
    if (delay < Duration::zero()) delay = Duration::zero();
  }
  Time arrival = departure + delay;
  bool reordered = false;
  if (cfg_.reorder > 0 && src.reorder_rng.chance(cfg_.reorder)) {
    arrival = arrival + cfg_.reorder_delay;
    reordered = true;
    ++counters_.reordered;
    if (sim_.observed()) {
      TraceEvent ev;
      ev.at = sim_.now();
      ev.kind = TraceKind::kFrameAltered;
      ev.link = id_;
      ev.port = from;
      ev.node = src.node;
      ev.frame = id;
      ev.text = "reordered on link";
      ev.detail = "held back " + format_human(cfg_.reorder_delay) + " so later frames overtake it";
      sim_.emit(ev);
    }
  } else {
    if (arrival < src.last_arrival) arrival = src.last_arrival;
    src.last_arrival = arrival;
  }

  const bool dup = cfg_.duplicate > 0 && src.dup_rng.chance(cfg_.duplicate);
  Packet dup_copy;
  if (dup) dup_copy = copy.clone();

  const std::uint32_t slot = alloc_slot();
  in_flight_[slot].frame = std::move(copy);
  in_flight_[slot].id = id;
  in_flight_[slot].from = from;
  in_flight_[slot].to = to;
  sim_.queue().schedule(arrival, [this, slot] { deliver(slot); });

  if (dup) {
    ++counters_.duplicated;
    const std::uint64_t dup_id = sim_.next_frame_id();
    if (sim_.observed()) {
      TraceEvent ev;
      ev.at = sim_.now();
      ev.kind = TraceKind::kFrameAltered;
      ev.link = id_;
      ev.port = from;
      ev.node = src.node;
      ev.frame = dup_id;
      ev.copy_of = id;
      ev.text = "duplicated on link";
      ev.detail = "a second copy of frame " + std::to_string(id);
      sim_.emit(ev, &dup_copy);
      copies_add(dup_id, 1);
    }
    const std::uint32_t s2 = alloc_slot();
    in_flight_[s2].frame = std::move(dup_copy);
    in_flight_[s2].id = dup_id;
    in_flight_[s2].from = from;
    in_flight_[s2].to = to;
    sim_.queue().schedule(arrival, [this, s2] { deliver(s2); });
  }
  (void)reordered;
}

void Link::deliver(std::uint32_t slot) {
  InFlight& f = in_flight_[slot];
  Packet frame = std::move(f.frame);
  const std::uint64_t id = f.id;
  const PortId from = f.from;
  const PortId to = f.to;
  f.next_free = free_head_;
  free_head_ = slot;

  const Port& src = ports_[static_cast<std::size_t>(from)];
  const Port& dst = ports_[static_cast<std::size_t>(to)];
  if (!up_) {
    ++counters_.blocked;
    drop(id, from, "link down", "link " + name_ + " went down while the frame was in flight");
    return;
  }
  if (src.group != dst.group) {
    ++counters_.blocked;
    drop(id, from, "partitioned", "a partition came up while the frame was in flight");
    return;
  }
  if (!dst.rx) {
    drop(id, from, "no receiver", dst.name + " has no interface attached");
    return;
  }
  ++counters_.delivered;
  if (sim_.observed()) {
    TraceEvent ev;
    ev.at = sim_.now();
    ev.kind = TraceKind::kFrameArrived;
    ev.link = id_;
    ev.port = to;
    ev.node = dst.node;
    ev.frame = id;
    ev.text = dst.name;
    sim_.emit(ev);
  }
  dst.rx->receive_frame(std::move(frame), id);
  copy_done(id);
}

}  // namespace synlab::sim
