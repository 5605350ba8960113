// Classic pcap files, written through libpcap.
//
// The file is nanosecond pcap (magic 0xa1b23c4d, capinfos type "nsecpcap") with link type
// LINKTYPE_ETHERNET: libpcap's pcap_open_dead_with_tstamp_precision(..., NANO) + pcap_dump,
// where the field called tv_usec carries nanoseconds (ecosystem.md §1.2). Timestamps are
// virtual time, so the same run writes the same bytes.
//
// Speed: records go into a 1 MiB stdio buffer handed to libpcap, so writing a record costs a
// memcpy, not a system call. flush() pushes the buffer to the kernel; after it the file on
// disk ends on a record boundary and is a valid capture.
//
// Errors never throw: open/flush/close return a message; a write error (disk full) is kept
// and reported by the next flush() or close().
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "sim/result.h"
#include "sim/time.h"

struct pcap;
struct pcap_dumper;

namespace synlab::sim {

class PcapWriter {
 public:
  // Large enough for any frame the simulator makes (a 64 KiB IP datagram plus Ethernet).
  static constexpr std::uint32_t kSnaplen = 262144;
  static constexpr std::size_t kBufferSize = 1 << 20;

  PcapWriter() = default;
  ~PcapWriter();  // closes the file, ignoring errors: call close() to see them
  PcapWriter(PcapWriter&& o) noexcept;
  PcapWriter& operator=(PcapWriter&& o) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Creates (or truncates) `path` and writes the file header.
  Result<void, std::string> open(const std::string& path);
  bool is_open() const { return dumper_ != nullptr; }
  const std::string& path() const { return path_; }

  // Appends one record stamped `at`. A frame longer than kSnaplen is cut there; the record
  // keeps the real length. Ignored when the file is not open.
  void write(Time at, std::span<const std::uint8_t> frame);
  std::uint64_t records() const { return records_; }

  // Hands everything buffered to the kernel.
  Result<void, std::string> flush();
  // Flushes and closes. The writer can be opened again afterwards.
  Result<void, std::string> close();

 private:
  void release();

  pcap* pcap_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  std::unique_ptr<char[]> buffer_;  // the stdio buffer; must outlive the FILE
  std::string path_;
  std::uint64_t records_ = 0;
};

}  // namespace synlab::sim
