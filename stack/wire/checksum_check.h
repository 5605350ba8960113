// Whether a parser verifies a checksum it finds. Shared by every wire parser that has one
// (IPv4 header, TCP, UDP, ICMPv4, ICMPv6).
//
// kSkip exists for frames whose checksums were never filled in: captures taken on the sending
// host where the kernel left TCP/UDP checksums to the NIC (checksum offload), and tests that
// build bytes by hand. The stack itself always verifies.
#pragma once

#include <cstdint>

namespace synlab::wire {

enum class ChecksumCheck : std::uint8_t { kVerify, kSkip };

}  // namespace synlab::wire
