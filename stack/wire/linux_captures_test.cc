// Every frame of every reference capture of Linux 6.18 (../shared/reference/linux-pcaps/) goes
// through every parser and back out through every emitter, and must come out byte for byte as
// Linux sent it.
//
// One exception, on purpose: TCP and UDP checksums. Those captures were taken on veth and lo,
// where the kernel leaves transport checksums to "hardware" offload, so the files hold
// placeholders (see the note at the top of linux-oracle.md). TCP and UDP are therefore parsed
// with ChecksumCheck::kSkip, our re-emitted checksum must verify, and where Linux did compute
// the checksum itself (its RSTs from tcp_v4_send_reset) ours must equal it. IPv4 header, ICMP
// and ICMPv6 checksums are real and are verified and compared like any other byte.
//
// The capture directory comes from SYNLAB_LINUX_PCAPS (set by meson); without it the test skips.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "stack/wire/arp.h"
#include "stack/wire/checksum.h"
#include "stack/wire/describe.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ip_protocol.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace synlab::wire {
namespace {

namespace fs = std::filesystem;

using Frame = std::vector<std::uint8_t>;

std::optional<fs::path> capture_dir() {
  const char* dir = std::getenv("SYNLAB_LINUX_PCAPS");
  if (dir == nullptr || !fs::is_directory(dir)) return std::nullopt;
  return fs::path(dir);
}

std::vector<fs::path> captures(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".pcap") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // a stable order for stable failure output
  return files;
}

std::vector<Frame> read_frames(const fs::path& file) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(file.c_str(), err);
  EXPECT_NE(p, nullptr) << file << ": " << err;
  if (p == nullptr) return {};
  EXPECT_EQ(pcap_datalink(p), DLT_EN10MB) << file;
  std::vector<Frame> frames;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &h, &data) == 1) {
    EXPECT_EQ(h->caplen, h->len) << file << ": frame " << frames.size() + 1 << " was cut short";
    frames.emplace_back(data, data + h->caplen);
  }
  pcap_close(p);
  return frames;
}

// Where two frames first differ, or nothing when they are equal.
std::string first_difference(const Frame& want, const Frame& got) {
  const auto [w, g] = std::mismatch(want.begin(), want.end(), got.begin(), got.end());
  if (w == want.end() && g == got.end()) return {};
  const auto at = w - want.begin();
  if (w == want.end() || g == got.end()) {
    return "lengths differ: " + std::to_string(want.size()) + " vs " + std::to_string(got.size());
  }
  return "first difference at byte " + std::to_string(at) + ": want " + std::to_string(*w) +
         ", got " + std::to_string(*g);
}

// What rebuilding one frame found.
struct Rebuilt {
  Frame bytes;                         // the frame as our emitters write it
  std::optional<std::size_t> l4_csum;  // offset of the TCP/UDP checksum field, if any
  bool l4_csum_verifies = false;       // our TCP/UDP checksum is right for the addresses
  bool original_l4_csum_real = false;  // Linux computed that checksum itself
};

// Transport over IP: appends the re-emitted upper layer to `out`. Returns false (after
// reporting through gtest) when something does not parse.
bool rebuild_transport(const IpAddr& src, const IpAddr& dst, std::uint8_t protocol, Bytes payload,
                       Frame& out, Rebuilt& r) {
  const std::size_t at = out.size();
  switch (protocol) {
    case kIpProtoTcp: {
      const auto tcp = TcpRepr::parse(payload, src, dst, ChecksumCheck::kSkip);
      if (!tcp.ok()) {
        ADD_FAILURE() << "tcp: " << to_string(tcp.error());
        return false;
      }
      EXPECT_TRUE(tcp->options.well_formed());
      out.resize(at + tcp->buffer_len());
      tcp->emit(MutBytes(out).subspan(at), src, dst);
      r.l4_csum = at + 16;
      r.l4_csum_verifies = pseudo_header_checksum_ok(src, dst, kIpProtoTcp, Bytes(out).subspan(at));
      r.original_l4_csum_real = pseudo_header_checksum_ok(src, dst, kIpProtoTcp, payload);
      return true;
    }
    case kIpProtoUdp: {
      const auto udp = UdpRepr::parse(payload, src, dst, ChecksumCheck::kSkip);
      if (!udp.ok()) {
        ADD_FAILURE() << "udp: " << to_string(udp.error());
        return false;
      }
      out.resize(at + udp->buffer_len());
      udp->emit(MutBytes(out).subspan(at), src, dst);
      r.l4_csum = at + 6;
      r.l4_csum_verifies = pseudo_header_checksum_ok(src, dst, kIpProtoUdp, Bytes(out).subspan(at));
      r.original_l4_csum_real = pseudo_header_checksum_ok(src, dst, kIpProtoUdp, payload);
      return true;
    }
    case kIpProtoIcmp: {
      const auto icmp = Icmpv4Repr::parse(payload, ChecksumCheck::kVerify);
      if (!icmp.ok()) {
        ADD_FAILURE() << "icmp: " << to_string(icmp.error());
        return false;
      }
      out.resize(at + icmp->buffer_len());
      icmp->emit(MutBytes(out).subspan(at));
      return true;
    }
    case kIpProtoIcmpv6: {
      const auto icmp = Icmpv6Repr::parse(payload, src, dst, ChecksumCheck::kVerify);
      if (!icmp.ok()) {
        ADD_FAILURE() << "icmpv6: " << to_string(icmp.error());
        return false;
      }
      out.resize(at + icmp->buffer_len());
      icmp->emit(MutBytes(out).subspan(at), src, dst);
      return true;
    }
    default:
      ADD_FAILURE() << "unexpected IP protocol " << int{protocol};
      return false;
  }
}

std::optional<Rebuilt> rebuild(const Frame& frame) {
  Rebuilt r;
  const auto eth = EthernetRepr::parse(frame);
  if (!eth.ok()) {
    ADD_FAILURE() << "ethernet: " << to_string(eth.error());
    return std::nullopt;
  }
  Frame& out = r.bytes;
  out.resize(EthernetRepr::buffer_len());
  eth->emit(out);
  const Bytes payload = Bytes(frame).subspan(kEthernetHeaderLen);

  switch (eth->ethertype) {
    case kEtherTypeArp: {
      const auto arp = ArpRepr::parse(payload);
      if (!arp.ok()) {
        ADD_FAILURE() << "arp: " << to_string(arp.error());
        return std::nullopt;
      }
      out.resize(out.size() + ArpRepr::buffer_len());
      arp->emit(MutBytes(out).last(ArpRepr::buffer_len()));
      return r;
    }
    case kEtherTypeIpv4: {
      const auto ip = Ipv4Repr::parse(payload, ChecksumCheck::kVerify);
      if (!ip.ok()) {
        ADD_FAILURE() << "ipv4: " << to_string(ip.error());
        return std::nullopt;
      }
      EXPECT_EQ(ip->header_len, kIpv4HeaderLen) << "Linux sent IPv4 options";
      out.resize(out.size() + Ipv4Repr::buffer_len());
      ip->repr.emit(MutBytes(out).last(Ipv4Repr::buffer_len()));
      if (!rebuild_transport(ip->repr.src, ip->repr.dst, ip->repr.protocol, ip->payload, out, r)) {
        return std::nullopt;
      }
      return r;
    }
    case kEtherTypeIpv6: {
      const auto ip = Ipv6Repr::parse(payload);
      if (!ip.ok()) {
        ADD_FAILURE() << "ipv6: " << to_string(ip.error());
        return std::nullopt;
      }
      EXPECT_EQ(ip->header_len, kIpv6HeaderLen) << "Linux sent IPv6 extension headers";
      out.resize(out.size() + Ipv6Repr::buffer_len());
      ip->repr.emit(MutBytes(out).last(Ipv6Repr::buffer_len()));
      if (!rebuild_transport(ip->repr.src, ip->repr.dst, ip->repr.next_header, ip->payload, out,
                             r)) {
        return std::nullopt;
      }
      return r;
    }
    default:
      ADD_FAILURE() << "unexpected ethertype " << eth->ethertype;
      return std::nullopt;
  }
}

TEST(LinuxCaptures, EveryFrameReEmitsByteForByte) {
  const auto dir = capture_dir();
  if (!dir) GTEST_SKIP() << "SYNLAB_LINUX_PCAPS is not set to a directory";
  const std::vector<fs::path> files = captures(*dir);
  ASSERT_FALSE(files.empty()) << *dir;

  int frames_checked = 0;
  int real_l4_checksums = 0;
  for (const fs::path& file : files) {
    const std::vector<Frame> frames = read_frames(file);
    EXPECT_FALSE(frames.empty()) << file;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const Frame& frame = frames[i];
      SCOPED_TRACE(file.filename().string() + " frame " + std::to_string(i + 1) + ": " +
                   describe_frame(frame, ChecksumCheck::kSkip));
      const auto r = rebuild(frame);
      if (!r) continue;
      ++frames_checked;

      // Compare everything but the TCP/UDP checksum, which must instead verify.
      Frame want = frame;
      if (r->l4_csum) {
        EXPECT_TRUE(r->l4_csum_verifies);
        if (r->original_l4_csum_real) {
          ++real_l4_checksums;
        } else {
          std::copy_n(r->bytes.begin() + *r->l4_csum, 2, want.begin() + *r->l4_csum);
        }
      }
      EXPECT_EQ(first_difference(want, r->bytes), "");
    }
  }
  // 15 captures, 256 frames when this was written; fewer means frames were silently lost.
  EXPECT_GE(frames_checked, 256);
  // Linux fills in the checksum of the RSTs it sends without a socket (tcp_v4_send_reset);
  // those must have matched ours byte for byte above.
  EXPECT_GT(real_l4_checksums, 0);
}

TEST(LinuxCaptures, EveryFrameHasADescription) {
  const auto dir = capture_dir();
  if (!dir) GTEST_SKIP() << "SYNLAB_LINUX_PCAPS is not set to a directory";
  for (const fs::path& file : captures(*dir)) {
    const std::vector<Frame> frames = read_frames(file);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const std::string d = describe_frame(frames[i], ChecksumCheck::kSkip);
      SCOPED_TRACE(file.filename().string() + " frame " + std::to_string(i + 1) + ": " + d);
      EXPECT_FALSE(d.starts_with("malformed")) << d;
      EXPECT_FALSE(d.starts_with("unsupported")) << d;
      EXPECT_FALSE(d.starts_with("ethertype")) << d;
      EXPECT_EQ(d.find('\n'), std::string::npos);
      // With verification on, only the offloaded TCP/UDP checksums may be reported bad.
      const std::string v = describe_frame(frames[i], ChecksumCheck::kVerify);
      EXPECT_EQ(v.find("[bad ip checksum]"), std::string::npos) << v;
      EXPECT_EQ(v.find("[bad icmp"), std::string::npos) << v;
    }
  }
}

// A few lines pinned exactly, one per kind of frame in the captures.
TEST(LinuxCaptures, DescriptionsOfKnownFrames) {
  const auto dir = capture_dir();
  if (!dir) GTEST_SKIP() << "SYNLAB_LINUX_PCAPS is not set to a directory";
  const auto line = [&](const char* file, std::size_t frame_no) {
    const std::vector<Frame> frames = read_frames(*dir / file);
    return frame_no <= frames.size() ? describe_frame(frames[frame_no - 1], ChecksumCheck::kSkip)
                                     : std::string("(no such frame)");
  };
  EXPECT_EQ(line("tcp_nonblock_delay.pcap", 1), "ARP who-has 10.0.0.2 tell 10.0.0.1");
  EXPECT_EQ(line("tcp_nonblock_delay.pcap", 3),
            "10.0.0.1:35520 > 10.0.0.2:5000 S 344435096:344435096(0) win 64240 "
            "<mss 1460,sackOK,TS val 2900438963 ecr 0,nop,wscale 10>");
  EXPECT_EQ(line("tcp_nonblock_delay.pcap", 4),
            "10.0.0.2:5000 > 10.0.0.1:35520 S. 859070824:859070824(0) ack 344435097 win 65160 "
            "<mss 1460,sackOK,TS val 3210983107 ecr 2900438963,nop,wscale 10>");
  EXPECT_EQ(line("tcp_nonblock_delay.pcap", 5),
            "10.0.0.1:35520 > 10.0.0.2:5000 . 344435097:344435097(0) ack 859070825 win 63 "
            "<nop,nop,TS val 2900439013 ecr 3210983107>");
  EXPECT_EQ(line("tcp_refused_veth.pcap", 4),
            "10.0.0.2:5001 > 10.0.0.1:48678 R. 0:0(0) ack 1645881652 win 0");
  EXPECT_EQ(line("ipv6.pcap", 14),
            "[fd00::1]:50904 > [fd00::2]:8000 S 156439075:156439075(0) win 64800 "
            "<mss 1440,sackOK,TS val 2950012425 ecr 0,nop,wscale 10>");
  EXPECT_EQ(line("udp.pcap", 1), "127.0.0.3:9002 > 127.0.0.1:9000 udp (1)");
}

}  // namespace
}  // namespace synlab::wire
