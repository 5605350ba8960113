// ICMPv4 and ICMPv6 type and code keywords, as packetdrill scripts write them
// (`icmp unreachable port_unreachable`, `icmp type_255 code_0`), both ways: keyword -> number
// for the packetdrill front end, number -> keyword for the printers.
//
// The keywords are packetdrill's (its icmp_packet.c tables), with two kinds of additions, each
// marked in icmp_names.cc: names for codes and types packetdrill has no word for (ICMPv6
// unreachable codes 5 and 6, neighbour discovery, ICMPv4 time exceeded codes), and RFC 4443
// names that packetdrill spells with RFC 2463 words (ICMPv6 unreachable code 0 is "no_route",
// packetdrill's "net_unreachable"; code 2 is "beyond_scope", packetdrill's "not_neighbour").
// Both spellings are accepted; the printers use the first.
//
// As in packetdrill, "type_N" and "code_N" (N in 0..255) name any number, and a code keyword
// is looked up in the table of its type only ("port_unreachable" is not a time_exceeded code).
// A missing code means code 0: that is the front end's rule, not these functions'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synlab::wire {

std::optional<std::uint8_t> icmpv4_type_from_keyword(std::string_view keyword);
std::optional<std::uint8_t> icmpv4_code_from_keyword(std::uint8_t type, std::string_view keyword);
// "unreachable", or "type_42" for a type without a keyword.
std::string icmpv4_type_keyword(std::uint8_t type);
// "port_unreachable", or "code_N" where the type has no keyword for the code.
std::string icmpv4_code_keyword(std::uint8_t type, std::uint8_t code);

std::optional<std::uint8_t> icmpv6_type_from_keyword(std::string_view keyword);
std::optional<std::uint8_t> icmpv6_code_from_keyword(std::uint8_t type, std::string_view keyword);
std::string icmpv6_type_keyword(std::uint8_t type);
std::string icmpv6_code_keyword(std::uint8_t type, std::uint8_t code);

}  // namespace synlab::wire
