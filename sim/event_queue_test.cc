#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/rng.h"

using synlab::sim::Duration;
using synlab::sim::EventQueue;
using synlab::sim::Time;
using synlab::sim::TimerId;

namespace {
Time at_ms(int ms) { return Time::zero() + Duration::millis(ms); }
}  // namespace

TEST(EventQueue, FiresInTimeOrder) {
  EventQueue q;
  std::vector<int> order;
  q.schedule(at_ms(30), [&] { order.push_back(30); });
  q.schedule(at_ms(10), [&] { order.push_back(10); });
  q.schedule(at_ms(20), [&] { order.push_back(20); });
  while (q.run_next()) {
  }
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
  EXPECT_EQ(q.now(), at_ms(30));
  EXPECT_EQ(q.events_run(), 3u);
}

TEST(EventQueue, EqualTimesFireInInsertionOrder) {
  EventQueue q;
  std::string s;
  for (char c = 'a'; c <= 'z'; ++c) q.schedule(at_ms(5), [&s, c] { s += c; });
  while (q.run_next()) {
  }
  EXPECT_EQ(s, "abcdefghijklmnopqrstuvwxyz");
}

TEST(EventQueue, CancelPreventsFiringAndStaleIdsAreRejected) {
  EventQueue q;
  int fired = 0;
  TimerId a = q.schedule(at_ms(1), [&] { fired += 1; });
  TimerId b = q.schedule(at_ms(2), [&] { fired += 10; });
  EXPECT_TRUE(q.pending(a));
  EXPECT_TRUE(q.cancel(a));
  EXPECT_FALSE(q.pending(a));
  EXPECT_FALSE(q.cancel(a));  // already cancelled
  // The freed slot is reused, but the old id must not reach the new event.
  TimerId c = q.schedule(at_ms(3), [&] { fired += 100; });
  EXPECT_EQ(c.slot, a.slot);
  EXPECT_FALSE(q.cancel(a));
  EXPECT_TRUE(q.pending(c));
  while (q.run_next()) {
  }
  EXPECT_EQ(fired, 110);
  EXPECT_FALSE(q.pending(b));  // fired
  EXPECT_FALSE(q.cancel(b));
  EXPECT_EQ(q.size(), 0u);
}

TEST(EventQueue, RescheduleMovesAnEventAndOrdersItAsNew) {
  EventQueue q;
  std::string s;
  TimerId a = q.schedule(at_ms(1), [&] { s += 'a'; });
  q.schedule(at_ms(5), [&] { s += 'b'; });
  EXPECT_TRUE(q.reschedule(a, at_ms(5)));  // same instant as b, but rescheduled later
  EXPECT_EQ(q.deadline(a), at_ms(5));
  while (q.run_next()) {
  }
  EXPECT_EQ(s, "ba");
}

TEST(EventQueue, RunUntilStopsAtLimitAndAdvancesClock) {
  EventQueue q;
  int fired = 0;
  q.schedule(at_ms(10), [&] { ++fired; });
  q.schedule(at_ms(20), [&] { ++fired; });
  q.run_until(at_ms(15));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(q.now(), at_ms(15));
  EXPECT_EQ(q.next_time(), at_ms(20));
}

TEST(EventQueue, PastEventsFireNowAndCallbacksMayScheduleMore) {
  EventQueue q;
  std::vector<std::int64_t> times;
  q.schedule(at_ms(10), [&] {
    times.push_back(q.now().ns());
    q.schedule(at_ms(1), [&] { times.push_back(q.now().ns()); });  // in the past
    for (int i = 0; i < 100; ++i) q.schedule_in(Duration::millis(i), [] {});
  });
  while (q.run_next()) {
  }
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(times[0], times[1]);
}

// A randomized check against a simple model: schedule and cancel at random, the fired
// sequence must equal the sorted (time, seq) order of the surviving events.
TEST(EventQueue, MatchesAModelUnderRandomOperations) {
  synlab::sim::Rng rng(42);
  EventQueue q;
  struct Ev { std::int64_t at; int seq; TimerId id; bool live; };
  std::vector<Ev> evs;
  std::vector<int> fired;
  for (int i = 0; i < 2000; ++i) {
    if (!evs.empty() && rng.chance(0.3)) {
      Ev& e = evs[rng.below(evs.size())];
      EXPECT_EQ(q.cancel(e.id), e.live);
      e.live = false;
    } else {
      const auto at = static_cast<std::int64_t>(rng.below(50));
      const int seq = static_cast<int>(evs.size());
      TimerId id = q.schedule(Time::from_ns(at), [&fired, seq] { fired.push_back(seq); });
      evs.push_back({at, seq, id, true});
    }
  }
  std::vector<Ev> live;
  for (const Ev& e : evs) if (e.live) live.push_back(e);
  std::stable_sort(live.begin(), live.end(), [](const Ev& a, const Ev& b) { return a.at < b.at; });
  while (q.run_next()) {
  }
  ASSERT_EQ(fired.size(), live.size());
  for (std::size_t i = 0; i < live.size(); ++i) EXPECT_EQ(fired[i], live[i].seq);
}
