#include "stack/wire/icmp_quote.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"

namespace synlab::wire {

namespace {

constexpr std::size_t kIpv4ErrorMaxLen = 576;  // RFC 1812 §4.3.2.3

// Ports (and TCP's sequence number) from the first bytes of a quoted transport header.
void read_transport(IcmpQuote& q) {
  const bool has_ports = q.protocol == kIpProtoTcp || q.protocol == kIpProtoUdp;
  if (has_ports && q.transport.size() >= 4) {
    q.ports = QuotedPorts{load_be16(&q.transport[0]), load_be16(&q.transport[2])};
  }
  if (q.protocol == kIpProtoTcp && q.transport.size() >= 8) q.tcp_seq = load_be32(&q.transport[4]);
}

std::string endpoint(const IpAddr& a, std::uint16_t port) {
  return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), port)
                   : fmt::format("{}:{}", a.to_string(), port);
}

}  // namespace

Result<IcmpQuote, WireError> parse_ipv4_quote(Bytes quote) {
  if (quote.size() < kIpv4HeaderLen) return fail(WireError::kTruncated);
  if (quote[0] >> 4 != 4) return fail(WireError::kBadVersion);
  const std::size_t header_len = std::size_t{quote[0] & 0x0fu} * 4;
  if (header_len < kIpv4HeaderLen) return fail(WireError::kBadLength);
  if (quote.size() < header_len) return fail(WireError::kTruncated);
  IcmpQuote q;
  q.src = IpAddr::from_bytes(quote.subspan(12, 4));
  q.dst = IpAddr::from_bytes(quote.subspan(16, 4));
  q.protocol = quote[9];
  // A quote longer than the datagram it quotes has padding after it; a shorter one is the norm.
  const std::size_t total_len = std::max<std::size_t>(load_be16(&quote[2]), header_len);
  const std::size_t fragment_offset = load_be16(&quote[6]) & 0x1fff;
  if (fragment_offset == 0) {
    q.transport = quote.subspan(header_len, std::min(quote.size(), total_len) - header_len);
  }
  read_transport(q);
  return q;
}

Result<IcmpQuote, WireError> parse_ipv6_quote(Bytes quote) {
  if (quote.size() < kIpv6HeaderLen) return fail(WireError::kTruncated);
  if (quote[0] >> 4 != 6) return fail(WireError::kBadVersion);
  IcmpQuote q;
  q.src = IpAddr::from_bytes(quote.subspan(8, 16));
  q.dst = IpAddr::from_bytes(quote.subspan(24, 16));
  const std::size_t payload_len = load_be16(&quote[4]);
  Bytes rest = quote.subspan(kIpv6HeaderLen, std::min(quote.size() - kIpv6HeaderLen, payload_len));
  std::uint8_t next = quote[6];
  // Each extension header is at least 8 bytes, so this ends within rest.size() / 8 steps.
  for (;;) {
    if (next == kIpProtoHopByHop || next == kIpProtoRouting || next == kIpProtoDestOpts) {
      if (rest.size() < 2 || rest.size() < (std::size_t{rest[1]} + 1) * 8) break;
      const std::size_t len = (std::size_t{rest[1]} + 1) * 8;
      next = rest[0];
      rest = rest.subspan(len);
    } else if (next == kIpProtoFragment) {
      if (rest.size() < 8) break;
      next = rest[0];
      const bool first_fragment = (load_be16(&rest[2]) & 0xfff8) == 0;
      rest = first_fragment ? rest.subspan(8) : Bytes{};
      if (!first_fragment) break;
    } else {
      break;
    }
  }
  q.protocol = next;
  q.transport = rest;
  read_transport(q);
  return q;
}

Bytes icmpv4_error_quote(Bytes offending, std::size_t path_mtu) {
  assert(path_mtu >= 68);
  const std::size_t room = std::min(path_mtu, kIpv4ErrorMaxLen) - kIpv4HeaderLen - kIcmpv4HeaderLen;
  std::size_t len = offending.size();
  // Linux quotes skb->len, which ip_rcv_core() trimmed to the total length.
  if (len >= 4) {
    const std::size_t total_len = load_be16(&offending[2]);
    if (total_len >= kIpv4HeaderLen && total_len < len) len = total_len;
  }
  return offending.first(std::min(len, room));
}

Bytes icmpv6_error_quote(Bytes offending) {
  std::size_t len = offending.size();
  // Linux quotes skb->len, which ipv6_rcv() trimmed to 40 + Payload Length.
  if (len >= kIpv6HeaderLen) len = std::min(len, kIpv6HeaderLen + load_be16(&offending[4]));
  return offending.first(std::min(len, kIcmpv6ErrorMaxQuote));
}

std::string to_string(const IcmpQuote& q) {
  const std::string_view name = ip_protocol_name(q.protocol);
  std::string s = name.empty() ? fmt::format("proto {}", q.protocol) : std::string(name);
  if (q.ports) {
    s += fmt::format(" {} > {}", endpoint(q.src, q.ports->src), endpoint(q.dst, q.ports->dst));
  } else {
    s += fmt::format(" {} > {}", q.src.to_string(), q.dst.to_string());
  }
  if (q.tcp_seq) s += fmt::format(" seq {}", *q.tcp_seq);
  return s;
}

}  // namespace synlab::wire
