#include "stack/udp/udp.h"

#include <algorithm>

#include "stack/host.h"
#include "stack/socket/wait.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/udp.h"

namespace synlab::stack {
namespace {

wire::IpAddr wire_form(const wire::IpAddr& a) { return a.is_v4_mapped() ? a.unmapped() : a; }

bool addr_matches(const Sock& s, const wire::IpAddr& daddr) {
  const wire::IpAddr bound = wire_form(s.rcv_saddr);
  if (s.family == kAfInet6 && daddr.is_v4() && s.opt.v6only) return false;
  if (s.family == kAfInet && daddr.is_v6()) return false;
  if (s.family == kAfInet6 && daddr.is_v6() && s.rcv_saddr.is_v4_mapped()) return false;
  if (s.family == kAfInet6 && daddr.is_v4() && !s.rcv_saddr.is_unspecified() && !s.rcv_saddr.is_v4_mapped()) return false;
  return s.rcv_saddr.is_unspecified() || bound == daddr;
}

// udp4_lib_lookup's compute_score: exact local address +4, connected peer +4 (and a mismatch
// excludes), a bound device +4.
Sock* lookup(Host& h, const wire::IpAddr& saddr, std::uint16_t sport, const wire::IpAddr& daddr,
             std::uint16_t dport, int ifindex) {
  auto it = h.udp_tables.bind.find(dport);
  if (it == h.udp_tables.bind.end()) return nullptr;
  Sock* best = nullptr;
  int best_score = -1;
  for (SockId id : it->second) {
    Sock* s = h.sock(id);
    if (!s || !addr_matches(*s, daddr)) continue;
    int score = s->family == kAfInet ? 2 : 1;
    if (!s->rcv_saddr.is_unspecified()) score += 4;
    if (s->udp().connected) {
      if (wire_form(s->daddr) != saddr || s->dport != sport) continue;
      score += 4;
    }
    if (s->opt.bound_dev_if) {
      if (s->opt.bound_dev_if != ifindex) continue;
      score += 4;
    }
    if (score > best_score) {
      best = s;
      best_score = score;
    }
  }
  return best;
}

bool port_conflict(Host& h, const Sock& s, std::uint16_t port) {
  auto it = h.udp_tables.bind.find(port);
  if (it == h.udp_tables.bind.end()) return false;
  for (SockId id : it->second) {
    const Sock* o = h.sock(id);
    if (!o || o == &s) continue;
    const bool overlap = o->rcv_saddr.is_unspecified() || s.rcv_saddr.is_unspecified() ||
                         wire_form(o->rcv_saddr) == wire_form(s.rcv_saddr);
    if (!overlap) continue;
    if (o->opt.bound_dev_if && s.opt.bound_dev_if && o->opt.bound_dev_if != s.opt.bound_dev_if) continue;
    // udp_lib_lport_inuse: both SO_REUSEADDR, or both SO_REUSEPORT, may share.
    if ((o->opt.reuseaddr && s.opt.reuseaddr) || (o->opt.reuseport && s.opt.reuseport)) continue;
    return true;
  }
  return false;
}

void hash_port(Host& h, Sock& s, std::uint16_t port) {
  h.udp_tables.bind[port].push_back(s.id);
  s.num = port;
  s.sport = port;
  s.bound = true;
  s.in_bind_table = true;
}

SysResult<void> autobind(Host& h, Sock& s) {
  if (s.bound) return {};
  return udp_get_port(h, s, 0);
}

}  // namespace

SysResult<void> udp_get_port(Host& h, Sock& s, std::uint16_t port) {
  if (port != 0) {
    if (port_conflict(h, s, port)) return fail(Errno::kEADDRINUSE);
    hash_port(h, s, port);
    return {};
  }
  // udp_lib_get_port: a random starting point, then every port in turn.
  const int lo = h.personality().ip_local_port_range[0];
  const int hi = h.personality().ip_local_port_range[1];
  const std::uint32_t remaining = static_cast<std::uint32_t>(hi - lo + 1);
  std::uint32_t start = static_cast<std::uint32_t>(h.rng_ports.below(remaining));
  for (std::uint32_t i = 0; i < remaining; ++i) {
    const auto p = static_cast<std::uint16_t>(static_cast<std::uint32_t>(lo) + (start + i) % remaining);
    if (!port_conflict(h, s, p)) {
      hash_port(h, s, p);
      return {};
    }
  }
  return fail(Errno::kEAGAIN);  // Linux: inet_autobind fails with EAGAIN
}

void udp_unhash(Host& h, Sock& s) {
  if (!s.in_bind_table) return;
  auto it = h.udp_tables.bind.find(s.num);
  if (it != h.udp_tables.bind.end()) {
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), s.id), v.end());
    if (v.empty()) h.udp_tables.bind.erase(it);
  }
  s.in_bind_table = false;
}

SysResult<void> udp_connect(Host& h, Sock& s, const SockAddr& dst) {
  wire::IpAddr daddr = dst.addr;
  int oif = s.opt.bound_dev_if;
  if (s.family == kAfInet6) {
    if (daddr.is_v4_mapped()) {
      if (s.opt.v6only) return fail(Errno::kENETUNREACH);
      daddr = daddr.unmapped();
    } else if (daddr.is_link_local()) {
      if (dst.scope_id) oif = static_cast<int>(dst.scope_id);
      if (!oif) return fail(Errno::kEINVAL);
    }
    if (daddr.is_unspecified()) daddr = wire::IpAddr::v6_loopback();
  } else if (daddr.is_unspecified()) {
    daddr = wire::IpAddr::v4(127, 0, 0, 1);
  }
  if (auto r = autobind(h, s); !r) return r;
  std::optional<wire::IpAddr> src;
  if (s.addr_locked && !s.rcv_saddr.is_unspecified()) src = wire_form(s.rcv_saddr);
  const OutRoute rt = ip_route_output(h, daddr, oif, src);
  if (rt.error != Errno::kOk) {
    // __ip4_datagram_connect: "if (err == -ENETUNREACH) IP_INC_STATS(..., OUTNOROUTES)".
    if (rt.error == Errno::kENETUNREACH) h.counters().inc(Mib::kIpOutNoRoutes);
    return fail(rt.error);
  }
  if (h.is_broadcast_address(daddr) && !s.opt.broadcast) return fail(Errno::kEACCES);
  s.saddr = src ? *src : rt.src;
  if (!s.addr_locked) s.rcv_saddr = s.family == kAfInet6 && s.saddr.is_v4() ? wire::IpAddr::v4_mapped(s.saddr) : s.saddr;
  s.daddr = daddr;
  s.dport = dst.port;
  s.scope_id = daddr.is_v6() && daddr.is_link_local() ? static_cast<std::uint32_t>(oif) : 0;
  s.udp().connected = true;
  s.inet_id = static_cast<std::uint16_t>(h.rng_isn.next_u32());
  s.flow_label = (h.rng_isn.next_u32() & 0xfffff) | 1;
  return {};
}

void udp_disconnect(Host& h, Sock& s) {
  s.udp().connected = false;
  s.daddr = wire::IpAddr();
  s.dport = 0;
  s.scope_id = 0;
  if (!s.addr_locked) {
    s.saddr = s.rcv_saddr = wire::IpAddr::any(s.family == kAfInet6 ? wire::IpFamily::kV6 : wire::IpFamily::kV4);
  }
  if (!s.port_locked) {
    udp_unhash(h, s);
    s.num = 0;
    s.bound = false;
  }
}

SysResult<std::size_t> udp_sendmsg(Host& h, Sock& s, std::span<const std::uint8_t> data, const SockAddr* to) {
  wire::IpAddr daddr;
  std::uint16_t dport = 0;
  int oif = s.opt.bound_dev_if;
  if (to) {
    daddr = to->addr;
    dport = to->port;
    if (s.family == kAfInet6 && daddr.is_v4_mapped()) {
      if (s.opt.v6only) return fail(Errno::kENETUNREACH);
      daddr = daddr.unmapped();
    }
    if (daddr.is_v6() && daddr.is_link_local()) {
      if (to->scope_id) oif = static_cast<int>(to->scope_id);
      if (!oif) return fail(Errno::kEINVAL);
    }
    if (dport == 0) return fail(Errno::kEINVAL);
  } else {
    if (!s.udp().connected) return fail(Errno::kEDESTADDRREQ);
    daddr = s.daddr;
    dport = s.dport;
    if (s.scope_id) oif = static_cast<int>(s.scope_id);
  }
  if (data.size() > 65507) return fail(Errno::kEMSGSIZE);
  if (auto r = autobind(h, s); !r) return fail(r.error());
  std::optional<wire::IpAddr> src;
  if (!s.rcv_saddr.is_unspecified()) src = wire_form(s.rcv_saddr);
  const OutRoute rt = ip_route_output(h, daddr, oif, src);
  if (rt.error != Errno::kOk) {
    // udp_sendmsg counts a failed lookup in OUTNOROUTES, as connect does.
    if (rt.error == Errno::kENETUNREACH) h.counters().inc(Mib::kIpOutNoRoutes);
    return fail(rt.error);
  }
  if (h.is_broadcast_address(daddr) && !s.opt.broadcast) return fail(Errno::kEACCES);
  // sock_alloc_send_pskb: a pending error first (and consumed), then EPIPE after SHUT_WR.
  if (s.err != Errno::kOk) {
    const Errno e = s.err;
    s.err = Errno::kOk;
    return fail(e);
  }
  if (s.shutdown & kSendShutdown) return fail(Errno::kEPIPE);
  wire::UdpRepr u;
  u.src_port = s.num;
  u.dst_port = dport;
  u.payload = data;
  IpSendArgs a;
  a.src = src ? *src : rt.src;
  a.dst = daddr;
  a.protocol = wire::kIpProtoUdp;
  a.oif = oif;
  a.ttl = s.opt.ttl;
  a.tos = static_cast<std::uint8_t>(s.opt.tos);
  a.flow_label = s.udp().connected ? s.flow_label : 0;
  a.ident = s.udp().connected ? s.inet_id++ : 0;
  std::string cause;
  if (h.observed()) cause = "sendto(): " + std::to_string(data.size()) + " bytes";
  const wire::IpAddr sa = a.src, da = a.dst;
  auto r = ip_send(h, a, u.buffer_len(), [&](wire::MutBytes b) { u.emit(b, sa, da); }, std::move(cause));
  // A full transmit queue is only reported with IP_RECVERR (measured: otherwise sendto()
  // returns the length as if the datagram had gone).
  if (!r && !(r.error() == Errno::kENOBUFS && !s.opt.recverr)) return fail(r.error());
  h.counters().inc(Mib::kUdpOutDatagrams);
  return data.size();
}

SysResult<std::pair<std::vector<std::uint8_t>, SockAddr>> udp_recvmsg(Host& h, Sock& s, std::size_t len, int flags) {
  // __skb_try_recv_datagram: a pending error is reported before any queued datagram.
  if (s.err != Errno::kOk) {
    const Errno e = s.err;
    s.err = Errno::kOk;
    return fail(e);
  }
  if (s.udp().rxq.empty()) {
    (void)h;
    return fail(Errno::kEAGAIN);
  }
  auto& d = s.udp().rxq.front();
  std::vector<std::uint8_t> out(d.data.begin(), d.data.begin() + static_cast<std::ptrdiff_t>(std::min(len, d.data.size())));
  SockAddr from = d.from;
  if (!(flags & kMsgPeek)) {
    s.udp().rx_bytes -= d.data.size();
    s.udp().rxq.erase(s.udp().rxq.begin());
  }
  return std::make_pair(std::move(out), from);
}

void udp_rcv(Host& h, const IpMeta& m, wire::Bytes datagram) {
  auto parsed = wire::UdpRepr::parse(datagram, m.src, m.dst, wire::ChecksumCheck::kVerify);
  if (!parsed) {
    h.counters().inc(Mib::kUdpInErrors);
    if (parsed.error() == wire::WireError::kBadChecksum) {
      h.counters().inc(Mib::kUdpInCsumErrors);
      h.frame_drop(m.frame, DropReason::kUdpCsum);
    } else {
      h.frame_drop(m.frame, DropReason::kUdpInvalid, std::string(wire::to_string(parsed.error())));
    }
    return;
  }
  const wire::UdpRepr& u = *parsed;
  Sock* s = lookup(h, m.src, u.src_port, m.dst, u.dst_port, m.ifindex);
  if (!s) {
    h.counters().inc(Mib::kUdpNoPorts);
    h.frame_drop(m.frame, DropReason::kNoSocket, "no UDP socket on port " + std::to_string(u.dst_port));
    if (!h.is_broadcast_address(m.dst) && !m.dst.is_multicast()) icmp_send_error(h, m, IcmpKind::kPortUnreachable, 0);
    return;
  }
  const int rcvbuf = s->opt.rcvbuf ? s->opt.rcvbuf : h.personality().rmem_default;
  if (s->udp().rx_bytes + u.payload.size() + 768 > static_cast<std::size_t>(rcvbuf)) {
    h.counters().inc(Mib::kUdpRcvbufErrors);
    h.counters().inc(Mib::kUdpInErrors);
    h.frame_drop(m.frame, DropReason::kSocketRcvBuff);
    return;
  }
  UdpCb::Datagram d;
  d.from = s->family == kAfInet6 ? SockAddr::v6(m.src, u.src_port, m.src.is_link_local() ? static_cast<std::uint32_t>(m.ifindex) : 0)
                                 : SockAddr::v4(m.src, u.src_port);
  d.data.assign(u.payload.begin(), u.payload.end());
  s->udp().rx_bytes += d.data.size();
  s->udp().rxq.push_back(std::move(d));
  h.counters().inc(Mib::kUdpInDatagrams);
  wake(h, s->id);
}

void udp_err(Host& h, const IcmpError& e) {
  if (!e.quote.ports) return;
  // The quoted datagram went from us (src) to the peer (dst).
  Sock* s = lookup(h, e.quote.dst, e.quote.ports->dst, e.quote.src, e.quote.ports->src, 0);
  if (!s) return;
  if (e.frag_needed) return;
  // __udp4_lib_err: without IP_RECVERR only hard errors on connected sockets count.
  if (!s->opt.recverr && (!e.fatal || !s->udp().connected)) return;
  s->err = e.err;
  h.trace_note(sim::TraceKind::kNote, s, "ICMP error for a datagram: pending error " + std::string(name(e.err)));
  wake(h, s->id);
}

}  // namespace synlab::stack
