#include "stack/wire/ethernet.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stack/wire/linux_frames_testdata.h"

namespace synlab::wire {
namespace {

const sim::MacAddr kLinuxClient = *sim::MacAddr::parse("6e:54:38:80:a8:8a");

TEST(Ethernet, Deconstruct) {
  const auto e = EthernetRepr::parse(testdata::kArpRequest);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->dst, sim::MacAddr::broadcast());
  EXPECT_EQ(e->src, kLinuxClient);
  EXPECT_EQ(e->ethertype, kEtherTypeArp);

  const auto v6 = EthernetRepr::parse(testdata::kNeighborSolicitLinkLocal);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->dst.to_string(), "33:33:ff:00:00:02");  // fe80::2's solicited-node group
  EXPECT_EQ(v6->ethertype, kEtherTypeIpv6);
}

TEST(Ethernet, Construct) {
  const EthernetRepr e{
      .dst = sim::MacAddr::broadcast(), .src = kLinuxClient, .ethertype = kEtherTypeArp};
  std::array<std::uint8_t, EthernetRepr::buffer_len()> out;
  out.fill(0xa5);
  e.emit(out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), std::begin(testdata::kArpRequest)));
}

TEST(Ethernet, Truncated) {
  const Bytes frame(testdata::kArpRequest);
  EXPECT_EQ(EthernetRepr::parse(frame.first(13)).error(), WireError::kTruncated);
  EXPECT_TRUE(EthernetRepr::parse(frame.first(14)).ok());  // an empty payload is still a frame
}

// A type field up to 1500 is an IEEE 802.3 length (LLC framing), not an EtherType.
TEST(Ethernet, LengthFieldIsUnsupported) {
  std::vector<std::uint8_t> frame(std::begin(testdata::kArpRequest),
                                  std::end(testdata::kArpRequest));
  frame[12] = 0x00;
  frame[13] = 0x1c;
  EXPECT_EQ(EthernetRepr::parse(frame).error(), WireError::kUnsupported);
}

TEST(Ethernet, RoundTrip) {
  for (Bytes frame : {Bytes(testdata::kArpReply), Bytes(testdata::kTcpSynV6)}) {
    const auto e = EthernetRepr::parse(frame);
    ASSERT_TRUE(e.ok());
    std::array<std::uint8_t, EthernetRepr::kHeaderLen> out{};
    e->emit(out);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), frame.begin()));
  }
}

TEST(Ethernet, Printer) {
  EXPECT_EQ(to_string(*EthernetRepr::parse(testdata::kArpRequest)),
            "6e:54:38:80:a8:8a > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)");
  EXPECT_EQ(to_string(EthernetRepr{.dst = sim::MacAddr::local(2),
                                   .src = sim::MacAddr::local(1),
                                   .ethertype = kEtherTypeIpv4}),
            "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800)");
  EXPECT_EQ(to_string(EthernetRepr{.ethertype = 0x88cc}),
            "00:00:00:00:00:00 > 00:00:00:00:00:00, ethertype Unknown (0x88cc)");
}

}  // namespace
}  // namespace synlab::wire
