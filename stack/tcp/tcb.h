// The TCP control block, the listener, and the request sock.
//
// Read first: RFC 9293 §3.3 (variables and states), §3.10 (event processing); RFC 7323
// (timestamps, window scale); RFC 6298 (RTO). Field names follow Linux's tcp_sock where one
// exists (snd_una, rcv_wup, window_clamp, ts_recent), because that is the behaviour we match
// and where a reader will look things up.
//
// A listening socket keeps a `Listener`: its SYN queue is a count of `RequestSock`s (Linux's
// request_sock: a few dozen bytes per half-open connection, not a full socket), and its accept
// queue holds finished child sockets until accept() takes them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/event_queue.h"
#include "sim/time.h"
#include "stack/byte_queue.h"
#include "stack/tcp/seq.h"
#include "stack/tcp/tcp_state.h"
#include "stack/wire/ip_address.h"

namespace synlab::stack {

using SockId = std::uint32_t;
using ReqId = std::uint32_t;

// One out-of-order segment waiting for the hole before it to fill.
struct OooSegment {
  SeqNum seq;
  std::vector<std::uint8_t> data;
  bool fin = false;
};

// A Fast Open cookie as Linux's struct tcp_fastopen_cookie: len -1 means no option, 0 a
// cookie request, 4..16 a cookie; `exp` marks the pre-RFC option (kind 254, magic 0xF989).
struct TfoCookie {
  int len = -1;
  std::array<std::uint8_t, 16> val{};
  bool exp = false;
  bool operator==(const TfoCookie&) const = default;
};

// One peer's entry in the Fast Open client cache (the tcp_fastopen_metrics of Linux's
// tcp_metrics.c): the cookie the server gave, its MSS, and the fallback bookkeeping.
struct TfoCacheEntry {
  TfoCookie cookie;         // len <= 0: none yet
  std::uint16_t mss = 0;    // the SYN-ACK's MSS, which sizes the next SYN's data
  int try_exp = 0;          // 1: ask with the experimental option next; 2: back to kind 34
  int syn_loss = 0;         // SYN-data attempts in a row that seemed lost
  sim::Time last_syn_loss;
};

// Fast Open state of a connection (RFC 7413): the fastopen fields of Linux's tcp_sock.
// tcp_fastopen.h has the logic; see there for which Linux function each one follows.
struct TcpFastOpenState {
  // Active open (client).
  bool defer_connect = false;        // DEFER_CONNECT: TCP_FASTOPEN_CONNECT had a cookie, so
                                     // the SYN waits for the first write
  bool req = false;                  // tp->fastopen_req exists (sendmsg or TCP_FASTOPEN_CONNECT)
  std::vector<std::uint8_t> req_data;  // fastopen_req->data: what the writer offered the SYN
  bool req_data_pending = false;     // fastopen_req->data != NULL: the writer still has data
  std::size_t req_copied = 0;        // fastopen_req->copied: bytes the SYN carried
  TfoCookie req_cookie{0};           // fastopen_req->cookie; -1 once the first SYN has gone
  bool syn_fastopen = false;         // our SYN carried a Fast Open option
  bool syn_fastopen_exp = false;     // ... in the experimental format
  bool syn_data = false;             // our SYN carried data
  bool syn_data_acked = false;       // TCPI_OPT_SYN_DATA: the SYN data was acknowledged (client)
                                     // or accepted (server child)
  std::uint8_t client_fail = 0;      // tcpi_fastopen_client_fail (TFO_COOKIE_UNAVAILABLE, ...)
  // Passive open (a child created at SYN time).
  bool rsk = false;                  // tp->fastopen_rsk: the final ACK has not come yet
  bool rsk_accepted = false;         // accept() took the child (Linux sets req->sk = NULL)
  SockId rsk_listener = 0;           // the listener whose Fast Open queue counts this child
  std::uint64_t rsk_listener_trace = 0;  // its trace id, in case the listener id was reused
  TfoCookie synack_cookie;           // a cookie for the first SYN-ACK (backup-key match)
  sim::Time synack_sent;             // for the SYN-ACK RTT sample (tcp_synack_rtt_meas)
  bool synack_retransmitted = false;
};

struct TcpCb {
  TcpState state = TcpState::kClosed;

  // Send sequence space (RFC 9293 §3.3.1).
  SeqNum iss, snd_una, snd_nxt, snd_wl1, snd_wl2;
  SeqNum write_seq;          // sequence number of the next byte the application writes
  std::uint32_t snd_wnd = 0;   // peer's window, scaled
  std::uint32_t max_window = 0;
  // Receive sequence space.
  SeqNum irs, rcv_nxt, rcv_wup;
  std::uint32_t rcv_wnd = 0;       // window last advertised (bytes, scaled)
  std::uint32_t rcv_ssthresh = 0;  // Linux's "slow start" for the advertised window
  std::uint32_t window_clamp = 0;

  // Options negotiated in the handshake.
  std::uint8_t snd_wscale = 0;  // shift the peer applies to its windows
  std::uint8_t rcv_wscale = 0;  // shift we apply to ours
  bool wscale_ok = false;
  bool sack_ok = false;
  bool ts_ok = false;
  std::uint16_t mss_clamp = 536;  // the peer's MSS option (RFC 9293 §3.7.1 default 536)
  std::uint16_t advmss = 0;       // MSS we advertise
  std::uint16_t mss_cache = 536;  // current send MSS (payload per segment)
  std::uint16_t user_mss = 0;     // TCP_MAXSEG
  std::uint32_t ts_recent = 0;    // last TS val from the peer (RFC 7323 §4.3)
  sim::Time ts_recent_stamp;      // when ts_recent was taken
  std::uint32_t ts_off = 0;       // our per-connection TS val offset (Linux: secure hash)
  // A D-SACK block (RFC 2883) for the next ACK: a duplicate segment arrived (tcp_dsack_set).
  // Sent once and cleared, as tcp_options_write clears rx_opt.dsack.
  bool dsack_pending = false;
  SeqNum dsack_start, dsack_end;

  // Retransmission (RFC 6298, as Linux's tcp_rtt_estimator and tcp_retransmit_timer do it).
  sim::Duration srtt;        // 0 = no sample yet
  sim::Duration mdev;
  sim::Duration mdev_max;
  sim::Duration rttvar;
  sim::Duration rto;
  int retransmits = 0;       // icsk_retransmits: consecutive timeouts of this segment
  int total_rto = 0;         // timeouts over the connection's life (linear SYN timeouts count them)
  int backoff = 0;           // icsk_backoff
  sim::Time retrans_stamp;   // when the first (re)transmission of the oldest unacked segment left
  bool retrans_stamp_set = false;
  // Tail loss probe (tcp_schedule_loss_probe / tcp_send_loss_probe): the retransmission
  // timer is armed as a probe, and snd_nxt when the last probe went (0: none outstanding).
  bool tlp_armed = false;
  std::uint32_t tlp_high_seq = 0;
  bool tlp_outstanding = false;
  sim::Time rtt_seq_sent;    // for RTT samples without timestamps (Karn's rule)
  SeqNum rtt_seq;
  bool rtt_timing = false;
  int syn_retries = 0;       // TCP_SYNCNT (0: the sysctl)
  sim::Duration user_timeout;  // TCP_USER_TIMEOUT (0: off)

  // Timers. One per purpose, as Linux's inet_connection_sock has.
  sim::TimerId rtx_timer;       // retransmission, SYN/SYN-ACK retries, zero-window probe
  sim::TimerId delack_timer;
  sim::TimerId tw_timer;        // TIME_WAIT, orphaned FIN_WAIT_2
  sim::TimerId keepalive_timer;
  sim::TimerId establish_timer;  // connection-establishment timer (4.4BSD TCPT_KEEP before ESTABLISHED)

  // Delayed ACK (icsk_ack).
  bool ack_pending = false;
  int ack_quick = 0;        // segments still to ACK at once (quickack mode)
  bool pingpong = false;    // interactive mode: delay ACKs
  sim::Duration ato;
  sim::Time lrcvtime;       // when the last data segment arrived
  std::uint32_t rcv_mss = 0;  // estimate of the peer's segment size

  // Buffers. sndq holds bytes from snd_una on (sent but unacked, then unsent).
  ByteQueue sndq;
  ByteQueue rcvq;
  std::vector<OooSegment> ooo;
  bool fin_queued = false;    // close()/shutdown(SHUT_WR): a FIN follows the data
  bool fin_sent = false;
  SeqNum fin_seq;             // the sequence number our FIN occupies
  bool fin_received = false;  // the peer's FIN has been accepted (rcv_nxt covers it)
  int snd_buf = 0;            // bytes of send buffer (SO_SNDBUF as Linux doubles it)
  int rcv_buf = 0;
  int cwnd = 10;              // segments; only the initial window matters here
  int packets_out = 0;

  // Family tree.
  SockId listener = 0;        // for a child: the listener it came from (until accepted)
  bool in_accept_queue = false;
  bool from_syncookie = false;
  // Fast Open state, allocated by its first write (`fastopen.edit()`): the many connections
  // that never use Fast Open read one shared all-defaults instance and carry a pointer, not
  // 144 bytes (docs/performance.md). Reads go through `->`, which never allocates.
  class FastOpenBox {
   public:
    FastOpenBox() = default;
    FastOpenBox(const FastOpenBox& o) : p_(o.p_ ? std::make_unique<TcpFastOpenState>(*o.p_) : nullptr) {}
    FastOpenBox& operator=(const FastOpenBox& o) {
      if (this != &o) p_ = o.p_ ? std::make_unique<TcpFastOpenState>(*o.p_) : nullptr;
      return *this;
    }
    FastOpenBox(FastOpenBox&&) noexcept = default;
    FastOpenBox& operator=(FastOpenBox&&) noexcept = default;
    const TcpFastOpenState* operator->() const { return p_ ? p_.get() : &defaults(); }
    const TcpFastOpenState& operator*() const { return *operator->(); }
    TcpFastOpenState& edit() {
      if (!p_) p_ = std::make_unique<TcpFastOpenState>();
      return *p_;
    }

   private:
    static const TcpFastOpenState& defaults() {
      static const TcpFastOpenState kDefaults;
      return kDefaults;
    }
    std::unique_ptr<TcpFastOpenState> p_;
  };
  FastOpenBox fastopen;
  int pmtu = 1500;            // icsk_pmtu_cookie at connect(), kept for a deferred SYN

  // TIME_WAIT bookkeeping (tcp_twsk_unique).
  sim::Time tw_entry;         // when TIME_WAIT (or orphaned FIN_WAIT_2) began
  bool tw_reused = false;     // this connection took over a TIME_WAIT 4-tuple
  bool tw_substate_fin_wait2 = false;  // a TIME_WAIT socket standing in for FIN_WAIT_2

  // Rate limit for out-of-window ACKs and challenge ACKs (tcp_oow_rate_limited).
  sim::Time last_oow_ack;
  bool last_oow_ack_set = false;

  // Counts for traces and explanations.
  int syn_sent_count = 0;     // SYNs (or SYN-ACKs) sent, first included
  int rtx_count = 0;          // retransmissions of the current oldest segment, for causes
};

struct Listener {
  int backlog = 0;                 // sk_max_ack_backlog: min(listen's backlog, somaxconn)
  std::vector<SockId> accept_queue;  // oldest first
  std::size_t accept_head = 0;       // index of the oldest in accept_queue
  int reqsk_qlen = 0;              // request socks (SYN queue length)
  int young = 0;                   // request socks whose SYN-ACK has not timed out yet
  sim::Time last_synq_overflow;    // when a SYN cookie was last sent (tcp_synq_overflow)
  bool synq_overflowed = false;
  int fastopen_max_qlen = 0;       // fastopenq.max_qlen (TCP_FASTOPEN, or the backlog)
  int fastopen_qlen = 0;           // Fast Open children whose final ACK has not come
  // fastopenq.rskq_rst_head: children reset after accept() keep their queue slot until these
  // times (reqsk_fastopen_remove), oldest first.
  std::vector<sim::Time> fastopen_rst_expiry;

  std::size_t accept_qlen() const { return accept_queue.size() - accept_head; }
};

// A half-open connection on a listener (Linux's struct request_sock / tcp_request_sock).
struct RequestSock {
  SockId listener = 0;
  wire::IpAddr local, remote;
  std::uint16_t local_port = 0, remote_port = 0;
  int ifindex = 0;
  SeqNum snt_isn;   // our ISN
  SeqNum rcv_isn;   // the client's ISN
  std::uint16_t mss = 536;   // the client's MSS option
  std::uint8_t snd_wscale = 0, rcv_wscale = 0;
  bool wscale_ok = false, sack_ok = false, ts_ok = false;
  std::uint32_t ts_recent = 0;
  std::uint32_t ts_off = 0;
  std::uint32_t rcv_wnd = 0;
  std::uint32_t window_clamp = 0;
  int num_timeout = 0;   // SYN-ACK timeouts so far
  int num_retrans = 0;
  bool acked = false;    // a valid final ACK came but the accept queue was full
  sim::TimerId timer;
  std::optional<sim::Time> synack_sent;  // unset for a syncookie connection (no request kept)
  sim::Time created;  // when the SYN came (the connection-establishment timer counts from it)
  // Fast Open: data carried by the SYN that created a child at once (RFC 7413 §4.2.2).
  bool fastopen = false;
  sim::Time last_oow;  // rate limit for SYN-ACKs resent on retransmitted SYNs
  bool last_oow_set = false;
};

}  // namespace synlab::stack
