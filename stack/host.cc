#include "stack/host.h"

#include <algorithm>

#include "stack/ip/ip.h"
#include "stack/ip/neighbour.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/ethernet.h"

namespace synlab::stack {

Host::Host(sim::Simulator& sim, std::string name, Personality personality)
    : sim_(sim), name_(std::move(name)), personality_(std::move(personality)) {
  node_ = sim_.add_node(name_);
  rng_isn = sim_.stream("host:" + name_ + ":isn");
  rng_ports = sim_.stream("host:" + name_ + ":ports");
  rng_misc = sim_.stream("host:" + name_ + ":misc");
  sim::Rng secrets = sim_.stream("host:" + name_ + ":secrets");
  syncookie_secret = secrets.next_u64();
  tfo_secret = secrets.next_u64();
  for (auto& p : tcp.port_perturb) p = secrets.next_u32();

  // fds 0, 1 and 2 are the process's standard streams, so the first socket is fd 3.
  for (int i = 0; i < 3; ++i) fd_install(FdEntry{FileKind::kRegular, 0, false});

  // lo: ifindex 1, as on Linux. It is a one-port link, so its frames appear in captures.
  Interface lo;
  lo.ifindex = 1;
  lo.name = "lo";
  lo.mtu = 65536;
  lo.loopback = true;
  loopback_link_ = &sim_.add_link(name_ + "/lo");
  lo.link = loopback_link_;
  auto port = std::make_unique<Port>();
  port->host = this;
  port->ifindex = 1;
  lo.port = loopback_link_->attach(node_, name_ + "/lo", lo.mac, port.get());
  ports_.push_back(std::move(port));
  lo.addrs.push_back(IfAddr{*wire::IpPrefix::parse("127.0.0.1/8")});
  lo.addrs.push_back(IfAddr{*wire::IpPrefix::parse("::1/128")});
  interfaces.push_back(std::move(lo));
}

Host::~Host() = default;

int Host::attach(sim::Link& link, std::optional<sim::MacAddr> mac, int mtu, std::string ifname) {
  Interface i;
  i.ifindex = static_cast<int>(interfaces.size()) + 1;
  i.name = ifname.empty() ? default_ifname(interfaces.size() - 1) : std::move(ifname);
  // Stable, locally administered MACs: 02:00:<node>:<ifindex>.
  i.mac = mac ? *mac
              : sim::MacAddr::local((static_cast<std::uint32_t>(node_ + 1) << 8) | static_cast<std::uint32_t>(i.ifindex));
  i.mtu = mtu;
  i.link = &link;
  auto port = std::make_unique<Port>();
  port->host = this;
  port->ifindex = i.ifindex;
  i.port = link.attach(node_, name_ + "/" + i.name, i.mac, port.get());
  ports_.push_back(std::move(port));
  interfaces.push_back(std::move(i));
  return interfaces.back().ifindex;
}

void Host::add_address(int ifindex, const wire::IpPrefix& p) {
  Interface* i = interface(ifindex);
  if (!i) return;
  i->addrs.push_back(IfAddr{p});
  if (i->loopback) return;
  // The on-link route ("proto kernel scope link").
  Route r;
  r.dst = p.network();
  r.ifindex = ifindex;
  r.src = p.addr;
  routes.add(r);
  if (p.addr.is_v6() && !p.addr.is_link_local()) {
    bool has_ll = false;
    for (const auto& a : i->addrs) has_ll |= a.prefix.addr.is_v6() && a.prefix.addr.is_link_local();
    if (!has_ll) {
      // EUI-64 from the MAC (RFC 4291 appendix A): fe80::xxxx:xxff:fexx:xxxx.
      std::array<std::uint8_t, 16> b{};
      b[0] = 0xfe;
      b[1] = 0x80;
      b[8] = static_cast<std::uint8_t>(i->mac.b[0] ^ 0x02);
      b[9] = i->mac.b[1];
      b[10] = i->mac.b[2];
      b[11] = 0xff;
      b[12] = 0xfe;
      b[13] = i->mac.b[3];
      b[14] = i->mac.b[4];
      b[15] = i->mac.b[5];
      i->addrs.push_back(IfAddr{wire::IpPrefix{wire::IpAddr::v6(b), 64}});
    }
  }
}

Interface* Host::interface(int ifindex) {
  if (ifindex < 1 || static_cast<std::size_t>(ifindex) > interfaces.size()) return nullptr;
  return &interfaces[static_cast<std::size_t>(ifindex - 1)];
}

Interface* Host::interface_by_name(std::string_view n) {
  for (auto& i : interfaces) {
    if (i.name == n) return &i;
  }
  return nullptr;
}

bool Host::is_local_address(const wire::IpAddr& a) const {
  for (const auto& i : interfaces) {
    if (i.has_addr(a)) return true;
  }
  return false;
}

bool Host::is_broadcast_address(const wire::IpAddr& a) const {
  if (!a.is_v4()) return false;
  if (a.is_broadcast()) return true;
  for (const auto& i : interfaces) {
    for (const auto& ia : i.addrs) {
      if (!ia.prefix.addr.is_v4() || ia.prefix.len >= 31) continue;
      const std::uint32_t mask = ia.prefix.len == 0 ? 0 : ~0u << (32 - ia.prefix.len);
      if ((a.v4_u32() | mask) == 0xffffffffu && (a.v4_u32() & mask) == (ia.prefix.addr.v4_u32() & mask)) return true;
    }
  }
  return false;
}

std::optional<wire::IpAddr> Host::primary_address(wire::IpFamily f) const {
  for (const auto& i : interfaces) {
    if (i.loopback) continue;
    for (const auto& a : i.addrs) {
      if (a.prefix.addr.family() == f && !a.prefix.addr.is_link_local()) return a.prefix.addr;
    }
  }
  return std::nullopt;
}

void Host::receive(int ifindex, sim::Packet frame, std::uint64_t frame_id) {
  Interface* iface = interface(ifindex);
  if (!iface || !iface->up) return;
  current_frame = frame_id;
  auto eth = wire::EthernetRepr::parse(frame.bytes());
  if (!eth) {
    frame_drop(frame_id, DropReason::kPktTooSmall, std::string(wire::to_string(eth.error())));
    current_frame = 0;
    return;
  }
  if (!iface->loopback && eth->dst != iface->mac && !eth->dst.is_multicast()) {
    frame_drop(frame_id, DropReason::kOtherHost, "addressed to " + eth->dst.to_string());
    current_frame = 0;
    return;
  }
  const wire::Bytes payload = frame.bytes().subspan(wire::EthernetRepr::buffer_len());
  switch (eth->ethertype) {
    case wire::kEtherTypeArp:
      arp_rcv(*this, ifindex, payload, frame_id);
      break;
    case wire::kEtherTypeIpv4:
      ip_rcv(*this, ifindex, payload, frame_id);
      break;
    case wire::kEtherTypeIpv6:
      ipv6_rcv(*this, ifindex, payload, frame_id);
      break;
    default:
      frame_drop(frame_id, DropReason::kUnhandledProto, "EtherType " + std::to_string(eth->ethertype));
      break;
  }
  current_frame = 0;
}

int Host::fd_install(const FdEntry& e, bool enforce_limit) {
  std::size_t fd = fd_hint_;
  while (fd < fds.size() && fds[fd]) ++fd;
  if (fd == fds.size()) {
    if (enforce_limit && static_cast<int>(fd) >= max_fds) return -1;
    fds.emplace_back();
  }
  fds[fd] = e;
  ++fds_open_;
  fd_hint_ = fd + 1;
  return static_cast<int>(fd);
}

void Host::fd_release(int fd) {
  const auto i = static_cast<std::size_t>(fd);
  if (i >= fds.size() || !fds[i]) return;
  fds[i].reset();
  --fds_open_;
  fd_hint_ = std::min(fd_hint_, i);
}

std::string Host::sock_label(const Sock& s) const {
  // The fd socket() or accept() returned, when it is still the only one (no dup): no scan of
  // the fd table per traced packet.
  if (s.fd_refs == 1 && s.fd >= 0 && static_cast<std::size_t>(s.fd) < fds.size()) {
    const auto& e = fds[static_cast<std::size_t>(s.fd)];
    if (e && e->kind == FileKind::kSocket && e->sock == s.id) return name_ + " fd " + std::to_string(s.fd);
  }
  for (std::size_t fd = 0; s.fd_refs > 0 && fd < fds.size(); ++fd) {
    if (fds[fd] && fds[fd]->kind == FileKind::kSocket && fds[fd]->sock == s.id) {
      return name_ + " fd " + std::to_string(fd);
    }
  }
  if (s.is_tcp() && (s.tcp.in_accept_queue || s.tcp.listener)) {
    return name_ + " connection from " + s.daddr.to_string() + ":" + std::to_string(s.dport);
  }
  if (s.dport) {
    return name_ + " socket " + s.saddr.to_string() + ":" + std::to_string(s.num) + " > " +
           s.daddr.to_string() + ":" + std::to_string(s.dport);
  }
  return name_ + " socket " + std::to_string(s.trace_id);
}

void Host::trace_state(const Sock& s, TcpState from, TcpState to, std::string_view why) {
  if (!observed()) return;
  sim::TraceEvent ev;
  ev.at = now();
  ev.kind = sim::TraceKind::kState;
  ev.node = node_;
  ev.object = s.trace_id;
  ev.frame = current_frame;
  ev.text = sock_label(s) + ": " + std::string(linux_name(from)) + " -> " + std::string(linux_name(to));
  ev.detail = std::string(why);
  sim_.emit(ev);
}

void Host::trace_note(sim::TraceKind kind, const Sock* s, std::string text, std::string detail) {
  if (!observed()) return;
  sim::TraceEvent ev;
  ev.at = now();
  ev.kind = kind;
  ev.node = node_;
  ev.object = s ? s->trace_id : 0;
  ev.frame = current_frame;
  ev.text = s ? sock_label(*s) + ": " + text : std::move(text);
  ev.detail = std::move(detail);
  sim_.emit(ev);
}

void Host::frame_drop(std::uint64_t frame_id, DropReason r, std::string detail) {
  counters_.drop(r);
  if (!observed() || frame_id == 0) return;
  sim::TraceEvent ev;
  ev.at = now();
  ev.kind = sim::TraceKind::kFrameNote;
  ev.note = sim::NoteKind::kDrop;
  ev.node = node_;
  ev.frame = frame_id;
  // Callers pass either a complete sentence ("final ACK dropped by server: ...") or a detail
  // that the reason's text introduces.
  if (detail.find(" by " + name_) != std::string::npos) {
    ev.text = std::move(detail);
  } else {
    ev.text = "dropped by " + name_ + ": " + std::string(drop_reason_text(r));
    if (!detail.empty()) ev.text += " (" + detail + ")";
  }
  ev.detail = std::string(drop_reason_name(r));
  sim_.emit(ev);
}

}  // namespace synlab::stack
