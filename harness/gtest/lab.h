// A lab: a World plus socket calls that read like a test, for C++ tests in any framework.
//
// This is the framework-neutral half of synlab's testing support (GoogleTest users include
// harness/gtest/synlab_gtest.h, which builds on it; Boost.Test users include this header):
//
//   synlab::testing::Lab lab;
//   auto& client = lab.add_host("client", {"10.0.0.1/24"});
//   auto& server = lab.add_host("server", {"10.0.0.2/24"});
//   lab.link(client, server, 50ms);
//   const int lfd = lab.tcp_listen(server, "10.0.0.2:8080").value();
//   const int fd = lab.tcp_socket(client).value();
//   auto r = lab.connect(client, fd, "10.0.0.2:8080");   // runs the world until it returns
//   // r.ok(), r.error() == Errno::kOk, r.at() == 0.200 s (ARP, then SYN / SYN-ACK)
//
// Every call returns a `CallResult<T>`: the value (or the errno, as the typed `stack::Errno`),
// and the virtual times the call started and returned at. Calls that may block (connect,
// accept, send, recv, poll, close) run the simulated world until they return, as a blocking
// call would in virtual time; a call still blocked after `call_limit()` (an hour by default)
// comes back with `returned() == false`, so a test that expected it to finish fails instead
// of hanging. The `*_async` forms start a call and return a `Pending` to wait on later, for
// tests where two hosts block at once (an accept waiting for the connect).
//
// Addresses are written "10.0.0.2:8080" or "[fd00::2]:8080". Socket constants are Linux's
// (stack/socket/sock.h, constants.h) on every build host; errno values from <cerrno> are
// translated with `errno_from_host`, so `ECONNREFUSED` works in tests on any system.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sim/time.h"
#include "stack/host.h"
#include "stack/socket/constants.h"
#include "stack/socket/errno.h"
#include "stack/socket/sock.h"
#include "stack/world.h"

namespace synlab::testing {

using stack::Errno;

// "ECONNREFUSED (Connection refused)"; "no error" for Errno::kOk.
std::string errno_text(Errno e);
// The stack's errno for a value of the build host's <cerrno> (ECONNREFUSED, EAGAIN, ...);
// nullopt for a number the stack does not model.
std::optional<Errno> errno_from_host(int e);

// The value a C call would return for a successful result: the fd, the byte count, 0.
namespace detail {
inline std::int64_t c_return(const std::monostate&) {
  return 0;
}
inline std::int64_t c_return(int v) {
  return v;
}
inline std::int64_t c_return(std::size_t v) {
  return static_cast<std::int64_t>(v);
}
inline std::int64_t c_return(const stack::AcceptResult& a) {
  return a.fd;
}
inline std::int64_t c_return(const stack::RecvResult& r) {
  return static_cast<std::int64_t>(r.data.size());
}
inline std::int64_t c_return(const std::string& bytes) {
  return static_cast<std::int64_t>(bytes.size());
}
inline std::int64_t c_return(const std::vector<stack::PollFd>& fds) {
  std::int64_t n = 0;  // poll(2) returns the number of fds with events
  for (const auto& p : fds) n += p.revents != 0;
  return n;
}
template <class V>
std::int64_t c_return(const V&) {
  return 0;  // getsockname, getsockopt: 0 on success
}
}  // namespace detail

template <class T>
class CallResult {
 public:
  using Value = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  CallResult() = default;
  static CallResult success(Value v, sim::Time started, sim::Time at) {
    CallResult r;
    r.value_.emplace(std::move(v));
    r.started_ = started;
    r.at_ = at;
    return r;
  }
  static CallResult failure(Errno e, sim::Time started, sim::Time at) {
    CallResult r;
    r.error_ = e;
    r.started_ = started;
    r.at_ = at;
    return r;
  }
  // A blocking call that had not returned when the wait ended (at `now`).
  static CallResult blocked(sim::Time started, sim::Time now) {
    CallResult r;
    r.returned_ = false;
    r.started_ = started;
    r.at_ = now;
    return r;
  }

  // The call returned without an error.
  bool ok() const { return returned_ && error_ == Errno::kOk; }
  explicit operator bool() const { return ok(); }
  // False when a blocking call was still blocked when the wait ended.
  bool returned() const { return returned_; }
  // Errno::kOk when the call succeeded (or has not returned).
  Errno error() const { return error_; }

  // The value; throws std::logic_error (naming the errno) when the call failed, so
  // `lab.tcp_socket(h).value()` in a test fails loudly instead of reading garbage.
  const Value& value() const {
    if (!ok()) throw std::logic_error("value() of a failed call: " + to_string());
    return *value_;
  }
  const Value& operator*() const { return value(); }
  const Value* operator->() const { return &value(); }

  // What a C program would see: the call's return value, -1 on error.
  std::int64_t ret() const { return ok() ? detail::c_return(*value_) : -1; }

  sim::Time started() const { return started_; }
  // The virtual time the call returned at (for one still blocked: when the wait gave up).
  sim::Time at() const { return at_; }
  sim::Duration took() const { return at_ - started_; }

  // "3", "-1 ECONNREFUSED (Connection refused)", "still blocked" (no time).
  std::string to_string() const {
    if (!returned_) return "still blocked";
    if (!ok()) return "-1 " + errno_text(error_);
    return std::to_string(ret());
  }

 private:
  std::optional<Value> value_;
  Errno error_ = Errno::kOk;
  bool returned_ = true;
  sim::Time started_;
  sim::Time at_;
};

// "-1 ECONNREFUSED (Connection refused) at 0.200000 s", "3 at 0.000000 s",
// "still blocked at 3600.000000 s (since 0.000000 s)".
template <class T>
std::ostream& operator<<(std::ostream& os, const CallResult<T>& r) {
  os << r.to_string() << " at " << sim::format_seconds(r.at()) << " s";
  if (!r.returned()) os << " (since " << sim::format_seconds(r.started()) << " s)";
  return os;
}

// A blocking call started with a `*_async` method. Copies share the same call.
template <class T>
class Pending {
 public:
  struct State {
    std::optional<CallResult<T>> result;
    sim::Time started;
    stack::Host* host = nullptr;
    stack::ThreadId thread = 0;
  };
  explicit Pending(std::shared_ptr<State> s) : s_(std::move(s)) {}

  bool done() const { return s_->result.has_value(); }
  // The result if it returned, else a "still blocked" result stamped `now`.
  CallResult<T> result(sim::Time now) const {
    return s_->result ? *s_->result : CallResult<T>::blocked(s_->started, now);
  }
  // The simulated thread blocked in the call (for Host::signal).
  stack::ThreadId thread() const { return s_->thread; }
  stack::Host& host() const { return *s_->host; }

 private:
  std::shared_ptr<State> s_;
};

class Lab {
 public:
  explicit Lab(WorldConfig cfg = {});
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;
  virtual ~Lab() = default;

  World& world() { return world_; }
  sim::Simulator& sim() { return world_.sim(); }

  // --- Building the world ----------------------------------------------------------------
  // A host with these addresses ("10.0.0.1/24", "fd00::1/64") on its first interface.
  stack::Host& add_host(std::string name, std::vector<std::string> addresses = {},
                        stack::Personality personality = stack::linux_6_18());
  // The host called `name`; throws std::invalid_argument when there is none.
  stack::Host& host(std::string_view name);
  // A point-to-point link with this one-way delay (the rest of `cfg` as given).
  sim::Link& link(stack::Host& a, stack::Host& b, sim::Duration delay, sim::LinkConfig cfg = {});
  // Every address on a shared link becomes a permanent neighbour entry on the other hosts'
  // interfaces (a scenario's `neighbours static`), so no ARP or NDP precedes the first packet
  // and a connect takes exactly one round trip. Call after linking.
  void static_neighbours();

  // --- Virtual time ----------------------------------------------------------------------
  sim::Time now() const { return world_.now(); }
  void run_until(sim::Time t) { world_.run_until(t); }
  void run_for(sim::Duration d) { world_.run_for(d); }
  // Runs until `done()` holds (true) or `limit` passes (false).
  bool run_until(const std::function<bool()>& done,
                 sim::Duration limit = sim::Duration::seconds(3600)) {
    return world_.run_until(done, limit);
  }
  // How long a blocking call may block before it comes back "still blocked".
  sim::Duration call_limit() const { return call_limit_; }
  void set_call_limit(sim::Duration d) { call_limit_ = d; }

  // --- Calls that never block ------------------------------------------------------------
  CallResult<int> socket(stack::Host& h, int domain, int type, int protocol = 0);
  CallResult<int> tcp_socket(stack::Host& h, int domain = stack::kAfInet);
  CallResult<int> udp_socket(stack::Host& h, int domain = stack::kAfInet);
  // `addr` is "10.0.0.2:8080" or "[fd00::2]:8080"; an unparsable one is an EINVAL result.
  CallResult<void> bind(stack::Host& h, int fd, std::string_view addr);
  CallResult<void> listen(stack::Host& h, int fd, int backlog = 128);
  // socket + bind + listen: the listening fd, or the first step's error.
  CallResult<int> tcp_listen(stack::Host& h, std::string_view addr, int backlog = 128);
  CallResult<void> shutdown(stack::Host& h, int fd, int how);
  CallResult<stack::SockAddr> getsockname(stack::Host& h, int fd);
  CallResult<stack::SockAddr> getpeername(stack::Host& h, int fd);
  // Integer socket options (SO_*, TCP_*: the constants in stack/socket/constants.h).
  CallResult<void> setsockopt(stack::Host& h, int fd, int level, int name, int value);
  CallResult<int> getsockopt(stack::Host& h, int fd, int level, int name);
  // fcntl(F_SETFL, flags | O_NONBLOCK).
  CallResult<void> set_nonblocking(stack::Host& h, int fd, bool on = true);
  // getsockopt(SO_ERROR): reads and clears the pending error (kOk when none).
  Errno so_error(stack::Host& h, int fd);

  // --- Calls that may block: run the world until they return -----------------------------
  CallResult<void> connect(stack::Host& h, int fd, std::string_view addr);
  CallResult<stack::AcceptResult> accept(stack::Host& h, int fd, int flags = 0);
  CallResult<std::size_t> send(stack::Host& h, int fd, std::string_view data, int flags = 0);
  // The bytes read, as a string (ret() is their count; "" at end of stream).
  CallResult<std::string> recv(stack::Host& h, int fd, std::size_t len, int flags = 0);
  CallResult<std::vector<stack::PollFd>> poll(stack::Host& h, std::vector<stack::PollFd> fds,
                                              sim::Duration timeout);
  CallResult<void> close(stack::Host& h, int fd);

  // --- The same, started now and waited for later ----------------------------------------
  Pending<void> connect_async(stack::Host& h, int fd, std::string_view addr);
  Pending<stack::AcceptResult> accept_async(stack::Host& h, int fd, int flags = 0);
  Pending<std::string> recv_async(stack::Host& h, int fd, std::size_t len, int flags = 0);
  Pending<std::size_t> send_async(stack::Host& h, int fd, std::string_view data, int flags = 0);
  Pending<std::vector<stack::PollFd>> poll_async(stack::Host& h, std::vector<stack::PollFd> fds,
                                                 sim::Duration timeout);
  Pending<void> close_async(stack::Host& h, int fd);
  // Runs the world until the call returns or `limit` (default: call_limit()) passes.
  template <class T>
  CallResult<T> wait(const Pending<T>& p, std::optional<sim::Duration> limit = std::nullopt) {
    run_until([&p] { return p.done(); }, limit.value_or(call_limit_));
    return p.result(now());
  }

  // Starts any host call that takes a Done<U> continuation, converting its value with `conv`
  // (U -> T). The building block of the calls above.
  template <class T, class U, class Conv>
  Pending<T> start(stack::Host& h, const std::function<void(stack::Done<U>, stack::ThreadId)>& call,
                   Conv conv) {
    auto st = std::make_shared<typename Pending<T>::State>();
    st->started = now();
    st->host = &h;
    st->thread = next_thread_++;
    sim::Simulator* s = &sim();
    call(
        [st, s, conv](stack::SysResult<U> r) {
          if (!r) {
            st->result = CallResult<T>::failure(r.error(), st->started, s->now());
          } else if constexpr (std::is_void_v<U>) {
            st->result = CallResult<T>::success({}, st->started, s->now());
          } else {
            st->result = CallResult<T>::success(conv(std::move(*r)), st->started, s->now());
          }
        },
        st->thread);
    return Pending<T>(st);
  }

 private:
  // A non-blocking call's result, stamped now.
  template <class T, class U>
  CallResult<T> now_result(stack::SysResult<U> r);

  World world_;
  sim::Duration call_limit_ = sim::Duration::seconds(3600);
  // Each call blocks its own simulated thread (Linux allows one blocked call per thread).
  stack::ThreadId next_thread_ = 1;
};

}  // namespace synlab::testing
