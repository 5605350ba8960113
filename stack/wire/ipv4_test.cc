#include "stack/wire/ipv4.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/linux_frames_testdata.h"

namespace synlab::wire {
namespace {

Bytes ip_of(Bytes frame) {
  return frame.subspan(kEthernetHeaderLen);
}

std::vector<std::uint8_t> copy_of(Bytes b) {
  return {b.begin(), b.end()};
}

// Recomputes the header checksum after a test edits a header.
void fix_checksum(std::vector<std::uint8_t>& p) {
  const std::size_t header_len = std::size_t{p[0] & 0x0fu} * 4;
  p[10] = p[11] = 0;
  store_be16(&p[10], internet_checksum(Bytes(p).first(header_len)));
}

// The SYN's header: what Linux's TCP sends (DF, ttl 64, a per-socket random ident).
const Ipv4Repr kSyn{.src = IpAddr::v4(10, 0, 0, 101),
                    .dst = IpAddr::v4(10, 8, 0, 1),
                    .protocol = kIpProtoTcp,
                    .ttl = 64,
                    .tos = 0,
                    .ident = 0x28af,
                    .dont_fragment = true,
                    .payload_len = 40};

TEST(Ipv4, Deconstruct) {
  const Bytes packet = ip_of(testdata::kTcpSynV4);
  const auto p = Ipv4Repr::parse(packet, ChecksumCheck::kVerify);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->repr, kSyn);
  EXPECT_EQ(p->header_len, 20u);
  EXPECT_EQ(p->payload.data(), packet.data() + 20);
  EXPECT_EQ(p->payload.size(), 40u);
}

// What Linux's icmp_send() puts in the IP header of an error: tos 0xc0 (precedence
// "internetwork control"), no DF, ttl 64.
TEST(Ipv4, DeconstructIcmpError) {
  const auto p = Ipv4Repr::parse(ip_of(testdata::kIcmpNetUnreach), ChecksumCheck::kVerify);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->repr.src, IpAddr::v4(10, 0, 0, 2));
  EXPECT_EQ(p->repr.dst, IpAddr::v4(10, 0, 0, 101));
  EXPECT_EQ(p->repr.protocol, kIpProtoIcmp);
  EXPECT_EQ(p->repr.tos, 0xc0);
  EXPECT_FALSE(p->repr.dont_fragment);
  EXPECT_EQ(p->repr.ttl, 64);
  EXPECT_EQ(p->repr.ident, 0x223a);
  EXPECT_EQ(p->repr.payload_len, 68);
}

TEST(Ipv4, Construct) {
  std::array<std::uint8_t, Ipv4Repr::buffer_len()> out;
  out.fill(0xa5);
  kSyn.emit(out);
  const Bytes want = ip_of(testdata::kTcpSynV4).first(20);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), want.begin(), want.end()));
}

TEST(Ipv4, ConstructWithoutDontFragment) {
  const Bytes want = ip_of(testdata::kIcmpNetUnreach).first(20);
  Ipv4Repr r = Ipv4Repr::parse(ip_of(testdata::kIcmpNetUnreach), ChecksumCheck::kVerify)->repr;
  std::array<std::uint8_t, Ipv4Repr::buffer_len()> out;
  out.fill(0xa5);
  r.emit(out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), want.begin(), want.end()));
}

TEST(Ipv4, Truncated) {
  const Bytes packet = ip_of(testdata::kTcpSynV4);
  EXPECT_EQ(Ipv4Repr::parse(packet.first(19), ChecksumCheck::kVerify).error(),
            WireError::kTruncated);
  // Total length 60, 59 bytes present.
  EXPECT_EQ(Ipv4Repr::parse(packet.first(59), ChecksumCheck::kVerify).error(),
            WireError::kTruncated);
  // IHL 6 (24 bytes) but only 20 present.
  auto ihl = copy_of(packet.first(20));
  ihl[0] = 0x46;
  EXPECT_EQ(Ipv4Repr::parse(ihl, ChecksumCheck::kSkip).error(), WireError::kTruncated);
}

TEST(Ipv4, ImpossibleLength) {
  auto ihl = copy_of(ip_of(testdata::kTcpSynV4));
  ihl[0] = 0x44;  // IHL 4: shorter than the fixed header
  EXPECT_EQ(Ipv4Repr::parse(ihl, ChecksumCheck::kSkip).error(), WireError::kBadLength);
  auto total = copy_of(ip_of(testdata::kTcpSynV4));
  store_be16(&total[2], 19);  // total length shorter than the header
  fix_checksum(total);
  EXPECT_EQ(Ipv4Repr::parse(total, ChecksumCheck::kVerify).error(), WireError::kBadLength);
}

TEST(Ipv4, BadVersion) {
  auto p = copy_of(ip_of(testdata::kTcpSynV6));
  EXPECT_EQ(Ipv4Repr::parse(p, ChecksumCheck::kVerify).error(), WireError::kBadVersion);
}

TEST(Ipv4, BadChecksum) {
  auto p = copy_of(ip_of(testdata::kTcpSynV4));
  p[8] = 63;  // ttl changed, checksum not
  EXPECT_EQ(Ipv4Repr::parse(p, ChecksumCheck::kVerify).error(), WireError::kBadChecksum);
  const auto skipped = Ipv4Repr::parse(p, ChecksumCheck::kSkip);
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped->repr.ttl, 63);
}

TEST(Ipv4, RejectsFragments) {
  auto more = copy_of(ip_of(testdata::kTcpSynV4));
  more[6] = 0x20;  // MF, offset 0: a first fragment
  fix_checksum(more);
  EXPECT_EQ(Ipv4Repr::parse(more, ChecksumCheck::kVerify).error(), WireError::kFragmented);
  auto offset = copy_of(ip_of(testdata::kTcpSynV4));
  store_be16(&offset[6], 0x00b9);  // no MF, offset 185 * 8: the last fragment
  fix_checksum(offset);
  EXPECT_EQ(Ipv4Repr::parse(offset, ChecksumCheck::kVerify).error(), WireError::kFragmented);
}

// The reserved flag (RFC 791; "evil bit", RFC 3514) is not looked at, as in Linux.
TEST(Ipv4, IgnoresReservedFlag) {
  auto p = copy_of(ip_of(testdata::kTcpSynV4));
  p[6] |= 0x80;
  fix_checksum(p);
  const auto parsed = Ipv4Repr::parse(p, ChecksumCheck::kVerify);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->repr.dont_fragment);
}

TEST(Ipv4, SkipsOptions) {
  // The SYN's header with a Router Alert option (RFC 2113: 94 04 00 00), IHL 6.
  const Bytes syn = ip_of(testdata::kTcpSynV4);
  std::vector<std::uint8_t> p(syn.begin(), syn.begin() + 20);
  p.insert(p.end(), {0x94, 0x04, 0x00, 0x00});
  p.insert(p.end(), syn.begin() + 20, syn.end());
  p[0] = 0x46;
  store_be16(&p[2], static_cast<std::uint16_t>(p.size()));
  fix_checksum(p);
  const auto parsed = Ipv4Repr::parse(p, ChecksumCheck::kVerify);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->header_len, 24u);
  EXPECT_EQ(parsed->repr.payload_len, 40);
  EXPECT_EQ(parsed->payload.data(), p.data() + 24);
  EXPECT_EQ(parsed->payload[0], 0xe3);  // the TCP source port's first byte
}

// Ethernet pads short frames to 60 bytes; the padding is not payload.
TEST(Ipv4, IgnoresTrailingPadding) {
  auto p = copy_of(ip_of(testdata::kUdpV4));  // 29 bytes: 20 + UDP 8 + 1
  p.resize(46, 0);
  const auto parsed = Ipv4Repr::parse(p, ChecksumCheck::kVerify);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->repr.payload_len, 9);
  EXPECT_EQ(parsed->payload.size(), 9u);
}

TEST(Ipv4, RoundTrip) {
  for (Bytes frame : {Bytes(testdata::kTcpSynV4), Bytes(testdata::kIcmpAdminFiltered),
                      Bytes(testdata::kUdpV4), Bytes(testdata::kIcmpPortUnreachUdp)}) {
    const Bytes packet = ip_of(frame);
    const auto p = Ipv4Repr::parse(packet, ChecksumCheck::kVerify);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->repr.total_len(), packet.size());
    std::array<std::uint8_t, kIpv4HeaderLen> out{};
    p->repr.emit(out);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), packet.begin()));
  }
}

TEST(Ipv4, Printer) {
  EXPECT_EQ(to_string(kSyn), "ipv4 10.0.0.101 > 10.8.0.1: tcp ttl 64 id 10415 DF length 60");
  const auto err = Ipv4Repr::parse(ip_of(testdata::kIcmpNetUnreach), ChecksumCheck::kVerify);
  EXPECT_EQ(to_string(err->repr),
            "ipv4 10.0.0.2 > 10.0.0.101: icmp tos 0xc0 ttl 64 id 8762 length 88");
  Ipv4Repr gre = kSyn;
  gre.protocol = 47;
  gre.dont_fragment = false;
  EXPECT_EQ(to_string(gre), "ipv4 10.0.0.101 > 10.8.0.1: proto 47 ttl 64 id 10415 length 60");
}

}  // namespace
}  // namespace synlab::wire
