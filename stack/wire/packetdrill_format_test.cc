#include "stack/wire/packetdrill_format.h"

#include <gtest/gtest.h>

#include <vector>

namespace synlab::wire {
namespace {

using namespace tcp_flag;  // NOLINT: the flag names read best bare here

TcpOptions from(std::vector<std::uint8_t> raw) {
  return *TcpOptions::from_bytes(raw);
}

// --- Flags ---

TEST(FormatTcpFlags, HandshakeAndTeardownLetters) {
  EXPECT_EQ(format_tcp_flags(kSyn), "S");
  EXPECT_EQ(format_tcp_flags(kSyn | kAck), "S.");
  EXPECT_EQ(format_tcp_flags(kAck), ".");
  EXPECT_EQ(format_tcp_flags(kPsh | kAck), "P.");
  EXPECT_EQ(format_tcp_flags(kFin | kAck), "F.");
  EXPECT_EQ(format_tcp_flags(kFin | kPsh | kAck), "FP.");
  EXPECT_EQ(format_tcp_flags(kRst), "R");
  EXPECT_EQ(format_tcp_flags(kRst | kAck), "R.");
  EXPECT_EQ(format_tcp_flags(kSyn | kRst), "SR");
}

TEST(FormatTcpFlags, NoFlagsIsADash) {
  EXPECT_EQ(format_tcp_flags(0), "-");
}

TEST(FormatTcpFlags, EcnLettersComeBeforeTheDot) {
  // The forms packetdrill scripts are written in: "> SEW 0:0(0)", "< SE. 0:0(0) ack 1".
  EXPECT_EQ(format_tcp_flags(kSyn | kEce | kCwr), "SEW");
  EXPECT_EQ(format_tcp_flags(kSyn | kEce | kAck), "SE.");
  EXPECT_EQ(format_tcp_flags(kPsh | kUrg | kAck), "PU.");
  EXPECT_EQ(format_tcp_flags(kAck, kTcpReservedAe), "A.");
  EXPECT_EQ(format_tcp_flags(0xff, 0x0f), "FSRPUEWA.");
  EXPECT_EQ(format_tcp_flags(0, 0x0e), "-");  // reserved bits other than AE have no letter
}

// --- Options ---

TEST(FormatTcpOptions, LinuxSyn) {
  EXPECT_EQ(format_tcp_options(linux_syn_options(1460, true, std::pair{1u, 0u}, 7)),
            "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>");
  EXPECT_EQ(format_tcp_options(linux_syn_options(1460, true, std::nullopt, 8)),
            "<mss 1460,nop,nop,sackOK,nop,wscale 8>");
}

TEST(FormatTcpOptions, SackBlocks) {
  TcpOptions o;
  o.add_nop().add_nop().add_sack({{1, 2}, {3, 4}});
  EXPECT_EQ(format_tcp_options(o), "<nop,nop,sack 1:2 3:4>");
  TcpOptions big;
  big.add_sack({{4294967295u, 0}});
  EXPECT_EQ(format_tcp_options(big), "<sack 4294967295:0>");
}

TEST(FormatTcpOptions, FastOpen) {
  const std::vector<std::uint8_t> cookie = {0x30, 0x21, 0xb9, 0xd8, 0x89, 0x01, 0x7e, 0xeb};
  TcpOptions o;
  o.add_fastopen({}).add_nop().add_nop().add_fastopen(cookie).add_fastopen_exp(cookie);
  EXPECT_EQ(format_tcp_options(o), "<FO,nop,nop,FO 3021b9d889017eeb,FOEXP 3021b9d889017eeb>");
  TcpOptions req;
  req.add_fastopen_exp({});
  EXPECT_EQ(format_tcp_options(req), "<FOEXP>");
}

TEST(FormatTcpOptions, EolAndPadding) {
  TcpOptions o;
  o.add_nop().add_eol();
  EXPECT_EQ(format_tcp_options(o), "<nop,eol>");
  EXPECT_EQ(format_tcp_options(from({0x03, 0x03, 0x07, 0x00})), "<wscale 7,eol>");
}

TEST(FormatTcpOptions, Md5) {
  std::vector<std::uint8_t> raw = {0x13, 0x12};
  for (std::uint8_t i = 0; i < 16; ++i) raw.push_back(i);
  raw.insert(raw.end(), {0x01, 0x01});
  EXPECT_EQ(format_tcp_options(from(raw)), "<md5 000102030405060708090a0b0c0d0e0f,nop,nop>");
}

TEST(FormatTcpOptions, UnknownKindsAndWrongLengths) {
  const std::vector<std::uint8_t> d = {0xde, 0xad};
  TcpOptions o;
  o.add_raw(99, d).add_raw(200, {});
  EXPECT_EQ(format_tcp_options(o), "<kind 99 dead,kind 200>");
  // An MSS of length 3 and a kind 254 that is not Fast Open.
  EXPECT_EQ(format_tcp_options(from({0x02, 0x03, 0x05, 0xfe, 0x04, 0x12, 0x34, 0x01})),
            "<kind 2 05,kind 254 1234,nop>");
}

TEST(FormatTcpOptions, MalformedTail) {
  EXPECT_EQ(format_tcp_options(from({0x02, 0x04, 0x05, 0xb4, 0x04, 0x00, 0x03, 0x03})),
            "<mss 1460,malformed 04000303>");
  EXPECT_EQ(format_tcp_options(from({0x01, 0x08, 0x0a, 0x00})), "<nop,malformed 080a00>");
}

TEST(FormatTcpOptions, Empty) {
  EXPECT_EQ(format_tcp_options(TcpOptions{}), "<>");
}

// --- Whole segments ---

TEST(FormatTcp, Syn) {
  TcpRepr r;
  r.flags = kSyn;
  r.window = 64240;
  r.options = linux_syn_options(1460, true, std::pair{1u, 0u}, 7);
  EXPECT_EQ(format_tcp(r), "S 0:0(0) win 64240 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>");
}

TEST(FormatTcp, SynAck) {
  TcpRepr r;
  r.flags = kSyn | kAck;
  r.ack = 1;
  r.window = 65160;
  r.options = linux_syn_options(1460, true, std::pair{7u, 1u}, 7);
  EXPECT_EQ(format_tcp(r),
            "S. 0:0(0) ack 1 win 65160 <mss 1460,sackOK,TS val 7 ecr 1,nop,wscale 7>");
}

TEST(FormatTcp, AckAndData) {
  const std::vector<std::uint8_t> data(10, 0);
  TcpRepr r;
  r.seq = 1;
  r.ack = 1;
  r.flags = kAck;
  r.window = 257;
  EXPECT_EQ(format_tcp(r), ". 1:1(0) ack 1 win 257");
  r.flags = kPsh | kAck;
  r.payload = data;
  EXPECT_EQ(format_tcp(r), "P. 1:11(10) ack 1 win 257");
}

TEST(FormatTcp, RstWithoutAckHidesTheAckField) {
  TcpRepr r;
  r.flags = kRst;
  r.seq = 3843755964u;
  r.ack = 99;  // carried on the wire but meaningless without ACK, as packetdrill prints it
  EXPECT_EQ(format_tcp(r), "R 3843755964:3843755964(0) win 0");
}

TEST(FormatTcp, SequenceEndWraps) {
  const std::vector<std::uint8_t> data(4, 0);
  TcpRepr r;
  r.flags = kAck;
  r.seq = 4294967294u;
  r.payload = data;
  EXPECT_EQ(format_tcp(r), ". 4294967294:2(4) ack 0 win 0");
}

TEST(FormatTcp, UrgentPointer) {
  TcpRepr r;
  r.flags = kAck | kUrg;
  r.window = 1;
  r.urgent = 5;
  EXPECT_EQ(format_tcp(r), "U. 0:0(0) ack 0 win 1 urg 5");
}

TEST(FormatTcp, NoFlags) {
  TcpRepr r;
  r.seq = 1;
  r.window = 100;
  EXPECT_EQ(format_tcp(r), "- 1:1(0) win 100");
}

TEST(FormatUdp, PayloadLength) {
  const std::vector<std::uint8_t> data(1000, 0);
  EXPECT_EQ(format_udp(UdpRepr{.src_port = 1, .dst_port = 2, .payload = data}), "udp (1000)");
  EXPECT_EQ(format_udp(UdpRepr{}), "udp (0)");
}

}  // namespace
}  // namespace synlab::wire
