// Result<T, E>: a value or a typed error (std::expected is C++23; g++ 12 lacks it in C++20).
//
// Used on every path that handles untrusted input or can fail for a reason a caller must see:
// wire parsing (Result<TcpRepr, WireError>), the stack (Result<int, Errno>). No exceptions on
// the packet path.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace synlab {

template <class E>
struct Err {
  E error;
};
template <class E>
Err(E) -> Err<E>;

// `return fail(WireError::kTruncated);` reads better than building an Err by hand.
template <class E>
constexpr Err<E> fail(E e) {
  return Err<E>{e};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(const T& v) : v_(std::in_place_index<0>, v) {}              // NOLINT
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}        // NOLINT
  template <class E2, class = std::enable_if_t<std::is_convertible_v<E2, E>>>
  Result(Err<E2> e) : v_(std::in_place_index<1>, E(std::move(e.error))) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T value_or(T fallback) const { return ok() ? std::get<0>(v_) : std::move(fallback); }
  const E& error() const { assert(!ok()); return std::get<1>(v_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <class E2, class = std::enable_if_t<std::is_convertible_v<E2, E>>>
  Result(Err<E2> e) : ok_(false), e_(E(std::move(e.error))) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const { assert(!ok_); return e_; }

 private:
  bool ok_ = true;
  E e_{};
};

}  // namespace synlab
