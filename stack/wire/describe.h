// One line per Ethernet frame, for traces, failure reports and `synlab explain`: what the frame
// is, at the deepest layer this stack understands.
//
//   10.0.0.1:35520 > 10.0.0.2:5000 S 344435096:344435096(0) win 64240 <mss 1460,...>
//   [fd00::1]:50904 > [fd00::2]:8000 . 156439076:156439076(0) ack 1163579872 win 64 <...>
//   127.0.0.3:9002 > 127.0.0.1:9000 udp (1)
//   10.0.0.2 > 10.0.0.1 icmp unreachable port_unreachable for udp 10.0.0.1:9002 > ...
//   fd00::1 > ff02::1:ff00:2 icmpv6 neighbor_solicitation who-has fd00::2 lladdr ...
//   ARP who-has 10.0.0.2 tell 10.0.0.1
//   malformed: tcp bad length (54 bytes)
//
// TCP and UDP are printed in packetdrill syntax (packetdrill_format.h) after the endpoints, with
// absolute sequence numbers. A frame that does not parse prints as "malformed: <layer> <reason>
// (N bytes)", or "unsupported: ..." for well-formed things this stack does not speak (802.2
// framing, IP fragments). Describing never fails: any bytes give a line.
#pragma once

#include <cstdint>
#include <string>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum_check.h"
#include "stack/wire/ip_address.h"

namespace synlab::wire {

// With kVerify, a frame whose IPv4, TCP, UDP, ICMP or ICMPv6 checksum is wrong is still
// described, and the line ends " [bad tcp checksum]" (or ip, udp, icmp, icmpv6). kSkip checks
// none: for captures taken where the kernel leaves checksums to offload.
std::string describe_frame(Bytes frame, ChecksumCheck check = ChecksumCheck::kVerify);

// "10.0.0.1:5000", "[fd00::1]:5000".
std::string format_endpoint(const IpAddr& addr, std::uint16_t port);

}  // namespace synlab::wire
