// Each TCP state of RFC 9293 §3.3.2, put in place by a fixture against a scripted peer
// (tcp_fixture.h), and its main transitions: these segments in, these out, then nothing. The
// expected packets, counters and errors are Linux 6.18's (docs/linux-measurements.md topics 3,
// 9 and 13; ../shared/reference/linux-oracle.md); each test names the kernel function or RFC
// section that decides.
#include "stack/tcp/tcp_fixture.h"

using namespace std::chrono_literals;
using namespace synlab::stack;
using namespace synlab::stack::test;
using synlab::sim::Duration;
namespace wire = synlab::wire;
using testing::ElementsAre;
using testing::IsEmpty;

namespace {

class TcpStates : public TcpFixture {
 protected:
  // ESTABLISHED, then shutdown(SHUT_WR): FIN_WAIT_1 with our FIN (seq 1) unacknowledged.
  int fin_wait_1() {
    const int fd = establish();
    EXPECT_TRUE(host.shutdown(fd, kShutWr));
    expect_sent({"F. 1:1(0) ack 1 win 64240"});
    expect_states({"ESTABLISHED -> FIN_WAIT1 (shutdown(SHUT_WR))"});
    return fd;
  }
  // FIN_WAIT_2: our FIN acknowledged, the fd still open (not orphaned).
  int fin_wait_2() {
    const int fd = fin_wait_1();
    inject({.flags = ".", .seq = 1, .ack = 2});
    EXPECT_EQ(state(fd), TcpState::kFinWait2);
    states();
    return fd;
  }
  // TIME_WAIT, reached from FIN_WAIT_2 by the peer's FIN (seq 1).
  int time_wait() {
    const int fd = fin_wait_2();
    inject({.flags = "F.", .seq = 1, .ack = 2});
    expect_sent({". 2:2(0) ack 2 win 64240"});
    EXPECT_EQ(state(fd), TcpState::kTimeWait);
    states();
    return fd;
  }
  // CLOSE_WAIT: the peer's FIN (seq 1) received and acknowledged.
  int close_wait() {
    const int fd = establish();
    inject({.flags = "F.", .seq = 1, .ack = 1});
    run(200ms);
    sent();
    EXPECT_EQ(state(fd), TcpState::kCloseWait);
    states();
    return fd;
  }
};

// --- CLOSED ----------------------------------------------------------------------------------

// RFC 9293 §3.10.7.1 (tcp_v4_send_reset): a SYN for no socket gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
// <CTL=RST,ACK>, window 0, no options.
TEST_F(TcpStates, ClosedPortAnswersSynWithRstAck) {
  host_port = 7999;
  remote_isn = kPeerIsn;
  inject({.flags = "S", .seq = 0, .opts = linux_syn(12345)});
  expect_sent({"R. 0:0(0) ack 1 win 0"});
  EXPECT_EQ(mib(Mib::kTcpInSegs), 1u);
  EXPECT_EQ(mib(Mib::kTcpOutRsts), 1u);
  EXPECT_EQ(dropped(DropReason::kNoSocket), 1u);
  EXPECT_THAT(drop_reasons(), ElementsAre("NO_SOCKET"));
}

// A socket bound to the port but not listening is CLOSED: not in the lookup tables, so the
// segment is answered exactly as for a port nobody holds (__inet_lookup_skb finds nothing).
TEST_F(TcpStates, BoundButClosedSocketIsAClosedPort) {
  const int fd = host.socket(kAfInet, kSockStream, 0).value();
  ASSERT_TRUE(host.bind(fd, UserAddr::from(SockAddr::v4(host_ip, 7999))));
  EXPECT_EQ(state(fd), TcpState::kClosed);
  host_port = 7999;
  remote_isn = kPeerIsn;
  inject({.flags = "S", .seq = 0});
  expect_sent({"R. 0:0(0) ack 1 win 0"});
  EXPECT_EQ(state(fd), TcpState::kClosed);
  EXPECT_THAT(states(), IsEmpty());
}

// RFC 9293 §3.10.7.1, as measured (topic 3, "closed port"): with ACK, <SEQ=SEG.ACK><CTL=RST>;
// without, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> where SYN and FIN each count one; an RST
// is never answered; no rate limit.
TEST_F(TcpStates, ClosedPortResetRulesFollowRfc9293) {
  host_port = 7999;
  remote_isn = kPeerIsn;  // S = 1000000; acks are absolute (A = 2000000)
  struct Case {
    Seg in;
    std::vector<std::string> out;
  };
  const std::vector<Case> cases = {
      {{.flags = "S", .data = "0123456789"}, {"R. 0:0(0) ack 11 win 0"}},
      {{.flags = "SF"}, {"R. 0:0(0) ack 2 win 0"}},
      {{.flags = ".", .ack = 2000000}, {"R 2000000:2000000(0) win 0"}},
      {{.flags = ".", .ack = 2000000, .opts = ts(5, 6)}, {"R 2000000:2000000(0) win 0"}},
      {{.flags = "P.", .ack = 2000000, .data = "0123456789"}, {"R 2000000:2000000(0) win 0"}},
      {{.flags = "F.", .ack = 2000000}, {"R 2000000:2000000(0) win 0"}},
      {{.flags = "S.", .ack = 2000000}, {"R 2000000:2000000(0) win 0"}},
      {{.flags = "P", .data = "0123456789"}, {"R. 0:0(0) ack 10 win 0"}},
      {{.flags = "F"}, {"R. 0:0(0) ack 1 win 0"}},
      {{.flags = "-"}, {"R. 0:0(0) ack 0 win 0"}},
      {{.flags = "R"}, {}},
      {{.flags = "R.", .ack = 2000000}, {}},
      {{.flags = "SR"}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.in.flags));
    inject(c.in);
    EXPECT_THAT(sent(), testing::ElementsAreArray(c.out));
  }
  // Five SYNs 10 ms apart from different ports: five RSTs.
  for (std::uint16_t p = 1; p <= 5; ++p) {
    inject({.flags = "S", .sport = static_cast<std::uint16_t>(kPeerPort + p)});
    run(10ms);
  }
  EXPECT_EQ(sent().size(), 5u);
  EXPECT_EQ(mib(Mib::kTcpOutRsts), 15u);
}

// --- LISTEN ----------------------------------------------------------------------------------

// tcp_conn_request: a SYN makes a request sock and a SYN-ACK; the listener stays in LISTEN.
// With Linux's options the SYN-ACK offers them all back: window 65160 (45 x (1460 - 12)),
// <mss 1460,sackOK,TS val .. ecr <theirs>,nop,wscale 10> (topic 3, "segment sent to a listener").
TEST_F(TcpStates, ListenAnswersSynWithSynAck) {
  const int lfd = listen_on();
  expect_states({"CLOSE -> LISTEN (listen())"});
  remote_isn = kPeerIsn;
  inject({.flags = "S", .seq = 0, .opts = linux_syn(12345)});
  ASSERT_EQ(sk(lfd).listener->reqsk_qlen, 1);
  std::uint32_t req_ts_off = 0;
  host.reqs.for_each([&](ReqId, RequestSock& r) {
    req_ts_off = r.ts_off;
    local_isn = r.snt_isn.raw;
  });
  expect_sent({"S. 0:0(0) ack 1 win 65160 <mss 1460,sackOK,TS val " +
               std::to_string(tcp_ts_now(host, req_ts_off)) + " ecr 12345,nop,wscale 10>"});
  EXPECT_EQ(state(lfd), TcpState::kListen);
  EXPECT_THAT(states(), IsEmpty());  // a request sock is not a socket: no state change
  EXPECT_EQ(err(accept(lfd)), Errno::kEAGAIN);
  EXPECT_EQ(mib(Mib::kTcpPassiveOpens), 0u);
}

// A SYN without options gets a SYN-ACK with only the MSS (topic 3): no TS, SACK or window
// scale offered back, window 64240 (44 x 1460).
TEST_F(TcpStates, ListenSynWithoutOptionsGetsMssOnly) {
  listen_on();
  remote_isn = kPeerIsn;
  inject({.flags = "S", .seq = 0});
  host.reqs.for_each([&](ReqId, RequestSock& r) { local_isn = r.snt_isn.raw; });
  expect_sent({"S. 0:0(0) ack 1 win 64240 <mss 1460>"});
}

// tcp_rcv_state_process, case TCP_LISTEN: an ACK gets <SEQ=SEG.ACK><CTL=RST>; RST, FIN without
// ACK, SYN+FIN, SYN+RST and flagless segments are dropped; data on a SYN is ignored (topic 3).
TEST_F(TcpStates, ListenerAnswersAcksWithRstAndDropsTheRest) {
  const int lfd = listen_on();
  remote_isn = kPeerIsn;
  std::uint16_t port = kPeerPort;
  auto from_new_port = [&](Seg s) {
    s.sport = ++port;
    peer_port = port;
    inject(s);
  };
  for (std::string_view f : {".", "S.", "F."}) {
    from_new_port({.flags = f, .ack = 2000000});
    EXPECT_THAT(sent(), ElementsAre("R 2000000:2000000(0) win 0")) << f;
  }
  from_new_port({.flags = "P.", .ack = 2000000, .data = "0123456789"});
  EXPECT_THAT(sent(), ElementsAre("R 2000000:2000000(0) win 0"));
  for (std::string_view f : {"F", "R", "R.", "SF", "SR", "-"}) {
    from_new_port({.flags = f, .ack = 2000000});
    EXPECT_THAT(sent(), IsEmpty()) << f;
  }
  EXPECT_THAT(drop_reasons(),
              ElementsAre("TCP_FLAGS", "TCP_FLAGS", "TCP_FLAGS", "TCP_FLAGS", "TCP_FLAGS",
                          "TCP_RESET", "TCP_FLAGS", "TCP_FLAGS", "TCP_RESET", "TCP_FLAGS"));
  // SYN with 10 bytes: the SYN-ACK acknowledges the SYN only.
  from_new_port({.flags = "S", .data = "0123456789"});
  host.reqs.for_each([&](ReqId, RequestSock& r) { local_isn = r.snt_isn.raw; });
  expect_sent({"S. 0:0(0) ack 1 win 64240 <mss 1460>"});
  EXPECT_EQ(sk(lfd).listener->reqsk_qlen, 1);
  EXPECT_EQ(state(lfd), TcpState::kListen);
}

// --- SYN_SENT --------------------------------------------------------------------------------

// tcp_connect + tcp_rcv_synsent_state_process: the SYN carries Linux's options (window 64240,
// wscale 10); a SYN-ACK acknowledging it makes the connection ESTABLISHED and is ACKed at once
// with the negotiated options (timestamps; window 64240 >> 10 rounded up: 63).
TEST_F(TcpStates, SynSentSynAckEstablishesAndIsAcked) {
  const int fd = connect_nb();
  const std::uint32_t ts_syn = ts_now(fd);
  expect_sent({"S 0:0(0) win 64240 <mss 1460,sackOK,TS val " + std::to_string(ts_syn) +
               " ecr 0,nop,wscale 10>"});
  expect_states({"CLOSE -> SYN_SENT (connect())"});
  EXPECT_EQ(mib(Mib::kTcpActiveOpens), 1u);
  run(5ms);
  remote_isn = kPeerIsn;
  inject({.flags = "S.", .seq = 0, .ack = 1, .win = 65160, .opts = linux_syn(7000, ts_syn)});
  EXPECT_EQ(state(fd), TcpState::kEstablished);
  expect_sent(
      {". 1:1(0) ack 1 win 63 <nop,nop,TS val " + std::to_string(ts_syn + 5) + " ecr 7000>"});
  expect_states({"SYN_SENT -> ESTABLISHED (SYN-ACK received: handshake complete)"});
  EXPECT_EQ(sk(fd).tcp.snd_wscale, 7);
  EXPECT_TRUE(sk(fd).tcp.ts_ok && sk(fd).tcp.sack_ok && sk(fd).tcp.wscale_ok);
  EXPECT_EQ(so_error(fd), Errno::kOk);
  EXPECT_EQ(mib(Mib::kTcpAttemptFails), 0u);
  expect_silence(10s);  // no SYN retransmission, no keepalive
}

// The PAWS check on a SYN-ACK accepts any echo between the TS value of our first SYN and now,
// in TS clock ticks (Linux keeps retrans_stamp in those units). A SYN sent 0.9 ms into a tick
// and answered 0.2 ms later, in the next tick, echoes the SYN's value: one tick below "now
// minus the whole milliseconds elapsed", which must not matter. Found by synlab-scale, where
// every connection started late in a millisecond was reset and retried a second later.
TEST_F(TcpStates, SynSentSynAckEchoingASynFromThePreviousTickIsAccepted) {
  run(900us);
  const int fd = connect_nb();
  const std::uint32_t ts_syn = ts_now(fd);
  sent();
  states();
  run(200us);
  ASSERT_EQ(ts_now(fd), ts_syn + 1);
  remote_isn = kPeerIsn;
  inject({.flags = "S.", .seq = 0, .ack = 1, .win = 65160, .opts = linux_syn(7000, ts_syn)});
  EXPECT_EQ(state(fd), TcpState::kEstablished);
  EXPECT_THAT(drop_reasons(), IsEmpty());
  expect_sent({". 1:1(0) ack 1 win 63 <nop,nop,TS val " + std::to_string(ts_syn + 1) + " ecr 7000>"});
}

// A SYN-ACK echoing a value from before our SYN is dropped (TCP_RFC7323_PAWS) and answered
// with a RST, as tcp_rcv_synsent_state_process's reset_and_undo does.
TEST_F(TcpStates, SynSentSynAckEchoingAnOlderTimestampIsPawsRejected) {
  run(5ms);
  const int fd = connect_nb();
  const std::uint32_t ts_syn = ts_now(fd);
  sent();
  states();
  remote_isn = kPeerIsn;
  inject({.flags = "S.", .seq = 0, .ack = 1, .win = 65160, .opts = linux_syn(7000, ts_syn - 1)});
  EXPECT_EQ(state(fd), TcpState::kSynSent);
  EXPECT_THAT(drop_reasons(), ElementsAre("TCP_RFC7323_PAWS"));
}

// tcp_rcv_synsent_state_process -> tcp_reset: RST|ACK acknowledging the SYN refuses the
// connection: CLOSE, SO_ERROR ECONNREFUSED, TcpAttemptFails (tcp_done), nothing sent.
TEST_F(TcpStates, SynSentRstWithValidAckIsConnectionRefused) {
  const int fd = connect_nb();
  sent();
  states();
  remote_isn = kPeerIsn;
  inject({.flags = "R.", .seq = 0, .ack = 1, .win = 0});
  EXPECT_EQ(state(fd), TcpState::kClosed);
  expect_states({"RST in reply to our SYN: connection refused [error ECONNREFUSED]",
                 "SYN_SENT -> CLOSE (connection done)"});
  EXPECT_EQ(so_error(fd), Errno::kECONNREFUSED);
  EXPECT_EQ(mib(Mib::kTcpAttemptFails), 1u);
  EXPECT_EQ(mib(Mib::kTcpEstabResets), 0u);
  EXPECT_THAT(drop_reasons(), ElementsAre("TCP_RESET"));
  expect_silence(5s);
}

// SYN|ACK|RST acknowledging the SYN is a refusal too (topic 3): the ACK is checked first.
TEST_F(TcpStates, SynSentSynAckRstIsConnectionRefused) {
  const int fd = connect_nb();
  sent();
  remote_isn = kPeerIsn;
  inject({.flags = "SR.", .seq = 0, .ack = 1});
  EXPECT_EQ(state(fd), TcpState::kClosed);
  EXPECT_EQ(so_error(fd), Errno::kECONNREFUSED);
  expect_silence(5s);
}

// RFC 9293 §3.10.7.3: in SYN-SENT an RST without ACK is dropped; Linux neither answers it nor
// retransmits early: the next SYN is the regular one at 1 s.
TEST_F(TcpStates, SynSentIgnoresRstWithoutAck) {
  const int fd = connect_nb();
  sent();
  states();
  mark_time();
  remote_isn = kPeerIsn;
  inject({.flags = "R", .seq = 0});
  EXPECT_EQ(state(fd), TcpState::kSynSent);
  EXPECT_EQ(so_error(fd), Errno::kOk);
  run(1s);
  expect_sent_timed({"1000ms S 0:0(0) win 64240 <mss 1460,sackOK,TS val " +
                     std::to_string(ts_now(fd)) + " ecr 0,nop,wscale 10>"});
  EXPECT_THAT(states(), IsEmpty());
}

// tcp_rcv_synsent_state_process: an RST whose ACK is wrong is dropped without a reply, but
// re-arms the SYN timer to TCP_TIMEOUT_MIN (2 jiffies: 8 ms at HZ=250; measured 10-13 ms).
TEST_F(TcpStates, SynSentRstWithWrongAckIsIgnoredButHastensTheSyn) {
  const int fd = connect_nb();
  sent();
  mark_time();
  remote_isn = kPeerIsn;
  inject({.flags = "R.", .seq = 0, .ack = 5});
  EXPECT_EQ(state(fd), TcpState::kSynSent);
  EXPECT_EQ(so_error(fd), Errno::kOk);
  EXPECT_THAT(sent(), IsEmpty());
  run(8ms);
  ASSERT_EQ(peer.got.size(), 1u);
  EXPECT_EQ(last_segment().flags, wire::tcp_flag::kSyn);
  EXPECT_THAT(sent_timed(), ElementsAre(testing::StartsWith("8ms S 0:0(0) win 64240")));
  EXPECT_THAT(drop_reasons(), ElementsAre("TCP_INVALID_ACK_SEQUENCE"));
}

// RFC 9293 §3.10.7.3 "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset <SEQ=SEG.ACK>":
// a SYN-ACK with a wrong ACK draws `R seq=ack, win 0`, the connection stays in SYN-SENT, and
// the SYN goes again 2 jiffies later. That quick retransmission counts as the first, so the
// usual schedule (four 1 s linear steps, then doubling) continues from it (topic 3: SYNs at
// 9.5, 1045, 2065, 3093, 4113, 6133 ms).
TEST_F(TcpStates, SynSentSynAckWithWrongAckDrawsRstAndEarlySyn) {
  const int fd = connect_nb();
  sent();
  mark_time();
  remote_isn = kPeerIsn;
  inject({.flags = "S.", .seq = 0, .ack = 5, .opts = mss(1460)});
  EXPECT_EQ(state(fd), TcpState::kSynSent);
  expect_sent({"R 5:5(0) win 0"});
  run(7s);
  std::vector<std::string> syns;
  for (const std::string& s : sent_timed()) syns.push_back(s.substr(0, s.find(" win")));
  EXPECT_THAT(syns, ElementsAre("8ms S 0:0(0)", "1008ms S 0:0(0)", "2008ms S 0:0(0)",
                                "3008ms S 0:0(0)", "4008ms S 0:0(0)", "6008ms S 0:0(0)"));
  EXPECT_EQ(mib(Mib::kTcpOutRsts), 1u);
  EXPECT_EQ(state(fd), TcpState::kSynSent);
}

// The other unacceptable ACKs in SYN-SENT (topic 3): one too old (= ISS) and a bare ACK with a
// wrong ack both get `R seq=ack`; a bare ACK of exactly our SYN (no SYN bit) is ignored.
TEST_F(TcpStates, SynSentUnacceptableAcksAndBareAck) {
  const int fd = connect_nb();
  sent();
  remote_isn = kPeerIsn;
  inject({.flags = "S.", .seq = 0, .ack = 0, .opts = mss(1460)});
  expect_sent({"R 0:0(0) win 0"});
  inject({.flags = ".", .seq = 0, .ack = 5});
  expect_sent({"R 5:5(0) win 0"});
  inject({.flags = ".", .seq = 0, .ack = 1});
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_EQ(state(fd), TcpState::kSynSent);
  EXPECT_THAT(drop_reasons(),
              ElementsAre("TCP_INVALID_ACK_SEQUENCE", "TCP_INVALID_ACK_SEQUENCE", "TCP_FLAGS"));
}

// Two bad ACKs 100 ms apart: an RST for each, but only the first hastens the SYN
// (`icsk_retransmits == 0` is checked); the next SYN is 1 s after the quick one.
TEST_F(TcpStates, SynSentOnlyTheFirstBadAckHastensTheSyn) {
  const int fd = connect_nb();
  sent();
  mark_time();
  remote_isn = kPeerIsn;
  inject({.flags = ".", .seq = 0, .ack = 5});
  run(100ms);
  inject({.flags = ".", .seq = 0, .ack = 5});
  run(1100ms);
  std::vector<std::string> got;
  for (const std::string& s : sent_timed()) got.push_back(s.substr(0, s.find(" win")));
  EXPECT_THAT(got,
              ElementsAre("0ms R 5:5(0)", "8ms S 0:0(0)", "100ms R 5:5(0)", "1008ms S 0:0(0)"));
  EXPECT_EQ(state(fd), TcpState::kSynSent);
}

// RFC 9293 §3.5 figure 7 (simultaneous open), as Linux does it (topic 13): a plain SYN in
// SYN-SENT moves to SYN-RECEIVED and is answered at once with a SYN-ACK that repeats our ISN,
// carries the SYN's window (64240, not a listener's 65160) and all options, TS ecr = the
// peer's SYN. The peer's SYN-ACK then completes the handshake.
TEST_F(TcpStates, SynSentPlainSynIsSimultaneousOpen) {
  const int fd = connect_nb();
  const std::uint32_t ts_syn = ts_now(fd);
  sent();
  states();
  run(50ms);
  remote_isn = kPeerIsn;
  inject({.flags = "S", .seq = 0, .opts = linux_syn(7000, 0, 10)});
  EXPECT_EQ(state(fd), TcpState::kSynReceived);
  expect_sent({"S. 0:0(0) ack 1 win 64240 <mss 1460,sackOK,TS val " + std::to_string(ts_syn + 50) +
               " ecr 7000,nop,wscale 10>"});
  expect_states({"SYN_SENT -> SYN_RECV (the peer's SYN crossed ours (simultaneous open))"});
  EXPECT_EQ(calls.revents(host, fd, kPollOut | kPollIn), 0);
  run(50ms);
  inject({.flags = "S.", .seq = 0, .ack = 1, .opts = linux_syn(7050, ts_syn, 10)});
  EXPECT_EQ(state(fd), TcpState::kEstablished);
  expect_states({"SYN_RECV -> ESTABLISHED (ACK of our SYN-ACK: handshake complete)"});
  // tcp_data_queue: the SYN-ACK is a duplicate of the SYN (end_seq == rcv_nxt), so it is
  // ACKed at once, with a D-SACK block for the duplicated SYN (tcp_dsack_set), as measured:
  // [peer ISN, peer ISN + 1) (the fixture prints SACK blocks as absolute numbers).
  expect_sent({". 1:1(0) ack 1 win 63 <nop,nop,TS val " + std::to_string(ts_syn + 100) +
               " ecr 7050,nop,nop,sack 1000000:1000001>"});
  // The D-SACK is reported once: the next ACK has only the timestamps.
  inject({.flags = "P.", .seq = 1, .ack = 1, .opts = ts(7060, ts_syn + 100), .data = "x"});
  expect_sent({". 1:1(0) ack 2 win 63 <nop,nop,TS val " + std::to_string(ts_syn + 100) + " ecr 7060>"});
  EXPECT_EQ(calls.revents(host, fd, kPollOut), kPollOut);
  EXPECT_EQ(mib(Mib::kTcpActiveOpens), 1u);
  EXPECT_EQ(mib(Mib::kTcpPassiveOpens), 0u);
}

// --- SYN_RECEIVED ----------------------------------------------------------------------------

class SynRecv : public TcpStates {
 protected:
  int lfd = -1;
  // A listener with one request sock in SYN_RECV: SYN (no options) in, SYN-ACK out.
  void SetUp() override {
    lfd = listen_on();
    remote_isn = kPeerIsn;
    inject({.flags = "S", .seq = 0});
    host.reqs.for_each([&](ReqId, RequestSock& r) { local_isn = r.snt_isn.raw; });
    expect_sent({"S. 0:0(0) ack 1 win 64240 <mss 1460>"});
    states();
    mark_time();
  }
};

// tcp_check_req + tcp_child_process: the final ACK creates the child (SYN_RECV ->
// ESTABLISHED), queues it for accept(), counts TcpPassiveOpens; nothing is sent.
TEST_F(SynRecv, FinalAckCompletesTheHandshake) {
  inject({.flags = ".", .seq = 1, .ack = 1});
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_THAT(states(true),
              ElementsAre("host connection from 10.0.0.2:41000: SYN_RECV -> ESTABLISHED "
                          "(ACK of our SYN-ACK: handshake complete)"));
  EXPECT_EQ(sk(lfd).listener->reqsk_qlen, 0);
  EXPECT_EQ(sk(lfd).listener->accept_qlen(), 1u);
  EXPECT_EQ(mib(Mib::kTcpPassiveOpens), 1u);
  auto fd = accept(lfd);
  ASSERT_TRUE(fd);
  EXPECT_EQ(state(*fd), TcpState::kEstablished);
  EXPECT_EQ(sk(*fd).tcp.snd_una.raw, local_isn + 1);
  expect_silence(70s);  // the SYN-ACK timer died with the request
}

// tcp_check_req: an in-window RST ends the half-open connection silently (TcpAttemptFails,
// EmbryonicRsts); the request is gone, so a later ACK reaches the listener and gets an RST.
TEST_F(SynRecv, RstDropsTheRequest) {
  inject({.flags = "R", .seq = 1});
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_EQ(sk(lfd).listener->reqsk_qlen, 0);
  EXPECT_EQ(mib(Mib::kTcpAttemptFails), 1u);
  EXPECT_EQ(mib(Mib::kEmbryonicRsts), 1u);
  EXPECT_THAT(drop_reasons(), ElementsAre("TCP_RESET"));
  inject({.flags = ".", .seq = 1, .ack = 1});
  expect_sent({"R 1:1(0) win 0"});
  EXPECT_EQ(err(accept(lfd)), Errno::kEAGAIN);
  expect_silence(70s);
}

// tcp_check_req "Check for pure retransmitted SYN": the same SYN again gets the same SYN-ACK
// (TCPSynRetrans, TcpRetransSegs) and restarts the request timer; another within
// tcp_invalid_ratelimit (500 ms) is only counted (TCPACKSkippedSynRecv).
TEST_F(SynRecv, DuplicateSynResendsTheSynAck) {
  run(300ms);
  inject({.flags = "S", .seq = 0});
  run(100ms);
  inject({.flags = "S", .seq = 0});
  EXPECT_THAT(sent_timed(), ElementsAre("300ms S. 0:0(0) ack 1 win 64240 <mss 1460>"));
  EXPECT_EQ(mib(Mib::kTCPSynRetrans), 1u);
  EXPECT_EQ(mib(Mib::kTcpRetransSegs), 1u);
  EXPECT_EQ(mib(Mib::kTCPACKSkippedSynRecv), 1u);
  // The timer restarted at 300 ms: the next SYN-ACK 1 s after that.
  run(1100ms);
  EXPECT_THAT(sent_timed(), ElementsAre("1300ms S. 0:0(0) ack 1 win 64240 <mss 1460>"));
  EXPECT_EQ(sk(lfd).listener->reqsk_qlen, 1);
}

// tcp_check_req: a SYN inside the window at a new sequence number is not a retransmission:
// "SYN inside the window" resets (RFC 793 SYN-RECEIVED), <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>.
TEST_F(SynRecv, NewSynInWindowResetsTheRequest) {
  inject({.flags = "S", .seq = 100});
  local_isn = 0;
  expect_sent({"R. 0:0(0) ack 101 win 0"});
  EXPECT_EQ(sk(lfd).listener->reqsk_qlen, 0);
  EXPECT_EQ(mib(Mib::kTcpAttemptFails), 1u);
  EXPECT_EQ(mib(Mib::kEmbryonicRsts), 1u);
}

// tcp_check_req: an out-of-window segment is answered with an ACK of the request
// (tcp_v4_reqsk_send_ack) and dropped; the request stays.
TEST_F(SynRecv, OutOfWindowSegmentGetsAnAck) {
  inject({.flags = ".", .seq = 1000000, .ack = 1});
  expect_sent({". 1:1(0) ack 1 win 64240"});
  EXPECT_EQ(sk(lfd).listener->reqsk_qlen, 1);
  EXPECT_THAT(drop_reasons(), ElementsAre("TCP_INVALID_SEQUENCE"));
}

// A full socket in SYN_RECV (simultaneous open) reset by the peer: tcp_reset gives
// ECONNRESET for every state but SYN_SENT and CLOSE_WAIT, tcp_done counts TcpAttemptFails.
TEST_F(TcpStates, SimultaneousOpenSynRecvResetIsEconnreset) {
  const int fd = connect_nb();
  sent();
  remote_isn = kPeerIsn;
  inject({.flags = "S", .seq = 0, .opts = mss(1460)});
  ASSERT_EQ(state(fd), TcpState::kSynReceived);
  sent();
  states();
  inject({.flags = "R", .seq = 1});
  EXPECT_EQ(state(fd), TcpState::kClosed);
  EXPECT_EQ(so_error(fd), Errno::kECONNRESET);
  EXPECT_EQ(mib(Mib::kTcpAttemptFails), 1u);
  EXPECT_EQ(mib(Mib::kTcpEstabResets), 0u);
  expect_states({"RST from the peer: connection reset [error ECONNRESET]",
                 "SYN_RECV -> CLOSE (connection done)"});
  expect_silence(5s);
}

// --- ESTABLISHED -----------------------------------------------------------------------------

// tcp_data_queue + __tcp_ack_snd_check: in-order data is queued and, in quick-ack mode at the
// start of a connection, ACKed at once.
TEST_F(TcpStates, EstablishedDataIsQueuedAndAcked) {
  const int fd = establish();
  inject({.flags = "P.", .seq = 1, .ack = 1, .data = "0123456789"});
  expect_sent({". 1:1(0) ack 11 win 64240"});
  EXPECT_EQ(*recv(fd), "0123456789");
  EXPECT_EQ(err(recv(fd)), Errno::kEAGAIN);
  EXPECT_EQ(state(fd), TcpState::kEstablished);
  EXPECT_THAT(states(), IsEmpty());
  // And data goes the other way.
  EXPECT_EQ(*send(fd, "abc"), 3u);
  expect_sent({"P. 1:4(3) ack 11 win 64240"});
}

// tcp_fin: a FIN in ESTABLISHED moves to CLOSE_WAIT; read returns end of stream. The ACK is a
// delayed one (tcp_fin enters ping-pong mode), but with icsk_ack.ato still 0 (no data received)
// tcp_send_delayed_ack sets the timer to "jiffies + 0": it goes at the next tick, one jiffy
// (4 ms at HZ=250; measured "within ~3 ms", topic 3).
TEST_F(TcpStates, EstablishedFinMovesToCloseWait) {
  const int fd = establish();
  mark_time();
  inject({.flags = "F.", .seq = 1, .ack = 1});
  EXPECT_EQ(state(fd), TcpState::kCloseWait);
  expect_states({"ESTABLISHED -> CLOSE_WAIT (FIN from the peer)"});
  run(200ms);
  EXPECT_THAT(sent_timed(), ElementsAre("4ms . 1:1(0) ack 2 win 64240"));
  EXPECT_EQ(*recv(fd), "");
  EXPECT_EQ(calls.revents(host, fd, kPollIn | kPollOut | kPollRdHup),
            kPollIn | kPollOut | kPollRdHup);
}

// RFC 5961 §3.2 (tcp_validate_incoming): an RST exactly at RCV.NXT resets the connection:
// CLOSE, ECONNRESET, TcpEstabResets; nothing is sent. The ACK field of an RST is not checked.
TEST_F(TcpStates, EstablishedRstAtRcvNxtResets) {
  const int fd = establish();
  inject({.flags = "R.", .seq = 1, .ack = 1001});
  EXPECT_EQ(state(fd), TcpState::kClosed);
  expect_states({"RST from the peer: connection reset [error ECONNRESET]",
                 "ESTABLISHED -> CLOSE (connection done)"});
  EXPECT_EQ(mib(Mib::kTcpEstabResets), 1u);
  EXPECT_EQ(err(recv(fd)), Errno::kECONNRESET);
  EXPECT_EQ(*recv(fd), "");
  EXPECT_EQ(err(send(fd, "x")), Errno::kEPIPE);
  expect_silence(5s);
}

// RFC 5961 §3.2: an RST inside the window but not at RCV.NXT gets a challenge ACK
// `. seq snd_nxt, ack rcv_nxt` and the connection stays; challenge ACKs are limited to one per
// tcp_invalid_ratelimit (500 ms) per socket (tcp_oow_rate_limited); outside the window, and
// at RCV.NXT - 1, an RST is dropped silently.
TEST_F(TcpStates, EstablishedInWindowRstGetsChallengeAck) {
  const int fd = establish();
  mark_time();
  inject({.flags = "R", .seq = 2});
  run(100ms);
  inject({.flags = "R", .seq = 30000});
  run(100ms);
  inject({.flags = "R", .seq = 3});
  run(400ms);
  inject({.flags = "R", .seq = 4});
  EXPECT_THAT(sent_timed(),
              ElementsAre("0ms . 1:1(0) ack 1 win 64240", "600ms . 1:1(0) ack 1 win 64240"));
  EXPECT_EQ(mib(Mib::kTCPChallengeACK), 2u);
  inject({.flags = "R", .seq = 10000001});
  inject({.flags = "R", .seq = 0});
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_EQ(state(fd), TcpState::kEstablished);
  EXPECT_EQ(mib(Mib::kTcpEstabResets), 0u);
  EXPECT_THAT(drop_reasons(), ElementsAre("TCP_RESET", "TCP_RESET", "TCP_RESET", "TCP_RESET",
                                          "TCP_INVALID_SEQUENCE", "TCP_OLD_SEQUENCE"));
}

// RFC 5961 §4.2: any SYN on a synchronized connection, in the window or not, gets a challenge
// ACK (TCPSYNChallenge, TCPChallengeACK) and changes nothing.
TEST_F(TcpStates, EstablishedSynGetsChallengeAck) {
  const int fd = establish();
  inject({.flags = "S", .seq = 1});
  expect_sent({". 1:1(0) ack 1 win 64240"});
  run(600ms);
  inject({.flags = "S", .seq = 0});
  expect_sent({". 1:1(0) ack 1 win 64240"});
  run(600ms);
  inject({.flags = "S.", .seq = 0, .ack = 1});
  expect_sent({". 1:1(0) ack 1 win 64240"});
  run(600ms);
  inject({.flags = "S", .seq = 50000000});
  expect_sent({". 1:1(0) ack 1 win 64240"});
  EXPECT_EQ(mib(Mib::kTCPSYNChallenge), 4u);
  EXPECT_EQ(mib(Mib::kTCPChallengeACK), 4u);
  EXPECT_EQ(state(fd), TcpState::kEstablished);
}

// tcp_sequence / tcp_data_queue: data far outside the window and old (entirely duplicate)
// data draw a duplicate ACK; in-window out-of-order data an immediate one; data without the
// ACK flag is dropped silently and not queued (topic 3).
TEST_F(TcpStates, EstablishedUnacceptableDataGetsDuplicateAck) {
  const int fd = establish();
  inject({.flags = "P.", .seq = 10000000, .ack = 1, .data = "x"});
  expect_sent({". 1:1(0) ack 1 win 64240"});
  inject({.flags = "P.", .seq = 1, .ack = 1, .data = "abcd"});
  expect_sent({". 1:1(0) ack 5 win 64240"});
  inject({.flags = "P.", .seq = 1, .ack = 1, .data = "abcd"});
  expect_sent({". 1:1(0) ack 5 win 64240"});
  inject({.flags = "P.", .seq = 1005, .ack = 1, .data = "z"});
  expect_sent({". 1:1(0) ack 5 win 64240"});
  inject({.flags = "P", .seq = 5, .data = "efgh"});
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_EQ(*recv(fd), "abcd");
  EXPECT_EQ(err(recv(fd)), Errno::kEAGAIN);
}

// tcp_ack: an ACK of data never sent is answered with an ACK (RFC 5961 §5.2) and otherwise
// ignored; so is an ACK older than the window (topic 3).
TEST_F(TcpStates, EstablishedAckOfUnsentDataGetsAnAck) {
  const int fd = establish();
  inject({.flags = ".", .seq = 1, .ack = 1001});
  expect_sent({". 1:1(0) ack 1 win 64240"});
  run(600ms);
  inject({.flags = ".", .seq = 1, .ack = static_cast<std::uint32_t>(1 - 100000)});
  expect_sent({". 1:1(0) ack 1 win 64240"});
  EXPECT_EQ(state(fd), TcpState::kEstablished);
  EXPECT_EQ(sk(fd).tcp.snd_una.raw, local_isn + 1);
  EXPECT_THAT(drop_reasons(), ElementsAre("TCP_ACK_UNSENT_DATA", "TCP_TOO_OLD_ACK"));
}

// --- FIN_WAIT_1 ------------------------------------------------------------------------------

// RFC 9293 §3.10.7.4 FIN-WAIT-1: "if our FIN is now acknowledged, enter FIN-WAIT-2".
TEST_F(TcpStates, FinWait1AckOfFinMovesToFinWait2) {
  const int fd = fin_wait_1();
  inject({.flags = ".", .seq = 1, .ack = 2});
  EXPECT_EQ(state(fd), TcpState::kFinWait2);
  expect_states({"FIN_WAIT1 -> FIN_WAIT2 (our FIN was acknowledged)"});
  EXPECT_THAT(sent(), IsEmpty());
  // A non-orphaned FIN_WAIT_2 (the fd is open) has no timeout (topic 9).
  expect_silence(200s);
  EXPECT_EQ(state(fd), TcpState::kFinWait2);
}

// tcp_fin in FIN_WAIT1: the peer's FIN before the ACK of ours is a simultaneous close: ACK it
// and enter CLOSING; the ACK of our FIN then moves to TIME_WAIT (topic 13).
TEST_F(TcpStates, FinWait1FinMovesToClosing) {
  const int fd = fin_wait_1();
  inject({.flags = "F.", .seq = 1, .ack = 1});
  EXPECT_EQ(state(fd), TcpState::kClosing);
  expect_sent({". 2:2(0) ack 2 win 64240"});
  expect_states({"FIN_WAIT1 -> CLOSING (FIN from the peer while ours is unacknowledged)"});
  inject({.flags = ".", .seq = 2, .ack = 2});
  EXPECT_EQ(state(fd), TcpState::kTimeWait);
  expect_states({"CLOSING -> TIME_WAIT (waiting 2 MSL for stray segments)"});
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_EQ(mib(Mib::kTW), 1u);
}

// FIN+ACK acknowledging our FIN in FIN_WAIT1: through FIN_WAIT2 straight to TIME_WAIT, with
// an ACK of the FIN (tcp_rcv_state_process then tcp_fin).
TEST_F(TcpStates, FinWait1FinAckMovesToTimeWait) {
  const int fd = fin_wait_1();
  inject({.flags = "F.", .seq = 1, .ack = 2});
  EXPECT_EQ(state(fd), TcpState::kTimeWait);
  expect_sent({". 2:2(0) ack 2 win 64240"});
  expect_states({"FIN_WAIT1 -> FIN_WAIT2 (our FIN was acknowledged)",
                 "FIN_WAIT2 -> TIME_WAIT (waiting 2 MSL for stray segments)"});
  EXPECT_EQ(mib(Mib::kTcpEstabResets), 0u);
}

// The FIN is retransmitted on the RTO while unacknowledged (RTO from the handshake's RTT
// sample: rto_min 200 ms here, the link has no delay).
TEST_F(TcpStates, FinWait1RetransmitsTheFin) {
  const int fd = fin_wait_1();
  mark_time();
  run(700ms);
  EXPECT_THAT(sent_timed(),
              ElementsAre("200ms F. 1:1(0) ack 1 win 64240", "600ms F. 1:1(0) ack 1 win 64240"));
  EXPECT_EQ(state(fd), TcpState::kFinWait1);
}

// --- FIN_WAIT_2 ------------------------------------------------------------------------------

// FIN_WAIT_2 still receives (half-close); the peer's FIN moves to TIME_WAIT with an ACK.
TEST_F(TcpStates, FinWait2ReceivesDataThenFin) {
  const int fd = fin_wait_2();
  inject({.flags = "P.", .seq = 1, .ack = 2, .data = "1234"});
  expect_sent({". 2:2(0) ack 5 win 64240"});
  EXPECT_EQ(*recv(fd), "1234");
  inject({.flags = "F.", .seq = 5, .ack = 2});
  expect_sent({". 2:2(0) ack 6 win 64240"});
  EXPECT_EQ(state(fd), TcpState::kTimeWait);
  expect_states({"FIN_WAIT2 -> TIME_WAIT (waiting 2 MSL for stray segments)"});
}

// tcp_close + tcp_time_wait(TCP_FIN_WAIT2, tcp_fin_timeout): an orphaned FIN_WAIT_2 lasts
// tcp_fin_timeout (60 s) and goes silently; new data meanwhile gets a bare `R seq=ack`
// (tcp_timewait_state_process, TCP_TW_RST) (topic 9).
TEST_F(TcpStates, OrphanedFinWait2TimesOutAndResetsData) {
  const int fd = establish();
  close(fd);
  expect_sent({"F. 1:1(0) ack 1 win 64240"});
  inject({.flags = ".", .seq = 1, .ack = 2});
  mark_time();
  run(30s);
  inject({.flags = "P.", .seq = 1, .ack = 2, .data = "late"});
  expect_sent({"R 2:2(0) win 0"});
  EXPECT_EQ(mib(Mib::kTCPAbortOnData), 0u);
  states();
  run(30s);
  EXPECT_THAT(states(), ElementsAre("FIN_WAIT2 -> CLOSE (timer expired)"));
  expect_silence(1s);
}

// An orphaned FIN_WAIT_2 whose peer FINs: TIME_WAIT (timewait socket, substate FIN_WAIT2).
TEST_F(TcpStates, OrphanedFinWait2FinMovesToTimeWait) {
  const int fd = establish();
  close(fd);
  inject({.flags = ".", .seq = 1, .ack = 2});
  sent();
  states();
  inject({.flags = "F.", .seq = 1, .ack = 2});
  expect_sent({". 2:2(0) ack 2 win 64240"});
  EXPECT_THAT(states(), ElementsAre("FIN_WAIT2 -> TIME_WAIT (waiting 2 MSL for stray segments)"));
}

// --- CLOSING ---------------------------------------------------------------------------------

// RFC 9293 CLOSING: "if the ACK acknowledges our FIN then enter the TIME-WAIT state"; until
// then the FIN is retransmitted.
TEST_F(TcpStates, ClosingWaitsForTheAckOfOurFin) {
  const int fd = fin_wait_1();
  inject({.flags = "F.", .seq = 1, .ack = 1});
  sent();
  states();
  mark_time();
  run(250ms);
  EXPECT_THAT(sent_timed(), ElementsAre("200ms F. 1:1(0) ack 2 win 64240"));
  inject({.flags = ".", .seq = 2, .ack = 1});  // acknowledges nothing new
  EXPECT_EQ(state(fd), TcpState::kClosing);
  inject({.flags = ".", .seq = 2, .ack = 2});
  EXPECT_EQ(state(fd), TcpState::kTimeWait);
  EXPECT_THAT(sent(), IsEmpty());
}

// --- TIME_WAIT -------------------------------------------------------------------------------

// TCP_TIMEWAIT_LEN: TIME_WAIT lasts 60 s (measured 61.3 s with timer slack), then the 4-tuple
// is free and a segment for it gets the closed-port RST.
TEST_F(TcpStates, TimeWaitLastsSixtySeconds) {
  const int fd = time_wait();
  // The fd reads as a finished connection (topic 4: IN|OUT|RDHUP|HUP).
  EXPECT_EQ(calls.revents(host, fd, kPollIn | kPollOut | kPollRdHup),
            kPollIn | kPollOut | kPollRdHup | kPollHup);
  mark_time();
  run(Duration::seconds(60) - Duration::nanos(1));
  EXPECT_EQ(state(fd), TcpState::kTimeWait);
  EXPECT_THAT(states(), IsEmpty());
  run(Duration::nanos(1));
  EXPECT_EQ(state(fd), TcpState::kClosed);
  EXPECT_THAT(states(), ElementsAre("TIME_WAIT -> CLOSE (timer expired)"));
  inject({.flags = "F.", .seq = 1, .ack = 2});
  expect_sent({"R 2:2(0) win 0"});
  EXPECT_THAT(drop_reasons(), ElementsAre("NO_SOCKET"));
}

// tcp_timewait_state_process: a retransmitted FIN is ACKed again (tcp_v4_timewait_ack) and
// restarts the 60 s timer ("if (paws_reject || th->ack) inet_twsk_reschedule").
TEST_F(TcpStates, TimeWaitReAcksADuplicateFinAndRestartsTheTimer) {
  const int fd = time_wait();
  run(30s);
  inject({.flags = "F.", .seq = 1, .ack = 2});
  expect_sent({". 2:2(0) ack 2 win 64240"});
  // Another within 500 ms of that reply is not answered (tcp_timewait_check_oow_rate_limit).
  inject({.flags = "F.", .seq = 1, .ack = 2});
  EXPECT_THAT(sent(), IsEmpty());
  run(59s);
  EXPECT_EQ(state(fd), TcpState::kTimeWait);
  run(1s);
  EXPECT_EQ(state(fd), TcpState::kClosed);
}

// tcp_timewait_state_process: an RST at RCV.NXT ends TIME_WAIT at once (RFC 1337 protection,
// tcp_rfc1337, is off by default); an RST elsewhere is ignored.
TEST_F(TcpStates, TimeWaitRstKillsIt) {
  const int fd = time_wait();
  inject({.flags = "R", .seq = 5});
  EXPECT_EQ(state(fd), TcpState::kTimeWait);
  inject({.flags = "R", .seq = 2});
  EXPECT_EQ(state(fd), TcpState::kClosed);
  EXPECT_THAT(sent(), IsEmpty());
  expect_states({"TIME_WAIT -> CLOSE (RST in TIME_WAIT)"});
}

// tcp_v4_rcv, TCP_TW_SYN: a SYN with a higher sequence number for a TIME_WAIT 4-tuple is
// handed to a listener on the port if there is one (topic 9: "a server-side TIME_WAIT accepts
// a new SYN from the same peer port"). The new connection's ISN is the old snd_nxt + 65537
// (tcp_timewait_state_process: "isn = tcptw->tw_snd_nxt + 65535 + 2").
TEST_F(TcpStates, TimeWaitGivesANewSynToTheListener) {
  const int lfd = listen_on();
  remote_isn = kPeerIsn;
  inject({.flags = "S", .seq = 0});
  host.reqs.for_each([&](ReqId, RequestSock& r) { local_isn = r.snt_isn.raw; });
  inject({.flags = ".", .seq = 1, .ack = 1});
  const int fd = *accept(lfd);
  sent();
  // The host closes first: FIN_WAIT1, FIN_WAIT2, then TIME_WAIT on the peer's FIN.
  close(fd);
  expect_sent({"F. 1:1(0) ack 1 win 64240"});
  inject({.flags = "F.", .seq = 1, .ack = 2});
  expect_sent({". 2:2(0) ack 2 win 64240"});
  states();
  run(1s);
  inject({.flags = "S", .seq = 100000});
  EXPECT_THAT(states(), ElementsAre("TIME_WAIT -> CLOSE (replaced by a new connection)"));
  ASSERT_EQ(sk(lfd).listener->reqsk_qlen, 1);
  expect_sent({"S. 65539:65539(0) ack 100001 win 64240 <mss 1460>"});  // old snd_nxt 2, + 65537
  EXPECT_EQ(mib(Mib::kTCPReqQFullDoCookies), 0u);
}

// tcp_v4_rcv, TCP_TW_SYN with nobody listening falls through to TCP_TW_ACK: the TIME_WAIT
// socket answers the SYN with its ACK (not an RST) and stays.
TEST_F(TcpStates, TimeWaitAnswersASynWithNoListenerWithItsAck) {
  const int fd = time_wait();
  run(1s);
  inject({.flags = "S", .seq = 100000});
  expect_sent({". 2:2(0) ack 2 win 64240"});
  EXPECT_EQ(state(fd), TcpState::kTimeWait);
}

// --- CLOSE_WAIT ------------------------------------------------------------------------------

// CLOSE_WAIT can still send; close() sends our FIN and enters LAST_ACK.
TEST_F(TcpStates, CloseWaitSendsThenCloseMovesToLastAck) {
  const int fd = close_wait();
  EXPECT_EQ(*send(fd, "bye"), 3u);
  expect_sent({"P. 1:4(3) ack 2 win 64240"});
  inject({.flags = ".", .seq = 2, .ack = 4});
  EXPECT_EQ(*recv(fd), "");
  close(fd);
  expect_sent({"F. 4:4(0) ack 2 win 64240"});
  EXPECT_THAT(states(true), ElementsAre(testing::EndsWith("CLOSE_WAIT -> LAST_ACK (close())")));
}

// tcp_reset in CLOSE_WAIT: the error is EPIPE, not ECONNRESET (topic 5); TcpEstabResets.
TEST_F(TcpStates, CloseWaitRstGivesEpipe) {
  const int fd = close_wait();
  inject({.flags = "R", .seq = 2});
  EXPECT_EQ(state(fd), TcpState::kClosed);
  EXPECT_EQ(so_error(fd), Errno::kEPIPE);
  EXPECT_EQ(mib(Mib::kTcpEstabResets), 1u);
  EXPECT_EQ(*recv(fd), "");
  expect_states(
      {"RST after the peer's FIN [error EPIPE]", "CLOSE_WAIT -> CLOSE (connection done)"});
}

// --- LAST_ACK --------------------------------------------------------------------------------

// RFC 9293 LAST-ACK: "if our FIN is now acknowledged, delete the TCB, enter the CLOSED state";
// the 4-tuple is then a closed port.
TEST_F(TcpStates, LastAckAckOfFinCloses) {
  const int fd = close_wait();
  close(fd);
  expect_sent({"F. 1:1(0) ack 2 win 64240"});
  states();
  inject({.flags = ".", .seq = 2, .ack = 2});
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_THAT(states(true),
              ElementsAre(testing::EndsWith("LAST_ACK -> CLOSE (our FIN was acknowledged: "
                                            "connection closed)")));
  EXPECT_EQ(mib(Mib::kTcpEstabResets), 0u);
  inject({.flags = ".", .seq = 2, .ack = 2});
  expect_sent({"R 2:2(0) win 0"});
}

// LAST_ACK retransmits its FIN until acknowledged.
TEST_F(TcpStates, LastAckRetransmitsTheFin) {
  const int fd = close_wait();
  close(fd);
  sent();
  mark_time();
  run(700ms);
  EXPECT_THAT(sent_timed(),
              ElementsAre("200ms F. 1:1(0) ack 2 win 64240", "600ms F. 1:1(0) ack 2 win 64240"));
}

// --- close() and aborts ----------------------------------------------------------------------

// tcp_close (RFC 2525 §2.17): unread data makes close() send `R. seq snd_nxt, ack rcv_nxt`
// instead of a FIN (TCPAbortOnClose); the connection is counted as reset (tcp_set_state).
TEST_F(TcpStates, CloseWithUnreadDataSendsRst) {
  const int fd = establish();
  inject({.flags = "P.", .seq = 1, .ack = 1, .data = "12345"});
  sent();
  close(fd);
  expect_sent({"R. 1:1(0) ack 6 win 64240"});
  EXPECT_THAT(states(true),
              ElementsAre(testing::EndsWith("ESTABLISHED -> CLOSE (close() with unread data)")));
  EXPECT_EQ(mib(Mib::kTCPAbortOnClose), 1u);
  EXPECT_EQ(mib(Mib::kTcpEstabResets), 1u);
  // The connection is gone: the peer's next segment meets a closed port.
  inject({.flags = ".", .seq = 6, .ack = 1});
  expect_sent({"R 1:1(0) win 0"});
  expect_silence(5s);
}

// tcp_close: SO_LINGER {1, 0} aborts with `R. seq snd_nxt, ack rcv_nxt` (tcp_disconnect),
// counted as TCPAbortOnData (topic 9).
TEST_F(TcpStates, SoLingerZeroSendsRst) {
  const int fd = establish();
  OptVal linger(8, 0);
  linger[0] = 1;
  ASSERT_TRUE(host.setsockopt(fd, kSolSocket, kSoLinger, linger));
  EXPECT_EQ(*send(fd, "abc"), 3u);
  inject({.flags = ".", .seq = 1, .ack = 4});
  sent();
  close(fd);
  expect_sent({"R. 4:4(0) ack 1 win 64240"});
  EXPECT_EQ(mib(Mib::kTCPAbortOnData), 1u);
  EXPECT_EQ(mib(Mib::kTcpEstabResets), 1u);
  expect_silence(5s);
}

// SO_LINGER {1, 0} in CLOSE_WAIT: the RST acknowledges the peer's FIN (topic 9).
TEST_F(TcpStates, SoLingerZeroInCloseWaitAcksTheFin) {
  const int fd = close_wait();
  OptVal linger(8, 0);
  linger[0] = 1;
  ASSERT_TRUE(host.setsockopt(fd, kSolSocket, kSoLinger, linger));
  close(fd);
  expect_sent({"R. 1:1(0) ack 2 win 64240"});
}

// SO_LINGER {1, 0} in LAST_ACK with the FIN already out: tcp_disconnect resets CLOSING and
// LAST_ACK only while something is unsent, so the socket goes silently; the peer's ACK of the
// FIN then meets a closed port.
TEST_F(TcpStates, SoLingerZeroInLastAckSendsNothing) {
  const int fd = close_wait();
  ASSERT_TRUE(host.shutdown(fd, kShutWr));
  expect_sent({"F. 1:1(0) ack 2 win 64240"});
  ASSERT_EQ(state(fd), TcpState::kLastAck);
  states();
  OptVal linger(8, 0);
  linger[0] = 1;
  ASSERT_TRUE(host.setsockopt(fd, kSolSocket, kSoLinger, linger));
  close(fd);
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_THAT(states(), ElementsAre("LAST_ACK -> CLOSE (close() with SO_LINGER {1, 0}: abort)"));
  EXPECT_EQ(mib(Mib::kTCPAbortOnData), 1u);
  inject({.flags = ".", .seq = 2, .ack = 2});
  expect_sent({"R 2:2(0) win 0"});
}

// tcp_close in SYN_SENT sends nothing; the late SYN-ACK finds no socket and gets a bare
// `R seq=isn+1` (topic 9).
TEST_F(TcpStates, CloseInSynSentSendsNothing) {
  const int fd = connect_nb();
  sent();
  close(fd);
  EXPECT_THAT(sent(), IsEmpty());
  EXPECT_EQ(mib(Mib::kTcpAttemptFails), 0u);
  remote_isn = kPeerIsn;
  inject({.flags = "S.", .seq = 0, .ack = 1, .opts = mss(1460)});
  expect_sent({"R 1:1(0) win 0"});
  expect_silence(5s);
}

// tcp_rcv_state_process: data arriving after close() (orphaned FIN_WAIT_1, fd gone) resets
// the connection (RFC 1122 §4.2.2.13), counted as TCPAbortOnData; tcp_v4_do_rcv answers the
// segment itself: `R seq=SEG.ACK` (as the orphaned FIN_WAIT_2 of topic 9 does).
TEST_F(TcpStates, DataAfterCloseResetsTheConnection) {
  const int fd = establish();
  close(fd);
  expect_sent({"F. 1:1(0) ack 1 win 64240"});
  states();
  inject({.flags = "P.", .seq = 1, .ack = 1, .data = "more"});
  expect_sent({"R 1:1(0) win 0"});
  EXPECT_EQ(mib(Mib::kTCPAbortOnData), 1u);
  EXPECT_THAT(states(), ElementsAre("data after close() [error ECONNRESET]",
                                    "FIN_WAIT1 -> CLOSE (connection done)"));
  expect_silence(5s);
}

}  // namespace
