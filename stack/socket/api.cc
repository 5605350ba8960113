// The BSD socket API of a simulated host: argument checks in Linux's order (fd, length,
// address, socket type, family), then the protocol, then blocking.
//
// Linux: net/socket.c (__sys_connect, __sys_bind, __sys_listen, __sys_accept4,
// move_addr_to_kernel), net/ipv4/af_inet.c (__inet_stream_connect, inet_bind, inet_listen,
// inet_shutdown, inet_getname, inet_dgram_connect), net/ipv6/af_inet6.c (__inet6_bind).
#include <algorithm>
#include <memory>

#include "stack/host.h"
#include "stack/socket/constants.h"
#include "stack/socket/wait.h"
#include "stack/tcp/tcp.h"
#include "stack/tcp/tcp_fastopen.h"
#include "stack/udp/udp.h"

namespace synlab::stack {
namespace {

bool fd_valid(const Host& h, int fd) {
  return fd >= 0 && static_cast<std::size_t>(fd) < h.fds.size() && h.fds[static_cast<std::size_t>(fd)].has_value();
}

SysResult<Sock*> sock_for(Host& h, int fd) {
  if (!fd_valid(h, fd)) return fail(Errno::kEBADF);
  const FdEntry& e = *h.fds[static_cast<std::size_t>(fd)];
  if (e.kind != FileKind::kSocket) return fail(Errno::kENOTSOCK);
  Sock* s = h.sock(e.sock);
  if (!s) return fail(Errno::kEBADF);
  return s;
}

SysResult<int> alloc_fd(Host& h, SockId id, bool cloexec) {
  const int fd = h.fd_install(FdEntry{FileKind::kSocket, id, cloexec});
  if (fd < 0) return fail(Errno::kEMFILE);
  if (Sock* s = h.sock(id)) s->fd = fd;
  return fd;
}

wire::IpAddr wire_form(const wire::IpAddr& a) { return a.is_v4_mapped() ? a.unmapped() : a; }

SockAddr sockaddr_of(const Sock& s, const wire::IpAddr& a, std::uint16_t port) {
  if (s.family == kAfInet6) {
    const wire::IpAddr v6 = a.is_v4() ? wire::IpAddr::v4_mapped(a) : a;
    return SockAddr::v6(v6, port, a.is_v6() && a.is_link_local() ? s.scope_id : 0);
  }
  return SockAddr::v4(a.is_v6() && a.is_v4_mapped() ? a.unmapped() : a, port);
}

std::int32_t opt_int(const OptVal& v) {
  std::uint32_t x = 0;
  for (std::size_t i = 0; i < 4 && i < v.size(); ++i) x |= std::uint32_t{v[i]} << (8 * i);
  return static_cast<std::int32_t>(x);
}

OptVal make_int(std::int32_t x) {
  const auto u = static_cast<std::uint32_t>(x);
  return OptVal{static_cast<std::uint8_t>(u), static_cast<std::uint8_t>(u >> 8), static_cast<std::uint8_t>(u >> 16),
                static_cast<std::uint8_t>(u >> 24)};
}

std::int64_t le64(const OptVal& v, std::size_t off) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < 8 && off + i < v.size(); ++i) x |= std::uint64_t{v[off + i]} << (8 * i);
  return static_cast<std::int64_t>(x);
}

OptVal make_timeval(sim::Duration d) {
  OptVal v(16, 0);
  const std::int64_t sec = d.ns() / 1'000'000'000, usec = (d.ns() % 1'000'000'000) / 1000;
  for (int i = 0; i < 8; ++i) v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(sec) >> (8 * i));
  for (int i = 0; i < 8; ++i) v[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(usec) >> (8 * i));
  return v;
}

bool in_progress(const Sock& s) {
  return s.tcp.state == TcpState::kSynSent || s.tcp.state == TcpState::kSynReceived;
}

// Parks the calling thread until `check` produces a result. `check` is tried on every wake-up;
// `on_timeout` gives the result when the timeout (if any) expires first.
template <class T>
void block(Host& h, ThreadId thread, std::vector<SockId> socks, const char* what, bool restartable,
           sim::Duration timeout, std::function<std::optional<SysResult<T>>()> check,
           std::function<SysResult<T>()> on_timeout, Done<T> done) {
  if (h.waits.by_thread.count(thread)) {
    // A thread is in one call at a time; the scenario runner never does this.
    done(fail(Errno::kEBUSY));
    return;
  }
  // Everything the waiter's callbacks share, so each callback captures one pointer.
  struct State {
    WaitTable::Id id = 0;
    std::function<std::optional<SysResult<T>>()> check;
    std::function<SysResult<T>()> on_timeout;
    Done<T> done;
  };
  auto st = std::make_shared<State>();
  st->check = std::move(check);
  st->on_timeout = std::move(on_timeout);
  st->done = std::move(done);
  Waiter w;
  w.thread = thread;
  w.socks = std::move(socks);
  w.what = what;
  w.restartable = restartable && timeout == sim::Duration::zero();
  w.retry = [&h, st]() -> bool {
    auto r = st->check();
    if (!r) return false;
    wait_remove(h, st->id);
    st->done(std::move(*r));
    return true;
  };
  w.abort = [&h, st](Errno e) {
    wait_remove(h, st->id);
    st->done(fail(e));
  };
  st->id = wait_park(h, std::move(w));
  if (timeout > sim::Duration::zero()) {
    Waiter* wp = h.waits.waiters.get(st->id);
    wp->timeout = h.sim().queue().schedule_in(timeout, [&h, st] {
      if (!h.waits.waiters.get(st->id)) return;
      wait_remove(h, st->id);
      st->done(st->on_timeout());
    });
  }
}

// __inet_stream_connect for a TCP socket: connect(), and the connect step of
// sendto(MSG_FASTOPEN) (`is_sendmsg`, where `addr` may be null). `nonblocking` is O_NONBLOCK,
// or MSG_DONTWAIT for sendmsg.
void stream_connect(Host& h, Sock& s, const UserAddr* addr, bool nonblocking, bool is_sendmsg, ThreadId thread,
                    Done<void> done) {
  const Personality& p = h.personality();
  if (addr) {
    if (addr->len < 2) return done(fail(Errno::kEINVAL));
    if (addr->family() == kAfUnspec && !p.af_unspec_disconnects) {
      // 4.4BSD soconnect: a TCP socket that is connected or connecting cannot dissolve the
      // association (PR_CONNREQUIRED): EISCONN; otherwise in_pcbconnect refuses the family.
      if (s.ss != SockState::kUnconnected || s.tcp.state != TcpState::kClosed) return done(fail(Errno::kEISCONN));
      return done(fail(Errno::kEAFNOSUPPORT));
    }
    if (addr->family() == kAfUnspec) {
      tcp_disconnect(h, s);
      s.ss = SockState::kUnconnected;
      return done({});
    }
  }
  // 4.4BSD: a failed attempt (refused, timed out, unreachable) ended in tcp_close ->
  // in_pcbdetach, and tcp_usrreq answers PRU_CONNECT on a socket without a PCB with EINVAL
  // ("if (inp == 0 && req != PRU_ATTACH)"); the error itself stays in so_error for SO_ERROR.
  if (!p.failed_connect_can_retry &&
      (s.connect_failed || (s.ss == SockState::kConnecting && s.tcp.state == TcpState::kClosed &&
                            !s.tcp.fastopen->defer_connect))) {
    s.connect_failed = true;
    s.ss = SockState::kUnconnected;
    return done(fail(Errno::kEINVAL));
  }
  Errno err = Errno::kOk;
  switch (s.ss) {
    case SockState::kConnected:
      return done(fail(Errno::kEISCONN));
    case SockState::kDisconnecting:
      return done(fail(Errno::kEINVAL));
    case SockState::kConnecting:
      if (s.tcp.fastopen->defer_connect) {
        // TCP_FASTOPEN_CONNECT deferred the SYN: connect() again says EISCONN; the write that
        // sends the SYN waits like a connect in progress.
        err = is_sendmsg ? Errno::kEINPROGRESS : Errno::kEISCONN;
        break;
      }
      if (!p.connect_reports_async_success && s.tcp.state == TcpState::kEstablished) {
        s.ss = SockState::kConnected;
        return done(fail(Errno::kEISCONN));
      }
      err = p.ealready_when_in_progress ? Errno::kEALREADY : Errno::kEINPROGRESS;
      break;
    case SockState::kUnconnected: {
      if (s.tcp.state != TcpState::kClosed) return done(fail(Errno::kEISCONN));
      // sendto(MSG_FASTOPEN) without an address: tcp_v4_connect sees addr_len 0.
      if (!addr) return done(fail(Errno::kEINVAL));
      SysResult<SockAddr> d = s.family == kAfInet6 ? decode_in6(*addr) : decode_in(*addr);
      if (!d) return done(fail(d.error()));
      if (auto r = tcp_connect(h, s, *d); !r) return done(fail(r.error()));
      s.ss = SockState::kConnecting;
      if (s.tcp.fastopen->defer_connect) return done({});  // TCP_FASTOPEN_CONNECT: 0 at once
      err = Errno::kEINPROGRESS;
      break;
    }
  }

  // The outcome once the handshake is over: 0, or the socket's error (and a fresh start).
  auto finish = [&h, &s, &p]() -> SysResult<void> {
    if (s.tcp.state == TcpState::kClosed) {
      if (!p.failed_connect_can_retry) s.connect_failed = true;
      Errno e = s.err != Errno::kOk ? s.err : Errno::kECONNABORTED;
      s.err = Errno::kOk;
      s.ss = SockState::kUnconnected;
      tcp_disconnect(h, s);
      s.err = Errno::kOk;
      return fail(e);
    }
    s.ss = SockState::kConnected;
    return {};
  };

  if (in_progress(s)) {
    if (nonblocking) return done(fail(err));
    if (err == Errno::kEALREADY && !p.blocking_connect_waits_again) return done(fail(err));
    const SockId sid = s.id;
    const sim::Duration timeo = s.opt.sndtimeo;
    block<void>(
        h, thread, {sid}, is_sendmsg ? "sendto" : "connect", p.blocking_connect_waits_again, timeo,
        [&h, sid, finish]() -> std::optional<SysResult<void>> {
          Sock* sp = h.sock(sid);
          if (!sp) return SysResult<void>(fail(Errno::kEBADF));
          if (in_progress(*sp)) return std::nullopt;
          return finish();
        },
        // inet_wait_for_connect timed out: connect returns the error set before waiting.
        [err]() -> SysResult<void> { return fail(err); }, std::move(done));
    return;
  }
  done(finish());
}

// A TCP write: tcp_sendmsg, waiting for room (or the handshake) unless non-blocking.
void tcp_send_call(Host& h, SockId sid, std::vector<std::uint8_t> data, int flags, bool nonblock, ThreadId thread,
                   Done<std::size_t> done) {
  auto attempt = [&h, sid, data = std::move(data), flags]() -> std::optional<SysResult<std::size_t>> {
    Sock* sp = h.sock(sid);
    if (!sp) return SysResult<std::size_t>(fail(Errno::kEBADF));
    auto r = tcp_sendmsg(h, *sp, data, flags);
    if (!r) {
      if (r.error() == Errno::kEAGAIN) return std::nullopt;
      if (r.error() == Errno::kEPIPE && !(flags & kMsgNosignal)) {
        h.trace_note(sim::TraceKind::kNote, sp, "SIGPIPE (write on a connection that cannot send)");
      }
      return SysResult<std::size_t>(fail(r.error()));
    }
    return SysResult<std::size_t>(*r);
  };
  if (auto r = attempt()) return done(std::move(*r));
  if (nonblock) return done(fail(Errno::kEAGAIN));
  Sock* s = h.sock(sid);
  block<std::size_t>(h, thread, {sid}, "send", true, s->opt.sndtimeo, std::move(attempt),
                     []() -> SysResult<std::size_t> { return fail(Errno::kEAGAIN); }, std::move(done));
}

// tcp_sendmsg_fastopen: sendto(MSG_FASTOPEN), or the first write after TCP_FASTOPEN_CONNECT.
// A connect whose SYN carries as much of the data as fits (with a cached cookie) or a cookie
// request (without); then, once connected, the rest as an ordinary write. Non-blocking, it
// returns the bytes the SYN carried, or EINPROGRESS when it carried none.
void sendmsg_fastopen(Host& h, Sock& s, std::vector<std::uint8_t> data, int flags, const UserAddr* to,
                      bool nonblock, ThreadId thread, Done<std::size_t> done) {
  const bool unspec = to && to->len >= 2 && to->family() == kAfUnspec;
  if (auto r = tcp_fastopen_sendmsg_begin(h, s, data, unspec); !r) return done(fail(r.error()));
  const SockId sid = s.id;
  stream_connect(
      h, s, to, nonblock, true, thread,
      [&h, sid, data = std::move(data), flags, nonblock, thread, done = std::move(done)](SysResult<void> r) mutable {
        Sock* sp = h.sock(sid);
        const std::size_t copied_syn = sp ? tcp_fastopen_sendmsg_end(*sp) : 0;
        if (!r) {
          if (r.error() == Errno::kEINPROGRESS && copied_syn > 0) return done(copied_syn);
          return done(fail(r.error()));
        }
        if (copied_syn >= data.size() || !sp) return done(copied_syn);
        // Connected: the data the SYN did not carry goes as an ordinary write.
        std::vector<std::uint8_t> rest(data.begin() + static_cast<std::ptrdiff_t>(copied_syn), data.end());
        tcp_send_call(h, sid, std::move(rest), flags, nonblock, thread,
                      [copied_syn, done = std::move(done)](SysResult<std::size_t> n) {
                        if (n) return done(copied_syn + *n);
                        // "do_error: if (copied + copied_syn) goto out;"
                        if (copied_syn > 0) return done(copied_syn);
                        done(std::move(n));
                      });
      });
}

}  // namespace

Sock* Host::sock_of_fd(int fd) {
  auto r = sock_for(*this, fd);
  return r ? *r : nullptr;
}

int Host::open_file(FileKind kind) {
  // A script's stand-in file is not bound by RLIMIT_NOFILE: it is not a socket call.
  return fd_install(FdEntry{kind, 0, false}, /*enforce_limit=*/false);
}

SysResult<int> Host::socket(int domain, int type, int protocol) {
  // __sys_socket / __sock_create / inet_create.
  const int flags = type & ~0xf;
  const int base = type & 0xf;
  if (flags & ~(kSockNonblock | kSockCloexec)) return fail(Errno::kEINVAL);
  if (domain != kAfInet && domain != kAfInet6) return fail(Errno::kEAFNOSUPPORT);
  if (base < 1 || base > 10) return fail(Errno::kEINVAL);
  if (base != kSockStream && base != kSockDgram) return fail(Errno::kESOCKTNOSUPPORT);
  const int proto = base == kSockStream ? kIpprotoTcp : kIpprotoUdp;
  if (protocol != 0 && protocol != proto) return fail(Errno::kEPROTONOSUPPORT);
  if (fd_table_full()) return fail(Errno::kEMFILE);
  auto [id, s] = socks.emplace();
  s->id = id;
  s->trace_id = next_trace_id++;
  s->family = domain;
  s->type = base;
  s->protocol = proto;
  s->nonblocking = (flags & kSockNonblock) != 0;
  s->opt.v6only = domain == kAfInet6 && personality_.bindv6only;
  s->rcv_saddr = s->saddr = wire::IpAddr::any(domain == kAfInet6 ? wire::IpFamily::kV6 : wire::IpFamily::kV4);
  if (s->is_tcp()) tcp_init_sock(*this, *s);
  auto fd = alloc_fd(*this, id, (flags & kSockCloexec) != 0);
  if (!fd) {
    socks.erase(id);
    return fail(fd.error());
  }
  s->fd_refs = 1;
  return *fd;
}

SysResult<void> Host::bind(int fd, const UserAddr& addr) {
  if (!fd_valid(*this, fd)) return fail(Errno::kEBADF);
  if (auto c = copy_from_user(addr); !c) return fail(c.error());
  auto sr = sock_for(*this, fd);
  if (!sr) return fail(sr.error());
  Sock& s = **sr;
  SockAddr a;
  wire::IpAddr local;
  if (s.family == kAfInet) {
    // __inet_bind.
    if (addr.len < kSockaddrInLen) return fail(Errno::kEINVAL);
    const int fam = addr.family();
    if (fam != kAfInet) {
      // "Compatibility games": AF_UNSPEC is accepted for INADDR_ANY only.
      auto probe = decode_in(UserAddr::from(SockAddr::v4(wire::IpAddr(), 0), 16));
      (void)probe;
      if (fam != kAfUnspec || addr.bytes[4] || addr.bytes[5] || addr.bytes[6] || addr.bytes[7]) return fail(Errno::kEAFNOSUPPORT);
    }
    a.family = kAfInet;
    a.port = static_cast<std::uint16_t>((addr.bytes[2] << 8) | addr.bytes[3]);
    a.addr = wire::IpAddr::v4(addr.bytes[4], addr.bytes[5], addr.bytes[6], addr.bytes[7]);
    local = a.addr;
    const bool ok_addr = local.is_unspecified() || is_local_address(local) || local.is_multicast() ||
                         local.is_broadcast() || s.opt.freebind || personality_.ip_nonlocal_bind;
    if (!ok_addr) return fail(Errno::kEADDRNOTAVAIL);
    if (a.port && a.port < personality_.ip_unprivileged_port_start && !privileged) return fail(Errno::kEACCES);
    if ((s.is_tcp() && s.tcp.state != TcpState::kClosed) || s.num) return fail(Errno::kEINVAL);
  } else {
    // __inet6_bind.
    if (addr.len < 24) return fail(Errno::kEINVAL);
    auto d = decode_in6(addr);
    if (!d) return fail(d.error());
    a = *d;
    if (a.addr.is_multicast() && s.is_tcp()) return fail(Errno::kEINVAL);
    if (a.port && a.port < personality_.ip_unprivileged_port_start && !privileged) return fail(Errno::kEACCES);
    if ((s.is_tcp() && s.tcp.state != TcpState::kClosed) || s.num) return fail(Errno::kEINVAL);
    if (a.addr.is_v4_mapped()) {
      if (s.opt.v6only) return fail(Errno::kEINVAL);
      const wire::IpAddr v4 = a.addr.unmapped();
      const bool ok_addr = v4.is_unspecified() || is_local_address(v4) || v4.is_multicast() || v4.is_broadcast() ||
                           s.opt.freebind || personality_.ip_nonlocal_bind;
      if (!ok_addr) return fail(Errno::kEADDRNOTAVAIL);
    } else if (!a.addr.is_unspecified()) {
      if (a.addr.is_link_local()) {
        if (a.scope_id) s.opt.bound_dev_if = static_cast<int>(a.scope_id);
        if (!s.opt.bound_dev_if) return fail(Errno::kEINVAL);
      }
      if (s.opt.bound_dev_if && !interface(s.opt.bound_dev_if)) return fail(Errno::kENODEV);
      // ipv6_chk_addr(..., dev): a link-local address must be on the bound interface.
      const bool here = a.addr.is_link_local() ? interface(s.opt.bound_dev_if)->has_addr(a.addr)
                                               : is_local_address(a.addr);
      if (!a.addr.is_multicast() && !s.opt.freebind && !here) return fail(Errno::kEADDRNOTAVAIL);
      if (a.addr.is_link_local()) s.scope_id = static_cast<std::uint32_t>(s.opt.bound_dev_if);
    }
    local = a.addr;
  }
  s.rcv_saddr = local;
  s.saddr = wire_form(local);
  if (a.port || !s.opt.bind_address_no_port) {
    auto r = s.is_tcp() ? tcp_get_port(*this, s, a.port) : udp_get_port(*this, s, a.port);
    if (!r) {
      s.rcv_saddr = s.saddr = wire::IpAddr::any(s.family == kAfInet6 ? wire::IpFamily::kV6 : wire::IpFamily::kV4);
      return fail(r.error() == Errno::kEAGAIN ? Errno::kEADDRINUSE : r.error());
    }
  }
  s.addr_locked = !local.is_unspecified();
  s.port_locked = a.port != 0;
  if (!s.bound && a.port == 0) s.num = 0;
  s.dport = 0;
  return {};
}

SysResult<void> Host::listen(int fd, int backlog) {
  auto sr = sock_for(*this, fd);
  if (!sr) return fail(sr.error());
  Sock& s = **sr;
  // __sys_listen: "if ((unsigned int)backlog > somaxconn) backlog = somaxconn;"
  const auto somaxconn = static_cast<unsigned>(personality_.somaxconn);
  if (static_cast<unsigned>(backlog) > somaxconn) backlog = static_cast<int>(somaxconn);
  if (!s.is_tcp()) return fail(Errno::kEOPNOTSUPP);
  if (s.ss != SockState::kUnconnected) return fail(Errno::kEINVAL);
  return tcp_listen(*this, s, backlog);
}

void Host::connect(int fd, const UserAddr& addr, Done<void> done, ThreadId thread) {
  if (!fd_valid(*this, fd)) return done(fail(Errno::kEBADF));
  if (auto c = copy_from_user(addr); !c) return done(fail(c.error()));
  auto sr = sock_for(*this, fd);
  if (!sr) return done(fail(sr.error()));
  Sock& s = **sr;

  if (s.is_udp()) {
    // inet_dgram_connect.
    if (addr.len < 2) return done(fail(Errno::kEINVAL));
    if (addr.family() == kAfUnspec) {
      udp_disconnect(*this, s);
      return done({});
    }
    SysResult<SockAddr> d = (s.family == kAfInet6 && addr.family() != kAfInet) ? decode_in6(addr) : decode_in(addr);
    if (s.family == kAfInet6 && addr.family() == kAfInet && s.opt.v6only) return done(fail(Errno::kEAFNOSUPPORT));
    if (!d) return done(fail(d.error()));
    auto r = udp_connect(*this, s, *d);
    return done(r ? SysResult<void>{} : SysResult<void>(fail(r.error())));
  }

  stream_connect(*this, s, &addr, s.nonblocking, false, thread, std::move(done));
}

void Host::accept(int fd, int flags, Done<AcceptResult> done, ThreadId thread) {
  auto sr = sock_for(*this, fd);
  if (!sr) return done(fail(sr.error()));
  Sock& l = **sr;
  if (flags & ~(kSockNonblock | kSockCloexec)) return done(fail(Errno::kEINVAL));
  if (!l.is_tcp()) return done(fail(Errno::kEOPNOTSUPP));
  if (fd_table_full()) return done(fail(Errno::kEMFILE));
  const SockId lid = l.id;
  auto try_accept = [this, lid, flags]() -> std::optional<SysResult<AcceptResult>> {
    Sock* lp = sock(lid);
    if (!lp) return SysResult<AcceptResult>(fail(Errno::kEBADF));
    auto r = tcp_accept(*this, *lp);
    if (!r) {
      if (r.error() == Errno::kEAGAIN) return std::nullopt;
      return SysResult<AcceptResult>(fail(r.error()));
    }
    Sock* c = sock(*r);
    auto nfd = alloc_fd(*this, *r, (flags & kSockCloexec) != 0);
    if (!nfd) return SysResult<AcceptResult>(fail(nfd.error()));
    c->fd_refs = 1;
    c->ss = SockState::kConnected;
    c->nonblocking = (flags & kSockNonblock) != 0;
    AcceptResult a;
    a.fd = *nfd;
    a.peer = sockaddr_of(*c, c->daddr, c->dport);
    trace_note(sim::TraceKind::kNote, c, "accepted");
    return SysResult<AcceptResult>(a);
  };
  if (auto r = try_accept()) return done(std::move(*r));
  if (l.nonblocking) return done(fail(Errno::kEAGAIN));
  block<AcceptResult>(*this, thread, {lid}, "accept", true, l.opt.rcvtimeo, try_accept,
                      []() -> SysResult<AcceptResult> { return fail(Errno::kEAGAIN); }, std::move(done));
}

void Host::recv(int fd, std::size_t len, int flags, Done<RecvResult> done, ThreadId thread) {
  if (!fd_valid(*this, fd)) return done(fail(Errno::kEBADF));
  if (fds[static_cast<std::size_t>(fd)]->kind != FileKind::kSocket) return done(RecvResult{});  // EOF
  auto sr = sock_for(*this, fd);
  if (!sr) return done(fail(sr.error()));
  Sock& s = **sr;
  const SockId sid = s.id;
  auto attempt = [this, sid, len, flags]() -> std::optional<SysResult<RecvResult>> {
    Sock* sp = sock(sid);
    if (!sp) return SysResult<RecvResult>(fail(Errno::kEBADF));
    RecvResult out;
    if (sp->is_tcp()) {
      auto r = tcp_recvmsg(*this, *sp, len, flags);
      if (!r) {
        if (r.error() == Errno::kEAGAIN) return std::nullopt;
        return SysResult<RecvResult>(fail(r.error()));
      }
      out.data = std::move(*r);
      out.from = sockaddr_of(*sp, sp->daddr, sp->dport);
      return SysResult<RecvResult>(std::move(out));
    }
    auto r = udp_recvmsg(*this, *sp, len, flags);
    if (!r) {
      if (r.error() == Errno::kEAGAIN) return std::nullopt;
      return SysResult<RecvResult>(fail(r.error()));
    }
    out.data = std::move(r->first);
    out.from = r->second;
    return SysResult<RecvResult>(std::move(out));
  };
  if (auto r = attempt()) return done(std::move(*r));
  if (s.nonblocking || (flags & kMsgDontwait)) return done(fail(Errno::kEAGAIN));
  block<RecvResult>(*this, thread, {sid}, "recv", true, s.opt.rcvtimeo, attempt,
                    []() -> SysResult<RecvResult> { return fail(Errno::kEAGAIN); }, std::move(done));
}

void Host::send(int fd, std::span<const std::uint8_t> data, int flags, const UserAddr* to,
                Done<std::size_t> done, ThreadId thread) {
  if (!fd_valid(*this, fd)) return done(fail(Errno::kEBADF));
  if (to) {
    if (auto c = copy_from_user(*to); !c) return done(fail(c.error()));
  }
  auto sr = sock_for(*this, fd);
  if (!sr) return done(fail(sr.error()));
  Sock& s = **sr;
  if (s.is_udp()) {
    std::optional<SockAddr> dst;
    if (to && to->len > 0) {
      if (to->family() == kAfUnspec && s.udp().connected) {
        dst.reset();
      } else {
        SysResult<SockAddr> d = (s.family == kAfInet6 && to->family() != kAfInet) ? decode_in6(*to) : decode_in(*to);
        if (!d) return done(fail(d.error()));
        dst = *d;
      }
    }
    auto r = udp_sendmsg(*this, s, data, dst ? &*dst : nullptr);
    return done(r);
  }
  std::vector<std::uint8_t> copy(data.begin(), data.end());
  const bool nonblock = s.nonblocking || (flags & kMsgDontwait) != 0;
  if ((flags & kMsgFastopen) || s.tcp.fastopen->defer_connect) {
    // tcp_sendmsg_locked: MSG_FASTOPEN, or the first write after TCP_FASTOPEN_CONNECT.
    sendmsg_fastopen(*this, s, std::move(copy), flags, to, nonblock, thread, std::move(done));
    return;
  }
  tcp_send_call(*this, s.id, std::move(copy), flags, nonblock, thread, std::move(done));
}

void Host::close(int fd, Done<void> done, ThreadId thread) {
  if (!fd_valid(*this, fd)) return done(fail(Errno::kEBADF));
  const FdEntry e = *fds[static_cast<std::size_t>(fd)];
  fd_release(fd);
  if (e.kind != FileKind::kSocket) return done({});
  Sock* s = sock(e.sock);
  if (!s) return done({});
  if (--s->fd_refs > 0) return done({});
  if (s->is_udp()) {
    udp_unhash(*this, *s);
    socks.erase(s->id);
    return done({});
  }
  const bool linger_wait = s->opt.linger_on && s->opt.linger_seconds > 0;
  const SockId sid = s->id;
  tcp_close(*this, *s);
  Sock* after = sock(sid);
  auto lingering = [after]() {
    return after && (after->tcp.state == TcpState::kFinWait1 || after->tcp.state == TcpState::kClosing ||
                     after->tcp.state == TcpState::kLastAck);
  };
  if (!linger_wait || !lingering()) return done({});
  // SO_LINGER with a timeout: close() waits until the FIN is acknowledged or time runs out.
  block<void>(
      *this, thread, {sid}, "close", true, sim::Duration::seconds(s->opt.linger_seconds),
      [this, sid]() -> std::optional<SysResult<void>> {
        Sock* sp = sock(sid);
        if (!sp || !(sp->tcp.state == TcpState::kFinWait1 || sp->tcp.state == TcpState::kClosing ||
                     sp->tcp.state == TcpState::kLastAck)) {
          return SysResult<void>{};
        }
        return std::nullopt;
      },
      []() -> SysResult<void> { return {}; }, std::move(done));
}

SysResult<void> Host::shutdown(int fd, int how) {
  auto sr = sock_for(*this, fd);
  if (!sr) return fail(sr.error());
  Sock& s = **sr;
  // inet_shutdown: how + 1 gives the RCV/SEND bits.
  const int bits = how + 1;
  if (bits < 1 || bits > 3) return fail(Errno::kEINVAL);
  Errno err = Errno::kOk;
  if (s.is_udp()) {
    if (!s.udp().connected) err = Errno::kENOTCONN;
    s.shutdown |= static_cast<std::uint8_t>(bits);
    wake(*this, s.id);
    if (err != Errno::kOk) return fail(err);
    return {};
  }
  if (s.ss == SockState::kConnecting) {
    s.ss = (in_progress(s) || s.tcp.state == TcpState::kClosed) ? SockState::kDisconnecting : SockState::kConnected;
  }
  switch (s.tcp.state) {
    case TcpState::kClosed:
      err = Errno::kENOTCONN;
      s.shutdown |= static_cast<std::uint8_t>(bits);
      break;
    case TcpState::kListen:
      if (!(bits & kRcvShutdown)) break;
      tcp_disconnect(*this, s);
      s.ss = SockState::kUnconnected;
      break;
    case TcpState::kSynSent:
      tcp_disconnect(*this, s);
      s.ss = SockState::kUnconnected;
      break;
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
    case TcpState::kCloseWait:
    case TcpState::kClosing:
    case TcpState::kLastAck:
    case TcpState::kTimeWait:
      s.shutdown |= static_cast<std::uint8_t>(bits);
      if (bits & kSendShutdown) tcp_shutdown(*this, s, kShutWr);
      break;
  }
  wake(*this, s.id);
  if (err != Errno::kOk) return fail(err);
  return {};
}

SysResult<SockAddr> Host::getsockname(int fd) {
  auto sr = sock_for(*this, fd);
  if (!sr) return fail(sr.error());
  const Sock& s = **sr;
  // inet_getname: rcv_saddr, or saddr when bound to any.
  wire::IpAddr a = s.rcv_saddr;
  if (a.is_unspecified() && !s.saddr.is_unspecified()) a = s.saddr;
  if (s.family == kAfInet6 && a.is_v4()) a = wire::IpAddr::v4_mapped(a);
  SockAddr out = s.family == kAfInet6 ? SockAddr::v6(a.is_unspecified() ? wire::IpAddr::any(wire::IpFamily::kV6) : a, s.sport)
                                      : SockAddr::v4(wire_form(a), s.sport);
  if (s.family == kAfInet6 && a.is_link_local()) out.scope_id = static_cast<std::uint32_t>(s.opt.bound_dev_if);
  return out;
}

SysResult<SockAddr> Host::getpeername(int fd) {
  auto sr = sock_for(*this, fd);
  if (!sr) return fail(sr.error());
  const Sock& s = **sr;
  // inet_getname(peer): ENOTCONN without a peer port, or in CLOSE / SYN_SENT.
  if (s.is_tcp()) {
    if (!s.dport || s.tcp.state == TcpState::kClosed || s.tcp.state == TcpState::kSynSent) return fail(Errno::kENOTCONN);
  } else if (!s.udp().connected) {
    return fail(Errno::kENOTCONN);
  }
  return sockaddr_of(s, s.daddr, s.dport);
}

SysResult<void> Host::setsockopt(int fd, int level, int optname, const OptVal& v) {
  auto sr = sock_for(*this, fd);
  if (!sr) return fail(sr.error());
  Sock& s = **sr;
  const bool is_int = v.size() >= 4;
  const int x = is_int ? opt_int(v) : 0;
  auto need_int = [&]() -> bool { return is_int; };
  switch (level) {
    case kSolSocket:
      switch (optname) {
        case kSoReuseaddr: if (!need_int()) return fail(Errno::kEINVAL); s.opt.reuseaddr = x != 0; return {};
        case kSoReuseport: if (!need_int()) return fail(Errno::kEINVAL); s.opt.reuseport = x != 0; return {};
        case kSoKeepalive: if (!need_int()) return fail(Errno::kEINVAL); s.opt.keepalive = x != 0; return {};
        case kSoBroadcast: if (!need_int()) return fail(Errno::kEINVAL); s.opt.broadcast = x != 0; return {};
        case kSoLinger:
          if (v.size() < 8) return fail(Errno::kEINVAL);
          s.opt.linger_on = opt_int(v) != 0;
          s.opt.linger_seconds = opt_int(OptVal(v.begin() + 4, v.begin() + 8));
          return {};
        case kSoSndbuf:
        case kSoRcvbuf: {
          if (!need_int()) return fail(Errno::kEINVAL);
          // sk_setsockopt: the value is doubled for bookkeeping overhead, within limits.
          const int maxv = optname == kSoSndbuf ? personality_.wmem_max : personality_.rmem_max;
          const int minv = optname == kSoSndbuf ? 4608 : 2304;
          const int val = std::max(std::min(x, maxv) * 2, minv);
          if (optname == kSoSndbuf) {
            s.opt.sndbuf = val;
            s.opt.sndbuf_locked = true;
            s.tcp.snd_buf = val;
          } else {
            s.opt.rcvbuf = val;
            s.opt.rcvbuf_locked = true;
            s.tcp.rcv_buf = val;
          }
          return {};
        }
        case kSoSndtimeo:
        case kSoRcvtimeo: {
          if (v.size() < 16) return fail(Errno::kEINVAL);
          const std::int64_t sec = le64(v, 0), usec = le64(v, 8);
          if (usec < 0 || usec >= 1'000'000) return fail(Errno::kEDOM);  // sock_set_timeout
          const sim::Duration d = sim::Duration::seconds(sec < 0 ? 0 : sec) + sim::Duration::micros(usec);
          (optname == kSoSndtimeo ? s.opt.sndtimeo : s.opt.rcvtimeo) = d;
          return {};
        }
        case kSoBindtodevice: {
          std::string name(v.begin(), v.end());
          name = name.substr(0, name.find('\0'));
          if (name.empty()) {
            s.opt.bound_dev_if = 0;
            return {};
          }
          Interface* i = interface_by_name(name);
          if (!i) return fail(Errno::kENODEV);
          s.opt.bound_dev_if = i->ifindex;
          return {};
        }
        default:
          return fail(Errno::kENOPROTOOPT);
      }
    case kSolTcp:
      if (!s.is_tcp()) return fail(Errno::kENOPROTOOPT);
      if (optname == kTcpFastopenKey) {
        // TCP_FASTOPEN_KEY: this socket's key, 16 bytes, or 32 with a backup key for rotation
        // (tcp_fastopen_reset_cipher on the socket's accept queue).
        if (v.size() != 16 && v.size() != 32) return fail(Errno::kEINVAL);
        s.opt.fastopen_key = v;
        return {};
      }
      if (!need_int()) return fail(Errno::kEINVAL);
      switch (optname) {
        case kTcpNodelay: s.opt.nodelay = x != 0; return {};
        case kTcpCork: s.opt.cork = x != 0; return {};
        case kTcpQuickack: s.opt.quickack = x != 0; if (x) s.tcp.pingpong = false; return {};
        case kTcpMaxseg:
          // TCP_MAXSEG: 0 or 88..MAX_TCP_WINDOW (tcp_sock_set_maxseg, TCP_MIN_MSS).
          if (x && (x < 88 || x > 32767)) return fail(Errno::kEINVAL);
          s.tcp.user_mss = static_cast<std::uint16_t>(x);
          return {};
        case kTcpSyncnt:
          if (x < 1 || x > 127) return fail(Errno::kEINVAL);
          s.tcp.syn_retries = x;
          return {};
        case kTcpUserTimeout:
          if (x < 0) return fail(Errno::kEINVAL);
          s.tcp.user_timeout = sim::Duration::millis(x);
          return {};
        case kTcpDeferAccept: s.opt.defer_accept = x; return {};
        case kTcpKeepidle: if (x < 1) return fail(Errno::kEINVAL); s.opt.keepidle = x; return {};
        case kTcpKeepintvl: if (x < 1) return fail(Errno::kEINVAL); s.opt.keepintvl = x; return {};
        case kTcpKeepcnt: if (x < 1) return fail(Errno::kEINVAL); s.opt.keepcnt = x; return {};
        case kTcpFastopen:
          if (s.tcp.state != TcpState::kClosed && s.tcp.state != TcpState::kListen) return fail(Errno::kEINVAL);
          if (x < 0) return fail(Errno::kEINVAL);
          // fastopen_queue_tune: the queue length is kept for when listen() runs.
          s.opt.fastopen_qlen = std::min(x, personality_.somaxconn);
          if (s.listener) s.listener->fastopen_max_qlen = s.opt.fastopen_qlen;
          return {};
        case kTcpFastopenConnect:
          // do_tcp_setsockopt: 0 or 1; EOPNOTSUPP unless the client side of Fast Open is on
          // (net.ipv4.tcp_fastopen & 1); only before connect().
          if (x < 0 || x > 1) return fail(Errno::kEINVAL);
          if (!(personality_.tcp_fastopen & kTfoClientEnable)) return fail(Errno::kEOPNOTSUPP);
          if (s.tcp.state != TcpState::kClosed) return fail(Errno::kEINVAL);
          s.opt.fastopen_connect = x != 0;
          return {};
        case kTcpFastopenNoCookie:
          if (x < 0 || x > 1) return fail(Errno::kEINVAL);
          if (s.tcp.state != TcpState::kClosed && s.tcp.state != TcpState::kListen) return fail(Errno::kEINVAL);
          s.opt.fastopen_no_cookie = x != 0;
          return {};
        default:
          return fail(Errno::kENOPROTOOPT);
      }
    case kSolIp:
      if (!need_int() && optname != kIpLocalPortRange) return fail(Errno::kEINVAL);
      switch (optname) {
        case kIpTtl:
          if (x == -1) { s.opt.ttl = -1; return {}; }
          if (x < 1 || x > 255) return fail(Errno::kEINVAL);
          s.opt.ttl = x;
          return {};
        case kIpTos: s.opt.tos = x & 0xff; return {};
        case kIpRecverr: s.opt.recverr = x != 0; return {};
        case kIpFreebind: s.opt.freebind = x != 0; return {};
        case kIpBindAddressNoPort: s.opt.bind_address_no_port = x != 0; return {};
        case kIpLocalPortRange: {
          if (v.size() < 4) return fail(Errno::kEINVAL);
          const auto u = static_cast<std::uint32_t>(opt_int(v));
          s.opt.local_port_lo = static_cast<int>(u & 0xffff);
          s.opt.local_port_hi = static_cast<int>(u >> 16);
          return {};
        }
        default:
          return fail(Errno::kENOPROTOOPT);
      }
    case kSolIpv6:
      if (s.family != kAfInet6) return fail(Errno::kENOPROTOOPT);
      if (!need_int()) return fail(Errno::kEINVAL);
      switch (optname) {
        case kIpv6V6only:
          if (s.num) return fail(Errno::kEINVAL);  // only before bind
          s.opt.v6only = x != 0;
          return {};
        case kIpv6UnicastHops:
          if (x < -1 || x > 255) return fail(Errno::kEINVAL);
          s.opt.ttl = x;
          return {};
        case kIpv6Recverr: s.opt.recverr = x != 0; return {};
        default:
          return fail(Errno::kENOPROTOOPT);
      }
    default:
      return fail(Errno::kENOPROTOOPT);
  }
}

SysResult<OptVal> Host::getsockopt(int fd, int level, int optname, int optlen) {
  auto sr = sock_for(*this, fd);
  if (!sr) return fail(sr.error());
  Sock& s = **sr;
  if (optlen < 0) return fail(Errno::kEINVAL);
  auto ret_int = [&](int x) -> SysResult<OptVal> {
    OptVal v = make_int(x);
    v.resize(std::min<std::size_t>(4, static_cast<std::size_t>(optlen)));
    return v;
  };
  switch (level) {
    case kSolSocket:
      switch (optname) {
        case kSoError: {
          // sock_error(): read and clear.
          const Errno e = s.err;
          s.err = Errno::kOk;
          return ret_int(e == Errno::kOk ? 0 : linux_number(e));
        }
        case kSoType: return ret_int(s.type);
        case kSoDomain: return ret_int(s.family);
        case kSoProtocol: return ret_int(s.protocol);
        case kSoReuseaddr: return ret_int(s.opt.reuseaddr);
        case kSoReuseport: return ret_int(s.opt.reuseport);
        case kSoKeepalive: return ret_int(s.opt.keepalive);
        case kSoBroadcast: return ret_int(s.opt.broadcast);
        case kSoAcceptconn: return ret_int(s.is_tcp() && s.tcp.state == TcpState::kListen);
        case kSoSndbuf: return ret_int(s.is_tcp() ? s.tcp.snd_buf : (s.opt.sndbuf ? s.opt.sndbuf : personality_.wmem_default));
        case kSoRcvbuf: return ret_int(s.is_tcp() ? s.tcp.rcv_buf : (s.opt.rcvbuf ? s.opt.rcvbuf : personality_.rmem_default));
        case kSoLinger: {
          OptVal v = make_int(s.opt.linger_on);
          const OptVal t = make_int(s.opt.linger_seconds);
          v.insert(v.end(), t.begin(), t.end());
          v.resize(std::min<std::size_t>(8, static_cast<std::size_t>(optlen)));
          return v;
        }
        case kSoSndtimeo:
        case kSoRcvtimeo: {
          OptVal v = make_timeval(optname == kSoSndtimeo ? s.opt.sndtimeo : s.opt.rcvtimeo);
          v.resize(std::min<std::size_t>(16, static_cast<std::size_t>(optlen)));
          return v;
        }
        default:
          return fail(Errno::kENOPROTOOPT);
      }
    case kSolTcp:
      if (!s.is_tcp()) return fail(Errno::kENOPROTOOPT);
      switch (optname) {
        case kTcpNodelay: return ret_int(s.opt.nodelay);
        case kTcpCork: return ret_int(s.opt.cork);
        case kTcpMaxseg: {
          // tcp_getsockopt TCP_MAXSEG: the current send MSS once connected, else user_mss or 536.
          const TcpState st = s.tcp.state;
          if (st == TcpState::kClosed || st == TcpState::kListen) {
            return ret_int(s.tcp.user_mss ? s.tcp.user_mss : 536);
          }
          return ret_int(s.tcp.mss_cache);
        }
        case kTcpSyncnt: return ret_int(s.tcp.syn_retries ? s.tcp.syn_retries : personality_.tcp_syn_retries);
        case kTcpUserTimeout: return ret_int(static_cast<int>(s.tcp.user_timeout.ms()));
        case kTcpDeferAccept: return ret_int(s.opt.defer_accept);
        case kTcpKeepidle: return ret_int(s.opt.keepidle);
        case kTcpKeepintvl: return ret_int(s.opt.keepintvl);
        case kTcpKeepcnt: return ret_int(s.opt.keepcnt);
        case kTcpFastopenConnect: return ret_int(s.opt.fastopen_connect);
        case kTcpFastopen: return ret_int(s.listener ? s.listener->fastopen_max_qlen : s.opt.fastopen_qlen);
        case kTcpFastopenNoCookie: return ret_int(s.opt.fastopen_no_cookie);
        case kTcpFastopenKey: {
          // The socket's keys, else the namespace's (tcp_fastopen_get_cipher), truncated to optlen.
          OptVal v;
          for (const auto& k : tcp_fastopen_keys(*this, &s)) v.insert(v.end(), k.begin(), k.end());
          v.resize(std::min<std::size_t>(v.size(), static_cast<std::size_t>(optlen)));
          return v;
        }
        case kTcpInfo: {
          // The first fields of struct tcp_info (tcpi_state ... tcpi_rto).
          OptVal v(104, 0);
          v[0] = static_cast<std::uint8_t>(linux_number(s.tcp.state));
          v[2] = static_cast<std::uint8_t>(s.tcp.retransmits);
          v[4] = static_cast<std::uint8_t>(s.tcp.backoff);
          std::uint8_t options = 0;
          if (s.tcp.ts_ok) options |= 1;
          if (s.tcp.sack_ok) options |= 2;
          if (s.tcp.wscale_ok) options |= 4;
          if (s.tcp.fastopen->syn_data_acked) options |= 32;  // TCPI_OPT_SYN_DATA
          v[5] = options;
          v[6] = static_cast<std::uint8_t>((s.tcp.snd_wscale & 0xf) | ((s.tcp.rcv_wscale & 0xf) << 4));
          // tcpi_delivery_rate_app_limited:1, tcpi_fastopen_client_fail:2.
          v[7] = static_cast<std::uint8_t>((s.tcp.fastopen->client_fail & 3) << 1);
          auto put32 = [&](std::size_t off, std::uint32_t x) {
            for (int i = 0; i < 4; ++i) v[off + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(x >> (8 * i));
          };
          put32(8, static_cast<std::uint32_t>(s.tcp.rto.us()));
          put32(16, s.tcp.mss_cache);
          put32(20, s.tcp.rcv_mss);
          put32(68, static_cast<std::uint32_t>(s.tcp.srtt.us() / 8));
          put32(72, static_cast<std::uint32_t>(s.tcp.rttvar.us() / 4));
          put32(84, s.tcp.advmss);  // tcpi_advmss (88 is tcpi_reordering)
          v.resize(std::min<std::size_t>(v.size(), static_cast<std::size_t>(optlen)));
          return v;
        }
        default:
          return fail(Errno::kENOPROTOOPT);
      }
    case kSolIp:
      switch (optname) {
        case kIpTtl: return ret_int(s.opt.ttl >= 0 ? s.opt.ttl : personality_.ip_default_ttl);
        case kIpTos: return ret_int(s.opt.tos);
        case kIpRecverr: return ret_int(s.opt.recverr);
        case kIpFreebind: return ret_int(s.opt.freebind);
        case kIpBindAddressNoPort: return ret_int(s.opt.bind_address_no_port);
        default:
          return fail(Errno::kENOPROTOOPT);
      }
    case kSolIpv6:
      if (s.family != kAfInet6) return fail(Errno::kENOPROTOOPT);
      switch (optname) {
        case kIpv6V6only: return ret_int(s.opt.v6only);
        case kIpv6UnicastHops: return ret_int(s.opt.ttl >= 0 ? s.opt.ttl : personality_.ipv6_hop_limit);
        default:
          return fail(Errno::kENOPROTOOPT);
      }
    default:
      return fail(Errno::kENOPROTOOPT);
  }
}

SysResult<int> Host::fcntl(int fd, int cmd, long arg) {
  if (!fd_valid(*this, fd)) return fail(Errno::kEBADF);
  FdEntry& e = *fds[static_cast<std::size_t>(fd)];
  Sock* s = e.kind == FileKind::kSocket ? sock(e.sock) : nullptr;
  switch (cmd) {
    case kFGetfl:
      return kORdwr | (s && s->nonblocking ? kONonblock : 0);
    case kFSetfl:
      if (s) s->nonblocking = (arg & kONonblock) != 0;
      return 0;
    case kFGetfd:
      return e.cloexec ? 1 : 0;
    case kFSetfd:
      e.cloexec = (arg & 1) != 0;
      return 0;
    default:
      return fail(Errno::kEINVAL);
  }
}

SysResult<int> Host::dup(int fd) {
  if (!fd_valid(*this, fd)) return fail(Errno::kEBADF);
  const FdEntry e = *fds[static_cast<std::size_t>(fd)];
  if (fd_table_full()) return fail(Errno::kEMFILE);
  const int nfd = fd_install(FdEntry{e.kind, e.sock, false});
  if (nfd < 0) return fail(Errno::kEMFILE);
  if (Sock* s = sock(e.sock); s && e.kind == FileKind::kSocket) ++s->fd_refs;
  return nfd;
}

short Host::poll_mask(const Sock& s) const {
  short mask = 0;
  if (s.is_udp()) {
    // datagram_poll.
    if (s.err != Errno::kOk) mask |= kPollErr;
    if (s.shutdown & kRcvShutdown) mask |= kPollRdHup | kPollIn | kPollRdNorm;
    if (s.shutdown == (kRcvShutdown | kSendShutdown)) mask |= kPollHup;
    if (!s.udp().rxq.empty()) mask |= kPollIn | kPollRdNorm;
    mask |= kPollOut | kPollWrNorm | kPollWrBand;
    return mask;
  }
  const TcpState st = s.tcp.state;
  if (st == TcpState::kListen) {
    // inet_csk_listen_poll.
    return s.listener && s.listener->accept_qlen() ? static_cast<short>(kPollIn | kPollRdNorm) : 0;
  }
  // tcp_poll.
  if (s.shutdown == (kRcvShutdown | kSendShutdown) || st == TcpState::kClosed) mask |= kPollHup;
  if (s.shutdown & kRcvShutdown) mask |= kPollIn | kPollRdNorm | kPollRdHup;
  // "Connected or passive Fast Open socket?"
  if (st != TcpState::kSynSent && (st != TcpState::kSynReceived || s.tcp.fastopen->rsk)) {
    if (!s.tcp.rcvq.empty()) mask |= kPollIn | kPollRdNorm;
    if (!(s.shutdown & kSendShutdown)) {
      if (tcp_writable(s)) mask |= kPollOut | kPollWrNorm;
    } else {
      mask |= kPollOut | kPollWrNorm;
    }
  } else if (st == TcpState::kSynSent && s.tcp.fastopen->defer_connect) {
    // "Active TCP fastopen socket with defer_connect. Return EPOLLOUT so application can
    // call write() in order for kernel to generate SYN+data."
    mask |= kPollOut | kPollWrNorm;
  }
  if (s.err != Errno::kOk) mask |= kPollErr;
  return mask;
}

void Host::poll(std::vector<PollFd> fds_in, sim::Duration timeout, Done<std::vector<PollFd>> done, ThreadId thread) {
  auto evaluate = [this](std::vector<PollFd>& v) {
    int n = 0;
    for (auto& p : v) {
      p.revents = 0;
      if (p.fd < 0) continue;
      if (!fd_valid(*this, p.fd)) {
        p.revents = kPollNval;
      } else if (fds[static_cast<std::size_t>(p.fd)]->kind != FileKind::kSocket) {
        p.revents = static_cast<short>((kPollIn | kPollOut | kPollRdNorm | kPollWrNorm) & p.events);
      } else if (const Sock* s = sock(fds[static_cast<std::size_t>(p.fd)]->sock)) {
        p.revents = static_cast<short>(poll_mask(*s) & (p.events | kPollErr | kPollHup | kPollNval));
      }
      if (p.revents) ++n;
    }
    return n;
  };
  std::vector<PollFd> v = fds_in;
  if (evaluate(v) > 0 || timeout == sim::Duration::zero()) return done(v);
  std::vector<SockId> watch;
  for (const auto& p : fds_in) {
    if (p.fd >= 0 && fd_valid(*this, p.fd) && fds[static_cast<std::size_t>(p.fd)]->kind == FileKind::kSocket) {
      watch.push_back(fds[static_cast<std::size_t>(p.fd)]->sock);
    }
  }
  // poll() is never restarted after a signal handler (ERESTARTNOHAND): EINTR.
  block<std::vector<PollFd>>(
      *this, thread, watch, "poll", false, timeout < sim::Duration::zero() ? sim::Duration::zero() : timeout,
      [this, fds_in, evaluate]() -> std::optional<SysResult<std::vector<PollFd>>> {
        std::vector<PollFd> w = fds_in;
        if (evaluate(w) > 0) return SysResult<std::vector<PollFd>>(w);
        return std::nullopt;
      },
      [fds_in]() -> SysResult<std::vector<PollFd>> {
        std::vector<PollFd> w = fds_in;
        for (auto& p : w) p.revents = 0;
        return w;
      },
      std::move(done));
  if (timeout > sim::Duration::zero()) {
    // A poll with a timeout cannot be restarted either.
    if (auto it = waits.by_thread.find(thread); it != waits.by_thread.end()) {
      if (Waiter* w = waits.waiters.get(it->second)) w->restartable = false;
    }
  }
}

bool Host::signal(ThreadId thread, int signo, bool sa_restart) {
  auto it = waits.by_thread.find(thread);
  if (it == waits.by_thread.end()) {
    trace_note(sim::TraceKind::kNote, nullptr,
               "signal " + std::to_string(signo) + " to thread " + std::to_string(thread) + ": not blocked in a call");
    return false;
  }
  Waiter* w = waits.waiters.get(it->second);
  if (!w) return false;
  if (sa_restart && w->restartable) {
    trace_note(sim::TraceKind::kNote, nullptr,
               "signal " + std::to_string(signo) + " interrupted " + w->what + "(); SA_RESTART restarts it",
               "the restart is invisible to the program");
    return true;
  }
  trace_note(sim::TraceKind::kNote, nullptr, "signal " + std::to_string(signo) + " interrupts " + w->what + "()",
             "EINTR; the handshake (if any) carries on in the background");
  auto abort = w->abort;
  abort(Errno::kEINTR);
  return true;
}

bool Host::blocked(ThreadId thread) const { return waits.by_thread.count(thread) != 0; }

}  // namespace synlab::stack
