// Every errno the connect(2) page lists, and Linux's additions, produced the way the real
// kernel produces it. Where Linux's connect() never returns one, the test makes the real call
// that does (docs/linux-measurements.md has the kernel's own numbers).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "stack/blocking.h"
#include "stack/socket/constants.h"
#include "stack/world.h"

using namespace std::chrono_literals;
using synlab::Blocking;
using synlab::World;
using synlab::fail;
using synlab::sim::Duration;
using namespace synlab::stack;

namespace {

class Errnos : public testing::Test {
 protected:
  World world{{.seed = 5}};
  Host& client = world.add_host("client", {"10.0.0.1/24"});
  Host& server = world.add_host("server", {"10.0.0.2/24"});
  Blocking call{world, Duration::seconds(600)};
  synlab::sim::Link& link = world.connect(client, server, {.delay = 1ms});

  int tcp(Host& h, int flags = 0) { return h.socket(kAfInet, kSockStream | flags, 0).value(); }
  int udp(Host& h) { return h.socket(kAfInet, kSockDgram, 0).value(); }
  UserAddr addr(const std::string& s) { return UserAddr::from(*SockAddr::parse(s)); }
  int listening(int port) {
    const int fd = tcp(server);
    EXPECT_TRUE(server.bind(fd, addr("10.0.0.2:" + std::to_string(port))));
    EXPECT_TRUE(server.listen(fd, 8));
    return fd;
  }
  template <class T>
  Errno err(const SysResult<T>& r) { return r ? Errno::kOk : r.error(); }
};

}  // namespace

TEST_F(Errnos, Eopnotsupp_ListenOnADatagramSocket) {
  // Linux's connect() never returns EOPNOTSUPP; listen() on UDP does.
  EXPECT_EQ(err(client.listen(udp(client), 1)), Errno::kEOPNOTSUPP);
  std::optional<SysResult<AcceptResult>> r;
  client.accept(udp(client), 0, [&](auto x) { r = x; });
  EXPECT_EQ(err(*r), Errno::kEOPNOTSUPP);
}

TEST_F(Errnos, Eacces_ProhibitRouteUdpBroadcastAndPrivilegedPorts) {
  Route r;
  r.dst = *synlab::wire::IpPrefix::parse("10.7.0.0/16");
  r.type = RouteType::kProhibit;
  client.add_route(r);
  EXPECT_EQ(err(call.connect(client, tcp(client), "10.7.0.1:80")), Errno::kEACCES);
  // UDP to a broadcast address without SO_BROADCAST.
  SysResult<void> c = fail(Errno::kEIO);
  client.connect(udp(client), addr("10.0.0.255:9"), [&](auto x) { c = x; });
  EXPECT_EQ(err(c), Errno::kEACCES);
  const int b = udp(client);
  ASSERT_TRUE(client.setsockopt(b, kSolSocket, kSoBroadcast, {1, 0, 0, 0}));
  client.connect(b, addr("10.0.0.255:9"), [&](auto x) { c = x; });
  EXPECT_EQ(err(c), Errno::kOk);
  // An unprivileged process binding a port below ip_unprivileged_port_start.
  client.privileged = false;
  EXPECT_EQ(err(client.bind(tcp(client), addr("0.0.0.0:80"))), Errno::kEACCES);
  EXPECT_EQ(err(client.bind(tcp(client), addr("0.0.0.0:1024"))), Errno::kOk);
}

TEST_F(Errnos, Econnaborted_ConnectAfterARefusalWhoseErrorWasRead) {
  const int fd = tcp(client, kSockNonblock);
  SysResult<void> r = fail(Errno::kEIO);
  client.connect(fd, addr("10.0.0.2:5001"), [&](auto x) { r = x; });
  EXPECT_EQ(err(r), Errno::kEINPROGRESS);
  const auto old_iss = client.sock_of_fd(fd)->tcp.iss;
  world.run_for(100ms);
  EXPECT_EQ(call.so_error(client, fd), Errno::kECONNREFUSED);
  client.connect(fd, addr("10.0.0.2:5001"), [&](auto x) { r = x; });
  EXPECT_EQ(err(r), Errno::kECONNABORTED);
  // The call after that is a fresh attempt, with ISN = previous ISN + 3 (tcp_disconnect).
  client.connect(fd, addr("10.0.0.2:5001"), [&](auto x) { r = x; });
  EXPECT_EQ(err(r), Errno::kEINPROGRESS);
  EXPECT_EQ(client.sock_of_fd(fd)->tcp.iss.raw, old_iss.raw + 3);
}

TEST_F(Errnos, Econnrefused_PendingErrorComesBeforeANewAttempt) {
  const int fd = tcp(client, kSockNonblock);
  SysResult<void> r = fail(Errno::kEIO);
  client.connect(fd, addr("10.0.0.2:5001"), [&](auto x) { r = x; });
  world.run_for(100ms);
  client.connect(fd, addr("10.0.0.2:5001"), [&](auto x) { r = x; });
  EXPECT_EQ(err(r), Errno::kECONNREFUSED);
  client.connect(fd, addr("10.0.0.2:5001"), [&](auto x) { r = x; });
  EXPECT_EQ(err(r), Errno::kEINPROGRESS);
}

TEST_F(Errnos, Enotconn_Epipe_Econnreset_OnUnconnectedAndResetSockets) {
  const int fresh = tcp(client);
  EXPECT_EQ(err(client.getpeername(fresh)), Errno::kENOTCONN);
  EXPECT_EQ(err(call.read(client, fresh, 10)), Errno::kENOTCONN);
  // send() on a never-connected TCP socket: EPIPE (+SIGPIPE), not ENOTCONN (measured).
  EXPECT_EQ(err(call.write(client, fresh, 1)), Errno::kEPIPE);
  EXPECT_EQ(err(client.shutdown(fresh, kShutWr)), Errno::kENOTCONN);
  // After shutdown(SHUT_WR): EPIPE.
  const int l = listening(5000);
  const int fd = tcp(client);
  ASSERT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
  auto a = call.accept(server, l);
  ASSERT_TRUE(a);
  ASSERT_TRUE(client.shutdown(fd, kShutWr));
  EXPECT_EQ(err(call.write(client, fd, 1)), Errno::kEPIPE);
  // After the peer's RST: ECONNRESET once, then EPIPE.
  ASSERT_TRUE(server.setsockopt(a->fd, kSolSocket, kSoLinger, {1, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(call.close(server, a->fd));
  world.run_for(10ms);
  const int fd2 = tcp(client);
  ASSERT_EQ(err(call.connect(client, fd2, "10.0.0.2:5000")), Errno::kOk);
  auto a2 = call.accept(server, l);
  ASSERT_TRUE(a2);
  ASSERT_TRUE(server.setsockopt(a2->fd, kSolSocket, kSoLinger, {1, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(call.close(server, a2->fd));
  world.run_for(10ms);
  EXPECT_EQ(err(call.write(client, fd2, 1)), Errno::kECONNRESET);
  EXPECT_EQ(err(call.write(client, fd2, 1)), Errno::kEPIPE);
}

TEST_F(Errnos, Enobufs_UdpWithIpRecverrWhenTheTransmitQueueIsFull) {
  // A slow link with a 3-frame transmit queue: a burst overflows it.
  link.set_config({.delay = 1ms, .rate_bps = 64'000, .queue_limit = 3});
  const int warm = udp(client);
  ASSERT_TRUE(call.sendto(client, warm, 1, "10.0.0.2:9"));  // resolve ARP first
  world.run_for(1s);
  const int quiet = udp(client);
  const int loud = udp(client);
  ASSERT_TRUE(client.setsockopt(loud, kSolIp, kIpRecverr, {1, 0, 0, 0}));
  std::vector<Errno> without, with;
  for (int i = 0; i < 6; ++i) without.push_back(err(call.sendto(client, quiet, 1000, "10.0.0.2:9")));
  world.run_for(2s);
  for (int i = 0; i < 6; ++i) with.push_back(err(call.sendto(client, loud, 1000, "10.0.0.2:9")));
  // Without IP_RECVERR the drops are silent (measured); with it, ENOBUFS.
  EXPECT_THAT(without, testing::Each(Errno::kOk));
  EXPECT_THAT(with, testing::Contains(Errno::kENOBUFS));
  EXPECT_GT(link.counters().queue_drops, 0u);
}

TEST_F(Errnos, Eaddrinuse_BindAndEinvalDoubleBind) {
  const int a = tcp(client);
  ASSERT_TRUE(client.bind(a, addr("10.0.0.1:6000")));
  EXPECT_EQ(err(client.bind(tcp(client), addr("10.0.0.1:6000"))), Errno::kEADDRINUSE);
  EXPECT_EQ(err(client.bind(a, addr("10.0.0.1:6001"))), Errno::kEINVAL);
}

TEST_F(Errnos, Edom_SocketTimeoutWithMicrosecondsOutOfRange) {
  OptVal tv(16, 0);
  tv[8] = 0x40;
  tv[9] = 0x42;
  tv[10] = 0x0f;  // tv_usec = 1000000
  EXPECT_EQ(err(client.setsockopt(tcp(client), kSolSocket, kSoSndtimeo, tv)), Errno::kEDOM);
}

TEST_F(Errnos, Einprogress_BlockingConnectWithSoSndtimeoThenEalready) {
  FilterRule drop;
  drop.chain = FilterChain::kInput;
  drop.protocol = 6;
  drop.verdict = FilterVerdict::kDrop;
  server.filter.add(drop);
  const int fd = tcp(client);
  OptVal tv(16, 0);
  tv[8] = 0x20;
  tv[9] = 0xa1;
  tv[10] = 0x07;  // 500000 us
  ASSERT_TRUE(client.setsockopt(fd, kSolSocket, kSoSndtimeo, tv));
  const auto t0 = world.now();
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kEINPROGRESS);
  EXPECT_EQ(world.now() - t0, Duration(500ms));
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kEALREADY);
  EXPECT_EQ(world.now() - t0, Duration(1000ms));
}
