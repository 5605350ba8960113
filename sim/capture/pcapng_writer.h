// pcapng files: a small writer of our own.
//
// Why hand-written: libpcap 1.10 reads pcapng but cannot write it (no pcapng writer, no
// comment API: ecosystem.md §1.3), and libwiretap, Wireshark's writer, is GPL-2.0-or-later
// and would make the simulator GPL. The format is simple enough that a ~300-line writer
// writes exact, deterministic bytes. Specification: "PCAP Now Generic (pcapng) Capture File
// Format", draft-ietf-opsawg-pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/);
// the § numbers here and in pcapng_format.h are its sections.
//
// What it writes, always little-endian (the same bytes on every host):
//   SHB  version 1.0, section length -1, shb_userappl "synlab <version>", optional opt_comment
//   IDB  one per interface: LINKTYPE_ETHERNET, snaplen 0 (no limit), if_name,
//        if_description, if_MACaddr (when known), if_tsresol = 9 (nanoseconds)
//   NRB  IPv4 and IPv6 name records (Wireshark uses them with name resolution on)
//   EPB  64-bit nanosecond timestamp, any number of opt_comment, epb_flags (direction),
//        epb_packetid (the simulator's frame id)
// Blocks may come in any order the caller likes, as long as an interface is declared before
// a packet uses it (§4.2); NRBs may appear anywhere (§4.5). No shb_os / shb_hardware: they
// would describe the machine and break byte-identical output.
//
// Strings must be valid UTF-8 (§3.6.3): invalid bytes become U+FFFD, and a string longer
// than an option can hold (65535 bytes) is cut at a character boundary.
//
// Speed: blocks are encoded straight into a 1 MiB buffer that goes to the kernel with one
// write(2) when full or on flush(). After flush() the file ends on a block boundary, so it
// is a valid capture even if the process dies later. Errors never throw: open/flush/close
// return a message; a write error is kept and reported by the next flush() or close().
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/capture/pcapng_format.h"
#include "sim/result.h"
#include "sim/time.h"

namespace synlab::sim {

// "synlab <version>", the default shb_userappl.
std::string_view synlab_application_name();

struct PcapngSection {
  std::string application;  // shb_userappl; empty: synlab_application_name()
  std::string comment;      // opt_comment on the SHB (capinfos "Capture comment"); empty: none
};

struct PcapngInterface {
  std::string name;                                // if_name, e.g. "client/eth0"
  std::string description;                         // if_description; empty: none
  std::optional<std::array<std::uint8_t, 6>> mac;  // if_MACaddr
  std::uint16_t link_type = pcapng::kLinkTypeEthernet;
};

struct PcapngPacket {
  std::uint32_t interface = 0;  // as returned by add_interface
  Time at;                      // written as nanoseconds since the epoch (virtual time zero)
  std::span<const std::uint8_t> bytes;
  PacketDirection direction = PacketDirection::kUnknown;  // kUnknown: no epb_flags
  std::span<const std::string> comments;                  // one opt_comment each, in order
  std::uint64_t packet_id = 0;                            // epb_packetid; 0: none
};

class PcapngWriter {
 public:
  static constexpr std::size_t kBufferSize = 1 << 20;

  PcapngWriter() = default;
  ~PcapngWriter();  // closes the file, ignoring errors: call close() to see them
  PcapngWriter(PcapngWriter&& o) noexcept;
  PcapngWriter& operator=(PcapngWriter&& o) noexcept;
  PcapngWriter(const PcapngWriter&) = delete;
  PcapngWriter& operator=(const PcapngWriter&) = delete;

  // Creates (or truncates) `path` and writes the Section Header Block.
  Result<void, std::string> open(const std::string& path, const PcapngSection& section = {});
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  // Writes an Interface Description Block; returns the interface id packets refer to.
  std::uint32_t add_interface(const PcapngInterface& itf);
  std::uint32_t interface_count() const { return interfaces_; }
  // Writes one Name Resolution Block holding `names` (nothing when empty).
  void add_names(std::span<const NameRecord> names);
  // Writes one Enhanced Packet Block. A packet naming an undeclared interface is refused
  // (it would make the file invalid) and reported by the next flush()/close().
  void write_packet(const PcapngPacket& p);
  std::uint64_t records() const { return records_; }

  // Hands everything buffered to the kernel.
  Result<void, std::string> flush();
  // Flushes and closes. The writer can be opened again afterwards.
  Result<void, std::string> close();

 private:
  // One option of the block being encoded; `value` points at the caller's bytes, at a
  // local of the encoding function, or into repaired_.
  struct Option {
    std::uint16_t code;
    std::span<const std::uint8_t> value;
  };

  // Block encoding: options are gathered first, so each block's size is known, the buffer
  // grows once per block (zero-filled, which is the padding) and fields are stored in place.
  void string_option(std::uint16_t code, std::string_view s);
  std::string_view writable(std::string_view s, std::size_t max_bytes);
  std::size_t options_size() const;
  std::uint8_t* put_options(std::uint8_t* p) const;
  std::uint8_t* begin_block(std::uint32_t type, std::size_t total);
  void end_block();

  void drain();
  void set_error(std::string message);

  int fd_ = -1;
  std::string path_;
  std::vector<std::uint8_t> buf_;     // whole blocks only, so it always ends 4-aligned
  std::vector<Option> options_;       // the block being encoded
  std::deque<std::string> repaired_;  // strings that needed repair (deque: stable refs)
  std::string error_;                 // first error; sticky until close()
  std::uint32_t interfaces_ = 0;
  std::uint64_t records_ = 0;
};

}  // namespace synlab::sim
