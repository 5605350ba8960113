#include "stack/wire/udp.h"

#include <algorithm>
#include <cstring>

#include "stack/wire/checksum.h"
#include "stack/wire/ip_protocol.h"

namespace synlab::wire {

namespace {

namespace field {
constexpr std::size_t kSrcPort = 0;
constexpr std::size_t kDstPort = 2;
constexpr std::size_t kLength = 4;
constexpr std::size_t kChecksum = 6;
}  // namespace field

}  // namespace

Result<UdpRepr, WireError> UdpRepr::parse(Bytes datagram, const IpAddr& src, const IpAddr& dst,
                                          ChecksumCheck check) {
  if (datagram.size() < kUdpHeaderLen) return fail(WireError::kTruncated);
  const std::size_t len = load_be16(&datagram[field::kLength]);
  if (len < kUdpHeaderLen) return fail(WireError::kBadLength);
  if (len > datagram.size()) return fail(WireError::kTruncated);
  const Bytes d = datagram.first(len);
  if (check == ChecksumCheck::kVerify) {
    const std::uint16_t sum = load_be16(&d[field::kChecksum]);
    if (sum == 0) {
      if (src.is_v6()) return fail(WireError::kBadChecksum);
    } else if (!pseudo_header_checksum_ok(src, dst, kIpProtoUdp, d)) {
      return fail(WireError::kBadChecksum);
    }
  }
  UdpRepr r;
  r.src_port = load_be16(&d[field::kSrcPort]);
  r.dst_port = load_be16(&d[field::kDstPort]);
  r.payload = d.subspan(kUdpHeaderLen);
  return r;
}

void UdpRepr::emit(MutBytes out, const IpAddr& src, const IpAddr& dst) const {
  const std::size_t total = buffer_len();
  if (!payload.empty()) std::memmove(out.data() + kUdpHeaderLen, payload.data(), payload.size());
  std::uint8_t* p = out.data();
  store_be16(p + field::kSrcPort, src_port);
  store_be16(p + field::kDstPort, dst_port);
  store_be16(p + field::kLength, static_cast<std::uint16_t>(total));
  store_be16(p + field::kChecksum, 0);
  std::uint16_t sum = pseudo_header_checksum(src, dst, kIpProtoUdp, out.first(total));
  if (sum == 0) sum = 0xffff;
  store_be16(p + field::kChecksum, sum);
}

bool operator==(const UdpRepr& a, const UdpRepr& b) {
  return a.src_port == b.src_port && a.dst_port == b.dst_port &&
         std::ranges::equal(a.payload, b.payload);
}

}  // namespace synlab::wire
