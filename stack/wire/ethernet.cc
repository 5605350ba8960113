#include "stack/wire/ethernet.h"

#include <cassert>

#include <fmt/format.h>

namespace synlab::wire {

namespace {

// Values from 0x0600 up are EtherTypes; up to 1500 they are 802.3 lengths (IEEE 802.3 §3.2.6).
constexpr std::uint16_t kMinEtherType = 0x0600;

namespace field {
constexpr std::size_t kDst = 0;
constexpr std::size_t kSrc = 6;
constexpr std::size_t kEtherType = 12;
}  // namespace field

}  // namespace

Result<EthernetRepr, WireError> EthernetRepr::parse(Bytes frame) {
  if (frame.size() < kHeaderLen) return fail(WireError::kTruncated);
  EthernetRepr e;
  e.dst = load_mac(&frame[field::kDst]);
  e.src = load_mac(&frame[field::kSrc]);
  e.ethertype = load_be16(&frame[field::kEtherType]);
  if (e.ethertype < kMinEtherType) return fail(WireError::kUnsupported);
  return e;
}

void EthernetRepr::emit(MutBytes out) const {
  assert(out.size() == buffer_len());
  store_mac(&out[field::kDst], dst);
  store_mac(&out[field::kSrc], src);
  store_be16(&out[field::kEtherType], ethertype);
}

std::string to_string(const EthernetRepr& e) {
  const char* name = e.ethertype == kEtherTypeIpv4   ? "IPv4"
                     : e.ethertype == kEtherTypeIpv6 ? "IPv6"
                     : e.ethertype == kEtherTypeArp  ? "ARP"
                                                     : "Unknown";
  return fmt::format("{} > {}, ethertype {} (0x{:04x})", e.src.to_string(), e.dst.to_string(), name,
                     e.ethertype);
}

}  // namespace synlab::wire
