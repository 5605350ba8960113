// Every row of ../shared/reference/linux-oracle.md (what Linux 6.18 does on connect(2)),
// reproduced against two simulated hosts, timings included. Topology as in the measurements:
// client 10.0.0.1 / fd00::1 and peer 10.0.0.2 / fd00::2 on one link.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/trace.h"
#include "stack/blocking.h"
#include "stack/socket/constants.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/describe.h"
#include "stack/world.h"

using namespace std::chrono_literals;
using synlab::Blocking;
using synlab::World;
using synlab::sim::Duration;
using synlab::sim::Time;
using namespace synlab::stack;
using synlab::fail;

namespace {

constexpr int kInet = kAfInet;
constexpr int kInet6 = kAfInet6;

class Oracle : public testing::Test {
 protected:
  World world{{.seed = 3}};
  Host& client = world.add_host("client", {"10.0.0.1/24", "fd00::1/64"});
  Host& peer = world.add_host("peer", {"10.0.0.2/24", "fd00::2/64"});
  Blocking call{world, Duration::seconds(600)};
  synlab::sim::TraceRecorder trace;
  synlab::sim::Link* wire = nullptr;

  void SetUp() override { world.sim().add_observer(&trace); }
  void link(Duration delay = Duration::zero()) { wire = &world.connect(client, peer, {.delay = delay}); }

  int tcp(Host& h, int family = kInet, int flags = 0) { return h.socket(family, kSockStream | flags, 0).value(); }
  int udp(Host& h, int family = kInet) { return h.socket(family, kSockDgram, 0).value(); }
  int listener(int port, int backlog = 16, int family = kInet) {
    const int fd = tcp(peer, family);
    const std::string a = family == kInet ? "10.0.0.2:" : "[::]:";
    EXPECT_TRUE(peer.bind(fd, UserAddr::from(*SockAddr::parse(a + std::to_string(port)))));
    EXPECT_TRUE(peer.listen(fd, backlog));
    return fd;
  }
  void blackhole(int port) {
    FilterRule r;
    r.chain = FilterChain::kInput;
    r.protocol = 6;
    r.dport = static_cast<std::uint16_t>(port);
    r.verdict = FilterVerdict::kDrop;
    r.text = "tcp dport " + std::to_string(port) + " drop";
    peer.filter.add(r);
  }
  SysResult<void> nb_connect(Host& h, int fd, const std::string& to) {
    SysResult<void> out = fail(Errno::kEIO);
    h.connect(fd, UserAddr::from(*SockAddr::parse(to)), [&](SysResult<void> r) { out = r; });
    return out;
  }
  Errno err(const SysResult<void>& r) { return r ? Errno::kOk : r.error(); }
  template <class T>
  Errno err(const SysResult<T>& r) { return r ? Errno::kOk : r.error(); }
  std::int64_t ms() const { return (world.now() - Time::zero()).ms(); }
  // Send times (ms) of TCP segments from `h` whose flags print as `flags`.
  std::vector<std::int64_t> segments(const std::string& from_ip, const std::string& flags) {
    std::vector<std::int64_t> out;
    for (const auto& f : trace.frames()) {
      const std::string d = synlab::wire::describe_frame(f.bytes);
      if (d.rfind(from_ip + ":", 0) == 0 && d.find(" " + flags + " ") != std::string::npos) {
        out.push_back((f.at - Time::zero()).ms());
      }
    }
    return out;
  }
  std::size_t frames_sent() const { return trace.frames().size(); }
};

}  // namespace

TEST_F(Oracle, BlockingConnectToListenerThenAgainGivesEisconn) {
  link();
  listener(5000);
  const int fd = tcp(client);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kEISCONN);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:6000")), Errno::kEISCONN);
}

TEST_F(Oracle, NonBlockingConnectSequence) {
  link(25ms);
  listener(5000);
  // Resolve ARP first so the handshake alone is timed.
  const int warmup = tcp(client);
  ASSERT_EQ(err(call.connect(client, warmup, "10.0.0.2:5000")), Errno::kOk);
  const Time t0 = world.now();
  const int fd = tcp(client, kInet, kSockNonblock);
  EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:5000")), Errno::kEINPROGRESS);
  EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:5000")), Errno::kEALREADY);
  EXPECT_EQ(err(client.getpeername(fd)), Errno::kENOTCONN);
  auto p = call.poll(client, {PollFd{fd, kPollOut, 0}}, Duration::seconds(5));
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)[0].revents, kPollOut);
  EXPECT_EQ(world.now() - t0, Duration(50ms));
  EXPECT_EQ(call.so_error(client, fd), Errno::kOk);
  // Linux: the next connect returns 0, only the one after gives EISCONN.
  EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
  EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:5000")), Errno::kEISCONN);
}

TEST_F(Oracle, NonBlockingThenBlockingConnectWaits) {
  link(25ms);
  listener(5000);
  const int fd = tcp(client, kInet, kSockNonblock);
  EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:5000")), Errno::kEINPROGRESS);
  ASSERT_TRUE(client.fcntl(fd, kFSetfl, 0));
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
  EXPECT_EQ(client.sock_of_fd(fd)->tcp.state, TcpState::kEstablished);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kEISCONN);
}

TEST_F(Oracle, ClosedPortBlockingRefusedAfterOneRttAndRetries) {
  link(25ms);
  const int warmup = udp(client);
  ASSERT_TRUE(call.sendto(client, warmup, 1, "10.0.0.2:9"));  // resolves ARP
  world.run_for(1s);
  const Time t0 = world.now();
  const int fd = tcp(client);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5001")), Errno::kECONNREFUSED);
  EXPECT_EQ(world.now() - t0, Duration(50ms));
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5001")), Errno::kECONNREFUSED);
  EXPECT_EQ(world.now() - t0, Duration(100ms));
}

TEST_F(Oracle, ClosedPortNonBlockingPollAndSoError) {
  link();
  const int fd = tcp(client, kInet, kSockNonblock);
  EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:5001")), Errno::kEINPROGRESS);
  world.run_for(10ms);
  EXPECT_EQ(call.revents(client, fd, kPollOut), kPollOut | kPollErr | kPollHup);
  EXPECT_EQ(client.sock_of_fd(fd)->tcp.state, TcpState::kClosed);
  EXPECT_EQ(call.so_error(client, fd), Errno::kECONNREFUSED);
  EXPECT_EQ(call.so_error(client, fd), Errno::kOk);
}

TEST_F(Oracle, ClosedPortNonBlockingOnLoopbackIsStillEinprogress) {
  link();
  const int fd = tcp(client, kInet, kSockNonblock);
  EXPECT_EQ(err(nb_connect(client, fd, "127.0.0.1:5001")), Errno::kEINPROGRESS);
  world.run_for(1ms);
  EXPECT_EQ(call.so_error(client, fd), Errno::kECONNREFUSED);
}

TEST_F(Oracle, BlackholeOneRetryLinearFour) {
  link();
  blackhole(5000);
  client.personality().tcp_syn_retries = 1;
  const int fd = tcp(client);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kETIMEDOUT);
  EXPECT_EQ(ms(), 3000);
  EXPECT_THAT(segments("10.0.0.1", "S"), testing::ElementsAre(0, 1000, 2000));
  // Non-blocking: poll POLLOUT|POLLERR|POLLHUP at 3 s, SO_ERROR ETIMEDOUT.
  const Time t0 = world.now();
  const int nb = tcp(client, kInet, kSockNonblock);
  EXPECT_EQ(err(nb_connect(client, nb, "10.0.0.2:5000")), Errno::kEINPROGRESS);
  auto p = call.poll(client, {PollFd{nb, kPollOut, 0}}, Duration::seconds(60));
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)[0].revents, kPollOut | kPollErr | kPollHup);
  EXPECT_EQ(world.now() - t0, Duration(3s));
  EXPECT_EQ(call.so_error(client, nb), Errno::kETIMEDOUT);
}

TEST_F(Oracle, BlackholeTwoRetriesLinearAndExponential) {
  link();
  blackhole(5000);
  client.personality().tcp_syn_retries = 2;
  const int fd = tcp(client);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kETIMEDOUT);
  EXPECT_EQ(ms(), 7000);
  EXPECT_THAT(segments("10.0.0.1", "S"), testing::ElementsAre(0, 1000, 2000, 3000, 4000, 5000));

  client.personality().tcp_syn_linear_timeouts = 0;
  trace = {};
  world.sim().remove_observer(&trace);
  synlab::sim::TraceRecorder t2;
  world.sim().add_observer(&t2);
  const Time t0 = world.now();
  const int fd2 = tcp(client);
  EXPECT_EQ(err(call.connect(client, fd2, "10.0.0.2:5000")), Errno::kETIMEDOUT);
  EXPECT_EQ(world.now() - t0, Duration(7s));
  std::vector<std::int64_t> syns;
  for (const auto& f : t2.frames()) {
    if (synlab::wire::describe_frame(f.bytes).find(" S ") != std::string::npos) syns.push_back((f.at - t0).ms());
  }
  EXPECT_THAT(syns, testing::ElementsAre(0, 1000, 3000));
}

TEST_F(Oracle, DefaultSynTimeoutIs131Seconds) {
  link();
  blackhole(5000);
  const int fd = tcp(client);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kETIMEDOUT);
  EXPECT_EQ(ms(), 131000);
  EXPECT_THAT(segments("10.0.0.1", "S"),
              testing::ElementsAre(0, 1000, 2000, 3000, 4000, 5000, 7000, 11000, 19000, 35000, 67000));
}

TEST_F(Oracle, NoRouteIsEnetunreachAtOnceAndSendsNothing) {
  link();
  for (const char* to : {"192.168.1.1:80", "[2001:db8::1]:80"}) {
    const int fam = to[0] == '[' ? kInet6 : kInet;
    EXPECT_EQ(err(call.connect(client, tcp(client, fam), to)), Errno::kENETUNREACH) << to;
    EXPECT_EQ(err(nb_connect(client, tcp(client, fam, kSockNonblock), to)), Errno::kENETUNREACH) << to;
    SysResult<void> u = fail(Errno::kEIO);
    client.connect(udp(client, fam), UserAddr::from(*SockAddr::parse(to)), [&](SysResult<void> r) { u = r; });
    EXPECT_EQ(err(u), Errno::kENETUNREACH) << to;
    EXPECT_EQ(err(call.sendto(client, udp(client, fam), 1, to)), Errno::kENETUNREACH) << to;
  }
  EXPECT_EQ(ms(), 0);
  EXPECT_EQ(frames_sent(), 0u);
  // Each failed lookup counts in OUTNOROUTES: TCP (blocking, non-blocking), UDP connect, sendto.
  EXPECT_EQ(client.counters().get(Mib::kIpOutNoRoutes), 8u);
}

TEST_F(Oracle, UnreachableRouteIsEhostunreachAtOnce) {
  link();
  Route r;
  r.dst = *synlab::wire::IpPrefix::parse("10.9.0.0/16");
  r.type = RouteType::kUnreachable;
  client.add_route(r);
  EXPECT_EQ(err(call.connect(client, tcp(client), "10.9.1.1:80")), Errno::kEHOSTUNREACH);
  EXPECT_EQ(ms(), 0);
}

TEST_F(Oracle, RouterIcmpErrorsMapToErrnos) {
  // client -- router -- (10.9.x.x), 50 ms away; the router answers with ICMP.
  Host& router = world.add_host("router", {"10.0.0.2/24"});
  world.connect(client, router, {.delay = 50ms});
  router.personality().ip_forward = true;
  Route def;
  def.dst = *synlab::wire::IpPrefix::parse("0.0.0.0/0");
  def.gateway = *synlab::wire::IpAddr::parse("10.0.0.2");
  def.ifindex = 2;
  client.add_route(def);
  auto add = [&](const char* p, RouteType t) {
    Route r;
    r.dst = *synlab::wire::IpPrefix::parse(p);
    r.type = t;
    router.add_route(r);
  };
  // 10.9.0.0/24: no route on the router (net unreachable); 10.9.1.0/24 unreachable;
  // 10.9.2.0/24 prohibit (admin-prohibited, code 13); 10.9.3.0/24 reject with port unreachable.
  add("10.9.1.0/24", RouteType::kUnreachable);
  add("10.9.2.0/24", RouteType::kProhibit);
  Route fwd;
  fwd.dst = *synlab::wire::IpPrefix::parse("10.9.3.0/24");
  fwd.ifindex = 2;
  router.add_route(fwd);
  FilterRule rej;
  rej.chain = FilterChain::kForward;
  rej.dst = *synlab::wire::IpPrefix::parse("10.9.3.0/24");
  rej.verdict = FilterVerdict::kReject;
  rej.icmp_type = 3;
  rej.icmp_code = 3;
  rej.text = "reject with icmp port-unreachable";
  router.filter.add(rej);
  // Warm ARP.
  (void)call.connect(client, tcp(client), "10.9.0.1:80");
  struct Case {
    const char* to;
    Errno want;
  };
  for (const Case c : {Case{"10.9.0.1:80", Errno::kENETUNREACH}, Case{"10.9.1.1:80", Errno::kEHOSTUNREACH},
                       Case{"10.9.2.1:80", Errno::kEHOSTUNREACH}, Case{"10.9.3.1:80", Errno::kECONNREFUSED}}) {
    const Time t0 = world.now();
    EXPECT_EQ(err(call.connect(client, tcp(client), c.to)), c.want) << c.to;
    EXPECT_EQ(world.now() - t0, Duration(100ms)) << c.to;
    world.run_for(2s);  // past the per-destination ICMP rate limit
  }
}

TEST_F(Oracle, RouterTcpResetIsEconnrefused) {
  Host& router = world.add_host("router", {"10.0.0.2/24"});
  world.connect(client, router);
  router.personality().ip_forward = true;
  Route def;
  def.dst = *synlab::wire::IpPrefix::parse("0.0.0.0/0");
  def.gateway = *synlab::wire::IpAddr::parse("10.0.0.2");
  def.ifindex = 2;
  client.add_route(def);
  FilterRule rej;
  rej.chain = FilterChain::kForward;
  rej.protocol = 6;
  rej.verdict = FilterVerdict::kReject;
  rej.reject_with_tcp_reset = true;
  rej.text = "reject with tcp reset";
  router.filter.add(rej);
  Route fwd;
  fwd.dst = *synlab::wire::IpPrefix::parse("10.9.0.0/16");
  fwd.ifindex = 2;
  router.add_route(fwd);
  EXPECT_EQ(err(call.connect(client, tcp(client), "10.9.3.1:80")), Errno::kECONNREFUSED);
}

TEST_F(Oracle, SilentNeighbourIsEhostunreachAfterThreeSeconds) {
  link();
  const int fd = tcp(client);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.99:80")), Errno::kEHOSTUNREACH);
  EXPECT_EQ(ms(), 3000);
  // Measured on 6.18: the SYN retransmissions at 1, 2 and 3 s find the first SYN still in the
  // neighbour queue and send nothing (TCPSpuriousRtxHostQueues), so one SYN is reported back
  // by one local ICMP host unreachable, and the socket is gone before it could retry.
  EXPECT_EQ(client.counters().get(Mib::kTcpOutSegs), 1u);
  EXPECT_EQ(client.counters().get(Mib::kTcpRetransSegs), 0u);
  EXPECT_EQ(client.counters().get(Mib::kIcmpOutDestUnreachs), 1u);
  EXPECT_EQ(client.counters().dropped(DropReason::kNeighFailed), 1u);
  // IPv6: the same with neighbour solicitations.
  const Time t0 = world.now();
  EXPECT_EQ(err(call.connect(client, tcp(client, kInet6), "[fd00::99]:80")), Errno::kEHOSTUNREACH);
  EXPECT_EQ(world.now() - t0, Duration(3s));
  // Non-blocking: poll at 3 s, SO_ERROR EHOSTUNREACH.
  const Time t1 = world.now();
  const int nb = tcp(client, kInet, kSockNonblock);
  EXPECT_EQ(err(nb_connect(client, nb, "10.0.0.98:80")), Errno::kEINPROGRESS);
  auto p = call.poll(client, {PollFd{nb, kPollOut, 0}}, Duration::seconds(60));
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)[0].revents, kPollOut | kPollErr | kPollHup);
  EXPECT_EQ(world.now() - t1, Duration(3s));
  EXPECT_EQ(call.so_error(client, nb), Errno::kEHOSTUNREACH);
}

TEST_F(Oracle, AddressFamilyAndArgumentErrors) {
  link();
  const int fd = tcp(client);
  // AF_INET socket, sockaddr_in6.
  EXPECT_EQ(err(call.connect(client, fd, UserAddr::from(*SockAddr::parse("[fd00::2]:80")))), Errno::kEAFNOSUPPORT);
  // addrlen 0, 4, 15, 129, -1.
  for (int len : {0, 4, 15, 129, -1}) {
    EXPECT_EQ(err(call.connect(client, fd, UserAddr::from(*SockAddr::parse("10.0.0.2:80"), len))), Errno::kEINVAL)
        << "len " << len;
  }
  EXPECT_EQ(err(call.connect(client, fd, UserAddr::null(16))), Errno::kEFAULT);
  EXPECT_EQ(err(call.connect(client, fd, UserAddr::bad(16))), Errno::kEFAULT);
  for (int bad_fd : {-1, 77}) {
    EXPECT_EQ(err(call.connect(client, bad_fd, "10.0.0.2:80")), Errno::kEBADF);
  }
  const int closed = tcp(client);
  ASSERT_TRUE(call.close(client, closed));
  EXPECT_EQ(err(call.connect(client, closed, "10.0.0.2:80")), Errno::kEBADF);
  EXPECT_EQ(err(call.connect(client, client.open_file(FileKind::kRegular), "10.0.0.2:80")), Errno::kENOTSOCK);
  EXPECT_EQ(err(call.connect(client, client.open_file(FileKind::kPipe), "10.0.0.2:80")), Errno::kENOTSOCK);
}

TEST_F(Oracle, AfUnspecDisconnects) {
  link();
  listener(5000);
  // Unconnected: 0.
  EXPECT_EQ(err(call.connect(client, tcp(client), UserAddr::from(SockAddr::unspec()))), Errno::kOk);
  // Connected: 0, an RST goes out, getpeername ENOTCONN, and it can connect again.
  const int fd = tcp(client);
  ASSERT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
  const std::size_t before = segments("10.0.0.1", "R.").size();
  EXPECT_EQ(err(call.connect(client, fd, UserAddr::from(SockAddr::unspec()))), Errno::kOk);
  world.run_for(10ms);
  EXPECT_EQ(segments("10.0.0.1", "R.").size(), before + 1);
  EXPECT_EQ(err(client.getpeername(fd)), Errno::kENOTCONN);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
}

TEST_F(Oracle, ConnectOnListeningAndShutDownSockets) {
  link();
  const int l = listener(5000);
  EXPECT_EQ(err(call.connect(peer, l, "10.0.0.1:80")), Errno::kEISCONN);
  for (int how : {kShutRdwr, kShutWr}) {
    const int fd = tcp(client);
    ASSERT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
    ASSERT_TRUE(call.accept(peer, l));  // keep the accept queue in step with the clients
    ASSERT_TRUE(client.shutdown(fd, how));
    EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kEISCONN);
  }
  // After the peer's FIN, and after the peer's RST.
  const int fd = tcp(client);
  ASSERT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
  auto a = call.accept(peer, l);
  ASSERT_TRUE(a);
  ASSERT_TRUE(call.close(peer, a->fd));
  world.run_for(10ms);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kEISCONN);
  const int fd2 = tcp(client);
  ASSERT_EQ(err(call.connect(client, fd2, "10.0.0.2:5000")), Errno::kOk);
  auto a2 = call.accept(peer, l);
  ASSERT_TRUE(a2);
  ASSERT_TRUE(peer.setsockopt(a2->fd, kSolSocket, kSoLinger, {1, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(call.close(peer, a2->fd));
  world.run_for(10ms);
  EXPECT_EQ(call.revents(client, fd2, kPollIn | kPollOut), kPollIn | kPollOut | kPollErr | kPollHup);
  EXPECT_EQ(err(call.connect(client, fd2, "10.0.0.2:5000")), Errno::kEISCONN);
  EXPECT_EQ(call.so_error(client, fd2), Errno::kECONNRESET);
}

TEST_F(Oracle, ReuseaddrFourTupleCollisionIsEaddrnotavail) {
  link();
  listener(5000);
  listener(5001);
  auto bound = [&]() {
    const int fd = tcp(client);
    EXPECT_TRUE(client.setsockopt(fd, kSolSocket, kSoReuseaddr, {1, 0, 0, 0}));
    EXPECT_TRUE(client.bind(fd, UserAddr::from(*SockAddr::parse("10.0.0.1:40000"))));
    return fd;
  };
  const int a = bound();
  const int b = bound();
  EXPECT_EQ(err(call.connect(client, a, "10.0.0.2:5000")), Errno::kOk);
  EXPECT_EQ(err(call.connect(client, b, "10.0.0.2:5000")), Errno::kEADDRNOTAVAIL);
  const int c = bound();
  EXPECT_EQ(err(call.connect(client, c, "10.0.0.2:5001")), Errno::kOk);
  // Without SO_REUSEADDR: EADDRINUSE from bind.
  const int d = tcp(client);
  EXPECT_EQ(err(client.bind(d, UserAddr::from(*SockAddr::parse("10.0.0.1:40000")))), Errno::kEADDRINUSE);
}

TEST_F(Oracle, TwoPortRangeExhaustion) {
  link();
  listener(5000);
  listener(5001);
  client.personality().ip_local_port_range[0] = 40000;
  client.personality().ip_local_port_range[1] = 40001;
  std::vector<int> ports;
  for (int i = 0; i < 2; ++i) {
    const int fd = tcp(client);
    ASSERT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
    ports.push_back(client.getsockname(fd)->port);
  }
  EXPECT_THAT(ports, testing::ElementsAre(40000, 40001));
  EXPECT_EQ(err(call.connect(client, tcp(client), "10.0.0.2:5000")), Errno::kEADDRNOTAVAIL);
  const int other = tcp(client);
  ASSERT_EQ(err(call.connect(client, other, "10.0.0.2:5001")), Errno::kOk);
  EXPECT_EQ(client.getsockname(other)->port, 40000);
  EXPECT_EQ(err(client.bind(tcp(client), UserAddr::from(*SockAddr::parse("0.0.0.0:0")))), Errno::kEADDRINUSE);
}

TEST_F(Oracle, NonLocalBindAndFreebind) {
  link();
  EXPECT_EQ(err(client.bind(tcp(client), UserAddr::from(*SockAddr::parse("10.0.0.77:0")))), Errno::kEADDRNOTAVAIL);
  const int fd = tcp(client);
  ASSERT_TRUE(client.setsockopt(fd, kSolIp, kIpFreebind, {1, 0, 0, 0}));
  EXPECT_EQ(err(client.bind(fd, UserAddr::from(*SockAddr::parse("10.0.0.77:0")))), Errno::kOk);
  EXPECT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kENETUNREACH);
  EXPECT_EQ(client.counters().get(Mib::kIpOutNoRoutes), 1u);  // measured on 6.18
  EXPECT_EQ(frames_sent(), 0u);
}

TEST_F(Oracle, SigalrmInterruptsBlockingConnectAndTheHandshakeGoesOn) {
  link();
  blackhole(5000);
  const int fd = tcp(client);
  std::optional<SysResult<void>> r;
  client.connect(fd, UserAddr::from(*SockAddr::parse("10.0.0.2:5000")), [&](SysResult<void> x) { r = x; });
  world.run_for(200ms);
  EXPECT_FALSE(r);
  EXPECT_TRUE(client.signal(0, kSigAlrm, false));
  world.run_for(1ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(err(*r), Errno::kEINTR);
  EXPECT_EQ(client.sock_of_fd(fd)->tcp.state, TcpState::kSynSent);
  // A second blocking connect blocks again (no EALREADY); non-blocking gives EALREADY.
  std::optional<SysResult<void>> r2;
  client.connect(fd, UserAddr::from(*SockAddr::parse("10.0.0.2:5000")), [&](SysResult<void> x) { r2 = x; });
  EXPECT_FALSE(r2);
  EXPECT_TRUE(client.signal(0, kSigAlrm, false));
  world.run_for(1ms);
  ASSERT_TRUE(r2);
  EXPECT_EQ(err(*r2), Errno::kEINTR);
  ASSERT_TRUE(client.fcntl(fd, kFSetfl, kONonblock));
  EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:5000")), Errno::kEALREADY);
  // The peer starts answering: a retransmitted SYN completes the handshake.
  peer.filter.clear();
  listener(5000);
  world.run_for(3s);
  EXPECT_EQ(call.revents(client, fd, kPollOut), kPollOut);
  EXPECT_EQ(call.so_error(client, fd), Errno::kOk);
  EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
  EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:5000")), Errno::kEISCONN);
}

TEST_F(Oracle, SaRestartMakesTheSignalInvisible) {
  link();
  blackhole(5000);
  client.personality().tcp_syn_retries = 1;
  const int fd = tcp(client);
  std::optional<SysResult<void>> r;
  client.connect(fd, UserAddr::from(*SockAddr::parse("10.0.0.2:5000")), [&](SysResult<void> x) { r = x; });
  world.run_for(200ms);
  EXPECT_TRUE(client.signal(0, kSigAlrm, true));
  world.run_until([&] { return r.has_value(); });
  ASSERT_TRUE(r);
  EXPECT_EQ(err(*r), Errno::kETIMEDOUT);
  EXPECT_EQ(ms(), 3000);
}

TEST_F(Oracle, BacklogSequentialClientsBeyondBacklogPlusOneStaySynSent) {
  link(25ms);
  for (bool abort : {false, true}) {
    peer.personality().tcp_abort_on_overflow = abort;
    const int port = abort ? 7001 : 7000;
    listener(port, 1);
    std::vector<int> fds;
    for (int i = 0; i < 5; ++i) {
      const int fd = tcp(client, kInet, kSockNonblock);
      EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:" + std::to_string(port))), Errno::kEINPROGRESS);
      fds.push_back(fd);
      world.run_for(300ms);
    }
    world.run_for(2s);
    std::vector<TcpState> states;
    for (int fd : fds) states.push_back(client.sock_of_fd(fd)->tcp.state);
    EXPECT_THAT(states, testing::ElementsAre(TcpState::kEstablished, TcpState::kEstablished, TcpState::kSynSent,
                                             TcpState::kSynSent, TcpState::kSynSent))
        << "abort_on_overflow " << abort;
  }
}

TEST_F(Oracle, BacklogBurstWithSyncookiesEveryoneConnects) {
  link(25ms);
  const int warm_fd = udp(client);
  ASSERT_TRUE(call.sendto(client, warm_fd, 1, "10.0.0.2:9"));
  world.run_for(1s);
  for (bool abort : {false, true}) {
    peer.personality().tcp_abort_on_overflow = abort;
    const int port = abort ? 7001 : 7000;
    const int l = listener(port, 1);
    std::vector<int> fds;
    for (int i = 0; i < 5; ++i) {
      const int fd = tcp(client, kInet, kSockNonblock);
      EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:" + std::to_string(port))), Errno::kEINPROGRESS);
      fds.push_back(fd);
    }
    const auto overflows = peer.counters().get(Mib::kListenOverflows);
    const auto rsts = segments("10.0.0.2", "R").size();
    world.run_for(500ms);
    for (int fd : fds) EXPECT_EQ(client.sock_of_fd(fd)->tcp.state, TcpState::kEstablished);
    EXPECT_EQ(peer.sock_of_fd(l)->listener->accept_qlen(), 2u);
    EXPECT_EQ(peer.counters().get(Mib::kListenOverflows) - overflows, 3u);
    EXPECT_EQ(segments("10.0.0.2", "R").size(), rsts) << "no RST even with abort_on_overflow";
  }
  EXPECT_EQ(peer.counters().get(Mib::kSyncookiesSent), 6u);
}

TEST_F(Oracle, BacklogBurstWithoutSyncookies) {
  link(25ms);
  peer.personality().tcp_syncookies = 0;
  listener(7000, 1);
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) {
    const int fd = tcp(client, kInet, kSockNonblock);
    EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:7000")), Errno::kEINPROGRESS);
    fds.push_back(fd);
  }
  world.run_for(5s);
  std::vector<TcpState> states;
  for (int fd : fds) states.push_back(client.sock_of_fd(fd)->tcp.state);
  EXPECT_THAT(states, testing::ElementsAre(TcpState::kEstablished, TcpState::kEstablished, TcpState::kSynSent,
                                           TcpState::kSynSent, TcpState::kSynSent));
}

TEST_F(Oracle, BacklogFinalAckOverflow) {
  link(25ms);
  for (bool abort : {false, true}) {
    peer.personality().tcp_abort_on_overflow = abort;
    const int port = abort ? 7001 : 7000;
    listener(port, 1);
    const int first = tcp(client);
    ASSERT_EQ(err(call.connect(client, first, "10.0.0.2:" + std::to_string(port))), Errno::kOk);
    world.run_for(50ms);
    const Time t0 = world.now();
    std::vector<int> fds;
    for (int i = 0; i < 4; ++i) {
      const int fd = tcp(client, kInet, kSockNonblock);
      EXPECT_EQ(err(nb_connect(client, fd, "10.0.0.2:" + std::to_string(port))), Errno::kEINPROGRESS);
      fds.push_back(fd);
    }
    world.run_for(4s);
    // Client 3 (fds[1]) got a real SYN-ACK but its ACK overflowed.
    if (!abort) {
      EXPECT_EQ(client.sock_of_fd(fds[1])->tcp.state, TcpState::kEstablished);
      // The server resends the SYN-ACK at +1 s and +3 s.
      std::vector<std::int64_t> synacks;
      for (auto t : segments("10.0.0.2", "S.")) {
        if (Time::zero() + Duration::millis(t) > t0 + 100ms) synacks.push_back(t - (t0 - Time::zero()).ms());
      }
      // The first SYN-ACK left 25 ms after t0 (one link delay): retransmissions 1 s and 3 s
      // after it.
      EXPECT_THAT(synacks, testing::ElementsAre(1025, 3025));
    } else {
      EXPECT_EQ(client.sock_of_fd(fds[1])->tcp.state, TcpState::kClosed);
      EXPECT_EQ(call.so_error(client, fds[1]), Errno::kECONNRESET);
    }
  }
}

TEST_F(Oracle, UdpConnectFiltersAndUnspecDissolves) {
  Host& third = world.add_host("third", {"10.0.0.3/24"});
  auto& seg = world.add_segment("lan");
  world.attach(client, seg);
  world.attach(peer, seg);
  world.attach(third, seg);
  const int u = udp(client);
  ASSERT_TRUE(client.bind(u, UserAddr::from(*SockAddr::parse("10.0.0.1:9000"))));
  const std::size_t sent = frames_sent();
  SysResult<void> c = fail(Errno::kEIO);
  client.connect(u, UserAddr::from(*SockAddr::parse("10.0.0.2:9001")), [&](SysResult<void> r) { c = r; });
  EXPECT_TRUE(c);
  EXPECT_EQ(frames_sent(), sent) << "UDP connect sends nothing";
  const int p = udp(peer);
  ASSERT_TRUE(peer.bind(p, UserAddr::from(*SockAddr::parse("10.0.0.2:9001"))));
  const int t = udp(third);
  ASSERT_TRUE(call.sendto(third, t, 1, "10.0.0.1:9000"));
  ASSERT_TRUE(call.sendto(peer, p, 1, "10.0.0.1:9000"));
  world.run_for(10ms);
  auto got = call.read(client, u, 100, kMsgDontwait);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->from.addr, *synlab::wire::IpAddr::parse("10.0.0.2"));
  EXPECT_EQ(err(call.read(client, u, 100, kMsgDontwait)), Errno::kEAGAIN) << "the third party's datagram was dropped";
  client.connect(u, UserAddr::from(SockAddr::unspec()), [&](SysResult<void> r) { c = r; });
  EXPECT_TRUE(c);
  EXPECT_EQ(err(client.getpeername(u)), Errno::kENOTCONN);
  ASSERT_TRUE(call.sendto(third, t, 1, "10.0.0.1:9000"));
  world.run_for(10ms);
  auto got2 = call.read(client, u, 100, kMsgDontwait);
  ASSERT_TRUE(got2);
  EXPECT_EQ(got2->from.addr, *synlab::wire::IpAddr::parse("10.0.0.3"));
  EXPECT_EQ(err(call.write(client, u, 1)), Errno::kEDESTADDRREQ);
}

TEST_F(Oracle, UdpConnectedToClosedPortGetsEconnrefusedOnce) {
  link(25ms);
  const int u = udp(client);
  SysResult<void> c = fail(Errno::kEIO);
  client.connect(u, UserAddr::from(*SockAddr::parse("10.0.0.2:9999")), [&](SysResult<void> r) { c = r; });
  ASSERT_TRUE(c);
  auto s = call.write(client, u, 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, 1u);
  world.run_for(1s);
  EXPECT_EQ(call.revents(client, u, kPollOut), kPollOut | kPollErr);
  EXPECT_EQ(err(call.read(client, u, 10, kMsgDontwait)), Errno::kECONNREFUSED);
  EXPECT_EQ(err(call.read(client, u, 10, kMsgDontwait)), Errno::kEAGAIN);
}

TEST_F(Oracle, Ipv6LoopbackClosedPortRefused) {
  link();
  EXPECT_EQ(err(call.connect(client, tcp(client, kInet6), "[::1]:8000")), Errno::kECONNREFUSED);
}

TEST_F(Oracle, LinkLocalScopeIds) {
  link();
  listener(8000, 16, kInet6);
  const auto* eth0 = client.interface_by_name("eth0");
  ASSERT_NE(eth0, nullptr);
  // The peer's link-local address.
  std::string ll;
  for (const auto& a : peer.interface_by_name("eth0")->addrs) {
    if (a.prefix.addr.is_link_local()) ll = a.prefix.addr.to_string();
  }
  ASSERT_FALSE(ll.empty());
  EXPECT_EQ(err(call.connect(client, tcp(client, kInet6), "[" + ll + "]:8000")), Errno::kEINVAL);
  EXPECT_EQ(err(call.connect(client, tcp(client, kInet6), "[" + ll + "%" + std::to_string(eth0->ifindex) + "]:8000")),
            Errno::kOk);
  EXPECT_EQ(err(call.connect(client, tcp(client, kInet6), "[" + ll + "%99]:8000")), Errno::kENETUNREACH);
  // Scope 1 is lo, which has no link-local route: ENETUNREACH at once, and no SYN on lo.
  const std::size_t sent = frames_sent();
  EXPECT_EQ(err(call.connect(client, tcp(client, kInet6), "[" + ll + "%1]:8000")), Errno::kENETUNREACH);
  EXPECT_EQ(frames_sent(), sent);
}

TEST_F(Oracle, V4MappedOnInet6SocketAndV6only) {
  link();
  const int l = tcp(client);
  ASSERT_TRUE(client.bind(l, UserAddr::from(*SockAddr::parse("127.0.0.1:5000"))));
  ASSERT_TRUE(client.listen(l, 8));
  EXPECT_EQ(err(call.connect(client, tcp(client, kInet6), "[::ffff:127.0.0.1]:5000")), Errno::kOk);
  const int v6only = tcp(client, kInet6);
  ASSERT_TRUE(client.setsockopt(v6only, kSolIpv6, kIpv6V6only, {1, 0, 0, 0}));
  EXPECT_EQ(err(call.connect(client, v6only, "[::ffff:127.0.0.1]:5000")), Errno::kENETUNREACH);
}

TEST_F(Oracle, ImplicitBindPicksRouteSourceAndEphemeralPort) {
  link();
  listener(5000);
  listener(5001);
  const int fd = tcp(client);
  EXPECT_EQ(client.getsockname(fd)->to_string(), "0.0.0.0:0");
  ASSERT_EQ(err(call.connect(client, fd, "10.0.0.2:5000")), Errno::kOk);
  const SockAddr local = *client.getsockname(fd);
  EXPECT_EQ(local.addr.to_string(), "10.0.0.1");
  EXPECT_GE(local.port, 32768);
  EXPECT_LE(local.port, 60999);
  EXPECT_EQ(local.port % 2, 0) << "connect() prefers even ports";
  // The same local port may serve different destinations: with a one-port range, a connect
  // to another listener gets the port the first connection holds.
  client.personality().ip_local_port_range[0] = client.personality().ip_local_port_range[1] = 45000;
  const int a = tcp(client);
  const int b = tcp(client);
  ASSERT_EQ(err(call.connect(client, a, "10.0.0.2:5000")), Errno::kOk);
  ASSERT_EQ(err(call.connect(client, b, "10.0.0.2:5001")), Errno::kOk);
  EXPECT_EQ(client.getsockname(a)->port, 45000);
  EXPECT_EQ(client.getsockname(b)->port, 45000);
}
