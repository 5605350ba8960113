// A user's own Boost.Test test against simulated hosts, using the framework-neutral Lab
// (harness/gtest/lab.h). It logs TAP (harness/gtest/boost_tap.h) so meson counts each case.
#define BOOST_TEST_MODULE synlab_examples
#include <boost/test/unit_test.hpp>

#include "harness/gtest/boost_tap.h"
#include "harness/gtest/lab.h"

using namespace std::chrono_literals;
using synlab::sim::Duration;
using synlab::sim::Time;
using synlab::stack::Errno;

SYNLAB_BOOST_TAP_LOG();

// Boost.Test prints values it compares: errno by name, times in seconds.
namespace synlab::sim {
inline std::ostream& boost_test_print_type(std::ostream& os, Time t) {
  return os << format_seconds(t) << " s";
}
}  // namespace synlab::sim

namespace {

// Two hosts 50 ms apart (one way), neighbours known in advance.
struct TwoHosts {
  synlab::testing::Lab lab;
  synlab::stack::Host& client = lab.add_host("client", {"10.0.0.1/24"});
  synlab::stack::Host& server = lab.add_host("server", {"10.0.0.2/24"});
  TwoHosts() {
    lab.link(client, server, 50ms);
    lab.static_neighbours();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(connect, TwoHosts)

BOOST_AUTO_TEST_CASE(to_a_listener_succeeds_after_one_round_trip) {
  const int lfd = lab.tcp_listen(server, "10.0.0.2:8080").value();
  const int fd = lab.tcp_socket(client).value();
  auto r = lab.connect(client, fd, "10.0.0.2:8080");
  BOOST_TEST(r.ok(), "connect: " << r);
  BOOST_TEST(r.at() == Time::zero() + 100ms);
  auto conn = lab.accept(server, lfd);
  BOOST_TEST_REQUIRE(conn.ok(), "accept: " << conn);
  BOOST_TEST(conn.at() == Time::zero() + 150ms);
}

BOOST_AUTO_TEST_CASE(to_a_closed_port_is_refused) {
  const int fd = lab.tcp_socket(client).value();
  auto r = lab.connect(client, fd, "10.0.0.2:9");
  BOOST_TEST(r.error() == Errno::kECONNREFUSED);
  BOOST_TEST(r.to_string() == "-1 ECONNREFUSED (Connection refused)");
  BOOST_TEST(r.at() == Time::zero() + 100ms);
}

BOOST_AUTO_TEST_SUITE_END()
