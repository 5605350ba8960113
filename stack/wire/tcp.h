// The TCP header (RFC 9293 §3.1) as a parsed value: TcpRepr.
//
// Contract, as for every repr in stack/wire/:
//  - parse() takes untrusted bytes (the IP payload, exactly as long as the IP header says) and
//    either returns a repr or says why not. It never reads outside `segment`.
//  - emit() writes exactly buffer_len() bytes, checksum included, and never fails when `out`
//    is at least buffer_len() long.
//  - Neither allocates: `payload` is a view into the parsed buffer, options live inline.
//
// The wire layer decides only what is impossible to represent. Flag combinations (SYN+FIN),
// port 0, a window scale above 14 are the stack's business, as they are Linux's.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sim/result.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum_check.h"
#include "stack/wire/error.h"
#include "stack/wire/ip_address.h"
#include "stack/wire/tcp_options.h"

namespace synlab::wire {

// The control bits in byte 13 of the header (RFC 9293 §3.1, RFC 3168 §6.1 for ECE/CWR).
namespace tcp_flag {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
inline constexpr std::uint8_t kUrg = 0x20;
inline constexpr std::uint8_t kEce = 0x40;
inline constexpr std::uint8_t kCwr = 0x80;
}  // namespace tcp_flag

// Bit 0 of TcpRepr::reserved: AE, the AccECN bit (RFC 9768; the old ECN-nonce NS bit of RFC
// 3540). It sits in byte 12, not with the other flags.
inline constexpr std::uint8_t kTcpReservedAe = 0x01;

inline constexpr std::size_t kTcpHeaderLen = 20;

struct TcpRepr {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;     // carried as sent, whether or not ACK is set
  std::uint8_t flags = 0;    // tcp_flag::k*
  std::uint16_t window = 0;  // unscaled, as on the wire
  std::uint16_t urgent = 0;
  TcpOptions options;
  Bytes payload;
  // The low nibble of byte 12: three reserved bits and AE (kTcpReservedAe). Kept so a parsed
  // segment re-emits byte-identically; Linux sends zero here unless AccECN is negotiated.
  std::uint8_t reserved = 0;

  // `segment` is the whole TCP segment; src and dst are the IP addresses it came between (for
  // the pseudo-header). Errors:
  //   kTruncated    fewer than 20 bytes
  //   kBadLength    data offset < 5 words, or beyond the segment
  //   kBadChecksum  the pseudo-header checksum does not verify (only with kVerify)
  // Malformed options do not fail the parse (Linux ignores them): see TcpOptions::well_formed().
  static Result<TcpRepr, WireError> parse(Bytes segment, const IpAddr& src, const IpAddr& dst,
                                          ChecksumCheck check);

  std::size_t header_len() const { return kTcpHeaderLen + options.wire_len(); }
  std::size_t buffer_len() const { return header_len() + payload.size(); }
  // Writes header, options (EOL-padded to a word), payload, and the checksum for src/dst.
  // `payload` may alias `out` (in-place re-emission).
  void emit(MutBytes out, const IpAddr& src, const IpAddr& dst) const;

  // Sequence space this segment occupies: payload plus one each for SYN and FIN (RFC 9293 §3.4).
  std::uint32_t seq_len() const;
  bool has(std::uint8_t flag_bits) const { return (flags & flag_bits) == flag_bits; }

  // Field-wise, with payloads compared by content.
  friend bool operator==(const TcpRepr& a, const TcpRepr& b);
};

}  // namespace synlab::wire
