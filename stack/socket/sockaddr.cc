#include "stack/socket/sockaddr.h"

#include <charconv>
#include <cstring>

#include "stack/wire/bytes.h"

namespace synlab::stack {

SockAddr SockAddr::v4(const wire::IpAddr& a, std::uint16_t port) {
  SockAddr s;
  s.family = kAfInet;
  s.addr = a;
  s.port = port;
  return s;
}

SockAddr SockAddr::v6(const wire::IpAddr& a, std::uint16_t port, std::uint32_t scope_id) {
  SockAddr s;
  s.family = kAfInet6;
  s.addr = a.is_v4() ? wire::IpAddr::v4_mapped(a) : a;
  s.port = port;
  s.scope_id = scope_id;
  return s;
}

std::optional<SockAddr> SockAddr::parse(std::string_view s) {
  std::uint16_t port = 0;
  auto parse_port = [&](std::string_view p) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size() || v > 65535) return false;
    port = static_cast<std::uint16_t>(v);
    return true;
  };
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view host = s.substr(1, close - 1);
    std::uint32_t scope = 0;
    if (const auto pct = host.find('%'); pct != std::string_view::npos) {
      const std::string_view sc = host.substr(pct + 1);
      auto [end, ec] = std::from_chars(sc.data(), sc.data() + sc.size(), scope);
      if (ec != std::errc() || end != sc.data() + sc.size()) return std::nullopt;
      host = host.substr(0, pct);
    }
    auto a = wire::IpAddr::parse(host);
    if (!a || !a->is_v6()) return std::nullopt;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !parse_port(rest.substr(1))) return std::nullopt;
    }
    return v6(*a, port, scope);
  }
  const auto colon = s.rfind(':');
  std::string_view host = colon == std::string_view::npos ? s : s.substr(0, colon);
  if (colon != std::string_view::npos && !parse_port(s.substr(colon + 1))) return std::nullopt;
  auto a = wire::IpAddr::parse(host);
  if (!a || !a->is_v4()) return std::nullopt;
  return v4(*a, port);
}

std::string SockAddr::to_string() const {
  switch (family) {
    case kAfInet:
      return addr.to_string() + ":" + std::to_string(port);
    case kAfInet6: {
      std::string s = "[" + addr.to_string();
      if (scope_id) s += "%" + std::to_string(scope_id);
      return s + "]:" + std::to_string(port);
    }
    default:
      return family == kAfUnspec ? "AF_UNSPEC" : "family " + std::to_string(family);
  }
}

UserAddr UserAddr::from(const SockAddr& a) {
  const int len = a.family == kAfInet6 ? kSockaddrIn6Len : kSockaddrInLen;
  return from(a, len);
}

UserAddr UserAddr::from(const SockAddr& a, int len) {
  UserAddr u;
  u.len = len;
  // sa_family is a host-order u16; the simulated ABI is little-endian x86-64 Linux.
  u.bytes[0] = static_cast<std::uint8_t>(a.family & 0xff);
  u.bytes[1] = static_cast<std::uint8_t>(a.family >> 8);
  wire::store_be16(&u.bytes[2], a.port);
  if (a.family == kAfInet6) {
    wire::store_be32(&u.bytes[4], a.flowinfo);
    std::memcpy(&u.bytes[8], a.addr.raw().data(), 16);
    // sin6_scope_id is host order.
    u.bytes[24] = static_cast<std::uint8_t>(a.scope_id);
    u.bytes[25] = static_cast<std::uint8_t>(a.scope_id >> 8);
    u.bytes[26] = static_cast<std::uint8_t>(a.scope_id >> 16);
    u.bytes[27] = static_cast<std::uint8_t>(a.scope_id >> 24);
  } else if (a.family == kAfInet) {
    std::memcpy(&u.bytes[4], a.addr.raw().data(), 4);
  }
  return u;
}

int UserAddr::family() const {
  if (pointer != Pointer::kValid || len < 2) return -1;
  return bytes[0] | (bytes[1] << 8);
}

SysResult<int> copy_from_user(const UserAddr& u) {
  // net/socket.c move_addr_to_kernel()
  if (u.len < 0 || u.len > kSockaddrStorageLen) return fail(Errno::kEINVAL);
  if (u.len == 0) return 0;
  if (u.pointer != UserAddr::Pointer::kValid) return fail(Errno::kEFAULT);
  return u.len;
}

SysResult<SockAddr> decode_in(const UserAddr& u) {
  // tcp_v4_connect(): "if (addr_len < sizeof(struct sockaddr_in)) return -EINVAL;"
  if (u.len < kSockaddrInLen) return fail(Errno::kEINVAL);
  const int fam = u.family();
  if (fam != kAfInet) return fail(Errno::kEAFNOSUPPORT);
  SockAddr s;
  s.family = kAfInet;
  s.port = wire::load_be16(&u.bytes[2]);
  s.addr = wire::IpAddr::v4(u.bytes[4], u.bytes[5], u.bytes[6], u.bytes[7]);
  return s;
}

SysResult<SockAddr> decode_in6(const UserAddr& u) {
  // tcp_v6_connect(): "if (addr_len < SIN6_LEN_RFC2133) return -EINVAL;" (24 bytes: a
  // sockaddr_in6 without sin6_scope_id is accepted, with scope 0).
  if (u.len < 24) return fail(Errno::kEINVAL);
  const int fam = u.family();
  if (fam != kAfInet6) return fail(Errno::kEAFNOSUPPORT);
  SockAddr s;
  s.family = kAfInet6;
  s.port = wire::load_be16(&u.bytes[2]);
  s.flowinfo = wire::load_be32(&u.bytes[4]);
  std::array<std::uint8_t, 16> a{};
  std::memcpy(a.data(), &u.bytes[8], 16);
  s.addr = wire::IpAddr::v6(a);
  if (u.len >= kSockaddrIn6Len) {
    s.scope_id = std::uint32_t{u.bytes[24]} | (std::uint32_t{u.bytes[25]} << 8) |
                 (std::uint32_t{u.bytes[26]} << 16) | (std::uint32_t{u.bytes[27]} << 24);
  }
  return s;
}

}  // namespace synlab::stack
