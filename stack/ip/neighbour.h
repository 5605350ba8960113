// Neighbour resolution: ARP (RFC 826) for IPv4, NDP (RFC 4861) for IPv6, one cache.
//
// The states and timers are Linux's NUD machine (net/core/neighbour.c): a packet to an
// unknown neighbour creates an INCOMPLETE entry, is queued, and a solicitation goes out;
// without an answer, `mcast_solicit` (3) solicitations `retrans_time` (1 s) apart, after which
// the entry FAILS and every queued packet is reported back to its sender as "host unreachable"
// (that is how a connect to a silent on-link address ends in EHOSTUNREACH after 3 s). An
// answer makes the entry REACHABLE for a randomised `base_reachable_time`; then STALE; the
// next use moves it to DELAY and, without confirmation from TCP, to PROBE (unicast).
//
// IPv6 duplicate address detection and router solicitation are not modelled: addresses are
// usable at once, as with `nodad` on Linux.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/event_queue.h"
#include "sim/mac.h"
#include "sim/packet.h"
#include "stack/socket/errno.h"
#include "stack/wire/ip_address.h"

namespace synlab::stack {

class Host;
struct Interface;

// kPermanent: an administratively set entry (`ip neigh add ... nud permanent`): never probed,
// never changed by ARP or NDP, never expires.
enum class NudState : std::uint8_t { kIncomplete, kReachable, kStale, kDelay, kProbe, kFailed, kPermanent };

std::string_view to_string(NudState s);

struct NeighbourEntry {
  int ifindex = 0;
  wire::IpAddr ip;
  sim::MacAddr mac;
  NudState state = NudState::kIncomplete;
  int probes = 0;
  // The last probe went unanswered and the failure waits for the other timers of this
  // instant (see on_timer).
  bool fail_pending = false;
  sim::TimerId timer;
  sim::Time confirmed;  // last proof of reachability (a reply, or TCP progress)
  struct Queued {
    sim::Packet frame;  // a whole Ethernet frame, destination MAC still to fill in
    std::string cause;
  };
  std::vector<Queued> queue;
  std::size_t queued_bytes = 0;
};

class NeighbourTable {
 public:
  NeighbourEntry* find(int ifindex, const wire::IpAddr& ip);
  NeighbourEntry& get_or_create(int ifindex, const wire::IpAddr& ip);
  void erase(int ifindex, const wire::IpAddr& ip) { entries_.erase({ifindex, ip}); }
  std::size_t size() const { return entries_.size(); }
  // In (ifindex, address) order.
  const std::map<std::pair<int, wire::IpAddr>, NeighbourEntry>& entries() const { return entries_; }

 private:
  std::map<std::pair<int, wire::IpAddr>, NeighbourEntry> entries_;
};

// Sends an Ethernet frame (header space included, destination MAC unfilled) to `next_hop`
// on `iface`, resolving its MAC first if needed.
// Returns ENOBUFS when the interface's transmit queue dropped the frame, else kOk.
Errno neigh_output(Host& h, Interface& iface, const wire::IpAddr& next_hop, sim::Packet frame,
                   std::string cause);
// `ip neigh replace IP lladdr MAC dev IF nud permanent`.
void neigh_add_permanent(Host& h, int ifindex, const wire::IpAddr& ip, const sim::MacAddr& mac);
// An ARP or NDP message told us `ip` is at `mac`. `solicited`: a reply to our question
// (REACHABLE); otherwise learned in passing (STALE) unless we already had it.
void neigh_update(Host& h, int ifindex, const wire::IpAddr& ip, const sim::MacAddr& mac,
                  bool solicited, bool override_mac);
// Upper-layer proof that `ip` is reachable (TCP forward progress).
void neigh_confirm(Host& h, int ifindex, const wire::IpAddr& ip);
// Is a TCP segment src:sport > dst:dport with sequence number `seq` still waiting in a
// neighbour queue for its next hop to be resolved? TCP then does not retransmit it
// (skb_still_in_host_queue: the queued clone is the same skb).
bool neigh_tcp_segment_queued(const Host& h, const wire::IpAddr& src, std::uint16_t sport,
                              const wire::IpAddr& dst, std::uint16_t dport, std::uint32_t seq);

// Input of ARP frames and of NDP messages (called from the ICMPv6 input path).
void arp_rcv(Host& h, int ifindex, std::span<const std::uint8_t> arp, std::uint64_t frame_id);
void ndisc_rcv(Host& h, int ifindex, const wire::IpAddr& src, const wire::IpAddr& dst,
               std::span<const std::uint8_t> icmp6, std::uint64_t frame_id);

}  // namespace synlab::stack
