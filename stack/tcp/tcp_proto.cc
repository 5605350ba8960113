// TCP state changes and the socket-call side of TCP: connect, listen, close, shutdown,
// send and receive. Linux: tcp.c (tcp_set_state, tcp_close, tcp_shutdown, tcp_disconnect,
// tcp_sendmsg, tcp_recvmsg, tcp_done), tcp_ipv4.c / tcp_ipv6.c (tcp_v4_connect,
// tcp_v6_connect), tcp_output.c (tcp_connect, tcp_connect_init), af_inet.c (__inet_listen_sk).
#include <algorithm>

#include "stack/host.h"
#include "stack/ip/ip.h"
#include "stack/socket/wait.h"
#include "stack/tcp/tcp.h"
#include "stack/tcp/tcp_fastopen.h"

namespace synlab::stack {
namespace {

using wire::tcp_flag::kAck;
using wire::tcp_flag::kFin;

wire::IpAddr wire_form(const wire::IpAddr& a) { return a.is_v4_mapped() ? a.unmapped() : a; }

// tcp_close_state: the state a close (or SHUT_WR) moves to, and whether a FIN goes out.
std::pair<TcpState, bool> close_state(TcpState s) {
  switch (s) {
    case TcpState::kEstablished: return {TcpState::kFinWait1, true};
    case TcpState::kSynSent: return {TcpState::kClosed, false};
    case TcpState::kSynReceived: return {TcpState::kFinWait1, true};
    case TcpState::kFinWait1: return {TcpState::kFinWait1, false};
    case TcpState::kFinWait2: return {TcpState::kFinWait2, false};
    case TcpState::kTimeWait: return {TcpState::kClosed, false};
    case TcpState::kClosed: return {TcpState::kClosed, false};
    case TcpState::kCloseWait: return {TcpState::kLastAck, true};
    case TcpState::kLastAck: return {TcpState::kLastAck, false};
    case TcpState::kListen: return {TcpState::kClosed, false};
    case TcpState::kClosing: return {TcpState::kClosing, false};
  }
  return {TcpState::kClosed, false};
}

bool need_reset(TcpState s) {
  return s == TcpState::kEstablished || s == TcpState::kCloseWait || s == TcpState::kFinWait1 ||
         s == TcpState::kFinWait2 || s == TcpState::kSynReceived;
}

// tcp_send_fin: queue a FIN after the data and send what can go.
void send_fin(Host& h, Sock& s) {
  s.tcp.fin_queued = true;
  tcp_push(h, s);
}

void release_port(Host& h, Sock& s) {
  // inet_put_port, unless the application bound the port (SOCK_BINDPORT_LOCK).
  if (!s.port_locked) {
    tcp_bind_unhash(h, s);
    s.num = 0;
    s.bound = false;
  }
}

}  // namespace

void tcp_set_state(Host& h, Sock& s, TcpState to, std::string_view why) {
  const TcpState from = s.tcp.state;
  if (from == to) return;
  s.tcp.state = to;
  if (to == TcpState::kClosed) {
    if (from == TcpState::kCloseWait || from == TcpState::kEstablished) h.counters().inc(Mib::kTcpEstabResets);
    // Leaving the tables: unhash, and give the port back unless bind() chose it.
    tcp_unhash(h, s);
    release_port(h, s);
  }
  h.trace_state(s, from, to, why);
}

void tcp_init_sock(Host& h, Sock& s) {
  const Personality& p = h.personality();
  TcpCb& tp = s.tcp;
  tp.rto = p.rto_initial;
  tp.mdev_max = p.rto_min;
  tp.rttvar = p.rto_min;
  tp.mss_cache = 536;
  tp.mss_clamp = 536;
  tp.snd_buf = p.tcp_wmem[1];
  tp.rcv_buf = p.tcp_rmem[1];
  tp.cwnd = p.initial_cwnd;
}

void tcp_destroy(Host& h, Sock& s) {
  tcp_clear_xmit_timers(h, s);
  h.sim().queue().cancel(s.tcp.tw_timer);
  tcp_unhash(h, s);
  tcp_bind_unhash(h, s);
  if (s.fd_refs > 0 || s.tcp.in_accept_queue) {
    // Still reachable through an fd or an accept queue: only leave the tables.
    return;
  }
  h.socks.erase(s.id);
}

void tcp_done(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  tcp_fastopen_child_gone(h, s, false);  // reqsk_fastopen_remove
  if (tp.state == TcpState::kSynSent || tp.state == TcpState::kSynReceived) {
    h.counters().inc(Mib::kTcpAttemptFails);
  }
  tcp_set_state(h, s, TcpState::kClosed, "connection done");
  tcp_clear_xmit_timers(h, s);
  h.sim().queue().cancel(tp.tw_timer);
  s.shutdown = kRcvShutdown | kSendShutdown;
  wake(h, s.id);
  if (tp.in_accept_queue) {
    if (Sock* l = h.sock(tp.listener)) wake(h, l->id);
  }
  if (s.orphan) tcp_destroy(h, s);
}

void tcp_done_with_error(Host& h, Sock& s, Errno err, std::string_view why) {
  s.err = err;
  if (h.observed()) {
    h.trace_note(sim::TraceKind::kState, &s, std::string(why), "error " + std::string(name(err)));
  }
  s.tcp.sndq.clear();
  tcp_done(h, s);
}

SysResult<void> tcp_connect(Host& h, Sock& s, const SockAddr& dst_in) {
  SockAddr dst = dst_in;
  wire::IpAddr daddr = dst.addr;
  int oif = s.opt.bound_dev_if;
  if (s.family == kAfInet6) {
    if (daddr.is_unspecified()) daddr = wire::IpAddr::v6_loopback();  // "::" means this host
    if (daddr.is_multicast()) return fail(Errno::kENETUNREACH);
    if (daddr.is_v4_mapped()) {
      // tcp_v6_connect hands v4-mapped destinations to tcp_v4_connect.
      if (s.opt.v6only) return fail(Errno::kENETUNREACH);
      daddr = daddr.unmapped();
      s.v4_on_v6 = true;
    } else {
      s.v4_on_v6 = false;
      if (daddr.is_link_local()) {
        // A link-local destination needs an interface: the scope id, or a bound device.
        if (dst.scope_id) {
          if (s.opt.bound_dev_if && s.opt.bound_dev_if != static_cast<int>(dst.scope_id)) return fail(Errno::kEINVAL);
          s.opt.bound_dev_if = static_cast<int>(dst.scope_id);
        }
        if (!s.opt.bound_dev_if) return fail(Errno::kEINVAL);
        oif = s.opt.bound_dev_if;
        s.scope_id = static_cast<std::uint32_t>(oif);
      }
    }
  } else {
    if (daddr.is_unspecified()) daddr = wire::IpAddr::v4(127, 0, 0, 1);  // INADDR_ANY: loopback
  }

  std::optional<wire::IpAddr> src;
  if (s.addr_locked && !s.rcv_saddr.is_unspecified()) src = wire_form(s.rcv_saddr);
  const OutRoute rt = ip_route_output(h, daddr, oif, src);
  if (rt.error != Errno::kOk) {
    if (rt.error == Errno::kENETUNREACH) h.counters().inc(Mib::kIpOutNoRoutes);
    return fail(rt.error);
  }
  // tcp_v4_connect: "if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) return -ENETUNREACH".
  if (daddr.is_v4() && (h.is_broadcast_address(daddr) || daddr.is_multicast())) return fail(Errno::kENETUNREACH);
  if (src && !rt.local && !h.is_local_address(*src)) {
    // A non-local source (IP_FREEBIND): nothing routes from it. It is the route lookup's
    // ENETUNREACH, so tcp_v4_connect counts it in OUTNOROUTES (measured: IpOutNoRoutes +1).
    h.counters().inc(Mib::kIpOutNoRoutes);
    return fail(Errno::kENETUNREACH);
  }

  s.saddr = src ? *src : rt.src;
  if (!s.addr_locked) s.rcv_saddr = s.family == kAfInet6 && s.saddr.is_v4() ? wire::IpAddr::v4_mapped(s.saddr) : s.saddr;
  s.daddr = daddr;
  s.dport = dst.port;
  TcpCb& tp = s.tcp;
  tp.mss_clamp = 536;  // TCP_MSS_DEFAULT until the SYN-ACK says otherwise
  tp.tw_reused = false;
  tcp_set_state(h, s, TcpState::kSynSent, "connect()");
  if (auto r = tcp_hash_connect(h, s); !r) {
    tcp_set_state(h, s, TcpState::kClosed, "no local port");
    if (!s.addr_locked) {
      s.saddr = s.rcv_saddr = wire::IpAddr::any(s.family == kAfInet6 ? wire::IpFamily::kV6 : wire::IpFamily::kV4);
    }
    s.dport = 0;
    s.daddr = wire::IpAddr();
    return fail(r.error());
  }

  // ISN and timestamp offset: Linux's secure_tcp_seq / secure_tcp_ts_off are keyed hashes;
  // here they come from the host's seeded stream.
  // A socket whose earlier attempt failed keeps write_seq (old + max_window + 2, set by
  // tcp_disconnect): Linux only draws a new ISN when write_seq is 0 (measured: ISN + 3).
  if (!tp.tw_reused) tp.iss = tp.write_seq.raw != 0 ? tp.write_seq : SeqNum(h.rng_isn.next_u32());
  // secure_tcp_ts_off(saddr, daddr): one offset per address pair since Linux 4.14 ("secure_seq:
  // downgrade to per-host timestamp offsets"), so a reincarnated connection's TS values go on
  // from the old one's. The draw is kept so the ISN stream stays as it was.
  (void)h.rng_isn.next_u32();
  tp.ts_off = tcp_ts_offset(h, s.saddr, s.daddr);
  s.inet_id = static_cast<std::uint16_t>(h.rng_isn.next_u32());
  s.flow_label = (h.rng_isn.next_u32() & 0xfffff) | 1;

  // tcp_fastopen_defer_connect: with TCP_FASTOPEN_CONNECT and a cookie cached, the SYN waits
  // for the first write, which carries the data in it; connect() returns 0 now.
  tp.pmtu = rt.mtu;
  if (tcp_fastopen_defer_connect(h, s)) {
    h.trace_note(sim::TraceKind::kNote, &s, "TCP_FASTOPEN_CONNECT: cookie cached, the SYN waits for the first write");
    return {};
  }
  tcp_connect_send(h, s);
  return {};
}

void tcp_connect_send(Host& h, Sock& s) {
  const Personality& p = h.personality();
  TcpCb& tp = s.tcp;
  const wire::IpAddr daddr = s.daddr;
  // tcp_connect_init.
  tp.advmss = tcp_advmss(tp.pmtu, daddr.is_v6());
  if (tp.user_mss && tp.user_mss < tp.advmss) tp.advmss = tp.user_mss;
  const int win_mss = tp.advmss - (tp.ts_recent_stamp > sim::Time::zero() && tp.tw_reused ? 12 : 0);
  auto [wnd, ws] = tcp_initial_window(h, tp.rcv_buf, win_mss, p.tcp_window_scaling);
  tp.rcv_wnd = wnd;
  tp.rcv_wscale = ws;
  tp.window_clamp = 65535u << ws;
  tp.rcv_ssthresh = tp.rcv_wnd;
  tp.mss_cache = static_cast<std::uint16_t>(std::min<int>(tp.advmss, 536));
  tp.snd_una = tp.iss;
  tp.snd_nxt = tp.iss + 1;
  tp.write_seq = tp.iss + 1;
  tp.snd_wnd = 0;
  tp.rcv_nxt = SeqNum(0);
  tp.rcv_wup = SeqNum(0);
  tp.retransmits = 0;
  tp.total_rto = 0;
  tp.backoff = 0;
  tp.syn_sent_count = 0;
  tp.rto = tcp_syn_schedule_rto(p, 0).value_or(p.rto_initial);
  tp.srtt = sim::Duration::zero();
  tp.retrans_stamp = h.now();
  tp.retrans_stamp_set = true;
  tcp_arm_establish_timer(h, s);
  tp.fin_queued = tp.fin_sent = tp.fin_received = false;
  tp.ts_ok = tp.sack_ok = tp.wscale_ok = false;
  h.counters().inc(Mib::kTcpActiveOpens);
  // "Send off SYN; include data in Fast Open."
  if (tp.fastopen->req) {
    tcp_fastopen_send_syn(h, s);
  } else {
    tcp_send_syn(h, s, false);
  }
  tcp_reset_rtx_timer(h, s, tp.rto);
}

SysResult<void> tcp_listen(Host& h, Sock& s, int backlog) {
  TcpCb& tp = s.tcp;
  if (tp.state != TcpState::kClosed && tp.state != TcpState::kListen) return fail(Errno::kEINVAL);
  if (tp.state == TcpState::kListen) {
    s.listener->backlog = backlog;  // "we can only allow the backlog to be adjusted"
    return {};
  }
  if (!s.bound) {
    if (auto r = tcp_get_port(h, s, 0); !r) return r;
  } else if (!s.in_bind_table) {
    // A socket that released its port (a failed connect) and was bound by the user.
    if (auto r = tcp_get_port(h, s, s.num); !r) return r;
  } else {
    // inet_csk_listen_start re-checks the port: another socket may now be listening on it.
    auto it = h.tcp.bind.find(s.num);
    if (it != h.tcp.bind.end()) {
      for (SockId id : it->second.owners) {
        Sock* o = h.sock(id);
        if (!o || o == &s || !o->is_tcp() || o->tcp.state != TcpState::kListen) continue;
        const bool overlap = o->rcv_saddr.is_unspecified() || s.rcv_saddr.is_unspecified() || o->rcv_saddr == s.rcv_saddr;
        if (overlap && !(o->opt.reuseport && s.opt.reuseport)) return fail(Errno::kEADDRINUSE);
      }
    }
  }
  s.listener = std::make_unique<Listener>();
  s.listener->backlog = backlog;
  s.listener->fastopen_max_qlen = s.opt.fastopen_qlen;
  tcp_fastopen_listen(h, s, backlog);
  tcp_set_state(h, s, TcpState::kListen, "listen()");
  h.tcp.listeners[s.num].push_back(s.id);
  return {};
}

void tcp_disconnect(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  const TcpState old = tp.state;
  // A Fast Open child still waiting for its final ACK leaves the listener's Fast Open queue
  // (tcp_disconnect: "tp->fastopen_rsk must be NULL"); the request and DEFER_CONNECT go with
  // the reset of the control block below.
  tcp_fastopen_child_gone(h, s, false);
  if (old != TcpState::kClosed) tcp_set_state(h, s, TcpState::kClosed, "disconnect");
  if (old == TcpState::kListen) {
    tcp_listen_stop(h, s);
    s.listener.reset();
  } else if (need_reset(old) ||
             (tp.snd_nxt != tp.write_seq && (old == TcpState::kClosing || old == TcpState::kLastAck))) {
    tcp_send_active_reset(h, s, "connection aborted (disconnect)");
    s.err = Errno::kECONNRESET;
  } else if (old == TcpState::kSynSent) {
    s.err = Errno::kECONNRESET;
  }
  tcp_clear_xmit_timers(h, s);
  h.sim().queue().cancel(tp.tw_timer);
  tp.sndq.clear();
  tp.rcvq.clear();
  tp.ooo.clear();
  s.dport = 0;
  s.daddr = wire::IpAddr();
  if (!s.addr_locked) {
    s.saddr = s.rcv_saddr = wire::IpAddr::any(s.family == kAfInet6 ? wire::IpFamily::kV6 : wire::IpFamily::kV4);
  }
  s.shutdown = 0;
  // "write_seq += max_window + 2" so a reconnect starts beyond the old sequence space.
  const SeqNum next = tp.write_seq + tp.max_window + 2;
  const TcpCb fresh{};
  const int rcv_buf = tp.rcv_buf, snd_buf = tp.snd_buf;
  const std::uint16_t user_mss = tp.user_mss;
  const int syn_retries = tp.syn_retries;
  const sim::Duration user_timeout = tp.user_timeout;
  tp = TcpCb{};
  (void)fresh;
  tcp_init_sock(h, s);
  tp.rcv_buf = rcv_buf;
  tp.snd_buf = snd_buf;
  tp.user_mss = user_mss;
  tp.syn_retries = syn_retries;
  tp.user_timeout = user_timeout;
  tp.write_seq = next;
  wake(h, s.id);
}

void tcp_close(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  s.shutdown = kRcvShutdown | kSendShutdown;
  const TcpState st = tp.state;
  if (st == TcpState::kListen) {
    tcp_set_state(h, s, TcpState::kClosed, "close() of a listening socket");
    tcp_listen_stop(h, s);
    s.listener.reset();
  } else if (st != TcpState::kClosed) {
    // RFC 2525 §2.17: data the application never read means the connection is reset.
    const bool data_was_unread = !tp.rcvq.empty();
    if (data_was_unread) {
      h.counters().inc(Mib::kTCPAbortOnClose);
      tcp_set_state(h, s, TcpState::kClosed, "close() with unread data");
      tcp_send_active_reset(h, s, "close() with " + std::to_string(tp.rcvq.size()) + " bytes unread (RFC 2525 2.17)");
    } else if (s.opt.linger_on && s.opt.linger_seconds == 0) {
      h.counters().inc(Mib::kTCPAbortOnData);
      const TcpState old = tp.state;
      tcp_set_state(h, s, TcpState::kClosed, "close() with SO_LINGER {1, 0}: abort");
      // tcp_disconnect: CLOSING and LAST_ACK only reset while data or the FIN is still unsent
      // ("tp->snd_nxt != tp->write_seq"); once the FIN is out the socket just goes.
      const bool unsent = (tp.fin_queued && !tp.fin_sent) ||
                          tp.sndq.size() > static_cast<std::size_t>(tp.snd_nxt - tp.snd_una);
      if (need_reset(old) || (unsent && (old == TcpState::kLastAck || old == TcpState::kClosing))) {
        tcp_send_active_reset(h, s, "close() with SO_LINGER {1, 0}");
      }
    } else {
      const auto [next, fin] = close_state(st);
      tcp_set_state(h, s, next, "close()");
      if (fin) send_fin(h, s);
    }
  }
  s.orphan = true;
  if (tp.state == TcpState::kFinWait2) {
    tcp_time_wait(h, s, TcpState::kFinWait2, h.personality().tcp_fin_timeout);
  }
  if (tp.state == TcpState::kClosed) {
    // "We could get here with a non-NULL req if the socket is aborted (e.g., closed with
    // unread data) before 3WHS finishes."
    tcp_fastopen_child_gone(h, s, false);
    tcp_clear_xmit_timers(h, s);
    tcp_destroy(h, s);
  }
}

void tcp_shutdown(Host& h, Sock& s, int how) {
  if (!(how == kShutWr || how == kShutRdwr)) return;
  const TcpState st = s.tcp.state;
  if (st == TcpState::kEstablished || st == TcpState::kSynSent || st == TcpState::kSynReceived ||
      st == TcpState::kCloseWait) {
    const auto [next, fin] = close_state(st);
    tcp_set_state(h, s, next, "shutdown(SHUT_WR)");
    if (next == TcpState::kClosed) tcp_done(h, s);
    if (fin) send_fin(h, s);
  }
}

bool tcp_writable(const Sock& s) {
  // __sk_stream_is_writeable: free space at least half of what is queued.
  const std::int64_t queued = static_cast<std::int64_t>(s.tcp.sndq.size());
  return s.tcp.snd_buf - queued >= queued / 2 && queued < s.tcp.snd_buf;
}

SysResult<std::size_t> tcp_sendmsg(Host& h, Sock& s, std::span<const std::uint8_t> data, int flags) {
  TcpCb& tp = s.tcp;
  const TcpState st = tp.state;
  // "One exception is TCP Fast Open (passive side) where data is allowed to be sent before a
  // connection is fully established" (tcp_passive_fastopen).
  const bool passive_fastopen = st == TcpState::kSynReceived && tp.fastopen->rsk;
  if (st != TcpState::kEstablished && st != TcpState::kCloseWait && !passive_fastopen) {
    // sk_stream_wait_connect.
    if (s.err != Errno::kOk) {
      const Errno e = s.err;
      s.err = Errno::kOk;
      return fail(e);
    }
    if (st != TcpState::kSynSent && st != TcpState::kSynReceived) return fail(Errno::kEPIPE);
    return fail(Errno::kEAGAIN);  // the caller waits when blocking
  }
  if (s.err != Errno::kOk || (s.shutdown & kSendShutdown)) {
    // sk_stream_error: the pending error first, then EPIPE.
    if (s.err != Errno::kOk) {
      const Errno e = s.err;
      s.err = Errno::kOk;
      return fail(e);
    }
    return fail(Errno::kEPIPE);
  }
  (void)flags;
  const std::int64_t room = tp.snd_buf - static_cast<std::int64_t>(tp.sndq.size());
  if (room <= 0) return fail(Errno::kEAGAIN);
  const std::size_t n = std::min<std::size_t>(data.size(), static_cast<std::size_t>(room));
  tp.sndq.append(data.first(n));
  tcp_push(h, s);
  return n;
}

SysResult<std::vector<std::uint8_t>> tcp_recvmsg(Host& h, Sock& s, std::size_t len, int flags) {
  TcpCb& tp = s.tcp;
  if (tp.state == TcpState::kListen) return fail(Errno::kENOTCONN);
  if (!tp.rcvq.empty() && len > 0) {
    const auto d = tp.rcvq.peek(0, len);
    std::vector<std::uint8_t> out(d.begin(), d.end());
    if (!(flags & kMsgPeek)) tp.rcvq.consume(out.size());
    return out;
  }
  if (len == 0 && tp.state != TcpState::kClosed) return std::vector<std::uint8_t>{};
  // tcp_recvmsg_locked: SOCK_DONE (the peer's FIN was received) means end of stream, even
  // with an error pending.
  if (tp.fin_received) return std::vector<std::uint8_t>{};
  if (s.err != Errno::kOk) {
    const Errno e = s.err;
    s.err = Errno::kOk;
    return fail(e);
  }
  if (s.shutdown & kRcvShutdown) return std::vector<std::uint8_t>{};
  if (tp.state == TcpState::kClosed) return fail(Errno::kENOTCONN);
  (void)h;
  return fail(Errno::kEAGAIN);
}

SysResult<SockId> tcp_accept(Host& h, Sock& l) {
  if (l.tcp.state != TcpState::kListen || !l.listener) return fail(Errno::kEINVAL);
  Listener& lq = *l.listener;
  if (lq.accept_qlen() == 0) return fail(Errno::kEAGAIN);
  const SockId id = lq.accept_queue[lq.accept_head++];
  if (lq.accept_head == lq.accept_queue.size()) {
    lq.accept_queue.clear();
    lq.accept_head = 0;
  }
  Sock* c = h.sock(id);
  if (!c) return fail(Errno::kEAGAIN);
  tcp_fastopen_accepted(*c);
  c->tcp.in_accept_queue = false;
  c->tcp.listener = 0;
  return id;
}

std::uint32_t tcp_rto_ms(const Sock& s) { return static_cast<std::uint32_t>(s.tcp.rto.ms()); }

}  // namespace synlab::stack
