#include "stack/wire/ipv4.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "stack/wire/checksum.h"
#include "stack/wire/ip_protocol.h"

namespace synlab::wire {

namespace {

namespace field {
constexpr std::size_t kVersionIhl = 0;
constexpr std::size_t kTos = 1;
constexpr std::size_t kTotalLen = 2;
constexpr std::size_t kIdent = 4;
constexpr std::size_t kFlagsFragOffset = 6;
constexpr std::size_t kTtl = 8;
constexpr std::size_t kProtocol = 9;
constexpr std::size_t kChecksum = 10;
constexpr std::size_t kSrc = 12;
constexpr std::size_t kDst = 16;
}  // namespace field

// Bits of the 16-bit flags + fragment offset field (RFC 791 §3.1). The top bit is reserved;
// Linux ignores it on receive (ip_is_fragment() looks only at MF and the offset), so do we.
constexpr std::uint16_t kDontFragment = 0x4000;
constexpr std::uint16_t kMoreFragments = 0x2000;
constexpr std::uint16_t kFragOffsetMask = 0x1fff;

}  // namespace

Result<Ipv4Packet, WireError> Ipv4Repr::parse(Bytes packet, ChecksumCheck check) {
  if (packet.size() < kIpv4HeaderLen) return fail(WireError::kTruncated);
  if (packet[field::kVersionIhl] >> 4 != 4) return fail(WireError::kBadVersion);
  const std::size_t header_len = std::size_t{packet[field::kVersionIhl] & 0x0fu} * 4;
  if (header_len < kIpv4HeaderLen) return fail(WireError::kBadLength);
  if (packet.size() < header_len) return fail(WireError::kTruncated);
  if (check == ChecksumCheck::kVerify && internet_checksum(packet.first(header_len)) != 0) {
    return fail(WireError::kBadChecksum);
  }
  const std::size_t total_len = load_be16(&packet[field::kTotalLen]);
  // Linux counts the first as InTruncatedPkts and the second as InHdrErrors (ip_rcv_core()).
  if (packet.size() < total_len) return fail(WireError::kTruncated);
  if (total_len < header_len) return fail(WireError::kBadLength);
  const std::uint16_t frag = load_be16(&packet[field::kFlagsFragOffset]);
  if ((frag & (kMoreFragments | kFragOffsetMask)) != 0) return fail(WireError::kFragmented);

  Ipv4Packet p;
  p.repr.src = IpAddr::from_bytes(packet.subspan(field::kSrc, 4));
  p.repr.dst = IpAddr::from_bytes(packet.subspan(field::kDst, 4));
  p.repr.protocol = packet[field::kProtocol];
  p.repr.ttl = packet[field::kTtl];
  p.repr.tos = packet[field::kTos];
  p.repr.ident = load_be16(&packet[field::kIdent]);
  p.repr.dont_fragment = (frag & kDontFragment) != 0;
  p.repr.payload_len = static_cast<std::uint16_t>(total_len - header_len);
  p.payload = packet.subspan(header_len, total_len - header_len);
  p.header_len = header_len;
  return p;
}

void Ipv4Repr::emit(MutBytes out) const {
  assert(out.size() == buffer_len());
  assert(src.is_v4() && dst.is_v4());
  assert(total_len() <= 0xffff);
  out[field::kVersionIhl] = 0x45;  // version 4, IHL 5 words
  out[field::kTos] = tos;
  store_be16(&out[field::kTotalLen], static_cast<std::uint16_t>(total_len()));
  store_be16(&out[field::kIdent], ident);
  store_be16(&out[field::kFlagsFragOffset], dont_fragment ? kDontFragment : 0);
  out[field::kTtl] = ttl;
  out[field::kProtocol] = protocol;
  store_be16(&out[field::kChecksum], 0);
  std::copy_n(src.bytes().begin(), 4, &out[field::kSrc]);
  std::copy_n(dst.bytes().begin(), 4, &out[field::kDst]);
  store_be16(&out[field::kChecksum], internet_checksum(out));
}

std::string to_string(const Ipv4Repr& ip) {
  std::string s = fmt::format("ipv4 {} > {}: ", ip.src.to_string(), ip.dst.to_string());
  const std::string_view proto = ip_protocol_name(ip.protocol);
  if (proto.empty()) {
    s += fmt::format("proto {}", ip.protocol);
  } else {
    s += proto;
  }
  if (ip.tos != 0) s += fmt::format(" tos 0x{:x}", ip.tos);
  s += fmt::format(" ttl {} id {}", ip.ttl, ip.ident);
  if (ip.dont_fragment) s += " DF";
  s += fmt::format(" length {}", ip.total_len());
  return s;
}

}  // namespace synlab::wire
