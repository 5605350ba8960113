// The whole file is in memory as one span. Every field is read only after checking that its
// bytes are there; every allocation (a record's bytes) is of a size already checked against
// the bytes left, so a hostile length field can neither read out of bounds nor allocate more
// than the file holds.

#include "sim/capture/capture_reader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "sim/capture/endian.h"

namespace synlab::sim {
namespace {

// Exact timestamp scaling without overflow.
__extension__ typedef unsigned __int128 U128;
__extension__ typedef __int128 I128;

using Bytes = std::span<const std::uint8_t>;
using Error = std::optional<CaptureError>;

constexpr std::int64_t kMaxNs = std::numeric_limits<std::int64_t>::max();

CaptureError error_at(std::uint64_t offset, std::string message) {
  return CaptureError{offset, std::move(message)};
}

std::string num(std::uint64_t v) {
  return std::to_string(v);
}

// Strings in options are not NUL-terminated, but a NUL ends them (§3.5).
std::string string_of(Bytes b) {
  std::size_t n = 0;
  while (n < b.size() && b[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(b.data()), n);
}

// ---------------------------------------------------------------------------------------
// Classic pcap: a 24-byte header, then (16-byte header, data) records.

Result<CaptureFile, CaptureError> read_pcap(Bytes d, bool big, bool nano) {
  CaptureFile f;
  f.format = nano ? CaptureFileFormat::kNsecPcap : CaptureFileFormat::kPcap;
  f.big_endian = big;
  if (d.size() < 24) {
    return fail(
        error_at(d.size(), "pcap file header cut short: " + num(d.size()) + " of 24 bytes"));
  }
  const std::uint16_t major = endian::load16(&d[4], big);
  const std::uint16_t minor = endian::load16(&d[6], big);
  if (major != 2) {
    return fail(error_at(4, "unsupported pcap version " + num(major) + "." + num(minor)));
  }
  CaptureInterface itf;
  itf.snaplen = endian::load32(&d[16], big);
  // The upper 16 bits of the link type field carry FCS information (draft-ietf-opsawg-pcap §4).
  itf.link_type = static_cast<std::uint16_t>(endian::load32(&d[20], big) & 0xffff);
  f.interfaces.push_back(std::move(itf));

  std::size_t pos = 24;
  while (pos < d.size()) {
    const std::size_t left = d.size() - pos;
    if (left < 16) {
      return fail(error_at(pos, "record header cut short: " + num(left) + " of 16 bytes"));
    }
    const std::uint32_t sec = endian::load32(&d[pos], big);
    const std::uint32_t frac = endian::load32(&d[pos + 4], big);
    const std::uint32_t caplen = endian::load32(&d[pos + 8], big);
    const std::uint32_t len = endian::load32(&d[pos + 12], big);
    if (caplen > left - 16) {
      return fail(error_at(pos + 8, "record captured length " + num(caplen) +
                                        " runs past the end of the file (" + num(left - 16) +
                                        " bytes left)"));
    }
    CaptureRecord r;
    // Both fit easily: 2^32 s is ~4.3e18 ns.
    r.timestamp_ns = std::int64_t{sec} * 1'000'000'000 +
                     (nano ? std::int64_t{frac} : std::int64_t{frac} * 1'000);
    r.bytes.assign(d.begin() + static_cast<std::ptrdiff_t>(pos + 16),
                   d.begin() + static_cast<std::ptrdiff_t>(pos + 16 + caplen));
    r.original_length = len;
    f.records.push_back(std::move(r));
    pos += 16 + caplen;
  }
  return f;
}

// ---------------------------------------------------------------------------------------
// pcapng.

struct Option {
  std::uint16_t code;
  Bytes value;
  std::uint64_t offset;  // of the option header, for errors
};

// Calls `on(option)` for each option in `opts` (which starts at file offset `base`) until
// opt_endofopt or the end of the block (§3.5: a reader must not rely on opt_endofopt).
template <class F>
Error for_each_option(Bytes opts, std::uint64_t base, bool big, F&& on) {
  std::size_t p = 0;
  while (p < opts.size()) {
    const std::size_t left = opts.size() - p;
    if (left < 4) {
      return error_at(base + p, "option header cut short: " + num(left) + " of 4 bytes");
    }
    const std::uint16_t code = endian::load16(&opts[p], big);
    const std::uint16_t len = endian::load16(&opts[p + 2], big);
    if (code == pcapng::kOptEndOfOpt) return std::nullopt;
    if (len > left - 4) {
      return error_at(base + p, "option " + num(code) + " of " + num(len) +
                                    " bytes runs past its block (" + num(left - 4) +
                                    " bytes left)");
    }
    if (Error e = on(Option{code, opts.subspan(p + 4, len), base + p})) return e;
    // The last option's padding may be missing; anything else is caught above next time.
    p += std::min<std::size_t>(4 + pcapng::pad4(len), left);
  }
  return std::nullopt;
}

Error require_length(const Option& o, std::size_t want, std::string_view name) {
  if (o.value.size() == want) return std::nullopt;
  return error_at(o.offset, std::string(name) + " option of " + num(o.value.size()) +
                                " bytes (must be " + num(want) + ")");
}

struct Interface {
  std::uint32_t index;  // in CaptureFile::interfaces
  std::uint8_t tsresol = pcapng::kTsresolDefault;
  std::int64_t tsoffset_s = 0;
  std::uint32_t snaplen = 0;
};

// Timestamp units since the epoch -> nanoseconds (§4.2 if_tsresol, if_tsoffset).
std::optional<std::int64_t> to_ns(std::uint64_t ts, const Interface& itf) {
  const unsigned p = itf.tsresol & 0x7f;
  U128 ns;
  if (itf.tsresol & 0x80) {
    ns = (U128{ts} * 1'000'000'000u) >> p;  // units of 2^-p s; p <= 127 fits a U128 shift
  } else if (p <= 9) {
    U128 mul = 1;
    for (unsigned i = p; i < 9; ++i) mul *= 10;
    ns = U128{ts} * mul;
  } else {
    U128 div = 1;
    for (unsigned i = 9; i < p && div <= U128{ts}; ++i) div *= 10;
    ns = U128{ts} / div;
  }
  if (ns > static_cast<U128>(kMaxNs)) return std::nullopt;
  // if_tsoffset is whole seconds, signed.
  const I128 total = static_cast<I128>(ns) + I128{itf.tsoffset_s} * 1'000'000'000;
  if (total > kMaxNs || total < std::numeric_limits<std::int64_t>::min()) return std::nullopt;
  return static_cast<std::int64_t>(total);
}

class PcapngReader {
 public:
  explicit PcapngReader(Bytes d) : d_(d) { f_.format = CaptureFileFormat::kPcapng; }

  Result<CaptureFile, CaptureError> run() {
    std::size_t pos = 0;
    while (pos < d_.size()) {
      const std::size_t left = d_.size() - pos;
      if (left < pcapng::kBlockOverhead) {
        return fail(error_at(pos, "block header cut short: " + num(left) +
                                      " bytes left, a "
                                      "block needs at least 12"));
      }
      const bool shb = endian::load_le32(&d_[pos]) == pcapng::kSectionHeader;
      if (shb) {
        // The type is palindromic; the byte-order magic says how to read the rest (§4.1).
        const std::uint32_t bom = endian::load_le32(&d_[pos + 8]);
        if (bom == pcapng::kByteOrderMagic) {
          big_ = false;
        } else if (endian::load_be32(&d_[pos + 8]) == pcapng::kByteOrderMagic) {
          big_ = true;
        } else {
          return fail(error_at(pos + 8, "bad byte-order magic in Section Header Block"));
        }
        if (pos == 0) f_.big_endian = big_;
      } else if (pos == 0) {
        return fail(error_at(0, "not a pcapng file: first block is not a Section Header"));
      }
      const std::uint32_t type = endian::load32(&d_[pos], big_);
      const std::uint32_t len = endian::load32(&d_[pos + 4], big_);
      if (len < pcapng::kBlockOverhead || len % 4 != 0) {
        return fail(error_at(
            pos + 4, "block length " + num(len) + " is not a multiple of 4 of at least 12"));
      }
      if (len > left) {
        return fail(error_at(pos + 4, "block of " + num(len) +
                                          " bytes runs past the end of "
                                          "the file (" +
                                          num(left) + " bytes left)"));
      }
      const std::uint32_t trailer = endian::load32(&d_[pos + len - 4], big_);
      if (trailer != len) {
        return fail(error_at(pos + len - 4, "block trailer length " + num(trailer) +
                                                " differs from its header length " + num(len)));
      }
      const Bytes body = d_.subspan(pos + 8, len - pcapng::kBlockOverhead);
      if (Error e = block(type, body, pos + 8)) return fail(std::move(*e));
      pos += len;
    }
    return std::move(f_);
  }

 private:
  Error block(std::uint32_t type, Bytes body, std::uint64_t at) {
    if (type == pcapng::kSectionHeader) return section_header(body, at);
    if (skipping_) return std::nullopt;  // §3.4: skip a section we cannot read
    switch (type) {
      case pcapng::kInterfaceDescription:
        return interface_description(body, at);
      case pcapng::kEnhancedPacket:
        return enhanced_packet(body, at);
      case pcapng::kSimplePacket:
        return simple_packet(body, at);
      case pcapng::kObsoletePacket:
        return obsolete_packet(body, at);
      case pcapng::kNameResolution:
        return name_resolution(body, at);
      default:
        return std::nullopt;  // unknown or uninteresting: skipped (§3.1)
    }
  }

  Error section_header(Bytes body, std::uint64_t at) {
    if (body.size() < 16) return too_short("Section Header Block", body, 16, at);
    ifs_.clear();
    ++section_;
    const std::uint16_t major = endian::load16(&body[4], big_);
    const std::uint16_t minor = endian::load16(&body[6], big_);
    // §4.1: 1.2 is to be read as 1.0; anything else we cannot read.
    skipping_ = !(major == 1 && (minor == 0 || minor == 2));
    if (skipping_) {
      ++f_.skipped_sections;
      return std::nullopt;
    }
    const bool first = section_ == 1;
    return for_each_option(body.subspan(16), at + 16, big_, [&](const Option& o) -> Error {
      if (o.code == pcapng::kOptComment) f_.section_comments.push_back(string_of(o.value));
      if (o.code == pcapng::kShbUserAppl && first) f_.application = string_of(o.value);
      return std::nullopt;
    });
  }

  Error interface_description(Bytes body, std::uint64_t at) {
    if (body.size() < 8) return too_short("Interface Description Block", body, 8, at);
    CaptureInterface itf;
    itf.link_type = endian::load16(&body[0], big_);
    itf.snaplen = endian::load32(&body[4], big_);
    itf.section = section_ - 1;
    Interface state{static_cast<std::uint32_t>(f_.interfaces.size())};
    state.snaplen = itf.snaplen;
    Error e = for_each_option(body.subspan(8), at + 8, big_, [&](const Option& o) -> Error {
      switch (o.code) {
        case pcapng::kIfName:
          itf.name = string_of(o.value);
          break;
        case pcapng::kIfDescription:
          itf.description = string_of(o.value);
          break;
        case pcapng::kIfTsresol:
          if (Error bad = require_length(o, 1, "if_tsresol")) return bad;
          state.tsresol = o.value[0];
          break;
        case pcapng::kIfTsoffset:
          if (Error bad = require_length(o, 8, "if_tsoffset")) return bad;
          state.tsoffset_s = static_cast<std::int64_t>(endian::load64(o.value.data(), big_));
          break;
        default:
          break;
      }
      return std::nullopt;
    });
    if (e) return e;
    f_.interfaces.push_back(std::move(itf));
    ifs_.push_back(state);
    return std::nullopt;
  }

  // EPB (§4.3): interface, timestamp high/low, captured and original length, data, options.
  Error enhanced_packet(Bytes body, std::uint64_t at) {
    if (body.size() < 20) return too_short("Enhanced Packet Block", body, 20, at);
    return packet(body, at, endian::load32(&body[0], big_), true);
  }

  // Packet Block (Appendix A): 16-bit interface id and drop count instead of a 32-bit id.
  Error obsolete_packet(Bytes body, std::uint64_t at) {
    if (body.size() < 20) return too_short("Packet Block", body, 20, at);
    return packet(body, at, endian::load16(&body[0], big_), false);
  }

  // The common tail of EPB and Packet Block: both have the timestamp at offset 4, and both
  // call their flags word option 2 (pack_flags is the same word).
  Error packet(Bytes body, std::uint64_t at, std::uint32_t iface, bool enhanced) {
    const std::string_view what = enhanced ? "Enhanced Packet Block" : "Packet Block";
    constexpr std::size_t ts_at = 4;
    if (iface >= ifs_.size()) {
      return error_at(at, std::string(what) + " names interface " + num(iface) + " but " +
                              num(ifs_.size()) + " are declared in this section");
    }
    const std::uint64_t ts = (std::uint64_t{endian::load32(&body[ts_at], big_)} << 32) |
                             endian::load32(&body[ts_at + 4], big_);
    const std::uint32_t caplen = endian::load32(&body[ts_at + 8], big_);
    const std::uint32_t len = endian::load32(&body[ts_at + 12], big_);
    const std::size_t data_at = ts_at + 16;
    const std::size_t room = body.size() - data_at;
    if (caplen > room) {
      return error_at(at + ts_at + 8, std::string(what) + " captured length " + num(caplen) +
                                          " runs past its block (" + num(room) + " bytes of data)");
    }
    const Interface& itf = ifs_[iface];
    CaptureRecord r;
    const std::optional<std::int64_t> ns = to_ns(ts, itf);
    if (!ns) return error_at(at + ts_at, "timestamp does not fit 64-bit nanoseconds");
    r.timestamp_ns = *ns;
    r.interface = itf.index;
    r.original_length = len;
    r.bytes.assign(body.begin() + static_cast<std::ptrdiff_t>(data_at),
                   body.begin() + static_cast<std::ptrdiff_t>(data_at + caplen));
    const std::size_t opts_at = std::min<std::size_t>(data_at + pcapng::pad4(caplen), body.size());
    Error e =
        for_each_option(body.subspan(opts_at), at + opts_at, big_, [&](const Option& o) -> Error {
          if (o.code == pcapng::kOptComment) r.comments.push_back(string_of(o.value));
          if (o.code == pcapng::kEpbFlags) {
            if (Error bad = require_length(o, 4, "epb_flags")) return bad;
            r.direction = static_cast<PacketDirection>(endian::load32(o.value.data(), big_) & 3);
          }
          if (o.code == pcapng::kEpbPacketId && enhanced) {
            if (Error bad = require_length(o, 8, "epb_packetid")) return bad;
            r.packet_id = endian::load64(o.value.data(), big_);
          }
          return std::nullopt;
        });
    if (e) return e;
    f_.records.push_back(std::move(r));
    return std::nullopt;
  }

  // SPB (§4.4): original length, then data; the interface is the section's first, and the
  // captured length is the smaller of the original length and the snaplen.
  Error simple_packet(Bytes body, std::uint64_t at) {
    if (body.size() < 4) return too_short("Simple Packet Block", body, 4, at);
    if (ifs_.empty()) {
      return error_at(at, "Simple Packet Block before any Interface Description Block");
    }
    const Interface& itf = ifs_[0];
    const std::uint32_t len = endian::load32(&body[0], big_);
    std::size_t caplen = std::min<std::size_t>(len, body.size() - 4);
    if (itf.snaplen != 0) caplen = std::min<std::size_t>(caplen, itf.snaplen);
    CaptureRecord r;
    r.interface = itf.index;
    r.original_length = len;
    r.bytes.assign(body.begin() + 4, body.begin() + static_cast<std::ptrdiff_t>(4 + caplen));
    f_.records.push_back(std::move(r));
    return std::nullopt;
  }

  // NRB (§4.5): (type, length, value padded to 4) records up to nrb_record_end, then options.
  Error name_resolution(Bytes body, std::uint64_t at) {
    std::size_t p = 0;
    while (p < body.size()) {
      const std::size_t left = body.size() - p;
      if (left < 4) return error_at(at + p, "name record header cut short");
      const std::uint16_t type = endian::load16(&body[p], big_);
      const std::uint16_t len = endian::load16(&body[p + 2], big_);
      if (type == pcapng::kNrbRecordEnd) break;
      if (len > left - 4) {
        return error_at(at + p, "name record of " + num(len) + " bytes runs past its block");
      }
      const Bytes value = body.subspan(p + 4, len);
      if (type == pcapng::kNrbRecordIpv4 || type == pcapng::kNrbRecordIpv6) {
        const std::size_t alen = type == pcapng::kNrbRecordIpv4 ? 4 : 16;
        if (value.size() < alen + 1) {
          return error_at(at + p, "name record of " + num(len) +
                                      " bytes is too short for its "
                                      "address and a name");
        }
        // One or more NUL-terminated names follow the address.
        std::size_t q = alen;
        while (q < value.size()) {
          std::size_t end = q;
          while (end < value.size() && value[end] != 0) ++end;
          if (end > q) {
            NameRecord n;
            std::copy(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(alen),
                      n.address.begin());
            n.address_size = static_cast<std::uint8_t>(alen);
            n.name.assign(reinterpret_cast<const char*>(value.data() + q), end - q);
            f_.names.push_back(std::move(n));
          }
          q = end + 1;
        }
      }
      p += std::min<std::size_t>(4 + pcapng::pad4(len), left);
    }
    return std::nullopt;
  }

  static CaptureError too_short(std::string_view what, Bytes body, std::size_t need,
                                std::uint64_t at) {
    return error_at(at, std::string(what) + " body of " + num(body.size()) +
                            " bytes is shorter than its fixed part (" + num(need) + ")");
  }

  Bytes d_;
  CaptureFile f_;
  bool big_ = false;
  bool skipping_ = false;
  std::uint32_t section_ = 0;
  std::vector<Interface> ifs_;  // this section's interfaces, by id
};

}  // namespace

std::string_view to_string(CaptureFileFormat f) {
  switch (f) {
    case CaptureFileFormat::kPcap:
      return "pcap";
    case CaptureFileFormat::kNsecPcap:
      return "nsecpcap";
    case CaptureFileFormat::kPcapng:
      return "pcapng";
  }
  return "?";
}

std::string CaptureError::to_string() const {
  return "offset " + std::to_string(offset) + ": " + message;
}

Result<CaptureFile, CaptureError> read_capture(std::span<const std::uint8_t> data) {
  if (data.size() < 4) {
    return fail(error_at(0, "not a capture file: " + num(data.size()) + " bytes"));
  }
  const std::uint32_t magic = endian::load_le32(data.data());
  switch (magic) {
    case 0xa1b2c3d4:
      return read_pcap(data, false, false);
    case 0xa1b23c4d:
      return read_pcap(data, false, true);
    case 0xd4c3b2a1:
      return read_pcap(data, true, false);
    case 0x4d3cb2a1:
      return read_pcap(data, true, true);
    case pcapng::kSectionHeader:
      return PcapngReader(data).run();
    default:
      break;
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", endian::load_be32(data.data()));
  return fail(error_at(0, std::string("not a pcap or pcapng file (first bytes ") + hex + ")"));
}

Result<CaptureFile, CaptureError> read_capture_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail(error_at(0, "cannot open " + path + ": " + std::strerror(errno)));
  std::vector<std::uint8_t> data;
  std::uint8_t chunk[1 << 16];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) data.insert(data.end(), chunk, chunk + n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return fail(error_at(data.size(), "cannot read " + path));
  return read_capture(data);
}

}  // namespace synlab::sim
