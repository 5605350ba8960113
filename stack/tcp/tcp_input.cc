// Segment arrival: RFC 9293 §3.10.7 "SEGMENT ARRIVES", as Linux implements it in
// tcp_ipv4.c (tcp_v4_rcv), tcp_input.c (tcp_rcv_state_process, tcp_rcv_synsent_state_process,
// tcp_validate_incoming, tcp_ack, tcp_data_queue, tcp_fin, tcp_reset) and tcp_minisocks.c
// (tcp_timewait_state_process).
#include <algorithm>

#include "stack/host.h"
#include "stack/ip/neighbour.h"
#include "stack/socket/wait.h"
#include "stack/tcp/tcp.h"
#include "stack/tcp/tcp_fastopen.h"

namespace synlab::stack {
namespace {

using wire::tcp_flag::kAck;
using wire::tcp_flag::kFin;
using wire::tcp_flag::kPsh;
using wire::tcp_flag::kRst;
using wire::tcp_flag::kSyn;

constexpr int kMaxQuickAcks = 16;  // TCP_MAX_QUICKACKS

std::int32_t receive_window(const TcpCb& tp) {
  // tcp_receive_window: what is left of the window last advertised.
  const std::int32_t w = static_cast<std::int32_t>(tp.rcv_wup.raw + tp.rcv_wnd - tp.rcv_nxt.raw);
  return w < 0 ? 0 : w;
}

bool oow_rate_limited(Host& h, Sock& s, const wire::TcpRepr& t) {
  // tcp_oow_rate_limited: data segments are never limited; otherwise one reply per
  // tcp_invalid_ratelimit (500 ms).
  if (!t.payload.empty() && !(t.flags & kSyn)) return false;
  TcpCb& tp = s.tcp;
  if (tp.last_oow_ack_set && h.now() - tp.last_oow_ack < sim::Duration::millis(500)) return true;
  tp.last_oow_ack = h.now();
  tp.last_oow_ack_set = true;
  return false;
}

void send_dupack(Host& h, Sock& s, const wire::TcpRepr& t, std::string_view why) {
  if (oow_rate_limited(h, s, t)) return;
  tcp_send_ack(h, s, why);
}

void send_challenge_ack(Host& h, Sock& s, const wire::TcpRepr& t, std::string_view why) {
  // RFC 5961 §3.2 / §4.2 (tcp_send_challenge_ack); the global limit is INT_MAX since 5.19.
  if (oow_rate_limited(h, s, t)) return;
  h.counters().inc(Mib::kTCPChallengeACK);
  tcp_send_ack(h, s, std::string("challenge ACK (RFC 5961): ") + std::string(why));
}

// tcp_reset: the peer reset the connection.
void tcp_reset(Host& h, Sock& s, const IpMeta& m) {
  Errno err = Errno::kECONNRESET;
  std::string why;
  switch (s.tcp.state) {
    case TcpState::kSynSent:
      err = Errno::kECONNREFUSED;
      why = "RST in reply to our SYN: connection refused";
      break;
    case TcpState::kCloseWait:
      err = Errno::kEPIPE;
      why = "RST after the peer's FIN";
      break;
    case TcpState::kClosed:
      return;
    case TcpState::kListen:
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
    case TcpState::kClosing:
    case TcpState::kLastAck:
    case TcpState::kTimeWait:
      err = Errno::kECONNRESET;
      why = "RST from the peer: connection reset";
      break;
  }
  h.frame_drop(m.frame, DropReason::kTcpReset, why);
  s.tcp.sndq.clear();
  // tcp_check_req for a Fast Open child: "received a valid RST pkt" (reqsk_fastopen_remove
  // with reset: an accepted child keeps its Fast Open queue slot for a while).
  tcp_fastopen_child_gone(h, s, true);
  tcp_done_with_error(h, s, err, why);
}

// tcp_event_data_recv: the delayed-ACK engine's view of arriving data.
void event_data_recv(Host& h, Sock& s, std::size_t len) {
  TcpCb& tp = s.tcp;
  const Personality& p = h.personality();
  if (len >= 536) tp.rcv_mss = std::max<std::uint32_t>(tp.rcv_mss, static_cast<std::uint32_t>(len));
  const sim::Time now = h.now();
  if (tp.ato == sim::Duration::zero()) {
    // The first data segment: start in quickack mode (tcp_incr_quickack).
    const std::uint32_t mss = std::max<std::uint32_t>(tp.rcv_mss, 1);
    int quick = static_cast<int>(tp.rcv_wnd / (2 * mss));
    tp.ack_quick = std::min(std::max(quick, 2), kMaxQuickAcks);
    tp.ato = p.delayed_ack_min;
  } else {
    const sim::Duration m = now - tp.lrcvtime;
    if (m <= p.delayed_ack_min / 2) {
      tp.ato = tp.ato / 2 + p.delayed_ack_min / 2;
    } else if (m < tp.ato) {
      tp.ato = tp.ato / 2 + m;
      if (tp.ato > tp.rto) tp.ato = tp.rto;
    } else if (m > tp.rto) {
      // Too long a gap: back to quickack mode.
      const std::uint32_t mss = std::max<std::uint32_t>(tp.rcv_mss, 1);
      tp.ack_quick = std::min(static_cast<int>(tp.rcv_wnd / (2 * mss)), kMaxQuickAcks);
    }
  }
  tp.lrcvtime = now;
}

// tcp_fin: the peer's FIN has been accepted in sequence.
void tcp_fin(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  tp.ack_pending = true;
  tp.fin_received = true;
  s.shutdown |= kRcvShutdown;
  switch (tp.state) {
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
      tcp_set_state(h, s, TcpState::kCloseWait, "FIN from the peer");
      tp.pingpong = true;
      break;
    case TcpState::kCloseWait:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      break;  // a retransmitted FIN
    case TcpState::kFinWait1:
      // Simultaneous close.
      tcp_send_ack(h, s, "ACK of the peer's FIN (simultaneous close)");
      tcp_set_state(h, s, TcpState::kClosing, "FIN from the peer while ours is unacknowledged");
      break;
    case TcpState::kFinWait2:
      tcp_send_ack(h, s, "ACK of the peer's FIN");
      tcp_time_wait(h, s, TcpState::kTimeWait, sim::Duration::zero());
      break;
    case TcpState::kClosed:
    case TcpState::kListen:
    case TcpState::kSynSent:
    case TcpState::kTimeWait:
      break;
  }
  tp.ooo.clear();
  wake(h, s.id);
}

void queue_in_order(Host& h, Sock& s, std::span<const std::uint8_t> data, bool fin) {
  TcpCb& tp = s.tcp;
  if (!data.empty()) {
    tp.rcvq.append(data);
    tp.rcv_nxt += static_cast<std::uint32_t>(data.size());
    event_data_recv(h, s, data.size());
  }
  tp.ack_pending = true;
  if (fin) {
    tp.rcv_nxt += 1;
    tcp_fin(h, s);
    return;
  }
  // Out-of-order segments that now fit.
  bool progressed = true;
  while (progressed && !tp.ooo.empty()) {
    progressed = false;
    for (auto it = tp.ooo.begin(); it != tp.ooo.end(); ++it) {
      if (after(it->seq, tp.rcv_nxt)) continue;
      const std::uint32_t skip = static_cast<std::uint32_t>(tp.rcv_nxt - it->seq);
      const bool seg_fin = it->fin;
      std::vector<std::uint8_t> d;
      if (skip < it->data.size()) d.assign(it->data.begin() + skip, it->data.end());
      const bool covers_fin = seg_fin && skip <= it->data.size();
      tp.ooo.erase(it);
      if (!d.empty()) {
        tp.rcvq.append(d);
        tp.rcv_nxt += static_cast<std::uint32_t>(d.size());
      }
      if (covers_fin) {
        tp.rcv_nxt += 1;
        tcp_fin(h, s);
        return;
      }
      progressed = true;
      break;
    }
  }
  wake(h, s.id);
}

// tcp_data_queue.
void data_queue(Host& h, Sock& s, const wire::TcpRepr& t) {
  TcpCb& tp = s.tcp;
  const bool fin = (t.flags & kFin) != 0;
  const SeqNum seq(t.seq);
  std::span<const std::uint8_t> data = t.payload;
  // "if (TCP_SKB_CB(skb)->seq == TCP_SKB_CB(skb)->end_seq)": a SYN counts, so the duplicate
  // SYN-ACK of a simultaneous open goes on to be ACKed as old data.
  if (t.seq_len() == 0) return;
  if (seq == tp.rcv_nxt) {
    if (!data.empty() && receive_window(tp) == 0) {
      h.counters().drop(DropReason::kTcpZeroWindow);
      tp.ack_quick = kMaxQuickAcks;
      tp.ack_pending = true;
      return;
    }
    if (!data.empty() && static_cast<std::int64_t>(tp.rcvq.size() + data.size()) > tp.rcv_buf) {
      h.counters().inc(Mib::kTCPRcvQDrop);
      h.counters().drop(DropReason::kSocketRcvBuff);
      tp.ack_pending = true;
      return;
    }
    const bool had_ooo = !tp.ooo.empty();
    queue_in_order(h, s, data, fin);
    if (had_ooo) tp.ack_quick = std::max(tp.ack_quick, 1);
    return;
  }
  const SeqNum end = seq + static_cast<std::uint32_t>(data.size()) + (fin ? 1 : 0);
  if (!after(end, tp.rcv_nxt)) {
    // A retransmission of what we have: ACK at once (quickack), as Linux's out_of_window.
    // With SACK negotiated the ACK reports the duplicate as a D-SACK block (tcp_dsack_set),
    // a SYN included: the SYN-ACK of a simultaneous open gets [ISN, ISN+1) (topic 13).
    if (tp.sack_ok) {
      tp.dsack_pending = true;
      tp.dsack_start = seq;
      tp.dsack_end = seq + t.seq_len();
    }
    h.counters().drop(DropReason::kTcpOldData);
    tp.ack_quick = kMaxQuickAcks;
    tp.ack_pending = true;
    return;
  }
  if (!before(seq, tp.rcv_nxt + static_cast<std::uint32_t>(receive_window(tp)))) {
    h.counters().drop(DropReason::kTcpOverWindow);
    tp.ack_quick = kMaxQuickAcks;
    tp.ack_pending = true;
    return;
  }
  if (before(seq, tp.rcv_nxt)) {
    // Partly new: keep the part from rcv_nxt.
    const std::uint32_t skip = static_cast<std::uint32_t>(tp.rcv_nxt - seq);
    queue_in_order(h, s, data.subspan(std::min<std::size_t>(skip, data.size())), fin);
    return;
  }
  // Out of order: keep it, ACK at once (the duplicate ACK tells the sender about the hole).
  h.counters().inc(Mib::kTCPOFOQueue);
  OooSegment o;
  o.seq = seq;
  o.data.assign(data.begin(), data.end());
  o.fin = fin;
  auto pos = std::find_if(tp.ooo.begin(), tp.ooo.end(), [&](const OooSegment& x) { return after(x.seq, seq); });
  tp.ooo.insert(pos, std::move(o));
  tp.ack_pending = true;
}

enum class AckResult { kOk, kOld, kTooOld, kUnsent };

// tcp_ack, reduced to what connection semantics need: window update, acknowledged data,
// RTT samples, the retransmission timer.
AckResult process_ack(Host& h, Sock& s, const wire::TcpRepr& t) {
  TcpCb& tp = s.tcp;
  const SeqNum ack(t.ack);
  const SeqNum prior = tp.snd_una;
  if (before(ack, prior)) {
    if (before(ack, prior - tp.max_window)) return AckResult::kTooOld;
    return AckResult::kOld;
  }
  if (after(ack, tp.snd_nxt)) return AckResult::kUnsent;

  // tcp_ack_update_window (RFC 9293 §3.10.7.4: SND.WL1/WL2).
  const std::uint32_t nwin = seg_window(s, t);
  const SeqNum seq(t.seq);
  if (after(ack, prior) || after(seq, tp.snd_wl1) || (seq == tp.snd_wl1 && nwin > tp.snd_wnd)) {
    tp.snd_wnd = nwin;
    tp.snd_wl1 = seq;
    tp.max_window = std::max(tp.max_window, nwin);
  }
  if (ack == prior) return AckResult::kOk;

  // Data acknowledged.
  std::uint32_t acked = static_cast<std::uint32_t>(ack - prior);
  tp.snd_una = ack;
  std::uint32_t data_acked = acked;
  if (tp.fin_sent && !before(ack, tp.fin_seq + 1)) data_acked = acked - 1;
  tp.sndq.consume(std::min<std::size_t>(data_acked, tp.sndq.size()));
  if (tp.retransmits == 0 && tp.rtt_timing && !before(ack, tp.rtt_seq)) {
    tcp_rtt_sample(h, s, h.now() - tp.rtt_seq_sent);
  }
  tp.rtt_timing = false;
  tp.retransmits = 0;
  tp.backoff = 0;
  tp.rtx_count = 0;
  if (tp.srtt > sim::Duration::zero()) {
    const sim::Duration rto = tp.srtt / 8 + tp.rttvar;
    const std::int64_t ms = (rto.ns() + 999'999) / 1'000'000;
    tp.rto = std::min(sim::Duration::millis(ms), h.personality().rto_max);
  }
  neigh_confirm(h, 0, s.daddr);
  if (tp.snd_una == tp.snd_nxt) {
    h.sim().queue().cancel(tp.rtx_timer);
    tp.retrans_stamp_set = false;
  } else {
    tp.retrans_stamp = h.now();
    tp.retrans_stamp_set = true;
    tcp_set_xmit_timer(h, s);
  }
  // tcp_process_tlp_ack: an ACK beyond the probe ends it.
  if (tp.tlp_outstanding && after(ack, SeqNum(tp.tlp_high_seq - 1))) tp.tlp_outstanding = false;
  wake(h, s.id);  // room in the send queue
  return AckResult::kOk;
}

void store_ts_recent(Host& h, TcpCb& tp, const std::optional<wire::TcpTimestamps>& ts) {
  if (!ts) return;
  tp.ts_recent = ts->val;
  tp.ts_recent_stamp = h.now();
}

// RFC 7323 §5 (tcp_paws_discard): a segment whose TS value is older than ts_recent.
bool paws_reject(const TcpCb& tp, const std::optional<wire::TcpTimestamps>& ts, bool rst) {
  if (!tp.ts_ok || !ts || rst) return false;
  if (tp.ts_recent == 0) return false;
  return static_cast<std::int32_t>(tp.ts_recent - ts->val) > 1;
}

bool p_ts_ok(const Host& h) { return h.personality().tcp_timestamps; }

void finish_connect(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  tcp_set_state(h, s, TcpState::kEstablished, "SYN-ACK received: handshake complete");
  tp.lrcvtime = h.now();
  h.sim().queue().cancel(tp.rtx_timer);
  wake(h, s.id);
}

// tcp_rcv_synsent_state_process. Returns true when the segment needs an RST in reply.
bool synsent(Host& h, Sock& s, const IpMeta& m, const wire::TcpRepr& t) {
  TcpCb& tp = s.tcp;
  const std::uint8_t f = t.flags;
  const auto ts = t.options.timestamps();
  if (f & kAck) {
    // RFC 9293: SEG.ACK =< ISS or SEG.ACK > SND.NXT: reset (unless RST).
    if (!after(SeqNum(t.ack), tp.snd_una) || after(SeqNum(t.ack), tp.snd_nxt)) {
      h.frame_drop(m.frame, DropReason::kTcpInvalidAckSequence, "ACK does not acknowledge our SYN");
      // "Previous FIN/ACK or RST/ACK might be ignored": retry the SYN after TCP_TIMEOUT_MIN
      // (2 jiffies) unless a retransmission already happened (measured: ~10 ms at HZ=250).
      if (tp.retransmits == 0) {
        tcp_reset_rtx_timer(h, s, sim::Duration::nanos(2 * 1'000'000'000LL / h.personality().hz));
      }
      return !(f & kRst);
    }
    if (ts && p_ts_ok(h) && ts->ecr != 0) {
      // PAWS for the SYN-ACK: its echo must be a TS value we sent.
      const std::uint32_t ecr = ts->ecr - tp.ts_off;
      // Linux keeps retrans_stamp in TS clock units, so the window is [ts(first SYN), ts(now)]:
      // the tick count at the SYN, not now's ticks minus the elapsed whole milliseconds (which
      // is one tick too high when the SYN went out late in a tick).
      const std::int64_t tick_ns = 1'000'000'000 / h.personality().ts_hz;
      const std::uint32_t lo = static_cast<std::uint32_t>(tp.retrans_stamp.ns() / tick_ns);
      const std::uint32_t hi = tcp_ts_now(h, 0);
      if (!(ecr - lo <= hi - lo)) {
        h.frame_drop(m.frame, DropReason::kTcpRfc7323Paws, "SYN-ACK echoes a timestamp we never sent");
        return !(f & kRst);
      }
    }
    if (f & kRst) {
      tcp_reset(h, s, m);
      return false;
    }
    if (!(f & kSyn)) {
      h.frame_drop(m.frame, DropReason::kTcpFlags, "ACK without SYN in SYN-SENT");
      return false;
    }
    // Our SYN is acknowledged: RFC 9293 "change the connection state to ESTABLISHED".
    tp.snd_wl1 = SeqNum(t.seq);
    const sim::Duration rtt = h.now() - tp.retrans_stamp;
    const bool retransmitted = tp.retransmits > 0;
    tp.snd_una = SeqNum(t.ack);
    tp.rcv_nxt = tp.rcv_wup = SeqNum(t.seq) + 1;
    tp.irs = SeqNum(t.seq);
    // RFC 7323 §2.2: the SYN-ACK's window is not scaled.
    tp.snd_wnd = t.window;
    tp.max_window = tp.snd_wnd;
    const Personality& p = h.personality();
    const auto ws = t.options.window_scale();
    if (ws && p.tcp_window_scaling) {
      tp.wscale_ok = true;
      tp.snd_wscale = std::min<std::uint8_t>(*ws, 14);
    } else {
      tp.wscale_ok = false;
      tp.snd_wscale = tp.rcv_wscale = 0;
      tp.window_clamp = std::min<std::uint32_t>(tp.window_clamp, 65535);
    }
    tp.sack_ok = t.options.sack_permitted() && p.tcp_sack;
    if (auto mss = t.options.mss(); mss && *mss) tp.mss_clamp = *mss;
    if (tp.user_mss && tp.user_mss < tp.mss_clamp) tp.mss_clamp = tp.user_mss;
    if (ts && p.tcp_timestamps) {
      tp.ts_ok = true;
      tp.advmss = static_cast<std::uint16_t>(tp.advmss - 12);
      store_ts_recent(h, tp, ts);
    } else {
      tp.ts_ok = false;
    }
    // tcp_sync_mss.
    const Interface* iface = nullptr;
    const OutRoute rt = ip_route_output(h, s.daddr, s.opt.bound_dev_if, s.saddr);
    if (rt.error == Errno::kOk) iface = h.interface(rt.ifindex);
    const int pmtu_mss = tcp_advmss(iface ? iface->mtu : 1500, s.daddr.is_v6());
    tp.mss_cache = static_cast<std::uint16_t>(std::max(48, std::min<int>(tp.mss_clamp, pmtu_mss) - (tp.ts_ok ? 12 : 0)));
    tp.rcv_mss = std::min<std::uint32_t>(tp.advmss, tp.mss_cache);
    if (!retransmitted) tcp_rtt_sample(h, s, rtt);
    tp.retransmits = 0;
    tp.retrans_stamp_set = false;
    neigh_confirm(h, 0, s.daddr);
    finish_connect(h, s);
    // tcp_rcv_fastopen_synack: cache the cookie; SYN data the SYN-ACK did not acknowledge goes
    // again at once, and that segment carries the ACK.
    if (tcp_fastopen_synack(h, s, t, retransmitted)) return false;
    if (tcp_fastopen_write_pending(s)) {
      // sk_write_pending: a writer blocked in sendto(MSG_FASTOPEN) has data the SYN did not
      // take; the ACK waits (up to TCP_DELACK_MAX) to ride on it.
      tp.ack_pending = true;
      tp.ack_quick = std::max(tp.ack_quick, kMaxQuickAcks);
      const sim::Duration ato = tp.ato;
      tp.ato = h.personality().delayed_ack_max;
      tcp_schedule_delack(h, s);
      tp.ato = ato;
      return false;
    }
    // Linux sends the ACK at once unless data is waiting to go (then it rides on the data).
    if (!tp.sndq.empty() || tp.fin_queued) {
      tp.ack_pending = true;
      tcp_push(h, s);
      if (tp.ack_pending) tcp_send_ack(h, s, "ACK of the SYN-ACK");
    } else {
      tcp_send_ack(h, s, "ACK of the SYN-ACK: handshake complete");
    }
    return false;
  }
  if (f & kRst) {
    h.frame_drop(m.frame, DropReason::kTcpReset, "RST without ACK in SYN-SENT is ignored");
    return false;
  }
  if (paws_reject(tp, ts, false) && tp.ts_recent_stamp > sim::Time::zero()) {
    h.frame_drop(m.frame, DropReason::kTcpRfc7323Paws);
    return false;
  }
  if (f & kSyn) {
    // Crossed SYNs: simultaneous open (RFC 9293 §3.5, figure 7).
    tcp_set_state(h, s, TcpState::kSynReceived, "the peer's SYN crossed ours (simultaneous open)");
    const Personality& p = h.personality();
    if (ts && p.tcp_timestamps) {
      tp.ts_ok = true;
      store_ts_recent(h, tp, ts);
    }
    if (const auto ws = t.options.window_scale(); ws && p.tcp_window_scaling) {
      tp.wscale_ok = true;
      tp.snd_wscale = std::min<std::uint8_t>(*ws, 14);
    } else {
      tp.wscale_ok = false;
      tp.snd_wscale = tp.rcv_wscale = 0;
    }
    tp.sack_ok = t.options.sack_permitted() && p.tcp_sack;
    if (auto mss = t.options.mss(); mss && *mss) tp.mss_clamp = *mss;
    tp.irs = SeqNum(t.seq);
    tp.rcv_nxt = tp.rcv_wup = SeqNum(t.seq) + 1;
    tp.snd_wnd = t.window;
    tp.snd_wl1 = SeqNum(t.seq);
    tp.max_window = tp.snd_wnd;
    tp.mss_cache = static_cast<std::uint16_t>(std::max(48, std::min<int>(tp.mss_clamp, tp.advmss) - (tp.ts_ok ? 12 : 0)));
    tcp_send_synack_sock(h, s, false);
    return false;
  }
  h.frame_drop(m.frame, DropReason::kTcpFlags, "neither SYN nor RST in SYN-SENT");
  return false;
}

// Segments for a socket in TIME_WAIT, or an orphaned FIN_WAIT_2 past close(), which Linux
// turns into a timewait socket with substate FIN_WAIT2 (tcp_timewait_state_process).
void timewait_rcv(Host& h, Sock& s, const IpMeta& m, const wire::TcpRepr& t) {
  TcpCb& tp = s.tcp;
  const std::uint8_t f = t.flags;
  const auto ts = tp.ts_ok ? t.options.timestamps() : std::nullopt;
  const bool pr = paws_reject(tp, ts, (f & kRst) != 0);
  const SeqNum seq(t.seq);
  const SeqNum end = seg_end(t);
  if (tp.state == TcpState::kFinWait2) {
    // "Just repeat all the checks of tcp_rcv_state_process()."
    const bool in_window = !before(end, tp.rcv_nxt) && !after(seq, tp.rcv_nxt + tp.rcv_wnd);
    if (pr || !in_window) {
      if (!(f & kRst) && !oow_rate_limited(h, s, t)) tcp_send_ack(h, s, "ACK: segment outside the window (FIN_WAIT_2)");
      return;
    }
    if (f & kRst) {
      h.frame_drop(m.frame, DropReason::kTcpReset, "RST ends the orphaned FIN_WAIT_2 connection");
      tcp_set_state(h, s, TcpState::kClosed, "RST in FIN_WAIT_2");
      tcp_destroy(h, s);
      return;
    }
    if ((f & kSyn) && !before(seq, tp.rcv_nxt)) {
      tcp_send_reset_reply(h, m, t, "SYN for an orphaned FIN_WAIT_2 connection");
      return;
    }
    if (!(f & kAck) || !after(end, tp.rcv_nxt) || end == seq) return;  // a duplicate ACK
    if (!(f & kFin) || end != tp.rcv_nxt + 1) {
      // New data after close(): the orphan answers as a timewait socket does, with a bare RST.
      h.frame_drop(m.frame, DropReason::kTcpClose, "data for a socket that was closed (orphaned FIN_WAIT_2)");
      tcp_send_reset_reply(h, m, t, "data after close() (orphaned FIN_WAIT_2)");
      return;
    }
    // The FIN: a true TIME_WAIT.
    tp.rcv_nxt = end;
    if (ts) store_ts_recent(h, tp, ts);
    tp.tw_substate_fin_wait2 = false;
    tcp_send_ack(h, s, "ACK of the peer's FIN");
    tcp_time_wait(h, s, TcpState::kTimeWait, sim::Duration::zero());
    return;
  }
  if (!pr && seq == tp.rcv_nxt && (seq == end || (f & kRst))) {
    if (f & kRst) {
      // TIME_WAIT assassination (RFC 1337 is off by default).
      h.frame_drop(m.frame, DropReason::kTcpReset, "RST ends TIME_WAIT");
      tcp_set_state(h, s, TcpState::kClosed, "RST in TIME_WAIT");
      tcp_destroy(h, s);
      return;
    }
    tcp_time_wait(h, s, TcpState::kTimeWait, sim::Duration::zero());
    if (ts) store_ts_recent(h, tp, ts);
    return;
  }
  if ((f & kSyn) && !(f & kRst) && !(f & kAck) && !pr &&
      (after(seq, tp.rcv_nxt) || (ts && static_cast<std::int32_t>(tp.ts_recent - ts->val) < 0))) {
    // A new SYN for this 4-tuple: the TIME_WAIT socket gives way to a listener.
    if (Sock* l = tcp_lookup_listener(h, m.dst, t.dst_port, m.ifindex)) {
      h.trace_note(sim::TraceKind::kNote, &s, "new SYN for a connection in TIME_WAIT: reopening it");
      tcp_set_state(h, s, TcpState::kClosed, "replaced by a new connection");
      // "isn = tcptw->tw_snd_nxt + 65535 + 2": the new connection starts past the old one.
      h.tcp.tw_isn = tp.snd_nxt.raw + 65535 + 2;
      if (h.tcp.tw_isn == 0) h.tcp.tw_isn = 1;
      tcp_destroy(h, s);
      tcp_listen_rcv(h, *l, m, t);
      h.tcp.tw_isn = 0;
      return;
    }
    // tcp_v4_rcv: TCP_TW_SYN with no listener falls through to TCP_TW_ACK.
    tcp_send_ack(h, s, "ACK from TIME_WAIT: a new SYN and nobody listening");
    return;
  }
  if (!(f & kRst)) {
    if (pr || (f & kAck)) tcp_time_wait(h, s, TcpState::kTimeWait, sim::Duration::zero());
    // tcp_v4_timewait_ack, rate-limited.
    if (!oow_rate_limited(h, s, t)) {
      wire::TcpRepr a;
      (void)a;
      tcp_send_ack(h, s, "ACK from TIME_WAIT");
    }
    return;
  }
  h.frame_drop(m.frame, DropReason::kTcpInvalidSequence, "RST out of window in TIME_WAIT");
}

}  // namespace

void tcp_rcv(Host& h, const IpMeta& m, wire::Bytes segment) {
  auto parsed = wire::TcpRepr::parse(segment, m.src, m.dst, wire::ChecksumCheck::kVerify);
  if (!parsed) {
    h.counters().inc(Mib::kTcpInErrs);
    if (parsed.error() == wire::WireError::kBadChecksum) {
      h.counters().inc(Mib::kTcpInCsumErrors);
      h.frame_drop(m.frame, DropReason::kTcpCsum);
    } else {
      h.frame_drop(m.frame, DropReason::kTcpInvalid, std::string(wire::to_string(parsed.error())));
    }
    return;
  }
  const wire::TcpRepr& t = *parsed;
  h.counters().inc(Mib::kTcpInSegs);
  const FourTuple key{m.dst, m.src, t.dst_port, t.src_port};
  auto it = h.tcp.established.find(key);
  if (it != h.tcp.established.end()) {
    const DemuxEntry e = it->second;
    if (e.kind == DemuxEntry::Kind::kRequest) {
      tcp_reqsk_rcv(h, e.id, m, t);
      return;
    }
    if (Sock* s = h.sock(e.id)) {
      if (s->tcp.state == TcpState::kTimeWait ||
          (s->tcp.state == TcpState::kFinWait2 && s->tcp.tw_substate_fin_wait2)) {
        timewait_rcv(h, *s, m, t);
      } else {
        tcp_sock_rcv(h, *s, m, t);
      }
      return;
    }
  }
  if (Sock* l = tcp_lookup_listener(h, m.dst, t.dst_port, m.ifindex)) {
    tcp_listen_rcv(h, *l, m, t);
    return;
  }
  h.frame_drop(m.frame, DropReason::kNoSocket, "no socket on port " + std::to_string(t.dst_port));
  tcp_send_reset_reply(h, m, t, "no socket listening on " + std::to_string(t.dst_port));
}

void tcp_sock_rcv(Host& h, Sock& s, const IpMeta& m, const wire::TcpRepr& t) {
  TcpCb& tp = s.tcp;
  const std::uint8_t f = t.flags;
  switch (tp.state) {
    case TcpState::kClosed:
      // A closed socket still in the table: behave as if there were none.
      h.frame_drop(m.frame, DropReason::kTcpClose);
      tcp_send_reset_reply(h, m, t, "connection is closed");
      return;
    case TcpState::kListen:
      tcp_listen_rcv(h, s, m, t);
      return;
    case TcpState::kSynSent:
      if (synsent(h, s, m, t)) tcp_send_reset_reply(h, m, t, "segment does not acknowledge our SYN");
      return;
    case TcpState::kTimeWait:
      timewait_rcv(h, s, m, t);
      return;
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
    case TcpState::kCloseWait:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      break;
  }

  if (tp.state == TcpState::kSynReceived && tp.fastopen->rsk && t.seq == tp.irs.raw && f == kSyn) {
    // tcp_check_req for a Fast Open child: "Check for pure retransmitted SYN": the client
    // missed our SYN-ACK; send it again (at most one per 500 ms).
    if (!oow_rate_limited(h, s, t)) {
      h.counters().inc(Mib::kTcpRetransSegs);
      h.counters().inc(Mib::kTCPSynRetrans);
      tcp_send_synack_sock(h, s, true);
    } else {
      h.counters().inc(Mib::kTCPACKSkippedSynRecv);
    }
    return;
  }
  // RFC 9293 §3.10.7.4, synchronized states.
  if (!(f & (kAck | kRst | kSyn))) {
    h.frame_drop(m.frame, DropReason::kTcpFlags, "no ACK, RST or SYN");
    return;
  }
  // tcp_validate_incoming. H1: PAWS first.
  const auto ts = tp.ts_ok ? t.options.timestamps() : std::nullopt;
  if (paws_reject(tp, ts, (f & kRst) != 0)) {
    if (f & kSyn) {
      h.counters().inc(Mib::kTCPSYNChallenge);
      send_challenge_ack(h, s, t, "SYN with an old timestamp");
    } else {
      h.counters().inc(Mib::kPAWSEstab);
      send_dupack(h, s, t, "ACK: segment rejected by PAWS");
    }
    h.frame_drop(m.frame, DropReason::kTcpRfc7323Paws);
    return;
  }
  // Step 1: sequence number (tcp_sequence).
  const SeqNum seq(t.seq);
  const SeqNum end = seg_end(t);
  const std::int32_t wnd = receive_window(tp);
  DropReason bad_seq = DropReason::kNotSpecified;
  if (before(end, tp.rcv_wup)) {
    bad_seq = DropReason::kTcpOldSequence;
  } else if (after(end, tp.rcv_nxt + static_cast<std::uint32_t>(wnd))) {
    if (after(seq, tp.rcv_nxt + static_cast<std::uint32_t>(wnd)) || !tp.rcvq.empty()) bad_seq = DropReason::kTcpInvalidSequence;
  }
  const bool reset_check = seq == tp.rcv_nxt - 1 &&
                           (tp.state == TcpState::kCloseWait || tp.state == TcpState::kLastAck || tp.state == TcpState::kClosing);
  if (bad_seq != DropReason::kNotSpecified) {
    if (!(f & kRst)) {
      if (f & kSyn) {
        h.counters().inc(Mib::kTCPSYNChallenge);
        send_challenge_ack(h, s, t, "SYN outside the window");
      } else {
        send_dupack(h, s, t, "ACK: segment outside the receive window");
      }
    } else if (reset_check) {
      tcp_reset(h, s, m);
      return;
    }
    h.frame_drop(m.frame, bad_seq);
    return;
  }
  // Step 2: RST (RFC 5961 §3.2: exact match resets, in-window sends a challenge ACK).
  if (f & kRst) {
    if (seq == tp.rcv_nxt || reset_check) {
      tcp_reset(h, s, m);
      return;
    }
    send_challenge_ack(h, s, t, "RST inside the window but not at RCV.NXT");
    h.frame_drop(m.frame, DropReason::kTcpReset, "RST not at RCV.NXT: challenge ACK sent");
    return;
  }
  // Step 4: SYN (RFC 5961 §4.2).
  if (f & kSyn) {
    const bool synack_retransmit_in_synrecv = tp.state == TcpState::kSynReceived && (f & kAck) &&
                                              seq + 1 == end && seq + 1 == tp.rcv_nxt && SeqNum(t.ack) == tp.snd_nxt;
    if (!synack_retransmit_in_synrecv) {
      h.counters().inc(Mib::kTCPSYNChallenge);
      send_challenge_ack(h, s, t, "SYN on a synchronized connection");
      h.frame_drop(m.frame, DropReason::kTcpInvalidSyn);
      return;
    }
  }
  // Step 5: ACK.
  if (!(f & kAck)) {
    h.frame_drop(m.frame, DropReason::kTcpFlags, "no ACK");
    return;
  }
  const TcpState before_ack = tp.state;
  const AckResult ar = process_ack(h, s, t);
  if (ar != AckResult::kOk) {
    if (before_ack == TcpState::kSynReceived) {
      h.frame_drop(m.frame, DropReason::kTcpInvalidAckSequence, "unacceptable ACK in SYN-RECEIVED");
      tcp_send_reset_reply(h, m, t, "unacceptable ACK in SYN-RECEIVED");
      return;
    }
    if (ar == AckResult::kTooOld || ar == AckResult::kUnsent) {
      send_challenge_ack(h, s, t, ar == AckResult::kUnsent ? "ACK of data never sent" : "ACK older than the window");
      h.frame_drop(m.frame, ar == AckResult::kUnsent ? DropReason::kTcpAckUnsentData : DropReason::kTcpTooOldAck);
      return;
    }
    // An old ACK is ignored, the segment's data still counts.
  }
  // tcp_replace_ts_recent.
  if (ts && !after(seq, tp.rcv_wup)) store_ts_recent(h, tp, ts);

  switch (tp.state) {
    case TcpState::kSynReceived:
      tp.snd_una = SeqNum(t.ack);
      tp.snd_wnd = seg_window(s, t);
      tp.snd_wl1 = seq;
      tp.max_window = std::max(tp.max_window, tp.snd_wnd);
      if (tp.ts_ok) tp.advmss = static_cast<std::uint16_t>(tp.advmss - 12);
      tp.retransmits = 0;
      tp.retrans_stamp_set = false;
      h.sim().queue().cancel(tp.rtx_timer);
      tcp_set_state(h, s, TcpState::kEstablished, "ACK of our SYN-ACK: handshake complete");
      tcp_fastopen_synrecv_done(h, s);  // a Fast Open child leaves the Fast Open queue
      if (Sock* l = h.sock(tp.listener); l && tp.in_accept_queue) wake(h, l->id);
      wake(h, s.id);
      if (s.shutdown & kSendShutdown) tcp_shutdown(h, s, kShutWr);
      break;
    case TcpState::kFinWait1:
      // A Fast Open child closed before its final ACK came (tcp_rcv_state_process).
      tcp_fastopen_synrecv_done(h, s);
      if (tp.fin_sent && tp.snd_una == tp.fin_seq + 1) {
        tcp_set_state(h, s, TcpState::kFinWait2, "our FIN was acknowledged");
        s.shutdown |= kSendShutdown;
        if (s.orphan) {
          if (end != seq && after(end - ((f & kFin) ? 1u : 0u), tp.rcv_nxt)) {
            // Data after close(): RFC 1122 says reset. Linux returns TCP_ABORT_ON_DATA and
            // tcp_v4_do_rcv answers the segment itself (tcp_v4_send_reset: `R seq=SEG.ACK`).
            h.counters().inc(Mib::kTCPAbortOnData);
            tcp_send_reset_reply(h, m, t, "data arrived after close()");
            tcp_done(h, s);
            return;
          }
          if (!(f & kFin)) {
            tcp_time_wait(h, s, TcpState::kFinWait2, h.personality().tcp_fin_timeout);
          }
        }
        wake(h, s.id);
      }
      break;
    case TcpState::kClosing:
      if (tp.fin_sent && tp.snd_una == tp.fin_seq + 1) {
        tcp_time_wait(h, s, TcpState::kTimeWait, sim::Duration::zero());
        return;
      }
      break;
    case TcpState::kLastAck:
      if (tp.fin_sent && tp.snd_una == tp.fin_seq + 1) {
        tcp_set_state(h, s, TcpState::kClosed, "our FIN was acknowledged: connection closed");
        tcp_done(h, s);
        return;
      }
      break;
    case TcpState::kClosed:
    case TcpState::kListen:
    case TcpState::kSynSent:
    case TcpState::kEstablished:
    case TcpState::kFinWait2:
    case TcpState::kCloseWait:
    case TcpState::kTimeWait:
      break;
  }

  // Step 7: segment text.
  switch (tp.state) {
    case TcpState::kCloseWait:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      if (!before(seq, tp.rcv_nxt)) break;  // new data after the peer's FIN: ignore
      [[fallthrough]];
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
      if ((s.shutdown & kRcvShutdown) && s.orphan && end != seq &&
          after(end - ((f & kFin) ? 1u : 0u), tp.rcv_nxt)) {
        // RFC 1122 §4.2.2.13: new data for a closed socket: reset.
        // tcp_reset, then tcp_v4_do_rcv answers the segment (tcp_v4_send_reset: `R seq=SEG.ACK`).
        h.counters().inc(Mib::kTCPAbortOnData);
        tcp_send_reset_reply(h, m, t, "data arrived after close()");
        tcp_done_with_error(h, s, Errno::kECONNRESET, "data after close()");
        return;
      }
      [[fallthrough]];
    case TcpState::kEstablished:
      data_queue(h, s, t);
      break;
    case TcpState::kClosed:
    case TcpState::kListen:
    case TcpState::kSynSent:
    case TcpState::kSynReceived:
    case TcpState::kTimeWait:
      break;
  }
  if (tp.state != TcpState::kClosed && tp.state != TcpState::kTimeWait) {
    tcp_push(h, s);
    tcp_ack_snd_check(h, s);
  }
}

void tcp_err(Host& h, const IcmpError& e) {
  if (!e.quote.ports) return;
  const FourTuple key{e.quote.src, e.quote.dst, e.quote.ports->src, e.quote.ports->dst};
  auto it = h.tcp.established.find(key);
  if (it == h.tcp.established.end()) return;
  const DemuxEntry d = it->second;
  const std::uint32_t seq = e.quote.tcp_seq.value_or(0);
  if (d.kind == DemuxEntry::Kind::kRequest) {
    RequestSock* r = h.reqs.get(d.id);
    if (!r) return;
    // tcp_req_err.
    if (seq != r->snt_isn.raw) {
      h.counters().inc(Mib::kOutOfWindowIcmps);
      return;
    }
    const bool abort = e.v6 ? e.fatal
                            : (e.type == 12 || e.type == 11 || (e.type == 3 && (e.code == 0 || e.code == 1)));
    if (abort) {
      h.counters().inc(Mib::kListenDrops);
      tcp_reqsk_drop(h, d.id, "ICMP error: " + std::string(name(e.err)));
    }
    return;
  }
  Sock* s = h.sock(d.id);
  if (!s) return;
  TcpCb& tp = s->tcp;
  if (tp.state == TcpState::kTimeWait) return;
  // A Fast Open child's window starts at its SYN-ACK (tcp_v4_err: the request's snt_isn).
  if (tp.state != TcpState::kListen && e.quote.tcp_seq &&
      !between(SeqNum(seq), tcp_fastopen_icmp_snd_una(*s), tp.snd_nxt)) {
    h.counters().inc(Mib::kOutOfWindowIcmps);
    return;
  }
  if (e.frag_needed) {
    // Path MTU discovery: a smaller MSS (tcp_v4_mtu_reduced), never an error.
    const std::uint32_t mtu = e.info;
    if (mtu >= 68) {
      const int mss = static_cast<int>(mtu) - (e.v6 ? 60 : 40) - (tp.ts_ok ? 12 : 0);
      if (mss > 0 && mss < tp.mss_cache) tp.mss_cache = static_cast<std::uint16_t>(mss);
    }
    return;
  }
  // "If a fast open socket is already accepted it is treated as a connected one below."
  const bool accepted_fastopen = tp.fastopen->rsk && tp.fastopen->rsk_accepted;
  if ((tp.state == TcpState::kSynSent || tp.state == TcpState::kSynReceived) && !accepted_fastopen) {
    tcp_done_with_error(h, *s, e.err, "ICMP " + std::string(name(e.err)) + " during the handshake");
    return;
  }
  if (s->opt.recverr) {
    s->err = e.err;
    wake(h, s->id);
  } else {
    s->err_soft = e.err;  // reported only if the connection times out
  }
}

}  // namespace synlab::stack
