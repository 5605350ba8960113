#include "stack/wire/tcp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "stack/wire/checksum.h"
#include "stack/wire/ip_protocol.h"

namespace synlab::wire {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

const IpAddr kClient = IpAddr::v4(10, 0, 0, 1);
const IpAddr kServer = IpAddr::v4(10, 0, 0, 2);

// A Linux 6.18 SYN, 10.0.0.1:35520 > 10.0.0.2:5000 (capture tcp_nonblock_delay, frame 3). The
// capture holds an offload placeholder (0x1431) in the checksum; this is the correct value.
const std::vector<std::uint8_t> kSyn = {0x8a, 0xc0, 0x13, 0x88, 0x14, 0x87, 0xa9, 0x98, 0x00, 0x00,
                                        0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x0d, 0x00, 0x00,
                                        0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xac, 0xe1,
                                        0x2f, 0xb3, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a};

// The third ACK of that handshake (frame 5), checksum corrected from 0x1429.
const std::vector<std::uint8_t> kAck = {
    0x8a, 0xc0, 0x13, 0x88, 0x14, 0x87, 0xa9, 0x99, 0x33, 0x34, 0x61, 0x69, 0x80, 0x10, 0x00, 0x3f,
    0x1e, 0x87, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xac, 0xe1, 0x2f, 0xe5, 0xbf, 0x63, 0xb6, 0xc3};

// The RST,ACK a closed port sends (tcp_refused_veth, frame 4): no options, window 0. Linux
// computed this checksum itself.
const std::vector<std::uint8_t> kRstAck = {0x13, 0x89, 0xbe, 0x26, 0x00, 0x00, 0x00,
                                           0x00, 0x62, 0x1a, 0x29, 0x34, 0x50, 0x14,
                                           0x00, 0x00, 0x3e, 0xd0, 0x00, 0x00};

// An IPv6 SYN-ACK, [fd00::2]:8000 > [fd00::1]:50904 (ipv6.pcap, frame 15), checksum corrected.
const std::vector<std::uint8_t> kSynAckV6 = {
    0x1f, 0x40, 0xc6, 0xd8, 0x45, 0x5a, 0xd1, 0xdf, 0x09, 0x53, 0x12, 0x24, 0xa0, 0x12,
    0xfb, 0x04, 0x6d, 0x5b, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0, 0x04, 0x02, 0x08, 0x0a,
    0x59, 0xd9, 0x25, 0x1a, 0xaf, 0xd5, 0x9e, 0x09, 0x01, 0x03, 0x03, 0x0a};

TcpRepr syn_repr() {
  TcpRepr r;
  r.src_port = 35520;
  r.dst_port = 5000;
  r.seq = 344435096;
  r.flags = tcp_flag::kSyn;
  r.window = 64240;
  r.options = linux_syn_options(1460, true, std::pair{2900438963u, 0u}, 10);
  return r;
}

std::vector<std::uint8_t> emit(const TcpRepr& r, const IpAddr& src, const IpAddr& dst) {
  std::vector<std::uint8_t> out(r.buffer_len(), 0xa5);
  r.emit(out, src, dst);
  return out;
}

TEST(Tcp, DeconstructLinuxSyn) {
  const auto r = TcpRepr::parse(kSyn, kClient, kServer, ChecksumCheck::kVerify);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 35520);
  EXPECT_EQ(r->dst_port, 5000);
  EXPECT_EQ(r->seq, 344435096u);
  EXPECT_EQ(r->ack, 0u);
  EXPECT_EQ(r->flags, tcp_flag::kSyn);
  EXPECT_EQ(r->reserved, 0);
  EXPECT_EQ(r->window, 64240);
  EXPECT_EQ(r->urgent, 0);
  EXPECT_EQ(r->options.mss(), 1460);
  EXPECT_EQ(r->options.window_scale(), 10);
  EXPECT_TRUE(r->payload.empty());
  EXPECT_EQ(r->header_len(), 40u);
  EXPECT_EQ(r->seq_len(), 1u);
}

TEST(Tcp, DeconstructAckAndRst) {
  const auto ack = TcpRepr::parse(kAck, kClient, kServer, ChecksumCheck::kVerify);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->flags, tcp_flag::kAck);
  EXPECT_EQ(ack->ack, 859070825u);
  EXPECT_EQ(ack->window, 63);  // 63 << 10 = 64512 with the negotiated scale
  EXPECT_EQ(ack->options.timestamps(), (TcpTimestamps{2900439013u, 3210983107u}));

  const auto rst = TcpRepr::parse(kRstAck, kServer, kClient, ChecksumCheck::kVerify);
  ASSERT_TRUE(rst.ok());
  EXPECT_TRUE(rst->has(tcp_flag::kRst | tcp_flag::kAck));
  EXPECT_EQ(rst->seq, 0u);
  EXPECT_EQ(rst->ack, 1645881652u);
  EXPECT_EQ(rst->window, 0);
  EXPECT_TRUE(rst->options.empty());
}

TEST(Tcp, DeconstructIpv6) {
  const IpAddr a = *IpAddr::parse("fd00::1"), b = *IpAddr::parse("fd00::2");
  const auto r = TcpRepr::parse(kSynAckV6, b, a, ChecksumCheck::kVerify);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->has(tcp_flag::kSyn | tcp_flag::kAck));
  EXPECT_EQ(r->window, 64260);
  EXPECT_EQ(r->options.mss(), 1440);
}

TEST(Tcp, ConstructLinuxSyn) {
  EXPECT_THAT(emit(syn_repr(), kClient, kServer), ElementsAreArray(kSyn));
}

TEST(Tcp, ConstructWithPayloadAndPadding) {
  const std::vector<std::uint8_t> data = {'h', 'i', '!'};
  TcpRepr r;
  r.src_port = 1;
  r.dst_port = 2;
  r.seq = 0x01020304;
  r.ack = 0x05060708;
  r.flags = tcp_flag::kPsh | tcp_flag::kAck;
  r.window = 0x0a0b;
  r.urgent = 0x0c0d;
  r.options.add_window_scale(3);  // 3 bytes, padded with one EOL
  r.payload = data;
  const std::vector<std::uint8_t> out = emit(r, kClient, kServer);
  ASSERT_EQ(out.size(), 27u);
  const std::vector<std::uint8_t> head(out.begin(), out.begin() + 16);
  EXPECT_THAT(head, ElementsAre(0x00, 0x01, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                0x08, 0x60, 0x18, 0x0a, 0x0b));
  const std::vector<std::uint8_t> tail(out.begin() + 18, out.end());
  EXPECT_THAT(tail, ElementsAre(0x0c, 0x0d, 0x03, 0x03, 0x03, 0x00, 'h', 'i', '!'));
  EXPECT_TRUE(pseudo_header_checksum_ok(kClient, kServer, kIpProtoTcp, out));
}

TEST(Tcp, Truncated) {
  const std::vector<std::uint8_t> short_seg(kRstAck.begin(), kRstAck.end() - 1);
  const auto r = TcpRepr::parse(short_seg, kServer, kClient, ChecksumCheck::kSkip);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), WireError::kTruncated);
  EXPECT_EQ(TcpRepr::parse({}, kServer, kClient, ChecksumCheck::kSkip).error(),
            WireError::kTruncated);
}

TEST(Tcp, ImpossibleLength) {
  std::vector<std::uint8_t> seg = kSyn;
  seg[12] = 0x40;  // data offset 4 words: shorter than the fixed header
  EXPECT_EQ(TcpRepr::parse(seg, kClient, kServer, ChecksumCheck::kSkip).error(),
            WireError::kBadLength);
  seg[12] = 0xb0;  // 44 bytes of header in a 40-byte segment
  EXPECT_EQ(TcpRepr::parse(seg, kClient, kServer, ChecksumCheck::kSkip).error(),
            WireError::kBadLength);
  seg[12] = 0xf0;
  EXPECT_EQ(TcpRepr::parse(seg, kClient, kServer, ChecksumCheck::kSkip).error(),
            WireError::kBadLength);
}

TEST(Tcp, BadChecksum) {
  std::vector<std::uint8_t> seg = kSyn;
  seg[7] ^= 0x01;  // a bit flip in the sequence number
  EXPECT_EQ(TcpRepr::parse(seg, kClient, kServer, ChecksumCheck::kVerify).error(),
            WireError::kBadChecksum);
  // The same bytes between other addresses: the pseudo-header catches it.
  EXPECT_EQ(TcpRepr::parse(kSyn, kClient, IpAddr::v4(10, 0, 0, 3), ChecksumCheck::kVerify).error(),
            WireError::kBadChecksum);
  // kSkip takes the offload placeholder the capture really holds.
  seg = kSyn;
  seg[16] = 0x14;
  seg[17] = 0x31;
  EXPECT_TRUE(TcpRepr::parse(seg, kClient, kServer, ChecksumCheck::kSkip).ok());
  EXPECT_FALSE(TcpRepr::parse(seg, kClient, kServer, ChecksumCheck::kVerify).ok());
}

TEST(Tcp, MalformedOptionsStillParse) {
  // Options area: mss, then an option with length 0. Linux ignores the rest; so do we.
  std::vector<std::uint8_t> seg(kRstAck.begin(), kRstAck.end());
  seg[12] = 0x70;  // 28 bytes of header
  seg.insert(seg.end(), {0x02, 0x04, 0x05, 0xb4, 0x04, 0x00, 0x00, 0x00});
  const auto r = TcpRepr::parse(seg, kServer, kClient, ChecksumCheck::kSkip);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->options.well_formed());
  EXPECT_EQ(r->options.mss(), 1460);
  // And a length running past the area.
  seg[24] = 0x03;
  seg[25] = 0x09;
  const auto r2 = TcpRepr::parse(seg, kServer, kClient, ChecksumCheck::kSkip);
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->options.well_formed());
}

TEST(Tcp, RoundTripsRealSegmentsByteForByte) {
  const IpAddr a = *IpAddr::parse("fd00::1"), b = *IpAddr::parse("fd00::2");
  struct Case {
    const std::vector<std::uint8_t>* seg;
    IpAddr src, dst;
  };
  for (const Case& c : {Case{&kSyn, kClient, kServer}, Case{&kAck, kClient, kServer},
                        Case{&kRstAck, kServer, kClient}, Case{&kSynAckV6, b, a}}) {
    const auto r = TcpRepr::parse(*c.seg, c.src, c.dst, ChecksumCheck::kVerify);
    ASSERT_TRUE(r.ok());
    EXPECT_THAT(emit(*r, c.src, c.dst), ElementsAreArray(*c.seg));
  }
}

TEST(Tcp, RoundTripsReprWithEverything) {
  const std::vector<std::uint8_t> data(100, 0x5a);
  TcpRepr r = syn_repr();
  r.flags = tcp_flag::kFin | tcp_flag::kPsh | tcp_flag::kAck | tcp_flag::kUrg | tcp_flag::kEce |
            tcp_flag::kCwr;
  r.reserved = kTcpReservedAe | 0x0e;  // AE and all three reserved bits survive
  r.ack = 0xfffffffe;
  r.urgent = 7;
  r.payload = data;
  const std::vector<std::uint8_t> out = emit(r, kClient, kServer);
  const auto back = TcpRepr::parse(out, kClient, kServer, ChecksumCheck::kVerify);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  EXPECT_EQ(back->seq_len(), 101u);
}

TEST(Tcp, EmitInPlaceWhenPayloadAliasesTheBuffer) {
  // Re-emitting a parsed segment into its own buffer, with a different options length.
  std::vector<std::uint8_t> buf(kAck.begin(), kAck.end());
  buf.insert(buf.end(), {'a', 'b', 'c', 'd'});
  auto r = TcpRepr::parse(buf, kClient, kServer, ChecksumCheck::kSkip);
  ASSERT_TRUE(r.ok());
  r->options = TcpOptions{};  // header shrinks from 32 to 20: payload moves down over itself
  r->emit(buf, kClient, kServer);
  const auto back =
      TcpRepr::parse({buf.data(), r->buffer_len()}, kClient, kServer, ChecksumCheck::kVerify);
  ASSERT_TRUE(back.ok());
  EXPECT_THAT(back->payload, ElementsAre('a', 'b', 'c', 'd'));
}

TEST(Tcp, ChecksumDependsOnFamily) {
  const IpAddr a = *IpAddr::parse("fd00::1"), b = *IpAddr::parse("fd00::2");
  const std::vector<std::uint8_t> v6 = emit(syn_repr(), a, b);
  EXPECT_TRUE(pseudo_header_checksum_ok(a, b, kIpProtoTcp, v6));
  EXPECT_FALSE(pseudo_header_checksum_ok(kClient, kServer, kIpProtoTcp, v6));
}

}  // namespace
}  // namespace synlab::wire
