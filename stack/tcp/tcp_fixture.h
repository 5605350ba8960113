// A scripted TCP peer for unit tests (test-only header): one simulated host, and at the other
// end of its link the test itself, which builds segments with stack/wire and reads back what
// the host sent. The peer is not a second stack, so every segment is exactly the one written.
//
//   const int fd = connect_nb();                                 // the host sends its SYN
//   expect_sent({"S 0:0(0) win 64240 <mss 1460,...>"});
//   inject({.flags = "S.", .seq = 0, .ack = 1, .opts = mss(1460)});
//   expect_sent({". 1:1(0) ack 1 win 64240"});                   // these, then nothing
//
// Sequence numbers are relative, as in packetdrill scripts: the host's `seq` counts from its
// ISN (`local_isn`) and its `ack` from the peer's (`remote_isn`); injected segments the other
// way round. Both bases are 0 until a helper or test sets them, so replies to segments for no
// connection read as absolute numbers. Printing is packetdrill syntax (packetdrill_format.h).
//
// Topology: host 10.0.0.1/24 on eth0 (ifindex 2), peer 10.0.0.2 at MAC 02:00:00:00:ee:02, a link
// with no delay. The peer answers ARP by itself and knows nothing else.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "sim/trace.h"
#include "stack/blocking.h"
#include "stack/ip/neighbour.h"
#include "stack/socket/constants.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/arp.h"
#include "stack/wire/describe.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/packetdrill_format.h"
#include "stack/wire/tcp.h"
#include "stack/world.h"

namespace synlab::stack::test {

// One segment from the scripted peer. `seq` is relative to remote_isn, `ack` to local_isn.
struct Seg {
  std::string_view flags;  // packetdrill letters: "S", "S.", ".", "R", "R.", "F.", "P.", "-"
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint16_t win = 64240;
  wire::TcpOptions opts;
  std::string data;         // payload
  std::uint16_t sport = 0;  // 0: the fixture's peer_port
  std::uint16_t dport = 0;  // 0: the fixture's host_port
};

inline std::uint8_t tcp_flags(std::string_view s) {
  std::uint8_t f = 0;
  for (char c : s) {
    switch (c) {
      case 'F':
        f |= wire::tcp_flag::kFin;
        break;
      case 'S':
        f |= wire::tcp_flag::kSyn;
        break;
      case 'R':
        f |= wire::tcp_flag::kRst;
        break;
      case 'P':
        f |= wire::tcp_flag::kPsh;
        break;
      case 'U':
        f |= wire::tcp_flag::kUrg;
        break;
      case 'E':
        f |= wire::tcp_flag::kEce;
        break;
      case 'W':
        f |= wire::tcp_flag::kCwr;
        break;
      case '.':
        f |= wire::tcp_flag::kAck;
        break;
      default:
        break;  // '-': no flags
    }
  }
  return f;
}

inline wire::TcpOptions mss(std::uint16_t m) {
  return wire::TcpOptions().add_mss(m);
}
// What a Linux client puts in its SYN: <mss 1460,sackOK,TS val V ecr E,nop,wscale 7>.
inline wire::TcpOptions linux_syn(std::uint32_t tsval, std::uint32_t tsecr = 0,
                                  std::uint8_t wscale = 7) {
  return wire::linux_syn_options(1460, true, std::make_pair(tsval, tsecr), wscale);
}
inline wire::TcpOptions ts(std::uint32_t val, std::uint32_t ecr) {
  return wire::TcpOptions().add_nop().add_nop().add_timestamps(val, ecr);
}

class TcpFixture : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kPeerIsn = 1000000;  // as in docs/linux-measurements.md topic 3
  static constexpr std::uint16_t kHostPort = 40000;   // the host's port for active opens
  static constexpr std::uint16_t kServerPort = 8080;  // the host's port for passive opens
  static constexpr std::uint16_t kPeerPort = 41000;

  // Frames the host sent, as the peer received them.
  struct Out {
    sim::Time at;
    std::vector<std::uint8_t> frame;
  };

  struct Peer : sim::FrameReceiver {
    TcpFixture* f = nullptr;
    std::vector<Out> got;
    int arp_replies = 0;
    void receive_frame(sim::Packet frame, std::uint64_t) override {
      auto eth = wire::EthernetRepr::parse(frame.bytes());
      if (eth && eth->ethertype == wire::kEtherTypeArp) {
        auto arp = wire::ArpRepr::parse(frame.bytes().subspan(wire::kEthernetHeaderLen));
        if (arp && arp->op == wire::ArpOp::kRequest && arp->target_ip == f->peer_ip) {
          f->send_arp_reply(arp->sender_mac, arp->sender_ip);
          ++arp_replies;
        }
        return;
      }
      got.push_back(Out{f->world.now(),
                        std::vector<std::uint8_t>(frame.bytes().begin(), frame.bytes().end())});
    }
  };

  TcpFixture() : host(world.add_host("host")), link(world.sim().add_link("wire")) {
    ifindex = world.attach(host, link, {"10.0.0.1/24"});
    peer.f = this;
    peer_port_id = link.attach(world.sim().add_node("peer"), "peer/eth0", kPeerMac, &peer);
    world.sim().add_observer(&trace);
    // The peer's MAC is known, so no ARP precedes the first segment.
    neigh_update(host, ifindex, peer_ip, kPeerMac, true, true);
  }
  ~TcpFixture() override { world.sim().remove_observer(&trace); }

  // --- The scripted peer ---------------------------------------------------------------
  // Sends one segment to the host and lets it react (the link has no delay).
  void inject(const Seg& s) {
    wire::TcpRepr t;
    t.src_port = s.sport ? s.sport : peer_port;
    t.dst_port = s.dport ? s.dport : host_port;
    t.seq = remote_isn + s.seq;
    t.ack = local_isn + s.ack;
    t.flags = tcp_flags(s.flags);
    t.window = s.win;
    t.options = s.opts;
    t.payload = wire::Bytes(reinterpret_cast<const std::uint8_t*>(s.data.data()), s.data.size());
    const std::size_t tcp_len = t.buffer_len();
    sim::Packet p(wire::kEthernetHeaderLen + wire::kIpv4HeaderLen + tcp_len);
    wire::EthernetRepr eth{host.interface(ifindex)->mac, kPeerMac, wire::kEtherTypeIpv4};
    eth.emit(p.bytes().first(wire::kEthernetHeaderLen));
    wire::Ipv4Repr ip;
    ip.src = peer_ip;
    ip.dst = host_ip;
    ip.protocol = wire::kIpProtoTcp;
    ip.ident = next_ident++;
    ip.payload_len = static_cast<std::uint16_t>(tcp_len);
    ip.emit(p.bytes().subspan(wire::kEthernetHeaderLen, wire::kIpv4HeaderLen));
    t.emit(p.bytes().subspan(wire::kEthernetHeaderLen + wire::kIpv4HeaderLen), peer_ip, host_ip);
    link.transmit(peer_port_id, std::move(p), "scripted peer");
    world.run_for(sim::Duration::zero());
  }

  void run(sim::Duration d) { world.run_for(d); }

  // --- What the host sent --------------------------------------------------------------
  // Every frame since the last call, in packetdrill syntax with relative numbers; clears them.
  std::vector<std::string> sent() {
    world.run_for(sim::Duration::zero());  // frames sent by a call just made are still in flight
    std::vector<std::string> out;
    for (const Out& o : peer.got) out.push_back(text(o));
    peer.got.clear();
    return out;
  }
  // The same with each frame's time in ms since `t0`: "1008ms S 0:0(0) ...".
  std::vector<std::string> sent_timed() {
    world.run_for(sim::Duration::zero());
    std::vector<std::string> out;
    for (const Out& o : peer.got) out.push_back(std::to_string((o.at - t0).ms()) + "ms " + text(o));
    peer.got.clear();
    return out;
  }
  // The last frame as a parsed segment (absolute numbers); the frame stays queued.
  wire::TcpRepr last_segment() {
    world.run_for(sim::Duration::zero());
    EXPECT_FALSE(peer.got.empty());
    const Out& o = peer.got.back();
    return *parse(o.frame);
  }
  void expect_sent(const std::vector<std::string>& want,
                   std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace scope(loc.file_name(), static_cast<int>(loc.line()),
                                 "packets the host sent");
    EXPECT_THAT(sent(), ::testing::ElementsAreArray(want));
  }
  void expect_sent_timed(const std::vector<std::string>& want,
                         std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace scope(loc.file_name(), static_cast<int>(loc.line()),
                                 "packets the host sent");
    EXPECT_THAT(sent_timed(), ::testing::ElementsAreArray(want));
  }
  // "Then nothing": runs `d` more and expects no frame at all.
  void expect_silence(sim::Duration d, std::source_location loc = std::source_location::current()) {
    world.run_for(d);
    ::testing::ScopedTrace scope(loc.file_name(), static_cast<int>(loc.line()), "expected silence");
    EXPECT_THAT(sent(), ::testing::IsEmpty());
  }

  // --- Trace ---------------------------------------------------------------------------
  // kState events since the last call: "SYN_SENT -> ESTABLISHED (why)" for transitions and
  // "why [error ECONNREFUSED]" for errors, without the socket's label ("host fd 3: ").
  std::vector<std::string> states(bool with_label = false) {
    std::vector<std::string> out;
    const auto& ev = trace.events();
    for (; state_pos < ev.size(); ++state_pos) {
      const sim::TraceEvent& e = ev[state_pos];
      if (e.kind != sim::TraceKind::kState) continue;
      std::string t = e.text;
      if (!with_label) {
        const auto colon = t.find(": ");
        if (colon != std::string::npos) t = t.substr(colon + 2);
      }
      if (t.find(" -> ") != std::string::npos) {
        out.push_back(t + " (" + e.detail + ")");
      } else {
        out.push_back(t + " [" + e.detail + "]");
      }
    }
    return out;
  }
  void expect_states(const std::vector<std::string>& want,
                     std::source_location loc = std::source_location::current()) {
    ::testing::ScopedTrace scope(loc.file_name(), static_cast<int>(loc.line()),
                                 "kState trace events");
    EXPECT_THAT(states(), ::testing::ElementsAreArray(want));
  }
  // Drop notes on frames the host received: "TCP_LISTEN_OVERFLOW: <text>", in order.
  std::vector<std::string> drops() {
    std::vector<std::string> out;
    const auto& ev = trace.events();
    for (; drop_pos < ev.size(); ++drop_pos) {
      const sim::TraceEvent& e = ev[drop_pos];
      if (e.kind == sim::TraceKind::kFrameNote && e.note == sim::NoteKind::kDrop &&
          e.node == host.node()) {
        out.push_back(e.detail + ": " + e.text);
      }
    }
    return out;
  }
  // Just the reason names of drops().
  std::vector<std::string> drop_reasons() {
    std::vector<std::string> out;
    for (const std::string& d : drops()) out.push_back(d.substr(0, d.find(':')));
    return out;
  }

  // --- The host's sockets ---------------------------------------------------------------
  Sock& sk(int fd) { return *host.sock_of_fd(fd); }
  TcpState state(int fd) { return host.sock_of_fd(fd)->tcp.state; }
  std::uint64_t mib(Mib m) const { return host.counters().get(m); }
  std::uint64_t dropped(DropReason r) const { return host.counters().dropped(r); }

  // A non-blocking connect from 10.0.0.1:40000 to the peer's `port`; the SYN is left queued.
  // Sets local_isn to the host's ISN.
  int connect_nb(std::uint16_t port = kPeerPort) {
    const int fd = host.socket(kAfInet, kSockStream | kSockNonblock, 0).value();
    EXPECT_TRUE(host.bind(fd, UserAddr::from(SockAddr::v4(host_ip, kHostPort))));
    std::optional<SysResult<void>> r;
    host.connect(fd, UserAddr::from(SockAddr::v4(peer_ip, port)),
                 [&](SysResult<void> x) { r = x; });
    EXPECT_TRUE(r && !*r && r->error() == Errno::kEINPROGRESS);
    host_port = kHostPort;
    peer_port = port;
    local_isn = sk(fd).tcp.iss.raw;
    world.run_for(sim::Duration::zero());
    return fd;
  }
  // An ESTABLISHED active open: SYN, then the peer's SYN-ACK (peer ISN kPeerIsn, `opts`), then
  // the host's ACK; nothing left queued. Without options beyond MSS, neither timestamps nor
  // window scaling are in use, as in the measurements of docs/linux-measurements.md topic 3.
  int establish(wire::TcpOptions opts = mss(1460)) {
    const int fd = connect_nb();
    remote_isn = kPeerIsn;
    inject({.flags = "S.", .seq = 0, .ack = 1, .opts = opts});
    EXPECT_EQ(state(fd), TcpState::kEstablished);
    sent();
    states();
    drops();
    return fd;
  }
  // A listener on 10.0.0.1:`port`.
  int listen_on(std::uint16_t port = kServerPort, int backlog = 16) {
    const int fd = host.socket(kAfInet, kSockStream | kSockNonblock, 0).value();
    EXPECT_TRUE(host.bind(fd, UserAddr::from(SockAddr::v4(host_ip, port))));
    EXPECT_TRUE(host.listen(fd, backlog));
    host_port = port;
    return fd;
  }
  // accept() on a non-blocking listener: the new fd, or the error.
  SysResult<int> accept(int lfd) {
    std::optional<SysResult<AcceptResult>> r;
    host.accept(lfd, kSockNonblock, [&](SysResult<AcceptResult> x) { r = std::move(x); });
    if (!r) return fail(Errno::kEIO);
    if (!*r) return fail(r->error());
    return (*r)->fd;
  }
  // recv(MSG_DONTWAIT): the bytes as a string, or the error.
  SysResult<std::string> recv(int fd, std::size_t n = 100) {
    std::optional<SysResult<RecvResult>> r;
    host.recv(fd, n, kMsgDontwait, [&](SysResult<RecvResult> x) { r = std::move(x); });
    if (!r) return fail(Errno::kEIO);
    if (!*r) return fail(r->error());
    return std::string((*r)->data.begin(), (*r)->data.end());
  }
  SysResult<std::size_t> send(int fd, std::string_view data) {
    std::optional<SysResult<std::size_t>> r;
    host.send(fd, std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
              kMsgDontwait | kMsgNosignal, nullptr, [&](SysResult<std::size_t> x) { r = x; });
    return r ? *r : SysResult<std::size_t>(fail(Errno::kEIO));
  }
  void close(int fd) {
    bool done = false;
    host.close(fd, [&](SysResult<void>) { done = true; });
    EXPECT_TRUE(done);
  }
  Errno so_error(int fd) { return calls.so_error(host, fd); }
  static Errno err(const SysResult<void>& r) { return r ? Errno::kOk : r.error(); }
  template <class T>
  static Errno err(const SysResult<T>& r) {
    return r ? Errno::kOk : r.error();
  }

  // The TS value the host's socket sends now (its clock plus the connection's offset).
  std::uint32_t ts_now(int fd) { return tcp_ts_now(host, sk(fd).tcp.ts_off); }
  void mark_time() { t0 = world.now(); }

  World world{{.seed = 5}};
  Host& host;
  sim::Link& link;
  Blocking calls{world};
  sim::TraceRecorder trace;
  Peer peer;
  int ifindex = 0;
  sim::PortId peer_port_id = -1;
  const wire::IpAddr host_ip = wire::IpAddr::v4(10, 0, 0, 1);
  const wire::IpAddr peer_ip = wire::IpAddr::v4(10, 0, 0, 2);
  static constexpr sim::MacAddr kPeerMac = sim::MacAddr::local(0xee02);
  std::uint32_t local_isn = 0, remote_isn = 0;
  std::uint16_t host_port = kServerPort, peer_port = kPeerPort;
  sim::Time t0;

 private:
  std::optional<wire::TcpRepr> parse(const std::vector<std::uint8_t>& frame) const {
    const wire::Bytes b(frame.data(), frame.size());
    auto eth = wire::EthernetRepr::parse(b);
    if (!eth || eth->ethertype != wire::kEtherTypeIpv4) return std::nullopt;
    auto ip =
        wire::Ipv4Repr::parse(b.subspan(wire::kEthernetHeaderLen), wire::ChecksumCheck::kVerify);
    if (!ip || ip->repr.protocol != wire::kIpProtoTcp) return std::nullopt;
    auto t =
        wire::TcpRepr::parse(ip->payload, ip->repr.src, ip->repr.dst, wire::ChecksumCheck::kVerify);
    if (!t) return std::nullopt;
    return *t;
  }
  std::string text(const Out& o) const {
    auto t = parse(o.frame);
    if (!t) return wire::describe_frame(wire::Bytes(o.frame.data(), o.frame.size()));
    wire::TcpRepr r = *t;
    std::string ports;
    if (r.src_port != host_port || r.dst_port != peer_port) {
      ports = std::to_string(r.src_port) + ">" + std::to_string(r.dst_port) + " ";
    }
    r.seq -= local_isn;
    if (r.flags & wire::tcp_flag::kAck) r.ack -= remote_isn;
    return ports + wire::format_tcp(r);
  }
  void send_arp_reply(const sim::MacAddr& to_mac, const wire::IpAddr& to_ip) {
    wire::ArpRepr a;
    a.op = wire::ArpOp::kReply;
    a.sender_mac = kPeerMac;
    a.sender_ip = peer_ip;
    a.target_mac = to_mac;
    a.target_ip = to_ip;
    sim::Packet p(wire::kEthernetHeaderLen + wire::kArpLen);
    wire::EthernetRepr{to_mac, kPeerMac, wire::kEtherTypeArp}.emit(
        p.bytes().first(wire::kEthernetHeaderLen));
    a.emit(p.bytes().subspan(wire::kEthernetHeaderLen));
    link.transmit(peer_port_id, std::move(p), "scripted peer: ARP reply");
  }

  std::uint16_t next_ident = 1;
  std::size_t state_pos = 0;
  std::size_t drop_pos = 0;
};

}  // namespace synlab::stack::test
