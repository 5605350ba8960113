// ICMP for IPv4 (RFC 792; RFC 1122 §3.2.2; RFC 1191 §4 for "fragmentation needed") as a parsed
// value: Icmpv4Repr.
//
// Every ICMP message is type, code, checksum, four "rest of header" bytes whose meaning depends
// on the type, then a body. The repr keeps exactly that, so any message (a known one or
// `icmp type_255 code_0`) parses and re-emits byte for byte; factories and accessors give the
// typed view of the ones this stack speaks: echo request/reply (id, seq, data), destination
// unreachable (all codes; frag_needed carries the next-hop MTU) and time exceeded, whose body is
// the quoted offending datagram (read it with parse_ipv4_quote(), cut it with
// icmpv4_error_quote(), both in icmp_quote.h).
//
// Same contract as every repr in stack/wire/ (see ethernet.h): parse() never reads outside its
// input and says why it failed; emit() writes exactly buffer_len() bytes; neither allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/result.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum_check.h"
#include "stack/wire/error.h"

namespace synlab::wire {

inline constexpr std::size_t kIcmpv4HeaderLen = 8;

// The types this stack builds or reads (RFC 792). Any other byte value is also a valid type.
enum class Icmpv4Type : std::uint8_t {
  kEchoReply = 0,
  kDestUnreachable = 3,
  kSourceQuench = 4,  // deprecated (RFC 6633), still an error that quotes a datagram
  kRedirect = 5,
  kEchoRequest = 8,
  kTimeExceeded = 11,
  kParameterProblem = 12,
};

// Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1). Keywords for
// scripts and printers are in icmp_names.h ("port_unreachable" for kPort).
enum class Icmpv4Unreach : std::uint8_t {
  kNet = 0,
  kHost = 1,
  kProtocol = 2,
  kPort = 3,
  kFragNeeded = 4,  // the next-hop MTU is in the header (RFC 1191 §4)
  kSourceRouteFailed = 5,
  kNetUnknown = 6,
  kHostUnknown = 7,
  kSourceHostIsolated = 8,
  kNetProhibited = 9,
  kHostProhibited = 10,
  kNetUnreachableForTos = 11,
  kHostUnreachableForTos = 12,
  kPacketFiltered = 13,  // "communication administratively prohibited" (RFC 1812)
  kPrecedenceViolation = 14,
  kPrecedenceCutoff = 15,
};

enum class Icmpv4TimeExceeded : std::uint8_t { kTtl = 0, kFragReassembly = 1 };

struct Icmpv4Repr {
  Icmpv4Type type = Icmpv4Type::kEchoRequest;
  std::uint8_t code = 0;
  // Header bytes 4-7, big-endian: echo id << 16 | seq; the next-hop MTU in the low 16 bits for
  // frag_needed; the pointer in the top byte for parameter problem; the gateway for redirect.
  std::uint32_t rest = 0;
  // Echo data, or the quoted datagram of an error. A view: into the parsed buffer, or into
  // whatever the builder points it at.
  Bytes payload;

  static Icmpv4Repr echo_request(std::uint16_t id, std::uint16_t seq, Bytes data);
  static Icmpv4Repr echo_reply(std::uint16_t id, std::uint16_t seq, Bytes data);
  // next_hop_mtu only for kFragNeeded (RFC 1191 §4); other codes leave the field zero, "unused"
  // in RFC 792.
  static Icmpv4Repr dest_unreachable(Icmpv4Unreach code, Bytes quote,
                                     std::uint16_t next_hop_mtu = 0);
  static Icmpv4Repr time_exceeded(Icmpv4TimeExceeded code, Bytes quote);

  // Echo request/reply fields.
  std::uint16_t echo_id() const { return static_cast<std::uint16_t>(rest >> 16); }
  std::uint16_t echo_seq() const { return static_cast<std::uint16_t>(rest); }
  // Destination unreachable, frag_needed.
  std::uint16_t next_hop_mtu() const { return static_cast<std::uint16_t>(rest); }
  Icmpv4Unreach unreach_code() const { return static_cast<Icmpv4Unreach>(code); }
  // Errors quote a datagram: unreachable, source quench, redirect, time exceeded, parameter
  // problem (RFC 1122 §3.2.2). Linux's icmp_pointers[].error marks the same five.
  bool is_error() const;

  // `message` is the IP payload, exactly as long as the IP header says. Errors:
  //   kTruncated    fewer than 8 bytes
  //   kBadChecksum  the checksum over the whole message does not verify (only with kVerify)
  // Types and codes are not checked: what a stack does with an unknown one is its business
  // (Linux ignores unknown types, RFC 1122 §3.2.2).
  static Result<Icmpv4Repr, WireError> parse(Bytes message, ChecksumCheck check);

  std::size_t buffer_len() const { return kIcmpv4HeaderLen + payload.size(); }
  // Writes header, payload and checksum; `out` is exactly buffer_len() bytes. `payload` may
  // alias `out`.
  void emit(MutBytes out) const;

  // Field-wise, with payloads compared by content.
  friend bool operator==(const Icmpv4Repr& a, const Icmpv4Repr& b);
};

// packetdrill's words (icmp_names.h), then what the message carries:
//   "icmp echo_request id 4660 seq 1 (56)"         (56 bytes of data)
//   "icmp unreachable port_unreachable for udp 10.0.0.1:9002 > 10.0.0.2:9000"
//   "icmp unreachable frag_needed mtu 1400 for tcp 10.0.0.1:4000 > 10.0.0.2:80 seq 1"
//   "icmp time_exceeded for ...", "icmp type_42 code_1 rest 0x01020304 (8)"
// A code is printed unless it is 0 for a type without code keywords (packetdrill's default).
// An error whose quote cannot be read ends "for <N bytes>".
std::string to_string(const Icmpv4Repr& m);

}  // namespace synlab::wire
