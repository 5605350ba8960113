#include "harness/demo.h"

#include <filesystem>

#include "sim/capture/capture.h"
#include "stack/blocking.h"
#include "stack/world.h"

namespace synlab::harness {

int run_demo(const DemoOptions& opt, std::ostream& out) {
  using namespace std::chrono_literals;
  World world({.seed = opt.seed});
  auto& client = world.add_host("client", {"10.0.0.1/24"});
  auto& server = world.add_host("server", {"10.0.0.2/24"});
  world.connect(client, server, {.delay = 10ms, .loss = opt.loss});

  std::filesystem::create_directories(opt.out_dir);
  const std::string pcapng = opt.out_dir + "/demo.pcapng";
  const std::string pcap = opt.out_dir + "/demo.pcap";
  auto cap_ng = sim::Capture::open(world.sim(), {.format = sim::CaptureFormat::kPcapng, .path = pcapng,
                                                 .comment = "synlab demo: two hosts on a lossy link"});
  auto cap = sim::Capture::open(world.sim(), {.format = sim::CaptureFormat::kPcap, .path = pcap});
  if (!cap_ng || !cap) {
    out << "error: " << (!cap_ng ? cap_ng.error() : cap.error()) << "\n";
    return 2;
  }
  for (auto* h : {&client, &server}) {
    const auto a = *h->primary_address(wire::IpFamily::kV4);
    (*cap_ng)->add_name(a.bytes(), h->name());
  }

  Blocking call(world, sim::Duration::seconds(600));
  const int l = server.socket(stack::kAfInet, stack::kSockStream, 0).value();
  (void)server.bind(l, stack::UserAddr::from(*stack::SockAddr::parse("10.0.0.2:8080")));
  (void)server.listen(l, 16);
  const int fd = client.socket(stack::kAfInet, stack::kSockStream, 0).value();
  auto c = call.connect(client, fd, "10.0.0.2:8080");
  out << "connect: " << (c ? "0" : std::string(stack::name(c.error()))) << " at "
      << sim::format_seconds(world.now()) << " s\n";
  if (!c) return 1;
  auto a = call.accept(server, l);
  if (!a) return 1;
  std::size_t sent = 0, received = 0;
  while (sent < opt.bytes) {
    auto w = call.write(client, fd, std::min<std::size_t>(4096, opt.bytes - sent));
    if (!w) break;
    sent += *w;
  }
  (void)call.close(client, fd);
  for (;;) {
    auto r = call.read(server, a->fd, 65536);
    if (!r || r->data.empty()) break;
    received += r->data.size();
  }
  (void)call.close(server, a->fd);
  world.run_for(70s);  // TIME_WAIT and any retransmissions
  if (auto r = (*cap_ng)->finish(); !r) out << "error: " << r.error() << "\n";
  if (auto r = (*cap)->finish(); !r) out << "error: " << r.error() << "\n";
  const auto& lc = world.sim().link(static_cast<sim::LinkId>(world.sim().link_count() - 1)).counters();
  out << "sent " << sent << " bytes, received " << received << " bytes, by " << sim::format_seconds(world.now())
      << " s of virtual time\n";
  out << "link: " << lc.sent << " frames sent, " << lc.lost << " lost\n";
  out << "retransmissions: client " << client.counters().get(stack::Mib::kTcpRetransSegs) << ", server "
      << server.counters().get(stack::Mib::kTcpRetransSegs) << "\n";
  out << "capture: " << pcapng << ", " << pcap << "\n";
  return received == sent && sent == opt.bytes ? 0 : 1;
}

}  // namespace synlab::harness
