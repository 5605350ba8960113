#include "stack/ip/neighbour.h"

#include <algorithm>

#include "stack/host.h"
#include "stack/ip/icmp.h"
#include "stack/ip/ip.h"
#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"

namespace synlab::stack {

std::string_view to_string(NudState s) {
  switch (s) {
    case NudState::kIncomplete: return "INCOMPLETE";
    case NudState::kReachable: return "REACHABLE";
    case NudState::kStale: return "STALE";
    case NudState::kDelay: return "DELAY";
    case NudState::kProbe: return "PROBE";
    case NudState::kFailed: return "FAILED";
    case NudState::kPermanent: return "PERMANENT";
  }
  return "?";
}

NeighbourEntry* NeighbourTable::find(int ifindex, const wire::IpAddr& ip) {
  auto it = entries_.find({ifindex, ip});
  return it == entries_.end() ? nullptr : &it->second;
}

NeighbourEntry& NeighbourTable::get_or_create(int ifindex, const wire::IpAddr& ip) {
  auto [it, inserted] = entries_.try_emplace({ifindex, ip});
  if (inserted) {
    it->second.ifindex = ifindex;
    it->second.ip = ip;
  }
  return it->second;
}

namespace {

// Linux's truesize of a small skb, roughly: what unres_qlen_bytes is counted in.
std::size_t truesize(const sim::Packet& p) { return p.size() + 768; }

// A per-host random reachable time in [base/2, 3*base/2) (neigh_rand_reach_time).
sim::Duration reachable_time(Host& h) {
  const std::int64_t base = h.personality().neigh.base_reachable_time.ms();
  if (base <= 0) return sim::Duration::zero();
  return sim::Duration::millis(static_cast<std::int64_t>(h.rng_misc.below(static_cast<std::uint64_t>(base))) +
                               base / 2);
}

wire::IpAddr probe_source(Host& h, const Interface& iface, const NeighbourEntry& n) {
  // arp_solicit / ndisc_solicit: the source of the packet that triggered resolution, when it
  // is one of ours; otherwise the interface's address toward the neighbour.
  if (!n.queue.empty()) {
    const wire::Bytes ip = n.queue.front().frame.bytes().subspan(wire::EthernetRepr::buffer_len());
    wire::IpAddr src;
    if (n.ip.is_v4() && ip.size() >= 20) src = wire::IpAddr::v4(ip[12], ip[13], ip[14], ip[15]);
    if (n.ip.is_v6() && ip.size() >= 40) src = wire::IpAddr::from_bytes(ip.subspan(8, 16));
    if (iface.has_addr(src)) return src;
  }
  auto s = select_source(h, iface.ifindex, n.ip);
  return s ? *s : wire::IpAddr::any(n.ip.family());
}

Errno send_frame(Interface& iface, sim::Packet frame, std::string cause) {
  if (!iface.link) return Errno::kOk;
  return iface.link->transmit(iface.port, std::move(frame), cause) == sim::TxResult::kQueueFull ? Errno::kENOBUFS
                                                                                              : Errno::kOk;
}

void send_arp(Host& h, Interface& iface, wire::ArpOp op, const wire::IpAddr& sender_ip,
              const sim::MacAddr& target_mac, const wire::IpAddr& target_ip,
              const sim::MacAddr& eth_dst, std::string cause) {
  sim::Packet frame(wire::EthernetRepr::buffer_len() + wire::ArpRepr::buffer_len());
  wire::EthernetRepr eth{eth_dst, iface.mac, wire::kEtherTypeArp};
  eth.emit(frame.bytes().first(wire::EthernetRepr::buffer_len()));
  wire::ArpRepr arp;
  arp.op = op;
  arp.sender_mac = iface.mac;
  arp.sender_ip = sender_ip;
  arp.target_mac = target_mac;
  arp.target_ip = target_ip;
  arp.emit(frame.bytes().subspan(wire::EthernetRepr::buffer_len()));
  (void)h;
  send_frame(iface, std::move(frame), std::move(cause));
}

void send_ndisc(Host& h, Interface& iface, const wire::IpAddr& src, const wire::IpAddr& dst,
                const wire::Icmpv6Repr& msg, const sim::MacAddr& eth_dst, std::string cause) {
  const std::size_t l4 = msg.buffer_len();
  sim::Packet frame(wire::EthernetRepr::buffer_len() + wire::kIpv6HeaderLen + l4);
  wire::EthernetRepr eth{eth_dst, iface.mac, wire::kEtherTypeIpv6};
  eth.emit(frame.bytes().first(wire::EthernetRepr::buffer_len()));
  wire::Ipv6Repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.next_header = wire::kIpProtoIcmpv6;
  ip.hop_limit = 255;  // RFC 4861 §7.1: NDP must not have been forwarded
  ip.payload_len = static_cast<std::uint16_t>(l4);
  wire::MutBytes ipb = frame.bytes().subspan(wire::EthernetRepr::buffer_len());
  ip.emit(ipb.first(wire::kIpv6HeaderLen));
  msg.emit(ipb.subspan(wire::kIpv6HeaderLen), src, dst);
  h.counters().inc(Mib::kIcmpOutMsgs);
  send_frame(iface, std::move(frame), std::move(cause));
}

// One solicitation: broadcast ARP / multicast NS when `unicast` is false, else to the known MAC.
void solicit(Host& h, Interface& iface, NeighbourEntry& n, bool unicast) {
  const wire::IpAddr src = probe_source(h, iface, n);
  const int max = unicast ? h.personality().neigh.ucast_solicit : h.personality().neigh.mcast_solicit;
  std::string cause;
  if (h.observed()) {
    cause = std::string(n.ip.is_v4() ? "ARP request" : "neighbour solicitation") + " for " +
            n.ip.to_string() + (unicast ? " (unicast probe " : " (probe ") + std::to_string(n.probes) +
            " of " + std::to_string(max) + ")";
  }
  if (n.ip.is_v4()) {
    send_arp(h, iface, wire::ArpOp::kRequest, src, sim::MacAddr{}, n.ip,
             unicast ? n.mac : sim::MacAddr::broadcast(), std::move(cause));
  } else {
    const wire::IpAddr dst = unicast ? n.ip : n.ip.solicited_node();
    auto ns = wire::Icmpv6Repr::neighbor_solicitation(
        n.ip, src.is_unspecified() ? std::nullopt : std::optional<sim::MacAddr>(iface.mac));
    send_ndisc(h, iface, src, dst, ns, unicast ? n.mac : dst.multicast_mac(), std::move(cause));
  }
}

Errno fill_and_send(Interface& iface, const sim::MacAddr& mac, sim::Packet frame, std::string cause) {
  wire::MutBytes b = frame.bytes();
  std::copy(mac.b.begin(), mac.b.end(), b.begin());
  std::copy(iface.mac.b.begin(), iface.mac.b.end(), b.begin() + 6);
  return send_frame(iface, std::move(frame), std::move(cause));
}

void arm(Host& h, NeighbourEntry& n, sim::Duration d);

// neigh_invalidate: resolution failed; every queued packet goes back to its sender as
// "host unreachable" (ipv4_link_failure / ip6_link_failure send an ICMP error to ourselves).
void fail_entry(Host& h, NeighbourEntry& n) {
  n.state = NudState::kFailed;
  h.counters().inc(Mib::kNeighResFailed);
  h.trace_note(sim::TraceKind::kTimer, nullptr,
               "neighbour " + n.ip.to_string() + " FAILED after " + std::to_string(n.probes) + " probes",
               "queued packets are reported to their senders as host unreachable");
  auto queue = std::move(n.queue);
  n.queue.clear();
  n.queued_bytes = 0;
  for (auto& q : queue) {
    const wire::Bytes ip = q.frame.bytes().subspan(wire::EthernetRepr::buffer_len());
    IpMeta m;
    m.ifindex = n.ifindex;
    m.frame = 0;
    m.packet = ip;
    if (n.ip.is_v4()) {
      auto p = wire::Ipv4Repr::parse(ip, wire::ChecksumCheck::kSkip);
      if (!p) continue;
      m.src = p->repr.src;
      m.dst = p->repr.dst;
      m.protocol = p->repr.protocol;
      m.tos = p->repr.tos;
    } else {
      auto p = wire::Ipv6Repr::parse(ip);
      if (!p) continue;
      m.src = p->repr.src;
      m.dst = p->repr.dst;
      m.protocol = p->repr.next_header;
    }
    h.counters().drop(DropReason::kNeighFailed);
    icmp_send_error(h, m, IcmpKind::kHostUnreachable, 0);
  }
}

// The entry fails once every other timer due at this instant has run. In Linux the
// neighbour timer and a TCP retransmission timer armed 1 s apart at the same moment land in
// the same timer-wheel bucket, and the one armed later (TCP's) runs first: the retransmission
// finds its SYN still queued here and sends nothing (skb_still_in_host_queue), and only then
// does the entry fail and report the queued SYN (measured: 1 local ICMP, 3
// TCPSpuriousRtxHostQueues for a connect to a silent on-link address).
void fail_after_other_timers(Host& h, NeighbourEntry& n) {
  if (n.fail_pending) {
    n.fail_pending = false;
    fail_entry(h, n);
    return;
  }
  arm(h, n, sim::Duration::zero());
  n.fail_pending = true;
}

void on_timer(Host& h, int ifindex, wire::IpAddr ip) {
  NeighbourEntry* n = h.neigh.find(ifindex, ip);
  Interface* iface = h.interface(ifindex);
  if (!n || !iface) return;
  const NeighbourKnobs& k = h.personality().neigh;
  switch (n->state) {
    case NudState::kIncomplete:
      if (n->probes >= k.mcast_solicit + k.app_solicit) {
        fail_after_other_timers(h, *n);
        return;
      }
      ++n->probes;
      solicit(h, *iface, *n, false);
      arm(h, *n, k.retrans_time);
      return;
    case NudState::kReachable:
      n->state = NudState::kStale;
      return;
    case NudState::kDelay:
      if (h.now() <= n->confirmed + k.delay_first_probe_time) {
        n->state = NudState::kReachable;
        arm(h, *n, reachable_time(h));
        return;
      }
      n->state = NudState::kProbe;
      n->probes = 1;
      solicit(h, *iface, *n, true);
      arm(h, *n, k.retrans_time);
      return;
    case NudState::kProbe:
      if (n->probes >= k.ucast_solicit + k.app_solicit) {
        fail_after_other_timers(h, *n);
        return;
      }
      ++n->probes;
      solicit(h, *iface, *n, true);
      arm(h, *n, k.retrans_time);
      return;
    case NudState::kStale:
    case NudState::kFailed:
    case NudState::kPermanent:
      return;
  }
}

void arm(Host& h, NeighbourEntry& n, sim::Duration d) {
  n.fail_pending = false;
  h.sim().queue().cancel(n.timer);
  const int ifindex = n.ifindex;
  const wire::IpAddr ip = n.ip;
  n.timer = h.sim().queue().schedule_in(d, [&h, ifindex, ip] { on_timer(h, ifindex, ip); });
}

sim::MacAddr group_mac(const wire::IpAddr& a) {
  if (a.is_v6()) return a.multicast_mac();
  const auto& b = a.raw();
  return sim::MacAddr{{0x01, 0x00, 0x5e, static_cast<std::uint8_t>(b[1] & 0x7f), b[2], b[3]}};
}

bool is_v4_broadcast_on(const Interface& iface, const wire::IpAddr& a) {
  if (!a.is_v4()) return false;
  if (a.is_broadcast()) return true;
  for (const auto& ia : iface.addrs) {
    if (!ia.prefix.addr.is_v4() || ia.prefix.len >= 31) continue;
    const std::uint32_t mask = ia.prefix.len == 0 ? 0 : ~0u << (32 - ia.prefix.len);
    if ((a.v4_u32() | mask) == 0xffffffffu && (a.v4_u32() & mask) == (ia.prefix.addr.v4_u32() & mask)) return true;
  }
  return false;
}

}  // namespace

Errno neigh_output(Host& h, Interface& iface, const wire::IpAddr& next_hop, sim::Packet frame,
                   std::string cause) {
  if (is_v4_broadcast_on(iface, next_hop)) {
    return fill_and_send(iface, sim::MacAddr::broadcast(), std::move(frame), std::move(cause));
  }
  if (next_hop.is_multicast()) {
    return fill_and_send(iface, group_mac(next_hop), std::move(frame), std::move(cause));
  }
  const NeighbourKnobs& k = h.personality().neigh;
  NeighbourEntry* existing = h.neigh.find(iface.ifindex, next_hop);
  if (!existing && static_cast<int>(h.neigh.size()) >= k.gc_thresh3) {
    // neigh_create: the table is full (and nothing to collect: every entry is in use).
    h.counters().inc(Mib::kNeighTableFulls);
    h.counters().drop(DropReason::kNeighQueueFull);
    h.trace_note(sim::TraceKind::kNote, nullptr, "neighbour table overflow",
                 "gc_thresh3 = " + std::to_string(k.gc_thresh3));
    return Errno::kOk;
  }
  NeighbourEntry& n = existing ? *existing : h.neigh.get_or_create(iface.ifindex, next_hop);
  switch (n.state) {
    case NudState::kReachable:
    case NudState::kDelay:
    case NudState::kProbe:
    case NudState::kPermanent:
      return fill_and_send(iface, n.mac, std::move(frame), std::move(cause));
    case NudState::kStale:
      // neigh_event_send: first use of a stale entry starts the DELAY timer.
      n.state = NudState::kDelay;
      arm(h, n, k.delay_first_probe_time);
      return fill_and_send(iface, n.mac, std::move(frame), std::move(cause));
    case NudState::kIncomplete:
    case NudState::kFailed: {
      const bool start = n.state == NudState::kFailed || !existing;
      // __neigh_event_send: queue, dropping the oldest beyond unres_qlen_bytes.
      n.queued_bytes += truesize(frame);
      n.queue.push_back({std::move(frame), std::move(cause)});
      while (n.queued_bytes > static_cast<std::size_t>(k.unres_qlen_bytes) && n.queue.size() > 1) {
        n.queued_bytes -= truesize(n.queue.front().frame);
        n.queue.erase(n.queue.begin());
        h.counters().drop(DropReason::kNeighQueueFull);
      }
      if (start) {
        n.state = NudState::kIncomplete;
        n.probes = 1;
        solicit(h, iface, n, false);
        arm(h, n, k.retrans_time);
      }
      return Errno::kOk;
    }
  }
  return Errno::kOk;
}

void neigh_add_permanent(Host& h, int ifindex, const wire::IpAddr& ip, const sim::MacAddr& mac) {
  NeighbourEntry& n = h.neigh.get_or_create(ifindex, ip);
  h.sim().queue().cancel(n.timer);
  n.mac = mac;
  n.state = NudState::kPermanent;
  n.confirmed = h.now();
}

void neigh_update(Host& h, int ifindex, const wire::IpAddr& ip, const sim::MacAddr& mac,
                  bool solicited, bool override_mac) {
  Interface* iface = h.interface(ifindex);
  if (!iface) return;
  NeighbourEntry* n = h.neigh.find(ifindex, ip);
  // neigh_update() refuses to touch a NUD_PERMANENT entry unless an administrator asks.
  if (n && n->state == NudState::kPermanent) return;
  if (!n) {
    // Learned in passing (a request or an unsolicited advertisement from it): STALE.
    NeighbourEntry& e = h.neigh.get_or_create(ifindex, ip);
    e.mac = mac;
    e.state = solicited ? NudState::kReachable : NudState::kStale;
    e.confirmed = h.now();
    if (solicited) arm(h, e, reachable_time(h));
    return;
  }
  const bool had_mac = n->state != NudState::kIncomplete && n->state != NudState::kFailed;
  if (had_mac && n->mac != mac && !override_mac) return;
  const bool changed = !had_mac || n->mac != mac;
  n->mac = mac;
  if (solicited) {
    n->state = NudState::kReachable;
    n->confirmed = h.now();
    arm(h, *n, reachable_time(h));
  } else if (!had_mac || changed) {
    n->state = NudState::kStale;
    n->fail_pending = false;
    h.sim().queue().cancel(n->timer);
  }
  if (!n->queue.empty()) {
    auto queue = std::move(n->queue);
    n->queue.clear();
    n->queued_bytes = 0;
    for (auto& q : queue) (void)fill_and_send(*iface, n->mac, std::move(q.frame), std::move(q.cause));
  }
}

void neigh_confirm(Host& h, int ifindex, const wire::IpAddr& ip) {
  if (NeighbourEntry* n = h.neigh.find(ifindex, ip)) n->confirmed = h.now();
}

bool neigh_tcp_segment_queued(const Host& h, const wire::IpAddr& src, std::uint16_t sport,
                              const wire::IpAddr& dst, std::uint16_t dport, std::uint32_t seq) {
  for (const auto& [key, n] : h.neigh.entries()) {
    for (const auto& q : n.queue) {
      const wire::Bytes ip = q.frame.bytes().subspan(wire::EthernetRepr::buffer_len());
      wire::IpAddr s, d;
      std::uint8_t proto = 0;
      wire::Bytes l4;
      if (n.ip.is_v4()) {
        auto p = wire::Ipv4Repr::parse(ip, wire::ChecksumCheck::kSkip);
        if (!p) continue;
        s = p->repr.src, d = p->repr.dst, proto = p->repr.protocol, l4 = p->payload;
      } else {
        auto p = wire::Ipv6Repr::parse(ip);
        if (!p) continue;
        s = p->repr.src, d = p->repr.dst, proto = p->repr.next_header, l4 = p->payload;
      }
      if (proto != wire::kIpProtoTcp || l4.size() < 8 || s != src || d != dst) continue;
      const auto be16 = [&](std::size_t i) { return static_cast<std::uint16_t>(l4[i] << 8 | l4[i + 1]); };
      const std::uint32_t q_seq = std::uint32_t{be16(4)} << 16 | be16(6);
      if (be16(0) == sport && be16(2) == dport && q_seq == seq) return true;
    }
  }
  return false;
}

void arp_rcv(Host& h, int ifindex, std::span<const std::uint8_t> bytes, std::uint64_t frame_id) {
  auto parsed = wire::ArpRepr::parse(bytes);
  if (!parsed) {
    h.frame_drop(frame_id, DropReason::kArpInvalid, std::string(wire::to_string(parsed.error())));
    return;
  }
  const wire::ArpRepr& a = *parsed;
  Interface* iface = h.interface(ifindex);
  if (!iface) return;
  // arp_process (arp_ignore = 0): answer for any local address.
  const bool for_us = h.is_local_address(a.target_ip) && !a.target_ip.is_loopback();
  if (a.op == wire::ArpOp::kRequest && for_us) {
    neigh_update(h, ifindex, a.sender_ip, a.sender_mac, false, true);
    std::string cause;
    if (h.observed()) cause = "ARP reply: " + a.target_ip.to_string() + " is this host's address";
    send_arp(h, *iface, wire::ArpOp::kReply, a.target_ip, a.sender_mac, a.sender_ip, a.sender_mac,
             std::move(cause));
    return;
  }
  if (a.op == wire::ArpOp::kReply && for_us) {
    neigh_update(h, ifindex, a.sender_ip, a.sender_mac, true, true);
    return;
  }
  // Not for us: refresh an entry we already have (arp_accept = 0 creates none).
  if (NeighbourEntry* n = h.neigh.find(ifindex, a.sender_ip); n && n->state != NudState::kIncomplete) {
    neigh_update(h, ifindex, a.sender_ip, a.sender_mac, false, true);
  }
}

void ndisc_rcv(Host& h, int ifindex, const wire::IpAddr& src, const wire::IpAddr& dst,
               std::span<const std::uint8_t> icmp6, std::uint64_t frame_id) {
  auto parsed = wire::Icmpv6Repr::parse(icmp6, src, dst, wire::ChecksumCheck::kSkip);
  if (!parsed) {
    h.frame_drop(frame_id, DropReason::kIcmpInvalid, std::string(wire::to_string(parsed.error())));
    return;
  }
  const wire::Icmpv6Repr& r = *parsed;
  Interface* iface = h.interface(ifindex);
  if (!iface) return;
  if (r.type == wire::Icmpv6Type::kNeighborSolicitation) {
    if (!iface->has_addr(r.target)) {
      h.frame_drop(frame_id, DropReason::kOtherHost, "solicitation for " + r.target.to_string());
      return;
    }
    if (!src.is_unspecified() && r.lladdr) neigh_update(h, ifindex, src, *r.lladdr, false, true);
    // ndisc_send_na: solicited and override (not an anycast address), to the solicitor (or
    // all-nodes for a duplicate address detection probe from ::).
    std::uint32_t flags = wire::kNaSolicited | wire::kNaOverride;
    if (h.personality().ipv6_forwarding) flags |= wire::kNaRouter;
    const bool dad = src.is_unspecified();
    if (dad) flags &= ~wire::kNaSolicited;
    const wire::IpAddr to = dad ? *wire::IpAddr::parse("ff02::1") : src;
    auto na = wire::Icmpv6Repr::neighbor_advertisement(r.target, flags, iface->mac);
    sim::MacAddr mac = dad ? to.multicast_mac() : (r.lladdr ? *r.lladdr : sim::MacAddr::broadcast());
    if (!dad && !r.lladdr) {
      if (NeighbourEntry* n = h.neigh.find(ifindex, src); n && n->state != NudState::kIncomplete) mac = n->mac;
    }
    std::string cause;
    if (h.observed()) cause = "neighbour advertisement: " + r.target.to_string() + " is this host's address";
    send_ndisc(h, *iface, r.target, to, na, mac, std::move(cause));
    return;
  }
  if (r.type == wire::Icmpv6Type::kNeighborAdvertisement) {
    if (!r.lladdr) return;
    neigh_update(h, ifindex, r.target, *r.lladdr, r.has_na_flag(wire::kNaSolicited),
                 r.has_na_flag(wire::kNaOverride));
  }
}

}  // namespace synlab::stack
