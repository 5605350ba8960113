// Classic pcap through libpcap: the file header, nanosecond timestamps, and that libpcap
// itself reads the file back with the same instants.
#include "sim/capture/pcap_writer.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "sim/capture/test_frames.h"

using synlab::sim::Duration;
using synlab::sim::PcapWriter;
using synlab::sim::Time;
using synlab::sim::testing::arp_who_has;

namespace {

std::string temp_path(const char* name) {
  return ::testing::TempDir() + name + "_" + std::to_string(::getpid());
}

std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t le32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (std::uint32_t{b[at + 3]} << 24);
}

}  // namespace

TEST(PcapWriter, WritesNanosecondEthernetHeaderAndRecords) {
  const std::string path = temp_path("pcap_writer.pcap");
  PcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  const auto f1 = arp_who_has(synlab::sim::MacAddr::local(1), 1, 2);
  w.write(Time::zero() + Duration::nanos(1'000'000'007), f1.bytes());
  w.write(Time::zero() + Duration::seconds(3), f1.bytes());
  EXPECT_EQ(w.records(), 2u);
  ASSERT_TRUE(w.close().ok());

  const auto b = slurp(path);
  ASSERT_EQ(b.size(), 24u + 2 * (16 + 42));
  // Nanosecond magic, on disk as 4d 3c b2 a1 (ecosystem.md §1.2); version 2.4.
  EXPECT_EQ(le32(b, 0), 0xa1b23c4du);
  EXPECT_EQ(b[4], 2);
  EXPECT_EQ(b[6], 4);
  EXPECT_EQ(le32(b, 16), PcapWriter::kSnaplen);
  EXPECT_EQ(le32(b, 20), 1u);  // LINKTYPE_ETHERNET
  // First record: 1 s + 7 ns, the nanoseconds verbatim in the second field.
  EXPECT_EQ(le32(b, 24), 1u);
  EXPECT_EQ(le32(b, 28), 7u);
  EXPECT_EQ(le32(b, 32), 42u);
  EXPECT_EQ(le32(b, 36), 42u);
  EXPECT_EQ(std::vector<std::uint8_t>(b.begin() + 40, b.begin() + 82),
            std::vector<std::uint8_t>(f1.bytes().begin(), f1.bytes().end()));
  EXPECT_EQ(le32(b, 82), 3u);
  EXPECT_EQ(le32(b, 86), 0u);
  std::remove(path.c_str());
}

TEST(PcapWriter, LibpcapReadsBackTheSameInstants) {
  const std::string path = temp_path("pcap_writer_rt.pcap");
  PcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  const auto f = arp_who_has(synlab::sim::MacAddr::local(1), 1, 2);
  w.write(Time::zero() + Duration::nanos(123'456'789), f.bytes());
  ASSERT_TRUE(w.close().ok());

  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  ASSERT_NE(p, nullptr) << err;
  EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  ASSERT_EQ(pcap_next_ex(p, &h, &data), 1);
  EXPECT_EQ(h->ts.tv_sec, 0);
  EXPECT_EQ(h->ts.tv_usec, 123'456'789);
  EXPECT_EQ(h->caplen, 42u);
  EXPECT_EQ(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
  pcap_close(p);
  std::remove(path.c_str());
}

TEST(PcapWriter, CutsFramesLongerThanTheSnaplenButKeepsTheirLength) {
  const std::string path = temp_path("pcap_writer_big.pcap");
  PcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  std::vector<std::uint8_t> big(PcapWriter::kSnaplen + 10, 0xab);
  w.write(Time::zero(), big);
  ASSERT_TRUE(w.close().ok());
  const auto b = slurp(path);
  EXPECT_EQ(le32(b, 32), PcapWriter::kSnaplen);
  EXPECT_EQ(le32(b, 36), PcapWriter::kSnaplen + 10);
  std::remove(path.c_str());
}

TEST(PcapWriter, ReportsAnUncreatableFileInWords) {
  PcapWriter w;
  auto r = w.open("/nonexistent-dir/x.pcap");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "cannot create /nonexistent-dir/x.pcap: No such file or directory");
  EXPECT_FALSE(w.is_open());
  w.write(Time::zero(), std::vector<std::uint8_t>{1, 2, 3});  // ignored, no crash
  EXPECT_TRUE(w.close().ok());
}

TEST(PcapWriter, FlushLeavesAValidPrefixOnDisk) {
  const std::string path = temp_path("pcap_writer_flush.pcap");
  PcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  const auto f = arp_who_has(synlab::sim::MacAddr::local(1), 1, 2);
  w.write(Time::zero(), f.bytes());
  // Still in the stdio buffer: nothing, not even the header, has been written.
  EXPECT_EQ(slurp(path).size(), 0u);
  ASSERT_TRUE(w.flush().ok());
  EXPECT_EQ(slurp(path).size(), 24u + 16 + 42);
  ASSERT_TRUE(w.close().ok());
  std::remove(path.c_str());
}

TEST(PcapWriter, MovesOwnership) {
  const std::string path = temp_path("pcap_writer_move.pcap");
  PcapWriter a;
  ASSERT_TRUE(a.open(path).ok());
  PcapWriter b = std::move(a);
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): moved-from state is defined
  EXPECT_TRUE(b.is_open());
  b.write(Time::zero(), std::vector<std::uint8_t>(60, 0));
  ASSERT_TRUE(b.close().ok());
  EXPECT_EQ(slurp(path).size(), 24u + 16 + 60);
  std::remove(path.c_str());
}
