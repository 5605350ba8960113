#include "stack/wire/ipv6.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "stack/wire/ip_protocol.h"

namespace synlab::wire {

namespace {

namespace field {
constexpr std::size_t kVersionClassFlow = 0;  // 4 bits version, 8 traffic class, 20 flow label
constexpr std::size_t kPayloadLen = 4;
constexpr std::size_t kNextHeader = 6;
constexpr std::size_t kHopLimit = 7;
constexpr std::size_t kSrc = 8;
constexpr std::size_t kDst = 24;
}  // namespace field

constexpr std::uint32_t kFlowLabelMask = 0xfffff;
constexpr std::size_t kFragmentHeaderLen = 8;  // RFC 8200 §4.5
constexpr std::uint8_t kOptPad1 = 0;           // RFC 8200 §4.2
constexpr std::uint8_t kOptPadN = 1;

// The TLV-encoded options of a Hop-by-Hop or Destination Options header (RFC 8200 §4.2),
// without the 2-byte header. This host recognises only padding, so an option is skipped when
// its two high "action" bits are 00 (Router Alert, 0x05, is one) and refused otherwise, as
// Linux's ip6_parse_tlv() refuses an unknown option.
bool options_acceptable(Bytes opts) {
  std::size_t i = 0;
  while (i < opts.size()) {
    const std::uint8_t type = opts[i];
    if (type == kOptPad1) {
      ++i;
      continue;
    }
    if (opts.size() - i < 2 || opts.size() - i - 2 < opts[i + 1]) return false;
    if (type != kOptPadN && (type >> 6) != 0) return false;
    i += 2 + std::size_t{opts[i + 1]};
  }
  return true;
}

}  // namespace

Result<Ipv6Packet, WireError> Ipv6Repr::parse(Bytes packet) {
  if (packet.size() < kIpv6HeaderLen) return fail(WireError::kTruncated);
  const std::uint32_t vcf = load_be32(&packet[field::kVersionClassFlow]);
  if (vcf >> 28 != 6) return fail(WireError::kBadVersion);
  const std::size_t payload_len = load_be16(&packet[field::kPayloadLen]);
  std::uint8_t next = packet[field::kNextHeader];
  if (payload_len == 0 && next == kIpProtoHopByHop) return fail(WireError::kUnsupported);
  if (packet.size() - kIpv6HeaderLen < payload_len) return fail(WireError::kTruncated);

  // Walk the extension headers (RFC 8200 §4.1 order). Each is at least 8 bytes, so the loop
  // ends within payload_len / 8 steps.
  Bytes rest = packet.subspan(kIpv6HeaderLen, payload_len);
  bool first = true;
  for (bool done = false; !done;) {
    switch (next) {
      case kIpProtoHopByHop:
      case kIpProtoDestOpts:
      case kIpProtoRouting: {
        if (next == kIpProtoHopByHop && !first) return fail(WireError::kBadOption);
        if (rest.size() < 2) return fail(WireError::kBadLength);
        const std::size_t len = (std::size_t{rest[1]} + 1) * 8;  // Hdr Ext Len: 8-byte units
        if (rest.size() < len) return fail(WireError::kBadLength);
        if (next == kIpProtoRouting) {
          if (rest[3] != 0) return fail(WireError::kUnsupported);  // Segments Left
        } else if (!options_acceptable(rest.subspan(2, len - 2))) {
          return fail(WireError::kBadOption);
        }
        next = rest[0];
        rest = rest.subspan(len);
        break;
      }
      case kIpProtoFragment: {
        if (rest.size() < kFragmentHeaderLen) return fail(WireError::kBadLength);
        // Fragment Offset (13 bits) and M (bit 0) in bytes 2-3; an atomic fragment has neither.
        if ((load_be16(&rest[2]) & 0xfff9) != 0) return fail(WireError::kFragmented);
        next = rest[0];
        rest = rest.subspan(kFragmentHeaderLen);
        break;
      }
      default:
        done = true;  // the upper-layer protocol, or one this host does not know
        break;
    }
    first = false;
  }

  Ipv6Packet p;
  p.repr.src = IpAddr::from_bytes(packet.subspan(field::kSrc, 16));
  p.repr.dst = IpAddr::from_bytes(packet.subspan(field::kDst, 16));
  p.repr.next_header = next;
  p.repr.hop_limit = packet[field::kHopLimit];
  p.repr.traffic_class = static_cast<std::uint8_t>(vcf >> 20);
  p.repr.flow_label = vcf & kFlowLabelMask;
  p.repr.payload_len = static_cast<std::uint16_t>(rest.size());
  p.payload = rest;
  p.header_len = kIpv6HeaderLen + payload_len - rest.size();
  return p;
}

void Ipv6Repr::emit(MutBytes out) const {
  assert(out.size() == buffer_len());
  assert(src.is_v6() && dst.is_v6());
  assert(flow_label <= kFlowLabelMask);
  store_be32(&out[field::kVersionClassFlow], (std::uint32_t{6} << 28) |
                                                 (std::uint32_t{traffic_class} << 20) |
                                                 (flow_label & kFlowLabelMask));
  store_be16(&out[field::kPayloadLen], payload_len);
  out[field::kNextHeader] = next_header;
  out[field::kHopLimit] = hop_limit;
  std::copy_n(src.bytes().begin(), 16, &out[field::kSrc]);
  std::copy_n(dst.bytes().begin(), 16, &out[field::kDst]);
}

std::string to_string(const Ipv6Repr& ip) {
  std::string s = fmt::format("ipv6 {} > {}: ", ip.src.to_string(), ip.dst.to_string());
  const std::string_view proto = ip_protocol_name(ip.next_header);
  if (proto.empty()) {
    s += fmt::format("next-header {}", ip.next_header);
  } else {
    s += proto;
  }
  if (ip.traffic_class != 0) s += fmt::format(" tclass 0x{:x}", ip.traffic_class);
  s += fmt::format(" hlim {}", ip.hop_limit);
  if (ip.flow_label != 0) s += fmt::format(" flow 0x{:x}", ip.flow_label);
  s += fmt::format(" length {}", ip.payload_len);
  return s;
}

}  // namespace synlab::wire
