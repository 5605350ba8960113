// The Capture observer, driven through a real Simulator and Link: records in send order,
// each commented with why it was sent and what became of it, byte-identical run to run.
#include "sim/capture/capture.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "sim/capture/capture_reader.h"
#include "sim/capture/test_frames.h"
#include "sim/simulator.h"

using namespace std::chrono_literals;
using synlab::sim::Capture;
using synlab::sim::capture_files_in;
using synlab::sim::CaptureFile;
using synlab::sim::CaptureFileFormat;
using synlab::sim::CaptureFormat;
using synlab::sim::CaptureOptions;
using synlab::sim::FrameReceiver;
using synlab::sim::Link;
using synlab::sim::LinkConfig;
using synlab::sim::MacAddr;
using synlab::sim::NodeId;
using synlab::sim::NoteKind;
using synlab::sim::Packet;
using synlab::sim::PacketDirection;
using synlab::sim::PortId;
using synlab::sim::read_capture_file;
using synlab::sim::Simulator;
using synlab::sim::Time;
using synlab::sim::TraceEvent;
using synlab::sim::TraceKind;
using synlab::sim::TraceRecorder;
using synlab::sim::testing::arp_frame;
using synlab::sim::testing::arp_who_has;
using synlab::sim::testing::kArpReply;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + name + "_" + std::to_string(::getpid());
}

Bytes slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

CaptureFile read(const std::string& path) {
  auto r = read_capture_file(path);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : CaptureFile{};
}

// A client that asks "who has 10.0.0.<target>?" and a server that answers for even targets
// and drops the rest, saying why (as the stack will, through a NoteKind::kDrop note).
struct World {
  struct Client : FrameReceiver {
    void receive_frame(Packet, std::uint64_t) override {}
  };
  struct Server : FrameReceiver {
    explicit Server(World& w) : world(w) {}
    void receive_frame(Packet f, std::uint64_t id) override {
      const std::uint8_t target = f[41];
      if (target % 2 == 1) {
        TraceEvent ev;
        ev.at = world.sim.now();
        ev.kind = TraceKind::kFrameNote;
        ev.note = NoteKind::kDrop;
        ev.node = world.server_node;
        ev.frame = id;
        ev.text = "not my address (10.0.0." + std::to_string(target) + ")";
        world.sim.emit(ev);
        return;
      }
      // Answer at once: a frame sent before the request it answers is done.
      world.lan->transmit(world.server_port,
                          arp_frame(MacAddr::local(2), MacAddr::local(1), kArpReply,
                                    {10, 0, 0, target}, {10, 0, 0, 1}, MacAddr::local(1)),
                          "ARP reply for 10.0.0." + std::to_string(target));
    }
    World& world;
  };

  explicit World(LinkConfig cfg, std::uint64_t seed = 7) : sim(seed), server(*this) {
    client_node = sim.add_node("client");
    server_node = sim.add_node("server");
    lan = &sim.add_link("lan", cfg);
    client_port = lan->attach(client_node, "client/eth0", MacAddr::local(1), &client);
    server_port = lan->attach(server_node, "server/eth0", MacAddr::local(2), &server);
  }

  // `n` requests, one every millisecond, for targets 2, 3, 4, ...
  void ask(int n) {
    for (int k = 0; k < n; ++k) {
      sim.queue().schedule(Time::zero() + 1ms * k, [this, k] {
        const auto target = static_cast<std::uint8_t>(k + 2);
        lan->transmit(client_port, arp_who_has(MacAddr::local(1), 1, target),
                      "ARP request " + std::to_string(k + 1));
      });
    }
  }

  Simulator sim;
  Client client;
  Server server;
  Link* lan = nullptr;
  NodeId client_node = -1, server_node = -1;
  PortId client_port = -1, server_port = -1;
};

// Runs `n` requests over `cfg` into `path`, returns the trace.
TraceRecorder run(const std::string& path, LinkConfig cfg, int n,
                  CaptureFormat format = CaptureFormat::kPcapng, bool record_dropped = true) {
  World w(cfg);
  TraceRecorder trace;
  w.sim.add_observer(&trace);
  auto cap = Capture::open(
      w.sim,
      {.format = format, .path = path, .record_dropped = record_dropped, .comment = "test run"});
  EXPECT_TRUE(cap.ok()) << (cap.ok() ? "" : cap.error());
  w.ask(n);
  w.sim.run_for(1s);
  EXPECT_TRUE((*cap)->finish().ok());
  return trace;
}

std::set<std::uint64_t> frames_with(const TraceRecorder& t, TraceKind kind) {
  std::set<std::uint64_t> ids;
  for (const TraceEvent& ev : t.events()) {
    if (ev.kind == kind) ids.insert(ev.frame);
  }
  return ids;
}

}  // namespace

TEST(Capture, RecordsEveryFrameInSendOrderWithWhyAndWhatBecameOfIt) {
  const std::string path = temp_path("fates.pcapng");
  const TraceRecorder trace = run(path, {.delay = 2ms, .loss = 0.3}, 40);
  const CaptureFile f = read(path);

  // One record per frame sent, in the order and at the instants they were sent.
  ASSERT_EQ(f.records.size(), trace.frames().size());
  const std::set<std::uint64_t> lost = frames_with(trace, TraceKind::kFrameDropped);
  ASSERT_GT(lost.size(), 3u);  // seed 7 at 30%: some of each kind
  int drops_by_server = 0;
  for (std::size_t i = 0; i < f.records.size(); ++i) {
    const auto& r = f.records[i];
    const auto& sent = trace.frames()[i];
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    EXPECT_EQ(r.packet_id, sent.id);
    EXPECT_EQ(r.timestamp_ns, sent.at.ns());
    EXPECT_EQ(r.bytes, sent.bytes);
    EXPECT_EQ(r.direction, PacketDirection::kOutbound);
    const bool from_client = sent.port == 0;
    EXPECT_EQ(f.interfaces.at(r.interface).name, from_client ? "client/eth0" : "server/eth0");
    ASSERT_FALSE(r.comments.empty());
    EXPECT_TRUE(r.comments[0].starts_with(from_client ? "ARP request " : "ARP reply for "))
        << r.comments[0];
    const std::uint8_t target = sent.bytes[41];
    if (lost.contains(sent.id)) {
      EXPECT_EQ(r.comments,
                (std::vector<std::string>{r.comments[0], "lost on link: loss rate 30% on lan"}));
    } else if (from_client && target % 2 == 1) {
      ++drops_by_server;
      EXPECT_EQ(r.comments, (std::vector<std::string>{r.comments[0],
                                                      "dropped by server: not my address "
                                                      "(10.0.0." +
                                                          std::to_string(target) + ")"}));
    } else {
      EXPECT_EQ(r.comments.size(), 1u);
    }
  }
  EXPECT_GT(drops_by_server, 3);
  EXPECT_EQ(f.section_comments, std::vector<std::string>{"test run"});
  EXPECT_TRUE(f.application.starts_with("synlab "));
  ASSERT_EQ(f.interfaces.size(), 2u);
  EXPECT_EQ(f.interfaces[0].description, "client/eth0 on link lan");
  std::remove(path.c_str());
}

TEST(Capture, TwoIdenticalRunsGiveByteIdenticalFiles) {
  for (CaptureFormat format : {CaptureFormat::kPcapng, CaptureFormat::kPcap}) {
    const std::string a = temp_path("det_a"), b = temp_path("det_b");
    const LinkConfig cfg{.delay = 1ms,
                         .jitter = 500us,
                         .loss = 0.2,
                         .duplicate = 0.1,
                         .reorder = 0.2,
                         .corrupt = 0.1};
    (void)run(a, cfg, 50, format);
    (void)run(b, cfg, 50, format);
    const Bytes ba = slurp(a);
    EXPECT_GT(ba.size(), 1000u);
    EXPECT_EQ(ba, slurp(b));
    std::remove(a.c_str());
    std::remove(b.c_str());
  }
}

TEST(Capture, KeepsSendOrderWhenFramesFinishOutOfOrder) {
  const std::string path = temp_path("reorder.pcapng");
  const TraceRecorder trace = run(path, {.delay = 1ms, .reorder = 0.5, .reorder_delay = 5ms}, 30);
  const CaptureFile f = read(path);
  ASSERT_EQ(f.records.size(), trace.frames().size());
  int reordered = 0;
  for (std::size_t i = 0; i < f.records.size(); ++i) {
    EXPECT_EQ(f.records[i].packet_id, trace.frames()[i].id);
    if (i > 0) {
      EXPECT_GE(f.records[i].timestamp_ns, f.records[i - 1].timestamp_ns);
    }
    for (const auto& c : f.records[i].comments) {
      if (c == "reordered on link: held back 5 ms so later frames overtake it") ++reordered;
    }
  }
  EXPECT_GT(reordered, 5);
  std::remove(path.c_str());
}

TEST(Capture, ADuplicateIsItsOwnRecordNamingTheOriginal) {
  const std::string path = temp_path("dup.pcapng");
  (void)run(path, {.delay = 1ms, .duplicate = 1.0}, 3);
  const CaptureFile f = read(path);
  // Request, its duplicate, and a reply to each copy that reached the server... for target 2
  // only (3 is odd and dropped, 4 even): check the pattern by comments.
  int duplicates = 0;
  for (std::size_t i = 0; i < f.records.size(); ++i) {
    const auto& r = f.records[i];
    if (!r.comments.empty() && r.comments[0].starts_with("duplicate of frame ")) {
      ++duplicates;
      const std::size_t n = std::stoul(r.comments[0].substr(19));
      ASSERT_GE(n, 1u);
      ASSERT_LT(n, i + 1);
      const auto& original = f.records[n - 1];
      EXPECT_EQ(original.bytes, r.bytes);
      EXPECT_EQ(original.timestamp_ns, r.timestamp_ns);
      EXPECT_NE(std::find(original.comments.begin(), original.comments.end(),
                          "duplicated on link: a copy follows as its own frame"),
                original.comments.end());
    }
  }
  // Every frame is duplicated: half the records are copies.
  EXPECT_EQ(duplicates * 2, static_cast<int>(f.records.size()));
  std::remove(path.c_str());
}

TEST(Capture, LeavesOutFramesDroppedInFlightWhenAskedTo) {
  const std::string path = temp_path("nodrop.pcapng");
  World w({.delay = 1ms, .loss = 0.5});
  TraceRecorder trace;
  w.sim.add_observer(&trace);
  auto cap = Capture::open(w.sim, {.path = path, .record_dropped = false});
  ASSERT_TRUE(cap.ok());
  w.ask(30);
  w.sim.run_for(1s);
  ASSERT_TRUE((*cap)->finish().ok());
  const std::set<std::uint64_t> lost = frames_with(trace, TraceKind::kFrameDropped);
  ASSERT_GT(lost.size(), 5u);
  const CaptureFile f = read(path);
  EXPECT_EQ(f.records.size(), trace.frames().size() - lost.size());
  EXPECT_EQ((*cap)->stats().not_recorded, lost.size());
  for (const auto& r : f.records) EXPECT_FALSE(lost.contains(r.packet_id));
  std::remove(path.c_str());
}

TEST(Capture, FinishWritesFramesStillInFlightAndTheFileIsValid) {
  const std::string path = temp_path("inflight.pcapng");
  World w({.delay = 10ms});
  auto cap = Capture::open(w.sim, {.path = path});
  ASSERT_TRUE(cap.ok());
  w.ask(3);
  w.sim.run_for(5ms);  // all three sent, none arrived
  EXPECT_EQ((*cap)->pending(), 3u);
  ASSERT_TRUE((*cap)->finish().ok());
  EXPECT_TRUE((*cap)->finish().ok());  // idempotent
  w.sim.run_for(1s);                   // later events are ignored
  const CaptureFile f = read(path);
  ASSERT_EQ(f.records.size(), 3u);
  for (const auto& r : f.records) {
    EXPECT_EQ(r.comments.back(), "still in flight when the capture ended");
  }
  std::remove(path.c_str());
}

TEST(Capture, TheDestructorFinishesTheFile) {
  const std::string path = temp_path("dtor.pcap");
  {
    World w({.delay = 1ms});
    auto cap = Capture::open(w.sim, {.format = CaptureFormat::kPcap, .path = path});
    ASSERT_TRUE(cap.ok());
    w.ask(2);
    w.sim.run_for(1s);
  }
  const CaptureFile f = read(path);
  EXPECT_EQ(f.format, CaptureFileFormat::kNsecPcap);
  EXPECT_EQ(f.records.size(), 3u);  // two requests, one reply (target 3 is dropped)
  std::remove(path.c_str());
}

TEST(Capture, PcapHoldsTheSameFramesWithoutComments) {
  const std::string ng = temp_path("same.pcapng"), pc = temp_path("same.pcap");
  const LinkConfig cfg{.delay = 1ms, .loss = 0.2};
  (void)run(ng, cfg, 20, CaptureFormat::kPcapng);
  (void)run(pc, cfg, 20, CaptureFormat::kPcap);
  const CaptureFile a = read(ng), b = read(pc);
  ASSERT_EQ(a.records.size(), b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    EXPECT_EQ(a.records[i].bytes, b.records[i].bytes);
    EXPECT_EQ(a.records[i].timestamp_ns, b.records[i].timestamp_ns);
    EXPECT_TRUE(b.records[i].comments.empty());
  }
  std::remove(ng.c_str());
  std::remove(pc.c_str());
}

TEST(Capture, WritesOneFilePerLinkIncludingQuietOnes) {
  const std::string dir = temp_path("per_link");
  ::mkdir(dir.c_str(), 0755);
  World w({.delay = 1ms});
  Link& wan = w.sim.add_link("wan/1", {.delay = 1ms});
  struct Null : FrameReceiver {
    void receive_frame(Packet, std::uint64_t) override {}
  } sink;
  const PortId a = wan.attach(w.client_node, "client/eth1", MacAddr::local(3), &sink);
  wan.attach(w.server_node, "server/eth1", MacAddr::local(4), &sink);
  auto cap = Capture::open(w.sim, {.path_for_link = capture_files_in(dir, CaptureFormat::kPcapng)});
  ASSERT_TRUE(cap.ok()) << cap.error();
  w.sim.add_link("idle", {});  // added after open: still gets a file at finish
  w.ask(2);
  w.sim.queue().schedule(Time::zero() + 5ms, [&] {
    wan.transmit(a, arp_who_has(MacAddr::local(3), 1, 9), "over the wan");
  });
  w.sim.run_for(1s);
  ASSERT_TRUE((*cap)->finish().ok());

  const CaptureFile lan = read(dir + "/lan.pcapng");
  EXPECT_EQ(lan.records.size(), 3u);
  const CaptureFile wan_file = read(dir + "/wan_1.pcapng");
  ASSERT_EQ(wan_file.records.size(), 1u);
  EXPECT_EQ(wan_file.records[0].comments, std::vector<std::string>{"over the wan"});
  ASSERT_EQ(wan_file.interfaces.size(), 1u);
  EXPECT_EQ(wan_file.interfaces[0].name, "client/eth1");
  EXPECT_EQ(wan_file.interfaces[0].description, "client/eth1 on link wan/1");
  const CaptureFile idle = read(dir + "/idle.pcapng");
  EXPECT_EQ(idle.format, CaptureFileFormat::kPcapng);
  EXPECT_TRUE(idle.records.empty());
  for (const char* n : {"lan", "wan_1", "idle"}) std::remove((dir + "/" + n + ".pcapng").c_str());
  ::rmdir(dir.c_str());
}

TEST(Capture, NamesAddressesInTheNameResolutionBlock) {
  const std::string path = temp_path("names.pcapng");
  World w({.delay = 1ms});
  auto cap = Capture::open(w.sim, {.path = path});
  ASSERT_TRUE(cap.ok());
  const std::uint8_t client[] = {10, 0, 0, 1};
  std::uint8_t v6[16] = {0xfe, 0x80};
  v6[15] = 2;
  EXPECT_TRUE((*cap)->add_name(client, "client"));
  EXPECT_TRUE((*cap)->add_name(client, "client"));  // repeated: written once
  EXPECT_TRUE((*cap)->add_name(v6, "server"));
  EXPECT_FALSE((*cap)->add_name(std::span(client, 3), "bad"));
  w.ask(1);
  w.sim.run_for(1s);
  const std::uint8_t late[] = {10, 0, 0, 9};
  EXPECT_TRUE((*cap)->add_name(late, "late"));  // after the last record: written at finish
  ASSERT_TRUE((*cap)->finish().ok());
  const CaptureFile f = read(path);
  ASSERT_EQ(f.names.size(), 3u);
  EXPECT_EQ(f.names[0].name, "client");
  EXPECT_EQ(f.names[1].name, "server");
  EXPECT_EQ(f.names[1].address_size, 16);
  EXPECT_EQ(f.names[2].name, "late");
  std::remove(path.c_str());
}

TEST(Capture, NotesCorruptionAndALinkThatIsDown) {
  const std::string path = temp_path("faults.pcapng");
  World w({.delay = 1ms, .corrupt = 1.0});
  auto cap = Capture::open(w.sim, {.path = path});
  ASSERT_TRUE(cap.ok());
  w.ask(1);
  w.sim.run_for(10ms);
  w.lan->set_up(false);
  w.lan->transmit(w.client_port, arp_who_has(MacAddr::local(1), 1, 4));
  w.sim.run_for(10ms);
  ASSERT_TRUE((*cap)->finish().ok());
  const CaptureFile f = read(path);
  ASSERT_GE(f.records.size(), 2u);
  ASSERT_EQ(f.records[0].comments.size(), 2u);
  EXPECT_TRUE(f.records[0].comments[1].starts_with("corrupted on link: bit "));
  EXPECT_TRUE(f.records[0].comments[1].ends_with(" flipped (captured as sent)"));
  // No cause given: the only comment is the fate.
  EXPECT_EQ(f.records.back().comments, std::vector<std::string>{"link down: link lan is down"});
  std::remove(path.c_str());
}

TEST(Capture, WritesTheOldestEarlyWhenTooManyWait) {
  const std::string path = temp_path("bounded.pcapng");
  World w({.delay = 10ms});
  auto cap = Capture::open(w.sim, {.path = path, .max_pending = 2});
  ASSERT_TRUE(cap.ok());
  w.ask(4);
  w.sim.run_for(1s);
  ASSERT_TRUE((*cap)->finish().ok());
  // Requests 3 and 4 (at 2 and 3 ms) push out requests 1 and 2; the replies to requests 1
  // and 3 (at 10 and 12 ms) push out requests 3 and 4. The replies then finish normally.
  EXPECT_EQ((*cap)->stats().forced, 4u);
  const CaptureFile f = read(path);
  ASSERT_EQ(f.records.size(), 6u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(f.records[i].comments.back(),
              "written before its fate was known: too many frames were waiting");
  }
  EXPECT_EQ(f.records[5].comments.size(), 1u);
  // Still in send order.
  for (std::size_t i = 1; i < f.records.size(); ++i) {
    EXPECT_GT(f.records[i].packet_id, f.records[i - 1].packet_id);
  }
  std::remove(path.c_str());
}

TEST(Capture, ReportsFilesItCannotCreate) {
  World w({});
  auto one = Capture::open(w.sim, {.path = "/nonexistent-dir/x.pcapng"});
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error(), "cannot create /nonexistent-dir/x.pcapng: No such file or directory");
  auto per_link = Capture::open(
      w.sim, {.path_for_link = capture_files_in("/nonexistent-dir", CaptureFormat::kPcap)});
  ASSERT_FALSE(per_link.ok());
  EXPECT_EQ(per_link.error(), "cannot create /nonexistent-dir/lan.pcap: No such file or directory");
  auto neither = Capture::open(w.sim, {});
  ASSERT_FALSE(neither.ok());
  EXPECT_FALSE(w.sim.observed());  // nothing stayed attached
}

// A classic pcap has no comments, so it asks for frames but not for text: senders skip
// formatting causes (Simulator::wants_text) while the frames still flow. A pcapng asks for
// both, and removing it takes its request away again.
TEST(Capture, OnlyAPcapngCaptureAsksForText) {
  World w({});
  const std::string pc = temp_path("text.pcap"), ng = temp_path("text.pcapng");
  {
    auto pcap = Capture::open(w.sim, {.format = CaptureFormat::kPcap, .path = pc});
    ASSERT_TRUE(pcap.ok());
    EXPECT_TRUE(w.sim.observed());
    EXPECT_FALSE(w.sim.wants_text());
    {
      auto pcapng = Capture::open(w.sim, {.format = CaptureFormat::kPcapng, .path = ng});
      ASSERT_TRUE(pcapng.ok());
      EXPECT_TRUE(w.sim.wants_text());
    }
    EXPECT_FALSE(w.sim.wants_text());
    EXPECT_TRUE(w.sim.observed());
  }
  EXPECT_FALSE(w.sim.observed());
  std::remove(pc.c_str());
  std::remove(ng.c_str());
}
