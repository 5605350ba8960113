// ARP for IPv4 over Ethernet (RFC 826; opcodes from RFC 5227 usage): the 28-byte request and
// reply that resolve a neighbour's MAC address. Other hardware or protocol types, and opcodes
// other than request/reply (RARP, InARP), are refused with a reason: Linux's arp_process()
// drops them too.
//
// Same contract as every repr in stack/wire/ (see ethernet.h): checked parse with a reason,
// exact-size emit, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/mac.h"
#include "sim/result.h"
#include "stack/wire/bytes.h"
#include "stack/wire/error.h"
#include "stack/wire/ip_address.h"

namespace synlab::wire {

enum class ArpOp : std::uint16_t { kRequest = 1, kReply = 2 };

inline constexpr std::size_t kArpLen = 28;

struct ArpRepr {
  ArpOp op = ArpOp::kRequest;
  sim::MacAddr sender_mac;
  IpAddr sender_ip;  // IPv4
  // In a request, Linux sends zeros here (the capture's "who-has" frames); some stacks send
  // the broadcast address. Receivers must ignore it (RFC 826, "Packet Reception").
  sim::MacAddr target_mac;
  IpAddr target_ip;  // IPv4

  // `packet` is the Ethernet payload; bytes after the 28 (frame padding) are ignored. Errors:
  //   kTruncated    fewer than 28 bytes
  //   kUnsupported  hardware type is not Ethernet (1), protocol type is not IPv4 (0x0800), or
  //                 the opcode is neither request (1) nor reply (2)
  //   kBadLength    hardware length is not 6 or protocol length is not 4, which Ethernet and
  //                 IPv4 make impossible (Linux arp_process() drops these as malformed)
  static Result<ArpRepr, WireError> parse(Bytes packet);

  static constexpr std::size_t buffer_len() { return kArpLen; }
  // Both addresses must be IPv4. `out` is exactly buffer_len() bytes.
  void emit(MutBytes out) const;

  bool operator==(const ArpRepr&) const = default;
};

// "ARP who-has 10.0.0.2 tell 10.0.0.1" or "ARP reply 10.0.0.2 is-at 02:00:00:00:00:02".
std::string to_string(const ArpRepr& a);

}  // namespace synlab::wire
