// libowfat's socket API (Felix von Leitner's reimplementation of djb's socket_* functions)
// over a simulated host, with the library's own semantics: the same system calls in the same
// order, the same sockaddr layouts, the same errno left behind. What it is for: a program
// written against libowfat (the DESIGN's socket_connect6 / socket_connected reference page)
// can be replayed here, and a scenario can show where libowfat's view differs from the BSD
// calls it wraps.
//
// Shapes. libowfat returns an int (or ssize_t) and sets errno; here a call that never blocks
// returns SysResult<int> (the value on success, the errno as the error) and out-parameters
// (ip, port, scope_id) come back in a struct. A call that may block takes a Done continuation
// and a ThreadId, like Host::connect. IP addresses are wire::IpAddr: 4 bytes for the *4
// functions, 16 for the *6 ones (IPv4 peers as ::ffff:a.b.c.d, as libowfat gives them).
//
// `noipv6`: libowfat sets this global when socket(AF_INET6) fails and then quietly uses IPv4
// sockets. A simulated host always has IPv6, so it is never set here; the *6 calls always
// build a sockaddr_in6, exactly as libowfat does on a Linux with IPv6.
//
// Function by function (libowfat prototype; what it returns; how it differs from the BSD call):
//
//   int socket_tcp4(void);  int socket_tcp4b(void);
//     socket(AF_INET, SOCK_STREAM, IPPROTO_TCP): the fd. socket_tcp4 then turns O_NONBLOCK on
//     (ndelay_on), closing the socket if that fails; the "b" variant stays blocking.
//   int socket_tcp6(void);  int socket_tcp6b(void);
//     socket_tcp6 (libowfat 0.32, where SOCK_NONBLOCK exists) is one call,
//     socket(AF_INET6, SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP): IPV6_V6ONLY is left alone, so
//     it follows net.ipv6.bindv6only (0 by default: dual-stack). socket_tcp6b is
//     socket(AF_INET6, SOCK_STREAM, 0), then setsockopt(IPV6_V6ONLY, 0) whatever bindv6only
//     says (its result ignored): always dual-stack, blocking. (With no IPv6 in the kernel
//     tcp6b would fall back to AF_INET and set noipv6.)
//   int socket_udp4(void);  int socket_udp6(void);
//     socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) / (AF_INET6, SOCK_DGRAM, 0) + IPV6_V6ONLY 0,
//     both made non-blocking (current libowfat; udp4b/udp6b stay blocking).
//   int socket_bind4(int s, const char ip[4], uint16 port);
//   int socket_bind4_reuse(int s, const char ip[4], uint16 port);
//     bind() with a sockaddr_in: 0. The _reuse variant first sets SO_REUSEADDR (its result
//     ignored).
//   int socket_bind6(int s, const char ip[16], uint16 port, uint32 scope_id);
//   int socket_bind6_reuse(...);
//     bind() with a sockaddr_in6 carrying scope_id (so a link-local address needs it). On an
//     AF_INET socket the kernel says EAFNOSUPPORT (inet_bind); libowfat only falls back to
//     socket_bind4 when noipv6 is set.
//   int socket_connect4(int s, const char ip[4], uint16 port);
//     connect() with a sockaddr_in: 0, or -1 with EINPROGRESS on a non-blocking socket. On an
//     AF_INET6 socket the kernel says EINVAL (a 16-byte sockaddr is too short for it).
//   int socket_connect6(int s, const char ip[16], uint16 port, uint32 scope_id);
//     connect() with a sockaddr_in6 (port, address, scope_id; flowinfo 0). An IPv4-mapped
//     address goes to the kernel as it is: on socket_tcp6's dual-stack socket that is an IPv4
//     connection. Only with noipv6 set would libowfat call socket_connect4 with the last 4
//     bytes (and ::1 as 127.0.0.1). On an AF_INET socket: EAFNOSUPPORT.
//   int socket_connected(int s);
//     getpeername(): 1 when it works, else 0 with errno set. Here: 1, or the error. Note what
//     the errno is: getpeername's, so ENOTCONN both while the handshake is still going and after
//     it failed (refused, timed out), never ECONNREFUSED. The real cause is SO_ERROR's (or the
//     next read's); libowfat's man page says "setting errno appropriately", and this is what
//     that means on Linux.
//   int socket_listen(int s, unsigned int backlog);
//     listen(): 0. The unsigned backlog goes through as an int (so huge values become
//     negative and Linux caps them at somaxconn).
//   int socket_accept4(int s, char ip[4], uint16* port);
//   int socket_accept6(int s, char ip[16], uint16* port, uint32* scope_id);
//     accept() (accept4 with no flags): the new fd, blocking whatever the listener is. accept4
//     reads the peer from a sockaddr_in-sized buffer: on an AF_INET6 listener the kernel's
//     sockaddr_in6 is cut to 16 bytes, so the "address" is sin6_flowinfo (0.0.0.0) and only the
//     port is right. accept6 gives IPv4 peers as ::ffff:a.b.c.d and then leaves scope_id as it
//     was (0 here).
//   int socket_local4(int s, char ip[4], uint16* port);   getsockname()
//   int socket_remote4(int s, char ip[4], uint16* port);  getpeername()
//   int socket_local6(int s, char ip[16], uint16* port, uint32* scope_id);
//   int socket_remote6(int s, char ip[16], uint16* port, uint32* scope_id);
//     0 and the address; the *4 forms have accept4's truncation on AF_INET6 sockets, the *6
//     forms map IPv4 as accept6 does.
//   ssize_t socket_fastopen_connect4(int s, const char ip[4], uint16 port, const char* buf, size_t
//   len); ssize_t socket_fastopen_connect6(int s, const char ip[16], uint16 port, uint32 scope_id,
//                                    const char* buf, size_t len);
//     Current libowfat (0.34 and its git head) uses sendto(buf, len, MSG_FASTOPEN, addr)
//     when len > 0 and a plain socket_connect* when len == 0 (so no cookie request then),
//     not TCP_FASTOPEN_CONNECT. Returns what that call returns: bytes sent (a non-blocking
//     socket with a cached cookie: what the SYN carried; without one: -1 EINPROGRESS, nothing
//     queued), 0 for the len == 0 connect. Only when the kernel answers ENOTCONN or EPIPE
//     ("apparently the kernel does not support TCP fast open") does it connect and write().
//     Linux with net.ipv4.tcp_fastopen's client bit off answers EOPNOTSUPP, which libowfat
//     passes on.
//   int socket_fastopen(int s);
//     setsockopt(SOL_TCP, TCP_FASTOPEN, 5): server-side Fast Open with a queue of 5.
//   uint32 socket_getifidx(const char* ifname);      if_nametoindex(): 0 when unknown.
//   const char* socket_getifname(uint32 interface);  if_indextoname(), or "[unknown]".
//   int ndelay_on(int fd);  int ndelay_off(int fd);
//     fcntl(F_SETFL, fcntl(F_GETFL) | O_NONBLOCK) (& ~O_NONBLOCK): 0.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "stack/host.h"
#include "stack/wire/ip_address.h"

namespace synlab::stack::compat {

struct Endpoint {
  wire::IpAddr ip;
  std::uint16_t port = 0;
  std::uint32_t scope_id = 0;
};

struct AcceptedPeer {
  int fd = -1;
  Endpoint peer;
};

// --- Creating sockets ----------------------------------------------------------------------
SysResult<int> socket_tcp4(Host& h);
SysResult<int> socket_tcp4b(Host& h);
SysResult<int> socket_tcp6(Host& h);
SysResult<int> socket_tcp6b(Host& h);
SysResult<int> socket_udp4(Host& h);
SysResult<int> socket_udp4b(Host& h);
SysResult<int> socket_udp6(Host& h);
SysResult<int> socket_udp6b(Host& h);

// --- Addresses -----------------------------------------------------------------------------
// `ip` must be IPv4 for the *4 calls (an IPv4-mapped address is unmapped; anything else is
// EINVAL, which libowfat's char[4] cannot express) and is taken as 16 bytes for the *6 calls
// (an IPv4 address is passed as ::ffff:a.b.c.d).
SysResult<int> socket_bind4(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port);
SysResult<int> socket_bind4_reuse(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port);
SysResult<int> socket_bind6(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                            std::uint32_t scope_id);
SysResult<int> socket_bind6_reuse(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                                  std::uint32_t scope_id);
SysResult<Endpoint> socket_local4(Host& h, int s);
SysResult<Endpoint> socket_local6(Host& h, int s);
SysResult<Endpoint> socket_remote4(Host& h, int s);
SysResult<Endpoint> socket_remote6(Host& h, int s);

// --- Connecting and listening ----------------------------------------------------------------
// 0 when connected; a non-blocking socket gives EINPROGRESS (or the error at once).
void socket_connect4(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port, Done<int> done,
                     ThreadId thread = 0);
void socket_connect6(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                     std::uint32_t scope_id, Done<int> done, ThreadId thread = 0);
// 1 when the socket has a peer; otherwise getpeername's errno (libowfat returns 0 then).
SysResult<int> socket_connected(Host& h, int s);
SysResult<int> socket_listen(Host& h, int s, unsigned int backlog);
void socket_accept4(Host& h, int s, Done<AcceptedPeer> done, ThreadId thread = 0);
void socket_accept6(Host& h, int s, Done<AcceptedPeer> done, ThreadId thread = 0);

// --- TCP Fast Open -------------------------------------------------------------------------
// Bytes sent (see the file comment for what "sent" means on a non-blocking socket).
void socket_fastopen_connect4(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                              std::span<const std::uint8_t> buf, Done<std::size_t> done,
                              ThreadId thread = 0);
void socket_fastopen_connect6(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                              std::uint32_t scope_id, std::span<const std::uint8_t> buf,
                              Done<std::size_t> done, ThreadId thread = 0);
SysResult<int> socket_fastopen(Host& h, int s);

// --- Interfaces and flags ------------------------------------------------------------------
std::uint32_t socket_getifidx(const Host& h, std::string_view ifname);
std::string socket_getifname(const Host& h, std::uint32_t ifindex);
SysResult<int> ndelay_on(Host& h, int fd);
SysResult<int> ndelay_off(Host& h, int fd);

}  // namespace synlab::stack::compat
