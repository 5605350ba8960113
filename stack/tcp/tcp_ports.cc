// TCP socket tables and local ports: inet_hashtables.c and inet_connection_sock.c.
#include <algorithm>

#include "sim/rng.h"
#include "stack/host.h"
#include "stack/tcp/tcp.h"

namespace synlab::stack {
namespace {

wire::IpAddr wire_form(const wire::IpAddr& a) { return a.is_v4_mapped() ? a.unmapped() : a; }

// Whether the bound addresses of `a` and `b` overlap (inet_rcv_saddr_equal with wildcards).
bool addrs_overlap(const Sock& a, const Sock& b) {
  const bool a_any = a.rcv_saddr.is_unspecified();
  const bool b_any = b.rcv_saddr.is_unspecified();
  const wire::IpAddr aw = wire_form(a.rcv_saddr), bw = wire_form(b.rcv_saddr);
  // An IPv4 socket and an IPv6-only socket never overlap; a dual-stack :: overlaps IPv4.
  const bool a_v4 = a.family == kAfInet || a.rcv_saddr.is_v4_mapped();
  const bool b_v4 = b.family == kAfInet || b.rcv_saddr.is_v4_mapped();
  if (a.family != b.family) {
    const Sock& v6 = a.family == kAfInet6 ? a : b;
    const Sock& v4 = a.family == kAfInet6 ? b : a;
    if (v6.opt.v6only) return false;
    if (v6.rcv_saddr.is_unspecified()) return true;
    if (!v6.rcv_saddr.is_v4_mapped()) return false;
    return v4.rcv_saddr.is_unspecified() || wire_form(v6.rcv_saddr) == v4.rcv_saddr;
  }
  if (a_any || b_any) {
    if (a.family == kAfInet6 && (a_any != b_any)) {
      // :: against a specific v4-mapped or v6 address.
      const Sock& any = a_any ? a : b;
      const Sock& spec = a_any ? b : a;
      if (spec.rcv_saddr.is_v4_mapped() && any.opt.v6only) return false;
    }
    return true;
  }
  (void)a_v4;
  (void)b_v4;
  return aw == bw;
}

bool state_is(const Sock& s, TcpState st) { return s.is_tcp() && s.tcp.state == st; }

// inet_bind_conflict, for one pair of sockets on the same port.
bool conflicts(const Sock& sk, const Sock& sk2, bool relax) {
  if (&sk == &sk2) return false;
  if (sk.opt.bound_dev_if && sk2.opt.bound_dev_if && sk.opt.bound_dev_if != sk2.opt.bound_dev_if) {
    return false;
  }
  if (!addrs_overlap(sk, sk2)) return false;
  if (sk.opt.reuseaddr && sk2.opt.reuseaddr && !state_is(sk2, TcpState::kListen)) {
    return !relax;
  }
  // SO_REUSEPORT: both set (one simulated user, so uids always match).
  if (sk.opt.reuseport && sk2.opt.reuseport) return false;
  return true;
}

bool bucket_conflict(Host& h, Sock& sk, BindBucket& b, bool relax) {
  for (SockId id : b.owners) {
    const Sock* o = h.sock(id);
    if (o && conflicts(sk, *o, relax)) return true;
  }
  return false;
}

std::pair<int, int> local_range(const Host& h, const Sock& s) {
  int lo = h.personality().ip_local_port_range[0];
  int hi = h.personality().ip_local_port_range[1];
  // IP_LOCAL_PORT_RANGE narrows the range for this socket (inet_sk_get_local_port_range).
  if (s.opt.local_port_lo && s.opt.local_port_lo >= lo && s.opt.local_port_lo <= hi) lo = s.opt.local_port_lo;
  if (s.opt.local_port_hi && s.opt.local_port_hi <= hi && s.opt.local_port_hi >= lo) hi = s.opt.local_port_hi;
  return {lo, hi};
}

// __inet_check_established: is the 4-tuple (s's addresses, `lport`) free? A TIME_WAIT
// socket in the way is reused when tcp_twsk_unique allows it (`twp`: the port came from the
// ephemeral search rather than bind()).
bool check_established(Host& h, Sock& s, std::uint16_t lport, bool twp) {
  FourTuple t{s.saddr, s.daddr, lport, s.dport};
  auto it = h.tcp.established.find(t);
  if (it == h.tcp.established.end()) return true;
  if (it->second.kind != DemuxEntry::Kind::kSock) return false;
  Sock* tw = h.sock(it->second.id);
  if (!tw || tw->tcp.state != TcpState::kTimeWait) return false;
  // tcp_twsk_unique.
  const Personality& p = h.personality();
  int reuse = p.tcp_tw_reuse;
  if (reuse == 2) {
    const bool loopback = tw->opt.bound_dev_if == 1 || wire_form(tw->daddr).is_loopback() ||
                          wire_form(tw->saddr).is_loopback();
    if (!loopback) reuse = 0;
  }
  if (!tw->tcp.ts_ok || tw->tcp.ts_recent_stamp == sim::Time::zero()) return false;
  if (twp && !(reuse && h.now() > tw->tcp.tw_entry + sim::Duration::millis(p.tcp_tw_reuse_delay_ms))) {
    return false;
  }
  // Reuse: the new connection starts beyond the old one's sequence space.
  std::uint32_t seq = tw->tcp.snd_nxt.raw + 65535 + 2;
  if (seq == 0) seq = 1;
  s.tcp.write_seq = SeqNum(seq);
  s.tcp.iss = s.tcp.write_seq;
  s.tcp.ts_recent = tw->tcp.ts_recent;
  s.tcp.ts_recent_stamp = tw->tcp.ts_recent_stamp;
  s.tcp.tw_reused = true;
  h.counters().inc(Mib::kTWRecycled);
  h.trace_note(sim::TraceKind::kNote, tw, "TIME_WAIT connection recycled for a new connect()");
  tcp_destroy(h, *tw);
  return true;
}

}  // namespace

FourTuple tcp_tuple(const Sock& s) { return FourTuple{s.saddr, s.daddr, s.num, s.dport}; }

void tcp_hash(Host& h, Sock& s) {
  if (s.in_demux) return;
  h.tcp.established[tcp_tuple(s)] = DemuxEntry{DemuxEntry::Kind::kSock, s.id};
  s.in_demux = true;
}

void tcp_unhash(Host& h, Sock& s) {
  if (s.in_demux) {
    auto it = h.tcp.established.find(tcp_tuple(s));
    if (it != h.tcp.established.end() && it->second.kind == DemuxEntry::Kind::kSock && it->second.id == s.id) {
      h.tcp.established.erase(it);
    }
    s.in_demux = false;
  }
  if (s.tcp.state == TcpState::kListen || s.listener) {
    auto lit = h.tcp.listeners.find(s.num);
    if (lit != h.tcp.listeners.end()) {
      auto& v = lit->second;
      v.erase(std::remove(v.begin(), v.end(), s.id), v.end());
      if (v.empty()) h.tcp.listeners.erase(lit);
    }
  }
}

void tcp_bind_hash(Host& h, Sock& s, std::uint16_t port, bool from_connect) {
  auto [it, created] = h.tcp.bind.try_emplace(port);
  if (created) it->second.from_connect = from_connect;
  it->second.owners.insert(s.id);
  s.num = port;
  s.sport = port;
  s.bound = true;
  s.in_bind_table = true;
}

void tcp_bind_unhash(Host& h, Sock& s) {
  if (!s.in_bind_table) return;
  auto it = h.tcp.bind.find(s.num);
  if (it != h.tcp.bind.end()) {
    it->second.owners.erase(s.id);
    if (it->second.owners.empty()) h.tcp.bind.erase(it);
  }
  s.in_bind_table = false;
}

Sock* tcp_lookup_listener(Host& h, const wire::IpAddr& daddr, std::uint16_t dport, int ifindex) {
  auto it = h.tcp.listeners.find(dport);
  if (it == h.tcp.listeners.end()) return nullptr;
  Sock* best = nullptr;
  int best_score = -1;
  for (SockId id : it->second) {
    Sock* s = h.sock(id);
    if (!s || s->tcp.state != TcpState::kListen) continue;
    int score = 0;
    if (daddr.is_v4()) {
      // compute_score (inet_hashtables.c): an exact address beats a wildcard, IPv4 sockets
      // beat dual-stack IPv6 ones, a matching device beats none.
      if (s->family == kAfInet) {
        if (s->rcv_saddr.is_unspecified()) score = 1;
        else if (s->rcv_saddr == daddr) score = 3;
        else continue;
        score += 1;
      } else {
        if (s->opt.v6only) continue;
        if (s->rcv_saddr.is_unspecified()) score = 1;
        else if (s->rcv_saddr.is_v4_mapped() && s->rcv_saddr.unmapped() == daddr) score = 3;
        else continue;
      }
    } else {
      if (s->family != kAfInet6) continue;
      if (s->rcv_saddr.is_unspecified()) score = 1;
      else if (s->rcv_saddr == daddr) score = 3;
      else continue;
    }
    if (s->opt.bound_dev_if) {
      if (s->opt.bound_dev_if != ifindex) continue;
      score += 1;
    }
    if (score > best_score) {
      best = s;
      best_score = score;
    }
  }
  return best;
}

SysResult<void> tcp_get_port(Host& h, Sock& s, std::uint16_t port) {
  if (port != 0) {
    auto it = h.tcp.bind.find(port);
    if (it != h.tcp.bind.end() && bucket_conflict(h, s, it->second, /*relax=*/true)) {
      return fail(Errno::kEADDRINUSE);
    }
    tcp_bind_hash(h, s, port, false);
    return {};
  }
  // inet_csk_find_open_port: odd offsets first (connect() favours even ones), two halves when
  // SO_REUSEADDR is set, a random start.
  auto [lo0, hi0] = local_range(h, s);
  for (int attempt_half = s.opt.reuseaddr ? 1 : 0;; ) {
    int low = lo0, high = hi0 + 1;
    if (high - low < 4) attempt_half = 0;
    if (attempt_half) {
      const int half = low + (((high - low) >> 2) << 1);
      if (attempt_half == 1) high = half;
      else low = half;
    }
    std::uint32_t remaining = static_cast<std::uint32_t>(high - low);
    if (remaining > 1) remaining &= ~1u;
    std::uint32_t offset = remaining ? static_cast<std::uint32_t>(h.rng_ports.below(remaining)) : 0;
    if (h.personality().ephemeral_port_parity) offset |= 1u;
    for (int parity_pass = 0; parity_pass < 2; ++parity_pass) {
      std::uint32_t p = static_cast<std::uint32_t>(low) + offset;
      for (std::uint32_t i = 0; i < remaining; i += 2, p += 2) {
        if (p >= static_cast<std::uint32_t>(high)) p -= remaining;
        auto it = h.tcp.bind.find(static_cast<std::uint16_t>(p));
        if (it == h.tcp.bind.end() || !bucket_conflict(h, s, it->second, /*relax=*/false)) {
          tcp_bind_hash(h, s, static_cast<std::uint16_t>(p), false);
          return {};
        }
      }
      --offset;
      if (offset & 1u) break;  // both parities tried
    }
    if (attempt_half == 1) {
      attempt_half = 2;
      continue;
    }
    break;
  }
  return fail(Errno::kEADDRINUSE);
}

SysResult<void> tcp_hash_connect(Host& h, Sock& s) {
  const Errno busy = h.personality().connect_collision == CollisionErrno::kAddrInUse
                         ? Errno::kEADDRINUSE
                         : Errno::kEADDRNOTAVAIL;
  if (s.num != 0 && !s.opt.bind_address_no_port) {
    // The port is ours already (bind): only the 4-tuple must be free.
    if (!check_established(h, s, s.num, /*twp=*/false)) return fail(busy);
    tcp_hash(h, s);
    return {};
  }
  if (s.num != 0 && s.opt.bind_address_no_port) {
    if (!check_established(h, s, s.num, false)) return fail(busy);
    tcp_bind_hash(h, s, s.num, false);
    tcp_hash(h, s);
    return {};
  }
  // __inet_hash_connect.
  auto [low, high0] = local_range(h, s);
  const int high = high0 + 1;
  const bool per_socket_range = s.opt.local_port_lo != 0;
  // Linux walks one parity at a time (even first); without the parity preference every port
  // of the range is a candidate in turn.
  const std::uint32_t step = per_socket_range || !h.personality().ephemeral_port_parity ? 1 : 2;
  std::uint32_t remaining = static_cast<std::uint32_t>(high - low);
  if (remaining > 1) remaining &= ~1u;
  if (remaining == 0) return fail(busy);
  // port_offset: a keyed hash of (saddr, daddr, dport) (secure_ipv4_port_ephemeral), with
  // table_perturb[] moving the start after each success.
  std::uint64_t key = sim::stable_hash(wire_form(s.saddr).to_string() + ">" + wire_form(s.daddr).to_string() +
                                       ":" + std::to_string(s.dport));
  key ^= h.syncookie_secret * 0x9e3779b97f4a7c15ull;
  const std::size_t index = key & (h.tcp.port_perturb.size() - 1);
  std::uint32_t offset = h.tcp.port_perturb[index] + static_cast<std::uint32_t>(key >> 32);
  offset %= remaining;
  if (!per_socket_range && h.personality().ephemeral_port_parity) offset &= ~1u;
  for (int pass = 0; pass < 2; ++pass) {
    std::uint32_t port = static_cast<std::uint32_t>(low) + offset;
    for (std::uint32_t i = 0; i < remaining; i += step, port += step) {
      if (port >= static_cast<std::uint32_t>(high)) port -= remaining;
      const auto p16 = static_cast<std::uint16_t>(port);
      auto it = h.tcp.bind.find(p16);
      if (it != h.tcp.bind.end()) {
        // Ports bound by bind() are never shared with connect() (fastreuse >= 0).
        if (!it->second.from_connect) continue;
        if (!check_established(h, s, p16, /*twp=*/true)) continue;
      } else if (!check_established(h, s, p16, true)) {
        continue;
      }
      // "A little bit of randomness to the next source port": max(i, random(8) * step).
      const std::uint32_t bump = std::max<std::uint32_t>(i, static_cast<std::uint32_t>(h.rng_ports.below(8)) * step);
      h.tcp.port_perturb[index] += bump + step;
      tcp_bind_hash(h, s, p16, true);
      tcp_hash(h, s);
      return {};
    }
    if (per_socket_range || !h.personality().ephemeral_port_parity) break;
    ++offset;
    if (!(offset & 1u) || remaining <= 1) break;
  }
  return fail(busy);
}

}  // namespace synlab::stack
