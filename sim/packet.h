// An owned frame: the exact bytes that travel on a simulated link.
//
// Move-only, so a frame has one owner at a time (the sender, then the link's in-flight event,
// then the receiver). Copies are explicit (`clone`), which is what duplication faults and
// captures need. Small frames (every handshake segment) live inline with no allocation.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace synlab::sim {

class Packet {
 public:
  static constexpr std::size_t kInline = 96;

  Packet() = default;
  explicit Packet(std::size_t size) { resize_uninit(size); }
  static Packet copy_of(std::span<const std::uint8_t> bytes) {
    Packet p(bytes.size());
    if (!bytes.empty()) std::memcpy(p.data(), bytes.data(), bytes.size());
    return p;
  }

  Packet(Packet&& o) noexcept { take(o); }
  Packet& operator=(Packet&& o) noexcept {
    if (this != &o) take(o);
    return *this;
  }
  Packet(const Packet&) = delete;
  Packet& operator=(const Packet&) = delete;

  Packet clone() const { return copy_of(bytes()); }

  std::uint8_t* data() { return heap_ ? heap_.get() : inline_; }
  const std::uint8_t* data() const { return heap_ ? heap_.get() : inline_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<std::uint8_t> bytes() { return {data(), size_}; }
  std::span<const std::uint8_t> bytes() const { return {data(), size_}; }
  std::uint8_t& operator[](std::size_t i) { return data()[i]; }
  std::uint8_t operator[](std::size_t i) const { return data()[i]; }

  // Shrinks, or grows with unspecified new bytes.
  void resize_uninit(std::size_t size) {
    if (size > kInline && !heap_) {
      heap_ = std::make_unique_for_overwrite<std::uint8_t[]>(size);
      if (size_) std::memcpy(heap_.get(), inline_, size_);
      capacity_ = size;
    } else if (heap_ && size > capacity_) {
      auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(size);
      std::memcpy(bigger.get(), heap_.get(), size_);
      heap_ = std::move(bigger);
      capacity_ = size;
    }
    size_ = size;
  }

 private:
  void take(Packet& o) {
    size_ = o.size_;
    capacity_ = o.capacity_;
    heap_ = std::move(o.heap_);
    if (!heap_ && size_) std::memcpy(inline_, o.inline_, size_);
    o.size_ = 0;
    o.capacity_ = 0;
  }

  std::unique_ptr<std::uint8_t[]> heap_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::uint8_t inline_[kInline];
};

}  // namespace synlab::sim
