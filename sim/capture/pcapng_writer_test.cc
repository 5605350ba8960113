// pcapng bytes, checked one by one against draft-ietf-opsawg-pcapng: block lengths at both
// ends, 4-byte padding with zeros, option TLVs, opt_endofopt only after options.
#include "sim/capture/pcapng_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using synlab::sim::Duration;
using synlab::sim::NameRecord;
using synlab::sim::PacketDirection;
using synlab::sim::PcapngWriter;
using synlab::sim::Time;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::string temp_path(const char* name) {
  return ::testing::TempDir() + name + "_" + std::to_string(::getpid());
}

Bytes slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t le32(const Bytes& b, std::size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (std::uint32_t{b[at + 3]} << 24);
}

Bytes slice(const Bytes& b, std::size_t at, std::size_t n) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(at),
               b.begin() + static_cast<std::ptrdiff_t>(at + n));
}

// Writes a file with `fill`, returns its bytes.
template <class F>
Bytes written(const char* name, F&& fill,
              synlab::sim::PcapngSection section = {.application = "t"}) {
  const std::string path = temp_path(name);
  PcapngWriter w;
  EXPECT_TRUE(w.open(path, section).ok());
  fill(w);
  EXPECT_TRUE(w.close().ok());
  Bytes b = slurp(path);
  std::remove(path.c_str());
  return b;
}

// The 40-byte SHB that open(path, {.application = "t"}) writes.
const Bytes kShb = {
    0x0a, 0x0d, 0x0d, 0x0a,                          // block type
    40,   0,    0,    0,                             // total length
    0x4d, 0x3c, 0x2b, 0x1a,                          // byte-order magic, little-endian
    1,    0,    0,    0,                             // version 1.0
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // section length: -1
    4,    0,    1,    0,    't',  0,    0,    0,     // shb_userappl "t", padded
    0,    0,    0,    0,                             // opt_endofopt
    40,   0,    0,    0,                             // total length again
};

}  // namespace

TEST(PcapngWriter, WritesExactSectionInterfaceAndPacketBlocks) {
  const Bytes b = written("exact.pcapng", [](PcapngWriter& w) {
    EXPECT_EQ(w.add_interface({.name = "a0", .description = "d"}), 0u);
    const Bytes frame = {1, 2, 3, 4, 5};
    const std::string comments[] = {"hi"};
    w.write_packet({.interface = 0,
                    .at = Time::zero() + Duration::nanos(1'000'000'002),
                    .bytes = frame,
                    .direction = PacketDirection::kOutbound,
                    .comments = comments});
  });
  const Bytes idb = {
      1,  0, 0, 0,                  // block type: IDB
      48, 0, 0, 0,                  // total length
      1,  0, 0, 0,                  // LINKTYPE_ETHERNET, reserved
      0,  0, 0, 0,                  // snaplen 0: no limit
      2,  0, 2, 0, 'a', '0', 0, 0,  // if_name "a0"
      3,  0, 1, 0, 'd', 0,   0, 0,  // if_description "d"
      9,  0, 1, 0, 9,   0,   0, 0,  // if_tsresol = 9 (nanoseconds)
      0,  0, 0, 0,                  // opt_endofopt
      48, 0, 0, 0,
  };
  const Bytes epb = {
      6,    0,    0,    0,                     // block type: EPB
      60,   0,    0,    0,                     // total length
      0,    0,    0,    0,                     // interface 0
      0,    0,    0,    0,                     // timestamp, high 32 bits
      0x02, 0xca, 0x9a, 0x3b,                  // timestamp, low 32 bits: 1000000002 ns
      5,    0,    0,    0,                     // captured length
      5,    0,    0,    0,                     // original length
      1,    2,    3,    4,    5,   0,   0, 0,  // data padded with zeros to 8
      1,    0,    2,    0,    'h', 'i', 0, 0,  // opt_comment "hi"
      2,    0,    4,    0,    2,   0,   0, 0,  // epb_flags: outbound
      0,    0,    0,    0,                     // opt_endofopt
      60,   0,    0,    0,
  };
  Bytes want = kShb;
  want.insert(want.end(), idb.begin(), idb.end());
  want.insert(want.end(), epb.begin(), epb.end());
  EXPECT_EQ(b, want);
}

TEST(PcapngWriter, PadsDataOfEveryLengthToFourBytes) {
  for (std::size_t len = 0; len <= 8; ++len) {
    const Bytes b = written("pad.pcapng", [len](PcapngWriter& w) {
      w.add_interface({.name = "x"});
      const Bytes frame(len, 0xee);
      w.write_packet({.interface = 0, .bytes = frame});
    });
    const std::size_t epb_at = kShb.size() + le32(b, kShb.size() + 4);
    const std::uint32_t total = le32(b, epb_at + 4);
    // No options at all: no opt_endofopt either, just 28 bytes of header and the data.
    EXPECT_EQ(total, 32u + ((len + 3) & ~std::size_t{3})) << "len " << len;
    EXPECT_EQ(le32(b, epb_at + total - 4), total);
    EXPECT_EQ(b.size(), epb_at + total);
    for (std::size_t i = len; i % 4 != 0; ++i) EXPECT_EQ(b[epb_at + 28 + i], 0) << "pad byte";
  }
}

TEST(PcapngWriter, SplitsSixtyFourBitTimestampsHighThenLow) {
  const Bytes b = written("ts.pcapng", [](PcapngWriter& w) {
    w.add_interface({.name = "x"});
    // 0x0000_0001_0000_0002 ns
    w.write_packet({.interface = 0, .at = Time::from_ns((std::int64_t{1} << 32) + 2)});
  });
  const std::size_t epb_at = kShb.size() + le32(b, kShb.size() + 4);
  EXPECT_EQ(le32(b, epb_at + 12), 1u);
  EXPECT_EQ(le32(b, epb_at + 16), 2u);
}

TEST(PcapngWriter, WritesCaptureCommentMacAndPacketId) {
  const Bytes b = written(
      "shb.pcapng",
      [](PcapngWriter& w) {
        w.add_interface({.name = "n", .mac = std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 1}});
        w.write_packet({.interface = 0, .packet_id = 0x0102030405060708});
      },
      {.application = "t", .comment = "abcde"});
  // SHB: comment (12 bytes padded) comes before shb_userappl.
  EXPECT_EQ(le32(b, 4), 52u);
  EXPECT_EQ(slice(b, 24, 12), (Bytes{1, 0, 5, 0, 'a', 'b', 'c', 'd', 'e', 0, 0, 0}));
  // IDB: if_name "n" then if_MACaddr.
  EXPECT_EQ(slice(b, 52 + 24, 12), (Bytes{6, 0, 6, 0, 2, 0, 0, 0, 0, 1, 0, 0}));
  const std::size_t epb_at = 52 + le32(b, 52 + 4);
  EXPECT_EQ(slice(b, epb_at + 28, 16), (Bytes{5, 0, 8, 0, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0}));
}

TEST(PcapngWriter, WritesIpv4AndIpv6NameRecords) {
  const Bytes b = written("nrb.pcapng", [](PcapngWriter& w) {
    const std::uint8_t v4[] = {10, 0, 0, 1};
    std::uint8_t v6[16] = {0xfe, 0x80};
    v6[15] = 1;
    const NameRecord names[] = {*NameRecord::make(v4, "client"), *NameRecord::make(v6, "srv")};
    w.add_names(names);
  });
  const Bytes nrb = {
      4,  0, 0,  0,                                                          // block type: NRB
      56, 0, 0,  0,                                                          // total length
      1,  0, 11, 0, 10,   0,    0,   1, 'c', 'l', 'i', 'e', 'n', 't', 0, 0,  // ipv4, 4+6+1, padded
      2,  0, 20, 0, 0xfe, 0x80, 0,   0, 0,   0,   0,   0,   0,   0,   0, 0,
      0,  0, 0,  1, 's',  'r',  'v', 0,  // ipv6, 16+3+1
      0,  0, 0,  0,                      // nrb_record_end
      56, 0, 0,  0,
  };
  EXPECT_EQ(slice(b, kShb.size(), b.size() - kShb.size()), nrb);
}

TEST(PcapngWriter, RepairsInvalidUtf8AndCutsOverlongComments) {
  const std::string comments[] = {std::string("ok \xff\xc3(") + '\0' + "\xe2\x82\xac",
                                  std::string(70'000, 'x') + "\xe2\x82\xac"};
  const Bytes b = written("utf8.pcapng", [&](PcapngWriter& w) {
    w.add_interface({.name = "x"});
    w.write_packet({.interface = 0, .comments = comments});
  });
  const std::size_t opts = kShb.size() + le32(b, kShb.size() + 4) + 28;
  // Each bad byte, and the NUL a reader would stop at, becomes U+FFFD; the euro sign stays.
  const std::string want = "ok \xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xe2\x82\xac";
  ASSERT_EQ(b[opts + 2], want.size());
  EXPECT_EQ(std::string(b.begin() + static_cast<std::ptrdiff_t>(opts + 4),
                        b.begin() + static_cast<std::ptrdiff_t>(opts + 4 + want.size())),
            want);
  // The long one is cut at 65535 bytes, which falls between whole characters here.
  const std::size_t second = opts + 4 + ((want.size() + 3) & ~std::size_t{3});
  EXPECT_EQ(b[second] | (b[second + 1] << 8), 1);
  EXPECT_EQ(b[second + 2] | (b[second + 3] << 8), 65535);
}

TEST(PcapngWriter, RefusesAPacketForAnUndeclaredInterface) {
  const std::string path = temp_path("undeclared.pcapng");
  PcapngWriter w;
  ASSERT_TRUE(w.open(path).ok());
  w.write_packet({.interface = 3});
  auto r = w.close();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("interface 3 but only 0 declared"), std::string::npos) << r.error();
  std::remove(path.c_str());
}

TEST(PcapngWriter, ReportsAnUncreatableFileInWords) {
  PcapngWriter w;
  auto r = w.open("/nonexistent-dir/x.pcapng");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "cannot create /nonexistent-dir/x.pcapng: No such file or directory");
  w.write_packet({});  // ignored, no crash
  EXPECT_TRUE(w.close().ok());
}

TEST(PcapngWriter, DefaultApplicationNamesSynlabAndItsVersion) {
  EXPECT_TRUE(synlab::sim::synlab_application_name().starts_with("synlab "));
  const Bytes b = written("app.pcapng", [](PcapngWriter&) {}, {});
  const std::string app(synlab::sim::synlab_application_name());
  EXPECT_EQ(b[24], 4);  // shb_userappl
  EXPECT_EQ(std::string(b.begin() + 28, b.begin() + 28 + static_cast<std::ptrdiff_t>(app.size())),
            app);
}

TEST(PcapngWriter, BuffersUntilFlushThenEndsOnABlockBoundary) {
  const std::string path = temp_path("flush.pcapng");
  PcapngWriter w;
  ASSERT_TRUE(w.open(path, {.application = "t"}).ok());
  w.add_interface({.name = "x"});
  EXPECT_EQ(slurp(path).size(), 0u);
  ASSERT_TRUE(w.flush().ok());
  const Bytes b = slurp(path);
  EXPECT_EQ(b.size(), kShb.size() + le32(b, kShb.size() + 4));
  ASSERT_TRUE(w.close().ok());
  std::remove(path.c_str());
}
