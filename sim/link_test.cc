#include "sim/link.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <vector>

#include "sim/simulator.h"

using namespace std::chrono_literals;
using synlab::sim::Duration;
using synlab::sim::FaultRule;
using synlab::sim::Link;
using synlab::sim::LinkConfig;
using synlab::sim::MacAddr;
using synlab::sim::Packet;
using synlab::sim::Simulator;
using synlab::sim::Time;
using synlab::sim::TraceKind;
using synlab::sim::TraceRecorder;

namespace {

struct Sink : synlab::sim::FrameReceiver {
  explicit Sink(Simulator& s) : sim(s) {}
  struct Got { Time at; std::vector<std::uint8_t> bytes; std::uint64_t id; };
  void receive_frame(Packet f, std::uint64_t id) override {
    got.push_back({sim.now(), {f.data(), f.data() + f.size()}, id});
  }
  Simulator& sim;
  std::vector<Got> got;
};

// A frame addressed to `dst`, 100 bytes long, tagged with `tag` in its last byte.
Packet frame_to(MacAddr dst, std::uint8_t tag, std::size_t len = 100) {
  Packet p(len);
  for (std::size_t i = 0; i < len; ++i) p[i] = 0;
  std::copy(dst.b.begin(), dst.b.end(), p.data());
  p[len - 1] = tag;
  return p;
}

struct Pair {
  explicit Pair(LinkConfig cfg, std::uint64_t seed = 1) : sim(seed), a(sim), b(sim) {
    link = &sim.add_link("wire", cfg);
    pa = link->attach(sim.add_node("a"), "a/eth0", MacAddr::local(1), &a);
    pb = link->attach(sim.add_node("b"), "b/eth0", MacAddr::local(2), &b);
  }
  Simulator sim;
  Sink a, b;
  Link* link;
  synlab::sim::PortId pa, pb;
};

}  // namespace

TEST(Link, DeliversAfterPropagationDelay) {
  Pair p({.delay = 50ms});
  p.link->transmit(p.pa, frame_to(MacAddr::local(2), 1));
  p.sim.run_for(1s);
  ASSERT_EQ(p.b.got.size(), 1u);
  EXPECT_EQ(p.b.got[0].at, Time::zero() + 50ms);
  EXPECT_TRUE(p.a.got.empty());
  EXPECT_EQ(p.link->counters().delivered, 1u);
}

TEST(Link, SerialisesAtTheConfiguredRate) {
  // 100-byte frames at 8 Mbit/s take 100 us each to serialise.
  Pair p({.delay = 1ms, .rate_bps = 8'000'000});
  for (std::uint8_t i = 0; i < 3; ++i) p.link->transmit(p.pa, frame_to(MacAddr::local(2), i));
  p.sim.run_for(1s);
  ASSERT_EQ(p.b.got.size(), 3u);
  EXPECT_EQ(p.b.got[0].at, Time::zero() + 1100us);
  EXPECT_EQ(p.b.got[1].at, Time::zero() + 1200us);
  EXPECT_EQ(p.b.got[2].at, Time::zero() + 1300us);
}

TEST(Link, LossIsSeededAndNearItsRate) {
  auto run = [](std::uint64_t seed) {
    Pair p({.loss = 0.3}, seed);
    std::vector<std::uint8_t> tags;
    for (int i = 0; i < 1000; ++i) p.link->transmit(p.pa, frame_to(MacAddr::local(2), std::uint8_t(i)));
    p.sim.run_for(1s);
    for (auto& g : p.b.got) tags.push_back(g.bytes.back());
    EXPECT_EQ(p.link->counters().lost + p.b.got.size(), 1000u);
    return tags;
  };
  const auto first = run(5);
  EXPECT_EQ(first, run(5));  // same seed, same losses
  EXPECT_NE(first, run(6));
  EXPECT_NEAR(static_cast<double>(first.size()), 700.0, 60.0);
}

TEST(Link, TurningOnOneFaultDoesNotChangeAnothersDraws) {
  auto delivered = [](LinkConfig cfg) {
    Pair p(cfg, 9);
    for (int i = 0; i < 500; ++i) p.link->transmit(p.pa, frame_to(MacAddr::local(2), std::uint8_t(i)));
    p.sim.run_for(10s);
    std::vector<std::uint8_t> tags;
    for (auto& g : p.b.got) tags.push_back(g.bytes.back());
    return tags;
  };
  // Corruption only flips bits; the set of frames lost must not move.
  auto without = delivered({.loss = 0.2});
  auto with = delivered({.loss = 0.2, .corrupt = 0.5});
  EXPECT_EQ(without.size(), with.size());
}

TEST(Link, CorruptionFlipsExactlyOneBit) {
  Pair p({.corrupt = 1.0});
  Packet f = frame_to(MacAddr::local(2), 7);
  std::vector<std::uint8_t> orig(f.data(), f.data() + f.size());
  p.link->transmit(p.pa, std::move(f));
  p.sim.run_for(1s);
  ASSERT_EQ(p.b.got.size(), 1u);
  int flipped = 0;
  for (std::size_t i = 0; i < orig.size(); ++i) flipped += std::popcount(unsigned(orig[i] ^ p.b.got[0].bytes[i]));
  EXPECT_EQ(flipped, 1);
  EXPECT_EQ(p.link->counters().corrupted, 1u);
}

TEST(Link, DuplicationDeliversTwoCopies) {
  Pair p({.delay = 1ms, .duplicate = 1.0});
  p.link->transmit(p.pa, frame_to(MacAddr::local(2), 3));
  p.sim.run_for(1s);
  ASSERT_EQ(p.b.got.size(), 2u);
  EXPECT_EQ(p.b.got[0].bytes, p.b.got[1].bytes);
  EXPECT_NE(p.b.got[0].id, p.b.got[1].id);
}

TEST(Link, JitterNeverReordersButReorderDoes) {
  Pair p({.delay = 10ms, .jitter = 9ms});
  for (int i = 0; i < 200; ++i) {
    p.link->transmit(p.pa, frame_to(MacAddr::local(2), std::uint8_t(i)));
    p.sim.run_for(100us);
  }
  p.sim.run_for(1s);
  ASSERT_EQ(p.b.got.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(p.b.got[i].bytes.back(), std::uint8_t(i));

  Pair r({.delay = 1ms, .reorder = 1.0, .reorder_delay = 5ms});
  r.link->set_config({.delay = 1ms});
  r.link->transmit(r.pa, frame_to(MacAddr::local(2), 1));
  r.link->set_config({.delay = 1ms, .reorder = 1.0, .reorder_delay = 5ms});
  r.link->transmit(r.pa, frame_to(MacAddr::local(2), 2));
  r.link->set_config({.delay = 1ms});
  r.link->transmit(r.pa, frame_to(MacAddr::local(2), 3));
  r.sim.run_for(1s);
  ASSERT_EQ(r.b.got.size(), 3u);
  EXPECT_EQ(r.b.got[0].bytes.back(), 1);
  EXPECT_EQ(r.b.got[1].bytes.back(), 3);
  EXPECT_EQ(r.b.got[2].bytes.back(), 2);
}

TEST(Link, DownLinkAndPartitionsDropWithReasons) {
  Pair p({.delay = 10ms});
  TraceRecorder rec;
  p.sim.add_observer(&rec);
  p.link->set_up(false);
  p.link->transmit(p.pa, frame_to(MacAddr::local(2), 1));
  p.link->set_up(true);
  p.link->transmit(p.pa, frame_to(MacAddr::local(2), 2));
  p.sim.run_for(5ms);
  p.link->set_up(false);  // frame 2 is in flight and is lost with the link
  p.sim.run_for(10ms);
  p.link->set_up(true);
  p.link->partition({{p.pa}});
  p.link->transmit(p.pa, frame_to(MacAddr::local(2), 3));
  p.link->heal();
  p.link->transmit(p.pa, frame_to(MacAddr::local(2), 4));
  p.sim.run_for(1s);
  ASSERT_EQ(p.b.got.size(), 1u);
  EXPECT_EQ(p.b.got[0].bytes.back(), 4);
  std::vector<std::string> drops;
  for (auto& e : rec.events()) if (e.kind == TraceKind::kFrameDropped) drops.push_back(e.text);
  EXPECT_THAT(drops, testing::ElementsAre("link down", "link down", "partitioned"));
}

TEST(Link, FaultRulesDropTheNextMatchingFrames) {
  Pair p({});
  p.link->add_fault(FaultRule{[](std::span<const std::uint8_t> f) { return f.back() % 2 == 0; }, 2, -1,
                              "drop the next 2 even frames"});
  for (std::uint8_t i = 0; i < 6; ++i) p.link->transmit(p.pa, frame_to(MacAddr::local(2), i));
  p.sim.run_for(1s);
  std::vector<int> tags;
  for (auto& g : p.b.got) tags.push_back(g.bytes.back());
  EXPECT_THAT(tags, testing::ElementsAre(1, 3, 4, 5));
  EXPECT_EQ(p.link->pending_faults(), 0u);
}

TEST(Link, SwitchForwardsByMacAndFloodsBroadcast) {
  Simulator sim(1);
  Sink s1(sim), s2(sim), s3(sim);
  Link& sw = sim.add_link("lan", {.delay = 1ms});
  auto p1 = sw.attach(sim.add_node("h1"), "h1/eth0", MacAddr::local(1), &s1);
  sw.attach(sim.add_node("h2"), "h2/eth0", MacAddr::local(2), &s2);
  sw.attach(sim.add_node("h3"), "h3/eth0", MacAddr::local(3), &s3);
  sw.transmit(p1, frame_to(MacAddr::local(3), 1));
  sw.transmit(p1, frame_to(MacAddr::broadcast(), 2));
  sim.run_for(1s);
  EXPECT_TRUE(s1.got.empty());
  ASSERT_EQ(s2.got.size(), 1u);
  EXPECT_EQ(s2.got[0].bytes.back(), 2);
  ASSERT_EQ(s3.got.size(), 2u);
  EXPECT_EQ(s3.got[0].bytes.back(), 1);
}

TEST(Link, TraceRecordsSendArrivalAndDone) {
  Pair p({.delay = 2ms});
  TraceRecorder rec;
  p.sim.add_observer(&rec);
  p.link->transmit(p.pa, frame_to(MacAddr::local(2), 1), "because");
  p.sim.run_for(1s);
  std::vector<TraceKind> kinds;
  for (auto& e : rec.events()) kinds.push_back(e.kind);
  EXPECT_THAT(kinds, testing::ElementsAre(TraceKind::kFrameSent, TraceKind::kFrameNote,
                                          TraceKind::kFrameArrived, TraceKind::kFrameDone));
  EXPECT_EQ(rec.events()[1].text, "because");
  ASSERT_EQ(rec.frames().size(), 1u);
  EXPECT_EQ(rec.frames()[0].bytes.size(), 100u);
}
