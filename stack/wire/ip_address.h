// IPv4 and IPv6 addresses and prefixes as one value type.
//
// An `IpAddr` is either family; IPv4 addresses use the first 4 of its 16 bytes. Text forms
// are the usual ones (RFC 4291 / RFC 5952 for IPv6, via the C library's inet_pton/inet_ntop).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sim/mac.h"

namespace synlab::wire {

enum class IpFamily : std::uint8_t { kV4 = 4, kV6 = 6 };

class IpAddr {
 public:
  constexpr IpAddr() = default;  // 0.0.0.0

  static constexpr IpAddr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    IpAddr r;
    r.b_[0] = a;
    r.b_[1] = b;
    r.b_[2] = c;
    r.b_[3] = d;
    return r;
  }
  static constexpr IpAddr v4_from_u32(std::uint32_t host_order) {
    return v4(static_cast<std::uint8_t>(host_order >> 24), static_cast<std::uint8_t>(host_order >> 16),
              static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order));
  }
  static constexpr IpAddr v6(const std::array<std::uint8_t, 16>& bytes) {
    IpAddr r;
    r.family_ = IpFamily::kV6;
    r.b_ = bytes;
    return r;
  }
  // From 4 or 16 bytes in network order; anything else gives 0.0.0.0.
  static IpAddr from_bytes(std::span<const std::uint8_t> bytes);
  static constexpr IpAddr any(IpFamily f) { return f == IpFamily::kV4 ? IpAddr() : v6({}); }
  static constexpr IpAddr v6_loopback() {
    std::array<std::uint8_t, 16> b{};
    b[15] = 1;
    return v6(b);
  }
  // ::ffff:a.b.c.d
  static IpAddr v4_mapped(const IpAddr& v4addr);

  // "10.0.0.1", "fe80::1", "::ffff:127.0.0.1". No brackets, no scope.
  static std::optional<IpAddr> parse(std::string_view s);

  constexpr IpFamily family() const { return family_; }
  constexpr bool is_v4() const { return family_ == IpFamily::kV4; }
  constexpr bool is_v6() const { return family_ == IpFamily::kV6; }
  // The address bytes in network order: 4 or 16 of them.
  std::span<const std::uint8_t> bytes() const { return {b_.data(), is_v4() ? 4u : 16u}; }
  constexpr const std::array<std::uint8_t, 16>& raw() const { return b_; }
  constexpr std::uint32_t v4_u32() const {
    return (std::uint32_t{b_[0]} << 24) | (std::uint32_t{b_[1]} << 16) | (std::uint32_t{b_[2]} << 8) |
           std::uint32_t{b_[3]};
  }

  bool is_unspecified() const;
  bool is_loopback() const;     // 127/8, ::1
  bool is_multicast() const;    // 224/4, ff00::/8
  bool is_broadcast() const;    // 255.255.255.255
  bool is_link_local() const;   // 169.254/16, fe80::/10
  bool is_v4_mapped() const;    // ::ffff:0:0/96
  // The IPv4 address inside ::ffff:a.b.c.d.
  IpAddr unmapped() const;
  // ff02::1:ffXX:XXXX for this address (RFC 4291 §2.7.1).
  IpAddr solicited_node() const;
  // The Ethernet group address for an IPv6 multicast address: 33:33 + low 32 bits (RFC 2464 §7).
  sim::MacAddr multicast_mac() const;

  std::string to_string() const;

  constexpr bool operator==(const IpAddr&) const = default;
  constexpr auto operator<=>(const IpAddr&) const = default;

 private:
  IpFamily family_ = IpFamily::kV4;
  std::array<std::uint8_t, 16> b_{};
};

// An address with a prefix length: "10.0.0.0/24", "fd00::/64".
struct IpPrefix {
  IpAddr addr;
  std::uint8_t len = 0;

  static std::optional<IpPrefix> parse(std::string_view s);
  // The prefix with host bits cleared.
  IpPrefix network() const;
  bool contains(const IpAddr& a) const;
  std::string to_string() const;
  bool operator==(const IpPrefix&) const = default;
};

}  // namespace synlab::wire
