// Blocking socket calls for C++ code: each runs the world until the call completes, as a
// blocking call would in virtual time. What a GoogleTest user writes:
//
//   synlab::Blocking calls(world);
//   EXPECT_THAT(calls.connect(client, fd, "10.0.0.2:8080"), FailsWith(ECONNREFUSED));
//
// A call still blocked after `limit` of virtual time returns EINTR and sets stuck(), so a
// test that expected it to finish fails instead of hanging.
#pragma once

#include <string>
#include <vector>

#include "stack/world.h"

namespace synlab {

class Blocking {
 public:
  explicit Blocking(World& w, sim::Duration limit = sim::Duration::seconds(3600)) : w_(w), limit_(limit) {}

  // True when the last call was still blocked after `limit` (its result is then EINTR).
  bool stuck() const { return stuck_; }

  stack::SysResult<void> connect(stack::Host& h, int fd, const std::string& addr);
  stack::SysResult<void> connect(stack::Host& h, int fd, const stack::UserAddr& addr);
  stack::SysResult<stack::AcceptResult> accept(stack::Host& h, int fd, int flags = 0);
  stack::SysResult<std::size_t> write(stack::Host& h, int fd, std::size_t n);
  stack::SysResult<std::size_t> sendto(stack::Host& h, int fd, std::size_t n, const std::string& addr);
  stack::SysResult<stack::RecvResult> read(stack::Host& h, int fd, std::size_t n, int flags = 0);
  stack::SysResult<void> close(stack::Host& h, int fd);
  stack::SysResult<std::vector<stack::PollFd>> poll(stack::Host& h, std::vector<stack::PollFd> fds,
                                                    sim::Duration timeout);
  // poll() on one fd with a zero timeout: the revents now.
  short revents(stack::Host& h, int fd, short events);
  // getsockopt(SO_ERROR): reads and clears the pending error.
  stack::Errno so_error(stack::Host& h, int fd);

 private:
  template <class T>
  stack::SysResult<T> run(const std::function<void(stack::Done<T>)>& call) {
    auto r = w_.wait<T>(call, limit_);
    stuck_ = !r.has_value();
    if (!r) return fail(stack::Errno::kEINTR);
    return std::move(*r);
  }
  World& w_;
  sim::Duration limit_;
  bool stuck_ = false;
};

}  // namespace synlab
