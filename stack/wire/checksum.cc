#include "stack/wire/checksum.h"

#include <bit>
#include <cstring>

namespace synlab::wire {

void Checksum::add(Bytes data) {
  std::size_t i = 0;
  if (odd_ && !data.empty()) {
    sum_ += data[0];  // low byte of the word started by the previous add()
    i = 1;
    odd_ = false;
  }
  // Eight bytes at a time. The one's-complement sum does not depend on byte order (RFC 1071
  // §2(B)): add the 32-bit halves of native 64-bit loads, fold to 16 bits, and swap the result
  // to big-endian on a little-endian host. (Measured: checksums were 7.6% of the instructions
  // of a handshake two bytes at a time.)
  if (data.size() - i >= 8) {
    std::uint64_t acc = 0;
    for (; i + 8 <= data.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, &data[i], 8);
      acc += (w & 0xffffffffu) + (w >> 32);
    }
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    auto folded = static_cast<std::uint16_t>(acc);
    if constexpr (std::endian::native == std::endian::little) {
      folded = static_cast<std::uint16_t>((folded >> 8) | (folded << 8));
    }
    sum_ += folded;
  }
  for (; i + 1 < data.size(); i += 2) sum_ += load_be16(&data[i]);
  if (i < data.size()) {
    sum_ += std::uint64_t{data[i]} << 8;
    odd_ = true;
  }
}

std::uint16_t Checksum::finish() const {
  std::uint64_t s = sum_;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffff);
}

std::uint16_t internet_checksum(Bytes data) {
  Checksum c;
  c.add(data);
  return c.finish();
}

namespace {

Checksum pseudo(const IpAddr& src, const IpAddr& dst, std::uint8_t protocol, Bytes segment) {
  Checksum c;
  c.add(src.bytes());
  c.add(dst.bytes());
  if (src.is_v4()) {
    c.add16(protocol);
    c.add16(static_cast<std::uint16_t>(segment.size()));
  } else {
    c.add32(static_cast<std::uint32_t>(segment.size()));
    c.add16(protocol);
  }
  c.add(segment);
  return c;
}

}  // namespace

std::uint16_t pseudo_header_checksum(const IpAddr& src, const IpAddr& dst, std::uint8_t protocol,
                                     Bytes segment) {
  return pseudo(src, dst, protocol, segment).finish();
}

bool pseudo_header_checksum_ok(const IpAddr& src, const IpAddr& dst, std::uint8_t protocol,
                               Bytes segment) {
  return pseudo(src, dst, protocol, segment).finish() == 0;
}

}  // namespace synlab::wire
