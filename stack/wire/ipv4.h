// The IPv4 header (RFC 791 §3.1) as a parsed value: Ipv4Repr.
//
// Same contract as every repr in stack/wire/ (see ethernet.h): parse() never reads outside its
// input and says why it failed; emit() writes exactly buffer_len() bytes; neither allocates.
//
// This stack does not fragment or reassemble: fragments are refused with kFragmented (and it
// sends with DF set by default, as Linux does for TCP because of path MTU discovery, RFC 1191).
// Received IP options are accepted and skipped; emitted headers never carry options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/result.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum_check.h"
#include "stack/wire/error.h"
#include "stack/wire/ip_address.h"

namespace synlab::wire {

inline constexpr std::size_t kIpv4HeaderLen = 20;  // without options

struct Ipv4Packet;

struct Ipv4Repr {
  IpAddr src;
  IpAddr dst;
  std::uint8_t protocol = 0;  // kIpProto* (ip_protocol.h)
  std::uint8_t ttl = 64;      // Linux's default, sysctl net.ipv4.ip_default_ttl
  std::uint8_t tos = 0;       // the whole byte: DSCP (RFC 2474) and ECN (RFC 3168)
  std::uint16_t ident = 0;
  bool dont_fragment = true;
  std::uint16_t payload_len = 0;  // total length minus the header (options included)

  // `packet` starts at the IP header; it may be longer than the total length field (Ethernet
  // padding), and those extra bytes are not part of the payload. Errors, checked in the order
  // Linux's ip_rcv_core() checks them:
  //   kTruncated    fewer than 20 bytes, fewer than the IHL says, or fewer than the total length
  //   kBadVersion   version is not 4
  //   kBadLength    IHL below 5, or total length below the header length
  //   kBadChecksum  the header checksum does not verify (only with kVerify)
  //   kFragmented   MF set or a non-zero fragment offset
  static Result<Ipv4Packet, WireError> parse(Bytes packet, ChecksumCheck check);

  // The header this repr emits: always 20 bytes, since emit() writes no options.
  static constexpr std::size_t buffer_len() { return kIpv4HeaderLen; }
  // The whole datagram: header plus payload_len.
  std::size_t total_len() const { return kIpv4HeaderLen + payload_len; }
  // Writes the 20-byte header with its checksum; `out` is exactly buffer_len() bytes and the
  // payload goes after it. total_len() must fit the 16-bit total length field.
  void emit(MutBytes out) const;

  bool operator==(const Ipv4Repr&) const = default;
};

// What parse() found: the repr, the payload (exactly payload_len bytes, a view into the
// parsed buffer), and how long the header was, options included.
struct Ipv4Packet {
  Ipv4Repr repr;
  Bytes payload;
  std::size_t header_len = kIpv4HeaderLen;
};

// "ipv4 10.0.0.1 > 10.0.0.2: tcp ttl 64 id 63680 DF length 60" (tos only when not zero,
// "tos 0xc0"). Like tcpdump -v, the length is the total length.
std::string to_string(const Ipv4Repr& ip);

}  // namespace synlab::wire
