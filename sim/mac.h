// Ethernet (MAC-48) addresses. Lives in sim/ because a simulated switch forwards by them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synlab::sim {

struct MacAddr {
  std::array<std::uint8_t, 6> b{};

  static constexpr MacAddr broadcast() { return MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  // A locally administered unicast address (02:xx:...) derived from a small integer, so
  // captures show stable, recognisable MACs: 02:00:00:00:00:01 for the first interface.
  static constexpr MacAddr local(std::uint32_t n) {
    return MacAddr{{0x02, 0x00, static_cast<std::uint8_t>(n >> 24),
                    static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                    static_cast<std::uint8_t>(n)}};
  }
  static std::optional<MacAddr> parse(std::string_view s);  // "02:00:00:00:00:01"

  constexpr bool is_broadcast() const { return *this == broadcast(); }
  // Group bit: broadcast and multicast (33:33:... for IPv6 neighbour discovery).
  constexpr bool is_multicast() const { return (b[0] & 1) != 0; }
  constexpr bool operator==(const MacAddr&) const = default;
  constexpr auto operator<=>(const MacAddr&) const = default;

  std::string to_string() const;
};

}  // namespace synlab::sim
