#include "stack/wire/describe.h"

#include <fmt/format.h>

#include <string_view>

#include "stack/wire/arp.h"
#include "stack/wire/error.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/packetdrill_format.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace synlab::wire {

namespace {

// Why a layer would not parse. Fragments and 802.2 framing are well-formed, just not spoken
// here, so they are not called malformed.
std::string failure(std::string_view layer, WireError e, std::size_t frame_len) {
  if (e == WireError::kUnsupported)
    return fmt::format("unsupported: {} ({} bytes)", layer, frame_len);
  const bool unsupported = e == WireError::kFragmented;
  return fmt::format("{}: {} {} ({} bytes)", unsupported ? "unsupported" : "malformed", layer,
                     to_string(e), frame_len);
}

// Runs parse(check). When that fails on the checksum alone, parses again without checking and
// sets `bad_checksum`: a corrupted packet is still worth describing.
template <class Parse>
auto parse_noting_checksum(Parse&& parse, ChecksumCheck check, bool& bad_checksum) {
  auto r = parse(check);
  if (!r.ok() && r.error() == WireError::kBadChecksum) {
    bad_checksum = true;
    r = parse(ChecksumCheck::kSkip);
  }
  return r;
}

std::string bad_checksum_note(bool bad, std::string_view layer) {
  return bad ? fmt::format(" [bad {} checksum]", layer) : std::string();
}

// Everything above the IP header, for either IP version.
std::string describe_transport(const IpAddr& src, const IpAddr& dst, std::uint8_t protocol,
                               Bytes payload, ChecksumCheck check, std::size_t frame_len) {
  bool bad = false;
  switch (protocol) {
    case kIpProtoTcp: {
      const auto tcp = parse_noting_checksum(
          [&](ChecksumCheck c) { return TcpRepr::parse(payload, src, dst, c); }, check, bad);
      if (!tcp.ok()) return failure("tcp", tcp.error(), frame_len);
      return fmt::format("{} > {} {}{}", format_endpoint(src, tcp->src_port),
                         format_endpoint(dst, tcp->dst_port), format_tcp(*tcp),
                         bad_checksum_note(bad, "tcp"));
    }
    case kIpProtoUdp: {
      const auto udp = parse_noting_checksum(
          [&](ChecksumCheck c) { return UdpRepr::parse(payload, src, dst, c); }, check, bad);
      if (!udp.ok()) return failure("udp", udp.error(), frame_len);
      return fmt::format("{} > {} {}{}", format_endpoint(src, udp->src_port),
                         format_endpoint(dst, udp->dst_port), format_udp(*udp),
                         bad_checksum_note(bad, "udp"));
    }
    case kIpProtoIcmp: {
      const auto icmp = parse_noting_checksum(
          [&](ChecksumCheck c) { return Icmpv4Repr::parse(payload, c); }, check, bad);
      if (!icmp.ok()) return failure("icmp", icmp.error(), frame_len);
      return fmt::format("{} > {} {}{}", src.to_string(), dst.to_string(), to_string(*icmp),
                         bad_checksum_note(bad, "icmp"));
    }
    case kIpProtoIcmpv6: {
      const auto icmp = parse_noting_checksum(
          [&](ChecksumCheck c) { return Icmpv6Repr::parse(payload, src, dst, c); }, check, bad);
      if (!icmp.ok()) return failure("icmpv6", icmp.error(), frame_len);
      return fmt::format("{} > {} {}{}", src.to_string(), dst.to_string(), to_string(*icmp),
                         bad_checksum_note(bad, "icmpv6"));
    }
    default: {
      const std::string_view name = ip_protocol_name(protocol);
      return fmt::format("{} > {} {} ({} bytes)", src.to_string(), dst.to_string(),
                         name.empty() ? fmt::format("proto {}", protocol) : std::string(name),
                         payload.size());
    }
  }
}

}  // namespace

std::string format_endpoint(const IpAddr& addr, std::uint16_t port) {
  return addr.is_v6() ? fmt::format("[{}]:{}", addr.to_string(), port)
                      : fmt::format("{}:{}", addr.to_string(), port);
}

std::string describe_frame(Bytes frame, ChecksumCheck check) {
  const auto eth = EthernetRepr::parse(frame);
  if (!eth.ok()) return failure("ethernet", eth.error(), frame.size());
  const Bytes payload = frame.subspan(kEthernetHeaderLen);

  switch (eth->ethertype) {
    case kEtherTypeArp: {
      const auto arp = ArpRepr::parse(payload);
      if (!arp.ok()) return failure("arp", arp.error(), frame.size());
      return to_string(*arp);
    }
    case kEtherTypeIpv4: {
      bool bad = false;
      const auto ip = parse_noting_checksum(
          [&](ChecksumCheck c) { return Ipv4Repr::parse(payload, c); }, check, bad);
      if (!ip.ok()) return failure("ipv4", ip.error(), frame.size());
      return describe_transport(ip->repr.src, ip->repr.dst, ip->repr.protocol, ip->payload, check,
                                frame.size()) +
             bad_checksum_note(bad, "ip");
    }
    case kEtherTypeIpv6: {
      const auto ip = Ipv6Repr::parse(payload);
      if (!ip.ok()) return failure("ipv6", ip.error(), frame.size());
      return describe_transport(ip->repr.src, ip->repr.dst, ip->repr.next_header, ip->payload,
                                check, frame.size());
    }
    default:
      return fmt::format("ethertype 0x{:04x} ({} bytes)", eth->ethertype, frame.size());
  }
}

}  // namespace synlab::wire
