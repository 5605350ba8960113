#include "stack/wire/describe.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/wire/linux_frames_testdata.h"

namespace synlab::wire {
namespace {

std::vector<std::uint8_t> copy_of(Bytes b) {
  return {b.begin(), b.end()};
}

TEST(DescribeFrame, Arp) {
  EXPECT_EQ(describe_frame(testdata::kArpRequest), "ARP who-has 10.0.0.2 tell 10.0.0.101");
  EXPECT_EQ(describe_frame(testdata::kArpReply), "ARP reply 10.0.0.2 is-at ae:01:a1:24:b6:28");
}

TEST(DescribeFrame, TcpOverIpv4) {
  // The capture's TCP checksum is an offload placeholder: kSkip describes it plainly, kVerify
  // says it is wrong (Wireshark with checksum validation on says the same).
  const std::string syn =
      "10.0.0.101:58141 > 10.8.0.1:80 S 4184801556:4184801556(0) win 64240 "
      "<mss 1460,sackOK,TS val 1005436416 ecr 0,nop,wscale 10>";
  EXPECT_EQ(describe_frame(testdata::kTcpSynV4, ChecksumCheck::kSkip), syn);
  EXPECT_EQ(describe_frame(testdata::kTcpSynV4), syn + " [bad tcp checksum]");
}

TEST(DescribeFrame, TcpOverIpv6BracketsTheAddresses) {
  EXPECT_EQ(describe_frame(testdata::kTcpSynV6, ChecksumCheck::kSkip),
            "[fe80::1]:36982 > [fe80::2]:8000 S 1015999412:1015999412(0) win 64800 "
            "<mss 1440,sackOK,TS val 1813320058 ecr 0,nop,wscale 10>");
}

TEST(DescribeFrame, Udp) {
  EXPECT_EQ(describe_frame(testdata::kUdpV4, ChecksumCheck::kSkip),
            "127.0.0.3:9002 > 127.0.0.1:9000 udp (1)");
}

TEST(DescribeFrame, Icmp) {
  EXPECT_EQ(describe_frame(testdata::kIcmpPortUnreachUdp),
            "127.0.0.1 > 127.0.0.3 icmp unreachable port_unreachable for udp "
            "127.0.0.3:9002 > 127.0.0.1:9000");
  EXPECT_EQ(describe_frame(testdata::kIcmpNetUnreach),
            "10.0.0.2 > 10.0.0.101 icmp unreachable net_unreachable for tcp "
            "10.0.0.101:58141 > 10.8.0.1:80 seq 4184801556");
}

TEST(DescribeFrame, NeighborDiscovery) {
  EXPECT_EQ(describe_frame(testdata::kNeighborSolicitLinkLocal),
            "fe80::1 > ff02::1:ff00:2 icmpv6 neighbor_solicitation who-has fe80::2 lladdr "
            "6a:80:8c:54:b3:c8");
}

TEST(DescribeFrame, BadIpChecksumIsNotedNotFatal) {
  std::vector<std::uint8_t> f = copy_of(testdata::kTcpSynV4);
  f[14 + 8] = 63;  // TTL changed without fixing the header checksum
  const std::string d = describe_frame(f, ChecksumCheck::kVerify);
  EXPECT_TRUE(d.starts_with("10.0.0.101:58141 > 10.8.0.1:80 S ")) << d;
  EXPECT_TRUE(d.ends_with(" [bad tcp checksum] [bad ip checksum]")) << d;
}

TEST(DescribeFrame, Malformed) {
  EXPECT_EQ(describe_frame({}), "malformed: ethernet truncated (0 bytes)");
  const std::vector<std::uint8_t> f = copy_of(testdata::kTcpSynV4);
  // Cut inside the IPv4 header, then inside the TCP header.
  EXPECT_EQ(describe_frame(Bytes(f).first(30)), "malformed: ipv4 truncated (30 bytes)");
  std::vector<std::uint8_t> bad_offset = f;
  bad_offset[14 + 20 + 12] = 0x40;  // TCP data offset 4
  EXPECT_EQ(describe_frame(bad_offset, ChecksumCheck::kSkip),
            "malformed: tcp bad length (74 bytes)");
  std::vector<std::uint8_t> bad_arp = copy_of(testdata::kArpRequest);
  bad_arp.resize(30);
  EXPECT_EQ(describe_frame(bad_arp), "malformed: arp truncated (30 bytes)");
}

TEST(DescribeFrame, UnsupportedAndUnknown) {
  std::vector<std::uint8_t> f = copy_of(testdata::kArpRequest);
  f[12] = 0x88;
  f[13] = 0xcc;  // LLDP
  EXPECT_EQ(describe_frame(f), "ethertype 0x88cc (42 bytes)");
  f[12] = 0x00;
  f[13] = 0x2e;  // an 802.3 length field, not an EtherType
  EXPECT_EQ(describe_frame(f), "unsupported: ethernet (42 bytes)");
}

TEST(DescribeFrame, OtherIpProtocol) {
  std::vector<std::uint8_t> f = copy_of(testdata::kTcpSynV4);
  f[14 + 9] = 47;  // GRE
  EXPECT_EQ(describe_frame(f, ChecksumCheck::kSkip), "10.0.0.101 > 10.8.0.1 proto 47 (40 bytes)");
}

TEST(FormatEndpoint, BothFamilies) {
  EXPECT_EQ(format_endpoint(IpAddr::v4(10, 0, 0, 1), 5000), "10.0.0.1:5000");
  EXPECT_EQ(format_endpoint(*IpAddr::parse("fd00::1"), 80), "[fd00::1]:80");
}

}  // namespace
}  // namespace synlab::wire
