// A user's own GoogleTest test against simulated hosts: what docs/testing-with-gtest.md walks
// through. Two hosts 50 ms apart; a connect to a listener succeeds, one to a closed port is
// refused; both at exact virtual times. main() also turns a folder of scenario files
// (examples/scenarios/) into tests.
#include "harness/gtest/synlab_gtest.h"

#include <cerrno>

using namespace std::chrono_literals;
using namespace synlab::testing;
using ::testing::AllOf;

class Connect : public WorldTest {
 protected:
  void SetUp() override {
    link(client, server, 50ms);  // one way: a round trip takes 100 ms
    static_neighbours();         // no ARP before the first SYN
  }

  synlab::stack::Host& client = add_host("client", {"10.0.0.1/24"});
  synlab::stack::Host& server = add_host("server", {"10.0.0.2/24"});
};

TEST_F(Connect, ToAListenerSucceedsAfterOneRoundTrip) {
  const int lfd = tcp_listen(server, "10.0.0.2:8080").value();
  const int fd = tcp_socket(client).value();

  // connect() blocks until the SYN-ACK arrives: one round trip of virtual time.
  EXPECT_THAT(connect(client, fd, "10.0.0.2:8080"), AllOf(Succeeds(), ReturnedAt(100ms)));

  // The server's accept() returns the connection once the final ACK is in, 50 ms later.
  auto conn = accept(server, lfd);
  ASSERT_THAT(conn, Succeeds());
  EXPECT_EQ(conn.at(), synlab::sim::Time::zero() + 150ms);
  EXPECT_EQ(conn->peer.to_string(), getsockname(client, fd)->to_string());

  EXPECT_THAT(send(client, fd, "ping"), ReturnsValue(4));
  auto got = recv(server, conn->fd, 16);
  EXPECT_THAT(got, AllOf(ReturnsValue(4), ReturnedAt(200ms)));
  EXPECT_EQ(*got, "ping");
}

TEST_F(Connect, ToAClosedPortIsRefused) {
  const int fd = tcp_socket(client).value();
  run_for(1s);

  // Nothing listens on port 9: the server answers the SYN with a reset.
  auto r = connect(client, fd, "10.0.0.2:9");
  EXPECT_THAT(r, FailsWith(ECONNREFUSED));
  EXPECT_EQ(r.started(), synlab::sim::Time::zero() + 1s);
  EXPECT_EQ(r.took(), synlab::sim::Duration(100ms));
  EXPECT_EQ(now(), r.at());
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Every .scn file under the folder becomes a test: Scenarios.connect_refused, ...
  // (SYNLAB_SOURCE_DIR "/scenarios" would register the bundled suite the same way.)
  RegisterScenarios(SYNLAB_SOURCE_DIR "/examples/scenarios");
  return RUN_ALL_TESTS();
}
