// A byte FIFO for socket buffers: append at the back, consume from the front.
//
// Empty queues hold no memory (std::deque would allocate on construction, and a million
// established connections with empty buffers must stay small).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace synlab::stack {

class ByteQueue {
 public:
  std::size_t size() const { return buf_.size() - head_; }
  bool empty() const { return size() == 0; }
  void append(std::span<const std::uint8_t> data) { buf_.insert(buf_.end(), data.begin(), data.end()); }
  // Bytes [offset, offset+len) from the front, clamped to what is there.
  std::span<const std::uint8_t> peek(std::size_t offset, std::size_t len) const {
    if (offset >= size()) return {};
    len = std::min(len, size() - offset);
    return {buf_.data() + head_ + offset, len};
  }
  void consume(std::size_t n) {
    head_ += std::min(n, size());
    if (head_ == buf_.size()) {
      buf_.clear();
      buf_.shrink_to_fit();
      head_ = 0;
    } else if (head_ > 4096 && head_ * 2 > buf_.size()) {
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    buf_.clear();
    buf_.shrink_to_fit();
    head_ = 0;
  }

 private:
  std::vector<std::uint8_t> buf_;
  std::size_t head_ = 0;
};

}  // namespace synlab::stack
