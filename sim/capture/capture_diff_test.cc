// first_difference: the message a golden-capture mismatch shows.
#include "sim/capture/capture_diff.h"

#include <gtest/gtest.h>

using synlab::sim::CaptureFile;
using synlab::sim::CaptureRecord;
using synlab::sim::first_difference;

namespace {

CaptureFile two_frames() {
  CaptureFile f;
  f.interfaces.push_back({.name = "client/eth0"});
  f.interfaces.push_back({.name = "server/eth0"});
  f.records.push_back({.timestamp_ns = 1'000'000'000,
                       .interface = 0,
                       .bytes = {1, 2, 3},
                       .original_length = 3,
                       .comments = {"SYN"}});
  f.records.push_back({.timestamp_ns = 1'010'000'000,
                       .interface = 1,
                       .bytes = {4, 5, 6},
                       .original_length = 3,
                       .comments = {"SYN-ACK"}});
  return f;
}

}  // namespace

TEST(CaptureDiff, SameRecordsHaveNoDifference) {
  EXPECT_EQ(first_difference(two_frames(), two_frames()), std::nullopt);
}

TEST(CaptureDiff, NamesTheFirstDifferingFrameAndField) {
  CaptureFile a = two_frames();
  a.records[1].bytes[2] = 7;
  EXPECT_EQ(first_difference(two_frames(), a),
            "frame 2: bytes differ at offset 2 (expected 0x06, actual 0x07)");

  a = two_frames();
  a.records[0].timestamp_ns += 5;
  EXPECT_EQ(first_difference(two_frames(), a),
            "frame 1: time expected 1.000000, actual 1.000000005");

  a = two_frames();
  a.records[1].interface = 0;
  EXPECT_EQ(first_difference(two_frames(), a),
            "frame 2: interface expected \"server/eth0\", actual \"client/eth0\"");

  a = two_frames();
  a.records[1].comments[0] = "RST";
  EXPECT_EQ(first_difference(two_frames(), a),
            "frame 2: comment 1 expected \"SYN-ACK\", actual \"RST\"");
  EXPECT_EQ(first_difference(two_frames(), a, {.comments = false}), std::nullopt);

  a = two_frames();
  a.records[0].bytes.push_back(9);
  EXPECT_EQ(first_difference(two_frames(), a), "frame 1: length expected 3 bytes, actual 4");
}

TEST(CaptureDiff, ReportsMissingAndExtraFrames) {
  CaptureFile shorter = two_frames();
  shorter.records.pop_back();
  EXPECT_EQ(first_difference(two_frames(), shorter),
            "frame 2: missing (expected 2 frames, actual 1)");
  EXPECT_EQ(first_difference(shorter, two_frames()),
            "frame 2: not expected (expected 1 frame, actual 2)");
}
