// The IPv6 header (RFC 8200 §3) as a parsed value: Ipv6Repr, with the extension headers a host
// must walk to reach the upper-layer protocol (RFC 8200 §4).
//
// Same contract as every repr in stack/wire/ (see ethernet.h): parse() never reads outside its
// input and says why it failed; emit() writes exactly buffer_len() bytes; neither allocates.
//
// parse() skips Hop-by-Hop, Routing and Destination Options headers and reports the protocol
// after them, so a repr always describes "fixed header + upper-layer payload" and re-emits as
// exactly that (without the extension headers). Fragments are refused (this stack does not
// reassemble), except an atomic fragment (offset 0, M clear), which RFC 6946 says to process as
// a whole packet and Linux's ipv6_frag_rcv() does. Also refused: what RFC 8200 tells a host to
// discard, an unrecognised option whose action bits say so (§4.2) and a routing header that
// asks to be forwarded (§4.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/result.h"
#include "stack/wire/bytes.h"
#include "stack/wire/error.h"
#include "stack/wire/ip_address.h"

namespace synlab::wire {

inline constexpr std::size_t kIpv6HeaderLen = 40;

struct Ipv6Packet;

struct Ipv6Repr {
  IpAddr src;
  IpAddr dst;
  // The upper-layer protocol (kIpProto*, ip_protocol.h): after parse(), the Next Header that
  // follows any skipped extension headers.
  std::uint8_t next_header = 0;
  // Linux's default for unicast, sysctl net.ipv6.conf.*.hop_limit. Neighbour discovery must
  // send 255 (RFC 4861 §7.1), and receivers must check it.
  std::uint8_t hop_limit = 64;
  std::uint8_t traffic_class = 0;  // DSCP and ECN, as IPv4's tos byte
  std::uint32_t flow_label = 0;    // 20 bits (RFC 6437)
  // Bytes of upper-layer payload. After parse() it excludes skipped extension headers, so it is
  // what emit() would write into the Payload Length field for this repr.
  std::uint16_t payload_len = 0;

  // `packet` starts at the IPv6 header; bytes past the Payload Length (Ethernet padding) are
  // ignored. Errors:
  //   kTruncated    fewer than 40 bytes, or fewer than 40 + Payload Length
  //   kBadVersion   version is not 6
  //   kBadLength    an extension header runs past the payload
  //   kBadOption    a Hop-by-Hop header that is not first (RFC 8200 §4.1), an option that runs
  //                 past its header, or an unrecognised option whose type says "discard"
  //                 (RFC 8200 §4.2: the two high bits are not 00)
  //   kUnsupported  a jumbogram (Payload Length 0 with Hop-by-Hop, RFC 2675), or a Routing
  //                 header with Segments Left > 0 (RFC 8200 §4.4: this host would have to
  //                 forward it, and it recognises no routing type)
  //   kFragmented   a Fragment header (RFC 8200 §4.5) of a real fragment: offset or M set
  // IPv6 has no header checksum.
  static Result<Ipv6Packet, WireError> parse(Bytes packet);

  // The fixed header: emit() writes no extension headers.
  static constexpr std::size_t buffer_len() { return kIpv6HeaderLen; }
  std::size_t total_len() const { return kIpv6HeaderLen + payload_len; }
  // Writes the 40-byte header; `out` is exactly buffer_len() bytes, the payload goes after it.
  void emit(MutBytes out) const;

  bool operator==(const Ipv6Repr&) const = default;
};

// What parse() found: the repr, the upper-layer payload (a view into the parsed buffer), and
// the bytes before it: the fixed header plus any extension headers skipped.
struct Ipv6Packet {
  Ipv6Repr repr;
  Bytes payload;
  std::size_t header_len = kIpv6HeaderLen;
};

// "ipv6 fd00::1 > fd00::2: tcp hlim 64 flow 0x4c011 length 40" (tclass only when not zero,
// "tclass 0x10"; flow only when not zero). The length is the payload length, as tcpdump's.
std::string to_string(const Ipv6Repr& ip);

}  // namespace synlab::wire
