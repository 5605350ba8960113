// Field by field, in the order a person would check them: time, interface, bytes, length,
// then comments.

#include "sim/capture/capture_diff.h"

#include <algorithm>
#include <cstdio>

#include "sim/time.h"

namespace synlab::sim {
namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

std::string hex_byte(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

std::string frames(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " frame" : " frames");
}

std::string interface_name(const CaptureFile& f, std::uint32_t i) {
  return i < f.interfaces.size() ? f.interfaces[i].name : "#" + std::to_string(i);
}

std::optional<std::string> record_difference(const CaptureFile& ef, const CaptureRecord& e,
                                             const CaptureFile& af, const CaptureRecord& a,
                                             const CaptureDiffOptions& o) {
  if (o.timestamps && e.timestamp_ns != a.timestamp_ns) {
    return "time expected " + format_seconds(Duration::nanos(e.timestamp_ns)) + ", actual " +
           format_seconds(Duration::nanos(a.timestamp_ns));
  }
  if (o.interfaces) {
    const std::string en = interface_name(ef, e.interface);
    const std::string an = interface_name(af, a.interface);
    if (en != an) return "interface expected " + quoted(en) + ", actual " + quoted(an);
  }
  const std::size_t n = std::min(e.bytes.size(), a.bytes.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (e.bytes[i] != a.bytes[i]) {
      return "bytes differ at offset " + std::to_string(i) + " (expected " + hex_byte(e.bytes[i]) +
             ", actual " + hex_byte(a.bytes[i]) + ")";
    }
  }
  if (e.bytes.size() != a.bytes.size()) {
    return "length expected " + std::to_string(e.bytes.size()) + " bytes, actual " +
           std::to_string(a.bytes.size());
  }
  if (e.original_length != a.original_length) {
    return "original length expected " + std::to_string(e.original_length) + ", actual " +
           std::to_string(a.original_length);
  }
  if (o.comments) {
    const std::size_t c = std::min(e.comments.size(), a.comments.size());
    for (std::size_t i = 0; i < c; ++i) {
      if (e.comments[i] != a.comments[i]) {
        return "comment " + std::to_string(i + 1) + " expected " + quoted(e.comments[i]) +
               ", actual " + quoted(a.comments[i]);
      }
    }
    if (e.comments.size() > c) return "missing comment " + quoted(e.comments[c]);
    if (a.comments.size() > c) return "unexpected comment " + quoted(a.comments[c]);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> first_difference(const CaptureFile& expected, const CaptureFile& actual,
                                            const CaptureDiffOptions& options) {
  const std::size_t n = std::min(expected.records.size(), actual.records.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (auto d =
            record_difference(expected, expected.records[i], actual, actual.records[i], options)) {
      return "frame " + std::to_string(i + 1) + ": " + *d;
    }
  }
  if (expected.records.size() != actual.records.size()) {
    return "frame " + std::to_string(n + 1) + ": " +
           (expected.records.size() > n ? "missing" : "not expected") + " (expected " +
           frames(expected.records.size()) + ", actual " + std::to_string(actual.records.size()) +
           ")";
  }
  return std::nullopt;
}

}  // namespace synlab::sim
