#include "stack/wire/icmp_names.h"

#include <gtest/gtest.h>

namespace synlab::wire {
namespace {

// Every keyword of packetdrill's tests/linux/icmp/icmp-all-types.pkt.
TEST(IcmpNames, PacketdrillV4Types) {
  const std::pair<const char*, int> types[] = {
      {"echo_reply", 0},          {"unreachable", 3},
      {"source_quench", 4},       {"redirect", 5},
      {"echo_request", 8},        {"time_exceeded", 11},
      {"parameter_problem", 12},  {"timestamp_request", 13},
      {"timestamp_reply", 14},    {"information_request", 15},
      {"information_reply", 16},  {"address_mask_request", 17},
      {"address_mask_reply", 18},
  };
  for (const auto& [name, value] : types) {
    EXPECT_EQ(icmpv4_type_from_keyword(name), value) << name;
    EXPECT_EQ(icmpv4_type_keyword(static_cast<std::uint8_t>(value)), name);
  }
}

TEST(IcmpNames, PacketdrillV4UnreachableCodes) {
  const char* codes[] = {"net_unreachable",
                         "host_unreachable",
                         "protocol_unreachable",
                         "port_unreachable",
                         "frag_needed",
                         "source_route_failed",
                         "net_unknown",
                         "host_unknown",
                         "source_host_isolated",
                         "net_prohibited",
                         "host_prohibited",
                         "net_unreachable_for_tos",
                         "host_unreachable_for_tos",
                         "packet_filtered",
                         "precedence_violation",
                         "precedence_cutoff"};
  for (int code = 0; code < 16; ++code) {
    EXPECT_EQ(icmpv4_code_from_keyword(3, codes[code]), code) << codes[code];
    EXPECT_EQ(icmpv4_code_keyword(3, static_cast<std::uint8_t>(code)), codes[code]);
  }
  EXPECT_EQ(icmpv4_code_keyword(3, 16), "code_16");
}

TEST(IcmpNames, NumericFallbacks) {
  EXPECT_EQ(icmpv4_type_from_keyword("type_255"), 255);
  EXPECT_EQ(icmpv4_type_from_keyword("type_0"), 0);
  EXPECT_EQ(icmpv4_code_from_keyword(3, "code_255"), 255);
  EXPECT_EQ(icmpv4_code_from_keyword(42, "code_1"), 1);  // any type takes code_N
  EXPECT_EQ(icmpv6_type_from_keyword("type_1"), 1);
  EXPECT_EQ(icmpv4_type_keyword(42), "type_42");
  EXPECT_EQ(icmpv4_code_keyword(8, 0), "code_0");
  for (const char* bad :
       {"type_256", "type_", "type_-1", "type_1x", "type_0001", "TYPE_1", "bogus", ""}) {
    EXPECT_EQ(icmpv4_type_from_keyword(bad), std::nullopt) << bad;
  }
}

// A code keyword belongs to its type.
TEST(IcmpNames, CodesAreLookedUpInTheirTypesTable) {
  EXPECT_EQ(icmpv4_code_from_keyword(11, "port_unreachable"), std::nullopt);
  EXPECT_EQ(icmpv4_code_from_keyword(8, "port_unreachable"), std::nullopt);
  EXPECT_EQ(icmpv6_code_from_keyword(3, "port_unreachable"), std::nullopt);
  EXPECT_EQ(icmpv6_code_from_keyword(1, "exceeded_hop_limit"), std::nullopt);
}

TEST(IcmpNames, V4TimeExceededCodes) {
  EXPECT_EQ(icmpv4_code_from_keyword(11, "exceeded_ttl"), 0);
  EXPECT_EQ(icmpv4_code_from_keyword(11, "exceeded_frag_time"), 1);
  EXPECT_EQ(icmpv4_code_keyword(11, 1), "exceeded_frag_time");
}

TEST(IcmpNames, V6TypesAndCodes) {
  EXPECT_EQ(icmpv6_type_from_keyword("unreachable"), 1);
  EXPECT_EQ(icmpv6_type_from_keyword("packet_too_big"), 2);
  EXPECT_EQ(icmpv6_type_from_keyword("time_exceeded"), 3);
  EXPECT_EQ(icmpv6_type_from_keyword("parameter_problem"), 4);
  EXPECT_EQ(icmpv6_type_from_keyword("echo_request"), 128);
  EXPECT_EQ(icmpv6_type_from_keyword("echo_reply"), 129);
  EXPECT_EQ(icmpv6_type_from_keyword("neighbor_solicitation"), 135);
  EXPECT_EQ(icmpv6_type_keyword(136), "neighbor_advertisement");
  EXPECT_EQ(icmpv6_type_keyword(200), "type_200");

  const char* unreach[] = {
      "no_route",         "admin_prohibited", "beyond_scope", "address_unreachable",
      "port_unreachable", "policy_fail",      "reject_route"};
  for (int code = 0; code < 7; ++code) {
    EXPECT_EQ(icmpv6_code_from_keyword(1, unreach[code]), code) << unreach[code];
    EXPECT_EQ(icmpv6_code_keyword(1, static_cast<std::uint8_t>(code)), unreach[code]);
  }
  EXPECT_EQ(icmpv6_code_from_keyword(3, "exceeded_hop_limit"), 0);
  EXPECT_EQ(icmpv6_code_from_keyword(3, "exceeded_frag_time"), 1);
  EXPECT_EQ(icmpv6_code_from_keyword(4, "header_field"), 0);
  EXPECT_EQ(icmpv6_code_from_keyword(4, "unknown_next_header"), 1);
  EXPECT_EQ(icmpv6_code_from_keyword(4, "unknown_option"), 2);
  EXPECT_EQ(icmpv6_code_keyword(4, 1), "unknown_next_header");
}

// packetdrill spells two ICMPv6 unreachable codes with RFC 2463's words; both are accepted.
TEST(IcmpNames, PacketdrillV6Aliases) {
  EXPECT_EQ(icmpv6_code_from_keyword(1, "net_unreachable"), 0);
  EXPECT_EQ(icmpv6_code_from_keyword(1, "not_neighbour"), 2);
  EXPECT_EQ(icmpv6_code_keyword(1, 0), "no_route");
  EXPECT_EQ(icmpv6_code_keyword(1, 2), "beyond_scope");
}

}  // namespace
}  // namespace synlab::wire
