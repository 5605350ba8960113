// The discrete-event core: one clock, one queue.
//
// Invariants:
// - Events fire in (time, insertion order): two events at the same instant run in the order
//   they were scheduled, so a run never depends on pointer values or hash order.
// - `schedule`, `cancel` and `reschedule` are O(log n); a cancelled event leaves nothing
//   behind (the slot is reused), so timers that are re-armed on every segment cost nothing
//   extra over a run.
// - Time never goes backwards: an event scheduled in the past fires "now".
#pragma once

#include <cstdint>
#include <vector>

#include "sim/callback.h"
#include "sim/time.h"

namespace synlab::sim {

// Names a scheduled event. Stale ids (fired or cancelled) are detected, never confused with
// a later event that reuses the slot.
struct TimerId {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  // 0 = never scheduled
  constexpr bool valid() const { return generation != 0; }
  constexpr bool operator==(const TimerId&) const = default;
};

class EventQueue {
 public:
  EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  Time now() const { return now_; }

  TimerId schedule(Time at, Callback cb);
  TimerId schedule_in(Duration d, Callback cb) { return schedule(saturating_add(now_, d), std::move(cb)); }

  // Returns false when the event already fired or was cancelled.
  bool cancel(TimerId id);
  // Moves a pending event to a new instant; it is then ordered as if scheduled now.
  bool reschedule(TimerId id, Time at);
  bool pending(TimerId id) const;
  // When a pending event will fire; Time::max() if it is not pending.
  Time deadline(TimerId id) const;

  // Runs the earliest event. Returns false when the queue is empty.
  bool run_next();
  // Runs every event due at or before `limit`, then advances the clock to `limit`.
  void run_until(Time limit);
  // The instant of the earliest pending event, Time::max() when empty.
  Time next_time() const;

  std::size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }
  // Events fired since the queue was made.
  std::uint64_t events_run() const { return events_run_; }

 private:
  struct Entry {
    std::int64_t at;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  struct Slot {
    Callback cb;
    std::uint32_t generation = 1;
    std::uint32_t heap_pos = kNotInHeap;
    std::uint32_t next_free = kNoSlot;
  };
  static constexpr std::uint32_t kNotInHeap = 0xffffffffu;
  static constexpr std::uint32_t kNoSlot = 0xffffffffu;
  static constexpr std::size_t kArity = 4;

  static bool earlier(const Entry& a, const Entry& b) {
    return a.at < b.at || (a.at == b.at && a.seq < b.seq);
  }
  void place(std::size_t pos, const Entry& e) {
    heap_[pos] = e;
    slots_[e.slot].heap_pos = static_cast<std::uint32_t>(pos);
  }
  void sift_up(std::size_t pos);
  void sift_down(std::size_t pos);
  void remove_at(std::size_t pos);
  std::uint32_t alloc_slot();
  void free_slot(std::uint32_t slot);
  const Slot* live_slot(TimerId id) const;

  Time now_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_run_ = 0;
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::uint32_t free_head_ = kNoSlot;
};

}  // namespace synlab::sim
