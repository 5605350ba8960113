// A move-only `void()` callable stored inline, with no heap allocation.
//
// The event queue fires millions of events a second; std::function would allocate for any
// capture larger than two pointers. Captures here must fit `kCapacity` bytes (checked at
// compile time), which is enough for a pointer, a packet handle and a few integers.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace synlab::sim {

class Callback {
 public:
  static constexpr std::size_t kCapacity = 48;

  Callback() = default;

  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Callback>>>
  Callback(F&& f) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= kCapacity, "capture too large for sim::Callback");
    static_assert(alignof(Fn) <= alignof(std::max_align_t), "over-aligned capture");
    static_assert(std::is_nothrow_move_constructible_v<Fn>, "capture must be nothrow-movable");
    ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
    ops_ = &kOps<Fn>;
  }

  Callback(Callback&& o) noexcept : ops_(o.ops_) {
    if (ops_) {
      ops_->move(storage_, o.storage_);
      o.reset();
    }
  }

  Callback& operator=(Callback&& o) noexcept {
    if (this != &o) {
      reset();
      ops_ = o.ops_;
      if (ops_) {
        ops_->move(storage_, o.storage_);
        o.reset();
      }
    }
    return *this;
  }

  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  ~Callback() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }

  void operator()() { ops_->call(storage_); }

  void reset() {
    if (ops_) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  struct Ops {
    void (*call)(void*);
    void (*move)(void* dst, void* src);  // move-constructs into dst
    void (*destroy)(void*);
  };

  template <class Fn>
  static constexpr Ops kOps = {
      [](void* p) { (*static_cast<Fn*>(p))(); },
      [](void* dst, void* src) { ::new (dst) Fn(std::move(*static_cast<Fn*>(src))); },
      [](void* p) { static_cast<Fn*>(p)->~Fn(); },
  };

  alignas(std::max_align_t) unsigned char storage_[kCapacity];
  const Ops* ops_ = nullptr;
};

}  // namespace synlab::sim
