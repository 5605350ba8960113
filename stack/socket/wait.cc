#include "stack/socket/wait.h"

#include <algorithm>

#include "stack/host.h"

namespace synlab::stack {

WaitTable::Id wait_park(Host& h, Waiter w) {
  const int thread = w.thread;
  const auto socks = w.socks;
  auto [id, wp] = h.waits.waiters.emplace(std::move(w));
  h.waits.by_thread[thread] = id;
  for (SockId s : socks) {
    if (Sock* sk = h.sock(s)) sk->waiters.push_back(id);
  }
  (void)wp;
  return id;
}

void wait_remove(Host& h, WaitTable::Id id) {
  Waiter* w = h.waits.waiters.get(id);
  if (!w) return;
  for (SockId s : w->socks) {
    if (Sock* sk = h.sock(s)) {
      auto& v = sk->waiters;
      v.erase(std::remove(v.begin(), v.end(), id), v.end());
    }
  }
  h.sim().queue().cancel(w->timeout);
  auto it = h.waits.by_thread.find(w->thread);
  if (it != h.waits.by_thread.end() && it->second == id) h.waits.by_thread.erase(it);
  h.waits.waiters.erase(id);
}

void wake(Host& h, SockId s) {
  Sock* sk = h.sock(s);
  if (!sk || sk->waiters.empty()) return;
  for (WaitTable::Id id : sk->waiters) {
    Waiter* w = h.waits.waiters.get(id);
    if (!w || w->retry_scheduled) continue;
    w->retry_scheduled = true;
    h.sim().queue().schedule(h.now(), [&h, id] {
      Waiter* ww = h.waits.waiters.get(id);
      if (!ww) return;
      ww->retry_scheduled = false;
      // Move the retry out: it may complete the call, which removes the waiter.
      auto retry = ww->retry;
      retry();
    });
  }
}

}  // namespace synlab::stack
