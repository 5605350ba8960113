// libowfat's socket_* calls over two simulated Linux hosts: every function, with the errno the
// real library leaves on Linux (socket_connected's ENOTCONN after a refusal, EINPROGRESS from
// the non-blocking socket_tcp4), link-local IPv6 with a scope id from socket_getifidx, and
// blocking calls completing in virtual time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "stack/compat/libowfat.h"
#include "stack/socket/constants.h"
#include "stack/tcp/tcp_fastopen.h"
#include "stack/world.h"

using namespace std::chrono_literals;
using synlab::World;
using synlab::sim::Duration;
using synlab::sim::Time;
using synlab::wire::IpAddr;
using namespace synlab::stack;
namespace owfat = synlab::stack::compat;

namespace {

IpAddr ip(const char* s) {
  return *IpAddr::parse(s);
}

class Libowfat : public testing::Test {
 protected:
  World world{{.seed = 21}};
  Host& client = world.add_host("client", {"10.0.0.1/24", "fd00::1/64"});
  Host& server = world.add_host("server", {"10.0.0.2/24", "fd00::2/64"});

  void SetUp() override { world.connect(client, server, {.delay = 5ms}); }

  template <class T>
  static Errno err(const SysResult<T>& r) {
    return r ? Errno::kOk : r.error();
  }
  bool nonblocking(Host& h, int fd) { return (*h.fcntl(fd, kFGetfl, 0) & kONonblock) != 0; }
  int getint(Host& h, int fd, int level, int name) {
    auto v = h.getsockopt(fd, level, name, 4);
    EXPECT_TRUE(v);
    return v ? (*v)[0] : -1;
  }
  // A blocking libowfat call, run in virtual time until it completes.
  template <class T>
  SysResult<T> run(const std::function<void(Done<T>)>& call) {
    auto r = world.wait<T>(call, Duration::seconds(600));
    if (!r) return synlab::fail(Errno::kEINTR);
    return *r;
  }
  // A call on a non-blocking socket: it must complete at once.
  template <class T>
  SysResult<T> now(const std::function<void(Done<T>)>& call) {
    std::optional<SysResult<T>> out;
    call([&](SysResult<T> r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value()) << "the call blocked";
    return out ? *out : SysResult<T>(synlab::fail(Errno::kEINTR));
  }
  // A listener made the libowfat way: socket_tcp6b (dual-stack), bind6_reuse on ::, listen.
  int listener6(std::uint16_t port) {
    const int s = *owfat::socket_tcp6b(server);
    EXPECT_TRUE(
        owfat::socket_bind6_reuse(server, s, IpAddr::any(synlab::wire::IpFamily::kV6), port, 0));
    EXPECT_TRUE(owfat::socket_listen(server, s, 16));
    return s;
  }
  IpAddr link_local(Host& h) {
    for (const auto& a : h.interfaces[1].addrs) {
      if (a.prefix.addr.is_v6() && a.prefix.addr.is_link_local()) return a.prefix.addr;
    }
    ADD_FAILURE() << "no link-local address";
    return IpAddr();
  }
};

}  // namespace

TEST_F(Libowfat, SocketCreationBlockingModesAndDualStack) {
  // The plain variants are non-blocking (ndelay_on), the "b" ones blocking.
  const int t4 = *owfat::socket_tcp4(client), t4b = *owfat::socket_tcp4b(client);
  EXPECT_TRUE(nonblocking(client, t4));
  EXPECT_FALSE(nonblocking(client, t4b));
  EXPECT_EQ(getint(client, t4, kSolSocket, kSoDomain), kAfInet);
  EXPECT_EQ(getint(client, t4b, kSolSocket, kSoType), kSockStream);
  // socket_tcp6b clears IPV6_V6ONLY even when net.ipv6.bindv6only = 1; socket_tcp6 (one
  // socket() call with SOCK_NONBLOCK, libowfat 0.32) leaves it as bindv6only made it.
  client.personality().bindv6only = true;
  const int t6 = *owfat::socket_tcp6(client), t6b = *owfat::socket_tcp6b(client);
  EXPECT_TRUE(nonblocking(client, t6));
  EXPECT_FALSE(nonblocking(client, t6b));
  EXPECT_EQ(getint(client, t6, kSolSocket, kSoDomain), kAfInet6);
  EXPECT_EQ(getint(client, t6, kSolIpv6, kIpv6V6only), 1);
  EXPECT_EQ(getint(client, t6, kSolSocket, kSoProtocol), kIpprotoTcp);
  EXPECT_EQ(getint(client, t6b, kSolIpv6, kIpv6V6only), 0);
  const int plain6 = *client.socket(kAfInet6, kSockStream, 0);
  EXPECT_EQ(getint(client, plain6, kSolIpv6, kIpv6V6only), 1);  // what the BSD call gives
  const int u4 = *owfat::socket_udp4(client), u6 = *owfat::socket_udp6(client);
  EXPECT_TRUE(nonblocking(client, u4));
  EXPECT_TRUE(nonblocking(client, u6));
  EXPECT_EQ(getint(client, u4, kSolSocket, kSoType), kSockDgram);
  EXPECT_EQ(getint(client, u6, kSolIpv6, kIpv6V6only), 0);
  EXPECT_FALSE(nonblocking(client, *owfat::socket_udp4b(client)));
}

TEST_F(Libowfat, NdelayOnAndOff) {
  const int s = *owfat::socket_tcp4b(client);
  EXPECT_EQ(*owfat::ndelay_on(client, s), 0);
  EXPECT_TRUE(nonblocking(client, s));
  EXPECT_EQ(*owfat::ndelay_off(client, s), 0);
  EXPECT_FALSE(nonblocking(client, s));
  EXPECT_EQ(err(owfat::ndelay_on(client, 99)), Errno::kEBADF);
}

TEST_F(Libowfat, BindAndReuse) {
  const int a = *owfat::socket_tcp4b(server);
  EXPECT_EQ(*owfat::socket_bind4(server, a, ip("10.0.0.2"), 7000), 0);
  auto local = owfat::socket_local4(server, a);
  ASSERT_TRUE(local);
  EXPECT_EQ(local->ip, ip("10.0.0.2"));
  EXPECT_EQ(local->port, 7000);
  EXPECT_EQ(getint(server, a, kSolSocket, kSoReuseaddr), 0);
  // A second bind of the same port: EADDRINUSE; not a local address: EADDRNOTAVAIL.
  const int b = *owfat::socket_tcp4b(server);
  EXPECT_EQ(err(owfat::socket_bind4(server, b, ip("10.0.0.2"), 7000)), Errno::kEADDRINUSE);
  EXPECT_EQ(err(owfat::socket_bind4(server, b, ip("10.0.0.9"), 7001)), Errno::kEADDRNOTAVAIL);
  // _reuse sets SO_REUSEADDR first.
  const int c = *owfat::socket_tcp4b(server);
  EXPECT_EQ(*owfat::socket_bind4_reuse(server, c, ip("10.0.0.2"), 7002), 0);
  EXPECT_EQ(getint(server, c, kSolSocket, kSoReuseaddr), 1);
  // bind6 on an IPv6 socket, and on an AF_INET socket (inet_bind: EAFNOSUPPORT, no fallback).
  const int d = *owfat::socket_tcp6b(server);
  EXPECT_EQ(*owfat::socket_bind6_reuse(server, d, ip("fd00::2"), 7003, 0), 0);
  EXPECT_EQ(getint(server, d, kSolSocket, kSoReuseaddr), 1);
  auto l6 = owfat::socket_local6(server, d);
  ASSERT_TRUE(l6);
  EXPECT_EQ(l6->ip, ip("fd00::2"));
  EXPECT_EQ(l6->port, 7003);
  const int e = *owfat::socket_tcp4b(server);
  EXPECT_EQ(err(owfat::socket_bind6(server, e, ip("::"), 7004, 0)), Errno::kEAFNOSUPPORT);
  // A link-local address needs its scope id.
  const int f = *owfat::socket_tcp6b(server);
  const IpAddr ll = link_local(server);
  EXPECT_EQ(err(owfat::socket_bind6(server, f, ll, 7005, 0)), Errno::kEINVAL);
  EXPECT_EQ(*owfat::socket_bind6(server, f, ll, 7005, owfat::socket_getifidx(server, "eth0")), 0);
  EXPECT_EQ(owfat::socket_local6(server, f)->scope_id, 2u);
}

TEST_F(Libowfat, InterfaceNamesAndIndexes) {
  EXPECT_EQ(owfat::socket_getifidx(client, "lo"), 1u);
  EXPECT_EQ(owfat::socket_getifidx(client, "eth0"), 2u);
  EXPECT_EQ(owfat::socket_getifidx(client, "eth7"), 0u);
  EXPECT_EQ(owfat::socket_getifname(client, 1), "lo");
  EXPECT_EQ(owfat::socket_getifname(client, 2), "eth0");
  EXPECT_EQ(owfat::socket_getifname(client, 9), "[unknown]");
}

TEST_F(Libowfat, NonBlockingConnectThenSocketConnected) {
  const int l = listener6(8080);
  const int s = *owfat::socket_tcp4(client);
  const Time t0 = world.now();
  auto r =
      now<int>([&](Done<int> d) { owfat::socket_connect4(client, s, ip("10.0.0.2"), 8080, d); });
  EXPECT_EQ(err(r), Errno::kEINPROGRESS);
  // In progress: getpeername fails, so socket_connected says no (errno ENOTCONN).
  EXPECT_EQ(err(owfat::socket_connected(client, s)), Errno::kENOTCONN);
  // ARP and the handshake: 20 ms.
  world.run_until([&] { return client.sock_of_fd(s)->tcp.state == TcpState::kEstablished; });
  EXPECT_EQ(world.now() - t0, Duration(20ms));
  EXPECT_EQ(*owfat::socket_connected(client, s), 1);
  auto remote = owfat::socket_remote4(client, s);
  ASSERT_TRUE(remote);
  EXPECT_EQ(remote->ip, ip("10.0.0.2"));
  EXPECT_EQ(remote->port, 8080);
  auto local = owfat::socket_local4(client, s);
  ASSERT_TRUE(local);
  EXPECT_EQ(local->ip, ip("10.0.0.1"));
  // The dual-stack listener sees an IPv4 peer: accept6 gives it mapped; accept4 reads a
  // sockaddr_in6 cut to 16 bytes, so its "address" is sin6_flowinfo.
  auto a = run<owfat::AcceptedPeer>(
      [&](Done<owfat::AcceptedPeer> d) { owfat::socket_accept6(server, l, d); });
  ASSERT_TRUE(a);
  EXPECT_EQ(a->peer.ip, IpAddr::v4_mapped(ip("10.0.0.1")));
  EXPECT_EQ(a->peer.port, local->port);
  EXPECT_EQ(a->peer.scope_id, 0u);
  EXPECT_FALSE(nonblocking(server, a->fd));
  auto r6 = owfat::socket_remote6(server, a->fd);
  ASSERT_TRUE(r6);
  EXPECT_EQ(r6->ip, IpAddr::v4_mapped(ip("10.0.0.1")));
  auto r4 = owfat::socket_remote4(server, a->fd);
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->ip, ip("0.0.0.0"));
  EXPECT_EQ(r4->port, local->port);
}

TEST_F(Libowfat, SocketConnectedAfterARefusalSaysEnotconn) {
  const int s = *owfat::socket_tcp4(client);
  EXPECT_EQ(
      err(now<int>([&](Done<int> d) { owfat::socket_connect4(client, s, ip("10.0.0.2"), 9, d); })),
      Errno::kEINPROGRESS);
  world.run_for(100ms);
  // The socket became writable; socket_connected reports failure with getpeername's ENOTCONN,
  // not ECONNREFUSED: that one is SO_ERROR's.
  EXPECT_EQ(client.poll_mask(*client.sock_of_fd(s)) & kPollOut, kPollOut);
  EXPECT_EQ(err(owfat::socket_connected(client, s)), Errno::kENOTCONN);
  auto so = client.getsockopt(s, kSolSocket, kSoError, 4);
  ASSERT_TRUE(so);
  EXPECT_EQ((*so)[0], linux_number(Errno::kECONNREFUSED));
}

TEST_F(Libowfat, BlockingConnectCompletesInVirtualTime) {
  listener6(8080);
  const int s = *owfat::socket_tcp4b(client);
  const Time t0 = world.now();
  auto r =
      run<int>([&](Done<int> d) { owfat::socket_connect4(client, s, ip("10.0.0.2"), 8080, d); });
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(world.now() - t0, Duration(20ms));
  EXPECT_EQ(*owfat::socket_connected(client, s), 1);
  // A refused blocking connect fails with the real cause.
  const int t = *owfat::socket_tcp4b(client);
  EXPECT_EQ(
      err(run<int>([&](Done<int> d) { owfat::socket_connect4(client, t, ip("10.0.0.2"), 9, d); })),
      Errno::kECONNREFUSED);
  EXPECT_EQ(err(owfat::socket_connected(client, t)), Errno::kENOTCONN);
}

TEST_F(Libowfat, SocketTcp6IsOneNonBlockingSocketCallAndLeavesV6onlyAlone) {
  // libowfat 0.32: socket(AF_INET6, SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP), no setsockopt.
  // With the default net.ipv6.bindv6only = 0 the socket is dual-stack anyway.
  const int s = *owfat::socket_tcp6(client);
  EXPECT_TRUE(nonblocking(client, s));
  EXPECT_EQ(getint(client, s, kSolSocket, kSoProtocol), kIpprotoTcp);
  EXPECT_EQ(getint(client, s, kSolIpv6, kIpv6V6only), 0);
}

TEST_F(Libowfat, Connect6ToALinkLocalPeerNeedsTheScopeId) {
  const int l = listener6(8080);
  const IpAddr peer = link_local(server);
  // Without a scope id the kernel cannot tell which link: EINVAL (tcp_v6_connect).
  const int bad = *owfat::socket_tcp6(client);
  EXPECT_EQ(
      err(now<int>([&](Done<int> d) { owfat::socket_connect6(client, bad, peer, 8080, 0, d); })),
      Errno::kEINVAL);
  const std::uint32_t scope = owfat::socket_getifidx(client, "eth0");
  ASSERT_EQ(scope, 2u);
  const int s = *owfat::socket_tcp6b(client);
  auto r = run<int>([&](Done<int> d) { owfat::socket_connect6(client, s, peer, 8080, scope, d); });
  EXPECT_EQ(*r, 0);
  auto remote = owfat::socket_remote6(client, s);
  ASSERT_TRUE(remote);
  EXPECT_EQ(remote->ip, peer);
  EXPECT_EQ(remote->scope_id, scope);
  auto local = owfat::socket_local6(client, s);
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->ip.is_link_local());
  EXPECT_EQ(local->scope_id, scope);
  auto a = run<owfat::AcceptedPeer>(
      [&](Done<owfat::AcceptedPeer> d) { owfat::socket_accept6(server, l, d); });
  ASSERT_TRUE(a);
  EXPECT_EQ(a->peer.ip, local->ip);
  EXPECT_EQ(a->peer.scope_id, owfat::socket_getifidx(server, "eth0"));
}

TEST_F(Libowfat, Connect6WithAMappedAddressIsAnIpv4Connection) {
  const int l = listener6(8080);
  // socket_tcp6 is dual-stack, so ::ffff:10.0.0.2 reaches the peer over IPv4.
  const int s = *owfat::socket_tcp6b(client);
  EXPECT_EQ(*run<int>([&](Done<int> d) {
    owfat::socket_connect6(client, s, IpAddr::v4_mapped(ip("10.0.0.2")), 8080, 0, d);
  }),
            0);
  EXPECT_TRUE(client.sock_of_fd(s)->daddr.is_v4());
  EXPECT_EQ(owfat::socket_remote6(client, s)->ip, IpAddr::v4_mapped(ip("10.0.0.2")));
  auto a = run<owfat::AcceptedPeer>(
      [&](Done<owfat::AcceptedPeer> d) { owfat::socket_accept4(server, l, d); });
  ASSERT_TRUE(a);
  // With noipv6 unset, socket_connect6 gives an AF_INET socket a sockaddr_in6: EAFNOSUPPORT.
  const int four = *owfat::socket_tcp4b(client);
  EXPECT_EQ(err(run<int>([&](Done<int> d) {
              owfat::socket_connect6(client, four, IpAddr::v4_mapped(ip("10.0.0.2")), 8080, 0, d);
            })),
            Errno::kEAFNOSUPPORT);
  // And socket_connect4 on an AF_INET6 socket: a sockaddr_in is too short for it (EINVAL).
  const int six = *owfat::socket_tcp6b(client);
  EXPECT_EQ(err(run<int>([&](Done<int> d) {
              owfat::socket_connect4(client, six, ip("10.0.0.2"), 8080, d);
            })),
            Errno::kEINVAL);
  // local4 on an IPv6 socket: libowfat's sockaddr_in view of a sockaddr_in6.
  auto l4 = owfat::socket_local4(client, s);
  ASSERT_TRUE(l4);
  EXPECT_EQ(l4->ip, ip("0.0.0.0"));
  EXPECT_EQ(l4->port, owfat::socket_local6(client, s)->port);
}

TEST_F(Libowfat, Accept4OnANonBlockingListener) {
  const int l = *owfat::socket_tcp4(server);
  ASSERT_TRUE(owfat::socket_bind4_reuse(server, l, ip("10.0.0.2"), 8081));
  ASSERT_TRUE(owfat::socket_listen(server, l, 4));
  EXPECT_EQ(err(now<owfat::AcceptedPeer>(
                [&](Done<owfat::AcceptedPeer> d) { owfat::socket_accept4(server, l, d); })),
            Errno::kEAGAIN);
  const int s = *owfat::socket_tcp4b(client);
  EXPECT_EQ(
      *run<int>([&](Done<int> d) { owfat::socket_connect4(client, s, ip("10.0.0.2"), 8081, d); }),
      0);
  world.run_for(10ms);
  auto a = now<owfat::AcceptedPeer>(
      [&](Done<owfat::AcceptedPeer> d) { owfat::socket_accept4(server, l, d); });
  ASSERT_TRUE(a);
  EXPECT_EQ(a->peer.ip, ip("10.0.0.1"));
  EXPECT_EQ(a->peer.port, owfat::socket_local4(client, s)->port);
  EXPECT_FALSE(nonblocking(server, a->fd));  // accept() does not inherit O_NONBLOCK
}

TEST_F(Libowfat, FastopenConnect) {
  server.personality().tcp_fastopen = kTfoClientEnable | kTfoServerEnable;
  const int l = *owfat::socket_tcp4b(server);
  EXPECT_EQ(*owfat::socket_fastopen(server, l), 0);
  ASSERT_TRUE(owfat::socket_bind4_reuse(server, l, ip("10.0.0.2"), 8082));
  ASSERT_TRUE(owfat::socket_listen(server, l, 8));
  EXPECT_EQ(server.sock_of_fd(l)->listener->fastopen_max_qlen, 5);
  const std::vector<std::uint8_t> hello{'h', 'e', 'l', 'l', 'o'};
  // No cookie yet, non-blocking: sendto(MSG_FASTOPEN) asks for one and says EINPROGRESS.
  const int a = *owfat::socket_tcp4(client);
  EXPECT_EQ(err(now<std::size_t>([&](Done<std::size_t> d) {
              owfat::socket_fastopen_connect4(client, a, ip("10.0.0.2"), 8082, hello, d);
            })),
            Errno::kEINPROGRESS);
  world.run_for(100ms);
  EXPECT_EQ(client.tfo_cookies[ip("10.0.0.2")].cookie.len, 8);
  // With the cookie: the data rides in the SYN and the call returns its length at once.
  const int b = *owfat::socket_tcp4(client);
  EXPECT_EQ(*now<std::size_t>([&](Done<std::size_t> d) {
    owfat::socket_fastopen_connect4(client, b, ip("10.0.0.2"), 8082, hello, d);
  }),
            5u);
  world.run_for(100ms);
  EXPECT_EQ(server.counters().get(Mib::kTCPFastOpenPassive), 1u);
  // Blocking, over IPv6 (a new peer address, so no cookie): returns once connected and sent.
  const int c = *owfat::socket_tcp6b(client);
  const int l6 = *owfat::socket_tcp6b(server);
  ASSERT_TRUE(owfat::socket_bind6_reuse(server, l6, ip("fd00::2"), 8083, 0));
  ASSERT_TRUE(owfat::socket_listen(server, l6, 8));
  EXPECT_EQ(*run<std::size_t>([&](Done<std::size_t> d) {
    owfat::socket_fastopen_connect6(client, c, ip("fd00::2"), 8083, 0, hello, d);
  }),
            5u);
  EXPECT_EQ(*owfat::socket_connected(client, c), 1);
  // len == 0 is a plain connect: no Fast Open option, no cookie request.
  const std::uint64_t reqd = server.counters().get(Mib::kTCPFastOpenCookieReqd);
  const int e = *owfat::socket_tcp6b(client);
  EXPECT_EQ(*run<std::size_t>([&](Done<std::size_t> d) {
    owfat::socket_fastopen_connect6(client, e, ip("fd00::2"), 8083, 0, {}, d);
  }),
            0u);
  EXPECT_EQ(server.counters().get(Mib::kTCPFastOpenCookieReqd), reqd);
  // The client side of Fast Open off: Linux says EOPNOTSUPP, which is not libowfat's
  // "no Fast Open here" signal (ENOTCONN/EPIPE), so it is returned as it is.
  client.personality().tcp_fastopen = 0;
  const int f = *owfat::socket_tcp4b(client);
  EXPECT_EQ(err(run<std::size_t>([&](Done<std::size_t> d) {
              owfat::socket_fastopen_connect4(client, f, ip("10.0.0.2"), 8082, hello, d);
            })),
            Errno::kEOPNOTSUPP);
}
