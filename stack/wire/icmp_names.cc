#include "stack/wire/icmp_names.h"

#include <charconv>
#include <span>

namespace synlab::wire {

namespace {

struct Keyword {
  std::uint8_t value;
  std::string_view name;
};

// ICMPv4 types (RFC 792, RFC 950), packetdrill's names.
constexpr Keyword kV4Types[] = {
    {0, "echo_reply"},          {3, "unreachable"},
    {4, "source_quench"},       {5, "redirect"},
    {8, "echo_request"},        {11, "time_exceeded"},
    {12, "parameter_problem"},  {13, "timestamp_request"},
    {14, "timestamp_reply"},    {15, "information_request"},
    {16, "information_reply"},  {17, "address_mask_request"},
    {18, "address_mask_reply"},
};

// Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1), packetdrill's
// names.
constexpr Keyword kV4UnreachCodes[] = {
    {0, "net_unreachable"},
    {1, "host_unreachable"},
    {2, "protocol_unreachable"},
    {3, "port_unreachable"},
    {4, "frag_needed"},
    {5, "source_route_failed"},
    {6, "net_unknown"},
    {7, "host_unknown"},
    {8, "source_host_isolated"},
    {9, "net_prohibited"},
    {10, "host_prohibited"},
    {11, "net_unreachable_for_tos"},
    {12, "host_unreachable_for_tos"},
    {13, "packet_filtered"},
    {14, "precedence_violation"},
    {15, "precedence_cutoff"},
};

// Time exceeded codes (RFC 792). Not in packetdrill: named like its ICMPv6 ones.
constexpr Keyword kV4TimeExceededCodes[] = {{0, "exceeded_ttl"}, {1, "exceeded_frag_time"}};

// ICMPv6 types (RFC 4443 §2.1), packetdrill's names; neighbour discovery (RFC 4861 §4) is not
// in packetdrill and uses RFC 4861's words.
constexpr Keyword kV6Types[] = {
    {1, "unreachable"},
    {2, "packet_too_big"},
    {3, "time_exceeded"},
    {4, "parameter_problem"},
    {128, "echo_request"},
    {129, "echo_reply"},
    {133, "router_solicitation"},
    {134, "router_advertisement"},
    {135, "neighbor_solicitation"},
    {136, "neighbor_advertisement"},
    {137, "redirect"},
};

// Destination unreachable codes (RFC 4443 §3.1). The first name for a code is the one printed.
constexpr Keyword kV6UnreachCodes[] = {
    {0, "no_route"},
    {0, "net_unreachable"},  // packetdrill's alias
    {1, "admin_prohibited"},
    {2, "beyond_scope"},
    {2, "not_neighbour"},  // packetdrill's, after RFC 2463's "not a neighbor"
    {3, "address_unreachable"},
    {4, "port_unreachable"},
    {5, "policy_fail"},   // not in packetdrill; Linux ICMPV6_POLICY_FAIL
    {6, "reject_route"},  // not in packetdrill; Linux ICMPV6_REJECT_ROUTE
};

constexpr Keyword kV6TimeExceededCodes[] = {{0, "exceeded_hop_limit"}, {1, "exceeded_frag_time"}};

constexpr Keyword kV6ParamProblemCodes[] = {
    {0, "header_field"}, {1, "unknown_next_header"}, {2, "unknown_option"}};

std::span<const Keyword> v4_codes(std::uint8_t type) {
  switch (type) {
    case 3:
      return kV4UnreachCodes;  // unreachable
    case 11:
      return kV4TimeExceededCodes;  // time_exceeded
    default:
      return {};  // types without code keywords
  }
}

std::span<const Keyword> v6_codes(std::uint8_t type) {
  switch (type) {
    case 1:
      return kV6UnreachCodes;  // unreachable
    case 3:
      return kV6TimeExceededCodes;  // time_exceeded
    case 4:
      return kV6ParamProblemCodes;  // parameter_problem
    default:
      return {};  // types without code keywords
  }
}

// "type_42" / "code_7": the prefix then 1-3 decimal digits worth at most 255.
std::optional<std::uint8_t> numeric_keyword(std::string_view keyword, std::string_view prefix) {
  if (!keyword.starts_with(prefix)) return std::nullopt;
  const std::string_view digits = keyword.substr(prefix.size());
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v > 255) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

std::optional<std::uint8_t> lookup(std::span<const Keyword> table, std::string_view keyword,
                                   std::string_view numeric_prefix) {
  if (auto n = numeric_keyword(keyword, numeric_prefix)) return n;
  for (const Keyword& k : table) {
    if (k.name == keyword) return k.value;
  }
  return std::nullopt;
}

std::string name_of(std::span<const Keyword> table, std::uint8_t value,
                    std::string_view numeric_prefix) {
  for (const Keyword& k : table) {
    if (k.value == value) return std::string(k.name);
  }
  return std::string(numeric_prefix) + std::to_string(value);
}

}  // namespace

std::optional<std::uint8_t> icmpv4_type_from_keyword(std::string_view keyword) {
  return lookup(kV4Types, keyword, "type_");
}
std::optional<std::uint8_t> icmpv4_code_from_keyword(std::uint8_t type, std::string_view keyword) {
  return lookup(v4_codes(type), keyword, "code_");
}
std::string icmpv4_type_keyword(std::uint8_t type) {
  return name_of(kV4Types, type, "type_");
}
std::string icmpv4_code_keyword(std::uint8_t type, std::uint8_t code) {
  return name_of(v4_codes(type), code, "code_");
}

std::optional<std::uint8_t> icmpv6_type_from_keyword(std::string_view keyword) {
  return lookup(kV6Types, keyword, "type_");
}
std::optional<std::uint8_t> icmpv6_code_from_keyword(std::uint8_t type, std::string_view keyword) {
  return lookup(v6_codes(type), keyword, "code_");
}
std::string icmpv6_type_keyword(std::uint8_t type) {
  return name_of(kV6Types, type, "type_");
}
std::string icmpv6_code_keyword(std::uint8_t type, std::uint8_t code) {
  return name_of(v6_codes(type), code, "code_");
}

}  // namespace synlab::wire
