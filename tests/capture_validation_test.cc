// Captures written by sim/capture, judged by Wireshark's own tools: tests/check_capture.py
// (capinfos + tshark with checksum validation) over a pcapng and a pcap of a scripted world
// with real checksums, the validator catching what it must, and the pcapng metadata
// (application, capture comment, interface names, direction, host names) as tshark shows it.
//
// meson passes TSHARK, CAPINFOS, PYTHON and CHECK_CAPTURE; without tshark the tests skip.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/capture/pcapng_writer.h"
#include "tests/capture_scenario.h"

using synlab::sim::CaptureFormat;
using synlab::testing::CaptureScenario;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

struct Output {
  int status = -1;
  std::string text;
};

// Runs a shell command with TZ=UTC and a private Wireshark profile; stdout only (tshark
// speaks on stderr when run as root).
Output run(const std::string& command) {
  struct Profile {
    Profile() {
      char tmpl[] = "/tmp/synlab_ws_XXXXXX";
      const char* made = ::mkdtemp(tmpl);
      dir = made ? made : "/nonexistent";
    }
    ~Profile() { ::rmdir(dir.c_str()); }
    std::string dir;
  };
  static const Profile profile;
  const std::string full =
      "TZ=UTC WIRESHARK_CONFIG_DIR='" + profile.dir + "' " + command + " 2>/dev/null";
  Output out;
  std::FILE* p = ::popen(full.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  const int st = ::pclose(p);
  out.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

class CaptureValidation : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env("TSHARK").empty() || env("CAPINFOS").empty()) GTEST_SKIP() << "tshark is not installed";
    dir_ = ::testing::TempDir() + "capture_validation_" + std::to_string(::getpid());
    ASSERT_EQ(std::system(("mkdir -p '" + dir_ + "'").c_str()), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) (void)std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  std::string write(CaptureFormat format, const char* name, bool bad_checksum = false) {
    const std::string path = dir_ + "/" + name;
    CaptureScenario s({.format = format, .path = path, .bad_udp_checksum = bad_checksum});
    auto r = s.run();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
    return path;
  }

  Output check(const std::string& path, const std::string& args) {
    return run("'" + env("PYTHON") + "' '" + env("CHECK_CAPTURE") + "' '" + path + "' " + args);
  }

  Output tshark(const std::string& path, const std::string& args) {
    return run("'" + env("TSHARK") + "' -r '" + path + "' " + args);
  }

  std::string dir_;
};

}  // namespace

TEST_F(CaptureValidation, PcapngPassesEveryCheck) {
  const std::string path = write(CaptureFormat::kPcapng, "ok.pcapng");
  const Output o = check(path,
                         "--format pcapng --packets 7 --require-comments "
                         "--expect-flags SYN SYN SYN+ACK ACK");
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_EQ(o.text.find("not ok"), std::string::npos) << o.text;
}

TEST_F(CaptureValidation, NanosecondPcapPassesEveryCheck) {
  const std::string path = write(CaptureFormat::kPcap, "ok.pcap");
  const Output o = check(path, "--format nsecpcap --packets 7 --expect-flags SYN SYN SYN+ACK ACK");
  EXPECT_EQ(o.status, 0) << o.text;
}

TEST_F(CaptureValidation, TheValidatorNamesTheFrameWithABadChecksum) {
  const std::string path = write(CaptureFormat::kPcapng, "bad.pcapng", true);
  const Output o = check(path, "--packets 7");
  EXPECT_EQ(o.status, 1) << o.text;
  EXPECT_NE(o.text.find("not ok 5 - no bad checksums, malformed packets or expert errors\n"
                        "# frame 7: bad UDP checksum; expert error: Bad checksum [should be "),
            std::string::npos)
      << o.text;
}

TEST_F(CaptureValidation, TheValidatorNamesFramesWithoutComments) {
  const std::string path = write(CaptureFormat::kPcap, "bare.pcap");
  const Output o = check(path, "--require-comments --expect-flags SYN SYN+ACK ACK");
  EXPECT_EQ(o.status, 1) << o.text;
  EXPECT_NE(o.text.find("# frames without a comment: 1, 2, 3, 4, 5, 6, 7"), std::string::npos)
      << o.text;
  EXPECT_NE(o.text.find("# frame 4: expected SYN+ACK, got SYN"), std::string::npos) << o.text;
}

TEST_F(CaptureValidation, CapinfosShowsTheApplicationAndCaptureComment) {
  const std::string path = write(CaptureFormat::kPcapng, "meta.pcapng");
  const Output o = run("'" + env("CAPINFOS") + "' '" + path + "'");
  ASSERT_EQ(o.status, 0) << o.text;
  EXPECT_NE(o.text.find("Capture application: " +
                        std::string(synlab::sim::synlab_application_name()) + "\n"),
            std::string::npos)
      << o.text;
  EXPECT_NE(o.text.find("Capture comment:     capture_scenario.h: ARP, handshake, UDP\n"),
            std::string::npos)
      << o.text;
  EXPECT_NE(o.text.find("File timestamp precision:  nanoseconds (9)"), std::string::npos) << o.text;
}

TEST_F(CaptureValidation, TsharkShowsInterfacesDirectionCommentsAndHostNames) {
  const std::string path = write(CaptureFormat::kPcapng, "fields.pcapng");
  // -N n: names from the capture's Name Resolution Block, no DNS.
  const Output o = tshark(path,
                          "-N n -o nameres.use_external_name_resolver:FALSE -Y tcp -T fields "
                          "-E 'aggregator=|' -e frame.number -e frame.interface_name "
                          "-e frame.interface_description -e frame.packet_flags_direction "
                          "-e ip.src_host -e frame.comment -e frame.time_epoch");
  ASSERT_EQ(o.status, 0) << o.text;
  EXPECT_EQ(
      o.text,
      "3\tclient/eth0\tclient/eth0 on link lan\t0x00000002\tclient\tconnect(): SYN to 10.0.0.2:80|"
      "dropped by fault rule: scenario drops the first SYN\t0.010000000\n"
      "4\tclient/eth0\tclient/eth0 on link lan\t0x00000002\tclient\tSYN retransmission 1, RTO 1 s"
      "\t1.010000000\n"
      "5\tserver/eth0\tserver/eth0 on link lan\t0x00000002\tserver\tSYN in LISTEN -> SYN-RECEIVED: "
      "SYN-ACK\t1.015000000\n"
      "6\tclient/eth0\tclient/eth0 on link lan\t0x00000002\tclient\tSYN-ACK in SYN-SENT -> "
      "ESTABLISHED: ACK\t1.020000000\n");
}

TEST_F(CaptureValidation, TsharkReportsTheReceiversDropAsAComment) {
  const std::string path = write(CaptureFormat::kPcapng, "expert.pcapng");
  const Output o = tshark(path, "-n -q -z expert,comment");
  ASSERT_EQ(o.status, 0) << o.text;
  EXPECT_NE(o.text.find("dropped by server: no socket on UDP port 9"), std::string::npos) << o.text;
}
