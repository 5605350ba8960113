// libFuzzer target: frames fed through the receive path of live simulated hosts.
//
// Not only the wire parsers: each input is a sequence of frames delivered to a host that has
// state to get wrong (a listener with a queued and an accepted connection, an established
// connection with data in flight, a connection in SYN_SENT, a bound UDP socket, IPv4 and
// IPv6), and the world runs between frames and for ten virtual minutes after the last, so
// every reply, timer and retransmission the frames cause runs too. A malformed frame must be
// a counted drop with a reason; nothing may crash, hang, leak or trip a sanitizer.
//
// Input format (so seeds can be real frames and the fuzzer can still reach deep states):
//   repeated { u8 flags; u16 length (big-endian); length bytes of Ethernet frame }
//   flags bit 0: recompute the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksum
//        bit 1: deliver to the client instead of the server
//        bit 2: set the destination MAC to the receiver's
//        bits 3-5: virtual milliseconds to run before the frame (x 8)
// Seeds: every frame of the golden captures in pcaps/, one per file (tools/fuzz_seeds.py).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "harness/gtest/lab.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ip_address.h"

namespace {

using synlab::wire::IpAddr;

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

// The transport checksum's offset within the segment, or -1.
int checksum_offset(std::uint8_t proto) {
  switch (proto) {
    case 6: return 16;   // TCP
    case 17: return 6;   // UDP
    case 1: return 2;    // ICMP
    case 58: return 2;   // ICMPv6
    default: return -1;
  }
}

void fix_checksums(std::vector<std::uint8_t>& f) {
  if (f.size() < 14) return;
  const std::uint16_t type = get16(&f[12]);
  std::uint8_t* ip = f.data() + 14;
  const std::size_t room = f.size() - 14;
  if (type == 0x0800 && room >= 20) {
    const std::size_t ihl = static_cast<std::size_t>(ip[0] & 15) * 4;
    if (ihl < 20 || ihl > room) return;
    put16(ip + 10, 0);
    put16(ip + 10, synlab::wire::internet_checksum({ip, ihl}));
    const std::size_t total = std::min<std::size_t>(get16(ip + 2), room);
    if (total <= ihl) return;
    const std::uint8_t proto = ip[9];
    const int off = checksum_offset(proto);
    const std::size_t len = total - ihl;
    std::uint8_t* l4 = ip + ihl;
    if (off < 0 || static_cast<std::size_t>(off) + 2 > len) return;
    put16(l4 + off, 0);
    if (proto == 1) {
      put16(l4 + off, synlab::wire::internet_checksum({l4, len}));
    } else {
      const IpAddr src = IpAddr::v4(ip[12], ip[13], ip[14], ip[15]);
      const IpAddr dst = IpAddr::v4(ip[16], ip[17], ip[18], ip[19]);
      std::uint16_t c = synlab::wire::pseudo_header_checksum(src, dst, proto, {l4, len});
      if (proto == 17 && c == 0) c = 0xffff;
      put16(l4 + off, c);
    }
  } else if (type == 0x86dd && room >= 40) {
    const std::uint8_t proto = ip[6];
    const std::size_t len = std::min<std::size_t>(get16(ip + 4), room - 40);
    const int off = checksum_offset(proto);
    std::uint8_t* l4 = ip + 40;
    if (off < 0 || proto == 1 || static_cast<std::size_t>(off) + 2 > len) return;
    std::array<std::uint8_t, 16> s{}, d{};
    std::copy(ip + 8, ip + 24, s.begin());
    std::copy(ip + 24, ip + 40, d.begin());
    put16(l4 + off, 0);
    std::uint16_t c = synlab::wire::pseudo_header_checksum(IpAddr::v6(s), IpAddr::v6(d), proto, {l4, len});
    if (proto == 17 && c == 0) c = 0xffff;
    put16(l4 + off, c);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono_literals;
  synlab::testing::Lab lab;
  auto& client = lab.add_host("client", {"10.0.0.1/24", "fd00::1/64"});
  auto& server = lab.add_host("server", {"10.0.0.2/24", "fd00::2/64"});
  lab.link(client, server, 1ms);
  // The server: a listener with one connection accepted and one waiting, UDP on 53.
  const int lfd = lab.tcp_listen(server, "10.0.0.2:80", 2).value();
  const int l6 = lab.tcp_listen(server, "[fd00::2]:8080", 2).value();
  (void)l6;
  const int c1 = lab.tcp_socket(client).value();
  lab.connect(client, c1, "10.0.0.2:80");
  auto a = lab.accept(server, lfd);
  const int c2 = lab.tcp_socket(client).value();
  lab.connect(client, c2, "10.0.0.2:80");
  const int u = lab.udp_socket(server).value();
  lab.bind(server, u, "10.0.0.2:53");
  // Data in flight both ways, and a connection attempt still in SYN_SENT (to a port that
  // drops nothing but has no answer yet: the fuzzer's frames may answer it).
  lab.send(client, c1, "hello");
  if (a.ok()) lab.send(server, a.value().fd, "world");
  const int c3 = lab.tcp_socket(client, synlab::stack::kAfInet6).value();
  auto pending = lab.connect_async(client, c3, "[fd00::2]:8080");
  (void)pending;

  auto& sim = lab.world().sim();
  std::size_t i = 0;
  int frames = 0;
  while (i + 3 <= size && frames < 64) {
    const std::uint8_t flags = data[i];
    const std::size_t len = get16(data + i + 1);
    i += 3;
    if (len > size - i) break;
    std::vector<std::uint8_t> f(data + i, data + i + len);
    i += len;
    ++frames;
    synlab::stack::Host& to = (flags & 2) ? client : server;
    if ((flags & 4) && f.size() >= 6) {
      const auto* itf = to.interface(2);
      if (itf) std::copy(itf->mac.b.begin(), itf->mac.b.end(), f.begin());
    }
    if (flags & 1) fix_checksums(f);
    lab.world().run_for(synlab::sim::Duration::millis(8 * ((flags >> 3) & 7)));
    to.receive(2, synlab::sim::Packet::copy_of(f), sim.next_frame_id());
  }
  lab.world().run_for(synlab::sim::Duration::seconds(600));
  return 0;
}
