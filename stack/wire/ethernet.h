// Ethernet II framing (IEEE 802.3 §3.2, the "DIX" header): destination MAC, source MAC,
// EtherType, then the payload. No FCS: like Linux captures, frames here end with the payload.
//
// Contract, as for every repr in stack/wire/: parse() takes untrusted bytes, never reads
// outside them and says why it failed; emit() writes exactly buffer_len() bytes; neither
// allocates. The payload is frame.subspan(kEthernetHeaderLen). It may carry trailing padding
// (a NIC pads frames to 60 bytes); the IP and ARP parsers ignore bytes past their own lengths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "sim/mac.h"
#include "sim/result.h"
#include "stack/wire/bytes.h"
#include "stack/wire/error.h"

namespace synlab::wire {

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;

inline constexpr std::size_t kEthernetHeaderLen = 14;
// The smallest frame without FCS (IEEE 802.3 §4.2.3.3: 64 bytes with the 4-byte FCS). Linux
// veth does not pad, so the reference captures hold 42-byte ARP frames; a real NIC pads.
inline constexpr std::size_t kEthernetMinFrameLen = 60;

// MAC addresses in packets (Ethernet, ARP, NDP options): 6 bytes, copied as they are.
inline sim::MacAddr load_mac(const std::uint8_t* p) {
  sim::MacAddr m;
  std::memcpy(m.b.data(), p, m.b.size());
  return m;
}
inline void store_mac(std::uint8_t* p, const sim::MacAddr& m) {
  std::memcpy(p, m.b.data(), m.b.size());
}

struct EthernetRepr {
  sim::MacAddr dst;
  sim::MacAddr src;
  std::uint16_t ethertype = 0;

  static constexpr std::size_t kHeaderLen = kEthernetHeaderLen;

  // Errors:
  //   kTruncated    fewer than 14 bytes
  //   kUnsupported  the type field is below 0x0600: an IEEE 802.3 length (802.2 LLC framing),
  //                 which this stack does not speak (Linux hands it to LLC, not to IP/ARP)
  static Result<EthernetRepr, WireError> parse(Bytes frame);

  static constexpr std::size_t buffer_len() { return kHeaderLen; }
  // Writes the 14-byte header; `out` is exactly buffer_len() bytes (the payload follows it).
  void emit(MutBytes out) const;

  bool operator==(const EthernetRepr&) const = default;
};

// "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)", as `tcpdump -e` prints it.
std::string to_string(const EthernetRepr& e);

}  // namespace synlab::wire
