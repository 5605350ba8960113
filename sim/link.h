// Links: point-to-point cables and shared segments (a switch), with faults.
//
// A link has ports; each port belongs to one node's interface. A frame handed to `transmit`
// goes through, in order: link up/down and partitions, fault rules ("drop the next N matching
// frames"), then for each destination port: loss, corruption (one bit flip), serialisation at
// the sender's rate, propagation delay with jitter, reordering and duplication. Each fault
// draws from its own stream named after the link, the sending port and the fault, so turning
// one fault on never changes another's draws. Every frame a fault drops or changes is traced
// with the reason.
//
// One port makes a loopback device (a host's `lo`): every frame comes back to the sender.
// Two ports make a cable: every frame reaches the other end. More ports make a switch with a
// static table: unicast goes to the port with that MAC, group addresses to every other port,
// unknown unicast is flooded.
//
// Order: jitter never reorders frames between the same two ports (each arrival is at least
// the previous one's); only the reorder fault does, by holding a frame back.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/event_queue.h"
#include "sim/mac.h"
#include "sim/packet.h"
#include "sim/rng.h"
#include "sim/trace.h"

namespace synlab::sim {

class Simulator;

struct LinkConfig {
  Duration delay;                          // one-way propagation delay
  Duration jitter;                         // delay varies uniformly in [delay-jitter, delay+jitter]
  std::uint64_t rate_bps = 0;              // 0: no serialisation delay
  double loss = 0;                         // probability each frame is lost
  double duplicate = 0;                    // probability a frame arrives twice
  double reorder = 0;                      // probability a frame is held back
  double corrupt = 0;                      // probability one bit of a frame flips
  Duration reorder_delay = Duration::millis(1);  // how long a reordered frame is held back
  // The sender's transmit queue (a qdisc's limit, in frames): with a rate, frames wait to be
  // serialised; beyond this many waiting, a new frame is dropped at once and the sender is
  // told (Linux's NET_XMIT_DROP, which UDP with IP_RECVERR reports as ENOBUFS). 0: unlimited.
  int queue_limit = 0;
};

// What happened to a frame handed to a link, as far as the sender can know at once.
enum class TxResult : std::uint8_t {
  kSent,       // on the wire (it may still be lost in flight)
  kQueueFull,  // dropped by the sender's transmit queue
};

// Implemented by whatever owns an interface (a host's stack).
class FrameReceiver {
 public:
  virtual ~FrameReceiver() = default;
  virtual void receive_frame(Packet frame, std::uint64_t frame_id) = 0;
};

// Drops (or lets through) the next `count` frames that match. Built by scenarios for
// "drop the next 2 SYN-ACKs"; `from` restricts it to frames sent by one port.
struct FaultRule {
  std::function<bool(std::span<const std::uint8_t>)> match;
  int count = 1;
  PortId from = -1;
  std::string reason;
};

struct LinkCounters {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  std::uint64_t corrupted = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t blocked = 0;  // link down, partition or fault rule
  std::uint64_t queue_drops = 0;  // the sender's transmit queue was full
};

class Link {
 public:
  struct Port {
    NodeId node = -1;
    std::string name;  // "client/eth0"
    MacAddr mac;
    FrameReceiver* rx = nullptr;
    std::int32_t group = 0;  // partition group; ports in different groups cannot talk
    Time busy_until;         // serialisation: when the sender's last frame has left
    std::vector<Time> queued_departures;  // frames still waiting to be serialised
    Time last_arrival;       // keeps jitter from reordering this port's frames
    Rng loss_rng, dup_rng, reorder_rng, corrupt_rng, jitter_rng;
  };

  Link(Simulator& sim, LinkId id, std::string name, LinkConfig cfg);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  LinkId id() const { return id_; }
  const std::string& name() const { return name_; }

  PortId attach(NodeId node, std::string port_name, MacAddr mac, FrameReceiver* rx);
  const Port& port(PortId p) const { return ports_[static_cast<std::size_t>(p)]; }
  std::size_t port_count() const { return ports_.size(); }

  // Hands a frame to the link. `cause` (why the sender sent it) is only read when the
  // simulator is observed.
  TxResult transmit(PortId from, Packet frame, std::string_view cause = {});

  const LinkConfig& config() const { return cfg_; }
  void set_config(const LinkConfig& cfg) { cfg_ = cfg; }
  bool up() const { return up_; }
  // Frames already in flight when the link goes down are lost too.
  void set_up(bool up);
  // Splits the ports into groups that cannot reach each other; ports not listed form one
  // more group together.
  void partition(const std::vector<std::vector<PortId>>& groups);
  void heal();
  bool partitioned() const { return partitioned_; }
  void add_fault(FaultRule rule) { rules_.push_back(std::move(rule)); }
  std::size_t pending_faults() const { return rules_.size(); }

  const LinkCounters& counters() const { return counters_; }

 private:
  struct InFlight {
    Packet frame;
    std::uint64_t id = 0;
    PortId from = -1;
    PortId to = -1;
    std::uint32_t next_free = 0;
  };

  void deliver(std::uint32_t slot);
  void send_to(PortId from, PortId to, const Packet& frame, std::uint64_t id, Time departure,
               bool last_copy, Packet* reuse);
  void drop(std::uint64_t id, PortId from, std::string_view what, std::string detail);
  void copy_done(std::uint64_t id);
  void copies_add(std::uint64_t id, int n);
  std::uint32_t alloc_slot();

  Simulator& sim_;
  LinkId id_;
  std::string name_;
  LinkConfig cfg_;
  bool up_ = true;
  bool partitioned_ = false;
  std::vector<Port> ports_;
  std::vector<FaultRule> rules_;
  std::vector<InFlight> in_flight_;
  std::uint32_t free_head_ = 0xffffffffu;
  // Copies of each frame still in flight; kept only while observed, to emit kFrameDone.
  std::unordered_map<std::uint64_t, int> copies_;
  LinkCounters counters_;
};

}  // namespace synlab::sim
