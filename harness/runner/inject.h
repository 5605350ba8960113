// Building the frames of `inject` lines: a packet the script puts on a host's link as if that
// host's interface had sent it (a forged RST, an ICMP error from a router that is not
// simulated, a malformed datagram).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/scenario/ast.h"
#include "sim/mac.h"
#include "stack/wire/ip_address.h"

namespace synlab::harness {

struct InjectAddressing {
  sim::MacAddr src_mac;
  sim::MacAddr dst_mac;
  wire::IpAddr src;
  wire::IpAddr dst;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  // Absolute numbers for the pattern's relative ones.
  std::uint32_t seq_base = 0;  // the sender's ISN
  std::uint32_t ack_base = 0;  // the receiver's ISN
  // What an ICMP error quotes: the IP packet it answers (usually the last one the error's
  // destination sent), cut as the sender's stack would cut it.
  std::vector<std::uint8_t> quote;
};

// The Ethernet frame for a fully specified packet pattern. TCP fields left out take neutral
// values (no flags written is an error the parser already reports; window 65535; no options;
// ack 0). Returns an error message when the pattern cannot be built.
std::optional<std::vector<std::uint8_t>> build_inject_frame(const PacketPattern& p, const InjectAddressing& a,
                                                            std::string* error);

// An Ethernet frame around raw IP bytes (the version nibble picks the EtherType; anything
// else is sent as IPv4's EtherType, so the receiver sees a malformed IP packet).
std::vector<std::uint8_t> wrap_raw_ip(const std::vector<std::uint8_t>& ip, const sim::MacAddr& src,
                                      const sim::MacAddr& dst);

}  // namespace synlab::harness
