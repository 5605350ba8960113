// Why a parse failed. Every wire parser returns one of these instead of a bare failure, so a
// dropped frame can be counted and traced with its reason (STYLE.md #7).
#pragma once

#include <cstdint>
#include <string_view>

namespace synlab::wire {

enum class WireError : std::uint8_t {
  kTruncated,        // fewer bytes than the header (or a length field) requires
  kBadLength,        // a length field is impossible (smaller than the header, beyond the buffer)
  kBadVersion,       // IP version nibble does not match
  kBadChecksum,      // header or pseudo-header checksum does not verify
  kBadOption,        // an option's length runs past its area or is malformed
  kBadFlags,         // an impossible flag combination
  kUnsupported,      // well-formed but something this stack does not speak
  kBadAddress,       // e.g. a multicast source, port 0
  kFragmented,       // an IP fragment (this stack does not reassemble)
};

constexpr std::string_view to_string(WireError e) {
  switch (e) {
    case WireError::kTruncated: return "truncated";
    case WireError::kBadLength: return "bad length";
    case WireError::kBadVersion: return "bad version";
    case WireError::kBadChecksum: return "bad checksum";
    case WireError::kBadOption: return "bad option";
    case WireError::kBadFlags: return "bad flags";
    case WireError::kUnsupported: return "unsupported";
    case WireError::kBadAddress: return "bad address";
    case WireError::kFragmented: return "fragmented";
  }
  return "?";
}

}  // namespace synlab::wire
