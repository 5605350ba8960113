#include "stack/wire/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace synlab::wire {

IpAddr IpAddr::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() == 4) return v4(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (bytes.size() == 16) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), bytes.data(), 16);
    return v6(b);
  }
  return IpAddr();
}

IpAddr IpAddr::v4_mapped(const IpAddr& v4addr) {
  std::array<std::uint8_t, 16> b{};
  b[10] = 0xff;
  b[11] = 0xff;
  std::memcpy(&b[12], v4addr.b_.data(), 4);
  return v6(b);
}

std::optional<IpAddr> IpAddr::parse(std::string_view s) {
  if (s.empty() || s.size() > 63) return std::nullopt;
  char buf[64];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (s.find(':') == std::string_view::npos) {
    in_addr a{};
    if (inet_pton(AF_INET, buf, &a) != 1) return std::nullopt;
    return from_bytes({reinterpret_cast<const std::uint8_t*>(&a), 4});
  }
  in6_addr a{};
  if (inet_pton(AF_INET6, buf, &a) != 1) return std::nullopt;
  return from_bytes({a.s6_addr, 16});
}

bool IpAddr::is_unspecified() const {
  for (std::uint8_t x : bytes()) {
    if (x != 0) return false;
  }
  return true;
}

bool IpAddr::is_loopback() const {
  if (is_v4()) return b_[0] == 127;
  return *this == v6_loopback();
}

bool IpAddr::is_multicast() const {
  return is_v4() ? (b_[0] & 0xf0) == 0xe0 : b_[0] == 0xff;
}

bool IpAddr::is_broadcast() const { return is_v4() && v4_u32() == 0xffffffffu; }

bool IpAddr::is_link_local() const {
  if (is_v4()) return b_[0] == 169 && b_[1] == 254;
  return b_[0] == 0xfe && (b_[1] & 0xc0) == 0x80;
}

bool IpAddr::is_v4_mapped() const {
  if (!is_v6()) return false;
  for (int i = 0; i < 10; ++i) {
    if (b_[i] != 0) return false;
  }
  return b_[10] == 0xff && b_[11] == 0xff;
}

IpAddr IpAddr::unmapped() const { return v4(b_[12], b_[13], b_[14], b_[15]); }

IpAddr IpAddr::solicited_node() const {
  std::array<std::uint8_t, 16> b{};
  b[0] = 0xff;
  b[1] = 0x02;
  b[11] = 0x01;
  b[12] = 0xff;
  b[13] = b_[13];
  b[14] = b_[14];
  b[15] = b_[15];
  return v6(b);
}

sim::MacAddr IpAddr::multicast_mac() const {
  return sim::MacAddr{{0x33, 0x33, b_[12], b_[13], b_[14], b_[15]}};
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, b_.data(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, b_.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view s) {
  const auto slash = s.find('/');
  auto addr = IpAddr::parse(s.substr(0, slash));
  if (!addr) return std::nullopt;
  const unsigned max = addr->is_v4() ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    const std::string_view l = s.substr(slash + 1);
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
    if (ec != std::errc() || p != l.data() + l.size() || len > max) return std::nullopt;
  }
  return IpPrefix{*addr, static_cast<std::uint8_t>(len)};
}

IpPrefix IpPrefix::network() const {
  std::array<std::uint8_t, 16> b = addr.raw();
  const unsigned nbytes = addr.is_v4() ? 4 : 16;
  for (unsigned i = 0; i < nbytes; ++i) {
    const int bits_left = static_cast<int>(len) - static_cast<int>(i * 8);
    if (bits_left >= 8) continue;
    if (bits_left <= 0) {
      b[i] = 0;
    } else {
      b[i] &= static_cast<std::uint8_t>(0xff << (8 - bits_left));
    }
  }
  IpAddr a = addr.is_v4() ? IpAddr::v4(b[0], b[1], b[2], b[3]) : IpAddr::v6(b);
  return IpPrefix{a, len};
}

bool IpPrefix::contains(const IpAddr& a) const {
  // Compared in place (every route lookup calls this for every route): whole bytes, then the
  // masked remainder.
  if (a.family() != addr.family()) return false;
  const unsigned max_len = addr.is_v4() ? 32 : 128;
  const unsigned bits = std::min<unsigned>(len, max_len);
  const unsigned full = bits / 8;
  if (std::memcmp(a.raw().data(), addr.raw().data(), full) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.raw()[full] & mask) == (addr.raw()[full] & mask);
}

std::string IpPrefix::to_string() const { return addr.to_string() + "/" + std::to_string(len); }

}  // namespace synlab::wire
