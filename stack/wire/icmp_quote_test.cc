#include "stack/wire/icmp_quote.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/wire/ethernet.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/linux_frames_testdata.h"

namespace synlab::wire {
namespace {

Bytes ip_of(Bytes frame) {
  return frame.subspan(kEthernetHeaderLen);
}
// An ICMPv4 error's payload: after Ethernet, a 20-byte IPv4 header and the 8-byte ICMP header.
Bytes quote_of(Bytes frame) {
  return frame.subspan(kEthernetHeaderLen + 20 + 8);
}

std::vector<std::uint8_t> copy_of(Bytes b) {
  return {b.begin(), b.end()};
}

bool same_bytes(Bytes a, Bytes b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

TEST(IcmpQuote, ParsesLinuxQuoteOfTcp) {
  const auto q = parse_ipv4_quote(quote_of(testdata::kIcmpNetUnreach));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->src, IpAddr::v4(10, 0, 0, 101));
  EXPECT_EQ(q->dst, IpAddr::v4(10, 8, 0, 1));
  EXPECT_EQ(q->protocol, kIpProtoTcp);
  EXPECT_EQ(q->ports, (QuotedPorts{58141, 80}));
  EXPECT_EQ(q->tcp_seq, 0xf96f0114u);
  EXPECT_EQ(q->transport.size(), 40u);  // Linux quoted the whole SYN
}

TEST(IcmpQuote, ParsesLinuxQuoteOfUdp) {
  const auto q = parse_ipv4_quote(quote_of(testdata::kIcmpPortUnreachUdp));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->protocol, kIpProtoUdp);
  EXPECT_EQ(q->ports, (QuotedPorts{9002, 9000}));
  EXPECT_EQ(q->tcp_seq, std::nullopt);
  EXPECT_EQ(q->transport.size(), 9u);
}

// RFC 792 guarantees the IP header and 8 bytes; anything shorter yields what it can.
TEST(IcmpQuote, TruncatedV4Quotes) {
  const Bytes full = quote_of(testdata::kIcmpNetUnreach);
  const auto eight = parse_ipv4_quote(full.first(28));
  ASSERT_TRUE(eight.ok());
  EXPECT_TRUE(eight->ports && eight->tcp_seq);
  const auto four = parse_ipv4_quote(full.first(24));
  ASSERT_TRUE(four.ok());
  EXPECT_TRUE(four->ports);
  EXPECT_FALSE(four->tcp_seq);
  const auto two = parse_ipv4_quote(full.first(22));
  ASSERT_TRUE(two.ok());
  EXPECT_FALSE(two->ports);
  EXPECT_EQ(two->transport.size(), 2u);
  EXPECT_EQ(parse_ipv4_quote(full.first(19)).error(), WireError::kTruncated);
  auto options = copy_of(full.first(28));
  options[0] = 0x48;  // IHL 8: 32 bytes of header, 28 quoted
  EXPECT_EQ(parse_ipv4_quote(options).error(), WireError::kTruncated);
}

TEST(IcmpQuote, MalformedV4Quotes) {
  auto q = copy_of(quote_of(testdata::kIcmpNetUnreach));
  q[0] = 0x44;
  EXPECT_EQ(parse_ipv4_quote(q).error(), WireError::kBadLength);
  EXPECT_EQ(parse_ipv4_quote(ip_of(testdata::kTcpSynV6)).error(), WireError::kBadVersion);
}

TEST(IcmpQuote, NonFirstFragmentHasNoTransportHeader) {
  auto q = copy_of(quote_of(testdata::kIcmpNetUnreach));
  q[7] = 0x10;  // fragment offset 16 * 8
  const auto parsed = parse_ipv4_quote(q);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->protocol, kIpProtoTcp);
  EXPECT_TRUE(parsed->transport.empty());
  EXPECT_FALSE(parsed->ports);
}

TEST(IcmpQuote, ParsesV6Quote) {
  const auto q = parse_ipv6_quote(ip_of(testdata::kTcpSynV6));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->src.to_string(), "fe80::1");
  EXPECT_EQ(q->dst.to_string(), "fe80::2");
  EXPECT_EQ(q->protocol, kIpProtoTcp);
  EXPECT_EQ(q->ports, (QuotedPorts{36982, 8000}));
  EXPECT_EQ(q->tcp_seq, 0x3c8eebb4u);
  EXPECT_EQ(parse_ipv6_quote(ip_of(testdata::kTcpSynV6).first(39)).error(), WireError::kTruncated);
  EXPECT_EQ(parse_ipv6_quote(quote_of(testdata::kIcmpNetUnreach)).error(), WireError::kBadVersion);
  const auto header_only = parse_ipv6_quote(ip_of(testdata::kTcpSynV6).first(40));
  ASSERT_TRUE(header_only.ok());
  EXPECT_EQ(header_only->protocol, kIpProtoTcp);
  EXPECT_FALSE(header_only->ports);
}

// The SYN's IPv6 header, then `ext`, then the SYN's first 8 TCP bytes.
std::vector<std::uint8_t> v6_quote(std::uint8_t next, std::initializer_list<std::uint8_t> ext) {
  const Bytes syn = ip_of(testdata::kTcpSynV6);
  std::vector<std::uint8_t> q;
  q.reserve(40 + ext.size() + 8);
  q.assign(syn.begin(), syn.begin() + 40);
  for (std::uint8_t b : ext) q.push_back(b);
  for (std::uint8_t b : syn.subspan(40, 8)) q.push_back(b);
  q[6] = next;
  store_be16(&q[4], static_cast<std::uint16_t>(ext.size() + 40));  // as sent: the whole SYN
  return q;
}

TEST(IcmpQuote, V6ExtensionHeaders) {
  const auto dest =
      parse_ipv6_quote(v6_quote(kIpProtoDestOpts, {kIpProtoTcp, 0, 1, 4, 0, 0, 0, 0}));
  ASSERT_TRUE(dest.ok());
  EXPECT_EQ(dest->protocol, kIpProtoTcp);
  EXPECT_EQ(dest->ports, (QuotedPorts{36982, 8000}));

  const auto first =
      parse_ipv6_quote(v6_quote(kIpProtoFragment, {kIpProtoTcp, 0, 0, 1, 0, 0, 0, 9}));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->ports, (QuotedPorts{36982, 8000}));

  const auto later =
      parse_ipv6_quote(v6_quote(kIpProtoFragment, {kIpProtoTcp, 0, 0, 8, 0, 0, 0, 9}));
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->protocol, kIpProtoTcp);
  EXPECT_FALSE(later->ports);

  // A header claiming 16 bytes when 16 are left (8 of it, 8 of TCP): still skippable. 24: not.
  const auto cut = parse_ipv6_quote(v6_quote(kIpProtoDestOpts, {kIpProtoTcp, 2, 1, 4, 0, 0, 0, 0}));
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->protocol, kIpProtoDestOpts);
  EXPECT_FALSE(cut->ports);
}

// Linux quoted the whole 60-byte SYN and the whole 29-byte datagram: what the builder gives.
TEST(IcmpQuote, V4BuilderMatchesLinux) {
  EXPECT_TRUE(same_bytes(icmpv4_error_quote(ip_of(testdata::kTcpSynV4)),
                         quote_of(testdata::kIcmpNetUnreach)));
  EXPECT_TRUE(same_bytes(icmpv4_error_quote(ip_of(testdata::kUdpV4)),
                         quote_of(testdata::kIcmpPortUnreachUdp)));
}

TEST(IcmpQuote, V4BuilderLimits) {
  std::vector<std::uint8_t> big(1500, 0);
  big[0] = 0x45;
  store_be16(&big[2], 1500);
  EXPECT_EQ(icmpv4_error_quote(big).size(), 548u);  // 576 - 20 - 8
  EXPECT_EQ(icmpv4_error_quote(big, 9000).size(), 548u);
  EXPECT_EQ(icmpv4_error_quote(big, 100).size(), 72u);  // a route MTU below 576 caps it too
  // Link padding after the total length is not quoted.
  auto padded = copy_of(ip_of(testdata::kUdpV4));
  padded.resize(46, 0);
  EXPECT_EQ(icmpv4_error_quote(padded).size(), 29u);
}

TEST(IcmpQuote, V6BuilderLimits) {
  std::vector<std::uint8_t> big(1500, 0);
  big[0] = 0x60;
  store_be16(&big[4], 1460);
  EXPECT_EQ(icmpv6_error_quote(big).size(), 1232u);  // 1280 - 40 - 8
  auto padded = copy_of(ip_of(testdata::kTcpSynV6));
  padded.resize(padded.size() + 6, 0);
  EXPECT_EQ(icmpv6_error_quote(padded).size(), 80u);
}

TEST(IcmpQuote, Printer) {
  EXPECT_EQ(to_string(*parse_ipv4_quote(quote_of(testdata::kIcmpNetUnreach))),
            "tcp 10.0.0.101:58141 > 10.8.0.1:80 seq 4184801556");
  EXPECT_EQ(to_string(*parse_ipv4_quote(quote_of(testdata::kIcmpPortUnreachUdp))),
            "udp 127.0.0.3:9002 > 127.0.0.1:9000");
  EXPECT_EQ(to_string(*parse_ipv6_quote(ip_of(testdata::kTcpSynV6))),
            "tcp [fe80::1]:36982 > [fe80::2]:8000 seq 1015999412");
  auto gre = copy_of(quote_of(testdata::kIcmpNetUnreach));
  gre[9] = 47;
  EXPECT_EQ(to_string(*parse_ipv4_quote(gre)), "proto 47 10.0.0.101 > 10.8.0.1");
}

}  // namespace
}  // namespace synlab::wire
