// Encoding: each block's options are gathered first (pointing at the caller's strings, no
// copies unless a string needs UTF-8 repair), so its size is known; the buffer then grows once,
// zero-filled (which is all the padding), and fields are stored in place, little-endian.

#include "sim/capture/pcapng_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "sim/capture/endian.h"

#ifndef SYNLAB_VERSION
#define SYNLAB_VERSION "unknown"
#endif

namespace synlab::sim {
namespace {

constexpr std::size_t kMaxOptionLength = 0xffff;  // Option Length is 16 bits (§3.5)

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 §4), or 0. NUL counts as
// malformed: readers must treat it as the end of the string (§3.5).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const auto cont = [&](std::size_t k) { return (at(k) & 0xC0) == 0x80; };
  const std::uint8_t c = at(i);
  const std::size_t left = s.size() - i;
  if (c == 0) return 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    const std::uint8_t lo = c == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
    const std::uint8_t hi = c == 0xED ? 0x9F : 0xBF;  // no surrogates
    return at(i + 1) >= lo && at(i + 1) <= hi && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    const std::uint8_t lo = c == 0xF0 ? 0x90 : 0x80;
    const std::uint8_t hi = c == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    return at(i + 1) >= lo && at(i + 1) <= hi && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

bool clean_utf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() > max_bytes) return false;
  // Almost every string we write is ASCII without NULs: check that 8 bytes at a time, then
  // go character by character from the first byte that is not.
  constexpr std::uint64_t kOnes = 0x0101010101010101u, kHighs = 0x8080808080808080u;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & kHighs) || ((w - kOnes) & ~w & kHighs)) break;  // a high bit, or a zero byte
  }
  while (i < s.size() && static_cast<std::uint8_t>(s[i]) - 1u < 0x7fu) ++i;
  while (i < s.size()) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// `s` with each malformed byte replaced by U+FFFD, cut to at most `max_bytes` at a character
// boundary.
std::string repair_utf8(std::string_view s, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    const std::string_view piece = n ? s.substr(i, n) : kReplacement;
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += n ? n : 1;
  }
  return out;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string_view synlab_application_name() {
  return "synlab " SYNLAB_VERSION;
}

PcapngWriter::~PcapngWriter() {
  if (fd_ >= 0) (void)close();
}

PcapngWriter::PcapngWriter(PcapngWriter&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      path_(std::move(o.path_)),
      buf_(std::move(o.buf_)),
      error_(std::move(o.error_)),
      interfaces_(std::exchange(o.interfaces_, 0)),
      records_(std::exchange(o.records_, 0)) {}

PcapngWriter& PcapngWriter::operator=(PcapngWriter&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) (void)close();
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
    buf_ = std::move(o.buf_);
    error_ = std::move(o.error_);
    interfaces_ = std::exchange(o.interfaces_, 0);
    records_ = std::exchange(o.records_, 0);
  }
  return *this;
}

Result<void, std::string> PcapngWriter::open(const std::string& path,
                                             const PcapngSection& section) {
  if (fd_ >= 0) (void)close();
  path_ = path;
  error_.clear();
  interfaces_ = 0;
  records_ = 0;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) return fail("cannot create " + path + ": " + std::strerror(errno));
  buf_.clear();
  buf_.reserve(kBufferSize + 64 * 1024);

  // §4.1: byte-order magic, version 1.0, section length -1 (not given: we stream).
  if (!section.comment.empty()) string_option(pcapng::kOptComment, section.comment);
  string_option(pcapng::kShbUserAppl,
                section.application.empty() ? synlab_application_name() : section.application);
  std::uint8_t* p = begin_block(pcapng::kSectionHeader, 16 + options_size());
  endian::store_le32(p, pcapng::kByteOrderMagic);
  endian::store_le16(p + 4, pcapng::kMajorVersion);
  endian::store_le16(p + 6, pcapng::kMinorVersion);
  endian::store_le64(p + 8, ~std::uint64_t{0});
  put_options(p + 16);
  end_block();
  return {};
}

std::uint32_t PcapngWriter::add_interface(const PcapngInterface& itf) {
  const std::uint32_t id = interfaces_++;
  if (fd_ < 0 || !error_.empty()) return id;
  // §4.2: link type, reserved, snaplen 0 = no limit; then the options.
  if (!itf.name.empty()) string_option(pcapng::kIfName, itf.name);
  if (!itf.description.empty()) string_option(pcapng::kIfDescription, itf.description);
  if (itf.mac) options_.push_back({pcapng::kIfMacAddr, *itf.mac});
  static constexpr std::uint8_t kTsresol = pcapng::kTsresolNanoseconds;
  options_.push_back({pcapng::kIfTsresol, {&kTsresol, 1}});
  std::uint8_t* p = begin_block(pcapng::kInterfaceDescription, 8 + options_size());
  endian::store_le16(p, itf.link_type);
  put_options(p + 8);
  end_block();
  return id;
}

void PcapngWriter::add_names(std::span<const NameRecord> names) {
  if (fd_ < 0 || !error_.empty() || names.empty()) return;
  // §4.5: records of (type, length, address + NUL-terminated name, padded to 4), then
  // nrb_record_end; no options.
  struct Record {
    const NameRecord* n;
    std::string_view name;
    std::uint16_t length;
  };
  std::vector<Record> records;
  std::size_t body = 4;  // nrb_record_end
  for (const NameRecord& n : names) {
    if (n.address_size != 4 && n.address_size != 16) continue;
    const std::string_view name = writable(n.name, kMaxOptionLength - n.address_size - 1);
    if (name.empty()) continue;  // a record must hold at least one character (§4.5)
    const auto length = static_cast<std::uint16_t>(n.address_size + name.size() + 1);
    records.push_back({&n, name, length});
    body += 4 + pcapng::pad4(length);
  }
  std::uint8_t* p = begin_block(pcapng::kNameResolution, body);
  for (const Record& r : records) {
    endian::store_le16(p, r.n->address_size == 4 ? pcapng::kNrbRecordIpv4 : pcapng::kNrbRecordIpv6);
    endian::store_le16(p + 2, r.length);
    std::memcpy(p + 4, r.n->address.data(), r.n->address_size);
    std::memcpy(p + 4 + r.n->address_size, r.name.data(), r.name.size());
    p += 4 + pcapng::pad4(r.length);  // the NUL, the padding and nrb_record_end are zeros
  }
  end_block();
}

void PcapngWriter::write_packet(const PcapngPacket& pkt) {
  if (fd_ < 0 || !error_.empty()) return;
  if (pkt.interface >= interfaces_) {
    set_error("packet for interface " + std::to_string(pkt.interface) + " but only " +
              std::to_string(interfaces_) + " declared in " + path_);
    return;
  }
  for (const std::string& c : pkt.comments) string_option(pcapng::kOptComment, c);
  std::uint8_t flags[4];
  if (pkt.direction != PacketDirection::kUnknown) {
    endian::store_le32(flags, static_cast<std::uint32_t>(pkt.direction));  // bits 0-1 (§4.3.1)
    options_.push_back({pcapng::kEpbFlags, flags});
  }
  std::uint8_t id[8];
  if (pkt.packet_id != 0) {
    endian::store_le64(id, pkt.packet_id);
    options_.push_back({pcapng::kEpbPacketId, id});
  }
  // §4.3: interface, timestamp as two 32-bit halves (high first), lengths, data, options.
  const auto ts = static_cast<std::uint64_t>(std::max<std::int64_t>(pkt.at.ns(), 0));
  const auto len = static_cast<std::uint32_t>(pkt.bytes.size());
  std::uint8_t* p = begin_block(pcapng::kEnhancedPacket, 20 + pcapng::pad4(len) + options_size());
  endian::store_le32(p, pkt.interface);
  endian::store_le32(p + 4, static_cast<std::uint32_t>(ts >> 32));
  endian::store_le32(p + 8, static_cast<std::uint32_t>(ts));
  endian::store_le32(p + 12, len);
  endian::store_le32(p + 16, len);
  if (len) std::memcpy(p + 20, pkt.bytes.data(), len);
  put_options(p + 20 + pcapng::pad4(len));
  end_block();
  ++records_;
}

Result<void, std::string> PcapngWriter::flush() {
  if (fd_ >= 0) drain();
  if (!error_.empty()) return fail(error_);
  return {};
}

Result<void, std::string> PcapngWriter::close() {
  if (fd_ < 0) return {};
  drain();
  if (::close(fd_) != 0 && error_.empty()) {
    error_ = "cannot close " + path_ + ": " + std::strerror(errno);
  }
  fd_ = -1;
  buf_.clear();
  buf_.shrink_to_fit();
  std::string err = std::exchange(error_, {});
  if (!err.empty()) return fail(std::move(err));
  return {};
}

void PcapngWriter::string_option(std::uint16_t code, std::string_view s) {
  options_.push_back({code, as_bytes(writable(s, kMaxOptionLength))});
}

// Strings must be valid UTF-8 (§3.6.3) and fit a 16-bit length.
std::string_view PcapngWriter::writable(std::string_view s, std::size_t max_bytes) {
  if (clean_utf8(s, max_bytes)) return s;
  return repaired_.emplace_back(repair_utf8(s, max_bytes));
}

// §3.5: each option is code, length, value padded to 4; a writer MUST end the list with
// opt_endofopt. No options at all: no opt_endofopt either.
std::size_t PcapngWriter::options_size() const {
  if (options_.empty()) return 0;
  std::size_t n = 4;
  for (const Option& o : options_) {
    n += 4 + pcapng::pad4(static_cast<std::uint32_t>(o.value.size()));
  }
  return n;
}

std::uint8_t* PcapngWriter::put_options(std::uint8_t* p) const {
  for (const Option& o : options_) {
    endian::store_le16(p, o.code);
    endian::store_le16(p + 2, static_cast<std::uint16_t>(o.value.size()));
    if (!o.value.empty()) std::memcpy(p + 4, o.value.data(), o.value.size());
    p += 4 + pcapng::pad4(static_cast<std::uint32_t>(o.value.size()));
  }
  return p + (options_.empty() ? 0 : 4);  // opt_endofopt: code 0, length 0, already zero
}

// Appends a zero-filled block of `body` bytes (a multiple of 4) with its type and both
// lengths (§3.1) in place; returns where the body goes.
std::uint8_t* PcapngWriter::begin_block(std::uint32_t type, std::size_t body) {
  const std::size_t start = buf_.size();
  const auto total = static_cast<std::uint32_t>(body + pcapng::kBlockOverhead);
  buf_.resize(start + total);  // value-initialised: every padding byte is zero (§3.6.2)
  std::uint8_t* p = buf_.data() + start;
  endian::store_le32(p, type);
  endian::store_le32(p + 4, total);
  endian::store_le32(p + total - 4, total);
  return p + 8;
}

void PcapngWriter::end_block() {
  options_.clear();
  if (!repaired_.empty()) repaired_.clear();
  if (buf_.size() >= kBufferSize) drain();
}

void PcapngWriter::drain() {
  const std::uint8_t* p = buf_.data();
  std::size_t left = buf_.size();
  while (left > 0 && error_.empty()) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      set_error("cannot write " + path_ + ": " + std::strerror(errno));
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  buf_.clear();
}

void PcapngWriter::set_error(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

}  // namespace synlab::sim
