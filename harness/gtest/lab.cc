#include "harness/gtest/lab.h"

#include <cerrno>
#include <utility>

#include "stack/ip/neighbour.h"
#include "stack/socket/constants.h"
#include "stack/socket/sockaddr.h"

namespace synlab::testing {

using stack::Host;
using stack::SysResult;

std::string errno_text(Errno e) {
  if (e == Errno::kOk) return "no error";
  std::string s(stack::name(e));
  s += " (";
  s += stack::message(e);
  s += ")";
  return s;
}

std::optional<Errno> errno_from_host(int e) {
  // By the build host's macros, not by number: EAGAIN is 11 on Linux and 35 on the BSDs.
  // Aliases (EWOULDBLOCK, ENOTSUP) are checked after their Linux names, so where they are
  // distinct numbers they still map.
  struct Entry {
    int host;
    Errno e;
  };
  static const Entry kTable[] = {
      {EPERM, Errno::kEPERM},
      {ENOENT, Errno::kENOENT},
      {EINTR, Errno::kEINTR},
      {EIO, Errno::kEIO},
      {EBADF, Errno::kEBADF},
      {EAGAIN, Errno::kEAGAIN},
      {EWOULDBLOCK, Errno::kEAGAIN},
      {ENOMEM, Errno::kENOMEM},
      {EACCES, Errno::kEACCES},
      {EFAULT, Errno::kEFAULT},
      {EBUSY, Errno::kEBUSY},
      {EEXIST, Errno::kEEXIST},
      {ENODEV, Errno::kENODEV},
      {EINVAL, Errno::kEINVAL},
      {ENFILE, Errno::kENFILE},
      {EMFILE, Errno::kEMFILE},
      {ENOTTY, Errno::kENOTTY},
      {EPIPE, Errno::kEPIPE},
      {EDOM, Errno::kEDOM},
      {ERANGE, Errno::kERANGE},
      {ENOSYS, Errno::kENOSYS},
      {ENOPROTOOPT, Errno::kENOPROTOOPT},
      {EPROTONOSUPPORT, Errno::kEPROTONOSUPPORT},
      {ESOCKTNOSUPPORT, Errno::kESOCKTNOSUPPORT},
      {EOPNOTSUPP, Errno::kEOPNOTSUPP},
      {ENOTSUP, Errno::kEOPNOTSUPP},
      {EPFNOSUPPORT, Errno::kEPFNOSUPPORT},
      {EAFNOSUPPORT, Errno::kEAFNOSUPPORT},
      {EADDRINUSE, Errno::kEADDRINUSE},
      {EADDRNOTAVAIL, Errno::kEADDRNOTAVAIL},
      {ENETDOWN, Errno::kENETDOWN},
      {ENETUNREACH, Errno::kENETUNREACH},
      {ENETRESET, Errno::kENETRESET},
      {ECONNABORTED, Errno::kECONNABORTED},
      {ECONNRESET, Errno::kECONNRESET},
      {ENOBUFS, Errno::kENOBUFS},
      {EISCONN, Errno::kEISCONN},
      {ENOTCONN, Errno::kENOTCONN},
      {ESHUTDOWN, Errno::kESHUTDOWN},
      {ETIMEDOUT, Errno::kETIMEDOUT},
      {ECONNREFUSED, Errno::kECONNREFUSED},
      {EHOSTDOWN, Errno::kEHOSTDOWN},
      {EHOSTUNREACH, Errno::kEHOSTUNREACH},
      {EALREADY, Errno::kEALREADY},
      {EINPROGRESS, Errno::kEINPROGRESS},
      {EDESTADDRREQ, Errno::kEDESTADDRREQ},
      {EMSGSIZE, Errno::kEMSGSIZE},
      {EPROTOTYPE, Errno::kEPROTOTYPE},
      {ENOTSOCK, Errno::kENOTSOCK},
#ifdef ENONET
      {ENONET, Errno::kENONET},
#endif
      {EPROTO, Errno::kEPROTO},
  };
  if (e == 0) return Errno::kOk;
  for (const auto& x : kTable) {
    if (x.host == e) return x.e;
  }
  return std::nullopt;
}

namespace {

std::optional<stack::UserAddr> user_addr(std::string_view s) {
  auto a = stack::SockAddr::parse(s);
  if (!a) return std::nullopt;
  return stack::UserAddr::from(*a);
}

std::string as_string(stack::RecvResult r) {
  return std::string(r.data.begin(), r.data.end());
}

struct Identity {
  template <class U>
  U operator()(U u) const {
    return u;
  }
};

}  // namespace

template <class T, class U>
CallResult<T> Lab::now_result(SysResult<U> r) {
  if (!r) return CallResult<T>::failure(r.error(), now(), now());
  if constexpr (std::is_void_v<U>) {
    return CallResult<T>::success({}, now(), now());
  } else {
    return CallResult<T>::success(std::move(*r), now(), now());
  }
}

Lab::Lab(WorldConfig cfg) : world_(cfg) {}

Host& Lab::add_host(std::string name, std::vector<std::string> addresses, stack::Personality p) {
  return world_.add_host(std::move(name), std::move(addresses), std::move(p));
}

Host& Lab::host(std::string_view name) {
  Host* h = world_.host(name);
  if (!h) throw std::invalid_argument("no host called " + std::string(name));
  return *h;
}

sim::Link& Lab::link(Host& a, Host& b, sim::Duration delay, sim::LinkConfig cfg) {
  cfg.delay = delay;
  return world_.connect(a, b, cfg);
}

void Lab::static_neighbours() { world_.add_static_neighbours(); }

CallResult<int> Lab::socket(Host& h, int domain, int type, int protocol) {
  return now_result<int>(h.socket(domain, type, protocol));
}

CallResult<int> Lab::tcp_socket(Host& h, int domain) {
  return socket(h, domain, stack::kSockStream, 0);
}

CallResult<int> Lab::udp_socket(Host& h, int domain) {
  return socket(h, domain, stack::kSockDgram, 0);
}

CallResult<void> Lab::bind(Host& h, int fd, std::string_view addr) {
  auto a = user_addr(addr);
  if (!a) return CallResult<void>::failure(Errno::kEINVAL, now(), now());
  return now_result<void>(h.bind(fd, *a));
}

CallResult<void> Lab::listen(Host& h, int fd, int backlog) {
  return now_result<void>(h.listen(fd, backlog));
}

CallResult<int> Lab::tcp_listen(Host& h, std::string_view addr, int backlog) {
  auto fd = tcp_socket(h, addr.starts_with('[') ? stack::kAfInet6 : stack::kAfInet);
  if (!fd) return fd;
  if (auto b = bind(h, *fd, addr); !b) return CallResult<int>::failure(b.error(), now(), now());
  if (auto l = listen(h, *fd, backlog); !l)
    return CallResult<int>::failure(l.error(), now(), now());
  return fd;
}

CallResult<void> Lab::shutdown(Host& h, int fd, int how) {
  return now_result<void>(h.shutdown(fd, how));
}

CallResult<stack::SockAddr> Lab::getsockname(Host& h, int fd) {
  return now_result<stack::SockAddr>(h.getsockname(fd));
}

CallResult<stack::SockAddr> Lab::getpeername(Host& h, int fd) {
  return now_result<stack::SockAddr>(h.getpeername(fd));
}

CallResult<void> Lab::setsockopt(Host& h, int fd, int level, int name, int value) {
  // An int as the kernel reads it from user memory: little-endian on x86-64.
  const auto v = static_cast<std::uint32_t>(value);
  stack::OptVal bytes = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                         static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
  return now_result<void>(h.setsockopt(fd, level, name, bytes));
}

CallResult<int> Lab::getsockopt(Host& h, int fd, int level, int name) {
  auto r = h.getsockopt(fd, level, name, 4);
  if (!r) return CallResult<int>::failure(r.error(), now(), now());
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < r->size() && i < 4; ++i) v |= std::uint32_t{(*r)[i]} << (8 * i);
  return CallResult<int>::success(static_cast<int>(v), now(), now());
}

CallResult<void> Lab::set_nonblocking(Host& h, int fd, bool on) {
  auto fl = h.fcntl(fd, stack::kFGetfl, 0);
  if (!fl) return CallResult<void>::failure(fl.error(), now(), now());
  const long flags = on ? (*fl | stack::kONonblock) : (*fl & ~stack::kONonblock);
  auto r = h.fcntl(fd, stack::kFSetfl, flags);
  if (!r) return CallResult<void>::failure(r.error(), now(), now());
  return CallResult<void>::success({}, now(), now());
}

Errno Lab::so_error(Host& h, int fd) {
  auto r = getsockopt(h, fd, stack::kSolSocket, stack::kSoError);
  if (!r) return r.error();
  if (*r == 0) return Errno::kOk;
  return stack::errno_from_linux_number(*r).value_or(Errno::kEIO);
}

Pending<void> Lab::connect_async(Host& h, int fd, std::string_view addr) {
  auto a = user_addr(addr);
  if (!a) {
    return start<void, void>(
        h, [](stack::Done<void> d, stack::ThreadId) { d(fail(Errno::kEINVAL)); }, Identity{});
  }
  return start<void, void>(
      h,
      [&h, fd, ua = *a](stack::Done<void> d, stack::ThreadId t) {
        h.connect(fd, ua, std::move(d), t);
      },
      Identity{});
}

Pending<stack::AcceptResult> Lab::accept_async(Host& h, int fd, int flags) {
  return start<stack::AcceptResult, stack::AcceptResult>(
      h,
      [&h, fd, flags](stack::Done<stack::AcceptResult> d, stack::ThreadId t) {
        h.accept(fd, flags, std::move(d), t);
      },
      Identity{});
}

Pending<std::string> Lab::recv_async(Host& h, int fd, std::size_t len, int flags) {
  return start<std::string, stack::RecvResult>(
      h,
      [&h, fd, len, flags](stack::Done<stack::RecvResult> d, stack::ThreadId t) {
        h.recv(fd, len, flags, std::move(d), t);
      },
      as_string);
}

Pending<std::size_t> Lab::send_async(Host& h, int fd, std::string_view data, int flags) {
  // Host::send copies the bytes before it returns or blocks (as the kernel copies from user
  // memory), so they need not outlive this call.
  const std::vector<std::uint8_t> bytes(data.begin(), data.end());
  return start<std::size_t, std::size_t>(
      h,
      [&h, fd, flags, &bytes](stack::Done<std::size_t> d, stack::ThreadId t) {
        h.send(fd, bytes, flags, nullptr, std::move(d), t);
      },
      Identity{});
}

Pending<std::vector<stack::PollFd>> Lab::poll_async(Host& h, std::vector<stack::PollFd> fds,
                                                    sim::Duration timeout) {
  return start<std::vector<stack::PollFd>, std::vector<stack::PollFd>>(
      h,
      [&h, &fds, timeout](stack::Done<std::vector<stack::PollFd>> d, stack::ThreadId t) {
        h.poll(std::move(fds), timeout, std::move(d), t);
      },
      Identity{});
}

Pending<void> Lab::close_async(Host& h, int fd) {
  return start<void, void>(
      h, [&h, fd](stack::Done<void> d, stack::ThreadId t) { h.close(fd, std::move(d), t); },
      Identity{});
}

CallResult<void> Lab::connect(Host& h, int fd, std::string_view addr) {
  return wait(connect_async(h, fd, addr));
}

CallResult<stack::AcceptResult> Lab::accept(Host& h, int fd, int flags) {
  return wait(accept_async(h, fd, flags));
}

CallResult<std::size_t> Lab::send(Host& h, int fd, std::string_view data, int flags) {
  return wait(send_async(h, fd, data, flags));
}

CallResult<std::string> Lab::recv(Host& h, int fd, std::size_t len, int flags) {
  return wait(recv_async(h, fd, len, flags));
}

CallResult<std::vector<stack::PollFd>> Lab::poll(Host& h, std::vector<stack::PollFd> fds,
                                                 sim::Duration timeout) {
  return wait(poll_async(h, std::move(fds), timeout));
}

CallResult<void> Lab::close(Host& h, int fd) {
  return wait(close_async(h, fd));
}

}  // namespace synlab::testing
