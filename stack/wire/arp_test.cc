#include "stack/wire/arp.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stack/wire/ethernet.h"
#include "stack/wire/linux_frames_testdata.h"

namespace synlab::wire {
namespace {

Bytes arp_of(Bytes frame) {
  return frame.subspan(EthernetRepr::kHeaderLen);
}

std::vector<std::uint8_t> copy_of(Bytes b) {
  return {b.begin(), b.end()};
}

const ArpRepr kRequest{.op = ArpOp::kRequest,
                       .sender_mac = *sim::MacAddr::parse("6e:54:38:80:a8:8a"),
                       .sender_ip = IpAddr::v4(10, 0, 0, 101),
                       .target_mac = {},
                       .target_ip = IpAddr::v4(10, 0, 0, 2)};

TEST(Arp, Deconstruct) {
  const auto req = ArpRepr::parse(arp_of(testdata::kArpRequest));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(*req, kRequest);  // Linux leaves the target MAC of a request zero

  const auto reply = ArpRepr::parse(arp_of(testdata::kArpReply));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->op, ArpOp::kReply);
  EXPECT_EQ(reply->sender_mac.to_string(), "ae:01:a1:24:b6:28");
  EXPECT_EQ(reply->sender_ip, IpAddr::v4(10, 0, 0, 2));
  EXPECT_EQ(reply->target_mac.to_string(), "6e:54:38:80:a8:8a");
  EXPECT_EQ(reply->target_ip, IpAddr::v4(10, 0, 0, 101));
}

TEST(Arp, Construct) {
  std::array<std::uint8_t, ArpRepr::buffer_len()> out;
  out.fill(0xa5);
  kRequest.emit(out);
  const Bytes want = arp_of(testdata::kArpRequest);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), want.begin(), want.end()));
}

TEST(Arp, Truncated) {
  EXPECT_EQ(ArpRepr::parse(arp_of(testdata::kArpRequest).first(27)).error(), WireError::kTruncated);
}

// A frame padded to the Ethernet minimum carries 18 bytes after the ARP packet.
TEST(Arp, IgnoresPadding) {
  std::vector<std::uint8_t> padded = copy_of(arp_of(testdata::kArpReply));
  padded.resize(kEthernetMinFrameLen - kEthernetHeaderLen, 0);
  const auto a = ArpRepr::parse(padded);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, *ArpRepr::parse(arp_of(testdata::kArpReply)));
}

TEST(Arp, ImpossibleLength) {
  auto hlen = copy_of(arp_of(testdata::kArpRequest));
  hlen[4] = 8;  // hardware address length for Ethernet must be 6
  EXPECT_EQ(ArpRepr::parse(hlen).error(), WireError::kBadLength);
  auto plen = copy_of(arp_of(testdata::kArpRequest));
  plen[5] = 16;  // protocol address length for IPv4 must be 4
  EXPECT_EQ(ArpRepr::parse(plen).error(), WireError::kBadLength);
}

TEST(Arp, RejectsOtherHardwareProtocolAndOpcodes) {
  auto htype = copy_of(arp_of(testdata::kArpRequest));
  htype[1] = 6;  // IEEE 802
  EXPECT_EQ(ArpRepr::parse(htype).error(), WireError::kUnsupported);
  auto ptype = copy_of(arp_of(testdata::kArpRequest));
  ptype[2] = 0x86;
  ptype[3] = 0xdd;
  EXPECT_EQ(ArpRepr::parse(ptype).error(), WireError::kUnsupported);
  auto rarp = copy_of(arp_of(testdata::kArpRequest));
  rarp[7] = 3;  // RARP request (RFC 903)
  EXPECT_EQ(ArpRepr::parse(rarp).error(), WireError::kUnsupported);
}

TEST(Arp, RoundTrip) {
  for (Bytes frame : {Bytes(testdata::kArpRequest), Bytes(testdata::kArpReply)}) {
    const auto a = ArpRepr::parse(arp_of(frame));
    ASSERT_TRUE(a.ok());
    std::array<std::uint8_t, kArpLen> out{};
    a->emit(out);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), arp_of(frame).begin()));
  }
}

TEST(Arp, Printer) {
  EXPECT_EQ(to_string(kRequest), "ARP who-has 10.0.0.2 tell 10.0.0.101");
  EXPECT_EQ(to_string(*ArpRepr::parse(arp_of(testdata::kArpReply))),
            "ARP reply 10.0.0.2 is-at ae:01:a1:24:b6:28");
}

}  // namespace
}  // namespace synlab::wire
