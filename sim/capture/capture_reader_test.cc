// The reader: round trips through both writers, files built by hand in both byte orders
// and every classic magic, and malformed input (every truncation point, every byte
// corrupted) giving a clean prefix or an error with an offset, never a crash.
#include "sim/capture/capture_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sim/capture/pcap_writer.h"
#include "sim/capture/pcapng_writer.h"
#include "sim/capture/test_frames.h"

using synlab::sim::CaptureFile;
using synlab::sim::CaptureFileFormat;
using synlab::sim::Duration;
using synlab::sim::MacAddr;
using synlab::sim::NameRecord;
using synlab::sim::PacketDirection;
using synlab::sim::PcapngWriter;
using synlab::sim::PcapWriter;
using synlab::sim::read_capture;
using synlab::sim::read_capture_file;
using synlab::sim::Time;
using synlab::sim::testing::arp_who_has;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::string temp_path(const char* name) {
  return ::testing::TempDir() + name + "_" + std::to_string(::getpid());
}

Bytes frame_bytes(std::uint8_t target) {
  const auto p = arp_who_has(MacAddr::local(1), 1, target);
  return Bytes(p.bytes().begin(), p.bytes().end());
}

// Builds capture files by hand in either byte order.
class Builder {
 public:
  explicit Builder(bool big) : big_(big) {}
  Builder& u8(std::uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  Builder& u16(std::uint16_t v) {
    return big_ ? u8(static_cast<std::uint8_t>(v >> 8)).u8(static_cast<std::uint8_t>(v))
                : u8(static_cast<std::uint8_t>(v)).u8(static_cast<std::uint8_t>(v >> 8));
  }
  Builder& u32(std::uint32_t v) {
    return big_ ? u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v))
                : u16(static_cast<std::uint16_t>(v)).u16(static_cast<std::uint16_t>(v >> 16));
  }
  Builder& bytes(const Bytes& v) {
    b_.insert(b_.end(), v.begin(), v.end());
    return *this;
  }
  Builder& str(const std::string& s) {
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  Builder& pad() {
    while (b_.size() % 4) u8(0);
    return *this;
  }
  Builder& option(std::uint16_t code, const Bytes& v) {
    return u16(code).u16(static_cast<std::uint16_t>(v.size())).bytes(v).pad();
  }
  Builder& option(std::uint16_t code, const std::string& s) {
    return option(code, Bytes(s.begin(), s.end()));
  }
  Builder& begin(std::uint32_t type) {
    start_ = b_.size();
    return u32(type).u32(0);
  }
  Builder& end() {
    const auto len = static_cast<std::uint32_t>(b_.size() - start_ + 4);
    u32(len);
    Builder patch(big_);
    patch.u32(len);
    std::copy(patch.b_.begin(), patch.b_.end(),
              b_.begin() + static_cast<std::ptrdiff_t>(start_ + 4));
    return *this;
  }
  Builder& shb() {
    begin(0x0A0D0D0A).u32(0x1A2B3C4D).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff);
    return option(4, std::string("hand")).u32(0).end();
  }
  Builder& idb(const std::string& name, std::optional<std::uint8_t> tsresol,
               std::int64_t tsoffset = 0, std::uint32_t snaplen = 0) {
    begin(1).u16(1).u16(0).u32(snaplen).option(2, name);
    if (tsresol) option(9, Bytes{*tsresol});
    if (tsoffset) {
      Builder off(big_);
      off.u32(big_ ? static_cast<std::uint32_t>(tsoffset >> 32)
                   : static_cast<std::uint32_t>(tsoffset));
      off.u32(big_ ? static_cast<std::uint32_t>(tsoffset)
                   : static_cast<std::uint32_t>(tsoffset >> 32));
      option(14, off.b_);
    }
    return u32(0).end();
  }
  Builder& epb(std::uint32_t itf, std::uint64_t ts, const Bytes& data,
               const std::vector<std::string>& comments = {}, std::uint32_t flags = 0) {
    begin(6).u32(itf).u32(static_cast<std::uint32_t>(ts >> 32)).u32(static_cast<std::uint32_t>(ts));
    u32(static_cast<std::uint32_t>(data.size()))
        .u32(static_cast<std::uint32_t>(data.size()))
        .bytes(data)
        .pad();
    for (const auto& c : comments) option(1, c);
    if (flags) {
      Builder f(big_);
      f.u32(flags);
      option(2, f.b_);
    }
    if (!comments.empty() || flags) u32(0);
    return end();
  }
  const Bytes& get() const { return b_; }

 private:
  bool big_;
  Bytes b_;
  std::size_t start_ = 0;
};

Bytes classic_pcap(bool big, bool nano, std::uint32_t frac) {
  Builder b(big);
  b.u32(nano ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
  const Bytes f = frame_bytes(2);
  b.u32(5).u32(frac).u32(static_cast<std::uint32_t>(f.size())).u32(60).bytes(f);
  return b.get();
}

}  // namespace

TEST(CaptureReader, ReadsBackWhatThePcapngWriterWrote) {
  const std::string path = temp_path("rt.pcapng");
  {
    PcapngWriter w;
    ASSERT_TRUE(w.open(path, {.application = "app", .comment = "whole capture"}).ok());
    const std::uint8_t v4[] = {10, 0, 0, 2};
    const NameRecord names[] = {*NameRecord::make(v4, "server")};
    w.add_names(names);
    w.add_interface({.name = "client/eth0", .description = "client/eth0 on link lan"});
    w.add_interface({.name = "server/eth0"});
    const Bytes f1 = frame_bytes(2), f2 = frame_bytes(3);
    const std::string c1[] = {"why", "lost on link: loss rate 10% on lan"};
    w.write_packet({.interface = 1,
                    .at = Time::from_ns(5),
                    .bytes = f1,
                    .direction = PacketDirection::kOutbound,
                    .comments = c1});
    w.write_packet({.interface = 0,
                    .at = Time::from_ns(7'000'000'001),
                    .bytes = f2,
                    .direction = PacketDirection::kInbound});
    ASSERT_TRUE(w.close().ok());
  }
  auto r = read_capture_file(path);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const CaptureFile& f = *r;
  EXPECT_EQ(f.format, CaptureFileFormat::kPcapng);
  EXPECT_FALSE(f.big_endian);
  EXPECT_EQ(f.application, "app");
  EXPECT_EQ(f.section_comments, std::vector<std::string>{"whole capture"});
  ASSERT_EQ(f.names.size(), 1u);
  EXPECT_EQ(f.names[0].name, "server");
  EXPECT_EQ(f.names[0].address_size, 4);
  ASSERT_EQ(f.interfaces.size(), 2u);
  EXPECT_EQ(f.interfaces[0].name, "client/eth0");
  EXPECT_EQ(f.interfaces[0].description, "client/eth0 on link lan");
  EXPECT_EQ(f.interfaces[1].name, "server/eth0");
  EXPECT_EQ(f.interfaces[1].link_type, 1);
  ASSERT_EQ(f.records.size(), 2u);
  EXPECT_EQ(f.records[0].timestamp_ns, 5);
  EXPECT_EQ(f.records[0].interface, 1u);
  EXPECT_EQ(f.records[0].bytes, frame_bytes(2));
  EXPECT_EQ(f.records[0].original_length, 42u);
  EXPECT_EQ(f.records[0].comments,
            (std::vector<std::string>{"why", "lost on link: loss rate 10% on lan"}));
  EXPECT_EQ(f.records[0].direction, PacketDirection::kOutbound);
  EXPECT_EQ(f.records[1].timestamp_ns, 7'000'000'001);
  EXPECT_EQ(f.records[1].direction, PacketDirection::kInbound);
  EXPECT_TRUE(f.records[1].comments.empty());
  std::remove(path.c_str());
}

TEST(CaptureReader, ReadsBackWhatThePcapWriterWrote) {
  const std::string path = temp_path("rt.pcap");
  {
    PcapWriter w;
    ASSERT_TRUE(w.open(path).ok());
    w.write(Time::from_ns(1'234'567'891), frame_bytes(2));
    ASSERT_TRUE(w.close().ok());
  }
  auto r = read_capture_file(path);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->format, CaptureFileFormat::kNsecPcap);
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].timestamp_ns, 1'234'567'891);
  EXPECT_EQ(r->records[0].bytes, frame_bytes(2));
  EXPECT_EQ(r->interfaces.at(0).link_type, 1);
  std::remove(path.c_str());
}

TEST(CaptureReader, ReadsEveryClassicMagicInBothByteOrders) {
  struct Case {
    bool big, nano;
    std::uint32_t frac;
    std::int64_t want_ns;
    CaptureFileFormat fmt;
  };
  const Case cases[] = {
      {false, false, 250'000, 5'250'000'000, CaptureFileFormat::kPcap},
      {true, false, 250'000, 5'250'000'000, CaptureFileFormat::kPcap},
      {false, true, 250'000, 5'000'250'000, CaptureFileFormat::kNsecPcap},
      {true, true, 250'000, 5'000'250'000, CaptureFileFormat::kNsecPcap},
  };
  for (const Case& c : cases) {
    auto r = read_capture(classic_pcap(c.big, c.nano, c.frac));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->format, c.fmt);
    EXPECT_EQ(r->big_endian, c.big);
    EXPECT_EQ(r->interfaces.at(0).snaplen, 65535u);
    ASSERT_EQ(r->records.size(), 1u);
    EXPECT_EQ(r->records[0].timestamp_ns, c.want_ns) << "big " << c.big << " nano " << c.nano;
    EXPECT_EQ(r->records[0].original_length, 60u);
    EXPECT_EQ(r->records[0].bytes, frame_bytes(2));
  }
}

TEST(CaptureReader, ReadsBigEndianPcapngWithOtherResolutionsAndSkipsUnknownBlocks) {
  Builder b(true);
  b.shb();
  b.idb("us", 6);                           // microseconds
  b.idb("pow2", 0x80 | 10);                 // 1/1024 s
  b.idb("default", std::nullopt);           // no if_tsresol: microseconds (§4.2)
  b.idb("offset", 9, 100);                  // nanoseconds + 100 s
  b.begin(0x00000BAD).u32(1).u32(2).end();  // unknown block: skipped
  b.epb(0, 1'500'000, frame_bytes(1), {"a", "b"}, 2);
  b.epb(1, 1536, frame_bytes(2));
  b.epb(2, 7, frame_bytes(3));
  b.epb(3, 9, frame_bytes(4));
  b.begin(3).u32(42).bytes(frame_bytes(5)).pad().end();  // SPB: interface 0, no time
  auto r = read_capture(b.get());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->big_endian);
  EXPECT_EQ(r->application, "hand");
  ASSERT_EQ(r->interfaces.size(), 4u);
  ASSERT_EQ(r->records.size(), 5u);
  EXPECT_EQ(r->records[0].timestamp_ns, 1'500'000'000);
  EXPECT_EQ(r->records[0].comments, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->records[0].direction, PacketDirection::kOutbound);
  EXPECT_EQ(r->records[1].timestamp_ns, 1'500'000'000);  // 1536/1024 s
  EXPECT_EQ(r->records[2].timestamp_ns, 7'000);
  EXPECT_EQ(r->records[3].timestamp_ns, 100'000'000'009);
  EXPECT_EQ(r->records[4].interface, 0u);
  EXPECT_EQ(r->records[4].bytes, frame_bytes(5));
  EXPECT_EQ(r->records[4].timestamp_ns, 0);
}

TEST(CaptureReader, NumbersInterfacesAcrossSectionsOfDifferentByteOrders) {
  Builder le(false), be(true);
  le.shb().idb("first", 9).epb(0, 1, frame_bytes(1));
  be.shb().idb("second", 9).epb(0, 2, frame_bytes(2));
  Bytes both = le.get();
  both.insert(both.end(), be.get().begin(), be.get().end());
  auto r = read_capture(both);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->interfaces.size(), 2u);
  EXPECT_EQ(r->interfaces[1].name, "second");
  EXPECT_EQ(r->interfaces[1].section, 1u);
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[1].interface, 1u);
  EXPECT_EQ(r->records[1].timestamp_ns, 2);
}

TEST(CaptureReader, SkipsASectionOfAnotherVersion) {
  Builder b(false);
  b.begin(0x0A0D0D0A).u32(0x1A2B3C4D).u16(2).u16(0).u32(0xffffffff).u32(0xffffffff).end();
  b.idb("ignored", 9).epb(0, 1, frame_bytes(1));
  auto r = read_capture(b.get());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->skipped_sections, 1u);
  EXPECT_TRUE(r->records.empty());
  EXPECT_TRUE(r->interfaces.empty());
}

TEST(CaptureReader, NamesTheOffsetOfMalformedInput) {
  struct Case {
    const char* what;
    Bytes data;
    std::uint64_t offset;
    const char* message;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", {}, 0, "not a capture file: 0 bytes"});
  cases.push_back({"garbage",
                   {'g', 'a', 'r', 'b', 'a', 'g', 'e'},
                   0,
                   "not a pcap or pcapng file (first bytes 67617262)"});
  {
    Bytes b = Builder(false).shb().get();
    b[4] = 41;  // length not a multiple of 4
    cases.push_back({"odd length", b, 4, "block length 41 is not a multiple of 4 of at least 12"});
  }
  {
    Bytes b = Builder(false).shb().get();
    b[b.size() - 4] = 44;
    cases.push_back(
        {"trailer", b, b.size() - 4, "block trailer length 44 differs from its header length 40"});
  }
  {
    Bytes b = Builder(false).shb().get();
    b[8] = 0;
    cases.push_back({"bom", b, 8, "bad byte-order magic in Section Header Block"});
  }
  cases.push_back({"no idb", Builder(false).shb().epb(0, 1, frame_bytes(1)).get(), 48,
                   "Enhanced Packet Block names interface 0 but 0 are declared in this section"});
  {
    Builder b(false);
    b.shb().idb("x", 9);
    const std::size_t at = b.get().size();
    b.begin(6).u32(0).u32(0).u32(0).u32(1000).u32(1000).u32(0).end();
    cases.push_back(
        {"caplen", b.get(), at + 20,
         "Enhanced Packet Block captured length 1000 runs past its block (4 bytes of data)"});
  }
  {
    Builder b(false);
    b.shb();
    const std::size_t at = b.get().size();
    b.begin(1).u16(1).u16(0).u32(0).u16(2).u16(200).u32(0).end();
    cases.push_back(
        {"option", b.get(), at + 16, "option 2 of 200 bytes runs past its block (4 bytes left)"});
  }
  {
    Builder b(false);
    b.shb();
    const std::size_t at = b.get().size();
    b.begin(1).u16(1).u16(0).u32(0).option(9, Bytes{9, 9}).end();
    cases.push_back({"tsresol", b.get(), at + 16, "if_tsresol option of 2 bytes (must be 1)"});
  }
  cases.push_back({"spb", Builder(false).shb().begin(3).u32(0).end().get(), 48,
                   "Simple Packet Block before any Interface Description Block"});
  {
    Bytes b = Builder(false).shb().idb("x", 9).get();
    b.insert(b.end(), {6, 0, 0, 0, 0xf0, 0xff, 0xff, 0x7f, 0, 0, 0, 0});
    cases.push_back({"huge block", b, b.size() - 8,
                     "block of 2147483632 bytes runs past the end of the file (12 bytes left)"});
  }
  {
    Bytes b = classic_pcap(false, true, 0);
    b[24 + 8] = 0xff;  // captured length 255 > 42 bytes there
    cases.push_back({"pcap caplen", b, 32,
                     "record captured length 255 runs past the end of the file (42 bytes left)"});
  }
  {
    Bytes b = classic_pcap(false, false, 0);
    b[4] = 3;
    cases.push_back({"pcap version", b, 4, "unsupported pcap version 3.4"});
  }
  for (const Case& c : cases) {
    auto r = read_capture(c.data);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.error().offset, c.offset) << c.what << ": " << r.error().to_string();
    EXPECT_EQ(r.error().message, c.message) << c.what;
  }
}

// Every prefix of a valid file reads as an error or as the records before the cut.
void expect_truncations_are_clean(const Bytes& full) {
  auto whole = read_capture(full);
  ASSERT_TRUE(whole.ok()) << whole.error().to_string();
  std::size_t clean = 0;
  for (std::size_t n = 0; n < full.size(); ++n) {
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = read_capture(cut);
    if (!r.ok()) {
      EXPECT_LE(r.error().offset, n) << "cut at " << n;
      continue;
    }
    ++clean;
    ASSERT_LE(r->records.size(), whole->records.size());
    for (std::size_t i = 0; i < r->records.size(); ++i) {
      EXPECT_EQ(r->records[i].bytes, whole->records[i].bytes) << "cut at " << n;
      EXPECT_EQ(r->records[i].comments, whole->records[i].comments) << "cut at " << n;
    }
  }
  EXPECT_GT(clean, 0u);  // the cuts at block boundaries
}

// Every byte replaced by a few values: whatever comes back, nothing is read out of bounds
// (run under ASan in CI) and errors point inside the file.
void expect_corruption_is_survived(const Bytes& full) {
  for (std::size_t i = 0; i < full.size(); ++i) {
    for (std::uint8_t v : {std::uint8_t{0x00}, std::uint8_t{0xff}, std::uint8_t{0x7f},
                           static_cast<std::uint8_t>(full[i] ^ 0x01)}) {
      Bytes bad = full;
      bad[i] = v;
      auto r = read_capture(bad);
      if (!r.ok()) {
        EXPECT_LE(r.error().offset, bad.size()) << "byte " << i;
        EXPECT_FALSE(r.error().message.empty());
      }
    }
  }
}

Bytes sample_pcapng() {
  Builder b(false);
  b.shb().idb("client/eth0", 9).epb(0, 10, frame_bytes(1), {"cause", "fate"}, 2);
  b.epb(0, 20, frame_bytes(2)).begin(4).u16(1).u16(6).bytes({10, 0, 0, 1, 'h', 0}).pad();
  b.u32(0).end().begin(3).u32(42).bytes(frame_bytes(3)).pad().end();
  return b.get();
}

TEST(CaptureReader, EveryTruncationOfAPcapngIsAnErrorOrACleanPrefix) {
  expect_truncations_are_clean(sample_pcapng());
}

TEST(CaptureReader, EveryTruncationOfAPcapIsAnErrorOrACleanPrefix) {
  Bytes b = classic_pcap(false, true, 1);
  const Bytes more = classic_pcap(false, true, 2);
  b.insert(b.end(), more.begin() + 24, more.end());
  expect_truncations_are_clean(b);
  expect_truncations_are_clean(classic_pcap(true, false, 3));
}

TEST(CaptureReader, SurvivesEveryCorruptedByte) {
  expect_corruption_is_survived(sample_pcapng());
  expect_corruption_is_survived(
      Builder(true).shb().idb("x", 0x8a, -5).epb(0, 9, frame_bytes(1)).get());
  expect_corruption_is_survived(classic_pcap(true, true, 1));
}

TEST(CaptureReader, RejectsTimestampsBeyondSixtyFourBitNanoseconds) {
  Builder b(false);
  b.shb().idb("x", 9).epb(0, ~std::uint64_t{0}, frame_bytes(1));
  auto r = read_capture(b.get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "timestamp does not fit 64-bit nanoseconds");
}

TEST(CaptureReader, ReportsAMissingFile) {
  auto r = read_capture_file("/nonexistent-dir/none.pcapng");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().to_string(),
            "offset 0: cannot open /nonexistent-dir/none.pcapng: No such file or directory");
}
