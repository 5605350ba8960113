// The UDP header (RFC 768) as a parsed value: UdpRepr. Same contract as TcpRepr (tcp.h):
// parse() never reads outside its input and says why it failed; emit() writes exactly
// buffer_len() bytes with the checksum; neither allocates.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sim/result.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum_check.h"
#include "stack/wire/error.h"
#include "stack/wire/ip_address.h"

namespace synlab::wire {

inline constexpr std::size_t kUdpHeaderLen = 8;

struct UdpRepr {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  Bytes payload;

  // `datagram` is the IP payload; src and dst are the IP addresses (for the pseudo-header).
  // The UDP length field delimits the datagram: bytes after it (link padding) are ignored.
  // Errors:
  //   kTruncated    fewer than 8 bytes, or fewer than the length field says
  //   kBadLength    length field < 8
  //   kBadChecksum  the checksum does not verify; or it is 0 over IPv6, where RFC 8200 §8.1
  //                 makes it mandatory (over IPv4, 0 means "no checksum", RFC 768)
  // kSkip skips every checksum rule, the IPv6 zero one included.
  static Result<UdpRepr, WireError> parse(Bytes datagram, const IpAddr& src, const IpAddr& dst,
                                          ChecksumCheck check);

  std::size_t buffer_len() const { return kUdpHeaderLen + payload.size(); }
  // Writes header, payload and checksum. A computed checksum of 0 goes out as 0xffff (RFC 768),
  // since 0 would mean "none". `payload` may alias `out`.
  void emit(MutBytes out, const IpAddr& src, const IpAddr& dst) const;

  friend bool operator==(const UdpRepr& a, const UdpRepr& b);
};

}  // namespace synlab::wire
