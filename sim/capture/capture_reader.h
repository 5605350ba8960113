// Reads capture files back: classic pcap and pcapng.
//
// Used to compare golden captures packet by packet and in tests, and it will be fed fuzzed
// input, so it trusts nothing: every length is checked against the bytes that are really
// there before anything is read or allocated, and malformed input gives an error naming the
// byte offset where the problem is. A file cut short exactly at a record/block boundary reads
// as the records before the cut; cut anywhere else, it is an error.
//
// Classic pcap (draft-ietf-opsawg-pcap): microsecond (0xa1b2c3d4) and nanosecond
// (0xa1b23c4d) magics, either byte order. pcapng (draft-ietf-opsawg-pcapng, see
// pcapng_format.h): any number of sections, each in either byte order; IDB (if_name,
// if_description, if_tsresol, if_tsoffset), EPB (comments, epb_flags), SPB, the obsolete
// Packet Block and NRB (IPv4/IPv6 records); other blocks are skipped. A section whose
// version is not 1.0 (or 1.2, which §4.1 says to treat as 1.0) is skipped as §3.4 requires.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/capture/pcapng_format.h"
#include "sim/result.h"

namespace synlab::sim {

// The names capinfos -t prints.
enum class CaptureFileFormat : std::uint8_t { kPcap, kNsecPcap, kPcapng };
std::string_view to_string(CaptureFileFormat f);

struct CaptureInterface {
  std::uint16_t link_type = 0;
  std::uint32_t snaplen = 0;  // 0: no limit
  std::string name;           // if_name (pcapng); empty for classic pcap
  std::string description;    // if_description
  std::uint32_t section = 0;  // which SHB declared it (0 for classic pcap)
};

struct CaptureRecord {
  std::int64_t timestamp_ns = 0;    // since the epoch; 0 for a Simple Packet Block (it has none)
  std::uint32_t interface = 0;      // index into CaptureFile::interfaces (file-wide)
  std::vector<std::uint8_t> bytes;  // as captured
  std::uint32_t original_length = 0;
  std::vector<std::string> comments;                      // opt_comment, in file order
  PacketDirection direction = PacketDirection::kUnknown;  // epb_flags bits 0-1
  std::uint64_t packet_id = 0;  // epb_packetid (synlab writes the simulator's frame id); 0: none
};

struct CaptureFile {
  CaptureFileFormat format = CaptureFileFormat::kPcap;
  bool big_endian = false;                    // of the file header / first section
  std::string application;                    // shb_userappl of the first section
  std::vector<std::string> section_comments;  // opt_comment of every SHB
  std::vector<CaptureInterface> interfaces;   // pcapng interface ids are per section; these
                                              // are numbered across the whole file
  std::vector<NameRecord> names;
  std::vector<CaptureRecord> records;
  std::uint32_t skipped_sections = 0;  // sections of a version we cannot read
};

struct CaptureError {
  std::uint64_t offset = 0;  // byte offset in the file where the problem is
  std::string message;
  // "offset 120: EPB captured length 4096 runs past its block (60 bytes of data)"
  std::string to_string() const;
};

Result<CaptureFile, CaptureError> read_capture(std::span<const std::uint8_t> data);
Result<CaptureFile, CaptureError> read_capture_file(const std::string& path);

}  // namespace synlab::sim
