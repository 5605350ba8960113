#include "stack/wire/checksum.h"

namespace synlab::wire {

void Checksum::add(Bytes data) {
  std::size_t i = 0;
  if (odd_ && !data.empty()) {
    sum_ += data[0];  // low byte of the word started by the previous add()
    i = 1;
    odd_ = false;
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
