// The listener's overflow rules, each with its counters and traces: the accept queue
// (listen(fd, n) admits n + 1), the SYN queue and SYN cookies, the final ACK that finds the
// accept queue full (tcp_abort_on_overflow 0 and 1), the personality's RST-on-overflow knob,
// and the SYN-ACK retransmission schedule with request expiry. Linux 6.18 as measured in
// docs/linux-measurements.md (topics 1 and 2) and ../shared/reference/linux-oracle.md.
//
// Most tests drive one host from a scripted peer (tcp_fixture.h), each connection from its own
// source port; the burst tests use two simulated hosts.
#include "stack/tcp/tcp_fixture.h"

using namespace std::chrono_literals;
using namespace synlab::stack;
using namespace synlab::stack::test;
using synlab::World;
using synlab::sim::Duration;
namespace wire = synlab::wire;
using synlab::sim::Time;
using testing::ElementsAre;
using testing::IsEmpty;

namespace {

class Listen : public TcpFixture {
 protected:
  int lfd = -1;

  void listen(int backlog) {
    lfd = listen_on(kServerPort, backlog);
    remote_isn = kPeerIsn;
    states();
  }
  Listener& q() { return *sk(lfd).listener; }
  static std::uint16_t port(int n) { return static_cast<std::uint16_t>(kPeerPort + n); }
  // A SYN from peer port `n`: the SYN-ACK it drew, if any. Output is then relative to it.
  std::optional<wire::TcpRepr> syn(int n, wire::TcpOptions opts = mss(1460)) {
    sent();
    peer_port = port(n);
    local_isn = 0;
    inject({.flags = "S", .seq = 0, .opts = opts, .sport = port(n)});
    if (peer.got.empty()) return std::nullopt;
    const wire::TcpRepr t = last_segment();
    local_isn = t.seq;
    sent();
    return t;
  }
  // The final ACK from peer port `n` for a SYN-ACK with ISN `isn`.
  void ack(int n, std::uint32_t isn) {
    peer_port = port(n);
    local_isn = isn;
    inject({.flags = ".", .seq = 1, .ack = 1, .sport = port(n)});
  }
  std::uint32_t handshake(int n) {
    auto sa = syn(n);
    EXPECT_TRUE(sa);
    ack(n, sa ? sa->seq : 0);
    return sa ? sa->seq : 0;
  }
  // Trace notes about request socks and timers on the host.
  std::vector<std::string> notes(synlab::sim::TraceKind kind) {
    std::vector<std::string> out;
    for (const auto& e : trace.events()) {
      if (e.kind == kind && e.node == host.node())
        out.push_back(e.text + (e.detail.empty() ? "" : " | " + e.detail));
    }
    return out;
  }
};

// --- Accept queue ----------------------------------------------------------------------------

// sk_acceptq_is_full is "sk_ack_backlog > sk_max_ack_backlog", so listen(fd, n) admits n + 1.
// The next SYN is dropped silently in tcp_conn_request (ListenOverflows, ListenDrops, drop
// reason TCP_LISTEN_OVERFLOW); accept() makes room for the next one.
TEST_F(Listen, BacklogNAdmitsNPlusOne) {
  listen(2);
  for (int n = 1; n <= 3; ++n) handshake(n);
  EXPECT_EQ(q().accept_qlen(), 3u);
  EXPECT_EQ(mib(Mib::kTcpPassiveOpens), 3u);
  drops();
  EXPECT_FALSE(syn(4));
  EXPECT_EQ(q().reqsk_qlen, 0);
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
  EXPECT_EQ(mib(Mib::kListenDrops), 1u);
  EXPECT_EQ(dropped(DropReason::kTcpListenOverflow), 1u);
  EXPECT_THAT(
      drops(),
      ElementsAre("TCP_LISTEN_OVERFLOW: SYN dropped by host: accept queue full (3 of 2+1)"));
  ASSERT_TRUE(accept(lfd));
  EXPECT_TRUE(syn(4));
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
}

// listen(fd, 0) admits exactly one (topic 1); the other clients' SYNs and their
// retransmissions are each dropped and counted, no SYN-ACK and no RST.
TEST_F(Listen, BacklogZeroAdmitsOne) {
  listen(0);
  handshake(1);
  EXPECT_EQ(q().accept_qlen(), 1u);
  EXPECT_FALSE(syn(2));
  EXPECT_FALSE(syn(3));
  run(1s);
  EXPECT_FALSE(syn(2));  // the client's retransmission
  EXPECT_EQ(mib(Mib::kListenOverflows), 3u);
  EXPECT_EQ(mib(Mib::kListenDrops), 3u);
  EXPECT_EQ(mib(Mib::kTCPReqQFullDoCookies), 0u);
  EXPECT_EQ(dropped(DropReason::kTcpListenOverflow), 3u);
}

// listen() on a listening socket only changes its backlog (__inet_listen_sk: "we can only
// allow the backlog to be adjusted"); it takes effect at once (topic 1).
TEST_F(Listen, RelistenChangesTheBacklog) {
  listen(5);
  ASSERT_TRUE(host.listen(lfd, 0));
  EXPECT_EQ(q().backlog, 0);
  EXPECT_THAT(states(), IsEmpty());
  handshake(1);
  EXPECT_FALSE(syn(2));
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
  // Negative and oversized backlogs mean somaxconn (__sys_listen).
  ASSERT_TRUE(host.listen(lfd, -1));
  EXPECT_EQ(q().backlog, 4096);
  ASSERT_TRUE(host.listen(lfd, 100000));
  EXPECT_EQ(q().backlog, 4096);
}

// With the accept queue full even tcp_syncookies = 2 drops the SYN: tcp_conn_request counts
// TCPReqQFullDoCookies, then finds sk_acceptq_is_full and drops (ListenOverflows).
TEST_F(Listen, AcceptQueueFullDropsSynEvenWithCookies) {
  host.personality().tcp_syncookies = 2;
  listen(0);
  handshake(1);
  EXPECT_EQ(mib(Mib::kTCPReqQFullDoCookies), 1u);
  EXPECT_EQ(mib(Mib::kSyncookiesRecv), 1u);
  EXPECT_FALSE(syn(2));
  EXPECT_EQ(mib(Mib::kTCPReqQFullDoCookies), 2u);
  EXPECT_EQ(mib(Mib::kSyncookiesSent), 1u);
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
}

// --- SYN queue and SYN cookies ---------------------------------------------------------------

// net.ipv4.tcp_syncookies = 2: every SYN is answered with a cookie (tcp_syn_flood_action counts
// TCPReqQFullDoCookies, then SyncookiesSent); no request sock is kept, so nothing is
// retransmitted. The SYN-ACK looks like a normal one (topic 1): window 65160, all options; the
// client's window scale and SACK ride in the low 6 bits of the TS value (cookie_init_timestamp)
// under the connection's TS offset. The final ACK's cookie checks (SyncookiesRecv), its echoed TS
// gives the options back (cookie_timestamp_decode), and the connection keeps that TS offset.
TEST_F(Listen, Syncookies2AnswersEverySynWithACookie) {
  host.personality().tcp_syncookies = 2;
  listen(16);
  auto sa = syn(1, linux_syn(12345));
  ASSERT_TRUE(sa);
  EXPECT_EQ(q().reqsk_qlen, 0);
  EXPECT_EQ(mib(Mib::kTCPReqQFullDoCookies), 1u);
  EXPECT_EQ(mib(Mib::kSyncookiesSent), 1u);
  const auto tsopt = sa->options.timestamps();
  ASSERT_TRUE(tsopt);
  EXPECT_EQ(wire::format_tcp(*sa), "S. " + std::to_string(sa->seq) + ":" + std::to_string(sa->seq) +
                                       "(0) ack 1000001 win 65160 <mss 1460,sackOK,TS val " +
                                       std::to_string(tsopt->val) + " ecr 12345,nop,wscale 10>");
  expect_silence(10s);
  inject({.flags = ".", .seq = 1, .ack = 1, .opts = ts(12346, tsopt->val), .sport = port(1)});
  EXPECT_EQ(mib(Mib::kSyncookiesRecv), 1u);
  EXPECT_EQ(mib(Mib::kSyncookiesFailed), 0u);
  EXPECT_EQ(mib(Mib::kTcpPassiveOpens), 1u);
  ASSERT_EQ(q().accept_qlen(), 1u);
  auto fd = accept(lfd);
  ASSERT_TRUE(fd);
  const TcpCb& tp = sk(*fd).tcp;
  EXPECT_EQ(tp.state, TcpState::kEstablished);
  EXPECT_TRUE(tp.from_syncookie);
  EXPECT_TRUE(tp.ts_ok && tp.sack_ok && tp.wscale_ok);
  EXPECT_EQ(tp.snd_wscale, 7);
  EXPECT_THAT(notes(synlab::sim::TraceKind::kNote),
              testing::Contains(testing::HasSubstr("final ACK carried a valid SYN cookie")));
  EXPECT_THAT(sent(), IsEmpty());
  // The child's TS clock continues the SYN-ACK's: 10 s later, less the cookie's rounding down
  // to a multiple of 64 ms.
  EXPECT_EQ(*send(*fd, "x"), 1u);
  const auto data_ts = last_segment().options.timestamps();
  ASSERT_TRUE(data_ts);
  EXPECT_GE(data_ts->val - tsopt->val, 10000u);
  EXPECT_LT(data_ts->val - tsopt->val, 10064u);
}

// A cookie that does not check (a forged ACK) is counted (SyncookiesFailed) and the ACK is
// then a plain ACK to a listener: `R seq=ack`.
TEST_F(Listen, ForgedCookieIsRefused) {
  host.personality().tcp_syncookies = 2;
  listen(16);
  auto sa = syn(1);
  ASSERT_TRUE(sa);
  ack(1, sa->seq + 12345);
  EXPECT_EQ(mib(Mib::kSyncookiesFailed), 1u);
  EXPECT_EQ(mib(Mib::kSyncookiesRecv), 0u);
  expect_sent({"R 1:1(0) win 0"});
  EXPECT_EQ(q().accept_qlen(), 0u);
}

// inet_csk_reqsk_queue_is_full is "qlen > max_ack_backlog" (topic 2: listen(fd, 1) gave SYNs 2
// and 3 real SYN-ACKs, 4 and 5 cookies): with tcp_syncookies = 1 the SYN after that gets a
// cookie (TCPReqQFullDoCookies, SyncookiesSent) and no request sock.
TEST_F(Listen, SynQueueFullSendsCookiesWithSyncookies1) {
  listen(1);
  auto s1 = syn(1);
  auto s2 = syn(2);
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(q().reqsk_qlen, 2);
  EXPECT_EQ(mib(Mib::kTCPReqQFullDoCookies), 0u);
  auto s3 = syn(3);
  ASSERT_TRUE(s3);
  EXPECT_EQ(q().reqsk_qlen, 2);
  EXPECT_EQ(mib(Mib::kTCPReqQFullDoCookies), 1u);
  EXPECT_EQ(mib(Mib::kSyncookiesSent), 1u);
  EXPECT_EQ(wire::format_tcp(*s3), "S. " + std::to_string(s3->seq) + ":" + std::to_string(s3->seq) +
                                       "(0) ack 1000001 win 64240 <mss 1460>");
  // The cookie's ACK makes a connection at once; the two real requests then fill the queue.
  ack(3, s3->seq);
  EXPECT_EQ(mib(Mib::kSyncookiesRecv), 1u);
  ack(1, s1->seq);
  EXPECT_EQ(q().accept_qlen(), 2u);
  ack(2, s2->seq);
  EXPECT_EQ(q().accept_qlen(), 2u);
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
  EXPECT_EQ(q().reqsk_qlen, 1);
}

// tcp_syncookies = 0: a SYN that finds the SYN queue full is dropped (TCPReqQFullDrop,
// ListenDrops, drop reason TCP_REQQFULLDROP), nothing sent.
TEST_F(Listen, SynQueueFullDropsWithoutSyncookies) {
  host.personality().tcp_syncookies = 0;
  listen(1);
  ASSERT_TRUE(syn(1));
  ASSERT_TRUE(syn(2));
  drops();
  EXPECT_FALSE(syn(3));
  EXPECT_EQ(mib(Mib::kTCPReqQFullDrop), 1u);
  EXPECT_EQ(mib(Mib::kListenDrops), 1u);
  EXPECT_EQ(mib(Mib::kListenOverflows), 0u);
  EXPECT_EQ(mib(Mib::kSyncookiesSent), 0u);
  EXPECT_EQ(dropped(DropReason::kTcpReqQueueFull), 1u);
  EXPECT_THAT(
      drops(),
      ElementsAre("TCP_REQQFULLDROP: SYN dropped by host: SYN queue full (2 of 1+1) and SYN "
                  "cookies are off"));
  EXPECT_EQ(q().reqsk_qlen, 2);
}

// --- The final ACK overflows the accept queue --------------------------------------------------

class FinalAckOverflow : public Listen {
 protected:
  std::uint32_t isn3 = 0;
  // listen(fd, 1) (admits 2): connections 1 and 2 fill the accept queue while request 3 waits
  // in SYN_RECV; the test then sends request 3's final ACK. Time 0 is request 3's SYN.
  void fill() {
    listen(1);
    auto s1 = syn(1);
    auto s2 = syn(2);
    ack(1, s1->seq);
    mark_time();
    auto s3 = syn(3);
    ASSERT_TRUE(s3);
    isn3 = s3->seq;
    EXPECT_EQ(mib(Mib::kSyncookiesSent), 0u);
    ack(2, s2->seq);
    ASSERT_EQ(q().accept_qlen(), 2u);
    ASSERT_EQ(q().reqsk_qlen, 1);
    sent();
    drops();
  }
};

// tcp_check_req, listen_overflow with tcp_abort_on_overflow = 0: the ACK is dropped
// (ListenOverflows, ListenDrops), the request is kept and marked acked, and the SYN-ACK goes
// on being resent on the request's normal schedule (1, 3, 7 s ... after the SYN, topic 2).
// Each duplicate ACK the client answers with overflows again. Room made by accept() is only
// used by the next duplicate ACK.
TEST_F(FinalAckOverflow, Abort0DropsTheAckAndResendsTheSynAck) {
  fill();
  ack(3, isn3);
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_EQ(q().reqsk_qlen, 1);
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
  EXPECT_EQ(mib(Mib::kListenDrops), 1u);
  EXPECT_EQ(dropped(DropReason::kTcpListenOverflow), 1u);
  EXPECT_THAT(
      drops(),
      ElementsAre("TCP_LISTEN_OVERFLOW: final ACK dropped by host: accept queue full (2 of 1+1); "
                  "the SYN-ACK will be resent"));
  host.reqs.for_each([](ReqId, RequestSock& r) { EXPECT_TRUE(r.acked); });
  run(Duration::seconds(1) - (world.now() - t0));
  expect_sent_timed({"1000ms S. 0:0(0) ack 1 win 64240 <mss 1460>"});
  ack(3, isn3);
  EXPECT_EQ(mib(Mib::kListenOverflows), 2u);
  run(4s);
  expect_sent_timed({"3000ms S. 0:0(0) ack 1 win 64240 <mss 1460>"});
  ASSERT_TRUE(accept(lfd));  // at 5 s: room, but nothing happens yet
  EXPECT_EQ(q().accept_qlen(), 1u);
  EXPECT_EQ(q().reqsk_qlen, 1);
  run(2s);
  expect_sent_timed({"7000ms S. 0:0(0) ack 1 win 64240 <mss 1460>"});
  ack(3, isn3);
  EXPECT_EQ(q().accept_qlen(), 2u);
  EXPECT_EQ(q().reqsk_qlen, 0);
  EXPECT_EQ(mib(Mib::kTcpPassiveOpens), 3u);
  EXPECT_EQ(mib(Mib::kListenOverflows), 2u);
  EXPECT_EQ(mib(Mib::kTCPSynRetrans), 3u);
  expect_silence(60s);
}

// Never accepted: the acked request expires with the schedule (63 s) like any other, silently;
// the client's data then reaches the listener and gets `R seq=ack` (topic 2).
TEST_F(FinalAckOverflow, Abort0RequestExpiresThenDataIsReset) {
  fill();
  ack(3, isn3);
  run(Duration::seconds(63) - (world.now() - t0) - Duration::nanos(1));
  EXPECT_EQ(q().reqsk_qlen, 1);
  run(Duration::nanos(1));
  EXPECT_EQ(q().reqsk_qlen, 0);
  EXPECT_THAT(sent_timed(), ElementsAre("1000ms S. 0:0(0) ack 1 win 64240 <mss 1460>",
                                        "3000ms S. 0:0(0) ack 1 win 64240 <mss 1460>",
                                        "7000ms S. 0:0(0) ack 1 win 64240 <mss 1460>",
                                        "15000ms S. 0:0(0) ack 1 win 64240 <mss 1460>",
                                        "31000ms S. 0:0(0) ack 1 win 64240 <mss 1460>"));
  EXPECT_THAT(
      notes(synlab::sim::TraceKind::kTimer),
      ElementsAre(
          "host fd 3: SYN-ACK timer: giving up on 10.0.0.2:41003 | 5 SYN-ACK retransmissions "
          "unanswered"));
  run(7s);
  inject({.flags = "P.", .seq = 1, .ack = 1, .data = "late", .sport = port(3)});
  expect_sent({"R 1:1(0) win 0"});
}

// tcp_abort_on_overflow = 1: the overflowing final ACK is answered with `R seq=ack` (the
// request's send_reset) and the request is dropped (EmbryonicRsts); no SYN-ACK follows.
TEST_F(FinalAckOverflow, Abort1ResetsTheConnection) {
  host.personality().tcp_abort_on_overflow = true;
  fill();
  ack(3, isn3);
  expect_sent({"R 1:1(0) win 0"});
  EXPECT_EQ(q().reqsk_qlen, 0);
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
  EXPECT_EQ(mib(Mib::kListenDrops), 1u);
  EXPECT_EQ(mib(Mib::kEmbryonicRsts), 1u);
  EXPECT_EQ(dropped(DropReason::kTcpListenOverflow), 1u);
  EXPECT_THAT(drop_reasons(), ElementsAre("TCP_LISTEN_OVERFLOW"));
  expect_silence(70s);
}

// The personality knob for stacks that refuse instead of dropping (OverflowAction::kReset):
// the final ACK gets the same RST as with tcp_abort_on_overflow.
TEST_F(FinalAckOverflow, ResetPersonalityResetsTheFinalAck) {
  host.personality().on_ack_overflow = OverflowAction::kReset;
  fill();
  ack(3, isn3);
  expect_sent({"R 1:1(0) win 0"});
  EXPECT_EQ(q().reqsk_qlen, 0);
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
}

// A cookie's final ACK that overflows has no request to reset: dropped silently even with
// tcp_abort_on_overflow = 1 (oracle: "no RST even with abort_on_overflow=1").
TEST_F(Listen, CookieAckOverflowIsDroppedEvenWithAbort1) {
  host.personality().tcp_abort_on_overflow = true;
  listen(0);
  auto s1 = syn(1);
  auto s2 = syn(2);  // SYN queue full (1 > 0): a cookie
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(mib(Mib::kSyncookiesSent), 1u);
  ack(1, s1->seq);
  ack(2, s2->seq);
  EXPECT_EQ(mib(Mib::kSyncookiesRecv), 1u);
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
  EXPECT_EQ(mib(Mib::kListenDrops), 1u);
  EXPECT_EQ(mib(Mib::kEmbryonicRsts), 0u);
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_EQ(q().accept_qlen(), 1u);
}

// OverflowAction::kReset for SYNs: a SYN that finds the accept queue full is answered with the
// closed-port RST (`R. 0:0 ack SEG.SEQ+1 win 0`) instead of silence; still counted.
TEST_F(Listen, ResetPersonalityAnswersAnOverflowingSyn) {
  host.personality().on_syn_overflow = OverflowAction::kReset;
  listen(0);
  handshake(1);
  sent();
  peer_port = port(2);
  local_isn = 0;
  inject({.flags = "S", .seq = 0, .opts = mss(1460), .sport = port(2)});
  expect_sent({"R. 0:0(0) ack 1 win 0"});
  EXPECT_EQ(q().reqsk_qlen, 0);
  EXPECT_EQ(mib(Mib::kListenOverflows), 1u);
  EXPECT_EQ(mib(Mib::kTcpOutRsts), 1u);
}

// --- SYN-ACK retransmission and request expiry -------------------------------------------------

// reqsk_timer_handler: an unanswered SYN-ACK is resent after 1, 3, 7, 15, 31 s (TCP_TIMEOUT_INIT
// doubling; tcp_syn_linear_timeouts does not apply), identical but for the TS value; after
// tcp_synack_retries (5) the request is dropped one more doubled interval later (63 s),
// silently (topic 2).
TEST_F(Listen, SynAckScheduleAndRequestExpiry) {
  listen(16);
  mark_time();
  auto sa = syn(1, linux_syn(12345));
  ASSERT_TRUE(sa);
  const std::uint32_t ts0 = sa->options.timestamps()->val;
  run(Duration::seconds(63) - Duration::nanos(1));
  std::vector<std::string> got = sent_timed();
  ASSERT_EQ(got.size(), 5u);
  const std::vector<int> at = {1000, 3000, 7000, 15000, 31000};
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], std::to_string(at[i]) +
                          "ms S. 0:0(0) ack 1 win 65160 <mss 1460,sackOK,TS val " +
                          std::to_string(ts0 + static_cast<std::uint32_t>(at[i])) +
                          " ecr 12345,nop,wscale 10>");
  }
  EXPECT_EQ(q().reqsk_qlen, 1);
  run(Duration::nanos(1));
  EXPECT_EQ(q().reqsk_qlen, 0);
  EXPECT_EQ(mib(Mib::kTCPSynRetrans), 5u);
  EXPECT_EQ(mib(Mib::kTcpRetransSegs), 5u);
  EXPECT_THAT(
      notes(synlab::sim::TraceKind::kTimer),
      ElementsAre(
          "host fd 3: SYN-ACK timer: giving up on 10.0.0.2:41001 | 5 SYN-ACK retransmissions "
          "unanswered"));
  // The late ACK meets the listener: a bare RST (topic 2, "late ACK gets [R]").
  run(2s);
  inject({.flags = ".", .seq = 1, .ack = 1, .opts = ts(12346, ts0), .sport = port(1)});
  expect_sent({"R 1:1(0) win 0"});
  EXPECT_EQ(err(accept(lfd)), Errno::kEAGAIN);
}

// net.ipv4.tcp_synack_retries = 2: SYN-ACKs at 0, 1, 3 s; the request is gone at 7 s.
TEST_F(Listen, SynackRetriesSysctl) {
  host.personality().tcp_synack_retries = 2;
  listen(16);
  mark_time();
  ASSERT_TRUE(syn(1));
  run(Duration::seconds(7) - Duration::nanos(1));
  EXPECT_THAT(sent_timed(), ElementsAre("1000ms S. 0:0(0) ack 1 win 64240 <mss 1460>",
                                        "3000ms S. 0:0(0) ack 1 win 64240 <mss 1460>"));
  EXPECT_EQ(q().reqsk_qlen, 1);
  run(Duration::nanos(1));
  EXPECT_EQ(q().reqsk_qlen, 0);
  expect_silence(10s);
}

// TCP_SYNCNT on the listener overrides tcp_synack_retries for its requests (reqsk_timer_handler:
// "icsk->icsk_syn_retries ? : sysctl_tcp_synack_retries"; topic 2: TCP_SYNCNT 1 gives SYN-ACKs
// at 0, 1 s and expiry at 3 s; TCP_SYNCNT 2 with tcp_syn_linear_timeouts 0 at 0, 1, 3 s, 7 s).
TEST_F(Listen, TcpSyncntOnTheListenerOverridesSynackRetries) {
  listen(16);
  OptVal one(4, 0);
  one[0] = 1;
  ASSERT_TRUE(host.setsockopt(lfd, kSolTcp, kTcpSyncnt, one));
  mark_time();
  ASSERT_TRUE(syn(1));
  run(Duration::seconds(3) - Duration::nanos(1));
  EXPECT_THAT(sent_timed(), ElementsAre("1000ms S. 0:0(0) ack 1 win 64240 <mss 1460>"));
  EXPECT_EQ(q().reqsk_qlen, 1);
  run(Duration::nanos(1));
  EXPECT_EQ(q().reqsk_qlen, 0);

  host.personality().tcp_syn_linear_timeouts = 0;
  OptVal two(4, 0);
  two[0] = 2;
  ASSERT_TRUE(host.setsockopt(lfd, kSolTcp, kTcpSyncnt, two));
  mark_time();
  ASSERT_TRUE(syn(2));
  run(Duration::seconds(7) - Duration::nanos(1));
  EXPECT_THAT(sent_timed(), ElementsAre("1000ms S. 0:0(0) ack 1 win 64240 <mss 1460>",
                                        "3000ms S. 0:0(0) ack 1 win 64240 <mss 1460>"));
  run(Duration::nanos(1));
  EXPECT_EQ(q().reqsk_qlen, 0);
}

// --- Two hosts -------------------------------------------------------------------------------

class Burst : public testing::Test {
 protected:
  World world{{.seed = 9}};
  Host& client = world.add_host("client", {"10.0.0.1/24"});
  Host& server = world.add_host("server", {"10.0.0.2/24"});
  synlab::sim::TraceRecorder trace;

  void SetUp() override {
    world.connect(client, server, {.delay = 50ms});
    world.sim().add_observer(&trace);
  }
  void TearDown() override { world.sim().remove_observer(&trace); }
  int listener(int backlog) {
    const int fd = server.socket(kAfInet, kSockStream, 0).value();
    EXPECT_TRUE(server.bind(fd, UserAddr::from(*SockAddr::parse("10.0.0.2:6000"))));
    EXPECT_TRUE(server.listen(fd, backlog));
    return fd;
  }
  int connect_nb() {
    const int fd = client.socket(kAfInet, kSockStream | kSockNonblock, 0).value();
    std::optional<SysResult<void>> r;
    client.connect(fd, UserAddr::from(*SockAddr::parse("10.0.0.2:6000")),
                   [&](SysResult<void> x) { r = x; });
    EXPECT_TRUE(r && !*r && r->error() == Errno::kEINPROGRESS);
    return fd;
  }
  std::vector<TcpState> states(const std::vector<int>& fds) {
    std::vector<TcpState> out;
    for (int fd : fds) out.push_back(client.sock_of_fd(fd)->tcp.state);
    return out;
  }
  std::uint64_t mib(Mib m) const { return server.counters().get(m); }
};

// listen(fd, 0), four clients back to back, 50 ms one-way, tcp_syncookies = 1 (topic 1): all
// four connect. SYN 1 makes a request; SYNs 2-4 find the SYN queue full (1 > 0) and get cookies;
// ACK 1 fills the accept queue; ACKs 2-4 are valid cookies (SyncookiesRecv) that overflow and
// are dropped (ListenOverflows). The server holds no socket for clients 2-4.
TEST_F(Burst, ListenZeroBurstWithCookiesEveryoneConnects) {
  const int lfd = listener(0);
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) fds.push_back(connect_nb());
  world.run_for(500ms);
  EXPECT_THAT(states(fds), ElementsAre(TcpState::kEstablished, TcpState::kEstablished,
                                       TcpState::kEstablished, TcpState::kEstablished));
  EXPECT_EQ(server.sock_of_fd(lfd)->listener->accept_qlen(), 1u);
  EXPECT_EQ(mib(Mib::kTCPReqQFullDoCookies), 3u);
  EXPECT_EQ(mib(Mib::kSyncookiesSent), 3u);
  EXPECT_EQ(mib(Mib::kSyncookiesRecv), 3u);
  EXPECT_EQ(mib(Mib::kListenOverflows), 3u);
  EXPECT_EQ(mib(Mib::kListenDrops), 3u);
  EXPECT_EQ(mib(Mib::kTcpPassiveOpens), 1u);
  // cookie_v4_check drops an overflowing cookie ACK as NO_SOCKET (Linux 6.9+);
  // TCP_LISTEN_OVERFLOW is only tcp_check_req's, for a request sock's final ACK.
  EXPECT_EQ(server.counters().dropped(DropReason::kNoSocket), 3u);
  EXPECT_EQ(server.counters().dropped(DropReason::kTcpListenOverflow), 0u);
  EXPECT_EQ(mib(Mib::kTcpOutRsts), 0u);
}

// The same with tcp_syncookies = 0: SYNs 2-4 are dropped (TCPReqQFullDrop); those clients stay
// in SYN_SENT and retransmit.
TEST_F(Burst, ListenZeroBurstWithoutCookies) {
  server.personality().tcp_syncookies = 0;
  listener(0);
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) fds.push_back(connect_nb());
  world.run_for(500ms);
  EXPECT_THAT(states(fds), ElementsAre(TcpState::kEstablished, TcpState::kSynSent,
                                       TcpState::kSynSent, TcpState::kSynSent));
  EXPECT_EQ(mib(Mib::kTCPReqQFullDrop), 3u);
  EXPECT_EQ(mib(Mib::kListenDrops), 3u);
  EXPECT_EQ(mib(Mib::kListenOverflows), 0u);
  EXPECT_EQ(mib(Mib::kSyncookiesSent), 0u);
  EXPECT_EQ(server.counters().dropped(DropReason::kTcpReqQueueFull), 3u);
}

// listen(fd, 0), clients 300 ms apart (topic 1): client 1 is queued; every SYN of clients 2-4,
// first or retransmitted, finds the accept queue full and is dropped: no SYN-ACK, no RST.
TEST_F(Burst, ListenZeroSequentialClientsStaySynSent) {
  const int lfd = listener(0);
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) {
    fds.push_back(connect_nb());
    world.run_for(300ms);
  }
  // SYNs of clients 2-4 arrive at 0.35, 0.65, 0.95 s, their first retransmissions at 1.35,
  // 1.65, 1.95 s.
  world.run_until(Time::zero() + 2s);
  EXPECT_THAT(states(fds), ElementsAre(TcpState::kEstablished, TcpState::kSynSent,
                                       TcpState::kSynSent, TcpState::kSynSent));
  EXPECT_EQ(server.sock_of_fd(lfd)->listener->accept_qlen(), 1u);
  EXPECT_EQ(mib(Mib::kListenOverflows), 6u);
  EXPECT_EQ(mib(Mib::kListenDrops), 6u);
  EXPECT_EQ(mib(Mib::kTCPReqQFullDoCookies), 0u);
  EXPECT_EQ(mib(Mib::kTcpOutRsts), 0u);
  std::size_t notes = 0;
  for (const auto& e : trace.events()) {
    if (e.kind == synlab::sim::TraceKind::kFrameNote && e.detail == "TCP_LISTEN_OVERFLOW") ++notes;
  }
  EXPECT_EQ(notes, 6u);
}

}  // namespace
