#include "stack/wire/icmpv6.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include <fmt/format.h>

#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmp_names.h"
#include "stack/wire/icmp_quote.h"
#include "stack/wire/ip_protocol.h"

namespace synlab::wire {

namespace {

namespace field {
constexpr std::size_t kType = 0;
constexpr std::size_t kCode = 1;
constexpr std::size_t kChecksum = 2;
constexpr std::size_t kRest = 4;
constexpr std::size_t kTarget = 8;    // NS/NA (RFC 4861 §4.3, §4.4)
constexpr std::size_t kOptions = 24;  // NS/NA
}  // namespace field

// Neighbour discovery options (RFC 4861 §4.6): type, length in units of 8 bytes, data.
constexpr std::uint8_t kOptSourceLladdr = 1;
constexpr std::uint8_t kOptTargetLladdr = 2;
constexpr std::size_t kLladdrOptionLen = 8;  // Ethernet: 2 + 6 bytes, length 1 (RFC 2464 §6)

Icmpv6Repr make(Icmpv6Type type, std::uint8_t code, std::uint32_t rest, Bytes payload) {
  Icmpv6Repr m;
  m.type = type;
  m.code = code;
  m.rest = rest;
  m.payload = payload;
  return m;
}

std::uint32_t echo_rest(std::uint16_t id, std::uint16_t seq) {
  return (std::uint32_t{id} << 16) | seq;
}

// The link-layer address option an NS (source) or NA (target) carries.
std::uint8_t lladdr_option_type(Icmpv6Type t) {
  return t == Icmpv6Type::kNeighborSolicitation ? kOptSourceLladdr : kOptTargetLladdr;
}

// The options of an NS or NA (RFC 4861 §4.6): finds the link-layer address option for `type`,
// the first one if there are several (as Linux's ndisc_parse_options() keeps the first).
Result<std::optional<sim::MacAddr>, WireError> parse_lladdr_option(Bytes options,
                                                                   std::uint8_t type) {
  std::optional<sim::MacAddr> found;
  while (!options.empty()) {
    if (options.size() < 2) return fail(WireError::kBadOption);
    const std::size_t len = std::size_t{options[1]} * 8;
    if (len == 0 || len > options.size()) return fail(WireError::kBadOption);
    if (options[0] == type && !found) {
      if (len != kLladdrOptionLen) return fail(WireError::kBadOption);
      found = load_mac(&options[2]);
    }
    options = options.subspan(len);
  }
  return found;
}

// ff02::1:ffXX:XXXX (RFC 4291 §2.7.1), of any address: Linux's ipv6_addr_is_solict_mult().
bool is_solicited_node(const IpAddr& a) {
  static constexpr std::uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  return a.is_v6() && std::equal(std::begin(kPrefix), std::end(kPrefix), a.raw().begin());
}

// RFC 4861 §7.1.1 and §7.1.2, the parts that do not need the IPv6 header's hop limit.
Result<Icmpv6Repr, WireError> parse_neighbor_discovery(Icmpv6Repr m, Bytes message,
                                                       const IpAddr& src, const IpAddr& dst) {
  if (message.size() < field::kOptions) return fail(WireError::kTruncated);
  if (m.code != 0) return fail(WireError::kUnsupported);
  m.target = IpAddr::from_bytes(message.subspan(field::kTarget, 16));
  if (m.target.is_multicast()) return fail(WireError::kBadAddress);
  auto lladdr = parse_lladdr_option(message.subspan(field::kOptions), lladdr_option_type(m.type));
  if (!lladdr) return fail(lladdr.error());
  m.lladdr = *lladdr;
  m.payload = {};
  if (m.type == Icmpv6Type::kNeighborSolicitation && src.is_unspecified()) {
    // A duplicate address detection probe: to a solicited-node group, with no address to learn.
    if (!is_solicited_node(dst) || m.lladdr) return fail(WireError::kBadAddress);
  }
  if (m.type == Icmpv6Type::kNeighborAdvertisement && dst.is_multicast() &&
      m.has_na_flag(kNaSolicited)) {
    return fail(WireError::kBadFlags);
  }
  return m;
}

std::string quote_suffix(Bytes quote) {
  const auto q = parse_ipv6_quote(quote);
  return q ? " for " + to_string(*q) : fmt::format(" for <{} bytes>", quote.size());
}

}  // namespace

Icmpv6Repr Icmpv6Repr::echo_request(std::uint16_t id, std::uint16_t seq, Bytes data) {
  return make(Icmpv6Type::kEchoRequest, 0, echo_rest(id, seq), data);
}

Icmpv6Repr Icmpv6Repr::echo_reply(std::uint16_t id, std::uint16_t seq, Bytes data) {
  return make(Icmpv6Type::kEchoReply, 0, echo_rest(id, seq), data);
}

Icmpv6Repr Icmpv6Repr::dest_unreachable(Icmpv6Unreach code, Bytes quote) {
  return make(Icmpv6Type::kDestUnreachable, static_cast<std::uint8_t>(code), 0, quote);
}

Icmpv6Repr Icmpv6Repr::packet_too_big(std::uint32_t mtu, Bytes quote) {
  return make(Icmpv6Type::kPacketTooBig, 0, mtu, quote);
}

Icmpv6Repr Icmpv6Repr::time_exceeded(Icmpv6TimeExceeded code, Bytes quote) {
  return make(Icmpv6Type::kTimeExceeded, static_cast<std::uint8_t>(code), 0, quote);
}

Icmpv6Repr Icmpv6Repr::parameter_problem(Icmpv6ParamProblem code, std::uint32_t pointer,
                                         Bytes quote) {
  return make(Icmpv6Type::kParameterProblem, static_cast<std::uint8_t>(code), pointer, quote);
}

Icmpv6Repr Icmpv6Repr::neighbor_solicitation(const IpAddr& target,
                                             std::optional<sim::MacAddr> source_lladdr) {
  Icmpv6Repr m = make(Icmpv6Type::kNeighborSolicitation, 0, 0, {});
  m.target = target;
  m.lladdr = source_lladdr;
  return m;
}

Icmpv6Repr Icmpv6Repr::neighbor_advertisement(const IpAddr& target, std::uint32_t flags,
                                              std::optional<sim::MacAddr> target_lladdr) {
  assert((flags & ~(kNaRouter | kNaSolicited | kNaOverride)) == 0);
  Icmpv6Repr m = make(Icmpv6Type::kNeighborAdvertisement, 0, flags, {});
  m.target = target;
  m.lladdr = target_lladdr;
  return m;
}

Result<Icmpv6Repr, WireError> Icmpv6Repr::parse(Bytes message, const IpAddr& src, const IpAddr& dst,
                                                ChecksumCheck check) {
  if (message.size() < kIcmpv6HeaderLen) return fail(WireError::kTruncated);
  if (check == ChecksumCheck::kVerify &&
      !pseudo_header_checksum_ok(src, dst, kIpProtoIcmpv6, message)) {
    return fail(WireError::kBadChecksum);
  }
  Icmpv6Repr m = make(static_cast<Icmpv6Type>(message[field::kType]), message[field::kCode],
                      load_be32(&message[field::kRest]), message.subspan(kIcmpv6HeaderLen));
  if (m.is_neighbor_discovery()) return parse_neighbor_discovery(m, message, src, dst);
  return m;
}

std::size_t Icmpv6Repr::buffer_len() const {
  if (!is_neighbor_discovery()) return kIcmpv6HeaderLen + payload.size();
  return field::kOptions + (lladdr ? kLladdrOptionLen : 0);
}

void Icmpv6Repr::emit(MutBytes out, const IpAddr& src, const IpAddr& dst) const {
  assert(out.size() == buffer_len());
  if (is_neighbor_discovery()) {
    assert(target.is_v6());
    std::copy_n(target.bytes().begin(), 16, &out[field::kTarget]);
    if (lladdr) {
      out[field::kOptions] = lladdr_option_type(type);
      out[field::kOptions + 1] = kLladdrOptionLen / 8;
      store_mac(&out[field::kOptions + 2], *lladdr);
    }
  } else if (!payload.empty()) {
    // Payload before header, with memmove: in-place re-emission may overlap `out`.
    std::memmove(&out[kIcmpv6HeaderLen], payload.data(), payload.size());
  }
  out[field::kType] = static_cast<std::uint8_t>(type);
  out[field::kCode] = code;
  store_be16(&out[field::kChecksum], 0);
  store_be32(&out[field::kRest], rest);
  store_be16(&out[field::kChecksum], pseudo_header_checksum(src, dst, kIpProtoIcmpv6, out));
}

bool operator==(const Icmpv6Repr& a, const Icmpv6Repr& b) {
  return a.type == b.type && a.code == b.code && a.rest == b.rest && a.target == b.target &&
         a.lladdr == b.lladdr &&
         std::equal(a.payload.begin(), a.payload.end(), b.payload.begin(), b.payload.end());
}

std::string to_string(const Icmpv6Repr& m) {
  const auto type = static_cast<std::uint8_t>(m.type);
  std::string s = "icmpv6 " + icmpv6_type_keyword(type);
  const std::string code = icmpv6_code_keyword(type, m.code);
  if (m.code != 0 || !code.starts_with("code_")) s += " " + code;
  switch (m.type) {
    case Icmpv6Type::kEchoRequest:
    case Icmpv6Type::kEchoReply:
      return s + fmt::format(" id {} seq {} ({})", m.echo_id(), m.echo_seq(), m.payload.size());
    case Icmpv6Type::kPacketTooBig:
      return s + fmt::format(" mtu {}", m.mtu()) + quote_suffix(m.payload);
    case Icmpv6Type::kParameterProblem:
      return s + fmt::format(" pointer {}", m.pointer()) + quote_suffix(m.payload);
    case Icmpv6Type::kDestUnreachable:
    case Icmpv6Type::kTimeExceeded:
      return s + quote_suffix(m.payload);
    case Icmpv6Type::kNeighborSolicitation:
      s += " who-has " + m.target.to_string();
      if (m.lladdr) s += " lladdr " + m.lladdr->to_string();
      return s;
    case Icmpv6Type::kNeighborAdvertisement:
      s += " " + m.target.to_string();
      if (m.lladdr) s += " is-at " + m.lladdr->to_string();
      if (m.has_na_flag(kNaRouter)) s += " router";
      if (m.has_na_flag(kNaSolicited)) s += " solicited";
      if (m.has_na_flag(kNaOverride)) s += " override";
      return s;
  }
  if (m.is_error()) return s + quote_suffix(m.payload);
  if (m.rest != 0) s += fmt::format(" rest 0x{:08x}", m.rest);
  if (!m.payload.empty()) s += fmt::format(" ({})", m.payload.size());
  return s;
}

}  // namespace synlab::wire
