// Listening sockets: SYNs, request socks, SYN cookies and the accept queue.
//
// Linux: tcp_input.c tcp_conn_request, tcp_minisocks.c tcp_check_req / tcp_create_openreq_child,
// tcp_ipv4.c tcp_v4_syn_recv_sock, syncookies.c, inet_connection_sock.c (reqsk_timer_handler,
// inet_csk_listen_stop). What happens on overflow:
//   - SYN queue full (more request socks than the backlog allows): with tcp_syncookies = 1
//     the SYN is answered with a SYN cookie and no state is kept; with 0 it is dropped
//     (TCPReqQFullDrop).
//   - accept queue full (more than backlog children waiting for accept): the SYN is dropped
//     (ListenOverflows); a final ACK is dropped and the request sock remembers it was
//     acknowledged, so its SYN-ACK timer keeps resending, unless tcp_abort_on_overflow = 1,
//     in which case the request is reset. A cookie's ACK that overflows is dropped silently:
//     there is no request sock to reset.
#include <algorithm>
#include <array>
#include <utility>

#include "sim/rng.h"
#include "stack/host.h"
#include "stack/ip/neighbour.h"
#include "stack/socket/wait.h"
#include "stack/tcp/tcp.h"
#include "stack/tcp/tcp_fastopen.h"

namespace synlab::stack {
namespace {

using wire::tcp_flag::kAck;
using wire::tcp_flag::kFin;
using wire::tcp_flag::kRst;
using wire::tcp_flag::kSyn;

// The MSS values a SYN cookie can encode (msstab[] in syncookies.c).
constexpr std::array<std::uint16_t, 4> kCookieMss = {536, 1300, 1440, 1460};
constexpr int kCookieBits = 24;
constexpr std::uint32_t kCookieMask = (1u << kCookieBits) - 1;
constexpr int kTsBits = 6;  // TSBITS: options packed in the low bits of a cookie's TS value

std::string queue_text(const Listener& l, int slack) {
  return std::to_string(l.accept_qlen()) + " of " + std::to_string(l.backlog) + "+" + std::to_string(slack);
}

bool acceptq_full(const Host& h, const Listener& l) {
  // 4.4BSD: the final ACK always finds room; sonewconn counted the connection when its SYN came
  // (soisconnected only moves it from so_q0 to so_q).
  if (h.personality().backlog_limit == BacklogLimit::kBsdFudge) return false;
  // sk_acceptq_is_full: ack_backlog > max_ack_backlog (Linux admits backlog + 1).
  return static_cast<int>(l.accept_qlen()) > l.backlog + h.personality().backlog_slack - 1;
}

bool reqsk_queue_full(const Host& h, const Listener& l) {
  if (h.personality().backlog_limit == BacklogLimit::kBsdFudge) return false;
  return l.reqsk_qlen > l.backlog + h.personality().backlog_slack - 1;
}

// 4.4BSD sonewconn: "if (head->so_qlen + head->so_q0len > 3 * head->so_qlimit / 2) return
// ((struct socket *)0);": completed and embryonic connections share one limit.
int bsd_queue_limit(const Listener& l) { return 3 * l.backlog / 2; }
bool bsd_queues_full(const Host& h, const Listener& l) {
  if (h.personality().backlog_limit != BacklogLimit::kBsdFudge) return false;
  return static_cast<int>(l.accept_qlen()) + l.reqsk_qlen > bsd_queue_limit(l);
}

std::uint32_t cookie_hash(const Host& h, const wire::IpAddr& saddr, const wire::IpAddr& daddr,
                          std::uint16_t sport, std::uint16_t dport, std::uint32_t count, int c) {
  std::uint64_t x = sim::stable_hash(saddr.to_string() + "|" + daddr.to_string());
  x ^= (std::uint64_t{sport} << 16 | dport) * 0x9e3779b97f4a7c15ull;
  x ^= (std::uint64_t{count} << 32) ^ static_cast<std::uint64_t>(c);
  x ^= h.syncookie_secret;
  // splitmix finaliser
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return static_cast<std::uint32_t>(x ^ (x >> 31));
}

}  // namespace

std::uint32_t tcp_ts_offset(const Host& h, const wire::IpAddr& local, const wire::IpAddr& remote) {
  return cookie_hash(h, local, remote, 0, 0, 0, 2);
}

namespace {

// secure_tcp_ts_off: the TS offset of a cookie connection is a keyed hash of the address pair,
// so that the cookie's ACK can take it off the echoed TS value again (cookie_v4_check).
std::uint32_t cookie_ts_off(const Host& h, const IpMeta& m) { return tcp_ts_offset(h, m.dst, m.src); }

std::uint32_t cookie_count(const Host& h) {
  // tcp_cookie_time(): minutes.
  return static_cast<std::uint32_t>(h.now().ns() / 60'000'000'000LL);
}

// secure_tcp_syn_cookie: the client's ISN, the time and the MSS index folded into our ISN.
std::uint32_t make_cookie(const Host& h, const IpMeta& m, const wire::TcpRepr& t, int mssind) {
  const std::uint32_t count = cookie_count(h);
  return cookie_hash(h, m.src, m.dst, t.src_port, t.dst_port, 0, 0) + t.seq + (count << kCookieBits) +
         ((cookie_hash(h, m.src, m.dst, t.src_port, t.dst_port, count, 1) + static_cast<std::uint32_t>(mssind)) &
          kCookieMask);
}

// check_tcp_syn_cookie: the MSS index, or -1 when the cookie is bad or older than 2 minutes.
int check_cookie(const Host& h, const IpMeta& m, const wire::TcpRepr& t) {
  const std::uint32_t count = cookie_count(h);
  const std::uint32_t sseq = t.seq - 1;
  std::uint32_t cookie = t.ack - 1;
  cookie -= cookie_hash(h, m.src, m.dst, t.src_port, t.dst_port, 0, 0) + sseq;
  const std::uint32_t diff = (count - (cookie >> kCookieBits)) & (0xffffffffu >> kCookieBits);
  if (diff >= 2) return -1;
  const std::uint32_t mssind =
      (cookie - cookie_hash(h, m.src, m.dst, t.src_port, t.dst_port, count - diff, 1)) & kCookieMask;
  return mssind < kCookieMss.size() ? static_cast<int>(mssind) : -1;
}

struct SynOptions {
  std::uint16_t mss = 536;  // TCP_MSS_DEFAULT when the SYN has none
  bool wscale_ok = false;
  std::uint8_t snd_wscale = 0;
  bool sack_ok = false;
  bool ts_ok = false;
  std::uint32_t tsval = 0;
  std::uint32_t tsecr = 0;
};

// tcp_parse_options for a SYN, with the sysctls deciding what we accept.
SynOptions parse_syn_options(const Host& h, const wire::TcpRepr& t, std::uint16_t user_mss) {
  SynOptions o;
  const Personality& p = h.personality();
  if (auto mss = t.options.mss(); mss && *mss) o.mss = *mss;
  if (user_mss && user_mss < o.mss) o.mss = user_mss;
  if (auto ws = t.options.window_scale(); ws && p.tcp_window_scaling) {
    o.wscale_ok = true;
    o.snd_wscale = std::min<std::uint8_t>(*ws, 14);  // RFC 7323 §2.3: clamp to 14
  }
  if (t.options.sack_permitted() && p.tcp_sack) o.sack_ok = true;
  if (auto ts = t.options.timestamps(); ts && p.tcp_timestamps) {
    o.ts_ok = true;
    o.tsval = ts->val;
    o.tsecr = ts->ecr;
  }
  return o;
}

// The request sock's receive window and scale (tcp_openreq_init_rwin).
void init_rwin(const Host& h, const Sock& l, RequestSock& r, int mss_for_window) {
  const int rcvbuf = l.tcp.rcv_buf;
  auto [wnd, ws] = tcp_initial_window(h, rcvbuf, mss_for_window, r.wscale_ok);
  r.rcv_wnd = wnd;
  r.rcv_wscale = r.wscale_ok ? ws : 0;
  r.window_clamp = std::min<std::uint32_t>(65535u << r.rcv_wscale, 65535u << 14);
}

// Creates the child socket for a completed handshake (tcp_v4_syn_recv_sock +
// tcp_create_openreq_child). Null when the accept queue is full.
Sock* create_child(Host& h, Sock& l, const RequestSock& r, const wire::TcpRepr& t) {
  if (acceptq_full(h, *l.listener)) return nullptr;
  auto [id, c] = h.socks.emplace();
  c->id = id;
  c->trace_id = h.next_trace_id++;
  c->family = l.family;
  c->type = kSockStream;
  c->protocol = l.protocol;
  c->opt = l.opt;              // sk_clone_lock copies the socket's options
  c->opt.bound_dev_if = l.opt.bound_dev_if;
  c->saddr = r.local;
  c->rcv_saddr = l.family == kAfInet6 && r.local.is_v4() ? wire::IpAddr::v4_mapped(r.local) : r.local;
  c->daddr = r.remote;
  c->dport = r.remote_port;
  c->scope_id = r.remote.is_v6() && r.remote.is_link_local() ? static_cast<std::uint32_t>(r.ifindex) : 0;
  c->v4_on_v6 = l.family == kAfInet6 && r.local.is_v4();
  c->inet_id = static_cast<std::uint16_t>(h.rng_isn.next_u32());
  c->flow_label = r.ts_off & 0xfffff;
  tcp_init_sock(h, *c);
  c->tcp.rcv_buf = l.tcp.rcv_buf;
  c->tcp.snd_buf = l.tcp.snd_buf;
  c->tcp.user_mss = l.tcp.user_mss;

  TcpCb& tp = c->tcp;
  tp.state = TcpState::kSynReceived;
  tp.iss = r.snt_isn;
  tp.snd_una = tp.snd_nxt = tp.write_seq = r.snt_isn + 1;
  tp.irs = r.rcv_isn;
  tp.rcv_nxt = tp.rcv_wup = r.rcv_isn + 1;
  tp.snd_wl1 = SeqNum(t.seq);
  tp.snd_wnd = std::uint32_t{t.window} << r.snd_wscale;
  tp.max_window = tp.snd_wnd;
  tp.wscale_ok = r.wscale_ok;
  tp.snd_wscale = r.snd_wscale;
  tp.rcv_wscale = r.rcv_wscale;
  tp.sack_ok = r.sack_ok;
  tp.ts_ok = r.ts_ok;
  tp.ts_recent = r.ts_recent;
  tp.ts_recent_stamp = h.now();
  tp.ts_off = r.ts_off;
  tp.mss_clamp = r.mss;
  tp.rcv_wnd = r.rcv_wnd;
  tp.rcv_ssthresh = r.rcv_wnd;
  tp.window_clamp = r.window_clamp;
  const Interface* iface = h.interface(r.ifindex);
  tp.advmss = tcp_advmss(iface ? iface->mtu : 1500, r.local.is_v6());
  if (tp.user_mss && tp.user_mss < tp.advmss) tp.advmss = tp.user_mss;
  // tcp_sync_mss: the send MSS is the peer's MSS (and ours), minus the timestamp option.
  const int hdr_opts = tp.ts_ok ? 12 : 0;
  tp.mss_cache = static_cast<std::uint16_t>(std::max(48, std::min<int>(tp.mss_clamp, tp.advmss) - hdr_opts));
  tp.rcv_mss = std::min<std::uint32_t>(tp.advmss, tp.mss_cache);
  tp.listener = l.id;
  tp.from_syncookie = false;
  // tcp_synack_rtt_meas: the SYN-ACK's RTT, unless it was retransmitted (Karn).
  if (r.num_retrans == 0 && r.synack_sent && !r.acked) {
    tcp_rtt_sample(h, *c, h.now() - *r.synack_sent);
  }
  tcp_bind_hash(h, *c, l.num, false);  // inet_inherit_port
  c->num = l.num;
  tcp_hash(h, *c);
  h.counters().inc(Mib::kTcpPassiveOpens);
  return c;
}

void accept_enqueue(Host& h, Sock& l, Sock& child) {
  l.listener->accept_queue.push_back(child.id);
  child.tcp.in_accept_queue = true;
  wake(h, l.id);
}

// Where a request sock lives in the demultiplexing table.
FourTuple req_tuple(const RequestSock& r) { return FourTuple{r.local, r.remote, r.local_port, r.remote_port}; }

void reqsk_unlink(Host& h, ReqId id) {
  RequestSock* r = h.reqs.get(id);
  if (!r) return;
  auto it = h.tcp.established.find(req_tuple(*r));
  if (it != h.tcp.established.end() && it->second.kind == DemuxEntry::Kind::kRequest && it->second.id == id) {
    h.tcp.established.erase(it);
  }
  h.sim().queue().cancel(r->timer);
  if (Sock* l = h.sock(r->listener); l && l->listener) {
    --l->listener->reqsk_qlen;
    if (r->num_timeout == 0) --l->listener->young;
  }
  h.reqs.erase(id);
}

void arm_reqsk(Host& h, RequestSock& r, ReqId id) {
  const Personality& p = h.personality();
  // 4.4BSD: the embryonic socket's SYN-ACK follows the same tcp_backoff[] table as a SYN.
  sim::Duration timeout = tcp_syn_schedule_rto(p, r.num_timeout)
                              .value_or(std::min(p.rto_initial * (std::int64_t{1} << std::min(r.num_timeout, 30)), p.rto_max));
  // 4.4BSD tcp_input arms TCPT_KEEP = TCPTV_KEEP_INIT on the new socket: the timer wakes up
  // then at the latest, to drop the half-open connection.
  if (p.connection_establishment_timeout > sim::Duration::zero()) {
    const sim::Time deadline = r.created + p.connection_establishment_timeout;
    if (h.now() + timeout > deadline) timeout = std::max(deadline - h.now(), sim::Duration::zero());
  }
  auto& q = h.sim().queue();
  q.cancel(r.timer);
  r.timer = q.schedule_in(timeout, [&h, id] { tcp_reqsk_timer(h, id); });
}

void conn_request(Host& h, Sock& l, const IpMeta& m, const wire::TcpRepr& t) {
  Listener& lq = *l.listener;
  const Personality& p = h.personality();
  if (m.dst.is_multicast() || h.is_broadcast_address(m.dst)) {
    h.frame_drop(m.frame, DropReason::kIpInAddrErrors, "SYN to a broadcast or multicast address");
    return;
  }
  // tcp_conn_request: a SYN reopening a TIME_WAIT 4-tuple brings its ISN and skips SYN cookies.
  const std::uint32_t tw_isn = std::exchange(h.tcp.tw_isn, 0u);
  bool want_cookie = false;
  if ((p.tcp_syncookies == 2 || reqsk_queue_full(h, lq)) && !tw_isn) {
    // tcp_syn_flood_action.
    if (p.tcp_syncookies) {
      want_cookie = true;
      h.counters().inc(Mib::kTCPReqQFullDoCookies);
    } else {
      h.counters().inc(Mib::kTCPReqQFullDrop);
      h.counters().inc(Mib::kListenDrops);
      h.frame_drop(m.frame, DropReason::kTcpReqQueueFull,
                   "SYN dropped by " + h.name() + ": SYN queue full (" + std::to_string(lq.reqsk_qlen) + " of " +
                       std::to_string(lq.backlog) + "+" + std::to_string(p.backlog_slack) + ") and SYN cookies are off");
      return;
    }
  }
  if (bsd_queues_full(h, lq)) {
    // 4.4BSD tcp_input: "so = sonewconn(so, 0); if (so == 0) goto drop;": no answer at all.
    h.counters().inc(Mib::kListenOverflows);
    h.counters().inc(Mib::kListenDrops);
    h.frame_drop(m.frame, DropReason::kTcpListenOverflow,
                 "SYN dropped by " + h.name() + ": " + std::to_string(lq.accept_qlen()) + " queued + " +
                     std::to_string(lq.reqsk_qlen) + " half-open > 3 * backlog " + std::to_string(lq.backlog) +
                     " / 2 (4.4BSD sonewconn)");
    return;
  }
  if (acceptq_full(h, lq)) {
    h.counters().inc(Mib::kListenOverflows);
    h.counters().inc(Mib::kListenDrops);
    h.frame_drop(m.frame, DropReason::kTcpListenOverflow,
                 "SYN dropped by " + h.name() + ": accept queue full (" + queue_text(lq, p.backlog_slack) + ")");
    if (p.on_syn_overflow == OverflowAction::kReset) {
      tcp_send_reset_reply(h, m, t, "accept queue of " + h.sock_label(l) + " is full (this personality resets)");
    }
    return;
  }
  SynOptions o = parse_syn_options(h, t, l.tcp.user_mss);
  if (want_cookie && !o.ts_ok) {
    // Without timestamps a cookie cannot carry window scale or SACK.
    o.wscale_ok = false;
    o.sack_ok = false;
  }
  if (!want_cookie && !tw_isn && !p.tcp_syncookies && p.backlog_limit == BacklogLimit::kSeparateQueues &&
      (p.tcp_max_syn_backlog - lq.reqsk_qlen < (p.tcp_max_syn_backlog >> 2))) {
    // "Without syncookies last quarter of backlog is filled with destinations proven to be
    // alive": this simulator keeps no TCP metrics, so no peer is proven.
    h.counters().inc(Mib::kListenDrops);
    h.frame_drop(m.frame, DropReason::kTcpReqQueueFull, "tcp_max_syn_backlog: last quarter reserved for proven peers");
    return;
  }

  RequestSock req;
  req.listener = l.id;
  req.local = m.dst;
  req.remote = m.src;
  req.local_port = t.dst_port;
  req.remote_port = t.src_port;
  req.ifindex = m.ifindex;
  req.rcv_isn = SeqNum(t.seq);
  req.mss = o.mss;
  req.wscale_ok = o.wscale_ok;
  req.snd_wscale = o.wscale_ok ? o.snd_wscale : 0;
  req.sack_ok = o.sack_ok;
  req.ts_ok = o.ts_ok;
  req.ts_recent = o.tsval;
  req.ts_off = 0;
  if (o.ts_ok) {
    (void)h.rng_isn.next_u32();  // kept so the ISN stream stays as it was
    req.ts_off = tcp_ts_offset(h, m.dst, m.src);
  }
  const Interface* iface = h.interface(m.ifindex);
  std::uint16_t advmss = tcp_advmss(iface ? iface->mtu : 1500, m.dst.is_v6());
  if (l.tcp.user_mss && l.tcp.user_mss < advmss) advmss = l.tcp.user_mss;
  init_rwin(h, l, req, advmss - (req.ts_ok ? 12 : 0));

  if (want_cookie) {
    int mssind = 0;
    for (int i = static_cast<int>(kCookieMss.size()) - 1; i >= 0; --i) {
      if (req.mss >= kCookieMss[static_cast<std::size_t>(i)]) {
        mssind = i;
        break;
      }
    }
    req.mss = kCookieMss[static_cast<std::size_t>(mssind)];
    req.snt_isn = SeqNum(make_cookie(h, m, t, mssind));
    lq.synq_overflowed = true;
    lq.last_synq_overflow = h.now();
    h.counters().inc(Mib::kSyncookiesSent);
    std::optional<std::uint32_t> cookie_ts;
    if (req.ts_ok) {
      // cookie_init_timestamp: the options the cookie must remember ride in the TS value.
      std::uint32_t options = req.wscale_ok ? req.snd_wscale : 0xfu;
      if (req.sack_ok) options |= 1u << 4;
      const std::uint32_t now_ts = static_cast<std::uint32_t>(tcp_ts_now(h, 0));
      std::uint32_t ts = (now_ts >> kTsBits) << kTsBits;
      ts |= options;
      if (ts > now_ts) ts -= 1u << kTsBits;
      req.ts_off = cookie_ts_off(h, m);
      cookie_ts = ts + req.ts_off;
    }
    req.num_retrans = -1;
    tcp_send_synack_req(h, req, false, cookie_ts);
    return;
  }

  // tcp_v4_init_seq: a keyed hash of the 4-tuple plus a clock; here, the host's ISN stream.
  req.snt_isn = tw_isn ? SeqNum(tw_isn) : SeqNum(h.rng_isn.next_u32());

  // tcp_try_fastopen (RFC 7413 §4.2): with a valid cookie the child exists from now on and its
  // own SYN-ACK acknowledges the SYN's data; it goes straight to the accept queue.
  TfoCookie foc = tcp_fastopen_parse_option(t);
  if (Sock* child = tcp_try_fastopen(h, l, m, t, foc, [&] { return create_child(h, l, req, t); })) {
    tcp_fastopen_send_child_synack(h, *child);
    accept_enqueue(h, l, *child);
    return;
  }
  auto [id, rp] = h.reqs.emplace(req);
  h.tcp.established[req_tuple(*rp)] = DemuxEntry{DemuxEntry::Kind::kRequest, id};
  ++lq.reqsk_qlen;
  ++lq.young;
  rp->synack_sent = h.now();
  rp->created = h.now();
  // The first SYN-ACK carries a cookie when the client asked for one or offered a wrong one.
  tcp_send_synack_req(h, *rp, false, {}, &foc);
  arm_reqsk(h, *rp, id);
}

// A cookie-bearing ACK to a listener (cookie_v4_check + tcp_get_cookie_sock). Returns true
// when the segment was consumed (a child made, or dropped); false to treat it as a plain ACK
// to a listener (which gets an RST).
bool cookie_check(Host& h, Sock& l, const IpMeta& m, const wire::TcpRepr& t) {
  const Personality& p = h.personality();
  if (!p.tcp_syncookies || !(t.flags & kAck) || (t.flags & kRst)) return false;
  Listener& lq = *l.listener;
  // tcp_synq_no_recent_overflow: cookies are only checked within 2 minutes of sending one.
  if (!lq.synq_overflowed || h.now() > lq.last_synq_overflow + sim::Duration::seconds(120)) return false;
  const int mssind = check_cookie(h, m, t);
  if (mssind < 0) {
    h.counters().inc(Mib::kSyncookiesFailed);
    return false;
  }
  h.counters().inc(Mib::kSyncookiesRecv);
  RequestSock req;
  req.listener = l.id;
  req.local = m.dst;
  req.remote = m.src;
  req.local_port = t.dst_port;
  req.remote_port = t.src_port;
  req.ifindex = m.ifindex;
  req.snt_isn = SeqNum(t.ack - 1);
  req.rcv_isn = SeqNum(t.seq - 1);
  req.mss = kCookieMss[static_cast<std::size_t>(mssind)];
  if (auto ts = t.options.timestamps(); ts && p.tcp_timestamps) {
    // cookie_timestamp_decode: window scale and SACK come back in the echoed TS value.
    req.ts_ok = true;
    req.ts_recent = ts->val;
    const std::uint32_t options = (ts->ecr - cookie_ts_off(h, m)) & ((1u << kTsBits) - 1);
    const std::uint32_t ws = options & 0xfu;
    req.sack_ok = (options & (1u << 4)) && p.tcp_sack;
    if (ws != 0xfu && p.tcp_window_scaling) {
      req.wscale_ok = true;
      req.snd_wscale = static_cast<std::uint8_t>(std::min<std::uint32_t>(ws, 14));
    }
    req.ts_off = cookie_ts_off(h, m);
  }
  // cookie_v4_check computes the window from the cookie's MSS.
  init_rwin(h, l, req, req.mss);
  req.num_retrans = 1;  // no RTT sample from a cookie
  Sock* child = create_child(h, l, req, t);
  if (!child) {
    h.counters().inc(Mib::kListenOverflows);
    h.counters().inc(Mib::kListenDrops);
    // cookie_v4_check: tcp_get_cookie_sock() found no room, and since Linux 6.9 the skb is
    // dropped as NO_SOCKET (not TCP_LISTEN_OVERFLOW, which only tcp_check_req uses).
    h.frame_drop(m.frame, DropReason::kNoSocket,
                 "final ACK dropped by " + h.name() + ": accept queue full (" + queue_text(lq, p.backlog_slack) +
                     "); it answered a SYN cookie, so there is no request to reset");
    return true;
  }
  child->tcp.from_syncookie = true;
  h.trace_note(sim::TraceKind::kNote, child, "final ACK carried a valid SYN cookie: new connection queued on " +
                                                  h.sock_label(l));
  accept_enqueue(h, l, *child);
  // The child handles the ACK (and any data) itself (tcp_child_process).
  tcp_sock_rcv(h, *child, m, t);
  return true;
}

}  // namespace

void tcp_listen_rcv(Host& h, Sock& l, const IpMeta& m, const wire::TcpRepr& t) {
  const std::uint8_t f = t.flags;
  if (!(f & kSyn) && cookie_check(h, l, m, t)) return;
  // tcp_rcv_state_process, case TCP_LISTEN.
  if (f & kAck) {
    h.frame_drop(m.frame, DropReason::kTcpFlags, "ACK to a listening socket");
    tcp_send_reset_reply(h, m, t, "ACK for no connection on listening port " + std::to_string(t.dst_port));
    return;
  }
  if (f & kRst) {
    h.frame_drop(m.frame, DropReason::kTcpReset, "RST to a listening socket is ignored");
    return;
  }
  if (f & kSyn) {
    if (f & kFin) {
      h.frame_drop(m.frame, DropReason::kTcpFlags, "SYN+FIN");
      return;
    }
    conn_request(h, l, m, t);
    return;
  }
  h.frame_drop(m.frame, DropReason::kTcpFlags, "segment without SYN, ACK or RST to a listening socket");
}

void tcp_reqsk_rcv(Host& h, ReqId id, const IpMeta& m, const wire::TcpRepr& t) {
  RequestSock* rp = h.reqs.get(id);
  if (!rp) return;
  RequestSock& r = *rp;
  Sock* l = h.sock(r.listener);
  if (!l || l->tcp.state != TcpState::kListen || !l->listener) {
    reqsk_unlink(h, id);
    tcp_send_reset_reply(h, m, t, "the listener is gone");
    return;
  }
  const Personality& p = h.personality();
  const std::uint8_t f = t.flags;
  // tcp_check_req.
  std::optional<wire::TcpTimestamps> ts = r.ts_ok ? t.options.timestamps() : std::nullopt;
  bool paws_reject = false;
  if (ts && !(f & kRst)) {
    // tcp_paws_reject against the SYN's TS value.
    paws_reject = static_cast<std::int32_t>(ts->val - r.ts_recent) < 0;
  }
  // A retransmitted SYN: resend the SYN-ACK.
  if (t.seq == r.rcv_isn.raw && f == kSyn && !paws_reject) {
    if (!r.last_oow_set || h.now() - r.last_oow >= sim::Duration::millis(500)) {
      r.last_oow = h.now();
      r.last_oow_set = true;
      ++r.num_retrans;
      h.counters().inc(Mib::kTcpRetransSegs);
      h.counters().inc(Mib::kTCPSynRetrans);
      tcp_send_synack_req(h, r, true);
      arm_reqsk(h, r, id);
    } else {
      h.counters().inc(Mib::kTCPACKSkippedSynRecv);
    }
    return;
  }
  // An ACK of something other than our SYN: the listener answers with RST.
  if ((f & kAck) && t.ack != r.snt_isn.raw + 1) {
    h.frame_drop(m.frame, DropReason::kTcpInvalidAckSequence, "ACK does not acknowledge our SYN-ACK");
    tcp_send_reset_reply(h, m, t, "unacceptable ACK for a half-open connection");
    return;
  }
  // Sequence check against the SYN-ACK's window.
  const SeqNum rcv_nxt = r.rcv_isn + 1;
  const std::uint32_t wnd = r.rcv_wnd;
  const SeqNum seq(t.seq);
  const SeqNum end = seg_end(t);
  const bool in_window = !(before(end, rcv_nxt) || after(seq, rcv_nxt + wnd)) || (seq == rcv_nxt && t.seq_len() == 0);
  if (paws_reject || !in_window) {
    if (!(f & kRst)) tcp_reqsk_send_ack(h, r, m);
    h.frame_drop(m.frame, paws_reject ? DropReason::kTcpRfc7323Paws : DropReason::kTcpInvalidSequence);
    return;
  }
  if (ts && !after(seq, rcv_nxt)) r.ts_recent = ts->val;
  std::uint8_t flg = f;
  if (t.seq == r.rcv_isn.raw) flg &= static_cast<std::uint8_t>(~kSyn);  // truncate the SYN
  if (flg & (kRst | kSyn)) {
    h.counters().inc(Mib::kTcpAttemptFails);
    if (!(flg & kRst)) tcp_send_reset_reply(h, m, t, "SYN inside the window of a half-open connection");
    h.counters().inc(Mib::kEmbryonicRsts);
    h.frame_drop(m.frame, (flg & kRst) ? DropReason::kTcpReset : DropReason::kTcpInvalidSyn,
                 (flg & kRst) ? "RST ends a half-open connection" : "SYN ends a half-open connection");
    reqsk_unlink(h, id);
    return;
  }
  if (!(flg & kAck)) {
    h.frame_drop(m.frame, DropReason::kTcpFlags, "no ACK in SYN-RECEIVED");
    return;
  }
  Sock* child = create_child(h, *l, r, t);
  if (!child) {
    // listen_overflow.
    Listener& lq = *l->listener;
    h.counters().inc(Mib::kListenOverflows);
    h.counters().inc(Mib::kListenDrops);
    const bool abort = p.tcp_abort_on_overflow || p.on_ack_overflow == OverflowAction::kReset;
    if (!abort) {
      r.acked = true;
      h.frame_drop(m.frame, DropReason::kTcpListenOverflow,
                   "final ACK dropped by " + h.name() + ": accept queue full (" + queue_text(lq, p.backlog_slack) +
                       "); the SYN-ACK will be resent");
      return;
    }
    h.frame_drop(m.frame, DropReason::kTcpListenOverflow,
                 "final ACK refused by " + h.name() + ": accept queue full (" + queue_text(lq, p.backlog_slack) +
                     ") and tcp_abort_on_overflow = 1");
    tcp_send_reset_reply(h, m, t, "accept queue full (" + queue_text(lq, p.backlog_slack) + "), tcp_abort_on_overflow = 1");
    h.counters().inc(Mib::kEmbryonicRsts);
    reqsk_unlink(h, id);
    return;
  }
  // The child has taken the request's place in the table (inet_csk_complete_hashdance).
  h.sim().queue().cancel(r.timer);
  --l->listener->reqsk_qlen;
  if (r.num_timeout == 0) --l->listener->young;
  h.reqs.erase(id);
  h.trace_note(sim::TraceKind::kNote, child, "handshake complete: new connection queued on " + h.sock_label(*l));
  accept_enqueue(h, *l, *child);
  tcp_sock_rcv(h, *child, m, t);  // the child processes the ACK: SYN-RECEIVED -> ESTABLISHED
}

void tcp_reqsk_drop(Host& h, ReqId id, std::string_view why) {
  RequestSock* r = h.reqs.get(id);
  if (!r) return;
  h.trace_note(sim::TraceKind::kNote, h.sock(r->listener),
               "half-open connection from " + r->remote.to_string() + ":" + std::to_string(r->remote_port) + " dropped",
               std::string(why));
  reqsk_unlink(h, id);
}

void tcp_reqsk_timer(Host& h, ReqId id) {
  RequestSock* rp = h.reqs.get(id);
  if (!rp) return;
  RequestSock& r = *rp;
  Sock* l = h.sock(r.listener);
  if (!l || l->tcp.state != TcpState::kListen || !l->listener) {
    reqsk_unlink(h, id);
    return;
  }
  Listener& lq = *l->listener;
  const Personality& p = h.personality();
  if (p.connection_establishment_timeout > sim::Duration::zero() &&
      h.now() >= r.created + p.connection_establishment_timeout) {
    // 4.4BSD tcp_timers TCPT_KEEP: the embryonic connection is dropped (tcp_drop, ETIMEDOUT).
    h.trace_note(sim::TraceKind::kTimer, l,
                 "connection-establishment timer: dropping half-open " + r.remote.to_string() + ":" +
                     std::to_string(r.remote_port),
                 "not established " + sim::format_human(p.connection_establishment_timeout) + " after its SYN");
    reqsk_unlink(h, id);
    return;
  }
  // reqsk_timer_handler: when the SYN queue is more than half full, old requests get fewer
  // retries ("we reserve half of room for young embrions").
  int max_retries = l->tcp.syn_retries ? l->tcp.syn_retries : p.tcp_synack_retries;
  const int qlen = lq.reqsk_qlen;
  if (p.backlog_limit == BacklogLimit::kSeparateQueues && (qlen << 1) > std::max(8, lq.backlog)) {
    int young = lq.young << 1;
    while (max_retries > 2) {
      if (qlen < young) break;
      --max_retries;
      young <<= 1;
    }
  }
  const bool expire = r.num_timeout >= max_retries;
  if (expire) {
    h.trace_note(sim::TraceKind::kTimer, l,
                 "SYN-ACK timer: giving up on " + r.remote.to_string() + ":" + std::to_string(r.remote_port),
                 std::to_string(r.num_timeout) + " SYN-ACK retransmissions unanswered");
    reqsk_unlink(h, id);
    return;
  }
  ++r.num_retrans;
  h.counters().inc(Mib::kTcpRetransSegs);
  h.counters().inc(Mib::kTCPSynRetrans);
  tcp_send_synack_req(h, r, true);
  if (r.num_timeout++ == 0) --lq.young;
  arm_reqsk(h, r, id);
}

void tcp_listen_stop(Host& h, Sock& l) {
  if (!l.listener) return;
  // Request socks die with the listener (Linux lets them expire; an ACK then finds nothing).
  std::vector<ReqId> reqs;
  h.reqs.for_each([&](ReqId id, RequestSock& r) {
    if (r.listener == l.id) reqs.push_back(id);
  });
  for (ReqId id : reqs) reqsk_unlink(h, id);
  // inet_csk_listen_stop: each child never accepted is disconnected (RST) and destroyed.
  auto& q = l.listener->accept_queue;
  for (std::size_t i = l.listener->accept_head; i < q.size(); ++i) {
    Sock* c = h.sock(q[i]);
    if (!c) continue;
    c->tcp.in_accept_queue = false;
    c->tcp.listener = 0;
    tcp_disconnect(h, *c);
    c->orphan = true;
    tcp_destroy(h, *c);
  }
  q.clear();
  l.listener->accept_head = 0;
}

}  // namespace synlab::stack
