// libpcap does the format; we only own the FILE (to give it a big buffer before the header is
// written) and turn libpcap's silence about write errors into messages.

#include "sim/capture/pcap_writer.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace synlab::sim {
namespace {

std::string errno_message(const std::string& what, const std::string& path, int err) {
  return what + " " + path + ": " + std::strerror(err);
}

}  // namespace

PcapWriter::~PcapWriter() {
  release();
}

PcapWriter::PcapWriter(PcapWriter&& o) noexcept
    : pcap_(std::exchange(o.pcap_, nullptr)),
      dumper_(std::exchange(o.dumper_, nullptr)),
      buffer_(std::move(o.buffer_)),
      path_(std::move(o.path_)),
      records_(std::exchange(o.records_, 0)) {}

PcapWriter& PcapWriter::operator=(PcapWriter&& o) noexcept {
  if (this != &o) {
    release();
    pcap_ = std::exchange(o.pcap_, nullptr);
    dumper_ = std::exchange(o.dumper_, nullptr);
    buffer_ = std::move(o.buffer_);
    path_ = std::move(o.path_);
    records_ = std::exchange(o.records_, 0);
  }
  return *this;
}

void PcapWriter::release() {
  // pcap_dump_close flushes and fcloses the FILE, which still uses buffer_.
  if (dumper_) pcap_dump_close(dumper_);
  if (pcap_) pcap_close(pcap_);
  dumper_ = nullptr;
  pcap_ = nullptr;
  buffer_.reset();
}

Result<void, std::string> PcapWriter::open(const std::string& path) {
  release();
  path_ = path;
  records_ = 0;
  // We open the FILE ourselves (instead of pcap_dump_open) to set its buffer before the
  // first write, and to report errno in our own words.
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return fail(errno_message("cannot create", path, errno));
  buffer_ = std::make_unique_for_overwrite<char[]>(kBufferSize);
  if (std::setvbuf(f, buffer_.get(), _IOFBF, kBufferSize) != 0) {
    std::fclose(f);
    buffer_.reset();
    return fail("cannot set the output buffer of " + path);
  }
  pcap_ = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, static_cast<int>(kSnaplen),
                                               PCAP_TSTAMP_PRECISION_NANO);
  if (!pcap_) {
    std::fclose(f);
    buffer_.reset();
    return fail("libpcap could not create a capture handle for " + path);
  }
  dumper_ = pcap_dump_fopen(pcap_, f);
  if (!dumper_) {
    std::string why = pcap_geterr(pcap_);
    std::fclose(f);
    release();
    return fail("libpcap could not start " + path + ": " + why);
  }
  return {};
}

void PcapWriter::write(Time at, std::span<const std::uint8_t> frame) {
  if (!dumper_) return;
  const std::int64_t ns = std::max<std::int64_t>(at.ns(), 0);
  pcap_pkthdr h{};
  h.ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  // With a NANO handle pcap_dump writes this field verbatim: it holds nanoseconds.
  h.ts.tv_usec = static_cast<suseconds_t>(ns % 1'000'000'000);
  h.len = static_cast<bpf_u_int32>(frame.size());
  h.caplen = static_cast<bpf_u_int32>(std::min<std::size_t>(frame.size(), kSnaplen));
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame.data());
  ++records_;
}

Result<void, std::string> PcapWriter::flush() {
  if (!dumper_) return {};
  // pcap_dump ignores fwrite errors; the stream's error flag still remembers them.
  if (pcap_dump_flush(dumper_) != 0 || std::ferror(pcap_dump_file(dumper_))) {
    return fail("cannot write " + path_ + ": " + std::strerror(errno));
  }
  return {};
}

Result<void, std::string> PcapWriter::close() {
  if (!dumper_) return {};
  Result<void, std::string> flushed = flush();
  // pcap_dump_close returns nothing; fclose after a successful flush only fails on close
  // errors (NFS), which flush() has normally already surfaced.
  release();
  return flushed;
}

}  // namespace synlab::sim
