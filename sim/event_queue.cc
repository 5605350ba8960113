#include "sim/event_queue.h"

#include <utility>

namespace synlab::sim {

std::uint32_t EventQueue::alloc_slot() {
  if (free_head_ != kNoSlot) {
    const std::uint32_t s = free_head_;
    free_head_ = slots_[s].next_free;
    slots_[s].next_free = kNoSlot;
    return s;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void EventQueue::free_slot(std::uint32_t slot) {
  Slot& s = slots_[slot];
  s.cb.reset();
  s.heap_pos = kNotInHeap;
  // Generation 0 means "never scheduled"; skip it on wrap-around.
  if (++s.generation == 0) s.generation = 1;
  s.next_free = free_head_;
  free_head_ = slot;
}

const EventQueue::Slot* EventQueue::live_slot(TimerId id) const {
  if (!id.valid() || id.slot >= slots_.size()) return nullptr;
  const Slot& s = slots_[id.slot];
  if (s.generation != id.generation || s.heap_pos == kNotInHeap) return nullptr;
  return &s;
}

TimerId EventQueue::schedule(Time at, Callback cb) {
  if (at < now_) at = now_;
  const std::uint32_t slot = alloc_slot();
  slots_[slot].cb = std::move(cb);
  heap_.push_back(Entry{at.ns(), next_seq_++, slot});
  slots_[slot].heap_pos = static_cast<std::uint32_t>(heap_.size() - 1);
  sift_up(heap_.size() - 1);
  return TimerId{slot, slots_[slot].generation};
}

bool EventQueue::cancel(TimerId id) {
  const Slot* s = live_slot(id);
  if (!s) return false;
  remove_at(s->heap_pos);
  free_slot(id.slot);
  return true;
}

bool EventQueue::reschedule(TimerId id, Time at) {
  const Slot* s = live_slot(id);
  if (!s) return false;
  if (at < now_) at = now_;
  const std::size_t pos = s->heap_pos;
  Entry e = heap_[pos];
  e.at = at.ns();
  e.seq = next_seq_++;  // ordered as if scheduled now, even at the same instant
  place(pos, e);
  sift_down(pos);
  sift_up(slots_[id.slot].heap_pos);
  return true;
}

bool EventQueue::pending(TimerId id) const { return live_slot(id) != nullptr; }

Time EventQueue::deadline(TimerId id) const {
  const Slot* s = live_slot(id);
  return s ? Time::from_ns(heap_[s->heap_pos].at) : Time::max();
}

Time EventQueue::next_time() const {
  return heap_.empty() ? Time::max() : Time::from_ns(heap_.front().at);
}

bool EventQueue::run_next() {
  if (heap_.empty()) return false;
  const Entry top = heap_.front();
  remove_at(0);
  now_ = Time::from_ns(top.at);
  // Move the callback out before running it: it may schedule events that grow `slots_`.
  Callback cb = std::move(slots_[top.slot].cb);
  free_slot(top.slot);
  ++events_run_;
  cb();
  return true;
}

void EventQueue::run_until(Time limit) {
  while (!heap_.empty() && heap_.front().at <= limit.ns()) run_next();
  if (limit > now_) now_ = limit;
}

void EventQueue::sift_up(std::size_t pos) {
  const Entry e = heap_[pos];
  while (pos > 0) {
    const std::size_t parent = (pos - 1) / kArity;
    if (!earlier(e, heap_[parent])) break;
    place(pos, heap_[parent]);
    pos = parent;
  }
  place(pos, e);
}

void EventQueue::sift_down(std::size_t pos) {
  const std::size_t n = heap_.size();
  const Entry e = heap_[pos];
  for (;;) {
    const std::size_t first = pos * kArity + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t last = first + kArity < n ? first + kArity : n;
    for (std::size_t c = first + 1; c < last; ++c) {
      if (earlier(heap_[c], heap_[best])) best = c;
    }
    if (!earlier(heap_[best], e)) break;
    place(pos, heap_[best]);
    pos = best;
  }
  place(pos, e);
}

void EventQueue::remove_at(std::size_t pos) {
  const std::size_t last = heap_.size() - 1;
  slots_[heap_[pos].slot].heap_pos = kNotInHeap;
  if (pos != last) {
    const Entry moved = heap_[last];
    heap_.pop_back();
    place(pos, moved);
    sift_down(pos);
    sift_up(slots_[moved.slot].heap_pos);
  } else {
    heap_.pop_back();
  }
}

}  // namespace synlab::sim
