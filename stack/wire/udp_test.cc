#include "stack/wire/udp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "stack/wire/checksum.h"
#include "stack/wire/ip_protocol.h"

namespace synlab::wire {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

const IpAddr kSrc = IpAddr::v4(127, 0, 0, 3);
const IpAddr kDst = IpAddr::v4(127, 0, 0, 1);

// A Linux datagram 127.0.0.3:9002 > 127.0.0.1:9000 carrying "x" (capture udp, frame 1). The
// capture holds an offload placeholder (0xfe1e); this is the correct checksum.
const std::vector<std::uint8_t> kDatagram = {0x23, 0x2a, 0x23, 0x28, 0x00, 0x09, 0x43, 0x85, 0x78};

std::vector<std::uint8_t> emit(const UdpRepr& r, const IpAddr& src, const IpAddr& dst) {
  std::vector<std::uint8_t> out(r.buffer_len(), 0xa5);
  r.emit(out, src, dst);
  return out;
}

TEST(Udp, DeconstructLinuxDatagram) {
  const auto r = UdpRepr::parse(kDatagram, kSrc, kDst, ChecksumCheck::kVerify);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 9002);
  EXPECT_EQ(r->dst_port, 9000);
  EXPECT_THAT(r->payload, ElementsAre('x'));
}

TEST(Udp, Construct) {
  const std::vector<std::uint8_t> x = {'x'};
  const UdpRepr r{.src_port = 9002, .dst_port = 9000, .payload = x};
  EXPECT_THAT(emit(r, kSrc, kDst), ElementsAreArray(kDatagram));
}

TEST(Udp, Truncated) {
  EXPECT_EQ(UdpRepr::parse({kDatagram.data(), 7}, kSrc, kDst, ChecksumCheck::kSkip).error(),
            WireError::kTruncated);
  // The length field says 9, the buffer holds 8.
  EXPECT_EQ(UdpRepr::parse({kDatagram.data(), 8}, kSrc, kDst, ChecksumCheck::kSkip).error(),
            WireError::kTruncated);
}

TEST(Udp, ImpossibleLength) {
  std::vector<std::uint8_t> d = kDatagram;
  d[5] = 7;
  EXPECT_EQ(UdpRepr::parse(d, kSrc, kDst, ChecksumCheck::kSkip).error(), WireError::kBadLength);
  d[5] = 0;
  EXPECT_EQ(UdpRepr::parse(d, kSrc, kDst, ChecksumCheck::kSkip).error(), WireError::kBadLength);
}

TEST(Udp, TrailingBytesBeyondTheLengthAreIgnored) {
  std::vector<std::uint8_t> d = kDatagram;
  d.insert(d.end(), {0, 0, 0, 0, 0});  // e.g. Ethernet minimum-frame padding
  const auto r = UdpRepr::parse(d, kSrc, kDst, ChecksumCheck::kVerify);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload.size(), 1u);
}

TEST(Udp, BadChecksum) {
  std::vector<std::uint8_t> d = kDatagram;
  d[8] = 'y';
  EXPECT_EQ(UdpRepr::parse(d, kSrc, kDst, ChecksumCheck::kVerify).error(), WireError::kBadChecksum);
  EXPECT_TRUE(UdpRepr::parse(d, kSrc, kDst, ChecksumCheck::kSkip).ok());
}

TEST(Udp, ZeroChecksumMeansNoneOverIpv4ButIsInvalidOverIpv6) {
  std::vector<std::uint8_t> d = kDatagram;
  d[6] = d[7] = 0;
  EXPECT_TRUE(UdpRepr::parse(d, kSrc, kDst, ChecksumCheck::kVerify).ok());
  const IpAddr a = *IpAddr::parse("fd00::1"), b = *IpAddr::parse("fd00::2");
  EXPECT_EQ(UdpRepr::parse(d, a, b, ChecksumCheck::kVerify).error(), WireError::kBadChecksum);
  EXPECT_TRUE(UdpRepr::parse(d, a, b, ChecksumCheck::kSkip).ok());
}

TEST(Udp, ComputedZeroChecksumIsSentAsAllOnes) {
  // Choose a payload word that makes the one's-complement sum 0xffff, so the checksum is 0.
  std::vector<std::uint8_t> payload = {0, 0};
  UdpRepr r{.src_port = 1, .dst_port = 2, .payload = payload};
  std::vector<std::uint8_t> out = emit(r, kSrc, kDst);
  const std::uint16_t plain = static_cast<std::uint16_t>(out[6] << 8 | out[7]);
  // Adding `plain` to the payload word brings the checksum to 0 (RFC 1624 arithmetic).
  payload = {static_cast<std::uint8_t>(plain >> 8), static_cast<std::uint8_t>(plain)};
  r.payload = payload;
  out = emit(r, kSrc, kDst);
  EXPECT_EQ(out[6], 0xff);
  EXPECT_EQ(out[7], 0xff);
  EXPECT_TRUE(UdpRepr::parse(out, kSrc, kDst, ChecksumCheck::kVerify).ok());
}

TEST(Udp, RoundTripsIpv6) {
  const IpAddr a = *IpAddr::parse("fd00::1"), b = *IpAddr::parse("fd00::2");
  const std::vector<std::uint8_t> data(1000, 0x42);
  const UdpRepr r{.src_port = 40000, .dst_port = 53, .payload = data};
  const std::vector<std::uint8_t> out = emit(r, a, b);
  EXPECT_TRUE(pseudo_header_checksum_ok(a, b, kIpProtoUdp, out));
  const auto back = UdpRepr::parse(out, a, b, ChecksumCheck::kVerify);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
}

}  // namespace
}  // namespace synlab::wire
