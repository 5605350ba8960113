// TCP Fast Open (RFC 7413) between two simulated Linux hosts: cookie requests and the client's
// cache, data in the SYN, the server's child at SYN time, every fallback Linux has, the Fast
// Open queue, the sysctl bits and socket options, and the counters. Packet sequences are
// checked in packetdrill's notation with relative sequence numbers (timestamps shown as "TS"),
// as the scripts in ../shared/conformance/packetdrill/tcp/fastopen/ write them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "sim/trace.h"
#include "stack/blocking.h"
#include "stack/personality/sysctl.h"
#include "stack/socket/constants.h"
#include "stack/tcp/tcp.h"
#include "stack/tcp/tcp_fastopen.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/packetdrill_format.h"
#include "stack/world.h"

using namespace std::chrono_literals;
using synlab::Blocking;
using synlab::World;
using synlab::sim::Duration;
using synlab::sim::Time;
using namespace synlab::stack;
using testing::ElementsAre;

namespace {

// One TCP segment seen on the wire, in packetdrill's words.
struct Seg {
  Time at;
  bool from_client = false;
  std::string line;  // "S 0:1000(1000) <mss 1460,sackOK,TS,nop,wscale 10,FO 0011..,nop,nop>"
};

std::string hex(const TfoCookie& c) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < c.len; ++i) {
    s += kHex[c.val[static_cast<std::size_t>(i)] >> 4];
    s += kHex[c.val[static_cast<std::size_t>(i)] & 0xf];
  }
  return s;
}

class FastOpen : public testing::Test {
 protected:
  World world{{.seed = 11}};
  Host& client = world.add_host("client", {"10.0.0.1/24"});
  Host& server = world.add_host("server", {"10.0.0.2/24"});
  Blocking call{world, Duration::seconds(600)};
  synlab::sim::TraceRecorder trace;
  const synlab::wire::IpAddr client_ip = *synlab::wire::IpAddr::parse("10.0.0.1");
  const synlab::wire::IpAddr server_ip = *synlab::wire::IpAddr::parse("10.0.0.2");
  const std::string server_addr = "10.0.0.2:8080";

  void SetUp() override {
    world.sim().add_observer(&trace);
    world.connect(client, server, {.delay = 10ms});
    // The server side of Fast Open is off by default (net.ipv4.tcp_fastopen = 1).
    server.personality().tcp_fastopen = kTfoClientEnable | kTfoServerEnable;
  }

  static OptVal int_opt(int x) {
    const auto u = static_cast<std::uint32_t>(x);
    return OptVal{static_cast<std::uint8_t>(u), static_cast<std::uint8_t>(u >> 8),
                  static_cast<std::uint8_t>(u >> 16), static_cast<std::uint8_t>(u >> 24)};
  }
  // A listener on 10.0.0.2:8080; `fastopen_qlen` > 0 sets TCP_FASTOPEN.
  int listener(int fastopen_qlen, int backlog = 16) {
    const int fd = server.socket(kAfInet, kSockStream | kSockNonblock, 0).value();
    EXPECT_TRUE(server.setsockopt(fd, kSolSocket, kSoReuseaddr, int_opt(1)));
    EXPECT_TRUE(server.bind(fd, UserAddr::from(*SockAddr::parse(server_addr))));
    if (fastopen_qlen > 0) {
      EXPECT_TRUE(server.setsockopt(fd, kSolTcp, kTcpFastopen, int_opt(fastopen_qlen)));
    }
    EXPECT_TRUE(server.listen(fd, backlog));
    return fd;
  }
  int tcp(Host& h, bool nonblocking) {
    return h.socket(kAfInet, kSockStream | (nonblocking ? kSockNonblock : 0), 0).value();
  }
  // send/sendto as a blocking call would run (returns at once for a non-blocking socket).
  SysResult<std::size_t> send(Host& h, int fd, std::size_t n, int flags,
                              const std::string& to = {}) {
    std::vector<std::uint8_t> data(n);
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>('a' + i % 26);
    std::optional<UserAddr> ua;
    if (!to.empty()) ua = UserAddr::from(*SockAddr::parse(to));
    auto r = world.wait<std::size_t>(
        [&](Done<std::size_t> d) { h.send(fd, data, flags, ua ? &*ua : nullptr, d); });
    if (!r) return synlab::fail(Errno::kEINTR);
    return *r;
  }
  SysResult<std::size_t> sendto_fastopen(int fd, std::size_t n) {
    return send(client, fd, n, kMsgFastopen, server_addr);
  }
  SysResult<void> connect_now(int fd) {
    SysResult<void> out = synlab::fail(Errno::kEIO);
    bool called = false;
    client.connect(fd, UserAddr::from(*SockAddr::parse(server_addr)), [&](SysResult<void> r) {
      out = r;
      called = true;
    });
    EXPECT_TRUE(called) << "connect blocked";
    return out;
  }
  // Gets a cookie into the client's cache with one cookie-request handshake, then closes both
  // ends of that connection.
  void warm_cookie(int lfd) {
    const int fd = tcp(client, true);
    EXPECT_EQ(err(sendto_fastopen(fd, 0)), Errno::kEINPROGRESS);
    world.run_for(100ms);
    EXPECT_EQ(client.tfo_cookies[server_ip].cookie.len, 8);
    EXPECT_TRUE(call.close(client, fd));
    const int c = accept_now(lfd);
    EXPECT_GE(c, 0);
    if (c >= 0) {
      EXPECT_TRUE(call.close(server, c));
    }
    world.run_for(100ms);
  }
  int accept_now(int lfd) {
    auto r = world.wait<AcceptResult>([&](Done<AcceptResult> d) { server.accept(lfd, 0, d); },
                                      Duration::zero());
    if (!r || !*r) return -1;
    return (*r)->fd;
  }
  template <class T>
  static Errno err(const SysResult<T>& r) {
    return r ? Errno::kOk : r.error();
  }
  std::uint64_t ctr(const Host& h, Mib m) const { return h.counters().get(m); }
  std::string cookie_hex() const { return hex(expected_cookie()); }
  TfoCookie expected_cookie() const {
    return tcp_fastopen_cookie_gen(tcp_fastopen_keys(server, nullptr).front(), client_ip,
                                   server_ip);
  }

  // Every TCP segment since `since`, in packetdrill syntax with sequence numbers relative to
  // each side's first SYN of that connection, and "TS" for the timestamp option's values.
  std::vector<std::string> segments(Time since = Time::zero(), bool with_time = false) const {
    std::vector<std::string> out;
    // Initial sequence numbers by (sender is the client, the client's port).
    std::map<std::pair<bool, std::uint16_t>, std::uint32_t> isn;
    for (const auto& f : trace.frames()) {
      auto eth = synlab::wire::EthernetRepr::parse(f.bytes);
      if (!eth || eth->ethertype != synlab::wire::kEtherTypeIpv4) continue;
      auto ip = synlab::wire::Ipv4Repr::parse(synlab::wire::Bytes(f.bytes).subspan(14),
                                              synlab::wire::ChecksumCheck::kSkip);
      if (!ip || ip->repr.protocol != 6) continue;
      auto t = synlab::wire::TcpRepr::parse(ip->payload, ip->repr.src, ip->repr.dst,
                                            synlab::wire::ChecksumCheck::kSkip);
      if (!t) continue;
      const bool from_client = ip->repr.src == client_ip;
      const std::uint16_t cport = from_client ? t->src_port : t->dst_port;
      const auto mine = std::make_pair(from_client, cport),
                 theirs = std::make_pair(!from_client, cport);
      if (t->flags & synlab::wire::tcp_flag::kSyn) isn[mine] = t->seq;
      if ((t->flags & synlab::wire::tcp_flag::kAck) && (t->flags & synlab::wire::tcp_flag::kSyn) &&
          !isn.count(theirs)) {
        isn[theirs] = t->ack - 1;
      }
      if (f.at < since) continue;
      synlab::wire::TcpRepr r = *t;
      r.seq -= isn.count(mine) ? isn[mine] : 0;
      if (r.flags & synlab::wire::tcp_flag::kAck) r.ack -= isn.count(theirs) ? isn[theirs] : 0;
      std::string line = synlab::wire::format_tcp(r);
      line = std::regex_replace(line, std::regex(" win [0-9]+"), "");
      line = std::regex_replace(line, std::regex("TS val [0-9]+ ecr [0-9]+"), "TS");
      std::string str = std::string(from_client ? "> " : "< ") + line;
      if (with_time) str = std::to_string((f.at - Time::zero()).ms()) + " " + str;
      out.push_back(str);
    }
    return out;
  }
};

}  // namespace

TEST_F(FastOpen, CookieRequestThenDataInTheNextSyn) {
  const int lfd = listener(5);
  // No cookie yet: sendto(MSG_FASTOPEN) sends a SYN with an empty Fast Open option and, being
  // non-blocking, returns EINPROGRESS without queuing the data (RFC 7413 §4.1.2).
  const int fd = tcp(client, true);
  EXPECT_EQ(err(sendto_fastopen(fd, 100)), Errno::kEINPROGRESS);
  world.run_for(100ms);
  const std::string cookie = hex(expected_cookie());
  EXPECT_THAT(segments(), ElementsAre("> S 0:0(0) <mss 1460,sackOK,TS,nop,wscale 10,FO,nop,nop>",
                                      "< S. 0:0(0) ack 1 <mss 1460,sackOK,TS,nop,wscale 10,FO " +
                                          cookie + ",nop,nop>",
                                      "> . 1:1(0) ack 1 <nop,nop,TS>"));
  ASSERT_EQ(client.tfo_cookies.count(server_ip), 1u);
  EXPECT_EQ(hex(client.tfo_cookies[server_ip].cookie), cookie);
  EXPECT_EQ(client.tfo_cookies[server_ip].mss, 1460);
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenCookieReqd), 1u);
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassive), 0u);
  // The connection is an ordinary one; its accept() needed the final ACK.
  const int first = accept_now(lfd);
  ASSERT_GE(first, 0);
  EXPECT_EQ(server.sock_of_fd(first)->tcp.state, TcpState::kEstablished);

  // Next connection: the SYN carries the cookie and the data; sendto returns what it took.
  const Time t0 = world.now();
  const int fd2 = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd2, 1000), 1000u);
  // The SYN is at the server after 10 ms; the child is there before the final ACK comes.
  world.run_for(15ms);
  const int child = accept_now(lfd);
  ASSERT_GE(child, 0);
  Sock* cs = server.sock_of_fd(child);
  EXPECT_EQ(cs->tcp.state, TcpState::kSynReceived);
  EXPECT_EQ(server.poll_mask(*cs) & kPollIn, kPollIn);
  auto data = call.read(server, child, 4096);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->data.size(), 1000u);
  EXPECT_EQ(data->data[0], 'a');
  world.run_for(100ms);
  EXPECT_EQ(cs->tcp.state, TcpState::kEstablished);
  EXPECT_THAT(segments(t0), ElementsAre("> S 0:1000(1000) <mss 1460,sackOK,TS,nop,wscale 10,FO " +
                                            cookie + ",nop,nop>",
                                        "< S. 0:0(0) ack 1001 <mss 1460,sackOK,TS,nop,wscale 10>",
                                        "> . 1001:1001(0) ack 1 <nop,nop,TS>"));
  EXPECT_EQ(ctr(client, Mib::kTCPFastOpenActive), 1u);
  EXPECT_EQ(ctr(client, Mib::kTCPFastOpenActiveFail), 0u);
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassive), 1u);
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassiveFail), 0u);
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenCookieReqd), 1u);
  // tcpi_options has TCPI_OPT_SYN_DATA on both ends.
  auto info = client.getsockopt(fd2, kSolTcp, kTcpInfo, 104);
  ASSERT_TRUE(info);
  EXPECT_EQ((*info)[5] & 32, 32);
  auto sinfo = server.getsockopt(child, kSolTcp, kTcpInfo, 104);
  ASSERT_TRUE(sinfo);
  EXPECT_EQ((*sinfo)[5] & 32, 32);
  // The child has left the Fast Open queue.
  EXPECT_EQ(server.sock_of_fd(lfd)->listener->fastopen_qlen, 0);
}

TEST_F(FastOpen, InvalidCookieGetsAFreshOneAndTheDataIsResent) {
  const int lfd = listener(5);
  TfoCacheEntry bogus;
  bogus.cookie.len = 8;
  bogus.cookie.val.fill(0x11);
  bogus.mss = 1460;
  client.tfo_cookies[server_ip] = bogus;
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 500), 500u);
  world.run_for(200ms);
  const std::string cookie = hex(expected_cookie());
  // The server checks the cookie, fails it, acknowledges only the SYN and offers a fresh
  // cookie; the client sends the data again right away, on the segment that ACKs the SYN-ACK.
  EXPECT_THAT(
      segments(),
      ElementsAre("> S 0:500(500) <mss 1460,sackOK,TS,nop,wscale 10,FO 1111111111111111,nop,nop>",
                  "< S. 0:0(0) ack 1 <mss 1460,sackOK,TS,nop,wscale 10,FO " + cookie + ",nop,nop>",
                  "> P. 1:501(500) ack 1 <nop,nop,TS>", "< . 1:1(0) ack 501 <nop,nop,TS>"));
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassiveFail), 1u);
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassive), 0u);
  EXPECT_EQ(ctr(client, Mib::kTCPFastOpenActiveFail), 1u);
  EXPECT_EQ(hex(client.tfo_cookies[server_ip].cookie), cookie);
  const int child = accept_now(lfd);
  ASSERT_GE(child, 0);
  auto data = call.read(server, child, 4096);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->data.size(), 500u);
  auto info = client.getsockopt(fd, kSolTcp, kTcpInfo, 104);
  ASSERT_TRUE(info);
  EXPECT_EQ((*info)[5] & 32, 0);                       // no TCPI_OPT_SYN_DATA
  EXPECT_EQ(((*info)[7] >> 1) & 3, kTfoDataNotAcked);  // tcpi_fastopen_client_fail
}

TEST_F(FastOpen, ServerWithoutFastOpenIgnoresTheSynData) {
  // basic-non-tfo-listener.pkt: a listener without TCP_FASTOPEN acknowledges only the SYN and
  // sends no cookie; the client resends its data after the handshake.
  server.personality().tcp_fastopen = kTfoServerEnable;
  const int lfd = listener(0);
  TfoCacheEntry e;
  e.cookie.len = 8;
  e.cookie.val.fill(0x22);
  client.tfo_cookies[server_ip] = e;
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 300), 300u);
  world.run_for(200ms);
  EXPECT_THAT(
      segments(),
      ElementsAre("> S 0:300(300) <mss 1460,sackOK,TS,nop,wscale 10,FO 2222222222222222,nop,nop>",
                  "< S. 0:0(0) ack 1 <mss 1460,sackOK,TS,nop,wscale 10>",
                  "> P. 1:301(300) ack 1 <nop,nop,TS>", "< . 1:1(0) ack 301 <nop,nop,TS>"));
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassiveFail), 0u);
  EXPECT_EQ(ctr(client, Mib::kTCPFastOpenActiveFail), 1u);
  // The cached cookie stays (the SYN-ACK had none to replace it).
  EXPECT_EQ(hex(client.tfo_cookies[server_ip].cookie), "2222222222222222");
  const int child = accept_now(lfd);
  ASSERT_GE(child, 0);
  EXPECT_EQ(call.read(server, child, 4096)->data.size(), 300u);
}

TEST_F(FastOpen, MsgFastopenWithoutCookieBlockingSendsTheDataAfterTheHandshake) {
  listener(5);
  const int fd = tcp(client, false);
  const Time t0 = world.now();
  auto r = sendto_fastopen(fd, 3000);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 3000u);
  // ARP (20 ms) and the handshake (20 ms): sendto returns when the data is queued.
  EXPECT_EQ(world.now() - t0, Duration(40ms));
  world.run_for(100ms);
  const std::string cookie = hex(expected_cookie());
  // The ACK of the SYN-ACK waits for the writer and rides on its first segment.
  const auto segs = segments();
  ASSERT_GE(segs.size(), 4u);
  EXPECT_EQ(segs[0], "> S 0:0(0) <mss 1460,sackOK,TS,nop,wscale 10,FO,nop,nop>");
  EXPECT_EQ(segs[1],
            "< S. 0:0(0) ack 1 <mss 1460,sackOK,TS,nop,wscale 10,FO " + cookie + ",nop,nop>");
  EXPECT_EQ(segs[2], "> . 1:1449(1448) ack 1 <nop,nop,TS>");
  EXPECT_EQ(segs[3], "> . 1449:2897(1448) ack 1 <nop,nop,TS>");
  EXPECT_EQ(segs[4], "> P. 2897:3001(104) ack 1 <nop,nop,TS>");
  EXPECT_EQ(ctr(client, Mib::kTCPFastOpenActive), 0u);
  EXPECT_EQ(hex(client.tfo_cookies[server_ip].cookie), cookie);
}

TEST_F(FastOpen, MsgFastopenErrors) {
  listener(5);
  const int fd = tcp(client, true);
  // The client bit of net.ipv4.tcp_fastopen is off: EOPNOTSUPP.
  client.personality().tcp_fastopen = 0;
  EXPECT_EQ(err(sendto_fastopen(fd, 10)), Errno::kEOPNOTSUPP);
  client.personality().tcp_fastopen = kTfoClientEnable;
  // An AF_UNSPEC address: EOPNOTSUPP (tcp_sendmsg_fastopen).
  std::vector<std::uint8_t> one{1};
  const UserAddr unspec = UserAddr::from(SockAddr::unspec());
  std::optional<SysResult<std::size_t>> out;
  client.send(fd, one, kMsgFastopen, &unspec, [&](SysResult<std::size_t> r) { out = r; });
  ASSERT_TRUE(out);
  EXPECT_EQ(err(*out), Errno::kEOPNOTSUPP);
  // No address on an unconnected socket: tcp_v4_connect's EINVAL.
  EXPECT_EQ(err(send(client, fd, 10, kMsgFastopen)), Errno::kEINVAL);
  // In progress: EALREADY from the connect step; after the handshake: EISCONN.
  EXPECT_EQ(err(sendto_fastopen(fd, 0)), Errno::kEINPROGRESS);
  EXPECT_EQ(err(sendto_fastopen(fd, 10)), Errno::kEALREADY);
  world.run_for(100ms);
  EXPECT_TRUE(connect_now(fd));  // the first connect after completion reports 0
  EXPECT_EQ(err(sendto_fastopen(fd, 10)), Errno::kEISCONN);
}

TEST_F(FastOpen, FastopenConnectWithACookieDefersTheSynToTheFirstWrite) {
  const int lfd = listener(5);
  warm_cookie(lfd);
  const std::size_t before = trace.frames().size();
  const int fd = tcp(client, true);
  ASSERT_TRUE(client.setsockopt(fd, kSolTcp, kTcpFastopenConnect, int_opt(1)));
  // connect() returns 0 at once and sends nothing; the socket is writable (tcp_poll).
  EXPECT_TRUE(connect_now(fd));
  EXPECT_EQ(trace.frames().size(), before);
  EXPECT_EQ(client.sock_of_fd(fd)->tcp.state, TcpState::kSynSent);
  EXPECT_EQ(call.revents(client, fd, kPollOut | kPollIn), kPollOut);
  EXPECT_EQ(err(connect_now(fd)), Errno::kEISCONN);
  const Time t0 = world.now();
  // The first write sends the SYN with as much data as fits: MSS 1460 - 40.
  EXPECT_EQ(*send(client, fd, 2000, 0), 1420u);
  EXPECT_EQ(err(send(client, fd, 100, 0)), Errno::kEAGAIN);  // still in SYN_SENT
  world.run_for(100ms);
  const std::string cookie = hex(expected_cookie());
  EXPECT_THAT(segments(t0), ElementsAre("> S 0:1420(1420) <mss 1460,sackOK,TS,nop,wscale 10,FO " +
                                            cookie + ",nop,nop>",
                                        "< S. 0:0(0) ack 1421 <mss 1460,sackOK,TS,nop,wscale 10>",
                                        "> . 1421:1421(0) ack 1 <nop,nop,TS>"));
  EXPECT_EQ(ctr(client, Mib::kTCPFastOpenActive), 1u);
  (void)lfd;
}

TEST_F(FastOpen, FastopenConnectBlockingWriteWaitsForTheHandshake) {
  const int lfd = listener(5);
  warm_cookie(lfd);
  const int fd = tcp(client, false);
  ASSERT_TRUE(client.setsockopt(fd, kSolTcp, kTcpFastopenConnect, int_opt(1)));
  EXPECT_TRUE(call.connect(client, fd, server_addr));
  const Time t0 = world.now();
  EXPECT_EQ(world.now(), t0);
  auto r = send(client, fd, 2000, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 2000u);  // 1420 in the SYN, the rest once connected
  EXPECT_EQ(world.now() - t0, Duration(20ms));
  world.run_for(100ms);
  const auto segs = segments(t0);
  ASSERT_GE(segs.size(), 3u);
  EXPECT_EQ(segs[1], "< S. 0:0(0) ack 1421 <mss 1460,sackOK,TS,nop,wscale 10>");
  EXPECT_EQ(segs[2], "> P. 1421:2001(580) ack 1 <nop,nop,TS>");
}

TEST_F(FastOpen, FastopenConnectWithoutCookieAsksForOne) {
  listener(5);
  const int fd = tcp(client, true);
  // nonblocking-connect-bypass-errno.pkt: EOPNOTSUPP while the sysctl is 0.
  client.personality().tcp_fastopen = 0;
  EXPECT_EQ(err(client.setsockopt(fd, kSolTcp, kTcpFastopenConnect, int_opt(1))),
            Errno::kEOPNOTSUPP);
  client.personality().tcp_fastopen = kTfoClientEnable;
  EXPECT_EQ(err(client.setsockopt(fd, kSolTcp, kTcpFastopenConnect, int_opt(2))), Errno::kEINVAL);
  ASSERT_TRUE(client.setsockopt(fd, kSolTcp, kTcpFastopenConnect, int_opt(1)));
  EXPECT_EQ(err(connect_now(fd)), Errno::kEINPROGRESS);
  world.run_for(25ms);  // ARP, then the SYN
  EXPECT_THAT(segments(), ElementsAre("> S 0:0(0) <mss 1460,sackOK,TS,nop,wscale 10,FO,nop,nop>"));
  // "EALREADY on multiple sendto(MSG_FASTOPEN) in SYN-SENT", "EAGAIN on write()".
  EXPECT_EQ(err(sendto_fastopen(fd, 1000)), Errno::kEALREADY);
  EXPECT_EQ(err(send(client, fd, 1000, 0)), Errno::kEAGAIN);
  // Too late for TCP_FASTOPEN_CONNECT now.
  EXPECT_EQ(err(client.setsockopt(fd, kSolTcp, kTcpFastopenConnect, int_opt(1))), Errno::kEINVAL);
  world.run_for(100ms);
  EXPECT_EQ(client.tfo_cookies[server_ip].cookie.len, 8);
}

TEST_F(FastOpen, SynRetransmissionCarriesNeitherOptionNorData) {
  const int lfd = listener(5);
  warm_cookie(lfd);
  FilterRule drop;
  drop.chain = FilterChain::kInput;
  drop.protocol = 6;
  drop.verdict = FilterVerdict::kDrop;
  drop.text = "drop tcp";
  server.filter.add(drop);
  const Time t0 = world.now();
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 500), 500u);
  world.run_for(1500ms);
  server.filter.clear();
  world.run_for(1000ms);
  const std::string cookie = hex(expected_cookie());
  // The SYN-ACK answers the plain retransmitted SYN; the data goes again after it.
  EXPECT_THAT(
      segments(t0, true),
      ElementsAre(
          std::to_string((t0 - Time::zero()).ms()) +
              " > S 0:500(500) <mss 1460,sackOK,TS,nop,wscale 10,FO " + cookie + ",nop,nop>",
          std::to_string((t0 - Time::zero()).ms() + 1000) +
              " > S 0:0(0) <mss 1460,sackOK,TS,nop,wscale 10>",
          std::to_string((t0 - Time::zero()).ms() + 2000) +
              " > S 0:0(0) <mss 1460,sackOK,TS,nop,wscale 10>",
          std::to_string((t0 - Time::zero()).ms() + 2010) +
              " < S. 0:0(0) ack 1 <mss 1460,sackOK,TS,nop,wscale 10>",
          std::to_string((t0 - Time::zero()).ms() + 2020) + " > P. 1:501(500) ack 1 <nop,nop,TS>",
          std::to_string((t0 - Time::zero()).ms() + 2030) + " < . 1:1(0) ack 501 <nop,nop,TS>"));
  EXPECT_EQ(ctr(client, Mib::kTCPFastOpenActiveFail), 1u);
  EXPECT_EQ(client.tfo_cookies[server_ip].syn_loss, 1);  // "the SYN-data was presumably lost"
  auto info = client.getsockopt(fd, kSolTcp, kTcpInfo, 104);
  ASSERT_TRUE(info);
  EXPECT_EQ(((*info)[7] >> 1) & 3, kTfoSynRetransmitted);
}

TEST_F(FastOpen, QueueLimitFallsBackToAnOrdinaryHandshake) {
  const int lfd = listener(1);
  warm_cookie(lfd);
  const Time t0 = world.now();
  const int a = tcp(client, true), b = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(a, 100), 100u);
  EXPECT_EQ(*sendto_fastopen(b, 100), 100u);
  world.run_for(15ms);
  // One Fast Open child per queue slot; the second SYN finds the queue full before its cookie
  // is even checked, so the server acts as if it had no Fast Open: no cookie, data not acked.
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassive), 1u);
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenListenOverflow), 1u);
  EXPECT_EQ(server.sock_of_fd(lfd)->listener->fastopen_qlen, 1);
  world.run_for(200ms);
  const auto segs = segments(t0);
  EXPECT_THAT(segs, testing::Contains("< S. 0:0(0) ack 101 <mss 1460,sackOK,TS,nop,wscale 10>"));
  EXPECT_THAT(segs, testing::Contains("< S. 0:0(0) ack 1 <mss 1460,sackOK,TS,nop,wscale 10>"));
  EXPECT_THAT(segs, testing::Contains("> P. 1:101(100) ack 1 <nop,nop,TS>"));
  EXPECT_EQ(ctr(client, Mib::kTCPFastOpenActive), 1u);
  EXPECT_EQ(ctr(client, Mib::kTCPFastOpenActiveFail), 1u);
  // Both connections get their data; the queue is empty again.
  for (int i = 0; i < 2; ++i) {
    const int c = accept_now(lfd);
    ASSERT_GE(c, 0);
    EXPECT_EQ(call.read(server, c, 4096)->data.size(), 100u);
  }
  EXPECT_EQ(server.sock_of_fd(lfd)->listener->fastopen_qlen, 0);
}

TEST_F(FastOpen, ServerForAllListenersAndNoCookieBits) {
  // 0x400: every listener does Fast Open (queue = backlog) without TCP_FASTOPEN.
  server.personality().tcp_fastopen = kTfoServerEnable | kTfoServerWoSockopt1;
  const int lfd = listener(0, 7);
  EXPECT_EQ(server.sock_of_fd(lfd)->listener->fastopen_max_qlen, 7);
  auto q = server.getsockopt(lfd, kSolTcp, kTcpFastopen, 4);
  ASSERT_TRUE(q);
  EXPECT_EQ((*q)[0], 7);
  warm_cookie(lfd);
  EXPECT_EQ(client.tfo_cookies[server_ip].cookie.len, 8);
  // 0x200 on the server and 0x4 on the client: data in the SYN with no option at all.
  server.personality().tcp_fastopen |= kTfoServerCookieNotReqd;
  client.personality().tcp_fastopen = kTfoClientEnable | kTfoClientNoCookie;
  const Time t0 = world.now();
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 50), 50u);
  world.run_for(100ms);
  EXPECT_THAT(segments(t0), ElementsAre("> S 0:50(50) <mss 1460,sackOK,TS,nop,wscale 10>",
                                        "< S. 0:0(0) ack 51 <mss 1460,sackOK,TS,nop,wscale 10>",
                                        "> . 51:51(0) ack 1 <nop,nop,TS>"));
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassive), 1u);
}

TEST_F(FastOpen, ServerBitOffIgnoresCookieRequests) {
  // tcp_fastopen = 1 (Linux's default): the request is counted, no cookie is given.
  server.personality().tcp_fastopen = kTfoClientEnable;
  listener(5);
  const int fd = tcp(client, true);
  EXPECT_EQ(err(sendto_fastopen(fd, 0)), Errno::kEINPROGRESS);
  world.run_for(100ms);
  EXPECT_THAT(segments(), ElementsAre("> S 0:0(0) <mss 1460,sackOK,TS,nop,wscale 10,FO,nop,nop>",
                                      "< S. 0:0(0) ack 1 <mss 1460,sackOK,TS,nop,wscale 10>",
                                      "> . 1:1(0) ack 1 <nop,nop,TS>"));
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenCookieReqd), 1u);
  // No cookie came back: next time the client asks with the experimental option.
  EXPECT_EQ(client.tfo_cookies[server_ip].try_exp, 1);
  const Time t0 = world.now();
  const int fd2 = tcp(client, true);
  EXPECT_EQ(err(sendto_fastopen(fd2, 0)), Errno::kEINPROGRESS);
  world.run_for(100ms);
  EXPECT_EQ(segments(t0).front(), "> S 0:0(0) <mss 1460,sackOK,TS,nop,wscale 10,FOEXP>");
}

TEST_F(FastOpen, BackupKeyIsAcceptedAndThePrimaryCookieGiven) {
  const int lfd = listener(5);
  warm_cookie(lfd);
  const TfoKey old_key = tcp_fastopen_keys(server, nullptr).front();
  // Rotate: a new primary key, the old one as backup (TCP_FASTOPEN_KEY with 32 bytes).
  OptVal keys(32);
  for (std::size_t i = 0; i < 16; ++i) keys[i] = static_cast<std::uint8_t>(0x40 + i);
  std::copy(old_key.begin(), old_key.end(), keys.begin() + 16);
  ASSERT_TRUE(server.setsockopt(lfd, kSolTcp, kTcpFastopenKey, keys));
  auto got = server.getsockopt(lfd, kSolTcp, kTcpFastopenKey, 64);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, keys);
  EXPECT_EQ(err(server.setsockopt(lfd, kSolTcp, kTcpFastopenKey, OptVal(20))), Errno::kEINVAL);
  TfoKey new_key{};
  std::copy_n(keys.begin(), 16, new_key.begin());
  const std::string fresh = hex(tcp_fastopen_cookie_gen(new_key, client_ip, server_ip));
  const Time t0 = world.now();
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 10), 10u);
  world.run_for(100ms);
  const auto segs = segments(t0);
  ASSERT_GE(segs.size(), 2u);
  EXPECT_EQ(segs[1],
            "< S. 0:0(0) ack 11 <mss 1460,sackOK,TS,nop,wscale 10,FO " + fresh + ",nop,nop>");
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassiveAltKey), 1u);
  EXPECT_EQ(hex(client.tfo_cookies[server_ip].cookie), fresh);
}

TEST_F(FastOpen, ChildRetransmitsItsSynAckThenTimesOut) {
  const int lfd = listener(5);
  warm_cookie(lfd);
  // From now on the client's ACKs never leave it.
  FilterRule drop;
  drop.chain = FilterChain::kOutput;
  drop.protocol = 6;
  drop.verdict = FilterVerdict::kDrop;
  drop.text = "drop tcp";
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 10), 10u);
  client.filter.add(drop);
  const Time t0 = world.now();
  world.run_for(15ms);
  const int child = accept_now(lfd);
  ASSERT_GE(child, 0);
  world.run_for(200s);
  std::vector<std::int64_t> synacks;
  for (const auto& s : segments(t0, true)) {
    if (s.find(" < S. ") != std::string::npos) synacks.push_back(std::stoll(s));
  }
  const std::int64_t base = (t0 - Time::zero()).ms() + 10;
  // tcp_fastopen_synack_timer: 1 s doubling, tcp_synack_retries + 1 = 6 retransmissions.
  EXPECT_THAT(synacks, ElementsAre(base, base + 1000, base + 3000, base + 7000, base + 15000,
                                   base + 31000, base + 63000));
  Sock* cs = server.sock_of_fd(child);
  EXPECT_EQ(cs->tcp.state, TcpState::kClosed);
  EXPECT_EQ(call.read(server, child, 100)->data.size(), 10u);  // the SYN's data is still there
  EXPECT_EQ(err(call.read(server, child, 100)), Errno::kETIMEDOUT);
  EXPECT_EQ(server.sock_of_fd(lfd)->listener->fastopen_qlen, 0);
}

TEST(FastOpenPacketdrill, Ipv4CookieOnTheWireIsTheScriptsTfoCookie) {
  // packetdrill's addresses (client 192.0.2.1, the host under test 192.168.0.1) and the
  // defaults.sh sysctls: the SYN-ACK to a cookie request carries 3021b9d889017eeb, the value
  // run_all.py passes as TFO_COOKIE.
  World world{{.seed = 5}};
  Host& client = world.add_host("client", {"192.0.2.1/8"});
  Host& server = world.add_host("server", {"192.168.0.1/8"});
  world.connect(client, server, {.delay = 1ms});
  synlab::sim::TraceRecorder trace;
  world.sim().add_observer(&trace);
  ASSERT_TRUE(set_sysctl(server.personality(), "net.ipv4.tcp_fastopen", "0x70403"));
  ASSERT_TRUE(set_sysctl(server.personality(), "net.ipv4.tcp_fastopen_key",
                         "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4"));
  ASSERT_TRUE(set_sysctl(server.personality(), "net.ipv4.tcp_rmem", "4096 540000 15728640"));
  ASSERT_TRUE(set_sysctl(server.personality(), "net.ipv4.tcp_timestamps", "0"));
  const int lfd = server.socket(kAfInet, kSockStream, 0).value();
  ASSERT_TRUE(server.bind(lfd, UserAddr::from(*SockAddr::parse("192.168.0.1:8080"))));
  ASSERT_TRUE(server.listen(lfd, 1));  // 0x400: a Fast Open queue of 1 without TCP_FASTOPEN
  const int fd = client.socket(kAfInet, kSockStream | kSockNonblock, 0).value();
  std::vector<std::uint8_t> none;
  const UserAddr to = UserAddr::from(*SockAddr::parse("192.168.0.1:8080"));
  std::optional<SysResult<std::size_t>> r;
  client.send(fd, none, kMsgFastopen, &to, [&](SysResult<std::size_t> x) { r = x; });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error(), Errno::kEINPROGRESS);
  world.run_for(50ms);
  std::optional<std::string> synack;
  for (const auto& f : trace.frames()) {
    auto ip = synlab::wire::Ipv4Repr::parse(synlab::wire::Bytes(f.bytes).subspan(14),
                                            synlab::wire::ChecksumCheck::kSkip);
    if (!ip || ip->repr.protocol != 6) continue;
    auto t = synlab::wire::TcpRepr::parse(ip->payload, ip->repr.src, ip->repr.dst,
                                          synlab::wire::ChecksumCheck::kSkip);
    if (t && t->flags == (synlab::wire::tcp_flag::kSyn | synlab::wire::tcp_flag::kAck)) {
      synack = synlab::wire::format_tcp_options(t->options);
    }
  }
  ASSERT_TRUE(synack);
  // tcp-fastopen server scripts with timestamps off: <mss 1460,nop,nop,sackOK,nop,wscale 8,...>
  EXPECT_EQ(*synack, "<mss 1460,nop,nop,sackOK,nop,wscale 8,FO 3021b9d889017eeb,nop,nop>");
  EXPECT_EQ(hex(client.tfo_cookies[*synlab::wire::IpAddr::parse("192.168.0.1")].cookie),
            "3021b9d889017eeb");
}

TEST_F(FastOpen, ClosingTheListenerResetsChildrenNotYetAccepted) {
  // listener-closed-trigger-rst.pkt, with timestamps off as the script has them.
  client.personality().tcp_timestamps = false;
  const int lfd = listener(5);
  warm_cookie(lfd);
  FilterRule drop;  // the client's ACK of the SYN-ACK never leaves it
  drop.chain = FilterChain::kOutput;
  drop.protocol = 6;
  drop.verdict = FilterVerdict::kDrop;
  drop.text = "drop tcp";
  const Time t0 = world.now();
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 10), 10u);
  client.filter.add(drop);
  world.run_for(100ms);
  EXPECT_TRUE(call.close(server, lfd));
  const std::string cookie = hex(expected_cookie());
  EXPECT_THAT(
      segments(t0),
      ElementsAre("> S 0:10(10) <mss 1460,nop,nop,sackOK,nop,wscale 10,FO " + cookie + ",nop,nop>",
                  "< S. 0:0(0) ack 11 <mss 1460,nop,nop,sackOK,nop,wscale 10>",
                  "< R. 1:1(0) ack 11"));
}

TEST_F(FastOpen, ClosingAnAcceptedChildWithUnreadSynDataResets) {
  // unread-data-closed-trigger-rst.pkt: accept() before the final ACK, close() at once.
  client.personality().tcp_timestamps = false;
  const int lfd = listener(5);
  warm_cookie(lfd);
  FilterRule drop;
  drop.chain = FilterChain::kOutput;
  drop.protocol = 6;
  drop.verdict = FilterVerdict::kDrop;
  drop.text = "drop tcp";
  const Time t0 = world.now();
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 10), 10u);
  client.filter.add(drop);
  world.run_for(15ms);
  const int child = accept_now(lfd);
  ASSERT_GE(child, 0);
  EXPECT_EQ(server.sock_of_fd(child)->tcp.state, TcpState::kSynReceived);
  auto info = server.getsockopt(child, kSolTcp, kTcpInfo, 104);
  ASSERT_TRUE(info);
  EXPECT_EQ((*info)[5] & 32, 32);  // TCPI_OPT_SYN_DATA
  EXPECT_TRUE(call.close(server, child));
  EXPECT_THAT(
      segments(t0),
      ElementsAre(
          "> S 0:10(10) <mss 1460,nop,nop,sackOK,nop,wscale 10,FO " + cookie_hex() + ",nop,nop>",
          "< S. 0:0(0) ack 11 <mss 1460,nop,nop,sackOK,nop,wscale 10>", "< R. 1:1(0) ack 11"));
  EXPECT_EQ(server.sock_of_fd(lfd)->listener->fastopen_qlen, 0);
}

TEST_F(FastOpen, ChildCanSendBeforeTheFinalAck) {
  // "Data-less SYN with valid cookie is allowed to send data in SYN_RECV state."
  const int lfd = listener(5);
  warm_cookie(lfd);
  const Time t0 = world.now();
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 5), 5u);
  world.run_for(10ms);  // the SYN has just arrived
  const int child = accept_now(lfd);
  ASSERT_GE(child, 0);
  ASSERT_EQ(server.sock_of_fd(child)->tcp.state, TcpState::kSynReceived);
  EXPECT_EQ(call.revents(server, child, kPollOut) & kPollOut, kPollOut);
  EXPECT_EQ(*send(server, child, 20, 0), 20u);
  world.run_for(100ms);
  const auto segs = segments(t0);
  ASSERT_GE(segs.size(), 3u);
  EXPECT_EQ(segs[1], "< S. 0:0(0) ack 6 <mss 1460,sackOK,TS,nop,wscale 10>");
  EXPECT_EQ(segs[2], "< P. 1:21(20) ack 6 <nop,nop,TS>");
  EXPECT_EQ(call.read(client, fd, 100)->data.size(), 20u);
}

TEST_F(FastOpen, ExperimentalOptionIsCheckedAndAnsweredInTheSameFormat) {
  // The server scripts send their cookies as FOEXP (kind 254, magic 0xF989).
  const int lfd = listener(5);
  TfoCacheEntry e;
  e.cookie = expected_cookie();
  e.cookie.exp = true;
  client.tfo_cookies[server_ip] = e;
  const int fd = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd, 10), 10u);
  world.run_for(100ms);
  const std::string cookie = cookie_hex();
  EXPECT_THAT(segments(), ElementsAre("> S 0:10(10) <mss 1460,sackOK,TS,nop,wscale 10,FOEXP " + cookie + ">",
                                      "< S. 0:0(0) ack 11 <mss 1460,sackOK,TS,nop,wscale 10>",
                                      "> . 11:11(0) ack 1 <nop,nop,TS>"));
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassive), 1u);
  // A wrong experimental cookie gets the right one back in the experimental format
  // (reset-non-tfo-socket.pkt: "> S. 0:0(0) ack 1 <...,FOEXP TFO_COOKIE>").
  e.cookie.val.fill(0xaa);
  client.tfo_cookies[server_ip] = e;
  const Time t0 = world.now();
  const int fd2 = tcp(client, true);
  EXPECT_EQ(*sendto_fastopen(fd2, 10), 10u);
  world.run_for(100ms);
  const auto segs = segments(t0);
  ASSERT_GE(segs.size(), 2u);
  EXPECT_EQ(segs[1], "< S. 0:0(0) ack 1 <mss 1460,sackOK,TS,nop,wscale 10,FOEXP " + cookie + ">");
  EXPECT_EQ(ctr(server, Mib::kTCPFastOpenPassiveFail), 1u);
  (void)lfd;
}
