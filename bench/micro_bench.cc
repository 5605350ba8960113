// Micro-benchmarks of the pieces that decide synlab's speed: the event queue, packet emit and
// parse, TCP demultiplexing, and capture writing. `./dev bench` runs them in a release build.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "harness/runner/runner.h"
#include "harness/scenario/parser.h"
#include "sim/capture/pcap_writer.h"
#include "sim/capture/pcapng_writer.h"
#include "sim/event_queue.h"
#include "sim/rng.h"
#include "stack/tcp/demux.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace {

using synlab::sim::Duration;
using synlab::sim::EventQueue;
using synlab::sim::Time;

// Schedule-and-fire with a steady population of pending events (timers re-armed as they fire),
// the shape a simulation has: each fired event schedules one more.
void BM_EventQueueScheduleFire(benchmark::State& state) {
  const auto pending = static_cast<int>(state.range(0));
  EventQueue q;
  synlab::sim::Rng rng(1);
  std::uint64_t fired = 0;
  for (int i = 0; i < pending; ++i) q.schedule_in(Duration::nanos(static_cast<std::int64_t>(rng.below(1'000'000))), [&] { ++fired; });
  for (auto _ : state) {
    q.run_next();
    q.schedule_in(Duration::nanos(static_cast<std::int64_t>(rng.below(1'000'000))), [&] { ++fired; });
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EventQueueScheduleFire)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

// A retransmission timer: armed, then cancelled when the ACK comes (the common case).
void BM_EventQueueScheduleCancel(benchmark::State& state) {
  EventQueue q;
  for (int i = 0; i < 10'000; ++i) q.schedule_in(Duration::seconds(1000 + i), [] {});
  for (auto _ : state) {
    auto id = q.schedule_in(Duration::seconds(1), [] {});
    q.cancel(id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueueScheduleCancel);

struct SynFrame {
  synlab::wire::IpAddr src = *synlab::wire::IpAddr::parse("10.0.0.1");
  synlab::wire::IpAddr dst = *synlab::wire::IpAddr::parse("10.0.0.2");
  synlab::wire::TcpRepr tcp;
  SynFrame() {
    tcp.src_port = 40000;
    tcp.dst_port = 8080;
    tcp.seq = 12345;
    tcp.flags = synlab::wire::tcp_flag::kSyn;
    tcp.window = 64240;
    tcp.options = synlab::wire::linux_syn_options(1460, true, std::make_pair(1u, 0u), 10);
  }
};

// A whole Ethernet + IPv4 + TCP SYN built into a buffer, checksums included.
void BM_WireEmitSyn(benchmark::State& state) {
  SynFrame f;
  std::vector<std::uint8_t> buf(14 + 20 + f.tcp.buffer_len());
  for (auto _ : state) {
    synlab::wire::EthernetRepr{synlab::sim::MacAddr::local(2), synlab::sim::MacAddr::local(1), synlab::wire::kEtherTypeIpv4}
        .emit({buf.data(), 14});
    synlab::wire::Ipv4Repr ip;
    ip.src = f.src;
    ip.dst = f.dst;
    ip.protocol = 6;
    ip.payload_len = static_cast<std::uint16_t>(f.tcp.buffer_len());
    ip.emit({buf.data() + 14, 20});
    f.tcp.emit({buf.data() + 34, f.tcp.buffer_len()}, f.src, f.dst);
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["packets/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WireEmitSyn);

// The same frame parsed back through every layer with checksum verification.
void BM_WireParseSyn(benchmark::State& state) {
  SynFrame f;
  std::vector<std::uint8_t> buf(14 + 20 + f.tcp.buffer_len());
  synlab::wire::Ipv4Repr ip;
  ip.src = f.src;
  ip.dst = f.dst;
  ip.protocol = 6;
  ip.payload_len = static_cast<std::uint16_t>(f.tcp.buffer_len());
  synlab::wire::EthernetRepr{synlab::sim::MacAddr::local(2), synlab::sim::MacAddr::local(1), synlab::wire::kEtherTypeIpv4}
      .emit({buf.data(), 14});
  ip.emit({buf.data() + 14, 20});
  f.tcp.emit({buf.data() + 34, f.tcp.buffer_len()}, f.src, f.dst);
  for (auto _ : state) {
    auto eth = synlab::wire::EthernetRepr::parse(buf);
    auto p = synlab::wire::Ipv4Repr::parse({buf.data() + 14, buf.size() - 14}, synlab::wire::ChecksumCheck::kVerify);
    auto t = synlab::wire::TcpRepr::parse(p->payload, p->repr.src, p->repr.dst, synlab::wire::ChecksumCheck::kVerify);
    benchmark::DoNotOptimize(eth);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["packets/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WireParseSyn);

// Finding a connection by its 4-tuple among N.
void BM_TcpDemuxLookup(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  synlab::stack::TcpTables t;
  std::vector<synlab::stack::FourTuple> keys;
  for (std::uint32_t i = 0; i < n; ++i) {
    synlab::stack::FourTuple k{synlab::wire::IpAddr::v4_from_u32(0x0a000002), synlab::wire::IpAddr::v4_from_u32(0x0a010000 + i / 20000),
                               8080, static_cast<std::uint16_t>(32768 + i % 20000)};
    t.established[k] = {synlab::stack::DemuxEntry::Kind::kSock, i + 1};
    keys.push_back(k);
  }
  synlab::sim::Rng rng(2);
  for (auto _ : state) {
    auto it = t.established.find(keys[rng.below(keys.size())]);
    benchmark::DoNotOptimize(it);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TcpDemuxLookup)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

std::string temp_path(const char* ext) {
  char tmpl[] = "/tmp/synlab_bench_XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd >= 0) ::close(fd);
  return std::string(tmpl) + ext;
}

// 80-byte records (an Ethernet SYN is 74) through libpcap, nanosecond timestamps.
void BM_CapturePcapWrite(benchmark::State& state) {
  const std::string path = temp_path(".pcap");
  synlab::sim::PcapWriter w;
  if (!w.open(path)) {
    state.SkipWithError("cannot open");
    return;
  }
  std::vector<std::uint8_t> frame(80, 0x5a);
  std::int64_t t = 0;
  for (auto _ : state) w.write(Time::from_ns(t += 1000), frame);
  (void)w.close();
  std::remove(path.c_str());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * (80 + 16));
  state.counters["packets/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CapturePcapWrite);

// The same through our pcapng writer, with one comment per packet.
void BM_CapturePcapngWrite(benchmark::State& state) {
  const std::string path = temp_path(".pcapng");
  synlab::sim::PcapngWriter w;
  if (!w.open(path)) {
    state.SkipWithError("cannot open");
    return;
  }
  const auto ifc = w.add_interface({.name = "client/eth0", .description = "bench"});
  std::vector<std::uint8_t> frame(80, 0x5a);
  const std::string comments[] = {"SYN retransmission 2, RTO 2 s"};
  std::int64_t t = 0;
  for (auto _ : state) {
    synlab::sim::PcapngPacket p;
    p.interface = ifc;
    p.at = Time::from_ns(t += 1000);
    p.bytes = frame;
    p.comments = comments;
    w.write_packet(p);
  }
  (void)w.close();
  std::remove(path.c_str());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * (80 + 64));
  state.counters["packets/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CapturePcapngWrite);

}  // namespace

// A whole scenario: connect() into a blackhole with Linux's defaults, 11 SYNs over 131 s of
// virtual time until ETIMEDOUT (scenarios/timeout/blackhole-default.scn), parsed once and run
// with every expectation checked, no capture. Issue 7's target: under a millisecond.
void BM_ScenarioConnectTimeout131s(benchmark::State& state) {
  const std::string path = std::string(SYNLAB_SOURCE_ROOT) + "/scenarios/timeout/blackhole-default.scn";
  auto parsed = synlab::harness::parse_scenario_file(path);
  if (!parsed) {
    state.SkipWithError(("cannot parse " + path).c_str());
    return;
  }
  synlab::harness::RunOptions opt;
  opt.pcap = opt.pcapng = false;
  for (auto _ : state) {
    auto r = synlab::harness::run_scenario(*parsed, opt);
    if (!r.passed) {
      state.SkipWithError("the scenario failed");
      return;
    }
    benchmark::DoNotOptimize(r);
  }
  state.counters["virtual_s_per_wall_s"] =
      benchmark::Counter(131.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScenarioConnectTimeout131s)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
