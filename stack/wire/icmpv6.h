// ICMP for IPv6 (RFC 4443) and the two neighbour discovery messages a host needs to resolve
// addresses (RFC 4861 §4.3 Neighbor Solicitation, §4.4 Neighbor Advertisement) as a parsed
// value: Icmpv6Repr.
//
// As for ICMPv4 (icmpv4.h), the repr is type, code, the four "rest of header" bytes and a body,
// with factories and accessors for the messages this stack speaks: destination unreachable,
// packet too big (MTU), time exceeded, parameter problem (pointer), echo request/reply. Their
// body is a view (`payload`), and any other type parses and re-emits byte for byte. Neighbour
// solicitation and advertisement are the exception: their body is decoded into `target` and
// `lladdr`, so a stack can build one from fields.
//
// The checksum covers the IPv6 pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1), so parse() and
// emit() take the addresses. Same contract as every repr in stack/wire/ (see ethernet.h):
// parse() never reads outside its input and says why it failed; emit() writes exactly
// buffer_len() bytes; neither allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "sim/mac.h"
#include "sim/result.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum_check.h"
#include "stack/wire/error.h"
#include "stack/wire/ip_address.h"

namespace synlab::wire {

inline constexpr std::size_t kIcmpv6HeaderLen = 8;

// The types this stack builds or reads (RFC 4443 §2.1, RFC 4861 §4). Any other byte value is
// also a valid type; below 128 they are errors.
enum class Icmpv6Type : std::uint8_t {
  kDestUnreachable = 1,
  kPacketTooBig = 2,
  kTimeExceeded = 3,
  kParameterProblem = 4,
  kEchoRequest = 128,
  kEchoReply = 129,
  kNeighborSolicitation = 135,
  kNeighborAdvertisement = 136,
};

// Destination unreachable codes (RFC 4443 §3.1). Keywords in icmp_names.h.
enum class Icmpv6Unreach : std::uint8_t {
  kNoRoute = 0,
  kAdminProhibited = 1,
  kBeyondScope = 2,         // RFC 2463's "not a neighbor"
  kAddressUnreachable = 3,  // Linux: neighbour resolution failed
  kPortUnreachable = 4,
  kPolicyFail = 5,   // source address failed ingress/egress policy
  kRejectRoute = 6,  // reject route to destination
};

enum class Icmpv6TimeExceeded : std::uint8_t { kHopLimit = 0, kFragReassembly = 1 };

enum class Icmpv6ParamProblem : std::uint8_t {
  kHeaderField = 0,
  kUnknownNextHeader = 1,
  kUnknownOption = 2,
};

// Neighbor Advertisement flags, in the top bits of `rest` (RFC 4861 §4.4).
inline constexpr std::uint32_t kNaRouter = 0x80000000u;
inline constexpr std::uint32_t kNaSolicited = 0x40000000u;
inline constexpr std::uint32_t kNaOverride = 0x20000000u;

// The biggest payload an ICMPv6 error can carry so that the error fits the IPv6 minimum MTU
// (RFC 4443 §2.4(c)); icmp_quote.h cuts a quote to it.
inline constexpr std::size_t kIcmpv6ErrorMaxQuote = 1280 - 40 - kIcmpv6HeaderLen;

struct Icmpv6Repr {
  Icmpv6Type type = Icmpv6Type::kEchoRequest;
  std::uint8_t code = 0;
  // Header bytes 4-7, big-endian: echo id << 16 | seq; the MTU (packet too big); the pointer
  // (parameter problem); kNa* flags (neighbor advertisement); reserved, zero, otherwise.
  std::uint32_t rest = 0;
  // Echo data, or the quoted packet of an error, or the body of a type this file does not
  // decode. Empty for neighbour discovery, whose body is the two fields below.
  Bytes payload;
  // Neighbor solicitation / advertisement only: the target address, and the source (NS) or
  // target (NA) link-layer address option (RFC 4861 §4.6.1), absent if the message has none.
  IpAddr target = IpAddr::any(IpFamily::kV6);
  std::optional<sim::MacAddr> lladdr;

  static Icmpv6Repr echo_request(std::uint16_t id, std::uint16_t seq, Bytes data);
  static Icmpv6Repr echo_reply(std::uint16_t id, std::uint16_t seq, Bytes data);
  static Icmpv6Repr dest_unreachable(Icmpv6Unreach code, Bytes quote);
  static Icmpv6Repr packet_too_big(std::uint32_t mtu, Bytes quote);
  static Icmpv6Repr time_exceeded(Icmpv6TimeExceeded code, Bytes quote);
  static Icmpv6Repr parameter_problem(Icmpv6ParamProblem code, std::uint32_t pointer, Bytes quote);
  // RFC 4861 §7.2.2: Linux includes the source link-layer address unless the source address is
  // unspecified (duplicate address detection), where RFC 4861 §7.1.1 forbids it.
  static Icmpv6Repr neighbor_solicitation(const IpAddr& target,
                                          std::optional<sim::MacAddr> source_lladdr);
  // flags: kNaRouter | kNaSolicited | kNaOverride. Linux always includes the target link-layer
  // address (ndisc_send_na()), even in a solicited unicast reply where RFC 4861 §7.2.4 allows
  // leaving it out.
  static Icmpv6Repr neighbor_advertisement(const IpAddr& target, std::uint32_t flags,
                                           std::optional<sim::MacAddr> target_lladdr);

  std::uint16_t echo_id() const { return static_cast<std::uint16_t>(rest >> 16); }
  std::uint16_t echo_seq() const { return static_cast<std::uint16_t>(rest); }
  std::uint32_t mtu() const { return rest; }      // packet too big
  std::uint32_t pointer() const { return rest; }  // parameter problem
  bool has_na_flag(std::uint32_t flag) const { return (rest & flag) != 0; }
  // Types 0-127 are errors and quote the offending packet (RFC 4443 §2.1).
  bool is_error() const { return static_cast<std::uint8_t>(type) < 128; }
  bool is_neighbor_discovery() const {
    return type == Icmpv6Type::kNeighborSolicitation || type == Icmpv6Type::kNeighborAdvertisement;
  }

  // `message` is the IPv6 upper-layer payload; src and dst the IPv6 addresses it came between.
  // Errors:
  //   kTruncated    fewer than 8 bytes; for NS/NA fewer than 24 (RFC 4861 §7.1.1, §7.1.2)
  //   kBadChecksum  the pseudo-header checksum does not verify (only with kVerify)
  // and for NS/NA the rest of RFC 4861 §7.1's validation that this layer can see:
  //   kUnsupported  code is not 0
  //   kBadAddress   the target is multicast; or a DAD probe (unspecified source) that is not
  //                 sent to a solicited-node address or carries a link-layer address option
  //   kBadFlags     a solicited (S) advertisement sent to a multicast address
  //   kBadOption    an option of length 0 (RFC 4861 §4.6), one running past the message, or a
  //                 link-layer address option whose length is not 1 (8 bytes: RFC 2464 §6;
  //                 Linux drops those too, ndisc_opt_addr_data())
  // Unknown options are skipped (RFC 4861 §4.6). The IPv6 hop limit must be 255 (§7.1): the
  // stack checks that, as this layer does not see the IPv6 header.
  static Result<Icmpv6Repr, WireError> parse(Bytes message, const IpAddr& src, const IpAddr& dst,
                                             ChecksumCheck check);

  std::size_t buffer_len() const;
  // Writes the message and its checksum for src/dst; `out` is exactly buffer_len() bytes.
  // `payload` may alias `out`.
  void emit(MutBytes out, const IpAddr& src, const IpAddr& dst) const;

  // Field-wise, with payloads compared by content.
  friend bool operator==(const Icmpv6Repr& a, const Icmpv6Repr& b);
};

// packetdrill's words (icmp_names.h) after "icmpv6", then what the message carries:
//   "icmpv6 echo_request id 4660 seq 1 (56)"
//   "icmpv6 unreachable port_unreachable for udp [fd00::1]:9002 > [fd00::2]:9000"
//   "icmpv6 packet_too_big mtu 1280 for tcp [fd00::1]:4000 > [fd00::2]:80 seq 1"
//   "icmpv6 parameter_problem unknown_next_header pointer 40 for ..."
//   "icmpv6 neighbor_solicitation who-has fd00::2 lladdr 6a:80:8c:54:b3:c8"
//   "icmpv6 neighbor_advertisement fd00::2 is-at f6:27:ca:3a:fa:19 solicited override"
std::string to_string(const Icmpv6Repr& m);

}  // namespace synlab::wire
