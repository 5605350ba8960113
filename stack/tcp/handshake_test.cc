// End-to-end TCP connection establishment between two simulated hosts: the three-way
// handshake, refused connections, SYN timeouts, and what goes on the wire.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/trace.h"
#include "stack/socket/constants.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/describe.h"
#include "stack/world.h"

using namespace std::chrono_literals;
using synlab::World;
using synlab::sim::Duration;
using synlab::sim::Time;
using synlab::stack::Errno;
using synlab::stack::Host;
using synlab::stack::SockAddr;
using synlab::stack::TcpState;
using synlab::stack::UserAddr;

namespace {

struct Pair : testing::Test {
  World world{{.seed = 7}};
  Host& client = world.add_host("client", {"10.0.0.1/24"});
  Host& server = world.add_host("server", {"10.0.0.2/24"});
  synlab::sim::TraceRecorder trace;

  void SetUp() override { world.sim().add_observer(&trace); }
  void link(Duration delay) { world.connect(client, server, {.delay = delay}); }

  int listening(int port, int backlog = 128) {
    int fd = server.socket(synlab::stack::kAfInet, synlab::stack::kSockStream, 0).value();
    EXPECT_TRUE(server.bind(fd, UserAddr::from(*SockAddr::parse("10.0.0.2:" + std::to_string(port)))));
    EXPECT_TRUE(server.listen(fd, backlog));
    return fd;
  }
  std::optional<synlab::stack::SysResult<void>> connect(Host& h, int fd, const std::string& to) {
    return world.wait<void>([&](auto done) { h.connect(fd, UserAddr::from(*SockAddr::parse(to)), done); });
  }
  // Every frame sent on the client-server link, described, with its send time.
  std::vector<std::string> wire() const {
    std::vector<std::string> out;
    for (const auto& f : trace.frames()) {
      out.push_back(synlab::sim::format_seconds(f.at) + " " + synlab::wire::describe_frame(f.bytes));
    }
    return out;
  }
};

}  // namespace

TEST_F(Pair, BlockingConnectCompletesTheHandshakeInOneRoundTrip) {
  link(50ms);
  const int lfd = listening(8080);
  const int fd = client.socket(synlab::stack::kAfInet, synlab::stack::kSockStream, 0).value();
  auto r = connect(client, fd, "10.0.0.2:8080");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(*r) << synlab::stack::name(r->error());
  // ARP (100 ms round trip) then SYN / SYN-ACK (100 ms): connect returns when the SYN-ACK
  // arrives.
  EXPECT_EQ(world.now(), Time::zero() + 200ms);
  EXPECT_EQ(client.sock_of_fd(fd)->tcp.state, TcpState::kEstablished);
  auto acc = world.wait<synlab::stack::AcceptResult>([&](auto done) { server.accept(lfd, 0, done); });
  ASSERT_TRUE(acc && *acc);
  EXPECT_EQ((*acc)->peer.addr, *synlab::wire::IpAddr::parse("10.0.0.1"));
  EXPECT_EQ(world.now(), Time::zero() + 250ms);  // the final ACK reached the server
  // A second connect on the connected socket: EISCONN.
  auto again = connect(client, fd, "10.0.0.2:8080");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->error(), Errno::kEISCONN);
}

TEST_F(Pair, ClosedPortIsRefusedAfterOneRoundTrip) {
  link(50ms);
  const int fd = client.socket(synlab::stack::kAfInet, synlab::stack::kSockStream, 0).value();
  auto r = connect(client, fd, "10.0.0.2:5001");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error(), Errno::kECONNREFUSED);
  EXPECT_EQ(world.now(), Time::zero() + 200ms);
  // Connecting again makes a new attempt, refused again.
  auto r2 = connect(client, fd, "10.0.0.2:5001");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->error(), Errno::kECONNREFUSED);
}

TEST_F(Pair, SynTimeoutFollowsLinuxLinearThenExponentialSchedule) {
  link(1ms);
  // A blackhole: the server drops every SYN.
  synlab::stack::FilterRule drop;
  drop.chain = synlab::stack::FilterChain::kInput;
  drop.protocol = 6;
  drop.verdict = synlab::stack::FilterVerdict::kDrop;
  drop.text = "drop tcp";
  server.filter.add(drop);
  client.personality().tcp_syn_retries = 2;
  const int fd = client.socket(synlab::stack::kAfInet, synlab::stack::kSockStream, 0).value();
  auto r = connect(client, fd, "10.0.0.2:5000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error(), Errno::kETIMEDOUT);
  std::vector<std::int64_t> syn_times;
  for (const auto& f : trace.frames()) {
    auto d = synlab::wire::describe_frame(f.bytes);
    if (d.find(" S ") != std::string::npos) syn_times.push_back((f.at - Time::zero()).ms());
  }
  // The first SYN waits 2 ms for ARP, but the retransmission timer started at connect(), as
  // Linux's does: SYNs at 0 (+2 ms), 1, 2, 3, 4, 5 s; ETIMEDOUT at 7 s.
  EXPECT_THAT(syn_times, testing::ElementsAre(2, 1000, 2000, 3000, 4000, 5000));
  EXPECT_EQ(world.now(), Time::zero() + 7s);
}
