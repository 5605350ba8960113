// synlab-scale: one world, N connections, one JSON line of figures on stdout.
//
//   synlab-scale --n N [--mode accept|refused|synflood] [--capture FILE.pcap|FILE.pcapng]
//
// The workload (the same one bench/ns3/handshakes.cc runs in ns-3, so the two compare):
// a client host and a server host on one point-to-point link (10 Gbit/s, 50 us one way).
// Connection i starts its connect() at virtual time i microseconds.
//   accept    the server listens on 8080 with a backlog of N; every connection is accepted
//             and stays open until the end, so the run holds N established connections
//             (2N endpoints) at once.
//   refused   nothing listens: each SYN is answered by a RST and connect() fails with
//             ECONNREFUSED.
//   synflood  a raw sender (no stack) sends N SYNs from distinct source ports to a listener
//             with listen(fd, 128); the server answers each (SYN cookies once the queue is
//             full) and nobody ever completes a handshake.
// The client binds each socket to an explicit (address, port) (64,512 ports on each of
// ceil(N / 64512) client addresses) so port choice costs nothing and the figures are the
// handshake's own.
//
// Output fields: n, mode, completed (handshakes completed, refusals seen, or SYN-ACKs sent),
// wall_s (the run, not the set-up), handshakes_per_s, events (simulator events run),
// events_per_s, peak_rss_bytes, bytes_per_connection (resident growth over the run / N, both
// endpoints), bytes_per_endpoint (the same / 2N in accept mode), capture_bytes, virtual_s,
// pending_events (timers still armed when the run ends).
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sim/capture/capture.h"
#include "stack/ip/neighbour.h"
#include "stack/socket/constants.h"
#include "stack/world.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace {

using synlab::sim::Duration;
using synlab::stack::Host;
using synlab::stack::SockAddr;
using synlab::stack::UserAddr;
using synlab::wire::IpAddr;

constexpr int kPortsPerAddress = 65535 - 1024 + 1;
constexpr std::uint16_t kServerPort = 8080;

std::int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<std::int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
}

std::int64_t peak_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::int64_t>(ru.ru_maxrss) * 1024;
}

IpAddr client_address(int k) {
  return *IpAddr::parse("10.1." + std::to_string(k / 250) + "." + std::to_string(1 + k % 250));
}

// Raises the knobs that would otherwise cap one listener (somaxconn, SYN backlog) and opens
// the whole port range, as a load test on Linux would.
void tune_for_scale(Host& h) {
  auto& p = h.personality();
  p.somaxconn = 1 << 30;
  p.tcp_max_syn_backlog = 1 << 30;
  p.ip_local_port_range[0] = 1024;
  p.ip_local_port_range[1] = 65535;
}

// Counts what finished; everything below runs from simulator events.
struct Tally {
  std::int64_t completed = 0;
  std::int64_t failed = 0;
  std::int64_t accepted = 0;
};

// A stack-less node that sends raw SYNs: the flood's source. It ignores what it receives.
struct Flooder : synlab::sim::FrameReceiver {
  void receive_frame(synlab::sim::Packet, std::uint64_t) override { ++received; }
  std::int64_t received = 0;
};

synlab::sim::Packet syn_frame(const synlab::sim::MacAddr& src_mac, const synlab::sim::MacAddr& dst_mac,
                              const IpAddr& src, const IpAddr& dst, std::uint16_t sport, std::uint32_t seq) {
  synlab::wire::TcpRepr tcp;
  tcp.src_port = sport;
  tcp.dst_port = kServerPort;
  tcp.seq = seq;
  tcp.flags = synlab::wire::tcp_flag::kSyn;
  tcp.window = 64240;
  tcp.options = synlab::wire::linux_syn_options(1460, true, std::make_pair(1u, 0u), 7);
  synlab::sim::Packet p(14 + 20 + tcp.buffer_len());
  synlab::wire::EthernetRepr{dst_mac, src_mac, synlab::wire::kEtherTypeIpv4}.emit({p.data(), 14});
  synlab::wire::Ipv4Repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.protocol = 6;
  ip.ttl = 64;
  ip.payload_len = static_cast<std::uint16_t>(tcp.buffer_len());
  ip.emit({p.data() + 14, 20});
  tcp.emit({p.data() + 34, tcp.buffer_len()}, src, dst);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"synlab-scale: N connections in one simulated world, figures as JSON"};
  std::int64_t n = 1000;
  std::string mode = "accept";
  std::string capture_path;
  app.add_option("--n", n, "connections")->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
  app.add_option("--mode", mode, "accept | refused | synflood")
      ->check(CLI::IsMember({"accept", "refused", "synflood"}));
  app.add_option("--capture", capture_path, "write every packet to FILE (.pcap or .pcapng)");
  CLI11_PARSE(app, argc, argv);

  synlab::World world({.seed = 1});
  const int addresses = static_cast<int>((n + kPortsPerAddress - 1) / kPortsPerAddress);
  std::vector<std::string> client_addrs;
  for (int k = 0; k < addresses; ++k) client_addrs.push_back(client_address(k).to_string() + "/8");
  auto& client = world.add_host("client", client_addrs);
  auto& server = world.add_host("server", {"10.0.0.1/8"});
  tune_for_scale(client);
  tune_for_scale(server);
  auto& link = world.connect(client, server, {.delay = Duration::micros(50), .rate_bps = 10'000'000'000});
  world.add_static_neighbours();

  std::unique_ptr<synlab::sim::Capture> capture;
  if (!capture_path.empty()) {
    const bool ng = capture_path.ends_with(".pcapng");
    auto c = synlab::sim::Capture::open(world.sim(), {.format = ng ? synlab::sim::CaptureFormat::kPcapng
                                                                   : synlab::sim::CaptureFormat::kPcap,
                                                      .path = capture_path});
    if (!c) {
      std::fprintf(stderr, "synlab-scale: %s\n", c.error().c_str());
      return 2;
    }
    capture = std::move(*c);
  }

  const SockAddr server_addr = SockAddr::v4(*IpAddr::parse("10.0.0.1"), kServerPort);
  Tally tally;
  int lfd = -1;
  if (mode != "refused") {
    lfd = server.socket(synlab::stack::kAfInet, synlab::stack::kSockStream, 0).value();
    (void)server.bind(lfd, UserAddr::from(server_addr));
    const int backlog = mode == "synflood" ? 128 : static_cast<int>(std::min<std::int64_t>(n, 1 << 30));
    (void)server.listen(lfd, backlog);
  }
  // Every accepted fd stays open; accept() is re-armed after each one.
  std::function<void()> accept_next = [&] {
    server.accept(lfd, 0, [&](synlab::stack::SysResult<synlab::stack::AcceptResult> r) {
      if (r) {
        ++tally.accepted;
        accept_next();
      }
    });
  };
  client.max_fds = static_cast<int>(std::min<std::int64_t>(n + 16, 1 << 30));
  server.max_fds = client.max_fds;

  Flooder flooder;
  synlab::sim::PortId flood_port = -1;
  synlab::sim::MacAddr flood_mac = synlab::sim::MacAddr::local(0xf100d);
  if (mode == "synflood") {
    // The flooder shares the server's cable: a third port makes the link a switch.
    flood_port = link.attach(world.sim().add_node("flooder"), "flooder/eth0", flood_mac, &flooder);
    synlab::stack::neigh_add_permanent(server, server.interfaces.back().ifindex, *IpAddr::parse("10.2.0.1"), flood_mac);
  }

  const std::int64_t rss_before = resident_bytes();
  const auto t0 = std::chrono::steady_clock::now();
  if (mode == "accept") accept_next();

  // Starts connection i at i microseconds; each start schedules the next, so the queue never
  // holds N pending starts.
  std::int64_t next = 0;
  const synlab::sim::MacAddr server_mac = server.interfaces.back().mac;
  const IpAddr flood_src = *IpAddr::parse("10.2.0.1");
  std::function<void()> start_one = [&] {
    const std::int64_t i = next++;
    if (mode == "synflood") {
      link.transmit(flood_port, syn_frame(flood_mac, server_mac, flood_src, server_addr.addr,
                                          static_cast<std::uint16_t>(1024 + i % kPortsPerAddress),
                                          static_cast<std::uint32_t>(i * 2654435761u)));
    } else {
      const int fd = client.socket(synlab::stack::kAfInet, synlab::stack::kSockStream | synlab::stack::kSockNonblock, 0).value();
      const auto local = SockAddr::v4(client_address(static_cast<int>(i / kPortsPerAddress)),
                                      static_cast<std::uint16_t>(1024 + i % kPortsPerAddress));
      if (auto b = client.bind(fd, UserAddr::from(local)); !b) {
        std::fprintf(stderr, "synlab-scale: bind %s: %s\n", local.to_string().c_str(),
                     std::string(synlab::stack::name(b.error())).c_str());
        std::exit(1);
      }
      client.connect(fd, UserAddr::from(server_addr), [](synlab::stack::SysResult<void>) {});
    }
    if (next < n) world.sim().queue().schedule_in(Duration::micros(1), [&] { start_one(); });
  };
  start_one();

  // Completion is counted from the stack's own counters, which cost nothing to keep.
  const auto done = [&] {
    if (next < n) return false;
    if (mode == "accept") return tally.accepted >= n;
    if (mode == "refused") return static_cast<std::int64_t>(client.counters().get(synlab::stack::Mib::kTcpAttemptFails)) >= n;
    return flooder.received >= n;
  };
  world.run_until(done, Duration::seconds(3600));
  const auto t1 = std::chrono::steady_clock::now();
  const std::int64_t rss_after = resident_bytes();

  std::int64_t completed = 0;
  if (mode == "accept") completed = tally.accepted;
  if (mode == "refused") completed = static_cast<std::int64_t>(client.counters().get(synlab::stack::Mib::kTcpAttemptFails));
  if (mode == "synflood") completed = flooder.received;

  std::int64_t capture_bytes = 0;
  if (capture) {
    (void)capture->finish();
    std::ifstream f(capture_path, std::ios::binary | std::ios::ate);
    capture_bytes = static_cast<std::int64_t>(f.tellg());
  }
  const double wall = std::chrono::duration<double>(t1 - t0).count();
  const auto events = world.sim().queue().events_run();
  const double growth = static_cast<double>(rss_after - rss_before);
  nlohmann::json out = {
      {"n", n},
      {"mode", mode},
      {"completed", completed},
      {"wall_s", wall},
      {"handshakes_per_s", static_cast<double>(completed) / wall},
      {"events", events},
      {"events_per_s", static_cast<double>(events) / wall},
      {"peak_rss_bytes", peak_rss_bytes()},
      {"bytes_per_connection", growth / static_cast<double>(n)},
      {"bytes_per_endpoint", mode == "accept" ? growth / static_cast<double>(2 * n) : growth / static_cast<double>(n)},
      {"capture_bytes", capture_bytes},
      {"virtual_s", world.now().since_start().seconds_f()},
      {"pending_events", world.sim().queue().size()},
  };
  std::printf("%s\n", out.dump().c_str());
  return completed == n ? 0 : 1;
}
