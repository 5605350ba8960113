// Socket addresses as the kernel receives them: bytes and a length.
//
// connect(2) gets a pointer and an addrlen from user space, and its errors depend on both:
// EINVAL for an impossible length, EFAULT for a bad pointer, EAFNOSUPPORT for a family the
// socket cannot use. `UserAddr` models that argument faithfully (the bytes of a sockaddr_in or
// sockaddr_in6 in Linux's layout, the declared length, and whether the pointer is valid), and
// `decode_*` apply the checks in the kernel's order. `SockAddr` is the decoded value that the
// rest of the stack works with.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stack/socket/errno.h"
#include "stack/wire/ip_address.h"

namespace synlab::stack {

// Linux's values (include/linux/socket.h). The simulated API uses them on every build host.
inline constexpr int kAfUnspec = 0;
inline constexpr int kAfInet = 2;
inline constexpr int kAfInet6 = 10;
inline constexpr int kSockaddrInLen = 16;    // sizeof(struct sockaddr_in)
inline constexpr int kSockaddrIn6Len = 28;   // sizeof(struct sockaddr_in6)
inline constexpr int kSockaddrStorageLen = 128;

struct SockAddr {
  int family = kAfUnspec;
  wire::IpAddr addr;          // for AF_INET6 this is the 16-byte address (maybe v4-mapped)
  std::uint16_t port = 0;
  std::uint32_t scope_id = 0;  // sin6_scope_id
  std::uint32_t flowinfo = 0;  // sin6_flowinfo

  static SockAddr v4(const wire::IpAddr& a, std::uint16_t port);
  static SockAddr v6(const wire::IpAddr& a, std::uint16_t port, std::uint32_t scope_id = 0);
  static SockAddr unspec() { return SockAddr{}; }
  // "10.0.0.2:8080", "[fe80::2%2]:8080", "[::ffff:127.0.0.1]:5000"; the family follows the
  // address (an IPv4-mapped literal in brackets is AF_INET6).
  static std::optional<SockAddr> parse(std::string_view s);

  std::string to_string() const;
  bool operator==(const SockAddr&) const = default;
};

// A sockaddr argument as user space passes it.
struct UserAddr {
  enum class Pointer : std::uint8_t { kValid, kNull, kBad };

  Pointer pointer = Pointer::kValid;
  std::array<std::uint8_t, kSockaddrStorageLen> bytes{};
  int len = 0;  // the declared addrlen (may be anything, even negative)

  // Encodes `a` as Linux lays out sockaddr_in / sockaddr_in6 (family in host byte order at
  // offset 0, port and address in network order) with the matching length; AF_UNSPEC gives a
  // zeroed sockaddr of 16 bytes with family 0.
  static UserAddr from(const SockAddr& a);
  // The same bytes with another declared length.
  static UserAddr from(const SockAddr& a, int len);
  static UserAddr null(int len) { UserAddr u; u.pointer = Pointer::kNull; u.len = len; return u; }
  static UserAddr bad(int len) { UserAddr u; u.pointer = Pointer::kBad; u.len = len; return u; }

  // The family field, when the pointer is valid and at least 2 bytes are declared.
  int family() const;
};

// move_addr_to_kernel(): the length must be 0..128 (EINVAL), and a non-empty copy from a bad
// or NULL pointer fails with EFAULT. Returns the number of bytes the kernel copied.
SysResult<int> copy_from_user(const UserAddr& u);

// The address of an AF_INET socket's connect/bind (tcp_v4_connect, inet_bind), after the
// generic checks: len < 16 -> EINVAL; family must be AF_INET (or AF_UNSPEC where the caller
// allows it) else EAFNOSUPPORT.
SysResult<SockAddr> decode_in(const UserAddr& u);
// For AF_INET6 sockets (tcp_v6_connect, inet6_bind): len < 24 (SIN6_LEN_RFC2133) -> EINVAL;
// AF_INET6, or AF_INET on a dual-stack socket where the caller handles it.
SysResult<SockAddr> decode_in6(const UserAddr& u);

}  // namespace synlab::stack
