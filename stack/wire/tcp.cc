#include "stack/wire/tcp.h"

#include <algorithm>
#include <cstring>

#include "stack/wire/checksum.h"
#include "stack/wire/ip_protocol.h"

namespace synlab::wire {

namespace {

// Byte offsets in the fixed header (RFC 9293 §3.1, figure 1).
namespace field {
constexpr std::size_t kSrcPort = 0;
constexpr std::size_t kDstPort = 2;
constexpr std::size_t kSeq = 4;
constexpr std::size_t kAck = 8;
constexpr std::size_t kOffset = 12;  // data offset (high nibble), reserved + AE (low nibble)
constexpr std::size_t kFlags = 13;
constexpr std::size_t kWindow = 14;
constexpr std::size_t kChecksum = 16;
constexpr std::size_t kUrgent = 18;
}  // namespace field

}  // namespace

Result<TcpRepr, WireError> TcpRepr::parse(Bytes segment, const IpAddr& src, const IpAddr& dst,
                                          ChecksumCheck check) {
  if (segment.size() < kTcpHeaderLen) return fail(WireError::kTruncated);
  const std::size_t header_len = std::size_t{segment[field::kOffset]} / 16 * 4;
  // The segment's length comes from the IP header, so an offset past it is an impossible field
  // rather than a short read.
  if (header_len < kTcpHeaderLen || header_len > segment.size()) {
    return fail(WireError::kBadLength);
  }
  if (check == ChecksumCheck::kVerify &&
      !pseudo_header_checksum_ok(src, dst, kIpProtoTcp, segment)) {
    return fail(WireError::kBadChecksum);
  }

  TcpRepr r;
  r.src_port = load_be16(&segment[field::kSrcPort]);
  r.dst_port = load_be16(&segment[field::kDstPort]);
  r.seq = load_be32(&segment[field::kSeq]);
  r.ack = load_be32(&segment[field::kAck]);
  r.reserved = segment[field::kOffset] & 0x0f;
  r.flags = segment[field::kFlags];
  r.window = load_be16(&segment[field::kWindow]);
  r.urgent = load_be16(&segment[field::kUrgent]);
  // At most 40 bytes: the offset field is 4 bits wide.
  r.options = *TcpOptions::from_bytes(segment.subspan(kTcpHeaderLen, header_len - kTcpHeaderLen));
  r.payload = segment.subspan(header_len);
  return r;
}

void TcpRepr::emit(MutBytes out, const IpAddr& src, const IpAddr& dst) const {
  const std::size_t hlen = header_len();
  const std::size_t total = buffer_len();
  // Payload first: when it aliases `out` (re-emitting in place), writing the header before it
  // could overwrite the bytes it still has to copy.
  if (!payload.empty()) std::memmove(out.data() + hlen, payload.data(), payload.size());
  std::uint8_t* p = out.data();
  store_be16(p + field::kSrcPort, src_port);
  store_be16(p + field::kDstPort, dst_port);
  store_be32(p + field::kSeq, seq);
  store_be32(p + field::kAck, ack);
  p[field::kOffset] = static_cast<std::uint8_t>(((hlen / 4) << 4) | (reserved & 0x0f));
  p[field::kFlags] = flags;
  store_be16(p + field::kWindow, window);
  store_be16(p + field::kChecksum, 0);
  store_be16(p + field::kUrgent, urgent);
  options.write(out.subspan(kTcpHeaderLen, options.wire_len()));
  store_be16(p + field::kChecksum, pseudo_header_checksum(src, dst, kIpProtoTcp, out.first(total)));
}

std::uint32_t TcpRepr::seq_len() const {
  return static_cast<std::uint32_t>(payload.size()) + (has(tcp_flag::kSyn) ? 1u : 0u) +
         (has(tcp_flag::kFin) ? 1u : 0u);
}

bool operator==(const TcpRepr& a, const TcpRepr& b) {
  return a.src_port == b.src_port && a.dst_port == b.dst_port && a.seq == b.seq && a.ack == b.ack &&
         a.flags == b.flags && a.window == b.window && a.urgent == b.urgent &&
         a.options == b.options && a.reserved == b.reserved &&
         std::ranges::equal(a.payload, b.payload);
}

}  // namespace synlab::wire
