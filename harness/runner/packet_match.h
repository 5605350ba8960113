// Matching frames a host sends against the script's expected-packet lines.
//
// A frame is decoded once (DecodedFrame), its sequence numbers are made relative to the
// connection's ISNs (SeqTracker: the sender's ISN from its SYN or SYN-ACK, the receiver's for
// acks and SACK blocks, 0 while unknown, as packetdrill and Wireshark do), and then compared
// field by field with a PacketPattern. Fields the pattern leaves out are not compared. The
// first field that differs gives the message ("wrong TCP window: expected 0, got 5840").
//
// Both sides print in script syntax so a report shows them one above the other:
//   script packet:  0.150 server > client R. 0:0(0) ack 1 win 0
//   actual packet:  0.150 server:5001 > client:40000 R. 0:0(0) ack 1 win 5840
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "harness/scenario/ast.h"
#include "stack/wire/bytes.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ip_address.h"
#include "stack/wire/tcp.h"

namespace synlab::harness {

// What a frame is, at the layer the runner checks.
struct DecodedFrame {
  enum class Kind : std::uint8_t { kTcp, kUdp, kIcmp, kIcmpv6, kArp, kNdp, kOther };
  Kind kind = Kind::kOther;
  wire::IpAddr src;  // IP addresses; ARP: sender and target protocol addresses
  wire::IpAddr dst;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  // TCP: the header as sent (absolute numbers; payload not kept).
  std::uint8_t tcp_flags = 0;
  std::uint8_t tcp_reserved = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint16_t window = 0;
  std::uint16_t urgent = 0;
  std::uint32_t payload_len = 0;  // TCP and UDP
  std::vector<std::uint8_t> tcp_options;  // the options area as sent
  // ICMP / ICMPv6
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  std::uint32_t icmp_rest = 0;
  std::optional<std::uint32_t> quoted_seq;  // the quoted TCP segment's sequence number
  std::optional<std::tuple<wire::IpAddr, std::uint16_t, wire::IpAddr, std::uint16_t>> quoted_flow;
  // ARP
  bool arp_request = false;
  std::string malformed;  // non-empty when the frame could not be decoded
};

DecodedFrame decode_frame(wire::Bytes frame);

// Connection ISNs, by direction (src, sport, dst, dport), learnt from SYNs and SYN-ACKs.
class SeqTracker {
 public:
  void observe(const DecodedFrame& f);
  // The ISN of the sender of `f` (for seq) and of its receiver (for ack), 0 when unknown.
  std::uint32_t sender_isn(const DecodedFrame& f) const;
  std::uint32_t receiver_isn(const DecodedFrame& f) const;
  // For building injected segments: the ISN of the direction src:sport -> dst:dport.
  std::uint32_t isn(const wire::IpAddr& src, std::uint16_t sport, const wire::IpAddr& dst,
                    std::uint16_t dport) const;
  void set_isn(const wire::IpAddr& src, std::uint16_t sport, const wire::IpAddr& dst,
               std::uint16_t dport, std::uint32_t isn);

 private:
  using Key = std::tuple<wire::IpAddr, std::uint16_t, wire::IpAddr, std::uint16_t>;
  std::map<Key, std::uint32_t> isn_;
};

// Who owns an address, for naming endpoints ("client"); empty when no declared host does.
using HostOfAddress = std::function<std::string(const wire::IpAddr&)>;

// The frame in script syntax with relative numbers:
//   "client:40000 > server:5001 S 0:0(0) win 64240 <mss 1460,...>"
std::string format_actual(const DecodedFrame& f, const SeqTracker& seqs, const HostOfAddress& owner);
// The script's pattern back in script syntax: "client > server S 0:0(0) win 64240 <...>".
std::string format_pattern(const PacketPattern& p);

// The endpoints match (hosts, addresses, ports): `src_host` is the host that sent the frame.
bool endpoints_match(const PacketPattern& p, const DecodedFrame& f, const std::string& src_host,
                     const HostOfAddress& owner);

// Empty when `f` matches `p` in every field `p` gives; else what differs, first field first.
// Endpoints are not compared here (see endpoints_match).
std::string compare_fields(const PacketPattern& p, const DecodedFrame& f, const SeqTracker& seqs);

}  // namespace synlab::harness
