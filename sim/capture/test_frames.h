// Test-only: valid Ethernet frames built by hand, for the capture tests.
//
// ARP (RFC 826) carries no checksum, so these frames are valid on the wire (tshark finds
// nothing wrong with them) without sim/ depending on stack/wire. Tests that need IPv4/UDP
// frames with real checksums live in tests/ and use stack/wire/checksum.h.
#pragma once

#include <array>
#include <cstdint>

#include "sim/mac.h"
#include "sim/packet.h"

namespace synlab::sim::testing {

using Ip4 = std::array<std::uint8_t, 4>;

inline constexpr std::uint16_t kArpRequest = 1;
inline constexpr std::uint16_t kArpReply = 2;

// Ethernet II + ARP for IPv4 over Ethernet: 42 bytes.
inline Packet arp_frame(MacAddr src, MacAddr dst, std::uint16_t op, Ip4 sender_ip, Ip4 target_ip,
                        MacAddr target_mac = {}) {
  Packet p(42);
  std::uint8_t* b = p.data();
  std::size_t i = 0;
  auto put = [&](std::uint8_t v) { b[i++] = v; };
  auto put16 = [&](std::uint16_t v) {
    put(static_cast<std::uint8_t>(v >> 8));
    put(static_cast<std::uint8_t>(v));
  };
  for (std::uint8_t v : dst.b) put(v);
  for (std::uint8_t v : src.b) put(v);
  put16(0x0806);  // EtherType ARP
  put16(1);       // hardware: Ethernet
  put16(0x0800);  // protocol: IPv4
  put(6);
  put(4);
  put16(op);
  for (std::uint8_t v : src.b) put(v);
  for (std::uint8_t v : sender_ip) put(v);
  for (std::uint8_t v : target_mac.b) put(v);
  for (std::uint8_t v : target_ip) put(v);
  return p;
}

// "Who has 10.0.0.<target>? Tell 10.0.0.<sender>", broadcast.
inline Packet arp_who_has(MacAddr src, std::uint8_t sender, std::uint8_t target) {
  return arp_frame(src, MacAddr::broadcast(), kArpRequest, {10, 0, 0, sender}, {10, 0, 0, target});
}

}  // namespace synlab::sim::testing
