// The Internet checksum (RFC 1071) and the pseudo-headers TCP, UDP and ICMPv6 cover
// (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1).
#pragma once

#include <cstdint>

#include "stack/wire/bytes.h"
#include "stack/wire/ip_address.h"

namespace synlab::wire {

// Accumulates 16-bit big-endian words; fold() gives the one's-complement sum.
class Checksum {
 public:
  void add(Bytes data);
  void add16(std::uint16_t v) { sum_ += v; }
  void add32(std::uint32_t v) { sum_ += (v >> 16) + (v & 0xffff); }
  // The final checksum field value: the one's complement of the folded sum.
  std::uint16_t finish() const;

 private:
  std::uint64_t sum_ = 0;
  bool odd_ = false;  // an odd-length add() left a pending high byte
};

// Checksum over `data` alone (IPv4 header, ICMPv4).
std::uint16_t internet_checksum(Bytes data);

// Checksum over the pseudo-header for (src, dst, protocol, length) followed by `segment`
// (whose checksum field must be zero when computing, or as received when verifying).
// For IPv4 addresses this is RFC 793's 12-byte pseudo-header, for IPv6 RFC 8200's 40-byte one.
std::uint16_t pseudo_header_checksum(const IpAddr& src, const IpAddr& dst, std::uint8_t protocol,
                                     Bytes segment);

// True when a received segment's checksum verifies (its sum folds to 0xffff).
bool pseudo_header_checksum_ok(const IpAddr& src, const IpAddr& dst, std::uint8_t protocol,
                               Bytes segment);

}  // namespace synlab::wire
