#include "stack/wire/icmpv6.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/wire/ethernet.h"
#include "stack/wire/icmp_quote.h"
#include "stack/wire/linux_frames_testdata.h"

namespace synlab::wire {
namespace {

// The ICMPv6 message of a frame (none of the captures has extension headers).
Bytes icmp_of(Bytes frame) {
  return frame.subspan(kEthernetHeaderLen + 40);
}
Bytes ip_of(Bytes frame) {
  return frame.subspan(kEthernetHeaderLen);
}
IpAddr src_of(Bytes frame) {
  return IpAddr::from_bytes(frame.subspan(kEthernetHeaderLen + 8, 16));
}
IpAddr dst_of(Bytes frame) {
  return IpAddr::from_bytes(frame.subspan(kEthernetHeaderLen + 24, 16));
}

bool same_bytes(Bytes a, Bytes b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

const IpAddr kA = *IpAddr::parse("fd00::1");
const IpAddr kB = *IpAddr::parse("fd00::2");
const IpAddr kLinkLocal1 = *IpAddr::parse("fe80::1");
const IpAddr kLinkLocal2 = *IpAddr::parse("fe80::2");
const sim::MacAddr kMac1 = *sim::MacAddr::parse("6a:80:8c:54:b3:c8");
const sim::MacAddr kMac2 = *sim::MacAddr::parse("f6:27:ca:3a:fa:19");

std::vector<std::uint8_t> emitted(const Icmpv6Repr& m, const IpAddr& src, const IpAddr& dst) {
  std::vector<std::uint8_t> out(m.buffer_len(), 0xa5);
  m.emit(out, src, dst);
  return out;
}

Result<Icmpv6Repr, WireError> parse_frame(Bytes frame) {
  return Icmpv6Repr::parse(icmp_of(frame), src_of(frame), dst_of(frame), ChecksumCheck::kVerify);
}

// fd00::1 > fd00::2 echo request, id 0x1234, seq 1, "abcd"; checksum worked out by hand over
// the RFC 8200 §8.1 pseudo-header.
constexpr std::uint8_t kEchoRequest[] = {0x80, 0x00, 0xae, 0xb8, 0x12, 0x34,
                                         0x00, 0x01, 0x61, 0x62, 0x63, 0x64};
constexpr std::uint8_t kAbcd[] = {'a', 'b', 'c', 'd'};

// An NS for fd00::2 with the given option area, to be parsed with ChecksumCheck::kSkip.
std::vector<std::uint8_t> ns_with_options(std::initializer_list<std::uint8_t> options) {
  std::vector<std::uint8_t> m = {135, 0, 0, 0, 0, 0, 0, 0};
  for (std::uint8_t b : kB.bytes()) m.push_back(b);
  for (std::uint8_t b : options) m.push_back(b);
  return m;
}

Result<Icmpv6Repr, WireError> parse_unchecked(Bytes m, const IpAddr& src = kA,
                                              const IpAddr& dst = kB.solicited_node()) {
  return Icmpv6Repr::parse(m, src, dst, ChecksumCheck::kSkip);
}

TEST(Icmpv6, DeconstructNeighborSolicitation) {
  const auto m = parse_frame(testdata::kNeighborSolicitLinkLocal);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, Icmpv6Type::kNeighborSolicitation);
  EXPECT_EQ(m->code, 0);
  EXPECT_EQ(m->rest, 0u);
  EXPECT_EQ(m->target, kLinkLocal2);
  EXPECT_EQ(m->lladdr, kMac1);
  EXPECT_TRUE(m->payload.empty());
  EXPECT_FALSE(m->is_error());
}

TEST(Icmpv6, DeconstructNeighborAdvertisement) {
  const auto m = parse_frame(testdata::kNeighborAdvertLinkLocal);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, Icmpv6Type::kNeighborAdvertisement);
  EXPECT_EQ(m->rest, kNaSolicited | kNaOverride);
  EXPECT_FALSE(m->has_na_flag(kNaRouter));
  EXPECT_EQ(m->target, kLinkLocal2);
  EXPECT_EQ(m->lladdr, kMac2);
}

TEST(Icmpv6, DeconstructEcho) {
  const auto m = Icmpv6Repr::parse(kEchoRequest, kA, kB, ChecksumCheck::kVerify);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, Icmpv6Type::kEchoRequest);
  EXPECT_EQ(m->echo_id(), 0x1234);
  EXPECT_EQ(m->echo_seq(), 1);
  EXPECT_TRUE(same_bytes(m->payload, kAbcd));
}

// Linux's NS and NA, rebuilt from fields, byte for byte.
TEST(Icmpv6, ConstructNeighborDiscovery) {
  EXPECT_TRUE(same_bytes(emitted(Icmpv6Repr::neighbor_solicitation(kLinkLocal2, kMac1), kLinkLocal1,
                                 kLinkLocal2.solicited_node()),
                         icmp_of(testdata::kNeighborSolicitLinkLocal)));
  EXPECT_TRUE(same_bytes(
      emitted(Icmpv6Repr::neighbor_advertisement(kLinkLocal2, kNaSolicited | kNaOverride, kMac2),
              kLinkLocal2, kLinkLocal1),
      icmp_of(testdata::kNeighborAdvertLinkLocal)));
  const IpAddr unreachable = *IpAddr::parse("fd00::99");
  EXPECT_TRUE(same_bytes(emitted(Icmpv6Repr::neighbor_solicitation(
                                     unreachable, *sim::MacAddr::parse("7a:9b:97:53:48:4b")),
                                 kA, unreachable.solicited_node()),
                         icmp_of(testdata::kNeighborSolicitUnreachable)));
}

TEST(Icmpv6, ConstructEcho) {
  EXPECT_TRUE(
      same_bytes(emitted(Icmpv6Repr::echo_request(0x1234, 1, kAbcd), kA, kB), kEchoRequest));
}

TEST(Icmpv6, ConstructErrors) {
  const Bytes quote = icmpv6_error_quote(ip_of(testdata::kTcpSynV6));
  for (const Icmpv6Repr& m :
       {Icmpv6Repr::dest_unreachable(Icmpv6Unreach::kAddressUnreachable, quote),
        Icmpv6Repr::packet_too_big(1280, quote),
        Icmpv6Repr::time_exceeded(Icmpv6TimeExceeded::kHopLimit, quote),
        Icmpv6Repr::parameter_problem(Icmpv6ParamProblem::kUnknownNextHeader, 6, quote)}) {
    const auto out = emitted(m, kLinkLocal2, kLinkLocal1);
    ASSERT_EQ(out.size(), 8u + 80u);
    EXPECT_TRUE(same_bytes(Bytes(out).subspan(8), ip_of(testdata::kTcpSynV6)));
    const auto back = Icmpv6Repr::parse(out, kLinkLocal2, kLinkLocal1, ChecksumCheck::kVerify);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, m);
    EXPECT_TRUE(back->is_error());
  }
  const auto too_big = emitted(Icmpv6Repr::packet_too_big(1280, quote), kA, kB);
  EXPECT_EQ(too_big[0], 2);
  EXPECT_EQ(load_be32(&too_big[4]), 1280u);
}

TEST(Icmpv6, Truncated) {
  EXPECT_EQ(parse_unchecked(Bytes(kEchoRequest).first(7)).error(), WireError::kTruncated);
  EXPECT_EQ(parse_unchecked(icmp_of(testdata::kNeighborSolicitLinkLocal).first(23)).error(),
            WireError::kTruncated);
}

TEST(Icmpv6, BadChecksum) {
  EXPECT_EQ(Icmpv6Repr::parse(kEchoRequest, kA, kA, ChecksumCheck::kVerify).error(),
            WireError::kBadChecksum);  // the pseudo-header's destination is wrong
  EXPECT_EQ(Icmpv6Repr::parse(icmp_of(testdata::kNeighborSolicitLinkLocal), kLinkLocal1,
                              kLinkLocal2, ChecksumCheck::kVerify)
                .error(),
            WireError::kBadChecksum);
}

// RFC 4861 §4.6: unknown options are skipped, length 0 is invalid.
TEST(Icmpv6, NeighborDiscoveryOptions) {
  const auto nonce = parse_unchecked(ns_with_options({14, 1, 1, 2, 3, 4, 5, 6,  // nonce
                                                      1, 1, 2, 0, 0, 0, 0, 1}));
  ASSERT_TRUE(nonce.ok());
  EXPECT_EQ(nonce->lladdr, sim::MacAddr::local(1));
  EXPECT_EQ(parse_unchecked(ns_with_options({14, 0, 1, 2, 3, 4, 5, 6})).error(),
            WireError::kBadOption);
  EXPECT_EQ(parse_unchecked(ns_with_options({14, 2, 1, 2, 3, 4, 5, 6})).error(),
            WireError::kBadOption);  // 16 bytes claimed, 8 there
  EXPECT_EQ(parse_unchecked(ns_with_options({1})).error(), WireError::kBadOption);
  // A link-layer address option must be 8 bytes on Ethernet.
  EXPECT_EQ(
      parse_unchecked(ns_with_options({1, 2, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})).error(),
      WireError::kBadOption);
  // The first of two source link-layer addresses counts, as in Linux.
  const auto twice = parse_unchecked(ns_with_options({1, 1, 2, 0, 0, 0, 0, 1,  //
                                                      1, 1, 2, 0, 0, 0, 0, 2}));
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->lladdr, sim::MacAddr::local(1));
  // An NS's target link-layer address option is not its source address.
  const auto wrong_kind = parse_unchecked(ns_with_options({2, 1, 2, 0, 0, 0, 0, 1}));
  ASSERT_TRUE(wrong_kind.ok());
  EXPECT_FALSE(wrong_kind->lladdr);
}

// RFC 4861 §7.1.1 and §7.1.2.
TEST(Icmpv6, NeighborDiscoveryValidation) {
  auto code = ns_with_options({});
  code[1] = 1;
  EXPECT_EQ(parse_unchecked(code).error(), WireError::kUnsupported);

  const IpAddr all_nodes = *IpAddr::parse("ff02::1");
  std::vector<std::uint8_t> multicast_target = {135, 0, 0, 0, 0, 0, 0, 0};
  for (std::uint8_t b : all_nodes.bytes()) multicast_target.push_back(b);
  EXPECT_EQ(parse_unchecked(multicast_target).error(), WireError::kBadAddress);

  // Duplicate address detection: source ::, to a solicited-node group, no link-layer address.
  const IpAddr unspecified = IpAddr::any(IpFamily::kV6);
  EXPECT_TRUE(parse_unchecked(ns_with_options({}), unspecified, kB.solicited_node()).ok());
  EXPECT_EQ(parse_unchecked(ns_with_options({}), unspecified, kB).error(), WireError::kBadAddress);
  EXPECT_EQ(
      parse_unchecked(ns_with_options({1, 1, 2, 0, 0, 0, 0, 1}), unspecified, kB.solicited_node())
          .error(),
      WireError::kBadAddress);

  // A solicited advertisement answers one host: never to a multicast group.
  const auto solicited =
      emitted(Icmpv6Repr::neighbor_advertisement(kB, kNaSolicited, kMac2), kB, all_nodes);
  EXPECT_EQ(Icmpv6Repr::parse(solicited, kB, all_nodes, ChecksumCheck::kVerify).error(),
            WireError::kBadFlags);
  const auto unsolicited =
      emitted(Icmpv6Repr::neighbor_advertisement(kB, kNaOverride, kMac2), kB, all_nodes);
  EXPECT_TRUE(Icmpv6Repr::parse(unsolicited, kB, all_nodes, ChecksumCheck::kVerify).ok());
}

TEST(Icmpv6, RoundTrip) {
  for (Bytes frame :
       {Bytes(testdata::kNeighborSolicitLinkLocal), Bytes(testdata::kNeighborAdvertLinkLocal),
        Bytes(testdata::kNeighborSolicitUnreachable)}) {
    const auto m = parse_frame(frame);
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(same_bytes(emitted(*m, src_of(frame), dst_of(frame)), icmp_of(frame)));
  }
  // A type this file does not decode (router solicitation) keeps its body.
  std::vector<std::uint8_t> rs = {133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 1};
  const auto parsed = parse_unchecked(rs);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->payload.size(), 8u);
  const auto out = emitted(*parsed, kA, kB.solicited_node());
  EXPECT_TRUE(Icmpv6Repr::parse(out, kA, kB.solicited_node(), ChecksumCheck::kVerify).ok());
  EXPECT_TRUE(same_bytes(Bytes(out).subspan(4), Bytes(rs).subspan(4)));
}

TEST(Icmpv6, Printer) {
  EXPECT_EQ(to_string(*parse_frame(testdata::kNeighborSolicitLinkLocal)),
            "icmpv6 neighbor_solicitation who-has fe80::2 lladdr 6a:80:8c:54:b3:c8");
  EXPECT_EQ(to_string(*parse_frame(testdata::kNeighborAdvertLinkLocal)),
            "icmpv6 neighbor_advertisement fe80::2 is-at f6:27:ca:3a:fa:19 solicited override");
  EXPECT_EQ(to_string(Icmpv6Repr::neighbor_solicitation(kB, std::nullopt)),
            "icmpv6 neighbor_solicitation who-has fd00::2");
  EXPECT_EQ(to_string(Icmpv6Repr::echo_request(0x1234, 1, kAbcd)),
            "icmpv6 echo_request id 4660 seq 1 (4)");
  const Bytes quote = icmpv6_error_quote(ip_of(testdata::kTcpSynV6));
  const std::string flow = " for tcp [fe80::1]:36982 > [fe80::2]:8000 seq 1015999412";
  EXPECT_EQ(to_string(Icmpv6Repr::dest_unreachable(Icmpv6Unreach::kPortUnreachable, quote)),
            "icmpv6 unreachable port_unreachable" + flow);
  EXPECT_EQ(to_string(Icmpv6Repr::dest_unreachable(Icmpv6Unreach::kNoRoute, quote)),
            "icmpv6 unreachable no_route" + flow);
  EXPECT_EQ(to_string(Icmpv6Repr::packet_too_big(1280, quote)),
            "icmpv6 packet_too_big mtu 1280" + flow);
  EXPECT_EQ(to_string(Icmpv6Repr::time_exceeded(Icmpv6TimeExceeded::kHopLimit, quote)),
            "icmpv6 time_exceeded exceeded_hop_limit" + flow);
  EXPECT_EQ(
      to_string(Icmpv6Repr::parameter_problem(Icmpv6ParamProblem::kUnknownNextHeader, 6, quote)),
      "icmpv6 parameter_problem unknown_next_header pointer 6" + flow);
  EXPECT_EQ(to_string(Icmpv6Repr::dest_unreachable(Icmpv6Unreach::kAdminProhibited, {})),
            "icmpv6 unreachable admin_prohibited for <0 bytes>");
  const Icmpv6Repr other{.type = Icmpv6Type{200}, .code = 3, .rest = 0, .payload = kAbcd};
  EXPECT_EQ(to_string(other), "icmpv6 type_200 code_3 (4)");
  const Icmpv6Repr error{.type = Icmpv6Type{100}, .code = 0, .rest = 0, .payload = quote};
  EXPECT_EQ(to_string(error), "icmpv6 type_100" + flow);
}

}  // namespace
}  // namespace synlab::wire
