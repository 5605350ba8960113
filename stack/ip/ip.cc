#include "stack/ip/ip.h"

#include <cstring>

#include "stack/host.h"
#include "stack/ip/icmp.h"
#include "stack/ip/neighbour.h"
#include "stack/tcp/tcp.h"
#include "stack/udp/udp.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace synlab::stack {
namespace {

constexpr int kLoopbackIfindex = 1;

bool in_loopback_range(const wire::IpAddr& a) { return a.is_loopback(); }

}  // namespace

std::optional<wire::IpAddr> select_source(const Host& h, int ifindex, const wire::IpAddr& dst) {
  const Interface* iface = nullptr;
  for (const auto& i : h.interfaces) {
    if (i.ifindex == ifindex) iface = &i;
  }
  if (!iface) return std::nullopt;
  std::optional<wire::IpAddr> first, same_scope;
  for (const auto& a : iface->addrs) {
    if (a.prefix.addr.family() != dst.family()) continue;
    if (a.prefix.contains(dst)) return a.prefix.addr;
    // RFC 6724 rule 2 (prefer appropriate scope): link-local destinations get link-local
    // sources, others prefer a non-link-local source.
    if (!same_scope && a.prefix.addr.is_link_local() == dst.is_link_local()) same_scope = a.prefix.addr;
    if (!first) first = a.prefix.addr;
  }
  return same_scope ? same_scope : first;
}

OutRoute ip_route_output(Host& h, const wire::IpAddr& dst, int oif,
                         const std::optional<wire::IpAddr>& src) {
  OutRoute r;
  // Local destinations (our addresses, 127/8, ::1) go through lo (Linux's local table).
  if (h.is_local_address(dst) || in_loopback_range(dst)) {
    r.ifindex = kLoopbackIfindex;
    r.next_hop = dst;
    r.local = true;
    if (src && !src->is_unspecified()) {
      r.src = *src;
    } else if (h.is_local_address(dst)) {
      r.src = dst;
    } else {
      r.src = dst.is_v4() ? wire::IpAddr::v4(127, 0, 0, 1) : wire::IpAddr::v6_loopback();
    }
    if (const Interface* lo = h.interface(kLoopbackIfindex)) r.mtu = lo->mtu;
    return r;
  }
  if (dst.is_v6() && (dst.is_link_local() || (dst.is_multicast() && (dst.raw()[1] & 0x0f) <= 2))) {
    // Link-scoped destinations need an interface (the scope id); they are on-link.
    if (oif == 0) {
      r.error = Errno::kEINVAL;
      return r;
    }
    Interface* i = h.interface(oif);
    // lo has no fe80::/64 route (it has no link-local address): a link-local unicast
    // destination with scope id 1 is unreachable there (measured: ENETUNREACH, nothing sent).
    if (!i || !i->up || (i->loopback && dst.is_link_local())) {
      r.error = Errno::kENETUNREACH;
      return r;
    }
    r.ifindex = oif;
    r.next_hop = dst;
    r.mtu = i->mtu;
    auto s = src && !src->is_unspecified() ? src : select_source(h, oif, dst);
    if (!s) {
      r.error = Errno::kEADDRNOTAVAIL;
      return r;
    }
    r.src = *s;
    return r;
  }
  const RouteResult rr = h.routes.lookup(dst, oif);
  r.route = rr.route;
  if (rr.error != Errno::kOk) {
    r.error = rr.error;
    return r;
  }
  Interface* iface = h.interface(rr.route->ifindex);
  if (!iface || !iface->up) {
    r.error = Errno::kENETUNREACH;
    return r;
  }
  r.ifindex = iface->ifindex;
  r.mtu = iface->mtu;
  r.next_hop = rr.route->gateway ? *rr.route->gateway : dst;
  if (src && !src->is_unspecified()) {
    r.src = *src;
  } else if (rr.route->src) {
    r.src = *rr.route->src;
  } else {
    auto s = select_source(h, iface->ifindex, r.next_hop);
    if (!s) {
      // Linux: no usable source address on the output device gives EADDRNOTAVAIL for IPv6
      // (ip6_route_get_saddr) and a 0.0.0.0 source for IPv4; treat both as unreachable.
      r.error = dst.is_v6() ? Errno::kEADDRNOTAVAIL : Errno::kENETUNREACH;
      return r;
    }
    r.src = *s;
  }
  return r;
}

Errno ip_finish_output(Host& h, int ifindex, const wire::IpAddr& next_hop, sim::Packet frame,
                       std::string cause) {
  Interface* iface = h.interface(ifindex);
  if (!iface || !iface->link) return Errno::kOk;
  if (iface->loopback) {
    // lo has no neighbours: Linux's loopback "Ethernet" header has zero addresses.
    wire::EthernetRepr eth;
    eth.ethertype = next_hop.is_v4() ? wire::kEtherTypeIpv4 : wire::kEtherTypeIpv6;
    eth.emit(frame.bytes().first(wire::EthernetRepr::buffer_len()));
    const auto r = iface->link->transmit(iface->port, std::move(frame), cause);
    return r == sim::TxResult::kQueueFull ? Errno::kENOBUFS : Errno::kOk;
  }
  return neigh_output(h, *iface, next_hop, std::move(frame), std::move(cause));
}

SysResult<void> ip_send(Host& h, const IpSendArgs& a, std::size_t l4_len,
                        FunctionRef<void(wire::MutBytes)> fill, std::string cause) {
  const OutRoute rt = ip_route_output(h, a.dst, a.oif, a.src);
  if (rt.error != Errno::kOk) {
    h.counters().inc(Mib::kIpOutNoRoutes);
    return fail(rt.error);
  }
  const bool v4 = a.dst.is_v4();
  const std::size_t ip_len = (v4 ? wire::kIpv4HeaderLen : wire::kIpv6HeaderLen) + l4_len;
  if (ip_len > static_cast<std::size_t>(rt.mtu)) {
    h.counters().inc(Mib::kIpOutDiscards);
    return fail(Errno::kEMSGSIZE);
  }

  // Output filter (nft's output hook). A drop or reject makes the sender's call fail with
  // EPERM, as NF_DROP on local output does (ip_local_out -> -EPERM).
  if (!h.filter.empty()) {
    FilterPacket fp{a.src, a.dst, a.protocol, 0, 0, 0};
    // Transport ports are in the bytes `fill` writes: peek them by filling a scratch copy.
    std::vector<std::uint8_t> scratch(l4_len);
    fill(scratch);
    if ((a.protocol == wire::kIpProtoTcp || a.protocol == wire::kIpProtoUdp) && l4_len >= 4) {
      fp.sport = wire::load_be16(&scratch[0]);
      fp.dport = wire::load_be16(&scratch[2]);
      if (a.protocol == wire::kIpProtoTcp && l4_len >= 14) fp.tcp_flags = scratch[13];
    }
    if (FilterRule* r = h.filter.match(FilterChain::kOutput, fp); r && r->verdict != FilterVerdict::kAccept) {
      h.counters().inc(Mib::kIpOutDiscards);
      h.trace_note(sim::TraceKind::kNote, nullptr, "output filter dropped a packet to " + a.dst.to_string(),
                   "rule: " + r->text);
      return fail(Errno::kEPERM);
    }
  }

  sim::Packet frame(wire::EthernetRepr::buffer_len() + ip_len);
  // The Ethernet header: addresses are filled in once the next hop is resolved.
  wire::EthernetRepr{sim::MacAddr{}, sim::MacAddr{}, v4 ? wire::kEtherTypeIpv4 : wire::kEtherTypeIpv6}.emit(
      frame.bytes().first(wire::EthernetRepr::buffer_len()));
  wire::MutBytes ip = frame.bytes().subspan(wire::EthernetRepr::buffer_len());
  const int ttl = a.ttl >= 0 ? a.ttl : (v4 ? h.personality().ip_default_ttl : h.personality().ipv6_hop_limit);
  if (v4) {
    wire::Ipv4Repr r;
    r.src = rt.src.is_v4() && a.src.is_unspecified() ? rt.src : a.src;
    r.dst = a.dst;
    r.protocol = a.protocol;
    r.ttl = static_cast<std::uint8_t>(ttl);
    r.tos = a.tos;
    r.ident = a.ident;
    r.dont_fragment = a.df;
    r.payload_len = static_cast<std::uint16_t>(l4_len);
    r.emit(ip.first(wire::kIpv4HeaderLen));
    fill(ip.subspan(wire::kIpv4HeaderLen));
  } else {
    wire::Ipv6Repr r;
    r.src = a.src.is_unspecified() ? rt.src : a.src;
    r.dst = a.dst;
    r.next_header = a.protocol;
    r.hop_limit = static_cast<std::uint8_t>(ttl);
    r.traffic_class = a.tos;
    r.flow_label = a.flow_label & 0xfffff;
    r.payload_len = static_cast<std::uint16_t>(l4_len);
    r.emit(ip.first(wire::kIpv6HeaderLen));
    fill(ip.subspan(wire::kIpv6HeaderLen));
  }
  h.counters().inc(Mib::kIpOutRequests);
  if (ip_finish_output(h, rt.ifindex, rt.next_hop, std::move(frame), std::move(cause)) == Errno::kENOBUFS) {
    h.counters().inc(Mib::kIpOutDiscards);
    return fail(Errno::kENOBUFS);
  }
  return {};
}

namespace {

// Delivery of a packet addressed to this host.
void ip_local_deliver(Host& h, const IpMeta& m, wire::Bytes payload) {
  if (!h.filter.empty()) {
    FilterPacket fp{m.src, m.dst, m.protocol, 0, 0, 0};
    if ((m.protocol == wire::kIpProtoTcp || m.protocol == wire::kIpProtoUdp) && payload.size() >= 4) {
      fp.sport = wire::load_be16(&payload[0]);
      fp.dport = wire::load_be16(&payload[2]);
      if (m.protocol == wire::kIpProtoTcp && payload.size() >= 14) fp.tcp_flags = payload[13];
    }
    if (FilterRule* r = h.filter.match(FilterChain::kInput, fp); r && r->verdict != FilterVerdict::kAccept) {
      h.counters().inc(Mib::kIpInDiscards);
      h.frame_drop(m.frame, DropReason::kNetfilterDrop, "input rule: " + r->text);
      if (r->verdict == FilterVerdict::kReject) filter_reject(h, m, payload, *r);
      return;
    }
  }
  h.counters().inc(Mib::kIpInDelivers);
  switch (m.protocol) {
    case wire::kIpProtoTcp:
      tcp_rcv(h, m, payload);
      return;
    case wire::kIpProtoUdp:
      udp_rcv(h, m, payload);
      return;
    case wire::kIpProtoIcmp:
      if (m.v6()) break;
      icmp_rcv(h, m, payload);
      return;
    case wire::kIpProtoIcmpv6:
      if (!m.v6()) break;
      icmpv6_rcv(h, m, payload);
      return;
    default:
      break;
  }
  h.counters().inc(Mib::kIpInUnknownProtos);
  h.frame_drop(m.frame, DropReason::kIpNoProto, "protocol " + std::to_string(m.protocol));
  // RFC 1122 §3.2.2.1: protocol unreachable (ICMPv6: parameter problem, unknown next header).
  if (m.v6()) {
    icmp_send_error(h, m, IcmpKind::kParamProblemNextHeader, 0);
  } else {
    icmp_send_error(h, m, IcmpKind::kProtocolUnreachable, 0);
  }
}

// RFC 1812 §5.2: forward a packet that is not for us.
void ip_forward(Host& h, const IpMeta& m, wire::Bytes packet, std::size_t header_len) {
  if (m.ttl <= 1) {
    h.frame_drop(m.frame, DropReason::kTtlExpired);
    icmp_send_error(h, m, IcmpKind::kTimeExceeded, 0);
    return;
  }
  if (!h.filter.empty()) {
    FilterPacket fp{m.src, m.dst, m.protocol, 0, 0, 0};
    const wire::Bytes l4 = packet.subspan(header_len);
    if ((m.protocol == wire::kIpProtoTcp || m.protocol == wire::kIpProtoUdp) && l4.size() >= 4) {
      fp.sport = wire::load_be16(&l4[0]);
      fp.dport = wire::load_be16(&l4[2]);
      if (m.protocol == wire::kIpProtoTcp && l4.size() >= 14) fp.tcp_flags = l4[13];
    }
    if (FilterRule* r = h.filter.match(FilterChain::kForward, fp); r && r->verdict != FilterVerdict::kAccept) {
      h.frame_drop(m.frame, DropReason::kNetfilterDrop, "forward rule: " + r->text);
      if (r->verdict == FilterVerdict::kReject) filter_reject(h, m, l4, *r);
      return;
    }
  }
  const RouteResult rr = h.routes.lookup(m.dst);
  if (rr.error != Errno::kOk) {
    h.counters().inc(Mib::kIpOutNoRoutes);
    h.frame_drop(m.frame, DropReason::kIpOutNoRoutes,
                 rr.route ? "route " + rr.route->to_string() : "no route to " + m.dst.to_string());
    if (!rr.route || rr.route->type == RouteType::kThrow) {
      icmp_send_error(h, m, IcmpKind::kNetUnreachable, 0);
    } else {
      switch (rr.route->type) {
        case RouteType::kUnreachable: icmp_send_error(h, m, IcmpKind::kHostUnreachable, 0); break;
        case RouteType::kProhibit: icmp_send_error(h, m, IcmpKind::kAdminProhibited, 0); break;
        case RouteType::kBlackhole: break;  // silently
        case RouteType::kUnicast:
        case RouteType::kThrow: break;
      }
    }
    return;
  }
  Interface* out = h.interface(rr.route->ifindex);
  if (!out || !out->up) return;
  const std::size_t len = packet.size();
  if (len > static_cast<std::size_t>(out->mtu)) {
    icmp_send_error(h, m, IcmpKind::kFragNeeded, static_cast<std::uint32_t>(out->mtu));
    return;
  }
  sim::Packet frame(wire::EthernetRepr::buffer_len() + len);
  wire::EthernetRepr{sim::MacAddr{}, sim::MacAddr{}, m.v6() ? wire::kEtherTypeIpv6 : wire::kEtherTypeIpv4}.emit(
      frame.bytes().first(wire::EthernetRepr::buffer_len()));
  wire::MutBytes ip = frame.bytes().subspan(wire::EthernetRepr::buffer_len());
  std::memcpy(ip.data(), packet.data(), len);
  if (m.v6()) {
    ip[7] = static_cast<std::uint8_t>(ip[7] - 1);  // hop limit
  } else {
    // Decrement TTL and patch the header checksum (RFC 1624 incremental update would do; the
    // header is short, so recompute).
    ip[8] = static_cast<std::uint8_t>(ip[8] - 1);
    ip[10] = ip[11] = 0;
    const std::uint16_t c = wire::internet_checksum(ip.first(header_len));
    ip[10] = static_cast<std::uint8_t>(c >> 8);
    ip[11] = static_cast<std::uint8_t>(c);
  }
  h.counters().inc(Mib::kIpForwDatagrams);
  const wire::IpAddr next_hop = rr.route->gateway ? *rr.route->gateway : m.dst;
  std::string cause;
  if (h.observed()) cause = "forwarded by " + h.name() + " toward " + m.dst.to_string();
  (void)ip_finish_output(h, out->ifindex, next_hop, std::move(frame), std::move(cause));
}

bool is_broadcast_for(const Host& h, int ifindex, const wire::IpAddr& dst) {
  if (dst.is_broadcast()) return true;
  for (const auto& i : h.interfaces) {
    if (i.ifindex != ifindex) continue;
    for (const auto& a : i.addrs) {
      if (!a.prefix.addr.is_v4() || a.prefix.len >= 31) continue;
      const std::uint32_t mask = a.prefix.len == 0 ? 0 : ~0u << (32 - a.prefix.len);
      if ((dst.v4_u32() & ~mask) == ~mask && (dst.v4_u32() & mask) == (a.prefix.addr.v4_u32() & mask)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

void ip_rcv(Host& h, int ifindex, wire::Bytes packet, std::uint64_t frame) {
  h.counters().inc(Mib::kIpInReceives);
  auto parsed = wire::Ipv4Repr::parse(packet, wire::ChecksumCheck::kVerify);
  if (!parsed) {
    h.counters().inc(Mib::kIpInHdrErrors);
    DropReason r = DropReason::kIpInHdr;
    switch (parsed.error()) {
      case wire::WireError::kBadChecksum: r = DropReason::kIpCsum; break;
      case wire::WireError::kTruncated: r = DropReason::kHdrTrunc; break;
      case wire::WireError::kFragmented: r = DropReason::kIpFragmented; break;
      default: break;
    }
    h.frame_drop(frame, r, std::string(wire::to_string(parsed.error())));
    return;
  }
  const wire::Ipv4Repr& ip = parsed->repr;
  IpMeta m;
  m.ifindex = ifindex;
  m.src = ip.src;
  m.dst = ip.dst;
  m.protocol = ip.protocol;
  m.ttl = ip.ttl;
  m.tos = ip.tos;
  m.frame = frame;
  m.packet = packet.first(ip.total_len() <= packet.size() ? parsed->header_len + ip.payload_len : packet.size());
  if (ip.src.is_multicast() || (ip.src.is_loopback() && ifindex != 1)) {
    // RFC 1122 §3.2.1.3: martian sources are discarded.
    h.counters().inc(Mib::kIpInAddrErrors);
    h.frame_drop(frame, DropReason::kIpInAddrErrors, "martian source " + ip.src.to_string());
    return;
  }
  if (h.is_local_address(ip.dst) || is_broadcast_for(h, ifindex, ip.dst) ||
      (ifindex == 1 && ip.dst.is_loopback())) {
    ip_local_deliver(h, m, parsed->payload);
    return;
  }
  if (ip.dst.is_multicast()) {
    h.frame_drop(frame, DropReason::kOtherHost, "multicast group not joined");
    return;
  }
  if (h.personality().ip_forward) {
    ip_forward(h, m, m.packet, parsed->header_len);
    return;
  }
  h.counters().inc(Mib::kIpInAddrErrors);
  h.frame_drop(frame, DropReason::kOtherHost, "for " + ip.dst.to_string() + ", and forwarding is off");
}

void ipv6_rcv(Host& h, int ifindex, wire::Bytes packet, std::uint64_t frame) {
  h.counters().inc(Mib::kIpInReceives);
  auto parsed = wire::Ipv6Repr::parse(packet);
  if (!parsed) {
    h.counters().inc(Mib::kIpInHdrErrors);
    DropReason r = DropReason::kIpInHdr;
    if (parsed.error() == wire::WireError::kTruncated) r = DropReason::kHdrTrunc;
    if (parsed.error() == wire::WireError::kFragmented) r = DropReason::kIpFragmented;
    h.frame_drop(frame, r, std::string(wire::to_string(parsed.error())));
    return;
  }
  const wire::Ipv6Repr& ip = parsed->repr;
  IpMeta m;
  m.ifindex = ifindex;
  m.src = ip.src;
  m.dst = ip.dst;
  m.protocol = ip.next_header;
  m.ttl = ip.hop_limit;
  m.tos = ip.traffic_class;
  m.frame = frame;
  m.packet = packet.first(std::min(packet.size(), parsed->header_len + ip.payload_len));
  if (ip.src.is_multicast()) {
    h.counters().inc(Mib::kIpInAddrErrors);
    h.frame_drop(frame, DropReason::kIpInAddrErrors, "multicast source");
    return;
  }
  bool for_us = h.is_local_address(ip.dst) || (ifindex == 1 && ip.dst.is_loopback());
  if (!for_us && ip.dst.is_multicast()) {
    // All-nodes (ff02::1) and the solicited-node groups of our addresses.
    const auto& d = ip.dst.raw();
    if (ip.dst == *wire::IpAddr::parse("ff02::1")) for_us = true;
    if (Interface* i = h.interface(ifindex)) {
      for (const auto& a : i->addrs) {
        if (a.prefix.addr.is_v6() && a.prefix.addr.solicited_node() == ip.dst) for_us = true;
      }
    }
    (void)d;
    if (!for_us) {
      h.frame_drop(frame, DropReason::kOtherHost, "multicast group not joined");
      return;
    }
  }
  if (for_us) {
    ip_local_deliver(h, m, parsed->payload);
    return;
  }
  if (h.personality().ipv6_forwarding && !ip.dst.is_link_local() && !ip.src.is_link_local()) {
    ip_forward(h, m, m.packet, parsed->header_len);
    return;
  }
  h.counters().inc(Mib::kIpInAddrErrors);
  h.frame_drop(frame, DropReason::kOtherHost, "for " + ip.dst.to_string() + ", and forwarding is off");
}

}  // namespace synlab::stack
