#include "stack/wire/icmpv4.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmp_quote.h"
#include "stack/wire/linux_frames_testdata.h"

namespace synlab::wire {
namespace {

Bytes ip_of(Bytes frame) {
  return frame.subspan(kEthernetHeaderLen);
}
// The ICMP message of an ICMPv4 frame (all of them have a 20-byte IPv4 header).
Bytes icmp_of(Bytes frame) {
  return frame.subspan(kEthernetHeaderLen + 20);
}

std::vector<std::uint8_t> copy_of(Bytes b) {
  return {b.begin(), b.end()};
}

bool same_bytes(Bytes a, Bytes b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

std::vector<std::uint8_t> emitted(const Icmpv4Repr& m) {
  std::vector<std::uint8_t> out(m.buffer_len(), 0xa5);
  m.emit(out);
  return out;
}

// An echo request, id 0x1234, seq 1, data "abcd"; checksum worked out by hand (RFC 1071).
constexpr std::uint8_t kEchoRequest[] = {0x08, 0x00, 0x21, 0x04, 0x12, 0x34,
                                         0x00, 0x01, 0x61, 0x62, 0x63, 0x64};
constexpr std::uint8_t kAbcd[] = {'a', 'b', 'c', 'd'};

TEST(Icmpv4, DeconstructUnreachable) {
  const Bytes msg = icmp_of(testdata::kIcmpNetUnreach);
  const auto m = Icmpv4Repr::parse(msg, ChecksumCheck::kVerify);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, Icmpv4Type::kDestUnreachable);
  EXPECT_EQ(m->unreach_code(), Icmpv4Unreach::kNet);
  EXPECT_EQ(m->rest, 0u);
  EXPECT_EQ(m->payload.data(), msg.data() + 8);
  EXPECT_EQ(m->payload.size(), 60u);
  EXPECT_TRUE(m->is_error());

  EXPECT_EQ(Icmpv4Repr::parse(icmp_of(testdata::kIcmpPortUnreachUdp), ChecksumCheck::kVerify)
                ->unreach_code(),
            Icmpv4Unreach::kPort);
  EXPECT_EQ(Icmpv4Repr::parse(icmp_of(testdata::kIcmpAdminFiltered), ChecksumCheck::kVerify)
                ->unreach_code(),
            Icmpv4Unreach::kPacketFiltered);
}

TEST(Icmpv4, DeconstructEcho) {
  const auto m = Icmpv4Repr::parse(kEchoRequest, ChecksumCheck::kVerify);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, Icmpv4Type::kEchoRequest);
  EXPECT_EQ(m->echo_id(), 0x1234);
  EXPECT_EQ(m->echo_seq(), 1);
  EXPECT_TRUE(same_bytes(m->payload, kAbcd));
  EXPECT_FALSE(m->is_error());
}

// The builder and emit() reproduce Linux's errors byte for byte, from the offending packet.
TEST(Icmpv4, ConstructLinuxErrors) {
  const auto net = Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kNet,
                                                icmpv4_error_quote(ip_of(testdata::kTcpSynV4)));
  EXPECT_TRUE(same_bytes(emitted(net), icmp_of(testdata::kIcmpNetUnreach)));
  const auto port = Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kPort,
                                                 icmpv4_error_quote(ip_of(testdata::kUdpV4)));
  EXPECT_TRUE(same_bytes(emitted(port), icmp_of(testdata::kIcmpPortUnreachUdp)));
}

TEST(Icmpv4, ConstructEcho) {
  EXPECT_TRUE(same_bytes(emitted(Icmpv4Repr::echo_request(0x1234, 1, kAbcd)), kEchoRequest));
  const auto reply = emitted(Icmpv4Repr::echo_reply(0x1234, 1, kAbcd));
  EXPECT_EQ(reply[0], 0);
  EXPECT_EQ(load_be16(&reply[2]), 0x2904);  // type 8 -> 0: 0x0800 off the sum, onto the checksum
}

TEST(Icmpv4, ConstructFragNeeded) {
  const auto m = Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kFragNeeded,
                                              icmpv4_error_quote(ip_of(testdata::kTcpSynV4)), 1400);
  const auto out = emitted(m);
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(out[1], 4);
  EXPECT_EQ(load_be32(&out[4]), 1400u);  // unused 16 bits, then the next-hop MTU (RFC 1191 §4)
  const auto back = Icmpv4Repr::parse(out, ChecksumCheck::kVerify);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->next_hop_mtu(), 1400);
  EXPECT_EQ(*back, m);
}

TEST(Icmpv4, Truncated) {
  EXPECT_EQ(Icmpv4Repr::parse(Bytes(kEchoRequest).first(7), ChecksumCheck::kSkip).error(),
            WireError::kTruncated);
  EXPECT_TRUE(Icmpv4Repr::parse(Bytes(kEchoRequest).first(8), ChecksumCheck::kSkip).ok());
}

TEST(Icmpv4, BadChecksum) {
  auto m = copy_of(icmp_of(testdata::kIcmpPortUnreachUdp));
  m.back() ^= 0x01;  // a bit of the quoted data
  EXPECT_EQ(Icmpv4Repr::parse(m, ChecksumCheck::kVerify).error(), WireError::kBadChecksum);
  EXPECT_TRUE(Icmpv4Repr::parse(m, ChecksumCheck::kSkip).ok());
}

// Any type and code round-trips byte for byte (packetdrill's `icmp type_42 code_1`).
TEST(Icmpv4, RoundTrip) {
  std::vector<std::uint8_t> other = {42, 1, 0, 0, 1, 2, 3, 4, 9, 9, 9};
  store_be16(&other[2], internet_checksum(other));
  for (Bytes msg : {icmp_of(testdata::kIcmpNetUnreach), icmp_of(testdata::kIcmpAdminFiltered),
                    icmp_of(testdata::kIcmpPortUnreachTcp), Bytes(kEchoRequest), Bytes(other)}) {
    const auto m = Icmpv4Repr::parse(msg, ChecksumCheck::kVerify);
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(same_bytes(emitted(*m), msg));
  }
}

// Re-emitting a message into the buffer its payload points into.
TEST(Icmpv4, EmitInPlace) {
  auto buf = copy_of(kEchoRequest);
  auto m = *Icmpv4Repr::parse(buf, ChecksumCheck::kVerify);
  m.type = Icmpv4Type::kEchoReply;
  m.emit(buf);
  EXPECT_EQ(buf[0], 0);
  EXPECT_TRUE(same_bytes(Bytes(buf).subspan(8), kAbcd));
  EXPECT_TRUE(Icmpv4Repr::parse(buf, ChecksumCheck::kVerify).ok());
}

TEST(Icmpv4, Printer) {
  const auto print = [](Bytes frame) {
    return to_string(*Icmpv4Repr::parse(icmp_of(frame), ChecksumCheck::kVerify));
  };
  EXPECT_EQ(print(testdata::kIcmpNetUnreach),
            "icmp unreachable net_unreachable for tcp 10.0.0.101:58141 > 10.8.0.1:80 seq "
            "4184801556");
  EXPECT_EQ(print(testdata::kIcmpPortUnreachUdp),
            "icmp unreachable port_unreachable for udp 127.0.0.3:9002 > 127.0.0.1:9000");
  EXPECT_EQ(print(testdata::kIcmpAdminFiltered).substr(0, 39),
            "icmp unreachable packet_filtered for tc");
  const Bytes quote = icmpv4_error_quote(ip_of(testdata::kUdpV4));
  EXPECT_EQ(to_string(Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kFragNeeded, quote, 1234)),
            "icmp unreachable frag_needed mtu 1234 for udp 127.0.0.3:9002 > 127.0.0.1:9000");
  EXPECT_EQ(to_string(Icmpv4Repr::time_exceeded(Icmpv4TimeExceeded::kTtl, quote)),
            "icmp time_exceeded exceeded_ttl for udp 127.0.0.3:9002 > 127.0.0.1:9000");
  EXPECT_EQ(to_string(Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kHost, quote.first(10))),
            "icmp unreachable host_unreachable for <10 bytes>");
  EXPECT_EQ(to_string(Icmpv4Repr::echo_request(0x1234, 1, kAbcd)),
            "icmp echo_request id 4660 seq 1 (4)");
  Icmpv4Repr other{.type = Icmpv4Type{42}, .code = 1, .rest = 0x01020304, .payload = kAbcd};
  EXPECT_EQ(to_string(other), "icmp type_42 code_1 rest 0x01020304 (4)");
  other.code = 0;
  other.rest = 0;
  other.payload = {};
  EXPECT_EQ(to_string(other), "icmp type_42");
  Icmpv4Repr redirect{
      .type = Icmpv4Type::kRedirect, .code = 1, .rest = 0x0a000001, .payload = quote};
  EXPECT_EQ(to_string(redirect),
            "icmp redirect code_1 gateway 10.0.0.1 for udp 127.0.0.3:9002 > 127.0.0.1:9000");
}

}  // namespace
}  // namespace synlab::wire
