#include "stack/wire/arp.h"

#include <cassert>
#include <cstring>

#include "stack/wire/ethernet.h"

namespace synlab::wire {

namespace {

constexpr std::uint16_t kHardwareEthernet = 1;  // RFC 826 ar$hrd; IANA "Hardware Types"

namespace field {
constexpr std::size_t kHardwareType = 0;
constexpr std::size_t kProtocolType = 2;
constexpr std::size_t kHardwareLen = 4;
constexpr std::size_t kProtocolLen = 5;
constexpr std::size_t kOp = 6;
constexpr std::size_t kSenderMac = 8;
constexpr std::size_t kSenderIp = 14;
constexpr std::size_t kTargetMac = 18;
constexpr std::size_t kTargetIp = 24;
}  // namespace field

}  // namespace

Result<ArpRepr, WireError> ArpRepr::parse(Bytes packet) {
  if (packet.size() < kArpLen) return fail(WireError::kTruncated);
  if (load_be16(&packet[field::kHardwareType]) != kHardwareEthernet ||
      load_be16(&packet[field::kProtocolType]) != kEtherTypeIpv4) {
    return fail(WireError::kUnsupported);
  }
  if (packet[field::kHardwareLen] != 6 || packet[field::kProtocolLen] != 4) {
    return fail(WireError::kBadLength);
  }
  const std::uint16_t op = load_be16(&packet[field::kOp]);
  if (op != static_cast<std::uint16_t>(ArpOp::kRequest) &&
      op != static_cast<std::uint16_t>(ArpOp::kReply)) {
    return fail(WireError::kUnsupported);
  }
  ArpRepr a;
  a.op = static_cast<ArpOp>(op);
  a.sender_mac = load_mac(&packet[field::kSenderMac]);
  a.sender_ip = IpAddr::from_bytes(packet.subspan(field::kSenderIp, 4));
  a.target_mac = load_mac(&packet[field::kTargetMac]);
  a.target_ip = IpAddr::from_bytes(packet.subspan(field::kTargetIp, 4));
  return a;
}

void ArpRepr::emit(MutBytes out) const {
  assert(out.size() == buffer_len());
  assert(sender_ip.is_v4() && target_ip.is_v4());
  store_be16(&out[field::kHardwareType], kHardwareEthernet);
  store_be16(&out[field::kProtocolType], kEtherTypeIpv4);
  out[field::kHardwareLen] = 6;
  out[field::kProtocolLen] = 4;
  store_be16(&out[field::kOp], static_cast<std::uint16_t>(op));
  store_mac(&out[field::kSenderMac], sender_mac);
  std::memcpy(&out[field::kSenderIp], sender_ip.bytes().data(), 4);
  store_mac(&out[field::kTargetMac], target_mac);
  std::memcpy(&out[field::kTargetIp], target_ip.bytes().data(), 4);
}

std::string to_string(const ArpRepr& a) {
  switch (a.op) {
    case ArpOp::kRequest:
      return "ARP who-has " + a.target_ip.to_string() + " tell " + a.sender_ip.to_string();
    case ArpOp::kReply:
      return "ARP reply " + a.sender_ip.to_string() + " is-at " + a.sender_mac.to_string();
  }
  return "ARP ?";
}

}  // namespace synlab::wire
