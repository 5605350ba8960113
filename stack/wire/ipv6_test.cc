#include "stack/wire/ipv6.h"

#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
#include <vector>

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

// What Linux's TCP sends over IPv6: hop limit 64, traffic class 0, and a flow label hashed from
// the flow (net.ipv6.auto_flowlabels), the same for every segment of one connection.
const Ipv6Repr kSyn{.src = *IpAddr::parse("fe80::1"),
                    .dst = *IpAddr::parse("fe80::2"),
                    .next_header = kIpProtoTcp,
                    .hop_limit = 64,
                    .traffic_class = 0,
                    .flow_label = 0x4c011,
                    .payload_len = 40};

// kSyn's header with `next` as Next Header, followed by `ext` (extension headers) and 4 bytes
// of "upper-layer" payload.
std::vector<std::uint8_t> with_extensions(std::uint8_t next,
                                          std::initializer_list<std::uint8_t> ext) {
  const Bytes syn = ip_of(testdata::kTcpSynV6);
  std::vector<std::uint8_t> p;
  p.reserve(40 + ext.size() + 4);
  p.assign(syn.begin(), syn.begin() + 40);
  for (std::uint8_t b : ext) p.push_back(b);
  for (std::uint8_t b : {0xde, 0xad, 0xbe, 0xef}) p.push_back(b);
  p[6] = next;
  store_be16(&p[4], static_cast<std::uint16_t>(p.size() - 40));
  return p;
}

TEST(Ipv6, Deconstruct) {
  const Bytes packet = ip_of(testdata::kTcpSynV6);
  const auto p = Ipv6Repr::parse(packet);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->repr, kSyn);
  EXPECT_EQ(p->header_len, 40u);
  EXPECT_EQ(p->payload.data(), packet.data() + 40);
  EXPECT_EQ(p->payload.size(), 40u);
}

// Neighbour discovery goes out with hop limit 255 (RFC 4861 §7.1) and flow label 0.
TEST(Ipv6, DeconstructNeighborSolicitation) {
  const auto p = Ipv6Repr::parse(ip_of(testdata::kNeighborSolicitLinkLocal));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->repr.src.to_string(), "fe80::1");
  EXPECT_EQ(p->repr.dst.to_string(), "ff02::1:ff00:2");
  EXPECT_EQ(p->repr.next_header, kIpProtoIcmpv6);
  EXPECT_EQ(p->repr.hop_limit, 255);
  EXPECT_EQ(p->repr.flow_label, 0u);
  EXPECT_EQ(p->repr.payload_len, 32);
}

TEST(Ipv6, Construct) {
  std::array<std::uint8_t, Ipv6Repr::buffer_len()> out;
  out.fill(0xa5);
  kSyn.emit(out);
  const Bytes want = ip_of(testdata::kTcpSynV6).first(40);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), want.begin(), want.end()));
}

TEST(Ipv6, ConstructTrafficClass) {
  Ipv6Repr r = kSyn;
  r.traffic_class = 0xb8;  // DSCP EF
  r.payload_len = 0;
  std::array<std::uint8_t, kIpv6HeaderLen> out{};
  r.emit(out);
  EXPECT_EQ(out[0], 0x6b);
  EXPECT_EQ(out[1], 0x84);
  const auto parsed = Ipv6Repr::parse(out);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->repr, r);
}

TEST(Ipv6, Truncated) {
  const Bytes packet = ip_of(testdata::kTcpSynV6);
  EXPECT_EQ(Ipv6Repr::parse(packet.first(39)).error(), WireError::kTruncated);
  EXPECT_EQ(Ipv6Repr::parse(packet.first(79)).error(), WireError::kTruncated);
}

TEST(Ipv6, BadVersion) {
  EXPECT_EQ(Ipv6Repr::parse(ip_of(testdata::kIcmpPortUnreachTcp)).error(), WireError::kBadVersion);
}

TEST(Ipv6, IgnoresTrailingPadding) {
  auto p = copy_of(ip_of(testdata::kTcpSynV6));
  p.resize(p.size() + 6, 0);
  const auto parsed = Ipv6Repr::parse(p);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->payload.size(), 40u);
}

TEST(Ipv6, SkipsExtensionHeaders) {
  const auto p = with_extensions(
      kIpProtoHopByHop,
      {
          kIpProtoDestOpts, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00,  // Router Alert, PadN(0)
          kIpProtoRouting,  0, 0,    0,    0,    0,    0,    0,     // Pad1 x6
          kIpProtoTcp,      0, 4,    0,    0,    0,    0,    0,     // type 4, segments left 0
      });
  const auto parsed = Ipv6Repr::parse(p);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->repr.next_header, kIpProtoTcp);
  EXPECT_EQ(parsed->header_len, 64u);
  EXPECT_EQ(parsed->repr.payload_len, 4);
  EXPECT_EQ(parsed->payload.data(), p.data() + 64);
}

// An unknown option whose high bits are 00 is skipped (RFC 8200 §4.2); 01, 10, 11 discard.
TEST(Ipv6, UnknownOptionActions) {
  EXPECT_TRUE(
      Ipv6Repr::parse(with_extensions(kIpProtoDestOpts, {kIpProtoTcp, 0, 0x1e, 0x04, 1, 2, 3, 4}))
          .ok());
  for (std::uint8_t type : {0x5e, 0x9e, 0xde}) {
    EXPECT_EQ(
        Ipv6Repr::parse(with_extensions(kIpProtoDestOpts, {kIpProtoTcp, 0, type, 0x04, 1, 2, 3, 4}))
            .error(),
        WireError::kBadOption)
        << int{type};
  }
}

TEST(Ipv6, MalformedExtensionHeaders) {
  // An option running past its header.
  EXPECT_EQ(
      Ipv6Repr::parse(with_extensions(kIpProtoHopByHop, {kIpProtoTcp, 0, 0x01, 0x05, 0, 0, 0, 0}))
          .error(),
      WireError::kBadOption);
  // Hop-by-Hop after another extension header (RFC 8200 §4.1).
  EXPECT_EQ(
      Ipv6Repr::parse(with_extensions(kIpProtoDestOpts, {kIpProtoHopByHop, 0, 1, 4, 0, 0, 0, 0,
                                                         kIpProtoTcp, 0, 1, 4, 0, 0, 0, 0}))
          .error(),
      WireError::kBadOption);
  // A header claiming 16 bytes, 12 left in the payload (8 + the 4-byte upper layer).
  EXPECT_EQ(Ipv6Repr::parse(with_extensions(kIpProtoDestOpts, {kIpProtoTcp, 1, 1, 4, 0, 0, 0, 0}))
                .error(),
            WireError::kBadLength);
}

TEST(Ipv6, RoutingHeaderWithSegmentsLeftIsUnsupported) {
  EXPECT_EQ(
      Ipv6Repr::parse(with_extensions(kIpProtoRouting, {kIpProtoTcp, 0, 4, 1, 0, 0, 0, 0})).error(),
      WireError::kUnsupported);
}

TEST(Ipv6, Fragments) {
  // Offset 0 with M set: the first fragment.
  EXPECT_EQ(
      Ipv6Repr::parse(with_extensions(kIpProtoFragment, {kIpProtoTcp, 0, 0x00, 0x01, 0, 0, 0, 7}))
          .error(),
      WireError::kFragmented);
  // Offset 1, M clear: the last fragment.
  EXPECT_EQ(
      Ipv6Repr::parse(with_extensions(kIpProtoFragment, {kIpProtoTcp, 0, 0x00, 0x08, 0, 0, 0, 7}))
          .error(),
      WireError::kFragmented);
  // An atomic fragment (RFC 6946) is a whole packet.
  const auto atomic =
      Ipv6Repr::parse(with_extensions(kIpProtoFragment, {kIpProtoTcp, 0, 0x00, 0x00, 0, 0, 0, 7}));
  ASSERT_TRUE(atomic.ok());
  EXPECT_EQ(atomic->repr.next_header, kIpProtoTcp);
  EXPECT_EQ(atomic->repr.payload_len, 4);
}

TEST(Ipv6, JumbogramIsUnsupported) {
  auto p = with_extensions(kIpProtoHopByHop, {kIpProtoTcp, 0, 0xc2, 4, 0, 1, 0, 0});
  store_be16(&p[4], 0);
  EXPECT_EQ(Ipv6Repr::parse(p).error(), WireError::kUnsupported);
}

TEST(Ipv6, NoNextHeader) {
  const auto p = Ipv6Repr::parse(with_extensions(kIpProtoNoNext, {}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->repr.next_header, kIpProtoNoNext);
}

TEST(Ipv6, RoundTrip) {
  for (Bytes frame : {Bytes(testdata::kTcpSynV6), Bytes(testdata::kNeighborSolicitLinkLocal),
                      Bytes(testdata::kNeighborAdvertLinkLocal)}) {
    const Bytes packet = ip_of(frame);
    const auto p = Ipv6Repr::parse(packet);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->repr.total_len(), packet.size());
    std::array<std::uint8_t, kIpv6HeaderLen> out{};
    p->repr.emit(out);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), packet.begin()));
  }
}

TEST(Ipv6, Printer) {
  EXPECT_EQ(to_string(kSyn), "ipv6 fe80::1 > fe80::2: tcp hlim 64 flow 0x4c011 length 40");
  EXPECT_EQ(to_string(Ipv6Repr::parse(ip_of(testdata::kNeighborSolicitUnreachable))->repr),
            "ipv6 fd00::1 > ff02::1:ff00:99: icmpv6 hlim 255 length 32");
  Ipv6Repr r = kSyn;
  r.traffic_class = 0x10;
  r.next_header = 132;
  EXPECT_EQ(to_string(r),
            "ipv6 fe80::1 > fe80::2: next-header 132 tclass 0x10 hlim 64 flow 0x4c011 length 40");
}

}  // namespace
}  // namespace synlab::wire
