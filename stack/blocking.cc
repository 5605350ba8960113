#include "stack/blocking.h"

#include "stack/socket/constants.h"

namespace synlab {

using stack::Done;
using stack::Errno;
using stack::SysResult;

SysResult<void> Blocking::connect(stack::Host& h, int fd, const std::string& addr) {
  auto a = stack::SockAddr::parse(addr);
  if (!a) return fail(Errno::kEINVAL);
  return connect(h, fd, stack::UserAddr::from(*a));
}

SysResult<void> Blocking::connect(stack::Host& h, int fd, const stack::UserAddr& addr) {
  return run<void>([&](Done<void> d) { h.connect(fd, addr, std::move(d)); });
}

SysResult<stack::AcceptResult> Blocking::accept(stack::Host& h, int fd, int flags) {
  return run<stack::AcceptResult>([&](Done<stack::AcceptResult> d) { h.accept(fd, flags, std::move(d)); });
}

SysResult<std::size_t> Blocking::write(stack::Host& h, int fd, std::size_t n) {
  std::vector<std::uint8_t> data(n);
  for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>('a' + i % 26);
  return run<std::size_t>([&](Done<std::size_t> d) { h.send(fd, data, 0, nullptr, std::move(d)); });
}

SysResult<std::size_t> Blocking::sendto(stack::Host& h, int fd, std::size_t n, const std::string& addr) {
  std::vector<std::uint8_t> data(n, 'x');
  auto a = stack::SockAddr::parse(addr);
  if (!a) return fail(Errno::kEINVAL);
  const auto ua = stack::UserAddr::from(*a);
  return run<std::size_t>([&](Done<std::size_t> d) { h.send(fd, data, 0, &ua, std::move(d)); });
}

SysResult<stack::RecvResult> Blocking::read(stack::Host& h, int fd, std::size_t n, int flags) {
  return run<stack::RecvResult>([&](Done<stack::RecvResult> d) { h.recv(fd, n, flags, std::move(d)); });
}

SysResult<void> Blocking::close(stack::Host& h, int fd) {
  return run<void>([&](Done<void> d) { h.close(fd, std::move(d)); });
}

SysResult<std::vector<stack::PollFd>> Blocking::poll(stack::Host& h, std::vector<stack::PollFd> fds,
                                                     sim::Duration timeout) {
  return run<std::vector<stack::PollFd>>(
      [&](Done<std::vector<stack::PollFd>> d) { h.poll(fds, timeout, std::move(d)); });
}

short Blocking::revents(stack::Host& h, int fd, short events) {
  auto r = poll(h, {stack::PollFd{fd, events, 0}}, sim::Duration::zero());
  return r ? (*r)[0].revents : 0;
}

Errno Blocking::so_error(stack::Host& h, int fd) {
  auto v = h.getsockopt(fd, stack::kSolSocket, stack::kSoError, 4);
  if (!v || v->size() < 4) return Errno::kEBADF;
  const int n = (*v)[0] | ((*v)[1] << 8) | ((*v)[2] << 16) | ((*v)[3] << 24);
  if (n == 0) return Errno::kOk;
  return stack::errno_from_linux_number(n).value_or(Errno::kEIO);
}

}  // namespace synlab
