// The pcapng file format: block types, option codes and the few values shared by the writer
// (pcapng_writer.h), the reader (capture_reader.h) and the capture observer (capture.h).
//
// Source: "PCAP Now Generic (pcapng) Capture File Format", draft-ietf-opsawg-pcapng
// (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/). Section numbers below are the
// draft's. Classic pcap is draft-ietf-opsawg-pcap; link types are draft-ietf-opsawg-pcaplinktype.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace synlab::sim {

// epb_flags bits 0-1 (§4.3.1). Wireshark shows it as frame.packet_flags_direction.
enum class PacketDirection : std::uint8_t { kUnknown = 0, kInbound = 1, kOutbound = 2 };

// One address-to-name association of a Name Resolution Block (§4.5).
struct NameRecord {
  std::array<std::uint8_t, 16> address{};  // network order; IPv4 uses the first 4 bytes
  std::uint8_t address_size = 4;           // 4 (nrb_record_ipv4) or 16 (nrb_record_ipv6)
  std::string name;

  // From 4 or 16 address bytes; nothing for any other size.
  static std::optional<NameRecord> make(std::span<const std::uint8_t> ip, std::string name) {
    if (ip.size() != 4 && ip.size() != 16) return std::nullopt;
    NameRecord r;
    for (std::size_t i = 0; i < ip.size(); ++i) r.address[i] = ip[i];
    r.address_size = static_cast<std::uint8_t>(ip.size());
    r.name = std::move(name);
    return r;
  }
  std::span<const std::uint8_t> ip() const { return {address.data(), address_size}; }
  bool operator==(const NameRecord&) const = default;
};

namespace pcapng {

// Block types (§10.1).
inline constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;         // §4.1, palindromic
inline constexpr std::uint32_t kInterfaceDescription = 0x00000001;  // §4.2
inline constexpr std::uint32_t kObsoletePacket = 0x00000002;        // Appendix A
inline constexpr std::uint32_t kSimplePacket = 0x00000003;          // §4.4
inline constexpr std::uint32_t kNameResolution = 0x00000004;        // §4.5
inline constexpr std::uint32_t kEnhancedPacket = 0x00000006;        // §4.3

inline constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;  // §4.1
inline constexpr std::uint16_t kMajorVersion = 1;
inline constexpr std::uint16_t kMinorVersion = 0;

// Every block is type, total length, body, total length again (§3.1).
inline constexpr std::uint32_t kBlockOverhead = 12;

// Options valid in any block (§3.5).
inline constexpr std::uint16_t kOptEndOfOpt = 0;
inline constexpr std::uint16_t kOptComment = 1;
// Section Header Block options (§4.1).
inline constexpr std::uint16_t kShbUserAppl = 4;
// Interface Description Block options (§4.2).
inline constexpr std::uint16_t kIfName = 2;
inline constexpr std::uint16_t kIfDescription = 3;
inline constexpr std::uint16_t kIfMacAddr = 6;
inline constexpr std::uint16_t kIfTsresol = 9;
inline constexpr std::uint16_t kIfTsoffset = 14;
// Enhanced Packet Block options (§4.3).
inline constexpr std::uint16_t kEpbFlags = 2;
inline constexpr std::uint16_t kEpbPacketId = 5;
// Name Resolution Block record types (§4.5).
inline constexpr std::uint16_t kNrbRecordEnd = 0;
inline constexpr std::uint16_t kNrbRecordIpv4 = 1;
inline constexpr std::uint16_t kNrbRecordIpv6 = 2;

// if_tsresol = 9: timestamps count nanoseconds (10^-9 s), the unit of sim::Time.
inline constexpr std::uint8_t kTsresolNanoseconds = 9;
// Without if_tsresol, a reader assumes microseconds (§4.2).
inline constexpr std::uint8_t kTsresolDefault = 6;

// LINKTYPE_ETHERNET (draft-ietf-opsawg-pcaplinktype): every simulated frame is Ethernet.
inline constexpr std::uint16_t kLinkTypeEthernet = 1;

constexpr std::uint32_t pad4(std::uint32_t n) {
  return (n + 3u) & ~3u;
}

}  // namespace pcapng
}  // namespace synlab::sim
