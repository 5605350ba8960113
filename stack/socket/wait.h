// Blocked calls.
//
// A blocking call that cannot complete at once parks a `Waiter`: the sockets whose events
// wake it, a `retry` that re-runs the call's check (returning true once it has completed and
// invoked its continuation), and an optional timeout (SO_SNDTIMEO / SO_RCVTIMEO / poll's).
// Like a Linux wait queue, a wake-up does not complete the call on the spot: it schedules a
// retry at the current instant, after the event that caused it, so a continuation never runs
// in the middle of packet processing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "sim/event_queue.h"
#include "stack/slab.h"
#include "stack/socket/errno.h"
#include "stack/tcp/tcb.h"

namespace synlab::stack {

class Host;

struct Waiter {
  int thread = 0;
  std::vector<SockId> socks;
  // Re-checks the call; true when it completed (its continuation has run).
  std::function<bool()> retry;
  // Completes the call with an error (EINTR, a timeout's EAGAIN).
  std::function<void(Errno)> abort;
  // Called when the timeout fires; completes the call (poll returns 0, connect EINPROGRESS).
  std::function<void()> on_timeout;
  sim::TimerId timeout;
  // With SA_RESTART the call restarts invisibly (connect, accept, read, write without a
  // timeout). Without it, or for calls Linux never restarts (poll, timed waits): EINTR.
  bool restartable = true;
  bool retry_scheduled = false;
  const char* what = "";  // "connect", for traces
};

class WaitTable {
 public:
  using Id = Slab<Waiter>::Id;

  Slab<Waiter> waiters;
  std::map<int, Id> by_thread;  // a thread blocks in at most one call
};

// Parks `w` for `thread` on its sockets. Returns its id.
WaitTable::Id wait_park(Host& h, Waiter w);
// Removes a waiter (after it completed or was aborted). Cancels its timeout.
void wait_remove(Host& h, WaitTable::Id id);
// Something changed on `s`: retry every call waiting on it (at the current instant).
void wake(Host& h, SockId s);

}  // namespace synlab::stack
