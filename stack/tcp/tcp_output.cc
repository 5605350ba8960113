// Building and sending segments: tcp_output.c (tcp_transmit_skb, tcp_select_window,
// tcp_write_xmit, tcp_send_ack, tcp_send_active_reset) and tcp_ipv4.c / tcp_ipv6.c
// (tcp_v4_send_reset, tcp_v4_send_ack for request socks).
#include <algorithm>
#include <bit>

#include "stack/host.h"
#include "stack/ip/ip.h"
#include "stack/tcp/tcp.h"
#include "stack/tcp/tcp_fastopen.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/packetdrill_format.h"

namespace synlab::stack {
namespace {

using wire::tcp_flag::kAck;
using wire::tcp_flag::kFin;
using wire::tcp_flag::kPsh;
using wire::tcp_flag::kRst;
using wire::tcp_flag::kSyn;

constexpr int kTcpMaxWscale = 14;
constexpr std::uint32_t kTcpolenTstampAligned = 12;

// tcp_win_from_space: the part of a buffer offered as window (half, with the default
// scaling ratio of 6.x and tcp_adv_win_scale = 1 before it).
std::int64_t win_from_space(const Host& h, std::int64_t space) {
  const int a = h.personality().tcp_adv_win_scale;
  if (a <= 0) return space >> (-a);
  return space - (space >> a);
}

std::uint32_t align_up(std::uint32_t v, std::uint32_t a) { return (v + a - 1) & ~(a - 1); }

int ilog2(std::uint64_t v) { return v ? 63 - std::countl_zero(v) : 0; }

void send_segment(Host& h, const IpSendArgs& ip, const wire::TcpRepr& t, std::string cause,
                  SysResult<void>* out = nullptr) {
  const wire::IpAddr src = ip.src, dst = ip.dst;
  auto r = ip_send(h, ip, t.buffer_len(), [&](wire::MutBytes b) { t.emit(b, src, dst); }, std::move(cause));
  h.counters().inc(Mib::kTcpOutSegs);
  if (t.flags & kRst) h.counters().inc(Mib::kTcpOutRsts);
  if (out) *out = r;
}

IpSendArgs sock_ip(Host& h, Sock& s) {
  IpSendArgs a;
  a.src = s.saddr;
  a.dst = s.daddr;
  a.protocol = wire::kIpProtoTcp;
  a.oif = s.daddr.is_v6() && s.daddr.is_link_local() ? static_cast<int>(s.scope_id) : s.opt.bound_dev_if;
  a.ttl = s.opt.ttl;
  a.tos = static_cast<std::uint8_t>(s.opt.tos);
  a.flow_label = s.flow_label;
  a.df = true;
  // ip_select_ident_segs: a connected socket's inet_id counts up from a random start.
  a.ident = s.inet_id++;
  (void)h;
  return a;
}

std::string relative(const Sock& s, std::uint8_t flags, SeqNum seq, std::size_t len) {
  const std::uint32_t rseq = seq.raw - s.tcp.iss.raw;
  std::string out = wire::format_tcp_flags(flags) + " " + std::to_string(rseq) + ":" +
                    std::to_string(rseq + len) + "(" + std::to_string(len) + ")";
  if (flags & kAck) out += " ack " + std::to_string(s.tcp.rcv_nxt.raw - s.tcp.irs.raw);
  return out;
}

}  // namespace

std::string tcp_flags_text(std::uint8_t flags) { return wire::format_tcp_flags(flags); }

std::uint32_t tcp_ts_now(const Host& h, std::uint32_t ts_off) {
  // tcp_clock_ms(): a millisecond clock (ts_hz), plus the connection's random offset.
  const std::int64_t ticks = h.now().ns() / (1'000'000'000 / h.personality().ts_hz);
  return static_cast<std::uint32_t>(ticks) + ts_off;
}

std::uint16_t tcp_advmss(int mtu, bool v6) {
  // ipv4_default_advmss / ip6_default_advmss: MTU minus headers, capped by the largest
  // datagram the length field allows (65535 - 40 for IPv4 over lo gives 65495).
  if (v6) {
    const int m = mtu - 60;
    return static_cast<std::uint16_t>(std::min(m, 65535));
  }
  const int m = std::min(mtu - 40, 65535 - 40);
  return static_cast<std::uint16_t>(m);
}

std::pair<std::uint32_t, std::uint8_t> tcp_initial_window(const Host& h, int rcvbuf, int mss,
                                                          bool wscale_ok) {
  // tcp_select_initial_window.
  const std::uint32_t window_clamp = 65535u << kTcpMaxWscale;
  std::uint64_t space = static_cast<std::uint64_t>(std::max<std::int64_t>(0, win_from_space(h, rcvbuf)));
  space = std::min<std::uint64_t>(space, window_clamp);
  if (mss > 0 && space > static_cast<std::uint64_t>(mss)) space = (space / static_cast<std::uint64_t>(mss)) * static_cast<std::uint64_t>(mss);
  const std::uint32_t rcv_wnd = static_cast<std::uint32_t>(std::min<std::uint64_t>(space, 65535));
  std::uint8_t wscale = 0;
  if (wscale_ok) {
    std::uint64_t sp = std::max<std::uint64_t>(space, static_cast<std::uint64_t>(h.personality().tcp_rmem[2]));
    sp = std::max<std::uint64_t>(sp, static_cast<std::uint64_t>(h.personality().rmem_max));
    sp = std::min<std::uint64_t>(sp, window_clamp);
    wscale = static_cast<std::uint8_t>(std::clamp(ilog2(sp) - 15, 0, kTcpMaxWscale));
  }
  return {rcv_wnd, wscale};
}

std::uint16_t tcp_select_window(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  // __tcp_select_window.
  const std::int64_t allowed = win_from_space(h, tp.rcv_buf);
  std::int64_t free_space = win_from_space(h, tp.rcv_buf - static_cast<std::int64_t>(tp.rcvq.size()));
  const std::int64_t full_space = std::min<std::int64_t>(tp.window_clamp, allowed);
  std::int64_t mss = tp.rcv_mss ? tp.rcv_mss : tp.advmss;
  if (mss > full_space) mss = full_space;
  std::uint32_t window = 0;
  bool zero = false;
  if (free_space < (full_space >> 1)) {
    tp.ack_quick = 0;
    free_space = free_space & ~((std::int64_t{1} << tp.rcv_wscale) - 1);
    if (free_space < (allowed >> 4) || free_space < mss) zero = true;
  }
  if (!zero) {
    if (free_space > tp.rcv_ssthresh) free_space = tp.rcv_ssthresh;
    if (tp.rcv_wscale) {
      window = align_up(static_cast<std::uint32_t>(free_space), 1u << tp.rcv_wscale);
    } else {
      window = tp.rcv_wnd;
      if (static_cast<std::int64_t>(window) <= free_space - mss || static_cast<std::int64_t>(window) > free_space) {
        window = mss > 0 ? static_cast<std::uint32_t>((free_space / mss) * mss) : static_cast<std::uint32_t>(free_space);
      } else if (mss == full_space && free_space > static_cast<std::int64_t>(window) + (full_space >> 1)) {
        window = static_cast<std::uint32_t>(free_space);
      }
    }
  }
  // tcp_select_window: never shrink the window already offered.
  const std::int32_t cur = static_cast<std::int32_t>(tp.rcv_wup.raw + tp.rcv_wnd - tp.rcv_nxt.raw);
  std::uint32_t new_win = window;
  if (cur > 0 && new_win < static_cast<std::uint32_t>(cur)) new_win = align_up(static_cast<std::uint32_t>(cur), 1u << tp.rcv_wscale);
  tp.rcv_wnd = new_win;
  tp.rcv_wup = tp.rcv_nxt;
  new_win = std::min<std::uint32_t>(new_win, 65535u << tp.rcv_wscale);
  return static_cast<std::uint16_t>(new_win >> tp.rcv_wscale);
}

SysResult<void> tcp_transmit(Host& h, Sock& s, std::uint8_t flags, SeqNum seq,
                             std::span<const std::uint8_t> payload, std::string cause) {
  TcpCb& tp = s.tcp;
  wire::TcpRepr t;
  // inet_sport: still set after the port went back to the pool (an RST after CLOSE).
  t.src_port = s.sport;
  t.dst_port = s.dport;
  t.seq = seq.raw;
  t.flags = flags;
  t.ack = (flags & kAck) ? tp.rcv_nxt.raw : 0;
  t.payload = payload;
  if (flags & kSyn) {
    // RFC 7323 §2.2: the window in a SYN or SYN-ACK is never scaled.
    t.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(tp.rcv_wnd, 65535));
    const Personality& p = h.personality();
    const bool synack = (flags & kAck) != 0;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> ts;
    if (synack ? tp.ts_ok : p.tcp_timestamps) ts = std::make_pair(tcp_ts_now(h, tp.ts_off), synack ? tp.ts_recent : 0u);
    std::optional<std::uint8_t> ws;
    if (synack ? tp.wscale_ok : p.tcp_window_scaling) ws = tp.rcv_wscale;
    const bool sack = synack ? tp.sack_ok : p.tcp_sack;
    std::uint16_t mss = tp.advmss;
    if (tp.user_mss && tp.user_mss < mss) mss = tp.user_mss;
    // A Fast Open cookie or cookie request goes last (tcp_syn_options / tcp_synack_options).
    t.options = wire::linux_syn_options(mss, sack, ts, ws, tcp_fastopen_syn_option(s, synack));
  } else {
    t.window = (flags & kRst) && !(flags & kAck) ? 0 : tcp_select_window(h, s);
    if (tp.ts_ok) {
      t.options.add_nop().add_nop().add_timestamps(tcp_ts_now(h, tp.ts_off), tp.ts_recent);
    }
    // tcp_options_write: a pending D-SACK block rides on the next ACK as <nop,nop,sack L:R>.
    if (tp.dsack_pending && (flags & kAck) && !(flags & kRst)) {
      t.options.add_nop().add_nop().add_sack(wire::SackBlocks{{tp.dsack_start.raw, tp.dsack_end.raw}});
      tp.dsack_pending = false;
    }
  }
  if (h.observed() && !cause.empty()) cause = relative(s, flags, seq, payload.size()) + ": " + cause;
  if (flags & kAck) {
    // Any segment carrying an ACK satisfies a pending delayed ACK (tcp_event_ack_sent).
    tp.ack_pending = false;
    h.sim().queue().cancel(tp.delack_timer);
    if (tp.ack_quick > 0 && !(flags & kSyn)) --tp.ack_quick;
  }
  SysResult<void> r;
  send_segment(h, sock_ip(h, s), t, std::move(cause), &r);
  return r;
}

void tcp_send_syn(Host& h, Sock& s, bool retransmit) {
  TcpCb& tp = s.tcp;
  ++tp.syn_sent_count;
  std::string cause;
  if (h.observed()) {
    if (retransmit) {
      cause = "SYN retransmission " + std::to_string(tp.syn_sent_count - 1) + ", RTO " + sim::format_human(tp.rto);
    } else {
      cause = "connect() to " + s.daddr.to_string() + " port " + std::to_string(s.dport) + ": SYN";
    }
  }
  auto r = tcp_transmit(h, s, kSyn, tp.iss, {}, std::move(cause));
  (void)r;
}

void tcp_send_synack_sock(Host& h, Sock& s, bool retransmit) {
  TcpCb& tp = s.tcp;
  ++tp.syn_sent_count;
  std::string cause;
  if (h.observed()) {
    cause = retransmit ? "SYN-ACK retransmission " + std::to_string(tp.syn_sent_count - 1)
                       : "SYN-ACK: our SYN crossed the peer's (simultaneous open)";
  }
  auto r = tcp_transmit(h, s, kSyn | kAck, tp.iss, {}, std::move(cause));
  (void)r;
}

void tcp_send_ack(Host& h, Sock& s, std::string_view why) {
  std::string cause;
  if (h.observed()) cause = why.empty() ? "ACK" : std::string(why);
  auto r = tcp_transmit(h, s, kAck, s.tcp.snd_nxt, {}, std::move(cause));
  (void)r;
}

void tcp_send_active_reset(Host& h, Sock& s, std::string_view why) {
  // tcp_send_active_reset: RST|ACK at snd_nxt (tcp_acceptable_seq).
  std::string cause;
  if (h.observed()) cause = "RST: " + std::string(why);
  auto r = tcp_transmit(h, s, kRst | kAck, s.tcp.snd_nxt, {}, std::move(cause));
  (void)r;
}

void tcp_send_reset_reply(Host& h, const IpMeta& m, const wire::TcpRepr& t, std::string why) {
  // tcp_v4_send_reset: never answer an RST; never to a broadcast or multicast address.
  if (t.flags & kRst) return;
  if (m.dst.is_multicast() || h.is_broadcast_address(m.dst) || m.src.is_multicast() || m.src.is_unspecified()) return;
  wire::TcpRepr r;
  r.src_port = t.dst_port;
  r.dst_port = t.src_port;
  if (t.flags & kAck) {
    // RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST>.
    r.seq = t.ack;
    r.flags = kRst;
  } else {
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    r.seq = 0;
    r.ack = t.seq + t.seq_len();
    r.flags = kRst | kAck;
  }
  r.window = 0;
  IpSendArgs a;
  a.src = m.dst;
  a.dst = m.src;
  a.protocol = wire::kIpProtoTcp;
  a.oif = m.src.is_v6() && m.src.is_link_local() ? m.ifindex : 0;
  a.df = true;
  a.ident = 0;  // ip_send_unicast_reply from an unconnected control socket: DF, id 0
  std::string cause;
  if (h.observed()) cause = "RST: " + why;
  send_segment(h, a, r, std::move(cause));
}

void tcp_send_reset_for(Host& h, const IpMeta& m, wire::Bytes segment, std::string why) {
  auto t = wire::TcpRepr::parse(segment, m.src, m.dst, wire::ChecksumCheck::kSkip);
  if (!t) return;
  tcp_send_reset_reply(h, m, *t, std::move(why));
}

void tcp_send_synack_req(Host& h, RequestSock& r, bool retransmit, std::optional<std::uint32_t> cookie_ts,
                         const TfoCookie* fastopen) {
  Sock* l = h.sock(r.listener);
  wire::TcpRepr t;
  t.src_port = r.local_port;
  t.dst_port = r.remote_port;
  t.seq = r.snt_isn.raw;
  t.ack = r.rcv_isn.raw + 1;
  t.flags = kSyn | kAck;
  t.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(r.rcv_wnd, 65535));
  std::optional<std::pair<std::uint32_t, std::uint32_t>> ts;
  if (r.ts_ok) ts = std::make_pair(cookie_ts ? *cookie_ts : tcp_ts_now(h, r.ts_off), r.ts_recent);
  std::optional<std::uint8_t> ws;
  if (r.wscale_ok) ws = r.rcv_wscale;
  std::uint16_t mss = tcp_advmss(h.interface(r.ifindex) ? h.interface(r.ifindex)->mtu : 1500, r.local.is_v6());
  if (l && l->tcp.user_mss && l->tcp.user_mss < mss) mss = l->tcp.user_mss;
  t.options = wire::linux_syn_options(mss, r.sack_ok, ts, ws,
                                     fastopen ? tcp_fastopen_option(*fastopen) : std::nullopt);
  IpSendArgs a;
  a.src = r.local;
  a.dst = r.remote;
  a.protocol = wire::kIpProtoTcp;
  a.oif = r.remote.is_v6() && r.remote.is_link_local() ? r.ifindex : 0;
  a.df = true;
  a.ident = 0;  // ip_build_and_send_pkt: DF set, id 0
  a.flow_label = r.ts_off & 0xfffff;  // the request's tx hash stands in for its flow label
  std::string cause;
  if (h.observed()) {
    const std::string l_label = l ? h.sock_label(*l) : "listener";
    if (cookie_ts || (!retransmit && r.num_retrans < 0)) {
      cause = "SYN-ACK with a SYN cookie: the SYN queue of " + l_label + " is full";
    } else if (retransmit) {
      cause = "SYN-ACK retransmission " + std::to_string(r.num_retrans) + " (request timer)";
    } else {
      cause = "SYN-ACK: " + l_label + " answers a connection request";
      if (fastopen && fastopen->len > 0) cause += ", with a Fast Open cookie (the SYN's data, if any, is not acknowledged)";
    }
    cause = std::string(wire::format_tcp_flags(t.flags)) + " 0:0(0) ack 1: " + cause;
  }
  send_segment(h, a, t, std::move(cause));
}

void tcp_reqsk_send_ack(Host& h, const RequestSock& r, const IpMeta& m) {
  // tcp_v4_reqsk_send_ack: an ACK for an out-of-window segment in SYN-RECEIVED.
  wire::TcpRepr t;
  t.src_port = r.local_port;
  t.dst_port = r.remote_port;
  t.seq = r.snt_isn.raw + 1;
  t.ack = r.rcv_isn.raw + 1;
  t.flags = kAck;
  t.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(r.rcv_wnd >> r.rcv_wscale, 65535));
  if (r.ts_ok) t.options.add_nop().add_nop().add_timestamps(tcp_ts_now(h, r.ts_off), r.ts_recent);
  IpSendArgs a;
  a.src = m.dst;
  a.dst = m.src;
  a.protocol = wire::kIpProtoTcp;
  a.df = true;
  std::string cause;
  if (h.observed()) cause = "ACK: out-of-window segment for a half-open connection";
  send_segment(h, a, t, std::move(cause));
}

void tcp_push(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  // A Fast Open child may send before the final ACK (tcp_passive_fastopen).
  const bool passive_fastopen = tp.state == TcpState::kSynReceived && tp.fastopen->rsk;
  if (tp.state == TcpState::kClosed || tp.state == TcpState::kListen || tp.state == TcpState::kSynSent ||
      (tp.state == TcpState::kSynReceived && !passive_fastopen)) {
    return;
  }
  const std::uint32_t mss = std::max<std::uint32_t>(tp.mss_cache, 1);
  bool sent_any = false;
  for (;;) {
    const std::uint32_t sent = static_cast<std::uint32_t>(tp.snd_nxt - tp.snd_una);
    // The FIN occupies one sequence number after the data; it is not in sndq.
    const std::uint32_t queued = static_cast<std::uint32_t>(tp.sndq.size());
    const std::uint32_t unsent = sent >= queued ? 0 : queued - sent;
    const bool fin_to_send = tp.fin_queued && !tp.fin_sent;
    if (unsent == 0 && !fin_to_send) break;
    // Send window and congestion window (only the initial window matters here).
    const SeqNum wnd_end = tp.snd_una + tp.snd_wnd;
    const std::int32_t wnd_room = wnd_end - tp.snd_nxt;
    const std::int64_t cwnd_room = static_cast<std::int64_t>(tp.cwnd) * mss - sent;
    std::uint32_t len = std::min<std::uint32_t>(unsent, mss);
    if (len > 0) {
      if (wnd_room <= 0 || cwnd_room <= 0) break;
      len = std::min<std::uint32_t>(len, static_cast<std::uint32_t>(wnd_room));
      len = static_cast<std::uint32_t>(std::min<std::int64_t>(len, cwnd_room));
      if (len == 0) break;
    }
    std::uint8_t flags = kAck;
    const bool last = len == unsent;
    // PSH on the last byte queued, and on the last segment of a burst the windows cut short
    // (measured by packetdrill's mss-setsockopt-tcp_maxseg and shutdown-rdwr scripts on
    // Linux: `P. 1:11001(11000)` for a 12000-byte write with IW10 and MSS 1100).
    const bool window_cut = len > 0 && !last &&
                            (static_cast<std::int64_t>(len) >= cwnd_room || static_cast<std::int32_t>(len) >= wnd_room);
    if (len > 0 && (last || window_cut)) flags |= kPsh;
    bool with_fin = false;
    if (fin_to_send && last) {
      flags |= kFin;
      with_fin = true;
    }
    const auto data = tp.sndq.peek(sent, len);
    std::string cause;
    if (h.observed()) {
      if (with_fin && len == 0) cause = "FIN: " + std::string(tp.fin_queued ? "the application closed or shut down writing" : "");
      else if (with_fin) cause = "data and FIN";
      else cause = "data (" + std::to_string(len) + " bytes)";
    }
    const SeqNum seq = tp.snd_nxt;
    tp.snd_nxt += len + (with_fin ? 1 : 0);
    if (with_fin) {
      tp.fin_sent = true;
      tp.fin_seq = seq + len;
    }
    if (!tp.rtt_timing) {
      tp.rtt_timing = true;
      tp.rtt_seq = tp.snd_nxt;
      tp.rtt_seq_sent = h.now();
    }
    if (!tp.retrans_stamp_set) {
      tp.retrans_stamp = h.now();
      tp.retrans_stamp_set = true;
    }
    if (len > 0) {
      h.counters().inc(Mib::kTCPOrigDataSent);
      // tcp_event_data_sent: a reply within ATO of the last received segment makes the
      // connection interactive (ping-pong): ACKs are then delayed to ride on replies.
      if (tp.ato > sim::Duration::zero() && h.now() - tp.lrcvtime < tp.ato) tp.pingpong = true;
    }
    auto r = tcp_transmit(h, s, flags, seq, data, std::move(cause));
    (void)r;
    sent_any = true;
    if (with_fin) break;
  }
  // tcp_event_new_data_sent / tcp_schedule_loss_probe: the RTO when none runs, and a loss
  // probe in its place when one may be scheduled.
  if (sent_any && (!h.sim().queue().pending(tp.rtx_timer) || tp.tlp_armed)) tcp_set_xmit_timer(h, s);
}

void tcp_ack_snd_check(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  if (!tp.ack_pending) return;
  // __tcp_ack_snd_check: ACK at once when more than one full segment is unacknowledged (and
  // the window would not shrink), in quickack mode, or with out-of-order data queued.
  const std::uint32_t unacked = static_cast<std::uint32_t>(tp.rcv_nxt - tp.rcv_wup);
  const bool quick = tp.ack_quick > 0 && !tp.pingpong;
  if ((tp.rcv_mss && unacked > tp.rcv_mss) || quick || !tp.ooo.empty()) {
    tcp_send_ack(h, s, quick ? "ACK (quick-ack mode)" : (!tp.ooo.empty() ? "ACK: out-of-order data" : "ACK: two segments received"));
    return;
  }
  tcp_schedule_delack(h, s);
}

}  // namespace synlab::stack
