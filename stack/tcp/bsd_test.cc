// The bsd personality's TCP knobs, each against the 4.4BSD source it cites
// (stack/personality/personality.cc, docs/personalities.md): the SYN retransmission schedule
// (tcp_backoff[] over a 6 s initial RTO), the 75 s connection-establishment timer
// (TCPTV_KEEP_INIT), the backlog fudge factor of sonewconn (queued + half-open may reach
// 3 * backlog / 2) with silent drops and no SYN cookies, and the same setups under linux for
// contrast, so a test fails if a knob stops being read.
#include "stack/personality/personality.h"
#include "stack/tcp/tcp_fixture.h"

using namespace synlab::stack;
using namespace synlab::stack::test;
using synlab::sim::Duration;

namespace {

class Bsd : public TcpFixture {
 protected:
  void personality(const char* name) { host.personality() = *make_personality(name); }

  // SYNs from `n` peer ports to the listener on kServerPort: how many drew a SYN-ACK.
  int syn_acks(int n) {
    int answered = 0;
    for (int i = 0; i < n; ++i) {
      sent();
      remote_isn = kPeerIsn;
      inject({.flags = "S", .seq = 0, .opts = mss(1460), .sport = static_cast<std::uint16_t>(kPeerPort + i),
              .dport = kServerPort});
      // "S. ..." for the fixture's peer port, "8080>41001 S. ..." for the others.
      for (const auto& s : sent()) answered += s.rfind("S. ", 0) == 0 || s.find(" S. ") != std::string::npos;
    }
    return answered;
  }
};

TEST_F(Bsd, SynRetransmissionsFollowTcpBackoffAndTheEstablishmentTimerEndsThemAt75s) {
  personality("bsd");
  mark_time();
  const int fd = connect_nb();
  run(Duration::seconds(74) + Duration::millis(999));
  // 4.4BSD: t_rxtcur starts at 6 s; the next timeout is TCP_REXMTVAL * tcp_backoff[1] = 24 s.
  const auto syns = sent_timed();
  ASSERT_EQ(syns.size(), 3u) << ::testing::PrintToString(syns);
  EXPECT_EQ(syns[0].rfind("0ms S 0:0(0)", 0), 0u) << syns[0];
  EXPECT_EQ(syns[1].rfind("6000ms S 0:0(0)", 0), 0u) << syns[1];
  EXPECT_EQ(syns[2].rfind("30000ms S 0:0(0)", 0), 0u) << syns[2];
  EXPECT_EQ(state(fd), TcpState::kSynSent);
  // TCPTV_KEEP_INIT: 75 s after connect(), the attempt is dropped with ETIMEDOUT.
  run(Duration::millis(2));
  EXPECT_EQ(state(fd), TcpState::kClosed);
  EXPECT_EQ(so_error(fd), Errno::kETIMEDOUT);
  EXPECT_TRUE(sent().empty());
}

TEST_F(Bsd, LinuxRetransmitsOnItsOwnScheduleForContrast) {
  personality("linux");
  mark_time();
  const int fd = connect_nb();
  run(Duration::seconds(8));
  const auto syns = sent_timed();
  ASSERT_GE(syns.size(), 7u);  // 0, 1, 2, 3, 4, 5, 7 s: linear timeouts, then doubling
  EXPECT_EQ(syns[1].rfind("1000ms S", 0), 0u) << syns[1];
  EXPECT_EQ(syns[6].rfind("7000ms S", 0), 0u) << syns[6];
  EXPECT_EQ(state(fd), TcpState::kSynSent);
}

TEST_F(Bsd, TheBacklogFudgeFactorAdmitsThreeHalvesOfTheBacklog) {
  // sonewconn refuses when so_qlen + so_q0len > 3 * so_qlimit / 2: listen(fd, 1) admits 2
  // connections in all, listen(fd, 2) 4, listen(fd, 5) 8; the rest are dropped silently.
  for (const auto& [backlog, admitted] : {std::pair{1, 2}, std::pair{2, 4}, std::pair{5, 8}}) {
    SCOPED_TRACE("listen(fd, " + std::to_string(backlog) + ")");
    personality("bsd");
    const int lfd = listen_on(static_cast<std::uint16_t>(kServerPort), backlog);
    EXPECT_EQ(syn_acks(admitted + 3), admitted);
    EXPECT_EQ(mib(Mib::kSyncookiesSent), 0u);  // 4.4BSD has no SYN cookies
    close(lfd);
    run(Duration::seconds(100));  // the half-open requests expire
    sent();
  }
}

TEST_F(Bsd, LinuxAnswersTheOverflowWithSynCookiesForContrast) {
  personality("linux");
  const int lfd = listen_on(kServerPort, 1);
  // Linux: the SYN queue admits backlog + 1 requests, then SYN cookies answer every SYN.
  EXPECT_EQ(syn_acks(5), 5);
  close(lfd);
  EXPECT_GT(mib(Mib::kSyncookiesSent), 0u);
}

}  // namespace
