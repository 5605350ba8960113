// Fixed-byte-order loads and stores for capture files.
//
// Capture files are written little-endian on every host (so the same run gives the same bytes
// on any machine), and read in whichever order their header declares. Memory is never
// reinterpret_cast to a struct: every field goes through these helpers.
#pragma once

#include <cstdint>

namespace synlab::sim::endian {

constexpr std::uint16_t load_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
constexpr std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
constexpr std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
constexpr std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
constexpr std::uint16_t load16(const std::uint8_t* p, bool big) {
  return big ? load_be16(p) : load_le16(p);
}
constexpr std::uint32_t load32(const std::uint8_t* p, bool big) {
  return big ? load_be32(p) : load_le32(p);
}
// pcapng stores 64-bit values (section length, timestamps split in two) as the section's
// byte order; a full 64-bit field is one integer in that order.
constexpr std::uint64_t load64(const std::uint8_t* p, bool big) {
  return big ? (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4)
             : std::uint64_t{load_le32(p)} | (std::uint64_t{load_le32(p + 4)} << 32);
}

constexpr void store_le16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
constexpr void store_le32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
  p[3] = static_cast<std::uint8_t>(v >> 24);
}
constexpr void store_le64(std::uint8_t* p, std::uint64_t v) {
  store_le32(p, static_cast<std::uint32_t>(v));
  store_le32(p + 4, static_cast<std::uint32_t>(v >> 32));
}

}  // namespace synlab::sim::endian
