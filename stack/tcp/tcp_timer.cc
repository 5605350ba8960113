// Every TCP timer: retransmission (with SYN retries and their linear-then-exponential schedule),
// delayed ACK, TIME_WAIT and orphaned FIN_WAIT_2, and RTT estimation. Linux: tcp_timer.c
// (tcp_retransmit_timer, tcp_write_timeout, retransmits_timed_out, tcp_model_timeout,
// tcp_delack_timer_handler) and tcp_input.c (tcp_rtt_estimator, tcp_set_rto).
#include <algorithm>

#include "stack/host.h"
#include "stack/tcp/tcp.h"
#include "stack/tcp/tcp_fastopen.h"

namespace synlab::stack {
namespace {

using wire::tcp_flag::kAck;
using wire::tcp_flag::kFin;

// tcp_model_timeout: how long `boundary` retransmissions take with exponential backoff from
// `rto_base`, capped at TCP_RTO_MAX per step. This is the time budget that ends SYN retries:
// (2^(retries+1) - 1) x 1 s whatever the linear timeouts did (3 s for 1 retry, 7 s for 2,
// 127 s for 6).
sim::Duration model_timeout(const Personality& p, int boundary, sim::Duration rto_base) {
  int thresh = 0;
  while ((rto_base * (std::int64_t{1} << (thresh + 1))) <= p.rto_max) ++thresh;
  if (boundary <= thresh) return rto_base * ((std::int64_t{2} << boundary) - 1);
  return rto_base * ((std::int64_t{2} << thresh) - 1) + p.rto_max * (boundary - thresh);
}

// retransmits_timed_out: has the oldest segment been retransmitted for too long?
bool retransmits_timed_out(Host& h, Sock& s, int boundary, sim::Duration user_timeout) {
  const TcpCb& tp = s.tcp;
  if (tp.retransmits == 0 || !tp.retrans_stamp_set) return false;
  sim::Duration timeout = user_timeout;
  if (timeout == sim::Duration::zero()) {
    const bool syn = tp.state == TcpState::kSynSent || tp.state == TcpState::kSynReceived;
    timeout = model_timeout(h.personality(), boundary, syn ? h.personality().rto_initial : h.personality().rto_min);
    if (syn && !h.personality().syn_rto_schedule.empty()) {
      // With a fixed table (4.4BSD) the budget is the table itself: the waits after the SYN
      // and each of its `boundary` retransmissions.
      timeout = sim::Duration::zero();
      for (int k = 0; k <= boundary; ++k) timeout = timeout + *tcp_syn_schedule_rto(h.personality(), k);
    }
  }
  // Timestamps are in milliseconds (tcp_time_stamp_ts).
  const std::int64_t elapsed_ms = (h.now() - tp.retrans_stamp).ms();
  return elapsed_ms - timeout.ms() >= 0;
}

// tcp_write_timeout: true when the connection has to be given up.
bool write_timeout(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  const Personality& p = h.personality();
  int retry_until;
  bool expired = false;
  if (tp.state == TcpState::kSynSent || tp.state == TcpState::kSynReceived) {
    retry_until = tp.syn_retries ? tp.syn_retries : p.tcp_syn_retries;
    int max_retransmits = retry_until;
    if (tp.state == TcpState::kSynSent) max_retransmits += p.tcp_syn_linear_timeouts;
    expired = tp.retransmits >= max_retransmits;
  } else {
    retry_until = p.tcp_retries2;
    if (s.orphan) {
      // tcp_orphan_retries: 0 means 8 while the RTO is below the maximum.
      const bool alive = tp.rto < p.rto_max;
      retry_until = p.tcp_orphan_retries;
      if (retry_until == 0 && alive) retry_until = 8;
    }
  }
  if (!expired) expired = retransmits_timed_out(h, s, retry_until, tp.user_timeout);
  return expired;
}

// tcp_clamp_rto_to_user_timeout: with TCP_USER_TIMEOUT, the last timer fires at the deadline.
sim::Duration clamp_to_user_timeout(Host& h, const Sock& s, sim::Duration rto) {
  const TcpCb& tp = s.tcp;
  if (tp.user_timeout == sim::Duration::zero() || !tp.retrans_stamp_set) return rto;
  const sim::Duration remaining = tp.user_timeout - (h.now() - tp.retrans_stamp);
  if (remaining <= sim::Duration::zero()) return sim::Duration::millis(1);
  return std::min(rto, remaining);
}

void retransmit_timer(Host& h, SockId id) {
  Sock* sp = h.sock(id);
  if (!sp) return;
  Sock& s = *sp;
  TcpCb& tp = s.tcp;
  const Personality& p = h.personality();
  if (tp.fastopen->rsk) {
    // tcp_retransmit_timer: a Fast Open child only retransmits its SYN-ACK until the final
    // ACK comes ("don't retransmit anything else (e.g., data or FIN segments)").
    tcp_fastopen_synack_timer(h, s);
    return;
  }
  const bool syn = tp.state == TcpState::kSynSent || tp.state == TcpState::kSynReceived;
  const bool data_outstanding = tp.snd_una != tp.snd_nxt;
  if (!syn && !data_outstanding) return;
  if (tp.tlp_armed) {
    tp.tlp_armed = false;
    tcp_send_loss_probe(h, s);
    return;
  }
  if (tp.state == TcpState::kClosed || tp.state == TcpState::kListen) return;

  if (write_timeout(h, s)) {
    // tcp_write_err: the soft error (an ICMP seen on the way) if there was one.
    const Errno err = s.err_soft != Errno::kOk ? s.err_soft : Errno::kETIMEDOUT;
    if (!syn) h.counters().inc(Mib::kTCPAbortOnTimeout);
    h.trace_note(sim::TraceKind::kTimer, &s, "retransmission timer: giving up",
                 std::string(syn ? "SYN" : "segment") + " sent " + std::to_string(tp.retransmits + 1) +
                     " times; error " + std::string(name(err)));
    tcp_done_with_error(h, s, err, syn ? "no answer to the SYN: connection timed out" : "retransmissions timed out");
    return;
  }

  h.counters().inc(Mib::kTCPTimeouts);
  // __tcp_retransmit_skb: skb_still_in_host_queue. While the previous copy of the head
  // segment still waits in a neighbour queue (its next hop unresolved), nothing is sent
  // (-EBUSY, TCPSpuriousRtxHostQueues); the timer still backs off as for a retransmission.
  const SeqNum head = syn ? tp.iss : tp.snd_una;
  const bool in_host_queue = neigh_tcp_segment_queued(h, s.saddr, s.sport, s.daddr, s.dport, head.raw);
  if (!in_host_queue) h.counters().inc(Mib::kTcpRetransSegs);
  ++tp.retransmits;
  ++tp.total_rto;
  tp.rtt_timing = false;  // Karn: no RTT samples from retransmitted segments
  if (in_host_queue) {
    h.trace_note(sim::TraceKind::kTimer, &s, "retransmission timer fired (RTO " + sim::format_human(tp.rto) + ")",
                 "not retransmitted: the previous copy still waits for its next hop to be resolved");
  } else if (tp.state == TcpState::kSynSent) {
    h.counters().inc(Mib::kTCPSynRetrans);
    h.trace_note(sim::TraceKind::kTimer, &s, "SYN retransmission timer fired (RTO " + sim::format_human(tp.rto) + ")");
    tcp_send_syn(h, s, true);
  } else if (tp.state == TcpState::kSynReceived) {
    h.counters().inc(Mib::kTCPSynRetrans);
    tcp_send_synack_sock(h, s, true);
  } else {
    // Retransmit the oldest unacknowledged segment: up to one MSS of data, or the FIN.
    const std::uint32_t queued = static_cast<std::uint32_t>(tp.sndq.size());
    const std::uint32_t len = std::min<std::uint32_t>(queued, tp.mss_cache);
    std::uint8_t flags = kAck;
    const bool fin = tp.fin_sent && len == queued && SeqNum(tp.snd_una.raw + len) == tp.fin_seq;
    if (fin) flags |= kFin;
    if (len > 0 && len == queued) flags |= wire::tcp_flag::kPsh;
    ++tp.rtx_count;
    std::string cause;
    if (h.observed()) {
      cause = "retransmission " + std::to_string(tp.retransmits) + " of the oldest unacknowledged " +
              (len ? "data" : "FIN") + ", RTO " + sim::format_human(tp.rto);
    }
    auto r = tcp_transmit(h, s, flags, tp.snd_una, tp.sndq.peek(0, len), std::move(cause));
    (void)r;
  }

  // 4.4BSD tcp_timers TCPT_REXMT: TCP_REXMTVAL x tcp_backoff[t_rxtshift], a fixed table.
  if (const auto table = tcp_syn_schedule_rto(p, tp.retransmits); table && tp.state == TcpState::kSynSent) {
    ++tp.backoff;
    tp.rto = *table;
  } else if (tp.state != TcpState::kSynSent || tp.total_rto > p.tcp_syn_linear_timeouts) {
    // tcp_retransmit_timer: back off, except for the first tcp_syn_linear_timeouts SYNs.
    ++tp.backoff;
    tp.rto = std::min(tp.rto * 2, p.rto_max);
  }
  tcp_reset_rtx_timer(h, s, clamp_to_user_timeout(h, s, tp.rto));
}

void delack_timer(Host& h, SockId id) {
  Sock* sp = h.sock(id);
  if (!sp) return;
  Sock& s = *sp;
  TcpCb& tp = s.tcp;
  if (!tp.ack_pending || tp.state == TcpState::kClosed) return;
  const Personality& p = h.personality();
  if (!tp.pingpong) {
    // Delayed ACK missed: inflate the ATO.
    tp.ato = std::min(tp.ato * 2, tp.rto);
  } else {
    tp.pingpong = false;
    tp.ato = p.delayed_ack_min;
  }
  h.counters().inc(Mib::kDelayedACKs);
  tcp_send_ack(h, s, "delayed ACK (timer)");
}

// 4.4BSD tcp_timers TCPT_KEEP before ESTABLISHED: "if (tp->t_state < TCPS_ESTABLISHED) goto
// dropit;" tcp_drop(tp, ETIMEDOUT). No RST: tcp_drop sends one only once a SYN was received.
void establish_timer(Host& h, SockId id) {
  Sock* sp = h.sock(id);
  if (!sp) return;
  Sock& s = *sp;
  if (s.tcp.state != TcpState::kSynSent && s.tcp.state != TcpState::kSynReceived) return;
  h.trace_note(sim::TraceKind::kTimer, &s, "connection-establishment timer fired",
               "not established " + sim::format_human(h.personality().connection_establishment_timeout) +
                   " after the SYN; error ETIMEDOUT");
  if (s.tcp.state == TcpState::kSynReceived) tcp_send_active_reset(h, s, "connection-establishment timer");
  tcp_done_with_error(h, s, Errno::kETIMEDOUT, "connection-establishment timer: connection timed out");
}

void tw_timer(Host& h, SockId id) {
  Sock* sp = h.sock(id);
  if (!sp) return;
  Sock& s = *sp;
  if (s.tcp.state == TcpState::kTimeWait) {
    h.trace_note(sim::TraceKind::kTimer, &s, "TIME_WAIT ended");
  } else if (s.tcp.state == TcpState::kFinWait2) {
    h.trace_note(sim::TraceKind::kTimer, &s, "FIN_WAIT_2 timed out (tcp_fin_timeout)");
  }
  tcp_set_state(h, s, TcpState::kClosed, "timer expired");
  tcp_destroy(h, s);
}

}  // namespace

void tcp_send_loss_probe(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  // tcp_send_loss_probe: one probe per flight (tlp_high_seq); it retransmits the last segment
  // sent (the highest sequence), which lets the peer's ACK or SACK show what was lost.
  // (Linux sends new data instead when there is some and the window allows; not modelled.)
  if (!tp.tlp_outstanding) {
    const std::uint32_t queued = static_cast<std::uint32_t>(tp.sndq.size());
    const std::uint32_t sent = static_cast<std::uint32_t>(tp.snd_nxt - tp.snd_una) - (tp.fin_sent ? 1u : 0u);
    const std::uint32_t in_flight_data = std::min(sent, queued);
    const std::uint32_t len = std::min<std::uint32_t>(in_flight_data, std::max<std::uint32_t>(tp.mss_cache, 1));
    const SeqNum seq = tp.snd_una + (in_flight_data - len);
    std::uint8_t flags = wire::tcp_flag::kAck;
    if (tp.fin_sent) flags |= wire::tcp_flag::kFin;
    if (len > 0) flags |= wire::tcp_flag::kPsh;
    tp.tlp_outstanding = true;
    tp.tlp_high_seq = tp.snd_nxt.raw;
    tp.rtt_timing = false;  // Karn
    h.counters().inc(Mib::kTCPLossProbes);
    std::string cause;
    if (h.observed()) {
      cause = "tail loss probe: the last segment again, 2 x SRTT after it went unacknowledged";
    }
    auto r = tcp_transmit(h, s, flags, seq, tp.sndq.peek(in_flight_data - len, len), std::move(cause));
    (void)r;
  }
  // The retransmission timer takes over, without backing off.
  tcp_reset_rtx_timer(h, s, clamp_to_user_timeout(h, s, tp.rto));
}

void tcp_set_xmit_timer(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  const Personality& p = h.personality();
  // tcp_schedule_loss_probe: SACK connections not in recovery, data in flight, probing on.
  const bool open_state = tp.state == TcpState::kEstablished || tp.state == TcpState::kFinWait1 ||
                          tp.state == TcpState::kCloseWait || tp.state == TcpState::kLastAck ||
                          tp.state == TcpState::kClosing;
  if ((p.tcp_early_retrans == 3 || p.tcp_early_retrans == 4) && open_state && tp.sack_ok &&
      tp.snd_una != tp.snd_nxt && tp.retransmits == 0 && !tp.fastopen->rsk) {
    const std::uint32_t mss = std::max<std::uint32_t>(tp.mss_cache, 1);
    const std::uint32_t out = static_cast<std::uint32_t>(tp.snd_nxt - tp.snd_una);
    const std::uint32_t packets_out = (out + mss - 1) / mss;
    sim::Duration timeout = p.rto_initial;
    if (tp.srtt > sim::Duration::zero()) {
      // 2 x SRTT, plus the minimum RTO for a lone segment (the peer may delay its ACK) or two
      // jiffies otherwise.
      timeout = tp.srtt / 4 + (packets_out == 1 ? p.rto_min : sim::Duration::nanos(2 * 1'000'000'000LL / p.hz));
    }
    // No later than the RTO would fire for the oldest segment.
    const sim::Time head_sent = tp.retrans_stamp_set ? tp.retrans_stamp : h.now();
    const sim::Duration rto_delta = head_sent + tp.rto - h.now();
    if (rto_delta > sim::Duration::zero()) timeout = std::min(timeout, rto_delta);
    // jiffies, as a 1000 Hz kernel rounds (usecs_to_jiffies rounds up)
    const std::int64_t ms = (timeout.ns() + 999'999) / 1'000'000;
    tcp_reset_rtx_timer(h, s, sim::Duration::millis(ms));
    tp.tlp_armed = true;
    return;
  }
  tp.tlp_armed = false;
  tcp_reset_rtx_timer(h, s, tp.rto);
}

void tcp_reset_rtx_timer(Host& h, Sock& s, sim::Duration when) {
  auto& q = h.sim().queue();
  const SockId id = s.id;
  if (q.pending(s.tcp.rtx_timer)) {
    q.reschedule(s.tcp.rtx_timer, h.now() + when);
  } else {
    s.tcp.rtx_timer = q.schedule_in(when, [&h, id] { retransmit_timer(h, id); });
  }
}

std::optional<sim::Duration> tcp_syn_schedule_rto(const Personality& p, int retransmits) {
  if (p.syn_rto_schedule.empty()) return std::nullopt;
  const auto last = p.syn_rto_schedule.size() - 1;
  return p.syn_rto_schedule[std::min<std::size_t>(static_cast<std::size_t>(std::max(retransmits, 0)), last)];
}

void tcp_arm_establish_timer(Host& h, Sock& s) {
  const sim::Duration timeout = h.personality().connection_establishment_timeout;
  auto& q = h.sim().queue();
  q.cancel(s.tcp.establish_timer);
  if (timeout <= sim::Duration::zero()) return;
  const SockId id = s.id;
  s.tcp.establish_timer = q.schedule_in(timeout, [&h, id] { establish_timer(h, id); });
}

void tcp_clear_xmit_timers(Host& h, Sock& s) {
  auto& q = h.sim().queue();
  q.cancel(s.tcp.establish_timer);
  q.cancel(s.tcp.rtx_timer);
  q.cancel(s.tcp.delack_timer);
  q.cancel(s.tcp.keepalive_timer);
  s.tcp.ack_pending = false;
}

void tcp_schedule_delack(Host& h, Sock& s) {
  TcpCb& tp = s.tcp;
  const Personality& p = h.personality();
  // tcp_send_delayed_ack.
  // "timeout = jiffies + ato" with icsk_ack.ato as it is: a connection that has received no
  // data yet (a lone FIN) still has ato 0, and its delayed ACK goes at the next tick (measured:
  // a FIN is ACKed within ~1-5 ms).
  const sim::Duration jiffy = sim::Duration::nanos(1'000'000'000LL / p.hz);
  sim::Duration ato = tp.ato > sim::Duration::zero() ? tp.ato : jiffy;
  if (ato > p.delayed_ack_min) {
    sim::Duration max_ato = sim::Duration::millis(500);
    if (tp.pingpong) max_ato = p.delayed_ack_max;
    if (tp.srtt > sim::Duration::zero()) {
      const sim::Duration rtt = std::max(tp.srtt / 8, p.delayed_ack_min);
      if (rtt < max_ato) max_ato = rtt;
    }
    ato = std::min(ato, max_ato);
  }
  ato = std::min(ato, p.delayed_ack_max);
  sim::Time timeout = h.now() + ato;
  auto& q = h.sim().queue();
  if (q.pending(tp.delack_timer)) {
    const sim::Time old = q.deadline(tp.delack_timer);
    // "If delack timer is about to expire, send ACK now."
    if (old <= h.now() + ato / 4) {
      tcp_send_ack(h, s, "ACK: the delayed-ACK timer was about to fire");
      return;
    }
    if (timeout >= old) timeout = old;
    q.reschedule(tp.delack_timer, timeout);
    return;
  }
  const SockId id = s.id;
  tp.delack_timer = q.schedule(timeout, [&h, id] { delack_timer(h, id); });
}

void tcp_time_wait(Host& h, Sock& s, TcpState state, sim::Duration timeo) {
  TcpCb& tp = s.tcp;
  const Personality& p = h.personality();
  tcp_clear_xmit_timers(h, s);
  tp.tw_entry = h.now();
  if (state == TcpState::kTimeWait) {
    h.counters().inc(Mib::kTW);
    tcp_set_state(h, s, TcpState::kTimeWait, "waiting 2 MSL for stray segments");
    timeo = std::max(timeo, p.time_wait);
  } else {
    tp.tw_substate_fin_wait2 = true;
  }
  auto& q = h.sim().queue();
  q.cancel(tp.tw_timer);
  const SockId id = s.id;
  tp.tw_timer = q.schedule_in(timeo, [&h, id] { tw_timer(h, id); });
}

void tcp_rtt_sample(Host& h, Sock& s, sim::Duration rtt) {
  TcpCb& tp = s.tcp;
  const Personality& p = h.personality();
  // tcp_rtt_estimator, in nanoseconds: srtt is kept x8 and mdev x4, as Linux keeps them.
  // Linux takes the sample as it is and keeps srtt at least 1 (tp->srtt_us = max(1U, srtt)), so
  // a zero RTT gives an RTO of exactly rttvar.
  std::int64_t m = std::max<std::int64_t>(rtt.ns(), 0);
  std::int64_t srtt = tp.srtt.ns();  // x8
  const std::int64_t rto_min = p.rto_min.ns();
  if (srtt != 0) {
    m -= srtt >> 3;
    srtt += m;
    std::int64_t mdev = tp.mdev.ns();
    if (m < 0) {
      m = -m;
      m -= mdev >> 2;
      if (m > 0) m >>= 3;
    } else {
      m -= mdev >> 2;
    }
    mdev += m;
    tp.mdev = sim::Duration::nanos(mdev);
    if (tp.mdev > tp.mdev_max) {
      tp.mdev_max = tp.mdev;
      if (tp.mdev_max > tp.rttvar) tp.rttvar = tp.mdev_max;
    }
    if (after(tp.snd_una, tp.rtt_seq)) {
      if (tp.mdev_max < tp.rttvar) tp.rttvar = tp.rttvar - (tp.rttvar - tp.mdev_max) / 4;
      tp.rtt_seq = tp.snd_nxt;
      tp.mdev_max = p.rto_min;
    }
  } else {
    srtt = m << 3;
    tp.mdev = sim::Duration::nanos(m << 1);
    tp.rttvar = sim::Duration::nanos(std::max(tp.mdev.ns(), rto_min));
    tp.mdev_max = tp.rttvar;
    tp.rtt_seq = tp.snd_nxt;
  }
  tp.srtt = sim::Duration::nanos(std::max<std::int64_t>(1, srtt));
  // tcp_set_rto: srtt + rttvar, bounded by TCP_RTO_MAX. Linux works in jiffies; round up to
  // the millisecond as a 1000 Hz kernel would.
  sim::Duration rto = tp.srtt / 8 + tp.rttvar;
  const std::int64_t ms = (rto.ns() + 999'999) / 1'000'000;
  tp.rto = std::min(sim::Duration::millis(ms), p.rto_max);
}

}  // namespace synlab::stack
