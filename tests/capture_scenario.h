// Test-only: a small scripted world whose capture tshark must find flawless.
//
// There is no real stack here (tests/ must not wait for one): two scripted hosts exchange
// hand-built but real frames (Ethernet + ARP, IPv4 + TCP with an MSS option, IPv4 + UDP)
// whose checksums come from stack/wire/checksum.h. The script:
//   ARP who-has 10.0.0.2, ARP reply,
//   SYN (lost: a fault rule drops it), SYN retransmitted after 1 s, SYN-ACK, ACK,
//   a UDP datagram to port 9 that the server drops (no socket).
// Every frame carries a cause, so every record in the pcapng has a comment. An option breaks
// the UDP checksum on purpose, to check that the validator notices.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/capture/capture.h"
#include "sim/simulator.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ip_address.h"

namespace synlab::testing {

inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// Ethernet header (14 bytes) + `l3` with EtherType `type`.
inline sim::Packet ethernet(sim::MacAddr src, sim::MacAddr dst, std::uint16_t type,
                            std::span<const std::uint8_t> l3) {
  sim::Packet p(14 + l3.size());
  std::copy(dst.b.begin(), dst.b.end(), p.data());
  std::copy(src.b.begin(), src.b.end(), p.data() + 6);
  wire::store_be16(p.data() + 12, type);
  std::copy(l3.begin(), l3.end(), p.data() + 14);
  return p;
}

// IPv4 header (RFC 791, 20 bytes, DF, TTL 64) in front of `l4`, header checksum filled in.
inline std::vector<std::uint8_t> ipv4(const wire::IpAddr& src, const wire::IpAddr& dst,
                                      std::uint8_t protocol, std::uint16_t id,
                                      std::span<const std::uint8_t> l4) {
  std::vector<std::uint8_t> b(20 + l4.size());
  b[0] = 0x45;
  wire::store_be16(&b[2], static_cast<std::uint16_t>(b.size()));
  wire::store_be16(&b[4], id);
  b[6] = 0x40;  // DF
  b[8] = 64;
  b[9] = protocol;
  std::copy(src.bytes().begin(), src.bytes().end(), &b[12]);
  std::copy(dst.bytes().begin(), dst.bytes().end(), &b[16]);
  wire::store_be16(&b[10], wire::internet_checksum({b.data(), 20}));
  std::copy(l4.begin(), l4.end(), b.begin() + 20);
  return b;
}

struct Endpoint {
  sim::MacAddr mac;
  wire::IpAddr ip;
  std::uint16_t port;
};

// TCP segment (RFC 9293 §3.1); a SYN carries MSS 1460. Checksum over the pseudo-header.
inline sim::Packet tcp_frame(const Endpoint& from, const Endpoint& to, std::uint32_t seq,
                             std::uint32_t ack, std::uint8_t flags, std::uint16_t ip_id) {
  const bool syn = flags & kSyn;
  std::vector<std::uint8_t> t(syn ? 24 : 20, 0);
  wire::store_be16(&t[0], from.port);
  wire::store_be16(&t[2], to.port);
  wire::store_be32(&t[4], seq);
  wire::store_be32(&t[8], ack);
  t[12] = static_cast<std::uint8_t>((t.size() / 4) << 4);
  t[13] = flags;
  wire::store_be16(&t[14], 64240);
  if (syn) {
    const std::uint8_t mss[] = {2, 4, 0x05, 0xb4};
    std::copy(std::begin(mss), std::end(mss), &t[20]);
  }
  wire::store_be16(&t[16], wire::pseudo_header_checksum(from.ip, to.ip, 6, t));
  const auto l3 = ipv4(from.ip, to.ip, 6, ip_id, t);
  return ethernet(from.mac, to.mac, 0x0800, l3);
}

// UDP datagram (RFC 768). `bad_checksum` stores a wrong one on purpose.
inline sim::Packet udp_frame(const Endpoint& from, const Endpoint& to,
                             std::span<const std::uint8_t> payload, std::uint16_t ip_id,
                             bool bad_checksum = false) {
  std::vector<std::uint8_t> u(8 + payload.size(), 0);
  wire::store_be16(&u[0], from.port);
  wire::store_be16(&u[2], to.port);
  wire::store_be16(&u[4], static_cast<std::uint16_t>(u.size()));
  std::copy(payload.begin(), payload.end(), u.begin() + 8);
  std::uint16_t sum = wire::pseudo_header_checksum(from.ip, to.ip, 17, u);
  if (sum == 0) sum = 0xffff;  // RFC 768: zero means "no checksum"
  if (bad_checksum) sum = static_cast<std::uint16_t>(sum ^ 0x0101);
  wire::store_be16(&u[6], sum);
  const auto l3 = ipv4(from.ip, to.ip, 17, ip_id, u);
  return ethernet(from.mac, to.mac, 0x0800, l3);
}

// Ethernet + ARP (RFC 826).
inline sim::Packet arp_frame(const Endpoint& from, sim::MacAddr to_mac, std::uint16_t op,
                             const wire::IpAddr& target_ip, sim::MacAddr target_mac) {
  std::vector<std::uint8_t> a(28, 0);
  wire::store_be16(&a[0], 1);
  wire::store_be16(&a[2], 0x0800);
  a[4] = 6;
  a[5] = 4;
  wire::store_be16(&a[6], op);
  std::copy(from.mac.b.begin(), from.mac.b.end(), &a[8]);
  std::copy(from.ip.bytes().begin(), from.ip.bytes().end(), &a[14]);
  std::copy(target_mac.b.begin(), target_mac.b.end(), &a[18]);
  std::copy(target_ip.bytes().begin(), target_ip.bytes().end(), &a[24]);
  return ethernet(from.mac, to_mac, 0x0806, a);
}

struct ScenarioOptions {
  sim::CaptureFormat format = sim::CaptureFormat::kPcapng;
  std::string path;
  bool bad_udp_checksum = false;  // break the UDP checksum (the validator must say so)
};

// The script described at the top of this file. Returns the capture's finish() result.
class CaptureScenario {
 public:
  static constexpr int kFrames = 7;

  explicit CaptureScenario(ScenarioOptions o)
      : o_(std::move(o)), client_rx_(*this), server_rx_(*this) {
    client_node_ = sim_.add_node("client");
    server_node_ = sim_.add_node("server");
    lan_ = &sim_.add_link("lan", {.delay = sim::Duration::millis(5)});
    client_port_ = lan_->attach(client_node_, "client/eth0", client_.mac, &client_rx_);
    server_port_ = lan_->attach(server_node_, "server/eth0", server_.mac, &server_rx_);
    lan_->add_fault({.match =
                         [](std::span<const std::uint8_t> f) {
                           return f.size() > 47 && f[23] == 6 && f[47] == kSyn;
                         },
                     .reason = "scenario drops the first SYN"});
  }

  Result<void, std::string> run() {
    auto cap = sim::Capture::open(sim_, {.format = o_.format,
                                         .path = o_.path,
                                         .comment = "capture_scenario.h: ARP, handshake, UDP"});
    if (!cap.ok()) return fail(cap.error());
    (void)(*cap)->add_name(client_.ip.bytes(), "client");
    (void)(*cap)->add_name(server_.ip.bytes(), "server");
    lan_->transmit(client_port_, arp_frame(client_, sim::MacAddr::broadcast(), 1, server_.ip, {}),
                   "ARP: who has 10.0.0.2 (next hop for 10.0.0.2:80)");
    sim_.run_for(sim::Duration::seconds(5));
    return (*cap)->finish();
  }

 private:
  struct Rx : sim::FrameReceiver {
    explicit Rx(CaptureScenario& s) : s(s) {}
    CaptureScenario& s;
  };
  struct ClientRx : Rx {
    using Rx::Rx;
    void receive_frame(sim::Packet f, std::uint64_t) override { s.client_got(f); }
  };
  struct ServerRx : Rx {
    using Rx::Rx;
    void receive_frame(sim::Packet f, std::uint64_t id) override { s.server_got(f, id); }
  };

  static std::uint16_t ether_type(const sim::Packet& f) { return wire::load_be16(f.data() + 12); }

  void client_got(const sim::Packet& f) {
    if (ether_type(f) == 0x0806) {  // the ARP reply: connect
      send_syn("connect(): SYN to 10.0.0.2:80");
      sim_.queue().schedule_in(sim::Duration::seconds(1), [this] {
        if (!established_) send_syn("SYN retransmission 1, RTO 1 s");
      });
      return;
    }
    if (f.size() > 47 && f[47] == (kSyn | kAck)) {
      established_ = true;
      lan_->transmit(client_port_, tcp_frame(client_, server_, 1001, 5001, kAck, 3),
                     "SYN-ACK in SYN-SENT -> ESTABLISHED: ACK");
      const std::uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
      lan_->transmit(
          client_port_,
          udp_frame(client_, {server_.mac, server_.ip, 9}, hello, 4, o_.bad_udp_checksum),
          "sendto(10.0.0.2:9)");
    }
  }

  void server_got(const sim::Packet& f, std::uint64_t id) {
    if (ether_type(f) == 0x0806) {
      lan_->transmit(server_port_, arp_frame(server_, client_.mac, 2, client_.ip, client_.mac),
                     "ARP reply: 10.0.0.2 is at 02:00:00:00:00:02");
    } else if (f[23] == 6 && f[47] == kSyn) {
      lan_->transmit(server_port_, tcp_frame(server_, client_, 5000, 1001, kSyn | kAck, 1),
                     "SYN in LISTEN -> SYN-RECEIVED: SYN-ACK");
    } else if (f[23] == 17) {
      sim::TraceEvent ev;
      ev.at = sim_.now();
      ev.kind = sim::TraceKind::kFrameNote;
      ev.note = sim::NoteKind::kDrop;
      ev.node = server_node_;
      ev.frame = id;
      ev.text = "no socket on UDP port 9";
      sim_.emit(ev);
    }
  }

  void send_syn(const char* why) {
    lan_->transmit(client_port_, tcp_frame(client_, server_, 1000, 0, kSyn, syn_id_++), why);
  }

  ScenarioOptions o_;
  sim::Simulator sim_{1};
  ClientRx client_rx_;
  ServerRx server_rx_;
  sim::Link* lan_ = nullptr;
  sim::NodeId client_node_ = -1, server_node_ = -1;
  sim::PortId client_port_ = -1, server_port_ = -1;
  Endpoint client_{sim::MacAddr::local(1), wire::IpAddr::v4(10, 0, 0, 1), 49152};
  Endpoint server_{sim::MacAddr::local(2), wire::IpAddr::v4(10, 0, 0, 2), 80};
  bool established_ = false;
  std::uint16_t syn_id_ = 1;
};

}  // namespace synlab::testing
