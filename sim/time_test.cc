#include "sim/time.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using synlab::sim::Duration;
using synlab::sim::Time;

TEST(Duration, ConvertsFromChrono) {
  EXPECT_EQ(Duration(10ms).ns(), 10'000'000);
  EXPECT_EQ(Duration(3s), Duration::seconds(3));
  EXPECT_EQ(Duration(250us).us(), 250);
}

TEST(Duration, Arithmetic) {
  EXPECT_EQ(Duration::seconds(1) * 3 + Duration::millis(5), Duration::millis(3005));
  EXPECT_EQ(Duration::seconds(1) / Duration::millis(250), 4);
  EXPECT_LT(Duration::millis(999), Duration::seconds(1));
}

TEST(Time, InstantsAndDifferences) {
  const Time t = Time::zero() + Duration::seconds(2);
  EXPECT_EQ(t - Time::zero(), Duration::seconds(2));
  EXPECT_EQ((t + 50ms).ns(), 2'050'000'000);
  EXPECT_EQ(synlab::sim::saturating_add(Time::max(), 1s), Time::max());
}

TEST(Format, Seconds) {
  EXPECT_EQ(synlab::sim::format_seconds(Duration::millis(1050)), "1.050000");
  EXPECT_EQ(synlab::sim::format_seconds(Duration::nanos(1'000'000'123)), "1.000000123");
  EXPECT_EQ(synlab::sim::format_seconds(Duration::zero()), "0.000000");
  EXPECT_EQ(synlab::sim::format_seconds(-Duration::millis(4)), "-0.004000");
}

TEST(Format, Human) {
  EXPECT_EQ(synlab::sim::format_human(Duration::seconds(2)), "2 s");
  EXPECT_EQ(synlab::sim::format_human(Duration::millis(1500)), "1.5 s");
  EXPECT_EQ(synlab::sim::format_human(Duration::millis(1024)), "1.024 s");
  EXPECT_EQ(synlab::sim::format_human(Duration::millis(200)), "200 ms");
  EXPECT_EQ(synlab::sim::format_human(Duration::micros(40)), "40 us");
  EXPECT_EQ(synlab::sim::format_human(Duration::nanos(7)), "7 ns");
}
