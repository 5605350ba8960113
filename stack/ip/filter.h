// A packet filter, in the spirit of nftables: three chains of rules (input, output, forward),
// first match wins, default accept. It is how a scenario makes a host drop SYNs (the
// "blackhole" peer of the reference measurements) or a router answer with an ICMP error or a
// TCP reset, exactly as `nft ... reject with icmp type admin-prohibited` does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/wire/ip_address.h"

namespace synlab::stack {

enum class FilterChain : std::uint8_t { kInput, kOutput, kForward };
enum class FilterVerdict : std::uint8_t { kAccept, kDrop, kReject };

struct FilterRule {
  FilterChain chain = FilterChain::kInput;
  std::optional<std::uint8_t> protocol;   // 6 tcp, 17 udp, 1 icmp, 58 icmpv6
  std::optional<wire::IpPrefix> src, dst;
  std::optional<std::uint16_t> sport, dport;
  std::uint8_t tcp_flags_mask = 0;        // match when (flags & mask) == value
  std::uint8_t tcp_flags_value = 0;
  FilterVerdict verdict = FilterVerdict::kDrop;
  // For kReject: an ICMP/ICMPv6 type and code, or a TCP reset.
  bool reject_with_tcp_reset = false;
  std::uint8_t icmp_type = 3, icmp_code = 3;  // port unreachable by default (nft's default)
  std::string text;  // the rule as written, for traces
  std::uint64_t hits = 0;
};

// What a filter needs to know about a packet.
struct FilterPacket {
  wire::IpAddr src, dst;
  std::uint8_t protocol = 0;
  std::uint16_t sport = 0, dport = 0;
  std::uint8_t tcp_flags = 0;
};

class Filter {
 public:
  void add(FilterRule r) { rules_.push_back(std::move(r)); }
  void clear() { rules_.clear(); }
  // The first matching rule in `chain`, or null (accept).
  FilterRule* match(FilterChain chain, const FilterPacket& p);
  const std::vector<FilterRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }

 private:
  std::vector<FilterRule> rules_;
};

}  // namespace synlab::stack
