#include "stack/wire/tcp_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace synlab::wire {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

std::vector<std::uint8_t> bytes_of(const TcpOptions& o) {
  return {o.bytes().begin(), o.bytes().end()};
}

TcpOptions from(std::vector<std::uint8_t> raw) {
  return *TcpOptions::from_bytes(raw);
}

// The options of a Linux 6.18 SYN (capture tcp_nonblock_delay, frame 3):
// <mss 1460,sackOK,TS val 2900438963 ecr 0,nop,wscale 10>.
const std::vector<std::uint8_t> kLinuxSyn = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08,
                                             0x0a, 0xac, 0xe1, 0x2f, 0xb3, 0x00, 0x00,
                                             0x00, 0x00, 0x01, 0x03, 0x03, 0x0a};
// Its SYN-ACK (frame 4): <mss 1460,sackOK,TS val 3210983107 ecr 2900438963,nop,wscale 10>.
const std::vector<std::uint8_t> kLinuxSynAck = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08,
                                                0x0a, 0xbf, 0x63, 0xb6, 0xc3, 0xac, 0xe1,
                                                0x2f, 0xb3, 0x01, 0x03, 0x03, 0x0a};
// Its third ACK (frame 5): <nop,nop,TS val 2900439013 ecr 3210983107>.
const std::vector<std::uint8_t> kLinuxAck = {0x01, 0x01, 0x08, 0x0a, 0xac, 0xe1,
                                             0x2f, 0xe5, 0xbf, 0x63, 0xb6, 0xc3};

// --- Deconstruct: real bytes through the typed readers ---

TEST(TcpOptions, DeconstructLinuxSyn) {
  const TcpOptions o = from(kLinuxSyn);
  EXPECT_TRUE(o.well_formed());
  EXPECT_EQ(o.mss(), 1460);
  EXPECT_TRUE(o.sack_permitted());
  EXPECT_EQ(o.timestamps(), (TcpTimestamps{2900438963u, 0}));
  EXPECT_EQ(o.window_scale(), 10);
  EXPECT_TRUE(o.sack_blocks().empty());
  EXPECT_FALSE(o.fastopen());
  EXPECT_EQ(o.size(), 20u);
  EXPECT_EQ(o.wire_len(), 20u);
}

TEST(TcpOptions, DeconstructLinuxAck) {
  const TcpOptions o = from(kLinuxAck);
  EXPECT_EQ(o.timestamps(), (TcpTimestamps{2900439013u, 3210983107u}));
  EXPECT_FALSE(o.mss());
  EXPECT_FALSE(o.window_scale());
  EXPECT_FALSE(o.sack_permitted());
}

TEST(TcpOptions, EmptyArea) {
  const TcpOptions o;
  EXPECT_TRUE(o.empty());
  EXPECT_TRUE(o.well_formed());
  EXPECT_FALSE(o.mss());
  EXPECT_EQ(o.begin(), o.end());
}

TEST(TcpOptions, FromBytesRejectsMoreThan40) {
  EXPECT_TRUE(TcpOptions::from_bytes(std::vector<std::uint8_t>(40, 1)));
  EXPECT_FALSE(TcpOptions::from_bytes(std::vector<std::uint8_t>(41, 1)));
}

// --- Construct: the builders give the same bytes ---

TEST(TcpOptions, ConstructLinuxSyn) {
  TcpOptions o;
  o.add_mss(1460)
      .add_sack_permitted()
      .add_timestamps(2900438963u, 0)
      .add_nop()
      .add_window_scale(10);
  EXPECT_FALSE(o.overflowed());
  EXPECT_EQ(bytes_of(o), kLinuxSyn);
}

TEST(TcpOptions, WriteCopiesAndPads) {
  TcpOptions o;
  o.add_window_scale(7);  // 3 bytes: one EOL of padding on the wire
  std::vector<std::uint8_t> out(8, 0xa5);
  ASSERT_EQ(o.wire_len(), 4u);
  o.write({out.data(), o.wire_len()});
  EXPECT_THAT(out, ElementsAre(0x03, 0x03, 0x07, 0x00, 0xa5, 0xa5, 0xa5, 0xa5));
}

// --- linux_syn_options: every combination against tcp_options_write()'s layout ---

TEST(LinuxSynOptions, AllOnMatchesTheCapturedSynAndSynAck) {
  EXPECT_EQ(bytes_of(linux_syn_options(1460, true, std::pair{2900438963u, 0u}, 10)), kLinuxSyn);
  EXPECT_EQ(bytes_of(linux_syn_options(1460, true, std::pair{3210983107u, 2900438963u}, 10)),
            kLinuxSynAck);
}

TEST(LinuxSynOptions, TimestampsOff) {
  // <mss 1460,nop,nop,sackOK,nop,wscale 8>: the packetdrill corpus's no-TS SYN.
  EXPECT_THAT(bytes_of(linux_syn_options(1460, true, std::nullopt, 8)),
              ElementsAre(0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01, 0x03, 0x03, 0x08));
}

TEST(LinuxSynOptions, TimestampsWithoutSack) {
  EXPECT_THAT(bytes_of(linux_syn_options(1460, false, std::pair{1u, 2u}, std::nullopt)),
              ElementsAre(0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2));
}

TEST(LinuxSynOptions, MssAndWscaleOnly) {
  // <mss 1460,nop,wscale 8>: a SYN-ACK to a SYN that offered neither sackOK nor TS.
  EXPECT_THAT(bytes_of(linux_syn_options(1460, false, std::nullopt, 8)),
              ElementsAre(0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x08));
}

TEST(LinuxSynOptions, SackWithoutWscale) {
  // <mss 1460,nop,nop,sackOK>
  EXPECT_THAT(bytes_of(linux_syn_options(1460, true, std::nullopt, std::nullopt)),
              ElementsAre(0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02));
  // <mss 1460,sackOK,TS val 100 ecr 100>
  EXPECT_EQ(linux_syn_options(1460, true, std::pair{100u, 100u}, std::nullopt).size(), 16u);
}

TEST(LinuxSynOptions, NothingAndMssOnly) {
  EXPECT_TRUE(linux_syn_options(std::nullopt, false, std::nullopt, std::nullopt).empty());
  EXPECT_THAT(bytes_of(linux_syn_options(536, false, std::nullopt, std::nullopt)),
              ElementsAre(0x02, 0x04, 0x02, 0x18));
}

TEST(LinuxSynOptions, EveryCombinationIsWordAligned) {
  for (int mask = 0; mask < 16; ++mask) {
    const TcpOptions o = linux_syn_options(
        mask & 1 ? std::optional<std::uint16_t>(1460) : std::nullopt, (mask & 2) != 0,
        mask & 4 ? std::optional(std::pair{5u, 6u}) : std::nullopt,
        mask & 8 ? std::optional<std::uint8_t>(7) : std::nullopt);
    SCOPED_TRACE(mask);
    EXPECT_EQ(o.size() % 4, 0u);
    EXPECT_TRUE(o.well_formed());
    EXPECT_EQ(o.mss().has_value(), (mask & 1) != 0);
    EXPECT_EQ(o.sack_permitted(), (mask & 2) != 0);
    EXPECT_EQ(o.timestamps().has_value(), (mask & 4) != 0);
    EXPECT_EQ(o.window_scale().has_value(), (mask & 8) != 0);
  }
}

TEST(LinuxSynOptions, FastOpenGoesLastPaddedWithNops) {
  // <mss 1460,nop,nop,sackOK,nop,wscale 8,FO,nop,nop>: a TFO cookie request.
  EXPECT_THAT(bytes_of(linux_syn_options(1460, true, std::nullopt, 8, TcpFastOpen{})),
              ElementsAre(0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01, 0x03, 0x03, 0x08,
                          0x22, 0x02, 0x01, 0x01));
  // An 8-byte cookie makes a 10-byte option: two NOPs after it.
  TcpFastOpen fo{.cookie_bytes = {1, 2, 3, 4, 5, 6, 7, 8}, .cookie_len = 8};
  const TcpOptions o = linux_syn_options(std::nullopt, false, std::nullopt, std::nullopt, fo);
  EXPECT_THAT(bytes_of(o), ElementsAre(0x22, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 0x01, 0x01));
  // The experimental form with 8 bytes is 12 long: no padding.
  fo.experimental = true;
  EXPECT_THAT(bytes_of(linux_syn_options(std::nullopt, false, std::nullopt, std::nullopt, fo)),
              ElementsAre(0xfe, 0x0c, 0xf9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8));
}

// --- Each option kind: build, read back ---

TEST(TcpOptions, Sack) {
  TcpOptions o;
  o.add_nop().add_nop().add_sack({{1, 2}, {3, 4}});
  EXPECT_THAT(bytes_of(o),
              ElementsAre(0x01, 0x01, 0x05, 0x12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4));
  const SackBlocks b = o.sack_blocks();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], (SackBlock{1, 2}));
  EXPECT_EQ(b[1], (SackBlock{3, 4}));
}

TEST(TcpOptions, FourSackBlocksFitAndAFifthDoesNot) {
  SackBlocks four{{1, 2}, {3, 4}, {5, 6}, {7, 8}};
  EXPECT_EQ(four.size(), 4u);
  EXPECT_FALSE(four.push_back({9, 10}));
  TcpOptions o;
  o.add_nop().add_nop().add_sack(four);
  EXPECT_FALSE(o.overflowed());
  EXPECT_EQ(o.size(), 36u);
  EXPECT_EQ(o.sack_blocks(), four);
}

TEST(TcpOptions, SackWithPartialBlockIsIgnored) {
  // Linux wants (len - 2) to be a whole, non-zero number of 8-byte blocks.
  const TcpOptions o = from({0x05, 0x06, 0, 0, 0, 1});
  EXPECT_TRUE(o.well_formed());
  EXPECT_TRUE(o.sack_blocks().empty());
}

TEST(TcpOptions, FastOpenCookie) {
  const std::vector<std::uint8_t> cookie = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  TcpOptions o;
  o.add_fastopen(cookie);
  EXPECT_THAT(bytes_of(o), ElementsAre(0x22, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88));
  const auto fo = o.fastopen();
  ASSERT_TRUE(fo);
  EXPECT_FALSE(fo->experimental);
  EXPECT_FALSE(fo->is_request());
  EXPECT_THAT(fo->cookie(), ElementsAreArray(cookie));
}

TEST(TcpOptions, FastOpenRequest) {
  TcpOptions o;
  o.add_fastopen({});
  EXPECT_THAT(bytes_of(o), ElementsAre(0x22, 0x02));
  ASSERT_TRUE(o.fastopen());
  EXPECT_TRUE(o.fastopen()->is_request());
}

TEST(TcpOptions, FastOpenExperimental) {
  const std::vector<std::uint8_t> cookie = {0xab, 0xcd, 0x12, 0x34};
  TcpOptions o;
  o.add_fastopen_exp(cookie);
  EXPECT_THAT(bytes_of(o), ElementsAre(0xfe, 0x08, 0xf9, 0x89, 0xab, 0xcd, 0x12, 0x34));
  const auto fo = o.fastopen();
  ASSERT_TRUE(fo);
  EXPECT_TRUE(fo->experimental);
  EXPECT_THAT(fo->cookie(), ElementsAreArray(cookie));
  // Kind 254 with another ExID is not Fast Open.
  EXPECT_FALSE(from({0xfe, 0x06, 0x12, 0x34, 0xab, 0xcd}).fastopen());
  // Nor is a kind 34 whose cookie would exceed 16 bytes.
  std::vector<std::uint8_t> long_fo(19, 0);
  long_fo[0] = 34;
  long_fo[1] = 19;
  EXPECT_FALSE(from(long_fo).fastopen());
}

TEST(TcpOptions, FastOpenCookieOver16BytesOverflows) {
  TcpOptions o;
  o.add_fastopen(std::vector<std::uint8_t>(17, 1));
  EXPECT_TRUE(o.overflowed());
  EXPECT_TRUE(o.empty());
}

TEST(TcpOptions, EolAndNop) {
  TcpOptions o;
  o.add_nop().add_eol();
  EXPECT_THAT(bytes_of(o), ElementsAre(0x01, 0x00));
}

TEST(TcpOptions, RawAndUnknownKinds) {
  const std::vector<std::uint8_t> d = {0xde, 0xad};
  TcpOptions o;
  o.add_raw(99, d).add_mss(1200);
  EXPECT_THAT(bytes_of(o), ElementsAre(99, 4, 0xde, 0xad, 0x02, 0x04, 0x04, 0xb0));
  EXPECT_TRUE(o.well_formed());
  EXPECT_EQ(o.mss(), 1200);  // the unknown option is stepped over
}

// --- Iteration ---

TEST(TcpOptions, IterationVisitsEveryOptionInOrder) {
  TcpOptions o;
  const std::vector<std::uint8_t> d = {7};
  o.add_mss(1460).add_nop().add_raw(200, d).add_eol();
  std::vector<std::uint8_t> kinds;
  std::vector<std::size_t> data_sizes;
  for (const TcpOption& opt : o) {
    EXPECT_FALSE(opt.malformed);
    kinds.push_back(opt.kind);
    data_sizes.push_back(opt.data.size());
  }
  EXPECT_THAT(kinds, ElementsAre(2, 1, 200, 0));
  EXPECT_THAT(data_sizes, ElementsAre(2, 0, 1, 0));
}

TEST(TcpOptions, IterationShowsEachEolPaddingByte) {
  const TcpOptions o = from({0x03, 0x03, 0x07, 0x00, 0x00});
  int eols = 0;
  for (const TcpOption& opt : o) eols += opt.kind == tcp_opt::kEol;
  EXPECT_EQ(eols, 2);
}

// --- Malformed areas: the walk stops, nothing is rejected ---

TEST(TcpOptions, LengthZeroStopsTheWalk) {
  // mss, then a SACK-permitted with length 0, then a window scale Linux never reaches.
  const TcpOptions o = from({0x02, 0x04, 0x05, 0xb4, 0x04, 0x00, 0x03, 0x03, 0x07, 0x00});
  EXPECT_FALSE(o.well_formed());
  EXPECT_EQ(o.mss(), 1460);
  EXPECT_FALSE(o.sack_permitted());
  EXPECT_FALSE(o.window_scale());
  std::vector<std::uint8_t> kinds;
  bool last_malformed = false;
  for (const TcpOption& opt : o) {
    kinds.push_back(opt.kind);
    last_malformed = opt.malformed;
  }
  EXPECT_THAT(kinds, ElementsAre(2, 4));
  EXPECT_TRUE(last_malformed);
}

TEST(TcpOptions, LengthOneStopsTheWalk) {
  const TcpOptions o = from({0x01, 0x08, 0x01, 0x02, 0x04, 0x05, 0xb4, 0x00});
  EXPECT_FALSE(o.well_formed());
  EXPECT_FALSE(o.mss());
}

TEST(TcpOptions, LengthPastTheEndStopsTheWalk) {
  const TcpOptions o = from({0x03, 0x03, 0x07, 0x08, 0x0a, 0x00, 0x00, 0x00});
  EXPECT_FALSE(o.well_formed());
  EXPECT_EQ(o.window_scale(), 7);
  EXPECT_FALSE(o.timestamps());
}

TEST(TcpOptions, KindWithoutLengthByteStopsTheWalk) {
  const TcpOptions o = from({0x01, 0x01, 0x01, 0x02});
  EXPECT_FALSE(o.well_formed());
  TcpOptions::Iterator it = o.begin();
  for (int i = 0; i < 3; ++i) ++it;
  ASSERT_NE(it, o.end());
  EXPECT_TRUE(it->malformed);
  EXPECT_EQ(it->raw.size(), 1u);
  ++it;
  EXPECT_EQ(it, o.end());
}

TEST(TcpOptions, EolEndsTheLinuxWalk) {
  // Anything after EOL is padding to Linux, even when it looks like an option or is garbage.
  const TcpOptions o = from({0x00, 0x02, 0x04, 0x05, 0xb4, 0x05, 0x00, 0x00});
  EXPECT_TRUE(o.well_formed());
  EXPECT_FALSE(o.mss());
}

TEST(TcpOptions, WrongLengthForKnownKindIsSkipped) {
  // An MSS of length 3 and a window scale of length 4 are ignored (Linux checks opsize).
  const TcpOptions o = from({0x02, 0x03, 0x05, 0x03, 0x04, 0x07, 0x00, 0x02, 0x04, 0x02, 0x18});
  EXPECT_TRUE(o.well_formed());
  EXPECT_FALSE(o.window_scale());
  EXPECT_EQ(o.mss(), 536);
}

TEST(TcpOptions, RepeatedKindLastOneWins) {
  TcpOptions o;
  o.add_mss(1000).add_mss(1200);
  EXPECT_EQ(o.mss(), 1200);
}

// --- Overflow ---

TEST(TcpOptions, AppendPastFortyBytesWritesNothingMore) {
  TcpOptions o;
  o.add_timestamps(1, 2).add_timestamps(3, 4).add_timestamps(5, 6).add_timestamps(7, 8);
  EXPECT_FALSE(o.overflowed());
  EXPECT_EQ(o.size(), 40u);
  o.add_nop();
  EXPECT_TRUE(o.overflowed());
  EXPECT_EQ(o.size(), 40u);

  TcpOptions p;
  p.add_timestamps(1, 2).add_timestamps(3, 4).add_timestamps(5, 6).add_mss(1);  // 34 bytes
  p.add_timestamps(7, 8);                                                       // does not fit
  p.add_nop();  // would fit, but the area stays a prefix of what was asked
  EXPECT_TRUE(p.overflowed());
  EXPECT_EQ(p.size(), 34u);
}

TEST(TcpOptions, EqualityIsByteEquality) {
  TcpOptions a, b;
  a.add_nop().add_mss(1460);
  b.add_mss(1460).add_nop();
  EXPECT_NE(a, b);
  EXPECT_EQ(a, from({0x01, 0x02, 0x04, 0x05, 0xb4}));
}

}  // namespace
}  // namespace synlab::wire
