#include "stack/wire/icmpv4.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include <fmt/format.h>

#include "stack/wire/checksum.h"
#include "stack/wire/icmp_names.h"
#include "stack/wire/icmp_quote.h"

namespace synlab::wire {

namespace {

namespace field {
constexpr std::size_t kType = 0;
constexpr std::size_t kCode = 1;
constexpr std::size_t kChecksum = 2;
constexpr std::size_t kRest = 4;
}  // namespace field

Icmpv4Repr make(Icmpv4Type type, std::uint8_t code, std::uint32_t rest, Bytes payload) {
  Icmpv4Repr m;
  m.type = type;
  m.code = code;
  m.rest = rest;
  m.payload = payload;
  return m;
}

std::uint32_t echo_rest(std::uint16_t id, std::uint16_t seq) {
  return (std::uint32_t{id} << 16) | seq;
}

// " for tcp 10.0.0.1:1 > 10.0.0.2:2 seq 3", or " for <N bytes>" when the quote is unreadable.
std::string quote_suffix(Bytes quote) {
  const auto q = parse_ipv4_quote(quote);
  return q ? " for " + to_string(*q) : fmt::format(" for <{} bytes>", quote.size());
}

}  // namespace

Icmpv4Repr Icmpv4Repr::echo_request(std::uint16_t id, std::uint16_t seq, Bytes data) {
  return make(Icmpv4Type::kEchoRequest, 0, echo_rest(id, seq), data);
}

Icmpv4Repr Icmpv4Repr::echo_reply(std::uint16_t id, std::uint16_t seq, Bytes data) {
  return make(Icmpv4Type::kEchoReply, 0, echo_rest(id, seq), data);
}

Icmpv4Repr Icmpv4Repr::dest_unreachable(Icmpv4Unreach code, Bytes quote,
                                        std::uint16_t next_hop_mtu) {
  assert(next_hop_mtu == 0 || code == Icmpv4Unreach::kFragNeeded);
  return make(Icmpv4Type::kDestUnreachable, static_cast<std::uint8_t>(code), next_hop_mtu, quote);
}

Icmpv4Repr Icmpv4Repr::time_exceeded(Icmpv4TimeExceeded code, Bytes quote) {
  return make(Icmpv4Type::kTimeExceeded, static_cast<std::uint8_t>(code), 0, quote);
}

bool Icmpv4Repr::is_error() const {
  switch (type) {
    case Icmpv4Type::kDestUnreachable:
    case Icmpv4Type::kSourceQuench:
    case Icmpv4Type::kRedirect:
    case Icmpv4Type::kTimeExceeded:
    case Icmpv4Type::kParameterProblem:
      return true;
    case Icmpv4Type::kEchoReply:
    case Icmpv4Type::kEchoRequest:
      return false;
  }
  return false;  // a type without an enumerator: informational or unknown
}

Result<Icmpv4Repr, WireError> Icmpv4Repr::parse(Bytes message, ChecksumCheck check) {
  if (message.size() < kIcmpv4HeaderLen) return fail(WireError::kTruncated);
  if (check == ChecksumCheck::kVerify && internet_checksum(message) != 0) {
    return fail(WireError::kBadChecksum);
  }
  return make(static_cast<Icmpv4Type>(message[field::kType]), message[field::kCode],
              load_be32(&message[field::kRest]), message.subspan(kIcmpv4HeaderLen));
}

void Icmpv4Repr::emit(MutBytes out) const {
  assert(out.size() == buffer_len());
  // Payload before header, with memmove: when a message is re-emitted in place, the payload
  // may overlap `out`, even the header bytes about to be written.
  if (!payload.empty()) std::memmove(&out[kIcmpv4HeaderLen], payload.data(), payload.size());
  out[field::kType] = static_cast<std::uint8_t>(type);
  out[field::kCode] = code;
  store_be16(&out[field::kChecksum], 0);
  store_be32(&out[field::kRest], rest);
  store_be16(&out[field::kChecksum], internet_checksum(out));
}

bool operator==(const Icmpv4Repr& a, const Icmpv4Repr& b) {
  return a.type == b.type && a.code == b.code && a.rest == b.rest &&
         std::equal(a.payload.begin(), a.payload.end(), b.payload.begin(), b.payload.end());
}

std::string to_string(const Icmpv4Repr& m) {
  const auto type = static_cast<std::uint8_t>(m.type);
  std::string s = "icmp " + icmpv4_type_keyword(type);
  const std::string code = icmpv4_code_keyword(type, m.code);
  if (m.code != 0 || !code.starts_with("code_")) s += " " + code;
  switch (m.type) {
    case Icmpv4Type::kEchoRequest:
    case Icmpv4Type::kEchoReply:
      return s + fmt::format(" id {} seq {} ({})", m.echo_id(), m.echo_seq(), m.payload.size());
    case Icmpv4Type::kDestUnreachable:
      if (m.unreach_code() == Icmpv4Unreach::kFragNeeded) {
        s += fmt::format(" mtu {}", m.next_hop_mtu());
      }
      return s + quote_suffix(m.payload);
    case Icmpv4Type::kRedirect:
      return s + " gateway " + IpAddr::v4_from_u32(m.rest).to_string() + quote_suffix(m.payload);
    case Icmpv4Type::kParameterProblem:
      return s + fmt::format(" pointer {}", m.rest >> 24) + quote_suffix(m.payload);
    case Icmpv4Type::kSourceQuench:
    case Icmpv4Type::kTimeExceeded:
      return s + quote_suffix(m.payload);
  }
  if (m.rest != 0) s += fmt::format(" rest 0x{:08x}", m.rest);
  if (!m.payload.empty()) s += fmt::format(" ({})", m.payload.size());
  return s;
}

}  // namespace synlab::wire
