#include "stack/personality/personality.h"

#include <array>

namespace synlab::stack {

Personality linux_6_18() {
  // Every default in the struct is already Linux 6.18's; see personality.h for the sources.
  return Personality{};
}

Personality bsd_4_4() {
  // The classic BSD/HP-UX connect(2) manual page for the socket API, 4.4BSD-Lite's
  // netinet/ and kern/uipc_socket*.c (as TCP/IP Illustrated vol. 2 walks through them) where
  // the page is silent. Only what differs from Linux is set: the wire format (options in SYNs,
  // window sizes, ISNs), the data phase (RTT estimator, delayed ACKs, TIME_WAIT) and the
  // sysctls stay Linux's, so captures of both compare packet by packet (docs/personalities.md).
  Personality p;
  p.name = "bsd";

  // --- connect(2), the BSD/HP-UX page ---
  // [EADDRINUSE] "The address is already in use": a connect that would duplicate another
  // socket's 4-tuple (SO_REUSEADDR lets the bind through, in_pcbconnect refuses the tuple).
  p.connect_collision = CollisionErrno::kAddrInUse;
  // [EALREADY] "The socket is non-blocking and a previous connection attempt has not yet been
  // completed", and 4.4BSD soconnect/connect() gives it to a blocking caller too: only the
  // first connect() sleeps (TCP/IP Illustrated vol. 2 §15.12, connect: SS_ISCONNECTING).
  p.ealready_when_in_progress = true;
  p.blocking_connect_waits_again = false;
  // [EISCONN] "The socket is already connected": once an asynchronous connect has completed,
  // the next connect() says so at once (soconnect: SS_ISCONNECTED), no single 0 as Linux.
  p.connect_reports_async_success = false;
  // A connect that failed leaves the socket without a PCB (tcp_drop -> tcp_close ->
  // in_pcbdetach); tcp_usrreq refuses any request but PRU_ATTACH with EINVAL ("if (inp == 0 &&
  // req != PRU_ATTACH)"). The page: the socket must be closed and a new one made.
  p.failed_connect_can_retry = false;
  // connect(AF_UNSPEC) on a TCP socket: 4.4BSD's in_pcbconnect rejects the family
  // (EAFNOSUPPORT); it never dissolves a TCP association (only UDP's, via PRU_DISCONNECT).
  p.af_unspec_disconnects = false;
  // errno values in reports: <sys/errno.h>'s BSD numbers (ETIMEDOUT 60, ECONNREFUSED 61).
  p.bsd_errno_numbers = true;
  // in_pcbbind's ephemeral port search takes the next free port, with no parity preference.
  p.ephemeral_port_parity = false;

  // --- connection establishment, 4.4BSD netinet/tcp_timer.[ch], tcp_subr.c, tcp_var.h ---
  // tcp_usrreq PRU_CONNECT arms TCPT_KEEP with TCPTV_KEEP_INIT (75 * PR_SLOWHZ); when it
  // fires before ESTABLISHED, tcp_timers drops the connection with ETIMEDOUT ("dropit").
  // tcp_input arms the same timer on an embryonic connection made from a SYN (TCP/IP
  // Illustrated vol. 2 chapter 25, "TCP Timers"; vol. 1 §18.3, "Timeout of Connection
  // Establishment": the 75-second timer).
  p.connection_establishment_timeout = sim::Duration::seconds(75);
  // SYN timeouts. tcp_newtcpcb: t_srtt = TCPTV_SRTTBASE (0), t_rttvar = tcp_rttdflt *
  // PR_SLOWHZ << 2 = 24 ticks, t_rxtcur = ((TCPTV_SRTTBASE >> 2) + (TCPTV_SRTTDFLT << 2)) >> 1 =
  // 12 ticks = 6 s: the first SYN waits 6 s. tcp_timers TCPT_REXMT: rexmt = TCP_REXMTVAL(tp)
  // (t_srtt >> 3) + t_rttvar = 24 ticks = 12 s) * tcp_backoff[t_rxtshift], tcp_backoff[] =
  // {1, 2, 4, 8, 16, 32, 64, ...}, clamped to [TCPTV_MIN, TCPTV_REXMTMAX = 64 s]: 24 s after
  // the first retransmission, 48 s after the second, then 64 s. With the 75 s timer a SYN
  // leaves at 0, 6 and 30 s and connect() fails at 75 s (vol. 1 §18.3 shows 5.8 s and 24 s
  // on BSD/386's 500 ms clock; vol. 2 chapter 25 for tcp_newtcpcb and TCPT_REXMT).
  p.syn_rto_schedule = {sim::Duration::seconds(6), sim::Duration::seconds(24), sim::Duration::seconds(48),
                        sim::Duration::seconds(64)};
  // TCP_MAXRXTSHIFT (12) retransmissions end an attempt; the 75 s timer always comes first.
  p.tcp_syn_retries = 12;
  p.tcp_synack_retries = 12;
  p.tcp_syn_linear_timeouts = 0;

  // --- listen backlog, 4.4BSD kern/uipc_socket.c solisten, uipc_socket2.c sonewconn ---
  // sonewconn: "if (head->so_qlen + head->so_q0len > 3 * head->so_qlimit / 2) return
  // ((struct socket *)0);" one limit over embryonic and completed connections, checked when
  // the SYN arrives; tcp_input then drops the SYN without an answer ("goto drop"), and the
  // final ACK never overflows (soisconnected moves the socket from so_q0 to so_q).
  p.backlog_limit = BacklogLimit::kBsdFudge;
  p.backlog_slack = 0;
  p.on_syn_overflow = OverflowAction::kDrop;
  p.on_ack_overflow = OverflowAction::kDrop;
  // No SYN cookies in 4.4BSD (FreeBSD added syncookies in 2001).
  p.tcp_syncookies = 0;
  return p;
}

namespace {

Personality make_linux_3_11() {
  // The 2013-era packetdrill scripts (packetdrill/tests/linux/, "H" in the corpus MANIFEST)
  // were written against Linux 3.11: SYN timeouts double from the first retry (no
  // tcp_syn_linear_timeouts), and their test machines offered window scale 6. Window scale is
  // ilog2(max(tcp_rmem[2], rmem_max)) - 15 (tcp_select_initial_window), so a 3 MiB maximum
  // buffer and a 208 KiB rmem_max give 6, with the era's 87380-byte default buffer.
  Personality p;
  p.name = "linux-3.11";
  p.tcp_syn_linear_timeouts = 0;
  p.tcp_rmem[0] = 4096;
  p.tcp_rmem[1] = 87380;
  p.tcp_rmem[2] = 3145728;
  p.rmem_max = 212992;
  p.tcp_wmem[2] = 4194304;
  p.tcp_fastopen = 1;
  return p;
}

struct Named {
  std::string_view name;
  Personality (*make)();
};

constexpr std::array kPersonalities = {
    Named{"linux", &linux_6_18},
    Named{"linux-3.11", &make_linux_3_11},
    Named{"bsd", &bsd_4_4},
};

}  // namespace

std::optional<Personality> make_personality(std::string_view name) {
  for (const auto& n : kPersonalities) {
    if (n.name == name) return n.make();
  }
  return std::nullopt;
}

std::vector<std::string_view> personality_names() {
  std::vector<std::string_view> v;
  for (const auto& n : kPersonalities) v.push_back(n.name);
  return v;
}

}  // namespace synlab::stack
