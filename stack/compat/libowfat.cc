#include "stack/compat/libowfat.h"

#include "stack/socket/constants.h"

namespace synlab::stack::compat {
namespace {

OptVal int_opt(int x) {
  const auto u = static_cast<std::uint32_t>(x);
  return OptVal{static_cast<std::uint8_t>(u), static_cast<std::uint8_t>(u >> 8),
                static_cast<std::uint8_t>(u >> 16), static_cast<std::uint8_t>(u >> 24)};
}

// The char[4] a *4 call passes; nullopt for an address that cannot be one.
std::optional<wire::IpAddr> as_v4(const wire::IpAddr& ip) {
  if (ip.is_v4()) return ip;
  if (ip.is_v4_mapped()) return ip.unmapped();
  return std::nullopt;
}

// The char[16] a *6 call passes.
wire::IpAddr as_v6(const wire::IpAddr& ip) {
  return ip.is_v4() ? wire::IpAddr::v4_mapped(ip) : ip;
}

// struct sockaddr_in / sockaddr_in6 exactly as libowfat fills them (byte_zero, family, port,
// address; sin6_scope_id; flowinfo 0).
UserAddr sockaddr_in(const wire::IpAddr& ip4, std::uint16_t port) {
  return UserAddr::from(SockAddr::v4(ip4, port));
}
UserAddr sockaddr_in6(const wire::IpAddr& ip6, std::uint16_t port, std::uint32_t scope_id) {
  return UserAddr::from(SockAddr::v6(ip6, port, scope_id));
}

SysResult<int> ok0(const SysResult<void>& r) {
  if (!r) return fail(r.error());
  return 0;
}

// The *4 readers use a struct sockaddr_in (16 bytes). An AF_INET6 socket's sockaddr_in6 is
// cut to that size, and sin_addr then lands on sin6_flowinfo.
Endpoint endpoint4(const SockAddr& a) {
  Endpoint e;
  e.port = a.port;
  e.ip = a.family == kAfInet6 ? wire::IpAddr::v4_from_u32(a.flowinfo) : a.addr;
  return e;
}

// The *6 readers: IPv4 (an AF_INET socket's sockaddr_in) as ::ffff:a.b.c.d, scope_id left
// alone; IPv6 with its scope.
Endpoint endpoint6(const SockAddr& a) {
  Endpoint e;
  e.port = a.port;
  if (a.family == kAfInet) {
    e.ip = wire::IpAddr::v4_mapped(a.addr);
  } else {
    e.ip = a.addr;
    e.scope_id = a.scope_id;
  }
  return e;
}

SysResult<int> make_socket(Host& h, int domain, int type, int protocol, bool nonblocking) {
  auto s = h.socket(domain, type, protocol);
  if (!s) return fail(s.error());
  if (domain == kAfInet6) {
    // libowfat: "int zero=0; setsockopt(s,IPPROTO_IPV6,IPV6_V6ONLY,&zero,sizeof(zero));",
    // result ignored.
    auto r = h.setsockopt(*s, kSolIpv6, kIpv6V6only, int_opt(0));
    (void)r;
  }
  if (nonblocking) {
    if (auto r = ndelay_on(h, *s); !r) {
      h.close(*s, [](SysResult<void>) {});
      return fail(r.error());
    }
  }
  return *s;
}

void connect_with(Host& h, int s, const UserAddr& a, Done<int> done, ThreadId thread) {
  h.connect(
      s, a,
      [done = std::move(done)](SysResult<void> r) {
        if (!r) return done(fail(r.error()));
        done(0);
      },
      thread);
}

void accept_with(Host& h, int s, bool six, Done<AcceptedPeer> done, ThreadId thread) {
  h.accept(
      s, 0,
      [six, done = std::move(done)](SysResult<AcceptResult> r) {
        if (!r) return done(fail(r.error()));
        AcceptedPeer p;
        p.fd = r->fd;
        p.peer = six ? endpoint6(r->peer) : endpoint4(r->peer);
        done(p);
      },
      thread);
}

// socket_fastopen_connect*: sendto(MSG_FASTOPEN) with data, a plain connect without; connect
// + write only when the kernel says it has no Fast Open (ENOTCONN or EPIPE).
void fastopen_connect(Host& h, int s, const UserAddr& a, std::span<const std::uint8_t> buf,
                      Done<std::size_t> done, ThreadId thread) {
  std::vector<std::uint8_t> data(buf.begin(), buf.end());
  auto fallback = [&h, s, a, data, thread](Done<std::size_t> d) {
    h.connect(
        s, a,
        [&h, s, data, thread, d](SysResult<void> r) {
          if (!r) return d(fail(r.error()));
          h.send(s, data, 0, nullptr, d, thread);
        },
        thread);
  };
  auto finish = [fallback, done](SysResult<std::size_t> r) {
    if (!r && (r.error() == Errno::kENOTCONN || r.error() == Errno::kEPIPE)) {
      // "apparently the kernel does not support TCP fast open"
      return fallback(done);
    }
    done(std::move(r));
  };
  if (!data.empty()) {
    h.send(s, data, kMsgFastopen, &a, finish, thread);
    return;
  }
  h.connect(
      s, a,
      [finish](SysResult<void> r) {
        if (!r) return finish(fail(r.error()));
        finish(std::size_t{0});
      },
      thread);
}

}  // namespace

SysResult<int> socket_tcp4b(Host& h) {
  return make_socket(h, kAfInet, kSockStream, kIpprotoTcp, false);
}
SysResult<int> socket_tcp4(Host& h) {
  return make_socket(h, kAfInet, kSockStream, kIpprotoTcp, true);
}
SysResult<int> socket_tcp6b(Host& h) {
  return make_socket(h, kAfInet6, kSockStream, 0, false);
}
SysResult<int> socket_tcp6(Host& h) {
  // libowfat 0.32 (with SOCK_NONBLOCK): "return socket(PF_INET6,SOCK_STREAM|SOCK_NONBLOCK,
  // IPPROTO_TCP);" and nothing else: IPV6_V6ONLY stays what net.ipv6.bindv6only made it.
  return h.socket(kAfInet6, kSockStream | kSockNonblock, kIpprotoTcp);
}
SysResult<int> socket_udp4b(Host& h) {
  return make_socket(h, kAfInet, kSockDgram, kIpprotoUdp, false);
}
SysResult<int> socket_udp4(Host& h) {
  return make_socket(h, kAfInet, kSockDgram, kIpprotoUdp, true);
}
SysResult<int> socket_udp6b(Host& h) {
  return make_socket(h, kAfInet6, kSockDgram, 0, false);
}
SysResult<int> socket_udp6(Host& h) {
  return make_socket(h, kAfInet6, kSockDgram, 0, true);
}

SysResult<int> socket_bind4(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port) {
  const auto v4 = as_v4(ip);
  if (!v4) return fail(Errno::kEINVAL);
  return ok0(h.bind(s, sockaddr_in(*v4, port)));
}

SysResult<int> socket_bind4_reuse(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port) {
  auto r = h.setsockopt(s, kSolSocket, kSoReuseaddr, int_opt(1));
  (void)r;  // libowfat ignores it; bind() reports a bad fd anyway
  return socket_bind4(h, s, ip, port);
}

SysResult<int> socket_bind6(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                            std::uint32_t scope_id) {
  return ok0(h.bind(s, sockaddr_in6(as_v6(ip), port, scope_id)));
}

SysResult<int> socket_bind6_reuse(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                                  std::uint32_t scope_id) {
  auto r = h.setsockopt(s, kSolSocket, kSoReuseaddr, int_opt(1));
  (void)r;
  return socket_bind6(h, s, ip, port, scope_id);
}

SysResult<Endpoint> socket_local4(Host& h, int s) {
  auto a = h.getsockname(s);
  if (!a) return fail(a.error());
  return endpoint4(*a);
}

SysResult<Endpoint> socket_local6(Host& h, int s) {
  auto a = h.getsockname(s);
  if (!a) return fail(a.error());
  return endpoint6(*a);
}

SysResult<Endpoint> socket_remote4(Host& h, int s) {
  auto a = h.getpeername(s);
  if (!a) return fail(a.error());
  return endpoint4(*a);
}

SysResult<Endpoint> socket_remote6(Host& h, int s) {
  auto a = h.getpeername(s);
  if (!a) return fail(a.error());
  return endpoint6(*a);
}

void socket_connect4(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port, Done<int> done,
                     ThreadId thread) {
  const auto v4 = as_v4(ip);
  if (!v4) return done(fail(Errno::kEINVAL));
  connect_with(h, s, sockaddr_in(*v4, port), std::move(done), thread);
}

void socket_connect6(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                     std::uint32_t scope_id, Done<int> done, ThreadId thread) {
  connect_with(h, s, sockaddr_in6(as_v6(ip), port, scope_id), std::move(done), thread);
}

SysResult<int> socket_connected(Host& h, int s) {
  auto a = h.getpeername(s);
  if (!a) return fail(a.error());
  return 1;
}

SysResult<int> socket_listen(Host& h, int s, unsigned int backlog) {
  return ok0(h.listen(s, static_cast<int>(backlog)));
}

void socket_accept4(Host& h, int s, Done<AcceptedPeer> done, ThreadId thread) {
  accept_with(h, s, false, std::move(done), thread);
}

void socket_accept6(Host& h, int s, Done<AcceptedPeer> done, ThreadId thread) {
  accept_with(h, s, true, std::move(done), thread);
}

void socket_fastopen_connect4(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                              std::span<const std::uint8_t> buf, Done<std::size_t> done,
                              ThreadId thread) {
  const auto v4 = as_v4(ip);
  if (!v4) return done(fail(Errno::kEINVAL));
  fastopen_connect(h, s, sockaddr_in(*v4, port), buf, std::move(done), thread);
}

void socket_fastopen_connect6(Host& h, int s, const wire::IpAddr& ip, std::uint16_t port,
                              std::uint32_t scope_id, std::span<const std::uint8_t> buf,
                              Done<std::size_t> done, ThreadId thread) {
  fastopen_connect(h, s, sockaddr_in6(as_v6(ip), port, scope_id), buf, std::move(done), thread);
}

SysResult<int> socket_fastopen(Host& h, int s) {
  // "setsockopt(s,SOL_TCP,TCP_FASTOPEN,(int[]){ 5 }, sizeof(int))"
  return ok0(h.setsockopt(s, kSolTcp, kTcpFastopen, int_opt(5)));
}

std::uint32_t socket_getifidx(const Host& h, std::string_view ifname) {
  for (const auto& i : h.interfaces) {
    if (i.name == ifname) return static_cast<std::uint32_t>(i.ifindex);
  }
  return 0;
}

std::string socket_getifname(const Host& h, std::uint32_t ifindex) {
  for (const auto& i : h.interfaces) {
    if (static_cast<std::uint32_t>(i.ifindex) == ifindex) return i.name;
  }
  return "[unknown]";
}

SysResult<int> ndelay_on(Host& h, int fd) {
  auto fl = h.fcntl(fd, kFGetfl, 0);
  const long flags = fl ? *fl : -1;  // libowfat passes fcntl's -1 straight on
  return h.fcntl(fd, kFSetfl, flags | kONonblock);
}

SysResult<int> ndelay_off(Host& h, int fd) {
  auto fl = h.fcntl(fd, kFGetfl, 0);
  const long flags = fl ? *fl : -1;
  return h.fcntl(fd, kFSetfl, flags & ~static_cast<long>(kONonblock));
}

}  // namespace synlab::stack::compat
