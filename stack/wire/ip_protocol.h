// IP protocol numbers: the IPv4 Protocol field and the IPv6 Next Header field share one IANA
// registry ("Assigned Internet Protocol Numbers"), so both headers and the ICMP quote parser use
// these constants.
#pragma once

#include <cstdint>
#include <string_view>

namespace synlab::wire {

inline constexpr std::uint8_t kIpProtoHopByHop = 0;  // IPv6 Hop-by-Hop Options (RFC 8200 §4.3)
inline constexpr std::uint8_t kIpProtoIcmp = 1;
inline constexpr std::uint8_t kIpProtoTcp = 6;
inline constexpr std::uint8_t kIpProtoUdp = 17;
inline constexpr std::uint8_t kIpProtoRouting = 43;   // IPv6 Routing header (RFC 8200 §4.4)
inline constexpr std::uint8_t kIpProtoFragment = 44;  // IPv6 Fragment header (RFC 8200 §4.5)
inline constexpr std::uint8_t kIpProtoIcmpv6 = 58;
inline constexpr std::uint8_t kIpProtoNoNext = 59;    // IPv6 No Next Header (RFC 8200 §4.7)
inline constexpr std::uint8_t kIpProtoDestOpts = 60;  // IPv6 Destination Options (RFC 8200 §4.6)

// "tcp", "udp", "icmp", "icmpv6" as tcpdump names them; empty for anything else, so a printer
// can fall back to "proto N".
constexpr std::string_view ip_protocol_name(std::uint8_t p) {
  switch (p) {
    case kIpProtoIcmp:
      return "icmp";
    case kIpProtoTcp:
      return "tcp";
    case kIpProtoUdp:
      return "udp";
    case kIpProtoIcmpv6:
      return "icmpv6";
    default:
      return {};  // a byte, not an enum: most of the 256 values have no name here
  }
}

}  // namespace synlab::wire
