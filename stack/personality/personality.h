// Personalities: operating-system behaviour as data.
//
// A `Personality` is a plain struct of every knob where stacks differ. Knobs that Linux exposes
// as sysctls carry the sysctl's name (`net.ipv4.tcp_syn_retries`) so scenarios and packetdrill
// scripts can set them per host (see sysctl.h); the rest are behaviour choices (what errno a
// 4-tuple collision gives, how a backlog overflows). Each field cites where its value comes
// from. `linux_6_18()` must match the real kernel: the values were read off Linux 6.18 in a
// fresh network namespace on a 2-core Debian 12 machine (docs/linux-measurements.md) and the
// reference table in ../shared/reference/linux-oracle.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"

namespace synlab::stack {

// What a listener does with a SYN or final ACK it has no room for.
enum class OverflowAction : std::uint8_t {
  kDrop,  // Linux: drop silently, the client retransmits (tcp_conn_request, tcp_check_req)
  kReset, // Windows and some userspace stacks: answer with RST
};

// How a listener's backlog limits its queues.
enum class BacklogLimit : std::uint8_t {
  // Linux: two limits, each backlog + backlog_slack: request socks (inet_csk_reqsk_queue_is_full)
  // and children waiting for accept() (sk_acceptq_is_full).
  kSeparateQueues,
  // 4.4BSD sonewconn: one limit over both queues, with a fudge factor: a SYN is refused when
  // so_qlen + so_q0len > 3 * so_qlimit / 2 (integer division), so listen(fd, 1) admits 2,
  // listen(fd, 2) 4, listen(fd, 5) 8 (TCP/IP Illustrated vol. 1 fig. 18.23, vol. 2 §15.9).
  kBsdFudge,
};

// What connect() returns when the 4-tuple is taken or the ephemeral range is exhausted.
// Linux: EADDRNOTAVAIL (inet_hash_connect); the BSD/HP-UX page: EADDRINUSE.
enum class CollisionErrno : std::uint8_t { kAddrNotAvail, kAddrInUse };

struct NeighbourKnobs {
  int mcast_solicit = 3;                                       // neigh.default.mcast_solicit
  int ucast_solicit = 3;                                       // neigh.default.ucast_solicit
  int app_solicit = 0;                                         // neigh.default.app_solicit
  sim::Duration retrans_time = sim::Duration::millis(1000);    // neigh.default.retrans_time_ms
  sim::Duration base_reachable_time = sim::Duration::seconds(30);  // base_reachable_time_ms
  sim::Duration delay_first_probe_time = sim::Duration::seconds(5);
  int unres_qlen_bytes = 212992;                                // neigh.default.unres_qlen_bytes
  int gc_thresh3 = 1024;                                        // neigh.default.gc_thresh3
};

struct Personality {
  std::string name = "linux";

  // --- TCP connection establishment (net/ipv4/tcp_timer.c, tcp_output.c) ---
  int tcp_syn_retries = 6;            // net.ipv4.tcp_syn_retries
  int tcp_synack_retries = 5;         // net.ipv4.tcp_synack_retries
  int tcp_syn_linear_timeouts = 4;    // net.ipv4.tcp_syn_linear_timeouts (Linux >= 6.9)
  // net.ipv4.tcp_early_retrans: 3 or 4 enable the tail loss probe (RFC 8985 §7; Linux's
  // default is 3); 0-2 disable it.
  int tcp_early_retrans = 3;
  sim::Duration rto_initial = sim::Duration::seconds(1);    // TCP_TIMEOUT_INIT, RFC 6298 §2.1
  sim::Duration rto_min = sim::Duration::millis(200);       // TCP_RTO_MIN
  sim::Duration rto_max = sim::Duration::seconds(120);      // TCP_RTO_MAX
  int tcp_retries1 = 3;               // net.ipv4.tcp_retries1
  int tcp_retries2 = 15;              // net.ipv4.tcp_retries2
  int tcp_orphan_retries = 0;         // net.ipv4.tcp_orphan_retries (0 means 8)
  sim::Duration tcp_fin_timeout = sim::Duration::seconds(60);  // net.ipv4.tcp_fin_timeout
  sim::Duration time_wait = sim::Duration::seconds(60);        // TCP_TIMEWAIT_LEN
  sim::Duration delayed_ack_min = sim::Duration::millis(40);   // TCP_ATO_MIN (HZ/25)
  sim::Duration delayed_ack_max = sim::Duration::millis(200);  // TCP_DELACK_MAX
  // Pre-6.9 kernels (and the 2013-era packetdrill scripts) double the SYN RTO from the start:
  // tcp_syn_linear_timeouts = 0.
  // A fixed table of SYN and SYN-ACK timeouts: entry 0 is the wait after the first SYN, entry k
  // the wait after the k-th retransmission; the last entry repeats. Empty (Linux): rto_initial,
  // linear for tcp_syn_linear_timeouts, then doubling up to rto_max (tcp_retransmit_timer).
  std::vector<sim::Duration> syn_rto_schedule;
  // The connection-establishment timer: a connection not ESTABLISHED this long after its SYN
  // was sent (or received, on a listener) is dropped and connect() fails with ETIMEDOUT.
  // Zero (Linux): no such timer, SYN retries alone end the attempt. 4.4BSD: TCPTV_KEEP_INIT.
  sim::Duration connection_establishment_timeout = sim::Duration::zero();

  // --- Options and windows (tcp_select_initial_window, tcp_syn_options) ---
  bool tcp_timestamps = true;         // net.ipv4.tcp_timestamps
  bool tcp_sack = true;               // net.ipv4.tcp_sack
  bool tcp_window_scaling = true;     // net.ipv4.tcp_window_scaling
  int tcp_rmem[3] = {4096, 131072, 33554432};  // net.ipv4.tcp_rmem (6.18 default max: 32 MiB)
  int tcp_wmem[3] = {4096, 16384, 4194304};    // net.ipv4.tcp_wmem
  int rmem_max = 4194304;             // net.core.rmem_max (window scale uses max(tcp_rmem[2], this))
  int wmem_max = 4194304;             // net.core.wmem_max
  int rmem_default = 212992;          // net.core.rmem_default (UDP receive buffer)
  int wmem_default = 212992;          // net.core.wmem_default
  int tcp_adv_win_scale = 1;          // net.ipv4.tcp_adv_win_scale (window = half the buffer)
  int tcp_ecn = 2;                    // net.ipv4.tcp_ecn (2: accept ECN when asked, never ask)
  int tcp_base_mss = 1024;            // net.ipv4.tcp_base_mss
  int tcp_min_snd_mss = 48;           // net.ipv4.tcp_min_snd_mss
  int initial_cwnd = 10;              // TCP_INIT_CWND (RFC 6928)
  int ts_hz = 1000;                   // TCP timestamp clock: 1 ms (tcp_clock_ms)
  // The kernel tick (CONFIG_HZ). Debian's kernels and the reference machine run at 250 Hz; the
  // few timers Linux sets in jiffies follow it: TCP_TIMEOUT_MIN (2 jiffies, the quick SYN
  // retransmission after an unacceptable ACK in SYN-SENT) and the socket timeouts' rounding.
  int hz = 250;

  // --- Listen backlog (inet_csk_reqsk_queue_is_full, sk_acceptq_is_full) ---
  int somaxconn = 4096;               // net.core.somaxconn
  int tcp_max_syn_backlog = 2048;     // net.ipv4.tcp_max_syn_backlog
  int tcp_syncookies = 1;             // net.ipv4.tcp_syncookies (0 off, 1 on overflow, 2 always)
  bool tcp_abort_on_overflow = false; // net.ipv4.tcp_abort_on_overflow
  // Linux's accept queue is full when it holds MORE than the backlog (sk_acceptq_is_full uses
  // '>'), so listen(fd, n) admits n+1; the SYN queue likewise (inet_csk_reqsk_queue_is_full
  // uses '>' since Linux 6.x: measured, 2 SYN-ACKs for listen(fd, 1) with cookies off).
  int backlog_slack = 1;
  BacklogLimit backlog_limit = BacklogLimit::kSeparateQueues;
  OverflowAction on_syn_overflow = OverflowAction::kDrop;
  OverflowAction on_ack_overflow = OverflowAction::kDrop;  // tcp_abort_on_overflow overrides

  // --- TCP Fast Open (net/ipv4/tcp_fastopen.c) ---
  int tcp_fastopen = 1;               // net.ipv4.tcp_fastopen bits: 1 client, 2 server, ...
  std::string tcp_fastopen_key;       // net.ipv4.tcp_fastopen_key (empty: derived from seed)
  // Not a sysctl: a server cookie given outright (the packetdrill front end's -D TFO_COOKIE),
  // used instead of the primary key's for every client; empty: computed.
  std::vector<std::uint8_t> tcp_fastopen_fixed_cookie;

  // --- Ports and TIME_WAIT (inet_hash_connect, __inet_check_established) ---
  int ip_local_port_range[2] = {32768, 60999};  // net.ipv4.ip_local_port_range
  int tcp_tw_reuse = 2;               // net.ipv4.tcp_tw_reuse (2: loopback only)
  int tcp_tw_reuse_delay_ms = 1000;   // net.ipv4.tcp_tw_reuse_delay
  int ip_unprivileged_port_start = 1024;  // net.ipv4.ip_unprivileged_port_start
  bool ip_nonlocal_bind = false;      // net.ipv4.ip_nonlocal_bind
  CollisionErrno connect_collision = CollisionErrno::kAddrNotAvail;

  // --- IP (net/ipv4/route.c, icmp.c) ---
  int ip_default_ttl = 64;            // net.ipv4.ip_default_ttl
  int ipv6_hop_limit = 64;            // net.ipv6.conf.default.hop_limit
  bool ip_forward = false;            // net.ipv4.ip_forward
  bool ipv6_forwarding = false;       // net.ipv6.conf.all.forwarding
  bool bindv6only = false;            // net.ipv6.bindv6only
  int icmp_ratelimit_ms = 1000;       // net.ipv4.icmp_ratelimit (per destination)
  int icmp_msgs_per_sec = 1000;       // net.ipv4.icmp_msgs_per_sec (global)
  int icmp_msgs_burst = 50;           // net.ipv4.icmp_msgs_burst
  bool icmp_echo_ignore_all = false;  // net.ipv4.icmp_echo_ignore_all
  NeighbourKnobs neigh;               // net.ipv4.neigh.default.*, net.ipv6.neigh.default.*

  // --- Socket API behaviour (net/ipv4/af_inet.c __inet_stream_connect) ---
  // Linux: a connect() on a socket whose non-blocking connect has completed returns 0 once,
  // then EISCONN (sock->state is still SS_CONNECTING). The BSD page: EISCONN at once.
  bool connect_reports_async_success = true;
  // Linux: a blocking connect() while one is in progress waits again; BSD: EALREADY.
  bool blocking_connect_waits_again = true;
  // Linux: a socket whose connect failed may connect again (a fresh attempt). BSD: EINVAL.
  bool failed_connect_can_retry = true;
  // Linux: AF_UNSPEC on a connected TCP socket disconnects it with RST.
  bool af_unspec_disconnects = true;
  // Linux: EALREADY for a second non-blocking connect in progress. Some systems: EINPROGRESS.
  bool ealready_when_in_progress = true;
  // Number namespace for errno values shown in reports.
  bool bsd_errno_numbers = false;
  // Linux prefers even local ports for connect() and odd ones for bind(port 0)
  // (inet_hash_connect since 6.x; __inet_find_free_port).
  bool ephemeral_port_parity = true;
};

// The default personality: the Linux 6.18 kernel in a fresh network namespace.
Personality linux_6_18();
// 4.4BSD-Lite as the classic BSD/HP-UX connect(2) page and TCP/IP Illustrated vol. 2 describe
// it (docs/personalities.md).
Personality bsd_4_4();
// The personality named `name` ("linux", "linux-3.11", "bsd"), if there is one.
std::optional<Personality> make_personality(std::string_view name);
std::vector<std::string_view> personality_names();

}  // namespace synlab::stack
