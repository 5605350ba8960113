// The offending datagram that an ICMP error quotes (RFC 792; RFC 4443 §2.4(c)): reading it, to
// find the socket an error is about, and cutting it, to send an error the way Linux does.
//
// Reading is lenient, because a quote is partial by design: RFC 792 promises only the IP header
// and 8 bytes of what follows (enough for ports and a TCP sequence number), RFC 1812 and RFC
// 4443 allow more, and routers truncate where they like. So the quoted total length is not
// checked against the quote, checksums are not verified, and ports and sequence number are
// reported only when enough bytes are there. Whether "enough" is enough is the stack's call:
// Linux's icmp_socket_deliver() drops an ICMPv4 error quoting fewer than IHL*4 + 8 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "sim/result.h"
#include "stack/wire/bytes.h"
#include "stack/wire/error.h"
#include "stack/wire/ip_address.h"

namespace synlab::wire {

struct QuotedPorts {
  std::uint16_t src = 0;
  std::uint16_t dst = 0;
  bool operator==(const QuotedPorts&) const = default;
};

struct IcmpQuote {
  IpAddr src;  // of the offending datagram: normally this host, the one that sent it
  IpAddr dst;
  // The upper-layer protocol (kIpProto*). For IPv6, after the extension headers that could be
  // skipped; if the quote ends inside one, that header's type.
  std::uint8_t protocol = 0;
  // The quoted bytes from the transport header on (possibly truncated). Empty for a quoted
  // non-first fragment, whose bytes are not a transport header.
  Bytes transport;
  std::optional<QuotedPorts> ports;      // TCP and UDP, when 4 bytes are quoted
  std::optional<std::uint32_t> tcp_seq;  // TCP, when 8 bytes are quoted
};

// `quote` is an ICMPv4 error's payload. Errors: kTruncated (less than the IPv4 header, or less
// than its IHL), kBadVersion, kBadLength (IHL below 5). Nothing else is checked.
Result<IcmpQuote, WireError> parse_ipv4_quote(Bytes quote);

// `quote` is an ICMPv6 error's payload. Errors: kTruncated (less than 40 bytes), kBadVersion.
// Extension headers are skipped as far as the quote allows, as Linux's icmpv6_notify() does
// with ipv6_skip_exthdr().
Result<IcmpQuote, WireError> parse_ipv6_quote(Bytes quote);

// The part of an offending IPv4 datagram to quote in an ICMP error, as Linux's __icmp_send()
// cuts it: the datagram (up to its total length, so link padding is not quoted) but no more
// than fits an error of at most min(path_mtu, 576) bytes with a 20-byte IP header (RFC 1812
// §4.3.2.3: "as much of the original datagram as possible without the length of the ICMP
// datagram exceeding 576 bytes"). That is at most 548 bytes. path_mtu is at least 68 (RFC 791).
Bytes icmpv4_error_quote(Bytes offending, std::size_t path_mtu = 576);

// The same for IPv6, as Linux's icmp6_send() cuts it: the datagram up to 40 + Payload Length,
// but at most 1280 - 40 - 8 = 1232 bytes, so the error fits the IPv6 minimum MTU (RFC 4443
// §2.4(c)).
Bytes icmpv6_error_quote(Bytes offending);

// "tcp 10.0.0.1:58141 > 10.8.0.1:80 seq 4184800532", "udp [fd00::1]:9002 > [fd00::2]:9000",
// "proto 47 10.0.0.1 > 10.0.0.2". Ports and seq appear when they were quoted.
std::string to_string(const IcmpQuote& q);

}  // namespace synlab::wire
